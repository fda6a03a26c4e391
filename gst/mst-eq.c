/* mastering: parametric equalizer core, an orchestration of blocks.
 *
 * Audio is processed in blocks of BLOCK_FRAMES frames, converted to planar
 * doubles. Bands (mst-eq-band) run in index order, each a biquad cascade
 * (mst-biquad); mid/side bands switch the front pair to mid/side and back
 * only where the band order needs it. Parameters glide with a one-pole
 * smoother (mst-smoother) evaluated every control period (about 0.67 ms);
 * each glide step is a new design, and the cascade ramps its coefficients
 * linearly per sample between steps. Structure changes crossfade through
 * the dry signal. */
#include "mst-eq.h"
#include "mst-eq-band.h"
#include "mst-cpu.h"
#include "mst-fpu.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_FRAMES 1024
#define CONTROL_PERIOD_S (1.0 / 1500.0)

struct MstEq {
  int max_channels;
  MstEqBandContext ctx;         /* format, control period, glide and fade
                                 * steps: what the bands share */
  int n_bands;
  MstEqBand bands[MST_EQ_MAX_BANDS];
  MstGainGlide gain;             /* output gain */
  bool bypass;
  double wet, wet_target;       /* bypass crossfade */
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

MstResult
mst_eq_set (MstEq * eq, const MstEqSettings * s)
{
  if (!eq || !s || s->num_bands < 0 || s->num_bands > MST_EQ_MAX_BANDS
      || !(s->gain_db >= MST_EQ_MIN_GAIN_DB && s->gain_db <= MST_EQ_MAX_GAIN_DB))
    return MST_ERR_INVALID_ARG;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (!mst_eq_band_settings_valid (&s->bands[b]))
      return MST_ERR_INVALID_ARG;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    mst_eq_band_set_target (&eq->bands[b], &s->bands[b]);
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

void
mst_eq_reset (MstEq * eq)
{
  if (!eq)
    return;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    mst_eq_band_reset (&eq->bands[b], &eq->ctx, b < eq->n_bands);
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
  eq->ctx.rate_hz = rate_hz;
  eq->ctx.channels = channels;
  eq->ctx.left_index = left_index;
  eq->ctx.right_index = right_index;
  eq->ctx.control_frames = (int) fmin (BLOCK_FRAMES,
      fmax (8.0, round (rate_hz * CONTROL_PERIOD_S)));
  eq->ctx.glide_coef = mst_smoother_one_pole_coef (eq->ctx.control_frames,
      rate_hz, MST_EQ_SMOOTHING_MS);
  eq->ctx.fade_step = mst_smoother_fade_step (rate_hz, MST_EQ_SMOOTHING_MS);
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
    if (eq->bands[b].active
        || mst_eq_band_wants_processing (&eq->bands[b], b < eq->n_bands))
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

static void
set_mid_side (MstEq * eq, bool mid_side, int n)
{
  if (eq->mid_side == mid_side || eq->ctx.left_index < 0)
    return;
  mst_planar_mid_side (channel_buffer (eq, eq->ctx.left_index),
      channel_buffer (eq, eq->ctx.right_index), mid_side, n);
  eq->mid_side = mid_side;
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
    MstEqBand *band = &eq->bands[b];
    if (!band->active)
      continue;
    if (!mst_eq_band_is_steady (band))
      return false;
    cascades[n_cascades++] = &band->cascade;
    n_sections += band->cascade.n_sections;
  }
  if (n_sections == 0)
    return direct == NULL;
  if (direct && (eq->gain.db != eq->gain.target_db || eq->wet != 1.0
          || eq->wet_target != 1.0))
    return false;
  mst_biquad_cascades_run_fused_fast (cascades, n_cascades, eq->ctx.channels,
      eq->planar, BLOCK_FRAMES, direct, eq->gain.lin, n);
  return true;
}

/* The bands one after the other, the front pair switched to mid/side and
 * back only where a band needs the other form. */
static void
process_bands (MstEq * eq, int n)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    MstEqBand *band = &eq->bands[b];
    if (!band->active)
      continue;
    if (band->channels == MST_EQ_CHANNELS_MID
        || band->channels == MST_EQ_CHANNELS_SIDE)
      set_mid_side (eq, true, n);
    else if (band->channels == MST_EQ_CHANNELS_LEFT
        || band->channels == MST_EQ_CHANNELS_RIGHT)
      set_mid_side (eq, false, n);
    mst_eq_band_process (band, &eq->ctx, eq->planar, eq->dry, BLOCK_FRAMES,
        eq->ramp, n);
  }
}

/* Resets any band state that went non-finite; true if any did. */
static bool
check_finite (MstEq * eq)
{
  bool reset = false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (eq->bands[b].active)
      reset |= mst_biquad_cascade_check_finite (&eq->bands[b].cascade,
          eq->ctx.channels);
  return reset;
}

static void
finish_bands (MstEq * eq, int n)
{
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    mst_eq_band_finish (&eq->bands[b], &eq->ctx, b < eq->n_bands, n);
}

/* Processes the planar block (n frames) in place; true when state went
 * non-finite and was reset. */
static bool
process_planar (MstEq * eq, int n)
{
  bool bypass_fading = eq->wet != 1.0 || eq->wet_target != 1.0;

  if (bypass_fading)
    memcpy (eq->bypass_dry, eq->planar,
        sizeof (double) * eq->ctx.channels * BLOCK_FRAMES);
  if (!run_steady_bands (eq, n, NULL))
    process_bands (eq, n);
  finish_bands (eq, n);
  set_mid_side (eq, false, n);
  mst_gain_glide_apply (&eq->gain, eq->planar, BLOCK_FRAMES, eq->ctx.channels,
      n, eq->ctx.control_frames, eq->ctx.glide_coef, MST_EQ_SNAP_DB,
      eq->ramp);
  if (bypass_fading) {
    eq->wet = mst_smoother_fade_planar (eq->wet, eq->wet_target,
        eq->ctx.fade_step, eq->planar, eq->bypass_dry, BLOCK_FRAMES, NULL,
        eq->ctx.channels, n, eq->ramp);
    if (eq->wet == 0.0 && eq->bypass) {
      /* Fully bypassed: start clean when re-enabled. */
      double wet_target = eq->wet_target;
      mst_eq_reset (eq);
      eq->wet_target = wet_target;
    }
  }
  if (check_finite (eq)) {
    mst_planar_zero_nonfinite (eq->planar,
        (size_t) eq->ctx.channels * BLOCK_FRAMES, MST_FORMAT_F64);
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
    char *block = (char *) frames + done * eq->ctx.channels * width;
    /* Input that is not finite or beyond +60 dBFS (mst-core.h) is read
     * as silence, whatever runs: bands, the gain alone or a bypass fade. */
    bool bad = !mst_input_sane_fast (block, n * eq->ctx.channels, fmt);
    if (bad)
      mst_input_clean (block, n * eq->ctx.channels, block, fmt);
    for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
      mst_eq_band_update_targets (&eq->bands[b], &eq->ctx,
          b < eq->n_bands);
    if (fmt == MST_FORMAT_F32 && eq->ctx.channels == 2
        && run_steady_bands (eq, n, (float *) block)) {
      finish_bands (eq, n);
      if (check_finite (eq)) {
        mst_planar_zero_nonfinite (block, 2 * (size_t) n, fmt);
        bad = true;
      }
    } else {
      mst_planar_load (eq->planar, BLOCK_FRAMES, block, eq->ctx.channels,
          n, fmt);
      bad |= process_planar (eq, n);
      mst_planar_store (block, eq->planar, BLOCK_FRAMES, eq->ctx.channels,
          n, fmt);
    }
    eq->nonfinite_count += bad;
    done += n;
    if (mst_eq_is_passthrough (eq)) {
      /* Settled mid-call: the rest passes bit-exact, but the call began
       * processing, so its non-finite and absurd samples are still read
       * as silence (counted once). */
      char *rest = (char *) frames + done * eq->ctx.channels * width;
      size_t count = (n_frames - done) * eq->ctx.channels;
      if (!mst_input_sane_fast (rest, count, fmt)) {
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
