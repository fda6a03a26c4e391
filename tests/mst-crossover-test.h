/* What the crossover tests (test-crossover, test-crossover-linear) share:
 * settings from a band count, a slope and splits; the DFT of a measured
 * impulse response at any frequency. */
#ifndef MST_CROSSOVER_TEST_H
#define MST_CROSSOVER_TEST_H

#include "mst-crossover.h"

#include <complex.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* The defaults with @n_bands, @slope and the first n_bands - 1 of
 * @freq_hz. */
static inline MstCrossoverSettings
mst_test_crossover_settings (int n_bands, int slope, const double *freq_hz)
{
  MstCrossoverSettings s;
  mst_crossover_settings_default (&s);
  s.n_bands = n_bands;
  s.slope_db_per_oct = slope;
  memcpy (s.freq_hz, freq_hz, sizeof (double) * (n_bands - 1));
  return s;
}

/* The DFT of @n samples of @x at @freq_hz: the rotation is multiplied up,
 * its rounding reset every 1024 samples. */
static inline double complex
mst_test_response (const double *x, size_t n, double freq_hz, double rate_hz)
{
  double complex sum = 0, rot = cexp (-I * 2 * M_PI * freq_hz / rate_hz);
  double complex w = 1;
  for (size_t i = 0; i < n; i++) {
    sum += x[i] * w;
    if ((i & 1023) == 1023)
      w = cexp (-I * 2 * M_PI * freq_hz / rate_hz * (double) (i + 1));
    else
      w *= rot;
  }
  return sum;
}

#endif
