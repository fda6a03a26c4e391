/* mastering: GstMstTwoInput, the abstract base of the elements with a key
 * input beside the audio they process (the compressor's sidechain, later
 * the mix bus). */
#ifndef GST_MST_TWO_INPUT_H
#define GST_MST_TWO_INPUT_H

#include <gst/gst.h>
#include <gst/base/gstaggregator.h>
#include <gst/audio/audio.h>

#include "mst-core.h"
#include "gstmstsettings.h"
#include "gstmsttimeline.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_TWO_INPUT (gst_mst_two_input_get_type ())
#define GST_MST_TWO_INPUT(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), \
      GST_TYPE_MST_TWO_INPUT, GstMstTwoInput))
#define GST_MST_TWO_INPUT_CLASS(klass) (G_TYPE_CHECK_CLASS_CAST ((klass), \
      GST_TYPE_MST_TWO_INPUT, GstMstTwoInputClass))
#define GST_IS_MST_TWO_INPUT(obj) (G_TYPE_CHECK_INSTANCE_TYPE ((obj), \
      GST_TYPE_MST_TWO_INPUT))
#define GST_MST_TWO_INPUT_GET_CLASS(obj) (G_TYPE_INSTANCE_GET_CLASS ((obj), \
      GST_TYPE_MST_TWO_INPUT, GstMstTwoInputClass))

typedef struct _GstMstTwoInput GstMstTwoInput;
typedef struct _GstMstTwoInputClass GstMstTwoInputClass;

/* Longest run of frames handed to process at once (the silent key is a
 * block of zeros this long). */
#define GST_MST_TWO_INPUT_MAX_RUN 1024

/* Processing of @n_frames interleaved main frames in place under their
 * @key (interleaved with the key's channels, read only; NULL when there is
 * no sidechain: the key is @main itself as it comes in), F32 or F64 as
 * negotiated: the base picks process_f32 or process_f64 once, at
 * configure. The output frames go to the start of @main, their count to
 * *@n_out: @n_frames for an in-place subclass; fewer while a delaying one
 * (with @drain_f32) fills its delay line. */
typedef MstResult (*GstMstTwoInputProcess) (GstMstTwoInput * self,
    gpointer main, gconstpointer key, gsize n_frames, gsize * n_out);
/* The frames a delaying subclass still holds, into @out (room for
 * @get_pending frames), the key read as silence; the core reset. */
typedef MstResult (*GstMstTwoInputDrain) (GstMstTwoInput * self,
    gpointer out, gsize * n_out);

/**
 * GstMstTwoInputClass:
 *
 * Pads: `sink` (always), the main input: it drives the output's caps,
 * segment and timestamps, and every one of its frames comes out, processed
 * in place, one output buffer per input buffer. `sidechain` (request, so
 * `compressor name=c ! … other ! c.sidechain` asks for it): the key, the
 * main's rate and sample format, 1 to 8 channels. `src`.
 *
 * Timing policy (docs/blocks/two-input.md):
 * - The key frame of main frame i is the sidechain frame at the same
 *   running time, to the frame: a sidechain that starts later is preceded
 *   by silence, one that starts earlier is trimmed; a gap between its
 *   buffers is silence, and so are its GAP buffers.
 * - No `sidechain` pad (never requested, released, or not linked): the key
 *   is the main input itself (@process gets NULL). Not live, a requested
 *   pad is waited for even while unlinked: release it to use the internal
 *   key.
 * - Not live: the base waits for the sidechain to cover each main frame (or
 *   reach EOS); no main frame is ever dropped.
 * - Live: a sidechain late by more than the aggregator's latency does not
 *   hold the main: the missing key frames are silence, counted in
 *   "missing-key-frames", with one warning per stream; its frames that
 *   come after their time are dropped.
 * - Sidechain EOS before the main: the key is silence for the rest; the
 *   main goes on to its own EOS. Main EOS: EOS out, whatever the sidechain
 *   still holds is dropped.
 * - The sidechain's caps query offers the main's rate and format first
 *   (before the main's caps, its upstream's when fixed). A sidechain that
 *   negotiated another rate or format anyway is asked to negotiate again
 *   when its upstream accepts the main's (silence meanwhile, counted as
 *   missing, a second at most); otherwise it is refused with a NEGOTIATION
 *   error ("put audioresample in front of the sidechain").
 * - Resets (the subclass's @reset, the alignment, the counters) on
 *   FLUSH_STOP and stop; @reset on a DISCONT main buffer; @configure again
 *   on caps on either pad.
 * - Latency: the subclass's (@get_latency) is added to upstream's in the
 *   LATENCY query (gst_aggregator_set_latency()), on top of the
 *   aggregator's own "latency" property (its live timeout).
 * - A delaying subclass (@drain_f32 set, @get_latency > 0): output frame i
 *   is main frame i, with its timestamp (output timestamps continue the
 *   main's from its first buffer, as GstMstDelayFilter's); fewer frames
 *   come out while the delay line fills, and what it holds goes out at the
 *   main's EOS, before a new SEGMENT and before a DISCONT main buffer
 *   (the key silent): as many frames out as in.
 *
 * Settings, automation, dispatch, the non-finite warning and the interval
 * messages work as in GstMstFilter (the one-input base), so a subclass of
 * either is written the same way. The subclass owns its core and
 * properties and writes only what touches them. Every vfunc but @configure
 * is called once @configure succeeded; all run in the streaming thread with
 * no lock held.
 */
struct _GstMstTwoInputClass
{
  GstAggregatorClass parent_class;

  /* Name of the interval message's structure; NULL: no messages. A message
   * every "interval" ns of output (runs end at the boundaries), a last one
   * at the main's EOS with "final" TRUE. */
  const gchar *message_name;
  /* Automation sampled every this many frames
   * (GST_MST_CONTROL_FRAMES by default); 0: once per buffer. */
  gsize control_frames;
  /* Where the subclass's settings struct lies in its instance, and its
   * size (0: no settings to copy; @apply then gets NULL). The subclass
   * writes it under GST_OBJECT_LOCK from set_property; the streaming
   * thread copies it under the lock once per run and hands the copy to
   * @apply when it differs from the last one applied. */
  gsize settings_offset, settings_size;

  /* The core configured for the main's and the key's format (same rate and
   * sample format, the key's channels may differ); MST_ERR_NOMEM is
   * reported as such, any other error as a refused format. */
  MstResult (*configure) (GstMstTwoInput * self, const GstAudioInfo * main,
      const GstAudioInfo * key);
  /* A snapshot of the settings (the struct at @settings_offset) into the
   * core; the core's result. A refusal (not MST_OK) is warned about, the
   * settings set back to the last accepted ones, which the properties then
   * read back (gst_mst_settings_snapshot_done). */
  MstResult (*apply) (GstMstTwoInput * self, gconstpointer settings);
  /* What the core requires of the settings beyond each property's range,
   * said in a refusal's warning (NULL: nothing known). */
  const gchar *refusal_hint;
  /* Syncs the controlled properties at @stream_time of the main (default:
   * gst_object_sync_values on the element). */
  void (*sync_values) (GstMstTwoInput * self, GstClockTime stream_time);
  /* At most GST_MST_TWO_INPUT_MAX_RUN frames a call; the key is the main
   * itself (a copy taken before processing) when there is no sidechain. */
  GstMstTwoInputProcess process_f32, process_f64;
  /* Latency of the core, in frames (read after @configure). */
  gsize (*get_latency) (GstMstTwoInput * self);
  /* A delaying subclass only (NULL otherwise): the frames its core holds,
   * and their drain. */
  gsize (*get_pending) (GstMstTwoInput * self);
  GstMstTwoInputDrain drain_f32, drain_f64;
  /* Whether @configure for these formats would clear what the core holds
   * (NULL: always). A delaying core's frames then go out first, drained,
   * when the key's source or format changes in the middle of a stream. */
  gboolean (*configure_resets) (GstMstTwoInput * self,
      const GstAudioInfo * main, const GstAudioInfo * key);
  /* Non-finite samples seen by the core since configure (may be NULL). */
  guint64 (*get_nonfinite_count) (GstMstTwoInput * self);
  /* All state cleared, smoothers at their targets (may be NULL). */
  void (*reset) (GstMstTwoInput * self);
  /* At the end of an interval: takes the core's figures (and restarts
   * their maxima), updates read-only properties, and adds the figures to
   * @s (NULL when no message is posted). */
  void (*read_status) (GstMstTwoInput * self, GstStructure * s);
  /* At finalize: the core freed (may be NULL). */
  void (*destroy) (GstMstTwoInput * self);
};

struct _GstMstTwoInput
{
  GstAggregator parent;

  /* < protected > */
  /* Settings, under GST_OBJECT_LOCK; a subclass with a @message_name
   * installs the properties (gst_mst_install_message_properties()). */
  GstMstMessageSettings messages;
  /* Negotiated sample width, and whether the core is configured for it. */
  MstFormat format;
  gboolean configured;

  /* < private > */
  GstAggregatorPad *main_pad;
  /* The direct path (gstmsttwoinput.c, main_chain): the aggregator's
   * chain function of the main pad; items of the main (buffers, serialized
   * events) in the aggregator's queue (atomic; decreased under
   * direct_lock, with direct_cond broadcast); whether the direct path may
   * be taken (atomic; no after a flush until the element starts again).
   * direct_lock is held by aggregate and by the direct path, never both. */
  GstPadChainFunction aggregator_chain;
  gint main_queued, direct_allowed;
  /* The main pad's "emit-signals" (atomic): the direct path emits
   * "buffer-consumed" too. */
  gint emit_consumed;
  GMutex direct_lock;
  GCond direct_cond;
  /* The base set the "latency" property to let a non-live upstream run
   * ahead (allow_queue). */
  gboolean queue_allowed;
  /* NULL without the request pad (under GST_OBJECT_LOCK). */
  GstAggregatorPad *sidechain_pad;
  /* The main's rate and format for the sidechain's caps query (under
   * GST_OBJECT_LOCK): NULL before the main's caps. */
  GstCaps *preferred_key_caps;

  /* The key's caps as the sidechain sent them: used when they match the
   * main's rate and format (renegotiation asked otherwise). */
  GstAudioInfo main_info, key_info;
  gboolean have_main_info, have_key_info, key_matches;
  guint64 stale_frames;
  gboolean need_configure;
  /* The core's key has the sidechain's format (else the main's), its
   * bytes per frame. */
  gboolean key_is_sidechain;
  gsize key_bpf;
  GstFlowReturn refused;
  GstMstTwoInputProcess process;
  /* A delaying subclass with latency: output timestamps from the timeline;
   * the frames of the current output buffer written so far. */
  gboolean delaying;
  gsize out_done;
  /* Set from any thread (gst_mst_two_input_request_configure), taken by
   * the streaming thread before the next main buffer. */
  gint configure_requested;
  /* The subclass's latency in frames, for the LATENCY query (atomic). */
  gint latency_frames;
  GstMstSettingsSnapshot snapshot;
  /* Automation is followed within the current main buffer. */
  gboolean controlled;

  /* The main buffer being processed (a ref; it stays at the head of the
   * pad's queue until done), its output, how many of its frames are out,
   * and the running time of its frame 0, in frames. */
  GstBuffer *main_buf;
  GstBuffer *out_buf;
  /* main_buf is out_buf (the direct path's buffer, processed in place, or
   * its copy), not a reference of its own; the main buffer's PTS. */
  gboolean main_owned;
  GstClockTime main_pts;
  GstMapInfo out_map;
  gsize main_frames, main_done;
  gint64 main_start;
  /* Where the next main buffer starts when it has no PTS. */
  gint64 main_next;

  /* The sidechain buffer at the head of its queue (a ref), where it
   * starts, its length, the frames of it already used (all in main-rate
   * frames), where the next one starts when it has no PTS. */
  GstBuffer *key_buf;
  gint64 key_start;
  gsize key_frames, key_done;
  gint64 key_next;

  /* The message settings, copied at each main buffer; the stream's final
   * message went. */
  GstMstTimeline timeline;
  gboolean post_messages, final_posted;
  guint64 missing_key_frames;   /* under GST_OBJECT_LOCK */
  gboolean warned_missing, warned_nonfinite;
  gsize nonfinite_seen;
};

GType gst_mst_two_input_get_type (void);

/* From any thread: before the next main buffer, the core's tail is drained
 * (a delaying subclass) and @configure called again, for a setting that
 * changes the core's shape (a lookahead, so the latency; a latency message
 * follows when it changed). */
void gst_mst_two_input_request_configure (GstMstTwoInput * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstTwoInput, gst_object_unref)

G_END_DECLS
#endif
