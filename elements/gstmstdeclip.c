/* mastering: declip, clipped runs reconstructed by autoregressive
 * interpolation under the clip level.
 *
 * SECTION:element-declip
 * @title: declip
 *
 * Finds the clipped samples (at `threshold` dB under the running peak of
 * each sign, or with `auto` at the peak itself where runs of two or more
 * samples pile up there, which music alone does not make) and replaces
 * them by least-squares AR interpolation from their surroundings, each
 * restored sample at or beyond its clipped value with its sign. Every
 * unclipped sample comes out bit for bit. The restored peaks rise above
 * the clip level: from a master clipped at full scale the float output
 * exceeds 1.0 (0 dBFS), by up to the clipping's depth (5.7 dBFS measured
 * on a programme clipped 6 dB over). The element takes float only: put a
 * gain (or the limiter) after it before an integer format, which would
 * clip the restored peaks again. The analysis looks ahead: the latency
 * (32.6 ms at 48 kHz) is reported, the tail drained at EOS. A "declip"
 * element message every `interval` (and a final one at EOS) counts the
 * restored samples.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clipped.wav ! decodebin ! audioconvert ! \
 *     audio/x-raw,format=F32LE ! declip ! limiter ceiling=-1 input-gain=-6 ! \
 *     audioconvert ! wavenc ! filesink location=restored.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdeclip.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_declip_debug);
#define GST_CAT_DEFAULT gst_mst_declip_debug

/* A message every second, as the limiter's. */
#define DEFAULT_INTERVAL_NS GST_SECOND

enum
{
  PROP_0,
  PROP_AUTO,
  PROP_THRESHOLD,
  PROP_LISTEN,
  PROP_BYPASS,
  PROP_CLIPPED,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDeclip, gst_mst_declip,
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_declip_debug, "declip", 0,
        "mastering declipper"));
GST_ELEMENT_REGISTER_DEFINE (declip, "declip", GST_RANK_NONE,
    GST_TYPE_MST_DECLIP);

/* The field of each property, in the order of the enum up to PROP_CLIPPED
 * (read-only, outside the settings); the message properties follow. */
static const GstMstField fields[] = {
  {G_STRUCT_OFFSET (GstMstDeclip, settings.auto_level), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (GstMstDeclip, settings.threshold_db), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (GstMstDeclip, settings.listen), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (GstMstDeclip, settings.bypass), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (GstMstDeclip, count), G_TYPE_UINT64},
};

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_DECLIP, mst_declip);

GST_MST_DELAY_FILTER_DEFINE_COUNT_VFUNCS (GST_MST_DECLIP, mst_declip,
    mst_declip_get_clipped_count, "clipped");

static void
gst_mst_declip_class_init (GstMstDeclipClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDeclipSettings d;

  gst_mst_filter_class_set_fields (base_class, fields, G_N_ELEMENTS (fields));

  mst_declip_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_AUTO,
      g_param_spec_boolean ("auto", "Auto level",
          "Find the clip level from the sample histogram: the running peak "
          "of each sign is the clip level once runs of two or more samples "
          "pile up there (threshold ignored)", d.auto_level, flags));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold (dB)",
          "With auto off: samples at or beyond this level, in dB relative to "
          "the running peak of their sign, are clipped",
          MST_DECLIP_MIN_THRESHOLD_DB, MST_DECLIP_MAX_THRESHOLD_DB,
          d.threshold_db, flags));
  g_object_class_install_property (gobject_class, PROP_LISTEN,
      g_param_spec_boolean ("listen", "Listen",
          "Output the input minus the output (minus what the restoration "
          "added) instead of the restored audio", d.listen, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact), keeping the "
          "latency", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_CLIPPED,
      g_param_spec_uint64 ("clipped", "Clipped samples",
          "Clipped samples restored since the stream's start (all channels), "
          "updated every interval", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"declip\" element messages, in ns",
      "Post a \"declip\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), clipped "
      "(samples restored in the interval), clipped-total and "
      "clipped-per-channel (since the stream's start)");

  gst_element_class_set_static_metadata (element_class,
      "Mastering declipper", "Filter/Effect/Audio",
      "Reconstructs clipped runs by least-squares autoregressive "
      "interpolation at or beyond the clip level, leaving every unclipped "
      "sample untouched", "mastering developers");

  base_class->message_name = "declip";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDeclip, settings);
  base_class->settings_size = sizeof (MstDeclipSettings);
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (count_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (core_apply);
  delay_filter_bind_core (delay_class);
  base_class->reset = GST_DEBUG_FUNCPTR (count_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (count_read_status);
}

static void
gst_mst_declip_init (GstMstDeclip * self)
{
  mst_declip_settings_default (&self->settings);
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
}
