/* mastering: interleaved frames to planar double blocks and back. */
#ifndef MST_PLANAR_H
#define MST_PLANAR_H

#include "mst-core.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

/* Channel c of a planar block is planar + c * stride. @fmt is a
 * compile-time constant at each call (mst-core.h), so no width test is
 * left in a loop; F32 mono and stereo go through the ORC kernels. */

MST_ALWAYS_INLINE void
mst_planar_load (double *planar, size_t stride, const void *frames,
    int n_channels, int n, MstFormat fmt)
{
  if (fmt == MST_FORMAT_F32 && n_channels == 2) {
    mst_orc_deinterleave_f32_2ch (planar, planar + stride, frames, n);
  } else if (fmt == MST_FORMAT_F32 && n_channels == 1) {
    mst_orc_convert_f32_to_f64 (planar, frames, n);
  } else {
    for (int c = 0; c < n_channels; c++) {
      double *x = planar + c * stride;
      for (int i = 0; i < n; i++)
        x[i] = mst_sample_get (fmt, frames, (size_t) i * n_channels + c);
    }
  }
}

MST_ALWAYS_INLINE void
mst_planar_store (void *frames, const double *planar, size_t stride,
    int n_channels, int n, MstFormat fmt)
{
  if (fmt == MST_FORMAT_F32 && n_channels == 2) {
    mst_orc_interleave_f32_2ch (frames, planar, planar + stride, n);
  } else if (fmt == MST_FORMAT_F32 && n_channels == 1) {
    mst_orc_convert_f64_to_f32 (frames, planar, n);
  } else {
    for (int c = 0; c < n_channels; c++) {
      const double *x = planar + c * stride;
      for (int i = 0; i < n; i++)
        mst_sample_put (fmt, frames, (size_t) i * n_channels + c, x[i]);
    }
  }
}

/** Turns the pair @l, @r into mid (L + R) / 2 and side (L - R) / 2 in
 *  place, or with @to_mid_side false back into left and right. */
static inline void
mst_planar_mid_side (double *l, double *r, bool to_mid_side, int n)
{
  if (to_mid_side)
    mst_orc_ms_encode_f64 (l, r, 0.5, n);
  else
    mst_orc_ms_decode_f64 (l, r, n);
}

/** Replaces the non-finite samples among @n of @fmt at @x by 0. */
MST_ALWAYS_INLINE void
mst_planar_zero_nonfinite (void *x, size_t n, MstFormat fmt)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (mst_sample_get (fmt, x, i)))
      mst_sample_put (fmt, x, i, 0.0);
}

#endif
