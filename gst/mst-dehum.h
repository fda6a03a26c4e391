/* mastering: mains hum removal that tracks drift (pure C, no GObject).
 *
 * Adaptive sinusoidal cancellation: per harmonic k of the mains
 * fundamental f, an oscillator at k f (cos and sin, from one phase shared
 * by every channel) and, per channel, two weights an LMS loop fits so that
 * their sum matches the hum's amplitude and phase; the fitted sinusoid is
 * subtracted, and a second such canceller removes what the first left
 * (the two make a fourth-order notch: what a small tracking error leaves
 * falls with its square). Each harmonic is removed as by a notch of -3 dB
 * width @bandwidth_hz centred on the oscillator (Widrow et al., "Adaptive
 * noise cancelling: principles and applications", Proc. IEEE 63 (12),
 * 1975, the single-frequency canceller) and nothing else is touched. The
 * fundamental is tracked (a second-order frequency-locked loop on the
 * rotation of the weights, the harmonics' votes combined by a median
 * weighted by amplitude) within
 * +-MST_DEHUM_MAX_DRIFT of its nominal, so the notches stay on the hum
 * when the mains drift. In auto mode both 50 and 60 Hz families run and
 * the one that finds steady hum (MST_DEHUM_DETECT_DB more steady power on
 * the harmonics they do not share, on two lines at least whose power holds
 * still: a kick drum on the beat makes steady lines too, in bursts) is
 * kept; the other fades out. Nothing is removed before.
 */
#ifndef MST_DEHUM_H
#define MST_DEHUM_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most harmonics removed (the fundamental counts as the first). */
#define MST_DEHUM_MAX_HARMONICS 20
/** Fundamental range of a set frequency (0 is auto: 50 or 60 Hz). */
#define MST_DEHUM_MIN_FREQUENCY_HZ 10.0
#define MST_DEHUM_MAX_FREQUENCY_HZ 1000.0
/** Width (-3 dB) of the notch the cancellers make at each harmonic. */
#define MST_DEHUM_MIN_BANDWIDTH_HZ 0.1
#define MST_DEHUM_MAX_BANDWIDTH_HZ 10.0
/** Largest drift tracked, a fraction of the nominal fundamental (1 %:
 *  +-0.5 Hz at 50 Hz, +-0.6 Hz at 60; grids hold +-0.2 Hz in normal
 *  operation, recordings off speed by a fraction of a percent). */
#define MST_DEHUM_MAX_DRIFT 0.01
/** Power margin (dB) by which one mains family must beat the other to be
 *  chosen in auto mode, and to take over from the one chosen. */
#define MST_DEHUM_DETECT_DB 10.0
/** Length of the fades: bypass, a family taken or dropped, harmonics
 *  removed from the set. */
#define MST_DEHUM_FADE_MS 50.0

/** Everything a user may change while playing. */
typedef struct {
  double frequency_hz;          /* 0: auto (50 or 60 Hz, found in the
                                 * signal); else the nominal fundamental,
                                 * MST_DEHUM_MIN/MAX_FREQUENCY_HZ */
  int harmonics;                /* 1 .. MST_DEHUM_MAX_HARMONICS (those above
                                 * 0.45 fs are left out) */
  double bandwidth_hz;          /* -3 dB width of the removal around each
                                 * harmonic */
  bool bypass;                  /* fades the removal out, then passes the
                                 * input bit-exact */
} MstDehumSettings;

/** The defaults, written here only: auto, 8 harmonics, 5 Hz wide notches,
 *  not bypassed. */
void mst_dehum_settings_default (MstDehumSettings * settings);

/** What the core found: for the element's messages and `gst-master
 *  analyze`. */
typedef struct {
  /** Nominal fundamental of the family in use (50 or 60 in auto mode), Hz;
   *  in auto mode before a family is chosen, the stronger one's. */
  double nominal_hz;
  /** The tracked fundamental, Hz, and its drift from nominal. */
  double frequency_hz;
  double drift_hz;
  /** RMS of the steady hum found (the sum of the fitted harmonics, each
   *  averaged over a second: music passing a line mostly averages out),
   *  averaged in power over the channels, dBFS (20 log10 RMS: a full-scale
   *  sine is -3.01); -inf when none. */
  double level_db;
  /** The same per harmonic (index 0 the fundamental), -inf beyond the
   *  harmonics in use. */
  double harmonic_db[MST_DEHUM_MAX_HARMONICS];
  /** Auto mode: a family was chosen (always true for a set frequency). */
  bool detected;
} MstDehumStatus;

typedef struct MstDehum MstDehum;

/** Allocates a hum remover for up to MST_MAX_CHANNELS channels with the
 *  default settings; NULL on failure. Nothing else allocates. */
MstDehum *mst_dehum_init (void);

/** Frees @d and sets *@d to NULL. */
void mst_dehum_destroy (MstDehum ** d);

/** Sets the stream format and resets all state. */
MstResult mst_dehum_configure (MstDehum * d, double rate_hz, int channels);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range), then takes what changed: the bandwidth at once (the
 *  weights carry on), harmonics added start from zero and removed ones
 *  fade out, a new frequency within MST_DEHUM_MAX_DRIFT of the one in use
 *  moves the tracker's centre, a farther one starts a new family and fades
 *  the old one out, bypass fades. */
MstResult mst_dehum_set (MstDehum * d, const MstDehumSettings * settings);

/** Clears the fitted hum, the tracker and the detection; fades jump to
 *  their targets. */
void mst_dehum_reset (MstDehum * d);

/** True when processing would leave the audio bit-exact (bypassed, its
 *  fade done). */
bool mst_dehum_is_passthrough (const MstDehum * d);

/** Removes the hum from @n_frames interleaved frames in place. Samples not
 *  finite or beyond +-MST_MAX_INPUT are read as silence (and written so);
 *  state that went non-finite is reset. */
MstResult mst_dehum_process_f32 (MstDehum * d, float *frames,
    size_t n_frames);
MstResult mst_dehum_process_f64 (MstDehum * d, double *frames,
    size_t n_frames);

/** Runs the detection and tracking on @n_frames frames without writing
 *  them (`gst-master analyze`); then mst_dehum_get_status. */
MstResult mst_dehum_add_f32 (MstDehum * d, const float *frames,
    size_t n_frames);
MstResult mst_dehum_add_f64 (MstDehum * d, const double *frames,
    size_t n_frames);

/** The fundamental, drift and hum level found so far. */
MstResult mst_dehum_get_status (const MstDehum * d, MstDehumStatus * status);

/** Blocks with input read as silence or state reset, since configure. */
uint64_t mst_dehum_get_nonfinite_count (const MstDehum * d);

#ifdef __cplusplus
}
#endif
#endif
