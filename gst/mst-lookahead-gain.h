/* mastering: lookahead gain computer block (pure C, no GObject). */
#ifndef MST_LOOKAHEAD_GAIN_H
#define MST_LOOKAHEAD_GAIN_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** From required gains (at most 1, one per frame) to a smooth gain that is
 *  at most each of them where it applies: the minimum over a window of L
 *  frames, released by a one-pole (program-dependent with auto-release),
 *  then averaged over L frames. Gain i of a block belongs to the frame of
 *  required gain i - lag (L - 1; more in grouped mode, see
 *  mst_lookahead_gain_get_lag): a caller delays its audio by the lag (more
 *  if its required gains come late) and multiplies. For a required
 *  gain r at frame p, every value averaged into the gain of frame p is at
 *  most r, so the gain there is at most r. One chain per independent gain
 *  (a channel, or one for linked channels). */
typedef struct MstLookaheadGain MstLookaheadGain;

/** Allocates for up to @max_chains, windows of up to @max_window_frames
 *  and blocks of up to @max_block_frames; NULL on failure. */
MstLookaheadGain *mst_lookahead_gain_init (int max_chains,
    int max_window_frames, int max_block_frames);

void mst_lookahead_gain_destroy (MstLookaheadGain ** lg);

/** Sets the rate and the window L (frames), and resets. */
MstResult mst_lookahead_gain_configure (MstLookaheadGain * lg,
    double rate_hz, int window_frames);

/** Frames a group in grouped mode. */
#define MST_LOOKAHEAD_GAIN_GROUP 16
/** The shortest window (frames) that may be grouped. */
#define MST_LOOKAHEAD_GAIN_MIN_GROUPED 64

/** Grouped mode (off after configure; resets): the window minimum, the
 *  release and the average run once per group of
 *  MST_LOOKAHEAD_GAIN_GROUP frames (counted from the reset), on each
 *  group's smallest required gain, and each frame's gain is interpolated
 *  linearly between two group points that are each at most every
 *  required gain of the frame's group: still at most the frame's required
 *  gain, and moving by at most 1 / L a frame. The window is then
 *  ceil (L / 16) groups and a gain comes mst_lookahead_gain_get_lag
 *  frames after its required gain (16 ceil (L / 16) + 15 instead of
 *  L - 1). MST_ERR_INVALID_ARG for windows under
 *  MST_LOOKAHEAD_GAIN_MIN_GROUPED frames. */
MstResult mst_lookahead_gain_set_grouped (MstLookaheadGain * lg,
    bool grouped);

/** Frames from a required gain to its gain: gain i of a block belongs to
 *  the frame of required gain i - lag (L - 1, or more when grouped). */
int mst_lookahead_gain_get_lag (const MstLookaheadGain * lg);

/** Release time constant (ms, > 0) and auto-release: after a transient
 *  more than 2 dB deeper than the sustained reduction, back to it 4x
 *  faster; otherwise 2x slower. Takes effect at the next block. */
void mst_lookahead_gain_set_release (MstLookaheadGain * lg,
    double release_ms, bool auto_release);

/** Clears the history: gain 1 everywhere, as at the start of a stream. */
void mst_lookahead_gain_reset (MstLookaheadGain * lg);

/** Where the next block's required gains of @chain go. */
double *mst_lookahead_gain_required (MstLookaheadGain * lg, int chain);

/** The gains of @n_frames (<= max_block_frames) required gains of the first
 *  @n_chains chains. With more than one chain, @link (0 .. 1) first moves
 *  each chain's reduction in dB towards the strongest one's. */
void mst_lookahead_gain_process (MstLookaheadGain * lg, int n_chains,
    int n_frames, double link);

/** mst_lookahead_gain_process with the required gains from peaks (the
 *  same as writing them first, in one pass): r = min (1, c / p) per frame,
 *  computed as c / max (p, c) (exactly 1 where p <= c), p the largest of
 *  the @n_peaks (<= max_chains) arrays' for one chain when @linked, a chain
 *  per array otherwise; c the frame's @ceilings[i], or @ceiling for all
 *  frames when @ceilings is NULL. */
void mst_lookahead_gain_process_peaks (MstLookaheadGain * lg,
    const float *const *peaks, int n_peaks, bool linked,
    const double *ceilings, double ceiling, int n_frames, double link);

/** The last process call's gains of @chain (in 0 .. 1; exactly 1 where
 *  nothing was required over the window); with points wanted, after
 *  mst_lookahead_gain_write_gains. */
const double *mst_lookahead_gain_gains (const MstLookaheadGain * lg,
    int chain);

/** Whether the caller takes grouped gains as their points (off after
 *  init): a process call in grouped mode that runs one chain, on a CPU
 *  with AVX2 and FMA, then leaves the frames' gains unwritten (8 KiB of
 *  stores a 1024-frame block, which the caller would read back) and gives
 *  the points they lie between (mst_lookahead_gain_points). */
void mst_lookahead_gain_set_points_wanted (MstLookaheadGain * lg,
    bool wanted);

/** After a process call that left its gains as points (else NULL): points
 *  P, the block's first frame *@phase frames (0 .. 15) into P[0]'s group.
 *  Gain i of the block, with k = (phase + i) / 16 and s = (phase + i) %
 *  16, is fma (d, s, P[k]) with d = (P[k + 1] - P[k]) * (1.0 / 16): one
 *  multiply-add, rounded once. Valid until the next process call. */
const double *mst_lookahead_gain_points (const MstLookaheadGain * lg,
    int *phase);

/** Writes the gains the last process call left as points, if it did
 *  (mst_lookahead_gain_gains then has them). */
void mst_lookahead_gain_write_gains (MstLookaheadGain * lg);

#ifdef __cplusplus
}
#endif
#endif
