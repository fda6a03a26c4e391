/* mastering: limiter, a true-peak lookahead brickwall limiter.
 *
 * SECTION:element-limiter
 * @title: limiter
 *
 * The last stage of a mastering chain: holds the output's true peak
 * (ITU-R BS.1770-4) at or below `ceiling` on any input, with a lookahead
 * gain curve that is smooth and never overshoots. The lookahead is reported
 * as latency; every output sample keeps its input's timestamp (no silence
 * is prepended, the tail is drained at EOS: as many samples out as in), and
 * where no limiting happens the output equals the input bit for bit.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.wav ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE ! limiter ceiling=-1.0 input-gain=6 ! \
 *     audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstlimiter.h"
#include "gstmstcommon.h"
#include "gstmsttimeline.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_limiter_debug);
#define GST_CAT_DEFAULT gst_mst_limiter_debug

#define DEFAULT_CEILING_DB -1.0
#define DEFAULT_INPUT_GAIN_DB 0.0
#define DEFAULT_LOOKAHEAD_MS 5.0
#define DEFAULT_RELEASE_MS 50.0
#define DEFAULT_AUTO_RELEASE TRUE
#define DEFAULT_TRUE_PEAK TRUE
#define DEFAULT_LINK_PERCENT 100.0
#define DEFAULT_BYPASS FALSE
#define DEFAULT_INTERVAL_NS (100 * GST_MSECOND)
#define DEFAULT_POST_MESSAGES TRUE
/* Controlled properties are sampled this often (frames). */
#define CONTROL_FRAMES 64


enum
{
  PROP_0,
  PROP_CEILING,
  PROP_INPUT_GAIN,
  PROP_LOOKAHEAD,
  PROP_RELEASE,
  PROP_AUTO_RELEASE,
  PROP_TRUE_PEAK,
  PROP_LINK,
  PROP_BYPASS,
  PROP_GAIN_REDUCTION,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstLimiter, gst_mst_limiter,
    GST_TYPE_AUDIO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_limiter_debug, "limiter", 0,
        "mastering true-peak limiter"));
GST_ELEMENT_REGISTER_DEFINE (limiter, "limiter", GST_RANK_NONE,
    GST_TYPE_MST_LIMITER);

static void
gst_mst_limiter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstLimiter *self = GST_MST_LIMITER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CEILING:
      self->settings.ceiling_db = g_value_get_double (value);
      break;
    case PROP_INPUT_GAIN:
      self->settings.input_gain_db = g_value_get_double (value);
      break;
    case PROP_LOOKAHEAD:{
      gdouble ms = g_value_get_double (value);
      if (GST_STATE (self) > GST_STATE_READY && ms != self->lookahead_ms) {
        gdouble kept = self->lookahead_ms;
        GST_OBJECT_UNLOCK (self);
        /* It sets the latency: changing it while playing would need a
         * dropout or a jump. */
        GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
            ("lookahead can only change in the NULL or READY state; "
                "keeping %.2f ms", kept), ("refused %.2f ms while running",
                ms));
        return;
      }
      self->lookahead_ms = ms;
      break;
    }
    case PROP_RELEASE:
      self->settings.release_ms = g_value_get_double (value);
      break;
    case PROP_AUTO_RELEASE:
      self->settings.auto_release = g_value_get_boolean (value);
      break;
    case PROP_TRUE_PEAK:
      self->settings.true_peak = g_value_get_boolean (value);
      break;
    case PROP_LINK:
      self->settings.link = g_value_get_double (value) / 100.0;
      break;
    case PROP_BYPASS:
      self->settings.bypass = g_value_get_boolean (value);
      break;
    case PROP_INTERVAL:
      self->interval_ns = g_value_get_uint64 (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_limiter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstLimiter *self = GST_MST_LIMITER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CEILING:
      g_value_set_double (value, self->settings.ceiling_db);
      break;
    case PROP_INPUT_GAIN:
      g_value_set_double (value, self->settings.input_gain_db);
      break;
    case PROP_LOOKAHEAD:
      g_value_set_double (value, self->lookahead_ms);
      break;
    case PROP_RELEASE:
      g_value_set_double (value, self->settings.release_ms);
      break;
    case PROP_AUTO_RELEASE:
      g_value_set_boolean (value, self->settings.auto_release);
      break;
    case PROP_TRUE_PEAK:
      g_value_set_boolean (value, self->settings.true_peak);
      break;
    case PROP_LINK:
      g_value_set_double (value, self->settings.link * 100.0);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, self->settings.bypass);
      break;
    case PROP_GAIN_REDUCTION:
      g_value_set_double (value, self->gain_reduction_db);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval_ns);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_mst_limiter_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  GstMstLimiter *self = GST_MST_LIMITER (filter);
  gdouble lookahead_ms;

  if (!gst_mst_check_format (filter, info, &self->is_f64))
    return FALSE;
  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  if (mst_limiter_configure (self->core, GST_AUDIO_INFO_RATE (info),
          GST_AUDIO_INFO_CHANNELS (info), lookahead_ms) != MST_OK) {
    gst_mst_refuse_format (filter, info);
    return FALSE;
  }
  self->configured = TRUE;
  gst_mst_timeline_restart (&self->timeline);
  self->timeline.interval_count = 0;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_latency (GST_OBJECT (self)));
  return TRUE;
}

static GstClockTime
latency_time (GstMstLimiter * self)
{
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  if (!self->configured || GST_AUDIO_INFO_RATE (info) == 0)
    return 0;
  return gst_util_uint64_scale_int (mst_limiter_get_latency (self->core),
      GST_SECOND, GST_AUDIO_INFO_RATE (info));
}

static gboolean
gst_mst_limiter_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstMstLimiter *self = GST_MST_LIMITER (trans);
  gboolean res = GST_BASE_TRANSFORM_CLASS (gst_mst_limiter_parent_class)->query
      (trans, direction, query);

  if (res && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY
      && direction == GST_PAD_SRC)
    gst_mst_latency_query_add (query, latency_time (self));
  return res;
}

static void
gst_mst_limiter_apply_settings (GstMstLimiter * self)
{
  MstLimiterSettings s;
  GST_OBJECT_LOCK (self);
  s = self->settings;
  GST_OBJECT_UNLOCK (self);
  mst_limiter_set (self->core, &s);
}

/* Posts the interval's figures, as the level element posts its own. */
static void
post_interval_message (GstMstLimiter * self, GstClockTime end_ts,
    GstClockTime duration)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  double current_db, max_db;
  GstStructure *s;

  mst_limiter_get_gain_reduction (self->core, &current_db, &max_db, TRUE);
  GST_OBJECT_LOCK (self);
  self->gain_reduction_db = current_db;
  gboolean post = self->post_messages;
  GST_OBJECT_UNLOCK (self);
  if (!post)
    return;
  s = gst_mst_interval_structure_new (trans, "limiter", end_ts, duration);
  gst_structure_set (s,
      "gain-reduction", G_TYPE_DOUBLE, max_db,
      "gain-reduction-current", G_TYPE_DOUBLE, current_db, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Counts @n_frames output frames ending at @end_ts toward the message
 * interval; the caller keeps each call within one interval. */
static void
account_interval (GstMstLimiter * self, gsize n_frames, GstClockTime end_ts)
{
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
  GstClockTime duration;
  if (gst_mst_timeline_count (&self->timeline, n_frames, rate, &duration))
    post_interval_message (self, end_ts, duration);
}

static GstBuffer *
drain (GstMstLimiter * self)
{
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gsize pending, n_out = 0;
  GstBuffer *buf;
  GstMapInfo map;

  if (!self->configured)
    return NULL;
  pending = mst_limiter_get_pending (self->core);
  if (pending == 0) {
    mst_limiter_reset (self->core);
    return NULL;
  }
  buf = gst_buffer_new_allocate (NULL, pending * GST_AUDIO_INFO_BPF (info),
      NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (self->is_f64)
    mst_limiter_drain_f64 (self->core, (double *) map.data, &n_out);
  else
    mst_limiter_drain_f32 (self->core, (float *) map.data, &n_out);
  gst_buffer_unmap (buf, &map);
  buf = gst_mst_timeline_finish (&self->timeline, info, buf, n_out);
  gst_mst_timeline_restart (&self->timeline);
  return buf;
}

static void
push_drained (GstMstLimiter * self)
{
  GstBuffer *tail = drain (self);
  if (tail)
    gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), tail);
}

static GstFlowReturn
gst_mst_limiter_submit_input_buffer (GstBaseTransform * trans,
    G_GNUC_UNUSED gboolean is_discont, GstBuffer * input)
{
  GstMstLimiter *self = GST_MST_LIMITER (trans);

  /* A discontinuity: the tail before it goes out with its own timestamps,
   * then a fresh start. The buffer's flag, not is_discont: basetransform
   * keeps that TRUE until a buffer goes out, and nothing goes out while the
   * delay line fills (buffers shorter than the latency). */
  if (GST_BUFFER_IS_DISCONT (input) && mst_limiter_get_pending (self->core)
      > 0)
    push_drained (self);
  gst_buffer_replace (&self->queued, NULL);
  self->queued = input;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_mst_limiter_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf)
{
  GstMstLimiter *self = GST_MST_LIMITER (trans);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  GstBuffer *in = self->queued, *out;
  GstMapInfo in_map, out_map;
  gsize n_in, n_out = 0;

  *outbuf = NULL;
  if (!in)
    return GST_FLOW_OK;
  self->queued = NULL;
  if (!self->configured) {
    gst_buffer_unref (in);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GstClockTime in_pts = GST_BUFFER_PTS (in);
  if (GST_BUFFER_PTS_IS_VALID (in)) {
    GstClockTime st = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (in));
    if (GST_CLOCK_TIME_IS_VALID (st))
      gst_object_sync_values (GST_OBJECT (self), st);
  }
  gst_mst_timeline_start (&self->timeline, in,
      mst_limiter_get_pending (self->core));
  GST_OBJECT_LOCK (self);
  self->timeline.interval_frames = gst_util_uint64_scale_int (self->interval_ns,
      GST_AUDIO_INFO_RATE (info), GST_SECOND);
  GST_OBJECT_UNLOCK (self);
  gst_mst_limiter_apply_settings (self);

  if (!gst_buffer_map (in, &in_map, GST_MAP_READ)) {
    gst_buffer_unref (in);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
    return GST_FLOW_ERROR;
  }
  n_in = in_map.size / GST_AUDIO_INFO_BPF (info);
  out = gst_buffer_new_allocate (NULL, MAX (n_in, 1)
      * GST_AUDIO_INFO_BPF (info), NULL);
  gst_buffer_map (out, &out_map, GST_MAP_WRITE);
  /* In pieces that end at the message interval's boundaries. */
  gsize bpf = GST_AUDIO_INFO_BPF (info);
  gboolean controlled = gst_object_has_active_control_bindings
      (GST_OBJECT (self)) && GST_CLOCK_TIME_IS_VALID (in_pts);
  for (gsize done = 0; done < n_in;) {
    gsize piece = n_in - done, k = 0;
    if (mst_limiter_get_pending (self->core)
        >= mst_limiter_get_latency (self->core))
      piece = MIN (piece, gst_mst_timeline_to_interval (&self->timeline));
    if (controlled) {
      /* Automation at CONTROL_FRAMES resolution, not per buffer. */
      piece = MIN (piece, CONTROL_FRAMES);
      GstClockTime st = gst_segment_to_stream_time (&trans->segment,
          GST_FORMAT_TIME, in_pts + gst_util_uint64_scale_int (done,
              GST_SECOND, GST_AUDIO_INFO_RATE (info)));
      if (GST_CLOCK_TIME_IS_VALID (st) && done > 0) {
        gst_object_sync_values (GST_OBJECT (self), st);
        gst_mst_limiter_apply_settings (self);
      }
    }
    if (self->is_f64)
      mst_limiter_process_f64 (self->core, (const double *) (in_map.data
              + done * bpf), piece, (double *) (out_map.data + n_out * bpf),
          &k);
    else
      mst_limiter_process_f32 (self->core, (const float *) (in_map.data
              + done * bpf), piece, (float *) (out_map.data + n_out * bpf),
          &k);
    n_out += k;
    done += piece;
    if (k > 0)
      account_interval (self, k, gst_mst_timeline_frame_time
          (&self->timeline, GST_AUDIO_INFO_RATE (info),
              self->timeline.frames_out + n_out));
  }
  gst_mst_warn_nonfinite (GST_ELEMENT (self),
      mst_limiter_get_nonfinite_count (self->core), &self->nonfinite_seen,
      &self->warned_nonfinite);
  *outbuf = gst_mst_timeline_finish_output (&self->timeline, info, in,
      &in_map, out, &out_map, n_out);
  return GST_FLOW_OK;
}

static gboolean
gst_mst_limiter_accept_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps)
{
  return gst_mst_accept_caps (trans,
      GST_BASE_TRANSFORM_CLASS (gst_mst_limiter_parent_class), direction,
      caps);
}

static gboolean
gst_mst_limiter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMstLimiter *self = GST_MST_LIMITER (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_CAPS:
      /* What is in the delay line belongs before this event. */
      push_drained (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      mst_limiter_reset (self->core);
      gst_buffer_replace (&self->queued, NULL);
      gst_mst_timeline_restart (&self->timeline);
      break;
    case GST_EVENT_STREAM_START:
      self->warned_nonfinite = FALSE;
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_mst_limiter_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_mst_limiter_stop (GstBaseTransform * trans)
{
  GstMstLimiter *self = GST_MST_LIMITER (trans);

  gst_buffer_replace (&self->queued, NULL);
  mst_limiter_reset (self->core);
  self->configured = FALSE;
  return TRUE;
}

static void
gst_mst_limiter_finalize (GObject * object)
{
  GstMstLimiter *self = GST_MST_LIMITER (object);

  gst_buffer_replace (&self->queued, NULL);
  mst_limiter_destroy (&self->core);
  G_OBJECT_CLASS (gst_mst_limiter_parent_class)->finalize (object);
}

static void
gst_mst_limiter_class_init (GstMstLimiterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_mst_limiter_set_property;
  gobject_class->get_property = gst_mst_limiter_get_property;
  gobject_class->finalize = gst_mst_limiter_finalize;

  g_object_class_install_property (gobject_class, PROP_CEILING,
      g_param_spec_double ("ceiling", "Ceiling (dBTP)",
          "Highest output level, in dBTP (true peak, ITU-R BS.1770-4) or "
          "dBFS with true-peak off; a change applies from the next sample, the "
          "gain moving to it over the lookahead",
          -40.0, 0.0, DEFAULT_CEILING_DB, flags));
  g_object_class_install_property (gobject_class, PROP_INPUT_GAIN,
      g_param_spec_double ("input-gain", "Input gain (dB)",
          "Gain before limiting, in dB; glides over 10 ms",
          -24.0, 36.0, DEFAULT_INPUT_GAIN_DB, flags));
  g_object_class_install_property (gobject_class, PROP_LOOKAHEAD,
      g_param_spec_double ("lookahead", "Lookahead (ms)",
          "Lookahead in ms, the attack time of the gain curve; reported as "
          "latency (plus 66 samples of detection), so it can only change in "
          "the NULL or READY state", MST_LIMITER_MIN_LOOKAHEAD_MS,
          MST_LIMITER_MAX_LOOKAHEAD_MS, DEFAULT_LOOKAHEAD_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RELEASE,
      g_param_spec_double ("release", "Release (ms)",
          "Release time constant in ms (with auto-release: the base of the "
          "program-dependent release)", 1.0, 5000.0, DEFAULT_RELEASE_MS,
          flags));
  g_object_class_install_property (gobject_class, PROP_AUTO_RELEASE,
      g_param_spec_boolean ("auto-release", "Auto release",
          "Program-dependent release: after a transient more than 2 dB deeper "
          "than the sustained reduction, back to it 4x faster than release; "
          "otherwise 2x slower, so dense material and bass do not pump", DEFAULT_AUTO_RELEASE, flags));
  g_object_class_install_property (gobject_class, PROP_TRUE_PEAK,
      g_param_spec_boolean ("true-peak", "True peak",
          "Limit the true peak (4x oversampled, refined) rather than the "
          "sample peak", DEFAULT_TRUE_PEAK, flags));
  g_object_class_install_property (gobject_class, PROP_LINK,
      g_param_spec_double ("link", "Channel link (%)",
          "How much the channels share one gain, in %: 100 = one gain for "
          "all, 0 = each channel on its own", 0.0, 100.0,
          DEFAULT_LINK_PERCENT, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact once the gain has "
          "released), keeping the latency", DEFAULT_BYPASS, flags));
  g_object_class_install_property (gobject_class, PROP_GAIN_REDUCTION,
      g_param_spec_double ("gain-reduction", "Gain reduction (dB)",
          "Current gain reduction in dB (>= 0), updated every interval",
          0.0, G_MAXDOUBLE, 0.0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval (ns)",
          "Interval of the \"limiter\" element messages, in ns", 1,
          G_MAXUINT64, DEFAULT_INTERVAL_NS, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a \"limiter\" element message every interval, with fields "
          "timestamp, stream-time, running-time, duration (ns), "
          "gain-reduction (largest in the interval, dB) and "
          "gain-reduction-current (dB)", DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Mastering true-peak limiter", "Filter/Effect/Audio",
      "Lookahead brickwall limiter that holds the output's true peak "
      "(ITU-R BS.1770-4) at or below a ceiling", "mastering developers");

  gst_mst_add_pad_templates (filter_class);

  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_mst_limiter_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_mst_limiter_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_limiter_sink_event);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR (gst_mst_limiter_accept_caps);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_mst_limiter_query);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mst_limiter_stop);
  trans_class->passthrough_on_same_caps = FALSE;
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_mst_limiter_setup);
}

static void
gst_mst_limiter_init (GstMstLimiter * self)
{
  self->settings.ceiling_db = DEFAULT_CEILING_DB;
  self->settings.input_gain_db = DEFAULT_INPUT_GAIN_DB;
  self->settings.release_ms = DEFAULT_RELEASE_MS;
  self->settings.auto_release = DEFAULT_AUTO_RELEASE;
  self->settings.true_peak = DEFAULT_TRUE_PEAK;
  self->settings.link = DEFAULT_LINK_PERCENT / 100.0;
  self->settings.bypass = DEFAULT_BYPASS;
  self->lookahead_ms = DEFAULT_LOOKAHEAD_MS;
  self->interval_ns = DEFAULT_INTERVAL_NS;
  self->post_messages = DEFAULT_POST_MESSAGES;
  gst_mst_timeline_restart (&self->timeline);
  self->core = mst_limiter_init (MST_MAX_CHANNELS);
  g_assert (self->core != NULL);
}
