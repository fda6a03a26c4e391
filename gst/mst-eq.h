/* mastering: parametric equalizer core (pure C, no GObject). */
#ifndef MST_EQ_H
#define MST_EQ_H

#include "mst-core.h"
#include "mst-biquad.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MST_EQ_MAX_BANDS 32

/** Ranges mst_eq_set() takes: a band's gain (peak, shelves, tilt) within
 *  +-MST_EQ_MAX_BAND_GAIN_DB, the output gain from MST_EQ_MIN_GAIN_DB to
 *  MST_EQ_MAX_GAIN_DB. Beyond them a gain is no equalisation (1e300 dB is
 *  an infinite factor, and its design NaN). */
#define MST_EQ_MAX_BAND_GAIN_DB 30.0
#define MST_EQ_MIN_GAIN_DB -60.0
#define MST_EQ_MAX_GAIN_DB 24.0

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

/** Everything a user may change while playing. */
typedef struct {
  MstEqBandSettings bands[MST_EQ_MAX_BANDS];
  int num_bands;                /* bands at and above fade out, then idle */
  double gain_db;               /* output gain after all bands (glides) */
  bool bypass;                  /* crossfades to the dry signal, then
                                 * passes it bit-exact */
} MstEqSettings;

/** The defaults, written here only: ten flat peak bands an octave apart
 *  from 31.25 Hz (a graphic equalizer's), Q 0.707, the others flat peaks at
 *  1 kHz; gain 0 dB; not bypassed. */
void mst_eq_settings_default (MstEqSettings * settings);

typedef struct MstEq MstEq;

/** Allocates an equalizer for up to @max_channels channels and
 *  MST_EQ_MAX_BANDS bands, with the default settings; NULL on failure.
 *  Nothing else allocates. */
MstEq *mst_eq_init (int max_channels);

/** Frees @eq and sets *@eq to NULL. */
void mst_eq_destroy (MstEq ** eq);

/** Sets the stream format and resets all state. @left_index and
 *  @right_index are the front-left/front-right pair (-1 when none). */
MstResult mst_eq_configure (MstEq * eq, double rate_hz, int channels,
    int left_index, int right_index);

/** Validates every field of @settings (MST_ERR_INVALID_ARG and nothing
 *  applied when one is out of range), then takes what differs from the
 *  settings in force as targets: parameters glide, structure changes
 *  (type, slope, channels, enabled, num_bands) and bypass crossfade. */
MstResult mst_eq_set (MstEq * eq, const MstEqSettings * settings);

/** Clears filter history; smoothers jump to their targets. */
void mst_eq_reset (MstEq * eq);

/** True when processing would leave the audio bit-exact: bypassed, or no
 *  band is active and the gain is exactly 0 dB. The caller may skip
 *  processing then. */
bool mst_eq_is_passthrough (const MstEq * eq);

/** Filters @n_frames interleaved frames in place. Input samples that are
 *  not finite or beyond +-MST_MAX_INPUT (+60 dBFS, why in
 *  mst-core.h) are read as silence, on every path (bands, the gain
 *  alone, bypass fades), so they never reach the output or the filters;
 *  state that still went non-finite is reset at the end of the block and
 *  that block's non-finite output zeroed. A passthrough (bypassed, or
 *  neutral: mst_eq_is_passthrough) leaves the frames as they are. */
MstResult mst_eq_process_f32 (MstEq * eq, float *frames, size_t n_frames);
MstResult mst_eq_process_f64 (MstEq * eq, double *frames, size_t n_frames);

/** Number of blocks (of up to 1024 frames) with input read as silence or
 *  state reset, since configure (monotonic). */
uint64_t mst_eq_get_nonfinite_count (const MstEq * eq);

/** Coefficients in use by band @index (for tests and plots). */
MstResult mst_eq_get_band_sections (const MstEq * eq, int index,
    MstBiquad * sections, int *n_sections);

#ifdef __cplusplus
}
#endif
#endif
