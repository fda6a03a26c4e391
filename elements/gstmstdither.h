/* mastering: dither, word-length reduction (F32/F64 to S16/S24/S32) with
 * TPDF dither and noise shaping. */
#ifndef GST_MST_DITHER_H
#define GST_MST_DITHER_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-dither.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DITHER (gst_mst_dither_get_type ())
G_DECLARE_FINAL_TYPE (GstMstDither, gst_mst_dither, GST, MST_DITHER,
    GstMstFilter)

/* The noise-shaping property's enum (MstDitherShaping): nicks none,
 * lipshitz, f-weighted, high. The master bin and gst-master name the
 * curves with it. */
#define GST_TYPE_MST_DITHER_SHAPING (gst_mst_dither_shaping_get_type ())
GType gst_mst_dither_shaping_get_type (void);

struct _GstMstDither
{
  GstMstFilter parent;

  /* < private > */
  /* Settings, under GST_OBJECT_LOCK. */
  MstDitherSettings settings;
  /* Streaming state. */
  MstDither *core;
};

GST_ELEMENT_REGISTER_DECLARE (dither);

G_END_DECLS
#endif
