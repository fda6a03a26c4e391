/* mastering: the meters' true-peak interpolator (ITU-R BS.1770-4 Annex 2,
 * mst_truepeak_design_bs1770) in symmetric form, the peak over its phases.
 *
 * In C with a run-time-chosen AVX2 path, not ORC: Debian's liborc 0.4.33
 * compiled the 8-source ORC kernels this replaced with a prologue that
 * saves rsp and rbp where it should save r12 and r13, destroying two
 * callee-saved registers of every caller (tests/test-orc-abi.c checks each
 * kernel still in orc/mst-orc.orc for that). */
#ifndef MST_TPSYM_H
#define MST_TPSYM_H

#include "mst-core.h"
#include "mst-truepeak.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Tap pairs of the symmetric form: a tap and its mirror share a sum. */
#define MST_TPSYM_PAIRS (MST_TRUEPEAK_BS1770_TAPS / 2)

/** Largest magnitude over the interpolated phases of @n outputs. Output i
 *  reads row[i .. i + MST_TRUEPEAK_BS1770_TAPS - 1]; tap k pairs with its
 *  mirror MST_TRUEPEAK_BS1770_TAPS - 1 - k, s_k their sum and d_k their
 *  difference. The middle phase (fraction 1/2, symmetric) is
 *  m = sum @hm[k] s_k; phases 1 and 3 (mirror images of each other) are
 *  a + b and a - b with a = sum @ha[k] s_k, b = sum @hb[k] d_k, so their
 *  larger magnitude is |a| + |b|. Each output's peak is max (|m|, |a| + |b|),
 *  each sum taken in order of k without fused multiply-adds, so every path
 *  gives the same bits. At 2x there is only the middle phase: @ha and @hb
 *  NULL. Coefficient arrays hold MST_TPSYM_PAIRS. Returns 0 for @n = 0. */
float mst_tpsym_peak (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n);

#ifdef __cplusplus
}
#endif
#endif
