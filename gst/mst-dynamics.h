/* mastering: the dynamics core (pure C, no GObject): the compressor, the
 * gate and the de-esser are one of these with other settings. */
#ifndef MST_DYNAMICS_H
#define MST_DYNAMICS_H

#include "mst-core.h"
#include "mst-dynamics-gain.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Key -> gain (gst/mst-dynamics-gain.h), audio delayed by the lookahead,
 * then the output stage:
 *   wet = g x              (WIDEBAND)
 *   wet = x + (g - 1) b    (SPLIT; b = the key filters' band of x)
 *   out = x + mix (wet - x)
 * with x the delayed audio, g the gain computed from the key up to the
 * frame the output is written at (so the gain moves lookahead_ms before
 * the audio it answers). With g = 1 the output is x bit for bit at any
 * mix. listen: out = b.
 *
 * The key is the audio itself (process), or another stream at the same
 * rate (process_keyed: 1 .. MST_MAX_CHANNELS channels, frame for frame
 * with the audio; a key of another channel count gives one gain to every
 * audio channel).
 *
 * Latency: lookahead_ms rounded to frames, set at configure. Output frame
 * i is input frame i; while the delay line fills at the start, fewer
 * frames come out than go in, and drain gives the rest at the end (the
 * key then read as silence).
 */

/** Lookahead (ms): a configure parameter, since it sets the latency. */
#define MST_DYNAMICS_MAX_LOOKAHEAD_MS 100.0

typedef struct MstDynamics MstDynamics;

/** Allocates a processor for up to @max_channels audio and key channels;
 *  NULL on failure. */
MstDynamics *mst_dynamics_init (int max_channels);
void mst_dynamics_destroy (MstDynamics ** d);

/** Sets the rate, the audio's and the key's channel counts (@key_channels
 *  0: the key is the audio) and the lookahead (0 ..
 *  MST_DYNAMICS_MAX_LOOKAHEAD_MS; allocates the delay line), and resets. */
MstResult mst_dynamics_configure (MstDynamics * d, double rate_hz,
    int channels, int key_channels, double lookahead_ms);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied), then
 *  applies what changed; mix and the switch between wideband, split and
 *  listen glide over 10 ms. Never allocates. */
MstResult mst_dynamics_set (MstDynamics * d, const MstDynamicsSettings * s);

/** All history cleared (delay line, filters, ballistics); glides at their
 *  targets. */
void mst_dynamics_reset (MstDynamics * d);

/** Latency in frames. */
size_t mst_dynamics_get_latency (const MstDynamics * d);
/** Frames in the delay line (what a drain gives). */
size_t mst_dynamics_get_pending (const MstDynamics * d);

/** Processes @n_in interleaved frames from @in keyed by themselves,
 *  writing the complete ones to @out (may equal @in) and their count to
 *  @n_out (= @n_in without lookahead). */
MstResult mst_dynamics_process_f32 (MstDynamics * d, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_dynamics_process_f64 (MstDynamics * d, const double *in,
    size_t n_in, double *out, size_t *n_out);
/** The same keyed by @key (@n_in frames of the configured key channels,
 *  the audio's sample format). */
MstResult mst_dynamics_process_keyed_f32 (MstDynamics * d, const float *in,
    const float *key, size_t n_in, float *out, size_t *n_out);
MstResult mst_dynamics_process_keyed_f64 (MstDynamics * d, const double *in,
    const double *key, size_t n_in, double *out, size_t *n_out);
/** Drains the delay line into @out (room for get_pending frames), the key
 *  read as silence; then resets. */
MstResult mst_dynamics_drain_f32 (MstDynamics * d, float *out,
    size_t *n_out);
MstResult mst_dynamics_drain_f64 (MstDynamics * d, double *out,
    size_t *n_out);

/** The gain stage's figures (mst-dynamics-gain.h). */
double mst_dynamics_take_reduction_db (MstDynamics * d);
double mst_dynamics_get_current_db (const MstDynamics * d);
double mst_dynamics_get_makeup_db (const MstDynamics * d);
/** Non-finite audio and key samples since configure. */
uint64_t mst_dynamics_get_nonfinite_count (const MstDynamics * d);

#ifdef __cplusplus
}
#endif
#endif
