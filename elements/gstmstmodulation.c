/* mastering: modulation, chorus, flanger and phaser.
 *
 * SECTION:element-modulation
 * @title: modulation
 *
 * Modulation effects, mono or stereo in, stereo out: `mode=chorus`
 * (`voices` modulated delay lines around `delay`, 15 ms by default, spread
 * in delay and LFO phase), `mode=flanger` (one modulated delay, 2 ms by
 * default, with `feedback`, positive or negative), `mode=phaser` (a chain
 * of `stages` first-order all-passes whose break frequency sweeps
 * log-spaced between `min-freq` and `max-freq`, with `feedback`). The LFO
 * runs at `rate` Hz (`shape` sine or triangle); `depth` scales its sweep,
 * `spread` offsets the right side's LFO against the left's. A mono input
 * feeds both sides, each with its own voices: with `spread` above 0 the
 * two sides come out decorrelated (a chorus widens a mono guitar), at 0
 * they are equal. `mix` is an equal-power dry/wet balance (correlated dry
 * and wet add up to +3 dB at 50, peaks more: leave 6 dB of headroom in an
 * integer pipeline); at 0 (or with
 * `bypass`) the audio passes bit-exact (a mono input on both sides);
 * `invert` turns the wet signal's polarity (the flanger's notches move to
 * k / delay, DC included). Every number glides (20 ms), a change of mode
 * fades the wet signal out and in.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc wave=pink-noise ! audioconvert ! \
 *     modulation mode=phaser rate=0.3 feedback=50 ! audioconvert ! \
 *     autoaudiosink
 * gst-launch-1.0 audiotestsrc wave=saw freq=220 volume=0.4 ! \
 *     audio/x-raw,format=F32LE,channels=1 ! \
 *     modulation mode=chorus voices=4 spread=180 ! audioconvert ! \
 *     autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstmodulation.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_modulation_debug);
#define GST_CAT_DEFAULT gst_mst_modulation_debug

enum
{
  PROP_0,
  PROP_MODE,
  PROP_VOICES,
  PROP_DELAY,
  PROP_DEPTH,
  PROP_RATE,
  PROP_SHAPE,
  PROP_FEEDBACK,
  PROP_MIX,
  PROP_SPREAD,
  PROP_STAGES,
  PROP_MIN_FREQ,
  PROP_MAX_FREQ,
  PROP_INVERT,
  PROP_BYPASS,
};

G_DEFINE_TYPE_WITH_CODE (GstMstModulation, gst_mst_modulation,
    GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_modulation_debug, "modulation", 0,
        "mastering chorus, flanger and phaser"));
GST_ELEMENT_REGISTER_DEFINE (modulation, "modulation", GST_RANK_NONE,
    GST_TYPE_MST_MODULATION);

#define GST_TYPE_MST_MODULATION_MODE (gst_mst_modulation_mode_get_type ())
static GType
gst_mst_modulation_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_MODULATION_CHORUS, "Chorus: voices of modulated delay lines",
        "chorus"},
    {MST_MODULATION_FLANGER, "Flanger: one short modulated delay with "
          "feedback, a moving comb", "flanger"},
    {MST_MODULATION_PHASER, "Phaser: first-order all-pass stages swept "
          "between min-freq and max-freq, with feedback", "phaser"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstModulationMode", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

#define GST_TYPE_MST_MODULATION_SHAPE (gst_mst_modulation_shape_get_type ())
static GType
gst_mst_modulation_shape_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_MODULATION_SHAPE_SINE, "Sine", "sine"},
    {MST_MODULATION_SHAPE_TRIANGLE, "Triangle (in phase with the sine)",
        "triangle"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstModulationShape", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* The settings field of each property, in the order of the enum. */
#define FIELD(name, type) \
  {G_STRUCT_OFFSET (GstMstModulation, settings.name), G_TYPE_##type}
static const GstMstField fields[] = {
  FIELD (mode, ENUM), FIELD (voices, INT), FIELD (delay_ms, DOUBLE),
  FIELD (depth_pct, DOUBLE), FIELD (rate_hz, DOUBLE), FIELD (shape, ENUM),
  FIELD (feedback_pct, DOUBLE), FIELD (mix_pct, DOUBLE),
  FIELD (spread_deg, DOUBLE), FIELD (stages, INT),
  FIELD (min_freq_hz, DOUBLE), FIELD (max_freq_hz, DOUBLE),
  FIELD (invert, BOOLEAN), FIELD (bypass, BOOLEAN),
};
#undef FIELD

GST_MST_FILTER_DEFINE_STEREO_CORE_VFUNCS (GST_MST_MODULATION, mst_modulation)

static void
gst_mst_modulation_class_init (GstMstModulationClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE;
  MstModulationSettings d;
  /* The enums are set, not glided (a change crossfades): not
   * controllable. */

  mst_modulation_settings_default (&d);
  gst_mst_filter_class_set_fields (base_class, fields, G_N_ELEMENTS (fields));

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Chorus, flanger or phaser (a change fades the wet signal out "
          "and in, 20 ms each way)", GST_TYPE_MST_MODULATION_MODE, d.mode,
          flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_VOICES,
      g_param_spec_int ("voices", "Voices",
          "Chorus: modulated delay lines, centre delays spread over +-20 % "
          "of delay, LFO phases over the cycle, each at 1 / sqrt (voices)",
          1, MST_MODULATION_MAX_VOICES, d.voices, flags));
  g_object_class_install_property (gobject_class, PROP_DELAY,
      g_param_spec_double ("delay", "Delay (ms)",
          "Chorus and flanger: centre delay in ms; 0: the mode's own "
          "(chorus 15, flanger 2)", 0.0, MST_MODULATION_MAX_DELAY_MS,
          d.delay_ms, flags));
  g_object_class_install_property (gobject_class, PROP_DEPTH,
      g_param_spec_double ("depth", "Depth (%)",
          "LFO sweep: chorus and flanger, the delay swings by depth / 200 "
          "of itself either way; phaser, the break frequency over depth % "
          "of the min-freq..max-freq octaves", 0.0, 100.0, d.depth_pct,
          flags));
  g_object_class_install_property (gobject_class, PROP_RATE,
      g_param_spec_double ("rate", "Rate (Hz)",
          "LFO frequency in Hz; 0 freezes it at phase 0 (centre)", 0.0,
          MST_MODULATION_MAX_RATE_HZ, d.rate_hz, flags));
  g_object_class_install_property (gobject_class, PROP_SHAPE,
      g_param_spec_enum ("shape", "LFO shape",
          "Sine or triangle (a change crossfades them over 20 ms)",
          GST_TYPE_MST_MODULATION_SHAPE, d.shape,
          flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_FEEDBACK,
      g_param_spec_double ("feedback", "Feedback (%)",
          "Flanger and phaser: wet signal fed back to the input, in %, "
          "negative inverts it", -MST_MODULATION_MAX_FEEDBACK_PCT,
          MST_MODULATION_MAX_FEEDBACK_PCT, d.feedback_pct, flags));
  g_object_class_install_property (gobject_class, PROP_MIX,
      g_param_spec_double ("mix", "Mix (%)",
          "Equal-power dry/wet in %: cos (pi/2 mix/100) dry + sin (pi/2 "
          "mix/100) wet; 0 passes bit-exact, 50 equal parts. Correlated dry "
          "and wet add up to +3 dB, peaks more: leave 6 dB of headroom", 0.0, 100.0, d.mix_pct,
          flags));
  g_object_class_install_property (gobject_class, PROP_SPREAD,
      g_param_spec_double ("spread", "Stereo spread (degrees)",
          "LFO phase of the right side against the left, in degrees (a "
          "mono input comes out decorrelated above 0, equal on both sides "
          "at 0)", 0.0, MST_MODULATION_MAX_SPREAD_DEG,
          d.spread_deg, flags));
  g_object_class_install_property (gobject_class, PROP_STAGES,
      g_param_spec_int ("stages", "Stages",
          "Phaser: first-order all-pass stages (stages / 2 notches)",
          MST_MODULATION_MIN_STAGES, MST_MODULATION_MAX_STAGES, d.stages,
          flags));
  g_object_class_install_property (gobject_class, PROP_MIN_FREQ,
      g_param_spec_double ("min-freq", "Minimum frequency (Hz)",
          "Phaser: the lowest break frequency of the sweep, in Hz",
          MST_MODULATION_MIN_FREQ_HZ, MST_MODULATION_MAX_FREQ_HZ,
          d.min_freq_hz, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_FREQ,
      g_param_spec_double ("max-freq", "Maximum frequency (Hz)",
          "Phaser: the highest break frequency of the sweep, in Hz",
          MST_MODULATION_MIN_FREQ_HZ, MST_MODULATION_MAX_FREQ_HZ,
          d.max_freq_hz, flags));
  g_object_class_install_property (gobject_class, PROP_INVERT,
      g_param_spec_boolean ("invert", "Invert wet",
          "The wet signal's polarity inverted (subtracted): the flanger's "
          "notches at k / delay, DC included, instead of (k + 1/2) / delay "
          "(glides over 20 ms)", d.invert, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Dry only, as mix 0 (glides over 20 ms, then bit-exact; a mono "
          "input on both sides)",
          d.bypass, flags));

  gst_element_class_set_static_metadata (element_class,
      "Chorus, flanger and phaser", "Filter/Effect/Audio",
      "Modulation effects: chorus (voices of modulated delays), flanger "
      "(a modulated delay with feedback), phaser (swept all-pass stages "
      "with feedback); mono or stereo in, stereo out; sine or triangle "
      "LFO, stereo spread (widens a mono source), equal-power mix, wet "
      "polarity, gliding automation", "mastering developers");

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstModulation, settings);
  base_class->settings_size = sizeof (MstModulationSettings);
  stereo_bind_core (base_class);
}

static void
gst_mst_modulation_init (GstMstModulation * self)
{
  mst_modulation_settings_default (&self->settings);
  self->core = mst_modulation_init ();
}
