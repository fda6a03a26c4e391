/* mastering: gate, a noise gate and downward expander.
 *
 * SECTION:element-gate
 * @title: gate
 *
 * Attenuates what falls below `threshold`: by `ratio` dB per dB below it
 * (a downward expander; the default 20 is a gate's slope), never by more
 * than `range`. The gate opens with the `attack` time constant, stays open
 * `hold` ms after the level falls, then closes with the `release` time
 * constant; `attack` and `release` are one-pole time constants (the gain
 * covers 63 % of its change in dB at T). With `hysteresis` the gate opens
 * at the threshold and closes only once the level is that many dB below
 * it, so a level hovering at the threshold does not chatter. The key can
 * be filtered (`sidechain-highpass`, `sidechain-lowpass`) so rumble or
 * hiss does not open it; `lookahead` opens it before the attack it
 * answers (reported as latency, drained at EOS).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=voice.wav ! decodebin ! audioconvert ! \
 *     gate threshold=-45 range=-30 hold=50 release=150 lookahead=2 ! \
 *     audioconvert ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstgate.h"

enum
{
  PROP_0,
  PROP_THRESHOLD,
  PROP_RANGE,
  PROP_RATIO,
  PROP_ATTACK,
  PROP_RELEASE,                 /* PROP_ATTACK + 1 */
  PROP_HOLD,
  PROP_HYSTERESIS,
  PROP_SIDECHAIN_HIGHPASS,
  PROP_SIDECHAIN_LOWPASS,
  PROP_COMMON,                  /* GST_MST_DYN_N_COMMON of them */
};

G_DEFINE_TYPE (GstMstGate, gst_mst_gate, GST_TYPE_MST_DYN_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gate, "gate", GST_RANK_NONE, GST_TYPE_MST_GATE);

static void
gst_mst_gate_class_init (GstMstGateClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDynamicsSettings d;

  mst_dynamics_settings_gate (&d);
  gst_mst_dyn_filter_install_double (gobject_class, PROP_THRESHOLD,
      "threshold", "Threshold (dB)",
      "Level (dBFS) at and above which the gate is open",
      MST_GAIN_COMPUTER_MIN_THRESHOLD_DB, MST_GAIN_COMPUTER_MAX_THRESHOLD_DB,
      &d, GST_MST_DYN_FIELD (threshold_db));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_RANGE, "range",
      "Range (dB)",
      "Deepest attenuation in dB (<= 0): the gain of the closed gate",
      MST_GAIN_COMPUTER_MIN_THRESHOLD_DB, 0.0, &d,
      GST_MST_DYN_FIELD (range_db));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_RATIO, "ratio",
      "Ratio", "Expansion ratio below the threshold: the gain falls by "
      "ratio - 1 dB per dB of level (2: a gentle expander, 20 and up: a "
      "gate; 1: off)", 1.0, MST_GAIN_COMPUTER_MAX_EXPAND_RATIO, &d,
      GST_MST_DYN_FIELD (ratio));
  gst_mst_dyn_filter_install_times (gobject_class, PROP_ATTACK, &d,
      "Opening", "Closing, after the hold");
  gst_mst_dyn_filter_install_double (gobject_class, PROP_HOLD, "hold",
      "Hold (ms)", "Time in ms the gate stays open after the level falls "
      "below the threshold, before it starts to close", 0.0,
      MST_DYNAMICS_MAX_TIME_MS, &d, GST_MST_DYN_FIELD (hold_ms));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_HYSTERESIS,
      "hysteresis", "Hysteresis (dB)", "The gate opens at the threshold and "
      "closes only once the level's envelope (falling with the release, at "
      "least 50 ms) is this many dB below it, so a level hovering at the "
      "threshold does not chatter", 0.0, MST_DYNAMICS_MAX_HYSTERESIS_DB, &d,
      GST_MST_DYN_FIELD (hysteresis_db));
  gst_mst_dyn_filter_install (gobject_class, PROP_SIDECHAIN_HIGHPASS,
      g_param_spec_double ("sidechain-highpass", "Key high-pass (Hz)",
          "High-pass on the level the gate reads (12 dB/octave), in Hz, so "
          "rumble does not open it; 0: off", 0.0, MST_MAX_RATE_HZ / 2.0,
          d.key_highpass_hz, flags), GST_MST_DYN_FIELD (key_highpass_hz),
      GST_MST_DYN_HZ_OR_OFF);
  gst_mst_dyn_filter_install (gobject_class, PROP_SIDECHAIN_LOWPASS,
      g_param_spec_double ("sidechain-lowpass", "Key low-pass (Hz)",
          "Low-pass on the level the gate reads (12 dB/octave), in Hz, so "
          "hiss does not open it; 0: off", 0.0, MST_MAX_RATE_HZ / 2.0,
          d.key_lowpass_hz, flags), GST_MST_DYN_FIELD (key_lowpass_hz),
      GST_MST_DYN_HZ_OR_OFF);
  gst_mst_dyn_filter_install_common (gobject_class, PROP_COMMON, "gate", &d);

  gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass),
      "Mastering noise gate", "Filter/Effect/Audio",
      "Noise gate and downward expander with range, hold, hysteresis, "
      "key filters and lookahead", "mastering developers");
}

static void
gst_mst_gate_init (GstMstGate * self)
{
  gst_mst_dyn_filter_set_defaults (GST_MST_DYN_FILTER (self),
      mst_dynamics_settings_gate);
}
