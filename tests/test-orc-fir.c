/* mastering: the two 8-source FIR kernels (mst_orc_fir_sym4_f32,
 * mst_orc_fir_asym4_f32) against their own operations in C.
 *
 * orcc --test checks every other kernel against ORC's emulation, but
 * liborc-test 0.4.33 itself crashes on a kernel with 8 sources (a dummy
 * 8-source kernel crashes it too, one with 7 does not). So these two are
 * checked here instead: the kernel as ORC compiled it (or the backup C
 * without ORC) must give, bit for bit, the float operations the .orc file
 * writes, in its order, on every length and alignment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

#define MAX_N 1031
#define SLACK 8

static unsigned failures, checks;

static float
random_sample (unsigned *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float) ((double) (*state >> 8) / (1u << 24) * 2.0 - 1.0);
}

static void
check (int ok, const char *what, int n, int offset, int i)
{
  checks++;
  if (!ok) {
    failures++;
    if (failures < 10)
      fprintf (stderr, "FAIL %s: n %d offset %d frame %d\n", what, n, offset,
          i);
  }
}

int
main (void)
{
  static float x[4][MAX_N + SLACK], r[4][MAX_N + SLACK];
  static float m[MAX_N + SLACK], a[MAX_N + SLACK], b[MAX_N + SLACK];
  static float m_ref[MAX_N + SLACK], a_ref[MAX_N + SLACK],
      b_ref[MAX_N + SLACK];
  unsigned state = 12345;
  float h[12];

#ifdef HAVE_ORC
  orc_init ();
#endif
  for (int k = 0; k < 12; k++)
    h[k] = random_sample (&state) * 0.5f;
  for (int n = 1; n <= MAX_N; n += (n < 40 ? 1 : 97)) {
    for (int offset = 0; offset < 4; offset++) {
      for (int k = 0; k < 4; k++)
        for (int i = 0; i < MAX_N + SLACK; i++) {
          x[k][i] = random_sample (&state);
          r[k][i] = random_sample (&state);
        }
      for (int i = 0; i < MAX_N + SLACK; i++) {
        m[i] = m_ref[i] = random_sample (&state);
        a[i] = a_ref[i] = random_sample (&state);
        b[i] = b_ref[i] = random_sample (&state);
      }
      const float *xs[4], *rs[4];
      for (int k = 0; k < 4; k++) {
        xs[k] = x[k] + offset;
        rs[k] = r[k] + offset;
      }
      mst_orc_fir_sym4_f32 (m + offset, a + offset, xs[0], xs[1], xs[2],
          xs[3], rs[0], rs[1], rs[2], rs[3], h[0], h[1], h[2], h[3], h[4],
          h[5], h[6], h[7], n);
      mst_orc_fir_asym4_f32 (b + offset, xs[0], xs[1], xs[2], xs[3], rs[0],
          rs[1], rs[2], rs[3], h[8], h[9], h[10], h[11], n);
      for (int i = 0; i < n; i++) {
        /* As the .orc file writes them, one float operation at a time. */
        volatile float s, t, accm, acca, d, acc;
        s = xs[0][i] + rs[0][i];
        accm = s * h[0];
        acca = s * h[4];
        for (int k = 1; k < 4; k++) {
          s = xs[k][i] + rs[k][i];
          t = s * h[k];
          accm = accm + t;
          t = s * h[4 + k];
          acca = acca + t;
        }
        m_ref[offset + i] = m_ref[offset + i] + accm;
        a_ref[offset + i] = a_ref[offset + i] + acca;
        d = xs[0][i] - rs[0][i];
        acc = d * h[8];
        for (int k = 1; k < 4; k++) {
          d = xs[k][i] - rs[k][i];
          t = d * h[8 + k];
          acc = acc + t;
        }
        b_ref[offset + i] = b_ref[offset + i] + acc;
      }
      /* Every frame, and nothing written outside [offset, offset + n). */
      for (int i = 0; i < MAX_N + SLACK; i++) {
        check (memcmp (&m[i], &m_ref[i], sizeof (float)) == 0,
            "fir_sym4 m", n, offset, i);
        check (memcmp (&a[i], &a_ref[i], sizeof (float)) == 0,
            "fir_sym4 a", n, offset, i);
        check (memcmp (&b[i], &b_ref[i], sizeof (float)) == 0,
            "fir_asym4 b", n, offset, i);
      }
    }
  }
  printf ("%u checks\n%u passed, %u failed\n", checks, checks - failures,
      failures);
  return failures ? 1 : 0;
}
