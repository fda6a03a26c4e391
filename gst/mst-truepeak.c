/* mastering: true-peak interpolator design. */
#include "mst-truepeak.h"

/* Power series. */
double
mst_bessel_i0 (double x)
{
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 64; k++) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-17)
      break;
  }
  return sum;
}

void
mst_truepeak_design (float *coef, int factor, int taps, double beta)
{
  const double half = taps / 2;
  const double i0_beta = mst_bessel_i0 (beta);

  for (int p = 1; p < factor; p++) {
    float *h = coef + (size_t) (p - 1) * taps;
    double sum = 0.0;
    double d = (double) p / factor;
    double t_taps[256];

    for (int k = 0; k < taps && k < 256; k++) {
      double t = d - (k - (half - 1.0));
      double r = t / half;
      double sinc = sin (M_PI * t) / (M_PI * t);
      double win = mst_bessel_i0 (beta * sqrt (fmax (0.0, 1.0 - r * r))) / i0_beta;
      t_taps[k] = sinc * win;
      sum += t_taps[k];
    }
    for (int k = 0; k < taps && k < 256; k++)
      h[k] = (float) (t_taps[k] / sum);
  }
}

void
mst_truepeak_design_bs1770 (float *coef, int factor)
{
  const int taps = MST_TRUEPEAK_BS1770_TAPS;
  for (int p = 1; p < factor; p++)
    for (int k = 0; k < taps; k++) {
      double t = (taps / 2 - 1) + (double) p / factor - k;
      double sinc = sin (M_PI * t) / (M_PI * t);
      double hann = 0.5 + 0.5 * cos (M_PI * t / (taps / 2));
      coef[(size_t) (p - 1) * taps + k] = (float) (sinc * hann);
    }
}

bool
mst_truepeak_second_difference_bound (const double *g, int n, int c,
    double *s_out, double *e_out)
{
  enum { MAX_TAPS = 64 };
  if (n < 3 || n > MAX_TAPS || c < 0 || c + 1 >= n)
    return false;
  /* g = a at c + b at c + 1 + D: a + b the sum, b the first moment about
   * c, so that D has neither. */
  double sum = 0.0, moment = 0.0;
  for (int k = 0; k < n; k++) {
    sum += g[k];
    moment += g[k] * (k - c);
  }
  const double a = sum - moment, b = moment;
  double d[MAX_TAPS], f[MAX_TAPS], s1 = 0.0, s2 = 0.0, e = 0.0;
  for (int k = 0; k < n; k++) {
    d[k] = g[k] - (k == c ? a : k == c + 1 ? b : 0.0);
    s1 += d[k];
    s2 += s1;
    f[k] = k < n - 2 ? s2 : 0.0;
    e += fabs (f[k]);
  }
  /* d x = sum f[m] (x[m] - 2 x[m + 1] + x[m + 2]) + what is left. */
  double rest = 0.0;
  for (int k = 0; k < n; k++) {
    double rebuilt = f[k] - (k >= 1 ? 2.0 * f[k - 1] : 0.0)
        + (k >= 2 ? f[k - 2] : 0.0);
    rest += fabs (d[k] - rebuilt);
  }
  *s_out = fabs (a) + fabs (b) + rest;
  *e_out = e;
  return true;
}
