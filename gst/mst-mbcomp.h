/* mastering: the multiband compressor core (pure C, no GObject). */
#ifndef MST_MBCOMP_H
#define MST_MBCOMP_H

#include "mst-core.h"
#include "mst-crossover.h"
#include "mst-dynamics-gain.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * input -> crossover into 1 .. 6 bands (phase MINIMUM: the Linkwitz-Riley
 *          LR4 tree, bands summing to an all-pass; LINEAR: the linear-phase
 *          splitter, bands summing to the input delayed)
 *       -> per band: mid/side encode (mode MID_SIDE), one gain stage
 *          (mst-dynamics-gain.h) keyed by the band itself, the band delayed
 *          by the lookahead, its gain applied (bypass: 1, solo, mute)
 *       -> bands summed -> mid/side decode -> output,
 * crossfaded with the input delayed by the latency when bypassed.
 *
 * Time constants. Each band's attack_ms and release_ms are one-pole time
 * constants (the pack's convention, STYLE.md): after a step of the band's
 * level its gain has covered 63 % of its change in dB at T.
 *
 * Neutral. With ratio 1 (the default) every gain is exactly 1: the output
 * is the bands' sum, the input through an all-pass (MINIMUM; flat
 * magnitude) or delayed (LINEAR). With one band and MINIMUM it is the
 * input bit for bit; bypass gives the delayed input bit for bit. MINIMUM
 * then runs the splits' all-pass alone, not the tree (the neutral path,
 * mst-mbcomp.c; within 1e-6 of the tree, warmed from the last input
 * frames when a change needs the bands again).
 *
 * Mid/side. MID_SIDE compresses the mid (L + R) / 2 and the side (L - R) /
 * 2 of the first two channels (of the front pair the element names), each
 * with its own gain (link is not used: linked gains would make the mode
 * the same as LEFT_RIGHT). The transform runs per band, after the
 * crossover, so switching the mode while playing leaves the filters' state
 * untouched; the gains glide to their new values with attack and release.
 *
 * Latency: lookahead_ms rounded to frames, plus the linear-phase
 * splitter's delay with phase LINEAR; set at configure. Output frame i is
 * input frame i: at the start fewer frames come out than go in, drain
 * gives the rest at the end.
 *
 * Band count. A change of n_bands in the LR tree clears its history
 * (mst-crossover.h), so the output fades to the dry path (10 ms), the tree
 * and every band start afresh, and after the lookahead the output fades
 * back (10 ms); the linear splitter crossfades by itself, the bands it
 * adds starting afresh. Crossover frequencies glide (10 ms).
 */

#define MST_MBCOMP_MAX_BANDS MST_CROSSOVER_MAX_BANDS
#define MST_MBCOMP_MAX_LOOKAHEAD_MS 20.0
#define MST_MBCOMP_MIN_CROSSOVER_HZ 20.0
#define MST_MBCOMP_MAX_CROSSOVER_HZ 20000.0
/** Length of the glides of bypass, band bypass, solo and mute (ms). */
#define MST_MBCOMP_FADE_MS 10.0

typedef enum {
  MST_MBCOMP_LEFT_RIGHT = 0,
  MST_MBCOMP_MID_SIDE,
} MstMbcompMode;

typedef enum {
  MST_MBCOMP_MINIMUM_PHASE = 0, /* Linkwitz-Riley LR4 tree */
  MST_MBCOMP_LINEAR_PHASE,      /* mst-crossover-linear, latency */
} MstMbcompPhase;

typedef struct {
  double crossover_hz;          /* upper edge (unused for the top band) */
  /* Static curve (mst-gain-computer.h ranges), makeup in dB. */
  double threshold_db, ratio, knee_db, makeup_db;
  /* Ballistics: one-pole time constants (63 % of the gain change). */
  double attack_ms, release_ms;
  bool bypass;                  /* gain 1 (glides over MST_MBCOMP_FADE_MS) */
  bool solo;                    /* when any band is soloed, only those sum */
  bool mute;
} MstMbcompBandSettings;

/** Everything a user may change while playing. */
typedef struct {
  int n_bands;                  /* 1 .. MST_MBCOMP_MAX_BANDS */
  MstMbcompMode mode;
  MstDynamicsDetector detector; /* every band's */
  double rms_window_ms;
  double link;                  /* LEFT_RIGHT: 0 .. 1, 1 = one gain */
  bool bypass;                  /* the delayed input, bit-exact */
  MstMbcompBandSettings bands[MST_MBCOMP_MAX_BANDS];
} MstMbcompSettings;

/** The defaults, the only place they are written: 4 bands split at 120 Hz,
 *  1 kHz and 5 kHz (then 10 and 16 kHz), neutral (ratio 1; threshold -20
 *  dB, knee 6 dB, attack 10 ms, release 150 ms, no makeup), left-right,
 *  RMS detector over 10 ms, linked. */
void mst_mbcomp_settings_default (MstMbcompSettings * s);

/** Named band settings for the master bin on top of the defaults:
 *  "gentle" (4 bands, 1.5:1 to 2:1 from -24 dB, 10 dB knee, slow) and
 *  "glue" (4 bands, 2:1 to 3:1 from -18 dB, 6 dB knee, faster). Returns
 *  false (and leaves @s) for an unknown name; "none" is the defaults. */
bool mst_mbcomp_settings_preset (MstMbcompSettings * s, const char *name);

/** Validates every field: n_bands in range, the first n_bands - 1
 *  crossovers within [MIN, MAX]_CROSSOVER_HZ and strictly ascending, each
 *  band's curve and times valid for the gain stage. */
bool mst_mbcomp_settings_valid (const MstMbcompSettings * s);

typedef struct MstMbcomp MstMbcomp;

/** Allocates a compressor for up to @max_channels channels; NULL on
 *  failure. */
MstMbcomp *mst_mbcomp_init (int max_channels);
void mst_mbcomp_destroy (MstMbcomp ** m);

/** Sets the rate, the channel count, the mid/side pair (@left, @right
 *  channel indices; -1: none, MID_SIDE then acts as LEFT_RIGHT), the phase
 *  mode and the lookahead (0 .. MST_MBCOMP_MAX_LOOKAHEAD_MS); allocates
 *  the delay lines (and the linear splitter), and resets. */
MstResult mst_mbcomp_configure (MstMbcomp * m, double rate_hz, int channels,
    int left, int right, MstMbcompPhase phase, double lookahead_ms);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied), then
 *  applies what changed. Never allocates. */
MstResult mst_mbcomp_set (MstMbcomp * m, const MstMbcompSettings * s);

/** All history cleared; glides at their targets. */
void mst_mbcomp_reset (MstMbcomp * m);

/** Latency in frames (lookahead plus the linear splitter's). */
size_t mst_mbcomp_get_latency (const MstMbcomp * m);
/** Frames held back (what a drain gives). */
size_t mst_mbcomp_get_pending (const MstMbcomp * m);

/** Processes @n_in interleaved frames from @in, writing the complete ones
 *  to @out (may equal @in) and their count to @n_out. */
MstResult mst_mbcomp_process_f32 (MstMbcomp * m, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_mbcomp_process_f64 (MstMbcomp * m, const double *in,
    size_t n_in, double *out, size_t *n_out);
/** The pending frames into @out (room for get_pending frames); then
 *  resets. */
MstResult mst_mbcomp_drain_f32 (MstMbcomp * m, float *out, size_t *n_out);
MstResult mst_mbcomp_drain_f64 (MstMbcomp * m, double *out, size_t *n_out);

/** Per band (n_bands values into @reduction_db): the deepest gain change in
 *  dB (<= 0, makeup not included) since the last call; restarts them. */
void mst_mbcomp_take_reduction_db (MstMbcomp * m,
    double reduction_db[MST_MBCOMP_MAX_BANDS]);
/** Per band: the gain change now (dB, makeup not included). */
void mst_mbcomp_get_current_db (const MstMbcomp * m,
    double current_db[MST_MBCOMP_MAX_BANDS]);

/** Whether the neutral path may run (the default; see mst-mbcomp.c): with
 *  every band's gains exactly 1 the output, the bands' sum, is the
 *  splits' all-pass, run alone instead of the LR tree (within 1e-6 of
 *  it). false keeps the tree always (tests, measurements); takes effect at
 *  the next block, without a click. */
void mst_mbcomp_set_neutral_path (MstMbcomp * m, bool allowed);
/** Whether the last block went the neutral path. */
bool mst_mbcomp_in_neutral_path (const MstMbcomp * m);
/** Times the neutral path was entered since init. */
uint64_t mst_mbcomp_get_neutral_entries (const MstMbcomp * m);

/** Non-finite (or absurd) input samples, since configure. */
uint64_t mst_mbcomp_get_nonfinite_count (const MstMbcomp * m);

#ifdef __cplusplus
}
#endif
#endif
