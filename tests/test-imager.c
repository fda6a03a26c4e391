/* The imager element: what is particular to it beyond the conventions
 * (tests/test-conventions.c has its row): its messages (correlation,
 * balance, side/mid, fold-down loss of known signals, the final one at
 * EOS), the mono warning on anti-phase input, the refusal of non-stereo
 * caps naming stereo, mono bass and width through the element, and a
 * left-only source through four bands of untouched widths. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#include "mst-gstcheck.h"
#include "mst-gstrun.h"

#define RATE MST_RUN_RATE

/* Two seconds of stereo: left a noise, right as @kind says. */
enum { SAME, INVERTED, INDEPENDENT, HALF_RIGHT };

static float *
signal_of (int kind, gsize n)
{
  float *x = g_new (float, 2 * n);
  guint32 seed = 1;
  for (gsize i = 0; i < n; i++) {
    float a, b;
    seed = seed * 1664525u + 1013904223u;
    a = ((seed >> 8) / 16777216.0f - 0.5f) * 0.5f;
    seed = seed * 1664525u + 1013904223u;
    b = ((seed >> 8) / 16777216.0f - 0.5f) * 0.5f;
    x[2 * i] = a;
    x[2 * i + 1] = kind == SAME ? a : kind == INVERTED ? -a
        : kind == INDEPENDENT ? b : 0.5f * a;
  }
  return x;
}

typedef struct
{
  guint n;
  gdouble correlation, balance, side_mid, mono_loss;
  gboolean warning, final_last;
  guint n_warnings;
} Figures;

/* Runs @kind through "imager @settings" and reads its messages. */
static void
run_messages (int kind, const gchar * settings, Figures * f)
{
  const gsize n = 2 * RATE + RATE / 5;
  float *x = signal_of (kind, n), *y = g_new (float, 2 * n);
  GstBus *bus = gst_bus_new ();
  gchar *launch = g_strdup_printf ("imager interval=500000000 %s", settings);
  GstMessage *msg;

  fail_unless_equals_uint64 (mst_run_element_full (launch, x, n, 2, 1000, y,
          NULL, bus), n);
  memset (f, 0, sizeof *f);
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      f->n_warnings++;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure *s = gst_message_get_structure (msg);
      fail_unless (gst_structure_has_name (s, "imager"));
      fail_if (f->final_last, "a message after the final one");
      fail_unless (gst_structure_get_double (s, "correlation",
              &f->correlation));
      fail_unless (gst_structure_get_double (s, "balance", &f->balance));
      fail_unless (gst_structure_get_double (s, "side-mid", &f->side_mid));
      fail_unless (gst_structure_get_double (s, "mono-loss", &f->mono_loss));
      fail_unless (gst_structure_get_boolean (s, "mono-warning",
              &f->warning));
      fail_unless (gst_structure_get_boolean (s, "final", &f->final_last));
      f->n++;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  g_free (launch);
  g_free (x);
  g_free (y);
}

GST_START_TEST (test_messages_known_signals)
{
  Figures f;
  /* 2.2 s in 500 ms intervals: 5 messages, the last (200 ms) final. */
  run_messages (SAME, "", &f);
  fail_unless_equals_int (f.n, 5);
  fail_unless (f.final_last);
  fail_unless (fabs (f.correlation - 1.0) < 1e-6);
  fail_unless (fabs (f.mono_loss) < 1e-6);
  fail_unless (!f.warning && f.n_warnings == 0);
  run_messages (INDEPENDENT, "", &f);
  fail_unless (fabs (f.correlation) < 0.05, "%f", f.correlation);
  fail_unless (fabs (f.mono_loss + 3.01) < 0.25, "%f", f.mono_loss);
  fail_unless (fabs (f.side_mid) < 0.25);
  run_messages (HALF_RIGHT, "", &f);
  fail_unless (fabs (f.balance + 6.02) < 0.01, "%f", f.balance);
  /* Anti-phase: correlation -1, the fold-down loses everything; one
   * warning for the stream, the field in every message. */
  run_messages (INVERTED, "", &f);
  fail_unless (fabs (f.correlation + 1.0) < 1e-6);
  fail_unless (f.mono_loss <= -100);
  fail_unless (f.warning);
  fail_unless_equals_int (f.n_warnings, 1);
  /* The same with mono-warning off. */
  run_messages (INVERTED, "mono-warning=0", &f);
  fail_unless (!f.warning && f.n_warnings == 0);
  /* The figures are the output's: an inverted right made right again
   * reads +1. */
  run_messages (INVERTED, "invert-right=true", &f);
  fail_unless (fabs (f.correlation - 1.0) < 1e-6);
  /* Width 0 makes any input mono. */
  run_messages (INDEPENDENT, "width=0", &f);
  fail_unless (fabs (f.correlation - 1.0) < 1e-6);
}
GST_END_TEST;

/* Through the element: width 200 doubles the side (+6.02 dB side/mid on
 * independent noise), mono-below removes a 20 Hz side tone. */
GST_START_TEST (test_width_and_mono_bass)
{
  const gsize n = RATE;
  float *x = signal_of (INDEPENDENT, n), *y = g_new (float, 2 * n);
  double sm_in = 0, ss_in = 0, sm = 0, ss = 0;
  mst_run_element ("imager width=200", x, n, 2, 1024, y, NULL);
  for (gsize i = 0; i < n; i++) {
    sm_in += pow (x[2 * i] + x[2 * i + 1], 2);
    ss_in += pow (x[2 * i] - x[2 * i + 1], 2);
    sm += pow (y[2 * i] + y[2 * i + 1], 2);
    ss += pow (y[2 * i] - y[2 * i + 1], 2);
  }
  fail_unless (fabs (10 * log10 ((ss / sm) / (ss_in / sm_in)) - 6.0206)
      < 0.01);
  for (gsize i = 0; i < n; i++) {
    x[2 * i] = 0.4 * sin (2 * G_PI * 20 * i / RATE);
    x[2 * i + 1] = -x[2 * i];
  }
  mst_run_element ("imager mono-below=150", x, n, 2, 1024, y, NULL);
  double in_pow = 0, out_pow = 0;
  for (gsize i = n / 2; i < n; i++) {
    in_pow += x[2 * i] * x[2 * i];
    out_pow += y[2 * i] * y[2 * i];
  }
  fail_unless (10 * log10 (out_pow / in_pow) < -40, "%f",
      10 * log10 (out_pow / in_pow));
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* The review's reproducer: left-only noise through imager num-bands=4,
 * widths untouched: the output is the input, the right channel exactly 0;
 * with band 1 at 150 % the right is no longer silent (the split at
 * work). */
GST_START_TEST (test_multiband_left_only)
{
  const gsize n = RATE;
  float *x = signal_of (INDEPENDENT, n), *y = g_new (float, 2 * n);
  for (gsize i = 0; i < n; i++)
    x[2 * i + 1] = 0;
  mst_run_element ("imager num-bands=4", x, n, 2, 1024, y, NULL);
  fail_unless (memcmp (x, y, sizeof (float) * 2 * n) == 0);
  mst_run_element ("imager num-bands=4 band1-width=150", x, n, 2, 1024, y,
      NULL);
  double right = 0;
  for (gsize i = 0; i < n; i++)
    right += y[2 * i + 1] * y[2 * i + 1];
  fail_unless (right > 0);
  g_free (x);
  g_free (y);
}
GST_END_TEST;

/* Mono and 5.1 are refused with a message naming stereo as accepted. */
GST_START_TEST (test_refuses_non_stereo)
{
  static const gchar *const bad[] = {
    "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, channels=1",
    "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, "
        "channels=6, channel-mask=(bitmask)0x3f",
  };
  mst_check_caps_list_refused_naming ("imager", bad, G_N_ELEMENTS (bad),
      "channels=(int)2");
}
GST_END_TEST;

static Suite *
imager_suite (void)
{
  Suite *s = suite_create ("imager");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_messages_known_signals);
  tcase_add_test (tc, test_width_and_mono_bass);
  tcase_add_test (tc, test_refuses_non_stereo);
  tcase_add_test (tc, test_multiband_left_only);
  return s;
}

GST_CHECK_MAIN (imager);
