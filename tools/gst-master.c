/* gst-master: measures and masters audio files with the mastering plugin.
 *
 *   gst-master analyze [--json] [-j N] FILE...
 *   gst-master master IN... -o OUT [--target NAME | --loudness LUFS
 *       --ceiling dBTP] [--format F] [--rate HZ] [-j N] [--json] [--quiet]
 *
 * Every figure comes from the loudmeter element (ITU-R BS.1770-4), every
 * gain change from the limiter element: pass 1 measures, pass 2 applies the
 * exact static gain in front of the true-peak limiter (input-gain), and the
 * written file is decoded and measured again. See docs/gst-master.1. */
#include <gst/gst.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gm-formats.h"
#include "gm-gain.h"
#include "gm-batch.h"
#include "gm-job.h"
#include "gm-live.h"
#include "gm-mix.h"
#include "gm-output.h"
#include "gm-report.h"
#include "gm-run.h"
#include "mst-imager.h"
#include "mst-mbcomp.h"
#include "mst-targets.h"

#define PROG "gst-master"

static struct {
  gboolean json;
  gboolean quiet;
  const char *progress;         /* NULL: the bar on a terminal */
  int jobs;
  const char *output;
  double ceiling_dbtp;          /* NAN: from the target */
  const GmFormat *format;       /* NULL: from OUT's name or the target */
  const char *report;
  GmMasterOptions master;
} opt;

static GmJob *jobs;
static int n_jobs;
static gint next_job;
static GmProgress progress;

/* ------------------------------------------------------------------ */
/* Workers                                                            */

static gboolean mode_master;

static gpointer
worker (gpointer data)
{
  (void) data;
  for (;;) {
    int i = g_atomic_int_add (&next_job, 1);
    if (i >= n_jobs || gm_interrupted)
      break;
    GmJob *job = &jobs[i];
    gint64 t0 = g_get_monotonic_time ();
    if (mode_master)
      gm_master_job (job, &opt.master, jobs, n_jobs);
    else
      gm_analyze_job (job);
    if (job->report_path && job->status != GM_STATUS_ERROR)
      gm_report_job_png (job);
    job->seconds = (g_get_monotonic_time () - t0) / 1e6;
    g_atomic_int_set (&job->finished, 1);
    g_mutex_lock (&progress.lock);
    gm_progress_clear_locked (&progress);
    if (job->status == GM_STATUS_ERROR && !opt.json)
      for (guint k = 0; k < job->notes->len; k++)
        fprintf (stderr, "%s: %s\n", PROG,
            (char *) g_ptr_array_index (job->notes, k));
    if (mode_master && !opt.json && job->status != GM_STATUS_ERROR) {
      gm_report_print_master (job);
      fflush (stdout);
    }
    gm_progress_draw_locked (&progress);
    g_mutex_unlock (&progress.lock);
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

/* The targets of the core's table with their figures, wrapped under the
 * --target option of the help: "streaming (-14 LUFS, -1 dBTP),
 * apple-music (-16, -1), ...". */
static char *
targets_help (void)
{
  const int indent = 26, width = 85;
  size_t n;
  const MstTarget *t = mst_targets (&n);
  GString *s = g_string_new (NULL);
  int col = indent;

  for (size_t i = 0; i < n; i++) {
    char *item;
    if (!isfinite (t[i].loudness_lufs) && t[i].pcm_bits)
      item = g_strdup_printf ("%s (no loudness, %g, wav%d)", t[i].name,
          t[i].ceiling_dbtp, t[i].pcm_bits);
    else if (!isfinite (t[i].loudness_lufs))
      item = g_strdup_printf ("%s (no loudness, %g)", t[i].name,
          t[i].ceiling_dbtp);
    else if (t[i].mono_loudness_lufs != t[i].loudness_lufs)
      item = g_strdup_printf ("%s (%g, %g; %g mono)", t[i].name,
          t[i].loudness_lufs, t[i].ceiling_dbtp, t[i].mono_loudness_lufs);
    else
      item = g_strdup_printf (i ? "%s (%g, %g)" : "%s (%g LUFS, %g dBTP)",
          t[i].name, t[i].loudness_lufs, t[i].ceiling_dbtp);
    int len = (int) strlen (item) + (i + 1 < n);
    if (i > 0) {
      if (col + 1 + len > width) {
        g_string_append_printf (s, "\n%*s", indent, "");
        col = indent;
      } else {
        g_string_append_c (s, ' ');
        col++;
      }
    }
    g_string_append_printf (s, "%s%s", item, i + 1 < n ? "," : "");
    col += len;
    g_free (item);
  }
  return g_string_free (s, FALSE);
}

/* "streaming, apple-music, ...": the names the core's table knows. */
static char *
targets_names (void)
{
  size_t n;
  const MstTarget *t = mst_targets (&n);
  GString *s = g_string_new (NULL);

  for (size_t i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", t[i].name);
  return g_string_free (s, FALSE);
}

static void
usage (FILE * f)
{
  char *targets = targets_help ();

  fprintf (f,
      "Usage:\n"
      "  " PROG " analyze [OPTION...] FILE...\n"
      "  " PROG " master [OPTION...] IN... -o OUT\n"
      "  " PROG " mix [OPTION...] STEM... -o OUT   (" PROG " mix --help)\n"
      "  " PROG " live --input URI --output URI [--target NAME] [--stats]"
      "   (" PROG " live --help)\n"
      "  " PROG " plan [OPTION...] IN... -o DIR [--manifest FILE]\n"
      "  " PROG " run-manifest MANIFEST [--index N]   (N: "
      "SLURM_ARRAY_TASK_ID)\n"
      "  " PROG " report DIR [--manifest FILE]\n"
      "\n"
      "Measures loudness (ITU-R BS.1770-4, EBU R128) and masters audio files\n"
      "to a delivery target with the mastering plugin's loudmeter and limiter.\n"
      "\n"
      "Options:\n"
      "  -o, --output OUT        output file, or folder for several inputs\n"
      "  -t, --target NAME       %s\n"
      "                          default: %s\n"
      "  -l, --loudness LUFS     integrated loudness target (overrides the "
      "target's)\n"
      "  -c, --ceiling DBTP      true-peak ceiling (overrides the target's)\n"
      "  -f, --format FORMAT     wav16, wav24, wav32f, flac, mp3, opus, aac "
      "(.m4a)\n"
      "                          default: from OUT's extension, else wav24\n"
      "  -r, --rate HZ           resample (audioresample, quality 10)\n"
      "      --max-gain DB       largest gain applied (default 36)\n"
      "      --max-limiting DB   largest limiter gain reduction the target "
      "may take\n"
      "                          (default 12); beyond it the gain is lowered "
      "and said so\n"
      "      --headroom DB       room kept below the ceiling (default 1.0 "
      "for mp3, opus,\n"
      "                          aac; 0 for WAV and FLAC)\n"
      "      --dither M          the `dither` element, last, after the "
      "limiter: auto,\n"
      "                          off (rounding), flat (TPDF), lipshitz, "
      "f-weighted, high\n"
      "                          (auto: f-weighted at 16 bits, flat at 24; "
      "float: none)\n"
      "      --report FILE.png   picture of loudness, gain reduction and "
      "true peak\n"
      "      --dynamics NAME     multiband compression before the gain: "
      "none (default),\n"
      "                          gentle or glue (the master element's "
      "settings)\n"
      "      --clean LIST        clean-up first, before the compressor: "
      "any of declip,\n"
      "                          declick, dehum, denoise (comma-separated; "
      "they run in\n"
      "                          that order)\n"
      "      --mono-below HZ     remove the side below HZ (stereo; imager "
      "mono-below):\n"
      "                          0 = off; default: the target's (vinyl "
      "150, others 0)\n"
      "      --allow-damaged     master a truncated or corrupt input (what "
      "decodes), with\n"
      "                          a warning; by default it is refused\n"
      "  -j, --jobs N            files processed in parallel (default: "
      "cores)\n"
      "      --json              machine-readable report on stdout\n"
      "  -q, --quiet             no progress bar\n"
      "      --progress MODE     bar, json (a JSON object a line on standard "
      "error,\n"
      "                          for programs), none (default: bar on a "
      "terminal)\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 when every file succeeded (warnings allowed), 1 when "
      "one failed,\n"
      "2 on a usage error.\n", targets,
      mst_targets (NULL)[MST_TARGET_DEFAULT].name);
  g_free (targets);
}

static gboolean
parse_double (const char *opt_name, const char *s, double *v)
{
  char *end;
  if (!s) {
    fprintf (stderr, "%s: %s needs a value\n", PROG, opt_name);
    return FALSE;
  }
  *v = g_ascii_strtod (s, &end);
  if (end == s || *end || !isfinite (*v)) {
    fprintf (stderr, "%s: %s: not a number: '%s'\n", PROG, opt_name, s);
    return FALSE;
  }
  return TRUE;
}

static char *
output_for (const char *input, const char *folder, const GmFormat * f)
{
  char *base = g_path_get_basename (input);
  char *dot = strrchr (base, '.');
  char *name, *path;
  if (dot && dot != base)
    *dot = '\0';
  name = g_strdup_printf ("%s.%s", base, f->ext);
  path = g_build_filename (folder, name, NULL);
  g_free (base);
  g_free (name);
  return path;
}

static char *
report_for (const char *report, const char *input, int n)
{
  char *base, *dot, *stem, *res;
  if (n == 1)
    return g_strdup (report);
  base = g_path_get_basename (input);
  dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  stem = g_strdup (report);
  dot = strrchr (stem, '.');
  if (dot && !strchr (dot, '/'))
    *dot = '\0';
  res = g_strdup_printf ("%s-%s.png", stem, base);
  g_free (base);
  g_free (stem);
  return res;
}

/* plan: the master options given, to run each entry with; where the
 * manifest goes (NULL: standard output). */
static gboolean mode_plan;
static GPtrArray *plan_args;
static const char *plan_manifest;

/* The commands but run-manifest (which runs this one for an entry). */
static int
run_command (int argc, char **argv)
{
  GPtrArray *inputs = g_ptr_array_new ();
  const char *cmd;
  int failed = 0;

  opt.jobs = (int) g_get_num_processors ();
  opt.ceiling_dbtp = NAN;
  opt.master.loudness_lufs = opt.master.headroom_db = NAN;
  opt.master.mono_below_hz = NAN;
  opt.master.max_gain_db = 36.0;
  opt.master.max_limiting_db = 12.0;

  if (argc < 2) {
    usage (stderr);
    return 2;
  }
  cmd = argv[1];
  if (!strcmp (cmd, "-h") || !strcmp (cmd, "--help")) {
    usage (stdout);
    return 0;
  }
  if (!strcmp (cmd, "mix"))
    return gm_mix_main (argc - 1, argv + 1);
  if (!strcmp (cmd, "live"))
    return gm_live_main (argc - 1, argv + 1);
  if (!strcmp (cmd, "report"))
    return gm_batch_report (argc - 1, argv + 1);
  if (strcmp (cmd, "analyze") && strcmp (cmd, "master")
      && strcmp (cmd, "plan")) {
    fprintf (stderr, "%s: unknown command '%s' (analyze, master, mix, live, "
        "plan, run-manifest, report)\n", PROG, cmd);
    usage (stderr);
    return 2;
  }
  mode_plan = !strcmp (cmd, "plan");
  mode_master = mode_plan || !strcmp (cmd, "master");
  plan_args = g_ptr_array_new ();

  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
    int first = i;
    /* The options an entry of a plan is run with: not its input and
     * output, nor those of this process alone. */
    gboolean for_entry = a[0] == '-' && strcmp (a, "-o")
        && strcmp (a, "--output") && strcmp (a, "--manifest")
        && strcmp (a, "-j") && strcmp (a, "--jobs") && strcmp (a, "--")
        && strcmp (a, "--progress") && strcmp (a, "-q")
        && strcmp (a, "--quiet") && strcmp (a, "--json")
        && strcmp (a, "--report");
#define IS(s, l) (!strcmp (a, s) || !strcmp (a, l))
    if (IS ("-h", "--help")) {
      usage (stdout);
      return 0;
    } else if (IS ("-q", "--quiet")) {
      opt.quiet = TRUE;
    } else if (!strcmp (a, "--progress")) {
      if (!v || (strcmp (v, "bar") && strcmp (v, "json") && strcmp (v,
                  "none"))) {
        fprintf (stderr, "%s: --progress '%s': bar, json or none\n", PROG,
            v ? v : "");
        return 2;
      }
      opt.progress = v;
      i++;
    } else if (!strcmp (a, "--json")) {
      opt.json = TRUE;
    } else if (IS ("-o", "--output")) {
      if (!v) {
        fprintf (stderr, "%s: %s needs a value\n", PROG, a);
        return 2;
      }
      opt.output = v;
      i++;
    } else if (IS ("-t", "--target")) {
      if (!v || !(opt.master.target = mst_target_find (v))) {
        char *names = targets_names ();
        fprintf (stderr, "%s: unknown target '%s' (%s)\n", PROG, v ? v : "",
            names);
        g_free (names);
        return 2;
      }
      i++;
    } else if (IS ("-f", "--format")) {
      if (!v || !(opt.format = gm_format_find (v))) {
        fprintf (stderr, "%s: unknown format '%s' (wav16, wav24, wav32f, "
            "flac, mp3, opus, aac)\n", PROG, v ? v : "");
        return 2;
      }
      i++;
    } else if (IS ("-l", "--loudness")) {
      if (!parse_double (a, v, &opt.master.loudness_lufs))
        return 2;
      if (opt.master.loudness_lufs < -70.0 || opt.master.loudness_lufs > 0.0) {
        fprintf (stderr, "%s: --loudness %s: out of -70..0 LUFS\n", PROG, v);
        return 2;
      }
      i++;
    } else if (IS ("-c", "--ceiling")) {
      if (!parse_double (a, v, &opt.ceiling_dbtp))
        return 2;
      if (opt.ceiling_dbtp < -20.0 || opt.ceiling_dbtp > 0.0) {
        fprintf (stderr, "%s: --ceiling %s: out of -20..0 dBTP\n", PROG, v);
        return 2;
      }
      i++;
    } else if (IS ("-r", "--rate")) {
      if (!parse_double (a, v, &d))
        return 2;
      if (d < 8000 || d > 384000 || d != floor (d)) {
        fprintf (stderr, "%s: --rate %s: out of 8000..384000 Hz\n", PROG, v);
        return 2;
      }
      opt.master.rate_hz = (int) d;
      i++;
    } else if (!strcmp (a, "--max-gain")) {
      if (!parse_double (a, v, &opt.master.max_gain_db))
        return 2;
      if (opt.master.max_gain_db < 0 || opt.master.max_gain_db > GM_GAIN_MAX_DB) {
        fprintf (stderr, "%s: --max-gain must be 0..%g dB\n", PROG,
            GM_GAIN_MAX_DB);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--max-limiting")) {
      if (!parse_double (a, v, &opt.master.max_limiting_db))
        return 2;
      if (opt.master.max_limiting_db < 0) {
        fprintf (stderr, "%s: --max-limiting must be >= 0\n", PROG);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--headroom")) {
      if (!parse_double (a, v, &opt.master.headroom_db))
        return 2;
      if (opt.master.headroom_db < 0 || opt.master.headroom_db > 6) {
        fprintf (stderr, "%s: --headroom must be 0..6 dB\n", PROG);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--dither") || !strcmp (a, "--noise-shaping")) {
      opt.master.dither = gm_dither_find (v);
      if (!opt.master.dither) {
        fprintf (stderr, "%s: unknown dither '%s' (%s)\n", PROG, v ? v : "",
            gm_dither_choices ());
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--dynamics")) {
      MstMbcompSettings mb;
      if (!v || !mst_mbcomp_settings_preset (&mb, v)) {
        fprintf (stderr, "%s: unknown dynamics '%s' (none, gentle, glue)\n",
            PROG, v ? v : "");
        return 2;
      }
      opt.master.dynamics = v;
      i++;
    } else if (!strcmp (a, "--clean")) {
      gchar **names = g_strsplit (v ? v : "", ",", -1);
      if (!names[0]) {
        fprintf (stderr, "%s: --clean needs a list (declip, declick, "
            "dehum, denoise, comma-separated)\n", PROG);
        g_strfreev (names);
        return 2;
      }
      for (gchar ** n = names; *n; n++) {
        int stage = mst_clean_stage_find (g_strstrip (*n));
        if (stage < 0) {
          fprintf (stderr, "%s: unknown clean-up stage '%s' (declip, "
              "declick, dehum, denoise, comma-separated)\n", PROG, *n);
          g_strfreev (names);
          return 2;
        }
        opt.master.clean |= 1u << stage;
      }
      g_strfreev (names);
      i++;
    } else if (!strcmp (a, "--mono-below")) {
      if (!parse_double (a, v, &opt.master.mono_below_hz))
        return 2;
      if (opt.master.mono_below_hz != 0.0
          && !(opt.master.mono_below_hz >= MST_IMAGER_MIN_MONO_HZ
              && opt.master.mono_below_hz <= MST_IMAGER_MAX_MONO_HZ)) {
        fprintf (stderr, "%s: --mono-below must be 0 (off) or %g..%g Hz\n",
            PROG, MST_IMAGER_MIN_MONO_HZ, MST_IMAGER_MAX_MONO_HZ);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--allow-damaged")) {
      opt.master.allow_damaged = TRUE;
    } else if (!strcmp (a, "--report")) {
      if (!v) {
        fprintf (stderr, "%s: --report needs a file name\n", PROG);
        return 2;
      }
      opt.report = v;
      i++;
    } else if (IS ("-j", "--jobs")) {
      if (!parse_double (a, v, &d))
        return 2;
      if (d < 1 || d > 256 || d != floor (d)) {
        fprintf (stderr, "%s: -j %s: 1 to 256\n", PROG, v);
        return 2;
      }
      opt.jobs = (int) d;
      i++;
    } else if (mode_plan && !strcmp (a, "--manifest")) {
      if (!v) {
        fprintf (stderr, "%s: --manifest needs a file name\n", PROG);
        return 2;
      }
      plan_manifest = v;
      i++;
    } else if (!strcmp (a, "--")) {
      for (i++; i < argc; i++)
        g_ptr_array_add (inputs, argv[i]);
    } else if (a[0] == '-' && a[1]) {
      fprintf (stderr, "%s: unknown option '%s'\n", PROG, a);
      usage (stderr);
      return 2;
    } else {
      g_ptr_array_add (inputs, (gpointer) a);
    }
#undef IS
    for (int k = first; for_entry && k <= i && k < argc; k++)
      g_ptr_array_add (plan_args, argv[k]);
  }
  if (inputs->len == 0) {
    fprintf (stderr, "%s: no input file\n", PROG);
    return 2;
  }
  if (mode_master && !opt.output) {
    fprintf (stderr, "%s: %s needs -o OUT\n", PROG, cmd);
    return 2;
  }
  if (mode_plan && opt.report)
    fprintf (stderr, "%s: plan: --report is left out of the entries (one "
        "picture name for every file)\n", PROG);

  gst_init (NULL, NULL);
  if (!gst_registry_check_feature_version (gst_registry_get (), "loudmeter",
          0, 0, 0) || (mode_master && !gst_registry_check_feature_version
          (gst_registry_get (), "limiter", 0, 0, 0))) {
    fprintf (stderr, "%s: the mastering plugin (loudmeter, limiter) is not "
        "installed; set GST_PLUGIN_PATH to its build folder\n", PROG);
    return 1;
  }

  n_jobs = inputs->len;
  jobs = g_new0 (GmJob, n_jobs);
  {
    const MstTarget *t = opt.master.target ? opt.master.target
        : &mst_targets (NULL)[MST_TARGET_DEFAULT];
    gboolean folder = FALSE;
    if (mode_master) {
      folder = mode_plan || n_jobs > 1
          || g_file_test (opt.output, G_FILE_TEST_IS_DIR)
          || g_str_has_suffix (opt.output, "/");
      if (folder && g_mkdir_with_parents (opt.output, 0755) != 0) {
        fprintf (stderr, "%s: cannot create the output folder %s: %s\n",
            PROG, opt.output, g_strerror (errno));
        return 1;
      }
    }
    for (int i = 0; i < n_jobs; i++) {
      GmJob *j = &jobs[i];
      gm_job_init (j, g_ptr_array_index (inputs, i));
      if (!mode_master)
        continue;
      j->format = opt.format;
      if (!j->format) {
        char *err = NULL;
        if (!(j->format = gm_format_for_output (folder ? NULL : opt.output,
                    t->pcm_bits, &err))) {
          fprintf (stderr, "%s: %s\n", PROG, err);
          return 2;
        }
      }
      j->output = folder ? output_for (j->input, opt.output, j->format)
          : g_strdup (opt.output);
      j->target_lufs = t->loudness_lufs;
      j->ceiling_dbtp = isfinite (opt.ceiling_dbtp) ? opt.ceiling_dbtp
          : t->ceiling_dbtp;
      if (opt.report)
        j->report_path = report_for (opt.report, j->input, n_jobs);
    }
  }
  if (mode_plan) {
    FILE *out = plan_manifest ? g_fopen (plan_manifest, "w") : stdout;
    if (!out) {
      fprintf (stderr, "%s: %s: %s\n", PROG, plan_manifest,
          g_strerror (errno));
      return 1;
    }
    gm_batch_print_manifest (out, jobs, n_jobs,
        (const char *const *) plan_args->pdata, (int) plan_args->len);
    if (out != stdout && fclose (out) != 0) {
      fprintf (stderr, "%s: %s: %s\n", PROG, plan_manifest,
          g_strerror (errno));
      return 1;
    }
    return 0;
  }
  /* Podcast's mono target needs the channel count: read in pass 1. Here:
   * the loudness override, else the preset (mono handled in gm_master_job). */
  for (int i = 0; mode_master && i < n_jobs; i++)
    if (isfinite (opt.master.loudness_lufs))
      jobs[i].target_lufs = opt.master.loudness_lufs;

  gm_run_catch_signals ();
  gm_output_init ();

  progress.jobs = jobs;
  progress.n_jobs = n_jobs;
  progress.mode = !opt.progress ? (!opt.quiet && isatty (STDERR_FILENO) ?
      GM_PROGRESS_BAR : GM_PROGRESS_NONE) : !strcmp (opt.progress, "json") ?
      GM_PROGRESS_JSON : !strcmp (opt.progress, "bar") ? GM_PROGRESS_BAR
      : GM_PROGRESS_NONE;
  progress.start_us = g_get_monotonic_time ();
  {
    int n_threads = MIN (opt.jobs, n_jobs);
    GThread **threads = g_new (GThread *, n_threads);
    for (int i = 0; i < n_threads; i++)
      threads[i] = g_thread_new ("gst-master", worker, NULL);
    if (progress.mode != GM_PROGRESS_NONE) {
      for (;;) {
        gboolean all = TRUE;
        for (int i = 0; i < n_jobs; i++)
          all &= g_atomic_int_get (&jobs[i].finished) != 0;
        if (all || gm_interrupted)
          break;
        g_mutex_lock (&progress.lock);
        gm_progress_draw_locked (&progress);
        g_mutex_unlock (&progress.lock);
        g_usleep (200 * 1000);
      }
    }
    for (int i = 0; i < n_threads; i++)
      g_thread_join (threads[i]);
    g_free (threads);
  }
  g_mutex_lock (&progress.lock);
  gm_progress_clear_locked (&progress);
  g_mutex_unlock (&progress.lock);

  if (gm_interrupted) {
    fprintf (stderr, "%s: interrupted; no output file left behind\n", PROG);
    return 130;
  }

  for (int i = 0; i < n_jobs; i++)
    if (jobs[i].status == GM_STATUS_ERROR)
      failed++;
  if (opt.json) {
    char *text = gm_report_json (jobs, n_jobs, mode_master);
    puts (text);
    g_free (text);
  } else if (!mode_master) {
    gm_report_print_analyze_table (jobs, n_jobs);
  }
  if (n_jobs > 1 && !opt.json)
    fprintf (stderr, "%s: %d of %d files succeeded\n", PROG, n_jobs - failed,
        n_jobs);
  return failed ? 1 : 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 2 && !strcmp (argv[1], "run-manifest"))
    return gm_batch_run_manifest (argc - 1, argv + 1, run_command);
  return run_command (argc, argv);
}
