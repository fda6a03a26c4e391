/* Independent measurements for the tests, plain C on interleaved arrays (no
 * GLib): a fine 16x true-peak reconstruction, libebur128's BS.1770-4 true
 * peak and integrated loudness, and THD+N.
 *
 * None of this shares code with the plugin's cores, so a test that measures
 * an element's output with it is a second opinion, not a self-check.
 *
 * Link with libebur128 and libm. */
#ifndef MST_ANALYSIS_H
#define MST_ANALYSIS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Oversampling factor of the fine reconstruction. */
#define MST_ANALYSIS_TP_OVERSAMPLING 16
/** Taps per phase of the fine reconstruction (64 input samples each side). */
#define MST_ANALYSIS_TP_TAPS 128

/** What the fine reconstruction assumes outside the buffer. */
typedef enum {
  /** Silence before and after, as when the buffer is played alone: every
   * point where the reconstruction is not zero is measured, so an abrupt
   * start or end counts as the step it is (the reconstruction of a sampled
   * step overshoots to 1.141 of it), as does the ringing into the silence
   * after the last sample. libebur128 likewise starts from silence (zeroed
   * filter history) but stops at the last sample. The default. */
  MST_ANALYSIS_EDGES_SILENCE = 0,
  /** Only the frames whose interpolation window lies wholly inside the
   * buffer (the first and last 63 intervals are left out; their samples
   * still count through the sample peak): a steady signal cut out of a
   * longer one. */
  MST_ANALYSIS_EDGES_INTERIOR = 1,
} MstAnalysisEdges;

/**
 * True peak of one channel, linear (max |value|), from a fine band-limited
 * reconstruction: a 16-phase windowed-sinc interpolator (128 taps per phase,
 * Kaiser beta 8.6, cutoff at the input Nyquist, so phase 0 returns the
 * samples themselves; passband flat within 1e-4 up to 0.478 fs), then a
 * parabolic refinement at each 16x local maximum close to the running peak,
 * which removes the bare grid's under-read (up to 0.035 dB at 0.45 fs). The
 * result is never below the sample peak.
 *
 * Accuracy against analytic sines (tests/test-analysis.c prints it): within
 * 0.001 dB up to 20 kHz at 44.1 kHz. Speed: about 1 s per minute of stereo
 * 48 kHz float (x86-64, -O2), double about twice that.
 *
 * @x: interleaved frames
 * @n_frames: frames (per channel)
 * @channels: channels in @x (1..64)
 * @channel: the channel measured (0..channels-1)
 * @edges: what lies outside the buffer (mst_analysis_true_peak_16x() and
 *   the other short forms: MST_ANALYSIS_EDGES_SILENCE)
 *
 * Returns: the linear true peak, 0 for an empty input, NAN on an invalid
 * argument, a non-finite sample or allocation failure.
 */
double mst_analysis_true_peak_16x_ex (const float *x, size_t n_frames,
    int channels, int channel, MstAnalysisEdges edges);
double mst_analysis_true_peak_16x_ex_f64 (const double *x, size_t n_frames,
    int channels, int channel, MstAnalysisEdges edges);

/** mst_analysis_true_peak_16x_ex() with MST_ANALYSIS_EDGES_SILENCE. */
double mst_analysis_true_peak_16x (const float *x, size_t n_frames,
    int channels, int channel);
/** The same on double samples (double arithmetic throughout). */
double mst_analysis_true_peak_16x_f64 (const double *x, size_t n_frames,
    int channels, int channel);

/**
 * True peak of one channel by an ideal (brick-wall) reconstruction: the
 * whole channel, with at least 8192 frames of silence on each side (more
 * up to a length whose factors are 2, 3, 5 and 7), transformed by one FFT
 * (FFTW, double), its spectrum zero-padded to @factor times the length and
 * transformed back, one grid phase at a time (@factor transforms of the
 * padded length, the same grid as one of @factor times it; the definition
 * as one transform is tests/test-analysis.c's reference); the largest
 * magnitude, refined by a parabola through the grid's three points around
 * it. What a DAC with a perfect reconstruction filter would play, as far
 * as the silence padding allows (the periodic transform wraps the tails
 * around: across 16384 frames of silence they are down by at least
 * 1 / (pi 8192), -88 dB).
 *
 * Returns: the linear peak, 0 for an empty input, NAN on an invalid
 * argument, a non-finite sample or allocation failure.
 */
double mst_analysis_true_peak_ideal (const float *x, size_t n_frames,
    int channels, int channel, int factor);
/** mst_analysis_true_peak_ideal() of every channel at 16x, the largest. */
double mst_analysis_true_peak_ideal_all (const float *x, size_t n_frames,
    int channels);

/** mst_analysis_true_peak_16x() of every channel, the largest. */
double mst_analysis_true_peak_16x_all (const float *x, size_t n_frames,
    int channels);
double mst_analysis_true_peak_16x_all_f64 (const double *x, size_t n_frames,
    int channels);

/** Largest |sample| of one channel (linear); NAN on an invalid argument or
 * a non-finite sample. */
double mst_analysis_sample_peak (const float *x, size_t n_frames,
    int channels, int channel);

/**
 * libebur128's BS.1770-4 true peak (EBUR128_MODE_TRUE_PEAK: 4x below 96 kHz,
 * 2x below 192 kHz, none above; max with the sample peak), the largest over
 * the channels, linear.
 *
 * Returns: NAN on failure (invalid argument, libebur128 error).
 */
double mst_analysis_ebur128_true_peak (const float *x, size_t n_frames,
    int channels, unsigned rate);
double mst_analysis_ebur128_true_peak_f64 (const double *x, size_t n_frames,
    int channels, unsigned rate);

/**
 * The true peak FFmpeg's ebur128 filter reads with peak=true (FFmpeg 5.1 as
 * in Debian 12): the input upsampled to 192 kHz by libswresample with its
 * defaults (a 32-tap Kaiser-windowed sinc, beta 9, cut-off at the input
 * Nyquist, each of its exact rational phases normalised to unity at DC),
 * its history at the start filled with the first frames mirrored
 * (x[-k] = x[k]), and no flush at the end (the last 16 frames' points are
 * never produced); the largest magnitude over those points and channels,
 * linear. Written from libswresample's documented design, independently of
 * the limiter's detector; tests/test-meters-agree.c checks it against the
 * ffmpeg program itself. Rates at or above 192 kHz read the sample peak.
 *
 * Returns: NAN on an invalid argument or allocation failure.
 */
double mst_analysis_ffmpeg_true_peak (const float *x, size_t n_frames,
    int channels, unsigned rate);

/**
 * libebur128's integrated loudness (BS.1770-4 gating), in LUFS; channels
 * get libebur128's default roles (for 5.1 in SMPTE order the 4th is LFE and
 * excluded; with more than 5 channels the rest are unused).
 *
 * Returns: -HUGE_VAL below the absolute gate, NAN on failure.
 */
double mst_analysis_ebur128_loudness (const float *x, size_t n_frames,
    int channels, unsigned rate);
double mst_analysis_ebur128_loudness_f64 (const double *x, size_t n_frames,
    int channels, unsigned rate);

/**
 * THD+N of one channel, in dB (20 log10 of the ratio), by the method of
 * REFERENCE.md section 7 (endolith waveform-analysis thd.py): DC removed,
 * HFT248D flat-top window, zero-padded radix-2 FFT, fundamental at the peak
 * bin (parabolic refinement on the log magnitude), bins within +-10 % of it
 * zeroed (the notch), THD+N = RMS(residual) / RMS(windowed total), both over
 * the padded length (Parseval, so no inverse FFT is needed). This is
 * THD+N(R), referenced to the total: a sine with 10 % of 2nd harmonic gives
 * 0.1 / sqrt(1.01) = -20.04 dB.
 *
 * @fundamental_hz: where to look for the peak bin (the largest bin within
 *   +-10 % of it); 0 or less: the largest bin above DC anywhere.
 *
 * Returns: THD+N in dB (-HUGE_VAL for a pure tone within rounding), NAN on
 * an invalid argument, allocation failure or a silent input.
 */
double mst_analysis_thd_n_db (const float *x, size_t n_frames, int channels,
    int channel, unsigned rate, double fundamental_hz);
double mst_analysis_thd_n_db_f64 (const double *x, size_t n_frames,
    int channels, int channel, unsigned rate, double fundamental_hz);

/** 20 log10 (lin); -HUGE_VAL for 0. */
double mst_analysis_db (double lin);

#ifdef __cplusplus
}
#endif

#endif
