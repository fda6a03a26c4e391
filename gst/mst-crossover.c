/* mastering: Linkwitz-Riley crossovers.
 *
 * A Linkwitz-Riley pair of order 2M is a Butterworth low-pass and
 * high-pass of order M, each applied twice: both are -6 dB at the split,
 * and for M even their sum is the all-pass D(-s) / D(s) of the Butterworth
 * denominator D (for M = 1 the difference is, so LR2's high side is
 * inverted) (Linkwitz, "Active crossover networks for noncoincident
 * drivers", JAES 24(1), 1976). The bilinear transform keeps these
 * identities, and the digital all-pass is built from the digital sections'
 * own denominators. Bands are split from the bottom: band j is the low side
 * of split j applied to what the splits below left; every lower band then
 * goes through the all-pass of each split above it, so all bands see the
 * same phase and sum to the product of the all-passes. */
#include "mst-crossover.h"
#include "mst-biquad-net.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define CONTROL_PERIOD_S (1.0 / 1500.0)
#define SNAP_LOG 1e-6

typedef struct {
  MstBiquadCascade low, high;
  /* all_pass[i]: this split's all-pass on band i, below the split. */
  MstBiquadCascade all_pass[MST_CROSSOVER_MAX_BANDS - 1];
  /* The same all-pass on the caller's all-pass signal
   * (mst_crossover_process_all_pass). */
  MstBiquadCascade sum_pass;
  double log_freq, target_log_freq;
} Split;

struct MstCrossover {
  int max_channels, channels;
  double rate_hz;
  int n_bands, slope_db_per_oct;
  MstCrossoverSettings settings;
  Split splits[MST_CROSSOVER_MAX_BANDS - 1];
  /* The tree as one network of its sections (runs while no split
   * glides), output b the band b. */
  MstBiquadNet net;
  int control_frames;
  double glide_coef;
  uint64_t nonfinite_count;
};

void
mst_crossover_settings_default (MstCrossoverSettings * s)
{
  static const double freq_hz[MST_CROSSOVER_MAX_BANDS - 1] =
      { 120.0, 2000.0, 5000.0, 8000.0, 12000.0 };
  memset (s, 0, sizeof *s);
  s->n_bands = 3;
  s->slope_db_per_oct = 24;
  memcpy (s->freq_hz, freq_hz, sizeof freq_hz);
}

/* Designs @split at its current frequency. */
static void
split_design (const MstCrossover * xo, Split * split)
{
  int order = xo->slope_db_per_oct / 12;        /* Butterworth order M */
  MstFilterParams p = { MST_FILTER_HIGH_CUT, exp (split->log_freq), 0.0,
    M_SQRT1_2, 6 * order
  };
  MstBiquad low[MST_FILTER_MAX_SECTIONS], high[MST_FILTER_MAX_SECTIONS];
  MstBiquad all_pass[MST_FILTER_MAX_SECTIONS];
  int n;

  mst_filter_design (&p, xo->rate_hz, low, &n);
  p.type = MST_FILTER_LOW_CUT;
  mst_filter_design (&p, xo->rate_hz, high, &n);
  for (int s = 0; s < n; s++) {
    const MstBiquad *d = &low[s];
    /* z^-N D(1/z) / D(z): the same poles, mirrored zeros. */
    all_pass[s] = order == 1 ? (MstBiquad) { d->a1, 1.0, 0.0, d->a1, 0.0 }
    : (MstBiquad) { d->a2, d->a1, 1.0, d->a1, d->a2 };
  }
  split->low.n_sections = split->high.n_sections = 2 * n;
  memcpy (split->low.coefs, low, n * sizeof *low);
  memcpy (split->low.coefs + n, low, n * sizeof *low);
  memcpy (split->high.coefs, high, n * sizeof *high);
  memcpy (split->high.coefs + n, high, n * sizeof *high);
  if (order == 1) {
    /* LR2: the low side minus the high side is the all-pass. */
    split->high.coefs[1].b0 = -split->high.coefs[1].b0;
    split->high.coefs[1].b1 = -split->high.coefs[1].b1;
    split->high.coefs[1].b2 = -split->high.coefs[1].b2;
  }
  for (int i = 0; i < MST_CROSSOVER_MAX_BANDS - 1; i++) {
    split->all_pass[i].n_sections = n;
    memcpy (split->all_pass[i].coefs, all_pass, n * sizeof *all_pass);
  }
  split->sum_pass.n_sections = n;
  memcpy (split->sum_pass.coefs, all_pass, n * sizeof *all_pass);
}

/* The tree of the current band count: split j's low side from what the
 * splits below left, its high side the rest, its all-passes on the bands
 * below. */
static void
build_net (MstCrossover * xo)
{
  MstBiquadNet *net = &xo->net;
  int band[MST_CROSSOVER_MAX_BANDS], rest = -1;
  const int last = xo->n_bands - 1;

  mst_biquad_net_clear (net);
  for (int j = 0; j < last; j++) {
    Split *split = &xo->splits[j];
    band[j] = mst_biquad_net_add_cascade (net, &split->low, rest);
    rest = mst_biquad_net_add_cascade (net, &split->high, rest);
    for (int i = 0; i < j; i++)
      band[i] = mst_biquad_net_add_cascade (net, &split->all_pass[i], band[i]);
  }
  band[last] = rest;
  for (int b = 0; b <= last; b++)
    mst_biquad_net_set_output (net, band[b], b);
}

void
mst_crossover_reset (MstCrossover * xo)
{
  if (!xo)
    return;
  for (int j = 0; j < MST_CROSSOVER_MAX_BANDS - 1; j++) {
    Split *split = &xo->splits[j];
    split->log_freq = split->target_log_freq;
    split_design (xo, split);
    mst_biquad_cascade_reset (&split->low);
    mst_biquad_cascade_reset (&split->high);
    for (int i = 0; i < MST_CROSSOVER_MAX_BANDS - 1; i++)
      mst_biquad_cascade_reset (&split->all_pass[i]);
    mst_biquad_cascade_reset (&split->sum_pass);
  }
  build_net (xo);
}

bool
mst_crossover_settings_valid (const MstCrossoverSettings * s,
    double min_freq_hz)
{
  if (s->n_bands < 2 || s->n_bands > MST_CROSSOVER_MAX_BANDS
      || (s->slope_db_per_oct != 12 && s->slope_db_per_oct != 24
          && s->slope_db_per_oct != 48))
    return false;
  for (int j = 0; j < s->n_bands - 1; j++)
    if (!(s->freq_hz[j] > 0 && s->freq_hz[j] >= min_freq_hz
            && isfinite (s->freq_hz[j]))
        || (j > 0 && !(s->freq_hz[j] > s->freq_hz[j - 1])))
      return false;
  return true;
}

MstResult
mst_crossover_set (MstCrossover * xo, const MstCrossoverSettings * s)
{
  if (!xo || !s || !mst_crossover_settings_valid (s, 0.0))
    return MST_ERR_INVALID_ARG;
  for (int j = 0; j < s->n_bands - 1; j++)
    if (s->freq_hz[j] != xo->settings.freq_hz[j])
      xo->splits[j].target_log_freq = log (s->freq_hz[j]);
  xo->settings = *s;
  if (s->n_bands != xo->n_bands || s->slope_db_per_oct != xo->slope_db_per_oct) {
    xo->n_bands = s->n_bands;
    xo->slope_db_per_oct = s->slope_db_per_oct;
    mst_crossover_reset (xo);
  }
  return MST_OK;
}

MstResult
mst_crossover_configure (MstCrossover * xo, double rate_hz, int channels)
{
  if (!xo || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > xo->max_channels)
    return MST_ERR_INVALID_ARG;
  xo->rate_hz = rate_hz;
  xo->channels = channels;
  xo->control_frames = (int) fmax (8.0, round (rate_hz * CONTROL_PERIOD_S));
  xo->glide_coef = mst_smoother_one_pole_coef (xo->control_frames, rate_hz,
      MST_CROSSOVER_SMOOTHING_MS);
  xo->nonfinite_count = 0;
  mst_crossover_reset (xo);
  return MST_OK;
}

MstCrossover *
mst_crossover_init (int max_channels)
{
  MstCrossover *xo;
  MstCrossoverSettings defaults;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  xo = calloc (1, sizeof *xo);
  if (!xo)
    return NULL;
  xo->max_channels = max_channels;
  xo->rate_hz = 48000.0;
  mst_crossover_settings_default (&defaults);
  for (int j = 0; j < MST_CROSSOVER_MAX_BANDS - 1; j++)
    xo->splits[j].target_log_freq = log (defaults.freq_hz[j]);
  xo->settings = defaults;
  xo->n_bands = defaults.n_bands;
  xo->slope_db_per_oct = defaults.slope_db_per_oct;
  mst_crossover_configure (xo, 48000.0, 1);
  return xo;
}

void
mst_crossover_destroy (MstCrossover ** xo)
{
  if (!xo || !*xo)
    return;
  free (*xo);
  *xo = NULL;
}

uint64_t
mst_crossover_get_nonfinite_count (const MstCrossover * xo)
{
  return xo ? xo->nonfinite_count : 0;
}

/* Runs @c, ramping from @from when non-NULL, on all channels of the planar
 * block at @x. */
static void
run (const MstCrossover * xo, MstBiquadCascade * c, double *x, size_t stride,
    const MstBiquad * from, int n)
{
  static const int all[MST_MAX_CHANNELS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  mst_biquad_cascade_run (c, all, xo->channels, x, stride, from, n);
}

/* Frames [offset, offset + n) of every band, and of @ap (NULL: none)
 * through every split's all-pass; splits whose frequency glides ramp their
 * coefficients from @glide's designs. */
static void
split_bands (MstCrossover * xo, const double *in, double *const *bands,
    double *ap, size_t stride, size_t offset, int n, bool glide)
{
  int last = xo->n_bands - 1;
  double *rest = bands[last] + offset;

  if (in != bands[last])
    for (int c = 0; c < xo->channels; c++)
      memcpy (rest + c * stride, in + c * stride + offset, n * sizeof *rest);
  for (int j = 0; j < last; j++) {
    Split *split = &xo->splits[j];
    MstBiquad low[MST_FILTER_MAX_SECTIONS], high[MST_FILTER_MAX_SECTIONS];
    MstBiquad all_pass[MST_FILTER_MAX_SECTIONS];
    bool ramp = false;
    if (glide) {
      memcpy (low, split->low.coefs, sizeof low);
      memcpy (high, split->high.coefs, sizeof high);
      memcpy (all_pass, split->all_pass[0].coefs, sizeof all_pass);
      ramp = mst_smoother_one_pole_step (&split->log_freq,
          split->target_log_freq, xo->glide_coef, SNAP_LOG);
      if (ramp)
        split_design (xo, split);
    }
    /* A band not asked for (NULL) is not computed: neither its low side
     * nor the all-passes above it run. */
    if (bands[j]) {
      double *band = bands[j] + offset;
      for (int c = 0; c < xo->channels; c++)
        memcpy (band + c * stride, rest + c * stride, n * sizeof *band);
      run (xo, &split->low, band, stride, ramp ? low : NULL, n);
    }
    run (xo, &split->high, rest, stride, ramp ? high : NULL, n);
    for (int i = 0; i < j; i++)
      if (bands[i])
        run (xo, &split->all_pass[i], bands[i] + offset, stride,
            ramp ? all_pass : NULL, n);
    if (ap)
      run (xo, &split->sum_pass, ap + offset, stride, ramp ? all_pass : NULL,
          n);
  }
}

static bool
gliding (const MstCrossover * xo)
{
  for (int j = 0; j < xo->n_bands - 1; j++)
    if (xo->splits[j].log_freq != xo->splits[j].target_log_freq)
      return true;
  return false;
}

bool
mst_crossover_is_gliding (const MstCrossover * xo)
{
  return xo && gliding (xo);
}

/* Resets the state that went non-finite; true if any did. */
static bool
check_finite (MstCrossover * xo)
{
  bool reset = false;
  for (int j = 0; j < xo->n_bands - 1; j++) {
    Split *split = &xo->splits[j];
    reset |= mst_biquad_cascade_check_finite (&split->low, xo->channels);
    reset |= mst_biquad_cascade_check_finite (&split->high, xo->channels);
    reset |= mst_biquad_cascade_check_finite (&split->sum_pass, xo->channels);
    for (int i = 0; i < j; i++)
      reset |= mst_biquad_cascade_check_finite (&split->all_pass[i],
          xo->channels);
  }
  return reset;
}

MstResult
mst_crossover_process (MstCrossover * xo, const double *in,
    double *const *bands, size_t stride, size_t n)
{
  return mst_crossover_process_all_pass (xo, in, bands, NULL, stride, n);
}

/* Zeroes the samples of @x (planar, @channels) that are not finite. */
static void
zero_nonfinite (double *x, int channels, size_t stride, size_t n)
{
  for (int c = 0; c < channels; c++)
    for (size_t i = 0; i < n; i++)
      if (!isfinite (x[c * stride + i]))
        x[c * stride + i] = 0.0;
}

MstResult
mst_crossover_process_all_pass (MstCrossover * xo, const double *in,
    double *const *bands, double *all_pass, size_t stride, size_t n)
{
  if (!xo || (n && (!in || !bands || !bands[xo->n_bands - 1] || stride < n)))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  /* The network computes every band; a band not asked for (NULL, the
   * imager's mono band) goes through the cascades, which skip it. */
  bool every_band = true;
  for (int b = 0; b < xo->n_bands; b++)
    every_band &= bands[b] != NULL;
  for (size_t offset = 0; offset < n;) {
    bool glide = gliding (xo);
    size_t m = glide ? (size_t) xo->control_frames : n - offset;
    if (m > n - offset)
      m = n - offset;
    if (glide || !every_band) {
      m = m > (1 << 20) ? (1 << 20) : m;
      split_bands (xo, in, bands, all_pass, stride, offset, (int) m, glide);
      mst_biquad_net_invalidate (&xo->net);
    } else {
      /* The whole tree side by side (runs of at most 2^20 frames). */
      double *at[MST_CROSSOVER_MAX_BANDS];
      m = m > (1 << 20) ? (1 << 20) : m;
      for (int b = 0; b < xo->n_bands; b++)
        at[b] = bands[b] + offset;
      mst_biquad_net_run (&xo->net, xo->channels, in + offset, at, stride,
          (int) m);
      for (int j = 0; all_pass && j < xo->n_bands - 1; j++)
        run (xo, &xo->splits[j].sum_pass, all_pass + offset, stride, NULL,
            (int) m);
    }
    offset += m;
  }
  if (n && check_finite (xo)) {
    mst_biquad_net_invalidate (&xo->net);
    xo->nonfinite_count++;
    for (int b = 0; b < xo->n_bands; b++)
      if (bands[b])
        zero_nonfinite (bands[b], xo->channels, stride, n);
    if (all_pass)
      zero_nonfinite (all_pass, xo->channels, stride, n);
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

/* mst_crossover_run_all_pass on the planar @x, or with @frames non-NULL
 * (two channels) on the interleaved stereo F32 frames in place. */
static MstResult
run_all_pass (MstCrossover * xo, double *x, size_t stride, float *frames,
    size_t n)
{
  MstFpuState fpu = mst_fpu_enter_ftz ();
  /* The splits' sections fused into one pass a frame, in the equalizer's
   * fast form (mst-biquad.h): for a few sections quicker than a network
   * side by side (mst-biquad-net.h), whose steps wait on one section's
   * recurrence, or than each section four frames a step, one after the
   * other (a neutral 4-band mbcomp, stereo F32, bench-dynamics: 4.3 ns a
   * frame fused, 3.9 to 4.3 fused fast, against 5.0 and 4.5). */
  MstBiquadCascade *chain[MST_CROSSOVER_MAX_BANDS - 1];
  for (int j = 0; j < xo->n_bands - 1; j++)
    chain[j] = &xo->splits[j].sum_pass;
  for (size_t offset = 0; offset < n;) {
    size_t m = n - offset > (1 << 20) ? (1 << 20) : n - offset;
    mst_biquad_cascades_run_fused_fast (chain, xo->n_bands - 1, xo->channels,
        frames ? NULL : x + offset, stride, frames ? frames + 2 * offset
        : NULL, 1.0, (int) m);
    offset += m;
  }
  bool reset = false;
  for (int j = 0; n && j < xo->n_bands - 1; j++)
    reset |= mst_biquad_cascade_check_finite (&xo->splits[j].sum_pass,
        xo->channels);
  if (reset) {
    xo->nonfinite_count++;
    if (frames)
      mst_planar_zero_nonfinite (frames, 2 * n, MST_FORMAT_F32);
    else
      zero_nonfinite (x, xo->channels, stride, n);
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_crossover_run_all_pass (MstCrossover * xo, double *x, size_t stride,
    size_t n)
{
  if (!xo || (n && (!x || stride < n)) || gliding (xo))
    return MST_ERR_INVALID_ARG;
  return run_all_pass (xo, x, stride, NULL, n);
}

MstResult
mst_crossover_run_all_pass_stereo_f32 (MstCrossover * xo, float *frames,
    size_t n)
{
  if (!xo || (n && !frames) || xo->channels != 2 || xo->n_bands < 2
      || gliding (xo))
    return MST_ERR_INVALID_ARG;
  return run_all_pass (xo, NULL, 0, frames, n);
}

void
mst_crossover_reset_all_pass (MstCrossover * xo)
{
  if (!xo)
    return;
  for (int j = 0; j < MST_CROSSOVER_MAX_BANDS - 1; j++)
    mst_biquad_cascade_reset (&xo->splits[j].sum_pass);
}
