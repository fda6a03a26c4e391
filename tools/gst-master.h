/* gst-master: shared types of the command-line program (figures, time
 * series) and the report picture. */
#ifndef GST_MASTER_H
#define GST_MASTER_H

#include <glib.h>

/** Loudness figures of one file (ITU-R BS.1770-4 / EBU R128), as the
 *  loudmeter element reports them at EOS. -INFINITY: not measurable. */
typedef struct {
  gboolean valid;
  int rate_hz;
  int channels;
  double duration_s;
  double integrated_lufs;
  double range_lu;
  double true_peak_dbtp;
  double sample_peak_dbfs;
  double momentary_max_lufs;
  double short_term_max_lufs;
} GmFigures;

/** A value over time: pairs of (end of interval in s, value). */
typedef struct {
  GArray *t_s;
  GArray *v;
} GmSeries;

void gm_series_init (GmSeries * s);
void gm_series_clear (GmSeries * s);
void gm_series_add (GmSeries * s, double t_s, double v);

/** What the report picture shows. */
typedef struct {
  const char *title;
  double target_lufs;           /* NAN: no loudness target */
  double ceiling_dbtp;
  const GmSeries *short_term_before;
  const GmSeries *short_term_after;
  const GmSeries *gain_reduction;
  const GmSeries *true_peak_after;
} GmReport;

/** Writes the report as PNG to @path. FALSE with @err set on failure, or
 *  when the program was built without cairo. */
gboolean gm_report_write_png (const char *path, const GmReport * r,
    GError ** err);

#endif
