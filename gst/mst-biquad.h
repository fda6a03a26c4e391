/* mastering: biquad cascades as a block (history, runners, glides). */
#ifndef MST_BIQUAD_H
#define MST_BIQUAD_H

#include "mst-core.h"
#include "mst-filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Direct Form I history of one section on one channel: its last two
 *  inputs and outputs. In a cascade, section k's inputs are section
 *  k - 1's outputs; each section still keeps its own copy, so a section
 *  run alone (a ramp, a fade) and a fused chain share one state. */
typedef struct {
  double x1, x2, y1, y2;
} MstBiquadHistory;

/** Longest chain of sections one fused pass takes (32 bands of eq, 4
 *  sections each). */
#define MST_BIQUAD_MAX_CHAIN 128

/** A cascade of up to MST_FILTER_MAX_SECTIONS sections applied to up to
 *  MST_MAX_CHANNELS channels, each with its own history. Plain data: embed
 *  it, clear it with mst_biquad_cascade_reset; no call allocates. */
typedef struct {
  MstBiquad coefs[MST_FILTER_MAX_SECTIONS];
  int n_sections;
  MstBiquadHistory hist[MST_MAX_CHANNELS][MST_FILTER_MAX_SECTIONS];
} MstBiquadCascade;

/** Clears the history of every channel (coefficients kept). */
void mst_biquad_cascade_reset (MstBiquadCascade * c);

/** Runs the cascade in place over @n frames of the channels @channels[k]
 *  (k < @n_channels) of a planar block, channel c at @planar + c @stride.
 *  With @from non-NULL (n_sections long), every coefficient moves linearly
 *  from @from to the cascade's over the @n frames: a glide from one design
 *  to the next without a step (the stability triangle of a section is
 *  convex, so every section on the way is stable). Without, channels go
 *  two at a time through one loop, their recurrences overlapping. */
void mst_biquad_cascade_run (MstBiquadCascade * c, const int *channels,
    int n_channels, double *planar, size_t stride, const MstBiquad * from,
    int n);

/** @n_rows cascades side by side: cascade @c[k]'s channel 0 in place on
 *  the row @rows + k @stride, @n frames; with @from non-NULL, cascade k's
 *  coefficients glide from @from[k] as mst_biquad_cascade_run's do (one
 *  section each). Single-section cascades go four at a time as the lanes
 *  of a vector (AVX2 chosen at run time), the same operations in the same
 *  order as mst_biquad_cascade_run, so the same output bit for bit (a
 *  reverb's absorption filters, a filter a line); others one by one. */
void mst_biquad_cascades_run_rows (MstBiquadCascade * c, int n_rows,
    double *rows, size_t stride, const MstBiquad * from, int n);

/** mst_biquad_cascade_run of channels 0 .. @n_channels - 1 without a
 *  glide, its recurrence at the latency of two multiply-adds for four
 *  frames: on x86-64 with AVX2 and FMA (chosen at run time) each section
 *  runs four frames a step in block form, each output G_k + P_k y1 +
 *  Q_k y2 from the state before the step (G_k: the step's feed-forward
 *  sums folded through the feedback; the last frames one at a time as
 *  y = (b0 x + b1 x1 + b2 x2 - a2 y2) - a1 y1), in fused multiply-adds
 *  (channel pairs as two lanes). The same filter and history as
 *  mst_biquad_cascade_run, within rounding (not bit for bit); it is that
 *  function elsewhere. For a filter nobody hears bit for bit: a key. */
void mst_biquad_cascade_run_fast (MstBiquadCascade * c, int n_channels,
    double *planar, size_t stride, int n);

/** mst_biquad_cascade_run_fast of channels 0 and 1 taking their input from
 *  @n interleaved stereo F32 frames (converted exactly on the way in)
 *  into the planar rows @l and @r: the same output bit for bit as the
 *  frames made planar and then that function, without the planar copy,
 *  and the samples checked as mst_input_sane checks them on the way.
 *  Returns false, having changed nothing of the history (the rows then
 *  hold nothing of use), when a sample is not sane or when no such path
 *  exists (without AVX2 and FMA): the caller then takes the usual way. */
bool mst_biquad_cascade_run_fast_stereo_f32 (MstBiquadCascade * c,
    const float *frames, double *l, double *r, int n);

/** Clears the history of every section of the first @n_channels channels
 *  that is not finite; true when one was. */
bool mst_biquad_cascade_check_finite (MstBiquadCascade * c, int n_channels);

/** The cascades @cascades[0] .. @cascades[@n_cascades - 1] one after the
 *  other on channels 0 .. @n_channels - 1, fused into one pass per sample
 *  (at most MST_BIQUAD_MAX_CHAIN sections in all): the sections of one
 *  sample do not wait for each other, so the pass runs at the processor's
 *  arithmetic throughput rather than at the latency of one recurrence.
 *  Channel c is the planar buffer @planar + c @stride, or with @frames
 *  non-NULL (stereo only) the interleaved F32 frames themselves, scaled by
 *  @gain on the way out. Channels go in pairs, two lanes of a vector; on
 *  x86-64 with AVX2 and FMA (chosen at run time) two sections share one
 *  vector too. */
void mst_biquad_cascades_run_fused (MstBiquadCascade * const *cascades,
    int n_cascades, int n_channels, double *planar, size_t stride,
    float *frames, double gain, int n);

/** mst_biquad_cascades_run_fused, the same filter and history within
 *  rounding (not bit for bit; against an exact filter its error in double
 *  was 3 to 25 dB lower in the cases of docs/benchmarks.md): on x86-64 with AVX2 and FMA (chosen at
 *  run time), chains of 2 to 8 sections take their steady frames with each
 *  section's output kept out of its state's recurrence (s1' = (b1 - a1 b0)
 *  x + s2 - a1 s1, s2' = (b2 - a2 b0) x - a2 s1), so that a state waits on
 *  one multiply-add a frame instead of two, and with the sections scaled by
 *  their b0 (the output an addition); a channel without a partner runs as
 *  both lanes of a pair instead of in the scalar chain. The equalizer's
 *  steady bands. */
void mst_biquad_cascades_run_fused_fast (MstBiquadCascade * const *cascades,
    int n_cascades, int n_channels, double *planar, size_t stride,
    float *frames, double gain, int n);

#ifdef __cplusplus
}
#endif
#endif
