/* mastering: loudness and true-peak measurement, ITU-R BS.1770-4 / EBU R128.
 * Plain C, no GObject: testable on plain arrays. */
#ifndef MST_LOUDNESS_H
#define MST_LOUDNESS_H

#include "mst-bs1770.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file mst-loudness.h
 *
 * Loudness meter after ITU-R BS.1770-4 and EBU Tech 3341 / 3342:
 *
 * - K-weighting designed for the actual rate (BS.1770-4 Annex 1; the
 *   any-rate design of libebur128, which reproduces Tables 1-2 at 48 kHz).
 * - Momentary (400 ms) and short-term (3 s) loudness: rectangular windows
 *   advanced in ticks of 10 ms (round (rate / 100) frames), so both values,
 *   and their maxima, have 10 ms time resolution.
 * - Integrated loudness: 400 ms blocks every 100 ms, absolute gate
 *   -70 LUFS, relative gate -10 LU (BS.1770-4 Annex 1 clause 5).
 * - Loudness range: short-term values at 10 Hz, absolute gate -70 LUFS,
 *   relative gate -20 LU, 95th minus 10th percentile (EBU Tech 3342).
 * - True peak: 4x oversampling below 96 kHz, 2x below 192 kHz, none above
 *   (BS.1770-4 Annex 2), with the meters' 12-tap-per-phase interpolator
 *   (mst_truepeak_design_bs1770, as libebur128's); reported as the
 *   larger of the oversampled peak and the sample peak. Pieces whose
 *   samples, times the interpolator's largest gain, cannot exceed a
 *   channel's true peak so far are not interpolated: the reading is the
 *   same, the cost on music mostly that of the K-weighting.
 *
 * Gating uses mst-bs1770's histograms of 0.01 LU bins (memory constant
 * whatever the duration; the power means exact, percentiles within
 * 0.01 LU).
 *
 * Loudness values of silence or of input too short for one window
 * (momentary 400 ms, short-term and range 3 s, integrated 400 ms) are
 * -INFINITY; the loudness range is then 0 LU. Peaks of silence are
 * -INFINITY dB.
 *
 * All memory is allocated by mst_loudness_init(); the add functions never
 * allocate. Non-finite samples (NaN, Inf) are read as 0; see
 * mst_loudness_get_nonfinite_count().
 */

/** Opaque meter state. */
typedef struct MstLoudness MstLoudness;

/**
 * Creates a meter.
 *
 * @param rate_hz sample rate, MST_MIN_RATE_HZ to MST_MAX_RATE_HZ
 * @param channels 1 to MST_MAX_CHANNELS
 * @param weights one MstLoudnessChannel per channel, or NULL for the
 *   default layout (mst_bs1770_default_layout(): libebur128's up to 6
 *   channels, L R C LFE Ls Rs Cs / Lb Rb beyond)
 * @return the meter, reset; NULL on invalid arguments or out of memory
 */
MstLoudness *mst_loudness_init (double rate_hz, int channels,
    const MstLoudnessChannel * weights);

/** Frees @p *st (may be NULL) and sets @p *st to NULL. */
void mst_loudness_destroy (MstLoudness ** st);

/** Forgets everything measured: filter and interpolator history, windows,
 *  gating histograms, maxima and peaks. */
MstResult mst_loudness_reset (MstLoudness * st);

/**
 * Measures @p n_frames interleaved frames of 32-bit float samples
 * (full scale 1.0). Never allocates.
 * @return MST_OK; MST_ERR_INVALID_ARG if @p st is NULL, or @p frames is
 *   NULL while @p n_frames > 0
 */
MstResult mst_loudness_add_f32 (MstLoudness * st, const float *frames,
    size_t n_frames);

/** As mst_loudness_add_f32(), 64-bit float samples. */
MstResult mst_loudness_add_f64 (MstLoudness * st, const double *frames,
    size_t n_frames);

/** Integrated (gated programme) loudness in LUFS since the last reset;
 *  -INFINITY if no 400 ms block passed the absolute gate. */
MstResult mst_loudness_get_integrated (const MstLoudness * st, double *lufs);

/** The relative gate of the integrated loudness (LUFS): loudness of the
 *  blocks above -70 LUFS, minus 10 LU; -INFINITY while there are none. */
MstResult mst_loudness_get_relative_threshold (const MstLoudness * st,
    double *lufs);

/** Momentary loudness (last 400 ms, ungated) in LUFS; -INFINITY before
 *  400 ms of input or for silence. */
MstResult mst_loudness_get_momentary (const MstLoudness * st, double *lufs);

/** Short-term loudness (last 3 s, ungated) in LUFS; -INFINITY before 3 s of
 *  input or for silence. */
MstResult mst_loudness_get_short_term (const MstLoudness * st, double *lufs);

/** Largest momentary loudness since reset (LUFS), evaluated every 10 ms. */
MstResult mst_loudness_get_max_momentary (const MstLoudness * st,
    double *lufs);

/** Largest short-term loudness since reset (LUFS), evaluated every 10 ms. */
MstResult mst_loudness_get_max_short_term (const MstLoudness * st,
    double *lufs);

/** Loudness range (EBU Tech 3342) in LU; 0 with no gated short-term value. */
MstResult mst_loudness_get_range (const MstLoudness * st, double *lu);

/** Largest true peak of all channels since reset, in dBTP. The last few
 *  frames (half the interpolator, 6 frames) are covered by their sample
 *  peak only until more input arrives. */
MstResult mst_loudness_get_true_peak (const MstLoudness * st, double *dbtp);

/** Largest sample peak of all channels since reset, in dBFS. */
MstResult mst_loudness_get_sample_peak (const MstLoudness * st,
    double *dbfs);

/** True peak of @p channel (0-based) in dBTP. */
MstResult mst_loudness_get_channel_true_peak (const MstLoudness * st,
    int channel, double *dbtp);

/** The strict true peak in dBTP, the largest over the channels: the higher
 *  of what the two common meters read, BS.1770-4's interpolator (the true
 *  peak, when measured) and FFmpeg's ebur128 with peak=true, which reads
 *  more near Nyquist and the stream's first frames mirrored before it (the
 *  limiter detector's FFmpeg interpolator: exact at 48 and 96 kHz, within
 *  0.03 dB low at other rates). It covers the frames up to mst_tpdetect_get_delay () before the
 *  last one added, all of them once mst_loudness_finish () has run. NAN
 *  when MstLoudnessSettings.true_peak_strict is off. */
MstResult mst_loudness_get_true_peak_strict (const MstLoudness * st,
    double *dbtp);

/** The end of the stream for the strict true peak: the last frames are
 *  read as followed by silence (ringing into it included); frames added
 *  after it until the next reset are not read by the strict true peak. */
MstResult mst_loudness_finish (MstLoudness * st);

/** Sample peak of @p channel (0-based) in dBFS. */
MstResult mst_loudness_get_channel_sample_peak (const MstLoudness * st,
    int channel, double *dbfs);

/** What may change while measuring. */
typedef struct {
  /** The true-peak meter on or off. Off, the interpolator does not run (it
   *  is most of the meter's work) and the true-peak getters give NAN. */
  bool true_peak;
  /** The strict true peak on or off (mst_loudness_get_true_peak_strict);
   *  on, it costs about as much again as the rest of the meter. */
  bool true_peak_strict;
} MstLoudnessSettings;

/** Defaults of the settings: true peak on, the strict true peak off. */
void mst_loudness_settings_default (MstLoudnessSettings * s);

/** Applies @p s: a change of true_peak restarts the true peaks.
 *  MST_ERR_INVALID_ARG for NULL arguments. */
MstResult mst_loudness_set (MstLoudness * st, const MstLoudnessSettings * s);

/** Oversampling factor of the true-peak meter at this rate: 4, 2 or 1. */
MstResult mst_loudness_get_oversampling (const MstLoudness * st,
    int *factor);

/** Frames measured since reset. */
MstResult mst_loudness_get_n_frames (const MstLoudness * st,
    uint64_t * n_frames);

/** Samples that were NaN or infinite since reset (each read as 0); 0 for
 *  a NULL meter. */
uint64_t mst_loudness_get_nonfinite_count (const MstLoudness * st);

#ifdef __cplusplus
}
#endif
#endif
