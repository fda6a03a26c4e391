/* mastering: a 2x2 matrix on stereo (the imager's mid/side chain, the
 * panner), applied steady or moving linearly from one matrix to another
 * over a block. */
#ifndef MST_MATRIX2_H
#define MST_MATRIX2_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** (a, b) to (m00 a + m01 b, m10 a + m11 b). */
typedef struct {
  double m00, m01, m10, m11;
} MstMat2;

#define MST_MAT2_IDENTITY ((MstMat2) { 1.0, 0.0, 0.0, 1.0 })

/** @a after @b. */
MstMat2 mst_mat2_mul (const MstMat2 * a, const MstMat2 * b);

static inline bool
mst_mat2_equal (const MstMat2 * a, const MstMat2 * b)
{
  return a->m00 == b->m00 && a->m01 == b->m01 && a->m10 == b->m10
      && a->m11 == b->m11;
}

static inline bool
mst_mat2_is_identity (const MstMat2 * a)
{
  MstMat2 id = MST_MAT2_IDENTITY;
  return mst_mat2_equal (a, &id);
}

/** Planar (a, b) in place through a matrix moving linearly from @from to
 *  @to over @n frames (reaching @to at the last); steady (ORC) when they
 *  are equal, nothing done for the identity. */
void mst_mat2_apply_planar (double *a, double *b, const MstMat2 * from,
    const MstMat2 * to, int n);

/** The same from @n frames of @in (@in_channels 1 or 2, interleaved, of
 *  @fmt; a mono frame x is read as (x, x)) to interleaved stereo @out
 *  (which may be @in for stereo). */
void mst_mat2_apply_frames (const void *in, int in_channels, void *out,
    MstFormat fmt, const MstMat2 * from, const MstMat2 * to, size_t n);

#ifdef __cplusplus
}
#endif
#endif
