/* Unit tests of the Linkwitz-Riley crossover block on plain arrays: -6 dB
 * at each split, bands summing flat, slopes, reset, a gliding split without
 * clicks, non-finite input, the same outputs as the tree run section by
 * section in Direct Form I. Responses are measured on the running block
 * (the DFT of its impulse responses), not computed from its coefficients. */
#include "mst-crossover.h"
#include "mst-cpu.h"
#include "mst-crossover-test.h"
#include "mst-test.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#define IR_FRAMES 32768

static double *band_ir[MST_CROSSOVER_MAX_BANDS];
static double *input;

/* Impulse responses of every band of @s at @rate_hz (mono). */
static void
measure_irs (const MstCrossoverSettings * s, double rate_hz)
{
  MstCrossover *xo = mst_crossover_init (1);
  MST_CHECK (xo != NULL);
  MST_CHECK (mst_crossover_configure (xo, rate_hz, 1) == MST_OK);
  MST_CHECK (mst_crossover_set (xo, s) == MST_OK);
  mst_crossover_reset (xo);
  memset (input, 0, sizeof (double) * IR_FRAMES);
  input[0] = 1.0;
  MST_CHECK (mst_crossover_process (xo, input, band_ir, IR_FRAMES,
          IR_FRAMES) == MST_OK);
  mst_crossover_destroy (&xo);
}

static double
band_db (int b, double freq_hz, double rate_hz)
{
  return 20 * log10 (cabs (mst_test_response (band_ir[b], IR_FRAMES, freq_hz,
              rate_hz)));
}

/* @n samples of white noise in [-0.5, 0.5) (an LCG from @seed). */
static void
fill_noise (double *x, size_t n, uint32_t seed)
{
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (seed >> 8) / 16777216.0 - 0.5;
  }
}

static const double rates[] = { 44100, 48000, 96000 };
static const int slopes[] = { 12, 24, 48 };

/* |H| in dB of the low (or high) side of a Linkwitz-Riley pair of order
 * 2M at @freq_hz: -20 log10 (1 + x^2M) (1 / x for the high side), x the
 * frequency over the split's after the bilinear transform's pre-warping. */
static double
lr_db (bool high, int order_m, double freq_hz, double split_hz, double rate)
{
  double x = tan (M_PI * freq_hz / rate) / tan (M_PI * split_hz / rate);
  return -20 * log10 (1 + pow (high ? 1 / x : x, 2 * order_m));
}

/* Two bands: each side -6.02 dB at the split, follows the Linkwitz-Riley
 * magnitude within 0.01 dB up to three octaves away, and falls by M times
 * 6.02 dB per octave far from it. */
static void
test_split_and_slopes (void)
{
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++) {
      const double f = 1000.0, rate = rates[r];
      const int m = slopes[k] / 12;
      MstCrossoverSettings s = mst_test_crossover_settings (2, slopes[k], &f);
      measure_irs (&s, rate);
      double low = band_db (0, f, rate), high = band_db (1, f, rate);
      MST_CHECK_MSG (fabs (low + 6.0206) < 0.01 && fabs (high + 6.0206) < 0.01,
          "%g Hz LR%d: low %.4f dB, high %.4f dB at the split", rate, 2 * m,
          low, high);
      for (double oct = 1; oct <= 8; oct *= 2) {
        double lo = band_db (0, f * oct, rate), hi = band_db (1, f / oct, rate);
        MST_CHECK_MSG (fabs (lo - lr_db (false, m, f * oct, f, rate)) < 0.01
            && fabs (hi - lr_db (true, m, f / oct, f, rate)) < 0.01,
            "%g Hz LR%d: low %.3f dB at %g Hz, high %.3f dB at %g Hz", rate,
            2 * m, lo, f * oct, hi, f / oct);
      }
      /* The octave below f / 32 (LR2), f / 16 (LR4), f / 4 (LR8): near
       * the asymptote, above the arithmetic's noise floor. */
      double far = 64 >> m;
      double per_octave = band_db (1, f / far, rate)
          - band_db (1, f / (2 * far), rate);
      MST_CHECK_MSG (fabs (per_octave - 2 * m * 20 * log10 (2)) < 0.01,
          "%g Hz LR%d: high side %.3f dB/octave", rate, 2 * m, per_octave);
    }
}

/* The deviation from 0 dB of the bands' sum of @s at @rate_hz farthest
 * from it, 20 Hz to 20 kHz in 1/6 octaves (@sum: IR_FRAMES scratch). */
static double
sum_deviation_db (const MstCrossoverSettings * s, double rate_hz,
    double *sum)
{
  double worst = 0;
  measure_irs (s, rate_hz);
  for (size_t i = 0; i < IR_FRAMES; i++) {
    sum[i] = 0;
    for (int b = 0; b < s->n_bands; b++)
      sum[i] += band_ir[b][i];
  }
  for (double f = 20; f <= 20000; f *= pow (2, 1.0 / 6)) {
    double db = 20 * log10 (cabs (mst_test_response (sum, IR_FRAMES, f,
                rate_hz)));
    if (fabs (db) > fabs (worst))
      worst = db;
  }
  return worst;
}

/* 2 to 6 bands: the sum of the bands is flat within 0.01 dB from 20 Hz to
 * 20 kHz at 44.1, 48 and 96 kHz, whatever the slope. */
static void
test_sum_flat (void)
{
  static const double freq_hz[] = { 80, 400, 1600, 5000, 11000 };
  double *sum = malloc (sizeof (double) * IR_FRAMES);
  MST_CHECK (sum != NULL);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++)
      for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
        MstCrossoverSettings s = mst_test_crossover_settings (nb, slopes[k],
            freq_hz);
        double worst = sum_deviation_db (&s, rates[r], sum);
        MST_CHECK_MSG (fabs (worst) < 0.01, "%g Hz LR%d, %d bands: sum "
            "%.4f dB", rates[r], slopes[k] / 6, nb, worst);
      }
  free (sum);
}

/* Issue 14: with LR4, 2 to 6 bands (splits as low as 20 Hz and as high as
 * 16 kHz), the sum is flat within 0.05 dB from 20 Hz to 20 kHz at 44.1,
 * 48, 88.2, 96 and 192 kHz. The worst deviation per rate is printed. */
static void
test_sum_flat_all_rates (void)
{
  static const double all_rates[] = { 44100, 48000, 88200, 96000, 192000 };
  static const double split_sets[][5] = {
    { 80, 400, 1600, 5000, 11000 },
    { 20, 120, 1000, 6000, 16000 },
  };
  double *sum = malloc (sizeof (double) * IR_FRAMES);
  MST_CHECK (sum != NULL);
  for (int r = 0; r < 5; r++) {
    double worst_rate = 0;
    for (int set = 0; set < 2; set++)
      for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
        MstCrossoverSettings s = mst_test_crossover_settings (nb, 24,
            split_sets[set]);
        double worst = sum_deviation_db (&s, all_rates[r], sum);
        if (fabs (worst) > fabs (worst_rate))
          worst_rate = worst;
        MST_CHECK_MSG (fabs (worst) < 0.05, "%g Hz LR4, %d bands from %g "
            "Hz: sum %.4f dB", all_rates[r], nb, split_sets[set][0], worst);
      }
    printf ("  %6g Hz LR4: sum within %.2g dB of flat\n", all_rates[r],
        fabs (worst_rate));
  }
  free (sum);
}

/* After reset, silence in gives silence out: no history left. */
static void
test_reset (void)
{
  MstCrossover *xo = mst_crossover_init (2);
  double in[2 * 512], out[MST_CROSSOVER_MAX_BANDS][2 * 512];
  double *bands[MST_CROSSOVER_MAX_BANDS];
  MstCrossoverSettings s;

  mst_crossover_settings_default (&s);
  s.n_bands = 4;
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    bands[b] = out[b];
  MST_CHECK (mst_crossover_configure (xo, 48000, 2) == MST_OK);
  MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
  for (int i = 0; i < 2 * 512; i++)
    in[i] = (i % 7) ? 0.9 : -0.9;
  mst_crossover_process (xo, in, bands, 512, 512);
  mst_crossover_reset (xo);
  memset (in, 0, sizeof in);
  mst_crossover_process (xo, in, bands, 512, 512);
  for (int b = 0; b < s.n_bands; b++)
    for (int i = 0; i < 2 * 512; i++)
      MST_CHECK (out[b][i] == 0.0);
  mst_crossover_destroy (&xo);
}

/* A lower band not asked for (NULL) is not computed, and the bands that
 * are come out the same, bit for bit, gliding splits included. */
static void
test_skipped_band (void)
{
  MstCrossover *a = mst_crossover_init (2), *b = mst_crossover_init (2);
  double in[2 * 512], out_a[3][2 * 512], out_b[3][2 * 512];
  double *bands_a[3] = { out_a[0], out_a[1], out_a[2] };
  double *bands_b[3] = { NULL, out_b[1], out_b[2] };
  MstCrossoverSettings s;

  mst_crossover_settings_default (&s);
  s.n_bands = 3;
  for (int k = 0; k < 2; k++) {
    MstCrossover *xo = k ? b : a;
    MST_CHECK (mst_crossover_configure (xo, 48000, 2) == MST_OK);
    MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
    mst_crossover_reset (xo);
  }
  s.freq_hz[0] = 200;           /* a glide under way */
  mst_crossover_set (a, &s);
  mst_crossover_set (b, &s);
  for (int block = 0; block < 4; block++) {
    for (int i = 0; i < 2 * 512; i++)
      in[i] = sin (0.05 * (i + 512 * block)) + ((i * 7919) % 13) / 26.0;
    mst_crossover_process (a, in, bands_a, 512, 512);
    mst_crossover_process (b, in, bands_b, 512, 512);
    for (int band = 1; band < 3; band++)
      MST_CHECK (memcmp (out_a[band], out_b[band], sizeof out_a[band]) == 0);
  }
  double *none[3] = { out_a[0], out_a[1], NULL };
  MST_CHECK (mst_crossover_process (a, in, none, 512, 512)
      == MST_ERR_INVALID_ARG);
  mst_crossover_destroy (&a);
  mst_crossover_destroy (&b);
}

/* A split gliding from 300 Hz to 3 kHz under a full-scale 1 kHz sine: no
 * sample of either band steps by more than the sine itself can (2 pi f /
 * fs of full scale) plus 10 %; the sum, whose level only the time-varying
 * coefficients move, stays within 1 dB of full scale during the glide and
 * within 0.01 dB after it; the low band ends at the new split's level. */
static void
test_glide_without_clicks (void)
{
  const double rate = 48000, f = 1000, max_step = 2 * M_PI * f / rate;
  const size_t n = 48000, block = 480;
  double *in = malloc (sizeof (double) * n);
  double *out[2] = { malloc (sizeof (double) * n),
    malloc (sizeof (double) * n)
  };
  double split = 300;
  MstCrossoverSettings s = mst_test_crossover_settings (2, 24, &split);
  MstCrossover *xo = mst_crossover_init (1);

  MST_CHECK (in && out[0] && out[1] && xo);
  mst_crossover_configure (xo, rate, 1);
  mst_crossover_set (xo, &s);
  for (size_t i = 0; i < n; i++)
    in[i] = sin (2 * M_PI * f * i / rate);
  for (size_t done = 0; done < n; done += block) {
    double *bands[2] = { out[0] + done, out[1] + done };
    if (done == n / 4) {
      s.freq_hz[0] = 3000;
      MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
    }
    mst_crossover_process (xo, in + done, bands, block, block);
  }
  double worst_step = 0, lo = 1e9, hi = 0;
  for (size_t i = n / 8 + 1; i < n; i++)
    for (int b = 0; b < 2; b++)
      worst_step = fmax (worst_step, fabs (out[b][i] - out[b][i - 1]));
  /* Peak of the sum over each 1 ms (one period), from the settled start. */
  for (size_t i = n / 8; i + 48 <= n; i += 48) {
    double peak = 0;
    for (size_t k = i; k < i + 48; k++)
      peak = fmax (peak, fabs (out[0][k] + out[1][k]));
    lo = fmin (lo, peak);
    hi = fmax (hi, peak);
  }
  MST_CHECK_MSG (worst_step < 1.1 * max_step, "step %.4f, sine's %.4f",
      worst_step, max_step);
  MST_CHECK_MSG (20 * log10 (hi) < 0.01 && 20 * log10 (lo) > -1.0,
      "sum peak %.4f to %.4f dB", 20 * log10 (lo), 20 * log10 (hi));
  /* The last 100 ms, long after the glide. */
  double sum_peak = 0, low_peak = 0;
  for (size_t i = n - 4800; i < n; i++) {
    sum_peak = fmax (sum_peak, fabs (out[0][i] + out[1][i]));
    low_peak = fmax (low_peak, fabs (out[0][i]));
  }
  MST_CHECK_MSG (fabs (20 * log10 (sum_peak)) < 0.01, "sum %.4f dB",
      20 * log10 (sum_peak));
  MST_CHECK_MSG (fabs (20 * log10 (low_peak) - lr_db (false, 2, f, 3000,
              rate)) < 0.01, "low band %.4f dB", 20 * log10 (low_peak));
  mst_crossover_destroy (&xo);
  free (in);
  free (out[0]);
  free (out[1]);
}

/* NaN and Inf in: finite out, the state recovers, the count rises. */
static void
test_nonfinite (void)
{
  MstCrossover *xo = mst_crossover_init (2);
  double in[2 * 256], out[3][2 * 256];
  double *bands[3] = { out[0], out[1], out[2] };

  mst_crossover_configure (xo, 48000, 2);
  for (int i = 0; i < 2 * 256; i++)
    in[i] = 0.5 * sin (0.05 * i);
  in[10] = NAN;
  in[256 + 20] = INFINITY;
  mst_crossover_process (xo, in, bands, 256, 256);
  MST_CHECK (mst_crossover_get_nonfinite_count (xo) == 1);
  for (int i = 0; i < 2 * 256; i++)
    in[i] = 0.5 * sin (0.05 * i);
  mst_crossover_process (xo, in, bands, 256, 256);
  for (int b = 0; b < 3; b++)
    for (int i = 0; i < 2 * 256; i++)
      MST_CHECK (isfinite (out[b][i]));
  MST_CHECK (mst_crossover_get_nonfinite_count (xo) == 1);
  mst_crossover_destroy (&xo);
}


/* The textbook Direct Form I of one section over @n samples, in place. */
static void
df1 (const MstBiquad * c, double *x, size_t n)
{
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (size_t i = 0; i < n; i++) {
    double y = c->b0 * x[i] + c->b1 * x1 + c->b2 * x2 - c->a1 * y1
        - c->a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = y;
    x[i] = y;
  }
}

/* The header's tree, section by section in Direct Form I: split j's low
 * side (its Butterworth low-pass twice) from what the splits below left,
 * the rest its high side (LR2: inverted), its all-pass (the low-pass's
 * denominator, zeros mirrored) on every band below. Band b of channel c
 * at @bands[b] + c @stride. */
static void
reference_tree (const MstCrossoverSettings * s, double rate_hz,
    const double *in, int channels, double *const *bands, size_t stride,
    size_t n)
{
  const int order = s->slope_db_per_oct / 12, last = s->n_bands - 1;
  for (int c = 0; c < channels; c++) {
    double *rest = bands[last] + c * stride;
    memcpy (rest, in + c * stride, n * sizeof (double));
    for (int j = 0; j < last; j++) {
      MstFilterParams p = { MST_FILTER_HIGH_CUT, s->freq_hz[j], 0.0,
        M_SQRT1_2, 6 * order
      };
      MstBiquad low[MST_FILTER_MAX_SECTIONS], high[MST_FILTER_MAX_SECTIONS];
      int k;
      mst_filter_design (&p, rate_hz, low, &k);
      p.type = MST_FILTER_LOW_CUT;
      mst_filter_design (&p, rate_hz, high, &k);
      double *band = bands[j] + c * stride;
      memcpy (band, rest, n * sizeof (double));
      for (int twice = 0; twice < 2; twice++)
        for (int q = 0; q < k; q++) {
          df1 (&low[q], band, n);
          df1 (&high[q], rest, n);
        }
      if (order == 1)
        for (size_t i = 0; i < n; i++)
          rest[i] = -rest[i];
      for (int b = 0; b < j; b++)
        for (int q = 0; q < k; q++) {
          const MstBiquad *d = &low[q];
          MstBiquad ap = order == 1
              ? (MstBiquad) { d->a1, 1.0, 0.0, d->a1, 0.0 }
          : (MstBiquad) { d->a2, d->a1, 1.0, d->a1, d->a2 };
          df1 (&ap, bands[b] + c * stride, n);
        }
    }
  }
}

/* LR2, LR4 and LR8, 2 to 6 bands, splits from 20 and from 80 Hz, at 44.1,
 * 96 and 192 kHz, stereo noise in runs of 1024 frames: every band within
 * 1e-9 of its peak of the reference tree's (the sections run side by side
 * in transposed direct form II round differently; nothing else differs).
 * The worst ratio is printed. */
static void
test_same_as_direct_form_tree (void)
{
  static const double tree_rates[] = { 44100, 96000, 192000 };
  static const double split_sets[][5] = {
    { 80, 400, 1600, 5000, 11000 },
    { 20, 120, 1000, 6000, 16000 },
  };
  const size_t n = 8192, run = 1024;
  double *in = malloc (sizeof (double) * 2 * n);
  double *got[MST_CROSSOVER_MAX_BANDS], *want[MST_CROSSOVER_MAX_BANDS];
  double worst = 0;
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++) {
    got[b] = malloc (sizeof (double) * 2 * n);
    want[b] = malloc (sizeof (double) * 2 * n);
  }
  fill_noise (in, 2 * n, 5);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++)
      for (int set = 0; set < 2; set++)
        for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
          MstCrossoverSettings s = mst_test_crossover_settings (nb, slopes[k],
              split_sets[set]);
          MstCrossover *xo = mst_crossover_init (2);
          MST_CHECK (mst_crossover_configure (xo, tree_rates[r], 2) == MST_OK);
          MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
          mst_crossover_reset (xo);
          for (size_t done = 0; done < n; done += run) {
            double *at[MST_CROSSOVER_MAX_BANDS];
            for (int b = 0; b < nb; b++)
              at[b] = got[b] + done;
            mst_crossover_process (xo, in + done, at, n, run);
          }
          mst_crossover_destroy (&xo);
          reference_tree (&s, tree_rates[r], in, 2, want, n, n);
          for (int b = 0; b < nb; b++) {
            double peak = 0, diff = 0;
            for (size_t i = 0; i < 2 * n; i++) {
              peak = fmax (peak, fabs (want[b][i]));
              diff = fmax (diff, fabs (got[b][i] - want[b][i]));
            }
            worst = fmax (worst, diff / peak);
            MST_CHECK_MSG (diff <= 1e-9 * peak, "%g Hz LR%d, %d bands from "
                "%g Hz, band %d: %g of %g", tree_rates[r], slopes[k] / 6, nb,
                split_sets[set][0], b, diff, peak);
          }
        }
  printf ("  bands within %.2g of their peak of the Direct Form I tree's\n",
      worst);
  free (in);
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++) {
    free (got[b]);
    free (want[b]);
  }
}

/* mst_crossover_process_all_pass: a signal through the all-pass is the
 * same as the sum of its bands (within 1e-12 of its peak: the sections
 * round in another order), LR2, LR4 and LR8, 2 to 6 bands, stereo; within
 * 0.5 % while a split glides; with band 0 not computed (NULL) the
 * all-pass output is the same bit for bit. */
static void
test_all_pass_is_band_sum (void)
{
  static const double freq_hz[] = { 80, 400, 1600, 5000, 11000 };
  const size_t n = 8192, run = 512;
  double *in = malloc (sizeof (double) * 2 * n);
  double *ap[2] = { malloc (sizeof (double) * 2 * n),
    malloc (sizeof (double) * 2 * n)
  };
  double *out[2][MST_CROSSOVER_MAX_BANDS];
  double worst = 0, worst_glide = 0;
  for (int x = 0; x < 2; x++)
    for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
      out[x][b] = malloc (sizeof (double) * 2 * n);
  fill_noise (in, 2 * n, 9);
  for (int k = 0; k < 3; k++)
    for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
      /* x = 1: band 0 not computed. */
      for (int x = 0; x < 2; x++) {
        MstCrossoverSettings s = mst_test_crossover_settings (nb, slopes[k],
            freq_hz);
        MstCrossover *xo = mst_crossover_init (2);
        MST_CHECK (mst_crossover_configure (xo, 48000, 2) == MST_OK);
        MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
        mst_crossover_reset (xo);
        memcpy (ap[x], in, sizeof (double) * 2 * n);
        for (size_t done = 0; done < n; done += run) {
          if (done == n / 4) {
            /* The first split glides from here (some 120 ms). */
            s.freq_hz[0] = 60;
            mst_crossover_set (xo, &s);
          }
          double *at[MST_CROSSOVER_MAX_BANDS];
          for (int b = 0; b < nb; b++)
            at[b] = out[x][b] + done;
          if (x)
            at[0] = NULL;
          MST_CHECK (mst_crossover_process_all_pass (xo, in + done, at,
                  ap[x] + done, n, run) == MST_OK);
        }
        mst_crossover_destroy (&xo);
      }
      MST_CHECK_MSG (memcmp (ap[0], ap[1], sizeof (double) * 2 * n) == 0,
          "LR%d, %d bands: the all-pass moved with band 0 skipped",
          slopes[k] / 6, nb);
      double peak = 0, diff = 0, diff_glide = 0;
      for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < n; i++) {
          double sum = 0;
          for (int b = 0; b < nb; b++)
            sum += out[0][b][c * n + i];
          peak = fmax (peak, fabs (sum));
          if (i < n / 4)
            diff = fmax (diff, fabs (sum - ap[0][c * n + i]));
          else
            diff_glide = fmax (diff_glide, fabs (sum - ap[0][c * n + i]));
        }
      worst = fmax (worst, diff / peak);
      worst_glide = fmax (worst_glide, diff_glide / peak);
      MST_CHECK_MSG (diff <= 1e-12 * peak, "LR%d, %d bands: all-pass %g "
          "from the band sum (peak %g)", slopes[k] / 6, nb, diff, peak);
      /* Gliding, the bands' filters vary in time and their sum is no
       * longer exactly the all-pass (nor the all-pass, varying, the one
       * of any split): under 0.5 % of the peak (-46 dB). */
      MST_CHECK_MSG (diff_glide <= 5e-3 * peak, "LR%d, %d bands, gliding: "
          "all-pass %g from the band sum (peak %g)", slopes[k] / 6, nb,
          diff_glide, peak);
    }
  printf ("  the all-pass within %.2g of the band sum's peak, %.2g while "
      "a split glides\n", worst, worst_glide);
  free (in);
  for (int x = 0; x < 2; x++) {
    free (ap[x]);
    for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
      free (out[x][b]);
  }
}

/* mst_crossover_run_all_pass, the all-pass alone (no band computed), is
 * the band sum within 1e-11 of its peak (another runner of the same
 * sections: other rounding), LR2, LR4 and LR8, 2 to 6 bands, stereo
 * noise in runs of 700 frames; refused while a split glides; its own
 * reset starts it afresh. */
static void
test_all_pass_alone (void)
{
  static const double freq_hz[] = { 80, 400, 1600, 5000, 11000 };
  const size_t n = 8400, run = 700;
  double *in = malloc (sizeof (double) * 2 * n);
  double *ap = malloc (sizeof (double) * 2 * n);
  double *out[MST_CROSSOVER_MAX_BANDS];
  double worst = 0;
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    out[b] = malloc (sizeof (double) * 2 * n);
  fill_noise (in, 2 * n, 5);
  for (int k = 0; k < 3; k++)
    for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
      MstCrossoverSettings s = mst_test_crossover_settings (nb, slopes[k],
          freq_hz);
      MstCrossover *xo = mst_crossover_init (2), *alone = mst_crossover_init (2);
      MST_CHECK (mst_crossover_configure (xo, 48000, 2) == MST_OK);
      MST_CHECK (mst_crossover_configure (alone, 48000, 2) == MST_OK);
      MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
      MST_CHECK (mst_crossover_set (alone, &s) == MST_OK);
      mst_crossover_reset (xo);
      mst_crossover_reset (alone);
      memcpy (ap, in, sizeof (double) * 2 * n);
      for (size_t done = 0; done < n; done += run) {
        double *at[MST_CROSSOVER_MAX_BANDS];
        for (int b = 0; b < nb; b++)
          at[b] = out[b] + done;
        MST_CHECK (mst_crossover_process (xo, in + done, at, n, run)
            == MST_OK);
        MST_CHECK (mst_crossover_run_all_pass (alone, ap + done, n, run)
            == MST_OK);
      }
      double peak = 0, diff = 0;
      for (size_t i = 0; i < 2 * n; i++) {
        double sum = 0;
        for (int b = 0; b < nb; b++)
          sum += out[b][i];
        peak = fmax (peak, fabs (sum));
        diff = fmax (diff, fabs (sum - ap[i]));
      }
      worst = fmax (worst, diff / peak);
      MST_CHECK_MSG (diff <= 1e-11 * peak, "LR%d, %d bands: the all-pass "
          "alone %g from the band sum (peak %g)", slopes[k] / 6, nb, diff,
          peak);
      /* Afresh: the first run again gives the first frames again. */
      mst_crossover_reset_all_pass (alone);
      memcpy (out[0], in, sizeof (double) * 2 * n);
      MST_CHECK (mst_crossover_run_all_pass (alone, out[0], n, run)
          == MST_OK);
      for (int c = 0; c < 2; c++)
        MST_CHECK (memcmp (out[0] + c * n, ap + c * n, sizeof (double) * run)
            == 0);
      s.freq_hz[0] = 60;
      MST_CHECK (mst_crossover_set (alone, &s) == MST_OK);
      MST_CHECK (mst_crossover_is_gliding (alone));
      MST_CHECK (mst_crossover_run_all_pass (alone, ap, n, run)
          == MST_ERR_INVALID_ARG);
      mst_crossover_destroy (&xo);
      mst_crossover_destroy (&alone);
    }
  printf ("  the all-pass alone within %.2g of the band sum's peak\n", worst);
  free (in);
  free (ap);
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    free (out[b]);
}

/* LR4's bands are in phase with the all-pass: band b over the all-pass
 * is real, the product of the Linkwitz-Riley magnitudes of the splits'
 * sides it went through (the high sides below it, the low side of its
 * own split), within 1e-9, at 44.1 and 96 kHz, 4 bands, 20 Hz to 20 kHz
 * in 1/3 octaves. */
static void
test_lr4_bands_in_phase (void)
{
  static const double freq_hz[] = { 100, 1000, 8000 };
  static const double in_phase_rates[] = { 44100, 96000 };
  double *ap = malloc (sizeof (double) * IR_FRAMES);
  double worst = 0;
  for (int r = 0; r < 2; r++) {
    const double rate = in_phase_rates[r];
    MstCrossoverSettings s = mst_test_crossover_settings (4, 24, freq_hz);
    MstCrossover *xo = mst_crossover_init (1);
    MST_CHECK (mst_crossover_configure (xo, rate, 1) == MST_OK);
    MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
    mst_crossover_reset (xo);
    memset (input, 0, sizeof (double) * IR_FRAMES);
    input[0] = 1.0;
    memcpy (ap, input, sizeof (double) * IR_FRAMES);
    MST_CHECK (mst_crossover_process_all_pass (xo, input, band_ir, ap,
            IR_FRAMES, IR_FRAMES) == MST_OK);
    mst_crossover_destroy (&xo);
    for (double f = 20; f <= 20000; f *= pow (2, 1.0 / 3)) {
      double complex a = mst_test_response (ap, IR_FRAMES, f, rate);
      MST_CHECK_MSG (fabs (cabs (a) - 1) < 1e-9, "|all-pass| %.12f at %g Hz",
          cabs (a), f);
      for (int b = 0; b < 4; b++) {
        double complex ratio = mst_test_response (band_ir[b], IR_FRAMES, f,
            rate) / a;
        double db = 0;
        for (int j = 0; j < b; j++)
          db += lr_db (true, 2, f, freq_hz[j], rate);
        if (b < 3)
          db += lr_db (false, 2, f, freq_hz[b], rate);
        double err = cabs (ratio - pow (10, db / 20));
        worst = fmax (worst, err);
        MST_CHECK_MSG (err < 1e-9, "%g Hz, band %d at %g Hz: %g%+gi, "
            "expected %g", rate, b, f, creal (ratio), cimag (ratio),
            pow (10, db / 20));
      }
    }
  }
  printf ("  LR4 bands over the all-pass within %.2g of the real "
      "Linkwitz-Riley gains\n", worst);
  free (ap);
}

/* The AVX-512 path (its network in the banded layout, steps out of
 * registers, where the machine has it) and the AVX2 path give the same
 * bits: LR2, LR4 and LR8, 2 to 6 bands, stereo noise in runs of 1000
 * frames (steady steps and the edges around them). */
static void
test_paths_agree (void)
{
  static const double freq_hz[] = { 80, 400, 1600, 5000, 11000 };
  const size_t n = 4000, run = 1000;
  double *in = malloc (sizeof (double) * 2 * n);
  double *got[2][MST_CROSSOVER_MAX_BANDS];
  /* The variant runs (test-crossover-avx2) set it already: restored. */
  const char *was = getenv ("MST_DISABLE_AVX512");
  char *saved = was ? strdup (was) : NULL;
  fill_noise (in, 2 * n, 11);
  for (int path = 0; path < 2; path++)
    for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
      got[path][b] = malloc (sizeof (double) * 2 * n);
  for (int k = 0; k < 3; k++)
    for (int nb = 2; nb <= MST_CROSSOVER_MAX_BANDS; nb++) {
      MstCrossoverSettings s = mst_test_crossover_settings (nb, slopes[k],
          freq_hz);
      for (int path = 0; path < 2; path++) {
        if (path == 1) {
          setenv ("MST_DISABLE_AVX512", "1", 1);
          mst_cpu_reread_environment ();
        }
        MstCrossover *xo = mst_crossover_init (2);
        MST_CHECK (mst_crossover_configure (xo, 48000, 2) == MST_OK);
        MST_CHECK (mst_crossover_set (xo, &s) == MST_OK);
        mst_crossover_reset (xo);
        for (size_t done = 0; done < n; done += run) {
          double *at[MST_CROSSOVER_MAX_BANDS];
          for (int b = 0; b < nb; b++)
            at[b] = got[path][b] + done;
          mst_crossover_process (xo, in + done, at, n, run);
        }
        mst_crossover_destroy (&xo);
      }
      if (saved)
        setenv ("MST_DISABLE_AVX512", saved, 1);
      else
        unsetenv ("MST_DISABLE_AVX512");
      mst_cpu_reread_environment ();
      for (int b = 0; b < nb; b++)
        MST_CHECK_MSG (memcmp (got[0][b], got[1][b], sizeof (double) * 2 * n)
            == 0, "LR%d, %d bands: band %d differs between the paths",
            slopes[k] / 6, nb, b);
    }
  free (saved);
  free (in);
  for (int path = 0; path < 2; path++)
    for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
      free (got[path][b]);
}

static void
test_invalid_arguments (void)
{
  MstCrossover *xo = mst_crossover_init (2);
  MstCrossoverSettings s;

  MST_CHECK (mst_crossover_init (0) == NULL);
  MST_CHECK (mst_crossover_configure (xo, 1000, 2) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_crossover_configure (xo, 48000, 3) == MST_ERR_INVALID_ARG);
  mst_crossover_settings_default (&s);
  s.slope_db_per_oct = 36;
  MST_CHECK (mst_crossover_set (xo, &s) == MST_ERR_INVALID_ARG);
  mst_crossover_settings_default (&s);
  s.n_bands = 7;
  MST_CHECK (mst_crossover_set (xo, &s) == MST_ERR_INVALID_ARG);
  mst_crossover_settings_default (&s);
  s.freq_hz[1] = s.freq_hz[0];
  MST_CHECK (mst_crossover_set (xo, &s) == MST_ERR_INVALID_ARG);
  mst_crossover_destroy (&xo);
  mst_crossover_destroy (&xo);
}

int
main (void)
{
  input = malloc (sizeof (double) * IR_FRAMES);
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    band_ir[b] = malloc (sizeof (double) * IR_FRAMES);
  MST_RUN (test_split_and_slopes);
  MST_RUN (test_sum_flat);
  MST_RUN (test_sum_flat_all_rates);
  MST_RUN (test_reset);
  MST_RUN (test_skipped_band);
  MST_RUN (test_glide_without_clicks);
  MST_RUN (test_nonfinite);
  MST_RUN (test_same_as_direct_form_tree);
  MST_RUN (test_all_pass_is_band_sum);
  MST_RUN (test_lr4_bands_in_phase);
  MST_RUN (test_paths_agree);
  MST_RUN (test_all_pass_alone);
  MST_RUN (test_invalid_arguments);
  free (input);
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    free (band_ir[b]);
  return mst_test_summary ();
}
