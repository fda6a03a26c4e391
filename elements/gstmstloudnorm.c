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

#define DEFAULT_CONTROL_LOOKAHEAD_MS 400.0
#define DEFAULT_INTERVAL_NS GST_SECOND

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
  PROP_BAND_LIMIT,
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
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_loudnorm_debug, "loudnorm", 0,
        "mastering loudness normaliser"));
GST_ELEMENT_REGISTER_DEFINE (loudnorm, "loudnorm", GST_RANK_NONE,
    GST_TYPE_MST_LOUDNORM);

static void
gst_mst_loudnorm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (object);
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);
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
      if (!gst_mst_delay_filter_refuse_while_running (base, "lookahead",
              self->lookahead_ms, g_value_get_double (value)))
        self->lookahead_ms = g_value_get_double (value);
      break;
    case PROP_CONTROL_LOOKAHEAD:
      if (!gst_mst_delay_filter_refuse_while_running (base,
              "control-lookahead", self->control_lookahead_ms,
              g_value_get_double (value)))
        self->control_lookahead_ms = g_value_get_double (value);
      break;
    case PROP_BYPASS:
      s->bypass = g_value_get_boolean (value);
      break;
    case PROP_BAND_LIMIT:
      s->band_limit = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&GST_MST_FILTER (base)->messages, pspec, value))
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
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);
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
    case PROP_BAND_LIMIT:
      g_value_set_boolean (value, s->band_limit);
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
      if (!gst_mst_message_settings_get (&GST_MST_FILTER (base)->messages, pspec, value))
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

static MstResult
gst_mst_loudnorm_configure (GstMstFilter * base,
    const GstAudioInfo * info)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (base);
  gdouble lookahead_ms, control_ms, weights[MST_MAX_CHANNELS];
  MstLoudnormSettings s;

  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  control_ms = self->control_lookahead_ms;
  s = self->settings;
  status_clear (&self->latest);
  GST_OBJECT_UNLOCK (self);
  gst_mst_loudness_weights (info, weights);
  if (!self->core)
    self->core = mst_loudnorm_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  /* Settings first: the controller's window is part of them. An invalid
   * combination (min-gain above max-gain) keeps the defaults. */
  if (mst_loudnorm_set (self->core, &s) != MST_OK)
    GST_DEBUG_OBJECT (self, "settings refused (min-gain above max-gain?)");
  return mst_loudnorm_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), lookahead_ms, control_ms, weights);
}

/* Settings from the properties into the core; an invalid combination
 * (min-gain above max-gain) keeps the previous one. */
static MstResult
gst_mst_loudnorm_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_loudnorm_set (GST_MST_LOUDNORM (base)->core, settings);
}

/* A drain keeps the controller's estimate (the same programme goes on
 * after a DISCONT or SEGMENT); FLUSH_STOP and stop reset it. */
GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_LOUDNORM, mst_loudnorm);

static void
gst_mst_loudnorm_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstLoudnorm *self = GST_MST_LOUDNORM (base);
  MstLoudnormStatus st;

  mst_loudnorm_get_status (self->core, &st, TRUE);
  GST_OBJECT_LOCK (self);
  self->latest = st;
  GST_OBJECT_UNLOCK (self);
  if (s)
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
}

static void
gst_mst_loudnorm_class_init (GstMstLoudnormClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  MstLoudnormSettings d;

  mst_loudnorm_settings_default (&d);
  gobject_class->set_property = gst_mst_loudnorm_set_property;
  gobject_class->get_property = gst_mst_loudnorm_get_property;

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
          MST_LIMITER_DEFAULT_LOOKAHEAD_MS, ready));
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
  g_object_class_install_property (gobject_class, PROP_BAND_LIMIT,
      g_param_spec_boolean ("band-limit", "Band limit",
          GST_MST_BAND_LIMIT_BLURB, d.band_limit, flags));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"loudnorm\" element messages, in ns",
      "Post a \"loudnorm\" element message every interval and at EOS, "
      "with timestamp, stream-time, running-time, duration (ns); gain, "
      "target-gain (dB); input-estimate, input-momentary, "
      "input-short-term, input-integrated, output-momentary, "
      "output-short-term, output-integrated (LUFS); gain-reduction "
      "(largest in the interval) and gain-reduction-current (dB)");
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

  gst_type_mark_as_plugin_api (GST_TYPE_MST_LOUDNORM_MODE, 0);

  base_class->message_name = "loudnorm";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstLoudnorm, settings);
  base_class->settings_size = sizeof (MstLoudnormSettings);
  /* The last figures, drained tail included, at EOS; nothing pending
   * means nothing to restart. */
  delay_class->messages_cover_tail = TRUE;
  delay_class->reset_when_empty = FALSE;
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_apply);
  base_class->refusal_hint = "min-gain must not be above max-gain";
  delay_filter_bind_core (delay_class);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_loudnorm_read_status);
}

static void
gst_mst_loudnorm_init (GstMstLoudnorm * self)
{
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (self);

  mst_loudnorm_settings_default (&self->settings);
  self->lookahead_ms = MST_LIMITER_DEFAULT_LOOKAHEAD_MS;
  self->control_lookahead_ms = DEFAULT_CONTROL_LOOKAHEAD_MS;
  gst_mst_message_settings_init (&GST_MST_FILTER (base)->messages, DEFAULT_INTERVAL_NS);
  status_clear (&self->latest);
}
