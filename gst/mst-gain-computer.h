/* mastering: static gain computer of the dynamics processors (pure C, no
 * GObject): a level in dB in, a gain in dB out. */
#ifndef MST_GAIN_COMPUTER_H
#define MST_GAIN_COMPUTER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The static curve of Giannoulis, Massberg & Reiss 2012, JAES 60(6),
 * "Digital Dynamic Range Compressor Design - A Tutorial and Analysis",
 * its soft-knee gain computer: with x the input level (dB), T the
 * threshold, R the ratio and W the knee width (dB), the output level of a
 * compressor is
 *   y = x                                   2 (x - T) < -W
 *   y = x + (1/R - 1) (x - T + W/2)^2 / 2W  2 |x - T| <= W
 *   y = T + (x - T) / R                     2 (x - T) > W
 * and the gain is g = y - x. The knee is the quadratic that meets both
 * lines with their value and their slope (continuous in value and slope);
 * W = 0 is the hard knee.
 *
 * EXPAND is the mirror image, a downward expander: above the threshold the
 * gain is 0 dB, below it the output level falls R dB per dB of input
 * (g = (R - 1) (x - T)), with the same quadratic knee:
 *   g = (1 - R) (x - T - W/2)^2 / 2W        2 |x - T| <= W.
 * A gate is an expander with a steep ratio (tens to
 * MST_GAIN_COMPUTER_MAX_EXPAND_RATIO) and a range.
 *
 * UPWARD is upward compression: above the threshold 0 dB, below it the
 * quiet passages are raised so their level moves 1/R dB per dB of input
 * (g = (1 - 1/R) (T - x)), the same knee mirrored; the boost stops at
 * -range_db and never exceeds MST_GAIN_COMPUTER_MAX_BOOST_DB (silence is
 * not raised without bound).
 *
 * In both modes the ratio is >= 1 (1: unity gain); COMPRESS also takes
 * INFINITY (a limiter's curve: y = T above the knee). range_db (<= 0,
 * -INFINITY for none) is the deepest gain the curve gives, the floor of a
 * gate; makeup_db is added last. So
 *   gain_db = max (g, range_db) + makeup_db.
 *
 * Input levels: what mst-level-detector gives (dB, floored at -200).
 * -INFINITY is read as that floor; NaN too, counted as non-finite with
 * +INFINITY (read as +200 dB). The block has no state beyond its settings:
 * the element smooths the gain it gives (attack and release of the gain
 * smoother), delays the audio and applies it.
 */

/** Bounds of the input level the curve is evaluated at. */
#define MST_GAIN_COMPUTER_MIN_LEVEL_DB (-200.0)
#define MST_GAIN_COMPUTER_MAX_LEVEL_DB 200.0
/** Ranges of the settings. */
#define MST_GAIN_COMPUTER_MIN_THRESHOLD_DB (-120.0)
#define MST_GAIN_COMPUTER_MAX_THRESHOLD_DB 24.0
#define MST_GAIN_COMPUTER_MAX_KNEE_DB 48.0
#define MST_GAIN_COMPUTER_MAX_MAKEUP_DB 60.0
#define MST_GAIN_COMPUTER_MAX_EXPAND_RATIO 1000.0
/** Largest boost of UPWARD. */
#define MST_GAIN_COMPUTER_MAX_BOOST_DB 24.0

typedef struct MstGainComputer MstGainComputer;

typedef enum {
  MST_GAIN_COMPUTER_COMPRESS = 0,       /* downward compression/limiting */
  MST_GAIN_COMPUTER_EXPAND,     /* downward expansion, gate */
  MST_GAIN_COMPUTER_UPWARD,     /* upward compression */
} MstGainComputerMode;

typedef struct {
  MstGainComputerMode mode;
  double threshold_db;          /* MIN_THRESHOLD .. MAX_THRESHOLD_DB */
  double ratio;                 /* >= 1; COMPRESS and UPWARD: up to
                                 * INFINITY, EXPAND: up to MAX_EXPAND_RATIO */
  double knee_db;               /* full width W, 0 (hard) .. MAX_KNEE_DB */
  double range_db;              /* deepest gain, <= 0; -INFINITY: none;
                                 * UPWARD: the largest boost is -range_db */
  double makeup_db;             /* -MAX_MAKEUP .. MAX_MAKEUP_DB */
} MstGainComputerSettings;

/** Defaults: compress, -20 dB, 4:1, 6 dB knee, no range, no makeup. */
void mst_gain_computer_settings_default (MstGainComputerSettings * s);

/** Whether every field of @s is in range. */
bool mst_gain_computer_settings_valid (const MstGainComputerSettings * s);
/** Allocates a gain computer with the default settings; NULL on failure. */
MstGainComputer *mst_gain_computer_init (void);

/** Frees @gc and sets it to NULL; harmless on NULL. */
void mst_gain_computer_destroy (MstGainComputer ** gc);

/** Starts a stream: clears the non-finite count. The curve has no rate
 *  or channel count of its own. */
MstResult mst_gain_computer_configure (MstGainComputer * gc);

/** Validates every field of @s (MST_ERR_INVALID_ARG and nothing applied
 *  when one is out of range), then applies what changed from the next
 *  process call. The curve has no state to glide: the element's gain
 *  smoother hides the step. */
MstResult mst_gain_computer_set (MstGainComputer * gc,
    const MstGainComputerSettings * s);

/** Nothing to clear (no history); there for the contract. */
void mst_gain_computer_reset (MstGainComputer * gc);

/** Gains in dB for @n levels in dB (@gain_db may equal @level_db). */
MstResult mst_gain_computer_process (MstGainComputer * gc,
    const double *level_db, double *gain_db, size_t n);

/** The same, as linear gain factors (10^(gain_db / 20)). */
MstResult mst_gain_computer_process_lin (MstGainComputer * gc,
    const double *level_db, double *gain_lin, size_t n);

/** Non-finite levels (NaN, +INFINITY) met since configure. */
uint64_t mst_gain_computer_get_nonfinite_count (const MstGainComputer * gc);

#ifdef __cplusplus
}
#endif
#endif
