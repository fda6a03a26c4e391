/* The modulation element: what is particular to it beyond the conventions
 * (tests/test-conventions.c has its row): the stereo spread (the right
 * channel's delay follows the LFO a spread later than the left's, each
 * within a frame of the formula), a mono source widened to stereo (the
 * sides decorrelated with spread, equal without, bit-exact on both sides
 * when bypassed), the modes' own delays when delay is 0, and a gst-launch
 * line with a phaser. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#include "mst-gstcheck.h"
#include "mst-gstrun.h"

#define RATE MST_RUN_RATE

/* Centroid of the output after each impulse of a train (period @period)
 * on channel @c, less the impulse's frame, against delay (1 + 0.5 depth
 * sin (2 pi rate t + offset)); the largest error in frames. */
static gdouble
delay_error (const float *y, gsize n, gint c, gsize period, gdouble delay,
    gdouble depth, gdouble rate, gdouble offset)
{
  gdouble worst = 0;
  for (gsize n0 = 0; n0 + period <= n; n0 += period) {
    gdouble sum = 0, moment = 0;
    for (gsize i = n0 + 10; i < n0 + period - 10; i++) {
      sum += y[2 * i + c];
      moment += y[2 * i + c] * (gdouble) i;
    }
    gdouble t = moment / sum;
    gdouble predicted = delay * (1 + 0.5 * depth * sin (2 * G_PI * rate * t
            / RATE + offset));
    worst = MAX (worst, fabs (t - n0 - predicted));
  }
  return worst;
}

GST_START_TEST (test_spread)
{
  const gsize n = RATE, period = 1200;
  float *x = g_new0 (float, 2 * n), *y = g_new (float, 2 * n);
  for (gsize i = 0; i < n; i += period)
    x[2 * i] = x[2 * i + 1] = 1.0f;
  fail_unless_equals_uint64 (mst_run_element ("modulation mode=flanger "
          "mix=100 feedback=0 delay=5 depth=60 rate=2 spread=90", x, n, 2,
          1000, y, NULL), n);
  gdouble left = delay_error (y, n, 0, period, 240, 0.6, 2, 0);
  gdouble right = delay_error (y, n, 1, period, 240, 0.6, 2, G_PI / 2);
  GST_INFO ("left within %.4f frames, right %.4f", left, right);
  fail_unless (left < 1.0, "left %f", left);
  fail_unless (right < 1.0, "right %f", right);
  /* And not the same curve: against the left's, the right is far off. */
  fail_unless (delay_error (y, n, 1, period, 240, 0.6, 2, 0) > 20.0);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* @n mono F32 frames of @x through "modulation @settings" (F32, mono in),
 * the stereo output into @y (2 @n floats); the caps it gave. */
static void
run_mono (const gchar * settings, const gfloat * x, gsize n, gfloat * y)
{
  gchar *launch = g_strdup_printf ("modulation %s", settings);
  GstHarness *h = gst_harness_new_parse (launch);
  gst_harness_set_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=48000, channels=1", "audio/x-raw, "
      "format=F32LE, layout=interleaved, rate=48000, channels=2");
  const gsize block = 1024;
  gsize got = 0;
  for (gsize f = 0; f < n; f += block) {
    gsize m = MIN (block, n - f);
    GstBuffer *buf = gst_buffer_new_memdup (x + f, m * sizeof (gfloat));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (m, GST_SECOND, RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    GstBuffer *o;
    while ((o = gst_harness_try_pull (h))) {
      gsize size = gst_buffer_get_size (o);
      fail_unless (got + size <= 2 * n * sizeof (gfloat));
      gst_buffer_extract (o, 0, (guint8 *) y + got, size);
      got += size;
      gst_buffer_unref (o);
    }
  }
  fail_unless_equals_uint64 (got, 2 * n * sizeof (gfloat));
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  gint channels = 0;
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "channels",
      &channels);
  fail_unless_equals_int (channels, 2);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
  g_free (launch);
}

/* A mono source in, stereo out: a wet-only chorus at spread 100 gives
 * sides whose correlation is well under 1; at spread 0 they are equal;
 * bypassed, both sides are the input bit for bit. */
GST_START_TEST (test_mono_in)
{
  const gsize n = 2 * RATE;
  gfloat *x = g_new (gfloat, n), *y = g_new (gfloat, 2 * n);
  guint32 seed = 5;
  for (gsize i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = 0.2f * ((gfloat) (seed >> 8) / 8388608.0f - 1.0f);
  }
  run_mono ("mode=chorus voices=3 mix=100 spread=100", x, n, y);
  gdouble ll = 0, rr = 0, lr = 0;
  for (gsize i = 0; i < n; i++) {
    ll += y[2 * i] * (gdouble) y[2 * i];
    rr += y[2 * i + 1] * (gdouble) y[2 * i + 1];
    lr += y[2 * i] * (gdouble) y[2 * i + 1];
  }
  gdouble corr = lr / sqrt (ll * rr);
  GST_INFO ("mono in, spread 100: correlation %.3f", corr);
  fail_unless (corr < 0.3, "correlation %.3f", corr);
  run_mono ("mode=chorus voices=3 mix=100 spread=0", x, n, y);
  for (gsize i = 0; i < n; i++)
    fail_unless (y[2 * i] == y[2 * i + 1], "frame %" G_GSIZE_FORMAT, i);
  run_mono ("bypass=true", x, n, y);
  for (gsize i = 0; i < n; i++)
    fail_unless (memcmp (&y[2 * i], &x[i], 4) == 0
        && memcmp (&y[2 * i + 1], &x[i], 4) == 0);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* An impulse through a frozen, depth-0, wet-only voice comes out at the
 * mode's own delay when delay is 0. */
static gsize
peak_at (const gchar * launch)
{
  const gsize n = 4096;
  float *x = g_new0 (float, 2 * n), *y = g_new (float, 2 * n);
  gsize at = 0;
  x[0] = x[1] = 1.0f;
  fail_unless_equals_uint64 (mst_run_element (launch, x, n, 2, 1024, y,
          NULL), n);
  for (gsize i = 0; i < n; i++)
    if (fabs (y[2 * i]) > fabs (y[2 * at]))
      at = i;
  g_free (x);
  g_free (y);
  return at;
}

GST_START_TEST (test_mode_delays)
{
  GstElement *e = gst_element_factory_make ("modulation", NULL);
  gdouble delay;
  g_object_get (e, "delay", &delay, NULL);
  fail_unless_equals_float (delay, 0.0);
  gst_object_unref (e);
  fail_unless_equals_uint64 (peak_at ("modulation mode=flanger mix=100 "
          "rate=0 depth=0"), 2 * RATE / 1000);
  fail_unless_equals_uint64 (peak_at ("modulation mode=chorus voices=1 "
          "mix=100 rate=0 depth=0"), 15 * RATE / 1000);
  fail_unless_equals_uint64 (peak_at ("modulation mode=chorus voices=1 "
          "mix=100 rate=0 depth=0 delay=7.5"), 7.5 * RATE / 1000);
}
GST_END_TEST;

GST_START_TEST (test_launch_phaser)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers=20 "
      "wave=pink-noise ! audio/x-raw,format=F32LE,channels=2 ! modulation "
      "mode=phaser stages=8 feedback=-70 rate=0.3 shape=triangle ! fakesink",
      &err);
  fail_unless (p != NULL && err == NULL);
  GstBus *bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_message_unref (m);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
}
GST_END_TEST;

static Suite *
modulation_suite (void)
{
  Suite *s = suite_create ("modulation");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_spread);
  tcase_add_test (tc, test_mono_in);
  tcase_add_test (tc, test_mode_delays);
  tcase_add_test (tc, test_launch_phaser);
  return s;
}

GST_CHECK_MAIN (modulation);
