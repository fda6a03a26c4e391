/* mastering: hop ring block (mst-hopring.h). */
#include "mst-hopring.h"
#include "mst-fpu.h"

#include <stdlib.h>
#include <string.h>

struct MstHopRing {
  int max_channels, channels;
  size_t hop, ctx, extra, n_work, latency;
  size_t ring, mask, alloc;     /* frames per channel ring (power of 2) */
  double *orig, *fixed;         /* [channel][ring] */
  double *work;                 /* [n_work] */
  size_t alloc_work;
  bool bypass, listen;
  int64_t n_in, n_out, next_hop;
  uint64_t nonfinite;
};

MstHopRing *
mst_hopring_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstHopRing *r = calloc (1, sizeof *r);
  if (r)
    r->max_channels = max_channels;
  return r;
}

static void
free_buffers (MstHopRing * r)
{
  free (r->orig);
  free (r->fixed);
  free (r->work);
  r->orig = r->fixed = r->work = NULL;
  r->alloc = r->alloc_work = 0;
}

void
mst_hopring_destroy (MstHopRing ** r)
{
  if (!r || !*r)
    return;
  free_buffers (*r);
  free (*r);
  *r = NULL;
}

void
mst_hopring_reset (MstHopRing * r)
{
  if (!r)
    return;
  if (r->orig) {
    memset (r->orig, 0, r->ring * r->channels * sizeof (double));
    memset (r->fixed, 0, r->ring * r->channels * sizeof (double));
  }
  r->n_in = r->n_out = r->next_hop = 0;
}

MstResult
mst_hopring_configure (MstHopRing * r, int channels, size_t hop, size_t ctx,
    size_t extra)
{
  if (!r || channels < 1 || channels > r->max_channels || hop == 0
      || extra > ctx)
    return MST_ERR_INVALID_ARG;
  r->channels = channels;
  r->hop = hop;
  r->ctx = ctx;
  r->extra = extra;
  r->n_work = ctx + hop + ctx;
  r->latency = hop + ctx + extra;
  /* Held at once: the work frame, a hop of input pushed before the
   * analysis, and the frames before it still to leave. */
  size_t need = r->n_work + hop + extra + 1, ring = 1;
  while (ring < need)
    ring <<= 1;
  r->ring = ring;
  r->mask = ring - 1;
  size_t total;
  if (!mst_size_mul (ring, (size_t) channels, &total))
    return MST_ERR_INVALID_ARG;
  if (total > r->alloc || r->n_work > r->alloc_work) {
    free_buffers (r);
    r->orig = malloc (total * sizeof (double));
    r->fixed = malloc (total * sizeof (double));
    r->work = malloc (r->n_work * sizeof (double));
    if (!r->orig || !r->fixed || !r->work) {
      free_buffers (r);
      return MST_ERR_NOMEM;
    }
    r->alloc = total;
    r->alloc_work = r->n_work;
  }
  r->nonfinite = 0;
  mst_hopring_reset (r);
  return MST_OK;
}

void
mst_hopring_set_output (MstHopRing * r, bool bypass, bool listen)
{
  if (!r)
    return;
  r->bypass = bypass;
  r->listen = listen;
}

size_t
mst_hopring_get_latency (const MstHopRing * r)
{
  return r ? r->latency : 0;
}

size_t
mst_hopring_get_pending (const MstHopRing * r)
{
  return r ? (size_t) (r->n_in - r->n_out) : 0;
}

size_t
mst_hopring_get_work_frames (const MstHopRing * r)
{
  return r ? r->n_work : 0;
}

uint64_t
mst_hopring_get_nonfinite_count (const MstHopRing * r)
{
  return r ? r->nonfinite : 0;
}

static void
load (const MstHopRing * r, const double *ring, int64_t t0, double *work)
{
  for (size_t j = 0; j < r->n_work; j++)
    work[j] = ring[(size_t) (t0 + (int64_t) j) & r->mask];
}

void
mst_hopring_load (const MstHopRing * r, int c, int64_t t0, double *work)
{
  load (r, r->fixed + (size_t) c * r->ring, t0, work);
}

void
mst_hopring_load_input (const MstHopRing * r, int c, int64_t t0,
    double *work)
{
  load (r, r->orig + (size_t) c * r->ring, t0, work);
}

void
mst_hopring_commit (MstHopRing * r, int c, int64_t t0, const double *work,
    size_t from, size_t to)
{
  double *fixed = r->fixed + (size_t) c * r->ring;
  for (size_t j = from; j <= to && j < r->n_work; j++)
    fixed[(size_t) (t0 + (int64_t) j) & r->mask] = work[j];
}

static void
run_hops (MstHopRing * r, MstHopFn fn, void *user)
{
  while (r->n_in >= r->next_hop + (int64_t) (r->hop + r->ctx)) {
    if (!r->bypass) {
      const int64_t t0 = r->next_hop - (int64_t) r->ctx;
      for (int c = 0; c < r->channels; c++) {
        mst_hopring_load (r, c, t0, r->work);
        fn (user, r, c, t0, r->work, r->n_work);
      }
    }
    r->next_hop += (int64_t) r->hop;
  }
}

MST_ALWAYS_INLINE void
push (MstHopRing * r, const void *in, size_t n_frames, MstFormat fmt)
{
  const int ch = r->channels;
  uint64_t bad = 0;
  for (size_t i = 0; i < n_frames; i++) {
    const size_t pos = (size_t) (r->n_in + (int64_t) i) & r->mask;
    for (int c = 0; c < ch; c++) {
      double v = in ? mst_sample_get (fmt, in, i * ch + c) : 0.0;
      if (!(fabs (v) <= MST_MAX_INPUT)) {
        v = 0.0;
        bad++;
      }
      r->orig[(size_t) c * r->ring + pos] = v;
      r->fixed[(size_t) c * r->ring + pos] = v;
    }
  }
  r->nonfinite += bad;
  r->n_in += (int64_t) n_frames;
}

/* Frames up to @end (exclusive) out to @out; returns how many. */
MST_ALWAYS_INLINE size_t
emit (MstHopRing * r, void *out, int64_t end, MstFormat fmt)
{
  const int ch = r->channels;
  size_t k = 0;
  for (; r->n_out < end; r->n_out++, k++) {
    const size_t pos = (size_t) r->n_out & r->mask;
    for (int c = 0; c < ch; c++) {
      const double o = r->orig[(size_t) c * r->ring + pos];
      const double f = r->fixed[(size_t) c * r->ring + pos];
      mst_sample_put (fmt, out, k * ch + c,
          r->bypass ? o : r->listen ? o - f : f);
    }
  }
  return k;
}

/* Pushes @n_in frames (NULL: silence) a hop at a time, analysing and
 * emitting up to @limit as they complete. */
MST_ALWAYS_INLINE size_t
stream (MstHopRing * r, const void *in, size_t n_in, void *out,
    int64_t limit, MstHopFn fn, void *user, MstFormat fmt)
{
  const size_t bpf = (size_t) r->channels
      * (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float));
  size_t done = 0, produced = 0;
  while (done < n_in) {
    size_t k = n_in - done < r->hop ? n_in - done : r->hop;
    push (r, in ? (const char *) in + done * bpf : NULL, k, fmt);
    done += k;
    run_hops (r, fn, user);
    int64_t end = r->n_in - (int64_t) r->latency;
    produced += emit (r, (char *) out + produced * bpf,
        end < limit ? end : limit, fmt);
  }
  return produced;
}

MST_ALWAYS_INLINE MstResult
process (MstHopRing * r, const void *in, size_t n_in, void *out,
    size_t *n_out, MstHopFn fn, void *user, MstFormat fmt)
{
  *n_out = 0;
  if (!r || !r->orig || (!in && n_in) || !out || !fn)
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  *n_out = stream (r, in, n_in, out, INT64_MAX, fn, user, fmt);
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
drain (MstHopRing * r, void *out, size_t *n_out, MstHopFn fn, void *user,
    MstFormat fmt)
{
  *n_out = 0;
  if (!r || !r->orig || !out || !fn)
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  /* Silence after the end until every held frame has been through all
   * the hops that reach it. */
  *n_out = stream (r, NULL, r->latency, out, r->n_in, fn, user, fmt);
  mst_fpu_leave (fpu);
  mst_hopring_reset (r);
  return MST_OK;
}

MstResult
mst_hopring_process_f32 (MstHopRing * r, const float *in, size_t n_in,
    float *out, size_t *n_out, MstHopFn fn, void *user)
{
  return process (r, in, n_in, out, n_out, fn, user, MST_FORMAT_F32);
}

MstResult
mst_hopring_process_f64 (MstHopRing * r, const double *in, size_t n_in,
    double *out, size_t *n_out, MstHopFn fn, void *user)
{
  return process (r, in, n_in, out, n_out, fn, user, MST_FORMAT_F64);
}

MstResult
mst_hopring_drain_f32 (MstHopRing * r, float *out, size_t *n_out,
    MstHopFn fn, void *user)
{
  return drain (r, out, n_out, fn, user, MST_FORMAT_F32);
}

MstResult
mst_hopring_drain_f64 (MstHopRing * r, double *out, size_t *n_out,
    MstHopFn fn, void *user)
{
  return drain (r, out, n_out, fn, user, MST_FORMAT_F64);
}
