/* mastering: autoregressive model block (mst-ar.h).
 *
 * The linear algebra is small and banded: an interpolation solves at most a
 * few hundred unknowns whose matrix has the model order (at most 64) as
 * bandwidth. A banded Cholesky of 30 lines does it in place in the
 * workspace sized at init, so the streaming thread never allocates.
 * LAPACK's dpbsv is the same algorithm (reference LAPACK's dpbtrf runs
 * unblocked at these sizes); linking liblapack and its BLAS for it would
 * add a run-time dependency to the plugin for no speed. */
#include "mst-ar.h"
#include "mst-cpu.h"

#include <stdlib.h>
#include <string.h>

struct MstArInterp {
  int max_order;
  size_t max_unknowns, max_span;
  double *band;                 /* [max_unknowns][max_order + 1]: L */
  double *rhs;                  /* [max_unknowns] */
  double *z;                    /* [max_span + 2 max_order]: the span */
  double *e0;                   /* [max_span + max_order] */
  size_t *free_idx;             /* [max_unknowns] */
  double *free_bound;           /* [max_unknowns] */
};

/* r[k] += y[i] y[i + k] for every k at once: element-wise over the lags,
 * so it vectorises without reassociating a sum. @y has @order zeros past
 * its end. */
MST_VECTORISE_AVX2 static void
autocorrelate (const double *y, size_t n, int order, double *r)
{
  double acc[MST_AR_MAX_ORDER + 1] = { 0 };
  for (size_t i = 0; i < n; i++) {
    const double yi = y[i];
    const double *yk = y + i;
    for (int k = 0; k <= order; k++)
      acc[k] += yi * yk[k];
  }
  memcpy (r, acc, (size_t) (order + 1) * sizeof (double));
}

bool
mst_ar_estimate (const double *x, size_t n, const double *window, int order,
    double *work, double *a, double *err_var)
{
  double r[MST_AR_MAX_ORDER + 1], tmp[MST_AR_MAX_ORDER + 1];
  if (order < 1)
    order = 1;
  if (order > MST_AR_MAX_ORDER)
    order = MST_AR_MAX_ORDER;
  a[0] = 1.0;
  for (int k = 1; k <= order; k++)
    a[k] = 0.0;
  if (err_var)
    *err_var = 0.0;
  if (window)
    for (size_t i = 0; i < n; i++)
      work[i] = x[i] * window[i];
  else
    memcpy (work, x, n * sizeof (double));
  memset (work + n, 0, (size_t) order * sizeof (double));
  autocorrelate (work, n, order, r);
  if (!(r[0] > 0.0) || !isfinite (r[0]))
    return false;
  /* A white-noise floor 90 dB under the frame's power (a "lag window" of
   * the diagonal): keeps the recursion well conditioned on a pure tone or
   * a digital ramp, and costs nothing audible. */
  r[0] *= 1.0 + 1e-9;
  double err = r[0];
  for (int i = 1; i <= order; i++) {
    double acc = r[i];
    for (int k = 1; k < i; k++)
      acc += a[k] * r[i - k];
    const double kappa = -acc / err;
    if (!(fabs (kappa) < 1.0))
      break;                    /* rounding at the edge of stability */
    memcpy (tmp, a, (size_t) i * sizeof (double));
    for (int k = 1; k < i; k++)
      a[k] = tmp[k] + kappa * tmp[i - k];
    a[i] = kappa;
    err *= 1.0 - kappa * kappa;
  }
  for (int k = 1; k <= order; k++)
    if (!isfinite (a[k])) {
      for (int j = 1; j <= order; j++)
        a[j] = 0.0;
      return false;
    }
  if (err_var)
    *err_var = err / (double) n;
  return true;
}

MST_VECTORISE_AVX2 void
mst_ar_error_forward (const double *a, int order, const double *x, size_t n,
    double *e)
{
  for (size_t i = 0; i < n; i++)
    e[i] = x[i];
  for (int k = 1; k <= order; k++) {
    const double ak = a[k];
    const double *xk = x - k;
    for (size_t i = 0; i < n; i++)
      e[i] += ak * xk[i];
  }
}

MST_VECTORISE_AVX2 void
mst_ar_error_backward (const double *a, int order, const double *x,
    size_t n, double *e)
{
  for (size_t i = 0; i < n; i++)
    e[i] = x[i];
  for (int k = 1; k <= order; k++) {
    const double ak = a[k];
    const double *xk = x + k;
    for (size_t i = 0; i < n; i++)
      e[i] += ak * xk[i];
  }
}

MstArInterp *
mst_ar_interp_init (int max_order, size_t max_unknowns, size_t max_span)
{
  size_t band_n;
  if (max_order < 1 || max_order > MST_AR_MAX_ORDER || max_unknowns == 0
      || max_span < max_unknowns
      || !mst_size_mul (max_unknowns, (size_t) max_order + 1, &band_n))
    return NULL;
  MstArInterp *ip = calloc (1, sizeof *ip);
  if (!ip)
    return NULL;
  ip->max_order = max_order;
  ip->max_unknowns = max_unknowns;
  ip->max_span = max_span;
  ip->band = malloc (band_n * sizeof (double));
  ip->rhs = malloc (max_unknowns * sizeof (double));
  ip->z = malloc ((max_span + 2 * (size_t) max_order) * sizeof (double));
  ip->e0 = malloc ((max_span + (size_t) max_order) * sizeof (double));
  ip->free_idx = malloc (max_unknowns * sizeof (size_t));
  ip->free_bound = malloc (max_unknowns * sizeof (double));
  if (!ip->band || !ip->rhs || !ip->z || !ip->e0 || !ip->free_idx
      || !ip->free_bound)
    mst_ar_interp_destroy (&ip);
  return ip;
}

void
mst_ar_interp_destroy (MstArInterp ** ip)
{
  if (!ip || !*ip)
    return;
  free ((*ip)->band);
  free ((*ip)->rhs);
  free ((*ip)->z);
  free ((*ip)->e0);
  free ((*ip)->free_idx);
  free ((*ip)->free_bound);
  free (*ip);
  *ip = NULL;
}

/* Solves M u = rhs in place (rhs becomes u) for the SPD matrix of
 * bandwidth @b whose entries are ra[|idx[i] - idx[j]|] (0 beyond the
 * order); false when it is not numerically positive definite. */
static bool
banded_cholesky_solve (double *band, const double *ra, int order,
    const size_t *idx, size_t m, size_t b, double *rhs)
{
  const size_t w = b + 1;
  /* L[i][j] at band[i * w + (j + b - i)], j in i - b .. i. */
  for (size_t i = 0; i < m; i++) {
    const size_t j0 = i > b ? i - b : 0;
    double *li = band + i * w + (b - i);
    for (size_t j = j0; j <= i; j++) {
      const size_t d = idx[i] - idx[j];
      double s = d <= (size_t) order ? ra[d] : 0.0;
      const double *lj = band + j * w + (b - j);
      const size_t k0 = j > b ? (j - b > j0 ? j - b : j0) : j0;
      for (size_t k = k0; k < j; k++)
        s -= li[k] * lj[k];
      if (j == i) {
        if (!(s > 0.0))
          return false;
        li[i] = sqrt (s);
      } else
        li[j] = s / lj[j];
    }
  }
  for (size_t i = 0; i < m; i++) {      /* L y = rhs */
    const double *li = band + i * w + (b - i);
    double s = rhs[i];
    for (size_t k = i > b ? i - b : 0; k < i; k++)
      s -= li[k] * rhs[k];
    rhs[i] = s / li[i];
  }
  for (size_t i = m; i-- > 0;) {        /* L^T u = y */
    double s = rhs[i];
    for (size_t k = i + 1; k < m && k <= i + b; k++)
      s -= band[k * w + (b - k) + i] * rhs[k];
    rhs[i] = s / band[i * w + b];
  }
  return true;
}

static bool
indices_valid (const MstArInterp * ip, int order, const size_t *idx,
    size_t m)
{
  if (m == 0 || m > ip->max_unknowns || order < 1 || order > ip->max_order
      || idx[0] < (size_t) order)
    return false;
  for (size_t i = 1; i < m; i++)
    if (idx[i] <= idx[i - 1])
      return false;
  return idx[m - 1] - idx[0] + 1 <= ip->max_span;
}

/* One solve for the unknowns @idx (@m), the other samples of @x held. */
static bool
solve (MstArInterp * ip, const double *a, int order, double *x,
    const size_t *idx, size_t m)
{
  double ra[MST_AR_MAX_ORDER + 1];
  const size_t first = idx[0], span = idx[m - 1] - first + 1;
  const size_t p = (size_t) order;
  for (size_t d = 0; d <= p; d++) {
    double s = 0.0;
    for (size_t k = 0; k + d <= p; k++)
      s += a[k] * a[k + d];
    ra[d] = s;
  }
  /* The same floor as the estimate's: M stays positive definite. */
  ra[0] *= 1.0 + 1e-9;
  /* z[j] = x[first - p + j], the unknowns zeroed. */
  double *z = ip->z;
  memcpy (z, x + first - p, (span + 2 * p) * sizeof (double));
  for (size_t i = 0; i < m; i++)
    z[idx[i] - first + p] = 0.0;
  /* e0[r] is the error at first + r, r in 0 .. span + p - 1. */
  mst_ar_error_forward (a, order, z + p, span + p, ip->e0);
  for (size_t i = 0; i < m; i++) {
    const double *e = ip->e0 + (idx[i] - first);
    double s = 0.0;
    for (size_t k = 0; k <= p; k++)
      s += a[k] * e[k];
    ip->rhs[i] = -s;
  }
  size_t b = p < m - 1 ? p : m - 1;
  if (!banded_cholesky_solve (ip->band, ra, order, idx, m, b, ip->rhs))
    return false;
  for (size_t i = 0; i < m; i++)
    if (!isfinite (ip->rhs[i]))
      return false;
  for (size_t i = 0; i < m; i++)
    x[idx[i]] = ip->rhs[i];
  return true;
}

MstResult
mst_ar_interpolate (MstArInterp * ip, const double *a, int order, double *x,
    const size_t *idx, size_t m)
{
  if (!ip || !a || !x || !idx || !indices_valid (ip, order, idx, m))
    return MST_ERR_INVALID_ARG;
  return solve (ip, a, order, x, idx, m) ? MST_OK : MST_ERR_INVALID_ARG;
}

MstResult
mst_ar_interpolate_bounded (MstArInterp * ip, const double *a, int order,
    double *x, const size_t *idx, size_t m, const double *bound,
    size_t *n_held)
{
  if (n_held)
    *n_held = 0;
  if (!ip || !a || !x || !idx || !bound || !indices_valid (ip, order, idx, m))
    return MST_ERR_INVALID_ARG;
  size_t n_free = m, held = 0;
  memcpy (ip->free_idx, idx, m * sizeof (size_t));
  memcpy (ip->free_bound, bound, m * sizeof (double));
  for (int pass = 0; n_free > 0 && pass < MST_AR_MAX_BOUND_PASSES; pass++) {
    if (!solve (ip, a, order, x, ip->free_idx, n_free)) {
      /* Not solvable: every remaining unknown at its bound, which the
       * constraint allows. */
      for (size_t i = 0; i < n_free; i++)
        x[ip->free_idx[i]] = ip->free_bound[i];
      held += n_free;
      break;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n_free; i++) {
      const size_t j = ip->free_idx[i];
      const double bd = ip->free_bound[i];
      if (bd > 0.0 ? x[j] < bd : x[j] > bd) {
        x[j] = bd;
        held++;
      } else {
        ip->free_idx[kept] = j;
        ip->free_bound[kept] = bd;
        kept++;
      }
    }
    if (kept == n_free)
      break;
    n_free = kept;
  }
  if (n_held)
    *n_held = held;
  return MST_OK;
}

int
mst_ar_order_for_rate (double rate_hz)
{
  /* 32 at 48 kHz: "test-declick-core sweep" measures the SDR of 1.5 ms
   * gaps in music against the order, flat within 0.5 dB from 8 to 64 with
   * its top at 32 to 40. */
  int p = (int) lround (rate_hz / 1500.0);
  return p < 12 ? 12 : p > 40 ? 40 : p;
}
