/* mastering: GstMstFilter, what every element of the pack does alike
 * (caps, settings snapshot, automation, dispatch, the non-finite warning,
 * resets, interval messages), and the in-place streaming of the elements
 * whose core does not delay the audio. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstfilter.h"
#include "gstmstcommon.h"

#include <string.h>
#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_filter_debug);
#define GST_CAT_DEFAULT gst_mst_filter_debug

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstMstFilter, gst_mst_filter,
    GST_TYPE_AUDIO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_filter_debug, "mstfilter", 0,
        "mastering element base"));

#define GET_CLASS(self) GST_MST_FILTER_GET_CLASS (self)

static guint8 *
settings_of (GstMstFilter * self)
{
  return (guint8 *) self + GET_CLASS (self)->settings_offset;
}

/* The settings staged (copied under the lock), applied if they changed. */
static void
apply_staged (GstMstFilter * self)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  gconstpointer copy;

  if (gst_mst_settings_snapshot_take_staged (&self->snapshot, &copy)
      && klass->apply)
    gst_mst_settings_snapshot_done (&self->snapshot, GST_ELEMENT (self),
        settings_of (self), klass->apply (self, copy) == MST_OK,
        klass->refusal_hint);
}

/* The settings copied under the lock, applied if they changed. */
static void
apply_settings (GstMstFilter * self)
{
  GST_OBJECT_LOCK (self);
  gst_mst_settings_snapshot_stage (&self->snapshot, settings_of (self));
  GST_OBJECT_UNLOCK (self);
  apply_staged (self);
}

/* Automation synced at @stream_time (if valid), then the settings. */
static void
sync_and_apply (GstMstFilter * self, GstClockTime stream_time)
{
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    GET_CLASS (self)->sync_values (self, stream_time);
  apply_settings (self);
}

static void
gst_mst_filter_default_sync_values (GstMstFilter * self,
    GstClockTime stream_time)
{
  gst_object_sync_values (GST_OBJECT (self), stream_time);
}

void
gst_mst_filter_post_status (GstMstFilter * self, GstClockTime end_ts,
    GstClockTime duration, gboolean final)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  GstStructure *s = NULL;
  gboolean post;

  GST_OBJECT_LOCK (self);
  post = self->messages.post_messages;
  GST_OBJECT_UNLOCK (self);
  /* The message that ends an interval while a stream ends is its last. */
  final = final || self->at_eos;
  if (final)
    self->final_posted = TRUE;
  if (post) {
    s = gst_mst_interval_structure_new (GST_BASE_TRANSFORM (self),
        klass->message_name, end_ts, duration, final);
  }
  klass->read_status (self, s);
  if (s)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
}

void
gst_mst_filter_check_nonfinite (GstMstFilter * self)
{
  gst_mst_warn_nonfinite (GST_ELEMENT (self),
      (gsize) GET_CLASS (self)->get_nonfinite_count (self),
      &self->nonfinite_seen, &self->warned_nonfinite);
}

static void
post_configure_error (GstMstFilter * self,
    const GstAudioInfo * info, MstResult result)
{
  if (result == MST_ERR_NOMEM)
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory"),
        ("the core could not allocate for %d channels at %d Hz",
            GST_AUDIO_INFO_CHANNELS (info), GST_AUDIO_INFO_RATE (info)));
  else
    gst_mst_refuse_format (GST_AUDIO_FILTER (self), info);
}

static void
reset_core (GstMstFilter * self)
{
  GstMstFilterClass *klass = GET_CLASS (self);

  if (self->configured && klass->reset)
    klass->reset (self);
}

static gboolean
gst_mst_filter_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  GstMstFilter *self = GST_MST_FILTER (filter);
  GstMstFilterClass *klass = GET_CLASS (self);
  gboolean is_f64;
  MstResult r;

  self->configured = FALSE;
  if (!gst_mst_check_format (filter, info, &is_f64))
    return FALSE;
  self->format = is_f64 ? MST_FORMAT_F64 : MST_FORMAT_F32;
  r = klass->configure (self, info);
  if (r != MST_OK) {
    post_configure_error (self, info, r);
    return FALSE;
  }
  /* Sized here, not in init: while the base's init runs, the instance's
   * class is still the base's. */
  gst_mst_settings_snapshot_init (&self->snapshot, klass->settings_size);
  self->process = is_f64 ? klass->process_f64 : klass->process_f32;
  self->process_to = is_f64 ? klass->process_to_f64 : klass->process_to_f32;
  self->configured = TRUE;
  /* A new format starts with the settings in force, smoothers at their
   * targets: no glide from the core's defaults. */
  apply_settings (self);
  reset_core (self);
  gst_mst_timeline_restart (&self->timeline);
  self->timeline.interval_count = 0;
  self->last_end = GST_CLOCK_TIME_NONE;
  return TRUE;
}


static GstClockTime
stream_time_at (GstMstFilter * self, GstClockTime pts, gsize frame, gint rate)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_stream_time (&GST_BASE_TRANSFORM (self)->segment,
      GST_FORMAT_TIME, pts + gst_util_uint64_scale_int (frame, GST_SECOND,
          rate));
}

gboolean
gst_mst_filter_begin_buffer (GstMstFilter * self, GstClockTime pts)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);

  guint64 interval_ns;
  gboolean active = FALSE;

  /* Without a control binding the default sync does nothing (as
   * gst_object_sync_values, which reads the list without the lock, after
   * a type check that costs more than the rest): the buffer's stream time
   * is then not needed either. */
  if (klass->sync_values != gst_mst_filter_default_sync_values
      || GST_OBJECT (self)->control_bindings) {
    GstClockTime stream_time = stream_time_at (self, pts, 0, rate);
    if (GST_CLOCK_TIME_IS_VALID (stream_time))
      klass->sync_values (self, stream_time);
  }
  /* The settings, the interval and whether a control binding is active
   * under one lock, taken once a buffer (apply_settings and
   * gst_object_has_active_control_bindings would each take it again). */
  GST_OBJECT_LOCK (self);
  gst_mst_settings_snapshot_stage (&self->snapshot, settings_of (self));
  interval_ns = self->messages.interval_ns;
  for (GList * l = GST_OBJECT (self)->control_bindings; l; l = l->next)
    active |= !gst_control_binding_is_disabled (l->data);
  GST_OBJECT_UNLOCK (self);
  apply_staged (self);
  self->timeline.interval_frames = klass->message_name ?
      gst_util_uint64_scale_int (interval_ns, rate, GST_SECOND) : 0;
  return klass->control_frames > 0 && GST_CLOCK_TIME_IS_VALID (pts)
      && active;
}

void
gst_mst_filter_sync_at (GstMstFilter * self, GstClockTime pts, gsize frame)
{
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);

  sync_and_apply (self, stream_time_at (self, pts, frame, rate));
}

/* Before basetransform decides whether the buffer must be writable: the
 * resets, automation and settings of this buffer, and whether the core
 * passes it untouched. */
static void
gst_mst_filter_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstMstFilterClass *klass = GET_CLASS (self);

  if (!self->configured)
    return;
  /* What came before a discontinuity does not ring into what follows. */
  if (GST_BUFFER_IS_DISCONT (buf) && !klass->measures_programme)
    reset_core (self);
  self->controlled = gst_mst_filter_begin_buffer (self, GST_BUFFER_PTS (buf));
  if (klass->is_passthrough)
    gst_base_transform_set_passthrough (trans, !self->controlled
        && klass->is_passthrough (self));
}

/* @n frames of @in (in place when @out is NULL, else into @out, of
 * @out_bpf bytes a frame) in pieces that end at the message interval's
 * boundaries and, under automation, every control_frames. */
static void
stream_pieces (GstMstFilter * self, GstClockTime pts, guint8 * in, gsize n,
    guint8 * out, gsize out_bpf)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gint rate = GST_AUDIO_INFO_RATE (info);
  gsize bpf = GST_AUDIO_INFO_BPF (info);

  for (gsize done = 0; done < n;) {
    gsize piece = n - done;
    GstClockTime duration;
    piece = MIN (piece, gst_mst_timeline_to_interval (&self->timeline));
    if (self->controlled) {
      piece = MIN (piece, klass->control_frames);
      if (done > 0)
        gst_mst_filter_sync_at (self, pts, done);
    }
    if (out)
      self->process_to (self, in ? in + done * bpf : NULL, piece,
          out + done * out_bpf);
    else
      self->process (self, in + done * bpf, piece);
    done += piece;
    if (gst_mst_timeline_count (&self->timeline, piece, rate, &duration)) {
      GstClockTime end = GST_CLOCK_TIME_IS_VALID (pts) ? pts +
          gst_util_uint64_scale_int (done, GST_SECOND, rate) :
          GST_CLOCK_TIME_NONE;
      gst_mst_filter_post_status (self, end, duration, FALSE);
    }
  }
  gst_mst_filter_check_nonfinite (self);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    self->last_end = pts + gst_util_uint64_scale_int (n, GST_SECOND, rate);
}

static GstFlowReturn
gst_mst_filter_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gboolean writable = !gst_base_transform_is_passthrough (trans);
  GstMapInfo map;

  if (!self->configured)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_buffer_map (buf, &map, writable ? GST_MAP_READWRITE :
          GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
    return GST_FLOW_ERROR;
  }
  if (writable && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    /* A gap is silence, through which a filter's tail rings on. */
    memset (map.data, 0, map.size);
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
  }
  stream_pieces (self, GST_BUFFER_PTS (buf), map.data,
      map.size / GST_AUDIO_INFO_BPF (info), NULL, 0);
  gst_buffer_unmap (buf, &map);
  return GST_FLOW_OK;
}

/* A format-changing element: @inbuf into @outbuf, in the src format. */
static GstFlowReturn
gst_mst_filter_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  GstMapInfo in, out;
  gsize n;

  if (!self->configured || !self->process_to)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_buffer_map (inbuf, &in, GST_MAP_READ))
    goto map_failed;
  if (!gst_buffer_map (outbuf, &out, GST_MAP_WRITE)) {
    gst_buffer_unmap (inbuf, &in);
    goto map_failed;
  }
  n = MIN (in.size / GST_AUDIO_INFO_BPF (info),
      out.size / GST_AUDIO_INFO_BPF (&self->out_info));
  /* A gap is silence (the core is given NULL for it), through which the
   * core runs on. */
  stream_pieces (self, GST_BUFFER_PTS (inbuf),
      GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_GAP) ? NULL : in.data, n,
      out.data, GST_AUDIO_INFO_BPF (&self->out_info));
  GST_BUFFER_FLAG_UNSET (outbuf, GST_BUFFER_FLAG_GAP);
  gst_buffer_unmap (outbuf, &out);
  gst_buffer_unmap (inbuf, &in);
  return GST_FLOW_OK;

map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
  return GST_FLOW_ERROR;
}

/* The "format" strings of @s (a string or a list of them) into @out. */
static void
structure_formats (const GstStructure * s, GPtrArray * out)
{
  const GValue *v = gst_structure_get_value (s, "format");

  if (v && G_VALUE_HOLDS_STRING (v))
    g_ptr_array_add (out, (gpointer) g_value_get_string (v));
  else if (v && GST_VALUE_HOLDS_LIST (v))
    for (guint i = 0; i < gst_value_list_get_size (v); i++) {
      const GValue *item = gst_value_list_get_value (v, i);
      if (G_VALUE_HOLDS_STRING (item))
        g_ptr_array_add (out, (gpointer) g_value_get_string (item));
    }
}

static gboolean
is_float_format (const gchar * f)
{
  return !g_strcmp0 (f, "F32LE") || !g_strcmp0 (f, "F64LE");
}

static void
list_append_string (GValue * list, const gchar * str)
{
  GValue item = G_VALUE_INIT;
  for (guint i = 0; i < gst_value_list_get_size (list); i++)
    if (!g_strcmp0 (g_value_get_string (gst_value_list_get_value (list, i)),
            str))
      return;
  g_value_init (&item, G_TYPE_STRING);
  g_value_set_string (&item, str);
  gst_value_list_append_and_take_value (list, &item);
}

/* A format-changing element: a float format on the sink goes out as itself
 * (first: nothing is reduced unless downstream asks) or as one of the
 * src_formats; an integer format on the src comes from either float. Rate,
 * channels and layout carry over. */
static GstCaps *
gst_mst_filter_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstMstFilterClass *klass = GET_CLASS (trans);
  GstCaps *res = gst_caps_new_empty ();
  gchar **reduced = g_strsplit (klass->src_formats, ",", -1);
  GstPad *other = direction == GST_PAD_SINK ?
      GST_BASE_TRANSFORM_SRC_PAD (trans) : GST_BASE_TRANSFORM_SINK_PAD (trans);
  GstCaps *templ = gst_pad_get_pad_template_caps (other);

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));
    GPtrArray *formats = g_ptr_array_new ();
    GValue list = G_VALUE_INIT;
    gboolean any = !gst_structure_has_field (s, "format");

    structure_formats (s, formats);
    g_value_init (&list, GST_TYPE_LIST);
    for (guint k = 0; k < formats->len; k++) {
      const gchar *f = g_ptr_array_index (formats, k);
      if (is_float_format (f))
        list_append_string (&list, f);
      else if (direction == GST_PAD_SRC) {
        list_append_string (&list, "F32LE");
        list_append_string (&list, "F64LE");
      }
    }
    if (direction == GST_PAD_SINK && (any || gst_value_list_get_size (&list)))
      for (gchar ** r = reduced; *r; r++)
        list_append_string (&list, g_strstrip (*r));
    if (any) {
      list_append_string (&list, "F32LE");
      list_append_string (&list, "F64LE");
    }
    if (gst_value_list_get_size (&list) > 0) {
      gst_structure_take_value (s, "format", &list);
      res = gst_caps_merge_structure (res, s);
    } else {
      g_value_unset (&list);
      gst_structure_free (s);
    }
    g_ptr_array_free (formats, TRUE);
  }
  g_strfreev (reduced);
  {
    GstCaps *t = gst_caps_intersect_full (res, templ,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = t;
  }
  gst_caps_unref (templ);
  if (filter) {
    GstCaps *t = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = t;
  }
  return res;
}

/* The src format known before setup configures the core. */
static gboolean
gst_mst_filter_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstMstFilter *self = GST_MST_FILTER (trans);

  if (!gst_audio_info_from_caps (&self->out_info, outcaps))
    return FALSE;
  return GST_BASE_TRANSFORM_CLASS (gst_mst_filter_parent_class)->set_caps
      (trans, incaps, outcaps);
}

void
gst_mst_filter_class_set_src_formats (GstMstFilterClass * klass,
    const gchar * formats)
{
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  gchar *text = g_strdup_printf ("audio/x-raw, format = (string) { %s, "
      "F32LE, F64LE }, rate = (int) [ %d, %d ], channels = (int) [ 1, %d ], "
      "layout = (string) interleaved", formats, MST_MIN_RATE_HZ,
      MST_MAX_RATE_HZ, MST_MAX_CHANNELS);
  GstCaps *caps = gst_caps_from_string (text);

  klass->src_formats = formats;
  gst_element_class_add_pad_template (GST_ELEMENT_CLASS (klass),
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  g_free (text);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_mst_filter_transform);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_mst_filter_transform_caps);
  /* The sink's float format on the src: untouched, nothing called. */
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = FALSE;
}

/* A stereo-out element: the sink takes one or two channels, the src gives
 * two, in the sink's format and rate. */
static GstCaps *
gst_mst_filter_transform_caps_stereo_out (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstPad *other = direction == GST_PAD_SINK ?
      GST_BASE_TRANSFORM_SRC_PAD (trans) : GST_BASE_TRANSFORM_SINK_PAD (trans);
  GstCaps *templ = gst_pad_get_pad_template_caps (other);
  GstCaps *res = gst_caps_new_empty ();

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));
    gst_structure_remove_field (s, "channel-mask");
    if (direction == GST_PAD_SINK)
      gst_structure_set (s, "channels", G_TYPE_INT, 2, NULL);
    else
      gst_structure_set (s, "channels", GST_TYPE_INT_RANGE, 1, 2, NULL);
    res = gst_caps_merge_structure (res, s);
  }
  GstCaps *t = gst_caps_intersect_full (res, templ, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (res);
  gst_caps_unref (templ);
  res = t;
  if (filter) {
    t = gst_caps_intersect_full (filter, res, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = t;
  }
  return res;
}

void
gst_mst_filter_class_set_stereo_out (GstMstFilterClass * klass)
{
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  static const gchar *const caps_text[] = {
    "audio/x-raw, format = (string) { F32LE, F64LE }, rate = (int) [ 8000, "
        "384000 ], channels = (int) [ 1, 2 ], layout = (string) interleaved",
    "audio/x-raw, format = (string) { F32LE, F64LE }, rate = (int) [ 8000, "
        "384000 ], channels = (int) 2, layout = (string) interleaved",
  };
  for (guint i = 0; i < 2; i++) {
    GstCaps *caps = gst_caps_from_string (caps_text[i]);
    gst_element_class_add_pad_template (element_class,
        gst_pad_template_new (i ? "src" : "sink", i ? GST_PAD_SRC :
            GST_PAD_SINK, GST_PAD_ALWAYS, caps));
    gst_caps_unref (caps);
  }
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_mst_filter_transform);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_mst_filter_transform_caps_stereo_out);
  /* Stereo in is stereo out: the same caps, yet processed (is_passthrough
   * says when it may go through untouched). */
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
}

/* Frames a buffer of the tail holds. */
#define TAIL_CHUNK_FRAMES 4096

/* At EOS: the core's tail pushed in buffers that continue the stream's
 * timestamps (from the end of the last buffer processed). */
static void
push_tail (GstMstFilter * self)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  gsize (*tail) (GstMstFilter *, gpointer, gsize) =
      self->format == MST_FORMAT_F64 ? klass->tail_to_f64 : klass->tail_to_f32;
  gint rate = GST_AUDIO_INFO_RATE (&self->out_info);
  gsize bpf = GST_AUDIO_INFO_BPF (&self->out_info);
  GstClockTime start = self->last_end;
  guint64 done = 0;

  if (!tail || !self->configured || !GST_CLOCK_TIME_IS_VALID (start))
    return;
  for (;;) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, TAIL_CHUNK_FRAMES * bpf,
        NULL);
    GstMapInfo map;
    gsize n;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    n = tail (self, map.data, TAIL_CHUNK_FRAMES);
    gst_buffer_unmap (buf, &map);
    if (n == 0) {
      gst_buffer_unref (buf);
      break;
    }
    gst_buffer_resize (buf, 0, n * bpf);
    GST_BUFFER_PTS (buf) = start + gst_util_uint64_scale_int (done,
        GST_SECOND, rate);
    done += n;
    GST_BUFFER_DURATION (buf) = start + gst_util_uint64_scale_int (done,
        GST_SECOND, rate) - GST_BUFFER_PTS (buf);
    self->last_end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    if (gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf) != GST_FLOW_OK)
      break;
  }
  GST_DEBUG_OBJECT (self, "drained a tail of %" G_GUINT64_FORMAT " frames",
      done);
}

static gboolean
gst_mst_filter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstMstFilterClass *klass = GET_CLASS (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      push_tail (self);
      if (klass->message_name && self->configured && !self->final_posted) {
        gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
        gst_mst_filter_post_status (self, self->last_end,
            gst_util_uint64_scale_int (self->timeline.interval_count,
                GST_SECOND, rate), TRUE);
      }
      self->timeline.interval_count = 0;
      self->at_eos = self->final_posted = FALSE;
      break;
    case GST_EVENT_FLUSH_STOP:
      reset_core (self);
      gst_mst_timeline_restart (&self->timeline);
      break;
    case GST_EVENT_STREAM_START:
      self->warned_nonfinite = FALSE;
      if (klass->measures_programme)
        reset_core (self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_mst_filter_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_mst_filter_stop (GstBaseTransform * trans)
{
  GstMstFilter *self = GST_MST_FILTER (trans);

  reset_core (self);
  self->configured = FALSE;
  return TRUE;
}

/* Before any property is set: the settings the element starts with are
 * the core's. */
static void
gst_mst_filter_constructed (GObject * object)
{
  GstMstFilter *self = GST_MST_FILTER (object);
  GstMstFilterClass *klass = GET_CLASS (self);

  G_OBJECT_CLASS (gst_mst_filter_parent_class)->constructed (object);
  gst_mst_settings_snapshot_construct (&self->snapshot, klass->settings_size,
      (const guint8 *) self + klass->settings_offset);
}

static void
gst_mst_filter_finalize (GObject * object)
{
  GstMstFilter *self = GST_MST_FILTER (object);

  if (GET_CLASS (self)->destroy)
    GET_CLASS (self)->destroy (self);
  gst_mst_settings_snapshot_clear (&self->snapshot);
  G_OBJECT_CLASS (gst_mst_filter_parent_class)->finalize (object);
}

static void
gst_mst_filter_class_init (GstMstFilterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);

  gobject_class->constructed = gst_mst_filter_constructed;
  gobject_class->finalize = gst_mst_filter_finalize;

  gst_mst_add_pad_templates (filter_class);

  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_mst_filter_before_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_mst_filter_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_filter_sink_event);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR (gst_mst_accept_caps);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mst_filter_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_mst_filter_set_caps);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_mst_filter_setup);

  klass->control_frames = GST_MST_CONTROL_FRAMES;
  klass->sync_values = gst_mst_filter_default_sync_values;

  gst_type_mark_as_plugin_api (GST_TYPE_MST_FILTER, 0);
}

static void
gst_mst_filter_init (GstMstFilter * self)
{
  gst_mst_timeline_restart (&self->timeline);
  self->last_end = GST_CLOCK_TIME_NONE;
}

void
gst_mst_filter_install_double (GObjectClass * gobject_class, guint prop_id,
    const gchar * name, const gchar * nick, const gchar * blurb, gdouble min,
    gdouble max, gdouble def)
{
  g_object_class_install_property (gobject_class, prop_id,
      g_param_spec_double (name, nick, blurb, min, max, def,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
}

gboolean
gst_mst_filter_set_field (GObject * object, gpointer settings,
    const GstMstField * fields, guint n_fields, guint prop_id,
    const GValue * value)
{
  if (prop_id < 1 || prop_id > n_fields)
    return FALSE;
  guint8 *at = (guint8 *) settings + fields[prop_id - 1].offset;
  GST_OBJECT_LOCK (object);
  if (fields[prop_id - 1].type == G_TYPE_DOUBLE)
    *(gdouble *) at = g_value_get_double (value);
  else if (fields[prop_id - 1].type == G_TYPE_BOOLEAN)
    *(bool *) at = g_value_get_boolean (value);
  else if (fields[prop_id - 1].type == G_TYPE_INT)
    *(int *) at = g_value_get_int (value);
  else if (fields[prop_id - 1].type == G_TYPE_UINT64)
    *(guint64 *) at = g_value_get_uint64 (value);
  else
    *(int *) at = g_value_get_enum (value);
  GST_OBJECT_UNLOCK (object);
  return TRUE;
}

gboolean
gst_mst_filter_get_field (GObject * object, gpointer settings,
    const GstMstField * fields, guint n_fields, guint prop_id,
    GValue * value)
{
  if (prop_id < 1 || prop_id > n_fields)
    return FALSE;
  const guint8 *at = (const guint8 *) settings + fields[prop_id - 1].offset;
  GST_OBJECT_LOCK (object);
  if (fields[prop_id - 1].type == G_TYPE_DOUBLE)
    g_value_set_double (value, *(const gdouble *) at);
  else if (fields[prop_id - 1].type == G_TYPE_BOOLEAN)
    g_value_set_boolean (value, *(const bool *) at);
  else if (fields[prop_id - 1].type == G_TYPE_INT)
    g_value_set_int (value, *(const int *) at);
  else if (fields[prop_id - 1].type == G_TYPE_UINT64)
    g_value_set_uint64 (value, *(const guint64 *) at);
  else
    g_value_set_enum (value, *(const int *) at);
  GST_OBJECT_UNLOCK (object);
  return TRUE;
}

static void
gst_mst_filter_field_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstFilterClass *klass = GET_CLASS (object);
  gboolean known;

  if (gst_mst_filter_set_field (object, object, klass->fields,
          klass->n_fields, prop_id, value))
    return;
  GST_OBJECT_LOCK (object);
  known = gst_mst_message_settings_set (&GST_MST_FILTER (object)->messages,
      pspec, value);
  GST_OBJECT_UNLOCK (object);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_mst_filter_field_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstFilterClass *klass = GET_CLASS (object);
  gboolean known;

  if (gst_mst_filter_get_field (object, object, klass->fields,
          klass->n_fields, prop_id, value))
    return;
  GST_OBJECT_LOCK (object);
  known = gst_mst_message_settings_get (&GST_MST_FILTER (object)->messages,
      pspec, value);
  GST_OBJECT_UNLOCK (object);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

void
gst_mst_filter_class_set_fields (GstMstFilterClass * klass,
    const GstMstField * fields, guint n_fields)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  klass->fields = fields;
  klass->n_fields = n_fields;
  gobject_class->set_property = gst_mst_filter_field_set_property;
  gobject_class->get_property = gst_mst_filter_field_get_property;
}
