/* gst-master: text and JSON reports. */
#include "gm-report.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

/* A figure in milli-units, as the text report prints them; JSON has no
 * infinity: not measurable (-inf) is null. */
void
gm_json_number (JsonBuilder * b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isfinite (v))
    json_builder_add_double_value (b, round (v * 1000.0) / 1000.0);
  else
    json_builder_add_null_value (b);
}

void
gm_json_int (JsonBuilder * b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
json_string (JsonBuilder * b, const char *key, const char *v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, v);
}

/* The loudness range, NAN where it is not defined: under 3 s (short-term
 * loudness needs 3 s) or silent (no short-term block passes the gates,
 * EBU Tech 3342; the meter then says 0). */
static double
figures_lra (const GmFigures * f)
{
  return f->duration_s >= GM_MIN_SHORT_TERM_S && isfinite (f->integrated_lufs)
      ? f->range_lu : NAN;
}

static void
json_figures (JsonBuilder * b, const char *key, const GmFigures * f)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  gm_json_number (b, "duration_s", f->duration_s);
  /* What the file declares (null: not known), against what decoded. */
  gm_json_number (b, "declared_duration_s", f->declared_s);
  gm_json_int (b, "rate_hz", f->rate_hz);
  gm_json_int (b, "channels", f->channels);
  gm_json_number (b, "integrated_lufs", f->integrated_lufs);
  gm_json_number (b, "loudness_range_lu", figures_lra (f));
  gm_json_number (b, "true_peak_dbtp", f->true_peak_dbtp);
  gm_json_number (b, "sample_peak_dbfs", f->sample_peak_dbfs);
  gm_json_number (b, "momentary_max_lufs", f->momentary_max_lufs);
  gm_json_number (b, "short_term_max_lufs", f->short_term_max_lufs);
  /* Stereo and extreme highs: null where not measured (mono, no window
   * above the gate, a rate under 35.2 kHz). */
  gm_json_number (b, "correlation_min", f->stereo_valid ? f->correlation_min
      : NAN);
  gm_json_number (b, "correlation_min_at_s", f->stereo_valid
      ? f->correlation_min_at_s : NAN);
  gm_json_number (b, "correlation_mean", f->stereo_valid ? f->correlation_mean
      : NAN);
  if (f->stereo_valid)
    gm_json_int (b, "negative_correlation_windows", f->negative_windows);
  gm_json_number (b, "mono_loss_db", f->stereo_valid ? f->mono_loss_db : NAN);
  gm_json_number (b, "energy_above_16khz_db", f->hf_valid ? f->hf_ratio_db
      : NAN);
  gm_json_number (b, "above_16khz_max_dbfs", f->hf_valid ? f->hf_max_dbfs
      : NAN);
  if (f->restoration_valid) {
    /* analyze: what the clean-up elements find. */
    gm_json_number (b, "noise_floor_dbfs", f->noise_floor_dbfs);
    gm_json_number (b, "hum_dbfs", f->hum_dbfs);
    gm_json_number (b, "hum_hz", f->hum_hz > 0.0 ? f->hum_hz : NAN);
    gm_json_int (b, "clicks", f->clicks);
  }
  json_builder_end_object (b);
}

void
gm_report_json_job (JsonBuilder * b, const GmJob * job, gboolean master)
{
  json_builder_begin_object (b);
  json_string (b, "input", job->input);
  json_string (b, "status", gm_job_status_name (job));
  /* Held at a bound: by how much the written file missed the target. */
  if (gm_job_limit_name (job))
    gm_json_number (b, "target_missed_lu", job->missed_lu);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < job->notes->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (job->notes, i));
  json_builder_end_array (b);
  if (job->before.valid)
    json_figures (b, master ? "before" : "figures", &job->before);
  if (master) {
    json_string (b, "output", job->output);
    json_string (b, "format", job->format->name);
    gm_json_number (b, "target_lufs", job->target_lufs);
    gm_json_number (b, "ceiling_dbtp", job->ceiling_dbtp);
    gm_json_number (b, "mono_below_hz", job->mono_below_hz);
    /* The quantization of the output: null for float or digital silence. */
    if (job->dither)
      json_string (b, "dither", job->dither);
    else {
      json_builder_set_member_name (b, "dither");
      json_builder_add_null_value (b);
    }
    if (job->after.valid && job->status != GM_STATUS_ERROR) {
      gm_json_number (b, "gain_db", job->gain_db);
      gm_json_number (b, "limiter_max_reduction_db", job->limiter_max_db);
      gm_json_number (b, "headroom_db", job->headroom_db);
      gm_json_int (b, "passes", job->attempts);
      json_figures (b, "after", &job->after);
    }
  }
  gm_json_number (b, "seconds", job->seconds);
  json_builder_end_object (b);
}

char *
gm_report_json (const GmJob * jobs, int n_jobs, gboolean master)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  char *text;

  json_builder_begin_array (b);
  for (int i = 0; i < n_jobs; i++)
    gm_report_json_job (b, &jobs[i], master);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return text;
}

static char *
fmt_db (double v, int dec)
{
  return isfinite (v) ? g_strdup_printf ("%.*f", dec, v) : g_strdup ("-");
}

static void
text_row (const char *label, double b, double a, const char *extra)
{
  char *sb = fmt_db (b, 2), *sa = fmt_db (a, 2);
  printf ("  %-22s %10s %10s%s\n", label, sb, sa, extra ? extra : "");
  g_free (sb);
  g_free (sa);
}

void
gm_report_print_master (const GmJob * job)
{
  printf ("%s -> %s  [%s]\n", job->input, job->output,
      gm_job_status_name (job));
  if (job->before.valid && job->after.valid && job->status != GM_STATUS_ERROR) {
    char *t_extra = isfinite (job->target_lufs) ?
        g_strdup_printf ("   target %.1f", job->target_lufs) : NULL;
    char *c_extra = g_strdup_printf ("   ceiling %.1f", job->ceiling_dbtp);
    printf ("  %-22s %10s %10s\n", "", "before", "after");
    text_row ("integrated (LUFS)", job->before.integrated_lufs,
        job->after.integrated_lufs, t_extra);
    text_row ("true peak (dBTP)", job->before.true_peak_dbtp,
        job->after.true_peak_dbtp, c_extra);
    text_row ("sample peak (dBFS)", job->before.sample_peak_dbfs,
        job->after.sample_peak_dbfs, NULL);
    text_row ("loudness range (LU)", figures_lra (&job->before),
        figures_lra (&job->after), NULL);
    text_row ("max short-term (LUFS)", job->before.short_term_max_lufs,
        job->after.short_term_max_lufs, NULL);
    if (job->before.stereo_valid && job->after.stereo_valid) {
      text_row ("correlation min", job->before.correlation_min,
          job->after.correlation_min, "   400 ms windows");
      text_row ("correlation mean", job->before.correlation_mean,
          job->after.correlation_mean, NULL);
    }
    if (job->before.hf_valid && job->after.hf_valid)
      text_row ("above 16 kHz (dB)", job->before.hf_ratio_db,
          job->after.hf_ratio_db, "   of the total energy");
    printf ("  %-22s %10d %10d\n", "rate (Hz)", job->before.rate_hz,
        job->after.rate_hz);
    printf ("  gain %+.2f dB, limiter gain reduction up to %.2f dB, "
        "%d pass%s of mastering, %s, dither %s, %.1f s\n", job->gain_db,
        job->limiter_max_db, job->attempts, job->attempts > 1 ? "es" : "",
        job->format->name, job->dither ? job->dither : "none",
        job->seconds);
    g_free (t_extra);
    g_free (c_extra);
  }
  for (guint i = 0; i < job->notes->len; i++)
    printf ("  note: %s\n", (char *) g_ptr_array_index (job->notes, i));
}

void
gm_report_print_analyze_table (const GmJob * jobs, int n_jobs)
{
  printf ("%-32s %9s %7s %7s %7s %8s %8s %9s %3s %6s %6s %6s %6s %6s %10s "
      "%6s\n", "file", "I (LUFS)", "LRA", "TP", "SP", "M max", "S max",
      "dur (s)", "ch", "rate", "cormin", "cormean", "mono", "noise", "hum",
      "clicks");
  for (int i = 0; i < n_jobs; i++) {
    const GmJob *j = &jobs[i];
    const GmFigures *f = &j->before;
    if (j->status == GM_STATUS_ERROR || !f->valid) {
      printf ("%-32s error: %s\n", j->input, j->notes->len ?
          (char *) g_ptr_array_index (j->notes, 0) : "failed");
      continue;
    }
    char *I = fmt_db (f->integrated_lufs, 1);
    char *lra = fmt_db (figures_lra (f), 1);
    char *tp = fmt_db (f->true_peak_dbtp, 1), *sp = fmt_db (f->sample_peak_dbfs, 1);
    char *m = fmt_db (f->momentary_max_lufs, 1);
    char *st = fmt_db (f->short_term_max_lufs, 1);
    char *cmin = fmt_db (f->stereo_valid ? f->correlation_min : NAN, 2);
    char *cmean = fmt_db (f->stereo_valid ? f->correlation_mean : NAN, 2);
    char *mono = fmt_db (f->stereo_valid ? f->mono_loss_db : NAN, 1);
    char *noise = fmt_db (f->restoration_valid ? f->noise_floor_dbfs : NAN,
        1);
    char *hum = f->restoration_valid && f->hum_hz > 0.0 ?
        g_strdup_printf ("%.1f@%.0f", f->hum_dbfs, f->hum_hz) : g_strdup ("-");
    char *clicks = f->restoration_valid ? g_strdup_printf ("%"
        G_GINT64_FORMAT, f->clicks) : g_strdup ("-");
    printf ("%-32s %9s %7s %7s %7s %8s %8s %9.2f %3d %6d %6s %6s %6s %6s "
        "%10s %6s\n", j->input, I, lra, tp, sp, m, st, f->duration_s,
        f->channels, f->rate_hz, cmin, cmean, mono, noise, hum, clicks);
    g_free (noise);
    g_free (hum);
    g_free (clicks);
    g_free (cmin);
    g_free (cmean);
    g_free (mono);
    for (guint k = 0; k < j->notes->len; k++)
      printf ("%-32s   note: %s\n", "", (char *) g_ptr_array_index (j->notes, k));
    g_free (I);
    g_free (lra);
    g_free (tp);
    g_free (sp);
    g_free (m);
    g_free (st);
  }
}
