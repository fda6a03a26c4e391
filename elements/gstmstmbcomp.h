/* mastering: mbcomp, a multiband compressor. */
#ifndef GST_MST_MBCOMP_H
#define GST_MST_MBCOMP_H

#include <gst/gst.h>
#include "mst-mbcomp.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_MBCOMP (gst_mst_mbcomp_get_type ())
G_DECLARE_FINAL_TYPE (GstMstMbcomp, gst_mst_mbcomp, GST, MST_MBCOMP,
    GstMstDelayFilter)

#define GST_TYPE_MST_MBCOMP_BAND (gst_mst_mbcomp_band_get_type ())
G_DECLARE_FINAL_TYPE (GstMstMbcompBand, gst_mst_mbcomp_band, GST,
    MST_MBCOMP_BAND, GstObject)

struct _GstMstMbcomp
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK (self), the bands' included. */
  MstMbcompSettings settings;
  MstMbcompPhase phase;
  gdouble lookahead_ms;
  GstMstMbcompBand *bands[MST_MBCOMP_MAX_BANDS];

  /* Streaming state. */
  MstMbcomp *core;
};

struct _GstMstMbcompBand
{
  GstObject parent;

  /* < private > */
  GstMstMbcomp *mbcomp;         /* weak: the owner, whose
                                 * settings.bands[index] these are */
  guint index;
  gdouble gain_reduction_db;    /* read-only, latest, under the owner's lock */
};

GST_ELEMENT_REGISTER_DECLARE (mbcomp);

G_END_DECLS
#endif
