/* Tests of the eq element through GStreamer: caps, measured response
 * against the analog design, bit-exact in-place passthrough, automation
 * through GstController, flush, NaN recovery, child proxy and messages. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "mst-gstcheck.h"
#include <gst/controller/controller.h>
#include <gst/audio/audio.h>
#include <float.h>
#include <math.h>
#include <complex.h>
#include <string.h>

#define CAPS_F32(rate, ch) \
  "audio/x-raw, format=F32LE, layout=interleaved, rate=" #rate ", channels=" #ch

static GstBuffer *
sine_buffer_f32 (guint rate, guint channels, guint n_frames, guint64 offset,
    double freq, double amp)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL,
      sizeof (float) * channels * n_frames, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  float *x = (float *) map.data;
  for (guint i = 0; i < n_frames; i++)
    for (guint c = 0; c < channels; c++)
      x[i * channels + c] = amp * sin (2 * G_PI * freq * (offset + i) / rate);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (offset, GST_SECOND, rate);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n_frames, GST_SECOND,
      rate);
  GST_BUFFER_OFFSET (buf) = offset;
  return buf;
}

/* Analog prototypes of the Audio EQ Cookbook, written here independently
 * of the element's code. */
static double
analog_db (const char *type, double f0, double gain_db, double q, double f)
{
  double complex s = I * f / f0;
  double a = pow (10, gain_db / 40);
  double complex h;
  if (!strcmp (type, "peak"))
    h = (s * s + s * a / q + 1) / (s * s + s / (a * q) + 1);
  else if (!strcmp (type, "low-shelf"))
    h = a * (s * s + s * sqrt (a) / q + a) / (a * s * s + s * sqrt (a) / q + 1);
  else
    h = a * (a * s * s + s * sqrt (a) / q + 1) / (s * s + s * sqrt (a) / q + a);
  return 20 * log10 (cabs (h));
}

/* Level change in dB of a steady sine through the harness's element. */
static double
measure_gain_db (GstHarness * h, guint rate, double freq)
{
  const guint n = rate / 4, total = rate;
  double in = 0, out = 0;
  GstEvent *flush_start = gst_event_new_flush_start ();
  gst_harness_push_event (h, flush_start);
  gst_harness_push_event (h, gst_event_new_flush_stop (FALSE));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  for (guint64 off = 0; off < total; off += n) {
    GstBuffer *b = sine_buffer_f32 (rate, 2, n, off, freq, 0.25);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    GstBuffer *o = gst_harness_pull (h);
    GstMapInfo map;
    gst_buffer_map (o, &map, GST_MAP_READ);
    const float *x = (const float *) map.data;
    if (off >= total / 2)
      for (guint i = 0; i < n; i++) {
        double ref = 0.25 * sin (2 * G_PI * freq * (off + i) / rate);
        in += ref * ref;
        out += (double) x[2 * i] * x[2 * i];
      }
    gst_buffer_unmap (o, &map);
    gst_buffer_unref (o);
  }
  return 10 * log10 (out / in);
}

/* The element's measured response follows the analog design. */
GST_START_TEST (test_measured_response)
{
  static const struct {
    const char *type;
    double f0, gain, q;
  } settings[] = {
    {"peak", 100, 12, 0.707}, {"peak", 1000, -12, 2}, {"peak", 10000, 12, 0.5},
    {"low-shelf", 100, 12, 0.707}, {"high-shelf", 5000, -12, 0.707},
    {"high-shelf", 10000, 3, 5}, {"peak", 30, 3, 5},
  };
  static const guint rates[] = { 44100, 48000, 96000 };
  static const double freqs[] = { 20, 31, 63, 125, 250, 500, 1000, 2000,
    4000, 7000, 10000, 14000, 18000
  };
  for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
    for (guint s = 0; s < G_N_ELEMENTS (settings); s++) {
      GstHarness *h = gst_harness_new ("eq");
      gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
          "layout=interleaved, rate=%u, channels=2", rates[r]);
      gst_harness_set_src_caps_str (h, caps);
      g_free (caps);
      GObject *band = gst_child_proxy_get_child_by_name
          (GST_CHILD_PROXY (h->element), "band0");
      gst_util_set_object_arg (band, "type", settings[s].type);
      g_object_unref (band);
      gst_child_proxy_set (GST_CHILD_PROXY (h->element),
          "band0::freq", settings[s].f0, "band0::gain", settings[s].gain,
          "band0::q", settings[s].q, NULL);
      g_object_set (h->element, "num-bands", 1, NULL);
      for (guint k = 0; k < G_N_ELEMENTS (freqs); k++) {
        /* Limits of the issue: 0.15 dB to 10 kHz at 44.1/48 kHz, to
         * 20 kHz at 96 kHz; above 10 kHz at 44.1/48 a third of the
         * bilinear design's error, about 2 dB on this grid. */
        double limit = (rates[r] >= 88200 || freqs[k] <= 10000) ? 0.15 : 2.0;
        double got = measure_gain_db (h, rates[r], freqs[k]);
        double want = analog_db (settings[s].type, settings[s].f0,
            settings[s].gain, settings[s].q, freqs[k]);
        fail_unless (fabs (got - want) <= limit,
            "%u Hz, %s %.0f Hz %.0f dB Q %.3f at %.0f Hz: %.3f dB, analog "
            "%.3f", rates[r], settings[s].type, settings[s].f0,
            settings[s].gain, settings[s].q, freqs[k], got, want);
      }
      gst_harness_teardown (h);
    }
  }
}
GST_END_TEST;

/* Several bands together, as the README's chain uses them: the measured
 * response is the sum of the bands' analog responses. */
GST_START_TEST (test_measured_cascade)
{
  GstHarness *h = gst_harness_new ("eq");
  gst_harness_set_src_caps_str (h, CAPS_F32 (48000, 2));
  g_object_set (h->element, "num-bands", 3, NULL);
  gst_child_proxy_set (GST_CHILD_PROXY (h->element),
      "band0::freq", 200.0, "band0::gain", 6.0, "band0::q", 1.0,
      "band1::freq", 3000.0, "band1::gain", -6.0, "band1::q", 2.0,
      "band2::freq", 8000.0, "band2::gain", 3.0, "band2::q", 0.7, NULL);
  GObject *band2 = gst_child_proxy_get_child_by_name
      (GST_CHILD_PROXY (h->element), "band2");
  gst_util_set_object_arg (band2, "type", "high-shelf");
  g_object_unref (band2);
  static const double freqs[] = { 50, 200, 700, 1600, 3000, 6400, 12800 };
  for (guint k = 0; k < G_N_ELEMENTS (freqs); k++) {
    double got = measure_gain_db (h, 48000, freqs[k]);
    double want = analog_db ("peak", 200, 6, 1, freqs[k])
        + analog_db ("peak", 3000, -6, 2, freqs[k])
        + analog_db ("high-shelf", 8000, 3, 0.7, freqs[k]);
    fail_unless (fabs (got - want) <= 0.15, "%.0f Hz: %.3f dB, analog %.3f",
        freqs[k], got, want);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Flat and bypassed: the very same buffer comes out, untouched. */
GST_START_TEST (test_passthrough_in_place)
{
  GstHarness *h = gst_harness_new ("eq");
  gst_harness_set_src_caps_str (h, CAPS_F32 (48000, 2));
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1)
      g_object_set (h->element, "bypass", TRUE, NULL);
    gst_child_proxy_set (GST_CHILD_PROXY (h->element), "band3::gain",
        pass ? 6.0 : 0.0, NULL);
    for (int i = 0; i < 10; i++) {
      GstBuffer *in = sine_buffer_f32 (48000, 2, 4800, i * 4800, 997, 0.5);
      GstBuffer *copy = gst_buffer_copy_deep (in);
      GstMapInfo a, b;
      gst_buffer_ref (in);
      fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
      GstBuffer *out = gst_harness_pull (h);
      if (pass == 0 || i > 0) {
        /* Bypass takes a 10 ms crossfade first. */
        fail_unless (out == in, "buffer was copied");
        gst_buffer_map (out, &a, GST_MAP_READ);
        gst_buffer_map (copy, &b, GST_MAP_READ);
        fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0);
        gst_buffer_unmap (out, &a);
        gst_buffer_unmap (copy, &b);
      }
      gst_buffer_unref (out);
      gst_buffer_unref (in);
      gst_buffer_unref (copy);
    }
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

static GstBus *
element_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  return bus;
}

/* Wrong formats are refused with a message naming what is accepted. */
GST_START_TEST (test_caps_refused)
{
  mst_check_caps_refused ("eq");
}

GST_END_TEST;

GST_START_TEST (test_caps_accepted)
{
  const gchar *formats[] = { "F32LE", "F64LE" };
  const guint channels[] = { 1, 2, 6, 8 };
  const guint rates[] = { 8000, 44100, 384000 };
  for (guint f = 0; f < 2; f++)
    for (guint c = 0; c < G_N_ELEMENTS (channels); c++)
      for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
        GstHarness *h = gst_harness_new ("eq");
        gchar *caps = g_strdup_printf ("audio/x-raw, format=%s, "
            "layout=interleaved, rate=%u, channels=%u%s", formats[f],
            rates[r], channels[c], channels[c] > 2 ?
            ", channel-mask=(bitmask)0x0" : "");
        gst_harness_set_src_caps_str (h, caps);
        gst_child_proxy_set (GST_CHILD_PROXY (h->element), "band5::gain",
            -6.0, "band5::channels", 1, NULL);
        gsize bps = f ? 8 : 4;
        GstBuffer *in = gst_harness_create_buffer (h,
            bps * channels[c] * 1000);
        gst_buffer_memset (in, 0, 0, bps * channels[c] * 1000);
        fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
        GstBuffer *out = gst_harness_pull (h);
        fail_unless_equals_int (gst_buffer_get_size (out),
            bps * channels[c] * 1000);
        gst_buffer_unref (out);
        g_free (caps);
        gst_harness_teardown (h);
      }
}
GST_END_TEST;

/* A band gain automated through a control source: the output level follows
 * it without a step (no sample difference beyond what a sine of the output
 * amplitude makes). */
GST_START_TEST (test_controller_automation)
{
  const guint rate = 48000, n = 1024;
  GstHarness *h = gst_harness_new ("eq");
  gst_harness_set_src_caps_str (h, CAPS_F32 (48000, 2));
  GstObject *band = GST_OBJECT (gst_child_proxy_get_child_by_name
      (GST_CHILD_PROXY (h->element), "band0"));
  g_object_set (band, "freq", 1000.0, "q", 1.0, NULL);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
  gst_object_add_control_binding (band,
      gst_direct_control_binding_new_absolute (band, "gain", cs));
  /* Steps: 0 dB, +12 dB at 0.2 s, -12 dB at 0.5 s. */
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  gst_timed_value_control_source_set (tv, 0, 0.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 5, 12.0);
  gst_timed_value_control_source_set (tv, GST_SECOND / 2, -12.0);

  double prev2 = 0, prev1 = 0, worst = 0, last_level = 0;
  const double w2 = pow (2 * G_PI * 1000.0 / rate, 2);
  for (guint64 off = 0; off < rate; off += n) {
    GstBuffer *b = sine_buffer_f32 (rate, 2, n, off, 1000.0, 0.1);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    GstBuffer *o = gst_harness_pull (h);
    GstMapInfo map;
    gst_buffer_map (o, &map, GST_MAP_READ);
    const float *x = (const float *) map.data;
    for (guint i = 0; i < n; i++) {
      if (off + i >= 2)
        worst = fmax (worst, fabs (x[2 * i] - 2 * prev1 + prev2));
      prev2 = prev1;
      prev1 = x[2 * i];
      last_level = fmax (last_level * 0.999, fabs (x[2 * i]));
    }
    gst_buffer_unmap (o, &map);
    gst_buffer_unref (o);
    if (off == 0) {
      double gain;
      g_object_get (band, "gain", &gain, NULL);
      fail_unless (gain == 0.0);
    }
  }
  /* The automation reached the element: at the end the level is -12 dB. */
  double gain;
  g_object_get (band, "gain", &gain, NULL);
  fail_unless_equals_float (gain, -12.0);
  fail_unless (fabs (20 * log10 (last_level / 0.1) + 12) < 0.5,
      "level %.3f", last_level);
  /* Largest amplitude is 0.1 x 4 (+12 dB); 10 % margin. */
  fail_unless (worst <= 1.1 * 0.4 * w2, "step %.4g > %.4g", worst,
      1.1 * 0.4 * w2);
  gst_object_unref (cs);
  gst_object_unref (band);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* A flush clears the filter history: silence after it is exact silence. */
GST_START_TEST (test_flush_resets)
{
  GstHarness *h = gst_harness_new ("eq");
  gst_harness_set_src_caps_str (h, CAPS_F32 (48000, 2));
  gst_child_proxy_set (GST_CHILD_PROXY (h->element), "band0::freq", 40.0,
      "band0::gain", 12.0, "band0::q", 10.0, NULL);
  GstBuffer *b = sine_buffer_f32 (48000, 2, 4800, 0, 40.0, 0.9);
  gst_harness_push (h, b);
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gst_harness_push_event (h, gst_event_new_segment (&(GstSegment) {
          .format = GST_FORMAT_TIME,.rate = 1.0,.applied_rate = 1.0,.stop =
          GST_CLOCK_TIME_NONE,.duration = GST_CLOCK_TIME_NONE}));
  GstBuffer *silence = gst_harness_create_buffer (h, 8 * 4800);
  gst_buffer_memset (silence, 0, 0, 8 * 4800);
  gst_harness_push (h, silence);
  GstBuffer *o = gst_harness_pull (h);
  GstMapInfo map;
  gst_buffer_map (o, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size / 4; i++)
    fail_unless (((float *) map.data)[i] == 0.0f);
  gst_buffer_unmap (o, &map);
  gst_buffer_unref (o);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* NaN, Inf and absurd magnitudes (+-FLT_MAX, beyond +60 dBFS) on every
 * path: with a band, with no active band (one, disabled) and a gain, with
 * one flat band and a gain. The output is finite and stays within the
 * programme's level (no ringing from the burst), and one warning is
 * posted. */
static const struct {
  const char *name;
  guint num_bands;
  gboolean band_enabled;
  gdouble band_gain_db, gain_db;
  gfloat bad[2];
} nan_cases[] = {
  {"band", 10, TRUE, 6.0, 0.0, {NAN, INFINITY}},
  {"no active band, gain", 1, FALSE, 6.0, -6.0, {NAN, INFINITY}},
  {"one flat band, gain", 1, TRUE, 0.0, -6.0, {NAN, -INFINITY}},
  {"band, FLT_MAX", 10, TRUE, 6.0, 0.0, {FLT_MAX, -FLT_MAX}},
  {"no active band, gain, FLT_MAX", 1, FALSE, 6.0, -6.0,
      {FLT_MAX, -FLT_MAX}},
};

GST_START_TEST (test_nan_recovery)
{
  const __typeof__ (nan_cases[0]) * c = &nan_cases[__i__];
  GstHarness *h = gst_harness_new ("eq");
  GstBus *bus = element_bus (h);
  gst_harness_set_src_caps_str (h, CAPS_F32 (48000, 2));
  g_object_set (h->element, "num-bands", c->num_bands, "gain", c->gain_db,
      NULL);
  gst_child_proxy_set (GST_CHILD_PROXY (h->element), "band0::gain",
      c->band_gain_db, "band0::enabled", c->band_enabled, NULL);
  for (int i = 0; i < 6; i++) {
    GstBuffer *b = sine_buffer_f32 (48000, 2, 4800, i * 4800, 440.0, 0.3);
    if (i == 1 || i == 3) {
      GstMapInfo map;
      gst_buffer_map (b, &map, GST_MAP_WRITE);
      for (int k = 100; k < 300; k++)
        ((float *) map.data)[k] = c->bad[k % 2];
      ((float *) map.data)[301] = c->bad[1];
      gst_buffer_unmap (b, &map);
    }
    gst_harness_push (h, b);
    GstBuffer *o = gst_harness_pull (h);
    GstMapInfo map;
    gst_buffer_map (o, &map, GST_MAP_READ);
    for (gsize k = 0; k < map.size / 4; k++) {
      float v = ((float *) map.data)[k];
      fail_unless (isfinite (v), "%s: buffer %d sample %" G_GSIZE_FORMAT
          " is %g", c->name, i, k, v);
      fail_unless (fabsf (v) < 1.0f, "%s: buffer %d sample %" G_GSIZE_FORMAT
          " is %g", c->name, i, k, v);
    }
    gst_buffer_unmap (o, &map);
    gst_buffer_unref (o);
  }
  int warnings = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    warnings++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 1);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Bands through GstChildProxy, as equalizer-nbands does. */
GST_START_TEST (test_child_proxy)
{
  GstElement *eq = gst_element_factory_make ("eq", NULL);
  fail_unless (eq != NULL);
  g_object_set (eq, "num-bands", 5, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count
      (GST_CHILD_PROXY (eq)), 5);
  gst_util_set_object_arg (G_OBJECT (eq), "num-bands", "3");
  fail_unless_equals_int (gst_child_proxy_get_children_count
      (GST_CHILD_PROXY (eq)), 3);
  GObject *band = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (eq),
      "band2");
  fail_unless (band != NULL);
  gst_util_set_object_arg (band, "type", "low-cut");
  gst_util_set_object_arg (band, "slope", "48");
  gst_util_set_object_arg (band, "channels", "side");
  gint type, slope, channels;
  g_object_get (band, "type", &type, "slope", &slope, "channels", &channels,
      NULL);
  fail_unless_equals_int (slope, 48);
  fail_unless (type != 0 && channels != 0);
  g_object_unref (band);
  fail_unless (gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (eq),
          "band3") == NULL);
  gst_object_unref (eq);
}
GST_END_TEST;

/* A whole pipeline runs to EOS. (Band properties are set in code:
 * gst_parse_launch of GStreamer 1.22 leaks a reference to every child-proxy
 * child it sets a property on, equalizer-nbands' bands too, which the
 * leaks tracer of this suite would report.) */
GST_START_TEST (test_pipeline)
{
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers=50 "
      "samplesperbuffer=1000 wave=pink-noise ! audioconvert ! "
      "audio/x-raw,format=F32LE,channels=2,rate=44100 ! eq name=eq "
      "num-bands=3 gain=-1 ! fakesink name=sink", NULL);
  fail_unless (p != NULL);
  GstElement *eq = gst_bin_get_by_name (GST_BIN (p), "eq");
  gst_child_proxy_set (GST_CHILD_PROXY (eq), "band0::type", 3,
      "band0::freq", 30.0, "band0::slope", 24, "band1::freq", 250.0,
      "band1::gain", -2.0, "band2::type", 2, "band2::freq", 10000.0,
      "band2::gain", 1.5, "band2::channels", 2, NULL);
  gst_object_unref (eq);
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
}
GST_END_TEST;

static Suite *
eq_suite (void)
{
  Suite *s = suite_create ("eq");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caps_accepted);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_child_proxy);
  tcase_add_test (tc, test_passthrough_in_place);
  tcase_add_test (tc, test_measured_response);
  tcase_add_test (tc, test_measured_cascade);
  tcase_add_test (tc, test_controller_automation);
  tcase_add_test (tc, test_flush_resets);
  tcase_add_loop_test (tc, test_nan_recovery, 0, G_N_ELEMENTS (nan_cases));
  tcase_add_test (tc, test_pipeline);
  return s;
}

GST_CHECK_MAIN (eq);
