/* mastering: eq, a parametric equalizer with mid/side bands. */
#ifndef GST_MST_EQ_H
#define GST_MST_EQ_H

#include <gst/gst.h>

#include "mst-eq.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_EQ (gst_mst_eq_get_type ())
G_DECLARE_FINAL_TYPE (GstMstEq, gst_mst_eq, GST, MST_EQ, GstMstFilter)

#define GST_TYPE_MST_EQ_BAND (gst_mst_eq_band_get_type ())
G_DECLARE_FINAL_TYPE (GstMstEqBand, gst_mst_eq_band, GST, MST_EQ_BAND,
    GstObject)

struct _GstMstEq
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, written under GST_OBJECT_LOCK (self), the bands' included;
   * the base copies them to the streaming thread. */
  MstEqSettings settings;
  GstMstEqBand *bands[MST_EQ_MAX_BANDS];

  MstEq *core;
};

struct _GstMstEqBand
{
  GstObject parent;

  /* < private > */
  GstMstEq *eq;                 /* weak: the owner, whose settings.bands[index]
                                 * this band's properties are */
  guint index;
};

GST_ELEMENT_REGISTER_DECLARE (eq);

G_END_DECLS
#endif
