/* Tests of the gate element through GStreamer: the closed gain is the
 * range, attack and release are one-pole time constants (63 % of the gain
 * change in dB at T), hold keeps the gate open, hysteresis removes the
 * chatter of a level hovering at the threshold, lookahead opens the gate
 * before the step it answers and is the latency, and as many frames come
 * out as go in. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <math.h>

#include "mst-gstrun.h"

#define RATE MST_RUN_RATE
#define THRESHOLD_DB (-30.0)
/* 1 - 1/e: the share of a step a one-pole covers in one time constant. */
#define ONE_POLE_SHARE (1.0 - exp (-1.0))

static double
db_to_lin (double db)
{
  return pow (10.0, db / 20.0);
}

/* A DC signal whose level (dBFS) is @before_db up to frame @step and
 * @after_db from it: the peak detector reads it exactly, so the gain is
 * out / in at every frame. */
static float *
dc_step (gsize n, gsize step, double before_db, double after_db)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = db_to_lin (i < step ? before_db : after_db);
  return x;
}

/* The gain (dB) of every frame of a DC run through @launch. */
static double *
gain_of_dc (const gchar * launch, const float *x, gsize n,
    GstClockTime * latency_ns)
{
  float *y = g_new (float, n);
  double *g = g_new (double, n);
  fail_unless_equals_uint64 (mst_run_element (launch, x, n, 1, 1024, y,
          latency_ns), n);
  for (gsize i = 0; i < n; i++)
    g[i] = 20.0 * log10 (fabs (y[i] / x[i]));
  g_free (y);
  return g;
}

/* The first time (ms after frame @from, interpolated between frames) at
 * which @g crosses @target_db; -1 when it never does. */
static double
crossing_ms (const double *g, gsize from, gsize n, double target_db)
{
  gboolean above = g[from] > target_db;
  for (gsize i = from + 1; i < n; i++)
    if ((g[i] > target_db) != above) {
      double frac = (target_db - g[i - 1]) / (g[i] - g[i - 1]);
      return (i - 1 - from + frac) * 1000.0 / RATE;
    }
  return -1.0;
}

/* Closed, the gain is the range; above the range, an expander's gain is
 * (ratio - 1) dB per dB below the threshold. */
GST_START_TEST (test_range)
{
  const gsize n = RATE / 2, tail = RATE / 100;
  const double below_db = -20.0;
  const double ranges[] = { -20.0, -40.0, -60.0, -80.0 };
  const double ratios[] = { 20.0, 2.0, 1.5 };

  float *x = dc_step (n, 0, 0.0, THRESHOLD_DB + below_db);
  for (guint r = 0; r < G_N_ELEMENTS (ratios); r++) {
    for (guint k = 0; k < G_N_ELEMENTS (ranges); k++) {
      gchar *launch = g_strdup_printf ("gate threshold=%g range=%g ratio=%g "
          "release=5 hold=0", THRESHOLD_DB, ranges[k], ratios[r]);
      double *g = gain_of_dc (launch, x, n, NULL);
      double expected = fmax ((ratios[r] - 1.0) * below_db, ranges[k]);
      double worst = 0.0;
      for (gsize i = n - tail; i < n; i++) {
        fail_unless (fabs (g[i] - expected) <= 0.1, "%s: %.3f dB, not %.3f",
            launch, g[i], expected);
        worst = fmax (worst, fabs (g[i] - expected));
      }
      g_print ("gate ratio %g range %g: closed gain within %.4f dB of %g\n",
          ratios[r], ranges[k], worst, expected);
      g_free (g);
      g_free (launch);
    }
  }
  g_free (x);
}
GST_END_TEST;

/* A 30 dB level step across the threshold: the gain covers 63 % of its
 * change in dB (the range) at attack (opening) and at release (closing),
 * within 10 %. */
GST_START_TEST (test_time_constants)
{
  const gsize n = RATE, step = RATE / 4;
  const double range_db = -40.0;
  const double times_ms[] = { 1.0, 5.0, 20.0, 100.0 };
  /* Opening: the gain from the range to 0 dB; closing: back. */
  const struct
  {
    const gchar *what;
    double before_db, after_db, gain_before_db, gain_after_db;
  } steps[] = {
    {"attack", -20.0, 10.0, range_db, 0.0},
    {"release", 10.0, -20.0, 0.0, range_db},
  };

  for (guint k = 0; k < G_N_ELEMENTS (times_ms); k++) {
    for (guint s = 0; s < G_N_ELEMENTS (steps); s++) {
      double t = times_ms[k];
      float *x = dc_step (n, step, THRESHOLD_DB + steps[s].before_db,
          THRESHOLD_DB + steps[s].after_db);
      /* The other time constant at 1 ms: the gain settles before. */
      gchar *launch = g_strdup_printf ("gate threshold=%g range=%g hold=0 "
          "attack=1 release=1 %s=%g", THRESHOLD_DB, range_db,
          steps[s].what, t);
      double *g = gain_of_dc (launch, x, n, NULL);
      fail_unless (fabs (g[step - 1] - steps[s].gain_before_db) < 0.01);
      double at = crossing_ms (g, step, n, steps[s].gain_before_db
          + ONE_POLE_SHARE * (steps[s].gain_after_db
              - steps[s].gain_before_db));
      g_print ("gate %s %g ms: 63 %% at %.4f ms\n", steps[s].what, t, at);
      fail_unless (fabs (at - t) <= 0.1 * t, "%s %g ms: 63 %% at %.3f ms",
          steps[s].what, t, at);
      g_free (g);
      g_free (launch);
      g_free (x);
    }
  }
}
GST_END_TEST;

/* After the level falls, the gate stays fully open for hold ms, then
 * closes with the release time constant. */
GST_START_TEST (test_hold)
{
  const gsize n = RATE, step = RATE / 4;
  const double range_db = -40.0, release_ms = 20.0;
  const double holds_ms[] = { 0.0, 30.0, 100.0 };
  float *x = dc_step (n, step, THRESHOLD_DB + 10.0, THRESHOLD_DB - 20.0);

  for (guint k = 0; k < G_N_ELEMENTS (holds_ms); k++) {
    double hold = holds_ms[k];
    gchar *launch = g_strdup_printf ("gate threshold=%g range=%g attack=1 "
        "release=%g hold=%g", THRESHOLD_DB, range_db, release_ms, hold);
    double *g = gain_of_dc (launch, x, n, NULL);
    gsize hold_frames = (gsize) llround (hold * RATE / 1000.0);
    for (gsize i = step; i < step + hold_frames; i++)
      fail_unless (g[i] == 0.0, "%s: %.4f dB at %.2f ms into the hold",
          launch, g[i], (i - step) * 1000.0 / RATE);
    /* Then the release: 63 % of the range at hold + release. */
    double at = crossing_ms (g, step + hold_frames, n,
        range_db * ONE_POLE_SHARE);
    g_print ("gate hold %g ms: open through it, 63 %% of the release %.4f "
        "ms after it\n", hold, at);
    fail_unless (fabs (at - release_ms) <= 0.1 * release_ms,
        "%s: 63 %% %.3f ms after the hold", launch, at);
    g_free (g);
    g_free (launch);
  }
  g_free (x);
}
GST_END_TEST;

/* Level (dB re the threshold) of the chatter test: 0.3 s 12 dB below, then
 * 4 s wandering within +-1 dB of the threshold, then 0.3 s 12 dB below. */
#define QUIET_S 0.3
#define WANDER_S 4.0
static double
wandering_level_db (double t)
{
  if (t < QUIET_S || t >= QUIET_S + WANDER_S)
    return -12.0;
  t -= QUIET_S;
  /* Peak of the sum below is 2.2 at most: scaled to 1 dB. */
  return (sin (2 * G_PI * 1.3 * t) + 0.7 * sin (2 * G_PI * 2.9 * t + 1.0)
      + 0.5 * sin (2 * G_PI * 4.1 * t + 2.0)) / 2.2;
}

/* What an ideal gate with @hysteresis_db does to that level, read once a
 * period: how many times it opens or closes. */
static guint
genuine_transitions (double hysteresis_db, gsize period, gsize n)
{
  gboolean open = FALSE;
  guint count = 0;
  for (gsize i = 0; i < n; i += period) {
    double l = wandering_level_db ((double) i / RATE);
    gboolean now = l >= 0.0 ? TRUE : l < -hysteresis_db ? FALSE : open;
    count += now != open;
    open = now;
  }
  return count;
}

/* How many times the gate opened or closed: the gain over each period of
 * the tone above or below half the range. */
static guint
gate_transitions (const gchar * detector, double hysteresis_db,
    const float *x, gsize n, gsize period, double range_db)
{
  /* Ratio 1000: a level a hair under the threshold closes the gate. */
  gchar *launch = g_strdup_printf ("gate threshold=%g range=%g ratio=1000 "
      "attack=1 hold=5 release=10 detector=%s hysteresis=%g", THRESHOLD_DB,
      range_db, detector, hysteresis_db);
  float *y = g_new (float, n);
  fail_unless_equals_uint64 (mst_run_element (launch, x, n, 1, 1024, y,
          NULL), n);
  const gsize start = (gsize) (QUIET_S / 2 * RATE);
  gboolean open = FALSE;
  guint count = 0;
  for (gsize i = 0; i + period <= n; i += period) {
    double ex = 0.0, ey = 0.0;
    for (gsize j = i; j < i + period; j++) {
      ex += (double) x[j] * x[j];
      ey += (double) y[j] * y[j];
    }
    gboolean now = 10.0 * log10 (ey / ex) > range_db / 2.0;
    /* The gate starts open (a reset core passes the audio) and closes in
     * the first quiet part: counted from its middle. */
    count += i >= start && now != open;
    open = now;
  }
  g_free (y);
  g_free (launch);
  return count;
}

/* A 1 kHz tone whose level wanders +-1 dB around the threshold: with 3 dB
 * of hysteresis the gate opens once and closes once (no more than an ideal
 * gate); without, it follows the crossings. Both detectors: the level is
 * the tone's peak for the peak detector, its RMS for the RMS detector. */
GST_START_TEST (test_hysteresis_chatter)
{
  const gsize period = RATE / 1000;
  const gsize n = (gsize) ((2 * QUIET_S + WANDER_S) * RATE);
  const double range_db = -40.0;
  const gchar *detectors[] = { "rms", "peak" };
  const double crest[] = { sqrt (2.0), 1.0 };
  float *x = g_new (float, n);

  guint ideal_with = genuine_transitions (3.0, period, n);
  guint ideal_without = genuine_transitions (0.0, period, n);
  fail_unless (ideal_with == 2 && ideal_without > 10,
      "the level does not wander as meant: %u, %u", ideal_with,
      ideal_without);
  for (guint d = 0; d < G_N_ELEMENTS (detectors); d++) {
    for (gsize i = 0; i < n; i++) {
      double t = (double) i / RATE;
      x[i] = crest[d] * db_to_lin (THRESHOLD_DB + wandering_level_db (t))
          * sin (2 * G_PI * 1000.0 * t);
    }
    guint with = gate_transitions (detectors[d], 3.0, x, n, period,
        range_db);
    guint without = gate_transitions (detectors[d], 0.0, x, n, period,
        range_db);
    g_print ("gate, %s detector: %u transitions with 3 dB hysteresis, %u "
        "without (ideal %u and %u)\n", detectors[d], with, without,
        ideal_with, ideal_without);
    fail_unless (with >= 2 && with <= ideal_with,
        "%s detector, 3 dB hysteresis: %u transitions (ideal %u)",
        detectors[d], with, ideal_with);
    fail_unless (without >= ideal_without / 2,
        "%s detector, no hysteresis: %u transitions (ideal %u)",
        detectors[d], without, ideal_without);
  }
  g_free (x);
}
GST_END_TEST;

/* Lookahead: the latency answered, as many frames out as in, a neutral
 * gate bit-exact, and the gate opening the lookahead before the step it
 * answers (closed until the step without lookahead). */
GST_START_TEST (test_lookahead)
{
  const gsize n = RATE / 2, step = RATE / 4;
  const double range_db = -40.0, attack_ms = 2.0;
  const double lookaheads_ms[] = { 5.0, 0.0 };
  float *x = dc_step (n, step, THRESHOLD_DB - 20.0, THRESHOLD_DB + 10.0);

  for (guint k = 0; k < G_N_ELEMENTS (lookaheads_ms); k++) {
    double lookahead_ms = lookaheads_ms[k];
    GstClockTime latency = GST_CLOCK_TIME_NONE;
    gchar *launch = g_strdup_printf ("gate threshold=%g range=%g attack=%g "
        "release=5 lookahead=%g", THRESHOLD_DB, range_db, attack_ms,
        lookahead_ms);
    double *g = gain_of_dc (launch, x, n, &latency);
    fail_unless_equals_uint64 (latency, lookahead_ms * GST_MSECOND);
    /* The gain has been opening for the lookahead and the step's own
     * frame: what is left of the range is e^(-that / attack). */
    double left_db = range_db * exp (-(lookahead_ms + 1000.0 / RATE)
        / attack_ms);
    gsize start = step - (gsize) llround (lookahead_ms * RATE / 1000.0);
    fail_unless (fabs (g[start - 1] - range_db) < 0.01,
        "%s: %.3f dB before the lookahead", launch, g[start - 1]);
    fail_unless (fabs (g[step] - left_db) <= 0.1 * fabs (left_db),
        "%s: %.3f dB at the step, not %.3f", launch, g[step], left_db);
    g_free (g);
    g_free (launch);
  }

  /* Ratio 1: the gain is 0 dB everywhere; the output is the input. */
  float *y = g_new (float, n);
  fail_unless_equals_uint64 (mst_run_element ("gate ratio=1 lookahead=5", x,
          n, 1, 1000, y, NULL), n);
  fail_unless (memcmp (x, y, n * sizeof (float)) == 0);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

/* A message every interval and a final one at EOS: the deepest reduction
 * of each interval, the range while closed, 0 once open. */
GST_START_TEST (test_messages)
{
  const gsize n = RATE, step = RATE / 2;
  const double range_db = -40.0;
  float *x = dc_step (n, step, THRESHOLD_DB - 20.0, THRESHOLD_DB + 10.0);
  float *y = g_new (float, n);
  GstBus *bus = gst_bus_new ();
  gdouble reduction[16];
  GstClockTime end[16];
  gboolean final_last;

  gchar *launch = g_strdup_printf ("gate threshold=%g range=%g attack=1 "
      "release=5 interval=100000000", THRESHOLD_DB, range_db);
  fail_unless_equals_uint64 (mst_run_element_full (launch, x, n, 1, 480, y,
          NULL, bus), n);
  guint count = mst_pop_reductions (bus, "gate", reduction, end, 16,
      &final_last);
  fail_unless (final_last);
  /* Ten intervals, then the final one at EOS (nothing held back without
   * lookahead: it ends where the tenth does). */
  fail_unless_equals_int (count, 11);
  for (guint k = 0; k < count; k++) {
    fail_unless_equals_uint64 (end[k], MIN (k + 1, 10) * 100 * GST_MSECOND);
    /* The interval of the step opens from the range at once, from its
     * first frame (the attack's one-pole already moves there): deepest
     * the range times e^(-1 frame / 1 ms). */
    double expected = end[k] <= GST_SECOND / 2 ? -range_db
        : end[k] <= 6 * GST_SECOND / 10 ? -range_db * exp (-1000.0 / RATE)
        : 0.0;
    fail_unless (fabs (reduction[k] - expected) < 0.01,
        "%.3f dB in the interval ending at %" GST_TIME_FORMAT, reduction[k],
        GST_TIME_ARGS (end[k]));
  }
  gst_object_unref (bus);
  g_free (launch);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

static Suite *
gate_suite (void)
{
  Suite *s = suite_create ("gate");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_range);
  tcase_add_test (tc, test_time_constants);
  tcase_add_test (tc, test_hold);
  tcase_add_test (tc, test_hysteresis_chatter);
  tcase_add_test (tc, test_lookahead);
  tcase_add_test (tc, test_messages);
  return s;
}

GST_CHECK_MAIN (gate);
