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

#ifdef __cplusplus
}
#endif
#endif
