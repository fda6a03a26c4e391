/* Tests of the loudnorm element through GStreamer: sample count and
 * timestamps across the EOS drain, fixed mode's exact gain, live mode's
 * output loudness (re-measured with libebur128) and ceiling, the latency
 * query, messages and their fields, formats, caps refusal, NaN warning,
 * lookahead refusal while playing. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "mst-gstcheck.h"
#include <gst/audio/audio.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "mst-analysis.h"
#include "mst-signals.h"

#define RATE 48000

static gchar *
caps_str (const gchar * format, gint channels)
{
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", format, RATE, channels);
}

/* Pushes @x (n frames of float, converted to F64 if asked) in buffers of
 * varying size, then EOS; pulls everything, checking timestamps, into a
 * float array of n frames (returned). */
static float *
push_pull (GstHarness * h, const float *x, gsize n, gint channels,
    gboolean f64)
{
  static const guint sizes[] = { 1024, 441, 4096, 100, 2000 };
  gsize bps = f64 ? 8 : 4, done = 0, got = 0;
  float *y = g_new0 (float, n * channels);
  for (guint k = 0; done < n; k++) {
    gsize m = MIN (sizes[k % 5], n - done);
    GstBuffer *buf = gst_buffer_new_allocate (NULL, m * channels * bps, NULL);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (gsize i = 0; i < m * channels; i++) {
      if (f64)
        ((double *) map.data)[i] = x[done * channels + i];
      else
        ((float *) map.data)[i] = x[done * channels + i];
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (done, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (done + m, GST_SECOND,
        RATE) - GST_BUFFER_PTS (buf);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    done += m;
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstBuffer *out;
  while ((out = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    gsize m = map.size / (channels * bps);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        gst_util_uint64_scale (got, GST_SECOND, RATE));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out)
        + GST_BUFFER_DURATION (out), gst_util_uint64_scale (got + m,
            GST_SECOND, RATE));
    fail_unless (got + m <= n, "more frames out than in");
    for (gsize i = 0; i < m * channels; i++)
      y[got * channels + i] = f64 ? (float) ((double *) map.data)[i]
          : ((float *) map.data)[i];
    got += m;
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (got, n);
  return y;
}

static float *
music (gsize n, gint channels, double gain_db)
{
  float *x = g_new (float, n * channels);
  mst_signal_music (x, n, channels, RATE, 3);
  mst_signal_apply_gain_db (x, n * channels, gain_db);
  return x;
}

/* Fixed mode: as many frames out as in, timestamps continuous, and the
 * gain exact where the limiter is idle (bit-exact at 0 dB). */
GST_START_TEST (test_fixed_gain)
{
  static const double gains[] = { 0.0, -6.0, 4.5 };
  const gsize n = 3 * RATE;
  for (int g = 0; g < 3; g++) {
    GstHarness *h = gst_harness_new ("loudnorm");
    gchar *caps = caps_str ("F32LE", 2);
    /* Sample by sample and bit-exact: without the band limit's filter. */
    g_object_set (h->element, "mode", 1, "gain", gains[g], "band-limit",
        FALSE, NULL);
    gst_harness_set_src_caps_str (h, caps);
    float *x = music (n, 2, -20.0);
    float *y = push_pull (h, x, n, 2, FALSE);
    double lin = pow (10.0, gains[g] / 20.0), worst = 0.0;
    gboolean exact = TRUE;
    for (gsize i = 0; i < 2 * n; i++) {
      exact &= y[i] == x[i];
      if (fabs (x[i]) > 1e-3)
        worst = fmax (worst, fabs (20.0 * log10 (fabs (y[i] / (x[i] * lin)))));
    }
    fail_unless (worst < 0.01, "gain %.1f dB off by %.4f dB", gains[g], worst);
    if (gains[g] == 0.0)
      fail_unless (exact, "0 dB is not bit-exact");
    g_free (x);
    g_free (y);
    g_free (caps);
    gst_harness_teardown (h);
  }
}
GST_END_TEST;

/* Live mode on 40 s of music and of speech, F32 stereo and F64 mono:
 * output loudness within 1 LU of the target, true peak under the ceiling,
 * every frame out. */
GST_START_TEST (test_live_loudness)
{
  const gsize n = 40 * RATE;
  for (int k = 0; k < 3; k++) {
    gint ch = k == 1 ? 1 : 2;
    gboolean f64 = k == 1;
    double target = k == 2 ? -16.0 : -23.0;
    GstHarness *h = gst_harness_new ("loudnorm");
    gchar *caps = caps_str (f64 ? "F64LE" : "F32LE", ch);
    g_object_set (h->element, "target", target, NULL);
    gst_harness_set_src_caps_str (h, caps);
    float *x = g_new (float, n * ch);
    if (k == 2)
      mst_signal_speech (x, n, ch, RATE, 5);
    else
      mst_signal_music (x, n, ch, RATE, 5);
    mst_signal_apply_gain_db (x, n * ch, -8.0);
    float *y = push_pull (h, x, n, ch, f64);
    double out_i = mst_analysis_ebur128_loudness (y, n, ch, RATE);
    double tp = mst_analysis_db (mst_analysis_ebur128_true_peak (y, n, ch,
            RATE));
    GST_INFO ("case %d: output %.2f LUFS (target %.0f), true peak %.2f", k,
        out_i, target, tp);
    fail_unless (fabs (out_i - target) <= 1.0, "output %.2f LUFS, target "
        "%.0f", out_i, target);
    fail_unless (tp <= -1.0, "true peak %.3f dBTP", tp);
    g_free (x);
    g_free (y);
    g_free (caps);
    gst_harness_teardown (h);
  }
}
GST_END_TEST;

/* (Properties in the description: they are set before it plays.) */
static GstClockTime
latency_of (const gchar * description)
{
  GstHarness *h = gst_harness_new_parse (description);
  gchar *caps = caps_str ("F32LE", 2);
  gst_harness_set_src_caps_str (h, caps);
  float x[960] = { 0 };
  GstBuffer *buf = gst_buffer_new_memdup (x, sizeof (x));
  GST_BUFFER_PTS (buf) = 0;
  gst_harness_push (h, buf);
  GstQuery *q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  GstClockTime min, max;
  gboolean live;
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  g_free (caps);
  gst_harness_teardown (h);
  return min;
}

/* Latency: the controller lookahead plus the limiter's (the limiter
 * element with the same lookahead tells the latter). */
GST_START_TEST (test_latency_query)
{
  GstClockTime lim = latency_of ("limiter");
  fail_unless (lim > 0);
  fail_unless_equals_uint64 (latency_of ("loudnorm"), lim + 400
      * GST_MSECOND);
  fail_unless_equals_uint64 (latency_of ("loudnorm control-lookahead=0"),
      lim);
  fail_unless_equals_uint64 (latency_of ("loudnorm control-lookahead=100"),
      lim + 100 * GST_MSECOND);
}
GST_END_TEST;

/* A message every interval (and one at EOS) with all the fields; the
 * figures agree with what the stream does. */
GST_START_TEST (test_messages)
{
  const gsize n = 12 * RATE;
  GstHarness *h = gst_harness_new ("loudnorm");
  GstBus *bus = gst_bus_new ();
  gchar *caps = caps_str ("F32LE", 2);
  static const gchar *fields[] = { "gain", "target-gain", "input-estimate",
    "input-momentary", "input-short-term", "input-integrated",
    "output-momentary", "output-short-term", "output-integrated",
    "gain-reduction", "gain-reduction-current"
  };
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "interval", 500 * GST_MSECOND, NULL);
  gst_harness_set_src_caps_str (h, caps);
  float *x = music (n, 2, 0.0);
  float *y = push_pull (h, x, n, 2, FALSE);
  int messages = 0;
  GstClockTime last_ts = 0;
  double out_integrated = -INFINITY, in_integrated = -INFINITY;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint64 ts, duration;
    fail_unless (gst_structure_has_name (s, "loudnorm"));
    fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
    fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
    fail_unless (gst_structure_has_field (s, "running-time"));
    fail_unless (gst_structure_has_field (s, "stream-time"));
    fail_unless (ts > last_ts, "timestamps go back");
    fail_unless (duration <= 500 * GST_MSECOND + GST_MSECOND);
    last_ts = ts;
    for (guint f = 0; f < G_N_ELEMENTS (fields); f++) {
      double v;
      fail_unless (gst_structure_get_double (s, fields[f], &v), "%s",
          fields[f]);
    }
    gst_structure_get_double (s, "output-integrated", &out_integrated);
    gst_structure_get_double (s, "input-integrated", &in_integrated);
    messages++;
    gst_message_unref (msg);
  }
  /* 24 intervals, the last one ending with the stream at EOS. */
  fail_unless_equals_int (messages, 24);
  fail_unless_equals_uint64 (last_ts, 12 * GST_SECOND);
  /* The last message saw the whole stream: its figures are libebur128's. */
  fail_unless (fabs (out_integrated - mst_analysis_ebur128_loudness (y, n, 2,
              RATE)) < 0.05, "output-integrated %.2f", out_integrated);
  fail_unless (fabs (in_integrated - mst_analysis_ebur128_loudness (x, n, 2,
              RATE)) < 0.05, "input-integrated %.2f", in_integrated);
  double gain, out_loudness;
  g_object_get (h->element, "current-gain", &gain, "output-loudness",
      &out_loudness, NULL);
  fail_unless (fabs (out_loudness - out_integrated) < 1e-9);
  fail_unless (gain < 0.0, "music at -18 LUFS to -23 needs a cut");
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  g_free (x);
  g_free (y);
  g_free (caps);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  mst_check_caps_refused ("loudnorm");
}
GST_END_TEST;

/* NaN in the input: one warning, finite output, every frame out;
 * lookahead changes while running are refused with a warning. */
GST_START_TEST (test_nan_and_lookahead)
{
  const gsize n = 2 * RATE;
  GstHarness *h = gst_harness_new ("loudnorm");
  GstBus *bus = gst_bus_new ();
  gchar *caps = caps_str ("F32LE", 2);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, caps);
  float *x = music (n, 2, -10.0);
  for (gsize i = RATE / 2; i < RATE / 2 + 100; i++)
    x[2 * i] = NAN;
  float *y = push_pull (h, x, n, 2, FALSE);
  gboolean finite = TRUE;
  for (gsize i = 0; i < 2 * n; i++)
    finite &= isfinite (y[i]);
  fail_unless (finite);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  g_object_set (h->element, "control-lookahead", 100.0, NULL);
  double la;
  g_object_get (h->element, "control-lookahead", &la, NULL);
  fail_unless_equals_float (la, 400.0);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  g_free (x);
  g_free (y);
  g_free (caps);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* A 50 ms burst at +20 dBFS, +40 dBFS and +-FLT_MAX in a live feed (speech
 * turning to music, F32 stereo), through loudnorm and through master
 * (eq, loudnorm, limiter): from 2 s after it, the output's short-term
 * loudness (3 s windows, libebur128) stays within 1 LU of the same feed's
 * without the burst (EBU R128's tolerance for live programmes), the true
 * peak around the burst stays under the ceiling (-1 dBTP for both), and
 * only the absurd one (beyond +60 dBFS) is warned about. */
static const double burst_levels[] = { 10.0, 100.0, FLT_MAX };
static const gchar *burst_factories[] = { "loudnorm", "master" };

GST_START_TEST (test_live_burst)
{
  const gsize half = 7 * RATE, n = 2 * half, at = 4 * RATE, len = RATE / 20,
      window = 3 * RATE;
  const double level = burst_levels[__i__ % 3];
  const gchar *factory = burst_factories[__i__ / 3];
  float *x = g_new (float, n * 2), *xb = g_new (float, n * 2);
  mst_signal_speech (x, half, 2, RATE, 5);
  mst_signal_apply_gain_db (x, half * 2, -8.0);
  mst_signal_music (x + half * 2, half, 2, RATE, 5);
  mst_signal_apply_gain_db (x + half * 2, half * 2, -4.0);
  memcpy (xb, x, n * 2 * sizeof (float));
  for (gsize i = at; i < at + len; i++)
    xb[2 * i] = xb[2 * i + 1] = (float) ((i / 24) % 2 ? level : -level);
  gchar *caps = caps_str ("F32LE", 2);
  float *y[2];
  guint warnings[2];
  for (int b = 0; b < 2; b++) {
    GstHarness *h = gst_harness_new (factory);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
    gst_harness_set_src_caps_str (h, caps);
    y[b] = push_pull (h, b ? xb : x, n, 2, FALSE);
    GstMessage *msg;
    warnings[b] = 0;
    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
      warnings[b]++;
      gst_message_unref (msg);
    }
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    gst_harness_teardown (h);
  }
  double worst = 0.0;
  for (gsize t = at + len + 2 * RATE; t + window <= n; t += RATE / 10) {
    double lr = mst_analysis_ebur128_loudness (y[0] + 2 * t, window, 2,
        RATE);
    double ly = mst_analysis_ebur128_loudness (y[1] + 2 * t, window, 2,
        RATE);
    if (!isfinite (lr))
      continue;
    double d = isfinite (ly) ? ly - lr : -70.0;
    if (fabs (d) > fabs (worst))
      worst = d;
  }
  double tp = mst_analysis_db (mst_analysis_ebur128_true_peak (y[1] + 2
          * (at - RATE / 2), RATE, 2, RATE));
  GST_INFO ("%s, burst %g: %+.2f LU off at worst, true peak %.2f dBTP",
      factory, level, worst, tp);
  fail_unless (fabs (worst) <= 1.0, "%s, burst %g: short-term loudness "
      "%+.2f LU off the feed's without it", factory, level, worst);
  fail_unless (tp <= -1.0, "%s, burst %g: true peak %.3f dBTP", factory,
      level, tp);
  fail_unless_equals_int (warnings[0], 0);
  fail_unless_equals_int (warnings[1], level > 1000.0 ? 1 : 0);
  g_free (x);
  g_free (xb);
  g_free (y[0]);
  g_free (y[1]);
  g_free (caps);
}
GST_END_TEST;

/* Bypass: the input comes out bit for bit (delayed by the latency, which
 * is kept), even where live mode would have cut it by 5 dB; the meters go
 * on measuring. */
GST_START_TEST (test_bypass)
{
  const gsize n = 5 * RATE;
  GstHarness *h = gst_harness_new ("loudnorm");
  gchar *caps = caps_str ("F32LE", 2);
  g_object_set (h->element, "bypass", TRUE, NULL);
  gst_harness_set_src_caps_str (h, caps);
  float *x = music (n, 2, 0.0);
  float *y = push_pull (h, x, n, 2, FALSE);
  fail_unless (memcmp (x, y, n * 2 * sizeof (float)) == 0,
      "bypass changed the audio");
  double out_loudness;
  g_object_get (h->element, "output-loudness", &out_loudness, NULL);
  fail_unless (isfinite (out_loudness));
  g_free (x);
  g_free (y);
  g_free (caps);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Buffers shorter than the latency: only the first output buffer is a
 * DISCONT (basetransform's is_discont stays TRUE until a buffer goes out,
 * and read as a discontinuity it drained the delay line on every buffer).
 * The limiter element shares the code, so it is checked here too. */
GST_START_TEST (test_small_buffers)
{
  static const gchar *factories[] = { "loudnorm", "limiter" };
  for (int f = 0; f < 2; f++) {
    GstHarness *h = gst_harness_new (factories[f]);
    gchar *caps = caps_str ("F32LE", 2);
    gst_harness_set_src_caps_str (h, caps);
    const guint m = 64, buffers = 800;
    float *x = music (m * buffers, 2, 0.0);
    for (guint b = 0; b < buffers; b++) {
      GstBuffer *buf = gst_buffer_new_memdup (x + 2 * m * b, 8 * m);
      GST_BUFFER_PTS (buf) = gst_util_uint64_scale (b * m, GST_SECOND, RATE);
      if (b == 0)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    }
    guint discont = 0, out_buffers = 0;
    GstBuffer *out;
    while ((out = gst_harness_try_pull (h))) {
      discont += GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT);
      out_buffers++;
      gst_buffer_unref (out);
    }
    fail_unless (out_buffers > 0);
    fail_unless_equals_int (discont, 1);
    g_free (x);
    g_free (caps);
    gst_harness_teardown (h);
  }
}
GST_END_TEST;

static Suite *
loudnorm_suite (void)
{
  Suite *s = suite_create ("loudnorm");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fixed_gain);
  tcase_add_test (tc, test_live_loudness);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_nan_and_lookahead);
  tcase_add_loop_test (tc, test_live_burst, 0,
      G_N_ELEMENTS (burst_levels) * G_N_ELEMENTS (burst_factories));
  tcase_add_test (tc, test_bypass);
  tcase_add_test (tc, test_small_buffers);
  return s;
}

GST_CHECK_MAIN (loudnorm);
