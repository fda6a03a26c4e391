/* mastering: compressor, a one-band dynamics processor with an external
 * sidechain.
 *
 * SECTION:element-compressor
 * @title: compressor
 *
 * A downward (or upward) compressor on the dynamics core
 * (gst/mst-dynamics.h): key filters (sidechain high-pass and low-pass),
 * a peak or RMS detector with channel link, the soft-knee curve of
 * Giannoulis, Massberg & Reiss (2012), attack, hold and release on the
 * gain, makeup, optional lookahead, dry/wet mix.
 *
 * Attack and release are one-pole time constants: after a level step the
 * gain has covered 63 % of its change in dB at T (FFmpeg's acompressor
 * reaches 98 % at its T: ours = theirs / 4; LSP 71 %: ours = 0.814 x
 * theirs).
 *
 * The key is the input itself, or the audio on the request pad
 * `sidechain` (ducking: the music under a voice). Its frames are matched
 * to the main's by running time; a key that is missing, late or ended is
 * silence, and the main stream never stalls on it (docs/blocks/two-input.md).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=voice.wav ! decodebin ! audioconvert ! \
 *     compressor threshold=-24 ratio=3 attack=5 release=80 makeup=4 ! \
 *     audioconvert ! autoaudiosink
 * gst-launch-1.0 filesrc location=music.wav ! decodebin ! audioconvert ! \
 *     compressor name=c threshold=-40 ratio=8 release=300 ! audioconvert ! \
 *     autoaudiosink \
 *   filesrc location=voice.wav ! decodebin ! audioconvert ! audioresample ! \
 *     c.sidechain
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstcompressor.h"
#include "gstmstcommon.h"

#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_compressor_debug);
#define GST_CAT_DEFAULT gst_mst_compressor_debug

/* A message a second, as the limiter (gstmstlimiter.c says why). */
#define DEFAULT_INTERVAL_NS GST_SECOND
#define DEFAULT_LOOKAHEAD_MS 0.0
/* The range; beyond it, "inf" (a limiter's curve). */
#define MAX_FINITE_RATIO 100.0

enum
{
  PROP_0,
  PROP_MODE,
  PROP_THRESHOLD,
  PROP_RATIO,
  PROP_KNEE,
  PROP_MAKEUP,
  PROP_AUTO_MAKEUP,
  PROP_DETECTOR,
  PROP_RMS_WINDOW,
  PROP_LINK,
  PROP_ATTACK,
  PROP_RELEASE,
  PROP_HOLD,
  PROP_AUTO_RELEASE,
  PROP_SIDECHAIN_HIGHPASS,
  PROP_SIDECHAIN_LOWPASS,
  PROP_LOOKAHEAD,
  PROP_MIX,
  PROP_BYPASS,
  PROP_GAIN_REDUCTION,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

#define GST_TYPE_MST_COMPRESSOR_MODE (gst_mst_compressor_mode_get_type ())
static GType
gst_mst_compressor_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MST_GAIN_COMPUTER_COMPRESS, "Downward: levels above the threshold are "
          "brought down by the ratio", "downward"},
    {MST_GAIN_COMPUTER_UPWARD, "Upward: levels below the threshold are "
          "brought up by the ratio (at most 24 dB)", "upward"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstCompressorMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_TYPE_WITH_CODE (GstMstCompressor, gst_mst_compressor,
    GST_TYPE_MST_TWO_INPUT,
    GST_DEBUG_CATEGORY_INIT (gst_mst_compressor_debug, "compressor", 0,
        "mastering compressor"));
GST_ELEMENT_REGISTER_DEFINE (compressor, "compressor", GST_RANK_NONE,
    GST_TYPE_MST_COMPRESSOR);

/* 0 is off; the core's filters start at MST_DYNAMICS_MIN_FILTER_HZ (a
 * value under it would make the core refuse every setting). */
static gdouble
key_filter_hz (gdouble hz)
{
  return hz > 0.0 && hz < MST_DYNAMICS_MIN_FILTER_HZ ?
      MST_DYNAMICS_MIN_FILTER_HZ : hz;
}

static void
gst_mst_compressor_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstCompressor *self = GST_MST_COMPRESSOR (object);
  MstDynamicsSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case PROP_THRESHOLD:
      s->threshold_db = g_value_get_double (value);
      break;
    case PROP_RATIO:{
      gdouble ratio = g_value_get_double (value);
      s->ratio = ratio > MAX_FINITE_RATIO ? INFINITY : ratio;
      break;
    }
    case PROP_KNEE:
      s->knee_db = g_value_get_double (value);
      break;
    case PROP_MAKEUP:
      s->makeup_db = g_value_get_double (value);
      break;
    case PROP_AUTO_MAKEUP:
      s->auto_makeup = g_value_get_boolean (value);
      break;
    case PROP_DETECTOR:
      s->detector = g_value_get_enum (value);
      break;
    case PROP_RMS_WINDOW:
      s->rms_window_ms = g_value_get_double (value);
      break;
    case PROP_LINK:
      s->link = g_value_get_double (value) / 100.0;
      break;
    case PROP_ATTACK:
      s->attack_ms = g_value_get_double (value);
      break;
    case PROP_RELEASE:
      s->release_ms = g_value_get_double (value);
      break;
    case PROP_HOLD:
      s->hold_ms = g_value_get_double (value);
      break;
    case PROP_AUTO_RELEASE:
      s->auto_release = g_value_get_boolean (value);
      break;
    case PROP_SIDECHAIN_HIGHPASS:
      s->key_highpass_hz = key_filter_hz (g_value_get_double (value));
      break;
    case PROP_SIDECHAIN_LOWPASS:
      s->key_lowpass_hz = key_filter_hz (g_value_get_double (value));
      break;
    case PROP_LOOKAHEAD:
      /* The latency: the core is configured again before the next main
       * buffer, after its tail went out. */
      if (self->lookahead_ms != g_value_get_double (value)) {
        self->lookahead_ms = g_value_get_double (value);
        gst_mst_two_input_request_configure (GST_MST_TWO_INPUT (self));
      }
      break;
    case PROP_MIX:
      s->mix = g_value_get_double (value) / 100.0;
      break;
    case PROP_BYPASS:
      s->bypass = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&GST_MST_TWO_INPUT (self)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_compressor_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstCompressor *self = GST_MST_COMPRESSOR (object);
  const MstDynamicsSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, s->threshold_db);
      break;
    case PROP_RATIO:
      g_value_set_double (value, s->ratio);
      break;
    case PROP_KNEE:
      g_value_set_double (value, s->knee_db);
      break;
    case PROP_MAKEUP:
      g_value_set_double (value, s->makeup_db);
      break;
    case PROP_AUTO_MAKEUP:
      g_value_set_boolean (value, s->auto_makeup);
      break;
    case PROP_DETECTOR:
      g_value_set_enum (value, s->detector);
      break;
    case PROP_RMS_WINDOW:
      g_value_set_double (value, s->rms_window_ms);
      break;
    case PROP_LINK:
      g_value_set_double (value, s->link * 100.0);
      break;
    case PROP_ATTACK:
      g_value_set_double (value, s->attack_ms);
      break;
    case PROP_RELEASE:
      g_value_set_double (value, s->release_ms);
      break;
    case PROP_HOLD:
      g_value_set_double (value, s->hold_ms);
      break;
    case PROP_AUTO_RELEASE:
      g_value_set_boolean (value, s->auto_release);
      break;
    case PROP_SIDECHAIN_HIGHPASS:
      g_value_set_double (value, s->key_highpass_hz);
      break;
    case PROP_SIDECHAIN_LOWPASS:
      g_value_set_double (value, s->key_lowpass_hz);
      break;
    case PROP_LOOKAHEAD:
      g_value_set_double (value, self->lookahead_ms);
      break;
    case PROP_MIX:
      g_value_set_double (value, s->mix * 100.0);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, s->bypass);
      break;
    case PROP_GAIN_REDUCTION:
      g_value_set_double (value, self->gain_reduction_db);
      break;
    default:
      if (!gst_mst_message_settings_get (&GST_MST_TWO_INPUT (self)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Whether the core would be configured again (and so reset) for these
 * formats: rate, channels, key channels or lookahead changed. */
static gboolean
gst_mst_compressor_configure_resets (GstMstTwoInput * base,
    const GstAudioInfo * main, const GstAudioInfo * key)
{
  GstMstCompressor *self = GST_MST_COMPRESSOR (base);
  gdouble lookahead_ms;

  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  return !self->core || GST_AUDIO_INFO_RATE (main) != self->rate
      || GST_AUDIO_INFO_CHANNELS (main) != self->channels
      || GST_AUDIO_INFO_CHANNELS (key) != self->key_channels
      || lookahead_ms != self->core_lookahead_ms;
}

/* The core for the main's format and the key's: configured (and so reset)
 * only when one of rate, channels, key channels or lookahead changed, so a
 * repeated caps event or a sidechain of the main's channel count linked
 * mid-stream keeps the delay line and the envelopes. */
static MstResult
gst_mst_compressor_configure (GstMstTwoInput * base, const GstAudioInfo * main,
    const GstAudioInfo * key)
{
  GstMstCompressor *self = GST_MST_COMPRESSOR (base);
  gint rate = GST_AUDIO_INFO_RATE (main);
  gint channels = GST_AUDIO_INFO_CHANNELS (main);
  gint key_channels = GST_AUDIO_INFO_CHANNELS (key);
  gdouble lookahead_ms;
  MstDynamicsSettings settings;
  MstResult r;

  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  if (!self->core)
    self->core = mst_dynamics_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  if (!gst_mst_compressor_configure_resets (base, main, key))
    return MST_OK;
  /* The key always has its channel count in the core (the main's for the
   * internal key), so the core takes both the main and a sidechain as
   * key. */
  r = mst_dynamics_configure (self->core, rate, channels, key_channels,
      lookahead_ms);
  if (r != MST_OK) {
    self->rate = 0;
    return r;
  }
  /* The settings in force from the first frame, glides at their targets
   * (a bypass starts bypassed). */
  GST_OBJECT_LOCK (self);
  settings = self->settings;
  GST_OBJECT_UNLOCK (self);
  if (mst_dynamics_set (self->core, &settings) == MST_OK)
    mst_dynamics_reset (self->core);
  self->rate = rate;
  self->channels = channels;
  self->key_channels = key_channels;
  self->core_lookahead_ms = lookahead_ms;
  return MST_OK;
}

static MstResult
gst_mst_compressor_apply (GstMstTwoInput * base, gconstpointer settings)
{
  return mst_dynamics_set (GST_MST_COMPRESSOR (base)->core, settings);
}

#define DEFINE_PROCESS(T, fmt) \
static MstResult \
gst_mst_compressor_process_##fmt (GstMstTwoInput * base, gpointer main, \
    gconstpointer key, gsize n_frames, gsize * n_out) \
{ \
  MstDynamics *core = GST_MST_COMPRESSOR (base)->core; \
  size_t m = 0; \
  MstResult r = key ? mst_dynamics_process_keyed_##fmt (core, main, key, \
      n_frames, main, &m) : mst_dynamics_process_##fmt (core, main, \
      n_frames, main, &m); \
  *n_out = m; \
  return r; \
} \
static MstResult \
gst_mst_compressor_drain_##fmt (GstMstTwoInput * base, gpointer out, \
    gsize * n_out) \
{ \
  size_t m = 0; \
  MstResult r = mst_dynamics_drain_##fmt (GST_MST_COMPRESSOR (base)->core, \
      out, &m); \
  *n_out = m; \
  return r; \
}
DEFINE_PROCESS (gfloat, f32);
DEFINE_PROCESS (gdouble, f64);

static gsize
gst_mst_compressor_get_latency (GstMstTwoInput * base)
{
  return mst_dynamics_get_latency (GST_MST_COMPRESSOR (base)->core);
}

static gsize
gst_mst_compressor_get_pending (GstMstTwoInput * base)
{
  return mst_dynamics_get_pending (GST_MST_COMPRESSOR (base)->core);
}

static guint64
gst_mst_compressor_get_nonfinite_count (GstMstTwoInput * base)
{
  return mst_dynamics_get_nonfinite_count (GST_MST_COMPRESSOR (base)->core);
}

static void
gst_mst_compressor_reset (GstMstTwoInput * base)
{
  mst_dynamics_reset (GST_MST_COMPRESSOR (base)->core);
}

static void
gst_mst_compressor_destroy (GstMstTwoInput * base)
{
  mst_dynamics_destroy (&GST_MST_COMPRESSOR (base)->core);
}

/* Reduction as a positive figure (dB below unity, makeup not included);
 * negative in upward mode (a boost). */
static void
gst_mst_compressor_read_status (GstMstTwoInput * base, GstStructure * s)
{
  GstMstCompressor *self = GST_MST_COMPRESSOR (base);
  gdouble deepest_db = -mst_dynamics_take_reduction_db (self->core);
  gdouble current_db = -mst_dynamics_get_current_db (self->core);

  /* -0.0 reads as 0. */
  deepest_db += 0.0;
  current_db += 0.0;
  GST_OBJECT_LOCK (self);
  self->gain_reduction_db = current_db;
  GST_OBJECT_UNLOCK (self);
  if (s)
    gst_structure_set (s,
        "gain-reduction", G_TYPE_DOUBLE, deepest_db,
        "gain-reduction-current", G_TYPE_DOUBLE, current_db,
        "makeup", G_TYPE_DOUBLE, mst_dynamics_get_makeup_db (self->core),
        NULL);
}

static void
gst_mst_compressor_class_init (GstMstCompressorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstTwoInputClass *base_class = GST_MST_TWO_INPUT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDynamicsSettings d;

  gobject_class->set_property = gst_mst_compressor_set_property;
  gobject_class->get_property = gst_mst_compressor_get_property;

  mst_dynamics_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Downward (levels above the threshold come down) or upward (levels "
          "below it come up)", GST_TYPE_MST_COMPRESSOR_MODE, d.mode, flags));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold (dB)",
          "Level in dBFS (peak or RMS, per detector) where the curve bends, "
          "the centre of the knee", MST_GAIN_COMPUTER_MIN_THRESHOLD_DB,
          MST_GAIN_COMPUTER_MAX_THRESHOLD_DB, d.threshold_db, flags));
  g_object_class_install_property (gobject_class, PROP_RATIO,
      g_param_spec_double ("ratio", "Ratio (:1)",
          "dB of input level per dB of output level beyond the threshold, 1 "
          "to 100, or inf (gst-launch: ratio=inf) for a limiter's curve; "
          "values above 100 are taken as inf", 1.0, INFINITY, d.ratio,
          flags));
  g_object_class_install_property (gobject_class, PROP_KNEE,
      g_param_spec_double ("knee", "Knee (dB)",
          "Full width of the quadratic soft knee centred on the threshold, "
          "in dB (0: hard knee)", 0.0, MST_GAIN_COMPUTER_MAX_KNEE_DB,
          d.knee_db, flags));
  g_object_class_install_property (gobject_class, PROP_MAKEUP,
      g_param_spec_double ("makeup", "Makeup (dB)",
          "Gain added after compression, in dB",
          -MST_GAIN_COMPUTER_MAX_MAKEUP_DB, MST_GAIN_COMPUTER_MAX_MAKEUP_DB,
          d.makeup_db, flags));
  g_object_class_install_property (gobject_class, PROP_AUTO_MAKEUP,
      g_param_spec_boolean ("auto-makeup", "Auto makeup",
          "Downward mode: add the curve's own reduction at 0 dBFS as makeup "
          "(on top of makeup)", d.auto_makeup, flags));
  g_object_class_install_property (gobject_class, PROP_DETECTOR,
      g_param_spec_enum ("detector", "Detector",
          "Level the curve reads: peak (|x| of each key sample) or RMS over "
          "rms-window", GST_TYPE_MST_DYNAMICS_DETECTOR, d.detector, flags));
  g_object_class_install_property (gobject_class, PROP_RMS_WINDOW,
      g_param_spec_double ("rms-window", "RMS window (ms)",
          "Length of the RMS detector's moving average, in ms",
          MST_DYNAMICS_MIN_RMS_WINDOW_MS, MST_DYNAMICS_MAX_RMS_WINDOW_MS,
          d.rms_window_ms, flags));
  g_object_class_install_property (gobject_class, PROP_LINK,
      g_param_spec_double ("link", "Channel link (%)",
          "How much the channels share one gain, in %: 100 = the loudest "
          "channel drives all, 0 = each channel on its own (a sidechain of "
          "another channel count is always linked)", 0.0, 100.0,
          d.link * 100.0, flags));
  g_object_class_install_property (gobject_class, PROP_ATTACK,
      g_param_spec_double ("attack", "Attack (ms)",
          "Attack time constant in ms: one-pole, the gain covers 63 % of its "
          "change in dB at T after a rising level step (FFmpeg's attack / 4, "
          "LSP's x 0.814)", 0.0, MST_DYNAMICS_MAX_TIME_MS, d.attack_ms,
          flags));
  g_object_class_install_property (gobject_class, PROP_RELEASE,
      g_param_spec_double ("release", "Release (ms)",
          "Release time constant in ms: one-pole, the gain covers 63 % of its "
          "change in dB at T after a falling level step (FFmpeg's release / "
          "4, LSP's x 0.814)", 0.0, MST_DYNAMICS_MAX_TIME_MS, d.release_ms,
          flags));
  g_object_class_install_property (gobject_class, PROP_HOLD,
      g_param_spec_double ("hold", "Hold (ms)",
          "Time in ms the gain stays before it releases",
          0.0, MST_DYNAMICS_MAX_TIME_MS, d.hold_ms, flags));
  g_object_class_install_property (gobject_class, PROP_AUTO_RELEASE,
      g_param_spec_boolean ("auto-release", "Auto release",
          "Program-dependent release: release while the reduction is deeper "
          "than the programme's sustained one, 4x slower once back to it",
          d.auto_release, flags));
  g_object_class_install_property (gobject_class, PROP_SIDECHAIN_HIGHPASS,
      g_param_spec_double ("sidechain-highpass", "Sidechain high-pass (Hz)",
          "High-pass on the key (12 dB/octave Butterworth), in Hz; 0: off, "
          "10 Hz at least. Keeps the bass from driving the gain", 0.0, MST_MAX_RATE_HZ / 2.0,
          d.key_highpass_hz, flags));
  g_object_class_install_property (gobject_class, PROP_SIDECHAIN_LOWPASS,
      g_param_spec_double ("sidechain-lowpass", "Sidechain low-pass (Hz)",
          "Low-pass on the key (12 dB/octave Butterworth), in Hz; 0: off, "
          "10 Hz at least",
          0.0, MST_MAX_RATE_HZ / 2.0, d.key_lowpass_hz, flags));
  g_object_class_install_property (gobject_class, PROP_LOOKAHEAD,
      g_param_spec_double ("lookahead", "Lookahead (ms)",
          "Delay of the audio behind the key in ms, so the gain moves before "
          "the level it answers; reported as latency. A change while "
          "playing applies at the next input buffer: the frames held go out "
          "first (keyed by silence), then the new latency is posted", 0.0,
          MST_DYNAMICS_MAX_LOOKAHEAD_MS, DEFAULT_LOOKAHEAD_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MIX,
      g_param_spec_double ("mix", "Mix (%)",
          "Share of the compressed signal in the output, in % (parallel "
          "compression below 100); glides over 10 ms", 0.0, 100.0,
          d.mix * 100.0, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (a mix of 0 reached over 10 ms, "
          "then bit-exact), keeping the latency", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_GAIN_REDUCTION,
      g_param_spec_double ("gain-reduction", "Gain reduction (dB)",
          "Current gain reduction in dB (> 0: cut; < 0: boost in upward "
          "mode), makeup not included, updated every interval",
          -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"compressor\" element messages, in ns (a meter "
      "that animates may want 100 ms)",
      "Post a \"compressor\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), final, "
      "gain-reduction (largest in the interval, dB), "
      "gain-reduction-current (dB) and makeup (dB, in force)");

  gst_element_class_set_static_metadata (element_class,
      "Mastering compressor", "Filter/Effect/Audio",
      "Compressor (downward or upward) with soft knee, lookahead, "
      "sidechain filter and an external sidechain pad for ducking",
      "mastering developers");

  base_class->message_name = "compressor";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstCompressor, settings);
  base_class->settings_size = sizeof (MstDynamicsSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_compressor_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_compressor_apply);
  base_class->process_f32 = GST_DEBUG_FUNCPTR (gst_mst_compressor_process_f32);
  base_class->process_f64 = GST_DEBUG_FUNCPTR (gst_mst_compressor_process_f64);
  base_class->drain_f32 = GST_DEBUG_FUNCPTR (gst_mst_compressor_drain_f32);
  base_class->drain_f64 = GST_DEBUG_FUNCPTR (gst_mst_compressor_drain_f64);
  base_class->get_pending = GST_DEBUG_FUNCPTR (gst_mst_compressor_get_pending);
  base_class->configure_resets =
      GST_DEBUG_FUNCPTR (gst_mst_compressor_configure_resets);
  base_class->get_latency = GST_DEBUG_FUNCPTR (gst_mst_compressor_get_latency);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (gst_mst_compressor_get_nonfinite_count);
  base_class->reset = GST_DEBUG_FUNCPTR (gst_mst_compressor_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_compressor_read_status);
  base_class->destroy = GST_DEBUG_FUNCPTR (gst_mst_compressor_destroy);

  gst_type_mark_as_plugin_api (GST_TYPE_MST_COMPRESSOR_MODE, 0);
}

static void
gst_mst_compressor_init (GstMstCompressor * self)
{
  mst_dynamics_settings_default (&self->settings);
  self->lookahead_ms = DEFAULT_LOOKAHEAD_MS;
  gst_mst_message_settings_init (&GST_MST_TWO_INPUT (self)->messages,
      DEFAULT_INTERVAL_NS);
}
