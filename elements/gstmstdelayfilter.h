/* mastering: GstMstDelayFilter, the abstract base of the elements whose
 * core delays the audio (limiter, loudnorm). */
#ifndef GST_MST_DELAY_FILTER_H
#define GST_MST_DELAY_FILTER_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DELAY_FILTER (gst_mst_delay_filter_get_type ())
#define GST_MST_DELAY_FILTER(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), \
      GST_TYPE_MST_DELAY_FILTER, GstMstDelayFilter))
#define GST_MST_DELAY_FILTER_CLASS(klass) (G_TYPE_CHECK_CLASS_CAST ((klass), \
      GST_TYPE_MST_DELAY_FILTER, GstMstDelayFilterClass))
#define GST_MST_DELAY_FILTER_GET_CLASS(obj) (G_TYPE_INSTANCE_GET_CLASS ((obj), \
      GST_TYPE_MST_DELAY_FILTER, GstMstDelayFilterClass))

typedef struct _GstMstDelayFilter GstMstDelayFilter;
typedef struct _GstMstDelayFilterClass GstMstDelayFilterClass;

/**
 * GstMstDelayFilterClass:
 *
 * A GstMstFilter (caps, settings snapshot, automation, the non-finite
 * warning, resets, interval messages: see gstmstfilter.h) whose core
 * delays the audio. This base adds the streaming of a delay line: output
 * timestamps that continue the input's, the drain of the delay line at
 * EOS, SEGMENT, CAPS and DISCONT (as many frames out as in), and the
 * LATENCY query. The subclass fills in GstMstFilterClass's configure,
 * apply, get_nonfinite_count, reset, read_status and destroy (not its
 * in-place process_f32/_f64), and the vfuncs below.
 */
struct _GstMstDelayFilterClass
{
  GstMstFilterClass parent_class;

  /* The drained tail counts toward the interval. */
  gboolean messages_cover_tail;
  /* A drain with nothing pending still resets the core. */
  gboolean reset_when_empty;

  /* @n_frames in, the @n_out completed frames out, interleaved. */
  void (*process_f32) (GstMstDelayFilter * self, const gfloat * in,
      gsize n_frames, gfloat * out, gsize * n_out);
  void (*process_f64) (GstMstDelayFilter * self, const gdouble * in,
      gsize n_frames, gdouble * out, gsize * n_out);
  /* The pending frames into @out (room for all of them). */
  void (*drain_f32) (GstMstDelayFilter * self, gfloat * out, gsize * n_out);
  void (*drain_f64) (GstMstDelayFilter * self, gdouble * out, gsize * n_out);
  /* Frames in the delay line; the latency (frames). */
  gsize (*get_pending) (GstMstDelayFilter * self);
  gsize (*get_latency) (GstMstDelayFilter * self);
};

struct _GstMstDelayFilter
{
  GstMstFilter parent;

  /* < private > */
  GstBuffer *queued;
};

GType gst_mst_delay_filter_get_type (void);

/* In a subclass whose instance has a field `core` for the core of prefix
 * @ns (ns_process_f32, ns_process_f64, ns_drain_f32, ns_drain_f64,
 * ns_get_pending, ns_get_latency, ns_get_nonfinite_count, ns_reset,
 * ns_destroy, with the limiter's signatures): the vfuncs that only call the core, and
 * delay_filter_bind_core (klass), which sets them. @CAST casts a
 * GstMstDelayFilter to the subclass. */
#define GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS(CAST, ns) \
static void \
core_process_f32 (GstMstDelayFilter * base, const gfloat * in, \
    gsize n_frames, gfloat * out, gsize * n_out) \
{ \
  ns##_process_f32 (CAST (base)->core, in, n_frames, out, n_out); \
} \
static void \
core_process_f64 (GstMstDelayFilter * base, const gdouble * in, \
    gsize n_frames, gdouble * out, gsize * n_out) \
{ \
  ns##_process_f64 (CAST (base)->core, in, n_frames, out, n_out); \
} \
static void \
core_drain_f32 (GstMstDelayFilter * base, gfloat * out, gsize * n_out) \
{ \
  ns##_drain_f32 (CAST (base)->core, out, n_out); \
} \
static void \
core_drain_f64 (GstMstDelayFilter * base, gdouble * out, gsize * n_out) \
{ \
  ns##_drain_f64 (CAST (base)->core, out, n_out); \
} \
static gsize \
core_get_pending (GstMstDelayFilter * base) \
{ \
  return ns##_get_pending (CAST (base)->core); \
} \
static gsize \
core_get_latency (GstMstDelayFilter * base) \
{ \
  return ns##_get_latency (CAST (base)->core); \
} \
GST_MST_FILTER_DEFINE_CORE_STATE_VFUNCS (CAST, ns) \
static void \
delay_filter_bind_core (GstMstDelayFilterClass * klass) \
{ \
  klass->process_f32 = GST_DEBUG_FUNCPTR (core_process_f32); \
  klass->process_f64 = GST_DEBUG_FUNCPTR (core_process_f64); \
  klass->drain_f32 = GST_DEBUG_FUNCPTR (core_drain_f32); \
  klass->drain_f64 = GST_DEBUG_FUNCPTR (core_drain_f64); \
  klass->get_pending = GST_DEBUG_FUNCPTR (core_get_pending); \
  klass->get_latency = GST_DEBUG_FUNCPTR (core_get_latency); \
  klass->parent_class.get_nonfinite_count = \
      GST_DEBUG_FUNCPTR (core_get_nonfinite_count); \
  klass->parent_class.reset = GST_DEBUG_FUNCPTR (core_reset); \
  klass->parent_class.destroy = GST_DEBUG_FUNCPTR (core_destroy); \
}
/* In a subclass as GST_MST_DELAY_FILTER_DEFINE_CORE_VFUNCS's whose core
 * (prefix @ns: ns_init (max_channels), ns_configure (core, rate,
 * channels)) counts repairs per channel with @count_fn (core, channel; -1:
 * all), and whose instance has guint64 `count` (a read-only property,
 * under the object lock) and `count_reported` (at the last message):
 * count_configure, count_reset and count_read_status for the class's
 * configure, reset and read_status, the message's counts named @field
 * (gst_mst_structure_set_counts), and core_apply (ns_set) for apply. */
#define GST_MST_DELAY_FILTER_DEFINE_COUNT_VFUNCS(CAST, ns, count_fn, field) \
GST_MST_FILTER_DEFINE_CORE_APPLY (CAST, ns) \
static MstResult \
count_configure (GstMstFilter * base, const GstAudioInfo * info) \
{ \
  if (!CAST (base)->core) \
    CAST (base)->core = ns##_init (MST_MAX_CHANNELS); \
  if (!CAST (base)->core) \
    return MST_ERR_NOMEM; \
  CAST (base)->count_reported = 0; \
  return ns##_configure (CAST (base)->core, GST_AUDIO_INFO_RATE (info), \
      GST_AUDIO_INFO_CHANNELS (info)); \
} \
static void \
count_reset (GstMstFilter * base) \
{ \
  CAST (base)->count_reported = 0; \
  core_reset (base); \
} \
static void \
count_read_status (GstMstFilter * base, GstStructure * s) \
{ \
  gint channels = MIN (GST_AUDIO_INFO_CHANNELS ( \
          &GST_AUDIO_FILTER (base)->info), MST_MAX_CHANNELS); \
  guint64 per_channel[MST_MAX_CHANNELS]; \
  guint64 total = count_fn (CAST (base)->core, -1); \
  for (gint c = 0; c < channels; c++) \
    per_channel[c] = count_fn (CAST (base)->core, c); \
  GST_OBJECT_LOCK (base); \
  CAST (base)->count = total; \
  GST_OBJECT_UNLOCK (base); \
  if (s) \
    gst_mst_structure_set_counts (s, field, total - MIN (total, \
            CAST (base)->count_reported), total, per_channel, channels); \
  CAST (base)->count_reported = total; \
}

/* Lookaheads set the latency: they change in NULL or READY only. Called
 * with the object lock held (released for the warning); TRUE when @ms is
 * refused, with a warning naming @what and the @kept value. */
gboolean gst_mst_delay_filter_refuse_while_running (GstMstDelayFilter * self,
    const gchar * what, gdouble kept, gdouble ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstDelayFilter, gst_object_unref)

G_END_DECLS
#endif
