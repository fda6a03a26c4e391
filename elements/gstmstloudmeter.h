/* mastering: loudmeter, an ITU-R BS.1770-4 / EBU R128 loudness meter. */
#ifndef GST_MST_LOUDMETER_H
#define GST_MST_LOUDMETER_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-loudness.h"
#include "gstmstfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_LOUDMETER (gst_mst_loudmeter_get_type ())
G_DECLARE_FINAL_TYPE (GstMstLoudmeter, gst_mst_loudmeter, GST,
    MST_LOUDMETER, GstMstFilter)

typedef struct
{
  gdouble momentary, short_term, integrated, range;
  gdouble true_peak, true_peak_strict, sample_peak, momentary_max;
  gdouble short_term_max;
} GstMstLoudmeterFigures;

struct _GstMstLoudmeter
{
  GstMstFilter parent;

  /* < private > */
  /* Settings and the latest figures, under GST_OBJECT_LOCK. */
  MstLoudnessSettings settings; /* true_peak: NULL and READY only */
  GstMstLoudmeterFigures latest;

  /* Streaming state. */
  MstLoudness *core;
  gint reset_pending;           /* atomic, from the reset action signal */
};

GST_ELEMENT_REGISTER_DECLARE (loudmeter);

G_END_DECLS
#endif
