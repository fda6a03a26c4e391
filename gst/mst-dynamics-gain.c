/* mastering: the gain stage of the dynamics processors (see
 * mst-dynamics-gain.h). */
#include "mst-dynamics-gain.h"
#include "mst-biquad.h"
#include "mst-cpu.h"
#include "mst-filter.h"
#include "mst-fpu.h"
#include "mst-level-detector.h"
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
 * (on the loudest level of the K) when the time constants are long enough
 * that this does not show: K, a power of 2 up to MAX_CONTROL_FRAMES, is at
 * most 1/CONTROL_FRACTION of the shorter of attack and release, in frames.
 * The gain then ramps linearly over the next K frames to each new value
 * (a lag of K frames: 1.7 % of a 10 ms attack at 48 kHz, K = 8). */
#define MAX_CONTROL_FRAMES 32
/* The smallest linear level a period's peak starts from: -200 dB, the
 * floor of the detector's dB output. */
#define LEVEL_FLOOR 1e-10
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
  /* Control period K > 1: the loudest level of the period so far, and the
   * last two control gains (linear, makeup included): the frames of a
   * period ramp from the older to the newer. */
  double period_max;            /* linear */
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
  MstBiquad audio_from[MST_FILTER_MAX_SECTIONS];
  bool audio_glide;
  int channel_index[MST_MAX_CHANNELS];
  /* Ballistics coefficients per control step (exp (-K / (fs T))), hold in
   * control steps. */
  double a_attack, a_release, a_release_slow, a_sustained;
  size_t hold_frames;
  size_t control_frames;        /* K */
  double control_ramp[MAX_CONTROL_FRAMES];      /* (t + 1) / K */
  size_t period_pos;            /* frames into the control period */
  double control_db[MST_DYNAMICS_BLOCK];
  double makeup_exp;            /* (makeup + auto makeup) ln 10 / 20 */
  double gate_env_fall_db;      /* per frame */
  double direction;             /* gain dB = direction x acting value */
  double auto_makeup_db;
  Ballistics ch[MST_MAX_CHANNELS];
  double extreme_db;            /* since the last take, acting direction */
  bool processed;
  uint64_t nonfinite;
  /* Scratch (planar, BLOCK frames a channel): the cleaned, filtered key;
   * the levels, then the gains in dB. */
  double *key, *level;
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
  g->level = malloc (sizeof (double) * MST_DYNAMICS_BLOCK * max_channels);
  if (!g->det || !g->gc || !g->key || !g->level) {
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
  MstLevelDetectorSettings ds;
  mst_level_detector_settings_default (&ds);
  /* The detector reads the instantaneous level: the ballistics act on the
   * gain. */
  ds.mode = s->detector == MST_DYNAMICS_RMS ? MST_LEVEL_DETECTOR_RMS_WINDOW
      : MST_LEVEL_DETECTOR_PEAK;
  ds.attack_ms = ds.release_ms = 0.0;
  ds.window_ms = s->rms_window_ms;
  ds.link = g->key_channels != g->out_channels ? 1.0 : s->link;
  ds.link_mode = MST_LEVEL_DETECTOR_LINK_MAX;
  mst_level_detector_set (g->det, &ds);

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
     * may already be longer than the new length) ends here, its peak
     * dropped, and the gain stays where its ramp had brought it until the
     * next control value. */
    double done = g->control_frames > 0 ? (double) g->period_pos
        / (double) g->control_frames : 0.0;
    g->period_pos = 0;
    for (int c = 0; c < MST_MAX_CHANNELS; c++) {
      Ballistics *b = &g->ch[c];
      b->period_max = LEVEL_FLOOR;
      b->gain_from = b->gain_to = b->gain_from + done * (b->gain_to
          - b->gain_from);
    }
  }
  g->control_frames = k;
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

  MstBiquadCascade designed;
  design_key_filters (s, fs, &designed);
  bool same_shape = old && designed.n_sections == g->key_filter.n_sections;
  if (same_shape)
    memcpy (g->audio_from, g->audio_filter.coefs, sizeof g->audio_from);
  g->audio_glide = same_shape;
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
  g->audio_glide = false;
  memset (g->ch, 0, sizeof g->ch);
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    g->ch[c].period_max = LEVEL_FLOOR;
    g->ch[c].gain_from = g->ch[c].gain_to = exp (g->makeup_exp);
  }
  g->period_pos = 0;
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

/* Stage 1 and 2 of the ballistics over one gain channel's n static gains
 * (dB, in place, to the smoothed gain); returns the gain furthest from
 * 0 dB reached. */
static double
ballistics (MstDynamicsGain * g, Ballistics * b, double *gain_db, size_t n)
{
  const double dir = g->direction;
  const double a_att = g->a_attack, a_rel = g->a_release;
  const double a_slow = g->a_release_slow, a_sus = g->a_sustained;
  const bool auto_release = g->set.auto_release;
  const size_t hold = g->hold_frames;
  double y1 = b->hold_db, y2 = b->out_db, sus = b->sustained_db;
  size_t hold_left = b->hold_left;
  double extreme = 0.0;
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

/* The largest of @x[0 .. @n - 1] and @init. The levels are finite (the
 * detector reads non-finite input as silence), so the reduction may use
 * the vector max. */
__attribute__ ((optimize ("finite-math-only", "no-signed-zeros")))
MST_VECTORISE_AVX2
static double
period_peak (const double *x, size_t n, double init)
{
  double m = init;
  for (size_t i = 0; i < n; i++)
    m = x[i] > m ? x[i] : m;
  return m;
}

/* Curve and ballistics over @n control levels (dB, in place, to gains in
 * dB); the extreme reached goes to the stage's meter. */
static void
control_gains (MstDynamicsGain * g, Ballistics * b, double *db, size_t n)
{
  if (g->set.mode == MST_GAIN_COMPUTER_EXPAND && g->set.hysteresis_db > 0.0)
    hysteresis (b, db, n, g->set.threshold_db, g->set.hysteresis_db,
        g->gate_env_fall_db);
  mst_gain_computer_process (g->gc, db, db, n);
  double extreme = ballistics (g, b, db, n);
  if (!g->processed || fabs (extreme) > fabs (g->extreme_db))
    g->extreme_db = extreme;
  g->processed = true;
}

/* One gain channel over @n frames of its levels (dB, @row, overwritten),
 * gains to @out; returns where in its control period the next frame is.
 * K = 1: a gain a frame, from that frame's level. K > 1: the loudest level
 * of each period makes a control gain; the frames of the next period ramp
 * to it from the one before. */
static size_t
control_channel (MstDynamicsGain * g, Ballistics * b, double *row, size_t n,
    double *out)
{
  const size_t k = g->control_frames;
  if (k == 1) {
    control_gains (g, b, row, n);
    mst_vmath_exp (row, M_LN10 / 20.0, g->makeup_exp, out, n);
    b->gain_from = b->gain_to = out[n - 1];
    return 0;
  }
  /* The periods that end in this block, their loudest levels; a period
   * at a time, so the inner loops have no branch. */
  size_t pos = g->period_pos, m = 0;
  double period_max = b->period_max;
  for (size_t i = 0; i < n;) {
    size_t take = k - pos < n - i ? k - pos : n - i;
    period_max = period_peak (row + i, take, period_max);
    i += take;
    pos += take;
    if (pos == k) {
      g->control_db[m++] = period_max;
      period_max = LEVEL_FLOOR;
      pos = 0;
    }
  }
  b->period_max = period_max;
  mst_vmath_log (g->control_db, 20.0 / M_LN10, g->control_db, m);
  control_gains (g, b, g->control_db, m);
  mst_vmath_exp (g->control_db, M_LN10 / 20.0, g->makeup_exp, g->control_db,
      m);
  /* The frames, each period ramping from one control gain to the next. */
  pos = g->period_pos;
  double from = b->gain_from, to = b->gain_to;
  const double *ramp = g->control_ramp;
  size_t j = 0;
  for (size_t i = 0; i < n;) {
    size_t take = k - pos < n - i ? k - pos : n - i;
    const double span = to - from;
    for (size_t t = 0; t < take; t++)
      out[i + t] = from + ramp[pos + t] * span;
    i += take;
    pos += take;
    if (pos == k) {
      from = to;
      to = g->control_db[j++];
      pos = 0;
    }
  }
  b->gain_from = from;
  b->gain_to = to;
  return pos;
}

MstResult
mst_dynamics_gain_process (MstDynamicsGain * g, const double *key,
    size_t key_stride, size_t n, double *gain, size_t gain_stride,
    bool *shared)
{
  if (!g || g->rate_hz == 0.0 || n > MST_DYNAMICS_BLOCK
      || (n && (!key || !gain || key_stride < n || gain_stride < n)))
    return MST_ERR_INVALID_ARG;
  const int kch = g->key_channels, och = g->out_channels;
  const bool linked = kch != och || g->set.link == 1.0 || och == 1;
  const int n_gains = linked ? 1 : och;
  if (shared)
    *shared = linked;
  if (n == 0)
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  /* The key as it comes when unfiltered: the level detector reads its
   * non-finite samples as silence and counts them, and clamps huge ones.
   * Filtered: a copy, non-finite and absurd samples (mst-core.h) read as
   * silence first, so the filters' state stays finite. */
  const double *k = key;
  size_t k_stride = key_stride;
  if (g->key_filter.n_sections > 0) {
    for (int c = 0; c < kch; c++)
      g->nonfinite += mst_input_clean (key + c * key_stride, n,
          g->key + (size_t) c * MST_DYNAMICS_BLOCK, MST_FORMAT_F64);
    mst_biquad_cascade_run (&g->key_filter, g->channel_index, kch, g->key,
        MST_DYNAMICS_BLOCK, NULL, (int) n);
    mst_biquad_cascade_check_finite (&g->key_filter, kch);
    k = g->key;
    k_stride = MST_DYNAMICS_BLOCK;
  }
  /* With a control period the loudest level of each period is taken in the
   * linear domain, and only it goes to dB. */
  if (g->control_frames > 1)
    mst_level_detector_process_planar_lin (g->det, k, k_stride, n, g->level,
        MST_DYNAMICS_BLOCK, NULL);
  else
    mst_level_detector_process_planar (g->det, k, k_stride, n, g->level,
        MST_DYNAMICS_BLOCK, NULL);
  size_t period_pos = g->period_pos;
  for (int c = 0; c < n_gains; c++) {
    double *row = g->level + (size_t) c * MST_DYNAMICS_BLOCK;
    period_pos = control_channel (g, &g->ch[c], row, n,
        gain + c * gain_stride);
  }
  g->period_pos = period_pos;
  mst_fpu_leave (fpu);
  return MST_OK;
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
