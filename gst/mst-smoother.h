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

/** @dst = @dry + @ramp (@dst - @dry): a crossfade from the dry signal
 *  (ramp 0) to @dst (ramp 1). */
void mst_smoother_crossfade (double *dst, const double *dry,
    const double *ramp, int n);

#ifdef __cplusplus
}
#endif
#endif
