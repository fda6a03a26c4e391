/* gst-master: pipelines, measuring, progress. */
#include "gm-run.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t gm_interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  gm_interrupted = 1;
}

void
gm_run_catch_signals (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

void
gm_progress_clear_locked (GmProgress * p)
{
  if (p->on)
    fprintf (stderr, "\r\033[K");
}

void
gm_progress_draw_locked (GmProgress * p)
{
  double frac_sum = 0.0, audio_s = 0.0;
  int n_done = 0;
  const int width = 30;
  char bar[64];

  if (!p->on)
    return;
  for (int i = 0; i < p->n_jobs; i++) {
    GmJob *j = &p->jobs[i];
    gint done = g_atomic_int_get (&j->done_ms) + g_atomic_int_get (&j->pass_ms);
    gint total = g_atomic_int_get (&j->total_ms);
    gint passes = MAX (1, g_atomic_int_get (&j->passes_expected));
    if (g_atomic_int_get (&j->finished)) {
      frac_sum += 1.0;
      n_done++;
    } else if (total > 0) {
      frac_sum += MIN (1.0, (double) done / total);
    }
    audio_s += done / 1000.0 / passes;
  }
  double frac = p->n_jobs ? frac_sum / p->n_jobs : 1.0;
  double elapsed = (g_get_monotonic_time () - p->start_us) / 1e6;
  int fill = (int) (frac * width + 0.5);
  for (int i = 0; i < width; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  fprintf (stderr, "\r\033[K[%s] %3.0f%%", bar, frac * 100.0);
  /* From the first update on, so short files show them too (the final
   * update at 100 % always does). */
  if (elapsed > 0.0 && audio_s > 0.0)
    fprintf (stderr, "  %.1fx realtime", audio_s / elapsed);
  if (frac > 0.02 && elapsed > 0.0) {
    int left = (int) (elapsed * (1.0 - frac) / frac + 0.5);
    fprintf (stderr, "  %d:%02d left", left / 60, left % 60);
  }
  if (p->n_jobs > 1)
    fprintf (stderr, "  %d/%d files", n_done, p->n_jobs);
  fflush (stderr);
}

typedef struct {
  GmJob *job;
  gint64 frames;
  int bpf;
  int rate;
  int channels;
} Counter;

/* Counts the frames through a pad: duration of the file and progress. */
static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counter *c = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (c->bpf == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstStructure *s;
    if (!caps)
      return GST_PAD_PROBE_OK;
    s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "rate", &c->rate);
    gst_structure_get_int (s, "channels", &c->channels);
    c->bpf = 4 * MAX (1, c->channels);
    gst_caps_unref (caps);
  }
  c->frames += gst_buffer_get_size (buf) / c->bpf;
  if (c->rate > 0 && c->job)
    g_atomic_int_set (&c->job->pass_ms, (gint) (c->frames * 1000 / c->rate));
  return GST_PAD_PROBE_OK;
}

static void
figures_from_message (const GstStructure * s, GmFigures * f)
{
  gst_structure_get_double (s, "integrated", &f->integrated_lufs);
  gst_structure_get_double (s, "loudness-range", &f->range_lu);
  gst_structure_get_double (s, "true-peak", &f->true_peak_dbtp);
  gst_structure_get_double (s, "sample-peak", &f->sample_peak_dbfs);
  gst_structure_get_double (s, "momentary-max", &f->momentary_max_lufs);
  gst_structure_get_double (s, "short-term-max", &f->short_term_max_lufs);
  f->valid = TRUE;
}

static double
msg_time_s (const GstStructure * s)
{
  guint64 ts = 0;
  gst_structure_get_uint64 (s, "timestamp", &ts);
  return ts / 1e9;
}

/* Resets the "tpmeter" at every message it posts, so each message carries
 * the true peak of one interval. Runs in the streaming thread. */
static GstBusSyncReply
tp_reset_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  (void) bus;
  (void) user_data;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (msg, "loudness")
      && g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "tpmeter") == 0)
    g_signal_emit_by_name (GST_MESSAGE_SRC (msg), "reset");
  return GST_BUS_PASS;
}

gboolean
gm_run_pipeline (GmJob * job, const char *desc, const char *in, const char *out,
    const char *count_element, GmRunResult * res, char **errmsg)
{
  GError *err = NULL;
  GstElement *pipe, *el;
  GstBus *bus;
  GstPad *pad = NULL;
  Counter counter = { job, 0, 0, 0, 0 };
  gboolean ok = FALSE, done = FALSE;

  res->fig.valid = FALSE;
  res->fig.integrated_lufs = res->fig.true_peak_dbtp = -INFINITY;
  res->fig.sample_peak_dbfs = res->fig.momentary_max_lufs = -INFINITY;
  res->fig.short_term_max_lufs = -INFINITY;
  res->fig.range_lu = 0.0;
  res->gr_max_db = 0.0;

  pipe = gst_parse_launch (desc, &err);
  if (!pipe) {
    *errmsg = g_strdup_printf ("cannot build the pipeline (%s): %s", desc,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return FALSE;
  }
  if (err) {
    /* A missing element (an encoder plugin not installed). */
    *errmsg = g_strdup_printf ("cannot build the pipeline: %s", err->message);
    g_clear_error (&err);
    gst_object_unref (pipe);
    return FALSE;
  }
  el = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (el, "location", in, NULL);
  gst_object_unref (el);
  if (out) {
    el = gst_bin_get_by_name (GST_BIN (pipe), "sink");
    g_object_set (el, "location", out, NULL);
    gst_object_unref (el);
  }
  el = gst_bin_get_by_name (GST_BIN (pipe), count_element);
  pad = gst_element_get_static_pad (el, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &counter,
      NULL);
  gst_object_unref (el);

  bus = gst_element_get_bus (pipe);
  if (res->true_peak)
    gst_bus_set_sync_handler (bus, tp_reset_handler, NULL, NULL);
  g_atomic_int_set (&job->pass_ms, 0);

  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (m) {
      gst_message_parse_error (m, &err, NULL);
      gst_message_unref (m);
    }
    *errmsg = g_strdup (err ? err->message : "the pipeline did not start");
    g_clear_error (&err);
    goto out;
  }

  while (!done) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (gm_interrupted) {
      *errmsg = g_strdup ("interrupted");
      if (m)
        gst_message_unref (m);
      goto out;
    }
    if (job->total_ms == 0 && job->passes_expected > 0) {
      gint64 dur = 0;
      if (gst_element_query_duration (pipe, GST_FORMAT_TIME, &dur) && dur > 0)
        g_atomic_int_set (&job->total_ms,
            (gint) (dur / GST_MSECOND) * job->passes_expected);
    }
    if (!m)
      continue;
    switch (GST_MESSAGE_TYPE (m)) {
      case GST_MESSAGE_ERROR:{
        gchar *dbg = NULL;
        gst_message_parse_error (m, &err, &dbg);
        *errmsg = g_strdup (err->message);
        g_clear_error (&err);
        g_free (dbg);
        gst_message_unref (m);
        goto out;
      }
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (m);
        const char *src = GST_OBJECT_NAME (GST_MESSAGE_SRC (m));
        if (gst_structure_has_name (s, "loudness")
            && g_strcmp0 (src, "meter") == 0) {
          gboolean final = FALSE;
          gst_structure_get_boolean (s, "final", &final);
          if (final) {
            figures_from_message (s, &res->fig);
          } else if (res->short_term) {
            double st = -INFINITY;
            gst_structure_get_double (s, "short-term", &st);
            gm_series_add (res->short_term, msg_time_s (s), st);
          }
        } else if (gst_structure_has_name (s, "loudness")
            && g_strcmp0 (src, "tpmeter") == 0 && res->true_peak) {
          double tp = -INFINITY;
          gst_structure_get_double (s, "true-peak", &tp);
          gm_series_add (res->true_peak, msg_time_s (s), tp);
        } else if (gst_structure_has_name (s, "limiter")) {
          double gr = 0.0;
          gst_structure_get_double (s, "gain-reduction", &gr);
          res->gr_max_db = MAX (res->gr_max_db, gr);
          if (res->gain_reduction)
            gm_series_add (res->gain_reduction, msg_time_s (s), gr);
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (m);
  }
  res->fig.rate_hz = counter.rate;
  res->fig.channels = counter.channels;
  res->fig.duration_s = counter.rate ? (double) counter.frames / counter.rate
      : 0.0;
  if (counter.frames == 0) {
    *errmsg = g_strdup ("no audio stream");
    goto out;
  }
  ok = TRUE;

out:
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_atomic_int_add (&job->done_ms, g_atomic_int_get (&job->pass_ms));
  g_atomic_int_set (&job->pass_ms, 0);
  return ok;
}

/* The measuring pipeline: decode, F32, the meter (and with @per_interval_tp
 * a second meter reset at every interval, for true peak over time). */
static char *
measure_desc (gboolean per_interval_tp)
{
  return g_strdup_printf ("filesrc name=src ! decodebin ! audioconvert ! "
      "audio/x-raw,format=F32LE,layout=interleaved ! "
      "loudmeter name=meter interval=%" G_GUINT64_FORMAT " ! %s"
      "fakesink sync=false", (guint64) GM_INTERVAL_NS, per_interval_tp ?
      "loudmeter name=tpmeter interval=100000000 ! " : "");
}

char *
gm_check_input (const char *path)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    return g_strdup_printf ("%s: %s", path, g_strerror (errno));
  if (S_ISDIR (st.st_mode))
    return g_strdup_printf ("%s: is a directory", path);
  if (access (path, R_OK) != 0)
    return g_strdup_printf ("%s: %s", path, g_strerror (errno));
  return NULL;
}

gboolean
gm_measure_file (GmJob * job, const char *path, GmFigures * fig, GmSeries * st,
    GmSeries * tp, char **errmsg)
{
  GmRunResult r = { 0 };
  char *desc = measure_desc (tp != NULL);
  char *msg = NULL;
  gboolean ok;

  r.short_term = st;
  r.true_peak = tp;
  ok = gm_run_pipeline (job, desc, path, NULL, "meter", &r, &msg);
  g_free (desc);
  if (!ok) {
    if (g_strcmp0 (msg, "interrupted") == 0)
      *errmsg = msg;
    else {
      *errmsg = g_strdup_printf ("cannot decode %s: %s", path, msg);
      g_free (msg);
    }
    return FALSE;
  }
  *fig = r.fig;
  return TRUE;
}

void
gm_analyze_job (GmJob * job)
{
  char *errmsg = NULL;

  job->passes_expected = 1;
  if ((errmsg = gm_check_input (job->input))
      || !gm_measure_file (job, job->input, &job->before, NULL, NULL,
          &errmsg)) {
    gm_job_note (job, GM_STATUS_ERROR, "%s", errmsg);
    g_free (errmsg);
    return;
  }
  if (job->before.duration_s < GM_MIN_INTEGRATED_S)
    gm_job_note (job, GM_STATUS_WARNING, "shorter than 400 ms: no loudness");
  else if (job->before.duration_s < GM_MIN_SHORT_TERM_S)
    gm_job_note (job, GM_STATUS_WARNING,
        "shorter than 3 s: no short-term loudness "
        "or loudness range");
  else if (!isfinite (job->before.integrated_lufs))
    gm_job_note (job, GM_STATUS_WARNING, "silent: no loudness can be measured");
}
