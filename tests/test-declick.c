/* The declick element: music with generated clicks through it in a
 * GstHarness; the output aligned with the input (as many frames, their
 * timestamps), the undamaged samples bit for bit, the damage reduced; the
 * "declick" messages count the clicks (interval counts adding up to the
 * final total, per channel). */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <math.h>
#include <string.h>

#include "mst-gstrun.h"
#include "mst-signals.h"

#define RATE MST_RUN_RATE

GST_START_TEST (test_music_with_clicks)
{
  const gsize n = RATE * 5, n_clicks = 50;
  const gint ch = 2;
  float *clean = g_new (float, n * ch), *x = g_new (float, n * ch);
  float *y = g_new0 (float, n * ch);
  gsize starts[50];
  mst_signal_music (clean, n, ch, RATE, 21);
  memcpy (x, clean, n * ch * sizeof (float));
  mst_signal_add_clicks (x, n, ch, RATE, n_clicks, 4, starts);

  GstBus *bus = gst_bus_new ();
  GstClockTime latency = 0;
  gsize got = mst_run_element_full ("declick interval=500000000", x, n, ch,
      1024, y, &latency, bus);
  fail_unless_equals_uint64 (got, n);
  GST_INFO ("latency %" GST_TIME_FORMAT, GST_TIME_ARGS (latency));
  fail_unless (latency > 0 && latency < 40 * GST_MSECOND);

  /* Outside the clicks (2 ms and the widening), bit for bit. */
  gboolean *in_click = g_new0 (gboolean, n);
  for (gsize k = 0; k < n_clicks; k++)
    for (gsize f = starts[k] - 8; f < starts[k] + RATE / 500 + 8; f++)
      in_click[f] = TRUE;
  gsize changed_outside = 0;
  double err_in = 0, err_out = 0;
  for (gsize i = 0; i < n * ch; i++) {
    if (!in_click[i / ch] && x[i] != y[i])
      changed_outside++;
    err_in += (x[i] - clean[i]) * (double) (x[i] - clean[i]);
    err_out += (y[i] - clean[i]) * (double) (y[i] - clean[i]);
  }
  GST_INFO ("%" G_GSIZE_FORMAT " samples changed outside the clicks; "
      "damage reduced %.1f dB", changed_outside, 10 * log10 (err_in / err_out));
  fail_unless (changed_outside <= n * ch / 10000, "%" G_GSIZE_FORMAT
      " samples changed outside the clicks", changed_outside);
  fail_unless (10 * log10 (err_in / err_out) > 5.0);

  /* Messages: the interval counts add up to the final total. */
  guint count;
  guint64 total = mst_pop_counts (bus, "declick", "clicks", ch, &count);
  fail_unless (count >= 10);
  GST_INFO ("%" G_GUINT64_FORMAT " clicks repaired (%" G_GSIZE_FORMAT
      " made on %d channels)", total, n_clicks, ch);
  fail_unless (total >= n_clicks * ch * 3 / 4 && total <= n_clicks * ch * 11
      / 10);
  gst_object_unref (bus);
  g_free (in_click);
  g_free (clean);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* listen: what was removed, which with the repaired output makes the
 * input. */
GST_START_TEST (test_listen)
{
  const gsize n = RATE * 2;
  const gint ch = 1;
  float *x = g_new (float, n), *y = g_new (float, n), *l = g_new (float, n);
  mst_signal_music (x, n, ch, RATE, 5);
  mst_signal_add_clicks (x, n, ch, RATE, 20, 6, NULL);
  fail_unless_equals_uint64 (mst_run_element ("declick", x, n, ch, 1000, y,
          NULL), n);
  fail_unless_equals_uint64 (mst_run_element ("declick listen=true", x, n,
          ch, 1000, l, NULL), n);
  gsize nonzero = 0;
  for (gsize i = 0; i < n; i++) {
    fail_unless (fabs ((double) l[i] + y[i] - x[i]) < 1e-6);
    nonzero += l[i] != 0.0f;
  }
  fail_unless (nonzero > 20);
  g_free (x);
  g_free (y);
  g_free (l);
}
GST_END_TEST;

static Suite *
declick_suite (void)
{
  Suite *s = suite_create ("declick");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_music_with_clicks);
  tcase_add_test (tc, test_listen);
  return s;
}

GST_CHECK_MAIN (declick);
