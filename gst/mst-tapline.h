/* mastering: a delay line of doubles read at a delay that moves by
 * crossfading between two taps (pure C, no GObject). */
#ifndef MST_TAPLINE_H
#define MST_TAPLINE_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One channel of history (a ring of doubles, a power of 2 long) and the
 *  tap it is read at. A change of delay never moves the tap: the line is
 *  read at the old and the new delay at once, the output fading from one
 *  to the other along a smoothstep (3 r^2 - 2 r^3, mst-smoother), so there
 *  is neither a click (a jump of the tap) nor a pitch sweep (a moving
 *  fractional tap). A delay asked for while a fade runs waits for its end,
 *  then fades in from where the line is. Used in feedback loops (reverb,
 *  delay): a block read before it is written never reaches further than
 *  the shortest delay read (mst_tapline_max_block). */
typedef struct {
  double *buf;
  size_t mask;
  uint64_t pos;                 /* frames written since the reset */
  size_t delay;                 /* the tap in use (frames) */
  size_t next;                  /* the tap faded to (== delay: no fade) */
  size_t wanted;                /* the latest delay asked for */
  size_t max_delay;             /* what the ring holds with a block */
  double fade, fade_step;       /* 0 .. 1 linear position; per frame */
} MstTapLine;

/** Allocates a ring for delays up to @max_delay_frames read in blocks of
 *  up to @max_block frames; fades last @fade_frames. MST_ERR_NOMEM. */
MstResult mst_tapline_alloc (MstTapLine * t, size_t max_delay_frames,
    size_t max_block, double fade_frames);

void mst_tapline_free (MstTapLine * t);

/** Silence in the ring, the tap at the delay last asked for, no fade. */
void mst_tapline_reset (MstTapLine * t);

/** Asks for a delay of @frames (clamped to the ring): a fade to it starts
 *  now, or when the one running ends. */
void mst_tapline_set_delay (MstTapLine * t, size_t frames);

/** The longest block that may be read before it is written: the shortest
 *  delay being read (both taps during a fade). */
static inline size_t
mst_tapline_max_block (const MstTapLine * t)
{
  return t->delay < t->next ? t->delay : t->next;
}

/** The longest delay the line is read at, fades to or was asked for. */
static inline size_t
mst_tapline_longest (const MstTapLine * t)
{
  size_t m = t->delay > t->next ? t->delay : t->next;
  return m > t->wanted ? m : t->wanted;
}

/** Reads @n frames at the tap(s) into @out, advancing the fade; @ahead is
 *  how many of the block's frames were already written (a line read after
 *  its block is written, as a pre-delay that may be 0). @ramp: scratch of
 *  2 @n values. */
void mst_tapline_read (MstTapLine * t, double *out, size_t n, size_t ahead,
    double *ramp);

/** Appends @n frames of @in. */
void mst_tapline_write (MstTapLine * t, const double *in, size_t n);

#ifdef __cplusplus
}
#endif
#endif
