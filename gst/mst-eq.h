/* mastering: parametric equalizer core (pure C, no GObject). */
#ifndef MST_EQ_H
#define MST_EQ_H

#include "mst-core.h"
#include "mst-filter.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MST_EQ_MAX_BANDS 32

/** Time constant of parameter glides (freq, gain, Q, element gain), and the
 *  length of the crossfades of bypass, band toggles and type changes. */
#define MST_EQ_SMOOTHING_MS 10.0

/** Which channels a band filters. Mid, side, left and right address the
 *  front-left/front-right pair; without such a pair (mono), mid is the
 *  single channel and the others filter nothing. */
typedef enum {
  MST_EQ_CHANNELS_ALL = 0,
  MST_EQ_CHANNELS_MID,
  MST_EQ_CHANNELS_SIDE,
  MST_EQ_CHANNELS_LEFT,
  MST_EQ_CHANNELS_RIGHT,
} MstEqChannels;

typedef struct {
  MstFilterParams filter;
  bool enabled;
  MstEqChannels channels;
} MstEqBandSettings;

typedef struct MstEq MstEq;

/** Allocates an equalizer for up to @max_channels channels and
 *  MST_EQ_MAX_BANDS bands; NULL on failure. Nothing else allocates. */
MstEq *mst_eq_init (int max_channels);

/** Frees @eq and sets *@eq to NULL. */
void mst_eq_destroy (MstEq ** eq);

/** Sets the stream format and resets all state. @left_index and
 *  @right_index are the front-left/front-right pair (-1 when none). */
MstResult mst_eq_configure (MstEq * eq, double rate_hz, int channels,
    int left_index, int right_index);

/** Sets the target of band @index; the equalizer glides or crossfades to it. */
MstResult mst_eq_set_band (MstEq * eq, int index,
    const MstEqBandSettings * settings);

/** Bands at and above @n_bands are faded out and then ignored. */
MstResult mst_eq_set_num_bands (MstEq * eq, int n_bands);

/** Output gain in dB (glides). */
MstResult mst_eq_set_gain_db (MstEq * eq, double gain_db);

/** Bypass crossfades to the dry signal, then passes it bit-exact. */
MstResult mst_eq_set_bypass (MstEq * eq, bool bypass);

/** Clears filter history; smoothers jump to their targets. */
void mst_eq_reset (MstEq * eq);

/** True when processing would leave the audio bit-exact: bypassed, or no
 *  band is active and the gain is exactly 0 dB. The caller may skip
 *  processing then. */
bool mst_eq_is_passthrough (const MstEq * eq);

/** Filters @n_frames interleaved frames in place. Non-finite input never
 *  poisons the filters: state that went non-finite is reset at the end of
 *  the block, and non-finite output samples of that block are zeroed. */
MstResult mst_eq_process_f32 (MstEq * eq, float *frames, size_t n_frames);
MstResult mst_eq_process_f64 (MstEq * eq, double *frames, size_t n_frames);

/** Number of times non-finite state was found and reset since configure. */
unsigned mst_eq_get_nonfinite_resets (const MstEq * eq);

/** Coefficients in use by band @index (for tests and plots). */
MstResult mst_eq_get_band_sections (const MstEq * eq, int index,
    MstBiquad * sections, int *n_sections);

#ifdef __cplusplus
}
#endif
#endif
