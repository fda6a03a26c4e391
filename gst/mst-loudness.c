/* mastering: loudness and true-peak measurement, ITU-R BS.1770-4 / EBU R128.
 *
 * Numbers come from REFERENCE.md (sections 1-3); each constant cites its
 * standard. The BS.1770 blocks (K-weighting, weights, gating, range) are
 * mst-bs1770's. */
#include "mst-loudness.h"
#include "mst-bs1770.h"
#include "mst-truepeak.h"
#include "mst-tpdetect.h"
#include "mst-fpu.h"

#include "mst-tpsym.h"

#include <stdlib.h>
#include <string.h>

/* Time base: everything advances in ticks of 10 ms. */
#define TICKS_PER_SECOND 100
/* BS.1770-4 Annex 1: gating blocks of 400 ms with 75 % overlap (100 ms
 * step); EBU Tech 3341: momentary 400 ms, short-term 3 s. */
#define MOMENTARY_TICKS 40
#define SHORT_TERM_TICKS 300
#define BLOCK_STEP_TICKS 10
/* EBU Tech 3342: short-term values for the loudness range at >= 10 Hz. */
#define RANGE_STEP_TICKS 10

/* True-peak interpolator: the meters' interpolator of BS.1770-4 Annex 2
 * (4x oversampling, 12 taps per phase, mst_truepeak_design_bs1770: a
 * Hann-windowed sinc as libebur128 builds it), the one the limiter holds
 * its ceiling by, so this meter never reads the limiter's output over its
 * ceiling. Phase 0 is the input itself (the sinc is zero at every other
 * input sample), so only phases 1 to L-1 are computed and the sample peak
 * stands for phase 0. */
#define TP_TAPS MST_TRUEPEAK_BS1770_TAPS
#define TP_MAX_PHASES 4
/* Rows start a whole number of 8-float vectors apart. */
#define TP_LANES 8
/* Slack on the bound that lets a piece skip the interpolator: the float
 * sums of 12 products round by far less than 1e-4 of their magnitude. */
#define TP_BOUND_SLACK 1e-4

struct MstLoudness {
  int channels;
  /* K-weighting and the energies of the last 3 s in ticks of 10 ms. */
  MstBs1770Energy energy;
  double momentary_power, short_term_power;
  double max_momentary_power, max_short_term_power;

  MstBs1770Histogram *integrated_hist;
  MstBs1770Histogram *range_hist;

  double sample_peak[MST_MAX_CHANNELS];
  /* Interpolated phases only, and only where they could raise the
   * channel's reported peak max (os_peak, sample_peak): pieces that cannot
   * are skipped (true_peak_can_skip). */
  double os_peak[MST_MAX_CHANNELS];

  int os_factor;
  bool tp_disabled;             /* MstLoudnessSettings.true_peak off */
  /* The interpolator in symmetric form (mst_tpsym_peak): the middle
   * phase's first half, and half the sum and half the difference of the
   * mirror pair of phases 1 and 3 (4x only; zero at 2x). */
  float tp_sym_mid[MST_TPSYM_PAIRS];
  float tp_sym_sum[MST_TPSYM_PAIRS];
  float tp_sym_diff[MST_TPSYM_PAIRS];
  /* Largest sum |h| over the phases, with TP_BOUND_SLACK. */
  double tp_gain_bound;
  /* Per channel: TP_TAPS - 1 frames of history, then up to tick_frames new
   * ones, contiguous so the FIR runs on unit-stride arrays. */
  float *tp_buf;
  size_t tp_stride;

  /* The strict true peak (MstLoudnessSettings.true_peak_strict): the
   * limiter's detector, which reads at least what each of the common meters
   * does, its largest peak per channel; finished once its last frames have
   * rung out into silence (mst_loudness_finish). */
  MstTpDetect *strict;
  bool strict_on, strict_finished;
  double strict_peak[MST_MAX_CHANNELS];

  /* Sanitised copy of a piece that held NaN or Inf (tick_frames frames). */
  double *clean;

  uint64_t n_frames;
  uint64_t n_nonfinite;
};

/* See mst-truepeak.h: phase p of L interpolates at fraction p / L, at
 * t = p / L - (k - (TP_TAPS/2 - 1)) for tap k; the sinc and the window are
 * even in t, so phase L - p is phase p reversed and phase L / 2 is
 * symmetric. Only phase 1 and the middle phase are read. */
static void
design_true_peak (MstLoudness * st)
{
  float coef[(TP_MAX_PHASES - 1) * TP_TAPS];
  const float *mid, *first = coef;
  double bound = 1.0;

  if (st->os_factor < 2)
    return;
  mst_truepeak_design_bs1770 (coef, st->os_factor);
  mid = coef + (st->os_factor / 2 - 1) * TP_TAPS;
  for (int k = 0; k < TP_TAPS / 2; k++) {
    const int mirror = TP_TAPS - 1 - k;
    st->tp_sym_mid[k] = mid[k];
    if (st->os_factor == 4) {
      st->tp_sym_sum[k] = 0.5f * (first[k] + first[mirror]);
      st->tp_sym_diff[k] = 0.5f * (first[k] - first[mirror]);
    }
  }
  for (int p = 1; p < st->os_factor; p++) {
    double gain = 0.0;
    for (int k = 0; k < TP_TAPS; k++)
      gain += fabsf (coef[(p - 1) * TP_TAPS + k]);
    bound = fmax (bound, gain);
  }
  st->tp_gain_bound = bound * (1.0 + TP_BOUND_SLACK);
}

MstLoudness *
mst_loudness_init (double rate_hz, int channels,
    const MstLoudnessChannel * weights)
{
  MstLoudness *st = NULL;
  MstLoudnessChannel classes[MST_MAX_CHANNELS];
  double weight[MST_MAX_CHANNELS];
  size_t n, tick_frames;

  if (!(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return NULL;
  if (channels < 1 || channels > MST_MAX_CHANNELS)
    return NULL;

  st = calloc (1, sizeof (*st));
  if (!st)
    goto fail;
  st->channels = channels;

  if (!weights) {
    mst_bs1770_default_layout (channels, classes);
    weights = classes;
  }
  for (int c = 0; c < channels; c++) {
    weight[c] = mst_bs1770_channel_weight (weights[c]);
    if (isnan (weight[c]))
      goto fail;
  }
  /* BS.1770-4 Annex 1: block length rounded to the nearest sample. */
  tick_frames = (size_t) floor (rate_hz / TICKS_PER_SECOND + 0.5);
  if (mst_bs1770_energy_configure (&st->energy, rate_hz, channels, weight,
          tick_frames, SHORT_TERM_TICKS) != MST_OK)
    goto fail;

  /* BS.1770-4 Annex 2: 4x to reach >= 192 kHz from 48 kHz; 96 kHz input
   * needs only 2x. Like libebur128, 44.1 kHz gets 4x (176.4 kHz). */
  st->os_factor = rate_hz < 96000 ? 4 : rate_hz < 192000 ? 2 : 1;
  design_true_peak (st);

  st->integrated_hist = calloc (1, sizeof (MstBs1770Histogram));
  st->range_hist = calloc (1, sizeof (MstBs1770Histogram));
  if (!st->integrated_hist || !st->range_hist)
    goto fail;

  /* History and a tick; rows stay 32-byte aligned relative to the first. */
  st->tp_stride = tick_frames + TP_TAPS - 1;
  st->tp_stride = (st->tp_stride + TP_LANES - 1) & ~(size_t) (TP_LANES - 1);
  if (!mst_size_mul (st->tp_stride, (size_t) channels, &n)
      || !mst_size_mul (n, sizeof (float), &n))
    goto fail;
  st->tp_buf = malloc (n);
  if (!mst_size_mul (tick_frames, (size_t) channels, &n)
      || !mst_size_mul (n, sizeof (double), &n))
    goto fail;
  st->clean = malloc (n);
  st->strict = mst_tpdetect_init (channels, (int) tick_frames);
  if (!st->tp_buf || !st->clean || !st->strict
      || mst_tpdetect_configure (st->strict, channels, rate_hz) != MST_OK)
    goto fail;
  mst_tpdetect_set_ffmpeg_only (st->strict, true);

  mst_loudness_reset (st);
  return st;

fail:
  mst_loudness_destroy (&st);
  return NULL;
}

void
mst_loudness_destroy (MstLoudness ** st)
{
  if (!st || !*st)
    return;
  free ((*st)->integrated_hist);
  free ((*st)->range_hist);
  free ((*st)->tp_buf);
  free ((*st)->clean);
  mst_tpdetect_destroy (&(*st)->strict);
  free (*st);
  *st = NULL;
}

static void
strict_restart (MstLoudness * st)
{
  mst_tpdetect_reset (st->strict);
  memset (st->strict_peak, 0, sizeof (st->strict_peak));
  st->strict_finished = false;
}

/* The detector's last process call's peaks into the channels' largest. */
static void
strict_take_peaks (MstLoudness * st, size_t n)
{
  for (int c = 0; c < st->channels; c++) {
    const float *p = mst_tpdetect_peaks (st->strict, c);
    double m = st->strict_peak[c];
    for (size_t i = 0; i < n; i++)
      m = p[i] > m ? p[i] : m;
    st->strict_peak[c] = m;
  }
}

MstResult
mst_loudness_reset (MstLoudness * st)
{
  if (!st)
    return MST_ERR_INVALID_ARG;
  mst_bs1770_energy_reset (&st->energy);
  st->momentary_power = 0.0;
  st->short_term_power = 0.0;
  st->max_momentary_power = 0.0;
  st->max_short_term_power = 0.0;
  mst_bs1770_histogram_reset (st->integrated_hist);
  mst_bs1770_histogram_reset (st->range_hist);
  memset (st->sample_peak, 0, sizeof (st->sample_peak));
  memset (st->os_peak, 0, sizeof (st->os_peak));
  memset (st->tp_buf, 0, st->tp_stride * st->channels * sizeof (float));
  strict_restart (st);
  st->n_frames = 0;
  st->n_nonfinite = 0;
  return MST_OK;
}

/* ---- per-tick bookkeeping (type independent) ---- */

static void
end_tick (MstLoudness * st)
{
  const uint64_t n_ticks = st->energy.n_ticks;

  if (n_ticks >= MOMENTARY_TICKS) {
    double power = mst_bs1770_energy_power (&st->energy, MOMENTARY_TICKS);
    st->momentary_power = power;
    if (power > st->max_momentary_power)
      st->max_momentary_power = power;
    if (n_ticks % BLOCK_STEP_TICKS == 0)
      mst_bs1770_histogram_add (st->integrated_hist, power);
  }
  if (n_ticks >= SHORT_TERM_TICKS) {
    double power = mst_bs1770_energy_power (&st->energy, SHORT_TERM_TICKS);
    st->short_term_power = power;
    if (power > st->max_short_term_power)
      st->max_short_term_power = power;
    if (n_ticks % RANGE_STEP_TICKS == 0)
      mst_bs1770_histogram_add (st->range_hist, power);
  }
}

/* ---- true peak: symmetric polyphase FIR on contiguous rows ---- */

/* Whether the interpolated points of a piece of channel c can be left
 * out: each is a sum of TP_TAPS taps, so its magnitude is at most the
 * largest phase gain sum |h| times the largest |x| in its window, which
 * lies in the row's history or the new frames (whose largest |x| is
 * @piece_peak). If that bound does not exceed the channel's reported true
 * peak, no point can raise it. */
static int
true_peak_can_skip (const MstLoudness * st, int c, const float *row,
    double piece_peak)
{
  double window_peak = piece_peak;

  for (int k = 0; k < TP_TAPS - 1; k++)
    window_peak = fabsf (row[k]) > window_peak ? fabsf (row[k]) : window_peak;
  return st->tp_gain_bound * window_peak <=
      fmax (st->os_peak[c], st->sample_peak[c]);
}

/* Runs the interpolator over the n new frames already in the row of
 * channel c, then keeps the last TP_TAPS - 1 frames as history. Output i
 * uses row[i .. i + TP_TAPS - 1]; only the largest magnitude over the
 * phases is kept (mst_tpsym_peak). */
static void
true_peak_row (MstLoudness * st, int c, float *row, size_t n)
{
  const bool mirror = st->os_factor == 4;
  float peak = mst_tpsym_peak (row, st->tp_sym_mid,
      mirror ? st->tp_sym_sum : NULL, mirror ? st->tp_sym_diff : NULL, n);

  if (peak > st->os_peak[c])
    st->os_peak[c] = peak;
  memmove (row, row + n, (TP_TAPS - 1) * sizeof (float));
}

/* ---- per-format processing ---- */

MST_ALWAYS_INLINE size_t
sample_size (MstFormat fmt)
{
  return fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float);
}

/* Frames of channel c into a true-peak row. */
MST_ALWAYS_INLINE void
fill_row (float *restrict dst, const void *in, int nch, int c, size_t n,
    MstFormat fmt)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = (float) mst_sample_get (fmt, in, i * nch + c);
}

/* One piece never crosses a tick boundary: K-weighting, sums of squares
 * and sample peaks (mst-bs1770), then, per channel, the true-peak
 * interpolator unless it cannot raise the channel's peak. */
MST_ALWAYS_INLINE void
add_piece (MstLoudness * st, const void *in, size_t n, MstFormat fmt)
{
  const int nch = st->channels;
  const size_t hist = TP_TAPS - 1;
  const bool f64 = fmt == MST_FORMAT_F64;
  double piece_peak[MST_MAX_CHANNELS];
  bool tick_done;

  /* Non-finite and absurd samples (beyond +60 dBFS, mst-core.h) are read
   * as silence, as every core reads them: a K-weighting or interpolator
   * tail from +1e30 would ring for seconds. */
  if (!mst_input_sane (in, n * nch, fmt)) {
    st->n_nonfinite += mst_input_clean (in, n * nch, st->clean, fmt);
    in = st->clean;
  }

  tick_done = f64 ? mst_bs1770_energy_add_f64 (&st->energy, in, n,
      piece_peak) : mst_bs1770_energy_add_f32 (&st->energy, in, n,
      piece_peak);
  for (int c = 0; c < nch; c++)
    if (piece_peak[c] > st->sample_peak[c])
      st->sample_peak[c] = piece_peak[c];

  if (st->strict_on && !st->strict_finished) {
    for (int c = 0; c < nch; c++) {
      float *row = mst_tpdetect_input (st->strict, c);
      fill_row (row, in, nch, c, n, fmt);
      for (size_t i = 0; i < n; i++)
        row[i] = mst_tpdetect_input_value (row[i]);
    }
    mst_tpdetect_process (st->strict, (int) n, true);
    strict_take_peaks (st, n);
  }

  for (int c = 0; c < nch && st->os_factor > 1 && !st->tp_disabled; c++) {
    float *row = st->tp_buf + c * st->tp_stride;
    if (!true_peak_can_skip (st, c, row, piece_peak[c])) {
      fill_row (row + hist, in, nch, c, n, fmt);
      true_peak_row (st, c, row, n);
    } else if (n >= hist) {
      fill_row (row, (const char *) in + (n - hist) * nch * sample_size (fmt),
          nch, c, hist, fmt);
    } else {
      memmove (row, row + n, (hist - n) * sizeof (float));
      fill_row (row + hist - n, in, nch, c, n, fmt);
    }
  }

  st->n_frames += n;
  if (tick_done)
    end_tick (st);
}

MST_ALWAYS_INLINE MstResult
loudness_add (MstLoudness * st, const void *frames, size_t n_frames,
    MstFormat fmt)
{
  MstFpuState fpu;

  if (!st || (!frames && n_frames > 0))
    return MST_ERR_INVALID_ARG;
  fpu = mst_fpu_enter_ftz ();
  while (n_frames > 0) {
    size_t n = mst_bs1770_energy_frames_to_tick (&st->energy);
    if (n > n_frames)
      n = n_frames;
    add_piece (st, frames, n, fmt);
    frames = (const char *) frames + n * st->channels * sample_size (fmt);
    n_frames -= n;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_ANALYZE (mst_loudness, MstLoudness, loudness_add)

/* ---- getters ---- */

#define CHECK_OUT(st, out) \
  do { if (!(st) || !(out)) return MST_ERR_INVALID_ARG; } while (0)

MstResult
mst_loudness_get_integrated (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = mst_bs1770_histogram_gated_lufs (st->integrated_hist,
      MST_BS1770_RELATIVE_GATE_LU);
  return MST_OK;
}

MstResult
mst_loudness_get_relative_threshold (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = mst_bs1770_histogram_relative_gate (st->integrated_hist,
      MST_BS1770_RELATIVE_GATE_LU);
  return MST_OK;
}

MstResult
mst_loudness_get_momentary (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = st->energy.n_ticks >= MOMENTARY_TICKS ?
      mst_bs1770_power_to_lufs (st->momentary_power) : -INFINITY;
  return MST_OK;
}

MstResult
mst_loudness_get_short_term (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = st->energy.n_ticks >= SHORT_TERM_TICKS ?
      mst_bs1770_power_to_lufs (st->short_term_power) : -INFINITY;
  return MST_OK;
}

MstResult
mst_loudness_get_max_momentary (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = mst_bs1770_power_to_lufs (st->max_momentary_power);
  return MST_OK;
}

MstResult
mst_loudness_get_max_short_term (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = mst_bs1770_power_to_lufs (st->max_short_term_power);
  return MST_OK;
}

MstResult
mst_loudness_get_range (const MstLoudness * st, double *lu)
{
  CHECK_OUT (st, lu);
  *lu = mst_bs1770_histogram_range (st->range_hist);
  return MST_OK;
}

static double
channel_true_peak_lin (const MstLoudness * st, int c)
{
  return st->tp_disabled ? NAN : fmax (st->os_peak[c], st->sample_peak[c]);
}

void
mst_loudness_settings_default (MstLoudnessSettings * s)
{
  s->true_peak = true;
  s->true_peak_strict = false;
}

MstResult
mst_loudness_set (MstLoudness * st, const MstLoudnessSettings * s)
{
  if (!st || !s)
    return MST_ERR_INVALID_ARG;
  if (st->strict_on != s->true_peak_strict) {
    st->strict_on = s->true_peak_strict;
    strict_restart (st);
  }
  if (st->tp_disabled == !s->true_peak)
    return MST_OK;
  st->tp_disabled = !s->true_peak;
  for (int c = 0; c < st->channels; c++)
    st->os_peak[c] = 0.0;
  /* The interpolator's history restarts too (silence). */
  memset (st->tp_buf, 0, (size_t) st->channels * st->tp_stride
      * sizeof (float));
  return MST_OK;
}

MstResult
mst_loudness_get_true_peak (const MstLoudness * st, double *dbtp)
{
  double peak = 0.0;

  CHECK_OUT (st, dbtp);
  if (st->tp_disabled) {
    *dbtp = NAN;
    return MST_OK;
  }
  for (int c = 0; c < st->channels; c++)
    peak = fmax (peak, channel_true_peak_lin (st, c));
  *dbtp = mst_lin_to_db (peak);
  return MST_OK;
}

MstResult
mst_loudness_finish (MstLoudness * st)
{
  if (!st)
    return MST_ERR_INVALID_ARG;
  if (!st->strict_on || st->strict_finished)
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  /* Silence through the detector until the last frame's interval, and
   * the ring-out after it, are read. */
  size_t left = mst_tpdetect_get_delay () + 1;
  size_t block = st->energy.tick_frames;
  while (left > 0) {
    size_t n = left < block ? left : block;
    for (int c = 0; c < st->channels; c++)
      memset (mst_tpdetect_input (st->strict, c), 0, n * sizeof (float));
    mst_tpdetect_process (st->strict, (int) n, true);
    strict_take_peaks (st, n);
    left -= n;
  }
  mst_fpu_leave (fpu);
  st->strict_finished = true;
  return MST_OK;
}

MstResult
mst_loudness_get_true_peak_strict (const MstLoudness * st, double *dbtp)
{
  double peak = 0.0;

  CHECK_OUT (st, dbtp);
  if (!st->strict_on) {
    *dbtp = NAN;
    return MST_OK;
  }
  for (int c = 0; c < st->channels; c++) {
    peak = fmax (peak, fmax (st->strict_peak[c], st->sample_peak[c]));
    if (!st->tp_disabled)
      peak = fmax (peak, channel_true_peak_lin (st, c));
  }
  *dbtp = mst_lin_to_db (peak);
  return MST_OK;
}

MstResult
mst_loudness_get_sample_peak (const MstLoudness * st, double *dbfs)
{
  double peak = 0.0;

  CHECK_OUT (st, dbfs);
  for (int c = 0; c < st->channels; c++)
    peak = fmax (peak, st->sample_peak[c]);
  *dbfs = mst_lin_to_db (peak);
  return MST_OK;
}

MstResult
mst_loudness_get_channel_true_peak (const MstLoudness * st, int channel,
    double *dbtp)
{
  CHECK_OUT (st, dbtp);
  if (channel < 0 || channel >= st->channels)
    return MST_ERR_INVALID_ARG;
  *dbtp = mst_lin_to_db (channel_true_peak_lin (st, channel));
  return MST_OK;
}

MstResult
mst_loudness_get_channel_sample_peak (const MstLoudness * st, int channel,
    double *dbfs)
{
  CHECK_OUT (st, dbfs);
  if (channel < 0 || channel >= st->channels)
    return MST_ERR_INVALID_ARG;
  *dbfs = mst_lin_to_db (st->sample_peak[channel]);
  return MST_OK;
}

MstResult
mst_loudness_get_oversampling (const MstLoudness * st, int *factor)
{
  CHECK_OUT (st, factor);
  *factor = st->os_factor;
  return MST_OK;
}

MstResult
mst_loudness_get_n_frames (const MstLoudness * st, uint64_t * n_frames)
{
  CHECK_OUT (st, n_frames);
  *n_frames = st->n_frames;
  return MST_OK;
}

uint64_t
mst_loudness_get_nonfinite_count (const MstLoudness * st)
{
  return st ? st->n_nonfinite : 0;
}
