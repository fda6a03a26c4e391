/* Unit tests of the filter blocks on plain arrays: the biquad cascade
 * (runners against a plain Direct Form I reference, the fused pass and
 * its hand-over of history, coefficient ramps, reset, finiteness) and the
 * parameter smoothers (time-constant convention, snapping, fades, gain
 * glide); the biquad network (sections side by side) against the same
 * reference, cut into runs anywhere, handing its history over; the block
 * form (eight frames a step) likewise. */
#include "mst-biquad.h"
#include "mst-filter.h"
#include "mst-biquad-net.h"
#include "mst-biquad-block.h"
#include "mst-smoother.h"
#include "mst-cpu.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define N 2048
#define STRIDE N

/* Deterministic noise in [-0.5, 0.5). */
static void
fill_noise (double *x, size_t n, uint32_t seed)
{
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (seed >> 8) / 16777216.0 - 0.5;
  }
}

/* Sections of a peak, a shelf and a 4th-order low cut. */
static int
design_sections (MstBiquad * s)
{
  MstFilterParams peak = { MST_FILTER_PEAK, 900, 6, 1.2, 12 };
  MstFilterParams shelf = { MST_FILTER_HIGH_SHELF, 6000, -4, 0.707, 12 };
  MstFilterParams cut = { MST_FILTER_LOW_CUT, 50, 0, 0.707, 24 };
  int n, total = 0;
  mst_filter_design (&peak, RATE, s, &n);
  total += n;
  mst_filter_design (&shelf, RATE, s + total, &n);
  total += n;
  mst_filter_design (&cut, RATE, s + total, &n);
  return total + n;
}

/* The textbook Direct Form I, one sample at a time. */
static void
reference (const MstBiquad * s, int n_sections, double *x, size_t n)
{
  double h[8][4] = { {0} };
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    for (int k = 0; k < n_sections; k++) {
      double y = s[k].b0 * v + s[k].b1 * h[k][0] + s[k].b2 * h[k][1]
          - s[k].a1 * h[k][2] - s[k].a2 * h[k][3];
      h[k][1] = h[k][0];
      h[k][0] = v;
      h[k][3] = h[k][2];
      h[k][2] = y;
      v = y;
    }
    x[i] = v;
  }
}

static double
max_diff (const double *a, const double *b, size_t n)
{
  double d = 0;
  for (size_t i = 0; i < n; i++) {
    /* A NaN is the largest difference (fmax would drop it). */
    if (isnan (a[i] - b[i]))
      return INFINITY;
    d = fmax (d, fabs (a[i] - b[i]));
  }
  return d;
}

/* Single channels and channel pairs run the reference's arithmetic. */
static void
test_cascade_matches_reference (void)
{
  static MstBiquadCascade c;
  double *x = malloc (sizeof (double) * 3 * STRIDE);
  double *want = malloc (sizeof (double) * 3 * STRIDE);
  const int channels[3] = { 0, 1, 2 };

  MST_CHECK (x && want);
  c.n_sections = design_sections (c.coefs);
  MST_CHECK (c.n_sections == 4);
  mst_biquad_cascade_reset (&c);
  fill_noise (x, 3 * STRIDE, 1);
  memcpy (want, x, sizeof (double) * 3 * STRIDE);
  for (int ch = 0; ch < 3; ch++)
    reference (c.coefs, c.n_sections, want + ch * STRIDE, N);
  /* Two calls: the history carries over. */
  mst_biquad_cascade_run (&c, channels, 3, x, STRIDE, NULL, N / 2);
  mst_biquad_cascade_run (&c, channels, 3, x + N / 2, STRIDE, NULL, N / 2);
  MST_CHECK (max_diff (x, want, 3 * STRIDE) == 0.0);
  free (x);
  free (want);
}

typedef void (*FusedPass) (MstBiquadCascade * const *cascades,
    int n_cascades, int n_channels, double *planar, size_t stride,
    float *frames, double gain, int n);

/* @fused over the sections @s (the first two one cascade, the others
 * another; planar, and in place on stereo F32 frames with a gain) matches
 * the cascades run one by one, and its history hands over to them and
 * back. */
static void
check_fused_pass (FusedPass fused, const char *what, const MstBiquad * s,
    int n)
{
  static MstBiquadCascade a, b;
  MstBiquadCascade *both[2] = { &a, &b };
  double *x = malloc (sizeof (double) * 3 * STRIDE);
  double *want = malloc (sizeof (double) * 3 * STRIDE);
  float *frames = malloc (sizeof (float) * 2 * N);
  const int channels[3] = { 0, 1, 2 };

  MST_CHECK (x && want && frames);
  a.n_sections = 2;
  memcpy (a.coefs, s, 2 * sizeof *s);
  b.n_sections = n - 2;
  memcpy (b.coefs, s + 2, (n - 2) * sizeof *s);
  fill_noise (x, 3 * STRIDE, 2);
  memcpy (want, x, sizeof (double) * 3 * STRIDE);
  for (int ch = 0; ch < 3; ch++)
    reference (s, n, want + ch * STRIDE, N);
  mst_biquad_cascade_reset (&a);
  mst_biquad_cascade_reset (&b);
  /* Fused, then one by one, then fused again, in three blocks. */
  fused (both, 2, 3, x, STRIDE, NULL, 1.0, 700);
  mst_biquad_cascade_run (&a, channels, 3, x + 700, STRIDE, NULL, 600);
  mst_biquad_cascade_run (&b, channels, 3, x + 700, STRIDE, NULL, 600);
  fused (both, 2, 3, x + 1300, STRIDE, NULL, 1.0, N - 1300);
  MST_CHECK_MSG (max_diff (x, want, 3 * STRIDE) < 1e-12, "%s: %g", what,
      max_diff (x, want, 3 * STRIDE));

  /* Stereo F32 frames in place, gain 0.5 on the way out. */
  fill_noise (x, 2 * STRIDE, 3);
  for (int i = 0; i < N; i++) {
    frames[2 * i] = (float) x[i];
    frames[2 * i + 1] = (float) x[STRIDE + i];
  }
  for (int ch = 0; ch < 2; ch++) {
    for (int i = 0; i < N; i++)
      want[ch * STRIDE + i] = frames[2 * i + ch];
    reference (s, n, want + ch * STRIDE, N);
  }
  mst_biquad_cascade_reset (&a);
  mst_biquad_cascade_reset (&b);
  fused (both, 2, 2, x, STRIDE, frames, 0.5, N);
  double worst = 0;
  for (int ch = 0; ch < 2; ch++)
    for (int i = 0; i < N; i++) {
      double d = fabs (frames[2 * i + ch] - (float) (0.5 * want[ch * STRIDE
                  + i]));
      worst = isnan (d) ? INFINITY : fmax (worst, d);
    }
  /* One rounding to float apart at most. */
  MST_CHECK_MSG (worst <= 1.0 / (1 << 24), "%s, frames: %g", what, worst);
  free (x);
  free (want);
  free (frames);
}

/* The fused pass, and its fast form (mst_biquad_cascades_run_fused_fast);
 * that one also with a section whose b0 is 0 (a one-frame delay), which its
 * steady steps cannot divide by and hand to the plain ones. */
static void
test_fused_pass (void)
{
  MstBiquad s[8];
  int n = design_sections (s);
  check_fused_pass (mst_biquad_cascades_run_fused, "fused", s, n);
  check_fused_pass (mst_biquad_cascades_run_fused_fast, "fast", s, n);
  s[n++] = (MstBiquad) { 0.0, 1.0, 0.0, 0.0, 0.0 };
  check_fused_pass (mst_biquad_cascades_run_fused_fast, "fast, b0 0", s, n);
}

/* A ramp from a design to itself is the plain run; a ramp from one peak
 * to another ends on the new design (continuing with it matches a run that
 * ramped and then stayed) and does not step. */
static void
test_ramp (void)
{
  static MstBiquadCascade c, d;
  MstFilterParams p1 = { MST_FILTER_PEAK, 500, 9, 2, 12 };
  MstFilterParams p2 = { MST_FILTER_PEAK, 2000, -9, 2, 12 };
  MstBiquad from[MST_FILTER_MAX_SECTIONS];
  double x[N], y[N];
  const int ch0 = 0;
  int n;

  mst_filter_design (&p1, RATE, c.coefs, &c.n_sections);
  d = c;
  mst_biquad_cascade_reset (&c);
  mst_biquad_cascade_reset (&d);
  fill_noise (x, N, 4);
  memcpy (y, x, sizeof x);
  mst_biquad_cascade_run (&c, &ch0, 1, x, STRIDE, NULL, N);
  mst_biquad_cascade_run (&d, &ch0, 1, y, STRIDE, c.coefs, N);
  MST_CHECK (max_diff (x, y, N) == 0.0);

  /* A full-scale 1 kHz sine while the peak moves: the output changes by
   * no more per sample than the sine boosted by 9 dB can. */
  for (int i = 0; i < N; i++)
    x[i] = sin (2 * M_PI * 1000 * i / RATE);
  mst_biquad_cascade_reset (&c);
  mst_filter_design (&p1, RATE, c.coefs, &c.n_sections);
  mst_biquad_cascade_run (&c, &ch0, 1, x, STRIDE, NULL, N / 2);
  memcpy (from, c.coefs, sizeof from);
  mst_filter_design (&p2, RATE, c.coefs, &n);
  mst_biquad_cascade_run (&c, &ch0, 1, x + N / 2, STRIDE, from, 64);
  mst_biquad_cascade_run (&c, &ch0, 1, x + N / 2 + 64, STRIDE, NULL,
      N / 2 - 64);
  double worst = 0, bound = 2 * M_PI * 1000 / RATE * pow (10, 9 / 20.0);
  for (int i = N / 4; i < N; i++)
    worst = fmax (worst, fabs (x[i] - x[i - 1]));
  MST_CHECK_MSG (worst < 1.1 * bound, "step %.4f, bound %.4f", worst, bound);
}

/* Cascades side by side on rows (a reverb's filter a line): 18 rows (four
 * vectors of four and two alone), each its own first-order shelf, steady
 * then gliding to another design, against each cascade run alone: the
 * same output and history, bit for bit. */
static void
test_rows (void)
{
  enum { ROWS = 18, LEN = 256 };
  static MstBiquadCascade a[ROWS], b[ROWS];
  static double x[ROWS][LEN], y[ROWS][LEN];
  MstBiquad from[ROWS];
  const int ch0 = 0;
  for (int k = 0; k < ROWS; k++) {
    mst_filter_first_order_shelf (0.9 - 0.01 * k, 0.5 + 0.02 * k,
        300.0 + 100 * k, RATE, &a[k].coefs[0]);
    a[k].n_sections = 1;
    mst_biquad_cascade_reset (&a[k]);
    b[k] = a[k];
    fill_noise (x[k], LEN, 10 + k);
    memcpy (y[k], x[k], sizeof x[k]);
  }
  mst_biquad_cascades_run_rows (a, ROWS, x[0], LEN, NULL, LEN / 2);
  for (int k = 0; k < ROWS; k++) {
    from[k] = a[k].coefs[0];
    mst_filter_first_order_shelf (0.5, 0.2, 2000.0 - 50 * k, RATE,
        &a[k].coefs[0]);
    mst_biquad_cascade_run (&b[k], &ch0, 1, y[k], 0, NULL, LEN / 2);
    b[k].coefs[0] = a[k].coefs[0];
  }
  mst_biquad_cascades_run_rows (a, ROWS, x[0] + LEN / 2, LEN, from,
      LEN / 2);
  for (int k = 0; k < ROWS; k++)
    mst_biquad_cascade_run (&b[k], &ch0, 1, y[k] + LEN / 2, 0, &from[k],
        LEN / 2);
  bool same = memcmp (x, y, sizeof x) == 0;
  for (int k = 0; k < ROWS; k++)
    same &= memcmp (&a[k].hist[0][0], &b[k].hist[0][0],
        sizeof (MstBiquadHistory)) == 0;
  MST_CHECK (same);
}

/* Reset clears every channel; the finiteness check resets only what is
 * not finite and says so. */
static void
test_reset_and_finite (void)
{
  static MstBiquadCascade c;
  double x[2 * STRIDE];
  const int channels[2] = { 0, 1 };

  c.n_sections = design_sections (c.coefs);
  mst_biquad_cascade_reset (&c);
  fill_noise (x, 2 * STRIDE, 5);
  mst_biquad_cascade_run (&c, channels, 2, x, STRIDE, NULL, N);
  MST_CHECK (!mst_biquad_cascade_check_finite (&c, 2));
  MstBiquadHistory kept = c.hist[0][1];
  c.hist[1][2].y1 = NAN;
  c.hist[0][3].x2 = INFINITY;
  MST_CHECK (mst_biquad_cascade_check_finite (&c, 2));
  MST_CHECK (c.hist[1][2].y1 == 0.0 && c.hist[0][3].x2 == 0.0);
  MST_CHECK (memcmp (&c.hist[0][1], &kept, sizeof kept) == 0);
  MST_CHECK (!mst_biquad_cascade_check_finite (&c, 2));
  mst_biquad_cascade_reset (&c);
  memset (x, 0, sizeof x);
  mst_biquad_cascade_run (&c, channels, 2, x, STRIDE, NULL, N);
  for (int i = 0; i < 2 * STRIDE; i++)
    MST_CHECK (x[i] == 0.0);
}

/* The fast runner from interleaved stereo F32 frames: the same output and
 * history bit for bit as the frames made planar and run_fast, in pieces
 * of odd and even lengths; a NaN or an absurd sample refuses the piece
 * and leaves the history as it was. Without AVX2 and FMA it refuses every
 * piece. */
static void
test_fast_stereo_f32 (void)
{
  enum { LEN = 777 };
  static MstBiquadCascade a, b;
  static float frames[2 * LEN];
  static double want[2 * LEN], got[2 * LEN];
  MstFilterParams band = { MST_FILTER_BAND_PASS, 6000, 0, 1.5, 12 };
  int n_sections = 0;
  mst_filter_design (&band, RATE, a.coefs, &n_sections);
  a.n_sections = n_sections;
  mst_biquad_cascade_reset (&a);
  b = a;
  double noise[2 * LEN];
  fill_noise (noise, 2 * LEN, 21);
  for (int i = 0; i < 2 * LEN; i++)
    frames[i] = (float) noise[i];
  const bool has_path = mst_cpu_has_avx2_fma ();
  const int pieces[] = { 1, 2, 3, 256, 515 };
  int at = 0;
  for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
    const int n = pieces[k];
    for (int i = 0; i < n; i++) {
      want[i] = frames[2 * (at + i)];
      want[LEN + i] = frames[2 * (at + i) + 1];
    }
    mst_biquad_cascade_run_fast (&b, 2, want, LEN, n);
    bool done = mst_biquad_cascade_run_fast_stereo_f32 (&a,
        frames + 2 * at, got, got + LEN, n);
    MST_CHECK (done == has_path);
    if (!done)
      return;
    MST_CHECK (memcmp (got, want, n * sizeof (double)) == 0);
    MST_CHECK (memcmp (got + LEN, want + LEN, n * sizeof (double)) == 0);
    MST_CHECK (memcmp (a.hist, b.hist, sizeof a.hist) == 0);
    at += n;
  }
  const float bad[] = { NAN, INFINITY, 2.0f * (float) MST_MAX_INPUT };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    for (int where = 0; where < 5; where++) {
      static float f[2 * 5];
      memcpy (f, frames, sizeof f);
      f[2 * where + (where & 1)] = bad[k];
      MstBiquadCascade kept = a;
      MST_CHECK (!mst_biquad_cascade_run_fast_stereo_f32 (&a, f, got,
              got + LEN, where % 2 ? 5 : 4 + (where == 4)));
      MST_CHECK (memcmp (&kept, &a, sizeof a) == 0);
    }
}

/* One-pole: 63 % of a step in the time constant (STYLE.md), snapping to
 * the target and then idle. */
static void
test_one_pole (void)
{
  const double tau_ms = 10.0;
  const int period = 32;
  double coef = mst_smoother_one_pole_coef (period, RATE, tau_ms);
  double v = 0.0;
  int steps = (int) (RATE * tau_ms * 1e-3 / period);     /* 15 periods */

  for (int i = 0; i < steps; i++)
    MST_CHECK (mst_smoother_one_pole_step (&v, 1.0, coef, 1e-9));
  MST_CHECK_CLOSE (v, 1.0 - exp (-1.0), 1e-12);
  int more = 0;
  while (mst_smoother_one_pole_step (&v, 1.0, coef, 1e-6) && more < 10000)
    more++;
  MST_CHECK (v == 1.0 && more < 10000);
  MST_CHECK (!mst_smoother_one_pole_step (&v, 1.0, coef, 1e-6));
}

/* Linear fades: the length is the time from one end to the other; the
 * crossfade is the dry signal at 0 and the wet one at 1. */
static void
test_fades (void)
{
  double step = mst_smoother_fade_step (RATE, 10.0);
  double ramp[1024], wet[2 * 1024], dry[2 * 1024];
  double v = mst_smoother_fade_fill (ramp, 0.0, 1.0, step, 479);
  const int right = 1;

  MST_CHECK (v < 1.0);
  for (int i = 1; i < 479; i++)
    MST_CHECK_CLOSE (ramp[i] - ramp[i - 1], step, 1e-12);
  /* The 480th frame lands on the end (or, by rounding, the 481st). */
  v = mst_smoother_fade_fill (ramp, v, 1.0, step, 10);
  MST_CHECK (v == 1.0 && ramp[1] == 1.0 && ramp[0] > 1.0 - 1e-9);
  v = mst_smoother_fade_fill (ramp, 1.0, 0.0, step, 1024);
  MST_CHECK (v == 0.0 && ramp[480] == 0.0 && ramp[478] > 0.0);

  for (int i = 0; i < 2 * 1024; i++) {
    wet[i] = 1.0;
    dry[i] = -1.0;
  }
  /* Right channel only, fading in from the dry signal. */
  v = mst_smoother_fade_planar (0.0, 1.0, step, wet, dry, 1024, &right, 1,
      1024, ramp);
  MST_CHECK (v == 1.0);
  MST_CHECK (wet[0] == 1.0 && wet[1023] == 1.0);
  MST_CHECK_CLOSE (wet[1024], -1.0 + 2 * step, 1e-12);
  MST_CHECK (wet[1024 + 1023] == 1.0);
  for (int i = 1; i < 1024; i++)
    MST_CHECK (wet[1024 + i] >= wet[1024 + i - 1]);
}

/* The gain glide: steady gain multiplies; a change glides per control
 * period without a step and lands on the target. */
static void
test_gain_glide (void)
{
  MstGainGlide g = { 0.0, -6.0, 1.0 };
  double x[2 * 4096], ramp[32];
  double coef = mst_smoother_one_pole_coef (32, RATE, 10.0);

  for (int i = 0; i < 2 * 4096; i++)
    x[i] = 1.0;
  for (int k = 0; k < 16; k++)
    mst_gain_glide_apply (&g, x + 256 * k, 4096, 2, 256, 32, coef, 1e-4,
        ramp);
  double worst = 0;
  for (int i = 1; i < 4096; i++) {
    MST_CHECK (x[i] <= x[i - 1] && x[4096 + i] == x[i]);
    worst = fmax (worst, x[i - 1] - x[i]);
  }
  /* The steepest step: the first period's one-pole step in dB, spread
   * linearly over the period. */
  double bound = (1.0 - mst_db_to_lin (-6.0 * coef)) / 32;
  MST_CHECK_MSG (worst <= bound * (1 + 1e-9), "step %g, bound %g", worst,
      bound);
  /* 8.5 time constants in: within 0.002 dB; the glide then snaps. */
  MST_CHECK (fabs (mst_lin_to_db (x[4095]) + 6.0) < 2e-3);
  for (int k = 0; k < 16 && g.db != g.target_db; k++)
    mst_gain_glide_apply (&g, x, 4096, 2, 256, 32, coef, 1e-4, ramp);
  MST_CHECK (g.db == -6.0);
  MST_CHECK_CLOSE (g.lin, pow (10, -6 / 20.0), 1e-15);
  for (int i = 0; i < 64; i++)
    x[i] = 1.0;
  mst_gain_glide_apply (&g, x, 64, 1, 64, 32, coef, 1e-4, ramp);
  MST_CHECK (x[0] == g.lin && x[63] == g.lin);
  g.target_db = 3.0;
  mst_gain_glide_jump (&g);
  MST_CHECK (g.db == 3.0 && g.lin == mst_db_to_lin (3.0));
}


/* A tree of cascades: the input through A (2 sections) to output 0 and on
 * through C (the 4 designed sections) to output 2; the input through B
 * (1 section) to output 1; B through D (3 sections) to output 3. */
static MstBiquadCascade net_a, net_b, net_c, net_d;
static MstBiquadNet net;

static void
net_build (void)
{
  MstBiquad s[8];
  MstFilterParams lp = { MST_FILTER_HIGH_CUT, 300, 0, 0.707, 12 };
  MstFilterParams hp = { MST_FILTER_LOW_CUT, 2000, 0, 0.707, 12 };
  MstFilterParams ap = { MST_FILTER_HIGH_SHELF, 9000, 5, 0.707, 12 };
  int n;
  mst_filter_design (&lp, RATE, s, &n);
  net_a.n_sections = 2;
  net_a.coefs[0] = net_a.coefs[1] = s[0];
  mst_filter_design (&hp, RATE, s, &n);
  net_b.n_sections = 1;
  net_b.coefs[0] = s[0];
  net_c.n_sections = design_sections (net_c.coefs);
  mst_filter_design (&ap, RATE, s, &n);
  net_d.n_sections = 3;
  net_d.coefs[0] = s[0];
  net_d.coefs[1] = net_b.coefs[0];
  net_d.coefs[2] = net_a.coefs[0];
  mst_biquad_cascade_reset (&net_a);
  mst_biquad_cascade_reset (&net_b);
  mst_biquad_cascade_reset (&net_c);
  mst_biquad_cascade_reset (&net_d);
  mst_biquad_net_clear (&net);
  int a = mst_biquad_net_add_cascade (&net, &net_a, -1);
  int b = mst_biquad_net_add_cascade (&net, &net_b, -1);
  int c = mst_biquad_net_add_cascade (&net, &net_c, a);
  int d = mst_biquad_net_add_cascade (&net, &net_d, b);
  MST_CHECK (a == 1 && b == 2 && c == 6 && d == 9 && net.max_depth == 5);
  MST_CHECK (mst_biquad_net_set_output (&net, a, 0));
  MST_CHECK (mst_biquad_net_set_output (&net, b, 1));
  MST_CHECK (mst_biquad_net_set_output (&net, c, 2));
  MST_CHECK (mst_biquad_net_set_output (&net, d, 3));
  MST_CHECK (!mst_biquad_net_set_output (&net, 10, 0));
  MST_CHECK (mst_biquad_net_add_cascade (&net, &net_a, 10) == -2);
}

/* The four outputs of @in (@channels planar rows) by the textbook Direct
 * Form I, into want (4 x 3 rows). */
static void
net_reference (const double *in, int channels, double *want)
{
  for (int ch = 0; ch < channels; ch++) {
    double *w[4];
    for (int o = 0; o < 4; o++) {
      w[o] = want + (o * 3 + ch) * STRIDE;
      memcpy (w[o], in + ch * STRIDE, sizeof (double) * N);
    }
    reference (net_a.coefs, 2, w[0], N);
    memcpy (w[2], w[0], sizeof (double) * N);
    reference (net_c.coefs, net_c.n_sections, w[2], N);
    reference (net_b.coefs, 1, w[1], N);
    memcpy (w[3], w[1], sizeof (double) * N);
    reference (net_d.coefs, 3, w[3], N);
  }
}

/* 1, 2 and 3 channels (an odd one alone in its pair): the network's
 * outputs follow the reference within 1e-12 of their peak (transposed
 * direct form II against Direct Form I rounds differently); cut into runs
 * of 1, 7, 300 frames and the rest (shorter and longer than the network
 * is deep), they are the same bits as one run; an output may be the
 * input's buffer. */
static void
test_net_matches_reference (void)
{
  double *in = malloc (sizeof (double) * 3 * STRIDE);
  double *want = malloc (sizeof (double) * 12 * STRIDE);
  double *got = malloc (sizeof (double) * 12 * STRIDE);
  double *cut = malloc (sizeof (double) * 12 * STRIDE);
  double *alias = malloc (sizeof (double) * 3 * STRIDE);

  MST_CHECK (in && want && got && cut && alias);
  fill_noise (in, 3 * STRIDE, 7);
  for (int channels = 1; channels <= 3; channels++) {
    double *outs[4], *outs_cut[4];
    for (int o = 0; o < 4; o++) {
      outs[o] = got + o * 3 * STRIDE;
      outs_cut[o] = cut + o * 3 * STRIDE;
    }
    net_build ();
    net_reference (in, channels, want);
    mst_biquad_net_run (&net, channels, in, outs, STRIDE, N);
    for (int o = 0; o < 4; o++)
      for (int ch = 0; ch < channels; ch++) {
        const double *w = want + (o * 3 + ch) * STRIDE;
        const double *g = outs[o] + ch * STRIDE;
        double peak = 0;
        for (int i = 0; i < N; i++)
          peak = fmax (peak, fabs (w[i]));
        MST_CHECK_MSG (max_diff (g, w, N) <= 1e-12 * peak, "%d channels, "
            "output %d, channel %d: %g of %g", channels, o, ch,
            max_diff (g, w, N), peak);
      }
    net_build ();
    static const int runs[] = { 1, 7, 300, 4, N - 312 };
    int done = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
      double *at[4];
      for (int o = 0; o < 4; o++)
        at[o] = outs_cut[o] + done;
      mst_biquad_net_run (&net, channels, in + done, at, STRIDE, runs[r]);
      done += runs[r];
    }
    for (int o = 0; o < 4; o++)
      for (int ch = 0; ch < channels; ch++)
        MST_CHECK_MSG (memcmp (outs[o] + ch * STRIDE, outs_cut[o]
                + ch * STRIDE, sizeof (double) * N) == 0, "%d channels, "
            "output %d, channel %d: runs differ", channels, o, ch);
    /* Output 3 written over the input. */
    net_build ();
    memcpy (alias, in, sizeof (double) * 3 * STRIDE);
    outs_cut[3] = alias;
    mst_biquad_net_run (&net, channels, alias, outs_cut, STRIDE, N);
    for (int ch = 0; ch < channels; ch++)
      MST_CHECK (memcmp (alias + ch * STRIDE, outs[3] + ch * STRIDE,
              sizeof (double) * N) == 0);
  }
  free (in);
  free (want);
  free (got);
  free (cut);
  free (alias);
}

/* Frames 700 .. 1299 of both channels of @from through @c alone into
 * @to. */
static void
cascade_after (MstBiquadCascade * c, double *to, const double *from)
{
  const int channels[2] = { 0, 1 };
  for (int ch = 0; ch < 2; ch++)
    memcpy (to + ch * STRIDE + 700, from + ch * STRIDE + 700,
        sizeof (double) * 600);
  mst_biquad_cascade_run (c, channels, 2, to + 700, STRIDE, NULL, 600);
}

/* The cascades run alone between two runs of the network (as a coefficient
 * ramp would): the network hands its history over in Direct Form I and
 * takes it back once invalidated; the whole still follows the reference. */
static void
test_net_hands_over (void)
{
  double *in = malloc (sizeof (double) * 2 * STRIDE);
  double *want = malloc (sizeof (double) * 12 * STRIDE);
  double *got = malloc (sizeof (double) * 12 * STRIDE);

  MST_CHECK (in && want && got);
  fill_noise (in, 2 * STRIDE, 8);
  net_build ();
  net_reference (in, 2, want);
  double *outs[4];
  for (int o = 0; o < 4; o++)
    outs[o] = got + o * 3 * STRIDE;
  mst_biquad_net_run (&net, 2, in, outs, STRIDE, 700);
  /* Frames 700 .. 1299 by the cascades, one after the other. */
  cascade_after (&net_a, outs[0], in);
  cascade_after (&net_c, outs[2], outs[0]);
  cascade_after (&net_b, outs[1], in);
  cascade_after (&net_d, outs[3], outs[1]);
  mst_biquad_net_invalidate (&net);
  double *at[4];
  for (int o = 0; o < 4; o++)
    at[o] = outs[o] + 1300;
  mst_biquad_net_run (&net, 2, in + 1300, at, STRIDE, N - 1300);
  for (int o = 0; o < 4; o++)
    for (int ch = 0; ch < 2; ch++) {
      const double *w = want + (o * 3 + ch) * STRIDE;
      double peak = 0;
      for (int i = 0; i < N; i++)
        peak = fmax (peak, fabs (w[i]));
      MST_CHECK_MSG (max_diff (outs[o] + ch * STRIDE, w, N) <= 1e-12 * peak,
          "output %d, channel %d: %g", o, ch,
          max_diff (outs[o] + ch * STRIDE, w, N));
    }
  free (in);
  free (want);
  free (got);
}

/* The vector paths' choice reads the environment once (getenv scans it,
 * and mst_biquad_net_run asks per call), again only when asked to. */
static void
test_cpu_environment_read_once (void)
{
  static const char *const names[2] = { "MST_DISABLE_SIMD",
    "MST_DISABLE_AVX512" };
  char *saved[2];
  for (int k = 0; k < 2; k++) {
    const char *v = getenv (names[k]);
    saved[k] = v ? strdup (v) : NULL;
  }
  const bool avx2 = mst_cpu_has_avx2_fma (), avx512 = mst_cpu_has_avx512 ();
  for (int k = 0; k < 2; k++)
    setenv (names[k], "1", 1);
  MST_CHECK (mst_cpu_has_avx2_fma () == avx2);
  MST_CHECK (mst_cpu_has_avx512 () == avx512);
  mst_cpu_reread_environment ();
  MST_CHECK (!mst_cpu_has_avx2_fma () && !mst_cpu_has_avx512 ());
  for (int k = 0; k < 2; k++) {
    if (saved[k])
      setenv (names[k], saved[k], 1);
    else
      unsetenv (names[k]);
    free (saved[k]);
  }
  MST_CHECK (!mst_cpu_has_avx512 ());
  mst_cpu_reread_environment ();
  MST_CHECK (mst_cpu_has_avx2_fma () == avx2);
  MST_CHECK (mst_cpu_has_avx512 () == avx512);
}

/* The AVX-512 path (where the machine has it) and the AVX2 path give the
 * same bits: the same operations lane for lane. */
static void
test_net_paths_agree (void)
{
  double *in = malloc (sizeof (double) * 3 * STRIDE);
  double *got[2];
  got[0] = malloc (sizeof (double) * 12 * STRIDE);
  got[1] = malloc (sizeof (double) * 12 * STRIDE);
  MST_CHECK (in && got[0] && got[1]);
  fill_noise (in, 3 * STRIDE, 9);
  for (int path = 0; path < 2; path++) {
    double *outs[4];
    for (int o = 0; o < 4; o++)
      outs[o] = got[path] + o * 3 * STRIDE;
    if (path == 1) {
      setenv ("MST_DISABLE_AVX512", "1", 1);
      mst_cpu_reread_environment ();
    }
    net_build ();
    mst_biquad_net_run (&net, 3, in, outs, STRIDE, 1000);
    mst_biquad_net_run (&net, 3, in + 1000, (double *[4]) { outs[0] + 1000,
        outs[1] + 1000, outs[2] + 1000, outs[3] + 1000 }, STRIDE, N - 1000);
  }
  unsetenv ("MST_DISABLE_AVX512");
  mst_cpu_reread_environment ();
  MST_CHECK (memcmp (got[0], got[1], sizeof (double) * 12 * STRIDE) == 0);
  free (in);
  free (got[0]);
  free (got[1]);
}

/* @frames (interleaved stereo F32, @x as scratch) run through the block
 * form in pieces of every length around its step, every third by the
 * fused runner; their largest error against @want (planar), relative above
 * full scale. In single precision with @single. */
static double
frames_error (const MstBiquadBlockForm * f, MstBiquadCascade * c, double *x,
    const double *want, float *frames, bool single)
{
  static const int pieces[] = { 1, 5, 9, 10, 16, 17, 3, 700, 2, 24, 1000 };
  MstBiquadCascade *cp = c;
  int at = 0;
  for (size_t p = 0; at < N; p++) {
    int len = p < sizeof pieces / sizeof pieces[0] ? pieces[p] : N - at;
    len = len < N - at ? len : N - at;
    if (p % 3 == 2)
      mst_biquad_cascades_run_fused (&cp, 1, 2, x, STRIDE, frames + 2 * at,
          1.0, len);
    else if (single)
      mst_biquad_block_run_stereo_f32 (f, c, frames + 2 * at,
          frames + 2 * at, len);
    else
      mst_biquad_block_run (f, c, 2, x, STRIDE, frames + 2 * at, len);
    at += len;
  }
  double worst = 0.0;
  for (int ch = 0; ch < 2; ch++)
    for (int i = 0; i < N; i++) {
      double w = want[ch * STRIDE + i];
      worst = fmax (worst, fabs (frames[2 * i + ch] - w) / fmax (1.0,
              fabs (w)));
    }
  return worst;
}

/* The block form runs the reference's filter to within rounding, cut into
 * calls of any length (under, at and over its step and its
 * one-by-one tail), on odd and even channel counts, and hands its history
 * to the cascade's own runner and back. */
static void
test_block_form (void)
{
  static MstBiquadCascade c;
  static MstBiquadBlockForm f;
  double *x = malloc (sizeof (double) * 3 * STRIDE);
  double *want = malloc (sizeof (double) * 3 * STRIDE);
  const int channels[3] = { 0, 1, 2 };
  /* Order 8 (four second-order sections), and order 5 (a first-order
   * section among second-order ones). */
  MstFilterParams cut18 = { MST_FILTER_HIGH_CUT, 18000, 0, 0.707, 18 };
  MstFilterParams peak = { MST_FILTER_PEAK, 300, -5, 2.0, 12 };
  static const int pieces[] = { 1, 5, 9, 10, 16, 17, 3, 700, 2, 24, 1000 };

  MST_CHECK (x && want);
  for (int design = 0; design < 2; design++) {
    int n1 = 0, n2 = 0;
    if (design == 0) {
      c.n_sections = design_sections (c.coefs);
    } else {
      mst_filter_design (&cut18, RATE, c.coefs, &n1);
      mst_filter_design (&peak, RATE, c.coefs + n1, &n2);
      c.n_sections = n1 + n2;
    }
    mst_biquad_block_design (&f, &c);
    MST_CHECK_MSG (f.n_state == (design == 0 ? 8 : 5), "order %d",
        f.n_state);
    for (int n_ch = 1; n_ch <= 3; n_ch++) {
      mst_biquad_cascade_reset (&c);
      fill_noise (x, 3 * STRIDE, 7 + design);
      memcpy (want, x, sizeof (double) * 3 * STRIDE);
      for (int ch = 0; ch < n_ch; ch++)
        reference (c.coefs, c.n_sections, want + ch * STRIDE, N);
      int at = 0;
      for (size_t p = 0; at < N; p++) {
        int len = p < sizeof pieces / sizeof pieces[0] ? pieces[p] : N - at;
        len = len < N - at ? len : N - at;
        /* Every third call by the cascade's own runner. */
        if (p % 3 == 2)
          mst_biquad_cascade_run (&c, channels, n_ch, x + at, STRIDE, NULL,
              len);
        else
          mst_biquad_block_run (&f, &c, n_ch, x + at, STRIDE, NULL, len);
        at += len;
      }
      double d = 0.0;
      for (int ch = 0; ch < n_ch; ch++)
        d = fmax (d, max_diff (x + ch * STRIDE, want + ch * STRIDE, N));
      MST_CHECK_MSG (d < 1e-12, "order %d, %d channels: %g from the "
          "reference", f.n_state, n_ch, d);
    }
    /* Interleaved stereo F32 frames in place, every third call by the
     * fused runner: within one rounding to float of the reference. */
    float *frames = malloc (sizeof (float) * 2 * N);
    MST_CHECK (frames != NULL);
    mst_biquad_cascade_reset (&c);
    fill_noise (x, 2 * STRIDE, 9 + design);
    for (int ch = 0; ch < 2; ch++) {
      for (int i = 0; i < N; i++)
        want[ch * STRIDE + i] = frames[2 * i + ch] = (float) x[ch * STRIDE
            + i];
      reference (c.coefs, c.n_sections, want + ch * STRIDE, N);
    }
    double worst = frames_error (&f, &c, x, want, frames, false);
    MST_CHECK_MSG (worst <= 1.0 / (1 << 24), "order %d, frames: %g",
        f.n_state, worst);
    /* The same frames in single precision (the band limit's runner): the
     * order-5 cascade within 2e-6 of the reference (8.7e-7 measured); the
     * order-8 one, its poles closer to the unit circle, only within 4e-5,
     * which is why it serves the band limit alone. */
    mst_biquad_cascade_reset (&c);
    fill_noise (x, 2 * STRIDE, 9 + design);
    for (int ch = 0; ch < 2; ch++)
      for (int i = 0; i < N; i++)
        frames[2 * i + ch] = (float) x[ch * STRIDE + i];
    worst = frames_error (&f, &c, x, want, frames, true);
    printf ("# order %d, frames in single precision: %.3g from the "
        "reference\n", f.n_state, worst);
    if (f.n_state == 5)
      MST_CHECK_MSG (worst <= 2e-6, "order %d, frames in single precision: "
          "%g", f.n_state, worst);
    /* From a separate input (the band limit's common case): bit for bit
     * the run in place on a copy, in pieces of every length (a piece under
     * ten frames has no step), the history handed on between them. */
    {
      float *src = malloc (sizeof (float) * 2 * N);
      float *out = malloc (sizeof (float) * 2 * N);
      static MstBiquadCascade c2;
      MST_CHECK (src && out);
      fill_noise (x, 2 * STRIDE, 11 + design);
      for (int ch = 0; ch < 2; ch++)
        for (int i = 0; i < N; i++)
          src[2 * i + ch] = frames[2 * i + ch] = (float) x[ch * STRIDE + i];
      c2 = c;
      mst_biquad_cascade_reset (&c);
      mst_biquad_cascade_reset (&c2);
      int at = 0;
      for (size_t p = 0; at < N; p++) {
        int len = p < sizeof pieces / sizeof pieces[0] ? pieces[p] : N - at;
        len = len < N - at ? len : N - at;
        mst_biquad_block_run_stereo_f32 (&f, &c, frames + 2 * at,
            frames + 2 * at, len);
        /* Every other piece through the checked runner: the same. */
        if (p & 1)
          MST_CHECK (mst_biquad_block_run_stereo_f32_sane (&f, &c2,
                  src + 2 * at, out + 2 * at, len));
        else
          mst_biquad_block_run_stereo_f32 (&f, &c2, src + 2 * at,
              out + 2 * at, len);
        at += len;
      }
      MST_CHECK_MSG (memcmp (frames, out, sizeof (float) * 2 * N) == 0,
          "order %d: from a separate input, not the same bits", f.n_state);
      for (int i = 0; i < N; i++)
        MST_CHECK (src[2 * i] == (float) x[i]);
      /* A sample that is not audio anywhere in a piece, in a step or in
       * the frames after the steps, either channel: refused, the history
       * as it was; the largest audio sample passes. */
      const float bad[3] = { NAN, -INFINITY, 1.01f * (float) MST_MAX_INPUT };
      const int where[4] = { 0, 2 * 77 + 1, 2 * 97, 2 * 99 + 1 };
      bool refused = true, kept = true;
      for (int b = 0; b < 3; b++)
        for (int w = 0; w < 4; w++) {
          MstBiquadCascade before = c2;
          float keep = src[where[w]];
          src[where[w]] = bad[b];
          refused &= !mst_biquad_block_run_stereo_f32_sane (&f, &c2, src,
              out, 100);
          kept &= memcmp (&before, &c2, sizeof c2) == 0;
          src[where[w]] = keep;
        }
      MST_CHECK_MSG (refused && kept, "order %d: not audio", f.n_state);
      src[2 * 50] = -(float) MST_MAX_INPUT;
      MST_CHECK (mst_biquad_block_run_stereo_f32_sane (&f, &c2, src, out,
              100));
      free (src);
      free (out);
    }
    free (frames);
  }
  free (x);
  free (want);
}

int
main (void)
{
  MST_RUN (test_cascade_matches_reference);
  MST_RUN (test_fused_pass);
  MST_RUN (test_block_form);
  MST_RUN (test_ramp);
  MST_RUN (test_rows);
  MST_RUN (test_fast_stereo_f32);
  MST_RUN (test_reset_and_finite);
  MST_RUN (test_one_pole);
  MST_RUN (test_fades);
  MST_RUN (test_gain_glide);
  MST_RUN (test_net_matches_reference);
  MST_RUN (test_net_hands_over);
  MST_RUN (test_net_paths_agree);
  MST_RUN (test_cpu_environment_read_once);
  return mst_test_summary ();
}
