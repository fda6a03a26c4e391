/* mastering: eq-automation, automating an eq band with GstController.
 *
 * Builds
 *   audiotestsrc wave=pink-noise ! audioconvert ! eq ! audioconvert ! SINK
 * (SINK is fakesink, or autoaudiosink with --play), binds band0's gain to a
 * linear ramp from -12 dB to +12 dB over 4 s and its freq to a ramp from
 * 200 Hz to 5000 Hz, plays 5 s and exits with status 0.
 *
 *   GST_PLUGIN_PATH=build/elements build/examples/eq-automation [--play]
 */
#include <string.h>

#include <gst/gst.h>
#include <gst/controller/controller.h>

#define RUN_TIME (5 * GST_SECOND)
#define RAMP_TIME (4 * GST_SECOND)

/* Binds @property of @object to a linear ramp from @from to @to over
 * RAMP_TIME. Direct control bindings map the control source's 0..1 range
 * onto the property's whole range, so the ends are converted here. */
static gboolean
bind_ramp (GstObject * object, const gchar * property, gdouble from,
    gdouble to)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  GParamSpecDouble *range;
  GstControlSource *source;
  GstTimedValueControlSource *timed;
  gdouble span;

  g_return_val_if_fail (pspec != NULL && G_IS_PARAM_SPEC_DOUBLE (pspec),
      FALSE);
  range = G_PARAM_SPEC_DOUBLE (pspec);
  span = range->maximum - range->minimum;

  source = gst_interpolation_control_source_new ();
  g_object_set (source, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  timed = GST_TIMED_VALUE_CONTROL_SOURCE (source);
  gst_timed_value_control_source_set (timed, 0,
      (from - range->minimum) / span);
  gst_timed_value_control_source_set (timed, RAMP_TIME,
      (to - range->minimum) / span);
  gst_object_add_control_binding (object,
      gst_direct_control_binding_new (object, property, source));
  gst_object_unref (source);
  return TRUE;
}

int
main (int argc, char **argv)
{
  gboolean play = FALSE;
  GstElement *pipeline, *eq;
  GObject *band;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  gchar *description;
  int status = 0;

  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--play") == 0) {
      play = TRUE;
    } else if (strcmp (argv[i], "--fake") == 0) {
      play = FALSE;
    } else {
      g_printerr ("usage: %s [--play | --fake]\n", argv[0]);
      return 2;
    }
  }

  /* sync=true keeps fakesink in real time, so the run lasts RUN_TIME. */
  description = g_strdup_printf ("audiotestsrc wave=pink-noise ! "
      "audioconvert ! eq name=eq num-bands=1 ! audioconvert ! %s",
      play ? "autoaudiosink" : "fakesink sync=true");
  pipeline = gst_parse_launch (description, &error);
  g_free (description);
  if (pipeline == NULL) {
    g_printerr ("could not build the pipeline: %s\n", error->message);
    g_clear_error (&error);
    return 1;
  }

  eq = gst_bin_get_by_name (GST_BIN (pipeline), "eq");
  band = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (eq), "band0");
  gst_util_set_object_arg (band, "type", "peak");
  g_object_set (band, "q", 1.0, NULL);
  if (!bind_ramp (GST_OBJECT (band), "gain", -12.0, 12.0)
      || !bind_ramp (GST_OBJECT (band), "freq", 200.0, 5000.0)) {
    g_printerr ("could not bind the controllers\n");
    status = 1;
    goto done;
  }

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the pipeline\n");
    status = 1;
    goto done;
  }

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, RUN_TIME,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
        error->message, debug ? debug : "");
    g_clear_error (&error);
    g_free (debug);
    status = 1;
  } else {
    gdouble gain_db, freq_hz;

    g_object_get (band, "gain", &gain_db, "freq", &freq_hz, NULL);
    g_print ("after 5 s: band0 gain %.2f dB, freq %.1f Hz\n", gain_db,
        freq_hz);
  }
  if (msg != NULL)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);

done:
  g_object_unref (band);
  gst_object_unref (eq);
  gst_object_unref (pipeline);
  return status;
}
