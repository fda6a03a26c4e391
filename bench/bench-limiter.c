/* mastering: the limiter core as bench.py's limiter group runs it (+12 dB
 * into a -1 dBTP ceiling, every other setting its default, stereo F32 in
 * pieces of 1024 frames), on a raw F32LE stereo file, without
 * GStreamer. Prints ns per stereo frame (each piece's fastest run, see
 * below) and a digest
 * of the output, so that a change can be checked bit-exact and timed, or
 * counted under callgrind (--runs 1 and few seconds).
 *
 *   bench-limiter FILE [--seconds S] [--runs N] [--gain DB] [--sample-peak]
 *     [--no-band-limit] [--cpu]
 *
 * --cpu times each piece by the thread's CPU clock instead of the
 * monotonic one: the turns of other processes on a loaded machine are then
 * left out of a single run too, which then shows the core streaming cold
 * (as in the pipeline) rather than each piece's best. */
#include "mst-limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

enum { PIECE = 1024 };

int
main (int argc, char **argv)
{
  const char *path = NULL;
  double seconds = 600.0, gain_db = 12.0;
  int runs = 3;
  bool true_peak = true, band_limit = true;
  clockid_t timer = CLOCK_MONOTONIC;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi (argv[++i]);
    else if (strcmp (argv[i], "--gain") == 0 && i + 1 < argc)
      gain_db = atof (argv[++i]);
    else if (strcmp (argv[i], "--sample-peak") == 0)
      true_peak = false;
    else if (strcmp (argv[i], "--no-band-limit") == 0)
      band_limit = false;
    else if (strcmp (argv[i], "--cpu") == 0)
      timer = CLOCK_THREAD_CPUTIME_ID;
    else
      path = argv[i];
  }
  if (!path) {
    fprintf (stderr, "usage: bench-limiter FILE [--seconds S] [--runs N] "
        "[--gain DB] [--sample-peak] [--no-band-limit] [--cpu]\n");
    return 2;
  }
  FILE *f = fopen (path, "rb");
  if (!f) {
    perror (path);
    return 1;
  }
  size_t frames = (size_t) (seconds * 48000.0);
  float *in = malloc (frames * 2 * sizeof (float));
  if (!in)
    return 1;
  frames = fread (in, 2 * sizeof (float), frames, f);
  fclose (f);

  MstLimiter *lim = mst_limiter_init (2);
  MstLimiterSettings s;
  mst_limiter_settings_default (&s);
  s.input_gain_db = gain_db;
  s.true_peak = true_peak;
  s.band_limit = band_limit;
  if (!lim || mst_limiter_configure (lim, 48000, 2,
          MST_LIMITER_DEFAULT_LOOKAHEAD_MS) != MST_OK
      || mst_limiter_set (lim, &s) != MST_OK)
    return 1;
  /* Each piece is copied into a small buffer and limited there in place,
   * as in the pipeline (filesrc's buffer, then the element in place): the
   * input is then in cache, as there. Each piece is timed on its own and
   * its fastest run kept: every run does the same work (the limiter is
   * reset), so the sum of the minima leaves out the other processes' turns
   * on a loaded machine, which a total would count. */
  size_t n_pieces = (frames + PIECE - 1) / PIECE;
  double *best = malloc (n_pieces * sizeof (double));
  float piece_buf[2 * PIECE];
  if (!best)
    return 1;
  for (size_t p = 0; p < n_pieces; p++)
    best[p] = INFINITY;
  uint64_t digest = 0;
  size_t total_out = 0;
  for (int r = 0; r < runs; r++) {
    mst_limiter_reset (lim);
    size_t out_at = 0;
    digest = 1469598103934665603ull;
    for (size_t done = 0, p = 0; done < frames; done += PIECE, p++) {
      size_t n = frames - done < PIECE ? frames - done : PIECE, k;
      memcpy (piece_buf, in + 2 * done, n * 2 * sizeof (float));
      struct timespec t0, t1;
      clock_gettime (timer, &t0);
      mst_limiter_process_f32 (lim, piece_buf, n, piece_buf, &k);
      clock_gettime (timer, &t1);
      double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
      best[p] = ns < best[p] ? ns : best[p];
      out_at += k;
      /* FNV-1a over the output's bytes. */
      const unsigned char *b = (const unsigned char *) piece_buf;
      for (size_t i = 0; i < k * 2 * sizeof (float); i++)
        digest = (digest ^ b[i]) * 1099511628211ull;
    }
    total_out = out_at;
  }
  double sum = 0.0;
  for (size_t p = 0; p < n_pieces; p++)
    sum += best[p];
  free (best);
  double gr_now, gr_max;
  mst_limiter_get_gain_reduction (lim, &gr_now, &gr_max, false);
  printf ("%zu frames, %zu out: %.3f ns/frame (fastest of %d runs piece by "
      "piece, %s clock), digest %016llx, max reduction %.2f dB\n", frames, total_out,
      sum / frames, runs, timer == CLOCK_MONOTONIC ? "wall" : "CPU",
      (unsigned long long) digest, gr_max);
  mst_limiter_destroy (&lim);
  free (in);
  return 0;
}
