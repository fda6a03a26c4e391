/* mastering: run-time choice of the vector paths of the core. */
#ifndef MST_CPU_H
#define MST_CPU_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The core's x86-64 paths for AVX2 and FMA are built with GCC's target
 * attribute and chosen at run time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MST_HAVE_X86_PATHS 1
/* Plain loops the compiler vectorises: built twice, for AVX2 and for the
 * baseline, the loader picking one (GCC function multi-versioning). */
#ifdef MST_FEW_KERNEL_COPIES
/* The sanitizer build (gst/meson.build) keeps one copy, the baseline's:
 * the same source lines, instrumented once instead of twice (of the two
 * clones only one ever runs on a machine). */
#define MST_VECTORISE_AVX2
#else
#define MST_VECTORISE_AVX2 __attribute__ ((target_clones ("avx2", "default")))
#endif
#else
#define MST_VECTORISE_AVX2
#endif

/** mst_input_sane (mst-core.h) built for AVX2 too, the loader picking
 *  the CPU's copy: eight samples a comparison instead of four, for cores
 *  whose blocks are otherwise cheap (the eq's steady bands, mbcomp's
 *  neutral path, where the SSE scan was a tenth to a third of the work). */
bool mst_input_sane_fast (const void *x, size_t n, MstFormat fmt);

/** True when the CPU has AVX2 and FMA and the environment variable
 *  MST_DISABLE_SIMD is not set (the tests run the portable paths with it,
 *  so both are checked on one machine). */
bool mst_cpu_has_avx2_fma (void);

/** True when mst_cpu_has_avx2_fma() is, the CPU also has AVX-512 F and DQ
 *  (paths that take sixteen lanes) and MST_DISABLE_AVX512 is not set (the
 *  tests run the AVX2 paths with it). */
bool mst_cpu_has_avx512 (void);

/** The environment is read once, at the first question; a test that sets
 *  or clears MST_DISABLE_SIMD or MST_DISABLE_AVX512 while running calls
 *  this afterwards (blocks already set up keep the path they chose). */
void mst_cpu_reread_environment (void);

#ifdef __cplusplus
}
#endif
#endif
