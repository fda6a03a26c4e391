/* mastering: declick core, impulsive clicks found by an autoregressive
 * model's prediction error and repaired by least-squares AR interpolation
 * (pure C, no GObject). */
#ifndef MST_DECLICK_H
#define MST_DECLICK_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Sensitivity: a sample is part of a click when both its forward and its
 *  backward prediction errors exceed MST_DECLICK_THRESHOLD_SCALE /
 *  sensitivity robust standard deviations of the frame's prediction error
 *  (1.4826 times its median absolute value). */
#define MST_DECLICK_MIN_SENSITIVITY 1.0
#define MST_DECLICK_MAX_SENSITIVITY 25.0
#define MST_DECLICK_THRESHOLD_SCALE 50.0
/** Longest run repaired (ms): longer runs are music (a transient), left
 *  untouched. Its maximum sets the latency. */
#define MST_DECLICK_MIN_CLICK_MS 0.1
#define MST_DECLICK_MAX_CLICK_MS 5.0

typedef struct MstDeclick MstDeclick;

typedef struct {
  double sensitivity;           /* MST_DECLICK_MIN/MAX_SENSITIVITY */
  double max_click_ms;          /* MST_DECLICK_MIN/MAX_CLICK_MS */
  bool listen;                  /* output what was removed */
  bool bypass;
} MstDeclickSettings;

/** The defaults, the only place they are written. */
void mst_declick_settings_default (MstDeclickSettings * s);

/** Allocates a declicker for up to @max_channels (its buffers come with
 *  the rate, at configure); NULL on failure. */
MstDeclick *mst_declick_init (int max_channels);

void mst_declick_destroy (MstDeclick ** d);

/** Sets the format (the model order, frame and latency follow the rate),
 *  and resets. */
MstResult mst_declick_configure (MstDeclick * d, double rate_hz,
    int channels);

/** Takes new settings (validated first; nothing applied when one is out of
 *  range). They apply from the next frame the core analyses. */
MstResult mst_declick_set (MstDeclick * d, const MstDeclickSettings * s);

/** Latency in frames: output frame i is input frame i, this many frames
 *  later. */
size_t mst_declick_get_latency (const MstDeclick * d);

/** Frames held (what a drain gives). */
size_t mst_declick_get_pending (const MstDeclick * d);

/** Clears the history; the click counts restart at 0. */
void mst_declick_reset (MstDeclick * d);

/** Declicks @n_in interleaved frames from @in, writing the completed
 *  frames to @out (may be @in) and their count to @n_out. */
MstResult mst_declick_process_f32 (MstDeclick * d, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_declick_process_f64 (MstDeclick * d, const double *in,
    size_t n_in, double *out, size_t *n_out);

/** The held frames into @out (room for mst_declick_get_pending), the
 *  stream's end taken as silence; the core is then reset (the counts
 *  kept). */
MstResult mst_declick_drain_f32 (MstDeclick * d, float *out, size_t *n_out);
MstResult mst_declick_drain_f64 (MstDeclick * d, double *out,
    size_t *n_out);

/** Clicks repaired since the reset on @channel, or on all channels with
 *  @channel -1 (what gst-master analyze reports). */
uint64_t mst_declick_get_click_count (const MstDeclick * d, int channel);

/** Samples repaired (all channels) since the reset. */
uint64_t mst_declick_get_repaired_samples (const MstDeclick * d);

uint64_t mst_declick_get_nonfinite_count (const MstDeclick * d);

#ifdef __cplusplus
}
#endif
#endif
