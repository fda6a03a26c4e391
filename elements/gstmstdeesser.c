/* mastering: deesser, a split-band or wideband de-esser.
 *
 * SECTION:element-deesser
 * @title: deesser
 *
 * Turns down sibilance: the level it reads is the input through a
 * band-pass centred on `freq` with quality `q` (0 dB at the centre, 6
 * dB/octave skirts far from it); above `threshold` the gain falls by
 * `ratio`, never by more than `range`. In `split` mode (the default) only
 * that band is reduced, out = x + band(x)·(g − 1), so the voice below
 * `freq` is untouched; in `wideband` mode the whole signal is. `listen`
 * plays the band alone, to tune `freq` and `q` by ear. `attack` and
 * `release` are one-pole time constants (the gain covers 63 % of its change
 * in dB at T); `lookahead` moves the gain ahead of the sibilant it answers
 * (reported as latency, drained at EOS).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=voice.wav ! decodebin ! audioconvert ! \
 *     deesser freq=6500 q=1.5 threshold=-35 range=-10 lookahead=1 ! \
 *     audioconvert ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdeesser.h"

/* Where a sibilant band's centre may sit (Hz): voices put theirs between
 * 3 and 10 kHz. The core moves a band above 0.45 of the rate down to it. */
#define MIN_FREQ_HZ 1000.0
#define MAX_FREQ_HZ 20000.0
/* Compression ratios beyond this are a limiter's curve already. */
#define MAX_RATIO 100.0

enum
{
  PROP_0,
  PROP_MODE,
  PROP_FREQ,
  PROP_Q,
  PROP_THRESHOLD,
  PROP_RATIO,
  PROP_RANGE,
  PROP_ATTACK,
  PROP_RELEASE,                 /* PROP_ATTACK + 1 */
  PROP_LISTEN,
  PROP_COMMON,                  /* GST_MST_DYN_N_COMMON of them */
};

#define GST_TYPE_MST_DEESSER_MODE (gst_mst_deesser_mode_get_type ())
static GType
gst_mst_deesser_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MST_DYNAMICS_SPLIT, "Split: only the sibilant band is reduced",
        "split"},
    {MST_DYNAMICS_WIDEBAND, "Wideband: the whole signal is reduced",
        "wideband"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstMstDeesserMode", values));
  return type;
}

G_DEFINE_TYPE (GstMstDeesser, gst_mst_deesser, GST_TYPE_MST_DYN_FILTER);
GST_ELEMENT_REGISTER_DEFINE (deesser, "deesser", GST_RANK_NONE,
    GST_TYPE_MST_DEESSER);

static void
gst_mst_deesser_class_init (GstMstDeesserClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDynamicsSettings d;

  mst_dynamics_settings_deesser (&d);
  gst_mst_dyn_filter_install (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "What the gain reduces: the sibilant band alone (split) or the "
          "whole signal (wideband); a change crossfades over 10 ms",
          GST_TYPE_MST_DEESSER_MODE, d.apply, flags),
      GST_MST_DYN_FIELD (apply), 0);
  gst_mst_dyn_filter_install_double (gobject_class, PROP_FREQ, "freq",
      "Frequency (Hz)", "Centre of the sibilant band, in Hz", MIN_FREQ_HZ,
      MAX_FREQ_HZ, &d, GST_MST_DYN_FIELD (key_band_hz));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_Q, "q", "Q",
      "Quality of the band-pass that finds the sibilant band: centre "
      "frequency over the -3 dB bandwidth (1.5: about an octave)",
      MST_DYNAMICS_MIN_Q, MST_DYNAMICS_MAX_Q, &d,
      GST_MST_DYN_FIELD (key_band_q));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_THRESHOLD,
      "threshold", "Threshold (dB)",
      "Level of the sibilant band (dBFS) above which it is reduced",
      MST_GAIN_COMPUTER_MIN_THRESHOLD_DB, MST_GAIN_COMPUTER_MAX_THRESHOLD_DB,
      &d, GST_MST_DYN_FIELD (threshold_db));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_RATIO, "ratio",
      "Ratio", "Compression ratio above the threshold (dB in per dB out)",
      1.0, MAX_RATIO, &d, GST_MST_DYN_FIELD (ratio));
  gst_mst_dyn_filter_install_double (gobject_class, PROP_RANGE, "range",
      "Range (dB)", "Deepest reduction in dB (<= 0), however loud the "
      "sibilant", MST_GAIN_COMPUTER_MIN_THRESHOLD_DB, 0.0, &d,
      GST_MST_DYN_FIELD (range_db));
  gst_mst_dyn_filter_install_times (gobject_class, PROP_ATTACK, &d,
      "Reduction as a sibilant starts", "Return to unity as it ends");
  gst_mst_dyn_filter_install (gobject_class, PROP_LISTEN,
      g_param_spec_boolean ("listen", "Listen",
          "Output the sibilant band alone (what the detector hears and "
          "split mode reduces); crossfades over 10 ms", d.listen, flags),
      GST_MST_DYN_FIELD (listen), 0);
  gst_mst_dyn_filter_install_common (gobject_class, PROP_COMMON, "deesser",
      &d);

  gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass),
      "Mastering de-esser", "Filter/Effect/Audio",
      "Reduces sibilance: a band-passed key, split-band or wideband "
      "reduction, listen, lookahead", "mastering developers");
}

static void
gst_mst_deesser_init (GstMstDeesser * self)
{
  gst_mst_dyn_filter_set_defaults (GST_MST_DYN_FILTER (self),
      mst_dynamics_settings_deesser);
}
