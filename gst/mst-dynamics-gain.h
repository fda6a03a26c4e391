/* mastering: the gain stage of every dynamics processor (pure C, no
 * GObject): key frames in, a gain per frame and channel out. The
 * compressor, the gate, the de-esser (gst/mst-dynamics.h) and each band of
 * the multiband compressor run one. */
#ifndef MST_DYNAMICS_GAIN_H
#define MST_DYNAMICS_GAIN_H

#include "mst-core.h"
#include "mst-gain-computer.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The chain, per block of key frames (docs/blocks/dynamics.md):
 *
 *   key -> key filters (high-pass, low-pass, band-pass; each optional)
 *       -> level (peak |x| or RMS over rms_window_ms; channels linked)
 *       -> static curve (mst-gain-computer: threshold, ratio, knee, range;
 *          with the gate's hysteresis)
 *       -> ballistics on the gain in dB (attack, hold, release)
 *       -> makeup -> linear gain.
 *
 * Time constants. attack_ms and release_ms are one-pole time constants,
 * the pack's one convention (STYLE.md): after a step of the input level
 * the gain has covered 63 % (1 - 1/e) of its change in dB at T, 86 % at
 * 2 T, 95 % at 3 T. FFmpeg's acompressor and agate reach 98 % at their T
 * (ours = theirs / 4); LSP reaches 71 % (ours = 0.814 x theirs). Attack
 * is how fast the gain answers a rising level (a compressor's and
 * de-esser's gain falls, a gate opens, an upward compressor's boost
 * falls), release how fast it answers a falling one.
 *
 * Ballistics. The gain in dB goes through two stages (the smooth decoupled
 * detector of Giannoulis, Massberg & Reiss 2012, JAES 60(6), moved to the
 * gain so its time constants are those of the gain itself):
 *   1. a hold: it follows the static gain at once in the attack direction;
 *      in the release direction it stays for hold_ms, then goes with the
 *      release one-pole;
 *   2. the attack one-pole, in the attack direction only; in the release
 *      direction the output follows stage 1.
 * So a level step gives exactly the attack time constant one way and the
 * release one the other. A steady tone read by the peak detector makes
 * the static gain dip at each of its peaks; stage 1 bridges the dips, with
 * a ripple of 1 - exp (-1 / (f release)) of the reduction at frequency f
 * (0.1 % at 1 kHz and 1 s, 1 % at 1 kHz and 100 ms, 10 % at 100 Hz and
 * 100 ms) that hold_ms >= one period removes.
 *
 * Program-dependent release (auto_release): stage 1 releases with
 * release_ms while its reduction is deeper than the programme's sustained
 * reduction (a one-pole of the reduction with 10 x release_ms), and four
 * times slower once it is back at that level: a transient is let go fast,
 * a sustained reduction slowly, without pumping.
 *
 * Detector. PEAK reads |x| of each key sample; RMS the root of the mean
 * square over the last rms_window_ms (a moving average, so a step's 63 %
 * point comes about half a window later than the attack alone). Channels
 * are linked at the level, in the detector's domain (mst-level-detector):
 * link 1 gives every channel the loudest channel's level (LINK_MAX). A key
 * whose channel count differs from the output's is always fully linked:
 * one gain for every output channel.
 *
 * Control period. When attack and release allow (mst-dynamics-gain.c),
 * the key is reduced to one value every K frames and channel (the period's
 * peak |x|, or the root of its mean square for RMS, whose window then
 * counts periods), and the level, the curve and the ballistics run once a
 * period; the frames of each period ramp linearly to its gain, so the gain
 * lags a level step by 0 to K frames.
 *
 * Hysteresis (EXPAND only): the gate opens when the level reaches the
 * threshold and closes when it falls hysteresis_db below it, so a level
 * hovering at the threshold does not chatter. The open/closed state reads
 * the level's envelope (rising at once, falling as an amplitude one-pole
 * of release_ms, at least 50 ms), so the dips of a peak level between the
 * peaks of a tone do not close it; while open, the curve's threshold is
 * hysteresis_db lower.
 *
 * Makeup. makeup_db is added last; with auto_makeup the makeup is the
 * curve's own reduction at 0 dBFS (Giannoulis et al. 2012, section 2.4),
 * for COMPRESS; the other modes get none from it.
 */

/** Frames per process call at most. */
#define MST_DYNAMICS_BLOCK 1024

/** Ranges of the settings (the gain computer's for the curve). */
#define MST_DYNAMICS_MAX_TIME_MS 5000.0
#define MST_DYNAMICS_MIN_RMS_WINDOW_MS 0.1
#define MST_DYNAMICS_MAX_RMS_WINDOW_MS 300.0
#define MST_DYNAMICS_MAX_HYSTERESIS_DB 24.0
#define MST_DYNAMICS_MIN_FILTER_HZ 10.0
#define MST_DYNAMICS_MIN_Q 0.1
#define MST_DYNAMICS_MAX_Q 20.0

typedef enum {
  MST_DYNAMICS_PEAK = 0,
  MST_DYNAMICS_RMS,
} MstDynamicsDetector;

/** How the gain meets the audio (gst/mst-dynamics.h). */
typedef enum {
  MST_DYNAMICS_WIDEBAND = 0,    /* out = g x */
  MST_DYNAMICS_SPLIT,           /* out = x + (g - 1) key_filter (x): only
                                 * the band the key filters pass is
                                 * reduced (the split-band de-esser) */
} MstDynamicsApply;

/** Everything a user may change while playing, for every processor built
 *  on the dynamics core. */
typedef struct {
  /* Static curve. */
  MstGainComputerMode mode;     /* COMPRESS, EXPAND or UPWARD */
  double threshold_db, ratio, knee_db;
  double range_db;              /* deepest cut (COMPRESS, EXPAND; <= 0,
                                 * -INFINITY: none); largest boost is
                                 * -range_db for UPWARD */
  double makeup_db;
  bool auto_makeup;
  double hysteresis_db;         /* EXPAND: 0 .. MAX_HYSTERESIS_DB */
  /* Detector. */
  MstDynamicsDetector detector;
  double rms_window_ms;
  double link;                  /* 0 (independent) .. 1 (linked) */
  /* Ballistics (one-pole time constants, 63 %). */
  double attack_ms, release_ms, hold_ms;
  bool auto_release;
  /* Key filters, 0 Hz: off. High-pass and low-pass: Butterworth, 12
   * dB/octave; band-pass: centred on band_hz with band_q (0 dB at the
   * centre). */
  double key_highpass_hz, key_lowpass_hz;
  double key_band_hz, key_band_q;
  /* Output stage (gst/mst-dynamics.h; the gain stage ignores them). */
  MstDynamicsApply apply;
  double mix;                   /* 0 (dry) .. 1 (wet) */
  bool listen;                  /* output the key filters' band of the
                                 * audio (at the wet share of mix) */
  bool bypass;                  /* a mix of 0, reached by the glide */
} MstDynamicsSettings;

/** The compressor's defaults, the only place they are written:
 *  compress, -18 dB, 4:1, 6 dB knee, no range, no makeup; peak detector,
 *  10 ms RMS window, linked; attack 10 ms, release 100 ms, no hold, no
 *  auto release; no key filters; wideband, fully wet, no listen. */
void mst_dynamics_settings_default (MstDynamicsSettings * s);
/** The gate's: expand, -50 dB, ratio 20 (a gate's slope), 0 knee, range
 *  -80 dB, 3 dB hysteresis, peak, attack 5 ms, hold 20 ms, release
 *  100 ms. */
void mst_dynamics_settings_gate (MstDynamicsSettings * s);
/** The de-esser's: compress, -30 dB, 4:1 ... on the band 6 kHz, Q 1.5,
 *  split, range -12 dB, attack 1 ms, release 50 ms, peak. */
void mst_dynamics_settings_deesser (MstDynamicsSettings * s);

/** Validates every field (what the gain stage and the output stage read). */
bool mst_dynamics_settings_valid (const MstDynamicsSettings * s);

typedef struct MstDynamicsGain MstDynamicsGain;

/** Allocates a gain stage for up to @max_channels key or output channels;
 *  NULL on failure. */
MstDynamicsGain *mst_dynamics_gain_init (int max_channels);
void mst_dynamics_gain_destroy (MstDynamicsGain ** g);
/** Sets the rate and the key's and output's channel counts (1 ..
 *  max_channels each), and resets. */
MstResult mst_dynamics_gain_configure (MstDynamicsGain * g, double rate_hz,
    int key_channels, int out_channels);
/** Validates every field, then applies what changed: the curve and the
 *  time constants at once (the ballistics glide the gain), key filter
 *  frequencies at once (a key is not heard). Never allocates. */
MstResult mst_dynamics_gain_set (MstDynamicsGain * g,
    const MstDynamicsSettings * s);
/** Clears the key filters, the detector and the ballistics (gain 0 dB). */
void mst_dynamics_gain_reset (MstDynamicsGain * g);

/** Gains for @n (<= MST_DYNAMICS_BLOCK) frames of planar key (channel c
 *  at @key + c @key_stride; not modified): linear factors, planar, output
 *  channel c at @gain + c @gain_stride. When every output channel gets the
 *  same gain (fully linked or a key of another channel count) only row 0
 *  is written and *@shared is set. Non-finite key samples read as
 *  silence and are counted. */
MstResult mst_dynamics_gain_process (MstDynamicsGain * g, const double *key,
    size_t key_stride, size_t n, double *gain, size_t gain_stride,
    bool *shared);

/** mst_dynamics_gain_process, but a block whose gains are all the same
 *  (mst_dynamics_gain_is_flat says so, and which) may leave the rows
 *  unwritten. A stage whose curve is 0 dB everywhere (COMPRESS at ratio
 *  1, no makeup, no key filter) and at rest does not read the key at all:
 *  its gains are 1 (mbcomp's neutral bands); its detector starts afresh
 *  when the settings make it act again. */
MstResult mst_dynamics_gain_process_or_flat (MstDynamicsGain * g,
    const double *key, size_t key_stride, size_t n, double *gain,
    size_t gain_stride, bool *shared);

/** Whether the stage is idle as mst_dynamics_gain_process_or_flat means
 *  it (its curve 0 dB everywhere, no makeup, no key filter, at rest): its
 *  next block's gains are exactly 1 and the key is not read. */
bool mst_dynamics_gain_is_idle (const MstDynamicsGain * g);

/** The same from @n (<= MST_DYNAMICS_BLOCK) interleaved key frames (the
 *  configured key channels): with a control period and no key filter the
 *  periods' keys are taken where the frames are, in one pass, without
 *  making them planar, and the gain rows are left unwritten when every
 *  gain is the same (mst_dynamics_gain_is_flat says which). With @gain
 *  NULL, where mst_dynamics_gain_checks_frames, no row is written: the
 *  gains stay pending until mst_dynamics_gain_apply_pending, the next call
 *  on @g, multiplies the audio by them. */
MstResult mst_dynamics_gain_process_frames_f32 (MstDynamicsGain * g,
    const float *key, size_t n, double *gain, size_t gain_stride,
    bool *shared);
MstResult mst_dynamics_gain_process_frames_f64 (MstDynamicsGain * g,
    const double *key, size_t n, double *gain, size_t gain_stride,
    bool *shared);

/** Multiplies @n interleaved frames of the output's channels at @src by
 *  the gains the last process_frames call (with @gain NULL, over the same
 *  @n) left pending, into @dst (may be @src): the products the rows and
 *  mst_gain_apply give, without the rows (a block flat at gain 1 is
 *  copied). */
MstResult mst_dynamics_gain_apply_pending_f32 (MstDynamicsGain * g,
    const float *src, float *dst, size_t n);
MstResult mst_dynamics_gain_apply_pending_f64 (MstDynamicsGain * g,
    const double *src, double *dst, size_t n);

/** Whether process_frames reads every key sample of every frame itself
 *  (a control period, no key filter, 1, 2 or 4 key channels), counting the
 *  non-finite and absurd ones (beyond MST_MAX_INPUT) in
 *  get_nonfinite_count: a caller keyed by its own audio learns from the
 *  count whether the audio was sane. */
bool mst_dynamics_gain_checks_frames (const MstDynamicsGain * g);

/** Whether every gain of the last process call (every frame, every
 *  channel written) was the same, *@value (may be NULL): a gate open, a
 *  compressor under its threshold. */
bool mst_dynamics_gain_is_flat (const MstDynamicsGain * g, double *value);

/** The last process call's key after the key filters (planar, channel c at
 *  + c MST_DYNAMICS_BLOCK; non-finite samples zeroed), or NULL when no
 *  filter ran. The key filters glide to new settings as the audio's do
 *  (filter_audio), from the same reset: a processor keyed by its own audio
 *  takes this as the band of the audio instead of filtering it again. */
const double *mst_dynamics_gain_get_filtered_key (const MstDynamicsGain * g);

/** The key filters alone over @n frames of planar audio in place (channel c
 *  at @x + c @stride, c < out channels), with their own history for the
 *  audio: the band SPLIT reduces and listen plays. */
void mst_dynamics_gain_filter_audio (MstDynamicsGain * g, double *x,
    size_t stride, size_t n);

/** Clears the history of the audio's key filters (and ends their glide):
 *  for a band that was not filtered for a while. */
void mst_dynamics_gain_restart_audio_filter (MstDynamicsGain * g);


/** The deepest gain change (dB, the curve's and ballistics', makeup not
 *  included; <= 0 for COMPRESS and EXPAND, >= 0 for UPWARD) since the last
 *  call, and restarts it; 0 when nothing was processed. */
double mst_dynamics_gain_take_reduction_db (MstDynamicsGain * g);
/** The gain change now (dB, makeup not included), of the channel that has
 *  the deepest. */
double mst_dynamics_gain_get_current_db (const MstDynamicsGain * g);
/** The makeup in force (dB): makeup_db, plus the automatic one. */
double mst_dynamics_gain_get_makeup_db (const MstDynamicsGain * g);

uint64_t mst_dynamics_gain_get_nonfinite_count (const MstDynamicsGain * g);

#ifdef __cplusplus
}
#endif
#endif
