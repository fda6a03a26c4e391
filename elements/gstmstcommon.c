/* mastering: GStreamer-level helpers shared by the elements. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstcommon.h"

#include <gst/audio/audio.h>

void
gst_mst_add_pad_templates (GstAudioFilterClass * klass)
{
  gst_mst_add_pad_templates_caps (klass, GST_MST_ALLOWED_CAPS);
}

void
gst_mst_add_pad_templates_caps (GstAudioFilterClass * klass,
    const gchar * caps_string)
{
  GstCaps *caps = gst_caps_from_string (caps_string);
  gst_audio_filter_class_add_pad_templates (klass, caps);
  gst_caps_unref (caps);
}

/* What @element accepts: its sink template's caps (an element narrower
 * than the pack's formats, as the stereo-only imager, says so). */
static gchar *
accepted_caps (gpointer element)
{
  GstPadTemplate *t =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (element),
      "sink");
  if (t) {
    GstCaps *caps = gst_pad_template_get_caps (t);
    gchar *s = gst_caps_to_string (caps);
    gst_caps_unref (caps);
    return s;
  }
  return g_strdup (GST_MST_ALLOWED_CAPS);
}

static const gchar *
element_kind (gpointer element)
{
  GstElementFactory *f = gst_element_get_factory (GST_ELEMENT (element));
  return f ? GST_OBJECT_NAME (f) : GST_OBJECT_NAME (element);
}

gboolean
gst_mst_accept_caps (GstBaseTransform * trans, GstPadDirection direction,
    GstCaps * caps)
{
  /* Every element of the pack is a GstAudioFilter, directly or through
   * GstMstDelayFilter, neither of which answers accept_caps itself. */
  GstBaseTransformClass *audio_filter_class =
      GST_BASE_TRANSFORM_CLASS (g_type_class_peek (GST_TYPE_AUDIO_FILTER));
  gboolean ok = audio_filter_class->accept_caps (trans, direction, caps);

  if (!ok && direction == GST_PAD_SINK && gst_caps_is_fixed (caps)) {
    gchar *offered = gst_caps_to_string (caps);
    gchar *accepted = accepted_caps (trans);
    GST_ELEMENT_ERROR (trans, CORE, NEGOTIATION,
        ("%s cannot process the audio it was given", element_kind (trans)),
        ("offered: %s; accepted: %s", offered, accepted));
    g_free (offered);
    g_free (accepted);
  }
  return ok;
}

void
gst_mst_refuse_format (GstAudioFilter * filter, const GstAudioInfo * info)
{
  gchar *accepted = accepted_caps (filter);
  GST_ELEMENT_ERROR (filter, CORE, NEGOTIATION,
      ("%s cannot process %s audio, %d channels at %d Hz",
          element_kind (filter),
          gst_audio_format_to_string (GST_AUDIO_INFO_FORMAT (info)),
          GST_AUDIO_INFO_CHANNELS (info), GST_AUDIO_INFO_RATE (info)),
      ("accepted: %s", accepted));
  g_free (accepted);
}

gboolean
gst_mst_check_format (GstAudioFilter * filter, const GstAudioInfo * info,
    gboolean * is_f64)
{
  switch (GST_AUDIO_INFO_FORMAT (info)) {
    case GST_AUDIO_FORMAT_F32LE:
      *is_f64 = FALSE;
      return TRUE;
    case GST_AUDIO_FORMAT_F64LE:
      *is_f64 = TRUE;
      return TRUE;
    default:
      gst_mst_refuse_format (filter, info);
      return FALSE;
  }
}

MstLoudnessChannel
gst_mst_loudness_channel (const GstAudioInfo * info, gint c)
{
  if (GST_AUDIO_INFO_IS_UNPOSITIONED (info))
    return MST_LOUDNESS_CHANNEL_NORMAL;
  switch (info->position[c]) {
    case GST_AUDIO_CHANNEL_POSITION_LFE1:
    case GST_AUDIO_CHANNEL_POSITION_LFE2:
      return MST_LOUDNESS_CHANNEL_UNUSED;
    case GST_AUDIO_CHANNEL_POSITION_SIDE_LEFT:
    case GST_AUDIO_CHANNEL_POSITION_SIDE_RIGHT:
    case GST_AUDIO_CHANNEL_POSITION_REAR_LEFT:
    case GST_AUDIO_CHANNEL_POSITION_REAR_RIGHT:
    case GST_AUDIO_CHANNEL_POSITION_SURROUND_LEFT:
    case GST_AUDIO_CHANNEL_POSITION_SURROUND_RIGHT:
      return MST_LOUDNESS_CHANNEL_SURROUND;
    default:
      return MST_LOUDNESS_CHANNEL_NORMAL;
  }
}

void
gst_mst_loudness_weights (const GstAudioInfo * info, gdouble * weights)
{
  for (gint c = 0; c < GST_AUDIO_INFO_CHANNELS (info); c++)
    weights[c] = mst_bs1770_channel_weight (gst_mst_loudness_channel (info,
            c));
}

static gint
front_position_index (const GstAudioInfo * info, GstAudioChannelPosition pos)
{
  for (gint i = 0; i < GST_AUDIO_INFO_CHANNELS (info); i++)
    if (info->position[i] == pos)
      return i;
  return -1;
}

void
gst_mst_front_pair (const GstAudioInfo * info, gint * left, gint * right)
{
  if (GST_AUDIO_INFO_CHANNELS (info) == 2
      && GST_AUDIO_INFO_IS_UNPOSITIONED (info)) {
    *left = 0;
    *right = 1;
    return;
  }
  *left = front_position_index (info, GST_AUDIO_CHANNEL_POSITION_FRONT_LEFT);
  *right = front_position_index (info, GST_AUDIO_CHANNEL_POSITION_FRONT_RIGHT);
  if (*left < 0 || *right < 0)
    *left = *right = -1;
}

GType
gst_mst_dynamics_detector_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_DYNAMICS_PEAK, "Peak: |x| of each key sample", "peak"},
    {MST_DYNAMICS_RMS, "RMS over rms-window", "rms"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstDynamicsDetector", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

void
gst_mst_structure_set_counts (GstStructure * s, const gchar * name,
    guint64 interval, guint64 total, const guint64 * per_channel,
    gint channels)
{
  GValue array = G_VALUE_INIT;
  gchar *total_name = g_strdup_printf ("%s-total", name);
  gchar *channel_name = g_strdup_printf ("%s-per-channel", name);

  g_value_init (&array, GST_TYPE_ARRAY);
  for (gint c = 0; c < channels; c++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_UINT64);
    g_value_set_uint64 (&v, per_channel[c]);
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_structure_set (s, name, G_TYPE_UINT64, interval, total_name,
      G_TYPE_UINT64, total, NULL);
  gst_structure_take_value (s, channel_name, &array);
  g_free (total_name);
  g_free (channel_name);
}
