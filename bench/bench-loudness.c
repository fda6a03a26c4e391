/* mastering: the loudness core against libebur128 on the same samples.
 *
 * Reads raw interleaved F32LE stereo at 48 kHz (bench.py's generated music,
 * cached in /tmp/mastering-bench) into memory, then times, alternating
 * runs, our core (mst_loudness: integrated, range and true peak) and
 * libebur128 (EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK),
 * both fed the same buffers of --block frames as an element would be.
 * Prints each median time, the ratio and both results; with --json, one
 * JSON line for bench.py.
 *
 * Usage: bench-loudness FILE [--runs N] [--block FRAMES] [--json]
 */
#include "mst-loudness.h"

#include <ebur128.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE_HZ 48000
#define CHANNELS 2
#define MAX_RUNS 64

typedef struct {
  double integrated_lufs;
  double range_lu;
  double true_peak_dbtp;
} Result;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int
run_ours (const float *x, size_t n_frames, size_t block, Result * r)
{
  MstLoudness *st = mst_loudness_init (RATE_HZ, CHANNELS, NULL);

  if (!st)
    return -1;
  for (size_t i = 0; i < n_frames; i += block) {
    size_t n = n_frames - i < block ? n_frames - i : block;
    mst_loudness_add_f32 (st, x + i * CHANNELS, n);
  }
  mst_loudness_get_integrated (st, &r->integrated_lufs);
  mst_loudness_get_range (st, &r->range_lu);
  mst_loudness_get_true_peak (st, &r->true_peak_dbtp);
  mst_loudness_destroy (&st);
  return 0;
}

static int
run_libebur128 (const float *x, size_t n_frames, size_t block, Result * r)
{
  ebur128_state *st = ebur128_init (CHANNELS, RATE_HZ,
      EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK);
  double peak = 0.0;

  if (!st)
    return -1;
  for (size_t i = 0; i < n_frames; i += block) {
    size_t n = n_frames - i < block ? n_frames - i : block;
    ebur128_add_frames_float (st, x + i * CHANNELS, n);
  }
  ebur128_loudness_global (st, &r->integrated_lufs);
  ebur128_loudness_range (st, &r->range_lu);
  for (unsigned c = 0; c < CHANNELS; c++) {
    double p;
    ebur128_true_peak (st, c, &p);
    peak = p > peak ? p : peak;
  }
  r->true_peak_dbtp = 20.0 * log10 (peak);
  ebur128_destroy (&st);
  return 0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int
main (int argc, char **argv)
{
  const char *path = NULL;
  int runs = 3, json = 0;
  size_t block = 1024;
  double t_ours[MAX_RUNS], t_ref[MAX_RUNS];
  Result ours, ref;
  FILE *f;
  long bytes;
  float *x;
  size_t n_frames;

  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--runs") && i + 1 < argc)
      runs = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--block") && i + 1 < argc)
      block = (size_t) atol (argv[++i]);
    else if (!strcmp (argv[i], "--json"))
      json = 1;
    else if (argv[i][0] != '-' && !path)
      path = argv[i];
    else {
      fprintf (stderr, "usage: %s FILE [--runs N] [--block FRAMES] "
          "[--json]\n", argv[0]);
      return 2;
    }
  }
  if (!path || runs < 1 || runs > MAX_RUNS || block < 1) {
    fprintf (stderr, "usage: %s FILE [--runs 1..%d] [--block FRAMES] "
        "[--json]\n", argv[0], MAX_RUNS);
    return 2;
  }

  f = fopen (path, "rb");
  if (!f || fseek (f, 0, SEEK_END) != 0 || (bytes = ftell (f)) < 0) {
    perror (path);
    return 1;
  }
  rewind (f);
  n_frames = (size_t) bytes / (sizeof (float) * CHANNELS);
  x = malloc (n_frames * CHANNELS * sizeof (float));
  if (!x || fread (x, sizeof (float) * CHANNELS, n_frames, f) != n_frames) {
    fprintf (stderr, "%s: cannot read %zu frames\n", path, n_frames);
    return 1;
  }
  fclose (f);

  /* Alternated, so that the noise of a shared machine hits both alike. */
  for (int r = 0; r < runs; r++) {
    double t0 = now_s ();
    if (run_ours (x, n_frames, block, &ours) != 0)
      return 1;
    t_ours[r] = now_s () - t0;
    t0 = now_s ();
    if (run_libebur128 (x, n_frames, block, &ref) != 0)
      return 1;
    t_ref[r] = now_s () - t0;
  }
  double m_ours = median (t_ours, runs), m_ref = median (t_ref, runs);

  if (json) {
    printf ("{\"seconds\": %.3f, \"runs\": %d, \"block\": %zu, "
        "\"ours_s\": %.4f, \"libebur128_s\": %.4f, \"ratio\": %.3f, "
        "\"ours\": {\"I\": %.3f, \"LRA\": %.3f, \"TP\": %.3f}, "
        "\"libebur128\": {\"I\": %.3f, \"LRA\": %.3f, \"TP\": %.3f}}\n",
        (double) n_frames / RATE_HZ, runs, block, m_ours, m_ref,
        m_ref / m_ours, ours.integrated_lufs, ours.range_lu,
        ours.true_peak_dbtp, ref.integrated_lufs, ref.range_lu,
        ref.true_peak_dbtp);
  } else {
    printf ("%.1f s of %d ch at %d Hz, %d runs, blocks of %zu frames\n",
        (double) n_frames / RATE_HZ, CHANNELS, RATE_HZ, runs, block);
    printf ("  mst_loudness: %.3f s  I %.2f LUFS  LRA %.2f LU  TP %+.2f "
        "dBTP\n", m_ours, ours.integrated_lufs, ours.range_lu,
        ours.true_peak_dbtp);
    printf ("  libebur128:   %.3f s  I %.2f LUFS  LRA %.2f LU  TP %+.2f "
        "dBTP\n", m_ref, ref.integrated_lufs, ref.range_lu,
        ref.true_peak_dbtp);
    printf ("  libebur128 / mst_loudness: %.2fx\n", m_ref / m_ours);
  }
  free (x);
  return 0;
}
