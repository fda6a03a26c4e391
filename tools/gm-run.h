/* gst-master: runs one pipeline on a file and collects what its meters and
 * limiter report; measures a file; the progress line of all jobs; Ctrl-C. */
#ifndef GM_RUN_H
#define GM_RUN_H

#include <gst/gst.h>
#include <signal.h>

#include "gm-job.h"

/* Extreme highs for the vinyl check: energy above GM_HF_EDGE_HZ; below
 * GM_HF_MIN_RATE_HZ the edge is too near Nyquist to mean anything. */
#define GM_HF_EDGE_HZ 16000.0
#define GM_HF_MIN_RATE_HZ (2.2 * GM_HF_EDGE_HZ)

/* Interval of the meter and limiter messages: 10 Hz, the short-term
 * update rate EBU Tech 3341 asks of live meters. */
#define GM_INTERVAL_NS (100 * GST_MSECOND)

/** Set by SIGINT or SIGTERM once gm_run_catch_signals () ran: every
 *  pipeline stops and says "interrupted". */
extern volatile sig_atomic_t gm_interrupted;

void gm_run_catch_signals (void);

typedef struct {
  GmFigures fig;                /* from the element named "meter" */
  GmSeries *short_term;         /* from "meter", may be NULL */
  GmSeries *gain_reduction;     /* from "lim", may be NULL */
  GmSeries *true_peak;          /* from "tpmeter", may be NULL */
  double gr_max_db;
  /* Correlation and the energy above 16 kHz measured at the counted pad
   * into fig (F32 interleaved there). */
  gboolean analyze;
  /* Called on the built pipeline before it starts (automation); NULL:
   * nothing. */
  void (*prepare) (GstElement * pipe, gpointer data);
  gpointer prepare_data;
  /* The final integrated loudness of the meters named "stemN" (N <
   * n_stems) into stem_lufs[N] (gst-master mix); NULL: none. */
  double *stem_lufs;
  int n_stems;
} GmRunResult;

/** Runs @desc (a gst-launch description with a filesrc "src" reading @in,
 *  or its own sources when @in is NULL; optionally an
 *  fdsink "sink" writing to @out_fd (-1: none) from where it stands, and
 *  the elements "meter", "lim", "tpmeter") on @in,
 *  counting @job's progress at @count_element's sink pad. FALSE with
 *  *@errmsg set on error or interruption ("interrupted"). */
gboolean gm_run_pipeline (GmJob * job, const char *desc, const char *in,
    int out_fd, const char *count_element, GmRunResult * res,
    char **errmsg);

/** Measures @path: figures, and with @st and @tp the short-term loudness
 *  and the true peak per interval. FALSE with *@errmsg set on failure. */
gboolean gm_measure_file (GmJob * job, const char *path, GmFigures * fig,
    GmSeries * st, GmSeries * tp, char **errmsg);

/** The same through @chain (elements ending in " ! ", before the meter):
 *  the figures of what the chain makes of @path. */
gboolean gm_measure_file_through (GmJob * job, const char *path,
    const char *chain, GmFigures * fig, GmSeries * st, GmSeries * tp,
    char **errmsg);

/** NULL when @path names a readable regular file; else a message. */
char *gm_check_input (const char *path);

/** gst-master analyze of one file. */
void gm_analyze_job (GmJob * job);

/** Kinds of pass, timed apart for the time left: a mastering pass
 *  (decode, limiter, dither, encoder) runs slower than a measuring one. */
typedef enum {
  GM_PASS_MEASURE,
  GM_PASS_MASTER,
  GM_N_PASS_KINDS
} GmPassKind;

/** Announces one more pass of @kind for @job, as soon as it is known (a
 *  correction pass): it counts in the total at once. A job's first passes
 *  need no call: passes_expected passes are a measure, then masters, then
 *  a measure (gst-master master's passes 1, 2 and 3); one is a measure. */
void gm_progress_add_pass (GmJob * job, GmPassKind kind);

/** How the progress is shown on standard error. */
typedef enum {
  GM_PROGRESS_NONE,
  GM_PROGRESS_BAR,              /* a line redrawn in place (a terminal) */
  GM_PROGRESS_JSON,             /* a JSON object a line, for programs */
} GmProgressMode;

/** The progress over all jobs. The caller holds @lock (shared with
 *  whatever else prints) around the _locked calls. The fraction shown
 *  never decreases: work announced late (a correction pass) is spread
 *  over what is left of the bar. The time left is the work left, each pass
 *  weighted by the measured speed of its kind, at the speed so far. */
typedef struct {
  GmJob *jobs;
  int n_jobs;
  GmProgressMode mode;
  gint64 start_us;
  GMutex lock;
  double shown;                 /* fraction shown, 0..1 */
  double last_work;             /* fraction of the known work at the last
                                 * draw */
} GmProgress;

void gm_progress_draw_locked (GmProgress * p);
void gm_progress_clear_locked (GmProgress * p);

#endif
