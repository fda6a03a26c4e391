/* Tests of the limiter element through GStreamer: latency query, sample
 * count, alignment and timestamps across the EOS drain, caps, messages,
 * the lookahead refusal while playing. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
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

/* The lookahead is reported as latency: 5 ms + 67 - 1 samples at 48 kHz. */
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
  fail_unless_equals_uint64 (min, gst_util_uint64_scale (240 + 66,
          GST_SECOND, 48000));
  gst_query_unref (q);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  GstHarness *h = gst_harness_new ("limiter");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=48000, channels=2");
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
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
  return s;
}

GST_CHECK_MAIN (limiter);
