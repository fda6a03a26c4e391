/* mastering: delay line. */
#include "mst-delayline.h"
#include "mst-cpu.h"

#include <stdlib.h>
#include <string.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

struct MstDelayLine {
  int max_channels, channels;
  /* [ring][channel], float or double as format says. */
  void *ring;
  /* The ring in use, a power of 2 (mask + 1 frames), and the one
   * allocated (max_mask + 1). */
  size_t mask, max_mask;
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
  /* mst_delayline_read_frac_ramp's: 0 scalar, 1 AVX2, 2 AVX-512. */
  int vector_path;
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
  dl->mask = dl->max_mask = ring - 1;
#ifdef MST_HAVE_X86_PATHS
  dl->vector_path = mst_cpu_has_avx512 ()? 2 : mst_cpu_has_avx2_fma ()? 1 : 0;
#endif
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
  return mst_delayline_configure_held (dl, channels, dl ? dl->max_mask + 1
      : 0);
}

MstResult
mst_delayline_configure_held (MstDelayLine * dl, int channels,
    size_t held_frames)
{
  size_t ring = 1;
  if (!dl || channels < 1 || channels > dl->max_channels
      || held_frames > dl->max_mask + 1)
    return MST_ERR_INVALID_ARG;
  while (ring < held_frames)
    ring <<= 1;
  dl->channels = channels;
  /* The reset clears the bytes the old layout reached (dirty_bytes counts
   * from the ring's start whatever the layout). */
  dl->mask = ring - 1;
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

/* The Lagrange polynomial through (-1, xm1), (0, x0), (1, x1), (2, x2) at
 * f, in Horner form: f = 0 gives x0 exactly. */
static inline double
lagrange4 (double xm1, double x0, double x1, double x2, double f)
{
  double c1 = x1 - (1.0 / 3.0) * xm1 - 0.5 * x0 - (1.0 / 6.0) * x2;
  double c2 = 0.5 * (xm1 + x1) - x0;
  double c3 = (1.0 / 6.0) * (x2 - xm1) + 0.5 * (x0 - x1);
  return x0 + f * (c1 + f * (c2 + f * c3));
}

/* Channel of @ring (already offset to it) at @rel frames from @base (the
 * ring index of frame0; @rel <= -3). The position is taken relative to
 * frame0, so its fraction keeps every bit however long the stream. */
static inline double
read_at (const double *ring, size_t mask, size_t stride, size_t base,
    double rel)
{
  /* floor (rel), without the call: truncation, one down below 0. */
  int64_t whole = (int64_t) rel;
  whole -= rel < (double) whole;
  double f = rel - (double) whole;
  size_t first = (base + (size_t) (whole - 1)) & mask;
  if (first + 3 <= mask) {
    /* The four frames in a row, the common case. */
    const double *p = ring + first * stride;
    return lagrange4 (p[0], p[stride], p[2 * stride], p[3 * stride], f);
  }
  return lagrange4 (ring[first * stride], ring[((first + 1) & mask) * stride],
      ring[((first + 2) & mask) * stride], ring[((first + 3) & mask) * stride],
      f);
}

void
mst_delayline_read_frac (const MstDelayLine * dl, int channel,
    int64_t frame0, const double *delay, double *out, int n)
{
  const double *ring = (const double *) dl->ring + channel;
  const size_t mask = dl->mask, stride = (size_t) dl->channels;
  const size_t base = (size_t) frame0 & mask;
  for (int i = 0; i < n; i++)
    out[i] = read_at (ring, mask, stride, base, (double) i - delay[i]);
}

static void
ramp_scalar (const double *ring, size_t mask, size_t stride, size_t base,
    double d0, double dd, double g0, double dg, double *out, int from, int n)
{
  for (int i = from; i < n; i++)
    out[i] += (g0 + (i + 1) * dg) * read_at (ring, mask, stride, base,
        (double) i - (d0 + i * dd));
}

#ifdef MST_HAVE_X86_PATHS
/* The ring indices of the four taps of 4 or 8 lanes: (base + whole - 1 + k)
 * & mask, times the stride, in 32-bit lanes (the ring holds fewer than
 * 2^31 slots). */
__attribute__ ((target ("avx2,fma")))
static void
ramp_avx2 (const double *ring, size_t mask, size_t stride, size_t base,
    double d0, double dd, double g0, double dg, double *out, int n)
{
  const __m256d lane = _mm256_set_pd (3.0, 2.0, 1.0, 0.0);
  const __m256d vd0 = _mm256_set1_pd (d0), vdd = _mm256_set1_pd (dd);
  const __m256d vg0 = _mm256_set1_pd (g0), vdg = _mm256_set1_pd (dg);
  const __m128i vmask = _mm_set1_epi32 ((int) mask);
  const __m128i vbase = _mm_set1_epi32 ((int) base - 1);
  const __m128i vstride = _mm_set1_epi32 ((int) stride);
  const __m128i one = _mm_set1_epi32 (1);
  const __m256d third = _mm256_set1_pd (1.0 / 3.0);
  const __m256d half = _mm256_set1_pd (0.5);
  const __m256d sixth = _mm256_set1_pd (1.0 / 6.0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d fi = _mm256_add_pd (_mm256_set1_pd ((double) i), lane);
    __m256d rel = _mm256_sub_pd (fi, _mm256_add_pd (vd0,
            _mm256_mul_pd (fi, vdd)));
    __m256d whole = _mm256_floor_pd (rel);
    __m256d f = _mm256_sub_pd (rel, whole);
    __m128i k0 = _mm_add_epi32 (_mm256_cvtpd_epi32 (whole), vbase);
    __m128i k1 = _mm_add_epi32 (k0, one);
    __m128i k2 = _mm_add_epi32 (k1, one);
    __m128i k3 = _mm_add_epi32 (k2, one);
    k0 = _mm_mullo_epi32 (_mm_and_si128 (k0, vmask), vstride);
    k1 = _mm_mullo_epi32 (_mm_and_si128 (k1, vmask), vstride);
    k2 = _mm_mullo_epi32 (_mm_and_si128 (k2, vmask), vstride);
    k3 = _mm_mullo_epi32 (_mm_and_si128 (k3, vmask), vstride);
    __m256d xm1 = _mm256_i32gather_pd (ring, k0, 8);
    __m256d x0 = _mm256_i32gather_pd (ring, k1, 8);
    __m256d x1 = _mm256_i32gather_pd (ring, k2, 8);
    __m256d x2 = _mm256_i32gather_pd (ring, k3, 8);
    __m256d c1 = _mm256_sub_pd (_mm256_sub_pd (_mm256_sub_pd (x1,
                _mm256_mul_pd (third, xm1)), _mm256_mul_pd (half, x0)),
        _mm256_mul_pd (sixth, x2));
    __m256d c2 = _mm256_sub_pd (_mm256_mul_pd (half, _mm256_add_pd (xm1,
                x1)), x0);
    __m256d c3 = _mm256_add_pd (_mm256_mul_pd (sixth, _mm256_sub_pd (x2,
                xm1)), _mm256_mul_pd (half, _mm256_sub_pd (x0, x1)));
    __m256d y = _mm256_fmadd_pd (f, _mm256_fmadd_pd (f, _mm256_fmadd_pd (f,
                c3, c2), c1), x0);
    __m256d g = _mm256_add_pd (vg0, _mm256_mul_pd (_mm256_add_pd (fi,
                _mm256_set1_pd (1.0)), vdg));
    _mm256_storeu_pd (out + i, _mm256_fmadd_pd (g, y,
            _mm256_loadu_pd (out + i)));
  }
  ramp_scalar (ring, mask, stride, base, d0, dd, g0, dg, out, i, n);
}

__attribute__ ((target ("avx2,fma,avx512f,avx512dq")))
static void
ramp_avx512 (const double *ring, size_t mask, size_t stride, size_t base,
    double d0, double dd, double g0, double dg, double *out, int n)
{
  const __m512d lane = _mm512_set_pd (7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0,
      0.0);
  const __m512d vd0 = _mm512_set1_pd (d0), vdd = _mm512_set1_pd (dd);
  const __m512d vg0 = _mm512_set1_pd (g0), vdg = _mm512_set1_pd (dg);
  const __m256i vmask = _mm256_set1_epi32 ((int) mask);
  const __m256i vbase = _mm256_set1_epi32 ((int) base - 1);
  const __m256i vstride = _mm256_set1_epi32 ((int) stride);
  const __m256i one = _mm256_set1_epi32 (1);
  const __m512d third = _mm512_set1_pd (1.0 / 3.0);
  const __m512d half = _mm512_set1_pd (0.5);
  const __m512d sixth = _mm512_set1_pd (1.0 / 6.0);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d fi = _mm512_add_pd (_mm512_set1_pd ((double) i), lane);
    __m512d rel = _mm512_sub_pd (fi, _mm512_add_pd (vd0,
            _mm512_mul_pd (fi, vdd)));
    __m512d whole = _mm512_roundscale_pd (rel, _MM_FROUND_TO_NEG_INF
        | _MM_FROUND_NO_EXC);
    __m512d f = _mm512_sub_pd (rel, whole);
    __m256i k0 = _mm256_add_epi32 (_mm512_cvtpd_epi32 (whole), vbase);
    __m256i k1 = _mm256_add_epi32 (k0, one);
    __m256i k2 = _mm256_add_epi32 (k1, one);
    __m256i k3 = _mm256_add_epi32 (k2, one);
    k0 = _mm256_mullo_epi32 (_mm256_and_si256 (k0, vmask), vstride);
    k1 = _mm256_mullo_epi32 (_mm256_and_si256 (k1, vmask), vstride);
    k2 = _mm256_mullo_epi32 (_mm256_and_si256 (k2, vmask), vstride);
    k3 = _mm256_mullo_epi32 (_mm256_and_si256 (k3, vmask), vstride);
    __m512d xm1 = _mm512_i32gather_pd (k0, ring, 8);
    __m512d x0 = _mm512_i32gather_pd (k1, ring, 8);
    __m512d x1 = _mm512_i32gather_pd (k2, ring, 8);
    __m512d x2 = _mm512_i32gather_pd (k3, ring, 8);
    __m512d c1 = _mm512_sub_pd (_mm512_sub_pd (_mm512_sub_pd (x1,
                _mm512_mul_pd (third, xm1)), _mm512_mul_pd (half, x0)),
        _mm512_mul_pd (sixth, x2));
    __m512d c2 = _mm512_sub_pd (_mm512_mul_pd (half, _mm512_add_pd (xm1,
                x1)), x0);
    __m512d c3 = _mm512_add_pd (_mm512_mul_pd (sixth, _mm512_sub_pd (x2,
                xm1)), _mm512_mul_pd (half, _mm512_sub_pd (x0, x1)));
    __m512d y = _mm512_fmadd_pd (f, _mm512_fmadd_pd (f, _mm512_fmadd_pd (f,
                c3, c2), c1), x0);
    __m512d g = _mm512_add_pd (vg0, _mm512_mul_pd (_mm512_add_pd (fi,
                _mm512_set1_pd (1.0)), vdg));
    _mm512_storeu_pd (out + i, _mm512_fmadd_pd (g, y,
            _mm512_loadu_pd (out + i)));
  }
  ramp_scalar (ring, mask, stride, base, d0, dd, g0, dg, out, i, n);
}
#endif

void
mst_delayline_read_frac_ramp (const MstDelayLine * dl, int channel,
    int64_t frame0, double delay0, double ddelay, double gain0,
    double dgain, double *out, int n)
{
  const double *ring = (const double *) dl->ring + channel;
  const size_t mask = dl->mask, stride = (size_t) dl->channels;
  const size_t base = (size_t) frame0 & mask;
#ifdef MST_HAVE_X86_PATHS
  if (dl->vector_path == 2) {
    ramp_avx512 (ring, mask, stride, base, delay0, ddelay, gain0, dgain, out,
        n);
    return;
  }
  if (dl->vector_path == 1) {
    ramp_avx2 (ring, mask, stride, base, delay0, ddelay, gain0, dgain, out,
        n);
    return;
  }
#endif
  ramp_scalar (ring, mask, stride, base, delay0, ddelay, gain0, dgain, out,
      0, n);
}
