/* mastering: a light K-weighted loudness meter (ITU-R BS.1770-4 without the
 * true peak), for controllers that need loudness every 100 ms cheaply. */
#ifndef MST_KMETER_H
#define MST_KMETER_H

#include "mst-core.h"
#include "mst-filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file mst-kmeter.h
 *
 * K-weighting (BS.1770-4 Annex 1) into 100 ms steps of weighted energy;
 * 400 ms blocks every step (momentary), 3 s short-term, and the gated
 * integrated loudness (absolute gate -70 LUFS, relative gate -10 LU;
 * 0.01 LU histogram, as mst-loudness.h describes). No true peak: that is
 * what makes it cheap (one K filter per channel, nothing else per sample).
 *
 * Feed it in pieces that never cross a step: mst_kmeter_frames_to_step()
 * says how many frames are left in the current one; the add functions
 * return true when they completed a step, and the block that ended with it
 * is then mst_kmeter_get_block_power().
 */

typedef struct MstKMeter MstKMeter;

/** Block, step and short-term lengths (BS.1770-4 Annex 1 clause 5: 400 ms
 *  blocks, 75 % overlap; EBU Tech 3341: short-term 3 s). */
#define MST_KMETER_STEP_MS 100
#define MST_KMETER_BLOCK_STEPS 4
#define MST_KMETER_SHORT_TERM_STEPS 30

/** BS.1770-4 Annex 1: L = -0.691 + 10 log10 (sum Gi zi). */
#define MST_KMETER_OFFSET_DB -0.691
/** BS.1770-4 Annex 1 clause 5: absolute gate. */
#define MST_KMETER_ABSOLUTE_GATE_LUFS -70.0

/** The two K-weighting sections at @rate_hz (shelf, then RLB high-pass),
 *  libebur128's any-rate design, which reproduces BS.1770-4 Annex 1
 *  Tables 1-2 at 48 kHz (REFERENCE.md section 1). */
void mst_kweighting_design (double rate_hz, MstBiquad sections[2]);

/** LUFS of a mean-square power, and back (-INFINITY for 0). */
double mst_kmeter_power_to_lufs (double power);
double mst_kmeter_lufs_to_power (double lufs);

/** Allocates a meter (NULL on failure); configure it before use. */
MstKMeter *mst_kmeter_init (void);
void mst_kmeter_destroy (MstKMeter ** m);

/** Sets the format and resets. @weights: one BS.1770-4 Table 3 weight per
 *  channel (1.0, 1.41, 0 for LFE), or NULL for 1.0 each. */
MstResult mst_kmeter_configure (MstKMeter * m, double rate_hz, int channels,
    const double *weights);

/** Forgets everything: filter history, steps, histogram. */
void mst_kmeter_reset (MstKMeter * m);

/** Frames left in the current 100 ms step (>= 1). */
size_t mst_kmeter_frames_to_step (const MstKMeter * m);

/** Measures @n interleaved frames, @n <= mst_kmeter_frames_to_step();
 *  non-finite samples count as 0. True when the step completed. */
bool mst_kmeter_add_f32 (MstKMeter * m, const float *x, size_t n);
bool mst_kmeter_add_f64 (MstKMeter * m, const double *x, size_t n);

/** Mean-square power of the last complete 400 ms block; false (and 0)
 *  before the first. */
bool mst_kmeter_get_block_power (const MstKMeter * m, double *power);

/** Momentary (last block), short-term (last 3 s; -INFINITY before 3 s)
 *  and integrated (gated) loudness in LUFS; -INFINITY when undefined. */
double mst_kmeter_get_momentary (const MstKMeter * m);
double mst_kmeter_get_short_term (const MstKMeter * m);
double mst_kmeter_get_integrated (const MstKMeter * m);

#ifdef __cplusplus
}
#endif
#endif
