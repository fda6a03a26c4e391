/* mastering: loudness normalisation core (see mst-loudnorm.h). */
#include "mst-loudnorm.h"
#include "mst-delayline.h"
#include "mst-kmeter.h"
#include "mst-limiter.h"

#include <stdlib.h>
#include <string.h>

/* When the recent loudness (gated) leaves the long estimate by more than
 * this, the programme has changed (a loud entry, another speaker, another
 * source): the estimate restarts from the recent blocks. Music's loudness
 * over a second swings by a couple of LU around its integrated loudness:
 * a smaller margin would ride it. */
#define FOLLOW_MARGIN_LU 3.0
/* The recent loudness: the last 10 gated blocks (1.3 s of programme). */
#define RECENT_BLOCKS 10
/* Gated blocks the estimate needs before the slew is the normal one: 3 s
 * (a short-term window). Until then it moves STARTUP_SLEW_FACTOR faster. */
#define STARTUP_BLOCKS 30
#define STARTUP_SLEW_FACTOR 10.0
/* The limiter's loudness cost that the gain makes up, at most (dB): a
 * loud target under a low ceiling can cost more than that, and the gain
 * would then only drive the limiter harder. */
#define MAX_LIMITER_LOSS_DB 3.0
/* Input blocks kept for their output blocks: the latency (at most 1 s of
 * controller lookahead, 20 ms of limiter) is at most 11 steps. */
#define LOSS_RING 16
/* The gain is settled when within this of its target (dB): blocks taken
 * while it slews tell the controller's lag, not the limiter's cost. */
#define SETTLED_DB 0.5
/* A glitch: a 100 ms step of input more than GLITCH_JUMP_LU above the
 * controller's estimate, in a run of at most GLITCH_STEPS such steps. A
 * programme's loudest 100 ms (a shout, a drum hit) stays within about
 * 15 LU of its gated loudness, so a step 20 LU above it is either a new,
 * far louder programme or a fault (a burst of +20 dBFS is 30 LU above
 * speech at -23 LUFS). The controller waits for the next steps before it
 * takes such a step: a third one in a row is a louder programme, and the
 * three go to the controller together (200 ms late, within the control
 * lookahead's 400 ms); a normal step after one or two is the end of a
 * glitch, and the controller takes the blocks around it without its steps
 * (the limiter has taken the burst itself). Two steps hold any burst up to
 * 100 ms wherever it falls across a step boundary. */
#define GLITCH_JUMP_LU 20.0
#define GLITCH_STEPS 2
/* A sustained quieter programme. After a drop of more than 10 LU its
 * blocks are under the relative gate (10 LU under a mean that forgets with
 * `window_s`), as a speech pause's room tone is, and would be ignored until
 * that mean had forgotten the louder past: 2.8 windows (57 s) for 22 dB.
 * What tells the two apart is duration: a pause ends within seconds, a
 * programme goes on. So blocks above the absolute gate and under the
 * relative one (quiet blocks) are counted; a block that passes both gates
 * ends the run (speech resumed), silence under the absolute gate neither
 * counts nor ends it. When SUSTAIN_BLOCKS quiet blocks in a run have held
 * their level (the power mean of the last QUIET_RECENT_BLOCKS, a
 * short-term window, within FOLLOW_MARGIN_LU of the run's mean; a level
 * still moving, a fade, restarts the run from those blocks), they are the
 * programme: the gate's mean and the estimate restart from the last
 * QUIET_RECENT_BLOCKS. 10 s is longer than the pauses of speech (a few
 * seconds; a longer one is dead air) and short enough that a quieter
 * programme is at its target some 20 s after the change (10 s, then the
 * slew). */
#define SUSTAIN_BLOCKS 100
#define QUIET_RECENT_BLOCKS 30
/* Steps kept: a block's four behind the held ones. */
#define STEP_RING 8
/* The gain is re-evaluated every 10 ms; the limiter glides its input gain
 * over 10 ms, so the slew is a smooth ramp. */
#define CONTROL_MS 10.0

struct MstLoudnorm {
  MstLimiter *limiter;
  MstKMeter *in_meter, *out_meter;
  MstLoudnormSettings set;
  MstLimiterSettings lim_set;
  double rate_hz;
  int channels, max_channels;

  size_t control_frames, control_pos;

  /* Controller lookahead: a delay line of delay_frames in front of the
   * limiter (none for 0); a scratch of one control tick for the frames it
   * gives out. */
  MstDelayLine *delay;
  size_t delay_frames;
  void *scratch;
  /* With a lookahead of a tick or more (ahead), the limiter is fed whole
   * ticks of the delay line at the ticks, the same calls however the
   * input is cut (its vector paths, the FFT of its detector, round by
   * block), running a tick ahead; its output waits in fifo until the
   * latency lets it out. */
  bool ahead;
  MstDelayLine *fifo;
  /* A control tick of input with its absurd samples silenced, and how
   * many there were (NaN and Inf included) since configure. */
  void *clean;
  uint64_t n_bad;
  bool started;                 /* a frame reached the limiter */
  double step_decay;            /* per 100 ms block: exp (-0.1 / window) */

  /* Controller: forgetting power means (sum of weights, weighted sum). */
  double gate_w, gate_p;        /* blocks above the absolute gate */
  double long_w, long_p;        /* blocks above both gates */
  double recent[RECENT_BLOCKS]; /* powers of the last gated blocks */
  int recent_pos;
  uint64_t n_gated;
  /* The run of quiet blocks (SUSTAIN_BLOCKS): its length in blocks, the
   * sum of their powers, the powers of the last QUIET_RECENT_BLOCKS. */
  int quiet_run;
  double quiet_sum;
  double quiet[QUIET_RECENT_BLOCKS];
  int quiet_pos;
  double estimate_power;        /* 0: none yet */
  /* Glitches: the powers of the last input steps, which of them were a
   * glitch, steps completed, and how many of the last are held (jumps not
   * yet judged). */
  double step_power[STEP_RING];
  bool step_glitch[STEP_RING];
  uint64_t n_steps;
  int held;
  /* The limiter's loudness cost. Output block j holds the frames of input
   * block j (the meters count steps from the same frame): for counted
   * input blocks taken while the gain was settled, what they should give
   * out at the gain applied (0: not counted), kept until their output
   * block ends; and forgetting sums of those and of what came out. */
  double expect[LOSS_RING];
  double expect_gain_db[LOSS_RING];     /* the gain then */
  uint64_t in_blocks, out_blocks;
  double expect_sum, out_sum;
  int n_loss_blocks;
  double loss_db;

  double gain_db, target_gain_db;
};

void
mst_loudnorm_settings_default (MstLoudnormSettings * s)
{
  s->mode = MST_LOUDNORM_LIVE;
  /* EBU R128: -23 LUFS, -1 dBTP (REFERENCE.md section 5). */
  s->target_lufs = -23.0;
  s->ceiling_dbtp = -1.0;
  s->gain_db = 0.0;
  s->max_gain_db = 20.0;
  s->min_gain_db = -30.0;
  s->max_slew_db_per_s = 3.0;
  s->max_slew_down_db_per_s = 24.0;
  s->window_s = 20.0;
  s->bypass = false;
  MstLimiterSettings lim;
  mst_limiter_settings_default (&lim);
  s->band_limit = lim.band_limit;
}

MstLoudnorm *
mst_loudnorm_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstLoudnorm *ln = calloc (1, sizeof (MstLoudnorm));
  if (!ln)
    return NULL;
  ln->max_channels = max_channels;
  ln->limiter = mst_limiter_init (max_channels);
  ln->in_meter = mst_kmeter_init ();
  ln->out_meter = mst_kmeter_init ();
  /* One control tick at the highest rate, in doubles. */
  size_t tick_max = (size_t) ceil (MST_MAX_RATE_HZ * CONTROL_MS * 1e-3);
  ln->scratch = calloc (tick_max * max_channels, sizeof (double));
  ln->clean = calloc (tick_max * max_channels, sizeof (double));
  if (!ln->limiter || !ln->in_meter || !ln->out_meter || !ln->scratch
      || !ln->clean) {
    mst_loudnorm_destroy (&ln);
    return NULL;
  }
  mst_loudnorm_settings_default (&ln->set);
  mst_limiter_settings_default (&ln->lim_set);
  return ln;
}

void
mst_loudnorm_destroy (MstLoudnorm ** ln)
{
  if (!ln || !*ln)
    return;
  mst_limiter_destroy (&(*ln)->limiter);
  mst_kmeter_destroy (&(*ln)->in_meter);
  mst_kmeter_destroy (&(*ln)->out_meter);
  mst_delayline_destroy (&(*ln)->delay);
  mst_delayline_destroy (&(*ln)->fifo);
  free ((*ln)->scratch);
  free ((*ln)->clean);
  free (*ln);
  *ln = NULL;
}

static double
clamp_gain (const MstLoudnorm * ln, double g)
{
  if (ln->set.mode == MST_LOUDNORM_FIXED)
    return ln->set.gain_db;
  return fmin (fmax (g, ln->set.min_gain_db), ln->set.max_gain_db);
}

static void
apply_gain (MstLoudnorm * ln)
{
  ln->lim_set.input_gain_db = ln->gain_db;
  ln->lim_set.ceiling_db = ln->set.ceiling_dbtp;
  ln->lim_set.bypass = ln->set.bypass;
  ln->lim_set.band_limit = ln->set.band_limit;
  mst_limiter_set (ln->limiter, &ln->lim_set);
}

/* The gain the controller heads for, from its estimate (0 dB, bounded,
 * before it has one). */
static void
update_target (MstLoudnorm * ln)
{
  double g = 0.0;
  if (ln->estimate_power > 0.0)
    g = ln->set.target_lufs - mst_bs1770_power_to_lufs (ln->estimate_power)
        + ln->loss_db;
  ln->target_gain_db = clamp_gain (ln, g);
}

static void
controller_clear (MstLoudnorm * ln)
{
  ln->gate_w = ln->gate_p = ln->long_w = ln->long_p = 0.0;
  memset (ln->recent, 0, sizeof (ln->recent));
  ln->recent_pos = 0;
  ln->n_gated = 0;
  ln->quiet_run = 0;
  ln->quiet_sum = 0.0;
  memset (ln->quiet, 0, sizeof (ln->quiet));
  ln->quiet_pos = 0;
  ln->estimate_power = 0.0;
  memset (ln->step_glitch, 0, sizeof (ln->step_glitch));
  ln->n_steps = 0;
  ln->held = 0;
  memset (ln->expect, 0, sizeof (ln->expect));
  ln->in_blocks = ln->out_blocks = 0;
  ln->expect_sum = ln->out_sum = 0.0;
  ln->n_loss_blocks = 0;
  ln->loss_db = 0.0;
  ln->control_pos = 0;
  update_target (ln);
  ln->gain_db = ln->target_gain_db;
}

void
mst_loudnorm_reset (MstLoudnorm * ln)
{
  if (!ln)
    return;
  mst_kmeter_reset (ln->in_meter);
  mst_kmeter_reset (ln->out_meter);
  controller_clear (ln);
  if (ln->delay)
    mst_delayline_reset (ln->delay);
  if (ln->fifo)
    mst_delayline_reset (ln->fifo);
  ln->started = false;
  mst_limiter_reset (ln->limiter);
  apply_gain (ln);
}

/* *line made anew for @capacity frames when @changed or smaller, or
 * freed when not @wanted. */
static MstResult
keep_line (MstDelayLine ** line, bool wanted, int channels, bool changed,
    size_t capacity)
{
  if (!wanted) {
    mst_delayline_destroy (line);
    return MST_OK;
  }
  if (*line && !changed && mst_delayline_get_capacity (*line) >= capacity)
    return MST_OK;
  MstDelayLine *made = mst_delayline_init (channels, capacity);
  if (!made)
    return MST_ERR_NOMEM;
  mst_delayline_configure (made, channels);
  mst_delayline_destroy (line);
  *line = made;
  return MST_OK;
}

MstResult
mst_loudnorm_configure (MstLoudnorm * ln, double rate_hz, int channels,
    double lookahead_ms, double control_lookahead_ms, const double *weights)
{
  MstResult r;
  if (!ln || channels > ln->max_channels
      || !(control_lookahead_ms >= 0.0
          && control_lookahead_ms <= MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS))
    return MST_ERR_INVALID_ARG;
  if ((r = mst_limiter_configure (ln->limiter, rate_hz, channels,
              lookahead_ms)) != MST_OK
      || (r = mst_kmeter_configure (ln->in_meter, rate_hz, channels,
              weights)) != MST_OK
      || (r = mst_kmeter_configure (ln->out_meter, rate_hz, channels,
              weights)) != MST_OK)
    return r;
  size_t delay_frames = (size_t) round (control_lookahead_ms * 1e-3
      * rate_hz);
  size_t control_frames = (size_t) fmax (1.0, round (rate_hz * CONTROL_MS
          * 1e-3));
  /* The delay line holds the lookahead and the control tick that pushes
   * into it; with a lookahead of a tick or more the fifo holds the
   * limiter's output of a tick beside the one being given out. */
  const bool ahead = delay_frames >= control_frames;
  if ((r = keep_line (&ln->delay, delay_frames > 0, channels,
              delay_frames != ln->delay_frames || channels != ln->channels,
              delay_frames + control_frames)) != MST_OK)
    return r;
  ln->delay_frames = delay_frames;
  if ((r = keep_line (&ln->fifo, ahead, channels, channels != ln->channels,
              2 * control_frames)) != MST_OK)
    return r;
  ln->ahead = ahead;
  ln->rate_hz = rate_hz;
  ln->channels = channels;
  ln->n_bad = 0;
  ln->control_frames = control_frames;
  ln->step_decay = exp (-MST_KMETER_STEP_MS * 1e-3 / ln->set.window_s);
  mst_loudnorm_reset (ln);
  return MST_OK;
}

/* A gain the limiter takes as its input gain (every gain of the
 * controller lies between min and max). */
static bool
gain_ok (double db)
{
  return fabs (db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB;
}

MstResult
mst_loudnorm_set (MstLoudnorm * ln, const MstLoudnormSettings * s)
{
  if (!ln || !s || !isfinite (s->target_lufs) || !isfinite (s->ceiling_dbtp)
      || !gain_ok (s->gain_db) || !gain_ok (s->max_gain_db)
      || !gain_ok (s->min_gain_db) || s->min_gain_db > s->max_gain_db
      || !(s->max_slew_db_per_s > 0.0) || !(s->max_slew_down_db_per_s > 0.0)
      || !(s->window_s > 0.0)
      || (s->mode != MST_LOUDNORM_LIVE && s->mode != MST_LOUDNORM_FIXED))
    return MST_ERR_INVALID_ARG;
  ln->set = *s;
  ln->step_decay = exp (-MST_KMETER_STEP_MS * 1e-3 / ln->set.window_s);
  update_target (ln);
  if (s->mode == MST_LOUDNORM_FIXED)
    ln->gain_db = ln->target_gain_db;
  apply_gain (ln);
  return MST_OK;
}

/* Frames of the stream in the controller's delay line. */
static size_t
delay_held (const MstLoudnorm * ln)
{
  return ln->delay ? mst_delayline_get_pending (ln->delay) : 0;
}

size_t
mst_loudnorm_get_latency (const MstLoudnorm * ln)
{
  return ln ? ln->delay_frames + mst_limiter_get_latency (ln->limiter) : 0;
}

static size_t
fifo_held (const MstLoudnorm * ln)
{
  return ln->ahead ? mst_delayline_get_pending (ln->fifo) : 0;
}

size_t
mst_loudnorm_get_pending (const MstLoudnorm * ln)
{
  return ln ? delay_held (ln) + fifo_held (ln)
      + mst_limiter_get_pending (ln->limiter) : 0;
}

uint64_t
mst_loudnorm_get_nonfinite_count (const MstLoudnorm * ln)
{
  return ln ? ln->n_bad + mst_limiter_get_nonfinite_count (ln->limiter)
      : 0;
}

/* A block above the absolute gate and under the relative one: a pause,
 * or a quieter programme once the run has lasted (SUSTAIN_BLOCKS). */
static void
quiet_block (MstLoudnorm * ln, double p)
{
  ln->quiet[ln->quiet_pos] = p;
  ln->quiet_pos = (ln->quiet_pos + 1) % QUIET_RECENT_BLOCKS;
  ln->quiet_sum += p;
  if (++ln->quiet_run < QUIET_RECENT_BLOCKS)
    return;
  double recent = 0.0;
  for (int k = 0; k < QUIET_RECENT_BLOCKS; k++)
    recent += ln->quiet[k];
  recent /= QUIET_RECENT_BLOCKS;
  const double run_mean = ln->quiet_sum / ln->quiet_run;
  const double ratio = pow (10.0, FOLLOW_MARGIN_LU / 10.0);
  if (recent > run_mean * ratio || recent * ratio < run_mean) {
    /* Still moving: the run starts again from its last blocks. */
    ln->quiet_run = QUIET_RECENT_BLOCKS;
    ln->quiet_sum = recent * QUIET_RECENT_BLOCKS;
    return;
  }
  if (ln->quiet_run < SUSTAIN_BLOCKS)
    return;
  /* Held: the programme. The gate's mean, the estimate and the recent
   * blocks restart from the run's last blocks. */
  ln->gate_w = QUIET_RECENT_BLOCKS;
  ln->gate_p = recent * QUIET_RECENT_BLOCKS;
  ln->long_w = RECENT_BLOCKS;
  ln->long_p = recent * RECENT_BLOCKS;
  for (int k = 0; k < RECENT_BLOCKS; k++)
    ln->recent[k] = recent;
  ln->quiet_run = 0;
  ln->quiet_sum = 0.0;
  ln->estimate_power = recent;
  update_target (ln);
}

/* A 400 ms input block ended: gate it, update the estimate. A block
 * without a glitch's steps (@whole) counts for the limiter's cost. */
static void
controller_block (MstLoudnorm * ln, double p, bool whole)
{
  const double d = ln->step_decay;
  /* Cleared here, set below if it counts; read by output_block. */
  ln->expect[ln->in_blocks % LOSS_RING] = 0.0;
  if (!(p > mst_bs1770_lufs_to_power (MST_BS1770_ABSOLUTE_GATE_LUFS)))
    goto done;
  ln->gate_w = ln->gate_w * d + 1.0;
  ln->gate_p = ln->gate_p * d + p;
  /* The relative gate of BS.1770-4 Annex 1 clause 5 below a forgetting
   * mean of the blocks above the absolute gate. */
  if (!(p > ln->gate_p / ln->gate_w
          * pow (10.0, MST_BS1770_RELATIVE_GATE_LU / 10.0))) {
    quiet_block (ln, p);
    goto done;
  }
  ln->quiet_run = 0;
  ln->quiet_sum = 0.0;
  ln->long_w = ln->long_w * d + 1.0;
  ln->long_p = ln->long_p * d + p;
  ln->recent[ln->recent_pos] = p;
  ln->recent_pos = (ln->recent_pos + 1) % RECENT_BLOCKS;
  ln->n_gated++;

  double est = ln->long_p / ln->long_w;
  if (ln->n_gated >= RECENT_BLOCKS) {
    double recent = 0.0;
    for (int k = 0; k < RECENT_BLOCKS; k++)
      recent += ln->recent[k];
    recent /= RECENT_BLOCKS;
    double ratio = pow (10.0, FOLLOW_MARGIN_LU / 10.0);
    if (recent > est * ratio || recent * ratio < est) {
      ln->long_w = RECENT_BLOCKS;
      ln->long_p = recent * RECENT_BLOCKS;
      est = recent;
    }
  }
  ln->estimate_power = est;
  update_target (ln);
  /* Counted for the limiter's cost if the gain is settled, the block
   * included (a louder entry moves the target first). */
  if (whole && !ln->set.bypass && ln->set.mode == MST_LOUDNORM_LIVE
      && ln->in_blocks >= ln->out_blocks
      && fabs (ln->gain_db - ln->target_gain_db) < SETTLED_DB) {
    ln->expect[ln->in_blocks % LOSS_RING] = p * pow (10.0, ln->gain_db
        / 10.0);
    ln->expect_gain_db[ln->in_blocks % LOSS_RING] = ln->gain_db;
  }
done:
  ln->in_blocks++;
}

/* The block that ended with input step @j to the controller: the mean of
 * its steps that were not a glitch's. */
static void
controller_block_at (MstLoudnorm * ln, uint64_t j)
{
  double sum = 0.0;
  int n = 0;
  if (j + 1 < MST_KMETER_BLOCK_STEPS)
    return;
  for (uint64_t i = j + 1 - MST_KMETER_BLOCK_STEPS; i <= j; i++)
    if (!ln->step_glitch[i % STEP_RING]) {
      sum += ln->step_power[i % STEP_RING];
      n++;
    }
  if (n == MST_KMETER_BLOCK_STEPS && j + 1 == ln->n_steps) {
    /* The meter's own block, the same figure to the last bit. */
    double p;
    if (mst_kmeter_get_block_power (ln->in_meter, &p))
      controller_block (ln, p, true);
  } else if (n > 0) {
    controller_block (ln, sum / n, n == MST_KMETER_BLOCK_STEPS);
  }
}

/* A 100 ms input step ended: held while it may be a glitch, then its
 * block and the held ones' go to the controller (see GLITCH_JUMP_LU). */
static void
controller_step (MstLoudnorm * ln)
{
  double e;
  if (!mst_kmeter_get_step_power (ln->in_meter, &e))
    return;
  uint64_t k = ln->n_steps++;
  ln->step_power[k % STEP_RING] = e;
  ln->step_glitch[k % STEP_RING] = false;
  const double jump_ratio = pow (10.0, GLITCH_JUMP_LU / 10.0);
  bool jump = ln->estimate_power > 0.0 && e > ln->estimate_power
      * jump_ratio;
  if (jump && ln->held < GLITCH_STEPS) {
    ln->held++;
    return;
  }
  /* The held steps were a glitch if the level fell back after them: to
   * within half the jump of the estimate, or a whole jump under their
   * loudest. A louder programme stays up (music entering after a quiet
   * intro: its first hit, then the music 17 LU up). */
  double loudest = 0.0;
  for (int h = 1; h <= ln->held; h++)
    loudest = fmax (loudest, ln->step_power[(k - h) % STEP_RING]);
  bool glitch = !jump && (e <= ln->estimate_power * sqrt (jump_ratio)
      || e * jump_ratio <= loudest);
  for (int h = 1; glitch && h <= ln->held; h++)
    ln->step_glitch[(k - h) % STEP_RING] = true;
  for (uint64_t j = k - ln->held; j <= k; j++)
    controller_block_at (ln, j);
  ln->held = 0;
}

/* A 400 ms output block ended: the limiter's loudness cost is what the
 * counted input blocks should have given, over what came out of them.
 * Live mode only (in fixed mode the gain is exact by definition). */
static void
output_block (MstLoudnorm * ln, double p)
{
  const double d = ln->step_decay;
  double *e = &ln->expect[ln->out_blocks % LOSS_RING];
  double then_db = ln->expect_gain_db[ln->out_blocks % LOSS_RING];
  ln->out_blocks++;
  /* (The gain must not have moved while the block crossed the delay.) */
  if (*e == 0.0 || ln->set.bypass || ln->set.mode != MST_LOUDNORM_LIVE
      || fabs (ln->gain_db - then_db) >= SETTLED_DB) {
    *e = 0.0;
    return;
  }
  ln->expect_sum = ln->expect_sum * d + *e;
  ln->out_sum = ln->out_sum * d + p;
  *e = 0.0;
  /* A second of programme before it means anything. */
  if (++ln->n_loss_blocks < 10 || !(ln->out_sum > 0.0))
    return;
  ln->loss_db = fmin (fmax (10.0 * log10 (ln->expect_sum / ln->out_sum),
          0.0), MAX_LIMITER_LOSS_DB);
  update_target (ln);
}

/* Every CONTROL_MS: the gain moves toward its target, slew-bounded. */
static void
controller_tick (MstLoudnorm * ln)
{
  if (ln->set.mode == MST_LOUDNORM_FIXED) {
    ln->gain_db = ln->set.gain_db;
  } else {
    double step = ln->set.max_slew_db_per_s * ln->control_frames
        / ln->rate_hz;
    if (!ln->started)
      step = INFINITY;          /* nothing heard yet: start at the target */
    else if (ln->n_gated < STARTUP_BLOCKS)
      step *= STARTUP_SLEW_FACTOR;
    double down = step * ln->set.max_slew_down_db_per_s
        / ln->set.max_slew_db_per_s;
    double diff = ln->target_gain_db - ln->gain_db;
    ln->gain_db += fmax (-down, fmin (step, diff));
  }
  if (ln->gain_db != ln->lim_set.input_gain_db)
    apply_gain (ln);
}

MST_ALWAYS_INLINE size_t
frame_bytes (const MstLoudnorm * ln, MstFormat fmt)
{
  return ln->channels * (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float));
}

MST_ALWAYS_INLINE void
kmeter_add (MstKMeter * m, const void *frames, size_t n, MstFormat fmt)
{
  if (fmt == MST_FORMAT_F64)
    mst_kmeter_add_f64 (m, frames, n);
  else
    mst_kmeter_add_f32 (m, frames, n);
}

/* The output's loudness, step by step. */
MST_ALWAYS_INLINE void
meter_output (MstLoudnorm * ln, const void *out, size_t n, MstFormat fmt)
{
  while (n > 0) {
    size_t k = mst_kmeter_frames_to_step (ln->out_meter);
    double p;
    k = k < n ? k : n;
    kmeter_add (ln->out_meter, out, k, fmt);
    if (mst_kmeter_step_completed (ln->out_meter)
        && mst_kmeter_get_block_power (ln->out_meter, &p))
      output_block (ln, p);
    out = (const char *) out + k * frame_bytes (ln, fmt);
    n -= k;
  }
}

/* @n frames (at most a control tick) through the delay line: @src goes
 * in, the frames it gives out (those that are the stream's: none while it
 * fills) go to *delayed, their count returned. */
MST_ALWAYS_INLINE size_t
delay (MstLoudnorm * ln, const void *src, size_t n, const void **delayed,
    MstFormat fmt)
{
  if (!ln->delay) {
    *delayed = src;
    return n;
  }
  mst_delayline_set_format (ln->delay, fmt);
  mst_delayline_push (ln->delay, src, n);
  size_t held = mst_delayline_get_pending (ln->delay);
  size_t out = held > ln->delay_frames ? held - ln->delay_frames : 0;
  mst_delayline_pull (ln->delay, ln->scratch, out);
  *delayed = ln->scratch;
  return out;
}

MST_ALWAYS_INLINE void
limit (MstLoudnorm * ln, const void *src, size_t n, void *out,
    size_t *written, MstFormat fmt)
{
  size_t k = 0;
  if (n == 0)
    return;
  ln->started = true;
  if (fmt == MST_FORMAT_F64)
    mst_limiter_process_f64 (ln->limiter, src, n, out, &k);
  else
    mst_limiter_process_f32 (ln->limiter, src, n, out, &k);
  meter_output (ln, out, k, fmt);
  *written += k;
}

/* At a tick, ahead: the delay line's frames beyond delay_frames less a
 * tick (at most a tick of them) through the limiter into the fifo. */
MST_ALWAYS_INLINE void
feed_ahead (MstLoudnorm * ln, MstFormat fmt)
{
  const size_t keep = ln->delay_frames - ln->control_frames;
  size_t held = mst_delayline_get_pending (ln->delay), k = 0;
  if (held <= keep)
    return;
  mst_delayline_pull (ln->delay, ln->scratch, held - keep);
  ln->started = true;
  if (fmt == MST_FORMAT_F64)
    mst_limiter_process_f64 (ln->limiter, ln->scratch, held - keep,
        ln->scratch, &k);
  else
    mst_limiter_process_f32 (ln->limiter, ln->scratch, held - keep,
        ln->scratch, &k);
  meter_output (ln, ln->scratch, k, fmt);
  mst_delayline_set_format (ln->fifo, fmt);
  mst_delayline_push (ln->fifo, ln->scratch, k);
}

/* Ahead: out of the fifo what the latency lets out (the frames held
 * beyond it). */
MST_ALWAYS_INLINE void
give_ahead (MstLoudnorm * ln, void *out, size_t *written, MstFormat fmt)
{
  const size_t latency = mst_loudnorm_get_latency (ln);
  size_t pending = mst_loudnorm_get_pending (ln);
  if (pending <= latency)
    return;
  size_t n = pending - latency, in_fifo = fifo_held (ln);
  n = n < in_fifo ? n : in_fifo;
  mst_delayline_set_format (ln->fifo, fmt);
  mst_delayline_pull (ln->fifo, (char *) out + *written * frame_bytes (ln,
          fmt), n);
  *written += n;
}

MST_ALWAYS_INLINE MstResult
process (MstLoudnorm * ln, const void *in, size_t n_in, void *out,
    size_t *n_out, MstFormat fmt)
{
  if (!ln || !n_out || (n_in > 0 && (!in || !out)) || ln->channels == 0)
    return MST_ERR_INVALID_ARG;
  const size_t bpf = frame_bytes (ln, fmt);
  size_t done = 0, written = 0;
  *n_out = 0;
  while (done < n_in) {
    size_t piece = n_in - done;
    size_t to_step = mst_kmeter_frames_to_step (ln->in_meter);
    size_t to_tick = ln->control_frames - ln->control_pos;
    piece = piece < to_step ? piece : to_step;
    piece = piece < to_tick ? piece : to_tick;
    const void *src = (const char *) in + done * bpf, *delayed;
    size_t n_delayed = 0;
    /* Samples not finite or beyond +60 dBFS (mst-core.h) are read as
     * silence by the meter, the controller and the limiter alike. */
    if (!mst_input_sane (src, piece * ln->channels, fmt)) {
      ln->n_bad += mst_input_clean (src, piece * ln->channels,
          ln->clean, fmt);
      src = ln->clean;
    }
    /* Measured and delayed before the limiter may overwrite it (out may
     * be in: the frames written never pass the frames read). */
    kmeter_add (ln->in_meter, src, piece, fmt);
    if (ln->ahead) {
      mst_delayline_set_format (ln->delay, fmt);
      mst_delayline_push (ln->delay, src, piece);
    } else {
      n_delayed = delay (ln, src, piece, &delayed, fmt);
    }
    done += piece;
    /* Without a lookahead of a tick, the delayed frames of the piece go
     * through the limiter first (and the output blocks they end), then
     * the input step and the tick that end with it: a gain the tick sets
     * applies from the same frame however the input is cut into calls.
     * Ahead, the limiter is fed at the ticks only, after the gain moved,
     * with the frames from delay_frames back on: the same frame. */
    if (!ln->ahead)
      limit (ln, delayed, n_delayed, (char *) out + written * bpf, &written,
          fmt);
    if (mst_kmeter_step_completed (ln->in_meter))
      controller_step (ln);
    ln->control_pos += piece;
    if (ln->control_pos >= ln->control_frames) {
      ln->control_pos = 0;
      controller_tick (ln);
      if (ln->ahead)
        feed_ahead (ln, fmt);
    }
    if (ln->ahead)
      give_ahead (ln, out, &written, fmt);
  }
  *n_out = written;
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
drain (MstLoudnorm * ln, void *out, size_t *n_out, MstFormat fmt)
{
  if (!ln || !out || !n_out)
    return MST_ERR_INVALID_ARG;
  const size_t bpf = frame_bytes (ln, fmt);
  size_t written = 0, k = 0, held;
  MstResult r;
  /* The fifo's frames first (ahead), then the delay line's, oldest
   * first, through the limiter. */
  if (ln->ahead) {
    size_t n = mst_delayline_get_pending (ln->fifo);
    mst_delayline_set_format (ln->fifo, fmt);
    mst_delayline_pull (ln->fifo, out, n);
    written = n;
    mst_delayline_reset (ln->fifo);
  }
  if (ln->delay) {
    mst_delayline_set_format (ln->delay, fmt);
    while ((held = mst_delayline_get_pending (ln->delay)) > 0) {
      size_t n = held < ln->control_frames ? held : ln->control_frames;
      mst_delayline_pull (ln->delay, ln->scratch, n);
      limit (ln, ln->scratch, n, (char *) out + written * bpf, &written,
          fmt);
    }
    mst_delayline_reset (ln->delay);
  }
  if (fmt == MST_FORMAT_F64)
    r = mst_limiter_drain_f64 (ln->limiter, (double *) out + written
        * ln->channels, &k);
  else
    r = mst_limiter_drain_f32 (ln->limiter, (float *) out + written
        * ln->channels, &k);
  if (r == MST_OK)
    meter_output (ln, (char *) out + written * bpf, k, fmt);
  *n_out = written + k;
  ln->started = false;
  /* The drain reset the limiter: give it the gain back. */
  apply_gain (ln);
  return r;
}

MST_DEFINE_PROCESS_DELAYING (mst_loudnorm, MstLoudnorm, process, drain)

void
mst_loudnorm_get_status (MstLoudnorm * ln, MstLoudnormStatus * st,
    bool reset_max)
{
  st->gain_db = ln->gain_db;
  st->target_gain_db = ln->target_gain_db;
  st->estimate_lufs = mst_bs1770_power_to_lufs (ln->estimate_power);
  st->input_momentary = mst_kmeter_get_momentary (ln->in_meter);
  st->input_short_term = mst_kmeter_get_short_term (ln->in_meter);
  st->input_integrated = mst_kmeter_get_integrated (ln->in_meter);
  st->output_momentary = mst_kmeter_get_momentary (ln->out_meter);
  st->output_short_term = mst_kmeter_get_short_term (ln->out_meter);
  st->output_integrated = mst_kmeter_get_integrated (ln->out_meter);
  mst_limiter_get_gain_reduction (ln->limiter, &st->gain_reduction_db,
      &st->gain_reduction_max_db, reset_max);
  /* -20 log10 (1) is -0: shown as 0. */
  st->gain_reduction_db += 0.0;
  st->gain_reduction_max_db += 0.0;
}
