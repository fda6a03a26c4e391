/* mastering: a linear-phase band splitter; see mst-crossover-linear.h.
 *
 * Design. Band b < n - 1 of the Linkwitz-Riley tree (mst-crossover.c) has
 * the magnitude T_b = A_b (1 - A_0) ... (1 - A_(b-1)), A_j being split j's
 * low side, 1 / (1 + x^2M) with x = tan (pi f / fs) / tan (pi f_j / fs)
 * (the bilinear Butterworth of order M, squared: the digital LR magnitude
 * of that crossover, -6.02 dB at the split). Those magnitudes sum to 1
 * with the top band's, the product of every (1 - A_j). Each band's FIR is
 * that zero-phase magnitude sampled on the FFT's grid, brought to the time
 * domain, windowed over +-H frames (a Tukey window, 1 over the middle half,
 * where the responses near the lowest split still carry their energy) and
 * brought back: a symmetric FIR, linear phase, delay H. Windowing is linear
 * and the window is 1 at lag 0, so the FIRs designed from magnitudes that
 * sum to 1 sum to a unit impulse; the top band is not filtered at all but
 * taken as the delayed input minus the other bands, in double, which makes
 * that sum exact to the double rounding whatever the float FFT's error,
 * and saves a transform.
 *
 * Filtering. Overlap-save on one real FFT of N points per channel: N is the
 * least power of two of at least four times
 * MST_CROSSOVER_LINEAR_HALF_LENGTH_MS, H = N / 4 (for a given N the
 * latency N - H is least with the longest FIR), and each block takes
 * hop = N - 2 H = N / 2 new frames: one forward transform per channel,
 * then per band (but the top one) a product with the band's spectrum
 * (real: the FIR is zero-phase on the circle) and one backward transform.
 * The hop frames collect in a FIFO, so the latency is H + hop = 3 N / 4
 * frames, whatever the caller's block size.
 *
 * Changes. set () only records the settings; the next block designs the
 * new FIRs in scratch made at configure (2 transforms a band) and computes
 * that block with both designs, crossfading old to new bands over the
 * block (raised cosine). Each design's bands sum to the delayed input, so
 * the crossfade's do too. */
#include "mst-crossover-linear.h"
#include "mst-fft.h"
#include "mst-fpu.h"

#include <stdlib.h>
#include <string.h>

/* Middle fraction of the window that is flat (Tukey's 1 - alpha). */
#define WINDOW_FLAT 0.85
/* Splits are kept under this fraction of the rate at design. */
#define MAX_SPLIT_RATIO 0.49

#define MAX_SPLITS (MST_CROSSOVER_MAX_BANDS - 1)

typedef struct {
  MstCrossoverSettings settings;
  /* The real spectra (N / 2 + 1 bins, with the backward transform's
   * 1 / N folded in) of bands 0 to n_bands - 2. */
  float *kernel[MAX_SPLITS];
} Design;

struct MstCrossoverLinear {
  int max_channels, channels;
  double rate_hz;
  int half, fft_size, hop, bins;
  MstFft *fft;
  /* Per channel: the FFT's input (float) and the same frames in double
   * (for the top band); the input's spectrum. */
  float *x_float[MST_MAX_CHANNELS];
  double *x_double[MST_MAX_CHANNELS];
  MstFftComplex *spectrum[MST_MAX_CHANNELS];
  /* Scratch of one band: its spectrum (the backward transform destroys
   * it), its output; the sum of the filtered bands over a hop. */
  MstFftComplex *product;
  float *filtered;
  double *rest;
  /* Outputs of the last block, hop frames per band and channel, read out
   * while the next block's input collects. Unused bands hold zeros. */
  double *pending[MST_CROSSOVER_MAX_BANDS][MST_MAX_CHANNELS];
  double *pending_base;
  /* Crossfade gain of the new design over a hop; the window over lags
   * 0..half; tan (pi k / N) for every bin. */
  double *fade, *warp;
  float *window;
  /* Design scratch: one impulse response and its spectrum. */
  float *design_time;
  MstFftComplex *design_spectrum;
  Design designs[2];
  int current;
  /* The settings last set; whether the current design is older. */
  MstCrossoverSettings settings;
  bool changed;
  size_t fill;
  uint64_t nonfinite_count;
};

void
mst_crossover_linear_settings_default (MstCrossoverLinearSettings * s)
{
  mst_crossover_settings_default (s);
}

/* Designs the FIRs of @s into @d. No allocation. */
static void
design (MstCrossoverLinear * xo, Design * d, const MstCrossoverSettings * s)
{
  const int n = xo->fft_size, half = xo->half, bins = xo->bins;
  const int order = s->slope_db_per_oct / 12;
  double inv_split[MAX_SPLITS];
  /* Both transforms are unnormalised: the FIR is the backward transform
   * over N, and the filtering's backward transform wants another 1 / N. */
  const double scale = 1.0 / ((double) n * n);

  for (int j = 0; j < s->n_bands - 1; j++)
    inv_split[j] = 1.0 / tan (M_PI * fmin (s->freq_hz[j],
            MAX_SPLIT_RATIO * xo->rate_hz) / xo->rate_hz);
  for (int b = 0; b < s->n_bands - 1; b++) {
    for (int k = 0; k < bins; k++) {
      double magnitude = 1.0;
      for (int j = 0; j <= b; j++) {
        double x = xo->warp[k] * inv_split[j], x_2m = x * x;
        for (int m = 1; m < order; m *= 2)
          x_2m *= x_2m;
        /* order 1, 2, 4: x^2, x^4, x^8. */
        double low = isfinite (x_2m) ? 1.0 / (1.0 + x_2m) : 0.0;
        magnitude *= j == b ? low : 1.0 - low;
      }
      xo->design_spectrum[k][0] = (float) magnitude;
      xo->design_spectrum[k][1] = 0.0f;
    }
    mst_fft_backward_real (xo->fft, xo->design_spectrum, xo->design_time);
    float *h = xo->design_time;
    for (int t = 0; t <= half; t++) {
      h[t] *= xo->window[t];
      if (t > 0)
        h[n - t] *= xo->window[t];
    }
    memset (h + half + 1, 0, (size_t) (n - 2 * half - 1) * sizeof *h);
    mst_fft_forward_real (xo->fft, h, xo->design_spectrum);
    /* The FIR is even: its spectrum is real (the imaginary parts are the
     * transform's rounding), which keeps it exactly symmetric. */
    for (int k = 0; k < bins; k++)
      d->kernel[b][k] = (float) (xo->design_spectrum[k][0] * scale);
  }
  d->settings = *s;
}

static void
free_buffers (MstCrossoverLinear * xo)
{
  mst_fft_free (xo->fft);
  xo->fft = NULL;
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    mst_fft_free_buffer (xo->x_float[c]);
    mst_fft_free_buffer (xo->spectrum[c]);
    free (xo->x_double[c]);
    xo->x_float[c] = NULL;
    xo->spectrum[c] = NULL;
    xo->x_double[c] = NULL;
  }
  for (int i = 0; i < 2; i++)
    for (int b = 0; b < MAX_SPLITS; b++) {
      mst_fft_free_buffer (xo->designs[i].kernel[b]);
      xo->designs[i].kernel[b] = NULL;
    }
  mst_fft_free_buffer (xo->product);
  mst_fft_free_buffer (xo->filtered);
  mst_fft_free_buffer (xo->design_time);
  mst_fft_free_buffer (xo->design_spectrum);
  free (xo->rest);
  free (xo->pending_base);
  free (xo->fade);
  free (xo->warp);
  free (xo->window);
  xo->product = NULL;
  xo->filtered = xo->design_time = xo->window = NULL;
  xo->design_spectrum = NULL;
  xo->rest = xo->pending_base = xo->fade = xo->warp = NULL;
  memset (xo->pending, 0, sizeof xo->pending);
}

void
mst_crossover_linear_reset (MstCrossoverLinear * xo)
{
  if (!xo || !xo->fft)
    return;
  if (xo->changed) {
    design (xo, &xo->designs[xo->current], &xo->settings);
    xo->changed = false;
  }
  for (int c = 0; c < xo->channels; c++) {
    memset (xo->x_float[c], 0, (size_t) xo->fft_size * sizeof (float));
    memset (xo->x_double[c], 0, (size_t) xo->fft_size * sizeof (double));
  }
  memset (xo->pending_base, 0, (size_t) MST_CROSSOVER_MAX_BANDS
      * xo->channels * xo->hop * sizeof (double));
  xo->fill = 0;
}

MstResult
mst_crossover_linear_configure (MstCrossoverLinear * xo, double rate_hz,
    int channels)
{
  if (!xo || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > xo->max_channels)
    return MST_ERR_INVALID_ARG;
  free_buffers (xo);
  xo->rate_hz = rate_hz;
  xo->channels = channels;
  const int min_half = (int) ceil (MST_CROSSOVER_LINEAR_HALF_LENGTH_MS
      * 1e-3 * rate_hz);
  xo->fft_size = 1;
  while (xo->fft_size < 4 * min_half)
    xo->fft_size *= 2;
  /* As long an FIR as the transform allows: the latency is N - H. */
  xo->half = xo->fft_size / 4;
  xo->hop = xo->fft_size - 2 * xo->half;
  xo->bins = xo->fft_size / 2 + 1;

  const size_t n = (size_t) xo->fft_size, bins = (size_t) xo->bins;
  const size_t hop = (size_t) xo->hop;
  bool ok = (xo->fft = mst_fft_new_real (xo->fft_size)) != NULL;
  for (int c = 0; c < channels; c++) {
    ok = ok && (xo->x_float[c] = mst_fft_alloc_real (n)) != NULL;
    ok = ok && (xo->spectrum[c] = mst_fft_alloc_complex (bins)) != NULL;
    ok = ok && (xo->x_double[c] = calloc (n, sizeof (double))) != NULL;
  }
  for (int i = 0; i < 2; i++)
    for (int b = 0; b < MAX_SPLITS; b++)
      ok = ok && (xo->designs[i].kernel[b] = mst_fft_alloc_real (bins));
  ok = ok && (xo->product = mst_fft_alloc_complex (bins)) != NULL;
  ok = ok && (xo->filtered = mst_fft_alloc_real (n)) != NULL;
  ok = ok && (xo->design_time = mst_fft_alloc_real (n)) != NULL;
  ok = ok && (xo->design_spectrum = mst_fft_alloc_complex (bins)) != NULL;
  ok = ok && (xo->rest = calloc (hop, sizeof (double))) != NULL;
  ok = ok && (xo->fade = calloc (hop, sizeof (double))) != NULL;
  ok = ok && (xo->warp = calloc (bins, sizeof (double))) != NULL;
  ok = ok && (xo->window = calloc ((size_t) xo->half + 1,
          sizeof (float))) != NULL;
  ok = ok && (xo->pending_base = calloc ((size_t) MST_CROSSOVER_MAX_BANDS
          * channels * hop, sizeof (double))) != NULL;
  if (!ok) {
    free_buffers (xo);
    return MST_ERR_NOMEM;
  }
  for (int b = 0; b < MST_CROSSOVER_MAX_BANDS; b++)
    for (int c = 0; c < channels; c++)
      xo->pending[b][c] = xo->pending_base + ((size_t) b * channels + c) * hop;
  for (size_t i = 0; i < hop; i++) {
    double s = sin (0.5 * M_PI * (i + 0.5) / hop);
    xo->fade[i] = s * s;
  }
  for (size_t k = 0; k < bins; k++)
    xo->warp[k] = 2 * k == n ? INFINITY : tan (M_PI * k / n);
  const double flat = WINDOW_FLAT * xo->half;
  for (int t = 0; t <= xo->half; t++)
    xo->window[t] = t <= flat ? 1.0f
        : (float) (0.5 + 0.5 * cos (M_PI * (t - flat) / (xo->half - flat)));
  xo->current = 0;
  xo->changed = true;
  xo->nonfinite_count = 0;
  mst_crossover_linear_reset (xo);
  return MST_OK;
}

MstResult
mst_crossover_linear_set (MstCrossoverLinear * xo,
    const MstCrossoverLinearSettings * s)
{
  if (!xo || !s || !mst_crossover_settings_valid (s,
          MST_CROSSOVER_LINEAR_MIN_FREQ_HZ))
    return MST_ERR_INVALID_ARG;
  const int old_bands = xo->settings.n_bands;
  bool same = s->n_bands == old_bands
      && s->slope_db_per_oct == xo->settings.slope_db_per_oct;
  for (int j = 0; same && j < s->n_bands - 1; j++)
    same = s->freq_hz[j] == xo->settings.freq_hz[j];
  xo->settings = *s;
  if (same)
    return MST_OK;
  xo->changed = true;
  if (xo->fft && s->n_bands < old_bands) {
    /* The outputs still pending for bands that are gone go to the new top
     * band, so that the bands read until the next block still sum to the
     * delayed input. */
    int top = s->n_bands - 1;
    for (int b = s->n_bands; b < old_bands; b++)
      for (int c = 0; c < xo->channels; c++) {
        for (int i = 0; i < xo->hop; i++)
          xo->pending[top][c][i] += xo->pending[b][c][i];
        memset (xo->pending[b][c], 0, (size_t) xo->hop * sizeof (double));
      }
  }
  return MST_OK;
}

MstCrossoverLinear *
mst_crossover_linear_init (int max_channels)
{
  MstCrossoverLinear *xo;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  xo = calloc (1, sizeof *xo);
  if (!xo)
    return NULL;
  xo->max_channels = max_channels;
  mst_crossover_linear_settings_default (&xo->settings);
  if (mst_crossover_linear_configure (xo, 48000.0, 1) != MST_OK) {
    free (xo);
    return NULL;
  }
  return xo;
}

void
mst_crossover_linear_destroy (MstCrossoverLinear ** xo)
{
  if (!xo || !*xo)
    return;
  free_buffers (*xo);
  free (*xo);
  *xo = NULL;
}

MstResult
mst_crossover_linear_get_latency (const MstCrossoverLinear * xo,
    size_t *frames)
{
  if (!xo || !frames || !xo->fft)
    return MST_ERR_INVALID_ARG;
  *frames = (size_t) xo->half + (size_t) xo->hop;
  return MST_OK;
}

MstResult
mst_crossover_linear_get_taps (const MstCrossoverLinear * xo, size_t *taps)
{
  if (!xo || !taps || !xo->fft)
    return MST_ERR_INVALID_ARG;
  *taps = 2 * (size_t) xo->half + 1;
  return MST_OK;
}

uint64_t
mst_crossover_linear_get_nonfinite_count (const MstCrossoverLinear * xo)
{
  return xo ? xo->nonfinite_count : 0;
}

/* Adds @d's bands of channel @c over the block to the pending outputs,
 * times the fade gain (rising when @fade is 1, falling when -1; when 0,
 * written, not added); bands above @last go to @last. */
static void
add_design (MstCrossoverLinear * xo, const Design * d, int c, int fade,
    int last)
{
  const int bins = xo->bins, hop = xo->hop, top = d->settings.n_bands - 1;
  const float *y = xo->filtered + xo->half;
  double *rest = xo->rest;

  memcpy (rest, xo->x_double[c] + xo->half, (size_t) hop * sizeof *rest);
  for (int b = 0; b < top; b++) {
    const float *restrict h = d->kernel[b];
    const MstFftComplex *restrict in = xo->spectrum[c];
    MstFftComplex *restrict product = xo->product;
    double *out = xo->pending[b < last ? b : last][c];
    for (int k = 0; k < bins; k++) {
      product[k][0] = in[k][0] * h[k];
      product[k][1] = in[k][1] * h[k];
    }
    mst_fft_backward_real (xo->fft, xo->product, xo->filtered);
    if (fade == 0) {
      for (int i = 0; i < hop; i++) {
        out[i] = y[i];
        rest[i] -= y[i];
      }
    } else {
      for (int i = 0; i < hop; i++) {
        out[i] += (fade > 0 ? xo->fade[i] : 1.0 - xo->fade[i]) * y[i];
        rest[i] -= y[i];
      }
    }
  }
  double *out = xo->pending[top < last ? top : last][c];
  if (fade == 0)
    memcpy (out, rest, (size_t) hop * sizeof *out);
  else
    for (int i = 0; i < hop; i++)
      out[i] += (fade > 0 ? xo->fade[i] : 1.0 - xo->fade[i]) * rest[i];
}

/* The block whose hop of new frames just filled the FIFO. */
static void
run_block (MstCrossoverLinear * xo)
{
  const size_t keep = (size_t) (xo->fft_size - xo->hop);
  bool crossfade = xo->changed;
  Design *old = &xo->designs[xo->current];
  Design *new = &xo->designs[!xo->current];

  if (crossfade) {
    design (xo, new, &xo->settings);
    xo->current = !xo->current;
    xo->changed = false;
    memset (xo->pending_base, 0, (size_t) MST_CROSSOVER_MAX_BANDS
        * xo->channels * xo->hop * sizeof (double));
  }
  for (int c = 0; c < xo->channels; c++) {
    mst_fft_forward_real (xo->fft, xo->x_float[c], xo->spectrum[c]);
    if (crossfade) {
      int last = new->settings.n_bands - 1;
      add_design (xo, old, c, -1, last);
      add_design (xo, new, c, 1, last);
    } else {
      add_design (xo, old, c, 0, MST_CROSSOVER_MAX_BANDS - 1);
    }
    memmove (xo->x_float[c], xo->x_float[c] + xo->hop, keep * sizeof (float));
    memmove (xo->x_double[c], xo->x_double[c] + xo->hop,
        keep * sizeof (double));
  }
}

MST_ALWAYS_INLINE MstResult
process_body (MstCrossoverLinear * xo, const void *in, void *const *bands,
    size_t stride, size_t n, MstFormat fmt)
{
  if (!xo || !xo->fft || (n && (!in || !bands || stride < n)))
    return MST_ERR_INVALID_ARG;
  const int n_bands = xo->settings.n_bands;
  const size_t start = (size_t) (xo->fft_size - xo->hop);
  bool bad = false;
  MstFpuState fpu = mst_fpu_enter_ftz ();

  for (size_t offset = 0; offset < n;) {
    size_t m = (size_t) xo->hop - xo->fill;
    if (m > n - offset)
      m = n - offset;
    /* Input first: @in may be the top band's output. */
    for (int c = 0; c < xo->channels; c++) {
      size_t at = c * stride + offset;
      float *xf = xo->x_float[c] + start + xo->fill;
      double *xd = xo->x_double[c] + start + xo->fill;
      for (size_t i = 0; i < m; i++) {
        double v = mst_sample_get (fmt, in, at + i);
        if (!(fabs (v) <= MST_MAX_INPUT)) {
          v = 0.0;
          bad = true;
        }
        xd[i] = v;
        xf[i] = (float) v;
      }
    }
    for (int b = 0; b < n_bands; b++)
      for (int c = 0; c < xo->channels; c++) {
        const double *y = xo->pending[b][c] + xo->fill;
        size_t at = c * stride + offset;
        for (size_t i = 0; i < m; i++)
          mst_sample_put (fmt, bands[b], at + i, y[i]);
      }
    xo->fill += m;
    offset += m;
    if (xo->fill == (size_t) xo->hop) {
      run_block (xo);
      xo->fill = 0;
    }
  }
  if (bad)
    xo->nonfinite_count++;
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_crossover_linear_process (MstCrossoverLinear * xo, const double *in,
    double *const *bands, size_t stride, size_t n)
{
  return process_body (xo, in, (void *const *) bands, stride, n,
      MST_FORMAT_F64);
}

MstResult
mst_crossover_linear_process_f32 (MstCrossoverLinear * xo, const float *in,
    float *const *bands, size_t stride, size_t n)
{
  return process_body (xo, in, (void *const *) bands, stride, n,
      MST_FORMAT_F32);
}

double
mst_crossover_sum_error (const double *const *bands, int n_bands,
    const double *in, size_t stride, int channels, size_t n, size_t delay)
{
  double worst = 0.0;
  for (int c = 0; c < channels; c++)
    for (size_t i = 0; i < n; i++) {
      double sum = 0.0;
      for (int b = 0; b < n_bands; b++)
        sum += bands[b][c * stride + i];
      double ref = i >= delay ? in[c * stride + i - delay] : 0.0;
      worst = fmax (worst, fabs (sum - ref));
    }
  return worst;
}
