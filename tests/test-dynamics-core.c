/* Tests of the dynamics core (gst/mst-dynamics.h, gst/mst-dynamics-gain.h)
 * on plain arrays: the static curve against the Giannoulis formula written
 * out here, the attack and release time constants of the gain, lookahead
 * alignment and sample counts, mix and bypass exactness, the external key,
 * the gate's hysteresis and hold, the split-band de-esser, upward mode,
 * non-finite input. */
#include "mst-dynamics.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

#define RATE 48000.0

/* The soft-knee downward compressor curve (Giannoulis, Massberg & Reiss
 * 2012, eq. 4), independent of the gain computer block. */
static double
formula_gain_db (double x, double t, double r, double w)
{
  double y;
  if (2.0 * (x - t) < -w)
    y = x;
  else if (2.0 * fabs (x - t) <= w && w > 0.0)
    y = x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0)
        / (2.0 * w);
  else
    y = t + (x - t) / r;
  return y - x;
}

static MstDynamics *
make (int channels, int key_channels, double lookahead_ms,
    const MstDynamicsSettings * s)
{
  MstDynamics *d = mst_dynamics_init (8);
  MST_CHECK (d != NULL);
  MST_CHECK (mst_dynamics_configure (d, RATE, channels, key_channels,
          lookahead_ms) == MST_OK);
  MST_CHECK (mst_dynamics_set (d, s) == MST_OK);
  return d;
}

/* Runs n mono frames through d (self-keyed, no lookahead), in place. */
static void
run_mono (MstDynamics * d, double *x, size_t n)
{
  size_t n_out = 0;
  MST_CHECK (mst_dynamics_process_f64 (d, x, n, x, &n_out) == MST_OK);
  MST_CHECK (n_out == n);
}

static double
rms (const double *x, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i] * x[i];
  return sqrt (s / n);
}

/* A steady 1 kHz sine at 16 levels: the gain (output over input RMS over
 * the last 200 ms of 1.5 s) is the formula's at the sine's peak level
 * (peak detector) or its RMS level (RMS detector), within 0.1 dB. */
static void
test_static_curve (void)
{
  const struct {
    double t, r, w;
  } curves[] = { {-20, 4, 0}, {-30, 2, 10}, {-12, 100, 6}, {-24, 1.5, 3} };
  const size_t n = (size_t) (1.5 * RATE), tail = (size_t) (0.2 * RATE);
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  double worst = 0.0;
  for (int det = 0; det < 2; det++) {
    for (size_t k = 0; k < sizeof curves / sizeof curves[0]; k++) {
      for (int lvl = 0; lvl < 16; lvl++) {
        double peak_db = -60.0 + 4.0 * lvl;
        double amp = pow (10.0, peak_db / 20.0);
        MstDynamicsSettings s;
        mst_dynamics_settings_default (&s);
        s.detector = det ? MST_DYNAMICS_RMS : MST_DYNAMICS_PEAK;
        s.threshold_db = curves[k].t;
        s.ratio = curves[k].r;
        s.knee_db = curves[k].w;
        MstDynamics *d = make (1, 0, 0.0, &s);
        for (size_t i = 0; i < n; i++)
          x[i] = y[i] = amp * sin (2.0 * M_PI * 1000.0 * i / RATE);
        run_mono (d, y, n);
        double got = 20.0 * log10 (rms (y + n - tail, tail)
            / rms (x + n - tail, tail));
        double level = det ? peak_db - 20.0 * log10 (M_SQRT2) : peak_db;
        double want = formula_gain_db (level, curves[k].t, curves[k].r,
            curves[k].w);
        MST_CHECK_MSG (fabs (got - want) <= 0.1,
            "%s T %g R %g W %g at %g dBFS peak: %.3f dB, formula %.3f",
            det ? "rms" : "peak", curves[k].t, curves[k].r, curves[k].w,
            peak_db, got, want);
        worst = fmax (worst, fabs (got - want));
        mst_dynamics_destroy (&d);
      }
    }
  }
  printf ("  static curve: worst error %.4f dB (16 levels, 4 curves, "
      "peak and rms)\n", worst);
  free (x);
  free (y);
}

/* Time from start until the gain (dB, per frame, from output over a DC
 * input) has covered 63.2 % of its change. */
static double
time_to_63 (const double *gain_db, size_t start, size_t n, double from,
    double to)
{
  double mark = from + (1.0 - exp (-1.0)) * (to - from);
  for (size_t i = start; i < n; i++)
    if ((to < from && gain_db[i] <= mark) || (to > from && gain_db[i] >= mark))
      return (i - start) / RATE * 1000.0;
  return INFINITY;
}

/* A 20 dB step of a DC level up, then down: the gain in dB reaches 63 % of
 * its change within 10 % of attack and of release, for several times, in
 * the compressor and in the gate (where attack opens). */
static void
test_time_constants (void)
{
  const double times[][2] = { {10, 100}, {1, 50}, {30, 500}, {5, 20} };
  /* Each level held 3 s: 6 of the longest release, so it has settled. */
  const size_t n = (size_t) (9.0 * RATE), step_up = (size_t) (3.0 * RATE),
      step_down = (size_t) (6.0 * RATE);
  double *x = malloc (n * sizeof (double)), *gdb = malloc (n * sizeof (double));
  double worst = 0.0;
  for (int gate = 0; gate < 2; gate++) {
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
      MstDynamicsSettings s;
      if (gate) {
        mst_dynamics_settings_gate (&s);
        s.threshold_db = -20.0;
        s.ratio = 2.0;          /* an expander: a gain that moves 10 dB */
        s.range_db = -INFINITY;
        s.hysteresis_db = 0.0;
        s.hold_ms = 0.0;
      } else {
        mst_dynamics_settings_default (&s);
        s.threshold_db = -40.0;
        s.knee_db = 0.0;
      }
      s.attack_ms = times[k][0];
      s.release_ms = times[k][1];
      MstDynamics *d = make (1, 0, 0.0, &s);
      double lo = pow (10.0, -30.0 / 20), hi = lo * 10.0;
      for (size_t i = 0; i < n; i++)
        x[i] = i >= step_up && i < step_down ? hi : lo;
      double *y = malloc (n * sizeof (double));
      memcpy (y, x, n * sizeof (double));
      run_mono (d, y, n);
      for (size_t i = 0; i < n; i++)
        gdb[i] = 20.0 * log10 (y[i] / x[i]);
      double g_lo = gdb[step_up - 1], g_hi = gdb[step_down - 1];
      /* The static gains the formula gives: a 20 dB step moves a 4:1
       * compressor's gain 15 dB, a 1:2 expander's 10 dB. */
      double want_change = gate ? 10.0 : 15.0;
      MST_CHECK_CLOSE (fabs (g_hi - g_lo), want_change, 0.05);
      double t_att = time_to_63 (gdb, step_up, n, g_lo, g_hi);
      double t_rel = time_to_63 (gdb, step_down, n, g_hi, g_lo);
      MST_CHECK_MSG (fabs (t_att / times[k][0] - 1.0) <= 0.1,
          "%s attack %g ms: 63 %% after %.3f ms", gate ? "gate" : "comp",
          times[k][0], t_att);
      MST_CHECK_MSG (fabs (t_rel / times[k][1] - 1.0) <= 0.1,
          "%s release %g ms: 63 %% after %.3f ms", gate ? "gate" : "comp",
          times[k][1], t_rel);
      worst = fmax (worst, fmax (fabs (t_att / times[k][0] - 1.0),
              fabs (t_rel / times[k][1] - 1.0)));
      free (y);
      mst_dynamics_destroy (&d);
    }
  }
  printf ("  time constants: worst error %.2f %%\n", 100.0 * worst);
  free (x);
  free (gdb);
}

/* Lookahead: output frame i is input frame i (times its gain), every frame
 * comes out (process + drain), in F32 and F64, for block sizes that do
 * not divide the latency; the gain is down before a step arrives. */
static void
test_lookahead_alignment (void)
{
  const size_t n = 48000;
  const size_t blocks[] = { 1, 7, 480, 4096 };
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_default (&s);
    s.threshold_db = 0.0;       /* nothing compressed: out = in exactly */
    s.knee_db = 0.0;
    MstDynamics *d = make (2, 0, 5.0, &s);
    MST_CHECK (mst_dynamics_get_latency (d) == 240);
    float *in = malloc (2 * n * sizeof (float));
    float *out = calloc (2 * n, sizeof (float));
    for (size_t i = 0; i < 2 * n; i++)
      in[i] = (float) (0.5 * sin (0.01 * i) + 0.001 * (i % 7));
    size_t done = 0, written = 0;
    while (done < n) {
      size_t m = n - done < blocks[b] ? n - done : blocks[b], got = 0;
      MST_CHECK (mst_dynamics_process_f32 (d, in + 2 * done, m,
              out + 2 * written, &got) == MST_OK);
      done += m;
      written += got;
    }
    MST_CHECK (mst_dynamics_get_pending (d) == 240);
    size_t got = 0;
    MST_CHECK (mst_dynamics_drain_f32 (d, out + 2 * written, &got) == MST_OK);
    written += got;
    MST_CHECK_MSG (written == n, "block %zu: %zu frames out of %zu",
        blocks[b], written, n);
    MST_CHECK_MSG (memcmp (in, out, 2 * n * sizeof (float)) == 0,
        "block %zu: below the threshold the output is not the input",
        blocks[b]);
    free (in);
    free (out);
    mst_dynamics_destroy (&d);
  }

  /* A step with 5 ms lookahead and a 1 ms attack: the gain has fallen by
   * most of its change at the step itself. */
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.threshold_db = -20.0;
  s.knee_db = 0.0;
  s.attack_ms = 1.0;
  MstDynamics *d = make (1, 0, 5.0, &s);
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = i < n / 2 ? 0.01 : 1.0;
  size_t got = 0, got2 = 0;
  MST_CHECK (mst_dynamics_process_f64 (d, x, n, y, &got) == MST_OK);
  MST_CHECK (mst_dynamics_drain_f64 (d, y + got, &got2) == MST_OK);
  MST_CHECK (got + got2 == n);
  double at_step = 20.0 * log10 (y[n / 2] / x[n / 2]);
  MST_CHECK_MSG (at_step < -0.95 * 15.0,
      "gain at the step %.2f dB: the lookahead did not bring it down", at_step);
  free (x);
  free (y);
  mst_dynamics_destroy (&d);
}

/* Mix: with the gain at 1 (under the threshold) the output is the input
 * bit for bit at any mix; compressed, 50 % mix is the mean of dry and wet;
 * bypass is the dry signal bit for bit once its glide has ended. */
static void
test_mix_and_bypass (void)
{
  const size_t n = 24000;
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  double *wet = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = 0.05 * sin (2 * M_PI * 440.0 * i / RATE);
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.threshold_db = 0.0;
  s.knee_db = 0.0;
  s.mix = 0.5;
  MstDynamics *d = make (1, 0, 0.0, &s);
  memcpy (y, x, n * sizeof (double));
  run_mono (d, y, n);
  MST_CHECK (memcmp (x, y, n * sizeof (double)) == 0);
  mst_dynamics_destroy (&d);

  for (size_t i = 0; i < n; i++)
    x[i] = 0.8 * sin (2 * M_PI * 440.0 * i / RATE);
  s.threshold_db = -30.0;
  s.mix = 1.0;
  d = make (1, 0, 0.0, &s);
  memcpy (wet, x, n * sizeof (double));
  run_mono (d, wet, n);
  mst_dynamics_destroy (&d);
  s.mix = 0.5;
  d = make (1, 0, 0.0, &s);
  memcpy (y, x, n * sizeof (double));
  run_mono (d, y, n);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++)
    worst = fmax (worst, fabs (y[i] - 0.5 * (x[i] + wet[i])));
  MST_CHECK_MSG (worst < 1e-12, "50 %% mix off the mean by %g", worst);

  s.bypass = true;
  MST_CHECK (mst_dynamics_set (d, &s) == MST_OK);
  memcpy (y, x, n * sizeof (double));
  run_mono (d, y, n);
  /* A glide of at most 10 ms (the wet half of the mix in 5 ms), then the
   * input exactly; no sample-to-sample jump larger than the input's or the
   * wet signal's own. */
  MST_CHECK (fabs (y[10] - x[10]) > 1e-6);
  MST_CHECK (memcmp (x + 480, y + 480, (n - 480) * sizeof (double)) == 0);
  double step = 0.0, own = 0.0;
  for (size_t i = 1; i < 480; i++) {
    step = fmax (step, fabs (y[i] - y[i - 1]));
    own = fmax (own, fmax (fabs (x[i] - x[i - 1]), fabs (wet[i] - wet[i - 1])));
  }
  MST_CHECK_MSG (step < own + 0.005, "bypass glide steps by %g (signals %g)",
      step, own);
  mst_dynamics_destroy (&d);
  free (x);
  free (y);
  free (wet);
}

/* An external key: a loud key ducks a quiet main by the curve's gain; a
 * silent key leaves it untouched; a mono key of a stereo main gives both
 * channels one gain. */
static void
test_external_key (void)
{
  const size_t n = 48000;
  double *in = malloc (2 * n * sizeof (double));
  double *out = malloc (2 * n * sizeof (double));
  double *key = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++) {
    in[2 * i] = 0.1 * sin (2 * M_PI * 300.0 * i / RATE);
    in[2 * i + 1] = 0.05 * sin (2 * M_PI * 500.0 * i / RATE);
    key[i] = i < n / 2 ? 0.0 : 0.5 * sin (2 * M_PI * 1000.0 * i / RATE);
  }
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.threshold_db = -30.0;
  s.ratio = 10.0;
  s.knee_db = 0.0;
  MstDynamics *d = make (2, 1, 0.0, &s);
  size_t got = 0;
  MST_CHECK (mst_dynamics_process_keyed_f64 (d, in, key, n, out, &got)
      == MST_OK);
  MST_CHECK (got == n);
  /* Key silent: untouched. */
  MST_CHECK (memcmp (in, out, n * sizeof (double)) == 0);
  /* Key at -6 dBFS peak: the formula's gain on both channels. */
  double want = formula_gain_db (20 * log10 (0.5), -30.0, 10.0, 0.0);
  for (int c = 0; c < 2; c++) {
    double num = 0, den = 0;
    for (size_t i = n - 4800; i < n; i++) {
      num += out[2 * i + c] * out[2 * i + c];
      den += in[2 * i + c] * in[2 * i + c];
    }
    MST_CHECK_CLOSE (10 * log10 (num / den), want, 0.1);
  }
  free (in);
  free (out);
  free (key);
  mst_dynamics_destroy (&d);
}

/* The self-keyed wideband path without lookahead works on the interleaved
 * frames (key periods read in place, gains applied in place, blocks of
 * gain 1 left alone); keyed by a copy of the audio, the same processor
 * runs the planar path. Both give the same output bit for bit, in F32 and
 * F64, for the compressor and the gate, mono and stereo, over blocks that
 * do not divide the control period; and the frames path does leave blocks
 * untouched (the gate open, the compressor under its threshold). */
static void
test_frames_path (void)
{
  const size_t n = 48000;
  const size_t blocks[] = { 1000, 37 };
  float *xf = malloc (2 * n * sizeof (float));
  float *yf = malloc (2 * n * sizeof (float));
  float *zf = malloc (2 * n * sizeof (float));
  double *xd = malloc (2 * n * sizeof (double));
  double *yd = malloc (2 * n * sizeof (double));
  double *zd = malloc (2 * n * sizeof (double));
  uint32_t seed = 7;
  for (size_t i = 0; i < n; i++) {
    /* A swell from -70 to -10 dBFS and back: the gate closes and opens,
     * the compressor goes over its threshold and back under it. */
    double level = pow (10.0, (-40.0 - 30.0 * cos (2 * M_PI * i / n)) / 20.0);
    for (int c = 0; c < 2; c++) {
      seed = seed * 1664525u + 1013904223u;
      double v = level * (sin (2 * M_PI * (200.0 + 300.0 * c) * i / RATE)
          + 0.3 * ((seed >> 8) / 8388608.0 - 1.0));
      xd[2 * i + c] = v;
      xf[2 * i + c] = (float) v;
    }
  }
  int untouched = 0;
  for (int gate = 0; gate < 2; gate++)
    for (int ch = 1; ch <= 2; ch++)
      for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        MstDynamicsSettings s;
        if (gate)
          mst_dynamics_settings_gate (&s);
        else
          mst_dynamics_settings_default (&s);
        MstDynamics *self = make (ch, 0, 0.0, &s);
        MstDynamics *keyed = make (ch, ch, 0.0, &s);
        /* ch channels from the stereo signal: frame i is xd[2 i ..]. */
        for (size_t done = 0; done < n; done += blocks[b]) {
          size_t m = n - done < blocks[b] ? n - done : blocks[b], got = 0;
          float *inf = zf + ch * done;
          double *ind = zd + ch * done;
          for (size_t i = 0; i < m; i++)
            for (int c = 0; c < ch; c++) {
              inf[ch * i + c] = xf[2 * (done + i) + c];
              ind[ch * i + c] = xd[2 * (done + i) + c];
            }
          float *of = yf + ch * done;
          MST_CHECK (mst_dynamics_process_f32 (self, inf, m, of, &got)
              == MST_OK && got == m);
          if (memcmp (of, inf, m * ch * sizeof (float)) == 0)
            untouched++;
          float planar_f[2 * 1000];
          MST_CHECK (mst_dynamics_process_keyed_f32 (keyed, inf, inf, m,
                  planar_f, &got) == MST_OK && got == m);
          MST_CHECK_MSG (memcmp (of, planar_f, m * ch * sizeof (float))
              == 0, "%s %d ch, F32, block %zu at %zu: the paths differ",
              gate ? "gate" : "compressor", ch, blocks[b], done);
        }
        mst_dynamics_destroy (&self);
        mst_dynamics_destroy (&keyed);
        self = make (ch, 0, 0.0, &s);
        keyed = make (ch, ch, 0.0, &s);
        for (size_t done = 0; done < n; done += blocks[b]) {
          size_t m = n - done < blocks[b] ? n - done : blocks[b], got = 0;
          double *ind = zd + ch * done;
          double *od = yd + ch * done;
          double planar_d[2 * 1000];
          MST_CHECK (mst_dynamics_process_f64 (self, ind, m, od, &got)
              == MST_OK && got == m);
          MST_CHECK (mst_dynamics_process_keyed_f64 (keyed, ind, ind, m,
                  planar_d, &got) == MST_OK && got == m);
          MST_CHECK_MSG (memcmp (od, planar_d, m * ch * sizeof (double))
              == 0, "%s %d ch, F64, block %zu at %zu: the paths differ",
              gate ? "gate" : "compressor", ch, blocks[b], done);
        }
        mst_dynamics_destroy (&self);
        mst_dynamics_destroy (&keyed);
      }
  MST_CHECK (untouched > 0);
  printf ("  frames path: same output as the planar path; %d blocks "
      "untouched\n", untouched);

  /* The de-esser's split band from the frames (in place, as the element
   * runs it, and into another buffer, blocks that do not divide 4) against
   * the planar path keyed by a copy of the audio, whose band is filtered
   * again apart: the same within the rounding of the key filter's runner
   * (mst_biquad_cascade_run_fast). */
  {
    MstDynamicsSettings s;
    mst_dynamics_settings_deesser (&s);
    MstDynamics *self = make (2, 0, 0.0, &s);
    MstDynamics *keyed = make (2, 2, 0.0, &s);
    double worst = 0.0, reduced = 0.0;
    memcpy (zf, xf, 2 * n * sizeof (float));
    for (size_t done = 0; done < n; done += 1001) {
      size_t m = n - done < 1001 ? n - done : 1001, got = 0;
      float *at = zf + 2 * done;
      MST_CHECK (mst_dynamics_process_keyed_f32 (keyed, at, at, m,
              yf + 2 * done, &got) == MST_OK && got == m);
      MST_CHECK (mst_dynamics_process_f32 (self, at, m, at, &got) == MST_OK
          && got == m);
      for (size_t i = 0; i < 2 * m; i++) {
        worst = fmax (worst, fabs (at[i] - yf[2 * done + i]));
        reduced = fmax (reduced, fabs (at[i] - xf[2 * done + i]));
      }
    }
    MST_CHECK_MSG (worst < 1e-6 && reduced > 1e-3, "de-esser frames path "
        "off the planar path by %g (reducing by up to %g)", worst, reduced);
    printf ("  de-esser frames path: within %.1e of the planar path\n",
        worst);
    mst_dynamics_destroy (&self);
    mst_dynamics_destroy (&keyed);
  }

  /* Non-finite and absurd samples on the frames paths (wideband, and the
   * de-esser's split band), where the gain stage finds them: counted once
   * each, and the output is that of the same input with silence there. */
  for (int gate = 0; gate < 3; gate++) {
    MstDynamicsSettings s;
    if (gate == 2)
      mst_dynamics_settings_deesser (&s);
    else if (gate)
      mst_dynamics_settings_gate (&s);
    else
      mst_dynamics_settings_default (&s);
    memcpy (zf, xf, 2 * n * sizeof (float));
    const size_t at[] = { 1001, 20000, 30003 };
    zf[at[0]] = NAN;
    zf[at[1]] = INFINITY;
    zf[at[2]] = 1e10f;
    MstDynamics *d = make (2, 0, 0.0, &s);
    MST_CHECK (mst_dynamics_gain_checks_frames (NULL) == false);
    size_t got = 0;
    MST_CHECK (mst_dynamics_process_f32 (d, zf, n, yf, &got) == MST_OK
        && got == n);
    MST_CHECK (mst_dynamics_get_nonfinite_count (d) == 3);
    mst_dynamics_destroy (&d);
    for (size_t k = 0; k < 3; k++)
      zf[at[k]] = 0.0f;
    d = make (2, 0, 0.0, &s);
    float *ref = malloc (2 * n * sizeof (float));
    MST_CHECK (mst_dynamics_process_f32 (d, zf, n, ref, &got) == MST_OK
        && got == n);
    MST_CHECK (mst_dynamics_get_nonfinite_count (d) == 0);
    MST_CHECK_MSG (memcmp (yf, ref, 2 * n * sizeof (float)) == 0,
        "%s: non-finite input not read as silence on the frames path",
        gate == 2 ? "de-esser" : gate ? "gate" : "compressor");
    free (ref);
    mst_dynamics_destroy (&d);
  }
  free (xf);
  free (yf);
  free (zf);
  free (xd);
  free (yd);
  free (zd);
}

/* Counts the frames where the gate's gain crosses half-way between closed
 * and open, in either direction. */
static int
count_toggles (const double *gdb, size_t n, double mid)
{
  int toggles = 0;
  for (size_t i = 1; i < n; i++)
    toggles += (gdb[i - 1] < mid) != (gdb[i] < mid);
  return toggles;
}

/* A level wandering +-1 dB around the gate's threshold, 8 times a second:
 * without hysteresis the gate chatters (a toggle pair per wander), with
 * 3 dB it opens once and stays open; hold keeps it open after the level
 * drops; the closed gain is the range. */
static void
test_gate (void)
{
  const size_t n = (size_t) (3 * RATE);
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  double *gdb = malloc (n * sizeof (double));
  int toggles[2];
  for (int h = 0; h < 2; h++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_gate (&s);
    s.threshold_db = -30.0;
    s.hysteresis_db = h ? 3.0 : 0.0;
    s.hold_ms = 0.0;
    s.release_ms = 5.0;
    MstDynamics *d = make (1, 0, 0.0, &s);
    for (size_t i = 0; i < n; i++) {
      double lvl = -30.0 + sin (2 * M_PI * 8.0 * i / RATE);
      x[i] = y[i] = pow (10.0, lvl / 20.0);     /* DC: the level exactly */
    }
    run_mono (d, y, n);
    for (size_t i = 0; i < n; i++)
      gdb[i] = 20 * log10 (y[i] / x[i]);
    toggles[h] = count_toggles (gdb, n, -5.0);
    mst_dynamics_destroy (&d);
  }
  MST_CHECK_MSG (toggles[0] >= 40, "without hysteresis only %d toggles",
      toggles[0]);
  MST_CHECK_MSG (toggles[1] <= 1, "with 3 dB hysteresis %d toggles",
      toggles[1]);

  /* The same with a 200 Hz tone and the peak detector, whose level falls
   * to nothing at every zero crossing: the gate's state reads the level's
   * envelope, and the hold (20 ms) bridges the crossings. The gain is
   * measured on the tone's peaks (one a half period). */
  for (int h = 0; h < 2; h++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_gate (&s);
    s.threshold_db = -30.0;
    s.hysteresis_db = h ? 3.0 : 0.0;
    s.release_ms = 5.0;
    MstDynamics *d = make (1, 0, 0.0, &s);
    for (size_t i = 0; i < n; i++) {
      double lvl = -30.0 + sin (2 * M_PI * 8.0 * i / RATE);
      x[i] = y[i] = pow (10.0, lvl / 20.0) * sin (2 * M_PI * 200.0 * i / RATE);
    }
    run_mono (d, y, n);
    size_t n_peaks = 0;
    for (size_t i = 60; i < n; i += 120)        /* 200 Hz: peaks 120 apart */
      gdb[n_peaks++] = 20 * log10 (fabs (y[i] / x[i]));
    toggles[h] = count_toggles (gdb, n_peaks, -5.0);
    mst_dynamics_destroy (&d);
  }
  MST_CHECK_MSG (toggles[0] >= 40, "tone without hysteresis only %d toggles",
      toggles[0]);
  MST_CHECK_MSG (toggles[1] <= 1, "tone with 3 dB hysteresis %d toggles",
      toggles[1]);

  /* Hold: 50 ms of hold keeps the gain at 0 dB for 50 ms after the level
   * falls under the threshold; the closed gain is the range. */
  MstDynamicsSettings s;
  mst_dynamics_settings_gate (&s);
  s.threshold_db = -30.0;
  s.hold_ms = 50.0;
  s.release_ms = 10.0;
  s.range_db = -40.0;
  MstDynamics *d = make (1, 0, 0.0, &s);
  size_t fall = (size_t) RATE;
  for (size_t i = 0; i < n; i++)
    x[i] = y[i] = i < fall ? 0.1 : 0.001;
  run_mono (d, y, n);
  for (size_t i = 0; i < n; i++)
    gdb[i] = 20 * log10 (y[i] / x[i]);
  MST_CHECK_CLOSE (gdb[fall + (size_t) (0.049 * RATE)], 0.0, 1e-9);
  MST_CHECK (gdb[fall + (size_t) (0.07 * RATE)] < -10.0);
  MST_CHECK_CLOSE (gdb[n - 1], -40.0, 0.1);
  mst_dynamics_destroy (&d);
  free (x);
  free (y);
  free (gdb);
}

/* Split band: a 200 Hz tone under a 7 kHz burst; the de-esser's key band
 * reduces the burst by about its range while the tone stays within
 * 0.2 dB. Wideband mode takes the tone down with it. */
static void
test_split_band (void)
{
  const size_t n = (size_t) RATE;
  double *tone = malloc (n * sizeof (double)), *hiss = malloc (n * sizeof (double));
  double *y = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++) {
    tone[i] = 0.3 * sin (2 * M_PI * 200.0 * i / RATE);
    hiss[i] = 0.3 * sin (2 * M_PI * 7000.0 * i / RATE);
  }
  for (int wide = 0; wide < 2; wide++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_deesser (&s);
    s.key_band_hz = 7000.0;
    s.ratio = 100.0;
    s.range_db = -12.0;
    s.apply = wide ? MST_DYNAMICS_WIDEBAND : MST_DYNAMICS_SPLIT;
    /* Tone alone: the band-pass key hears too little to act. */
    MstDynamics *d = make (1, 0, 0.0, &s);
    for (size_t i = 0; i < n; i++)
      y[i] = tone[i] + hiss[i];
    run_mono (d, y, n);
    /* Separate the output's 200 Hz and 7 kHz parts by correlation over
     * the last 0.5 s. */
    double c200 = 0, c7k = 0, e200 = 0, e7k = 0;
    for (size_t i = n / 2; i < n; i++) {
      c200 += y[i] * tone[i];
      e200 += tone[i] * tone[i];
      c7k += y[i] * hiss[i];
      e7k += hiss[i] * hiss[i];
    }
    double g200 = 20 * log10 (fabs (c200 / e200));
    double g7k = 20 * log10 (fabs (c7k / e7k));
    if (!wide) {
      MST_CHECK_MSG (fabs (g200) <= 0.2, "split: tone moved %.3f dB", g200);
      MST_CHECK_MSG (g7k < -10.0 && g7k > -13.0,
          "split: sibilant band %.2f dB, range -12", g7k);
    } else {
      MST_CHECK_MSG (g200 < -10.0, "wideband: tone only %.2f dB", g200);
    }
    printf ("  %s: 200 Hz %.3f dB, 7 kHz %.2f dB\n", wide ? "wideband" :
        "split", g200, g7k);
    mst_dynamics_destroy (&d);
  }
  free (tone);
  free (hiss);
  free (y);
}

/* Upward: a signal 20 dB under the threshold is raised by (1 - 1/R) 20 dB,
 * up to the largest boost the range allows. */
static void
test_upward (void)
{
  const size_t n = (size_t) RATE;
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  const double ratios[] = { 2.0, 4.0 };
  for (int k = 0; k < 2; k++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_default (&s);
    s.mode = MST_GAIN_COMPUTER_UPWARD;
    s.threshold_db = -30.0;
    s.ratio = ratios[k];
    s.knee_db = 0.0;
    s.range_db = -12.0;
    MstDynamics *d = make (1, 0, 0.0, &s);
    for (size_t i = 0; i < n; i++)
      x[i] = y[i] = pow (10.0, -50.0 / 20.0);   /* -50 dBFS DC */
    run_mono (d, y, n);
    double got = 20 * log10 (y[n - 1] / x[n - 1]);
    double want = fmin ((1.0 - 1.0 / ratios[k]) * 20.0, 12.0);
    MST_CHECK_CLOSE (got, want, 0.01);
    mst_dynamics_destroy (&d);
  }
  free (x);
  free (y);
}

/* NaN, Inf and +200 dBFS samples in the audio and in the key: counted,
 * the output finite, the processor back to normal right after. */
static void
test_nonfinite (void)
{
  const size_t n = 9600;
  double *x = malloc (n * sizeof (double)), *key = malloc (n * sizeof (double));
  double *y = malloc (n * sizeof (double));
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.key_highpass_hz = 100.0;
  for (int where = 0; where < 2; where++) {
    MstDynamics *d = make (1, where ? 1 : 0, 2.0, &s);
    for (size_t i = 0; i < n; i++)
      x[i] = key[i] = 0.2 * sin (0.05 * i);
    double *bad = where ? key : x;
    bad[100] = NAN;
    bad[200] = INFINITY;
    bad[300] = 1e10;
    size_t got = 0, got2 = 0;
    MST_CHECK ((where ? mst_dynamics_process_keyed_f64 (d, x, key, n, y, &got)
            : mst_dynamics_process_f64 (d, x, n, y, &got)) == MST_OK);
    MST_CHECK (mst_dynamics_drain_f64 (d, y + got, &got2) == MST_OK);
    MST_CHECK (got + got2 == n);
    bool finite = true;
    for (size_t i = 0; i < n; i++)
      finite &= isfinite (y[i]) && fabs (y[i]) <= 1.0;
    MST_CHECK (finite);
    MST_CHECK (mst_dynamics_get_nonfinite_count (d) == 3);
    /* Recovered: the last 100 ms match a clean run. */
    MstDynamics *ref = make (1, where ? 1 : 0, 2.0, &s);
    double *x2 = malloc (n * sizeof (double)), *y2 = malloc (n * sizeof (double));
    for (size_t i = 0; i < n; i++)
      x2[i] = 0.2 * sin (0.05 * i);
    MST_CHECK ((where ? mst_dynamics_process_keyed_f64 (ref, x2, x2, n, y2,
                &got) : mst_dynamics_process_f64 (ref, x2, n, y2, &got))
        == MST_OK);
    MST_CHECK (mst_dynamics_drain_f64 (ref, y2 + got, &got2) == MST_OK);
    double diff = 0.0;
    for (size_t i = n - 4800; i < n; i++)
      diff = fmax (diff, fabs (y[i] - y2[i]));
    MST_CHECK_MSG (diff < 1e-3, "%s: still off by %g after 100 ms",
        where ? "key" : "audio", diff);
    free (x2);
    free (y2);
    mst_dynamics_destroy (&ref);
    mst_dynamics_destroy (&d);
  }
  free (x);
  free (key);
  free (y);
}

/* The attack shortened mid-period (the control period from 32 frames to
 * 8, 23 frames into a period): the gains stay within what the curve
 * allows and the output finite; before, the period under way outran the
 * new length and the ramp read past its table. */
static void
test_control_period_change (void)
{
  const size_t n = 48000;
  double *x = malloc (n * sizeof (double)), *y = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = y[i] = 0.9 * sin (2 * M_PI * 300.0 * i / RATE);
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.attack_ms = 100.0;
  s.release_ms = 1000.0;
  MstDynamics *d = make (1, 0, 0.0, &s);
  size_t got = 0;
  MST_CHECK (mst_dynamics_process_f64 (d, y, 1000 * 32 + 23, y, &got)
      == MST_OK);
  s.attack_ms = 10.0;
  MST_CHECK (mst_dynamics_set (d, &s) == MST_OK);
  MST_CHECK (mst_dynamics_process_f64 (d, y + got, n - got, y + got, &got)
      == MST_OK);
  bool ok = true;
  for (size_t i = 0; i < n; i++)
    ok &= isfinite (y[i]) && fabs (y[i]) <= fabs (x[i]) * (1.0 + 1e-9);
  MST_CHECK_MSG (ok, "a gain above 1 or a non-finite sample after the change");
  /* Settled on the curve again: 0.9 peak is -0.92 dBFS, 4:1 from -18 dB
   * with a 6 dB knee. */
  double g = 20.0 * log10 (rms (y + n - 4800, 4800) / rms (x + n - 4800,
          4800));
  MST_CHECK_CLOSE (g, formula_gain_db (20.0 * log10 (0.9), -18.0, 4.0, 6.0),
      0.1);
  free (x);
  free (y);
  mst_dynamics_destroy (&d);
}

/* Settings out of range are refused whole; the processor keeps the old. */
static void
test_refused_settings (void)
{
  MstDynamicsSettings s, bad;
  mst_dynamics_settings_default (&s);
  MstDynamics *d = make (2, 0, 0.0, &s);
  bad = s;
  bad.ratio = 0.5;
  MST_CHECK (mst_dynamics_set (d, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.attack_ms = -1.0;
  MST_CHECK (mst_dynamics_set (d, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.mix = NAN;
  MST_CHECK (mst_dynamics_set (d, &bad) == MST_ERR_INVALID_ARG);
  bad = s;
  bad.key_highpass_hz = 2.0;
  MST_CHECK (mst_dynamics_set (d, &bad) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_dynamics_configure (d, RATE, 2, 0, 1000.0)
      == MST_ERR_INVALID_ARG);
  mst_dynamics_destroy (&d);
}

/* The gain stage's shortcuts against what they stand for.
 * - Ballistics at a gain a frame (attack 0.5 ms): gains against the two
 *   stages written out here in their plain form (mst-dynamics-gain.h),
 *   over bursts and silences (the static gain 0 dB between them, attack,
 *   release), within 1e-6 dB.
 * - A neutral stage (ratio 1) gives gains of exactly 1 without reading its
 *   key (flat, rows written or not), and once set to compress it gives
 *   exactly the gains of a fresh stage fed the same key from there. */
static void
test_gain_stage_paths (void)
{
  const size_t n = 48000, block = 1024;
  double *key = malloc (n * sizeof (double));
  double *gain = malloc (MST_DYNAMICS_BLOCK * 2 * sizeof (double));
  double *ref = malloc (MST_DYNAMICS_BLOCK * 2 * sizeof (double));
  for (size_t i = 0; i < n; i++) {
    /* 30 ms bursts of a 3 kHz tone at -10 dBFS every 100 ms, quiet
     * between (-60 dBFS). */
    double level = (i % 4800) < 1440 ? 0.316 : 0.001;
    key[i] = level * sin (2 * M_PI * 3000.0 * i / RATE);
  }
  MstDynamicsSettings s;
  mst_dynamics_settings_default (&s);
  s.attack_ms = 0.5;
  s.release_ms = 20.0;
  s.threshold_db = -30.0;
  MstDynamicsGain *g = mst_dynamics_gain_init (2);
  MST_CHECK (mst_dynamics_gain_configure (g, RATE, 1, 1) == MST_OK
      && mst_dynamics_gain_set (g, &s) == MST_OK);
  const double a_att = exp (-1000.0 / (RATE * s.attack_ms));
  const double a_rel = exp (-1000.0 / (RATE * s.release_ms));
  double y1 = 0.0, y2 = 0.0, worst = 0.0, deepest = 0.0;
  for (size_t done = 0; done + block <= n; done += block) {
    bool shared = false;
    MST_CHECK (mst_dynamics_gain_process (g, key + done, block, block, gain,
            block, &shared) == MST_OK);
    for (size_t i = 0; i < block; i++) {
      double x = fabs (key[done + i]);
      double t = x > 0.0 ? -formula_gain_db (20.0 * log10 (x),
          s.threshold_db, s.ratio, s.knee_db) : 0.0;
      y1 = t >= y1 ? t : t + a_rel * (y1 - t);
      y2 = y1 > y2 ? y1 + a_att * (y2 - y1) : y1;
      double got = 20.0 * log10 (gain[i]);
      worst = fmax (worst, fabs (got + y2));
      deepest = fmin (deepest, got);
    }
  }
  MST_CHECK_MSG (worst < 1e-6 && deepest < -10.0, "ballistics off their "
      "plain form by %g dB (deepest %.2f dB)", worst, deepest);
  printf ("  ballistics: within %.1e dB of the plain form\n", worst);
  mst_dynamics_gain_destroy (&g);

  /* Neutral, then compressing: stereo, linked, control period 8. */
  mst_dynamics_settings_default (&s);
  s.ratio = 1.0;
  s.detector = MST_DYNAMICS_RMS;
  g = mst_dynamics_gain_init (2);
  MstDynamicsGain *fresh = mst_dynamics_gain_init (2);
  MST_CHECK (mst_dynamics_gain_configure (g, RATE, 2, 2) == MST_OK
      && mst_dynamics_gain_set (g, &s) == MST_OK);
  double *stereo = malloc (2 * MST_DYNAMICS_BLOCK * sizeof (double));
  size_t done = 0;
  for (int b = 0; b < 4; b++, done += block) {
    for (int c = 0; c < 2; c++)
      memcpy (stereo + c * block, key + done, block * sizeof (double));
    double flat = 0.0;
    bool shared = false;
    gain[0] = 0.5;
    MST_CHECK (mst_dynamics_gain_process_or_flat (g, stereo, block, block,
            gain, block, &shared) == MST_OK);
    MST_CHECK (mst_dynamics_gain_is_flat (g, &flat) && flat == 1.0
        && shared);
    MST_CHECK (mst_dynamics_gain_process (g, stereo, block, block, gain,
            block, &shared) == MST_OK);
    for (size_t i = 0; i < block; i++)
      MST_CHECK (gain[i] == 1.0);
  }
  MST_CHECK (mst_dynamics_gain_take_reduction_db (g) == 0.0);
  s.ratio = 4.0;
  MST_CHECK (mst_dynamics_gain_set (g, &s) == MST_OK
      && mst_dynamics_gain_configure (fresh, RATE, 2, 2) == MST_OK
      && mst_dynamics_gain_set (fresh, &s) == MST_OK);
  bool same = true;
  double reduced = 0.0;
  for (; done + block <= n; done += block) {
    bool shared = false;
    for (int c = 0; c < 2; c++)
      memcpy (stereo + c * block, key + done, block * sizeof (double));
    MST_CHECK (mst_dynamics_gain_process (g, stereo, block, block, gain,
            block, &shared) == MST_OK);
    MST_CHECK (mst_dynamics_gain_process (fresh, stereo, block, block, ref,
            block, &shared) == MST_OK);
    same = same && memcmp (gain, ref, block * sizeof (double)) == 0;
    for (size_t i = 0; i < block; i++)
      reduced = fmin (reduced, gain[i]);
  }
  MST_CHECK_MSG (same && reduced < 0.5, "a stage back from neutral is not "
      "a fresh one (lowest gain %g)", reduced);
  mst_dynamics_gain_destroy (&g);
  mst_dynamics_gain_destroy (&fresh);
  free (stereo);
  free (key);
  free (gain);
  free (ref);
}

/* A reset is a new stream: a processor reset in the middle of one (frames
 * pending in its lookahead, filters and ballistics moving) then given a
 * second signal gives what a processor that never saw the first gives,
 * bit for bit, frames and drain, wideband and split band. */
static void
test_reset_is_new_stream (void)
{
  const size_t n = 6000;
  double *x1 = malloc (2 * n * sizeof (double));
  double *x2 = malloc (2 * n * sizeof (double));
  double *ya = malloc (2 * n * sizeof (double));
  double *yb = malloc (2 * n * sizeof (double));
  for (size_t i = 0; i < 2 * n; i++) {
    x1[i] = 0.9 * sin (0.37 * i) * (i % 1000 < 500 ? 1.0 : 0.1);
    x2[i] = 0.7 * sin (0.05 * i + 1.0) + 0.2 * sin (1.3 * i);
  }
  for (int apply = MST_DYNAMICS_WIDEBAND; apply <= MST_DYNAMICS_SPLIT;
      apply++) {
    MstDynamicsSettings s;
    mst_dynamics_settings_default (&s);
    s.threshold_db = -24.0;
    s.ratio = 4.0;
    s.attack_ms = 2.0;
    s.release_ms = 80.0;
    s.key_highpass_hz = 80.0;
    s.key_band_hz = 5000.0;
    s.key_band_q = 1.0;
    s.apply = (MstDynamicsApply) apply;
    s.mix = 0.7;
    MstDynamics *a = make (2, 0, 5.0, &s);
    MstDynamics *b = make (2, 0, 5.0, &s);
    size_t got = 0, got_a = 0, got_b = 0;
    MST_CHECK (mst_dynamics_process_f64 (a, x1, n, ya, &got) == MST_OK);
    MST_CHECK (mst_dynamics_get_pending (a) > 0);
    mst_dynamics_reset (a);
    MST_CHECK_MSG (mst_dynamics_get_pending (a) == 0,
        "apply %d: %zu frames pending after the reset", apply,
        mst_dynamics_get_pending (a));
    MST_CHECK (mst_dynamics_process_f64 (a, x2, n, ya, &got_a) == MST_OK);
    MST_CHECK (mst_dynamics_process_f64 (b, x2, n, yb, &got_b) == MST_OK);
    MST_CHECK (got_a == got_b);
    size_t more_a = 0, more_b = 0;
    MST_CHECK (mst_dynamics_drain_f64 (a, ya + 2 * got_a, &more_a) == MST_OK);
    MST_CHECK (mst_dynamics_drain_f64 (b, yb + 2 * got_b, &more_b) == MST_OK);
    MST_CHECK (more_a == more_b && got_a + more_a == n);
    MST_CHECK_MSG (memcmp (ya, yb, 2 * n * sizeof (double)) == 0,
        "apply %d: the reset processor differs from a new one", apply);
    mst_dynamics_destroy (&a);
    mst_dynamics_destroy (&b);
  }
  free (x1);
  free (x2);
  free (ya);
  free (yb);
}

int
main (void)
{
  MST_RUN (test_static_curve);
  MST_RUN (test_time_constants);
  MST_RUN (test_lookahead_alignment);
  MST_RUN (test_mix_and_bypass);
  MST_RUN (test_external_key);
  MST_RUN (test_frames_path);
  MST_RUN (test_gain_stage_paths);
  MST_RUN (test_gate);
  MST_RUN (test_split_band);
  MST_RUN (test_upward);
  MST_RUN (test_nonfinite);
  MST_RUN (test_control_period_change);
  MST_RUN (test_refused_settings);
  MST_RUN (test_reset_is_new_stream);
  return mst_test_summary ();
}
