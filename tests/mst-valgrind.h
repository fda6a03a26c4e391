/* mastering tests: cases that cannot run under valgrind.
 *
 * The allocation-failure cases interpose malloc and calloc in the test
 * program to count the core's allocations and fail one on request.
 * Under valgrind its own allocator (preloaded, vgpreload_memcheck)
 * replaces them first: the count stays 0 and nothing can be failed, so
 * such a case is skipped there, saying so, and runs everywhere else. */
#ifndef MST_VALGRIND_H
#define MST_VALGRIND_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define MST_HAVE_VALGRIND_H 1
#endif
#endif

/* valgrind's own client request where its header is installed (the
 * valgrind package), else its preloaded library in LD_PRELOAD. */
static inline bool
mst_test_under_valgrind (void)
{
#ifdef MST_HAVE_VALGRIND_H
  if (RUNNING_ON_VALGRIND)
    return true;
#endif
  const char *preload = getenv ("LD_PRELOAD");
  return preload && strstr (preload, "vgpreload");
}

/* MST_RUN (fn), or under valgrind a "skip" line with the reason; a skipped
 * case counts neither as passed nor as failed. */
#define MST_RUN_UNLESS_VALGRIND(fn) do { \
    if (mst_test_under_valgrind ()) \
      printf ("skip %s: under valgrind, whose allocator replaces this " \
          "program's malloc (nothing to count or fail)\n", #fn); \
    else \
      MST_RUN (fn); \
  } while (0)

/* The same cases where the test cannot interpose malloc at all (ASan's
 * allocator, or a C library other than glibc). */
#define MST_SKIP_NO_INTERPOSITION(fn) \
    printf ("skip %s: malloc cannot be interposed in this build " \
        "(AddressSanitizer or not glibc)\n", #fn)

#endif
