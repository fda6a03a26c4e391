/* mastering: FIR filtering by FFT, two channels at once; see mst-fastconv.h.
 *
 * Overlap-save with a complex FFT of N points whose real part is one
 * channel and imaginary part the other: the filter is real, so its
 * spectrum multiplies both alike and the two never mix. Two real
 * transforms of N points (FFTW's r2c and c2r, batched) cost as much
 * arithmetic but ran twice as slow at these sizes. */
#include "mst-fastconv.h"

#include "mst-fft.h"

#include <stdlib.h>
#include <string.h>

#define N MST_FASTCONV_SIZE

struct MstFastConv {
  MstFft *fft;
  /* The filter's spectrum, scaled by 1 / N (the transforms are not). */
  float *h_re, *h_im;
  /* A run's signal (and its filtered signal), and its spectrum. */
  float *re, *im, *s_re, *s_im;
  int taps;
};

MST_VECTORISE_AVX2 static void
multiply_spectra (float *restrict s_re, float *restrict s_im,
    const float *restrict h_re, const float *restrict h_im)
{
  for (int k = 0; k < N; k++) {
    float re = s_re[k] * h_re[k] - s_im[k] * h_im[k];
    float im = s_re[k] * h_im[k] + s_im[k] * h_re[k];
    s_re[k] = re;
    s_im[k] = im;
  }
}

/* Outputs t >= taps - 1 of a run are the filter's (the earlier ones wrap
 * around): output t goes to y[t - (taps - 1)]. */
static void
convolve_one (MstFastConv * fc, const float *x0, const float *x1, float *y0,
    float *y1)
{
  const int lag = fc->taps - 1;
  memcpy (fc->re, x0, N * sizeof (float));
  if (x1)
    memcpy (fc->im, x1, N * sizeof (float));
  else
    memset (fc->im, 0, N * sizeof (float));
  mst_fft_forward_split (fc->fft, fc->re, fc->im, fc->s_re, fc->s_im);
  multiply_spectra (fc->s_re, fc->s_im, fc->h_re, fc->h_im);
  mst_fft_backward_split (fc->fft, fc->s_re, fc->s_im, fc->re, fc->im);
  memcpy (y0, fc->re + lag, (N - lag) * sizeof (float));
  if (y1)
    memcpy (y1, fc->im + lag, (N - lag) * sizeof (float));
}

static int
outputs_per_run (const MstFastConv * fc)
{
  return N - fc->taps + 1;
}

/* Where the last of the runs covering n outputs starts. */
static int
last_run_start (const MstFastConv * fc, int n)
{
  return (n - 1) / outputs_per_run (fc) * outputs_per_run (fc);
}

int
mst_fastconv_input_span (const MstFastConv * fc, int n)
{
  return last_run_start (fc, n) + N;
}

int
mst_fastconv_output_end (const MstFastConv * fc, int n)
{
  return last_run_start (fc, n) + outputs_per_run (fc);
}

void
mst_fastconv_run (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1, int n)
{
  for (int start = 0; start < n; start += outputs_per_run (fc))
    convolve_one (fc, x0 + start, x1 ? x1 + start : NULL, y0 + start,
        y1 ? y1 + start : NULL);
}

MstFastConv *
mst_fastconv_new (const float *h, int taps)
{
  MstFastConv *fc;
  if (taps < 1 || taps > MST_FASTCONV_MAX_TAPS)
    return NULL;
  fc = calloc (1, sizeof *fc);
  if (!fc)
    return NULL;
  fc->taps = taps;
  fc->fft = mst_fft_new_split (N);
  fc->h_re = mst_fft_alloc_real (N);
  fc->h_im = mst_fft_alloc_real (N);
  fc->re = mst_fft_alloc_real (N);
  fc->im = mst_fft_alloc_real (N);
  fc->s_re = mst_fft_alloc_real (N);
  fc->s_im = mst_fft_alloc_real (N);
  if (!fc->fft || !fc->h_re || !fc->h_im || !fc->re || !fc->im || !fc->s_re
      || !fc->s_im) {
    mst_fastconv_free (fc);
    return NULL;
  }
  /* The correlation y[j] = sum h[k] x[j + k] is the convolution with h
   * reversed, read taps - 1 later. */
  for (int k = 0; k < taps; k++)
    fc->re[k] = h[taps - 1 - k] / N;
  mst_fft_forward_split (fc->fft, fc->re, fc->im, fc->h_re, fc->h_im);
  return fc;
}

void
mst_fastconv_free (MstFastConv * fc)
{
  if (!fc)
    return;
  mst_fft_free (fc->fft);
  mst_fft_free_buffer (fc->h_re);
  mst_fft_free_buffer (fc->h_im);
  mst_fft_free_buffer (fc->re);
  mst_fft_free_buffer (fc->im);
  mst_fft_free_buffer (fc->s_re);
  mst_fft_free_buffer (fc->s_im);
  free (fc);
}
