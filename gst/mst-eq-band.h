/* mastering: one band of the parametric equalizer, an internal block of
 * the eq core (mst-eq.c; pure C, no GObject).
 *
 * A band is one filter of the equalizer on the channels it addresses: its
 * target (the user's settings for it), the design in use gliding towards
 * that target once per control period (a biquad cascade whose coefficients
 * ramp per sample between designs), crossfades through the dry signal for
 * what cannot glide (type, slope, channels, enabled), and a settle tail: a
 * gain band that reached 0 dB runs on until its ringing has decayed. It
 * filters a planar block the equalizer hands it; which form the front pair
 * is in (left/right or mid/side) is the equalizer's business. */
#ifndef MST_EQ_BAND_H
#define MST_EQ_BAND_H

#include "mst-eq.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Glides end when the smoothed value is this close to its target: a gain
 *  in dB (the equalizer's output gain too), a log frequency or log Q. */
#define MST_EQ_SNAP_DB 1e-4
#define MST_EQ_SNAP_LOG 1e-6

/** What every band of one equalizer shares, set at configure. */
typedef struct {
  double rate_hz;
  int channels;
  int left_index, right_index;  /* the front pair, -1 when none */
  int control_frames;           /* frames per glide step */
  double glide_coef;            /* one-pole step per control period */
  double fade_step;             /* mix change per frame */
} MstEqBandContext;

/** One band. Plain data: embed it; no call allocates. */
typedef struct {
  MstEqBandSettings target;
  double target_log_freq, target_log_q;
  /* Structure in use: changes of these crossfade through the dry signal. */
  MstFilterType type;
  int slope;
  MstEqChannels channels;
  /* Smoothed parameters. */
  double log_freq, gain_db, log_q;
  MstBiquadCascade cascade;     /* the design in use and its history */
  double mix, mix_target;       /* wet amount, 0..1 */
  bool active;                  /* being processed */
  size_t settle_frames_left;    /* a neutral band's tail still to run */
} MstEqBand;

/* @in_use below: the band's index is under the settings' num_bands. */

/** Whether @s is a band mst_eq_set() takes. */
bool mst_eq_band_settings_valid (const MstEqBandSettings * s);

/** Takes @s as the band's target when it differs from the one in force. */
void mst_eq_band_set_target (MstEqBand * band, const MstEqBandSettings * s);

/** Whether the band's target asks for processing: in use, enabled and not
 *  a gain type at 0 dB. */
bool mst_eq_band_wants_processing (const MstEqBand * band, bool in_use);

/** Clears history; the band takes its target at once, or stops. */
void mst_eq_band_reset (MstEqBand * band, const MstEqBandContext * ctx,
    bool in_use);

/** Before a block: a band that should start starts, one whose structure or
 *  use changed fades out. */
void mst_eq_band_update_targets (MstEqBand * band,
    const MstEqBandContext * ctx, bool in_use);

/** Filters @n frames of the planar block @planar (channel c at @planar +
 *  c @stride) in place, gliding and fading; @dry (the same layout) and
 *  @ramp (@n values) are scratch. Nothing for an inactive band. */
void mst_eq_band_process (MstEqBand * band, const MstEqBandContext * ctx,
    double *planar, double *dry, size_t stride, double *ramp, int n);

/** After a block of @n frames: a band that faded out takes its new
 *  structure or stops; a gain band that reached 0 dB stops once its tail
 *  has decayed. */
void mst_eq_band_finish (MstEqBand * band, const MstEqBandContext * ctx,
    bool in_use, int n);

/** A band that only filters, the same way, on every channel. */
bool mst_eq_band_is_steady (const MstEqBand * band);

#ifdef __cplusplus
}
#endif
#endif
