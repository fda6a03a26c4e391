/* mastering: delay, an echo delay with feedback filters and ping-pong. */
#ifndef GST_MST_DELAY_H
#define GST_MST_DELAY_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-delay.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DELAY (gst_mst_delay_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDelay, gst_mst_delay, GST, MST_DELAY,
    GstMstFilter)

struct _GstMstDelay
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDelaySettings settings;
  /* Streaming state. */
  MstDelay *core;
};

GST_ELEMENT_REGISTER_DECLARE (delay);

G_END_DECLS
#endif
