/* Tests of the dehum element through GStreamer: hum 0.2 Hz off the mains
 * removed by 40 dB at each of 5 harmonics, on 1, 2 and 8 channels, F32
 * and F64, with the default (auto) settings and a tone between the
 * harmonics untouched within 0.2 dB; the "dehum" messages (mains found,
 * tracked fundamental, hum level, a final one at EOS) and the read-only
 * properties; caps refused. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "mst-gstcheck.h"
#include <math.h>
#include <string.h>

#define RATE 48000
#define SECONDS 6
#define N_HUM 5
#define HUM_DB -40.0
/* The tone between the harmonics: at the mid-point between the 4th and
 * the 5th (225 Hz for 50 Hz mains, 270 Hz for 60). */
#define TONE_AMP 0.1
static double tone_hz;

static double
hum_amp (int k)
{
  return pow (10.0, (HUM_DB - 3.0 * (k - 1)) / 20.0);
}

/* Frame @i of channel @c: hum at @f_hz (channel c at 1 / (1 + c / 4) of
 * the first's level, its own phase) plus the tone. */
static double
frame_value (double f_hz, size_t i, int c)
{
  double t = (double) i / RATE, v = TONE_AMP * sin (2 * G_PI * tone_hz * t);
  for (int k = 1; k <= N_HUM; k++)
    v += hum_amp (k) / (1.0 + c / 4.0) * cos (2 * G_PI * k * f_hz * t
        + 0.7 * k + c);
  return v;
}

/* Amplitude of channel @c of @y at @hz over the last 2 s (Hann window). */
static double
amp_at (const double *y, int channels, int c, double hz, size_t n)
{
  size_t from = n - 2 * RATE;
  double re = 0, im = 0, wsum = 0;
  for (size_t i = from; i < n; i++) {
    double w = 0.5 - 0.5 * cos (2 * G_PI * (i - from) / (n - from));
    double ph = 2 * G_PI * hz * i / RATE;
    re += w * y[i * channels + c] * cos (ph);
    im += w * y[i * channels + c] * sin (ph);
    wsum += w;
  }
  return 2 * hypot (re, im) / wsum;
}

/* Runs @n frames of the signal through dehum (@settings) in 10 ms buffers;
 * the output as doubles, the last message and the bus's message count. */
/* Index (from 1) of the first message that had found the mains. */
static guint first_detected;

static double *
run_dehum (int channels, gboolean f64, double f_hz, size_t n,
    const gchar * settings, GstStructure ** last, guint * n_messages)
{
  gchar *desc = g_strdup_printf ("dehum %s", settings);
  GstHarness *h = gst_harness_new_parse (desc);
  g_free (desc);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gchar *caps = g_strdup_printf ("audio/x-raw, format=%s, "
      "layout=interleaved, rate=%d, channels=%d%s", f64 ? "F64LE" : "F32LE",
      RATE, channels, channels > 2 ? ", channel-mask=(bitmask)0x0" : "");
  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_sink_caps_str (h, caps);
  g_free (caps);
  const size_t block = RATE / 100, width = f64 ? 8 : 4;
  for (size_t done = 0; done < n; done += block) {
    GstBuffer *b = gst_buffer_new_allocate (NULL, block * channels * width,
        NULL);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_WRITE);
    for (size_t i = 0; i < block; i++)
      for (int c = 0; c < channels; c++) {
        double v = frame_value (f_hz, done + i, c);
        if (f64)
          ((double *) map.data)[i * channels + c] = v;
        else
          ((float *) map.data)[i * channels + c] = (float) v;
      }
    gst_buffer_unmap (b, &map);
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (done, GST_SECOND, RATE);
    GST_BUFFER_DURATION (b) = gst_util_uint64_scale (block, GST_SECOND, RATE);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  double *y = g_new (double, n * channels);
  size_t got = 0;
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_READ);
    size_t frames = map.size / (width * channels);
    for (size_t i = 0; i < frames * channels && got * channels + i < n *
        channels; i++)
      y[got * channels + i] = f64 ? ((double *) map.data)[i]
          : ((float *) map.data)[i];
    got += frames;
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (got, n);
  GstMessage *msg;
  *n_messages = 0;
  *last = NULL;
  first_detected = 0;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "dehum")) {
      gboolean found = FALSE;
      (*n_messages)++;
      if (gst_structure_get_boolean (s, "detected", &found) && found
          && !first_detected)
        first_detected = *n_messages;
      if (*last)
        gst_structure_free (*last);
      *last = gst_structure_copy (s);
    }
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return y;
}

static void
check_removal (int channels, gboolean f64, double mains, const gchar * set)
{
  const size_t n = (size_t) SECONDS * RATE;
  const double f_hz = mains + 0.2;
  tone_hz = 4.5 * mains;
  GstStructure *last;
  guint n_messages;
  double *y = run_dehum (channels, f64, f_hz, n, set, &last, &n_messages);
  for (int c = 0; c < channels; c++) {
    for (int k = 1; k <= N_HUM; k++) {
      double red = 20 * log10 (hum_amp (k) / (1.0 + c / 4.0)
          / amp_at (y, channels, c, k * f_hz, n));
      fail_unless (red >= 40.0, "%d ch %s, channel %d: harmonic %d "
          "reduced %.1f dB", channels, f64 ? "F64" : "F32", c, k, red);
    }
    double tone_db = 20 * log10 (amp_at (y, channels, c, tone_hz, n)
        / TONE_AMP);
    fail_unless (fabs (tone_db) <= 0.2, "tone moved %.3f dB", tone_db);
  }
  /* One message a second and the final one at EOS; the mains found by
   * the third (3 s). */
  fail_unless (last != NULL);
  fail_unless_equals_int (n_messages, SECONDS + 1);
  fail_unless (first_detected >= 1 && first_detected <= 3,
      "mains found at message %u", first_detected);
  gboolean final = FALSE, detected = FALSE;
  double found, fundamental, level;
  fail_unless (gst_structure_get_boolean (last, "final", &final) && final);
  fail_unless (gst_structure_get_boolean (last, "detected", &detected)
      && detected);
  fail_unless (gst_structure_get_double (last, "mains", &found));
  fail_unless (gst_structure_get_double (last, "fundamental", &fundamental));
  fail_unless (gst_structure_get_double (last, "hum-level", &level));
  fail_unless_equals_float (found, mains);
  fail_unless (fabs (fundamental - f_hz) < 0.05, "fundamental %.3f Hz",
      fundamental);
  /* The hum's RMS, channels averaged in power. */
  double ms = 0;
  for (int c = 0; c < channels; c++)
    for (int k = 1; k <= N_HUM; k++)
      ms += pow (hum_amp (k) / (1.0 + c / 4.0), 2) / 2 / channels;
  fail_unless (fabs (level - 10 * log10 (ms)) < 1.0, "level %.2f dBFS, "
      "made %.2f", level, 10 * log10 (ms));
  const GValue *levels = gst_structure_get_value (last, "harmonic-levels");
  fail_unless (levels && gst_value_array_get_size (levels) == 8);
  GST_INFO ("%d ch: found %.0f Hz, %.3f Hz, %.2f dBFS", channels, found,
      fundamental, level);
  gst_structure_free (last);
  g_free (y);
}

GST_START_TEST (test_removal_stereo_auto)
{
  check_removal (2, FALSE, 60.0, "");
  check_removal (2, TRUE, 50.0, "");
}

GST_END_TEST;

GST_START_TEST (test_removal_mono_and_8ch)
{
  check_removal (1, TRUE, 60.0, "frequency=60");
  check_removal (8, FALSE, 50.0, "");
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("dehum", NULL);
  gdouble freq, mains, level;
  g_object_set (e, "frequency", 3.0, NULL);
  g_object_get (e, "frequency", &freq, "mains", &mains, "hum-level",
      &level, NULL);
  /* Under 10 Hz reads as 10; nothing found yet. */
  fail_unless_equals_float (freq, 10.0);
  fail_unless_equals_float (mains, 0.0);
  fail_unless (isinf (level) && level < 0);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  mst_check_caps_refused ("dehum");
}

GST_END_TEST;

static Suite *
dehum_suite (void)
{
  Suite *s = suite_create ("dehum");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_removal_stereo_auto);
  tcase_add_test (tc, test_removal_mono_and_8ch);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_caps_refused);
  return s;
}

GST_CHECK_MAIN (dehum);
