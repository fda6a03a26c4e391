/* mastering: imager, stereo width, mid/side, mono bass and correlation. */
#ifndef GST_MST_IMAGER_H
#define GST_MST_IMAGER_H

#include <gst/gst.h>
#include "mst-imager.h"
#include "mst-stereo-analysis.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_IMAGER (gst_mst_imager_get_type ())
G_DECLARE_FINAL_TYPE (GstMstImager, gst_mst_imager, GST, MST_IMAGER,
    GstMstFilter)

struct _GstMstImager
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstImagerSettings settings;
  gdouble mono_warning_db;
  /* Read-only figures of the last interval, under GST_OBJECT_LOCK. */
  gdouble correlation, mono_loss_db;

  /* Streaming state. */
  MstImager *core;
  MstStereoSums sums;           /* of the output, this interval */
  MstStereoFigures last;        /* of the last interval */
  gboolean warned_mono;         /* the warning is posted once per crossing */
};

GST_ELEMENT_REGISTER_DECLARE (imager);

G_END_DECLS
#endif
