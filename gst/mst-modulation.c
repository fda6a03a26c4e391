/* mastering: modulation core (chorus, flanger, phaser), an orchestration
 * of blocks: the delay line (mst-delayline, read at fractional positions
 * by its cubic Lagrange interpolator), one-pole glides (mst-smoother) and
 * the planar I/O (mst-planar).
 *
 * Controls move once per control period (about 0.33 ms): every glide takes
 * a one-pole step, the LFO phase advances, and the delays (or the
 * phaser's all-pass coefficients) at the period's end are computed
 * exactly; within the period each moves linearly per sample, so a delay
 * never jumps (a jump of the read position is a click) and the LFO's
 * curve is followed within 1e-4 frames at the default rate. The delay and
 * all-pass loops are recursive (feedback), so they are C, a sample at a
 * time. */
#include "mst-modulation.h"
#include "mst-delayline.h"
#include "mst-cpu.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_FRAMES 256
#define CONTROL_PERIOD_S (1.0 / 3000.0)
#define MAX_CONTROL_FRAMES 64
/* Glides land on their target within this (frames, Hz, radians, 0..1
 * fractions): inaudible in every unit. */
#define SNAP 1e-9
/* The longest delay read: 30 ms centre, +20 % voice spread, +50 % swing,
 * at the highest rate, plus the interpolator's reach. */
#define MAX_DELAY_S (MST_MODULATION_MAX_DELAY_MS / 1000.0 * \
    (1.0 + MST_MODULATION_VOICE_DELAY_SPREAD / 2.0) * \
    (1.0 + MST_MODULATION_SWING))
/* Nearest read: the interpolator's four frames all written before. */
#define MIN_DELAY_FRAMES 3.0
/* The phaser's break frequency stays below this fraction of the rate (the
 * tangent of the prewarp grows without bound at Nyquist). */
#define MAX_BREAK_OF_RATE 0.45
/* Largest change of a delay per frame: the read runs between half and
 * one and a half times the real time (an octave down, a fifth up). */
#define MAX_DELAY_SPEED 0.5
#define CHORUS_DELAY_MS 15.0
#define FLANGER_DELAY_MS 2.0

enum {
  C_DELAY,                      /* centre delay, frames */
  C_DEPTH,                      /* 0 .. 1 */
  C_RATE,                       /* Hz */
  C_SHAPE,                      /* 0 sine .. 1 triangle */
  C_FEEDBACK,                   /* -0.99 .. 0.99 */
  C_MIX,                        /* 0 .. 1 */
  C_SPREAD,                     /* radians */
  C_LOG_CENTRE,                 /* phaser: ln of the sweep's centre, Hz */
  C_LOG_HALF,                   /* phaser: half the sweep's ln span */
  C_POLARITY,                   /* the wet's sign: 1 .. -1 (invert) */
  C_VOICE_GAIN,                 /* MAX_VOICES of each */
  C_VOICE_DELAY = C_VOICE_GAIN + MST_MODULATION_MAX_VOICES,
  C_VOICE_PHASE = C_VOICE_DELAY + MST_MODULATION_MAX_VOICES,
  C_STAGE = C_VOICE_PHASE + MST_MODULATION_MAX_VOICES,
  N_CONTROLS = C_STAGE + MST_MODULATION_MAX_STAGES
};

struct MstModulation {
  double rate_hz;
  int in_channels;              /* 1 or 2 */
  int channels;                 /* processed: always 2 (the output's) */
  int control_frames;
  double glide_coef, fade_step;
  MstModulationSettings settings;
  MstModulationMode mode;       /* in use; settings.mode is wanted */
  double mode_fade;             /* wet gain of the mode switch, 0 .. 1 */
  double value[N_CONTROLS], target[N_CONTROLS];
  double phase;                 /* LFO, radians in [0, 2 pi) */
  /* sin and cos of each LFO offset (a voice's on a side: slot voice * 2
   * + side), kept while it stays: sin (phase + offset) by the angle sum,
   * one sin and cos of the phase a control period for every voice. */
  double off_at[2 * MST_MODULATION_MAX_VOICES];
  double off_sin[2 * MST_MODULATION_MAX_VOICES];
  double off_cos[2 * MST_MODULATION_MAX_VOICES];
  int n_voices;                 /* voices with a gain or a target above 0 */
  /* At the start of the current period. */
  double delay_at[MST_MODULATION_MAX_VOICES][2];
  double coef_at[2];
  /* Phaser: each stage's state, the chain's last output. */
  double stage_state[2][MST_MODULATION_MAX_STAGES];
  double chain_out[2];
  MstDelayLine *line;
  double *ring;
  size_t mask;
  uint64_t nonfinite_count;
  double *planar;               /* [2][BLOCK_FRAMES] */
  bool gliding;                 /* a value may differ from its target */
  bool fma;                     /* the phaser's path with FMA */
  /* cos and sin of pi / 2 the mix at mix_at. */
  double mix_at, mix_cos, mix_sin;
  double wet[BLOCK_FRAMES], wet2[BLOCK_FRAMES];
};

void
mst_modulation_settings_default (MstModulationSettings * s)
{
  memset (s, 0, sizeof *s);
  s->mode = MST_MODULATION_CHORUS;
  s->voices = 3;
  s->delay_ms = 0.0;
  s->depth_pct = 30.0;
  s->rate_hz = 0.5;
  s->shape = MST_MODULATION_SHAPE_SINE;
  s->mix_pct = 50.0;
  s->spread_deg = 90.0;
  s->stages = 6;
  s->min_freq_hz = 300.0;
  s->max_freq_hz = 3000.0;
}

double
mst_modulation_delay_ms (const MstModulationSettings * s)
{
  if (s->delay_ms > 0.0)
    return s->delay_ms;
  return s->mode == MST_MODULATION_FLANGER ? FLANGER_DELAY_MS
      : CHORUS_DELAY_MS;
}

static bool
in_range (double v, double lo, double hi)
{
  return v >= lo && v <= hi;    /* false for NaN */
}

static bool
settings_valid (const MstModulationSettings * s)
{
  return (s->mode == MST_MODULATION_CHORUS
      || s->mode == MST_MODULATION_FLANGER
      || s->mode == MST_MODULATION_PHASER)
      && (s->shape == MST_MODULATION_SHAPE_SINE
      || s->shape == MST_MODULATION_SHAPE_TRIANGLE)
      && s->voices >= 1 && s->voices <= MST_MODULATION_MAX_VOICES
      && (s->delay_ms == 0.0 || in_range (s->delay_ms,
          MST_MODULATION_MIN_DELAY_MS, MST_MODULATION_MAX_DELAY_MS))
      && in_range (s->depth_pct, 0.0, 100.0)
      && in_range (s->rate_hz, 0.0, MST_MODULATION_MAX_RATE_HZ)
      && in_range (s->feedback_pct, -MST_MODULATION_MAX_FEEDBACK_PCT,
      MST_MODULATION_MAX_FEEDBACK_PCT)
      && in_range (s->mix_pct, 0.0, 100.0)
      && in_range (s->spread_deg, 0.0, MST_MODULATION_MAX_SPREAD_DEG)
      && s->stages >= MST_MODULATION_MIN_STAGES
      && s->stages <= MST_MODULATION_MAX_STAGES
      && in_range (s->min_freq_hz, MST_MODULATION_MIN_FREQ_HZ,
      MST_MODULATION_MAX_FREQ_HZ)
      && in_range (s->max_freq_hz, MST_MODULATION_MIN_FREQ_HZ,
      MST_MODULATION_MAX_FREQ_HZ);
}

/* The targets of the settings for the mode in use. */
static void
targets_from_settings (MstModulation * m)
{
  const MstModulationSettings *s = &m->settings;
  double *t = m->target;
  MstModulationSettings in_use = *s;
  in_use.mode = m->mode;
  t[C_DELAY] = mst_modulation_delay_ms (&in_use) * m->rate_hz / 1000.0;
  t[C_DEPTH] = s->depth_pct / 100.0;
  t[C_RATE] = s->rate_hz;
  t[C_SHAPE] = s->shape == MST_MODULATION_SHAPE_TRIANGLE ? 1.0 : 0.0;
  t[C_FEEDBACK] = m->mode == MST_MODULATION_CHORUS ? 0.0
      : s->feedback_pct / 100.0;
  t[C_MIX] = s->bypass ? 0.0 : s->mix_pct / 100.0;
  t[C_SPREAD] = s->spread_deg * (M_PI / 180.0);
  t[C_POLARITY] = s->invert ? -1.0 : 1.0;
  /* The sweep between the two, whichever is set higher. */
  t[C_LOG_CENTRE] = 0.5 * (log (s->min_freq_hz) + log (s->max_freq_hz));
  t[C_LOG_HALF] = 0.5 * fabs (log (s->max_freq_hz) - log (s->min_freq_hz));
  int voices = m->mode == MST_MODULATION_CHORUS ? s->voices : 1;
  for (int v = 0; v < MST_MODULATION_MAX_VOICES; v++) {
    bool on = v < voices;
    t[C_VOICE_GAIN + v] = on ? 1.0 / sqrt (voices) : 0.0;
    t[C_VOICE_DELAY + v] = voices > 1 && on ? 1.0
        + MST_MODULATION_VOICE_DELAY_SPREAD * ((double) v / (voices - 1)
        - 0.5) : 1.0;
    t[C_VOICE_PHASE + v] = on ? 2.0 * M_PI * v / voices : 0.0;
  }
  for (int k = 0; k < MST_MODULATION_MAX_STAGES; k++)
    t[C_STAGE + k] = k < s->stages ? 1.0 : 0.0;
}

/* The controls that depend on the mode jump to their targets (the wet
 * signal is silent at a mode switch). */
static void
jump_mode_controls (MstModulation * m)
{
  m->value[C_DELAY] = m->target[C_DELAY];
  m->value[C_FEEDBACK] = m->target[C_FEEDBACK];
  for (int k = C_VOICE_GAIN; k < N_CONTROLS; k++)
    m->value[k] = m->target[k];
}

static void count_voices (MstModulation * m);

/* The LFO at @theta, whose sine is @sin_theta. */
static double
lfo (double shape, double theta, double sin_theta)
{
  double y = 0.0;
  if (shape != 1.0)
    y = (1.0 - shape) * sin_theta;
  if (shape != 0.0) {
    /* Triangle in phase with the sine: 0 at 0, 1 at pi / 2. */
    double t = theta * (0.5 / M_PI) + 0.25;
    t -= floor (t);
    y += shape * (1.0 - 4.0 * fabs (t - 0.5));
  }
  return y;
}

static double
channel_offset (const MstModulation * m, int c)
{
  return m->channels > 1 ? m->value[C_SPREAD] * c / (m->channels - 1) : 0.0;
}

/* Delays of every voice and channel, and the phaser's coefficients, at
 * the current phase and values, into delay_at / coef_at. */
/* sin (phase + @offset), @sp and @cp the phase's sine and cosine, through
 * @slot's cached sine and cosine of the offset. */
static double
sin_at (MstModulation * m, int slot, double offset, double sp, double cp)
{
  if (offset != m->off_at[slot]) {
    m->off_at[slot] = offset;
    m->off_sin[slot] = sin (offset);
    m->off_cos[slot] = cos (offset);
  }
  return sp * m->off_cos[slot] + cp * m->off_sin[slot];
}

static void
compute_positions (MstModulation * m)
{
  const double *v = m->value;
  double max_delay = (double) m->mask - 3.0;
  double sp = sin (m->phase), cp = cos (m->phase);
  for (int c = 0; c < m->channels; c++) {
    double coff = channel_offset (m, c), off = m->phase + coff;
    if (m->mode == MST_MODULATION_PHASER) {
      double fc = exp (v[C_LOG_CENTRE] + v[C_DEPTH] * lfo (v[C_SHAPE], off,
              sin_at (m, c, coff, sp, cp)) * v[C_LOG_HALF]);
      fc = fmin (fc, MAX_BREAK_OF_RATE * m->rate_hz);
      double t = tan (M_PI * fc / m->rate_hz);
      m->coef_at[c] = (t - 1.0) / (t + 1.0);
      continue;
    }
    for (int k = 0; k < m->n_voices; k++) {
      double voff = coff + v[C_VOICE_PHASE + k];
      double d = v[C_DELAY] * v[C_VOICE_DELAY + k] * (1.0
          + MST_MODULATION_SWING * v[C_DEPTH] * lfo (v[C_SHAPE],
              m->phase + voff, sin_at (m, 2 * k + c, voff, sp, cp)));
      d = d > MIN_DELAY_FRAMES ? d : MIN_DELAY_FRAMES;
      m->delay_at[k][c] = d < max_delay ? d : max_delay;
    }
  }
}

static void
clear_state (MstModulation * m)
{
  memset (m->stage_state, 0, sizeof m->stage_state);
  memset (m->chain_out, 0, sizeof m->chain_out);
}

void
mst_modulation_reset (MstModulation * m)
{
  if (!m)
    return;
  m->mode = m->settings.mode;
  m->mode_fade = 1.0;
  targets_from_settings (m);
  memcpy (m->value, m->target, sizeof m->value);
  m->phase = 0.0;
  for (int k = 0; k < 2 * MST_MODULATION_MAX_VOICES; k++)
    m->off_at[k] = NAN;
  m->mix_at = NAN;
  m->gliding = true;
  mst_delayline_reset (m->line);
  clear_state (m);
  count_voices (m);
  compute_positions (m);
}

MstResult
mst_modulation_set (MstModulation * m, const MstModulationSettings * s)
{
  if (!m || !s || !settings_valid (s))
    return MST_ERR_INVALID_ARG;
  m->settings = *s;
  targets_from_settings (m);
  m->gliding = true;
  return MST_OK;
}

MstResult
mst_modulation_configure (MstModulation * m, double rate_hz,
    int in_channels)
{
  if (!m || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || in_channels < 1 || in_channels > 2)
    return MST_ERR_INVALID_ARG;
  /* Both sides run whatever comes in: a mono input is copied to both, so
   * each side has its own voices at its own LFO phase. */
  if (mst_delayline_configure (m->line, 2) != MST_OK)
    return MST_ERR_INVALID_ARG;
  m->rate_hz = rate_hz;
  m->in_channels = in_channels;
  m->channels = 2;
  m->control_frames = (int) fmin (MAX_CONTROL_FRAMES,
      fmax (4.0, round (rate_hz * CONTROL_PERIOD_S)));
  m->glide_coef = mst_smoother_one_pole_coef (m->control_frames, rate_hz,
      MST_MODULATION_SMOOTHING_MS);
  m->fade_step = mst_smoother_fade_step (rate_hz,
      MST_MODULATION_SMOOTHING_MS);
  m->nonfinite_count = 0;
  mst_modulation_reset (m);
  return MST_OK;
}

MstModulation *
mst_modulation_init (void)
{
  MstModulation *m = calloc (1, sizeof *m);
  MstModulationSettings defaults;
  if (!m)
    return NULL;
  m->planar = calloc ((size_t) 2 * BLOCK_FRAMES, sizeof (double));
  m->line = mst_delayline_init (2,
      (size_t) ceil (MAX_DELAY_S * MST_MAX_RATE_HZ) + 8);
  if (!m->planar || !m->line)
    goto fail;
  mst_delayline_set_format (m->line, MST_FORMAT_F64);
  m->fma = mst_cpu_has_avx2_fma ();
  m->mask = mst_delayline_get_capacity (m->line) - 1;
  mst_modulation_settings_default (&defaults);
  m->rate_hz = 48000.0;
  if (mst_modulation_set (m, &defaults) != MST_OK
      || mst_modulation_configure (m, 48000.0, 2) != MST_OK)
    goto fail;
  return m;

fail:
  mst_modulation_destroy (&m);
  return NULL;
}

void
mst_modulation_destroy (MstModulation ** m)
{
  if (!m || !*m)
    return;
  free ((*m)->planar);
  mst_delayline_destroy (&(*m)->line);
  free (*m);
  *m = NULL;
}

uint64_t
mst_modulation_get_nonfinite_count (const MstModulation * m)
{
  return m ? m->nonfinite_count : 0;
}

static void
count_voices (MstModulation * m)
{
  m->n_voices = 0;
  for (int v = 0; v < MST_MODULATION_MAX_VOICES; v++)
    if (m->value[C_VOICE_GAIN + v] != 0.0
        || m->target[C_VOICE_GAIN + v] != 0.0)
      m->n_voices = v + 1;
}

/* One control step: glides, the mode's fade, the LFO phase over @n
 * frames. */
static void
step_controls (MstModulation * m, int n)
{
  if (m->gliding) {
    bool moved = false;
    for (int k = 0; k < N_CONTROLS; k++)
      moved |= mst_smoother_one_pole_step (&m->value[k], m->target[k],
          m->glide_coef, SNAP);
    /* Settled (every value on its target) until the next set or switch. */
    m->gliding = moved;
  }
  if (m->mode != m->settings.mode) {
    m->mode_fade -= m->fade_step * n;
    if (m->mode_fade <= 0.0) {
      m->mode_fade = 0.0;
      m->mode = m->settings.mode;
      clear_state (m);
      targets_from_settings (m);
      jump_mode_controls (m);
      m->gliding = true;
    }
  } else if (m->mode_fade < 1.0)
    m->mode_fade = fmin (1.0, m->mode_fade + m->fade_step * n);
  count_voices (m);
  m->phase += 2.0 * M_PI * m->value[C_RATE] * n / m->rate_hz;
  m->phase -= 2.0 * M_PI * floor (m->phase * (0.5 / M_PI));
}

/* Chorus and flanger on channel @c over @n frames from frame @w0: the
 * voices' sum into m->wet. The input is in the ring already (chorus), or
 * the flanger writes input plus feedback as it reads. */
static void
run_delays (MstModulation * m, int c, const double *x, int64_t w0, int n,
    const double (*end)[2], const double *gain0,
    const double *gain1, double fb0, double fb1)
{
  double *wet = m->wet;
  if (m->mode == MST_MODULATION_FLANGER) {
    double d0 = m->delay_at[0][c], dd = (end[0][c] - d0) / n;
    /* A delay growing by D' a frame stretches what it reads by
     * 1 / (1 - D') in time, its energy with it: the feedback is scaled by
     * sqrt (1 - D'), so every trip round the loop keeps feedback^2 of the
     * energy whatever the modulation does (without it, a loop at 99 %
     * under a fast sweep of a long delay grew). */
    double comp = sqrt (1.0 - dd);
    fb0 *= comp;
    fb1 *= comp;
    double dfb = (fb1 - fb0) / n;
    double *ring = m->ring + c;
    size_t stride = (size_t) m->channels;
    /* Every read before the period's first frame (the interpolator
     * reaches 2 frames past the position): the reads first, all at once,
     * then the writes. */
    if (d0 > n + 3 && end[0][c] > n + 3) {
      memset (wet, 0, n * sizeof *wet);
      mst_delayline_read_frac_ramp (m->line, c, w0, d0, dd, 1.0, 0.0, wet,
          n);
      for (int i = 0; i < n; i++)
        ring[((size_t) (w0 + i) & m->mask) * stride] = x[i]
            + (fb0 + (i + 1) * dfb) * wet[i];
      return;
    }
    for (int i = 0; i < n; i++) {
      double d = d0 + i * dd, y;
      mst_delayline_read_frac (m->line, c, w0 + i, &d, &y, 1);
      ring[((size_t) (w0 + i) & m->mask) * stride] = x[i]
          + (fb0 + (i + 1) * dfb) * y;
      wet[i] = y;
    }
    return;
  }
  memset (wet, 0, n * sizeof *wet);
  for (int v = 0; v < m->n_voices; v++) {
    if (gain0[v] == 0.0 && gain1[v] == 0.0)
      continue;
    double d0 = m->delay_at[v][c], dd = (end[v][c] - d0) / n;
    double g0 = gain0[v], dg = (gain1[v] - g0) / n;
    mst_delayline_read_frac_ramp (m->line, c, w0, d0, dd, g0, dg, wet, n);
  }
}

/* The phaser on channel @c over @n frames: the all-pass chain with
 * feedback into m->wet. */
static void
run_phaser (MstModulation * m, int c, const double *x, int n, double end,
    const double *blend0, const double *blend1, double fb0, double fb1)
{
  double a0 = m->coef_at[c], da = (end - a0) / n, dfb = (fb1 - fb0) / n;
  double *state = m->stage_state[c], last = m->chain_out[c];
  int n_stages = 0;
  bool steady = true;
  for (int k = 0; k < MST_MODULATION_MAX_STAGES; k++) {
    if (blend0[k] != 0.0 || blend1[k] != 0.0)
      n_stages = k + 1;
    steady &= blend0[k] == blend1[k] && (blend1[k] == 0.0
        || blend1[k] == 1.0);
  }
  for (int i = 0; i < n; i++) {
    double a = a0 + i * da;
    double u = x[i] + (fb0 + (i + 1) * dfb) * last;
    for (int k = 0; k < n_stages; k++) {
      double y = a * u + state[k];
      state[k] = u - a * y;
      if (!steady) {
        double b = blend0[k] + (i + 1) * (blend1[k] - blend0[k]) / n;
        y = u + b * (y - u);
      }
      u = y;
    }
    last = u;
    m->wet[i] = u;
  }
  /* Stages faded out start again from rest. */
  for (int k = 0; k < MST_MODULATION_MAX_STAGES; k++)
    if (blend1[k] == 0.0)
      state[k] = 0.0;
  m->chain_out[c] = last;
}

/* Two doubles: the two sides of a frame as lanes. */
typedef double v2d __attribute__ ((vector_size (16)));

/* The phaser on both sides over @n frames with @N_STAGES stages all on (a
 * constant at each instantiation: the states stay in registers), into
 * m->wet and m->wet2: the sides as the lanes of one vector, so one chain
 * of operations runs both. */
MST_ALWAYS_INLINE void
phaser_pair_body (MstModulation * m, const double *x, const double *y,
    int n, const double *end, const int N_STAGES, double fb0, double fb1)
{
  const v2d a0 = { m->coef_at[0], m->coef_at[1] };
  const v2d da = { (end[0] - a0[0]) / n, (end[1] - a0[1]) / n };
  double dfb = (fb1 - fb0) / n;
  v2d st[MST_MODULATION_MAX_STAGES];
  for (int k = 0; k < N_STAGES; k++)
    st[k] = (v2d) { m->stage_state[0][k], m->stage_state[1][k] };
  v2d last = { m->chain_out[0], m->chain_out[1] };
  for (int i = 0; i < n; i++) {
    double fb = fb0 + (i + 1) * dfb;
    v2d a = a0 + (double) i * da;
    v2d u = (v2d) { x[i], y[i] } + fb * last;
    for (int k = 0; k < N_STAGES; k++) {
      v2d yk = a * u + st[k];
      st[k] = u - a * yk;
      u = yk;
    }
    last = u;
    m->wet[i] = u[0];
    m->wet2[i] = u[1];
  }
  for (int k = 0; k < N_STAGES; k++) {
    m->stage_state[0][k] = st[k][0];
    m->stage_state[1][k] = st[k][1];
  }
  m->chain_out[0] = last[0];
  m->chain_out[1] = last[1];
}

#ifdef MST_FEW_KERNEL_COPIES
/* The sanitizer build (gst/meson.build): one copy, the count a variable
 * within the switch's cases. */
#define STAGES_SWITCH(n_stages, ...) \
  if (n_stages >= 0 && n_stages <= 12) \
    phaser_pair_body (m, x, y, n, end, n_stages, fb0, fb1);
#else
#define STAGES_SWITCH(n_stages, ...) \
  switch (n_stages) { \
    STAGES_CASE (0) STAGES_CASE (1) STAGES_CASE (2) STAGES_CASE (3) \
    STAGES_CASE (4) STAGES_CASE (5) STAGES_CASE (6) STAGES_CASE (7) \
    STAGES_CASE (8) STAGES_CASE (9) STAGES_CASE (10) STAGES_CASE (11) \
    STAGES_CASE (12) \
  }
#endif
#define STAGES_CASE(N) \
    case N: \
      phaser_pair_body (m, x, y, n, end, N, fb0, fb1); \
      break;

static void
phaser_pair_generic (MstModulation * m, const double *x, const double *y,
    int n, const double *end, int n_stages, double fb0, double fb1)
{
  STAGES_SWITCH (n_stages);
}

#ifdef MST_HAVE_X86_PATHS
/* With FMA each stage is one fused multiply-add on the frame's path (the
 * chain is a recurrence: its latency, not its width, sets the speed). */
__attribute__ ((target ("avx2,fma")))
static void
phaser_pair_fma (MstModulation * m, const double *x, const double *y,
    int n, const double *end, int n_stages, double fb0, double fb1)
{
  STAGES_SWITCH (n_stages);
}
#endif
#undef STAGES_CASE

/* The phaser on both sides with every stage on or off (@n_stages on). */
static void
run_phaser_pair (MstModulation * m, const double *x, const double *y, int n,
    const double *end, int n_stages, double fb0, double fb1)
{
#ifdef MST_HAVE_X86_PATHS
  if (m->fma) {
    phaser_pair_fma (m, x, y, n, end, n_stages, fb0, fb1);
    return;
  }
#endif
  phaser_pair_generic (m, x, y, n, end, n_stages, fb0, fb1);
}

/* @x = dry gain ramp times @x plus wet gain ramp times @wet. */
static void
mix_into (double *x, const double *wet, int n, double gd0, double ddry,
    double gw0, double dwet)
{
  /* i + 1 from a table: the loop vectorises (no conversion a frame). */
  static const double step[MAX_CONTROL_FRAMES] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
    39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56,
    57, 58, 59, 60, 61, 62, 63, 64
  };
  for (int i = 0; i < n; i++)
    x[i] = (gd0 + step[i] * ddry) * x[i] + (gw0 + step[i] * dwet) * wet[i];
}

/* The equal-power gains of the mix's value, computed when it moved. */
static void
mix_gains (MstModulation * m)
{
  double mix = m->value[C_MIX];
  if (mix != m->mix_at) {
    m->mix_at = mix;
    m->mix_cos = cos (M_PI / 2.0 * mix);
    m->mix_sin = sin (M_PI / 2.0 * mix);
  }
}

/* @n frames (at most BLOCK_FRAMES) of the planar block, in place. */
static void
process_planar (MstModulation * m, int n)
{
  for (int offset = 0; offset < n; offset += m->control_frames) {
    int len = n - offset < m->control_frames ? n - offset : m->control_frames;
    const double *v = m->value;
    mix_gains (m);
    double gd0 = m->mix_cos;
    double gw0 = m->mix_sin * m->mode_fade * v[C_POLARITY];
    double fb0 = v[C_FEEDBACK];
    double gain0[MST_MODULATION_MAX_VOICES], blend0[MST_MODULATION_MAX_STAGES];
    memcpy (gain0, v + C_VOICE_GAIN, sizeof gain0);
    memcpy (blend0, v + C_STAGE, sizeof blend0);
    MstModulationMode mode = m->mode;
    step_controls (m, len);
    if (m->mode != mode) {
      /* Switched (the wet silent): the new mode starts where it is. */
      memcpy (gain0, v + C_VOICE_GAIN, sizeof gain0);
      memcpy (blend0, v + C_STAGE, sizeof blend0);
      fb0 = v[C_FEEDBACK];
    }
    mix_gains (m);
    double gd1 = m->mix_cos;
    double gw1 = m->mix_sin * m->mode_fade * v[C_POLARITY];
    double start_delay[MST_MODULATION_MAX_VOICES][2];
    double start_coef[2];
    memcpy (start_delay, m->delay_at, sizeof start_delay);
    memcpy (start_coef, m->coef_at, sizeof start_coef);
    compute_positions (m);
    double end_delay[MST_MODULATION_MAX_VOICES][2];
    double end_coef[2];
    memcpy (end_delay, m->delay_at, sizeof end_delay);
    memcpy (end_coef, m->coef_at, sizeof end_coef);
    if (m->mode != mode) {
      memcpy (start_delay, end_delay, sizeof start_delay);
      memcpy (start_coef, end_coef, sizeof start_coef);
    }
    /* A voice coming in from silence starts where it is to be. */
    for (int k = 0; k < m->n_voices; k++)
      if (gain0[k] == 0.0)
        for (int c = 0; c < m->channels; c++)
          start_delay[k][c] = end_delay[k][c];
    /* The read position moves at 1 - D' frames a frame: D' is kept within
     * +-MAX_DELAY_SPEED, so the read never stops or turns back (a fast
     * LFO on a long delay, a glide across the whole range follow at that
     * speed). */
    for (int k = 0; k < m->n_voices; k++)
      for (int c = 0; c < m->channels; c++)
      {
        double lo = start_delay[k][c] - MAX_DELAY_SPEED * len;
        double hi = start_delay[k][c] + MAX_DELAY_SPEED * len;
        double d = end_delay[k][c];
        d = d > lo ? d : lo;
        end_delay[k][c] = d < hi ? d : hi;
      }
    memcpy (m->delay_at, start_delay, sizeof start_delay);
    memcpy (m->coef_at, start_coef, sizeof start_coef);

    int64_t w0 = mst_delayline_get_written (m->line);
    size_t stride = (size_t) m->channels;
    if (m->mode != MST_MODULATION_FLANGER) {
      /* Both sides into the ring, a run to its wrap at a time. */
      const double *xl = m->planar + offset;
      const double *xr = m->planar + BLOCK_FRAMES + offset;
      for (int i = 0; i < len;) {
        size_t slot = (size_t) (w0 + i) & m->mask;
        int run = (int) (m->mask + 1 - slot);
        run = run < len - i ? run : len - i;
        double *r = m->ring + slot * stride;
        for (int j = 0; j < run; j++) {
          r[2 * j] = xl[i + j];
          r[2 * j + 1] = xr[i + j];
        }
        i += run;
      }
    }
    double ddry = (gd1 - gd0) / len, dwet = (gw1 - gw0) / len;
    /* Stages all settled on or off: the phaser's channels go in pairs. */
    int n_on = 0;
    bool steady = m->mode == MST_MODULATION_PHASER;
    if (steady && !m->gliding)
      /* Nothing moved this period: every stage on its target. */
      n_on = m->settings.stages;
    else
      for (int k = 0; k < MST_MODULATION_MAX_STAGES && steady; k++) {
        steady = blend0[k] == v[C_STAGE + k] && (blend0[k] == 0.0
            || (blend0[k] == 1.0 && n_on == k));
        n_on += blend0[k] == 1.0;
      }
    for (int c = 0; c < m->channels;) {
      double *x = m->planar + (size_t) c * BLOCK_FRAMES + offset;
      if (steady && c + 1 < m->channels) {
        double *y = x + BLOCK_FRAMES;
        run_phaser_pair (m, x, y, len, end_coef, n_on, fb0, v[C_FEEDBACK]);
        mix_into (x, m->wet, len, gd0, ddry, gw0, dwet);
        mix_into (y, m->wet2, len, gd0, ddry, gw0, dwet);
        c += 2;
        continue;
      }
      if (m->mode == MST_MODULATION_PHASER)
        run_phaser (m, c, x, len, end_coef[c], blend0, v + C_STAGE, fb0,
            v[C_FEEDBACK]);
      else
        run_delays (m, c, x, w0, len, end_delay, gain0, v + C_VOICE_GAIN,
            fb0, v[C_FEEDBACK]);
      mix_into (x, m->wet, len, gd0, ddry, gw0, dwet);
      c++;
    }
    mst_delayline_mark_written (m->line, (size_t) len);
    mst_delayline_mark_read (m->line, w0 + len);
    memcpy (m->delay_at, end_delay, sizeof end_delay);
    memcpy (m->coef_at, end_coef, sizeof end_coef);
  }
}

/* Whether the state is finite: the all-pass states and the newest frame
 * of the ring (what feedback reaches: the chorus's ring holds only
 * cleaned input, and a non-finite value read by the flanger's loop is in
 * the next frame it writes). */
static bool
state_finite (const MstModulation * m)
{
  double acc = 0.0;
  for (int c = 0; c < m->channels; c++) {
    acc += m->chain_out[c];
    for (int k = 0; k < MST_MODULATION_MAX_STAGES; k++)
      acc += m->stage_state[c][k];
  }
  int64_t w = mst_delayline_get_written (m->line);
  for (int c = 0; c < m->channels; c++)
    acc += m->ring[((size_t) (w - 1) & m->mask) * m->channels + c];
  return isfinite (acc);
}

MST_ALWAYS_INLINE MstResult
modulation_process (MstModulation * m, const void *in, size_t n_frames,
    void *out, MstFormat fmt)
{
  const size_t width = fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);
  if (!m || (!out && n_frames))
    return MST_ERR_INVALID_ARG;
  const int in_ch = m->in_channels;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  m->ring = mst_delayline_frame (m->line, 0, NULL, NULL);
  m->mask = mst_delayline_get_capacity (m->line) - 1;
  double *left = m->planar, *right = m->planar + BLOCK_FRAMES;
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > BLOCK_FRAMES ? BLOCK_FRAMES
        : (int) (n_frames - done);
    const char *src = in ? (const char *) in + done * in_ch * width : NULL;
    char *dst = (char *) out + done * 2 * width;
    /* Dry settled: the output is the input (bit-exact, -0 included) but
     * for non-finite and absurd samples, read as silence there too; the
     * state still follows the input, so a mix raised later starts from a
     * wet signal already running. */
    bool dry = m->value[C_MIX] == 0.0 && m->target[C_MIX] == 0.0;
    if (src)
      mst_planar_load (m->planar, BLOCK_FRAMES, src, in_ch, n, fmt);
    else
      memset (m->planar, 0, (size_t) in_ch * BLOCK_FRAMES * sizeof (double));
    /* F32 to double is exact: the bounds hold as in the stream's format. */
    bool sane = true;
    for (int c = 0; c < in_ch; c++)
      sane &= mst_input_sane (m->planar + c * BLOCK_FRAMES, (size_t) n,
          MST_FORMAT_F64);
    if (!sane) {
      m->nonfinite_count++;
      for (int c = 0; c < in_ch; c++)
        mst_input_clean (m->planar + c * BLOCK_FRAMES, (size_t) n,
            m->planar + c * BLOCK_FRAMES, MST_FORMAT_F64);
    }
    if (in_ch == 1)
      memcpy (right, left, (size_t) n * sizeof (double));
    if (dry)
      mst_planar_store (dst, m->planar, BLOCK_FRAMES, 2, n, fmt);
    process_planar (m, n);
    if (!state_finite (m)) {
      m->nonfinite_count++;
      mst_delayline_reset (m->line);
      m->ring = mst_delayline_frame (m->line, 0, NULL, NULL);
      clear_state (m);
      for (int i = 0; i < n; i++) {
        left[i] = isfinite (left[i]) ? left[i] : 0.0;
        right[i] = isfinite (right[i]) ? right[i] : 0.0;
      }
    }
    if (!dry)
      mst_planar_store (dst, m->planar, BLOCK_FRAMES, 2, n, fmt);
    done += n;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_TO (mst_modulation_process, MstModulation, void,
    modulation_process)
