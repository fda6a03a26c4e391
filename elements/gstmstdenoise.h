/* mastering: denoise, spectral noise reduction. */
#ifndef GST_MST_DENOISE_H
#define GST_MST_DENOISE_H

#include <gst/gst.h>
#include "mst-denoise.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DENOISE (gst_mst_denoise_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDenoise, gst_mst_denoise, GST, MST_DENOISE,
    GstMstDelayFilter)

struct _GstMstDenoise
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDenoiseSettings settings;
  /* Read-only, latest (under GST_OBJECT_LOCK): the noise floor (dBFS)
   * and the profile in use. */
  gdouble noise_floor_db;
  gboolean profile_known;
  gdouble profile_db[MST_DENOISE_PROFILE_BANDS];

  /* Streaming state. */
  MstDenoise *core;
};

GST_ELEMENT_REGISTER_DECLARE (denoise);

G_END_DECLS
#endif
