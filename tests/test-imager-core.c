/* The imager core and the stereo analysis block on plain arrays: every
 * claim of docs/elements/imager.md about the audio (gains to 0.01 dB,
 * constant-power balance, rotation, swap and polarity, mono bass, band
 * widths, bit-exact neutral, glides without clicks) and the analysis
 * figures of known signals. */
#include "mst-imager.h"
#include "mst-stereo-analysis.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define N (RATE * 2)

static double
power_db (const double *x, size_t n, size_t stride)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += x[i * stride] * x[i * stride];
  return 10.0 * log10 (acc / n);
}

/* Independent noise on L and R, F64 interleaved. */
static double *
noise (size_t n, uint32_t seed)
{
  float *f = malloc (sizeof (float) * 2 * n);
  double *d = malloc (sizeof (double) * 2 * n);
  mst_signal_white_noise (f, n, 2, -20.0, seed);
  mst_signal_to_f64 (f, d, 2 * n);
  free (f);
  return d;
}

static double *
copy (const double *x, size_t n)
{
  double *y = malloc (sizeof (double) * 2 * n);
  memcpy (y, x, sizeof (double) * 2 * n);
  return y;
}

/* An imager with @s, settled (set before configure: no glide). */
static MstImager *
imager_with (const MstImagerSettings * s)
{
  MstImager *im = mst_imager_init ();
  MST_CHECK (im != NULL);
  MST_CHECK (mst_imager_set (im, s) == MST_OK);
  MST_CHECK (mst_imager_configure (im, RATE) == MST_OK);
  return im;
}

/* Mid and side of interleaved frames into separate arrays. */
static void
mid_side (const double *x, size_t n, double *m, double *s)
{
  for (size_t i = 0; i < n; i++) {
    m[i] = (x[2 * i] + x[2 * i + 1]) / 2;
    s[i] = (x[2 * i] - x[2 * i + 1]) / 2;
  }
}

/* Mid and side of an input and its output (N frames each). */
typedef struct {
  double *m0, *s0, *m1, *s1;
} MidSide;

static MidSide
mid_side_of (const double *in, const double *out)
{
  MidSide ms = { malloc (sizeof (double) * N), malloc (sizeof (double) * N),
    malloc (sizeof (double) * N), malloc (sizeof (double) * N)
  };
  mid_side (in, N, ms.m0, ms.s0);
  mid_side (out, N, ms.m1, ms.s1);
  return ms;
}

static void
mid_side_free (MidSide * ms)
{
  free (ms->m0);
  free (ms->s0);
  free (ms->m1);
  free (ms->s1);
}

static void
test_neutral_bit_exact (void)
{
  MstImagerSettings s;
  mst_imager_settings_default (&s);
  MstImager *im = imager_with (&s);
  double *x = noise (N, 1), *y = copy (x, N);
  float *f = malloc (sizeof (float) * 2 * N), *g = malloc (sizeof (float) * 2 * N);
  for (size_t i = 0; i < 2 * N; i++)
    f[i] = g[i] = (float) x[i];
  MST_CHECK (mst_imager_is_passthrough (im));
  mst_imager_process_f64 (im, y, N);
  mst_imager_process_f32 (im, g, N);
  MST_CHECK (memcmp (x, y, sizeof (double) * 2 * N) == 0);
  MST_CHECK (memcmp (f, g, sizeof (float) * 2 * N) == 0);
  /* Away, as far as every setting goes, and back: bit-exact again within
   * 0.2 s (the doc's figure). */
  s.width_pct = 200;
  s.mono_below_hz = 1000;
  s.balance = 100;
  s.rotation_deg = -180;
  s.swap = s.invert_left = true;
  s.side_gain_db = 24;
  s.mid_gain_db = -60;
  s.num_bands = 4;
  mst_imager_set (im, &s);
  mst_imager_process_f64 (im, y, N);
  mst_imager_settings_default (&s);
  mst_imager_set (im, &s);
  memcpy (y, x, sizeof (double) * 2 * N);
  mst_imager_process_f64 (im, y, RATE / 5);
  MST_CHECK (mst_imager_is_passthrough (im));
  memcpy (y, x, sizeof (double) * 2 * N);
  mst_imager_process_f64 (im, y, N);
  MST_CHECK (memcmp (x, y, sizeof (double) * 2 * N) == 0);
  free (x);
  free (y);
  free (f);
  free (g);
  mst_imager_destroy (&im);
  MST_CHECK (im == NULL);
}

/* Width, mid and side gains on noise: the side/mid energy ratios move by
 * what the settings say, to 0.01 dB. */
static void
test_width_and_gains (void)
{
  static const struct { double width, mid_db, side_db; } cases[] = {
    {50, 0, 0}, {200, 0, 0}, {100, -2, 3}, {0, 0, 0}, {137, 1.5, -4.25},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.width_pct = cases[k].width;
    s.mid_gain_db = cases[k].mid_db;
    s.side_gain_db = cases[k].side_db;
    MstImager *im = imager_with (&s);
    double *x = noise (N, 2 + k), *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    MidSide ms = mid_side_of (x, y);
    double *m0 = ms.m0, *s0 = ms.s0, *m1 = ms.m1, *s1 = ms.s1;
    double mid_change = power_db (m1, N, 1) - power_db (m0, N, 1);
    MST_CHECK_CLOSE (mid_change, cases[k].mid_db, 0.01);
    /* F32 takes the one-kernel path on the frames: the same arithmetic,
     * so the F64 output rounded to float, bit for bit. */
    float *f = malloc (sizeof (float) * 2 * N);
    double *xf = malloc (sizeof (double) * 2 * N);
    for (size_t i = 0; i < 2 * N; i++)
      xf[i] = f[i] = (float) x[i];
    mst_imager_reset (im);
    mst_imager_process_f32 (im, f, N);
    mst_imager_reset (im);
    mst_imager_process_f64 (im, xf, N);
    size_t differ = 0;
    for (size_t i = 0; i < 2 * N; i++)
      differ += f[i] != (float) xf[i];
    MST_CHECK_MSG (differ == 0, "F32 path: %zu samples differ", differ);
    free (f);
    free (xf);
    if (cases[k].width > 0) {
      double side_change = power_db (s1, N, 1) - power_db (s0, N, 1);
      MST_CHECK_CLOSE (side_change, cases[k].side_db
          + 20 * log10 (cases[k].width / 100), 0.01);
    } else
      MST_CHECK (power_db (s1, N, 1) < -200);
    free (x);
    free (y);
    mid_side_free (&ms);
    mst_imager_destroy (&im);
  }
}

/* Balance: L^2 + R^2 stays (constant power) and the sides go as the
 * sine/cosine law says. */
static void
test_balance_constant_power (void)
{
  static const double balances[] = { -100, -50, -10, 30, 75, 100 };
  for (size_t k = 0; k < sizeof balances / sizeof balances[0]; k++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.balance = balances[k];
    MstImager *im = imager_with (&s);
    double *x = noise (N, 20), *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    double in = 10 * log10 (pow (10, power_db (x, N, 2) / 10)
        + pow (10, power_db (x + 1, N, 2) / 10));
    double out = 10 * log10 (pow (10, power_db (y, N, 2) / 10)
        + pow (10, power_db (y + 1, N, 2) / 10));
    MST_CHECK_CLOSE (out, in, 0.05);
    double p = (balances[k] + 100) / 200 * M_PI / 2;
    if (balances[k] == -100)
      MST_CHECK (power_db (y + 1, N, 2) < -200);
    else
      MST_CHECK_CLOSE (power_db (y + 1, N, 2) - power_db (x + 1, N, 2),
          20 * log10 (M_SQRT2 * sin (p)), 0.01);
    if (balances[k] == 100)
      MST_CHECK (power_db (y, N, 2) < -200);
    free (x);
    free (y);
    mst_imager_destroy (&im);
  }
}

/* Rotation: a centred source turned by 45 degrees lands on the right, by
 * -45 on the left, with its power; any angle keeps the total power. */
static void
test_rotation (void)
{
  static const double angles[] = { 45, -45, 90, 30 };
  for (size_t k = 0; k < 4; k++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.rotation_deg = angles[k];
    MstImager *im = imager_with (&s);
    double *x = noise (N, 30);
    for (size_t i = 0; i < N; i++)
      x[2 * i + 1] = x[2 * i];  /* centred */
    double *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    double in = power_db (x, N, 2) + 3.0103;
    if (angles[k] == 45) {
      MST_CHECK (power_db (y, N, 2) - in < -150);
      MST_CHECK_CLOSE (power_db (y + 1, N, 2), in, 0.01);
    } else if (angles[k] == -45) {
      MST_CHECK (power_db (y + 1, N, 2) - in < -150);
      MST_CHECK_CLOSE (power_db (y, N, 2), in, 0.01);
    }
    double out = 10 * log10 (pow (10, power_db (y, N, 2) / 10)
        + pow (10, power_db (y + 1, N, 2) / 10));
    MST_CHECK_CLOSE (out, in, 0.01);
    free (x);
    free (y);
    mst_imager_destroy (&im);
  }
}

static void
test_swap_invert (void)
{
  for (int mode = 0; mode < 4; mode++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.swap = mode == 0 || mode == 3;
    s.invert_left = mode == 1 || mode == 3;
    s.invert_right = mode == 2;
    MstImager *im = imager_with (&s);
    double *x = noise (N, 40), *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    double worst = 0;
    for (size_t i = 0; i < N; i++) {
      double l = x[2 * i] * (s.invert_left ? -1 : 1);
      double r = x[2 * i + 1] * (s.invert_right ? -1 : 1);
      double el = s.swap ? r : l, er = s.swap ? l : r;
      worst = fmax (worst, fmax (fabs (y[2 * i] - el), fabs (y[2 * i + 1] - er)));
    }
    MST_CHECK_MSG (worst < 1e-12, "mode %d: error %g", mode, worst);
    free (x);
    free (y);
    mst_imager_destroy (&im);
  }
}

/* Amplitude of the tone @f in @x (stride 1) by correlation with a sine and
 * a cosine over the last second. */
static double
tone_db (const double *x, size_t n, double f)
{
  double c = 0, q = 0;
  size_t from = n - RATE;
  for (size_t i = from; i < n; i++) {
    c += x[i] * cos (2 * M_PI * f * i / RATE);
    q += x[i] * sin (2 * M_PI * f * i / RATE);
  }
  return 20 * log10 (2 * sqrt (c * c + q * q) / RATE);
}

/* Mono bass: side tones below the frequency removed (f/4: more than 40 dB
 * down), above it kept (4 f: within 0.1 dB, phase aside), the mid
 * untouched: L + R is the input's. */
static void
test_mono_below (void)
{
  const double f = 150;
  MstImagerSettings s;
  mst_imager_settings_default (&s);
  s.mono_below_hz = f;
  MstImager *im = imager_with (&s);
  double *x = noise (N, 50);
  /* Mid: noise; side: tones at f/4 and 4 f. */
  for (size_t i = 0; i < N; i++) {
    double m = (x[2 * i] + x[2 * i + 1]) / 2;
    double sd = 0.25 * sin (2 * M_PI * f / 4 * i / RATE)
        + 0.25 * sin (2 * M_PI * f * 4 * i / RATE);
    x[2 * i] = m + sd;
    x[2 * i + 1] = m - sd;
  }
  double *y = copy (x, N);
  mst_imager_process_f64 (im, y, N);
  MidSide ms = mid_side_of (x, y);
  double *m0 = ms.m0, *s0 = ms.s0, *m1 = ms.m1, *s1 = ms.s1;
  double low_in = tone_db (s0, N, f / 4), low_out = tone_db (s1, N, f / 4);
  double high_in = tone_db (s0, N, 4 * f), high_out = tone_db (s1, N, 4 * f);
  MST_CHECK_MSG (low_out - low_in < -40, "f/4 side: %.1f dB", low_out - low_in);
  MST_CHECK_CLOSE (high_out - high_in, 0.0, 0.1);
  double worst = 0;
  for (size_t i = 0; i < N; i++)
    worst = fmax (worst, fabs (m1[i] - m0[i]));
  MST_CHECK_MSG (worst < 1e-12, "mid moved by %g", worst);
  /* F32: mid within float rounding. */
  float *f32 = malloc (sizeof (float) * 2 * N);
  for (size_t i = 0; i < 2 * N; i++)
    f32[i] = (float) x[i];
  mst_imager_reset (im);
  mst_imager_process_f32 (im, f32, N);
  worst = 0;
  for (size_t i = 0; i < N; i++)
    worst = fmax (worst, fabs ((f32[2 * i] + f32[2 * i + 1]) / 2.0 - m0[i]));
  MST_CHECK_MSG (worst < 1e-6, "F32 mid moved by %g", worst);
  free (f32);
  free (x);
  free (y);
  mid_side_free (&ms);
  mst_imager_destroy (&im);
}

/* Multiband width: four bands split at 100 Hz, 1 kHz and 10 kHz with
 * widths 50, 100, 0 and 150 %: side tones well inside each band (1.66
 * octaves from the splits) come out at those widths (0.5 dB: what the
 * neighbouring bands leak); mono bass under the bands. */
static void
test_multiband_width (void)
{
  MstImagerSettings s;
  mst_imager_settings_default (&s);
  s.num_bands = 4;
  s.split_hz[0] = 100;
  s.split_hz[1] = 1000;
  s.split_hz[2] = 10000;
  s.band_width_pct[0] = 50;
  s.band_width_pct[1] = 100;
  s.band_width_pct[2] = 0;
  s.band_width_pct[3] = 150;
  static const double tones[4] = { 25, 316, 3162, 22000 };
  static const double expect_db[4] = { -6.0206, 0, -200, 3.5218 };
  for (int mono = 0; mono < 2; mono++) {
    s.mono_below_hz = mono ? 12 : 0;
    MstImager *im = imager_with (&s);
    double *x = calloc (2 * N, sizeof (double));
    for (size_t i = 0; i < N; i++)
      for (int t = 0; t < 4; t++) {
        double v = 0.1 * sin (2 * M_PI * tones[t] * i / RATE + t);
        x[2 * i] += v;
        x[2 * i + 1] -= v;
      }
    double *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    MidSide ms = mid_side_of (x, y);
    for (int t = mono; t < 4; t++) {
      double change = tone_db (ms.s1, N, tones[t]) - tone_db (ms.s0, N,
          tones[t]);
      if (expect_db[t] < -100)
        MST_CHECK_MSG (change < -30, "tone %g: %.2f dB", tones[t], change);
      else
        MST_CHECK_MSG (fabs (change - expect_db[t]) < 0.5,
            "mono %d tone %g: %.3f dB, expected %.3f", mono, tones[t], change,
            expect_db[t]);
    }
    free (x);
    free (y);
    mid_side_free (&ms);
    mst_imager_destroy (&im);
  }
}

/* Left-only noise (F64) through 2, 3 and 4 bands of one width: at 100 %
 * bit-exact (the right channel exactly 0, F32 too); at 60 % the same as
 * width 60 bit for bit; with the top band 1e-7 wider (the split at work,
 * the mid through the all-pass) the right channel more than 120 dB under
 * the left. */
static void
test_multiband_equal_widths (void)
{
  double *x = noise (N, 90);
  for (size_t i = 0; i < N; i++)
    x[2 * i + 1] = 0;
  for (int nb = 2; nb <= MST_IMAGER_MAX_BANDS; nb++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.num_bands = nb;
    MstImager *im = imager_with (&s);
    double *y = copy (x, N);
    float *f = malloc (sizeof (float) * 2 * N), *g = malloc (sizeof (float) * 2 * N);
    for (size_t i = 0; i < 2 * N; i++)
      f[i] = g[i] = (float) x[i];
    mst_imager_process_f64 (im, y, N);
    mst_imager_process_f32 (im, g, N);
    MST_CHECK_MSG (memcmp (x, y, sizeof (double) * 2 * N) == 0
        && memcmp (f, g, sizeof (float) * 2 * N) == 0,
        "%d bands at 100 %%: not bit-exact", nb);
    mst_imager_destroy (&im);
    /* 60 % each against width 60. */
    for (int b = 0; b < nb; b++)
      s.band_width_pct[b] = 60;
    im = imager_with (&s);
    MstImagerSettings w;
    mst_imager_settings_default (&w);
    w.width_pct = 60;
    MstImager *iw = imager_with (&w);
    double *z = copy (x, N);
    memcpy (y, x, sizeof (double) * 2 * N);
    mst_imager_process_f64 (im, y, N);
    mst_imager_process_f64 (iw, z, N);
    MST_CHECK_MSG (memcmp (y, z, sizeof (double) * 2 * N) == 0,
        "%d bands at 60 %%: not width 60", nb);
    mst_imager_destroy (&im);
    mst_imager_destroy (&iw);
    /* The split at work, widths equal but for 1e-7. */
    for (int b = 0; b < nb; b++)
      s.band_width_pct[b] = 100;
    s.band_width_pct[nb - 1] = 100 * (1 + 1e-7);
    im = imager_with (&s);
    memcpy (y, x, sizeof (double) * 2 * N);
    mst_imager_process_f64 (im, y, N);
    double leak = power_db (y + 1, N, 2) - power_db (y, N, 2);
    MST_CHECK_MSG (leak < -120, "%d bands, split: right %.1f dB", nb, leak);
    printf ("  %d bands, widths 1e-7 apart: right %.1f dB under the left\n",
        nb, -leak);
    mst_imager_destroy (&im);
    free (y);
    free (z);
    free (f);
    free (g);
  }
  free (x);
}

/* |LR4 side| of split @split_hz at @f (high or low side), the bilinear
 * transform's warping included: x^4 / (1 + x^4) or 1 / (1 + x^4). */
static double
lr4_gain (bool high, double f, double split_hz)
{
  double x = tan (M_PI * f / RATE) / tan (M_PI * split_hz / RATE);
  double x4 = x * x * x * x;
  return high ? x4 / (1 + x4) : 1 / (1 + x4);
}

/* The side's gain the band widths @w imply at @f, relative to the mid
 * (both through the crossover's all-pass, with which LR4 bands are in
 * phase): the sum of w_b times band b's gain, the high sides of the splits
 * below it times the low side of its own. */
static double
width_gain (const double *splits, int n_splits, const double *w, double f)
{
  double g = 0, below = 1;
  for (int b = 0; b <= n_splits; b++) {
    double own = b < n_splits ? lr4_gain (false, f, splits[b]) : 1;
    g += w[b] * below * own;
    if (b < n_splits)
      below *= lr4_gain (true, f, splits[b]);
  }
  return g;
}

/* Unequal widths on left-only band-limited pseudo-noise (64 tones at whole
 * hertz, random phases, log-spaced across one band): the output's
 * side/mid ratio and its right channel against the left input are what
 * the widths imply, within 0.05 dB (the expected figures from the
 * Linkwitz-Riley magnitudes, not from the code): 3 bands 50/100/150 %,
 * 4 bands 150/50/100/75 %, and 3 bands with mono bass under them. */
static void
test_multiband_unequal_widths (void)
{
  static const struct {
    int n_bands;
    double mono_hz, split[3], width[4];
  } cases[] = {
    {3, 0, {200, 2000}, {50, 100, 150}},
    {4, 0, {150, 1000, 6000}, {150, 50, 100, 75}},
    {3, 100, {500, 4000}, {50, 100, 150}},
  };
  const size_t n = RATE + RATE / 2;
  double *x = malloc (sizeof (double) * 2 * n);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.num_bands = cases[k].n_bands;
    s.mono_below_hz = cases[k].mono_hz;
    memcpy (s.split_hz, cases[k].split, sizeof (double) * (s.num_bands - 1));
    memcpy (s.band_width_pct, cases[k].width, sizeof (double) * s.num_bands);
    /* The crossover the imager builds: the mono split (weight 0) first. */
    double splits[4], w[5];
    int n_splits = 0, mono = cases[k].mono_hz > 0;
    if (mono) {
      splits[n_splits++] = cases[k].mono_hz;
      w[0] = 0;
    }
    for (int b = 0; b < s.num_bands; b++) {
      w[mono + b] = cases[k].width[b] / 100;
      if (b < s.num_bands - 1)
        splits[n_splits++] = cases[k].split[b];
    }
    for (int band = 0; band < s.num_bands; band++) {
      double lo = band ? cases[k].split[band - 1] : fmax (20, 2 * cases[k].mono_hz);
      double hi = band < s.num_bands - 1 ? cases[k].split[band] : 20000;
      double f[64], a2 = 0, side2 = 0, right2 = 0;
      uint32_t seed = 7 + band;
      memset (x, 0, sizeof (double) * 2 * n);
      for (int t = 0; t < 64; t++) {
        f[t] = round (lo * pow (hi / lo, (t + 0.5) / 64));
        seed = seed * 1664525u + 1013904223u;
        double phase = 2 * M_PI * (seed >> 8) / 16777216.0;
        for (size_t i = 0; i < n; i++)
          x[2 * i] += 0.02 * sin (2 * M_PI * f[t] * i / RATE + phase);
        double g = width_gain (splits, n_splits, w, f[t]);
        a2 += 1;
        side2 += g * g;
        right2 += (1 - g) * (1 - g) / 4;
      }
      MstImager *im = imager_with (&s);
      double *y = copy (x, n);
      mst_imager_process_f64 (im, y, n);
      /* The last second: whole periods of every tone. */
      double *m1 = malloc (sizeof (double) * RATE), *s1 = malloc (sizeof (double) * RATE);
      mid_side (y + 2 * (n - RATE), RATE, m1, s1);
      double side_mid = power_db (s1, RATE, 1) - power_db (m1, RATE, 1);
      double right = power_db (y + 2 * (n - RATE) + 1, RATE, 2)
          - power_db (x + 2 * (n - RATE), RATE, 2);
      double want_sm = 10 * log10 (side2 / a2), want_r = 10 * log10 (right2 / a2);
      MST_CHECK_MSG (fabs (side_mid - want_sm) < 0.05 && fabs (right - want_r)
          < 0.05, "case %zu band %d: side/mid %.3f dB (%.3f), right %.3f dB "
          "(%.3f)", k, band, side_mid, want_sm, right, want_r);
      printf ("  case %zu band %d (%g-%g Hz): side/mid %+.3f dB (%+.3f), "
          "right %.2f dB (%.2f)\n", k, band, lo, hi, side_mid, want_sm, right,
          want_r);
      free (m1);
      free (s1);
      free (y);
      mst_imager_destroy (&im);
    }
  }
  free (x);
}

/* Mono bass alone keeps its design (the mid untouched, the side
 * high-passed): a left-only tone comes out as (1 + H) / 2 on the left and
 * (1 - H) / 2 on the right, H the LR4 high side (its all-pass phase
 * included): below the split in both channels at -6.02 dB (mono bass),
 * above it partly in the right (the side's phase against the mid). Tones
 * at f / 4, f, 4 f and 16 f for f = 150 Hz, within 0.05 dB. */
static void
test_mono_below_hard_panned (void)
{
  const double fc = 150, ratios[] = { 0.25, 1, 4, 16 };
  MstImagerSettings s;
  mst_imager_settings_default (&s);
  s.mono_below_hz = fc;
  for (int k = 0; k < 4; k++) {
    double f = fc * ratios[k];
    double *x = calloc (2 * N, sizeof (double));
    for (size_t i = 0; i < N; i++)
      x[2 * i] = 0.5 * sin (2 * M_PI * f * i / RATE);
    MstImager *im = imager_with (&s);
    double *y = copy (x, N);
    mst_imager_process_f64 (im, y, N);
    double *l = malloc (sizeof (double) * N), *r = malloc (sizeof (double) * N),
        *l0 = malloc (sizeof (double) * N);
    for (size_t i = 0; i < N; i++) {
      l[i] = y[2 * i];
      r[i] = y[2 * i + 1];
      l0[i] = x[2 * i];
    }
    /* H = all-pass times |high side|; LR4's all-pass D(-s) / D(s),
     * D = s^2 + sqrt 2 s + 1, at s = j x (warped). */
    double xw = tan (M_PI * f / RATE) / tan (M_PI * fc / RATE);
    double complex d = 1 - xw * xw + I * M_SQRT2 * xw;
    double complex h = conj (d) / d * lr4_gain (true, f, fc);
    double want_l = 20 * log10 (cabs (1 + h) / 2);
    double want_r = 20 * log10 (cabs (1 - h) / 2);
    double in = tone_db (l0, N, f);
    double got_l = tone_db (l, N, f) - in, got_r = tone_db (r, N, f) - in;
    MST_CHECK_MSG (fabs (got_l - want_l) < 0.05 && fabs (got_r - want_r)
        < 0.05, "%g Hz: left %.3f dB (%.3f), right %.3f dB (%.3f)", f, got_l,
        want_l, got_r, want_r);
    printf ("  mono-below %g, left-only %g Hz: left %+.2f dB, right %+.2f dB\n",
        fc, f, got_l, got_r);
    free (x);
    free (y);
    free (l);
    free (r);
    free (l0);
    mst_imager_destroy (&im);
  }
}

/* The pack's click measure (tests/test-conventions.c): the largest step
 * and second difference of channel @c of @y, each over what a sine of
 * frequency @f with the output's local amplitude (the peak within a
 * period either side) can make. */
static void
click_excess (const double *y, size_t n, int c, double f, double *step,
    double *curve)
{
  const double k1 = 2 * sin (M_PI * f / RATE);
  const size_t period = (size_t) ceil (RATE / f);
  *step = *curve = 0;
  for (size_t i = RATE / 100; i + period < n; i++) {
    double amp = 0;
    for (size_t j = i - period; j <= i + period; j++)
      amp = fmax (amp, fabs (y[2 * j + c]));
    double d1 = fabs (y[2 * i + c] - y[2 * (i - 1) + c]);
    double d2 = fabs (y[2 * i + c] - 2 * y[2 * (i - 1) + c]
        + y[2 * (i - 2) + c]);
    *step = fmax (*step, d1 / (amp * k1 + 1e-12));
    *curve = fmax (*curve, d2 / (amp * k1 * k1 + 1e-12));
  }
}

/* Automation from equal widths to unequal and back (band 1 of the default
 * splits 120 Hz, 1 kHz, 6 kHz from 100 to 150 % over 0.5 s and back,
 * settings taken every 64 frames as the element's controller does) on a
 * left-only 997 Hz sine, at the 1 kHz split where the mid's all-pass
 * turns it by some 180 degrees (the crossfade's worst case): no step or
 * second difference beyond the conventions' bounds (1.05 and 1.1 times a
 * sine's at the local amplitude), and the width moved the output. */
static void
test_multiband_automation_no_click (void)
{
  const double f = 997;
  const size_t n = 2 * RATE;
  double *x = calloc (2 * n, sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[2 * i] = 0.5 * sin (2 * M_PI * f * i / RATE);
  for (int nb = 3; nb <= 4; nb++) {
    MstImagerSettings s;
    mst_imager_settings_default (&s);
    s.num_bands = nb;
    MstImager *im = imager_with (&s);
    double *y = copy (x, n);
    for (size_t at = 0; at < n; at += 64) {
      double t = (double) at / RATE;
      double pct = t < 0.5 ? 100 : t < 1.0 ? 100 + 100 * (t - 0.5)
          : t < 1.5 ? 150 - 100 * (t - 1.0) : 100;
      s.band_width_pct[1] = pct;
      MST_CHECK (mst_imager_set (im, &s) == MST_OK);
      mst_imager_process_f64 (im, y + 2 * at, 64);
    }
    for (int c = 0; c < 2; c++) {
      double step, curve;
      click_excess (y, n, c, f, &step, &curve);
      MST_CHECK_MSG (step <= 1.05 && curve <= 1.1, "%d bands, channel %d: "
          "step %.3f, second difference %.3f of a sine's", nb, c, step, curve);
      printf ("  %d bands, channel %d: step %.3f, second difference %.3f of "
          "a sine's\n", nb, c, step, curve);
    }
    /* At 150 % the right channel carries the leak the width implies; at
     * 100 % (the last 0.4 s, fade back over) it is silent again. */
    double r_mid = 0, r_end = 0;
    for (size_t i = RATE - RATE / 10; i < RATE; i++)
      r_mid = fmax (r_mid, fabs (y[2 * i + 1]));
    for (size_t i = n - 2 * RATE / 5; i < n; i++)
      r_end = fmax (r_end, fabs (y[2 * i + 1]));
    MST_CHECK_MSG (r_mid > 0.01 && r_end == 0.0, "right %g at 150 %%, %g "
        "back at 100 %%", r_mid, r_end);
    free (y);
    mst_imager_destroy (&im);
  }
  free (x);
}

/* Largest step between neighbouring samples of either channel. */
static double
max_step (const double *y, size_t n)
{
  double worst = 0;
  for (size_t i = 1; i < n; i++)
    for (int c = 0; c < 2; c++)
      worst = fmax (worst, fabs (y[2 * i + c] - y[2 * (i - 1) + c]));
  return worst;
}

/* Every change while playing glides: on a 200 Hz sine with a side
 * component, no output step exceeds what the steady signals at either
 * setting make, plus 15 % (a glide adds its own slope: a gain moving by 1
 * with a 10 ms time constant adds at most 1 / 480 of the side's amplitude
 * a sample; a hard switch would step by up to the difference of the two
 * outputs, some 30 times the bound here). */
static void
test_automation_no_clicks (void)
{
  for (int what = 0; what < 7; what++) {
    MstImagerSettings a, b;
    mst_imager_settings_default (&a);
    b = a;
    switch (what) {
      case 0: b.width_pct = 0; break;
      case 1: b.mono_below_hz = 300; break;
      case 2: b.swap = true; break;
      case 3: b.invert_left = true; break;
      case 4: b.balance = 100; b.rotation_deg = 90; break;
      case 5: b.num_bands = 3; b.band_width_pct[1] = 200; break;
      case 6: b.bypass = true; a.width_pct = 200; a.mono_below_hz = 500; break;
    }
    double *x = malloc (sizeof (double) * 2 * N);
    for (size_t i = 0; i < N; i++) {
      x[2 * i] = 0.5 * sin (2 * M_PI * 200 * i / RATE);
      x[2 * i + 1] = 0.3 * sin (2 * M_PI * 200 * i / RATE + 1);
    }
    double *ya = copy (x, N), *yb = copy (x, N), *y = copy (x, N);
    MstImager *ia = imager_with (&a), *ib = imager_with (&b),
        *im = imager_with (&a);
    mst_imager_process_f64 (ia, ya, N);
    mst_imager_process_f64 (ib, yb, N);
    double bound = 1.15 * fmax (max_step (ya + N, N / 2),
        max_step (yb + N, N / 2));
    /* Switched after 0.25 s, in the middle of a buffer of 256. */
    for (size_t at = 0; at < N; at += 256) {
      if (at >= RATE / 4 && at < RATE / 4 + 256)
        mst_imager_set (im, &b);
      mst_imager_process_f64 (im, y + 2 * at, 256 < N - at ? 256 : N - at);
    }
    double step = max_step (y + 2 * (RATE / 10), N - RATE / 10);
    MST_CHECK_MSG (step <= bound, "change %d: step %.4f over %.4f", what,
        step, bound);
    /* And it reached the target: the last half-second as b's. */
    double worst = 0;
    for (size_t i = N - RATE / 2; i < N; i++)
      worst = fmax (worst, fabs (y[2 * i] - yb[2 * i]));
    MST_CHECK_MSG (worst < 1e-3, "change %d: %.2g from target", what, worst);
    free (x);
    free (ya);
    free (yb);
    free (y);
    mst_imager_destroy (&ia);
    mst_imager_destroy (&ib);
    mst_imager_destroy (&im);
  }
}

static void
test_nonfinite (void)
{
  MstImagerSettings s;
  mst_imager_settings_default (&s);
  s.mono_below_hz = 100;
  s.width_pct = 150;
  MstImager *im = imager_with (&s);
  double *x = noise (RATE, 60);
  x[1001] = NAN;
  x[2000] = INFINITY;
  mst_imager_process_f64 (im, x, RATE);
  bool finite = true;
  for (size_t i = 0; i < 2 * RATE; i++)
    finite &= isfinite (x[i]);
  MST_CHECK (finite);
  MST_CHECK (mst_imager_get_nonfinite_count (im) >= 1);
  free (x);
  mst_imager_destroy (&im);
  /* Out-of-range settings are refused whole. */
  MstImager *im2 = mst_imager_init ();
  mst_imager_settings_default (&s);
  s.width_pct = 250;
  MST_CHECK (mst_imager_set (im2, &s) == MST_ERR_INVALID_ARG);
  s.width_pct = NAN;
  MST_CHECK (mst_imager_set (im2, &s) == MST_ERR_INVALID_ARG);
  mst_imager_settings_default (&s);
  s.mono_below_hz = 5;
  MST_CHECK (mst_imager_set (im2, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_imager_configure (im2, 1000) == MST_ERR_INVALID_ARG);
  mst_imager_destroy (&im2);
}

static void
figures_of (const double *x, size_t n, MstStereoFigures * f)
{
  MstStereoSums sums;
  mst_stereo_sums_clear (&sums);
  mst_stereo_sums_add (&sums, x, n, 2, 0, 1, MST_FORMAT_F64);
  mst_stereo_figures (&sums, f);
}

/* Correlation of known signals: identical +1, inverted -1, independent
 * noise near 0, a mix of known correlation; the fold-down loss of each:
 * 0 dB, at the floor, -3.01 dB, 10 log10 ((1 + rho) / 2); one channel
 * alone -3.01 dB; balance and side/mid. */
static void
test_analysis_known_signals (void)
{
  MstStereoFigures f;
  double *x = noise (N, 70), *y = copy (x, N);
  figures_of (x, N, &f);
  MST_CHECK (fabs (f.correlation) < 0.02);
  MST_CHECK_CLOSE (f.mono_loss_db, -3.0103, 0.1);
  MST_CHECK_CLOSE (f.side_mid_db, 0.0, 0.1);
  MST_CHECK_CLOSE (f.balance_db, 0.0, 0.1);
  for (size_t i = 0; i < N; i++)
    y[2 * i + 1] = y[2 * i];
  figures_of (y, N, &f);
  MST_CHECK_CLOSE (f.correlation, 1.0, 1e-12);
  MST_CHECK_CLOSE (f.mono_loss_db, 0.0, 1e-9);
  MST_CHECK (f.side_mid_db == -MST_STEREO_MAX_DB);
  for (size_t i = 0; i < N; i++)
    y[2 * i + 1] = -y[2 * i];
  figures_of (y, N, &f);
  MST_CHECK_CLOSE (f.correlation, -1.0, 1e-12);
  MST_CHECK (f.mono_loss_db == -MST_STEREO_MAX_DB);
  /* rho = 0.5: R = 0.5 L + sqrt (0.75) N, equal power. */
  for (size_t i = 0; i < N; i++)
    y[2 * i + 1] = 0.5 * x[2 * i] + sqrt (0.75) * x[2 * i + 1];
  figures_of (y, N, &f);
  MST_CHECK_CLOSE (f.correlation, 0.5, 0.02);
  MST_CHECK_CLOSE (f.mono_loss_db, 10 * log10 (0.75), 0.1);
  /* One channel alone; and 6 dB to the right. */
  for (size_t i = 0; i < N; i++) {
    y[2 * i] = x[2 * i];
    y[2 * i + 1] = 0;
  }
  figures_of (y, N, &f);
  MST_CHECK_CLOSE (f.mono_loss_db, -3.0103, 1e-6);
  MST_CHECK (f.correlation == 0.0);
  for (size_t i = 0; i < N; i++)
    y[2 * i + 1] = 2 * x[2 * i];
  figures_of (y, N, &f);
  MST_CHECK_CLOSE (f.balance_db, 6.0206, 1e-6);
  MST_CHECK_CLOSE (f.correlation, 1.0, 1e-12);
  free (x);
  free (y);
}

/* The windowed meter: a second of identical channels then a second of
 * inverted ones: minimum -1, windows below 0 counted, the mean between;
 * silence does not count. */
static void
test_analysis_windows (void)
{
  double *x = noise (3 * RATE, 80);
  for (size_t i = 0; i < 3 * (size_t) RATE; i++) {
    if (i < RATE)
      x[2 * i + 1] = x[2 * i];
    else if (i < 2 * (size_t) RATE)
      x[2 * i + 1] = -x[2 * i];
    else
      x[2 * i] = x[2 * i + 1] = 0;
  }
  MstStereoMeter m;
  mst_stereo_meter_init (&m, RATE);
  for (size_t at = 0; at < 3 * (size_t) RATE; at += 777) {
    size_t n = 3 * (size_t) RATE - at < 777 ? 3 * (size_t) RATE - at : 777;
    mst_stereo_meter_add (&m, x + 2 * at, n, 2, 0, 1, MST_FORMAT_F64);
  }
  MST_CHECK_CLOSE (m.correlation_min, -1.0, 1e-9);
  /* Negative: 7 inverted windows, 3 from inverted into silence, 1 or 2
   * across the change (+1 to -1). */
  MST_CHECK (m.n_windows_negative >= 11 && m.n_windows_negative <= 12);
  /* Windows: 7 within the first second, 3 across, 7 in the second, the
   * rest partly silent but above the gate. */
  MST_CHECK (m.n_windows >= 17 && m.n_windows <= 27);
  double mean = mst_stereo_meter_correlation_mean (&m);
  MST_CHECK (mean > -0.5 && mean < 0.5);
  MST_CHECK_CLOSE (m.correlation_min_at_s, 1.0, 0.31);
  free (x);
}

int
main (void)
{
  MST_RUN (test_neutral_bit_exact);
  MST_RUN (test_width_and_gains);
  MST_RUN (test_balance_constant_power);
  MST_RUN (test_rotation);
  MST_RUN (test_swap_invert);
  MST_RUN (test_mono_below);
  MST_RUN (test_multiband_width);
  MST_RUN (test_multiband_equal_widths);
  MST_RUN (test_multiband_unequal_widths);
  MST_RUN (test_mono_below_hard_panned);
  MST_RUN (test_multiband_automation_no_click);
  MST_RUN (test_automation_no_clicks);
  MST_RUN (test_nonfinite);
  MST_RUN (test_analysis_known_signals);
  MST_RUN (test_analysis_windows);
  return mst_test_summary ();
}
