/* mastering: eq, a parametric equalizer with mid/side bands.
 *
 * SECTION:element-eq
 * @title: eq
 *
 * A parametric equalizer for mastering: up to 32 bands, each a peak, shelf,
 * cut, notch, band-pass, all-pass or tilt filter, applied to all channels or
 * to the mid, side, left or right of the front pair. Peaks, shelves and tilt
 * follow their analog prototypes up to Nyquist (no bilinear cramping). Every
 * numeric property can be automated and moved while playing without clicks.
 * With every band flat and gain 0 dB, or with bypass, audio passes
 * bit-exact.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 audiotestsrc wave=pink-noise ! audioconvert ! eq num-bands=3 \
 *     band0::type=low-cut band0::freq=30 band0::slope=24 \
 *     band1::freq=250 band1::gain=-2 band1::q=1.5 \
 *     band2::type=high-shelf band2::freq=10000 band2::gain=1.5 band2::channels=side \
 *     ! audioconvert ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmsteq.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>
#include <gst/controller/controller.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_eq_debug);
#define GST_CAT_DEFAULT gst_mst_eq_debug

#define MIN_FREQ_HZ 10.0
#define MAX_FREQ_HZ 100000.0
#define MIN_Q 0.1
#define MAX_Q 40.0
#define MAX_BAND_GAIN_DB MST_EQ_MAX_BAND_GAIN_DB
#define MIN_GAIN_DB MST_EQ_MIN_GAIN_DB
#define MAX_GAIN_DB MST_EQ_MAX_GAIN_DB


/* ---- enums ---- */

#define GST_TYPE_MST_EQ_BAND_TYPE (gst_mst_eq_band_type_get_type ())
static GType
gst_mst_eq_band_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MST_FILTER_PEAK, "Peak (bell): gain at freq, width by q", "peak"},
    {MST_FILTER_LOW_SHELF, "Low shelf: gain below freq (midpoint)",
        "low-shelf"},
    {MST_FILTER_HIGH_SHELF, "High shelf: gain above freq (midpoint)",
        "high-shelf"},
    {MST_FILTER_LOW_CUT, "Low cut (Butterworth high-pass, slope)", "low-cut"},
    {MST_FILTER_HIGH_CUT, "High cut (Butterworth low-pass, slope)",
        "high-cut"},
    {MST_FILTER_NOTCH, "Notch at freq, width by q", "notch"},
    {MST_FILTER_BAND_PASS, "Band-pass, 0 dB at freq, width by q",
        "band-pass"},
    {MST_FILTER_ALL_PASS, "All-pass (phase only) at freq", "all-pass"},
    {MST_FILTER_TILT, "Tilt: -gain/2 below to +gain/2 above freq", "tilt"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstEqBandType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_MST_EQ_CHANNELS (gst_mst_eq_channels_get_type ())
static GType
gst_mst_eq_channels_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MST_EQ_CHANNELS_ALL, "All channels", "all"},
    {MST_EQ_CHANNELS_MID, "Mid of the front pair, (L + R) / 2", "mid"},
    {MST_EQ_CHANNELS_SIDE, "Side of the front pair, (L - R) / 2", "side"},
    {MST_EQ_CHANNELS_LEFT, "Front left only", "left"},
    {MST_EQ_CHANNELS_RIGHT, "Front right only", "right"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstEqChannels", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_MST_EQ_SLOPE (gst_mst_eq_slope_get_type ())
static GType
gst_mst_eq_slope_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {6, "6 dB/octave (1st order)", "6"},
    {12, "12 dB/octave (2nd order)", "12"},
    {18, "18 dB/octave (3rd order)", "18"},
    {24, "24 dB/octave (4th order)", "24"},
    {36, "36 dB/octave (6th order)", "36"},
    {48, "48 dB/octave (8th order)", "48"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstEqSlope", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- bands ---- */

enum
{
  PROP_BAND_0,
  PROP_BAND_TYPE,
  PROP_BAND_FREQ,
  PROP_BAND_GAIN,
  PROP_BAND_Q,
  PROP_BAND_SLOPE,
  PROP_BAND_ENABLED,
  PROP_BAND_CHANNELS,
};

G_DEFINE_TYPE (GstMstEqBand, gst_mst_eq_band, GST_TYPE_OBJECT);

static void
gst_mst_eq_band_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstEqBand *band = GST_MST_EQ_BAND (object);
  MstEqBandSettings *settings;

  if (!band->eq)
    return;
  GST_OBJECT_LOCK (band->eq);
  settings = &band->eq->settings.bands[band->index];
  switch (prop_id) {
    case PROP_BAND_TYPE:
      settings->filter.type = g_value_get_enum (value);
      break;
    case PROP_BAND_FREQ:
      settings->filter.freq_hz = g_value_get_double (value);
      break;
    case PROP_BAND_GAIN:
      settings->filter.gain_db = g_value_get_double (value);
      break;
    case PROP_BAND_Q:
      settings->filter.q = g_value_get_double (value);
      break;
    case PROP_BAND_SLOPE:
      settings->filter.slope_db_per_oct = g_value_get_enum (value);
      break;
    case PROP_BAND_ENABLED:
      settings->enabled = g_value_get_boolean (value);
      break;
    case PROP_BAND_CHANNELS:
      settings->channels = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band->eq);
}

static void
gst_mst_eq_band_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstEqBand *band = GST_MST_EQ_BAND (object);
  const MstEqBandSettings *settings;

  if (!band->eq)
    return;
  GST_OBJECT_LOCK (band->eq);
  settings = &band->eq->settings.bands[band->index];
  switch (prop_id) {
    case PROP_BAND_TYPE:
      g_value_set_enum (value, settings->filter.type);
      break;
    case PROP_BAND_FREQ:
      g_value_set_double (value, settings->filter.freq_hz);
      break;
    case PROP_BAND_GAIN:
      g_value_set_double (value, settings->filter.gain_db);
      break;
    case PROP_BAND_Q:
      g_value_set_double (value, settings->filter.q);
      break;
    case PROP_BAND_SLOPE:
      g_value_set_enum (value, settings->filter.slope_db_per_oct);
      break;
    case PROP_BAND_ENABLED:
      g_value_set_boolean (value, settings->enabled);
      break;
    case PROP_BAND_CHANNELS:
      g_value_set_enum (value, settings->channels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band->eq);
}

static void
gst_mst_eq_band_class_init (GstMstEqBandClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstEqSettings defaults;
  /* Bands past the octave-spaced first ten hold the plain defaults. */
  const MstEqBandSettings *d;

  mst_eq_settings_default (&defaults);
  d = &defaults.bands[MST_EQ_MAX_BANDS - 1];
  gobject_class->set_property = gst_mst_eq_band_set_property;
  gobject_class->get_property = gst_mst_eq_band_get_property;

  g_object_class_install_property (gobject_class, PROP_BAND_TYPE,
      g_param_spec_enum ("type", "Type",
          "Filter type; a change crossfades through the dry signal (10 ms)",
          GST_TYPE_MST_EQ_BAND_TYPE, d->filter.type, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_FREQ,
      g_param_spec_double ("freq", "Frequency (Hz)",
          "Centre frequency of peak, notch, band-pass and all-pass; midpoint "
          "of shelves and tilt; -3 dB point of cuts, in Hz",
          MIN_FREQ_HZ, MAX_FREQ_HZ, d->filter.freq_hz, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_GAIN,
      g_param_spec_double ("gain", "Gain (dB)",
          "Gain of peak and shelves, total tilt of tilt, in dB (ignored by "
          "cuts, notch, band-pass and all-pass)",
          -MAX_BAND_GAIN_DB, MAX_BAND_GAIN_DB, d->filter.gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_Q,
      g_param_spec_double ("q", "Q",
          "Quality factor as defined by the Audio EQ Cookbook (bandwidth of "
          "peak and notch, resonance of shelves; ignored by cuts, which are "
          "Butterworth)", MIN_Q, MAX_Q, d->filter.q, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_SLOPE,
      g_param_spec_enum ("slope", "Slope (dB/octave)",
          "Slope of low-cut and high-cut, in dB/octave (Butterworth)",
          GST_TYPE_MST_EQ_SLOPE, d->filter.slope_db_per_oct, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_ENABLED,
      g_param_spec_boolean ("enabled", "Enabled",
          "Whether the band filters; toggling crossfades (10 ms)",
          d->enabled, flags));
  g_object_class_install_property (gobject_class, PROP_BAND_CHANNELS,
      g_param_spec_enum ("channels", "Channels",
          "Channels the band filters: all, or the mid, side, left or right "
          "of the front-left/front-right pair",
          GST_TYPE_MST_EQ_CHANNELS, d->channels, flags));
}

static void
gst_mst_eq_band_init (G_GNUC_UNUSED GstMstEqBand * band)
{
}

/* ---- element ---- */

enum
{
  PROP_0,
  PROP_NUM_BANDS,
  PROP_GAIN,
  PROP_BYPASS,
};

static void gst_mst_eq_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstMstEq, gst_mst_eq, GST_TYPE_MST_FILTER,
    G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY, gst_mst_eq_child_proxy_init)
    G_IMPLEMENT_INTERFACE (GST_TYPE_PRESET, NULL)
    GST_DEBUG_CATEGORY_INIT (gst_mst_eq_debug, "eq", 0,
        "mastering parametric equalizer"));
GST_ELEMENT_REGISTER_DEFINE (eq, "eq", GST_RANK_NONE, GST_TYPE_MST_EQ);

static GObject *
gst_mst_eq_child_proxy_get_child_by_index (GstChildProxy * proxy, guint index)
{
  GstMstEq *self = GST_MST_EQ (proxy);
  GObject *child = NULL;

  GST_OBJECT_LOCK (self);
  if (index < (guint) self->settings.num_bands)
    child = g_object_ref (G_OBJECT (self->bands[index]));
  GST_OBJECT_UNLOCK (self);
  return child;
}

static guint
gst_mst_eq_child_proxy_get_children_count (GstChildProxy * proxy)
{
  GstMstEq *self = GST_MST_EQ (proxy);
  guint n;

  GST_OBJECT_LOCK (self);
  n = self->settings.num_bands;
  GST_OBJECT_UNLOCK (self);
  return n;
}

static void
gst_mst_eq_child_proxy_init (gpointer g_iface, G_GNUC_UNUSED gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = gst_mst_eq_child_proxy_get_child_by_index;
  iface->get_children_count = gst_mst_eq_child_proxy_get_children_count;
}

static void
gst_mst_eq_set_num_bands (GstMstEq * self, guint num_bands)
{
  guint old;

  GST_OBJECT_LOCK (self);
  old = self->settings.num_bands;
  self->settings.num_bands = num_bands;
  GST_OBJECT_UNLOCK (self);

  for (guint i = old; i < num_bands; i++)
    gst_child_proxy_child_added (GST_CHILD_PROXY (self),
        G_OBJECT (self->bands[i]), GST_OBJECT_NAME (self->bands[i]));
  for (guint i = num_bands; i < old; i++)
    gst_child_proxy_child_removed (GST_CHILD_PROXY (self),
        G_OBJECT (self->bands[i]), GST_OBJECT_NAME (self->bands[i]));
}

static void
gst_mst_eq_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstEq *self = GST_MST_EQ (object);

  switch (prop_id) {
    case PROP_NUM_BANDS:
      gst_mst_eq_set_num_bands (self, g_value_get_uint (value));
      return;
    case PROP_GAIN:
      GST_OBJECT_LOCK (self);
      self->settings.gain_db = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BYPASS:
      GST_OBJECT_LOCK (self);
      self->settings.bypass = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_mst_eq_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMstEq *self = GST_MST_EQ (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_BANDS:
      g_value_set_uint (value, self->settings.num_bands);
      break;
    case PROP_GAIN:
      g_value_set_double (value, self->settings.gain_db);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, self->settings.bypass);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A snapshot of the settings into the core, which takes what changed. */
static MstResult
gst_mst_eq_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_eq_set (GST_MST_EQ (base)->core, settings);
}

/* The element's controlled properties and its bands'. */
static void
gst_mst_eq_sync_values (GstMstFilter * base, GstClockTime stream_time)
{
  GstMstEq *self = GST_MST_EQ (base);

  gst_object_sync_values (GST_OBJECT (self), stream_time);
  /* Bands beyond num-bands are silent whatever their controllers say. */
  GST_OBJECT_LOCK (self);
  guint num_bands = self->settings.num_bands;
  GST_OBJECT_UNLOCK (self);
  for (guint i = 0; i < num_bands; i++)
    gst_object_sync_values (GST_OBJECT (self->bands[i]), stream_time);
}

static gboolean
gst_mst_eq_is_passthrough (GstMstFilter * base)
{
  return mst_eq_is_passthrough (GST_MST_EQ (base)->core);
}

static MstResult
gst_mst_eq_process_f32 (GstMstFilter * base, gpointer frames, gsize n_frames)
{
  return mst_eq_process_f32 (GST_MST_EQ (base)->core, frames, n_frames);
}

static MstResult
gst_mst_eq_process_f64 (GstMstFilter * base, gpointer frames, gsize n_frames)
{
  return mst_eq_process_f64 (GST_MST_EQ (base)->core, frames, n_frames);
}

static guint64
gst_mst_eq_get_nonfinite_count (GstMstFilter * base)
{
  return mst_eq_get_nonfinite_count (GST_MST_EQ (base)->core);
}

static void
gst_mst_eq_reset (GstMstFilter * base)
{
  mst_eq_reset (GST_MST_EQ (base)->core);
}

static void
gst_mst_eq_destroy (GstMstFilter * base)
{
  mst_eq_destroy (&GST_MST_EQ (base)->core);
}

static MstResult
gst_mst_eq_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstEq *self = GST_MST_EQ (base);
  gint left, right;

  if (!self->core)
    self->core = mst_eq_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  gst_mst_front_pair (info, &left, &right);
  return mst_eq_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), left, right);
}

static void
gst_mst_eq_finalize (GObject * object)
{
  GstMstEq *self = GST_MST_EQ (object);

  for (guint i = 0; i < MST_EQ_MAX_BANDS; i++) {
    self->bands[i]->eq = NULL;
    gst_object_unparent (GST_OBJECT (self->bands[i]));
  }
  G_OBJECT_CLASS (gst_mst_eq_parent_class)->finalize (object);
}

static void
gst_mst_eq_class_init (GstMstEqClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstEqSettings defaults;

  mst_eq_settings_default (&defaults);
  gobject_class->set_property = gst_mst_eq_set_property;
  gobject_class->get_property = gst_mst_eq_get_property;
  gobject_class->finalize = gst_mst_eq_finalize;

  g_object_class_install_property (gobject_class, PROP_NUM_BANDS,
      g_param_spec_uint ("num-bands", "Number of bands",
          "Number of bands, bandN (N from 0) through GstChildProxy; bands "
          "removed while playing fade out. Per band: type (peak, low-shelf, "
          "high-shelf, low-cut, high-cut, notch, band-pass, all-pass, tilt), "
          "freq (Hz, 10-100000), gain (dB, -30-30), q (0.1-40), slope "
          "(dB/octave: 6, 12, 18, 24, 36, 48), enabled, channels (all, mid, "
          "side, left, right)", 1, MST_EQ_MAX_BANDS,
          defaults.num_bands, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_GAIN,
      g_param_spec_double ("gain", "Gain (dB)",
          "Output gain after all bands, in dB", MIN_GAIN_DB, MAX_GAIN_DB,
          defaults.gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through bit-exact (after a 10 ms crossfade)",
          defaults.bypass, flags));

  gst_element_class_set_static_metadata (element_class,
      "Mastering parametric equalizer", "Filter/Effect/Audio",
      "Parametric equalizer with up to 32 bands (peak, shelves, cuts, notch, "
      "band-pass, all-pass, tilt), mid/side and per-channel bands, "
      "analog-matched responses up to Nyquist", "mastering developers");

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstEq, settings);
  base_class->settings_size = sizeof (MstEqSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_eq_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_eq_apply);
  base_class->sync_values = GST_DEBUG_FUNCPTR (gst_mst_eq_sync_values);
  base_class->is_passthrough = GST_DEBUG_FUNCPTR (gst_mst_eq_is_passthrough);
  base_class->process_f32 = GST_DEBUG_FUNCPTR (gst_mst_eq_process_f32);
  base_class->process_f64 = GST_DEBUG_FUNCPTR (gst_mst_eq_process_f64);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (gst_mst_eq_get_nonfinite_count);
  base_class->reset = GST_DEBUG_FUNCPTR (gst_mst_eq_reset);
  base_class->destroy = GST_DEBUG_FUNCPTR (gst_mst_eq_destroy);

  gst_type_mark_as_plugin_api (GST_TYPE_MST_EQ_BAND, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_EQ_BAND_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_EQ_CHANNELS, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_EQ_SLOPE, 0);
}

static void
gst_mst_eq_init (GstMstEq * self)
{
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);

  mst_eq_settings_default (&self->settings);
  for (guint i = 0; i < MST_EQ_MAX_BANDS; i++) {
    gchar *name = g_strdup_printf ("band%u", i);
    GstMstEqBand *band = g_object_new (GST_TYPE_MST_EQ_BAND, "name", name,
        NULL);
    g_free (name);
    band->eq = self;
    band->index = i;
    gst_object_set_parent (GST_OBJECT (band), GST_OBJECT (self));
    self->bands[i] = band;
  }
}
