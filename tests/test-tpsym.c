/* mastering: the meters' true-peak interpolator in symmetric form
 * (mst_tpsym_peak, which replaced the two 8-source ORC kernels that
 * liborc 0.4.33 miscompiled) against its definition, one float operation
 * at a time in the documented order: the same bits on every length, at 4x
 * and at 2x, on the path this machine takes (run again with
 * MST_DISABLE_SIMD=1 for the portable one), reading nothing past the last
 * output's window. */
#include "mst-tpsym.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

#define TAPS MST_TRUEPEAK_BS1770_TAPS
#define MAX_N 1031
/* Frames after the last window, holding a value no output may see. */
#define GUARD 8
#define GUARD_VALUE 1e30f

static unsigned state = 12345;

static float
random_sample (void)
{
  state = state * 1664525u + 1013904223u;
  return (float) ((double) (state >> 8) / (1u << 24) * 2.0 - 1.0);
}

/* Output i as the header defines it; volatile keeps each operation a
 * rounded float, none fused or reordered. */
static float
reference_peak (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n)
{
  float peak = 0.0f;

  for (size_t i = 0; i < n; i++) {
    const float *x = row + i;
    volatile float m = 0.0f, a = 0.0f, b = 0.0f, s, d, p;
    for (int k = 0; k < MST_TPSYM_PAIRS; k++) {
      s = x[k] + x[TAPS - 1 - k];
      d = x[k] - x[TAPS - 1 - k];
      m = k ? m + s * hm[k] : s * hm[k];
      if (ha) {
        a = k ? a + s * ha[k] : s * ha[k];
        b = k ? b + d * hb[k] : d * hb[k];
      }
    }
    s = fabsf (m);
    p = fabsf (a) + fabsf (b);
    p = p > s ? p : s;
    peak = p > peak ? p : peak;
  }
  return peak;
}

/* Every length from 0 to 40, then every 97th to MAX_N, at 4x and 2x. */
static void
test_bit_exact (void)
{
  float hm[MST_TPSYM_PAIRS], ha[MST_TPSYM_PAIRS], hb[MST_TPSYM_PAIRS];
  int cases = 0;

  for (int k = 0; k < MST_TPSYM_PAIRS; k++) {
    hm[k] = random_sample () * 0.5f;
    ha[k] = random_sample () * 0.5f;
    hb[k] = random_sample () * 0.5f;
  }
  for (size_t n = 0; n <= MAX_N; n += (n < 40 ? 1 : 97)) {
    for (int four_x = 0; four_x < 2; four_x++) {
      /* Exactly the frames the n outputs need, then the guard. */
      const size_t frames = n + TAPS - 1;
      float *row = malloc ((frames + GUARD) * sizeof (float));
      const float *a = four_x ? ha : NULL, *b = four_x ? hb : NULL;
      for (size_t i = 0; i < frames; i++)
        row[i] = random_sample ();
      for (size_t i = frames; i < frames + GUARD; i++)
        row[i] = GUARD_VALUE;
      float got = mst_tpsym_peak (row, hm, a, b, n);
      float want = reference_peak (row, hm, a, b, n);
      MST_CHECK_MSG (memcmp (&got, &want, sizeof (float)) == 0,
          "n %zu, %s: %.9g, defined %.9g", n, four_x ? "4x" : "2x",
          (double) got, (double) want);
      MST_CHECK_MSG (got < 1e20f, "n %zu read past its rows", n);
      free (row);
      cases++;
    }
  }
  MST_CHECK (cases > 100);
}

/* The peak is the largest output's, wherever it lies in a block of eight
 * or in the tail: an impulse moved along the row. */
static void
test_peak_anywhere (void)
{
  float hm[MST_TPSYM_PAIRS], ha[MST_TPSYM_PAIRS], hb[MST_TPSYM_PAIRS];
  const size_t n = 37, frames = n + TAPS - 1;
  float row[37 + TAPS - 1];

  for (int k = 0; k < MST_TPSYM_PAIRS; k++) {
    hm[k] = 0.1f * (k + 1);
    ha[k] = 0.05f * (k + 1);
    hb[k] = 0.02f * (k + 1);
  }
  for (size_t at = 0; at < frames; at++) {
    memset (row, 0, sizeof (row));
    row[at] = 1.0f;
    float got = mst_tpsym_peak (row, hm, ha, hb, n);
    MST_CHECK_MSG (got == reference_peak (row, hm, ha, hb, n)
        && got > 0.0f, "impulse at %zu: %g", at, (double) got);
  }
}

int
main (void)
{
  const char *off = getenv ("MST_DISABLE_SIMD");
  printf ("# %s path\n", off && *off && *off != '0' ? "portable" : "default");
  MST_RUN (test_bit_exact);
  MST_RUN (test_peak_anywhere);
  return mst_test_summary ();
}
