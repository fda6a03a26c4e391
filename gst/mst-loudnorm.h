/* mastering: loudness normalisation core: a slow gated loudness controller
 * in front of the true-peak limiter (pure C, no GObject). */
#ifndef MST_LOUDNORM_H
#define MST_LOUDNORM_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file mst-loudnorm.h
 *
 * Live mode: the input is K-weighted and measured in 400 ms blocks every
 * 100 ms (ITU-R BS.1770-4). Blocks at or under the absolute gate
 * (-70 LUFS) or under the relative gate (10 LU below a forgetting power
 * mean of the blocks above the absolute gate) are ignored: silence and
 * speech pauses hold the gain. A quieter programme is told from a pause
 * by its duration: when the blocks over the absolute gate and under the
 * relative one have held their level (their last 3 s within 3 LU of the
 * run's mean, a fade restarting the run) for 10 s of such blocks, with no
 * block passing both gates between them (silence neither counts nor ends
 * the run), they are the programme, and the gate's mean and the estimate
 * restart from their last 3 s. So after a sustained drop of D dB > 10 the
 * gain is within 1 dB of its new value after about 0.4 + 10 + D / 3 s
 * (the first quiet block, the sustain, the rise at max_slew_db_per_s;
 * measured 17.3 s for 22 dB, 19.9 s for 30 dB: test_sustained_drop), a
 * drop of up
 * to 10 dB is followed as any change (1.3 s of blocks, then the slew), and
 * room tone 30 LU under speech in pauses shorter than 10 s holds the gain
 * (within 0.5 dB; test_room_tone_held). The others feed the loudness estimate: their
 * power mean, forgetting with the time constant `window_s` (so it is the
 * gated, integrated loudness of the last tens of seconds), restarted from
 * the last 10 gated blocks (1.3 s) when those leave it by more than 3 LU
 * (a loud entry, another speaker or source). A 100 ms step more than
 * 20 LU above the estimate is held until the next steps judge it: a third
 * in a row is a louder programme (taken, 200 ms late), a fall back after
 * one or two is a glitch (its steps left out of the blocks around it; the
 * limiter takes the burst). The gain heads for target -
 * estimate, bounded to [min_gain_db, max_gain_db], raised at most
 * max_slew_db_per_s and lowered at most max_slew_down_db_per_s (evaluated
 * every 10 ms; raising is 10 times faster until 3 s of programme passed the
 * gates, and the very first gain is the first estimate's, so a stream
 * starts at its level). It is the input gain of the true-peak limiter,
 * which holds the output under ceiling_dbtp. What the limiter takes off
 * the loudness is measured (the output's blocks against what the input's
 * blocks should have given, while the gain is settled) and made up, up to
 * 3 dB.
 *
 * The controller looks ahead: a delay line of control_lookahead_ms (400 ms
 * by default, one block) in front of the limiter lets the gain move before
 * a louder passage reaches it. Latency: that plus the limiter's lookahead.
 *
 * Fixed mode: gain_db into the limiter, exactly (after a 10 ms glide).
 *
 * The output does not depend on how the input is cut into calls (bit for
 * bit; test_chunking): the meters, the controller's steps and its 10 ms
 * ticks fall on frame counts, a tick's gain applies from the frame
 * control_lookahead_ms before it, and with a control lookahead of a tick
 * or more the limiter is fed whole ticks at the ticks (its vector paths
 * round by block), a tick ahead, its output held in a fifo until the
 * latency lets it out. Under a tick of lookahead the limiter takes the
 * frames as they come (its rounding may then differ by split).
 */

typedef struct MstLoudnorm MstLoudnorm;

typedef enum {
  MST_LOUDNORM_LIVE = 0,
  MST_LOUDNORM_FIXED = 1,
} MstLoudnormMode;

typedef struct {
  MstLoudnormMode mode;
  double target_lufs;           /* live */
  double ceiling_dbtp;
  double gain_db;               /* fixed */
  double max_gain_db, min_gain_db;      /* live: bounds of the gain */
  double max_slew_db_per_s;     /* live: raising the gain, > 0 */
  double max_slew_down_db_per_s;        /* live: lowering it, > 0 */
  double window_s;              /* live: time constant of the estimate, > 0 */
  bool bypass;                  /* the limiter's bypass: delayed, bit-exact */
  bool band_limit;              /* the limiter's (mst-limiter.h) */
} MstLoudnormSettings;

/** What the controller and the meters say (loudness in LUFS, -INFINITY
 *  when undefined; gains in dB). */
typedef struct {
  double gain_db;               /* applied now (the limiter's input gain) */
  double target_gain_db;        /* where the controller heads */
  double estimate_lufs;         /* the controller's input loudness estimate */
  double input_momentary, input_short_term, input_integrated;
  double output_momentary, output_short_term, output_integrated;
  double gain_reduction_db;     /* the limiter's, now */
  double gain_reduction_max_db; /* largest since the last reset_max */
} MstLoudnormStatus;

/** Defaults of the settings: live, -23 LUFS (EBU R128), -1 dBTP. */
void mst_loudnorm_settings_default (MstLoudnormSettings * s);

/** Allocates for up to @max_channels; NULL on failure. */
MstLoudnorm *mst_loudnorm_init (int max_channels);
void mst_loudnorm_destroy (MstLoudnorm ** ln);

/** Longest controller lookahead. */
#define MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS 1000.0

/** Sets the format, the limiter lookahead (MST_LIMITER_MIN/MAX_LOOKAHEAD_MS),
 *  the controller lookahead (0 to MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS: a
 *  delay in front of the limiter, so the gain can move before a louder
 *  passage reaches it; allocated here) and the BS.1770-4 Table 3 channel
 *  @weights (NULL: 1.0 each), and resets. */
MstResult mst_loudnorm_configure (MstLoudnorm * ln, double rate_hz,
    int channels, double lookahead_ms, double control_lookahead_ms,
    const double *weights);

/** Takes new settings; they apply from the next frame (the gain slews or
 *  glides to them). */
MstResult mst_loudnorm_set (MstLoudnorm * ln, const MstLoudnormSettings * s);

/** Clears all history: meters, controller, limiter. */
void mst_loudnorm_reset (MstLoudnorm * ln);

/** Latency in frames: the controller lookahead plus the limiter's. */
size_t mst_loudnorm_get_latency (const MstLoudnorm * ln);
/** Frames held in the delay line. */
size_t mst_loudnorm_get_pending (const MstLoudnorm * ln);

/** Processes @n_in interleaved frames; @out (room for @n_in frames, may
 *  equal @in) gets the @n_out completed ones, as mst_limiter_process_f32
 *  does. */
MstResult mst_loudnorm_process_f32 (MstLoudnorm * ln, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_loudnorm_process_f64 (MstLoudnorm * ln, const double *in,
    size_t n_in, double *out, size_t *n_out);

/** Drains the delay line at the end of a stream (room for
 *  mst_loudnorm_get_pending frames); the limiter is then reset, the
 *  meters and the controller are not (call mst_loudnorm_reset). */
MstResult mst_loudnorm_drain_f32 (MstLoudnorm * ln, float *out,
    size_t *n_out);
MstResult mst_loudnorm_drain_f64 (MstLoudnorm * ln, double *out,
    size_t *n_out);

/** Current figures; @reset_max restarts the largest gain reduction. */
void mst_loudnorm_get_status (MstLoudnorm * ln, MstLoudnormStatus * st,
    bool reset_max);

/** Input samples that were not finite or beyond +-MST_MAX_INPUT
 *  (+60 dBFS; read as silence) since configure, monotonic. */
uint64_t mst_loudnorm_get_nonfinite_count (const MstLoudnorm * ln);

#ifdef __cplusplus
}
#endif
#endif
