/* mastering: stereo imager core, an orchestration of blocks.
 *
 * Every stage but the band filter is linear and memoryless, so a frame
 * goes through two 2x2 matrices: the first (input polarity, swap, mid/side
 * with the mid gain and the side gain times width) leaves mid in the left
 * buffer and side in the right; the band filter (mst-crossover, one
 * channel) removes the side below mono_below_hz and weights the bands of
 * the multiband width; the second matrix decodes to left/right, rotates
 * and balances. Steady matrices run as one ORC kernel; while a parameter
 * glides (one-pole per control period, mst-smoother) the matrices move
 * linearly per sample.
 *
 * Bands of one width need no split: the side is scaled (folded into the
 * matrices when steady), so equal widths are exactly transparent. Bands
 * of unequal widths split the side with the crossover, and the mid goes
 * through the all-pass its bands sum to (mst_crossover_process_all_pass):
 * Linkwitz-Riley bands are in phase with it, so the output is left and
 * right through one common all-pass with the side weighted per band, no
 * phase between mid and side. Mono bass alone leaves the mid untouched
 * (L + R is the input's) and high-passes the side. */
#include "mst-imager.h"
#include "mst-matrix2.h"
#include "mst-crossover.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_FRAMES 1024
#define CONTROL_PERIOD_S (1.0 / 1500.0)
/* A glide lands on its target within this (linear gain, balance / 100,
 * radians, swap mix, polarity): far below 0.001 dB. The largest move
 * (rotation by pi) lands ln (pi / SNAP) = 17.3 time constants after the
 * change, 173 ms. */
#define SNAP 1e-7
/* The highest split the band filter takes, as a fraction of the rate: the
 * Butterworth designs stay well conditioned below it. */
#define MAX_SPLIT_OF_RATE 0.45
/* Mono bass plus MST_IMAGER_MAX_BANDS bands. */
#define XO_MAX_BANDS (MST_IMAGER_MAX_BANDS + 1)
/* Linkwitz-Riley 24 dB/octave: the mono-bass staple, and the slope whose
 * two sides are in phase (LR4 sums to an all-pass without inversion). */
#define XO_SLOPE_DB_PER_OCT 24

enum {
  C_MID,                        /* mid gain, linear */
  C_SIDE,                       /* side gain times width, linear */
  C_BALANCE,                    /* -1 .. 1 (balance / 100) */
  C_ROTATION,                   /* radians */
  C_SWAP,                       /* 0 straight .. 1 swapped */
  C_POL_LEFT,                   /* +1 .. -1 */
  C_POL_RIGHT,
  N_CONTROLS
};

static const double neutral_controls[N_CONTROLS] = { 1, 1, 0, 0, 0, 1, 1 };

typedef MstMat2 Mat;

/* What the band filter does: no splits (the side times weight[0]), or a
 * crossover with these splits and a weight per band. */
typedef struct {
  int n_splits;
  double freq_hz[XO_MAX_BANDS - 1];
  double weight[XO_MAX_BANDS];
  bool mono;                    /* band 0 is the mono bass: weight 0 */
  bool multiband;               /* bands of unequal width: the mid through
                                 * the crossover's all-pass */
} Layout;

typedef struct {
  MstCrossover *xo;
  Layout layout;
  double weight[XO_MAX_BANDS];  /* gliding towards layout.weight */
  uint64_t xo_nonfinite;
} SidePath;

struct MstImager {
  double rate_hz;
  int control_frames;
  double glide_coef, fade_step;
  double value[N_CONTROLS], target[N_CONTROLS];
  MstImagerSettings settings;
  bool bypass;
  SidePath paths[2];
  int active;                   /* the path in use, or fading out */
  bool fading;                  /* to the other path, fade 0 .. 1 */
  double fade;
  Layout wanted;                /* the band filter the settings ask for */
  uint64_t nonfinite_count;
  double *left, *right;         /* planar pair (right = left + BLOCK_FRAMES):
                                 * left/right, then mid/side */
  double *mid_new, *side_new;   /* the path faded to, the same layout */
  double *bands;                /* [XO_MAX_BANDS][BLOCK_FRAMES] */
  double ramp[BLOCK_FRAMES];
};

void
mst_imager_settings_default (MstImagerSettings * s)
{
  static const double split_hz[MST_IMAGER_MAX_BANDS - 1] =
      { 120.0, 1000.0, 6000.0 };
  memset (s, 0, sizeof *s);
  s->width_pct = 100.0;
  s->num_bands = 1;
  memcpy (s->split_hz, split_hz, sizeof split_hz);
  for (int b = 0; b < MST_IMAGER_MAX_BANDS; b++)
    s->band_width_pct[b] = 100.0;
}

static bool
in_range (double v, double lo, double hi)
{
  return v >= lo && v <= hi;    /* false for NaN */
}

static bool
settings_valid (const MstImagerSettings * s)
{
  if (!in_range (s->width_pct, 0.0, MST_IMAGER_MAX_WIDTH_PCT)
      || !in_range (s->mid_gain_db, MST_IMAGER_MIN_GAIN_DB,
          MST_IMAGER_MAX_GAIN_DB)
      || !in_range (s->side_gain_db, MST_IMAGER_MIN_GAIN_DB,
          MST_IMAGER_MAX_GAIN_DB)
      || !in_range (s->balance, -MST_IMAGER_MAX_BALANCE,
          MST_IMAGER_MAX_BALANCE)
      || !in_range (s->rotation_deg, -MST_IMAGER_MAX_ROTATION_DEG,
          MST_IMAGER_MAX_ROTATION_DEG)
      || !(s->mono_below_hz == 0.0 || in_range (s->mono_below_hz,
              MST_IMAGER_MIN_MONO_HZ, MST_IMAGER_MAX_MONO_HZ))
      || s->num_bands < 1 || s->num_bands > MST_IMAGER_MAX_BANDS)
    return false;
  for (int j = 0; j < MST_IMAGER_MAX_BANDS - 1; j++)
    if (!in_range (s->split_hz[j], MST_IMAGER_MIN_SPLIT_HZ,
            MST_IMAGER_MAX_SPLIT_HZ))
      return false;
  for (int b = 0; b < MST_IMAGER_MAX_BANDS; b++)
    if (!in_range (s->band_width_pct[b], 0.0, MST_IMAGER_MAX_WIDTH_PCT))
      return false;
  return true;
}

/* The band filter @s asks for at @rate_hz (none when bypassed). */
static void
layout_from_settings (const MstImagerSettings * s, bool bypass,
    double rate_hz, Layout * l)
{
  double top = MAX_SPLIT_OF_RATE * rate_hz, last = 0.0;
  int band_above = 0;           /* band of the multiband width above */

  memset (l, 0, sizeof *l);
  l->weight[0] = 1.0;
  if (bypass)
    return;
  if (s->mono_below_hz > 0.0) {
    for (int j = 0; j < s->num_bands - 1; j++)
      if (s->split_hz[j] <= s->mono_below_hz)
        band_above = j + 1;
    l->freq_hz[0] = last = s->mono_below_hz;
    l->weight[0] = 0.0;
    l->mono = true;
    l->weight[1] = s->num_bands > 1 ? s->band_width_pct[band_above] / 100.0
        : 1.0;
    l->n_splits = 1;
  } else if (s->num_bands > 1)
    l->weight[0] = s->band_width_pct[0] / 100.0;
  for (int j = 0; j < s->num_bands - 1; j++) {
    double f = s->split_hz[j];
    if (!(f > last) || f >= top)
      continue;                 /* its band joins the one above */
    l->freq_hz[l->n_splits] = last = f;
    l->weight[l->n_splits + 1] = s->band_width_pct[j + 1] / 100.0;
    l->n_splits++;
  }
  /* Bands of one width need no split: the side times that width (above
   * the mono bass, if any). */
  int first = l->mono ? 1 : 0;
  bool uniform = true;
  for (int b = first + 1; b <= l->n_splits; b++)
    uniform &= l->weight[b] == l->weight[first];
  if (uniform)
    l->n_splits = first;
  l->multiband = l->n_splits > first;
}

/* Whether the band filters of @a and @b have the same structure (the
 * same number of splits, each of the same kind; so multiband alike), so
 * one glides to the other. */
static bool
same_structure (const Layout * a, const Layout * b)
{
  return a->n_splits == b->n_splits && a->mono == b->mono;
}

static void
controls_from_settings (const MstImagerSettings * s, bool bypass,
    double *target)
{
  if (bypass) {
    memcpy (target, neutral_controls, sizeof neutral_controls);
    return;
  }
  target[C_MID] = s->mid_gain_db == 0.0 ? 1.0 : mst_db_to_lin (s->mid_gain_db);
  target[C_SIDE] = (s->side_gain_db == 0.0 ? 1.0
      : mst_db_to_lin (s->side_gain_db)) * (s->width_pct / 100.0);
  target[C_BALANCE] = s->balance / MST_IMAGER_MAX_BALANCE;
  target[C_ROTATION] = s->rotation_deg * (M_PI / 180.0);
  target[C_SWAP] = s->swap ? 1.0 : 0.0;
  target[C_POL_LEFT] = s->invert_left ? -1.0 : 1.0;
  target[C_POL_RIGHT] = s->invert_right ? -1.0 : 1.0;
}

/* The splits of @l into @xo (n_splits > 0): they glide, unless the band
 * count changes (then the crossover starts afresh). */
static void
crossover_take (MstCrossover * xo, const Layout * l)
{
  MstCrossoverSettings xs;
  mst_crossover_settings_default (&xs);
  xs.n_bands = l->n_splits + 1;
  xs.slope_db_per_oct = XO_SLOPE_DB_PER_OCT;
  memcpy (xs.freq_hz, l->freq_hz, sizeof (double) * l->n_splits);
  mst_crossover_set (xo, &xs);
}

/* Points the idle path at the wanted layout, cleared, and starts the
 * crossfade to it. */
static void
start_fade (MstImager * im)
{
  SidePath *next = &im->paths[1 - im->active];
  next->layout = im->wanted;
  memcpy (next->weight, im->wanted.weight, sizeof next->weight);
  if (im->wanted.n_splits > 0) {
    crossover_take (next->xo, &im->wanted);
    mst_crossover_reset (next->xo);
  }
  im->fading = true;
  im->fade = 0.0;
}

/* Takes the wanted layout: glides on the active path when the structure
 * is the same, else a crossfade (after the one under way, if any). */
static void
apply_layout (MstImager * im)
{
  SidePath *p = &im->paths[im->active];
  if (im->fading)
    return;                     /* taken when the fade ends */
  if (!same_structure (&p->layout, &im->wanted)) {
    start_fade (im);
    return;
  }
  if (p->layout.n_splits > 0)
    crossover_take (p->xo, &im->wanted);
  p->layout = im->wanted;
}

MstResult
mst_imager_set (MstImager * im, const MstImagerSettings * s)
{
  if (!im || !s || !settings_valid (s))
    return MST_ERR_INVALID_ARG;
  im->settings = *s;
  im->bypass = s->bypass;
  controls_from_settings (s, s->bypass, im->target);
  layout_from_settings (s, s->bypass, im->rate_hz, &im->wanted);
  apply_layout (im);
  return MST_OK;
}

void
mst_imager_reset (MstImager * im)
{
  if (!im)
    return;
  memcpy (im->value, im->target, sizeof im->value);
  if (im->fading)
    im->active = 1 - im->active;
  im->fading = false;
  /* The wanted layout at once, on a cleared path. */
  im->paths[im->active].layout.n_splits = -1;
  start_fade (im);
  im->active = 1 - im->active;
  im->fading = false;
  for (int k = 0; k < 2; k++)
    mst_crossover_reset (im->paths[k].xo);
}

MstResult
mst_imager_configure (MstImager * im, double rate_hz)
{
  if (!im || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return MST_ERR_INVALID_ARG;
  im->rate_hz = rate_hz;
  im->control_frames = (int) fmin (BLOCK_FRAMES,
      fmax (8.0, round (rate_hz * CONTROL_PERIOD_S)));
  im->glide_coef = mst_smoother_one_pole_coef (im->control_frames, rate_hz,
      MST_IMAGER_SMOOTHING_MS);
  im->fade_step = mst_smoother_fade_step (rate_hz, MST_IMAGER_SMOOTHING_MS);
  for (int k = 0; k < 2; k++) {
    if (mst_crossover_configure (im->paths[k].xo, rate_hz, 1) != MST_OK)
      return MST_ERR_INVALID_ARG;
    im->paths[k].xo_nonfinite = 0;
  }
  im->nonfinite_count = 0;
  layout_from_settings (&im->settings, im->bypass, rate_hz, &im->wanted);
  mst_imager_reset (im);
  return MST_OK;
}

MstImager *
mst_imager_init (void)
{
  MstImager *im = calloc (1, sizeof *im);
  MstImagerSettings defaults;

  if (!im)
    return NULL;
  im->left = calloc (2 * BLOCK_FRAMES, sizeof (double));
  im->right = im->left ? im->left + BLOCK_FRAMES : NULL;
  im->mid_new = calloc (2 * BLOCK_FRAMES, sizeof (double));
  im->side_new = im->mid_new ? im->mid_new + BLOCK_FRAMES : NULL;
  im->bands = calloc ((size_t) XO_MAX_BANDS * BLOCK_FRAMES, sizeof (double));
  im->paths[0].xo = mst_crossover_init (1);
  im->paths[1].xo = mst_crossover_init (1);
  if (!im->left || !im->right || !im->mid_new || !im->side_new || !im->bands
      || !im->paths[0].xo || !im->paths[1].xo)
    goto fail;
  mst_imager_settings_default (&defaults);
  im->rate_hz = 48000.0;
  if (mst_imager_set (im, &defaults) != MST_OK
      || mst_imager_configure (im, 48000.0) != MST_OK)
    goto fail;
  return im;

fail:
  mst_imager_destroy (&im);
  return NULL;
}

void
mst_imager_destroy (MstImager ** im)
{
  if (!im || !*im)
    return;
  free ((*im)->left);
  free ((*im)->mid_new);
  free ((*im)->bands);
  mst_crossover_destroy (&(*im)->paths[0].xo);
  mst_crossover_destroy (&(*im)->paths[1].xo);
  free (*im);
  *im = NULL;
}

uint64_t
mst_imager_get_nonfinite_count (const MstImager * im)
{
  return im ? im->nonfinite_count : 0;
}

static bool
controls_settled (const MstImager * im)
{
  return memcmp (im->value, im->target, sizeof im->value) == 0;
}

/* When all the band filter does is scale the side, steadily (no split, no
 * fade, its weight settled), the scale, to fold into the matrices; else
 * -1. */
static double
side_scale (const MstImager * im)
{
  const SidePath *p = &im->paths[im->active];
  if (im->fading || p->layout.n_splits != 0
      || p->weight[0] != p->layout.weight[0])
    return -1.0;
  return p->weight[0];
}

bool
mst_imager_is_passthrough (const MstImager * im)
{
  return controls_settled (im) && side_scale (im) == 1.0
      && memcmp (im->value, neutral_controls, sizeof im->value) == 0
      && im->wanted.n_splits == 0 && im->wanted.weight[0] == 1.0;
}

/* The first matrix, (L, R) to (mid, side), the side times @scale. */
static Mat
encode_matrix (const double *v, double scale)
{
  double s = v[C_SWAP], pl = v[C_POL_LEFT], pr = v[C_POL_RIGHT];
  /* Polarity of the inputs, then the swap mix: a = (1 - s) L' + s R'. */
  double p00 = (1.0 - s) * pl, p01 = s * pr, p10 = s * pl,
      p11 = (1.0 - s) * pr;
  double hm = 0.5 * v[C_MID], hs = 0.5 * v[C_SIDE] * scale;
  return (Mat) { hm * (p00 + p10), hm * (p01 + p11),
    hs * (p00 - p10), hs * (p01 - p11)
  };
}

/* The second matrix, (mid, side) to (L, R): decode, rotation, balance. */
static Mat
decode_matrix (const double *v)
{
  double c = cos (v[C_ROTATION]), sn = sin (v[C_ROTATION]);
  double gl = 1.0, gr = 1.0;
  if (v[C_BALANCE] != 0.0) {
    /* Constant power: gl^2 + gr^2 = 2 (sine/cosine pan law), unity both
     * at the centre. */
    double p = (v[C_BALANCE] + 1.0) / 2.0 * (M_PI / 2.0);
    gl = M_SQRT2 * cos (p);
    gr = M_SQRT2 * sin (p);
  }
  /* Rotation [[c, -s], [s, c]] of (L, R) = (M + S, M - S). */
  return (Mat) { gl * (c - sn), gl * (c + sn), gr * (sn + c), gr * (sn - c)
  };
}

/* @out += @x times *@weight, which glides to @to (one-pole steps each
 * control period, linear in between). */
static void
add_weighted (const MstImager * im, double *weight, double to,
    const double *x, double *out, int n)
{
  if (*weight == to) {
    if (to != 0.0)
      for (int i = 0; i < n; i++)
        out[i] += to * x[i];
    return;
  }
  for (int offset = 0; offset < n; offset += im->control_frames) {
    int m = n - offset < im->control_frames ? n - offset : im->control_frames;
    double w0 = *weight;
    mst_smoother_one_pole_step (weight, to, im->glide_coef, SNAP);
    double dw = (*weight - w0) / m;
    for (int i = 0; i < m; i++)
      out[offset + i] += (w0 + (i + 1) * dw) * x[offset + i];
  }
}

/* The band filter of @p on @n frames of @mid and @side, in place: the
 * side split and its bands weighted (or only scaled), the mid through the
 * bands' all-pass when they are of unequal widths. */
static void
run_path (MstImager * im, SidePath * p, double *mid, double *side, int n)
{
  int n_bands = p->layout.n_splits + 1;
  double *bands[XO_MAX_BANDS] = { NULL };
  for (int b = 0; b < n_bands; b++)
    bands[b] = im->bands + (size_t) b * BLOCK_FRAMES;
  if (p->layout.n_splits == 0)
    memcpy (bands[0], side, n * sizeof *side);
  else {
    /* The mono band's weight is 0 for as long as the layout lasts: it is
     * not computed. */
    if (p->layout.mono)
      bands[0] = NULL;
    mst_crossover_process_all_pass (p->xo, side, bands,
        p->layout.multiband ? mid : NULL, BLOCK_FRAMES, n);
    uint64_t count = mst_crossover_get_nonfinite_count (p->xo);
    if (count != p->xo_nonfinite) {
      p->xo_nonfinite = count;
      im->nonfinite_count++;
    }
  }
  memset (side, 0, n * sizeof *side);
  for (int b = p->layout.mono; b < n_bands; b++)
    add_weighted (im, &p->weight[b], p->layout.weight[b], bands[b], side, n);
}

/* @n frames of mid at @mid and side at @side through the band filter, in
 * place, crossfading between paths when the structure changes. */
static void
band_filter (MstImager * im, double *mid, double *side, int n)
{
  SidePath *cur = &im->paths[im->active];
  if (!im->fading) {
    run_path (im, cur, mid, side, n);
    return;
  }
  SidePath *next = &im->paths[1 - im->active];
  memcpy (im->mid_new, mid, n * sizeof (double));
  memcpy (im->side_new, side, n * sizeof (double));
  run_path (im, cur, mid, side, n);
  run_path (im, next, im->mid_new, im->side_new, n);
  im->fade = mst_smoother_fade_fill_smooth (im->ramp, im->fade, 1.0,
      im->fade_step, n);
  mst_smoother_crossfade (im->mid_new, mid, im->ramp, n);
  mst_smoother_crossfade (im->side_new, side, im->ramp, n);
  memcpy (mid, im->mid_new, n * sizeof (double));
  memcpy (side, im->side_new, n * sizeof (double));
  if (im->fade == 1.0) {
    im->active = 1 - im->active;
    im->fading = false;
    /* Changes that came during the fade. */
    apply_layout (im);
  }
}

/* The block in im->left / im->right, in place. */
static void
process_planar (MstImager * im, int n)
{
  /* The band filter only scaling the side: the two matrices as one (one
   * pass), the scale in the first. */
  double scale = side_scale (im);
  bool direct = scale >= 0.0;
  if (!direct)
    scale = 1.0;
  if (controls_settled (im)) {
    Mat e = encode_matrix (im->value, scale), d = decode_matrix (im->value);
    if (direct) {
      Mat m = mst_mat2_mul (&d, &e);
      mst_mat2_apply_planar (im->left, im->right, &m, &m, n);
      return;
    }
    mst_mat2_apply_planar (im->left, im->right, &e, &e, n);
    band_filter (im, im->left, im->right, n);
    mst_mat2_apply_planar (im->left, im->right, &d, &d, n);
    return;
  }
  /* Gliding: the matrices at each control step, linear in between; the
   * band filter in between the two, period by period. */
  for (int offset = 0; offset < n; offset += im->control_frames) {
    int m = n - offset < im->control_frames ? n - offset : im->control_frames;
    Mat e0 = encode_matrix (im->value, scale), d0 = decode_matrix (im->value);
    for (int k = 0; k < N_CONTROLS; k++)
      mst_smoother_one_pole_step (&im->value[k], im->target[k],
          im->glide_coef, SNAP);
    Mat e1 = encode_matrix (im->value, scale), d1 = decode_matrix (im->value);
    if (direct) {
      Mat m0 = mst_mat2_mul (&d0, &e0), m1 = mst_mat2_mul (&d1, &e1);
      mst_mat2_apply_planar (im->left + offset, im->right + offset, &m0,
          &m1, m);
      continue;
    }
    mst_mat2_apply_planar (im->left + offset, im->right + offset, &e0,
        &e1, m);
    band_filter (im, im->left + offset, im->right + offset, m);
    mst_mat2_apply_planar (im->left + offset, im->right + offset, &d0,
        &d1, m);
  }
}

MST_ALWAYS_INLINE MstResult
imager_process (MstImager * im, void *frames, size_t n_frames, MstFormat fmt)
{
  const size_t width = fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);

  if (!im || (!frames && n_frames))
    return MST_ERR_INVALID_ARG;
  if (mst_imager_is_passthrough (im))
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > BLOCK_FRAMES ? BLOCK_FRAMES
        : (int) (n_frames - done);
    char *block = (char *) frames + done * 2 * width;
    if (!mst_input_sane (block, 2 * (size_t) n, fmt)) {
      mst_input_clean (block, 2 * (size_t) n, block, fmt);
      im->nonfinite_count++;
    }
    double scale = side_scale (im);
    if (fmt == MST_FORMAT_F32 && controls_settled (im) && scale >= 0.0) {
      /* Steady, the band filter only scaling: one matrix on the frames
       * themselves, the same arithmetic as the planar path. */
      Mat e = encode_matrix (im->value, scale), d = decode_matrix (im->value);
      Mat m = mst_mat2_mul (&d, &e);
      mst_orc_matrix2_f32_2ch ((void *) block, m.m00, m.m01, m.m10, m.m11, n);
      done += n;
      continue;
    }
    mst_planar_load (im->left, BLOCK_FRAMES, block, 2, n, fmt);
    process_planar (im, n);
    mst_planar_store (block, im->left, BLOCK_FRAMES, 2, n, fmt);
    done += n;
    if (mst_imager_is_passthrough (im)) {
      /* Settled mid-call: the rest passes bit-exact, its non-finite and
       * absurd samples still read as silence (counted once). */
      char *rest = (char *) frames + done * 2 * width;
      size_t count = (n_frames - done) * 2;
      if (!mst_input_sane (rest, count, fmt)) {
        mst_input_clean (rest, count, rest, fmt);
        im->nonfinite_count++;
      }
      break;
    }
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_IN_PLACE (mst_imager, MstImager, imager_process)
