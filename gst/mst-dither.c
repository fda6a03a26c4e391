/* mastering: dither core (mst-dither.h).
 *
 * Per channel, per block: the samples are scanned once (on the output grid?
 * all zero?); a channel on the grid is copied exactly, a blanked one written
 * as zeros; the others get TPDF dither from eight xoshiro128+ streams (one
 * vector of eight lanes, built for AVX2 and the baseline) and go through the error-feedback quantiser, the one recursive
 * loop: w = x + sum a_k e[n-k], y = round (w + d), e[n] = y - w. The error
 * fed back is that of the unclipped quantiser, so |e| < 1.5 LSB whatever
 * the input (dither within +-1 LSB, rounding within 0.5): clipping never
 * enters the loop, its state stays within 1.5 sum |a_k| LSB, and the
 * output's error is A(z) e, e white at 1/4 LSB^2 (TPDF 1/6 plus rounding
 * 1/12). */
#include "mst-dither.h"

#include <stdlib.h>
#include <string.h>

#include "mst-cpu.h"
#include "mst-fpu.h"

typedef struct {
  uint32_t rng[4][8];
  /* e[n-1] .. e[n-N] at z[pos .. pos+N-1]; each value stored twice (pos
   * and pos+N) so the window is always contiguous. */
  double z[2 * MST_DITHER_MAX_TAPS];
  int pos;
  /* Exactly-zero samples in a row (auto-blank). */
  uint32_t zero_run;
  /* The channel's samples were on the output grid (exact copy). */
  bool on_grid;
} Channel;

struct MstDither {
  int max_channels, channels, rate_hz, bits;
  double scale, lo, hi;
  MstDitherSettings s;
  const MstDitherShape *shape;
  int n_taps;
  double a[MST_DITHER_MAX_TAPS];
  Channel *ch;
  float *tpdf;
  double *clean;
  uint64_t nonfinite_count;
};

/* ---- Generator ---------------------------------------------------- */

static uint64_t
splitmix64 (uint64_t * x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void
mst_dither_seed_streams (uint32_t state[4][8], uint64_t seed, uint64_t stream)
{
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
  for (int l = 0; l < 8; l++) {
    for (int w = 0; w < 4; w += 2) {
      uint64_t v = splitmix64 (&x);
      state[w][l] = (uint32_t) v;
      state[w + 1][l] = (uint32_t) (v >> 32);
    }
    /* xoshiro's state must not be all zero. */
    if (!(state[0][l] | state[1][l] | state[2][l] | state[3][l]))
      state[0][l] = 1;
  }
}

/* Eight lanes of 32-bit integers and floats: GCC's vector extensions, one
 * AVX2 register (two SSE2 ones in the baseline build). */
typedef uint32_t U32x8 __attribute__ ((vector_size (32)));
typedef int32_t I32x8 __attribute__ ((vector_size (32)));
typedef float F32x8 __attribute__ ((vector_size (32)));

/* xoshiro128+ (Blackman and Vigna), one step of the eight lanes; the top
 * 24 bits of the result are the uniform. */
MST_ALWAYS_INLINE void
xoshiro_step (U32x8 * s0, U32x8 * s1, U32x8 * s2, U32x8 * s3, I32x8 * u)
{
  U32x8 r = *s0 + *s3, t = *s1 << 9;
  *s2 ^= *s0;
  *s3 ^= *s1;
  *s1 ^= *s2;
  *s0 ^= *s3;
  *s2 ^= t;
  *s3 = (*s3 << 11) | (*s3 >> 21);
  *u = (I32x8) (r >> 8);
}

MST_VECTORISE_AVX2 void
mst_dither_tpdf (uint32_t state[4][8], float *out, size_t n)
{
  U32x8 s0, s1, s2, s3;
  memcpy (&s0, state[0], sizeof s0);
  memcpy (&s1, state[1], sizeof s1);
  memcpy (&s2, state[2], sizeof s2);
  memcpy (&s3, state[3], sizeof s3);
  for (size_t i = 0; i < n; i += 8) {
    I32x8 u1, u2;
    xoshiro_step (&s0, &s1, &s2, &s3, &u1);
    xoshiro_step (&s0, &s1, &s2, &s3, &u2);
    F32x8 d = __builtin_convertvector (u1 - u2, F32x8)
        * (1.0f / 16777216.0f);
    memcpy (out + i, &d, sizeof d);
  }
  memcpy (state[0], &s0, sizeof s0);
  memcpy (state[1], &s1, sizeof s1);
  memcpy (state[2], &s2, sizeof s2);
  memcpy (state[3], &s3, sizeof s3);
}

/* ---- Threshold of hearing (the designs' weighting) -------------------- */

/* ISO 226:2003 Table 1, threshold of hearing T_f (dB SPL), 20 Hz to
 * 12.5 kHz (sources: docs/elements/dither.md, References);
 * scripts/design-dither.py has the same table. */
static const double iso226_f[] = { 20, 25, 31.5, 40, 50, 63, 80, 100, 125,
  160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500,
  3150, 4000, 5000, 6300, 8000, 10000, 12500
};

static const double iso226_tf[] = { 78.5, 68.7, 59.5, 51.1, 44.0, 37.5,
  31.5, 26.5, 22.1, 17.9, 14.4, 11.4, 8.6, 6.2, 4.4, 3.0, 2.2, 2.4, 3.5, 1.7,
  -1.3, -4.2, -6.0, -5.4, -1.5, 6.0, 12.6, 13.9, 12.3
};

/* Terhardt (1979), threshold in quiet (dB SPL), f in Hz. */
static double
terhardt_db (double f)
{
  double k = f / 1000.0;
  return 3.64 * pow (k, -0.8) - 6.5 * exp (-0.6 * (k - 3.3) * (k - 3.3))
      + 1e-3 * k * k * k * k;
}

double
mst_dither_threshold_db (double f)
{
  const size_t n = sizeof iso226_f / sizeof iso226_f[0];
  if (f > iso226_f[n - 1])
    return iso226_tf[n - 1] + terhardt_db (f) - terhardt_db (iso226_f[n - 1]);
  if (!(f > iso226_f[0]))
    return iso226_tf[0];
  size_t i = 1;
  while (iso226_f[i] < f)
    i++;
  double t = (log (f) - log (iso226_f[i - 1]))
      / (log (iso226_f[i]) - log (iso226_f[i - 1]));
  return iso226_tf[i - 1] + t * (iso226_tf[i] - iso226_tf[i - 1]);
}

/* ---- Life cycle --------------------------------------------------- */

void
mst_dither_settings_default (MstDitherSettings * s)
{
  s->shaping = MST_DITHER_F_WEIGHTED;
  s->auto_blank = true;
  s->bypass = false;
  s->seed = 0;
}

const MstDitherShape *
mst_dither_find_shape (MstDitherShaping shaping, int rate_hz)
{
  for (size_t i = 0; i < mst_dither_n_shapes; i++)
    if (mst_dither_shapes[i].shaping == shaping
        && mst_dither_shapes[i].rate_hz == rate_hz)
      return &mst_dither_shapes[i];
  return NULL;
}

double
mst_dither_peak_error (MstDitherShaping shaping, int rate_hz, int bits,
    bool bypass)
{
  const MstDitherShape *shape = mst_dither_find_shape (shaping, rate_hz);
  double sum = 1.0;
  if (bypass)
    return ldexp (0.5, 1 - bits);
  for (int k = 0; shape && k < shape->n_taps; k++)
    sum += fabs (shape->a[k]);
  return ldexp (1.5 * sum, 1 - bits);
}

MstDither *
mst_dither_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDither *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  d->max_channels = max_channels;
  d->ch = calloc ((size_t) max_channels, sizeof *d->ch);
  d->tpdf = malloc (MST_DITHER_BLOCK_FRAMES * sizeof *d->tpdf);
  d->clean = malloc ((size_t) max_channels * MST_DITHER_BLOCK_FRAMES
      * sizeof *d->clean);
  if (!d->ch || !d->tpdf || !d->clean) {
    mst_dither_destroy (&d);
    return NULL;
  }
  mst_dither_settings_default (&d->s);
  return d;
}

void
mst_dither_destroy (MstDither ** pd)
{
  if (!pd || !*pd)
    return;
  free ((*pd)->ch);
  free ((*pd)->tpdf);
  free ((*pd)->clean);
  free (*pd);
  *pd = NULL;
}

static void
clear_filter (Channel * ch)
{
  memset (ch->z, 0, sizeof ch->z);
  ch->pos = 0;
}

static void
choose_shape (MstDither * d)
{
  d->shape = d->s.bypass ? NULL : mst_dither_find_shape (d->s.shaping,
      d->rate_hz);
  d->n_taps = d->shape ? d->shape->n_taps : 0;
  memset (d->a, 0, sizeof d->a);
  if (d->shape)
    memcpy (d->a, d->shape->a, (size_t) d->n_taps * sizeof d->a[0]);
  for (int c = 0; c < d->max_channels; c++)
    clear_filter (&d->ch[c]);
}

void
mst_dither_reset (MstDither * d)
{
  if (!d)
    return;
  for (int c = 0; c < d->max_channels; c++) {
    Channel *ch = &d->ch[c];
    clear_filter (ch);
    mst_dither_seed_streams (ch->rng, d->s.seed, (uint64_t) c);
    ch->zero_run = MST_DITHER_BLANK_FRAMES;
    ch->on_grid = false;
  }
}

MstResult
mst_dither_configure (MstDither * d, int rate_hz, int channels, int bits)
{
  if (!d || channels < 1 || channels > d->max_channels
      || rate_hz < MST_MIN_RATE_HZ || rate_hz > MST_MAX_RATE_HZ
      || (bits != 16 && bits != 24 && bits != 32))
    return MST_ERR_INVALID_ARG;
  d->rate_hz = rate_hz;
  d->channels = channels;
  d->bits = bits;
  d->scale = ldexp (1.0, bits - 1);
  d->lo = -d->scale;
  d->hi = d->scale - 1.0;
  d->nonfinite_count = 0;
  choose_shape (d);
  mst_dither_reset (d);
  return MST_OK;
}

MstResult
mst_dither_set (MstDither * d, const MstDitherSettings * s)
{
  if (!d || !s || (unsigned) s->shaping >= MST_DITHER_N_SHAPINGS)
    return MST_ERR_INVALID_ARG;
  MstDitherSettings old = d->s;
  d->s = *s;
  if (old.shaping != s->shaping || old.bypass != s->bypass)
    choose_shape (d);
  if (old.seed != s->seed)
    for (int c = 0; c < d->max_channels; c++)
      mst_dither_seed_streams (d->ch[c].rng, s->seed, (uint64_t) c);
  return MST_OK;
}

MstDitherShaping
mst_dither_get_shape (const MstDither * d)
{
  return d && d->shape ? d->shape->shaping : MST_DITHER_NONE;
}

uint64_t
mst_dither_get_nonfinite_count (const MstDither * d)
{
  return d ? d->nonfinite_count : 0;
}

/* ---- Quantiser ---------------------------------------------------- */

/* Round to nearest (even at ties) for |v| < 2^51, without a libm call. */
MST_ALWAYS_INLINE double
round_fast (double v)
{
  const double magic = 6755399441055744.0;      /* 1.5 * 2^52 */
  return (v + magic) - magic;
}

MST_ALWAYS_INLINE void
put_sample (void *out, size_t i, double r, int bits)
{
  if (bits == 16)
    ((int16_t *) out)[i] = (int16_t) r;
  else if (bits == 32)
    ((int32_t *) out)[i] = (int32_t) r;
  else {
    int32_t v = (int32_t) r;
    uint8_t *p = (uint8_t *) out + 3 * i;
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
  }
}

MST_ALWAYS_INLINE double
clip (double r, double lo, double hi)
{
  return r < lo ? lo : r > hi ? hi : r;
}

/* The error-feedback loop over @m samples of channel @ch (stride @C), N
 * taps a constant. */
MST_ALWAYS_INLINE void
quantise_run (MstDither * d, Channel * ch, const void *x, int c, int C,
    size_t m, void *out, MstFormat fmt, int bits, const int N)
{
  const double scale = d->scale, lo = d->lo, hi = d->hi;
  const float *dith = d->tpdf;
  const bool blank = d->s.auto_blank;
  double a[MST_DITHER_MAX_TAPS > 0 ? MST_DITHER_MAX_TAPS : 1];
  double *z = ch->z;
  int pos = ch->pos;
  uint32_t run = ch->zero_run;

  for (int k = 0; k < N; k++)
    a[k] = d->a[k];
  for (size_t i = 0; i < m; i++) {
    size_t at = i * (size_t) C + (size_t) c;
    double v = mst_sample_get (fmt, x, at) * scale;
    if (blank) {
      if (v == 0.0) {
        if (run >= MST_DITHER_BLANK_FRAMES - 1) {
          if (run == MST_DITHER_BLANK_FRAMES - 1)
            for (int k = 0; k < 2 * N; k++)
              z[k] = 0.0;
          run = MST_DITHER_BLANK_FRAMES;
          put_sample (out, at, 0.0, bits);
          continue;
        }
        run++;
      } else
        run = 0;
    }
    /* The older errors first, in four independent sums: only the last
     * step waits for e[n-1] (the loop's one serial dependency is then
     * a multiply, two adds, the rounding and a subtract). */
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int k = 1; k + 3 < N; k += 4) {
      s0 += a[k] * z[pos + k];
      s1 += a[k + 1] * z[pos + k + 1];
      s2 += a[k + 2] * z[pos + k + 2];
      s3 += a[k + 3] * z[pos + k + 3];
    }
    for (int k = 1 + ((N - 1) / 4) * 4; k < N; k++)
      s0 += a[k] * z[pos + k];
    double w = N > 0 ? v + ((s0 + s1) + (s2 + s3)) + a[0] * z[pos] : v;
    double r = round_fast (w + (double) dith[i]);
    if (N > 0) {
      pos = pos == 0 ? N - 1 : pos - 1;
      z[pos] = z[pos + N] = r - w;
    }
    put_sample (out, at, clip (r, lo, hi), bits);
  }
  ch->pos = pos;
  ch->zero_run = run;
}

MST_ALWAYS_INLINE void
quantise_channel (MstDither * d, int c, const void *x, size_t m, void *out,
    MstFormat fmt, int bits)
{
  Channel *ch = &d->ch[c];
  const int C = d->channels;
  const double scale = d->scale;
  bool all_zero = true, on_grid = true;

  for (size_t i = 0; i < m; i++) {
    double v = mst_sample_get (fmt, x, i * (size_t) C + (size_t) c) * scale;
    all_zero &= v == 0.0;
    on_grid &= v == (double) (int64_t) v;
  }
  if (!on_grid)
    ch->on_grid = false;
  else if (!all_zero)
    ch->on_grid = true;
  if (ch->on_grid || d->s.bypass) {
    /* Exact (on the grid) or plain rounding: nothing fed back. */
    for (size_t i = 0; i < m; i++) {
      size_t at = i * (size_t) C + (size_t) c;
      double v = mst_sample_get (fmt, x, at) * scale;
      put_sample (out, at, clip (round_fast (v), d->lo, d->hi), bits);
    }
    if (ch->z[0] != 0.0 || ch->pos != 0)
      clear_filter (ch);
    ch->zero_run = all_zero ? ch->zero_run : 0;
    return;
  }
  if (d->s.auto_blank && all_zero && ch->zero_run >= MST_DITHER_BLANK_FRAMES) {
    for (size_t i = 0; i < m; i++)
      put_sample (out, i * (size_t) C + (size_t) c, 0.0, bits);
    return;
  }
  mst_dither_tpdf (ch->rng, d->tpdf, (m + 7) & ~(size_t) 7);
#ifdef MST_FEW_KERNEL_COPIES
  /* The sanitizer build (gst/meson.build): one copy, the taps a variable
   * of the switch's values. */
  quantise_run (d, ch, x, c, C, m, out, fmt, bits, d->n_taps == 0
      || d->n_taps == 5 || d->n_taps == 9 ? d->n_taps : MST_DITHER_MAX_TAPS);
#else
  switch (d->n_taps) {
    case 0:
      quantise_run (d, ch, x, c, C, m, out, fmt, bits, 0);
      break;
    case 5:
      quantise_run (d, ch, x, c, C, m, out, fmt, bits, 5);
      break;
    case 9:
      quantise_run (d, ch, x, c, C, m, out, fmt, bits, 9);
      break;
    default:
      quantise_run (d, ch, x, c, C, m, out, fmt, bits, MST_DITHER_MAX_TAPS);
      break;
  }
#endif
}

MST_ALWAYS_INLINE void
process_block (MstDither * d, const void *x, size_t m, void *out,
    MstFormat fmt, int bits)
{
  for (int c = 0; c < d->channels; c++)
    quantise_channel (d, c, x, m, out, fmt, bits);
}

MST_ALWAYS_INLINE MstResult
process (MstDither * d, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  if (!d || d->channels == 0 || (n_frames > 0 && !out))
    return MST_ERR_INVALID_ARG;
  const size_t C = (size_t) d->channels;
  const size_t in_size = fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float);
  const size_t out_size = (size_t) d->bits / 8;
  MstFpuState fpu = mst_fpu_enter_ftz ();

  for (size_t done = 0; done < n_frames;) {
    size_t m = n_frames - done;
    if (m > MST_DITHER_BLOCK_FRAMES)
      m = MST_DITHER_BLOCK_FRAMES;
    const void *x = in ? (const uint8_t *) in + done * C * in_size : NULL;
    void *y = (uint8_t *) out + done * C * out_size;
    if (!in) {
      memset (d->clean, 0, m * C * in_size);
      x = d->clean;
    } else if (!mst_input_sane (x, m * C, fmt)) {
      d->nonfinite_count += mst_input_clean (x, m * C, d->clean, fmt);
      x = d->clean;
      for (size_t c = 0; c < C; c++)
        clear_filter (&d->ch[c]);
    }
#ifdef MST_FEW_KERNEL_COPIES
    process_block (d, x, m, y, fmt, d->bits == 16 || d->bits == 24 ? d->bits
        : 32);
#else
    switch (d->bits) {
      case 16:
        process_block (d, x, m, y, fmt, 16);
        break;
      case 24:
        process_block (d, x, m, y, fmt, 24);
        break;
      default:
        process_block (d, x, m, y, fmt, 32);
        break;
    }
#endif
    done += m;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_TO (mst_dither_process, MstDither, void, process);
