/* mastering: delay, an echo delay with feedback filters and ping-pong.
 *
 * SECTION:element-delay
 * @title: delay
 *
 * Echoes of the input: `time` in ms, or a `note` value (1/8, dotted 1/8d,
 * triplet 1/8t, ...) at `bpm`; each repeat `feedback` % of the last, through
 * a `low-cut` and a `high-cut` in the feedback path (the first echo is
 * the input itself); `ping-pong` alternates the echoes left and right;
 * `mix` is the wet share (0: the dry input bit-exact). Mono or stereo in,
 * stereo out. The delay is the time rounded to the nearest frame; a new
 * time crossfades from the old tap to the new one over 30 ms (no click,
 * no pitch sweep); the other numeric properties glide (20 ms). At the end
 * of the stream the echoes are played out (`tail`).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc wave=ticks ! audio/x-raw,format=F32LE ! \
 *     delay note=1/8d bpm=120 feedback=45 ping-pong=true ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdelay.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_delay_debug);
#define GST_CAT_DEFAULT gst_mst_delay_debug

enum
{
  PROP_0,
  PROP_TIME,
  PROP_BPM,
  PROP_FEEDBACK,
  PROP_LOW_CUT,
  PROP_HIGH_CUT,
  PROP_MIX,
  PROP_NOTE,
  PROP_PING_PONG,
  PROP_TAIL,
  PROP_BYPASS,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDelay, gst_mst_delay, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_delay_debug, "delay", 0,
        "mastering echo delay"));
GST_ELEMENT_REGISTER_DEFINE (delay, "delay", GST_RANK_NONE,
    GST_TYPE_MST_DELAY);

#define GST_TYPE_MST_DELAY_NOTE (gst_mst_delay_note_get_type ())
static GType
gst_mst_delay_note_get_type (void)
{
  static gsize type = 0;
#define NOTE(v, n) \
  {MST_DELAY_NOTE_##v, n " note at bpm", n}, \
  {MST_DELAY_NOTE_##v##D, "dotted " n " note at bpm (x 3/2)", n "d"}, \
  {MST_DELAY_NOTE_##v##T, n " note triplet at bpm (x 2/3)", n "t"}
  static const GEnumValue values[] = {
    {MST_DELAY_NOTE_OFF, "The time property, in ms", "off"},
    NOTE (1_1, "1/1"), NOTE (1_2, "1/2"), NOTE (1_4, "1/4"),
    NOTE (1_8, "1/8"), NOTE (1_16, "1/16"), NOTE (1_32, "1/32"),
    {0, NULL, NULL},
  };
#undef NOTE
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstDelayNote", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* The settings field of each property, in the order of the enum. */
static const GstMstField fields[] = {
  {G_STRUCT_OFFSET (MstDelaySettings, time_ms), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, bpm), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, feedback_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, low_cut_hz), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, high_cut_hz), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, mix_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstDelaySettings, note), G_TYPE_ENUM},
  {G_STRUCT_OFFSET (MstDelaySettings, ping_pong), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (MstDelaySettings, tail), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (MstDelaySettings, bypass), G_TYPE_BOOLEAN},
};

static void
gst_mst_delay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  if (!gst_mst_filter_set_field (object, &GST_MST_DELAY (object)->settings,
          fields, G_N_ELEMENTS (fields), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_mst_delay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  if (!gst_mst_filter_get_field (object, &GST_MST_DELAY (object)->settings,
          fields, G_N_ELEMENTS (fields), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

GST_MST_FILTER_DEFINE_TAIL_CORE_VFUNCS (GST_MST_DELAY, mst_delay)

static void
gst_mst_delay_class_init (GstMstDelayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE;
  MstDelaySettings d;
  /* Enums and tail are set, not glided: not controllable. */

  mst_delay_settings_default (&d);
  gobject_class->set_property = gst_mst_delay_set_property;
  gobject_class->get_property = gst_mst_delay_get_property;

  gst_mst_filter_install_double (gobject_class, PROP_TIME, "time", "Time (ms)",
      "Delay of the echoes in ms (rounded to the nearest frame; a change "
      "crossfades between the old and the new tap over 30 ms); with note "
      "set, the note value at bpm instead", MST_DELAY_MIN_TIME_MS,
      MST_DELAY_MAX_TIME_MS, d.time_ms);
  g_object_class_install_property (gobject_class, PROP_NOTE,
      g_param_spec_enum ("note", "Note value",
          "The delay as a note value at bpm (a whole note is 4 beats; "
          "d: dotted, t: triplet), clamped to 4000 ms; off: time",
          GST_TYPE_MST_DELAY_NOTE, d.note, flags & ~GST_PARAM_CONTROLLABLE));
  gst_mst_filter_install_double (gobject_class, PROP_BPM, "bpm", "Tempo (bpm)",
      "Beats a minute, for note", MST_DELAY_MIN_BPM, MST_DELAY_MAX_BPM,
      d.bpm);
  gst_mst_filter_install_double (gobject_class, PROP_FEEDBACK, "feedback", "Feedback (%)",
      "Each repeat this share of the last, in % of amplitude", 0.0,
      MST_DELAY_MAX_FEEDBACK_PCT, d.feedback_pct);
  g_object_class_install_property (gobject_class, PROP_PING_PONG,
      g_param_spec_boolean ("ping-pong", "Ping-pong",
          "Echoes alternate left and right (the mono sum starts on the "
          "left); switching glides", d.ping_pong, flags));
  gst_mst_filter_install_double (gobject_class, PROP_LOW_CUT, "low-cut", "Low cut (Hz)",
      "12 dB/octave low cut in Hz in the feedback path (each repeat after "
      "the first); 0: off", 0.0, MST_DELAY_MAX_LOW_CUT_HZ, d.low_cut_hz);
  gst_mst_filter_install_double (gobject_class, PROP_HIGH_CUT, "high-cut", "High cut (Hz)",
      "12 dB/octave high cut in Hz in the feedback path; 20000 (the maximum): "
      "off", MST_DELAY_MIN_HIGH_CUT_HZ, MST_DELAY_MAX_HIGH_CUT_HZ,
      d.high_cut_hz);
  gst_mst_filter_install_double (gobject_class, PROP_MIX, "mix", "Mix (%)",
      "Wet share of the output in %: 0 the dry input (bit-exact), 100 only the "
      "echoes", 0.0, 100.0, d.mix_pct);
  g_object_class_install_property (gobject_class, PROP_TAIL,
      g_param_spec_boolean ("tail", "Tail",
          "At the end of the stream, play the echoes out (until -90 dBFS "
          "or 2 x their RT60) before the EOS", d.tail, flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "The dry input only (stereo bit-exact, mono to both sides), "
          "reached by gliding the mix to 0", d.bypass, flags));

  gst_element_class_set_static_metadata (element_class,
      "Echo delay", "Filter/Effect/Audio",
      "Echo delay: time in ms or a note value at bpm, feedback with low and "
      "high cut in the loop, ping-pong, mix; mono or stereo in, stereo out; "
      "echoes drained at EOS", "mastering developers");

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDelay, settings);
  base_class->settings_size = sizeof (MstDelaySettings);
  filter_bind_core (base_class);
}

static void
gst_mst_delay_init (GstMstDelay * self)
{
  mst_delay_settings_default (&self->settings);
  self->core = mst_delay_init ();
}
