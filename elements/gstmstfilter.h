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
 *   from the last one applied (never computing under the lock);
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
   * core. */
  void (*apply) (GstMstFilter * self, gconstpointer settings);
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstFilter, gst_object_unref)

G_END_DECLS
#endif
