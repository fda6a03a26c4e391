/* mastering: run-time choice of the vector paths of the core. */
#include "mst-cpu.h"

#include <stdlib.h>

bool
mst_cpu_has_avx2_fma (void)
{
#ifdef MST_HAVE_X86_PATHS
  static int cached = -1;
  if (cached < 0) {
    const char *off = getenv ("MST_DISABLE_SIMD");
    cached = !(off && *off && *off != '0')
        && __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  }
  return cached;
#else
  return false;
#endif
}

bool
mst_cpu_has_avx512 (void)
{
#ifdef MST_HAVE_X86_PATHS
  const char *off = getenv ("MST_DISABLE_AVX512");
  return mst_cpu_has_avx2_fma () && !(off && *off && *off != '0')
      && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512dq");
#else
  return false;
#endif
}
