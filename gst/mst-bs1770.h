/* mastering: the blocks of ITU-R BS.1770-4 loudness every meter of the
 * project is built from (K-weighting, channel weights, block energies,
 * gating, loudness range). Plain C, no GObject. */
#ifndef MST_BS1770_H
#define MST_BS1770_H

#include "mst-core.h"
#include "mst-filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file mst-bs1770.h
 *
 * What mst-loudness (the full meter) and mst-kmeter (loudnorm's light
 * meter) share, each number once:
 *
 * - K-weighting for any rate (mst_kweighting_design) and the filter run
 *   over interleaved frames, two channels per vector, into per-channel sums
 *   of squares over a tick, then the weighted energy of each tick into a
 *   ring (MstBs1770Energy). Momentary, short-term and block powers are
 *   sums over the last ticks of the ring.
 * - The channel classes and their weights (BS.1770-4 Annex 1, Table 3) and
 *   the default layouts by channel count.
 * - Power <-> LUFS (BS.1770-4 Annex 1, eq. 2).
 * - The gating histogram: 0.01 LU bins from -70 to +10 LUFS holding the
 *   count and the summed power of the blocks in each bin (louder blocks go
 *   to the top bin), so memory is constant whatever the duration. The
 *   power means behind the relative gate and the gated loudness are exact;
 *   only the blocks of the one bin that holds a relative gate are
 *   classified together (by that bin's mean), and percentiles are the mean
 *   loudness of their bin (error <= 0.01 LU).
 * - Integrated loudness (absolute gate -70 LUFS, relative -10 LU,
 *   BS.1770-4 Annex 1 clause 5) and loudness range (relative gate -20 LU,
 *   95th minus 10th percentile, EBU Tech 3342) from a histogram.
 */

/** BS.1770-4 Annex 1, eq. 2: L = -0.691 + 10 log10 (sum G_i z_i); the
 *  offset cancels the K-filter's gain at 997 Hz. */
#define MST_BS1770_OFFSET_DB (-0.691)
/** BS.1770-4 Annex 1 clause 5: absolute gate. */
#define MST_BS1770_ABSOLUTE_GATE_LUFS (-70.0)
/** BS.1770-4 Annex 1 clause 5: relative gate of the integrated loudness. */
#define MST_BS1770_RELATIVE_GATE_LU (-10.0)
/** EBU Tech 3342: relative gate of the loudness range; its percentiles. */
#define MST_BS1770_RANGE_RELATIVE_GATE_LU (-20.0)
#define MST_BS1770_RANGE_LOW_PERCENTILE 0.10
#define MST_BS1770_RANGE_HIGH_PERCENTILE 0.95

/** Gating histogram: 0.01 LU bins from the absolute gate to +10 LUFS (as
 *  FFmpeg's f_ebur128). */
#define MST_BS1770_HIST_BINS_PER_LU 100
#define MST_BS1770_HIST_N_BINS (80 * MST_BS1770_HIST_BINS_PER_LU)

/** Longest ring of tick energies: 3 s (EBU Tech 3341 short-term) in ticks
 *  of 10 ms. */
#define MST_BS1770_MAX_RING_TICKS 300

/** How a channel contributes to loudness (BS.1770-4 Annex 1, Table 3). */
typedef enum {
  /** Weighted 1.0: left, right, centre. */
  MST_LOUDNESS_CHANNEL_NORMAL = 0,
  /** Weighted 1.41 (+1.5 dB): surround (left/right surround, back). */
  MST_LOUDNESS_CHANNEL_SURROUND,
  /** Weighted 0: not measured (LFE). Its peaks are still measured. */
  MST_LOUDNESS_CHANNEL_UNUSED,
  /** Weighted 2.0: one channel that stands for both of a dual-mono pair. */
  MST_LOUDNESS_CHANNEL_DUAL_MONO,
  MST_LOUDNESS_CHANNEL_N_CLASSES
} MstLoudnessChannel;

/** The weight G_i of a channel class (BS.1770-4 Annex 1, Table 3); NAN for
 *  a value that is no class. */
double mst_bs1770_channel_weight (MstLoudnessChannel cls);

/** The default layout of @channels (1 to MST_MAX_CHANNELS) channels, the
 *  same as libebur128 up to 6: 1-3 channels L R C all normal; 4: L R Ls
 *  Rs; 5: L R C Ls Rs; 6: L R C LFE Ls Rs; 7: L R C LFE Ls Rs Cs; 8: L R C
 *  LFE Ls Rs Lb Rb (rear and side surround, as FFmpeg weights them;
 *  libebur128 ignores channels 7-8). */
void mst_bs1770_default_layout (int channels, MstLoudnessChannel * classes);

/** LUFS of a K-weighted mean-square power (-INFINITY for 0). */
static inline double
mst_bs1770_power_to_lufs (double power)
{
  return power > 0.0 ? MST_BS1770_OFFSET_DB + 10.0 * log10 (power)
      : -INFINITY;
}

/** Mean-square power of a loudness in LUFS. */
static inline double
mst_bs1770_lufs_to_power (double lufs)
{
  return pow (10.0, (lufs - MST_BS1770_OFFSET_DB) / 10.0);
}

/** The two K-weighting sections at @rate_hz (shelf, then RLB high-pass),
 *  libebur128's any-rate design, which reproduces BS.1770-4 Annex 1
 *  Tables 1-2 at 48 kHz (REFERENCE.md section 1). */
void mst_kweighting_design (double rate_hz, MstBiquad sections[2]);

/** K-weighted energies in ticks: the filter state, the sums of squares of
 *  the tick under way and the weighted energies of the last ticks. Plain
 *  data, embedded in a meter; nothing to free. */
typedef struct {
  int channels;
  double weight[MST_MAX_CHANNELS];
  /* Shelf, then the RLB high-pass whose numerator is (1, -2, 1); direct
   * form II transposed, states z1, z2 of the shelf then of the high-pass
   * per channel. */
  double shelf_b0, shelf_b1, shelf_b2, shelf_a1, shelf_a2;
  double hp_a1, hp_a2;
  double state[MST_MAX_CHANNELS][4];
  size_t tick_frames, tick_pos;
  /* Sum of squares of each K-weighted channel over the tick under way, in
   * frame order whatever the pieces, so results do not depend on how the
   * input is cut. */
  double tick_sum[MST_MAX_CHANNELS];
  double ring[MST_BS1770_MAX_RING_TICKS];
  int ring_ticks, ring_pos;
  uint64_t n_ticks;             /* completed since reset */
} MstBs1770Energy;

/** Sets the format and resets: @weights one G_i per channel (finite,
 *  >= 0), NULL for 1.0 each; ticks of @tick_frames (>= 1); a ring of
 *  @ring_ticks (1 to MST_BS1770_MAX_RING_TICKS). */
MstResult mst_bs1770_energy_configure (MstBs1770Energy * e, double rate_hz,
    int channels, const double *weights, size_t tick_frames, int ring_ticks);

/** Clears filter history, the tick under way and the ring. */
void mst_bs1770_energy_reset (MstBs1770Energy * e);

/** Frames left in the tick under way (>= 1). */
static inline size_t
mst_bs1770_energy_frames_to_tick (const MstBs1770Energy * e)
{
  return e->tick_frames - e->tick_pos;
}

/** K-weights @n interleaved frames, all finite, @n <=
 *  mst_bs1770_energy_frames_to_tick(), into the tick under way; writes
 *  each channel's sample peak of the piece (linear) to @piece_peak.
 *  Returns true when the piece completed the tick, whose weighted energy
 *  is then in the ring. Never allocates. */
bool mst_bs1770_energy_add_f32 (MstBs1770Energy * e, const float *frames,
    size_t n, double *piece_peak);
bool mst_bs1770_energy_add_f64 (MstBs1770Energy * e, const double *frames,
    size_t n, double *piece_peak);

/** Mean-square weighted power of the last @n_ticks completed ticks (at
 *  most the ring's length; all of them must have been completed). */
double mst_bs1770_energy_power (const MstBs1770Energy * e, int n_ticks);

/** Gating histogram of block powers (see the file's description). */
typedef struct {
  uint64_t count[MST_BS1770_HIST_N_BINS];
  double power[MST_BS1770_HIST_N_BINS];
  uint64_t total_count;
  double total_power;           /* summed in the order the blocks came */
  /* The lowest bin holding a block, and one past the highest (both 0
   * when empty): the scans cover only these, not the whole scale. */
  int begin_bin, end_bin;
} MstBs1770Histogram;

void mst_bs1770_histogram_reset (MstBs1770Histogram * h);

/** Adds a block of mean-square @power if it is strictly above the absolute
 *  gate (BS.1770-4 Annex 1 clause 5). */
void mst_bs1770_histogram_add (MstBs1770Histogram * h, double power);

/** The relative gate @gate_lu below the power mean of the blocks, in
 *  LUFS; -INFINITY when empty. */
double mst_bs1770_histogram_relative_gate (const MstBs1770Histogram * h,
    double gate_lu);

/** Loudness (LUFS) of the power mean of the blocks above the relative
 *  gate @gate_lu; -INFINITY when there are none. */
double mst_bs1770_histogram_gated_lufs (const MstBs1770Histogram * h,
    double gate_lu);

/** Loudness range (EBU Tech 3342) in LU of a histogram of short-term
 *  powers: 95th minus 10th percentile of the values above the relative
 *  gate of -20 LU; 0 when there are none. */
double mst_bs1770_histogram_range (const MstBs1770Histogram * h);

#ifdef __cplusplus
}
#endif
#endif
