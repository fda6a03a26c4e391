/* mastering: GstMstDynFilter, the base of the dynamics elements keyed by
 * their own input (see gstmstdynfilter.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstdynfilter.h"
#include "gstmstcommon.h"

#include <gst/audio/audio.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_dyn_filter_debug);
#define GST_CAT_DEFAULT gst_mst_dyn_filter_debug

/* A message a second, as the limiter (its reasons hold here too: each
 * message wakes the application's main loop; the message's gain reduction
 * is the deepest of the interval, so nothing is missed). */
#define DEFAULT_INTERVAL_NS GST_SECOND

/* Enum fields of MstDynamicsSettings are written as gint. */
G_STATIC_ASSERT (sizeof (MstDynamicsDetector) == sizeof (gint));
G_STATIC_ASSERT (sizeof (MstDynamicsApply) == sizeof (gint));

/* What a property installed with gst_mst_dyn_filter_install() is, attached
 * to its param spec. */
typedef struct
{
  gsize field;
  GstMstDynFieldFlags flags;
} FieldInfo;

static GQuark field_quark;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstMstDynFilter, gst_mst_dyn_filter,
    GST_TYPE_MST_DELAY_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_mst_dyn_filter_debug, "dynfilter", 0,
        "mastering dynamics element base");
    field_quark = g_quark_from_static_string ("mst-dyn-field"));

static void gst_mst_dyn_filter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_mst_dyn_filter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);

/* GObject gives every class its own property handlers (ids are per
 * class): a subclass's properties go through the base's. */
static void
own_properties (GObjectClass * klass)
{
  klass->set_property = gst_mst_dyn_filter_set_property;
  klass->get_property = gst_mst_dyn_filter_get_property;
}

void
gst_mst_dyn_filter_install (GObjectClass * klass, guint prop_id,
    GParamSpec * pspec, gsize field, GstMstDynFieldFlags flags)
{
  FieldInfo *info = g_new0 (FieldInfo, 1);

  own_properties (klass);

  /* Lives as long as the class, that is, the process. */
  info->field = field;
  info->flags = flags;
  g_param_spec_set_qdata (pspec, field_quark, info);
  g_object_class_install_property (klass, prop_id, pspec);
}

void
gst_mst_dyn_filter_install_double (GObjectClass * klass, guint prop_id,
    const gchar * name, const gchar * nick, const gchar * blurb, gdouble min,
    gdouble max, const MstDynamicsSettings * d, gsize field)
{
  gdouble def = *(const gdouble *) ((const guint8 *) d + field);

  /* The strings are static in every caller. */
  gst_mst_dyn_filter_install (klass, prop_id,
      g_param_spec_double (name, nick, blurb, min, max, def,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_CONTROLLABLE
          | GST_PARAM_MUTABLE_PLAYING), field, 0);
}

void
gst_mst_dyn_filter_install_times (GObjectClass * klass, guint attack_id,
    const MstDynamicsSettings * d, const gchar * attack_what,
    const gchar * release_what)
{
  const gchar *convention = ", a one-pole time constant in ms (the gain "
      "covers 63 % of its change in dB at T, 95 % at 3 T)";
  /* The blurbs live as long as the class. */
  gchar *attack = g_strconcat (attack_what, convention, NULL);
  gchar *release = g_strconcat (release_what, convention, NULL);

  gst_mst_dyn_filter_install_double (klass, attack_id, "attack",
      "Attack (ms)", g_intern_string (attack), 0.0, MST_DYNAMICS_MAX_TIME_MS,
      d, GST_MST_DYN_FIELD (attack_ms));
  gst_mst_dyn_filter_install_double (klass, attack_id + 1, "release",
      "Release (ms)", g_intern_string (release), 0.0,
      MST_DYNAMICS_MAX_TIME_MS, d, GST_MST_DYN_FIELD (release_ms));
  g_free (attack);
  g_free (release);
}

static gboolean
is_lookahead (GParamSpec * pspec)
{
  return g_strcmp0 (pspec->name, "lookahead") == 0;
}

static void
gst_mst_dyn_filter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstDynFilter *self = GST_MST_DYN_FILTER (object);
  const FieldInfo *info = g_param_spec_get_qdata (pspec, field_quark);

  GST_OBJECT_LOCK (self);
  if (info) {
    guint8 *field = (guint8 *) & self->settings + info->field;
    GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
    if (type == G_TYPE_DOUBLE) {
      gdouble v = g_value_get_double (value);
      if (info->flags & GST_MST_DYN_PERCENT)
        v /= 100.0;
      if ((info->flags & GST_MST_DYN_HZ_OR_OFF) && v > 0.0
          && v < MST_DYNAMICS_MIN_FILTER_HZ)
        v = MST_DYNAMICS_MIN_FILTER_HZ;
      *(gdouble *) field = v;
    } else if (type == G_TYPE_BOOLEAN) {
      *(bool *) field = g_value_get_boolean (value);
    } else {
      *(gint *) field = g_value_get_enum (value);
    }
  } else if (is_lookahead (pspec)) {
    if (!gst_mst_delay_filter_refuse_while_running (GST_MST_DELAY_FILTER
            (self), "lookahead", self->lookahead_ms,
            g_value_get_double (value)))
      self->lookahead_ms = g_value_get_double (value);
  } else if (!gst_mst_message_settings_set (&GST_MST_FILTER (self)->messages,
          pspec, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mst_dyn_filter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstDynFilter *self = GST_MST_DYN_FILTER (object);
  const FieldInfo *info = g_param_spec_get_qdata (pspec, field_quark);

  GST_OBJECT_LOCK (self);
  if (info) {
    const guint8 *field = (const guint8 *) &self->settings + info->field;
    GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
    if (type == G_TYPE_DOUBLE) {
      gdouble v = *(const gdouble *) field;
      g_value_set_double (value, info->flags & GST_MST_DYN_PERCENT ?
          v * 100.0 : v);
    } else if (type == G_TYPE_BOOLEAN) {
      g_value_set_boolean (value, *(const bool *) field);
    } else {
      g_value_set_enum (value, *(const gint *) field);
    }
  } else if (is_lookahead (pspec)) {
    g_value_set_double (value, self->lookahead_ms);
  } else if (g_strcmp0 (pspec->name, "gain-reduction") == 0) {
    g_value_set_double (value, self->gain_reduction_db);
  } else if (!gst_mst_message_settings_get (&GST_MST_FILTER (self)->messages,
          pspec, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

void
gst_mst_dyn_filter_install_common (GObjectClass * klass, guint first_id,
    const gchar * message_name, const MstDynamicsSettings * d)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;
  gchar *interval_blurb, *post_blurb;

  own_properties (klass);
  gst_mst_dyn_filter_install_double (klass, first_id++, "knee", "Knee (dB)",
      "Width of the soft knee centred on the threshold, in dB (0: hard)",
      0.0, MST_GAIN_COMPUTER_MAX_KNEE_DB, d, GST_MST_DYN_FIELD (knee_db));
  gst_mst_dyn_filter_install (klass, first_id++,
      g_param_spec_enum ("detector", "Detector",
          "Level the gain answers: each sample's peak, or the RMS over "
          "rms-window", GST_TYPE_MST_DYNAMICS_DETECTOR, d->detector, flags),
      GST_MST_DYN_FIELD (detector), 0);
  gst_mst_dyn_filter_install_double (klass, first_id++, "rms-window",
      "RMS window (ms)", "Length of the RMS detector's moving average, in ms",
      MST_DYNAMICS_MIN_RMS_WINDOW_MS, MST_DYNAMICS_MAX_RMS_WINDOW_MS, d,
      GST_MST_DYN_FIELD (rms_window_ms));
  gst_mst_dyn_filter_install (klass, first_id++,
      g_param_spec_double ("link", "Channel link (%)",
          "How much the channels share one gain, in %: 100 = the loudest "
          "channel drives all, 0 = each channel on its own", 0.0, 100.0,
          d->link * 100.0, flags), GST_MST_DYN_FIELD (link),
      GST_MST_DYN_PERCENT);
  gst_mst_dyn_filter_install (klass, first_id++,
      g_param_spec_double ("mix", "Mix (%)",
          "Processed share of the output, in % (the rest is the input, "
          "delayed alike); glides over 10 ms", 0.0, 100.0, d->mix * 100.0,
          flags), GST_MST_DYN_FIELD (mix), GST_MST_DYN_PERCENT);
  g_object_class_install_property (klass, first_id,
      g_param_spec_double ("lookahead", "Lookahead (ms)",
          "Lookahead in ms: the gain moves this much before the audio it "
          "answers, so an attack or an opening is not late; reported as "
          "latency, so it can only change in the NULL or READY state",
          0.0, MST_DYNAMICS_MAX_LOOKAHEAD_MS, 0.0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  gst_mst_dyn_filter_install (klass, first_id + 1,
      g_param_spec_boolean ("bypass", "Bypass",
          "Pass the input through unchanged (bit-exact once the 10 ms "
          "crossfade has ended), keeping the latency", FALSE, flags),
      GST_MST_DYN_FIELD (bypass), 0);
  g_object_class_install_property (klass, first_id + 2,
      g_param_spec_double ("gain-reduction", "Gain reduction (dB)",
          "Current gain reduction in dB (>= 0), updated every interval",
          0.0, G_MAXDOUBLE, 0.0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  interval_blurb = g_strdup_printf ("Interval of the \"%s\" element "
      "messages, in ns", message_name);
  post_blurb = g_strdup_printf ("Post a \"%s\" element message every "
      "interval, with fields timestamp, stream-time, running-time, "
      "duration (ns), gain-reduction (deepest in the interval, dB >= 0) and "
      "gain-reduction-current (dB), and a last one at EOS with final=TRUE",
      message_name);
  /* The blurbs live as long as the class. */
  gst_mst_install_message_properties (klass, first_id + 3, first_id + 4,
      DEFAULT_INTERVAL_NS, g_intern_string (interval_blurb),
      g_intern_string (post_blurb));
  g_free (interval_blurb);
  g_free (post_blurb);
  GST_MST_FILTER_CLASS (klass)->message_name = message_name;
}

void
gst_mst_dyn_filter_set_defaults (GstMstDynFilter * self,
    void (*settings_default) (MstDynamicsSettings * s))
{
  settings_default (&self->settings);
}

static MstResult
gst_mst_dyn_filter_configure (GstMstFilter * base, const GstAudioInfo * info)
{
  GstMstDynFilter *self = GST_MST_DYN_FILTER (base);
  gdouble lookahead_ms;

  GST_OBJECT_LOCK (self);
  lookahead_ms = self->lookahead_ms;
  GST_OBJECT_UNLOCK (self);
  if (!self->core)
    self->core = mst_dynamics_init (MST_MAX_CHANNELS);
  if (!self->core)
    return MST_ERR_NOMEM;
  /* Key channels 0: keyed by the audio itself. */
  return mst_dynamics_configure (self->core, GST_AUDIO_INFO_RATE (info),
      GST_AUDIO_INFO_CHANNELS (info), 0, lookahead_ms);
}

static MstResult
gst_mst_dyn_filter_apply (GstMstFilter * base, gconstpointer settings)
{
  return mst_dynamics_set (GST_MST_DYN_FILTER (base)->core, settings);
}

GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS (GST_MST_DYN_FILTER, mst_dynamics);

/* The core's changes are <= 0 dB for the compressor and expander curves
 * that these elements use; reported as a reduction >= 0. */
static gdouble
reduction (gdouble change_db)
{
  return change_db < 0.0 ? -change_db : 0.0;
}

static void
gst_mst_dyn_filter_read_status (GstMstFilter * base, GstStructure * s)
{
  GstMstDynFilter *self = GST_MST_DYN_FILTER (base);
  gdouble deepest = reduction (mst_dynamics_take_reduction_db (self->core));
  gdouble current = reduction (mst_dynamics_get_current_db (self->core));

  GST_OBJECT_LOCK (self);
  self->gain_reduction_db = current;
  GST_OBJECT_UNLOCK (self);
  if (s)
    gst_structure_set (s, "gain-reduction", G_TYPE_DOUBLE, deepest,
        "gain-reduction-current", G_TYPE_DOUBLE, current, NULL);
}

/* GstMstDelayFilter restarts its core at a DISCONT by draining it, and
 * drains only when frames are pending: without lookahead nothing is, and
 * the core went on from the history before the gap. Restarted here in that
 * case (the base's drain does it otherwise). */
static GstFlowReturn
gst_mst_dyn_filter_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstMstDynFilter *self = GST_MST_DYN_FILTER (trans);

  if (GST_BUFFER_IS_DISCONT (input) && GST_MST_FILTER (self)->configured
      && mst_dynamics_get_pending (self->core) == 0)
    mst_dynamics_reset (self->core);
  return GST_BASE_TRANSFORM_CLASS (gst_mst_dyn_filter_parent_class)
      ->submit_input_buffer (trans, is_discont, input);
}

static void
gst_mst_dyn_filter_class_init (GstMstDynFilterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstMstFilterClass *base_class = GST_MST_FILTER_CLASS (klass);
  GstMstDelayFilterClass *delay_class = GST_MST_DELAY_FILTER_CLASS (klass);

  own_properties (gobject_class);

  base_class->settings_offset = G_STRUCT_OFFSET (GstMstDynFilter, settings);
  base_class->settings_size = sizeof (MstDynamicsSettings);
  /* As the limiter: messages cover the output up to the drained tail, and
   * a drain with nothing pending still starts the core afresh. */
  delay_class->messages_cover_tail = FALSE;
  delay_class->reset_when_empty = TRUE;
  base_class->configure = GST_DEBUG_FUNCPTR (gst_mst_dyn_filter_configure);
  base_class->apply = GST_DEBUG_FUNCPTR (gst_mst_dyn_filter_apply);
  delay_filter_bind_core (delay_class);
  base_class->read_status = GST_DEBUG_FUNCPTR (gst_mst_dyn_filter_read_status);
  GST_BASE_TRANSFORM_CLASS (klass)->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_mst_dyn_filter_submit_input_buffer);
}

static void
gst_mst_dyn_filter_init (GstMstDynFilter * self)
{
  mst_dynamics_settings_default (&self->settings);
  gst_mst_message_settings_init (&GST_MST_FILTER (self)->messages,
      DEFAULT_INTERVAL_NS);
}
