/* mastering: what every libFuzzer harness of tests/fuzz/ shares: reading
 * the fuzz input as a stream of decisions, the test signals (with NaN,
 * Inf, subnormals and huge values), and the check that aborts.
 *
 * The input is read byte by byte; past its end every read gives 0, so any
 * input, even empty, is a valid run. Long blocks of samples come from a
 * small PRNG seeded from the input, so a few bytes describe thousands of
 * frames and mutations stay meaningful. */
#ifndef MST_FUZZ_COMMON_H
#define MST_FUZZ_COMMON_H

#include "mst-core.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Aborts with the reason when @cond fails: libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)                                                 \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf (stderr, "fuzz invariant failed at %s:%d: %s\n  ", __FILE__,  \
          __LINE__, #cond);                                                 \
      fprintf (stderr, __VA_ARGS__);                                        \
      fprintf (stderr, "\n");                                               \
      abort ();                                                             \
    }                                                                       \
  } while (0)

typedef struct {
  const uint8_t *p;
  size_t n;
} FzIn;

static inline uint8_t
fz_u8 (FzIn * in)
{
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

static inline uint32_t
fz_u16 (FzIn * in)
{
  uint32_t hi = fz_u8 (in);
  return hi << 8 | fz_u8 (in);
}

static inline uint32_t
fz_u32 (FzIn * in)
{
  uint32_t hi = fz_u16 (in);
  return hi << 16 | fz_u16 (in);
}

static inline bool
fz_done (const FzIn * in)
{
  return in->n == 0;
}

/** lo .. hi, in 65536 steps. */
static inline double
fz_range (FzIn * in, double lo, double hi)
{
  return lo + (hi - lo) * fz_u16 (in) / 65535.0;
}

/** Values no setting should take: NaN, infinities, the extremes of double,
 *  zero, a negative zero and the smallest subnormal. */
static inline double
fz_wild (FzIn * in)
{
  static const double wild[] = { NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX,
    1e300, -1e300, 0.0, -0.0, 4.9e-324, -1.0, 1e9, -1e9
  };
  return wild[fz_u8 (in) % (sizeof wild / sizeof wild[0])];
}

/** A setting: mostly within lo .. hi, sometimes just outside, sometimes
 *  wild (the core must refuse what it does not take, and stay as it was). */
static inline double
fz_param (FzIn * in, double lo, double hi)
{
  uint8_t how = fz_u8 (in);
  if (how < 200)
    return fz_range (in, lo, hi);
  if (how < 220)
    return fz_range (in, lo - (hi - lo), hi + (hi - lo));
  return fz_wild (in);
}

/** xorshift64*: the samples of a block from a seed in the input. */
static inline uint64_t
fz_rand (uint64_t * s)
{
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

static inline double
fz_rand_unit (uint64_t * s)
{
  return (double) (fz_rand (s) >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

/** What a block of samples held, for the invariants. */
typedef struct {
  bool nonfinite;               /* NaN or Inf somewhere */
  double max_abs;               /* largest finite magnitude */
} FzBlockInfo;

static inline double
fz_get (MstFormat fmt, const void *buf, size_t i)
{
  return mst_sample_get (fmt, buf, i);
}

/** Fills @n_samples samples of @buf (as @fmt says) with a signal the input
 *  chooses: noise, a sine, DC, a Nyquist square, impulses, silence,
 *  subnormals or raw random bits (NaN, Inf, subnormals, anything), at an
 *  amplitude from 1e-40 to past FLT_MAX, with a few special values
 *  sprinkled in. @sane keeps it finite and within +-1 (a block that must
 *  give normal output after bad input). */
static inline void
fz_fill (FzIn * in, MstFormat fmt, void *buf, size_t n_samples, bool sane,
    FzBlockInfo * info)
{
  static const double amps[] = { 1.0, 0.5, 0.99, 1e-3, 1e-30, 1e-40, 2.0,
    10.0, 1e5, 1e10, 1e30, 3.4e38, 1e300, DBL_MAX, 0.25, 1.5
  };
  static const double specials[] = { NAN, INFINITY, -INFINITY, FLT_MAX,
    -FLT_MAX, DBL_MAX, -DBL_MAX, 1e-45, -1e-320, 0.0, 1e20, -1e35
  };
  uint8_t kind = fz_u8 (in) % 8;
  double amp = amps[fz_u8 (in) % (sizeof amps / sizeof amps[0])];
  double freq = fz_range (in, 0.0, 0.5);
  uint64_t seed = ((uint64_t) fz_u32 (in) << 32 | fz_u32 (in)) | 1;
  int n_special = fz_u8 (in) % 8;
  if (sane) {
    amp = 0.5;
    if (kind == 5 || kind == 6 || kind == 7)
      kind = 0;
  }
  for (size_t i = 0; i < n_samples; i++) {
    double v;
    switch (kind) {
      case 0:
        v = amp * fz_rand_unit (&seed);
        break;
      case 1:
        v = amp * sin (2.0 * M_PI * freq * (double) i);
        break;
      case 2:
        v = amp;
        break;
      case 3:
        v = (i & 1) ? amp : -amp;
        break;
      case 4:
        v = (fz_rand (&seed) % 97 == 0) ? amp : 0.0;
        break;
      case 5:
        v = 0.0;
        break;
      case 6:
        v = fz_rand_unit (&seed) * (fmt == MST_FORMAT_F64 ? 1e-310 : 1e-40);
        break;
      default:{
        uint64_t bits = fz_rand (&seed);
        if (fmt == MST_FORMAT_F64) {
          memcpy (&v, &bits, sizeof v);
        } else {
          uint32_t b32 = (uint32_t) bits;
          float f;
          memcpy (&f, &b32, sizeof f);
          v = f;
        }
        break;
      }
    }
    mst_sample_put (fmt, buf, i, v);
  }
  if (!sane && n_samples > 0)
    for (int k = 0; k < n_special; k++) {
      size_t at = fz_u16 (in) % n_samples;
      mst_sample_put (fmt, buf, at,
          specials[fz_u8 (in) % (sizeof specials / sizeof specials[0])]);
    }
  if (info) {
    info->nonfinite = false;
    info->max_abs = 0.0;
    for (size_t i = 0; i < n_samples; i++) {
      double v = fz_get (fmt, buf, i);
      if (!isfinite (v))
        info->nonfinite = true;
      else if (fabs (v) > info->max_abs)
        info->max_abs = fabs (v);
    }
  }
}

/** A block length in frames: mostly small, sometimes up to @max. */
static inline size_t
fz_frames (FzIn * in, size_t max)
{
  uint8_t how = fz_u8 (in);
  if (how < 64)
    return how % 5;             /* 0 to 4: the edges */
  return fz_u16 (in) % (max + 1);
}

/** A rate: the common ones or anything in the accepted range, sometimes
 *  out of it. */
static inline double
fz_rate (FzIn * in)
{
  static const double rates[] = { 44100, 48000, 96000, 192000, 384000, 8000,
    22050, 88200, 176400, 11025
  };
  uint8_t how = fz_u8 (in);
  if (how < 180)
    return rates[how % (sizeof rates / sizeof rates[0])];
  if (how < 240)
    return fz_range (in, MST_MIN_RATE_HZ, MST_MAX_RATE_HZ);
  return fz_wild (in);
}

/** Two in-place cores @a and @b of the prefix @prefix (mst_eq, ...) on
 *  copies of @in (@bytes) in @buf_a and @buf_b, @n frames of @fmt: both
 *  succeed and give bit-identical output (B was given only the settings
 *  A accepted). */
#define FZ_IN_PLACE_PAIR(prefix, a, b, fmt, in, buf_a, buf_b, n, bytes)     \
  do {                                                                      \
    MstResult ra_, rb_;                                                     \
    memcpy (buf_a, in, bytes);                                              \
    memcpy (buf_b, in, bytes);                                              \
    if ((fmt) == MST_FORMAT_F64) {                                          \
      ra_ = prefix##_process_f64 (a, (double *) (buf_a), n);                \
      rb_ = prefix##_process_f64 (b, (double *) (buf_b), n);                \
    } else {                                                                \
      ra_ = prefix##_process_f32 (a, (float *) (buf_a), n);                 \
      rb_ = prefix##_process_f32 (b, (float *) (buf_b), n);                 \
    }                                                                       \
    FZ_CHECK (ra_ == MST_OK && rb_ == MST_OK, "process: %d %d", ra_, rb_);  \
    FZ_CHECK (memcmp (buf_a, buf_b, bytes) == 0,                            \
        "B (refused settings withheld) differs from A");                    \
  } while (0)

/** The buffer every harness works in: the largest block, 8 channels, in
 *  doubles (floats use its first half). */
#define FZ_MAX_FRAMES 8192
#define FZ_MAX_SAMPLES (FZ_MAX_FRAMES * MST_MAX_CHANNELS)

#endif
