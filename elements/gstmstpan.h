/* mastering: pan, a mono or stereo source placed in the stereo field. */
#ifndef GST_MST_PAN_H
#define GST_MST_PAN_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-pan.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_PAN (gst_mst_pan_get_type ())
G_DECLARE_FINAL_TYPE (GstMstPan, gst_mst_pan, GST, MST_PAN, GstMstFilter)

struct _GstMstPan
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstPanSettings settings;
  /* Streaming state. */
  MstPan *core;
};

GST_ELEMENT_REGISTER_DECLARE (pan);

G_END_DECLS
#endif
