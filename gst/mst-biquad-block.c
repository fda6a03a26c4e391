/* mastering: a biquad cascade in block state-space form (see
 * mst-biquad-block.h).
 *
 * The state is the sections' transposed direct form II states; between
 * calls the cascade keeps its Direct Form I history (the last two inputs
 * and outputs of each section), which the other runners share. A call
 * converts that history to the state, runs whole steps of eight frames,
 * then its last two to nine frames one by one, which leave the last
 * two inputs and outputs of each section behind as the history. */
#include "mst-biquad-block.h"
#include "mst-cpu.h"

#include <string.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

#define M MST_BIQUAD_BLOCK_FRAMES

/* One frame of the cascade in transposed direct form II on the state @s
 * (the design's, in long double: the matrices are then exact to the last
 * bit of a double). */
static long double
design_step (const MstBiquadBlockForm * f, long double *s, long double x)
{
  for (int k = 0; k < f->n_sections; k++) {
    const MstBiquad *q = &f->coefs[k];
    const int i = f->first[k];
    long double s2 = f->second_order[k] ? s[i + 1] : 0.0L;
    long double y = q->b0 * x + s[i];
    s[i] = q->b1 * x + s2 - q->a1 * y;
    if (f->second_order[k])
      s[i + 1] = q->b2 * x - q->a2 * y;
    x = y;
  }
  return x;
}

/* The state is one vector of eight lanes. */
_Static_assert (MST_BIQUAD_BLOCK_MAX_STATE <= 8, "state over eight lanes");

void
mst_biquad_block_design (MstBiquadBlockForm * f,
    const MstBiquadCascade * cascade)
{
  memset (f, 0, sizeof *f);
  f->n_sections = cascade->n_sections;
  for (int k = 0; k < cascade->n_sections; k++) {
    const MstBiquad *q = &cascade->coefs[k];
    f->coefs[k] = *q;
    f->second_order[k] = q->b2 != 0.0 || q->a2 != 0.0;
    f->first[k] = f->n_state;
    f->n_state += f->second_order[k] ? 2 : 1;
  }
  f->vector_path = mst_cpu_has_avx512 ();
  /* Column by column: eight frames from a unit state with no input, then
   * from rest with a unit input. */
  for (int col = 0; col < f->n_state + M; col++) {
    long double s[MST_BIQUAD_BLOCK_MAX_STATE] = { 0 };
    const bool from_state = col < f->n_state;
    const int j = col - f->n_state;
    if (from_state)
      s[col] = 1.0L;
    for (int t = 0; t < M; t++) {
      long double y = design_step (f, s, !from_state && t == j ? 1.0L : 0.0L);
      if (from_state)
        f->c[col][t] = (double) y;
      else
        f->d[j][t] = (double) y;
    }
    for (int i = 0; i < f->n_state; i++) {
      if (from_state)
        f->a[col][i] = (double) s[i];
      else
        f->b[j][i] = (double) s[i];
    }
  }
  for (int k = 0; k < 2 * M; k++) {
    const int lane = k / 2;
    for (int i = 0; i < f->n_state; i++) {
      f->c2[i][k] = (float) f->c[i][lane];
      f->a2[i][k] = (float) f->a[i][lane];
    }
    for (int j = 0; j < M; j++) {
      f->d2[j][k] = (float) f->d[j][lane];
      f->b2[j][k] = (float) f->b[j][lane];
    }
  }
}


/* The state of channel @ch from the cascade's Direct Form I history. */
static void
state_from_history (const MstBiquadBlockForm * f,
    const MstBiquadCascade * cascade, int ch, double *s)
{
  memset (s, 0, sizeof (double) * MST_BIQUAD_BLOCK_MAX_STATE);
  for (int k = 0; k < f->n_sections; k++) {
    const MstBiquad *q = &f->coefs[k];
    const MstBiquadHistory *h = &cascade->hist[ch][k];
    const int i = f->first[k];
    s[i] = q->b1 * h->x1 + q->b2 * h->x2 - q->a1 * h->y1 - q->a2 * h->y2;
    if (f->second_order[k])
      s[i + 1] = q->b2 * h->x1 - q->a2 * h->y1;
  }
}

/* Frames one by one in transposed direct form II from the states @s[ch]
 * of channels @first .. @first + @n_ch - 1 (planar, @stride apart; or
 * with @frames the interleaved stereo F32 frames), each section's last two
 * inputs and outputs kept as the cascade's history. The channels'
 * recurrences go side by side. */
static void
frames_one_by_one (const MstBiquadBlockForm * f, MstBiquadCascade * cascade,
    int first, int n_ch, double (*s)[MST_BIQUAD_BLOCK_MAX_STATE], double *x,
    size_t stride, float *frames, int n)
{
  for (int t = 0; t < n; t++)
    for (int ch = 0; ch < n_ch; ch++) {
      MstBiquadHistory *hist = cascade->hist[first + ch];
      double *st = s[ch];
      double in = frames ? frames[2 * t + ch] : x[ch * stride + t];
      for (int k = 0; k < f->n_sections; k++) {
        const MstBiquad *q = &f->coefs[k];
        const int i = f->first[k];
        double s2 = f->second_order[k] ? st[i + 1] : 0.0;
        double y = q->b0 * in + st[i];
        st[i] = q->b1 * in + s2 - q->a1 * y;
        if (f->second_order[k])
          st[i + 1] = q->b2 * in - q->a2 * y;
        hist[k].x2 = hist[k].x1;
        hist[k].x1 = in;
        hist[k].y2 = hist[k].y1;
        hist[k].y1 = y;
        in = y;
      }
      if (frames)
        frames[2 * t + ch] = (float) in;
      else
        x[ch * stride + t] = in;
    }
}

typedef double v2df __attribute__ ((vector_size (16)));

/* frames_one_by_one on interleaved stereo F32 @frames, both channels'
 * recurrences in the two lanes of one vector: the same operations in the
 * same order, so the same bits (no fused multiply-add: this file's
 * baseline target has none), half the instructions; the history stored
 * once at the end. The band limit's last eight frames of a 1024-frame
 * block. */
static void
stereo_frames_one_by_one (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, double (*s)[MST_BIQUAD_BLOCK_MAX_STATE],
    float *frames, int n)
{
  const int K = f->n_sections;
  v2df st[MST_BIQUAD_BLOCK_MAX_STATE];
  v2df x1[MST_FILTER_MAX_SECTIONS], x2[MST_FILTER_MAX_SECTIONS];
  v2df y1[MST_FILTER_MAX_SECTIONS], y2[MST_FILTER_MAX_SECTIONS];
  for (int i = 0; i < f->n_state; i++)
    st[i] = (v2df) { s[0][i], s[1][i] };
  for (int k = 0; k < K; k++) {
    const MstBiquadHistory *h0 = &cascade->hist[0][k];
    const MstBiquadHistory *h1 = &cascade->hist[1][k];
    x1[k] = (v2df) { h0->x1, h1->x1 };
    x2[k] = (v2df) { h0->x2, h1->x2 };
    y1[k] = (v2df) { h0->y1, h1->y1 };
    y2[k] = (v2df) { h0->y2, h1->y2 };
  }
  for (int t = 0; t < n; t++) {
    v2df in = { frames[2 * t], frames[2 * t + 1] };
    for (int k = 0; k < K; k++) {
      const MstBiquad *q = &f->coefs[k];
      const int i = f->first[k];
      const v2df zero = { 0.0, 0.0 };
      v2df s2 = f->second_order[k] ? st[i + 1] : zero;
      v2df y = q->b0 * in + st[i];
      st[i] = q->b1 * in + s2 - q->a1 * y;
      if (f->second_order[k])
        st[i + 1] = q->b2 * in - q->a2 * y;
      x2[k] = x1[k];
      x1[k] = in;
      y2[k] = y1[k];
      y1[k] = y;
      in = y;
    }
    frames[2 * t] = (float) in[0];
    frames[2 * t + 1] = (float) in[1];
  }
  for (int k = 0; k < K; k++)
    for (int ch = 0; ch < 2; ch++) {
      MstBiquadHistory *h = &cascade->hist[ch][k];
      h->x1 = x1[k][ch];
      h->x2 = x2[k][ch];
      h->y1 = y1[k][ch];
      h->y2 = y2[k][ch];
    }
}

#ifdef MST_HAVE_X86_PATHS
typedef double v8d __attribute__ ((vector_size (64)));
typedef long long v8di __attribute__ ((vector_size (64)));
typedef float v8sf __attribute__ ((vector_size (32)));
typedef float v16sf __attribute__ ((vector_size (64)));
typedef double v8d_unaligned __attribute__ ((vector_size (64), aligned (8),
        may_alias));

/* Macros, not functions: a function returning a 64-byte vector would
 * change the ABI outside the AVX-512 build. */
#define LOAD8(p) ((v8d) *(const v8d_unaligned *) (p))
#define SPLAT(x) ((v8d) { (x), (x), (x), (x), (x), (x), (x), (x) })
/* Lane @i of @v in every lane. */
#define LANE(v, i) __builtin_shuffle ((v), (v8di) { (i), (i), (i), (i), \
      (i), (i), (i), (i) })

/* Steps a pass takes: the inputs' part of that many steps, then their
 * recurrence, each pass with its matrices in registers. */
#define CHUNK 16

/* @n_steps steps of eight frames on channel x0 (and x1 with @pair), states
 * @s0, @s1 (eight lanes, those from @S on zero), @S a constant at each
 * call. In two passes over up to CHUNK steps: first what the inputs give
 * the outputs (D u, in place) and the next state (B u, kept), which needs
 * no state; then the recurrence, whose next state's sum is split in two,
 * so that the chain from one state to the next is a lane broadcast,
 * ceil (S / 2) multiply-adds and an addition. */
static inline __attribute__ ((always_inline)) void
block_steps (const MstBiquadBlockForm * f, const int S, const bool pair,
    double *x0, double *x1, float *frames, double *s0, double *s1,
    int n_steps)
{
  /* Interleaved stereo F32 frames in and out: x0 and x1 hold D u. */
  const bool interleaved = frames != NULL;
  v8d st0 = LOAD8 (s0), st1 = pair ? LOAD8 (s1) : SPLAT (0.0);
  v8d next_in[2][CHUNK];
  for (int from = 0; from < n_steps; from += CHUNK) {
    const int to = from + CHUNK < n_steps ? from + CHUNK : n_steps;
    {
      v8d b[M], d[M];
#pragma GCC unroll 8
      for (int j = 0; j < M; j++) {
        b[j] = LOAD8 (f->b[j]);
        d[j] = LOAD8 (f->d[j]);
      }
      for (int step = from; step < to; step++) {
        /* No offset from a NULL pointer (undefined behaviour). */
        double *u0 = x0 + (size_t) step * M;
        double *u1 = pair ? x1 + (size_t) step * M : NULL;
        const float *uf = interleaved ? frames + (size_t) step * 2 * M : NULL;
        v8d y0 = SPLAT (0.0), y1 = y0, in0 = y0, in1 = y0;
#pragma GCC unroll 8
        for (int j = 0; j < M; j++) {
          const v8d w0 = SPLAT (interleaved ? (double) uf[2 * j] : u0[j]);
          y0 = d[j] * w0 + y0;
          in0 = b[j] * w0 + in0;
          if (pair) {
            const v8d w1 = SPLAT (interleaved ? (double) uf[2 * j + 1]
                : u1[j]);
            y1 = d[j] * w1 + y1;
            in1 = b[j] * w1 + in1;
          }
        }
        memcpy (u0, &y0, sizeof y0);
        next_in[0][step - from] = in0;
        if (pair) {
          memcpy (u1, &y1, sizeof y1);
          next_in[1][step - from] = in1;
        }
      }
    }
    v8d a[MST_BIQUAD_BLOCK_MAX_STATE], c[MST_BIQUAD_BLOCK_MAX_STATE];
#pragma GCC unroll 8
    for (int i = 0; i < S; i++) {
      a[i] = LOAD8 (f->a[i]);
      c[i] = LOAD8 (f->c[i]);
    }
    for (int step = from; step < to; step++) {
      double *y0p = x0 + (size_t) step * M;
      double *y1p = pair ? x1 + (size_t) step * M : NULL;
      v8d y0 = LOAD8 (y0p), y1 = pair ? LOAD8 (y1p) : y0;
      v8d even0 = next_in[0][step - from], odd0 = SPLAT (0.0);
      v8d even1 = pair ? next_in[1][step - from] : odd0, odd1 = odd0;
#pragma GCC unroll 8
      for (int i = 0; i < S; i++) {
        const v8d w0 = LANE (st0, i);
        y0 = c[i] * w0 + y0;
        if (i & 1)
          odd0 = a[i] * w0 + odd0;
        else
          even0 = a[i] * w0 + even0;
        if (pair) {
          const v8d w1 = LANE (st1, i);
          y1 = c[i] * w1 + y1;
          if (i & 1)
            odd1 = a[i] * w1 + odd1;
          else
            even1 = a[i] * w1 + even1;
        }
      }
      st0 = even0 + odd0;
      if (pair)
        st1 = even1 + odd1;
      if (interleaved) {
        v8sf l = __builtin_convertvector (y0, v8sf);
        v8sf r = __builtin_convertvector (y1, v8sf);
        v16sf lr = __builtin_shufflevector (l, r, 0, 8, 1, 9, 2, 10, 3, 11,
            4, 12, 5, 13, 6, 14, 7, 15);
        memcpy (frames + (size_t) step * 2 * M, &lr, sizeof lr);
      } else {
        memcpy (y0p, &y0, sizeof y0);
        if (pair)
          memcpy (y1p, &y1, sizeof y1);
      }
    }
  }
  memcpy (s0, &st0, sizeof st0);
  if (pair)
    memcpy (s1, &st1, sizeof st1);
}

/* The state sizes instantiated: a smaller state runs in the next larger
 * one (its extra lanes and columns are zero). The sanitizer build
 * (gst/meson.build: MST_FEW_KERNEL_COPIES) runs every size in the largest:
 * the same source lines, instrumented once instead of in five copies. */
#ifdef MST_FEW_KERNEL_COPIES
#define BLOCK_STEPS_SIZED(S, pair, fr) \
  block_steps (f, 8, pair, x0, x1, fr, s0, s1, n)
#else
#define BLOCK_STEPS_SIZED(S, pair, fr) do {                             \
    if ((S) <= 2) block_steps (f, 2, pair, x0, x1, fr, s0, s1, n);       \
    else if ((S) <= 4) block_steps (f, 4, pair, x0, x1, fr, s0, s1, n);  \
    else if ((S) == 5) block_steps (f, 5, pair, x0, x1, fr, s0, s1, n);  \
    else if ((S) == 6) block_steps (f, 6, pair, x0, x1, fr, s0, s1, n);  \
    else block_steps (f, 8, pair, x0, x1, fr, s0, s1, n);                \
  } while (0)
#endif

/* @n_steps steps of eight interleaved stereo F32 frames in place, in
 * single precision, the state of both channels in one vector (lane 2 i + c:
 * state i of channel c; @s0, @s1 in and out in double). Two passes over up
 * to CHUNK steps, as block_steps: the inputs' part, then the recurrence.
 * A frame's pair (both channels), or a state's, is broadcast to every
 * pair of lanes as one 64-bit element. */
__attribute__ ((target ("avx512f,avx512dq,fma")))
static uint32_t
stereo_steps_f32_avx512 (const MstBiquadBlockForm * f, const float *src,
    float *frames, double *s0, double *s1, int n_steps)
{
  const int S = f->n_state;
  /* The largest magnitude's bits of the input read (Inf and NaN above
   * every finite value), for mst_biquad_block_run_stereo_f32_sane: an
   * integer maximum a step beside the multiply-adds, instead of a pass
   * of its own over the input. */
  const __m512i abs_mask = _mm512_set1_epi32 (0x7fffffff);
  __m512i in_bits = _mm512_setzero_si512 ();
  float packed[2 * MST_BIQUAD_BLOCK_MAX_STATE];
  for (int i = 0; i < MST_BIQUAD_BLOCK_MAX_STATE; i++) {
    packed[2 * i] = (float) s0[i];
    packed[2 * i + 1] = (float) s1[i];
  }
  __m512 st = _mm512_loadu_ps (packed);
  __m512 next_in[CHUNK];
  for (int from = 0; from < n_steps; from += CHUNK) {
    const int to = from + CHUNK < n_steps ? from + CHUNK : n_steps;
    {
      __m512 b[M], d[M];
#pragma GCC unroll 8
      for (int j = 0; j < M; j++) {
        b[j] = _mm512_loadu_ps (f->b2[j]);
        d[j] = _mm512_loadu_ps (f->d2[j]);
      }
      for (int step = from; step < to; step++) {
        const float *u_in = src + (size_t) step * 2 * M;
        float *u = frames + (size_t) step * 2 * M;
        __m512 y_even = _mm512_setzero_ps (), y_odd = y_even;
        __m512 in_even = y_even, in_odd = y_even;
        in_bits = _mm512_max_epu32 (in_bits, _mm512_and_si512
            (_mm512_loadu_si512 (u_in), abs_mask));
#pragma GCC unroll 8
        for (int j = 0; j < M; j += 2) {
          double pair_even, pair_odd;
          memcpy (&pair_even, u_in + 2 * j, sizeof pair_even);
          memcpy (&pair_odd, u_in + 2 * j + 2, sizeof pair_odd);
          const __m512 w0 = _mm512_castpd_ps (_mm512_set1_pd (pair_even));
          const __m512 w1 = _mm512_castpd_ps (_mm512_set1_pd (pair_odd));
          y_even = _mm512_fmadd_ps (d[j], w0, y_even);
          in_even = _mm512_fmadd_ps (b[j], w0, in_even);
          y_odd = _mm512_fmadd_ps (d[j + 1], w1, y_odd);
          in_odd = _mm512_fmadd_ps (b[j + 1], w1, in_odd);
        }
        _mm512_storeu_ps (u, _mm512_add_ps (y_even, y_odd));
        next_in[step - from] = _mm512_add_ps (in_even, in_odd);
      }
    }
    __m512 a[MST_BIQUAD_BLOCK_MAX_STATE], c[MST_BIQUAD_BLOCK_MAX_STATE];
#pragma GCC unroll 8
    for (int i = 0; i < MST_BIQUAD_BLOCK_MAX_STATE; i++) {
      a[i] = _mm512_loadu_ps (f->a2[i]);
      c[i] = _mm512_loadu_ps (f->c2[i]);
    }
    for (int step = from; step < to; step++) {
      float *yp = frames + (size_t) step * 2 * M;
      __m512 y = _mm512_loadu_ps (yp);
      __m512 even = next_in[step - from], odd = _mm512_setzero_ps ();
      const __m512d st_pairs = _mm512_castps_pd (st);
#pragma GCC unroll 8
      for (int i = 0; i < MST_BIQUAD_BLOCK_MAX_STATE; i++) {
        if (i >= S)
          break;
        const __m512 w = _mm512_castpd_ps (_mm512_permutexvar_pd
            (_mm512_set1_epi64 (i), st_pairs));
        y = _mm512_fmadd_ps (c[i], w, y);
        if (i & 1)
          odd = _mm512_fmadd_ps (a[i], w, odd);
        else
          even = _mm512_fmadd_ps (a[i], w, even);
      }
      st = _mm512_add_ps (even, odd);
      _mm512_storeu_ps (yp, y);
    }
  }
  _mm512_storeu_ps (packed, st);
  for (int i = 0; i < MST_BIQUAD_BLOCK_MAX_STATE; i++) {
    s0[i] = packed[2 * i];
    s1[i] = packed[2 * i + 1];
  }
  return _mm512_reduce_max_epu32 (in_bits);
}

#define DEFINE_STEPS(name, target_isa)                                       \
__attribute__ ((target (target_isa))) static void                           \
name (const MstBiquadBlockForm * f, double *x0, double *x1, float *frames,  \
    double *s0, double *s1, int n)                                           \
{                                                                            \
  if (frames)                                                                \
    BLOCK_STEPS_SIZED (f->n_state, true, frames);                            \
  else if (x1)                                                               \
    BLOCK_STEPS_SIZED (f->n_state, true, NULL);                              \
  else                                                                       \
    BLOCK_STEPS_SIZED (f->n_state, false, NULL);                             \
}
DEFINE_STEPS (steps_avx512, "avx512f,avx512dq,fma")
#endif

/* Returns false, the cascade untouched, when @checked and a sample of
 * @src is not audio (as mst_input_sane judges). */
static bool
run (const MstBiquadBlockForm * f, MstBiquadCascade * cascade, int n_channels,
    double *planar, size_t stride, const float *src, float *frames, int n,
    bool single, bool checked)
{
  /* Whole steps, then the last two to nine frames one by one (their last
   * two are the history); fewer than ten frames all one by one. */
  const int n_steps = f->vector_path && n >= M + 2 ? (n - 2) / M : 0;
  const int rest = n - n_steps * M;
  for (int c = 0; c < n_channels; c += 2) {
    const int n_ch = c + 1 < n_channels ? 2 : 1;
    double *x0 = planar ? planar + (size_t) c * stride : NULL;
    double s[2][MST_BIQUAD_BLOCK_MAX_STATE];
    for (int ch = 0; ch < n_ch; ch++)
      state_from_history (f, cascade, c + ch, s[ch]);
#ifdef MST_HAVE_X86_PATHS
    if (n_steps > 0 && single) {
      const float max_input = (float) MST_MAX_INPUT;
      uint32_t max_bits;
      memcpy (&max_bits, &max_input, sizeof max_bits);
      if (stereo_steps_f32_avx512 (f, src, frames, s[0], s[1], n_steps)
          > max_bits && checked)
        return false;
    } else if (n_steps > 0) {
      double *x1 = n_ch == 2 ? x0 + stride : NULL;
      steps_avx512 (f, x0, x1, frames, s[0], s[1], n_steps);
    }
#endif
    if (checked && !mst_input_sane (src + (size_t) n_steps * M * 2,
            (size_t) rest * 2, MST_FORMAT_F32))
      return false;
    if (src && src != frames)
      memcpy (frames + (size_t) n_steps * M * 2, src + (size_t) n_steps * M
          * 2, (size_t) rest * 2 * sizeof (float));
    if (single)
      stereo_frames_one_by_one (f, cascade, s, frames + (size_t) n_steps
          * M * 2, rest);
    else
      frames_one_by_one (f, cascade, c, n_ch, s, x0 ? x0 + n_steps * M
          : NULL, stride, frames ? frames + (size_t) n_steps * M * 2 : NULL,
          rest);
  }
  return true;
}

void
mst_biquad_block_run (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, int n_channels, double *planar,
    size_t stride, float *frames, int n)
{
  run (f, cascade, n_channels, planar, stride, NULL, frames, n, false,
      false);
}

void
mst_biquad_block_run_stereo_f32 (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, const float *src, float *frames, int n)
{
  run (f, cascade, 2, NULL, 0, src, frames, n, true, false);
}

bool
mst_biquad_block_run_stereo_f32_sane (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, const float *src, float *frames, int n)
{
  return run (f, cascade, 2, NULL, 0, src, frames, n, true, true);
}
