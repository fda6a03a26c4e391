/* The AR block (mst-ar) and the declick core on plain arrays: model
 * estimation and the whiteness of its prediction error, LSAR
 * interpolation of gaps in sines, an AR process and music (SDR), and the
 * declicker on generated music with 300 clicks in 30 s: SDR before and
 * after, the clean music through it, the count of clicks, alignment.
 * "sweep" as argument prints the gap SDR against the model order. */
#include "mst-ar.h"
#include "mst-declick.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

#define RATE 48000

static uint64_t rng_state = 0x1234567887654321ull;

static double
uniform (void)
{
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
gauss (void)
{
  return sqrt (-2.0 * log (uniform ())) * cos (2.0 * M_PI * uniform ());
}

static double
sdr_db (const double *ref, const double *x, size_t n)
{
  double s = 0.0, e = 0.0;
  for (size_t i = 0; i < n; i++) {
    s += ref[i] * ref[i];
    e += (x[i] - ref[i]) * (x[i] - ref[i]);
  }
  return e > 0 ? 10.0 * log10 (s / e) : 400.0;
}

/* An AR(4) process with two resonances: the estimate finds its
 * coefficients, and the prediction error of an order-32 model is white
 * (normalised autocorrelation within 4/sqrt(N) at lags 1 to 32). */
static void
test_ar_estimate_white (void)
{
  /* Poles at 0.95 e^(+-i 0.3) and 0.9 e^(+-i 1.2). */
  double r1 = 0.95, w1 = 0.3, r2 = 0.9, w2 = 1.2;
  double c1[3] = { 1, -2 * r1 * cos (w1), r1 * r1 };
  double c2[3] = { 1, -2 * r2 * cos (w2), r2 * r2 };
  double a_true[5] = { 0 };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      a_true[i + j] += c1[i] * c2[j];
  const size_t n = 16384;
  double *x = calloc (n + 4, sizeof (double));
  double *work = malloc ((n + MST_AR_MAX_ORDER) * sizeof (double));
  double *e = malloc (n * sizeof (double));
  for (size_t i = 4; i < n + 4; i++) {
    double v = gauss ();
    for (int k = 1; k <= 4; k++)
      v -= a_true[k] * x[i - k];
    x[i] = v;
  }
  double a[MST_AR_MAX_ORDER + 1], var;
  MST_CHECK (mst_ar_estimate (x + 4, n, NULL, 4, work, a, &var));
  for (int k = 1; k <= 4; k++)
    MST_CHECK_CLOSE (a[k], a_true[k], 0.05);
  MST_CHECK_CLOSE (var, 1.0, 0.1);
  const int p = 32;
  MST_CHECK (mst_ar_estimate (x + 4, n, NULL, p, work, a, &var));
  size_t m = n - p;
  mst_ar_error_forward (a, p, x + 4 + p, m, e);
  double r0 = 0;
  for (size_t i = 0; i < m; i++)
    r0 += e[i] * e[i];
  double worst = 0;
  for (int lag = 1; lag <= 32; lag++) {
    double r = 0;
    for (size_t i = lag; i < m; i++)
      r += e[i] * e[i - lag];
    worst = fmax (worst, fabs (r / r0));
  }
  printf ("  AR(4) estimate: largest error autocorrelation at lags 1..32: "
      "%.4f (bound %.4f)\n", worst, 4 / sqrt ((double) m));
  MST_CHECK (worst < 4 / sqrt ((double) m));
  /* The backward error of the same model is the forward error of the
   * reversed signal: the same energy within 1 %. */
  mst_ar_error_backward (a, p, x + 4, m, e);
  double rb = 0;
  for (size_t i = 0; i < m; i++)
    rb += e[i] * e[i];
  MST_CHECK_CLOSE (rb / r0, 1.0, 0.01);
  /* Silence: no model, no NaN. */
  memset (x, 0, n * sizeof (double));
  MST_CHECK (!mst_ar_estimate (x, n, NULL, p, work, a, &var));
  for (int k = 1; k <= p; k++)
    MST_CHECK (a[k] == 0.0);
  free (x);
  free (work);
  free (e);
}

/* A gap of @gap samples at the middle of @x (n samples), interpolated with
 * a model of @order estimated on the @ctx samples either side (the gap
 * zeroed); returns the SDR over the gap. */
static double
gap_sdr (const double *x, size_t n, size_t gap, size_t ctx, int order)
{
  const size_t s = n / 2 - gap / 2;
  double *y = malloc (n * sizeof (double));
  double *work = malloc ((2 * ctx + gap + MST_AR_MAX_ORDER) * sizeof (double));
  size_t *idx = malloc (gap * sizeof (size_t));
  double a[MST_AR_MAX_ORDER + 1];
  memcpy (y, x, n * sizeof (double));
  for (size_t i = 0; i < gap; i++) {
    y[s + i] = 0.0;
    idx[i] = s + i;
  }
  mst_ar_estimate (y + s - ctx, ctx, NULL, order, work, a, NULL);
  MstArInterp *ip = mst_ar_interp_init (MST_AR_MAX_ORDER, gap, gap);
  MstResult r = mst_ar_interpolate (ip, a, order, y, idx, gap);
  MST_CHECK (r == MST_OK);
  /* Only the gap is written. */
  for (size_t i = 0; i < n; i++)
    if (i < s || i >= s + gap)
      MST_CHECK (y[i] == x[i]);
  double sdr = sdr_db (x + s, y + s, gap);
  mst_ar_interp_destroy (&ip);
  free (y);
  free (work);
  free (idx);
  return sdr;
}

/* Gaps in a sum of three sines and in an AR process are recovered. */
static void
test_ar_interpolate (void)
{
  const size_t n = 8192;
  double *x = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5 * sin (0.031 * i) + 0.3 * sin (0.17 * i + 1)
        + 0.1 * sin (0.9 * i + 2) + 1e-4 * gauss ();
  double sdr_sines = gap_sdr (x, n, 96, 2048, 32);
  printf ("  sum of sines, 2 ms gap, order 32: SDR %.1f dB\n", sdr_sines);
  MST_CHECK (sdr_sines > 30.0);
  /* An AR(2) resonance at 0.99: the gap's SDR is that of the best linear
   * estimate, well above the 0 dB of zeros. */
  double prev1 = 0, prev2 = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = gauss () + 2 * 0.99 * cos (0.2) * prev1 - 0.99 * 0.99 * prev2;
    prev2 = prev1;
    prev1 = x[i];
  }
  double sdr_ar = gap_sdr (x, n, 16, 2048, 2);
  printf ("  AR(2) process, 16-sample gap: SDR %.1f dB\n", sdr_ar);
  MST_CHECK (sdr_ar > 6.0);
  /* Invalid: too many unknowns, not increasing, too near the start. */
  MstArInterp *ip = mst_ar_interp_init (8, 4, 8);
  double a[3] = { 1, -1, 0.5 };
  size_t bad1[5] = { 10, 11, 12, 13, 14 }, bad2[2] = { 11, 10 }, bad3[1] = { 1 };
  MST_CHECK (mst_ar_interpolate (ip, a, 2, x, bad1, 5) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_ar_interpolate (ip, a, 2, x, bad2, 2) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_ar_interpolate (ip, a, 2, x, bad3, 1) == MST_ERR_INVALID_ARG);
  mst_ar_interp_destroy (&ip);
  MST_CHECK (ip == NULL);
  free (x);
}

/* The bounded interpolation: a sine clipped at 0.6 comes back at or beyond
 * the clip level on every restored sample, nearer the truth than the
 * clipped one. */
static void
test_ar_bounded (void)
{
  const size_t n = 8192;
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  double *work = malloc ((n + MST_AR_MAX_ORDER) * sizeof (double));
  size_t idx[512];
  double bound[512], a[MST_AR_MAX_ORDER + 1];
  for (size_t i = 0; i < n; i++)
    x[i] = 0.7 * sin (2 * M_PI * 440.0 / RATE * i + 0.3)
        + 0.2 * sin (2 * M_PI * 1250.0 / RATE * i) + 1e-4 * gauss ();
  memcpy (y, x, n * sizeof (double));
  size_t m = 0, s0 = n / 2 - 100;
  for (size_t i = s0; i < s0 + 200; i++)
    if (fabs (y[i]) > 0.6 && m < 512) {
      y[i] = y[i] > 0 ? 0.6 : -0.6;
      bound[m] = y[i];
      idx[m++] = i;
    }
  MST_CHECK (m > 10);
  double before = sdr_db (x + s0, y + s0, 200);
  /* The model from the unclipped part before the region. */
  mst_ar_estimate (x + 1024, 2048, NULL, 16, work, a, NULL);
  MstArInterp *ip = mst_ar_interp_init (16, 512, 512);
  size_t held;
  MST_CHECK (mst_ar_interpolate_bounded (ip, a, 16, y, idx, m, bound, &held)
      == MST_OK);
  for (size_t i = 0; i < m; i++)
    MST_CHECK (bound[i] > 0 ? y[idx[i]] >= bound[i] : y[idx[i]] <= bound[i]);
  double after = sdr_db (x + s0, y + s0, 200);
  printf ("  clipped sines: SDR %.1f dB before, %.1f after (%zu of %zu held "
      "at the bound)\n", before, after, held, m);
  MST_CHECK (after > before + 10.0);
  mst_ar_interp_destroy (&ip);
  free (x);
  free (y);
  free (work);
}

/* The SDR of a 1.5 ms gap in music against the model order, averaged over
 * gaps (for the choice of the order per rate). */
static void
sweep_order (void)
{
  const size_t n = RATE * 10;
  float *m = malloc (n * 2 * sizeof (float));
  double *x = malloc (n * sizeof (double));
  mst_signal_music (m, n, 2, RATE, 3);
  for (size_t i = 0; i < n; i++)
    x[i] = m[2 * i];
  static const int orders[] = { 8, 16, 24, 32, 40, 48, 64 };
  for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
    double sum = 0;
    int k = 0;
    for (size_t at = RATE; at + RATE < n; at += RATE / 3, k++)
      sum += gap_sdr (x + at - 4096, 8192, 72, 1024, orders[o]);
    printf ("  order %2d: mean gap SDR %.1f dB\n", orders[o], sum / k);
  }
  free (m);
  free (x);
}

typedef struct
{
  double sdr_in, sdr_out;
  uint64_t clicks;
  size_t changed;
} DeclickRun;

/* @x (n stereo frames) through a declicker in blocks of 1000 frames; the
 * output aligned with the input checked by count. */
static void
run_declick (const float *x, const float *clean, size_t n, int channels,
    const MstDeclickSettings * s, DeclickRun * r, float *y)
{
  MstDeclick *d = mst_declick_init (channels);
  MST_CHECK (d != NULL);
  MST_CHECK (mst_declick_configure (d, RATE, channels) == MST_OK);
  MST_CHECK (mst_declick_set (d, s) == MST_OK);
  size_t done = 0, out = 0, k;
  const size_t block = 1000;
  while (done < n) {
    size_t b = n - done < block ? n - done : block;
    mst_declick_process_f32 (d, x + done * channels, b, y + out * channels,
        &k);
    done += b;
    out += k;
    MST_CHECK (out + mst_declick_get_pending (d) == done);
    MST_CHECK (done < mst_declick_get_latency (d)
        || mst_declick_get_pending (d) == mst_declick_get_latency (d));
  }
  mst_declick_drain_f32 (d, y + out * channels, &k);
  out += k;
  MST_CHECK (out == n);
  r->clicks = mst_declick_get_click_count (d, -1);
  MST_CHECK (r->clicks == mst_declick_get_click_count (d, 0)
      + (channels > 1 ? mst_declick_get_click_count (d, 1) : 0));
  mst_declick_destroy (&d);
  double *a = malloc (n * channels * sizeof (double));
  double *b = malloc (n * channels * sizeof (double));
  double *c = malloc (n * channels * sizeof (double));
  r->changed = 0;
  for (size_t i = 0; i < n * channels; i++) {
    a[i] = clean[i];
    b[i] = x[i];
    c[i] = y[i];
    r->changed += x[i] != y[i];
  }
  r->sdr_in = sdr_db (a, b, n * channels);
  r->sdr_out = sdr_db (a, c, n * channels);
  free (a);
  free (b);
  free (c);
}

/* 300 clicks in 30 s of stereo music: the figures. */
static void
test_declick_music (void)
{
  const size_t n = (size_t) RATE * 30;
  const int ch = 2;
  float *clean = malloc (n * ch * sizeof (float));
  float *x = malloc (n * ch * sizeof (float));
  float *y = malloc (n * ch * sizeof (float));
  size_t starts[300];
  mst_signal_music (clean, n, ch, RATE, 7);
  memcpy (x, clean, n * ch * sizeof (float));
  mst_signal_add_clicks (x, n, ch, RATE, 300, 11, starts);
  MstDeclickSettings s;
  mst_declick_settings_default (&s);
  DeclickRun r;
  run_declick (x, clean, n, ch, &s, &r, y);
  printf ("  300 clicks in 30 s: SDR %.1f dB before, %.1f after; %llu clicks "
      "repaired on 2 channels (600 made), %zu samples changed\n",
      r.sdr_in, r.sdr_out, (unsigned long long) r.clicks, r.changed);
  /* The damage mostly gone (against FFmpeg's adeclick: bench.py's
   * declick group). */
  MST_CHECK (r.sdr_out > r.sdr_in + 5.0);
  /* Each click on each channel repaired once, within 25 % under (a faint
   * click's channel under a drum hit stays under the threshold, and a click
   * at a drum's onset is left alone) and 10 % over (a long one split). */
  MST_CHECK (r.clicks >= 450 && r.clicks <= 660);
  /* Listen: what was removed, which added to the output is the input
   * within rounding. */
  float *l = malloc (n * ch * sizeof (float));
  DeclickRun rl;
  s.listen = true;
  run_declick (x, clean, n, ch, &s, &rl, l);
  double worst = 0;
  for (size_t i = 0; i < n * ch; i++)
    worst = fmax (worst, fabs ((double) l[i] + y[i] - x[i]));
  MST_CHECK (worst < 1e-6);
  /* Bypass: the input, bit for bit. */
  s.listen = false;
  s.bypass = true;
  run_declick (x, clean, n, ch, &s, &rl, l);
  MST_CHECK (memcmp (l, x, n * ch * sizeof (float)) == 0);
  MST_CHECK (rl.clicks == 0);
  free (l);

  /* The clean music: untouched but for a few samples, SDR above 60 dB. */
  s.bypass = false;
  run_declick (clean, clean, n, ch, &s, &r, y);
  printf ("  clean music through it: SDR %.1f dB, %llu false clicks, %zu "
      "samples changed\n", r.sdr_out,
      (unsigned long long) r.clicks, r.changed);
  MST_CHECK (r.sdr_out > 60.0);
  free (clean);
  free (x);
  free (y);
}

/* Alignment and what is left alone: one click on a sine; every sample
 * outside the click and its widening comes out bit for bit, at its
 * place. */
static void
test_declick_alignment (void)
{
  const size_t n = RATE;
  float *clean = malloc (n * sizeof (float)), *x = malloc (n * sizeof (float));
  float *y = malloc (n * sizeof (float));
  mst_signal_sine (clean, n, 1, RATE, 440, 0.5, 0);
  for (size_t i = 0; i < n; i++)
    clean[i] += (float) (1e-3 * gauss ());
  memcpy (x, clean, n * sizeof (float));
  size_t at;
  const size_t len = RATE / 500;        /* the longest click made */
  mst_signal_add_clicks (x, n, 1, RATE, 1, 5, &at);
  MstDeclickSettings s;
  mst_declick_settings_default (&s);
  DeclickRun r;
  run_declick (x, clean, n, 1, &s, &r, y);
  MST_CHECK (r.clicks == 1);
  size_t first = n, last = 0;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) {
      first = i < first ? i : first;
      last = i;
    }
  printf ("  one click at %zu: samples %zu to %zu changed, SDR %.1f -> "
      "%.1f dB\n", at, first, last, r.sdr_in, r.sdr_out);
  MST_CHECK (first >= at - 4 && last <= at + len + 4);
  MST_CHECK (r.sdr_out > r.sdr_in + 10.0);
  free (clean);
  free (x);
  free (y);
}

/* NaN and Inf: counted, read as silence, the output finite. */
static void
test_declick_nonfinite (void)
{
  const size_t n = RATE / 2;
  double *x = malloc (2 * n * sizeof (double));
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = 0.3 * sin (0.05 * i);
  x[1001] = NAN;
  x[5000] = INFINITY;
  x[7000] = 1e6;
  MstDeclick *d = mst_declick_init (2);
  MST_CHECK (mst_declick_configure (d, RATE, 2) == MST_OK);
  size_t k, k2;
  mst_declick_process_f64 (d, x, n, x, &k);
  mst_declick_drain_f64 (d, x + 2 * k, &k2);
  MST_CHECK (k + k2 == n);
  MST_CHECK (mst_declick_get_nonfinite_count (d) == 3);
  for (size_t i = 0; i < 2 * n; i++)
    MST_CHECK (isfinite (x[i]));
  MstDeclickSettings s;
  mst_declick_settings_default (&s);
  s.sensitivity = 0;
  MST_CHECK (mst_declick_set (d, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_declick_configure (d, 1000, 2) == MST_ERR_INVALID_ARG);
  mst_declick_destroy (&d);
  MST_CHECK (d == NULL);
  free (x);
}

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "sweep") == 0) {
    sweep_order ();
    return 0;
  }
  MST_RUN (test_ar_estimate_white);
  MST_RUN (test_ar_interpolate);
  MST_RUN (test_ar_bounded);
  MST_RUN (test_declick_alignment);
  MST_RUN (test_declick_nonfinite);
  MST_RUN (test_declick_music);
  return mst_test_summary ();
}
