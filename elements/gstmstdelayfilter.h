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
/* Lookaheads set the latency: they change in NULL or READY only. Called
 * with the object lock held (released for the warning); TRUE when @ms is
 * refused, with a warning naming @what and the @kept value. */
gboolean gst_mst_delay_filter_refuse_while_running (GstMstDelayFilter * self,
    const gchar * what, gdouble kept, gdouble ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstDelayFilter, gst_object_unref)

G_END_DECLS
#endif
