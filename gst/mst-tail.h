/* mastering: the end of an effect's tail after its input (pure C). */
#ifndef MST_TAIL_H
#define MST_TAIL_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a tail (a reverb's, an echo's) ends once its input has: it runs
 *  in windows of a core's memory length (its longest line), and ends at
 *  the end of the first window whose level (what the core says of it)
 *  stayed under a floor, once at least @min frames went, or at a limit,
 *  whichever comes first. */
typedef struct {
  bool active;
  uint64_t done, window_count, limit, min;
  double window_peak;
} MstTail;

/** Runs @n frames of silence through @core into @out; returns the level
 *  the window test takes (a peak, linear). */
typedef double (*MstTailRun) (void *core, void *out, size_t n);

/** A new tail of at most @limit frames that may end on the floor after
 *  @min. */
void mst_tail_begin (MstTail * t, uint64_t limit, uint64_t min);

/** Up to @max_frames of the tail into @out (@frame_bytes a frame), in
 *  pieces of at most @block frames ending at the windows (@window frames)
 *  and the limit, with flush-to-zero; returns how many frames, 0 when the
 *  tail is over. */
size_t mst_tail_run (MstTail * t, MstTailRun run, void *core, void *out,
    size_t frame_bytes, size_t max_frames, size_t block, size_t window,
    double floor_lin);

#ifdef __cplusplus
}
#endif
#endif
