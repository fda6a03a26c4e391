/* mastering: a 2x2 matrix on stereo, steady (ORC) or moving linearly. */
#include "mst-matrix2.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include <string.h>

#include "mst-orc.h"

MstMat2
mst_mat2_mul (const MstMat2 * a, const MstMat2 * b)
{
  return (MstMat2) { a->m00 * b->m00 + a->m01 * b->m10,
    a->m00 * b->m01 + a->m01 * b->m11,
    a->m10 * b->m00 + a->m11 * b->m10,
    a->m10 * b->m01 + a->m11 * b->m11
  };
}

void
mst_mat2_apply_planar (double *a, double *b, const MstMat2 * from,
    const MstMat2 * to, int n)
{
  if (mst_mat2_equal (from, to)) {
    if (!mst_mat2_is_identity (to))
      mst_orc_matrix2_f64 (a, b, to->m00, to->m01, to->m10, to->m11, n);
    return;
  }
  double d00 = (to->m00 - from->m00) / n, d01 = (to->m01 - from->m01) / n,
      d10 = (to->m10 - from->m10) / n, d11 = (to->m11 - from->m11) / n;
  for (int i = 0; i < n; i++) {
    double k = i + 1, x = a[i], y = b[i];
    a[i] = (from->m00 + k * d00) * x + (from->m01 + k * d01) * y;
    b[i] = (from->m10 + k * d10) * x + (from->m11 + k * d11) * y;
  }
}

/* One body for both widths and channel counts: constants at each call. */
MST_ALWAYS_INLINE void
apply_frames (const void *in, int in_channels, void *out, MstFormat fmt,
    const MstMat2 * from, const MstMat2 * to, size_t n)
{
  double d00 = (to->m00 - from->m00) / n, d01 = (to->m01 - from->m01) / n,
      d10 = (to->m10 - from->m10) / n, d11 = (to->m11 - from->m11) / n;
  bool steady = mst_mat2_equal (from, to);
  for (size_t i = 0; i < n; i++) {
    double k = steady ? 0.0 : (double) (i + 1);
    double x = mst_sample_get (fmt, in, i * in_channels);
    double y = in_channels == 2 ? mst_sample_get (fmt, in, 2 * i + 1) : x;
    mst_sample_put (fmt, out, 2 * i, (from->m00 + k * d00) * x
        + (from->m01 + k * d01) * y);
    mst_sample_put (fmt, out, 2 * i + 1, (from->m10 + k * d10) * x
        + (from->m11 + k * d11) * y);
  }
}

void
mst_mat2_apply_frames (const void *in, int in_channels, void *out,
    MstFormat fmt, const MstMat2 * from, const MstMat2 * to, size_t n)
{
  if (n == 0)
    return;
  /* The steady stereo F32 path in ORC (through doubles, as the imager's). */
  if (fmt == MST_FORMAT_F32 && in_channels == 2
      && mst_mat2_equal (from, to)) {
    if (out != in)
      memcpy (out, in, n * 2 * sizeof (float));
    if (!mst_mat2_is_identity (to))
      mst_orc_matrix2_f32_2ch (out, to->m00, to->m01, to->m10, to->m11,
          (int) n);
    return;
  }
  if (fmt == MST_FORMAT_F32)
    in_channels == 2 ? apply_frames (in, 2, out, MST_FORMAT_F32, from, to, n)
        : apply_frames (in, 1, out, MST_FORMAT_F32, from, to, n);
  else
    in_channels == 2 ? apply_frames (in, 2, out, MST_FORMAT_F64, from, to, n)
        : apply_frames (in, 1, out, MST_FORMAT_F64, from, to, n);
}
