/* mastering: the blocks of ITU-R BS.1770-4 loudness (see mst-bs1770.h).
 *
 * Numbers come from REFERENCE.md (sections 1-2); each constant cites its
 * standard. */
#include "mst-bs1770.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- channels ---- */

double
mst_bs1770_channel_weight (MstLoudnessChannel cls)
{
  /* BS.1770-4 Annex 1, Table 3: L, R, C 1.0; Ls, Rs 1.41 (+1.5 dB); LFE
   * excluded. A dual-mono channel stands for two (libebur128's 2.0). */
  static const double weight[MST_LOUDNESS_CHANNEL_N_CLASSES] = {
    [MST_LOUDNESS_CHANNEL_NORMAL] = 1.0,
    [MST_LOUDNESS_CHANNEL_SURROUND] = 1.41,
    [MST_LOUDNESS_CHANNEL_UNUSED] = 0.0,
    [MST_LOUDNESS_CHANNEL_DUAL_MONO] = 2.0,
  };
  if ((unsigned) cls >= MST_LOUDNESS_CHANNEL_N_CLASSES)
    return NAN;
  return weight[cls];
}

void
mst_bs1770_default_layout (int channels, MstLoudnessChannel * classes)
{
  for (int c = 0; c < channels; c++) {
    MstLoudnessChannel w = MST_LOUDNESS_CHANNEL_NORMAL;
    if (channels == 4)
      w = c >= 2 ? MST_LOUDNESS_CHANNEL_SURROUND : w;
    else if (channels == 5)
      w = c >= 3 ? MST_LOUDNESS_CHANNEL_SURROUND : w;
    else if (channels >= 6)
      w = c == 3 ? MST_LOUDNESS_CHANNEL_UNUSED
          : c >= 4 ? MST_LOUDNESS_CHANNEL_SURROUND : w;
    classes[c] = w;
  }
}

/* ---- K-weighting ---- */

void
mst_kweighting_design (double rate_hz, MstBiquad k[2])
{
  /* Stage 1, high shelf (BS.1770-4 Annex 1, Table 1, as the analog design
   * libebur128 fits to it; REFERENCE.md section 1). */
  const double shelf_f0_hz = 1681.974450955533;
  const double shelf_gain_db = 3.999843853973347;
  const double shelf_q = 0.7071752369554196;
  /* Stage 2, RLB high-pass (BS.1770-4 Annex 1, Table 2). */
  const double hp_f0_hz = 38.13547087602444;
  const double hp_q = 0.5003270373238773;

  double w = tan (M_PI * shelf_f0_hz / rate_hz);
  double vh = pow (10.0, shelf_gain_db / 20.0);
  /* libebur128's exponent, not exactly 1/2 (REFERENCE.md section 1). */
  double vb = pow (vh, 0.4996667741545416);
  double den = 1.0 + w / shelf_q + w * w;
  k[0].b0 = (vh + vb * w / shelf_q + w * w) / den;
  k[0].b1 = 2.0 * (w * w - vh) / den;
  k[0].b2 = (vh - vb * w / shelf_q + w * w) / den;
  k[0].a1 = 2.0 * (w * w - 1.0) / den;
  k[0].a2 = (1.0 - w / shelf_q + w * w) / den;

  w = tan (M_PI * hp_f0_hz / rate_hz);
  den = 1.0 + w / hp_q + w * w;
  /* The numerator stays (1, -2, 1), unnormalised, as in Table 2. */
  k[1].b0 = 1.0;
  k[1].b1 = -2.0;
  k[1].b2 = 1.0;
  k[1].a1 = 2.0 * (w * w - 1.0) / den;
  k[1].a2 = (1.0 - w / hp_q + w * w) / den;
}

/* ---- K-weighted tick energies ---- */

MstResult
mst_bs1770_energy_configure (MstBs1770Energy * e, double rate_hz,
    int channels, const double *weights, size_t tick_frames, int ring_ticks)
{
  MstBiquad k[2];

  if (!e || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > MST_MAX_CHANNELS || tick_frames < 1
      || ring_ticks < 1 || ring_ticks > MST_BS1770_MAX_RING_TICKS)
    return MST_ERR_INVALID_ARG;
  for (int c = 0; c < channels && weights; c++)
    if (!(weights[c] >= 0.0 && isfinite (weights[c])))
      return MST_ERR_INVALID_ARG;
  e->channels = channels;
  for (int c = 0; c < channels; c++)
    e->weight[c] = weights ? weights[c] : 1.0;
  mst_kweighting_design (rate_hz, k);
  e->shelf_b0 = k[0].b0;
  e->shelf_b1 = k[0].b1;
  e->shelf_b2 = k[0].b2;
  e->shelf_a1 = k[0].a1;
  e->shelf_a2 = k[0].a2;
  /* The high-pass numerator (1, -2, 1) is built into the filter loop. */
  e->hp_a1 = k[1].a1;
  e->hp_a2 = k[1].a2;
  e->tick_frames = tick_frames;
  e->ring_ticks = ring_ticks;
  mst_bs1770_energy_reset (e);
  return MST_OK;
}

void
mst_bs1770_energy_reset (MstBs1770Energy * e)
{
  memset (e->state, 0, sizeof (e->state));
  memset (e->tick_sum, 0, sizeof (e->tick_sum));
  memset (e->ring, 0, sizeof (e->ring));
  e->tick_pos = 0;
  e->ring_pos = 0;
  e->n_ticks = 0;
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

double
mst_bs1770_energy_power (const MstBs1770Energy * e, int n_ticks)
{
  /* The last n_ticks ticks: one or two contiguous runs. */
  int start = e->ring_pos - n_ticks;
  double sum = start >= 0 ? sum_of (e->ring + start, n_ticks)
      : sum_of (e->ring + start + e->ring_ticks, -start)
      + sum_of (e->ring, e->ring_pos);
  return sum / ((double) n_ticks * e->tick_frames);
}

static void
end_tick (MstBs1770Energy * e)
{
  double energy = 0.0;

  for (int c = 0; c < e->channels; c++)
    energy += e->weight[c] * e->tick_sum[c];
  e->ring[e->ring_pos] = energy;
  e->ring_pos = (e->ring_pos + 1) % e->ring_ticks;
  e->n_ticks++;
  memset (e->tick_sum, 0, sizeof (e->tick_sum));
  e->tick_pos = 0;
}

/* The per-frame work, built twice on x86-64: for AVX (three-operand
 * instructions, fewer register copies; no FMA, so the results are the same
 * bits) and for the baseline, chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PER_FRAME_CLONES __attribute__ ((target_clones ("avx", "default")))
#else
#define PER_FRAME_CLONES
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
MST_ALWAYS_INLINE void
k_weight_pair (const MstBs1770Energy * e, const void *in, size_t n, int nch,
    int c, int second, v2df state[4], v2df * acc, v2df * pk, MstFormat fmt)
{
  const double b0 = e->shelf_b0, b1 = e->shelf_b1, b2 = e->shelf_b2;
  const double a1 = e->shelf_a1, a2 = e->shelf_a2;
  const double h1 = e->hp_a1, h2 = e->hp_a2;
  v2df z1 = state[0], z2 = state[1], w1 = state[2], w2 = state[3];
  v2df sum = *acc, peak = *pk;

  for (size_t i = 0; i < n; i++) {
    const size_t f = i * nch + c;
    const v2df x = { mst_sample_get (fmt, in, f),
      mst_sample_get (fmt, in, f + second)
    };
    const v2df y = b0 * x + z1;
    v2df v;
    z1 = (b1 * x + z2) - a1 * y;
    z2 = b2 * x - a2 * y;
    v = y + w1;
    w1 = (w2 - (y + y)) - h1 * v;
    w2 = y - h2 * v;
    sum += v * v;
    peak = max2 (peak, abs2 (x));
  }
  state[0] = z1;
  state[1] = z2;
  state[2] = w1;
  state[3] = w2;
  *acc = sum;
  *pk = peak;
}

MST_ALWAYS_INLINE bool
energy_add (MstBs1770Energy * e, const void *in, size_t n,
    double *piece_peak, MstFormat fmt)
{
  const int nch = e->channels;

  for (int c = 0; c < nch; c += 2) {
    const int pair = c + 1 < nch;
    v2df state[4], pk = { 0.0, 0.0 };
    v2df acc = { e->tick_sum[c], e->tick_sum[c + pair] };
    for (int k = 0; k < 4; k++)
      state[k] = (v2df) { e->state[c][k], e->state[c + pair][k] };
    /* Stereo, the common case, with its stride known to the compiler. */
    if (nch == 2)
      k_weight_pair (e, in, n, 2, 0, 1, state, &acc, &pk, fmt);
    else if (pair)
      k_weight_pair (e, in, n, nch, c, 1, state, &acc, &pk, fmt);
    else
      k_weight_pair (e, in, n, nch, c, 0, state, &acc, &pk, fmt);
    for (int j = 0; j <= pair; j++) {
      for (int k = 0; k < 4; k++)
        e->state[c + j][k] = state[k][j];
      e->tick_sum[c + j] = acc[j];
      piece_peak[c + j] = pk[j];
    }
  }

  /* Finite input keeps all this finite; a bug must not stick. */
  for (int c = 0; c < nch; c++) {
    double *s = e->state[c];
    if (!isfinite (s[0] + s[1] + s[2] + s[3]))
      memset (s, 0, sizeof (e->state[c]));
    if (!isfinite (e->tick_sum[c]))
      e->tick_sum[c] = 0.0;
  }

  e->tick_pos += n;
  if (e->tick_pos < e->tick_frames)
    return false;
  end_tick (e);
  return true;
}

bool PER_FRAME_CLONES
mst_bs1770_energy_add_f32 (MstBs1770Energy * e, const float *frames,
    size_t n, double *piece_peak)
{
  return energy_add (e, frames, n, piece_peak, MST_FORMAT_F32);
}

bool PER_FRAME_CLONES
mst_bs1770_energy_add_f64 (MstBs1770Energy * e, const double *frames,
    size_t n, double *piece_peak)
{
  return energy_add (e, frames, n, piece_peak, MST_FORMAT_F64);
}


/* ---- gating histogram ---- */

void
mst_bs1770_histogram_reset (MstBs1770Histogram * h)
{
  memset (h, 0, sizeof (*h));
}

void
mst_bs1770_histogram_add (MstBs1770Histogram * h, double power)
{
  int idx;

  /* BS.1770-4: a block counts when strictly above the absolute gate. */
  if (!(power > mst_bs1770_lufs_to_power (MST_BS1770_ABSOLUTE_GATE_LUFS)))
    return;
  idx = (int) floor ((mst_bs1770_power_to_lufs (power)
          - MST_BS1770_ABSOLUTE_GATE_LUFS) * MST_BS1770_HIST_BINS_PER_LU);
  if (idx < 0)
    idx = 0;
  if (idx >= MST_BS1770_HIST_N_BINS)
    idx = MST_BS1770_HIST_N_BINS - 1;
  if (h->total_count == 0 || idx < h->begin_bin)
    h->begin_bin = idx;
  h->count[idx]++;
  if (idx >= h->end_bin)
    h->end_bin = idx + 1;
  h->power[idx] += power;
  h->total_count++;
  h->total_power += power;
}

double
mst_bs1770_histogram_relative_gate (const MstBs1770Histogram * h,
    double gate_lu)
{
  if (h->total_count == 0)
    return -INFINITY;
  return mst_bs1770_power_to_lufs (h->total_power / h->total_count)
      + gate_lu;
}

/* Blocks above the relative gate @gate_lu below the power mean of all
 * blocks (at least one): the first bin included, through @first_bin; the
 * bin holding the gate is included when its own mean is above the gate.
 * Returns the number of blocks included and their summed power. */
static uint64_t
histogram_gate (const MstBs1770Histogram * h, double gate_lu,
    int *first_bin, double *power_sum)
{
  double gate_power = h->total_power / h->total_count *
      pow (10.0, gate_lu / 10.0);
  double gate_lufs = mst_bs1770_power_to_lufs (gate_power);
  int g = (int) floor ((gate_lufs - MST_BS1770_ABSOLUTE_GATE_LUFS) *
      MST_BS1770_HIST_BINS_PER_LU);
  uint64_t n = 0;
  double sum = 0.0;

  if (g < 0)
    g = 0;
  if (g >= MST_BS1770_HIST_N_BINS)
    g = MST_BS1770_HIST_N_BINS - 1;
  if (g < MST_BS1770_HIST_N_BINS - 1
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

double
mst_bs1770_histogram_gated_lufs (const MstBs1770Histogram * h,
    double gate_lu)
{
  double sum;
  uint64_t n;
  int first;

  if (h->total_count == 0)
    return -INFINITY;
  n = histogram_gate (h, gate_lu, &first, &sum);
  return n > 0 ? mst_bs1770_power_to_lufs (sum / n) : -INFINITY;
}

/* Loudness of the value at 0-based rank @k among the gated ones. */
static double
histogram_rank_lufs (const MstBs1770Histogram * h, int first, uint64_t k)
{
  uint64_t cum = 0;

  for (int i = first > h->begin_bin ? first : h->begin_bin; i < h->end_bin;
      i++) {
    cum += h->count[i];
    if (cum > k)
      return mst_bs1770_power_to_lufs (h->power[i] / h->count[i]);
  }
  return -INFINITY;
}

double
mst_bs1770_histogram_range (const MstBs1770Histogram * h)
{
  double sum, lo, hi;
  uint64_t n;
  int first;

  if (h->total_count == 0)
    return 0.0;
  n = histogram_gate (h, MST_BS1770_RANGE_RELATIVE_GATE_LU, &first, &sum);
  if (n == 0)
    return 0.0;
  /* EBU Tech 3342 reference: 1-based index round ((n - 1) p + 1). */
  lo = histogram_rank_lufs (h, first,
      (uint64_t) floor ((n - 1) * MST_BS1770_RANGE_LOW_PERCENTILE + 0.5));
  hi = histogram_rank_lufs (h, first,
      (uint64_t) floor ((n - 1) * MST_BS1770_RANGE_HIGH_PERCENTILE + 0.5));
  return hi - lo;
}
