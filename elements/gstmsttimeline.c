/* mastering: timestamps, intervals and latency of the elements that delay. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmsttimeline.h"

void
gst_mst_timeline_restart (GstMstTimeline * tl)
{
  tl->ts_base = GST_CLOCK_TIME_NONE;
  tl->frames_out = 0;
}

void
gst_mst_timeline_start (GstMstTimeline * tl, GstBuffer * in, gsize pending)
{
  if (GST_BUFFER_PTS_IS_VALID (in) && !GST_CLOCK_TIME_IS_VALID (tl->ts_base)
      && pending == 0) {
    tl->ts_base = GST_BUFFER_PTS (in);
    tl->frames_out = 0;
  }
}

GstClockTime
gst_mst_timeline_frame_time (const GstMstTimeline * tl, gint rate,
    guint64 frame)
{
  if (!GST_CLOCK_TIME_IS_VALID (tl->ts_base))
    return GST_CLOCK_TIME_NONE;
  return tl->ts_base + gst_util_uint64_scale_int (frame, GST_SECOND, rate);
}

GstBuffer *
gst_mst_timeline_finish (GstMstTimeline * tl, const GstAudioInfo * info,
    GstBuffer * buf, gsize n_frames)
{
  gint rate = GST_AUDIO_INFO_RATE (info);

  if (n_frames == 0) {
    gst_buffer_unref (buf);
    return NULL;
  }
  /* Most buffers keep their size: no resize (it walks the memories). */
  if (gst_buffer_get_size (buf) != n_frames * GST_AUDIO_INFO_BPF (info))
    gst_buffer_set_size (buf, n_frames * GST_AUDIO_INFO_BPF (info));
  if (GST_CLOCK_TIME_IS_VALID (tl->ts_base)) {
    GST_BUFFER_PTS (buf) = gst_mst_timeline_frame_time (tl, rate,
        tl->frames_out);
    GST_BUFFER_DURATION (buf) = gst_mst_timeline_frame_time (tl, rate,
        tl->frames_out + n_frames) - GST_BUFFER_PTS (buf);
  }
  GST_BUFFER_OFFSET (buf) = tl->frames_out;
  GST_BUFFER_OFFSET_END (buf) = tl->frames_out + n_frames;
  if (tl->frames_out == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  tl->frames_out += n_frames;
  return buf;
}

gboolean
gst_mst_timeline_count (GstMstTimeline * tl, gsize n, gint rate,
    GstClockTime * duration)
{
  if (tl->interval_frames == 0)
    return FALSE;
  tl->interval_count += n;
  if (tl->interval_count < tl->interval_frames)
    return FALSE;
  *duration = gst_util_uint64_scale_int (tl->interval_count, GST_SECOND,
      rate);
  tl->interval_count = 0;
  return TRUE;
}

gsize
gst_mst_timeline_to_interval (const GstMstTimeline * tl)
{
  if (tl->interval_frames == 0)
    return G_MAXSIZE;
  return tl->interval_frames - tl->interval_count;
}

/* The fields' names as quarks, looked up once: g_quark_from_string takes
 * GLib's global quark lock and hashes the name, for each field of each
 * message. */
static GQuark q_timestamp, q_stream_time, q_running_time, q_duration, q_final;

static gpointer
intern_field_names (G_GNUC_UNUSED gpointer data)
{
  q_timestamp = g_quark_from_static_string ("timestamp");
  q_stream_time = g_quark_from_static_string ("stream-time");
  q_running_time = g_quark_from_static_string ("running-time");
  q_duration = g_quark_from_static_string ("duration");
  q_final = g_quark_from_static_string ("final");
  return NULL;
}

GstStructure *
gst_mst_interval_structure_new (GstBaseTransform * trans, const gchar * name,
    GstClockTime end_ts, GstClockTime duration, gboolean final)
{
  static GOnce once = G_ONCE_INIT;
  /* A stream may end before any segment came (a source with nothing to
   * send): no times to convert then. */
  gboolean timed = trans->segment.format == GST_FORMAT_TIME;

  g_once (&once, intern_field_names, NULL);
  return gst_structure_new_id (g_quark_from_string (name),
      q_timestamp, G_TYPE_UINT64, end_ts,
      q_stream_time, G_TYPE_UINT64, timed ? gst_segment_to_stream_time
      (&trans->segment, GST_FORMAT_TIME, end_ts) : GST_CLOCK_TIME_NONE,
      q_running_time, G_TYPE_UINT64, timed ? gst_segment_to_running_time
      (&trans->segment, GST_FORMAT_TIME, end_ts) : GST_CLOCK_TIME_NONE,
      q_duration, G_TYPE_UINT64, duration, q_final, G_TYPE_BOOLEAN, final,
      NULL);
}

void
gst_mst_install_message_properties (GObjectClass * klass, guint prop_interval,
    guint prop_post_messages, guint64 default_interval_ns,
    const gchar * interval_blurb, const gchar * post_messages_blurb)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;

  g_object_class_install_property (klass, prop_interval,
      g_param_spec_uint64 ("interval", "Interval (ns)", interval_blurb, 1,
          G_MAXUINT64, default_interval_ns, flags));
  g_object_class_install_property (klass, prop_post_messages,
      g_param_spec_boolean ("post-messages", "Post messages",
          post_messages_blurb, TRUE, flags));
}

void
gst_mst_message_settings_init (GstMstMessageSettings * m,
    guint64 default_interval_ns)
{
  m->interval_ns = default_interval_ns;
  m->post_messages = TRUE;
}

gboolean
gst_mst_message_settings_set (GstMstMessageSettings * m, GParamSpec * pspec,
    const GValue * value)
{
  if (g_str_equal (pspec->name, "interval"))
    m->interval_ns = g_value_get_uint64 (value);
  else if (g_str_equal (pspec->name, "post-messages"))
    m->post_messages = g_value_get_boolean (value);
  else
    return FALSE;
  return TRUE;
}

gboolean
gst_mst_message_settings_get (const GstMstMessageSettings * m,
    GParamSpec * pspec, GValue * value)
{
  if (g_str_equal (pspec->name, "interval"))
    g_value_set_uint64 (value, m->interval_ns);
  else if (g_str_equal (pspec->name, "post-messages"))
    g_value_set_boolean (value, m->post_messages);
  else
    return FALSE;
  return TRUE;
}

void
gst_mst_latency_query_add (GstQuery * query, GstClockTime ours)
{
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  min += ours;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += ours;
  gst_query_set_latency (query, live, min, max);
}

GstBuffer *
gst_mst_timeline_finish_output (GstMstTimeline * tl, const GstAudioInfo * info,
    GstBuffer * in, GstMapInfo * in_map, GstBuffer * out,
    GstMapInfo * out_map, gsize n_frames)
{
  gst_buffer_unmap (out, out_map);
  gst_buffer_unmap (in, in_map);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_METADATA, 0, -1);
  GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DISCONT);
  GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_GAP);
  gst_buffer_unref (in);
  return gst_mst_timeline_finish (tl, info, out, n_frames);
}

void
gst_mst_warn_nonfinite (GstElement * element, gsize count, gsize * seen,
    gboolean * warned)
{
  if (count == *seen)
    return;
  *seen = count;
  if (*warned)
    return;
  *warned = TRUE;
  GST_ELEMENT_WARNING (element, STREAM, FORMAT,
      ("Non-finite samples (NaN or Inf) in the input"),
      ("they are processed as silence; further occurrences in this stream "
          "are handled the same way without another warning"));
}
