/* Tests of the dither element through GStreamer: downstream's caps choose
 * the word length (S16LE, S24LE, S32LE, or the input's float untouched);
 * a 16-bit source comes out bit-exact at 16 bits; digital silence stays
 * silent; the seed makes the output reproducible; the element's error is
 * the core's (threshold-weighted noise under flat TPDF at 44.1 kHz). */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "mst-gstcheck.h"

#define CAPS_IN "audio/x-raw, format=%s, layout=interleaved, rate=%d, " \
  "channels=%d"

/* A harness on "dither @settings" from F32 (or F64) to @out_format. */
static GstHarness *
harness (const gchar * settings, const gchar * in_format,
    const gchar * out_format, gint rate, gint channels)
{
  gchar *launch = g_strdup_printf ("dither %s", settings);
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *in = g_strdup_printf (CAPS_IN, in_format, rate, channels);
  gchar *out = g_strdup_printf (CAPS_IN, out_format, rate, channels);
  gst_harness_set_caps_str (h, in, out);
  g_free (launch);
  g_free (in);
  g_free (out);
  return h;
}

/* @n samples of @x (F32) through @h, the output's bytes into @out. */
static gsize
push_pull (GstHarness * h, const gfloat * x, gsize n, gpointer out,
    gsize out_size)
{
  GstBuffer *buf = gst_buffer_new_memdup (x, n * sizeof (gfloat));
  GstBuffer *o;
  gsize got = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  while ((o = gst_harness_try_pull (h))) {
    gsize size = gst_buffer_get_size (o);
    fail_unless (got + size <= out_size);
    gst_buffer_extract (o, 0, (guint8 *) out + got, size);
    got += size;
    gst_buffer_unref (o);
  }
  return got;
}

static gfloat *
sine (gsize n, gdouble amp, gdouble freq, gint rate)
{
  gfloat *x = g_new (gfloat, n);
  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) (amp * sin (2 * G_PI * freq * i / rate));
  return x;
}

/* Each integer format downstream asks for comes out, the samples within
 * the shaped error of the input. */
GST_START_TEST (test_word_lengths)
{
  const gchar *formats[] = { "S16LE", "S24LE", "S32LE" };
  const gint bits[] = { 16, 24, 32 };
  const gsize n = 4800;
  gfloat *x = sine (n, 0.5, 997, 48000);
  for (guint k = 0; k < G_N_ELEMENTS (formats); k++) {
    GstHarness *h = harness ("noise-shaping=lipshitz", "F32LE", formats[k],
        48000, 1);
    guint8 *out = g_malloc (n * 4);
    gsize got = push_pull (h, x, n, out, n * 4);
    fail_unless_equals_uint64 (got, n * bits[k] / 8);
    gdouble scale = ldexp (1.0, bits[k] - 1), worst = 0;
    for (gsize i = 0; i < n; i++) {
      gint32 v = bits[k] == 16 ?
          (gint32) ((guint32) GST_READ_UINT16_LE (out + 2 * i) << 16)
          : bits[k] == 24 ? (gint32) (GST_READ_UINT24_LE (out + 3 * i) << 8)
          : (gint32) GST_READ_UINT32_LE (out + 4 * i);
      gdouble lsb = v / 2147483648.0 * scale - x[i] * scale;
      worst = MAX (worst, fabs (lsb));
    }
    /* lipshitz: |error| < 1.5 (1 + sum |a|) LSB = 14.1 LSB. */
    fail_unless (worst < 14.1, "%s: %g LSB off", formats[k], worst);
    g_free (out);
    gst_harness_teardown (h);
  }
  g_free (x);
}
GST_END_TEST;

/* Downstream taking the input's float: the buffer passes untouched. */
GST_START_TEST (test_float_passthrough)
{
  const gsize n = 1000;
  gfloat *x = sine (n, 0.3, 440, 44100);
  gfloat *y = g_new (gfloat, n);
  GstHarness *h = harness ("", "F32LE", "F32LE", 44100, 1);
  fail_unless_equals_uint64 (push_pull (h, x, n, y, n * sizeof (gfloat)),
      n * sizeof (gfloat));
  fail_unless (memcmp (x, y, n * sizeof (gfloat)) == 0);
  GstElement *el = gst_harness_find_element (h, "dither");
  fail_unless (gst_base_transform_is_passthrough (GST_BASE_TRANSFORM (el)));
  gst_object_unref (el);
  gst_harness_teardown (h);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* A 16-bit source (every sample k / 32768, stereo, with a silent stretch)
 * to 16 bits: bit-exact, whatever the shaping; to 24 bits too. */
GST_START_TEST (test_16_bit_source_exact)
{
  const gchar *shapings[] = { "none", "lipshitz", "f-weighted", "high" };
  const gsize n = 2 * 44100;
  gint16 *src = g_new (gint16, n);
  gfloat *x = g_new (gfloat, n);
  guint32 st = 99;
  for (gsize i = 0; i < n; i++) {
    st = st * 1664525u + 1013904223u;
    src[i] = (i > 20000 && i < 30000) ? 0 : (gint16) ((st >> 16) / 4);
    x[i] = src[i] / 32768.0f;
  }
  for (guint k = 0; k < G_N_ELEMENTS (shapings); k++) {
    gchar *s = g_strdup_printf ("noise-shaping=%s", shapings[k]);
    GstHarness *h = harness (s, "F32LE", "S16LE", 44100, 2);
    gint16 *y = g_new (gint16, n);
    fail_unless_equals_uint64 (push_pull (h, x, n, y, n * 2), n * 2);
    for (gsize i = 0; i < n; i++)
      fail_unless (GINT16_FROM_LE (y[i]) == src[i], "%s: sample %"
          G_GSIZE_FORMAT " %d, source %d", shapings[k], i, y[i], src[i]);
    gst_harness_teardown (h);
    h = harness (s, "F32LE", "S24LE", 44100, 2);
    guint8 *y24 = g_malloc (n * 3);
    fail_unless_equals_uint64 (push_pull (h, x, n, y24, n * 3), n * 3);
    for (gsize i = 0; i < n; i++)
      fail_unless ((gint32) (GST_READ_UINT24_LE (y24 + 3 * i) << 8)
          == src[i] * 65536);
    gst_harness_teardown (h);
    g_free (y24);
    g_free (y);
    g_free (s);
  }
  g_free (src);
  g_free (x);
}
GST_END_TEST;

/* Digital silence in, digital silence out (auto-blank, the default); with
 * auto-blank off, silence is dithered. */
GST_START_TEST (test_auto_blank)
{
  const gsize n = 48000;
  gfloat *x = g_new0 (gfloat, n);
  gint16 *y = g_new (gint16, n);
  for (gint blank = 1; blank >= 0; blank--) {
    gchar *s = g_strdup_printf ("auto-blank=%s", blank ? "true" : "false");
    GstHarness *h = harness (s, "F32LE", "S16LE", 48000, 1);
    push_pull (h, x, n, y, n * 2);
    gsize nonzero = 0;
    for (gsize i = 0; i < n; i++)
      nonzero += y[i] != 0;
    if (blank) {
      fail_unless_equals_uint64 (nonzero, 0);
    } else {
      fail_unless (nonzero > n / 2, "%" G_GSIZE_FORMAT, nonzero);
    }
    gst_harness_teardown (h);
    g_free (s);
  }
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* The same seed gives the same output, another seed another. */
GST_START_TEST (test_seed)
{
  const gsize n = 9600;
  gfloat *x = sine (n, 0.01, 1000, 48000);
  gint16 *y[3];
  const gchar *seeds[] = { "seed=5", "seed=5", "seed=6" };
  for (guint k = 0; k < 3; k++) {
    GstHarness *h = harness (seeds[k], "F32LE", "S16LE", 48000, 1);
    y[k] = g_new (gint16, n);
    push_pull (h, x, n, y[k], n * 2);
    gst_harness_teardown (h);
  }
  fail_unless (memcmp (y[0], y[1], n * 2) == 0);
  fail_unless (memcmp (y[0], y[2], n * 2) != 0);
  for (guint k = 0; k < 3; k++)
    g_free (y[k]);
  g_free (x);
}
GST_END_TEST;

/* Integer input, or downstream that takes only another float, is refused
 * with the message of the pack. */
GST_START_TEST (test_caps_refused)
{
  const gchar *bad[] = {
    "audio/x-raw, format=S16LE, layout=interleaved, rate=48000, channels=2",
  };
  mst_check_caps_list_refused ("dither", bad, G_N_ELEMENTS (bad));
}
GST_END_TEST;

static Suite *
dither_suite (void)
{
  Suite *s = suite_create ("dither");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_word_lengths);
  tcase_add_test (tc, test_float_passthrough);
  tcase_add_test (tc, test_16_bit_source_exact);
  tcase_add_test (tc, test_auto_blank);
  tcase_add_test (tc, test_seed);
  tcase_add_test (tc, test_caps_refused);
  return s;
}

GST_CHECK_MAIN (dither);
