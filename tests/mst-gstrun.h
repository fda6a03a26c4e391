/* Runs a whole signal through one element in a GstHarness (F32,
 * interleaved, 48 kHz), for the element tests that measure the output. */
#ifndef MST_GSTRUN_H
#define MST_GSTRUN_H

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#define MST_RUN_RATE 48000

/* Pushes @n_frames of @in (@channels interleaved) through
 * gst_harness_new_parse (@launch) in buffers of @block frames, then EOS;
 * writes what comes out to @out (room for @n_frames) and returns its frame
 * count. Every output buffer's timestamp continues the previous one's
 * (checked). With @latency_ns non-NULL, the latency the element answers
 * (a live upstream of 0); with @bus non-NULL, the element posts there. */
static inline gsize
mst_run_element_full (const gchar * launch, const float *in, gsize n_frames,
    gint channels, gsize block, float *out, GstClockTime * latency_ns,
    GstBus * bus)
{
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", MST_RUN_RATE, channels);
  gsize frame_bytes = sizeof (float) * channels, got = 0;
  GstBuffer *buf;

  if (bus)
    gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  for (gsize done = 0; done < n_frames; done += block) {
    gsize n = MIN (block, n_frames - done);
    buf = gst_buffer_new_memdup (in + done * channels, n * frame_bytes);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (done, GST_SECOND,
        MST_RUN_RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (done + n, GST_SECOND,
        MST_RUN_RATE) - GST_BUFFER_PTS (buf);
    GST_BUFFER_OFFSET (buf) = done;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  if (latency_ns) {
    GstQuery *q = gst_query_new_latency ();
    gboolean live;
    GstClockTime max;
    gst_harness_set_upstream_latency (h, 0);
    fail_unless (gst_pad_peer_query (h->sinkpad, q));
    gst_query_parse_latency (q, &live, latency_ns, &max);
    gst_query_unref (q);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h))) {
    gsize m = gst_buffer_get_size (buf) / frame_bytes;
    fail_unless (got + m <= n_frames, "more out than in");
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf),
        gst_util_uint64_scale (got, GST_SECOND, MST_RUN_RATE));
    gst_buffer_extract (buf, 0, out + got * channels, m * frame_bytes);
    got += m;
    gst_buffer_unref (buf);
  }
  if (bus)
    gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  return got;
}

static inline gsize
mst_run_element (const gchar * launch, const float *in, gsize n_frames,
    gint channels, gsize block, float *out, GstClockTime * latency_ns)
{
  return mst_run_element_full (launch, in, n_frames, channels, block, out,
      latency_ns, NULL);
}

/* The element messages named @name on @bus, in order: each one's
 * "gain-reduction" into @reduction_db (room for @max), its end time into
 * @end_ns; returns how many, and whether the last one is final (and only
 * it) in *@final_last. */
static inline guint
mst_pop_reductions (GstBus * bus, const gchar * name, gdouble * reduction_db,
    GstClockTime * end_ns, guint max, gboolean * final_last)
{
  GstMessage *msg;
  guint count = 0;
  *final_last = FALSE;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    gboolean final = FALSE;
    fail_unless (gst_structure_has_name (s, name));
    fail_unless (count < max, "more than %u messages", max);
    fail_unless (!*final_last, "a message after the final one");
    fail_unless (gst_structure_get_double (s, "gain-reduction",
            &reduction_db[count]));
    fail_unless (gst_structure_get_uint64 (s, "timestamp", &end_ns[count]));
    fail_unless (gst_structure_get_boolean (s, "final", &final));
    *final_last = final;
    count++;
    gst_message_unref (msg);
  }
  return count;
}

/* The element messages named @name on @bus, each with a repair count
 * @field (gst_mst_structure_set_counts: the interval's, "@field-total",
 * "@field-per-channel" of @channels): the interval counts add up to each
 * total, the channels to the total, the last message is final and only it.
 * Returns the final total; the message count into *@n_messages. */
static inline guint64
mst_pop_counts (GstBus * bus, const gchar * name, const gchar * field,
    gint channels, guint * n_messages)
{
  GstMessage *msg;
  guint64 sum = 0, total = 0;
  gboolean final = FALSE;
  gchar *total_name = g_strdup_printf ("%s-total", field);
  gchar *channel_name = g_strdup_printf ("%s-per-channel", field);
  *n_messages = 0;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint64 count, per_sum = 0;
    fail_unless (gst_structure_has_name (s, name));
    fail_unless (!final, "a message after the final one");
    fail_unless (gst_structure_get_uint64 (s, field, &count));
    fail_unless (gst_structure_get_uint64 (s, total_name, &total));
    fail_unless (gst_structure_get_boolean (s, "final", &final));
    sum += count;
    fail_unless_equals_uint64 (sum, total);
    const GValue *per = gst_structure_get_value (s, channel_name);
    fail_unless (per && gst_value_array_get_size (per) == (guint) channels);
    for (gint c = 0; c < channels; c++)
      per_sum += g_value_get_uint64 (gst_value_array_get_value (per, c));
    fail_unless_equals_uint64 (per_sum, total);
    (*n_messages)++;
    gst_message_unref (msg);
  }
  fail_unless (final, "no final message");
  g_free (total_name);
  g_free (channel_name);
  return total;
}

#endif
