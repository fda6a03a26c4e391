/* mastering: true-peak lookahead limiter.
 *
 * Detection: the input (after input gain) is oversampled 4x in two stages:
 * the half-sample points through a precise 128-tap interpolator (by FFT on
 * the AVX2 path, mst-fastconv.h; ORC multiply-adds elsewhere), then the
 * quarter points from the 2x sequence through a short one; beside them the
 * BS.1770-4 meters' own interpolator. Each extremum among the oversampled
 * points is refined by a parabola through it and its neighbours, so a peak
 * falling between oversampled points is not under-read. Each frame gets
 * the peak of the interval up to the next frame.
 *
 * Gain: required gain r = min (1, ceiling / peak) per frame; its minimum
 * over the lookahead window (van Herk / Gil-Werman: constant cost per frame
 * whatever the window), released by a one-pole (program-dependent with
 * auto-release), then averaged over the same window length. For a peak at
 * frame p every value averaged into the gain of frame p is at most r[p]: the
 * gain there is at most r[p], so the output's peak is at most the ceiling.
 * The gain is applied to the delayed input; a guard at the output rate
 * clamps what rounding could leave above the ceiling. */
#include "mst-limiter.h"
#include "mst-truepeak.h"
#include "mst-fpu.h"
#include "mst-cpu.h"
#include "mst-fastconv.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

#define TP_FACTOR 4
/* Precise interpolator: flat within 0.001 dB to 0.45 fs, -0.3 dB at
 * 0.47 fs. */
#define TP_TAPS 128
#define TP_KAISER_BETA 8.6
/* The interpolator of ITU-R BS.1770-4's meters (a 48th-order windowed sinc,
 * 12 taps per phase, as in Annex 2 and libebur128): its passband ripple
 * reads up to about 0.1 dB above the precise one on some material, and the
 * output must pass those meters too. */
#define BS_TAPS MST_TRUEPEAK_BS1770_TAPS
/* Second stage: from the 2x points to the 4x ones. The 2x sequence holds
 * nothing above 0.24 of its rate, so a short interpolator is exact to
 * 0.004 dB there. */
#define Q_TAPS 12
#define Q_KAISER_BETA 7.0
/* Detector rows: this many frames of history before each block's new ones.
 * Frame i of a block (row position ROW_FIRST + i) needs the half-sample
 * point 3 frames on either side (ROW_FIRST + i + 3 + TP_TAPS/2 at most). */
#define ROW_HISTORY (TP_TAPS + 5)
#define ROW_FIRST (TP_TAPS / 2 + 2)
/* The detector sees frame u once frame u + DETECT_DELAY has arrived. */
#define DETECT_DELAY (ROW_HISTORY - ROW_FIRST)
#define SMOOTHING_MS 10.0
/* What the detector may still under-read against a reconstruction flat to
 * 0.48 fs: the parabola through 4x points is exact to 0.001 dB up to
 * 0.4 fs but reads low on content within 0.03 fs of Nyquist (noise there:
 * 0.04 dB). */
#define DETECT_MARGIN_DB 0.04
#define BYPASS_CEILING_DB 40.0
/* -2 dB: how much deeper than the sustained reduction a transient is. */
#define TRANSIENT_DEPTH 0.7943282347242815
#define BLOCK MST_LIMITER_BLOCK_FRAMES
/* The vector path computes whole vectors past a block's last frame: rows
 * and phase buffers have this much room beyond what the frames need. */
#define VECTOR_SLACK 128
/* Room before each channel's half-sample points for the FFT's scratch
 * outputs (TP_TAPS - 1 of them), a whole number of vectors. */
#define HALF_FRONT TP_TAPS
/* Second-stage coefficients of the vector path, folded (see
 * design_folded_stage2): the meters' outer phases as sum and difference
 * (6 + 6), their middle phase (6), then q1 and q3 as sum (3 + 4) and
 * difference (3 + 3). */
#define STAGE2_TAPS (3 * (BS_TAPS / 2) + 7 + 6)

/* One gain computer. Its arrays hold the lookahead window's history (L - 1
 * values) followed by the block's new values; the history moves to the
 * front after each block. */
typedef struct {
  double *r;                    /* required gain per frame */
  double *g;                    /* released gain per frame */
  double *bwd;                  /* running minima, see chain_gains */
  double release_gain;
  double sustained;             /* of the frame before the last */
} Chain;

struct MstLimiter {
  int max_channels;
  int channels;
  double rate_hz;
  int lookahead;                /* frames */
  double inv_lookahead;
  size_t latency;               /* DETECT_DELAY + lookahead - 1 */
  MstLimiterSettings set;

  double ceiling, ceiling_target;       /* linear */
  int64_t ceiling_changed_at;   /* frames from here on have this ceiling */
  double input_gain, input_gain_target;
  double smooth_alpha;
  double release_alpha, release_fast_alpha, release_slow_alpha;
  double sustain_alpha;
  double margin;

  float coef[(TP_FACTOR - 1) * TP_TAPS];
  float bs_coef[(TP_FACTOR - 1) * BS_TAPS];
  float q1_x[8], q1_h[8], q3_x[8], q3_h[8];     /* second stage, see design */
  float stage2_splat[STAGE2_TAPS][8];   /* the same, each tap in 8 lanes */
  bool vector_path;             /* AVX2 and FMA */
#ifdef MST_HAVE_X86_PATHS
  /* The vector path's half-sample points, by FFT, channel by channel: the
   * block's at halves + c * half_stride + HALF_FRONT (scratch around). */
  MstFastConv *fastconv;
  float *halves;
  size_t half_stride;
#endif
  float *rows;                  /* [channel][ROW_HISTORY + BLOCK] */
  size_t row_stride;
  float *phases;                /* the portable detector's point buffers */
  float *peaks;                 /* [channel][BLOCK] */
  float last_phase[MST_MAX_CHANNELS];

  /* [ring][channel], in the format of the stream (F32 in float, F64 in
   * double), so passthrough is exact and F32 moves half the bytes. */
  void *delay;
  bool delay_f64;
  double *delay_ceiling;        /* [ring] */
  size_t ring_mask;
  int64_t frames_in;            /* frames taken so far */
  int64_t frames_out;

  Chain chains[MST_MAX_CHANNELS];
  double *chain_memory;
  /* [channel][BLOCK]: the block's window sums of the released gain (see
   * window_gain). */
  double *sums;

  double last_gain, min_gain_since_read;
  size_t nonfinite;
};

/* The quarter points from the frames x and the half-sample points y:
 * a 12-tap windowed sinc at the 2x rate, interpolating halfway between two
 * 2x points. Quarter 1 (between x[P] and y[P + 1/2]) takes x[P - 2 .. P + 3]
 * and y at P - 3 .. P + 2 (+ 1/2); quarter 3 (between y[P + 1/2] and
 * x[P + 1]) takes x[P - 2 .. P + 3] and y at P - 2 .. P + 3 (+ 1/2). Each
 * set of six is padded to eight for the four-tap passes. */
static void
design_second_stage (MstLimiter * lim)
{
  double g[Q_TAPS], sum = 0.0;
  for (int k = 0; k < Q_TAPS; k++) {
    double t = 0.5 - (k - (Q_TAPS / 2 - 1));
    double r = t / (Q_TAPS / 2);
    double w = mst_bessel_i0 (Q_KAISER_BETA * sqrt (fmax (0.0, 1 - r * r)))
        / mst_bessel_i0 (Q_KAISER_BETA);
    g[k] = sin (M_PI * t) / (M_PI * t) * w;
    sum += g[k];
  }
  memset (lim->q1_x, 0, sizeof lim->q1_x);
  memset (lim->q1_h, 0, sizeof lim->q1_h);
  memset (lim->q3_x, 0, sizeof lim->q3_x);
  memset (lim->q3_h, 0, sizeof lim->q3_h);
  for (int m = 0; m < 6; m++) {
    lim->q1_x[m] = (float) (g[2 * m + 1] / sum);
    lim->q1_h[m] = (float) (g[2 * m] / sum);
    lim->q3_x[m] = (float) (g[2 * m] / sum);
    lim->q3_h[m] = (float) (g[2 * m + 1] / sum);
  }
}

/* The vector path's second stage uses the symmetries of its filters, so
 * that half of its multiply-adds become additions (which run beside them):
 * the meters' phase 3/4 is phase 1/4 mirrored and phase 1/2 is symmetric;
 * q3's taps are q1's mirrored. With s[m] = x[m] + x[11 - m] and
 * d[m] = x[m] - x[11 - m] over the twelve frames around a frame, phases
 * 1/4 and 3/4 are P + Q and P - Q (P on the s, Q on the d), and
 * max (|P + Q|, |P - Q|) = |P| + |Q| exactly. Likewise q1 = U + V and
 * q3 = U - V, U on the sums and V on the differences of the frames and of
 * the half-sample points e[m] = h[m] + h[6 - m], f[m] = h[m] - h[6 - m]. */
static void
design_folded_stage2 (MstLimiter * lim)
{
  const float *c0 = lim->bs_coef, *c1 = lim->bs_coef + BS_TAPS;
  const int H = BS_TAPS / 2;
  float v[STAGE2_TAPS];
  for (int m = 0; m < H; m++) {
    v[m] = 0.5f * (c0[m] + c0[BS_TAPS - 1 - m]);
    v[H + m] = 0.5f * (c0[m] - c0[BS_TAPS - 1 - m]);
    v[2 * H + m] = c1[m];
  }
  float *u = v + 3 * H, *w = u + 7;
  for (int m = 0; m < 3; m++) {
    u[m] = 0.5f * (lim->q1_x[m] + lim->q1_x[5 - m]);
    w[m] = 0.5f * (lim->q1_x[m] - lim->q1_x[5 - m]);
  }
  u[3] = 0.5f * lim->q1_h[0];
  u[4] = 0.5f * (lim->q1_h[1] + lim->q1_h[5]);
  u[5] = 0.5f * (lim->q1_h[2] + lim->q1_h[4]);
  u[6] = lim->q1_h[3];
  w[3] = 0.5f * lim->q1_h[0];
  w[4] = 0.5f * (lim->q1_h[1] - lim->q1_h[5]);
  w[5] = 0.5f * (lim->q1_h[2] - lim->q1_h[4]);
  for (int t = 0; t < STAGE2_TAPS; t++)
    for (int l = 0; l < 8; l++)
      lim->stage2_splat[t][l] = v[t];
}

static int
max_lookahead_frames (void)
{
  return (int) ceil (MST_LIMITER_MAX_LOOKAHEAD_MS * 1e-3 * MST_MAX_RATE_HZ);
}

static size_t
max_ring_frames (void)
{
  /* A block's input is written before its output is read: the ring holds
   * the latency and a whole block. */
  size_t need = DETECT_DELAY + (size_t) max_lookahead_frames () + BLOCK;
  size_t ring = 1;
  while (ring < need)
    ring <<= 1;
  return ring;
}

MstLimiter *
mst_limiter_init (int max_channels)
{
  MstLimiter *lim;
  size_t ring = max_ring_frames (), n;
  /* A chain's arrays hold the lookahead's history and the block, and one
   * more lookahead that chain_gains may scan past the end. They are read
   * and written side by side: their distance is kept off multiples of
   * 4 KiB, where loads would wait for unrelated stores (4K aliasing). */
  size_t chain_len = 2 * (size_t) max_lookahead_frames () + BLOCK + 136;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  lim = calloc (1, sizeof *lim);
  if (!lim)
    return NULL;
  lim->max_channels = max_channels;
  lim->row_stride = ROW_HISTORY + BLOCK + VECTOR_SLACK;
  lim->vector_path = mst_cpu_has_avx2_fma ();
  mst_truepeak_design (lim->coef, TP_FACTOR, TP_TAPS, TP_KAISER_BETA);
#ifdef MST_HAVE_X86_PATHS
  if (lim->vector_path) {
    lim->fastconv = mst_fastconv_new (lim->coef + (size_t) (TP_FACTOR / 2 - 1)
        * TP_TAPS, TP_TAPS);
    if (!lim->fastconv)
      goto fail;
    /* The FFT reads whole runs past the block's frames (stale finite
     * samples) and writes scratch before and after its outputs. */
    size_t span = mst_fastconv_input_span (lim->fastconv, BLOCK + 7);
    if (span > lim->row_stride)
      lim->row_stride = span;
    lim->half_stride = HALF_FRONT
        + mst_fastconv_output_end (lim->fastconv, BLOCK + 7) + 8;
    lim->halves = aligned_alloc (32, (lim->half_stride * max_channels
            * sizeof (float) + 31) / 32 * 32);
    if (!lim->halves)
      goto fail;
    memset (lim->halves, 0, lim->half_stride * max_channels * sizeof (float));
  }
#endif
  lim->ring_mask = ring - 1;
  if (!mst_size_mul (lim->row_stride * max_channels, sizeof (float), &n))
    goto fail;
  lim->rows = calloc (1, n);
  lim->phases = calloc (2 * (TP_FACTOR - 1) * (BLOCK + VECTOR_SLACK) + 1,
      sizeof (float));
  lim->peaks = calloc ((size_t) max_channels * BLOCK, sizeof (float));
  if (!mst_size_mul (ring * max_channels, sizeof (double), &n))
    goto fail;
  lim->delay = calloc (1, n);
  lim->delay_ceiling = calloc (ring, sizeof (double));
  /* Per chain: r, g and the backward running minima. */
  lim->chain_memory = calloc ((size_t) max_channels * 3 * chain_len,
      sizeof (double));
  lim->sums = calloc ((size_t) max_channels * BLOCK, sizeof (double));
  if (!lim->rows || !lim->phases || !lim->peaks || !lim->delay
      || !lim->delay_ceiling || !lim->chain_memory || !lim->sums)
    goto fail;
  for (int c = 0; c < max_channels; c++) {
    Chain *ch = &lim->chains[c];
    ch->r = lim->chain_memory + (size_t) c * 3 * chain_len;
    ch->g = ch->r + chain_len;
    ch->bwd = ch->g + chain_len;
  }
  mst_truepeak_design_bs1770 (lim->bs_coef, TP_FACTOR);
  design_second_stage (lim);
  design_folded_stage2 (lim);
  lim->set.ceiling_db = -1.0;
  lim->set.input_gain_db = 0.0;
  lim->set.release_ms = 50.0;
  lim->set.auto_release = true;
  lim->set.true_peak = true;
  lim->set.link = 1.0;
  lim->set.bypass = false;
  if (mst_limiter_configure (lim, 48000, 1, 5.0) != MST_OK)
    goto fail;
  return lim;

fail:
  mst_limiter_destroy (&lim);
  return NULL;
}

void
mst_limiter_destroy (MstLimiter ** lim)
{
  if (!lim || !*lim)
    return;
  free ((*lim)->rows);
  free ((*lim)->phases);
#ifdef MST_HAVE_X86_PATHS
  mst_fastconv_free ((*lim)->fastconv);
  free ((*lim)->halves);
#endif
  free ((*lim)->peaks);
  free ((*lim)->delay);
  free ((*lim)->delay_ceiling);
  free ((*lim)->chain_memory);
  free ((*lim)->sums);
  free (*lim);
  *lim = NULL;
}

static double
one_pole_alpha (double rate_hz, double ms)
{
  return 1.0 - exp (-1.0 / (rate_hz * fmax (ms, 0.01) * 1e-3));
}

static double
target_ceiling (const MstLimiter * lim)
{
  return mst_db_to_lin (lim->set.bypass ? BYPASS_CEILING_DB :
      lim->set.ceiling_db);
}

static double
target_input_gain (const MstLimiter * lim)
{
  return lim->set.bypass ? 1.0 : mst_db_to_lin (lim->set.input_gain_db);
}

static void
update_release (MstLimiter * lim)
{
  double ms = lim->set.release_ms;
  lim->release_alpha = one_pole_alpha (lim->rate_hz, ms);
  /* Auto-release: back to the sustained level four times faster, beyond it
   * at half the speed (see chain_gains). */
  lim->release_fast_alpha = one_pole_alpha (lim->rate_hz, ms * 0.25);
  lim->release_slow_alpha = one_pole_alpha (lim->rate_hz, ms * 2.0);
  lim->sustain_alpha = one_pole_alpha (lim->rate_hz, ms * 10.0);
}

void
mst_limiter_reset (MstLimiter * lim)
{
  if (!lim)
    return;
  memset (lim->rows, 0, lim->row_stride * lim->max_channels * sizeof (float));
  memset (lim->delay, 0, (lim->ring_mask + 1) * lim->max_channels
      * sizeof (double));
  lim->ceiling = lim->ceiling_target = target_ceiling (lim);
  lim->ceiling_changed_at = INT64_MIN;
  lim->input_gain = lim->input_gain_target = target_input_gain (lim);
  for (size_t i = 0; i <= lim->ring_mask; i++)
    lim->delay_ceiling[i] = lim->ceiling;
  for (int c = 0; c < lim->max_channels; c++) {
    Chain *ch = &lim->chains[c];
    for (int i = 0; i < lim->lookahead - 1; i++)
      ch->r[i] = ch->g[i] = 1.0;
    ch->release_gain = 1.0;
    ch->sustained = 1.0;
    lim->last_phase[c] = 0.0f;
  }
  lim->frames_in = lim->frames_out = 0;
  lim->last_gain = lim->min_gain_since_read = 1.0;
}

MstResult
mst_limiter_configure (MstLimiter * lim, double rate_hz, int channels,
    double lookahead_ms)
{
  if (!lim || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > lim->max_channels
      || !(lookahead_ms >= MST_LIMITER_MIN_LOOKAHEAD_MS
          && lookahead_ms <= MST_LIMITER_MAX_LOOKAHEAD_MS))
    return MST_ERR_INVALID_ARG;
  lim->rate_hz = rate_hz;
  lim->channels = channels;
  lim->lookahead = (int) fmax (1.0, round (lookahead_ms * 1e-3 * rate_hz));
  lim->latency = DETECT_DELAY + lim->lookahead - 1;
  /* Rounded up, so that L times it is at least 1 (see window_gain). */
  lim->inv_lookahead = nextafter (1.0 / lim->lookahead, 2.0);
  lim->smooth_alpha = one_pole_alpha (rate_hz, SMOOTHING_MS);
  lim->margin = mst_db_to_lin (-DETECT_MARGIN_DB);
  lim->nonfinite = 0;
  update_release (lim);
  mst_limiter_reset (lim);
  return MST_OK;
}

MstResult
mst_limiter_set (MstLimiter * lim, const MstLimiterSettings * s)
{
  if (!lim || !s || !isfinite (s->ceiling_db) || !isfinite (s->input_gain_db)
      || !(s->release_ms > 0) || !(s->link >= 0.0 && s->link <= 1.0))
    return MST_ERR_INVALID_ARG;
  bool release_changed = s->release_ms != lim->set.release_ms;
  lim->set = *s;
  lim->ceiling_target = target_ceiling (lim);
  lim->input_gain_target = target_input_gain (lim);
  if (lim->frames_in == 0) {
    /* Nothing processed since the reset: start at the settings. */
    lim->ceiling = lim->ceiling_target;
    lim->input_gain = lim->input_gain_target;
    for (size_t i = 0; i <= lim->ring_mask; i++)
      lim->delay_ceiling[i] = lim->ceiling;
  }
  if (release_changed)
    update_release (lim);
  return MST_OK;
}

size_t
mst_limiter_get_latency (const MstLimiter * lim)
{
  return lim ? lim->latency : 0;
}

size_t
mst_limiter_get_pending (const MstLimiter * lim)
{
  return lim ? (size_t) (lim->frames_in - lim->frames_out) : 0;
}

size_t
mst_limiter_get_nonfinite_count (const MstLimiter * lim)
{
  return lim ? lim->nonfinite : 0;
}

void
mst_limiter_get_gain_reduction (MstLimiter * lim, double *current_db,
    double *max_db, bool reset_max)
{
  if (current_db)
    *current_db = -mst_lin_to_db (lim->last_gain);
  if (max_db)
    *max_db = -mst_lin_to_db (lim->min_gain_since_read);
  if (reset_max)
    lim->min_gain_since_read = lim->last_gain;
}

/* Plain comparisons: fmaxf and fmin are library calls unless the compiler
 * may assume no NaN, and the values here are never NaN. */
static inline float
max_f (float a, float b)
{
  return a > b ? a : b;
}

static inline double
min_d (double a, double b)
{
  return a < b ? a : b;
}

/* Magnitude of the extremum of the parabola through (-1, a), (0, b), (1, c)
 * when b is the largest in magnitude of the three (else |b|). */
static inline float
refine_peak (float a, float b, float c)
{
  float s = copysignf (1.0f, b);
  float pa = s * a, pb = s * b, pc = s * c;
  float den = 2.0f * pb - pa - pc;
  float d = pc - pa;
  /* Branch-free, so the loop over frames vectorises; den is kept away
   * from 0 where the result is not used. */
  int is_extremum = (pb >= pa) & (pb >= pc) & (den > 0.0f);
  float vertex = pb + d * d / (8.0f * (is_extremum ? den : 1.0f));
  return is_extremum ? vertex : pb;
}

typedef float v4sf __attribute__ ((vector_size (16)));
typedef int v4si __attribute__ ((vector_size (16)));

static inline v4sf
load4 (const float *p)
{
  v4sf v;
  __builtin_memcpy (&v, p, sizeof v);
  return v;
}

static inline v4sf
select4 (v4si mask, v4sf yes, v4sf no)
{
  return (v4sf) ((mask & (v4si) yes) | (~mask & (v4si) no));
}

static inline v4sf
max4 (v4sf a, v4sf b)
{
  return select4 (a > b, a, b);
}

/* refine_peak on four lanes. */
static inline v4sf
refine_peak4 (v4sf a, v4sf b, v4sf c)
{
  const v4si sign_bit = { INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN };
  v4si sign = (v4si) b & sign_bit;
  v4sf pa = (v4sf) ((v4si) a ^ sign), pb = (v4sf) ((v4si) b ^ sign);
  v4sf pc = (v4sf) ((v4si) c ^ sign);
  v4sf den = 2.0f * pb - pa - pc;
  v4sf d = pc - pa;
  v4si ok = (pb >= pa) & (pb >= pc) & (den > 0.0f);
  v4sf safe_den = select4 (ok, den, (v4sf) { 1.0f, 1.0f, 1.0f, 1.0f });
  return select4 (ok, pb + d * d / (8.0f * safe_den), pb);
}

/* Runs eight taps (two four-tap passes) of coefficients h over sources
 * starting at base, into y (n outputs). */
static inline void
fir8 (float *y, const float *base, const float *h, int n)
{
  mst_orc_fir4_f32 (y, base, base + 1, base + 2, base + 3, h[0], h[1], h[2],
      h[3], n);
  mst_orc_fir4_f32 (y, base + 4, base + 5, base + 6, base + 7, h[4], h[5],
      h[6], h[7], n);
}

/* Interval peaks of n new frames of one channel, already in its row. */
static void
detect_true_peaks (MstLimiter * lim, int channel, int n)
{
  float *row = lim->rows + (size_t) channel * lim->row_stride;
  float *peak = lim->peaks + (size_t) channel * BLOCK;
  const size_t stride = BLOCK + VECTOR_SLACK;
  float *half = lim->phases, *q1 = half + stride, *q3 = q1 + stride;
  float *bs = q3 + stride, *tmp = bs + stride;
  /* q3[-1] is the previous block's last quarter point. */
  q3 += 1;

  /* Stage 1: the half-sample points, precise; half[j] lies between
   * row[j + TP_TAPS/2 - 1] and row[j + TP_TAPS/2]. Frame i (row position
   * ROW_FIRST + i) has its own at half[i + 3]. */
  const float *hh = lim->coef + (size_t) (TP_FACTOR / 2 - 1) * TP_TAPS;
  memset (half, 0, sizeof (float) * (n + 8));
  for (int k = 0; k < TP_TAPS; k += 8)
    fir8 (half, row + k, hh + k, n + 6);

  /* Stage 2: the quarter points. */
  const float *x = row + ROW_FIRST;
  memset (q1, 0, sizeof (float) * n);
  memset (q3, 0, sizeof (float) * n);
  fir8 (q1, x - 2, lim->q1_x, n);
  fir8 (q1, half + 3 - 3, lim->q1_h, n);
  fir8 (q3, x - 2, lim->q3_x, n);
  fir8 (q3, half + 3 - 2, lim->q3_h, n);

  /* The meters' interpolator, on the same grid: bs[] gets the largest
   * magnitude over its phases. */
  const float *bs_row = x - (BS_TAPS / 2 - 1);
  for (int p = 0; p < TP_FACTOR - 1; p++) {
    float *y = p == 0 ? bs : tmp;
    const float *h = lim->bs_coef + (size_t) p * BS_TAPS;
    memset (y, 0, sizeof (float) * n);
    for (int k = 0; k < BS_TAPS; k += 4)
      mst_orc_fir4_f32 (y, bs_row + k, bs_row + k + 1, bs_row + k + 2,
          bs_row + k + 3, h[k], h[k + 1], h[k + 2], h[k + 3], n);
    if (p == 0) {
      for (int i = 0; i < n; i++)
        bs[i] = fabsf (bs[i]);
    } else {
      mst_orc_absmax_f32 (bs, y, n);
    }
  }

  /* Frame i's interval: x[i], q1, half, q3, x[i + 1]; each extremum
   * refined by its parabola. Four frames at a time in vector registers
   * (gcc does not vectorise the selects itself), the rest one by one. */
  q3[-1] = lim->last_phase[channel];
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v4sf a = load4 (q3 + i - 1), v0 = load4 (x + i), b = load4 (q1 + i);
    v4sf v2 = load4 (half + i + 3), c = load4 (q3 + i);
    v4sf v4 = load4 (x + i + 1);
    v4sf m = refine_peak4 (a, v0, b);
    m = max4 (m, refine_peak4 (v0, b, v2));
    m = max4 (m, refine_peak4 (b, v2, c));
    m = max4 (m, refine_peak4 (v2, c, v4));
    m = max4 (m, load4 (bs + i));
    __builtin_memcpy (peak + i, &m, sizeof m);
  }
  for (; i < n; i++) {
    float v0 = x[i], v2 = half[i + 3], v4 = x[i + 1];
    float m = refine_peak (q3[i - 1], v0, q1[i]);
    m = max_f (m, refine_peak (v0, q1[i], v2));
    m = max_f (m, refine_peak (q1[i], v2, q3[i]));
    m = max_f (m, refine_peak (v2, q3[i], v4));
    peak[i] = max_f (m, bs[i]);
  }
  lim->last_phase[channel] = q3[n - 1];
}

#ifdef MST_HAVE_X86_PATHS
/* Stage 1 of the vector path for every channel, two at a time: the
 * half-sample points half[j] (between row[j + TP_TAPS/2 - 1] and
 * row[j + TP_TAPS/2]) for j < n rounded up to 8, plus 7. */
__attribute__ ((target ("avx2,fma")))
static void
half_sample_points_fft (MstLimiter * lim, int n)
{
  const int count = ((n + 7) & ~7) + 7;
  for (int c = 0; c < lim->channels; c += 2) {
    bool pair = c + 1 < lim->channels;
    float *h0 = lim->halves + (size_t) c * lim->half_stride + HALF_FRONT;
    const float *r0 = lim->rows + (size_t) c * lim->row_stride;
    mst_fastconv_run (lim->fastconv, r0, pair ? r0 + lim->row_stride : NULL,
        h0, pair ? h0 + lim->half_stride : NULL, count);
  }
}

/* refine_peak on eight lanes, without a division: the reciprocal estimate
 * (relative error at most 1.5 x 2^-12) times a factor a little above 1/8
 * never gives a smaller vertex than the exact one, and at most 0.0006 dB
 * more (the rise d^2 / (8 den) is under a tenth of |b| at 4x). Where b is
 * no extremum the rise is masked to 0 (whatever the reciprocal of a zero
 * or negative den gave); with the FPU flushing denormals a den above 0 is
 * at least the smallest normal, so the estimate stays finite. */
__attribute__ ((target ("avx2,fma")))
static inline __m256
refine_peak8 (__m256 a, __m256 b, __m256 c)
{
  const __m256 sign_bit = _mm256_set1_ps (-0.0f);
  __m256 sign = _mm256_and_ps (b, sign_bit);
  __m256 pa = _mm256_xor_ps (a, sign), pb = _mm256_andnot_ps (sign_bit, b);
  __m256 pc = _mm256_xor_ps (c, sign);
  __m256 den = _mm256_sub_ps (_mm256_add_ps (pb, pb), _mm256_add_ps (pa, pc));
  __m256 d = _mm256_sub_ps (pc, pa);
  __m256 ok = _mm256_and_ps (_mm256_and_ps (_mm256_cmp_ps (pb, pa, _CMP_GE_OQ),
          _mm256_cmp_ps (pb, pc, _CMP_GE_OQ)),
      _mm256_cmp_ps (den, _mm256_setzero_ps (), _CMP_GT_OQ));
  __m256 d_scaled = _mm256_mul_ps (d, _mm256_set1_ps (0.125f * 1.0004f));
  __m256 rise = _mm256_mul_ps (_mm256_mul_ps (d, d_scaled),
      _mm256_rcp_ps (den));
  return _mm256_add_ps (pb, _mm256_and_ps (ok, rise));
}

/* detect_true_peaks with AVX2 and FMA, from the half-sample points
 * half_sample_points_fft made: per eight frames the quarter points, the
 * meters' phases and the refinement without leaving registers. */
__attribute__ ((target ("avx2,fma")))
static void
detect_true_peaks_avx2 (MstLimiter * lim, int channel, int n)
{
  const float *row = lim->rows + (size_t) channel * lim->row_stride;
  float *peak = lim->peaks + (size_t) channel * BLOCK;
  const float *half = lim->halves + (size_t) channel * lim->half_stride
      + HALF_FRONT;
  const int n8 = (n + 7) & ~7;
  const float (*tap)[8] = (const float (*)[8]) lim->stage2_splat;

  const float *x = row + ROW_FIRST;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  const __m256i rotate = _mm256_setr_epi32 (7, 0, 1, 2, 3, 4, 5, 6);
  __m256 prev_q3 = _mm256_set1_ps (lim->last_phase[channel]);
  for (int i = 0; i < n8; i += 8) {
    __m256 xv[BS_TAPS], hv[7];
    for (int m = 0; m < BS_TAPS; m++)
      xv[m] = _mm256_loadu_ps (x + i - (BS_TAPS / 2 - 1) + m);
    for (int m = 0; m < 7; m++)
      hv[m] = _mm256_loadu_ps (half + i + m);
    /* xv[5 + o] is x[i + o]; hv[m] is half[i + m]. */
    const int H = BS_TAPS / 2;
    __m256 sum[BS_TAPS / 2], dif[BS_TAPS / 2];
    for (int m = 0; m < H; m++) {
      sum[m] = _mm256_add_ps (xv[m], xv[BS_TAPS - 1 - m]);
      dif[m] = _mm256_sub_ps (xv[m], xv[BS_TAPS - 1 - m]);
    }
    __m256 e[3], f[3];
    for (int m = 0; m < 3; m++) {
      e[m] = _mm256_add_ps (hv[m], hv[6 - m]);
      f[m] = _mm256_sub_ps (hv[m], hv[6 - m]);
    }
    const __m256 zero = _mm256_setzero_ps ();
    __m256 P = zero, Q = zero, mid = zero, U, V;
    for (int m = 0; m < H; m++) {
      P = _mm256_fmadd_ps (sum[m], _mm256_loadu_ps (tap[m]), P);
      Q = _mm256_fmadd_ps (dif[m], _mm256_loadu_ps (tap[H + m]), Q);
      mid = _mm256_fmadd_ps (sum[m], _mm256_loadu_ps (tap[2 * H + m]), mid);
    }
    const float (*ut)[8] = tap + 3 * H, (*vt)[8] = ut + 7;
    U = _mm256_mul_ps (hv[3], _mm256_loadu_ps (ut[6]));
    V = _mm256_mul_ps (f[0], _mm256_loadu_ps (vt[3]));
    for (int m = 0; m < 3; m++) {
      U = _mm256_fmadd_ps (sum[3 + m], _mm256_loadu_ps (ut[m]), U);
      U = _mm256_fmadd_ps (e[m], _mm256_loadu_ps (ut[3 + m]), U);
      V = _mm256_fmadd_ps (dif[3 + m], _mm256_loadu_ps (vt[m]), V);
    }
    V = _mm256_fmadd_ps (f[1], _mm256_loadu_ps (vt[4]), V);
    V = _mm256_fmadd_ps (f[2], _mm256_loadu_ps (vt[5]), V);
    __m256 q1 = _mm256_add_ps (U, V), q3 = _mm256_sub_ps (U, V);
    /* The quarter point before each frame: q3 one frame earlier. */
    __m256 q3_before = _mm256_blend_ps (_mm256_permutevar8x32_ps (q3, rotate),
        _mm256_permutevar8x32_ps (prev_q3, rotate), 0x01);
    prev_q3 = q3;
    __m256 v0 = xv[5], v2 = hv[3], v4 = xv[6];
    __m256 m = refine_peak8 (q3_before, v0, q1);
    m = _mm256_max_ps (m, refine_peak8 (v0, q1, v2));
    m = _mm256_max_ps (m, refine_peak8 (q1, v2, q3));
    m = _mm256_max_ps (m, refine_peak8 (v2, q3, v4));
    __m256 bs = _mm256_max_ps (_mm256_add_ps (_mm256_and_ps (P, abs_mask),
            _mm256_and_ps (Q, abs_mask)), _mm256_and_ps (mid, abs_mask));
    _mm256_storeu_ps (peak + i, _mm256_max_ps (m, bs));
  }
  /* Frame n - 1's quarter point is in the last vector (frames n8 - 8 ..). */
  float last[8];
  _mm256_storeu_ps (last, prev_q3);
  lim->last_phase[channel] = last[(n - 1) & 7];
}
#endif

static void
detect_sample_peaks (MstLimiter * lim, int channel, int n)
{
  const float *x = lim->rows + (size_t) channel * lim->row_stride
      + ROW_FIRST;
  float *peak = lim->peaks + (size_t) channel * BLOCK;
  for (int i = 0; i < n; i++)
    peak[i] = fabsf (x[i]);
}

/* The gain computer (peaks to the block's gains) is built twice: for AVX2
 * and FMA, chosen at run time as the detector is, and portable. Its steps
 * are written once, inlined into both. */
#define GAIN_STEP static inline __attribute__ ((always_inline))

/* Required gains r[i] of frames u0 + i, from their peaks p. */
GAIN_STEP void
required_gains (const MstLimiter * lim, const float *p, double *r, int n,
    int64_t u0)
{
  /* r = cu / max (p, cu): exactly 1 where p <= cu, and no branch. */
  if (u0 >= lim->ceiling_changed_at) {
    /* One ceiling for all of them: the loop vectorises. */
    const double cu = lim->ceiling * lim->margin;
    for (int i = 0; i < n; i++) {
      double pi = p[i];
      r[i] = cu / (pi > cu ? pi : cu);
    }
  } else {
    for (int i = 0; i < n; i++) {
      double cu = lim->delay_ceiling[(size_t) (u0 + i) & lim->ring_mask]
          * lim->margin;
      double pi = p[i];
      r[i] = cu / (pi > cu ? pi : cu);
    }
  }
}

/* The sum of x[0 .. n - 1], in four running sums side by side (it then
 * vectorises, and its chain of additions is a quarter as long). */
static inline double
sum_of (const double *x, int n)
{
  double s[4] = { 0.0, 0.0, 0.0, 0.0 };
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; k++)
      s[k] += x[i + k];
  for (; i < n; i++)
    s[0] += x[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* bwd[k] = min (r[k .. len - 1]) for k < len: four running minima side by
 * side, one per quarter (a quarter of the chain of dependent minima), then
 * each quarter takes the minimum of those after it. */
static inline void
suffix_min (const double *r, double *bwd, int len)
{
  const int q = len / 4;
  double b[4] = { INFINITY, INFINITY, INFINITY, INFINITY };
  for (int k = len - 1; k >= 4 * q; k--) {
    b[3] = min_d (b[3], r[k]);
    bwd[k] = b[3];
  }
  for (int t = q - 1; t >= 0; t--)
    for (int j = 0; j < 4; j++) {
      b[j] = min_d (b[j], r[j * q + t]);
      bwd[j * q + t] = b[j];
    }
  for (int j = 2; j >= 0; j--) {
    const double after = bwd[(j + 1) * q];
    for (int k = j * q; k < (j + 1) * q; k++)
      bwd[k] = min_d (bwd[k], after);
  }
}

/* x, and to the compiler an unknown value: a branch between two values
 * then stays a branch (it is not turned into a select). */
static inline double
keep_in_register (double x)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__ ("":"+x" (x));
#endif
  return x;
}

/* a x + b, fused where the CPU has it (the release recursion's critical
 * path is one of these per frame). */
static inline double
mul_add (double a, double x, double b, bool use_fma)
{
  return use_fma ? __builtin_fma (a, x, b) : a * x + b;
}

/* From the required gains (L - 1 + n of them in ch->r) to the gains of the
 * frames L - 1 earlier, in one pass: window minimum, release and window
 * average.
 *
 * The minimum of the window r[i .. i + L - 1] (van Herk / Gil-Werman, two
 * minima per frame whatever L, no data-dependent branch): r is cut into
 * segments of L, and the window is the end of i's segment, whose running
 * minima backward (bwd) are ready, and the start of the next one, whose
 * running minimum forward (f) runs in the loop. The same loop takes the
 * next segment's running minima backward, so all of it runs beside the
 * release's chain of dependent operations. A segment holding a frame below
 * n ends before the L - 1 + n values; the scan of the segment after the
 * last one runs past them, into the arrays' spare lookahead, unused. */
GAIN_STEP void
chain_gains (const MstLimiter * lim, Chain * ch, int n, double *sums,
    bool use_fma)
{
  const int L = lim->lookahead, H = L - 1;
  const double *r = ch->r;
  double *bwd = ch->bwd;
  suffix_min (r, bwd, L);

  const bool auto_release = lim->set.auto_release;
  /* Fixed release: both coefficients the same. */
  const double a_fast = auto_release ? lim->release_fast_alpha
      : lim->release_alpha;
  const double a_slow = auto_release ? lim->release_slow_alpha
      : lim->release_alpha;
  const double a_sus = lim->sustain_alpha;
  /* The step towards the target is lengthened by 1e-7 of itself, so the
   * released value passes the target (and the minimum below takes the
   * target itself, exactly) once within about 1e-7 of it, which the
   * one-pole alone would never reach. */
  const double lift = 1.0 + 1e-7;
  const double keep_fast = 1.0 - a_fast, take_fast = a_fast * lift;
  const double keep_slow = 1.0 - a_slow, take_slow = a_slow * lift;
  /* Auto-release: fast back up to the sustained reduction after a transient
   * (more than 2 dB deeper than it), slow otherwise, so the steady
   * reduction of dense material and bass does not ripple. The sustained
   * level s follows the gain, s[i] = (1 - a_sus) s[i - 1]
   * + a_sus TRANSIENT_DEPTH g[i]; frame i is fast when g[i - 1] < s[i - 1],
   * that is when g[i - 1] < q s[i - 2]: the loop keeps t = q s one frame
   * behind, so the comparison does not wait for the newest s. */
  const double keep_sus = 1.0 - a_sus;
  const double q = keep_sus / (1.0 - a_sus * TRANSIENT_DEPTH);
  const double take_sus = a_sus * TRANSIENT_DEPTH * q;
  double g = ch->release_gain, t = ch->sustained * TRANSIENT_DEPTH * q;
  double *restrict gr = ch->g + H;
  const double *restrict g_old = ch->g;
  /* The window sum for the average runs in the same loop (its chain of
   * additions then overlaps the release's): restarted exactly at every
   * block, so it never drifts and is exactly L when every value is 1. */
  double sum = sum_of (g_old, H), leaving = 0.0;

  for (int start = 0; start < n; start += L) {
    const int end = start + L < n ? start + L : n;
    /* The next segment's minima backward (needed when this segment is
     * whole, and then whole themselves). */
    const int next_end = start + 2 * L - 1;
    double f = INFINITY;
    double b = INFINITY;
    for (int i = start; i < end; i++) {
      const double mi = min_d (bwd[i], f);
      f = min_d (f, r[i + L]);
      b = min_d (b, r[next_end - (i - start)]);
      bwd[next_end - (i - start)] = b;
      /* Attack is at once (the window average smooths it): when m[i] <= g
       * the released value is at least m[i], which is taken. The mode and
       * whether the target is taken are branches, not selects: both hold
       * for long runs (a few hundred changes a minute of limited music),
       * so they are predicted, and a frame that takes its target does not
       * wait for the previous frame's gain; on the release's own chain
       * there is one multiply-add per frame. */
      double released = g < t ? mul_add (g, keep_fast, take_fast * mi, use_fma)
          : mul_add (g, keep_slow, take_slow * mi, use_fma);
      t = mul_add (t, keep_sus, take_sus * g, use_fma);
      if (__builtin_expect (released < mi, 1))
        g = released;
      else
        g = keep_in_register (mi);
      gr[i] = g;
      /* Frame i's window: g[i .. i + H]; one addition per frame on the
       * sum's own chain. */
      sum += g - leaving;
      sums[i] = sum;
      leaving = g_old[i];
    }
  }
  ch->release_gain = g;
  ch->sustained = auto_release ? t / (TRANSIENT_DEPTH * q) : 1.0;
  memmove (ch->r, ch->r + n, sizeof (double) * H);
  memmove (ch->g, ch->g + n, sizeof (double) * H);
}

/* Required gain of frames u = u0 + i, then the gains of frames
 * j = u - L + 1, chain by chain, into lim->sums. */
GAIN_STEP void
compute_gains (MstLimiter * lim, bool linked, int n, int64_t u0,
    bool use_fma)
{
  const int nch = lim->channels;
  const int L = lim->lookahead;
  int n_chains = linked ? 1 : nch;
  if (linked) {
    float *p = lim->peaks;
    for (int c = 1; c < nch; c++) {
      const float *pc = lim->peaks + (size_t) c * BLOCK;
      for (int i = 0; i < n; i++)
        p[i] = max_f (p[i], pc[i]);
    }
    required_gains (lim, p, lim->chains[0].r + (L - 1), n, u0);
  } else {
    for (int c = 0; c < nch; c++)
      required_gains (lim, lim->peaks + (size_t) c * BLOCK,
          lim->chains[c].r + (L - 1), n, u0);
    /* Linking mixes each channel's reduction (in dB) with the strongest
     * one's. */
    double w = lim->set.link;
    for (int i = 0; i < n && w > 0.0; i++) {
      double r_min = 1.0;
      for (int c = 0; c < nch; c++)
        r_min = min_d (r_min, lim->chains[c].r[L - 1 + i]);
      for (int c = 0; c < nch; c++) {
        double *rc = &lim->chains[c].r[L - 1 + i];
        if (*rc != r_min)
          *rc = exp ((1.0 - w) * log (*rc) + w * log (r_min));
      }
    }
  }
  for (int k = 0; k < n_chains; k++)
    chain_gains (lim, &lim->chains[k], n, lim->sums + (size_t) k * BLOCK,
        use_fma);
}

#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2,fma")))
static void
compute_gains_avx2 (MstLimiter * lim, bool linked, int n, int64_t u0)
{
  compute_gains (lim, linked, n, u0, true);
}
#endif

static void
compute_gains_portable (MstLimiter * lim, bool linked, int n, int64_t u0)
{
  compute_gains (lim, linked, n, u0, false);
}

#define ROW_LIMIT 1e30f

static inline float
row_value (float v)
{
  v = v < ROW_LIMIT ? v : ROW_LIMIT;
  return v > -ROW_LIMIT ? v : -ROW_LIMIT;
}

/* v, or 0 when it is not finite (counted): finiteness from the exponent
 * bits and a mask, no branch, so the loops around vectorise. One
 * definition for both widths. */
#define DEFINE_FINITE_OR_ZERO(name, type, bits_type, exponent)             \
static inline type                                                         \
name (type v, uint32_t * nonfinite)                                        \
{                                                                          \
  bits_type bits;                                                          \
  memcpy (&bits, &v, sizeof bits);                                         \
  bits_type bad = (bits & (exponent)) == (exponent);                       \
  *nonfinite += (uint32_t) bad;                                            \
  bits &= bad - 1;                                                         \
  memcpy (&v, &bits, sizeof v);                                            \
  return v;                                                                \
}
DEFINE_FINITE_OR_ZERO (finite_or_zero_d, double, uint64_t,
    0x7ff0000000000000ull)
DEFINE_FINITE_OR_ZERO (finite_or_zero_f, float, uint32_t, 0x7f800000u)

/* Input frames t .. t + n - 1 (t >= 0) into the delay ring, after the
 * input gain; non-finite samples become silence. The ring wraps at most
 * once per block, so this is at most two contiguous runs. */
MST_VECTORISE_AVX2
static void
take_input (MstLimiter * lim, const void *in, bool f64, int n)
{
  const int nch = lim->channels;
  const size_t ring = lim->ring_mask + 1;
  const double target_gain = lim->input_gain_target;
  const double ceiling = lim->ceiling;
  double input_gain = lim->input_gain;
  /* n frames of at most 8 channels: the count fits, and a 32-bit counter
   * vectorises in one addition. */
  uint32_t nonfinite = 0;
  int done = 0;
  while (done < n) {
    size_t slot = (size_t) (lim->frames_in + done) & lim->ring_mask;
    int len = (int) (ring - slot < (size_t) (n - done) ? ring - slot
        : (size_t) (n - done));
    double *restrict d = (double *) lim->delay + slot * nch;
    float *restrict df = (float *) lim->delay + slot * nch;
    double *restrict dc = lim->delay_ceiling + slot;
    const size_t first = (size_t) done * nch, count = (size_t) len * nch;
    for (int i = 0; i < len; i++)
      dc[i] = ceiling;
    if (!in) {
      memset (f64 ? (void *) d : (void *) df, 0, count
          * (f64 ? sizeof (double) : sizeof (float)));
    } else if (input_gain == target_gain) {
      /* Steady gain: one flat loop the compiler vectorises. */
      const double g = input_gain;
      if (f64) {
        const double *restrict src = (const double *) in + first;
        for (size_t j = 0; j < count; j++)
          d[j] = finite_or_zero_d (src[j], &nonfinite) * g;
      } else {
        const float *restrict src = (const float *) in + first;
        const float gf = (float) g;
        for (size_t j = 0; j < count; j++)
          df[j] = finite_or_zero_f (src[j], &nonfinite) * gf;
      }
    } else {
      /* A gliding gain (loudnorm moves it all the time): first the frames'
       * gains, the one-pole's distance to the target shrinking by
       * 1 - alpha a frame (one multiplication on the chain) and snapped to
       * the target within 1e-9 of it; then the samples. */
      double frame_gain[BLOCK];
      const double keep = 1.0 - lim->smooth_alpha;
      const double snap = 1e-9 * target_gain;
      double dist = input_gain - target_gain;
      int i = 0;
      for (; i < len; i++) {
        dist *= keep;
        if (fabs (dist) < snap) {
          dist = 0.0;
          break;
        }
        frame_gain[i] = target_gain + dist;
      }
      for (; i < len; i++)
        frame_gain[i] = target_gain;
      input_gain = target_gain + dist;
      if (f64) {
        const double *restrict src = (const double *) in + first;
        for (int f = 0; f < len; f++)
          for (int c = 0; c < nch; c++) {
            size_t j = (size_t) f * nch + c;
            d[j] = finite_or_zero_d (src[j], &nonfinite) * frame_gain[f];
          }
      } else {
        /* In float, as the steady loop: within one rounding of the
         * product in double. */
        const float *restrict src = (const float *) in + first;
        float gain_f[BLOCK];
        for (int f = 0; f < len; f++)
          gain_f[f] = (float) frame_gain[f];
        if (nch == 2) {
          for (int f = 0; f < len; f++) {
            df[2 * f] = finite_or_zero_f (src[2 * f], &nonfinite) * gain_f[f];
            df[2 * f + 1] = finite_or_zero_f (src[2 * f + 1], &nonfinite)
                * gain_f[f];
          }
        } else {
          for (int f = 0; f < len; f++)
            for (int c = 0; c < nch; c++) {
              size_t j = (size_t) f * nch + c;
              df[j] = finite_or_zero_f (src[j], &nonfinite) * gain_f[f];
            }
        }
      }
    }
    /* The detector's rows, channel by channel (stereo: one loop the
     * compiler vectorises), kept within +-ROW_LIMIT: a sample the input
     * gain takes past the float range would make the FFT's whole run NaN
     * (such a frame is limited to nothing either way). */
    float *restrict row0 = lim->rows + ROW_HISTORY + done;
    if (nch == 2) {
      float *restrict row1 = row0 + lim->row_stride;
      for (int i = 0; i < len; i++) {
        row0[i] = row_value (f64 ? (float) d[2 * i] : df[2 * i]);
        row1[i] = row_value (f64 ? (float) d[2 * i + 1] : df[2 * i + 1]);
      }
    } else for (int c = 0; c < nch; c++) {
      float *restrict row = row0 + (size_t) c * lim->row_stride;
      for (int i = 0; i < len; i++) {
        size_t j = (size_t) i * nch + c;
        row[i] = row_value (f64 ? (float) d[j] : df[j]);
      }
    }
    done += len;
  }
  lim->input_gain = input_gain;
  lim->nonfinite += nonfinite;
}

/* The guard in F32: the largest float not above the ceiling. */
static float
float_guard (double ceiling)
{
  float cf = (float) ceiling;
  return (double) cf > ceiling ? nextafterf (cf, 0.0f) : cf;
}

/* v within [-c, c] (v is never NaN): a minimum and a maximum. */
static inline double
clamp_d (double v, double c)
{
  v = v < c ? v : c;
  return v > -c ? v : -c;
}

static inline float
clamp_f (float v, float c)
{
  v = v < c ? v : c;
  return v > -c ? v : -c;
}

/* The smallest of x[0 .. n - 1] and init, in eight running minima side by
 * side so that the loop vectorises (the compiler does not reorder min_d,
 * which is not associative with NaN). */
static inline double
min_of (const double *x, int n, double init)
{
  double m[8];
  int i = 0;
  for (int k = 0; k < 8; k++)
    m[k] = init;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++)
      m[k] = min_d (m[k], x[i + k]);
  for (; i < n; i++)
    m[0] = min_d (m[0], x[i]);
  for (int k = 1; k < 8; k++)
    m[0] = min_d (m[0], m[k]);
  return m[0];
}

/* The gain from the window sum of the released gain: the average, at most
 * 1 and exactly 1 when every value is 1 (the sum is then exactly L, and
 * 1 / L is rounded up). */
static inline double
window_gain (double sum, double inv_l)
{
  return min_d (sum * inv_l, 1.0);
}

#ifdef MST_HAVE_X86_PATHS
/* give_output's common case (stereo, linked, F32, one ceiling) with AVX2,
 * four frames a vector kept interleaved (the compiler splits the channels
 * and joins them again); the same operations, so the same output. Returns
 * how many frames it did (a multiple of 4). */
__attribute__ ((target ("avx2,fma")))
static int
output_stereo_f32_avx2 (const double *sums, const float *d, float *y,
    int len, double inv_l, float cf)
{
  const __m256d scale = _mm256_set1_pd (inv_l), one = _mm256_set1_pd (1.0);
  const __m256 hi = _mm256_set1_ps (cf), lo = _mm256_set1_ps (-cf);
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    /* window_gain and clamp_f as minima and maxima: the same selects. */
    __m256d g = _mm256_min_pd (_mm256_mul_pd (_mm256_loadu_pd (sums + i),
            scale), one);
    __m256 x = _mm256_loadu_ps (d + 2 * i);
    __m256d v01 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0x50),
        _mm256_cvtps_pd (_mm256_castps256_ps128 (x)));
    __m256d v23 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0xfa),
        _mm256_cvtps_pd (_mm256_extractf128_ps (x, 1)));
    __m256 v = _mm256_set_m128 (_mm256_cvtpd_ps (v23), _mm256_cvtpd_ps (v01));
    _mm256_storeu_ps (y + 2 * i, _mm256_max_ps (_mm256_min_ps (v, hi), lo));
  }
  return i;
}
#endif

/* Output frames j0 .. j0 + n - 1 from the ring, frame j0 + i with the gain
 * of window sum sums[c * BLOCK + i] (channel 0's for all when linked); a
 * guard at the output rate clamps what rounding could leave above the
 * ceiling. */
MST_VECTORISE_AVX2
static void
give_output (MstLimiter * lim, bool linked, const double *sums, int64_t j0,
    int n, bool f64, void *out)
{
  const double inv_l = lim->inv_lookahead;
  const int nch = lim->channels;
  const size_t ring = lim->ring_mask + 1;
  const bool steady_ceiling = j0 >= lim->ceiling_changed_at;
  int done = 0;
  while (done < n) {
    size_t slot = (size_t) (j0 + done) & lim->ring_mask;
    int len = (int) (ring - slot < (size_t) (n - done) ? ring - slot
        : (size_t) (n - done));
    const double *restrict d = (const double *) lim->delay + slot * nch;
    const float *restrict df = (const float *) lim->delay + slot * nch;
    const double *restrict g = sums + done;
    const size_t o = (size_t) done * nch;
    if (linked && nch == 2 && steady_ceiling) {
      /* The common case, in loops the compiler vectorises. */
      const double cj = lim->ceiling;
      if (f64) {
        double *restrict y = (double *) out + o;
        for (int i = 0; i < len; i++)
          for (int c = 0; c < 2; c++) {
            y[2 * i + c] = clamp_d (window_gain (g[i], inv_l)
                * d[2 * i + c], cj);
          }
      } else {
        const float cf = float_guard (cj);
        float *restrict y = (float *) out + o;
        int i = 0;
#ifdef MST_HAVE_X86_PATHS
        if (lim->vector_path)
          i = output_stereo_f32_avx2 (g, df, y, len, inv_l, cf);
#endif
        for (; i < len; i++)
          for (int c = 0; c < 2; c++)
            y[2 * i + c] = clamp_f ((float) (window_gain (g[i], inv_l)
                    * df[2 * i + c]), cf);
      }
    } else {
      for (int i = 0; i < len; i++) {
        double cj = lim->delay_ceiling[slot + i];
        float cf = float_guard (cj);
        for (int c = 0; c < nch; c++) {
          size_t k = (size_t) i * nch + c;
          double v = window_gain (sums[(size_t) (linked ? 0 : c) * BLOCK
                  + done + i], inv_l) * (f64 ? d[k] : df[k]);
          if (f64)
            ((double *) out)[o + k] = clamp_d (v, cj);
          else
            ((float *) out)[o + k] = clamp_f ((float) v, cf);
        }
      }
    }
    done += len;
  }

  /* Gain reduction for the readers: the lowest gain of each frame (the
   * gain grows with the sum). */
  double smin = INFINITY, s_last = sums[n - 1];
  for (int c = 0; c < (linked ? 1 : nch); c++) {
    smin = min_of (sums + (size_t) c * BLOCK, n, smin);
    s_last = min_d (s_last, sums[(size_t) c * BLOCK + n - 1]);
  }
  lim->last_gain = window_gain (s_last, inv_l);
  lim->min_gain_since_read = min_d (lim->min_gain_since_read,
      window_gain (smin, inv_l));
}

/* Processes n frames (n <= BLOCK) from in (NULL: silence), writing the
 * completed frames to out; returns how many. Frames at or after
 * output_limit are not written (the end of a drain). */
static size_t
process_frames (MstLimiter * lim, const void *in, bool f64, int n, void *out,
    int64_t output_limit)
{
  const int nch = lim->channels;
  const int64_t t0 = lim->frames_in;

  /* 1. The ceiling needs no glide: it only changes the required gain, and
   * the gain curve ramps over the lookahead whatever it asks. Then the
   * input, after its (gliding) gain, into the delay line and the rows. */
  if (lim->ceiling != lim->ceiling_target) {
    lim->ceiling = lim->ceiling_target;
    lim->ceiling_changed_at = t0;
  }
  take_input (lim, in, f64, n);

  /* 2. Interval peaks of frames u = t - DETECT_DELAY. */
#ifdef MST_HAVE_X86_PATHS
  if (lim->set.true_peak && lim->vector_path)
    half_sample_points_fft (lim, n);
#endif
  for (int c = 0; c < nch; c++) {
    if (!lim->set.true_peak)
      detect_sample_peaks (lim, c, n);
#ifdef MST_HAVE_X86_PATHS
    else if (lim->vector_path)
      detect_true_peaks_avx2 (lim, c, n);
#endif
    else
      detect_true_peaks (lim, c, n);
    float *row = lim->rows + (size_t) c * lim->row_stride;
    memmove (row, row + n, ROW_HISTORY * sizeof (float));
  }

  /* 3. Required gain of frames u = t0 + i - DETECT_DELAY, then the gain of
   * frames j = u - L + 1. */
  bool linked = lim->set.link >= 1.0 || nch == 1;
#ifdef MST_HAVE_X86_PATHS
  if (lim->vector_path)
    compute_gains_avx2 (lim, linked, n, t0 - DETECT_DELAY);
  else
#endif
    compute_gains_portable (lim, linked, n, t0 - DETECT_DELAY);

  /* 4. Output: frame j = t0 + i - latency gets gain i; frames before the
   * stream's start, already written, or past a drain's end are skipped. */
  int64_t first = t0 - (int64_t) lim->latency;
  int64_t lo = lim->frames_out > first ? lim->frames_out : first;
  int64_t hi = first + n < output_limit ? first + n : output_limit;
  if (lo < 0)
    lo = 0;
  size_t written = 0;
  if (hi > lo) {
    int i_lo = (int) (lo - first);
    written = (size_t) (hi - lo);
    give_output (lim, linked, lim->sums + i_lo, lo, (int) written, f64, out);
    lim->frames_out = hi;
  }
  lim->frames_in += n;
  return written;
}

/* The delay ring to the format of the calls, its frames kept (streams do
 * not normally switch: caps changes reconfigure). In place: widening runs
 * from the end, narrowing from the start, so no value is overwritten
 * before it is read. */
static void
ring_format (MstLimiter * lim, bool f64)
{
  typedef float __attribute__ ((may_alias)) any_float;
  typedef double __attribute__ ((may_alias)) any_double;
  any_float *f = lim->delay;
  any_double *d = lim->delay;
  size_t count = (lim->ring_mask + 1) * lim->max_channels;
  if (lim->delay_f64 == f64)
    return;
  if (f64) {
    for (size_t k = count; k-- > 0;)
      d[k] = f[k];
  } else {
    for (size_t k = 0; k < count; k++)
      f[k] = (float) d[k];
  }
  lim->delay_f64 = f64;
}

static MstResult
process (MstLimiter * lim, const void *in, bool f64, size_t n_in, void *out,
    size_t *n_out)
{
  if (!lim || !n_out || (n_in && (!in || !out)))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  ring_format (lim, f64);
  size_t done = 0, written = 0;
  size_t bps = f64 ? sizeof (double) : sizeof (float);
  /* Output never overtakes input, so in-place (out == in) is safe: frame k
   * of the output is written after input frame k has been read. */
  while (done < n_in) {
    int n = n_in - done > BLOCK ? BLOCK : (int) (n_in - done);
    written += process_frames (lim, (const char *) in + done * lim->channels
        * bps, f64, n, (char *) out + written * lim->channels * bps,
        INT64_MAX);
    done += n;
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  return MST_OK;
}

MstResult
mst_limiter_process_f32 (MstLimiter * lim, const float *in, size_t n_in,
    float *out, size_t *n_out)
{
  return process (lim, in, false, n_in, out, n_out);
}

MstResult
mst_limiter_process_f64 (MstLimiter * lim, const double *in, size_t n_in,
    double *out, size_t *n_out)
{
  return process (lim, in, true, n_in, out, n_out);
}

static MstResult
drain (MstLimiter * lim, bool f64, void *out, size_t *n_out)
{
  if (!lim || !out || !n_out)
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  ring_format (lim, f64);
  int64_t end = lim->frames_in;
  size_t written = 0;
  size_t bps = f64 ? sizeof (double) : sizeof (float);
  while (lim->frames_out < end) {
    int n = (int) fmin (BLOCK, (double) (lim->latency + 1));
    written += process_frames (lim, NULL, f64, n,
        (char *) out + written * lim->channels * bps, end);
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  mst_limiter_reset (lim);
  return MST_OK;
}

MstResult
mst_limiter_drain_f32 (MstLimiter * lim, float *out, size_t *n_out)
{
  return drain (lim, false, out, n_out);
}

MstResult
mst_limiter_drain_f64 (MstLimiter * lim, double *out, size_t *n_out)
{
  return drain (lim, true, out, n_out);
}
