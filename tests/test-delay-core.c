/* The delay core on arrays: delay times exact to the frame (ms and note
 * values), each repeat the feedback times the last, ping-pong alternation,
 * the feedback filters, time changes as crossfades between taps (no step,
 * no pitch sweep), the dry path bit-exact at mix 0, the drained tail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mst-delay.h"
#include "mst-test.h"

static MstDelay *
make (double rate, int ch, const MstDelaySettings * s)
{
  MstDelay *d = mst_delay_init ();
  MST_CHECK (d && mst_delay_configure (d, rate, ch) == MST_OK);
  MST_CHECK (mst_delay_set (d, s) == MST_OK);
  mst_delay_reset (d);
  return d;
}

/* The wet response (stereo) of a mono impulse. */
static double *
impulse (double rate, MstDelaySettings s, size_t n)
{
  s.mix_pct = 100;
  MstDelay *d = make (rate, 1, &s);
  double *x = calloc (n, sizeof (double)), *y = malloc (2 * n *
      sizeof (double));
  x[0] = 1;
  mst_delay_process_f64 (d, x, n, y);
  mst_delay_destroy (&d);
  free (x);
  return y;
}

static void
test_exact_time_and_feedback (void)
{
  const double rates[] = { 8000, 44100, 96000, 192000 };
  const double times[] = { 1.0, 12.34, 250.0, 1000.0 };
  for (int r = 0; r < 4; r++)
    for (int k = 0; k < 4; k++) {
      MstDelaySettings s;
      mst_delay_settings_default (&s);
      s.time_ms = times[k];
      s.feedback_pct = 50;
      size_t dframes = (size_t) lround (times[k] * 1e-3 * rates[r]);
      size_t n = 4 * dframes + 10;
      double *y = impulse (rates[r], s, n);
      /* Echo k at k D frames, 0.5^(k-1), nothing else. */
      bool ok = true;
      for (size_t i = 0; i < n; i++) {
        double want = 0;
        if (i > 0 && i % dframes == 0)
          want = pow (0.5, i / dframes - 1);
        ok = ok && fabs (y[2 * i] - want) < 1e-12 && fabs (y[2 * i + 1] -
            want) < 1e-12;
      }
      MST_CHECK_MSG (ok, "%g Hz %g ms", rates[r], times[k]);
      free (y);
    }
}

static void
test_notes (void)
{
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  s.bpm = 120;
  struct { MstDelayNote note; double ms; } cases[] = {
    {MST_DELAY_NOTE_1_4, 500}, {MST_DELAY_NOTE_1_8, 250},
    {MST_DELAY_NOTE_1_8D, 375}, {MST_DELAY_NOTE_1_8T, 250 * 2 / 3.0},
    {MST_DELAY_NOTE_1_1, 2000}, {MST_DELAY_NOTE_1_16T, 125 * 2 / 3.0},
    {MST_DELAY_NOTE_1_32D, 62.5 * 1.5},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    s.note = cases[k].note;
    MST_CHECK_CLOSE (mst_delay_time_ms (&s), cases[k].ms, 1e-9);
    MstDelay *d = make (48000, 2, &s);
    MST_CHECK (mst_delay_get_frames (d) == (size_t) lround (cases[k].ms *
            48));
    mst_delay_destroy (&d);
  }
  s.note = MST_DELAY_NOTE_1_1D;
  s.bpm = 20;
  MST_CHECK (mst_delay_time_ms (&s) == MST_DELAY_MAX_TIME_MS);
}

static void
test_ping_pong (void)
{
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  s.ping_pong = true;
  s.feedback_pct = 60;
  s.time_ms = 10;
  size_t D = 480, n = 6 * D + 1;
  double *y = impulse (48000, s, n);
  for (int k = 1; k <= 5; k++) {
    int side = (k - 1) % 2;     /* left first */
    MST_CHECK_CLOSE (y[2 * k * D + side], pow (0.6, k - 1), 1e-12);
    MST_CHECK (y[2 * k * D + 1 - side] == 0.0);
  }
  free (y);
}

/* Low-cut and high-cut in the loop: the first echo is the input, each
 * later one has less of the band's edges. */
static void
test_filters (void)
{
  const double rate = 48000;
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  s.feedback_pct = 90;
  s.time_ms = 100;
  s.low_cut_hz = 300;
  s.high_cut_hz = 3000;
  size_t D = 4800, n = 4 * D;
  double *y = impulse (rate, s, n);
  MST_CHECK_CLOSE (y[2 * D], 1.0, 1e-12);
  /* The DC content (sum) of echo 2 and 3: cut by the low-cut. */
  double sum2 = 0, sum3 = 0;
  for (size_t i = 2 * D; i < 3 * D; i++)
    sum2 += y[2 * i];
  for (size_t i = 3 * D; i < 4 * D; i++)
    sum3 += y[2 * i];
  MST_CHECK (fabs (sum2) < 0.01 && fabs (sum3) < 0.01);
  /* Echo 2's peak: the band-limited impulse is well under the first. */
  double peak2 = 0;
  for (size_t i = 2 * D; i < 3 * D; i++)
    peak2 = fmax (peak2, fabs (y[2 * i]));
  MST_CHECK (peak2 < 0.5);
  free (y);
}

/* A time change on a sine: a crossfade from the old tap to the new one
 * (two sines of one frequency mixed: no pitch sweep), so the output never
 * steps beyond the sine's own steepest slope. */
static void
test_time_glide (void)
{
  const double rate = 48000, f = 997;
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  s.mix_pct = 100;
  s.feedback_pct = 0;
  s.time_ms = 100;
  MstDelay *d = make (rate, 1, &s);
  size_t n = 96000;
  double *x = malloc (n * sizeof (double)), *y = malloc (2 * n *
      sizeof (double));
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5 * sin (2 * M_PI * f * i / rate);
  for (size_t o = 0; o < n; o += 64) {
    /* From 100 to 350 ms and back, a step every 64 frames. */
    double u = o < n / 2 ? (double) o / (n / 2) : 2.0 - (double) o / (n / 2);
    s.time_ms = 100 + 250 * u;
    mst_delay_set (d, &s);
    mst_delay_process_f64 (d, x + o, 64, y + 2 * o);
  }
  double worst = 0, max_step = 2 * 0.5 * sin (M_PI * f / rate);
  for (size_t i = 4801; i < n; i++)
    worst = fmax (worst, fabs (y[2 * i] - y[2 * i - 2]));
  printf ("  largest step %.4f, a sine's %.4f\n", worst, max_step);
  MST_CHECK (worst <= max_step * 1.0001);
  free (x);
  free (y);
  mst_delay_destroy (&d);
}

static void
test_dry_and_drain (void)
{
  const double rate = 48000;
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  s.mix_pct = 0;
  MstDelay *d = make (rate, 2, &s);
  size_t n = 10000, k;
  float *x = malloc (2 * n * sizeof (float)), *y = malloc (2 * n *
      sizeof (float));
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = (float) sin (i * 0.31) * 0.8f;
  mst_delay_process_f32 (d, x, n, y);
  MST_CHECK (memcmp (x, y, 2 * n * sizeof (float)) == 0);
  mst_delay_drain_f32 (d, y, n, &k);
  MST_CHECK (k == 0);
  /* fb 50 %, 10 ms: a repeat 6 dB down every 480 frames; the tail ends
   * with the first whole delay whose writes (0.5 x 0.5^m) stay under
   * -90 dBFS. */
  s.mix_pct = 100;
  s.time_ms = 10;
  s.feedback_pct = 50;
  mst_delay_set (d, &s);
  mst_delay_reset (d);
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = i < 2 * 480 ? 0.5f : 0.f;
  mst_delay_process_f32 (d, x, 480, y);
  size_t got = 0;
  float *tail = malloc (2 * 48000 * sizeof (float));
  do {
    mst_delay_drain_f32 (d, tail + 2 * got, 4096, &k);
    got += k;
  } while (k > 0 && got < 40000);
  printf ("  tail: %zu frames\n", got);
  MST_CHECK (got == 480 * (size_t) ceil (log (pow (10, -4.5) / 0.5) /
          log (0.5) - 1e-9));
  /* fb 98 % after +40 dBFS: the floor is further than one delay plus
   * 2 x RT60, where the tail is cut. */
  s.feedback_pct = 98;
  mst_delay_set (d, &s);
  mst_delay_reset (d);
  for (size_t i = 0; i < 2 * 480; i++)
    x[i] = 100.f;
  mst_delay_process_f32 (d, x, 480, y);
  got = 0;
  do {
    mst_delay_drain_f32 (d, tail, 4096, &k);
    got += k;
  } while (k > 0 && got < 10 * 48000);
  size_t want = 480 + (size_t) ceil (2 * 3.0 * 480 / -log10 (0.98));
  printf ("  tail at 98 %%: %zu frames (%zu)\n", got, want);
  MST_CHECK (got == want);
  free (tail);
  free (x);
  free (y);
  mst_delay_destroy (&d);
}

static void
test_invalid (void)
{
  MstDelaySettings s;
  mst_delay_settings_default (&s);
  MstDelay *d = make (48000, 1, &s);
  s.feedback_pct = 100;
  MST_CHECK (mst_delay_set (d, &s) == MST_ERR_INVALID_ARG);
  mst_delay_settings_default (&s);
  s.time_ms = 0.5;
  MST_CHECK (mst_delay_set (d, &s) == MST_ERR_INVALID_ARG);
  mst_delay_destroy (&d);
}

int
main (void)
{
  MST_RUN (test_exact_time_and_feedback);
  MST_RUN (test_notes);
  MST_RUN (test_ping_pong);
  MST_RUN (test_filters);
  MST_RUN (test_time_glide);
  MST_RUN (test_dry_and_drain);
  MST_RUN (test_invalid);
  return mst_test_summary ();
}
