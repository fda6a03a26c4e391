/* The tests' generated signals for scripts: write-signal music|speech
 * SECONDS SEED writes mst_signal_music or mst_signal_speech, stereo,
 * 48 kHz, as raw F32LE to standard output (docs/plots/denoise-materials.py
 * measures the denoise element on them). */
#include "mst-signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define CH 2

int
main (int argc, char **argv)
{
  if (argc != 4 || (strcmp (argv[1], "music") && strcmp (argv[1], "speech"))
      || atof (argv[2]) <= 0) {
    fprintf (stderr, "usage: write-signal music|speech SECONDS SEED\n");
    return 2;
  }
  size_t n_frames = (size_t) (atof (argv[2]) * RATE);
  uint32_t seed = (uint32_t) strtoul (argv[3], NULL, 10);
  float *out = malloc (n_frames * CH * sizeof (float));
  if (!out)
    return 1;
  if (!strcmp (argv[1], "music"))
    mst_signal_music (out, n_frames, CH, RATE, seed);
  else
    mst_signal_speech (out, n_frames, CH, RATE, seed);
  size_t written = fwrite (out, sizeof (float) * CH, n_frames, stdout);
  free (out);
  return written == n_frames ? 0 : 1;
}
