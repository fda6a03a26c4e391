/* mastering: a linear-phase band splitter (pure C, no GObject).
 *
 * The same settings as the Linkwitz-Riley crossover (mst-crossover.h), the
 * same planar process shape, but every band is a symmetric FIR: all bands
 * share one delay (the latency), no band has phase distortion, and the
 * bands sum to the input delayed by exactly that latency. Filtering is by
 * FFT overlap-save (mst-fft.h); see mst-crossover-linear.c for the design
 * and docs/blocks/crossover.md for figures. */
#ifndef MST_CROSSOVER_LINEAR_H
#define MST_CROSSOVER_LINEAR_H

#include "mst-core.h"
#include "mst-crossover.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The settings are the Linkwitz-Riley crossover's, with the same
 *  meaning: n_bands 2 to MST_CROSSOVER_MAX_BANDS, splits strictly
 *  ascending, slope 12, 24 or 48 dB/octave giving each band the magnitude
 *  of the matching LR2, LR4 or LR8 band (mst_crossover_settings_default is
 *  the only source of defaults for both). */
typedef MstCrossoverSettings MstCrossoverLinearSettings;

/** Lowest split frequency at which a band matches its Linkwitz-Riley
 *  magnitude within 0.05 dB at the split and in its pass band and 0.5 dB
 *  an octave either side (measured: 0.007 and 0.044 dB), with the LR4
 *  (and LR2) slope; LR8 needs twice this. Lower splits are accepted (down
 *  to MST_CROSSOVER_LINEAR_MIN_FREQ_HZ), their response smoothed by the
 *  window (the FIR is too short for them), the sum still exact. */
#define MST_CROSSOVER_LINEAR_LOWEST_SPLIT_HZ 20.0
#define MST_CROSSOVER_LINEAR_MIN_FREQ_HZ 10.0

/** Least half length of the FIRs, in ms of the stream: each band's
 *  impulse response spans at least this much before and after its centre.
 *  The FFT has the least power-of-two size N of at least 4 such halves,
 *  and the FIRs the half N / 4 (85.3 ms at 48, 96 and 192 kHz, 92.9 ms at
 *  44.1 and 88.2 kHz); the latency is 3 N / 4. */
#define MST_CROSSOVER_LINEAR_HALF_LENGTH_MS 80.0

void mst_crossover_linear_settings_default (MstCrossoverLinearSettings *
    settings);

typedef struct MstCrossoverLinear MstCrossoverLinear;

/** A splitter for up to @max_channels channels with the default settings,
 *  configured for 48 kHz, one channel; NULL on failure. */
MstCrossoverLinear *mst_crossover_linear_init (int max_channels);

/** Frees @xo and sets *@xo to NULL. */
void mst_crossover_linear_destroy (MstCrossoverLinear ** xo);

/** Sets the stream format: sizes the FIR and the FFT for @rate_hz, plans
 *  the transforms and allocates (MST_ERR_NOMEM when out of memory, the
 *  splitter then unusable until a configure succeeds), designs the bands,
 *  resets all state. Call outside the streaming thread. */
MstResult mst_crossover_linear_configure (MstCrossoverLinear * xo,
    double rate_hz, int channels);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range; a split under MST_CROSSOVER_LINEAR_MIN_FREQ_HZ is;
 *  splits above 0.49 of the rate are designed at 0.49 of it), then records
 *  what changed; cheap, so it may be called every control period. At the
 *  next FFT block (every hop, N / 2 frames) the bands are redesigned (no
 *  allocation: scratch made at configure; two transforms of N a band) and
 *  that block's output crossfades from the old bands to the new (raised
 *  cosine over the hop), so the bands' sum stays the delayed input
 *  throughout. A change of band count or slope is crossfaded the same
 *  way. That block is the one the FIFO is filling when set is called, so
 *  in stream time the crossfade spans one hop lying between H + hop
 *  frames before the frame that came last before the change and H frames
 *  after it (H the FIR's half length). */
MstResult mst_crossover_linear_set (MstCrossoverLinear * xo,
    const MstCrossoverLinearSettings * settings);

/** Clears the input history and the pending outputs; a pending change of
 *  settings takes effect at once. */
void mst_crossover_linear_reset (MstCrossoverLinear * xo);

/** The delay of every band and of their sum, in frames, fixed from
 *  configure: half the FIR plus one FFT hop. */
MstResult mst_crossover_linear_get_latency (const MstCrossoverLinear * xo,
    size_t *frames);

/** Taps of every band's FIR (odd: the centre tap is at the latency
 *  minus one hop), fixed from configure. */
MstResult mst_crossover_linear_get_taps (const MstCrossoverLinear * xo,
    size_t *taps);

/** As mst_crossover_process: @n frames of planar input (channel c at @in +
 *  c @stride) to n_bands planar outputs (band b, channel c at @bands[b] +
 *  c @stride), lowest band first, each delayed by the latency. Any @n (an
 *  internal FIFO collects FFT blocks); the output does not depend on how
 *  the stream is cut. @in may be @bands[n_bands - 1]; the other outputs
 *  are distinct from it and from each other. Non-finite input (or beyond
 *  +-MST_MAX_INPUT) is read as silence and counted once per call. */
MstResult mst_crossover_linear_process (MstCrossoverLinear * xo,
    const double *in, double *const *bands, size_t stride, size_t n);

/** The same on float samples. */
MstResult mst_crossover_linear_process_f32 (MstCrossoverLinear * xo,
    const float *in, float *const *bands, size_t stride, size_t n);

/** Calls in which non-finite input was read as silence, since configure. */
uint64_t mst_crossover_linear_get_nonfinite_count (const MstCrossoverLinear *
    xo);

/** The largest |sum of the bands - reference| over @n frames of
 *  @channels planar channels (@stride apart): the reference is @in
 *  delayed by @delay frames (frames before it read as 0) for this
 *  splitter, or an all-pass's output with @delay 0 for the Linkwitz-Riley
 *  tree. For tests and for a dry path's check. */
double mst_crossover_sum_error (const double *const *bands, int n_bands,
    const double *in, size_t stride, int channels, size_t n, size_t delay);

#ifdef __cplusplus
}
#endif
#endif
