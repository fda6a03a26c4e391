/* gst-master: what it reports of its jobs: the text table or summary on
 * standard output, the JSON document (--json), the PNG picture (--report). */
#ifndef GM_REPORT_H
#define GM_REPORT_H

#include <json-glib/json-glib.h>

#include "gm-job.h"

/** gst-master analyze: one row of figures per job, then its notes. */
void gm_report_print_analyze_table (const GmJob * jobs, int n_jobs);

/** gst-master master: figures before and after of one finished job. */
void gm_report_print_master (const GmJob * job);

/** The JSON array of the jobs (one object each; figures of analyze, or
 *  before/after of master), written with json-glib: a new string. */
char *gm_report_json (const GmJob * jobs, int n_jobs, gboolean master);

/** Member @key of the object @b builds: @v to the thousandth, null when
 *  not finite (JSON has no infinity; not measurable is -inf). */
void gm_json_number (JsonBuilder * b, const char *key, double v);

/** Member @key of the object @b builds: the integer @v. */
void gm_json_int (JsonBuilder * b, const char *key, gint64 v);

/** One job's object of that array, added to @b (a JsonBuilder, where a
 *  value is expected). */
void gm_report_json_job (JsonBuilder * b, const GmJob * job,
    gboolean master);

/** What the report picture shows. */
typedef struct {
  const char *title;
  double target_lufs;           /* NAN: no loudness target */
  double ceiling_dbtp;
  const GmSeries *short_term_before;
  const GmSeries *short_term_after;
  const GmSeries *gain_reduction;
  const GmSeries *true_peak_after;
  /* The figures written on the picture; NAN (or -INFINITY): "-". */
  double before_lufs, after_lufs;
  double gain_db;
  double limiting_max_db;
  double true_peak_after_dbtp;
} GmReport;

/** Writes the report as PNG to @path. FALSE with @err set on failure, or
 *  when the program was built without cairo. */
gboolean gm_report_write_png (const char *path, const GmReport * r,
    GError ** err);

/** The picture of a mastered @job to its report_path; a warning note when
 *  it cannot be written. */
void gm_report_job_png (GmJob * job);

#endif
