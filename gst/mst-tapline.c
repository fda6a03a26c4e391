/* mastering: delay line read through crossfaded taps. */
#include "mst-tapline.h"

#include <stdlib.h>
#include <string.h>

#include "mst-smoother.h"

MstResult
mst_tapline_alloc (MstTapLine * t, size_t max_delay_frames, size_t max_block,
    double fade_frames)
{
  size_t need = max_delay_frames + max_block + 1, cap = 1;
  memset (t, 0, sizeof *t);
  while (cap < need) {
    if (cap > SIZE_MAX / 2 / sizeof (double))
      return MST_ERR_NOMEM;
    cap *= 2;
  }
  t->buf = calloc (cap, sizeof (double));
  if (!t->buf)
    return MST_ERR_NOMEM;
  t->mask = cap - 1;
  t->max_delay = max_delay_frames;
  t->fade_step = 1.0 / (fade_frames > 1.0 ? fade_frames : 1.0);
  return MST_OK;
}

void
mst_tapline_free (MstTapLine * t)
{
  free (t->buf);
  t->buf = NULL;
}

void
mst_tapline_reset (MstTapLine * t)
{
  memset (t->buf, 0, (t->mask + 1) * sizeof (double));
  t->pos = 0;
  t->delay = t->next = t->wanted;
  t->fade = 0.0;
}

void
mst_tapline_set_delay (MstTapLine * t, size_t frames)
{
  if (frames > t->max_delay)
    frames = t->max_delay;
  t->wanted = frames;
  if (t->next == t->delay && frames != t->delay) {
    t->next = frames;
    t->fade = 0.0;
  }
}

/* @n frames from ring position @start on into @out (the ring wraps). */
static void
copy_out (const MstTapLine * t, uint64_t start, double *out, size_t n)
{
  size_t at = (size_t) (start & t->mask);
  size_t run = t->mask + 1 - at;
  if (run >= n)
    memcpy (out, t->buf + at, n * sizeof (double));
  else {
    memcpy (out, t->buf + at, run * sizeof (double));
    memcpy (out + run, t->buf, (n - run) * sizeof (double));
  }
}

void
mst_tapline_read (MstTapLine * t, double *out, size_t n, size_t ahead,
    double *ramp)
{
  uint64_t base = t->pos - ahead;
  /* Frames before the reset are silence (and the ring is clear). */
  copy_out (t, base - t->delay, out, n);
  if (t->next == t->delay)
    return;
  double *other = ramp + n;
  copy_out (t, base - t->next, other, n);
  t->fade = mst_smoother_fade_fill_smooth (ramp, t->fade, 1.0, t->fade_step,
      (int) n);
  for (size_t i = 0; i < n; i++)
    out[i] += ramp[i] * (other[i] - out[i]);
  if (t->fade >= 1.0) {
    t->delay = t->next;
    t->fade = 0.0;
    if (t->wanted != t->delay)
      t->next = t->wanted;
  }
}

void
mst_tapline_write (MstTapLine * t, const double *in, size_t n)
{
  size_t at = (size_t) (t->pos & t->mask);
  size_t run = t->mask + 1 - at;
  if (run >= n)
    memcpy (t->buf + at, in, n * sizeof (double));
  else {
    memcpy (t->buf + at, in, run * sizeof (double));
    memcpy (t->buf, in + run, (n - run) * sizeof (double));
  }
  t->pos += n;
}
