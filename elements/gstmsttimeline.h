/* mastering: what the elements with a delay line share (limiter, loudnorm):
 * output timestamps that continue the input's, the message interval, the
 * interval message's common fields (the loudmeter's too), the latency query. */
#ifndef GST_MST_TIMELINE_H
#define GST_MST_TIMELINE_H

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/audio/audio.h>

G_BEGIN_DECLS

typedef struct
{
  GstClockTime ts_base;         /* timestamp of output frame 0 */
  guint64 frames_out;           /* since ts_base */
  guint64 interval_frames, interval_count;
} GstMstTimeline;

/* A fresh start: no timestamp base, no frames out (the interval count is
 * kept: it only restarts at setup). */
void gst_mst_timeline_restart (GstMstTimeline * tl);

/* Takes @in's PTS as the base when there is none and nothing is pending. */
void gst_mst_timeline_start (GstMstTimeline * tl, GstBuffer * in,
    gsize pending);

/* Timestamp of output frame @frame (NONE without a base). */
GstClockTime gst_mst_timeline_frame_time (const GstMstTimeline * tl,
    gint rate, guint64 frame);

/* Wraps @n_frames processed frames at the start of @buf (sized for more)
 * as the next output: timestamp of its first frame, offsets, DISCONT on the
 * first; NULL (and @buf unreffed) for none. */
GstBuffer *gst_mst_timeline_finish (GstMstTimeline * tl,
    const GstAudioInfo * info, GstBuffer * buf, gsize n_frames);

/* Counts @n output frames toward the interval (the caller keeps each call
 * within one interval): TRUE with the interval's @duration when it ends. */
gboolean gst_mst_timeline_count (GstMstTimeline * tl, gsize n, gint rate,
    GstClockTime * duration);

/* Frames left in the current interval (G_MAXSIZE without one). */
gsize gst_mst_timeline_to_interval (const GstMstTimeline * tl);

/* A message structure @name with timestamp, stream-time, running-time
 * (of @end_ts, the interval's end), duration, as level posts them, and
 * final. */
GstStructure *gst_mst_interval_structure_new (GstBaseTransform * trans,
    const gchar * name, GstClockTime end_ts, GstClockTime duration,
    gboolean final);

/* The interval messages' settings, under GST_OBJECT_LOCK, behind the
 * properties "interval" and "post-messages" of every element that posts
 * them (limiter, loudnorm, loudmeter). */
typedef struct
{
  guint64 interval_ns;
  gboolean post_messages;
} GstMstMessageSettings;

/* Installs "interval" (ns, default @default_interval_ns) as
 * @prop_interval and "post-messages" (default TRUE) as
 * @prop_post_messages, with the element's blurbs (static strings). */
void gst_mst_install_message_properties (GObjectClass * klass,
    guint prop_interval, guint prop_post_messages,
    guint64 default_interval_ns, const gchar * interval_blurb,
    const gchar * post_messages_blurb);

/* Defaults of the message settings (as installed: @default_interval_ns,
 * posting). */
void gst_mst_message_settings_init (GstMstMessageSettings * m,
    guint64 default_interval_ns);

/* set_property and get_property of those two, under GST_OBJECT_LOCK:
 * FALSE when @pspec is another property. */
gboolean gst_mst_message_settings_set (GstMstMessageSettings * m,
    GParamSpec * pspec, const GValue * value);
gboolean gst_mst_message_settings_get (const GstMstMessageSettings * m,
    GParamSpec * pspec, GValue * value);

/* Adds @ours to a LATENCY query's answer (src pad direction). */
void gst_mst_latency_query_add (GstQuery * query, GstClockTime ours);

/* The warning for NaN or Inf in the input, once per stream (*warned),
 * when the core's count of them (@count) moved past *seen. */
void gst_mst_warn_nonfinite (GstElement * element, gsize count, gsize * seen,
    gboolean * warned);

/* The end of generate_output: unmaps both buffers, gives @out (n_frames
 * written) @in's metadata without DISCONT and GAP, drops @in, and wraps
 * @out with gst_mst_timeline_finish(). */
GstBuffer *gst_mst_timeline_finish_output (GstMstTimeline * tl,
    const GstAudioInfo * info, GstBuffer * in, GstMapInfo * in_map,
    GstBuffer * out, GstMapInfo * out_map, gsize n_frames);

G_END_DECLS
#endif
