/* mastering: per-channel level detector, the first block of every dynamics
 * processor (pure C, no GObject). */
#ifndef MST_LEVEL_DETECTOR_H
#define MST_LEVEL_DETECTOR_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What it measures. Each channel's detector value is |x| (peak) or x^2
 * (both RMS modes; in RMS_WINDOW mode the mean of x^2 over the last
 * window_ms). A one-pole follows that value, with the attack coefficient
 * while the value is above the envelope and the release one otherwise
 * (the smooth branching peak detector of Giannoulis, Massberg & Reiss
 * 2012, JAES 60(6), "Digital Dynamic Range Compressor Design - A Tutorial
 * and Analysis"). An attack or release of 0 ms follows at once;
 * RMS_WINDOW with both at 0 is a plain moving RMS.
 *
 * Time constants. attack_ms and release_ms are one-pole time constants,
 * the convention of every element of the pack (STYLE.md): after a step the
 * envelope has covered 1 - 1/e = 63.2 % of it at T, 86.5 % at 2 T, 95 % at
 * 3 T. The envelope is linear in the detector's own domain: amplitude in
 * PEAK mode, mean square (power) in both RMS modes, so an RMS step is 63 %
 * of the way in power at T (not in dB, not in RMS amplitude).
 * From the peers' conventions (a time T that covers a fraction p of a step
 * is a time constant T / -ln (1 - p)):
 *   FFmpeg (acompressor, agate: 98 % at T, its coefficient being 4 / (T fs))
 *       T_ours = T_ffmpeg / 4;
 *   LSP (71 % at T, 1 - 1/sqrt 2)  T_ours = T_lsp / 1.2279 = 0.8144 T_lsp.
 *
 * Stereo link. With link > 0 each channel's envelope e_c is blended with
 * the linked envelope E (the largest of the channels' envelopes, or their
 * mean): e_c + link (E - e_c), in the envelope's domain (so a MEAN link of
 * RMS envelopes is the RMS of the channel group). link 1: every channel
 * gets E, the usual stereo compressor.
 *
 * Output: a level per channel and frame, interleaved as the input, in dB
 * (20 log10 of the amplitude, 10 log10 of the mean square: what gain
 * computers take), floored at MST_LEVEL_DETECTOR_FLOOR_DB; or linear
 * (amplitude, the RMS for the RMS modes) from the _lin entry points.
 *
 * Input: non-finite samples are read as silence and counted; finite ones
 * beyond +-MST_LEVEL_DETECTOR_MAX_LIN (+200 dBFS) are read as that, so the
 * state always stays finite. Flush-to-zero is on during processing:
 * subnormal input or a decaying envelope costs no more than normal input.
 */

/** Lowest level the dB outputs give (the level of silence). */
#define MST_LEVEL_DETECTOR_FLOOR_DB (-200.0)
/** Largest input magnitude taken into account (+200 dBFS). */
#define MST_LEVEL_DETECTOR_MAX_LIN 1e10
/** Longest attack or release. */
#define MST_LEVEL_DETECTOR_MAX_TIME_MS 10000.0
/** Shortest and longest RMS window (the ring is sized for the longest at
 *  configure). */
#define MST_LEVEL_DETECTOR_MIN_WINDOW_MS 0.1
#define MST_LEVEL_DETECTOR_MAX_WINDOW_MS 300.0
/** Most frames one input value may stand for (frames_per_value). */
#define MST_LEVEL_DETECTOR_MAX_FRAMES_PER_VALUE 64

typedef struct MstLevelDetector MstLevelDetector;

typedef enum {
  MST_LEVEL_DETECTOR_PEAK = 0,  /* |x| through the attack/release one-pole */
  MST_LEVEL_DETECTOR_RMS,       /* x^2 through the one-pole, then the root */
  MST_LEVEL_DETECTOR_RMS_WINDOW,        /* mean x^2 over window_ms, then
                                         * the one-pole, then the root */
} MstLevelDetectorMode;

typedef enum {
  MST_LEVEL_DETECTOR_LINK_MAX = 0,      /* the loudest channel leads */
  MST_LEVEL_DETECTOR_LINK_MEAN, /* the channels' mean envelope */
} MstLevelDetectorLinkMode;

typedef struct {
  MstLevelDetectorMode mode;
  double attack_ms;             /* time constant, 0 .. MAX_TIME_MS */
  double release_ms;            /* time constant, 0 .. MAX_TIME_MS */
  double window_ms;             /* RMS_WINDOW: MIN .. MAX_WINDOW_MS */
  double link;                  /* 0 (independent) .. 1 (fully linked) */
  MstLevelDetectorLinkMode link_mode;
  /* 1 .. MAX_FRAMES_PER_VALUE: how many frames at the configured rate each
   * input value stands for. A decimated key (one value a control period:
   * its peak, or its RMS, mst-dynamics-gain) keeps its time constants and
   * window in ms: the one-pole steps that many frames a value, the window
   * counts values (window_ms / frames, at least one). */
  int frames_per_value;
} MstLevelDetectorSettings;

/** Defaults: peak, 10 ms attack, 100 ms release, 10 ms window, max-linked,
 *  a value a frame. */
void mst_level_detector_settings_default (MstLevelDetectorSettings * s);

/** Allocates a detector for up to @max_channels; NULL on failure. The
 *  settings in force are the defaults. */
MstLevelDetector *mst_level_detector_init (int max_channels);

/** Frees @det and sets it to NULL; harmless on NULL. */
void mst_level_detector_destroy (MstLevelDetector ** det);

/** Sets the rate and channel count, allocating the RMS window for
 *  MST_LEVEL_DETECTOR_MAX_WINDOW_MS at that rate (MST_ERR_NOMEM), clears the
 *  non-finite count and resets. */
MstResult mst_level_detector_configure (MstLevelDetector * det,
    double rate_hz, int channels);

/** Validates every field of @s (MST_ERR_INVALID_ARG and nothing applied
 *  when one is out of range), then applies what changed from the next
 *  frame: the envelopes carry on from where they are (a mode change
 *  converts them between amplitude and power; a window change re-sums the
 *  window from its history). Never allocates. */
MstResult mst_level_detector_set (MstLevelDetector * det,
    const MstLevelDetectorSettings * s);

/** Envelopes and window history to silence. */
void mst_level_detector_reset (MstLevelDetector * det);

/** Measures @n_frames interleaved frames of @frames and writes a level per
 *  channel and frame to @level (interleaved as @frames; may not alias
 *  them): dB for process, linear for process_lin. */
MstResult mst_level_detector_process_f32 (MstLevelDetector * det,
    const float *frames, size_t n_frames, double *level_db);
MstResult mst_level_detector_process_f64 (MstLevelDetector * det,
    const double *frames, size_t n_frames, double *level_db);
MstResult mst_level_detector_process_lin_f32 (MstLevelDetector * det,
    const float *frames, size_t n_frames, double *level_lin);
MstResult mst_level_detector_process_lin_f64 (MstLevelDetector * det,
    const double *frames, size_t n_frames, double *level_lin);

/** The same in dB from @n_frames frames of a planar block (channel c at
 *  @planar + c @stride, @stride >= @n_frames) to planar levels (channel c
 *  at @level_db + c @level_stride). When every channel has the same level
 *  (one channel, or fully linked to the loudest) only row 0 is written
 *  and *@shared is set. A peak detector with no attack or release runs a
 *  vectorised path that does not keep the RMS window's history: a switch
 *  to RMS_WINDOW after it starts the window from silence. */
MstResult mst_level_detector_process_planar (MstLevelDetector * det,
    const double *planar, size_t stride, size_t n_frames, double *level_db,
    size_t level_stride, bool *shared);
/** dB of an amplitude ratio per neper (20 / ln 10 as the detector takes
 *  it): a level in dB is this times the natural log of the linear one. */
#define MST_LEVEL_DETECTOR_DB_PER_NEPER 8.685889638065036

/** The same, linear (amplitude, the RMS for the RMS modes). */
MstResult mst_level_detector_process_planar_lin (MstLevelDetector * det,
    const double *planar, size_t stride, size_t n_frames, double *level_lin,
    size_t level_stride, bool *shared);
/** mst_level_detector_process_planar_lin of a fully linked PEAK detector
 *  with no attack or release (each frame's level the loudest channel's
 *  |x|), keeping only the levels at or above @threshold_lin: their values
 *  to @over and their frames to @over_at (ascending; room for @n_frames
 *  + 3 each: whole groups of four are stored), their count to *@n_over; the same levels and the same state
 *  after as that function's, in one pass without the row (a de-esser's
 *  key: most frames under its threshold). MST_ERR_INVALID_ARG, nothing
 *  done, for another detector or more than 65536 frames. */
MstResult mst_level_detector_peaks_over (MstLevelDetector * det,
    const double *planar, size_t stride, size_t n_frames,
    double threshold_lin, double *over, uint16_t * over_at, size_t *n_over);

/** Non-finite input samples read as silence since configure. */
uint64_t mst_level_detector_get_nonfinite_count (const MstLevelDetector *
    det);

#ifdef __cplusplus
}
#endif
#endif
