/* mastering: run-time choice of the vector paths of the core. */
#include "mst-cpu.h"

#include <stdlib.h>

#ifdef MST_HAVE_X86_PATHS
/* Each answer is worked out once (-1: not yet): getenv scans the whole
 * environment, and some callers ask per block (mst_biquad_net_run, the
 * gain apply). Every thread works out the same value, so relaxed atomics
 * are enough. */
static int has_avx2_fma = -1, has_avx512 = -1;

static bool
env_set (const char *name)
{
  const char *v = getenv (name);
  return v && *v && *v != '0';
}
#endif

bool
mst_cpu_has_avx2_fma (void)
{
#ifdef MST_HAVE_X86_PATHS
  int v = __atomic_load_n (&has_avx2_fma, __ATOMIC_RELAXED);
  if (v < 0) {
    v = !env_set ("MST_DISABLE_SIMD") && __builtin_cpu_supports ("avx2")
        && __builtin_cpu_supports ("fma");
    __atomic_store_n (&has_avx2_fma, v, __ATOMIC_RELAXED);
  }
  return v;
#else
  return false;
#endif
}

bool
mst_cpu_has_avx512 (void)
{
#ifdef MST_HAVE_X86_PATHS
  int v = __atomic_load_n (&has_avx512, __ATOMIC_RELAXED);
  if (v < 0) {
    v = mst_cpu_has_avx2_fma () && !env_set ("MST_DISABLE_AVX512")
        && __builtin_cpu_supports ("avx512f")
        && __builtin_cpu_supports ("avx512dq");
    __atomic_store_n (&has_avx512, v, __ATOMIC_RELAXED);
  }
  return v;
#else
  return false;
#endif
}

void
mst_cpu_reread_environment (void)
{
#ifdef MST_HAVE_X86_PATHS
  __atomic_store_n (&has_avx2_fma, -1, __ATOMIC_RELAXED);
  __atomic_store_n (&has_avx512, -1, __ATOMIC_RELAXED);
#endif
}

MST_VECTORISE_AVX2 bool
mst_input_sane_fast (const void *x, size_t n, MstFormat fmt)
{
  return mst_input_sane (x, n, fmt);
}
