/* Checks shared by the element tests (gst-check). */
#ifndef MST_GSTCHECK_H
#define MST_GSTCHECK_H

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

/* Each of the @n_bad caps @bad is refused at negotiation: a NEGOTIATION
 * error on the bus whose details say what is accepted, @accepted among
 * it. */
static inline void
mst_check_caps_list_refused_naming (const gchar * factory,
    const gchar * const *bad, guint n_bad, const gchar * accepted)
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
        && strstr (debug, accepted), "%s: %s", factory, debug);
    g_error_free (err);
    g_free (debug);
    gst_message_unref (msg);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    gst_harness_teardown (h);
  }
}

/* The same, the accepted formats (F32LE) named. */
static inline void
mst_check_caps_list_refused (const gchar * factory,
    const gchar * const *bad, guint n_bad)
{
  mst_check_caps_list_refused_naming (factory, bad, n_bad, "F32LE");
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

/* Buffers and events pushed in order into a harness from a thread of their
 * own (a non-live aggregator takes one buffer a pad at a time, so each of
 * its inputs needs one): g_thread_new ("main", mst_push_thread, &job). */
typedef struct
{
  GstHarness *h;
  GList *items;                 /* GstBuffer or GstEvent */
} MstPushJob;

static inline gpointer
mst_push_thread (gpointer data)
{
  MstPushJob *job = (MstPushJob *) data;
  for (GList * l = job->items; l; l = l->next) {
    if (GST_IS_BUFFER (l->data))
      gst_harness_push (job->h, GST_BUFFER (l->data));
    else
      gst_harness_push_event (job->h, GST_EVENT (l->data));
  }
  g_list_free (job->items);
  return NULL;
}

/* Waits for the EOS event out of @h (the events before it dropped). */
static inline void
mst_harness_wait_eos (GstHarness * h)
{
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      return;
  }
  fail ("no EOS");
}

#endif
