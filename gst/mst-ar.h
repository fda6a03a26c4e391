/* mastering: autoregressive (AR) model block (pure C, no GObject): model
 * estimation, the prediction-error filter and least-squares AR (LSAR)
 * interpolation of missing samples. Used by declick and declip. */
#ifndef MST_AR_H
#define MST_AR_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Highest model order the block takes. */
#define MST_AR_MAX_ORDER 64
/** Solves of a bounded interpolation at most: the samples still short of
 *  their bound after the last are set to it. */
#define MST_AR_MAX_BOUND_PASSES 8

/** The model order for music at @rate_hz (32 at 48 kHz). */
int mst_ar_order_for_rate (double rate_hz);

/* The model of order p is the prediction-error filter
 *   e[n] = sum_{k=0..p} a[k] x[n-k],  a[0] = 1,
 * whose output is white for an AR process (forward error); run backwards,
 * e_b[n] = sum_{k=0..p} a[k] x[n+k] (the same coefficients: the
 * autocorrelation method's model is that of the time-reversed signal
 * too). */

/** Estimates an AR model of @order (1 .. MST_AR_MAX_ORDER) from @n samples
 *  of @x by the autocorrelation method (each sample weighted by @window[i]
 *  when @window is not NULL; @work holds @n + @order doubles) and the
 *  Levinson-Durbin recursion: a[0..order]
 *  with a[0] = 1, and in @err_var (may be NULL) the prediction-error
 *  variance per sample. The model is minimum phase (the autocorrelation
 *  method's Toeplitz matrix is positive definite). A window without energy
 *  (silence) gives a = (1, 0, ..., 0), err_var 0, and false; a NaN found
 *  on the way too. */
bool mst_ar_estimate (const double *x, size_t n, const double *window,
    int order, double *work, double *a, double *err_var);

/** The forward prediction error e[i] = sum_k a[k] x[i - k] for i in 0 ..
 *  @n - 1: @x must be readable from x[-order]. Element-wise over i (the
 *  AVX2 path chosen at run time). */
void mst_ar_error_forward (const double *a, int order, const double *x,
    size_t n, double *e);

/** The backward prediction error e[i] = sum_k a[k] x[i + k] for i in 0 ..
 *  @n - 1: @x must be readable up to x[n - 1 + order]. */
void mst_ar_error_backward (const double *a, int order, const double *x,
    size_t n, double *e);

/** Workspace of the interpolator, sized for the worst case at init. */
typedef struct MstArInterp MstArInterp;

/** A workspace for up to @max_unknowns missing samples spread over at most
 *  @max_span consecutive samples, models up to @max_order; NULL on
 *  failure. */
MstArInterp *mst_ar_interp_init (int max_order, size_t max_unknowns,
    size_t max_span);

void mst_ar_interp_destroy (MstArInterp ** ip);

/** Least-squares AR interpolation (Vaseghi and Rayner, "Detection and
 *  suppression of impulsive noise in speech communication systems", IEE
 *  Proc. I 137 (1), 1990; Janssen, Veldhuis and Vries, IEEE Trans. ASSP 34
 *  (2), 1986): the @m samples x[idx[0]] < ... < x[idx[m-1]] are replaced by
 *  the values that minimise the energy of the model's prediction error
 *  over every error sample they enter, idx[0] .. idx[m-1] + order, the
 *  other samples held. That is the symmetric positive definite system
 *  M u = -A_u^T e_0 with M[i][j] = sum_k a[k] a[k + |idx[i] - idx[j]|]
 *  (the coefficients' autocorrelation, banded: zero beyond the order) and
 *  e_0 the error with the unknowns set to 0, solved by a banded Cholesky.
 *  @x must be readable from x[idx[0] - order] to x[idx[m-1] + order].
 *  MST_ERR_INVALID_ARG when @m or the span exceed the workspace or the
 *  indices are not increasing; the samples are then untouched. */
MstResult mst_ar_interpolate (MstArInterp * ip, const double *a, int order,
    double *x, const size_t *idx, size_t m);

/** mst_ar_interpolate() under a bound per unknown: every restored sample
 *  ends at or beyond @bound[i] on its side (x >= bound when bound > 0,
 *  x <= bound when bound < 0), as a clipped sample's true value lies beyond
 *  the clip level. The unconstrained solution first; the samples that fall
 *  short are set to their bound and held, and the others solved again,
 *  until none falls short (an active set that only grows), or after
 *  MST_AR_MAX_BOUND_PASSES solves, the samples short then set to their
 *  bound. Returns the number of samples held at their bound in @n_held
 *  (may be NULL). */
MstResult mst_ar_interpolate_bounded (MstArInterp * ip, const double *a,
    int order, double *x, const size_t *idx, size_t m, const double *bound,
    size_t *n_held);

#ifdef __cplusplus
}
#endif
#endif
