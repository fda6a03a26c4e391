/* Tests of the deesser element through GStreamer, on a vocal-like tone
 * (200 Hz and its harmonics up to 2 kHz) under a sibilant burst
 * (band-limited noise from 5 to 9 kHz, a random-phase multisine on a 40 Hz
 * grid): split mode reduces the burst at the band's centre by the range
 * and leaves the tone within 0.2 dB; wideband mode reduces everything by
 * the range; listen plays the band alone; lookahead is the latency. Every
 * component sits on a bin of a 0.1 s window, so one DFT bin measures it
 * exactly. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <math.h>

#include "mst-gstrun.h"

#define RATE MST_RUN_RATE
#define N_FRAMES RATE
#define WINDOW (RATE / 10)
#define TONE_HZ 200.0
#define N_HARMONICS 10
#define SIB_LOW_HZ 5000.0
#define SIB_STEP_HZ 40.0
#define N_SIB 101               /* 5000 .. 9000 Hz */
#define FREQ_HZ 7000.0          /* on the grid */
#define RANGE_DB (-10.0)
/* The burst lasts from 0.3 to 0.8 s; measured from 0.5 s (the gain long
 * settled), the tone alone from 0.15 s. */
#define BURST_START (RATE * 3 / 10)
#define BURST_END (RATE * 8 / 10)
#define IN_BURST (RATE / 2)
#define BEFORE_BURST (RATE * 15 / 100)
/* The tone fades in over 20 ms (raised cosine): a step would be a click
 * in the sibilant band. */
#define FADE_IN (RATE / 50)

static double
sib_hz (int k)
{
  return SIB_LOW_HZ + SIB_STEP_HZ * k;
}

/* Tone: -12 dBFS fundamental, harmonic k at 1/k^2 (-12 dB/octave, as a
 * voice's harmonics fall above the first formant). Burst: -20 dBFS RMS. */
static float *
voice (void)
{
  float *x = g_new (float, N_FRAMES);
  double sib_amp = sqrt (2.0) * pow (10.0, -20.0 / 20.0) / sqrt (N_SIB);
  guint32 seed = 12345;
  double phase[N_SIB];
  for (int k = 0; k < N_SIB; k++) {
    seed = seed * 1664525u + 1013904223u;
    phase[k] = 2 * G_PI * (seed / 4294967296.0);
  }
  for (gsize i = 0; i < N_FRAMES; i++) {
    double t = (double) i / RATE, v = 0.0;
    for (int h = 1; h <= N_HARMONICS; h++)
      v += 0.25 / (h * h) * sin (2 * G_PI * TONE_HZ * h * t + 0.7 * h);
    if (i < FADE_IN)
      v *= 0.5 - 0.5 * cos (G_PI * i / FADE_IN);
    if (i >= BURST_START && i < BURST_END)
      for (int k = 0; k < N_SIB; k++)
        v += sib_amp * sin (2 * G_PI * sib_hz (k) * t + phase[k]);
    x[i] = v;
  }
  return x;
}

/* Amplitude of the component at @hz in @WINDOW frames from @from. */
static double
amplitude (const float *x, gsize from, double hz)
{
  double re = 0.0, im = 0.0;
  for (gsize i = 0; i < WINDOW; i++) {
    double w = 2 * G_PI * hz * (double) (from + i) / RATE;
    re += x[from + i] * cos (w);
    im -= x[from + i] * sin (w);
  }
  return 2.0 * hypot (re, im) / WINDOW;
}

/* Change (dB) of the component at @hz from @x to @y. */
static double
change_db (const float *x, const float *y, gsize from, double hz)
{
  return 20.0 * log10 (amplitude (y, from, hz) / amplitude (x, from, hz));
}

/* Change (dB) of the tone's power, all harmonics. */
static double
tone_change_db (const float *x, const float *y, gsize from)
{
  double px = 0.0, py = 0.0;
  for (int h = 1; h <= N_HARMONICS; h++) {
    px += pow (amplitude (x, from, TONE_HZ * h), 2.0);
    py += pow (amplitude (y, from, TONE_HZ * h), 2.0);
  }
  return 10.0 * log10 (py / px);
}

static float *
run_on_bus (const gchar * settings, const float *x, GstClockTime * latency,
    GstBus * bus)
{
  gchar *launch = g_strdup_printf ("deesser freq=%g q=1.5 threshold=-30 "
      "ratio=20 range=%g attack=1 release=50 %s", FREQ_HZ, RANGE_DB,
      settings);
  float *y = g_new (float, N_FRAMES);
  fail_unless_equals_uint64 (mst_run_element_full (launch, x, N_FRAMES, 1,
          1024, y, latency, bus), N_FRAMES);
  g_free (launch);
  return y;
}

static float *
run (const gchar * settings, const float *x, GstClockTime * latency)
{
  return run_on_bus (settings, x, latency, NULL);
}

/* Split: the burst at the band's centre reduced by the range within 1 dB,
 * the tone within 0.2 dB during the burst and before it. */
GST_START_TEST (test_split)
{
  const gchar *lookaheads[] = { "lookahead=0", "lookahead=2" };
  float *x = voice ();

  for (guint k = 0; k < G_N_ELEMENTS (lookaheads); k++) {
    gchar *settings = g_strdup_printf ("mode=split %s", lookaheads[k]);
    float *y = run (settings, x, NULL);
    double centre = change_db (x, y, IN_BURST, FREQ_HZ);
    fail_unless (fabs (centre - RANGE_DB) <= 1.0, "%s: %.2f dB at %g Hz",
        settings, centre, FREQ_HZ);
    double band = 0.0;
    for (int s = 0; s < N_SIB; s++)
      band += change_db (x, y, IN_BURST, sib_hz (s)) / N_SIB;
    /* Split mode reduces the band the band-pass passes: less at the burst's
     * edges than at its centre. */
    fail_unless (band < 0.0 && band > centre, "%s: %.2f dB over the burst",
        settings, band);
    double tone = tone_change_db (x, y, IN_BURST);
    double tone_before = tone_change_db (x, y, BEFORE_BURST);
    fail_unless (fabs (tone) <= 0.2 && fabs (tone_before) <= 0.2,
        "%s: tone %.3f dB in the burst, %.3f dB before", settings, tone,
        tone_before);
    g_print ("deesser split %s: %.2f dB at %g Hz, %.2f dB mean over 5-9 "
        "kHz, tone %+.3f dB\n", lookaheads[k], centre, FREQ_HZ, band, tone);
    g_free (y);
    g_free (settings);
  }
  g_free (x);
}
GST_END_TEST;

/* Wideband: every component of the burst and of the tone reduced by the
 * range within 1 dB during the burst; the tone alone untouched before. */
GST_START_TEST (test_wideband)
{
  float *x = voice ();
  float *y = run ("mode=wideband", x, NULL);

  for (int s = 0; s < N_SIB; s++) {
    double c = change_db (x, y, IN_BURST, sib_hz (s));
    fail_unless (fabs (c - RANGE_DB) <= 1.0, "%.2f dB at %g Hz", c,
        sib_hz (s));
  }
  double tone = tone_change_db (x, y, IN_BURST);
  fail_unless (fabs (tone - RANGE_DB) <= 1.0, "tone %.2f dB", tone);
  tone = tone_change_db (x, y, BEFORE_BURST);
  fail_unless (fabs (tone) <= 0.2, "tone %.3f dB before the burst", tone);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

/* Listen: the band alone, 0 dB at its centre, the tone's fundamental far
 * down. */
GST_START_TEST (test_listen)
{
  float *x = voice ();
  float *y = run ("listen=true", x, NULL);
  double centre = change_db (x, y, IN_BURST, FREQ_HZ);
  double fundamental = change_db (x, y, IN_BURST, TONE_HZ);
  fail_unless (fabs (centre) <= 0.5, "%.2f dB at the centre", centre);
  fail_unless (fundamental < -20.0, "%.2f dB at %g Hz", fundamental, TONE_HZ);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

/* Lookahead is the latency answered; every frame comes out (the helper
 * checks the count and the timestamps); ratio 1 is bit-exact. */
GST_START_TEST (test_latency)
{
  float *x = voice ();
  GstClockTime latency = GST_CLOCK_TIME_NONE;
  float *y = run ("ratio=1 lookahead=2", x, &latency);
  fail_unless_equals_uint64 (latency, 2 * GST_MSECOND);
  fail_unless (memcmp (x, y, N_FRAMES * sizeof (float)) == 0);
  g_free (y);
  y = run ("", x, &latency);
  fail_unless_equals_uint64 (latency, 0);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

/* Messages every 100 ms: the range while the burst lasts, nothing on the
 * tone alone; a final one at EOS. */
GST_START_TEST (test_messages)
{
  float *x = voice ();
  GstBus *bus = gst_bus_new ();
  gdouble reduction[16];
  GstClockTime end[16];
  gboolean final_last;
  float *y = run_on_bus ("interval=100000000", x, NULL, bus);
  guint count = mst_pop_reductions (bus, "deesser", reduction, end, 16,
      &final_last);

  fail_unless (final_last);
  fail_unless_equals_int (count, 11);
  for (guint k = 0; k < count; k++) {
    gsize from = gst_util_uint64_scale (end[k], RATE, GST_SECOND) - WINDOW;
    if (from >= BURST_START && from + WINDOW <= BURST_END)
      fail_unless (fabs (reduction[k] + RANGE_DB) < 0.1, "%.3f dB in the "
          "burst", reduction[k]);
    else if (from + WINDOW <= BURST_START)
      fail_unless (reduction[k] < 0.1, "%.3f dB before the burst",
          reduction[k]);
  }
  gst_object_unref (bus);
  g_free (y);
  g_free (x);
}
GST_END_TEST;

static Suite *
deesser_suite (void)
{
  Suite *s = suite_create ("deesser");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split);
  tcase_add_test (tc, test_wideband);
  tcase_add_test (tc, test_listen);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_messages);
  return s;
}

GST_CHECK_MAIN (deesser);
