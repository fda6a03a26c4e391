/* mastering: filter design.
 *
 * Analog prototypes are the s-domain transfer functions of R. Bristow-Johnson,
 * "Cookbook formulae for audio EQ biquad filter coefficients" (Audio EQ
 * Cookbook), with its definitions: A = 10^(gain/40), Q as in the cookbook, a
 * shelf's frequency is its midpoint (half its gain in dB). */
#include "mst-filter.h"

#include <string.h>

#define FIT_GRID_POINTS 32
#define FIT_BAND_POINTS 9
#define FIT_MAX_POINTS (FIT_GRID_POINTS + FIT_BAND_POINTS + 3)
/* Poles may move no closer to the unit circle than the bilinear design's,
 * or this radius: near Nyquist, the fit would otherwise trade the band it
 * sees for a resonance at z = -1. */
#define FIT_MIN_POLE_RADIUS_LIMIT 0.999
#define FIT_MAX_ITERATIONS 12
/* Weight of the fit above 0.45 x Nyquist, where no second-order digital
 * section can follow a prototype that keeps changing past Nyquist: there
 * the fit trades accuracy for the band below. */
#define FIT_HIGH_BAND_WEIGHT 0.15
#define FIT_DC_WEIGHT 10.0

bool
mst_filter_params_valid (const MstFilterParams * p)
{
  return p->type >= 0 && p->type < MST_FILTER_N_TYPES
      && p->freq_hz > 0 && isfinite (p->freq_hz)
      && p->q > 0 && isfinite (p->q) && isfinite (p->gain_db)
      && p->slope_db_per_oct >= 6 && p->slope_db_per_oct <= 48;
}

bool
mst_filter_params_equal (const MstFilterParams * a, const MstFilterParams * b)
{
  return a->type == b->type && a->freq_hz == b->freq_hz
      && a->gain_db == b->gain_db && a->q == b->q
      && a->slope_db_per_oct == b->slope_db_per_oct;
}

bool
mst_filter_type_has_gain (MstFilterType type)
{
  return type == MST_FILTER_PEAK || type == MST_FILTER_LOW_SHELF
      || type == MST_FILTER_HIGH_SHELF || type == MST_FILTER_TILT;
}

static int
cut_order (int slope_db_per_oct)
{
  int order = slope_db_per_oct / 6;
  if (order < 1)
    order = 1;
  if (order > 2 * MST_FILTER_MAX_SECTIONS)
    order = 2 * MST_FILTER_MAX_SECTIONS;
  return order;
}

int
mst_filter_n_sections (const MstFilterParams * p)
{
  if (p->type == MST_FILTER_LOW_CUT || p->type == MST_FILTER_HIGH_CUT)
    return (cut_order (p->slope_db_per_oct) + 1) / 2;
  return 1;
}

/* |n2 s^2 + n1 s + n0|^2 at s = j x. */
static inline double
quad_mag2 (double n2, double n1, double n0, double x)
{
  double re = n0 - n2 * x * x, im = n1 * x;
  return re * re + im * im;
}

double
mst_filter_analog_db (const MstFilterParams * p, double freq_hz)
{
  double x = freq_hz / p->freq_hz;
  double a = pow (10.0, p->gain_db / 40.0), sa = sqrt (a), q = p->q;
  double mag2;

  switch (p->type) {
    case MST_FILTER_PEAK:
      mag2 = quad_mag2 (1, a / q, 1, x) / quad_mag2 (1, 1 / (a * q), 1, x);
      break;
    case MST_FILTER_LOW_SHELF:
      mag2 = a * a * quad_mag2 (1, sa / q, a, x) / quad_mag2 (a, sa / q, 1, x);
      break;
    case MST_FILTER_HIGH_SHELF:
      mag2 = a * a * quad_mag2 (a, sa / q, 1, x) / quad_mag2 (1, sa / q, a, x);
      break;
    case MST_FILTER_TILT:
      mag2 = quad_mag2 (a, sa / q, 1, x) / quad_mag2 (1, sa / q, a, x);
      break;
    case MST_FILTER_LOW_CUT:{
      double x2n = pow (x, 2.0 * cut_order (p->slope_db_per_oct));
      mag2 = x2n / (1.0 + x2n);
      break;
    }
    case MST_FILTER_HIGH_CUT:
      mag2 = 1.0 / (1.0 + pow (x, 2.0 * cut_order (p->slope_db_per_oct)));
      break;
    case MST_FILTER_NOTCH:
      mag2 = quad_mag2 (1, 0, 1, x) / quad_mag2 (1, 1 / q, 1, x);
      break;
    case MST_FILTER_BAND_PASS:
      mag2 = quad_mag2 (0, 1 / q, 0, x) / quad_mag2 (1, 1 / q, 1, x);
      break;
    case MST_FILTER_ALL_PASS:
    default:
      mag2 = 1.0;
      break;
  }
  return 10.0 * log10 (mag2);
}

double
mst_biquad_cascade_db (const MstBiquad * s, int n, double freq_hz,
    double rate_hz)
{
  double w = 2.0 * M_PI * freq_hz / rate_hz;
  double c1 = cos (w), s1 = sin (w), c2 = cos (2 * w), s2 = sin (2 * w);
  double db = 0.0;
  for (int i = 0; i < n; i++) {
    double nr = s[i].b0 + s[i].b1 * c1 + s[i].b2 * c2;
    double ni = s[i].b1 * s1 + s[i].b2 * s2;
    double dr = 1.0 + s[i].a1 * c1 + s[i].a2 * c2;
    double di = s[i].a1 * s1 + s[i].a2 * s2;
    db += 10.0 * log10 ((nr * nr + ni * ni) / (dr * dr + di * di));
  }
  return db;
}

bool
mst_biquad_is_stable (const MstBiquad * s)
{
  return fabs (s->a2) < 1.0 && fabs (s->a1) < 1.0 + s->a2;
}

/* Bilinear designs of the Audio EQ Cookbook, frequency pre-warped. */
static void
rbj_design (MstFilterType type, double freq_hz, double gain_db, double q,
    double rate_hz, MstBiquad * out)
{
  double a = pow (10.0, gain_db / 40.0);
  double w0 = 2.0 * M_PI * freq_hz / rate_hz;
  double cw = cos (w0), alpha = sin (w0) / (2.0 * q);
  double b0, b1, b2, a0, a1, a2;

  switch (type) {
    case MST_FILTER_PEAK:
      b0 = 1 + alpha * a;
      b1 = -2 * cw;
      b2 = 1 - alpha * a;
      a0 = 1 + alpha / a;
      a1 = -2 * cw;
      a2 = 1 - alpha / a;
      break;
    case MST_FILTER_LOW_SHELF:{
      double k = 2 * sqrt (a) * alpha;
      b0 = a * ((a + 1) - (a - 1) * cw + k);
      b1 = 2 * a * ((a - 1) - (a + 1) * cw);
      b2 = a * ((a + 1) - (a - 1) * cw - k);
      a0 = (a + 1) + (a - 1) * cw + k;
      a1 = -2 * ((a - 1) + (a + 1) * cw);
      a2 = (a + 1) + (a - 1) * cw - k;
      break;
    }
    case MST_FILTER_HIGH_SHELF:
    case MST_FILTER_TILT:{
      double k = 2 * sqrt (a) * alpha;
      b0 = a * ((a + 1) + (a - 1) * cw + k);
      b1 = -2 * a * ((a - 1) + (a + 1) * cw);
      b2 = a * ((a + 1) + (a - 1) * cw - k);
      a0 = (a + 1) - (a - 1) * cw + k;
      a1 = 2 * ((a - 1) - (a + 1) * cw);
      a2 = (a + 1) - (a - 1) * cw - k;
      if (type == MST_FILTER_TILT) {
        b0 /= a;
        b1 /= a;
        b2 /= a;
      }
      break;
    }
    case MST_FILTER_NOTCH:
      b0 = 1;
      b1 = -2 * cw;
      b2 = 1;
      a0 = 1 + alpha;
      a1 = -2 * cw;
      a2 = 1 - alpha;
      break;
    case MST_FILTER_BAND_PASS:
      b0 = alpha;
      b1 = 0;
      b2 = -alpha;
      a0 = 1 + alpha;
      a1 = -2 * cw;
      a2 = 1 - alpha;
      break;
    case MST_FILTER_ALL_PASS:
    default:
      b0 = 1 - alpha;
      b1 = -2 * cw;
      b2 = 1 + alpha;
      a0 = 1 + alpha;
      a1 = -2 * cw;
      a2 = 1 - alpha;
      break;
  }
  out->b0 = b0 / a0;
  out->b1 = b1 / a0;
  out->b2 = b2 / a0;
  out->a1 = a1 / a0;
  out->a2 = a2 / a0;
}

/* Highest frequency a bilinear design is asked for: it cannot reach Nyquist. */
static double
bilinear_max_freq (double rate_hz)
{
  return 0.49 * rate_hz;
}

MstResult
mst_filter_design_rbj (const MstFilterParams * p, double rate_hz,
    MstBiquad * out)
{
  if (!p || !out || !(rate_hz > 0) || !(p->freq_hz > 0) || !(p->q > 0))
    return MST_ERR_INVALID_ARG;
  rbj_design (p->type, fmin (p->freq_hz, bilinear_max_freq (rate_hz)),
      p->gain_db, p->q, rate_hz, out);
  return MST_OK;
}

/* Solves the n x n system m x = v (m row-major, destroyed) by Gaussian
 * elimination with partial pivoting; false when singular. */
static bool
solve_linear (double *m, double *v, int n)
{
  for (int col = 0; col < n; col++) {
    int pivot = col;
    for (int r = col + 1; r < n; r++)
      if (fabs (m[r * n + col]) > fabs (m[pivot * n + col]))
        pivot = r;
    if (!(fabs (m[pivot * n + col]) > 1e-300))
      return false;
    if (pivot != col) {
      for (int c = 0; c < n; c++) {
        double t = m[col * n + c];
        m[col * n + c] = m[pivot * n + c];
        m[pivot * n + c] = t;
      }
      double t = v[col];
      v[col] = v[pivot];
      v[pivot] = t;
    }
    for (int r = col + 1; r < n; r++) {
      double f = m[r * n + col] / m[col * n + col];
      for (int c = col; c < n; c++)
        m[r * n + c] -= f * m[col * n + c];
      v[r] -= f * v[col];
    }
  }
  for (int r = n - 1; r >= 0; r--) {
    double s = v[r];
    for (int c = r + 1; c < n; c++)
      s -= m[r * n + c] * v[c];
    v[r] = s / m[r * n + r];
  }
  return true;
}

typedef struct {
  int n;
  double c1[FIT_MAX_POINTS], s1[FIT_MAX_POINTS];
  double c2[FIT_MAX_POINTS], s2[FIT_MAX_POINTS];
  double target[FIT_MAX_POINTS];        /* ln |H_analog| */
  double weight[FIT_MAX_POINTS];
} FitPoints;

static void
fit_add_point (FitPoints * fp, const MstFilterParams * p, double f,
    double rate_hz, double weight)
{
  double w = 2.0 * M_PI * f / rate_hz;
  int i = fp->n++;
  fp->c1[i] = cos (w);
  fp->s1[i] = sin (w);
  fp->c2[i] = cos (2 * w);
  fp->s2[i] = sin (2 * w);
  fp->target[i] = mst_filter_analog_db (p, f) * (M_LN10 / 20.0);
  fp->weight[i] = weight;
}

/* Weighted residuals of ln|H| for coefficients x = (b0, b1, b2, a1, a2);
 * returns the cost, or INFINITY. Fills the Jacobian when jac != NULL. */
static double
fit_residuals (const FitPoints * fp, const double *x, double *res, double *jac)
{
  double cost = 0.0;
  for (int i = 0; i < fp->n; i++) {
    double nr = x[0] + x[1] * fp->c1[i] + x[2] * fp->c2[i];
    double ni = -(x[1] * fp->s1[i] + x[2] * fp->s2[i]);
    double dr = 1.0 + x[3] * fp->c1[i] + x[4] * fp->c2[i];
    double di = -(x[3] * fp->s1[i] + x[4] * fp->s2[i]);
    double n2 = nr * nr + ni * ni, d2 = dr * dr + di * di;
    if (!(n2 > 1e-300) || !(d2 > 1e-300))
      return INFINITY;
    double w = fp->weight[i];
    res[i] = w * (0.5 * log (n2 / d2) - fp->target[i]);
    cost += res[i] * res[i];
    if (jac) {
      /* d ln|N| / d b_m = Re(conj(N) z^m) / |N|^2 with z = e^-jw. */
      double *j = jac + 5 * i;
      j[0] = w * nr / n2;
      j[1] = w * (nr * fp->c1[i] - ni * fp->s1[i]) / n2;
      j[2] = w * (nr * fp->c2[i] - ni * fp->s2[i]) / n2;
      j[3] = -w * (dr * fp->c1[i] - di * fp->s1[i]) / d2;
      j[4] = -w * (dr * fp->c2[i] - di * fp->s2[i]) / d2;
    }
  }
  return cost;
}

/* Moves any zero outside the unit circle inside, keeping the magnitude:
 * the analog prototypes are minimum phase, so the section is too. */
static void
make_minimum_phase (MstBiquad * s)
{
  double disc = s->b1 * s->b1 - 4.0 * s->b0 * s->b2;
  if (s->b0 == 0.0)
    return;
  if (disc < 0.0) {
    /* Complex pair of radius sqrt(b2/b0): reversing the polynomial reflects
     * both and keeps |H| on the unit circle. */
    if (fabs (s->b2) > fabs (s->b0)) {
      double t = s->b0;
      s->b0 = s->b2;
      s->b2 = t;
    }
    return;
  }
  double sq = sqrt (disc);
  double r1 = (-s->b1 + sq) / (2.0 * s->b0), r2 = (-s->b1 - sq) / (2.0 * s->b0);
  double gain = s->b0;
  /* |e^jw - r| = |r| |e^jw - 1/r| for real r. */
  if (fabs (r1) > 1.0) {
    gain *= r1;
    r1 = 1.0 / r1;
  }
  if (fabs (r2) > 1.0) {
    gain *= r2;
    r2 = 1.0 / r2;
  }
  s->b0 = gain;
  s->b1 = -gain * (r1 + r2);
  s->b2 = gain * r1 * r2;
}

static double
pole_radius (double a1, double a2)
{
  double disc = a1 * a1 - 4.0 * a2;
  if (disc < 0.0)
    return sqrt (a2);
  double sq = sqrt (disc);
  return fmax (fabs (-a1 + sq), fabs (-a1 - sq)) * 0.5;
}

/* Whether the section stays, from DC to Nyquist, within 1 dB of the range
 * of levels the prototype spans there. Near Nyquist a second-order fit can
 * find a resonance between its points; the bilinear design (at most 0.45
 * fs) is then used instead: off the prototype near Nyquist, but never
 * beyond the gain asked for. */
#define RANGE_CHECK_POINTS 128
static bool
within_prototype_range (const MstFilterParams * p, const MstBiquad * s,
    double rate_hz)
{
  double lo = INFINITY, hi = -INFINITY;
  double nyquist = 0.5 * rate_hz;
  for (int i = 0; i <= RANGE_CHECK_POINTS; i++) {
    double a = mst_filter_analog_db (p, nyquist * i / RANGE_CHECK_POINTS);
    lo = fmin (lo, a);
    hi = fmax (hi, a);
  }
  for (int i = 0; i <= RANGE_CHECK_POINTS; i++) {
    double d = mst_biquad_cascade_db (s, 1, nyquist * i / RANGE_CHECK_POINTS,
        rate_hz);
    if (!(d <= hi + 1.0 && d >= lo - 1.0))
      return false;
  }
  return true;
}

/* Levenberg-Marquardt fit of the five coefficients to the prototype's log
 * magnitude, from the bilinear design. */
static void
matched_design (const MstFilterParams * p, double rate_hz, MstBiquad * out)
{
  FitPoints fp;
  double nyquist = 0.5 * rate_hz;
  double x[5], xn[5], res[FIT_MAX_POINTS], jac[FIT_MAX_POINTS * 5];
  double lambda = 1e-3, cost;

  rbj_design (p->type, fmin (p->freq_hz, 0.45 * rate_hz), p->gain_db, p->q,
      rate_hz, out);
  if (p->gain_db == 0.0)
    return;

  fp.n = 0;
  double f_lo = fmax (1.0, fmin (p->freq_hz / 16.0, p->freq_hz * p->q / 4.0));
  double f_hi = 0.99 * nyquist;
  for (int i = 0; i < FIT_GRID_POINTS; i++) {
    double f = f_lo * pow (f_hi / f_lo, i / (double) (FIT_GRID_POINTS - 1));
    fit_add_point (&fp, p, f, rate_hz,
        f <= 0.45 * nyquist ? 1.0 : FIT_HIGH_BAND_WEIGHT);
  }
  double bandwidth = p->freq_hz / p->q;
  for (int i = 0; i < FIT_BAND_POINTS; i++) {
    double f = p->freq_hz + bandwidth * (2.0 * i / (FIT_BAND_POINTS - 1) - 1);
    if (f > 0.5 && f < 0.995 * nyquist)
      fit_add_point (&fp, p, f, rate_hz,
          f <= 0.45 * nyquist ? 1.0 : FIT_HIGH_BAND_WEIGHT);
  }
  fit_add_point (&fp, p, 0.0, rate_hz, FIT_DC_WEIGHT);
  /* Nyquist itself and just below, so nothing can hide between the grid's
   * last point and Nyquist. */
  fit_add_point (&fp, p, 0.995 * nyquist, rate_hz, FIT_HIGH_BAND_WEIGHT);
  fit_add_point (&fp, p, nyquist, rate_hz, FIT_HIGH_BAND_WEIGHT);
  double max_radius = fmax (FIT_MIN_POLE_RADIUS_LIMIT,
      pole_radius (out->a1, out->a2));

  x[0] = out->b0;
  x[1] = out->b1;
  x[2] = out->b2;
  x[3] = out->a1;
  x[4] = out->a2;
  cost = fit_residuals (&fp, x, res, jac);
  if (!isfinite (cost))
    return;

  for (int it = 0; it < FIT_MAX_ITERATIONS && cost > 1e-16; it++) {
    double jtj[25], grad[5];
    memset (jtj, 0, sizeof jtj);
    memset (grad, 0, sizeof grad);
    for (int i = 0; i < fp.n; i++) {
      const double *j = jac + 5 * i;
      for (int r = 0; r < 5; r++) {
        grad[r] += j[r] * res[i];
        for (int c = r; c < 5; c++)
          jtj[r * 5 + c] += j[r] * j[c];
      }
    }
    for (int r = 0; r < 5; r++)
      for (int c = 0; c < r; c++)
        jtj[r * 5 + c] = jtj[c * 5 + r];

    bool improved = false;
    while (lambda < 1e6) {
      double m[25], step[5];
      memcpy (m, jtj, sizeof m);
      for (int r = 0; r < 5; r++) {
        m[r * 5 + r] *= 1.0 + lambda;
        step[r] = -grad[r];
      }
      if (solve_linear (m, step, 5)) {
        for (int r = 0; r < 5; r++)
          xn[r] = x[r] + step[r];
        MstBiquad trial = { xn[0], xn[1], xn[2], xn[3], xn[4] };
        if (mst_biquad_is_stable (&trial)
            && pole_radius (trial.a1, trial.a2) <= max_radius) {
          double trial_res[FIT_MAX_POINTS];
          double trial_cost = fit_residuals (&fp, xn, trial_res, NULL);
          if (trial_cost < cost) {
            improved = cost - trial_cost > 1e-12 * cost;
            memcpy (x, xn, sizeof x);
            cost = fit_residuals (&fp, x, res, jac);
            lambda = fmax (lambda * 0.1, 1e-7);
            break;
          }
        }
      }
      lambda *= 10.0;
    }
    if (!improved)
      break;
  }

  MstBiquad fitted = { x[0], x[1], x[2], x[3], x[4] };
  make_minimum_phase (&fitted);
  if (mst_biquad_is_stable (&fitted)
      && within_prototype_range (p, &fitted, rate_hz))
    *out = fitted;
}

/* Butterworth cut of the given order as cascaded sections (bilinear,
 * pre-warped so the -3 dB point is exactly at freq_hz). */
static int
butterworth_design (bool high_pass, int order, double freq_hz, double rate_hz,
    MstBiquad * sections)
{
  double k = tan (M_PI * fmin (freq_hz, bilinear_max_freq (rate_hz)) / rate_hz);
  int n = 0;
  for (int i = 0; i < order / 2; i++) {
    /* Pole pair at angle pi (2i + 1) / (2 order) from the imaginary axis. */
    double q = 1.0 / (2.0 * sin (M_PI * (2 * i + 1) / (2.0 * order)));
    double norm = 1.0 / (1.0 + k / q + k * k);
    MstBiquad *s = &sections[n++];
    if (high_pass) {
      s->b0 = norm;
      s->b1 = -2.0 * norm;
      s->b2 = norm;
    } else {
      s->b0 = k * k * norm;
      s->b1 = 2.0 * s->b0;
      s->b2 = s->b0;
    }
    s->a1 = 2.0 * (k * k - 1.0) * norm;
    s->a2 = (1.0 - k / q + k * k) * norm;
  }
  if (order % 2) {
    double norm = 1.0 / (1.0 + k);
    MstBiquad *s = &sections[n++];
    s->b0 = high_pass ? norm : k * norm;
    s->b1 = high_pass ? -norm : k * norm;
    s->b2 = 0.0;
    s->a1 = (k - 1.0) * norm;
    s->a2 = 0.0;
  }
  return n;
}

MstResult
mst_filter_design (const MstFilterParams * p, double rate_hz,
    MstBiquad * sections, int *n_sections)
{
  if (!p || !sections || !n_sections || !(rate_hz > 0)
      || !(p->freq_hz > 0) || !(p->q > 0) || !isfinite (p->gain_db)
      || p->type < 0 || p->type >= MST_FILTER_N_TYPES)
    return MST_ERR_INVALID_ARG;

  switch (p->type) {
    case MST_FILTER_PEAK:
    case MST_FILTER_LOW_SHELF:
    case MST_FILTER_HIGH_SHELF:
    case MST_FILTER_TILT:
      matched_design (p, rate_hz, &sections[0]);
      *n_sections = 1;
      break;
    case MST_FILTER_LOW_CUT:
    case MST_FILTER_HIGH_CUT:
      *n_sections = butterworth_design (p->type == MST_FILTER_LOW_CUT,
          cut_order (p->slope_db_per_oct), p->freq_hz, rate_hz, sections);
      break;
    default:
      rbj_design (p->type, fmin (p->freq_hz, bilinear_max_freq (rate_hz)),
          p->gain_db, p->q, rate_hz, &sections[0]);
      *n_sections = 1;
      break;
  }
  return MST_OK;
}

void
mst_filter_first_order_shelf (double dc_gain, double nyquist_gain,
    double freq_hz, double rate_hz, MstBiquad * out)
{
  double f = fmin (freq_hz, 0.49 * rate_hz);
  double a = dc_gain / nyquist_gain;
  /* |H| at the pre-warped corner is g_nyq sqrt (A) when w = wc / sqrt (A). */
  double w = tan (M_PI * f / rate_hz) / sqrt (a);
  double norm = 1.0 / (1.0 + w);
  out->b0 = nyquist_gain * (1.0 + a * w) * norm;
  out->b1 = nyquist_gain * (a * w - 1.0) * norm;
  out->b2 = 0.0;
  out->a1 = (w - 1.0) * norm;
  out->a2 = 0.0;
}
