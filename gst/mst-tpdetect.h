/* mastering: true-peak detector block (pure C, no GObject). */
#ifndef MST_TPDETECT_H
#define MST_TPDETECT_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Per frame, the peak of the reconstructed signal over the interval up to
 *  the next frame (4x oversampled, each extremum refined by a parabola,
 *  and never below what the ITU-R BS.1770-4 meters' interpolator reads),
 *  for whoever must know the true peak of what it will output. Frames go
 *  in a block at a time, channel by channel; the peaks come out
 *  mst_tpdetect_get_delay frames later. The AVX2 path (half-sample points
 *  by FFT) or the portable one is chosen at init. */
typedef struct MstTpDetect MstTpDetect;

/** Allocates a detector for up to @max_channels and blocks of up to
 *  @max_block_frames; NULL on failure. */
MstTpDetect *mst_tpdetect_init (int max_channels, int max_block_frames);

void mst_tpdetect_destroy (MstTpDetect ** det);

/** Sets the channel count and the sample rate (which says where FFmpeg's
 *  meter reads), and resets. */
MstResult mst_tpdetect_configure (MstTpDetect * det, int channels,
    double rate_hz);

/** With @ffmpeg_only, the peaks are those of FFmpeg's interpolator alone
 *  (its points, each extremum refined at rates where its points fall
 *  between ours): a meter of what FFmpeg's ebur128 reads, without the
 *  margins that make the detector a bound (the limiter's). Off by default. */
void mst_tpdetect_set_ffmpeg_only (MstTpDetect * det, bool ffmpeg_only);

/** With @floor above 0, a frame's peak at or under @floor may be read as
 *  any value from it up to @floor (never less than the peak); a peak above
 *  @floor is read exactly. For a caller that only needs the peaks above a
 *  ceiling (the limiter): the detector may then leave out work that cannot
 *  change them. 0 (the default): every peak exact. */
void mst_tpdetect_set_floor (MstTpDetect * det, float floor);

/** The AVX-512 detector's screen (a test on the largest sample X, half-
 *  sample point H and second differences around sixteen frames that leaves
 *  out those under the floor): the meters' and FFmpeg's points are at most
 *  @fir[0] X + @fir[1] D2 (D2: of the frames), the refined precise points
 *  at most @near[0] (@near[1] max (X, H) + @near[2] D2Z) (D2Z: of the 2x
 *  sequence). False when it is off. For the tests. */
bool mst_tpdetect_get_screen (const MstTpDetect * det, float fir[2],
    float near[3]);

/** Clears the history: the next frames start a stream. */
void mst_tpdetect_reset (MstTpDetect * det);

/** Frames between a frame's arrival and its peak: a block's peak i is of
 *  the frame that arrived this many frames before the block's frame i. */
size_t mst_tpdetect_get_delay (void);

/** Where the next block's frames of @channel go (a block's frames side by
 *  side), each through mst_tpdetect_input_value; channel c + 1's are
 *  mst_tpdetect_input_stride floats after channel c's. */
float *mst_tpdetect_input (MstTpDetect * det, int channel);
size_t mst_tpdetect_input_stride (const MstTpDetect * det);

/** A sample as the detector takes it: kept within +-1e15 (+300 dBFS),
 *  since a sample past the float range would make the FFT's whole run NaN,
 *  and the parabola refinement squares differences of interpolated points,
 *  which overflowed float to an infinite peak from samples near 1e30
 *  (tests/fuzz/corpus/tpdetect). Such a frame is limited to nothing either
 *  way. */
static inline float
mst_tpdetect_input_value (float v)
{
  v = v < 1e15f ? v : 1e15f;
  return v > -1e15f ? v : -1e15f;
}

/** The peaks of the @n_frames (<= max_block_frames) written to the inputs:
 *  true peaks, or the samples' magnitudes with @true_peak false. */
void mst_tpdetect_process (MstTpDetect * det, int n_frames, bool true_peak);

/** The last process call's peaks of @channel (writable: a caller may
 *  combine channels in place). */
float *mst_tpdetect_peaks (MstTpDetect * det, int channel);

#ifdef __cplusplus
}
#endif
#endif
