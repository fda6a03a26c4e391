/* mastering: parametric equalizer core, an orchestration of blocks.
 *
 * Audio is processed in blocks of BLOCK_FRAMES frames, converted to planar
 * doubles. Bands run in index order, each a biquad cascade (mst-biquad);
 * mid/side bands switch the front pair to mid/side and back only where the
 * band order needs it. Parameters glide with a one-pole smoother
 * (mst-smoother) evaluated every control period (about 0.67 ms); each glide
 * step is a new design, and the cascade ramps its coefficients linearly
 * per sample between steps. Structure changes crossfade through the dry
 * signal. */
#include "mst-eq.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

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
  /* Smoothed parameters. */
  double log_freq, gain_db, log_q;
  MstBiquadCascade cascade;     /* the design in use and its history */
  double mix, mix_target;       /* wet amount, 0..1 */
  bool active;                  /* being processed */
  size_t settle_frames_left;    /* a neutral band runs on until its tail decays */
} Band;

struct MstEq {
  int max_channels;
  double rate_hz;
  int channels;
  int left_index, right_index;
  int n_bands;
  Band bands[MST_EQ_MAX_BANDS];
  MstGainGlide gain;             /* output gain */
  bool bypass;
  double wet, wet_target;       /* bypass crossfade */
  int control_frames;
  double glide_coef;            /* one-pole step per control period */
  double fade_step;             /* mix change per frame */
  uint64_t nonfinite_count;
  bool mid_side;                /* the front pair currently holds M/S */
  double *planar;               /* [channel][BLOCK_FRAMES] */
  double *dry;                  /* [channel][BLOCK_FRAMES], a fading band's input */
  double *bypass_dry;           /* [channel][BLOCK_FRAMES], the element's input */
  double ramp[BLOCK_FRAMES];
};

static inline double *
channel_buffer (const MstEq * eq, int channel)
{
  return eq->planar + (size_t) channel * BLOCK_FRAMES;
}

void
mst_eq_settings_default (MstEqSettings * s)
{
  static const MstEqBandSettings flat = {
    {MST_FILTER_PEAK, 1000.0, 0.0, 0.707, 12}, true, MST_EQ_CHANNELS_ALL
  };
  memset (s, 0, sizeof *s);
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    s->bands[b] = flat;
    if (b < 10)
      s->bands[b].filter.freq_hz = 31.25 * (1 << b);
  }
  s->num_bands = 10;
  s->gain_db = 0.0;
  s->bypass = false;
}

static bool
valid_band (const MstEqBandSettings * s)
{
  return mst_filter_params_valid (&s->filter)
      && fabs (s->filter.gain_db) <= MST_EQ_MAX_BAND_GAIN_DB
      && s->channels >= MST_EQ_CHANNELS_ALL
      && s->channels <= MST_EQ_CHANNELS_RIGHT;
}

static bool
band_settings_equal (const MstEqBandSettings * a, const MstEqBandSettings * b)
{
  return mst_filter_params_equal (&a->filter, &b->filter)
      && a->enabled == b->enabled && a->channels == b->channels;
}

MstResult
mst_eq_set (MstEq * eq, const MstEqSettings * s)
{
  if (!eq || !s || s->num_bands < 0 || s->num_bands > MST_EQ_MAX_BANDS
      || !(s->gain_db >= MST_EQ_MIN_GAIN_DB && s->gain_db <= MST_EQ_MAX_GAIN_DB))
    return MST_ERR_INVALID_ARG;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (!valid_band (&s->bands[b]))
      return MST_ERR_INVALID_ARG;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    if (!band_settings_equal (&band->target, &s->bands[b])) {
      band->target = s->bands[b];
      band->target_log_freq = log (band->target.filter.freq_hz);
      band->target_log_q = log (band->target.filter.q);
    }
  }
  eq->n_bands = s->num_bands;
  /* A gain under 1e-9 dB is unity in any float: 0 dB exactly, so that
   * the passthrough test and the processing agree. */
  eq->gain.target_db = fabs (s->gain_db) < 1e-9 ? 0.0 : s->gain_db;
  if (eq->bypass != s->bypass) {
    eq->bypass = s->bypass;
    eq->wet_target = s->bypass ? 0.0 : 1.0;
  }
  return MST_OK;
}

MstEq *
mst_eq_init (int max_channels)
{
  MstEq *eq;
  MstEqSettings defaults;
  size_t planar_bytes;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  eq = calloc (1, sizeof *eq);
  if (!eq)
    return NULL;
  eq->max_channels = max_channels;
  if (!mst_size_mul ((size_t) max_channels * BLOCK_FRAMES, sizeof (double),
          &planar_bytes))
    goto fail;
  /* Zeroed: the finiteness scrub reads whole blocks, past a short one's
   * frames. */
  eq->planar = calloc (1, planar_bytes);
  eq->dry = calloc (1, planar_bytes);
  eq->bypass_dry = calloc (1, planar_bytes);
  if (!eq->planar || !eq->dry || !eq->bypass_dry)
    goto fail;
  mst_eq_settings_default (&defaults);
  eq->gain.lin = 1.0;
  if (mst_eq_set (eq, &defaults) != MST_OK
      || mst_eq_configure (eq, 48000, 1, -1, -1) != MST_OK)
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
  if (mst_filter_design (&p, eq->rate_hz, band->cascade.coefs, &n) == MST_OK)
    band->cascade.n_sections = n;
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
  mst_biquad_cascade_reset (&band->cascade);
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
      mst_biquad_cascade_reset (&band->cascade);
    band->mix = band->mix_target = band->active ? 1.0 : 0.0;
    band->settle_frames_left = 0;
  }
  mst_gain_glide_jump (&eq->gain);
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
  eq->glide_coef = mst_smoother_one_pole_coef (eq->control_frames, rate_hz,
      MST_EQ_SMOOTHING_MS);
  eq->fade_step = mst_smoother_fade_step (rate_hz, MST_EQ_SMOOTHING_MS);
  eq->nonfinite_count = 0;
  mst_eq_reset (eq);
  return MST_OK;
}

uint64_t
mst_eq_get_nonfinite_count (const MstEq * eq)
{
  return eq ? eq->nonfinite_count : 0;
}

MstResult
mst_eq_get_band_sections (const MstEq * eq, int index, MstBiquad * sections,
    int *n_sections)
{
  if (!eq || index < 0 || index >= MST_EQ_MAX_BANDS || !sections
      || !n_sections)
    return MST_ERR_INVALID_ARG;
  const MstBiquadCascade *c = &eq->bands[index].cascade;
  *n_sections = c->n_sections;
  memcpy (sections, c->coefs, sizeof (MstBiquad) * c->n_sections);
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
      && eq->gain.db == eq->gain.target_db && eq->gain.target_db == 0.0;
}

/* The channels band @band filters now: writes up to max_channels indices. */
static int
band_channel_list (const MstEq * eq, const Band * band, int *list)
{
  int n = 0;
  if (band->channels == MST_EQ_CHANNELS_ALL) {
    for (int c = 0; c < eq->channels; c++)
      list[n++] = c;
  } else {
    bool first = band->channels == MST_EQ_CHANNELS_MID
        || band->channels == MST_EQ_CHANNELS_LEFT;
    int index = first ? eq->left_index : eq->right_index;
    if (index >= 0)
      list[n++] = index;
    else if (band->channels == MST_EQ_CHANNELS_MID && eq->channels == 1)
      list[n++] = 0;
  }
  return n;
}

static void
set_mid_side (MstEq * eq, bool mid_side, int n)
{
  if (eq->mid_side == mid_side || eq->left_index < 0)
    return;
  mst_planar_mid_side (channel_buffer (eq, eq->left_index),
      channel_buffer (eq, eq->right_index), mid_side, n);
  eq->mid_side = mid_side;
}

/* Advances the band's glides by one control period; true when the
 * coefficients changed. */
static bool
band_glide (const MstEq * eq, Band * band)
{
  double a = eq->glide_coef;
  bool moved = mst_smoother_one_pole_step (&band->log_freq,
      band->target_log_freq, a, SNAP_LOG);
  moved |= mst_smoother_one_pole_step (&band->log_q, band->target_log_q, a,
      SNAP_LOG);
  moved |= mst_smoother_one_pole_step (&band->gain_db,
      band->target.filter.gain_db, a, SNAP_DB);
  if (moved)
    band_design (eq, band);
  return moved;
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
  band->mix_target = band_structure_matches (band) && index < eq->n_bands
      && band->target.enabled ? 1.0 : 0.0;
}

static void
process_band (MstEq * eq, Band * band, int n)
{
  int list[MST_MAX_CHANNELS];

  if (!band->active)
    return;
  int n_list = band_channel_list (eq, band, list);
  if (band->channels == MST_EQ_CHANNELS_MID
      || band->channels == MST_EQ_CHANNELS_SIDE)
    set_mid_side (eq, true, n);
  else if (band->channels == MST_EQ_CHANNELS_LEFT
      || band->channels == MST_EQ_CHANNELS_RIGHT)
    set_mid_side (eq, false, n);

  bool fading = band->mix != 1.0 || band->mix_target != 1.0;
  for (int offset = 0; offset < n;) {
    int m = fading || eq->control_frames > n - offset ? n - offset
        : eq->control_frames;
    MstBiquad from[MST_FILTER_MAX_SECTIONS];
    memcpy (from, band->cascade.coefs, sizeof from);
    int sections_before = band->cascade.n_sections;
    bool ramping = !fading && band_glide (eq, band)
        && band->cascade.n_sections == sections_before;
    if (!ramping && !fading && offset == 0)
      m = n;                    /* nothing moves: the whole block at once */
    for (int k = 0; fading && k < n_list; k++)
      memcpy (eq->dry + (size_t) list[k] * BLOCK_FRAMES + offset,
          channel_buffer (eq, list[k]) + offset, sizeof (double) * m);
    mst_biquad_cascade_run (&band->cascade, list, n_list,
        eq->planar + offset, BLOCK_FRAMES, ramping ? from : NULL, m);
    if (fading)
      band->mix = mst_smoother_fade_planar (band->mix, band->mix_target,
          eq->fade_step, eq->planar + offset, eq->dry + offset, BLOCK_FRAMES,
          list, n_list, m, eq->ramp);
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
      mst_biquad_cascade_reset (&band->cascade);
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
  MstBiquadCascade *cascades[MST_EQ_MAX_BANDS];
  int n_cascades = 0, n_sections = 0;

  if (eq->mid_side)
    return false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    Band *band = &eq->bands[b];
    if (!band->active)
      continue;
    if (!band_is_steady (band))
      return false;
    cascades[n_cascades++] = &band->cascade;
    n_sections += band->cascade.n_sections;
  }
  if (n_sections == 0)
    return direct == NULL;
  if (direct && (eq->gain.db != eq->gain.target_db || eq->wet != 1.0
          || eq->wet_target != 1.0))
    return false;
  mst_biquad_cascades_run_fused (cascades, n_cascades, eq->channels,
      eq->planar, BLOCK_FRAMES, direct, eq->gain.lin, n);
  return true;
}

/* Resets any band state that went non-finite; true if any did. */
static bool
check_finite (MstEq * eq)
{
  bool reset = false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (eq->bands[b].active)
      reset |= mst_biquad_cascade_check_finite (&eq->bands[b].cascade,
          eq->channels);
  return reset;
}

static void
finish_bands (MstEq * eq, int n)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    band_finish (eq, &eq->bands[b], b, n);
}

/* Processes the planar block (n frames) in place; true when state went
 * non-finite and was reset. */
static bool
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
  mst_gain_glide_apply (&eq->gain, eq->planar, BLOCK_FRAMES, eq->channels, n,
      eq->control_frames, eq->glide_coef, SNAP_DB, eq->ramp);
  if (bypass_fading) {
    eq->wet = mst_smoother_fade_planar (eq->wet, eq->wet_target,
        eq->fade_step, eq->planar, eq->bypass_dry, BLOCK_FRAMES, NULL,
        eq->channels, n, eq->ramp);
    if (eq->wet == 0.0 && eq->bypass) {
      /* Fully bypassed: start clean when re-enabled. */
      double wet_target = eq->wet_target;
      mst_eq_reset (eq);
      eq->wet_target = wet_target;
    }
  }
  if (check_finite (eq)) {
    mst_planar_zero_nonfinite (eq->planar,
        (size_t) eq->channels * BLOCK_FRAMES, MST_FORMAT_F64);
    return true;
  }
  return false;
}

/* One body for both widths. Steady stereo F32 is filtered straight in the
 * frames (converted in registers); F64 always goes through the planar
 * block, as it did before the two bodies were merged, so its output stays
 * bit-exact. */
MST_ALWAYS_INLINE MstResult
eq_process (MstEq * eq, void *frames, size_t n_frames, MstFormat fmt)
{
  const size_t width = fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);

  if (!eq || (!frames && n_frames))
    return MST_ERR_INVALID_ARG;
  if (mst_eq_is_passthrough (eq))
    return MST_OK;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    int n = n_frames - done > BLOCK_FRAMES ? BLOCK_FRAMES
        : (int) (n_frames - done);
    char *block = (char *) frames + done * eq->channels * width;
    /* Input that is not finite or beyond +60 dBFS (mst-core.h) is read
     * as silence, whatever runs: bands, the gain alone or a bypass fade. */
    bool bad = !mst_input_sane (block, n * eq->channels, fmt);
    if (bad)
      mst_input_clean (block, n * eq->channels, block, fmt);
    for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
      band_update_targets (eq, &eq->bands[b], b);
    if (fmt == MST_FORMAT_F32 && eq->channels == 2
        && run_steady_bands (eq, n, (float *) block)) {
      finish_bands (eq, n);
      if (check_finite (eq)) {
        mst_planar_zero_nonfinite (block, 2 * (size_t) n, fmt);
        bad = true;
      }
    } else {
      mst_planar_load (eq->planar, BLOCK_FRAMES, block, eq->channels, n,
          fmt);
      bad |= process_planar (eq, n);
      mst_planar_store (block, eq->planar, BLOCK_FRAMES, eq->channels, n,
          fmt);
    }
    eq->nonfinite_count += bad;
    done += n;
    if (mst_eq_is_passthrough (eq)) {
      /* Settled mid-call: the rest passes bit-exact, but the call began
       * processing, so its non-finite and absurd samples are still read
       * as silence (counted once). */
      char *rest = (char *) frames + done * eq->channels * width;
      size_t count = (n_frames - done) * eq->channels;
      if (!mst_input_sane (rest, count, fmt)) {
        mst_input_clean (rest, count, rest, fmt);
        eq->nonfinite_count++;
      }
      break;
    }
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_IN_PLACE (mst_eq, MstEq, eq_process)
