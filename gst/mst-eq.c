/* mastering: parametric equalizer core.
 *
 * Audio is processed in blocks of BLOCK_FRAMES frames, converted to planar
 * doubles. Bands run in index order, each a cascade of Direct Form I
 * sections in double precision; mid/side bands switch the front pair to
 * mid/side and back only where the band order needs it. Parameters glide
 * with a one-pole smoother evaluated every control period (about 0.67 ms);
 * each glide step is a new design, and coefficients are interpolated
 * linearly per sample between steps (the stability triangle of a second
 * order section is convex, so every interpolated section is stable). */
#include "mst-eq.h"
#include "mst-fpu.h"
#include "mst-cpu.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_FRAMES 1024
#define CONTROL_PERIOD_S (1.0 / 1500.0)
#define SETTLE_MAX_S 2.0
/* Glides end when the smoothed value is this close to its target. */
#define SNAP_DB 1e-4
#define SNAP_LOG 1e-6

typedef struct {
  MstEqBandSettings target;
  double target_log_freq, target_log_q;
  /* Structure in use: changes of these crossfade through the dry signal. */
  MstFilterType type;
  int slope;
  MstEqChannels channels;
  int n_sections;
  /* Smoothed parameters. */
  double log_freq, gain_db, log_q;
  MstBiquad coefs[MST_FILTER_MAX_SECTIONS];
  double mix, mix_target;       /* wet amount, 0..1 */
  bool active;                  /* being processed */
  size_t settle_frames_left;    /* a neutral band runs on until its tail decays */
  double *state;                /* [channel][section][x1 x2 y1 y2] */
} Band;

struct MstEq {
  int max_channels;
  double rate_hz;
  int channels;
  int left_index, right_index;
  int n_bands;
  Band bands[MST_EQ_MAX_BANDS];
  double gain_target_db, gain_db;
  double gain_lin;
  bool bypass;
  double wet, wet_target;       /* bypass crossfade */
  int control_frames;
  double glide_alpha;           /* one-pole step per control period */
  double fade_step;             /* mix change per frame */
  unsigned nonfinite_resets;
  bool mid_side;                /* the front pair currently holds M/S */
  double *planar;               /* [channel][BLOCK_FRAMES] */
  double *dry;                  /* [channel][BLOCK_FRAMES], a fading band's input */
  double *bypass_dry;           /* [channel][BLOCK_FRAMES], the element's input */
  double ramp[BLOCK_FRAMES];
  double *state_memory;
};

static inline double *
channel_buffer (const MstEq * eq, int channel)
{
  return eq->planar + (size_t) channel * BLOCK_FRAMES;
}

MstEq *
mst_eq_init (int max_channels)
{
  MstEq *eq;
  size_t planar_bytes, state_count, state_bytes;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  eq = calloc (1, sizeof *eq);
  if (!eq)
    return NULL;
  eq->max_channels = max_channels;
  if (!mst_size_mul ((size_t) max_channels * BLOCK_FRAMES, sizeof (double),
          &planar_bytes))
    goto fail;
  state_count = (size_t) MST_EQ_MAX_BANDS * max_channels
      * MST_FILTER_MAX_SECTIONS * 4;
  if (!mst_size_mul (state_count, sizeof (double), &state_bytes))
    goto fail;
  eq->planar = malloc (planar_bytes);
  eq->dry = malloc (planar_bytes);
  eq->bypass_dry = malloc (planar_bytes);
  eq->state_memory = calloc (1, state_bytes);
  if (!eq->planar || !eq->dry || !eq->bypass_dry || !eq->state_memory)
    goto fail;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    band->state = eq->state_memory
        + (size_t) b * max_channels * MST_FILTER_MAX_SECTIONS * 4;
    band->target.filter.type = MST_FILTER_PEAK;
    band->target.filter.freq_hz = 1000.0;
    band->target.filter.gain_db = 0.0;
    band->target.filter.q = 0.707;
    band->target.filter.slope_db_per_oct = 12;
    band->target.enabled = true;
    band->target.channels = MST_EQ_CHANNELS_ALL;
    band->target_log_freq = log (band->target.filter.freq_hz);
    band->target_log_q = log (band->target.filter.q);
  }
  eq->n_bands = 1;
  eq->gain_lin = 1.0;
  if (mst_eq_configure (eq, 48000, 1, -1, -1) != MST_OK)
    goto fail;
  return eq;

fail:
  mst_eq_destroy (&eq);
  return NULL;
}

void
mst_eq_destroy (MstEq ** eq)
{
  if (!eq || !*eq)
    return;
  free ((*eq)->planar);
  free ((*eq)->dry);
  free ((*eq)->bypass_dry);
  free ((*eq)->state_memory);
  free (*eq);
  *eq = NULL;
}

static bool
band_is_neutral_target (const Band * band)
{
  return mst_filter_type_has_gain (band->target.filter.type)
      && band->target.filter.gain_db == 0.0;
}

/* The band's structure matches its target: only continuous glides remain. */
static bool
band_structure_matches (const Band * band)
{
  return band->type == band->target.filter.type
      && band->channels == band->target.channels
      && (band->slope == band->target.filter.slope_db_per_oct
      || (band->type != MST_FILTER_LOW_CUT
          && band->type != MST_FILTER_HIGH_CUT));
}

static void
band_design (const MstEq * eq, Band * band)
{
  MstFilterParams p = {
    band->type, exp (band->log_freq), band->gain_db, exp (band->log_q),
    band->slope
  };
  int n;
  if (mst_filter_design (&p, eq->rate_hz, band->coefs, &n) == MST_OK)
    band->n_sections = n;
}

static void
band_clear_state (const MstEq * eq, Band * band)
{
  memset (band->state, 0, sizeof (double) * eq->max_channels
      * MST_FILTER_MAX_SECTIONS * 4);
}

static size_t
band_settle_frames (const MstEq * eq, const Band * band)
{
  /* Ten time constants of the section's poles, Q / (pi f0) each. */
  double tau = exp (band->log_q) / (M_PI * exp (band->log_freq));
  return (size_t) (eq->rate_hz * fmin (SETTLE_MAX_S, 10.0 * tau + 0.01));
}

/* Takes the target's structure and parameters at once (history cleared). */
static void
band_snap (const MstEq * eq, Band * band, bool from_neutral)
{
  band->type = band->target.filter.type;
  band->slope = band->target.filter.slope_db_per_oct;
  band->channels = band->target.channels;
  band->log_freq = band->target_log_freq;
  band->log_q = band->target_log_q;
  /* A gain band that starts from silence glides up from 0 dB. */
  band->gain_db = from_neutral && mst_filter_type_has_gain (band->type) ?
      0.0 : band->target.filter.gain_db;
  band_clear_state (eq, band);
  band_design (eq, band);
}

static bool
band_wants_processing (const MstEq * eq, int index)
{
  const Band *band = &eq->bands[index];
  return index < eq->n_bands && band->target.enabled
      && !band_is_neutral_target (band);
}

void
mst_eq_reset (MstEq * eq)
{
  if (!eq)
    return;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    band->active = band_wants_processing (eq, b);
    /* Inactive bands are designed when they start. */
    if (band->active)
      band_snap (eq, band, false);
    else
      band_clear_state (eq, band);
    band->mix = band->mix_target = band->active ? 1.0 : 0.0;
    band->settle_frames_left = 0;
  }
  eq->gain_db = eq->gain_target_db;
  eq->gain_lin = mst_db_to_lin (eq->gain_db);
  eq->wet = eq->wet_target = eq->bypass ? 0.0 : 1.0;
  eq->mid_side = false;
}

MstResult
mst_eq_configure (MstEq * eq, double rate_hz, int channels, int left_index,
    int right_index)
{
  if (!eq || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > eq->max_channels
      || left_index >= channels || right_index >= channels
      || (left_index >= 0) != (right_index >= 0)
      || (left_index >= 0 && left_index == right_index))
    return MST_ERR_INVALID_ARG;
  eq->rate_hz = rate_hz;
  eq->channels = channels;
  eq->left_index = left_index;
  eq->right_index = right_index;
  eq->control_frames = (int) fmin (BLOCK_FRAMES,
      fmax (8.0, round (rate_hz * CONTROL_PERIOD_S)));
  eq->glide_alpha = 1.0 - exp (-eq->control_frames
      / (rate_hz * MST_EQ_SMOOTHING_MS * 1e-3));
  eq->fade_step = 1.0 / (rate_hz * MST_EQ_SMOOTHING_MS * 1e-3);
  eq->nonfinite_resets = 0;
  mst_eq_reset (eq);
  return MST_OK;
}

static bool
valid_settings (const MstEqBandSettings * s)
{
  const MstFilterParams *p = &s->filter;
  return p->type >= 0 && p->type < MST_FILTER_N_TYPES
      && p->freq_hz > 0 && isfinite (p->freq_hz)
      && p->q > 0 && isfinite (p->q) && isfinite (p->gain_db)
      && p->slope_db_per_oct >= 6 && p->slope_db_per_oct <= 48
      && s->channels >= MST_EQ_CHANNELS_ALL
      && s->channels <= MST_EQ_CHANNELS_RIGHT;
}

MstResult
mst_eq_set_band (MstEq * eq, int index, const MstEqBandSettings * settings)
{
  if (!eq || index < 0 || index >= MST_EQ_MAX_BANDS || !settings
      || !valid_settings (settings))
    return MST_ERR_INVALID_ARG;
  eq->bands[index].target = *settings;
  eq->bands[index].target_log_freq = log (settings->filter.freq_hz);
  eq->bands[index].target_log_q = log (settings->filter.q);
  return MST_OK;
}

MstResult
mst_eq_set_num_bands (MstEq * eq, int n_bands)
{
  if (!eq || n_bands < 0 || n_bands > MST_EQ_MAX_BANDS)
    return MST_ERR_INVALID_ARG;
  eq->n_bands = n_bands;
  return MST_OK;
}

MstResult
mst_eq_set_gain_db (MstEq * eq, double gain_db)
{
  if (!eq || !isfinite (gain_db))
    return MST_ERR_INVALID_ARG;
  eq->gain_target_db = gain_db;
  return MST_OK;
}

MstResult
mst_eq_set_bypass (MstEq * eq, bool bypass)
{
  if (!eq)
    return MST_ERR_INVALID_ARG;
  eq->bypass = bypass;
  eq->wet_target = bypass ? 0.0 : 1.0;
  return MST_OK;
}

unsigned
mst_eq_get_nonfinite_resets (const MstEq * eq)
{
  return eq ? eq->nonfinite_resets : 0;
}

MstResult
mst_eq_get_band_sections (const MstEq * eq, int index, MstBiquad * sections,
    int *n_sections)
{
  if (!eq || index < 0 || index >= MST_EQ_MAX_BANDS || !sections
      || !n_sections)
    return MST_ERR_INVALID_ARG;
  *n_sections = eq->bands[index].n_sections;
  memcpy (sections, eq->bands[index].coefs,
      sizeof (MstBiquad) * eq->bands[index].n_sections);
  return MST_OK;
}

/* Whether any band needs work now, fading or gliding included. */
static bool
any_band_busy (const MstEq * eq)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (eq->bands[b].active || band_wants_processing (eq, b))
      return true;
  return false;
}

bool
mst_eq_is_passthrough (const MstEq * eq)
{
  if (eq->bypass && eq->wet == 0.0)
    return true;
  return eq->wet == 1.0 && eq->wet_target == 1.0 && !any_band_busy (eq)
      && eq->gain_db == eq->gain_target_db && eq->gain_target_db == 0.0;
}

/* ---- recursive kernels (C: the recurrence keeps state in registers) ---- */

/* Direct Form I, fixed coefficients, one channel. */
static void
biquad_run (const MstBiquad * c, double *st, double *x, int n)
{
  double b0 = c->b0, b1 = c->b1, b2 = c->b2, a1 = c->a1, a2 = c->a2;
  double x1 = st[0], x2 = st[1], y1 = st[2], y2 = st[3];
  for (int i = 0; i < n; i++) {
    double in = x[i];
    double y = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = in;
    y2 = y1;
    y1 = y;
    x[i] = y;
  }
  st[0] = x1;
  st[1] = x2;
  st[2] = y1;
  st[3] = y2;
}

/* Two channels through the same section in one loop: their independent
 * recurrences overlap in the pipeline. */
static void
biquad_run_pair (const MstBiquad * c, double *sa, double *sb, double *xa,
    double *xb, int n)
{
  double b0 = c->b0, b1 = c->b1, b2 = c->b2, a1 = c->a1, a2 = c->a2;
  double ax1 = sa[0], ax2 = sa[1], ay1 = sa[2], ay2 = sa[3];
  double bx1 = sb[0], bx2 = sb[1], by1 = sb[2], by2 = sb[3];
  for (int i = 0; i < n; i++) {
    double ina = xa[i], inb = xb[i];
    double ya = b0 * ina + b1 * ax1 + b2 * ax2 - a1 * ay1 - a2 * ay2;
    double yb = b0 * inb + b1 * bx1 + b2 * bx2 - a1 * by1 - a2 * by2;
    ax2 = ax1;
    ax1 = ina;
    ay2 = ay1;
    ay1 = ya;
    bx2 = bx1;
    bx1 = inb;
    by2 = by1;
    by1 = yb;
    xa[i] = ya;
    xb[i] = yb;
  }
  sa[0] = ax1;
  sa[1] = ax2;
  sa[2] = ay1;
  sa[3] = ay2;
  sb[0] = bx1;
  sb[1] = bx2;
  sb[2] = by1;
  sb[3] = by2;
}

/* Coefficients moving linearly from @from to @to over the n frames. */
static void
biquad_run_ramp (const MstBiquad * from, const MstBiquad * to, double *st,
    double *x, int n)
{
  double inv = 1.0 / n;
  double db0 = (to->b0 - from->b0) * inv, db1 = (to->b1 - from->b1) * inv;
  double db2 = (to->b2 - from->b2) * inv, da1 = (to->a1 - from->a1) * inv;
  double da2 = (to->a2 - from->a2) * inv;
  double b0 = from->b0, b1 = from->b1, b2 = from->b2, a1 = from->a1,
      a2 = from->a2;
  double x1 = st[0], x2 = st[1], y1 = st[2], y2 = st[3];
  for (int i = 0; i < n; i++) {
    b0 += db0;
    b1 += db1;
    b2 += db2;
    a1 += da1;
    a2 += da2;
    double in = x[i];
    double y = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = in;
    y2 = y1;
    y1 = y;
    x[i] = y;
  }
  st[0] = x1;
  st[1] = x2;
  st[2] = y1;
  st[3] = y2;
}

/* Up to all sections of all bands, fused into one pass per sample: the
 * sections' recurrences are independent from one sample to the next, so the
 * processor overlaps them and the pass runs at its arithmetic throughput
 * instead of the latency of one recurrence. Direct Form I in cascade shares
 * history: section k's input history is section k-1's output history. */
#define MAX_FUSED_SECTIONS (MST_EQ_MAX_BANDS * MST_FILTER_MAX_SECTIONS)

typedef double v2d __attribute__ ((vector_size (16)));

/* Coefficients of one section, each broadcast to both lanes. */
typedef struct {
  v2d b0, b1, b2, a1, a2;
} PairSection;

static inline __attribute__ ((always_inline)) v2d
pair_section (const PairSection * c, v2d * h, v2d in, v2d x1, v2d x2)
{
  v2d y1 = h[0], y2 = h[1];
  v2d y = ((c->b1 * x1 + c->b2 * x2 - c->a2 * y2) - c->a1 * y1) + c->b0 * in;
  h[2] = y2;
  h[1] = y1;
  h[0] = y;
  return y;
}

/* Where a stereo pair comes from and goes to: two planar double arrays, or
 * the interleaved F32 frames themselves (converted in registers, the
 * element gain applied on the way out). */
typedef struct {
  double *xa, *xb;
  float *frames;
  v2d gain;
} PairIo;

static inline __attribute__ ((always_inline)) v2d
io_load (const PairIo * io, const bool interleaved, int i)
{
  if (interleaved)
    return (v2d) { io->frames[2 * i], io->frames[2 * i + 1] };
  return (v2d) { io->xa[i], io->xb[i] };
}

static inline __attribute__ ((always_inline)) void
io_store (const PairIo * io, const bool interleaved, int i, v2d y)
{
  if (interleaved) {
    y *= io->gain;
    io->frames[2 * i] = (float) y[0];
    io->frames[2 * i + 1] = (float) y[1];
  } else {
    io->xa[i] = y[0];
    io->xb[i] = y[1];
  }
}

/* The skewed cascade runs each section in transposed direct form II (two
 * state values, no history to shift): section k takes sample i - k in step
 * i, its input being what section k - 1 produced in the step before
 * (pend[k]), so the sections of one step are independent and run in
 * parallel. Sections go from last to first so pend[k] is read before
 * section k - 1 replaces it. Between blocks the state is kept in Direct
 * Form I (the last two inputs and outputs of each section), which the other
 * paths use: it is converted in, and rebuilt from the outputs of the last
 * two steps each section runs (the "track" steps). */
typedef struct {
  v2d s1[MAX_FUSED_SECTIONS], s2[MAX_FUSED_SECTIONS];
  v2d pend[MAX_FUSED_SECTIONS + 1];
  v2d last[MAX_FUSED_SECTIONS + 1][2];  /* [0]: inputs, [k + 1]: section k */
} SkewState;

static inline __attribute__ ((always_inline)) void
skew_step (const PairSection * c, const int n_sections, SkewState * st,
    const PairIo * io, const bool interleaved, const bool track, int i,
    int k_lo, int k_hi)
{
#pragma GCC unroll 8
  for (int k = k_hi; k >= k_lo; k--) {
    v2d in;
    if (k == 0) {
      in = io_load (io, interleaved, i);
      if (track) {
        st->last[0][1] = st->last[0][0];
        st->last[0][0] = in;
      }
    } else {
      in = st->pend[k];
    }
    v2d y = c[k].b0 * in + st->s1[k];
    st->s1[k] = (c[k].b1 * in + st->s2[k]) - c[k].a1 * y;
    st->s2[k] = c[k].b2 * in - c[k].a2 * y;
    if (track) {
      st->last[k + 1][1] = st->last[k + 1][0];
      st->last[k + 1][0] = y;
    }
    if (k == n_sections - 1)
      io_store (io, interleaved, i - k, y);
    else
      st->pend[k + 1] = y;
  }
}

#ifdef MST_HAVE_X86_PATHS
#define HAVE_QUAD_PATH 1
#endif

#ifdef HAVE_QUAD_PATH
typedef double v4d __attribute__ ((vector_size (32)));
typedef long long v4di __attribute__ ((vector_size (32)));
#define MAX_QUAD_SECTIONS 8

/* Steady steps [i0, i1) with two sections per 256-bit vector: sections 2p
 * (low lanes) and 2p + 1 (high lanes) of one step are independent, so they
 * run as one; a pair's input is the previous step's outputs of sections
 * 2p - 1 and 2p, one lane shuffle. Only inlined into a function compiled
 * for AVX and FMA, with n_sections a constant (the state then lives in
 * registers). An odd cascade gets a silent section of zeros. */
static inline __attribute__ ((always_inline)) void
quad_steps (const PairSection * c, const int n_sections, SkewState * st,
    const PairIo * io, const bool interleaved, int i0, int i1)
{
  const int n_pairs = (n_sections + 1) / 2;
  v4d b0[MAX_QUAD_SECTIONS / 2], b1[MAX_QUAD_SECTIONS / 2];
  v4d b2[MAX_QUAD_SECTIONS / 2], a1[MAX_QUAD_SECTIONS / 2];
  v4d a2[MAX_QUAD_SECTIONS / 2], s1[MAX_QUAD_SECTIONS / 2];
  v4d s2[MAX_QUAD_SECTIONS / 2], prev[MAX_QUAD_SECTIONS / 2] = { 0 };
  const v2d zero = { 0.0, 0.0 };

#define JOIN(a, b) ((v4d) { (a)[0], (a)[1], (b)[0], (b)[1] })
#pragma GCC unroll 4
  for (int p = 0; p < n_pairs; p++) {
    int k0 = 2 * p, k1 = 2 * p + 1;
    bool real1 = k1 < n_sections;
    b0[p] = JOIN (c[k0].b0, real1 ? c[k1].b0 : zero);
    b1[p] = JOIN (c[k0].b1, real1 ? c[k1].b1 : zero);
    b2[p] = JOIN (c[k0].b2, real1 ? c[k1].b2 : zero);
    a1[p] = JOIN (c[k0].a1, real1 ? c[k1].a1 : zero);
    a2[p] = JOIN (c[k0].a2, real1 ? c[k1].a2 : zero);
    s1[p] = JOIN (st->s1[k0], real1 ? st->s1[k1] : zero);
    s2[p] = JOIN (st->s2[k0], real1 ? st->s2[k1] : zero);
    /* The pair's last outputs: the pending inputs of sections k0 + 1 and
     * k1 + 1 (none after the last section). */
    prev[p] = JOIN (k0 + 1 < n_sections ? st->pend[k0 + 1] : zero,
        k1 + 1 < n_sections ? st->pend[k1 + 1] : zero);
  }
  for (int i = i0; i < i1; i++) {
    v4d in[MAX_QUAD_SECTIONS / 2];
    v2d x = io_load (io, interleaved, i);
    v4d x4 = { x[0], x[1], 0.0, 0.0 };
    in[0] = __builtin_shuffle (x4, prev[0], (v4di) { 0, 1, 4, 5 });
#pragma GCC unroll 4
    for (int p = 1; p < n_pairs; p++)
      in[p] = __builtin_shuffle (prev[p - 1], prev[p], (v4di) { 2, 3, 4, 5 });
#pragma GCC unroll 4
    for (int p = 0; p < n_pairs; p++) {
      v4d y = b0[p] * in[p] + s1[p];
      s1[p] = (b1[p] * in[p] + s2[p]) - a1[p] * y;
      s2[p] = b2[p] * in[p] - a2[p] * y;
      prev[p] = y;
    }
    v4d out = prev[n_pairs - 1];
    v2d y = (n_sections % 2) ? (v2d) { out[0], out[1] }
    : (v2d) { out[2], out[3] };
    io_store (io, interleaved, i - (n_sections - 1), y);
  }
#pragma GCC unroll 4
  for (int p = 0; p < n_pairs; p++) {
    int k0 = 2 * p, k1 = 2 * p + 1;
    st->s1[k0] = (v2d) { s1[p][0], s1[p][1] };
    st->s2[k0] = (v2d) { s2[p][0], s2[p][1] };
    if (k0 + 1 < n_sections)
      st->pend[k0 + 1] = (v2d) { prev[p][0], prev[p][1] };
    if (k1 < n_sections) {
      st->s1[k1] = (v2d) { s1[p][2], s1[p][3] };
      st->s2[k1] = (v2d) { s2[p][2], s2[p][3] };
      if (k1 + 1 < n_sections)
        st->pend[k1 + 1] = (v2d) { prev[p][2], prev[p][3] };
    }
  }
#undef JOIN
}
#endif

static inline __attribute__ ((always_inline)) void
cascade_pair_body (const PairSection * c, const int n_sections,
    v2d (*hist)[2], const PairIo * io, const bool interleaved,
    const bool quad, int n)
{
  /* With n_sections a constant the steady loop unrolls and the state stays
   * in registers. */
  SkewState st;
  const int last = n_sections - 1;
  int i = 0;

  for (int k = 0; k < n_sections; k++) {
    v2d x1 = hist[k][0], x2 = hist[k][1];
    v2d y1 = hist[k + 1][0], y2 = hist[k + 1][1];
    st.s1[k] = c[k].b1 * x1 - c[k].a1 * y1 + c[k].b2 * x2 - c[k].a2 * y2;
    st.s2[k] = c[k].b2 * x1 - c[k].a2 * y1;
  }
  for (int k = 0; k <= n_sections; k++) {
    st.last[k][0] = hist[k][0];
    st.last[k][1] = hist[k][1];
  }
  /* Untracked steady steps end where some section's last two runs begin:
   * section 0 runs sample n - 2 in step n - 2. */
  int steady_end = n - 2;
  /* Filling: step i runs sections 0..i. */
  for (; i < last && i < n; i++)
    skew_step (c, n_sections, &st, io, interleaved, true, i, 0, i);
  if (i == last) {
#ifdef HAVE_QUAD_PATH
    if (quad && n_sections >= 2 && n_sections <= MAX_QUAD_SECTIONS
        && i < steady_end) {
      quad_steps (c, n_sections, &st, io, interleaved, i, steady_end);
      i = steady_end;
    }
#else
    (void) quad;
#endif
    for (; i < steady_end; i++)
      skew_step (c, n_sections, &st, io, interleaved, false, i, 0, last);
    for (; i < n; i++)
      skew_step (c, n_sections, &st, io, interleaved, true, i, 0, last);
  } else {
    /* A block shorter than the cascade: steps run what they can. */
    for (; i < n + last; i++) {
      int k_lo = i - n + 1 > 0 ? i - n + 1 : 0;
      int k_hi = i < last ? i : last;
      skew_step (c, n_sections, &st, io, interleaved, true, i, k_lo, k_hi);
    }
  }
  /* Draining: step i runs sections i - n + 1 .. last. */
  for (; i < n + last; i++)
    skew_step (c, n_sections, &st, io, interleaved, true, i, i - n + 1,
        last);
  for (int k = 0; k <= n_sections; k++) {
    hist[k][0] = st.last[k][0];
    hist[k][1] = st.last[k][1];
  }
}

static inline __attribute__ ((always_inline)) void
cascade_run_pair_body (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, int n, const bool quad)
{
  PairSection c[MAX_FUSED_SECTIONS];
  for (int k = 0; k < n_sections; k++) {
    c[k].b0 = (v2d) { sections[k].b0, sections[k].b0 };
    c[k].b1 = (v2d) { sections[k].b1, sections[k].b1 };
    c[k].b2 = (v2d) { sections[k].b2, sections[k].b2 };
    c[k].a1 = (v2d) { sections[k].a1, sections[k].a1 };
    c[k].a2 = (v2d) { sections[k].a2, sections[k].a2 };
  }
  if (io->frames) {
    switch (n_sections) {
#define CASE(k) case k: cascade_pair_body (c, k, hist, io, true, quad, n); break;
        CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7)
        CASE (8)
#undef CASE
      default:
        cascade_pair_body (c, n_sections, hist, io, true, false, n);
        break;
    }
  } else {
    switch (n_sections) {
#define CASE(k) case k: cascade_pair_body (c, k, hist, io, false, quad, n); break;
        CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7)
        CASE (8)
#undef CASE
      default:
        cascade_pair_body (c, n_sections, hist, io, false, false, n);
        break;
    }
  }
}

/* Portable build: two lanes, one section at a time. */
static void
cascade_run_pair_generic (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, int n)
{
  cascade_run_pair_body (sections, n_sections, hist, io, n, false);
}

#ifdef HAVE_QUAD_PATH
/* AVX and FMA: two sections per vector in the steady steps, and one fused
 * multiply-add per section on the critical path. */
__attribute__ ((target ("avx,fma")))
static void
cascade_run_pair_avx (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, int n)
{
  cascade_run_pair_body (sections, n_sections, hist, io, n, true);
}
#endif

static void
cascade_run_pair (const MstBiquad * sections, int n_sections, v2d (*hist)[2],
    const PairIo * io, int n)
{
#ifdef HAVE_QUAD_PATH
  if (mst_cpu_has_avx2_fma ()) {
    cascade_run_pair_avx (sections, n_sections, hist, io, n);
    return;
  }
#endif
  cascade_run_pair_generic (sections, n_sections, hist, io, n);
}

static void
cascade_run (const MstBiquad * c, int n_sections, double (*hist)[2],
    double *x, int n)
{
  for (int i = 0; i < n; i++) {
    double in = x[i];
    double x1 = hist[0][0], x2 = hist[0][1];
    hist[0][1] = x1;
    hist[0][0] = in;
    for (int k = 0; k < n_sections; k++) {
      double y1 = hist[k + 1][0], y2 = hist[k + 1][1];
      double y = ((c[k].b1 * x1 + c[k].b2 * x2 - c[k].a2 * y2) - c[k].a1 * y1)
          + c[k].b0 * in;
      hist[k + 1][1] = y1;
      hist[k + 1][0] = y;
      x1 = y1;
      x2 = y2;
      in = y;
    }
    x[i] = in;
  }
}

static inline double *
band_state (const MstEq * eq, const Band * band, int channel, int section)
{
  (void) eq;
  return band->state + ((size_t) channel * MST_FILTER_MAX_SECTIONS
      + section) * 4;
}

/* The channels band @band filters now: writes up to max_channels indices. */
static int
band_channel_list (const MstEq * eq, const Band * band, int *list)
{
  int n = 0;
  switch (band->channels) {
    case MST_EQ_CHANNELS_ALL:
      for (int c = 0; c < eq->channels; c++)
        list[n++] = c;
      break;
    case MST_EQ_CHANNELS_MID:
    case MST_EQ_CHANNELS_LEFT:
      if (eq->left_index >= 0)
        list[n++] = eq->left_index;
      else if (band->channels == MST_EQ_CHANNELS_MID && eq->channels == 1)
        list[n++] = 0;
      break;
    case MST_EQ_CHANNELS_SIDE:
    case MST_EQ_CHANNELS_RIGHT:
      if (eq->right_index >= 0)
        list[n++] = eq->right_index;
      break;
  }
  return n;
}

static void
set_mid_side (MstEq * eq, bool mid_side, int n)
{
  if (eq->mid_side == mid_side || eq->left_index < 0)
    return;
  double *l = channel_buffer (eq, eq->left_index);
  double *r = channel_buffer (eq, eq->right_index);
  if (mid_side)
    mst_orc_ms_encode_f64 (l, r, 0.5, n);
  else
    mst_orc_ms_decode_f64 (l, r, n);
  eq->mid_side = mid_side;
}

/* Advances the band's glides by one control period; true when the
 * coefficients changed. */
static bool
band_glide (const MstEq * eq, Band * band)
{
  double tf = band->target_log_freq;
  double tq = band->target_log_q;
  double tg = band->target.filter.gain_db;
  double a = eq->glide_alpha;
  bool moved = false;

  if (band->log_freq != tf) {
    band->log_freq += a * (tf - band->log_freq);
    if (fabs (tf - band->log_freq) < SNAP_LOG)
      band->log_freq = tf;
    moved = true;
  }
  if (band->log_q != tq) {
    band->log_q += a * (tq - band->log_q);
    if (fabs (tq - band->log_q) < SNAP_LOG)
      band->log_q = tq;
    moved = true;
  }
  if (band->gain_db != tg) {
    band->gain_db += a * (tg - band->gain_db);
    if (fabs (tg - band->gain_db) < SNAP_DB)
      band->gain_db = tg;
    moved = true;
  }
  if (moved)
    band_design (eq, band);
  return moved;
}

/* Runs the band over frames [0, n) of the channels in @list, coefficients
 * ramping from @from when non-NULL. */
static void
band_filter (MstEq * eq, Band * band, const int *list, int n_list,
    const MstBiquad * from, int offset, int n)
{
  for (int s = 0; s < band->n_sections; s++) {
    const MstBiquad *c = &band->coefs[s];
    int k = 0;
    if (!from) {
      for (; k + 1 < n_list; k += 2)
        biquad_run_pair (c, band_state (eq, band, list[k], s),
            band_state (eq, band, list[k + 1], s),
            channel_buffer (eq, list[k]) + offset,
            channel_buffer (eq, list[k + 1]) + offset, n);
    }
    for (; k < n_list; k++) {
      double *st = band_state (eq, band, list[k], s);
      double *x = channel_buffer (eq, list[k]) + offset;
      if (from)
        biquad_run_ramp (&from[s], c, st, x, n);
      else
        biquad_run (c, st, x, n);
    }
  }
}

/* Linear ramp of n values from v (exclusive) moving by step towards target. */
static double
fill_ramp (double *ramp, double v, double target, double step, int n)
{
  for (int i = 0; i < n; i++) {
    if (v < target)
      v = fmin (target, v + step);
    else if (v > target)
      v = fmax (target, v - step);
    ramp[i] = v;
  }
  return v;
}

/* dst = dry + ramp * (dst - dry). */
static void
crossfade (double *dst, const double *dry, const double *ramp, int n)
{
  for (int i = 0; i < n; i++)
    dst[i] = dry[i] + ramp[i] * (dst[i] - dry[i]);
}

static void
band_update_targets (MstEq * eq, Band * band, int index)
{
  bool wants = band_wants_processing (eq, index);
  if (!band->active) {
    if (wants) {
      /* Starting: a gain band glides up from 0 dB with no fade; other types
       * fade in from the dry signal. */
      bool gain_type = mst_filter_type_has_gain (band->target.filter.type);
      band_snap (eq, band, gain_type && band->target.enabled);
      band->active = true;
      band->mix = gain_type ? 1.0 : 0.0;
      band->mix_target = 1.0;
      band->settle_frames_left = 0;
    }
    return;
  }
  if (!band_structure_matches (band) || index >= eq->n_bands
      || !band->target.enabled) {
    band->mix_target = 0.0;
  } else {
    band->mix_target = 1.0;
  }
}

static void
process_band (MstEq * eq, Band * band, int n)
{
  int list[MST_MAX_CHANNELS];
  int n_list;

  if (!band->active)
    return;

  n_list = band_channel_list (eq, band, list);
  if (band->channels == MST_EQ_CHANNELS_MID
      || band->channels == MST_EQ_CHANNELS_SIDE)
    set_mid_side (eq, true, n);
  else if (band->channels == MST_EQ_CHANNELS_LEFT
      || band->channels == MST_EQ_CHANNELS_RIGHT)
    set_mid_side (eq, false, n);

  bool fading = band->mix != 1.0 || band->mix_target != 1.0;
  for (int offset = 0; offset < n;) {
    int m = fading ? n - offset : eq->control_frames;
    MstBiquad from[MST_FILTER_MAX_SECTIONS];
    bool ramping;

    if (m > n - offset)
      m = n - offset;
    memcpy (from, band->coefs, sizeof from);
    int sections_before = band->n_sections;
    ramping = !fading && band_glide (eq, band)
        && band->n_sections == sections_before;
    if (!ramping && !fading && offset == 0) {
      /* Nothing moves: the whole block at once. */
      m = n;
    }
    if (fading) {
      for (int k = 0; k < n_list; k++)
        memcpy (eq->dry + (size_t) list[k] * BLOCK_FRAMES + offset,
            channel_buffer (eq, list[k]) + offset, sizeof (double) * m);
    }
    band_filter (eq, band, list, n_list, ramping ? from : NULL, offset, m);
    if (fading) {
      band->mix = fill_ramp (eq->ramp, band->mix, band->mix_target,
          eq->fade_step, m);
      for (int k = 0; k < n_list; k++)
        crossfade (channel_buffer (eq, list[k]) + offset,
            eq->dry + (size_t) list[k] * BLOCK_FRAMES + offset, eq->ramp, m);
    }
    offset += m;
  }
}

/* After a block: a band that faded out takes its new structure or stops; a
 * gain band that reached 0 dB stops once its tail has decayed. */
static void
band_finish (MstEq * eq, Band * band, int index, int n)
{
  if (!band->active)
    return;
  if (band->mix == 0.0 && band->mix_target == 0.0) {
    /* Faded out: take the new structure, or stop. */
    band->active = false;
    if (band_wants_processing (eq, index)) {
      band_snap (eq, band, false);
      band->active = true;
      band->mix_target = 1.0;
    }
    return;
  }
  /* A gain band that reached 0 dB runs until its tail has decayed. */
  if (band_is_neutral_target (band) && band->gain_db == 0.0
      && band->mix == 1.0) {
    if (band->settle_frames_left == 0)
      band->settle_frames_left = band_settle_frames (eq, band) + 1;
    if (band->settle_frames_left <= (size_t) n) {
      band->active = false;
      band->settle_frames_left = 0;
      band_clear_state (eq, band);
    } else {
      band->settle_frames_left -= n;
    }
  } else {
    band->settle_frames_left = 0;
  }
}

/* A band that only filters, the same way, on every channel. */
static bool
band_is_steady (const Band * band)
{
  return band->mix == 1.0 && band->mix_target == 1.0
      && band->channels == MST_EQ_CHANNELS_ALL
      && band_structure_matches (band)
      && band->log_freq == band->target_log_freq
      && band->log_q == band->target_log_q
      && band->gain_db == band->target.filter.gain_db;
}

/* The common case, every active band steady on all channels: all their
 * sections in one fused pass. With @direct (stereo F32 frames), the pass
 * reads and writes the frames themselves, element gain included, and needs
 * at least one section and no gain glide. False (and nothing done) when the
 * case does not apply. */
static bool
run_steady_bands (MstEq * eq, int n, float *direct)
{
  MstBiquad sections[MAX_FUSED_SECTIONS];
  double *states[MAX_FUSED_SECTIONS];
  int n_sections = 0;
  v2d hist_pair[MAX_FUSED_SECTIONS + 1][2];
  double hist[MAX_FUSED_SECTIONS + 1][2];

  if (eq->mid_side)
    return false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    if (!band->active)
      continue;
    if (!band_is_steady (band))
      return false;
    for (int s = 0; s < band->n_sections; s++)
      sections[n_sections++] = band->coefs[s];
  }
  if (n_sections == 0)
    return direct == NULL;
  if (direct && (eq->gain_db != eq->gain_target_db || eq->wet != 1.0
          || eq->wet_target != 1.0))
    return false;

  for (int c = 0; c < eq->channels;) {
    bool pair = c + 1 < eq->channels;
    /* Gather the channels' histories: hist[0] is the input's, hist[k + 1]
     * section k's output's. */
    int k = 0;
    for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
      Band *band = &eq->bands[b];
      if (!band->active)
        continue;
      for (int s = 0; s < band->n_sections; s++, k++) {
        double *sa = band_state (eq, band, c, s);
        states[k] = sa;
        if (pair) {
          double *sb = band_state (eq, band, c + 1, s);
          if (k == 0) {
            hist_pair[0][0] = (v2d) { sa[0], sb[0] };
            hist_pair[0][1] = (v2d) { sa[1], sb[1] };
          }
          hist_pair[k + 1][0] = (v2d) { sa[2], sb[2] };
          hist_pair[k + 1][1] = (v2d) { sa[3], sb[3] };
        } else {
          if (k == 0) {
            hist[0][0] = sa[0];
            hist[0][1] = sa[1];
          }
          hist[k + 1][0] = sa[2];
          hist[k + 1][1] = sa[3];
        }
      }
    }
    if (pair) {
      PairIo io = { channel_buffer (eq, c), channel_buffer (eq, c + 1),
        direct, {eq->gain_lin, eq->gain_lin}
      };
      cascade_run_pair (sections, n_sections, hist_pair, &io, n);
    }
    else
      cascade_run (sections, n_sections, hist, channel_buffer (eq, c), n);
    /* Scatter back, each section's input history made explicit. */
    k = 0;
    for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
      Band *band = &eq->bands[b];
      if (!band->active)
        continue;
      for (int s = 0; s < band->n_sections; s++, k++) {
        double *sa = states[k];
        double *sb = pair ? band_state (eq, band, c + 1, s) : NULL;
        for (int j = 0; j < 2; j++) {
          if (pair) {
            sa[j] = hist_pair[k][j][0];
            sb[j] = hist_pair[k][j][1];
            sa[2 + j] = hist_pair[k + 1][j][0];
            sb[2 + j] = hist_pair[k + 1][j][1];
          } else {
            sa[j] = hist[k][j];
            sa[2 + j] = hist[k + 1][j];
          }
        }
      }
    }
    c += pair ? 2 : 1;
  }
  return true;
}

static void
apply_gain (MstEq * eq, int n)
{
  if (eq->gain_db == eq->gain_target_db) {
    if (eq->gain_lin != 1.0)
      for (int c = 0; c < eq->channels; c++)
        mst_orc_scale_f64 (channel_buffer (eq, c), eq->gain_lin, n);
    return;
  }
  for (int offset = 0; offset < n; offset += eq->control_frames) {
    int m = n - offset < eq->control_frames ? n - offset : eq->control_frames;
    double from = eq->gain_lin;
    eq->gain_db += eq->glide_alpha * (eq->gain_target_db - eq->gain_db);
    if (fabs (eq->gain_target_db - eq->gain_db) < SNAP_DB)
      eq->gain_db = eq->gain_target_db;
    eq->gain_lin = mst_db_to_lin (eq->gain_db);
    double step = (eq->gain_lin - from) / m;
    for (int i = 0; i < m; i++)
      eq->ramp[i] = from + step * (i + 1);
    for (int c = 0; c < eq->channels; c++) {
      double *x = channel_buffer (eq, c) + offset;
      for (int i = 0; i < m; i++)
        x[i] *= eq->ramp[i];
    }
  }
}

/* Resets any band state that went non-finite; true if any did. */
static bool
check_finite (MstEq * eq)
{
  bool reset = false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    if (!band->active)
      continue;
    for (int c = 0; c < eq->channels; c++)
      for (int s = 0; s < band->n_sections; s++) {
        double *st = band_state (eq, band, c, s);
        if (!isfinite (st[0] + st[1] + st[2] + st[3])) {
          memset (st, 0, 4 * sizeof (double));
          reset = true;
        }
      }
  }
  if (reset)
    eq->nonfinite_resets++;
  return reset;
}

static void
zero_nonfinite (double *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (x[i]))
      x[i] = 0.0;
}

static void
zero_nonfinite_f32 (float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (x[i]))
      x[i] = 0.0f;
}

static void
prepare_bands (MstEq * eq)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    band_update_targets (eq, &eq->bands[b], b);
}

static void
finish_bands (MstEq * eq, int n)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    band_finish (eq, &eq->bands[b], b, n);
}

/* Processes the planar block (n frames) in place. */
static void
process_planar (MstEq * eq, int n)
{
  bool bypass_fading = eq->wet != 1.0 || eq->wet_target != 1.0;

  if (bypass_fading)
    memcpy (eq->bypass_dry, eq->planar,
        sizeof (double) * eq->channels * BLOCK_FRAMES);
  if (!run_steady_bands (eq, n, NULL)) {
    for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
      process_band (eq, &eq->bands[b], n);
  }
  finish_bands (eq, n);
  set_mid_side (eq, false, n);
  apply_gain (eq, n);
  if (bypass_fading) {
    eq->wet = fill_ramp (eq->ramp, eq->wet, eq->wet_target, eq->fade_step, n);
    for (int c = 0; c < eq->channels; c++)
      crossfade (channel_buffer (eq, c),
          eq->bypass_dry + (size_t) c * BLOCK_FRAMES, eq->ramp, n);
    if (eq->wet == 0.0 && eq->bypass) {
      /* Fully bypassed: start clean when re-enabled. */
      double wet_target = eq->wet_target;
      mst_eq_reset (eq);
      eq->wet_target = wet_target;
    }
  }
  if (check_finite (eq))
    zero_nonfinite (eq->planar, (size_t) eq->channels * BLOCK_FRAMES);
}

static void
load_f32 (MstEq * eq, const float *in, int n)
{
  if (eq->channels == 2) {
    mst_orc_deinterleave_f32_2ch (channel_buffer (eq, 0),
        channel_buffer (eq, 1), (const void *) in, n);
  } else if (eq->channels == 1) {
    mst_orc_convert_f32_to_f64 (channel_buffer (eq, 0), in, n);
  } else {
    for (int c = 0; c < eq->channels; c++) {
      double *x = channel_buffer (eq, c);
      for (int i = 0; i < n; i++)
        x[i] = in[(size_t) i * eq->channels + c];
    }
  }
}

static void
store_f32 (const MstEq * eq, float *out, int n)
{
  if (eq->channels == 2) {
    mst_orc_interleave_f32_2ch ((void *) out, channel_buffer (eq, 0),
        channel_buffer (eq, 1), n);
  } else if (eq->channels == 1) {
    mst_orc_convert_f64_to_f32 (out, channel_buffer (eq, 0), n);
  } else {
    for (int c = 0; c < eq->channels; c++) {
      const double *x = channel_buffer (eq, c);
      for (int i = 0; i < n; i++)
        out[(size_t) i * eq->channels + c] = (float) x[i];
    }
  }
}

static void
load_f64 (MstEq * eq, const double *in, int n)
{
  for (int c = 0; c < eq->channels; c++) {
    double *x = channel_buffer (eq, c);
    for (int i = 0; i < n; i++)
      x[i] = in[(size_t) i * eq->channels + c];
  }
}

static void
store_f64 (const MstEq * eq, double *out, int n)
{
  for (int c = 0; c < eq->channels; c++) {
    const double *x = channel_buffer (eq, c);
    for (int i = 0; i < n; i++)
      out[(size_t) i * eq->channels + c] = x[i];
  }
}

MstResult
mst_eq_process_f32 (MstEq * eq, float *frames, size_t n_frames)
{
  if (!eq || (!frames && n_frames))
    return MST_ERR_INVALID_ARG;
  if (mst_eq_is_passthrough (eq))
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > BLOCK_FRAMES ? BLOCK_FRAMES : (int) (n_frames - done);
    float *block = frames + done * eq->channels;
    prepare_bands (eq);
    if (eq->channels == 2 && run_steady_bands (eq, n, block)) {
      /* Steady stereo: filtered straight in the frames. */
      finish_bands (eq, n);
      if (check_finite (eq))
        zero_nonfinite_f32 (block, 2 * (size_t) n);
    } else {
      load_f32 (eq, block, n);
      process_planar (eq, n);
      store_f32 (eq, block, n);
    }
    done += n;
    if (mst_eq_is_passthrough (eq))
      break;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_eq_process_f64 (MstEq * eq, double *frames, size_t n_frames)
{
  if (!eq || (!frames && n_frames))
    return MST_ERR_INVALID_ARG;
  if (mst_eq_is_passthrough (eq))
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > BLOCK_FRAMES ? BLOCK_FRAMES : (int) (n_frames - done);
    double *block = frames + done * eq->channels;
    prepare_bands (eq);
    load_f64 (eq, block, n);
    process_planar (eq, n);
    store_f64 (eq, block, n);
    done += n;
    if (mst_eq_is_passthrough (eq))
      break;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}
