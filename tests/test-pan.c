/* Tests of the pan element through GStreamer: a mono source comes out
 * stereo at the law's gains (law=-3 from a launch line), F32 and F64;
 * automation of the position across the whole range, GstController
 * interpolating, moves the output without a step above what the sine
 * itself makes; a stereo source at the centre passes untouched. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/controller/controller.h>
#include <math.h>
#include <string.h>

#define RATE 48000

/* A harness on "pan @settings" from @channels of @format to stereo. */
static GstHarness *
harness (const gchar * settings, const gchar * format, gint channels)
{
  gchar *launch = g_strdup_printf ("pan %s", settings);
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *in = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", format, RATE, channels);
  gchar *out = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=2", format, RATE);
  gst_harness_set_caps_str (h, in, out);
  g_free (launch);
  g_free (in);
  g_free (out);
  return h;
}

/* @n frames of @x (@bytes a frame) pushed in blocks with timestamps; the
 * output's bytes into @out; returns the bytes out. */
static gsize
run (GstHarness * h, const guint8 * x, gsize n, gsize bytes, guint8 * out,
    gsize out_size)
{
  const gsize block = 1000;
  gsize got = 0;
  for (gsize f = 0; f < n; f += block) {
    gsize m = MIN (block, n - f);
    GstBuffer *buf = gst_buffer_new_memdup (x + f * bytes, m * bytes);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (m, GST_SECOND, RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    GstBuffer *o;
    while ((o = gst_harness_try_pull (h))) {
      gsize size = gst_buffer_get_size (o);
      fail_unless (got + size <= out_size);
      gst_buffer_extract (o, 0, out + got, size);
      got += size;
      gst_buffer_unref (o);
    }
  }
  return got;
}

static gdouble
channel_rms (const gdouble * y, gint c, gsize n)
{
  gdouble s = 0;
  for (gsize i = 0; i < n; i++)
    s += y[2 * i + c] * y[2 * i + c];
  return sqrt (s / n);
}

/* Mono in, stereo out: at position -30 under each law, the two sides at
 * the law's gains (sine/cosine of the position's angle; -4.5 their
 * geometric mean with the linear ones) within 0.01 dB, in F64; and F32
 * alike for one. */
GST_START_TEST (test_mono_laws)
{
  const gsize n = RATE / 2;
  gdouble *x = g_new (gdouble, n), *y = g_new (gdouble, 2 * n);
  for (gsize i = 0; i < n; i++)
    x[i] = 0.5 * sin (2 * G_PI * 1000.0 * i / RATE);
  const gdouble in = 0.5 / sqrt (2.0);
  const gchar *laws[] = { "0", "-3", "-4.5", "-6" };
  const gdouble u = (-30.0 + 100.0) / 200.0;
  const gdouble cl = cos (u * G_PI / 2), cr = sin (u * G_PI / 2);
  const gdouble want[][2] = {
    {1.0, MIN (1.0, sqrt (2.0) * cr)}, {cl, cr},
    {sqrt (cl * (1 - u)), sqrt (cr * u)}, {1 - u, u},
  };
  for (guint k = 0; k < G_N_ELEMENTS (laws); k++) {
    gchar *s = g_strdup_printf ("position=-30 law=%s", laws[k]);
    GstHarness *h = harness (s, "F64LE", 1);
    fail_unless_equals_uint64 (run (h, (guint8 *) x, n, 8, (guint8 *) y,
            2 * n * 8), 2 * n * 8);
    /* After the first block's glide from the element's start (none: the
     * settings are in force from the first frame). */
    for (gint c = 0; c < 2; c++) {
      gdouble got = 20 * log10 (channel_rms (y, c, n) / in);
      fail_unless (fabs (got - 20 * log10 (want[k][c])) < 0.01,
          "law %s, %s: %.4f dB, want %.4f", laws[k], c ? "right" : "left",
          got, 20 * log10 (want[k][c]));
    }
    gst_harness_teardown (h);
    g_free (s);
  }
  /* F32, the -3 law. */
  gfloat *xf = g_new (gfloat, n), *yf = g_new (gfloat, 2 * n);
  for (gsize i = 0; i < n; i++)
    xf[i] = (gfloat) x[i];
  GstHarness *h = harness ("position=-30", "F32LE", 1);
  fail_unless_equals_uint64 (run (h, (guint8 *) xf, n, 4, (guint8 *) yf,
          2 * n * 4), 2 * n * 4);
  gdouble worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, MAX (fabs (yf[2 * i] - cl * x[i]),
            fabs (yf[2 * i + 1] - cr * x[i])));
  fail_unless (worst < 1e-6, "F32 off by %g", worst);
  gst_harness_teardown (h);
  g_free (xf);
  g_free (yf);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* The position automated from hard left to hard right and back on a mono
 * sine at -6 dBFS: the output moves (left silent at the right end), and
 * no sample-to-sample step is larger than the sine's own largest at full
 * level, 5 % allowed (a stepped gain would add the step of the gain). */
GST_START_TEST (test_automation_whole_range)
{
  const gsize n = 2 * RATE;
  const gdouble amp = 0.5, freq = 997;
  gfloat *x = g_new (gfloat, n), *y = g_new (gfloat, 2 * n);
  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) (amp * sin (2 * G_PI * freq * i / RATE));
  GstHarness *h = harness ("law=-6", "F32LE", 1);
  GstElement *pan = gst_harness_find_element (h, "pan");
  GstControlSource *cs = gst_interpolation_control_source_new ();
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  fail_unless (gst_object_add_control_binding (GST_OBJECT (pan),
          gst_direct_control_binding_new_absolute (GST_OBJECT (pan),
              "position", cs)));
  gst_object_unref (pan);
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  gst_timed_value_control_source_set (tv, 0, -100.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 4, -100.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 2, 100.0);
  gst_timed_value_control_source_set (tv, GST_SECOND, 100.0);
  gst_timed_value_control_source_set (tv, 5 * GST_SECOND / 4, -100.0);
  fail_unless_equals_uint64 (run (h, (guint8 *) x, n, 4, (guint8 *) y,
          2 * n * 4), 2 * n * 4);
  const gdouble sine_step = 2 * amp * sin (G_PI * freq / RATE);
  gdouble worst = 0, left_at_right = 0, right_at_left = 0;
  for (gsize i = 1; i < n; i++)
    for (gint c = 0; c < 2; c++)
      worst = MAX (worst, fabs (y[2 * i + c] - y[2 * (i - 1) + c]));
  for (gsize i = 3 * RATE / 4; i < RATE; i++)
    left_at_right = MAX (left_at_right, fabs (y[2 * i]));
  for (gsize i = 3 * RATE / 2; i < n; i++)
    right_at_left = MAX (right_at_left, fabs (y[2 * i + 1]));
  g_print ("pan automated across the range: largest step %.4f of the "
      "sine's\n", worst / sine_step);
  fail_unless (worst <= 1.05 * sine_step, "step %.4f of the sine's",
      worst / sine_step);
  fail_unless (left_at_right < 1e-6 && right_at_left < 1e-6,
      "ends: left %g at the right, right %g at the left", left_at_right,
      right_at_left);
  gst_object_unref (cs);
  gst_harness_teardown (h);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* A stereo source at the centre, width 100: out as in, bit for bit; with
 * a mono source, bypass puts it on both sides at unity. */
GST_START_TEST (test_stereo_centre_and_bypass)
{
  const gsize n = 4000;
  gfloat *x = g_new (gfloat, 2 * n), *y = g_new (gfloat, 2 * n);
  for (gsize i = 0; i < 2 * n; i++)
    x[i] = (gfloat) sin (0.001 * i * i);
  GstHarness *h = harness ("mode=balance", "F32LE", 2);
  fail_unless_equals_uint64 (run (h, (guint8 *) x, n, 8, (guint8 *) y,
          2 * n * 4), 2 * n * 4);
  fail_unless (memcmp (x, y, 2 * n * 4) == 0);
  gst_harness_teardown (h);
  h = harness ("bypass=true position=80", "F32LE", 1);
  fail_unless_equals_uint64 (run (h, (guint8 *) x, n, 4, (guint8 *) y,
          2 * n * 4), 2 * n * 4);
  for (gsize i = 0; i < n; i++)
    fail_unless (y[2 * i] == x[i] && y[2 * i + 1] == x[i], "frame %zu", i);
  gst_harness_teardown (h);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

static Suite *
pan_suite (void)
{
  Suite *s = suite_create ("pan");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mono_laws);
  tcase_add_test (tc, test_automation_whole_range);
  tcase_add_test (tc, test_stereo_centre_and_bypass);
  return s;
}

GST_CHECK_MAIN (pan);
