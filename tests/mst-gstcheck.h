/* Checks shared by the element tests (gst-check). */
#ifndef MST_GSTCHECK_H
#define MST_GSTCHECK_H

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

/* Each of the @n_bad caps @bad is refused at negotiation: a NEGOTIATION
 * error on the bus whose details say what is accepted. */
static inline void
mst_check_caps_list_refused (const gchar * factory,
    const gchar * const *bad, guint n_bad)
{
  for (guint i = 0; i < n_bad; i++) {
    GstHarness *h = gst_harness_new (factory);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
    gst_harness_set_src_caps_str (h, bad[i]);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "%s: no error for %s", factory, bad[i]);
    GError *err;
    gchar *debug;
    gst_message_parse_error (msg, &err, &debug);
    fail_unless (g_error_matches (err, GST_CORE_ERROR,
            GST_CORE_ERROR_NEGOTIATION), "%s: %s", factory, err->message);
    fail_unless (debug && strstr (debug, "accepted")
        && strstr (debug, "F32LE"), "%s: %s", factory, debug);
    g_error_free (err);
    g_free (debug);
    gst_message_unref (msg);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    gst_harness_teardown (h);
  }
}

/* Caps outside the conventions (integer samples, a rate under 8 kHz, 9
 * channels, planar layout) are refused by an element of the pack. */
static inline void
mst_check_caps_refused (const gchar * factory)
{
  static const gchar *const bad[] = {
    "audio/x-raw, format=S16LE, layout=interleaved, rate=48000, channels=2",
    "audio/x-raw, format=F32LE, layout=interleaved, rate=4000, channels=2",
    "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, channels=9",
    "audio/x-raw, format=F32LE, layout=non-interleaved, rate=48000, "
        "channels=2",
  };
  mst_check_caps_list_refused (factory, bad, G_N_ELEMENTS (bad));
}

#endif
