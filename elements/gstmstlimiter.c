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

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_limiter_debug);
#define GST_CAT_DEFAULT gst_mst_limiter_debug

/* A message every second, as loudmeter, loudnorm and gst-plugins-rs's
 * ebur128level post by default. Each message wakes the application's main
 * loop (about 25 to 45 us across both threads on a 2-core VM, the bus's
 * poll write and read, nearly all of a message's cost; building it is
 * 0.4 us): at 100 ms that was 0.15 to 0.3 s per 10 minutes of batch
 * rendering, more than a third of the limiting itself. A second loses no
 * limiting event, since "gain-reduction" is the largest of the interval
 * (a peak hold); a meter that animates sets interval=100000000. */
#define DEFAULT_INTERVAL_NS GST_SECOND


enum
{
  PROP_0,
  PROP_CEILING,
  PROP_INPUT_GAIN,
  PROP_LOOKAHEAD,
  PROP_RELEASE,
  PROP_AUTO_RELEASE,
  PROP_TRUE_PEAK,
  PROP_BAND_LIMIT,
  PROP_LINK,
  PROP_BYPASS,
  PROP_GAIN_REDUCTION,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstLimiter, gst_mst_limiter,
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_limiter_debug, "limiter", 0,
        "mastering true-peak limiter"));
GST_ELEMENT_REGISTER_DEFINE (limiter, "limiter", GST_RANK_NONE,
    GST_TYPE_MST_LIMITER);

static void
gst_mst_limiter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstLimiter *self = GST_MST_LIMITER (object);
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CEILING:
      self->settings.ceiling_db = g_value_get_double (value);
      break;
    case PROP_INPUT_GAIN:
      self->settings.input_gain_db = g_value_get_double (value);
      break;
    case PROP_LOOKAHEAD:
      if (!gst_mst_delay_filter_refuse_while_running (base, "lookahead",
              self->lookahead_ms, g_value_get_double (value)))
        self->lookahead_ms = g_value_get_double (value);
      break;
    case PROP_RELEASE:
      self->settings.release_ms = g_value_get_double (value);
      break;
    case PROP_AUTO_RELEASE:
      self->settings.auto_release = g_value_get_boolean (value);
      break;
    case PROP_TRUE_PEAK:
      self->settings.true_peak = g_value_get_boolean (value);
      break;
    case PROP_BAND_LIMIT:
      self->settings.band_limit = g_value_get_boolean (value);
      break;
    case PROP_LINK:
      self->settings.link = g_value_get_double (value) / 100.0;
      break;
    case PROP_BYPASS:
      self->settings.bypass = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&GST_MST_FILTER (base)->messages, pspec, value))
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
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);

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
    case PROP_BAND_LIMIT:
      g_value_set_boolean (value, self->settings.band_limit);
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
    default:
      if (!gst_mst_message_settings_get (&GST_MST_FILTER (base)->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static MstResult
gst_mst_limiter_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstLimiter *self = GST_MST_LIMITER (base);
  gdouble lookahead_ms;

  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  if (!self->core)
    self->core = mst_limiter_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  return mst_limiter_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), lookahead_ms);
}

static MstResult
gst_mst_limiter_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_limiter_set (GST_MST_LIMITER (base)->core, settings);
}

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_LIMITER, mst_limiter);

/* The status fields' names as quarks, from class_init: no quark lookup
 * (GLib's global lock and a hash) per message. */
static GQuark q_gain_reduction, q_gain_reduction_current;

static void
gst_mst_limiter_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstLimiter *self = GST_MST_LIMITER (base);
  double current_db, max_db;

  mst_limiter_get_gain_reduction (self->core, &current_db, &max_db, TRUE);
  GST_OBJECT_LOCK (self);
  self->gain_reduction_db = current_db;
  GST_OBJECT_UNLOCK (self);
  if (s)
    gst_structure_id_set (s,
        q_gain_reduction, G_TYPE_DOUBLE, max_db,
        q_gain_reduction_current, G_TYPE_DOUBLE, current_db, NULL);
}

static void
gst_mst_limiter_class_init (GstMstLimiterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstLimiterSettings d;

  gobject_class->set_property = gst_mst_limiter_set_property;
  gobject_class->get_property = gst_mst_limiter_get_property;

  q_gain_reduction = g_quark_from_static_string ("gain-reduction");
  q_gain_reduction_current =
      g_quark_from_static_string ("gain-reduction-current");
  mst_limiter_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_CEILING,
      g_param_spec_double ("ceiling", "Ceiling (dBTP)",
          "Highest output level, in dBTP (true peak, ITU-R BS.1770-4) or "
          "dBFS with true-peak off; a change applies from the next sample, the "
          "gain moving to it over the lookahead",
          MST_LIMITER_MIN_CEILING_DB, MST_LIMITER_MAX_CEILING_DB, d.ceiling_db,
          flags));
  g_object_class_install_property (gobject_class, PROP_INPUT_GAIN,
      g_param_spec_double ("input-gain", "Input gain (dB)",
          "Gain before limiting, in dB; glides over 10 ms",
          MST_LIMITER_MIN_INPUT_GAIN_DB, MST_LIMITER_MAX_INPUT_GAIN_DB,
          d.input_gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_LOOKAHEAD,
      g_param_spec_double ("lookahead", "Lookahead (ms)",
          "Lookahead in ms, the attack time of the gain curve; reported as "
          "latency (plus 66 samples of detection and 16 to 31 of the gain's "
          "16-sample groups), so it can only change in "
          "the NULL or READY state", MST_LIMITER_MIN_LOOKAHEAD_MS,
          MST_LIMITER_MAX_LOOKAHEAD_MS, MST_LIMITER_DEFAULT_LOOKAHEAD_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RELEASE,
      g_param_spec_double ("release", "Release (ms)",
          "Release time constant in ms (with auto-release: the base of the "
          "program-dependent release)", MST_LIMITER_MIN_RELEASE_MS,
          MST_LIMITER_MAX_RELEASE_MS, d.release_ms, flags));
  g_object_class_install_property (gobject_class, PROP_AUTO_RELEASE,
      g_param_spec_boolean ("auto-release", "Auto release",
          "Program-dependent release: after a transient more than 2 dB deeper "
          "than the sustained reduction, back to it 4x faster than release; "
          "otherwise 2x slower, so dense material and bass do not pump",
          d.auto_release, flags));
  g_object_class_install_property (gobject_class, PROP_TRUE_PEAK,
      g_param_spec_boolean ("true-peak", "True peak",
          "Limit the true peak (4x oversampled, refined) rather than the "
          "sample peak", d.true_peak, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_LIMIT,
      g_param_spec_boolean ("band-limit", "Band limit",
          GST_MST_BAND_LIMIT_BLURB, d.band_limit, flags));
  g_object_class_install_property (gobject_class, PROP_LINK,
      g_param_spec_double ("link", "Channel link (%)",
          "How much the channels share one gain, in %: 100 = one gain for "
          "all, 0 = each channel on its own", 0.0, 100.0, d.link * 100.0,
          flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact once the gain has "
          "released), keeping the latency", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_GAIN_REDUCTION,
      g_param_spec_double ("gain-reduction", "Gain reduction (dB)",
          "Current gain reduction in dB (>= 0), updated every interval",
          0.0, G_MAXDOUBLE, 0.0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"limiter\" element messages, in ns (a meter "
      "that animates may want 100 ms)",
      "Post a \"limiter\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), "
      "gain-reduction (largest in the interval, dB) and "
      "gain-reduction-current (dB)");

  gst_element_class_set_static_metadata (element_class,
      "Mastering true-peak limiter", "Filter/Effect/Audio",
      "Lookahead brickwall limiter that holds the output's true peak "
      "(ITU-R BS.1770-4) at or below a ceiling", "mastering developers");

  base_class->message_name = "limiter";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstLimiter, settings);
  base_class->settings_size = sizeof (MstLimiterSettings);
  /* Messages cover the output up to the drained tail; a drain with
   * nothing pending still starts the core afresh (smoothers at target). */
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_limiter_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_limiter_apply);
  delay_filter_bind_core (delay_class);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_limiter_read_status);
}

static void
gst_mst_limiter_init (GstMstLimiter * self)
{
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (self);

  mst_limiter_settings_default (&self->settings);
  self->lookahead_ms = MST_LIMITER_DEFAULT_LOOKAHEAD_MS;
  gst_mst_message_settings_init (&GST_MST_FILTER (base)->messages,
      DEFAULT_INTERVAL_NS);
}
