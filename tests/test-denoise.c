/* denoise through GStreamer: output aligned with the input (latency
 * answered, tail drained, zero lag by cross-correlation), F32 and F64, any
 * channel count, the noise floor in the messages, a profile learned with
 * the learn property, read as a string and given to another element. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#include "mst-gstrun.h"
#include "mst-signals.h"

#define RATE MST_RUN_RATE
/* The core's test says why (tests/test-denoise-core.c). */
#define MIN_SDR_GAIN_DB 2.0
#define MIN_SDR_GAIN_TRACKED_DB 0.5
/* White noise at -45 dBFS: density -45 - 10 log10 (24000) dB re FS^2/Hz. */
#define HISS_DBFS -45.0

static gdouble
sdr_db (const gfloat * clean, const gfloat * y, gsize n_samples)
{
  gdouble s = 0, e = 0;
  for (gsize i = 0; i < n_samples; i++) {
    gdouble d = (gdouble) y[i] - clean[i];
    s += (gdouble) clean[i] * clean[i];
    e += d * d;
  }
  return 10 * log10 (s / e);
}

static gfloat *
noisy_music (gsize n, gint channels, gdouble hiss_dbfs, gfloat ** clean)
{
  gfloat *c = g_new (gfloat, n * channels), *x = g_new (gfloat, n * channels);
  mst_signal_music (c, n, channels, RATE, 11);
  mst_signal_white_noise (x, n, channels, hiss_dbfs, 12);
  for (gsize i = 0; i < n * channels; i++)
    x[i] += c[i];
  *clean = c;
  return x;
}

/* Lag of the peak of the cross-correlation of channel 0 of @y with @x,
 * within +-2500 frames (the latency is 8191 at 48 kHz). */
static gint
best_lag (const gfloat * x, const gfloat * y, gsize n, gint channels)
{
  gint best = 0;
  gdouble best_c = -INFINITY;
  for (gint lag = -2500; lag <= 2500; lag++) {
    gdouble c = 0;
    for (gsize i = 3000; i + 3000 < n; i++)
      c += (gdouble) x[i * channels] * y[(i + lag) * channels];
    if (c > best_c) {
      best_c = c;
      best = lag;
    }
  }
  return best;
}

GST_START_TEST (test_aligned)
{
  const gint channel_counts[] = { 1, 2 };
  for (guint k = 0; k < G_N_ELEMENTS (channel_counts); k++) {
    const gint ch = channel_counts[k];
    const gsize n = RATE;
    gfloat *clean, *x = noisy_music (n, ch, -35, &clean);
    gfloat *y = g_new0 (gfloat, n * ch);
    GstClockTime latency = 0;
    gsize got = mst_run_element ("denoise", x, n, ch, 1000, y, &latency);
    fail_unless_equals_uint64 (got, n);
    fail_unless_equals_uint64 (latency,
        gst_util_uint64_scale_int (8191, GST_SECOND, RATE));
    gint lag = best_lag (clean, y, n, ch);
    GST_INFO ("%d channels: lag %d, SDR %.2f -> %.2f dB", ch, lag,
        sdr_db (clean, x, n * ch), sdr_db (clean, y, n * ch));
    fail_unless_equals_int (lag, 0);
    fail_unless (sdr_db (clean, y, n * ch) > sdr_db (clean, x, n * ch),
        "%d channels: no SDR gained", ch);
    g_free (clean);
    g_free (x);
    g_free (y);
  }
}
GST_END_TEST;

/* F64 in, F64 out: the same frames as F32 within the float rounding. */
GST_START_TEST (test_f64)
{
  const gsize n = RATE / 2;
  gfloat *clean, *x = noisy_music (n, 2, -35, &clean);
  gfloat *y32 = g_new0 (gfloat, n * 2);
  gdouble *x64 = g_new (gdouble, n * 2);
  fail_unless_equals_uint64 (mst_run_element ("denoise", x, n, 2, 1000, y32,
          NULL), n);
  mst_signal_to_f64 (x, x64, n * 2);
  GstHarness *h = gst_harness_new ("denoise");
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F64LE, "
      "layout=interleaved, rate=48000, channels=2");
  GstBuffer *buf = gst_buffer_new_memdup (x64, n * 2 * sizeof (gdouble));
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gsize got = 0;
  gdouble worst = 0;
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    const gdouble *d = (const gdouble *) map.data;
    for (gsize i = 0; i < map.size / sizeof (gdouble); i++)
      worst = MAX (worst, fabs (d[i] - y32[got * 2 + i]));
    got += map.size / sizeof (gdouble) / 2;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (got, n);
  fail_unless (worst < 1e-5, "F64 differs from F32 by %g", worst);
  gst_harness_teardown (h);
  g_free (clean);
  g_free (x);
  g_free (x64);
  g_free (y32);
}
GST_END_TEST;

/* Noise alone: the tracked floor in the messages and the property. */
GST_START_TEST (test_noise_floor_message)
{
  const gsize n = 4 * RATE;
  gfloat *x = g_new (gfloat, n * 2), *y = g_new (gfloat, n * 2);
  mst_signal_white_noise (x, n, 2, HISS_DBFS, 3);
  GstBus *bus = gst_bus_new ();
  fail_unless_equals_uint64 (mst_run_element_full ("denoise", x, n, 2, 1024,
          y, NULL, bus), n);
  GstMessage *msg;
  gdouble floor_db = -INFINITY;
  guint count = 0;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    gboolean profile = TRUE;
    fail_unless (gst_structure_has_name (s, "denoise"));
    fail_unless (gst_structure_get_double (s, "noise-floor", &floor_db));
    fail_unless (gst_structure_get_boolean (s, "profile", &profile));
    fail_if (profile);
    count++;
    gst_message_unref (msg);
  }
  GST_INFO ("%u messages, last noise floor %.2f dBFS", count, floor_db);
  fail_unless (count >= 3);
  fail_unless (fabs (floor_db - HISS_DBFS) < 1.5, "tracked floor %.2f dBFS",
      floor_db);
  gst_object_unref (bus);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* Learned on 2 s of hiss alone: the profile read back is the hiss's
 * density; given to a fresh element, it cleans the music. */
GST_START_TEST (test_learn_profile)
{
  const gsize intro = 2 * RATE, n = RATE;
  gfloat *hiss = g_new (gfloat, intro * 2);
  mst_signal_white_noise (hiss, intro, 2, HISS_DBFS, 5);
  GstHarness *h = gst_harness_new ("denoise");
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=48000, channels=2");
  g_object_set (h->element, "learn", TRUE, NULL);
  GstBuffer *buf = gst_buffer_new_memdup (hiss, intro * 2 * sizeof (gfloat));
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  g_object_set (h->element, "learn", FALSE, NULL);
  /* The setting applies with the next buffer. */
  buf = gst_buffer_new_memdup (hiss, 4096 * 2 * sizeof (gfloat));
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (intro, GST_SECOND, RATE);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gchar *profile = NULL;
  g_object_get (h->element, "profile", &profile, NULL);
  gst_harness_teardown (h);
  fail_unless (profile && *profile, "no profile learned");
  gchar **items = g_strsplit (profile, ",", -1);
  fail_unless_equals_int (g_strv_length (items), 31);
  const gdouble density = HISS_DBFS - 10 * log10 (RATE / 2.0);
  for (guint b = 0; b < 31; b++) {
    gdouble v = g_ascii_strtod (items[b], NULL);
    fail_unless (fabs (v - density) < 1.5, "band %u: %.1f, hiss %.1f", b, v,
        density);
  }
  g_strfreev (items);

  gfloat *clean, *x = noisy_music (n, 2, HISS_DBFS, &clean);
  gfloat *y = g_new0 (gfloat, n * 2), *yt = g_new0 (gfloat, n * 2);
  gchar *launch = g_strdup_printf ("denoise profile=%s", profile);
  fail_unless_equals_uint64 (mst_run_element (launch, x, n, 2, 1000, y, NULL),
      n);
  fail_unless_equals_uint64 (mst_run_element ("denoise", x, n, 2, 1000, yt,
          NULL), n);
  gdouble before = sdr_db (clean, x, n * 2), given = sdr_db (clean, y, n * 2),
      tracked = sdr_db (clean, yt, n * 2);
  GST_INFO ("SDR %.2f, with the learned profile %.2f, tracked %.2f", before,
      given, tracked);
  fail_unless (given - before >= MIN_SDR_GAIN_DB, "profile: %+.2f dB",
      given - before);
  fail_unless (tracked - before >= MIN_SDR_GAIN_TRACKED_DB,
      "tracked: %+.2f dB", tracked - before);
  /* The same profile learned from an intro of hiss alone in the same
   * stream (learn-intro): better than tracking, as the given one. */
  {
    gfloat *xi = g_new (gfloat, (intro + n) * 2);
    gfloat *yi = g_new0 (gfloat, (intro + n) * 2);
    memcpy (xi, hiss, intro * 2 * sizeof (gfloat));
    memcpy (xi + intro * 2, x, n * 2 * sizeof (gfloat));
    fail_unless_equals_uint64 (mst_run_element ("denoise learn-intro=2", xi,
            intro + n, 2, 1000, yi, NULL), intro + n);
    gdouble learned = sdr_db (clean, yi + intro * 2, n * 2);
    GST_INFO ("learned from the intro: SDR %.2f", learned);
    fail_unless (learned - before >= MIN_SDR_GAIN_DB, "intro: %+.2f dB",
        learned - before);
    g_free (xi);
    g_free (yi);
  }
  g_free (launch);
  g_free (profile);
  g_free (hiss);
  g_free (clean);
  g_free (x);
  g_free (y);
  g_free (yt);
}
GST_END_TEST;

static Suite *
denoise_suite (void)
{
  Suite *s = suite_create ("denoise");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_aligned);
  tcase_add_test (tc, test_f64);
  tcase_add_test (tc, test_noise_floor_message);
  tcase_add_test (tc, test_learn_profile);
  return s;
}

GST_CHECK_MAIN (denoise);
