/* mastering: FIR filtering by FFT, two channels at once (x86 AVX2 + FMA).
 *
 * For the limiter's long half-sample interpolator: a 128-tap FIR costs 128
 * multiply-adds an output done directly, about a third of that by FFT
 * overlap-save (size 512, the two channels as the real and imaginary parts
 * of one complex signal). Only built where the x86 paths are
 * (MST_HAVE_X86_PATHS); call only when mst_cpu_has_avx2_fma (). */
#ifndef MST_FASTCONV_H
#define MST_FASTCONV_H

#include "mst-cpu.h"

#ifdef MST_HAVE_X86_PATHS

#define MST_FASTCONV_SIZE 512
#define MST_FASTCONV_MAX_TAPS 128

typedef struct MstFastConv MstFastConv;

/* For y[j] = sum over k < taps of h[k] x[j + k]; taps at most
 * MST_FASTCONV_MAX_TAPS. NULL when out of memory or taps is out of range. */
MstFastConv *mst_fastconv_new (const float *h, int taps);
void mst_fastconv_free (MstFastConv * fc);

/* Outputs j < n of both channels (x1 and y1 may be NULL: one channel).
 * Reads x[0 .. mst_fastconv_input_span (fc, n)), which must be finite,
 * and writes y[-(taps - 1) .. mst_fastconv_output_end (fc, n)): the caller
 * gives that much room around y (what lies outside [0, n) is scratch). */
void mst_fastconv_run (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1, int n);
int mst_fastconv_input_span (const MstFastConv * fc, int n);
int mst_fastconv_output_end (const MstFastConv * fc, int n);

#endif
#endif
