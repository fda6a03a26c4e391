/* Tests of the reverb and delay elements through GStreamer: the tail
 * drained at EOS (frames and timestamps continuing the stream, its length
 * within the rule, none with tail=false), automation of every numeric
 * property through GstController without a step beyond the sine's own,
 * and the delay's echo exact to the frame through the element. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/controller/controller.h>
#include <math.h>
#include <string.h>

#define RATE 48000

static GstHarness *
harness (const gchar * launch, const gchar * format, gint channels)
{
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *in = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", format, RATE, channels);
  gchar *out = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=2", format, RATE);
  gst_harness_set_caps_str (h, in, out);
  g_free (in);
  g_free (out);
  return h;
}

/* What came out: frames (stereo doubles), and whether every buffer's PTS
 * was the end of the one before and the time of its first frame (to the
 * nanosecond a rounding of either may take). */
typedef struct
{
  GArray *y;
  gboolean continuous;
  GstClockTime next_pts;
  gsize n_buffers;
} Out;

static void
take (GstHarness * h, Out * o, gboolean f64)
{
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gsize frames;
    gst_buffer_map (b, &map, GST_MAP_READ);
    frames = map.size / (f64 ? 16 : 8);
    for (gsize i = 0; i < 2 * frames; i++) {
      gdouble v = f64 ? ((gdouble *) map.data)[i] : ((gfloat *) map.data)[i];
      g_array_append_val (o->y, v);
    }
    gst_buffer_unmap (b, &map);
    /* Timestamps of the frames so far, to the nanosecond's rounding. */
    GstClockTime want = gst_util_uint64_scale (o->y->len / 2 - frames,
        GST_SECOND, RATE);
    if (!GST_BUFFER_PTS_IS_VALID (b) || (GST_BUFFER_PTS (b) > want + 1
            || GST_BUFFER_PTS (b) + 1 < want))
      o->continuous = FALSE;
    if (o->n_buffers && (GST_BUFFER_PTS (b) > o->next_pts + 1
            || GST_BUFFER_PTS (b) + 1 < o->next_pts))
      o->continuous = FALSE;
    o->next_pts = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    o->n_buffers++;
    gst_buffer_unref (b);
  }
}

/* @x (@n mono frames) pushed in blocks, then EOS; everything out. */
static void
run (GstHarness * h, const gdouble * x, gsize n, gboolean f64, Out * o)
{
  const gsize block = 1024;
  o->y = g_array_new (FALSE, FALSE, sizeof (gdouble));
  o->continuous = TRUE;
  o->n_buffers = 0;
  for (gsize f = 0; f < n; f += block) {
    gsize m = MIN (block, n - f);
    GstBuffer *buf = gst_buffer_new_allocate (NULL, m * (f64 ? 8 : 4), NULL);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (gsize i = 0; i < m; i++) {
      if (f64)
        ((gdouble *) map.data)[i] = x[f + i];
      else
        ((gfloat *) map.data)[i] = (gfloat) x[f + i];
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (f + m, GST_SECOND,
        RATE) - GST_BUFFER_PTS (buf);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    take (h, o, f64);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  take (h, o, f64);
}

static gdouble
peak_from (const Out * o, gsize frame)
{
  gdouble p = 0;
  for (gsize i = 2 * frame; i < o->y->len; i++)
    p = MAX (p, fabs (g_array_index (o->y, gdouble, i)));
  return p;
}

/* A burst of noise, then the tail: frames beyond the input, timestamps
 * continuing, at most 2 x RT60, ended under -90 dBFS (else cut at
 * 2 x RT60); none with tail=false. */
GST_START_TEST (test_tail)
{
  const gsize n = RATE / 2;
  gdouble *x = g_new0 (gdouble, n);
  guint32 seed = 7;
  for (gsize i = 0; i < RATE / 10; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = ((seed >> 8) / 16777216.0 * 2 - 1) * 0.5;
  }
  const gchar *launches[] = {
    "reverb decay=0.5 decay-low=0.5 mix=100",
    "delay time=50 feedback=60 mix=100",
  };
  /* 2 x RT60 of each: the reverb's decay, the delay's repeats (one delay
   * plus 2 x 3 x delay / -log10 fb). */
  const gdouble next_gain[] = { 1.0, 0.6 };
  const gdouble limit_s[] = { 1.0, 0.05 + 2 * 3 * 0.05 / -log10 (0.6) };
  for (guint k = 0; k < 2; k++)
    for (gint f64 = 0; f64 < 2; f64++) {
      GstHarness *h = harness (launches[k], f64 ? "F64LE" : "F32LE", 1);
      Out o;
      run (h, x, n, f64, &o);
      gsize frames = o.y->len / 2, tail = frames - n;
      fail_unless (o.continuous, "%s: timestamps", launches[k]);
      fail_unless (tail > 0 && tail <= ceil (limit_s[k] * RATE),
          "%s: tail of %" G_GSIZE_FORMAT, launches[k], tail);
      /* Ended on the floor: the last 50 ms under -90 dBFS (the delay's
       * next repeat, feedback times its last). */
      fail_unless (next_gain[k] * peak_from (&o, frames - RATE / 20) <
          pow (10, -4.5),
          "%s: ends at %g", launches[k], peak_from (&o, frames - RATE / 20));
      g_array_free (o.y, TRUE);
      gst_harness_teardown (h);

      gchar *off = g_strdup_printf ("%s tail=false", launches[k]);
      h = harness (off, f64 ? "F64LE" : "F32LE", 1);
      run (h, x, n, f64, &o);
      fail_unless_equals_uint64 (o.y->len / 2, n);
      fail_unless (o.continuous);
      g_array_free (o.y, TRUE);
      gst_harness_teardown (h);
      g_free (off);
    }
  g_free (x);
}
GST_END_TEST;

/* Through the element: mono in, the first echo on both sides exactly
 * time x rate frames later (12.5 ms: 600 frames), the second feedback
 * times it. */
GST_START_TEST (test_delay_exact)
{
  const gsize n = 4000;
  gdouble *x = g_new0 (gdouble, n);
  x[0] = 1.0;
  GstHarness *h = harness ("delay time=12.5 feedback=25 mix=100 tail=false",
      "F64LE", 1);
  Out o;
  run (h, x, n, TRUE, &o);
  const gdouble *y = (const gdouble *) o.y->data;
  for (gsize i = 0; i < n; i++) {
    gdouble want = i == 600 ? 1.0 : i == 1200 ? 0.25 : i == 1800 ? 0.0625 :
        i == 2400 ? 0.015625 : i == 3000 ? 0.00390625 : i == 3600 ?
        0.0009765625 : 0.0;
    fail_unless (fabs (y[2 * i] - want) < 1e-12 && fabs (y[2 * i + 1] -
            want) < 1e-12, "frame %" G_GSIZE_FORMAT ": %g", i, y[2 * i]);
  }
  g_array_free (o.y, TRUE);
  gst_harness_teardown (h);
  g_free (x);
}
GST_END_TEST;

/* Every numeric property of both elements automated from its minimum to
 * its maximum and back over a second (GstController, linear), a 997 Hz
 * sine in: the largest step of the output stays under 1.25 x the steepest
 * step of a sine at the largest level within a period. */
GST_START_TEST (test_automation)
{
  const gdouble f = 997;
  const gsize n = RATE + RATE / 4;
  const gchar *elements[] = { "reverb", "delay" };
  gdouble *x = g_new (gdouble, n);
  for (gsize i = 0; i < n; i++)
    x[i] = 0.5 * sin (2 * G_PI * f * i / RATE);
  for (guint e = 0; e < 2; e++) {
    GstElement *probe = gst_element_factory_make (elements[e], NULL);
    guint n_props;
    GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS
        (probe), &n_props);
    for (guint p = 0; p < n_props; p++) {
      if (!(props[p]->flags & GST_PARAM_CONTROLLABLE)
          || !G_IS_PARAM_SPEC_DOUBLE (props[p]))
        continue;
      GParamSpecDouble *d = G_PARAM_SPEC_DOUBLE (props[p]);
      gchar *launch = g_strdup_printf ("%s name=fx mix=50 tail=false",
          elements[e]);
      GstHarness *h = harness (launch, "F64LE", 1);
      GstElement *fx = gst_bin_get_by_name (GST_BIN (h->element), "fx");
      GstControlSource *cs = gst_interpolation_control_source_new ();
      g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
      fail_unless (gst_object_add_control_binding (GST_OBJECT (fx),
              gst_direct_control_binding_new_absolute (GST_OBJECT (fx),
                  props[p]->name, cs)));
      gst_object_unref (cs);
      gst_object_unref (fx);
      GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
      gst_timed_value_control_source_set (tv, 0, d->minimum);
      gst_timed_value_control_source_set (tv, GST_SECOND / 8, d->minimum);
      gst_timed_value_control_source_set (tv, 5 * GST_SECOND / 8,
          d->maximum);
      gst_timed_value_control_source_set (tv, 9 * GST_SECOND / 8,
          d->minimum);
      Out o;
      run (h, x, n, TRUE, &o);
      fail_unless_equals_uint64 (o.y->len / 2, n);
      const gdouble *y = (const gdouble *) o.y->data;
      const gsize period = 49;
      gdouble worst = 0;
      for (gint c = 0; c < 2; c++)
        for (gsize i = RATE / 10; i + period < n; i++) {
          gdouble a = 1e-3;
          for (gsize k = i - period; k <= i + period; k++)
            a = MAX (a, fabs (y[2 * k + c]));
          worst = MAX (worst, fabs (y[2 * i + c] - y[2 * i - 2 + c]) /
              (2 * a * sin (G_PI * f / RATE)));
        }
      g_print ("%s %s: largest step %.3f of a sine's\n", elements[e],
          props[p]->name, worst);
      fail_unless (worst < 1.25, "%s %s: a step %.3f x a sine's", elements[e],
          props[p]->name, worst);
      g_array_free (o.y, TRUE);
      gst_harness_teardown (h);
      g_free (launch);
    }
    g_free (props);
    gst_object_unref (probe);
  }
  g_free (x);
}
GST_END_TEST;

static Suite *
reverb_delay_suite (void)
{
  Suite *s = suite_create ("reverb-delay");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_tail);
  tcase_add_test (tc, test_delay_exact);
  tcase_add_test (tc, test_automation);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (reverb_delay);
