/* mastering: delay line block (pure C, no GObject). */
#ifndef MST_DELAYLINE_H
#define MST_DELAYLINE_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A ring of interleaved frames in the format of the stream (F32 frames in
 *  float, F64 in double: passthrough is exact and F32 moves half the
 *  bytes). Frames are numbered from the last reset: push writes frames
 *  mst_delayline_get_written on, pull reads the oldest not yet read.
 *  Callers that fill or read in place take the slots of a frame number
 *  (mst_delayline_frame), a run at a time up to the ring's wrap. */
typedef struct MstDelayLine MstDelayLine;

/** Allocates a ring for up to @max_channels that holds at least
 *  @max_held_frames frames at once; NULL on failure. */
MstDelayLine *mst_delayline_init (int max_channels, size_t max_held_frames);

void mst_delayline_destroy (MstDelayLine ** dl);

/** Sets the channel count, the whole ring in use, and resets. */
MstResult mst_delayline_configure (MstDelayLine * dl, int channels);

/** Sets the channel count and the frames held at once, at most init's
 *  @max_held_frames, and resets: the ring then cycles through the smallest
 *  power of 2 of frames that holds them, not the whole allocation, and
 *  keeps fewer bytes in the caches (the limiter's is sized for 20 ms at
 *  384 kHz, 16384 frames; 5 ms at 48 kHz and a block need 2048). */
MstResult mst_delayline_configure_held (MstDelayLine * dl, int channels,
    size_t held_frames);

/** Silence in every slot; frame numbers start again at 0. */
void mst_delayline_reset (MstDelayLine * dl);

/** Frames the ring has room for (a power of 2). */
size_t mst_delayline_get_capacity (const MstDelayLine * dl);

/** The ring's format; frames held are converted (streams do not normally
 *  switch). */
void mst_delayline_set_format (MstDelayLine * dl, MstFormat fmt);

/** The slots of frame @frame (its ring index in @index if not NULL), and
 *  in @run how many frames from it on are contiguous before the wrap. */
void *mst_delayline_frame (MstDelayLine * dl, int64_t frame, size_t *index,
    size_t *run);

/** Frames pushed (or marked written) and pulled (or marked read) since the
 *  reset, and what lies between. */
int64_t mst_delayline_get_written (const MstDelayLine * dl);
int64_t mst_delayline_get_read (const MstDelayLine * dl);
size_t mst_delayline_get_pending (const MstDelayLine * dl);

/** For callers that filled slots in place: @n_frames more are written. */
void mst_delayline_mark_written (MstDelayLine * dl, size_t n_frames);

/** For callers that read slots in place: every frame before @frame is
 *  read. */
void mst_delayline_mark_read (MstDelayLine * dl, int64_t frame);

/** Appends @n_frames frames from @in in the ring's format (NULL:
 *  silence). The caller keeps the pending frames within the capacity. */
void mst_delayline_push (MstDelayLine * dl, const void *in, size_t n_frames);

/** Takes the @n_frames (<= pending) oldest frames into @out, in the ring's
 *  format. */
void mst_delayline_pull (MstDelayLine * dl, void *out, size_t n_frames);

/** Takes every pending frame into @out; returns how many. */
size_t mst_delayline_drain (MstDelayLine * dl, void *out);

/** Fractional reads (a modulated delay): @out[i] = channel @channel at
 *  the fractional frame @frame0 + i - @delay[i], by 4-point, third-order
 *  Lagrange interpolation over the frames around it (floor - 1 to
 *  floor + 2; an integer position reads its frame exactly). Each
 *  @delay[i] is at least 3 (so frame @frame0 + i itself is never read:
 *  a caller may write it after the read, a feedback loop) and at most the
 *  capacity minus 3. The ring's format is F64 (mst_delayline_set_format);
 *  nothing counts as pulled. */
void mst_delayline_read_frac (const MstDelayLine * dl, int channel,
    int64_t frame0, const double *delay, double *out, int n);

/** A modulated voice over a run of frames: @out[i] += (@gain0 + (i + 1)
 *  @dgain) times channel @channel read as mst_delayline_read_frac does at
 *  the delay @delay0 + i @ddelay (so every delay of the run within 3 and
 *  the capacity minus 3), for i < @n. The delay and the gain move
 *  linearly, as over a control period. Frames are lanes: AVX2 (4) or
 *  AVX-512 (8) gathers chosen at run time, the same arithmetic as the
 *  scalar path in fused multiply-adds (the paths agree within rounding,
 *  1e-15 of full scale: tests/test-modulation-core.c). */
void mst_delayline_read_frac_ramp (const MstDelayLine * dl, int channel,
    int64_t frame0, double delay0, double ddelay, double gain0,
    double dgain, double *out, int n);

#ifdef __cplusplus
}
#endif
#endif
