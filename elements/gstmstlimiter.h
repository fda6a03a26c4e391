/* mastering: limiter, a true-peak lookahead brickwall limiter. */
#ifndef GST_MST_LIMITER_H
#define GST_MST_LIMITER_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-limiter.h"
#include "gstmsttimeline.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_LIMITER (gst_mst_limiter_get_type ())
G_DECLARE_FINAL_TYPE (GstMstLimiter, gst_mst_limiter, GST, MST_LIMITER,
    GstAudioFilter)

struct _GstMstLimiter
{
  GstAudioFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstLimiterSettings settings;
  gdouble lookahead_ms;
  guint64 interval_ns;
  gboolean post_messages;
  gdouble gain_reduction_db;    /* read-only, latest */

  /* Streaming state. */
  MstLimiter *core;
  gboolean configured;
  gboolean is_f64;
  GstBuffer *queued;
  GstMstTimeline timeline;
  gboolean warned_nonfinite;
  gsize nonfinite_seen;
};

GST_ELEMENT_REGISTER_DECLARE (limiter);

G_END_DECLS
#endif
