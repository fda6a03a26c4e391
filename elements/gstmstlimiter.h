/* mastering: limiter, a true-peak lookahead brickwall limiter. */
#ifndef GST_MST_LIMITER_H
#define GST_MST_LIMITER_H

#include <gst/gst.h>
#include "mst-limiter.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_LIMITER (gst_mst_limiter_get_type ())
G_DECLARE_FINAL_TYPE (GstMstLimiter, gst_mst_limiter, GST, MST_LIMITER,
    GstMstDelayFilter)

struct _GstMstLimiter
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstLimiterSettings settings;
  gdouble lookahead_ms;
  gdouble gain_reduction_db;    /* read-only, latest */

  /* Streaming state. */
  MstLimiter *core;
};

GST_ELEMENT_REGISTER_DECLARE (limiter);

G_END_DECLS
#endif
