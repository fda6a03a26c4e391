/* Unit test of the filter designs on plain numbers: the accuracy
 * grid (peak, shelves x 5 frequencies x 4 gains x 4 Qs) against the analog
 * prototypes, ours side by side with the bilinear (RBJ) design. The analog
 * reference here is written independently of gst/mst-filter.c, with complex
 * arithmetic. */
#include "mst-filter.h"
#include "mst-test.h"

#include <complex.h>
#include <stdio.h>

static double
analog_reference_db (MstFilterType type, double f0, double gain_db, double q,
    double f)
{
  double complex s = I * f / f0;
  double a = pow (10.0, gain_db / 40.0);
  double complex h;
  switch (type) {
    case MST_FILTER_PEAK:
      h = (s * s + s * a / q + 1) / (s * s + s / (a * q) + 1);
      break;
    case MST_FILTER_LOW_SHELF:
      h = a * (s * s + s * sqrt (a) / q + a) / (a * s * s + s * sqrt (a) / q + 1);
      break;
    default:
      h = a * (a * s * s + s * sqrt (a) / q + 1) / (s * s + s * sqrt (a) / q + a);
      break;
  }
  return 20.0 * log10 (cabs (h));
}

typedef struct {
  double low_ours, low_rbj, high_ours, high_rbj;
} GridErrors;

/* Worst |error| in dB over [10 Hz, split] and [split, 20 kHz]. */
static GridErrors
grid_errors (double rate)
{
  static const MstFilterType types[] = { MST_FILTER_PEAK,
    MST_FILTER_LOW_SHELF, MST_FILTER_HIGH_SHELF
  };
  static const double freqs[] = { 30, 100, 1000, 5000, 10000 };
  static const double gains[] = { -12, -3, 3, 12 };
  static const double qs[] = { 0.5, 0.707, 2, 5 };
  double split = rate >= 88200 ? 20000 : 10000;
  GridErrors e = { 0 };

  for (int t = 0; t < 3; t++)
    for (int fi = 0; fi < 5; fi++)
      for (int gi = 0; gi < 4; gi++)
        for (int qi = 0; qi < 4; qi++) {
          MstFilterParams p = { types[t], freqs[fi], gains[gi], qs[qi], 12 };
          MstBiquad ours[MST_FILTER_MAX_SECTIONS], rbj;
          int n;
          MST_CHECK (mst_filter_design (&p, rate, ours, &n) == MST_OK);
          MST_CHECK (n == 1 && mst_biquad_is_stable (&ours[0]));
          MST_CHECK (mst_filter_design_rbj (&p, rate, &rbj) == MST_OK);
          for (int k = 0; k <= 2000; k++) {
            double f = 10.0 * pow (20000.0 / 10.0, k / 2000.0);
            double ref = analog_reference_db (p.type, p.freq_hz, p.gain_db,
                p.q, f);
            double eo = fabs (mst_biquad_cascade_db (ours, 1, f, rate) - ref);
            double er = fabs (mst_biquad_cascade_db (&rbj, 1, f, rate) - ref);
            if (f <= split) {
              e.low_ours = fmax (e.low_ours, eo);
              e.low_rbj = fmax (e.low_rbj, er);
            } else {
              e.high_ours = fmax (e.high_ours, eo);
              e.high_rbj = fmax (e.high_rbj, er);
            }
          }
        }
  return e;
}

static void
test_accuracy_grid (void)
{
  static const double rates[] = { 44100, 48000, 88200, 96000, 192000, 384000 };
  printf ("# rate    band            ours dB   RBJ dB\n");
  for (int i = 0; i < 6; i++) {
    GridErrors e = grid_errors (rates[i]);
    if (rates[i] >= 88200) {
      printf ("# %6.0f  10 Hz-20 kHz    %6.3f   %6.3f\n", rates[i],
          fmax (e.low_ours, e.high_ours), fmax (e.low_rbj, e.high_rbj));
      MST_CHECK_MSG (e.low_ours <= 0.15 && e.high_ours <= 0.15,
          "rate %.0f: %.3f dB", rates[i], fmax (e.low_ours, e.high_ours));
    } else {
      printf ("# %6.0f  10 Hz-10 kHz    %6.3f   %6.3f\n", rates[i],
          e.low_ours, e.low_rbj);
      printf ("# %6.0f  10 kHz-20 kHz   %6.3f   %6.3f (ratio %.2f)\n",
          rates[i], e.high_ours, e.high_rbj, e.high_ours / e.high_rbj);
      MST_CHECK_MSG (e.low_ours <= 0.15, "rate %.0f: %.3f dB below 10 kHz",
          rates[i], e.low_ours);
      MST_CHECK_MSG (e.high_ours <= e.high_rbj / 3.0,
          "rate %.0f: %.3f dB above 10 kHz vs RBJ %.3f", rates[i],
          e.high_ours, e.high_rbj);
    }
  }
}

/* Butterworth cuts: -3.01 dB at the corner, slope n x 6 dB/octave. */
static void
test_cuts (void)
{
  static const int slopes[] = { 6, 12, 18, 24, 36, 48 };
  for (int i = 0; i < 6; i++) {
    MstFilterParams lc = { MST_FILTER_LOW_CUT, 100, 0, 0.707, slopes[i] };
    MstFilterParams hc = { MST_FILTER_HIGH_CUT, 1000, 0, 0.707, slopes[i] };
    MstBiquad s[MST_FILTER_MAX_SECTIONS];
    int n;
    MST_CHECK (mst_filter_design (&lc, 48000, s, &n) == MST_OK);
    MST_CHECK (n == (slopes[i] / 6 + 1) / 2);
    MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 100, 48000), -3.0103, 0.01);
    /* Two octaves below the corner the Butterworth is within 0.01 dB of
     * -n x 12 dB (its asymptote plus the 10 log10(1 + 16^-n) term). */
    double order = slopes[i] / 6;
    double expected = 10 * log10 (pow (0.25, 2 * order) / (1 + pow (0.25, 2 * order)));
    MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 25, 48000), expected, 0.05);
    MST_CHECK (mst_filter_design (&hc, 48000, s, &n) == MST_OK);
    MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 1000, 48000), -3.0103, 0.01);
    MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 20, 48000), 0.0, 0.01);
    for (int k = 0; k < n; k++)
      MST_CHECK (mst_biquad_is_stable (&s[k]));
  }
}

static void
test_other_types (void)
{
  MstBiquad s[MST_FILTER_MAX_SECTIONS];
  int n;
  MstFilterParams notch = { MST_FILTER_NOTCH, 1000, 0, 2, 12 };
  MST_CHECK (mst_filter_design (&notch, 48000, s, &n) == MST_OK);
  MST_CHECK (mst_biquad_cascade_db (s, n, 1000, 48000) < -100);
  MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 50, 48000), 0.0, 0.05);

  MstFilterParams bp = { MST_FILTER_BAND_PASS, 2000, 0, 1, 12 };
  MST_CHECK (mst_filter_design (&bp, 48000, s, &n) == MST_OK);
  MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 2000, 48000), 0.0, 0.01);
  MST_CHECK (mst_biquad_cascade_db (s, n, 100, 48000) < -20);

  MstFilterParams ap = { MST_FILTER_ALL_PASS, 500, 0, 0.7, 12 };
  MST_CHECK (mst_filter_design (&ap, 48000, s, &n) == MST_OK);
  for (double f = 20; f < 20000; f *= 1.5)
    MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, f, 48000), 0.0, 1e-9);

  /* Tilt: -gain/2 in the lows, +gain/2 in the highs, 0 dB at the pivot. */
  MstFilterParams tilt = { MST_FILTER_TILT, 1000, 6, 0.707, 12 };
  MST_CHECK (mst_filter_design (&tilt, 48000, s, &n) == MST_OK);
  MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 1000, 48000), 0.0, 0.05);
  MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 10, 48000), -3.0, 0.05);
  MST_CHECK_CLOSE (mst_biquad_cascade_db (s, n, 15000, 48000), 3.0, 0.1);
}

/* The extremes: every design stays stable and finite. */
static void
test_extremes (void)
{
  static const double rates[] = { 8000, 44100, 384000 };
  static const double freqs[] = { 10, 20, 1000, 3999, 20000, 40000 };
  static const double qs[] = { 0.1, 0.707, 10, 40 };
  static const double gains[] = { -24, -0.01, 0, 0.01, 24 };
  for (int r = 0; r < 3; r++)
    for (int t = 0; t < MST_FILTER_N_TYPES; t++)
      for (int f = 0; f < 6; f++)
        for (int q = 0; q < 4; q++)
          for (int g = 0; g < 5; g++) {
            MstFilterParams p = { t, freqs[f], gains[g], qs[q], 48 };
            MstBiquad s[MST_FILTER_MAX_SECTIONS];
            int n;
            MST_CHECK (mst_filter_design (&p, rates[r], s, &n) == MST_OK);
            for (int k = 0; k < n; k++) {
              MST_CHECK_MSG (mst_biquad_is_stable (&s[k])
                  && isfinite (s[k].b0 + s[k].b1 + s[k].b2),
                  "type %d f %.0f q %.2f g %.2f rate %.0f", t, freqs[f],
                  qs[q], gains[g], rates[r]);
            }
          }
  MstFilterParams bad = { MST_FILTER_PEAK, -1, 0, 1, 12 };
  MstBiquad s[MST_FILTER_MAX_SECTIONS];
  int n;
  MST_CHECK (mst_filter_design (&bad, 48000, s, &n) == MST_ERR_INVALID_ARG);
}

/* Bands near and above Nyquist: the response up to Nyquist never leaves
 * the range of levels the prototype spans there, or the set gain, by more
 * than 1 dB (no resonance at z = -1), and no pole sits on the unit
 * circle. */
static void
test_near_nyquist (void)
{
  static const MstFilterType types[] = { MST_FILTER_PEAK,
    MST_FILTER_LOW_SHELF, MST_FILTER_HIGH_SHELF, MST_FILTER_TILT
  };
  static const double rates[] = { 8000, 44100, 48000, 96000 };
  static const double ratios[] = { 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.2,
    1.6, 2.3, 4.5
  };
  static const double qs[] = { 0.3, 0.707, 4 };
  static const double gains[] = { -12, -6, 3, 6, 12 };
  for (int r = 0; r < 4; r++)
    for (int t = 0; t < 4; t++)
      for (int k = 0; k < 10; k++)
        for (int q = 0; q < 3; q++)
          for (int g = 0; g < 5; g++) {
            double nyquist = rates[r] / 2;
            MstFilterParams p = { types[t], ratios[k] * nyquist, gains[g],
              qs[q], 12 };
            MstBiquad s[MST_FILTER_MAX_SECTIONS];
            int n;
            MST_CHECK (mst_filter_design (&p, rates[r], s, &n) == MST_OK);
            double lo = INFINITY, hi = -INFINITY, worst = 0;
            for (int i = 0; i <= 400; i++) {
              double f = nyquist * i / 400.0;
              double a = mst_filter_analog_db (&p, f);
              lo = fmin (lo, a);
              hi = fmax (hi, a);
            }
            double set = types[t] == MST_FILTER_TILT ? fabs (gains[g]) / 2
                : gains[g];
            lo = fmin (lo, fmin (0.0, types[t] == MST_FILTER_TILT ? -set : set));
            hi = fmax (hi, fmax (0.0, set));
            for (int i = 0; i <= 400; i++) {
              double d = mst_biquad_cascade_db (s, n, nyquist * i / 400.0,
                  rates[r]);
              worst = fmax (worst, fmax (d - hi, lo - d));
            }
            /* A resonant shelf (Q 4) set far above Nyquist falls back to the
             * bilinear design, whose resonance bump (about 4 dB here) lands
             * below Nyquist: bounded, but not the prototype. */
            double tolerance = qs[q] > 1 ? 5.0 : 1.0;
            MST_CHECK_MSG (worst <= tolerance, "type %d at %.2f x Nyquist, q %.1f, "
                "%+.0f dB, rate %.0f: %.2f dB outside the prototype's range",
                types[t], ratios[k], qs[q], gains[g], rates[r], worst);
            MST_CHECK (s[0].a2 < 0.9999 && 1 - s[0].a1 + s[0].a2 > 1e-6);
          }
}

int
main (void)
{
  MST_RUN (test_accuracy_grid);
  MST_RUN (test_cuts);
  MST_RUN (test_other_types);
  MST_RUN (test_extremes);
  MST_RUN (test_near_nyquist);
  return mst_test_summary ();
}
