/* mastering: reading the loudmeter's messages from C.
 *
 *   GST_PLUGIN_PATH=build/elements build/examples/loudness-monitor [FILE]
 *
 * Measures FILE (any audio file GStreamer can decode) or, without it, 10 s
 * of pink noise, printing a line per "loudness" message (every 500 ms) and
 * the final figures at EOS. Exits non-zero on a pipeline error. */
#include <gst/gst.h>
#include <math.h>

#define INTERVAL_NS (500 * GST_MSECOND)

/* Prints one "loudness" message; returns TRUE for the final one. */
static gboolean
print_loudness (const GstStructure * s)
{
  GstClockTime ts = GST_CLOCK_TIME_NONE;
  gdouble momentary, short_term, integrated, range, true_peak;
  gboolean final = FALSE;
  const GValue *peaks;

  gst_structure_get_uint64 (s, "running-time", &ts);
  gst_structure_get (s, "momentary", G_TYPE_DOUBLE, &momentary,
      "short-term", G_TYPE_DOUBLE, &short_term,
      "integrated", G_TYPE_DOUBLE, &integrated,
      "loudness-range", G_TYPE_DOUBLE, &range,
      "true-peak", G_TYPE_DOUBLE, &true_peak,
      "final", G_TYPE_BOOLEAN, &final, NULL);

  if (!final) {
    /* -inf (not measurable yet) prints as "-inf". */
    g_print ("%" GST_TIME_FORMAT "  M %6.1f  S %6.1f  I %6.1f LUFS  "
        "LRA %4.1f LU  TP %5.1f dBTP\n", GST_TIME_ARGS (ts), momentary,
        short_term, integrated, range, true_peak);
    return FALSE;
  }

  g_print ("\nIntegrated loudness: %.1f LUFS\n", integrated);
  g_print ("Loudness range:      %.1f LU\n", range);
  g_print ("True peak:           %.1f dBTP\n", true_peak);
  /* Per channel: a GstValueArray of doubles. */
  peaks = gst_structure_get_value (s, "channel-true-peak");
  for (guint c = 0; peaks && c < gst_value_array_get_size (peaks); c++)
    g_print ("  channel %u:         %.1f dBTP\n", c,
        g_value_get_double (gst_value_array_get_value (peaks, c)));
  return TRUE;
}

int
main (int argc, char **argv)
{
  GstElement *pipeline;
  GstBus *bus;
  GError *error = NULL;
  gchar *desc;
  int status = 0;
  gboolean done = FALSE;

  gst_init (&argc, &argv);
  if (argc > 1) {
    desc = g_strdup_printf ("filesrc name=src ! decodebin ! audioconvert ! "
        "audio/x-raw,format=F32LE ! loudmeter interval=%" G_GUINT64_FORMAT
        " ! fakesink", (guint64) INTERVAL_NS);
  } else {
    /* 10 s at 48 kHz in buffers of 1024 frames. */
    desc = g_strdup_printf ("audiotestsrc wave=pink-noise volume=0.3 "
        "num-buffers=469 samplesperbuffer=1024 ! "
        "audio/x-raw,format=F32LE,rate=48000,channels=2 ! "
        "loudmeter interval=%" G_GUINT64_FORMAT " ! fakesink",
        (guint64) INTERVAL_NS);
  }
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("Cannot build the pipeline: %s\n", error->message);
    g_clear_error (&error);
    return 1;
  }
  if (argc > 1) {
    /* Set as a property: no quoting of the name in the description. */
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    g_object_set (src, "location", argv[1], NULL);
    gst_object_unref (src);
  }

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    const GstStructure *s = gst_message_get_structure (msg);

    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        if (gst_structure_has_name (s, "loudness"))
          print_loudness (s);
        break;
      case GST_MESSAGE_ERROR:{
        gchar *dbg = NULL;
        gst_message_parse_error (msg, &error, &dbg);
        g_printerr ("Error: %s\n%s\n", error->message, dbg ? dbg : "");
        g_clear_error (&error);
        g_free (dbg);
        status = 1;
        done = TRUE;
        break;
      }
      default:                 /* EOS: the final message came before it */
        done = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return status;
}
