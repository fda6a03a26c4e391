/* mastering: order statistics over arrays (pure C, no GObject). */
#ifndef MST_SELECT_H
#define MST_SELECT_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The @k-th smallest of @v[0 .. @n - 1] (0-based, k < n, n >= 1): the
 *  value sorting @v and taking v[k] would give, in linear time on
 *  average (Hoare's selection, "FIND", Comm. ACM 4 (7), 1961). Reorders
 *  @v; allocates nothing. @v holds no NaN (their order is undefined; the
 *  result then is some element of @v). */
double mst_select_kth (double *v, size_t n, size_t k);

#ifdef __cplusplus
}
#endif
#endif
