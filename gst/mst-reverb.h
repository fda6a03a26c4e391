/* mastering: algorithmic reverb core (pure C, no GObject): a feedback
 * delay network whose decay time is exact. */
#ifndef MST_REVERB_H
#define MST_REVERB_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Delay lines of the network: a power of 2, for the fast Hadamard
 *  product (N log2 N additions, no N^2 loop). */
#define MST_REVERB_LINES 16

#define MST_REVERB_MIN_DECAY_S 0.1
#define MST_REVERB_MAX_DECAY_S 30.0
/** decay_low_s of 0 (its default), or any value under
 *  MST_REVERB_MIN_DECAY_S, follows decay_s: one knob sets the decay at
 *  every frequency until decay-low is set. */
#define MST_REVERB_DECAY_LOW_FOLLOWS 0.0
#define MST_REVERB_MIN_CROSSOVER_HZ 50.0
#define MST_REVERB_MAX_CROSSOVER_HZ 10000.0
/** damping: at the maximum, none. */
#define MST_REVERB_MIN_DAMPING_HZ 1000.0
#define MST_REVERB_MAX_DAMPING_HZ 20000.0
/** Above `damping` Hz the decay time falls towards decay / this. */
#define MST_REVERB_DAMPING_RATIO 4.0
#define MST_REVERB_MIN_SIZE_PCT 25.0
#define MST_REVERB_MAX_SIZE_PCT 200.0
#define MST_REVERB_MAX_PREDELAY_MS 250.0
/** The feedback matrix moves (Schlecht and Habets, "Time-varying feedback
 *  matrices in feedback delay networks and their application in
 *  artificial reverberation", JASA 138 (3), 2015): after the Hadamard
 *  product, a Givens rotation on each of MST_REVERB_PAIRS fixed pairs of
 *  lines, its angle along a sine. Orthogonal at every frame, so the loop
 *  never gains energy and the decay times stay exact; the delays stand
 *  still (no interpolation, no pitch shift of what passes a line). */
#define MST_REVERB_PAIRS (MST_REVERB_LINES / 2)
/** modulation at 100 %: each rotation's angle swings this many radians
 *  either side of 0 (0 %: the Hadamard product alone, time-invariant). */
#define MST_REVERB_MOD_ANGLE_RAD 1.2
/** The angles' rates, Hz: geometric from the first pair to the last,
 *  every pair its own (incommensurate: no common period). */
#define MST_REVERB_MOD_MIN_HZ 0.1
#define MST_REVERB_MOD_MAX_HZ 1.3
/** Frames a block of the network at most (the glides and the angles'
 *  sines advance once a block). */
#define MST_REVERB_BLOCK 64
/** Time constant of the parameter glides (one-pole, 63 % in this time). */
#define MST_REVERB_SMOOTHING_MS 30.0
/** Length of the crossfade between two taps when a delay moves. */
#define MST_REVERB_FADE_MS 30.0
/** The drained tail ends when the output stays under this (dBFS) for a
 *  whole longest line, or after 2 x the longest decay time. */
#define MST_REVERB_TAIL_FLOOR_DB -90.0

typedef struct {
  double decay_s;               /* RT60 above the crossover */
  double decay_low_s;           /* RT60 below the crossover; < 0.1: decay_s */
  double crossover_hz;
  double damping_hz;            /* above: RT60 towards decay / 4 */
  double size_pct;              /* delay lengths times size / 100 */
  double predelay_ms;
  double diffusion_pct;         /* input all-pass diffusers' strength */
  double mix_pct;               /* wet share: 0 dry (bit-exact), 100 wet */
  double width_pct;             /* wet side times width / 100 */
  double modulation_pct;        /* the feedback matrix's rotations' swing */
  bool tail;                    /* drained at the end of the stream */
  bool bypass;
} MstReverbSettings;

/** The defaults, written here only. */
void mst_reverb_settings_default (MstReverbSettings * settings);

typedef struct MstReverb MstReverb;

/** Allocates a reverb with the default settings; NULL on failure. The
 *  lines are allocated by configure. */
MstReverb *mst_reverb_init (void);

void mst_reverb_destroy (MstReverb ** rv);

/** The rate and the input's channels (1 or 2; the output is stereo):
 *  allocates the lines for the largest size (MST_ERR_NOMEM), resets. */
MstResult mst_reverb_configure (MstReverb * rv, double rate_hz,
    int in_channels);

/** Validates every field (MST_ERR_INVALID_ARG, nothing applied), then sets
 *  the targets the reverb glides to; never allocates. */
MstResult mst_reverb_set (MstReverb * rv, const MstReverbSettings * s);

/** Lines silent, glides at their targets. */
void mst_reverb_reset (MstReverb * rv);

/** True when a stereo input would pass bit-exact (bypassed, settled). */
bool mst_reverb_is_passthrough (const MstReverb * rv);

/** @n_frames of the configured channels from @in (NULL: silence) into
 *  @out, interleaved stereo. */
MstResult mst_reverb_process_f32 (MstReverb * rv, const float *in,
    size_t n_frames, void *out);
MstResult mst_reverb_process_f64 (MstReverb * rv, const double *in,
    size_t n_frames, void *out);

/** After the end of the input: up to @max_frames of the tail (silence in)
 *  into @out (stereo); *@n_out frames written, 0 when the tail is over: it
 *  stayed under MST_REVERB_TAIL_FLOOR_DB for a whole longest line (after
 *  the pre-delay and one line), or lasted 2 x the longest decay time. The
 *  next process call ends the drain. */
MstResult mst_reverb_drain_f32 (MstReverb * rv, float *out,
    size_t max_frames, size_t *n_out);
MstResult mst_reverb_drain_f64 (MstReverb * rv, double *out,
    size_t max_frames, size_t *n_out);

/** The lengths of the lines in frames (MST_REVERB_LINES of them) the
 *  current size asks for: distinct primes, so mutually prime. */
void mst_reverb_get_line_lengths (const MstReverb * rv, size_t *lengths);

/** The decay time (s) the absorption filters give at @freq_hz: what a
 *  measurement of the current settings should find. */
double mst_reverb_design_rt60 (const MstReverb * rv, double freq_hz);

uint64_t mst_reverb_get_nonfinite_count (const MstReverb * rv);

/** The feedback matrix on @n_frames (at most MST_REVERB_BLOCK) of the
 *  MST_REVERB_LINES rows of @rows (@stride doubles apart), in place: the
 *  Hadamard product over 4 (orthogonal), then pair p (lines p and
 *  p + MST_REVERB_PAIRS) rotated by theta0[p] + (t + 1) dtheta[p] at frame
 *  t. With @rotate false, the Hadamard product alone. The reverb's own
 *  step, exposed for its tests (orthogonality under any angles). */
void mst_reverb_feedback_matrix (double *rows, size_t stride,
    size_t n_frames, bool rotate, const double *theta0,
    const double *dtheta);

#ifdef __cplusplus
}
#endif
#endif
