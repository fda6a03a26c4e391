/* mastering: the dynamics core (see mst-dynamics.h). */
#include "mst-dynamics.h"
#include "mst-cpu.h"
#include "mst-delayline.h"
#include "mst-fpu.h"
#include "mst-gainapply.h"
#include "mst-planar.h"
#include "mst-smoother.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK MST_DYNAMICS_BLOCK
/* Length of the glides of mix, bypass, apply mode and listen. */
#define FADE_MS 10.0

struct MstDynamics {
  MstDynamicsSettings set;
  int max_channels;
  double rate_hz;
  int channels, key_channels;   /* key_channels 0: keyed by the audio */
  size_t latency;
  MstDynamicsGain *gain;
  MstDelayLine *delay;
  MstFormat fmt;
  /* Output stage: the wet/dry balance in use (bypass is a mix of 0), and a
   * crossfade from the previous output shape (apply mode, listen) to the
   * new one. */
  double mix, fade_step;
  double shape_fade;            /* 1: the current shape alone */
  MstDynamicsApply prev_apply;
  bool prev_listen;
  bool band_running;            /* the audio's band filter ran last block */
  bool fresh;                   /* nothing processed since the reset: new
                                 * settings apply at once */
  uint64_t nonfinite;
  /* Scratch, each BLOCK frames x channels: the key (planar), the gains
   * (planar), the delayed audio (planar), its band, the previous shape's
   * output, the ramp; an interleaved block for cleaned input; zeros for
   * the drain. */
  double *key, *gains, *x, *band, *prev, *ramp;
  void *clean, *zeros;
};

MstDynamics *
mst_dynamics_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDynamics *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  d->max_channels = max_channels;
  size_t frame_bytes = sizeof (double) * BLOCK * max_channels;
  d->gain = mst_dynamics_gain_init (max_channels);
  size_t max_latency = (size_t) ceil (MST_DYNAMICS_MAX_LOOKAHEAD_MS * 1e-3
      * MST_MAX_RATE_HZ);
  d->delay = mst_delayline_init (max_channels, max_latency + BLOCK);
  d->key = malloc (frame_bytes);
  d->gains = malloc (frame_bytes);
  d->x = malloc (frame_bytes);
  d->band = malloc (frame_bytes);
  d->prev = malloc (frame_bytes);
  d->ramp = malloc (sizeof (double) * BLOCK);
  d->clean = malloc (frame_bytes);
  d->zeros = calloc (1, frame_bytes);
  if (!d->gain || !d->delay || !d->key || !d->gains || !d->x || !d->band
      || !d->prev || !d->ramp || !d->clean || !d->zeros) {
    mst_dynamics_destroy (&d);
    return NULL;
  }
  mst_dynamics_settings_default (&d->set);
  return d;
}

void
mst_dynamics_destroy (MstDynamics ** d)
{
  if (!d || !*d)
    return;
  mst_dynamics_gain_destroy (&(*d)->gain);
  mst_delayline_destroy (&(*d)->delay);
  free ((*d)->key);
  free ((*d)->gains);
  free ((*d)->x);
  free ((*d)->band);
  free ((*d)->prev);
  free ((*d)->ramp);
  free ((*d)->clean);
  free ((*d)->zeros);
  free (*d);
  *d = NULL;
}

static double
target_mix (const MstDynamicsSettings * s)
{
  return s->bypass ? 0.0 : s->mix;
}

MstResult
mst_dynamics_configure (MstDynamics * d, double rate_hz, int channels,
    int key_channels, double lookahead_ms)
{
  if (!d || channels < 1 || channels > d->max_channels || key_channels < 0
      || key_channels > d->max_channels
      || !(lookahead_ms >= 0.0 && lookahead_ms <= MST_DYNAMICS_MAX_LOOKAHEAD_MS))
    return MST_ERR_INVALID_ARG;
  MstResult r = mst_dynamics_gain_configure (d->gain, rate_hz,
      key_channels ? key_channels : channels, channels);
  if (r != MST_OK)
    return r;
  r = mst_delayline_configure (d->delay, channels);
  if (r != MST_OK)
    return r;
  mst_dynamics_gain_set (d->gain, &d->set);
  d->rate_hz = rate_hz;
  d->channels = channels;
  d->key_channels = key_channels;
  d->latency = (size_t) llround (lookahead_ms * 1e-3 * rate_hz);
  d->fade_step = mst_smoother_fade_step (rate_hz, FADE_MS);
  d->nonfinite = 0;
  d->fmt = MST_FORMAT_F32;
  mst_delayline_set_format (d->delay, d->fmt);
  mst_dynamics_reset (d);
  return MST_OK;
}

MstResult
mst_dynamics_set (MstDynamics * d, const MstDynamicsSettings * s)
{
  if (!d || !s)
    return MST_ERR_INVALID_ARG;
  MstResult r = mst_dynamics_gain_set (d->gain, s);
  if (r != MST_OK)
    return r;
  bool shape_changed = s->apply != d->set.apply || s->listen != d->set.listen;
  if (d->fresh) {
    d->set = *s;
    mst_dynamics_reset (d);
    return MST_OK;
  }
  if (shape_changed && d->rate_hz > 0.0) {
    d->prev_apply = d->set.apply;
    d->prev_listen = d->set.listen;
    d->shape_fade = 0.0;
  }
  d->set = *s;
  return MST_OK;
}

void
mst_dynamics_reset (MstDynamics * d)
{
  if (!d)
    return;
  mst_dynamics_gain_reset (d->gain);
  mst_delayline_reset (d->delay);
  d->mix = target_mix (&d->set);
  d->shape_fade = 1.0;
  d->prev_apply = d->set.apply;
  d->prev_listen = d->set.listen;
  d->fresh = true;
  d->band_running = false;
}

size_t
mst_dynamics_get_latency (const MstDynamics * d)
{
  return d ? d->latency : 0;
}

size_t
mst_dynamics_get_pending (const MstDynamics * d)
{
  return d ? mst_delayline_get_pending (d->delay) : 0;
}

/* One output shape over n frames: wet (the gain applied, whole or to the
 * band) mixed with the dry x by the ramp, or the band alone when
 * listening. */
MST_ALWAYS_INLINE void
shape_body (const MstDynamics * d, MstDynamicsApply apply, bool listen,
    const double *x, const double *band, const double *gains, bool shared,
    const double *mix_ramp, double mix_value, double *out, size_t n)
{
  for (int c = 0; c < d->channels; c++) {
    const double *xc = x + (size_t) c * BLOCK, *bc = band + (size_t) c * BLOCK;
    const double *gc = gains + (shared ? 0 : (size_t) c * BLOCK);
    double *oc = out + (size_t) c * BLOCK;
#define MIX(i) (mix_ramp ? mix_ramp[i] : mix_value)
    if (listen) {
      for (size_t i = 0; i < n; i++)
        oc[i] = xc[i] + MIX (i) * (bc[i] - xc[i]);
    } else if (apply == MST_DYNAMICS_SPLIT) {
      for (size_t i = 0; i < n; i++)
        oc[i] = xc[i] + MIX (i) * ((gc[i] - 1.0) * bc[i]);
    } else if (!mix_ramp && mix_value == 1.0) {
      for (size_t i = 0; i < n; i++)
        oc[i] = gc[i] * xc[i];
    } else {
      for (size_t i = 0; i < n; i++)
        oc[i] = xc[i] + MIX (i) * (gc[i] * xc[i] - xc[i]);
    }
#undef MIX
  }
}

/* The shape with the mix gliding (a ramp) or constant (NULL, the value),
 * each loop vectorised. */
MST_VECTORISE_AVX2
static void
shape (const MstDynamics * d, MstDynamicsApply apply, bool listen,
    const double *x, const double *band, const double *gains, bool shared,
    const double *mix_ramp, double mix_value, double *out, size_t n)
{
  if (mix_ramp)
    shape_body (d, apply, listen, x, band, gains, shared, mix_ramp, 0.0, out,
        n);
  else
    shape_body (d, apply, listen, x, band, gains, shared, NULL, mix_value,
        out, n);
}

/* The output stage over n delayed frames in d->x (planar), gains from
 * d->gains (row 0 alone when shared); the result in d->x. */
static void
output_stage (MstDynamics * d, const double *gains, bool shared, size_t n)
{
  const bool band_needed = d->set.listen || d->set.apply == MST_DYNAMICS_SPLIT
      || (d->shape_fade < 1.0 && (d->prev_listen
              || d->prev_apply == MST_DYNAMICS_SPLIT));
  const double *band = d->band;
  if (band_needed && d->latency == 0 && d->key_channels == 0) {
    /* Keyed by itself without lookahead, the audio is the key: its band is
     * the key's, filtered once by the gain stage (the same design, the
     * same glides, the same cleaned samples); the whole signal without
     * filters. */
    band = mst_dynamics_gain_get_filtered_key (d->gain);
    if (!band)
      band = d->x;
  } else if (band_needed) {
    /* The band: the key filters on the audio (the whole signal without
     * them). Their history restarts when the band comes back into use: it
     * is not run while nothing plays it (a compressor with a key high-pass
     * in wideband mode), and the shape's crossfade covers the restart. */
    for (int c = 0; c < d->channels; c++)
      memcpy (d->band + (size_t) c * BLOCK, d->x + (size_t) c * BLOCK,
          n * sizeof (double));
    if (!d->band_running)
      mst_dynamics_gain_restart_audio_filter (d->gain);
    mst_dynamics_gain_filter_audio (d->gain, d->band, BLOCK, n);
  }
  d->band_running = band_needed;
  const double *ramp = NULL, mix = target_mix (&d->set);
  if (d->mix != mix) {
    d->mix = mst_smoother_fade_fill (d->ramp, d->mix, mix, d->fade_step,
        (int) n);
    ramp = d->ramp;
  }
  if (d->shape_fade < 1.0) {
    double fade[BLOCK];
    shape (d, d->prev_apply, d->prev_listen, d->x, band, gains, shared,
        ramp, mix, d->prev, n);
    d->shape_fade = mst_smoother_fade_fill (fade, d->shape_fade, 1.0,
        d->fade_step, (int) n);
    shape (d, d->set.apply, d->set.listen, d->x, band, gains, shared,
        ramp, mix, d->x, n);
    for (int c = 0; c < d->channels; c++)
      mst_smoother_crossfade (d->x + (size_t) c * BLOCK,
          d->prev + (size_t) c * BLOCK, fade, (int) n);
  } else {
    shape (d, d->set.apply, d->set.listen, d->x, band, gains, shared,
        ramp, mix, d->x, n);
  }
}

/* Whether the output is wet = g x at a steady mix of 1 and no shape is
 * fading: no band, no dry share. */
static bool
wideband_steady (const MstDynamics * d)
{
  return d->set.apply == MST_DYNAMICS_WIDEBAND && !d->set.listen
      && d->shape_fade >= 1.0 && d->mix == 1.0 && target_mix (&d->set) == 1.0;
}

/* A self-keyed chunk without lookahead at wideband_steady: the key's
 * periods read from the frames as they are, the gains applied to them
 * there (the same products as the planar path's, so the same output), and
 * a block whose gain is 1 throughout (a gate open, a compressor below its
 * threshold) left as it is. */
MST_ALWAYS_INLINE size_t
wideband_frames (MstDynamics * d, const void *in, size_t n, void *out,
    MstFormat fmt)
{
  const int ch = d->channels;
  bool shared = false;
  /* Non-finite and absurd audio is silence. When the gain stage reads
   * every sample of the frames it counts them as it goes (the key is the
   * audio): the frames are cleaned only when it found some, and counted
   * once, there. Otherwise they are checked first. */
  const bool checked = mst_dynamics_gain_checks_frames (d->gain);
  uint64_t before = mst_dynamics_gain_get_nonfinite_count (d->gain);
  if (!checked && !mst_input_sane (in, n * ch, fmt)) {
    d->nonfinite += mst_input_clean (in, n * ch, d->clean, fmt);
    in = d->clean;
  }
  /* Where the gain stage reads the frames, its gains stay pending and go
   * straight onto the frames (no rows). */
  double *rows_out = checked ? NULL : d->gains;
  if (fmt == MST_FORMAT_F64)
    mst_dynamics_gain_process_frames_f64 (d->gain, in, n, rows_out, BLOCK,
        &shared);
  else
    mst_dynamics_gain_process_frames_f32 (d->gain, in, n, rows_out, BLOCK,
        &shared);
  if (checked && mst_dynamics_gain_get_nonfinite_count (d->gain) != before) {
    mst_input_clean (in, n * ch, d->clean, fmt);
    in = d->clean;
  }
  d->band_running = false;
  if (checked) {
    if (fmt == MST_FORMAT_F64)
      mst_dynamics_gain_apply_pending_f64 (d->gain, in, out, n);
    else
      mst_dynamics_gain_apply_pending_f32 (d->gain, in, out, n);
    return n;
  }
  double flat = 0.0;
  if (mst_dynamics_gain_is_flat (d->gain, &flat)) {
    if (flat == 1.0) {
      if (out != in)
        memmove (out, in, n * ch * (fmt == MST_FORMAT_F64 ? sizeof (double)
                : sizeof (float)));
      return n;
    }
    /* One gain throughout, the rows unwritten. */
    for (size_t i = 0; i < n; i++)
      d->gains[i] = flat;
    shared = true;
  }
  const double *rows[MST_MAX_CHANNELS];
  for (int c = 0; c < ch; c++)
    rows[c] = d->gains + (shared ? 0 : (size_t) c * BLOCK);
  const double no_ceiling = INFINITY;
  mst_gain_apply (rows, shared, in, out, (int) n, ch, &no_ceiling, true, fmt);
  return n;
}

/* Whether the output is the split band's reduction at a steady mix, no
 * listen, no shape fading: out = x + mix (g - 1) band. */
static bool
split_steady (const MstDynamics * d)
{
  return d->set.apply == MST_DYNAMICS_SPLIT && !d->set.listen
      && d->shape_fade >= 1.0 && d->mix == target_mix (&d->set);
}

/* out = x + mix (g - 1) band over @n interleaved frames of @ch channels
 * (@band planar, channel c's at c BLOCK, or NULL: the whole signal), as
 * shape's SPLIT loop writes it, in double, rounded to @fmt. */
MST_ALWAYS_INLINE void
split_out_body (const void *x, void *y, const double *gains, bool shared,
    const double *band, double mix, int ch, size_t n, MstFormat fmt)
{
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < ch; c++) {
      const size_t k = i * (size_t) ch + (size_t) c;
      const double xv = mst_sample_get (fmt, x, k);
      const double b = band ? band[(size_t) c * BLOCK + i] : xv;
      const double g = gains[(shared ? 0 : (size_t) c * BLOCK) + i];
      mst_sample_put (fmt, y, k, xv + mix * ((g - 1.0) * b));
    }
}

typedef double V4d __attribute__ ((vector_size (32)));
typedef float V4f __attribute__ ((vector_size (16)));
typedef float V8f __attribute__ ((vector_size (32)));

/* split_out_body of stereo F32 with one gain, four frames a step through
 * registers: written in place (@y = @x, the element's buffers), the
 * compiler's own vectorisation gives up on the aliasing. The same
 * operations in the same order. The halves are split and joined by
 * shuffles: through memory (two 16-byte stores read back as one 32-byte
 * load) the load waits for the stores to retire, a failed store
 * forwarding that took most of the stage's time. */
MST_ALWAYS_INLINE size_t
split_out_stereo4 (const float *x, float *y, const double *gains,
    const double *band, double mix, size_t n)
{
  const V4d one = { 1.0, 1.0, 1.0, 1.0 };
  const V4d vmix = { mix, mix, mix, mix };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V8f xv;
    V4d bl, br, g;
    memcpy (&xv, x + 2 * i, sizeof xv);
    /* Left samples and right samples (GCC 12 and clang both have
     * __builtin_shufflevector). */
    const V4f l4 = __builtin_shufflevector (xv, xv, 0, 2, 4, 6);
    const V4f r4 = __builtin_shufflevector (xv, xv, 1, 3, 5, 7);
    const V4d xl = __builtin_convertvector (l4, V4d);
    const V4d xr = __builtin_convertvector (r4, V4d);
    memcpy (&bl, band + i, sizeof bl);
    memcpy (&br, band + BLOCK + i, sizeof br);
    memcpy (&g, gains + i, sizeof g);
    const V4d gm = g - one;
    const V4f yl = __builtin_convertvector (xl + vmix * (gm * bl), V4f);
    const V4f yr = __builtin_convertvector (xr + vmix * (gm * br), V4f);
    const V8f yv = __builtin_shufflevector (yl, yr, 0, 4, 1, 5, 2, 6, 3, 7);
    memcpy (y + 2 * i, &yv, sizeof yv);
  }
  return i;
}

/* split_out_body, stereo (the common case) with the channel count a
 * constant. */
MST_VECTORISE_AVX2
static void
split_out_f32 (const float *x, float *y, const double *gains, bool shared,
    const double *band, double mix, int ch, size_t n)
{
  if (ch == 2 && shared && band) {
    size_t i = split_out_stereo4 (x, y, gains, band, mix, n);
    split_out_body (x + 2 * i, y + 2 * i, gains + i, true, band + i, mix, 2,
        n - i, MST_FORMAT_F32);
  }
#ifndef MST_FEW_KERNEL_COPIES
  /* (The sanitizer build's one copy: the next case's.) */
  else if (ch == 2)
    split_out_body (x, y, gains, shared, band, mix, 2, n, MST_FORMAT_F32);
#endif
  else
    split_out_body (x, y, gains, shared, band, mix, ch, n, MST_FORMAT_F32);
}

MST_VECTORISE_AVX2
static void
split_out_f64 (const double *x, double *y, const double *gains, bool shared,
    const double *band, double mix, int ch, size_t n)
{
#ifndef MST_FEW_KERNEL_COPIES
  if (ch == 2)
    split_out_body (x, y, gains, shared, band, mix, 2, n, MST_FORMAT_F64);
  else
#endif
    split_out_body (x, y, gains, shared, band, mix, ch, n, MST_FORMAT_F64);
}

/* A self-keyed chunk without lookahead at split_steady (the de-esser's
 * defaults): the gain stage takes the frames (made planar once, into its
 * key), and its filtered key, the audio's band, goes straight into the
 * output frames: the same values as the planar path's, without the
 * audio's planar copy and its way back. */
MST_ALWAYS_INLINE size_t
split_frames (MstDynamics * d, const void *in, size_t n, void *out,
    MstFormat fmt)
{
  const int ch = d->channels;
  /* With a band-pass or high-pass on the key, the gain stage checks its
   * planar copy of the frames before filtering and counts what is not
   * sane (as mst_input_sane judges): the frames are cleaned for the output
   * only when it found some, counted once, there. Otherwise they are
   * checked first. */
  const bool key_checks = d->set.key_band_hz > 0.0
      || d->set.key_highpass_hz > 0.0;
  if (!key_checks && !mst_input_sane (in, n * ch, fmt)) {
    d->nonfinite += mst_input_clean (in, n * ch, d->clean, fmt);
    in = d->clean;
  }
  uint64_t before = mst_dynamics_gain_get_nonfinite_count (d->gain);
  bool shared = false;
  if (fmt == MST_FORMAT_F64)
    mst_dynamics_gain_process_frames_f64 (d->gain, in, n, d->gains, BLOCK,
        &shared);
  else
    mst_dynamics_gain_process_frames_f32 (d->gain, in, n, d->gains, BLOCK,
        &shared);
  if (key_checks && mst_dynamics_gain_get_nonfinite_count (d->gain)
      != before) {
    mst_input_clean (in, n * ch, d->clean, fmt);
    in = d->clean;
  }
  double flat = 0.0;
  if (mst_dynamics_gain_is_flat (d->gain, &flat)) {
    /* One gain throughout, the rows perhaps unwritten. */
    for (size_t i = 0; i < n; i++)
      d->gains[i] = flat;
    shared = true;
  }
  const double *band = mst_dynamics_gain_get_filtered_key (d->gain);
  d->band_running = true;
  if (fmt == MST_FORMAT_F64)
    split_out_f64 (in, out, d->gains, shared, band, d->mix, ch, n);
  else
    split_out_f32 (in, out, d->gains, shared, band, d->mix, ch, n);
  return n;
}

/* One chunk of at most BLOCK input frames (in; key NULL: keyed by in);
 * writes the frames that are complete to out; returns their count. */
MST_ALWAYS_INLINE size_t
process_chunk (MstDynamics * d, const void *in, const void *key, size_t n,
    void *out, MstFormat fmt)
{
  const int ch = d->channels;
  if (d->latency == 0 && !key && wideband_steady (d))
    return wideband_frames (d, in, n, out, fmt);
  if (d->latency == 0 && !key && split_steady (d))
    return split_frames (d, in, n, out, fmt);
  /* Non-finite and absurd audio is silence from here on (the key's own are
   * counted by the gain stage). */
  if (!mst_input_sane (in, n * ch, fmt)) {
    d->nonfinite += mst_input_clean (in, n * ch, d->clean, fmt);
    in = d->clean;
  }
  /* Without lookahead the audio is its own key as it stands: loaded once. */
  const bool direct = d->latency == 0;
  double *own_key = direct ? d->x : d->key;
  if (key)
    mst_planar_load (d->key, BLOCK, key, d->key_channels, (int) n, fmt);
  else
    mst_planar_load (own_key, BLOCK, in, ch, (int) n, fmt);
  bool shared = false;
  mst_dynamics_gain_process (d->gain, key ? d->key : own_key, BLOCK, n,
      d->gains, BLOCK, &shared);

  if (direct) {
    if (key)
      mst_planar_load (d->x, BLOCK, in, ch, (int) n, fmt);
    output_stage (d, d->gains, shared, n);
    mst_planar_store (out, d->x, BLOCK, ch, (int) n, fmt);
    return n;
  }
  /* Output frame j is input frame j; its gain is the one computed at input
   * frame j + latency. */
  int64_t first_in = mst_delayline_get_written (d->delay);
  mst_delayline_push (d->delay, in, n);
  int64_t first_out = first_in - (int64_t) d->latency;
  int64_t end_out = first_in + (int64_t) n - (int64_t) d->latency;
  if (first_out < 0)
    first_out = 0;
  if (end_out <= first_out)
    return 0;
  size_t m = (size_t) (end_out - first_out);
  size_t gain_offset = (size_t) (first_out + (int64_t) d->latency - first_in);
  mst_delayline_pull (d->delay, out, m);
  mst_planar_load (d->x, BLOCK, out, ch, (int) m, fmt);
  if (gain_offset > 0)
    for (int c = 0; c < (shared ? 1 : ch); c++)
      memmove (d->gains + (size_t) c * BLOCK,
          d->gains + (size_t) c * BLOCK + gain_offset, m * sizeof (double));
  output_stage (d, d->gains, shared, m);
  mst_planar_store (out, d->x, BLOCK, ch, (int) m, fmt);
  return m;
}

MST_ALWAYS_INLINE MstResult
process_body (MstDynamics * d, const void *in, const void *key, size_t n_in,
    void *out, size_t *n_out, MstFormat fmt)
{
  if (!d || !n_out || d->rate_hz == 0.0 || (n_in && (!in || !out))
      || (key && d->key_channels == 0))
    return MST_ERR_INVALID_ARG;
  const size_t bps = fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float);
  const size_t in_frame = bps * d->channels;
  const size_t key_frame = bps * (d->key_channels ? d->key_channels : 1);
  if (d->fmt != fmt) {
    mst_delayline_set_format (d->delay, fmt);
    d->fmt = fmt;
  }
  MstFpuState fpu = mst_fpu_enter_ftz ();
  d->fresh = d->fresh && n_in == 0;
  size_t done = 0, written = 0;
  while (done < n_in) {
    size_t n = n_in - done < BLOCK ? n_in - done : BLOCK;
    written += process_chunk (d, (const char *) in + done * in_frame,
        key ? (const char *) key + done * key_frame : NULL, n,
        (char *) out + written * in_frame, fmt);
    done += n;
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
process_self (MstDynamics * d, const void *in, size_t n_in, void *out,
    size_t *n_out, MstFormat fmt)
{
  return process_body (d, in, NULL, n_in, out, n_out, fmt);
}

/* The drain: the latency's worth of silence pushes the pending frames out,
 * the key silent too. */
MST_ALWAYS_INLINE MstResult
drain_body (MstDynamics * d, void *out, size_t *n_out, MstFormat fmt)
{
  if (!d || !n_out || d->rate_hz == 0.0)
    return MST_ERR_INVALID_ARG;
  size_t pending = mst_delayline_get_pending (d->delay);
  size_t to_push = pending ? d->latency : 0, written = 0;
  const size_t frame = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * d->channels;
  const void *silent_key = d->key_channels ? d->zeros : NULL;
  while (to_push > 0) {
    size_t n = to_push < BLOCK ? to_push : BLOCK;
    size_t m = 0;
    MstResult r = process_body (d, d->zeros, silent_key, n,
        (char *) out + written * frame, &m, fmt);
    if (r != MST_OK)
      return r;
    written += m;
    to_push -= n;
  }
  *n_out = written;
  mst_dynamics_reset (d);
  return MST_OK;
}

MST_DEFINE_PROCESS_DELAYING (mst_dynamics, MstDynamics, process_self,
    drain_body)

MstResult
mst_dynamics_process_keyed_f32 (MstDynamics * d, const float *in,
    const float *key, size_t n_in, float *out, size_t *n_out)
{
  return process_body (d, in, key, n_in, out, n_out, MST_FORMAT_F32);
}

MstResult
mst_dynamics_process_keyed_f64 (MstDynamics * d, const double *in,
    const double *key, size_t n_in, double *out, size_t *n_out)
{
  return process_body (d, in, key, n_in, out, n_out, MST_FORMAT_F64);
}

double
mst_dynamics_take_reduction_db (MstDynamics * d)
{
  return d ? mst_dynamics_gain_take_reduction_db (d->gain) : 0.0;
}

double
mst_dynamics_get_current_db (const MstDynamics * d)
{
  return d ? mst_dynamics_gain_get_current_db (d->gain) : 0.0;
}

double
mst_dynamics_get_makeup_db (const MstDynamics * d)
{
  return d ? mst_dynamics_gain_get_makeup_db (d->gain) : 0.0;
}

uint64_t
mst_dynamics_get_nonfinite_count (const MstDynamics * d)
{
  return d ? d->nonfinite + mst_dynamics_gain_get_nonfinite_count (d->gain)
      : 0;
}
