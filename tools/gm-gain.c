/* gst-master: mastering one file, and the gain search. */
#include "gm-gain.h"

#include <glib/gstdio.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gm-damage.h"
#include "gm-output.h"
#include "gm-run.h"
#include "mst-mbcomp.h"

/* Loudness tolerance of the written file (the target) and the
 * tighter aim that triggers a corrective pass 2. */
#define LOUDNESS_TOLERANCE_LU 0.1
#define LOUDNESS_AIM_LU 0.07
#define MAX_ATTEMPTS 4
/* A pass whose limiter reduced more than --max-limiting by more than
 * LIMITING_TOLERANCE_DB is redone at a lower gain; the gain bound aims
 * LIMITING_MARGIN_DB under it (the limiter's reduction follows the gain dB
 * for dB, a few hundredths apart from the prediction by the meter's true
 * peak). Gains closer than GAIN_STEP_DB are the same pass. */
#define LIMITING_TOLERANCE_DB 0.02
#define LIMITING_MARGIN_DB 0.05
#define GAIN_STEP_DB 1e-3
/* The limiter's input-gain range (elements/gstmstlimiter.c); gain beyond it
 * goes to a volume element in front (linear, up to x10). */
#define LIMITER_MIN_GAIN_DB -24.0
#define LIMITER_MAX_GAIN_DB 36.0

static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  if (g_stat (a, &sa) != 0 || g_stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

#define QUEUE "queue max-size-buffers=0 max-size-time=0 max-size-bytes=4194304"

/* "mbcomp ... ! " with the band settings @dynamics names, or "" for none.
 * It comes before the gain, so what it does does not depend on the gain:
 * the gain search starts from the figures of the input through it. */
static char *
mbcomp_desc (const char *dynamics)
{
  MstMbcompSettings s;
  char v[6][G_ASCII_DTOSTR_BUF_SIZE];

  if (!dynamics || !strcmp (dynamics, "none")
      || !mst_mbcomp_settings_preset (&s, dynamics))
    return g_strdup ("");
  GString *d = g_string_new (NULL);
  g_string_append_printf (d, "mbcomp num-bands=%d detector=%s", s.n_bands,
      s.detector == MST_DYNAMICS_RMS ? "rms" : "peak");
  for (int b = 0; b < s.n_bands; b++) {
    const MstMbcompBandSettings *band = &s.bands[b];
    g_ascii_dtostr (v[0], sizeof v[0], band->crossover_hz);
    g_ascii_dtostr (v[1], sizeof v[1], band->threshold_db);
    g_ascii_dtostr (v[2], sizeof v[2], band->ratio);
    g_ascii_dtostr (v[3], sizeof v[3], band->knee_db);
    g_ascii_dtostr (v[4], sizeof v[4], band->attack_ms);
    g_ascii_dtostr (v[5], sizeof v[5], band->release_ms);
    g_string_append_printf (d, " band%d::crossover=%s band%d::threshold=%s "
        "band%d::ratio=%s band%d::knee=%s band%d::attack=%s "
        "band%d::release=%s", b, v[0], b, v[1], b, v[2], b, v[3], b, v[4], b,
        v[5]);
  }
  g_string_append (d, " ! ");
  return g_string_free (d, FALSE);
}

/* What runs before the gain: the clean-up stages @o names, in their order,
 * then the compressor; "" for neither. Measured in a pass of its own, so
 * the gain search starts from the figures of what reaches the gain. */
static char *
front_desc (const GmMasterOptions * o)
{
  GString *d = g_string_new (NULL);
  for (int i = 0; i < MST_CLEAN_STAGES; i++)
    if (o->clean & (1u << i))
      g_string_append_printf (d, "%s ! ", mst_clean_stages[i]);
  char *mbcomp = mbcomp_desc (o->dynamics);
  g_string_append (d, mbcomp);
  g_free (mbcomp);
  return g_string_free (d, FALSE);
}

/* Pass 2's pipeline: decode, (resample), F32, (volume for gain beyond the
 * limiter's range), limiter with the static gain, the one quantization
 * (the `dither` element, after the limiter and the meter: TPDF, noise
 * shaping at 16 bits; none for @digital_silence or a float output; the
 * method used into @job), encoder, file. */
static char *
master_desc (GmJob * job, const GmMasterOptions * o, double gain_db,
    double limiter_ceiling_db, int rate_hz, gboolean with_meter,
    gboolean digital_silence)
{
  double lim_gain = CLAMP (gain_db, LIMITER_MIN_GAIN_DB, LIMITER_MAX_GAIN_DB);
  double extra_db = gain_db - lim_gain;
  int target_bits = o->target ? o->target->pcm_bits : 0;
  char lim_gain_s[G_ASCII_DTOSTR_BUF_SIZE], ceil_s[G_ASCII_DTOSTR_BUF_SIZE];
  char vol_s[G_ASCII_DTOSTR_BUF_SIZE];
  char *resample, *volume, *encode, *meter, *dynamics, *imager, *desc;
  char mono_s[G_ASCII_DTOSTR_BUF_SIZE];

  resample = rate_hz > 0 ? g_strdup_printf ("audioresample quality=10 ! "
      "audio/x-raw,rate=%d,", rate_hz) : g_strdup ("audio/x-raw,");
  g_ascii_dtostr (vol_s, sizeof vol_s, pow (10.0, extra_db / 20.0));
  volume = fabs (extra_db) > 1e-9 ?
      g_strdup_printf ("volume volume=%s ! ", vol_s) : g_strdup ("");
  int out_rate = rate_hz > 0 ? rate_hz : job->before.rate_hz;
  job->dither = digital_silence ? NULL : gm_dither_resolve (job->format,
      o->dither, target_bits, out_rate);
  /* The dither comes after the limiter: its error is kept under the
   * ceiling too. */
  limiter_ceiling_db = gm_dither_ceiling (job->dither,
      gm_format_output_bits (job->format, target_bits), out_rate,
      limiter_ceiling_db);
  encode = gm_format_encode_desc (job->format, job->dither, target_bits,
      !digital_silence);
  g_ascii_dtostr (lim_gain_s, sizeof lim_gain_s, lim_gain);
  g_ascii_dtostr (ceil_s, sizeof ceil_s, limiter_ceiling_db);
  /* Two threads: decoding and limiting; metering, quantizing, encoding
   * and writing (about equal work on the benchmark's file). */
  /* Pass 2's meter reads the integrated loudness only: no true peak (most
   * of a meter's work). */
  meter = with_meter ? g_strdup_printf ("loudmeter name=meter "
      "measure-true-peak=false interval=%" G_GUINT64_FORMAT " ! ",
      (guint64) (3600 * GST_SECOND)) : g_strdup ("");
  dynamics = front_desc (o);
  /* Stereo imaging after the dynamics, before the gain and the limiter
   * (as in the master bin); mono bass only, which leaves the mid alone. */
  g_ascii_dtostr (mono_s, sizeof mono_s, job->mono_below_hz);
  imager = job->mono_below_hz > 0.0 ? g_strdup_printf ("imager "
      "mono-below=%s post-messages=false ! ", mono_s) : g_strdup ("");
  desc = g_strdup_printf ("filesrc name=src ! decodebin ! audioconvert ! "
      "%sformat=F32LE,layout=interleaved ! %s%s%s"
      "limiter name=lim ceiling=%s input-gain=%s interval=%" G_GUINT64_FORMAT
      " ! " QUEUE " ! %s%s ! fdsink name=sink",
      resample, dynamics, imager, volume, ceil_s, lim_gain_s,
      (guint64) GM_INTERVAL_NS, meter, encode);
  g_free (dynamics);
  g_free (imager);
  g_free (meter);
  g_free (resample);
  g_free (volume);
  g_free (encode);
  return desc;
}

/* The vinyl check of the written file: its correlation over 400 ms windows
 * (a warning when one goes below 0: anti-phase content cuts as vertical
 * groove motion, and cancels in mono) and its energy above 16 kHz
 * (sibilance and extreme highs, hard on the cutter head). */
static void
note_stereo_check (GmJob * job)
{
  const GmFigures *f = &job->after;

  if (f->stereo_valid && isfinite (f->correlation_min))
    gm_job_note (job, GM_STATUS_OK, "correlation over 400 ms windows: "
        "minimum %.2f (at %.1f s), mean %.2f; mono fold-down %.1f dB",
        f->correlation_min, f->correlation_min_at_s, f->correlation_mean,
        f->mono_loss_db);
  else if (f->channels == 1)
    gm_job_note (job, GM_STATUS_OK, "mono: no phase to check");
  if (f->stereo_valid && f->negative_windows > 0)
    gm_job_note (job, GM_STATUS_WARNING, "correlation below 0 in %"
        G_GINT64_FORMAT " of the 400 ms windows (minimum %.2f at %.1f s): "
        "out-of-phase content, lost in mono and cut as vertical groove "
        "motion", f->negative_windows, f->correlation_min,
        f->correlation_min_at_s);
  if (f->hf_valid)
    gm_job_note (job, GM_STATUS_OK, "energy above 16 kHz: %.1f dB of the "
        "total, loudest 400 ms %.1f dBFS", f->hf_ratio_db, f->hf_max_dbfs);
  else if (f->rate_hz >= GM_HF_MIN_RATE_HZ)
    gm_job_note (job, GM_STATUS_OK, "energy above 16 kHz not measured: "
        "silence");
  else
    gm_job_note (job, GM_STATUS_OK, "energy above 16 kHz not measured at "
        "%d Hz", f->rate_hz);
}

/* The last gain tried and the loudness it gave (written or predicted). */
typedef struct {
  double gain_db;
  double lufs;
} GainSearch;

/* The next gain towards @target after @job->gain_db gave @lufs. The slope
 * d(output loudness)/d(gain) comes from the last two passes (secant);
 * after one, from a model of the loudness the limiter took (loss) growing
 * as (g - g0)^1.5 beyond the first limited peak g0 (fitted on generated
 * music with 2-6 dB of limiting), so d(loss)/dg = 1.5 loss / (g - g0). */
static double
next_gain (GainSearch * gs, const GmJob * job, const GmFigures * into,
    double ceiling, double target, double lufs)
{
  double slope = 1.0;
  double g0 = ceiling - job->headroom_db - into->true_peak_dbtp;
  double loss = into->integrated_lufs + job->gain_db - lufs;

  if (isfinite (gs->gain_db) && fabs (job->gain_db - gs->gain_db) > 1e-3)
    slope = (lufs - gs->lufs) / (job->gain_db - gs->gain_db);
  else if (loss > 0 && job->gain_db - g0 > 0.5)
    slope = 1.0 - 1.5 * loss / (job->gain_db - g0);
  slope = CLAMP (slope, 0.2, 1.0);
  gs->gain_db = job->gain_db;
  gs->lufs = lufs;
  return job->gain_db + (target - lufs) / slope;
}

/* What the limiter will reduce at a gain: its largest reduction is the
 * input's true peak plus the gain over its ceiling (ceiling minus headroom),
 * so gain_db + headroom_db + offset_db. The offset is predicted from the
 * meter's true peak of the input, then taken from every pass that limited. */
typedef struct {
  double offset_db;
} LimiterModel;

/* The largest gain both --max-gain and --max-limiting allow at the current
 * headroom; *@which (if given) the one that binds. */
static double
gain_bound (const LimiterModel * lim, const GmMasterOptions * o,
    const GmJob * job, GmLimit * which)
{
  double lim_gain = o->max_limiting_db - LIMITING_MARGIN_DB
      - job->headroom_db - lim->offset_db;
  if (which)
    *which = o->max_gain_db <= lim_gain ? GM_LIMIT_MAX_GAIN
        : GM_LIMIT_MAX_LIMITING;
  return MIN (o->max_gain_db, lim_gain);
}

/* The largest gain the next pass may use: the bounds', or the gain of the
 * pass just run if it kept within them at the same headroom (a step down
 * to the aim under --max-limiting would only move away from the target). */
static double
next_bound (const LimiterModel * lim, const GmMasterOptions * o,
    const GmJob * job, gboolean same_headroom)
{
  double bound = gain_bound (lim, o, job, NULL);
  if (same_headroom && job->gain_db <= o->max_gain_db
      && job->limiter_max_db <= o->max_limiting_db + LIMITING_TOLERANCE_DB)
    bound = MAX (bound, job->gain_db);
  return bound;
}

/* The outcome against the loudness target: a named limit when a bound held
 * the gain short of it (@wanted_db: the last gain the search asked for). */
static void
note_loudness (GmJob * job, const LimiterModel * lim,
    const GmMasterOptions * o, double target, double wanted_db)
{
  GmLimit which;
  double bound = gain_bound (lim, o, job, &which);
  double missed = target - job->after.integrated_lufs;

  if (fabs (missed) <= LOUDNESS_TOLERANCE_LU)
    return;
  if (missed > 0 && job->gain_db >= bound - GAIN_STEP_DB) {
    job->limit = which;
    job->missed_lu = missed;
    if (which == GM_LIMIT_MAX_GAIN)
      gm_job_note (job, GM_STATUS_WARNING, "%s: target %.1f LUFS missed by "
          "%.2f LU: it needs about %+.2f dB of gain, more than --max-gain "
          "%.1f dB; gain held at %+.2f dB", gm_job_limit_name (job), target,
          missed, wanted_db, o->max_gain_db, job->gain_db);
    else
      gm_job_note (job, GM_STATUS_WARNING, "%s: target %.1f LUFS missed by "
          "%.2f LU: it needs more limiter gain reduction than --max-limiting "
          "%.1f dB (about %+.2f dB of gain); gain held at %+.2f dB, %.2f dB "
          "of limiting", gm_job_limit_name (job), target, missed,
          o->max_limiting_db, wanted_db, job->gain_db, job->limiter_max_db);
    return;
  }
  gm_job_note (job, GM_STATUS_WARNING,
      "loudness %.2f LUFS misses the target %.1f "
      "by more than %.1f LU", job->after.integrated_lufs, target,
      LOUDNESS_TOLERANCE_LU);
}

void
gm_master_job (GmJob * job, const GmMasterOptions * o,
    const GmJob * jobs, int n_jobs)
{
  char *errmsg = NULL;
  GmOutput out = { -1, NULL, NULL };
  double ceiling = job->ceiling_dbtp;
  double target = job->target_lufs;
  gboolean silent = FALSE, aim_loudness, digital_silence;
  double wanted_db = 0.0;
  LimiterModel lim;
  int rate, target_rate;
  char *dynamics = front_desc (o);
  /* What goes into the gain: the input, or the input through the
   * clean-up and the compressor (measured in a pass of its own). */
  GmFigures compressed, *into = &job->before;

  job->passes_expected = *dynamics ? 4 : 3;
  if ((errmsg = gm_check_input (job->input)))
    goto fail;
  for (int i = 0; i < n_jobs; i++) {
    if (same_file (jobs[i].input, job->output)
        || g_strcmp0 (jobs[i].input, job->output) == 0) {
      errmsg = g_strdup_printf ("%s: refusing to overwrite the input %s",
          job->output, jobs[i].input);
      goto fail;
    }
  }
  for (int i = 0; i < n_jobs; i++) {
    if (&jobs[i] != job && g_strcmp0 (jobs[i].output, job->output) == 0
        && &jobs[i] < job) {
      errmsg = g_strdup_printf ("%s: output name already used for %s",
          job->output, jobs[i].input);
      goto fail;
    }
  }
  /* Fail early when the output cannot be written, before the passes. */
  if (!gm_output_open (&out, job->output, &errmsg))
    goto fail;

  /* Pass 1: measure. */
  if (!gm_measure_file (job, job->input, &job->before, &job->st_before, NULL,
          &errmsg))
    goto fail;
  if (*dynamics) {
    if (!gm_measure_file_through (job, job->input, dynamics, &compressed,
            NULL, NULL, &errmsg))
      goto fail;
    into = &compressed;
  }
  g_atomic_int_set (&job->total_ms,
      (gint) (job->before.duration_s * 1000.0) * job->passes_expected);
  /* A master shorter than its source, or with frames skipped, is a
   * defective delivery that exit status 0 would let through a batch:
   * refused, unless asked for. */
  if (gm_note_damage (job, o->allow_damaged ? GM_STATUS_WARNING
          : GM_STATUS_ERROR, o->allow_damaged ? "mastered what decodes "
          "(--allow-damaged)" : "not mastered (--allow-damaged masters what "
          "decodes)") && !o->allow_damaged)
    goto fail;
  if (!isfinite (o->loudness_lufs) && job->before.channels == 1) {
    const MstTarget *t = o->target ? o->target
        : &mst_targets (NULL)[MST_TARGET_DEFAULT];
    target = job->target_lufs = t->mono_loudness_lufs;
  }
  {
    const MstTarget *t = o->target ? o->target
        : &mst_targets (NULL)[MST_TARGET_DEFAULT];
    double mono_below = isfinite (o->mono_below_hz) ? o->mono_below_hz
        : t->mono_below_hz;
    /* The imager takes stereo only: a mono file is mono at every
     * frequency, and more channels have no one side. */
    job->mono_below_hz = job->before.channels == 2 ? mono_below : 0.0;
    if (mono_below > 0.0 && job->before.channels != 2)
      gm_job_note (job, GM_STATUS_OK, "mono below %g Hz not applied: "
          "%d channel%s (stereo only)", mono_below, job->before.channels,
          job->before.channels == 1 ? "" : "s");
    else if (mono_below > 0.0)
      gm_job_note (job, GM_STATUS_OK, "side removed below %g Hz (imager "
          "mono-below; the mid untouched)", mono_below);
  }
  if (job->before.duration_s < GM_MIN_INTEGRATED_S) {
    errmsg = g_strdup_printf ("%s: too short (%.0f ms): loudness needs at "
        "least 400 ms (one ITU-R BS.1770 gating block); not mastered",
        job->input, job->before.duration_s * 1000.0);
    goto fail;
  }
  if (job->before.duration_s < GM_MIN_SHORT_TERM_S)
    gm_job_note (job, GM_STATUS_WARNING,
        "shorter than 3 s (%.2f s): short-term "
        "loudness and loudness range are not defined; integrated loudness "
        "from %d gating blocks", job->before.duration_s,
        (int) ((job->before.duration_s - 0.4) / 0.1) + 1);
  if (!isfinite (job->before.integrated_lufs)) {
    silent = TRUE;
    gm_job_note (job, GM_STATUS_WARNING, "silent: no loudness can be measured "
        "(nothing above the -70 LUFS gate); gain left at 0 dB");
  }
  /* Every sample exactly 0 (the meter's sample peak): written as digital
   * silence, without dither. */
  digital_silence = silent && isinf (job->before.sample_peak_dbfs)
      && job->before.sample_peak_dbfs < 0;

  /* Gain: exact, static; every pass bounded by --max-gain and
   * --max-limiting (gain_bound). */
  job->gain_db = 0.0;
  aim_loudness = !silent && isfinite (target);
  if (aim_loudness)
    job->gain_db = wanted_db = target - into->integrated_lufs;
  job->headroom_db = isfinite (o->headroom_db) ? o->headroom_db
      : job->format->headroom_db;
  lim.offset_db = into->true_peak_dbtp - ceiling;
  if (aim_loudness)
    job->gain_db = MIN (job->gain_db, gain_bound (&lim, o, job, NULL));

  target_rate = o->target ? o->target->rate_hz : 0;
  rate = gm_format_output_rate (job->format, job->before.rate_hz,
      o->rate_hz, target_rate);
  if (rate > 0 && rate == target_rate && o->rate_hz == 0)
    gm_job_note (job, GM_STATUS_OK, "resampled to %d Hz (the %s target's "
        "rate)", rate, o->target->name);
  else if (rate > 0 && rate != job->before.rate_hz && o->rate_hz == 0)
    gm_job_note (job, GM_STATUS_OK,
        "resampled to %d Hz (the rates %s accepts)", rate,
        job->format->name);
  if (job->before.channels > job->format->max_channels) {
    errmsg = g_strdup_printf ("%s: %d channels, %s takes at most %d",
        job->input, job->before.channels, job->format->name,
        job->format->max_channels);
    goto fail;
  }

  /* Pass 2, then pass 3 on the written file. The limiter takes loudness
   * away with the peaks it reduces. When it is predicted to limit, the
   * first pass 2 also meters its output after the limiter and, if that
   * misses the target, runs again at once with a corrected gain (no pass 3
   * for a file known to miss); later passes are judged on the written file
   * alone (pass 3), which saves a meter per pass. */
  GainSearch gs = { NAN, NAN };
  /* Loudness the encoder (and dither) adds between the meter after the
   * limiter and the written file, from the last pass 3. */
  double encoder_offset = 0.0;
  for (job->attempts = 1; job->attempts <= MAX_ATTEMPTS; job->attempts++) {
    GmRunResult r = { 0 };
    char *desc, *msg = NULL;
    gboolean peak_ok, with_meter;
    double measured, next_db;

    if (job->attempts > 1)
      gm_progress_add_pass (job, GM_PASS_MASTER);
    gm_series_clear (&job->gr);
    gm_series_clear (&job->st_after);
    gm_series_clear (&job->tp_after);
    /* Limiting predicted with 0.1 dB to spare (else the gain is exact). */
    with_meter = aim_loudness && job->attempts == 1
        && into->true_peak_dbtp + job->gain_db
        > ceiling - job->headroom_db - 0.1;
    desc = master_desc (job, o, job->gain_db, ceiling - job->headroom_db, rate,
        with_meter, digital_silence);
    r.gain_reduction = &job->gr;
    if (!gm_output_rewind (&out, &errmsg)) {
      g_free (desc);
      goto fail;
    }
    if (!gm_run_pipeline (job, desc, job->input, out.fd, "lim", &r, &msg)) {
      errmsg = g_strcmp0 (msg, "interrupted") == 0 ? g_strdup (msg)
          : g_strdup_printf ("cannot master %s to %s: %s%s%s%s", job->input,
          job->output, msg, strstr (msg, "no element") ?
          " (the " : "", strstr (msg, "no element") ?
          job->format->package : "", strstr (msg, "no element") ?
          " package has it)" : "");
      g_free (msg);
      g_free (desc);
      goto fail;
    }
    g_free (desc);
    /* The element reports no reduction as -0.0. */
    job->limiter_max_db = r.gr_max_db > 0.0 ? r.gr_max_db : 0.0;
    if (job->limiter_max_db > 0.0)
      lim.offset_db = job->limiter_max_db - job->gain_db - job->headroom_db;
    measured = with_meter ? r.fig.integrated_lufs + encoder_offset : NAN;
    if (g_getenv ("GST_MASTER_DEBUG"))
      fprintf (stderr, "%s: pass 2 #%d gain %+.3f headroom %.3f: reduction "
          "%.2f dB, %.3f LUFS after the limiter\n", job->input,
          job->attempts, job->gain_db, job->headroom_db,
          job->limiter_max_db, measured);

    /* Limited more than allowed: again, lower (the bound now measured). */
    if (aim_loudness && job->attempts < MAX_ATTEMPTS
        && job->limiter_max_db > o->max_limiting_db + LIMITING_TOLERANCE_DB) {
      job->gain_db = gain_bound (&lim, o, job, NULL);
      continue;
    }
    if (aim_loudness && isfinite (measured)
        && fabs (measured - target) > LOUDNESS_AIM_LU
        && job->attempts < MAX_ATTEMPTS) {
      wanted_db = next_gain (&gs, job, into, ceiling, target, measured);
      next_db = MIN (wanted_db, next_bound (&lim, o, job, TRUE));
      /* At the bound already: another pass would change nothing. */
      if (fabs (next_db - job->gain_db) > GAIN_STEP_DB) {
        job->gain_db = next_db;
        continue;
      }
    }

    /* Pass 3: the file as written. */
    if (!gm_measure_file (job, out.read_path, &job->after, &job->st_after,
            job->report_path ? &job->tp_after : NULL, &errmsg))
      goto fail;
    job->out_rate_hz = job->after.rate_hz;
    if (g_getenv ("GST_MASTER_DEBUG"))
      fprintf (stderr, "%s: pass 3: %.3f LUFS, %.3f dBTP\n", job->input,
          job->after.integrated_lufs, job->after.true_peak_dbtp);

    peak_ok = job->after.true_peak_dbtp <= ceiling;
    next_db = job->gain_db;
    if (aim_loudness && isfinite (job->after.integrated_lufs)
        && fabs (job->after.integrated_lufs - target) > LOUDNESS_AIM_LU) {
      /* The meter after the limiter was on target, the file is not: the
       * difference is the encoder's. */
      if (isfinite (measured))
        encoder_offset += job->after.integrated_lufs - measured;
      next_db = wanted_db = next_gain (&gs, job, into, ceiling, target,
          job->after.integrated_lufs);
    }
    if (!peak_ok) {
      /* Over by x: keep x more, plus a margin for the next encoding. */
      double over = job->after.true_peak_dbtp - ceiling;
      job->headroom_db += over + (job->format->lossy ? 0.2 : 0.02);
    }
    if (aim_loudness)
      next_db = MIN (next_db, next_bound (&lim, o, job, peak_ok));
    /* On target, or held at a bound: done. */
    if (peak_ok && fabs (next_db - job->gain_db) <= GAIN_STEP_DB)
      break;
    if (job->attempts == MAX_ATTEMPTS)
      break;
    gm_progress_add_pass (job, GM_PASS_MEASURE);
    job->gain_db = next_db;
  }

  if (job->after.true_peak_dbtp > ceiling)
    gm_job_note (job, GM_STATUS_WARNING,
        "true peak %.2f dBTP is above the ceiling "
        "%.1f dBTP after %d passes", job->after.true_peak_dbtp, ceiling,
        job->attempts);
  if (aim_loudness)
    note_loudness (job, &lim, o, target, wanted_db);
  if (job->format->lossy)
    gm_job_note (job, GM_STATUS_OK,
        "%.2f dB of headroom below the ceiling left for "
        "the %s encoder", job->headroom_db, job->format->name);
  if (o->target && o->target->check_stereo)
    note_stereo_check (job);

  if (!gm_output_commit (&out, job->output, &errmsg))
    goto fail;
  g_free (dynamics);
  return;

fail:
  g_free (dynamics);
  gm_output_discard (&out);
  if (errmsg)                   /* else noted already */
    gm_job_note (job, GM_STATUS_ERROR, "%s", errmsg);
  g_free (errmsg);
}
