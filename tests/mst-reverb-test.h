/* What the reverb core's tests (test-reverb-core, test-reverb-modes)
 * share: a configured reverb, the wet impulse response of a setting, and
 * the dump of a curve for the docs' plots. */
#ifndef MST_REVERB_TEST_H
#define MST_REVERB_TEST_H

#include "mst-reverb.h"
#include "mst-test.h"

#include <stdio.h>
#include <stdlib.h>

/* A reverb configured for @rate_hz and @in_channels with @s, reset. */
static inline MstReverb *
mst_test_reverb_new (double rate_hz, int in_channels,
    const MstReverbSettings * s)
{
  MstReverb *rv = mst_reverb_init ();
  MST_CHECK (rv && mst_reverb_configure (rv, rate_hz, in_channels) == MST_OK);
  MST_CHECK (mst_reverb_set (rv, s) == MST_OK);
  mst_reverb_reset (rv);
  return rv;
}

/* The wet impulse response (stereo interleaved, @n frames; the caller
 * frees it) of @set at @rate_hz, fed a unit impulse on one input
 * channel. */
static inline double *
mst_test_reverb_impulse_response (double rate_hz,
    const MstReverbSettings * set, size_t n)
{
  MstReverbSettings s = *set;
  s.mix_pct = 100.0;
  MstReverb *rv = mst_test_reverb_new (rate_hz, 1, &s);
  double *in = calloc (n, sizeof (double));
  double *out = malloc (2 * n * sizeof (double));
  in[0] = 1.0;
  mst_reverb_process_f64 (rv, in, n, out);
  mst_reverb_destroy (&rv);
  free (in);
  return out;
}

/* With MST_REVERB_DUMP set to a folder, writes @x (@n doubles, raw) there
 * as @name.f64 for docs/plots/reverb.py; else nothing. */
static inline void
mst_test_reverb_dump (const char *name, const double *x, size_t n)
{
  const char *dir = getenv ("MST_REVERB_DUMP");
  if (!dir)
    return;
  char path[4096];
  snprintf (path, sizeof path, "%s/%s.f64", dir, name);
  FILE *f = fopen (path, "wb");
  if (f) {
    fwrite (x, sizeof (double), n, f);
    fclose (f);
  }
}

#endif
