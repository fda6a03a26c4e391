/* mastering: stereo analysis block (correlation, balance, side/mid, mono
 * fold-down loss), pure C. */
#ifndef MST_STEREO_ANALYSIS_H
#define MST_STEREO_ANALYSIS_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Figures are clamped to +-MST_STEREO_MAX_DB (silence in one channel,
 *  exact anti-phase) so they stay finite. */
#define MST_STEREO_MAX_DB 120.0

/** Running sums of a left/right pair: sum L^2, R^2, L R over n frames. */
typedef struct {
  double ll, rr, lr;
  uint64_t n_frames;
} MstStereoSums;

/** What the sums say. */
typedef struct {
  /* Pearson correlation of L and R without mean removal (the phase
   * meter's): sum LR / sqrt (sum L^2 sum R^2), -1 .. +1; 0 when a channel
   * is silent. */
  double correlation;
  /* 10 log10 (power R / power L): positive when the right is louder. */
  double balance_db;
  /* 10 log10 (power of side / power of mid), M = (L + R) / 2,
   * S = (L - R) / 2. */
  double side_mid_db;
  /* Mono fold-down loss: the power of the fold-down (L + R) / 2 on both
   * speakers over the power of L and R, 10 log10 (sum (L + R)^2 /
   * (2 (sum L^2 + sum R^2))): 10 log10 ((1 + rho) / 2) for equal-power
   * channels, -3.01 dB for one channel alone, 0 dB for identical
   * channels; at most 0. */
  double mono_loss_db;
  /* 10 log10 of the mean power of L and R (dBFS, a full-scale sine -3). */
  double power_db;
} MstStereoFigures;

static inline void
mst_stereo_sums_clear (MstStereoSums * s)
{
  s->ll = s->rr = s->lr = 0.0;
  s->n_frames = 0;
}

static inline void
mst_stereo_sums_merge (MstStereoSums * into, const MstStereoSums * s)
{
  into->ll += s->ll;
  into->rr += s->rr;
  into->lr += s->lr;
  into->n_frames += s->n_frames;
}

/** Adds @n_frames interleaved frames of @n_channels channels (F32 or F64
 *  as @fmt says), the pair being channels @left and @right. Non-finite
 *  samples count as silence. */
void mst_stereo_sums_add (MstStereoSums * s, const void *frames,
    size_t n_frames, int n_channels, int left, int right, MstFormat fmt);

/** The figures of @s (all 0 and the losses 0 dB for no frames). */
void mst_stereo_figures (const MstStereoSums * s, MstStereoFigures * out);

/** A windowed meter for a programme: windows of 400 ms sliding by
 *  100 ms (as BS.1770's gating blocks), their correlation's minimum and
 *  mean over the windows louder than a gate, and the whole programme's
 *  figures. Plain data: no allocation. */
#define MST_STEREO_HOPS 4
typedef struct {
  int hop_frames;               /* 100 ms */
  MstStereoSums hops[MST_STEREO_HOPS], hop, total;
  int hop_index, n_hops_filled;
  double gate_db;
  /* Over the gated windows: */
  uint64_t n_windows, n_windows_negative;
  double correlation_min, correlation_sum;
  double correlation_min_at_s;  /* start of the window of the minimum */
} MstStereoMeter;

/** Window figures count only when the window's power (MstStereoFigures
 *  power_db) is above this: silence has no phase. */
#define MST_STEREO_GATE_DB -70.0

/** Clears @m for a stream at @rate_hz. */
void mst_stereo_meter_init (MstStereoMeter * m, double rate_hz);

/** Adds frames as mst_stereo_sums_add does. */
void mst_stereo_meter_add (MstStereoMeter * m, const void *frames,
    size_t n_frames, int n_channels, int left, int right, MstFormat fmt);

/** Mean correlation over the gated windows (0 when none). */
double mst_stereo_meter_correlation_mean (const MstStereoMeter * m);

#ifdef __cplusplus
}
#endif
#endif
