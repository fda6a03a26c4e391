/* Tests of the master bin: children by name, delivery targets and their
 * presets, the mono podcast figure, and a programme mastered end to end
 * (output measured with libebur128). */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#include <gst/audio/audio.h>

#include "mst-analysis.h"
#include "mst-signals.h"

#define RATE 48000

static double
get_double (GstElement * master, const gchar * path)
{
  GValue v = G_VALUE_INIT;
  gst_child_proxy_get_property (GST_CHILD_PROXY (master), path, &v);
  double d = g_value_get_double (&v);
  g_value_unset (&v);
  return d;
}

static gint
get_enum (GstElement * master, const gchar * path)
{
  GValue v = G_VALUE_INIT;
  gst_child_proxy_get_property (GST_CHILD_PROXY (master), path, &v);
  gint e = g_value_get_enum (&v);
  g_value_unset (&v);
  return e;
}

static void
set_target (GstElement * master, const gchar * nick)
{
  gst_util_set_object_arg (G_OBJECT (master), "target", nick);
}

GST_START_TEST (test_children_by_name)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  fail_unless (master != NULL);
  const gchar *names[] = { "convert", "eq", "mbcomp", "imager", "loudnorm",
    "limiter"
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY
        (master), names[i]);
    fail_unless (child != NULL, "no child %s", names[i]);
    g_object_unref (child);
  }
  /* Nested: the eq's bands through the bin. */
  gst_child_proxy_set (GST_CHILD_PROXY (master), "eq::num-bands", 1, NULL);
  gst_child_proxy_set (GST_CHILD_PROXY (master), "eq::band0::gain", 2.0,
      NULL);
  fail_unless_equals_float (get_double (master, "eq::band0::gain"), 2.0);
  gst_child_proxy_set (GST_CHILD_PROXY (master), "limiter::ceiling", -1.5,
      NULL);
  fail_unless_equals_float (get_double (master, "limiter::ceiling"), -1.5);
  gst_object_unref (master);
}

GST_END_TEST;

static guint
get_uint (GstElement * master, const gchar * path)
{
  GValue v = G_VALUE_INIT;
  gst_child_proxy_get_property (GST_CHILD_PROXY (master), path, &v);
  guint u = g_value_get_uint (&v);
  g_value_unset (&v);
  return u;
}

/* dynamics writes mbcomp's bands (the core's named settings); band
 * properties set after it override it; none is one neutral band. */
GST_START_TEST (test_dynamics)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  fail_unless_equals_int (get_uint (master, "mbcomp::num-bands"), 1);
  fail_unless_equals_float (get_double (master, "mbcomp::band0::ratio"), 1.0);
  gst_util_set_object_arg (G_OBJECT (master), "dynamics", "gentle");
  fail_unless_equals_int (get_uint (master, "mbcomp::num-bands"), 4);
  fail_unless_equals_float (get_double (master, "mbcomp::band0::ratio"), 2.0);
  fail_unless_equals_float (get_double (master, "mbcomp::band1::threshold"),
      -24.0);
  fail_unless_equals_float (get_double (master, "mbcomp::band2::crossover"),
      5000.0);
  gst_child_proxy_set (GST_CHILD_PROXY (master), "mbcomp::band1::ratio", 3.0,
      NULL);
  fail_unless_equals_float (get_double (master, "mbcomp::band1::ratio"), 3.0);
  gst_util_set_object_arg (G_OBJECT (master), "dynamics", "glue");
  fail_unless_equals_float (get_double (master, "mbcomp::band0::ratio"), 3.0);
  fail_unless_equals_float (get_double (master, "mbcomp::band3::attack"), 3.0);
  gst_util_set_object_arg (G_OBJECT (master), "dynamics", "none");
  fail_unless_equals_int (get_uint (master, "mbcomp::num-bands"), 1);
  fail_unless_equals_float (get_double (master, "mbcomp::band0::ratio"), 1.0);
  gst_object_unref (master);
}

GST_END_TEST;

GST_START_TEST (test_targets)
{
  static const struct
  {
    const gchar *nick;
    double loudness, ceiling;
    gboolean normalize;
  } cases[] = {
    {"streaming", -14, -1, TRUE}, {"apple-music", -16, -1, TRUE},
    {"youtube", -14, -1, TRUE}, {"ebu-r128", -23, -1, TRUE},
    {"atsc-a85", -24, -2, TRUE}, {"podcast", -16, -1, TRUE},
    {"cd", 0, -0.3, FALSE}, {"vinyl", 0, -1.0, FALSE},
  };
  GstElement *master = gst_element_factory_make ("master", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    set_target (master, cases[i].nick);
    gboolean normalize;
    double loudness, ceiling;
    g_object_get (master, "loudness", &loudness, "ceiling", &ceiling,
        "normalize", &normalize, NULL);
    fail_unless_equals_float (ceiling, cases[i].ceiling);
    fail_unless_equals_int (normalize, cases[i].normalize);
    /* The children follow. */
    fail_unless_equals_float (get_double (master, "limiter::ceiling"),
        cases[i].ceiling);
    if (cases[i].normalize) {
      fail_unless_equals_float (loudness, cases[i].loudness);
      fail_unless_equals_float (get_double (master, "loudnorm::target"),
          cases[i].loudness);
      fail_unless_equals_int (get_enum (master, "loudnorm::mode"), 0);
    } else {
      fail_unless_equals_int (get_enum (master, "loudnorm::mode"), 1);
      fail_unless_equals_float (get_double (master, "loudnorm::gain"), 0.0);
    }
  }
  /* Set after the target, loudness and ceiling override it. */
  set_target (master, "podcast");
  g_object_set (master, "loudness", -18.0, "ceiling", -1.5, NULL);
  fail_unless_equals_float (get_double (master, "loudnorm::target"), -18.0);
  fail_unless_equals_float (get_double (master, "limiter::ceiling"), -1.5);
  gst_object_unref (master);
}

GST_END_TEST;

/* An application that sets the bin from a notification of its children
 * (same thread, within the bin's write to them): the children end with
 * what it set last, and nothing deadlocks. */
static void
set_ceiling_on_notify (GstObject * master, GstObject * origin,
    GParamSpec * pspec, gpointer data)
{
  gint *left = data;
  (void) pspec;
  if (GST_OBJECT_PARENT (origin) == master && *left > 0) {
    (*left)--;
    g_object_set (master, "ceiling", -7.0, NULL);
  }
}

GST_START_TEST (test_set_from_notify)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  gint left = 1;
  g_signal_connect (master, "deep-notify::ceiling",
      G_CALLBACK (set_ceiling_on_notify), &left);
  g_object_set (master, "ceiling", -3.0, NULL);
  fail_unless_equals_int (left, 0);
  double ceiling;
  g_object_get (master, "ceiling", &ceiling, NULL);
  fail_unless_equals_float (ceiling, -7.0);
  fail_unless_equals_float (get_double (master, "loudnorm::ceiling"), -7.0);
  fail_unless_equals_float (get_double (master, "limiter::ceiling"), -7.0);
  gst_object_unref (master);
}

GST_END_TEST;

/* Podcasts: -16 LUFS in stereo, -19 in mono, decided by the caps. */
static double
podcast_loudness (gint channels)
{
  GstHarness *h = gst_harness_new ("master");
  set_target (h->element, "podcast");
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", RATE, channels);
  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_sink_caps_str (h, caps);
  g_free (caps);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 4800 * 4 * channels, NULL);
  gst_buffer_memset (buf, 0, 0, 4800 * 4 * channels);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  double target = get_double (h->element, "loudnorm::target");
  double own;
  g_object_get (h->element, "loudness", &own, NULL);
  fail_unless_equals_float (own, target);
  gst_harness_teardown (h);
  return target;
}

GST_START_TEST (test_podcast_mono)
{
  fail_unless_equals_float (podcast_loudness (2), -16.0);
  fail_unless_equals_float (podcast_loudness (1), -19.0);
}

GST_END_TEST;

/* The presets ship as a GstPreset file, written from the targets table by
 * the build (GST_PRESET_PATH points at the build folder's presets/ in the
 * tests). */
GST_START_TEST (test_presets)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  gchar **names = gst_preset_get_preset_names (GST_PRESET (master));
  fail_unless (names != NULL);
  const gchar *expected[] = { "streaming", "apple-music", "youtube",
    "ebu-r128", "atsc-a85", "podcast", "cd", "vinyl"
  };
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    fail_unless (g_strv_contains ((const gchar * const *) names,
            expected[i]), "no preset %s", expected[i]);
  g_strfreev (names);

  fail_unless (gst_preset_load_preset (GST_PRESET (master), "atsc-a85"));
  fail_unless_equals_float (get_double (master, "limiter::ceiling"), -2.0);
  fail_unless_equals_float (get_double (master, "loudnorm::target"), -24.0);
  fail_unless (gst_preset_load_preset (GST_PRESET (master), "cd"));
  fail_unless_equals_float (get_double (master, "limiter::ceiling"), -0.3);
  fail_unless_equals_int (get_enum (master, "loudnorm::mode"), 1);
  fail_unless (gst_preset_load_preset (GST_PRESET (master), "vinyl"));
  fail_unless_equals_float (get_double (master, "imager::mono-below"), 150);
  fail_unless (gst_preset_load_preset (GST_PRESET (master), "streaming"));
  fail_unless_equals_float (get_double (master, "imager::mono-below"), 0);
  gst_object_unref (master);
}

GST_END_TEST;

/* Vinyl: the imager's mono-below at 150 Hz (the bin's mono-below
 * overrides it), the phase warning at a fold-down loss of 3.01 dB (the
 * correlation below 0) every 400 ms; through the bin a 40 Hz side tone is
 * gone and the mid stays; a mono stream goes around the imager, still
 * mono. */
static gsize
run_bin (const gchar * target, gint channels, const float *x, float *y,
    gsize n, guint * warnings)
{
  GstHarness *h = gst_harness_new ("master");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  set_target (h->element, target);
  /* Compared sample by sample: without the limiters' band limits (their
   * 0.17-sample delay; test-limiter-core checks it). */
  gst_child_proxy_set (GST_CHILD_PROXY (h->element), "limiter::band-limit",
      FALSE, "loudnorm::band-limit", FALSE, NULL);
  /* The vinyl target writes 24 bits (its dither, flat TPDF): read back
   * as float. */
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", RATE, channels);
  gchar *out_caps = g_strdup_printf ("audio/x-raw, format=S24LE, "
      "layout=interleaved, rate=%d, channels=%d", RATE, channels);
  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_sink_caps_str (h, out_caps);
  g_free (caps);
  g_free (out_caps);
  for (gsize done = 0; done < n; done += 4800) {
    GstBuffer *buf = gst_buffer_new_memdup (x + done * channels,
        sizeof (float) * channels * MIN (4800, n - done));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (done, GST_SECOND, RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  gsize got = 0;
  GstBuffer *out;
  while ((out = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (out, &map, GST_MAP_READ);
    gsize m = map.size / (3 * channels);
    fail_unless (got + m <= n);
    for (gsize i = 0; i < m * channels; i++) {
      const guint8 *p = map.data + 3 * i;
      gint32 v = (gint32) ((guint32) p[0] << 8 | (guint32) p[1] << 16
          | (guint32) p[2] << 24) >> 8;
      y[got * channels + i] = (float) (v / 8388608.0);
    }
    gst_buffer_unmap (out, &map);
    got += m;
    gst_buffer_unref (out);
  }
  *warnings = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    (*warnings)++;
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return got;
}

GST_START_TEST (test_vinyl)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  set_target (master, "vinyl");
  fail_unless_equals_float (get_double (master, "imager::mono-below"), 150);
  fail_unless_equals_float (get_double (master, "imager::mono-warning"),
      3.0103);
  g_object_set (master, "mono-below", 120.0, NULL);
  fail_unless_equals_float (get_double (master, "imager::mono-below"), 120);
  set_target (master, "cd");
  fail_unless_equals_float (get_double (master, "imager::mono-below"), 0);
  gst_object_unref (master);

  const gsize n = RATE;
  float *x = g_new (float, 2 * n), *y = g_new0 (float, 2 * n);
  guint warnings;
  for (gsize i = 0; i < n; i++) {
    float mid = 0.2f * sinf (2 * G_PI * 1000 * i / RATE);
    float side = 0.2f * sinf (2 * G_PI * 40 * i / RATE);
    x[2 * i] = mid + side;
    x[2 * i + 1] = mid - side;
  }
  fail_unless_equals_uint64 (run_bin ("vinyl", 2, x, y, n, &warnings), n);
  double side_in = 0, side_out = 0, mid_err = 0;
  for (gsize i = n / 2; i < n; i++) {
    side_in += pow (x[2 * i] - x[2 * i + 1], 2);
    side_out += pow (y[2 * i] - y[2 * i + 1], 2);
    mid_err = MAX (mid_err, fabs ((y[2 * i] + y[2 * i + 1])
            - (x[2 * i] + x[2 * i + 1])));
  }
  fail_unless (10 * log10 (side_out / side_in) < -40, "40 Hz side %.1f dB",
      10 * log10 (side_out / side_in));
  fail_unless (mid_err < 1e-5, "mid moved by %g", mid_err);
  fail_unless_equals_int (warnings, 0);
  /* Anti-phase noise: the phase warning. */
  mst_signal_white_noise (x, n, 1, -20.0, 3);
  for (gsize i = n; i-- > 0;) {
    x[2 * i] = x[i];
    x[2 * i + 1] = -x[i];
  }
  run_bin ("vinyl", 2, x, y, n, &warnings);
  fail_unless_equals_int (warnings, 1);
  /* Mono around the imager: out as in (no loudness target, far under the
   * ceiling). */
  for (gsize i = 0; i < n; i++)
    x[i] = 0.1f * sinf (2 * G_PI * 40 * i / RATE);
  fail_unless_equals_uint64 (run_bin ("vinyl", 1, x, y, n, &warnings), n);
  double err = 0;
  for (gsize i = 0; i < n; i++)
    err = MAX (err, fabs (y[i] - x[i]));
  fail_unless (err < 1e-6, "mono changed by %g", err);
  g_free (x);
  g_free (y);
}

GST_END_TEST;

/* 30 s of quiet music (16-bit, through the bin's converter) mastered for
 * streaming: every frame comes out, at -14 LUFS within the live mode's
 * 1 LU, under -1 dBTP by libebur128. */
GST_START_TEST (test_master_programme)
{
  const size_t n = 30 * RATE;
  float *music = g_new (float, 2 * n);
  mst_signal_music (music, n, 2, RATE, 7);
  mst_signal_apply_gain_db (music, 2 * n, -14.0);
  double in_lufs = mst_analysis_ebur128_loudness (music, n, 2, RATE);

  GstHarness *h = gst_harness_new ("master");
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=48000, channels=2");
  gst_harness_set_sink_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=48000, channels=2");
  const size_t chunk = 4800;
  for (size_t f = 0; f < n; f += chunk) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, chunk * 4, NULL);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    gint16 *s = (gint16 *) map.data;
    for (size_t i = 0; i < 2 * chunk; i++)
      s[i] = (gint16) lrint (CLAMP (music[2 * f + i], -1.0f, 32767 /
              32768.0f) * 32768.0);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (chunk, GST_SECOND,
        RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  float *out = g_new (float, 2 * n);
  size_t got = 0;
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    size_t m = map.size / 8;
    fail_unless (got + m <= n);
    memcpy (out + 2 * got, map.data, map.size);
    got += m;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (got, n);
  double out_lufs = mst_analysis_ebur128_loudness (out, n, 2, RATE);
  double tp = mst_analysis_db (mst_analysis_ebur128_true_peak (out, n, 2,
          RATE));
  g_print ("master, streaming: in %.2f LUFS, out %.2f LUFS, %.3f dBTP\n",
      in_lufs, out_lufs, tp);
  fail_unless (in_lufs < -20.0, "input not quiet: %.2f LUFS", in_lufs);
  fail_unless (fabs (out_lufs + 14.0) <= 1.0, "out %.2f LUFS", out_lufs);
  fail_unless (tp <= -1.0, "true peak %.3f dBTP", tp);
  gst_harness_teardown (h);
  g_free (music);
  g_free (out);
}

GST_END_TEST;

/* @n frames of stereo @x (F32, 48 kHz) through a harness on "master
 * @settings" whose downstream takes integers or float at any rate: the
 * output as float (*n_out frames), its format and rate. */
static float *
run_master (const gchar * settings, const float *x, size_t n, size_t *n_out,
    gchar ** format, gint * rate)
{
  gchar *launch = g_strdup_printf ("master %s", settings);
  GstHarness *h = gst_harness_new_parse (launch);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=48000, channels=2");
  gst_harness_set_sink_caps_str (h, "audio/x-raw, format={ S16LE, F32LE }, "
      "layout=interleaved, rate=[ 8000, 384000 ], channels=2");
  const size_t chunk = 4800;
  for (size_t f = 0; f < n; f += chunk) {
    GstBuffer *buf = gst_buffer_new_memdup (x + 2 * f, 2 * chunk * 4);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (chunk, GST_SECOND,
        RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstAudioInfo info;
  fail_unless (caps && gst_audio_info_from_caps (&info, caps));
  *format = g_strdup (gst_audio_format_to_string (GST_AUDIO_INFO_FORMAT
          (&info)));
  *rate = GST_AUDIO_INFO_RATE (&info);
  gst_caps_unref (caps);
  float *out = g_new (float, 4 * n);
  size_t got = 0;
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    gboolean s16 = GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_S16LE;
    size_t m = map.size / (s16 ? 2 : 4);
    fail_unless (got + m <= 4 * n);
    for (size_t i = 0; i < m; i++)
      out[got + i] = s16 ? ((gint16 *) map.data)[i] / 32768.0f
          : ((float *) map.data)[i];
    got += m;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  *n_out = got / 2;
  gst_harness_teardown (h);
  g_free (launch);
  return out;
}

/* The cd target: 16-bit 44.1 kHz out of a 48 kHz float input (resampled),
 * dithered last (auto: f-weighted), the true peak of the dithered output
 * under -0.3 dBTP from music 6 dB over full scale; digital silence stays
 * digital silence; the other targets stay float; the dither property
 * reaches the child. */
GST_START_TEST (test_cd_target)
{
  const size_t n = 5 * RATE;
  float *music = g_new (float, 2 * n);
  mst_signal_music (music, n, 2, RATE, 3);
  mst_signal_apply_gain_db (music, 2 * n, 6.0);
  size_t n_out;
  gchar *format;
  gint rate;
  float *out = run_master ("target=cd", music, n, &n_out, &format, &rate);
  fail_unless_equals_string (format, "S16LE");
  fail_unless_equals_int (rate, 44100);
  fail_unless (n_out > n * 44100 / 48000 - 2000, "%zu frames", n_out);
  double tp = mst_analysis_db (mst_analysis_true_peak_16x_all (out, n_out,
          2));
  g_print ("master, cd: true peak %.3f dBTP (16x) after dither\n", tp);
  fail_unless (tp <= -0.3, "true peak %.3f dBTP", tp);
  g_free (out);
  g_free (format);

  float *zeros = g_new0 (float, 2 * n);
  out = run_master ("target=cd", zeros, n, &n_out, &format, &rate);
  size_t nonzero = 0;
  for (size_t i = 0; i < 2 * n_out; i++)
    nonzero += out[i] != 0.0f;
  fail_unless (n_out > 0 && nonzero == 0, "%zu of %zu samples not 0",
      nonzero, 2 * n_out);
  g_free (out);
  g_free (format);

  out = run_master ("target=streaming", zeros, RATE, &n_out, &format, &rate);
  fail_unless_equals_string (format, "F32LE");
  fail_unless_equals_int (rate, 48000);
  g_free (out);
  g_free (format);
  g_free (zeros);
  g_free (music);

  GstElement *master = gst_element_factory_make ("master", NULL);
  gst_util_set_object_arg (G_OBJECT (master), "dither", "high");
  GValue shaping = G_VALUE_INIT;
  gst_child_proxy_get_property (GST_CHILD_PROXY (master),
      "dither::noise-shaping", &shaping);
  gchar *nick = gst_value_serialize (&shaping);
  fail_unless_equals_string (nick, "high");
  g_free (nick);
  g_value_unset (&shaping);
  gst_util_set_object_arg (G_OBJECT (master), "dither", "off");
  GValue v = G_VALUE_INIT;
  gst_child_proxy_get_property (GST_CHILD_PROXY (master), "dither::bypass",
      &v);
  fail_unless (g_value_get_boolean (&v));
  g_value_unset (&v);
  gst_object_unref (master);
}

GST_END_TEST;

/* The element linked after @e's src pad, NULL when none. */
static GstElement *
next_element (GstElement * e)
{
  GstPad *src = gst_element_get_static_pad (e, "src");
  GstPad *peer = gst_pad_get_peer (src);
  GstElement *next = peer ? gst_pad_get_parent_element (peer) : NULL;
  gst_object_unref (src);
  if (peer)
    gst_object_unref (peer);
  if (next)
    gst_object_unref (next);   /* still held by the bin */
  return next;
}

static gchar *
chain_names (GstElement * master)
{
  GstElement *rate = gst_bin_get_by_name (GST_BIN (master), "rate");
  GString *names = g_string_new (NULL);
  for (GstElement * e = next_element (rate); e; e = next_element (e)) {
    g_string_append_printf (names, "%s%s", names->len ? " " : "",
        GST_OBJECT_NAME (e));
    if (!strcmp (GST_OBJECT_NAME (e), "eq"))
      break;
  }
  gst_object_unref (rate);
  return g_string_free (names, FALSE);
}

/* clean puts the clean-up stages between the rate and eq, in their fixed
 * order whatever the order named, reachable by name; changed only when
 * stopped; the audio flows through all four, every frame out at EOS. */
GST_START_TEST (test_clean)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  gchar *names = chain_names (master);
  fail_unless_equals_string (names, "eq");
  g_free (names);
  gst_util_set_object_arg (G_OBJECT (master), "clean", "denoise+declick");
  names = chain_names (master);
  fail_unless_equals_string (names, "declick denoise eq");
  g_free (names);
  GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY
      (master), "denoise");
  fail_unless (child != NULL);
  g_object_unref (child);
  gst_util_set_object_arg (G_OBJECT (master), "clean", "dehum+declip");
  names = chain_names (master);
  fail_unless_equals_string (names, "declip dehum eq");
  g_free (names);
  fail_unless (gst_bin_get_by_name (GST_BIN (master), "denoise") == NULL);

  /* Playing: unchanged, with a warning. */
  GstElement *pipe = gst_parse_launch ("audiotestsrc is-live=true ! "
      "audio/x-raw,format=F32LE,rate=48000,channels=2 ! master name=m "
      "clean=dehum ! fakesink sync=false", NULL);
  GstElement *m = gst_bin_get_by_name (GST_BIN (pipe), "m");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipe, NULL, NULL, 5 * GST_SECOND)
      == GST_STATE_CHANGE_SUCCESS);
  gst_util_set_object_arg (G_OBJECT (m), "clean", "denoise");
  names = chain_names (m);
  fail_unless_equals_string (names, "dehum eq");
  g_free (names);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (m);
  gst_object_unref (pipe);
  gst_object_unref (master);

  const size_t n = 2 * RATE;
  float *music = g_new (float, 2 * n);
  mst_signal_music (music, n, 2, RATE, 5);
  size_t n_out;
  gchar *format;
  gint rate;
  float *out = run_master ("clean=declip+declick+dehum+denoise", music, n,
      &n_out, &format, &rate);
  fail_unless_equals_uint64 (n_out, n);
  for (size_t i = 0; i < 2 * n_out; i++)
    fail_unless (isfinite (out[i]));
  g_free (out);
  g_free (format);
  g_free (music);
}

GST_END_TEST;

static Suite *
master_suite (void)
{
  Suite *s = suite_create ("master");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_children_by_name);
  tcase_add_test (tc, test_dynamics);
  tcase_add_test (tc, test_targets);
  tcase_add_test (tc, test_set_from_notify);
  tcase_add_test (tc, test_podcast_mono);
  tcase_add_test (tc, test_presets);
  tcase_add_test (tc, test_vinyl);
  tcase_add_test (tc, test_master_programme);
  tcase_add_test (tc, test_cd_target);
  tcase_add_test (tc, test_clean);
  return s;
}

GST_CHECK_MAIN (master);
