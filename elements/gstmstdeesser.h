/* mastering: deesser, a split-band or wideband de-esser on the dynamics
 * core. */
#ifndef GST_MST_DEESSER_H
#define GST_MST_DEESSER_H

#include <gst/gst.h>
#include "gstmstdynfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DEESSER (gst_mst_deesser_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDeesser, gst_mst_deesser, GST, MST_DEESSER,
    GstMstDynFilter)

struct _GstMstDeesser
{
  GstMstDynFilter parent;
};

GST_ELEMENT_REGISTER_DECLARE (deesser);

G_END_DECLS
#endif
