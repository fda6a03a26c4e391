/* Minimal assertion helpers for the plain-C core tests: every failed check is
 * printed with its place; the summary line is "N passed, N failed" and the
 * exit status is non-zero when anything failed. */
#ifndef MST_TEST_H
#define MST_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static int mst_test_checks_failed;
static int mst_test_current_failed;
static int mst_test_passed, mst_test_failed;

#define MST_CHECK_MSG(cond, ...) do { \
    if (!(cond)) { \
      fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__); \
      fprintf (stderr, "\n"); \
      mst_test_checks_failed++; mst_test_current_failed++; \
    } \
  } while (0)

#define MST_CHECK(cond) MST_CHECK_MSG (cond, "%s", "")

#define MST_CHECK_CLOSE(value, expected, tolerance) do { \
    double v_ = (value), e_ = (expected); \
    MST_CHECK_MSG (fabs (v_ - e_) <= (tolerance), "%s = %.6f, expected %.6f +- %g", \
        #value, v_, e_, (double) (tolerance)); \
  } while (0)

#define MST_RUN(fn) do { \
    mst_test_current_failed = 0; \
    fn (); \
    if (mst_test_current_failed) { mst_test_failed++; printf ("FAIL %s\n", #fn); } \
    else { mst_test_passed++; printf ("ok   %s\n", #fn); } \
  } while (0)

/* The next call's frame count when a stream is cut into calls at random:
 * 1 to @most, at most @left (an xorshift on @seed). */
static inline size_t
mst_test_random_piece (uint32_t * seed, size_t left, size_t most)
{
  *seed ^= *seed << 13;
  *seed ^= *seed >> 17;
  *seed ^= *seed << 5;
  size_t piece = 1 + *seed % most;
  return piece < left ? piece : left;
}

static inline int
mst_test_summary (void)
{
  printf ("%d passed, %d failed\n", mst_test_passed, mst_test_failed);
  return mst_test_failed ? 1 : 0;
}

#endif
