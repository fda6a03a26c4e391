/* The modulation core and the delay line's fractional read on plain
 * arrays: every claim of docs/elements/modulation.md about the audio (the
 * delay follows the LFO's formula, the interpolator's error against its
 * closed form, the phaser's notches, the flanger's comb with feedback,
 * the chorus's level, bit-exact dry, no clicks under any change, stability
 * at feedback +-99 %, non-finite input). */
#include "mst-modulation.h"
#include "mst-delayline.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

static MstModulationSettings
settings (MstModulationMode mode)
{
  MstModulationSettings s;
  mst_modulation_settings_default (&s);
  s.mode = mode;
  return s;
}

/* A core with @s, settled (set before configure: no glide). */
static MstModulation *
core_with (const MstModulationSettings * s, int channels)
{
  MstModulation *m = mst_modulation_init ();
  MST_CHECK (m != NULL);
  MST_CHECK (mst_modulation_set (m, s) == MST_OK);
  MST_CHECK (mst_modulation_configure (m, RATE, channels) == MST_OK);
  return m;
}

/* A mono core's stereo output, its left side back into @x (@n frames). */
static void
process_mono (MstModulation * m, double *x, size_t n)
{
  double *y = malloc (2 * n * sizeof (double));
  MST_CHECK (mst_modulation_process_f64 (m, x, n, y) == MST_OK);
  for (size_t i = 0; i < n; i++)
    x[i] = y[2 * i];
  free (y);
}

static double *
noise (size_t n, int channels, uint32_t seed)
{
  float *f = malloc (sizeof (float) * channels * n);
  double *d = malloc (sizeof (double) * channels * n);
  mst_signal_white_noise (f, n, channels, -20.0, seed);
  mst_signal_to_f64 (f, d, channels * n);
  free (f);
  return d;
}

static double
power_db (const double *x, size_t n, size_t stride)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += x[i * stride] * x[i * stride];
  return 10.0 * log10 (acc / n + 1e-300);
}

/* |DTFT| of @h (@n taps) at @freq_hz. */
static double
response_db (const double *h, size_t n, double freq_hz)
{
  double complex acc = 0.0;
  double w = 2.0 * M_PI * freq_hz / RATE;
  for (size_t i = 0; i < n; i++)
    acc += h[i] * cexp (-I * w * (double) i);
  return 20.0 * log10 (cabs (acc) + 1e-300);
}

/* Impulse response of a settled mono core with @s, @n taps. */
static double *
impulse_response (const MstModulationSettings * s, size_t n)
{
  MstModulation *m = core_with (s, 1);
  double *h = calloc (n, sizeof (double));
  h[0] = 1.0;
  process_mono (m, h, n);
  mst_modulation_destroy (&m);
  return h;
}

static double
lfo (MstModulationShape shape, double theta)
{
  if (shape == MST_MODULATION_SHAPE_SINE)
    return sin (theta);
  return 2.0 / M_PI * asin (sin (theta));
}

/* The delay of a wet-only flanger (no feedback) read from an impulse
 * train: each impulse comes out spread over the interpolator's four taps,
 * whose centroid is exactly the read position (Lagrange interpolation
 * reproduces straight lines). Against D (t) = delay (1 + SWING depth
 * lfo (2 pi rate t)). */
static void
check_delay_follows (MstModulationShape shape, MstModulationMode mode)
{
  const size_t n = RATE, period = 1200;
  MstModulationSettings s = settings (mode);
  s.voices = 1;
  s.delay_ms = 5.0;
  s.depth_pct = 60.0;
  s.rate_hz = 3.0;
  s.shape = shape;
  s.mix_pct = 100.0;
  MstModulation *m = core_with (&s, 1);
  double *x = calloc (n, sizeof (double));
  for (size_t i = 0; i < n; i += period)
    x[i] = 1.0;
  process_mono (m, x, n);
  double centre = s.delay_ms * RATE / 1000.0, worst = 0.0;
  double lo = 1e9, hi = -1e9;
  for (size_t n0 = 0; n0 + period <= n; n0 += period) {
    double sum = 0.0, moment = 0.0;
    for (size_t i = n0 + 10; i < n0 + period - 10; i++) {
      sum += x[i];
      moment += x[i] * (double) i;
    }
    double t = moment / sum, measured = t - n0;
    double predicted = centre * (1.0 + MST_MODULATION_SWING
        * s.depth_pct / 100.0 * lfo (shape, 2.0 * M_PI * s.rate_hz * t
            / RATE));
    worst = fmax (worst, fabs (measured - predicted));
    lo = fmin (lo, measured);
    hi = fmax (hi, measured);
  }
  printf ("  %s %s: delay %.1f .. %.1f frames, largest error %.4f frames\n",
      mode == MST_MODULATION_FLANGER ? "flanger" : "chorus",
      shape == MST_MODULATION_SHAPE_SINE ? "sine" : "triangle", lo, hi, worst);
  MST_CHECK_MSG (worst < 1.0, "error %.3f frames", worst);
  /* And the sweep covered the swing (the LFO moved it). */
  MST_CHECK (hi - lo > 1.5 * centre * MST_MODULATION_SWING * 0.6);
  free (x);
  mst_modulation_destroy (&m);
}

static void
test_delay_follows_lfo (void)
{
  check_delay_follows (MST_MODULATION_SHAPE_SINE, MST_MODULATION_FLANGER);
  check_delay_follows (MST_MODULATION_SHAPE_TRIANGLE, MST_MODULATION_FLANGER);
  check_delay_follows (MST_MODULATION_SHAPE_SINE, MST_MODULATION_CHORUS);
}

/* The fractional read against the closed form of its kernel, and its
 * error against the ideal delay of a sine (reported). */
static void
test_interpolator (void)
{
  MstDelayLine *dl = mst_delayline_init (1, 4096);
  MST_CHECK (dl != NULL);
  mst_delayline_set_format (dl, MST_FORMAT_F64);
  mst_delayline_configure (dl, 1);
  const double freqs[] = { 1000.0, 5000.0, 10000.0 };
  for (int k = 0; k < 3; k++) {
    const int n = 2048;
    double w = 2.0 * M_PI * freqs[k] / RATE, worst = 0.0, model = 0.0;
    mst_delayline_reset (dl);
    double *x = malloc (sizeof (double) * n);
    for (int i = 0; i < n; i++)
      x[i] = sin (w * i);
    mst_delayline_push (dl, x, n);
    for (int j = 0; j < 16; j++) {
      double f = (j + 0.5) / 16.0, delay = 100.0 + f, out;
      for (int i = 200; i < n; i += 37) {
        mst_delayline_read_frac (dl, 0, i, &delay, &out, 1);
        worst = fmax (worst, fabs (out - sin (w * (i - delay))));
      }
      /* The kernel's response at w: sum over taps -1..2 of the Lagrange
       * weights times e^{-j w (tap - f)}; its distance from 1 bounds
       * the error on a unit sine. */
      double t[4] = { -1, 0, 1, 2 };
      double complex hsum = 0.0;
      for (int a = 0; a < 4; a++) {
        double l = 1.0;
        for (int b = 0; b < 4; b++)
          if (b != a)
            l *= (f - t[b]) / (t[a] - t[b]);
        hsum += l * cexp (-I * w * (t[a] - f));
      }
      model = fmax (model, cabs (hsum - 1.0));
    }
    printf ("  %g Hz: largest error %.2e (%.1f dB), kernel bound %.2e\n",
        freqs[k], worst, 20 * log10 (worst), model);
    MST_CHECK (worst <= model * 1.0001 + 1e-12);
    free (x);
  }
  /* An integer position reads its frame exactly. */
  double x[64], out, delay = 10.0;
  for (int i = 0; i < 64; i++)
    x[i] = sin (i * 0.7) + 0.1 * i;
  mst_delayline_reset (dl);
  mst_delayline_push (dl, x, 64);
  mst_delayline_read_frac (dl, 0, 50, &delay, &out, 1);
  MST_CHECK (out == x[40]);
  mst_delayline_destroy (&dl);
}

/* The run read (a voice over a control period: AVX-512, AVX2 or scalar,
 * whichever this machine and MST_DISABLE_SIMD / MST_DISABLE_AVX512 give;
 * meson runs all three) against the one-at-a-time read, on a stereo ring
 * across its wrap, with moving delays and gains and runs of every length
 * up to 64 frames (the vector loops' tails included). */
static void
test_ramp_read (void)
{
  MstDelayLine *dl = mst_delayline_init (2, 512);
  MST_CHECK (dl != NULL);
  mst_delayline_set_format (dl, MST_FORMAT_F64);
  mst_delayline_configure (dl, 2);
  const size_t cap = mst_delayline_get_capacity (dl);
  double *x = malloc (sizeof (double) * 2 * 3 * cap);
  for (size_t i = 0; i < 2 * 3 * cap; i++)
    x[i] = sin (0.37 * i) + 0.3 * cos (1.9 * i);
  mst_delayline_push (dl, x, 2 * cap + 100);
  int64_t w = mst_delayline_get_written (dl);
  double worst = 0.0, delays[64], taps[64], got[64], want[64];
  for (int trial = 0; trial < 400; trial++) {
    int n = 1 + trial % 64, c = trial & 1;
    int64_t frame0 = w - 64 - (trial * 7) % 300;
    double d0 = 3.0 + fmod (trial * 1.618, 150.0);
    double dd = (trial % 5 - 2) * 0.01, g0 = 0.2 + 0.01 * (trial % 7);
    double dg = (trial % 3 - 1) * 0.003;
    for (int i = 0; i < n; i++) {
      delays[i] = d0 + i * dd;
      got[i] = want[i] = 0.25 * i;
    }
    mst_delayline_read_frac (dl, c, frame0, delays, taps, n);
    for (int i = 0; i < n; i++)
      want[i] += (g0 + (i + 1) * dg) * taps[i];
    mst_delayline_read_frac_ramp (dl, c, frame0, d0, dd, g0, dg, got, n);
    for (int i = 0; i < n; i++)
      worst = fmax (worst, fabs (got[i] - want[i]));
  }
  printf ("  run read against single reads: largest difference %.2e\n",
      worst);
  MST_CHECK (worst < 1e-14);
  free (x);
  mst_delayline_destroy (&dl);
}

/* Rate 0: the break frequency sits at sqrt (min max); N equal first-order
 * all-passes reach -(2k + 1) pi where tan (w / 2) = tan (wc / 2)
 * tan ((2k + 1) pi / 2N), and equal dry and wet cancel there. */
static void
test_phaser_notches (void)
{
  const int stage_counts[] = { 4, 6, 12 };
  for (int t = 0; t < 3; t++) {
    MstModulationSettings s = settings (MST_MODULATION_PHASER);
    s.rate_hz = 0.0;
    s.depth_pct = 100.0;
    s.stages = stage_counts[t];
    s.min_freq_hz = 200.0;
    s.max_freq_hz = 5000.0;
    const size_t n = 16384;
    double *h = impulse_response (&s, n);
    double fc = sqrt (s.min_freq_hz * s.max_freq_hz);
    double prev = 0.0;
    for (int k = 0; k < s.stages / 2; k++) {
      double f = RATE / M_PI * atan (tan (M_PI * fc / RATE)
          * tan ((2 * k + 1) * M_PI / (2.0 * s.stages)));
      double at = response_db (h, n, f);
      printf ("  %d stages: notch %d at %.1f Hz: %.1f dB\n", s.stages, k, f,
          at);
      MST_CHECK_MSG (at < -60.0, "%.1f dB at %.1f Hz", at, f);
      /* Off the notch the level is back up (a notch, not a cut). */
      double mid = prev > 0.0 ? sqrt (prev * f) : f / 2.0;
      MST_CHECK (response_db (h, n, mid) > -12.0);
      prev = f;
    }
    free (h);
  }
}

/* Rate 0, integer delay D: |cos dry + sin wet z^-D / (1 - fb z^-D)|: the
 * comb's notches at (k + 1/2) / D, peaks at k / D, for positive and
 * negative feedback. */
static void
test_flanger_comb (void)
{
  const double feedbacks[] = { 0.0, 50.0, -50.0, 90.0 };
  for (int t = 0; t < 8; t++) {
    MstModulationSettings s = settings (MST_MODULATION_FLANGER);
    s.rate_hz = 0.0;
    s.delay_ms = 2.0;           /* 96 frames */
    s.feedback_pct = feedbacks[t % 4];
    s.invert = t >= 4;
    const size_t n = 65536;
    double *h = impulse_response (&s, n);
    double d = s.delay_ms * RATE / 1000.0, fb = s.feedback_pct / 100.0;
    double gd = cos (M_PI / 4), gw = (s.invert ? -1 : 1) * sin (M_PI / 4);
    double worst = 0.0;
    for (int k = 0; k < 20; k++) {
      double f = (k / 2.0) * RATE / d;  /* peaks and notches */
      f += k == 0 ? 20.0 : 0.0;
      double complex z = cexp (-I * 2 * M_PI * f / RATE * d);
      double model = 20 * log10 (cabs (gd + gw * z / (1 - fb * z)) + 1e-300);
      double at = response_db (h, n, f);
      if (model > -60.0)
        worst = fmax (worst, fabs (at - model));
      else
        MST_CHECK_MSG (at < -60.0, "fb %g: %.1f dB at %.1f Hz", fb, at, f);
    }
    /* Without feedback the notches are complete: added, at (k + 1/2) / D
     * with the peaks (+3 dB) at k / D; inverted, the other way round, DC
     * a notch. */
    double notch = s.invert ? 0.0 : 0.5 * RATE / d;
    double peak = s.invert ? 0.5 * RATE / d : RATE / d;
    printf ("  feedback %+.0f %%%s: first notch (%.0f Hz) %.1f dB, peak "
        "(%.0f Hz) %+.2f dB, largest error %.4f dB\n", s.feedback_pct,
        s.invert ? " inverted" : "", notch, response_db (h, n, notch), peak,
        response_db (h, n, peak), worst);
    MST_CHECK (worst < 0.01);
    if (fb == 0.0)
      for (int k = 0; k < 8; k++) {
        double at_notch = response_db (h, n, notch + k * RATE / d);
        double at_peak = response_db (h, n, peak + k * RATE / d);
        MST_CHECK_MSG (at_notch < -100.0, "notch %d: %.1f dB", k, at_notch);
        MST_CHECK_MSG (fabs (at_peak - 20 * log10 (2 * sin (M_PI / 4)))
            < 0.01, "peak %d: %.3f dB", k, at_peak);
      }
    free (h);
  }
}

/* Noise keeps its level through the chorus (uncorrelated voices at
 * 1 / sqrt (voices), equal-power mix). White noise with @smooth false;
 * with @smooth, white noise through (1 + z^-1) / 2 (down 3 dB at 12 kHz,
 * a spectrum more like music's), which the interpolator's loss near
 * Nyquist does not reach. */
static void
check_chorus_level (bool smooth)
{
  const size_t n = RATE;
  double *x = noise (n, 2, 7);
  if (smooth)
    for (size_t i = n - 1; i > 0; i--)
      for (int c = 0; c < 2; c++)
        x[2 * i + c] = 0.5 * (x[2 * i + c] + x[2 * (i - 1) + c]);
  double in_db = power_db (x, n, 2);
  double worst = 0.0, signed_worst = 0.0;
  for (int voices = 1; voices <= MST_MODULATION_MAX_VOICES; voices += 3)
    for (int mix = 0; mix <= 100; mix += 25) {
      MstModulationSettings s = settings (MST_MODULATION_CHORUS);
      s.voices = voices;
      s.mix_pct = mix;
      s.depth_pct = 60.0;
      s.rate_hz = 1.0;
      MstModulation *m = core_with (&s, 2);
      double *y = malloc (sizeof (double) * 2 * n);
      memcpy (y, x, sizeof (double) * 2 * n);
      mst_modulation_process_f64 (m, y, n, y);
      for (int c = 0; c < 2; c++) {
        double d = power_db (y + c + 2 * (RATE / 10), n - RATE / 10, 2)
            - in_db;
        if (fabs (d) > worst)
          signed_worst = d;
        worst = fmax (worst, fabs (d));
      }
      free (y);
      mst_modulation_destroy (&m);
    }
  printf ("  %s noise: level within %.2f dB (worst %+.2f dB; voices 1..7, "
      "mix 0..100)\n", smooth ? "smoothed" : "white", worst, signed_worst);
  MST_CHECK (worst < (smooth ? 1.0 : 1.5));
  free (x);
}

static void
test_chorus_level (void)
{
  check_chorus_level (true);
  check_chorus_level (false);
}

/* Mix 0 and bypass, once settled, leave every bit (-0 and denormals
 * included), in both widths. */
static void
test_dry_bit_exact (void)
{
  const size_t n = 4096;
  for (int mode = 0; mode < 3; mode++)
    for (int bypass = 0; bypass < 2; bypass++) {
      MstModulationSettings s = settings (mode);
      s.mix_pct = bypass ? 70.0 : 0.0;
      s.bypass = bypass;
      s.feedback_pct = 80.0;
      MstModulation *m = core_with (&s, 2);
      double *x = noise (n, 2, 3), *y = malloc (sizeof (double) * 2 * n);
      x[10] = -0.0;
      x[11] = 1e-310;
      memcpy (y, x, sizeof (double) * 2 * n);
      mst_modulation_process_f64 (m, y, n, y);
      MST_CHECK (memcmp (x, y, sizeof (double) * 2 * n) == 0);
      float *f = malloc (sizeof (float) * 2 * n), *g = malloc (sizeof (float)
          * 2 * n);
      for (size_t i = 0; i < 2 * n; i++)
        f[i] = (float) x[i];
      f[12] = -0.0f;
      memcpy (g, f, sizeof (float) * 2 * n);
      mst_modulation_process_f32 (m, g, n, g);
      MST_CHECK (memcmp (f, g, sizeof (float) * 2 * n) == 0);
      free (x);
      free (y);
      free (f);
      free (g);
      mst_modulation_destroy (&m);
    }
}

static double
largest_step (const double *y, size_t from, size_t to, int channels)
{
  double worst = 0.0;
  for (size_t i = from + 1; i < to; i++)
    for (int c = 0; c < channels; c++)
      worst = fmax (worst, fabs (y[i * channels + c] - y[(i - 1) * channels
                  + c]));
  return worst;
}

typedef struct {
  const char *name;
  void (*from) (MstModulationSettings *);
  void (*to) (MstModulationSettings *);
} Change;

#define SETTER(fn, body) static void fn (MstModulationSettings * s) { body; }
SETTER (delay_a, s->delay_ms = 10.0)
SETTER (delay_b, s->delay_ms = 20.0)
SETTER (depth_a, s->depth_pct = 10.0)
SETTER (depth_b, s->depth_pct = 90.0)
SETTER (rate_a, s->rate_hz = 0.2)
SETTER (rate_b, s->rate_hz = 8.0)
SETTER (fb_a, s->mode = MST_MODULATION_FLANGER; s->feedback_pct = -70.0)
SETTER (fb_b, s->mode = MST_MODULATION_FLANGER; s->feedback_pct = 90.0)
SETTER (mix_a, s->mix_pct = 0.0)
SETTER (mix_b, s->mix_pct = 100.0)
SETTER (spread_a, s->spread_deg = 0.0)
SETTER (spread_b, s->spread_deg = 180.0)
SETTER (voices_a, s->voices = 1)
SETTER (voices_b, s->voices = 8)
SETTER (shape_a, s->shape = MST_MODULATION_SHAPE_SINE)
SETTER (shape_b, s->shape = MST_MODULATION_SHAPE_TRIANGLE)
SETTER (stages_a, s->mode = MST_MODULATION_PHASER; s->stages = 4)
SETTER (stages_b, s->mode = MST_MODULATION_PHASER; s->stages = 12)
SETTER (freq_a, s->mode = MST_MODULATION_PHASER; s->min_freq_hz = 100;
    s->max_freq_hz = 1000)
SETTER (freq_b, s->mode = MST_MODULATION_PHASER; s->min_freq_hz = 800;
    s->max_freq_hz = 8000)
SETTER (pfb_a, s->mode = MST_MODULATION_PHASER; s->feedback_pct = -90.0)
SETTER (pfb_b, s->mode = MST_MODULATION_PHASER; s->feedback_pct = 90.0)
SETTER (mode_a, s->mode = MST_MODULATION_CHORUS)
SETTER (mode_b, s->mode = MST_MODULATION_PHASER)
SETTER (mode_c, s->mode = MST_MODULATION_FLANGER; s->feedback_pct = 60.0)
SETTER (bypass_a, s->bypass = false)
SETTER (bypass_b, s->bypass = true)

/* Each property changed at once in the middle of a 200 Hz sine: no
 * output step larger than 1.3 times the largest of the steady states
 * before and after (a jump of a read position or a gain would be many
 * times that), both ways. */
static void
test_no_clicks (void)
{
  static const Change changes[] = {
    {"delay", delay_a, delay_b}, {"depth", depth_a, depth_b},
    {"rate", rate_a, rate_b}, {"feedback", fb_a, fb_b},
    {"mix", mix_a, mix_b}, {"spread", spread_a, spread_b},
    {"voices", voices_a, voices_b}, {"shape", shape_a, shape_b},
    {"stages", stages_a, stages_b}, {"min/max-freq", freq_a, freq_b},
    {"phaser feedback", pfb_a, pfb_b}, {"mode", mode_a, mode_b},
    {"mode", mode_b, mode_c}, {"bypass", bypass_a, bypass_b},
  };
  const size_t n = RATE * 3 / 2, half = RATE / 2;
  double *x = malloc (sizeof (double) * 2 * n);
  for (size_t i = 0; i < n; i++)
    x[2 * i] = x[2 * i + 1] = 0.5 * sin (2 * M_PI * 200.0 * i / RATE);
  for (size_t k = 0; k < sizeof changes / sizeof changes[0]; k++)
    for (int way = 0; way < 2; way++) {
      MstModulationSettings a = settings (MST_MODULATION_CHORUS), b;
      a.rate_hz = 2.0;
      (way ? changes[k].to : changes[k].from) (&a);
      b = a;
      (way ? changes[k].from : changes[k].to) (&b);
      MstModulation *m = core_with (&a, 2);
      double *y = malloc (sizeof (double) * 2 * n);
      memcpy (y, x, sizeof (double) * 2 * n);
      mst_modulation_process_f64 (m, y, half, y);
      mst_modulation_set (m, &b);
      mst_modulation_process_f64 (m, y + 2 * half, n - half,
          y + 2 * half);
      /* Steady: a's last 300 ms, b's last 300 ms; the change: 300 ms. */
      double before = largest_step (y, half - RATE * 3 / 10, half, 2);
      double after = largest_step (y, n - RATE * 3 / 10, n, 2);
      double during = largest_step (y, half - 1, half + RATE * 3 / 10, 2);
      /* A fade through the dry signal alone (a mode change) may pass a
       * level above both steady states where they cancel in part. */
      double dry = largest_step (x, half - RATE * 3 / 10, half, 2)
          * cos (M_PI / 2 * a.mix_pct / 100.0);
      double ratio = during / fmax (fmax (before, after), dry);
      if (ratio > 1.0)
        printf ("  %s (%s): step %.2f times the steady states'\n",
            changes[k].name, way ? "back" : "forth", ratio);
      MST_CHECK_MSG (ratio < 1.3, "%s: %.3f", changes[k].name, ratio);
      free (y);
      mst_modulation_destroy (&m);
    }
  free (x);
}

/* Feedback +-99 % at the extremes of delay, depth and rate (and the
 * phaser's sweep): the output stays finite and bounded under noise, and
 * dies away in the silence after. */
static void
test_stability (void)
{
  const size_t n = RATE * 2, quiet = RATE;
  double *x = noise (n + quiet, 2, 11);
  memset (x + 2 * n, 0, sizeof (double) * 2 * quiet);
  double worst_peak = 0.0, worst_tail = -400.0;
  for (int mode = 1; mode < 3; mode++)
    for (int sign = -1; sign <= 1; sign += 2)
      for (int extreme = 0; extreme < 4; extreme++) {
        MstModulationSettings s = settings (mode);
        s.feedback_pct = sign * MST_MODULATION_MAX_FEEDBACK_PCT;
        s.delay_ms = extreme & 1 ? MST_MODULATION_MAX_DELAY_MS
            : MST_MODULATION_MIN_DELAY_MS;
        s.depth_pct = 100.0;
        s.rate_hz = extreme & 2 ? MST_MODULATION_MAX_RATE_HZ : 0.05;
        s.stages = extreme & 1 ? MST_MODULATION_MAX_STAGES
            : MST_MODULATION_MIN_STAGES;
        s.min_freq_hz = MST_MODULATION_MIN_FREQ_HZ;
        s.max_freq_hz = MST_MODULATION_MAX_FREQ_HZ;
        s.mix_pct = 100.0;
        MstModulation *m = core_with (&s, 2);
        double *y = malloc (sizeof (double) * 2 * (n + quiet));
        memcpy (y, x, sizeof (double) * 2 * (n + quiet));
        mst_modulation_process_f64 (m, y, n + quiet, y);
        double peak = 0.0;
        bool finite = true;
        for (size_t i = 0; i < 2 * (n + quiet); i++) {
          finite &= isfinite (y[i]);
          peak = fmax (peak, fabs (y[i]));
        }
        /* The silence's first and last 100 ms: a flanger's loop loses
         * 20 log10 (0.99) dB a round trip of (about) its centre delay;
         * at 30 ms that is 2.9 dB a second. Half that is asked; the
         * phaser's short loop must be gone. */
        double head = power_db (y + 2 * n, RATE / 10, 1);
        double tail = power_db (y + 2 * (n + quiet - RATE / 10), RATE / 10,
            1);
        double trips = (quiet - RATE / 10) / (s.delay_ms * RATE / 1000.0);
        double wanted = mode == MST_MODULATION_FLANGER ? fmin (100.0,
            -0.5 * trips * 20 * log10 (0.99)) : 100.0;
        MST_CHECK (finite);
        MST_CHECK_MSG (peak < 100.0, "mode %d fb %+d extreme %d: peak %g",
            mode, sign, extreme, peak);
        MST_CHECK_MSG (tail < -100.0 || head - tail > wanted, "mode %d fb "
            "%+d extreme %d: %.1f dB down in 0.8 s, %.1f asked", mode, sign,
            extreme, head - tail, wanted);
        tail = head - tail;
        MST_CHECK (mst_modulation_get_nonfinite_count (m) == 0);
        worst_peak = fmax (worst_peak, peak);
        worst_tail = fmax (worst_tail, -tail);
        free (y);
        mst_modulation_destroy (&m);
      }
  printf ("  feedback +-99 %%: largest peak %.1f (noise RMS 0.1); the "
      "slowest decay %.1f dB in 0.8 s of silence\n", worst_peak,
      -worst_tail);
  free (x);
}

/* NaN and Inf are read as silence, counted, and never reach the output or
 * the state. */
static void
test_nonfinite (void)
{
  for (int mode = 0; mode < 3; mode++) {
    MstModulationSettings s = settings (mode);
    s.feedback_pct = 90.0;
    MstModulation *m = core_with (&s, 2);
    const size_t n = 8192;
    double *x = noise (n, 2, 5);
    x[1000] = NAN;
    x[3001] = INFINITY;
    mst_modulation_process_f64 (m, x, n, x);
    bool finite = true;
    for (size_t i = 0; i < 2 * n; i++)
      finite &= isfinite (x[i]);
    MST_CHECK (finite);
    MST_CHECK (mst_modulation_get_nonfinite_count (m) >= 1);
    free (x);
    mst_modulation_destroy (&m);
  }
  /* Dry (mix 0): the bad samples written as 0, every other one
   * bit-exact. */
  MstModulationSettings s = settings (MST_MODULATION_FLANGER);
  s.mix_pct = 0.0;
  MstModulation *m = core_with (&s, 2);
  const size_t n = 4096;
  double *x = noise (n, 2, 9), *y = malloc (sizeof (double) * 2 * n);
  x[100] = NAN;
  x[201] = -INFINITY;
  x[302] = 1e6;
  memcpy (y, x, sizeof (double) * 2 * n);
  mst_modulation_process_f64 (m, y, n, y);
  x[100] = x[201] = x[302] = 0.0;
  MST_CHECK (memcmp (x, y, sizeof (double) * 2 * n) == 0);
  MST_CHECK (mst_modulation_get_nonfinite_count (m) == 1);
  free (x);
  free (y);
  mst_modulation_destroy (&m);
}

static void
test_settings (void)
{
  MstModulation *m = mst_modulation_init ();
  MstModulationSettings s;
  mst_modulation_settings_default (&s);
  MST_CHECK (mst_modulation_set (m, &s) == MST_OK);
  s.feedback_pct = 100.0;
  MST_CHECK (mst_modulation_set (m, &s) == MST_ERR_INVALID_ARG);
  mst_modulation_settings_default (&s);
  s.delay_ms = 0.5;
  MST_CHECK (mst_modulation_set (m, &s) == MST_ERR_INVALID_ARG);
  mst_modulation_settings_default (&s);
  s.stages = 3;
  MST_CHECK (mst_modulation_set (m, &s) == MST_ERR_INVALID_ARG);
  mst_modulation_settings_default (&s);
  s.rate_hz = NAN;
  MST_CHECK (mst_modulation_set (m, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_modulation_configure (m, 4000, 2) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_modulation_configure (m, 8000, 2) == MST_OK);
  MST_CHECK (mst_modulation_configure (m, 8000, 3) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_modulation_configure (m, 384000, 1) == MST_OK);
  mst_modulation_destroy (&m);
  MST_CHECK (m == NULL);
}

/* Pearson correlation of the two sides of @n stereo frames at @y. */
static double
correlation (const double *y, size_t n)
{
  double ll = 0.0, rr = 0.0, lr = 0.0;
  for (size_t i = 0; i < n; i++) {
    ll += y[2 * i] * y[2 * i];
    rr += y[2 * i + 1] * y[2 * i + 1];
    lr += y[2 * i] * y[2 * i + 1];
  }
  return lr / sqrt (ll * rr);
}

/* A mono source in, stereo out: both sides run their own voices from it.
 * A wet-only chorus at spread 100 degrees gives two sides far from equal
 * (their correlation well under 1, over one LFO cycle of noise); at
 * spread 0 the two sides are the same, bit for bit, in every mode. With
 * the default mix the dry half is common to both sides. */
static void
test_mono_spread (void)
{
  const size_t n = RATE;        /* one LFO cycle at 1 Hz */
  double *x = noise (n, 1, 11), *y = malloc (2 * n * sizeof (double));
  const MstModulationMode modes[] = { MST_MODULATION_CHORUS,
    MST_MODULATION_FLANGER, MST_MODULATION_PHASER
  };
  const char *names[] = { "chorus", "flanger", "phaser" };
  for (int k = 0; k < 3; k++) {
    MstModulationSettings s = settings (modes[k]);
    s.mix_pct = 100.0;
    s.feedback_pct = modes[k] == MST_MODULATION_CHORUS ? 0.0 : 50.0;
    s.spread_deg = 100.0;
    s.rate_hz = 1.0;
    MstModulation *m = core_with (&s, 1);
    MST_CHECK (mst_modulation_process_f64 (m, x, n, y) == MST_OK);
    double wide = correlation (y, n);
    mst_modulation_destroy (&m);
    s.mix_pct = 50.0;
    m = core_with (&s, 1);
    mst_modulation_process_f64 (m, x, n, y);
    double half = correlation (y, n);
    mst_modulation_destroy (&m);
    s.spread_deg = 0.0;
    m = core_with (&s, 1);
    mst_modulation_process_f64 (m, x, n, y);
    bool same = true;
    for (size_t i = 0; i < n; i++)
      same &= memcmp (&y[2 * i], &y[2 * i + 1], sizeof (double)) == 0;
    mst_modulation_destroy (&m);
    printf ("  %s, mono in, spread 100: correlation %.3f wet only, %.3f at "
        "mix 50; spread 0: sides %s\n", names[k], wide, half,
        same ? "equal" : "differ");
    MST_CHECK (same);
    /* The phaser's all-pass only moves phase: its sides stay alike in
     * level and spectrum, less decorrelated than delayed voices. */
    MST_CHECK_MSG (wide < (modes[k] == MST_MODULATION_PHASER ? 0.9 : 0.3),
        "%s: correlation %.3f", names[k], wide);
    MST_CHECK (half > wide && half < 1.0);
  }
  free (x);
  free (y);
}

/* The equal-power mix adds level where dry and wet are correlated: at
 * mix m the dry gain cos (pi/2 m/100) and the wet sin (pi/2 m/100) sum to
 * up to sqrt 2 (+3 dB, at 50 %) in amplitude, and the voices (1 / sqrt
 * (voices) each) can add up to sqrt (voices) on a peak. The page's chorus
 * line (3 voices, mix 40, depth 30, rate 0.6, spread 120) on a mono
 * -2 dBFS 220 Hz triangle: the peaks rise above the input's but stay under
 * that bound, and the -6 dB the page puts in front (volume=0.5) keeps the
 * output under 0 dBFS. */
static void
test_mix_headroom (void)
{
  const size_t n = 2 * RATE;
  const double in_peak = pow (10.0, -2.0 / 20.0), f = 220.0;
  MstModulationSettings s = settings (MST_MODULATION_CHORUS);
  s.voices = 3;
  s.mix_pct = 40.0;
  s.depth_pct = 30.0;
  s.rate_hz = 0.6;
  s.spread_deg = 120.0;
  double bound = cos (M_PI / 2 * s.mix_pct / 100.0)
      + sin (M_PI / 2 * s.mix_pct / 100.0) * sqrt ((double) s.voices);
  for (int pass = 0; pass < 2; pass++) {
    double gain = pass ? 0.5 : 1.0;
    double *x = malloc (n * sizeof (double));
    double *y = malloc (2 * n * sizeof (double));
    for (size_t i = 0; i < n; i++) {
      double ph = fmod (i * f / RATE, 1.0);
      x[i] = gain * in_peak * (ph < 0.5 ? 4 * ph - 1 : 3 - 4 * ph);
    }
    MstModulation *m = core_with (&s, 1);
    MST_CHECK (mst_modulation_process_f64 (m, x, n, y) == MST_OK);
    double peak = 0;
    for (size_t i = 0; i < 2 * n; i++)
      peak = fmax (peak, fabs (y[i]));
    double rise_db = 20 * log10 (peak / (gain * in_peak));
    printf ("  chorus mix 40, 3 voices, input %.1f dBFS: peak %+.2f dBFS "
        "(%+.2f dB; bound %+.2f dB)\n", 20 * log10 (gain * in_peak),
        20 * log10 (peak), rise_db, 20 * log10 (bound));
    MST_CHECK (rise_db > 1.0);
    MST_CHECK (peak <= bound * gain * in_peak * (1 + 1e-9));
    if (pass)
      MST_CHECK (peak < 1.0);
    else
      MST_CHECK (peak > 1.0);
    mst_modulation_destroy (&m);
    free (x);
    free (y);
  }
}

int
main (void)
{
  MST_RUN (test_settings);
  MST_RUN (test_interpolator);
  MST_RUN (test_ramp_read);
  MST_RUN (test_delay_follows_lfo);
  MST_RUN (test_phaser_notches);
  MST_RUN (test_flanger_comb);
  MST_RUN (test_chorus_level);
  MST_RUN (test_mix_headroom);
  MST_RUN (test_dry_bit_exact);
  MST_RUN (test_no_clicks);
  MST_RUN (test_stability);
  MST_RUN (test_nonfinite);
  MST_RUN (test_mono_spread);
  return mst_test_summary ();
}
