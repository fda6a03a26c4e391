/* mastering: declip core, clipped runs reconstructed by least-squares AR
 * interpolation under the clip level (pure C, no GObject). */
#ifndef MST_DECLIP_H
#define MST_DECLIP_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Detection threshold (dB) relative to the channel's peak of each sign
 *  (with auto off): samples at or beyond it are clipped. */
#define MST_DECLIP_MIN_THRESHOLD_DB -20.0
#define MST_DECLIP_MAX_THRESHOLD_DB 0.0

typedef struct MstDeclip MstDeclip;

typedef struct {
  /* The clip level found from the sample histogram: the top bin (within
   * 1e-6 of the running peak of each sign) holding runs of two samples or
   * more, which music alone does not make; @threshold_db ignored. */
  bool auto_level;
  double threshold_db;          /* MST_DECLIP_MIN/MAX_THRESHOLD_DB */
  bool listen;                  /* output what was added (input - output) */
  bool bypass;
} MstDeclipSettings;

/** The defaults, the only place they are written. */
void mst_declip_settings_default (MstDeclipSettings * s);

/** Allocates a declipper for up to @max_channels (buffers at configure);
 *  NULL on failure. */
MstDeclip *mst_declip_init (int max_channels);

void mst_declip_destroy (MstDeclip ** d);

/** Sets the format and resets. */
MstResult mst_declip_configure (MstDeclip * d, double rate_hz, int channels);

/** Takes new settings (validated first); they apply from the next hop. */
MstResult mst_declip_set (MstDeclip * d, const MstDeclipSettings * s);

/** Latency in frames: output frame i is input frame i, this much later. */
size_t mst_declip_get_latency (const MstDeclip * d);

size_t mst_declip_get_pending (const MstDeclip * d);

/** Clears the history, the peaks and the counts. */
void mst_declip_reset (MstDeclip * d);

/** Declips @n_in interleaved frames from @in, the completed frames to @out
 *  (may be @in), their count to @n_out. Restored samples go beyond the
 *  clip level: float output above 1.0 (0 dBFS) where the input was clipped
 *  at full scale. */
MstResult mst_declip_process_f32 (MstDeclip * d, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_declip_process_f64 (MstDeclip * d, const double *in,
    size_t n_in, double *out, size_t *n_out);

/** The held frames out (room for get_pending); the ring is reset, the
 *  counts kept. */
MstResult mst_declip_drain_f32 (MstDeclip * d, float *out, size_t *n_out);
MstResult mst_declip_drain_f64 (MstDeclip * d, double *out, size_t *n_out);

/** Clipped samples restored since the reset on @channel, or on all with
 *  @channel -1 (what gst-master analyze reports). */
uint64_t mst_declip_get_clipped_count (const MstDeclip * d, int channel);

uint64_t mst_declip_get_nonfinite_count (const MstDeclip * d);

#ifdef __cplusplus
}
#endif
#endif
