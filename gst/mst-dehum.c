/* mastering: mains hum removal that tracks drift (see mst-dehum.h).
 *
 * Audio goes in chunks of CHUNK_FRAMES frames. Per chunk and family: the
 * oscillator table (cos and sin of every harmonic for every frame of the
 * chunk, one phase for all channels), then per channel and frame the LMS
 * step (fitted hum y = sum of w_k . ref_k, error e = x - y, w_k += mu e
 * ref_k), then the tracker (the weights' rotation over the chunk gives the
 * frequency error) and, in auto mode, the detection.
 *
 * Why cancellation rather than cascaded biquad notches: both make the same
 * notch (Widrow 1975 shows the canceller's transfer function is a
 * second-order notch), but the canceller's weights are the demodulated hum
 * the tracker needs anyway, its oscillator moves in frequency with a
 * continuous phase and unchanged weights (a notch's coefficients must
 * glide, its history carrying the old tuning), and the fitted harmonics
 * are the hum level the status reports. Measured in
 * tests/test-dehum-core.c (test_fixed_notches): the same notches left on
 * the nominal frequency keep 6.7 dB at the 5th harmonic of hum 0.3 Hz
 * off, where the tracked cancellers keep over 50 (test_reduction_50).
 */
#include "mst-dehum.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

/* Frames per oscillator table and tracker step (1.3 ms at 48 kHz). */
#define CHUNK_FRAMES 64
#define N_FAMILIES 2
#define H MST_DEHUM_MAX_HARMONICS
/* Harmonics above this fraction of the rate are left out. */
#define MAX_HARMONIC_FRACTION 0.45
/* Time constant of the hum power estimates (status, detection). */
#define POWER_TAU_MS 500.0
/* Natural frequency (Hz) of the tracking loop. */
#define LOOP_HZ 0.1
/* Time constant of each of the two low-pass stages of the tracker's view
 * of the weights. */
#define VIEW_TAU_MS 300.0
/* Time constant of the steady part of the weights. */
#define STEADY_TAU_MS 1000.0
/* Auto mode chooses a family only when at least this share of the power
 * on its lines is steady (hum), not music passing by. */
#define STEADY_MIN 0.25
/* ... and on at least this many of its lines. */
#define MIN_LINES 2
/* ... and whose fitted power holds still within the second: the mean of
 * its square over the mean squared (1 for a constant line, 2 for noise
 * alone, about 1.7 for hum 2 dB over the noise in its band) stays under
 * this. A drum hit repeated on the beat is a line too (a kick every 0.5 s
 * puts lines on every multiple of 2 Hz, 50 and 60 among them, steady in
 * phase), but its power comes in bursts: about 8 for a 40 ms decay every
 * 0.5 s. */
#define STEADY_MAX_MODULATION 2.5
/* A fading harmonic whose weights fell below this is dropped (-240 dB). */
#define DROP_WEIGHT 1e-12
/* Weight power below which the tracker holds its frequency (-160 dBFS). */
#define TRACK_FLOOR 1e-16
/* Mains nominal frequencies of the auto mode. */
#define AUTO_50_HZ 50.0
#define AUTO_60_HZ 60.0

typedef struct {
  double nominal_hz;            /* centre of the tracked range */
  double freq_hz;               /* tracked fundamental */
  double drift_rate;            /* the loop's integrator, Hz/s */
  double phase;                 /* of the fundamental at the chunk's start,
                                 * cycles in [0, 1) */
  int n_adapt;                  /* harmonics fitted */
  int n_live;                   /* harmonics subtracted: fitted and fading */
  double gain, gain_target;     /* share of the fitted hum subtracted */
  double wr[MST_MAX_CHANNELS][H], wi[MST_MAX_CHANNELS][H];
  /* The second canceller, fitted to what the first leaves. */
  double wr2[MST_MAX_CHANNELS][H], wi2[MST_MAX_CHANNELS][H];
  /* The weights as Z = wr - j wi, low-passed twice per chunk (the
   * tracker's and the detection's view: music a few Hz from a harmonic
   * turns Z fast and averages out, the hum turns it slowly), and the
   * second stage at the last chunk. */
  double complex v1[MST_MAX_CHANNELS][H], v2[MST_MAX_CHANNELS][H];
  double complex vp[MST_MAX_CHANNELS][H];
  double power[H];              /* mean square per harmonic, channels
                                 * averaged, smoothed */
  /* The view over seconds: a tracked hum keeps it, music near the line
   * (notes come and go, their lines turn Z) averages out of it. */
  double complex steady[MST_MAX_CHANNELS][H];
  double energy[H];             /* |Z|^2 / 2 over the same time, channels
                                 * averaged: near |steady|^2 / 2 for a steady
                                 * line, far above it for music near the
                                 * line */
  double energy2[H];            /* (|Z|^2 / 2)^2 over the same time: near
                                 * energy^2 for a line of constant power,
                                 * far above it for bursts (drum hits) */
  double cs[CHUNK_FRAMES][H], sn[CHUNK_FRAMES][H];
} Family;

struct MstDehum
{
  MstDehumSettings settings;
  double rate_hz;
  int channels;
  double mu;                    /* LMS step: 2 pi B / fs */
  double loop_k1, loop_k2;      /* tracker gains, 1/s and 1/s^2 */
  double power_coef;            /* per chunk */
  double view_coef;             /* per chunk, each stage of the view */
  double steady_coef;           /* per chunk */
  double fade_step;             /* per frame */
  double decay;                 /* per frame, a fading harmonic's weights */
  bool auto_mode;
  int chosen;                   /* auto: family chosen, -1 none yet */
  double master, master_target; /* bypass fade: 1 removes, 0 bypassed */
  Family fam[N_FAMILIES];
  double ramp[N_FAMILIES][CHUNK_FRAMES], master_ramp[CHUNK_FRAMES];
  double scratch[CHUNK_FRAMES * MST_MAX_CHANNELS];
  uint64_t nonfinite_count;
};

void
mst_dehum_settings_default (MstDehumSettings * s)
{
  s->frequency_hz = 0.0;
  s->harmonics = 8;
  s->bandwidth_hz = 5.0;
  s->bypass = false;
}

static bool
settings_valid (const MstDehumSettings * s)
{
  bool freq_ok = s->frequency_hz == 0.0
      || (s->frequency_hz >= MST_DEHUM_MIN_FREQUENCY_HZ
      && s->frequency_hz <= MST_DEHUM_MAX_FREQUENCY_HZ);
  return freq_ok && s->harmonics >= 1 && s->harmonics <= H
      && s->bandwidth_hz >= MST_DEHUM_MIN_BANDWIDTH_HZ
      && s->bandwidth_hz <= MST_DEHUM_MAX_BANDWIDTH_HZ;
}

/* Harmonics of @nominal_hz that stay under MAX_HARMONIC_FRACTION of the
 * rate at the top of the tracked range, at most the set number. */
static int
harmonics_fitting (const MstDehum * d, double nominal_hz)
{
  double top_hz = nominal_hz * (1.0 + MST_DEHUM_MAX_DRIFT);
  int n = (int) floor (MAX_HARMONIC_FRACTION * d->rate_hz / top_hz);
  return n < d->settings.harmonics ? n : d->settings.harmonics;
}

/* A family starts afresh at @nominal_hz: nothing fitted, on nominal. */
static void
family_start (MstDehum * d, Family * f, double nominal_hz)
{
  f->nominal_hz = nominal_hz;
  f->freq_hz = nominal_hz;
  f->drift_rate = 0.0;
  f->phase = 0.0;
  f->n_adapt = f->n_live = harmonics_fitting (d, nominal_hz);
  memset (f->wr, 0, sizeof f->wr);
  memset (f->wi, 0, sizeof f->wi);
  memset (f->wr2, 0, sizeof f->wr2);
  memset (f->wi2, 0, sizeof f->wi2);
  memset (f->v1, 0, sizeof f->v1);
  memset (f->v2, 0, sizeof f->v2);
  memset (f->vp, 0, sizeof f->vp);
  memset (f->power, 0, sizeof f->power);
  memset (f->steady, 0, sizeof f->steady);
  memset (f->energy, 0, sizeof f->energy);
}

static bool
family_running (const MstDehum * d, const Family * f)
{
  return d->auto_mode || f->gain > 0.0 || f->gain_target > 0.0;
}

/* The rate-dependent constants, from the settings. */
static void
update_constants (MstDehum * d)
{
  /* Each canceller's notch: pole radius 1 - mu / 2 (Widrow 1975, two
   * weights fed unit quadrature references), so its -3 dB width is
   * B = mu fs / (2 pi) Hz and |H|^2 = u / (1 + u), u = (2 df / B)^2, at
   * df from the line. Two in a row are 3 dB down where each is 1.5:
   * u = 1 + sqrt 2, a width of sqrt (1 + sqrt 2) B = 1.554 B. */
  double stage_hz = d->settings.bandwidth_hz / sqrt (1.0 + M_SQRT2);
  d->mu = 2.0 * M_PI * stage_hz / d->rate_hz;
  /* A critically damped second-order loop (it follows a steady drift
   * without lag), slow enough that music near the lines averages out of
   * its view (LOOP_HZ, VIEW_TAU_MS: chosen by the reductions of
   * tests/test-dehum-core.c). */
  double wn = 2.0 * M_PI * LOOP_HZ;
  d->loop_k1 = 2.0 * wn;
  d->loop_k2 = wn * wn;
  d->power_coef = mst_smoother_one_pole_coef (CHUNK_FRAMES, d->rate_hz,
      POWER_TAU_MS);
  d->view_coef = mst_smoother_one_pole_coef (CHUNK_FRAMES, d->rate_hz,
      VIEW_TAU_MS);
  d->steady_coef = mst_smoother_one_pole_coef (CHUNK_FRAMES, d->rate_hz,
      STEADY_TAU_MS);
  d->fade_step = mst_smoother_fade_step (d->rate_hz, MST_DEHUM_FADE_MS);
  /* A removed harmonic's weights fall 63 % in a fifth of the fade. */
  d->decay = exp (-5.0 / (d->rate_hz * MST_DEHUM_FADE_MS * 1e-3));
}

MstDehum *
mst_dehum_init (void)
{
  MstDehum *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  mst_dehum_settings_default (&d->settings);
  if (mst_dehum_configure (d, 48000.0, 2) != MST_OK) {
    free (d);
    return NULL;
  }
  return d;
}

void
mst_dehum_destroy (MstDehum ** d)
{
  if (!d || !*d)
    return;
  free (*d);
  *d = NULL;
}

/* The families the settings ask for, from scratch. */
static void
start_families (MstDehum * d)
{
  d->auto_mode = d->settings.frequency_hz == 0.0;
  d->chosen = -1;
  if (d->auto_mode) {
    family_start (d, &d->fam[0], AUTO_50_HZ);
    family_start (d, &d->fam[1], AUTO_60_HZ);
    d->fam[0].gain = d->fam[0].gain_target = 0.0;
    d->fam[1].gain = d->fam[1].gain_target = 0.0;
  } else {
    family_start (d, &d->fam[0], d->settings.frequency_hz);
    family_start (d, &d->fam[1], d->settings.frequency_hz);
    d->fam[0].gain = d->fam[0].gain_target = 1.0;
    d->fam[1].gain = d->fam[1].gain_target = 0.0;
    d->chosen = 0;
  }
}

MstResult
mst_dehum_configure (MstDehum * d, double rate_hz, int channels)
{
  if (!d || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > MST_MAX_CHANNELS)
    return MST_ERR_INVALID_ARG;
  d->rate_hz = rate_hz;
  d->channels = channels;
  d->nonfinite_count = 0;
  update_constants (d);
  mst_dehum_reset (d);
  return MST_OK;
}

void
mst_dehum_reset (MstDehum * d)
{
  if (!d)
    return;
  start_families (d);
  d->master_target = d->settings.bypass ? 0.0 : 1.0;
  d->master = d->master_target;
}

/* Harmonic @k of @f fitted from nothing. */
static void
clear_harmonic (Family * f, int k)
{
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    f->wr[c][k] = f->wi[c][k] = f->wr2[c][k] = f->wi2[c][k] = 0.0;
    f->v1[c][k] = f->v2[c][k] = f->vp[c][k] = f->steady[c][k] = 0.0;
  }
  f->power[k] = f->energy[k] = f->energy2[k] = 0.0;
}

/* Harmonics fitted after a change of their number: added ones start from
 * zero weights, removed ones keep being subtracted while they decay. */
static void
family_set_harmonics (MstDehum * d, Family * f)
{
  int n = harmonics_fitting (d, f->nominal_hz);
  for (int k = f->n_live; k < n; k++)
    clear_harmonic (f, k);
  if (n > f->n_live)
    f->n_live = n;
  f->n_adapt = n;
}

/* A set frequency: the family in use moves its centre when the new one is
 * within the tracked range, else the other family starts on it and the
 * old one fades out. */
static void
set_frequency (MstDehum * d, double freq_hz)
{
  int cur = 0;
  double best = INFINITY;
  for (int i = 0; i < N_FAMILIES; i++) {
    double dist = fabs (d->fam[i].nominal_hz - freq_hz);
    if (d->fam[i].gain_target > 0.0 && dist < best) {
      best = dist;
      cur = i;
    }
  }
  Family *f = &d->fam[cur];
  Family *o = &d->fam[1 - cur];
  d->auto_mode = false;
  /* Near, or the other family still fading out (restarting it would cut
   * what it still subtracts: a click): the family in use moves, its
   * oscillator's phase and its weights carrying on. */
  if (best <= MST_DEHUM_MAX_DRIFT * freq_hz || o->gain > 0.0) {
    double lo = freq_hz * (1.0 - MST_DEHUM_MAX_DRIFT);
    double hi = freq_hz * (1.0 + MST_DEHUM_MAX_DRIFT);
    f->nominal_hz = freq_hz;
    f->freq_hz = fmin (fmax (f->freq_hz, lo), hi);
    if (best > MST_DEHUM_MAX_DRIFT * freq_hz) {
      f->freq_hz = freq_hz;
      f->drift_rate = 0.0;
    }
    family_set_harmonics (d, f);
    f->gain_target = 1.0;
    o->gain_target = 0.0;
    d->chosen = cur;
    return;
  }
  family_start (d, o, freq_hz);
  /* Its weights are zero: subtracted in full at once, it fades in as the
   * weights grow, while the old family fades out. */
  o->gain = o->gain_target = 1.0;
  f->gain_target = 0.0;
  d->chosen = 1 - cur;
}

/* Auto mode: the 50 Hz family first, the 60 Hz one second (either may be
 * in the other slot after a set frequency: swapped, weights kept). */
static void
set_auto (MstDehum * d)
{
  static const double nominal[N_FAMILIES] = { AUTO_50_HZ, AUTO_60_HZ };
  if (d->fam[0].nominal_hz == AUTO_60_HZ
      || d->fam[1].nominal_hz == AUTO_50_HZ) {
    Family t = d->fam[0];
    d->fam[0] = d->fam[1];
    d->fam[1] = t;
  }
  d->chosen = -1;
  for (int i = 0; i < N_FAMILIES; i++) {
    Family *f = &d->fam[i];
    if (f->nominal_hz != nominal[i] || !family_running (d, f)) {
      /* Not running: its weights are stale (or silent), so restarting
       * them steps nothing; it waits to be chosen. */
      family_start (d, f, nominal[i]);
      f->gain = f->gain_target = 0.0;
    } else if (f->gain_target > 0.0) {
      /* The family in use stays in use. */
      d->chosen = i;
    }
  }
  d->auto_mode = true;
}

MstResult
mst_dehum_set (MstDehum * d, const MstDehumSettings * s)
{
  if (!d || !s || !settings_valid (s))
    return MST_ERR_INVALID_ARG;
  MstDehumSettings old = d->settings;
  d->settings = *s;
  if (s->bandwidth_hz != old.bandwidth_hz)
    update_constants (d);
  if (s->frequency_hz != old.frequency_hz) {
    if (s->frequency_hz == 0.0)
      set_auto (d);
    else
      set_frequency (d, s->frequency_hz);
  }
  if (s->harmonics != old.harmonics)
    for (int i = 0; i < N_FAMILIES; i++)
      family_set_harmonics (d, &d->fam[i]);
  if (s->bypass != old.bypass) {
    d->master_target = s->bypass ? 0.0 : 1.0;
    if (!s->bypass && d->master == 0.0) {
      /* Back from a full bypass: what was fitted is stale; the weights
       * start from zero and grow, so the removal fades in. */
      double gains[N_FAMILIES];
      for (int i = 0; i < N_FAMILIES; i++)
        gains[i] = d->fam[i].gain_target;
      for (int i = 0; i < N_FAMILIES; i++) {
        Family *f = &d->fam[i];
        family_start (d, f, f->nominal_hz);
        f->gain = f->gain_target = gains[i];
      }
      d->master = 1.0;
    }
  }
  return MST_OK;
}

bool
mst_dehum_is_passthrough (const MstDehum * d)
{
  return d && d->master == 0.0 && d->master_target == 0.0;
}

uint64_t
mst_dehum_get_nonfinite_count (const MstDehum * d)
{
  return d ? d->nonfinite_count : 0;
}

/* The oscillator table of @n frames: harmonic k's start and step by
 * repeated complex products from the fundamental's (error of a few ulps
 * at the 20th), then the rotation frame by frame (element-wise over the
 * harmonics: the compiler vectorizes it). */
static void
family_tables (const MstDehum * d, Family * f, int n)
{
  double start_c[H], start_s[H], step_c[H], step_s[H];
  double th = 2.0 * M_PI * f->phase;
  double w = 2.0 * M_PI * f->freq_hz / d->rate_hz;
  double c1 = cos (th), s1 = sin (th), r1c = cos (w), r1s = sin (w);
  double sc = 1.0, ss = 0.0, rc = 1.0, rs = 0.0;
  int nk = f->n_live;

  for (int k = 0; k < nk; k++) {
    double t = sc * c1 - ss * s1;
    ss = sc * s1 + ss * c1;
    sc = t;
    t = rc * r1c - rs * r1s;
    rs = rc * r1s + rs * r1c;
    rc = t;
    start_c[k] = sc;
    start_s[k] = ss;
    step_c[k] = rc;
    step_s[k] = rs;
  }
  for (int k = 0; k < nk; k++) {
    f->cs[0][k] = start_c[k];
    f->sn[0][k] = start_s[k];
  }
  for (int i = 1; i < n; i++)
    for (int k = 0; k < nk; k++) {
      f->cs[i][k] = f->cs[i - 1][k] * step_c[k] - f->sn[i - 1][k] * step_s[k];
      f->sn[i][k] = f->cs[i - 1][k] * step_s[k] + f->sn[i - 1][k] * step_c[k];
    }
  f->phase += n * f->freq_hz / d->rate_hz;
  f->phase -= floor (f->phase);
}

/* One frame of one channel: the hum the two cancellers fitted before
 * this frame's update, then their LMS steps on their errors (the fading
 * harmonics decay instead). */
MST_ALWAYS_INLINE double
family_step (const MstDehum * d, Family * f, int c, int i, double x)
{
  double *wr = f->wr[c], *wi = f->wi[c], *wr2 = f->wr2[c], *wi2 = f->wi2[c];
  const double *cs = f->cs[i], *sn = f->sn[i];
  double y1 = 0.0, y2 = 0.0;
  for (int k = 0; k < f->n_live; k++) {
    y1 += wr[k] * cs[k] + wi[k] * sn[k];
    y2 += wr2[k] * cs[k] + wi2[k] * sn[k];
  }
  double g1 = d->mu * (x - y1), g2 = d->mu * (x - y1 - y2);
  for (int k = 0; k < f->n_adapt; k++) {
    wr[k] += g1 * cs[k];
    wi[k] += g1 * sn[k];
    wr2[k] += g2 * cs[k];
    wi2[k] += g2 * sn[k];
  }
  for (int k = f->n_adapt; k < f->n_live; k++) {
    wr[k] *= d->decay;
    wi[k] *= d->decay;
    wr2[k] *= d->decay;
    wi2[k] *= d->decay;
  }
  return y1 + y2;
}

/* The value at half the total weight @total of @n values sorted by value
 * (insertion sort: at most H of them). */
static double
weighted_median (double *v, double *w, int n, double total)
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
      t = w[j];
      w[j] = w[j - 1];
      w[j - 1] = t;
    }
  double acc = 0.0;
  for (int i = 0; i < n; i++) {
    acc += w[i];
    if (acc >= 0.5 * total)
      return v[i];
  }
  return n ? v[n - 1] : 0.0;
}

/* After a chunk of @n frames: the rotation of each harmonic's weights
 * (Z = wr - j wi turns at k (f_hum - f) Hz), summed over the channels,
 * gives a frequency error per harmonic; their median weighted by
 * amplitude drives the loop. Also the power estimates and the end of fading harmonics. */
static void
family_track (MstDehum * d, Family * f, int n)
{
  double period_s = n / d->rate_hz;
  double votes[H], weights[H], den = 0.0, fading = 0.0;
  int n_votes = 0;
  double lo = f->nominal_hz * (1.0 - MST_DEHUM_MAX_DRIFT);
  double hi = f->nominal_hz * (1.0 + MST_DEHUM_MAX_DRIFT);

  for (int k = 0; k < f->n_live; k++) {
    double re = 0.0, im = 0.0, pw = 0.0, wpw = 0.0, zpw = 0.0;
    for (int c = 0; c < d->channels; c++) {
      zpw += f->wr[c][k] * f->wr[c][k] + f->wi[c][k] * f->wi[c][k];
      wpw += f->wr[c][k] * f->wr[c][k] + f->wi[c][k] * f->wi[c][k]
          + f->wr2[c][k] * f->wr2[c][k] + f->wi2[c][k] * f->wi2[c][k];
      double complex z = f->wr[c][k] - I * f->wi[c][k];
      f->v1[c][k] += d->view_coef * (z - f->v1[c][k]);
      f->v2[c][k] += d->view_coef * (f->v1[c][k] - f->v2[c][k]);
      f->steady[c][k] += d->steady_coef * (f->v2[c][k] - f->steady[c][k]);
      double complex p = f->v2[c][k] * conj (f->vp[c][k]);
      re += creal (p);
      im += cimag (p);
      pw += creal (f->v2[c][k] * conj (f->v2[c][k]));
      f->vp[c][k] = f->v2[c][k];
    }
    /* A sinusoid of amplitude |Z| has mean square |Z|^2 / 2. */
    f->power[k] += d->power_coef * (pw / (2.0 * d->channels) - f->power[k]);
    double e = zpw / (2.0 * d->channels);
    f->energy[k] += d->steady_coef * (e - f->energy[k]);
    f->energy2[k] += d->steady_coef * (e * e - f->energy2[k]);
    if (k >= f->n_adapt) {
      fading = fmax (fading, wpw);
      continue;
    }
    double mag = hypot (re, im);
    double kk = k + 1.0;
    double err_hz = atan2 (im, re) / (2.0 * M_PI * kk * period_s);
    /* A harmonic whose line lies outside the tracked range is music (a
     * bass G1 at 49 Hz has its own harmonics on 98, 147, 196 Hz: a
     * family 1 Hz under 50 Hz mains), not hum: it does not vote. */
    double implied_hz = f->freq_hz + err_hz;
    if (mag > 0.0 && implied_hz >= lo && implied_hz <= hi) {
      /* Weighted by amplitude: a loud note on one line must outweigh
       * the hum on all the others to win the median. */
      votes[n_votes] = err_hz;
      weights[n_votes++] = sqrt (mag);
      den += sqrt (mag);
    }
  }
  if (f->n_live > f->n_adapt && fading < DROP_WEIGHT * DROP_WEIGHT) {
    for (int k = f->n_adapt; k < f->n_live; k++)
      clear_harmonic (f, k);
    f->n_live = f->n_adapt;
  }
  if (den <= TRACK_FLOOR)
    return;
  /* The weighted median of the votes: the harmonics of the hum agree, a
   * note of the music near one harmonic (F4, 349.2 Hz, is 0.8 Hz under
   * 50 Hz's 7th) is outvoted instead of pulling the mean. */
  double err_hz = weighted_median (votes, weights, n_votes, den);
  f->drift_rate += period_s * d->loop_k2 * err_hz;
  f->freq_hz += period_s * (d->loop_k1 * err_hz + f->drift_rate);
  if (f->freq_hz < lo || f->freq_hz > hi) {
    /* At the edge of the range: the integrator stops winding up. */
    f->freq_hz = fmin (fmax (f->freq_hz, lo), hi);
    f->drift_rate = 0.0;
  }
}

/* Mean square of harmonic @k's steady part, channels averaged. */
static double
steady_power (const MstDehum * d, const Family * f, int k)
{
  double p = 0.0;
  for (int c = 0; c < d->channels; c++)
    p += creal (f->steady[c][k] * conj (f->steady[c][k]));
  return p / (2.0 * d->channels);
}

/* Steady power of family @f on the harmonics the other family (nominal
 * @other_hz) does not also have (300 Hz is both 50's 6th and 60's 5th),
 * counting only the harmonics where at least STEADY_MIN of the power found
 * is steady: hum, not a bass note passing the line (a loud tone 10 Hz off
 * one line spoils that line only). */
static double
family_own_power (const MstDehum * d, const Family * f, double other_hz)
{
  double p = 0.0;
  int lines = 0;
  for (int k = 0; k < f->n_adapt; k++) {
    double hz = (k + 1) * f->nominal_hz;
    double steady = steady_power (d, f, k);
    if (fabs (remainder (hz, other_hz)) > 1.0
        && steady > STEADY_MIN * f->energy[k]
        && f->energy2[k] < STEADY_MAX_MODULATION * f->energy[k]
        * f->energy[k]) {
      p += steady;
      lines++;
    }
  }
  /* One steady line is a held note as likely as hum; hum has harmonics. */
  return lines >= MIN_LINES ? p : 0.0;
}

/* Auto mode: a family is chosen when the steady power on its own
 * harmonics (family_own_power) is MST_DEHUM_DETECT_DB over the other's,
 * and stays chosen until the other family is chosen so.
 * Until then nothing is removed (hum-free input passes untouched); the
 * families keep fitting all along, the one not chosen on what the chosen
 * one leaves. */
static void
detect (MstDehum * d)
{
  double p0 = family_own_power (d, &d->fam[0], d->fam[1].nominal_hz);
  double p1 = family_own_power (d, &d->fam[1], d->fam[0].nominal_hz);
  double margin = pow (10.0, MST_DEHUM_DETECT_DB / 10.0);
  int pick = -1;
  if (p0 > margin * p1 && p0 > 0.0)
    pick = 0;
  else if (p1 > margin * p0 && p1 > 0.0)
    pick = 1;
  if (pick < 0 || pick == d->chosen)
    return;
  d->chosen = pick;
  d->fam[pick].gain_target = 1.0;
  d->fam[1 - pick].gain_target = 0.0;
}

static bool
family_finite (const MstDehum * d, const Family * f)
{
  double sum = f->freq_hz + f->drift_rate;
  for (int c = 0; c < d->channels; c++)
    for (int k = 0; k < f->n_live; k++)
      sum += f->wr[c][k] + f->wi[c][k] + f->wr2[c][k] + f->wi2[c][k];
  return isfinite (sum);
}

/* One chunk of @n frames from @src (interleaved) to @dst (NULL: analysis
 * only); true when state went non-finite and was reset. */
MST_ALWAYS_INLINE bool
process_chunk (MstDehum * d, const void *src, void *dst, int n,
    MstFormat fmt)
{
  const int ch = d->channels;
  Family *f0 = &d->fam[0], *f1 = &d->fam[1];
  bool run0 = family_running (d, f0), run1 = family_running (d, f1);

  for (int i = 0; i < N_FAMILIES; i++) {
    Family *f = &d->fam[i];
    if (!family_running (d, f))
      continue;
    f->gain = mst_smoother_fade_fill (d->ramp[i], f->gain, f->gain_target,
        d->fade_step, n);
    family_tables (d, f, n);
  }
  d->master = mst_smoother_fade_fill (d->master_ramp, d->master,
      d->master_target, d->fade_step, n);

  for (int c = 0; c < ch; c++)
    for (int i = 0; i < n; i++) {
      double x = mst_sample_get (fmt, src, (size_t) i * ch + c);
      double removed = 0.0;
      if (run0)
        removed = d->ramp[0][i] * family_step (d, f0, c, i, x);
      if (run1)
        removed += d->ramp[1][i] * family_step (d, f1, c, i, x - removed);
      if (dst)
        mst_sample_put (fmt, dst, (size_t) i * ch + c,
            x - d->master_ramp[i] * removed);
    }

  bool reset = false;
  for (int i = 0; i < N_FAMILIES; i++) {
    Family *f = &d->fam[i];
    if ((i == 0 ? run0 : run1)) {
      family_track (d, f, n);
      if (!family_finite (d, f)) {
        family_start (d, f, f->nominal_hz);
        reset = true;
      }
    }
  }
  if (d->auto_mode)
    detect (d);
  return reset;
}

MST_ALWAYS_INLINE MstResult
dehum_run (MstDehum * d, const void *in, void *out, size_t n_frames,
    MstFormat fmt)
{
  const size_t width = fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);

  if (!d || (!in && n_frames))
    return MST_ERR_INVALID_ARG;
  if (out && mst_dehum_is_passthrough (d))
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > CHUNK_FRAMES ? CHUNK_FRAMES
        : (int) (n_frames - done);
    size_t count = (size_t) n * d->channels;
    const char *src = (const char *) in + done * d->channels * width;
    char *dst = out ? (char *) out + done * d->channels * width : NULL;
    bool bad = !mst_input_sane (src, count, fmt);
    if (bad) {
      /* Read as silence: in place when writing, else in the scratch
       * (which holds a chunk of either width). */
      void *clean = dst ? (void *) dst : (void *) d->scratch;
      mst_input_clean (src, count, clean, fmt);
      src = clean;
    }
    bad |= process_chunk (d, src, dst, n, fmt);
    if (bad && dst)
      mst_planar_zero_nonfinite (dst, count, fmt);
    d->nonfinite_count += bad;
    done += n;
    if (out && mst_dehum_is_passthrough (d)) {
      /* Bypass settled mid-call: the rest passes bit-exact, its
       * non-finite samples still read as silence (counted once). */
      char *rest = (char *) out + done * d->channels * width;
      size_t left = (n_frames - done) * d->channels;
      if (!mst_input_sane (rest, left, fmt)) {
        mst_input_clean (rest, left, rest, fmt);
        d->nonfinite_count++;
      }
      break;
    }
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
dehum_process (MstDehum * d, void *frames, size_t n_frames, MstFormat fmt)
{
  return dehum_run (d, frames, frames, n_frames, fmt);
}

MST_ALWAYS_INLINE MstResult
dehum_analyze (MstDehum * d, const void *frames, size_t n_frames,
    MstFormat fmt)
{
  return dehum_run (d, frames, NULL, n_frames, fmt);
}

MST_DEFINE_PROCESS_IN_PLACE (mst_dehum, MstDehum, dehum_process)
MST_DEFINE_ANALYZE (mst_dehum, MstDehum, dehum_analyze)

/* The family the status describes: the chosen one, else (auto mode, none
 * yet) the one with more steady power on its own harmonics. */
static const Family *
reported_family (const MstDehum * d)
{
  if (d->chosen >= 0)
    return &d->fam[d->chosen];
  double p0 = family_own_power (d, &d->fam[0], d->fam[1].nominal_hz);
  double p1 = family_own_power (d, &d->fam[1], d->fam[0].nominal_hz);
  return p1 > p0 ? &d->fam[1] : &d->fam[0];
}

MstResult
mst_dehum_get_status (const MstDehum * d, MstDehumStatus * st)
{
  if (!d || !st)
    return MST_ERR_INVALID_ARG;
  const Family *f = reported_family (d);
  double total = 0.0;
  st->nominal_hz = f->nominal_hz;
  st->frequency_hz = f->freq_hz;
  st->drift_hz = f->freq_hz - f->nominal_hz;
  for (int k = 0; k < H; k++) {
    double p = k < f->n_adapt ? steady_power (d, f, k) : 0.0;
    st->harmonic_db[k] = p > 0.0 ? 10.0 * log10 (p) : -INFINITY;
    total += p;
  }
  st->level_db = total > 0.0 ? 10.0 * log10 (total) : -INFINITY;
  st->detected = d->chosen >= 0;
  return MST_OK;
}
