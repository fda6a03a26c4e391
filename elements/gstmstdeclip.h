/* mastering: declip, clipped runs reconstructed by AR interpolation. */
#ifndef GST_MST_DECLIP_H
#define GST_MST_DECLIP_H

#include <gst/gst.h>
#include "mst-declip.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DECLIP (gst_mst_declip_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDeclip, gst_mst_declip, GST, MST_DECLIP,
    GstMstDelayFilter)

struct _GstMstDeclip
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDeclipSettings settings;
  guint64 count;                /* clipped: read-only, since the start */

  /* Streaming state. */
  MstDeclip *core;
  guint64 count_reported;       /* at the last message */
};

GST_ELEMENT_REGISTER_DECLARE (declip);

G_END_DECLS
#endif
