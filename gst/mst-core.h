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

#ifdef __cplusplus
}
#endif
#endif
