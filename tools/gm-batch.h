/* gst-master plan, run-manifest and report: a catalogue mastered as
 * independent entries of a manifest, so a scheduler (a Slurm array job,
 * GNU parallel over ssh) spreads it over hosts, a run killed halfway is
 * resumed, and the results are merged into one report. */
#ifndef GM_BATCH_H
#define GM_BATCH_H

#include <stdio.h>

#include "gm-job.h"

/** The folder, in a catalogue's output folder, where each entry's result
 *  (master's --json for that file) is written. */
#define GM_BATCH_RESULTS ".gst-master"

/** gst-master plan: one JSON line per job to @out: its index, input and
 *  output (absolute), the result file, and @args (the master options
 *  given, to run it with). */
void gm_batch_print_manifest (FILE * out, const GmJob * jobs, int n_jobs,
    const char *const *args, int n_args);

/** The master command, run in this process: (argc, argv) as main's. */
typedef int (*GmMasterMain) (int argc, char **argv);

/** gst-master run-manifest MANIFEST [--index N] (@argv[0] is
 *  "run-manifest"; N from SLURM_ARRAY_TASK_ID without --index): masters
 *  entry N with @master_main, its --json report into the entry's result
 *  file; skips an entry whose output is complete and verified (its result
 *  says so and the output is as it recorded). The exit status. */
int gm_batch_run_manifest (int argc, char **argv, GmMasterMain master_main);

/** gst-master report DIR [--manifest FILE] (@argv[0] is "report"): the
 *  results of DIR merged, as a table on standard output and
 *  DIR/gst-master-report.json and .csv, naming every file, the failed ones
 *  and why, and (with the manifest) those never run. The exit status: 1
 *  when one failed or is missing. */
int gm_batch_report (int argc, char **argv);

#endif
