/* Flush-to-zero around processing so denormals never slow the stream. */
#ifndef MST_FPU_H
#define MST_FPU_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
typedef unsigned int MstFpuState;
/* MXCSR bit 15 is flush-to-zero, bit 6 denormals-are-zero. */
static inline MstFpuState
mst_fpu_enter_ftz (void)
{
  MstFpuState saved = _mm_getcsr ();
  _mm_setcsr (saved | 0x8040);
  return saved;
}

static inline void
mst_fpu_leave (MstFpuState saved)
{
  _mm_setcsr (saved);
}
#elif defined(__aarch64__)
#include <stdint.h>
typedef uint64_t MstFpuState;
/* FPCR bit 24 is FZ. */
static inline MstFpuState
mst_fpu_enter_ftz (void)
{
  uint64_t saved;
  __asm__ __volatile__ ("mrs %0, fpcr":"=r" (saved));
  __asm__ __volatile__ ("msr fpcr, %0"::"r" (saved | (1ULL << 24)));
  return saved;
}

static inline void
mst_fpu_leave (MstFpuState saved)
{
  __asm__ __volatile__ ("msr fpcr, %0"::"r" (saved));
}
#else
typedef int MstFpuState;
static inline MstFpuState
mst_fpu_enter_ftz (void)
{
  return 0;
}

static inline void
mst_fpu_leave (MstFpuState saved)
{
  (void) saved;
}
#endif

#endif
