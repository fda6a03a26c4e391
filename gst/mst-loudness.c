/* mastering: loudness and true-peak measurement, ITU-R BS.1770-4 / EBU R128.
 *
 * Numbers come from /work/shared/REFERENCE.md (sections 1-3); each constant
 * cites its standard. */
#include "mst-loudness.h"
#include "mst-truepeak.h"
#include "mst-kmeter.h"
#include "mst-fpu.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

#include <float.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Time base: everything advances in ticks of 10 ms. */
#define TICKS_PER_SECOND 100
/* BS.1770-4 Annex 1: gating blocks of 400 ms with 75 % overlap (100 ms
 * step); EBU Tech 3341: momentary 400 ms, short-term 3 s. */
#define MOMENTARY_TICKS 40
#define SHORT_TERM_TICKS 300
#define BLOCK_STEP_TICKS 10
/* EBU Tech 3342: short-term values for the loudness range at >= 10 Hz. */
#define RANGE_STEP_TICKS 10

/* BS.1770-4 Annex 1, eq. 2: L = -0.691 + 10 log10 (sum G_i z_i). */
#define LOUDNESS_OFFSET_DB (-0.691)
/* BS.1770-4 Annex 1 clause 5: absolute gate -70 LKFS, relative -10 LU. */
#define ABSOLUTE_GATE_LUFS (-70.0)
#define INTEGRATED_RELATIVE_GATE_LU (-10.0)
/* EBU Tech 3342: relative gate -20 LU; 10th to 95th percentile. */
#define RANGE_RELATIVE_GATE_LU (-20.0)
#define RANGE_LOW_PERCENTILE 0.10
#define RANGE_HIGH_PERCENTILE 0.95

/* Gating histogram: 0.01 LU bins from -70 to +10 LUFS (as FFmpeg's
 * f_ebur128); louder blocks go to the top bin. */
#define HIST_MIN_LUFS ABSOLUTE_GATE_LUFS
#define HIST_BINS_PER_LU 100
#define HIST_N_BINS 8000

/* BS.1770-4 Annex 1, Table 3: channel weights. */
#define WEIGHT_NORMAL 1.0
#define WEIGHT_SURROUND 1.41
#define WEIGHT_DUAL_MONO 2.0

/* True-peak interpolator: the meters' interpolator of BS.1770-4 Annex 2
 * (4x oversampling, 12 taps per phase, mst_truepeak_design_bs1770: a
 * Hann-windowed sinc as libebur128 builds it), the one the limiter holds
 * its ceiling by, so this meter never reads the limiter's output over its
 * ceiling. Phase 0 is the input itself (the sinc is zero at every other
 * input sample), so only phases 1 to L-1 are computed and the sample peak
 * stands for phase 0. */
#define TP_TAPS MST_TRUEPEAK_BS1770_TAPS
/* The symmetric kernels take taps four at a time: half the taps, rounded
 * up to four, the extra ones zero. */
#define TP_HALF_PADDED ((TP_TAPS / 2 + 3) / 4 * 4)
#define TP_MAX_PHASES 4
/* Peak search runs in this many independent lanes so it vectorises
 * without reassociating a reduction. */
#define TP_LANES 8
/* Slack on the bound that lets a piece skip the interpolator: the float
 * sums of 12 products round by far less than 1e-4 of their magnitude. */
#define TP_BOUND_SLACK 1e-4

typedef struct {
  uint64_t count[HIST_N_BINS];
  double power[HIST_N_BINS];
  uint64_t total_count;
  double total_power;
  /* The lowest bin holding a block, and one past the highest (both 0
   * when empty): the scans cover only these, not the whole scale. */
  int begin_bin, end_bin;
} GateHistogram;

struct MstLoudness {
  double rate_hz;
  int channels;
  double weight[MST_MAX_CHANNELS];

  /* K-weighting (BS.1770-4 Annex 1): shelf, then RLB high-pass whose
   * numerator is (1, -2, 1). Direct form II transposed, two states each. */
  double shelf_b0, shelf_b1, shelf_b2, shelf_a1, shelf_a2;
  double hp_a1, hp_a2;
  double kstate[MST_MAX_CHANNELS][4];

  size_t tick_frames;
  size_t tick_pos;
  /* Sum of squares of each K-weighted channel over the current tick, in
   * frame order whatever the pieces, so results do not depend on how the
   * input is cut. */
  double tick_sum[MST_MAX_CHANNELS];
  double ring[SHORT_TERM_TICKS];        /* energy of the last ticks */
  int ring_pos;
  uint64_t n_ticks;
  double momentary_power, short_term_power;
  double max_momentary_power, max_short_term_power;
  double absolute_gate_power;

  GateHistogram *integrated_hist;
  GateHistogram *range_hist;

  double sample_peak[MST_MAX_CHANNELS];
  /* Interpolated phases only, and only where they could raise the
   * channel's reported peak max (os_peak, sample_peak): pieces that cannot
   * are skipped (true_peak_can_skip). */
  double os_peak[MST_MAX_CHANNELS];

  int os_factor;
  bool tp_disabled;             /* mst_loudness_set_true_peak_enabled */
  /* The interpolator in symmetric form (mst_orc_fir_sym4_f32): the middle
   * phase's first half, and half the sum and half the difference of the
   * mirror pair of phases 1 and 3 (4x only; zero at 2x). */
  float tp_sym_mid[TP_HALF_PADDED];
  float tp_sym_sum[TP_HALF_PADDED];
  float tp_sym_diff[TP_HALF_PADDED];
  /* Largest sum |h| over the phases, with TP_BOUND_SLACK. */
  double tp_gain_bound;
  /* Three outputs of tick_frames each (mst_orc_fir_sym4_f32's m and a,
   * mst_orc_fir_asym4_f32's b). */
  float *tp_scratch;
  /* Per channel: TP_TAPS - 1 frames of history, then up to tick_frames new
   * ones, contiguous so the FIR runs on unit-stride arrays. */
  float *tp_buf;
  size_t tp_stride;

  /* Sanitised copy of a piece that held NaN or Inf (tick_frames frames). */
  double *clean;

  uint64_t n_frames;
  uint64_t n_nonfinite;
};

static double
power_to_lufs (double power)
{
  return LOUDNESS_OFFSET_DB + 10.0 * log10 (power);
}

static double
lufs_to_power (double lufs)
{
  return pow (10.0, (lufs - LOUDNESS_OFFSET_DB) / 10.0);
}

/* K-weighting for any rate: mst_kweighting_design (mst-kmeter.h), the one
 * design for every meter of the project. */
static void
design_k_weighting (MstLoudness * st)
{
  MstBiquad k[2];
  mst_kweighting_design (st->rate_hz, k);
  st->shelf_b0 = k[0].b0;
  st->shelf_b1 = k[0].b1;
  st->shelf_b2 = k[0].b2;
  st->shelf_a1 = k[0].a1;
  st->shelf_a2 = k[0].a2;
  /* The high-pass numerator (1, -2, 1) is built into the filter loop. */
  st->hp_a1 = k[1].a1;
  st->hp_a2 = k[1].a2;
}

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
  size_t n;

  if (!(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return NULL;
  if (channels < 1 || channels > MST_MAX_CHANNELS)
    return NULL;

  st = calloc (1, sizeof (*st));
  if (!st)
    goto fail;
  st->rate_hz = rate_hz;
  st->channels = channels;

  for (int c = 0; c < channels; c++) {
    MstLoudnessChannel w = MST_LOUDNESS_CHANNEL_NORMAL;
    if (weights) {
      w = weights[c];
    } else if (channels == 4) {
      w = c >= 2 ? MST_LOUDNESS_CHANNEL_SURROUND : MST_LOUDNESS_CHANNEL_NORMAL;
    } else if (channels == 5) {
      w = c >= 3 ? MST_LOUDNESS_CHANNEL_SURROUND : MST_LOUDNESS_CHANNEL_NORMAL;
    } else if (channels >= 6) {
      w = c == 3 ? MST_LOUDNESS_CHANNEL_UNUSED :
          c >= 4 ? MST_LOUDNESS_CHANNEL_SURROUND : MST_LOUDNESS_CHANNEL_NORMAL;
    }
    switch (w) {
      case MST_LOUDNESS_CHANNEL_NORMAL:
        st->weight[c] = WEIGHT_NORMAL;
        break;
      case MST_LOUDNESS_CHANNEL_SURROUND:
        st->weight[c] = WEIGHT_SURROUND;
        break;
      case MST_LOUDNESS_CHANNEL_UNUSED:
        st->weight[c] = 0.0;
        break;
      case MST_LOUDNESS_CHANNEL_DUAL_MONO:
        st->weight[c] = WEIGHT_DUAL_MONO;
        break;
      default:
        goto fail;
    }
  }

  /* BS.1770-4 Annex 1: block length rounded to the nearest sample. */
  st->tick_frames = (size_t) floor (rate_hz / TICKS_PER_SECOND + 0.5);
  st->absolute_gate_power = lufs_to_power (ABSOLUTE_GATE_LUFS);
  design_k_weighting (st);

  /* BS.1770-4 Annex 2: 4x to reach >= 192 kHz from 48 kHz; 96 kHz input
   * needs only 2x. Like libebur128, 44.1 kHz gets 4x (176.4 kHz). */
  st->os_factor = rate_hz < 96000 ? 4 : rate_hz < 192000 ? 2 : 1;
  design_true_peak (st);

  st->integrated_hist = calloc (1, sizeof (GateHistogram));
  st->range_hist = calloc (1, sizeof (GateHistogram));
  if (!st->integrated_hist || !st->range_hist)
    goto fail;

  /* History and a tick; rows stay 32-byte aligned relative to the first. */
  st->tp_stride = st->tick_frames + TP_TAPS - 1;
  st->tp_stride = (st->tp_stride + TP_LANES - 1) & ~(size_t) (TP_LANES - 1);
  if (!mst_size_mul (st->tp_stride, (size_t) channels, &n)
      || !mst_size_mul (n, sizeof (float), &n))
    goto fail;
  st->tp_buf = malloc (n);
  if (!mst_size_mul (st->tick_frames, 3 * sizeof (float), &n))
    goto fail;
  st->tp_scratch = malloc (n);
  if (!mst_size_mul (st->tick_frames, (size_t) channels, &n)
      || !mst_size_mul (n, sizeof (double), &n))
    goto fail;
  st->clean = malloc (n);
  if (!st->tp_buf || !st->tp_scratch || !st->clean)
    goto fail;

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
  free ((*st)->tp_scratch);
  free ((*st)->clean);
  free (*st);
  *st = NULL;
}

MstResult
mst_loudness_reset (MstLoudness * st)
{
  if (!st)
    return MST_ERR_INVALID_ARG;
  memset (st->kstate, 0, sizeof (st->kstate));
  st->tick_pos = 0;
  memset (st->tick_sum, 0, sizeof (st->tick_sum));
  memset (st->ring, 0, sizeof (st->ring));
  st->ring_pos = 0;
  st->n_ticks = 0;
  st->momentary_power = 0.0;
  st->short_term_power = 0.0;
  st->max_momentary_power = 0.0;
  st->max_short_term_power = 0.0;
  memset (st->integrated_hist, 0, sizeof (GateHistogram));
  memset (st->range_hist, 0, sizeof (GateHistogram));
  memset (st->sample_peak, 0, sizeof (st->sample_peak));
  memset (st->os_peak, 0, sizeof (st->os_peak));
  memset (st->tp_buf, 0, st->tp_stride * st->channels * sizeof (float));
  st->n_frames = 0;
  st->n_nonfinite = 0;
  return MST_OK;
}

/* ---- per-tick bookkeeping (type independent) ---- */

static void
histogram_add (GateHistogram * h, double power, double absolute_gate_power)
{
  int idx;

  /* BS.1770-4: a block counts when strictly above the absolute gate. */
  if (!(power > absolute_gate_power))
    return;
  idx = (int) floor ((power_to_lufs (power) - HIST_MIN_LUFS) *
      HIST_BINS_PER_LU);
  if (idx < 0)
    idx = 0;
  if (idx >= HIST_N_BINS)
    idx = HIST_N_BINS - 1;
  if (h->total_count == 0 || idx < h->begin_bin)
    h->begin_bin = idx;
  h->count[idx]++;
  if (idx >= h->end_bin)
    h->end_bin = idx + 1;
  h->power[idx] += power;
  h->total_count++;
  h->total_power += power;
}

/* Blocks above the relative gate @gate_lu below the power mean of all
 * blocks: the first bin included, through @first_bin; the bin holding the
 * gate is included when its own mean is above the gate. Returns the number
 * of blocks included and their summed power. */
static uint64_t
histogram_gate (const GateHistogram * h, double gate_lu, int *first_bin,
    double *power_sum)
{
  double gate_power = h->total_power / h->total_count *
      pow (10.0, gate_lu / 10.0);
  double gate_lufs = power_to_lufs (gate_power);
  int g = (int) floor ((gate_lufs - HIST_MIN_LUFS) * HIST_BINS_PER_LU);
  uint64_t n = 0;
  double sum = 0.0;

  if (g < 0)
    g = 0;
  if (g >= HIST_N_BINS)
    g = HIST_N_BINS - 1;
  if (g < HIST_N_BINS - 1
      && (h->count[g] == 0 || !(h->power[g] / h->count[g] > gate_power)))
    g++;
  *first_bin = g;
  for (int i = g > h->begin_bin ? g : h->begin_bin; i < h->end_bin; i++) {
    n += h->count[i];
    sum += h->power[i];
  }
  *power_sum = sum;
  return n;
}

/* Sum of n doubles in RING_LANES independent lanes, so that it
 * vectorises without reassociating a reduction. */
#define RING_LANES 4
static double
sum_of (const double *v, int n)
{
  double lane[RING_LANES] = { 0 };
  double sum = 0.0;
  int i;

  for (i = 0; i + RING_LANES <= n; i += RING_LANES)
    for (int j = 0; j < RING_LANES; j++)
      lane[j] += v[i + j];
  for (; i < n; i++)
    sum += v[i];
  for (int j = 0; j < RING_LANES; j++)
    sum += lane[j];
  return sum;
}

/* Energy of the last n_ticks ticks: one or two contiguous runs. */
static double
ring_sum (const MstLoudness * st, int n_ticks)
{
  int start = st->ring_pos - n_ticks;

  if (start >= 0)
    return sum_of (st->ring + start, n_ticks);
  return sum_of (st->ring + start + SHORT_TERM_TICKS, -start) +
      sum_of (st->ring, st->ring_pos);
}

static void
end_tick (MstLoudness * st)
{
  double energy = 0.0;

  for (int c = 0; c < st->channels; c++)
    energy += st->weight[c] * st->tick_sum[c];
  st->ring[st->ring_pos] = energy;
  st->ring_pos = (st->ring_pos + 1) % SHORT_TERM_TICKS;
  st->n_ticks++;
  memset (st->tick_sum, 0, sizeof (st->tick_sum));
  st->tick_pos = 0;

  if (st->n_ticks >= MOMENTARY_TICKS) {
    double power = ring_sum (st, MOMENTARY_TICKS) /
        ((double) MOMENTARY_TICKS * st->tick_frames);
    st->momentary_power = power;
    if (power > st->max_momentary_power)
      st->max_momentary_power = power;
    if (st->n_ticks % BLOCK_STEP_TICKS == 0)
      histogram_add (st->integrated_hist, power, st->absolute_gate_power);
  }
  if (st->n_ticks >= SHORT_TERM_TICKS) {
    double power = ring_sum (st, SHORT_TERM_TICKS) /
        ((double) SHORT_TERM_TICKS * st->tick_frames);
    st->short_term_power = power;
    if (power > st->max_short_term_power)
      st->max_short_term_power = power;
    if (st->n_ticks % RANGE_STEP_TICKS == 0)
      histogram_add (st->range_hist, power, st->absolute_gate_power);
  }
}

/* ---- true peak: symmetric polyphase FIR (ORC) on contiguous rows ---- */

/* Largest of n floats; TP_LANES independent lanes, so it vectorises
 * without reassociating a reduction. */
static float
max_of (const float *restrict v, size_t n)
{
  float lane[TP_LANES] = { 0 };
  float peak = 0.0f;
  size_t i;

  for (i = 0; i + TP_LANES <= n; i += TP_LANES)
    for (int j = 0; j < TP_LANES; j++)
      lane[j] = v[i + j] > lane[j] ? v[i + j] : lane[j];
  for (; i < n; i++)
    peak = v[i] > peak ? v[i] : peak;
  for (int j = 0; j < TP_LANES; j++)
    peak = lane[j] > peak ? lane[j] : peak;
  return peak;
}

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
 * uses row[i .. i + TP_TAPS - 1] and the mirror tap of row + k is
 * row + TP_TAPS - 1 - k; only the largest magnitude over the phases is
 * kept (mst_orc_tp_peak_f32). */
static void
true_peak_row (MstLoudness * st, int c, float *row, size_t n)
{
  float *m = st->tp_scratch;
  float *a = m + st->tick_frames, *b = a + st->tick_frames;
  const float *hm = st->tp_sym_mid, *ha = st->tp_sym_sum;
  const float *hb = st->tp_sym_diff;
  float peak;

  memset (m, 0, n * sizeof (float));
  memset (a, 0, n * sizeof (float));
  memset (b, 0, n * sizeof (float));
  for (int k = 0; k < TP_HALF_PADDED; k += 4) {
    const float *x = row + k, *r = row + TP_TAPS - 1 - k;
    mst_orc_fir_sym4_f32 (m, a, x, x + 1, x + 2, x + 3, r, r - 1, r - 2,
        r - 3, hm[k], hm[k + 1], hm[k + 2], hm[k + 3], ha[k], ha[k + 1],
        ha[k + 2], ha[k + 3], n);
    if (st->os_factor == 4)
      mst_orc_fir_asym4_f32 (b, x, x + 1, x + 2, x + 3, r, r - 1, r - 2,
          r - 3, hb[k], hb[k + 1], hb[k + 2], hb[k + 3], n);
  }
  mst_orc_tp_peak_f32 (m, a, b, n);
  peak = max_of (m, n);
  if (peak > st->os_peak[c])
    st->os_peak[c] = peak;
  memmove (row, row + n, (TP_TAPS - 1) * sizeof (float));
}

/* ---- per-format processing ---- */

/* The per-frame work, built twice on x86-64: for AVX (three-operand
 * instructions, fewer register copies; no FMA, so the results are the same
 * bits) and for the baseline, chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MST_K_WEIGHT_CLONES __attribute__ ((target_clones ("avx", "default")))
#else
#define MST_K_WEIGHT_CLONES
#endif

typedef double v2df __attribute__ ((vector_size (16)));
typedef int64_t v2di __attribute__ ((vector_size (16)));

static inline v2df
abs2 (v2df x)
{
  const v2di magnitude = { INT64_MAX, INT64_MAX };
  return (v2df) ((v2di) x & magnitude);
}

static inline v2df
max2 (v2df a, v2df b)
{
#ifdef __SSE2__
  return _mm_max_pd (a, b);
#else
  v2di a_larger = a > b;
  return (v2df) (((v2di) a & a_larger) | ((v2di) b & ~a_larger));
#endif
}

/* K-weighting (shelf, then the RLB high-pass whose numerator is (1, -2,
 * 1), both direct form II transposed) of two channels at once, one per
 * vector lane: channels c and c + @second (0 repeats channel c in lane 1).
 * Adds the sums of squares to @acc and takes the sample peaks into @pk.
 * The parts of each state update that do not depend on this frame's output
 * are added first, so the recursion is one add, one multiply and one
 * subtraction per frame. */
#define DEFINE_KWEIGHT(sfx, TYPE)                                             \
static inline __attribute__ ((always_inline)) void                            \
k_weight_pair_##sfx (const MstLoudness * st, const TYPE * in, size_t n,      \
    int nch, int c, int second, v2df state[4], v2df * acc, v2df * pk)         \
{                                                                             \
  const double b0 = st->shelf_b0, b1 = st->shelf_b1, b2 = st->shelf_b2;       \
  const double a1 = st->shelf_a1, a2 = st->shelf_a2;                          \
  const double h1 = st->hp_a1, h2 = st->hp_a2;                                \
  v2df z1 = state[0], z2 = state[1], w1 = state[2], w2 = state[3];            \
  v2df sum = *acc, peak = *pk;                                                \
                                                                              \
  for (size_t i = 0; i < n; i++) {                                            \
    const TYPE *f = in + i * nch + c;                                         \
    const v2df x = { f[0], f[second] };                                       \
    const v2df y = b0 * x + z1;                                               \
    v2df v;                                                                   \
    z1 = (b1 * x + z2) - a1 * y;                                              \
    z2 = b2 * x - a2 * y;                                                     \
    v = y + w1;                                                               \
    w1 = (w2 - (y + y)) - h1 * v;                                             \
    w2 = y - h2 * v;                                                          \
    sum += v * v;                                                             \
    peak = max2 (peak, abs2 (x));                                             \
  }                                                                           \
  state[0] = z1; state[1] = z2; state[2] = w1; state[3] = w2;                 \
  *acc = sum;                                                                 \
  *pk = peak;                                                                 \
}                                                                             \
                                                                              \
/* Whether all n samples are finite: x - x is +0 for a finite x and NaN   \
 * for Inf or NaN, and NaN stays in a sum. Lanes, so that it vectorises. */   \
static int                                                                    \
all_finite_##sfx (const TYPE * x, size_t n)                                   \
{                                                                             \
  TYPE lane[TP_LANES] = { 0 };                                                \
  TYPE sum = 0;                                                               \
  size_t i;                                                                   \
                                                                              \
  for (i = 0; i + TP_LANES <= n; i += TP_LANES)                               \
    for (int j = 0; j < TP_LANES; j++)                                        \
      lane[j] += x[i + j] - x[i + j];                                         \
  for (; i < n; i++)                                                          \
    sum += x[i] - x[i];                                                       \
  for (int j = 0; j < TP_LANES; j++)                                          \
    sum += lane[j];                                                           \
  return sum == 0;                                                            \
}                                                                             \
                                                                              \
/* Frames of channel c into a true-peak row. */                               \
static void                                                                   \
fill_row_##sfx (float *restrict dst, const TYPE * in, int nch, int c,        \
    size_t n)                                                                 \
{                                                                             \
  for (size_t i = 0; i < n; i++)                                              \
    dst[i] = (float) in[i * nch + c];                                         \
}

/* One piece never crosses a tick boundary. K-weighting, sums of squares
 * and sample peaks two channels at a time; then, per channel, the
 * true-peak interpolator unless it cannot raise the channel's peak. */
#define DEFINE_ADD_FUNC(sfx, TYPE, ABS, MAXV)                                 \
DEFINE_KWEIGHT (sfx, TYPE)                                                    \
                                                                              \
static void MST_K_WEIGHT_CLONES                                               \
add_piece_##sfx (MstLoudness * st, const TYPE * in, size_t n)                 \
{                                                                             \
  const int nch = st->channels;                                               \
  const size_t hist = TP_TAPS - 1;                                            \
  double piece_peak[MST_MAX_CHANNELS];                                        \
                                                                              \
  if (!all_finite_##sfx (in, n * nch)) {                                      \
    TYPE *clean = (TYPE *) st->clean;                                         \
    for (size_t i = 0; i < n * nch; i++) {                                    \
      if (ABS (in[i]) <= MAXV) {                                              \
        clean[i] = in[i];                                                     \
      } else {                                                                \
        clean[i] = 0;                                                         \
        st->n_nonfinite++;                                                    \
      }                                                                       \
    }                                                                         \
    in = clean;                                                               \
  }                                                                           \
                                                                              \
  for (int c = 0; c < nch; c += 2) {                                          \
    const int pair = c + 1 < nch;                                             \
    v2df state[4], pk = { 0.0, 0.0 };                                         \
    v2df acc = { st->tick_sum[c], st->tick_sum[c + pair] };                   \
    for (int k = 0; k < 4; k++)                                               \
      state[k] = (v2df) { st->kstate[c][k], st->kstate[c + pair][k] };        \
    /* Stereo, the common case, with its stride known to the compiler. */     \
    if (nch == 2)                                                             \
      k_weight_pair_##sfx (st, in, n, 2, 0, 1, state, &acc, &pk);             \
    else if (pair)                                                            \
      k_weight_pair_##sfx (st, in, n, nch, c, 1, state, &acc, &pk);           \
    else                                                                      \
      k_weight_pair_##sfx (st, in, n, nch, c, 0, state, &acc, &pk);           \
    for (int j = 0; j <= pair; j++) {                                         \
      for (int k = 0; k < 4; k++)                                             \
        st->kstate[c + j][k] = state[k][j];                                   \
      st->tick_sum[c + j] = acc[j];                                           \
      piece_peak[c + j] = pk[j];                                              \
      if (pk[j] > st->sample_peak[c + j])                                     \
        st->sample_peak[c + j] = pk[j];                                       \
    }                                                                         \
  }                                                                           \
                                                                              \
  for (int c = 0; c < nch && st->os_factor > 1 && !st->tp_disabled; c++) {   \
    float *row = st->tp_buf + c * st->tp_stride;                              \
    if (!true_peak_can_skip (st, c, row, piece_peak[c])) {                    \
      fill_row_##sfx (row + hist, in, nch, c, n);                             \
      true_peak_row (st, c, row, n);                                          \
    } else if (n >= hist) {                                                   \
      fill_row_##sfx (row, in + (n - hist) * nch, nch, c, hist);              \
    } else {                                                                  \
      memmove (row, row + n, (hist - n) * sizeof (float));                    \
      fill_row_##sfx (row + hist - n, in, nch, c, n);                         \
    }                                                                         \
  }                                                                           \
                                                                              \
  /* A non-finite state can only come from a bug, but must not stick. */      \
  for (int c = 0; c < nch; c++) {                                             \
    double *s = st->kstate[c];                                                \
    if (!isfinite (s[0] + s[1] + s[2] + s[3]))                                \
      memset (s, 0, sizeof (st->kstate[c]));                                  \
    if (!isfinite (st->tick_sum[c]))                                          \
      st->tick_sum[c] = 0.0;                                                  \
  }                                                                           \
                                                                              \
  st->tick_pos += n;                                                          \
  st->n_frames += n;                                                          \
  if (st->tick_pos == st->tick_frames)                                        \
    end_tick (st);                                                            \
}                                                                             \
                                                                              \
MstResult                                                                     \
mst_loudness_add_##sfx (MstLoudness * st, const TYPE * frames,                \
    size_t n_frames)                                                          \
{                                                                             \
  MstFpuState fpu;                                                            \
                                                                              \
  if (!st || (!frames && n_frames > 0))                                       \
    return MST_ERR_INVALID_ARG;                                               \
  fpu = mst_fpu_enter_ftz ();                                                 \
  while (n_frames > 0) {                                                      \
    size_t n = st->tick_frames - st->tick_pos;                                \
    if (n > n_frames)                                                         \
      n = n_frames;                                                           \
    add_piece_##sfx (st, frames, n);                                          \
    frames += n * st->channels;                                               \
    n_frames -= n;                                                            \
  }                                                                           \
  mst_fpu_leave (fpu);                                                        \
  return MST_OK;                                                              \
}

DEFINE_ADD_FUNC (f32, float, fabsf, FLT_MAX)
DEFINE_ADD_FUNC (f64, double, fabs, DBL_MAX)

/* ---- getters ---- */

#define CHECK_OUT(st, out) \
  do { if (!(st) || !(out)) return MST_ERR_INVALID_ARG; } while (0)

MstResult
mst_loudness_get_integrated (const MstLoudness * st, double *lufs)
{
  const GateHistogram *h;
  double sum;
  uint64_t n;
  int first;

  CHECK_OUT (st, lufs);
  h = st->integrated_hist;
  *lufs = -INFINITY;
  if (h->total_count == 0)
    return MST_OK;
  n = histogram_gate (h, INTEGRATED_RELATIVE_GATE_LU, &first, &sum);
  if (n > 0)
    *lufs = power_to_lufs (sum / n);
  return MST_OK;
}

MstResult
mst_loudness_get_relative_threshold (const MstLoudness * st, double *lufs)
{
  const GateHistogram *h;

  CHECK_OUT (st, lufs);
  h = st->integrated_hist;
  *lufs = -INFINITY;
  if (h->total_count > 0)
    *lufs = power_to_lufs (h->total_power / h->total_count) +
        INTEGRATED_RELATIVE_GATE_LU;
  return MST_OK;
}

MstResult
mst_loudness_get_momentary (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = st->n_ticks >= MOMENTARY_TICKS ?
      power_to_lufs (st->momentary_power) : -INFINITY;
  return MST_OK;
}

MstResult
mst_loudness_get_short_term (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = st->n_ticks >= SHORT_TERM_TICKS ?
      power_to_lufs (st->short_term_power) : -INFINITY;
  return MST_OK;
}

MstResult
mst_loudness_get_max_momentary (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = power_to_lufs (st->max_momentary_power);
  return MST_OK;
}

MstResult
mst_loudness_get_max_short_term (const MstLoudness * st, double *lufs)
{
  CHECK_OUT (st, lufs);
  *lufs = power_to_lufs (st->max_short_term_power);
  return MST_OK;
}

/* Loudness of the value at 0-based rank @k among the gated ones. */
static double
histogram_rank_lufs (const GateHistogram * h, int first, uint64_t k)
{
  uint64_t cum = 0;

  for (int i = first > h->begin_bin ? first : h->begin_bin; i < h->end_bin;
      i++) {
    cum += h->count[i];
    if (cum > k)
      return power_to_lufs (h->power[i] / h->count[i]);
  }
  return -INFINITY;
}

MstResult
mst_loudness_get_range (const MstLoudness * st, double *lu)
{
  const GateHistogram *h;
  double sum, lo, hi;
  uint64_t n;
  int first;

  CHECK_OUT (st, lu);
  h = st->range_hist;
  *lu = 0.0;
  if (h->total_count == 0)
    return MST_OK;
  n = histogram_gate (h, RANGE_RELATIVE_GATE_LU, &first, &sum);
  if (n == 0)
    return MST_OK;
  /* EBU Tech 3342 reference: 1-based index round ((n - 1) p + 1). */
  lo = histogram_rank_lufs (h, first,
      (uint64_t) floor ((n - 1) * RANGE_LOW_PERCENTILE + 0.5));
  hi = histogram_rank_lufs (h, first,
      (uint64_t) floor ((n - 1) * RANGE_HIGH_PERCENTILE + 0.5));
  *lu = hi - lo;
  return MST_OK;
}

static double
channel_true_peak_lin (const MstLoudness * st, int c)
{
  return st->tp_disabled ? NAN : fmax (st->os_peak[c], st->sample_peak[c]);
}

MstResult
mst_loudness_set_true_peak_enabled (MstLoudness * st, bool enabled)
{
  if (!st)
    return MST_ERR_INVALID_ARG;
  st->tp_disabled = !enabled;
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

MstResult
mst_loudness_get_n_nonfinite (const MstLoudness * st, uint64_t * n_samples)
{
  CHECK_OUT (st, n_samples);
  *n_samples = st->n_nonfinite;
  return MST_OK;
}
