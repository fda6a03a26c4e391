/* Tests of the test-time measurements (tests/mst-analysis.c) against
 * analytic signals: the 16x true-peak reconstruction on sines whose true
 * amplitude is known, libebur128's BS.1770-4 figures on the same, THD+N on a
 * sine with a known harmonic, and the argument checks; then the properties
 * of the torture signals (tests/mst-signals.c) the limiter tests rely on.
 * The measured errors are printed, so a run documents the accuracy. */
#define _GNU_SOURCE
#include "mst-analysis.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <fftw3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* A sine on every channel (channel c shifted by 0.3 c rad); with @fade_s,
 * raised-cosine fades in and out, so the buffer starts and ends smoothly. */
static double
sine_value (size_t i, size_t n_frames, int c, double rate, double freq_hz,
    double amp, double phase_rad, double fade_s)
{
  double v = amp * sin (2.0 * M_PI * freq_hz * i / rate + phase_rad + 0.3 * c);
  size_t fade = (size_t) (fade_s * rate);
  size_t from_end = n_frames - 1 - i;
  size_t edge = i < from_end ? i : from_end;
  if (edge < fade)
    v *= 0.5 - 0.5 * cos (M_PI * edge / fade);
  return v;
}

static float *
sine_f32 (size_t n_frames, int channels, double rate, double freq_hz,
    double amp, double phase_rad, double fade_s)
{
  float *x = malloc (n_frames * channels * sizeof (float));
  if (!x)
    return NULL;
  for (size_t i = 0; i < n_frames; i++)
    for (int c = 0; c < channels; c++)
      x[i * channels + c] = (float) sine_value (i, n_frames, c, rate, freq_hz,
          amp, phase_rad, fade_s);
  return x;
}

/* Error of the 16x true peak in dB against the analytic amplitude, the worst
 * over a few starting phases (so the peaks fall at different places between
 * the samples), both channels, float and double. Interior: a plain sine
 * (steady state); silence: the sine faded in and out over 10 ms. */
static double
tp16_error_db (double rate, double freq_hz, double amp, double phase_rad,
    int n_phases, MstAnalysisEdges edges)
{
  const size_t n = (size_t) (rate / 4);          /* 0.25 s */
  const double fade_s = edges == MST_ANALYSIS_EDGES_SILENCE ? 0.01 : 0.0;
  double worst = 0.0;
  for (int k = 0; k < n_phases; k++) {
    double ph = phase_rad + k * 0.61803398875;
    float *x = sine_f32 (n, 2, rate, freq_hz, amp, ph, fade_s);
    double *xd = malloc (n * 2 * sizeof (double));
    MST_CHECK (x != NULL && xd != NULL);
    if (!x || !xd) {
      free (x);
      free (xd);
      return INFINITY;
    }
    for (size_t i = 0; i < 2 * n; i++)
      xd[i] = sine_value (i / 2, n, i % 2, rate, freq_hz, amp, ph, fade_s);
    for (int c = 0; c < 2; c++) {
      double tp = mst_analysis_true_peak_16x_ex (x, n, 2, c, edges);
      double tpd = mst_analysis_true_peak_16x_ex_f64 (xd, n, 2, c, edges);
      double e = mst_analysis_db (tp) - mst_analysis_db (amp);
      double ed = mst_analysis_db (tpd) - mst_analysis_db (amp);
      if (fabs (e) > fabs (worst))
        worst = e;
      if (fabs (ed) > fabs (worst))
        worst = ed;
    }
    free (x);
    free (xd);
  }
  return worst;
}

static void
test_true_peak_16x_sines (void)
{
  static const struct {
    double rate, freq, amp, phase, tol_db;
  } cases[] = {
    {48000, 997, 0.5, 0.0, 0.005},
    /* fs/4 at 45 degrees: every sample at amp / sqrt 2, 3 dB under. */
    {48000, 12000, 0.5, M_PI / 4, 0.005},
    {48000, 12000, 1.0, M_PI / 4, 0.005},
    {44100, 10000, 0.5, 0.1, 0.02},
    {48000, 10000, 0.5, 0.1, 0.02},
    {44100, 18000, 0.5, 0.2, 0.02},
    {48000, 18000, 0.5, 0.2, 0.02},
    {44100, 20000, 0.5, 0.3, 0.02},
    {48000, 20000, 0.5, 0.3, 0.02},
    {96000, 40000, 0.5, 0.3, 0.02},
    {8000, 3500, 0.5, 0.3, 0.02},
  };
  double worst = 0.0;
  for (int mode = 0; mode < 2; mode++) {
    MstAnalysisEdges edges = mode ? MST_ANALYSIS_EDGES_SILENCE
        : MST_ANALYSIS_EDGES_INTERIOR;
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
      int n_phases = cases[i].freq == 12000 ? 1 : 6;
      double e = tp16_error_db (cases[i].rate, cases[i].freq, cases[i].amp,
          cases[i].phase, n_phases, edges);
      printf ("  16x true peak (%s), %5.0f Hz sine at %5.0f Hz, amplitude "
          "%.2f: error %+.5f dB\n", mode ? "faded, silence" : "interior",
          cases[i].freq, cases[i].rate, cases[i].amp, e);
      MST_CHECK_MSG (fabs (e) <= cases[i].tol_db, "%g Hz at %g Hz: %+.5f dB",
          cases[i].freq, cases[i].rate, e);
      if (fabs (e) > fabs (worst))
        worst = e;
    }
  }
  printf ("  worst error %+.5f dB\n", worst);
}

/* The band-limited reconstruction of a sampled step (sum over m >= 0 of
 * sinc (t - m)) overshoots to 1.14114 of the step, 0.418 sample after it
 * (numerically, 2e6 terms); more than the 1.0895 of a continuous step's
 * Gibbs overshoot. An abrupt start counts as such a step with the default
 * edges, and not in the interior mode. */
static void
test_steps_and_edges (void)
{
  const size_t n = 4800;
  float *x = calloc (n, sizeof (float));
  MST_CHECK (x != NULL);
  if (!x)
    return;
  for (size_t i = n / 2; i < n; i++)
    x[i] = 0.5f;
  double tp = mst_analysis_true_peak_16x_ex (x, n, 1, 0,
      MST_ANALYSIS_EDGES_INTERIOR);
  printf ("  DC step 0 -> 0.5 mid-buffer: 16x true peak %.5f (%.4f of the "
      "step)\n", tp, tp / 0.5);
  MST_CHECK_CLOSE (tp / 0.5, 1.14114, 0.001);
  /* A step at the buffer's start: only the default mode sees it. */
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5f;
  tp = mst_analysis_true_peak_16x (x, n, 1, 0);
  MST_CHECK_CLOSE (tp / 0.5, 1.14114, 0.001);
  tp = mst_analysis_true_peak_16x_ex (x, n, 1, 0, MST_ANALYSIS_EDGES_INTERIOR);
  MST_CHECK_CLOSE (tp, 0.5, 1e-6);
  /* An abrupt sine start. */
  free (x);
  x = sine_f32 (n, 1, 48000, 997, 0.5, M_PI / 2, 0.0);
  MST_CHECK (x != NULL);
  if (!x)
    return;
  double silence = mst_analysis_true_peak_16x (x, n, 1, 0);
  double interior = mst_analysis_true_peak_16x_ex (x, n, 1, 0,
      MST_ANALYSIS_EDGES_INTERIOR);
  printf ("  997 Hz 0.5 sine starting at its crest: %+.3f dB (silence), "
      "%+.5f dB (interior)\n", mst_analysis_db (silence / 0.5),
      mst_analysis_db (interior / 0.5));
  MST_CHECK (silence > 0.52);
  MST_CHECK_CLOSE (mst_analysis_db (interior / 0.5), 0.0, 0.005);
  free (x);
}

/* The fs/4, 45 degree sine: samples 3 dB under the true peak; libebur128's
 * 4x reads it (phase 2 of its Hann-windowed sinc) within its documented
 * error, and our 16x gets it exactly. */
static void
test_fs4_45_against_sample_peak (void)
{
  const size_t n = 48000;
  float *x = sine_f32 (n, 1, 48000, 12000, 1.0, M_PI / 4, 0.01);
  MST_CHECK (x != NULL);
  if (!x)
    return;
  double sp = mst_analysis_sample_peak (x, n, 1, 0);
  double tp = mst_analysis_true_peak_16x (x, n, 1, 0);
  double ebu = mst_analysis_ebur128_true_peak (x, n, 1, 48000);
  printf ("  fs/4 45 deg, amplitude 1: sample peak %+.4f dB, 16x %+.5f dB, "
      "libebur128 %+.4f dBTP\n", mst_analysis_db (sp), mst_analysis_db (tp),
      mst_analysis_db (ebu));
  MST_CHECK_CLOSE (mst_analysis_db (sp), -3.0103, 0.001);
  MST_CHECK_CLOSE (mst_analysis_db (tp), 0.0, 0.005);
  MST_CHECK_CLOSE (mst_analysis_db (ebu), 0.0, 0.7);
  free (x);
}

/* Phase 0 of the interpolator is the samples themselves: a lone sample's
 * true peak is never below it, and an impulse is reconstructed with sinc
 * ringing below its height (the sinc's largest lobe besides the main one is
 * 0.217). */
static void
test_impulse_and_edges (void)
{
  float x[1000];
  memset (x, 0, sizeof (x));
  x[500] = 0.75f;
  MST_CHECK_CLOSE (mst_analysis_true_peak_16x (x, 1000, 1, 0), 0.75, 1e-7);
  x[501] = -0.75f;
  /* A full-scale doublet (+a, -a): the band-limited waveform peaks between
   * and beyond the two samples, above a. */
  double tp = mst_analysis_true_peak_16x (x, 1000, 1, 0);
  printf ("  doublet +-0.75: 16x true peak %.5f\n", tp);
  MST_CHECK (tp >= 0.75);
  /* Empty and one-frame inputs. */
  MST_CHECK (mst_analysis_true_peak_16x (x, 0, 1, 0) == 0.0);
  MST_CHECK_CLOSE (mst_analysis_true_peak_16x (x + 500, 1, 1, 0), 0.75, 1e-7);
}

static void
test_invalid_arguments (void)
{
  float x[64] = { 0 };
  MST_CHECK (isnan (mst_analysis_true_peak_16x (NULL, 10, 1, 0)));
  MST_CHECK (isnan (mst_analysis_true_peak_16x (x, 10, 0, 0)));
  MST_CHECK (isnan (mst_analysis_true_peak_16x (x, 10, 2, 2)));
  MST_CHECK (isnan (mst_analysis_true_peak_16x (x, 10, 2, -1)));
  x[7] = NAN;
  MST_CHECK (isnan (mst_analysis_true_peak_16x (x, 32, 2, 1)));
  MST_CHECK (isnan (mst_analysis_sample_peak (x, 32, 2, 1)));
  MST_CHECK (isnan (mst_analysis_thd_n_db (x, 32, 2, 1, 48000, 1000)));
  x[7] = 0;
  /* Silence: no THD+N. */
  MST_CHECK (isnan (mst_analysis_thd_n_db (x, 64, 1, 0, 48000, 1000)));
  MST_CHECK (isnan (mst_analysis_ebur128_true_peak (NULL, 10, 1, 48000)));
  MST_CHECK (isnan (mst_analysis_ebur128_loudness (x, 10, 1, 0)));
}

/* libebur128 on a 997 Hz sine: true peak within its 4x filter's error,
 * loudness of a full-scale stereo 1 kHz sine -3.01 LUFS (EBU Tech 3341
 * case 1 is that at -23 LUFS with -23 dBFS per channel). */
static void
test_ebur128 (void)
{
  const size_t n = 20 * 48000;
  float *x = sine_f32 (n, 2, 48000, 1000, 1.0, 0.0, 0.0);
  double *xd = malloc (n * 2 * sizeof (double));
  MST_CHECK (x != NULL && xd != NULL);
  if (!x || !xd) {
    free (x);
    free (xd);
    return;
  }
  for (size_t i = 0; i < 2 * n; i++)
    xd[i] = x[i] * pow (10.0, -23.0 / 20.0);
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = (float) xd[i];
  double lufs = mst_analysis_ebur128_loudness (x, n, 2, 48000);
  double lufs_d = mst_analysis_ebur128_loudness_f64 (xd, n, 2, 48000);
  double tp = mst_analysis_ebur128_true_peak (x, n, 2, 48000);
  double tp_d = mst_analysis_ebur128_true_peak_f64 (xd, n, 2, 48000);
  printf ("  -23 dBFS 1 kHz stereo: %.3f LUFS (f64 %.3f), true peak "
      "%.4f dBTP (f64 %.4f)\n", lufs, lufs_d, mst_analysis_db (tp),
      mst_analysis_db (tp_d));
  MST_CHECK_CLOSE (lufs, -23.0, 0.1);
  MST_CHECK_CLOSE (lufs_d, -23.0, 0.1);
  MST_CHECK_CLOSE (mst_analysis_db (tp), -23.0, 0.25);
  MST_CHECK_CLOSE (mst_analysis_db (tp_d), -23.0, 0.25);
  /* Silence is below the absolute gate. */
  memset (x, 0, n * 2 * sizeof (float));
  MST_CHECK (mst_analysis_ebur128_loudness (x, 48000, 2, 48000) == -HUGE_VAL);
  MST_CHECK (mst_analysis_ebur128_true_peak (x, 48000, 2, 48000) == 0.0);
  free (x);
  free (xd);
}

/* REFERENCE.md section 7: 1 kHz + 10 % 2nd harmonic at 48 kHz is 10 %
 * THD+N(R): 0.1 / sqrt (1 + 0.01), -20.04 dB. */
static void
test_thd_n (void)
{
  const size_t n = 48000;           /* 1 s: a whole number of cycles */
  float *x = malloc (n * sizeof (float));
  double *xd = malloc (n * sizeof (double));
  MST_CHECK (x != NULL && xd != NULL);
  if (!x || !xd) {
    free (x);
    free (xd);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    double t = (double) i / 48000;
    xd[i] = 0.5 * sin (2 * M_PI * 1000 * t) + 0.05 * sin (2 * M_PI * 2000 * t)
        + 0.01;                     /* DC is removed, not counted */
    x[i] = (float) xd[i];
  }
  double expected = 20 * log10 (0.1 / sqrt (1.01));
  double thd = mst_analysis_thd_n_db (x, n, 1, 0, 48000, 1000);
  double thd_d = mst_analysis_thd_n_db_f64 (xd, n, 1, 0, 48000, 1000);
  double thd_auto = mst_analysis_thd_n_db (x, n, 1, 0, 48000, 0);
  printf ("  1 kHz + 10 %% H2: THD+N %.4f dB (%.3f %%), f64 %.4f dB, "
      "expected %.4f dB\n", thd, 100 * pow (10, thd / 20), thd_d, expected);
  MST_CHECK_CLOSE (thd, expected, 0.01);
  MST_CHECK_CLOSE (thd_d, expected, 0.01);
  MST_CHECK_CLOSE (thd_auto, expected, 0.01);

  /* A clean sine: float rounding only (about -150 dB); in double, lower. */
  for (size_t i = 0; i < n; i++) {
    xd[i] = 0.5 * sin (2 * M_PI * 1000 * (double) i / 48000);
    x[i] = (float) xd[i];
  }
  thd = mst_analysis_thd_n_db (x, n, 1, 0, 48000, 1000);
  thd_d = mst_analysis_thd_n_db_f64 (xd, n, 1, 0, 48000, 1000);
  printf ("  clean 1 kHz sine: THD+N %.1f dB (float), %.1f dB (double)\n",
      thd, thd_d);
  MST_CHECK (thd < -120);
  MST_CHECK (thd_d < -200);

  /* Non-coherent length and a non-power-of-two size: still accurate. */
  for (size_t i = 0; i < 30011; i++) {
    double t = (double) i / 44100;
    x[i] = (float) (0.5 * sin (2 * M_PI * 997 * t)
        + 0.005 * sin (2 * M_PI * 3 * 997 * t));
  }
  thd = mst_analysis_thd_n_db (x, 30011, 1, 0, 44100, 997);
  printf ("  997 Hz + 1 %% H3 at 44.1 kHz, 30011 frames: THD+N %.4f dB\n", thd);
  MST_CHECK_CLOSE (thd, 20 * log10 (0.01 / sqrt (1.0001)), 0.02);

  /* Gaussian noise of RMS 1e-3 added to a sine of RMS 0.5: -53.98 dB. */
  unsigned s = 12345;
  for (size_t i = 0; i < n; i++) {
    double u = 0;
    for (int k = 0; k < 12; k++) {  /* Irwin-Hall: unit-variance Gaussian */
      s = s * 1103515245u + 12345u;
      u += ((s >> 8) & 0xffff) / 65536.0;
    }
    xd[i] = sqrt (0.5) * sin (2 * M_PI * 1000 * (double) i / 48000)
        + 1e-3 * (u - 6.0);
  }
  thd_d = mst_analysis_thd_n_db_f64 (xd, n, 1, 0, 48000, 1000);
  printf ("  1 kHz sine + noise at -54 dB: THD+N %.2f dB\n", thd_d);
  MST_CHECK_CLOSE (thd_d, 20 * log10 (1e-3 / 0.5), 0.3);
  free (x);
  free (xd);
}


/* The ideal reconstruction's definition, as directly as it reads: the
 * channel between 8192 frames of silence on each side, one transform, the
 * spectrum zero-padded to @factor times the length (an even length's
 * Nyquist bin halved into the two halves) and one transform back; the
 * largest grid value, refined by a parabola. What
 * mst_analysis_true_peak_ideal() computes by one transform per phase. */
static double
ideal_by_one_transform (const float *x, size_t n_frames, size_t pad,
    int factor)
{
  size_t n = n_frames + 2 * pad, big = n * (size_t) factor;
  size_t bins = n / 2 + 1;
  double *in = fftw_malloc (sizeof (double) * n);
  fftw_complex *spec = fftw_malloc (sizeof (fftw_complex) * (big / 2 + 1));
  double *out = fftw_malloc (sizeof (double) * big);
  memset (in, 0, sizeof (double) * n);
  for (size_t i = 0; i < n_frames; i++)
    in[pad + i] = x[i];
  fftw_plan fwd = fftw_plan_dft_r2c_1d ((int) n, in, spec, FFTW_ESTIMATE);
  fftw_execute (fwd);
  fftw_destroy_plan (fwd);
  if (n % 2 == 0) {
    spec[bins - 1][0] *= 0.5;
    spec[bins - 1][1] *= 0.5;
  }
  memset (spec + bins, 0, sizeof (fftw_complex) * (big / 2 + 1 - bins));
  fftw_plan inv = fftw_plan_dft_c2r_1d ((int) big, spec, out, FFTW_ESTIMATE);
  fftw_execute (inv);
  fftw_destroy_plan (inv);
  size_t at = 0;
  double best = 0.0;
  for (size_t i = 0; i < big; i++)
    if (fabs (out[i]) > best) {
      best = fabs (out[i]);
      at = i;
    }
  if (at > 0 && at + 1 < big) {
    double a = fabs (out[at - 1]), b = best, c = fabs (out[at + 1]);
    double den = a - 2 * b + c;
    if (den < 0)
      best = fmax (best, b - 0.125 * (a - c) * (a - c) / den);
  }
  fftw_free (in);
  fftw_free (spec);
  fftw_free (out);
  return best / (double) n;
}

/* The ideal reconstruction against its definition above: at the same
 * length (16384 frames, 32768 padded, a size both take) within rounding,
 * whatever grid phase and neighbours the peak falls on; at a length the
 * per-phase way pads further (to a length of small factors), within the
 * wrapped tails' -88 dB; on an fs/4 sine at 45 degrees, faded in and out,
 * the analytic amplitude; and the 16x interpolator agrees with it on
 * music. */
static void
test_true_peak_ideal (void)
{
  const size_t lengths[] = { 16384, 5003 };
  float *x = malloc (sizeof (float) * 48000 * 2);
  MST_CHECK (x != NULL);
  if (!x)
    return;
  double worst_rel = 0.0;
  for (int l = 0; l < 2; l++)
    for (int s = 0; s < 4; s++) {
      size_t n = lengths[l];
      uint32_t seed = 1234567u + 77u * (uint32_t) s;
      /* Noise with a few isolated spikes, which put the largest value at
       * varied phases of the grid, and a step (Gibbs). */
      for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float) (0.3 * ((seed >> 8) / 16777216.0 - 0.5));
      }
      x[n / 3 + s] = 0.9f;
      x[n / 3 + s + 1] = (s & 1) ? -0.9f : 0.9f;
      if (s == 3)
        for (size_t i = n / 2; i < n; i++)
          x[i] = 0.7f;
      double ref = ideal_by_one_transform (x, n, 8192, 16);
      double got = mst_analysis_true_peak_ideal (x, n, 1, 0, 16);
      double rel = fabs (got - ref) / ref;
      worst_rel = fmax (worst_rel, rel);
      MST_CHECK_MSG (rel < (l == 0 ? 1e-12 : 1e-4), "ideal true peak of "
          "%zu frames, case %d: %.12f, by one transform %.12f", n, s, got,
          ref);
    }
  printf ("  ideal reconstruction against one transform of 16x the "
      "length: worst relative difference %.2e\n", worst_rel);
  /* 2 channels: the one asked for (a 1 kHz sine faded in and out). */
  for (size_t i = 0; i < 16384; i++) {
    x[2 * i] = 0.0f;
    x[2 * i + 1] = (float) sine_value (i, 16384, 0, 48000, 1000, 0.5, 0.3,
        0.01);
  }
  MST_CHECK (mst_analysis_true_peak_ideal (x, 16384, 2, 0, 16) == 0.0);
  MST_CHECK_CLOSE (mst_analysis_true_peak_ideal (x, 16384, 2, 1, 16), 0.5,
      1e-4);

  float *y = sine_f32 (48000, 1, 48000, 12000, 1.0, M_PI / 4, 0.01);
  MST_CHECK (y != NULL);
  if (y) {
    double tp = mst_analysis_true_peak_ideal (y, 48000, 1, 0, 16);
    printf ("  fs/4 45 deg, amplitude 1: ideal %+.6f dB\n",
        mst_analysis_db (tp));
    MST_CHECK_CLOSE (mst_analysis_db (tp), 0.0, 0.001);
    free (y);
  }
  mst_signal_music (x, 24000, 2, 48000, 7);
  double ideal = mst_analysis_true_peak_ideal_all (x, 24000, 2);
  double fine = mst_analysis_true_peak_16x_all (x, 24000, 2);
  printf ("  music: ideal %+.4f dBTP, 16x %+.4f dBTP\n",
      mst_analysis_db (ideal), mst_analysis_db (fine));
  MST_CHECK_CLOSE (mst_analysis_db (ideal), mst_analysis_db (fine), 0.01);
  MST_CHECK (isnan (mst_analysis_true_peak_ideal (NULL, 10, 1, 0, 16)));
  MST_CHECK (isnan (mst_analysis_true_peak_ideal (x, 10, 2, 2, 16)));
  MST_CHECK (mst_analysis_true_peak_ideal (x, 0, 1, 0, 16) == 0.0);
  x[3] = NAN;
  MST_CHECK (isnan (mst_analysis_true_peak_ideal (x, 10, 1, 0, 16)));
  free (x);
}

/* The torture signals are what their names say, and deterministic. */
static void
test_signals (void)
{
  const unsigned rate = 48000;
  const size_t n = 8 * rate;
  float *x = malloc (n * 2 * sizeof (float));
  float *y = malloc (n * 2 * sizeof (float));
  MST_CHECK (x != NULL && y != NULL);
  if (!x || !y) {
    free (x);
    free (y);
    return;
  }

  /* Music: -0.1 dBFS sample peak, same seed same samples, other seed
   * different, loud part well above the quiet one, stereo not dual mono. */
  mst_signal_music (x, n, 2, rate, 7);
  mst_signal_music (y, n, 2, rate, 7);
  MST_CHECK (memcmp (x, y, n * 2 * sizeof (float)) == 0);
  double sp = fmax (mst_analysis_sample_peak (x, n, 2, 0),
      mst_analysis_sample_peak (x, n, 2, 1));
  MST_CHECK_CLOSE (mst_analysis_db (sp), -0.1, 1e-4);
  double tp = mst_analysis_true_peak_16x_all (x, n, 2);
  double quiet = 0, loud = 0, diff = 0;
  for (size_t i = 0; i < 2 * rate; i++)
    quiet += (double) x[2 * i] * x[2 * i];
  for (size_t i = 5 * rate; i < 7 * rate; i++)
    loud += (double) x[2 * i] * x[2 * i];
  for (size_t i = 0; i < n; i++)
    diff = fmax (diff, fabs (x[2 * i] - x[2 * i + 1]));
  printf ("  music: sample peak %+.2f dBFS, 16x true peak %+.2f dBTP, "
      "loud - quiet %.1f dB, %.2f s LUFS %.2f\n", mst_analysis_db (sp),
      mst_analysis_db (tp), 10 * log10 (loud / quiet), (double) n / rate,
      mst_analysis_ebur128_loudness (x, n, 2, rate));
  MST_CHECK (tp >= sp);
  MST_CHECK (10 * log10 (loud / quiet) > 12);
  MST_CHECK (diff > 0.01);
  mst_signal_music (y, n, 2, rate, 8);
  MST_CHECK (memcmp (x, y, n * 2 * sizeof (float)) != 0);
  /* Mono is the mid of stereo. */
  mst_signal_music (y, n, 1, rate, 7);
  MST_CHECK (mst_analysis_sample_peak (y, n, 1, 0) > 0.5);

  /* Clipped master: at +-1.0 for many samples, never beyond. */
  mst_signal_clipped_master (x, n, 2, rate, 7, 12.0);
  size_t clipped = 0;
  for (size_t i = 0; i < 2 * n; i++) {
    MST_CHECK (fabsf (x[i]) <= 1.0f);
    clipped += fabsf (x[i]) == 1.0f;
  }
  printf ("  clipped master: %zu of %zu samples at +-1.0, 16x true peak "
      "%+.2f dBTP\n", clipped, 2 * n,
      mst_analysis_db (mst_analysis_true_peak_16x_all (x, n, 2)));
  MST_CHECK (clipped > 1000);

  /* fs/4 at 45 degrees: exact +-a / sqrt 2 in pairs; true peak a. */
  mst_signal_sine_fs4_45 (x, n, 2, 1.0);
  MST_CHECK (x[0] == (float) M_SQRT1_2 && x[2] == (float) M_SQRT1_2
      && x[4] == (float) -M_SQRT1_2 && x[6] == (float) -M_SQRT1_2);
  MST_CHECK_CLOSE (mst_analysis_db (mst_analysis_true_peak_16x_ex (x, n, 2, 1,
              MST_ANALYSIS_EDGES_INTERIOR)), 0.0, 0.005);

  /* Square: +-a only, 2 f transitions per second. */
  mst_signal_square (x, rate, 1, rate, 1000.0, 1.0);
  int flips = 0;
  for (size_t i = 1; i < rate; i++) {
    MST_CHECK (fabsf (x[i]) == 1.0f);
    flips += x[i] != x[i - 1];
  }
  MST_CHECK (x[0] == 1.0f && flips == 1999);

  /* Impulses: isolated, alternating. */
  mst_signal_impulses (x, n, 2, 4800, 1.0);
  size_t nonzero = 0;
  for (size_t i = 0; i < 2 * n; i++)
    nonzero += x[i] != 0.0f;
  MST_CHECK (nonzero == 2 * (n / 4800));
  MST_CHECK (x[2 * 2400] == 1.0f && x[2 * 7200] == -1.0f);

  /* Steps: silent, then at full scale at once. */
  mst_signal_step_sine (x, n, 2, rate, rate, 100.0, 1.0, M_PI / 2);
  MST_CHECK (x[2 * (rate - 1)] == 0.0f && x[2 * rate] == 1.0f);
  mst_signal_step_dc (x, n, 2, rate, 1.0);
  MST_CHECK (x[2 * (rate - 1)] == 0.0f && x[2 * rate] == 1.0f
      && x[2 * n - 1] == 1.0f);

  /* Noise at +20 dBFS RMS, independent channels. */
  mst_signal_white_noise (x, n, 2, 20.0, 3);
  double s0 = 0, s01 = 0;
  for (size_t i = 0; i < n; i++) {
    s0 += (double) x[2 * i] * x[2 * i];
    s01 += (double) x[2 * i] * x[2 * i + 1];
  }
  MST_CHECK_CLOSE (10 * log10 (s0 / n), 20.0, 0.05);
  MST_CHECK (fabs (s01 / s0) < 0.01);

  /* Bass-heavy: -0.1 dBFS peak, most energy below 100 Hz (a one-pole
   * low-pass at 100 Hz keeps most of it). */
  mst_signal_bass_heavy (x, n, 2, rate, 7);
  MST_CHECK_CLOSE (mst_analysis_db (mst_analysis_sample_peak (x, n, 2, 0)),
      -0.1, 0.01);
  {
    double a = exp (-2 * M_PI * 100.0 / rate), lp = 0, e_all = 0, e_low = 0;
    for (size_t i = 0; i < n; i++) {
      lp = (1 - a) * x[2 * i] + a * lp;
      e_all += (double) x[2 * i] * x[2 * i];
      e_low += lp * lp;
    }
    printf ("  bass-heavy: %.0f %% of the energy through a 100 Hz one-pole "
        "low-pass\n", 100 * e_low / e_all);
    MST_CHECK (e_low / e_all > 0.6);
  }

  /* Gain. */
  mst_signal_impulses (x, 100, 1, 10, 1.0);
  mst_signal_apply_gain_db (x, 100, -6.0);
  MST_CHECK_CLOSE (x[5], pow (10, -6.0 / 20), 1e-7);

  free (x);
  free (y);
}

/* The WAV writer: a RIFF/WAVE float header with the samples after it. */
static void
test_write_wav (void)
{
  const char *path = "test-analysis-tmp.wav";
  float x[6 * 10];
  for (int i = 0; i < 60; i++)
    x[i] = (float) i / 60;
  for (int ch = 2; ch <= 6; ch += 4) {
    MST_CHECK (mst_signal_write_wav (path, x, 10, ch, 44100) == 0);
    FILE *f = fopen (path, "rb");
    MST_CHECK (f != NULL);
    if (!f)
      return;
    unsigned char b[512];
    size_t got = fread (b, 1, sizeof (b), f);
    fclose (f);
    size_t hdr = ch == 2 ? 58 : 80;
    MST_CHECK (got == hdr + 4 * 10 * (size_t) ch);
    MST_CHECK (memcmp (b, "RIFF", 4) == 0 && memcmp (b + 8, "WAVEfmt ", 8) == 0);
    MST_CHECK (b[20] == (ch == 2 ? 3 : 0xfe) && b[22] == ch);
    MST_CHECK (memcmp (b + hdr - 8, "data", 4) == 0);
    float last;
    memcpy (&last, b + got - 4, 4);
    MST_CHECK (last == x[10 * ch - 1]);
  }
  remove (path);
  MST_CHECK (mst_signal_write_wav ("/nonexistent-dir/x.wav", x, 10, 1,
          48000) == -1);
  MST_CHECK (mst_signal_write_wav (path, x, 10, 0, 48000) == -1);
}

int
main (void)
{
  MST_RUN (test_true_peak_16x_sines);
  MST_RUN (test_fs4_45_against_sample_peak);
  MST_RUN (test_steps_and_edges);
  MST_RUN (test_impulse_and_edges);
  MST_RUN (test_invalid_arguments);
  MST_RUN (test_ebur128);
  MST_RUN (test_thd_n);
  MST_RUN (test_true_peak_ideal);
  MST_RUN (test_signals);
  MST_RUN (test_write_wav);
  return mst_test_summary ();
}
