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
 * (a live upstream of 0). */
static inline gsize
mst_run_element (const gchar * launch, const float *in, gsize n_frames,
    gint channels, gsize block, float *out, GstClockTime * latency_ns)
{
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", MST_RUN_RATE, channels);
  gsize frame_bytes = sizeof (float) * channels, got = 0;
  GstBuffer *buf;

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
  gst_harness_teardown (h);
  return got;
}

#endif
