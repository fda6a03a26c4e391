/* mastering: a light K-weighted loudness meter (ITU-R BS.1770-4 without the
 * true peak), for controllers that need loudness every 100 ms cheaply. */
#ifndef MST_KMETER_H
#define MST_KMETER_H

#include "mst-core.h"
#include "mst-bs1770.h"

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
 * says how many frames are left in the current one; after an add,
 * mst_kmeter_step_completed() says whether it completed a step, and the
 * block that ended with it is then mst_kmeter_get_block_power().
 *
 * Built on mst-bs1770 (K-weighting, tick energies, gating histogram), as
 * mst-loudness is.
 */

typedef struct MstKMeter MstKMeter;

/** Block, step and short-term lengths (BS.1770-4 Annex 1 clause 5: 400 ms
 *  blocks, 75 % overlap; EBU Tech 3341: short-term 3 s). */
#define MST_KMETER_STEP_MS 100
#define MST_KMETER_BLOCK_STEPS 4
#define MST_KMETER_SHORT_TERM_STEPS 30

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
 *  samples that are not finite or beyond +-MST_MAX_INPUT
 *  (+60 dBFS, why in mst-core.h) count as 0
 *  (mst_kmeter_get_nonfinite_count()).
 *  Never allocates. MST_ERR_INVALID_ARG if unconfigured or @n is too
 *  large. */
MstResult mst_kmeter_add_f32 (MstKMeter * m, const float *frames,
    size_t n_frames);
MstResult mst_kmeter_add_f64 (MstKMeter * m, const double *frames,
    size_t n_frames);

/** Whether the last add completed a step. */
bool mst_kmeter_step_completed (const MstKMeter * m);

/** Mean-square power of the last complete 400 ms block; false (and 0)
 *  before the first. */
bool mst_kmeter_get_block_power (const MstKMeter * m, double *power);

/** Mean-square power of the last complete 100 ms step; false (and 0)
 *  before the first. */
bool mst_kmeter_get_step_power (const MstKMeter * m, double *power);

/** Momentary (last block), short-term (last 3 s; -INFINITY before 3 s)
 *  and integrated (gated) loudness in LUFS; -INFINITY when undefined. */
double mst_kmeter_get_momentary (const MstKMeter * m);
double mst_kmeter_get_short_term (const MstKMeter * m);
double mst_kmeter_get_integrated (const MstKMeter * m);

/** Samples that were NaN, infinite or absurd since configure (each read
 *  as 0); 0 for a NULL meter. */
uint64_t mst_kmeter_get_nonfinite_count (const MstKMeter * m);

#ifdef __cplusplus
}
#endif
#endif
