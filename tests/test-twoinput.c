/* Tests of GstMstTwoInput, the base of the elements with a sidechain, through
 * a test-only subclass whose output is the main plus the key's first
 * channel, so the key's alignment shows in the output: alignment to the
 * frame by running time, sample counts, the internal key, the sidechain's
 * EOS and GAP, the rate refusal, a flush, the latency query, a live
 * sidechain that stalls; F32 and F64. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/controller/controller.h>
#include <math.h>
#include <string.h>

#include "gstmsttwoinput.h"
#include "mst-gstcheck.h"

#define RATE 48000
#define TEST_LATENCY_FRAMES 64
/* The test core refuses key gains under this (the property goes to -10). */
#define KEY_GAIN_REFUSED_BELOW (-5.0)

/* ---- the test subclass: out = main + key-gain x key[0] ---- */

typedef struct
{
  gdouble key_gain;
} KeyAddSettings;

typedef struct
{
  GstMstTwoInput parent;
  KeyAddSettings settings;      /* under GST_OBJECT_LOCK */
  gdouble key_gain;             /* as applied */
  gint main_channels, key_channels;
  guint resets, configures, statuses, applies;
  guint64 nonfinite;
} TestKeyAdd;

typedef struct
{
  GstMstTwoInputClass parent_class;
} TestKeyAddClass;

GType test_key_add_get_type (void);
G_DEFINE_TYPE (TestKeyAdd, test_key_add, GST_TYPE_MST_TWO_INPUT);
#define TEST_KEY_ADD(obj) ((TestKeyAdd *) (obj))

static MstResult
key_add_configure (GstMstTwoInput * base, const GstAudioInfo * main,
    const GstAudioInfo * key)
{
  TestKeyAdd *self = TEST_KEY_ADD (base);
  self->main_channels = GST_AUDIO_INFO_CHANNELS (main);
  self->key_channels = GST_AUDIO_INFO_CHANNELS (key);
  self->configures++;
  return MST_OK;
}

static MstResult
key_add_apply (GstMstTwoInput * base, gconstpointer settings)
{
  TestKeyAdd *self = TEST_KEY_ADD (base);
  gdouble key_gain = ((const KeyAddSettings *) settings)->key_gain;
  /* A combination the core refuses though each value is in range: how the
   * base handles a refusal shows. */
  if (key_gain < KEY_GAIN_REFUSED_BELOW)
    return MST_ERR_INVALID_ARG;
  self->key_gain = key_gain;
  self->applies++;
  return MST_OK;
}

#define DEFINE_KEY_ADD(T, suffix) \
static MstResult \
key_add_process_##suffix (GstMstTwoInput * base, gpointer main_frames, \
    gconstpointer key_frames, gsize n_frames, gsize * n_out) \
{ \
  TestKeyAdd *self = TEST_KEY_ADD (base); \
  T *main = main_frames; \
  /* No sidechain: the main is its own key. */ \
  const T *key = key_frames ? key_frames : main; \
  const gint key_channels = key_frames ? self->key_channels : \
      self->main_channels; \
  fail_unless (n_frames <= GST_MST_TWO_INPUT_MAX_RUN); \
  for (gsize i = 0; i < n_frames; i++) { \
    const T k = key[i * key_channels]; \
    for (gint c = 0; c < self->main_channels; c++) { \
      if (!isfinite (main[i * self->main_channels + c])) \
        self->nonfinite++; \
      main[i * self->main_channels + c] += (T) self->key_gain * k; \
    } \
  } \
  *n_out = n_frames; \
  return MST_OK; \
}
DEFINE_KEY_ADD (gfloat, f32);
DEFINE_KEY_ADD (gdouble, f64);

static gsize
key_add_get_latency (G_GNUC_UNUSED GstMstTwoInput * base)
{
  return TEST_LATENCY_FRAMES;
}

static void
key_add_reset (GstMstTwoInput * base)
{
  TEST_KEY_ADD (base)->resets++;
}

static guint64
key_add_get_nonfinite_count (GstMstTwoInput * base)
{
  return TEST_KEY_ADD (base)->nonfinite;
}

static void
key_add_read_status (GstMstTwoInput * base, GstStructure * s)
{
  TestKeyAdd *self = TEST_KEY_ADD (base);
  self->statuses++;
  if (s)
    gst_structure_set (s, "status", G_TYPE_UINT, self->statuses, NULL);
}

enum
{
  PROP_0,
  PROP_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_KEY_GAIN,
};

static void
key_add_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  TestKeyAdd *self = TEST_KEY_ADD (object);
  GST_OBJECT_LOCK (self);
  if (prop_id == PROP_KEY_GAIN)
    self->settings.key_gain = g_value_get_double (value);
  else
    gst_mst_message_settings_set (&self->parent.messages, pspec, value);
  GST_OBJECT_UNLOCK (self);
}

static void
key_add_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  TestKeyAdd *self = TEST_KEY_ADD (object);
  GST_OBJECT_LOCK (self);
  if (prop_id == PROP_KEY_GAIN)
    g_value_set_double (value, self->settings.key_gain);
  else
    gst_mst_message_settings_get (&self->parent.messages, pspec, value);
  GST_OBJECT_UNLOCK (self);
}

static void
test_key_add_class_init (TestKeyAddClass * klass)
{
  GstMstTwoInputClass *two = GST_MST_TWO_INPUT_CLASS (klass);
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = key_add_set_property;
  gobject_class->get_property = key_add_get_property;
  gst_mst_install_message_properties (gobject_class, PROP_INTERVAL,
      PROP_POST_MESSAGES, GST_SECOND / 10, "Interval of the messages (ns)",
      "Post the messages");
  g_object_class_install_property (gobject_class, PROP_KEY_GAIN,
      g_param_spec_double ("key-gain", "Key gain", "Factor of the key added "
          "to the main", -10, 10, 1, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass),
      "Key add (test)", "Filter/Effect/Audio", "main + key[0]", "mastering");
  two->settings_offset = G_STRUCT_OFFSET (TestKeyAdd, settings);
  two->settings_size = sizeof (KeyAddSettings);
  two->configure = key_add_configure;
  two->apply = key_add_apply;
  two->refusal_hint = "key-gain under -5";
  two->process_f32 = key_add_process_f32;
  two->process_f64 = key_add_process_f64;
  two->get_latency = key_add_get_latency;
  two->reset = key_add_reset;
  two->get_nonfinite_count = key_add_get_nonfinite_count;
  two->read_status = key_add_read_status;
  two->message_name = "keyadd";
}

static void
test_key_add_init (TestKeyAdd * self)
{
  self->settings.key_gain = 1.0;
}

/* ---- helpers ---- */

static gchar *
caps_str (const gchar * format, gint rate, gint channels)
{
  /* Unpositioned channels: any count goes without a channel-mask. */
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d, channel-mask=(bitmask)0", format, rate,
      channels);
}

/* @n frames starting at running-time frame @start, channel 0 of frame k
 * holding value(@first + k), the other channels -value. */
static GstBuffer *
make_buffer (gboolean f64, gint channels, guint64 start, guint n,
    gdouble first, gdouble step)
{
  gsize width = f64 ? 8 : 4;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * channels * width, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    for (gint c = 0; c < channels; c++) {
      gdouble v = (first + step * i) * (c == 0 ? 1 : -1);
      if (f64)
        ((gdouble *) map.data)[i * channels + c] = v;
      else
        ((gfloat *) map.data)[i * channels + c] = (gfloat) v;
    }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (start, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (start + n, GST_SECOND,
      RATE) - GST_BUFFER_PTS (buf);
  return buf;
}

/* Pushes @main_items and @key_items from a thread each (a non-live
 * aggregator takes one buffer a pad at a time), waits for the EOS out, and
 * returns channel 0 of the output with its length in *n_out. */
static gdouble *
run (GstHarness * h, GstHarness * hk, GList * main_items, GList * key_items,
    gboolean f64, gint channels, gsize * n_out)
{
  MstPushJob jm = { h, main_items }, jk = { hk, key_items };
  GThread *tm = g_thread_new ("main", mst_push_thread, &jm);
  GThread *tk = hk ? g_thread_new ("key", mst_push_thread, &jk) : NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GstBuffer *buf;
  GstClockTime expected_pts = GST_CLOCK_TIME_NONE;

  mst_harness_wait_eos (h);
  g_thread_join (tm);
  if (tk)
    g_thread_join (tk);

  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gsize n;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    n = map.size / (channels * (f64 ? 8 : 4));
    /* Timestamps continue the main's. */
    if (GST_CLOCK_TIME_IS_VALID (expected_pts))
      fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), expected_pts);
    expected_pts = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    for (gsize i = 0; i < n; i++) {
      gdouble v = f64 ? ((gdouble *) map.data)[i * channels] :
          ((gfloat *) map.data)[i * channels];
      g_array_append_val (out, v);
    }
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  *n_out = out->len;
  return (gdouble *) g_array_free (out, FALSE);
}

/* Buffers of @size frames covering [@start, @start + @n), values
 * first + step * k, then EOS. */
static GList *
stream (gboolean f64, gint channels, guint64 start, guint n, guint size,
    gdouble first, gdouble step)
{
  GList *items = NULL;
  for (guint done = 0; done < n; done += size) {
    guint m = MIN (size, n - done);
    items = g_list_append (items, make_buffer (f64, channels, start + done, m,
            first + step * done, step));
  }
  return g_list_append (items, gst_event_new_eos ());
}

static GstElement *
new_element (void)
{
  return g_object_new (test_key_add_get_type (), NULL);
}

/* Harnesses on the main pad (with the src) and, when @sidechain, on a
 * requested sidechain pad; not live unless @live. */
static GstHarness *
new_harness (const gchar * format, gint channels, gint key_channels,
    gboolean sidechain, GstHarness ** hk)
{
  GstElement *el = new_element ();
  GstHarness *h = gst_harness_new_with_element (el, "sink", "src");
  gchar *caps = caps_str (format, RATE, channels);

  gst_object_unref (el);
  gst_harness_set_live (h, FALSE);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  *hk = NULL;
  if (sidechain) {
    *hk = gst_harness_new_with_element (h->element, "sidechain", NULL);
    gst_harness_set_live (*hk, FALSE);
    caps = caps_str (format, RATE, key_channels);
    gst_harness_set_src_caps_str (*hk, caps);
    g_free (caps);
  }
  return h;
}

static void
teardown (GstHarness * h, GstHarness * hk)
{
  if (hk)
    gst_harness_teardown (hk);
  gst_harness_teardown (h);
}

/* ---- tests ---- */

/* The sidechain starts @shift frames later (> 0) or earlier (< 0) than the
 * main by running time: main frame i gets key frame i - shift, silence
 * where there is none; as many frames out as the main's. */
static void
check_alignment (gboolean f64, gint shift)
{
  const gchar *format = f64 ? "F64LE" : "F32LE";
  const guint n_main = 9000, n_key = 9000;
  guint64 main_start = shift < 0 ? (guint64) - shift : 0;
  guint64 key_start = shift > 0 ? (guint64) shift : 0;
  GstHarness *hk, *h = new_harness (format, 2, 3, TRUE, &hk);
  gsize n_out;
  /* Main: zeros, so the output is the key (1, 2, 3, ... by key frame). */
  gdouble *out = run (h, hk, stream (f64, 2, main_start, n_main, 1000, 0, 0),
      stream (f64, 3, key_start, n_key, 700, 1, 1), f64, 2, &n_out);

  fail_unless_equals_uint64 (n_out, n_main);
  for (guint i = 0; i < n_main; i++) {
    gint64 k = (gint64) (main_start + i) - (gint64) key_start;
    gdouble expected = k >= 0 && k < n_key ? (gdouble) (k + 1) : 0.0;
    fail_unless (out[i] == expected, "%s shift %d: frame %u: %g, not %g",
        format, shift, i, out[i], expected);
  }
  fail_unless_equals_int (TEST_KEY_ADD (h->element)->key_channels, 3);
  g_free (out);
  teardown (h, hk);
}

GST_START_TEST (test_alignment)
{
  for (gint f = 0; f < 2; f++) {
    check_alignment (f, 1234);
    check_alignment (f, -1234);
    check_alignment (f, 0);
  }
}

GST_END_TEST;

/* Without a sidechain pad the key is the main itself. */
GST_START_TEST (test_internal_key)
{
  for (gint f = 0; f < 2; f++) {
    const gchar *format = f ? "F64LE" : "F32LE";
    GstHarness *hk, *h = new_harness (format, 2, 2, FALSE, &hk);
    gsize n_out;
    gdouble *out = run (h, NULL, stream (f, 2, 0, 5000, 1000, 1, 1), NULL, f,
        2, &n_out);

    fail_unless_equals_uint64 (n_out, 5000);
    for (guint i = 0; i < 5000; i++)
      fail_unless (out[i] == 2.0 * (i + 1), "%s frame %u: %g", format, i,
          out[i]);
    fail_unless_equals_int (TEST_KEY_ADD (h->element)->key_channels, 2);
    g_free (out);
    teardown (h, hk);
  }
}

GST_END_TEST;

/* Without a sidechain pad, once the stream's first events are handled,
 * a main buffer is processed in the pushing thread and comes out before
 * the push returns, as the same buffer (in place, no copy). */
GST_START_TEST (test_direct_path)
{
  GstHarness *hk, *h = new_harness ("F32LE", 2, 2, FALSE, &hk);
  const gsize n = 1024;
  guint in_place = 0;

  for (guint b = 0; b < 20; b++) {
    GstBuffer *buf = gst_harness_create_buffer (h, n * 2 * sizeof (gfloat));
    GstBuffer *out;
    GstMapInfo map;

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (b * n, GST_SECOND,
        RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (n, GST_SECOND,
        RATE);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (gsize i = 0; i < 2 * n; i++)
      ((gfloat *) map.data)[i] = (gfloat) (b * 2 * n + i);
    gst_buffer_unmap (buf, &map);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    /* The first goes through the aggregator's thread (the stream's events
     * are queued ahead of it): waited for. */
    if (b > 0)
      fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
    out = gst_harness_pull (h);
    in_place += out == buf;
    gst_buffer_map (out, &map, GST_MAP_READ);
    for (gsize i = 0; i < 2 * n; i++)
      /* out = main + the key's channel 0, the key the main itself. */
      fail_unless (((gfloat *) map.data)[i] == (gfloat) (b * 2 * n + i)
          + (gfloat) (b * 2 * n + i - i % 2),
          "buffer %u sample %" G_GSIZE_FORMAT ": %g", b, i,
          ((gfloat *) map.data)[i]);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  /* All but the first in place. */
  fail_unless_equals_int (in_place, 19);
  teardown (h, hk);
}

GST_END_TEST;

/* A sidechain that ends first leaves a silent key, and every main frame
 * still comes out; a GAP buffer on the sidechain is silence. */
GST_START_TEST (test_sidechain_eos_and_gap)
{
  for (gint f = 0; f < 2; f++) {
    GstHarness *hk, *h = new_harness (f ? "F64LE" : "F32LE", 1, 1, TRUE, &hk);
    GList *key = NULL;
    GstBuffer *gap = make_buffer (f, 1, 1000, 1000, 5, 0);
    gsize n_out;
    gdouble *out;

    GST_BUFFER_FLAG_SET (gap, GST_BUFFER_FLAG_GAP);
    key = g_list_append (key, make_buffer (f, 1, 0, 1000, 1, 0));
    key = g_list_append (key, gap);
    key = g_list_append (key, make_buffer (f, 1, 2000, 1000, 1, 0));
    key = g_list_append (key, gst_event_new_eos ());
    out = run (h, hk, stream (f, 1, 0, 8000, 1024, 0, 0), key, f, 1, &n_out);

    fail_unless_equals_uint64 (n_out, 8000);
    for (guint i = 0; i < 8000; i++) {
      gdouble expected = i < 1000 || (i >= 2000 && i < 3000) ? 1.0 : 0.0;
      fail_unless (out[i] == expected, "frame %u: %g", i, out[i]);
    }
    g_free (out);
    teardown (h, hk);
  }
}

GST_END_TEST;

/* The NEGOTIATION error for a 44.1 kHz sidechain under a 48 kHz main: it
 * says what to do and what is accepted. */
static void
check_rate_refused (GstBus * bus)
{
  GstMessage *msg =
      gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  GError *err;
  gchar *debug;

  fail_unless (msg != NULL, "no error for a 44.1 kHz sidechain");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  fail_unless (strstr (err->message, "audioresample") != NULL, "%s",
      err->message);
  fail_unless (debug && strstr (debug, "accepted") && strstr (debug, "48000"),
      "%s", debug);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
}

/* A sidechain whose upstream cannot give the main's rate: refused at
 * once. */
GST_START_TEST (test_rate_refused)
{
  GstElement *pipe;
  GstBus *bus;

  gst_element_register (NULL, "testkeyadd", GST_RANK_NONE,
      test_key_add_get_type ());
  pipe = gst_parse_launch ("audiotestsrc num-buffers=10 ! audio/x-raw, "
      "format=F32LE, rate=48000, channels=2 ! testkeyadd name=c ! fakesink "
      "audiotestsrc num-buffers=10 ! audio/x-raw, format=F32LE, rate=44100, "
      "channels=2 ! c.sidechain", NULL);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  check_rate_refused (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* A sidechain whose upstream says it takes the main's rate but keeps its
 * own: its audio is silence for a second, then it is refused. */
GST_START_TEST (test_rate_refused_after_a_second)
{
  GstHarness *hk, *h = new_harness ("F32LE", 2, 2, FALSE, &hk);
  GstBus *bus = gst_bus_new ();
  MstPushJob jm = { h, stream (FALSE, 2, 0, 2 * RATE, 4800, 0, 0) }, jk;
  GThread *tm, *tk;
  gchar *caps = caps_str ("F32LE", 44100, 2);

  gst_element_set_bus (h->element, bus);
  hk = gst_harness_new_with_element (h->element, "sidechain", NULL);
  gst_harness_set_live (hk, FALSE);
  gst_harness_set_src_caps_str (hk, caps);
  g_free (caps);
  jk.h = hk;
  jk.items = stream (FALSE, 2, 0, 2 * RATE, 4410, 1, 0);
  tm = g_thread_new ("main", mst_push_thread, &jm);
  tk = g_thread_new ("key", mst_push_thread, &jk);
  check_rate_refused (bus);
  g_thread_join (tm);
  g_thread_join (tk);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h, hk);
}

GST_END_TEST;

/* Caps outside the conventions on the main: the pack's NEGOTIATION
 * error. */
GST_START_TEST (test_caps_refused)
{
  fail_unless (gst_element_register (NULL, "testkeyadd", GST_RANK_NONE,
          test_key_add_get_type ()));
  mst_check_caps_refused ("testkeyadd");
}

GST_END_TEST;

/* The sidechain's caps query offers the main's rate and format first. */
GST_START_TEST (test_sidechain_caps_preference)
{
  GstHarness *hk, *h = new_harness ("F64LE", 2, 1, TRUE, &hk);
  GstPad *pad = gst_element_get_static_pad (h->element, "sidechain");
  GstCaps *caps;
  GstStructure *s;
  gint rate;

  caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_get_int (s, "rate", &rate));
  fail_unless_equals_int (rate, RATE);
  fail_unless_equals_string (gst_structure_get_string (s, "format"), "F64LE");
  gst_caps_unref (caps);
  gst_object_unref (pad);
  teardown (h, hk);
}

GST_END_TEST;

/* A flush while a main buffer waits for its key: it is dropped, the core
 * reset, and the stream after the flush is aligned afresh. */
GST_START_TEST (test_flush)
{
  GstHarness *hk, *h = new_harness ("F32LE", 1, 1, TRUE, &hk);
  TestKeyAdd *el = TEST_KEY_ADD (h->element);
  GstSegment segment;
  guint32 seqnum = gst_util_seqnum_next ();
  GstEvent *ev;
  guint resets;
  gsize n_out;
  gdouble *out;

  gst_harness_push (h, make_buffer (FALSE, 1, 0, 1000, 0, 0));
  gst_harness_push (hk, make_buffer (FALSE, 1, 0, 500, 3, 0));
  /* The first 500 frames are processed, the rest waits for the key. */
  for (gint i = 0; i < 1000 && g_atomic_int_get (&el->configures) == 0; i++)
    g_usleep (10 * 1000);
  g_usleep (50 * 1000);
  fail_unless (el->configures > 0);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  resets = el->resets;

  ev = gst_event_new_flush_start ();
  gst_event_set_seqnum (ev, seqnum);
  gst_harness_push_event (h, gst_event_ref (ev));
  gst_harness_push_event (hk, ev);
  ev = gst_event_new_flush_stop (TRUE);
  gst_event_set_seqnum (ev, seqnum);
  gst_harness_push_event (h, gst_event_ref (ev));
  gst_harness_push_event (hk, ev);
  fail_unless (el->resets > resets);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  gst_harness_push_event (hk, gst_event_new_segment (&segment));
  out = run (h, hk, stream (FALSE, 1, 0, 2000, 1000, 0, 0),
      stream (FALSE, 1, 0, 2000, 600, 7, 0), FALSE, 1, &n_out);
  fail_unless_equals_uint64 (n_out, 2000);
  for (guint i = 0; i < 2000; i++)
    fail_unless (out[i] == 7.0, "frame %u: %g", i, out[i]);
  g_free (out);
  teardown (h, hk);
}

GST_END_TEST;

/* Interval messages with the main's times and the subclass's status; one
 * warning for the non-finite input. */
GST_START_TEST (test_messages_and_nonfinite)
{
  GstHarness *hk, *h = new_harness ("F64LE", 1, 1, FALSE, &hk);
  GstBus *bus = gst_bus_new ();
  GList *items = stream (TRUE, 1, 0, 9600, 1000, 0, 0);
  GstBuffer *first = items->data;
  GstMapInfo map;
  GstMessage *msg;
  guint messages = 0, warnings = 0;
  gsize n_out;

  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "interval", (guint64) 50 * GST_MSECOND, NULL);
  gst_buffer_map (first, &map, GST_MAP_WRITE);
  ((gdouble *) map.data)[10] = NAN;
  ((gdouble *) map.data)[20] = INFINITY;
  gst_buffer_unmap (first, &map);
  g_free (run (h, NULL, items, NULL, TRUE, 1, &n_out));
  fail_unless_equals_uint64 (n_out, 9600);

  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure *s = gst_message_get_structure (msg);
      guint64 rt, duration;
      guint status;
      gboolean final;
      messages++;
      fail_unless (gst_structure_has_name (s, "keyadd"));
      fail_unless (gst_structure_get_uint64 (s, "running-time", &rt));
      fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
      fail_unless (gst_structure_get_uint (s, "status", &status));
      fail_unless (gst_structure_get_boolean (s, "final", &final));
      fail_unless_equals_int (status, messages);
      if (messages <= 4) {
        fail_unless (!final);
        fail_unless_equals_uint64 (rt, messages * 50 * GST_MSECOND);
        fail_unless_equals_uint64 (duration, 50 * GST_MSECOND);
      } else {
        /* At EOS, the interval so far (here none). */
        fail_unless (final);
        fail_unless_equals_uint64 (rt, 200 * GST_MSECOND);
        fail_unless_equals_uint64 (duration, 0);
      }
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      warnings++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (messages, 5);
  fail_unless_equals_int (warnings, 1);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h, hk);
}

GST_END_TEST;

static void
count_handoff (G_GNUC_UNUSED GstElement * sink, GstBuffer * buf,
    G_GNUC_UNUSED GstPad * pad, gpointer data)
{
  *(gsize *) data += gst_buffer_get_size (buf);
}

/* As gst-launch users write it: the sidechain pad requested by name, its
 * source following the main's rate and format; every main frame out. */
GST_START_TEST (test_launch_line)
{
  GError *error = NULL;
  GstElement *pipe, *sink;
  GstBus *bus;
  GstMessage *msg;
  gsize bytes = 0;

  fail_unless (gst_element_register (NULL, "testkeyadd", GST_RANK_NONE,
          test_key_add_get_type ()));
  pipe = gst_parse_launch ("audiotestsrc num-buffers=20 samplesperbuffer=1000 "
      "! audio/x-raw, format=F64LE, rate=44100, channels=2 ! testkeyadd "
      "name=c ! fakesink name=out signal-handoffs=true "
      "audiotestsrc num-buffers=5 ! audio/x-raw, channels=1 ! c.sidechain",
      &error);
  fail_unless (pipe != NULL && error == NULL, "%s",
      error ? error->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  g_signal_connect (sink, "handoff", G_CALLBACK (count_handoff), &bytes);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (bytes, 20 * 1000 * 2 * sizeof (gdouble));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* A sidechain that negotiates before the main, at another rate and
 * format: asked to negotiate again, it follows the main; no error, every
 * main frame out, less than a second of its start lost. */
GST_START_TEST (test_sidechain_renegotiates)
{
  GError *error = NULL;
  GstElement *pipe, *main_src, *sink, *el;
  GstBus *bus;
  GstMessage *msg;
  gsize bytes = 0;
  guint64 missing;

  gst_element_register (NULL, "testkeyadd", GST_RANK_NONE,
      test_key_add_get_type ());
  pipe = gst_parse_launch ("audiotestsrc name=main num-buffers=50 "
      "samplesperbuffer=960 ! audio/x-raw, rate=48000, channels=2 ! "
      "testkeyadd name=c ! fakesink name=out signal-handoffs=true "
      "audiotestsrc num-buffers=100 ! c.sidechain", &error);
  fail_unless (pipe != NULL && error == NULL, "%s",
      error ? error->message : "");
  main_src = gst_bin_get_by_name (GST_BIN (pipe), "main");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  el = gst_bin_get_by_name (GST_BIN (pipe), "c");
  g_signal_connect (sink, "handoff", G_CALLBACK (count_handoff), &bytes);
  bus = gst_element_get_bus (pipe);

  /* The sidechain first: it picks 44.1 kHz, the main's rate is unknown. */
  gst_element_set_locked_state (main_src, TRUE);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_usleep (200 * 1000);
  gst_element_set_locked_state (main_src, FALSE);
  gst_element_sync_state_with_parent (main_src);

  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (bytes, 50 * 960 * 2 * sizeof (gfloat));
  fail_unless_equals_int (TEST_KEY_ADD (el)->key_channels, 1);
  g_object_get (el, "missing-key-frames", &missing, NULL);
  fail_unless (missing < RATE, "%" G_GUINT64_FORMAT " frames lost", missing);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (main_src);
  gst_object_unref (sink);
  gst_object_unref (el);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* Settings reach the core through the snapshot; automation is followed
 * every control_frames, at the stream time of each run's first frame. */
GST_START_TEST (test_settings_and_automation)
{
  for (gint automated = 0; automated < 2; automated++) {
    GstHarness *hk, *h = new_harness ("F64LE", 1, 1, FALSE, &hk);
    const guint n = 9600, size = 1000;
    gsize n_out;
    gdouble *out;

    /* No interval boundary in the stream: runs start every 64 frames from
     * each buffer's start. */
    g_object_set (h->element, "key-gain", 2.0, "interval",
        (guint64) 10 * GST_SECOND, NULL);
    if (automated) {
      GstControlSource *cs = gst_interpolation_control_source_new ();
      g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
      gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
          0, 0.0);
      gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
          GST_SECOND, 1.0);
      gst_object_add_control_binding (GST_OBJECT (h->element),
          gst_direct_control_binding_new_absolute (GST_OBJECT (h->element),
              "key-gain", cs));
      gst_object_unref (cs);
    }
    /* Main 1.0 everywhere, its own key: out = 1 + gain. */
    out = run (h, NULL, stream (TRUE, 1, 0, n, size, 1, 0), NULL, TRUE, 1,
        &n_out);
    fail_unless_equals_uint64 (n_out, n);
    for (guint i = 0; i < n; i++) {
      gdouble gain = 2.0;
      if (automated) {
        guint in_buf = i % size, run_start = in_buf - in_buf % 64;
        GstClockTime t = gst_util_uint64_scale (i - in_buf, GST_SECOND, RATE)
            + gst_util_uint64_scale_int (run_start, GST_SECOND, RATE);
        gain = (gdouble) t / GST_SECOND;
      }
      fail_unless (fabs (out[i] - (1.0 + gain)) < 1e-9,
          "automated %d, frame %u: %.12f, not %.12f", automated, i, out[i],
          1.0 + gain);
    }
    g_free (out);
    teardown (h, hk);
  }
}

GST_END_TEST;

/* A key gain the test core refuses, reached by automation: the gain holds
 * the last accepted value while the curve stays in the refused range (set
 * back at each run, the refusal warned about once, naming the value and
 * the one in use), and the property reads that value back. */
GST_START_TEST (test_refused_settings)
{
  GstHarness *hk, *h = new_harness ("F64LE", 1, 1, FALSE, &hk);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstBus *bus = gst_bus_new ();
  const guint n = 9600, size = 1000;
  gdouble applied = 0.0, read_back;
  guint warnings = 0;
  GstMessage *msg;
  gsize n_out;
  gdouble *out;

  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "interval", (guint64) 10 * GST_SECOND, NULL);
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
      0, 0.0);
  gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
      GST_SECOND / 10, -10.0);
  gst_object_add_control_binding (GST_OBJECT (h->element),
      gst_direct_control_binding_new_absolute (GST_OBJECT (h->element),
          "key-gain", cs));
  /* Main 1.0 everywhere, its own key: out = 1 + the gain in use. */
  out = run (h, NULL, stream (TRUE, 1, 0, n, size, 1, 0), NULL, TRUE, 1,
      &n_out);
  fail_unless_equals_uint64 (n_out, n);
  for (guint i = 0; i < n; i++) {
    guint in_buf = i % size, run_start = in_buf - in_buf % 64;
    if (in_buf == run_start) {
      GstClockTime t = gst_util_uint64_scale (i - in_buf, GST_SECOND, RATE)
          + gst_util_uint64_scale_int (run_start, GST_SECOND, RATE);
      gdouble curve;
      fail_unless (gst_control_source_get_value (cs, t, &curve));
      if (curve >= KEY_GAIN_REFUSED_BELOW)
        applied = curve;
    }
    fail_unless (fabs (out[i] - (1.0 + applied)) < 1e-9,
        "frame %u: %.12f, not %.12f", i, out[i], 1.0 + applied);
  }
  fail_unless (applied > KEY_GAIN_REFUSED_BELOW - 1e-9 && applied < -4.0);
  g_object_get (h->element, "key-gain", &read_back, NULL);
  fail_unless_equals_float (read_back, applied);

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err;
    gchar *debug;
    gst_message_parse_warning (msg, &err, &debug);
    fail_unless (g_error_matches (err, GST_LIBRARY_ERROR,
            GST_LIBRARY_ERROR_SETTINGS), "%s", err->message);
    fail_unless (strstr (err->message, "key-gain=-")
        && strstr (err->message, "in use"), "%s", err->message);
    fail_unless (strstr (debug, "under -5"), "%s", debug);
    warnings++;
    g_error_free (err);
    g_free (debug);
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 1);
  gst_object_unref (cs);
  g_free (out);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h, hk);
}

GST_END_TEST;

/* The subclass's latency is added to upstream's. */
GST_START_TEST (test_latency_query)
{
  GstHarness *hk, *h = new_harness ("F32LE", 2, 2, TRUE, &hk);
  gst_harness_push (h, make_buffer (FALSE, 2, 0, 100, 0, 0));
  gst_harness_push (hk, make_buffer (FALSE, 2, 0, 100, 0, 0));
  gst_buffer_unref (gst_harness_pull (h));
  fail_unless_equals_uint64 (gst_harness_query_latency (h),
      gst_util_uint64_scale_int (TEST_LATENCY_FRAMES, GST_SECOND, RATE));
  teardown (h, hk);
}

GST_END_TEST;

/* Live: a sidechain that never delivers does not hold the main past the
 * latency; its frames count as missing, with one warning. */
static GstClockTime max_lateness;
static guint64 out_frames_seen;

static GstPadProbeReturn
lateness_probe (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstElement *el = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClock *clock = gst_element_get_clock (el);
  GstClockTime now, end;

  out_frames_seen += gst_buffer_get_size (buf) / sizeof (gfloat);
  if (clock == NULL)
    return GST_PAD_PROBE_OK;
  now = gst_clock_get_time (clock) - gst_element_get_base_time (el);
  end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  if (now > end)
    max_lateness = MAX (max_lateness, now - end);
  gst_object_unref (clock);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_live_sidechain_stalls)
{
  const guint buffers = 40, frames = 480;
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstElement *el = new_element ();
  GstElement *key = gst_element_factory_make ("appsrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstCaps *caps;
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;
  guint warnings = 0;
  guint64 missing;
  gchar *str;

  fail_unless (src && filter && key && sink);
  str = caps_str ("F32LE", RATE, 1);
  caps = gst_caps_from_string (str);
  g_free (str);
  g_object_set (src, "is-live", TRUE, "num-buffers", buffers,
      "samplesperbuffer", frames, "wave", 4 /* silence */ , NULL);
  g_object_set (filter, "caps", caps, NULL);
  g_object_set (key, "is-live", TRUE, "format", GST_FORMAT_TIME, "caps", caps,
      "min-latency", G_GINT64_CONSTANT (0), "max-latency", (gint64) GST_SECOND,
      NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipe), src, filter, el, key, sink, NULL);
  fail_unless (gst_element_link_many (src, filter, el, sink, NULL));
  fail_unless (gst_element_link_pads (key, "src", el, "sidechain"));
  pad = gst_element_get_static_pad (el, "src");
  max_lateness = 0;
  out_frames_seen = 0;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, lateness_probe, el,
      NULL);
  gst_object_unref (pad);

  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_WARNING) {
      GError *err;
      gst_message_parse_warning (msg, &err, NULL);
      if (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED)
          && strstr (err->message, "sidechain"))
        warnings++;
      g_error_free (err);
    }
    gst_message_unref (msg);
    fail_if (type == GST_MESSAGE_ERROR);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  fail_unless (msg != NULL, "no EOS: the stalled sidechain held the main");
  g_object_get (el, "missing-key-frames", &missing, NULL);
  fail_unless_equals_uint64 (out_frames_seen, (guint64) buffers * frames);
  fail_unless_equals_uint64 (missing, (guint64) buffers * frames);
  fail_unless_equals_int (warnings, 1);
  /* The aggregator's latency: the main's buffer (10 ms) plus the test
   * subclass's; a loaded machine is given 300 ms more. */
  fail_unless (max_lateness < 10 * GST_MSECOND + gst_util_uint64_scale_int
      (TEST_LATENCY_FRAMES, GST_SECOND, RATE) + 300 * GST_MSECOND,
      "output %" GST_TIME_FORMAT " late", GST_TIME_ARGS (max_lateness));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

static Suite *
twoinput_suite (void)
{
  Suite *s = suite_create ("twoinput");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_alignment);
  tcase_add_test (tc, test_internal_key);
  tcase_add_test (tc, test_direct_path);
  tcase_add_test (tc, test_sidechain_eos_and_gap);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_rate_refused);
  tcase_add_test (tc, test_rate_refused_after_a_second);
  tcase_add_test (tc, test_sidechain_caps_preference);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_messages_and_nonfinite);
  tcase_add_test (tc, test_settings_and_automation);
  tcase_add_test (tc, test_refused_settings);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_launch_line);
  tcase_add_test (tc, test_sidechain_renegotiates);
  tcase_add_test (tc, test_live_sidechain_stalls);
  return s;
}

GST_CHECK_MAIN (twoinput);
