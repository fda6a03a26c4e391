/* mastering: reverb core. A feedback delay network (Jot and Chaigne, "Digital
 * delay networks for designing artificial reverberators", AES 90th
 * convention, 1991): MST_REVERB_LINES delay lines of mutually prime
 * lengths, fed back through a Hadamard matrix scaled by 1 / sqrt (N) (unitary,
 * so the loop neither gains nor loses energy of itself) followed by slowly
 * turning rotations of pairs of lines (`modulation`: the matrix stays
 * orthogonal at every frame, the modes move), each line through
 * an absorption filter whose gain is exactly the decay the line's length
 * asks for: a line of d frames must lose 60 dB in RT60 seconds, so its gain
 * is g = 10^(-3 d / (RT60 fs)) (Jot's formula), taken at 0 Hz from
 * `decay-low` and at Nyquist from `decay` by a first-order shelf at
 * `crossover`, times a second shelf at `damping`. In front: a pre-delay and
 * four Schroeder all-pass diffusers a channel; out: two orthogonal sums of
 * the lines (decorrelated left and right), the wet side scaled by width.
 *
 * The network runs in blocks no longer than the shortest line (a block is
 * read before it is written), so each line is read, filtered (mst-biquad,
 * its coefficients ramping when they change) and written as a run, and the
 * matrix works on whole rows. */
#include "mst-reverb.h"

#include <stdlib.h>
#include <string.h>

#include "mst-biquad.h"
#include "mst-filter.h"
#include "mst-cpu.h"
#include "mst-fpu.h"
#include "mst-smoother.h"
#include "mst-tail.h"
#include "mst-tapline.h"

#define N_LINES MST_REVERB_LINES
#define BLOCK MST_REVERB_BLOCK
#define N_PAIRS MST_REVERB_PAIRS
/* Line lengths at size 100 %, ms: geometric from the first to the last
 * (the spread of common FDN designs, about 1:2.7). */
#define LINE_MIN_MS 23.0
#define LINE_MAX_MS 61.0
/* All-pass diffusers: delays in ms a channel (distinct, so left and right
 * decorrelate), the coefficient at diffusion 100 %. */
#define N_DIFFUSERS 4
static const double diffuser_ms[2][N_DIFFUSERS] = {
  {1.13, 1.71, 2.93, 4.37}, {1.27, 1.93, 3.11, 4.71},
};
/* Schroeder's all-pass gain ("Natural sounding artificial reverberation",
 * JAES 10 (3), 1962): dense without colouring. */
#define DIFFUSION_MAX_COEF 0.7
/* Deepest step a shelf of the absorption filters takes, per pass of a
 * line (-60 dB): a deeper one puts its pole so near z = 1 that a residue
 * of the loop decays over minutes (found at decay 0.1 s, damping 1 kHz and
 * lines of 122 ms: a 220 dB shelf). It only limits how much shorter the
 * high decay can be than the low one on the longest lines (RT60 ratios
 * beyond 1:8 at size 200 %). */
#define SHELF_MIN_RATIO 1e-3
/* Glides end within this relative distance of the target. */
#define SNAP 1e-9

/* Sign patterns: input of line i (channel i & 1) and the two outputs,
 * rows of a 16 x 16 Hadamard matrix (orthogonal, so L and R are
 * uncorrelated sums of the lines). */
static const double out_sign[2][N_LINES] = {
  {1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1},
  {1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1},
};
static const double in_sign[N_LINES] = {
  1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1,
};

typedef struct {
  double *buf;
  size_t mask, delay;
  uint64_t pos;
  double coef;
} Diffuser;

/* What glides, as one struct: targets and values in use. */
typedef struct {
  double decay, decay_low, crossover, damping, size, diffusion, mix, width,
      modulation;
} Params;

struct MstReverb {
  MstReverbSettings settings;
  double rate;
  int in_channels;
  bool configured;
  Params target, cur;
  double glide_tau_frames;
  MstTapLine lines[N_LINES];
  MstTapLine predelay[2];
  Diffuser diff[2][N_DIFFUSERS];
  MstBiquadCascade absorb[N_LINES];
  /* The rotations of the feedback matrix: each pair's sweep phase and
   * step (radians a frame), its angle at the end of the last block. */
  double rot_phase[N_PAIRS], rot_step[N_PAIRS], rot_theta[N_PAIRS];
  size_t lengths[N_LINES];
  double wet_gain;
  bool net_clear;               /* bypassed and settled: lines cleared */
  MstTail tail;
  uint64_t nonfinite;
  /* Scratch for one block. */
  double dry[2][BLOCK], inj[2][BLOCK], s[N_LINES][BLOCK], wet[2][BLOCK];
  double ramp[2 * BLOCK];
};

void
mst_reverb_settings_default (MstReverbSettings * s)
{
  s->decay_s = 2.0;
  s->decay_low_s = MST_REVERB_DECAY_LOW_FOLLOWS;
  s->crossover_hz = 500.0;
  s->damping_hz = MST_REVERB_MAX_DAMPING_HZ;
  s->size_pct = 100.0;
  s->predelay_ms = 10.0;
  s->diffusion_pct = 70.0;
  s->mix_pct = 30.0;
  s->width_pct = 100.0;
  s->modulation_pct = 100.0;
  s->tail = true;
  s->bypass = false;
}

static bool
is_prime (size_t n)
{
  if (n < 2)
    return false;
  for (size_t k = 2; k * k <= n; k++)
    if (n % k == 0)
      return false;
  return true;
}

/* Lengths for @size_pct: the nominal ones rounded up to distinct primes. */
static void
line_lengths (double rate, double size_pct, size_t *len)
{
  for (int i = 0; i < N_LINES; i++) {
    double ms = LINE_MIN_MS * pow (LINE_MAX_MS / LINE_MIN_MS,
        i / (double) (N_LINES - 1));
    size_t n = (size_t) lround (ms * 1e-3 * rate * size_pct / 100.0);
    for (;; n++) {
      bool used = false;
      for (int k = 0; k < i; k++)
        used = used || len[k] == n;
      if (!used && is_prime (n))
        break;
    }
    len[i] = n;
  }
}

static size_t
max_line_frames (double rate)
{
  size_t len[N_LINES];
  line_lengths (rate, MST_REVERB_MAX_SIZE_PCT, len);
  return len[N_LINES - 1];
}

MstReverb *
mst_reverb_init (void)
{
  MstReverb *rv = calloc (1, sizeof *rv);
  if (!rv)
    return NULL;
  mst_reverb_settings_default (&rv->settings);
  rv->in_channels = 2;
  return rv;
}

static void
free_lines (MstReverb * rv)
{
  for (int i = 0; i < N_LINES; i++)
    mst_tapline_free (&rv->lines[i]);
  for (int c = 0; c < 2; c++) {
    mst_tapline_free (&rv->predelay[c]);
    for (int k = 0; k < N_DIFFUSERS; k++) {
      free (rv->diff[c][k].buf);
      rv->diff[c][k].buf = NULL;
    }
  }
  rv->configured = false;
}

void
mst_reverb_destroy (MstReverb ** rv)
{
  if (!rv || !*rv)
    return;
  free_lines (*rv);
  free (*rv);
  *rv = NULL;
}

/* The decay below the crossover in force: decay_low_s, or decay_s when it
 * is under MST_REVERB_MIN_DECAY_S (MST_REVERB_DECAY_LOW_FOLLOWS, the
 * default, or a value a controller passes through on its way there). */
static double
decay_low (const MstReverbSettings * s)
{
  return s->decay_low_s < MST_REVERB_MIN_DECAY_S ? s->decay_s
      : s->decay_low_s;
}

static void
targets_from_settings (MstReverb * rv)
{
  const MstReverbSettings *s = &rv->settings;
  rv->target = (Params) {
  s->decay_s, decay_low (s), s->crossover_hz, s->damping_hz, s->size_pct,
        s->diffusion_pct, s->bypass ? 0.0 : s->mix_pct, s->width_pct,
        s->modulation_pct};
}

/* The absorption filter of a line of @d frames, and the wet gain. */
static void
design_line (const MstReverb * rv, const Params * p, size_t d, MstBiquad * out)
{
  double g_high = pow (10.0, -3.0 * d / (p->decay * rv->rate));
  double g_low = pow (10.0, -3.0 * d / (p->decay_low * rv->rate));
  g_high = fmax (g_high, g_low * SHELF_MIN_RATIO);
  g_low = fmax (g_low, g_high * SHELF_MIN_RATIO);
  MstBiquad shelf, damp;
  mst_filter_first_order_shelf (g_low, g_high, p->crossover, rv->rate,
      &shelf);
  if (p->damping >= MST_REVERB_MAX_DAMPING_HZ) {
    *out = shelf;
    return;
  }
  /* Above damping the decay time falls towards decay / ratio: the
   * Nyquist gain g_high^ratio, relative to g_high. */
  mst_filter_first_order_shelf (1.0, fmax (SHELF_MIN_RATIO, pow (g_high,
              MST_REVERB_DAMPING_RATIO - 1.0)), p->damping, rv->rate, &damp);
  out->b0 = shelf.b0 * damp.b0;
  out->b1 = shelf.b0 * damp.b1 + shelf.b1 * damp.b0;
  out->b2 = shelf.b1 * damp.b1;
  out->a1 = shelf.a1 + damp.a1;
  out->a2 = shelf.a1 * damp.a1;
}

/* Filters for the current values; the lines asked for the current size. */
static void
update_network (MstReverb * rv)
{
  size_t len[N_LINES];
  double mean = 0;
  line_lengths (rv->rate, rv->cur.size, len);
  for (int i = 0; i < N_LINES; i++) {
    if (len[i] != rv->lengths[i])
      mst_tapline_set_delay (&rv->lines[i], len[i]);
    rv->lengths[i] = len[i];
    design_line (rv, &rv->cur, len[i], &rv->absorb[i].coefs[0]);
    mean += len[i] / (double) N_LINES;
  }
  /* The wet level independent of the decay: the energy of the impulse
   * response of a loop of gain g is 1 / (1 - g^2) times its first pass. */
  double g2 = pow (10.0, -6.0 * mean / (fmax (rv->cur.decay,
              rv->cur.decay_low) * rv->rate));
  rv->wet_gain = sqrt (1.0 - g2);
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < N_DIFFUSERS; k++)
      rv->diff[c][k].coef = DIFFUSION_MAX_COEF * rv->cur.diffusion / 100.0;
}

static MstResult
alloc_diffuser (Diffuser * d, double rate, double ms)
{
  size_t n = (size_t) lround (ms * 1e-3 * rate), cap = 1;
  while (cap < n + 1)
    cap *= 2;
  d->buf = calloc (cap, sizeof (double));
  if (!d->buf)
    return MST_ERR_NOMEM;
  d->mask = cap - 1;
  d->delay = n;
  return MST_OK;
}

MstResult
mst_reverb_configure (MstReverb * rv, double rate_hz, int in_channels)
{
  if (!rv || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || (in_channels != 1 && in_channels != 2))
    return MST_ERR_INVALID_ARG;
  free_lines (rv);
  rv->rate = rate_hz;
  rv->in_channels = in_channels;
  double fade = MST_REVERB_FADE_MS * 1e-3 * rate_hz;
  size_t longest = max_line_frames (rate_hz);
  MstResult r = MST_OK;
  for (int i = 0; i < N_LINES && r == MST_OK; i++)
    r = mst_tapline_alloc (&rv->lines[i], longest, BLOCK, fade);
  for (int c = 0; c < 2 && r == MST_OK; c++) {
    r = mst_tapline_alloc (&rv->predelay[c], (size_t) ceil
        (MST_REVERB_MAX_PREDELAY_MS * 1e-3 * rate_hz), BLOCK, fade);
    for (int k = 0; k < N_DIFFUSERS && r == MST_OK; k++)
      r = alloc_diffuser (&rv->diff[c][k], rate_hz, diffuser_ms[c][k]);
  }
  if (r != MST_OK) {
    free_lines (rv);
    return r;
  }
  rv->glide_tau_frames = MST_REVERB_SMOOTHING_MS * 1e-3 * rate_hz;
  rv->configured = true;
  rv->nonfinite = 0;
  mst_reverb_reset (rv);
  return MST_OK;
}

static bool
settings_valid (const MstReverbSettings * s)
{
#define IN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))
  return IN (s->decay_s, MST_REVERB_MIN_DECAY_S, MST_REVERB_MAX_DECAY_S)
      && IN (s->decay_low_s, MST_REVERB_DECAY_LOW_FOLLOWS,
      MST_REVERB_MAX_DECAY_S)
      && IN (s->crossover_hz, MST_REVERB_MIN_CROSSOVER_HZ,
      MST_REVERB_MAX_CROSSOVER_HZ)
      && IN (s->damping_hz, MST_REVERB_MIN_DAMPING_HZ,
      MST_REVERB_MAX_DAMPING_HZ)
      && IN (s->size_pct, MST_REVERB_MIN_SIZE_PCT, MST_REVERB_MAX_SIZE_PCT)
      && IN (s->predelay_ms, 0.0, MST_REVERB_MAX_PREDELAY_MS)
      && IN (s->diffusion_pct, 0.0, 100.0) && IN (s->mix_pct, 0.0, 100.0)
      && IN (s->width_pct, 0.0, 100.0) && IN (s->modulation_pct, 0.0, 100.0);
#undef IN
}

MstResult
mst_reverb_set (MstReverb * rv, const MstReverbSettings * s)
{
  if (!rv || !s || !settings_valid (s))
    return MST_ERR_INVALID_ARG;
  rv->settings = *s;
  targets_from_settings (rv);
  if (rv->configured)
    for (int c = 0; c < 2; c++)
      mst_tapline_set_delay (&rv->predelay[c], (size_t) lround
          (s->predelay_ms * 1e-3 * rv->rate));
  return MST_OK;
}

static void
clear_network (MstReverb * rv)
{
  for (int i = 0; i < N_LINES; i++) {
    mst_tapline_reset (&rv->lines[i]);
    mst_biquad_cascade_reset (&rv->absorb[i]);
  }
  for (int c = 0; c < 2; c++) {
    mst_tapline_reset (&rv->predelay[c]);
    for (int k = 0; k < N_DIFFUSERS; k++) {
      Diffuser *d = &rv->diff[c][k];
      memset (d->buf, 0, (d->mask + 1) * sizeof (double));
      d->pos = 0;
    }
  }
}

/* The sweeps from their start: rates geometric from MST_REVERB_MOD_MIN_HZ
 * to MST_REVERB_MOD_MAX_HZ over the pairs in a scrambled order (3 p mod
 * 8), phases by the golden angle (spread, no two alike). */
static void
mod_reset (MstReverb * rv)
{
  double depth = MST_REVERB_MOD_ANGLE_RAD * rv->cur.modulation / 100.0;
  for (int p = 0; p < N_PAIRS; p++) {
    int r = (3 * p) % N_PAIRS;
    double hz = MST_REVERB_MOD_MIN_HZ * pow (MST_REVERB_MOD_MAX_HZ /
        MST_REVERB_MOD_MIN_HZ, r / (double) (N_PAIRS - 1));
    rv->rot_step[p] = 2.0 * M_PI * hz / rv->rate;
    rv->rot_phase[p] = fmod (p * 2.399963229728653, 2.0 * M_PI);
    rv->rot_theta[p] = depth * sin (rv->rot_phase[p]);
  }
}

void
mst_reverb_reset (MstReverb * rv)
{
  if (!rv || !rv->configured)
    return;
  targets_from_settings (rv);
  rv->cur = rv->target;
  for (int c = 0; c < 2; c++)
    rv->predelay[c].wanted = (size_t) lround (rv->settings.predelay_ms * 1e-3
        * rv->rate);
  line_lengths (rv->rate, rv->cur.size, rv->lengths);
  for (int i = 0; i < N_LINES; i++) {
    rv->absorb[i].n_sections = 1;
  }
  mod_reset (rv);
  for (int i = 0; i < N_LINES; i++)
    rv->lines[i].wanted = rv->lengths[i];
  update_network (rv);
  clear_network (rv);
  rv->net_clear = false;
  rv->tail.active = false;
}

bool
mst_reverb_is_passthrough (const MstReverb * rv)
{
  return rv->in_channels == 2 && rv->settings.bypass && rv->cur.mix == 0.0;
}

/* One glide step of every parameter for a block of @n frames; true when
 * one that shapes the network moved. */
static bool
glide (MstReverb * rv, size_t n)
{
  double coef = 1.0 - exp (-(double) n / rv->glide_tau_frames);
  double *v = (double *) &rv->cur, *t = (double *) &rv->target;
  bool moved = false;
  for (size_t k = 0; k < sizeof (Params) / sizeof (double); k++) {
    double snap = SNAP * fmax (1.0, fabs (t[k]));
    bool m = mst_smoother_one_pole_step (&v[k], t[k], coef, snap);
    /* mix and width ramp in the output, modulation in the sweeps' depth,
     * not in the network's design. */
    if (&v[k] != &rv->cur.mix && &v[k] != &rv->cur.width
        && &v[k] != &rv->cur.modulation)
      moved = moved || m;
  }
  return moved;
}

/* @len doubles of the ring @buf (@mask) from position @pos to or from
 * @x (@into_ring), a run to the wrap at a time. */
static void
ring_copy (double *buf, size_t mask, uint64_t pos, double *x, size_t len,
    bool into_ring)
{
  while (len > 0) {
    size_t slot = (size_t) pos & mask, run = mask + 1 - slot;
    run = run < len ? run : len;
    if (into_ring)
      memcpy (buf + slot, x, run * sizeof *x);
    else
      memcpy (x, buf + slot, run * sizeof *x);
    pos += run;
    x += run;
    len -= run;
  }
}

/* In place on @n frames of @x: the four all-passes of channel @c,
 * v[n] = x[n] + g v[n - m], y[n] = v[n - m] - g v[n] (Schroeder). In runs
 * of at most m frames, whose reads all come before the run: a read, the
 * arithmetic frames side by side, a write (AVX2 clone; no fused
 * multiply-add, so the same output as a frame at a time). */
MST_VECTORISE_AVX2 static void
diffuse (MstReverb * rv, int c, double *x, size_t n)
{
  double old[BLOCK], v[BLOCK];
  for (int k = 0; k < N_DIFFUSERS; k++) {
    Diffuser *d = &rv->diff[c][k];
    double g = d->coef;
    for (size_t i0 = 0; i0 < n;) {
      size_t len = n - i0 < d->delay ? n - i0 : d->delay;
      double *y = x + i0;
      ring_copy (d->buf, d->mask, d->pos - d->delay, old, len, false);
      for (size_t i = 0; i < len; i++) {
        v[i] = y[i] + g * old[i];
        y[i] = old[i] - g * v[i];
      }
      ring_copy (d->buf, d->mask, d->pos, v, len, true);
      d->pos += len;
      i0 += len;
    }
  }
}

typedef double v4d __attribute__ ((vector_size (32)));

/* y = H x on the rows of @s (@stride apart), H the Sylvester Hadamard
 * matrix: log2 N stages of butterflies on whole rows, four frames a
 * vector, the stages of span under @h_end only (the 1 / sqrt (N) that
 * makes it unitary is the caller's). */
MST_ALWAYS_INLINE void
hadamard (double *s, size_t stride, size_t n, int h_end)
{
  for (int h = 1; h < h_end; h *= 2)
    for (int i = 0; i < N_LINES; i += 2 * h)
      for (int j = i; j < i + h; j++) {
        double *a = s + j * stride, *b = s + (j + h) * stride;
        size_t t = 0;
        for (; t + 4 <= n; t += 4) {
          v4d x, y;
          memcpy (&x, a + t, sizeof x);
          memcpy (&y, b + t, sizeof y);
          v4d u = x + y, v = x - y;
          memcpy (a + t, &u, sizeof u);
          memcpy (b + t, &v, sizeof v);
        }
        for (; t < n; t++) {
          double x = a[t], y = b[t];
          a[t] = x + y;
          b[t] = x - y;
        }
      }
}

/* cos and sin of @d: a Taylor polynomial when small (the sweeps' steps,
 * under 1e-3 rad a frame: exact to the last bit), else the library's. */
MST_ALWAYS_INLINE void
cos_sin (double d, double *c, double *s)
{
  if (fabs (d) < 1e-2) {
    double d2 = d * d;
    *c = 1.0 - d2 * (1.0 / 2 - d2 * (1.0 / 24 - d2 * (1.0 / 720)));
    *s = d * (1.0 - d2 * (1.0 / 6 - d2 * (1.0 / 120)));
  } else {
    *c = cos (d);
    *s = sin (d);
  }
}

/* The Hadamard product, then the rotations; 1 / sqrt (16) = 0.25 is in
 * the rotations' coefficients (exact: a power of 2). The product's last
 * stage of butterflies pairs the rows the rotations pair, so both are one
 * 2 x 2 step: R(theta) [1 1; 1 -1] = [u v; v -u] with u = c - s,
 * v = c + s, and u + i v = (1 + i) (c + i s) turns with the angle as
 * c + i s does. Each pair runs four frames a vector: u and v for frames
 * t .. t + 3, and for the next four those turned by four steps (the error
 * after a block is a few ulps, and each block starts from cos and sin of
 * its own angle). */
MST_VECTORISE_AVX2 void
mst_reverb_feedback_matrix (double *rows, size_t stride, size_t n,
    bool rotate, const double *theta0, const double *dtheta)
{
  if (!rows || n > BLOCK || (rotate && (!theta0 || !dtheta)))
    return;
  const double scale = 1.0 / sqrt ((double) N_LINES);
  if (!rotate) {
    hadamard (rows, stride, n, N_LINES);
    for (int i = 0; i < N_LINES; i++)
      for (size_t t = 0; t < n; t++)
        rows[i * stride + t] *= scale;
    return;
  }
  hadamard (rows, stride, n, N_PAIRS);
  for (int p = 0; p < N_PAIRS; p++) {
    double c0, s0, c, s, cd, sd, c4[4], s4[4];
    cos_sin (theta0[p], &c0, &s0);
    cos_sin (dtheta[p], &cd, &sd);
    c = (c0 - s0) * scale;
    s = (c0 + s0) * scale;
    for (int t = 0; t < 4; t++) {
      double c1 = c * cd - s * sd;
      s = s * cd + c * sd;
      c = c1;
      c4[t] = c;
      s4[t] = s;
    }
    /* Four steps: the step squared twice. */
    double cs = cd * cd - sd * sd, ss = 2 * cd * sd;
    double step_c = cs * cs - ss * ss, step_s = 2 * cs * ss;
    v4d vc, vs;
    memcpy (&vc, c4, sizeof vc);
    memcpy (&vs, s4, sizeof vs);
    double *a = rows + p * stride, *b = rows + (p + N_PAIRS) * stride;
    size_t t = 0;
    for (; t + 4 <= n; t += 4) {
      v4d x, y;
      memcpy (&x, a + t, sizeof x);
      memcpy (&y, b + t, sizeof y);
      v4d u = vc * x + vs * y, v = vs * x - vc * y;
      memcpy (a + t, &u, sizeof u);
      memcpy (b + t, &v, sizeof v);
      v4d c1 = vc * step_c - vs * step_s;
      vs = vs * step_c + vc * step_s;
      vc = c1;
    }
    memcpy (c4, &vc, sizeof vc);
    memcpy (s4, &vs, sizeof vs);
    for (int j = 0; t < n; t++, j++) {
      double x = a[t], y = b[t];
      a[t] = c4[j] * x + s4[j] * y;
      b[t] = s4[j] * x - c4[j] * y;
    }
  }
}

/* The rotations' angles at the end of a block of @n frames (into
 * rv->rot_theta), their values at its start and steps a frame (the angle
 * moves linearly within a block); false when they all stand at 0. */
static bool
mod_advance (MstReverb * rv, size_t n, double *theta0, double *dtheta)
{
  double depth = MST_REVERB_MOD_ANGLE_RAD * rv->cur.modulation / 100.0;
  bool moving = false;
  for (int p = 0; p < N_PAIRS; p++) {
    double ph = rv->rot_phase[p] + rv->rot_step[p] * n;
    ph = ph >= 2.0 * M_PI ? ph - 2.0 * M_PI : ph;
    rv->rot_phase[p] = ph;
    theta0[p] = rv->rot_theta[p];
    rv->rot_theta[p] = depth * sin (ph);
    dtheta[p] = (rv->rot_theta[p] - theta0[p]) / n;
    moving = moving || theta0[p] != 0.0 || rv->rot_theta[p] != 0.0;
  }
  return moving;
}

/* The network on a block of @n frames of rv->dry: wet output in rv->wet.
 * The loops on rows vectorise (AVX2 clone); no fused multiply-add, so
 * every clone gives the same output. */
MST_VECTORISE_AVX2 static void
run_network (MstReverb * rv, size_t n, bool redesigned,
    const MstBiquad * from)
{
  for (int c = 0; c < 2; c++) {
    mst_tapline_write (&rv->predelay[c], rv->dry[c], n);
    mst_tapline_read (&rv->predelay[c], rv->inj[c], n, n, rv->ramp);
    diffuse (rv, c, rv->inj[c], n);
  }
  for (int i = 0; i < N_LINES; i++)
    mst_tapline_read (&rv->lines[i], rv->s[i], n, 0, rv->ramp);
  /* The lines' absorption filters side by side, four lines a vector. */
  mst_biquad_cascades_run_rows (rv->absorb, N_LINES, rv->s[0], BLOCK,
      redesigned ? from : NULL, (int) n);
  /* The two output sums, line after line (the same order of additions a
   * frame as a sum over the lines, frames side by side). */
  for (int c = 0; c < 2; c++) {
    double *acc = rv->wet[c];
    for (size_t t = 0; t < n; t++)
      acc[t] = 0;
    for (int i = 0; i < N_LINES; i++) {
      const double *x = rv->s[i];
      double sign = out_sign[c][i];
      for (size_t t = 0; t < n; t++)
        acc[t] += sign * x[t];
    }
  }
  double theta0[N_PAIRS], dtheta[N_PAIRS];
  bool rotate = mod_advance (rv, n, theta0, dtheta);
  mst_reverb_feedback_matrix (rv->s[0], BLOCK, n, rotate, theta0, dtheta);
  for (int i = 0; i < N_LINES; i++) {
    const double *x = rv->inj[i & 1];
    double b = in_sign[i];
    for (size_t t = 0; t < n; t++)
      rv->s[i][t] += b * x[t];
    mst_tapline_write (&rv->lines[i], rv->s[i], n);
  }
}

/* The largest block the lines allow now. */
static size_t
block_limit (const MstReverb * rv)
{
  size_t n = BLOCK;
  for (int i = 0; i < N_LINES; i++) {
    size_t m = mst_tapline_max_block (&rv->lines[i]);
    n = m < n ? m : n;
  }
  return n;
}

MST_ALWAYS_INLINE void
put_frames (MstFormat fmt, void *out, size_t done, size_t n,
    const double *l, const double *r)
{
  for (size_t t = 0; t < n; t++) {
    mst_sample_put (fmt, out, 2 * (done + t), l[t]);
    mst_sample_put (fmt, out, 2 * (done + t) + 1, r[t]);
  }
}

/* The body: @in NULL is silence. Returns the peak of the output. */
MST_ALWAYS_INLINE double
reverb_run (MstReverb * rv, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  int ch = rv->in_channels;
  double peak = 0;
  for (size_t done = 0; done < n_frames;) {
    size_t n = block_limit (rv);
    n = n < n_frames - done ? n : n_frames - done;
    bool bad = false;
    if (in) {
      const char *src = (const char *) in + done * ch *
          (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float));
      /* Samples not finite or beyond MST_MAX_INPUT read as silence, the
       * others kept (the network remembers them for seconds). */
      if (!mst_input_sane (src, n * ch, fmt)) {
        rv->nonfinite++;
        bad = true;
      }
      for (size_t t = 0; t < n; t++) {
        double l = mst_sample_get (fmt, src, t * ch);
        double r = mst_sample_get (fmt, src, t * ch + ch - 1);
        rv->dry[0][t] = bad && !(fabs (l) <= MST_MAX_INPUT) ? 0.0 : l;
        rv->dry[1][t] = bad && !(fabs (r) <= MST_MAX_INPUT) ? 0.0 : r;
      }
    } else {
      memset (rv->dry, 0, sizeof rv->dry);
    }
    double mix0 = rv->cur.mix, width0 = rv->cur.width;
    double gain0 = rv->wet_gain;
    MstBiquad from[N_LINES];
    for (int i = 0; i < N_LINES; i++)
      from[i] = rv->absorb[i].coefs[0];
    bool redesigned = glide (rv, n);
    if (redesigned)
      update_network (rv);
    if (rv->settings.bypass && mix0 == 0.0 && rv->cur.mix == 0.0) {
      /* Bypassed and settled: the dry signal itself; the lines cleared
       * once, so a return starts from silence. */
      if (!rv->net_clear)
        clear_network (rv);
      rv->net_clear = true;
      put_frames (fmt, out, done, n, rv->dry[0], rv->dry[1]);
      done += n;
      continue;
    }
    rv->net_clear = false;
    run_network (rv, n, redesigned, from);
    /* Mix, width and wet gain ramp linearly across the block. */
    double dm = (rv->cur.mix - mix0) / n, dw = (rv->cur.width - width0) / n;
    double dg = (rv->wet_gain - gain0) / n;
    const double out_scale = 1.0 / sqrt ((double) N_LINES);
    for (size_t t = 0; t < n; t++) {
      double m = (mix0 + dm * (t + 1)) / 100.0;
      double w = (width0 + dw * (t + 1)) / 100.0;
      double g = (gain0 + dg * (t + 1)) * out_scale;
      double wl = g * rv->wet[0][t], wr = g * rv->wet[1][t];
      double mid = 0.5 * (wl + wr), side = 0.5 * w * (wl - wr);
      double l = rv->dry[0][t], r = rv->dry[1][t];
      /* At mix 0 exactly the dry sample (x + 0 * finite). */
      rv->wet[0][t] = l + m * (mid + side - l);
      rv->wet[1][t] = r + m * (mid - side - r);
      peak = fmax (peak, fmax (fabs (rv->wet[0][t]), fabs (rv->wet[1][t])));
    }
    put_frames (fmt, out, done, n, rv->wet[0], rv->wet[1]);
    done += n;
  }
  return peak;
}

MST_ALWAYS_INLINE MstResult
reverb_process (MstReverb * rv, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  if (!rv || !rv->configured || (!out && n_frames))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  rv->tail.active = false;
  reverb_run (rv, in, n_frames, out, fmt);
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_TO (mst_reverb_process, MstReverb, void, reverb_process)

static size_t
longest_line (const MstReverb * rv)
{
  size_t m = 0;
  for (int i = 0; i < N_LINES; i++) {
    size_t l = mst_tapline_longest (&rv->lines[i]);
    m = l > m ? l : m;
  }
  return m;
}

static double
run_silence_f32 (void *core, void *out, size_t n)
{
  return reverb_run (core, NULL, n, out, MST_FORMAT_F32);
}

static double
run_silence_f64 (void *core, void *out, size_t n)
{
  return reverb_run (core, NULL, n, out, MST_FORMAT_F64);
}

static MstResult
reverb_drain (MstReverb * rv, void *out, size_t max_frames, size_t *n_out,
    MstFormat fmt)
{
  if (!rv || !rv->configured || !n_out || (!out && max_frames))
    return MST_ERR_INVALID_ARG;
  if (!rv->tail.active) {
    /* The floor is tested after the pre-delay and one line, the limit
     * 2 x the longest decay; nothing wet to drain: no tail. */
    bool wet = rv->settings.tail && (rv->cur.mix > 0.0
        || rv->target.mix > 0.0);
    mst_tail_begin (&rv->tail, wet ? (uint64_t) ceil (2.0 *
            fmax (rv->settings.decay_s, decay_low (&rv->settings)) *
            rv->rate) : 0, (uint64_t) ceil (rv->settings.predelay_ms * 1e-3
            * rv->rate) + longest_line (rv));
  }
  bool f64 = fmt == MST_FORMAT_F64;
  *n_out = mst_tail_run (&rv->tail, f64 ? run_silence_f64 : run_silence_f32,
      rv, out, 2 * (f64 ? sizeof (double) : sizeof (float)), max_frames,
      BLOCK, longest_line (rv), pow (10.0, MST_REVERB_TAIL_FLOOR_DB / 20.0));
  return MST_OK;
}

MstResult
mst_reverb_drain_f32 (MstReverb * rv, float *out, size_t max_frames,
    size_t *n_out)
{
  return reverb_drain (rv, out, max_frames, n_out, MST_FORMAT_F32);
}

MstResult
mst_reverb_drain_f64 (MstReverb * rv, double *out, size_t max_frames,
    size_t *n_out)
{
  return reverb_drain (rv, out, max_frames, n_out, MST_FORMAT_F64);
}

void
mst_reverb_get_line_lengths (const MstReverb * rv, size_t *lengths)
{
  memcpy (lengths, rv->lengths, sizeof rv->lengths);
}

double
mst_reverb_design_rt60 (const MstReverb * rv, double freq_hz)
{
  /* Each line's loss per frame in dB from its filter; the mean over the
   * lines (they share it by design, but for the shelves' shape). */
  double db_per_frame = 0;
  for (int i = 0; i < N_LINES; i++)
    db_per_frame += mst_biquad_cascade_db (rv->absorb[i].coefs, 1, freq_hz,
        rv->rate) / rv->lengths[i] / N_LINES;
  return -60.0 / (db_per_frame * rv->rate);
}

uint64_t
mst_reverb_get_nonfinite_count (const MstReverb * rv)
{
  return rv ? rv->nonfinite : 0;
}
