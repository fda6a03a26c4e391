/* mastering: parameter smoothers. */
#include "mst-smoother.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

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

double
mst_smoother_fade_fill_smooth (double *ramp, double value, double target,
    double step, int n)
{
  value = mst_smoother_fade_fill (ramp, value, target, step, n);
  for (int i = 0; i < n; i++)
    ramp[i] = ramp[i] * ramp[i] * (3.0 - 2.0 * ramp[i]);
  return value;
}

void
mst_smoother_crossfade (double *dst, const double *dry, const double *ramp,
    int n)
{
  for (int i = 0; i < n; i++)
    dst[i] = dry[i] + ramp[i] * (dst[i] - dry[i]);
}

double
mst_smoother_fade_planar (double value, double target, double step,
    double *wet, const double *dry, size_t stride, const int *channels,
    int n_channels, int n, double *ramp)
{
  value = mst_smoother_fade_fill (ramp, value, target, step, n);
  for (int k = 0; k < n_channels; k++) {
    size_t at = (channels ? channels[k] : k) * stride;
    mst_smoother_crossfade (wet + at, dry + at, ramp, n);
  }
  return value;
}

void
mst_gain_glide_apply (MstGainGlide * g, double *planar, size_t stride,
    int n_channels, int n, int period_frames, double coef, double snap_db,
    double *ramp)
{
  if (g->db == g->target_db) {
    if (g->lin != 1.0)
      for (int c = 0; c < n_channels; c++)
        mst_orc_scale_f64 (planar + c * stride, g->lin, n);
    return;
  }
  for (int offset = 0; offset < n; offset += period_frames) {
    int m = n - offset < period_frames ? n - offset : period_frames;
    double from = g->lin;
    mst_smoother_one_pole_step (&g->db, g->target_db, coef, snap_db);
    g->lin = mst_db_to_lin (g->db);
    double step = (g->lin - from) / m;
    for (int i = 0; i < m; i++)
      ramp[i] = from + step * (i + 1);
    for (int c = 0; c < n_channels; c++) {
      double *x = planar + c * stride + offset;
      for (int i = 0; i < m; i++)
        x[i] *= ramp[i];
    }
  }
}
