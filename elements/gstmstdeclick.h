/* mastering: declick, impulsive clicks repaired by AR interpolation. */
#ifndef GST_MST_DECLICK_H
#define GST_MST_DECLICK_H

#include <gst/gst.h>
#include "mst-declick.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DECLICK (gst_mst_declick_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDeclick, gst_mst_declick, GST, MST_DECLICK,
    GstMstDelayFilter)

struct _GstMstDeclick
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDeclickSettings settings;
  guint64 count;                /* clicks: read-only, since the start */

  /* Streaming state. */
  MstDeclick *core;
  guint64 count_reported;       /* at the last message */
};

GST_ELEMENT_REGISTER_DECLARE (declick);

G_END_DECLS
#endif
