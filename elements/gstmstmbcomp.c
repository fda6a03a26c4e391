/* mastering: mbcomp, a multiband compressor.
 *
 * SECTION:element-mbcomp
 * @title: mbcomp
 *
 * Splits the audio into 1 to 6 bands with Linkwitz-Riley 24 dB/octave
 * crossovers whose bands sum flat (phase=minimum: the LR tree with all-pass
 * compensation; phase=linear: linear-phase bands summing to a pure delay,
 * reported as latency), compresses each band on its own level, and sums
 * them back, left-right or mid-side. Bands are children (GstChildProxy):
 * band0 is the lowest, bandN::crossover its upper edge in Hz. Attack and
 * release are one-pole time constants: after a level step a band's gain
 * has covered 63 % of its change in dB at T.
 *
 * Defaults are neutral (ratio 1 in every band): the bands sum to the input
 * through an all-pass (flat magnitude), or delayed with phase=linear;
 * bypass gives the input bit for bit.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.wav ! decodebin ! audioconvert ! \
 *     mbcomp num-bands=4 band0::crossover=120 band1::crossover=1000 \
 *     band2::crossover=5000 band0::ratio=2 band0::threshold=-24 \
 *     band1::ratio=1.5 band1::threshold=-24 ! \
 *     audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstmbcomp.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_mbcomp_debug);
#define GST_CAT_DEFAULT gst_mst_mbcomp_debug

/* A message a second, as the limiter (see gstmstlimiter.c for the cost of
 * shorter intervals); the per-band figures are the interval's deepest. */
#define DEFAULT_INTERVAL_NS GST_SECOND

/* ---- enums ---- */

/* Registers the enum @name of @values once; its type. */
static GType
register_enum (gsize * type, const gchar * name, const GEnumValue * values)
{
  if (g_once_init_enter (type)) {
    GType t = g_enum_register_static (name, values);
    g_once_init_leave (type, t);
  }
  return *type;
}

#define GST_TYPE_MST_MBCOMP_MODE (gst_mst_mbcomp_mode_get_type ())
static GType
gst_mst_mbcomp_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_MBCOMP_LEFT_RIGHT, "Each channel (linked by link)", "left-right"},
    {MST_MBCOMP_MID_SIDE, "Mid (L + R) / 2 and side (L - R) / 2 of the "
          "front pair, each with its own gains", "mid-side"},
    {0, NULL, NULL}
  };
  return register_enum (&type, "GstMstMbcompMode", values);
}

#define GST_TYPE_MST_MBCOMP_PHASE (gst_mst_mbcomp_phase_get_type ())
static GType
gst_mst_mbcomp_phase_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_MBCOMP_MINIMUM_PHASE, "Linkwitz-Riley LR4 tree, all-pass "
          "compensated (no latency)", "minimum"},
    {MST_MBCOMP_LINEAR_PHASE, "Linear-phase bands with the LR4 magnitudes "
          "(latency about 256 ms)", "linear"},
    {0, NULL, NULL}
  };
  return register_enum (&type, "GstMstMbcompPhase", values);
}

/* ---- bands ---- */

enum
{
  PROP_BAND_0,
  PROP_BAND_CROSSOVER,
  PROP_BAND_THRESHOLD,
  PROP_BAND_RATIO,
  PROP_BAND_KNEE,
  PROP_BAND_ATTACK,
  PROP_BAND_RELEASE,
  PROP_BAND_MAKEUP,
  PROP_BAND_BYPASS,
  PROP_BAND_SOLO,
  PROP_BAND_MUTE,
  PROP_BAND_GAIN_REDUCTION,
};

G_DEFINE_TYPE (GstMstMbcompBand, gst_mst_mbcomp_band, GST_TYPE_OBJECT);

static void
gst_mst_mbcomp_band_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstMbcompBand *band = GST_MST_MBCOMP_BAND (object);
  MstMbcompBandSettings *s;

  if (!band->mbcomp)
    return;
  GST_OBJECT_LOCK (band->mbcomp);
  s = &band->mbcomp->settings.bands[band->index];
  switch (prop_id) {
    case PROP_BAND_CROSSOVER:
      s->crossover_hz = g_value_get_double (value);
      break;
    case PROP_BAND_THRESHOLD:
      s->threshold_db = g_value_get_double (value);
      break;
    case PROP_BAND_RATIO:
      s->ratio = g_value_get_double (value);
      break;
    case PROP_BAND_KNEE:
      s->knee_db = g_value_get_double (value);
      break;
    case PROP_BAND_ATTACK:
      s->attack_ms = g_value_get_double (value);
      break;
    case PROP_BAND_RELEASE:
      s->release_ms = g_value_get_double (value);
      break;
    case PROP_BAND_MAKEUP:
      s->makeup_db = g_value_get_double (value);
      break;
    case PROP_BAND_BYPASS:
      s->bypass = g_value_get_boolean (value);
      break;
    case PROP_BAND_SOLO:
      s->solo = g_value_get_boolean (value);
      break;
    case PROP_BAND_MUTE:
      s->mute = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band->mbcomp);
}

static void
gst_mst_mbcomp_band_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstMbcompBand *band = GST_MST_MBCOMP_BAND (object);
  const MstMbcompBandSettings *s;

  if (!band->mbcomp)
    return;
  GST_OBJECT_LOCK (band->mbcomp);
  s = &band->mbcomp->settings.bands[band->index];
  switch (prop_id) {
    case PROP_BAND_CROSSOVER:
      g_value_set_double (value, s->crossover_hz);
      break;
    case PROP_BAND_THRESHOLD:
      g_value_set_double (value, s->threshold_db);
      break;
    case PROP_BAND_RATIO:
      g_value_set_double (value, s->ratio);
      break;
    case PROP_BAND_KNEE:
      g_value_set_double (value, s->knee_db);
      break;
    case PROP_BAND_ATTACK:
      g_value_set_double (value, s->attack_ms);
      break;
    case PROP_BAND_RELEASE:
      g_value_set_double (value, s->release_ms);
      break;
    case PROP_BAND_MAKEUP:
      g_value_set_double (value, s->makeup_db);
      break;
    case PROP_BAND_BYPASS:
      g_value_set_boolean (value, s->bypass);
      break;
    case PROP_BAND_SOLO:
      g_value_set_boolean (value, s->solo);
      break;
    case PROP_BAND_MUTE:
      g_value_set_boolean (value, s->mute);
      break;
    case PROP_BAND_GAIN_REDUCTION:
      g_value_set_double (value, band->gain_reduction_db);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band->mbcomp);
}

static void
gst_mst_mbcomp_band_class_init (GstMstMbcompBandClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstMbcompSettings defaults;
  /* The per-band defaults (crossover apart, which differs per band: see
   * num-bands) are the same for every band. */
  const MstMbcompBandSettings *d;

  mst_mbcomp_settings_default (&defaults);
  d = &defaults.bands[0];
  gobject_class->set_property = gst_mst_mbcomp_band_set_property;
  gobject_class->get_property = gst_mst_mbcomp_band_get_property;

  g_object_class_install_property (gobject_class, PROP_BAND_CROSSOVER,
      g_param_spec_double ("crossover", "Crossover (Hz)",
          "Upper edge of the band in Hz (the -6 dB point of its Linkwitz-Riley "
          "24 dB/octave split; unused for the top band); the edges must "
          "rise from band to band, and glide (10 ms) when moved",
          MST_MBCOMP_MIN_CROSSOVER_HZ, MST_MBCOMP_MAX_CROSSOVER_HZ,
          d->crossover_hz, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold (dB)",
          "Level of the band (dBFS, by the detector) above which it is "
          "compressed", MST_GAIN_COMPUTER_MIN_THRESHOLD_DB,
          MST_GAIN_COMPUTER_MAX_THRESHOLD_DB, d->threshold_db, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_RATIO,
      g_param_spec_double ("ratio", "Ratio",
          "Compression ratio above the threshold (1: none, the default; inf: "
          "a limiter's curve)", 1.0, INFINITY, d->ratio, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_KNEE,
      g_param_spec_double ("knee", "Knee (dB)",
          "Width of the quadratic soft knee centred on the threshold, in dB",
          0.0, MST_GAIN_COMPUTER_MAX_KNEE_DB, d->knee_db, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_ATTACK,
      g_param_spec_double ("attack", "Attack (ms)",
          "Attack in ms, a one-pole time constant: after a rise of the "
          "band's level its gain has covered 63 % of its change in dB at "
          "this time", 0.0, MST_DYNAMICS_MAX_TIME_MS, d->attack_ms, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_RELEASE,
      g_param_spec_double ("release", "Release (ms)",
          "Release in ms, a one-pole time constant: after a fall of the "
          "band's level its gain has covered 63 % of its change in dB at "
          "this time", 0.0, MST_DYNAMICS_MAX_TIME_MS, d->release_ms, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_MAKEUP,
      g_param_spec_double ("makeup", "Makeup (dB)",
          "Gain of the band after compression, in dB",
          -MST_GAIN_COMPUTER_MAX_MAKEUP_DB, MST_GAIN_COMPUTER_MAX_MAKEUP_DB,
          d->makeup_db, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the band uncompressed (gain exactly 1, reached over 10 ms)",
          d->bypass, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_SOLO,
      g_param_spec_boolean ("solo", "Solo",
          "Hear only the soloed bands (fades over 10 ms)", d->solo, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Leave the band out of the sum (fades over 10 ms)", d->mute,
          flags));
  g_object_class_install_property (gobject_class, PROP_BAND_GAIN_REDUCTION,
      g_param_spec_double ("gain-reduction", "Gain reduction (dB)",
          "Current gain reduction of the band in dB (>= 0), makeup not "
          "included, updated every interval", 0.0, G_MAXDOUBLE, 0.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_mst_mbcomp_band_init (G_GNUC_UNUSED GstMstMbcompBand * band)
{
}

/* ---- element ---- */

enum
{
  PROP_0,
  PROP_NUM_BANDS,
  PROP_MODE,
  PROP_PHASE,
  PROP_LOOKAHEAD,
  PROP_DETECTOR,
  PROP_RMS_WINDOW,
  PROP_LINK,
  PROP_BYPASS,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

static void gst_mst_mbcomp_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstMstMbcomp, gst_mst_mbcomp,
    GST_TYPE_MST_DELAY_FILTER,
    G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_mst_mbcomp_child_proxy_init)
    G_IMPLEMENT_INTERFACE (GST_TYPE_PRESET, NULL)
    GST_DEBUG_CATEGORY_INIT (gst_mst_mbcomp_debug, "mbcomp", 0,
        "mastering multiband compressor"));
GST_ELEMENT_REGISTER_DEFINE (mbcomp, "mbcomp", GST_RANK_NONE,
    GST_TYPE_MST_MBCOMP);

/* Every band is a child, also those beyond num-bands (so a pipeline
 * description may set band5 before num-bands=6 and mbcomp::band3::ratio
 * is reachable whatever the count). */
static GObject *
gst_mst_mbcomp_child_proxy_get_child_by_index (GstChildProxy * proxy,
    guint index)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (proxy);

  if (index >= MST_MBCOMP_MAX_BANDS)
    return NULL;
  return g_object_ref (G_OBJECT (self->bands[index]));
}

static guint
gst_mst_mbcomp_child_proxy_get_children_count (G_GNUC_UNUSED GstChildProxy *
    proxy)
{
  return MST_MBCOMP_MAX_BANDS;
}

static void
gst_mst_mbcomp_child_proxy_init (gpointer g_iface,
    G_GNUC_UNUSED gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = gst_mst_mbcomp_child_proxy_get_child_by_index;
  iface->get_children_count = gst_mst_mbcomp_child_proxy_get_children_count;
}

static void
gst_mst_mbcomp_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (object);
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);
  MstMbcompSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_BANDS:
      s->n_bands = g_value_get_uint (value);
      break;
    case PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case PROP_PHASE:
      /* The phase sets the latency, as the lookahead does. */
      if (GST_STATE (self) <= GST_STATE_READY) {
        self->phase = g_value_get_enum (value);
      } else if (g_value_get_enum (value) != (gint) self->phase) {
        GST_OBJECT_UNLOCK (self);
        GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
            ("phase can only change in the NULL or READY state"),
            ("refused while running"));
        GST_OBJECT_LOCK (self);
      }
      break;
    case PROP_LOOKAHEAD:
      if (!gst_mst_delay_filter_refuse_while_running (base, "lookahead",
              self->lookahead_ms, g_value_get_double (value)))
        self->lookahead_ms = g_value_get_double (value);
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
    case PROP_BYPASS:
      s->bypass = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&GST_MST_FILTER (base)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_mbcomp_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (object);
  GstMstDelayFilter *base = GST_MST_DELAY_FILTER (object);
  const MstMbcompSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_BANDS:
      g_value_set_uint (value, s->n_bands);
      break;
    case PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;
    case PROP_LOOKAHEAD:
      g_value_set_double (value, self->lookahead_ms);
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
    case PROP_BYPASS:
      g_value_set_boolean (value, s->bypass);
      break;
    default:
      if (!gst_mst_message_settings_get (&GST_MST_FILTER (base)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static MstResult
gst_mst_mbcomp_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (base);
  MstMbcompPhase phase;
  gdouble lookahead_ms;
  gint left, right;

  GST_OBJECT_LOCK (self);
  phase = self->phase;
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  if (!self->core)
    self->core = mst_mbcomp_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  gst_mst_front_pair (info, &left, &right);
  return mst_mbcomp_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), left, right, phase, lookahead_ms);
}

/* A snapshot of the settings into the core. The property ranges keep
 * every field valid but the order of the crossovers, which a pipeline
 * description may break for a moment while it sets them one by one. */
static MstResult
gst_mst_mbcomp_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_mbcomp_set (GST_MST_MBCOMP (base)->core, settings);
}

/* The element's controlled properties and its bands'. */
static void
gst_mst_mbcomp_sync_values (GstMstFilter * base, GstClockTime stream_time)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (base);

  gst_object_sync_values (GST_OBJECT (self), stream_time);
  for (guint i = 0; i < MST_MBCOMP_MAX_BANDS; i++)
    gst_object_sync_values (GST_OBJECT (self->bands[i]), stream_time);
}

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_MBCOMP, mst_mbcomp);

/* Reductions as positive dB (the limiter's and compressor's sign). */
static GValue *
reduction_array (GValue * array, const double *db, gint n)
{
  GValue v = G_VALUE_INIT;

  g_value_init (array, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_DOUBLE);
  for (gint b = 0; b < n; b++) {
    g_value_set_double (&v, 0.0 - db[b]);
    gst_value_array_append_value (array, &v);
  }
  g_value_unset (&v);
  return array;
}

static void
gst_mst_mbcomp_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (base);
  double deepest_db[MST_MBCOMP_MAX_BANDS], current_db[MST_MBCOMP_MAX_BANDS];
  gint n_bands;

  mst_mbcomp_take_reduction_db (self->core, deepest_db);
  mst_mbcomp_get_current_db (self->core, current_db);
  GST_OBJECT_LOCK (self);
  n_bands = self->settings.n_bands;
  for (gint b = 0; b < MST_MBCOMP_MAX_BANDS; b++)
    self->bands[b]->gain_reduction_db = 0.0 - current_db[b];
  GST_OBJECT_UNLOCK (self);
  if (s) {
    GValue deepest = G_VALUE_INIT, current = G_VALUE_INIT;
    gst_structure_take_value (s, "gain-reduction",
        reduction_array (&deepest, deepest_db, n_bands));
    gst_structure_take_value (s, "gain-reduction-current",
        reduction_array (&current, current_db, n_bands));
  }
}

static void
gst_mst_mbcomp_finalize (GObject * object)
{
  GstMstMbcomp *self = GST_MST_MBCOMP (object);

  for (guint i = 0; i < MST_MBCOMP_MAX_BANDS; i++) {
    self->bands[i]->mbcomp = NULL;
    gst_object_unparent (GST_OBJECT (self->bands[i]));
  }
  G_OBJECT_CLASS (gst_mst_mbcomp_parent_class)->finalize (object);
}

static void
gst_mst_mbcomp_class_init (GstMstMbcompClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  const GParamFlags ready_only = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  MstMbcompSettings d;

  mst_mbcomp_settings_default (&d);
  gobject_class->set_property = gst_mst_mbcomp_set_property;
  gobject_class->get_property = gst_mst_mbcomp_get_property;
  gobject_class->finalize = gst_mst_mbcomp_finalize;

  g_object_class_install_property (gobject_class, PROP_NUM_BANDS,
      g_param_spec_uint ("num-bands", "Number of bands",
          "Number of bands, bandN (N from 0, lowest first) through "
          "GstChildProxy. Per band: crossover (Hz, upper edge; defaults 120, "
          "1000, 5000, 10000, 16000), threshold (dB), ratio, knee (dB), "
          "attack and release (ms, one-pole time constants: 63 % of the gain "
          "change at T), makeup (dB), bypass, solo, mute, gain-reduction "
          "(dB, read-only). A change while playing fades the output through "
          "the dry path (2 x 10 ms)", 1, MST_MBCOMP_MAX_BANDS, d.n_bands,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "left-right: each channel, gains linked by link; mid-side: the mid "
          "and side of the front pair, each band with its own mid and side "
          "gains", GST_TYPE_MST_MBCOMP_MODE, d.mode, flags));
  g_object_class_install_property (gobject_class, PROP_PHASE,
      g_param_spec_enum ("phase", "Phase",
          "Crossover phase: minimum (LR4 tree, no latency) or linear "
          "(linear-phase bands, latency about 256 ms); sets the latency, so "
          "it can only change in the NULL or READY state",
          GST_TYPE_MST_MBCOMP_PHASE, MST_MBCOMP_MINIMUM_PHASE, ready_only));
  g_object_class_install_property (gobject_class, PROP_LOOKAHEAD,
      g_param_spec_double ("lookahead", "Lookahead (ms)",
          "Lookahead in ms: the bands are delayed so their gains move this "
          "much before the audio they answer; reported as latency, so it can "
          "only change in the NULL or READY state", 0.0,
          MST_MBCOMP_MAX_LOOKAHEAD_MS, 0.0, ready_only));
  g_object_class_install_property (gobject_class, PROP_DETECTOR,
      g_param_spec_enum ("detector", "Detector",
          "Level detector of every band: peak or rms (over rms-window)",
          GST_TYPE_MST_DYNAMICS_DETECTOR, d.detector, flags));
  g_object_class_install_property (gobject_class, PROP_RMS_WINDOW,
      g_param_spec_double ("rms-window", "RMS window (ms)",
          "Length of the RMS detector's moving window, in ms",
          MST_DYNAMICS_MIN_RMS_WINDOW_MS, MST_DYNAMICS_MAX_RMS_WINDOW_MS,
          d.rms_window_ms, flags));
  g_object_class_install_property (gobject_class, PROP_LINK,
      g_param_spec_double ("link", "Channel link (%)",
          "In left-right mode, how much the channels share each band's gain, "
          "in %: 100 = the loudest channel drives all, 0 = each on its own",
          0.0, 100.0, d.link * 100.0, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (after a 10 ms crossfade, "
          "bit-exact), keeping the latency", d.bypass, flags));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"mbcomp\" element messages, in ns (a meter that "
      "animates may want 100 ms)",
      "Post an \"mbcomp\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), gain-reduction "
      "(per band, lowest first, the largest in the interval, dB) and "
      "gain-reduction-current (per band, dB), both arrays of doubles");

  gst_element_class_set_static_metadata (element_class,
      "Mastering multiband compressor", "Filter/Effect/Audio",
      "1 to 6 bands split by Linkwitz-Riley crossovers that sum flat "
      "(minimum or linear phase), each compressed on its own level, "
      "left-right or mid-side", "mastering developers");

  base_class->message_name = "mbcomp";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstMbcomp, settings);
  base_class->settings_size = sizeof (MstMbcompSettings);
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_mbcomp_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_mbcomp_apply);
  base_class->refusal_hint = "the crossovers of the bands in use must rise "
      "from band to band";
  base_class->sync_values = GST_DEBUG_FUNCPTR (gst_mst_mbcomp_sync_values);
  delay_filter_bind_core (delay_class);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_mbcomp_read_status);

  gst_type_mark_as_plugin_api (GST_TYPE_MST_MBCOMP_BAND, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MBCOMP_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MBCOMP_PHASE, 0);
}

static void
gst_mst_mbcomp_init (GstMstMbcomp * self)
{
  mst_mbcomp_settings_default (&self->settings);
  self->phase = MST_MBCOMP_MINIMUM_PHASE;
  self->lookahead_ms = 0.0;
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
  for (guint i = 0; i < MST_MBCOMP_MAX_BANDS; i++) {
    gchar *name = g_strdup_printf ("band%u", i);
    GstMstMbcompBand *band = g_object_new (GST_TYPE_MST_MBCOMP_BAND,
        "name", name, NULL);
    g_free (name);
    band->mbcomp = self;
    band->index = i;
    gst_object_set_parent (GST_OBJECT (band), GST_OBJECT (self));
    self->bands[i] = band;
  }
}
