/* mastering: static gain computer (see mst-gain-computer.h). */
#include "mst-gain-computer.h"
#include "mst-cpu.h"

#include <stdlib.h>

/* The gain of the three modes in one branch-free form. With d = s (x - T)
 * (s = 1 compressing, -1 expanding or raising: the distance into the region
 * the curve acts on) and k the slope of the gain there (1/R - 1
 * compressing, 1 - R expanding, both <= 0; 1 - 1/R >= 0 raising), the Giannoulis curve and its mirror are
 *   g = k (u^2 / 2W + max (d - W/2, 0)),  u = clamp (d + W/2, 0, W):
 * 0 before the knee, the quadratic in it, k d after it. With W = 0, u is 0
 * and the term with 1/2W (kept at 0) drops out: the hard knee. */
struct MstGainComputer {
  MstGainComputerSettings set;
  double side;                  /* s */
  double slope;                 /* k */
  double half_knee;             /* W / 2 */
  double inv_two_knee;          /* 1 / 2W, 0 for a hard knee */
  double boost_cap;             /* UPWARD: the largest gain; else +inf */
  uint64_t nonfinite;
};

void
mst_gain_computer_settings_default (MstGainComputerSettings * s)
{
  s->mode = MST_GAIN_COMPUTER_COMPRESS;
  s->threshold_db = -20.0;
  s->ratio = 4.0;
  s->knee_db = 6.0;
  s->range_db = -INFINITY;
  s->makeup_db = 0.0;
}

static void
update_curve (MstGainComputer * gc)
{
  const MstGainComputerSettings *s = &gc->set;
  bool compress = s->mode == MST_GAIN_COMPUTER_COMPRESS;
  bool upward = s->mode == MST_GAIN_COMPUTER_UPWARD;
  gc->side = compress ? 1.0 : -1.0;
  gc->slope = compress ? 1.0 / s->ratio - 1.0
      : upward ? 1.0 - 1.0 / s->ratio : 1.0 - s->ratio;
  gc->boost_cap = !upward ? INFINITY
      : -s->range_db < MST_GAIN_COMPUTER_MAX_BOOST_DB ? -s->range_db
      : MST_GAIN_COMPUTER_MAX_BOOST_DB;
  gc->half_knee = 0.5 * s->knee_db;
  /* A knee under 1e-6 dB is hard: 1 / 2W of a subnormal W is infinite, and
   * gave a gain of -Inf (tests/fuzz/corpus/dynamics/subnormal-knee). */
  gc->inv_two_knee = s->knee_db > 1e-6 ? 0.5 / s->knee_db : 0.0;
}

MstGainComputer *
mst_gain_computer_init (void)
{
  MstGainComputer *gc = calloc (1, sizeof (MstGainComputer));
  if (!gc)
    return NULL;
  mst_gain_computer_settings_default (&gc->set);
  update_curve (gc);
  return gc;
}

void
mst_gain_computer_destroy (MstGainComputer ** gc)
{
  if (!gc || !*gc)
    return;
  free (*gc);
  *gc = NULL;
}

MstResult
mst_gain_computer_configure (MstGainComputer * gc)
{
  if (!gc)
    return MST_ERR_INVALID_ARG;
  gc->nonfinite = 0;
  return MST_OK;
}

void
mst_gain_computer_reset (MstGainComputer * gc)
{
  (void) gc;
}

bool
mst_gain_computer_settings_valid (const MstGainComputerSettings * s)
{
  double max_ratio = s->mode == MST_GAIN_COMPUTER_EXPAND ?
      MST_GAIN_COMPUTER_MAX_EXPAND_RATIO : INFINITY;
  return (unsigned) s->mode <= MST_GAIN_COMPUTER_UPWARD
      && s->threshold_db >= MST_GAIN_COMPUTER_MIN_THRESHOLD_DB
      && s->threshold_db <= MST_GAIN_COMPUTER_MAX_THRESHOLD_DB
      && s->ratio >= 1.0 && s->ratio <= max_ratio
      && s->knee_db >= 0.0 && s->knee_db <= MST_GAIN_COMPUTER_MAX_KNEE_DB
      && s->range_db <= 0.0
      && fabs (s->makeup_db) <= MST_GAIN_COMPUTER_MAX_MAKEUP_DB;
}

MstResult
mst_gain_computer_set (MstGainComputer * gc, const MstGainComputerSettings * s)
{
  if (!gc || !s || !mst_gain_computer_settings_valid (s))
    return MST_ERR_INVALID_ARG;
  /* The curve's constants are a few operations: recomputed whatever
   * changed. */
  gc->set = *s;
  update_curve (gc);
  return MST_OK;
}

uint64_t
mst_gain_computer_get_nonfinite_count (const MstGainComputer * gc)
{
  return gc ? gc->nonfinite : 0;
}

/* The curve over a block; ternaries rather than fmin/fmax so the compiler
 * vectorises without finite-math flags. */
MST_ALWAYS_INLINE uint64_t
curve (const MstGainComputer * gc, const double *level_db, double *gain,
    size_t n, bool lin, bool hard)
{
  const double thr = gc->set.threshold_db, side = gc->side;
  const double slope = gc->slope, half_knee = gc->half_knee;
  const double knee = gc->set.knee_db, inv_two_knee = gc->inv_two_knee;
  const double range = gc->set.range_db, makeup = gc->set.makeup_db;
  const double cap = gc->boost_cap;
  /* ln 10 / 20: dB to the natural exponent of the gain factor. */
  const double db_to_exp = 0.11512925464970229;
  uint64_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    double x = level_db[i];
    /* NaN and +INFINITY counted; NaN and -INFINITY fail the first test
     * and read as the floor. */
    bad += (x != x) | (x == INFINITY);
    x = x >= MST_GAIN_COMPUTER_MIN_LEVEL_DB ? x
        : MST_GAIN_COMPUTER_MIN_LEVEL_DB;
    x = x <= MST_GAIN_COMPUTER_MAX_LEVEL_DB ? x
        : MST_GAIN_COMPUTER_MAX_LEVEL_DB;
    double d = side * (x - thr);
    double g;
    if (hard) {
      /* A knee of exactly 0: the knee's term is +0 (u clamped to [0, 0],
       * inv_two_knee 0) and beyond is d over 0: the same value. */
      g = slope * (d > 0.0 ? d : 0.0);
    } else {
      double u = d + half_knee;
      u = u > 0.0 ? u : 0.0;
      u = u < knee ? u : knee;
      double beyond = d - half_knee;
      beyond = beyond > 0.0 ? beyond : 0.0;
      g = slope * (u * u * inv_two_knee + beyond);
    }
    g = g > range ? g : range;
    g = (g < cap ? g : cap) + makeup;
    gain[i] = lin ? exp (g * db_to_exp) : g;
  }
  return bad;
}

MST_VECTORISE_AVX2
static uint64_t
curve_db (const MstGainComputer * gc, const double *level_db, double *gain,
    size_t n)
{
  return gc->set.knee_db == 0.0 ? curve (gc, level_db, gain, n, false, true)
      : curve (gc, level_db, gain, n, false, false);
}

static uint64_t
curve_lin (const MstGainComputer * gc, const double *level_db, double *gain,
    size_t n)
{
  return curve (gc, level_db, gain, n, true, false);
}

static MstResult
run (MstGainComputer * gc, const double *level_db, double *gain, size_t n,
    bool lin)
{
  if (!gc || (n && (!level_db || !gain)))
    return MST_ERR_INVALID_ARG;
  gc->nonfinite += lin ? curve_lin (gc, level_db, gain, n)
      : curve_db (gc, level_db, gain, n);
  return MST_OK;
}

MstResult
mst_gain_computer_process (MstGainComputer * gc, const double *level_db,
    double *gain_db, size_t n)
{
  return run (gc, level_db, gain_db, n, false);
}

MstResult
mst_gain_computer_process_lin (MstGainComputer * gc, const double *level_db,
    double *gain_lin, size_t n)
{
  return run (gc, level_db, gain_lin, n, true);
}
