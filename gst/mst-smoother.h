/* mastering: parameter smoothers (one-pole glides, linear fades). */
#ifndef MST_SMOOTHER_H
#define MST_SMOOTHER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Time constants follow the pack's one convention (STYLE.md): a one-pole
 * smoother of time constant T covers 63 % (1 - 1/e) of a step in T. A
 * linear fade of "length T" goes from one end to the other in T. */

/** Step coefficient of a one-pole smoother of time constant @tau_ms that
 *  is advanced once every @period_frames frames at @rate_hz:
 *  1 - exp (-period / (rate tau)). */
double mst_smoother_one_pole_coef (double period_frames, double rate_hz,
    double tau_ms);

/** Change per frame of a linear fade across [0, 1] that lasts @length_ms. */
double mst_smoother_fade_step (double rate_hz, double length_ms);

/** Advances *@value one step of the one-pole smoother of coefficient
 *  @coef towards @target; within @snap of it, it lands on it (a glide
 *  ends exactly). True when *@value had not reached @target. */
static inline bool
mst_smoother_one_pole_step (double *value, double target, double coef,
    double snap)
{
  if (*value == target)
    return false;
  *value += coef * (target - *value);
  if (fabs (target - *value) < snap)
    *value = target;
  return true;
}

/** Writes to @ramp the @n next values of a linear fade from @value
 *  (excluded) moving by @step per frame towards @target, where it stays;
 *  returns the last. */
double mst_smoother_fade_fill (double *ramp, double value, double target,
    double step, int n);

/** mst_smoother_fade_fill, the ramp written through the smoothstep
 *  3 r^2 - 2 r^3: a fade whose slope starts and ends at 0, so a crossfade
 *  between signals that differ (in phase: one through an all-pass) bends
 *  the waveform no more than the signals do (a linear fade's corners step
 *  its slope by the difference over the fade's length). Returns the
 *  linear value reached, the one to pass on. */
double mst_smoother_fade_fill_smooth (double *ramp, double value,
    double target, double step, int n);

/** @dst = @dry + @ramp (@dst - @dry): a crossfade from the dry signal
 *  (ramp 0) to @dst (ramp 1). */
void mst_smoother_crossfade (double *dst, const double *dry,
    const double *ramp, int n);

/** A linear fade over @n frames of the channels @channels[k] (k <
 *  @n_channels; all of 0 .. @n_channels - 1 when @channels is NULL) of a
 *  planar block (channel c at @wet + c @stride) from their dry copies
 *  (@dry, the same layout), @value moving by @step per frame towards
 *  @target; returns the value reached. @ramp is scratch of @n values. */
double mst_smoother_fade_planar (double value, double target, double step,
    double *wet, const double *dry, size_t stride, const int *channels,
    int n_channels, int n, double *ramp);

/** A gain in dB that glides: a one-pole smoother advanced once per control
 *  period, the linear gain ramping per sample in between. */
typedef struct {
  double db, target_db;         /* in use, target */
  double lin;                   /* mst_db_to_lin (db) */
} MstGainGlide;

/** Takes the target at once. */
static inline void
mst_gain_glide_jump (MstGainGlide * g)
{
  g->db = g->target_db;
  g->lin = mst_db_to_lin (g->db);
}

/** Applies the gain to @n frames of @n_channels planar channels (channel c
 *  at @planar + c @stride), gliding by one-pole steps of @coef every
 *  @period_frames frames (snapping within @snap_db); @ramp is scratch of
 *  @period_frames values. */
void mst_gain_glide_apply (MstGainGlide * g, double *planar, size_t stride,
    int n_channels, int n, int period_frames, double coef, double snap_db,
    double *ramp);

#ifdef __cplusplus
}
#endif
#endif
