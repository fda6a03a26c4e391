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

/* The settings copied under the lock, applied if they changed. */
static void
apply_settings (GstMstFilter * self)
{
  GstMstFilterClass *klass = GET_CLASS (self);
  gconstpointer copy;

  if (gst_mst_settings_snapshot_take (&self->snapshot, GST_OBJECT (self),
          (const guint8 *) self + klass->settings_offset, &copy)
      && klass->apply)
    klass->apply (self, copy);
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
        klass->message_name, end_ts, duration);
    gst_structure_set (s, "final", G_TYPE_BOOLEAN, final, NULL);
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

  sync_and_apply (self, stream_time_at (self, pts, 0, rate));
  GST_OBJECT_LOCK (self);
  self->timeline.interval_frames = klass->message_name ?
      gst_util_uint64_scale_int (self->messages.interval_ns, rate,
      GST_SECOND) : 0;
  GST_OBJECT_UNLOCK (self);
  return klass->control_frames > 0 && GST_CLOCK_TIME_IS_VALID (pts)
      && gst_object_has_active_control_bindings (GST_OBJECT (self));
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

static GstFlowReturn
gst_mst_filter_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstMstFilterClass *klass = GET_CLASS (self);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gint rate = GST_AUDIO_INFO_RATE (info);
  gsize bpf = GST_AUDIO_INFO_BPF (info);
  gboolean writable = !gst_base_transform_is_passthrough (trans);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstMapInfo map;
  gsize n;

  if (!self->configured)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_buffer_map (buf, &map, writable ? GST_MAP_READWRITE :
          GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
    return GST_FLOW_ERROR;
  }
  n = map.size / bpf;
  if (writable && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    /* A gap is silence, through which a filter's tail rings on. */
    memset (map.data, 0, map.size);
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
  }
  for (gsize done = 0; done < n;) {
    gsize piece = n - done;
    GstClockTime duration;
    piece = MIN (piece, gst_mst_timeline_to_interval (&self->timeline));
    if (self->controlled) {
      piece = MIN (piece, klass->control_frames);
      if (done > 0)
        gst_mst_filter_sync_at (self, pts, done);
    }
    self->process (self, map.data + done * bpf, piece);
    done += piece;
    if (gst_mst_timeline_count (&self->timeline, piece, rate, &duration)) {
      GstClockTime end = GST_CLOCK_TIME_IS_VALID (pts) ? pts +
          gst_util_uint64_scale_int (done, GST_SECOND, rate) :
          GST_CLOCK_TIME_NONE;
      gst_mst_filter_post_status (self, end, duration, FALSE);
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_mst_filter_check_nonfinite (self);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    self->last_end = pts + gst_util_uint64_scale_int (n, GST_SECOND, rate);
  return GST_FLOW_OK;
}

static gboolean
gst_mst_filter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMstFilter *self = GST_MST_FILTER (trans);
  GstMstFilterClass *klass = GET_CLASS (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
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

  gobject_class->finalize = gst_mst_filter_finalize;

  gst_mst_add_pad_templates (filter_class);

  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_mst_filter_before_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_mst_filter_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_filter_sink_event);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR (gst_mst_accept_caps);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mst_filter_stop);
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
