/* mastering: loudnorm, live loudness normalisation under a true-peak
 * ceiling. */
#ifndef GST_MST_LOUDNORM_H
#define GST_MST_LOUDNORM_H

#include <gst/gst.h>
#include "mst-loudnorm.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_LOUDNORM (gst_mst_loudnorm_get_type ())
G_DECLARE_FINAL_TYPE (GstMstLoudnorm, gst_mst_loudnorm, GST, MST_LOUDNORM,
    GstMstDelayFilter)

#define GST_TYPE_MST_LOUDNORM_MODE (gst_mst_loudnorm_mode_get_type ())
GType gst_mst_loudnorm_mode_get_type (void);

struct _GstMstLoudnorm
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstLoudnormSettings settings;
  gdouble lookahead_ms, control_lookahead_ms;
  MstLoudnormStatus latest;     /* read-only properties, every interval */

  /* Streaming state. */
  MstLoudnorm *core;
};

GST_ELEMENT_REGISTER_DECLARE (loudnorm);

G_END_DECLS
#endif
