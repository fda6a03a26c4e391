/* mastering: the limiter core as bench.py's limiter group runs it (+12 dB
 * into a -1 dBTP ceiling, every other setting its default, stereo F32 in
 * pieces of 1024 frames), on a raw F32LE stereo file, without
 * GStreamer. Prints CPU ns per stereo frame (best of the runs; clock(): on a
 * loaded machine wall time counts the other processes' turns) and a digest
 * of the output, so that a change can be checked bit-exact and timed, or
 * counted under callgrind (--runs 1 and few seconds).
 *
 *   bench-limiter FILE [--seconds S] [--runs N] [--gain DB] */
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
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi (argv[++i]);
    else if (strcmp (argv[i], "--gain") == 0 && i + 1 < argc)
      gain_db = atof (argv[++i]);
    else
      path = argv[i];
  }
  if (!path) {
    fprintf (stderr, "usage: bench-limiter FILE [--seconds S] [--runs N] "
        "[--gain DB]\n");
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
  if (!lim || mst_limiter_configure (lim, 48000, 2,
          MST_LIMITER_DEFAULT_LOOKAHEAD_MS) != MST_OK
      || mst_limiter_set (lim, &s) != MST_OK)
    return 1;
  /* Each piece is copied into a small buffer and limited there in place,
   * as in the pipeline (filesrc's buffer, then the element in place): the
   * input is then in cache, as there. The copy alone is timed too, and
   * taken off. */
  float piece_buf[2 * PIECE];
  double best = INFINITY, best_copy = INFINITY;
  uint64_t digest = 0;
  size_t total_out = 0;
  volatile float sink = 0.0f;
  for (int r = 0; r <= runs; r++) {
    const bool last = r == runs;
    mst_limiter_reset (lim);
    size_t out_at = 0;
    digest = 1469598103934665603ull;
    clock_t t0 = clock ();
    for (size_t done = 0; done < frames; done += PIECE) {
      size_t n = frames - done < PIECE ? frames - done : PIECE, k;
      memcpy (piece_buf, in + 2 * done, n * 2 * sizeof (float));
      mst_limiter_process_f32 (lim, piece_buf, n, piece_buf, &k);
      out_at += k;
      if (last) {
        /* FNV-1a over the output's bytes (an untimed run). */
        const unsigned char *p = (const unsigned char *) piece_buf;
        for (size_t i = 0; i < k * 2 * sizeof (float); i++)
          digest = (digest ^ p[i]) * 1099511628211ull;
      }
    }
    clock_t t1 = clock ();
    for (size_t done = 0; done < frames; done += PIECE) {
      size_t n = frames - done < PIECE ? frames - done : PIECE;
      memcpy (piece_buf, in + 2 * done, n * 2 * sizeof (float));
      sink += piece_buf[n - 1];
    }
    clock_t t2 = clock ();
    if (!last) {
      double ns = (double) (t1 - t0) / CLOCKS_PER_SEC * 1e9 / frames;
      double ns_copy = (double) (t2 - t1) / CLOCKS_PER_SEC * 1e9 / frames;
      best = ns < best ? ns : best;
      best_copy = ns_copy < best_copy ? ns_copy : best_copy;
    }
    total_out = out_at;
  }
  double gr_now, gr_max;
  mst_limiter_get_gain_reduction (lim, &gr_now, &gr_max, false);
  printf ("%zu frames, %zu out: %.3f ns/frame (best of %d, copy %.3f taken "
      "off), digest %016llx, max reduction %.2f dB\n", frames, total_out,
      best - best_copy, runs, best_copy,
      (unsigned long long) digest, gr_max);
  mst_limiter_destroy (&lim);
  free (in);
  return 0;
}
