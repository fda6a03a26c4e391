/* A settings combination the core refuses, though each value is within
 * its property's range, through the one-input bases: GstMstFilter
 * (modulation: a delay between 0, the mode's own, and the 1 ms minimum;
 * mbcomp: crossovers out of order) and GstMstDelayFilter (loudnorm:
 * min-gain above max-gain). Each refusal posts one LIBRARY SETTINGS
 * warning naming the refused values and the ones in use, the properties
 * read back the values in use (notified), the audio is what the last
 * accepted settings make, and a refusal of the same property again is not
 * warned about until settings were accepted in between. The master bin's
 * switches between its mbcomp presets never pass through a refused
 * combination. (The two-input base: test-twoinput.) */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

#define RATE 48000
#define BLOCK_FRAMES 480

typedef struct
{
  GstHarness *h;
  GstElement *el;               /* the element in the harness's bin */
  GstBus *bus;
  gint in_channels, out_channels;
  guint64 frame;                /* frames pushed */
  guint32 noise;                /* the input's generator */
  GByteArray *out;              /* everything pulled */
  guint notifies;
} Rig;

static void
count_notify (G_GNUC_UNUSED GObject * object, G_GNUC_UNUSED GParamSpec * p,
    gpointer data)
{
  ((Rig *) data)->notifies++;
}

/* @launch (one element, of @factory) from @in_channels to @out_channels of F32 at
 * RATE, its messages on a bus of ours, notifications of @watched counted.
 */
static void
rig_init (Rig * r, const gchar * factory, const gchar * launch,
    gint in_channels,
    gint out_channels, const gchar * watched)
{
  gchar *in = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", RATE, in_channels);
  gchar *out = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", RATE, out_channels);
  gchar *signal = g_strdup_printf ("notify::%s", watched);

  memset (r, 0, sizeof *r);
  r->h = gst_harness_new_parse (launch);
  r->bus = gst_bus_new ();
  r->el = gst_harness_find_element (r->h, factory);
  gst_element_set_bus (r->h->element, r->bus);
  g_signal_connect (r->el, signal, G_CALLBACK (count_notify), r);
  gst_harness_set_caps_str (r->h, in, out);
  r->in_channels = in_channels;
  r->out_channels = out_channels;
  r->noise = 12345;
  r->out = g_byte_array_new ();
  g_free (in);
  g_free (out);
  g_free (signal);
}

static void
rig_clear (Rig * r)
{
  gst_element_set_bus (r->h->element, NULL);
  gst_object_unref (r->bus);
  g_byte_array_unref (r->out);
  gst_object_unref (r->el);
  gst_harness_teardown (r->h);
}

/* One block of noise in (the same noise for every rig), what comes out
 * kept. */
static void
rig_push (Rig * r)
{
  gsize n = (gsize) BLOCK_FRAMES * r->in_channels;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * sizeof (gfloat), NULL);
  GstMapInfo map;
  GstBuffer *o;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++) {
    r->noise = r->noise * 1664525u + 1013904223u;
    ((gfloat *) map.data)[i] = (gfloat) ((gint32) r->noise / 4294967296.0);
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (r->frame, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (r->frame + BLOCK_FRAMES,
      GST_SECOND, RATE) - GST_BUFFER_PTS (buf);
  r->frame += BLOCK_FRAMES;
  fail_unless_equals_int (gst_harness_push (r->h, buf), GST_FLOW_OK);
  while ((o = gst_harness_try_pull (r->h))) {
    gst_buffer_map (o, &map, GST_MAP_READ);
    g_byte_array_append (r->out, map.data, map.size);
    gst_buffer_unmap (o, &map);
    gst_buffer_unref (o);
  }
}

/* The refusal warnings posted since the last call; the last one's text
 * and details into @text and @debug (when not NULL; g_free them). Any
 * other warning or error fails. */
static guint
rig_refusals (Rig * r, gchar ** text, gchar ** debug)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (r->bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR))) {
    GError *err;
    gchar *dbg;
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING);
    gst_message_parse_warning (msg, &err, &dbg);
    fail_unless (g_error_matches (err, GST_LIBRARY_ERROR,
            GST_LIBRARY_ERROR_SETTINGS), "%s", err->message);
    n++;
    if (text) {
      g_free (*text);
      *text = g_strdup (err->message);
    }
    if (debug) {
      g_free (*debug);
      *debug = g_strdup (dbg);
    }
    g_error_free (err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  return n;
}

static gdouble
get_double (GstElement * el, const gchar * name)
{
  gdouble v;
  if (GST_IS_CHILD_PROXY (el))
    gst_child_proxy_get (GST_CHILD_PROXY (el), name, &v, NULL);
  else
    g_object_get (el, name, &v, NULL);
  return v;
}

static gdouble
default_double (GstElement * el, const gchar * name)
{
  GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (el),
      name);
  fail_unless (p != NULL);
  return g_value_get_double (g_param_spec_get_default_value (p));
}

/* Set before the stream: refused when the caps configure the core, the
 * element keeps the core's defaults. */
GST_START_TEST (test_filter_refused_at_setup)
{
  Rig r;
  gchar *text = NULL;
  gdouble def;

  rig_init (&r, "modulation", "modulation mode=flanger delay=0.5", 2, 2, "delay");
  def = default_double (r.el, "delay");
  rig_push (&r);
  fail_unless_equals_int (rig_refusals (&r, &text, NULL), 1);
  fail_unless (strstr (text, "delay=0.5") && strstr (text, "in use"),
      "%s", text);
  fail_unless_equals_float (get_double (r.el, "delay"), def);
  fail_unless (r.notifies >= 1);
  g_free (text);
  rig_clear (&r);
}

GST_END_TEST;

/* While playing: the refused delay is set back (read back and notified),
 * the audio is bit for bit that of the accepted delay throughout, the
 * same property refused again is not warned about twice, and again after
 * an accepted change. */
GST_START_TEST (test_filter_refused_while_playing)
{
  Rig r, ref;
  gchar *text = NULL;

  rig_init (&r, "modulation", "modulation mode=flanger delay=8", 2, 2, "delay");
  rig_init (&ref, "modulation", "modulation mode=flanger delay=8", 2, 2, "delay");
  for (gint i = 0; i < 4; i++) {
    rig_push (&r);
    rig_push (&ref);
  }
  fail_unless_equals_int (rig_refusals (&r, NULL, NULL), 0);

  r.notifies = 0;
  g_object_set (r.el, "delay", 0.5, NULL);
  fail_unless_equals_float (get_double (r.el, "delay"), 0.5);
  rig_push (&r);
  rig_push (&ref);
  fail_unless_equals_int (rig_refusals (&r, &text, NULL), 1);
  fail_unless (strstr (text, "delay=0.5 (in use: 8)"), "%s", text);
  fail_unless_equals_float (get_double (r.el, "delay"), 8.0);
  /* One notify for the set, one for the setting back. */
  fail_unless_equals_int (r.notifies, 2);

  g_object_set (r.el, "delay", 0.7, NULL);
  for (gint i = 0; i < 4; i++) {
    rig_push (&r);
    rig_push (&ref);
  }
  fail_unless_equals_int (rig_refusals (&r, NULL, NULL), 0);
  fail_unless_equals_float (get_double (r.el, "delay"), 8.0);
  fail_unless_equals_int (r.out->len, ref.out->len);
  fail_unless (memcmp (r.out->data, ref.out->data, r.out->len) == 0);

  g_object_set (r.el, "delay", 5.0, NULL);
  rig_push (&r);
  g_object_set (r.el, "delay", 0.3, NULL);
  rig_push (&r);
  fail_unless_equals_int (rig_refusals (&r, &text, NULL), 1);
  fail_unless (strstr (text, "delay=0.3 (in use: 5)"), "%s", text);
  fail_unless_equals_float (get_double (r.el, "delay"), 5.0);
  g_free (text);
  rig_clear (&r);
  rig_clear (&ref);
}

GST_END_TEST;

/* A child's property (a band of mbcomp, GstChildProxy): a crossover above
 * the next band's is refused, named with its band, the core's requirement
 * in the details. */
GST_START_TEST (test_filter_child_refused)
{
  Rig r;
  gchar *text = NULL, *debug = NULL, *expected;
  gdouble kept, next;

  rig_init (&r, "mbcomp", "mbcomp num-bands=3", 2, 2, "num-bands");
  rig_push (&r);
  kept = get_double (r.el, "band0::crossover");
  next = get_double (r.el, "band1::crossover");
  fail_unless (kept < next);
  gst_child_proxy_set (GST_CHILD_PROXY (r.el), "band0::crossover",
      next * 2.0, NULL);
  rig_push (&r);
  fail_unless_equals_int (rig_refusals (&r, &text, &debug), 1);
  expected = g_strdup_printf ("band0::crossover=%g", next * 2.0);
  fail_unless (strstr (text, expected), "%s", text);
  fail_unless (strstr (debug, "rise"), "%s", debug);
  fail_unless_equals_float (get_double (r.el, "band0::crossover"),
      kept);
  g_free (expected);
  g_free (text);
  g_free (debug);
  rig_clear (&r);
}

GST_END_TEST;

/* The delaying base: min-gain and max-gain set together above each other
 * are refused together, both named and both set back. */
GST_START_TEST (test_delay_filter_refused)
{
  Rig r;
  gchar *text = NULL;
  gdouble min_gain, max_gain;

  rig_init (&r, "loudnorm", "loudnorm", 2, 2, "min-gain");
  rig_push (&r);
  min_gain = get_double (r.el, "min-gain");
  max_gain = get_double (r.el, "max-gain");
  fail_unless (min_gain < max_gain - 2.0);
  g_object_set (r.el, "min-gain", max_gain - 1.0, "max-gain",
      max_gain - 2.0, NULL);
  rig_push (&r);
  fail_unless_equals_int (rig_refusals (&r, &text, NULL), 1);
  fail_unless (strstr (text, "min-gain=") && strstr (text, "max-gain="),
      "%s", text);
  fail_unless_equals_float (get_double (r.el, "min-gain"), min_gain);
  fail_unless_equals_float (get_double (r.el, "max-gain"), max_gain);
  /* Within each other again: accepted, no warning. */
  g_object_set (r.el, "min-gain", max_gain - 3.0, NULL);
  rig_push (&r);
  fail_unless_equals_int (rig_refusals (&r, NULL, NULL), 0);
  fail_unless_equals_float (get_double (r.el, "min-gain"),
      max_gain - 3.0);
  g_free (text);
  rig_clear (&r);
}

GST_END_TEST;

/* Each step of the master bin's switch between dynamics presets (one
 * property set at a time, while playing) leaves the crossovers of its
 * mbcomp's bands in use rising, so a buffer between two of its sets never
 * finds a combination mbcomp refuses (and sets back): checked at every
 * notification of a crossover or the band count, for every ordered pair of
 * presets (a future preset whose crossovers cross the others' fails it). */
static void
check_rising (G_GNUC_UNUSED GObject * object, G_GNUC_UNUSED GParamSpec * p,
    gpointer mbcomp)
{
  guint n_bands;
  gdouble last = 0.0;

  g_object_get (mbcomp, "num-bands", &n_bands, NULL);
  for (guint b = 0; b + 1 < n_bands; b++) {
    gchar *name = g_strdup_printf ("band%u::crossover", b);
    gdouble hz = get_double (mbcomp, name);
    fail_unless (hz > last, "%s %g after %g", name, hz, last);
    last = hz;
    g_free (name);
  }
}

GST_START_TEST (test_master_switch_keeps_order)
{
  GstElement *master = gst_element_factory_make ("master", NULL);
  GstElement *mbcomp;
  GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (master),
      "dynamics");
  GEnumClass *presets;
  guint n_children;

  fail_unless (master != NULL && p != NULL);
  mbcomp = GST_ELEMENT (gst_child_proxy_get_child_by_name (GST_CHILD_PROXY
          (master), "mbcomp"));
  fail_unless (mbcomp != NULL);
  g_signal_connect (mbcomp, "notify::num-bands", G_CALLBACK (check_rising),
      mbcomp);
  n_children = gst_child_proxy_get_children_count (GST_CHILD_PROXY (mbcomp));
  for (guint c = 0; c < n_children; c++) {
    GObject *band = gst_child_proxy_get_child_by_index (GST_CHILD_PROXY
        (mbcomp), c);
    g_signal_connect (band, "notify::crossover", G_CALLBACK (check_rising),
        mbcomp);
    g_object_unref (band);
  }
  presets = G_PARAM_SPEC_ENUM (p)->enum_class;
  for (guint a = 0; a < presets->n_values; a++)
    for (guint b = 0; b < presets->n_values; b++) {
      g_object_set (master, "dynamics", presets->values[a].value, NULL);
      g_object_set (master, "dynamics", presets->values[b].value, NULL);
    }
  gst_object_unref (mbcomp);
  gst_object_unref (master);
}

GST_END_TEST;

static Suite *
refusals_suite (void)
{
  Suite *s = suite_create ("refusals");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_filter_refused_at_setup);
  tcase_add_test (tc, test_filter_refused_while_playing);
  tcase_add_test (tc, test_filter_child_refused);
  tcase_add_test (tc, test_delay_filter_refused);
  tcase_add_test (tc, test_master_switch_keeps_order);
  return s;
}

GST_CHECK_MAIN (refusals);
