/* mastering: dither core, word-length reduction of F32/F64 audio to
 * 16, 24 or 32-bit integers with TPDF dither and error-feedback noise
 * shaping (pure C, no GObject). */
#ifndef MST_DITHER_H
#define MST_DITHER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Noise shaping. NONE: flat TPDF. The others are error filters
 *  A(z) = 1 + a1 z^-1 + ... designed or chosen per rate (44.1, 48, 88.2
 *  and 96 kHz, mst-dither-shapes.c); at other rates they fall back to
 *  flat TPDF (mst_dither_get_shape says which is in force). */
typedef enum {
  MST_DITHER_NONE = 0,
  MST_DITHER_LIPSHITZ,          /* 5 taps, Lipshitz et al. E-weighted */
  MST_DITHER_F_WEIGHTED,        /* 9 taps, Wannamaker F-weighted */
  MST_DITHER_HIGH,              /* 16 taps, the steepest bounded curve */
} MstDitherShaping;

#define MST_DITHER_N_SHAPINGS 4
#define MST_DITHER_MAX_TAPS 16

/** Output word lengths. */
#define MST_DITHER_MIN_BITS 16
#define MST_DITHER_MAX_BITS 32

/** Digital silence: this many exactly-zero samples in a row on a channel
 *  (10 ms at 48 kHz) and the channel's output is exactly zero from then on,
 *  its error filter cleared, until a non-zero sample comes (dithered again
 *  from that sample on). A stream starts blanked. */
#define MST_DITHER_BLANK_FRAMES 480

/** Frames per processing block; process calls may pass any count. */
#define MST_DITHER_BLOCK_FRAMES 256

typedef struct MstDither MstDither;

typedef struct {
  MstDitherShaping shaping;
  /* Digital silence in gives digital silence out
   * (MST_DITHER_BLANK_FRAMES). */
  bool auto_blank;
  /* Plain rounding to the nearest output value: no dither, no noise
   * shaping (the word length still goes down; clipping as always). */
  bool bypass;
  /* The generators' seed: the same seed, settings and input give the same
   * output. A change reseeds at once; reset reseeds. */
  uint32_t seed;
} MstDitherSettings;

/** One noise-shaping filter of mst-dither-shapes.c. */
typedef struct {
  int rate_hz;
  MstDitherShaping shaping;
  int n_taps;
  double a[MST_DITHER_MAX_TAPS];
} MstDitherShape;

extern const MstDitherShape mst_dither_shapes[];
extern const size_t mst_dither_n_shapes;

/** The defaults, the only place they are written: f-weighted noise shaping,
 *  auto-blank on, not bypassed, seed 0. */
void mst_dither_settings_default (MstDitherSettings * s);

/** The filter of @shaping at @rate_hz; NULL for NONE and for rates
 *  without one (flat TPDF). */
const MstDitherShape *mst_dither_find_shape (MstDitherShaping shaping,
    int rate_hz);

/** The threshold of hearing the designs use (dB SPL at @freq_hz): ISO
 *  226:2003 T_f, linear in dB over log frequency between its points, held
 *  below 20 Hz, and above 12.5 kHz Terhardt's (1979) rise (the curve of
 *  scripts/design-dither.py). */
double mst_dither_threshold_db (double freq_hz);

/** The largest |out - in| the core writes at @bits with @shaping at
 *  @rate_hz (the curve in force there; @bypass: plain rounding), in units
 *  of full scale, clipping aside: 1.5 (1 + sum |a_k|) LSB (|e| < 1.5 LSB),
 *  0.5 LSB for plain rounding. A limiter's ceiling lowered by twice it
 *  (the interpolated true peak of the added error can exceed its sample
 *  peak) keeps the dithered output's true peak under the ceiling. */
double mst_dither_peak_error (MstDitherShaping shaping, int rate_hz,
    int bits, bool bypass);

/** Allocates a dither core for up to @max_channels; NULL on failure. */
MstDither *mst_dither_init (int max_channels);

void mst_dither_destroy (MstDither ** d);

/** Sets the format: @rate_hz, @channels, @bits (16, 24 or 32: S16LE,
 *  S24LE packed in 3 bytes, S32LE), and resets. */
MstResult mst_dither_configure (MstDither * d, int rate_hz, int channels,
    int bits);

/** Takes new settings: MST_ERR_INVALID_ARG and nothing applied if one is
 *  out of range; a new shaping clears the error filters. */
MstResult mst_dither_set (MstDither * d, const MstDitherSettings * s);

/** The shaping in force (NONE where the rate has no filter, or bypassed). */
MstDitherShaping mst_dither_get_shape (const MstDither * d);

/** Clears the error filters, reseeds, and starts blanked. */
void mst_dither_reset (MstDither * d);

/** Quantises @n_frames interleaved frames of @in (NULL: silence) into
 *  @out (bits/8 bytes a sample, little-endian). A channel whose samples are all on the output
 *  grid (a 16-bit source to 16 bits, or to 24) comes out exact: no dither,
 *  no error fed back; it stays so through exact zeros, until an off-grid
 *  sample. */
MstResult mst_dither_process_f32 (MstDither * d, const float *in,
    size_t n_frames, void *out);
MstResult mst_dither_process_f64 (MstDither * d, const double *in,
    size_t n_frames, void *out);

/** Non-finite (or beyond +-MST_MAX_INPUT) samples seen since configure;
 *  they come out as 0 and clear the error filters. */
uint64_t mst_dither_get_nonfinite_count (const MstDither * d);

/** The TPDF generator alone (for tests): @n values in (-1, 1) LSB, the sum
 *  of two independent uniforms, from the 8 xoshiro128+ streams of @state
 *  (state[word][lane]), advanced. @n is a multiple of 8. */
void mst_dither_tpdf (uint32_t state[4][8], float *out, size_t n);

/** Seeds the 8 streams of @state from @seed and @stream (splitmix64). */
void mst_dither_seed_streams (uint32_t state[4][8], uint64_t seed,
    uint64_t stream);

#ifdef __cplusplus
}
#endif
#endif
