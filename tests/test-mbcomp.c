/* Tests of the mbcomp element through GStreamer: bands as children, the
 * latency query and the sample count and timestamps across the EOS drain
 * (both phases, with and without lookahead), the linear phase's neutral
 * output equal to the input, per-band gain reduction in the messages, the
 * phase refused while playing, and the README's design-card chain
 * (filesrc ! decodebin ! eq ! mbcomp ! limiter ! flacenc) run as written. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define RATE 48000
#define CAPS "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, " \
  "channels=2"

/* A 997 Hz tone of @amp over @n frames from @offset, stereo F32. */
static GstBuffer *
make_buffer (guint n, guint64 offset, double amp, float *copy)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 8 * n, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  float *x = (float *) map.data;
  for (guint i = 0; i < n; i++) {
    double t = (double) (offset + i) / RATE;
    x[2 * i] = amp * sin (2 * G_PI * 997 * t);
    x[2 * i + 1] = amp * 0.5 * sin (2 * G_PI * 5003 * t);
  }
  if (copy)
    memcpy (copy, x, 8 * n);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (offset, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (offset + n, GST_SECOND,
      RATE) - GST_BUFFER_PTS (buf);
  return buf;
}

static guint64
query_latency_frames (GstHarness * h)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live;
  GstClockTime min, max;
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  return gst_util_uint64_scale_round (min, RATE, GST_SECOND);
}

/* Pushes @buffers of @n frames, EOS, pulls everything: as many frames as
 * went in, each with its own timestamp; the largest difference from the
 * input into *@max_diff. Returns the latency the element answered. */
static guint64
run_stream (const gchar * launch, const gchar * band_settings, double amp,
    double *max_diff)
{
  /* Band properties through GstChildProxy, not the parser: GStreamer 1.22's
   * gst_parse keeps a reference to a child it sets a property on (eq's
   * bands too), which the leaks tracer would report. */
  GstHarness *h = gst_harness_new_parse (launch);
  if (band_settings) {
    gchar **items = g_strsplit (band_settings, " ", -1);
    for (gchar ** it = items; *it; it++) {
      gchar **kv = g_strsplit (*it, "=", 2);
      GObject *child;
      GParamSpec *pspec;
      fail_unless (gst_child_proxy_lookup (GST_CHILD_PROXY (h->element),
              kv[0], &child, &pspec));
      gst_util_set_object_arg (child, pspec->name, kv[1]);
      g_object_unref (child);
      g_strfreev (kv);
    }
    g_strfreev (items);
  }
  gst_harness_set_src_caps_str (h, CAPS);
  const guint n = 1000, buffers = 30;
  float *in = g_new (float, 2 * n * buffers);
  for (guint b = 0; b < buffers; b++)
    fail_unless_equals_int (gst_harness_push (h, make_buffer (n, b * n, amp,
                in + 2 * n * b)), GST_FLOW_OK);
  guint64 latency = query_latency_frames (h);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  guint64 frames = 0;
  GstClockTime expected_pts = 0;
  GstBuffer *out;
  *max_diff = 0;
  while ((out = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    guint m = map.size / 8;
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), expected_pts);
    const float *y = (const float *) map.data;
    for (guint i = 0; i < 2 * m; i++)
      *max_diff = fmax (*max_diff, fabs (y[i] - in[2 * frames + i]));
    frames += m;
    expected_pts = gst_util_uint64_scale (frames, GST_SECOND, RATE);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (frames, (guint64) n * buffers);
  g_free (in);
  gst_harness_teardown (h);
  return latency;
}

/* Latency: 0 in minimum phase, the lookahead's frames on top; the linear
 * phase's own delay. Every frame comes out at its own time in every case;
 * neutral linear phase gives the input back (float rounding), minimum phase
 * an all-pass of it (not the input). */
GST_START_TEST (test_latency_and_counts)
{
  double diff;
  fail_unless_equals_uint64 (run_stream ("mbcomp", NULL, 0.5, &diff), 0);
  fail_unless (diff > 1e-3, "minimum phase should be an all-pass");
  fail_unless_equals_uint64 (run_stream ("mbcomp lookahead=5", NULL, 0.5, &diff),
      240);
  guint64 linear = run_stream ("mbcomp phase=linear", NULL, 0.5, &diff);
  fail_unless (linear > 0);
  fail_unless (diff < 1e-6, "linear phase differs from the input by %g",
      diff);
  fail_unless_equals_uint64 (run_stream ("mbcomp phase=linear lookahead=5",
          NULL, 0.5, &diff), linear + 240);
  fail_unless (diff < 1e-6);
  /* Compressing, with lookahead: still every frame. */
  run_stream ("mbcomp name=m lookahead=2",
      "m::band1::ratio=4 m::band1::threshold=-40",
      0.9, &diff);
  fail_unless (diff > 0.1);
}
GST_END_TEST;

/* Bands through GstChildProxy: all six reachable, defaults from the core,
 * band edges per band. */
GST_START_TEST (test_children)
{
  GstElement *e = gst_element_factory_make ("mbcomp", NULL);
  guint n_bands;
  gdouble edge, ratio;
  fail_unless (e != NULL);
  g_object_get (e, "num-bands", &n_bands, NULL);
  fail_unless_equals_int (n_bands, 4);
  fail_unless_equals_int (gst_child_proxy_get_children_count
      (GST_CHILD_PROXY (e)), 6);
  gst_child_proxy_get (GST_CHILD_PROXY (e), "band2::crossover", &edge,
      "band5::ratio", &ratio, NULL);
  fail_unless_equals_float (edge, 5000.0);
  fail_unless_equals_float (ratio, 1.0);
  gst_child_proxy_set (GST_CHILD_PROXY (e), "band1::ratio", 2.0, NULL);
  gst_child_proxy_get (GST_CHILD_PROXY (e), "band1::ratio", &ratio, NULL);
  fail_unless_equals_float (ratio, 2.0);
  /* inf, as a pipeline description writes it: a limiter's curve. */
  GObject *band2 = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (e),
      "band2");
  gst_util_set_object_arg (band2, "ratio", "inf");
  g_object_get (band2, "ratio", &ratio, NULL);
  fail_unless (isinf (ratio));
  g_object_unref (band2);
  gst_object_unref (e);
}
GST_END_TEST;

static const GValue *
array_at (const GstStructure * s, const gchar * field, guint * len)
{
  const GValue *v = gst_structure_get_value (s, field);
  fail_unless (v != NULL && GST_VALUE_HOLDS_ARRAY (v), "no array %s", field);
  *len = gst_value_array_get_size (v);
  return v;
}

static gdouble
array_double (const GValue * v, guint i)
{
  return g_value_get_double (gst_value_array_get_value (v, i));
}

/* A tone in band 1 over its threshold: band 1's reduction in every
 * message, none in the others (ratio 1); the last message is final; the
 * band's read-only property follows. */
GST_START_TEST (test_messages)
{
  GstHarness *h = gst_harness_new ("mbcomp");
  gst_child_proxy_set (GST_CHILD_PROXY (h->element), "num-bands", 3,
      "band0::crossover", 300.0, "band1::crossover", 3000.0,
      "band1::ratio", 4.0, "band1::threshold", -40.0, "band1::knee", 0.0,
      "interval", (guint64) 100000000, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  for (guint b = 0; b < 48; b++)
    fail_unless_equals_int (gst_harness_push (h, make_buffer (1000, b * 1000,
                0.5, NULL)), GST_FLOW_OK);
  GObject *band1 = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY
      (h->element), "band1");
  gdouble reduction;
  g_object_get (band1, "gain-reduction", &reduction, NULL);
  g_object_unref (band1);
  fail_unless (reduction > 20.0, "band1::gain-reduction %g", reduction);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstMessage *msg;
  guint n_messages = 0;
  gboolean final = FALSE;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint len;
    fail_unless (gst_structure_has_name (s, "mbcomp"));
    const GValue *deepest = array_at (s, "gain-reduction", &len);
    fail_unless_equals_int (len, 3);
    const GValue *current = array_at (s, "gain-reduction-current", &len);
    fail_unless_equals_int (len, 3);
    fail_unless (!final, "a message after the final one");
    gst_structure_get_boolean (s, "final", &final);
    if (n_messages > 0 && !final) {
      /* The tone's level in band 1 is about -9 dBFS RMS: 31 dB over, 4:1
       * takes 23. */
      fail_unless (array_double (deepest, 1) > 20.0, "band 1: %g dB",
          array_double (deepest, 1));
      fail_unless (array_double (current, 1) > 20.0);
    }
    fail_unless_equals_float (array_double (deepest, 0), 0.0);
    fail_unless_equals_float (array_double (deepest, 2), 0.0);
    n_messages++;
    gst_message_unref (msg);
  }
  fail_unless (final);
  fail_unless (n_messages >= 9, "%u messages", n_messages);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* The phase sets the latency: refused while playing, with a warning. */
GST_START_TEST (test_phase_refused_while_playing)
{
  GstHarness *h = gst_harness_new ("mbcomp");
  GstBus *bus = gst_bus_new ();
  gint phase;
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  gst_util_set_object_arg (G_OBJECT (h->element), "phase", "linear");
  g_object_get (h->element, "phase", &phase, NULL);
  fail_unless_equals_int (phase, 0);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Runs gst-launch-1.0 on @launch as a user would (without the leaks
 * tracer: GStreamer 1.22's parser keeps a reference to the children it
 * sets properties on); TRUE when it exits 0. */
static gboolean
gst_launch (const gchar * launch)
{
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 -q %s", launch);
  gchar **argv = NULL, **env = g_get_environ ();
  gint status = -1;
  gchar *err_text = NULL;
  env = g_environ_unsetenv (env, "GST_TRACERS");
  env = g_environ_unsetenv (env, "G_DEBUG");
  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  fail_unless (g_spawn_sync (NULL, argv, env, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, &err_text, &status, NULL));
  gboolean ok = g_spawn_check_wait_status (status, NULL);
  if (!ok)
    g_printerr ("%s\n%s\n", cmd, err_text);
  g_free (err_text);
  g_strfreev (argv);
  g_strfreev (env);
  g_free (cmd);
  return ok;
}

/* The README's and docs/elements/mbcomp.md's design-card chain, as
 * written but for the file names: it runs, and the FLAC holds as many
 * frames as the input. */
GST_START_TEST (test_design_card_chain)
{
  gchar *dir = g_dir_make_tmp ("mbcomp-XXXXXX", NULL);
  gchar *in = g_build_filename (dir, "song.wav", NULL);
  gchar *out = g_build_filename (dir, "song.flac", NULL);
  gchar *launch = g_strdup_printf ("audiotestsrc wave=pink-noise "
      "num-buffers=100 samplesperbuffer=441 ! "
      "audio/x-raw,rate=44100,channels=2 ! wavenc ! filesink location=%s",
      in);
  fail_unless (gst_launch (launch));
  g_free (launch);
  launch = g_strdup_printf ("filesrc location=%s ! decodebin ! audioconvert ! "
      "eq num-bands=2 band0::type=low-cut band0::freq=30 "
      "band1::type=high-shelf band1::freq=10000 band1::gain=1 ! "
      "mbcomp num-bands=4 band0::crossover=120 band1::crossover=1000 "
      "band2::crossover=5000 band0::ratio=2 band0::threshold=-24 "
      "band1::ratio=1.5 band1::threshold=-24 band2::ratio=1.5 "
      "band2::threshold=-24 band3::ratio=1.5 band3::threshold=-24 ! "
      "limiter ceiling=-1 ! audioconvert ! flacenc ! filesink location=%s",
      in, out);
  fail_unless (gst_launch (launch));
  g_free (launch);
  /* The FLAC decoded: as many frames as went in. */
  launch = g_strdup_printf ("filesrc location=%s ! decodebin ! audioconvert ! "
      "audio/x-raw,format=F32LE ! fakesink name=sink", out);
  GstElement *p = gst_parse_launch (launch, NULL);
  fail_unless (p != NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstSample *last = NULL;
  g_object_get (sink, "last-sample", &last, NULL);
  fail_unless (last != NULL);
  GstBuffer *buf = gst_sample_get_buffer (last);
  guint64 end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  fail_unless_equals_uint64 (gst_util_uint64_scale_round (end, 44100,
          GST_SECOND), 100 * 441);
  gst_sample_unref (last);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (launch);
  g_unlink (in);
  g_unlink (out);
  g_rmdir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
}
GST_END_TEST;

static Suite *
mbcomp_suite (void)
{
  Suite *s = suite_create ("mbcomp");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_latency_and_counts);
  tcase_add_test (tc, test_children);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_phase_refused_while_playing);
  tcase_add_test (tc, test_design_card_chain);
  return s;
}

GST_CHECK_MAIN (mbcomp);
