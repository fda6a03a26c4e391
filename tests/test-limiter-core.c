/* Tests of the limiter core on plain arrays: the true-peak guarantee on
 * torture signals (measured two ways, independently: libebur128's
 * BS.1770-4 true peak, and a 16x band-limited reconstruction), sample
 * counts and alignment, bit-exact passthrough where nothing is limited,
 * loudness cost of true-peak limiting, smoothness of the gain, channel
 * linking, non-finite input. */
#include "mst-limiter.h"
#include "mst-fastconv.h"
#include "mst-cpu.h"
#include "mst-analysis.h"
#include "mst-test.h"

#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned rng_state = 12345;
static double
noise (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) / 8388608.0 - 1.0;
}

/* Music-like test programme: kick, snare, bass, chords; a quieter first
 * quarter; peaks near 0 dBFS. */
static void
make_music (float *x, size_t n, int channels, double rate)
{
  double beat = 0.5 * rate;     /* 120 bpm */
  double peak = 0;
  double *mono = calloc (n, sizeof (double)), *side = calloc (n, sizeof (double));
  static const double bass[4] = { 55.0, 43.65, 65.41, 49.0 };
  for (size_t i = 0; i < n; i++) {
    double t = i / rate;
    double pos = fmod (i, beat) / rate;
    int bar = (int) (i / (4 * beat)) % 4;
    int beat_no = (int) (i / beat) % 4;
    double kick = sin (2 * M_PI * (50 + 80 * exp (-pos * 30)) * pos)
        * exp (-pos * 8);
    double snare = (beat_no % 2 == 1) ? noise () * exp (-pos * 18) * 0.7 : 0;
    double b = 0.5 * sin (2 * M_PI * bass[bar] * t);
    double chord = 0;
    for (int k = 1; k <= 3; k++)
      for (int h = 1; h <= 6; h++)
        chord += sin (2 * M_PI * bass[bar] * 4 * (1 + 0.25 * k) * h * t) / h
            * 0.06;
    double level = i < n / 4 ? 0.3 : 1.0;
    mono[i] = level * (kick + snare * 0.8 + b + chord);
    side[i] = level * 0.3 * chord * sin (2 * M_PI * 0.3 * t);
    peak = fmax (peak, fabs (mono[i]) + fabs (side[i]));
  }
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      x[i * channels + c] = (float) ((mono[i] + (c % 2 ? -side[i] : side[i]))
          * 0.98 / peak);
  free (mono);
  free (side);
}

typedef enum {
  SIG_MUSIC, SIG_SQUARE, SIG_CLIPPED, SIG_FS4_45, SIG_IMPULSES, SIG_STEP,
  SIG_SINE_STEP, SIG_NOISE, SIG_HF_SINE, SIG_HF_NOISE, SIG_NYQUIST,
  SIG_TONE_046, SIG_TONE_047, SIG_BURSTS_0475, SIG_N
} Signal;

static const char *signal_names[] = {
  "music", "square 1 kHz", "clipped master", "fs/4 sine 45 deg", "impulses",
  "DC step after silence", "100 Hz step after silence", "white noise",
  "18 kHz sine", "noise near Nyquist", "Nyquist tone", "tone 0.46 fs",
  "tone 0.47 fs", "bursts 0.475 fs"
};

/* Fills x; returns the input gain in dB the torture case uses. */
static double
make_signal (Signal s, float *x, size_t n, int channels, double rate)
{
  switch (s) {
    case SIG_MUSIC:
      make_music (x, n, channels, rate);
      return 20.0;
    case SIG_SQUARE:
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = fmod (i * 1000.0 / rate, 1.0) < 0.5 ? 1 : -1;
      return 12.0;
    case SIG_CLIPPED:
      make_music (x, n, channels, rate);
      for (size_t i = 0; i < n * channels; i++)
        x[i] = fmaxf (-1.0f, fminf (1.0f, x[i] * 4.0f));
      return 6.0;
    case SIG_FS4_45:
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = (float) sin (M_PI / 2 * i + M_PI / 4);
      return 12.0;
    case SIG_IMPULSES:
      memset (x, 0, sizeof (float) * n * channels);
      for (size_t i = 1000; i < n; i += 4801)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = (i / 4801) % 2 ? 1.0f : -1.0f;
      return 12.0;
    case SIG_STEP:
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = i < n / 2 ? 0.0f : 1.0f;
      return 12.0;
    case SIG_SINE_STEP:
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = i < n / 2 ? 0.0f
              : (float) sin (2 * M_PI * 100 * (i - n / 2) / rate + 1.0);
      return 12.0;
    case SIG_NOISE:
      /* White noise at +20 dBFS RMS. */
      for (size_t i = 0; i < n * channels; i++)
        x[i] = (float) (noise () * sqrt (3.0));
      return 20.0;
    case SIG_HF_NOISE:
      /* First difference of white noise: most energy near fs/2. */
      for (int c = 0; c < channels; c++) {
        double prev = 0;
        for (size_t i = 0; i < n; i++) {
          double v = noise ();
          x[i * channels + c] = (float) (0.5 * (v - prev));
          prev = v;
        }
      }
      return 12.0;
    case SIG_NYQUIST:
      /* fs/2 at full scale, starting and stopping abruptly. */
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = i % 2 ? -1.0f : 1.0f;
      return 12.0;
    case SIG_TONE_046:
    case SIG_TONE_047:
    case SIG_BURSTS_0475:{
      /* In the band limit's transition (-0.01, -6 and -18 dB), so at full
       * level after it: what the detector's half-sample interpolator must
       * read there (scripts/half-interpolator-lengths.py). The bursts are
       * 5 ms Hann windows every 50 ms. */
      double f = s == SIG_TONE_046 ? 0.46 : s == SIG_TONE_047 ? 0.47 : 0.475;
      size_t period = (size_t) (0.05 * rate), len = (size_t) (0.005 * rate);
      for (size_t i = 0; i < n; i++) {
        double env = s != SIG_BURSTS_0475 ? 1.0 : i % period < len
            ? 0.5 - 0.5 * cos (2 * M_PI * (double) (i % period) / len) : 0.0;
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = (float) (0.9 * env * sin (2 * M_PI * f * i
                  + 0.3 + c));
      }
      return 20.0;
    }
    case SIG_HF_SINE:
    default:
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
          x[i * channels + c] = (float) sin (2 * M_PI * 18000 * i / rate + c);
      return 12.0;
  }
}

static MstLimiterSettings
settings (double ceiling_db, double input_gain_db, bool true_peak)
{
  MstLimiterSettings s;
  mst_limiter_settings_default (&s);
  s.ceiling_db = ceiling_db;
  s.input_gain_db = input_gain_db;
  s.release_ms = 50.0;
  s.auto_release = true;
  s.true_peak = true_peak;
  s.link = 1.0;
  s.bypass = false;
  return s;
}

/* The band limit off: these cases compare bits or read the gain as the
 * output over the input, which the band limit's filter (0.01 dB of ripple,
 * a delay of 0.17 samples) would blur; test_band_limit checks the filter
 * and the guarantee, test_true_peak_guarantee runs with it. */
static MstLimiterSettings
settings_unfiltered (double ceiling_db, double input_gain_db, bool true_peak)
{
  MstLimiterSettings s = settings (ceiling_db, input_gain_db, true_peak);
  s.band_limit = false;
  return s;
}

/* Runs x (n frames) through a fresh limiter in pieces of 1000 frames plus
 * the drain; returns the output frame count. */
static size_t
run (MstLimiter * lim, const float *x, size_t n, int channels, float *y)
{
  size_t w = 0, k;
  for (size_t o = 0; o < n; o += 1000) {
    size_t m = n - o < 1000 ? n - o : 1000;
    MST_CHECK (mst_limiter_process_f32 (lim, x + o * channels, m,
            y + w * channels, &k) == MST_OK);
    w += k;
  }
  MST_CHECK (mst_limiter_drain_f32 (lim, y + w * channels, &k) == MST_OK);
  return w + k;
}

static double worst_ebur128_db = -INFINITY, worst_16x_db = -INFINITY;
static double worst_ideal_db = -INFINITY;
static double worst_ffmpeg_db = -INFINITY;

/* The guarantee: true peak never above the ceiling, on every torture
 * signal, at 44.1 and 48 kHz, stereo. */
static void
test_true_peak_guarantee (void)
{
  static const double rates[] = { 44100, 48000 };
  static const double ceilings[] = { -1.0, -0.1 };
  const int channels = 2;
  for (int r = 0; r < 2; r++) {
    size_t n = (size_t) (rates[r] * 8);
    float *x = malloc (sizeof (float) * n * channels);
    float *y = malloc (sizeof (float) * n * channels);
    MstLimiter *lim = mst_limiter_init (channels);
    for (int s = 0; s < SIG_N; s++)
      for (int k = 0; k < 2; k++) {
        double gain = make_signal (s, x, n, channels, rates[r]);
        MstLimiterSettings set = settings (ceilings[k], gain, true);
        MST_CHECK (mst_limiter_configure (lim, rates[r], channels, 5.0)
            == MST_OK);
        MST_CHECK (mst_limiter_set (lim, &set) == MST_OK);
        size_t w = run (lim, x, n, channels, y);
        MST_CHECK_MSG (w == n, "%s: %zu frames out of %zu", signal_names[s],
            w, n);
        double ceiling = pow (10, ceilings[k] / 20);
        double sp = 0;
        for (size_t i = 0; i < w * channels; i++)
          sp = fmax (sp, fabs (y[i]));
        double ebu = mst_analysis_db (mst_analysis_ebur128_true_peak (y, w,
                channels, (unsigned) rates[r])) - ceilings[k];
        double fine = mst_analysis_db (mst_analysis_true_peak_16x_all (y, w,
                channels)) - ceilings[k];
        double ff = mst_analysis_db (mst_analysis_ffmpeg_true_peak (y, w,
                channels, (unsigned) rates[r])) - ceilings[k];
        /* By an ideal (brick-wall) reconstruction, which the band limit
         * makes hold: the signals issue 12 names (music, a clipped
         * master, fs/4, white noise, noise and a tone at Nyquist) and
         * those in the band limit's transition, one
         * ceiling, on the default path only (0.5 s a case; the other paths' detectors differ from it in rounding,
         * which the 16x reconstruction checks, and the band limit is one
         * code for all). */
        bool named = s == SIG_MUSIC || s == SIG_CLIPPED || s == SIG_FS4_45
            || s == SIG_NOISE || s == SIG_HF_NOISE || s == SIG_NYQUIST
            || s >= SIG_TONE_046;
        double ideal = k == 0 && named && !getenv ("MST_DISABLE_SIMD")
            && !getenv ("MST_DISABLE_AVX512") ? mst_analysis_db
            (mst_analysis_true_peak_ideal_all (y, w, channels)) - ceilings[k]
            : -INFINITY;
        worst_ideal_db = fmax (worst_ideal_db, ideal);
        worst_ebur128_db = fmax (worst_ebur128_db, ebu);
        worst_16x_db = fmax (worst_16x_db, fine);
        worst_ffmpeg_db = fmax (worst_ffmpeg_db, ff);
        printf ("# %5.0f Hz %-26s ceiling %4.1f: libebur128 %+.4f dB, "
            "FFmpeg %+.4f dB, 16x %+.4f dB, ideal %+.4f dB\n", rates[r],
            signal_names[s], ceilings[k], ebu, ff, fine, ideal);
        MST_CHECK_MSG (ideal <= 0.02, "%s at %.0f Hz: ideal reconstruction "
            "%+.4f dB over the ceiling", signal_names[s], rates[r], ideal);
        MST_CHECK_MSG (ff <= 0.0, "%s at %.0f Hz: FFmpeg's ebur128 true peak "
            "%+.4f dB over the ceiling", signal_names[s], rates[r], ff);
        MST_CHECK_MSG (sp <= ceiling, "%s: sample peak above the ceiling",
            signal_names[s]);
        MST_CHECK_MSG (ebu <= 0.0, "%s at %.0f Hz: libebur128 true peak "
            "%+.4f dB over the ceiling", signal_names[s], rates[r], ebu);
        MST_CHECK_MSG (fine <= 0.02, "%s at %.0f Hz: 16x true peak %+.4f dB "
            "over the ceiling", signal_names[s], rates[r], fine);
      }
    mst_limiter_destroy (&lim);
    free (x);
    free (y);
  }
  printf ("# worst overshoot: libebur128 %+.4f dB, FFmpeg %+.4f dB, "
      "16x %+.4f dB, ideal %+.4f dB\n", worst_ebur128_db, worst_ffmpeg_db,
      worst_16x_db, worst_ideal_db);
}

/* No needless reduction: every torture signal, at its own level, under a
 * ceiling 1 dB above its true peak comes out bit for bit (the detector
 * never reads a peak that is not there, whatever the rounding of nearly
 * equal points). */
static void
test_no_needless_reduction (void)
{
  const int channels = 2;
  const double rate = 48000;
  size_t n = (size_t) (rate * 4);
  float *x = malloc (sizeof (float) * n * channels);
  float *y = malloc (sizeof (float) * n * channels);
  MstLimiter *lim = mst_limiter_init (channels);
  for (int s = 0; s < SIG_N; s++) {
    make_signal (s, x, n, channels, rate);
    double tp = mst_analysis_true_peak_16x_all (x, n, channels);
    if (!(tp > 0))
      continue;
    MstLimiterSettings set = settings_unfiltered (mst_analysis_db (tp) + 1.0, 0.0, true);
    mst_limiter_configure (lim, rate, channels, 5.0);
    mst_limiter_set (lim, &set);
    size_t w = run (lim, x, n, channels, y);
    MST_CHECK_MSG (w == n && memcmp (x, y, sizeof (float) * n * channels)
        == 0, "%s changed under a ceiling 1 dB above its true peak",
        signal_names[s]);
    /* With the band limit: filtered, but never turned down. */
    set.band_limit = true;
    mst_limiter_configure (lim, rate, channels, 5.0);
    mst_limiter_set (lim, &set);
    run (lim, x, n, channels, y);
    double now_db, max_db;
    mst_limiter_get_gain_reduction (lim, &now_db, &max_db, true);
    MST_CHECK_MSG (max_db == 0.0, "%s: %.4f dB of reduction with the band "
        "limit under a ceiling 1 dB above its true peak", signal_names[s],
        max_db);
  }
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* With true-peak off it is a sample-peak limiter: samples never exceed. */
static void
test_sample_peak_mode (void)
{
  const size_t n = 48000 * 4;
  float *x = malloc (sizeof (float) * n * 2), *y = malloc (sizeof (float) * n * 2);
  MstLimiter *lim = mst_limiter_init (2);
  for (int s = 0; s < SIG_N; s++) {
    double gain = make_signal (s, x, n, 2, 48000);
    MstLimiterSettings set = settings (-1.0, gain, false);
    mst_limiter_configure (lim, 48000, 2, 5.0);
    mst_limiter_set (lim, &set);
    size_t w = run (lim, x, n, 2, y);
    MST_CHECK (w == n);
    double sp = 0;
    for (size_t i = 0; i < w * 2; i++)
      sp = fmax (sp, fabs (y[i]));
    MST_CHECK_MSG (sp <= pow (10, -1.0 / 20), "%s: %.4f", signal_names[s], sp);
  }
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* Output frame i is input frame i: same count, an impulse stays in place,
 * and where nothing is limited the output is the input, bit for bit. */
static void
test_alignment_and_passthrough (void)
{
  const size_t n = 48000 * 2 + 123;
  float *x = malloc (sizeof (float) * n * 2), *y = malloc (sizeof (float) * n * 2);
  double *xd = malloc (sizeof (double) * n * 2), *yd = malloc (sizeof (double) * n * 2);
  MstLimiter *lim = mst_limiter_init (2);
  make_music (x, n, 2, 48000);
  for (size_t i = 0; i < n * 2; i++) {
    x[i] *= 0.5f;               /* -6 dB: below the -1 dBTP ceiling */
    xd[i] = x[i];
  }
  MstLimiterSettings set = settings_unfiltered (-1.0, 0.0, true);
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &set);
  /* 5 ms lookahead (15 groups of 16 frames) and the next group, whose
   * point the gain computer interpolates to, plus the detector's 67
   * frames, less one. */
  MST_CHECK (mst_limiter_get_latency (lim) == 67 + 240 + 16 - 1);
  size_t w = run (lim, x, n, 2, y);
  MST_CHECK (w == n);
  MST_CHECK (memcmp (x, y, sizeof (float) * n * 2) == 0);

  /* The longest latency (384 kHz, 20 ms), whole blocks at a time: the
   * delay line holds it and a block. */
  mst_limiter_configure (lim, 384000, 2, MST_LIMITER_MAX_LOOKAHEAD_MS);
  mst_limiter_set (lim, &set);
  w = run (lim, x, n, 2, y);
  MST_CHECK (w == n);
  MST_CHECK (memcmp (x, y, sizeof (float) * n * 2) == 0);

  /* F64, processed in place, in odd pieces. */
  mst_limiter_configure (lim, 48000, 2, 5.0);
  memcpy (yd, xd, sizeof (double) * n * 2);
  size_t written = 0, k;
  for (size_t o = 0; o < n;) {
    size_t m = n - o < 777 ? n - o : 777;
    /* In place: frames come out behind the ones going in. */
    mst_limiter_process_f64 (lim, yd + o * 2, m, yd + written * 2, &k);
    written += k;
    o += m;
  }
  mst_limiter_drain_f64 (lim, yd + written * 2, &k);
  written += k;
  MST_CHECK (written == n);
  MST_CHECK (memcmp (xd, yd, sizeof (double) * n * 2) == 0);

  /* An impulse limited hard stays at its frame. */
  memset (x, 0, sizeof (float) * n * 2);
  x[5000 * 2] = x[5000 * 2 + 1] = 1.0f;
  set = settings (-6.0, 12.0, true);
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &set);
  w = run (lim, x, n, 2, y);
  size_t argmax = 0;
  for (size_t i = 0; i < w; i++)
    if (fabs (y[i * 2]) > fabs (y[argmax * 2]))
      argmax = i;
  MST_CHECK_MSG (argmax == 5000, "impulse moved to %zu", argmax);
  /* Gain 1 far from the peak, at both ends (LSP's utest). */
  MST_CHECK (y[0] == 0.0f && y[(n - 1) * 2] == 0.0f);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
  free (xd);
  free (yd);
}

/* True-peak limiting costs no needless reduction: the music pushed 12 dB
 * into -1 dBTP is within 0.5 LU of the sample-peak limiter's output. */
static void
test_loudness_cost (void)
{
  const size_t n = 48000 * 20;
  float *x = malloc (sizeof (float) * n * 2), *y = malloc (sizeof (float) * n * 2);
  MstLimiter *lim = mst_limiter_init (2);
  double lufs[2];
  make_music (x, n, 2, 48000);
  for (int tp = 0; tp < 2; tp++) {
    MstLimiterSettings set = settings (-1.0, 12.0, tp);
    mst_limiter_configure (lim, 48000, 2, 5.0);
    mst_limiter_set (lim, &set);
    size_t w = run (lim, x, n, 2, y);
    lufs[tp] = mst_analysis_ebur128_loudness (y, w, 2, 48000);
  }
  printf ("# music +12 dB into -1 dBTP: %.2f LUFS true-peak, %.2f LUFS "
      "sample-peak\n", lufs[1], lufs[0]);
  MST_CHECK_MSG (fabs (lufs[1] - lufs[0]) <= 0.5, "%.2f vs %.2f LUFS",
      lufs[1], lufs[0]);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* The gain curve is smooth: on a DC input that jumps 18 dB up and back,
 * the gain (output / input) moves at most 1/lookahead per sample, and
 * never steps. */
static void
test_smooth_gain (void)
{
  const size_t n = 48000;
  float *x = malloc (sizeof (float) * n), *y = malloc (sizeof (float) * n);
  MstLimiter *lim = mst_limiter_init (1);
  for (size_t i = 0; i < n; i++)
    x[i] = (i > n / 4 && i < n / 2) ? 0.8f : 0.1f;
  MstLimiterSettings set = settings_unfiltered (-12.0, 0.0, true);
  mst_limiter_configure (lim, 48000, 1, 5.0);
  mst_limiter_set (lim, &set);
  size_t w = run (lim, x, n, 1, y);
  double worst = 0;
  for (size_t i = 1; i < w; i++)
    worst = fmax (worst, fabs (y[i] / x[i] - y[i - 1] / x[i - 1]));
  MST_CHECK_MSG (worst <= 1.0 / 240 + 1e-6, "gain step %.5f", worst);
  /* In the middle of the loud part the output sits at the ceiling (less
   * the detector's margin); near its edges the band-limited step overshoots
   * and the gain is lower. */
  MST_CHECK_MSG (fabs (y[3 * n / 8] - pow (10, -12.0 / 20)) < 0.01, "%.4f",
      y[3 * n / 8]);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* Linked channels share one gain; 5.1 and mono work; F64 too. */
static void
test_channels_and_link (void)
{
  const size_t n = 48000;
  const int ch = 6;
  float *x = malloc (sizeof (float) * n * ch), *y = malloc (sizeof (float) * n * ch);
  MstLimiter *lim = mst_limiter_init (ch);
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < ch; c++)
      x[i * ch + c] = (float) ((c == 2 ? 1.0 : 0.2) * sin (2 * M_PI * 440 * i
              / 48000.0 + c));
  MstLimiterSettings set = settings_unfiltered (-6.0, 6.0, true);
  MST_CHECK (mst_limiter_configure (lim, 48000, ch, 5.0) == MST_OK);
  mst_limiter_set (lim, &set);
  size_t w = run (lim, x, n, ch, y);
  MST_CHECK (w == n);
  /* One gain: every channel's ratio is the loud channel's. */
  double worst = 0;
  for (size_t i = n / 2; i < n; i++) {
    double g = y[i * ch + 2] / x[i * ch + 2];
    if (fabs (x[i * ch + 2]) > 0.5 && fabs (x[i * ch]) > 0.1)
      worst = fmax (worst, fabs (y[i * ch] / x[i * ch] - g));
  }
  MST_CHECK_MSG (worst < 1e-4, "linked gains differ by %.2g", worst);
  /* Unlinked: the quiet channels keep their level. */
  set.link = 0.0;
  mst_limiter_configure (lim, 48000, ch, 5.0);
  mst_limiter_set (lim, &set);
  run (lim, x, n, ch, y);
  double in_rms = 0, out_rms = 0;
  for (size_t i = n / 2; i < n; i++) {
    in_rms += x[i * ch] * x[i * ch] * pow (10, 6.0 / 10);
    out_rms += y[i * ch] * y[i * ch];
  }
  MST_CHECK_CLOSE (10 * log10 (out_rms / in_rms), 0.0, 0.01);
  MST_CHECK (mst_limiter_configure (lim, 48000, ch + 1, 5.0)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_limiter_configure (lim, 48000, 1, 25.0)
      == MST_ERR_INVALID_ARG);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* Runs stereo x through lim (see run) and checks that every output
 * sample is finite and at most -1 dBFS; returns the output frame count. */
static size_t
run_finite_under_ceiling (MstLimiter * lim, const float *x, size_t n,
    float *y)
{
  size_t w = run (lim, x, n, 2, y);
  bool finite = true;
  double peak = 0;
  for (size_t i = 0; i < w * 2; i++) {
    finite &= isfinite (y[i]);
    peak = fmax (peak, fabs (y[i]));
  }
  MST_CHECK (finite);
  MST_CHECK (peak <= pow (10, -1.0 / 20));
  return w;
}

/* NaN and Inf are limited as silence and do not poison what follows. */
static void
test_nonfinite (void)
{
  const size_t n = 48000;
  float *x = malloc (sizeof (float) * n * 2), *y = malloc (sizeof (float) * n * 2);
  MstLimiter *lim = mst_limiter_init (2);
  make_music (x, n, 2, 48000);
  x[1000] = NAN;
  x[2001] = INFINITY;
  x[3000] = -INFINITY;
  MstLimiterSettings set = settings (-1.0, 12.0, true);
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &set);
  size_t w = run_finite_under_ceiling (lim, x, n, y);
  MST_CHECK (mst_limiter_get_nonfinite_count (lim) == 3);
  {
    /* The band limit off: the raw samples reach take_input, whose vector
     * pass counts and silences them (both channels; a NaN and an Inf in
     * one group of eight frames; a finite sample past MST_MAX_INPUT). */
    float *z = malloc (sizeof (float) * n * 2);
    MstLimiter *raw = mst_limiter_init (2);
    MstLimiterSettings unfiltered = settings_unfiltered (-1.0, 12.0, true);
    memcpy (z, x, sizeof (float) * n * 2);
    z[2 * 5001 + 1] = NAN;
    z[2 * 5003] = INFINITY;
    z[2 * 999] = 2000.0f;
    mst_limiter_configure (raw, 48000, 2, 5.0);
    mst_limiter_set (raw, &unfiltered);
    run_finite_under_ceiling (raw, z, n, y);
    MST_CHECK_MSG (mst_limiter_get_nonfinite_count (raw) == 6,
        "%llu samples counted, 6 expected",
        (unsigned long long) mst_limiter_get_nonfinite_count (raw));
    mst_limiter_destroy (&raw);
    free (z);
  }
  /* The level after it is normal: loud music limited near the ceiling. */
  double late = 0;
  for (size_t i = n / 2 * 2; i < w * 2; i++)
    late = fmax (late, fabs (y[i]));
  MST_CHECK (late > pow (10, -2.0 / 20));

  /* A finite sample that the input gain takes past the float range: the
   * frames around it are still limited (true peak under the ceiling), not
   * clipped. */
  make_music (x, n, 2, 48000);
  x[2 * 10000] = FLT_MAX;
  x[2 * 30000 + 1] = -FLT_MAX;
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &set);
  w = run (lim, x, n, 2, y);
  bool finite = true;
  for (size_t i = 0; i < w * 2; i++)
    finite &= isfinite (y[i]);
  MST_CHECK (finite);
  double tp = mst_analysis_db (mst_analysis_ebur128_true_peak (y, w, 2,
          48000));
  MST_CHECK_MSG (tp <= -1.0, "true peak %+.3f dBTP around huge samples", tp);

  /* A 50 ms burst of +-FLT_MAX at a small input gain (issue 13: it came
   * out over the ceiling, samples the detector could only clamp): silence
   * to the limiter, as beyond +60 dBFS everywhere, counted, and the true
   * peak under the ceiling. */
  make_music (x, n, 2, 48000);
  for (size_t i = 20000; i < 22400; i++)
    for (int c = 0; c < 2; c++)
      x[2 * i + c] = (i + c) % 2 ? FLT_MAX : -FLT_MAX;
  x[2 * 40000] = 1001.0f;
  MstLimiterSettings small = settings (-1.0, 0.26, true);
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &small);
  w = run (lim, x, n, 2, y);
  finite = true;
  for (size_t i = 0; i < w * 2; i++)
    finite &= isfinite (y[i]) && fabsf (y[i]) <= 1.0f;
  MST_CHECK (finite);
  tp = mst_analysis_db (mst_analysis_ebur128_true_peak (y, w, 2, 48000));
  MST_CHECK_MSG (tp <= -1.0, "true peak %+.3f dBTP after a FLT_MAX burst", tp);
  MST_CHECK_MSG (mst_limiter_get_nonfinite_count (lim) == 2 * 2400 + 1,
      "%" PRIu64 " absurd samples counted", mst_limiter_get_nonfinite_count
      (lim));
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* Runs FFmpeg's alimiter (a sample-peak lookahead limiter) over mono F32
 * x at 48 kHz with the given attack and release; false if FFmpeg failed. */
static bool
run_alimiter (const float *x, size_t n, double ceiling_db, double attack_ms,
    double release_ms, float *y)
{
  char in_path[] = "/tmp/mst-alimiter-in-XXXXXX";
  char out_path[] = "/tmp/mst-alimiter-out-XXXXXX";
  int fd_in = mkstemp (in_path), fd_out = mkstemp (out_path);
  bool ok = false;
  if (fd_in < 0 || fd_out < 0)
    return false;
  FILE *f = fdopen (fd_in, "wb");
  fwrite (x, sizeof (float), n, f);
  fclose (f);
  close (fd_out);
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -loglevel error "
      "-y -f f32le -ar 48000 -ac 1 -i %s -af alimiter=limit=%.6f:attack=%g:"
      "release=%g:level=disabled -f f32le %s", in_path,
      pow (10, ceiling_db / 20), attack_ms, release_ms, out_path);
  if (system (cmd) == 0) {
    f = fopen (out_path, "rb");
    ok = f && fread (y, sizeof (float), n, f) == n;
    if (f)
      fclose (f);
  }
  unlink (in_path);
  unlink (out_path);
  return ok;
}

/* THD+N of sines driven 6 dB over the ceiling, ours against FFmpeg's
 * alimiter at the same attack (5 ms, our lookahead) and release, on the
 * steady middle of both outputs. Ours must be lower at every setting: at
 * 1 kHz, where both hold a constant gain and sit near the F32 noise floor,
 * and at 60 Hz (a period longer than the lookahead), where gain modulation
 * distorts. */
static void
test_thd_n (void)
{
  const size_t n = 48000 * 2;
  float *x = malloc (sizeof (float) * n), *y = malloc (sizeof (float) * n);
  float *z = malloc (sizeof (float) * n);
  MstLimiter *lim = mst_limiter_init (1);
  static const double freqs[] = { 1000.0, 60.0 };
  static const double releases[] = { 20.0, 50.0, 200.0 };
  for (int f = 0; f < 2; f++)
    for (int r = 0; r < 3; r++) {
      for (size_t i = 0; i < n; i++)
        x[i] = (float) (pow (10, 5.0 / 20) * sin (2 * M_PI * freqs[f] * i
                / 48000.0));
      MstLimiterSettings set = settings_unfiltered (-1.0, 0.0, true);
      set.release_ms = releases[r];
      set.auto_release = false;
      mst_limiter_configure (lim, 48000, 1, 5.0);
      mst_limiter_set (lim, &set);
      size_t w = run (lim, x, n, 1, y);
      /* The steady middle of both outputs: ours ends with the drained
       * tail (the gain releasing into the silence after the input),
       * alimiter's does not (its last lookahead never comes out). */
      double ours = mst_analysis_thd_n_db (y + w / 4, w / 2, 1, 0, 48000,
          freqs[f]);
      MST_CHECK_MSG (run_alimiter (x, n, -1.0, 5.0, releases[r], z),
          "FFmpeg's alimiter could not run (is ffmpeg installed?)");
      double theirs = mst_analysis_thd_n_db (z + n / 4, n / 2, 1, 0, 48000,
          freqs[f]);
      printf ("# THD+N, %4.0f Hz 6 dB over the ceiling, release %3.0f ms: "
          "ours %6.1f dB, alimiter %6.1f dB\n", freqs[f], releases[r], ours,
          theirs);
      MST_CHECK_MSG (ours < theirs, "ours %.1f dB, alimiter %.1f dB", ours,
          theirs);
    }
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
  free (z);
}

/* Bass does not pump: on a steady 50 Hz tone held 6 dB down, the gain
 * (output / input) stays within 0.1 dB through every cycle with the
 * default release, and ripples less than FFmpeg's alimiter's. */
static void
test_no_pumping (void)
{
  const size_t n = 48000 * 4;
  float *x = malloc (sizeof (float) * n), *y = malloc (sizeof (float) * n);
  float *z = malloc (sizeof (float) * n);
  MstLimiter *lim = mst_limiter_init (1);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (0.5 * sin (2 * M_PI * 50 * i / 48000.0));
  MstLimiterSettings set = settings (-12.0, 0.0, true);
  mst_limiter_configure (lim, 48000, 1, 5.0);
  mst_limiter_set (lim, &set);
  size_t w = run (lim, x, n, 1, y);
  MST_CHECK (w == n);
  MST_CHECK (run_alimiter (x, n, -12.0, 5.0, 50.0, z));
  /* alimiter delays by its lookahead: align on the best correlation. */
  size_t lag = 0;
  double best = -1;
  for (size_t l = 0; l < 2000; l++) {
    double acc = 0;
    for (size_t i = n / 2; i < n / 2 + 9600; i++)
      acc += z[i + l] * x[i];
    if (acc > best) {
      best = acc;
      lag = l;
    }
  }
  double lo[2] = { 9, 9 }, hi[2] = { 0, 0 };
  for (size_t i = n / 2; i + lag < n; i++)
    if (fabs (x[i]) > 0.1) {
      double g[2] = { y[i] / x[i], z[i + lag] / x[i] };
      for (int k = 0; k < 2; k++) {
        lo[k] = fmin (lo[k], g[k]);
        hi[k] = fmax (hi[k], g[k]);
      }
    }
  double ours = 20 * log10 (hi[0] / lo[0]), theirs = 20 * log10 (hi[1] / lo[1]);
  printf ("# gain ripple on 50 Hz held 6 dB down: ours %.3f dB, alimiter "
      "%.3f dB\n", ours, theirs);
  MST_CHECK (ours < 0.1);
  MST_CHECK (ours < theirs);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
  free (z);
}

/* Bypass: the limiter keeps running with a ceiling out of reach, so once
 * the gain has released the output is the input, bit for bit, with the
 * same latency (no frame lost or repeated at the switch). */
static void
test_bypass (void)
{
  const size_t n = 48000 * 6;
  float *x = malloc (sizeof (float) * n * 2), *y = malloc (sizeof (float) * n * 2);
  MstLimiter *lim = mst_limiter_init (2);
  make_music (x, n, 2, 48000);
  MstLimiterSettings set = settings_unfiltered (-6.0, 6.0, true);
  mst_limiter_configure (lim, 48000, 2, 5.0);
  mst_limiter_set (lim, &set);
  size_t w = 0, k;
  mst_limiter_process_f32 (lim, x, n / 3, y, &k);
  w += k;
  set.bypass = true;
  mst_limiter_set (lim, &set);
  mst_limiter_process_f32 (lim, x + n / 3 * 2, n - n / 3, y + w * 2, &k);
  w += k;
  mst_limiter_drain_f32 (lim, y + w * 2, &k);
  w += k;
  MST_CHECK (w == n);
  /* The last second: the release (slow auto-release, 100 ms time constant)
   * has landed on exactly 1 by then. */
  size_t first_diff = n;
  for (size_t i = (n - 48000) * 2; i < n * 2 && first_diff == n; i++)
    if (x[i] != y[i])
      first_diff = i / 2;
  MST_CHECK_MSG (first_diff == n, "frame %zu differs: %.9g vs %.9g",
      first_diff, x[first_diff * 2], y[first_diff * 2]);
  /* Around the switch, no step: the overall gain (output / input) moves by
   * at most the limiter's 1/lookahead plus the input gain's 10 ms glide
   * per sample. */
  double worst = 0, prev_ratio = -1;
  for (size_t i = n / 3 - 2000; i < n / 3 + 24000; i++) {
    if (fabs (x[i * 2]) < 0.05) {
      prev_ratio = -1;
      continue;
    }
    double ratio = y[i * 2] / x[i * 2];
    if (prev_ratio >= 0)
      worst = fmax (worst, fabs (ratio - prev_ratio));
    prev_ratio = ratio;
  }
  MST_CHECK_MSG (worst < 1.0 / 240 + 1.0 / 480 + 1e-3, "gain step %.4f at the "
      "bypass switch", worst);
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
}

/* The vector path's FFT filtering against the direct sum, on noise and
 * a full-scale square wave: two channels and one, several lengths (one
 * run, several, a run and one output), the scratch around the outputs
 * left to the FFT. Portable code (on FFTW): checked on every machine. */
static void
test_fastconv (void)
{
  enum { TAPS = 128, ROOM = 4096 };
  float h[TAPS];
  for (int k = 0; k < TAPS; k++) {
    double t = k - (TAPS - 1) / 2.0;
    h[k] = (float) (sin (M_PI * t) / (M_PI * t) * (0.5 + 0.5 * cos (M_PI * t
                / (TAPS / 2))));
  }
  MstFastConv *fc = mst_fastconv_new (h, TAPS);
  MST_CHECK (fc != NULL);
  MST_CHECK (mst_fastconv_new (h, TAPS + 1) == NULL);
  float *x0 = calloc (ROOM, sizeof (float)), *x1 = calloc (ROOM, sizeof (float));
  float *b0 = calloc (ROOM, sizeof (float)), *b1 = calloc (ROOM, sizeof (float));
  uint32_t seed = 1;
  for (int i = 0; i < ROOM; i++) {
    seed = seed * 1664525u + 1013904223u;
    x0[i] = (float) ((seed >> 8) / 8388608.0 - 1.0);
    x1[i] = (i / 3) % 2 ? 1.0f : -1.0f;
  }
  static const int lengths[] = { 1, 8, 385, 386, 1031, 1500 };
  double worst = 0.0;
  for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
    int n = lengths[l];
    MST_CHECK (mst_fastconv_input_span (fc, n) <= ROOM);
    MST_CHECK (mst_fastconv_output_end (fc, n) + TAPS <= ROOM);
    for (int mono = 0; mono < 2; mono++) {
      float *y0 = b0 + TAPS, *y1 = b1 + TAPS;
      mst_fastconv_run (fc, x0, mono ? NULL : x1, y0, mono ? NULL : y1, n);
      for (int j = 0; j < n; j++) {
        double a = 0.0, b = 0.0;
        for (int k = 0; k < TAPS; k++) {
          a += h[k] * (double) x0[j + k];
          b += h[k] * (double) x1[j + k];
        }
        worst = fmax (worst, fabs (a - y0[j]));
        if (!mono)
          worst = fmax (worst, fabs (b - y1[j]));
      }
    }
  }
  /* Rows made for transforms in place (mst_fastconv_new_rows): one
   * aligned block of two input rows and two output rows. */
  {
    enum { XS = 2048, YS = 2048 };
    MstFastConv *rc = mst_fastconv_new_rows (h, TAPS, XS, YS);
    float *xr = aligned_alloc (32, 2 * XS * sizeof (float));
    float *yr = aligned_alloc (32, 2 * YS * sizeof (float));
    MST_CHECK (rc != NULL && xr != NULL && yr != NULL);
    for (int i = 0; i < XS; i++) {
      xr[i] = x0[i];
      xr[XS + i] = x1[i];
    }
    static const int rlengths[] = { 1, 8, 384, 385, 1031, 1500 };
    for (size_t l = 0; l < sizeof rlengths / sizeof rlengths[0]; l++) {
      int n = rlengths[l];
      MST_CHECK (mst_fastconv_input_span (rc, n) <= XS);
      MST_CHECK (mst_fastconv_output_end (rc, n) + TAPS <= YS);
      /* The sizes a caller takes before making the filter are its own. */
      MST_CHECK (mst_fastconv_input_span_for (TAPS, n)
          == mst_fastconv_input_span (rc, n));
      MST_CHECK (mst_fastconv_output_end_for (TAPS, n)
          == mst_fastconv_output_end (rc, n));
      memset (yr, 0, 2 * YS * sizeof (float));
      mst_fastconv_run (rc, xr, xr + XS, yr + TAPS, yr + YS + TAPS, n);
      for (int j = 0; j < n; j++) {
        double a = 0.0, b = 0.0;
        for (int k = 0; k < TAPS; k++) {
          a += h[k] * (double) x0[j + k];
          b += h[k] * (double) x1[j + k];
        }
        worst = fmax (worst, fabs (a - yr[TAPS + j]));
        worst = fmax (worst, fabs (b - yr[YS + TAPS + j]));
      }
    }
    mst_fastconv_free (rc);
    free (xr);
    free (yr);
  }
  printf ("# FFT filtering against the direct sum: worst error %.2g\n", worst);
  MST_CHECK_MSG (worst < 2e-5, "worst error %g", worst);
  mst_fastconv_free (fc);
  free (x0);
  free (x1);
  free (b0);
  free (b1);
}

static double
rms_db_ratio (const float *y, const float *x, size_t from, size_t n)
{
  double ey = 0, ex = 0;
  for (size_t i = from; i < n; i++) {
    ey += (double) y[i] * y[i];
    ex += (double) x[i] * x[i];
  }
  return 10 * log10 (ey / ex);
}

/* The band limit: the response the design promises (within 0.01 dB up to
 * 0.46 fs, 60 dB down from 0.483 fs), the ideal reconstruction it exists
 * for (white noise +20 dB over the ceiling without it), and a bypass that
 * ends bit-exact. */
static void
test_band_limit (void)
{
  const double rate = 48000;
  const size_t n = 48000;
  float *x = malloc (sizeof (float) * n * 8);
  float *y = malloc (sizeof (float) * n * 8);
  MstLimiter *lim = mst_limiter_init (2);
  MstLimiterSettings set = settings (-1.0, 0.0, true);
  static const double pass[] = { 50, 1000, 10000, 0.40 * 48000,
    0.45 * 48000, 0.46 * 48000
  };
  for (int k = 0; k < 7; k++) {
    double f = k < 6 ? pass[k] : 0.49 * rate;
    for (size_t i = 0; i < n; i++)
      x[i] = (float) (0.25 * sin (2 * M_PI * f * i / rate + 0.3));
    mst_limiter_configure (lim, rate, 1, 5.0);
    mst_limiter_set (lim, &set);
    run (lim, x, n, 1, y);
    double db = rms_db_ratio (y, x, n / 2, n);
    printf ("# band limit at %5.0f Hz: %+.4f dB\n", f, db);
    if (k < 6)
      MST_CHECK_MSG (fabs (db) <= 0.011, "%.0f Hz: %+.4f dB through the "
          "band limit", f, db);
    else
      MST_CHECK_MSG (db <= -60.0, "%.0f Hz: only %+.1f dB", f, db);
  }

  /* Under 44.1 kHz it stays off (0.46 fs would be audible): 3.9 kHz at
   * 8 kHz under the ceiling comes out bit for bit. */
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (0.25 * sin (2 * M_PI * 3900 * i / 8000.0));
  mst_limiter_configure (lim, 8000, 1, 5.0);
  mst_limiter_set (lim, &set);
  MST_CHECK (run (lim, x, n, 1, y) == n);
  MST_CHECK_MSG (memcmp (x, y, sizeof (float) * n) == 0, "3.9 kHz at 8 kHz "
      "changed: %+.2f dB", rms_db_ratio (y, x, n / 2, n));

  /* White noise 20 dB over: without the band limit an ideal reconstruction
   * reads it over the ceiling (test_true_peak_guarantee: under with it). */
  const size_t m = 4 * 48000;
  float *xn = malloc (sizeof (float) * m * 2), *yn = malloc (sizeof (float)
      * m * 2);
  double gain = make_signal (SIG_NOISE, xn, m, 2, rate);
  MstLimiterSettings off = settings_unfiltered (-1.0, gain, true);
  mst_limiter_configure (lim, rate, 2, 5.0);
  mst_limiter_set (lim, &off);
  size_t w = run (lim, xn, m, 2, yn);
  double over = mst_analysis_db (mst_analysis_true_peak_ideal_all (yn, w, 2))
      + 1.0;
  printf ("# white noise without the band limit: ideal reconstruction "
      "%+.3f dB over the ceiling\n", over);
  MST_CHECK_MSG (over > 0.1, "white noise without the band limit only "
      "%+.3f dB over", over);

  /* Bypass while filtering: after the crossfade the output is the input. */
  make_music (xn, m, 2, rate);
  for (size_t i = 0; i < m * 2; i++)
    xn[i] *= 0.5f;
  mst_limiter_configure (lim, rate, 2, 5.0);
  mst_limiter_set (lim, &set);
  size_t half = m / 2, got = 0, k;
  mst_limiter_process_f32 (lim, xn, half, yn, &k);
  got += k;
  MstLimiterSettings bypassed = set;
  bypassed.bypass = true;
  mst_limiter_set (lim, &bypassed);
  mst_limiter_process_f32 (lim, xn + half * 2, m - half, yn + got * 2, &k);
  got += k;
  mst_limiter_drain_f32 (lim, yn + got * 2, &k);
  got += k;
  MST_CHECK (got == m);
  size_t settled = half + (size_t) (0.05 * rate);
  MST_CHECK_MSG (memcmp (xn + settled * 2, yn + settled * 2,
          sizeof (float) * (m - settled) * 2) == 0,
      "bypassed, not bit-exact 50 ms after the switch");
  MST_CHECK_MSG (memcmp (xn, yn, sizeof (float) * half * 2) != 0,
      "the band limit changed nothing before the bypass");
  mst_limiter_destroy (&lim);
  free (x);
  free (y);
  free (xn);
  free (yn);
}

/* Any split of the input into calls gives the same output: music pushed
 * 12 dB over (limited throughout) in one call and in calls of 1 to 5000
 * frames, F32 and F64, with the default auto-release and with a fixed
 * release. Bit for bit on the portable path (MST_DISABLE_SIMD). The vector
 * paths (AVX2 and FMA) compute the half-sample points by FFT in runs
 * from each call's first frame, and the band limit's block form (AVX-512) steps from it: a
 * point's rounding there depends on where the call began, so their output
 * is the same to within float roundings (1.2e-6 of full scale measured;
 * 4e-6 allowed). */
static void
test_chunking (void)
{
  const double rate = 48000;
  const int ch = 2;
  const size_t n = 20 * 48000;
  float *x = malloc (sizeof (float) * n * ch);
  make_music (x, n, ch, rate);
  for (size_t i = 0; i < n * ch; i += 997)
    x[i] *= 1.5f;               /* isolated overs between the beats */
  const bool portable = !mst_cpu_has_avx2_fma ();
  MstLimiter *lim = mst_limiter_init (ch);
  for (int variant = 0; variant < 4; variant++) {
    const bool f64 = variant & 1, auto_release = !(variant & 2);
    const size_t bps = f64 ? sizeof (double) : sizeof (float);
    char *in = malloc (n * ch * bps);
    char *y[2] = { malloc (n * ch * bps), malloc (n * ch * bps) };
    for (size_t i = 0; i < n * ch; i++) {
      if (f64)
        ((double *) in)[i] = x[i];
      else
        ((float *) in)[i] = x[i];
    }
    uint32_t seed = 12345u + (uint32_t) variant;
    MstLimiterSettings s = settings (-1.0, 12.0, true);
    s.auto_release = auto_release;
    for (int split = 0; split < 2; split++) {
      size_t done = 0, written = 0, k;
      MST_CHECK (mst_limiter_configure (lim, rate, ch, 5.0) == MST_OK);
      MST_CHECK (mst_limiter_set (lim, &s) == MST_OK);
      while (done < n) {
        size_t piece = split ? mst_test_random_piece (&seed, n - done, 5000)
            : n - done;
        if (f64)
          mst_limiter_process_f64 (lim, (double *) in + done * ch, piece,
              (double *) y[split] + written * ch, &k);
        else
          mst_limiter_process_f32 (lim, (float *) in + done * ch, piece,
              (float *) y[split] + written * ch, &k);
        done += piece;
        written += k;
      }
      if (f64)
        mst_limiter_drain_f64 (lim, (double *) y[split] + written * ch, &k);
      else
        mst_limiter_drain_f32 (lim, (float *) y[split] + written * ch, &k);
      MST_CHECK (written + k == n);
    }
    size_t first = n * ch, differ = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n * ch; i++)
      if (memcmp (y[0] + i * bps, y[1] + i * bps, bps)) {
        first = first < i ? first : i;
        differ++;
        double a = f64 ? ((double *) y[0])[i] : ((float *) y[0])[i];
        double b = f64 ? ((double *) y[1])[i] : ((float *) y[1])[i];
        worst = fmax (worst, fabs (a - b));
      }
    printf ("# %s, %s release, split into calls: %zu of %zu samples "
        "differ, by at most %.2g of full scale\n", f64 ? "F64" : "F32",
        auto_release ? "auto" : "fixed", differ, n * ch, worst);
    if (portable)
      MST_CHECK_MSG (differ == 0, "%s, %s release: %zu of %zu samples differ "
          "with the input split into calls, the first at frame %zu",
          f64 ? "F64" : "F32", auto_release ? "auto" : "fixed", differ,
          n * ch, first / ch);
    else
      MST_CHECK_MSG (worst <= 4e-6, "%s, %s release: samples differ by up to "
          "%.2g of full scale with the input split into calls",
          f64 ? "F64" : "F32", auto_release ? "auto" : "fixed", worst);
    free (in);
    free (y[0]);
    free (y[1]);
  }
  mst_limiter_destroy (&lim);
  free (x);
}

int
main (void)
{
  MST_RUN (test_fastconv);
  MST_RUN (test_true_peak_guarantee);
  MST_RUN (test_sample_peak_mode);
  MST_RUN (test_alignment_and_passthrough);
  MST_RUN (test_no_needless_reduction);
  MST_RUN (test_loudness_cost);
  MST_RUN (test_smooth_gain);
  MST_RUN (test_channels_and_link);
  MST_RUN (test_nonfinite);
  MST_RUN (test_thd_n);
  MST_RUN (test_bypass);
  MST_RUN (test_no_pumping);
  MST_RUN (test_band_limit);
  MST_RUN (test_chunking);
  return mst_test_summary ();
}
