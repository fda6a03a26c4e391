/* mastering: the multiband compressor core (see mst-mbcomp.h). */
#include "mst-mbcomp.h"
#include "mst-cpu.h"
#include "mst-crossover-linear.h"
#include "mst-delayline.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK MST_DYNAMICS_BLOCK
#define NB MST_MBCOMP_MAX_BANDS
/* The neutral path's warm-ups start the tree (or the all-pass) this many
 * frames back: where the rest of its response to older input, the L1 norm
 * of its impulse response's tail, is under this fraction of the input's
 * peak (float's 2^-24 is 6e-8). */
#define SETTLE_TOLERANCE 1e-8
/* The response past this many time constants of the slowest poles, where
 * the tail measurement stops: (1 + x + x^2 / 2) e^-x, the envelope of a
 * double pole pair, is 3e-15 at 40. */
#define SETTLE_MEASURE_TIME_CONSTANTS 40.0

typedef struct {
  MstDynamicsGain *gain;
  /* Per channel: the band delayed by the lookahead (mono, F64). */
  MstDelayLine *delay[MST_MAX_CHANNELS];
  /* Glides in [0, 1]: the band's weight in the sum (solo, mute) and how
   * much of its gain is applied (0: bypassed, gain exactly 1). */
  double weight, active;
} Band;

struct MstMbcomp {
  MstMbcompSettings set;
  int max_channels;
  double rate_hz;
  int channels, left, right;
  MstMbcompPhase phase;
  size_t lookahead, latency;
  int64_t processed;            /* frames in since the last reset */
  MstFormat fmt;
  MstCrossover *xo;
  MstCrossoverLinear *xl;
  /* The input delayed by the latency, in the stream's format (bypass). */
  MstDelayLine *dry;
  Band bands[NB];
  /* Glides: bypass (mix 0) and the declick of a band-count change in the
   * LR tree (the wet path faded out while the tree is rebuilt). */
  double mix, rebuild, fade_step;
  /* Frames the wet path stays out after the LR tree was rebuilt: the
   * lookahead, while the bands' delay lines fill again. */
  size_t rebuild_hold;
  /* Per band, the deepest reduction the gain stages had when a reset
   * (drain, flush) cleared them, still to be taken. */
  double reduction_db[NB];
  int xo_bands;                 /* band count the splitter runs */
  uint64_t nonfinite;
  /* The neutral path (neutral_ok): the bands' sum as the splits'
   * all-pass, the tree idle. The input's last history_cap frames
   * (interleaved, in history_fmt: the stream's, copied as they come and
   * made planar only by a warm-up; a ring written at history_pos, room
   * for doubles), kept in minimum phase, from which the tree or the
   * all-pass is warmed when the path changes. */
  bool neutral_allowed, neutral;
  /* Splitter settings came while on the neutral path: given to it when
   * the path ends, the tree first warmed with the ones before. */
  bool splitter_stale;
  MstCrossoverSettings xo_applied;      /* what the LR tree was given */
  void *history;
  MstFormat history_fmt;
  size_t history_cap, history_pos;
  /* Frames through the wet path since the tree and the bands' delay lines
   * were reset (at most history_cap). */
  size_t since_reset;
  /* Frames since a split last glided (at most history_cap): a glide's
   * bands do not sum to the all-pass exactly (mst-crossover.h), and what
   * they leave in the tree decays over the settle time. */
  size_t since_glide;
  /* After this many time constants of a split's poles the tail of the
   * tree's impulse response is under SETTLE_TOLERANCE (measured at
   * configure). */
  double settle_time_constants;
  uint64_t neutral_entries;
  /* Scratch: band signals (NB x channels x BLOCK), gains (channels x
   * BLOCK), the sum and the dry path (channels x BLOCK, planar), ramps,
   * a cleaned input block and zeros (interleaved, BLOCK frames). */
  double *band_buf, *gains, *sum, *dry_planar, *ramp_a, *ramp_b, *factor;
  void *clean, *dry_frames, *zeros;
};

void
mst_mbcomp_settings_default (MstMbcompSettings * s)
{
  static const double crossover_hz[NB] =
      { 120.0, 1000.0, 5000.0, 10000.0, 16000.0, 20000.0 };
  memset (s, 0, sizeof *s);
  s->n_bands = 4;
  s->mode = MST_MBCOMP_LEFT_RIGHT;
  s->detector = MST_DYNAMICS_RMS;
  s->rms_window_ms = 10.0;
  s->link = 1.0;
  s->bypass = false;
  for (int b = 0; b < NB; b++) {
    MstMbcompBandSettings *band = &s->bands[b];
    band->crossover_hz = crossover_hz[b];
    band->threshold_db = -20.0;
    band->ratio = 1.0;
    band->knee_db = 6.0;
    band->makeup_db = 0.0;
    band->attack_ms = 10.0;
    band->release_ms = 150.0;
  }
}

bool
mst_mbcomp_settings_preset (MstMbcompSettings * s, const char *name)
{
  /* Per band, low to high: the lows slower (a bass period is long), the
   * highs faster. */
  static const struct {
    const char *name;
    double threshold_db[4], ratio[4], knee_db, attack_ms[4], release_ms[4];
  } presets[] = {
    {"gentle", {-24, -24, -24, -24}, {2.0, 1.5, 1.5, 1.5}, 10.0,
        {30, 20, 10, 5}, {300, 250, 200, 150}},
    {"glue", {-18, -18, -18, -18}, {3.0, 2.0, 2.0, 2.0}, 6.0,
        {20, 10, 5, 3}, {200, 150, 100, 80}},
  };
  if (!s || !name)
    return false;
  if (strcmp (name, "none") == 0) {
    mst_mbcomp_settings_default (s);
    return true;
  }
  for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++) {
    if (strcmp (name, presets[p].name) != 0)
      continue;
    mst_mbcomp_settings_default (s);
    s->n_bands = 4;
    for (int b = 0; b < 4; b++) {
      s->bands[b].threshold_db = presets[p].threshold_db[b];
      s->bands[b].ratio = presets[p].ratio[b];
      s->bands[b].knee_db = presets[p].knee_db;
      s->bands[b].attack_ms = presets[p].attack_ms[b];
      s->bands[b].release_ms = presets[p].release_ms[b];
    }
    return true;
  }
  return false;
}

/* The gain stage's settings of band @b. */
static void
band_dynamics (const MstMbcompSettings * s, int b, MstDynamicsSettings * d)
{
  const MstMbcompBandSettings *band = &s->bands[b];
  mst_dynamics_settings_default (d);
  d->mode = MST_GAIN_COMPUTER_COMPRESS;
  d->threshold_db = band->threshold_db;
  d->ratio = band->ratio;
  d->knee_db = band->knee_db;
  d->makeup_db = band->makeup_db;
  d->attack_ms = band->attack_ms;
  d->release_ms = band->release_ms;
  d->detector = s->detector;
  d->rms_window_ms = s->rms_window_ms;
  d->link = s->mode == MST_MBCOMP_MID_SIDE ? 0.0 : s->link;
}

bool
mst_mbcomp_settings_valid (const MstMbcompSettings * s)
{
  if (!s || s->n_bands < 1 || s->n_bands > NB
      || (unsigned) s->mode > MST_MBCOMP_MID_SIDE
      || !(s->link >= 0.0 && s->link <= 1.0))
    return false;
  for (int b = 0; b < s->n_bands - 1; b++) {
    double f = s->bands[b].crossover_hz;
    if (!(f >= MST_MBCOMP_MIN_CROSSOVER_HZ && f <= MST_MBCOMP_MAX_CROSSOVER_HZ)
        || (b > 0 && !(f > s->bands[b - 1].crossover_hz)))
      return false;
  }
  for (int b = 0; b < NB; b++) {
    MstDynamicsSettings d;
    band_dynamics (s, b, &d);
    if (!mst_dynamics_settings_valid (&d))
      return false;
  }
  return true;
}

static void
free_delays (MstMbcomp * m)
{
  for (int b = 0; b < NB; b++)
    for (int c = 0; c < MST_MAX_CHANNELS; c++)
      mst_delayline_destroy (&m->bands[b].delay[c]);
  mst_delayline_destroy (&m->dry);
  free (m->history);
  m->history = NULL;
  m->history_cap = 0;
}

MstMbcomp *
mst_mbcomp_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstMbcomp *m = calloc (1, sizeof *m);
  if (!m)
    return NULL;
  m->max_channels = max_channels;
  const size_t block = sizeof (double) * BLOCK * max_channels;
  bool ok = (m->xo = mst_crossover_init (max_channels)) != NULL;
  for (int b = 0; b < NB; b++)
    ok = ok && (m->bands[b].gain = mst_dynamics_gain_init (max_channels));
  ok = ok && (m->band_buf = malloc (block * NB))
      && (m->gains = malloc (block)) && (m->sum = malloc (block))
      && (m->dry_planar = malloc (block))
      && (m->ramp_a = malloc (sizeof (double) * BLOCK))
      && (m->ramp_b = malloc (sizeof (double) * BLOCK))
      && (m->factor = malloc (sizeof (double) * BLOCK))
      && (m->clean = malloc (block)) && (m->dry_frames = malloc (block))
      && (m->zeros = calloc (1, block));
  if (!ok) {
    mst_mbcomp_destroy (&m);
    return NULL;
  }
  mst_mbcomp_settings_default (&m->set);
  m->neutral_allowed = true;
  return m;
}

void
mst_mbcomp_destroy (MstMbcomp ** pm)
{
  if (!pm || !*pm)
    return;
  MstMbcomp *m = *pm;
  free_delays (m);
  mst_crossover_destroy (&m->xo);
  mst_crossover_linear_destroy (&m->xl);
  for (int b = 0; b < NB; b++)
    mst_dynamics_gain_destroy (&m->bands[b].gain);
  free (m->band_buf);
  free (m->gains);
  free (m->sum);
  free (m->dry_planar);
  free (m->ramp_a);
  free (m->ramp_b);
  free (m->factor);
  free (m->clean);
  free (m->dry_frames);
  free (m->zeros);
  free (m);
  *pm = NULL;
}

/* The splitter's settings for @n bands (at least 2: one band runs a
 * 2-band split summed back, so it keeps its delay). */
static void
splitter_settings (const MstMbcompSettings * s, int n,
    MstCrossoverSettings * xs)
{
  mst_crossover_settings_default (xs);
  xs->n_bands = n < 2 ? 2 : n;
  xs->slope_db_per_oct = 24;
  for (int j = 0; j < xs->n_bands - 1; j++)
    xs->freq_hz[j] = s->bands[j].crossover_hz;
  /* One band: its unused edge may be anywhere; keep the split valid. */
  if (n < 2)
    xs->freq_hz[0] = fmin (fmax (xs->freq_hz[0], MST_MBCOMP_MIN_CROSSOVER_HZ),
        MST_MBCOMP_MAX_CROSSOVER_HZ);
}

static bool
any_solo (const MstMbcompSettings * s)
{
  for (int b = 0; b < s->n_bands; b++)
    if (s->bands[b].solo)
      return true;
  return false;
}

static double
target_weight (const MstMbcompSettings * s, int b, bool soloing)
{
  const MstMbcompBandSettings *band = &s->bands[b];
  return band->mute || (soloing && !band->solo) ? 0.0 : 1.0;
}

/* The decay per frame (-ln of the radius) of the poles of an LR4 split at
 * @freq_hz: the Butterworth pair s = w (-1 +- j) / sqrt 2 at the
 * prewarped w, through the bilinear transform (mst-filter.c's design):
 * z = (1 + s T / 2) / (1 - s T / 2), T = 1 / rate. */
static double
pole_decay (double freq_hz, double rate_hz)
{
  /* s T / 2 = a (-1 +- j), a = w T / 2 / sqrt 2 = tan (pi f T) / sqrt 2. */
  const double a = tan (M_PI * freq_hz / rate_hz) / M_SQRT2;
  return -0.5 * log (((1 - a) * (1 - a) + a * a)
      / ((1 + a) * (1 + a) + a * a));
}

/* The settle time of the LR tree in time constants of its slowest split's
 * poles, at @rate_hz: the impulse run through a two-band LR4 split at the
 * lowest allowed frequency (the crossover's own sections), the L1 norm of
 * both bands' tails from each frame on; the first frame where it is under
 * SETTLE_TOLERANCE. A lower band (low side squared) and an upper one (high
 * side squared) have the split's poles twice, the slowest part of every
 * band of the tree (the all-passes of the splits above are faster; the
 * all-pass alone has them once). Some 22.4 time constants, the time
 * constants scaling with the split's frequency. */
static MstResult
measure_settle (MstMbcomp * m, double rate_hz, double *time_constants)
{
  MstCrossover *xo = mst_crossover_init (1);
  if (!xo)
    return MST_ERR_NOMEM;
  MstCrossoverSettings xs;
  mst_crossover_settings_default (&xs);
  xs.n_bands = 2;
  xs.slope_db_per_oct = 24;
  xs.freq_hz[0] = MST_MBCOMP_MIN_CROSSOVER_HZ;
  const double decay = pole_decay (xs.freq_hz[0], rate_hz);
  const size_t len = (size_t) ceil (SETTLE_MEASURE_TIME_CONSTANTS / decay);
  double *bands[2] = { m->band_buf, m->band_buf + BLOCK };
  double total = 0.0, sum = 0.0;
  size_t settle = len;
  if (mst_crossover_configure (xo, rate_hz, 1) != MST_OK
      || mst_crossover_set (xo, &xs) != MST_OK) {
    mst_crossover_destroy (&xo);
    return MST_ERR_INVALID_ARG;
  }
  /* Pass 0 sums the whole response, pass 1 finds where its tail (the
   * total less the frames before) falls under the tolerance. */
  for (int pass = 0; pass < 2; pass++) {
    mst_crossover_reset (xo);
    for (size_t done = 0; done < len;) {
      const size_t k = len - done < BLOCK ? len - done : BLOCK;
      memset (m->sum, 0, sizeof (double) * k);
      m->sum[0] = done == 0 ? 1.0 : 0.0;
      mst_crossover_process (xo, m->sum, bands, BLOCK, k);
      for (size_t i = 0; i < k; i++) {
        const double a = fabs (bands[0][i]) + fabs (bands[1][i]);
        if (pass == 1 && settle == len && total - sum <= SETTLE_TOLERANCE)
          settle = done + i;
        sum += a;
      }
      done += k;
    }
    if (pass == 0)
      total = sum;
    sum = 0.0;
  }
  mst_crossover_destroy (&xo);
  *time_constants = (double) settle * decay;
  return MST_OK;
}

MstResult
mst_mbcomp_configure (MstMbcomp * m, double rate_hz, int channels, int left,
    int right, MstMbcompPhase phase, double lookahead_ms)
{
  if (!m || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > m->max_channels
      || left >= channels || right >= channels
      || (unsigned) phase > MST_MBCOMP_LINEAR_PHASE
      || !(lookahead_ms >= 0.0 && lookahead_ms <= MST_MBCOMP_MAX_LOOKAHEAD_MS))
    return MST_ERR_INVALID_ARG;
  MstResult r = mst_crossover_configure (m->xo, rate_hz, channels);
  if (r != MST_OK)
    return r;
  /* Each band's gain stage reads its key at the control rate its time
   * constants allow (mst-dynamics-gain.c: the period's peak or RMS in one
   * pass, the curve and the ballistics once a period). */
  for (int b = 0; b < NB && r == MST_OK; b++)
    r = mst_dynamics_gain_configure (m->bands[b].gain, rate_hz, channels,
        channels);
  if (r != MST_OK)
    return r;
  size_t split_latency = 0;
  if (phase == MST_MBCOMP_LINEAR_PHASE) {
    if (!m->xl && !(m->xl = mst_crossover_linear_init (m->max_channels)))
      return MST_ERR_NOMEM;
    r = mst_crossover_linear_configure (m->xl, rate_hz, channels);
    if (r == MST_OK)
      r = mst_crossover_linear_get_latency (m->xl, &split_latency);
    if (r != MST_OK)
      return r;
  } else {
    mst_crossover_linear_destroy (&m->xl);
  }
  m->lookahead = (size_t) llround (lookahead_ms * 1e-3 * rate_hz);
  m->latency = m->lookahead + split_latency;
  free_delays (m);
  m->dry = mst_delayline_init (channels, m->latency + BLOCK);
  if (!m->dry)
    return MST_ERR_NOMEM;
  mst_delayline_configure (m->dry, channels);
  if (m->lookahead > 0)
    for (int b = 0; b < NB; b++)
      for (int c = 0; c < channels; c++) {
        MstDelayLine *dl = mst_delayline_init (1, m->lookahead + BLOCK);
        if (!dl) {
          free_delays (m);
          return MST_ERR_NOMEM;
        }
        mst_delayline_configure (dl, 1);
        mst_delayline_set_format (dl, MST_FORMAT_F64);
        m->bands[b].delay[c] = dl;
      }
  if (phase == MST_MBCOMP_MINIMUM_PHASE) {
    r = measure_settle (m, rate_hz, &m->settle_time_constants);
    if (r != MST_OK)
      return r;
    /* The longest warm-up: the lowest split the settings allow, and the
     * lookahead the bands' delay lines hold. */
    m->history_cap = (size_t) ceil (m->settle_time_constants
        / pole_decay (MST_MBCOMP_MIN_CROSSOVER_HZ, rate_hz)) + m->lookahead;
    m->history = malloc (sizeof (double) * m->history_cap * channels);
    if (!m->history) {
      free_delays (m);
      return MST_ERR_NOMEM;
    }
  }
  m->rate_hz = rate_hz;
  m->channels = channels;
  m->left = left >= 0 && right >= 0 && left != right ? left : -1;
  m->right = m->left >= 0 ? right : -1;
  m->phase = phase;
  m->fade_step = mst_smoother_fade_step (rate_hz, MST_MBCOMP_FADE_MS);
  m->nonfinite = 0;
  m->fmt = MST_FORMAT_F32;
  mst_delayline_set_format (m->dry, m->fmt);
  m->history_fmt = m->fmt;
  m->xo_bands = 0;              /* the splitter takes the settings anew */
  m->neutral = false;
  MstMbcompSettings s = m->set;
  mst_mbcomp_set (m, &s);
  mst_mbcomp_reset (m);
  return MST_OK;
}

/* Gives the splitter in use the current settings (band count included). */
static void
splitter_apply (MstMbcomp * m)
{
  MstCrossoverSettings xs;
  splitter_settings (&m->set, m->set.n_bands, &xs);
  if (m->phase == MST_MBCOMP_LINEAR_PHASE)
    mst_crossover_linear_set (m->xl, &xs);
  else
    mst_crossover_set (m->xo, &xs);
  m->xo_applied = xs;
  m->xo_bands = m->set.n_bands;
}

/* Band @b's delay lines as a reset leaves them: the lookahead's silence. */
static void
delay_restart (MstMbcomp * m, int b)
{
  for (int c = 0; c < m->channels; c++)
    if (m->bands[b].delay[c]) {
      mst_delayline_reset (m->bands[b].delay[c]);
      mst_delayline_push (m->bands[b].delay[c], NULL, m->lookahead);
    }
}

/* Band @b starts afresh: gain stage and delay lines. */
static void
band_restart (MstMbcomp * m, int b)
{
  mst_dynamics_gain_reset (m->bands[b].gain);
  delay_restart (m, b);
}

static void splitter_update (MstMbcomp * m);

/* Whether the settings' split differs from the one the LR tree runs. */
static bool
splitter_changed (const MstMbcomp * m)
{
  MstCrossoverSettings xs;
  if (m->set.n_bands != m->xo_bands)
    return true;
  splitter_settings (&m->set, m->xo_bands, &xs);
  for (int j = 0; j < xs.n_bands - 1; j++)
    if (xs.freq_hz[j] != m->xo_applied.freq_hz[j])
      return true;
  return xs.n_bands != m->xo_applied.n_bands;
}

MstResult
mst_mbcomp_set (MstMbcomp * m, const MstMbcompSettings * s)
{
  if (!m || !mst_mbcomp_settings_valid (s))
    return MST_ERR_INVALID_ARG;
  for (int b = 0; b < NB; b++) {
    MstDynamicsSettings d;
    band_dynamics (s, b, &d);
    mst_dynamics_gain_set (m->bands[b].gain, &d);
  }
  m->set = *s;
  if (m->rate_hz == 0.0)
    return MST_OK;
  if (m->neutral) {
    /* The tree is warmed with the splits it ran before it takes new ones
     * (leave_neutral). */
    m->splitter_stale |= splitter_changed (m);
    return MST_OK;
  }
  splitter_update (m);
  return MST_OK;
}

/* The splitters take the settings' split (process applies a new band
 * count of the LR tree later). */
static void
splitter_update (MstMbcomp * m)
{
  const MstMbcompSettings *s = &m->set;
  /* A new band count in the LR tree waits for the wet path to fade out
   * (process); everything else the splitters glide to at once. */
  if (m->phase == MST_MBCOMP_MINIMUM_PHASE && m->xo_bands != 0
      && s->n_bands != m->xo_bands) {
    MstCrossoverSettings xs;
    splitter_settings (s, m->xo_bands, &xs);
    mst_crossover_set (m->xo, &xs);
    m->xo_applied = xs;
  } else {
    /* Bands the linear splitter adds start afresh (the splitter
     * crossfades to them). */
    const int old = m->xo_bands;
    splitter_apply (m);
    for (int b = old; b < m->xo_bands && old > 0; b++)
      band_restart (m, b);
  }
}

void
mst_mbcomp_reset (MstMbcomp * m)
{
  if (!m || m->rate_hz == 0.0)
    return;
  splitter_apply (m);
  mst_crossover_reset (m->xo);
  if (m->xl)
    mst_crossover_linear_reset (m->xl);
  const bool soloing = any_solo (&m->set);
  for (int b = 0; b < NB; b++) {
    Band *band = &m->bands[b];
    m->reduction_db[b] = fmin (m->reduction_db[b],
        mst_dynamics_gain_take_reduction_db (band->gain));
    band_restart (m, b);
    band->weight = target_weight (&m->set, b, soloing);
    band->active = m->set.bands[b].bypass ? 0.0 : 1.0;
  }
  mst_delayline_reset (m->dry);
  mst_delayline_push (m->dry, NULL, m->latency);
  m->mix = m->set.bypass ? 0.0 : 1.0;
  m->rebuild = 1.0;
  m->rebuild_hold = 0;
  m->processed = 0;
  m->neutral = false;
  m->splitter_stale = false;
  m->since_reset = 0;
  m->since_glide = m->history_cap;
  m->history_pos = 0;
}

size_t
mst_mbcomp_get_latency (const MstMbcomp * m)
{
  return m ? m->latency : 0;
}

size_t
mst_mbcomp_get_pending (const MstMbcomp * m)
{
  if (!m)
    return 0;
  return (size_t) (m->processed < (int64_t) m->latency ? m->processed
      : (int64_t) m->latency);
}

/* sum (+)= factor x band over n frames: the element-wise multiply-adds,
 * vectorised by the compiler. */
MST_VECTORISE_AVX2 static void
accumulate (double *sum, const double *band, const double *factor, size_t n,
    bool first)
{
  if (first)
    for (size_t i = 0; i < n; i++)
      sum[i] = factor[i] * band[i];
  else
    for (size_t i = 0; i < n; i++)
      sum[i] += factor[i] * band[i];
}

MST_VECTORISE_AVX2 static void
add (double *sum, const double *band, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sum[i] += band[i];
}

/* factor = weight x (1 + active (gain - 1)): the gain applied as far as
 * the band is active, the band weighted in the sum. */
MST_VECTORISE_AVX2 static void
band_factor (double *factor, const double *gain, const double *weight,
    const double *active, size_t n)
{
  for (size_t i = 0; i < n; i++)
    factor[i] = weight[i] * (1.0 + active[i] * (gain[i] - 1.0));
}

static inline double *
band_row (MstMbcomp * m, int b, int c)
{
  return m->band_buf + ((size_t) b * m->max_channels + c) * BLOCK;
}

/* The bands of n planar frames (in m->sum) into band_row (b, 0). */
static void
split (MstMbcomp * m, size_t n)
{
  double *rows[NB];
  for (int b = 0; b < NB; b++)
    rows[b] = band_row (m, b, 0);
  if (m->phase == MST_MBCOMP_LINEAR_PHASE) {
    mst_crossover_linear_process (m->xl, m->sum, rows, BLOCK, n);
  } else if (m->xo_bands == 1) {
    for (int c = 0; c < m->channels; c++)
      memcpy (band_row (m, 0, c), m->sum + (size_t) c * BLOCK,
          n * sizeof (double));
    return;
  } else {
    mst_crossover_process (m->xo, m->sum, rows, BLOCK, n);
  }
  if (m->xo_bands == 1)
    for (int c = 0; c < m->channels; c++) {
      double *low = band_row (m, 0, c);
      const double *high = band_row (m, 1, c);
      for (size_t i = 0; i < n; i++)
        low[i] += high[i];
    }
}

/* The gains of @n frames of the band at @rows (planar) into m->gains (row
 * 0 alone when the return is true: one gain for every channel), from the
 * band's gain stage; *@unity when they are all exactly 1 (a neutral band,
 * or one under its knee at rest), the rows then unwritten unless
 * @rows_needed. */
static bool
band_gains (MstMbcomp * m, Band * band, const double *rows, size_t n,
    bool rows_needed, bool *unity)
{
  bool shared = false;
  double flat = 0.0;
  mst_dynamics_gain_process_or_flat (band->gain, rows, BLOCK, n, m->gains,
      BLOCK, &shared);
  *unity = false;
  if (mst_dynamics_gain_is_flat (band->gain, &flat)) {
    *unity = flat == 1.0;
    if (!*unity || rows_needed)
      for (size_t i = 0; i < n; i++)
        m->gains[i] = flat;
    shared = true;
  }
  return shared;
}

/* Whether the LR tree waits for the wet path to fade out before it takes
 * a new band count. */
static bool
rebuild_pending (const MstMbcomp * m)
{
  return (m->phase == MST_MBCOMP_MINIMUM_PHASE
      && m->xo_bands != m->set.n_bands) || m->rebuild_hold > 0;
}

/* The bands of the n planar frames in m->sum, compressed and summed back
 * into m->sum. */
static void
compress_bands (MstMbcomp * m, size_t n)
{
  const int ch = m->channels;
  const bool ms = m->set.mode == MST_MBCOMP_MID_SIDE && m->left >= 0;
  const bool soloing = any_solo (&m->set);
  split (m, n);
  for (int b = 0; b < m->xo_bands; b++) {
    Band *band = &m->bands[b];
    if (ms)
      mst_planar_mid_side (band_row (m, b, m->left), band_row (m, b,
              m->right), true, (int) n);
    const double weight = target_weight (&m->set, b, soloing);
    const double active = m->set.bands[b].bypass ? 0.0 : 1.0;
    const bool steady = band->weight == weight && band->active == active;
    bool unity = false;
    bool shared = band_gains (m, band, band_row (m, b, 0), n, !steady,
        &unity);
    /* Lookahead: the gain the key gives now meets the band it answers a
     * lookahead later. */
    if (m->lookahead > 0)
      for (int c = 0; c < ch; c++) {
        mst_delayline_push (band->delay[c], band_row (m, b, c), n);
        mst_delayline_pull (band->delay[c], band_row (m, b, c), n);
      }
    if (steady) {
      /* Steady, the common case: the gain as it is (active), 1 (bypassed,
       * or gains of exactly 1: the band itself, as the products give it),
       * or the band left out (weight 0). */
      for (int c = 0; c < ch && weight != 0.0; c++) {
        double *sum = m->sum + (size_t) c * BLOCK;
        const double *x = band_row (m, b, c);
        if ((active == 0.0 || unity) && b == 0)
          memcpy (sum, x, n * sizeof (double));
        else if (active == 0.0 || unity)
          add (sum, x, n);
        else
          accumulate (sum, x, m->gains + (shared ? 0 : (size_t) c * BLOCK),
              n, b == 0);
      }
      if (weight == 0.0 && b == 0)
        for (int c = 0; c < ch; c++)
          memset (m->sum + (size_t) c * BLOCK, 0, n * sizeof (double));
      continue;
    }
    band->weight = mst_smoother_fade_fill (m->ramp_a, band->weight, weight,
        m->fade_step, (int) n);
    band->active = mst_smoother_fade_fill (m->ramp_b, band->active, active,
        m->fade_step, (int) n);
    for (int c = 0; c < ch; c++) {
      if (c == 0 || !shared)
        band_factor (m->factor, m->gains + (shared ? 0 : (size_t) c * BLOCK),
            m->ramp_a, m->ramp_b, n);
      accumulate (m->sum + (size_t) c * BLOCK, band_row (m, b, c), m->factor,
          n, b == 0);
    }
  }
  if (ms)
    mst_planar_mid_side (m->sum + (size_t) m->left * BLOCK,
        m->sum + (size_t) m->right * BLOCK, false, (int) n);
}

/* The neutral path.
 *
 * When every band's gain stage is idle (gains exactly 1: ratio 1, no
 * makeup, at rest), every band weighs 1 (no solo, no mute, no fade) and
 * the LR tree is steady (no split gliding, no band count waiting), the
 * output is the sum of the bands, which is the splits' all-pass
 * (mst-crossover.h): three sections a channel for four bands instead of
 * the tree's 15. The mid/side transform is linear and left out (the sum
 * decoded is the sum). The gain stages still take their idle blocks (the
 * control period moves on, the reduction reads 0), so they are where the
 * tree's run would have them.
 *
 * The trade-off. The tree's history is not kept while the all-pass runs;
 * a change that needs the bands (a ratio, makeup, solo, mute, a split
 * moving, the band count) restarts it from the input's last frames: the
 * tree reset and run over them with the settings before (the gains 1, the
 * output discarded, only the band signals into the lookahead's delay
 * lines), then the new settings. From far enough back (the settle time of
 * the lowest split, some 22 time constants of its poles, plus the
 * lookahead: 42 ms for 120 Hz, 252 ms at most for 20 Hz) the
 * tree's state is the one it would have had within SETTLE_TOLERANCE of
 * the input's peak, so nothing clicks; the cost is that run once per
 * change (about as long as running the tree over those frames) and a
 * ring of that many input frames written every block. Entering the path
 * likewise warms the all-pass from the same history, once the splits have
 * been still that long (a glide leaves the tree a little off the
 * all-pass, which decays as fast). Band detectors need
 * nothing: an idle stage's detector restarts when it acts again, on
 * either path. */

/* The settle time of the lowest split (none with one band) and the
 * lookahead, in frames. */
static size_t
settle_frames (const MstMbcomp * m)
{
  size_t w = m->lookahead;
  if (m->xo_bands > 1)
    w += (size_t) ceil (m->settle_time_constants
        / pole_decay (m->xo_applied.freq_hz[0], m->rate_hz));
  return w;
}

/* How many of the last input frames a warm-up runs over: the settle time,
 * or what came since the reset. */
static size_t
warm_frames (const MstMbcomp * m)
{
  size_t w = settle_frames (m);
  return w < m->since_reset ? w : m->since_reset;
}

static bool
neutral_ok (const MstMbcomp * m)
{
  if (!m->history || !m->neutral_allowed || m->splitter_stale
      || rebuild_pending (m) || m->rebuild != 1.0
      || mst_crossover_is_gliding (m->xo)
      || (!m->neutral && m->since_glide < settle_frames (m)))
    return false;
  const bool soloing = any_solo (&m->set);
  for (int b = 0; b < m->xo_bands; b++)
    if (m->bands[b].weight != 1.0 || target_weight (&m->set, b, soloing)
        != 1.0 || !mst_dynamics_gain_is_idle (m->bands[b].gain))
      return false;
  return true;
}

static size_t
frame_bytes (const MstMbcomp * m, MstFormat fmt)
{
  return (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float))
      * m->channels;
}

/* @n frames into m->sum (planar F64), from the one @back frames before the
 * ring's end on. */
static void
history_read (MstMbcomp * m, size_t back, size_t n)
{
  const size_t cap = m->history_cap, frame = frame_bytes (m, m->history_fmt);
  size_t at = (m->history_pos + cap - back) % cap;
  size_t first = cap - at < n ? cap - at : n;
  mst_planar_load (m->sum, BLOCK, (const char *) m->history + at * frame,
      m->channels, (int) first, m->history_fmt);
  mst_planar_load (m->sum + first, BLOCK, m->history, m->channels,
      (int) (n - first), m->history_fmt);
}

/* The n interleaved input frames @in at the ring's end. */
static void
history_write (MstMbcomp * m, const void *in, size_t n)
{
  const size_t cap = m->history_cap, frame = frame_bytes (m, m->history_fmt);
  size_t first = cap - m->history_pos < n ? cap - m->history_pos : n;
  memcpy ((char *) m->history + m->history_pos * frame, in, first * frame);
  memcpy (m->history, (const char *) in + first * frame, (n - first) * frame);
  m->history_pos = (m->history_pos + n) % cap;
}

/* The ring's frames converted to @fmt (a stream that switches format
 * without a reset: a warm-up then reads the old frames in the new one). */
static void
history_set_format (MstMbcomp * m, MstFormat fmt)
{
  typedef float __attribute__ ((may_alias)) any_float;
  typedef double __attribute__ ((may_alias)) any_double;
  any_float *f = m->history;
  any_double *d = m->history;
  const size_t count = m->history_cap * m->channels;
  if (!m->history || m->history_fmt == fmt)
    return;
  /* In place: widening from the end, narrowing from the start, so that no
   * sample is overwritten before it is read. */
  if (fmt == MST_FORMAT_F64)
    for (size_t i = count; i-- > 0;)
      d[i] = f[i];
  else
    for (size_t i = 0; i < count; i++)
      f[i] = (float) d[i];
  m->history_fmt = fmt;
}

/* Rows [0, channels) of m->sum (or band b's rows) through band b's delay
 * lines. */
static void
delay_rows (MstMbcomp * m, int b, double *rows, size_t n)
{
  for (int c = 0; c < m->channels; c++) {
    double *row = rows + (size_t) c * BLOCK;
    mst_delayline_push (m->bands[b].delay[c], row, n);
    mst_delayline_pull (m->bands[b].delay[c], row, n);
  }
}

/* Onto the neutral path: the all-pass (and band 0's delay lines, which
 * then delay the sum) run from the input's last frames. */
static void
enter_neutral (MstMbcomp * m)
{
  const size_t w = warm_frames (m);
  if (m->xo_bands > 1)
    mst_crossover_reset_all_pass (m->xo);
  delay_restart (m, 0);
  for (size_t done = 0; done < w;) {
    const size_t k = w - done < BLOCK ? w - done : BLOCK;
    history_read (m, w - done, k);
    if (m->xo_bands > 1)
      mst_crossover_run_all_pass (m->xo, m->sum, BLOCK, k);
    if (m->lookahead > 0)
      delay_rows (m, 0, m->sum, k);
    done += k;
  }
  m->neutral = true;
  m->neutral_entries++;
}

/* Off the neutral path: the tree and the bands' delay lines reset and run
 * over the input's last frames with the settings before (gains 1, the
 * sum not formed), then the splitter's new settings. */
static void
leave_neutral (MstMbcomp * m)
{
  const size_t w = warm_frames (m);
  const bool ms = m->set.mode == MST_MBCOMP_MID_SIDE && m->left >= 0;
  /* The splits are where they were given (nothing new while neutral), so
   * the reset moves none of them. */
  mst_crossover_reset (m->xo);
  for (int b = 0; b < NB; b++)
    delay_restart (m, b);
  for (size_t done = 0; done < w;) {
    const size_t k = w - done < BLOCK ? w - done : BLOCK;
    history_read (m, w - done, k);
    split (m, k);
    for (int b = 0; b < m->xo_bands && m->lookahead > 0; b++) {
      if (ms)
        mst_planar_mid_side (band_row (m, b, m->left), band_row (m, b,
                m->right), true, (int) k);
      delay_rows (m, b, band_row (m, b, 0), k);
    }
    done += k;
  }
  m->neutral = false;
  if (m->splitter_stale) {
    m->splitter_stale = false;
    splitter_update (m);
  }
}

/* The neutral path's gain stages for n frames: idle, they only move on. */
static void
neutral_stages (MstMbcomp * m, size_t n)
{
  for (int b = 0; b < m->xo_bands; b++) {
    Band *band = &m->bands[b];
    const double active = m->set.bands[b].bypass ? 0.0 : 1.0;
    bool shared;
    /* Idle: the key is not read, no row written. */
    mst_dynamics_gain_process_or_flat (band->gain, m->sum, BLOCK, n,
        m->gains, BLOCK, &shared);
    /* A band bypass glides as on the tree (a factor of 1 either way). */
    if (band->active != active)
      band->active = mst_smoother_fade_fill (m->ramp_b, band->active, active,
          m->fade_step, (int) n);
  }
}

/* The neutral path's block: the n planar frames in m->sum through the
 * all-pass and the lookahead. */
static void
neutral_bands (MstMbcomp * m, size_t n)
{
  neutral_stages (m, n);
  if (m->xo_bands > 1)
    mst_crossover_run_all_pass (m->xo, m->sum, BLOCK, n);
  if (m->lookahead > 0)
    delay_rows (m, 0, m->sum, n);
}

/* Whether the neutral path's block can run on the stereo F32 frames
 * themselves: no latency (the output is the input frame for frame, the
 * dry path the input), no bypass or rebuild fading, a split to run. */
static bool
neutral_direct (const MstMbcomp * m, MstFormat fmt)
{
  return fmt == MST_FORMAT_F32 && m->channels == 2 && m->latency == 0
      && m->xo_bands > 1 && !m->set.bypass && m->mix == 1.0
      && m->rebuild == 1.0 && !rebuild_pending (m);
}

/* One chunk of at most BLOCK input frames; writes the frames that are
 * complete to out; returns their count. */
MST_ALWAYS_INLINE size_t
process_chunk (MstMbcomp * m, const void *in, size_t n, void *out,
    MstFormat fmt)
{
  const int ch = m->channels;
  const size_t frame = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * ch;
  /* Non-finite and absurd input is silence from here on. */
  if (!mst_input_sane_fast (in, n * ch, fmt)) {
    m->nonfinite += mst_input_clean (in, n * ch, m->clean, fmt);
    in = m->clean;
  }
  /* The dry path: the input delayed by the latency, in its own format
   * (without latency the input itself, read before the output is
   * written). */
  const void *dry = in;
  if (m->latency > 0) {
    mst_delayline_push (m->dry, in, n);
    mst_delayline_pull (m->dry, m->dry_frames, n);
    dry = m->dry_frames;
  }
  if (m->history) {
    const bool neutral = neutral_ok (m);
    if (neutral && !m->neutral)
      enter_neutral (m);
    else if (!neutral && m->neutral)
      leave_neutral (m);
  }
  if (m->history) {
    history_write (m, in, n);
    m->since_reset += n;
    if (m->since_reset > m->history_cap)
      m->since_reset = m->history_cap;
  }
  if (m->neutral && neutral_direct (m, fmt)) {
    /* Stereo F32 without latency, nothing fading: the all-pass straight
     * on the frames, written to out (no planar copy either way). */
    neutral_stages (m, n);
    if (out != in)
      memcpy (out, in, n * frame);
    mst_crossover_run_all_pass_stereo_f32 (m->xo, out, n);
    m->since_glide += n;
    if (m->since_glide > m->history_cap)
      m->since_glide = m->history_cap;
    m->processed += (int64_t) n;
    return n;
  }
  mst_planar_load (m->sum, BLOCK, in, ch, (int) n, fmt);
  if (m->neutral) {
    neutral_bands (m, n);
  } else {
    const bool glide = m->history && mst_crossover_is_gliding (m->xo);
    compress_bands (m, n);
    if (glide)
      m->since_glide = 0;
  }
  if (m->history) {
    m->since_glide += n;
    if (m->since_glide > m->history_cap)
      m->since_glide = m->history_cap;
  }

  /* Output frame j is the input frame j - latency: the first latency
   * frames since the reset are the delay's, not output. */
  size_t skip = 0;
  if (m->processed < (int64_t) m->latency)
    skip = (size_t) fmin ((double) n, (double) ((int64_t) m->latency
            - m->processed));
  m->processed += (int64_t) n;

  const double mix_target = m->set.bypass ? 0.0 : 1.0;
  const double rebuild_target = rebuild_pending (m) ? 0.0 : 1.0;
  if (m->mix == mix_target && m->rebuild == rebuild_target
      && m->mix * m->rebuild == 0.0) {
    /* Bypassed (or the wet path faded out): the dry path, bit for bit. */
    if (out != dry)
      memcpy (out, (const char *) dry + skip * frame, (n - skip) * frame);
  } else {
    if (m->mix != mix_target || m->mix != 1.0 || m->rebuild != 1.0
        || m->rebuild != rebuild_target) {
      m->mix = mst_smoother_fade_fill (m->ramp_a, m->mix, mix_target,
          m->fade_step, (int) n);
      m->rebuild = mst_smoother_fade_fill (m->ramp_b, m->rebuild,
          rebuild_target, m->fade_step, (int) n);
      for (size_t i = 0; i < n; i++)
        m->ramp_a[i] *= m->ramp_b[i];
      mst_planar_load (m->dry_planar, BLOCK, dry, ch, (int) n, fmt);
      for (int c = 0; c < ch; c++)
        mst_smoother_crossfade (m->sum + (size_t) c * BLOCK,
            m->dry_planar + (size_t) c * BLOCK, m->ramp_a, (int) n);
    }
    mst_planar_store (out, m->sum + skip, BLOCK, ch, (int) (n - skip), fmt);
  }

  /* The wet path is out: the LR tree takes the new band count with its
   * history cleared, the bands start afresh, and once their delay lines
   * hold the lookahead again the wet path fades back in. */
  if (m->phase == MST_MBCOMP_MINIMUM_PHASE && m->xo_bands != m->set.n_bands
      && m->rebuild == 0.0) {
    splitter_apply (m);
    mst_crossover_reset (m->xo);
    for (int b = 0; b < NB; b++)
      band_restart (m, b);
    m->rebuild_hold = m->lookahead;
    m->since_reset = 0;
  } else if (m->rebuild_hold > 0) {
    m->rebuild_hold -= m->rebuild_hold < n ? m->rebuild_hold : n;
  }
  return n - skip;
}

MST_ALWAYS_INLINE MstResult
process_body (MstMbcomp * m, const void *in, size_t n_in, void *out,
    size_t *n_out, MstFormat fmt)
{
  if (!m || !n_out || m->rate_hz == 0.0 || (n_in && (!in || !out)))
    return MST_ERR_INVALID_ARG;
  const size_t frame = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * m->channels;
  if (m->fmt != fmt) {
    mst_delayline_set_format (m->dry, fmt);
    history_set_format (m, fmt);
    m->fmt = fmt;
  }
  MstFpuState fpu = mst_fpu_enter_ftz ();
  size_t done = 0, written = 0;
  while (done < n_in) {
    size_t n = n_in - done < BLOCK ? n_in - done : BLOCK;
    written += process_chunk (m, (const char *) in + done * frame, n,
        (char *) out + written * frame, fmt);
    done += n;
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  return MST_OK;
}

/* The drain: a latency's worth of silence pushes the pending frames out. */
MST_ALWAYS_INLINE MstResult
drain_body (MstMbcomp * m, void *out, size_t *n_out, MstFormat fmt)
{
  if (!m || !n_out || m->rate_hz == 0.0)
    return MST_ERR_INVALID_ARG;
  size_t to_push = mst_mbcomp_get_pending (m) ? m->latency : 0, written = 0;
  const size_t frame = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * m->channels;
  while (to_push > 0) {
    size_t n = to_push < BLOCK ? to_push : BLOCK, got = 0;
    MstResult r = process_body (m, m->zeros, n, (char *) out + written * frame,
        &got, fmt);
    if (r != MST_OK)
      return r;
    written += got;
    to_push -= n;
  }
  *n_out = written;
  mst_mbcomp_reset (m);
  return MST_OK;
}

MST_DEFINE_PROCESS_DELAYING (mst_mbcomp, MstMbcomp, process_body, drain_body)

void
mst_mbcomp_take_reduction_db (MstMbcomp * m, double reduction_db[NB])
{
  for (int b = 0; b < NB; b++) {
    reduction_db[b] = 0.0;
    if (!m)
      continue;
    double db = fmin (m->reduction_db[b],
        mst_dynamics_gain_take_reduction_db (m->bands[b].gain));
    m->reduction_db[b] = 0.0;
    if (b < m->set.n_bands)
      reduction_db[b] = db;
  }
}

void
mst_mbcomp_get_current_db (const MstMbcomp * m, double current_db[NB])
{
  for (int b = 0; b < NB; b++)
    current_db[b] = m && b < m->set.n_bands
        ? mst_dynamics_gain_get_current_db (m->bands[b].gain) : 0.0;
}

void
mst_mbcomp_set_neutral_path (MstMbcomp * m, bool allowed)
{
  if (m)
    m->neutral_allowed = allowed;
}

uint64_t
mst_mbcomp_get_neutral_entries (const MstMbcomp * m)
{
  return m ? m->neutral_entries : 0;
}

bool
mst_mbcomp_in_neutral_path (const MstMbcomp * m)
{
  return m && m->neutral;
}

uint64_t
mst_mbcomp_get_nonfinite_count (const MstMbcomp * m)
{
  if (!m)
    return 0;
  uint64_t n = m->nonfinite + mst_crossover_get_nonfinite_count (m->xo);
  for (int b = 0; b < NB; b++)
    n += mst_dynamics_gain_get_nonfinite_count (m->bands[b].gain);
  return n;
}
