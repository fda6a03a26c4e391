/* mastering: parameter smoothers. */
#include "mst-smoother.h"

double
mst_smoother_one_pole_coef (double period_frames, double rate_hz,
    double tau_ms)
{
  return 1.0 - exp (-period_frames / (rate_hz * tau_ms * 1e-3));
}

double
mst_smoother_fade_step (double rate_hz, double length_ms)
{
  return 1.0 / (rate_hz * length_ms * 1e-3);
}

double
mst_smoother_fade_fill (double *ramp, double value, double target,
    double step, int n)
{
  for (int i = 0; i < n; i++) {
    if (value < target)
      value = fmin (target, value + step);
    else if (value > target)
      value = fmax (target, value - step);
    ramp[i] = value;
  }
  return value;
}

void
mst_smoother_crossfade (double *dst, const double *dry, const double *ramp,
    int n)
{
  for (int i = 0; i < n; i++)
    dst[i] = dry[i] + ramp[i] * (dst[i] - dry[i]);
}
