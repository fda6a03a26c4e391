/* mastering: one band of the parametric equalizer (mst-eq-band.h). */
#include "mst-eq-band.h"
#include "mst-smoother.h"

#include <string.h>

/* Longest settle tail of a band gliding to 0 dB. */
#define SETTLE_MAX_S 2.0

bool
mst_eq_band_settings_valid (const MstEqBandSettings * s)
{
  return mst_filter_params_valid (&s->filter)
      && fabs (s->filter.gain_db) <= MST_EQ_MAX_BAND_GAIN_DB
      && s->channels >= MST_EQ_CHANNELS_ALL
      && s->channels <= MST_EQ_CHANNELS_RIGHT;
}

static bool
settings_equal (const MstEqBandSettings * a, const MstEqBandSettings * b)
{
  return mst_filter_params_equal (&a->filter, &b->filter)
      && a->enabled == b->enabled && a->channels == b->channels;
}

void
mst_eq_band_set_target (MstEqBand * band, const MstEqBandSettings * s)
{
  if (settings_equal (&band->target, s))
    return;
  band->target = *s;
  band->target_log_freq = log (band->target.filter.freq_hz);
  band->target_log_q = log (band->target.filter.q);
}

static bool
is_neutral_target (const MstEqBand * band)
{
  return mst_filter_type_has_gain (band->target.filter.type)
      && band->target.filter.gain_db == 0.0;
}

bool
mst_eq_band_wants_processing (const MstEqBand * band, bool in_use)
{
  return in_use && band->target.enabled && !is_neutral_target (band);
}

/* The band's structure matches its target: only continuous glides remain. */
static bool
structure_matches (const MstEqBand * band)
{
  return band->type == band->target.filter.type
      && band->channels == band->target.channels
      && (band->slope == band->target.filter.slope_db_per_oct
      || (band->type != MST_FILTER_LOW_CUT
          && band->type != MST_FILTER_HIGH_CUT));
}

static void
design (MstEqBand * band, const MstEqBandContext * ctx)
{
  MstFilterParams p = {
    band->type, exp (band->log_freq), band->gain_db, exp (band->log_q),
    band->slope
  };
  int n;
  if (mst_filter_design (&p, ctx->rate_hz, band->cascade.coefs, &n) == MST_OK)
    band->cascade.n_sections = n;
}

static size_t
settle_frames (const MstEqBand * band, const MstEqBandContext * ctx)
{
  /* Ten time constants of the section's poles, Q / (pi f0) each. */
  double tau = exp (band->log_q) / (M_PI * exp (band->log_freq));
  return (size_t) (ctx->rate_hz * fmin (SETTLE_MAX_S, 10.0 * tau + 0.01));
}

/* Takes the target's structure and parameters at once (history cleared). */
static void
snap (MstEqBand * band, const MstEqBandContext * ctx, bool from_neutral)
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
  design (band, ctx);
}

void
mst_eq_band_reset (MstEqBand * band, const MstEqBandContext * ctx,
    bool in_use)
{
  band->active = mst_eq_band_wants_processing (band, in_use);
  /* Inactive bands are designed when they start. */
  if (band->active)
    snap (band, ctx, false);
  else
    mst_biquad_cascade_reset (&band->cascade);
  band->mix = band->mix_target = band->active ? 1.0 : 0.0;
  band->settle_frames_left = 0;
}

/* The channels the band filters now: writes up to ctx->channels indices. */
static int
channel_list (const MstEqBand * band, const MstEqBandContext * ctx,
    int *list)
{
  int n = 0;
  if (band->channels == MST_EQ_CHANNELS_ALL) {
    for (int c = 0; c < ctx->channels; c++)
      list[n++] = c;
  } else {
    bool first = band->channels == MST_EQ_CHANNELS_MID
        || band->channels == MST_EQ_CHANNELS_LEFT;
    int index = first ? ctx->left_index : ctx->right_index;
    if (index >= 0)
      list[n++] = index;
    else if (band->channels == MST_EQ_CHANNELS_MID && ctx->channels == 1)
      list[n++] = 0;
  }
  return n;
}

/* Advances the band's glides by one control period; true when the
 * coefficients changed. */
static bool
glide (MstEqBand * band, const MstEqBandContext * ctx)
{
  double a = ctx->glide_coef;
  bool moved = mst_smoother_one_pole_step (&band->log_freq,
      band->target_log_freq, a, MST_EQ_SNAP_LOG);
  moved |= mst_smoother_one_pole_step (&band->log_q, band->target_log_q, a,
      MST_EQ_SNAP_LOG);
  moved |= mst_smoother_one_pole_step (&band->gain_db,
      band->target.filter.gain_db, a, MST_EQ_SNAP_DB);
  if (moved)
    design (band, ctx);
  return moved;
}

void
mst_eq_band_update_targets (MstEqBand * band, const MstEqBandContext * ctx,
    bool in_use)
{
  bool wants = mst_eq_band_wants_processing (band, in_use);
  if (!band->active) {
    if (wants) {
      /* Starting: a gain band glides up from 0 dB with no fade; other types
       * fade in from the dry signal. */
      bool gain_type = mst_filter_type_has_gain (band->target.filter.type);
      snap (band, ctx, gain_type && band->target.enabled);
      band->active = true;
      band->mix = gain_type ? 1.0 : 0.0;
      band->mix_target = 1.0;
      band->settle_frames_left = 0;
    }
    return;
  }
  band->mix_target = structure_matches (band) && in_use
      && band->target.enabled ? 1.0 : 0.0;
}

void
mst_eq_band_process (MstEqBand * band, const MstEqBandContext * ctx,
    double *planar, double *dry, size_t stride, double *ramp, int n)
{
  int list[MST_MAX_CHANNELS];

  if (!band->active)
    return;
  int n_list = channel_list (band, ctx, list);
  bool fading = band->mix != 1.0 || band->mix_target != 1.0;
  for (int offset = 0; offset < n;) {
    int m = fading || ctx->control_frames > n - offset ? n - offset
        : ctx->control_frames;
    MstBiquad from[MST_FILTER_MAX_SECTIONS];
    memcpy (from, band->cascade.coefs, sizeof from);
    int sections_before = band->cascade.n_sections;
    bool ramping = !fading && glide (band, ctx)
        && band->cascade.n_sections == sections_before;
    if (!ramping && !fading && offset == 0)
      m = n;                    /* nothing moves: the whole block at once */
    for (int k = 0; fading && k < n_list; k++)
      memcpy (dry + (size_t) list[k] * stride + offset,
          planar + (size_t) list[k] * stride + offset, sizeof (double) * m);
    mst_biquad_cascade_run (&band->cascade, list, n_list, planar + offset,
        stride, ramping ? from : NULL, m);
    if (fading)
      band->mix = mst_smoother_fade_planar (band->mix, band->mix_target,
          ctx->fade_step, planar + offset, dry + offset, stride, list,
          n_list, m, ramp);
    offset += m;
  }
}

void
mst_eq_band_finish (MstEqBand * band, const MstEqBandContext * ctx,
    bool in_use, int n)
{
  if (!band->active)
    return;
  if (band->mix == 0.0 && band->mix_target == 0.0) {
    /* Faded out: take the new structure, or stop. */
    band->active = false;
    if (mst_eq_band_wants_processing (band, in_use)) {
      snap (band, ctx, false);
      band->active = true;
      band->mix_target = 1.0;
    }
    return;
  }
  /* A gain band that reached 0 dB runs until its tail has decayed. */
  if (is_neutral_target (band) && band->gain_db == 0.0 && band->mix == 1.0) {
    if (band->settle_frames_left == 0)
      band->settle_frames_left = settle_frames (band, ctx) + 1;
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

bool
mst_eq_band_is_steady (const MstEqBand * band)
{
  return band->mix == 1.0 && band->mix_target == 1.0
      && band->channels == MST_EQ_CHANNELS_ALL
      && structure_matches (band)
      && band->log_freq == band->target_log_freq
      && band->log_q == band->target_log_q
      && band->gain_db == band->target.filter.gain_db;
}
