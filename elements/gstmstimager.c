/* mastering: imager, stereo width, mid/side, mono bass and correlation.
 *
 * SECTION:element-imager
 * @title: imager
 *
 * Stereo imaging for mastering: width (0 % mono to 200 %), mid and side
 * gains, constant-power balance, rotation, swap and polarity, mono bass
 * (`mono-below`: the side below a frequency removed through a
 * Linkwitz-Riley crossover on the side only, so the mid and L + R are
 * untouched) and a width per band (up to 4 bands). Every numeric property
 * glides; neutral settings and `bypass` pass the audio bit-exact. Posts an
 * "imager" element message every interval with the output's correlation,
 * balance, side/mid ratio and mono fold-down loss, and a warning when the
 * fold-down loss exceeds `mono-warning`. Stereo only.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=song.wav ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE,channels=2 ! imager mono-below=150 width=120 ! \
 *     audioconvert ! wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstimager.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_imager_debug);
#define GST_CAT_DEFAULT gst_mst_imager_debug

/* A message every second, as the other elements (the limiter says why). */
#define DEFAULT_INTERVAL_NS GST_SECOND
/* 6 dB: the fold-down of two channels correlated at -0.5 (10 log10
 * ((1 + rho) / 2) = -6.02 dB); wide but sound stereo (uncorrelated, -3 dB)
 * stays clear of it. */
#define DEFAULT_MONO_WARNING_DB 6.0

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_MID_GAIN,
  PROP_SIDE_GAIN,
  PROP_BALANCE,
  PROP_ROTATION,
  PROP_SWAP,
  PROP_INVERT_LEFT,
  PROP_INVERT_RIGHT,
  PROP_MONO_BELOW,
  PROP_NUM_BANDS,
  PROP_BAND0_CROSSOVER,
  PROP_BAND1_CROSSOVER,
  PROP_BAND2_CROSSOVER,
  PROP_BAND0_WIDTH,
  PROP_BAND1_WIDTH,
  PROP_BAND2_WIDTH,
  PROP_BAND3_WIDTH,
  PROP_BYPASS,
  PROP_MONO_WARNING,
  PROP_CORRELATION,
  PROP_MONO_LOSS,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstImager, gst_mst_imager, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_imager_debug, "imager", 0,
        "mastering stereo imager"));
GST_ELEMENT_REGISTER_DEFINE (imager, "imager", GST_RANK_NONE,
    GST_TYPE_MST_IMAGER);

static void
gst_mst_imager_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstImager *self = GST_MST_IMAGER (object);
  MstImagerSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      s->width_pct = g_value_get_double (value);
      break;
    case PROP_MID_GAIN:
      s->mid_gain_db = g_value_get_double (value);
      break;
    case PROP_SIDE_GAIN:
      s->side_gain_db = g_value_get_double (value);
      break;
    case PROP_BALANCE:
      s->balance = g_value_get_double (value);
      break;
    case PROP_ROTATION:
      s->rotation_deg = g_value_get_double (value);
      break;
    case PROP_SWAP:
      s->swap = g_value_get_boolean (value);
      break;
    case PROP_INVERT_LEFT:
      s->invert_left = g_value_get_boolean (value);
      break;
    case PROP_INVERT_RIGHT:
      s->invert_right = g_value_get_boolean (value);
      break;
    case PROP_MONO_BELOW:
      s->mono_below_hz = g_value_get_double (value);
      /* 0 < f < the lowest split is off (a slider that passes through
       * the gap lands on off, not on an invalid setting). */
      if (s->mono_below_hz < MST_IMAGER_MIN_MONO_HZ)
        s->mono_below_hz = 0.0;
      break;
    case PROP_NUM_BANDS:
      s->num_bands = g_value_get_int (value);
      break;
    case PROP_BAND0_CROSSOVER:
    case PROP_BAND1_CROSSOVER:
    case PROP_BAND2_CROSSOVER:
      s->split_hz[prop_id - PROP_BAND0_CROSSOVER] = g_value_get_double (value);
      break;
    case PROP_BAND0_WIDTH:
    case PROP_BAND1_WIDTH:
    case PROP_BAND2_WIDTH:
    case PROP_BAND3_WIDTH:
      s->band_width_pct[prop_id - PROP_BAND0_WIDTH] =
          g_value_get_double (value);
      break;
    case PROP_BYPASS:
      s->bypass = g_value_get_boolean (value);
      break;
    case PROP_MONO_WARNING:
      self->mono_warning_db = g_value_get_double (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&GST_MST_FILTER (self)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_imager_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstImager *self = GST_MST_IMAGER (object);
  const MstImagerSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_double (value, s->width_pct);
      break;
    case PROP_MID_GAIN:
      g_value_set_double (value, s->mid_gain_db);
      break;
    case PROP_SIDE_GAIN:
      g_value_set_double (value, s->side_gain_db);
      break;
    case PROP_BALANCE:
      g_value_set_double (value, s->balance);
      break;
    case PROP_ROTATION:
      g_value_set_double (value, s->rotation_deg);
      break;
    case PROP_SWAP:
      g_value_set_boolean (value, s->swap);
      break;
    case PROP_INVERT_LEFT:
      g_value_set_boolean (value, s->invert_left);
      break;
    case PROP_INVERT_RIGHT:
      g_value_set_boolean (value, s->invert_right);
      break;
    case PROP_MONO_BELOW:
      g_value_set_double (value, s->mono_below_hz);
      break;
    case PROP_NUM_BANDS:
      g_value_set_int (value, s->num_bands);
      break;
    case PROP_BAND0_CROSSOVER:
    case PROP_BAND1_CROSSOVER:
    case PROP_BAND2_CROSSOVER:
      g_value_set_double (value, s->split_hz[prop_id - PROP_BAND0_CROSSOVER]);
      break;
    case PROP_BAND0_WIDTH:
    case PROP_BAND1_WIDTH:
    case PROP_BAND2_WIDTH:
    case PROP_BAND3_WIDTH:
      g_value_set_double (value, s->band_width_pct[prop_id - PROP_BAND0_WIDTH]);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, s->bypass);
      break;
    case PROP_MONO_WARNING:
      g_value_set_double (value, self->mono_warning_db);
      break;
    case PROP_CORRELATION:
      g_value_set_double (value, self->correlation);
      break;
    case PROP_MONO_LOSS:
      g_value_set_double (value, self->mono_loss_db);
      break;
    default:
      if (!gst_mst_message_settings_get (&GST_MST_FILTER (self)->messages,
              pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static MstResult
gst_mst_imager_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstImager *self = GST_MST_IMAGER (base);

  if (GST_AUDIO_INFO_CHANNELS (info) != 2)
    return MST_ERR_INVALID_ARG;
  if (!self->core)
    self->core = mst_imager_init ();
  if (!self->core)
    return MST_ERR_NOMEM;
  mst_stereo_sums_clear (&self->sums);
  return mst_imager_configure (self->core, GST_AUDIO_INFO_RATE (info));
}

static MstResult
gst_mst_imager_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_imager_set (GST_MST_IMAGER (base)->core, settings);
}

static gboolean
gst_mst_imager_is_passthrough (GstMstFilter * base)
{
  return mst_imager_is_passthrough (GST_MST_IMAGER (base)->core);
}

/* The core (which leaves the frames alone when it passes them, the buffer
 * then being read-only), then the analysis of what goes out. */
static MstResult
gst_mst_imager_process_f32 (GstMstFilter * base, gpointer frames,
    gsize n_frames)
{
  GstMstImager *self = GST_MST_IMAGER (base);
  MstResult r = mst_imager_process_f32 (self->core, frames, n_frames);
  mst_stereo_sums_add (&self->sums, frames, n_frames, 2, 0, 1,
      MST_FORMAT_F32);
  return r;
}

static MstResult
gst_mst_imager_process_f64 (GstMstFilter * base, gpointer frames,
    gsize n_frames)
{
  GstMstImager *self = GST_MST_IMAGER (base);
  MstResult r = mst_imager_process_f64 (self->core, frames, n_frames);
  mst_stereo_sums_add (&self->sums, frames, n_frames, 2, 0, 1,
      MST_FORMAT_F64);
  return r;
}

static guint64
gst_mst_imager_get_nonfinite_count (GstMstFilter * base)
{
  return mst_imager_get_nonfinite_count (GST_MST_IMAGER (base)->core);
}

static void
gst_mst_imager_reset (GstMstFilter * base)
{
  GstMstImager *self = GST_MST_IMAGER (base);
  mst_imager_reset (self->core);
  mst_stereo_sums_clear (&self->sums);
  memset (&self->last, 0, sizeof self->last);
  self->warned_mono = FALSE;
}

static void
gst_mst_imager_destroy (GstMstFilter * base)
{
  mst_imager_destroy (&GST_MST_IMAGER (base)->core);
}

static void
gst_mst_imager_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstImager *self = GST_MST_IMAGER (base);
  MstStereoFigures f;
  gdouble limit_db;
  gboolean over;

  /* An empty interval (the final message of a stream that ended on an
   * interval's boundary) repeats the last figures. */
  if (self->sums.n_frames == 0)
    f = self->last;
  else
    mst_stereo_figures (&self->sums, &f);
  self->last = f;
  mst_stereo_sums_clear (&self->sums);
  GST_OBJECT_LOCK (self);
  self->correlation = f.correlation;
  self->mono_loss_db = f.mono_loss_db;
  limit_db = self->mono_warning_db;
  GST_OBJECT_UNLOCK (self);
  over = limit_db > 0.0 && -f.mono_loss_db > limit_db;
  if (s)
    gst_structure_set (s,
        "correlation", G_TYPE_DOUBLE, f.correlation,
        "balance", G_TYPE_DOUBLE, f.balance_db,
        "side-mid", G_TYPE_DOUBLE, f.side_mid_db,
        "mono-loss", G_TYPE_DOUBLE, f.mono_loss_db,
        "mono-warning", G_TYPE_BOOLEAN, over, NULL);
  if (over && !self->warned_mono)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Mono fold-down loses %.1f dB (limit %.1f dB): the stereo is out "
            "of phase", -f.mono_loss_db, limit_db),
        ("correlation %.3f, side/mid %.1f dB", f.correlation,
            f.side_mid_db));
  self->warned_mono = over;
}

static void
gst_mst_imager_class_init (GstMstImagerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstImagerSettings d;

  gobject_class->set_property = gst_mst_imager_set_property;
  gobject_class->get_property = gst_mst_imager_get_property;

  mst_imager_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_double ("width", "Width (%)",
          "Stereo width in %: the side level, 0 = mono, 100 = unchanged, "
          "200 = side doubled (+6.02 dB); glides over 10 ms",
          0.0, MST_IMAGER_MAX_WIDTH_PCT, d.width_pct, flags));
  g_object_class_install_property (gobject_class, PROP_MID_GAIN,
      g_param_spec_double ("mid-gain", "Mid gain (dB)",
          "Gain of the mid (L + R) / 2, in dB", MST_IMAGER_MIN_GAIN_DB,
          MST_IMAGER_MAX_GAIN_DB, d.mid_gain_db, flags));
  g_object_class_install_property (gobject_class, PROP_SIDE_GAIN,
      g_param_spec_double ("side-gain", "Side gain (dB)",
          "Gain of the side (L - R) / 2, in dB (times width)",
          MST_IMAGER_MIN_GAIN_DB, MST_IMAGER_MAX_GAIN_DB, d.side_gain_db,
          flags));
  g_object_class_install_property (gobject_class, PROP_BALANCE,
      g_param_spec_double ("balance", "Balance",
          "Balance, -100 (left only) to 100 (right only), constant power "
          "(sine/cosine law: +3.01 dB on the remaining side at the ends)",
          -MST_IMAGER_MAX_BALANCE, MST_IMAGER_MAX_BALANCE, d.balance, flags));
  g_object_class_install_property (gobject_class, PROP_ROTATION,
      g_param_spec_double ("rotation", "Rotation (degrees)",
          "Rotation of the stereo image in degrees: 45 moves a centred "
          "source to the right, -45 to the left; power kept",
          -MST_IMAGER_MAX_ROTATION_DEG, MST_IMAGER_MAX_ROTATION_DEG,
          d.rotation_deg, flags));
  g_object_class_install_property (gobject_class, PROP_SWAP,
      g_param_spec_boolean ("swap", "Swap",
          "Swap left and right (after the polarity inversions)", d.swap,
          flags));
  g_object_class_install_property (gobject_class, PROP_INVERT_LEFT,
      g_param_spec_boolean ("invert-left", "Invert left",
          "Invert the polarity of the left input", d.invert_left, flags));
  g_object_class_install_property (gobject_class, PROP_INVERT_RIGHT,
      g_param_spec_boolean ("invert-right", "Invert right",
          "Invert the polarity of the right input", d.invert_right, flags));
  g_object_class_install_property (gobject_class, PROP_MONO_BELOW,
      g_param_spec_double ("mono-below", "Mono below (Hz)",
          "Remove the side below this frequency in Hz (Linkwitz-Riley "
          "24 dB/octave on the side only: the mid and L + R untouched); "
          "0 = off, 10 to 1000 Hz; glides",
          0.0, MST_IMAGER_MAX_MONO_HZ, d.mono_below_hz, flags));
  g_object_class_install_property (gobject_class, PROP_NUM_BANDS,
      g_param_spec_int ("num-bands", "Number of bands",
          "Bands of the multiband width (1: width alone), split at the "
          "bandN-crossover frequencies", 1, MST_IMAGER_MAX_BANDS,
          d.num_bands, flags));
  for (int j = 0; j < MST_IMAGER_MAX_BANDS - 1; j++) {
    static const gchar *const names[] = { "band0-crossover",
      "band1-crossover", "band2-crossover"
    };
    static const gchar *const nicks[] = { "Band 0 crossover (Hz)",
      "Band 1 crossover (Hz)", "Band 2 crossover (Hz)"
    };
    g_object_class_install_property (gobject_class, PROP_BAND0_CROSSOVER + j,
        g_param_spec_double (names[j], nicks[j],
            "Upper edge of this band in Hz (Linkwitz-Riley 24 dB/octave on "
            "the side); a crossover not above the one below (or above 0.45 "
            "of the rate) is skipped, its band joining the one above",
            MST_IMAGER_MIN_SPLIT_HZ, MST_IMAGER_MAX_SPLIT_HZ, d.split_hz[j],
            flags));
  }
  for (int b = 0; b < MST_IMAGER_MAX_BANDS; b++) {
    static const gchar *const names[] = { "band0-width", "band1-width",
      "band2-width", "band3-width"
    };
    static const gchar *const nicks[] = { "Band 0 width (%)",
      "Band 1 width (%)", "Band 2 width (%)", "Band 3 width (%)"
    };
    g_object_class_install_property (gobject_class, PROP_BAND0_WIDTH + b,
        g_param_spec_double (names[b], nicks[b],
            "Width of this band in %, times width (with num-bands > 1)",
            0.0, MST_IMAGER_MAX_WIDTH_PCT, d.band_width_pct[b], flags));
  }
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact once the glides to "
          "neutral have ended, within 0.2 s)", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_MONO_WARNING,
      g_param_spec_double ("mono-warning", "Mono warning (dB)",
          "Post a warning (and set mono-warning in the message) when the "
          "mono fold-down of an interval loses more than this many dB; "
          "0 = never", 0.0, MST_STEREO_MAX_DB, DEFAULT_MONO_WARNING_DB,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CORRELATION,
      g_param_spec_double ("correlation", "Correlation",
          "Correlation of the output's left and right over the last "
          "interval, -1 to 1", -1.0, 1.0, 0.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MONO_LOSS,
      g_param_spec_double ("mono-loss", "Mono fold-down loss (dB)",
          "Level change of the mono fold-down over the last interval, in dB "
          "(<= 0; -3.01 for uncorrelated channels)", -MST_STEREO_MAX_DB,
          0.0, 0.0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"imager\" element messages, in ns",
      "Post an \"imager\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), correlation, "
      "balance (dB, right over left), side-mid (dB), mono-loss (dB), "
      "mono-warning and final");

  gst_element_class_set_static_metadata (element_class,
      "Mastering stereo imager", "Filter/Effect/Audio",
      "Stereo width, mid/side gains, balance, rotation, mono bass and "
      "multiband width, with correlation and mono-compatibility messages",
      "mastering developers");
  /* Stereo only: the templates replace the base's. */
  gst_mst_add_pad_templates_caps (GST_AUDIO_FILTER_CLASS (klass),
      GST_MST_STEREO_CAPS);

  base_class->message_name = "imager";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstImager, settings);
  base_class->settings_size = sizeof (MstImagerSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_imager_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_imager_apply);
  base_class->is_passthrough = GST_DEBUG_FUNCPTR (gst_mst_imager_is_passthrough);
  base_class->process_f32 = GST_DEBUG_FUNCPTR (gst_mst_imager_process_f32);
  base_class->process_f64 = GST_DEBUG_FUNCPTR (gst_mst_imager_process_f64);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (gst_mst_imager_get_nonfinite_count);
  base_class->reset = GST_DEBUG_FUNCPTR (gst_mst_imager_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_imager_read_status);
  base_class->destroy = GST_DEBUG_FUNCPTR (gst_mst_imager_destroy);
}

static void
gst_mst_imager_init (GstMstImager * self)
{
  mst_imager_settings_default (&self->settings);
  self->mono_warning_db = DEFAULT_MONO_WARNING_DB;
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
}
