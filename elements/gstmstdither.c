/* mastering: dither, the last stage of a master: word-length reduction.
 *
 * SECTION:element-dither
 * @title: dither
 *
 * Takes F32LE or F64LE and writes S16LE, S24LE or S32LE, as downstream
 * asks (a capsfilter after it chooses): TPDF dither (the sum of two
 * independent uniforms, one generator per channel) and error-feedback
 * noise shaping (`noise-shaping`: none, lipshitz, f-weighted, high),
 * designed per rate for 44.1, 48, 88.2 and 96 kHz (flat TPDF at the other
 * rates). Samples already on the output grid (a 16-bit source to 16 or 24
 * bits) come out exact. With `auto-blank`, digital silence stays digital
 * silence. When downstream takes the input's own float format, audio
 * passes untouched (no word length to reduce). `bypass`: plain rounding,
 * no dither and no noise shaping.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=master.wav ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE ! dither noise-shaping=high ! \
 *     audio/x-raw,format=S16LE ! wavenc ! filesink location=cd.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdither.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_dither_debug);
#define GST_CAT_DEFAULT gst_mst_dither_debug

enum
{
  PROP_0,
  PROP_NOISE_SHAPING,
  PROP_AUTO_BLANK,
  PROP_BYPASS,
  PROP_SEED,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDither, gst_mst_dither, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_dither_debug, "dither", 0,
        "mastering dither"));
GST_ELEMENT_REGISTER_DEFINE (dither, "dither", GST_RANK_NONE,
    GST_TYPE_MST_DITHER);

GType
gst_mst_dither_shaping_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_DITHER_NONE, "Flat TPDF, no noise shaping", "none"},
    {MST_DITHER_LIPSHITZ, "Lipshitz et al. E-weighted, 5 taps", "lipshitz"},
    {MST_DITHER_F_WEIGHTED, "Wannamaker F-weighted, 9 taps", "f-weighted"},
    {MST_DITHER_HIGH, "Steepest bounded curve, 16 taps", "high"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstDitherShaping", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

static void
gst_mst_dither_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstDither *self = GST_MST_DITHER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NOISE_SHAPING:
      self->settings.shaping = g_value_get_enum (value);
      break;
    case PROP_AUTO_BLANK:
      self->settings.auto_blank = g_value_get_boolean (value);
      break;
    case PROP_BYPASS:
      self->settings.bypass = g_value_get_boolean (value);
      break;
    case PROP_SEED:
      self->settings.seed = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_dither_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstDither *self = GST_MST_DITHER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NOISE_SHAPING:
      g_value_set_enum (value, self->settings.shaping);
      break;
    case PROP_AUTO_BLANK:
      g_value_set_boolean (value, self->settings.auto_blank);
      break;
    case PROP_BYPASS:
      g_value_set_boolean (value, self->settings.bypass);
      break;
    case PROP_SEED:
      g_value_set_uint (value, self->settings.seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gint
output_bits (const GstAudioInfo * out)
{
  switch (GST_AUDIO_INFO_FORMAT (out)) {
    case GST_AUDIO_FORMAT_S16LE:
      return 16;
    case GST_AUDIO_FORMAT_S24LE:
      return 24;
    case GST_AUDIO_FORMAT_S32LE:
      return 32;
    default:
      return 0;
  }
}

static MstResult
gst_mst_dither_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstDither *self = GST_MST_DITHER (base);
  gint bits = output_bits (&base->out_info);

  if (!self->core)
    return MST_ERR_NOMEM;
  /* The input's own float format out: passed untouched, nothing to
   * configure. */
  if (bits == 0)
    return MST_OK;
  return mst_dither_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), bits);
}

static MstResult
gst_mst_dither_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_dither_set (GST_MST_DITHER (base)->core, settings);
}

static MstResult
gst_mst_dither_process_f32 (GstMstFilter * base, gconstpointer in,
    gsize n_frames, gpointer out)
{
  return mst_dither_process_f32 (GST_MST_DITHER (base)->core, in, n_frames,
      out);
}

static MstResult
gst_mst_dither_process_f64 (GstMstFilter * base, gconstpointer in,
    gsize n_frames, gpointer out)
{
  return mst_dither_process_f64 (GST_MST_DITHER (base)->core, in, n_frames,
      out);
}

static guint64
gst_mst_dither_get_nonfinite_count (GstMstFilter * base)
{
  return mst_dither_get_nonfinite_count (GST_MST_DITHER (base)->core);
}

static void
gst_mst_dither_reset (GstMstFilter * base)
{
  mst_dither_reset (GST_MST_DITHER (base)->core);
}

static void
gst_mst_dither_read_status (G_GNUC_UNUSED GstMstFilter * base,
    G_GNUC_UNUSED GstStructure * s)
{
}

static void
gst_mst_dither_destroy (GstMstFilter * base)
{
  mst_dither_destroy (&GST_MST_DITHER (base)->core);
}

static void
gst_mst_dither_class_init (GstMstDitherClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;
  MstDitherSettings defaults;

  mst_dither_settings_default (&defaults);
  gobject_class->set_property = gst_mst_dither_set_property;
  gobject_class->get_property = gst_mst_dither_get_property;

  g_object_class_install_property (gobject_class, PROP_NOISE_SHAPING,
      g_param_spec_enum ("noise-shaping", "Noise shaping",
          "Error-feedback noise shaping, designed per rate (44.1, 48, 88.2, "
          "96 kHz; flat TPDF at other rates)", GST_TYPE_MST_DITHER_SHAPING,
          defaults.shaping, flags));
  g_object_class_install_property (gobject_class, PROP_AUTO_BLANK,
      g_param_spec_boolean ("auto-blank", "Auto blank",
          "Digital silence stays digital silence: a channel's output is 0 "
          "after 480 exactly-zero samples in a row (and from the stream's "
          "start), dithered again from the first non-zero sample",
          defaults.auto_blank, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Plain rounding to the output word: no dither, no noise shaping "
          "(the word length still goes down)", defaults.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint ("seed", "Seed",
          "Seed of the dither generators: the same seed, settings and input "
          "give the same output", 0, G_MAXUINT32, defaults.seed, flags));

  gst_element_class_set_static_metadata (element_class,
      "Mastering dither", "Filter/Converter/Audio",
      "Word-length reduction to 16, 24 or 32 bits with TPDF dither and "
      "noise shaping designed per rate", "mastering developers");

  gst_mst_filter_class_set_src_formats (base_class, "S16LE, S24LE, S32LE");
  base_class->control_frames = 0;
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDither, settings);
  base_class->settings_size = sizeof (MstDitherSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_dither_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_dither_apply);
  base_class->process_to_f32 = GST_DEBUG_FUNCPTR (gst_mst_dither_process_f32);
  base_class->process_to_f64 = GST_DEBUG_FUNCPTR (gst_mst_dither_process_f64);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (gst_mst_dither_get_nonfinite_count);
  base_class->reset = GST_DEBUG_FUNCPTR (gst_mst_dither_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_dither_read_status);
  base_class->destroy = GST_DEBUG_FUNCPTR (gst_mst_dither_destroy);
}

static void
gst_mst_dither_init (GstMstDither * self)
{
  mst_dither_settings_default (&self->settings);
  self->core = mst_dither_init (MST_MAX_CHANNELS);
}
