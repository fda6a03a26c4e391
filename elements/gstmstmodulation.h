/* mastering: modulation, chorus, flanger and phaser. */
#ifndef GST_MST_MODULATION_H
#define GST_MST_MODULATION_H

#include <gst/gst.h>
#include "mst-modulation.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_MODULATION (gst_mst_modulation_get_type ())
G_DECLARE_FINAL_TYPE (GstMstModulation, gst_mst_modulation, GST,
    MST_MODULATION, GstMstFilter)

struct _GstMstModulation
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstModulationSettings settings;

  /* Streaming state. */
  MstModulation *core;
};

GST_ELEMENT_REGISTER_DECLARE (modulation);

G_END_DECLS
#endif
