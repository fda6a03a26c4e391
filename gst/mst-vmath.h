/* mastering: exp and log over arrays, four at a time where the CPU can. */
#ifndef MST_VMATH_H
#define MST_VMATH_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* glibc's vector math library (libmvec: exp and log four lanes at a time,
 * within 4 ulp) on CPUs with AVX2 and FMA, chosen at run time
 * (mst-cpu.h), exp eight lanes at a time with AVX-512 (the same values);
 * libm's exp and log elsewhere. @y may equal @x. */

/** y[i] = exp (scale x[i] + offset). */
void mst_vmath_exp (const double *x, double scale, double offset, double *y,
    size_t n);
/** y[i] = scale log (x[i]), x[i] > 0. */
void mst_vmath_log (const double *x, double scale, double *y, size_t n);

#ifdef __cplusplus
}
#endif
#endif
