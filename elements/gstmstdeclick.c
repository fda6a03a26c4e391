/* mastering: declick, impulsive clicks and pops repaired by autoregressive
 * interpolation.
 *
 * SECTION:element-declick
 * @title: declick
 *
 * Finds clicks (a scratch, a dropout, a digital error) by the prediction
 * error of an autoregressive model of the music, forward and backward,
 * against a local robust scale (`sensitivity`), fuses bursts, and replaces
 * the damaged samples, and only those, by least-squares AR interpolation
 * from both sides; runs longer than `max-click-length` are music and stay.
 * Every other sample comes out bit for bit. The analysis looks ahead: the
 * latency (27.3 ms at 48 kHz) is reported, the tail drained at EOS,
 * and output sample i is input sample i. `listen` outputs what was
 * removed. A "declick" element message every `interval` (and a final one
 * at EOS) counts the repaired clicks.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=record.wav ! decodebin ! audioconvert ! \
 *     declick sensitivity=4 ! audioconvert ! wavenc ! \
 *     filesink location=clean.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdeclick.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_declick_debug);
#define GST_CAT_DEFAULT gst_mst_declick_debug

/* A message every second, as the limiter's. */
#define DEFAULT_INTERVAL_NS GST_SECOND

enum
{
  PROP_0,
  PROP_SENSITIVITY,
  PROP_MAX_CLICK_LENGTH,
  PROP_LISTEN,
  PROP_BYPASS,
  PROP_CLICKS,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
};

G_DEFINE_TYPE_WITH_CODE (GstMstDeclick, gst_mst_declick,
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_declick_debug, "declick", 0,
        "mastering declicker"));
GST_ELEMENT_REGISTER_DEFINE (declick, "declick", GST_RANK_NONE,
    GST_TYPE_MST_DECLICK);

/* The field of each property, in the order of the enum up to PROP_CLICKS
 * (read-only, outside the settings); the message properties follow. */
static const GstMstField fields[] = {
  {G_STRUCT_OFFSET (GstMstDeclick, settings.sensitivity), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (GstMstDeclick, settings.max_click_ms), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (GstMstDeclick, settings.listen), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (GstMstDeclick, settings.bypass), G_TYPE_BOOLEAN},
  {G_STRUCT_OFFSET (GstMstDeclick, count), G_TYPE_UINT64},
};

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_DECLICK, mst_declick);

GST_MST_DELAY_FILTER_DEFINE_COUNT_VFUNCS (GST_MST_DECLICK, mst_declick,
    mst_declick_get_click_count, "clicks");

static void
gst_mst_declick_class_init (GstMstDeclickClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  MstDeclickSettings d;

  gst_mst_filter_class_set_fields (base_class, fields, G_N_ELEMENTS (fields));

  mst_declick_settings_default (&d);
  g_object_class_install_property (gobject_class, PROP_SENSITIVITY,
      g_param_spec_double ("sensitivity", "Sensitivity",
          "Detection sensitivity: a sample is part of a click when both its "
          "forward and backward AR prediction errors exceed 50 / sensitivity "
          "robust standard deviations of the local prediction error (4: "
          "12.5; higher finds fainter clicks and risks touching music)",
          MST_DECLICK_MIN_SENSITIVITY, MST_DECLICK_MAX_SENSITIVITY,
          d.sensitivity, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_CLICK_LENGTH,
      g_param_spec_double ("max-click-length", "Max click length (ms)",
          "Longest burst repaired, in ms; a longer one is music (a "
          "transient) and is left untouched", MST_DECLICK_MIN_CLICK_MS,
          MST_DECLICK_MAX_CLICK_MS, d.max_click_ms, flags));
  g_object_class_install_property (gobject_class, PROP_LISTEN,
      g_param_spec_boolean ("listen", "Listen",
          "Output what was removed (input minus output) instead of the "
          "repaired audio", d.listen, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact), keeping the "
          "latency", d.bypass, flags));
  g_object_class_install_property (gobject_class, PROP_CLICKS,
      g_param_spec_uint64 ("clicks", "Clicks",
          "Clicks repaired since the stream's start (all channels), updated "
          "every interval", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, DEFAULT_INTERVAL_NS,
      "Interval of the \"declick\" element messages, in ns",
      "Post a \"declick\" element message every interval, with fields "
      "timestamp, stream-time, running-time, duration (ns), clicks "
      "(repaired in the interval), clicks-total and clicks-per-channel "
      "(since the stream's start)");

  gst_element_class_set_static_metadata (element_class,
      "Mastering declicker", "Filter/Effect/Audio",
      "Repairs impulsive clicks and pops by least-squares autoregressive "
      "interpolation, leaving every other sample untouched",
      "mastering developers");

  base_class->message_name = "declick";
  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDeclick, settings);
  base_class->settings_size = sizeof (MstDeclickSettings);
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (count_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (core_apply);
  delay_filter_bind_core (delay_class);
  base_class->reset = GST_DEBUG_FUNCPTR (count_reset);
  base_class->read_status = GST_DEBUG_FUNCPTR (count_read_status);
}

static void
gst_mst_declick_init (GstMstDeclick * self)
{
  mst_declick_settings_default (&self->settings);
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
}
