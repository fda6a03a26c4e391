/* mastering: GstMstDelayFilter, the streaming of the elements whose core
 * delays the audio (limiter, loudnorm).
 *
 * The core takes frames in and gives the completed ones out, a latency
 * later; at EOS, SEGMENT, CAPS and on a DISCONT buffer what is still in the
 * delay line is drained, so there are as many frames out as in and every
 * output frame keeps its input's timestamp. The subclass says what its core
 * does through GstMstDelayFilterClass.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdelayfilter.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_delay_filter_debug);
#define GST_CAT_DEFAULT gst_mst_delay_filter_debug

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstMstDelayFilter, gst_mst_delay_filter,
    GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_delay_filter_debug, "mstdelayfilter", 0,
        "mastering elements with a delay line"));

#define GET_CLASS(self) GST_MST_DELAY_FILTER_GET_CLASS (self)
#define BASE(self) GST_MST_FILTER (self)

static gboolean
gst_mst_delay_filter_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  if (!GST_AUDIO_FILTER_CLASS (gst_mst_delay_filter_parent_class)->setup
      (filter, info))
    return FALSE;
  gst_element_post_message (GST_ELEMENT (filter),
      gst_message_new_latency (GST_OBJECT (filter)));
  return TRUE;
}

static gboolean
gst_mst_delay_filter_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query)
{
  GstMstDelayFilter *self = GST_MST_DELAY_FILTER (trans);
  gboolean res =
      GST_BASE_TRANSFORM_CLASS (gst_mst_delay_filter_parent_class)->query
      (trans, direction, query);

  if (res && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY
      && direction == GST_PAD_SRC && BASE (self)->configured) {
    gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
    gst_mst_latency_query_add (query, gst_util_uint64_scale_int
        (GET_CLASS (self)->get_latency (self), GST_SECOND, rate));
  }
  return res;
}

/* Counts @n_frames output frames toward the message interval, the last
 * of them ending at output frame @frames_out_after; the caller keeps each
 * call within one interval. */
static void
account_output (GstMstDelayFilter * self, gsize n_frames,
    guint64 frames_out_after)
{
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
  GstMstTimeline *tl = &BASE (self)->timeline;
  GstClockTime duration, end;

  if (n_frames == 0)
    return;
  end = gst_mst_timeline_frame_time (tl, rate, frames_out_after);
  BASE (self)->last_end = end;
  if (gst_mst_timeline_count (tl, n_frames, rate, &duration))
    gst_mst_filter_post_status (BASE (self), end, duration, FALSE);
}

static GstBuffer *
drain (GstMstDelayFilter * self)
{
  GstMstDelayFilterClass *klass = GET_CLASS (self);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gsize pending, n_out = 0;
  GstBuffer *buf;
  GstMapInfo map;

  if (!BASE (self)->configured)
    return NULL;
  pending = klass->get_pending (self);
  if (pending == 0) {
    if (klass->reset_when_empty)
      klass->parent_class.reset (BASE (self));
    return NULL;
  }
  GST_DEBUG_OBJECT (self, "draining %" G_GSIZE_FORMAT " frames", pending);
  buf = gst_buffer_new_allocate (NULL, pending * GST_AUDIO_INFO_BPF (info),
      NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (BASE (self)->format == MST_FORMAT_F64)
    klass->drain_f64 (self, (gdouble *) map.data, &n_out);
  else
    klass->drain_f32 (self, (gfloat *) map.data, &n_out);
  gst_buffer_unmap (buf, &map);
  if (klass->messages_cover_tail)
    account_output (self, n_out, BASE (self)->timeline.frames_out + n_out);
  buf = gst_mst_timeline_finish (&BASE (self)->timeline, info, buf, n_out);
  gst_mst_timeline_restart (&BASE (self)->timeline);
  return buf;
}

static void
push_drained (GstMstDelayFilter * self)
{
  GstBuffer *tail = drain (self);
  if (tail)
    gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), tail);
}

static GstFlowReturn
gst_mst_delay_filter_submit_input_buffer (GstBaseTransform * trans,
    G_GNUC_UNUSED gboolean is_discont, GstBuffer * input)
{
  GstMstDelayFilter *self = GST_MST_DELAY_FILTER (trans);

  /* A discontinuity: the tail before it goes out with its own timestamps
   * (what else restarts is the subclass's drain). The buffer's flag, not
   * is_discont: basetransform keeps that TRUE until a buffer goes out, and
   * nothing goes out while the delay line fills (buffers shorter than the
   * latency). With nothing pending (a core whose latency is 0, as mbcomp's
   * minimum phase without lookahead) the drain is the reset alone. */
  if (GST_BUFFER_IS_DISCONT (input) && BASE (self)->configured)
    push_drained (self);
  gst_buffer_replace (&self->queued, NULL);
  self->queued = input;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_mst_delay_filter_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf)
{
  GstMstDelayFilter *self = GST_MST_DELAY_FILTER (trans);
  GstMstFilter *base = BASE (self);
  GstMstDelayFilterClass *klass = GET_CLASS (self);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gsize bpf = GST_AUDIO_INFO_BPF (info);
  GstBuffer *in = self->queued;
  GstMapInfo map;
  GstClockTime in_pts;
  gsize n_in, n_out = 0;
  gboolean controlled;

  *outbuf = NULL;
  if (!in)
    return GST_FLOW_OK;
  self->queued = NULL;
  if (!base->configured) {
    gst_buffer_unref (in);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  in_pts = GST_BUFFER_PTS (in);
  gst_mst_timeline_start (&base->timeline, in, klass->get_pending (self));
  controlled = gst_mst_filter_begin_buffer (base, in_pts);
  /* The output goes where the input was (the cores write a frame only
   * after reading it): no second buffer to allocate, fill and free. */
  in = gst_buffer_make_writable (in);
  if (GST_BUFFER_FLAG_IS_SET (in, GST_BUFFER_FLAG_GAP)) {
    /* A gap is silence, through which the delay line drains. */
    gst_buffer_memset (in, 0, 0, gst_buffer_get_size (in));
  }
  if (!gst_buffer_map (in, &map, GST_MAP_READWRITE)) {
    gst_buffer_unref (in);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
    return GST_FLOW_ERROR;
  }
  n_in = map.size / bpf;
  /* In pieces whose output ends at the message interval's boundaries. */
  for (gsize done = 0; done < n_in;) {
    gsize piece = n_in - done, k = 0;
    if (klass->get_pending (self) >= klass->get_latency (self))
      piece = MIN (piece, gst_mst_timeline_to_interval (&base->timeline));
    if (controlled) {
      piece = MIN (piece, GST_MST_FILTER_GET_CLASS (self)->control_frames);
      if (done > 0)
        gst_mst_filter_sync_at (base, in_pts, done);
    }
    if (base->format == MST_FORMAT_F64)
      klass->process_f64 (self, (const gdouble *) (map.data + done * bpf),
          piece, (gdouble *) (map.data + n_out * bpf), &k);
    else
      klass->process_f32 (self, (const gfloat *) (map.data + done * bpf),
          piece, (gfloat *) (map.data + n_out * bpf), &k);
    n_out += k;
    done += piece;
    account_output (self, k, base->timeline.frames_out + n_out);
  }
  gst_mst_filter_check_nonfinite (base);
  gst_buffer_unmap (in, &map);
  GST_BUFFER_FLAG_UNSET (in, GST_BUFFER_FLAG_DISCONT);
  GST_BUFFER_FLAG_UNSET (in, GST_BUFFER_FLAG_GAP);
  *outbuf = gst_mst_timeline_finish (&base->timeline, info, in, n_out);
  return GST_FLOW_OK;
}

static gboolean
gst_mst_delay_filter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMstDelayFilter *self = GST_MST_DELAY_FILTER (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      /* The tail goes out first; a message its drain completes is the
       * stream's last (else the base posts the last one after it). */
      BASE (self)->at_eos = TRUE;
      push_drained (self);
      break;
    case GST_EVENT_SEGMENT:
    case GST_EVENT_CAPS:
      /* What is in the delay line belongs before this event. */
      push_drained (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_buffer_replace (&self->queued, NULL);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_mst_delay_filter_parent_class)->
      sink_event (trans, event);
}

static gboolean
gst_mst_delay_filter_stop (GstBaseTransform * trans)
{
  gst_buffer_replace (&GST_MST_DELAY_FILTER (trans)->queued, NULL);
  return GST_BASE_TRANSFORM_CLASS (gst_mst_delay_filter_parent_class)->stop
      (trans);
}

static void
gst_mst_delay_filter_finalize (GObject * object)
{
  GstMstDelayFilter *self = GST_MST_DELAY_FILTER (object);

  gst_buffer_replace (&self->queued, NULL);
  G_OBJECT_CLASS (gst_mst_delay_filter_parent_class)->finalize (object);
}

static void
gst_mst_delay_filter_class_init (GstMstDelayFilterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);

  gobject_class->finalize = gst_mst_delay_filter_finalize;

  /* The buffer's start is handled in generate_output. */
  trans_class->before_transform = NULL;
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_mst_delay_filter_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_mst_delay_filter_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_delay_filter_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_mst_delay_filter_query);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mst_delay_filter_stop);
  trans_class->passthrough_on_same_caps = FALSE;
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_mst_delay_filter_setup);

  gst_type_mark_as_plugin_api (GST_TYPE_MST_DELAY_FILTER, 0);
}

static void
gst_mst_delay_filter_init (G_GNUC_UNUSED GstMstDelayFilter * self)
{
}

gboolean
gst_mst_delay_filter_refuse_while_running (GstMstDelayFilter * self,
    const gchar * what, gdouble kept, gdouble ms)
{
  if (GST_STATE (self) <= GST_STATE_READY || ms == kept)
    return FALSE;
  /* Changing the latency while playing would need a dropout or a jump. */
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
      ("%s can only change in the NULL or READY state; keeping %.2f ms",
          what, kept), ("refused %.2f ms while running", ms));
  GST_OBJECT_LOCK (self);
  return TRUE;
}
