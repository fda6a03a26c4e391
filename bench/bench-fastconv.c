/* mastering: micro-benchmark of mst_fastconv_run as the limiter's vector
 * path calls it: the 128-tap half-sample interpolator on a stereo pair of
 * rows, 1031 outputs (a 1024-frame block rounded up to 8, plus 7) per
 * call; then long runs (one call over many frames); then rows laid out
 * for transforms in place (mst_fastconv_new_rows), as the limiter's. Prints ns per frame
 * (both channels), best of several runs. Time is the process's CPU time
 * (clock): on a loaded machine wall time counts the other processes'
 * turns.
 *
 *   bench-fastconv [--runs N] */
#include "mst-fastconv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAPS = 128, BLOCK_OUTPUTS = 1031, LONG_OUTPUTS = 1 << 16 };

/* Best time per output frame, in ns, of `calls` calls of n outputs. */
static double
time_runs (MstFastConv * fc, const float *x0, const float *x1, float *y0,
    float *y1, int n, int calls, int runs)
{
  double best = INFINITY;
  for (int r = 0; r < runs; r++) {
    clock_t t0 = clock ();
    for (int c = 0; c < calls; c++)
      mst_fastconv_run (fc, x0, x1, y0, y1, n);
    double ns = (double) (clock () - t0) / CLOCKS_PER_SEC * 1e9
        / ((double) calls * n);
    if (ns < best)
      best = ns;
  }
  return best;
}

int
main (int argc, char **argv)
{
  int runs = 7;
  if (argc == 3 && strcmp (argv[1], "--runs") == 0)
    runs = atoi (argv[2]);
  /* Any taps time alike: noise. */
  float h[TAPS];
  uint32_t seed = 1;
  for (int k = 0; k < TAPS; k++) {
    seed = seed * 1664525u + 1013904223u;
    h[k] = (float) ((seed >> 8) / 8388608.0 - 1.0) / TAPS;
  }
  MstFastConv *fc = mst_fastconv_new (h, TAPS);
  if (!fc)
    return 1;
  int span = mst_fastconv_input_span (fc, LONG_OUTPUTS);
  int room = mst_fastconv_output_end (fc, LONG_OUTPUTS) + TAPS;
  float *x0 = calloc (span, sizeof (float)), *x1 = calloc (span,
      sizeof (float));
  float *b0 = calloc (room, sizeof (float)), *b1 = calloc (room,
      sizeof (float));
  if (!x0 || !x1 || !b0 || !b1)
    return 1;
  for (int i = 0; i < span; i++) {
    seed = seed * 1664525u + 1013904223u;
    x0[i] = (float) ((seed >> 8) / 8388608.0 - 1.0);
    x1[i] = 0.5f * x0[i] + (i % 7) * 0.01f;
  }
  float *y0 = b0 + TAPS, *y1 = b1 + TAPS;
  printf ("stereo, %d outputs a call: %.3f ns/frame\n", BLOCK_OUTPUTS,
      time_runs (fc, x0, x1, y0, y1, BLOCK_OUTPUTS, 2000, runs));
  printf ("mono, %d outputs a call: %.3f ns/frame\n", BLOCK_OUTPUTS,
      time_runs (fc, x0, NULL, y0, NULL, BLOCK_OUTPUTS, 2000, runs));
  printf ("stereo, %d outputs a call: %.3f ns/frame\n", LONG_OUTPUTS,
      time_runs (fc, x0, x1, y0, y1, LONG_OUTPUTS, 32, runs));
  /* Rows in one aligned block, as the limiter's detector lays them out:
   * transforms in place (mst_fastconv_new_rows). */
  {
    enum { STRIDE = 2048 };
    MstFastConv *rc = mst_fastconv_new_rows (h, TAPS, STRIDE, STRIDE);
    float *xr = aligned_alloc (32, 2 * STRIDE * sizeof (float));
    float *yr = aligned_alloc (32, 2 * STRIDE * sizeof (float));
    if (!rc || !xr || !yr)
      return 1;
    for (int i = 0; i < STRIDE; i++) {
      xr[i] = x0[i];
      xr[STRIDE + i] = x1[i];
      yr[i] = yr[STRIDE + i] = 0.0f;
    }
    printf ("stereo rows, %d outputs a call: %.3f ns/frame\n", BLOCK_OUTPUTS,
        time_runs (rc, xr, xr + STRIDE, yr + TAPS, yr + STRIDE + TAPS,
            BLOCK_OUTPUTS, 2000, runs));
    mst_fastconv_free (rc);
    free (xr);
    free (yr);
  }
  mst_fastconv_free (fc);
  free (x0);
  free (x1);
  free (b0);
  free (b1);
  return 0;
}

