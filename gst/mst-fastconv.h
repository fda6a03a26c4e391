/* mastering: FIR filtering by FFT, two channels at once.
 *
 * For the limiter's long half-sample interpolator: a 128-tap FIR costs 128
 * multiply-adds an output done directly, far less by FFT overlap-save (on
 * FFTW, mst-fft.h: a complex transform of MST_FASTCONV_SIZE points whose
 * real part is one channel and imaginary part the other). Portable; the
 * limiter uses it on its AVX2 path. */
#ifndef MST_FASTCONV_H
#define MST_FASTCONV_H

#include "mst-cpu.h"

/* Points of a run: 384 outputs of a 128-tap filter (lag 127 padded to
 * 128, for aligned runs), three runs for the
 * limiter's 1031 a block. 1024 points (two runs) and 1280 (one, with
 * interleaved arrays: FFTW's split code is fast at powers of two only)
 * ran slower. */
#define MST_FASTCONV_SIZE 512
#define MST_FASTCONV_MAX_TAPS 128

typedef struct MstFastConv MstFastConv;

/* For y[j] = sum over k < taps of h[k] x[j + k]; taps at most
 * MST_FASTCONV_MAX_TAPS. NULL when out of memory or taps is out of range.
 * Plans the transform: call outside the streaming thread. */
MstFastConv *mst_fastconv_new (const float *h, int taps);
/* As mst_fastconv_new, for rows x_stride and y_stride floats apart (both
 * at least MST_FASTCONV_SIZE): mst_fastconv_run called with x1 = x0 +
 * x_stride and y1 = y0 + y_stride, x0 and y0 aligned to 32 bytes, then
 * transforms straight from and to the rows, without copies. */
MstFastConv *mst_fastconv_new_rows (const float *h, int taps, int x_stride,
    int y_stride);
void mst_fastconv_free (MstFastConv * fc);

/* Outputs j < n of both channels (x1 and y1 may be NULL: one channel).
 * Reads x[0 .. mst_fastconv_input_span (fc, n)), which must be finite,
 * and writes y[-L .. mst_fastconv_output_end (fc, n)), L being taps - 1
 * rounded up to a multiple of 8 (128 at 128 taps): the caller
 * gives that much room around y (what lies outside [0, n) is scratch).
 * No allocation, no lock. */
void mst_fastconv_run (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1, int n);
int mst_fastconv_input_span (const MstFastConv * fc, int n);
int mst_fastconv_output_end (const MstFastConv * fc, int n);
/* The same for a filter of @taps taps before it is made, to size the rows
 * mst_fastconv_new_rows takes (without planning a transform for it). */
int mst_fastconv_input_span_for (int taps, int n);
int mst_fastconv_output_end_for (int taps, int n);

#endif
