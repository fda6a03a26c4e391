/* Unit tests of the multiband compressor core on plain arrays: the bands
 * sum flat when nothing compresses (both phase modes, left-right and
 * mid-side, 44.1 to 192 kHz), bypass and one neutral band bit-exact, a
 * band compresses only its band, solo, mute and band bypass, latency and
 * frame counts, band-count changes without a click, non-finite input,
 * settings validation, the neutral path against the tree (at rest and
 * switched while streaming). Responses are measured on the running core (the
 * DFT of its impulse response). With an argument "time" it prints the
 * core's cost in ns per stereo frame instead. */
#include "mst-mbcomp.h"
#include "mst-test.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* run_f64 and run_f32: @in (n frames of @ch channels) through @m in
 * chunks of @chunk, then the drain; returns the frame count written to
 * @out. */
#define DEFINE_RUN(suffix, T)                                                \
  static size_t                                                             \
  run_##suffix (MstMbcomp * m, const T * in, size_t n, int ch, T * out,     \
      size_t chunk)                                                         \
  {                                                                         \
    size_t done = 0, written = 0, got = 0;                                  \
    while (done < n) {                                                      \
      size_t k = n - done < chunk ? n - done : chunk;                       \
      MST_CHECK (mst_mbcomp_process_##suffix (m, in + done * ch, k,         \
              out + written * ch, &got) == MST_OK);                         \
      written += got;                                                       \
      done += k;                                                            \
    }                                                                       \
    MST_CHECK (mst_mbcomp_drain_##suffix (m, out + written * ch, &got)      \
        == MST_OK);                                                         \
    return written + got;                                                   \
  }
DEFINE_RUN (f64, double)
DEFINE_RUN (f32, float)

/* The DFT of channel @c of @n interleaved frames at @freq_hz. */
static double complex
response (const double *x, int ch, int c, size_t n, double freq_hz,
    double rate_hz)
{
  double complex sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += x[i * ch + c] * cexp (-I * 2 * M_PI * freq_hz / rate_hz * i);
  return sum;
}

static MstMbcomp *
make (double rate, int ch, MstMbcompPhase phase, double lookahead_ms,
    const MstMbcompSettings * s)
{
  MstMbcomp *m = mst_mbcomp_init (ch);
  MST_CHECK (m != NULL);
  MST_CHECK (mst_mbcomp_configure (m, rate, ch, ch >= 2 ? 0 : -1,
          ch >= 2 ? 1 : -1, phase, lookahead_ms) == MST_OK);
  if (s)
    MST_CHECK (mst_mbcomp_set (m, s) == MST_OK);
  mst_mbcomp_reset (m);
  return m;
}

/* Nothing compresses: the sum of the bands is flat within 0.05 dB from
 * 20 Hz to 20 kHz, for both phase modes, left-right and mid-side, at
 * 44.1, 48, 96 and 192 kHz; the other channel of the pair stays silent. */
static void
test_flat_sum (void)
{
  static const double rates[] = { 44100, 48000, 96000, 192000 };
  double worst[2][2] = { {0} };
  for (int r = 0; r < 4; r++)
    for (int phase = 0; phase < 2; phase++)
      for (int mode = 0; mode < 2; mode++) {
        MstMbcompSettings s;
        mst_mbcomp_settings_default (&s);
        s.n_bands = 6;
        s.mode = mode;
        MstMbcomp *m = make (rates[r], 2, phase, 0.0, &s);
        size_t n = mst_mbcomp_get_latency (m) + (size_t) (0.5 * rates[r]);
        double *in = calloc (n * 2, sizeof (double));
        double *out = calloc (n * 2, sizeof (double));
        in[0] = 1.0;
        MST_CHECK (run_f64 (m, in, n, 2, out, 1000) == n);
        double err = 0, cross = 0;
        for (double f = 20; f <= 20000; f *= pow (2, 1.0 / 6)) {
          double db = 20 * log10 (cabs (response (out, 2, 0, n, f,
                      rates[r])));
          err = fmax (err, fabs (db));
          cross = fmax (cross, cabs (response (out, 2, 1, n, f, rates[r])));
        }
        MST_CHECK_MSG (err <= 0.05, "%g Hz phase %d mode %d: %.4f dB",
            rates[r], phase, mode, err);
        MST_CHECK_MSG (cross < 1e-6, "crosstalk %g", cross);
        worst[phase][mode] = fmax (worst[phase][mode], err);
        printf ("  flat sum %6.0f Hz %s %s: %.2e dB\n", rates[r],
            phase ? "linear " : "minimum", mode ? "M/S" : "L/R", err);
        free (in);
        free (out);
        mst_mbcomp_destroy (&m);
      }
}

/* Bypass gives the input delayed by the latency bit for bit (here the
 * latency is compensated: the input itself); so does one neutral band. */
static void
test_bypass_exact (void)
{
  const size_t n = 48000;
  float *in = malloc (sizeof (float) * n * 2);
  float *out = malloc (sizeof (float) * n * 2);
  for (size_t i = 0; i < n * 2; i++)
    in[i] = (float) (0.5 * sin (i * 0.0123) + 0.3 * sin (i * 0.31));
  MstMbcompSettings s;
  mst_mbcomp_settings_default (&s);
  s.bypass = true;
  s.bands[1].ratio = 8;
  s.bands[1].threshold_db = -40;
  for (int phase = 0; phase < 2; phase++) {
    MstMbcomp *m = make (48000, 2, phase, 5.0, &s);
    MST_CHECK (run_f32 (m, in, n, 2, out, 777) == n);
    MST_CHECK_MSG (memcmp (in, out, sizeof (float) * n * 2) == 0,
        "phase %d bypass not exact", phase);
    mst_mbcomp_destroy (&m);
  }
  mst_mbcomp_settings_default (&s);
  s.n_bands = 1;
  MstMbcomp *m = make (48000, 2, MST_MBCOMP_MINIMUM_PHASE, 0.0, &s);
  MST_CHECK (run_f32 (m, in, n, 2, out, 1024) == n);
  MST_CHECK_MSG (memcmp (in, out, sizeof (float) * n * 2) == 0,
      "one neutral band not exact");
  mst_mbcomp_destroy (&m);
  free (in);
  free (out);
}

/* Complex amplitude of @freq_hz over the last half second of @x (mono
 * F64). */
static double complex
tone (const double *x, size_t n, double freq_hz, double rate)
{
  size_t len = (size_t) (0.5 * rate);
  return 2 * response (x + (n - len), 1, 0, len, freq_hz, rate) / len;
}

static double
tone_amp (const double *x, size_t n, double freq_hz, double rate)
{
  return cabs (tone (x, n, freq_hz, rate));
}

#define LOW_HZ 60.0
#define MID_HZ 2236.0           /* geometric centre of band 2 (1 - 5 kHz) */

/* 60 Hz (band 0) at -20 dBFS and 2236 Hz (band 2) at -6 dBFS, 2 s. */
static double *
two_tones (size_t n, double rate)
{
  double *x = malloc (sizeof (double) * n);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.1 * sin (2 * M_PI * LOW_HZ * i / rate)
        + 0.5 * sin (2 * M_PI * MID_HZ * i / rate);
  return x;
}

/* @tree: the LR tree even when neutral (no neutral path). */
static void
run_tones_path (const MstMbcompSettings * s, MstMbcompPhase phase,
    const double *in, double *out, size_t n, bool tree)
{
  MstMbcomp *m = make (48000, 1, phase, 0.0, s);
  mst_mbcomp_set_neutral_path (m, !tree);
  MST_CHECK (run_f64 (m, in, n, 1, out, 512) == n);
  mst_mbcomp_destroy (&m);
}

static void
run_tones (const MstMbcompSettings * s, MstMbcompPhase phase,
    const double *in, double *out, size_t n)
{
  run_tones_path (s, phase, in, out, n, false);
}

/* A band over its threshold is reduced; a tone in another band stays
 * within 0.1 dB. Solo, mute and band bypass. */
static void
test_band_isolation (void)
{
  const double rate = 48000;
  const size_t n = 2 * 48000;
  double *in = two_tones (n, rate), *out = malloc (sizeof (double) * n);
  for (int phase = 0; phase < 2; phase++) {
    MstMbcompSettings s;
    double *ref = malloc (sizeof (double) * n);
    mst_mbcomp_settings_default (&s);
    /* The tree's neutral output (the neutral path gives it within
     * rounding: test_neutral_path), which a bypassed band gives bit for
     * bit. */
    run_tones_path (&s, phase, in, ref, n, true);
    double complex neutral = tone (ref, n, MID_HZ, rate);
    /* Solo band 2: the 60 Hz tone is gone; 2236 Hz is band 2's share of
     * the tone (the LR4 band is -0.7 dB there, bands 1 and 3 having the
     * rest). */
    s.bands[2].solo = true;
    run_tones (&s, phase, in, out, n);
    double complex band2 = tone (out, n, MID_HZ, rate);
    MST_CHECK (tone_amp (out, n, LOW_HZ, rate) < 0.1 * 0.01);
    MST_CHECK (cabs (band2) / 0.5 > pow (10, -1.0 / 20)
        && cabs (band2) / 0.5 < 1.0);

    /* Band 2 compressed: its RMS level is over the threshold by L + 30 dB,
     * and 4:1 takes 3/4 of that; the other bands' share of 2236 Hz and
     * the 60 Hz tone in band 0 pass untouched. */
    mst_mbcomp_settings_default (&s);
    s.bands[2].threshold_db = -30;
    s.bands[2].ratio = 4;
    s.bands[2].knee_db = 0;
    run_tones (&s, phase, in, out, n);
    double level_db = 20 * log10 (cabs (band2) / sqrt (2));
    double gain = pow (10, (1.0 / 4 - 1) * (level_db + 30) / 20);
    double expected_db = 20 * log10 (cabs (gain * band2 + neutral - band2)
        / 0.5);
    double low_db = 20 * log10 (tone_amp (out, n, LOW_HZ, rate) / 0.1);
    double mid_db = 20 * log10 (tone_amp (out, n, MID_HZ, rate) / 0.5);
    printf ("  phase %d: 60 Hz %+.4f dB, 2236 Hz %+.2f dB (expected %+.2f)\n",
        phase, low_db, mid_db, expected_db);
    MST_CHECK_CLOSE (low_db, 0.0, 0.1);
    MST_CHECK_CLOSE (mid_db, expected_db, 0.25);

    /* Band bypass: its gain is exactly 1, the output the neutral one. */
    s.bands[2].bypass = true;
    run_tones (&s, phase, in, out, n);
    MST_CHECK (memcmp (out, ref, sizeof (double) * n) == 0);
    /* Mute band 2: 2236 Hz is 20 dB down or more, 60 Hz stays. */
    mst_mbcomp_settings_default (&s);
    s.bands[2].mute = true;
    run_tones (&s, phase, in, out, n);
    MST_CHECK (tone_amp (out, n, MID_HZ, rate) < 0.5 * 0.1);
    MST_CHECK_CLOSE (20 * log10 (tone_amp (out, n, LOW_HZ, rate) / 0.1), 0,
        0.1);
    free (ref);
  }
  free (in);
  free (out);
}

/* Time constants: a 20 dB level step (DC, one band: the band is the
 * input, the gain is out / in) moves the gain 63 % of its change in dB at
 * attack, and back at release, within 10 %, at the control rate the gain
 * stages run at. */
static void
test_time_constants (void)
{
  static const double rates[] = { 44100, 48000, 96000 };
  const double attack_ms = 20, release_ms = 200;
  for (int r = 0; r < 3; r++) {
    const double rate = rates[r];
    const size_t step_up = (size_t) rate, step_down = 2 * (size_t) rate;
    const size_t n = 3 * (size_t) rate;
    double *in = malloc (sizeof (double) * n), *out = malloc (sizeof (double)
        * n);
    for (size_t i = 0; i < n; i++)
      in[i] = i >= step_up && i < step_down ? pow (10, -10 / 20.0)
          : pow (10, -30 / 20.0);
    MstMbcompSettings s;
    mst_mbcomp_settings_default (&s);
    s.n_bands = 1;
    s.detector = MST_DYNAMICS_PEAK;
    s.bands[0].threshold_db = -40;
    s.bands[0].ratio = 4;
    s.bands[0].knee_db = 0;
    s.bands[0].attack_ms = attack_ms;
    s.bands[0].release_ms = release_ms;
    MstMbcomp *m = make (rate, 1, MST_MBCOMP_MINIMUM_PHASE, 0.0, &s);
    MST_CHECK (run_f64 (m, in, n, 1, out, 700) == n);
    mst_mbcomp_destroy (&m);
    /* The curve: 3/4 of the level over the threshold. */
    const double low_db = -0.75 * (-30 + 40), high_db = -0.75 * (-10 + 40);
    double t63[2] = { -1, -1 };
    for (int k = 0; k < 2; k++) {
      size_t from = k ? step_down : step_up;
      double g0 = k ? high_db : low_db, g1 = k ? low_db : high_db;
      double mark = g0 + (1 - exp (-1)) * (g1 - g0);
      for (size_t i = from; i < n; i++) {
        double g = 20 * log10 (out[i] / in[i]);
        if (k ? g >= mark : g <= mark) {
          t63[k] = (i - from) / rate * 1e3;
          break;
        }
      }
    }
    printf ("  %6.0f Hz: 63 %% at %.2f ms (attack %.0f), %.1f ms (release "
        "%.0f)\n", rate, t63[0], attack_ms, t63[1], release_ms);
    MST_CHECK_CLOSE (t63[0], attack_ms, 0.1 * attack_ms);
    MST_CHECK_CLOSE (t63[1], release_ms, 0.1 * release_ms);
    /* Settled: the curve's gain within 0.1 dB before each step. */
    MST_CHECK_CLOSE (20 * log10 (out[step_up - 1] / in[step_up - 1]), low_db,
        0.1);
    MST_CHECK_CLOSE (20 * log10 (out[step_down - 1] / in[step_down - 1]),
        high_db, 0.1);
    free (in);
    free (out);
  }
}

/* Latency: the lookahead plus the linear splitter's; as many frames out as
 * in whatever the chunking; with the linear splitter the neutral output is
 * the input itself, so an impulse comes out where it went in. */
static void
test_latency_counts (void)
{
  const double rate = 48000;
  MstMbcomp *m = make (rate, 2, MST_MBCOMP_MINIMUM_PHASE, 5.0, NULL);
  MST_CHECK (mst_mbcomp_get_latency (m) == 240);
  mst_mbcomp_destroy (&m);
  m = make (rate, 2, MST_MBCOMP_LINEAR_PHASE, 5.0, NULL);
  size_t latency = mst_mbcomp_get_latency (m);
  MST_CHECK (latency > 240);
  static const size_t lengths[] = { 1, 100, 240, 5000, 30000 };
  static const size_t chunks[] = { 1, 64, 1000, 4096 };
  for (int l = 0; l < 5; l++)
    for (int c = 0; c < 4; c++) {
      size_t n = lengths[l];
      double *in = calloc (n * 2, sizeof (double));
      double *out = calloc (n * 2, sizeof (double));
      in[(n / 2) * 2] = 1.0;
      MST_CHECK_MSG (run_f64 (m, in, n, 2, out, chunks[c]) == n,
          "%zu frames in chunks of %zu", n, chunks[c]);
      size_t peak = 0;
      for (size_t i = 0; i < n; i++)
        if (fabs (out[i * 2]) > fabs (out[peak * 2]))
          peak = i;
      MST_CHECK (peak == n / 2);
      MST_CHECK_CLOSE (out[peak * 2], 1.0, 1e-6);
      MST_CHECK (mst_mbcomp_get_pending (m) == 0);
      free (in);
      free (out);
    }
  mst_mbcomp_destroy (&m);
}

/* Lookahead: a burst in a compressed band is reduced from its first
 * frames on, where without lookahead the attack lets the onset through. */
static void
test_lookahead (void)
{
  const double rate = 48000;
  const size_t n = 24000, onset = 12000;
  double *in = calloc (n, sizeof (double));
  double *out = malloc (sizeof (double) * n);
  for (size_t i = onset; i < n; i++)
    in[i] = 0.9 * sin (2 * M_PI * MID_HZ * (i - onset) / rate);
  double onset_peak[2];
  for (int la = 0; la < 2; la++) {
    MstMbcompSettings s;
    mst_mbcomp_settings_default (&s);
    s.detector = MST_DYNAMICS_PEAK;
    s.bands[2].threshold_db = -30;
    s.bands[2].ratio = 10;
    s.bands[2].attack_ms = 1;
    MstMbcomp *m = make (rate, 1, MST_MBCOMP_MINIMUM_PHASE, la ? 5.0 : 0.0,
        &s);
    MST_CHECK (run_f64 (m, in, n, 1, out, 256) == n);
    onset_peak[la] = 0;
    for (size_t i = onset; i < onset + 48; i++)
      onset_peak[la] = fmax (onset_peak[la], fabs (out[i]));
    mst_mbcomp_destroy (&m);
  }
  printf ("  onset peak: %.3f without, %.3f with 5 ms lookahead\n",
      onset_peak[0], onset_peak[1]);
  MST_CHECK (onset_peak[1] < 0.5 * onset_peak[0]);
  free (in);
  free (out);
}

/* A change of band count while playing: the output fades through the
 * dry path (minimum phase; after the lookahead refilled) or the splitter
 * crossfades (linear), never a step; with and without lookahead. */
static void
test_band_count_change (void)
{
  const double rate = 48000, amp = 0.5, freq = 1000;
  const size_t n = 48000;
  for (int run = 0; run < 4; run++) {
    const int phase = run % 2;
    const double lookahead_ms = run < 2 ? 0.0 : 5.0;
    /* 6 bands, then 3, then 6 again: the bands that come back hold
     * nothing of before. */
    MstMbcompSettings s;
    mst_mbcomp_settings_default (&s);
    s.n_bands = 6;
    MstMbcomp *m = make (rate, 1, phase, lookahead_ms, &s);
    double *in = malloc (sizeof (double) * n);
    double *out = calloc (n + 4096, sizeof (double));
    for (size_t i = 0; i < n; i++)
      in[i] = amp * sin (2 * M_PI * freq * i / rate);
    size_t written = 0, got;
    for (size_t done = 0; done < n; done += 480) {
      if (done == 24000) {
        s.n_bands = 3;
        MST_CHECK (mst_mbcomp_set (m, &s) == MST_OK);
      } else if (done == 36000) {
        s.n_bands = 6;
        MST_CHECK (mst_mbcomp_set (m, &s) == MST_OK);
      }
      mst_mbcomp_process_f64 (m, in + done, 480, out + written, &got);
      written += got;
    }
    double max_step = 0, max_amp = 0;
    size_t start = mst_mbcomp_get_latency (m) + 2400;
    for (size_t i = start + 1; i < written; i++) {
      max_step = fmax (max_step, fabs (out[i] - out[i - 1]));
      max_amp = fmax (max_amp, fabs (out[i]));
    }
    /* A sine's largest step is amp 2 pi f / rate; a click would add a
     * step of the order of amp. */
    double sine_step = amp * 2 * M_PI * freq / rate;
    printf ("  phase %d, lookahead %.0f ms: largest step %.4f (sine %.4f), "
        "peak %.4f\n", phase, lookahead_ms, max_step, sine_step, max_amp);
    MST_CHECK (max_step < 1.3 * sine_step);
    MST_CHECK (max_amp < 1.1 * amp);
    free (in);
    free (out);
    mst_mbcomp_destroy (&m);
  }
}

/* Music-like stereo (a bass line, chords with moving levels, noise
 * bursts, the channels differing) or white noise, peak under 1, @n frames
 * interleaved. */
static double *
test_signal (size_t n, double rate, bool noise, uint32_t seed)
{
  double *x = malloc (sizeof (double) * n * 2);
  for (size_t i = 0; i < n; i++) {
    const double t = i / rate;
    for (int c = 0; c < 2; c++) {
      seed = seed * 1664525u + 1013904223u;
      const double white = (seed >> 8) / 16777216.0 - 0.5;
      if (noise) {
        x[i * 2 + c] = 1.6 * white;
        continue;
      }
      const double env = 0.5 + 0.5 * sin (2 * M_PI * 0.7 * t + c);
      const double burst = fmod (t, 0.25) < 0.03 ? 0.3 : 0.02;
      x[i * 2 + c] = 0.3 * sin (2 * M_PI * 55 * t)
          + 0.15 * env * (sin (2 * M_PI * 440 * t) + sin (2 * M_PI * 554.37
              * t + c) + sin (2 * M_PI * 3520 * t))
          + burst * white;
    }
  }
  return x;
}

/* The neutral path (the defaults: every ratio 1) gives the LR tree's
 * output within 1e-6 (-120 dB), on noise and music-like stereo, at 44.1,
 * 48, 96 and 192 kHz, 1 to 6 bands, left-right and mid-side, without and
 * with a lookahead (odd band counts: 5 ms), F64 and F32 (in place: stereo
 * F32 without latency runs on the frames themselves); it is taken from
 * the start, and with one band it is the input bit for bit. */
static void
test_neutral_path (void)
{
  static const double rates[] = { 44100, 48000, 96000, 192000 };
  double worst = 0, worst_f32 = 0;
  for (int r = 0; r < 4; r++) {
    const size_t n = (size_t) (0.75 * rates[r]);
    for (int sig = 0; sig < 2; sig++) {
      double *in = test_signal (n, rates[r], sig == 0, 5 + r);
      double *out[2] = { malloc (sizeof (double) * n * 2),
        malloc (sizeof (double) * n * 2)
      };
      float *in_f32 = malloc (sizeof (float) * n * 2);
      double *out_f32[2] = { malloc (sizeof (double) * n * 2),
        malloc (sizeof (double) * n * 2)
      };
      for (int nb = 1; nb <= MST_MBCOMP_MAX_BANDS; nb++)
        for (int mode = 0; mode < 2; mode++) {
          MstMbcompSettings s;
          mst_mbcomp_settings_default (&s);
          s.n_bands = nb;
          s.mode = mode;
          const double lookahead_ms = nb % 2 ? 5.0 : 0.0;
          for (int tree = 0; tree < 4; tree++) {
            MstMbcomp *m = make (rates[r], 2, MST_MBCOMP_MINIMUM_PHASE,
                lookahead_ms, &s);
            mst_mbcomp_set_neutral_path (m, !(tree % 2));
            if (tree < 2) {
              MST_CHECK (run_f64 (m, in, n, 2, out[tree], 1000) == n);
            } else {
              for (size_t i = 0; i < n * 2; i++)
                in_f32[i] = (float) in[i];
              MST_CHECK (run_f32 (m, in_f32, n, 2, in_f32, 1000) == n);
              for (size_t i = 0; i < n * 2; i++)
                out_f32[tree - 2][i] = in_f32[i];
            }
            MST_CHECK (mst_mbcomp_get_neutral_entries (m) ==
                (tree % 2 ? 0 : 1));
            mst_mbcomp_destroy (&m);
          }
          double diff = 0;
          for (size_t i = 0; i < n * 2; i++)
            diff = fmax (diff, fabs (out[0][i] - out[1][i]));
          double diff_f32 = 0;
          for (size_t i = 0; i < n * 2; i++)
            diff_f32 = fmax (diff_f32, fabs (out_f32[0][i] - out_f32[1][i]));
          worst = fmax (worst, diff);
          worst_f32 = fmax (worst_f32, diff_f32);
          diff = fmax (diff, diff_f32);
          MST_CHECK_MSG (diff <= 1e-6, "%g Hz, %s, %d bands, %s: the "
              "neutral path %.3g from the tree", rates[r],
              sig ? "music" : "noise", nb, mode ? "M/S" : "L/R", diff);
          if (nb == 1 && lookahead_ms == 0.0) {
            MST_CHECK (memcmp (in, out[0], sizeof (double) * n * 2) == 0);
            for (size_t i = 0; i < n * 2; i++)
              MST_CHECK (out_f32[0][i] == (float) in[i]);
          }
        }
      free (in_f32);
      free (out_f32[0]);
      free (out_f32[1]);
      free (in);
      free (out[0]);
      free (out[1]);
    }
  }
  printf ("  the neutral path within %.2g of the tree (F32: %.2g)\n", worst,
      worst_f32);
}

/* Off the neutral path and back while streaming: the lowest split moved
 * (120 -> 200 Hz: off while it glides, back after), band 2 soloed and
 * unsoloed (back once the weights are 1 again), band 1 set to compress
 * (ratio 4 from -30 dB, release 20 ms) and back to ratio 1 (back once its
 * release is at rest, some 35 time constants): the output
 * stays within 1e-5 of an always-tree run with the same changes at the
 * same frames, switch points included (a tree or an all-pass started
 * cold would be off by the input's level for some ms). 44.1 and 96 kHz,
 * left-right and mid-side, without and with a 5 ms lookahead, F64 and F32
 * (stereo F32 without latency takes the frames themselves), music-like
 * stereo in blocks of 480 frames. */
static void
test_neutral_switches (void)
{
  static const double rates[] = { 44100, 96000 };
  double worst = 0;
  for (int r = 0; r < 2; r++) {
    const double rate = rates[r];
    const size_t n = (size_t) (4.5 * rate), chunk = 480;
    double *in = test_signal (n, rate, false, 21 + r);
    double *out[2] = { malloc (sizeof (double) * n * 2),
      malloc (sizeof (double) * n * 2)
    };
    float *in_f32 = malloc (sizeof (float) * n * 2);
    float *out_f32 = malloc (sizeof (float) * n * 2);
    for (size_t i = 0; i < n * 2; i++)
      in_f32[i] = (float) in[i];
    for (int run = 0; run < 8; run++) {
      const int mode = run % 2;
      const double lookahead_ms = run % 4 < 2 ? 0.0 : 5.0;
      const bool f32 = run >= 4;
      uint64_t entries = 0;
      for (int tree = 0; tree < 2; tree++) {
        MstMbcompSettings s;
        mst_mbcomp_settings_default (&s);
        s.mode = mode;
        MstMbcomp *m = make (rate, 2, MST_MBCOMP_MINIMUM_PHASE,
            lookahead_ms, &s);
        mst_mbcomp_set_neutral_path (m, !tree);
        size_t written = 0, got;
        for (size_t done = 0; done < n; done += chunk) {
          const double t = done / rate;
          const double t1 = (done + chunk) / rate;
          bool change = true;
          if (t < 0.5 && t1 >= 0.5) {
            s.bands[0].crossover_hz = 200;
          } else if (t < 1.5 && t1 >= 1.5) {
            s.bands[2].solo = true;
          } else if (t < 2.0 && t1 >= 2.0) {
            s.bands[2].solo = false;
          } else if (t < 2.5 && t1 >= 2.5) {
            s.bands[1].ratio = 4;
            s.bands[1].threshold_db = -30;
            s.bands[1].release_ms = 20;
          } else if (t < 3.0 && t1 >= 3.0) {
            s.bands[1].ratio = 1;
          } else {
            change = false;
          }
          if (change)
            MST_CHECK (mst_mbcomp_set (m, &s) == MST_OK);
          size_t k = n - done < chunk ? n - done : chunk;
          MST_CHECK ((f32 ? mst_mbcomp_process_f32 (m, in_f32 + done * 2, k,
                      out_f32 + written * 2, &got)
                  : mst_mbcomp_process_f64 (m, in + done * 2, k,
                      out[tree] + written * 2, &got)) == MST_OK);
          written += got;
        }
        MST_CHECK ((f32 ? mst_mbcomp_drain_f32 (m, out_f32 + written * 2,
                    &got) : mst_mbcomp_drain_f64 (m, out[tree] + written * 2,
                    &got)) == MST_OK);
        for (size_t i = 0; f32 && i < n * 2; i++)
          out[tree][i] = out_f32[i];
        MST_CHECK (written + got == n);
        entries = tree ? entries : mst_mbcomp_get_neutral_entries (m);
        mst_mbcomp_destroy (&m);
      }
      /* In at the start, back after the glide, the solo and the
       * compression. */
      MST_CHECK_MSG (entries == 4, "%g Hz run %d: entered the neutral path "
          "%llu times", rate, run, (unsigned long long) entries);
      double diff = 0;
      size_t at = 0;
      for (size_t i = 0; i < n * 2; i++)
        if (fabs (out[0][i] - out[1][i]) > diff) {
          diff = fabs (out[0][i] - out[1][i]);
          at = i / 2;
        }
      worst = fmax (worst, diff);
      printf ("  %6.0f Hz, %s, %s, lookahead %.0f ms: %.2g from the tree "
          "(at %.4f s)\n", rate, f32 ? "F32" : "F64", mode ? "M/S" : "L/R",
          lookahead_ms, diff, at / rate);
      MST_CHECK_MSG (diff < 1e-5, "%g Hz run %d: %.3g from the tree at "
          "frame %zu", rate, run, diff, at);
    }
    free (in_f32);
    free (out_f32);
    free (in);
    free (out[0]);
    free (out[1]);
  }
}

/* NaN, Inf and absurd input: counted, read as silence; the output stays
 * finite and the core recovers. */
static void
test_nonfinite (void)
{
  const size_t n = 9600;
  float *in = malloc (sizeof (float) * n * 2), *out = malloc (sizeof (float)
      * n * 2);
  for (size_t i = 0; i < n * 2; i++)
    in[i] = (float) (0.5 * sin (i * 0.05));
  in[1000] = NAN;
  in[2001] = INFINITY;
  in[3000] = 1e30f;
  MstMbcompSettings s;
  mst_mbcomp_settings_default (&s);
  s.bands[1].ratio = 4;
  for (int phase = 0; phase < 2; phase++) {
    MstMbcomp *m = make (48000, 2, phase, 2.0, &s);
    MST_CHECK (run_f32 (m, in, n, 2, out, 512) == n);
    bool finite = true;
    for (size_t i = 0; i < n * 2; i++)
      finite = finite && isfinite (out[i]);
    MST_CHECK (finite);
    MST_CHECK (mst_mbcomp_get_nonfinite_count (m) == 3);
    mst_mbcomp_destroy (&m);
  }
  free (in);
  free (out);
}

/* set validates every field and applies nothing when one is wrong. */
static void
test_settings (void)
{
  MstMbcomp *m = make (48000, 2, MST_MBCOMP_MINIMUM_PHASE, 0.0, NULL);
  MstMbcompSettings s, bad;
  mst_mbcomp_settings_default (&s);
  MST_CHECK (mst_mbcomp_settings_valid (&s));
  bad = s;
  bad.bands[1].crossover_hz = 50;       /* below band 0's 120 Hz */
  MST_CHECK (mst_mbcomp_set (m, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.n_bands = 7;
  MST_CHECK (mst_mbcomp_set (m, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.bands[5].ratio = 0.5;
  MST_CHECK (mst_mbcomp_set (m, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.bands[2].crossover_hz = 1e6;
  MST_CHECK (mst_mbcomp_set (m, &bad) == MST_ERR_INVALID_ARG);
  /* Only the first n_bands - 1 edges count. */
  bad = s;
  bad.n_bands = 2;
  bad.bands[2].crossover_hz = 50;
  MST_CHECK (mst_mbcomp_set (m, &bad) == MST_OK);
  MST_CHECK (mst_mbcomp_settings_preset (&bad, "gentle"));
  MST_CHECK (mst_mbcomp_settings_valid (&bad) && bad.bands[0].ratio > 1);
  MST_CHECK (mst_mbcomp_settings_preset (&bad, "glue"));
  MST_CHECK (mst_mbcomp_settings_valid (&bad));
  MST_CHECK (!mst_mbcomp_settings_preset (&bad, "loud"));
  MST_CHECK (mst_mbcomp_configure (m, 48000, 2, 0, 1,
          MST_MBCOMP_MINIMUM_PHASE, 25.0) == MST_ERR_INVALID_ARG);
  mst_mbcomp_destroy (&m);
  MST_CHECK (m == NULL);
}

/* CPU ns per stereo F32 frame of 4 bands, compressing (the "glue"
 * settings) and neutral (the defaults), both phases. */
static void
time_core (void)
{
  const double rate = 48000;
  const size_t n = 2812 * 1024, chunk = 1024;    /* about 60 s */
  float *buf = malloc (sizeof (float) * n * 2);
  for (size_t i = 0; i < n * 2; i++)
    buf[i] = (float) (0.3 * sin (i * 0.013) + 0.2 * sin (i * 0.17)
        + 0.1 * ((double) rand () / RAND_MAX - 0.5));
  for (int run = 0; run < 4; run++) {
    const int phase = run % 2;
    const char *preset = run < 2 ? "glue" : "none";
    MstMbcompSettings s;
    mst_mbcomp_settings_preset (&s, preset);
    MstMbcomp *m = make (rate, 2, phase, 0.0, &s);
    struct timespec t0, t1;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (size_t done = 0; done < n; done += chunk) {
      size_t got;
      mst_mbcomp_process_f32 (m, buf + done * 2, chunk, buf + done * 2, &got);
    }
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t1);
    double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec))
        / n;
    printf ("%s phase, 4 bands %s, stereo F32: %.1f ns per frame (%.0fx "
        "real time at 48 kHz)\n", phase ? "linear" : "minimum",
        run < 2 ? "compressing" : "neutral", ns, 1e9 / rate / ns);
    mst_mbcomp_destroy (&m);
  }
  free (buf);
}

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "time") == 0) {
    time_core ();
    return 0;
  }
  MST_RUN (test_flat_sum);
  MST_RUN (test_bypass_exact);
  MST_RUN (test_band_isolation);
  MST_RUN (test_time_constants);
  MST_RUN (test_latency_counts);
  MST_RUN (test_lookahead);
  MST_RUN (test_band_count_change);
  MST_RUN (test_nonfinite);
  MST_RUN (test_settings);
  MST_RUN (test_neutral_path);
  MST_RUN (test_neutral_switches);
  return mst_test_summary ();
}
