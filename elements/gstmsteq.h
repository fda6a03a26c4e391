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
  /* Settings, written under GST_OBJECT_LOCK (self). */
  guint num_bands;
  gdouble gain_db;
  gboolean bypass;
  GstMstEqBand *bands[MST_EQ_MAX_BANDS];
  gint settings_version;        /* atomic: bumped on every change */

  /* Streaming state. */
  MstEq *core;
  gint applied_version;
  GstMstEqProcessFunc process;
  gboolean warned_nonfinite;
  guint nonfinite_seen;
};

struct _GstMstEqBand
{
  GstObject parent;

  /* < private > */
  MstEqBandSettings settings;   /* under GST_OBJECT_LOCK (band) */
  GstMstEq *eq;                 /* weak: the owning element */
};

GST_ELEMENT_REGISTER_DECLARE (eq);

G_END_DECLS
#endif
