/* The declip element: bass-heavy material driven 6 dB over and clipped,
 * through it in a GstHarness; as many frames out as in, every restored
 * sample at or beyond the clip level with its sign (the float output over
 * 0 dBFS), every unclipped sample bit for bit, the SDR improved; the
 * "declip" messages count the restored samples. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <math.h>
#include <string.h>

#include "mst-gstrun.h"
#include "mst-signals.h"

#define RATE MST_RUN_RATE

GST_START_TEST (test_clipped_bass)
{
  const gsize n = RATE * 3;
  const gint ch = 2;
  float *clean = g_new (float, n * ch), *x = g_new (float, n * ch);
  float *y = g_new0 (float, n * ch);
  mst_signal_bass_heavy (clean, n, ch, RATE, 3);
  mst_signal_apply_gain_db (clean, n * ch, 6.1);
  gsize n_clipped = 0;
  for (gsize i = 0; i < n * ch; i++) {
    x[i] = CLAMP (clean[i], -1.0f, 1.0f);
    n_clipped += fabsf (x[i]) >= (float) (1.0 - 1e-6);
  }
  GstBus *bus = gst_bus_new ();
  GstClockTime latency = 0;
  fail_unless_equals_uint64 (mst_run_element_full ("declip interval="
          "500000000", x, n, ch, 1024, y, &latency, bus), n);
  fail_unless (latency > 0 && latency < 40 * GST_MSECOND);
  double err_in = 0, err_out = 0, peak = 0;
  for (gsize i = 0; i < n * ch; i++) {
    if (fabsf (x[i]) >= (float) (1.0 - 1e-6))
      fail_unless (x[i] > 0 ? y[i] >= x[i] : y[i] <= x[i],
          "sample %" G_GSIZE_FORMAT " restored to %g", i, y[i]);
    else
      fail_unless (x[i] == y[i], "unclipped sample %" G_GSIZE_FORMAT
          " changed", i);
    peak = MAX (peak, fabs (y[i]));
    err_in += (x[i] - clean[i]) * (double) (x[i] - clean[i]);
    err_out += (y[i] - clean[i]) * (double) (y[i] - clean[i]);
  }
  GST_INFO ("damage reduced %.1f dB, output peak %+.1f dBFS",
      10 * log10 (err_in / err_out), 20 * log10 (peak));
  fail_unless (10 * log10 (err_in / err_out) > 3.0);
  fail_unless (peak > 1.0);
  guint count;
  fail_unless_equals_uint64 (mst_pop_counts (bus, "declip", "clipped", ch,
          &count), n_clipped);
  fail_unless (count >= 6);
  gst_object_unref (bus);
  g_free (clean);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

static Suite *
declip_suite (void)
{
  Suite *s = suite_create ("declip");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_clipped_bass);
  return s;
}

GST_CHECK_MAIN (declip);
