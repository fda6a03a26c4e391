/* mastering: true-peak lookahead limiter core (pure C, no GObject). */
#ifndef MST_LIMITER_H
#define MST_LIMITER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Lookahead (ms): a configure parameter, since it sets the latency. */
#define MST_LIMITER_MIN_LOOKAHEAD_MS 1.0
#define MST_LIMITER_MAX_LOOKAHEAD_MS 20.0
#define MST_LIMITER_DEFAULT_LOOKAHEAD_MS 5.0
/** The input gains the core takes: +-120 dB. Beyond, the linear factor of
 *  the input (up to +60 dBFS, mst-core.h) can overflow: an input gain of
 *  1e9 dB made it infinite, and a NaN input frame came out at 0.0073
 *  (tests/fuzz/corpus/limiter/inf-input-gain). loudnorm asks +-60 dB at
 *  most. */
#define MST_LIMITER_CORE_MAX_INPUT_GAIN_DB 120.0
/** Ranges an element offers. The core takes any finite ceiling, an input
 *  gain within +-MST_LIMITER_CORE_MAX_INPUT_GAIN_DB, any release above 0
 *  and a link in 0 .. 1. */
#define MST_LIMITER_MIN_CEILING_DB -40.0
#define MST_LIMITER_MAX_CEILING_DB 0.0
#define MST_LIMITER_MIN_INPUT_GAIN_DB -24.0
#define MST_LIMITER_MAX_INPUT_GAIN_DB 36.0
#define MST_LIMITER_MIN_RELEASE_MS 1.0
#define MST_LIMITER_MAX_RELEASE_MS 5000.0
/** Frames per processing block; process calls may pass any count. */
#define MST_LIMITER_BLOCK_FRAMES 1024

typedef struct MstLimiter MstLimiter;

typedef struct {
  double ceiling_db;            /* dBTP (or dBFS with true_peak off) */
  double input_gain_db;
  double release_ms;
  bool auto_release;
  bool true_peak;
  /* With true_peak: the top of the band removed first (mst-bandlimit.h),
   * so that the ceiling holds by an ideal reconstruction too. */
  bool band_limit;
  double link;                  /* 0 .. 1 */
  bool bypass;
} MstLimiterSettings;

/** The defaults, the only place they are written: ceiling -1 dBTP, input
 *  gain 0 dB, release 50 ms with auto-release, true peak with the band
 *  limit, fully linked, not bypassed. */
void mst_limiter_settings_default (MstLimiterSettings * s);

/** Allocates a limiter for up to @max_channels; NULL on failure. */
MstLimiter *mst_limiter_init (int max_channels);

void mst_limiter_destroy (MstLimiter ** lim);

/** Sets the format and the lookahead, and resets. The lookahead is fixed
 *  until the next configure: it sets the latency. */
MstResult mst_limiter_configure (MstLimiter * lim, double rate_hz,
    int channels, double lookahead_ms);

/** Takes new settings: MST_ERR_INVALID_ARG and nothing applied if one is
 *  out of range, else what changed applies; the input gain glides (10 ms),
 *  the rest applies at once (a ceiling change moves the gain over the
 *  lookahead, smoothly). */
MstResult mst_limiter_set (MstLimiter * lim, const MstLimiterSettings * s);

/** Latency in frames: output frame i is input frame i, this many frames
 *  later. */
size_t mst_limiter_get_latency (const MstLimiter * lim);

/** Clears all history (delay line, detector, gain); the next frames are the
 *  start of a stream again. */
void mst_limiter_reset (MstLimiter * lim);

/** Limits @n_in interleaved frames from @in, writing to @out the frames
 *  that are complete (at most @n_in; fewer while the delay line fills at
 *  the start of a stream) and their count to @n_out. @out may equal @in. */
MstResult mst_limiter_process_f32 (MstLimiter * lim, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_limiter_process_f64 (MstLimiter * lim, const double *in,
    size_t n_in, double *out, size_t *n_out);

/** Frames still in the delay line (what a drain gives). */
size_t mst_limiter_get_pending (const MstLimiter * lim);

/** Drains the delay line at the end of a stream into @out (room for
 *  mst_limiter_get_pending frames); the limiter is then reset. */
MstResult mst_limiter_drain_f32 (MstLimiter * lim, float *out, size_t *n_out);
MstResult mst_limiter_drain_f64 (MstLimiter * lim, double *out,
    size_t *n_out);

/** Current gain reduction in dB (>= 0) of the last output frame, and the
 *  largest since the last call with @reset_max. */
void mst_limiter_get_gain_reduction (MstLimiter * lim, double *current_db,
    double *max_db, bool reset_max);

/** Number of non-finite input samples replaced by silence since configure. */
uint64_t mst_limiter_get_nonfinite_count (const MstLimiter * lim);

#ifdef __cplusplus
}
#endif
#endif
