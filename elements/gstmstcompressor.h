/* mastering: compressor, a one-band compressor (downward or upward) with a
 * sidechain filter and an external sidechain pad. */
#ifndef GST_MST_COMPRESSOR_H
#define GST_MST_COMPRESSOR_H

#include <gst/gst.h>
#include "mst-dynamics.h"
#include "gstmsttwoinput.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_COMPRESSOR (gst_mst_compressor_get_type ())
G_DECLARE_FINAL_TYPE (GstMstCompressor, gst_mst_compressor, GST,
    MST_COMPRESSOR, GstMstTwoInput)

struct _GstMstCompressor
{
  GstMstTwoInput parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDynamicsSettings settings;
  gdouble lookahead_ms;         /* configure-time: refused while running */
  gdouble gain_reduction_db;    /* read-only, latest */

  /* Streaming state: the core and what it is configured for (a caps
   * event that changes none of it keeps the core's state). */
  MstDynamics *core;
  gint rate, channels, key_channels;
  gdouble core_lookahead_ms;
};

GST_ELEMENT_REGISTER_DECLARE (compressor);

G_END_DECLS
#endif
