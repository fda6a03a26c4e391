/* mastering: biquad cascades as a block (history, runners, glides). */
#ifndef MST_BIQUAD_H
#define MST_BIQUAD_H

#include "mst-core.h"
#include "mst-filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest input magnitude the recursive filters take as audio: 1000, or
 *  +60 dBFS. A float stream may carry overs (a mix before its limiter, a
 *  hot gain stage), but +60 dBFS is 36 dB above the most gain any element
 *  of the pack applies (+24 dB), so nothing the pack makes and nothing a
 *  working upstream sends comes near it. Beyond it a sample is a fault
 *  (stale memory, another format's bytes, an overflowed upstream), and it
 *  harms as NaN does: F32 +-FLT_MAX through an eq band of +30 dB overflows
 *  the output to Inf, and a filter's tail from +770 dBFS takes seconds to
 *  fall under the audio (a 30 Hz Q 4 peak decays 8.7 dB per 42 ms: 870 dB
 *  is 4 s) where one from +60 dBFS is gone in well under a second. So the
 *  cores read such samples as silence, as they read NaN and Inf, and count
 *  them with the non-finite ones (mst-core.h). */
#define MST_BIQUAD_MAX_INPUT 1000.0

/** Whether all @n samples of @fmt at @x are finite and within
 *  +-MST_BIQUAD_MAX_INPUT (one comparison a sample: NaN fails it). */
MST_ALWAYS_INLINE bool
mst_biquad_input_sane (const void *x, size_t n, MstFormat fmt)
{
  /* A count of failed comparisons: a reduction the compiler vectorizes. */
  int n_bad = 0;
  if (fmt == MST_FORMAT_F64) {
    const double *d = (const double *) x;
    for (size_t i = 0; i < n; i++)
      n_bad += !(fabs (d[i]) <= MST_BIQUAD_MAX_INPUT);
  } else {
    const float *f = (const float *) x;
    for (size_t i = 0; i < n; i++)
      n_bad += !(fabsf (f[i]) <= (float) MST_BIQUAD_MAX_INPUT);
  }
  return n_bad == 0;
}

/** Copies @n samples of @fmt from @x to @clean (which may be @x), those
 *  that are not finite or beyond +-MST_BIQUAD_MAX_INPUT as 0; returns how
 *  many were. */
MST_ALWAYS_INLINE size_t
mst_biquad_input_clean (const void *x, size_t n, void *clean, MstFormat fmt)
{
  size_t n_bad = 0;
  for (size_t i = 0; i < n; i++) {
    double v = mst_sample_get (fmt, x, i);
    bool bad = !(fabs (v) <= MST_BIQUAD_MAX_INPUT);
    n_bad += bad;
    mst_sample_put (fmt, clean, i, bad ? 0.0 : v);
  }
  return n_bad;
}

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

#ifdef __cplusplus
}
#endif
#endif
