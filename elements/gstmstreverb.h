/* mastering: reverb, an algorithmic reverb whose decay time is exact. */
#ifndef GST_MST_REVERB_H
#define GST_MST_REVERB_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-reverb.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_REVERB (gst_mst_reverb_get_type ())
G_DECLARE_FINAL_TYPE (GstMstReverb, gst_mst_reverb, GST, MST_REVERB,
    GstMstFilter)

struct _GstMstReverb
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstReverbSettings settings;
  /* Streaming state. */
  MstReverb *core;
};

GST_ELEMENT_REGISTER_DECLARE (reverb);

G_END_DECLS
#endif
