/* mastering: loudnorm, live loudness normalisation under a true-peak
 * ceiling.
 *
 * SECTION:element-loudnorm
 * @title: loudnorm
 *
 * Brings audio to a loudness `target` (LUFS, ITU-R BS.1770-4; default
 * -23, EBU R128) with its true peak held under `ceiling` (dBTP).
 *
 * In live mode (the default) a slow, gated loudness controller sets the
 * gain in front of the true-peak limiter: it follows the programme's gated
 * loudness over the last `window` seconds, ignores silence and pauses (they
 * hold the gain), keeps the gain within `min-gain` .. `max-gain` and moves
 * it at most `max-slew` dB/s up and `max-slew-down` dB/s down. It looks
 * `control-lookahead` ms ahead (400 ms by default), so the latency is that
 * plus the limiter's `lookahead`; the tail is drained at EOS (as many
 * samples out as in, timestamps continuous).
 *
 * In fixed mode it applies `gain` exactly, under the same ceiling: the
 * second pass of file normalisation, after measuring with loudmeter.
 *
 * Every `interval` it posts a "loudnorm" element message with the applied
 * gain, the input's and the output's loudness and the limiter's gain
 * reduction.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 pulsesrc ! audioconvert ! audio/x-raw,format=F32LE ! \
 *     loudnorm target=-23 ceiling=-1 ! audioconvert ! pulsesink
 * gst-launch-1.0 filesrc location=in.wav ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE ! loudnorm mode=fixed gain=-4.3 ! \
 *     audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstloudnorm.h"
#include "gstmstcommon.h"
#include "mst-limiter.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_loudnorm_debug);
#define GST_CAT_DEFAULT gst_mst_loudnorm_debug

#define DEFAULT_LOOKAHEAD_MS 5.0
#define DEFAULT_CONTROL_LOOKAHEAD_MS 400.0
#define DEFAULT_INTERVAL_NS GST_SECOND
#define DEFAULT_POST_MESSAGES TRUE

enum
{
  PROP_0,
  PROP_MODE,
  PROP_TARGET,
  PROP_CEILING,
  PROP_GAIN,
  PROP_MAX_GAIN,
  PROP_MIN_GAIN,
  PROP_MAX_SLEW,
  PROP_MAX_SLEW_DOWN,
  PROP_WINDOW,
  PROP_LOOKAHEAD,
  PROP_CONTROL_LOOKAHEAD,
  PROP_BYPASS,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_CURRENT_GAIN,
  PROP_INPUT_LOUDNESS,
  PROP_OUTPUT_LOUDNESS,
};

GType
gst_mst_loudnorm_mode_get_type (void)
{
  static GType type = 0;
  if (g_once_init_enter (&type)) {
    static const GEnumValue values[] = {
      {MST_LOUDNORM_LIVE, "Live: a slow gated controller sets the gain",
          "live"},
      {MST_LOUDNORM_FIXED, "Fixed: the gain property, exactly", "fixed"},
      {0, NULL, NULL},
    };
    GType t = g_enum_register_static ("GstMstLoudnormMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_TYPE_WITH_CODE (GstMstLoudnorm, gst_mst_loudnorm,
    GST_TYPE_AUDIO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_loudnorm_debug, "loudnorm", 0,
        "mastering loudness normaliser"));
GST_ELEMENT_REGISTER_DEFINE (loudnorm, "loudnorm", GST_RANK_NONE,
    GST_TYPE_MST_LOUDNORM);

/* Lookaheads set the latency: they only change in NULL or READY. */
static gboolean
refuse_while_running (GstMstLoudnorm * self, const gchar * what,
    gdouble kept, gdouble ms)
{
  if (GST_STATE (self) <= GST_STATE_READY || ms == kept)
    return FALSE;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
      ("%s can only change in the NULL or READY state; keeping %.2f ms",
          what, kept), ("refused %.2f ms while running", ms));
  GST_OBJECT_LOCK (self);
  return TRUE;
}

static void
gst_mst_loudnorm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (object);
  MstLoudnormSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case PROP_TARGET:
      s->target_lufs = g_value_get_double (value);
      break;
    case PROP_CEILING:
      s->ceiling_dbtp = g_value_get_double (value);
      break;
    case PROP_GAIN:
      s->gain_db = g_value_get_double (value);
      break;
    case PROP_MAX_GAIN:
      s->max_gain_db = g_value_get_double (value);
      break;
    case PROP_MIN_GAIN:
      s->min_gain_db = g_value_get_double (value);
      break;
    case PROP_MAX_SLEW:
      s->max_slew_db_per_s = g_value_get_double (value);
      break;
    case PROP_MAX_SLEW_DOWN:
      s->max_slew_down_db_per_s = g_value_get_double (value);
      break;
    case PROP_WINDOW:
      s->window_s = g_value_get_double (value);
      break;
    case PROP_LOOKAHEAD:
      if (!refuse_while_running (self, "lookahead", self->lookahead_ms,
              g_value_get_double (value)))
        self->lookahead_ms = g_value_get_double (value);
      break;
    case PROP_CONTROL_LOOKAHEAD:
      if (!refuse_while_running (self, "control-lookahead",
              self->control_lookahead_ms, g_value_get_double (value)))
        self->control_lookahead_ms = g_value_get_double (value);
      break;
    case PROP_BYPASS:
      s->bypass = g_value_get_boolean (value);
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
gst_mst_loudnorm_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (object);
  const MstLoudnormSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case PROP_TARGET:
      g_value_set_double (value, s->target_lufs);
      break;
    case PROP_CEILING:
      g_value_set_double (value, s->ceiling_dbtp);
      break;
    case PROP_GAIN:
      g_value_set_double (value, s->gain_db);
      break;
    case PROP_MAX_GAIN:
      g_value_set_double (value, s->max_gain_db);
      break;
    case PROP_MIN_GAIN:
      g_value_set_double (value, s->min_gain_db);
      break;
    case PROP_MAX_SLEW:
      g_value_set_double (value, s->max_slew_db_per_s);
      break;
    case PROP_MAX_SLEW_DOWN:
      g_value_set_double (value, s->max_slew_down_db_per_s);
      break;
    case PROP_WINDOW:
      g_value_set_double (value, s->window_s);
      break;
    case PROP_LOOKAHEAD:
      g_value_set_double (value, self->lookahead_ms);
      break;
    case PROP_CONTROL_LOOKAHEAD:
      g_value_set_double (value, self->control_lookahead_ms);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, s->bypass);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval_ns);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_CURRENT_GAIN:
      g_value_set_double (value, self->latest.gain_db);
      break;
    case PROP_INPUT_LOUDNESS:
      g_value_set_double (value, self->latest.estimate_lufs);
      break;
    case PROP_OUTPUT_LOUDNESS:
      g_value_set_double (value, self->latest.output_integrated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
status_clear (MstLoudnormStatus * st)
{
  st->gain_db = st->target_gain_db = 0.0;
  st->estimate_lufs = -INFINITY;
  st->input_momentary = st->input_short_term = st->input_integrated =
      -INFINITY;
  st->output_momentary = st->output_short_term = st->output_integrated =
      -INFINITY;
  st->gain_reduction_db = st->gain_reduction_max_db = 0.0;
}

static gboolean
gst_mst_loudnorm_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (filter);
  gdouble lookahead_ms, control_ms, weights[MST_MAX_CHANNELS];
  MstLoudnormSettings s;

  if (!gst_mst_check_format (filter, info, &self->is_f64))
    return FALSE;
  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  control_ms = self->control_lookahead_ms;
  s = self->settings;
  status_clear (&self->latest);
  GST_OBJECT_UNLOCK (self);
  gst_mst_loudness_weights (info, weights);
  /* Settings first: the controller's window is part of them. */
  if (mst_loudnorm_set (self->core, &s) != MST_OK
      || mst_loudnorm_configure (self->core, GST_AUDIO_INFO_RATE (info),
          GST_AUDIO_INFO_CHANNELS (info), lookahead_ms, control_ms,
          weights) != MST_OK) {
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

static gboolean
gst_mst_loudnorm_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (trans);
  gboolean res =
      GST_BASE_TRANSFORM_CLASS (gst_mst_loudnorm_parent_class)->query (trans,
      direction, query);

  if (res && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY
      && direction == GST_PAD_SRC && self->configured) {
    gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
    gst_mst_latency_query_add (query, gst_util_uint64_scale_int
        (mst_loudnorm_get_latency (self->core), GST_SECOND, rate));
  }
  return res;
}

/* Settings from the properties into the core; an invalid combination
 * (min-gain above max-gain) keeps the previous one. */
static void
apply_settings (GstMstLoudnorm * self)
{
  MstLoudnormSettings s;
  GST_OBJECT_LOCK (self);
  s = self->settings;
  GST_OBJECT_UNLOCK (self);
  if (mst_loudnorm_set (self->core, &s) != MST_OK)
    GST_DEBUG_OBJECT (self, "settings refused (min-gain above max-gain?)");
}

static void
post_interval_message (GstMstLoudnorm * self, GstClockTime end_ts,
    GstClockTime duration)
{
  MstLoudnormStatus st;
  gboolean post;

  mst_loudnorm_get_status (self->core, &st, TRUE);
  GST_OBJECT_LOCK (self);
  self->latest = st;
  post = self->post_messages;
  GST_OBJECT_UNLOCK (self);
  if (!post)
    return;
  GstStructure *s = gst_mst_interval_structure_new (GST_BASE_TRANSFORM
      (self), "loudnorm", end_ts, duration);
  gst_structure_set (s,
      "gain", G_TYPE_DOUBLE, st.gain_db,
      "target-gain", G_TYPE_DOUBLE, st.target_gain_db,
      "input-estimate", G_TYPE_DOUBLE, st.estimate_lufs,
      "input-momentary", G_TYPE_DOUBLE, st.input_momentary,
      "input-short-term", G_TYPE_DOUBLE, st.input_short_term,
      "input-integrated", G_TYPE_DOUBLE, st.input_integrated,
      "output-momentary", G_TYPE_DOUBLE, st.output_momentary,
      "output-short-term", G_TYPE_DOUBLE, st.output_short_term,
      "output-integrated", G_TYPE_DOUBLE, st.output_integrated,
      "gain-reduction", G_TYPE_DOUBLE, st.gain_reduction_max_db,
      "gain-reduction-current", G_TYPE_DOUBLE, st.gain_reduction_db, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Counts frames that went out toward the message interval. */
static void
account_output (GstMstLoudnorm * self, gsize n, guint64 frames_out_after)
{
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
  GstClockTime duration;
  if (n > 0 && gst_mst_timeline_count (&self->timeline, n, rate, &duration))
    post_interval_message (self, gst_mst_timeline_frame_time
        (&self->timeline, rate, frames_out_after), duration);
}

static GstBuffer *
drain (GstMstLoudnorm * self)
{
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  gsize pending, n_out = 0;
  GstBuffer *buf;
  GstMapInfo map;

  if (!self->configured)
    return NULL;
  pending = mst_loudnorm_get_pending (self->core);
  if (pending == 0)
    return NULL;
  GST_DEBUG_OBJECT (self, "draining %" G_GSIZE_FORMAT " frames", pending);
  buf = gst_buffer_new_allocate (NULL, pending * GST_AUDIO_INFO_BPF (info),
      NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (self->is_f64)
    mst_loudnorm_drain_f64 (self->core, (double *) map.data, &n_out);
  else
    mst_loudnorm_drain_f32 (self->core, (float *) map.data, &n_out);
  gst_buffer_unmap (buf, &map);
  account_output (self, n_out, self->timeline.frames_out + n_out);
  buf = gst_mst_timeline_finish (&self->timeline, info, buf, n_out);
  gst_mst_timeline_restart (&self->timeline);
  return buf;
}

static void
push_drained (GstMstLoudnorm * self)
{
  GstBuffer *tail = drain (self);
  if (tail)
    gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), tail);
}

static GstFlowReturn
gst_mst_loudnorm_submit_input_buffer (GstBaseTransform * trans,
    G_GNUC_UNUSED gboolean is_discont, GstBuffer * input)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (trans);

  /* A discontinuity: the tail before it goes out with its own timestamps;
   * the controller keeps its estimate (the same programme goes on). The
   * buffer's flag, not is_discont: basetransform keeps that TRUE until a
   * buffer goes out, and nothing goes out while the delay line fills. */
  if (GST_BUFFER_IS_DISCONT (input) && self->configured
      && mst_loudnorm_get_pending (self->core) > 0)
    push_drained (self);
  gst_buffer_replace (&self->queued, NULL);
  self->queued = input;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_mst_loudnorm_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (trans);
  GstAudioInfo *info = &GST_AUDIO_FILTER (self)->info;
  GstBuffer *in = self->queued, *out;
  GstMapInfo in_map, out_map;
  gsize n_in, n_out = 0, bpf = GST_AUDIO_INFO_BPF (info);

  *outbuf = NULL;
  if (!in)
    return GST_FLOW_OK;
  self->queued = NULL;
  if (!self->configured) {
    gst_buffer_unref (in);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (GST_BUFFER_PTS_IS_VALID (in)) {
    GstClockTime st = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (in));
    if (GST_CLOCK_TIME_IS_VALID (st))
      gst_object_sync_values (GST_OBJECT (self), st);
  }
  gst_mst_timeline_start (&self->timeline, in,
      mst_loudnorm_get_pending (self->core));
  GST_OBJECT_LOCK (self);
  self->timeline.interval_frames = gst_util_uint64_scale_int
      (self->interval_ns, GST_AUDIO_INFO_RATE (info), GST_SECOND);
  GST_OBJECT_UNLOCK (self);
  apply_settings (self);

  if (!gst_buffer_map (in, &in_map, GST_MAP_READ)) {
    gst_buffer_unref (in);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL), ("cannot map buffer"));
    return GST_FLOW_ERROR;
  }
  n_in = in_map.size / bpf;
  out = gst_buffer_new_allocate (NULL, MAX (n_in, 1) * bpf, NULL);
  gst_buffer_map (out, &out_map, GST_MAP_WRITE);
  /* In pieces whose output ends at the message interval's boundaries. */
  for (gsize done = 0; done < n_in;) {
    gsize piece = n_in - done, k = 0;
    if (mst_loudnorm_get_pending (self->core)
        >= mst_loudnorm_get_latency (self->core))
      piece = MIN (piece, gst_mst_timeline_to_interval (&self->timeline));
    if (self->is_f64)
      mst_loudnorm_process_f64 (self->core, (const double *) (in_map.data
              + done * bpf), piece, (double *) (out_map.data + n_out * bpf),
          &k);
    else
      mst_loudnorm_process_f32 (self->core, (const float *) (in_map.data
              + done * bpf), piece, (float *) (out_map.data + n_out * bpf),
          &k);
    n_out += k;
    done += piece;
    account_output (self, k, self->timeline.frames_out + n_out);
  }
  gst_mst_warn_nonfinite (GST_ELEMENT (self),
      mst_loudnorm_get_nonfinite_count (self->core), &self->nonfinite_seen,
      &self->warned_nonfinite);
  *outbuf = gst_mst_timeline_finish_output (&self->timeline, info, in,
      &in_map, out, &out_map, n_out);
  return GST_FLOW_OK;
}

static gboolean
gst_mst_loudnorm_accept_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps)
{
  return gst_mst_accept_caps (trans,
      GST_BASE_TRANSFORM_CLASS (gst_mst_loudnorm_parent_class), direction,
      caps);
}

static gboolean
gst_mst_loudnorm_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->configured) {
        /* The last figures, with the drained tail: its end is known
         * before the drain restarts the timeline. */
        gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_FILTER (self)->info);
        GstClockTime end = gst_mst_timeline_frame_time (&self->timeline,
            rate, self->timeline.frames_out
            + mst_loudnorm_get_pending (self->core));
        push_drained (self);
        /* (None when the drain ended an interval: that one was posted.) */
        if (self->timeline.interval_count > 0)
          post_interval_message (self, end, gst_util_uint64_scale_int
              (self->timeline.interval_count, GST_SECOND, rate));
        self->timeline.interval_count = 0;
      }
      break;
    case GST_EVENT_SEGMENT:
    case GST_EVENT_CAPS:
      /* What is in the delay lines belongs before this event. */
      push_drained (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      if (self->configured)
        mst_loudnorm_reset (self->core);
      gst_buffer_replace (&self->queued, NULL);
      gst_mst_timeline_restart (&self->timeline);
      break;
    case GST_EVENT_STREAM_START:
      self->warned_nonfinite = FALSE;
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_mst_loudnorm_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_mst_loudnorm_stop (GstBaseTransform * trans)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (trans);

  gst_buffer_replace (&self->queued, NULL);
  if (self->configured)
    mst_loudnorm_reset (self->core);
  self->configured = FALSE;
  return TRUE;
}

static void
gst_mst_loudnorm_finalize (GObject * object)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (object);

  gst_buffer_replace (&self->queued, NULL);
  mst_loudnorm_destroy (&self->core);
  G_OBJECT_CLASS (gst_mst_loudnorm_parent_class)->finalize (object);
}

static void
gst_mst_loudnorm_class_init (GstMstLoudnormClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  MstLoudnormSettings d;

  mst_loudnorm_settings_default (&d);
  gobject_class->set_property = gst_mst_loudnorm_set_property;
  gobject_class->get_property = gst_mst_loudnorm_get_property;
  gobject_class->finalize = gst_mst_loudnorm_finalize;

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "live: a slow gated loudness controller brings the input to "
          "target; fixed: the gain property, exactly (the second pass of "
          "file normalisation)", GST_TYPE_MST_LOUDNORM_MODE, d.mode,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TARGET,
      g_param_spec_double ("target", "Target (LUFS)",
          "Live mode: output loudness to reach, in LUFS (ITU-R BS.1770-4 "
          "integrated; -23 is EBU R128, -16 podcasts, -14 streaming)",
          -70.0, 0.0, d.target_lufs, flags));
  g_object_class_install_property (gobject_class, PROP_CEILING,
      g_param_spec_double ("ceiling", "Ceiling (dBTP)",
          "Highest output true peak, in dBTP (the limiter's ceiling)",
          -40.0, 0.0, d.ceiling_dbtp, flags));
  g_object_class_install_property (gobject_class, PROP_GAIN,
      g_param_spec_double ("gain", "Gain (dB)",
          "Fixed mode: gain in dB in front of the limiter, applied exactly "
          "(glides over 10 ms when changed)", -60.0, 60.0, d.gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_GAIN,
      g_param_spec_double ("max-gain", "Maximum gain (dB)",
          "Live mode: the most gain the controller applies, in dB (quiet "
          "material is not raised further)", -60.0, 60.0, d.max_gain_db,
          flags));
  g_object_class_install_property (gobject_class, PROP_MIN_GAIN,
      g_param_spec_double ("min-gain", "Minimum gain (dB)",
          "Live mode: the least gain (most attenuation) the controller "
          "applies, in dB; above max-gain the settings are refused",
          -60.0, 60.0, d.min_gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_SLEW,
      g_param_spec_double ("max-slew", "Maximum slew up (dB/s)",
          "Live mode: fastest rise of the gain, in dB per second (10 times "
          "faster during the first 3 s of programme)", 0.01, 100.0,
          d.max_slew_db_per_s, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_SLEW_DOWN,
      g_param_spec_double ("max-slew-down", "Maximum slew down (dB/s)",
          "Live mode: fastest fall of the gain, in dB per second (a louder "
          "programme is caught faster than a quieter one is raised)", 0.01,
          1000.0, d.max_slew_down_db_per_s, flags));
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_double ("window", "Window (s)",
          "Live mode: time constant of the loudness estimate, in seconds "
          "(a forgetting, gated integrated loudness; a change of programme "
          "louder or quieter by more than 3 LU restarts it)", 1.0, 3600.0,
          d.window_s, flags));
  g_object_class_install_property (gobject_class, PROP_LOOKAHEAD,
      g_param_spec_double ("lookahead", "Limiter lookahead (ms)",
          "Lookahead of the true-peak limiter, in ms; part of the latency, "
          "so it can only change in the NULL or READY state",
          MST_LIMITER_MIN_LOOKAHEAD_MS, MST_LIMITER_MAX_LOOKAHEAD_MS,
          DEFAULT_LOOKAHEAD_MS, ready));
  g_object_class_install_property (gobject_class, PROP_CONTROL_LOOKAHEAD,
      g_param_spec_double ("control-lookahead", "Controller lookahead (ms)",
          "How far ahead the loudness controller looks, in ms (a delay in "
          "front of the limiter, so the gain moves before a louder passage "
          "arrives); part of the latency, so it can only change in the NULL "
          "or READY state", 0.0, MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS,
          DEFAULT_CONTROL_LOOKAHEAD_MS, ready));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact once the limiter has "
          "released), keeping the latency; the meters go on measuring",
          d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval (ns)",
          "Interval of the \"loudnorm\" element messages, in ns", 1,
          G_MAXUINT64, DEFAULT_INTERVAL_NS, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a \"loudnorm\" element message every interval and at EOS, "
          "with timestamp, stream-time, running-time, duration (ns); gain, "
          "target-gain (dB); input-estimate, input-momentary, "
          "input-short-term, input-integrated, output-momentary, "
          "output-short-term, output-integrated (LUFS); gain-reduction "
          "(largest in the interval) and gain-reduction-current (dB)",
          DEFAULT_POST_MESSAGES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CURRENT_GAIN,
      g_param_spec_double ("current-gain", "Current gain (dB)",
          "Gain applied in front of the limiter, in dB, updated every "
          "interval", -INFINITY, INFINITY, 0.0, readable));
  g_object_class_install_property (gobject_class, PROP_INPUT_LOUDNESS,
      g_param_spec_double ("input-loudness", "Input loudness (LUFS)",
          "The controller's estimate of the input's loudness, in LUFS "
          "(-inf before one), updated every interval", -INFINITY,
          INFINITY, -INFINITY, readable));
  g_object_class_install_property (gobject_class, PROP_OUTPUT_LOUDNESS,
      g_param_spec_double ("output-loudness", "Output loudness (LUFS)",
          "Integrated loudness of the output so far (BS.1770-4 gated), in "
          "LUFS, updated every interval", -INFINITY, INFINITY,
          -INFINITY, readable));

  gst_element_class_set_static_metadata (element_class,
      "Mastering loudness normaliser", "Filter/Effect/Audio",
      "Brings audio to a loudness target (ITU-R BS.1770-4, EBU R128) under "
      "a true-peak ceiling: a slow gated controller in front of a true-peak "
      "limiter, or a fixed gain", "mastering developers");

  gst_mst_add_pad_templates (filter_class);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_LOUDNORM_MODE, 0);

  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_mst_loudnorm_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_mst_loudnorm_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_sink_event);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_accept_caps);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_query);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_stop);
  trans_class->passthrough_on_same_caps = FALSE;
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_setup);
}

static void
gst_mst_loudnorm_init (GstMstLoudnorm * self)
{
  mst_loudnorm_settings_default (&self->settings);
  self->lookahead_ms = DEFAULT_LOOKAHEAD_MS;
  self->control_lookahead_ms = DEFAULT_CONTROL_LOOKAHEAD_MS;
  self->interval_ns = DEFAULT_INTERVAL_NS;
  self->post_messages = DEFAULT_POST_MESSAGES;
  status_clear (&self->latest);
  gst_mst_timeline_restart (&self->timeline);
  self->core = mst_loudnorm_init (MST_MAX_CHANNELS);
  g_assert (self->core != NULL);
}
