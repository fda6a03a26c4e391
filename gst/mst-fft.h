/* mastering: the FFTs of every spectral core, on FFTW3 (single precision).
 *
 * A transform of one size is planned once, outside the streaming thread
 * (mst_fft_new_*: the only calls that plan or allocate), then executed as
 * often as wanted, from any thread, on any arrays allocated by
 * mst_fft_alloc_* (FFTW's new-array execute: the arrays must have the
 * alignment the plan was made for, which these allocations guarantee).
 *
 * Transforms are unnormalised, FFTW's convention: forward then backward
 * multiplies by the size. Forward is X[k] = sum x[t] e^(-2 pi i k t / n).
 * Input and output arrays are distinct (the plans are out of place).
 *
 * Plans use FFTW_ESTIMATE: planning costs microseconds instead of the
 * hundreds of milliseconds FFTW_MEASURE takes at these sizes, and the
 * algorithm (so every output bit) does not depend on timings taken at
 * start-up, which MEASURE's does; at the sizes the pack uses MEASURE
 * runs a few percent faster (figures in mst-fft.c). */
#ifndef MST_FFT_H
#define MST_FFT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One complex value, real part first: the layout of C99's float complex
 *  and of fftwf_complex. */
typedef float MstFftComplex[2];

typedef struct MstFft MstFft;

/** A complex transform of @size points; NULL when @size < 1 or out of
 *  memory. Thread-safe (the planner is serialised). */
MstFft *mst_fft_new_complex (int size);

/** A real transform of @size points to its @size / 2 + 1 first bins (the
 *  others are their conjugates) and back; NULL as mst_fft_new_complex. */
MstFft *mst_fft_new_real (int size);

/** A complex transform of @size points on split arrays: 2 @size floats
 *  from mst_fft_alloc_real, the real parts first, then the imaginary
 *  parts (FFTW's split plans hold the distance between the two). FFTW has
 *  vector code for them at powers of two; NULL as mst_fft_new_complex. */
MstFft *mst_fft_new_split (int size);

/** A complex transform of @size points on split arrays given as four
 *  pointers, for transforms straight from and to a caller's rows: forward
 *  from real and imaginary parts @in_distance floats apart to a spectrum
 *  whose parts are @size apart; backward from such a spectrum to parts
 *  @out_distance apart (mst_fft_forward_split2, mst_fft_backward_split2;
 *  FFTW's split plans hold those distances). Every array must have the
 *  alignment of mst_fft_alloc_* (mst_fft_is_aligned). NULL when a
 *  distance is under @size or out of memory. */
MstFft *mst_fft_new_split_distances (int size, int in_distance,
    int out_distance);

/** Whether @p has the alignment of mst_fft_alloc_*, the one the plans are
 *  made for. */
int mst_fft_is_aligned (const float *p);

void mst_fft_free (MstFft * fft);

/** Number of points of the transform. */
int mst_fft_size (const MstFft * fft);

/** Zeroed arrays for the execute calls, aligned for SIMD; NULL when out of
 *  memory or @n is 0. Free with mst_fft_free_buffer. */
float *mst_fft_alloc_real (size_t n);
MstFftComplex *mst_fft_alloc_complex (size_t n);
void mst_fft_free_buffer (void *buffer);

/* The execute calls: no allocation, no lock, in the streaming thread. */

/** Complex transforms (mst_fft_new_complex): @in to @out, size points. */
void mst_fft_forward (const MstFft * fft, const MstFftComplex * in,
    MstFftComplex * out);
void mst_fft_backward (const MstFft * fft, const MstFftComplex * in,
    MstFftComplex * out);

/** Split complex transforms (mst_fft_new_split): @in to @out, each
 *  size real parts then size imaginary parts. */
void mst_fft_forward_split (const MstFft * fft, const float *in, float *out);
void mst_fft_backward_split (const MstFft * fft, const float *in,
    float *out);

/** Transforms of mst_fft_new_split_distances: forward from @in_re and
 *  @in_im (in_distance apart) to @out_re and @out_im (size apart);
 *  backward from parts size apart to parts out_distance apart. */
void mst_fft_forward_split2 (const MstFft * fft, const float *in_re,
    const float *in_im, float *out_re, float *out_im);
void mst_fft_backward_split2 (const MstFft * fft, const float *in_re,
    const float *in_im, float *out_re, float *out_im);

/** Real transforms (mst_fft_new_real): size samples to size / 2 + 1 bins,
 *  and back. The backward transform overwrites its input @in. */
void mst_fft_forward_real (const MstFft * fft, const float *in,
    MstFftComplex * out);
void mst_fft_backward_real (const MstFft * fft, MstFftComplex * in,
    float *out);

#ifdef __cplusplus
}
#endif
#endif
