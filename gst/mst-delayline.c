/* mastering: delay line. */
#include "mst-delayline.h"

#include <stdlib.h>
#include <string.h>

struct MstDelayLine {
  int max_channels, channels;
  /* [ring][channel], float or double as format says. */
  void *ring;
  size_t mask;
  MstFormat format;
  int64_t written, read;
  /* The ring's first bytes that may not be zero: what the layouts in use
   * since the last reset reach (slots of every frame, the channel count
   * and format then). The rest is zero, as calloc left it: a reset clears
   * only these bytes, and a format change converts only them (zero is
   * zero in both formats). The ring is sized for the worst case (384 kHz,
   * 8 channels, doubles: 1 MiB for the limiter), and clearing all of it
   * touched every page, each a page fault on first use: 3 to 11 ms at
   * each element's start on the test machine, where a stereo F32 stream
   * uses an eighth of it. */
  size_t dirty_bytes;
};

/* The bytes the current layout reaches. */
static size_t
layout_bytes (const MstDelayLine * dl)
{
  return (dl->mask + 1) * dl->channels * (dl->format == MST_FORMAT_F64
      ? sizeof (double) : sizeof (float));
}

MstDelayLine *
mst_delayline_init (int max_channels, size_t max_held_frames)
{
  size_t ring = 1, n;
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS
      || max_held_frames > SIZE_MAX / 2)
    return NULL;
  while (ring < max_held_frames)
    ring <<= 1;
  MstDelayLine *dl = calloc (1, sizeof *dl);
  if (!dl)
    return NULL;
  dl->max_channels = dl->channels = max_channels;
  dl->mask = ring - 1;
  if (!mst_size_mul (ring * max_channels, sizeof (double), &n)
      || !(dl->ring = calloc (1, n))) {
    free (dl);
    return NULL;
  }
  return dl;
}

void
mst_delayline_destroy (MstDelayLine ** dl)
{
  if (!dl || !*dl)
    return;
  free ((*dl)->ring);
  free (*dl);
  *dl = NULL;
}

MstResult
mst_delayline_configure (MstDelayLine * dl, int channels)
{
  if (!dl || channels < 1 || channels > dl->max_channels)
    return MST_ERR_INVALID_ARG;
  dl->channels = channels;
  mst_delayline_reset (dl);
  return MST_OK;
}

void
mst_delayline_reset (MstDelayLine * dl)
{
  memset (dl->ring, 0, dl->dirty_bytes);
  dl->dirty_bytes = 0;
  dl->written = dl->read = 0;
}

size_t
mst_delayline_get_capacity (const MstDelayLine * dl)
{
  return dl->mask + 1;
}

/* In place: widening runs from the end, narrowing from the start, so no
 * value is overwritten before it is read. */
void
mst_delayline_set_format (MstDelayLine * dl, MstFormat fmt)
{
  typedef float __attribute__ ((may_alias)) any_float;
  typedef double __attribute__ ((may_alias)) any_double;
  any_float *f = dl->ring;
  any_double *d = dl->ring;
  if (dl->format == fmt)
    return;
  /* Past dirty_bytes the ring is zero in either format. Narrowing leaves
   * the old doubles' second halves behind: dirty_bytes stays. */
  if (fmt == MST_FORMAT_F64) {
    /* The floats of the frames' slots (after a narrowing, the dirty bytes
     * reach further: the old doubles' halves, which this overwrites). */
    size_t count = dl->dirty_bytes / sizeof (float), slots = (dl->mask + 1)
        * dl->channels;
    count = count < slots ? count : slots;
    for (size_t k = count; k-- > 0;)
      d[k] = f[k];
    size_t reach = count * sizeof (double);
    dl->dirty_bytes = reach > dl->dirty_bytes ? reach : dl->dirty_bytes;
  } else {
    size_t count = dl->dirty_bytes / sizeof (double);
    for (size_t k = 0; k < count; k++)
      f[k] = (float) d[k];
  }
  dl->format = fmt;
}

void *
mst_delayline_frame (MstDelayLine * dl, int64_t frame, size_t *index,
    size_t *run)
{
  size_t slot = (size_t) frame & dl->mask;
  /* The caller may write any slot of this layout. */
  size_t reach = layout_bytes (dl);
  dl->dirty_bytes = reach > dl->dirty_bytes ? reach : dl->dirty_bytes;
  if (index)
    *index = slot;
  if (run)
    *run = dl->mask + 1 - slot;
  size_t bytes = dl->format == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);
  return (char *) dl->ring + slot * dl->channels * bytes;
}

int64_t
mst_delayline_get_written (const MstDelayLine * dl)
{
  return dl->written;
}

int64_t
mst_delayline_get_read (const MstDelayLine * dl)
{
  return dl->read;
}

size_t
mst_delayline_get_pending (const MstDelayLine * dl)
{
  return (size_t) (dl->written - dl->read);
}

void
mst_delayline_mark_written (MstDelayLine * dl, size_t n_frames)
{
  dl->written += (int64_t) n_frames;
}

void
mst_delayline_mark_read (MstDelayLine * dl, int64_t frame)
{
  dl->read = frame;
}

/* Copies n frames between the ring from frame on and buf (to the ring
 * when into_ring), a run at a time; buf NULL writes silence. */
static void
copy_frames (MstDelayLine * dl, int64_t frame, void *buf, size_t n,
    bool into_ring)
{
  size_t bytes = (dl->format == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * dl->channels;
  size_t done = 0;
  while (done < n) {
    size_t run;
    void *slots = mst_delayline_frame (dl, frame + (int64_t) done, NULL, &run);
    size_t len = run < n - done ? run : n - done;
    char *b = buf ? (char *) buf + done * bytes : NULL;
    if (!into_ring)
      memcpy (b, slots, len * bytes);
    else if (b)
      memcpy (slots, b, len * bytes);
    else
      memset (slots, 0, len * bytes);
    done += len;
  }
}

void
mst_delayline_push (MstDelayLine * dl, const void *in, size_t n_frames)
{
  copy_frames (dl, dl->written, (void *) in, n_frames, true);
  dl->written += (int64_t) n_frames;
}

void
mst_delayline_pull (MstDelayLine * dl, void *out, size_t n_frames)
{
  copy_frames (dl, dl->read, out, n_frames, false);
  dl->read += (int64_t) n_frames;
}

size_t
mst_delayline_drain (MstDelayLine * dl, void *out)
{
  size_t n = mst_delayline_get_pending (dl);
  mst_delayline_pull (dl, out, n);
  return n;
}

void
mst_delayline_read_frac (const MstDelayLine * dl, int channel,
    int64_t frame0, const double *delay, double *out, int n)
{
  const double *ring = (const double *) dl->ring + channel;
  const size_t mask = dl->mask, stride = (size_t) dl->channels;
  for (int i = 0; i < n; i++) {
    double pos = (double) (frame0 + i) - delay[i];
    /* floor (pos), without the call: truncation, one down below 0. */
    int64_t whole = (int64_t) pos;
    whole -= pos < (double) whole;
    double f = pos - (double) whole;
    size_t first = (size_t) (whole - 1) & mask;
    double xm1, x0, x1, x2;
    if (first + 3 <= mask) {
      /* The four frames in a row, the common case. */
      const double *p = ring + first * stride;
      xm1 = p[0];
      x0 = p[stride];
      x1 = p[2 * stride];
      x2 = p[3 * stride];
    } else {
      xm1 = ring[first * stride];
      x0 = ring[((first + 1) & mask) * stride];
      x1 = ring[((first + 2) & mask) * stride];
      x2 = ring[((first + 3) & mask) * stride];
    }
    /* The Lagrange polynomial through (-1, xm1), (0, x0), (1, x1),
     * (2, x2) at f, in Horner form: f = 0 gives x0 exactly. */
    double c1 = x1 - (1.0 / 3.0) * xm1 - 0.5 * x0 - (1.0 / 6.0) * x2;
    double c2 = 0.5 * (xm1 + x1) - x0;
    double c3 = (1.0 / 6.0) * (x2 - xm1) + 0.5 * (x0 - x1);
    out[i] = x0 + f * (c1 + f * (c2 + f * c3));
  }
}
