/* mastering: denoise, spectral noise reduction.
 *
 * SECTION:element-denoise
 * @title: denoise
 *
 * Lowers steady broadband noise (tape and preamp hiss) under music: two
 * short-time Fourier transforms on FFTW (a short one for the highs, one 8
 * times longer for the lows) whose bins are scaled by Wiener
 * gains from the noise spectrum, learned on a noise-only stretch (`learn`)
 * or given (`profile`), else tracked. The noise is lowered by at most
 * `reduction` dB, so what remains of it is the noise scaled down. The
 * long transform's length (8192 frames at 48 kHz, less one) is the latency,
 * answered on the LATENCY query; the tail is drained at EOS, so output
 * sample i is input sample i.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=in.wav ! decodebin ! audioconvert ! \
 *     denoise reduction=20 ! audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 * The profile learned on a noise-only intro of 2 s:
 * |[
 * gst-launch-1.0 filesrc location=in.wav ! decodebin ! audioconvert ! \
 *     denoise learn-intro=2 ! audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdenoise.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_denoise_debug);
#define GST_CAT_DEFAULT gst_mst_denoise_debug

/* A message every second, as the limiter (gstmstlimiter.c says why). */
#define DEFAULT_INTERVAL_NS GST_SECOND

enum
{
  PROP_0,
  PROP_REDUCTION,
  PROP_SMOOTHING,
  PROP_LEARN,
  PROP_LEARN_INTRO,
  PROP_PROFILE,
  PROP_BYPASS,
  PROP_NOISE_FLOOR,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDenoise, gst_mst_denoise,
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_denoise_debug, "denoise", 0,
        "mastering spectral noise reduction"));
GST_ELEMENT_REGISTER_DEFINE (denoise, "denoise", GST_RANK_NONE,
    GST_TYPE_MST_DENOISE);

/* "d0,d1,...": MST_DENOISE_PROFILE_BANDS densities (dB re FS^2/Hz); FALSE
 * when the text is not that. */
static gboolean
parse_profile (const gchar * text, gdouble * db)
{
  gchar **items = g_strsplit (text, ",", -1);
  gboolean ok = g_strv_length (items) == MST_DENOISE_PROFILE_BANDS;
  for (guint b = 0; ok && b < MST_DENOISE_PROFILE_BANDS; b++) {
    gchar *end;
    db[b] = g_ascii_strtod (g_strstrip (items[b]), &end);
    ok = end != items[b] && *end == '\0' && db[b] >= MST_DENOISE_MIN_PROFILE_DB
        && db[b] <= MST_DENOISE_MAX_PROFILE_DB;
  }
  g_strfreev (items);
  return ok;
}

static gchar *
format_profile (const gdouble * db)
{
  GString *s = g_string_new (NULL);
  for (guint b = 0; b < MST_DENOISE_PROFILE_BANDS; b++) {
    gchar num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd (num, sizeof num, "%.1f", db[b]);
    g_string_append_printf (s, "%s%s", b ? "," : "", num);
  }
  return g_string_free (s, FALSE);
}

static void
gst_mst_denoise_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstDenoise *self = GST_MST_DENOISE (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_REDUCTION:
      self->settings.reduction_db = g_value_get_double (value);
      break;
    case PROP_SMOOTHING:
      self->settings.smoothing = g_value_get_double (value);
      break;
    case PROP_LEARN:
      self->settings.learn = g_value_get_boolean (value);
      break;
    case PROP_LEARN_INTRO:
      self->settings.learn_intro_s = g_value_get_double (value);
      break;
    case PROP_PROFILE:{
      const gchar *text = g_value_get_string (value);
      gdouble db[MST_DENOISE_PROFILE_BANDS];
      if (!text || !*text) {
        self->settings.has_profile = FALSE;
      } else if (parse_profile (text, db)) {
        memcpy (self->settings.profile_db, db, sizeof db);
        self->settings.has_profile = TRUE;
      } else {
        GST_OBJECT_UNLOCK (self);
        GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
            ("profile must be %d comma-separated densities in dB re FS^2/Hz "
                "(%g to %g); keeping the one in use",
                MST_DENOISE_PROFILE_BANDS, MST_DENOISE_MIN_PROFILE_DB,
                MST_DENOISE_MAX_PROFILE_DB), ("refused \"%s\"", text));
        GST_OBJECT_LOCK (self);
      }
      break;
    }
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
gst_mst_denoise_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstDenoise *self = GST_MST_DENOISE (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_REDUCTION:
      g_value_set_double (value, self->settings.reduction_db);
      break;
    case PROP_SMOOTHING:
      g_value_set_double (value, self->settings.smoothing);
      break;
    case PROP_LEARN:
      g_value_set_boolean (value, self->settings.learn);
      break;
    case PROP_LEARN_INTRO:
      g_value_set_double (value, self->settings.learn_intro_s);
      break;
    case PROP_PROFILE:
      /* The profile in use (learned or given), else the one given. */
      if (self->profile_known)
        g_value_take_string (value, format_profile (self->profile_db));
      else if (self->settings.has_profile)
        g_value_take_string (value,
            format_profile (self->settings.profile_db));
      else
        g_value_set_string (value, "");
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, self->settings.bypass);
      break;
    case PROP_NOISE_FLOOR:
      g_value_set_double (value, self->noise_floor_db);
      break;
    default:
      if (!gst_mst_message_settings_get (&base->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static MstResult
gst_mst_denoise_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstDenoise *self = GST_MST_DENOISE (base);

  if (!self->core)
    self->core = mst_denoise_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  return mst_denoise_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info));
}

static MstResult
gst_mst_denoise_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_denoise_set (GST_MST_DENOISE (base)->core, settings);
}

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_DENOISE, mst_denoise);

static void
gst_mst_denoise_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstDenoise *self = GST_MST_DENOISE (base);
  gdouble floor_db = mst_denoise_get_noise_floor (self->core);
  gdouble profile[MST_DENOISE_PROFILE_BANDS];
  gboolean has = mst_denoise_has_profile (self->core)
      && mst_denoise_get_profile (self->core, profile) == MST_OK;

  GST_OBJECT_LOCK (self);
  self->noise_floor_db = floor_db;
  self->profile_known = has;
  if (has)
    memcpy (self->profile_db, profile, sizeof profile);
  GST_OBJECT_UNLOCK (self);
  if (s)
    gst_structure_set (s,
        "noise-floor", G_TYPE_DOUBLE, floor_db,
        "profile", G_TYPE_BOOLEAN, has, NULL);
}

static void
gst_mst_denoise_class_init (GstMstDenoiseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDenoiseSettings d;

  gobject_class->set_property = gst_mst_denoise_set_property;
  gobject_class->get_property = gst_mst_denoise_get_property;

  mst_denoise_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_REDUCTION,
      g_param_spec_double ("reduction", "Reduction (dB)",
          "Most the noise is lowered, in dB (the gains' floor); 0 passes the "
          "input through the transform unchanged; glides over 50 ms",
          MST_DENOISE_MIN_REDUCTION_DB, MST_DENOISE_MAX_REDUCTION_DB,
          d.reduction_db, flags));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_double ("smoothing", "Smoothing",
          "Musical-noise suppression, 0 to 1: the gains' release over time "
          "(time constant up to 40 ms) and the removal of gain peaks "
          "narrower than three bins where the SNR is low",
          MST_DENOISE_MIN_SMOOTHING, MST_DENOISE_MAX_SMOOTHING, d.smoothing,
          flags));
  g_object_class_install_property (gobject_class, PROP_LEARN,
      g_param_spec_boolean ("learn", "Learn",
          "While true, the noise spectrum is averaged (play noise alone); "
          "when it turns false the average becomes the profile in use",
          d.learn, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LEARN_INTRO,
      g_param_spec_double ("learn-intro", "Learn the intro (s)",
          "Seconds at the start of every stream (after a flush or a "
          "discontinuity too) that hold noise alone: learned as with learn, "
          "then the average is the profile in use; 0: none. Taken when a "
          "stream starts", 0.0, MST_DENOISE_MAX_LEARN_INTRO_S,
          d.learn_intro_s, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PROFILE,
      g_param_spec_string ("profile", "Noise profile",
          "The noise's density in 31 third-octave bands (IEC 61260-1 base 2, "
          "19.7 Hz to 20.2 kHz), dB re FS^2/Hz, comma-separated: reads the "
          "profile in use (learned or given), takes one to use; empty: "
          "track the noise automatically", "",
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact after a 50 ms "
          "fade), keeping the latency", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_NOISE_FLOOR,
      g_param_spec_double ("noise-floor", "Noise floor (dBFS)",
          "The noise in use (profile or tracked) as an RMS level in dBFS, "
          "updated every interval", -G_MAXDOUBLE, G_MAXDOUBLE, -G_MAXDOUBLE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"denoise\" element messages, in ns",
      "Post a \"denoise\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), noise-floor "
      "(dBFS) and profile (TRUE: a learned or given profile, FALSE: "
      "tracked)");

  gst_element_class_set_static_metadata (element_class,
      "Mastering noise reduction", "Filter/Effect/Audio",
      "Spectral noise reduction (STFT on FFTW) with a learned or tracked "
      "noise profile, output aligned with the input", "mastering developers");

  base_class->message_name = "denoise";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDenoise, settings);
  base_class->settings_size = sizeof (MstDenoiseSettings);
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_denoise_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_denoise_apply);
  delay_filter_bind_core (delay_class);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_denoise_read_status);
}

static void
gst_mst_denoise_init (GstMstDenoise * self)
{
  mst_denoise_settings_default (&self->settings);
  self->noise_floor_db = -G_MAXDOUBLE;
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
}
