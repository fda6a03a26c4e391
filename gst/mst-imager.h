/* mastering: stereo imager core (pure C, no GObject). */
#ifndef MST_IMAGER_H
#define MST_IMAGER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Ranges mst_imager_set() takes. */
#define MST_IMAGER_MAX_WIDTH_PCT 200.0
#define MST_IMAGER_MIN_GAIN_DB -60.0
#define MST_IMAGER_MAX_GAIN_DB 24.0
#define MST_IMAGER_MAX_BALANCE 100.0
#define MST_IMAGER_MAX_ROTATION_DEG 180.0
/** mono-below: 0 (off) or MST_IMAGER_MIN_MONO_HZ to MST_IMAGER_MAX_MONO_HZ. */
#define MST_IMAGER_MIN_MONO_HZ 10.0
#define MST_IMAGER_MAX_MONO_HZ 1000.0
/** Multiband width: 1 to MST_IMAGER_MAX_BANDS bands, splits within
 *  MST_IMAGER_MIN_SPLIT_HZ .. MST_IMAGER_MAX_SPLIT_HZ. */
#define MST_IMAGER_MAX_BANDS 4
#define MST_IMAGER_MIN_SPLIT_HZ 20.0
#define MST_IMAGER_MAX_SPLIT_HZ 20000.0

/** Time constant of the glides (one-pole, 63 % of a step in this time) and
 *  length of the crossfade when the band filter changes structure (mono
 *  bass on or off, bands split or not). */
#define MST_IMAGER_SMOOTHING_MS 10.0

/** Everything a user may change while playing. The chain, per frame:
 *  polarity of the input channels, swap, mid/side with their gains (the
 *  side times width), the band filter (mono bass: the side high-passed;
 *  band widths: all equal, the side scaled; unequal, the side split and
 *  the mid through the bands' all-pass), back to left/right, rotation,
 *  balance. */
typedef struct {
  double width_pct;             /* side level: 0 mono, 100 unchanged */
  double mid_gain_db, side_gain_db;
  double balance;               /* -100 (left) .. 100 (right), constant power */
  double rotation_deg;          /* positive turns the image to the right */
  bool swap, invert_left, invert_right;
  double mono_below_hz;         /* 0: off; side removed below it (LR4) */
  int num_bands;                /* 1: one width for all; 2..4 bands (of
                                 * equal widths: not split) */
  double split_hz[MST_IMAGER_MAX_BANDS - 1];
  double band_width_pct[MST_IMAGER_MAX_BANDS];  /* times width_pct */
  bool bypass;
} MstImagerSettings;

/** The defaults, written here only: neutral (width 100 %, gains 0 dB,
 *  balance and rotation 0, nothing swapped or inverted, mono-below off, one
 *  band; splits at 120 Hz, 1 kHz and 6 kHz, band widths 100 %). */
void mst_imager_settings_default (MstImagerSettings * settings);

typedef struct MstImager MstImager;

/** Allocates an imager with the default settings; NULL on failure. Nothing
 *  else allocates. */
MstImager *mst_imager_init (void);

/** Frees @im and sets *@im to NULL. */
void mst_imager_destroy (MstImager ** im);

/** Sets the rate (stereo only) and resets all state. */
MstResult mst_imager_configure (MstImager * im, double rate_hz);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range), then takes what changed as targets: gains, width,
 *  balance, rotation, band widths and frequencies glide; swap and
 *  polarity glide through the mix of both (a swap passes through mono, an
 *  inversion through silence of that channel); a change of the band
 *  filter's structure (widths becoming unequal or equal included)
 *  crossfades. Splits that are not strictly above the
 *  previous one (or above mono_below_hz) are skipped: their band joins the
 *  one above. */
MstResult mst_imager_set (MstImager * im, const MstImagerSettings * settings);

/** Clears filter history; glides jump to their targets. */
void mst_imager_reset (MstImager * im);

/** True when processing would leave the audio bit-exact: bypassed or
 *  neutral, and settled. */
bool mst_imager_is_passthrough (const MstImager * im);

/** Processes @n_frames interleaved stereo frames in place. Input that is
 *  not finite or beyond MST_MAX_INPUT is read as silence. */
MstResult mst_imager_process_f32 (MstImager * im, float *frames,
    size_t n_frames);
MstResult mst_imager_process_f64 (MstImager * im, double *frames,
    size_t n_frames);

/** Blocks with input read as silence or state reset, since configure. */
uint64_t mst_imager_get_nonfinite_count (const MstImager * im);

#ifdef __cplusplus
}
#endif
#endif
