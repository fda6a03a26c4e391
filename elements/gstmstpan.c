/* mastering: pan, a mono or stereo source placed in the stereo field.
 *
 * SECTION:element-pan
 * @title: pan
 *
 * A mixing panner: mono or stereo in, stereo out. `position` (-100 hard
 * left .. 100 hard right) through a pan `law`, the level of each side when
 * the source is at the centre: 0, -3 (constant power, the default), -4.5
 * or -6 dB (constant amplitude); at either end every law gives the side
 * panned to unity and the other silence. A stereo source is panned as a
 * whole (`mode=pan`: the far channel crosses over, the near one stays) or
 * balanced (`mode=balance`: the far channel turned down along the law,
 * nothing crosses), after `width` (the side times width / 100). Every
 * change glides (10 ms), so automation never clicks; a stereo source at
 * the centre with width 100 passes bit-exact.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc ! audio/x-raw,format=F32LE,channels=1 ! \
 *     pan position=-30 law=-4.5 ! autoaudiosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstpan.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_pan_debug);
#define GST_CAT_DEFAULT gst_mst_pan_debug

enum
{
  PROP_0,
  PROP_POSITION,
  PROP_LAW,
  PROP_MODE,
  PROP_WIDTH,
  PROP_BYPASS,
};

G_DEFINE_TYPE_WITH_CODE (GstMstPan, gst_mst_pan, GST_TYPE_MST_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_pan_debug, "pan", 0,
        "mastering panner"));
GST_ELEMENT_REGISTER_DEFINE (pan, "pan", GST_RANK_NONE, GST_TYPE_MST_PAN);

#define GST_TYPE_MST_PAN_LAW (gst_mst_pan_law_get_type ())
static GType
gst_mst_pan_law_get_type (void)
{
  static gsize type = 0;
  /* Nicks are the centre level, so gst-launch takes law=-3. */
  static const GEnumValue values[] = {
    {MST_PAN_LAW_0DB, "0 dB at the centre: the near side stays at unity, "
          "the far one fades (sine)", "0"},
    {MST_PAN_LAW_3DB, "-3 dB at the centre: sine/cosine, constant power",
        "-3"},
    {MST_PAN_LAW_4_5DB, "-4.5 dB at the centre: between constant power and "
          "constant amplitude", "-4.5"},
    {MST_PAN_LAW_6DB, "-6 dB at the centre: linear, constant amplitude",
        "-6"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstPanLaw", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

#define GST_TYPE_MST_PAN_MODE (gst_mst_pan_mode_get_type ())
static GType
gst_mst_pan_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MST_PAN_MODE_PAN, "Stereo moved as a whole: the far channel crosses "
          "over, the near one stays", "pan"},
    {MST_PAN_MODE_BALANCE, "Stereo balanced: the far channel turned down "
          "along the law (unity at the centre), nothing crosses", "balance"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMstPanMode", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* The settings field of each property, in the order of the enum. */
static const GstMstField fields[] = {
  {G_STRUCT_OFFSET (GstMstPan, settings.position), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (GstMstPan, settings.law), G_TYPE_ENUM},
  {G_STRUCT_OFFSET (GstMstPan, settings.mode), G_TYPE_ENUM},
  {G_STRUCT_OFFSET (GstMstPan, settings.width_pct), G_TYPE_DOUBLE},
  {G_STRUCT_OFFSET (GstMstPan, settings.bypass), G_TYPE_BOOLEAN},
};

GST_MST_FILTER_DEFINE_STEREO_CORE_VFUNCS (GST_MST_PAN, mst_pan)

static gboolean
gst_mst_pan_is_passthrough (GstMstFilter * base)
{
  return mst_pan_is_passthrough (GST_MST_PAN (base)->core);
}

static void
gst_mst_pan_class_init (GstMstPanClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE;
  MstPanSettings defaults;
  /* The enums are set, not glided: not controllable. */

  mst_pan_settings_default (&defaults);
  gst_mst_filter_class_set_fields (base_class, fields, G_N_ELEMENTS (fields));

  g_object_class_install_property (gobject_class, PROP_POSITION,
      g_param_spec_double ("position", "Position",
          "Where the source sits, -100 to 100: -100 hard left (the left side "
          "only), 0 centre, 100 hard right "
          "(glides over 10 ms)", -MST_PAN_MAX_POSITION, MST_PAN_MAX_POSITION,
          defaults.position, flags));
  g_object_class_install_property (gobject_class, PROP_LAW,
      g_param_spec_enum ("law", "Pan law",
          "Level of each side when the source is at the centre, in dB (0, "
          "-3, -4.5, -6); at either end the side panned to is at unity and "
          "the other silent, whatever the law", GST_TYPE_MST_PAN_LAW,
          defaults.law, flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "What position does to a stereo source (a mono one is panned)",
          GST_TYPE_MST_PAN_MODE, defaults.mode,
          flags & ~GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_double ("width", "Width (%)",
          "Stereo sources: the side (L - R) times width / 100 before the "
          "pan: 0 mono, 100 unchanged, 200 twice as wide", 0.0,
          MST_PAN_MAX_WIDTH_PCT, defaults.width_pct, flags));
  g_object_class_install_property (gobject_class, PROP_BYPASS,
      g_param_spec_boolean ("bypass", "Bypass",
          "Stereo unchanged, mono to both sides at unity (glides over "
          "10 ms)", defaults.bypass, flags));

  gst_element_class_set_static_metadata (element_class,
      "Mixing panner", "Filter/Effect/Audio",
      "Places a mono or stereo source in the stereo field: position through "
      "a pan law (0, -3, -4.5 or -6 dB at the centre), stereo pan or "
      "balance, width; gliding automation", "mastering developers");

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstPan, settings);
  base_class->settings_size = sizeof (MstPanSettings);
  stereo_bind_core (base_class);
  base_class->is_passthrough = GST_DEBUG_FUNCPTR (gst_mst_pan_is_passthrough);
}

static void
gst_mst_pan_init (GstMstPan * self)
{
  mst_pan_settings_default (&self->settings);
  self->core = mst_pan_init ();
}
