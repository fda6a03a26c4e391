/* mastering: the true-peak interpolator shared by the meters and the
 * limiter (ITU-R BS.1770-4 Annex 2 asks for oversampling through a
 * low-pass interpolation filter; this filter is ours). */
#ifndef MST_TRUEPEAK_H
#define MST_TRUEPEAK_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Designs the phases 1 .. @factor - 1 of a polyphase interpolator by
 *  @factor: a Kaiser-windowed sinc (@beta) with its cut-off at the input
 *  Nyquist frequency, @taps taps per phase, each phase normalised to unity
 *  gain at DC. Phase 0 is the input itself (the sinc is zero at every other
 *  input sample) and is not stored. Phase p, applied to frames j .. j +
 *  @taps - 1, interpolates at fraction p / @factor between frames
 *  j + @taps/2 - 1 and j + @taps/2. @coef holds (@factor - 1) x @taps. */
void mst_truepeak_design (float *coef, int factor, int taps, double beta);

/** Taps per phase of the meters' interpolator. */
#define MST_TRUEPEAK_BS1770_TAPS 12

/** The interpolator of ITU-R BS.1770-4's meters (Annex 2: 48 taps at 4x,
 *  12 per phase), in the layout of mst_truepeak_design(): a sinc with a
 *  Hann window MST_TRUEPEAK_BS1770_TAPS input samples wide, not normalised,
 *  as libebur128 builds it. The meter (mst-loudness) reads with it, and the
 *  limiter keeps its output under the ceiling by it too, so the two agree.
 *  @coef holds (@factor - 1) x MST_TRUEPEAK_BS1770_TAPS. */
void mst_truepeak_design_bs1770 (float *coef, int factor);

/** How far taps can read beyond the two frames a point falls between, by
 *  second differences. The taps @g[0 .. @n - 1] read x[0 .. @n - 1]; they
 *  are a at @c and b at @c + 1 (a + b their sum, b their first moment
 *  about @c) plus taps of zero sum and first moment, which are the second
 *  difference of f (those taps' cumulative sum, summed again; zero from
 *  f[n - 2] on). So, for any x,
 *    |g x| <= *@s_out X + *@e_out D2
 *  with X the largest |x[k]| and D2 the largest |x[k - 1] - 2 x[k] +
 *  x[k + 1]| (k = 1 .. n - 2): *@e_out = sum |f|, *@s_out = |a| + |b| plus
 *  what the doubles' rounding leaves unexplained (a few 1e-17). For an
 *  interpolator to c + t (0 <= t <= 1, sum s > 0) a + b is s times the
 *  straight line's weights, so *@s_out is s: only x[c] and x[c + 1] need
 *  be at most X. For the difference of two interpolators to the same
 *  point, a and b are what their sums and centres differ by. The bound is
 *  reached: with x[c] = x[c + 1] = 0 and every second difference D2 times
 *  the sign of f there, g x = *@e_out D2. False (nothing written) when @n
 *  is under 3 or over 64, or @c not within it. */
bool mst_truepeak_second_difference_bound (const double *g, int n, int c,
    double *s_out, double *e_out);

/** The modified Bessel function of the first kind, order 0 (for Kaiser
 *  windows). */
double mst_bessel_i0 (double x);

#ifdef __cplusplus
}
#endif
#endif
