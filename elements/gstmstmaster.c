/* mastering: master, a bin that wires the mastering chain.
 *
 * audioconvert ! audioresample ! capsfilter ! [declip ! declick ! dehum !
 * denoise] ! eq ! mbcomp ! imager ! loudnorm (live) ! limiter ! dither !
 * capsfilter, behind ghost pads: the clean-up stages only those chosen
 * (the clean property, in the NULL or READY state), stereo
 * imaging after the tone and dynamics stages and before the loudness and
 * the limiter (so the limiter sees the final image), the dither last. The
 * imager takes stereo only: other channel counts go from mbcomp straight
 * to loudnorm. The children are named convert, resample, rate, eq, mbcomp,
 * imager, loudnorm, limiter, dither and format, so GstBin's
 * child proxy reaches them: master eq::band0::gain=2
 * mbcomp::band1::ratio=2 limiter::ceiling=-1.5. The bin's own properties
 * pick a delivery target (loudness and ceiling; the cd target also its
 * format, 16-bit 44.1 kHz, through the capsfilters), the dynamics (mbcomp's
 * band settings) and the dither; they are written into the children.
 * Dither happens once, last, after the limiter, and only when downstream
 * (or the target) asks for integers: float passes it untouched. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstmaster.h"

#include <gst/audio/audio.h>
#include <math.h>

#include "gstmstcommon.h"
#include "mst-imager.h"
#include "mst-dither.h"
#include "mst-mbcomp.h"
#include "mst-targets.h"

GST_DEBUG_CATEGORY_STATIC (gst_mst_master_debug);
#define GST_CAT_DEFAULT gst_mst_master_debug

enum
{
  PROP_0,
  PROP_TARGET,
  PROP_LOUDNESS,
  PROP_CEILING,
  PROP_NORMALIZE,
  PROP_DYNAMICS,
  PROP_MONO_BELOW,
  PROP_DITHER,
  PROP_CLEAN,
};

/* The dither choices, as gst-master's --dither names them. */
enum
{
  DITHER_AUTO,
  DITHER_OFF,
  DITHER_FLAT,
  DITHER_LIPSHITZ,
  DITHER_F_WEIGHTED,
  DITHER_HIGH,
};

/* The imager's mono-warning for a target that checks the phase (vinyl):
 * the fold-down loss, 10 log10 (sum (L + R)^2 / (2 sum (L^2 + R^2))), is
 * below -3.0103 dB exactly when sum L R < 0, when the correlation is
 * negative, whatever the channels' powers (mst-stereo-analysis.h). */
#define PHASE_WARNING_DB 3.0103
/* Its interval then: the 400 ms windows gst-master checks (which slide by
 * 100 ms; the bin's follow each other). */
#define PHASE_INTERVAL_NS (400 * GST_MSECOND)
/* The imager's defaults otherwise (gstmstimager.c). */
#define IMAGER_WARNING_DB 6.0
#define IMAGER_INTERVAL_NS GST_SECOND

/* The dynamics, as mst_mbcomp_settings_preset names them. */
enum
{
  DYNAMICS_NONE,
  DYNAMICS_GENTLE,
  DYNAMICS_GLUE,
};

/* The clean-up stages, GstMstMasterClean's flags: bit i is
 * mst_clean_stages[i], the order they run in. */
enum
{
  CLEAN_DECLIP = 1 << 0,
  CLEAN_DECLICK = 1 << 1,
  CLEAN_DEHUM = 1 << 2,
  CLEAN_DENOISE = 1 << 3,
};
G_STATIC_ASSERT (GST_MST_MASTER_MAX_CLEAN == MST_CLEAN_STAGES);

#define DEFAULT_TARGET MST_TARGET_DEFAULT

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));
/* The pack's float formats, or the integers the dither child writes. */
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw, "
        "format = (string) { F32LE, F64LE, S16LE, S24LE, S32LE }, "
        "rate = (int) [ 8000, 384000 ], channels = (int) [ 1, 8 ], "
        "layout = (string) interleaved"));

GType
gst_mst_master_target_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type)) {
    size_t n;
    const MstTarget *t = mst_targets (&n);
    /* Built once from the core's table, kept for the process' life. */
    GEnumValue *values = g_new0 (GEnumValue, n + 1);
    for (size_t i = 0; i < n; i++) {
      values[i].value = (gint) i;
      values[i].value_name = t[i].description;
      values[i].value_nick = t[i].name;
    }
    g_once_init_leave (&type,
        g_enum_register_static ("GstMstMasterTarget", values));
  }
  return (GType) type;
}

GType
gst_mst_master_dynamics_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {DYNAMICS_NONE, "One neutral band: bit-exact, no latency", "none"},
    {DYNAMICS_GENTLE, "4 bands, 2:1 lows and 1.5:1 above from -24 dB, "
          "10 dB knee, slow", "gentle"},
    {DYNAMICS_GLUE, "4 bands, 3:1 lows and 2:1 above from -18 dB, 6 dB "
          "knee, faster", "glue"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstMstMasterDynamics",
            values));
  return (GType) type;
}

GType
gst_mst_master_dither_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {DITHER_AUTO, "f-weighted at 16 bits, flat TPDF above", "auto"},
    {DITHER_OFF, "Plain rounding, no dither", "off"},
    {DITHER_FLAT, "TPDF, no noise shaping", "flat"},
    {DITHER_LIPSHITZ, "TPDF, lipshitz noise shaping", "lipshitz"},
    {DITHER_F_WEIGHTED, "TPDF, f-weighted noise shaping", "f-weighted"},
    {DITHER_HIGH, "TPDF, high noise shaping", "high"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstMstMasterDither",
            values));
  return (GType) type;
}

GType
gst_mst_master_clean_get_type (void)
{
  static gsize type = 0;
  static const GFlagsValue values[] = {
    {CLEAN_DECLIP, "Reconstruct clipped runs (declip)", "declip"},
    {CLEAN_DECLICK, "Repair clicks and pops (declick)", "declick"},
    {CLEAN_DEHUM, "Remove mains hum and its harmonics (dehum)", "dehum"},
    {CLEAN_DENOISE, "Reduce broadband noise (denoise)", "denoise"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_flags_register_static ("GstMstMasterClean",
            values));
  return (GType) type;
}

#define gst_mst_master_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstMstMaster, gst_mst_master, GST_TYPE_BIN,
    /* GstPreset's own implementation: presets are keyfiles named after
     * the type (GstMstMaster.prs) in the system and user preset folders
     * and in GST_PRESET_PATH. */
    G_IMPLEMENT_INTERFACE (GST_TYPE_PRESET, NULL);
    GST_DEBUG_CATEGORY_INIT (gst_mst_master_debug, "master", 0,
        "mastering chain bin"));
GST_ELEMENT_REGISTER_DEFINE (master, "master", GST_RANK_NONE,
    GST_TYPE_MST_MASTER);

/* What the children get from the bin's settings. */
typedef struct
{
  gboolean normalize;
  gdouble loudness, ceiling;
  gdouble mono_below;
  gboolean check_stereo;
  /* The dither child's settings, and the limiter's ceiling kept under the
   * target's by twice the dither's largest error. */
  MstDitherShaping shaping;
  gboolean dither_off;
  gdouble limiter_ceiling;
  /* The capsfilter's target (cd: its bits and rate), -1: unchanged. */
  gint format_target;
  gint format_bits, format_rate;
} ChildSettings;

/* The children's settings, copied under GST_OBJECT_LOCK; returns the
 * sequence number of the settings copied. */
static guint
copy_settings (GstMstMaster * self, ChildSettings * c)
{
  size_t n;
  const MstTarget *targets = mst_targets (&n);
  guint seq;

  GST_OBJECT_LOCK (self);
  const MstTarget *t = &targets[CLAMP (self->target, 0, (gint) n - 1)];
  c->loudness = self->loudness;
  if (!self->loudness_set && self->channels > 0)
    c->loudness = mst_target_loudness (t, self->channels);
  c->normalize = self->normalize && isfinite (c->loudness);
  c->ceiling = self->ceiling;
  c->mono_below = self->mono_below;
  c->check_stereo = t->check_stereo;
  c->dither_off = self->dither_choice == DITHER_OFF;
  switch (self->dither_choice) {
    case DITHER_LIPSHITZ:
      c->shaping = MST_DITHER_LIPSHITZ;
      break;
    case DITHER_F_WEIGHTED:
      c->shaping = MST_DITHER_F_WEIGHTED;
      break;
    case DITHER_HIGH:
      c->shaping = MST_DITHER_HIGH;
      break;
    case DITHER_AUTO:
      c->shaping = self->out_bits == 16 ? MST_DITHER_F_WEIGHTED
          : MST_DITHER_NONE;
      break;
    default:
      c->shaping = MST_DITHER_NONE;
      break;
  }
  c->limiter_ceiling = c->ceiling;
  if (self->out_bits > 0)
    c->limiter_ceiling = mst_lin_to_db (mst_db_to_lin (c->ceiling) - 2.0
        * mst_dither_peak_error (c->shaping, self->out_rate, self->out_bits,
            c->dither_off));
  c->format_target = -1;
  if (self->format_target != self->target) {
    c->format_target = self->format_target = self->target;
    c->format_bits = t->pcm_bits;
    c->format_rate = t->rate_hz;
  }
  seq = self->settings_seq;
  GST_OBJECT_UNLOCK (self);
  return seq;
}

/* A capsfilter's caps replaced only when they change: every write of the
 * bin's target rewrites them, and each set makes the chain upstream
 * renegotiate (a RECONFIGURE), which under concurrent writes could meet a
 * half-changed chain and fail ("not negotiated"). */
static void
set_caps_if_changed (GstElement * capsfilter, GstCaps * caps)
{
  GstCaps *now = NULL;
  g_object_get (capsfilter, "caps", &now, NULL);
  if (!now || !gst_caps_is_equal (now, caps))
    g_object_set (capsfilter, "caps", caps, NULL);
  if (now)
    gst_caps_unref (now);
}

/* Writes the settings into the children, from any thread (set_property,
 * the streaming thread at caps).
 *
 * Lock order: apply_lock, then GST_OBJECT_LOCK (self) only to copy the
 * settings, then the children's locks (taken by their set_property). The
 * object lock is never held while calling into a child: a child's property
 * change notifies its ancestors (deep-notify), which takes their object
 * locks. Nothing holding the bin's object lock or a child's lock takes
 * apply_lock.
 *
 * apply_lock makes the writers take their turn: the copy written last is
 * the one taken last, which sees every setting written before it, so the
 * children end with what the bin reports, whatever the interleaving of
 * the setting threads. The lock is recursive and the copy retaken until it
 * is current: a deep-notify handler that sets the bin's properties from
 * within a child's write (same thread) gets its settings into the children
 * and the outer, older copy does not overwrite them. Each setting thread
 * bumps the sequence at most once before it waits for the lock, so the
 * loop ends. */
static void
apply_settings (GstMstMaster * self)
{
  ChildSettings c;
  guint seq;

  if (!self->chain_ok)
    return;                     /* a missing element, reported at READY */
  g_rec_mutex_lock (&self->apply_lock);
  seq = copy_settings (self, &c);
  for (;;) {
    if (c.normalize)
      g_object_set (self->loudnorm, "mode", 0, "target", c.loudness,
          "ceiling", c.ceiling, NULL);
    else
      g_object_set (self->loudnorm, "mode", 1, "gain", 0.0,
          "ceiling", c.ceiling, NULL);
    g_object_set (self->limiter, "ceiling", c.limiter_ceiling, NULL);
    if (self->imager)
      g_object_set (self->imager, "mono-below", c.mono_below,
          "mono-warning", c.check_stereo ? PHASE_WARNING_DB
          : IMAGER_WARNING_DB, "interval", (guint64) (c.check_stereo
              ? PHASE_INTERVAL_NS : IMAGER_INTERVAL_NS), NULL);
    g_object_set (self->dither, "noise-shaping", c.shaping, "bypass",
        c.dither_off, NULL);
    if (c.format_target >= 0) {
      /* The target's format (the cd's 16 bits at 44.1 kHz), else what
       * downstream asks. The rate is held after the resampler (which
       * renegotiates its output alone), the word after the dither. */
      GstCaps *rate = c.format_rate > 0 ? gst_caps_new_simple ("audio/x-raw",
          "rate", G_TYPE_INT, c.format_rate, NULL) : gst_caps_new_any ();
      GstCaps *word = c.format_bits > 0 ? gst_caps_new_simple ("audio/x-raw",
          "format", G_TYPE_STRING, c.format_bits == 16 ? "S16LE" : "S24LE",
          NULL) : gst_caps_new_any ();
      set_caps_if_changed (self->rate, rate);
      set_caps_if_changed (self->format, word);
      gst_caps_unref (rate);
      gst_caps_unref (word);
    }
    guint written = seq;
    if ((seq = copy_settings (self, &c)) == written)
      break;
  }
  g_rec_mutex_unlock (&self->apply_lock);
}

/* Writes the band settings of @dynamics into the mbcomp child (from any
 * thread, no lock held: a child's property change notifies its
 * ancestors). Band properties set after it override it. "none" is one
 * neutral band, so the stage passes the audio bit for bit. */
static void
apply_dynamics (GstMstMaster * self, gint dynamics)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_MST_MASTER_DYNAMICS);
  GEnumValue *v = g_enum_get_value (klass, dynamics);
  MstMbcompSettings s;
  gboolean known = v && mst_mbcomp_settings_preset (&s, v->value_nick);

  g_type_class_unref (klass);
  if (!self->mbcomp || !known)
    return;
  if (dynamics == DYNAMICS_NONE)
    s.n_bands = 1;
  g_object_set (self->mbcomp, "num-bands", (guint) s.n_bands, "detector",
      s.detector, NULL);
  for (gint b = 0; b < MST_MBCOMP_MAX_BANDS; b++) {
    const MstMbcompBandSettings *band = &s.bands[b];
    gchar *name = g_strdup_printf ("band%d", b);
    GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY
        (self->mbcomp), name);
    g_free (name);
    if (!child)
      continue;
    g_object_set (child, "crossover", band->crossover_hz, "threshold",
        band->threshold_db, "ratio", band->ratio, "knee", band->knee_db,
        "attack", band->attack_ms, "release", band->release_ms, "makeup",
        band->makeup_db, NULL);
    g_object_unref (child);
  }
}

static gboolean relink_clean (GstMstMaster * self, guint flags);

static void
gst_mst_master_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMstMaster *self = GST_MST_MASTER (object);
  size_t n;
  const MstTarget *targets = mst_targets (&n);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TARGET:{
      const MstTarget *t = &targets[CLAMP (g_value_get_enum (value), 0,
              (gint) n - 1)];
      self->target = (gint) (t - targets);
      /* A target sets loudness and ceiling; set them after it to
       * override. */
      self->loudness = isfinite (t->loudness_lufs) ? t->loudness_lufs : NAN;
      self->loudness_set = FALSE;
      self->ceiling = t->ceiling_dbtp;
      self->normalize = isfinite (t->loudness_lufs);
      self->mono_below = t->mono_below_hz;
      break;
    }
    case PROP_MONO_BELOW:
      self->mono_below = g_value_get_double (value);
      break;
    case PROP_LOUDNESS:
      self->loudness = g_value_get_double (value);
      self->loudness_set = TRUE;
      self->normalize = TRUE;
      break;
    case PROP_CEILING:
      self->ceiling = g_value_get_double (value);
      break;
    case PROP_NORMALIZE:
      self->normalize = g_value_get_boolean (value);
      break;
    case PROP_DITHER:
      self->dither_choice = g_value_get_enum (value);
      break;
    case PROP_DYNAMICS:{
      gint dynamics = self->dynamics = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      apply_dynamics (self, dynamics);
      return;
    }
    case PROP_CLEAN:{
      guint flags = g_value_get_flags (value);
      gboolean stopped = GST_STATE (self) <= GST_STATE_READY
          && GST_STATE_PENDING (self) <= GST_STATE_READY
          && GST_STATE_NEXT (self) <= GST_STATE_READY;
      GST_OBJECT_UNLOCK (self);
      if (!stopped)
        GST_ELEMENT_WARNING (self, CORE, STATE_CHANGE,
            ("clean can only be set in the NULL or READY state: unchanged"),
            (NULL));
      else if (self->chain_ok && !relink_clean (self, flags))
        GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
            ("a clean-up element is missing: check the mastering plugin"),
            (NULL));
      else
        self->clean_flags = flags;
      return;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      GST_OBJECT_UNLOCK (self);
      return;
  }
  self->settings_seq++;
  GST_OBJECT_UNLOCK (self);
  apply_settings (self);
}

static void
gst_mst_master_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMstMaster *self = GST_MST_MASTER (object);
  size_t n;
  const MstTarget *targets = mst_targets (&n);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TARGET:
      g_value_set_enum (value, self->target);
      break;
    case PROP_LOUDNESS:{
      double l = self->loudness;
      if (!self->loudness_set && self->channels > 0)
        l = mst_target_loudness (&targets[self->target], self->channels);
      /* No loudness target (cd): reported as 0, with normalize off. */
      g_value_set_double (value, isfinite (l) ? l : 0.0);
      break;
    }
    case PROP_CEILING:
      g_value_set_double (value, self->ceiling);
      break;
    case PROP_NORMALIZE:
      g_value_set_boolean (value, self->normalize);
      break;
    case PROP_DYNAMICS:
      g_value_set_enum (value, self->dynamics);
      break;
    case PROP_MONO_BELOW:
      g_value_set_double (value, self->mono_below);
      break;
    case PROP_DITHER:
      g_value_set_enum (value, self->dither_choice);
      break;
    case PROP_CLEAN:
      g_value_set_flags (value, self->clean_flags);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The imager in the chain for stereo, out of it for the rest. Called in
 * the streaming thread with the CAPS event at the bin's sink pad, before
 * it reaches audioconvert: nothing flows past mbcomp meanwhile, and
 * audioconvert negotiates with what follows mbcomp then (it would turn
 * mono into stereo for the imager). */
static void
route_imager (GstMstMaster * self, gboolean stereo)
{
  if (!self->chain_ok || stereo == self->imager_linked)
    return;
  if (stereo) {
    gst_element_unlink (self->mbcomp, self->loudnorm);
    gst_element_link_many (self->mbcomp, self->imager, self->loudnorm, NULL);
  } else {
    gst_element_unlink_many (self->mbcomp, self->imager, self->loudnorm,
        NULL);
    gst_element_link (self->mbcomp, self->loudnorm);
  }
  self->imager_linked = stereo;
}

/* The audio info of a CAPS event in @info; FALSE for other events. */
static gboolean
caps_event_info (GstPadProbeInfo * info, GstAudioInfo * ainfo)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return FALSE;
  gst_event_parse_caps (event, &caps);
  return gst_audio_info_from_caps (ainfo, caps);
}

/* The channel count decides the loudness of targets that have a mono
 * figure (podcast), and whether the imager is in the chain. */
static GstPadProbeReturn
caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstMstMaster *self = GST_MST_MASTER (user_data);
  GstAudioInfo ainfo;
  (void) pad;

  if (caps_event_info (info, &ainfo)) {
    route_imager (self, GST_AUDIO_INFO_CHANNELS (&ainfo) == 2);
    GST_OBJECT_LOCK (self);
    self->channels = GST_AUDIO_INFO_CHANNELS (&ainfo);
    self->settings_seq++;
    GST_OBJECT_UNLOCK (self);
    apply_settings (self);
  }
  return GST_PAD_PROBE_OK;
}

/* The output's format (after the dither child) decides the dither's curve
 * (auto) and the margin kept under the ceiling for it. */
static GstPadProbeReturn
out_caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstMstMaster *self = GST_MST_MASTER (user_data);
  GstAudioInfo ainfo;
  (void) pad;

  if (caps_event_info (info, &ainfo)) {
    GST_OBJECT_LOCK (self);
    self->out_bits = GST_AUDIO_INFO_IS_INTEGER (&ainfo) ?
        GST_AUDIO_INFO_WIDTH (&ainfo) : 0;
    self->out_rate = GST_AUDIO_INFO_RATE (&ainfo);
    self->settings_seq++;
    GST_OBJECT_UNLOCK (self);
    apply_settings (self);
  }
  return GST_PAD_PROBE_OK;
}

/* Whether the chain can take @caps: audioconvert changes the sample format
 * and layout and downmixes positioned channels, but keeps the rate and
 * cannot map more than 8 unpositioned channels; the pack's elements take
 * what GST_MST_ALLOWED_CAPS says. */
static gboolean
chain_takes (GstCaps * caps)
{
  GstAudioInfo info;
  gboolean ok;

  if (!gst_audio_info_from_caps (&info, caps))
    return FALSE;
  gint channels = GST_AUDIO_INFO_CHANNELS (&info);
  if (!GST_AUDIO_INFO_IS_UNPOSITIONED (&info))
    channels = MIN (channels, 8);
  GstCaps *converted = gst_caps_new_simple ("audio/x-raw",
      "format", G_TYPE_STRING, "F32LE", "layout", G_TYPE_STRING, "interleaved",
      "rate", G_TYPE_INT, GST_AUDIO_INFO_RATE (&info),
      "channels", G_TYPE_INT, channels, NULL);
  GstCaps *allowed = gst_caps_from_string (GST_MST_ALLOWED_CAPS);
  ok = gst_caps_can_intersect (converted, allowed);
  gst_caps_unref (converted);
  gst_caps_unref (allowed);
  return ok;
}

/* The sink pad's queries; an ACCEPT_CAPS refused for fixed caps (a CAPS
 * event is checked this way before it arrives) is said on the bus with
 * what was offered and what is accepted, as the pack's elements do, rather
 * than left to end as a bare "not-negotiated". */
static gboolean
sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  gboolean ok = gst_pad_query_default (pad, parent, query);
  GstCaps *caps;
  gboolean accepted;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ACCEPT_CAPS)
    return ok;
  gst_query_parse_accept_caps (query, &caps);
  gst_query_parse_accept_caps_result (query, &accepted);
  accepted = ok && accepted && chain_takes (caps);
  gst_query_set_accept_caps_result (query, accepted);
  if (!accepted && gst_caps_is_fixed (caps)) {
    gchar *offered = gst_caps_to_string (caps);
    GST_ELEMENT_ERROR (parent, CORE, NEGOTIATION,
        ("master cannot process the audio it was given"),
        ("offered: %s; accepted: raw audio that audioconvert turns into "
            "%s (any sample format and layout; more than 8 channels only "
            "with positions, downmixed)", offered, GST_MST_ALLOWED_CAPS));
    g_free (offered);
  }
  return TRUE;
}

static GstElement *
make_child (GstMstMaster * self, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e) {
    GST_ERROR_OBJECT (self, "element '%s' is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (self), e);
  return e;
}

/* Puts the clean-up stages @flags names between the rate capsfilter and
 * eq, in mst_clean_stages' order, in place of those there (stopped elements
 * only: the stages change the latency and the children). FALSE when a
 * stage's element is missing (the others are linked). */
static gboolean
relink_clean (GstMstMaster * self, guint flags)
{
  GstElement *chain[MST_CLEAN_STAGES + 2], *prev;
  gboolean ok = TRUE;
  guint n = 0;

  chain[n++] = self->rate;
  for (guint i = 0; i < MST_CLEAN_STAGES; i++)
    if (self->clean[i])
      chain[n++] = self->clean[i];
  chain[n++] = self->eq;
  for (guint k = 0; k + 1 < n; k++)
    gst_element_unlink (chain[k], chain[k + 1]);
  for (guint i = 0; i < MST_CLEAN_STAGES; i++) {
    if (!self->clean[i])
      continue;
    gst_element_set_state (self->clean[i], GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), self->clean[i]);
    self->clean[i] = NULL;
  }
  prev = self->rate;
  for (guint i = 0; i < MST_CLEAN_STAGES; i++) {
    if (!(flags & (1u << i)))
      continue;
    GstElement *e = make_child (self, mst_clean_stages[i],
        mst_clean_stages[i]);
    if (!e) {
      ok = FALSE;
      continue;
    }
    gst_element_sync_state_with_parent (e);
    gst_element_link (prev, e);
    self->clean[i] = prev = e;
  }
  gst_element_link (prev, self->eq);
  return ok;
}

/* The chain, in order. Later stages (the de-esser) take their place here;
 * the children keep their names so the child proxy reaches them. The
 * resampler passes the audio untouched but for the cd target (or a
 * downstream that asks another rate), at its highest quality. */
static const struct
{
  const gchar *factory, *name;
  gsize offset;                 /* of the GstElement * in GstMstMaster */
} stages[] = {
  {"audioconvert", "convert", G_STRUCT_OFFSET (GstMstMaster, convert)},
  {"audioresample", "resample", G_STRUCT_OFFSET (GstMstMaster, resample)},
  {"capsfilter", "rate", G_STRUCT_OFFSET (GstMstMaster, rate)},
  {"eq", "eq", G_STRUCT_OFFSET (GstMstMaster, eq)},
  {"mbcomp", "mbcomp", G_STRUCT_OFFSET (GstMstMaster, mbcomp)},
  {"imager", "imager", G_STRUCT_OFFSET (GstMstMaster, imager)},
  {"loudnorm", "loudnorm", G_STRUCT_OFFSET (GstMstMaster, loudnorm)},
  {"limiter", "limiter", G_STRUCT_OFFSET (GstMstMaster, limiter)},
  {"dither", "dither", G_STRUCT_OFFSET (GstMstMaster, dither)},
  {"capsfilter", "format", G_STRUCT_OFFSET (GstMstMaster, format)},
};

static gboolean
build_chain (GstMstMaster * self)
{
  GstElement *prev = NULL;
  gboolean ok = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++) {
    GstElement *e = make_child (self, stages[i].factory, stages[i].name);
    G_STRUCT_MEMBER (GstElement *, self, stages[i].offset) = e;
    ok = ok && e && (!prev || gst_element_link (prev, e));
    prev = e;
  }
  self->imager_linked = ok;
  return ok;
}

static void
gst_mst_master_init (GstMstMaster * self)
{
  g_rec_mutex_init (&self->apply_lock);
  self->chain_ok = build_chain (self);

  GstPadTemplate *sink_tmpl = gst_static_pad_template_get (&sink_template);
  GstPadTemplate *src_tmpl = gst_static_pad_template_get (&src_template);
  if (self->chain_ok) {
    GstPad *pad = gst_element_get_static_pad (self->convert, "sink");
    self->sinkpad = gst_ghost_pad_new_from_template ("sink", pad, sink_tmpl);
    gst_object_unref (pad);
    g_object_set (self->resample, "quality", 10, NULL);
    pad = gst_element_get_static_pad (self->format, "src");
    self->srcpad = gst_ghost_pad_new_from_template ("src", pad, src_tmpl);
    gst_object_unref (pad);
    pad = gst_element_get_static_pad (self->dither, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        out_caps_probe, self, NULL);
    gst_object_unref (pad);
  } else {
    /* The bin still gets its pads, unlinked inside: it fails at
     * negotiation, with the error logged above. */
    self->sinkpad = gst_ghost_pad_new_no_target_from_template ("sink",
        sink_tmpl);
    self->srcpad = gst_ghost_pad_new_no_target_from_template ("src",
        src_tmpl);
  }
  gst_object_unref (sink_tmpl);
  gst_object_unref (src_tmpl);
  gst_pad_add_probe (self->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      caps_probe, self, NULL);
  gst_pad_set_query_function (self->sinkpad, sink_query);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  size_t n;
  const MstTarget *t = mst_targets (&n);
  self->target = DEFAULT_TARGET;
  self->loudness = t[DEFAULT_TARGET].loudness_lufs;
  self->ceiling = t[DEFAULT_TARGET].ceiling_dbtp;
  self->normalize = TRUE;
  self->mono_below = t[DEFAULT_TARGET].mono_below_hz;
  self->dither_choice = DITHER_AUTO;
  self->format_target = -1;
  apply_settings (self);
  self->dynamics = DYNAMICS_NONE;
  apply_dynamics (self, self->dynamics);
}

static void
gst_mst_master_finalize (GObject * object)
{
  GstMstMaster *self = GST_MST_MASTER (object);

  g_rec_mutex_clear (&self->apply_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GstStateChangeReturn
gst_mst_master_change_state (GstElement * element, GstStateChange transition)
{
  GstMstMaster *self = GST_MST_MASTER (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !self->chain_ok) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The master bin needs audioconvert, audioresample, eq, mbcomp, "
            "imager, loudnorm, limiter, dither and capsfilter"),
        ("an element is missing: check the mastering plugin and "
            "gst-plugins-base"));
    return GST_STATE_CHANGE_FAILURE;
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element,
      transition);
}

/* The target property's blurb with the figures of the core's table:
 * "streaming -14 LUFS / -1 dBTP, apple-music -16 / -1, ...". Built once,
 * kept for the process' life as the param spec's static string. */
static const gchar *
target_blurb (void)
{
  size_t n;
  const MstTarget *t = mst_targets (&n);
  GString *s = g_string_new ("Delivery target: sets loudness, ceiling "
      "and mono-below (set those after it to override): ");

  for (size_t i = 0; i < n; i++) {
    g_string_append_printf (s, "%s%s ", i ? ", " : "", t[i].name);
    if (!isfinite (t[i].loudness_lufs))
      g_string_append_printf (s, "no loudness target / %g dBTP",
          t[i].ceiling_dbtp);
    else if (i == 0)
      g_string_append_printf (s, "%g LUFS / %g dBTP", t[i].loudness_lufs,
          t[i].ceiling_dbtp);
    else
      g_string_append_printf (s, "%g / %g", t[i].loudness_lufs,
          t[i].ceiling_dbtp);
    if (isfinite (t[i].mono_loudness_lufs)
        && t[i].mono_loudness_lufs != t[i].loudness_lufs)
      g_string_append_printf (s, " (%g LUFS for mono)",
          t[i].mono_loudness_lufs);
    if (t[i].mono_below_hz > 0)
      g_string_append_printf (s, " (mono below %g Hz%s)", t[i].mono_below_hz,
          t[i].check_stereo ? ", a warning when the correlation of a 400 ms "
          "interval goes below 0" : "");
  }
  return g_string_free (s, FALSE);
}

static void
gst_mst_master_class_init (GstMstMasterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;
  size_t n;
  const MstTarget *t = mst_targets (&n);

  gobject_class->set_property = gst_mst_master_set_property;
  gobject_class->get_property = gst_mst_master_get_property;
  gobject_class->finalize = gst_mst_master_finalize;
  element_class->change_state = gst_mst_master_change_state;

  g_object_class_install_property (gobject_class, PROP_TARGET,
      g_param_spec_enum ("target", "Target", target_blurb (),
          GST_TYPE_MST_MASTER_TARGET, DEFAULT_TARGET, flags));
  g_object_class_install_property (gobject_class, PROP_LOUDNESS,
      g_param_spec_double ("loudness", "Loudness (LUFS)",
          "Integrated loudness the live normaliser (child loudnorm) brings "
          "the programme to, in LUFS (ITU-R BS.1770-4); setting it turns "
          "normalize on", -70.0, 0.0, t[DEFAULT_TARGET].loudness_lufs,
          flags));
  g_object_class_install_property (gobject_class, PROP_CEILING,
      g_param_spec_double ("ceiling", "Ceiling (dBTP)",
          "Highest output true peak in dBTP, held by the child limiter",
          -40.0, 0.0, t[DEFAULT_TARGET].ceiling_dbtp, flags));
  g_object_class_install_property (gobject_class, PROP_NORMALIZE,
      g_param_spec_boolean ("normalize", "Normalize",
          "Bring the loudness to the target live (child loudnorm in live "
          "mode); off: unity gain into the ceiling (the cd target, or a file "
          "normalised in two passes by gst-master)", TRUE, flags));
  g_object_class_install_property (gobject_class, PROP_DYNAMICS,
      g_param_spec_enum ("dynamics", "Dynamics",
          "Band settings of the child mbcomp (multiband compressor, attack "
          "and release one-pole time constants: 63 % of the gain change at "
          "T): none (one neutral band, bit-exact), gentle or glue (4 bands "
          "at 120 Hz, 1 kHz, 5 kHz; docs/elements/mbcomp.md); mbcomp::bandN "
          "properties set after it override it",
          GST_TYPE_MST_MASTER_DYNAMICS, DYNAMICS_NONE, flags));
  g_object_class_install_property (gobject_class, PROP_MONO_BELOW,
      g_param_spec_double ("mono-below", "Mono below (Hz)",
          "The child imager's mono-below: the side removed below this "
          "frequency in Hz, the mid untouched (stereo streams); 0 = off; "
          "set by the target (150 for vinyl), set it after to override",
          0.0, MST_IMAGER_MAX_MONO_HZ, t[DEFAULT_TARGET].mono_below_hz,
          flags));
  g_object_class_install_property (gobject_class, PROP_DITHER,
      g_param_spec_enum ("dither", "Dither",
          "The child dither, last, after the limiter, when the output is "
          "integers (the cd target's 16 bits, or what downstream asks; "
          "float passes untouched): auto (f-weighted at 16 bits, flat TPDF "
          "above), off (plain rounding), flat, lipshitz, f-weighted, high; "
          "the limiter's ceiling is lowered by twice the dither's largest "
          "error so the output's true peak stays under the ceiling",
          GST_TYPE_MST_MASTER_DITHER, DITHER_AUTO, flags));
  g_object_class_install_property (gobject_class, PROP_CLEAN,
      g_param_spec_flags ("clean", "Clean-up",
          "Clean-up stages at the head of the chain, before eq, in this "
          "order whatever the order named: declip, declick, dehum, denoise "
          "(clean=declick+denoise); children named after their element "
          "(denoise::reduction=12); set in the NULL or READY state",
          GST_TYPE_MST_MASTER_CLEAN, 0, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Mastering chain", "Filter/Effect/Audio/Bin",
      "The mastering chain in one element: audioconvert, audioresample, "
      "the clean-up stages chosen (declip, declick, dehum, denoise), eq, "
      "mbcomp (multiband compressor), imager (stereo; neutral unless "
      "mono-below or imager::width are set), loudnorm (live loudness "
      "normalisation), the true-peak limiter and dither, for a delivery "
      "target; children reachable by name (eq::band0::gain, "
      "mbcomp::band1::ratio, imager::width, limiter::ceiling, "
      "dither::noise-shaping)",
      "mastering developers");
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MASTER_TARGET, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MASTER_DYNAMICS, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MASTER_DITHER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MST_MASTER_CLEAN, 0);
  (void) n;
}
