/* mastering: hop ring block (pure C, no GObject): the streaming of a
 * restoration that looks ahead (declick, declip). */
#ifndef MST_HOPRING_H
#define MST_HOPRING_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Per channel, a ring of the input and one of its repaired copy (double:
 *  F32 and F64 samples held exactly). Frames come in; every @hop frames,
 *  once @ctx frames past the hop have arrived, each channel's work frame
 *  (@ctx frames before the hop, the hop, @ctx after, from the repaired
 *  copy) goes to the core's analysis, which repairs samples in it and
 *  commits them; frames leave a fixed latency later (hop + ctx + the
 *  core's @extra), repaired, as they came (bypass: no analysis either), or
 *  as the input minus the repaired copy (listen). A frame never committed
 *  comes out bit for bit. Non-finite input (and beyond MST_MAX_INPUT) is
 *  read as silence and counted. */
typedef struct MstHopRing MstHopRing;

/** The analysis of channel @channel's work frame @work (@n_work frames,
 *  the first being frame @t0; the hop starts at work[ctx]). */
typedef void (*MstHopFn) (void *user, MstHopRing * ring, int channel,
    int64_t t0, double *work, size_t n_work);

MstHopRing *mst_hopring_init (int max_channels);

void mst_hopring_destroy (MstHopRing ** r);

/** Sets the channels and the frame (may allocate), and resets. @extra: the
 *  frames before the hop a repair may reach, added to the latency. */
MstResult mst_hopring_configure (MstHopRing * r, int channels, size_t hop,
    size_t ctx, size_t extra);

/** Silence in both rings; frames numbered from 0 again. */
void mst_hopring_reset (MstHopRing * r);

/** What leaves: bypass (the input, no analysis), listen (input minus the
 *  repaired copy), or the repaired copy. */
void mst_hopring_set_output (MstHopRing * r, bool bypass, bool listen);

size_t mst_hopring_get_latency (const MstHopRing * r);
size_t mst_hopring_get_pending (const MstHopRing * r);
size_t mst_hopring_get_work_frames (const MstHopRing * r);
uint64_t mst_hopring_get_nonfinite_count (const MstHopRing * r);

/** Channel @c's repaired copy of frames @t0 .. t0 + n_work - 1 into
 *  @work (a second look at the frame after repairs made in it). */
void mst_hopring_load (const MstHopRing * r, int c, int64_t t0,
    double *work);

/** Channel @c's input (as it came, non-finite samples as 0) of frames
 *  @t0 .. t0 + n_work - 1 into @work. */
void mst_hopring_load_input (const MstHopRing * r, int c, int64_t t0,
    double *work);

/** work[from .. to] (inclusive) of a work frame starting at @t0 into
 *  channel @c's repaired copy. */
void mst_hopring_commit (MstHopRing * r, int c, int64_t t0,
    const double *work, size_t from, size_t to);

/** @n_in interleaved frames in, the completed ones to @out (may be @in),
 *  their count to @n_out; @fn analyses each hop. */
MstResult mst_hopring_process_f32 (MstHopRing * r, const float *in,
    size_t n_in, float *out, size_t *n_out, MstHopFn fn, void *user);
MstResult mst_hopring_process_f64 (MstHopRing * r, const double *in,
    size_t n_in, double *out, size_t *n_out, MstHopFn fn, void *user);

/** The held frames out (room for get_pending), the stream's end followed
 *  by silence for the analysis; then reset. */
MstResult mst_hopring_drain_f32 (MstHopRing * r, float *out, size_t *n_out,
    MstHopFn fn, void *user);
MstResult mst_hopring_drain_f64 (MstHopRing * r, double *out,
    size_t *n_out, MstHopFn fn, void *user);

/** The public prefix_process_f32/_f64 and prefix_drain_f32/_f64 of a core
 *  whose streaming is its field `ring` (an MstHopRing), its hops analysed
 *  by @fn with the core as user data. */
#define MST_HOPRING_DEFINE_PROCESS(prefix, Core, fn)                        \
  MstResult prefix##_process_f32 (Core * core, const float *in,             \
      size_t n_in, float *out, size_t *n_out)                               \
  {                                                                         \
    *n_out = 0;                                                             \
    return core ? mst_hopring_process_f32 (core->ring, in, n_in, out,       \
        n_out, fn, core) : MST_ERR_INVALID_ARG;                             \
  }                                                                         \
  MstResult prefix##_process_f64 (Core * core, const double *in,            \
      size_t n_in, double *out, size_t *n_out)                              \
  {                                                                         \
    *n_out = 0;                                                             \
    return core ? mst_hopring_process_f64 (core->ring, in, n_in, out,       \
        n_out, fn, core) : MST_ERR_INVALID_ARG;                             \
  }                                                                         \
  MstResult prefix##_drain_f32 (Core * core, float *out, size_t *n_out)     \
  {                                                                         \
    *n_out = 0;                                                             \
    return core ? mst_hopring_drain_f32 (core->ring, out, n_out, fn, core)  \
        : MST_ERR_INVALID_ARG;                                              \
  }                                                                         \
  MstResult prefix##_drain_f64 (Core * core, double *out, size_t *n_out)    \
  {                                                                         \
    *n_out = 0;                                                             \
    return core ? mst_hopring_drain_f64 (core->ring, out, n_out, fn, core)  \
        : MST_ERR_INVALID_ARG;                                              \
  }

#ifdef __cplusplus
}
#endif
#endif
