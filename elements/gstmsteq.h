/* mastering: eq, a parametric equalizer with mid/side bands. */
#ifndef GST_MST_EQ_H
#define GST_MST_EQ_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-eq.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_EQ (gst_mst_eq_get_type ())
G_DECLARE_FINAL_TYPE (GstMstEq, gst_mst_eq, GST, MST_EQ, GstAudioFilter)

#define GST_TYPE_MST_EQ_BAND (gst_mst_eq_band_get_type ())
G_DECLARE_FINAL_TYPE (GstMstEqBand, gst_mst_eq_band, GST, MST_EQ_BAND,
    GstObject)

typedef gboolean (*GstMstEqProcessFunc) (GstMstEq * self, gpointer data,
    guint n_frames);

struct _GstMstEq
{
  GstAudioFilter parent;

  /* < private > */
  /* Settings, written under GST_OBJECT_LOCK (self), the bands' included;
   * the streaming thread copies them once per buffer. */
  MstEqSettings settings;
  GstMstEqBand *bands[MST_EQ_MAX_BANDS];

  /* Streaming state. */
  MstEq *core;
  GstMstEqProcessFunc process;
  gboolean warned_nonfinite;
  guint64 nonfinite_seen;
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
