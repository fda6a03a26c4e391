/* mastering: lookahead gain computer.
 *
 * Required gain r per frame; its minimum over the window (van Herk /
 * Gil-Werman: constant cost per frame whatever the window), released by a
 * one-pole (program-dependent with auto-release), then averaged over the
 * same window length. For a required gain at frame p every value averaged
 * into the gain of frame p is at most r[p]: the gain there is at most
 * r[p]. Grouped, the same runs once per 16 frames and the frames' gains
 * are interpolated (see compute_gains_grouped). */
#include "mst-lookahead-gain.h"
#include "mst-cpu.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

/* -2 dB: how much deeper than the sustained reduction a transient is. */
#define TRANSIENT_DEPTH 0.7943282347242815
/* The window sum restarts (is summed afresh from the window) at every
 * frame whose count since the reset is a multiple of this: it then never
 * drifts, and restarts at the same frames however the stream is split into
 * calls, so any split gives the same gains bit for bit. */
#define SUM_RESTART_FRAMES 1024
/* Frames a group, grouped (see mst_lookahead_gain_set_grouped). */
#define GROUP MST_LOOKAHEAD_GAIN_GROUP

/* One gain computer. Its arrays hold the lookahead window's history (L - 1
 * values) followed by the block's new values; the history moves to the
 * front after each block. */
typedef struct {
  double *r;                    /* required gain per frame */
  double *g;                    /* released gain per frame */
  double *bwd;                  /* running minima, see chain_gains */
  double release_gain;
  double sustained;             /* of the frame before the last */
  /* The loop's scaled sustained level t = sustained TRANSIENT_DEPTH q, as
   * it was (a round trip through sustained would round it), and the q it
   * was scaled with (see chain_gains). */
  double scaled_sustained, scaled_with;
  /* The window sum and the value leaving it next (see chain_gains). */
  double sum, leaving;
  /* Grouped (see mst_lookahead_gain_set_grouped): the smallest required
   * gain of the group under way so far, the last whole group's, and the
   * gain points (the group chain's window averages) of groups pts_base
   * on, pts_count of them. */
  double part_r, last_r;
  double *pts;
  int64_t pts_base;
  int pts_count;
  /* Grouped: the frames' required gains when they come as such. */
  double *rf;
} Chain;

/* One rate's window and coefficients: the frames', or the groups'. */
typedef struct {
  int L;                        /* window, frames or groups */
  double inv_l;
  double release_alpha, release_fast_alpha, release_slow_alpha;
  double sustain_alpha;
} Timing;

struct MstLookaheadGain {
  int max_chains, max_window, max_block;
  int lookahead;                /* the window L, frames */
  double rate_hz;
  bool auto_release;
  Timing frame_timing;          /* per frame: window L */
  Timing group_timing;          /* grouped: window ceil (L / GROUP) groups */
  bool grouped;
  int lag;                      /* frames from a required gain to its gain */
  bool use_fma;                 /* AVX2 and FMA */
  uint64_t frames_done;         /* since the reset */
  /* mst_lookahead_gain_process_peaks: chains 0 .. in_step - 1 have seen
   * every frame (a linked stream runs chain 0 only). Going from linked to
   * a chain a channel, the others start as copies of chain 0, whose
   * required gains were the smallest of every channel's; going back, the
   * chains run on, all on the linked required gains, and chain 0's gains
   * are their smallest until frames_done reaches merge_until, when no gain
   * depends on a required gain of before the change any more. */
  int in_step;
  uint64_t merge_until;         /* 0: not merging */
  size_t chain_doubles;         /* a chain's arrays, one block of memory */
  Chain chains[MST_MAX_CHANNELS];
  double *chain_memory;
  /* [chain][max_block]: the block's gains (see window_gain). */
  double *gains;
  /* mst_lookahead_gain_set_points_wanted; gains_pending: the last process
   * call left chain 0's gains as the points out_pts, the block's first
   * frame out_phase frames into the first point's group, out_n frames. */
  bool points_wanted, gains_pending;
  int out_phase, out_n;
  double *out_pts;
};

MstLookaheadGain *
mst_lookahead_gain_init (int max_chains, int max_window_frames,
    int max_block_frames)
{
  if (max_chains < 1 || max_chains > MST_MAX_CHANNELS || max_window_frames < 1
      || max_block_frames < 1)
    return NULL;
  MstLookaheadGain *lg = calloc (1, sizeof *lg);
  if (!lg)
    return NULL;
  /* A chain's arrays hold the window's history and the block, and one
   * more window that chain_gains may scan past the end. They are read
   * and written side by side: their distance is kept off multiples of
   * 4 KiB, where loads would wait for unrelated stores (4K aliasing). */
  size_t chain_len = 2 * (size_t) max_window_frames + max_block_frames + 136;
  /* Grouped: the gain points of a block's groups, those before it that
   * its frames still need, and room. */
  size_t pts_len = (size_t) max_block_frames / GROUP + 8;
  lg->max_chains = max_chains;
  lg->max_window = max_window_frames;
  lg->max_block = max_block_frames;
  lg->use_fma = mst_cpu_has_avx2_fma ();
  /* Per chain: r, g and the backward running minima, the gain points and
   * the frames' required gains. */
  size_t per_chain = 3 * chain_len + pts_len + max_block_frames;
  lg->chain_doubles = per_chain;
  lg->chain_memory = calloc ((size_t) max_chains * per_chain,
      sizeof (double));
  lg->gains = calloc ((size_t) max_chains * max_block_frames, sizeof (double));
  lg->out_pts = calloc (pts_len, sizeof (double));
  if (!lg->chain_memory || !lg->gains || !lg->out_pts) {
    mst_lookahead_gain_destroy (&lg);
    return NULL;
  }
  for (int c = 0; c < max_chains; c++) {
    Chain *ch = &lg->chains[c];
    ch->r = lg->chain_memory + (size_t) c * per_chain;
    ch->g = ch->r + chain_len;
    ch->bwd = ch->g + chain_len;
    ch->pts = ch->bwd + chain_len;
    ch->rf = ch->pts + pts_len;
  }
  /* Until a release is set: none (the gain follows the window minimum). */
  Timing *t[2] = { &lg->frame_timing, &lg->group_timing };
  for (int k = 0; k < 2; k++)
    t[k]->release_alpha = t[k]->release_fast_alpha = t[k]->release_slow_alpha
        = t[k]->sustain_alpha = 1.0;
  mst_lookahead_gain_configure (lg, MST_MIN_RATE_HZ, 1);
  return lg;
}

void
mst_lookahead_gain_destroy (MstLookaheadGain ** lg)
{
  if (!lg || !*lg)
    return;
  free ((*lg)->chain_memory);
  free ((*lg)->gains);
  free ((*lg)->out_pts);
  free (*lg);
  *lg = NULL;
}

static double
one_pole_alpha (double rate_hz, double ms)
{
  return 1.0 - exp (-1.0 / (rate_hz * fmax (ms, 0.01) * 1e-3));
}

static void
set_window (Timing * t, int window)
{
  t->L = window;
  /* Rounded up, so that L times it is at least 1 (see window_gain). */
  t->inv_l = nextafter (1.0 / window, 2.0);
}

/* The lag and the groups' window for the window L and the mode. */
static void
set_timing (MstLookaheadGain * lg)
{
  const int L = lg->lookahead;
  /* Grouped, the window is W = ceil (L / GROUP) groups, so the gain
   * still moves by at most 1 / L a frame; a frame's gain needs the next
   * group's point, which needs the required gains up to GROUP W +
   * GROUP - 1 frames ahead. */
  const int W = (L + GROUP - 1) / GROUP;
  set_window (&lg->frame_timing, L);
  set_window (&lg->group_timing, W);
  lg->lag = lg->grouped ? GROUP * W + GROUP - 1 : L - 1;
}

MstResult
mst_lookahead_gain_configure (MstLookaheadGain * lg, double rate_hz,
    int window_frames)
{
  if (!lg || !(rate_hz > 0) || window_frames < 1
      || window_frames > lg->max_window)
    return MST_ERR_INVALID_ARG;
  lg->rate_hz = rate_hz;
  lg->lookahead = window_frames;
  lg->grouped = false;
  set_timing (lg);
  mst_lookahead_gain_reset (lg);
  return MST_OK;
}

MstResult
mst_lookahead_gain_set_grouped (MstLookaheadGain * lg, bool grouped)
{
  if (!lg || (grouped && lg->lookahead < MST_LOOKAHEAD_GAIN_MIN_GROUPED))
    return MST_ERR_INVALID_ARG;
  lg->grouped = grouped;
  set_timing (lg);
  mst_lookahead_gain_reset (lg);
  return MST_OK;
}

int
mst_lookahead_gain_get_lag (const MstLookaheadGain * lg)
{
  return lg->lag;
}

static void
set_alphas (Timing * t, double rate_hz, double ms)
{
  t->release_alpha = one_pole_alpha (rate_hz, ms);
  /* Auto-release: back to the sustained level four times faster, beyond it
   * at half the speed (see chain_gains). */
  t->release_fast_alpha = one_pole_alpha (rate_hz, ms * 0.25);
  t->release_slow_alpha = one_pole_alpha (rate_hz, ms * 2.0);
  t->sustain_alpha = one_pole_alpha (rate_hz, ms * 10.0);
}

void
mst_lookahead_gain_set_release (MstLookaheadGain * lg, double ms,
    bool auto_release)
{
  lg->auto_release = auto_release;
  set_alphas (&lg->frame_timing, lg->rate_hz, ms);
  /* The same time constants at the groups' rate. */
  set_alphas (&lg->group_timing, lg->rate_hz / GROUP, ms);
}

void
mst_lookahead_gain_reset (MstLookaheadGain * lg)
{
  const int H = lg->grouped ? lg->group_timing.L - 1 : lg->lookahead - 1;
  for (int c = 0; c < lg->max_chains; c++) {
    Chain *ch = &lg->chains[c];
    for (int i = 0; i < H; i++)
      ch->r[i] = ch->g[i] = 1.0;
    ch->release_gain = 1.0;
    ch->sustained = 1.0;
    ch->scaled_with = 0.0;
    ch->sum = ch->leaving = 0.0;
    ch->part_r = ch->last_r = 1.0;
    /* The group chain's first point is that of group -(W - 1); the first
     * frames' gains (frame -lag on) need the two before it. */
    ch->pts_base = -(int64_t) lg->group_timing.L - 1;
    ch->pts[0] = ch->pts[1] = 1.0;
    ch->pts_count = 2;
  }
  lg->frames_done = 0;
  lg->in_step = 1;
  lg->merge_until = 0;
  lg->gains_pending = false;
}

double *
mst_lookahead_gain_required (MstLookaheadGain * lg, int chain)
{
  return lg->grouped ? lg->chains[chain].rf
      : lg->chains[chain].r + (lg->lookahead - 1);
}

const double *
mst_lookahead_gain_gains (const MstLookaheadGain * lg, int chain)
{
  return lg->gains + (size_t) chain * lg->max_block;
}

/* Plain comparisons: fmin is a library call unless the compiler may assume
 * no NaN, and the values here are never NaN. */
static inline double
min_d (double a, double b)
{
  return a < b ? a : b;
}

/* Chain dst made a copy of chain src, arrays and state. */
static void
copy_chain (MstLookaheadGain * lg, int dst, int src)
{
  Chain *d = &lg->chains[dst];
  const Chain *s = &lg->chains[src];
  double *r = d->r, *g = d->g, *bwd = d->bwd, *pts = d->pts, *rf = d->rf;
  memcpy (r, s->r, sizeof (double) * lg->chain_doubles);
  *d = *s;
  d->r = r;
  d->g = g;
  d->bwd = bwd;
  d->pts = pts;
  d->rf = rf;
}

/* The gain from the window sum of the released gain: the average, at most
 * 1 and exactly 1 when every value is 1 (the sum is then exactly L, and
 * 1 / L is rounded up), and at least 0: the running sum's rounding, after
 * gains near 1 left the window, went to -3e-17 where the gains were 1e-15
 * (a NaN gain reduction; tests/fuzz/corpus/limiter/negative-gain). */
static inline double
window_gain (double sum, double inv_l)
{
  double g = min_d (sum * inv_l, 1.0);
  return g > 0.0 ? g : 0.0;
}

/* The gain computer is built twice: for AVX2 and FMA, chosen at run time,
 * and portable. Its steps are written once, inlined into both. */
#define GAIN_STEP static inline __attribute__ ((always_inline))

/* Linking: each chain's required gains r[from .. from + n - 1] move their
 * reduction (in dB) towards the strongest chain's by @link, and so stay at
 * most their own. */
GAIN_STEP void
link_required (MstLookaheadGain * lg, int n_chains, int from, int n,
    double link)
{
  for (int i = from; i < from + n && n_chains > 1 && link > 0.0; i++) {
    double r_min = 1.0;
    for (int c = 0; c < n_chains; c++)
      r_min = min_d (r_min, lg->chains[c].r[i]);
    for (int c = 0; c < n_chains; c++) {
      double *rc = &lg->chains[c].r[i];
      if (*rc != r_min)
        *rc = exp ((1.0 - link) * log (*rc) + link * log (r_min));
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
 * average (its sum; then window_gain).
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
chain_gains (const MstLookaheadGain * lg, const Timing * tm, uint64_t done,
    Chain * ch, int n, double *gains, bool use_fma)
{
  const int L = tm->L, H = L - 1;
  const double inv_l = tm->inv_l;
  const double *r = ch->r;
  double *bwd = ch->bwd;
  suffix_min (r, bwd, L);

  const bool auto_release = lg->auto_release;
  /* Fixed release: both coefficients the same. */
  const double a_fast = auto_release ? tm->release_fast_alpha
      : tm->release_alpha;
  const double a_slow = auto_release ? tm->release_slow_alpha
      : tm->release_alpha;
  const double a_sus = tm->sustain_alpha;
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
  double g = ch->release_gain;
  double t = ch->scaled_with == q ? ch->scaled_sustained
      : ch->sustained * TRANSIENT_DEPTH * q;
  double *restrict gr = ch->g + H;
  const double *restrict g_old = ch->g;
  /* The window sum for the average runs in the same loop (its chain of
   * additions then overlaps the release's): summed afresh from the window
   * at the restart frames (SUM_RESTART_FRAMES), so it never drifts and is
   * exactly L when every value is 1; carried between calls. */
  double sum = ch->sum, leaving = ch->leaving;
  int restart = (int) ((SUM_RESTART_FRAMES - done % SUM_RESTART_FRAMES)
      % SUM_RESTART_FRAMES);

  for (int start = 0; start < n; start += L) {
    const int end = start + L < n ? start + L : n;
    /* The next segment's minima backward (needed when this segment is
     * whole, and then whole themselves). */
    const int next_end = start + 2 * L - 1;
    double f = INFINITY;
    double b = INFINITY;
    for (int i = start; i < end;) {
      if (i == restart) {
        /* The window before frame i: g[i - L + 1 .. i - 1]. */
        sum = sum_of (g_old + i, H);
        leaving = 0.0;
        restart += SUM_RESTART_FRAMES;
      }
      const int stop = restart < end ? restart : end;
      for (; i < stop; i++) {
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
         * sum's own chain. The sums to gains in a pass of their own, which
         * vectorises (in the loop: 5 % more time). */
        sum += g - leaving;
        gains[i] = sum;
        leaving = g_old[i];
      }
    }
  }
  for (int i = 0; i < n; i++)
    gains[i] = window_gain (gains[i], inv_l);
  ch->release_gain = g;
  ch->sum = sum;
  ch->leaving = leaving;
  ch->sustained = auto_release ? t / (TRANSIENT_DEPTH * q) : 1.0;
  ch->scaled_sustained = t;
  ch->scaled_with = auto_release ? q : 0.0;
  memmove (ch->r, ch->r + n, sizeof (double) * H);
  memmove (ch->g, ch->g + n, sizeof (double) * H);
}

static inline float
max_f (float a, float b)
{
  return a > b ? a : b;
}

/* The required gains of frames i < n: r[i] = c / max (p, c) (exactly 1
 * where p <= c, no branch), p the largest of the n_peaks peaks[k][i], c
 * the frame's ceilings[i] or cu for all; one pass, with no store of the
 * peaks' maximum. */
GAIN_STEP void
required_from_peaks (double *restrict r, const float *const *peaks,
    int n_peaks, const double *ceilings, double cu, int n)
{
  if (ceilings) {
    for (int i = 0; i < n; i++) {
      float pf = peaks[0][i];
      for (int k = 1; k < n_peaks; k++)
        pf = max_f (pf, peaks[k][i]);
      double c = ceilings[i], pi = pf;
      r[i] = c / (pi > c ? pi : c);
    }
  } else if (n_peaks == 1 || n_peaks == 2) {
    const float *restrict p0 = peaks[0];
    const float *restrict p1 = peaks[n_peaks - 1];
    for (int i = 0; i < n; i++) {
      double pi = max_f (p0[i], p1[i]);
      r[i] = cu / (pi > cu ? pi : cu);
    }
  } else {
    for (int i = 0; i < n; i++) {
      float pf = peaks[0][i];
      for (int k = 1; k < n_peaks; k++)
        pf = max_f (pf, peaks[k][i]);
      double pi = pf;
      r[i] = cu / (pi > cu ? pi : cu);
    }
  }
}

/* A float's bits, read where floats are. */
typedef uint32_t __attribute__ ((may_alias)) float_bits;

/* The largest of a whole group's peaks (frames at .. at + GROUP - 1 of
 * the n_peaks arrays). */
GAIN_STEP float
group_peak (const float *const *peaks, int n_peaks, size_t at)
{
#ifdef __SSE2__
  /* SSE (every x86-64, so the portable build too): its maximum is exact
   * on magnitudes, and four lanes of it cost what one scalar does. */
  __m128 m = _mm_setzero_ps ();
  for (int c = 0; c < n_peaks; c++) {
    const float *x = peaks[c] + at;
    m = _mm_max_ps (m, _mm_max_ps (_mm_max_ps (_mm_loadu_ps (x),
                _mm_loadu_ps (x + 4)), _mm_max_ps (_mm_loadu_ps (x + 8),
                _mm_loadu_ps (x + 12))));
  }
  m = _mm_max_ps (m, _mm_movehl_ps (m, m));
  m = _mm_max_ss (m, _mm_shuffle_ps (m, m, 1));
  return _mm_cvtss_f32 (m);
#else
  float m = 0.0f;
  for (int c = 0; c < n_peaks; c++)
    for (int t = 0; t < GROUP; t++)
      m = max_f (m, peaks[c][at + t]);
  return m;
#endif
}

#ifdef MST_HAVE_X86_PATHS
/* group_peak of @count whole groups from frame @at on, into p[0 ..],
 * eight groups at a time with AVX2: each group's vertical maximum over
 * its 16 frames and the arrays in one vector, then the eight vectors'
 * horizontal maxima together, halving them three times (a permutation of
 * halves, then two of pairs and of single lanes), instead of a reduction
 * of its own each. Maxima are exact: the same values. Returns how many
 * groups it did (a multiple of 8). */
__attribute__ ((target ("avx2")))
static int
group_peaks8_avx2 (const float *const *peaks, int n_peaks, size_t at,
    int count, double *p)
{
  int k = 0;
  for (; k + 8 <= count; k += 8) {
    __m256 v[8];
    for (int g = 0; g < 8; g++) {
      const size_t f = at + (size_t) GROUP * (k + g);
      __m256 m = _mm256_max_ps (_mm256_loadu_ps (peaks[0] + f),
          _mm256_loadu_ps (peaks[0] + f + 8));
      for (int c = 1; c < n_peaks; c++)
        m = _mm256_max_ps (m, _mm256_max_ps (_mm256_loadu_ps (peaks[c] + f),
                _mm256_loadu_ps (peaks[c] + f + 8)));
      v[g] = m;
    }
    /* Halves: w[h] holds group 2h's four partial maxima, then 2h + 1's. */
    __m256 w[4], y[2];
    for (int h = 0; h < 4; h++)
      w[h] = _mm256_max_ps (_mm256_permute2f128_ps (v[2 * h], v[2 * h + 1],
              0x20), _mm256_permute2f128_ps (v[2 * h], v[2 * h + 1], 0x31));
    /* Pairs: y[h] holds groups 4h, 4h + 2 (two lanes each), then 4h + 1,
     * 4h + 3. */
    for (int h = 0; h < 2; h++)
      y[h] = _mm256_max_ps (_mm256_shuffle_ps (w[2 * h], w[2 * h + 1],
              _MM_SHUFFLE (1, 0, 1, 0)), _mm256_shuffle_ps (w[2 * h],
              w[2 * h + 1], _MM_SHUFFLE (3, 2, 3, 2)));
    /* Lanes: groups 0, 2, 4, 6, then 1, 3, 5, 7; at least 0, as
     * group_peak's. */
    __m256 r = _mm256_max_ps (_mm256_shuffle_ps (y[0], y[1],
            _MM_SHUFFLE (2, 0, 2, 0)), _mm256_shuffle_ps (y[0], y[1],
            _MM_SHUFFLE (3, 1, 3, 1)));
    r = _mm256_max_ps (_mm256_setzero_ps (), _mm256_permutevar8x32_ps (r,
            _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7)));
    _mm256_storeu_pd (p + k, _mm256_cvtps_pd (_mm256_castps256_ps128 (r)));
    _mm256_storeu_pd (p + k + 4, _mm256_cvtps_pd (_mm256_extractf128_ps (r,
                1)));
  }
  return k;
}
#endif

/* Four doubles (GCC's vector extensions), local values only: passed to
 * or returned from a function, their ABI would differ between builds. */
typedef double f64x4 __attribute__ ((vector_size (32)));

/* floor (a / b), b > 0. */
static inline int64_t
floor_div (int64_t a, int64_t b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The smallest required gain of frames i .. i + len - 1 (len <= GROUP):
 * from rf when given, else cu / max (p, cu) of the peaks' largest p. */
GAIN_STEP double
span_required (const float *const *peaks, int n_peaks, const double *rf,
    double cu, int i, int len)
{
  if (rf) {
    double r_min = rf[i];
    for (int t = 1; t < len; t++)
      r_min = min_d (r_min, rf[i + t]);
    return r_min;
  }
  uint32_t m = 0;
  for (int k = 0; k < n_peaks; k++) {
    const float_bits *pk = (const float_bits *) (peaks[k] + i);
    for (int t = 0; t < len; t++) {
      const uint32_t b = pk[t] & 0x7fffffffu;
      m = b > m ? b : m;
    }
  }
  float pf;
  memcpy (&pf, &m, sizeof pf);
  const double p = pf;
  return cu / (p > cu ? p : cu);
}

/* Grouped: the smallest required gain of each group of GROUP frames that
 * ends in this block (groups at multiples of GROUP frames since the reset),
 * into R; returns how many. A chain's required gains come from its
 * @n_peaks peaks under the one ceiling cu, or as they are in rf. The group
 * under way at the block's end is carried as its smallest required gain so
 * far: min (cu / max (p, cu)) over frames is cu / max (max p, cu) (a
 * correctly rounded division by a larger number is never larger), so any
 * split of the frames gives the same R bit for bit. */
GAIN_STEP int
group_required (const MstLookaheadGain * lg, Chain * ch,
    const float *const *peaks, int n_peaks, const double *rf, double cu,
    int n, double *restrict R, bool use_fma)
{
  const int phase = (int) (lg->frames_done % GROUP);
  double part = ch->part_r;
  int ng = 0, i = 0;
  if (phase > 0) {
    /* The group under way. */
    i = GROUP - phase < n ? GROUP - phase : n;
    part = min_d (part, span_required (peaks, n_peaks, rf, cu, 0, i));
    if (phase + i == GROUP) {
      R[ng++] = part;
      part = 1.0;
    }
  }
  /* Whole groups: their largest peaks first (four lanes at a time), then
   * their divisions in a loop of their own, which vectorises. */
  const int whole = (n - i) / GROUP;
  if (rf) {
    for (int k = 0; k < whole; k++)
      R[ng + k] = span_required (NULL, 0, rf, cu, i + GROUP * k, GROUP);
  } else {
    double *restrict p = ch->rf;
    int k = 0;
#ifdef MST_HAVE_X86_PATHS
    if (use_fma)
      k = group_peaks8_avx2 (peaks, n_peaks, (size_t) i, whole, p);
#else
    (void) use_fma;
#endif
    for (; k < whole; k++)
      p[k] = group_peak (peaks, n_peaks, (size_t) i + GROUP * k);
    double *restrict Rw = R + ng;
    for (int k = 0; k < whole; k++)
      Rw[k] = cu / (p[k] > cu ? p[k] : cu);
  }
  ng += whole;
  i += GROUP * whole;
  if (i < n)
    part = min_d (part, span_required (peaks, n_peaks, rf, cu, i, n - i));
  ch->part_r = part;
  return ng;
}

/* Grouped: the gains of n frames from the points pt[0 ..], the first frame
 * j frames into pt[0]'s group: frame GROUP k + s of the points' groups
 * (s < GROUP) gets a + d s, a = pt[k], d = (pt[k + 1] - a) / GROUP, one
 * multiply-add with @use_fma's build (as mst_lookahead_gain_points says). */
GAIN_STEP void
interpolate (const double *pt, int j, int n, double *restrict out)
{
  static const double step[GROUP] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15
  };
  for (int i = 0; i < n; pt++) {
    const int len = GROUP - j < n - i ? GROUP - j : n - i;
    const double a = pt[0], d = (pt[1] - a) * (1.0 / GROUP);
    if (len == GROUP) {
      /* Four frames a vector (GCC's vector extensions; left to itself
       * it unrolls the loop into scalar products). */
      const f64x4 av = { a, a, a, a }, dv = { d, d, d, d };
      for (int t = 0; t < GROUP; t += 4) {
        const f64x4 v = av + dv * (f64x4) { step[t], step[t + 1],
          step[t + 2], step[t + 3]
        };
        memcpy (out + i + t, &v, sizeof v);
      }
    } else {
      for (int t = 0; t < len; t++)
        out[i + t] = a + d * step[j + t];
    }
    i += len;
    j = 0;
  }
}

/* Grouped: the chains' gains from their groups' required gains. Group k
 * (frames GROUP k .. GROUP k + GROUP - 1) requires R[k], its smallest; the
 * point at its first frame Q[k] = min (R[k - 1], R[k]), the smallest over
 * the two groups whose frames the point's gain reaches. The group chain
 * (chain_gains on the points, window W groups, the release's time
 * constants at the groups' rate) makes the points' gains A[k], each at
 * most Q[k]; frame GROUP k + j gets A[k] + (A[k + 1] - A[k]) j / GROUP,
 * between two values at most R[k] and so at most every required gain of
 * its group. A[k + 1] needs Q up to k + W, the required gains up to
 * GROUP (k + W + 1) - 1: a frame's gain comes lg->lag = GROUP W + GROUP - 1
 * frames after its required gain. A moves by at most 1 / W a point, the
 * gain by at most 1 / (GROUP W) <= 1 / L a frame. */
GAIN_STEP void
compute_gains_grouped (MstLookaheadGain * lg, int n_chains, int n,
    double link, const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double cu, bool use_fma)
{
  const Timing *tm = &lg->group_timing;
  const int Hg = tm->L - 1;
  int ng = 0;
  for (int c = 0; c < n_chains; c++) {
    Chain *ch = &lg->chains[c];
    const float *const *pk = linked ? peaks : peaks + c;
    const int np = linked ? n_peaks : 1;
    const double *rf = NULL;
    if (n_peaks == 0)
      rf = ch->rf;
    else if (ceilings) {
      required_from_peaks (ch->rf, pk, np, ceilings, cu, n);
      rf = ch->rf;
    }
    ng = group_required (lg, ch, pk, np, rf, cu, n, ch->r + Hg, use_fma);
  }
  /* Linking, on the groups' required gains (as per frame otherwise). */
  link_required (lg, n_chains, Hg, ng, link);
  /* The frames' gains: frame p = frames_done - lag + i for gain i. */
  const int64_t p0 = (int64_t) lg->frames_done - lg->lag;
  const int64_t k0 = floor_div (p0, GROUP);
  const int64_t k_next = floor_div (p0 + n, GROUP);
  /* One chain, whose gains the caller takes as points. */
  const bool points_only = lg->points_wanted && use_fma && n_chains == 1;
  lg->gains_pending = points_only;
  for (int c = 0; c < n_chains; c++) {
    Chain *ch = &lg->chains[c];
    double *q = ch->r + Hg;
    double last = ch->last_r;
    for (int i = 0; i < ng; i++) {
      const double R = q[i];
      q[i] = min_d (last, R);
      last = R;
    }
    ch->last_r = last;
    if (ng > 0) {
      chain_gains (lg, tm, lg->frames_done / GROUP, ch, ng,
          ch->pts + ch->pts_count, use_fma);
      ch->pts_count += ng;
    }
    const double *pt = ch->pts + (k0 - ch->pts_base);
    const int j = (int) (p0 - k0 * GROUP);
    if (points_only) {
      /* The points the frames' gains lie between, for the caller's own
       * interpolation: groups k0 .. k_next, and the one after the last
       * frame's. */
      memcpy (lg->out_pts, pt, sizeof (double) * (size_t) ((j + n - 1)
              / GROUP + 2));
      lg->out_phase = j;
      lg->out_n = n;
    } else
      interpolate (pt, j, n, lg->gains + (size_t) c * lg->max_block);
    /* Keep the points the next block's frames need. */
    const int drop = (int) (k_next - ch->pts_base);
    ch->pts_count -= drop;
    memmove (ch->pts, ch->pts + drop, sizeof (double) * ch->pts_count);
    ch->pts_base = k_next;
  }
  lg->frames_done += (uint64_t) n;
}

/* Required gains from peaks when there are peaks (n_peaks > 0: one chain
 * of all of them when linked, a chain each otherwise; under each frame's
 * ceiling, or cu for all), linking, then the gains of every chain. */
GAIN_STEP void
compute_gains (MstLookaheadGain * lg, int n_chains, int n, double link,
    const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double cu, bool use_fma)
{
  if (lg->grouped) {
    compute_gains_grouped (lg, n_chains, n, link, peaks, n_peaks, linked,
        ceilings, cu, use_fma);
    return;
  }
  lg->gains_pending = false;
  const int L = lg->lookahead;
  if (n_peaks > 0 && linked) {
    required_from_peaks (lg->chains[0].r + (L - 1), peaks, n_peaks, ceilings,
        cu, n);
    for (int c = 1; c < n_chains; c++)
      memcpy (lg->chains[c].r + (L - 1), lg->chains[0].r + (L - 1),
          sizeof (double) * n);
  } else
    for (int k = 0; k < n_peaks; k++)
      required_from_peaks (lg->chains[k].r + (L - 1), peaks + k, 1, ceilings,
          cu, n);
  link_required (lg, n_chains, L - 1, n, link);
  for (int k = 0; k < n_chains; k++)
    chain_gains (lg, &lg->frame_timing, lg->frames_done, &lg->chains[k], n,
        lg->gains + (size_t) k * lg->max_block, use_fma);
  lg->frames_done += (uint64_t) n;
}

#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2,fma")))
static void
compute_gains_avx2 (MstLookaheadGain * lg, int n_chains, int n, double link,
    const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double cu)
{
  compute_gains (lg, n_chains, n, link, peaks, n_peaks, linked, ceilings, cu,
      true);
}
#endif

static void
compute_gains_portable (MstLookaheadGain * lg, int n_chains, int n,
    double link, const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double cu)
{
  compute_gains (lg, n_chains, n, link, peaks, n_peaks, linked, ceilings, cu,
      false);
}

static void
dispatch (MstLookaheadGain * lg, int n_chains, int n, double link,
    const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double cu)
{
#ifdef MST_HAVE_X86_PATHS
  if (lg->use_fma)
    compute_gains_avx2 (lg, n_chains, n, link, peaks, n_peaks, linked,
        ceilings, cu);
  else
#endif
    compute_gains_portable (lg, n_chains, n, link, peaks, n_peaks, linked,
        ceilings, cu);
}

#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2,fma")))
static void
interpolate_avx2 (const double *pt, int j, int n, double *out)
{
  interpolate (pt, j, n, out);
}
#endif

void
mst_lookahead_gain_set_points_wanted (MstLookaheadGain * lg, bool wanted)
{
  lg->points_wanted = wanted;
}

const double *
mst_lookahead_gain_points (const MstLookaheadGain * lg, int *phase)
{
  if (!lg->gains_pending)
    return NULL;
  *phase = lg->out_phase;
  return lg->out_pts;
}

void
mst_lookahead_gain_write_gains (MstLookaheadGain * lg)
{
  if (!lg->gains_pending)
    return;
#ifdef MST_HAVE_X86_PATHS
  /* Pending only with use_fma (compute_gains_grouped). */
  interpolate_avx2 (lg->out_pts, lg->out_phase, lg->out_n, lg->gains);
#endif
  lg->gains_pending = false;
}

void
mst_lookahead_gain_process (MstLookaheadGain * lg, int n_chains, int n,
    double link)
{
  dispatch (lg, n_chains, n, link, NULL, 0, false, NULL, 1.0);
}

void
mst_lookahead_gain_process_peaks (MstLookaheadGain * lg,
    const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double ceiling, int n, double link)
{
  const int want = linked ? 1 : n_peaks;
  if (want >= lg->in_step) {
    for (int c = lg->in_step; c < want; c++)
      copy_chain (lg, c, 0);
    lg->in_step = want;
    lg->merge_until = 0;
  } else if (lg->merge_until == 0) {
    /* A gain depends on required gains up to lag frames later and on
     * the window's history before them (twice over: the window minimum,
     * then the average); groups round each up. */
    lg->merge_until = lg->frames_done + 2 * ((uint64_t) lg->lag
        + (uint64_t) lg->lookahead) + 4 * GROUP;
  }
  const int run = lg->in_step;
  dispatch (lg, run, n, link, peaks, n_peaks, linked, ceilings, ceiling);
  if (run > want) {
    double *g0 = lg->gains;
    for (int c = 1; c < run; c++) {
      const double *gc = lg->gains + (size_t) c * lg->max_block;
      for (int i = 0; i < n; i++)
        g0[i] = min_d (g0[i], gc[i]);
    }
    if (lg->frames_done >= lg->merge_until) {
      lg->in_step = want;
      lg->merge_until = 0;
    }
  }
}
