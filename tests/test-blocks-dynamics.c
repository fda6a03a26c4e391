/* The dynamics blocks on plain arrays: the gain computer's static curve
 * against the closed-form formulas of Giannoulis, Massberg & Reiss 2012
 * (JAES 60(6)), the level detector's time constants, RMS, stereo link,
 * non-finite input, subnormal cost and settings validation. */
#include "mst-gain-computer.h"
#include "mst-level-detector.h"
#include "mst-cpu.h"
#include "mst-vmath.h"
#include "mst-signals.h"
#include "mst-test.h"
#include "mst-valgrind.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000

/* Checks that @set rejects the settings @ok with @field changed to @value
 * (uses a local settings struct s). */
#define REJECT(set, obj, field, value) do { \
    s = ok; s.field = value; \
    MST_CHECK_MSG (set (obj, &s) == MST_ERR_INVALID_ARG, "%s = %g", \
        #field, (double) (value)); \
  } while (0)

/* ---- Gain computer ---- */

/* Giannoulis et al. 2012, the soft-knee compressor: output level y, gain
 * y - x. */
static double
compressor_gain_closed_form (double x, double t, double r, double w)
{
  double y;
  if (2.0 * (x - t) < -w)
    y = x;
  else if (2.0 * fabs (x - t) <= w)
    y = x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0)
        / (2.0 * w);
  else
    y = t + (x - t) / r;
  return y - x;
}

/* Its mirror image, the downward expander the header documents. */
static double
expander_gain_closed_form (double x, double t, double r, double w)
{
  if (2.0 * (x - t) > w)
    return 0.0;
  if (2.0 * fabs (x - t) <= w)
    return (1.0 - r) * (x - t - w / 2.0) * (x - t - w / 2.0) / (2.0 * w);
  return (r - 1.0) * (x - t);
}

static MstGainComputer *
computer (MstGainComputerMode mode, double t, double r, double w)
{
  MstGainComputer *gc = mst_gain_computer_init ();
  MstGainComputerSettings s;
  mst_gain_computer_settings_default (&s);
  s.mode = mode;
  s.threshold_db = t;
  s.ratio = r;
  s.knee_db = w;
  MST_CHECK (gc && mst_gain_computer_set (gc, &s) == MST_OK);
  return gc;
}

static double
gain_at (MstGainComputer * gc, double x)
{
  double g = NAN;
  MST_CHECK (mst_gain_computer_process (gc, &x, &g, 1) == MST_OK);
  return g;
}

static void
test_curve_closed_form (void)
{
  const double thresholds[] = { -40.0, -20.0, -6.0, 0.0 };
  const double ratios[] = { 1.5, 2.0, 4.0, 10.0, 100.0 };
  const double knees[] = { 0.0, 1.0, 6.0, 12.0, 24.0 };
  for (size_t ti = 0; ti < 4; ti++)
    for (size_t ri = 0; ri < 5; ri++)
      for (size_t ki = 0; ki < 5; ki++) {
        double t = thresholds[ti], r = ratios[ri], w = knees[ki];
        MstGainComputer *gc = computer (MST_GAIN_COMPUTER_COMPRESS, t, r, w);
        /* Below, in (both halves) and above the knee, and its edges. */
        double xs[] = { t - 60.0, t - w / 2.0 - 0.5, t - w / 2.0,
          t - w / 4.0, t, t + w / 4.0, t + w / 2.0, t + w / 2.0 + 0.5,
          t + 30.0
        };
        double level[9], gain[9];
        memcpy (level, xs, sizeof (xs));
        MST_CHECK (mst_gain_computer_process (gc, level, gain, 9) == MST_OK);
        for (int i = 0; i < 9; i++) {
          double want = w > 0.0 ? compressor_gain_closed_form (xs[i], t, r, w)
              : (xs[i] > t ? (t + (xs[i] - t) / r) - xs[i] : 0.0);
          MST_CHECK_MSG (fabs (gain[i] - want) <= 1e-9,
              "T %g R %g W %g x %g: %.12f, expected %.12f", t, r, w, xs[i],
              gain[i], want);
        }
        mst_gain_computer_destroy (&gc);
      }
}

static void
test_curve_unity_and_infinity (void)
{
  /* Ratio 1: unity whatever the knee. */
  MstGainComputer *gc = computer (MST_GAIN_COMPUTER_COMPRESS, -20, 1.0, 12);
  for (double x = -200.0; x <= 200.0; x += 0.25)
    MST_CHECK_MSG (gain_at (gc, x) == 0.0, "x %g", x);
  mst_gain_computer_destroy (&gc);
  gc = computer (MST_GAIN_COMPUTER_EXPAND, -20, 1.0, 12);
  for (double x = -200.0; x <= 200.0; x += 0.25)
    MST_CHECK_MSG (gain_at (gc, x) == 0.0, "x %g", x);
  mst_gain_computer_destroy (&gc);

  /* Ratio infinity: the output level stays at T above the knee; in it the
   * closed form with 1/R = 0. */
  for (double w = 0.0; w <= 12.0; w += 6.0) {
    gc = computer (MST_GAIN_COMPUTER_COMPRESS, -10, INFINITY, w);
    for (double x = -10.0 + w / 2.0 + 0.01; x < 100.0; x += 3.7)
      MST_CHECK_CLOSE (gain_at (gc, x) + x, -10.0, 1e-9);
    if (w > 0.0)
      for (double x = -10.0 - w / 2.0; x <= -10.0 + w / 2.0; x += 0.5)
        MST_CHECK_CLOSE (gain_at (gc, x), compressor_gain_closed_form (x,
                -10.0, INFINITY, w), 1e-9);
    mst_gain_computer_destroy (&gc);
  }
}

/* Value and slope continuity at the knee's edges, from both sides. */
static void
check_knee_continuity (MstGainComputerMode mode, double t, double r, double w)
{
  MstGainComputer *gc = computer (mode, t, r, w);
  const double h = 1e-4;
  for (int edge = -1; edge <= 1; edge += 2) {
    double b = t + edge * w / 2.0;
    double below = gain_at (gc, b - h), at = gain_at (gc, b),
        above = gain_at (gc, b + h);
    /* Value: the steps either side are of the order of slope x h. */
    MST_CHECK_MSG (fabs (above - at) <= 2.0 * h * r
        && fabs (at - below) <= 2.0 * h * r, "mode %d edge %d", mode, edge);
    /* Slope: the one-sided differences agree to O(h / W). */
    double left = (at - below) / h, right = (above - at) / h;
    MST_CHECK_MSG (fabs (left - right) <= 4.0 * h * r / w,
        "mode %d R %g W %g edge %d: slopes %.8f and %.8f", mode, r, w, edge,
        left, right);
  }
  /* The outer slopes are those of the two lines. */
  double lo = t - w / 2.0 - 1.0, hi = t + w / 2.0 + 1.0;
  double slope_lo = (gain_at (gc, lo) - gain_at (gc, lo - 1.0));
  double slope_hi = (gain_at (gc, hi + 1.0) - gain_at (gc, hi));
  if (mode == MST_GAIN_COMPUTER_COMPRESS) {
    MST_CHECK_CLOSE (slope_lo, 0.0, 1e-12);
    MST_CHECK_CLOSE (slope_hi, 1.0 / r - 1.0, 1e-9);
  } else {
    MST_CHECK_CLOSE (slope_lo, r - 1.0, 1e-9);
    MST_CHECK_CLOSE (slope_hi, 0.0, 1e-12);
  }
  mst_gain_computer_destroy (&gc);
}

static void
test_knee_continuity (void)
{
  const double ratios[] = { 1.5, 4.0, 20.0 };
  const double knees[] = { 2.0, 6.0, 24.0 };
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) {
      check_knee_continuity (MST_GAIN_COMPUTER_COMPRESS, -18.0, ratios[i],
          knees[k]);
      check_knee_continuity (MST_GAIN_COMPUTER_EXPAND, -50.0, ratios[i],
          knees[k]);
    }
}

static void
test_expander_range_makeup (void)
{
  const double ratios[] = { 1.5, 2.0, 10.0, 1000.0 };
  const double knees[] = { 0.0, 3.0, 10.0 };
  for (int ri = 0; ri < 4; ri++)
    for (int ki = 0; ki < 3; ki++) {
      double r = ratios[ri], w = knees[ki];
      MstGainComputer *gc = computer (MST_GAIN_COMPUTER_EXPAND, -40, r, w);
      for (double x = -120.0; x <= 10.0; x += 0.37) {
        double want = w > 0.0 ? expander_gain_closed_form (x, -40, r, w)
            : (x < -40 ? (r - 1.0) * (x + 40) : 0.0);
        MST_CHECK_MSG (fabs (gain_at (gc, x) - want) <= 1e-9 * (1 + r),
            "R %g W %g x %g", r, w, x);
      }
      mst_gain_computer_destroy (&gc);
    }

  /* A gate: a steep expander floored at the range, plus makeup; the
   * linear output is the factor of the dB one. */
  MstGainComputer *gc = mst_gain_computer_init ();
  MstGainComputerSettings s;
  mst_gain_computer_settings_default (&s);
  s.mode = MST_GAIN_COMPUTER_EXPAND;
  s.threshold_db = -50.0;
  s.ratio = 100.0;
  s.knee_db = 0.0;
  s.range_db = -40.0;
  s.makeup_db = 3.0;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_OK);
  double level[] = { -200.0, -60.0, -50.3, -50.0, -49.0, 0.0 };
  double want[] = { -37.0, -37.0, -30.0 + 3.0 - 0.0, 3.0, 3.0, 3.0 };
  want[2] = 99.0 * (-0.3) + 3.0;
  double g[6], lin[6];
  mst_gain_computer_process (gc, level, g, 6);
  mst_gain_computer_process_lin (gc, level, lin, 6);
  for (int i = 0; i < 6; i++) {
    MST_CHECK_CLOSE (g[i], want[i], 1e-9);
    MST_CHECK_CLOSE (lin[i], pow (10.0, want[i] / 20.0), 1e-12);
  }
  /* The range floors a compressor too. */
  s.mode = MST_GAIN_COMPUTER_COMPRESS;
  s.threshold_db = -30.0;
  s.ratio = INFINITY;
  s.range_db = -12.0;
  s.makeup_db = 0.0;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_OK);
  MST_CHECK_CLOSE (gain_at (gc, -25.0), -5.0, 1e-12);
  MST_CHECK_CLOSE (gain_at (gc, 0.0), -12.0, 1e-12);
  /* In place. */
  double inplace[] = { -25.0, 0.0 };
  mst_gain_computer_process (gc, inplace, inplace, 2);
  MST_CHECK_CLOSE (inplace[0], -5.0, 1e-12);
  MST_CHECK_CLOSE (inplace[1], -12.0, 1e-12);
  mst_gain_computer_destroy (&gc);
}

static void
test_gain_computer_nonfinite (void)
{
  MstGainComputer *gc = computer (MST_GAIN_COMPUTER_COMPRESS, -20, 4, 6);
  MST_CHECK (mst_gain_computer_configure (gc) == MST_OK);
  double level[] = { -10.0, NAN, INFINITY, -INFINITY, -10.0 };
  double g[5];
  MST_CHECK (mst_gain_computer_process (gc, level, g, 5) == MST_OK);
  for (int i = 0; i < 5; i++)
    MST_CHECK_MSG (isfinite (g[i]), "gain %d = %g", i, g[i]);
  MST_CHECK_CLOSE (g[0], -7.5, 1e-12);
  MST_CHECK (g[4] == g[0]);
  MST_CHECK (g[1] == 0.0 && g[3] == 0.0);       /* read as the floor */
  MST_CHECK_CLOSE (g[2], -20.0 + 220.0 / 4.0 - 200.0, 1e-9);
  MST_CHECK (mst_gain_computer_get_nonfinite_count (gc) == 2);
  MST_CHECK (mst_gain_computer_configure (gc) == MST_OK);
  MST_CHECK (mst_gain_computer_get_nonfinite_count (gc) == 0);
  mst_gain_computer_destroy (&gc);
}

static void
test_gain_computer_validation (void)
{
  MstGainComputer *gc = mst_gain_computer_init ();
  MstGainComputerSettings ok, s;
  mst_gain_computer_settings_default (&ok);
  MST_CHECK (mst_gain_computer_set (gc, &ok) == MST_OK);
  double before = gain_at (gc, 0.0);

  REJECT (mst_gain_computer_set, gc, mode,
      (MstGainComputerMode) (MST_GAIN_COMPUTER_UPWARD + 1));
  REJECT (mst_gain_computer_set, gc, threshold_db, NAN);
  REJECT (mst_gain_computer_set, gc, threshold_db,
      MST_GAIN_COMPUTER_MIN_THRESHOLD_DB - 1.0);
  REJECT (mst_gain_computer_set, gc, threshold_db,
      MST_GAIN_COMPUTER_MAX_THRESHOLD_DB + 1.0);
  REJECT (mst_gain_computer_set, gc, ratio, 0.99);
  REJECT (mst_gain_computer_set, gc, ratio, 0.0);
  REJECT (mst_gain_computer_set, gc, ratio, -2.0);
  REJECT (mst_gain_computer_set, gc, ratio, NAN);
  REJECT (mst_gain_computer_set, gc, knee_db, -0.1);
  REJECT (mst_gain_computer_set, gc, knee_db,
      MST_GAIN_COMPUTER_MAX_KNEE_DB + 1.0);
  REJECT (mst_gain_computer_set, gc, knee_db, NAN);
  REJECT (mst_gain_computer_set, gc, range_db, 0.5);
  REJECT (mst_gain_computer_set, gc, range_db, NAN);
  REJECT (mst_gain_computer_set, gc, makeup_db,
      MST_GAIN_COMPUTER_MAX_MAKEUP_DB + 1.0);
  REJECT (mst_gain_computer_set, gc, makeup_db,
      -MST_GAIN_COMPUTER_MAX_MAKEUP_DB - 1.0);
  REJECT (mst_gain_computer_set, gc, makeup_db, NAN);
  /* An infinite ratio is a limiter's, not an expander's. */
  s = ok;
  s.mode = MST_GAIN_COMPUTER_EXPAND;
  s.ratio = INFINITY;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_ERR_INVALID_ARG);
  s.ratio = MST_GAIN_COMPUTER_MAX_EXPAND_RATIO + 1.0;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_ERR_INVALID_ARG);
  /* One bad field among good changes: nothing applied. */
  s = ok;
  s.threshold_db = -40.0;
  s.ratio = 0.5;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (gain_at (gc, 0.0) == before);
  s = ok;
  s.range_db = -INFINITY;
  MST_CHECK (mst_gain_computer_set (gc, &s) == MST_OK);
  MST_CHECK (mst_gain_computer_set (NULL, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_gain_computer_set (gc, NULL) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_gain_computer_process (gc, NULL, NULL, 1)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_gain_computer_process (NULL, NULL, NULL, 0)
      == MST_ERR_INVALID_ARG);
  mst_gain_computer_destroy (&gc);
  mst_gain_computer_destroy (&gc);
}

/* ---- Level detector ---- */

static MstLevelDetector *
detector (int channels, MstLevelDetectorMode mode, double attack_ms,
    double release_ms, double link)
{
  MstLevelDetector *det = mst_level_detector_init (channels);
  MstLevelDetectorSettings s;
  mst_level_detector_settings_default (&s);
  s.mode = mode;
  s.attack_ms = attack_ms;
  s.release_ms = release_ms;
  s.link = link;
  MST_CHECK (det && mst_level_detector_configure (det, RATE, channels)
      == MST_OK);
  MST_CHECK (mst_level_detector_set (det, &s) == MST_OK);
  return det;
}

/* Runs @x (float, then as doubles) through a fresh copy of the setup and
 * checks both widths agree within float rounding; returns the f64 run's
 * linear levels in @lin. */
static void
run_lin (int channels, MstLevelDetectorMode mode, double attack_ms,
    double release_ms, const float *x, size_t n, double *lin)
{
  double *xd = malloc (n * channels * sizeof (double));
  double *l32 = malloc (n * channels * sizeof (double));
  mst_signal_to_f64 (x, xd, n * channels);
  MstLevelDetector *det = detector (channels, mode, attack_ms, release_ms,
      0.0);
  MST_CHECK (mst_level_detector_process_lin_f64 (det, xd, n, lin) == MST_OK);
  mst_level_detector_reset (det);
  MST_CHECK (mst_level_detector_process_lin_f32 (det, x, n, l32) == MST_OK);
  double worst = 0.0;
  for (size_t i = 0; i < n * channels; i++)
    worst = fmax (worst, fabs (l32[i] - lin[i]));
  MST_CHECK_MSG (worst == 0.0, "f32 and f64 differ by %g", worst);
  mst_level_detector_destroy (&det);
  free (xd);
  free (l32);
}

/* A step covers 63.2 % of its way at T, in amplitude (PEAK) or in power
 * (RMS), attack and release. */
static void
test_time_constants (void)
{
  const double attack_ms = 10.0, release_ms = 120.0;
  const size_t t_att = (size_t) (attack_ms * 1e-3 * RATE);
  const size_t t_rel = (size_t) (release_ms * 1e-3 * RATE);
  const size_t up = 1000, down = up + RATE;   /* step frames */
  const size_t n = down + 3 * t_rel;
  const double level = 0.5, reach = 1.0 - exp (-1.0);
  float *x = malloc (n * sizeof (float));
  double *lin = malloc (n * sizeof (double));
  mst_signal_step_dc (x, n, 1, up, level);
  for (size_t i = down; i < n; i++)
    x[i] = 0.0f;
  for (int mode = MST_LEVEL_DETECTOR_PEAK; mode <= MST_LEVEL_DETECTOR_RMS;
      mode++) {
    bool power = mode == MST_LEVEL_DETECTOR_RMS;
    run_lin (1, mode, attack_ms, release_ms, x, n, lin);
    double full = power ? level * level : level;
    /* After k frames of the new value the envelope has covered 1 - a^k
     * of the step; frame up + k - 1 is the k-th. */
    double att = lin[up + t_att - 1], rel = lin[down + t_rel - 1];
    if (power) {
      att *= att;
      rel *= rel;
    }
    MST_CHECK_MSG (fabs (att / full - reach) <= 0.01 * reach,
        "mode %d attack: %.5f of the step at T", mode, att / full);
    MST_CHECK_MSG (fabs ((full - rel) / full - reach) <= 0.01 * reach,
        "mode %d release: %.5f of the step at T", mode, (full - rel) / full);
    /* Monotonic approach, settled before the release step. */
    MST_CHECK (lin[up + t_att / 2] < lin[up + t_att - 1]);
    MST_CHECK_CLOSE (lin[down - 1], level, 1e-9);
  }
  free (x);
  free (lin);
}

/* The RMS of a sine is its peak / sqrt 2, within 0.01 dB once settled, in
 * both RMS modes. */
static void
test_rms_of_sine (void)
{
  const size_t n = RATE;        /* 1 s */
  const double amp = 0.5, want_db = 20.0 * log10 (amp / sqrt (2.0));
  float *x = malloc (n * 2 * sizeof (float));
  double *xd = malloc (n * 2 * sizeof (double));
  double *db = malloc (n * 2 * sizeof (double));
  mst_signal_sine (x, n, 2, RATE, 1000.0, amp, 0.3);
  mst_signal_to_f64 (x, xd, n * 2);
  for (int mode = MST_LEVEL_DETECTOR_RMS;
      mode <= MST_LEVEL_DETECTOR_RMS_WINDOW; mode++) {
    MstLevelDetector *det;
    if (mode == MST_LEVEL_DETECTOR_RMS) {
      det = detector (2, mode, 50.0, 50.0, 0.0);
    } else {
      /* A window of whole periods (10 ms of 1 kHz), no smoothing. */
      det = detector (2, mode, 0.0, 0.0, 0.0);
    }
    for (int f64 = 0; f64 <= 1; f64++) {
      mst_level_detector_reset (det);
      if (f64)
        mst_level_detector_process_f64 (det, xd, n, db);
      else
        mst_level_detector_process_f32 (det, x, n, db);
      double worst = 0.0;
      for (size_t i = n / 2 * 2; i < n * 2; i++)
        worst = fmax (worst, fabs (db[i] - want_db));
      MST_CHECK_MSG (worst <= 0.01, "mode %d f64 %d: off by %.4f dB", mode,
          f64, worst);
    }
    mst_level_detector_destroy (&det);
  }
  free (x);
  free (xd);
  free (db);
}

/* The windowed RMS against a direct sum over the window, across several
 * ring turns and with odd process sizes: the running sum does not drift. */
static void
test_window_exact (void)
{
  const size_t n = RATE * 2;
  float *x = malloc (n * sizeof (float));
  double *lin = malloc (n * sizeof (double));
  mst_signal_music (x, n, 1, RATE, 11);
  MstLevelDetector *det = detector (1, MST_LEVEL_DETECTOR_RMS_WINDOW, 0, 0,
      0);
  MstLevelDetectorSettings s;
  mst_level_detector_settings_default (&s);
  s.mode = MST_LEVEL_DETECTOR_RMS_WINDOW;
  s.attack_ms = s.release_ms = 0.0;
  s.window_ms = 7.3;
  MST_CHECK (mst_level_detector_set (det, &s) == MST_OK);
  const size_t w = (size_t) round (7.3e-3 * RATE);
  size_t done = 0, step = 1;
  while (done < n) {
    size_t m = n - done < step ? n - done : step;
    mst_level_detector_process_lin_f32 (det, x + done, m, lin + done);
    done += m;
    step = step * 7 % 4099 + 1;
  }
  double worst = 0.0;
  for (size_t i = w; i < n; i += 97) {
    double sum = 0.0;
    for (size_t k = i + 1 - w; k <= i; k++)
      sum += (double) x[k] * x[k];
    double want = sqrt (sum / w);
    if (want > 1e-3)
      worst = fmax (worst, fabs (lin[i] - want) / want);
  }
  MST_CHECK_MSG (worst <= 1e-9, "relative error %g", worst);
  free (x);
  free (lin);
  mst_level_detector_destroy (&det);
}

static void
test_stereo_link (void)
{
  const size_t n = 64;
  float x[2 * 64];
  double lin[2 * 64];
  for (size_t i = 0; i < n; i++) {
    x[2 * i] = i % 2 ? -1.0f : 1.0f;
    x[2 * i + 1] = 0.5f;
  }
  struct {
    MstLevelDetectorMode mode;
    MstLevelDetectorLinkMode link_mode;
    double link, left, right;
  } cases[] = {
    {MST_LEVEL_DETECTOR_PEAK, MST_LEVEL_DETECTOR_LINK_MAX, 0.0, 1.0, 0.5},
    {MST_LEVEL_DETECTOR_PEAK, MST_LEVEL_DETECTOR_LINK_MAX, 1.0, 1.0, 1.0},
    {MST_LEVEL_DETECTOR_PEAK, MST_LEVEL_DETECTOR_LINK_MAX, 0.5, 1.0, 0.75},
    {MST_LEVEL_DETECTOR_PEAK, MST_LEVEL_DETECTOR_LINK_MEAN, 1.0, 0.75, 0.75},
    {MST_LEVEL_DETECTOR_PEAK, MST_LEVEL_DETECTOR_LINK_MEAN, 0.5, 0.875,
        0.625},
    /* RMS envelopes are linked in power. */
    {MST_LEVEL_DETECTOR_RMS, MST_LEVEL_DETECTOR_LINK_MEAN, 1.0,
        0.790569415042095, 0.790569415042095},
    {MST_LEVEL_DETECTOR_RMS, MST_LEVEL_DETECTOR_LINK_MAX, 0.5, 1.0,
        0.790569415042095},
  };
  for (size_t k = 0; k < sizeof (cases) / sizeof (cases[0]); k++) {
    MstLevelDetector *det = detector (2, cases[k].mode, 0.0, 0.0,
        cases[k].link);
    MstLevelDetectorSettings s;
    mst_level_detector_settings_default (&s);
    s.mode = cases[k].mode;
    s.attack_ms = s.release_ms = 0.0;
    s.link = cases[k].link;
    s.link_mode = cases[k].link_mode;
    MST_CHECK (mst_level_detector_set (det, &s) == MST_OK);
    mst_level_detector_process_lin_f32 (det, x, n, lin);
    MST_CHECK_CLOSE (lin[2 * (n - 1)], cases[k].left, 1e-12);
    MST_CHECK_CLOSE (lin[2 * (n - 1) + 1], cases[k].right, 1e-12);
    /* The dB output is the same level. */
    double db[2 * 64];
    mst_level_detector_reset (det);
    mst_level_detector_process_f32 (det, x, n, db);
    MST_CHECK_CLOSE (db[2 * (n - 1) + 1], 20.0 * log10 (cases[k].right),
        1e-9);
    mst_level_detector_destroy (&det);
  }
}

/* peaks_over gathers what process_planar_lin's row holds at or above the
 * threshold, bit for bit, counts the same non-finite samples and leaves
 * the same state: a switch afterwards to a peak detector with a release
 * (the envelopes) or to RMS (the ring) measures the next block alike.
 * Refused for a detector that is not linked or not instant. */
static void
test_peaks_over (void)
{
  enum { N = 1023 };
  static double x[3 * N], row[N], over[N + 3], next_a[3 * N], next_b[3 * N];
  static uint16_t at[N + 3];
  for (int channels = 1; channels <= 3; channels++)
    for (int then = 0; then < 2; then++) {
      uint32_t seed = 7u + (uint32_t) channels;
      for (int i = 0; i < 3 * N; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = ((seed >> 8) / 16777216.0 - 0.5) * (i % 97 == 0 ? 4.0 : 1.0);
      }
      x[5] = NAN;
      x[N + 17] = -INFINITY;
      x[2 * N - 1] = 3e10;
      MstLevelDetector *a = detector (channels, MST_LEVEL_DETECTOR_PEAK, 0.0,
          0.0, 1.0);
      MstLevelDetector *b = detector (channels, MST_LEVEL_DETECTOR_PEAK, 0.0,
          0.0, 1.0);
      const double thr = 0.4;
      MST_CHECK (mst_level_detector_process_planar_lin (a, x, N, N, row, N,
              NULL) == MST_OK);
      size_t m = 0;
      MST_CHECK (mst_level_detector_peaks_over (b, x, N, N, thr, over, at,
              &m) == MST_OK);
      size_t want = 0;
      bool same = true;
      for (size_t i = 0; i < N; i++)
        if (row[i] >= thr) {
          same &= want < m && at[want] == i && over[want] == row[i];
          want++;
        }
      MST_CHECK_MSG (same && want == m, "%d channels: %zu over, %zu wanted",
          channels, m, want);
      MST_CHECK (mst_level_detector_get_nonfinite_count (a)
          == mst_level_detector_get_nonfinite_count (b));
      MST_CHECK (mst_level_detector_get_nonfinite_count (b) > 0);
      MstLevelDetectorSettings s;
      mst_level_detector_settings_default (&s);
      s.mode = then ? MST_LEVEL_DETECTOR_RMS_WINDOW : MST_LEVEL_DETECTOR_PEAK;
      s.attack_ms = 0.0;
      s.release_ms = 50.0;
      s.link = 0.0;
      MST_CHECK (mst_level_detector_set (a, &s) == MST_OK);
      MST_CHECK (mst_level_detector_set (b, &s) == MST_OK);
      for (int i = 0; i < 3 * N; i++)
        x[i] *= 0.25;
      mst_level_detector_process_planar_lin (a, x, N, N, next_a, N, NULL);
      mst_level_detector_process_planar_lin (b, x, N, N, next_b, N, NULL);
      MST_CHECK (memcmp (next_a, next_b, sizeof (double) * N * channels)
          == 0);
      if (channels > 1)
        MST_CHECK (mst_level_detector_peaks_over (b, x, N, N, thr, over, at,
                &m) == MST_ERR_INVALID_ARG);
      mst_level_detector_destroy (&a);
      mst_level_detector_destroy (&b);
    }
  MstLevelDetector *d = detector (1, MST_LEVEL_DETECTOR_PEAK, 1.0, 0.0, 1.0);
  size_t m = 0;
  MST_CHECK (mst_level_detector_peaks_over (d, x, N, N, 0.1, over, at, &m)
      == MST_ERR_INVALID_ARG);
  mst_level_detector_destroy (&d);
}

/* mst_vmath_exp (the gains of every dynamics stage): its AVX-512 path
 * (where the machine has it) gives the AVX2 path's bits, from underflow
 * to overflow, n not a multiple of eight; within 4 ulp of libm's exp of
 * the argument rounded once (the vector paths' fused multiply-add) or
 * twice, for |scale x + offset| <= 40 (gains of +-347 dB). */
static void
test_vmath_exp_paths (void)
{
  enum { N = 4099 };
  static double x[N], wide[N], narrow[N];
  uint32_t seed = 3;
  for (int i = 0; i < N; i++) {
    seed = seed * 1664525u + 1013904223u;
    const double u = (seed >> 8) / 16777216.0;
    x[i] = i % 3 == 0 ? -745.0 + 1455.0 * u : i % 3 == 1 ? -30.0 + 60.0 * u
        : -1e-3 * u;
  }
  const double scale = M_LN10 / 20.0 * 8.0, offset = 0.25;
  for (int i = 0; i < N; i++)
    x[i] /= 8.0;
  mst_vmath_exp (x, scale, offset, wide, N);
  const char *v = getenv ("MST_DISABLE_AVX512");
  char *saved = v ? strdup (v) : NULL;
  setenv ("MST_DISABLE_AVX512", "1", 1);
  mst_cpu_reread_environment ();
  mst_vmath_exp (x, scale, offset, narrow, N);
  if (saved)
    setenv ("MST_DISABLE_AVX512", saved, 1);
  else
    unsetenv ("MST_DISABLE_AVX512");
  free (saved);
  mst_cpu_reread_environment ();
  MST_CHECK (memcmp (wide, narrow, sizeof wide) == 0);
  int far = 0;
  for (int i = 0; i < N; i++) {
    const double arg = scale * x[i] + offset, want = exp (arg);
    const double fused = exp (fma (x[i], scale, offset));
    far += fabs (arg) <= 40.0 && !(fabs (wide[i] - want) <= 4.0
        * DBL_EPSILON * want || fabs (wide[i] - fused) <= 4.0 * DBL_EPSILON
        * fused);
  }
  MST_CHECK_MSG (far == 0, "%d beyond 4 ulp", far);
}

/* Unlinked, each channel of a multichannel run measures what a mono run
 * of that channel does, bit for bit, whatever the channel count (pairs and
 * a last single channel). */
static void
test_channels_independent (void)
{
  const size_t n = 3000;
  for (int nch = 1; nch <= MST_MAX_CHANNELS; nch++) {
    float *x = malloc (n * nch * sizeof (float));
    float *mono = malloc (n * sizeof (float));
    double *all = malloc (n * nch * sizeof (double));
    double *one = malloc (n * sizeof (double));
    mst_signal_white_noise (x, n, nch, -20.0, 17 + nch);
    for (int mode = MST_LEVEL_DETECTOR_PEAK;
        mode <= MST_LEVEL_DETECTOR_RMS_WINDOW; mode++) {
      MstLevelDetector *det = detector (nch, mode, 3.0, 30.0, 0.0);
      mst_level_detector_process_f32 (det, x, n, all);
      mst_level_detector_destroy (&det);
      for (int c = 0; c < nch; c++) {
        for (size_t i = 0; i < n; i++)
          mono[i] = x[i * nch + c];
        det = detector (1, mode, 3.0, 30.0, 0.0);
        mst_level_detector_process_f32 (det, mono, n, one);
        mst_level_detector_destroy (&det);
        bool same = true;
        for (size_t i = 0; i < n; i++)
          same = same && one[i] == all[i * nch + c];
        MST_CHECK_MSG (same, "%d channels, mode %d, channel %d", nch, mode,
            c);
      }
    }
    free (x);
    free (mono);
    free (all);
    free (one);
  }
}

/* Mode and window changes while playing carry on from the envelope: a
 * steady signal keeps its level. */
static void
test_changes_while_playing (void)
{
  const size_t n = RATE / 2;
  float *x = malloc (n * sizeof (float));
  double *db = malloc (n * sizeof (double));
  mst_signal_step_dc (x, n, 1, 0, -0.5);
  MstLevelDetector *det = detector (1, MST_LEVEL_DETECTOR_PEAK, 1.0, 50.0,
      0);
  MstLevelDetectorSettings s;
  mst_level_detector_settings_default (&s);
  s.attack_ms = 1.0;
  s.release_ms = 50.0;
  const size_t part = n / 4;
  const MstLevelDetectorMode modes[] = { MST_LEVEL_DETECTOR_PEAK,
    MST_LEVEL_DETECTOR_RMS, MST_LEVEL_DETECTOR_RMS_WINDOW,
    MST_LEVEL_DETECTOR_PEAK
  };
  const double windows[] = { 10.0, 10.0, 5.0, 20.0 };
  for (int p = 0; p < 4; p++) {
    s.mode = modes[p];
    s.window_ms = windows[p];
    MST_CHECK (mst_level_detector_set (det, &s) == MST_OK);
    mst_level_detector_process_f32 (det, x + p * part, part,
        db + p * part);
  }
  double worst = 0.0;
  for (size_t i = part / 2; i < n; i++)
    worst = fmax (worst, fabs (db[i] - 20.0 * log10 (0.5)));
  MST_CHECK_MSG (worst <= 1e-9, "level moved by %g dB", worst);
  free (x);
  free (db);
  mst_level_detector_destroy (&det);
}

/* NaN and Inf input: finite levels, the same as with silence in their
 * place (the state was not reached), and a count. */
static void
test_nonfinite_recovery (void)
{
  const size_t n = 4096;
  for (int mode = MST_LEVEL_DETECTOR_PEAK;
      mode <= MST_LEVEL_DETECTOR_RMS_WINDOW; mode++) {
    float *x = malloc (n * 2 * sizeof (float));
    float *clean = malloc (n * 2 * sizeof (float));
    double *xd = malloc (n * 2 * sizeof (double));
    double *a = malloc (n * 2 * sizeof (double));
    double *b = malloc (n * 2 * sizeof (double));
    mst_signal_music (x, n, 2, RATE, 5);
    x[2 * 100] = NAN;
    x[2 * 1000 + 1] = INFINITY;
    x[2 * 3000] = -INFINITY;
    memcpy (clean, x, n * 2 * sizeof (float));
    clean[2 * 100] = clean[2 * 1000 + 1] = clean[2 * 3000] = 0.0f;
    MstLevelDetector *det = detector (2, mode, 5.0, 50.0, 0.7);
    MstLevelDetector *ref = detector (2, mode, 5.0, 50.0, 0.7);
    mst_level_detector_process_f32 (det, x, n, a);
    mst_level_detector_process_f32 (ref, clean, n, b);
    bool finite = true, same = true;
    for (size_t i = 0; i < 2 * n; i++) {
      finite = finite && isfinite (a[i]);
      same = same && a[i] == b[i];
    }
    MST_CHECK_MSG (finite, "mode %d", mode);
    MST_CHECK_MSG (same, "mode %d", mode);
    MST_CHECK (mst_level_detector_get_nonfinite_count (det) == 3);
    /* The same in doubles, and NaN/Inf in double ranges; the count keeps
     * rising until configure. */
    mst_signal_to_f64 (x, xd, n * 2);
    xd[7] = -NAN;
    mst_level_detector_reset (det);
    mst_level_detector_process_f64 (det, xd, n, a);
    for (size_t i = 0; i < 2 * n; i++)
      finite = finite && isfinite (a[i]);
    MST_CHECK (finite);
    MST_CHECK (mst_level_detector_get_nonfinite_count (det) == 7);
    /* Huge finite input stays finite too (read as +200 dBFS). */
    xd[9] = 1e300;
    mst_level_detector_process_f64 (det, xd, n, a);
    for (size_t i = 0; i < 2 * n; i++)
      finite = finite && isfinite (a[i]) && a[i] <= 200.0 + 1e-9;
    MST_CHECK (finite);
    MST_CHECK (mst_level_detector_configure (det, RATE, 2) == MST_OK);
    MST_CHECK (mst_level_detector_get_nonfinite_count (det) == 0);
    mst_level_detector_destroy (&det);
    mst_level_detector_destroy (&ref);
    free (x);
    free (clean);
    free (xd);
    free (a);
    free (b);
  }
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best of several runs of the detector over @x (f32 or its doubles). */
static double
time_detector (MstLevelDetector * det, const float *x, const double *xd,
    size_t n, double *out)
{
  double best = INFINITY;
  for (int run = 0; run < 5; run++) {
    mst_level_detector_reset (det);
    double t0 = now_s ();
    if (xd)
      mst_level_detector_process_f64 (det, xd, n, out);
    else
      mst_level_detector_process_f32 (det, x, n, out);
    best = fmin (best, now_s () - t0);
  }
  return best;
}

/* Subnormal input, and envelopes decaying after loud input, cost no more
 * than normal input (a generous bound: the machine is shared). */
static void
test_subnormal_cost (void)
{
  const size_t n = RATE;
  float *loud = malloc (n * 2 * sizeof (float));
  float *tiny = malloc (n * 2 * sizeof (float));
  double *loud_d = malloc (n * 2 * sizeof (double));
  double *tiny_d = malloc (n * 2 * sizeof (double));
  double *out = malloc (n * 2 * sizeof (double));
  mst_signal_white_noise (loud, n, 2, -10.0, 3);
  mst_signal_to_f64 (loud, loud_d, n * 2);
  for (size_t i = 0; i < n * 2; i++) {
    tiny[i] = (i % 3 ? 1e-39f : -3e-42f);
    tiny_d[i] = (i % 3 ? 1e-310 : -3e-320);
  }
  for (int mode = MST_LEVEL_DETECTOR_PEAK;
      mode <= MST_LEVEL_DETECTOR_RMS_WINDOW; mode++) {
    MstLevelDetector *det = detector (2, mode, 1.0, 20.0, 0.5);
    double t_loud = time_detector (det, loud, NULL, n, out);
    double t_tiny = time_detector (det, tiny, NULL, n, out);
    double t_loud_d = time_detector (det, NULL, loud_d, n, out);
    double t_tiny_d = time_detector (det, NULL, tiny_d, n, out);
    /* Silence after loud input: the envelopes decay through the
     * subnormal range. */
    double best = INFINITY;
    for (int run = 0; run < 5; run++) {
      mst_level_detector_process_f32 (det, loud, n / 8, out);
      double t0 = now_s ();
      mst_level_detector_process_f32 (det, tiny, n, out);
      best = fmin (best, now_s () - t0);
    }
    MST_CHECK_MSG (t_tiny <= 3.0 * t_loud, "mode %d f32: %.2f ms vs %.2f ms",
        mode, t_tiny * 1e3, t_loud * 1e3);
    MST_CHECK_MSG (t_tiny_d <= 3.0 * t_loud_d,
        "mode %d f64: %.2f ms vs %.2f ms", mode, t_tiny_d * 1e3,
        t_loud_d * 1e3);
    MST_CHECK_MSG (best <= 3.0 * t_loud, "mode %d decay: %.2f ms vs %.2f ms",
        mode, best * 1e3, t_loud * 1e3);
    mst_level_detector_destroy (&det);
  }
  free (loud);
  free (tiny);
  free (loud_d);
  free (tiny_d);
  free (out);
}

static void
test_detector_validation (void)
{
  MST_CHECK (mst_level_detector_init (0) == NULL);
  MST_CHECK (mst_level_detector_init (MST_MAX_CHANNELS + 1) == NULL);
  MstLevelDetector *det = mst_level_detector_init (2);
  float x[4] = { 0.5f, 0.5f, 0.5f, 0.5f };
  double out[4];
  /* Nothing to measure before configure. */
  MST_CHECK (mst_level_detector_process_f32 (det, x, 2, out)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, 7999, 2)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, NAN, 2)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, 384001, 2)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, RATE, 3)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, RATE, 0)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_configure (det, RATE, 2) == MST_OK);

  MstLevelDetectorSettings ok, s;
  mst_level_detector_settings_default (&ok);
  ok.attack_ms = ok.release_ms = 0.0;
  MST_CHECK (mst_level_detector_set (det, &ok) == MST_OK);
  REJECT (mst_level_detector_set, det, mode, (MstLevelDetectorMode) 3);
  REJECT (mst_level_detector_set, det, link_mode,
      (MstLevelDetectorLinkMode) 2);
  REJECT (mst_level_detector_set, det, attack_ms, -1.0);
  REJECT (mst_level_detector_set, det, attack_ms, NAN);
  REJECT (mst_level_detector_set, det, attack_ms,
      MST_LEVEL_DETECTOR_MAX_TIME_MS * 2);
  REJECT (mst_level_detector_set, det, release_ms, -0.001);
  REJECT (mst_level_detector_set, det, release_ms, INFINITY);
  REJECT (mst_level_detector_set, det, window_ms, 0.0);
  REJECT (mst_level_detector_set, det, window_ms,
      MST_LEVEL_DETECTOR_MIN_WINDOW_MS / 2);
  REJECT (mst_level_detector_set, det, window_ms,
      MST_LEVEL_DETECTOR_MAX_WINDOW_MS + 1);
  REJECT (mst_level_detector_set, det, window_ms, NAN);
  REJECT (mst_level_detector_set, det, link, -0.1);
  REJECT (mst_level_detector_set, det, link, 1.1);
  REJECT (mst_level_detector_set, det, link, NAN);
  /* A bad field among good changes: nothing applied (attack 0 still). */
  s = ok;
  s.attack_ms = 1000.0;
  s.link = 2.0;
  MST_CHECK (mst_level_detector_set (det, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_process_lin_f32 (det, x, 2, out) == MST_OK);
  MST_CHECK (out[0] == 0.5);
  MST_CHECK (mst_level_detector_set (NULL, &ok) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_set (det, NULL) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_process_f32 (det, NULL, 2, out)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_process_f32 (det, x, 2, NULL)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_level_detector_process_f32 (det, NULL, 0, NULL) == MST_OK);
  mst_level_detector_destroy (&det);
  mst_level_detector_destroy (&det);
}

/* Allocation failures: init gives NULL, configure MST_ERR_NOMEM and keeps
 * the configuration it had; set, process and reset never allocate. Counts
 * (and fails on request) the calls to glibc's allocator. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define HAVE_ALLOC_HOOK 1
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
static long alloc_calls, alloc_fail_call = -1;

static bool
alloc_fails (void)
{
  return alloc_calls++ == alloc_fail_call;
}

void *
malloc (size_t n)
{
  return alloc_fails ()? NULL : __libc_malloc (n);
}

void *
calloc (size_t n, size_t size)
{
  return alloc_fails ()? NULL : __libc_calloc (n, size);
}

static void
test_allocation (void)
{
  long first = alloc_calls;
  MstLevelDetector *det = mst_level_detector_init (2);
  long n_init = alloc_calls - first;
  MST_CHECK (det && n_init >= 1);
  mst_level_detector_destroy (&det);
  for (long k = 0; k < n_init; k++) {
    alloc_fail_call = alloc_calls + k;
    det = mst_level_detector_init (2);
    alloc_fail_call = -1;
    MST_CHECK_MSG (det == NULL, "allocation %ld of %ld failed", k, n_init);
    mst_level_detector_destroy (&det);
  }
  alloc_fail_call = alloc_calls;
  MstGainComputer *gc = mst_gain_computer_init ();
  alloc_fail_call = -1;
  MST_CHECK (gc == NULL);

  det = detector (2, MST_LEVEL_DETECTOR_RMS_WINDOW, 1.0, 10.0, 0.5);
  gc = computer (MST_GAIN_COMPUTER_COMPRESS, -20, 4, 6);
  alloc_fail_call = alloc_calls;
  MST_CHECK (mst_level_detector_configure (det, 96000, 2) == MST_ERR_NOMEM);
  alloc_fail_call = -1;

  float x[2 * 512];
  double level[2 * 512], gain[2 * 512];
  mst_signal_white_noise (x, 512, 2, -20.0, 1);
  MstLevelDetectorSettings ds;
  mst_level_detector_settings_default (&ds);
  MstGainComputerSettings gs;
  mst_gain_computer_settings_default (&gs);
  first = alloc_calls;
  for (int mode = MST_LEVEL_DETECTOR_PEAK;
      mode <= MST_LEVEL_DETECTOR_RMS_WINDOW; mode++) {
    ds.mode = mode;
    ds.window_ms = 5.0 + mode;
    MST_CHECK (mst_level_detector_set (det, &ds) == MST_OK);
    MST_CHECK (mst_gain_computer_set (gc, &gs) == MST_OK);
    /* Still configured at 48 kHz after the failed configure. */
    MST_CHECK (mst_level_detector_process_f32 (det, x, 512, level) == MST_OK);
    MST_CHECK (mst_gain_computer_process (gc, level, gain, 2 * 512)
        == MST_OK);
    MST_CHECK (mst_gain_computer_process_lin (gc, level, gain, 2 * 512)
        == MST_OK);
    mst_level_detector_reset (det);
    mst_gain_computer_reset (gc);
  }
  MST_CHECK_MSG (alloc_calls == first, "%ld allocations while streaming",
      alloc_calls - first);
  mst_level_detector_destroy (&det);
  mst_gain_computer_destroy (&gc);
}
#endif

int
main (void)
{
  MST_RUN (test_curve_closed_form);
  MST_RUN (test_curve_unity_and_infinity);
  MST_RUN (test_knee_continuity);
  MST_RUN (test_expander_range_makeup);
  MST_RUN (test_gain_computer_nonfinite);
  MST_RUN (test_gain_computer_validation);
  MST_RUN (test_time_constants);
  MST_RUN (test_rms_of_sine);
  MST_RUN (test_window_exact);
  MST_RUN (test_stereo_link);
  MST_RUN (test_peaks_over);
  MST_RUN (test_vmath_exp_paths);
  MST_RUN (test_channels_independent);
  MST_RUN (test_changes_while_playing);
  MST_RUN (test_nonfinite_recovery);
  MST_RUN (test_subnormal_cost);
  MST_RUN (test_detector_validation);
#ifdef HAVE_ALLOC_HOOK
  MST_RUN_UNLESS_VALGRIND (test_allocation);
#else
  MST_SKIP_NO_INTERPOSITION (test_allocation);
#endif
  return mst_test_summary ();
}
