/* mastering: gain apply block, the output stage of a gain computer (pure
 * C, no GObject). */
#ifndef MST_GAINAPPLY_H
#define MST_GAINAPPLY_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Writes @n_frames interleaved frames of @src times their gains to @dst:
 *  frame i, channel c gets gains[c][i] (gains[0][i] for all with
 *  @shared_gain), clamped to +-ceilings[i] (in F32 to the largest float not
 *  above it), a guard against what rounding could leave above a ceiling.
 *  @one_ceiling says every ceilings[i] is ceilings[0]. @src and @dst are
 *  float or double as @fmt says; they may be the same. Returns the
 *  smallest gain applied (+inf for no frames). */
double mst_gain_apply (const double *const *gains, bool shared_gain,
    const void *src, void *dst, int n_frames, int channels,
    const double *ceilings, bool one_ceiling, MstFormat fmt);

/** Writes @n_periods periods of @k frames (a multiple of 4)
 *  of interleaved stereo F32 @src times gains that ramp linearly, period
 *  by period, to @dst (may be @src): period 0 goes from @from to
 *  @first_to, period p > 0 from the end of period p - 1 to
 *  @next_to[p - 1]; frame t of a period gets from + @ramp[t] (to - from),
 *  @ramp[k - 1] being 1 (a control-rate gain, its ramps never written
 *  out). The products are taken in double and rounded to float, as
 *  mst_gain_apply's. */
void mst_gain_apply_ramps_stereo_f32 (const double *ramp, size_t k,
    double from, double first_to, const double *next_to, size_t n_periods,
    const float *src, float *dst);

/** mst_gain_apply for stereo F32 frames under one @ceiling with one gain
 *  for both channels, the gains given as mst_lookahead_gain_points gives
 *  them (@points, @phase) and made on the way, bit for bit as
 *  mst_lookahead_gain_write_gains makes them: no array of gains written
 *  and read back. *@last_gain gets frame @n_frames - 1's gain. Returns
 *  the smallest gain applied (+inf for no frames). */
double mst_gain_apply_points_stereo_f32 (const double *points, int phase,
    const float *src, float *dst, int n_frames, double ceiling,
    double *last_gain);

/** The smallest of @x[0 .. @n - 1] and @init. */
double mst_gain_min (const double *x, int n, double init);

#ifdef __cplusplus
}
#endif
#endif
