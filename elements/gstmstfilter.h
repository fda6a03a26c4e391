/* mastering: GstMstFilter, the base of every element of the pack that
 * filters one stream in place (eq, loudmeter), and the parent of
 * GstMstDelayFilter (the elements whose core delays the audio). */
#ifndef GST_MST_FILTER_H
#define GST_MST_FILTER_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-core.h"
#include "gstmstsettings.h"
#include "gstmsttimeline.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_FILTER (gst_mst_filter_get_type ())
#define GST_MST_FILTER(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), \
      GST_TYPE_MST_FILTER, GstMstFilter))
#define GST_MST_FILTER_CLASS(klass) (G_TYPE_CHECK_CLASS_CAST ((klass), \
      GST_TYPE_MST_FILTER, GstMstFilterClass))
#define GST_MST_FILTER_GET_CLASS(obj) (G_TYPE_INSTANCE_GET_CLASS ((obj), \
      GST_TYPE_MST_FILTER, GstMstFilterClass))

typedef struct _GstMstFilter GstMstFilter;
typedef struct _GstMstFilterClass GstMstFilterClass;

/* In-place processing of @n_frames interleaved frames (F32 or F64, as
 * negotiated: the base picks the subclass's process_f32 or process_f64
 * once, at setup). */
typedef MstResult (*GstMstFilterProcess) (GstMstFilter * self,
    gpointer frames, gsize n_frames);

/* Processing of @n_frames interleaved frames of the negotiated input into
 * @out, in the src pad's format (a format-changing element:
 * gst_mst_filter_class_set_src_formats); @in NULL: silence (a GAP). */
typedef MstResult (*GstMstFilterProcessTo) (GstMstFilter * self,
    gconstpointer in, gsize n_frames, gpointer out);

/* One property of a settings struct: where it lies and its C type
 * (G_TYPE_DOUBLE: double, G_TYPE_BOOLEAN: bool, G_TYPE_ENUM: an enum,
 * G_TYPE_INT: int, G_TYPE_UINT64: guint64). */
typedef struct
{
  gsize offset;
  GType type;
} GstMstField;

/**
 * GstMstFilterClass:
 *
 * The base does what every element of the pack does alike:
 * - caps: the pack's formats, refusal of the others with a NEGOTIATION
 *   error naming what is accepted; the core configured at setup, "out of
 *   memory" said as such;
 * - settings: the subclass keeps its settings struct in its instance
 *   (@settings_offset, @settings_size) and writes it under
 *   GST_OBJECT_LOCK from set_property; the streaming thread copies it under
 *   the lock once per piece and hands the copy to @apply when it differs
 *   from the last one applied (never computing under the lock). A
 *   combination the core refuses is warned about and set back to the last
 *   accepted one: a property reads back what it was set to until the next
 *   piece tries it (at setup when the element is not yet streaming), then
 *   the value in use;
 * - automation: controlled properties synced every @control_frames at the
 *   stream time of the piece, then applied;
 * - format dispatch: one pointer chosen at setup;
 * - non-finite input: a rise of the core's count becomes one warning per
 *   stream;
 * - resets: @reset at FLUSH_STOP, on a DISCONT buffer (at STREAM_START
 *   instead for a core that @measures_programme), at setup (caps) and
 *   stop;
 * - GAP buffers are processed as the silence they stand for (a filter's
 *   tail rings on through them) and go out without the GAP flag;
 * - interval messages: when @message_name is set, a message of that name
 *   every "interval" ns of output (pieces end at the boundaries), and a
 *   last one at EOS with "final" TRUE;
 * - format change (gst_mst_filter_class_set_src_formats): the src pad
 *   carries other formats (a word-length reducer: integers), chosen by
 *   downstream; the sink's float format itself is also offered, and passes
 *   untouched (nothing to reduce). @process_to then writes the src format
 *   from the input, @out_info says which.
 *
 * The vfuncs other than @configure run only once @configure succeeded, in
 * the streaming thread, with no lock held.
 */
struct _GstMstFilterClass
{
  GstAudioFilterClass parent_class;

  /* Name of the interval message's structure; NULL: no messages. */
  const gchar *message_name;
  /* Automation sampled every this many frames (GST_MST_CONTROL_FRAMES by
   * default); 0: once per buffer. */
  gsize control_frames;
  /* The core measures a programme (a meter): @reset restarts the
   * measurement at a new stream (STREAM_START) and at FLUSH_STOP, but not
   * at a DISCONT (a packet lost in a live feed must not restart its
   * loudness). FALSE (the default): @reset clears a filter's history at
   * FLUSH_STOP and DISCONT, never at STREAM_START (gapless tracks ring on
   * into each other). */
  gboolean measures_programme;
  /* Where the subclass's settings struct lies in its instance, and its
   * size (0: no settings to copy; @apply then gets NULL). */
  gsize settings_offset, settings_size;

  /* For setup: the core configured for @info. */
  MstResult (*configure) (GstMstFilter * self, const GstAudioInfo * info);
  /* A snapshot of the settings (the struct at @settings_offset) into the
   * core; the core's result. A refusal (not MST_OK) is warned about, the
   * settings set back to the last accepted ones
   * (gst_mst_settings_snapshot_done). */
  MstResult (*apply) (GstMstFilter * self, gconstpointer settings);
  /* What the core requires of the settings beyond each property's range,
   * said in a refusal's warning (NULL: nothing known). */
  const gchar *refusal_hint;
  /* The properties' fields (gst_mst_filter_class_set_fields), or NULL. */
  const GstMstField *fields;
  guint n_fields;
  /* Syncs the controlled properties at @stream_time (default:
   * gst_object_sync_values on the element; an element with child objects
   * syncs those too). */
  void (*sync_values) (GstMstFilter * self, GstClockTime stream_time);
  /* In-place processing (not called by GstMstDelayFilter). */
  GstMstFilterProcess process_f32, process_f64;
  /* A format-changing element's processing (instead of process_f32/_f64;
   * NULL for the others). */
  GstMstFilterProcessTo process_to_f32, process_to_f64;
  /* The src pad's formats other than the sink's, as caps text ("S16LE,
   * S24LE, S32LE"); NULL: in place, the sink's format. */
  const gchar *src_formats;
  /* A core whose output outlasts its input (a reverb's or an echo's
   * tail): at EOS, up to @max_frames more frames (silence in) into @out,
   * in the src format; returns how many, 0 once the tail is over. The
   * base pushes them before the EOS, their timestamps continuing the
   * stream's. NULL: no tail. */
  gsize (*tail_to_f32) (GstMstFilter * self, gpointer out, gsize max_frames);
  gsize (*tail_to_f64) (GstMstFilter * self, gpointer out, gsize max_frames);
  /* TRUE when the core would leave the audio bit-exact: the buffer then
   * goes through untouched, not even made writable (may be NULL). */
  gboolean (*is_passthrough) (GstMstFilter * self);
  /* Non-finite samples seen by the core since configure. */
  guint64 (*get_nonfinite_count) (GstMstFilter * self);
  /* Filter history and envelopes cleared, a meter's measurement restarted
   * (may be NULL: nothing to clear). */
  void (*reset) (GstMstFilter * self);
  /* At the end of an interval: takes the core's figures, updates the
   * read-only properties, and adds the figures to @s (NULL when no message
   * is posted). */
  void (*read_status) (GstMstFilter * self, GstStructure * s);
  /* At finalize: the core freed. */
  void (*destroy) (GstMstFilter * self);
};

struct _GstMstFilter
{
  GstAudioFilter parent;

  /* < protected > */
  /* Settings of the interval messages, under GST_OBJECT_LOCK. */
  GstMstMessageSettings messages;
  /* Negotiated sample width, and whether the core is configured for it. */
  MstFormat format;
  gboolean configured;
  GstMstTimeline timeline;

  /* < private > */
  GstMstFilterProcess process;
  GstMstFilterProcessTo process_to;
  GstMstSettingsSnapshot snapshot;
  /* Automation is followed within the current buffer. */
  gboolean controlled;
  gsize nonfinite_seen;
  gboolean warned_nonfinite;
  /* < protected > */
  /* End of the output so far (the final message's timestamp); the stream
   * is ending (a delaying subclass drains), and its last message went. */
  GstClockTime last_end;
  gboolean at_eos, final_posted;
  /* The src pad's format (the sink's but for a format-changing element),
   * known before @configure runs. */
  GstAudioInfo out_info;
};

GType gst_mst_filter_get_type (void);

/* At the start of a buffer of timestamp @pts: automation synced and the
 * settings applied, the message interval read. TRUE when automation is to
 * be followed within the buffer (gst_mst_filter_sync_at every
 * control_frames). */
gboolean gst_mst_filter_begin_buffer (GstMstFilter * self, GstClockTime pts);

/* Syncs automation at frame @frame of the buffer of timestamp @pts. */
void gst_mst_filter_sync_at (GstMstFilter * self, GstClockTime pts,
    gsize frame);

/* Posts the interval message ending at @end_ts (no lock held); @final for
 * the last one of a stream. */
void gst_mst_filter_post_status (GstMstFilter * self, GstClockTime end_ts,
    GstClockTime duration, gboolean final);

/* The warning for a rise in the core's non-finite count, once per stream. */
void gst_mst_filter_check_nonfinite (GstMstFilter * self);

/* In a subclass's class_init: the element changes the format, its src pad
 * carries @formats (caps text, "S16LE, S24LE, S32LE") or the sink's own
 * float format (passed untouched), downstream choosing; the subclass sets
 * process_to_f32/_f64 instead of process_f32/_f64. */
void gst_mst_filter_class_set_src_formats (GstMstFilterClass * klass,
    const gchar * formats);

/* In a subclass's class_init: the element takes one or two channels and
 * gives two (a panner), in the sink's float format; the subclass sets
 * process_to_f32/_f64, which write stereo frames from the input's. A
 * stereo input may go through untouched when is_passthrough says so. */
void gst_mst_filter_class_set_stereo_out (GstMstFilterClass * klass);
/* The vfuncs every base's subclass hands to its core @ns (mst_x_...) held
 * in CAST (base)->core: core_get_nonfinite_count, core_reset and
 * core_destroy. */
#define GST_MST_FILTER_DEFINE_CORE_STATE_VFUNCS(CAST, ns) \
static guint64 \
core_get_nonfinite_count (GstMstFilter * base) \
{ \
  return ns##_get_nonfinite_count (CAST (base)->core); \
} \
static void \
core_reset (GstMstFilter * base) \
{ \
  ns##_reset (CAST (base)->core); \
} \
static void \
core_destroy (GstMstFilter * base) \
{ \
  ns##_destroy (&CAST (base)->core); \
}

/* Those and the ones of an in-place core: core_is_passthrough and
 * core_process_f32/_f64, for a subclass's class_init. */
#define GST_MST_FILTER_DEFINE_CORE_VFUNCS(CAST, ns) \
GST_MST_FILTER_DEFINE_CORE_STATE_VFUNCS (CAST, ns) \
static gboolean \
core_is_passthrough (GstMstFilter * base) \
{ \
  return ns##_is_passthrough (CAST (base)->core); \
} \
static MstResult \
core_process_f32 (GstMstFilter * base, gpointer frames, gsize n_frames) \
{ \
  return ns##_process_f32 (CAST (base)->core, frames, n_frames); \
} \
static MstResult \
core_process_f64 (GstMstFilter * base, gpointer frames, gsize n_frames) \
{ \
  return ns##_process_f64 (CAST (base)->core, frames, n_frames); \
}

/* core_apply, the apply vfunc of a subclass whose core (prefix @ns, in
 * the instance's field `core`) takes the settings struct: ns_set's
 * result. */
#define GST_MST_FILTER_DEFINE_CORE_APPLY(CAST, ns) \
static MstResult \
core_apply (GstMstFilter * base, gconstpointer settings) \
{ \
  return ns##_set (CAST (base)->core, settings); \
}

/* In a stereo-out subclass whose instance has a field `core` for the core
 * of prefix @ns (ns_configure (core, rate, channels), ns_set,
 * ns_process_f32/_f64 (core, in, n, out), ns_get_nonfinite_count,
 * ns_reset, ns_destroy, as mst-pan.h): the vfuncs that only call the
 * core, and stereo_bind_core (klass), which makes the class stereo-out and
 * sets them. @CAST casts a GstMstFilter to the subclass. */
#define GST_MST_FILTER_DEFINE_STEREO_CORE_VFUNCS(CAST, ns) \
static MstResult \
core_configure (GstMstFilter * base, const GstAudioInfo * info) \
{ \
  if (!CAST (base)->core) \
    return MST_ERR_NOMEM; \
  return ns##_configure (CAST (base)->core, GST_AUDIO_INFO_RATE (info), \
      GST_AUDIO_INFO_CHANNELS (info)); \
} \
GST_MST_FILTER_DEFINE_CORE_APPLY (CAST, ns) \
static MstResult \
core_process_f32 (GstMstFilter * base, gconstpointer in, gsize n, \
    gpointer out) \
{ \
  return ns##_process_f32 (CAST (base)->core, in, n, out); \
} \
static MstResult \
core_process_f64 (GstMstFilter * base, gconstpointer in, gsize n, \
    gpointer out) \
{ \
  return ns##_process_f64 (CAST (base)->core, in, n, out); \
} \
GST_MST_FILTER_DEFINE_CORE_STATE_VFUNCS (CAST, ns) \
static void \
stereo_bind_core (GstMstFilterClass * klass) \
{ \
  gst_mst_filter_class_set_stereo_out (klass); \
  klass->configure = GST_DEBUG_FUNCPTR (core_configure); \
  klass->apply = GST_DEBUG_FUNCPTR (core_apply); \
  klass->process_to_f32 = GST_DEBUG_FUNCPTR (core_process_f32); \
  klass->process_to_f64 = GST_DEBUG_FUNCPTR (core_process_f64); \
  klass->get_nonfinite_count = GST_DEBUG_FUNCPTR (core_get_nonfinite_count); \
  klass->reset = GST_DEBUG_FUNCPTR (core_reset); \
  klass->destroy = GST_DEBUG_FUNCPTR (core_destroy); \
}

/* Those of a stereo-out core with a tail (ns_drain_f32/_f64 (core, out,
 * max, &n), ns_is_passthrough, as mst-reverb.h), and filter_bind_core
 * (klass), which sets them all. */
#define GST_MST_FILTER_DEFINE_TAIL_CORE_VFUNCS(CAST, ns) \
GST_MST_FILTER_DEFINE_STEREO_CORE_VFUNCS (CAST, ns) \
static gsize \
core_tail_f32 (GstMstFilter * base, gpointer out, gsize max_frames) \
{ \
  gsize n = 0; \
  ns##_drain_f32 (CAST (base)->core, out, max_frames, &n); \
  return n; \
} \
static gsize \
core_tail_f64 (GstMstFilter * base, gpointer out, gsize max_frames) \
{ \
  gsize n = 0; \
  ns##_drain_f64 (CAST (base)->core, out, max_frames, &n); \
  return n; \
} \
static gboolean \
core_is_passthrough (GstMstFilter * base) \
{ \
  return ns##_is_passthrough (CAST (base)->core); \
} \
static void \
filter_bind_core (GstMstFilterClass * klass) \
{ \
  stereo_bind_core (klass); \
  klass->tail_to_f32 = GST_DEBUG_FUNCPTR (core_tail_f32); \
  klass->tail_to_f64 = GST_DEBUG_FUNCPTR (core_tail_f64); \
  klass->is_passthrough = GST_DEBUG_FUNCPTR (core_is_passthrough); \
}

/* set_property / get_property of properties 1 .. @n_fields, each the
 * field @fields[prop_id - 1] of the settings struct at @settings in the
 * instance, under the object lock; FALSE for an id beyond them. */
gboolean gst_mst_filter_set_field (GObject * object, gpointer settings,
    const GstMstField * fields, guint n_fields, guint prop_id,
    const GValue * value);
gboolean gst_mst_filter_get_field (GObject * object, gpointer settings,
    const GstMstField * fields, guint n_fields, guint prop_id,
    GValue * value);

/* In a subclass's class_init: its properties 1 .. @n_fields are the
 * @fields, at offsets in the instance (G_STRUCT_OFFSET (GstMstX,
 * settings.field); a read-only one may lie outside the settings), and the
 * others the interval message's (gst_mst_install_message_properties): the
 * base's set_property and get_property serve them all, under the object
 * lock. */
void gst_mst_filter_class_set_fields (GstMstFilterClass * klass,
    const GstMstField * fields, guint n_fields);

/* A controllable double property (GST_PARAM_MUTABLE_PLAYING). */
void gst_mst_filter_install_double (GObjectClass * gobject_class,
    guint prop_id, const gchar * name, const gchar * nick,
    const gchar * blurb, gdouble min, gdouble max, gdouble def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstFilter, gst_object_unref)

G_END_DECLS
#endif
