/* Tests of the loudmeter element through GStreamer: messages and their
 * fields, the final message at EOS, bit-exact passthrough, channel
 * weighting from the caps' positions, reset, short input, caps. The
 * measurement itself is tested on arrays in test-loudness. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "mst-gstcheck.h"
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

/* One second of a 1 kHz sine per channel: amplitude amp[c] (linear). */
static GstBuffer *
sine_second (guint channels, const double *amp, guint64 second)
{
  const guint rate = 48000;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 4 * channels * rate, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  float *x = (float *) map.data;
  for (guint i = 0; i < rate; i++)
    for (guint c = 0; c < channels; c++)
      x[i * channels + c] = amp[c] * sin (2 * G_PI * 1000 * i / rate);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = second * GST_SECOND;
  GST_BUFFER_DURATION (buf) = GST_SECOND;
  return buf;
}

typedef struct {
  int messages;
  double integrated, momentary;
  gboolean final_seen;
  GstClockTime last_ts;
} Seen;

static void
collect (GstBus * bus, Seen * seen)
{
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    gboolean final;
    fail_unless (gst_structure_has_name (s, "loudness"));
    static const char *fields[] = { "momentary", "short-term", "integrated",
      "loudness-range", "true-peak", "sample-peak", "momentary-max",
      "short-term-max"
    };
    for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
      fail_unless (gst_structure_has_field_typed (s, fields[k],
              G_TYPE_DOUBLE), "no %s", fields[k]);
    fail_unless (gst_structure_has_field_typed (s, "channel-true-peak",
            GST_TYPE_ARRAY));
    fail_unless (gst_structure_has_field_typed (s, "channel-sample-peak",
            GST_TYPE_ARRAY));
    gst_structure_get_double (s, "integrated", &seen->integrated);
    gst_structure_get_double (s, "momentary", &seen->momentary);
    gst_structure_get_boolean (s, "final", &final);
    guint64 ts;
    gst_structure_get_uint64 (s, "timestamp", &ts);
    if (!final) {
      fail_unless (seen->messages == 0 || ts > seen->last_ts);
      seen->last_ts = ts;
      seen->messages++;
    }
    seen->final_seen |= final;
    gst_message_unref (msg);
  }
}

/* Runs seconds of the given per-channel amplitudes through loudmeter with
 * caps_str; returns what its messages said. */
static Seen
measure (const gchar * caps_str, guint channels, const double *amp,
    guint seconds)
{
  GstHarness *h = gst_harness_new ("loudmeter");
  GstBus *bus = gst_bus_new ();
  Seen seen = { 0 };
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "interval", GST_SECOND / 2, NULL);
  gst_harness_set_src_caps_str (h, caps_str);
  for (guint s = 0; s < seconds; s++) {
    GstBuffer *in = sine_second (channels, amp, s);
    GstBuffer *copy = gst_buffer_copy_deep (in);
    gst_buffer_ref (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    /* Passthrough: the same buffer, untouched. */
    fail_unless (out == in);
    GstMapInfo a, b;
    gst_buffer_map (out, &a, GST_MAP_READ);
    gst_buffer_map (copy, &b, GST_MAP_READ);
    fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0);
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (copy, &b);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    gst_buffer_unref (copy);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  collect (bus, &seen);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return seen;
}

#define STEREO "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, " \
  "channels=2"
#define SURROUND "audio/x-raw, format=F32LE, layout=interleaved, " \
  "rate=48000, channels=6, channel-mask=(bitmask)0x3f"

/* A 1 kHz sine at -23 dBFS on both channels reads -23 LUFS (EBU Tech 3341
 * case 1; -22.99 at exactly 1 kHz), with a message every interval and a
 * final one at EOS. */
GST_START_TEST (test_stereo_reference)
{
  const double a = pow (10, -23.0 / 20), amp[2] = { a, a };
  Seen seen = measure (STEREO, 2, amp, 10);
  fail_unless_equals_int (seen.messages, 20);
  fail_unless (seen.final_seen);
  fail_unless (fabs (seen.integrated + 23.0) < 0.1, "%.3f", seen.integrated);
  fail_unless (fabs (seen.momentary + 23.0) < 0.1, "%.3f", seen.momentary);
}
GST_END_TEST;

/* 5.1 from the caps' positions (FL FR FC LFE RL RR): the LFE is excluded,
 * the surrounds weigh +1.5 dB. */
GST_START_TEST (test_channel_weights)
{
  const double a = pow (10, -23.0 / 20);
  const double front[6] = { a, 0, 0, 0, 0, 0 };
  const double front_lfe[6] = { a, 0, 0, 1.0, 0, 0 };
  const double rear[6] = { 0, 0, 0, 0, a, 0 };
  Seen f = measure (SURROUND, 6, front, 5);
  Seen fl = measure (SURROUND, 6, front_lfe, 5);
  Seen r = measure (SURROUND, 6, rear, 5);
  fail_unless (fabs (f.integrated - fl.integrated) < 1e-6, "LFE counted: "
      "%.4f vs %.4f", f.integrated, fl.integrated);
  fail_unless (fabs (r.integrated - f.integrated - 10 * log10 (1.41)) < 0.02,
      "surround %.3f, front %.3f", r.integrated, f.integrated);
}
GST_END_TEST;

/* Under 400 ms nothing can be measured: -inf, documented, not garbage. */
GST_START_TEST (test_short_input)
{
  GstHarness *h = gst_harness_new ("loudmeter");
  GstBus *bus = gst_bus_new ();
  Seen seen = { 0 };
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, STEREO);
  GstBuffer *buf = gst_harness_create_buffer (h, 8 * 9600);
  gst_buffer_memset (buf, 0, 0x3e, 8 * 9600);   /* 0.18 in every sample */
  GST_BUFFER_PTS (buf) = 0;
  gst_harness_push (h, buf);
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_push_event (h, gst_event_new_eos ());
  collect (bus, &seen);
  fail_unless (seen.final_seen);
  fail_unless (isinf (seen.integrated) && seen.integrated < 0);
  fail_unless (isinf (seen.momentary) && seen.momentary < 0);
  double tp;
  g_object_get (h->element, "true-peak", &tp, NULL);
  fail_unless (isfinite (tp));
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* The reset action signal starts the measurement again. */
GST_START_TEST (test_reset)
{
  GstHarness *h = gst_harness_new ("loudmeter");
  gst_harness_set_src_caps_str (h, STEREO);
  const double loud[2] = { 0.5, 0.5 }, quiet[2] = { 0.05, 0.05 };
  for (int s = 0; s < 3; s++) {
    gst_harness_push (h, sine_second (2, loud, s));
    gst_buffer_unref (gst_harness_pull (h));
  }
  g_signal_emit_by_name (h->element, "reset");
  for (int s = 3; s < 7; s++) {
    gst_harness_push (h, sine_second (2, quiet, s));
    gst_buffer_unref (gst_harness_pull (h));
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  double integrated, max_m;
  g_object_get (h->element, "integrated", &integrated, "momentary-max",
      &max_m, NULL);
  /* -26 dBFS sine: -26 LUFS; the loud part before the reset is gone. */
  fail_unless (fabs (integrated + 26.0) < 0.1, "%.3f", integrated);
  fail_unless (max_m < -25.5, "%.3f", max_m);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  mst_check_caps_refused ("loudmeter");
}
GST_END_TEST;

static Suite *
loudmeter_suite (void)
{
  Suite *s = suite_create ("loudmeter");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stereo_reference);
  tcase_add_test (tc, test_channel_weights);
  tcase_add_test (tc, test_short_input);
  tcase_add_test (tc, test_reset);
  tcase_add_test (tc, test_caps_refused);
  return s;
}

GST_CHECK_MAIN (loudmeter);
