/* mastering: the gain stage of the dynamics processors (see
 * mst-dynamics-gain.h). */
#include "mst-dynamics-gain.h"
#include "mst-biquad.h"
#include "mst-cpu.h"
#include "mst-filter.h"
#include "mst-fpu.h"
#include "mst-gainapply.h"
#include "mst-level-detector.h"
#include "mst-planar.h"
#include "mst-vmath.h"

#include <stdlib.h>
#include <string.h>

/* Auto release: the sustained reduction's time constant, in releases, and
 * how much slower the release is once back at it. */
#define SUSTAINED_RELEASES 10.0
#define SLOW_RELEASE_FACTOR 4.0
/* The level the gate's hysteresis reads falls at most this fast (dB per
 * ms), so it bridges the dips of a peak level between the peaks of a tone
 * (1.7 dB over a 50 Hz period): 8.69 dB per 50 ms, an amplitude one-pole
 * of 50 ms. Slower with a longer release. */
#define GATE_ENV_MIN_MS 50.0
/* The control period: the curve and the ballistics run once every K frames
 * (on the period's peak or RMS) when the time constants are long enough
 * that this does not show: K, a power of 2 up to MAX_CONTROL_FRAMES, is at
 * most 1/CONTROL_FRACTION of the shorter of attack and release, in frames.
 * The gain then ramps linearly over the next K frames to each new value
 * (a lag of K frames: 1.7 % of a 10 ms attack at 48 kHz, K = 8). */
#define MAX_CONTROL_FRAMES 32
#define CONTROL_FRACTION 40.0
/* Key filters above this fraction of the rate are moved down to it. */
#define MAX_FILTER_FRACTION 0.45
/* Butterworth cuts of the key: 12 dB/octave. */
#define KEY_CUT_SLOPE 12

typedef struct {
  double hold_db;               /* stage 1, acting direction */
  double out_db;                /* stage 2, acting direction */
  double sustained_db;          /* auto release */
  size_t hold_left;             /* frames */
  bool open;                    /* EXPAND with hysteresis: the gate */
  double gate_env_db;           /* the level the gate's state reads */
  /* The last two control gains (linear, makeup included): the frames of a
   * period ramp from the older to the newer. */
  double gain_from, gain_to;
} Ballistics;

struct MstDynamicsGain {
  MstDynamicsSettings set;
  int max_channels;
  double rate_hz;
  int key_channels, out_channels;
  MstLevelDetector *det;
  MstGainComputer *gc;
  /* Key filters: the same design on the key and on the audio, each with its
   * own history; the audio's glides from its last design. */
  MstBiquadCascade key_filter, audio_filter;
  MstBiquad key_from[MST_FILTER_MAX_SECTIONS];
  MstBiquad audio_from[MST_FILTER_MAX_SECTIONS];
  bool key_glide, audio_glide;
  bool key_filtered;            /* g->key holds the last block's filtered
                                 * key */
  int channel_index[MST_MAX_CHANNELS];
  /* Ballistics coefficients per control step (exp (-K / (fs T))), hold in
   * control steps. */
  double a_attack, a_release, a_release_slow, a_sustained;
  size_t hold_frames;
  size_t control_frames;        /* K */
  double control_ramp[MAX_CONTROL_FRAMES];      /* (t + 1) / K */
  size_t period_pos;            /* frames into the control period */
  /* Per key channel, the control period so far: its peak or its sum of
   * squares. */
  double key_acc[MST_MAX_CHANNELS];
  /* The last block's gains were all flat_gain. */
  bool flat;
  double flat_gain;
  /* Frames whose gains wait for apply_pending (the periods' control gains
   * in the level rows, the ramps from period_pos on). */
  size_t pending_n;
  double makeup_exp;            /* (makeup + auto makeup) ln 10 / 20 */
  double gate_env_fall_db;      /* per frame */
  double direction;             /* gain dB = direction x acting value */
  double auto_makeup_db;
  Ballistics ch[MST_MAX_CHANNELS];
  bool stale_detector;          /* idle blocks went by unread */
  bool key_checked;             /* g->key is sane throughout (loaded and
                                 * checked by process_frames) */
  bool key_prefiltered;         /* g->key is the key filters' output
                                 * already (process_frames) */
  double extreme_db;            /* since the last take, acting direction */
  bool processed;
  uint64_t nonfinite;
  /* Scratch (planar, BLOCK frames a channel): the cleaned, filtered key;
   * the period keys; the levels, then the gains in dB. */
  double *key, *keys, *level;
  /* A frame's level under this (linear) has a static gain of 0 dB
   * (sparse_curve); 0: none is known to. */
  double quiet_lin;
  /* The last block had one frame in DENSE_SHARE or more over quiet_lin
   * (an acting de-esser): this one's levels go through the logarithm and
   * the curve whole, without the gathering. */
  bool dense;
  /* sparse_curve's levels over quiet_lin, gathered (four of padding), and
   * their frames (room for the whole groups of mst_level_detector_peaks_over). */
  double above[MST_DYNAMICS_BLOCK + 4];
  uint16_t above_at[MST_DYNAMICS_BLOCK + 4];
};

static void
settings_common (MstDynamicsSettings * s)
{
  memset (s, 0, sizeof *s);
  s->range_db = -INFINITY;
  s->detector = MST_DYNAMICS_PEAK;
  s->rms_window_ms = 10.0;
  s->link = 1.0;
  s->key_band_q = 1.0;
  s->apply = MST_DYNAMICS_WIDEBAND;
  s->mix = 1.0;
}

void
mst_dynamics_settings_default (MstDynamicsSettings * s)
{
  settings_common (s);
  s->mode = MST_GAIN_COMPUTER_COMPRESS;
  s->threshold_db = -18.0;
  s->ratio = 4.0;
  s->knee_db = 6.0;
  s->attack_ms = 10.0;
  s->release_ms = 100.0;
}

void
mst_dynamics_settings_gate (MstDynamicsSettings * s)
{
  settings_common (s);
  s->mode = MST_GAIN_COMPUTER_EXPAND;
  s->threshold_db = -50.0;
  s->ratio = 20.0;
  s->range_db = -80.0;
  s->hysteresis_db = 3.0;
  /* FFmpeg agate's default 20 ms (to 98 %) in the pack's convention; LSP's
   * gate opens slower still (20 ms to 71 %). */
  s->attack_ms = 5.0;
  s->hold_ms = 20.0;
  s->release_ms = 100.0;
}

void
mst_dynamics_settings_deesser (MstDynamicsSettings * s)
{
  settings_common (s);
  s->mode = MST_GAIN_COMPUTER_COMPRESS;
  s->threshold_db = -30.0;
  s->ratio = 4.0;
  s->range_db = -12.0;
  s->key_band_hz = 6000.0;
  s->key_band_q = 1.5;
  s->apply = MST_DYNAMICS_SPLIT;
  s->attack_ms = 1.0;
  s->release_ms = 50.0;
}

static bool
time_ok (double ms)
{
  return ms >= 0.0 && ms <= MST_DYNAMICS_MAX_TIME_MS;
}

static bool
freq_ok (double hz)
{
  return hz == 0.0 || (hz >= MST_DYNAMICS_MIN_FILTER_HZ
      && hz <= MST_MAX_RATE_HZ / 2.0);
}

bool
mst_dynamics_settings_valid (const MstDynamicsSettings * s)
{
  if (!s)
    return false;
  MstGainComputerSettings gs = {
    s->mode, s->threshold_db, s->ratio, s->knee_db, s->range_db,
    s->makeup_db
  };
  return mst_gain_computer_settings_valid (&gs)
      && s->hysteresis_db >= 0.0
      && s->hysteresis_db <= MST_DYNAMICS_MAX_HYSTERESIS_DB
      && (unsigned) s->detector <= MST_DYNAMICS_RMS
      && s->rms_window_ms >= MST_DYNAMICS_MIN_RMS_WINDOW_MS
      && s->rms_window_ms <= MST_DYNAMICS_MAX_RMS_WINDOW_MS
      && s->link >= 0.0 && s->link <= 1.0
      && time_ok (s->attack_ms) && time_ok (s->release_ms)
      && time_ok (s->hold_ms)
      && freq_ok (s->key_highpass_hz) && freq_ok (s->key_lowpass_hz)
      && freq_ok (s->key_band_hz)
      && s->key_band_q >= MST_DYNAMICS_MIN_Q
      && s->key_band_q <= MST_DYNAMICS_MAX_Q
      && (unsigned) s->apply <= MST_DYNAMICS_SPLIT
      && s->mix >= 0.0 && s->mix <= 1.0;
}

MstDynamicsGain *
mst_dynamics_gain_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDynamicsGain *g = calloc (1, sizeof *g);
  if (!g)
    return NULL;
  g->max_channels = max_channels;
  g->det = mst_level_detector_init (max_channels);
  g->gc = mst_gain_computer_init ();
  g->key = malloc (sizeof (double) * MST_DYNAMICS_BLOCK * max_channels);
  g->keys = malloc (sizeof (double) * MST_DYNAMICS_BLOCK * max_channels);
  g->level = malloc (sizeof (double) * MST_DYNAMICS_BLOCK * max_channels);
  if (!g->det || !g->gc || !g->key || !g->keys || !g->level) {
    mst_dynamics_gain_destroy (&g);
    return NULL;
  }
  for (int c = 0; c < MST_MAX_CHANNELS; c++)
    g->channel_index[c] = c;
  mst_dynamics_settings_default (&g->set);
  return g;
}

void
mst_dynamics_gain_destroy (MstDynamicsGain ** g)
{
  if (!g || !*g)
    return;
  mst_level_detector_destroy (&(*g)->det);
  mst_gain_computer_destroy (&(*g)->gc);
  free ((*g)->key);
  free ((*g)->keys);
  free ((*g)->level);
  free (*g);
  *g = NULL;
}

/* The cascade of the key filters that are on, at the rate. */
static void
design_key_filters (const MstDynamicsSettings * s, double rate_hz,
    MstBiquadCascade * c)
{
  const double top = MAX_FILTER_FRACTION * rate_hz;
  const struct {
    MstFilterType type;
    double hz;
  } wanted[] = {
    {MST_FILTER_LOW_CUT, s->key_highpass_hz},
    {MST_FILTER_HIGH_CUT, s->key_lowpass_hz},
    {MST_FILTER_BAND_PASS, s->key_band_hz},
  };
  c->n_sections = 0;
  for (size_t k = 0; k < sizeof wanted / sizeof wanted[0]; k++) {
    if (wanted[k].hz <= 0.0)
      continue;
    /* A low-pass at or above the top passes everything: left out. */
    if (wanted[k].type == MST_FILTER_HIGH_CUT && wanted[k].hz >= top)
      continue;
    MstFilterParams p = {
      .type = wanted[k].type,
      .freq_hz = wanted[k].hz < top ? wanted[k].hz : top,
      .q = wanted[k].type == MST_FILTER_BAND_PASS ? s->key_band_q : M_SQRT1_2,
      .slope_db_per_oct = KEY_CUT_SLOPE,
    };
    int n = 0;
    if (mst_filter_design (&p, rate_hz, c->coefs + c->n_sections, &n)
        == MST_OK)
      c->n_sections += n;
  }
}

/* The coefficient of a one-pole of time constant @ms stepped every
 * @step frames. */
static double
one_pole (double rate_hz, double ms, double step)
{
  return ms > 0.0 ? exp (-1000.0 * step / (rate_hz * ms)) : 0.0;
}

static size_t
control_frames (const MstDynamicsSettings * s, double rate_hz)
{
  double shortest = fmin (s->attack_ms, s->release_ms) * 1e-3 * rate_hz;
  size_t k = 1;
  while (2 * k <= MAX_CONTROL_FRAMES && 2 * k <= shortest / CONTROL_FRACTION)
    k *= 2;
  return k;
}

/* Everything that follows from the settings and the rate. */
static void
update (MstDynamicsGain * g, const MstDynamicsSettings * old)
{
  const MstDynamicsSettings *s = &g->set;
  const double fs = g->rate_hz;
  /* The curve without makeup: the stage reports the change it makes. */
  MstGainComputerSettings gs = {
    s->mode, s->threshold_db, s->ratio, s->knee_db, s->range_db, 0.0
  };
  mst_gain_computer_set (g->gc, &gs);
  g->auto_makeup_db = 0.0;
  if (s->auto_makeup && s->mode == MST_GAIN_COMPUTER_COMPRESS) {
    double zero_dbfs = 0.0, at_zero;
    mst_gain_computer_process (g->gc, &zero_dbfs, &at_zero, 1);
    g->auto_makeup_db = -at_zero;
  }
  g->direction = s->mode == MST_GAIN_COMPUTER_EXPAND ? 1.0 : -1.0;

  const size_t k = control_frames (s, fs);
  if (k != g->control_frames) {
    /* A new period length starts a new period: the one under way (which
     * may already be longer than the new length) ends here, its key
     * dropped, and the gain stays where its ramp had brought it until the
     * next control value. */
    double done = g->control_frames > 0 ? (double) g->period_pos
        / (double) g->control_frames : 0.0;
    g->period_pos = 0;
    memset (g->key_acc, 0, sizeof g->key_acc);
    for (int c = 0; c < MST_MAX_CHANNELS; c++) {
      Ballistics *b = &g->ch[c];
      b->gain_from = b->gain_to = b->gain_from + done * (b->gain_to
          - b->gain_from);
    }
  }
  g->control_frames = k;
  MstLevelDetectorSettings ds;
  mst_level_detector_settings_default (&ds);
  /* The detector reads the instantaneous level (of each frame, or of each
   * control period's key): the ballistics act on the gain. */
  ds.mode = s->detector == MST_DYNAMICS_RMS ? MST_LEVEL_DETECTOR_RMS_WINDOW
      : MST_LEVEL_DETECTOR_PEAK;
  ds.attack_ms = ds.release_ms = 0.0;
  ds.window_ms = s->rms_window_ms;
  ds.link = g->key_channels != g->out_channels ? 1.0 : s->link;
  ds.link_mode = MST_LEVEL_DETECTOR_LINK_MAX;
  ds.frames_per_value = (int) k;
  mst_level_detector_set (g->det, &ds);
  for (size_t t = 0; t < k; t++)
    g->control_ramp[t] = (double) (t + 1) / (double) k;
  g->a_attack = one_pole (fs, s->attack_ms, k);
  g->a_release = one_pole (fs, s->release_ms, k);
  g->a_release_slow = one_pole (fs, SLOW_RELEASE_FACTOR * s->release_ms, k);
  g->a_sustained = one_pole (fs, SUSTAINED_RELEASES * s->release_ms, k);
  g->hold_frames = (size_t) ceil (s->hold_ms * 1e-3 * fs / k - 1e-9);
  g->gate_env_fall_db = k * 20.0 / M_LN10 * 1000.0 / (fs
      * fmax (s->release_ms, GATE_ENV_MIN_MS));
  g->makeup_exp = (s->makeup_db + g->auto_makeup_db) * (M_LN10 / 20.0);
  /* Downward, a peak level under the knee has a static gain of exactly
   * 0 dB (mst-gain-computer.c: no slope, no range, makeup 0 here). The
   * margin of 1e-6 keeps the frames near the knee's foot, whose level in
   * dB might round either way, on the curve. */
  g->quiet_lin = s->mode == MST_GAIN_COMPUTER_COMPRESS
      && s->detector == MST_DYNAMICS_PEAK ?
      pow (10.0, (s->threshold_db - 0.5 * s->knee_db) / 20.0) * (1.0 - 1e-6)
      : 0.0;

  MstBiquadCascade designed;
  design_key_filters (s, fs, &designed);
  bool same_shape = old && designed.n_sections == g->key_filter.n_sections;
  /* The key's filters glide as the audio's do: a processor keyed by its own
   * audio may take the key's band as the audio's (mst-dynamics.c). */
  if (same_shape) {
    memcpy (g->key_from, g->key_filter.coefs, sizeof g->key_from);
    memcpy (g->audio_from, g->audio_filter.coefs, sizeof g->audio_from);
  }
  g->key_glide = g->audio_glide = same_shape;
  if (!same_shape) {
    mst_biquad_cascade_reset (&g->key_filter);
    mst_biquad_cascade_reset (&g->audio_filter);
  }
  g->key_filter.n_sections = g->audio_filter.n_sections = designed.n_sections;
  memcpy (g->key_filter.coefs, designed.coefs, sizeof designed.coefs);
  memcpy (g->audio_filter.coefs, designed.coefs, sizeof designed.coefs);
}

MstResult
mst_dynamics_gain_configure (MstDynamicsGain * g, double rate_hz,
    int key_channels, int out_channels)
{
  if (!g || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || key_channels < 1 || key_channels > g->max_channels
      || out_channels < 1 || out_channels > g->max_channels)
    return MST_ERR_INVALID_ARG;
  MstResult r = mst_level_detector_configure (g->det, rate_hz, key_channels);
  if (r != MST_OK)
    return r;
  mst_gain_computer_configure (g->gc);
  g->rate_hz = rate_hz;
  g->key_channels = key_channels;
  g->out_channels = out_channels;
  g->nonfinite = 0;
  update (g, NULL);
  mst_dynamics_gain_reset (g);
  return MST_OK;
}

MstResult
mst_dynamics_gain_set (MstDynamicsGain * g, const MstDynamicsSettings * s)
{
  if (!g || !s || !mst_dynamics_settings_valid (s))
    return MST_ERR_INVALID_ARG;
  MstDynamicsSettings old = g->set;
  g->set = *s;
  if (g->rate_hz > 0.0)
    update (g, &old);
  return MST_OK;
}

void
mst_dynamics_gain_reset (MstDynamicsGain * g)
{
  if (!g)
    return;
  mst_level_detector_reset (g->det);
  mst_biquad_cascade_reset (&g->key_filter);
  mst_biquad_cascade_reset (&g->audio_filter);
  g->key_glide = g->audio_glide = false;
  g->key_filtered = false;
  g->flat = false;
  g->dense = false;
  memset (g->ch, 0, sizeof g->ch);
  memset (g->key_acc, 0, sizeof g->key_acc);
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    g->ch[c].gain_from = g->ch[c].gain_to = exp (g->makeup_exp);
  }
  g->period_pos = 0;
  g->stale_detector = false;
  g->extreme_db = 0.0;
  g->processed = false;
}

void
mst_dynamics_gain_restart_audio_filter (MstDynamicsGain * g)
{
  if (!g)
    return;
  mst_biquad_cascade_reset (&g->audio_filter);
  g->audio_glide = false;
}

void
mst_dynamics_gain_filter_audio (MstDynamicsGain * g, double *x,
    size_t stride, size_t n)
{
  if (!g || g->audio_filter.n_sections == 0 || n == 0)
    return;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  mst_biquad_cascade_run (&g->audio_filter, g->channel_index,
      g->out_channels, x, stride, g->audio_glide ? g->audio_from : NULL,
      (int) n);
  g->audio_glide = false;
  mst_biquad_cascade_check_finite (&g->audio_filter, g->out_channels);
  mst_fpu_leave (fpu);
}

/* A steady release of a static gain of 0 dB (y2 = y1 > 0, t = ±0: stage
 * 1's step is its product with a, stage 2 follows it), eight frames a
 * step: y1 times a^1 .. a^8 (@powers), the eighth the next step's start,
 * so the chain is one product for eight frames instead of eight. The
 * frames' values are the sequence's to within a few ulps (a^k rounded
 * once, against k roundings of the products one by one). Writes the
 * gains (dB, @dir y1) of whole steps over at most @n frames while y1
 * stays far above the smallest normal (a product that would flush to
 * zero goes frame by frame, zero signs and all); returns the frames
 * done, *@y1 moved on. */
#define STEADY_FLOOR 1e-290
MST_VECTORISE_AVX2
static size_t
steady_release (double *gain_db, size_t n, double *y1, const double *powers,
    double dir)
{
  typedef double V4s __attribute__ ((vector_size (32)));
  V4s lo, hi;
  memcpy (&lo, powers, sizeof lo);
  memcpy (&hi, powers + 4, sizeof hi);
  const V4s vdir = { dir, dir, dir, dir };
  const double a8 = powers[7];
  double y = *y1;
  size_t i = 0;
  for (; i + 8 <= n && y * a8 > STEADY_FLOOR; i += 8) {
    const V4s vy = { y, y, y, y };
    const V4s a = vy * lo, b = vy * hi;
    const V4s ga = vdir * a, gb = vdir * b;
    memcpy (gain_db + i, &ga, sizeof ga);
    memcpy (gain_db + i + 4, &gb, sizeof gb);
    y = b[3];
  }
  *y1 = y;
  return i;
}

/* Over one frame in DENSE_SHARE over the knee's foot, all frames go four
 * a step (fast_steps2) rather than the sparse runs'. */
#define DENSE_SHARE 4

/* One frame of the ballistics without hold or auto release (see
 * ballistics: the same steps). */
#define FAST_STEP(t) \
  do { \
    if ((t) == 0.0 && y1 > 0.0) { \
      y1 = a_rel * y1; \
    } else { \
      double r_ = (t) + a_rel * (y1 - (t)); \
      y1 = r_ > (t) ? r_ : (t); \
    } \
    if (y2 >= y1) \
      y2 = y1; \
    else \
      y2 = y1 + a_att * (y2 - y1); \
  } while (0)

/* FAST_STEP over @n frames (even) of static gains g (dB, in place), two
 * frames a step. Each stage is a clamped one-pole, in t = dir g a map
 * f (y) = max (t, a y + (1 - a) t) (stage 1) or min (y1, a_att y +
 * (1 - a_att) y1) (stage 2): FAST_STEP's values in exact arithmetic
 * (t + a (y - t) is over t exactly where y is, y1 + a_att (y2 - y1) under
 * y1 where y2 is). Such maps compose (a >= 0: max and min pass through
 * a y + b): the second frame from the state y before the first is
 * max (C, a^2 y + D), C = f_1 (t_0) and D = a (1 - a) t_0 + (1 - a) t_1
 * off the chain, so each stage's state waits on one multiply-add and one
 * comparison for two frames instead of two of each (four steps a frame
 * in all). Worked in g (dir -1 swaps max and min; the states stay in t
 * outside) so that no frame is multiplied by dir. Rounding differs from
 * the frame by frame steps (a^2 rounded once, the terms summed in another
 * order, fused where FMA is there): a few ulps of the gain in dB. */
#define STEPS2_BODY(MADD, UP, DOWN) \
  do { \
    const double b1_ = 1.0 - a_rel, b2_ = 1.0 - a_att; \
    const double r2_ = a_rel * a_rel, s2_ = a_att * a_att; \
    double y1 = dir * *y1_io, y2 = dir * *y2_io; \
    for (size_t i = 0; i < n; i += 2) { \
      const double g0 = gain_db[i], g1 = gain_db[i + 1]; \
      const double bg0 = b1_ * g0, bg1 = b1_ * g1; \
      const double c1 = UP (g1, MADD (a_rel, g0, bg1)); \
      const double d1 = MADD (a_rel, bg0, bg1); \
      const double u0 = UP (g0, MADD (a_rel, y1, bg0)); \
      y1 = UP (c1, MADD (r2_, y1, d1)); \
      const double bu0 = b2_ * u0, bu1 = b2_ * y1; \
      const double e1 = DOWN (y1, MADD (a_att, u0, bu1)); \
      const double f1 = MADD (a_att, bu0, bu1); \
      gain_db[i] = DOWN (u0, MADD (a_att, y2, bu0)); \
      y2 = DOWN (e1, MADD (s2_, y2, f1)); \
      gain_db[i + 1] = y2; \
    } \
    *y1_io = dir * y1; \
    *y2_io = dir * y2; \
  } while (0)
#define MUL_ADD(a, b, c) ((a) * (b) + (c))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define MIN2(a, b) ((a) < (b) ? (a) : (b))

/* The runner of @MADD (a product and a sum, rounded once or twice), the
 * stages' comparisons chosen by dir's sign. */
#define DEFINE_FAST_STEPS2(name, MADD) \
  static void \
  name (double *gain_db, size_t n, double dir, double a_rel, double a_att, \
      double *y1_io, double *y2_io) \
  { \
    if (dir > 0.0) \
      STEPS2_BODY (MADD, MAX2, MIN2); \
    else \
      STEPS2_BODY (MADD, MIN2, MAX2); \
  }
DEFINE_FAST_STEPS2 (fast_steps2_portable, MUL_ADD)
#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2,fma")))
DEFINE_FAST_STEPS2 (fast_steps2_fma, __builtin_fma)
#endif

#undef DEFINE_FAST_STEPS2
#undef STEPS2_BODY
#undef MUL_ADD
#undef MAX2
#undef MIN2

/* The largest and smallest of @n gains into *@hi and *@lo (as they were:
 * the starting values), off the ballistics' chain: four lanes of each
 * (the compiler keeps a plain loop's maximum one scalar chain). */
MST_VECTORISE_AVX2
static void
gain_extremes (const double *gain_db, size_t n, double *hi, double *lo)
{
  typedef double V4e __attribute__ ((vector_size (32)));
  typedef int64_t V4el __attribute__ ((vector_size (32)));
  V4e h = { *hi, *hi, *hi, *hi }, l = { *lo, *lo, *lo, *lo };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4e v;
    memcpy (&v, gain_db + i, sizeof v);
    const V4el up = v > h, down = v < l;
    h = (V4e) (((V4el) v & up) | ((V4el) h & ~up));
    l = (V4e) (((V4el) v & down) | ((V4el) l & ~down));
  }
  double hs = h[0], ls = l[0];
  for (int k = 1; k < 4; k++) {
    hs = h[k] > hs ? h[k] : hs;
    ls = l[k] < ls ? l[k] : ls;
  }
  for (; i < n; i++) {
    hs = gain_db[i] > hs ? gain_db[i] : hs;
    ls = gain_db[i] < ls ? gain_db[i] : ls;
  }
  *hi = hs;
  *lo = ls;
}

/* Stage 1 and 2 of the ballistics over one gain channel's n static gains
 * (dB, in place, to the smoothed gain); returns the gain furthest from
 * 0 dB reached. With @above non-NULL every static gain but those at the
 * @n_above frames @above (ascending) is +0 dB (sparse_curve's rows): the
 * runs between them are not read (nor need they be written). */
static double
ballistics (MstDynamicsGain * g, Ballistics * b, double *gain_db, size_t n,
    const uint16_t * above, size_t n_above)
{
  const double dir = g->direction;
  const double a_att = g->a_attack, a_rel = g->a_release;
  const double a_slow = g->a_release_slow, a_sus = g->a_sustained;
  const bool auto_release = g->set.auto_release;
  const size_t hold = g->hold_frames;
  double y1 = b->hold_db, y2 = b->out_db, sus = b->sustained_db;
  size_t hold_left = b->hold_left;
  double extreme = 0.0;
  if (hold == 0 && hold_left == 0 && !auto_release) {
    /* No hold and no auto release (the defaults): the same steps. Stage 1
     * is t where t >= y1, else its release step, which is then above t
     * (and at most t where t >= y1): their maximum. Stage 2 is its attack
     * step where y1 > y2 (at most y1 there), else y1 (at most the step
     * there): their minimum. Exact, with no NaN here.
     * Each step waits on the last through a subtraction, a product, an
     * addition and a comparison (16 cycles a frame, the stage's cost).
     * Two exact shortcuts, taken by branches (predictable over runs of
     * frames) so the chain is cut where they hold:
     *  - a static gain of 0 dB (t = ±0: most frames of a de-esser's
     *    band, of a compressor under its knee) makes the release step
     *    a y1 (t + a (y1 - t) rounds to the product, but for a zero's
     *    sign, which the comparison with t then settles alike), and
     *    with y1 > 0 the product is above t: one product on the chain
     *    (where it underflows to 0, y1 is +0 instead of t's -0, a sign
     *    no output or figure keeps: the gain is exp (±0) = 1);
     *  - where y2 >= y1 (releasing, or settled) the attack step is at
     *    least y1 (a non-negative step added), so stage 2 is y1.
     * Where y2 < y1 the step is at most y1 and is taken as it is. The
     * extreme is the gains' largest or smallest (but across a change of
     * mode a block's gains lie on one side of 0 dB), kept by a maximum
     * and a minimum off the chain: the same value as the running
     * comparison from +0, which keeps the first of the largest magnitude. */
    double hi = 0.0, lo = 0.0;
#define KEEP_EXTREMES(v) \
    do { \
      hi = (v) > hi ? (v) : hi; \
      lo = (v) < lo ? (v) : lo; \
    } while (0)
    if (above && n_above * DENSE_SHARE >= n) {
      /* Dense: the row written whole (the runs +0 dB, the gathered
       * frames' gains from g->above, where curve_gathered left them:
       * no branch a run), all frames four a step. */
      memset (gain_db, 0, n * sizeof *gain_db);
      for (size_t j = 0; j < n_above; j++)
        gain_db[above[j]] = g->above[j];
      above = NULL;
    }
    if (above) {
      /* Runs of +0 dB: after the attack (y2 < y1), most of a de-esser's
       * frames are a steady release (83 % of the bench's music). */
      const double t0 = dir * 0.0;
      double powers[8];
      powers[0] = a_rel;
      for (int k = 1; k < 8; k++)
        powers[k] = powers[k - 1] * a_rel;
      size_t i = 0;
      for (size_t j = 0; j <= n_above; j++) {
        const size_t end = j < n_above ? above[j] : n;
        for (; i < end; i++) {
          if (y2 >= y1 && y1 > 0.0 && end - i >= 8) {
            size_t done = steady_release (gain_db + i, end - i, &y1, powers,
                dir);
            if (done > 0) {
              /* The run's values shrink towards 0 dB: its first is its
               * extreme. */
              KEEP_EXTREMES (gain_db[i]);
              y2 = y1;
              i += done;
              if (i == end)
                break;
            }
          }
          FAST_STEP (t0);
          gain_db[i] = dir * y2;
          KEEP_EXTREMES (gain_db[i]);
        }
        if (j < n_above) {
          const double t = dir * gain_db[i];
          FAST_STEP (t);
          gain_db[i] = dir * y2;
          KEEP_EXTREMES (gain_db[i]);
          i++;
        }
      }
    } else {
      const size_t n2 = n & ~(size_t) 1;
#ifdef MST_HAVE_X86_PATHS
      if (mst_cpu_has_avx2_fma ())
        fast_steps2_fma (gain_db, n2, dir, a_rel, a_att, &y1, &y2);
      else
#endif
        fast_steps2_portable (gain_db, n2, dir, a_rel, a_att, &y1, &y2);
      gain_extremes (gain_db, n2, &hi, &lo);
      for (size_t i = n2; i < n; i++) {
        const double t = dir * gain_db[i];
        FAST_STEP (t);
        gain_db[i] = dir * y2;
        KEEP_EXTREMES (gain_db[i]);
      }
    }
#undef KEEP_EXTREMES
    extreme = fabs (lo) > fabs (hi) ? lo : hi;
    n = 0;
  } else if (above) {
    /* Every frame read: the runs between the gathered ones at +0 dB. */
    size_t i = 0;
    for (size_t j = 0; j <= n_above; j++) {
      const size_t end = j < n_above ? above[j] : n;
      for (; i < end; i++)
        gain_db[i] = 0.0;
      i++;
    }
  }
  for (size_t i = 0; i < n; i++) {
    double t = dir * gain_db[i];
    if (t >= y1) {
      y1 = t;
      hold_left = hold;
    } else if (hold_left > 0) {
      hold_left--;
    } else {
      double a = auto_release && y1 <= sus ? a_slow : a_rel;
      y1 = t + a * (y1 - t);
    }
    if (auto_release)
      sus = y1 + a_sus * (sus - y1);
    y2 = y1 > y2 ? y1 + a_att * (y2 - y1) : y1;
    double gdb = dir * y2;
    extreme = fabs (gdb) > fabs (extreme) ? gdb : extreme;
    gain_db[i] = gdb;
  }
  b->hold_db = y1;
  b->out_db = y2;
  b->sustained_db = sus;
  b->hold_left = hold_left;
  return extreme;
}

#undef FAST_STEP

/* The gate's hysteresis. Its state reads the level's envelope (at once
 * upwards, falling gate_env_fall_db a frame), not the level itself: the
 * level of a peak detector falls to nothing at every zero crossing, which
 * would close it each half period. It opens when the envelope reaches the
 * threshold and closes when it falls hysteresis below; while open, the
 * levels go to the curve raised by the hysteresis, so its threshold is
 * that much lower. */
static void
hysteresis (Ballistics * b, double *level, size_t n, double threshold,
    double hyst, double fall)
{
  bool open = b->open;
  double env = b->gate_env_db;
  for (size_t i = 0; i < n; i++) {
    double x = level[i];
    env = x > env - fall ? x : env - fall;
    open = env >= threshold ? true : env < threshold - hyst ? false : open;
    level[i] = open ? x + hyst : x;
  }
  b->open = open;
  b->gate_env_db = env;
}

/* Curve and ballistics over @n control levels (dB, in place, to gains in
 * dB; with @curved, static gains in dB already); the extreme reached goes
 * to the stage's meter. */
static void
control_gains (MstDynamicsGain * g, Ballistics * b, double *db, size_t n,
    bool curved, const uint16_t * above, size_t n_above)
{
  if (g->set.mode == MST_GAIN_COMPUTER_EXPAND && g->set.hysteresis_db > 0.0)
    hysteresis (b, db, n, g->set.threshold_db, g->set.hysteresis_db,
        g->gate_env_fall_db);
  if (!curved)
    mst_gain_computer_process (g->gc, db, db, n);
  double extreme = ballistics (g, b, db, n, above, n_above);
  if (!g->processed || fabs (extreme) > fabs (g->extreme_db))
    g->extreme_db = extreme;
  g->processed = true;
}

/* ---- The control-rate key ----
 *
 * With a control period of K > 1 frames the key is reduced to one value a
 * period and channel before anything else runs, in one vectorised pass
 * over the key: the period's peak |x| (PEAK) or the root of its mean
 * square (RMS). The level detector (frames_per_value K: an RMS window of
 * W ms averages the mean squares of the last W / K periods), the curve and
 * the ballistics then run once a period. Non-finite and absurd key samples
 * (beyond MST_MAX_INPUT, mst-core.h) count as silence. */

/* Four lanes of doubles (GCC vector extensions: AVX in the AVX2 clones,
 * SSE2 pairs otherwise). */
typedef double V4d __attribute__ ((vector_size (32)));
typedef int64_t V4l __attribute__ ((vector_size (32)));
typedef float V4f __attribute__ ((vector_size (16)));

/* Four samples of @x from @j as doubles (through a pointer: a vector
 * return value would change the ABI of the baseline clones). */
MST_ALWAYS_INLINE void
load4 (MstFormat fmt, const void *x, size_t j, V4d * v)
{
  if (fmt == MST_FORMAT_F64) {
    memcpy (v, (const double *) x + j, sizeof *v);
  } else {
    V4f f;
    memcpy (&f, (const float *) x + j, sizeof f);
    *v = __builtin_convertvector (f, V4d);
  }
}

/* Samples j .. j + 3 at @x into @lane: their magnitudes, read as 0 where
 * not finite or beyond MST_MAX_INPUT (counted in -*@n_ok: -1 a sane
 * one), taken as the lanes' maxima (@peak) or added as squares. */
MST_ALWAYS_INLINE void
key_step4 (const void *x, size_t j, MstFormat fmt, bool peak, V4d * lane,
    V4l * n_ok)
{
  const V4l abs_mask = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
  const V4d max_in = { MST_MAX_INPUT, MST_MAX_INPUT, MST_MAX_INPUT,
    MST_MAX_INPUT
  };
  V4d v;
  load4 (fmt, x, j, &v);
  v = (V4d) ((V4l) v & abs_mask);
  V4l ok = v <= max_in;         /* -1 where finite and sane; NaN fails */
  *n_ok -= ok;
  v = (V4d) ((V4l) v & ok);
  if (peak) {
    V4l above = v > *lane;
    *lane = (V4d) (((V4l) v & above) | ((V4l) * lane & ~above));
  } else {
    *lane += v * v;
  }
}

/* Channel @c's value across the lanes that hold it (lane l: l % @ch). */
MST_ALWAYS_INLINE double
key_fold (const V4d * lane, int c, int ch, bool peak)
{
  double a = (*lane)[c];
  for (int l = c + ch; l < 4; l += ch)
    a = peak ? ((*lane)[l] > a ? (*lane)[l] : a) : a + (*lane)[l];
  return a;
}

/* Adds @k frames of @ch channels at @x (interleaved, of @fmt) to @acc[c],
 * channel c's period so far (its peak or sum of squares); returns the
 * count of samples read as silence: non-finite or absurd (beyond
 * MST_MAX_INPUT, mst-core.h). Four samples at a time, every lane its own
 * running value; lane l holds channel l % @ch (@ch divides 4). */
MST_ALWAYS_INLINE int
reduce_period (const void *x, size_t k, int ch, MstFormat fmt, bool peak,
    double *acc)
{
  const size_t n = k * (size_t) ch;
  V4d lane = { 0.0, 0.0, 0.0, 0.0 };
  for (int l = 0; l < 4; l++)
    lane[l] = l < ch || peak ? acc[l % ch] : 0.0;
  V4l n_ok = { 0, 0, 0, 0 };
  size_t j = 0;
  for (; j + 4 <= n; j += 4)
    key_step4 (x, j, fmt, peak, &lane, &n_ok);
  /* The vector loop's samples that were not sane. */
  int bad = (int) (j - (size_t) (n_ok[0] + n_ok[1] + n_ok[2] + n_ok[3]));
  for (; j < n; j++) {
    double v = fabs (mst_sample_get (fmt, x, j));
    bool ok = v <= MST_MAX_INPUT;
    bad += !ok;
    v = ok ? v : 0.0;
    int l = (int) (j & 3);
    lane[l] = peak ? (v > lane[l] ? v : lane[l]) : lane[l] + v * v;
  }
  for (int c = 0; c < ch; c++)
    acc[c] = key_fold (&lane, c, ch, peak);
  return bad;
}

/* The keys of @count whole periods of @k frames of @ch channels at @x into
 * @keys (row c at c MST_DYNAMICS_BLOCK), @k @ch a multiple of 4: each
 * period four samples at a time, then across its lanes. */
MST_ALWAYS_INLINE int
whole_periods (const void *x, size_t count, size_t k, int ch, MstFormat fmt,
    bool peak, double *keys)
{
  const size_t len = k * (size_t) ch;
  const double inv_k = 1.0 / (double) k;
  V4l n_ok = { 0, 0, 0, 0 };
  for (size_t p = 0; p < count; p++) {
    V4d lane = { 0.0, 0.0, 0.0, 0.0 };
    for (size_t j = p * len; j < (p + 1) * len; j += 4)
      key_step4 (x, j, fmt, peak, &lane, &n_ok);
    for (int c = 0; c < ch; c++) {
      double a = key_fold (&lane, c, ch, peak);
      keys[(size_t) c * MST_DYNAMICS_BLOCK + p] = peak ? a : sqrt (a * inv_k);
    }
  }
  return (int) (count * len - (size_t) (n_ok[0] + n_ok[1] + n_ok[2]
          + n_ok[3]));
}

typedef float V8f __attribute__ ((vector_size (32)));
typedef int32_t V8i __attribute__ ((vector_size (32)));

typedef int32_t V4i __attribute__ ((vector_size (16)));

/* The larger of @a and @b in each lane (neither NaN). */
MST_ALWAYS_INLINE V4f
max4f (V4f a, V4f b)
{
  V4i above = a > b;
  return (V4f) (((V4i) a & above) | ((V4i) b & ~above));
}

/* whole_periods of the peak of F32 samples, taken in F32 (exact) eight
 * samples at a time: @k @ch a multiple of 8, @ch dividing 4. */
MST_ALWAYS_INLINE int
whole_periods_peak_f32 (const float *x, size_t count, size_t k, int ch,
    double *keys)
{
  const V8i abs_mask = { INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX,
    INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX
  };
  const float top = (float) MST_MAX_INPUT;
  const V8f max_in = { top, top, top, top, top, top, top, top };
  const size_t len = k * (size_t) ch;
  V8i n_ok = { 0, 0, 0, 0, 0, 0, 0, 0 };
  for (size_t p = 0; p < count; p++) {
    V8f lane = { 0, 0, 0, 0, 0, 0, 0, 0 };
    for (size_t j = p * len; j < (p + 1) * len; j += 8) {
      V8f v;
      memcpy (&v, x + j, sizeof v);
      v = (V8f) ((V8i) v & abs_mask);
      V8i ok = v <= max_in;
      n_ok -= ok;
      v = (V8f) ((V8i) v & ok);
      V8i above = v > lane;
      lane = (V8f) (((V8i) v & above) | ((V8i) lane & ~above));
    }
    /* Across the lanes of each channel by halves (lane l holds channel
     * l % ch, ch dividing 4): the maxima of sane values, exact. */
    V4f m, hi;
    memcpy (&m, &lane, sizeof m);
    memcpy (&hi, (const char *) &lane + sizeof m, sizeof hi);
    m = max4f (m, hi);
    if (ch <= 2)
      m = max4f (m, __builtin_shufflevector (m, m, 2, 3, 0, 1));
    if (ch == 1)
      m = max4f (m, __builtin_shufflevector (m, m, 1, 0, 3, 2));
    for (int c = 0; c < ch; c++)
      keys[(size_t) c * MST_DYNAMICS_BLOCK + p] = m[c];
  }
  int sane = 0;
  for (int l = 0; l < 8; l++)
    sane += n_ok[l];
  return (int) (count * len) - sane;
}

/* The keys of the control periods that end within @n frames of @ch
 * channels at @x (interleaved, of @fmt; the current period has
 * g->period_pos frames before them, its running values in @acc) into
 * @keys (channel c's row at c MST_DYNAMICS_BLOCK); returns how many. */
MST_ALWAYS_INLINE size_t
period_keys (const MstDynamicsGain * g, const void *x, size_t n, int ch,
    MstFormat fmt, bool peak, double *acc, double *keys, int *bad)
{
  const size_t k = g->control_frames;
  const size_t frame = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * (size_t) ch;
  size_t pos = g->period_pos, m = 0;
  for (size_t i = 0; i < n;) {
    if (pos == 0 && (k * (size_t) ch) % 4 == 0 && n - i >= k) {
      size_t count = (n - i) / k;
      const void *at = (const char *) x + i * frame;
      if (fmt == MST_FORMAT_F32 && peak && (k * (size_t) ch) % 8 == 0)
        *bad += whole_periods_peak_f32 (at, count, k, ch, keys + m);
      else
        *bad += whole_periods (at, count, k, ch, fmt, peak, keys + m);
      m += count;
      i += count * k;
      continue;
    }
    size_t take = k - pos < n - i ? k - pos : n - i;
    *bad += reduce_period ((const char *) x + i * frame, take, ch, fmt, peak,
        acc);
    i += take;
    pos += take;
    if (pos == k) {
      for (int c = 0; c < ch; c++) {
        keys[(size_t) c * MST_DYNAMICS_BLOCK + m] = peak ? acc[c]
            : sqrt (acc[c] / (double) k);
        acc[c] = 0.0;
      }
      m++;
      pos = 0;
    }
  }
  return m;
}

/* period_keys of each row of a planar key (channel c at @key + c
 * @stride). */
MST_VECTORISE_AVX2
static size_t
planar_period_keys (MstDynamicsGain * g, const double *key, size_t stride,
    size_t n)
{
  const bool peak = g->set.detector == MST_DYNAMICS_PEAK;
  size_t m = 0;
  int bad = 0;
  for (int c = 0; c < g->key_channels; c++)
#ifdef MST_FEW_KERNEL_COPIES
    m = period_keys (g, key + c * stride, n, 1, MST_FORMAT_F64, peak,
        g->key_acc + c, g->keys + (size_t) c * MST_DYNAMICS_BLOCK, &bad);
#else
    m = peak ? period_keys (g, key + c * stride, n, 1, MST_FORMAT_F64, true,
        g->key_acc + c, g->keys + (size_t) c * MST_DYNAMICS_BLOCK, &bad)
        : period_keys (g, key + c * stride, n, 1, MST_FORMAT_F64, false,
        g->key_acc + c, g->keys + (size_t) c * MST_DYNAMICS_BLOCK, &bad);
#endif
  g->nonfinite += (uint64_t) bad;
  return m;
}

/* period_keys of interleaved frames of @fmt, the key channels' count
 * dividing 4. */
MST_ALWAYS_INLINE size_t
frame_period_keys_body (MstDynamicsGain * g, const void *key, size_t n,
    MstFormat fmt)
{
  const bool peak = g->set.detector == MST_DYNAMICS_PEAK;
  const int ch = g->key_channels;
  int bad = 0;
  size_t m;
#ifdef MST_FEW_KERNEL_COPIES
  /* The sanitizer build (gst/meson.build): one copy, the count and the
   * detector variables. */
  m = period_keys (g, key, n, ch, fmt, peak, g->key_acc, g->keys, &bad);
#else
  /* The channel count a constant in each loop: the common ones. */
  if (ch == 2)
    m = peak ? period_keys (g, key, n, 2, fmt, true, g->key_acc, g->keys,
        &bad) : period_keys (g, key, n, 2, fmt, false, g->key_acc, g->keys,
        &bad);
  else if (ch == 1)
    m = peak ? period_keys (g, key, n, 1, fmt, true, g->key_acc, g->keys,
        &bad) : period_keys (g, key, n, 1, fmt, false, g->key_acc, g->keys,
        &bad);
  else
    m = period_keys (g, key, n, 4, fmt, peak, g->key_acc, g->keys, &bad);
#endif
  g->nonfinite += (uint64_t) bad;
  return m;
}

MST_VECTORISE_AVX2
static size_t
frame_period_keys_f32 (MstDynamicsGain * g, const float *key, size_t n)
{
  return frame_period_keys_body (g, key, n, MST_FORMAT_F32);
}

MST_VECTORISE_AVX2
static size_t
frame_period_keys_f64 (MstDynamicsGain * g, const double *key, size_t n)
{
  return frame_period_keys_body (g, key, n, MST_FORMAT_F64);
}

/* Whether every output channel gets one gain. */
static bool
linked (const MstDynamicsGain * g)
{
  return g->key_channels != g->out_channels || g->set.link == 1.0
      || g->out_channels == 1;
}

/* Frames @i .. @i + @take - 1 of the interleaved @x (@ch channels, of
 * @fmt) times from + ramp[t] span (t from 0) into @y: channel @c, or every
 * channel with @c < 0. In double, rounded to @fmt: the products the rows
 * and the gain apply block (mst-gainapply) give, the gain computed as the
 * rows have it. */
MST_ALWAYS_INLINE void
apply_segment (const void *x, void *y, int ch, int c, size_t i, size_t take,
    const double *ramp, double from, double span, MstFormat fmt)
{
  const int c0 = c < 0 ? 0 : c, c1 = c < 0 ? ch : c + 1;
  for (size_t t = 0; t < take; t++) {
    const double gain = from + ramp[t] * span;
    for (int cc = c0; cc < c1; cc++) {
      size_t k = (i + t) * (size_t) ch + (size_t) cc;
      double v = gain * mst_sample_get (fmt, x, k);
      if (fmt == MST_FORMAT_F64)
        ((double *) y)[k] = v;
      else
        ((float *) y)[k] = (float) v;
    }
  }
}

/* One gain channel's frames over @n frames from its new control gains
 * (linear, @control): each period ramps from the control gain before to
 * its own, reached at its last frame. The gains go to @row, or (@row
 * NULL) multiply the frames as apply_segment says. */
MST_ALWAYS_INLINE void
walk_ramps (MstDynamicsGain * g, Ballistics * b, const double *control,
    size_t n, double *row, const void *x, void *y, int ch, int c,
    MstFormat fmt)
{
  const size_t k = g->control_frames;
  size_t pos = g->period_pos, j = 0;
  double from = b->gain_from, to = b->gain_to;
  const double *ramp = g->control_ramp;
  for (size_t i = 0; i < n;) {
    if (!row && fmt == MST_FORMAT_F32 && ch == 2 && c < 0 && pos == 0
        && k % 4 == 0 && n - i >= k) {
      /* Whole periods of stereo F32 with one gain: the gain apply block's
       * ramps, the gains never written. */
      size_t count = (n - i) / k;
      mst_gain_apply_ramps_stereo_f32 (ramp, k, from, to, control + j, count,
          (const float *) x + 2 * i, (float *) y + 2 * i);
      from = count > 1 ? control[j + count - 2] : to;
      to = control[j + count - 1];
      j += count;
      i += count * k;
      continue;
    }
    size_t take = k - pos < n - i ? k - pos : n - i;
    const double span = to - from;
    if (row) {
      for (size_t t = 0; t < take; t++)
        row[i + t] = from + ramp[pos + t] * span;
    } else {
      apply_segment (x, y, ch, c, i, take, ramp + pos, from, span, fmt);
    }
    i += take;
    pos += take;
    if (pos == k) {
      from = to;
      to = control[j++];
      pos = 0;
    }
  }
  b->gain_from = from;
  b->gain_to = to;
}

MST_VECTORISE_AVX2
static void
ramp_channel (MstDynamicsGain * g, Ballistics * b, const double *control,
    size_t n, double *out)
{
  walk_ramps (g, b, control, n, out, NULL, NULL, 0, 0, MST_FORMAT_F64);
}

/* The pending gains over @n frames of @x into @y (the output's channels,
 * interleaved), each gain channel's ramps walked once; stereo with one
 * gain, the common case, with the channel count a constant. */
MST_ALWAYS_INLINE void
apply_pending (MstDynamicsGain * g, const void *x, void *y, size_t n,
    MstFormat fmt)
{
  const int ch = g->out_channels;
  const double *control = g->level;
#ifndef MST_FEW_KERNEL_COPIES
  /* (The sanitizer build's one copy: the next case's.) */
  if (linked (g) && ch == 2) {
    walk_ramps (g, &g->ch[0], control, n, NULL, x, y, 2, -1, fmt);
  } else
#endif
  if (linked (g)) {
    walk_ramps (g, &g->ch[0], control, n, NULL, x, y, ch, -1, fmt);
  } else {
    for (int c = 0; c < ch; c++)
      walk_ramps (g, &g->ch[c], control + (size_t) c * MST_DYNAMICS_BLOCK,
          n, NULL, x, y, ch, c, fmt);
  }
}

MST_VECTORISE_AVX2
static void
apply_pending_f32 (MstDynamicsGain * g, const float *x, float *y, size_t n)
{
  apply_pending (g, x, y, n, MST_FORMAT_F32);
}

MST_VECTORISE_AVX2
static void
apply_pending_f64 (MstDynamicsGain * g, const double *x, double *y,
    size_t n)
{
  apply_pending (g, x, y, n, MST_FORMAT_F64);
}

/* Whether a gain channel's ramps over the block are all at @value: both
 * ends of the period under way and the @m new control gains. */
static bool
channel_flat (const Ballistics * b, const double *control, size_t m,
    double value)
{
  bool flat = b->gain_from == value && b->gain_to == value;
  for (size_t j = 0; j < m; j++)
    flat = flat && control[j] == value;
  return flat;
}

/* The gains of @n frames from the @m period keys in g->keys: levels,
 * curve and ballistics at the control rate, then the frames' ramps (not
 * written when every gain is the same and @rows_optional; left pending
 * with @gain NULL). */
static void
gains_from_keys (MstDynamicsGain * g, size_t n, size_t m, int n_gains,
    double *gain, size_t gain_stride, bool rows_optional)
{
  if (m > 0)
    mst_level_detector_process_planar (g->det, g->keys, MST_DYNAMICS_BLOCK,
        m, g->level, MST_DYNAMICS_BLOCK, NULL);
  const double first = g->ch[0].gain_from;
  bool flat = true;
  for (int c = 0; c < n_gains; c++) {
    double *row = g->level + (size_t) c * MST_DYNAMICS_BLOCK;
    if (m > 0) {
      control_gains (g, &g->ch[c], row, m, false, NULL, 0);
      mst_vmath_exp (row, M_LN10 / 20.0, g->makeup_exp, row, m);
    }
    flat = flat && channel_flat (&g->ch[c], row, m, first);
  }
  g->flat = flat;
  g->flat_gain = first;
  if (!gain) {
    /* Left pending for mst_dynamics_gain_apply_pending_*. */
    g->pending_n = n;
    return;
  }
  if (!flat || !rows_optional)
    for (int c = 0; c < n_gains; c++)
      ramp_channel (g, &g->ch[c], g->level + (size_t) c * MST_DYNAMICS_BLOCK,
          n, gain + c * gain_stride);
  g->period_pos = (g->period_pos + n) % g->control_frames;
}

/* The static gains (dB) of the @m levels over quiet_lin gathered in
 * g->above, to their frames (g->above_at) in @row: four at a time through
 * the same vector logarithm and curve as a whole row. */
static void
curve_gathered (MstDynamicsGain * g, double *row, size_t m)
{
  size_t padded = m;
  while (padded % 4)
    g->above[padded++] = 1.0;
  mst_vmath_log (g->above, MST_LEVEL_DETECTOR_DB_PER_NEPER, g->above,
      padded);
  mst_gain_computer_process (g->gc, g->above, g->above, padded);
  for (size_t j = 0; j < m; j++)
    row[g->above_at[j]] = g->above[j];
}

/* The static gains (dB) of @n linear levels in place, the levels under
 * quiet_lin (most frames of a de-esser's band) at 0 dB without their
 * logarithm or the curve: the others are gathered, four at a time through
 * the same vector logarithm and curve as a whole row (a row's last n % 4
 * levels go through the scalar logarithm instead, within an ulp). Returns
 * how many were over, their frames in g->above_at (ascending): the others
 * are +0 dB. */
MST_VECTORISE_AVX2
static size_t
sparse_curve (MstDynamicsGain * g, double *row, size_t n)
{
  const double quiet = g->quiet_lin;
  const V4d vquiet = { quiet, quiet, quiet, quiet };
  const V4d zero = { 0.0, 0.0, 0.0, 0.0 };
  size_t m = 0, i = 0;
  /* Four levels a test: most groups have none over quiet_lin and are only
   * zeroed (a gather a level, each waiting on the last's count, cost more
   * than the curve it saves). */
  for (; i + 4 <= n; i += 4) {
    V4d v;
    memcpy (&v, row + i, sizeof v);
    const V4l over = v >= vquiet;
    memcpy (row + i, &zero, sizeof zero);
    if (over[0] | over[1] | over[2] | over[3])
      for (int l = 0; l < 4; l++) {
        g->above[m] = v[l];
        g->above_at[m] = (uint16_t) (i + (size_t) l);
        m += v[l] >= quiet;
      }
  }
  for (; i < n; i++) {
    double v = row[i];
    g->above[m] = v;
    g->above_at[m] = (uint16_t) i;
    m += v >= quiet;
    row[i] = 0.0;
  }
  curve_gathered (g, row, m);
  return m;
}

/* How many of the @n levels (dB) are over the knee's foot: their static
 * gain is not 0 dB (the curve decides; counted before it). */
MST_VECTORISE_AVX2
static size_t
count_over_db (const double *row, size_t n, double foot_db)
{
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    m += row[i] >= foot_db;
  return m;
}

/* K = 1: a gain a frame, from that frame's level. */
static void
gains_per_frame (MstDynamicsGain * g, const double *k, size_t k_stride,
    size_t n, int n_gains, double *gain, size_t gain_stride)
{
  const bool sparse = g->quiet_lin > 0.0 && !g->dense;
  /* One gain (a linked detector): the levels over quiet_lin straight from
   * the key, in one pass without the row of levels. */
  size_t n_above = 0;
  const bool gathered = sparse && n_gains == 1
      && mst_level_detector_peaks_over (g->det, k, k_stride, n, g->quiet_lin,
      g->above, g->above_at, &n_above) == MST_OK;
  if (gathered) {
    /* The other frames' 0 dB left to the ballistics (they need not be
     * written where they are not read). */
    curve_gathered (g, g->level, n_above);
  } else if (sparse) {
    mst_level_detector_process_planar_lin (g->det, k, k_stride, n, g->level,
        MST_DYNAMICS_BLOCK, NULL);
  } else {
    mst_level_detector_process_planar (g->det, k, k_stride, n, g->level,
        MST_DYNAMICS_BLOCK, NULL);
  }
  g->flat = false;
  for (int c = 0; c < n_gains; c++) {
    double *row = g->level + (size_t) c * MST_DYNAMICS_BLOCK;
    double *out = gain + c * gain_stride;
    if (sparse && !gathered)
      n_above = sparse_curve (g, row, n);
    if (g->quiet_lin > 0.0 && n_gains == 1)
      g->dense = (sparse ? n_above : count_over_db (row, n,
              MST_LEVEL_DETECTOR_DB_PER_NEPER * log (g->quiet_lin)))
          * DENSE_SHARE >= n;
    control_gains (g, &g->ch[c], row, n, sparse, sparse ? g->above_at : NULL,
        n_above);
    mst_vmath_exp (row, M_LN10 / 20.0, g->makeup_exp, out, n);
    g->ch[c].gain_from = g->ch[c].gain_to = out[n - 1];
  }
}

static bool
check_args (const MstDynamicsGain * g, const void *key, size_t n,
    const double *gain, size_t gain_stride)
{
  return g && g->rate_hz != 0.0 && n <= MST_DYNAMICS_BLOCK
      && (n == 0 || (key && gain && gain_stride >= n));
}

/* Whether the @n samples at @x are all finite and within MST_MAX_INPUT,
 * four at a time (the compiler keeps mst_input_sane's F64 loop scalar). */
MST_VECTORISE_AVX2
static bool
row_sane (const double *x, size_t n)
{
  const V4l abs_mask = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
  const V4d max_in = { MST_MAX_INPUT, MST_MAX_INPUT, MST_MAX_INPUT,
    MST_MAX_INPUT
  };
  V4l ok = { -1, -1, -1, -1 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4d v;
    memcpy (&v, x + i, sizeof v);
    ok &= (V4d) ((V4l) v & abs_mask) <= max_in;
  }
  bool all = (ok[0] & ok[1] & ok[2] & ok[3]) != 0;
  for (; i < n; i++)
    all = all && fabs (x[i]) <= MST_MAX_INPUT;
  return all;
}

/* Stereo F32 key frames made planar into g->key, four frames a step
 * through registers (exact conversions, as mst_planar_load's ORC kernel
 * gives them), checked on the way as row_sane checks each row: true when
 * every sample is sane. */
MST_VECTORISE_AVX2
static bool
load_stereo_key_f32 (MstDynamicsGain * g, const float *x, size_t n)
{
  const V4l abs_mask = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
  const V4d max_in = { MST_MAX_INPUT, MST_MAX_INPUT, MST_MAX_INPUT,
    MST_MAX_INPUT
  };
  double *l = g->key, *r = g->key + MST_DYNAMICS_BLOCK;
  V4l ok = { -1, -1, -1, -1 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V8f v;
    V4f half;
    memcpy (&v, x + 2 * i, sizeof v);
    v = __builtin_shufflevector (v, v, 0, 2, 4, 6, 1, 3, 5, 7);
    memcpy (&half, &v, sizeof half);
    const V4d a = __builtin_convertvector (half, V4d);
    memcpy (&half, (const char *) &v + sizeof half, sizeof half);
    const V4d b = __builtin_convertvector (half, V4d);
    ok &= (V4d) ((V4l) a & abs_mask) <= max_in;
    ok &= (V4d) ((V4l) b & abs_mask) <= max_in;
    memcpy (l + i, &a, sizeof a);
    memcpy (r + i, &b, sizeof b);
  }
  bool all = (ok[0] & ok[1] & ok[2] & ok[3]) != 0;
  for (; i < n; i++) {
    l[i] = x[2 * i];
    r[i] = x[2 * i + 1];
    all = all && fabs (l[i]) <= MST_MAX_INPUT && fabs (r[i]) <= MST_MAX_INPUT;
  }
  return all;
}

/* The key filters over the planar key at @key, cleaned into g->key first
 * (non-finite and absurd samples read as silence, so the filters' state
 * stays finite); returns g->key. */
static const double *
filter_key (MstDynamicsGain * g, const double *key, size_t key_stride,
    size_t n)
{
  const int kch = g->key_channels;
  if (g->key_prefiltered) {
    /* Filtered on the way in from the frames, checked there
     * (process_frames). */
    g->key_glide = false;
    mst_biquad_cascade_check_finite (&g->key_filter, kch);
    g->key_filtered = true;
    return g->key;
  }
  for (int c = 0; c < kch; c++) {
    /* A sane row (the common case, and always the audio's own, cleaned
     * before) is copied (or left, when it is already there), after one
     * vectorised check. */
    const double *row = key + c * key_stride;
    double *dst = g->key + (size_t) c * MST_DYNAMICS_BLOCK;
    if (dst == row && g->key_checked)
      continue;
    if (!row_sane (row, n))
      g->nonfinite += mst_input_clean (row, n, dst, MST_FORMAT_F64);
    else if (dst != row)
      memcpy (dst, row, n * sizeof (double));
  }
  /* Outside a glide at two multiply-adds of latency for four frames, within
   * rounding of the glide's runner (the split band of a processor keyed by
   * its own audio is this key). */
  if (g->key_glide)
    mst_biquad_cascade_run (&g->key_filter, g->channel_index, kch, g->key,
        MST_DYNAMICS_BLOCK, g->key_from, (int) n);
  else
    mst_biquad_cascade_run_fast (&g->key_filter, kch, g->key,
        MST_DYNAMICS_BLOCK, (int) n);
  g->key_glide = false;
  mst_biquad_cascade_check_finite (&g->key_filter, kch);
  g->key_filtered = true;
  return g->key;
}

/* Whether the static curve is 0 dB at every level (COMPRESS at ratio 1,
 * the slope 0: mbcomp's neutral bands) with no makeup, no key filter, and
 * every gain channel at rest: the ballistics then stay at 0 dB and the
 * gains at exactly 1, whatever the key, so the key need not be read. At
 * rest: gains of exactly 1 and the ballistics within REST_DB of 0 dB, where
 * the gain 10^(dB / 20) rounds to 1 (1 + 1.2e-16 at most): a release that
 * ends there (idle_block then sets it to 0 dB) instead of when its dB
 * underflow, which takes 711 time constants (107 s for 150 ms) against
 * some 37. */
#define REST_DB 1e-15
static bool
idle (const MstDynamicsGain * g, int n_gains)
{
  if (g->set.mode != MST_GAIN_COMPUTER_COMPRESS || g->set.ratio != 1.0
      || g->makeup_exp != 0.0 || g->key_filter.n_sections > 0)
    return false;
  for (int c = 0; c < n_gains; c++) {
    const Ballistics *b = &g->ch[c];
    if (!(fabs (b->hold_db) <= REST_DB && fabs (b->out_db) <= REST_DB
            && fabs (b->sustained_db) <= REST_DB)
        || b->gain_from != 1.0 || b->gain_to != 1.0)
      return false;
  }
  return true;
}

bool
mst_dynamics_gain_is_idle (const MstDynamicsGain * g)
{
  return g && idle (g, linked (g) ? 1 : g->out_channels);
}

/* An idle block of @n frames: gains of 1 (the rows written unless
 * @rows_optional), a reduction of 0 dB, the control period moved on. The
 * detector is not run: it restarts (reset) when the stage leaves idle,
 * its RMS window refilling then (stale_detector). */
static void
idle_block (MstDynamicsGain * g, size_t n, int n_gains, double *gain,
    size_t gain_stride, bool rows_optional)
{
  if (!g->processed)
    g->extreme_db = 0.0;
  g->processed = true;
  g->flat = true;
  g->flat_gain = 1.0;
  if (!rows_optional)
    for (int c = 0; c < n_gains; c++)
      for (size_t i = 0; i < n; i++)
        gain[c * gain_stride + i] = 1.0;
  g->period_pos = (g->period_pos + n) % g->control_frames;
  g->stale_detector = true;
  for (int c = 0; c < n_gains; c++)
    g->ch[c].hold_db = g->ch[c].out_db = g->ch[c].sustained_db = 0.0;
}

static void
process_planar (MstDynamicsGain * g, const double *key, size_t key_stride,
    size_t n, double *gain, size_t gain_stride, bool rows_optional)
{
  const int n_gains = linked (g) ? 1 : g->out_channels;
  g->key_filtered = false;
  if (idle (g, n_gains)) {
    idle_block (g, n, n_gains, gain, gain_stride, rows_optional);
    return;
  }
  if (g->stale_detector) {
    /* Back from idle: the detector's history is the key before it. */
    mst_level_detector_reset (g->det);
    memset (g->key_acc, 0, sizeof g->key_acc);
    g->stale_detector = false;
  }
  if (g->key_filter.n_sections > 0) {
    key = filter_key (g, key, key_stride, n);
    key_stride = MST_DYNAMICS_BLOCK;
  }
  if (g->control_frames == 1) {
    /* The level detector reads the key's non-finite samples as silence
     * and counts them. */
    gains_per_frame (g, key, key_stride, n, n_gains, gain, gain_stride);
    return;
  }
  size_t m = planar_period_keys (g, key, key_stride, n);
  gains_from_keys (g, n, m, n_gains, gain, gain_stride, rows_optional);
}

MST_ALWAYS_INLINE MstResult
process_body (MstDynamicsGain * g, const double *key, size_t key_stride,
    size_t n, double *gain, size_t gain_stride, bool *shared,
    bool rows_optional)
{
  if (!check_args (g, key, n, gain, gain_stride) || (n && key_stride < n))
    return MST_ERR_INVALID_ARG;
  if (shared)
    *shared = linked (g);
  if (n == 0)
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  process_planar (g, key, key_stride, n, gain, gain_stride, rows_optional);
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_dynamics_gain_process (MstDynamicsGain * g, const double *key,
    size_t key_stride, size_t n, double *gain, size_t gain_stride,
    bool *shared)
{
  return process_body (g, key, key_stride, n, gain, gain_stride, shared,
      false);
}

MstResult
mst_dynamics_gain_process_or_flat (MstDynamicsGain * g, const double *key,
    size_t key_stride, size_t n, double *gain, size_t gain_stride,
    bool *shared)
{
  return process_body (g, key, key_stride, n, gain, gain_stride, shared,
      true);
}

/* Whether process_frames takes the periods' keys from the frames: every
 * key sample read there, once. */
static bool
reads_frames (const MstDynamicsGain * g)
{
  return g->key_filter.n_sections == 0 && g->control_frames > 1
      && 4 % g->key_channels == 0;
}

/* The same from interleaved key frames: reduced where they are when the
 * key is not filtered and has a period, else made planar first. */
MST_ALWAYS_INLINE MstResult
process_frames (MstDynamicsGain * g, const void *key, size_t n,
    double *gain, size_t gain_stride, bool *shared, MstFormat fmt)
{
  /* Without rows (@gain NULL) the gains are left pending: only where the
   * frames are read in place. */
  if (gain ? !check_args (g, key, n, gain, gain_stride)
      : !mst_dynamics_gain_checks_frames (g) || n > MST_DYNAMICS_BLOCK
      || (n && !key))
    return MST_ERR_INVALID_ARG;
  g->pending_n = 0;
  if (shared)
    *shared = linked (g);
  if (n == 0)
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  if (reads_frames (g)) {
    g->key_filtered = false;
    size_t m = fmt == MST_FORMAT_F64 ? frame_period_keys_f64 (g, key, n)
        : frame_period_keys_f32 (g, key, n);
    gains_from_keys (g, n, m, linked (g) ? 1 : g->out_channels, gain,
        gain_stride, true);
  } else {
    /* A stereo F32 key outside a glide goes from the frames straight
     * through the key filters (the same output as made planar first),
     * checked on the way; where a sample is not sane, the usual way. */
    g->key_prefiltered = fmt == MST_FORMAT_F32 && g->key_channels == 2
        && g->key_filter.n_sections > 0 && !g->key_glide
        && mst_biquad_cascade_run_fast_stereo_f32 (&g->key_filter, key,
        g->key, g->key + MST_DYNAMICS_BLOCK, (int) n);
    if (g->key_prefiltered)
      g->key_checked = true;
    else if (fmt == MST_FORMAT_F32 && g->key_channels == 2)
      g->key_checked = load_stereo_key_f32 (g, key, n);
    else
      mst_planar_load (g->key, MST_DYNAMICS_BLOCK, key, g->key_channels,
          (int) n, fmt);
    process_planar (g, g->key, MST_DYNAMICS_BLOCK, n, gain, gain_stride,
        false);
    g->key_checked = false;
    g->key_prefiltered = false;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_dynamics_gain_process_frames_f32 (MstDynamicsGain * g, const float *key,
    size_t n, double *gain, size_t gain_stride, bool *shared)
{
  return process_frames (g, key, n, gain, gain_stride, shared,
      MST_FORMAT_F32);
}

MstResult
mst_dynamics_gain_process_frames_f64 (MstDynamicsGain * g,
    const double *key, size_t n, double *gain, size_t gain_stride,
    bool *shared)
{
  return process_frames (g, key, n, gain, gain_stride, shared,
      MST_FORMAT_F64);
}

bool
mst_dynamics_gain_checks_frames (const MstDynamicsGain * g)
{
  return g && g->rate_hz != 0.0 && reads_frames (g);
}

/* The pending gains applied, or (flat at 1) the frames copied: either way
 * the ramps move on by the pending frames. */
MST_ALWAYS_INLINE MstResult
apply_pending_body (MstDynamicsGain * g, const void *src, void *dst,
    size_t n, MstFormat fmt)
{
  if (!g || n != g->pending_n || (n && (!src || !dst)))
    return MST_ERR_INVALID_ARG;
  g->pending_n = 0;
  if (n == 0)
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  if (g->flat && g->flat_gain == 1.0) {
    if (dst != src)
      memmove (dst, src, n * (size_t) g->out_channels
          * (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float)));
  } else if (fmt == MST_FORMAT_F64) {
    apply_pending_f64 (g, src, dst, n);
  } else {
    apply_pending_f32 (g, src, dst, n);
  }
  g->period_pos = (g->period_pos + n) % g->control_frames;
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_dynamics_gain_apply_pending_f32 (MstDynamicsGain * g, const float *src,
    float *dst, size_t n)
{
  return apply_pending_body (g, src, dst, n, MST_FORMAT_F32);
}

MstResult
mst_dynamics_gain_apply_pending_f64 (MstDynamicsGain * g, const double *src,
    double *dst, size_t n)
{
  return apply_pending_body (g, src, dst, n, MST_FORMAT_F64);
}

bool
mst_dynamics_gain_is_flat (const MstDynamicsGain * g, double *value)
{
  if (!g || !g->flat)
    return false;
  if (value)
    *value = g->flat_gain;
  return true;
}

const double *
mst_dynamics_gain_get_filtered_key (const MstDynamicsGain * g)
{
  return g && g->key_filtered ? g->key : NULL;
}

double
mst_dynamics_gain_take_reduction_db (MstDynamicsGain * g)
{
  if (!g || !g->processed)
    return 0.0;
  double db = g->extreme_db;
  g->processed = false;
  return db == 0.0 ? 0.0 : db;
}

double
mst_dynamics_gain_get_current_db (const MstDynamicsGain * g)
{
  if (!g || g->out_channels == 0)
    return 0.0;
  double db = 0.0;
  for (int c = 0; c < g->out_channels; c++) {
    double gdb = g->direction * g->ch[c].out_db;
    db = fabs (gdb) > fabs (db) ? gdb : db;
  }
  return db == 0.0 ? 0.0 : db;
}

double
mst_dynamics_gain_get_makeup_db (const MstDynamicsGain * g)
{
  return g ? g->set.makeup_db + g->auto_makeup_db : 0.0;
}

uint64_t
mst_dynamics_gain_get_nonfinite_count (const MstDynamicsGain * g)
{
  return g ? g->nonfinite + mst_level_detector_get_nonfinite_count (g->det)
      + mst_gain_computer_get_nonfinite_count (g->gc) : 0;
}
