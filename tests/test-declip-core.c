/* The declip core on plain arrays: generated music driven 3 and 6 dB over
 * full scale and hard clipped at +-1; every restored sample at or beyond
 * the clip level with the clipped sign, every unclipped sample bit for
 * bit, the SDR against the unclipped music improved; the auto level and
 * the threshold find the same samples; bypass, listen, NaN.
 *
 * Two programmes: mst_signal_bass_heavy (bass line, kick: its peaks are
 * tones, in runs of clipped samples) and mst_signal_music (its peaks are
 * single samples of the snare's and hi-hats' noise, which nothing can
 * predict: there the restored samples stay at the clip level and the SDR
 * must only not fall). */
#include "mst-declip.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

static double
sdr_db (const float *ref, const float *x, size_t n)
{
  double s = 0.0, e = 0.0;
  for (size_t i = 0; i < n; i++) {
    s += (double) ref[i] * ref[i];
    e += ((double) x[i] - ref[i]) * ((double) x[i] - ref[i]);
  }
  return e > 0 ? 10.0 * log10 (s / e) : 400.0;
}

/* @x (n frames of @ch) through a declipper with @s in blocks of 1000;
 * returns the clipped count. */
static uint64_t
run (const float *x, size_t n, int ch, const MstDeclipSettings * s,
    float *y)
{
  MstDeclip *d = mst_declip_init (ch);
  MST_CHECK (mst_declip_configure (d, RATE, ch) == MST_OK);
  MST_CHECK (mst_declip_set (d, s) == MST_OK);
  size_t done = 0, out = 0, k;
  while (done < n) {
    size_t b = n - done < 1000 ? n - done : 1000;
    mst_declip_process_f32 (d, x + done * ch, b, y + out * ch, &k);
    done += b;
    out += k;
    MST_CHECK (out + mst_declip_get_pending (d) == done);
  }
  mst_declip_drain_f32 (d, y + out * ch, &k);
  out += k;
  MST_CHECK (out == n);
  uint64_t clipped = mst_declip_get_clipped_count (d, -1);
  MST_CHECK (clipped == mst_declip_get_clipped_count (d, 0)
      + (ch > 1 ? mst_declip_get_clipped_count (d, 1) : 0));
  mst_declip_destroy (&d);
  return clipped;
}

static void
check_over (double over_db, bool tonal)
{
  const size_t n = (size_t) RATE * 5;
  const int ch = 2;
  float *clean = malloc (n * ch * sizeof (float));
  float *x = malloc (n * ch * sizeof (float));
  float *y = malloc (n * ch * sizeof (float));
  if (tonal)
    mst_signal_bass_heavy (clean, n, ch, RATE, 8);
  else
    mst_signal_music (clean, n, ch, RATE, 8);
  /* The music peaks at -0.1 dBFS: driven over_db + 0.1 dB, its peak is
   * over_db over full scale. */
  mst_signal_apply_gain_db (clean, n * ch, over_db + 0.1);
  /* At the clip level: within the auto level's 1e-6 of it (a clean
   * sample there counts too). */
  const float level = (float) (1.0 - 1e-6);
  size_t n_clipped = 0;
  for (size_t i = 0; i < n * ch; i++) {
    x[i] = clean[i] > 1.0f ? 1.0f : clean[i] < -1.0f ? -1.0f : clean[i];
    n_clipped += fabsf (x[i]) >= level;
  }
  MstDeclipSettings s;
  mst_declip_settings_default (&s);
  uint64_t restored = run (x, n, ch, &s, y);
  size_t violations = 0, touched = 0;
  double worst_over = 0;
  for (size_t i = 0; i < n * ch; i++) {
    if (fabsf (x[i]) >= level) {
      violations += x[i] > 0 ? !(y[i] >= x[i]) : !(y[i] <= x[i]);
      worst_over = fmax (worst_over, fabs (y[i]));
    } else
      touched += y[i] != x[i];
  }
  double before = sdr_db (clean, x, n * ch), after = sdr_db (clean, y, n * ch);
  printf ("  %s, %.0f dB over: %zu samples clipped (%.2f %%), %llu restored; SDR "
      "%.1f dB before, %.1f after; largest output %.2f (%+.1f dBFS)\n",
      tonal ? "bass-heavy" : "music", over_db, n_clipped, 100.0 * n_clipped / (n * ch),
      (unsigned long long) restored, before, after, worst_over,
      20 * log10 (worst_over));
  MST_CHECK (violations == 0);
  MST_CHECK (touched == 0);
  /* Auto: runs of clipped samples, which the noise peaks of the music
   * are not; the threshold just under the peak finds every one. */
  float *y2 = malloc (n * ch * sizeof (float));
  if (tonal) {
    MST_CHECK (restored == n_clipped);
    MST_CHECK (after > before + 3.0);
  } else
    MST_CHECK (after >= before - 0.01);
  /* The threshold: relative to the running peak, so it also takes the
   * loudest samples of the stream so far before the first clipped one. */
  s.auto_level = false;
  s.threshold_db = -0.001;
  MST_CHECK (run (x, n, ch, &s, y2) >= n_clipped);
  if (!tonal) {
    free (y2);
    free (clean);
    free (x);
    free (y);
    return;
  }
  /* Listen: what was added; bypass: the input. */
  s.auto_level = true;
  s.listen = true;
  run (x, n, ch, &s, y2);
  double worst = 0;
  for (size_t i = 0; i < n * ch; i++)
    worst = fmax (worst, fabs ((double) y2[i] + y[i] - x[i]));
  MST_CHECK (worst < 1e-5);
  s.listen = false;
  s.bypass = true;
  MST_CHECK (run (x, n, ch, &s, y2) == 0);
  MST_CHECK (memcmp (x, y2, n * ch * sizeof (float)) == 0);
  free (y2);
  free (clean);
  free (x);
  free (y);
}

static void
test_declip_3db (void)
{
  check_over (3.0, true);
  check_over (3.0, false);
}

static void
test_declip_6db (void)
{
  check_over (6.0, true);
  check_over (6.0, false);
}

/* Unclipped music: the auto level finds no clipping (a peak is a single
 * sample), nothing is touched. */
static void
test_declip_clean (void)
{
  const size_t n = (size_t) RATE * 5;
  float *x = malloc (n * 2 * sizeof (float)), *y = malloc (n * 2 * sizeof (float));
  mst_signal_music (x, n, 2, RATE, 9);
  MstDeclipSettings s;
  mst_declip_settings_default (&s);
  MST_CHECK (run (x, n, 2, &s, y) == 0);
  MST_CHECK (memcmp (x, y, n * 2 * sizeof (float)) == 0);
  free (x);
  free (y);
}

static void
test_declip_nonfinite (void)
{
  const size_t n = RATE / 2;
  double *x = malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = fmax (-0.5, fmin (0.5, 0.8 * sin (0.01 * i)));
  x[100] = NAN;
  x[5000] = -INFINITY;
  MstDeclip *d = mst_declip_init (1);
  MST_CHECK (mst_declip_configure (d, RATE, 1) == MST_OK);
  size_t k, k2;
  mst_declip_process_f64 (d, x, n, x, &k);
  mst_declip_drain_f64 (d, x + k, &k2);
  MST_CHECK (k + k2 == n);
  MST_CHECK (mst_declip_get_nonfinite_count (d) == 2);
  for (size_t i = 0; i < n; i++)
    MST_CHECK (isfinite (x[i]));
  MST_CHECK (mst_declip_get_clipped_count (d, -1) > 0);
  MstDeclipSettings s;
  mst_declip_settings_default (&s);
  s.threshold_db = 1.0;
  MST_CHECK (mst_declip_set (d, &s) == MST_ERR_INVALID_ARG);
  mst_declip_destroy (&d);
  free (x);
}

int
main (void)
{
  MST_RUN (test_declip_3db);
  MST_RUN (test_declip_6db);
  MST_RUN (test_declip_clean);
  MST_RUN (test_declip_nonfinite);
  return mst_test_summary ();
}
