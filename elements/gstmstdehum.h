/* mastering: dehum, mains hum removal that tracks drift. */
#ifndef GST_MST_DEHUM_H
#define GST_MST_DEHUM_H

#include <gst/gst.h>

#include "mst-dehum.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DEHUM (gst_mst_dehum_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDehum, gst_mst_dehum, GST, MST_DEHUM,
    GstMstFilter)

struct _GstMstDehum
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK; the base copies them to the streaming
   * thread. */
  MstDehumSettings settings;
  /* The last status read (read-only properties), under GST_OBJECT_LOCK. */
  MstDehumStatus latest;

  MstDehum *core;
};

GST_ELEMENT_REGISTER_DECLARE (dehum);

G_END_DECLS
#endif
