/* The panner core on arrays: the four laws at 9 positions against their
 * definitions (measured on a tone), the ends, balance, width, the stereo
 * centre bit-exact, glides without steps, non-finite input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mst-pan.h"
#include "mst-test.h"

#define RATE 48000.0
#define N 48000

static double
db (double x)
{
  return 20.0 * log10 (x);
}

static double
rms (const float *x, int stride, int n)
{
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (double) x[i * stride] * x[i * stride];
  return sqrt (s / n);
}

/* A settled panner of @in_channels with @s. */
static MstPan *
make (int in_channels, const MstPanSettings * s)
{
  MstPan *pan = mst_pan_init ();
  MST_CHECK (pan && mst_pan_configure (pan, RATE, in_channels) == MST_OK);
  MST_CHECK (mst_pan_set (pan, s) == MST_OK);
  mst_pan_reset (pan);
  return pan;
}

/* Each law's definition, written from the centre figure it is named
 * after: the gain of the left side at u = (position + 100) / 200 (the
 * right is the mirror image). */
static double
law_left (MstPanLaw law, double u)
{
  double cp = u == 1.0 ? 0.0 : cos (u * M_PI / 2), lin = 1.0 - u;
  switch (law) {
    case MST_PAN_LAW_0DB:      /* unity while the source is left of centre */
      return u <= 0.5 ? 1.0 : sqrt (2.0) * cp;
    case MST_PAN_LAW_3DB:      /* constant power: L^2 + R^2 = 1 */
      return cp;
    case MST_PAN_LAW_4_5DB:    /* geometric mean of the two below */
      return sqrt (cp * lin);
    default:                   /* constant amplitude: L + R = 1 */
      return lin;
  }
}

/* A mono 1 kHz tone at 9 positions under each law: each side's level
 * within 0.01 dB of the law's definition, the centre at its named level,
 * the ends unity and silence. */
static void
test_laws (void)
{
  static const double centre_db[] = { 0.0, -3.0103, -4.5154, -6.0206 };
  float *x = malloc (N * sizeof *x), *y = malloc (2 * N * sizeof *y);
  for (int i = 0; i < N; i++)
    x[i] = (float) (0.5 * sin (2 * M_PI * 1000.0 * i / RATE));
  double in = rms (x, 1, N);
  double worst = 0.0;
  for (int law = MST_PAN_LAW_0DB; law <= MST_PAN_LAW_6DB; law++)
    for (int k = 0; k <= 8; k++) {
      MstPanSettings s;
      mst_pan_settings_default (&s);
      s.law = law;
      s.position = -100.0 + 25.0 * k;
      MstPan *pan = make (1, &s);
      MST_CHECK (mst_pan_process_f32 (pan, x, N, y) == MST_OK);
      double u = k / 8.0;
      double want_l = law_left (law, u), want_r = law_left (law, 1.0 - u);
      double l = rms (y, 2, N) / in, r = rms (y + 1, 2, N) / in;
      if (want_l > 0.0) {
        MST_CHECK_MSG (fabs (db (l) - db (want_l)) <= 0.01,
            "law %d at %g: left %.4f dB, want %.4f", law, s.position, db (l),
            db (want_l));
        worst = fmax (worst, fabs (db (l) - db (want_l)));
      } else
        MST_CHECK_MSG (l == 0.0, "law %d hard right: left %g", law, l);
      if (want_r > 0.0) {
        MST_CHECK_MSG (fabs (db (r) - db (want_r)) <= 0.01,
            "law %d at %g: right %.4f dB, want %.4f", law, s.position,
            db (r), db (want_r));
        worst = fmax (worst, fabs (db (r) - db (want_r)));
      } else
        MST_CHECK_MSG (r == 0.0, "law %d hard left: right %g", law, r);
      if (k == 4)
        MST_CHECK_MSG (fabs (db (l) - centre_db[law]) <= 0.01
            && fabs (db (r) - centre_db[law]) <= 0.01,
            "law %d centre %.4f / %.4f dB, named %.4f", law, db (l), db (r),
            centre_db[law]);
      mst_pan_destroy (&pan);
    }
  printf ("pan laws: worst %.5f dB off their definitions (4 laws, 9 "
      "positions)\n", worst);
  free (x);
  free (y);
}

/* Noise in L and R, independent. */
static void
stereo_noise (float *x, int n, unsigned seed)
{
  srand (seed);
  for (int i = 0; i < 2 * n; i++)
    x[i] = (float) (rand () / (double) RAND_MAX - 0.5);
}

/* A stereo source: at the centre with width 100 it is untouched (and the
 * core says so); panned hard right, both inputs are on the right at unity;
 * balance turns the far side down along the law, leaves the near one. */
static void
test_stereo (void)
{
  float *x = malloc (2 * N * sizeof *x), *y = malloc (2 * N * sizeof *y);
  MstPanSettings s;
  stereo_noise (x, N, 1);
  mst_pan_settings_default (&s);
  MstPan *pan = make (2, &s);
  MST_CHECK (mst_pan_is_passthrough (pan));
  MST_CHECK (mst_pan_process_f32 (pan, x, N, y) == MST_OK);
  MST_CHECK (memcmp (x, y, 2 * N * sizeof *x) == 0);
  mst_pan_destroy (&pan);

  s.position = 100.0;
  pan = make (2, &s);
  MST_CHECK (!mst_pan_is_passthrough (pan));
  mst_pan_process_f32 (pan, x, N, y);
  double err = 0.0;
  for (int i = 0; i < N; i++)
    err = fmax (err, fabs (y[2 * i]) + fabs (y[2 * i + 1] - (x[2 * i]
                + x[2 * i + 1])));
  MST_CHECK_MSG (err < 1e-6, "hard right: off by %g", err);
  mst_pan_destroy (&pan);

  /* Half right: the right input stays, the left at the centre of the
   * law. */
  s.position = 50.0;
  pan = make (2, &s);
  mst_pan_process_f32 (pan, x, N, y);
  err = 0.0;
  for (int i = 0; i < N; i++)
    err = fmax (err, fabs (y[2 * i] - x[2 * i] / sqrt (2.0))
        + fabs (y[2 * i + 1] - (x[2 * i] / sqrt (2.0) + x[2 * i + 1])));
  MST_CHECK_MSG (err < 1e-6, "half right, -3 dB law: off by %g", err);
  mst_pan_destroy (&pan);

  s.mode = MST_PAN_MODE_BALANCE;
  s.position = 50.0;
  for (int law = MST_PAN_LAW_0DB; law <= MST_PAN_LAW_6DB; law++) {
    s.law = law;
    pan = make (2, &s);
    mst_pan_process_f32 (pan, x, N, y);
    double want = law_left (law, 0.75) / law_left (law, 0.5);
    double l = rms (y, 2, N) / rms (x, 2, N);
    double r = rms (y + 1, 2, N) / rms (x + 1, 2, N);
    MST_CHECK_MSG (fabs (db (l) - db (want)) < 0.01 && fabs (db (r)) < 1e-6,
        "balance, law %d: left %.4f dB (want %.4f), right %.6f dB", law,
        db (l), db (want), db (r));
    mst_pan_destroy (&pan);
  }
  free (x);
  free (y);
}

/* width scales the side and leaves the mid: 50 % is the side at -6.02 dB,
 * 0 % mono, 200 % +6.02 dB. */
static void
test_width (void)
{
  float *x = malloc (2 * N * sizeof *x), *y = malloc (2 * N * sizeof *y);
  stereo_noise (x, N, 2);
  static const double widths[] = { 0.0, 50.0, 150.0, 200.0 };
  for (unsigned k = 0; k < sizeof widths / sizeof widths[0]; k++) {
    MstPanSettings s;
    mst_pan_settings_default (&s);
    s.width_pct = widths[k];
    MstPan *pan = make (2, &s);
    mst_pan_process_f32 (pan, x, N, y);
    double mid_in = 0, side_in = 0, mid_out = 0, side_out = 0;
    for (int i = 0; i < N; i++) {
      mid_in += pow (x[2 * i] + x[2 * i + 1], 2);
      side_in += pow (x[2 * i] - x[2 * i + 1], 2);
      mid_out += pow (y[2 * i] + y[2 * i + 1], 2);
      side_out += pow (y[2 * i] - y[2 * i + 1], 2);
    }
    MST_CHECK_MSG (fabs (10 * log10 (mid_out / mid_in)) < 1e-4,
        "width %g: mid %.5f dB", widths[k], 10 * log10 (mid_out / mid_in));
    if (widths[k] == 0.0)
      MST_CHECK_MSG (side_out < 1e-9 * side_in, "width 0: side %g", side_out);
    else
      MST_CHECK_MSG (fabs (10 * log10 (side_out / side_in)
              - db (widths[k] / 100.0)) < 0.01, "width %g: side %.4f dB",
          widths[k], 10 * log10 (side_out / side_in));
    mst_pan_destroy (&pan);
  }
  free (x);
  free (y);
}

/* Every setting moved at once while a DC source plays: the output glides,
 * no sample-to-sample step above what a 10 ms glide allows; the glide
 * lands exactly on the new matrix (a settled stereo centre is bit-exact
 * again). */
static void
test_glide (void)
{
  const int n = 4800;
  float *x = malloc (2 * n * sizeof *x), *y = malloc (2 * n * sizeof *y);
  for (int in_channels = 1; in_channels <= 2; in_channels++) {
    for (int i = 0; i < 2 * n; i++)
      x[i] = 0.5f;
    MstPanSettings s;
    mst_pan_settings_default (&s);
    s.position = -100.0;
    s.width_pct = 200.0;
    MstPan *pan = make (in_channels, &s);
    mst_pan_process_f32 (pan, x, n, y);
    float last_l = y[2 * n - 2], last_r = y[2 * n - 1];
    s.position = 100.0;
    s.law = MST_PAN_LAW_6DB;
    s.mode = MST_PAN_MODE_BALANCE;
    s.width_pct = 0.0;
    MST_CHECK (mst_pan_set (pan, &s) == MST_OK);
    mst_pan_process_f32 (pan, x, n, y);
    /* A one-pole of 10 ms moves a full-scale step by at most 1 / 480 of
     * it a sample at 48 kHz (its first, steepest sample). */
    double step = fmax (fabs (y[0] - last_l), fabs (y[1] - last_r));
    for (int i = 1; i < n; i++)
      step = fmax (step, fmax (fabs (y[2 * i] - y[2 * i - 2]),
              fabs (y[2 * i + 1] - y[2 * i - 1])));
    MST_CHECK_MSG (step < 0.5 * 2.0 / 480.0, "%d ch: step %g", in_channels,
        step);
    mst_pan_settings_default (&s);
    mst_pan_set (pan, &s);
    for (int k = 0; k < 20; k++)
      mst_pan_process_f32 (pan, x, n, y);
    if (in_channels == 2)
      MST_CHECK (mst_pan_is_passthrough (pan));
    mst_pan_destroy (&pan);
  }
  free (x);
  free (y);
}

/* NaN, Inf and +200 dBFS in: that block silent and counted, the output
 * finite, the next block as before. F64 likewise. */
static void
test_nonfinite (void)
{
  const int n = 4096;
  double *x = malloc (n * sizeof *x), *y = malloc (2 * n * sizeof *y);
  for (int i = 0; i < n; i++)
    x[i] = 0.25;
  MstPanSettings s;
  mst_pan_settings_default (&s);
  MstPan *pan = make (1, &s);
  x[100] = NAN;
  x[2000] = INFINITY;
  x[3000] = 1e10;
  MST_CHECK (mst_pan_process_f64 (pan, x, n, y) == MST_OK);
  int bad = 0;
  for (int i = 0; i < 2 * n; i++)
    bad += !isfinite (y[i]);
  MST_CHECK_MSG (bad == 0, "%d samples not finite", bad);
  MST_CHECK (mst_pan_get_nonfinite_count (pan) == 3);
  MST_CHECK_CLOSE (y[2 * 3500], 0.25 / sqrt (2.0), 1e-12);
  MST_CHECK (y[2 * 100] == 0.0);
  /* Out of range settings: refused, nothing applied. */
  s.position = 101.0;
  MST_CHECK (mst_pan_set (pan, &s) == MST_ERR_INVALID_ARG);
  s.position = NAN;
  MST_CHECK (mst_pan_set (pan, &s) == MST_ERR_INVALID_ARG);
  s.position = 0.0;
  s.width_pct = 201.0;
  MST_CHECK (mst_pan_set (pan, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_pan_configure (pan, RATE, 3) == MST_ERR_INVALID_ARG);
  mst_pan_destroy (&pan);
  free (x);
  free (y);
}

int
main (void)
{
  MST_RUN (test_laws);
  MST_RUN (test_stereo);
  MST_RUN (test_width);
  MST_RUN (test_glide);
  MST_RUN (test_nonfinite);
  return mst_test_summary ();
}
