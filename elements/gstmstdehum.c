/* mastering: dehum, mains hum removal that tracks drift.
 *
 * SECTION:element-dehum
 * @title: dehum
 *
 * Removes mains hum, 50 or 60 Hz (found in the signal by default) and its
 * harmonics, by adaptive cancellation: per harmonic an oscillator locked
 * to the tracked fundamental, its amplitude and phase fitted per channel
 * and subtracted, so each harmonic is taken out as by a narrow notch that
 * follows the mains when they drift (within 1 %) and everything between
 * the harmonics passes untouched. The tracker is shared by the channels.
 * Posts a "dehum" element message every interval and a last one at EOS
 * with the mains found, the tracked fundamental and the hum's level.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! decodebin ! audioconvert ! \
 *     dehum ! audioconvert ! autoaudiosink
 * gst-launch-1.0 -m filesrc location=song.wav ! decodebin ! audioconvert ! \
 *     dehum frequency=60 harmonics=12 ! audioconvert ! wavenc ! \
 *     filesink location=clean.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdehum.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_dehum_debug);
#define GST_CAT_DEFAULT gst_mst_dehum_debug

#define DEFAULT_INTERVAL_NS GST_SECOND

enum
{
  PROP_0,
  PROP_FREQUENCY,
  PROP_HARMONICS,
  PROP_BANDWIDTH,
  PROP_BYPASS,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_MAINS,
  PROP_FUNDAMENTAL,
  PROP_HUM_LEVEL,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDehum, gst_mst_dehum, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_dehum_debug, "dehum", 0,
        "mastering hum removal"));
GST_ELEMENT_REGISTER_DEFINE (dehum, "dehum", GST_RANK_NONE,
    GST_TYPE_MST_DEHUM);

static void
gst_mst_dehum_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstDehum *self = GST_MST_DEHUM (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FREQUENCY:{
      /* 0 is auto; below the core's lowest fundamental reads as it. */
      gdouble hz = g_value_get_double (value);
      self->settings.frequency_hz = hz > 0.0
          ? MAX (hz, MST_DEHUM_MIN_FREQUENCY_HZ) : 0.0;
      break;
    }
    case PROP_HARMONICS:
      self->settings.harmonics = g_value_get_int (value);
      break;
    case PROP_BANDWIDTH:
      self->settings.bandwidth_hz = g_value_get_double (value);
      break;
    case PROP_BYPASS:
      self->settings.bypass = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&base->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_dehum_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMstDehum *self = GST_MST_DEHUM (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FREQUENCY:
      g_value_set_double (value, self->settings.frequency_hz);
      break;
    case PROP_HARMONICS:
      g_value_set_int (value, self->settings.harmonics);
      break;
    case PROP_BANDWIDTH:
      g_value_set_double (value, self->settings.bandwidth_hz);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, self->settings.bypass);
      break;
    case PROP_MAINS:
      g_value_set_double (value, self->latest.detected
          ? self->latest.nominal_hz : 0.0);
      break;
    case PROP_FUNDAMENTAL:
      g_value_set_double (value, self->latest.frequency_hz);
      break;
    case PROP_HUM_LEVEL:
      g_value_set_double (value, self->latest.level_db);
      break;
    default:
      if (!gst_mst_message_settings_get (&base->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
status_clear (MstDehumStatus * st)
{
  st->nominal_hz = st->frequency_hz = st->drift_hz = 0.0;
  st->level_db = -INFINITY;
  for (int k = 0; k < MST_DEHUM_MAX_HARMONICS; k++)
    st->harmonic_db[k] = -INFINITY;
  st->detected = FALSE;
}

static MstResult
gst_mst_dehum_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstDehum *self = GST_MST_DEHUM (base);

  if (!self->core)
    self->core = mst_dehum_init ();
  if (!self->core)
    return MST_ERR_NOMEM;
  GST_OBJECT_LOCK (self);
  status_clear (&self->latest);
  GST_OBJECT_UNLOCK (self);
  return mst_dehum_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info));
}

static MstResult
gst_mst_dehum_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_dehum_set (GST_MST_DEHUM (base)->core, settings);
}

GST_MST_FILTER_DEFINE_CORE_VFUNCS (GST_MST_DEHUM, mst_dehum);

/* The figures into the read-only properties, and into @s when posted. */
static void
gst_mst_dehum_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstDehum *self = GST_MST_DEHUM (base);
  MstDehumStatus st;
  GValue levels = G_VALUE_INIT;

  mst_dehum_get_status (self->core, &st);
  GST_OBJECT_LOCK (self);
  self->latest = st;
  gint harmonics = self->settings.harmonics;
  GST_OBJECT_UNLOCK (self);
  if (!s)
    return;
  g_value_init (&levels, GST_TYPE_ARRAY);
  for (gint k = 0; k < harmonics; k++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, st.harmonic_db[k]);
    gst_value_array_append_and_take_value (&levels, &v);
  }
  gst_structure_set (s,
      "detected", G_TYPE_BOOLEAN, st.detected,
      "mains", G_TYPE_DOUBLE, st.detected ? st.nominal_hz : 0.0,
      "fundamental", G_TYPE_DOUBLE, st.frequency_hz,
      "drift", G_TYPE_DOUBLE, st.drift_hz,
      "hum-level", G_TYPE_DOUBLE, st.level_db, NULL);
  gst_structure_take_value (s, "harmonic-levels", &levels);
}

static void
install_figure (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (klass, id, g_param_spec_double (name,
          nick, blurb, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_mst_dehum_class_init (GstMstDehumClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDehumSettings defaults;

  mst_dehum_settings_default (&defaults);
  gobject_class->set_property = gst_mst_dehum_set_property;
  gobject_class->get_property = gst_mst_dehum_get_property;

  g_object_class_install_property (gobject_class, PROP_FREQUENCY,
      g_param_spec_double ("frequency", "Mains frequency (Hz)",
          "Nominal mains fundamental in Hz (50, 60, or any from 10 to 1000, "
          "tracked within 1 %); 0: auto, 50 or 60 Hz found in the signal "
          "(nothing is removed until steady hum is found, about 2 s)",
          0.0, MST_DEHUM_MAX_FREQUENCY_HZ, defaults.frequency_hz, flags));
  g_object_class_install_property (gobject_class, PROP_HARMONICS,
      g_param_spec_int ("harmonics", "Harmonics",
          "Number of harmonics removed, the fundamental included (those "
          "above 0.45 of the sample rate are left out)", 1,
          MST_DEHUM_MAX_HARMONICS, defaults.harmonics, flags));
  g_object_class_install_property (gobject_class, PROP_BANDWIDTH,
      g_param_spec_double ("bandwidth", "Bandwidth (Hz)",
          "Width in Hz of the notch around each harmonic (-3 dB points); "
          "narrower keeps more music near the lines and needs steadier "
          "mains", MST_DEHUM_MIN_BANDWIDTH_HZ, MST_DEHUM_MAX_BANDWIDTH_HZ,
          defaults.bandwidth_hz, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through bit-exact (after a 50 ms fade)",
          defaults.bypass, flags));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"dehum\" element messages, in ns",
      "Post a \"dehum\" element message every interval and at EOS");
  install_figure (gobject_class, PROP_MAINS, "mains", "Mains (Hz)",
      "Nominal mains frequency in use, Hz (0 in auto mode until found)");
  install_figure (gobject_class, PROP_FUNDAMENTAL, "fundamental",
      "Fundamental (Hz)", "Tracked hum fundamental, Hz");
  install_figure (gobject_class, PROP_HUM_LEVEL, "hum-level",
      "Hum level (dBFS)", "RMS of the steady hum found (all harmonics, "
      "channels averaged), dBFS (a full-scale sine is -3.01); -inf: none");

  gst_element_class_set_static_metadata (element_class,
      "Mastering hum removal", "Filter/Effect/Audio",
      "Removes 50 or 60 Hz mains hum and its harmonics with adaptive "
      "cancellers that track the mains' drift", "mastering developers");

  base_class->message_name = "dehum";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDehum, settings);
  base_class->settings_size = sizeof (MstDehumSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_dehum_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_dehum_apply);
  base_class->is_passthrough = GST_DEBUG_FUNCPTR (core_is_passthrough);
  base_class->process_f32 = GST_DEBUG_FUNCPTR (core_process_f32);
  base_class->process_f64 = GST_DEBUG_FUNCPTR (core_process_f64);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (core_get_nonfinite_count);
  base_class->reset = GST_DEBUG_FUNCPTR (core_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_dehum_read_status);
  base_class->destroy = GST_DEBUG_FUNCPTR (core_destroy);
}

static void
gst_mst_dehum_init (GstMstDehum * self)
{
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
  mst_dehum_settings_default (&self->settings);
  status_clear (&self->latest);
}
