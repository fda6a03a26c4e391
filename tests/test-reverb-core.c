/* The reverb core on arrays: decay times measured by Schroeder backward
 * integration (T30: the fit from -5 to -35 dB) at three settings and two
 * rates, per octave band against decay-low and decay, echo density
 * (Abel and Huang's normalized echo density), stability at the extremes,
 * no subnormal output, the dry path bit-exact at mix 0, mutually prime
 * lines, glides without steps, the drained tail.
 *
 * With MST_REVERB_DUMP set to a folder, the impulse responses the docs plot
 * (docs/plots/reverb.py) are written there as raw doubles. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mst-biquad.h"
#include "mst-filter.h"
#include "mst-reverb.h"
#include "mst-reverb-test.h"
#include "mst-test.h"

/* T30 of the energy @e (n values, both channels summed): Schroeder's
 * backward integral in dB, a least-squares line through the part between
 * -5 and -35 dB, extrapolated to -60 dB (ISO 3382-1's T30). */
static double
t30 (const double *e, size_t n, double rate)
{
  double *edc = malloc (n * sizeof (double)), acc = 0;
  for (size_t i = n; i-- > 0;) {
    acc += e[i];
    edc[i] = acc;
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    double db = 10 * log10 (edc[i] / edc[0]);
    if (db <= -5 && db >= -35) {
      double t = i / rate;
      sx += t;
      sy += db;
      sxx += t * t;
      sxy += t * db;
      k++;
    }
  }
  free (edc);
  double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
  return -60.0 / slope;
}

static double
t30_stereo (const double *ir, size_t n, double rate)
{
  double *e = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    e[i] = ir[2 * i] * ir[2 * i] + ir[2 * i + 1] * ir[2 * i + 1];
  double t = t30 (e, n, rate);
  free (e);
  return t;
}

/* Frames an impulse response needs for its T30: -35 dB and a margin
 * (what is cut off beyond is then under 0.5 % of the integral there). */
static size_t
ir_frames (double rt60, double rate)
{
  return (size_t) ((rt60 + 0.1) * rate);
}

static void
test_rt60_broadband (void)
{
  const double rates[] = { 44100, 96000 }, decays[] = { 0.5, 2.0, 6.0 };
  for (int r = 0; r < 2; r++)
    for (int d = 0; d < 3; d++) {
      MstReverbSettings s;
      mst_reverb_settings_default (&s);
      s.decay_s = s.decay_low_s = decays[d];
      s.predelay_ms = 0;
      size_t n = ir_frames (decays[d], rates[r]);
      double *ir = mst_test_reverb_impulse_response (rates[r], &s, n);
      double t = t30_stereo (ir, n, rates[r]);
      printf ("  %g Hz decay %g s: T30 %.3f s (%+.1f %%)\n", rates[r],
          decays[d], t, 100 * (t / decays[d] - 1));
      MST_CHECK_MSG (fabs (t / decays[d] - 1) < 0.10, "%g Hz: T30 %g for %g",
          rates[r], t, decays[d]);
      if (rates[r] == 44100 && d == 1)
        mst_test_reverb_dump ("ir-2s", ir, 2 * n);
      free (ir);
    }
}

/* The octave band around @fc of @ir (left + right energy), through a
 * 4th-order Butterworth band (low cut at fc / sqrt 2, high cut at
 * fc sqrt 2, run forwards), into @e. */
static void
octave_energy (const double *ir, size_t n, double rate, double fc, double *e)
{
  MstFilterParams lo = { MST_FILTER_LOW_CUT, fc / M_SQRT2, 0, 0.707, 24 };
  MstFilterParams hi = { MST_FILTER_HIGH_CUT, fc * M_SQRT2, 0, 0.707, 24 };
  MstBiquadCascade a, b;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  mst_filter_design (&lo, rate, a.coefs, &a.n_sections);
  mst_filter_design (&hi, rate, b.coefs, &b.n_sections);
  double *x = malloc (2 * n * sizeof (double));
  int chans[2] = { 0, 1 };
  for (int c = 0; c < 2; c++)
    for (size_t i = 0; i < n; i++)
      x[c * n + i] = ir[2 * i + c];
  mst_biquad_cascade_run (&a, chans, 2, x, n, NULL, (int) n);
  mst_biquad_cascade_run (&b, chans, 2, x, n, NULL, (int) n);
  for (size_t i = 0; i < n; i++)
    e[i] = x[i] * x[i] + x[n + i] * x[n + i];
  free (x);
}

/* decay-low below the crossover, decay above: T30 in octave bands three
 * octaves from it within 10 % of the setting (the shelves are first
 * order: two octaves away they are 85 % of the way), and the bands two
 * octaves and more from it within 10 % of the decay the filters are
 * designed for (nearer, a band's late decay is its slowest frequency's). */
static void
test_rt60_bands (void)
{
  const double rate = 48000;
  const double bands[] = { 125, 250, 500, 1000, 2000, 4000, 8000 };
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  s.decay_low_s = 4.0;
  s.decay_s = 1.0;
  s.crossover_hz = 1000;
  s.predelay_ms = 0;
  size_t n = ir_frames (4.0, rate);
  double *ir = mst_test_reverb_impulse_response (rate, &s, n);
  double *e = malloc (n * sizeof (double));
  MstReverb *rv = mst_test_reverb_new (rate, 1, &s);
  mst_test_reverb_dump ("ir-bands", ir, 2 * n);
  for (int b = 0; b < 7; b++) {
    octave_energy (ir, n, rate, bands[b], e);
    double t = t30 (e, n, rate);
    double want = mst_reverb_design_rt60 (rv, bands[b]);
    printf ("  %g Hz: T30 %.3f s, designed %.3f s\n", bands[b], t, want);
    if (bands[b] <= 250 || bands[b] >= 4000)
      MST_CHECK_MSG (fabs (t / want - 1) < 0.10, "%g Hz: %g for %g",
          bands[b], t, want);
    if (bands[b] <= 125)
      MST_CHECK_MSG (fabs (t / s.decay_low_s - 1) < 0.10, "%g Hz: %g",
          bands[b], t);
    if (bands[b] >= 8000)
      MST_CHECK_MSG (fabs (t / s.decay_s - 1) < 0.10, "%g Hz: %g", bands[b],
          t);
  }
  /* Damping at 2 kHz: the 8 kHz band decays faster than decay. */
  s.decay_low_s = s.decay_s = 2.0;
  s.damping_hz = 2000;
  free (ir);
  n = ir_frames (2.0, rate);
  ir = mst_test_reverb_impulse_response (rate, &s, n);
  octave_energy (ir, n, rate, 8000, e);
  double t8 = t30 (e, n, rate);
  octave_energy (ir, n, rate, 250, e);
  double t250 = t30 (e, n, rate);
  printf ("  damping 2 kHz: 250 Hz %.3f s, 8 kHz %.3f s\n", t250, t8);
  MST_CHECK (fabs (t250 / 2.0 - 1) < 0.10);
  MST_CHECK (t8 < 0.6 * 2.0);
  mst_reverb_destroy (&rv);
  free (e);
  free (ir);
}

/* decay alone (decay-low left at 0, "the same as decay") sets the decay
 * at every frequency: octave T30 at 125 Hz, 1 kHz and 8 kHz within 10 % of
 * decay, at a short and a long decay. */
static void
test_decay_alone (void)
{
  const double rate = 48000, decays[] = { 0.5, 6.0 };
  const double bands[] = { 125, 1000, 8000 };
  for (int d = 0; d < 2; d++) {
    MstReverbSettings s;
    mst_reverb_settings_default (&s);
    MST_CHECK (s.decay_low_s == MST_REVERB_DECAY_LOW_FOLLOWS);
    s.decay_s = decays[d];
    s.predelay_ms = 0;
    size_t n = ir_frames (decays[d], rate);
    double *ir = mst_test_reverb_impulse_response (rate, &s, n);
    double *e = malloc (n * sizeof (double));
    for (int b = 0; b < 3; b++) {
      octave_energy (ir, n, rate, bands[b], e);
      double t = t30 (e, n, rate);
      printf ("  decay %g s alone: %g Hz T30 %.3f s (%+.1f %%)\n", decays[d],
          bands[b], t, 100 * (t / decays[d] - 1));
      MST_CHECK_MSG (fabs (t / decays[d] - 1) < 0.10, "decay %g, %g Hz: %g",
          decays[d], bands[b], t);
    }
    free (e);
    free (ir);
  }
  /* Under 0.1 s (a controller on its way to 0) follows decay too: the set
   * is taken, and designs the same decay as 0. */
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  s.decay_s = 3.0;
  MstReverb *rv = mst_test_reverb_new (rate, 1, &s);
  double want = mst_reverb_design_rt60 (rv, 100);
  s.decay_low_s = 0.05;
  MST_CHECK (mst_reverb_set (rv, &s) == MST_OK);
  mst_reverb_reset (rv);
  MST_CHECK (fabs (mst_reverb_design_rt60 (rv, 100) / want - 1) < 1e-9);
  MST_CHECK (fabs (want / 3.0 - 1) < 0.01);
  s.decay_low_s = -1;
  MST_CHECK (mst_reverb_set (rv, &s) == MST_ERR_INVALID_ARG);
  mst_reverb_destroy (&rv);
}

/* Abel and Huang ("A simple, robust measure of reverberation echo
 * density", AES 121st convention, 2006): in a 20 ms window, the share of
 * samples beyond one standard deviation, over erfc (1 / sqrt 2) (that of
 * Gaussian noise). 1: as dense as noise. Into @ned, one value a ms. */
static void
echo_density (const double *x, size_t n, double rate, double *ned,
    size_t n_ms)
{
  size_t half = (size_t) (0.010 * rate);
  for (size_t m = 0; m < n_ms; m++) {
    size_t c = (size_t) (m * 1e-3 * rate);
    size_t a = c > half ? c - half : 0, b = c + half < n ? c + half : n;
    double ss = 0;
    for (size_t i = a; i < b; i++)
      ss += x[i] * x[i];
    double sd = sqrt (ss / (b - a)), k = 0;
    for (size_t i = a; i < b; i++)
      k += fabs (x[i]) > sd;
    ned[m] = sd > 0 ? k / (b - a) / erfc (1 / M_SQRT2) : 0;
  }
}

static void
test_echo_density (void)
{
  const double rate = 48000;
  const size_t n_ms = 300;
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  s.predelay_ms = 0;
  size_t n = (size_t) (0.4 * rate);
  double *ir = mst_test_reverb_impulse_response (rate, &s, n);
  double *left = malloc (n * sizeof (double)), ned[300];
  for (size_t i = 0; i < n; i++)
    left[i] = ir[2 * i];
  echo_density (left, n, rate, ned, n_ms);
  mst_test_reverb_dump ("ned-default", ned, n_ms);
  /* Dense: the mean over 100 to 300 ms at 0.9 or more of noise's. */
  double mean = 0;
  size_t first = n_ms;
  for (size_t m = 100; m < n_ms; m++)
    mean += ned[m] / (n_ms - 100);
  for (size_t m = 0; m < n_ms && first == n_ms; m++)
    if (ned[m] >= 0.9)
      first = m;
  printf ("  echo density: 0.9 first at %zu ms, mean %.3f from 100 ms\n",
      first, mean);
  MST_CHECK (first <= 100);
  MST_CHECK (mean >= 0.9);
  free (left);
  free (ir);
}

static bool
is_subnormal (double v)
{
  return v != 0.0 && fabs (v) < FLT_MIN;
}

/* Every extreme at 8 and 192 kHz: noise in, then silence; finite output,
 * bounded, decaying, no subnormal samples (F32). */
static void
test_extremes (void)
{
  const double rates[] = { 8000, 192000 };
  for (int r = 0; r < 2; r++)
    for (int k = 0; k < 16; k++) {
      double rate = rates[r];
      MstReverbSettings s;
      mst_reverb_settings_default (&s);
      s.decay_s = (k & 1) ? MST_REVERB_MAX_DECAY_S : MST_REVERB_MIN_DECAY_S;
      s.decay_low_s = (k & 2) ? MST_REVERB_MAX_DECAY_S :
          MST_REVERB_MIN_DECAY_S;
      s.size_pct = (k & 4) ? MST_REVERB_MAX_SIZE_PCT : MST_REVERB_MIN_SIZE_PCT;
      s.damping_hz = (k & 8) ? MST_REVERB_MAX_DAMPING_HZ :
          MST_REVERB_MIN_DAMPING_HZ;
      s.crossover_hz = (k & 1) ? MST_REVERB_MIN_CROSSOVER_HZ :
          MST_REVERB_MAX_CROSSOVER_HZ;
      s.diffusion_pct = 100;
      s.mix_pct = 100;
      MstReverb *rv = mst_test_reverb_new (rate, 2, &s);
      size_t n = (size_t) (0.25 * rate);
      float *x = malloc (2 * n * sizeof (float));
      float *y = malloc (2 * n * sizeof (float));
      uint32_t seed = 1;
      double e_first = 0, peak = 0;
      bool finite = true, sub = false, grows = false;
      for (int blk = 0; blk < 6; blk++) {
        for (size_t i = 0; i < 2 * n; i++) {
          seed = seed * 1664525u + 1013904223u;
          x[i] = blk == 0 ? (float) ((seed >> 8) / 16777216.0 * 2 - 1) : 0.f;
        }
        mst_reverb_process_f32 (rv, x, n, y);
        double e = 0;
        for (size_t i = 0; i < 2 * n; i++) {
          finite = finite && isfinite (y[i]);
          sub = sub || is_subnormal (y[i]);
          e += (double) y[i] * y[i];
          peak = fmax (peak, fabs (y[i]));
        }
        /* After the input ends, each quarter second holds no more than
         * twice what the longest decay leaves of the first a quarter
         * earlier (the first holds the end of the input; modes beat,
         * so the energy of a slow decay wavers from one to the next),
         * once it is 120 dB down no more than that. */
        double t_max = fmax (s.decay_s, s.decay_low_s);
        if (blk == 1)
          e_first = e;
        if (blk >= 2 && e > 2 * e_first * pow (10, -6 * 0.25 * (blk - 2)
                / t_max) && e > e_first * 1e-12)
          grows = true;
      }
      MST_CHECK_MSG (finite && !sub && !grows && peak < 8.0,
          "%g Hz case %d: finite %d subnormal %d grows %d peak %g", rate, k,
          finite, sub, grows, peak);
      free (x);
      free (y);
      mst_reverb_destroy (&rv);
    }
}

/* Glides of every numeric setting across its range on a sine: the largest
 * sample-to-sample step stays within that of the output's own level. */
static void
test_glides (void)
{
  const double rate = 48000, f = 997;
  const size_t n = 24000;
  const char *names[] = { "decay", "decay-low", "crossover", "damping",
    "size", "pre-delay", "diffusion", "mix", "width", "modulation"
  };
  /* Twice: the time-invariant network (modulation 0) judged against the
   * level within 1 ms, and the default moving matrix within 5 ms (it
   * beats the tail against the dry sine, and at a null of the sum the
   * phase turns fast while the level is low: small steps, no click, but
   * large ones for a level a period wide). */
  for (int modulated = 0; modulated < 2; modulated++)
  for (int p = 0; p < (modulated ? 10 : 9); p++) {
    const size_t half = modulated ? 240 : 49;
    MstReverbSettings s;
    mst_reverb_settings_default (&s);
    s.mix_pct = 50;
    if (!modulated)
      s.modulation_pct = 0;
    MstReverb *rv = mst_test_reverb_new (rate, 1, &s);
    double *x = malloc (n * sizeof (double));
    double *y = malloc (2 * n * sizeof (double));
    for (size_t i = 0; i < n; i++)
      x[i] = 0.5 * sin (2 * M_PI * f * i / rate);
    double worst = 0;
    for (int blk = 0; blk < 4; blk++) {
      /* Across the range every 64 frames, ends swapped each block. */
      for (size_t o = 0; o < n; o += 64) {
        double u = (blk & 1) ? 1.0 - (double) o / n : (double) o / n;
        switch (p) {
          case 0: s.decay_s = 0.1 + u * 29.9; break;
          case 1: s.decay_low_s = 0.1 + u * 29.9; break;
          case 2: s.crossover_hz = 50 * pow (200, u); break;
          case 3: s.damping_hz = 1000 * pow (20, u); break;
          case 4: s.size_pct = 25 + u * 175; break;
          case 5: s.predelay_ms = u * 250; break;
          case 6: s.diffusion_pct = u * 100; break;
          case 7: s.mix_pct = u * 100; break;
          case 8: s.width_pct = u * 100; break;
          case 9: s.modulation_pct = u * 100; break;
        }
        MST_CHECK (mst_reverb_set (rv, &s) == MST_OK);
        mst_reverb_process_f64 (rv, x + o, 64, y + 2 * o);
      }
      /* The largest step against a sine's 2 A sin (pi f / fs) at the
       * largest level anywhere near. */
      for (int c = 0; c < 2; c++)
        for (size_t i = half + 1; i + half < n; i++) {
          double a = 0;
          for (size_t k = i - half; k <= i + half; k++)
            a = fmax (a, fabs (y[2 * k + c]));
          double step = fabs (y[2 * i + c] - y[2 * (i - 1) + c]);
          worst = fmax (worst, step / (2 * fmax (a, 1e-3) * sin (M_PI * f /
                      rate)));
        }
    }
    printf ("  %s%s: largest step %.3f of the sine's\n", names[p],
        modulated ? "" : " (modulation 0)", worst);
    MST_CHECK_MSG (worst < 1.5, "%s, modulated %d: %g", names[p], modulated,
        worst);
    free (x);
    free (y);
    mst_reverb_destroy (&rv);
  }
}

static void
test_dry_bit_exact (void)
{
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  s.mix_pct = 0;
  for (int ch = 1; ch <= 2; ch++) {
    MstReverb *rv = mst_test_reverb_new (44100, ch, &s);
    size_t n = 10000;
    float *x = malloc (ch * n * sizeof (float)), *y = malloc (2 * n *
        sizeof (float));
    for (size_t i = 0; i < ch * n; i++)
      x[i] = (float) sin (i * 0.37) * 0.9f;
    mst_reverb_process_f32 (rv, x, n, y);
    bool same = true;
    for (size_t i = 0; i < n; i++)
      for (int c = 0; c < 2; c++)
        same = same && y[2 * i + c] == x[i * ch + (ch == 2 ? c : 0)];
    MST_CHECK_MSG (same, "%d channels", ch);
    free (x);
    free (y);
    mst_reverb_destroy (&rv);
  }
}

static size_t
gcd (size_t a, size_t b)
{
  while (b) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static void
test_lines (void)
{
  const double rates[] = { 8000, 44100, 384000 };
  const double sizes[] = { 25, 100, 200 };
  for (int r = 0; r < 3; r++)
    for (int z = 0; z < 3; z++) {
      MstReverbSettings s;
      mst_reverb_settings_default (&s);
      s.size_pct = sizes[z];
      MstReverb *rv = mst_test_reverb_new (rates[r], 2, &s);
      size_t len[MST_REVERB_LINES];
      mst_reverb_get_line_lengths (rv, len);
      for (int i = 0; i < MST_REVERB_LINES; i++)
        for (int k = 0; k < i; k++)
          MST_CHECK_MSG (gcd (len[i], len[k]) == 1, "%zu %zu", len[i],
              len[k]);
      /* Scaled by size: the longest near 61 ms x size. */
      MST_CHECK (fabs (len[MST_REVERB_LINES - 1] / rates[r] - 0.061 *
              sizes[z] / 100) < 0.002);
      mst_reverb_destroy (&rv);
    }
}

/* The tail after the input: at most 2 x the longest decay, ending when a
 * whole longest line stayed under -90 dBFS; nothing when dry or off. */
static void
test_drain (void)
{
  const double rate = 48000;
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  s.mix_pct = 100;
  s.decay_s = s.decay_low_s = 0.5;
  MstReverb *rv = mst_test_reverb_new (rate, 1, &s);
  size_t n = 4800;
  double *x = calloc (n, sizeof (double)), *y = malloc (2 * n *
      sizeof (double));
  x[0] = 1.0;
  mst_reverb_process_f64 (rv, x, n, y);
  size_t cap = 2 * 48000, got = 0, k;
  double *tail = malloc (2 * cap * sizeof (double));
  do {
    MST_CHECK (mst_reverb_drain_f64 (rv, tail + 2 * got, 1000, &k) == MST_OK);
    got += k;
  } while (k > 0 && got + 1000 <= cap);
  /* Ends on the floor before 2 x RT60, after the pre-delay and a line. */
  printf ("  tail of decay 0.5 s: %zu frames (%.3f s)\n", got, got / rate);
  MST_CHECK (got > 0.071 * rate && got < 2 * 0.5 * rate);
  double last = 0;
  for (size_t i = 2 * (got - 1000); i < 2 * got; i++)
    last = fmax (last, fabs (tail[i]));
  MST_CHECK (last < pow (10, -90 / 20.0));
  /* Longest lines of 122 ms, decay 0.1 s: the floor is checked a line
   * after the pre-delay and a line (at 244 ms), later than 2 x RT60: the
   * tail is cut there, to the frame. */
  s.decay_s = s.decay_low_s = 0.1;
  s.size_pct = 200;
  s.mix_pct = 100;
  MST_CHECK (mst_reverb_set (rv, &s) == MST_OK);
  mst_reverb_reset (rv);
  for (size_t i = 0; i < n; i++)
    x[i] = sin (i * 0.1);
  mst_reverb_process_f64 (rv, x, n, y);
  got = 0;
  do {
    mst_reverb_drain_f64 (rv, tail + 2 * got, 1000, &k);
    got += k;
  } while (k > 0 && got + 1000 <= cap);
  printf ("  tail of decay 0.1 s after a loud sine: %zu frames\n", got);
  MST_CHECK (got == (size_t) ceil (0.2 * rate));
  /* Dry: no tail. */
  s.mix_pct = 0;
  mst_reverb_set (rv, &s);
  mst_reverb_reset (rv);
  mst_reverb_process_f64 (rv, x, n, y);
  mst_reverb_drain_f64 (rv, tail, 1000, &k);
  MST_CHECK (k == 0);
  free (x);
  free (y);
  free (tail);
  mst_reverb_destroy (&rv);
}

static void
test_invalid_and_nonfinite (void)
{
  MstReverbSettings s;
  mst_reverb_settings_default (&s);
  MstReverb *rv = mst_test_reverb_new (48000, 2, &s);
  MstReverbSettings bad = s;
  bad.decay_s = 0;
  MST_CHECK (mst_reverb_set (rv, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.size_pct = NAN;
  MST_CHECK (mst_reverb_set (rv, &bad) == MST_ERR_INVALID_ARG);
  float x[2 * 256], y[2 * 256];
  for (int i = 0; i < 512; i++)
    x[i] = 0.5f;
  x[100] = NAN;
  mst_reverb_process_f32 (rv, x, 256, y);
  MST_CHECK (mst_reverb_get_nonfinite_count (rv) > 0);
  bool finite = true;
  for (int i = 0; i < 512; i++)
    finite = finite && isfinite (y[i]);
  MST_CHECK (finite);
  mst_reverb_destroy (&rv);
}

int
main (void)
{
  MST_RUN (test_rt60_broadband);
  MST_RUN (test_rt60_bands);
  MST_RUN (test_decay_alone);
  MST_RUN (test_echo_density);
  MST_RUN (test_extremes);
  MST_RUN (test_glides);
  MST_RUN (test_dry_bit_exact);
  MST_RUN (test_lines);
  MST_RUN (test_drain);
  MST_RUN (test_invalid_and_nonfinite);
  return mst_test_summary ();
}
