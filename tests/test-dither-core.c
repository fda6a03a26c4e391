/* The dither core on plain arrays: the error spectrum against each curve's
 * design, threshold-weighted noise against flat TPDF, no correlated
 * distortion, no noise modulation, exact on-grid input, auto-blank,
 * stability on full-scale and clipped input, a curve per rate, non-finite
 * input. Figures are printed for docs/elements/dither.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mst-dither.h"
#include "mst-fft.h"
#include "mst-test.h"

#define SEG 4096
#define N_BANDS 32
#define LSB16 (1.0 / 32768.0)

static const int rates[] = { 44100, 48000, 88200, 96000 };
static const MstDitherShaping shapings[] = { MST_DITHER_NONE,
  MST_DITHER_LIPSHITZ, MST_DITHER_F_WEIGHTED, MST_DITHER_HIGH
};
static const char *const shaping_names[] = { "none", "lipshitz",
  "f-weighted", "high"
};

static MstDither *
make (int rate, int channels, int bits, MstDitherShaping shaping,
    bool auto_blank)
{
  MstDither *d = mst_dither_init (channels);
  MstDitherSettings s;
  mst_dither_settings_default (&s);
  s.shaping = shaping;
  s.auto_blank = auto_blank;
  s.seed = 1234;
  MST_CHECK (d != NULL);
  MST_CHECK (mst_dither_set (d, &s) == MST_OK);
  MST_CHECK (mst_dither_configure (d, rate, channels, bits) == MST_OK);
  return d;
}

/* Sample @i of a quantised output of @bits, as a count of LSBs. */
static double
out_lsb (const void *out, size_t i, int bits)
{
  if (bits == 16)
    return ((const int16_t *) out)[i];
  if (bits == 32)
    return ((const int32_t *) out)[i];
  const uint8_t *p = (const uint8_t *) out + 3 * i;
  int32_t v = (int32_t) ((uint32_t) p[0] << 8 | (uint32_t) p[1] << 16
      | (uint32_t) p[2] << 24);
  return v >> 8;
}

/* The error out - in (LSB) of @n mono samples of @x at 16 bits. */
static double *
error_of (MstDither * d, const double *x, size_t n)
{
  int16_t *y = malloc (n * sizeof *y);
  double *e = malloc (n * sizeof *e);
  MST_CHECK (mst_dither_process_f64 (d, x, n, y) == MST_OK);
  for (size_t i = 0; i < n; i++)
    e[i] = y[i] - x[i] * 32768.0;
  free (y);
  return e;
}

/* Welch's averaged periodogram of @e (Hann, SEG points, half overlap) in
 * LSB^2 a bin: white noise of variance v reads v in every bin. */
static void
periodogram (const double *e, size_t n, double *psd)
{
  MstFft *fft = mst_fft_new_real (SEG);
  float *buf = mst_fft_alloc_real (SEG);
  MstFftComplex *spec = mst_fft_alloc_complex (SEG / 2 + 1);
  double w[SEG], w2 = 0;
  int count = 0;
  for (int i = 0; i < SEG; i++) {
    w[i] = 0.5 - 0.5 * cos (2 * M_PI * i / SEG);
    w2 += w[i] * w[i];
  }
  memset (psd, 0, (SEG / 2 + 1) * sizeof *psd);
  for (size_t at = 0; at + SEG <= n; at += SEG / 2, count++) {
    for (int i = 0; i < SEG; i++)
      buf[i] = (float) (e[at + i] * w[i]);
    mst_fft_forward_real (fft, buf, spec);
    for (int k = 0; k <= SEG / 2; k++)
      psd[k] += ((double) spec[k][0] * spec[k][0]
          + (double) spec[k][1] * spec[k][1]) / w2;
  }
  for (int k = 0; k <= SEG / 2; k++)
    psd[k] /= count;
  mst_fft_free_buffer (buf);
  mst_fft_free_buffer (spec);
  mst_fft_free (fft);
}

/* |A(f)|^2 of @shape (1 for NULL). */
static double
design_gain (const MstDitherShape * shape, double f, int rate)
{
  double re = 1.0, im = 0.0;
  if (!shape)
    return 1.0;
  for (int k = 0; k < shape->n_taps; k++) {
    re += shape->a[k] * cos (2 * M_PI * f / rate * (k + 1));
    im -= shape->a[k] * sin (2 * M_PI * f / rate * (k + 1));
  }
  return re * re + im * im;
}

/* The threshold-weighted power of @psd (LSB^2), the weighting normalised
 * to 1: flat TPDF reads 1/4. */
static double
weighted (const double *psd, int rate)
{
  double num = 0, den = 0;
  for (int k = 1; k <= SEG / 2; k++) {
    double wgt = pow (10.0, -mst_dither_threshold_db ((double) k * rate / SEG)
        / 10.0);
    num += wgt * psd[k];
    den += wgt;
  }
  return num / den;
}

/* Music-like test input: two tones and a slow sweep at -30 dBFS. */
static double *
test_signal (size_t n, int rate)
{
  double *x = malloc (n * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    double t = (double) i / rate;
    x[i] = 0.01 * sin (2 * M_PI * 440 * t) + 0.01 * sin (2 * M_PI * 3150 * t)
        + 0.01 * sin (2 * M_PI * (100 + 2000 * t) * t);
  }
  return x;
}

#define N_SPEC (1 << 19)

/* The error spectrum follows the design within 1 dB in every band, at
 * every rate and curve; weighted noise and total power printed. */
static void
test_spectrum_follows_design (void)
{
  double psd[SEG / 2 + 1];
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    int rate = rates[r];
    double *x = test_signal (N_SPEC, rate);
    double flat_weighted = 0, lip_weighted = 0, prev_weighted = 0;
    for (size_t s = 0; s < 4; s++) {
      MstDither *d = make (rate, 1, 16, shapings[s], false);
      const MstDitherShape *shape = mst_dither_find_shape (shapings[s], rate);
      MST_CHECK_MSG (s == 0 ? shape == NULL : shape != NULL, "%d %s", rate,
          shaping_names[s]);
      MST_CHECK (mst_dither_get_shape (d) == shapings[s]);
      double *e = error_of (d, x, N_SPEC);
      periodogram (e, N_SPEC, psd);
      double worst = 0;
      for (int b = 0; b < N_BANDS; b++) {
        int k0 = 1 + b * (SEG / 2) / N_BANDS, k1 = (b + 1) * (SEG / 2)
            / N_BANDS;
        double meas = 0, want = 0;
        for (int k = k0; k <= k1; k++) {
          meas += psd[k];
          want += 0.25 * design_gain (shape, (double) k * rate / SEG, rate);
        }
        double dev = 10 * log10 (meas / want);
        if (fabs (dev) > fabs (worst))
          worst = dev;
      }
      MST_CHECK_MSG (fabs (worst) <= 1.0, "%d Hz %s: a band %.2f dB off its "
          "design", rate, shaping_names[s], worst);
      double power = 0;
      for (size_t i = 0; i < N_SPEC; i++)
        power += e[i] * e[i];
      power /= N_SPEC;
      double wp = weighted (psd, rate);
      if (s == 0)
        flat_weighted = wp;
      double gain = 10 * log10 (wp / flat_weighted);
      printf ("  %5d Hz %-10s worst band %+.2f dB; noise power %+.2f dB re "
          "flat TPDF (%.1f dBFS at 16 bits); threshold-weighted %+.2f dB\n",
          rate, shaping_names[s], worst, 10 * log10 (power / 0.25),
          10 * log10 (power) + 20 * log10 (LSB16), gain);
      if (s == 0)
        MST_CHECK_CLOSE (10 * log10 (power / 0.25), 0.0, 0.1);
      if (s == 1)
        lip_weighted = wp;
      if (s == 1 && rate == 44100)
        MST_CHECK_MSG (gain <= -9.0, "lipshitz at 44.1 kHz: %.2f dB", gain);
      if (s >= 2)
        MST_CHECK_MSG (wp < prev_weighted, "%d Hz %s: %.2f dB, no lower than "
            "the curve before", rate, shaping_names[s], gain);
      prev_weighted = wp;
      (void) lip_weighted;
      free (e);
      mst_dither_destroy (&d);
    }
    free (x);
  }
}

/* Power (LSB^2) of the coherent harmonics h = 2..10 of a tone at bin @k0
 * of @psd, against the median of the bins around each. Returns the
 * largest ratio (dB). */
static double
worst_harmonic_db (const double *psd, int n_bins, int k0)
{
  double worst = -INFINITY;
  for (int h = 2; h <= 10; h++) {
    int k = h * k0;
    if (k + 40 >= n_bins)
      break;
    double around[64];
    int m = 0;
    for (int j = k - 36; j <= k + 36; j++)
      if (abs (j - k) > 4 && m < 64)
        around[m++] = psd[j];
    /* the mean of the neighbours (their median is biased low). */
    double mean = 0;
    for (int j = 0; j < m; j++)
      mean += around[j];
    mean /= m;
    double peak = psd[k - 1] + psd[k] + psd[k + 1];
    double ratio = 10 * log10 (peak / (3 * mean));
    if (ratio > worst)
      worst = ratio;
  }
  return worst;
}

/* A -90 dBFS sine at 16 bits: no harmonic above the noise with dither
 * (every curve), where plain rounding (bypass) shows them. */
static void
test_no_correlated_distortion (void)
{
  const int rate = 44100, n = 1 << 20;
  const int k0 = 23;            /* cycles per segment: 248 Hz */
  double *x = malloc (n * sizeof *x);
  double psd[SEG / 2 + 1];
  for (int i = 0; i < n; i++)
    x[i] = pow (10.0, -90.0 / 20) * sin (2 * M_PI * k0 * (i % SEG) / SEG);
  for (size_t s = 0; s < 5; s++) {
    MstDither *d = make (rate, 1, 16, s < 4 ? shapings[s] : MST_DITHER_NONE,
        false);
    if (s == 4) {
      MstDitherSettings st;
      mst_dither_settings_default (&st);
      st.bypass = true;
      mst_dither_set (d, &st);
    }
    double *e = error_of (d, x, n);
    periodogram (e, n, psd);
    double worst = worst_harmonic_db (psd, SEG / 2 + 1, k0);
    printf ("  %-10s largest harmonic %+.2f dB against the noise around it\n",
        s < 4 ? shaping_names[s] : "bypass", worst);
    if (s < 4)
      MST_CHECK_MSG (worst < 3.0, "%s: a harmonic %.2f dB above the noise",
          shaping_names[s], worst);
    else
      MST_CHECK_MSG (worst > 10.0, "plain rounding shows no harmonic (%.2f "
          "dB): the check sees nothing", worst);
    free (e);
    mst_dither_destroy (&d);
  }
  free (x);
}

/* The error's power is the same under silence, a DC of a fraction of an
 * LSB, a -60 and a -6 dBFS sine: no noise modulation (plain rounding's
 * error follows the signal). */
static void
test_no_noise_modulation (void)
{
  const int rate = 48000, n = 1 << 18;
  double *x = malloc (n * sizeof *x);
  for (size_t s = 0; s < 4; s++) {
    double lo = INFINITY, hi = -INFINITY;
    for (int sig = 0; sig < 4; sig++) {
      for (int i = 0; i < n; i++) {
        double t = (double) i / rate;
        x[i] = sig == 0 ? 0.0 : sig == 1 ? 0.3 * LSB16
            : (sig == 2 ? 1e-3 : 0.5) * sin (2 * M_PI * 997 * t);
      }
      MstDither *d = make (rate, 1, 16, shapings[s], false);
      double *e = error_of (d, x, n);
      double p = 0;
      for (int i = 0; i < n; i++)
        p += e[i] * e[i];
      p = 10 * log10 (p / n);
      lo = fmin (lo, p);
      hi = fmax (hi, p);
      free (e);
      mst_dither_destroy (&d);
    }
    printf ("  %-10s error power spread over the signals %.3f dB\n",
        shaping_names[s], hi - lo);
    MST_CHECK_MSG (hi - lo < 0.1, "%s: the noise moves %.3f dB with the "
        "signal", shaping_names[s], hi - lo);
  }
  free (x);
}

/* 16-bit samples to 16 bits: exact, even through runs of zeros; to 24 bits
 * exact too; F32 and F64. */
static void
test_on_grid_exact (void)
{
  const size_t n = 20000;
  float *xf = malloc (2 * n * sizeof *xf);
  double *xd = malloc (2 * n * sizeof *xd);
  int16_t *y16 = malloc (2 * n * sizeof *y16);
  uint8_t *y24 = malloc (2 * n * 3);
  uint32_t st = 12345;
  for (size_t i = 0; i < 2 * n; i++) {
    st = st * 1664525u + 1013904223u;
    int16_t v = (i / 2 >= 5000 && i / 2 < 7000) ? 0 : (int16_t) (st >> 16);
    xf[i] = (float) (v / 32768.0);
    xd[i] = v / 32768.0;
  }
  for (size_t s = 0; s < 4; s++) {
    MstDither *d = make (44100, 2, 16, shapings[s], s % 2 == 0);
    MST_CHECK (mst_dither_process_f32 (d, xf, n, y16) == MST_OK);
    size_t bad = 0;
    for (size_t i = 0; i < 2 * n; i++)
      bad += y16[i] != (int16_t) lrint (xd[i] * 32768.0);
    MST_CHECK_MSG (bad == 0, "%s: %zu samples changed (F32)", shaping_names[s],
        bad);
    MST_CHECK (mst_dither_process_f64 (d, xd, n, y16) == MST_OK);
    bad = 0;
    for (size_t i = 0; i < 2 * n; i++)
      bad += y16[i] != (int16_t) lrint (xd[i] * 32768.0);
    MST_CHECK_MSG (bad == 0, "%s: %zu samples changed (F64)", shaping_names[s],
        bad);
    mst_dither_destroy (&d);
    d = make (44100, 2, 24, shapings[s], true);
    MST_CHECK (mst_dither_process_f64 (d, xd, n, y24) == MST_OK);
    bad = 0;
    for (size_t i = 0; i < 2 * n; i++)
      bad += out_lsb (y24, i, 24) != lrint (xd[i] * 8388608.0);
    MST_CHECK_MSG (bad == 0, "%s: %zu samples changed to 24 bits",
        shaping_names[s], bad);
    mst_dither_destroy (&d);
  }
  /* One sample off the grid: its block (MST_DITHER_BLOCK_FRAMES) is
   * dithered; the next block on the grid is exact again. */
  xd[2 * 9000] += 0.3 * LSB16;
  MstDither *d = make (44100, 2, 16, MST_DITHER_NONE, true);
  mst_dither_process_f64 (d, xd, n, y16);
  size_t changed = 0, later = 0, block = 9000 / MST_DITHER_BLOCK_FRAMES;
  for (size_t i = block * MST_DITHER_BLOCK_FRAMES;
      i < (block + 1) * MST_DITHER_BLOCK_FRAMES; i++)
    changed += y16[2 * i] != (int16_t) lrint (xd[2 * i] * 32768.0);
  for (size_t i = (block + 1) * MST_DITHER_BLOCK_FRAMES; i < n; i++)
    later += y16[2 * i] != (int16_t) lrint (xd[2 * i] * 32768.0);
  MST_CHECK_MSG (changed > MST_DITHER_BLOCK_FRAMES / 4 && later == 0,
      "off-grid block: %zu dithered, %zu changed after it", changed, later);
  mst_dither_destroy (&d);
  free (xf);
  free (xd);
  free (y16);
  free (y24);
}

/* Digital silence: zero from the start, zero again MST_DITHER_BLANK_FRAMES
 * into a zero run after music, dithered again from the first non-zero
 * sample; without auto-blank the zeros are dithered. */
static void
test_auto_blank (void)
{
  const size_t n = 12000;
  double *x = calloc (n, sizeof *x);
  int16_t *y = malloc (n * sizeof *y);
  for (size_t i = 2000; i < 5000; i++)
    x[i] = 0.2 * sin (2 * M_PI * 440 * i / 48000.0);
  for (size_t i = 9000; i < n; i++)
    x[i] = 1e-4 * sin (2 * M_PI * 440 * (i - 9000) / 48000.0 + 0.5);
  for (int blank = 0; blank <= 1; blank++) {
    MstDither *d = make (48000, 1, 16, MST_DITHER_HIGH, blank);
    mst_dither_process_f64 (d, x, n, y);
    size_t lead = 0, tail_nonzero = 0, during = 0, after = 0;
    for (size_t i = 0; i < 2000; i++)
      lead += y[i] != 0;
    for (size_t i = 5000 + MST_DITHER_BLANK_FRAMES - 1; i < 9000; i++)
      tail_nonzero += y[i] != 0;
    for (size_t i = 5000; i < 5000 + MST_DITHER_BLANK_FRAMES - 1; i++)
      during += y[i] != 0;
    for (size_t i = 9000; i < 9100; i++)
      after += y[i] != (int16_t) lrint (x[i] * 32768);
    if (blank) {
      MST_CHECK_MSG (lead == 0, "%zu non-zero samples at the start", lead);
      MST_CHECK_MSG (tail_nonzero == 0, "%zu non-zero samples after %d zeros",
          tail_nonzero, MST_DITHER_BLANK_FRAMES);
      MST_CHECK_MSG (during > 0, "blanked before %d zeros",
          MST_DITHER_BLANK_FRAMES);
      MST_CHECK_MSG (after > 10, "not dithered again (%zu)", after);
    } else {
      MST_CHECK_MSG (lead > 1000 && tail_nonzero > 1000, "silence not "
          "dithered without auto-blank (%zu, %zu)", lead, tail_nonzero);
    }
    mst_dither_destroy (&d);
  }
  free (x);
  free (y);
}

/* Full-scale square, a sine clipped 6 dB over, a held +1.0 and -1.0, then
 * a quiet sine: the output never wraps, stays within the clip plus the
 * shaped error's bound, and the quiet part's error is the same as from a
 * fresh start (the state came back). At 16, 24 and 32 bits. */
static void
test_stable_full_scale (void)
{
  const int rate = 44100;
  const size_t n = 60000, quiet = 30000;
  double *x = malloc (n * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    double t = (double) i / rate;
    x[i] = i < 10000 ? ((i / 50) % 2 ? 1.0 : -1.0)
        : i < 20000 ? 2.0 * sin (2 * M_PI * 1000 * t)
        : i < 25000 ? 1.0 : i < quiet ? -1.0 : 0.01 * sin (2 * M_PI * 1000 * t);
  }
  const int bits_list[] = { 16, 24, 32 };
  for (size_t b = 0; b < 3; b++) {
    int bits = bits_list[b];
    double scale = ldexp (1.0, bits - 1);
    void *y = malloc (n * 4);
    for (size_t s = 1; s < 4; s++) {
      MstDither *d = make (rate, 1, bits, shapings[s], true);
      /* 1.5 (1 + sum |a_k|) LSB. */
      double bound = mst_dither_peak_error (shapings[s], rate, bits, false)
          * scale;
      mst_dither_process_f64 (d, x, n, y);
      size_t wrapped = 0;
      double worst = 0;
      for (size_t i = 0; i < n; i++) {
        double v = out_lsb (y, i, bits);
        double want = fmin (fmax (x[i] * scale, -scale), scale - 1);
        wrapped += (x[i] > 0.5 && v < 0) || (x[i] < -0.5 && v > 0);
        worst = fmax (worst, fabs (v - want));
      }
      MST_CHECK_MSG (wrapped == 0, "%d bits %s: %zu samples wrapped", bits,
          shaping_names[s], wrapped);
      MST_CHECK_MSG (worst <= bound, "%d bits %s: %.1f LSB from the clipped "
          "input, bound %.1f", bits, shaping_names[s], worst, bound);
      /* The quiet part against a fresh core on it alone. */
      double p_after = 0, p_fresh = 0;
      for (size_t i = quiet + 1000; i < n; i++) {
        double e = out_lsb (y, i, bits) - x[i] * scale;
        p_after += e * e;
      }
      mst_dither_destroy (&d);
      d = make (rate, 1, bits, shapings[s], true);
      mst_dither_process_f64 (d, x + quiet, n - quiet, y);
      for (size_t i = 1000; i < n - quiet; i++) {
        double e = out_lsb (y, i, bits) - x[quiet + i] * scale;
        p_fresh += e * e;
      }
      MST_CHECK_MSG (fabs (10 * log10 (p_after / p_fresh)) < 0.5, "%d bits %s:"
          " the error after full scale %.2f dB off a fresh start", bits,
          shaping_names[s], 10 * log10 (p_after / p_fresh));
      mst_dither_destroy (&d);
    }
    free (y);
  }
  free (x);
}

/* Silence without auto-blank, long: the shaped dither stays within its
 * bound (no limit cycle growing). */
static void
test_stable_silence (void)
{
  const size_t n = 200000;
  double *x = calloc (n, sizeof *x);
  int16_t *y = malloc (n * sizeof *y);
  for (size_t r = 0; r < 4; r++) {
    MstDither *d = make (rates[r], 1, 16, MST_DITHER_HIGH, false);
    const MstDitherShape *shape = mst_dither_find_shape (MST_DITHER_HIGH,
        rates[r]);
    double bound = 1.0;
    for (int k = 0; k < shape->n_taps; k++)
      bound += fabs (shape->a[k]);
    mst_dither_process_f64 (d, x, n, y);
    int worst = 0;
    for (size_t i = 0; i < n; i++)
      worst = abs (y[i]) > worst ? abs (y[i]) : worst;
    MST_CHECK_MSG (worst <= 1.5 * bound, "%d Hz: %d LSB on silence",
        rates[r], worst);
    mst_dither_destroy (&d);
  }
  free (x);
  free (y);
}

/* Every rate has its own curves; other rates fall back to flat TPDF. */
static void
test_curve_per_rate (void)
{
  for (size_t s = 1; s < 4; s++) {
    for (size_t r = 0; r < 4; r++) {
      const MstDitherShape *a = mst_dither_find_shape (shapings[s], rates[r]);
      MST_CHECK (a != NULL && a->rate_hz == rates[r]);
      for (size_t q = 0; q < r; q++) {
        const MstDitherShape *b = mst_dither_find_shape (shapings[s],
            rates[q]);
        MST_CHECK (a && b && memcmp (a->a, b->a, sizeof a->a) != 0);
      }
    }
    MST_CHECK (mst_dither_find_shape (shapings[s], 32000) == NULL);
    MST_CHECK (mst_dither_find_shape (shapings[s], 192000) == NULL);
    MstDither *d = make (192000, 1, 16, shapings[s], true);
    MST_CHECK (mst_dither_get_shape (d) == MST_DITHER_NONE);
    mst_dither_destroy (&d);
  }
  /* The published 44.1 kHz sets, as printed. */
  MST_CHECK (mst_dither_find_shape (MST_DITHER_LIPSHITZ, 44100)->a[0]
      == -2.033);
  MST_CHECK (mst_dither_find_shape (MST_DITHER_F_WEIGHTED, 44100)->a[8]
      == -0.0847);
}

/* NaN, Inf and +1e6 come out as 0, are counted, and clear the filter. */
static void
test_nonfinite (void)
{
  const size_t n = 2048;
  float *x = malloc (n * 2 * sizeof *x);
  int16_t *y = malloc (n * 2 * sizeof *y);
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = 0.1f * sinf ((float) i * 0.01f);
  x[100] = NAN;
  x[301] = INFINITY;
  x[700] = 1e6f;
  MstDither *d = make (48000, 2, 16, MST_DITHER_HIGH, true);
  MST_CHECK (mst_dither_process_f32 (d, x, n, y) == MST_OK);
  MST_CHECK (mst_dither_get_nonfinite_count (d) == 3);
  MST_CHECK (abs (y[100]) < 100 && abs (y[301]) < 100 && abs (y[700]) < 100);
  double worst = 0;
  for (size_t i = 0; i < 2 * n; i++)
    if (i != 100 && i != 301 && i != 700)
      worst = fmax (worst, fabs (y[i] - x[i] * 32768.0));
  MST_CHECK_MSG (worst < 100, "%.1f LSB off elsewhere", worst);
  mst_dither_destroy (&d);
  free (x);
  free (y);
}

/* The generator: TPDF in (-1, 1), mean 0, variance 1/6, lanes and channels
 * uncorrelated; reset repeats the output. */
static void
test_generator (void)
{
  uint32_t st[4][8], st2[4][8];
  const size_t n = 1 << 18;
  float *a = malloc (n * sizeof *a), *b = malloc (n * sizeof *b);
  mst_dither_seed_streams (st, 7, 0);
  mst_dither_seed_streams (st2, 7, 1);
  mst_dither_tpdf (st, a, n);
  mst_dither_tpdf (st2, b, n);
  double m = 0, v = 0, cab = 0, lag = 0;
  for (size_t i = 0; i < n; i++) {
    MST_CHECK (a[i] > -1.0f && a[i] < 1.0f);
    m += a[i];
    v += a[i] * a[i];
    cab += a[i] * b[i];
    if (i)
      lag += a[i] * a[i - 1];
  }
  m /= n;
  v /= n;
  MST_CHECK_CLOSE (m, 0.0, 0.005);
  MST_CHECK_CLOSE (v, 1.0 / 6, 0.002);
  MST_CHECK_CLOSE (cab / n / v, 0.0, 0.01);
  MST_CHECK_CLOSE (lag / n / v, 0.0, 0.01);
  free (a);
  free (b);

  double x[1000];
  int16_t y1[1000], y2[1000];
  for (int i = 0; i < 1000; i++)
    x[i] = 0.001 * sin (i * 0.1);
  MstDither *d = make (44100, 1, 16, MST_DITHER_LIPSHITZ, true);
  mst_dither_process_f64 (d, x, 1000, y1);
  mst_dither_reset (d);
  mst_dither_process_f64 (d, x, 1000, y2);
  MST_CHECK (memcmp (y1, y2, sizeof y1) == 0);
  mst_dither_destroy (&d);
}

int
main (void)
{
  MST_RUN (test_generator);
  MST_RUN (test_curve_per_rate);
  MST_RUN (test_spectrum_follows_design);
  MST_RUN (test_no_correlated_distortion);
  MST_RUN (test_no_noise_modulation);
  MST_RUN (test_on_grid_exact);
  MST_RUN (test_auto_blank);
  MST_RUN (test_stable_full_scale);
  MST_RUN (test_stable_silence);
  MST_RUN (test_nonfinite);
  return mst_test_summary ();
}
