/* mastering: the modulation and reverb cores as bench.py's modulation and
 * reverb groups run them (stereo F32 in pieces of 1024 frames, 48 kHz,
 * the groups' settings), on generated noise, without GStreamer. Prints
 * ns per stereo frame (the fastest run) and a digest of the output, so a
 * change can be checked bit-exact and timed, or counted under callgrind
 * (--runs 1 --seconds 1; see the warm-up below).
 *
 *   bench-modulation chorus|flanger|phaser|reverb [--seconds S] [--runs N]
 *     [--mono] */
#include "mst-modulation.h"
#include "mst-reverb.h"
#include "mst-planar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum { PIECE = 1024, RATE = 48000 };

static double
now_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int
main (int argc, char **argv)
{
  const char *what = NULL;
  double seconds = 10.0;
  int runs = 3, in_ch = 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi (argv[++i]);
    else if (strcmp (argv[i], "--mono") == 0)
      in_ch = 1;
    else
      what = argv[i];
  }
  if (!what) {
    fprintf (stderr, "usage: bench-modulation chorus|flanger|phaser|reverb "
        "[--seconds S] [--runs N] [--mono]\n");
    return 2;
  }
  size_t n = (size_t) (seconds * RATE);
  float *in = malloc (sizeof (float) * in_ch * n);
  float *out = malloc (sizeof (float) * 2 * n);
  uint32_t seed = 1;
  for (size_t i = 0; i < in_ch * n; i++) {
    seed = seed * 1664525u + 1013904223u;
    in[i] = 0.25f * ((float) (seed >> 8) / 8388608.0f - 1.0f);
  }
  bool reverb = strcmp (what, "reverb") == 0;
  {
    /* Warm-up (the ORC kernels compiled once) in the other core, so that
     * under callgrind --collect-atstart=no
     * --toggle-collect=mst_modulation_process_f32 (or
     * mst_reverb_process_f32) counts the runs only. */
    float warm[2 * 64] = { 0 };
    double planar[2 * 64];
    for (int c = 1; c <= 2; c++) {
      mst_planar_load (planar, 64, warm, c, 64, MST_FORMAT_F32);
      mst_planar_store (warm, planar, 64, c, 64, MST_FORMAT_F32);
    }
    if (reverb) {
      MstModulation *m = mst_modulation_init ();
      mst_modulation_configure (m, RATE, 2);
      mst_modulation_process_f32 (m, warm, 64, warm);
      mst_modulation_destroy (&m);
    } else {
      MstReverb *rv = mst_reverb_init ();
      mst_reverb_configure (rv, RATE, 2);
      mst_reverb_process_f32 (rv, warm, 64, warm);
      mst_reverb_destroy (&rv);
    }
  }
  double best = 1e30;
  uint64_t digest = 0;
  for (int r = 0; r < runs; r++) {
    MstModulation *m = NULL;
    MstReverb *rv = NULL;
    if (reverb) {
      MstReverbSettings s;
      rv = mst_reverb_init ();
      mst_reverb_settings_default (&s);
      s.tail = false;
      mst_reverb_set (rv, &s);
      mst_reverb_configure (rv, RATE, in_ch);
    } else {
      /* bench.py's chains. */
      MstModulationSettings s;
      mst_modulation_settings_default (&s);
      s.rate_hz = 0.5;
      if (strcmp (what, "chorus") == 0) {
        s.mode = MST_MODULATION_CHORUS;
        s.voices = 3;
        s.delay_ms = 15.0;
        s.depth_pct = 30.0;
      } else if (strcmp (what, "flanger") == 0) {
        s.mode = MST_MODULATION_FLANGER;
        s.delay_ms = 2.0;
        s.depth_pct = 100.0;
        s.feedback_pct = 50.0;
      } else {
        s.mode = MST_MODULATION_PHASER;
        s.stages = 6;
        s.feedback_pct = 50.0;
      }
      m = mst_modulation_init ();
      mst_modulation_set (m, &s);
      mst_modulation_configure (m, RATE, in_ch);
    }
    double t0 = now_s ();
    for (size_t done = 0; done < n; done += PIECE) {
      size_t k = n - done < PIECE ? n - done : PIECE;
      if (reverb)
        mst_reverb_process_f32 (rv, in + done * in_ch, k, out + 2 * done);
      else
        mst_modulation_process_f32 (m, in + done * in_ch, k, out + 2 * done);
    }
    double t = now_s () - t0;
    best = t < best ? t : best;
    digest = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *) out;
    for (size_t i = 0; i < sizeof (float) * 2 * n; i++)
      digest = (digest ^ b[i]) * 1099511628211ull;
    mst_modulation_destroy (&m);
    mst_reverb_destroy (&rv);
  }
  printf ("%s: %.2f ns a stereo frame, digest %016llx\n", what,
      1e9 * best / n, (unsigned long long) digest);
  free (in);
  free (out);
  return 0;
}
