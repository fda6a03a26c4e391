/* Tests of the limiter element through GStreamer: latency query, sample
 * count, alignment and timestamps across the EOS drain, caps, messages,
 * the lookahead refusal while playing. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "mst-gstcheck.h"
#include <gst/audio/audio.h>
#include <gst/controller/controller.h>
#include <math.h>
#include <string.h>

#define CAPS "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, " \
  "channels=2"

static GstBuffer *
make_buffer (guint n, guint64 offset, double amp)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 8 * n, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  float *x = (float *) map.data;
  for (guint i = 0; i < n; i++)
    x[2 * i] = x[2 * i + 1] = amp * sin (2 * G_PI * 997 * (offset + i)
        / 48000.0);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (offset, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (offset + n, GST_SECOND,
      48000) - GST_BUFFER_PTS (buf);
  return buf;
}

/* Everything in comes out, in order, each frame with its own timestamp;
 * quiet input comes out bit-exact. */
static void
check_stream (double amp, gboolean expect_exact)
{
  GstHarness *h = gst_harness_new ("limiter");
  /* Bit-exact only without the band limit's filter. */
  if (expect_exact)
    g_object_set (h->element, "band-limit", FALSE, NULL);
  gst_harness_set_src_caps_str (h, CAPS);
  const guint n = 1000, buffers = 20;
  float *in = g_new (float, 2 * n * buffers);
  for (guint b = 0; b < buffers; b++) {
    GstBuffer *buf = make_buffer (n, b * n, amp);
    gst_buffer_extract (buf, 0, in + 2 * n * b, 8 * n);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  guint64 frames = 0;
  GstClockTime expected_pts = 0;
  gboolean exact = TRUE;
  double peak = 0;
  GstBuffer *out;
  while ((out = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    guint m = map.size / 8;
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), expected_pts);
    const float *y = (const float *) map.data;
    for (guint i = 0; i < 2 * m; i++) {
      exact &= y[i] == in[2 * frames + i];
      peak = fmax (peak, fabs (y[i]));
    }
    frames += m;
    expected_pts = gst_util_uint64_scale (frames, GST_SECOND, 48000);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out) + GST_BUFFER_DURATION
        (out), expected_pts);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (frames, (guint64) n * buffers);
  if (expect_exact)
    fail_unless (exact, "quiet input was changed");
  else
    fail_unless (peak <= pow (10, -1.0 / 20), "peak %.4f", peak);
  g_free (in);
  gst_harness_teardown (h);
}

GST_START_TEST (test_samples_and_timestamps)
{
  check_stream (0.5, TRUE);
  check_stream (2.0, FALSE);
}
GST_END_TEST;

/* The lookahead is reported as latency: 5 ms + 16 (the gain computer's
 * next group) + 67 - 1 samples at 48 kHz. */
GST_START_TEST (test_latency_query)
{
  GstHarness *h = gst_harness_new ("limiter");
  gst_harness_set_src_caps_str (h, CAPS);
  gst_harness_push (h, make_buffer (480, 0, 0.1));
  GstQuery *q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  GstClockTime min, max;
  gboolean live;
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless_equals_uint64 (min, gst_util_uint64_scale (240 + 16 + 66,
          GST_SECOND, 48000));
  gst_query_unref (q);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  mst_check_caps_refused ("limiter");
}
GST_END_TEST;

/* Messages every interval, with the gain reduction; lookahead changes
 * while running are refused with a warning. */
GST_START_TEST (test_messages_and_lookahead)
{
  GstHarness *h = gst_harness_new ("limiter");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "interval", 10 * GST_MSECOND, NULL);
  gst_harness_set_src_caps_str (h, CAPS);
  for (int b = 0; b < 10; b++) {
    gst_harness_push (h, make_buffer (960, b * 960, 4.0));
    GstBuffer *out = gst_harness_try_pull (h);
    if (out)
      gst_buffer_unref (out);
  }
  int messages = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    double gr;
    fail_unless (gst_structure_has_name (s, "limiter"));
    fail_unless (gst_structure_get_double (s, "gain-reduction", &gr));
    if (messages > 5)
      fail_unless (gr > 10.0, "gain reduction %.2f dB", gr);
    messages++;
    gst_message_unref (msg);
  }
  fail_unless (messages >= 15, "%d messages", messages);
  g_object_set (h->element, "lookahead", 10.0, NULL);
  double lookahead;
  g_object_get (h->element, "lookahead", &lookahead, NULL);
  fail_unless_equals_float (lookahead, 5.0);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* With the defaults, a message per second of audio (each is a wake-up of
 * the application, which at 100 ms cost a third of the limiting when
 * rendering files), and the last one at EOS. */
GST_START_TEST (test_default_interval)
{
  GstHarness *h = gst_harness_new ("limiter");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  const guint n = 4800, buffers = 30;
  for (guint b = 0; b < buffers; b++)
    gst_harness_push (h, make_buffer (n, b * n, 4.0));
  gst_harness_push_event (h, gst_event_new_eos ());
  guint interval_messages = 0, final_messages = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    gboolean final = FALSE;
    GstClockTime duration = 0;
    fail_unless (gst_structure_get_boolean (s, "final", &final));
    fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
    if (final) {
      final_messages++;
    } else {
      fail_unless_equals_uint64 (duration, GST_SECOND);
      interval_messages++;
    }
    gst_message_unref (msg);
  }
  /* 3 s of input, the last latency's worth drained at EOS into the final
   * message. */
  fail_unless_equals_int (interval_messages, n * buffers / 48000 - 1);
  fail_unless_equals_int (final_messages, 1);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Pulls everything out of the harness into one array (interleaved). */
static float *
pull_all (GstHarness * h, guint channels, gsize * n_frames)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  GstBuffer *out;
  while ((out = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_array_append_vals (a, map.data, map.size / sizeof (float));
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  *n_frames = a->len / channels;
  return (float *) g_array_free (a, FALSE);
}

/* Ceiling automated from -1 to -12 dB and back while a loud tone plays:
 * no output sample above the ceiling the automation asked for, at the
 * element's control resolution (64 frames), and no step in the gain. */
GST_START_TEST (test_ceiling_automation)
{
  GstHarness *h = gst_harness_new ("limiter");
  gst_harness_set_src_caps_str (h, CAPS);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_object_add_control_binding (GST_OBJECT (h->element),
      gst_direct_control_binding_new_absolute (GST_OBJECT (h->element),
          "ceiling", cs));
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  gst_timed_value_control_source_set (tv, 0, -1.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 4, -1.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 2, -12.0);
  gst_timed_value_control_source_set (tv, 3 * GST_SECOND / 4, -1.0);
  const guint n = 1000, buffers = 48;
  for (guint b = 0; b < buffers; b++)
    gst_harness_push (h, make_buffer (n, b * n, 2.0));
  gst_harness_push_event (h, gst_event_new_eos ());
  gsize frames;
  float *y = pull_all (h, 2, &frames);
  fail_unless_equals_uint64 (frames, n * buffers);
  double worst = -100, worst_step = 0;
  for (gsize i = 64; i < frames; i++) {
    /* The strictest ceiling the automation asked for within the last
     * control period. */
    double c = -100;
    for (gsize k = i - 64; k <= i; k += 64 / 4) {
      GstClockTime t = gst_util_uint64_scale (k, GST_SECOND, 48000);
      double v;
      gst_control_source_get_value (cs, t, &v);
      c = MAX (c, v);
    }
    worst = MAX (worst, 20 * log10 (fabs (y[2 * i]) + 1e-12) - c);
    worst_step = MAX (worst_step, fabs (y[2 * i] - 2 * y[2 * i - 2]
            + y[2 * i - 4]));
  }
  g_print ("ceiling automation: worst %+.4f dB against the automated ceiling, "
      "largest second difference %.5f\n", worst, worst_step);
  fail_unless (worst <= 0.0, "%.4f dB over the automated ceiling", worst);
  /* A 997 Hz tone of amplitude <= 0.89 moves at most 0.89 (2 pi f/fs)^2. */
  fail_unless (worst_step <= 1.1 * 0.8913 * pow (2 * G_PI * 997 / 48000, 2),
      "step %.5f", worst_step);
  g_free (y);
  gst_object_unref (cs);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Input gain jumping 0 -> +12 dB mid-stream: it glides, no click, and the
 * output stays under the ceiling. */
GST_START_TEST (test_input_gain_change)
{
  GstHarness *h = gst_harness_new ("limiter");
  gst_harness_set_src_caps_str (h, CAPS);
  for (guint b = 0; b < 40; b++) {
    if (b == 20)
      g_object_set (h->element, "input-gain", 12.0, NULL);
    gst_harness_push (h, make_buffer (1000, b * 1000, 0.5));
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  gsize frames;
  float *y = pull_all (h, 2, &frames);
  fail_unless_equals_uint64 (frames, 40000);
  double peak = 0, worst_step = 0;
  /* Steps from the second buffer on: the sine's own start (a kink from
   * silence) rings in the band limit's filter at 0.46 fs. */
  for (gsize i = 2; i < frames; i++) {
    peak = MAX (peak, fabs (y[2 * i]));
    if (i >= 1000)
      worst_step = MAX (worst_step, fabs (y[2 * i] - 2 * y[2 * i - 2]
              + y[2 * i - 4]));
  }
  fail_unless (peak <= pow (10, -1.0 / 20));
  fail_unless (worst_step <= 1.1 * 0.8913 * pow (2 * G_PI * 997 / 48000, 2),
      "step %.5f", worst_step);
  g_free (y);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* A flush in the middle drops what was in the delay line and starts
 * clean: silence pushed after it comes out as exact silence. */
GST_START_TEST (test_flush)
{
  GstHarness *h = gst_harness_new ("limiter");
  gst_harness_set_src_caps_str (h, CAPS);
  for (guint b = 0; b < 5; b++)
    gst_harness_push (h, make_buffer (1000, b * 1000, 3.0));
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  gsize dropped;
  g_free (pull_all (h, 2, &dropped));
  for (guint b = 0; b < 5; b++)
    gst_harness_push (h, make_buffer (1000, b * 1000, 0.0));
  gst_harness_push_event (h, gst_event_new_eos ());
  gsize frames;
  float *y = pull_all (h, 2, &frames);
  fail_unless_equals_uint64 (frames, 5000);
  for (gsize i = 0; i < 2 * frames; i++)
    fail_unless (y[i] == 0.0f);
  g_free (y);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* F64, mono and 5.1 stream through with every frame and under the
 * ceiling. */
GST_START_TEST (test_formats)
{
  const struct {
    const char *format;
    guint channels, bps;
  } cases[] = { {"F64LE", 2, 8}, {"F32LE", 1, 4}, {"F32LE", 6, 4},
  {"F64LE", 6, 8}
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++) {
    GstHarness *h = gst_harness_new ("limiter");
    gchar *caps = g_strdup_printf ("audio/x-raw, format=%s, "
        "layout=interleaved, rate=44100, channels=%u%s", cases[k].format,
        cases[k].channels, cases[k].channels > 2 ?
        ", channel-mask=(bitmask)0x3f" : "");
    gst_harness_set_src_caps_str (h, caps);
    g_free (caps);
    guint n = 4410, ch = cases[k].channels;
    for (guint b = 0; b < 10; b++) {
      GstBuffer *buf = gst_buffer_new_allocate (NULL, n * ch * cases[k].bps,
          NULL);
      GstMapInfo map;
      gst_buffer_map (buf, &map, GST_MAP_WRITE);
      for (guint i = 0; i < n * ch; i++) {
        double v = 3.0 * sin (2 * G_PI * 441 * (b * n + i / ch) / 44100.0);
        if (cases[k].bps == 8)
          ((double *) map.data)[i] = v;
        else
          ((float *) map.data)[i] = v;
      }
      gst_buffer_unmap (buf, &map);
      GST_BUFFER_PTS (buf) = gst_util_uint64_scale (b * n, GST_SECOND, 44100);
      gst_harness_push (h, buf);
    }
    gst_harness_push_event (h, gst_event_new_eos ());
    guint64 frames = 0;
    double peak = 0;
    GstBuffer *out;
    while ((out = gst_harness_try_pull (h))) {
      GstMapInfo map;
      gst_buffer_map (out, &map, GST_MAP_READ);
      gsize m = map.size / cases[k].bps;
      for (gsize i = 0; i < m; i++)
        peak = MAX (peak, fabs (cases[k].bps == 8 ? ((double *) map.data)[i]
                : ((float *) map.data)[i]));
      frames += m / ch;
      gst_buffer_unmap (out, &map);
      gst_buffer_unref (out);
    }
    fail_unless_equals_uint64 (frames, 10 * n);
    fail_unless (peak <= pow (10, -1.0 / 20) && peak > 0.8, "%s x %u: %.4f",
        cases[k].format, ch, peak);
    gst_harness_teardown (h);
  }
}
GST_END_TEST;

static Suite *
limiter_suite (void)
{
  Suite *s = suite_create ("limiter");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_samples_and_timestamps);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_messages_and_lookahead);
  tcase_add_test (tc, test_default_interval);
  tcase_add_test (tc, test_ceiling_automation);
  tcase_add_test (tc, test_input_gain_change);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_formats);
  return s;
}

GST_CHECK_MAIN (limiter);
