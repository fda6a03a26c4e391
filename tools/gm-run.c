/* gst-master: pipelines, measuring, progress. */
#include "gm-run.h"

#include "gm-damage.h"
#include "mst-biquad.h"
#include "mst-declick.h"
#include "mst-dehum.h"
#include "mst-denoise.h"
#include "mst-stereo-analysis.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
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

/* Before any pass of a kind has run: its time per audio second against a
 * measuring pass's. Measured (GST_MASTER_DEBUG) on 320 s of the demo mix
 * and 480 s of mono noise, WAV to WAV, idle and loaded 2-core machine:
 * 0.40-0.77 s a mastering pass (limiter with its true-peak detector,
 * dither, encoder), 0.22-0.37 s a measuring one, 1.3 to 2.6 times. */
#define MASTER_COST_PRIOR 1.8

/* Per job: the passes announced and those run, by kind. Per kind, over all
 * jobs: the wall time and the audio of the passes run, for its speed. All
 * under plan_lock, which no streaming thread takes. */
typedef struct {
  int planned[GM_N_PASS_KINDS];
  int finished[GM_N_PASS_KINDS];
  int running;                  /* a GmPassKind, -1: none */
  gint64 running_start_us;
  gint duration_ms;             /* audio of one pass; 0: not known yet */
} PassPlan;

static GMutex plan_lock;
static GHashTable *plans;       /* GmJob * -> PassPlan * */
static gint64 kind_wall_us[GM_N_PASS_KINDS];
static gint64 kind_audio_ms[GM_N_PASS_KINDS];

/* @job's plan, made from passes_expected at its first pass. Under
 * plan_lock. */
static PassPlan *
plan_of (GmJob * job)
{
  PassPlan *pl;

  if (!plans)
    plans = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  pl = g_hash_table_lookup (plans, job);
  if (!pl) {
    int n = MAX (1, job->passes_expected);
    pl = g_new0 (PassPlan, 1);
    pl->planned[GM_PASS_MEASURE] = MIN (n, 2);
    pl->planned[GM_PASS_MASTER] = n - MIN (n, 2);
    pl->running = -1;
    g_hash_table_insert (plans, job, pl);
  }
  return pl;
}

void
gm_progress_add_pass (GmJob * job, GmPassKind kind)
{
  g_mutex_lock (&plan_lock);
  PassPlan *pl = plan_of (job);
  pl->planned[kind]++;
  g_atomic_int_add (&job->passes_expected, 1);
  g_atomic_int_add (&job->total_ms, pl->duration_ms);
  g_mutex_unlock (&plan_lock);
}

static void
pass_begin (GmJob * job, GmPassKind kind)
{
  g_mutex_lock (&plan_lock);
  PassPlan *pl = plan_of (job);
  /* A pass nobody announced still counts, from now on. */
  if (pl->planned[kind] <= pl->finished[kind])
    pl->planned[kind]++;
  pl->running = kind;
  pl->running_start_us = g_get_monotonic_time ();
  g_mutex_unlock (&plan_lock);
}

static void
pass_set_duration (GmJob * job, gint duration_ms)
{
  g_mutex_lock (&plan_lock);
  PassPlan *pl = plan_of (job);
  if (pl->duration_ms == 0)
    pl->duration_ms = duration_ms;
  g_mutex_unlock (&plan_lock);
}

/* @audio_ms: what the pass went through, when it ran to the end (else 0,
 * and it says nothing of its kind's speed). */
static void
pass_end (GmJob * job, gint audio_ms)
{
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&plan_lock);
  PassPlan *pl = plan_of (job);
  int kind = pl->running;
  if (kind >= 0) {
    pl->finished[kind]++;
    if (audio_ms > 0) {
      kind_wall_us[kind] += now - pl->running_start_us;
      kind_audio_ms[kind] += audio_ms;
      pl->duration_ms = audio_ms;
    }
    if (g_getenv ("GST_MASTER_DEBUG"))
      fprintf (stderr, "%s: %s pass of %d ms in %.3f s\n", job->input,
          kind == GM_PASS_MASTER ? "mastering" : "measuring", audio_ms,
          (now - pl->running_start_us) / 1e6);
  }
  pl->running = -1;
  g_mutex_unlock (&plan_lock);
}

/* Wall seconds per second of audio of each kind of pass, the running ones
 * included; a kind not run yet from the other and MASTER_COST_PRIOR. Under
 * plan_lock. */
static void
kind_costs (gint64 now_us, double cost[GM_N_PASS_KINDS])
{
  double wall_us[GM_N_PASS_KINDS], audio_ms[GM_N_PASS_KINDS];
  GHashTableIter it;
  gpointer key, value;

  for (int k = 0; k < GM_N_PASS_KINDS; k++) {
    wall_us[k] = kind_wall_us[k];
    audio_ms[k] = kind_audio_ms[k];
  }
  if (plans) {
    g_hash_table_iter_init (&it, plans);
    while (g_hash_table_iter_next (&it, &key, &value)) {
      const PassPlan *pl = value;
      gint done = g_atomic_int_get (&((GmJob *) key)->pass_ms);
      if (pl->running >= 0 && done > 0) {
        wall_us[pl->running] += now_us - pl->running_start_us;
        audio_ms[pl->running] += done;
      }
    }
  }
  for (int k = 0; k < GM_N_PASS_KINDS; k++)
    cost[k] = audio_ms[k] > 0 ? wall_us[k] / 1e3 / audio_ms[k] : NAN;
  if (isnan (cost[GM_PASS_MEASURE]))
    cost[GM_PASS_MEASURE] = isnan (cost[GM_PASS_MASTER]) ? 1.0
        : cost[GM_PASS_MASTER] / MASTER_COST_PRIOR;
  if (isnan (cost[GM_PASS_MASTER]))
    cost[GM_PASS_MASTER] = cost[GM_PASS_MEASURE] * MASTER_COST_PRIOR;
}

void
gm_progress_clear_locked (GmProgress * p)
{
  if (p->mode == GM_PROGRESS_BAR)
    fprintf (stderr, "\r\033[K");
}

/* What the progress line shows, over all jobs. */
typedef struct {
  double work;                  /* fraction of the known work done */
  double audio_s;               /* audio through every pass of its file */
  double done_cost, left_cost;  /* s, at the speed of one job alone */
  int pass, passes, n_done;
} Tally;

static void
tally (const GmProgress * p, gint64 now_us, Tally * t)
{
  double cost[GM_N_PASS_KINDS], frac_sum = 0.0, known_cost = 0.0;
  int n_known = 0, n_unknown = 0;

  memset (t, 0, sizeof *t);
  g_mutex_lock (&plan_lock);
  kind_costs (now_us, cost);
  for (int i = 0; i < p->n_jobs; i++) {
    GmJob *j = &p->jobs[i];
    const PassPlan *pl = plans ? g_hash_table_lookup (plans, j) : NULL;
    gboolean finished = g_atomic_int_get (&j->finished) != 0;
    double total = 0.0, done = 0.0, frac;

    if (!pl) {
      frac_sum += finished ? 1.0 : 0.0;
      t->n_done += finished;
      n_unknown += !finished;
      continue;
    }
    for (int k = 0; k < GM_N_PASS_KINDS; k++) {
      total += pl->planned[k] * cost[k];
      done += pl->finished[k] * cost[k];
      t->pass += pl->finished[k];
      t->passes += pl->planned[k];
    }
    t->pass += pl->running >= 0;
    if (finished) {
      frac = 1.0;
      total = done;
      t->n_done++;
    } else {
      if (pl->running >= 0 && pl->duration_ms > 0)
        done += MIN (1.0, (double) g_atomic_int_get (&j->pass_ms)
            / pl->duration_ms) * cost[pl->running];
      frac = total > 0 ? done / total : 0.0;
    }
    frac_sum += frac;
    if (pl->duration_ms == 0) {
      n_unknown += !finished;
      continue;
    }
    /* Per pass so far: cost per audio second; now in seconds. */
    total *= pl->duration_ms / 1000.0;
    done *= pl->duration_ms / 1000.0;
    t->done_cost += done;
    t->left_cost += total - done;
    t->audio_s += frac * pl->duration_ms / 1000.0;
    known_cost += total;
    n_known++;
  }
  g_mutex_unlock (&plan_lock);
  /* A file not started yet: as long as the mean of those known. */
  t->left_cost = n_known ? t->left_cost + n_unknown * known_cost / n_known
      : NAN;
  t->work = p->n_jobs ? frac_sum / p->n_jobs : 1.0;
}

void
gm_progress_draw_locked (GmProgress * p)
{
  const int width = 30;
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - p->start_us) / 1e6;
  double left_s = NAN, realtime = NAN;
  char bar[64];
  Tally t;

  if (p->mode == GM_PROGRESS_NONE)
    return;
  tally (p, now, &t);
  /* Monotonic: an advance of the known work moves the bar by its share of
   * what the bar has left; work added later (the fraction drops) does not
   * move it back. At the end both are 1. */
  if (t.work > p->last_work && p->last_work < 1.0)
    p->shown += (1.0 - p->shown) * (t.work - p->last_work)
        / (1.0 - p->last_work);
  p->last_work = t.work;
  if (t.n_done == p->n_jobs)
    p->shown = 1.0;
  p->shown = CLAMP (p->shown, 0.0, 1.0);

  if (elapsed > 0.0 && t.audio_s > 0.0)
    realtime = t.audio_s / elapsed;
  /* The work left at the speed so far (the ratio of wall time to the work
   * done: parallel jobs and the time between passes included). */
  if (t.n_done == p->n_jobs)
    left_s = 0.0;
  else if (t.done_cost > 0.0 && p->shown > 0.02 && isfinite (t.left_cost))
    left_s = t.left_cost * elapsed / t.done_cost;

  if (p->mode == GM_PROGRESS_JSON) {
    char f[G_ASCII_DTOSTR_BUF_SIZE], e[G_ASCII_DTOSTR_BUF_SIZE];
    char r[G_ASCII_DTOSTR_BUF_SIZE] = "null", l[G_ASCII_DTOSTR_BUF_SIZE] =
        "null";
    /* Rounded down: 1 only at the end. */
    g_ascii_formatd (f, sizeof f, "%.4f", t.n_done == p->n_jobs ? 1.0
        : floor (p->shown * 1e4) / 1e4);
    g_ascii_formatd (e, sizeof e, "%.3f", elapsed);
    if (isfinite (realtime))
      g_ascii_formatd (r, sizeof r, "%.2f", realtime);
    if (isfinite (left_s))
      g_ascii_formatd (l, sizeof l, "%.3f", left_s);
    fprintf (stderr, "{\"progress\": %s, \"pass\": %d, \"passes\": %d, "
        "\"files_done\": %d, \"files\": %d, \"elapsed_s\": %s, "
        "\"realtime\": %s, \"left_s\": %s}\n", f, t.pass, t.passes, t.n_done,
        p->n_jobs, e, r, l);
    fflush (stderr);
    return;
  }
  int fill = (int) (p->shown * width);  /* full only at 100 % */
  for (int i = 0; i < width; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  fprintf (stderr, "\r\033[K[%s] %3.0f%%", bar, floor (p->shown * 100.0));
  if (p->n_jobs == 1 && t.passes > 0)
    fprintf (stderr, "  pass %d/%d", MAX (1, t.pass), t.passes);
  /* From the first update on, so short files show them too (the final
   * update at 100 % always does). */
  if (isfinite (realtime))
    fprintf (stderr, "  %.1fx realtime", realtime);
  if (isfinite (left_s)) {
    int left = (int) (left_s + 0.5);
    fprintf (stderr, "  %d:%02d left", left / 60, left % 60);
  }
  if (p->n_jobs > 1)
    fprintf (stderr, "  %d/%d files", t.n_done, p->n_jobs);
  fflush (stderr);
}

#define HF_BLOCK 1024

/* What a measuring pass adds to the meter's figures: stereo correlation
 * and the energy above 16 kHz. Allocated before the pipeline starts. */
typedef struct {
  gboolean ready;
  MstStereoMeter stereo;
  gboolean hf;
  MstBiquadCascade hp;
  int hop_frames, hop_fill, hop_index, hops_filled;
  double hop_hf, hops_hf[MST_STEREO_HOPS];
  double hf_energy, full_energy, hf_window_max;
  double planar[MST_MAX_CHANNELS * HF_BLOCK];
  /* gst-master analyze: the clean-up cores run on the audio (NULL: not
   * asked, or they could not start), their output into @repaired. */
  gboolean restoration;
  MstDeclick *declick;
  MstDenoise *denoise;
  MstDehum *dehum;
  float *repaired;
  size_t repaired_frames;
} Analysis;

/* The clean-up cores for @rate and @channels; FALSE when one cannot
 * start (its figures are then left out). */
static gboolean
restoration_start (Analysis * a, int rate, int channels)
{
  a->declick = mst_declick_init (channels);
  a->denoise = mst_denoise_init (channels);
  a->dehum = mst_dehum_init ();
  if (!a->declick || !a->denoise || !a->dehum
      || mst_declick_configure (a->declick, rate, channels) != MST_OK
      || mst_denoise_configure (a->denoise, rate, channels) != MST_OK
      || mst_dehum_configure (a->dehum, rate, channels) != MST_OK)
    return FALSE;
  a->repaired_frames = HF_BLOCK + MAX (mst_declick_get_latency (a->declick),
      mst_denoise_get_latency (a->denoise));
  a->repaired = g_new (float, a->repaired_frames * channels);
  return TRUE;
}

static void
restoration_stop (Analysis * a)
{
  mst_declick_destroy (&a->declick);
  mst_denoise_destroy (&a->denoise);
  mst_dehum_destroy (&a->dehum);
  g_clear_pointer (&a->repaired, g_free);
}

/* @n frames (n <= HF_BLOCK) through the cores in the master bin's order:
 * the clicks repaired, then the hum found and removed, then the noise
 * tracked in what is left (hum lines are steady, and a noise tracker would
 * count them in the floor). What comes out is not kept. */
static void
restoration_add (Analysis * a, const float *x, size_t n)
{
  size_t repaired, out;
  mst_declick_process_f32 (a->declick, x, n, a->repaired, &repaired);
  mst_dehum_process_f32 (a->dehum, a->repaired, repaired);
  mst_denoise_process_f32 (a->denoise, a->repaired, repaired, a->repaired,
      &out);
}

/* The cores drained (their last frames analysed) and read into @f. */
static void
restoration_figures (Analysis * a, int channels, GmFigures * f)
{
  size_t n = MAX (mst_declick_get_pending (a->declick),
      mst_denoise_get_pending (a->denoise)), out;
  float *tail = g_new (float, MAX (n, 1) * channels);
  MstDehumStatus hum;

  mst_declick_drain_f32 (a->declick, tail, &out);
  mst_dehum_process_f32 (a->dehum, tail, out);
  mst_denoise_process_f32 (a->denoise, tail, out, tail, &out);
  mst_denoise_drain_f32 (a->denoise, tail, &out);
  g_free (tail);
  f->restoration_valid = mst_dehum_get_status (a->dehum, &hum) == MST_OK;
  /* A click is on every channel as a rule: the most any channel had. */
  f->clicks = 0;
  for (int c = 0; c < channels; c++)
    f->clicks = MAX (f->clicks, (gint64) mst_declick_get_click_count
        (a->declick, c));
  /* -INFINITY on digital silence: "-" in the table, null in the JSON. */
  f->noise_floor_dbfs = mst_denoise_get_noise_floor (a->denoise);
  f->hum_dbfs = hum.detected ? hum.level_db : -INFINITY;
  f->hum_hz = hum.detected && isfinite (hum.level_db) ? hum.nominal_hz
      : 0.0;
}

static void
analysis_start (Analysis * a, int rate, int channels)
{
  MstFilterParams p = { MST_FILTER_LOW_CUT, GM_HF_EDGE_HZ, 0.0, M_SQRT1_2, 48 };
  MstBiquad sections[MST_FILTER_MAX_SECTIONS];
  int n = 0;

  mst_stereo_meter_init (&a->stereo, rate);
  a->hop_frames = a->stereo.hop_frames;
  a->hf = rate >= GM_HF_MIN_RATE_HZ && channels <= MST_MAX_CHANNELS
      && mst_filter_design (&p, rate, sections, &n) == MST_OK;
  if (a->hf) {
    a->hp.n_sections = n;
    memcpy (a->hp.coefs, sections, n * sizeof *sections);
    mst_biquad_cascade_reset (&a->hp);
  }
  if (a->restoration && !restoration_start (a, rate, channels))
    restoration_stop (a);
  a->ready = TRUE;
}

/* The high band's energy of @n frames (n <= HF_BLOCK), in hops of 100 ms
 * for the loudest 400 ms window (BS.1770's blocks). */
static void
analysis_hf (Analysis * a, const float *x, int n, int channels)
{
  static const int all[MST_MAX_CHANNELS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  for (int c = 0; c < channels; c++)
    for (int i = 0; i < n; i++) {
      double v = x[i * channels + c];
      v = fabs (v) <= MST_MAX_INPUT ? v : 0.0;
      a->planar[c * HF_BLOCK + i] = v;
      a->full_energy += v * v;
    }
  mst_biquad_cascade_run (&a->hp, all, channels, a->planar, HF_BLOCK, NULL,
      n);
  mst_biquad_cascade_check_finite (&a->hp, channels);
  for (int i = 0; i < n; i++) {
    double e = 0.0;
    for (int c = 0; c < channels; c++)
      e += a->planar[c * HF_BLOCK + i] * a->planar[c * HF_BLOCK + i];
    a->hop_hf += e;
    if (++a->hop_fill == a->hop_frames) {
      double window = 0.0;
      a->hf_energy += a->hop_hf;
      a->hops_hf[a->hop_index] = a->hop_hf;
      a->hop_index = (a->hop_index + 1) % MST_STEREO_HOPS;
      a->hops_filled = MIN (a->hops_filled + 1, MST_STEREO_HOPS);
      a->hop_hf = 0.0;
      a->hop_fill = 0;
      for (int k = 0; k < MST_STEREO_HOPS; k++)
        window += a->hops_hf[k];
      if (a->hops_filled == MST_STEREO_HOPS)
        a->hf_window_max = MAX (a->hf_window_max, window);
    }
  }
}

static void
analysis_add (Analysis * a, const float *x, gsize n_frames, int channels)
{
  if (channels >= 2)
    mst_stereo_meter_add (&a->stereo, x, n_frames, channels, 0, 1,
        MST_FORMAT_F32);
  for (gsize done = 0; a->repaired && done < n_frames; done += HF_BLOCK)
    restoration_add (a, x + done * channels, MIN (HF_BLOCK, n_frames - done));
  if (!a->hf)
    return;
  for (gsize done = 0; done < n_frames; done += HF_BLOCK)
    analysis_hf (a, x + done * channels, (int) MIN (HF_BLOCK,
            n_frames - done), channels);
}

static void
analysis_figures (Analysis * a, int channels, GmFigures * f)
{
  MstStereoFigures whole;
  if (!a->ready)
    return;
  if (a->repaired)
    restoration_figures (a, channels, f);
  if (channels >= 2) {
    mst_stereo_figures (&a->stereo.total, &whole);
    f->stereo_valid = TRUE;
    /* Silence loses nothing in the fold-down but has no figure either:
     * "-", as its correlation. */
    f->mono_loss_db = a->stereo.total.ll + a->stereo.total.rr > 0.0
        ? whole.mono_loss_db : NAN;
    f->negative_windows = (gint64) a->stereo.n_windows_negative;
    if (a->stereo.n_windows > 0) {
      f->correlation_min = a->stereo.correlation_min;
      f->correlation_min_at_s = a->stereo.correlation_min_at_s;
      f->correlation_mean = mst_stereo_meter_correlation_mean (&a->stereo);
    }
  }
  if (a->hf && a->full_energy > 0.0 && a->stereo.hop_frames > 0) {
    double hf = a->hf_energy + a->hop_hf;
    f->hf_valid = TRUE;
    f->hf_ratio_db = hf > 0.0 ? 10.0 * log10 (hf / a->full_energy)
        : -INFINITY;
    /* Mean square per channel over a window of 4 hops, in dBFS RMS. */
    f->hf_max_dbfs = a->hf_window_max > 0.0 ? 10.0 * log10 (a->hf_window_max
        / (MST_STEREO_HOPS * (double) a->hop_frames * channels))
        : -INFINITY;
  }
}

typedef struct {
  GmJob *job;
  gint64 frames;
  int bpf;
  int rate;
  int channels;
  Analysis *analysis;           /* NULL: not asked */
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
  if (c->analysis && c->rate > 0 && c->channels > 0) {
    GstMapInfo map;
    if (!c->analysis->ready)
      analysis_start (c->analysis, c->rate, c->channels);
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      analysis_add (c->analysis, (const float *) map.data,
          map.size / c->bpf, c->channels);
      gst_buffer_unmap (buf, &map);
    }
  }
  if (c->rate > 0 && c->job)
    g_atomic_int_set (&c->job->pass_ms, (gint) (c->frames * 1000 / c->rate));
  return GST_PAD_PROBE_OK;
}

/* The true peak is the strictest of the meter's readings: BS.1770-4's
 * interpolator (as libebur128 and most meters) and FFmpeg's ebur128 with
 * peak=true (measure-true-peak-strict), which reads more near Nyquist and
 * at a file's start. */
static void
figures_from_message (const GstStructure * s, GmFigures * f)
{
  double strict = NAN;
  gst_structure_get_double (s, "integrated", &f->integrated_lufs);
  gst_structure_get_double (s, "loudness-range", &f->range_lu);
  gst_structure_get_double (s, "true-peak", &f->true_peak_dbtp);
  gst_structure_get_double (s, "true-peak-strict", &strict);
  if (strict > f->true_peak_dbtp)
    f->true_peak_dbtp = strict;
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
gm_run_pipeline (GmJob * job, const char *desc, const char *in, int out_fd,
    const char *count_element, GmRunResult * res, char **errmsg)
{
  GError *err = NULL;
  GstElement *pipe, *el, *decode;
  GstBus *bus;
  GstPad *pad = NULL;
  Counter counter = { job, 0, 0, 0, 0, NULL };
  gboolean ok = FALSE, done = FALSE, begun = FALSE, duration_known = FALSE;

  res->fig.valid = FALSE;
  res->fig.integrated_lufs = res->fig.true_peak_dbtp = -INFINITY;
  res->fig.sample_peak_dbfs = res->fig.momentary_max_lufs = -INFINITY;
  res->fig.short_term_max_lufs = -INFINITY;
  res->fig.range_lu = 0.0;
  res->fig.declared_s = NAN;
  res->fig.declared_by_wav_header = FALSE;
  res->fig.decoder_warnings = 0;
  res->fig.decoder_warning[0] = '\0';
  res->fig.stereo_valid = res->fig.hf_valid = FALSE;
  res->fig.correlation_min = res->fig.correlation_mean = NAN;
  res->fig.correlation_min_at_s = NAN;
  res->fig.mono_loss_db = res->fig.hf_ratio_db = res->fig.hf_max_dbfs = NAN;
  res->fig.negative_windows = 0;
  res->fig.restoration_valid = FALSE;
  res->fig.noise_floor_dbfs = res->fig.hum_dbfs = -INFINITY;
  res->fig.hum_hz = 0.0;
  res->fig.clicks = 0;
  res->gr_max_db = 0.0;
  if (res->analyze) {
    counter.analysis = g_new0 (Analysis, 1);
    counter.analysis->restoration = res->restoration;
  }

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
  if (in) {
    el = gst_bin_get_by_name (GST_BIN (pipe), "src");
    g_object_set (el, "location", in, NULL);
    gst_object_unref (el);
  }
  if (res->prepare)
    res->prepare (pipe, res->prepare_data);
  if (out_fd >= 0) {
    el = gst_bin_get_by_name (GST_BIN (pipe), "sink");
    g_object_set (el, "fd", out_fd, NULL);
    gst_object_unref (el);
  }
  el = gst_bin_get_by_name (GST_BIN (pipe), count_element);
  pad = gst_element_get_static_pad (el, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &counter,
      NULL);
  gst_object_unref (el);
  decode = gst_bin_get_by_name (GST_BIN (pipe), "decode");

  bus = gst_element_get_bus (pipe);
  if (res->true_peak)
    gst_bus_set_sync_handler (bus, tp_reset_handler, NULL, NULL);
  g_atomic_int_set (&job->pass_ms, 0);
  /* A pass counted at the limiter masters; any other measures. */
  pass_begin (job, g_strcmp0 (count_element, "lim") == 0 ? GM_PASS_MASTER
      : GM_PASS_MEASURE);
  begun = TRUE;

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
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT
        | GST_MESSAGE_WARNING);
    if (gm_interrupted) {
      *errmsg = g_strdup ("interrupted");
      if (m)
        gst_message_unref (m);
      goto out;
    }
    if (!duration_known) {
      gint64 dur = 0;
      if (gst_element_query_duration (pipe, GST_FORMAT_TIME, &dur) && dur > 0) {
        pass_set_duration (job, (gint) (dur / GST_MSECOND));
        duration_known = TRUE;
      }
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
      case GST_MESSAGE_WARNING:
        /* A decoder that conceals or drops what it cannot decode (the
         * audio decoder base class below its max-errors) says so here. */
        if (decode && gst_object_has_as_ancestor (GST_MESSAGE_SRC (m),
                GST_OBJECT (decode))) {
          if (res->fig.decoder_warnings++ == 0) {
            gst_message_parse_warning (m, &err, NULL);
            g_strlcpy (res->fig.decoder_warning, err->message,
                sizeof res->fig.decoder_warning);
            g_clear_error (&err);
          }
        }
        break;
      case GST_MESSAGE_EOS:{
        /* What the demuxer or parser declares, once it read it all (a
         * VBR MP3's estimate is exact only then). */
        gint64 dur = 0;
        if (gst_element_query_duration (pipe, GST_FORMAT_TIME, &dur)
            && dur > 0)
          res->fig.declared_s = (double) dur / GST_SECOND;
        done = TRUE;
        break;
      }
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
            && res->stem_lufs && g_str_has_prefix (src, "stem")) {
          gboolean final = FALSE;
          int n = atoi (src + 4);
          gst_structure_get_boolean (s, "final", &final);
          if (final && n >= 0 && n < res->n_stems)
            gst_structure_get_double (s, "integrated", &res->stem_lufs[n]);
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
  if (counter.analysis)
    analysis_figures (counter.analysis, counter.channels, &res->fig);
  res->fig.duration_s = counter.rate ? (double) counter.frames / counter.rate
      : 0.0;
  if (counter.frames == 0) {
    *errmsg = g_strdup ("no audio stream");
    goto out;
  }
  ok = TRUE;

out:
  gst_element_set_state (pipe, GST_STATE_NULL);
  if (counter.analysis)
    restoration_stop (counter.analysis);
  g_free (counter.analysis);
  if (decode)
    gst_object_unref (decode);
  gst_object_unref (pad);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  if (begun)
    pass_end (job, ok ? g_atomic_int_get (&job->pass_ms) : 0);
  g_atomic_int_add (&job->done_ms, g_atomic_int_get (&job->pass_ms));
  g_atomic_int_set (&job->pass_ms, 0);
  return ok;
}

/* The measuring pipeline: decode, F32, @chain, the meter (and with
 * @per_interval_tp a second meter reset at every interval, for true peak
 * over time). */
static char *
measure_desc (const char *chain, gboolean per_interval_tp)
{
  return g_strdup_printf ("filesrc name=src ! decodebin name=decode ! "
      "audioconvert ! audio/x-raw,format=F32LE,layout=interleaved ! %s"
      "loudmeter name=meter measure-true-peak-strict=true "
      "interval=%" G_GUINT64_FORMAT " ! %s"
      "fakesink sync=false", chain, (guint64) GM_INTERVAL_NS,
      per_interval_tp ? "loudmeter name=tpmeter interval=100000000 ! " : "");
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
  return gm_measure_file_through (job, path, "", fig, st, tp, errmsg);
}

/* gm_measure_file_through, with the clean-up cores' figures when
 * @restoration. */
static gboolean
measure (GmJob * job, const char *path, const char *chain, GmFigures * fig,
    GmSeries * st, GmSeries * tp, gboolean restoration, char **errmsg)
{
  GmRunResult r = { 0 };
  char *desc = measure_desc (chain, tp != NULL);
  char *msg = NULL;
  gboolean ok;

  r.short_term = st;
  r.true_peak = tp;
  r.analyze = TRUE;
  r.restoration = restoration;
  ok = gm_run_pipeline (job, desc, path, -1, "meter", &r, &msg);
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
  {
    double header_s = gm_wav_declared_s (path);
    if (isfinite (header_s)) {
      fig->declared_s = header_s;
      fig->declared_by_wav_header = TRUE;
    }
  }
  if (g_getenv ("GST_MASTER_DEBUG"))
    fprintf (stderr, "%s: decoded %.4f s, declared %.4f s%s, %d decoder "
        "warnings\n", path, fig->duration_s, fig->declared_s,
        fig->declared_by_wav_header ? " (WAV header)" : "",
        fig->decoder_warnings);
  return TRUE;
}

gboolean
gm_measure_file_through (GmJob * job, const char *path, const char *chain,
    GmFigures * fig, GmSeries * st, GmSeries * tp, char **errmsg)
{
  return measure (job, path, chain, fig, st, tp, FALSE, errmsg);
}

void
gm_analyze_job (GmJob * job)
{
  char *errmsg = NULL;

  job->passes_expected = 1;
  if ((errmsg = gm_check_input (job->input))
      || !measure (job, job->input, "", &job->before, NULL, NULL, TRUE,
          &errmsg)) {
    gm_job_note (job, GM_STATUS_ERROR, "%s", errmsg);
    g_free (errmsg);
    return;
  }
  /* The figures are those of what decodes: said so, not refused. */
  gm_note_damage (job, GM_STATUS_WARNING, NULL);
  if (job->before.duration_s < GM_MIN_INTEGRATED_S)
    gm_job_note (job, GM_STATUS_WARNING, "shorter than 400 ms: no loudness");
  else if (job->before.duration_s < GM_MIN_SHORT_TERM_S)
    gm_job_note (job, GM_STATUS_WARNING,
        "shorter than 3 s: no short-term loudness "
        "or loudness range");
  else if (!isfinite (job->before.integrated_lufs))
    gm_job_note (job, GM_STATUS_WARNING, "silent: no loudness can be measured");
}
