/* mastering: echo delay core (pure C, no GObject): a feedback delay with
 * ping-pong and filters in the feedback path. */
#ifndef MST_DELAY_H
#define MST_DELAY_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MST_DELAY_MIN_TIME_MS 1.0
#define MST_DELAY_MAX_TIME_MS 4000.0
#define MST_DELAY_MIN_BPM 20.0
#define MST_DELAY_MAX_BPM 400.0
#define MST_DELAY_MAX_FEEDBACK_PCT 98.0
/** low-cut: 0 off; high-cut: the maximum off. */
#define MST_DELAY_MAX_LOW_CUT_HZ 5000.0
#define MST_DELAY_MIN_HIGH_CUT_HZ 200.0
#define MST_DELAY_MAX_HIGH_CUT_HZ 20000.0
/** Time constant of the glides (one-pole, 63 % in this time). */
#define MST_DELAY_SMOOTHING_MS 20.0
/** Length of the crossfade between the old and the new tap when the time
 *  changes. */
#define MST_DELAY_FADE_MS 30.0
/** The drained tail ends when the output stays under this (dBFS) for a
 *  whole delay time, or after 2 x the echoes' RT60. */
#define MST_DELAY_TAIL_FLOOR_DB -90.0

/** The time as a note value at `bpm` (a whole note is 4 beats): plain,
 *  dotted (x 3/2) or triplet (x 2/3); OFF: `time` in ms. */
typedef enum {
  MST_DELAY_NOTE_OFF = 0,
  MST_DELAY_NOTE_1_1, MST_DELAY_NOTE_1_1D, MST_DELAY_NOTE_1_1T,
  MST_DELAY_NOTE_1_2, MST_DELAY_NOTE_1_2D, MST_DELAY_NOTE_1_2T,
  MST_DELAY_NOTE_1_4, MST_DELAY_NOTE_1_4D, MST_DELAY_NOTE_1_4T,
  MST_DELAY_NOTE_1_8, MST_DELAY_NOTE_1_8D, MST_DELAY_NOTE_1_8T,
  MST_DELAY_NOTE_1_16, MST_DELAY_NOTE_1_16D, MST_DELAY_NOTE_1_16T,
  MST_DELAY_NOTE_1_32, MST_DELAY_NOTE_1_32D, MST_DELAY_NOTE_1_32T,
  MST_DELAY_N_NOTES
} MstDelayNote;

typedef struct {
  double time_ms;
  MstDelayNote note;
  double bpm;
  double feedback_pct;          /* each echo times feedback / 100 */
  bool ping_pong;               /* echoes alternate left, right */
  double low_cut_hz;            /* in the feedback path; 0 off */
  double high_cut_hz;           /* in the feedback path; max off */
  double mix_pct;               /* wet share: 0 dry (bit-exact), 100 wet */
  bool tail;                    /* drained at the end of the stream */
  bool bypass;
} MstDelaySettings;

/** The defaults, written here only. */
void mst_delay_settings_default (MstDelaySettings * settings);

/** The delay time in ms @s asks for (the note at bpm, or time), clamped to
 *  MST_DELAY_MAX_TIME_MS. */
double mst_delay_time_ms (const MstDelaySettings * s);

typedef struct MstDelay MstDelay;

MstDelay *mst_delay_init (void);
void mst_delay_destroy (MstDelay ** d);

/** Rate and input channels (1 or 2; stereo out): allocates the lines
 *  (MST_ERR_NOMEM), resets. */
MstResult mst_delay_configure (MstDelay * d, double rate_hz, int in_channels);

/** Validates every field (MST_ERR_INVALID_ARG), then sets the targets. A
 *  new time fades from the old tap to the new one (MST_DELAY_FADE_MS, a
 *  smoothstep): no click and no pitch sweep; the delay in frames is the
 *  time rounded to the nearest frame. */
MstResult mst_delay_set (MstDelay * d, const MstDelaySettings * s);

void mst_delay_reset (MstDelay * d);

bool mst_delay_is_passthrough (const MstDelay * d);

/** The delay in frames the lines are read at once settled. */
size_t mst_delay_get_frames (const MstDelay * d);

MstResult mst_delay_process_f32 (MstDelay * d, const float *in,
    size_t n_frames, void *out);
MstResult mst_delay_process_f64 (MstDelay * d, const double *in,
    size_t n_frames, void *out);

/** After the input: up to @max_frames of the echoes (silence in) into @out
 *  (stereo); *@n_out written, 0 when over. */
MstResult mst_delay_drain_f32 (MstDelay * d, float *out, size_t max_frames,
    size_t *n_out);
MstResult mst_delay_drain_f64 (MstDelay * d, double *out, size_t max_frames,
    size_t *n_out);

uint64_t mst_delay_get_nonfinite_count (const MstDelay * d);

#ifdef __cplusplus
}
#endif
#endif
