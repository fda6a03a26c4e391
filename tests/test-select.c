/* mst_select_kth on arrays: for every k of arrays of 1 to 70 values
 * (random, few distinct values, sorted, reversed, all equal, signed
 * zeros and infinities) and of 10001 random values at a few k, the value
 * sorting gives, the array left a permutation of its input. */
#include <stdlib.h>
#include <string.h>

#include "mst-select.h"
#include "mst-test.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Fills @v (@n values) by pattern @kind from the generator state @seed. */
static void
fill (double *v, size_t n, int kind, unsigned *seed)
{
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1103515245u + 12345u;
    const unsigned r = *seed >> 8;
    switch (kind) {
      case 0:                  /* random */
        v[i] = (double) r / (1u << 24) - 0.5;
        break;
      case 1:                  /* three distinct values */
        v[i] = (double) (r % 3);
        break;
      case 2:                  /* sorted */
        v[i] = (double) i;
        break;
      case 3:                  /* reversed */
        v[i] = (double) (n - i);
        break;
      case 4:                  /* all equal */
        v[i] = 1.0;
        break;
      default:                 /* signed zeros, infinities, tiny values */
      {
        const double some[] = { 0.0, -0.0, INFINITY, -INFINITY, 1e-310,
          -1e-310, 1.0
        };
        v[i] = some[r % 7];
      }
    }
  }
}

/* Whether mst_select_kth gives sorted[k] for every k of @v (@n values),
 * leaving a permutation of @v. */
static bool
agrees_for_every_k (const double *v, size_t n)
{
  double *sorted = malloc (n * sizeof (double));
  double *work = malloc (n * sizeof (double));
  memcpy (sorted, v, n * sizeof (double));
  qsort (sorted, n, sizeof (double), cmp_double);
  bool ok = true;
  for (size_t k = 0; k < n && ok; k++) {
    memcpy (work, v, n * sizeof (double));
    const double got = mst_select_kth (work, n, k);
    /* == holds for -0.0 against 0.0: sorting does not order them. */
    ok = got == sorted[k];
    qsort (work, n, sizeof (double), cmp_double);
    for (size_t i = 0; i < n && ok; i++)
      ok = work[i] == sorted[i];
  }
  free (sorted);
  free (work);
  return ok;
}

static void
test_small_arrays (void)
{
  unsigned seed = 1;
  double v[70];
  for (int kind = 0; kind < 6; kind++)
    for (size_t n = 1; n <= 70; n++)
      for (int rep = 0; rep < (kind == 0 || kind == 1 || kind == 5 ? 20 : 1);
          rep++) {
        fill (v, n, kind, &seed);
        MST_CHECK_MSG (agrees_for_every_k (v, n), "pattern %d, %zu values",
            kind, n);
      }
}

static void
test_large_array (void)
{
  const size_t n = 10001;
  const size_t ks[] = { 0, 1, n / 4, n / 2, n - 2, n - 1 };
  double *v = malloc (n * sizeof (double));
  double *sorted = malloc (n * sizeof (double));
  unsigned seed = 7;
  for (int kind = 0; kind < 2; kind++) {
    fill (v, n, kind, &seed);
    memcpy (sorted, v, n * sizeof (double));
    qsort (sorted, n, sizeof (double), cmp_double);
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
      double *work = malloc (n * sizeof (double));
      memcpy (work, v, n * sizeof (double));
      const double got = mst_select_kth (work, n, ks[i]);
      MST_CHECK_MSG (got == sorted[ks[i]], "pattern %d, k %zu: %g, sorted %g",
          kind, ks[i], got, sorted[ks[i]]);
      free (work);
    }
  }
  free (v);
  free (sorted);
}

int
main (void)
{
  MST_RUN (test_small_arrays);
  MST_RUN (test_large_array);
  return mst_test_summary ();
}
