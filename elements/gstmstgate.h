/* mastering: gate, a noise gate and downward expander on the dynamics
 * core. */
#ifndef GST_MST_GATE_H
#define GST_MST_GATE_H

#include <gst/gst.h>
#include "gstmstdynfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_GATE (gst_mst_gate_get_type ())
G_DECLARE_FINAL_TYPE (GstMstGate, gst_mst_gate, GST, MST_GATE,
    GstMstDynFilter)

struct _GstMstGate
{
  GstMstDynFilter parent;
};

GST_ELEMENT_REGISTER_DECLARE (gate);

G_END_DECLS
#endif
