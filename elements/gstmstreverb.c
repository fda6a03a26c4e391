/* mastering: reverb, an algorithmic reverb whose decay time is exact.
 *
 * SECTION:element-reverb
 * @title: reverb
 *
 * A feedback delay network of 16 lines (gst/mst-reverb.h): `decay` is the
 * RT60 in seconds, at every frequency while `decay-low` is 0 (its
 * default); set `decay-low` and it is the RT60 below `crossover` Hz,
 * `decay` the one above, `damping`
 * the frequency above which the decay shortens towards a quarter of
 * `decay` (20000, the maximum: none); `size` scales the lines, `pre-delay`
 * (ms) delays the onset, `diffusion` (%) thickens the first echoes, `mix`
 * is the wet share (0: the dry input bit-exact), `width` the wet stereo
 * width. Mono or stereo in, stereo out, any rate from 8 to 384 kHz. Every
 * numeric property glides (30 ms; a change of size or pre-delay fades
 * between the old and the new taps), so automation never clicks. At the
 * end of the stream the tail is played out (`tail`): until it stays under
 * -90 dBFS for a whole longest line, or for 2 x the longest decay.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc wave=ticks ! audio/x-raw,format=F32LE ! \
 *     reverb decay=3 pre-delay=20 mix=40 ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstreverb.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_reverb_debug);
#define GST_CAT_DEFAULT gst_mst_reverb_debug

enum
{
  PROP_0,
  PROP_DECAY,
  PROP_DECAY_LOW,
  PROP_CROSSOVER,
  PROP_DAMPING,
  PROP_SIZE,
  PROP_PREDELAY,
  PROP_DIFFUSION,
  PROP_MIX,
  PROP_WIDTH,
  PROP_MODULATION,
  PROP_TAIL,
  PROP_BYPASS,
};

G_DEFINE_TYPE_WITH_CODE (GstMstReverb, gst_mst_reverb, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_reverb_debug, "reverb", 0,
        "mastering reverb"));
GST_ELEMENT_REGISTER_DEFINE (reverb, "reverb", GST_RANK_NONE,
    GST_TYPE_MST_REVERB);

/* The settings field of each property, in the order of the enum. */
static const GstMstField fields[] = {
  {G_STRUCT_OFFSET (MstReverbSettings, decay_s), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, decay_low_s), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, crossover_hz), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, damping_hz), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, size_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, predelay_ms), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, diffusion_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, mix_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, width_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, modulation_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (MstReverbSettings, tail), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (MstReverbSettings, bypass), G_TYPE_BOOLEAN},
};

static void
gst_mst_reverb_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  if (!gst_mst_filter_set_field (object, &GST_MST_REVERB (object)->settings,
          fields, G_N_ELEMENTS (fields), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_mst_reverb_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  if (!gst_mst_filter_get_field (object, &GST_MST_REVERB (object)->settings,
          fields, G_N_ELEMENTS (fields), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

GST_MST_FILTER_DEFINE_TAIL_CORE_VFUNCS (GST_MST_REVERB, mst_reverb)

static void
gst_mst_reverb_class_init (GstMstReverbClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE;
  MstReverbSettings d;

  mst_reverb_settings_default (&d);
  gobject_class->set_property = gst_mst_reverb_set_property;
  gobject_class->get_property = gst_mst_reverb_get_property;

  gst_mst_filter_install_double (gobject_class, PROP_DECAY, "decay", "Decay (s)",
      "RT60 in seconds: the time the tail takes to fall 60 dB; at every "
      "frequency while decay-low is 0, else above the crossover",
      MST_REVERB_MIN_DECAY_S, MST_REVERB_MAX_DECAY_S, d.decay_s);
  gst_mst_filter_install_double (gobject_class, PROP_DECAY_LOW, "decay-low",
      "Low decay (s)", "RT60 in seconds below the crossover, 0.1 to 30; "
      "0 (or any value under 0.1): the same as decay", MST_REVERB_DECAY_LOW_FOLLOWS,
      MST_REVERB_MAX_DECAY_S, d.decay_low_s);
  gst_mst_filter_install_double (gobject_class, PROP_CROSSOVER, "crossover",
      "Crossover (Hz)", "Frequency in Hz where the decay passes from "
      "decay-low to decay (first-order shelves: reached about 3 octaves "
      "away)", MST_REVERB_MIN_CROSSOVER_HZ, MST_REVERB_MAX_CROSSOVER_HZ,
      d.crossover_hz);
  gst_mst_filter_install_double (gobject_class, PROP_DAMPING, "damping", "Damping (Hz)",
      "Frequency in Hz above which the decay shortens towards a quarter of "
      "decay (20000, the maximum: no damping)", MST_REVERB_MIN_DAMPING_HZ,
      MST_REVERB_MAX_DAMPING_HZ, d.damping_hz);
  gst_mst_filter_install_double (gobject_class, PROP_SIZE, "size", "Size (%)",
      "Length of the delay lines in % of the nominal room: 100 gives lines "
      "of 23 to 61 ms, 25 a quarter of that, 200 twice (a change "
      "crossfades between taps)", MST_REVERB_MIN_SIZE_PCT,
      MST_REVERB_MAX_SIZE_PCT, d.size_pct);
  gst_mst_filter_install_double (gobject_class, PROP_PREDELAY, "pre-delay",
      "Pre-delay (ms)", "Delay in ms before the reverberation starts",
      0.0, MST_REVERB_MAX_PREDELAY_MS, d.predelay_ms);
  gst_mst_filter_install_double (gobject_class, PROP_DIFFUSION, "diffusion",
      "Diffusion (%)", "Strength of the input all-pass diffusers in %: 0 "
      "discrete first echoes, 100 dense at once", 0.0, 100.0,
      d.diffusion_pct);
  gst_mst_filter_install_double (gobject_class, PROP_MIX, "mix", "Mix (%)",
      "Wet share of the output in %: 0 the dry input (bit-exact), 100 only "
      "the reverberation", 0.0, 100.0, d.mix_pct);
  gst_mst_filter_install_double (gobject_class, PROP_WIDTH, "width", "Width (%)",
      "Stereo width of the reverberation in %: 0 mono, 100 two "
      "decorrelated sides", 0.0, 100.0, d.width_pct);
  gst_mst_filter_install_double (gobject_class, PROP_MODULATION,
      "modulation", "Modulation (%)", "Slowly moving feedback matrix in %: "
      "0 time-invariant (fixed resonances in the late tail), 100 eight "
      "rotations of pairs of lines swinging +-1.2 rad at their own rates "
      "(0.1 to 1.3 Hz); lossless, delays fixed", 0.0, 100.0,
      d.modulation_pct);
  /* tail is read once, at the end of the stream: nothing to glide or
   * automate, so not controllable. */
  g_object_class_install_property (gobject_class, PROP_TAIL,
      g_param_spec_boolean ("tail", "Tail",
          "At the end of the stream, play the reverberation out (until "
          "-90 dBFS or 2 x the longest decay) before the EOS", d.tail,
          flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "The dry input only (stereo bit-exact, mono to both sides), "
          "reached by gliding the mix to 0", d.bypass, flags));

  gst_element_class_set_static_metadata (element_class,
      "Reverb", "Filter/Effect/Audio",
      "Algorithmic reverb: a 16-line feedback delay network with exact "
      "decay times (RT60 per band), pre-delay, diffusion, damping, size, "
      "mix and width; mono or stereo in, stereo out; tail drained at EOS",
      "mastering developers");

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstReverb, settings);
  base_class->settings_size = sizeof (MstReverbSettings);
  filter_bind_core (base_class);
}

static void
gst_mst_reverb_init (GstMstReverb * self)
{
  mst_reverb_settings_default (&self->settings);
  self->core = mst_reverb_init ();
}
