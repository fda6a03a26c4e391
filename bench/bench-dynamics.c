/* mastering: micro-benchmark of the dynamics cores as the elements call
 * them: the compressor, the gate and the de-esser (MstDynamics) and the
 * multiband compressor with 4 bands (MstMbcomp), each with its element's
 * defaults, on 48 kHz stereo F32 in blocks of 1024 frames (the bench's
 * buffers). Prints ns per stereo frame, best of several runs. Time is the
 * process's CPU time (clock): on a loaded machine wall time counts the
 * other processes' turns. Under valgrind --tool=callgrind, --runs 1 and
 * --seconds 10 give instructions per frame (the run's count / frames).
 *
 *   bench-dynamics [--runs N] [--seconds S] [--only NAME] [--threshold DB]
 *       [FILE]
 * (--threshold: the dynamics cases' threshold in dBFS instead of their
 * defaults', say the de-esser acting at -50 on the bench's music)
 *
 * FILE: raw F32LE stereo 48 kHz (bench.py's music); without it, a
 * music-like signal: tones and noise under a slow swell, with gaps. */
#include "mst-dynamics.h"
#include "mst-mbcomp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RATE = 48000, CHANNELS = 2, BLOCK = 1024 };

typedef enum { COMPRESSOR, GATE, DEESSER, MBCOMP, N_CASES } Case;
static const char *const names[N_CASES] = {
  "compressor", "gate", "deesser", "mbcomp",
};

static void
synth (float *x, size_t frames)
{
  uint32_t seed = 1;
  for (size_t i = 0; i < frames; i++) {
    double t = (double) i / RATE;
    /* A swell of 4 s between -40 and -6 dBFS, silent 0.5 s in every 7. */
    double level = pow (10.0, (-23.0 + 17.0 * sin (2.0 * M_PI * t / 4.0))
        / 20.0) * (fmod (t, 7.0) < 6.5 ? 1.0 : 0.0);
    seed = seed * 1664525u + 1013904223u;
    double noise = (seed >> 8) / 8388608.0 - 1.0;
    double tones = 0.5 * sin (2.0 * M_PI * 110.0 * t)
        + 0.3 * sin (2.0 * M_PI * 660.0 * t)
        + 0.2 * sin (2.0 * M_PI * 6500.0 * t) * (fmod (t, 0.5) < 0.1);
    x[CHANNELS * i] = (float) (level * (tones + 0.2 * noise));
    x[CHANNELS * i + 1] = (float) (level * (0.8 * tones - 0.2 * noise));
  }
}

/* Best CPU time per frame (ns) of @runs passes over @frames frames. */
static double
time_case (Case c, const float *x, float *y, size_t frames, int runs,
    double threshold_db)
{
  MstDynamics *d = NULL;
  MstMbcomp *m = NULL;
  if (c == MBCOMP) {
    MstMbcompSettings s;
    mst_mbcomp_settings_default (&s);
    s.n_bands = 4;
    m = mst_mbcomp_init (CHANNELS);
    if (!m || mst_mbcomp_configure (m, RATE, CHANNELS, 0, 1,
            MST_MBCOMP_MINIMUM_PHASE, 0.0) != MST_OK
        || mst_mbcomp_set (m, &s) != MST_OK)
      return NAN;
  } else {
    MstDynamicsSettings s;
    if (c == GATE)
      mst_dynamics_settings_gate (&s);
    else if (c == DEESSER)
      mst_dynamics_settings_deesser (&s);
    else
      mst_dynamics_settings_default (&s);
    if (!isnan (threshold_db))
      s.threshold_db = threshold_db;
    d = mst_dynamics_init (CHANNELS);
    if (!d || mst_dynamics_configure (d, RATE, CHANNELS, 0, 0.0) != MST_OK
        || mst_dynamics_set (d, &s) != MST_OK)
      return NAN;
  }
  double best = INFINITY;
  for (int r = 0; r < runs; r++) {
    clock_t t0 = clock ();
    for (size_t done = 0; done < frames; done += BLOCK) {
      size_t n = frames - done < BLOCK ? frames - done : BLOCK, out = 0;
      const float *in = x + CHANNELS * done;
      if (m)
        mst_mbcomp_process_f32 (m, in, n, y, &out);
      else
        mst_dynamics_process_f32 (d, in, n, y, &out);
    }
    double ns = (double) (clock () - t0) / CLOCKS_PER_SEC * 1e9 / frames;
    best = ns < best ? ns : best;
  }
  mst_dynamics_destroy (&d);
  mst_mbcomp_destroy (&m);
  return best;
}

int
main (int argc, char **argv)
{
  int runs = 5;
  double seconds = 60.0, threshold_db = NAN;
  const char *file = NULL, *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi (argv[++i]);
    else if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (strcmp (argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp (argv[i], "--threshold") == 0 && i + 1 < argc)
      threshold_db = atof (argv[++i]);
    else
      file = argv[i];
  }
  size_t frames = (size_t) (seconds * RATE);
  float *x = calloc (frames * CHANNELS, sizeof (float));
  float *y = malloc (BLOCK * CHANNELS * sizeof (float));
  if (!x || !y || runs < 1 || frames == 0)
    return 1;
  if (file) {
    FILE *f = fopen (file, "rb");
    if (!f)
      return 1;
    frames = fread (x, CHANNELS * sizeof (float), frames, f);
    fclose (f);
  } else {
    synth (x, frames);
  }
  for (int c = 0; c < N_CASES; c++)
    if (!only || strcmp (only, names[c]) == 0)
      printf ("%-10s %.3f ns/frame\n", names[c],
          time_case ((Case) c, x, y, frames, runs, threshold_db));
  free (x);
  free (y);
  return 0;
}
