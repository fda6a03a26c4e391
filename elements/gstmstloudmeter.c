/* mastering: loudmeter, an ITU-R BS.1770-4 / EBU R128 loudness meter.
 *
 * SECTION:element-loudmeter
 * @title: loudmeter
 *
 * Passes audio through untouched and measures it: momentary (400 ms),
 * short-term (3 s) and integrated (gated) loudness, loudness range (EBU
 * Tech 3342), true peak (BS.1770-4 Annex 2 style, 4x oversampled below
 * 96 kHz) and sample peak, overall and per channel. Posts an element
 * message named "loudness" every interval and a last one at EOS.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=song.flac ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE ! loudmeter interval=1000000000 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstloudmeter.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_loudmeter_debug);
#define GST_CAT_DEFAULT gst_mst_loudmeter_debug

#define DEFAULT_INTERVAL_NS GST_SECOND


enum
{
  PROP_0,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_MEASURE_TRUE_PEAK,
  PROP_MEASURE_TRUE_PEAK_STRICT,
  PROP_MOMENTARY,
  PROP_SHORT_TERM,
  PROP_INTEGRATED,
  PROP_LOUDNESS_RANGE,
  PROP_TRUE_PEAK,
  PROP_SAMPLE_PEAK,
  PROP_MOMENTARY_MAX,
  PROP_SHORT_TERM_MAX,
};

enum
{
  SIGNAL_RESET,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

G_DEFINE_TYPE_WITH_CODE (GstMstLoudmeter, gst_mst_loudmeter,
    GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_loudmeter_debug, "loudmeter", 0,
        "mastering loudness meter"));
GST_ELEMENT_REGISTER_DEFINE (loudmeter, "loudmeter", GST_RANK_NONE,
    GST_TYPE_MST_LOUDMETER);

static void
gst_mst_loudmeter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MEASURE_TRUE_PEAK:
      self->settings.true_peak = g_value_get_boolean (value);
      break;
    case PROP_MEASURE_TRUE_PEAK_STRICT:
      self->settings.true_peak_strict = g_value_get_boolean (value);
      break;
    default:
      if (!gst_mst_message_settings_set (&base->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_loudmeter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (object);
  GstMstFilter *base = GST_MST_FILTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MEASURE_TRUE_PEAK:
      g_value_set_boolean (value, self->settings.true_peak);
      break;
    case PROP_MEASURE_TRUE_PEAK_STRICT:
      g_value_set_boolean (value, self->settings.true_peak_strict);
      break;
    case PROP_MOMENTARY:
      g_value_set_double (value, self->latest.momentary);
      break;
    case PROP_SHORT_TERM:
      g_value_set_double (value, self->latest.short_term);
      break;
    case PROP_INTEGRATED:
      g_value_set_double (value, self->latest.integrated);
      break;
    case PROP_LOUDNESS_RANGE:
      g_value_set_double (value, self->latest.range);
      break;
    case PROP_TRUE_PEAK:
      g_value_set_double (value, self->latest.true_peak);
      break;
    case PROP_SAMPLE_PEAK:
      g_value_set_double (value, self->latest.sample_peak);
      break;
    case PROP_MOMENTARY_MAX:
      g_value_set_double (value, self->latest.momentary_max);
      break;
    case PROP_SHORT_TERM_MAX:
      g_value_set_double (value, self->latest.short_term_max);
      break;
    default:
      if (!gst_mst_message_settings_get (&base->messages, pspec, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
figures_clear (GstMstLoudmeterFigures * f)
{
  f->momentary = f->short_term = f->integrated = -INFINITY;
  f->true_peak = f->true_peak_strict = f->sample_peak = -INFINITY;
  f->momentary_max = f->short_term_max = -INFINITY;
  f->range = 0.0;
}

static MstResult
gst_mst_loudmeter_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (base);
  MstLoudnessChannel weights[MST_MAX_CHANNELS];
  gint channels = GST_AUDIO_INFO_CHANNELS (info);

  mst_loudness_destroy (&self->core);
  if (GST_AUDIO_INFO_IS_UNPOSITIONED (info) && channels > 2) {
    /* No positions: libebur128's layouts (5: L R C Ls Rs, 6: with LFE). */
    self->core = mst_loudness_init (GST_AUDIO_INFO_RATE (info), channels,
        NULL);
  } else {
    /* Mono is one channel of weight 1.0 (not dual mono: a mono file
     * played on two speakers is not what the standard measures). */
    for (gint c = 0; c < channels; c++)
      weights[c] = gst_mst_loudness_channel (info, c);
    self->core = mst_loudness_init (GST_AUDIO_INFO_RATE (info), channels,
        weights);
  }
  /* The format was checked: a meter not made is memory not had. */
  if (!self->core)
    return MST_ERR_NOMEM;
  g_atomic_int_set (&self->reset_pending, 0);
  GST_OBJECT_LOCK (self);
  figures_clear (&self->latest);
  GST_OBJECT_UNLOCK (self);
  return MST_OK;
}

static MstResult
gst_mst_loudmeter_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_loudness_set (GST_MST_LOUDMETER (base)->core, settings);
}

/* The reset action signal takes effect here, between two pieces. */
static MstLoudness *
core_after_reset (GstMstFilter * base)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (base);

  if (g_atomic_int_compare_and_exchange (&self->reset_pending, 1, 0)) {
    mst_loudness_reset (self->core);
    base->timeline.interval_count = 0;
  }
  return self->core;
}

static MstResult
gst_mst_loudmeter_process_f32 (GstMstFilter * base, gpointer frames,
    gsize n_frames)
{
  return mst_loudness_add_f32 (core_after_reset (base), frames, n_frames);
}

static MstResult
gst_mst_loudmeter_process_f64 (GstMstFilter * base, gpointer frames,
    gsize n_frames)
{
  return mst_loudness_add_f64 (core_after_reset (base), frames, n_frames);
}

static guint64
gst_mst_loudmeter_get_nonfinite_count (GstMstFilter * base)
{
  return mst_loudness_get_nonfinite_count (GST_MST_LOUDMETER (base)->core);
}

static void
read_figures (GstMstLoudmeter * self, GstMstLoudmeterFigures * f)
{
  mst_loudness_get_momentary (self->core, &f->momentary);
  mst_loudness_get_short_term (self->core, &f->short_term);
  mst_loudness_get_integrated (self->core, &f->integrated);
  mst_loudness_get_range (self->core, &f->range);
  mst_loudness_get_true_peak (self->core, &f->true_peak);
  mst_loudness_get_true_peak_strict (self->core, &f->true_peak_strict);
  mst_loudness_get_sample_peak (self->core, &f->sample_peak);
  mst_loudness_get_max_momentary (self->core, &f->momentary_max);
  mst_loudness_get_max_short_term (self->core, &f->short_term_max);
}

static GValue *
channel_array (GstMstLoudmeter * self, gboolean true_peak, GValue * array)
{
  gint channels = GST_AUDIO_INFO_CHANNELS (&GST_AUDIO_FILTER (self)->info);
  g_value_init (array, GST_TYPE_ARRAY);
  for (gint c = 0; c < channels; c++) {
    GValue v = G_VALUE_INIT;
    double db = -INFINITY;
    if (true_peak)
      mst_loudness_get_channel_true_peak (self->core, c, &db);
    else
      mst_loudness_get_channel_sample_peak (self->core, c, &db);
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, db);
    gst_value_array_append_and_take_value (array, &v);
  }
  return array;
}

/* The figures into the properties, and into @s when it is posted. */
static void
gst_mst_loudmeter_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (base);
  GstMstLoudmeterFigures f;
  GValue tp = G_VALUE_INIT, sp = G_VALUE_INIT;

  /* The last message of the stream: the strict true peak reads its last
   * frames too. */
  if (base->at_eos)
    mst_loudness_finish (self->core);
  read_figures (self, &f);
  GST_OBJECT_LOCK (self);
  self->latest = f;
  GST_OBJECT_UNLOCK (self);
  if (!s)
    return;
  gst_structure_set (s,
      "momentary", G_TYPE_DOUBLE, f.momentary,
      "short-term", G_TYPE_DOUBLE, f.short_term,
      "integrated", G_TYPE_DOUBLE, f.integrated,
      "loudness-range", G_TYPE_DOUBLE, f.range,
      "true-peak", G_TYPE_DOUBLE, f.true_peak,
      "true-peak-strict", G_TYPE_DOUBLE, f.true_peak_strict,
      "sample-peak", G_TYPE_DOUBLE, f.sample_peak,
      "momentary-max", G_TYPE_DOUBLE, f.momentary_max,
      "short-term-max", G_TYPE_DOUBLE, f.short_term_max, NULL);
  gst_structure_take_value (s, "channel-true-peak",
      channel_array (self, TRUE, &tp));
  gst_structure_take_value (s, "channel-sample-peak",
      channel_array (self, FALSE, &sp));
}

static void
gst_mst_loudmeter_reset (GstMstLoudmeter * self)
{
  g_atomic_int_set (&self->reset_pending, 1);
  GST_OBJECT_LOCK (self);
  figures_clear (&self->latest);
  GST_OBJECT_UNLOCK (self);
}

/* At a new stream, at FLUSH_STOP (a seek: what follows is measured afresh)
 * and at stop, not at a DISCONT; the read-only properties keep the last
 * figures until the next interval. */
static void
gst_mst_loudmeter_restart (GstMstFilter * base)
{
  GstMstLoudmeter *self = GST_MST_LOUDMETER (base);

  mst_loudness_reset (self->core);
  g_atomic_int_set (&self->reset_pending, 0);
}

static void
gst_mst_loudmeter_destroy (GstMstFilter * base)
{
  mst_loudness_destroy (&GST_MST_LOUDMETER (base)->core);
}

static void
install_figure (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (klass, id, g_param_spec_double (name,
          nick, blurb, -G_MAXDOUBLE, G_MAXDOUBLE, -G_MAXDOUBLE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_mst_loudmeter_class_init (GstMstLoudmeterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  MstLoudnessSettings defaults;

  mst_loudness_settings_default (&defaults);
  gobject_class->set_property = gst_mst_loudmeter_set_property;
  gobject_class->get_property = gst_mst_loudmeter_get_property;

  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"loudness\" element messages, in ns",
      "Post a \"loudness\" element message every interval and at EOS");
  g_object_class_install_property (gobject_class, PROP_MEASURE_TRUE_PEAK,
      g_param_spec_boolean ("measure-true-peak", "Measure true peak",
          "Measure true peak (4x oversampled, most of the meter's work); off: "
          "the true-peak fields and properties are NaN (not measured)",
          defaults.true_peak, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class,
      PROP_MEASURE_TRUE_PEAK_STRICT,
      g_param_spec_boolean ("measure-true-peak-strict",
          "Measure the strict true peak", "Also measure the strict true "
          "peak (message field true-peak-strict, dBTP): the higher of "
          "BS.1770-4's reading (libebur128's) and FFmpeg's ebur128 "
          "peak=true reading, which reads more near Nyquist and at a "
          "stream's start; about doubles the meter's work; off: the field "
          "is NaN", defaults.true_peak_strict, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  install_figure (gobject_class, PROP_MOMENTARY, "momentary",
      "Momentary (LUFS)", "Momentary loudness, 400 ms window, in LUFS "
      "(-inf before 400 ms or in silence)");
  install_figure (gobject_class, PROP_SHORT_TERM, "short-term",
      "Short-term (LUFS)", "Short-term loudness, 3 s window, in LUFS "
      "(-inf before 3 s or in silence)");
  install_figure (gobject_class, PROP_INTEGRATED, "integrated",
      "Integrated (LUFS)", "Integrated (gated) loudness so far, in LUFS "
      "(-inf until a 400 ms block passes the -70 LUFS gate)");
  install_figure (gobject_class, PROP_LOUDNESS_RANGE, "loudness-range",
      "Loudness range (LU)", "Loudness range (EBU Tech 3342) so far, in LU "
      "(0 until two short-term values pass the gates)");
  install_figure (gobject_class, PROP_TRUE_PEAK, "true-peak",
      "True peak (dBTP)", "Largest true peak over the channels so far, dBTP");
  install_figure (gobject_class, PROP_SAMPLE_PEAK, "sample-peak",
      "Sample peak (dBFS)", "Largest sample peak over the channels so far, "
      "dBFS");
  install_figure (gobject_class, PROP_MOMENTARY_MAX, "momentary-max",
      "Momentary max (LUFS)", "Largest momentary loudness so far, LUFS");
  install_figure (gobject_class, PROP_SHORT_TERM_MAX, "short-term-max",
      "Short-term max (LUFS)", "Largest short-term loudness so far, LUFS");

  /**
   * GstMstLoudmeter::reset:
   *
   * Starts the measurement again (integrated, range, maxima, peaks) from
   * the next buffer.
   */
  signals[SIGNAL_RESET] = g_signal_new_class_handler ("reset",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_mst_loudmeter_reset), NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_element_class_set_static_metadata (element_class,
      "Mastering loudness meter", "Filter/Analyzer/Audio",
      "ITU-R BS.1770-4 / EBU R128 loudness, loudness range and true peak, "
      "posted as element messages", "mastering developers");

  trans_class->transform_ip_on_passthrough = TRUE;
  base_class->message_name = "loudness";
  base_class->measures_programme = TRUE;
  base_class->reset = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_restart);
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstLoudmeter, settings);
  base_class->settings_size = sizeof (MstLoudnessSettings);
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_apply);
  base_class->process_f32 = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_process_f32);
  base_class->process_f64 = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_process_f64);
  base_class->get_nonfinite_count =
      GST_DEBUG_FUNCPTR (gst_mst_loudmeter_get_nonfinite_count);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_read_status);
  base_class->destroy = GST_DEBUG_FUNCPTR (gst_mst_loudmeter_destroy);
}

static void
gst_mst_loudmeter_init (GstMstLoudmeter * self)
{
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
  mst_loudness_settings_default (&self->settings);
  figures_clear (&self->latest);
}
