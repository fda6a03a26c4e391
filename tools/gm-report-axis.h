/* gst-master --report: the value axes of the picture and the colours of
 * its lines, apart from cairo so that a test can check them (header only:
 * tests/test-gst-master.c includes it). */
#ifndef GM_REPORT_AXIS_H
#define GM_REPORT_AXIS_H

#include <math.h>
#include <stddef.h>

/* Colours, 0xRRGGBB. The ceiling is drawn one pixel high on a whole row,
 * so its pixels have exactly this colour, found by no other line. */
#define GM_REPORT_BEFORE_RGB 0x999999
#define GM_REPORT_AFTER_RGB 0x1a4dcc
#define GM_REPORT_TARGET_RGB 0x1a991a
#define GM_REPORT_REDUCTION_RGB 0xcc331a
#define GM_REPORT_CEILING_RGB 0xb40000
#define GM_REPORT_TRUE_PEAK_RGB 0x1a4dcc

/* Nothing below the absolute gate of ITU-R BS.1770-4 (-70 LUFS) counts in
 * a loudness, nor is drawn: fades and silence would stretch the axis. */
#define GM_REPORT_AXIS_FLOOR -70.0

/** The range [*lo, *hi] of an axis that shows every finite value of
 *  @values (above @floor_v) and of @marks (the target, the ceiling):
 *  widened downwards (the loud end is the one of interest) to at least
 *  @min_span, then out to multiples of @step. With no value at all: [-@min_span, 0] rounded so. */
static inline void
gm_report_axis_range (const double *values, size_t n_values,
    const double *marks, size_t n_marks, double step, double min_span,
    double floor_v, double *lo, double *hi)
{
  double a = INFINITY, b = -INFINITY;

  for (size_t i = 0; i < n_values + n_marks; i++) {
    double v = i < n_values ? values[i] : marks[i - n_values];
    if (isfinite (v) && v >= floor_v) {
      a = fmin (a, v);
      b = fmax (b, v);
    }
  }
  if (!isfinite (a)) {
    a = -min_span;
    b = 0.0;
  }
  if (b - a < min_span)
    a = b - min_span;
  *lo = floor (a / step) * step;
  *hi = ceil (b / step) * step + 0.0;     /* -0 is 0 */
}

#endif
