/* mastering: common definitions of the pure-C DSP core (no GObject here). */
#ifndef MST_CORE_H
#define MST_CORE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every core call that can fail. */
typedef enum {
  MST_OK = 0,
  MST_ERR_NOMEM,
  MST_ERR_INVALID_ARG,
} MstResult;

/** Sample rates and channel counts every element accepts (STYLE.md). */
#define MST_MIN_RATE_HZ 8000
#define MST_MAX_RATE_HZ 384000
#define MST_MAX_CHANNELS 8

static inline double
mst_db_to_lin (double db)
{
  return pow (10.0, db / 20.0);
}

static inline double
mst_lin_to_db (double lin)
{
  return 20.0 * log10 (lin);
}

/** Overflow-checked a * b for allocation sizes; false on overflow. */
static inline bool
mst_size_mul (size_t a, size_t b, size_t *out)
{
  if (b != 0 && a > SIZE_MAX / b)
    return false;
  *out = a * b;
  return true;
}

/* ---- The contract of every core (docs/adding-an-element.md) ----
 *
 * Settings: a plain struct MstXSettings with everything a user may change
 * while playing. mst_x_settings_default (&s) is the only place defaults are
 * written: elements (param spec defaults), presets and other cores read
 * them from it. mst_x_set (x, &s) validates every field first
 * (MST_ERR_INVALID_ARG and nothing applied when one is out of range), then
 * applies only what differs from the settings in force, as targets the
 * core glides to; it never allocates. What allocates or sets the latency
 * (rate, channels, lookahead) goes to mst_x_configure, never to set.
 *
 * Formats: one body per core, written once for both widths as an
 * always-inline function taking an MstFormat that is a compile-time
 * constant at each call, so no width test is left in a loop; the
 * MST_DEFINE_PROCESS_* macros below instantiate the public _f32 and _f64
 * entry points from it. Samples are read and written with mst_sample_get
 * and mst_sample_put (or typed pointers chosen on fmt outside the loops).
 *
 * Non-finite input: NaN and Inf never reach the output or stay in the
 * state. A core finds them once per block (a scan it already makes, or a
 * finiteness check of its state at the end of the block), resets the
 * state they reached, writes finite output (non-finite input read as 0, or
 * non-finite output zeroed), and adds to a monotonic count that
 * mst_x_get_nonfinite_count returns (uint64_t, since configure); the
 * element base turns a rise of it into one warning per stream. Samples
 * beyond MST_MAX_INPUT (+60 dBFS) count as non-finite (mst_input_sane,
 * mst_input_clean below).
 *
 * Memory: init and configure are the only calls that allocate. They
 * report MST_ERR_NOMEM (init: NULL) as such, never as an invalid
 * argument, and the element says "out of memory". */

/** Sample width of a process call. */
typedef enum {
  MST_FORMAT_F32 = 0,
  MST_FORMAT_F64 = 1,
} MstFormat;

#define MST_ALWAYS_INLINE static inline __attribute__ ((always_inline))

/** Sample @i of @p, a float or double array as @fmt says. */
MST_ALWAYS_INLINE double
mst_sample_get (MstFormat fmt, const void *p, size_t i)
{
  return fmt == MST_FORMAT_F64 ? ((const double *) p)[i]
      : (double) ((const float *) p)[i];
}

MST_ALWAYS_INLINE void
mst_sample_put (MstFormat fmt, void *p, size_t i, double v)
{
  if (fmt == MST_FORMAT_F64)
    ((double *) p)[i] = v;
  else
    ((float *) p)[i] = (float) v;
}

/** Largest input magnitude the cores take as audio: 1000, or
 *  +60 dBFS. A float stream may carry overs (a mix before its limiter, a
 *  hot gain stage), but +60 dBFS is 36 dB above the most gain any element
 *  of the pack applies (+24 dB), so nothing the pack makes and nothing a
 *  working upstream sends comes near it. Beyond it a sample is a fault
 *  (stale memory, another format's bytes, an overflowed upstream), and it
 *  harms as NaN does: F32 +-FLT_MAX through an eq band of +30 dB overflows
 *  the output to Inf, and a filter's tail from +770 dBFS takes seconds to
 *  fall under the audio (a 30 Hz Q 4 peak decays 8.7 dB per 42 ms: 870 dB
 *  is 4 s) where one from +60 dBFS is gone in well under a second. So the
 *  cores read such samples as silence, as they read NaN and Inf, and count
 *  them with the non-finite ones (mst-core.h). */
#define MST_MAX_INPUT 1000.0

/** Whether all @n samples of @fmt at @x are finite and within
 *  +-MST_MAX_INPUT (one comparison a sample: NaN fails it). */
MST_ALWAYS_INLINE bool
mst_input_sane (const void *x, size_t n, MstFormat fmt)
{
  /* A count of failed comparisons: a reduction the compiler vectorizes. */
  int n_bad = 0;
  if (fmt == MST_FORMAT_F64) {
    const double *d = (const double *) x;
    for (size_t i = 0; i < n; i++)
      n_bad += !(fabs (d[i]) <= MST_MAX_INPUT);
  } else {
    const float *f = (const float *) x;
    for (size_t i = 0; i < n; i++)
      n_bad += !(fabsf (f[i]) <= (float) MST_MAX_INPUT);
  }
  return n_bad == 0;
}

/** Copies @n samples of @fmt from @x to @clean (which may be @x), those
 *  that are not finite or beyond +-MST_MAX_INPUT as 0; returns how
 *  many were. */
MST_ALWAYS_INLINE size_t
mst_input_clean (const void *x, size_t n, void *clean, MstFormat fmt)
{
  size_t n_bad = 0;
  for (size_t i = 0; i < n; i++) {
    double v = mst_sample_get (fmt, x, i);
    bool bad = !(fabs (v) <= MST_MAX_INPUT);
    n_bad += bad;
    mst_sample_put (fmt, clean, i, bad ? 0.0 : v);
  }
  return n_bad;
}

/** Public prefix_process_f32/_f64 (Core *, frames, n_frames) of an
 *  in-place core from BODY (Core *, void *frames, size_t n_frames,
 *  MstFormat). */
#define MST_DEFINE_PROCESS_IN_PLACE(prefix, Core, BODY)                     \
  MstResult prefix##_process_f32 (Core * core, float *frames,               \
      size_t n_frames)                                                      \
  {                                                                         \
    return BODY (core, frames, n_frames, MST_FORMAT_F32);                   \
  }                                                                         \
  MstResult prefix##_process_f64 (Core * core, double *frames,              \
      size_t n_frames)                                                      \
  {                                                                         \
    return BODY (core, frames, n_frames, MST_FORMAT_F64);                   \
  }

/** Public prefix_process_f32/_f64 (Core *, in, n_in, out, n_out) and
 *  prefix_drain_f32/_f64 (Core *, out, n_out) of a core with a delay line
 *  from BODY (Core *, const void *in, size_t n_in, void *out,
 *  size_t *n_out, MstFormat) and DRAIN (Core *, void *out, size_t *n_out,
 *  MstFormat). */
#define MST_DEFINE_PROCESS_DELAYING(prefix, Core, BODY, DRAIN)              \
  MstResult prefix##_process_f32 (Core * core, const float *in,             \
      size_t n_in, float *out, size_t *n_out)                               \
  {                                                                         \
    return BODY (core, in, n_in, out, n_out, MST_FORMAT_F32);               \
  }                                                                         \
  MstResult prefix##_process_f64 (Core * core, const double *in,            \
      size_t n_in, double *out, size_t *n_out)                              \
  {                                                                         \
    return BODY (core, in, n_in, out, n_out, MST_FORMAT_F64);               \
  }                                                                         \
  MstResult prefix##_drain_f32 (Core * core, float *out, size_t *n_out)     \
  {                                                                         \
    return DRAIN (core, out, n_out, MST_FORMAT_F32);                        \
  }                                                                         \
  MstResult prefix##_drain_f64 (Core * core, double *out, size_t *n_out)    \
  {                                                                         \
    return DRAIN (core, out, n_out, MST_FORMAT_F64);                        \
  }

/** Public prefix_add_f32/_f64 (Core *, frames, n_frames) of a meter (reads
 *  only) from BODY (Core *, const void *frames, size_t n_frames,
 *  MstFormat). */
#define MST_DEFINE_ANALYZE(prefix, Core, BODY)                              \
  MstResult prefix##_add_f32 (Core * core, const float *frames,             \
      size_t n_frames)                                                      \
  {                                                                         \
    return BODY (core, frames, n_frames, MST_FORMAT_F32);                   \
  }                                                                         \
  MstResult prefix##_add_f64 (Core * core, const double *frames,            \
      size_t n_frames)                                                      \
  {                                                                         \
    return BODY (core, frames, n_frames, MST_FORMAT_F64);                   \
  }

/** Public name_f32/_f64 (Core *, frames, n_frames, Out *out) of a core that
 *  reads frames and writes another array (a detector's levels) from BODY
 *  (Core *, const void *frames, size_t n_frames, Out *out, MstFormat). */
#define MST_DEFINE_PROCESS_TO(name, Core, Out, BODY)                        \
  MstResult name##_f32 (Core * core, const float *frames,                   \
      size_t n_frames, Out * out)                                           \
  {                                                                         \
    return BODY (core, frames, n_frames, out, MST_FORMAT_F32);              \
  }                                                                         \
  MstResult name##_f64 (Core * core, const double *frames,                  \
      size_t n_frames, Out * out)                                           \
  {                                                                         \
    return BODY (core, frames, n_frames, out, MST_FORMAT_F64);              \
  }

#ifdef __cplusplus
}
#endif
#endif
