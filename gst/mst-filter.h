/* mastering: filter design (analog prototypes and their digital matches). */
#ifndef MST_FILTER_H
#define MST_FILTER_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One second-order section, a0 normalised to 1:
 *  H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2). */
typedef struct {
  double b0, b1, b2, a1, a2;
} MstBiquad;

typedef enum {
  MST_FILTER_PEAK = 0,
  MST_FILTER_LOW_SHELF,
  MST_FILTER_HIGH_SHELF,
  MST_FILTER_LOW_CUT,
  MST_FILTER_HIGH_CUT,
  MST_FILTER_NOTCH,
  MST_FILTER_BAND_PASS,
  MST_FILTER_ALL_PASS,
  MST_FILTER_TILT,
  MST_FILTER_N_TYPES
} MstFilterType;

/** A cut of 48 dB/octave is 8th order: four sections. */
#define MST_FILTER_MAX_SECTIONS 4

typedef struct {
  MstFilterType type;
  double freq_hz;
  double gain_db;
  double q;
  int slope_db_per_oct;         /* cuts only: 6, 12, 18, 24, 36 or 48 */
} MstFilterParams;

/** True when @p can be designed: a known type, frequency and Q positive and
 *  finite, gain finite, slope 6 to 48 dB/octave. */
bool mst_filter_params_valid (const MstFilterParams * p);

/** True when @a and @b are the same design. */
bool mst_filter_params_equal (const MstFilterParams * a,
    const MstFilterParams * b);

/** True for the types whose response is flat at gain 0 dB. */
bool mst_filter_type_has_gain (MstFilterType type);

/** Number of sections the design of @p uses (1 to 4). */
int mst_filter_n_sections (const MstFilterParams * p);

/** Designs @p at @rate_hz into @sections (MST_FILTER_MAX_SECTIONS long);
 *  writes how many are used to @n_sections.
 *
 *  Peak, shelves and tilt match the magnitude of their analog prototype
 *  (Audio EQ Cookbook s-domain transfer functions) by a log-magnitude
 *  least-squares fit of all five coefficients, started from the bilinear
 *  (RBJ) design: unlike the bilinear transform they do not cramp near
 *  Nyquist. Cuts are Butterworth, bilinear with pre-warping (so their
 *  -3 dB point is exact); notch, band-pass and all-pass are the cookbook's
 *  bilinear designs, pre-warped at @p->freq_hz. */
MstResult mst_filter_design (const MstFilterParams * p, double rate_hz,
    MstBiquad * sections, int *n_sections);

/** The bilinear (RBJ cookbook) design of a peak or shelf, for comparison. */
MstResult mst_filter_design_rbj (const MstFilterParams * p, double rate_hz,
    MstBiquad * out);

/** A first-order shelf (b2 = a2 = 0), the bilinear transform of
 *  H(s) = g_nyq (s + A w) / (s + w), A = @dc_gain / @nyquist_gain, w the
 *  pre-warped @freq_hz over sqrt (A): exactly @dc_gain (linear, > 0) at
 *  0 Hz and @nyquist_gain at Nyquist (the bilinear transform maps s = 0
 *  and s = inf there), the geometric mean of the two at @freq_hz (clamped
 *  under 0.49 @rate_hz). The magnitude moves monotonically between the two
 *  gains, so a loop through it is stable when both are under 1 (Jot's
 *  absorption filters, reverb). */
void mst_filter_first_order_shelf (double dc_gain, double nyquist_gain,
    double freq_hz, double rate_hz, MstBiquad * out);

/** |H(j 2 pi f)| in dB of the analog prototype of @p. */
double mst_filter_analog_db (const MstFilterParams * p, double freq_hz);

/** |H(e^jw)| in dB of @n cascaded sections at @freq_hz. */
double mst_biquad_cascade_db (const MstBiquad * s, int n, double freq_hz,
    double rate_hz);

/** True when the section's poles are strictly inside the unit circle. */
bool mst_biquad_is_stable (const MstBiquad * s);

#ifdef __cplusplus
}
#endif
#endif
