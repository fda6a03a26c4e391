/* mastering: Linkwitz-Riley crossovers (pure C, no GObject). */
#ifndef MST_CROSSOVER_H
#define MST_CROSSOVER_H

#include "mst-core.h"
#include "mst-biquad.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MST_CROSSOVER_MAX_BANDS 6

/** Time constant of the glide of a split frequency (one-pole, 63 % of a
 *  step in this time). */
#define MST_CROSSOVER_SMOOTHING_MS 10.0

/** Everything a user may change while playing. */
typedef struct {
  int n_bands;                  /* 2 to MST_CROSSOVER_MAX_BANDS */
  /* Linkwitz-Riley slope: 12 (LR2), 24 (LR4) or 48 (LR8) dB/octave. */
  int slope_db_per_oct;
  /* Split frequencies, strictly ascending; the first n_bands - 1 used. */
  double freq_hz[MST_CROSSOVER_MAX_BANDS - 1];
} MstCrossoverSettings;

/** The defaults, written here only: three bands at 120 Hz and 2 kHz, LR4
 *  (the unused splits at 5, 8 and 12 kHz). */
void mst_crossover_settings_default (MstCrossoverSettings * settings);

/** Whether @settings is valid: n_bands 2 to MST_CROSSOVER_MAX_BANDS, a
 *  slope of 12, 24 or 48, the first n_bands - 1 splits finite, above 0
 *  and at least @min_freq_hz, strictly ascending. Both crossovers'
 *  set calls check this. */
bool mst_crossover_settings_valid (const MstCrossoverSettings * settings,
    double min_freq_hz);

typedef struct MstCrossover MstCrossover;

/** Allocates a crossover for up to @max_channels channels, with the
 *  default settings; NULL on failure. Nothing else allocates. */
MstCrossover *mst_crossover_init (int max_channels);

/** Frees @xo and sets *@xo to NULL. */
void mst_crossover_destroy (MstCrossover ** xo);

/** Sets the stream format and resets all state. */
MstResult mst_crossover_configure (MstCrossover * xo, double rate_hz,
    int channels);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range), then takes what changed: split frequencies glide; a
 *  change of slope or band count takes effect at once, with the history
 *  cleared (not meant to be automated). */
MstResult mst_crossover_set (MstCrossover * xo,
    const MstCrossoverSettings * settings);

/** Clears the filter history; glides jump to their targets. */
void mst_crossover_reset (MstCrossover * xo);

/** Splits @n frames of planar input (channel c at @in + c @stride) into
 *  n_bands planar outputs (band b, channel c at @bands[b] + c @stride),
 *  lowest band first. Split j is a Linkwitz-Riley pair (the squares of a
 *  Butterworth low-pass and high-pass, each -6 dB at the split; LR2's high
 *  side inverted); each lower band also goes through the all-pass of every
 *  split above it (the sum of a split's two sides), so the bands sum to an
 *  all-pass: flat magnitude. @in may be @bands[n_bands - 1]; the other
 *  outputs are distinct from it and from each other. A lower band may be
 *  NULL: it is not computed (its filters keep their history as it was;
 *  for a band the caller never reads, as the imager's mono bass). The
 *  highest band is always computed. Non-finite input never stays in the
 *  state (see mst-core.h). */
MstResult mst_crossover_process (MstCrossover * xo, const double *in,
    double *const *bands, size_t stride, size_t n);

/** mst_crossover_process, and @all_pass (planar like @in: channel c at
 *  @all_pass + c @stride; may be NULL) in place through the all-pass the
 *  bands sum to: every split's all-pass, with its own history, its
 *  coefficients gliding in step with the bands' filters. A signal run
 *  through it keeps the phase of another's band sum; Linkwitz-Riley bands
 *  are in phase with that all-pass (LR4's band b is the all-pass times a
 *  real gain between 0 and 1), so bands weighted and summed are the
 *  all-pass times a zero-phase weighting (the imager runs its mid through
 *  it while its side is split). @all_pass is distinct from @in and the
 *  bands. */
MstResult mst_crossover_process_all_pass (MstCrossover * xo, const double *in,
    double *const *bands, double *all_pass, size_t stride, size_t n);

/** Whether a split frequency still glides to its setting. */
bool mst_crossover_is_gliding (const MstCrossover * xo);

/** The all-pass the bands sum to (mst_crossover_process_all_pass's, on its
 *  own history) alone, in place on @n frames of planar @x (channel c at
 *  @x + c @stride), no band computed: the tree's history stays as it was
 *  (a caller that needs only the bands' sum, as a neutral multiband
 *  compressor, runs a few sections instead of the tree). The splits must
 *  not glide (MST_ERR_INVALID_ARG, nothing run). */
MstResult mst_crossover_run_all_pass (MstCrossover * xo, double *x,
    size_t stride, size_t n);

/** mst_crossover_run_all_pass on two channels given as @n interleaved
 *  stereo F32 frames, in place (converted in registers, no planar copy):
 *  the same filter and history, the output rounded to float. Configured
 *  for 2 channels only (else MST_ERR_INVALID_ARG, nothing run). */
MstResult mst_crossover_run_all_pass_stereo_f32 (MstCrossover * xo,
    float *frames, size_t n);

/** Clears the history of that all-pass alone. */
void mst_crossover_reset_all_pass (MstCrossover * xo);

/** Blocks in which non-finite state was found and reset, since configure. */
uint64_t mst_crossover_get_nonfinite_count (const MstCrossover * xo);

#ifdef __cplusplus
}
#endif
#endif
