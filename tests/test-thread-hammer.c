/* Thread hammer: three setter threads write the properties of every element
 * of the plugin (eq, limiter, loudmeter, loudnorm and the master bin) while
 * a pipeline plays a tone through all of them, as fast as it can.
 *
 * The threads run in rounds; between rounds they are stopped and the main
 * thread checks that every property reads back what was last set, and that
 * the master bin's children hold what the bin reports (issue 13, item 2:
 * the bin used to write its children after dropping its lock, so a stale
 * snapshot could land last). After the run: no output sample is
 * non-finite, and none jumps (a click).
 *
 * Each property is written by one thread only, so "what was last set" is
 * defined; the master bin's properties are spread over the three threads,
 * and each write of one of them rewrites the children from the whole
 * settings, which is where the writes race. */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "mst-dither.h"

#define RATE 48000
#define CHANNELS 2
#define TONE_HZ 1000.0
/* -6 dBFS: the limiters work whenever the hammered gains push it up. */
#define TONE_AMP 0.5
#define N_THREADS 3
/* Rounds, and writes per thread and round. The master that wrote its
 * children after dropping its lock left them inconsistent after 39 % to
 * 58 % of the rounds (eight runs of 200 under meson test), so 200 rounds
 * fail it every time; the run takes a few seconds. */
#define N_ROUNDS 200
#define WRITES_PER_ROUND 24

typedef struct
{
  /* factory; the pipeline names it "top-<factory>" (the master bin's
   * children have the plain names) */
  const gchar *element;
  const gchar *path;            /* property, child::property for a child's */
  /* Range of the values written, narrower than the property's own so the
   * output stays a tone under a bounded gain (see the click check); @step
   * > 0: only lo + k * step (booleans, enums, integers). */
  gdouble lo, hi, step;
} Prop;

/* Property i is written by thread i % N_THREADS. */
static const Prop props[] = {
  {"eq", "gain", -6.0, 0.0, 0},
  {"eq", "band0::gain", -6.0, 6.0, 0},
  {"eq", "band0::freq", 200.0, 4000.0, 0},
  {"eq", "band1::gain", -6.0, 6.0, 0},
  {"eq", "band1::q", 0.5, 4.0, 0},
  {"eq", "bypass", 0, 1, 1},
  {"limiter", "ceiling", -12.0, -0.5, 0},
  {"limiter", "input-gain", -6.0, 6.0, 0},
  {"limiter", "release", 20.0, 500.0, 0},
  {"limiter", "link", 0.0, 100.0, 0},
  {"limiter", "auto-release", 0, 1, 1},
  {"limiter", "true-peak", 0, 1, 1},
  {"limiter", "bypass", 0, 1, 1},
  {"loudmeter", "interval", 50e6, 1e9, 50e6},
  {"loudmeter", "post-messages", 0, 1, 1},
  {"loudnorm", "target", -30.0, -14.0, 0},
  {"loudnorm", "max-gain", 0.0, 6.0, 0},
  {"loudnorm", "min-gain", -30.0, -10.0, 0},
  {"loudnorm", "ceiling", -12.0, -0.5, 0},
  {"loudnorm", "max-slew", 1.0, 10.0, 0},
  {"loudnorm", "window", 2.0, 30.0, 0},
  {"loudnorm", "bypass", 0, 1, 1},
  /* The bin's own, one per thread (normalize with the ceiling), then one
   * of its children's reached through it. */
  {"master", "ceiling", -12.0, -0.5, 0},
  {"master", "loudness", -30.0, -14.0, 0},
  /* Targets 0 to 5: the sixth, cd, changes the bin's output format (S16LE
   * at 44.1 kHz), a renegotiation mid-stream that test-master's
   * test_cd_target checks; here the output stays the float tone. */
  {"master", "target", 0, 5, 1},
  {"master", "normalize", 0, 1, 1},
  {"master", "eq::gain", -6.0, 0.0, 0},
};


typedef struct
{
  GstElement *pipeline;
  GstElement *elements[G_N_ELEMENTS (props)];
  /* Last value each property was set to (by its thread, read by the main
   * thread after the join). */
  gdouble last[G_N_ELEMENTS (props)];
  gboolean written[G_N_ELEMENTS (props)];
  /* Threads at the start gate, and at the gate before the last write. */
  gint started, finishing;
  guint round;
} Hammer;

typedef struct
{
  Hammer *hammer;
  guint index;
} Setter;

/* The object and param spec of @path on @element (a child's through the
 * child proxy). */
static GObject *
lookup (GstElement * element, const gchar * path, GParamSpec ** pspec)
{
  GObject *target = NULL;
  if (GST_IS_CHILD_PROXY (element)) {
    fail_unless (gst_child_proxy_lookup (GST_CHILD_PROXY (element), path,
            &target, pspec), "no property %s", path);
    return target;
  }
  *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element), path);
  fail_unless (*pspec != NULL, "no property %s", path);
  return g_object_ref (G_OBJECT (element));
}

static void
set_number (GstElement * element, const gchar * path, gdouble x)
{
  GParamSpec *pspec;
  GObject *target = lookup (element, path, &pspec);
  GValue v = G_VALUE_INIT;
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  g_value_init (&v, type);
  if (type == G_TYPE_DOUBLE)
    g_value_set_double (&v, x);
  else if (type == G_TYPE_BOOLEAN)
    g_value_set_boolean (&v, x != 0.0);
  else if (type == G_TYPE_UINT64)
    g_value_set_uint64 (&v, (guint64) x);
  else if (G_TYPE_IS_ENUM (type))
    g_value_set_enum (&v, (gint) x);
  else
    fail ("%s: type %s not handled", path, g_type_name (type));
  g_object_set_property (target, pspec->name, &v);
  g_value_unset (&v);
  g_object_unref (target);
}

static gdouble
get_number (GstElement * element, const gchar * path)
{
  GParamSpec *pspec;
  GObject *target = lookup (element, path, &pspec);
  GValue v = G_VALUE_INIT;
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gdouble x = NAN;

  g_value_init (&v, type);
  g_object_get_property (target, pspec->name, &v);
  if (type == G_TYPE_DOUBLE)
    x = g_value_get_double (&v);
  else if (type == G_TYPE_BOOLEAN)
    x = g_value_get_boolean (&v);
  else if (type == G_TYPE_UINT64)
    x = (gdouble) g_value_get_uint64 (&v);
  else if (G_TYPE_IS_ENUM (type))
    x = g_value_get_enum (&v);
  g_value_unset (&v);
  g_object_unref (target);
  return x;
}

static gboolean
is_bin_setting (guint i)
{
  return !strcmp (props[i].element, "master") && !strchr (props[i].path, ':');
}

/* Waits until every setter thread has reached the gate @count counts. */
static void
gate (gint * count)
{
  g_atomic_int_inc (count);
  while (g_atomic_int_get (count) < N_THREADS)
    g_thread_yield ();
}

static void
write_random (Hammer * hm, GRand * rand, guint i)
{
  const Prop *p = &props[i];
  gdouble x = p->step > 0 ? p->lo + p->step * g_rand_int_range (rand, 0,
      (gint32) lround ((p->hi - p->lo) / p->step) + 1) :
      g_rand_double_range (rand, p->lo, p->hi);
  set_number (hm->elements[i], p->path, x);
  hm->last[i] = x;
  hm->written[i] = TRUE;
}

static gpointer
setter_thread (gpointer data)
{
  Setter *setter = data;
  Hammer *hm = setter->hammer;
  /* Reproducible per thread and round; the interleaving is not. */
  GRand *rand = g_rand_new_with_seed (hm->round * N_THREADS + setter->index);
  guint owned[G_N_ELEMENTS (props)], n_owned = 0;
  guint bin[G_N_ELEMENTS (props)], n_bin = 0;

  for (guint i = setter->index; i < G_N_ELEMENTS (props); i += N_THREADS) {
    owned[n_owned++] = i;
    if (is_bin_setting (i))
      bin[n_bin++] = i;
  }
  fail_unless (n_bin > 0, "thread %u writes none of the bin's settings",
      setter->index);
  /* All threads start writing together, so their writes overlap. */
  gate (&hm->started);
  for (guint w = 0; w < WRITES_PER_ROUND; w++)
    write_random (hm, rand, owned[g_rand_int_range (rand, 0,
                (gint32) n_owned)]);
  /* The round ends with one write of the bin's settings by every thread at
   * once: the last writes race (with a race in between, a later write
   * mends what an earlier one left). */
  gate (&hm->finishing);
  write_random (hm, rand, bin[g_rand_int_range (rand, 0, (gint32) n_bin)]);
  g_rand_free (rand);
  return NULL;
}

/* What a delivery target sets the bin's ceiling, loudness and normalize
 * to (read from a bin of our own; the figures for 2 channels, as in the
 * pipeline). */
static void
target_figures (gint target, gdouble * ceiling, gdouble * loudness,
    gdouble * normalize)
{
  GstElement *scratch = gst_element_factory_make ("master", NULL);
  gboolean on;
  g_object_set (scratch, "target", target, NULL);
  g_object_get (scratch, "ceiling", ceiling, "loudness", loudness,
      "normalize", &on, NULL);
  *normalize = on;
  gst_object_unref (scratch);
}

/* The limiter ceiling the bin writes for @ceiling: lowered, when its
 * output is integers (the cd target), by twice the largest error of the
 * dither child that follows the limiter (gstmstmaster.c). */
static gdouble
limiter_ceiling_for (GstElement * master, gdouble ceiling)
{
  GstPad *src = gst_element_get_static_pad (master, "src");
  GstCaps *caps = gst_pad_get_current_caps (src);
  GstAudioInfo info;
  gdouble out = ceiling;

  if (caps && gst_audio_info_from_caps (&info, caps)
      && GST_AUDIO_INFO_IS_INTEGER (&info))
    out = mst_lin_to_db (mst_db_to_lin (ceiling) - 2.0
        * mst_dither_peak_error ((MstDitherShaping) get_number (master,
                "dither::noise-shaping"), GST_AUDIO_INFO_RATE (&info),
            GST_AUDIO_INFO_WIDTH (&info), get_number (master,
                "dither::bypass") != 0));
  if (caps)
    gst_caps_unref (caps);
  gst_object_unref (src);
  return out;
}

/* The children of the master bin hold what the bin reports. Returns a
 * description of the first difference, NULL when there is none. */
static gchar *
master_inconsistency (GstElement * master)
{
  gdouble ceiling, loudness;
  gboolean normalize;
  g_object_get (master, "ceiling", &ceiling, "loudness", &loudness,
      "normalize", &normalize, NULL);
  gdouble limiter_ceiling = get_number (master, "limiter::ceiling");
  gdouble loudnorm_ceiling = get_number (master, "loudnorm::ceiling");
  gdouble mode = get_number (master, "loudnorm::mode");
  /* No loudness target (cd) reads as 0 LUFS, never written here (the
   * threads write -30 to -14): then the bin holds loudnorm at unity. */
  gboolean live = normalize && loudness != 0.0;

  if (limiter_ceiling != limiter_ceiling_for (master, ceiling))
    return g_strdup_printf ("limiter::ceiling %.3f, bin's ceiling %.3f "
        "(%.3f with the dither's margin)", limiter_ceiling, ceiling,
        limiter_ceiling_for (master, ceiling));
  if (loudnorm_ceiling != ceiling)
    return g_strdup_printf ("loudnorm::ceiling %.3f, bin's ceiling %.3f",
        loudnorm_ceiling, ceiling);
  if (mode != (live ? 0 : 1))
    return g_strdup_printf ("loudnorm::mode %g, bin's normalize %d",
        mode, live);
  if (live && get_number (master, "loudnorm::target") != loudness)
    return g_strdup_printf ("loudnorm::target %.3f, bin's loudness %.3f",
        get_number (master, "loudnorm::target"), loudness);
  if (!live && get_number (master, "loudnorm::gain") != 0.0)
    return g_strdup_printf ("loudnorm::gain %.3f with normalize off",
        get_number (master, "loudnorm::gain"));
  return NULL;
}

static guint
prop_index (const gchar * element, const gchar * path)
{
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    if (!strcmp (props[i].element, element) && !strcmp (props[i].path, path))
      return i;
  fail ("no %s::%s in the table", element, path);
  return 0;
}

/* Every property written so far reads back what its thread last set. The
 * bin's ceiling, loudness and normalize are also set by its target, and
 * normalize by a loudness, written by other threads: those read back one of
 * the last writes that set them. */
static void
check_read_back (Hammer * hm)
{
  guint ceiling = prop_index ("master", "ceiling");
  guint loudness = prop_index ("master", "loudness");
  guint normalize = prop_index ("master", "normalize");
  guint target = prop_index ("master", "target");
  gdouble t_ceiling = NAN, t_loudness = NAN, t_normalize = NAN;

  if (hm->written[target])
    target_figures ((gint) hm->last[target], &t_ceiling, &t_loudness,
        &t_normalize);
  for (guint i = 0; i < G_N_ELEMENTS (props); i++) {
    if (!hm->written[i])
      continue;
    gdouble got = get_number (hm->elements[i], props[i].path);
    gdouble want = hm->last[i];
    gdouble alt[2] = { want, want };
    if (i == ceiling)
      alt[0] = t_ceiling;
    else if (i == loudness)
      alt[0] = t_loudness;
    else if (i == normalize) {
      alt[0] = t_normalize;
      alt[1] = hm->written[loudness] ? 1.0 : want;
    }
    fail_unless (got == want || got == alt[0] || got == alt[1],
        "round %u: %s::%s reads %g, last set %g (others that set it: %g, "
        "%g)", hm->round, props[i].element, props[i].path, got, want,
        alt[0], alt[1]);
  }
}

/* ---- The output, watched by pad probes. ------------------------------- */

typedef struct
{
  gfloat prev[CHANNELS];
  gboolean have_prev;
  gdouble max_step;             /* largest |x[n] - x[n-1]| in a channel */
  guint64 n_frames, n_nonfinite;
} Watch;

static GstPadProbeReturn
watch_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Watch *w = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  (void) pad;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  const gfloat *x = (const gfloat *) map.data;
  gsize n = map.size / (sizeof (gfloat) * CHANNELS);
  for (gsize f = 0; f < n; f++) {
    for (guint c = 0; c < CHANNELS; c++) {
      gfloat s = x[f * CHANNELS + c];
      if (!isfinite (s)) {
        w->n_nonfinite++;
        continue;
      }
      if (w->have_prev)
        w->max_step = MAX (w->max_step, fabs ((gdouble) s - w->prev[c]));
      w->prev[c] = s;
    }
    w->have_prev = TRUE;
  }
  w->n_frames += n;
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

static void
watch_pad (GstElement * pipeline, const gchar * element, const gchar * pad,
    Watch * w)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p = gst_element_get_static_pad (e, pad);
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, watch_probe, w, NULL);
  gst_object_unref (p);
  gst_object_unref (e);
}

/* An application watching the settings (gst-launch -v prints them from
 * deep-notify): the handler runs in the setting thread, within the master
 * bin's writes to its children, and takes its time, from nothing to
 * 100 us as a log write or a preemption might. That turns the short window
 * between the bin's copy of its settings and its last write to a child into
 * one where other threads get in, in either order. */
static void
on_deep_notify (GstObject * pipeline, GstObject * origin, GParamSpec * pspec,
    gpointer master)
{
  (void) pipeline;
  (void) pspec;
  if (GST_OBJECT_PARENT (origin) == master)
    g_usleep (g_random_int_range (0, 100));
}

/* Errors and warnings are kept; the elements' interval messages dropped
 * (nobody reads this bus while the threads run). */
static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer data)
{
  GQueue *kept = data;
  (void) bus;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR
      || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_queue_push_tail (kept, gst_message_ref (msg));
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

GST_START_TEST (test_thread_hammer)
{
  Hammer hm = { 0 };
  Watch in = { 0 }, out = { 0 };
  GQueue kept = G_QUEUE_INIT;
  guint inconsistent_rounds = 0;
  gchar *first_inconsistency = NULL;

  gchar *launch = g_strdup_printf ("audiotestsrc wave=sine freq=%g "
      "volume=%g is-live=false samplesperbuffer=480 ! audio/x-raw, "
      "format=F32LE, layout=interleaved, rate=%d, channels=%d ! "
      "eq name=top-eq num-bands=2 ! limiter "
      "name=top-limiter ! loudmeter name=top-loudmeter ! loudnorm "
      "name=top-loudnorm ! master name=top-master ! fakesink sync=false", TONE_HZ, TONE_AMP, RATE, CHANNELS);
  GError *error = NULL;
  hm.pipeline = gst_parse_launch (launch, &error);
  g_free (launch);
  fail_unless (hm.pipeline != NULL && error == NULL, "%s",
      error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (props); i++) {
    gchar *name = g_strdup_printf ("top-%s", props[i].element);
    hm.elements[i] = gst_bin_get_by_name (GST_BIN (hm.pipeline), name);
    g_free (name);
    fail_unless (hm.elements[i] != NULL, "no %s", props[i].element);
  }
  /* Set here, not in the launch line: gst_parse_launch leaks the child
   * that a "child::property=..." reaches (GStreamer 1.22; "master
   * limiter::ceiling=-2" leaks the limiter's pads too). */
  set_number (hm.elements[prop_index ("eq", "gain")], "band1::freq", 8000.0);
  GstBus *bus = gst_element_get_bus (hm.pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, &kept, NULL);
  g_signal_connect (hm.pipeline, "deep-notify", G_CALLBACK (on_deep_notify),
      hm.elements[prop_index ("master", "ceiling")]);
  watch_pad (hm.pipeline, "top-eq", "sink", &in);
  watch_pad (hm.pipeline, "top-master", "src", &out);

  fail_unless (gst_element_set_state (hm.pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (hm.pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE) == GST_STATE_CHANGE_SUCCESS);

  for (hm.round = 0; hm.round < N_ROUNDS; hm.round++) {
    Setter setters[N_THREADS];
    GThread *threads[N_THREADS];
    g_atomic_int_set (&hm.started, 0);
    g_atomic_int_set (&hm.finishing, 0);
    for (guint t = 0; t < N_THREADS; t++) {
      setters[t] = (Setter) { &hm, t };
      threads[t] = g_thread_new ("setter", setter_thread, &setters[t]);
    }
    for (guint t = 0; t < N_THREADS; t++)
      g_thread_join (threads[t]);
    check_read_back (&hm);
    GstElement *master = hm.elements[prop_index ("master", "ceiling")];
    gchar *diff = master_inconsistency (master);
    /* A target to or from cd renegotiates the bin's output format at its
     * next buffer, and the dither's margin follows it: a difference that
     * lasts is an inconsistency, one that goes within 200 ms is that. */
    for (guint k = 0; diff && k < 20; k++) {
      g_free (diff);
      g_usleep (10000);
      diff = master_inconsistency (master);
    }
    if (diff) {
      if (!first_inconsistency)
        first_inconsistency = g_strdup_printf ("round %u: %s", hm.round,
            diff);
      inconsistent_rounds++;
      g_free (diff);
    }
  }

  gst_element_set_state (hm.pipeline, GST_STATE_NULL);
  g_print ("%u rounds, %u writes: %" G_GUINT64_FORMAT " frames through, "
      "largest step in %.5f, out %.5f; master's children inconsistent in %u "
      "rounds\n", N_ROUNDS, N_ROUNDS * N_THREADS * WRITES_PER_ROUND,
      out.n_frames, in.max_step, out.max_step, inconsistent_rounds);

  fail_unless (inconsistent_rounds == 0, "master's children differ from "
      "the bin after %u of %u rounds, first %s", inconsistent_rounds,
      N_ROUNDS, first_inconsistency);
  for (GList * l = kept.head; l; l = l->next) {
    GError *err;
    gchar *debug;
    GstMessage *msg = l->data;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &err, &debug);
    else
      gst_message_parse_warning (msg, &err, &debug);
    fail ("%s from %s: %s (%s)", GST_MESSAGE_TYPE_NAME (msg),
        GST_MESSAGE_SRC_NAME (msg), err->message, debug);
  }
  /* The stream flowed while the threads wrote: at least a buffer per round
   * (the tone runs far faster than real time). */
  fail_unless (out.n_frames >= (guint64) N_ROUNDS * 480,
      "only %" G_GUINT64_FORMAT " frames out", out.n_frames);
  fail_unless (in.max_step > 0.0);
  fail_unless_equals_uint64 (out.n_nonfinite, 0);
  /* No click. The output is the tone under gains that the elements glide
   * (limiter attack over its 5 ms lookahead, release >= 20 ms; eq, limiter
   * input gain and loudnorm gain over >= 10 ms), and its peak is held
   * under the master's ceiling, at most -0.3 dBTP, so under full scale.
   * A sine of amplitude P has a largest first difference of
   * P * 2 sin (pi f / rate): the input's with P = TONE_AMP, the output's at
   * most with P = 1. A gain moving g per sample adds at most g * P: a
   * 12 dB glide over 10 ms (480 frames) moves 0.75 / 480 = 0.0016 per
   * frame, 1.2 % of the tone's 0.13 at 1 kHz; several gains gliding at
   * once and the true-peak meter's reading (which may miss a sample peak
   * by a fraction of a dB) stay within 10 %. A click (a gain or filter
   * that steps) moves the output by a good part of its amplitude in one
   * frame, several times this bound. */
  gdouble bound = in.max_step / TONE_AMP * 1.10;
  fail_unless (out.max_step <= bound, "a click: largest output step %.5f, "
      "bound %.5f (input's %.5f)", out.max_step, bound, in.max_step);

  g_free (first_inconsistency);
  g_queue_clear_full (&kept, (GDestroyNotify) gst_message_unref);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    gst_object_unref (hm.elements[i]);
  gst_object_unref (hm.pipeline);
}

GST_END_TEST;

static Suite *
thread_hammer_suite (void)
{
  Suite *s = suite_create ("thread-hammer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_thread_hammer);
  return s;
}

GST_CHECK_MAIN (thread_hammer);
