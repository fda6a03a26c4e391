/* The limiter's blocks on plain arrays: the true-peak detector against the
 * 16x reference, the lookahead gain computer against a brute-force window
 * minimum, the delay line's round trips and counts, the gain apply against
 * a plain loop. */
#include "mst-tpdetect.h"
#include "mst-truepeak.h"
#include "mst-lookahead-gain.h"
#include "mst-delayline.h"
#include "mst-gainapply.h"
#include "mst-cpu.h"
#include "mst-analysis.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

/* Runs x (n frames of @channels) through a detector in blocks of varying
 * sizes, its floor at @floor; peak[f * channels + c] is frame f's peak. */
static void
detect_all_floor_at (const float *x, size_t n, int channels, bool true_peak,
    float floor, double rate, float *peak)
{
  static const int sizes[] = { 1024, 1, 700, 33, 1024, 517 };
  MstTpDetect *det = mst_tpdetect_init (channels, 1024);
  MST_CHECK (det != NULL);
  MST_CHECK (mst_tpdetect_configure (det, channels, rate) == MST_OK);
  mst_tpdetect_set_floor (det, floor);
  const size_t delay = mst_tpdetect_get_delay ();
  size_t t = 0;
  for (int k = 0; t < n + delay; k++) {
    int len = sizes[k % 6];
    for (int c = 0; c < channels; c++) {
      float *in = mst_tpdetect_input (det, c);
      for (int i = 0; i < len; i++)
        in[i] = t + i < n ? x[(t + i) * channels + c] : 0.0f;
    }
    mst_tpdetect_process (det, len, true_peak);
    for (int c = 0; c < channels; c++) {
      const float *p = mst_tpdetect_peaks (det, c);
      for (int i = 0; i < len; i++) {
        size_t f = t + i - delay;
        if (t + i >= delay && f < n)
          peak[f * channels + c] = p[i];
      }
    }
    t += len;
  }
  mst_tpdetect_destroy (&det);
}

static void
detect_all_floor (const float *x, size_t n, int channels, bool true_peak,
    float floor, float *peak)
{
  detect_all_floor_at (x, n, channels, true_peak, floor, 48000.0, peak);
}

static void
detect_all (const float *x, size_t n, int channels, bool true_peak,
    float *peak)
{
  detect_all_floor (x, n, channels, true_peak, 0.0f, peak);
}

/* What the taps @g (@n, a point between frames @c and @c + 1) can add to
 * the straight line when every second difference of the frames is at most
 * 1, computed apart from mst_truepeak_second_difference_bound: with the
 * frames c and c + 1 held at 0, each second difference alone, set to 1,
 * fixes every frame (a discrete spline, built outwards from c and c + 1);
 * the most g x reaches is the sum of those g x's magnitudes. */
static double
spline_reach (const double *g, int n, int c)
{
  double reach = 0.0;
  for (int j = 1; j < n - 1; j++) {
    double x[64] = { 0 };
    /* x[k + 1] = 2 x[k] - x[k - 1] + d[k] outwards, d[j] = 1. */
    for (int k = c + 1; k < n - 1; k++)
      x[k + 1] = 2.0 * x[k] - x[k - 1] + (k == j ? 1.0 : 0.0);
    for (int k = c; k >= 1; k--)
      x[k - 1] = 2.0 * x[k] - x[k + 1] + (k == j ? 1.0 : 0.0);
    double gx = 0.0;
    for (int k = 0; k < n; k++)
      gx += g[k] * x[k];
    reach += fabs (gx);
  }
  return reach;
}

/* A Kaiser-windowed sinc of @n taps (beta 8) interpolating at fraction @t
 * between frames @c and @c + 1, normalised to @gain at DC. */
static void
windowed_sinc (double *g, int n, int c, double t, double gain)
{
  double sum = 0.0;
  for (int k = 0; k < n; k++) {
    double u = k - c - t, r = u / (n / 2.0);
    double w = mst_bessel_i0 (8.0 * sqrt (fmax (0.0, 1.0 - r * r)))
        / mst_bessel_i0 (8.0);
    g[k] = (u == 0.0 ? 1.0 : sin (M_PI * u) / (M_PI * u)) * w;
    sum += g[k];
  }
  for (int k = 0; k < n; k++)
    g[k] *= gain / sum;
}

/* mst_truepeak_second_difference_bound: its E is what a spline of unit
 * second differences reaches (so the bound is the least of its kind), and
 * the bound holds on random frames (noise, tones, random walks). */
static void
test_second_difference_bound (void)
{
  static const int sizes[] = { 6, 12, 13, 32, 48 };
  static const double fractions[] = { 0.1, 0.25, 0.5, 0.75 };
  uint32_t seed = 12345;
  for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
    for (size_t b = 0; b < sizeof fractions / sizeof fractions[0]; b++) {
      const int n = sizes[a], c = n / 2 - 1;
      double g[64], s, e;
      windowed_sinc (g, n, c, fractions[b], b == 3 ? 1.001 : 1.0);
      MST_CHECK (mst_truepeak_second_difference_bound (g, n, c, &s, &e));
      const double reach = spline_reach (g, n, c);
      MST_CHECK_MSG (fabs (e - reach) <= 1e-9 * reach, "%d taps at %.2f: "
          "E %.12f, a spline reaches %.12f", n, fractions[b], e, reach);
      MST_CHECK (fabs (s - (b == 3 ? 1.001 : 1.0)) < 1e-12);
      double worst = 0.0;
      for (int trial = 0; trial < 3000; trial++) {
        double x[64], walk = 0.0;
        for (int k = 0; k < n; k++) {
          seed = seed * 1664525u + 1013904223u;
          double r = (seed >> 8) / 16777216.0 - 0.5;
          walk += r;
          x[k] = trial % 3 == 0 ? r : trial % 3 == 1
              ? sin (0.02 * trial * k + r) : walk;
        }
        double X = 0.0, D2 = 0.0, gx = 0.0;
        for (int k = 0; k < n; k++) {
          X = fmax (X, fabs (x[k]));
          gx += g[k] * x[k];
          if (k >= 1 && k < n - 1)
            D2 = fmax (D2, fabs (x[k - 1] - 2.0 * x[k] + x[k + 1]));
        }
        worst = fmax (worst, fabs (gx) / (s * X + e * D2));
      }
      MST_CHECK_MSG (worst <= 1.0 + 1e-12, "%d taps at %.2f: |g x| reached "
          "%.6f of the bound", n, fractions[b], worst);
    }
  /* One tap far from the point: x[0] = 1 - 6 (x[5] - x[0]) + 5 (x[6] -
   * x[5]) + the second differences between, so s = 11. */
  double g[12] = { 0 }, s, e;
  g[0] = 1.0;
  MST_CHECK (mst_truepeak_second_difference_bound (g, 12, 5, &s, &e));
  MST_CHECK (fabs (s - 11.0) < 1e-12 && fabs (e - spline_reach (g, 12, 5))
      < 1e-12);
  MST_CHECK (!mst_truepeak_second_difference_bound (g, 12, 11, &s, &e));
  MST_CHECK (!mst_truepeak_second_difference_bound (g, 2, 0, &s, &e));
}

/* The screen's constants against the interpolators' own designs
 * (mst-truepeak), unfolded apart from the detector's folded taps: the
 * meters' (BS.1770, 12 taps) and FFmpeg's (32, Kaiser 9) three phases,
 * and the second stage (12 taps, Kaiser 7, halfway on the 2x sequence). */
static void
test_tpdetect_screen (void)
{
  MstTpDetect *det = mst_tpdetect_init (2, 1024);
  float fir[2], near[3];
  MST_CHECK (det != NULL);
  if (!mst_tpdetect_get_screen (det, fir, near)) {
    mst_tpdetect_destroy (&det);
    return;
  }
  const double up = 1.0 + 1.0 / 1024.0;
  float bs[3 * MST_TRUEPEAK_BS1770_TAPS], ff[3 * 32];
  mst_truepeak_design_bs1770 (bs, 4);
  mst_truepeak_design (ff, 4, 32, 9.0);
  double s_fir = 1.0, e_fir = 0.0, g[64], s, e;
  for (int p = 0; p < 3; p++) {
    for (int k = 0; k < MST_TRUEPEAK_BS1770_TAPS; k++)
      g[k] = bs[p * MST_TRUEPEAK_BS1770_TAPS + k];
    MST_CHECK (mst_truepeak_second_difference_bound (g,
            MST_TRUEPEAK_BS1770_TAPS, 5, &s, &e));
    s_fir = fmax (s_fir, s);
    e_fir = fmax (e_fir, spline_reach (g, MST_TRUEPEAK_BS1770_TAPS, 5));
    for (int k = 0; k < 32; k++)
      g[k] = ff[p * 32 + k];
    MST_CHECK (mst_truepeak_second_difference_bound (g, 32, 15, &s, &e));
    s_fir = fmax (s_fir, s);
    e_fir = fmax (e_fir, spline_reach (g, 32, 15));
  }
  /* The detector's from its folded floats: within their roundings, and
   * never under these. */
  MST_CHECK_MSG (fir[0] >= s_fir * up * (1.0 - 1e-6)
      && fir[0] <= s_fir * up * (1.0 + 1e-5), "fir[0] %.7f for %.7f",
      fir[0], s_fir * up);
  MST_CHECK_MSG (fir[1] >= e_fir * up * (1.0 - 1e-6)
      && fir[1] <= e_fir * up * (1.0 + 1e-5), "fir[1] %.7f for %.7f",
      fir[1], e_fir * up);
  double q[12], sum = 0.0;
  for (int k = 0; k < 12; k++) {
    double u = 0.5 - (k - 5), r = u / 6.0;
    q[k] = sin (M_PI * u) / (M_PI * u) * mst_bessel_i0 (7.0 * sqrt (fmax
            (0.0, 1.0 - r * r))) / mst_bessel_i0 (7.0);
    sum += q[k];
  }
  for (int k = 0; k < 12; k++)
    q[k] /= sum;
  const double e_z = spline_reach (q, 12, 5);
  MST_CHECK_MSG (near[2] >= e_z * (1.0 - 1e-6) && near[2] <= e_z * (1.0
          + 1e-5), "near[2] %.7f for %.7f", near[2], e_z);
  MST_CHECK (near[1] >= 1.0f && near[1] < 1.0f + 1e-5f);
  MST_CHECK (near[0] >= 1.2625 * up * (1.0 - 1e-7));
  printf ("screen: meters and FFmpeg %.4f X + %.4f D2, refined %.4f (%.4f Z "
      "+ %.4f D2Z)\n", fir[0], fir[1], near[0], near[1], near[2]);
  mst_tpdetect_destroy (&det);
}

/* The detector's largest peak against the 16x reconstruction: it may read
 * up to DETECT_MARGIN_DB (0.04 dB, mst-limiter.c) low, and up to the
 * BS.1770-4 meters' interpolator's passband ripple (about 0.1 dB,
 * mst-tpdetect.c) high. That is from frame 16 on: before it FFmpeg's
 * meter, which reads the stream's first frames mirrored before it, may read
 * more (0.5 dB more on the fs/4 sine), and there the detector must read at
 * least what that meter does. Sample-peak mode gives |x|, delayed. */
static void
test_tpdetect (void)
{
  const int channels = 2;
  const unsigned rate = 48000;
  const size_t n = 48000;
  float *x = malloc (sizeof (float) * n * channels);
  float *peak = malloc (sizeof (float) * n * channels);
  for (int s = 0; s < 5; s++) {
    switch (s) {
      case 0:
        mst_signal_sine_fs4_45 (x, n, channels, 0.5);
        break;
      case 1:
        mst_signal_sine (x, n, channels, rate, 997.0, 0.5, 0.3);
        break;
      case 2:
        mst_signal_sine (x, n, channels, rate, 19000.0, 0.5, 1.1);
        break;
      case 3:
        mst_signal_music (x, n, channels, rate, 3);
        break;
      default:
        mst_signal_clipped_master (x, n, channels, rate, 4, 6.0);
        break;
    }
    detect_all (x, n, channels, true, peak);
    for (int c = 0; c < channels; c++) {
      double ref = mst_analysis_true_peak_16x (x, n, channels, c);
      double got = 0.0, got_after = 0.0, got_start = 0.0;
      bool covers_samples = true;
      for (size_t f = 0; f < n; f++) {
        double p = peak[f * channels + c];
        got = fmax (got, p);
        if (f >= 16)
          got_after = fmax (got_after, p);
        if (f < 48)
          got_start = fmax (got_start, p);
        covers_samples &= p >= fabsf (x[f * channels + c]);
      }
      /* FFmpeg's reading of the first 48 frames of channel c alone (its
       * points up to frame 32, the samples). */
      float start[48];
      for (int f = 0; f < 48; f++)
        start[f] = x[f * channels + c];
      double ffmpeg_start = mst_analysis_ffmpeg_true_peak (start, 32 + 16, 1,
          rate);
      MST_CHECK_MSG (got_start >= ffmpeg_start * (1.0 - 1e-5),
          "signal %d channel %d: the first frames read %.5f, FFmpeg %.5f", s,
          c, got_start, ffmpeg_start);
      double low_db = mst_analysis_db (got) - mst_analysis_db (ref);
      double high_db = mst_analysis_db (got_after) - mst_analysis_db (ref);
      MST_CHECK_MSG (low_db >= -0.04 && high_db <= 0.1,
          "signal %d channel %d: %+.4f dB (from frame 16: %+.4f dB) against "
          "the 16x reference", s, c, low_db, high_db);
      MST_CHECK_MSG (covers_samples, "signal %d channel %d", s, c);
    }
    detect_all (x, n, channels, false, peak);
    bool exact = true;
    for (size_t k = 0; k < n * channels; k++)
      exact &= peak[k] == fabsf (x[k]);
    MST_CHECK_MSG (exact, "sample peaks of signal %d", s);
  }
  MST_CHECK (mst_tpdetect_init (0, 1024) == NULL);
  MST_CHECK (mst_tpdetect_init (MST_MAX_CHANNELS + 1, 1024) == NULL);
  free (x);
  free (peak);
}

/* mst_tpdetect_set_floor's promise, frame by frame against the exact
 * peaks: a peak above the floor read exactly, one at or under it read
 * between itself and the floor; on signals where FFmpeg's interpolator
 * reads above the others (white noise, a tone near Nyquist) and on music
 * under, around and far over the floors. On the vector paths the floor
 * must also leave some of FFmpeg's work out (some peak read otherwise). */
static void
test_tpdetect_floor (void)
{
  const int channels = 2;
  const unsigned rate = 48000;
  const size_t n = 96000;
  static const float floors[] = { 0.3f, 0.8799f, 2.0f };
  float *x = malloc (sizeof (float) * n * channels);
  float *exact = malloc (sizeof (float) * n * channels);
  float *got = malloc (sizeof (float) * n * channels);
  size_t bounded = 0;
  for (int s = 0; s < 14; s++) {
    switch (s) {
      case 0:
        mst_signal_music (x, n, channels, rate, 3);
        break;
      case 1:
        mst_signal_music (x, n, channels, rate, 5);
        mst_signal_apply_gain_db (x, n * channels, 12.0);
        break;
      case 2:
        mst_signal_white_noise (x, n, channels, -12.0, 7);
        break;
      case 3:
        mst_signal_sine (x, n, channels, rate, 23500.0, 0.8, 0.2);
        break;
      case 4:
        mst_signal_clipped_master (x, n, channels, rate, 4, 12.0);
        break;
      case 5:
        mst_signal_pink_noise (x, n, channels, -20.0, 9);
        break;
      /* Around the screen's bounds (design_screen): tones from the bass to
       * near the band's edge whose peaks sit just under and just over the
       * middle floor, a bass with clicks over it, isolated samples (every
       * place in a vector), a step, and music at the levels where most
       * vectors are left out by the screen alone. */
      case 6:
      case 7:
      case 8:
      case 9:{
        static const double freqs[] = { 55.0, 2500.0, 9000.0, 19000.0 };
        mst_signal_sine (x, n, channels, rate, freqs[s - 6], 1.0, 0.3);
        /* 0.86 to 0.90 over the signal: across the floor 0.8799. */
        for (size_t f = 0; f < n; f++)
          for (int c = 0; c < channels; c++)
            x[f * channels + c] *= (float) (0.86 + 0.04 * f / n);
        break;
      }
      case 10:
        mst_signal_sine (x, n, channels, rate, 45.0, 0.8, 0.0);
        mst_signal_add_clicks (x, n, channels, rate, 60, 11, NULL);
        break;
      case 11:
        mst_signal_impulses (x, n, channels, 37, 0.9);
        break;
      case 12:
        mst_signal_step_sine (x, n, channels, rate, n / 2, 3000.0, 0.85,
            M_PI / 2);
        break;
      default:
        mst_signal_music (x, n, channels, rate, 6);
        mst_signal_apply_gain_db (x, n * channels, 8.0);
        break;
    }
    detect_all (x, n, channels, true, exact);
    for (size_t k = 0; k < sizeof floors / sizeof floors[0]; k++) {
      const float fl = floors[k];
      detect_all_floor (x, n, channels, true, fl, got);
      size_t wrong = 0, first = 0;
      for (size_t j = 0; j < n * channels; j++) {
        bool ok = exact[j] > fl ? got[j] == exact[j]
            : got[j] >= exact[j] && got[j] <= fl;
        if (!ok && wrong++ == 0)
          first = j;
        bounded += got[j] != exact[j];
      }
      MST_CHECK_MSG (wrong == 0, "signal %d, floor %.4f: %zu peaks broke the "
          "floor's promise, first frame %zu channel %zu (exact %.7f, read "
          "%.7f)", s, fl, wrong, first / channels, first % channels,
          exact[first], got[first]);
    }
  }
  if (mst_cpu_has_avx2_fma ())
    MST_CHECK_MSG (bounded > 0, "the floor left no work out");
  /* Off FFmpeg's grid (44.1 kHz: its extrema refined), where only the
   * screen leaves vectors out (before it, none): the promise on music
   * under and over the floor, a clipped master and a tone crossing it. */
  for (int s = 0; s < 4; s++) {
    const float fl = 0.8799f;
    switch (s) {
      case 0:
        mst_signal_music (x, n, channels, 44100, 5);
        mst_signal_apply_gain_db (x, n * channels, 12.0);
        break;
      case 1:
        mst_signal_music (x, n, channels, 44100, 6);
        mst_signal_apply_gain_db (x, n * channels, 24.0);
        break;
      case 2:
        mst_signal_clipped_master (x, n, channels, 44100, 4, 12.0);
        break;
      default:
        mst_signal_sine (x, n, channels, 44100, 7000.0, 1.0, 0.3);
        for (size_t f = 0; f < n; f++)
          for (int c = 0; c < channels; c++)
            x[f * channels + c] *= (float) (0.70 + 0.30 * f / n);
        break;
    }
    detect_all_floor_at (x, n, channels, true, 0.0f, 44100.0, exact);
    detect_all_floor_at (x, n, channels, true, fl, 44100.0, got);
    size_t wrong = 0, first = 0, at_floor = 0;
    for (size_t j = 0; j < n * channels; j++) {
      bool ok = exact[j] > fl ? got[j] == exact[j]
          : got[j] >= exact[j] && got[j] <= fl;
      if (!ok && wrong++ == 0)
        first = j;
      at_floor += got[j] == fl;
    }
    MST_CHECK_MSG (wrong == 0, "44.1 kHz signal %d: %zu peaks broke the "
        "floor's promise, first frame %zu (exact %.7f, read %.7f)", s, wrong,
        first / channels, exact[first], got[first]);
    if (s == 1 && mst_cpu_has_avx512 ()) {
      printf ("44.1 kHz music +24 dB: %.1f %% of the peaks left out\n",
          100.0 * at_floor / (n * channels));
      MST_CHECK_MSG (at_floor > n * channels / 10, "44.1 kHz: the screen "
          "left out only %zu peaks", at_floor);
    }
  }
  /* Loud music into a -1 dB ceiling: the AVX-512 detector's quiet test
   * alone reads 16 % of its peaks as the floor (left out) on this one at
   * +27 dB, the screen (design_screen) 40 %. */
  if (mst_cpu_has_avx512 ()) {
    const float fl = 0.8799f;
    mst_signal_music (x, n, channels, rate, 5);
    mst_signal_apply_gain_db (x, n * channels, 27.0);
    detect_all_floor (x, n, channels, true, fl, got);
    size_t at_floor = 0;
    for (size_t j = 0; j < n * channels; j++)
      at_floor += got[j] == fl;
    const double share = 100.0 * at_floor / (n * channels);
    printf ("music +27 dB, floor %.4f: %.1f %% of the peaks left out\n", fl,
        share);
    MST_CHECK_MSG (share > 30.0, "only %.1f %% of the peaks read as the floor",
        share);
  }
  free (x);
  free (exact);
  free (got);
}

static uint32_t rng_state = 12345;

static double
uniform (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) * (1.0 / 16777216.0);
}

/* Runs r (n required gains of one chain) through a computer in blocks of
 * the given sizes, in turn; gain[j] is frame j's (required gain j's). */
static void
gains_in (MstLookaheadGain * lg, const double *r, size_t n, const int *sizes,
    int n_sizes, double *gain)
{
  const size_t lag = (size_t) mst_lookahead_gain_get_lag (lg);
  size_t t = 0;
  for (int k = 0; t < n + lag; k++) {
    int len = sizes[k % n_sizes];
    double *req = mst_lookahead_gain_required (lg, 0);
    for (int i = 0; i < len; i++)
      req[i] = t + i < n ? r[t + i] : 1.0;
    mst_lookahead_gain_process (lg, 1, len, 1.0);
    const double *g = mst_lookahead_gain_gains (lg, 0);
    for (int i = 0; i < len; i++) {
      size_t j = t + i - lag;
      if (t + i >= lag && j < n)
        gain[j] = g[i];
    }
    t += len;
  }
}

/* The same in blocks of varying sizes. */
static void
gains_of (MstLookaheadGain * lg, const double *r, size_t n, int L,
    double *gain)
{
  static const int sizes[] = { 1024, 3, 511, 1024, 77 };
  MST_CHECK (mst_lookahead_gain_get_lag (lg) == L - 1);
  gains_in (lg, r, n, sizes, 5, gain);
}

/* Window minimum and average against brute force: with the shortest
 * release at 8 kHz the one-pole takes 1 - 3.7e-6 of each step, so the
 * released gain is the window minimum within 1e-5; the gain of frame j is
 * the average of the minima of the windows starting at j - L + 1 .. j. In
 * any case the gain of a frame is at most its required gain (within the
 * rounding of the average, whose 1 / L is rounded up). */
static void
test_lookahead_gain_window (void)
{
  const size_t n = 6000;
  static const int windows[] = { 1, 2, 5, 48, 240, 1500 };
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  double *m = malloc (sizeof (double) * (n + 1500));
  MstLookaheadGain *lg = mst_lookahead_gain_init (2, 1500, 1024);
  MST_CHECK (lg != NULL);
  for (size_t i = 0; i < n; i++)
    r[i] = uniform () < 0.05 ? 0.2 + 0.8 * uniform () : 1.0;
  for (int w = 0; w < 6; w++) {
    const int L = windows[w];
    MST_CHECK (mst_lookahead_gain_configure (lg, 8000, L) == MST_OK);
    mst_lookahead_gain_set_release (lg, 0.001, false);
    gains_of (lg, r, n, L, gain);
    /* m[i + L - 1]: minimum of r[i .. i + L - 1], 1 outside r. */
    for (size_t i = 0; i < n + L - 1; i++) {
      m[i] = 1.0;
      for (int k = 0; k < L; k++) {
        size_t f = i + k - (L - 1);
        if (i + k >= (size_t) (L - 1) && f < n)
          m[i] = fmin (m[i], r[f]);
      }
    }
    double worst = 0.0;
    bool bounded = true;
    for (size_t j = 0; j < n; j++) {
      /* The windows holding frame j: starting at j - L + 1 .. j. */
      double sum = 0.0;
      for (int k = 0; k < L; k++)
        sum += m[j + k];
      worst = fmax (worst, fabs (gain[j] - fmin (sum / L, 1.0)));
      bounded &= gain[j] <= r[j] * (1.0 + 1e-12) && gain[j] > 0.0;
    }
    MST_CHECK_MSG (worst <= 1e-5, "window %d: off by %g", L, worst);
    MST_CHECK_MSG (bounded, "window %d", L);
  }
  /* Nothing required: exactly 1. */
  for (size_t i = 0; i < n; i++)
    r[i] = 1.0;
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 240) == MST_OK);
  mst_lookahead_gain_set_release (lg, 50.0, true);
  gains_of (lg, r, n, 240, gain);
  bool unity = true;
  for (size_t j = 0; j < n; j++)
    unity &= gain[j] == 1.0;
  MST_CHECK (unity);
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 1501) ==
      MST_ERR_INVALID_ARG);
  mst_lookahead_gain_destroy (&lg);
  MST_CHECK (lg == NULL);
  free (r);
  free (gain);
  free (m);
}

/* Grouped (the limiter's mode): the gain computer once per 16 frames,
 * each frame's gain interpolated between two group points. Whatever the
 * required gains (sparse dips, dense noise, a dip at every group's last
 * frame), the gain of every frame is at most its required gain, it moves
 * by at most 1 / L a frame, it is exactly 1 where nothing is required, and
 * any split of the frames into blocks gives the same gains bit for bit. */
static void
test_lookahead_gain_grouped (void)
{
  const size_t n = 48000;
  static const int windows[] = { 64, 100, 240, 1500 };
  static const int sizes_a[] = { 1024 }, sizes_b[] = { 1, 17, 1000, 5, 16,
    1024, 333
  };
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  double *other = malloc (sizeof (double) * n);
  MstLookaheadGain *lg = mst_lookahead_gain_init (1, 1500, 1024);
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 63) == MST_OK);
  MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) ==
      MST_ERR_INVALID_ARG);
  for (int kind = 0; kind < 3; kind++) {
    for (size_t i = 0; i < n; i++) {
      if (kind == 0)
        r[i] = uniform () < 0.01 ? 0.1 + 0.9 * uniform () : 1.0;
      else if (kind == 1)
        r[i] = 0.05 + 0.95 * uniform ();
      else
        r[i] = i % 16 == 15 ? 0.3 + 0.7 * uniform () : 1.0;
    }
    for (int w = 0; w < 4; w++) {
      const int L = windows[w];
      for (int auto_release = 0; auto_release < 2; auto_release++) {
        MST_CHECK (mst_lookahead_gain_configure (lg, 48000, L) == MST_OK);
        MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
        MST_CHECK (mst_lookahead_gain_get_lag (lg) == 16 * ((L + 15) / 16)
            + 15);
        mst_lookahead_gain_set_release (lg, 20.0, auto_release);
        gains_in (lg, r, n, sizes_a, 1, gain);
        mst_lookahead_gain_reset (lg);
        gains_in (lg, r, n, sizes_b, 7, other);
        bool bounded = true, same = true;
        double step = 0.0;
        for (size_t j = 0; j < n; j++) {
          bounded &= gain[j] <= r[j] * (1.0 + 1e-12) && gain[j] > 0.0;
          same &= gain[j] == other[j];
          if (j > 0)
            step = fmax (step, fabs (gain[j] - gain[j - 1]));
        }
        MST_CHECK_MSG (bounded, "signal %d, window %d", kind, L);
        MST_CHECK_MSG (same, "signal %d, window %d: the split changes the "
            "gains", kind, L);
        MST_CHECK_MSG (step <= 1.0 / L + 1e-12, "signal %d, window %d: "
            "step %g", kind, L, step);
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    r[i] = 1.0;
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 240) == MST_OK);
  MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
  mst_lookahead_gain_set_release (lg, 50.0, true);
  gains_in (lg, r, n, sizes_b, 7, gain);
  bool unity = true;
  for (size_t j = 0; j < n; j++)
    unity &= gain[j] == 1.0;
  MST_CHECK (unity);
  mst_lookahead_gain_destroy (&lg);
  free (r);
  free (gain);
  free (other);
}

/* Release: after one dip the gain comes back as a one-pole, 63 % of the
 * way at one time constant (STYLE.md), and never above 1. */
static void
test_lookahead_gain_release (void)
{
  const double rate = 48000, release_ms = 50.0;
  const int L = 48;
  const size_t n = 24000, dip = 1000;
  const size_t tau = (size_t) (release_ms * 1e-3 * rate);
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  for (size_t i = 0; i < n; i++)
    r[i] = i == dip ? 0.5 : 1.0;
  MstLookaheadGain *lg = mst_lookahead_gain_init (1, L, 1024);
  MST_CHECK (mst_lookahead_gain_configure (lg, rate, L) == MST_OK);
  mst_lookahead_gain_set_release (lg, release_ms, false);
  gains_of (lg, r, n, L, gain);
  MST_CHECK (gain[dip] <= 0.5 * (1.0 + 1e-12));
  /* The released gain leaves 0.5 after the window; the average lags it by
   * at most the window. */
  double back = (gain[dip + L + tau] - 0.5) / 0.5;
  double back_lagged = (gain[dip + tau] - 0.5) / 0.5;
  MST_CHECK_MSG (back >= 1.0 - exp (-1.0) - 0.01 && back_lagged <= 1.0
      - exp (-1.0) + 0.01, "%.4f .. %.4f of the way back at one time "
      "constant", back_lagged, back);
  bool rising = true;
  for (size_t j = dip + L; j + 1 < n; j++)
    rising &= gain[j + 1] >= gain[j] && gain[j + 1] <= 1.0;
  MST_CHECK (rising);
  mst_lookahead_gain_destroy (&lg);
  free (r);
  free (gain);
}

/* Linking: fully linked chains take the deeper reduction; unlinked ones
 * keep their own. */
static void
test_lookahead_gain_link (void)
{
  MstLookaheadGain *lg = mst_lookahead_gain_init (2, 16, 1024);
  for (int linked = 0; linked < 2; linked++) {
    MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 16) == MST_OK);
    mst_lookahead_gain_set_release (lg, 50.0, false);
    double *r0 = mst_lookahead_gain_required (lg, 0);
    double *r1 = mst_lookahead_gain_required (lg, 1);
    for (int i = 0; i < 256; i++) {
      r0[i] = i == 100 ? 0.25 : 1.0;
      r1[i] = 1.0;
    }
    mst_lookahead_gain_process (lg, 2, 256, linked ? 1.0 : 0.0);
    const double *g0 = mst_lookahead_gain_gains (lg, 0);
    const double *g1 = mst_lookahead_gain_gains (lg, 1);
    /* Frame 100's gain is output 100 + 15. */
    MST_CHECK (g0[115] <= 0.25 * (1.0 + 1e-12));
    if (linked)
      MST_CHECK (g1[115] == g0[115]);
    else
      MST_CHECK (g1[115] == 1.0);
  }
  mst_lookahead_gain_destroy (&lg);
}

/* Push and pull in chunks across the wrap: what comes out is what went
 * in, in order; the counts follow; the drain empties; a format change
 * keeps the frames held. */
static void
test_delayline (void)
{
  const int channels = 3;
  MstDelayLine *dl = mst_delayline_init (channels, 1000);
  MST_CHECK (dl != NULL);
  MST_CHECK (mst_delayline_get_capacity (dl) == 1024);
  MST_CHECK (mst_delayline_configure (dl, channels) == MST_OK);
  for (int fmt = 0; fmt < 2; fmt++) {
    mst_delayline_set_format (dl, (MstFormat) fmt);
    mst_delayline_reset (dl);
    const size_t bytes = fmt ? sizeof (double) : sizeof (float);
    const size_t n = 5000;
    char *in = malloc (n * channels * bytes);
    char *out = malloc (n * channels * bytes);
    for (size_t k = 0; k < n * channels; k++) {
      if (fmt)
        ((double *) in)[k] = k + 0.25;
      else
        ((float *) in)[k] = (float) k + 0.5f;
    }
    size_t pushed = 0, pulled = 0;
    bool counts = true;
    for (int k = 0; pushed < n; k++) {
      size_t len = (size_t) (k * 37 % 300) + 1;
      if (len > n - pushed)
        len = n - pushed;
      mst_delayline_push (dl, in + pushed * channels * bytes, len);
      pushed += len;
      counts &= mst_delayline_get_pending (dl) == pushed - pulled;
      /* Keep up to 700 frames held, across the wrap. */
      if (pushed - pulled > 700) {
        size_t take = pushed - pulled - 700 + (size_t) (k % 5);
        mst_delayline_pull (dl, out + pulled * channels * bytes, take);
        pulled += take;
      }
      counts &= mst_delayline_get_written (dl) == (int64_t) pushed
          && mst_delayline_get_read (dl) == (int64_t) pulled;
    }
    MST_CHECK (counts);
    size_t held = pushed - pulled;
    MST_CHECK (held >= 696);
    /* The held frames survive a round trip through the other format. */
    mst_delayline_set_format (dl, (MstFormat) !fmt);
    mst_delayline_set_format (dl, (MstFormat) fmt);
    MST_CHECK (mst_delayline_drain (dl, out + pulled * channels * bytes)
        == held);
    MST_CHECK (mst_delayline_get_pending (dl) == 0);
    MST_CHECK_MSG (memcmp (in, out, n * channels * bytes) == 0, "format %d",
        fmt);
    /* Silence in, silence out. */
    mst_delayline_push (dl, NULL, 10);
    mst_delayline_pull (dl, out, 10);
    bool silent = true;
    for (size_t k = 0; k < 10 * channels * bytes; k++)
      silent &= out[k] == 0;
    MST_CHECK (silent);
    free (in);
    free (out);
  }
  /* In-place access: runs up to the wrap, ring indices in order. */
  size_t index, run;
  mst_delayline_frame (dl, 1020, &index, &run);
  MST_CHECK (index == 1020 && run == 4);
  mst_delayline_frame (dl, 1024 + 7, &index, &run);
  MST_CHECK (index == 7 && run == 1017);
  MST_CHECK (mst_delayline_configure (dl, channels + 1) ==
      MST_ERR_INVALID_ARG);
  mst_delayline_destroy (&dl);
  MST_CHECK (dl == NULL);

  /* A reset clears only what the layouts since the last one reached: after
   * every slot was written in one layout, then the format narrowed and
   * widened (whose conversions stop where the written bytes end), or the
   * channel count changed, every slot of the widest layout reads zero. */
  dl = mst_delayline_init (channels, 1000);
  for (int step = 0; step < 3; step++) {
    MST_CHECK (mst_delayline_configure (dl, step == 2 ? channels : 2)
        == MST_OK);
    mst_delayline_set_format (dl, MST_FORMAT_F64);
    const int nch = step == 2 ? channels : 2;
    double *frame = mst_delayline_frame (dl, 0, NULL, NULL);
    for (size_t k = 0; k < 1024 * (size_t) nch; k++)
      frame[k] = 1.0 + (double) k;
    mst_delayline_mark_written (dl, 1024);
    if (step == 1) {
      mst_delayline_set_format (dl, MST_FORMAT_F32);
      mst_delayline_set_format (dl, MST_FORMAT_F64);
    }
    mst_delayline_reset (dl);
    for (int width = 0; width < 2; width++) {
      mst_delayline_set_format (dl, (MstFormat) (step == 2 ? !width
              : width));
      mst_delayline_configure (dl, channels);
      mst_delayline_set_format (dl, MST_FORMAT_F64);
      const double *all = mst_delayline_frame (dl, 0, NULL, NULL);
      bool zero = true;
      for (size_t k = 0; k < 1024 * (size_t) channels; k++)
        zero &= all[k] == 0.0;
      MST_CHECK_MSG (zero, "step %d", step);
    }
  }

  /* A ring in use smaller than the allocation: the power of 2 that holds
   * the frames asked for, frames in order across its wrap; nothing beyond
   * the allocation; and back at full size, every slot written in the whole
   * ring before reads zero. */
  MST_CHECK (mst_delayline_configure_held (dl, channels, 1025)
      == MST_ERR_INVALID_ARG);
  mst_delayline_set_format (dl, MST_FORMAT_F64);
  double *whole = mst_delayline_frame (dl, 0, NULL, NULL);
  for (size_t k = 0; k < 1024 * (size_t) channels; k++)
    whole[k] = 1.0 + (double) k;
  MST_CHECK (mst_delayline_configure_held (dl, channels, 200) == MST_OK);
  MST_CHECK (mst_delayline_get_capacity (dl) == 256);
  bool in_order = true;
  for (int k = 0; k < 40; k++) {
    double in[17 * 3], out[17 * 3];
    for (int j = 0; j < 17 * channels; j++)
      in[j] = k * 100.0 + j;
    mst_delayline_push (dl, in, 17);
    if (k >= 10) {
      /* 170 frames held: frames k - 10 come out. */
      mst_delayline_pull (dl, out, 17);
      for (int j = 0; j < 17 * channels; j++)
        in_order &= out[j] == (k - 10) * 100.0 + j;
    }
  }
  MST_CHECK (in_order);
  mst_delayline_frame (dl, 256 + 9, &index, NULL);
  MST_CHECK (index == 9);
  MST_CHECK (mst_delayline_configure (dl, channels) == MST_OK);
  MST_CHECK (mst_delayline_get_capacity (dl) == 1024);
  whole = mst_delayline_frame (dl, 0, NULL, NULL);
  bool cleared = true;
  for (size_t k = 0; k < 1024 * (size_t) channels; k++)
    cleared &= whole[k] == 0.0;
  MST_CHECK (cleared);
  mst_delayline_destroy (&dl);
}

/* The gain apply against a plain loop: every layout, F32 and F64, in
 * place. */
static void
test_gainapply (void)
{
  const int n = 301;
  double g0[301], g1[301], g2[301], ceil_frames[301];
  for (int i = 0; i < n; i++) {
    g0[i] = uniform ();
    g1[i] = uniform ();
    g2[i] = uniform ();
    ceil_frames[i] = 0.3 + 0.5 * uniform ();
  }
  const double *gains[3] = { g0, g1, g2 };
  for (int channels = 1; channels <= 3; channels++)
    for (int shared = 0; shared < 2; shared++)
      for (int one = 0; one < 2; one++) {
        double ceilings[301];
        for (int i = 0; i < n; i++)
          ceilings[i] = one ? ceil_frames[0] : ceil_frames[i];
        float xf[301 * 3], yf[301 * 3];
        double xd[301 * 3], yd[301 * 3];
        bool same = true;
        for (int k = 0; k < n * channels; k++) {
          xf[k] = (float) (2.0 * uniform () - 1.0);
          xd[k] = 2.0 * uniform () - 1.0;
        }
        memcpy (yf, xf, sizeof xf);
        memcpy (yd, xd, sizeof xd);
        mst_gain_apply (gains, shared, yf, yf, n, channels, ceilings, one,
            MST_FORMAT_F32);
        mst_gain_apply (gains, shared, yd, yd, n, channels, ceilings, one,
            MST_FORMAT_F64);
        for (int i = 0; i < n; i++)
          for (int c = 0; c < channels; c++) {
            int k = i * channels + c;
            double g = gains[shared ? 0 : c][i], cj = ceilings[i];
            double vd = fmin (fmax (g * xd[k], -cj), cj);
            float cf = (float) cj;
            if ((double) cf > cj)
              cf = nextafterf (cf, 0.0f);
            float vf = fminf (fmaxf ((float) (g * xf[k]), -cf), cf);
            same &= yd[k] == vd && yf[k] == vf && fabs (yf[k]) <= cj;
          }
        MST_CHECK_MSG (same, "%d channels, shared %d, one ceiling %d",
            channels, shared, one);
      }
  double m[] = { 0.5, 0.25, 0.75, 0.125, 1.0, 0.9, 0.3, 0.2, 0.6 };
  MST_CHECK (mst_gain_min (m, 9, 1.0) == 0.125);
  MST_CHECK (mst_gain_min (m, 2, 0.1) == 0.1);
}

/* Linking switched on and off while a stereo stream runs (the limiter's
 * link property at 1 and under it), per frame and grouped: every frame's
 * gain, as the limiter applies it (chain 0's for both channels while
 * linked, each channel's own otherwise), stays at most that channel's
 * required gain min (1, c / peak), across every switch. A chain that sat
 * idle while linked used to come back with stale history, and grouped
 * with its gain points out of step (a negative memmove under the
 * sanitizers). */
static void
test_link_switches (void)
{
  const int n = 60000, block = 1024;
  const double cu = 0.5;
  float *pk[2] = { malloc (sizeof (float) * n), malloc (sizeof (float) * n) };
  for (int i = 0; i < n; i++) {
    /* The two channels limited at different times and depths. */
    pk[0][i] = (float) ((i / 700) % 3 == 0 ? 0.2 + 1.8 * uniform () : 0.3);
    pk[1][i] = (float) ((i / 1100) % 2 == 0 ? 0.2 + 3.0 * uniform () : 0.4);
  }
  static const int windows[] = { 30, 240 };
  for (int w = 0; w < 2; w++) {
    MstLookaheadGain *lg = mst_lookahead_gain_init (2, 240, block);
    MST_CHECK (mst_lookahead_gain_configure (lg, 48000, windows[w]) ==
        MST_OK);
    if (windows[w] >= 64)
      MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
    mst_lookahead_gain_set_release (lg, 20.0, true);
    const int lag = mst_lookahead_gain_get_lag (lg);
    int worst_frame = -1;
    double worst = 0.0;
    for (int done = 0, b = 0; done < n; b++) {
      /* Linked for three blocks, unlinked for two, and blocks of other
       * lengths on the way. */
      const bool linked = b % 5 < 3;
      const int len = b % 7 == 6 ? 333 : block;
      const int m = len < n - done ? len : n - done;
      const float *in[2] = { pk[0] + done, pk[1] + done };
      mst_lookahead_gain_process_peaks (lg, in, 2, linked, NULL, cu, m,
          1.0);
      for (int c = 0; c < 2; c++) {
        const double *g = mst_lookahead_gain_gains (lg, linked ? 0 : c);
        for (int i = 0; i < m; i++) {
          const int p = done + i - lag;
          if (p < 0)
            continue;
          const double r = fmin (1.0, cu / fmax (pk[c][p], cu));
          if (g[i] > r * (1.0 + 1e-12) && g[i] / r > worst) {
            worst = g[i] / r;
            worst_frame = p;
          }
        }
      }
      done += m;
    }
    MST_CHECK_MSG (worst_frame < 0, "window %d: frame %d's gain %.4f times "
        "its required gain", windows[w], worst_frame, worst);
    mst_lookahead_gain_destroy (&lg);
  }
  free (pk[0]);
  free (pk[1]);
}

int
main (void)
{
  MST_RUN (test_tpdetect);
  MST_RUN (test_tpdetect_floor);
  MST_RUN (test_second_difference_bound);
  MST_RUN (test_tpdetect_screen);
  MST_RUN (test_lookahead_gain_window);
  MST_RUN (test_lookahead_gain_grouped);
  MST_RUN (test_link_switches);
  MST_RUN (test_lookahead_gain_release);
  MST_RUN (test_lookahead_gain_link);
  MST_RUN (test_delayline);
  MST_RUN (test_gainapply);
  return mst_test_summary ();
}
