/* The conventions of STYLE.md, checked once for every element of the
 * mastering plugin: one row of the table per element factory says which
 * checks apply and with which settings. A factory of the plugin without a
 * row fails the test, so a new element gets its line here.
 *
 * Checks: caps refusal; bypass and neutral settings bit-exact; NaN and Inf
 * in the input (finite output, recovery, one warning per stream); FLUSH,
 * DISCONT and GAP; automation without clicks; as many frames out as in with
 * continuous timestamps, and the LATENCY query; leaks across the state
 * changes (with the leaks tracer of the test environment). */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/base/gstaggregator.h>
#include <gst/controller/controller.h>
#include <math.h>
#include <string.h>

#include "mst-gstcheck.h"
#include "mst-signals.h"

#define RATE 48000
#define PLUGIN "mastering"

typedef enum
{
  /* An audio filter of its own, refusing caps itself (not a bin). */
  ROW_FILTER = 1 << 0,
  /* Has a "bypass" property. */
  ROW_BYPASS = 1 << 1,
  /* A meter: the audio passes untouched, always; its state is read from
   * the row's figure property. */
  ROW_METER = 1 << 2,
  /* A DISCONT does not restart what measures the programme (a meter's
   * figures, loudnorm's loudness controller): a packet lost in a live feed
   * must not reset loudness. The tail before it is still drained, and a
   * FLUSH (and, for a meter, a new stream) still restarts everything. */
  ROW_KEEPS_PROGRAMME = 1 << 3,
  /* Stereo only (the imager): the other channel counts are refused, so the
   * checks run on stereo F32 and F64, and mono is among the refusals. */
  ROW_STEREO = 1 << 4,
  /* Mono or stereo in, stereo out (pan): the checks run on stereo, as for
   * ROW_STEREO, and more than two channels are refused. Its mono input
   * is checked in its own test. */
  ROW_STEREO_OUT = 1 << 5,
} RowFlags;

typedef struct
{
  const gchar *factory;
  guint flags;
  /* Settings under which the element works on the audio (NaN, FLUSH,
   * DISCONT and GAP runs), "prop=value child::prop=value ...". */
  const gchar *active;
  /* Settings under which it is neutral on quiet input (-20 dBFS): a
   * bit-exact passthrough; NULL: it has none. */
  const gchar *neutral;
  /* The main controllable property (child::prop for a child's), moved
   * from @from to @to across a sine of amplitude @sine_amp, with
   * @auto_settings; NULL: it has none. */
  const gchar *automated;
  gdouble from, to, sine_amp;
  const gchar *auto_settings;
  /* ROW_METER: a figure that shows its state (read after EOS). */
  const gchar *figure;
  /* A format-changing element (dither): the integer format its src is
   * given (read back scaled to +-1); its bypass is plain rounding to it.
   * NULL: the input's format. */
  const gchar *out_format;
} Row;

static const Row rows[] = {
  {"eq", ROW_FILTER | ROW_BYPASS,
        "band0::freq=1000 band0::gain=6 band1::freq=8000 band1::gain=-4", "",
      "band0::gain", -12.0, 12.0, 0.2, "band0::freq=1000", NULL, NULL},
  {"limiter", ROW_FILTER | ROW_BYPASS, "ceiling=-6", "band-limit=false",
      "ceiling", -1.0, -12.0, 0.9, "", NULL, NULL},
  {"loudmeter", ROW_FILTER | ROW_METER | ROW_KEEPS_PROGRAMME, "", "", NULL,
      0, 0, 0, NULL, "integrated", NULL},
  {"loudnorm", ROW_FILTER | ROW_BYPASS | ROW_KEEPS_PROGRAMME, "target=-16",
        "mode=fixed gain=0 band-limit=false",
      "target", -23.0, -14.0, 0.1, "", NULL, NULL},
  {"compressor", ROW_FILTER | ROW_BYPASS, "threshold=-30 lookahead=5",
        "threshold=0", "threshold", -10.0, -40.0, 0.5, "ratio=4", NULL, NULL},
  {"mbcomp", ROW_FILTER | ROW_BYPASS, "band0::ratio=4 band0::threshold=-40 band1::ratio=4 band1::threshold=-40 band2::ratio=4 band2::threshold=-40",
        "num-bands=1",
      "band0::threshold", 0.0, -30.0, 0.5,
      "num-bands=2 band0::crossover=5000 band0::ratio=4", NULL, NULL},
  {"master", ROW_KEEPS_PROGRAMME, "",
        "normalize=false ceiling=0 loudnorm::band-limit=false "
        "limiter::band-limit=false",
      "limiter::ceiling", -1.0, -12.0, 0.9, "normalize=false", NULL, NULL},
  {"gate", ROW_FILTER | ROW_BYPASS, "threshold=-20", "ratio=1",
      "threshold", -60.0, -10.0, 0.1, "", NULL, NULL},
  {"deesser", ROW_FILTER | ROW_BYPASS, "threshold=-40", "ratio=1",
      "threshold", -60.0, -10.0, 0.5, "mode=wideband freq=3000", NULL, NULL},
  {"imager", ROW_FILTER | ROW_BYPASS | ROW_STEREO,
        "width=150 mono-below=150 balance=20", "",
      "balance", -50.0, 50.0, 0.5, "mono-below=100 width=150", NULL, NULL},
  {"dither", ROW_FILTER | ROW_BYPASS, "noise-shaping=high", NULL, NULL,
      0, 0, 0, NULL, NULL, "S24LE"},
  /* Automated short of the ends: there a side is exactly silent, and a
   * fade from exact silence has no level for the click measure to be
   * relative to (test-pan checks the whole range against full scale). */
  {"pan", ROW_FILTER | ROW_BYPASS | ROW_STEREO_OUT, "position=40 width=150",
        "", "position", -90.0, 90.0, 0.5, "law=-4.5", NULL, NULL},
  /* Neutral by default: in auto mode nothing is removed until steady hum
   * is found, and a 997 Hz sine is no mains harmonic. Automated: the
   * mains moved until the second harmonic lies on the sine. */
  {"dehum", ROW_FILTER | ROW_BYPASS, "frequency=50", "",
      "frequency", 60.0, 498.5, 0.5, "harmonics=2", NULL, NULL},
  /* declick: its controllable properties change which clicks are found,
   * not the level of a sine, so there is no automation row. */
  {"declick", ROW_FILTER | ROW_BYPASS, "sensitivity=10", "sensitivity=1",
      NULL, 0, 0, 0, NULL, NULL, NULL},
  /* declip: the threshold changes which samples are restored, not the
   * level of a sine under it; "auto" on unclipped music is neutral. */
  {"declip", ROW_FILTER | ROW_BYPASS, "auto=false threshold=-3", "",
      NULL, 0, 0, 0, NULL, NULL, NULL},
  /* Automated under a given flat profile (-20 dB re FS^2/Hz: white noise
   * at +24 dBFS) that buries the sine, so its level follows the floor. */
  {"denoise", ROW_FILTER | ROW_BYPASS, "reduction=24", NULL,
      "reduction", 6.0, 24.0, 0.1,
      "profile=-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20,-20", NULL, NULL},
  /* Run without their tails (tail=false): the checks count as many frames
   * out as in; the tails at EOS are test-reverb-delay's. Automated where
   * no echo of the sine's onset (a kink) comes after the 10 ms the click
   * check skips: the reverb's mix from 0 with the shortest decay (its
   * response to the onset 300 dB down when the mix moves), the delay's
   * feedback from 0 at a time of 5 ms (the onset's one echo inside the
   * 10 ms; test-reverb-delay automates every property, time included).
   * The start values are also the settings, so nothing glides from the
   * defaults at the start. */
  {"reverb", ROW_FILTER | ROW_BYPASS | ROW_STEREO_OUT,
        "decay=1 pre-delay=5 mix=50 tail=false", "mix=0 tail=false",
        "mix", 0.0, 100.0, 0.5,
      "decay=0.1 decay-low=0.1 pre-delay=0 mix=0 tail=false", NULL, NULL},
  {"delay", ROW_FILTER | ROW_BYPASS | ROW_STEREO_OUT,
        "time=100 feedback=50 low-cut=100 high-cut=5000 mix=50 tail=false",
        "mix=0 tail=false", "feedback", 0.0, 90.0, 0.5,
      "time=5 feedback=0 mix=50 tail=false", NULL, NULL},
  /* The phaser frozen (rate 0) with its break frequency at 3 kHz: an LTI
   * all-pass chain, so the mix moves a 997 Hz sine's level (-6.7 dB at
   * 50 %) without the pitch shift of a moving delay. */
  {"modulation", ROW_FILTER | ROW_BYPASS | ROW_STEREO_OUT,
        "mode=flanger feedback=60 rate=2",
        "mix=0", "mix", 0.0, 50.0, 0.5,
      "mode=phaser rate=0 min-freq=3000 max-freq=3000", NULL, NULL},
};

typedef struct
{
  gboolean f64;
  gint channels;
} Fmt;

static const Fmt formats[] = {
  {FALSE, 1}, {FALSE, 2}, {FALSE, 6}, {TRUE, 1}, {TRUE, 2}, {TRUE, 6},
};

static const Fmt stereo_f32 = { FALSE, 2 };
static const Fmt stereo_f64 = { TRUE, 2 };

/* The format a check that names @f runs on for @row: itself, or for a
 * stereo-only row the stereo format of the same width. */
static const Fmt *
row_format (const Row * row, const Fmt * f)
{
  if (!(row->flags & (ROW_STEREO | ROW_STEREO_OUT)) || f->channels == 2)
    return f;
  return f->f64 ? &stereo_f64 : &stereo_f32;
}

static gchar *
caps_string (const Fmt * f)
{
  if (f->channels <= 2)
    return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
        "rate=%d, channels=%d", f->f64 ? "F64LE" : "F32LE", RATE,
        f->channels);
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d, channel-mask=(bitmask)0x%x",
      f->f64 ? "F64LE" : "F32LE", RATE, f->channels, (1u << f->channels) - 1);
}

/* caps_string's caps with @format in place of the float one. */
static gchar *
out_caps_string (const Fmt * f, const gchar * format)
{
  gchar *in = caps_string (f);
  gchar **parts = g_strsplit (in, f->f64 ? "F64LE" : "F32LE", 2);
  gchar *out = g_strjoin (format, parts[0], parts[1], NULL);
  g_strfreev (parts);
  g_free (in);
  return out;
}

/* "prop=value child::prop=value ..." on @element. */
static void
apply_settings (GstElement * element, const gchar * settings)
{
  gchar **items = g_strsplit (settings ? settings : "", " ", -1);
  for (gchar ** it = items; *it; it++) {
    if (**it == '\0')
      continue;
    gchar **kv = g_strsplit (*it, "=", 2);
    fail_unless (kv[0] && kv[1], "bad setting %s", *it);
    GObject *target = NULL;
    GParamSpec *pspec = NULL;
    if (GST_IS_CHILD_PROXY (element))
      fail_unless (gst_child_proxy_lookup (GST_CHILD_PROXY (element), kv[0],
              &target, &pspec), "no property %s", kv[0]);
    else {
      target = g_object_ref (G_OBJECT (element));
      pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
          kv[0]);
      fail_unless (pspec != NULL, "no property %s", kv[0]);
    }
    gst_util_set_object_arg (target, pspec->name, kv[1]);
    g_object_unref (target);
    g_strfreev (kv);
  }
  g_strfreev (items);
}

static gchar *
join_settings (const gchar * a, const gchar * b)
{
  return g_strjoin (" ", a ? a : "", b ? b : "", NULL);
}

/* The music signals the checks take (channels, frames, seed): made once,
 * in the process that forks each check (music_cache_fill, an unchecked
 * fixture), instead of in each of the 19 rows' checks again: under the
 * sanitizers that generator was a third of the bypass and non-finite
 * checks' time. A signal not listed is made where it is asked for. */
typedef struct
{
  gint channels;
  gsize n_frames;
  guint32 seed;
  gfloat *x;
} CachedMusic;

static CachedMusic music_cache[] = {
  /* bypass: loud, quiet */
  {1, RATE, 1, NULL}, {2, RATE, 1, NULL}, {6, RATE, 1, NULL},
  {1, RATE, 2, NULL}, {2, RATE, 2, NULL}, {6, RATE, 2, NULL},
  /* non-finite */
  {2, 2 * RATE, 3, NULL}, {1, 2 * RATE, 3, NULL}, {6, 2 * RATE, 3, NULL},
  /* flush and discont, gap, latency */
  {2, RATE / 2, 6, NULL}, {2, RATE / 2, 7, NULL}, {2, RATE, 8, NULL},
  {2, RATE / 2, 9, NULL},
};

static const gfloat *
cached_music (gint channels, gsize n_frames, guint32 seed)
{
  for (guint i = 0; i < G_N_ELEMENTS (music_cache); i++) {
    CachedMusic *m = &music_cache[i];
    if (m->channels == channels && m->n_frames == n_frames && m->seed == seed)
      return m->x;
  }
  return NULL;
}

static void
music_cache_fill (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (music_cache); i++) {
    CachedMusic *m = &music_cache[i];
    if (!m->x) {
      m->x = g_new (gfloat, m->n_frames * m->channels);
      mst_signal_music (m->x, m->n_frames, m->channels, RATE, m->seed);
    }
  }
}

static void
music_cache_clear (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (music_cache); i++)
    g_clear_pointer (&music_cache[i].x, g_free);
}

/* The test signal: the music of mst-signals at @gain (1.0: -0.1 dBFS
 * peak), interleaved, in double. */
static gdouble *
music (gint channels, gsize n_frames, guint32 seed, gdouble gain)
{
  const gfloat *cached = cached_music (channels, n_frames, seed);
  gfloat *tmp = NULL;
  gdouble *x = g_new (gdouble, n_frames * channels);
  if (!cached) {
    tmp = g_new (gfloat, n_frames * channels);
    mst_signal_music (tmp, n_frames, channels, RATE, seed);
    cached = tmp;
  }
  for (gsize i = 0; i < n_frames * channels; i++)
    x[i] = cached[i] * gain;
  g_free (tmp);
  return x;
}

static gdouble *
sine (gint channels, gsize n_frames, gdouble freq_hz, gdouble amp)
{
  gdouble *x = g_new (gdouble, n_frames * channels);
  for (gsize i = 0; i < n_frames; i++)
    for (gint c = 0; c < channels; c++)
      x[i * channels + c] = amp * sin (2 * G_PI * freq_hz * i / RATE);
  return x;
}

static GstClockTime
frame_time (guint64 frame)
{
  return gst_util_uint64_scale_int (frame, GST_SECOND, RATE);
}

/* @n_frames of @x in the format, with PTS, DURATION and OFFSETs of frame
 * @at. */
static GstBuffer *
make_buffer (const Fmt * f, const gdouble * x, gsize n_frames, guint64 at)
{
  gsize n = n_frames * f->channels;
  GstBuffer *buf = gst_buffer_new_allocate (NULL,
      n * (f->f64 ? sizeof (gdouble) : sizeof (gfloat)), NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++) {
    if (f->f64)
      ((gdouble *) map.data)[i] = x[i];
    else
      ((gfloat *) map.data)[i] = (gfloat) x[i];
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = frame_time (at);
  GST_BUFFER_DURATION (buf) = frame_time (at + n_frames) - frame_time (at);
  GST_BUFFER_OFFSET (buf) = at;
  GST_BUFFER_OFFSET_END (buf) = at + n_frames;
  return buf;
}

/* What came out: samples (in double), which frames came in a GAP buffer,
 * the DISCONT buffers' first frames and their timestamps. */
typedef struct
{
  gint channels;
  /* The buffers' integer word (16, 24, 32), 0: the input's float. */
  gint bits;
  GArray *y;
  GArray *gap;
  GArray *discont_frames;
  GstClockTime next_pts;
  GstClockTime first_pts;
} Out;

static void
out_init (Out * o, gint channels)
{
  o->channels = channels;
  o->bits = 0;
  o->y = g_array_new (FALSE, FALSE, sizeof (gdouble));
  o->gap = g_array_new (FALSE, FALSE, sizeof (gboolean));
  o->discont_frames = g_array_new (FALSE, FALSE, sizeof (gsize));
  o->next_pts = GST_CLOCK_TIME_NONE;
  o->first_pts = GST_CLOCK_TIME_NONE;
}

static void
out_clear (Out * o)
{
  g_array_free (o->y, TRUE);
  g_array_free (o->gap, TRUE);
  g_array_free (o->discont_frames, TRUE);
}

static gsize
out_frames (const Out * o)
{
  return o->y->len / o->channels;
}

static const gdouble *
out_data (const Out * o)
{
  return (const gdouble *) o->y->data;
}

/* Sample @i of integers of @bits (little-endian, S24LE packed), scaled
 * to +-1. */
static gdouble
int_sample (const guint8 * p, gsize i, gint bits)
{
  gint32 v;
  if (bits == 16)
    v = (guint32) GST_READ_UINT16_LE (p + 2 * i) << 16;
  else if (bits == 24)
    v = (gint32) (GST_READ_UINT24_LE (p + 3 * i) << 8);
  else
    v = (gint32) GST_READ_UINT32_LE (p + 4 * i);
  return v / 2147483648.0;
}

static gint
format_bits (const gchar * format)
{
  if (!format)
    return 0;
  return GST_AUDIO_FORMAT_INFO_WIDTH (gst_audio_format_get_info
      (gst_audio_format_from_string (format)));
}

/* Pulls what the harness holds: every buffer's PTS is the previous PTS
 * plus its duration (a DISCONT buffer starts a new run) and its duration
 * is its frame count's. */
static void
collect (GstHarness * h, const Fmt * f, Out * o, const gchar * what)
{
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gsize bps = o->bits ? (gsize) o->bits / 8 : f->f64 ? sizeof (gdouble)
        : sizeof (gfloat);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    gsize n = map.size / bps, n_frames = n / f->channels;
    GstClockTime pts = GST_BUFFER_PTS (buf);
    fail_unless (GST_CLOCK_TIME_IS_VALID (pts), "%s: buffer without PTS",
        what);
    if (GST_BUFFER_IS_DISCONT (buf) || !GST_CLOCK_TIME_IS_VALID (o->next_pts)) {
      gsize at = out_frames (o);
      g_array_append_val (o->discont_frames, at);
      if (!GST_CLOCK_TIME_IS_VALID (o->first_pts))
        o->first_pts = pts;
    } else
      fail_unless_equals_uint64 (pts, o->next_pts);
    GstClockTime dur = GST_BUFFER_DURATION (buf);
    fail_unless (GST_CLOCK_TIME_IS_VALID (dur), "%s: no duration", what);
    GstClockTime expected = gst_util_uint64_scale_int (n_frames, GST_SECOND,
        RATE);
    fail_unless (dur + 1 >= expected && dur <= expected + 1,
        "%s: duration %" G_GUINT64_FORMAT " for %" G_GSIZE_FORMAT " frames",
        what, dur, n_frames);
    o->next_pts = pts + dur;
    gboolean gap = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP);
    for (gsize i = 0; i < n; i++) {
      gdouble v = o->bits ? int_sample (map.data, i, o->bits)
          : f->f64 ? ((const gdouble *) map.data)[i]
          : ((const gfloat *) map.data)[i];
      g_array_append_val (o->y, v);
    }
    for (gsize i = 0; i < n_frames; i++)
      g_array_append_val (o->gap, gap);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
}

typedef struct
{
  GstHarness *h;
  GstBus *bus;
  const Fmt *fmt;
  Out out;
  /* An aggregator's main buffers pushed and consumed (out). */
  guint pushed;
  gint consumed;
} Run;

static void
buffer_consumed (G_GNUC_UNUSED GstAggregatorPad * pad,
    G_GNUC_UNUSED GstBuffer * buf, gpointer data)
{
  g_atomic_int_inc (&((Run *) data)->consumed);
}

static void
run_open (Run * r, const Row * row, const Fmt * f, const gchar * settings)
{
  gchar *caps = caps_string (f);
  r->h = gst_harness_new (row->factory);
  r->bus = gst_bus_new ();
  r->fmt = f;
  r->pushed = 0;
  r->consumed = 0;
  if (GST_IS_AGGREGATOR (r->h->element)) {
    /* It streams in its own thread: its consumed buffers are counted so
     * a run waits for their output. */
    GstPad *pad = gst_element_get_static_pad (r->h->element, "sink");
    g_object_set (pad, "emit-signals", TRUE, NULL);
    g_signal_connect (pad, "buffer-consumed", G_CALLBACK (buffer_consumed),
        r);
    gst_object_unref (pad);
  }
  gst_element_set_bus (r->h->element, r->bus);
  apply_settings (r->h->element, settings);
  if (row->out_format) {
    gchar *out = out_caps_string (f, row->out_format);
    gst_harness_set_caps_str (r->h, caps, out);
    g_free (out);
  } else
    gst_harness_set_caps_str (r->h, caps, caps);
  out_init (&r->out, f->channels);
  r->out.bits = format_bits (row->out_format);
  g_free (caps);
}

/* An aggregator (the elements with a sidechain pad) streams in its own
 * thread: waits until it consumed every buffer pushed (its output goes out
 * before its input leaves the pad's queue) or, @eos, until EOS came out. */
static void
wait_processed (Run * r, gboolean eos)
{
  if (!GST_IS_AGGREGATOR (r->h->element))
    return;
  if (eos) {
    mst_harness_wait_eos (r->h);
    return;
  }
  for (guint i = 0; i < 20000
      && (guint) g_atomic_int_get (&r->consumed) < r->pushed; i++)
    g_usleep (500);
  fail_unless_equals_int (g_atomic_int_get (&r->consumed), r->pushed);
}

/* Room in @o for @n_frames more (one allocation where growing sample by
 * sample took one a doubling: under the sanitizers, each a fresh mapping
 * whose pages faulted in, a quarter of the bypass check's time). */
static void
out_reserve (Out * o, gsize n_frames)
{
  guint len = o->y->len;
  g_array_set_size (o->y, len + n_frames * o->channels);
  g_array_set_size (o->y, len);
  len = o->gap->len;
  g_array_set_size (o->gap, len + n_frames);
  g_array_set_size (o->gap, len);
}

static void
run_push (Run * r, const gdouble * x, gsize n_frames, guint64 at,
    gsize block, GstBufferFlags flags)
{
  out_reserve (&r->out, n_frames);
  for (gsize done = 0; done < n_frames; done += block) {
    gsize k = MIN (block, n_frames - done);
    GstBuffer *buf = make_buffer (r->fmt, x + done * r->fmt->channels, k,
        at + done);
    if (done == 0)
      GST_BUFFER_FLAG_SET (buf, flags);
    else if (flags & GST_BUFFER_FLAG_GAP)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
    fail_unless_equals_int (gst_harness_push (r->h, buf), GST_FLOW_OK);
    r->pushed++;
  }
  wait_processed (r, FALSE);
  collect (r->h, r->fmt, &r->out, GST_OBJECT_NAME (r->h->element));
}

static void
run_eos (Run * r)
{
  fail_unless (gst_harness_push_event (r->h, gst_event_new_eos ()));
  wait_processed (r, TRUE);
  collect (r->h, r->fmt, &r->out, GST_OBJECT_NAME (r->h->element));
}

static guint
count_messages (GstBus * bus, GstMessageType type)
{
  guint n = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, type))) {
    if (type == GST_MESSAGE_WARNING) {
      GError *err;
      gst_message_parse_warning (msg, &err, NULL);
      GST_INFO ("warning: %s", err->message);
      g_error_free (err);
    }
    n++;
    gst_message_unref (msg);
  }
  return n;
}

static guint
run_close (Run * r)
{
  guint warnings = count_messages (r->bus, GST_MESSAGE_WARNING);
  gst_element_set_bus (r->h->element, NULL);
  gst_object_unref (r->bus);
  gst_harness_teardown (r->h);
  return warnings;
}

static gdouble
get_figure (Run * r, const gchar * name)
{
  gdouble v;
  g_object_get (r->h->element, name, &v, NULL);
  return v;
}

/* The meter's figure equals a fresh element's (@fresh). */
static void
check_figure (Run * r, const Row * row, gdouble fresh, const gchar * after)
{
  if (!row->figure)
    return;
  gdouble v = get_figure (r, row->figure);
  fail_unless (v == fresh, "%s: %s %g after %s, %g fresh", row->factory,
      row->figure, v, after, fresh);
}

/* Ends a run that saw no warning. */
static void
run_finish (Run * r)
{
  out_clear (&r->out);
  fail_unless_equals_int (run_close (r), 0);
}

/* Output of a fresh element on @x (in blocks of @block from frame @at),
 * through EOS; its warnings into *warnings, its figure into *figure. */
static void
fresh_output (const Row * row, const Fmt * f, const gchar * settings,
    const gdouble * x, gsize n_frames, guint64 at, gsize block, Out * out,
    gdouble * figure)
{
  Run r;
  run_open (&r, row, f, settings);
  run_push (&r, x, n_frames, at, block, 0);
  run_eos (&r);
  fail_unless_equals_uint64 (out_frames (&r.out), n_frames);
  fail_unless_equals_int (r.out.discont_frames->len, 1);
  fail_unless_equals_uint64 (r.out.first_pts, frame_time (at));
  if (figure)
    *figure = get_figure (&r, row->figure);
  *out = r.out;
  fail_unless_equals_int (run_close (&r), 0);
}

/* The latency the element answers, with @upstream_ns of live latency
 * upstream (the harness's source is live). */
static GstClockTime
query_latency (GstHarness * h, GstClockTime upstream_ns)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live;
  GstClockTime min, max;
  gst_harness_set_upstream_latency (h, upstream_ns);
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  fail_unless (live);
  fail_unless (min >= upstream_ns);
  return min - upstream_ns;
}

static guint64
latency_frames (GstClockTime ns)
{
  return gst_util_uint64_scale_round (ns, RATE, GST_SECOND);
}

static void
assert_same (const gdouble * a, const gdouble * b, gsize n, const gchar * what)
{
  for (gsize i = 0; i < n; i++)
    if (memcmp (&a[i], &b[i], sizeof (gdouble)) != 0)
      fail ("%s: sample %" G_GSIZE_FORMAT " is %.17g, expected %.17g", what,
          i, a[i], b[i]);
}

/* ---- Every factory of the plugin has a row. -------------------------- */

static const Row *
find_row (const gchar * factory)
{
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (!strcmp (rows[i].factory, factory))
      return &rows[i];
  return NULL;
}

GST_START_TEST (test_table_covers_the_plugin)
{
  GList *features = gst_registry_get_feature_list_by_plugin
      (gst_registry_get (), PLUGIN);
  guint factories = 0;
  fail_unless (features != NULL, "no plugin %s", PLUGIN);
  for (GList * l = features; l; l = l->next) {
    if (!GST_IS_ELEMENT_FACTORY (l->data))
      continue;
    const gchar *name = gst_plugin_feature_get_name (l->data);
    fail_unless (find_row (name) != NULL,
        "element %s of the %s plugin has no row in test-conventions.c",
        name, PLUGIN);
    factories++;
  }
  gst_plugin_feature_list_free (features);
  /* And no row for an element that is gone. */
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    GstElementFactory *f = gst_element_factory_find (rows[i].factory);
    fail_unless (f != NULL, "row %s: no such element", rows[i].factory);
    fail_unless (!strcmp (gst_plugin_feature_get_plugin_name
            (GST_PLUGIN_FEATURE (f)), PLUGIN));
    gst_object_unref (f);
  }
  fail_unless_equals_int (factories, G_N_ELEMENTS (rows));
}
GST_END_TEST;

/* ---- 1. Caps refusal. ------------------------------------------------- */

GST_START_TEST (test_caps_refused)
{
  /* A bin converts (integer samples and planar layout go through its
   * audioconvert) but refuses, naming them, a rate it cannot change, more
   * than 8 unpositioned channels, and what is not raw audio. */
  static const gchar *const bin_bad[] = {
    "audio/x-raw, format=F32LE, layout=interleaved, rate=4000, channels=2",
    "audio/x-raw, format=S16LE, layout=interleaved, rate=768000, "
        "channels=2",
    "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, channels=9",
    "audio/mpeg, mpegversion=(int)1, layer=(int)3, rate=48000, channels=2",
  };
  static const gchar *const not_stereo[] = {
    "audio/x-raw, format=F32LE, layout=interleaved, rate=48000, channels=1",
    "audio/x-raw, format=F64LE, layout=interleaved, rate=48000, "
        "channels=6, channel-mask=(bitmask)0x3f",
  };
  const Row *row = &rows[__i__];
  if (row->flags & ROW_STEREO)
    mst_check_caps_list_refused (row->factory, not_stereo,
        G_N_ELEMENTS (not_stereo));
  if (row->flags & ROW_STEREO_OUT)
    mst_check_caps_list_refused (row->factory, not_stereo + 1, 1);
  if (row->flags & ROW_FILTER)
    mst_check_caps_refused (row->factory);
  else
    mst_check_caps_list_refused (row->factory, bin_bad,
        G_N_ELEMENTS (bin_bad));
}
GST_END_TEST;

/* ---- 2. Bypass and neutral settings: bit-exact. ---------------------- */

/* @settings on @x (n frames): the output is the input, bit for bit, frame
 * for frame (a delaying element keeps it: the output frames come out a
 * latency later with their input's timestamps); before EOS the element
 * holds exactly its latency. */
static void
check_bit_exact (const Row * row, const Fmt * f, const gchar * settings,
    const gdouble * x, gsize n_frames, const gchar * what)
{
  Run r;
  const gsize block = 1000;
  run_open (&r, row, f, settings);
  run_push (&r, x, block, 0, block, 0);
  guint64 latency = latency_frames (query_latency (r.h, 0));
  run_push (&r, x + block * f->channels, n_frames - block, block, block, 0);
  fail_unless_equals_uint64 (out_frames (&r.out) + latency, n_frames);
  run_eos (&r);
  fail_unless_equals_uint64 (out_frames (&r.out), n_frames);
  fail_unless_equals_int (r.out.discont_frames->len, 1);
  gchar *desc = g_strdup_printf ("%s %s %s %dch", row->factory, what,
      f->f64 ? "F64" : "F32", f->channels);
  if (f->f64 && !row->out_format)
    assert_same (out_data (&r.out), x, n_frames * f->channels, desc);
  else {
    /* In the input's format; a word-length reducer's bypass rounds it to
     * the nearest output value (clipped). */
    gdouble *xf = g_new (gdouble, n_frames * f->channels);
    gdouble scale = ldexp (1.0, format_bits (row->out_format) - 1);
    for (gsize i = 0; i < n_frames * f->channels; i++) {
      xf[i] = f->f64 ? x[i] : (gfloat) x[i];
      if (row->out_format)
        xf[i] = CLAMP (nearbyint (xf[i] * scale), -scale, scale - 1) / scale;
    }
    assert_same (out_data (&r.out), xf, n_frames * f->channels, desc);
    g_free (xf);
  }
  g_free (desc);
  run_finish (&r);
}

GST_START_TEST (test_bypass_bit_exact)
{
  const Row *row = &rows[__i__];
  const gsize n = RATE;
  for (guint k = 0; k < G_N_ELEMENTS (formats); k++) {
    const Fmt *f = &formats[k];
    if ((row->flags & (ROW_STEREO | ROW_STEREO_OUT)) && f->channels != 2)
      continue;
    gdouble *loud = music (f->channels, n, 1, 1.0);
    gdouble *quiet = music (f->channels, n, 2, 0.1);
    if (row->flags & ROW_BYPASS) {
      gchar *s = join_settings (row->active, "bypass=true");
      check_bit_exact (row, f, s, loud, n, "bypass");
      g_free (s);
    } else if (row->flags & ROW_METER)
      check_bit_exact (row, f, row->active, loud, n, "meter");
    else
      fail_unless (row->neutral != NULL, "%s: no bypass, no neutral settings",
          row->factory);
    if (row->neutral)
      check_bit_exact (row, f, row->neutral, quiet, n, "neutral");
    g_free (loud);
    g_free (quiet);
  }
}
GST_END_TEST;

/* ---- 3. NaN and Inf. --------------------------------------------------- */

/* Non-finite samples at these frames (channel 0, and every channel for
 * the second): NaN, +Inf, -Inf, NaN. */
static const gsize bad_frames[] = { 12000, 12001, 20000, 30500 };

static void
poison (gdouble * x, gint channels, gboolean bad)
{
  const gdouble values[] = { NAN, INFINITY, -INFINITY, NAN };
  for (guint i = 0; i < G_N_ELEMENTS (bad_frames); i++)
    for (gint c = 0; c < (i == 1 ? channels : 1); c++)
      x[bad_frames[i] * channels + c] = bad ? values[i] : 0.0;
}

static void
check_nonfinite (const Row * row, const Fmt * f)
{
  const gsize n = 2 * RATE, block = 960;
  /* Recovery: 0.5 s after the last bad sample the output is the one of a
   * fresh element given silence for the bad samples (what the cores do
   * with them), within -100 dB of full scale. */
  const gsize settled = bad_frames[G_N_ELEMENTS (bad_frames) - 1] + RATE / 2;
  const gdouble tolerance = 1e-5;
  gdouble *x = music (f->channels, n, 3, 0.5);
  Out ref;
  gdouble ref_figure = 0;
  poison (x, f->channels, FALSE);
  fresh_output (row, f, row->active, x, n, 0, block, &ref,
      row->figure ? &ref_figure : NULL);
  poison (x, f->channels, TRUE);

  Run r;
  run_open (&r, row, f, row->active);
  /* Two streams, each with its bad samples: one warning each. */
  for (guint stream = 0; stream < 2; stream++) {
    if (stream > 0) {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      /* GstAggregator takes no data after EOS until a flush. */
      if (GST_IS_AGGREGATOR (r.h->element)) {
        fail_unless (gst_harness_push_event (r.h,
                gst_event_new_flush_start ()));
        fail_unless (gst_harness_push_event (r.h,
                gst_event_new_flush_stop (TRUE)));
      }
      fail_unless (gst_harness_push_event (r.h,
              gst_event_new_stream_start ("second")));
      fail_unless (gst_harness_push_event (r.h, gst_event_new_segment (&seg)));
      out_clear (&r.out);
      out_init (&r.out, f->channels);
      r.out.bits = format_bits (row->out_format);
    }
    run_push (&r, x, n, 0, block, stream > 0 ? GST_BUFFER_FLAG_DISCONT : 0);
    run_eos (&r);
    fail_unless_equals_uint64 (out_frames (&r.out), n);
    const gdouble *y = out_data (&r.out), *yr = out_data (&ref);
    gdouble peak_ref = 0, worst = 0;
    for (gsize i = 0; i < n * f->channels; i++)
      peak_ref = MAX (peak_ref, fabs (yr[i]));
    for (gsize i = 0; i < n * f->channels; i++) {
      if (row->flags & ROW_METER) {
        if (memcmp (&y[i], &x[i], sizeof (gdouble)) != 0
            && !(isnan (y[i]) && isnan (x[i])))
          fail ("%s: sample %" G_GSIZE_FORMAT " changed", row->factory, i);
        continue;
      }
      if (!isfinite (y[i]))
        fail ("%s %s %dch stream %u: output sample %" G_GSIZE_FORMAT
            " (frame %" G_GSIZE_FORMAT ") is %g", row->factory,
            f->f64 ? "F64" : "F32", f->channels, stream, i, i / f->channels,
            y[i]);
      if (fabs (y[i]) > 2 * peak_ref + 1e-9)
        fail ("%s: output sample %" G_GSIZE_FORMAT " is %g, unbounded",
            row->factory, i, y[i]);
      /* The second stream's reference would be this element's first
       * (its history kept or not is test_discont's matter). */
      if (stream == 0 && i >= settled * f->channels)
        worst = MAX (worst, fabs (y[i] - yr[i]));
    }
    if (row->flags & ROW_METER) {
      gdouble figure = get_figure (&r, row->figure);
      fail_unless (isfinite (figure) && figure == ref_figure,
          "%s stream %u: %s %g after non-finite input, %g without",
          row->factory, stream, row->figure, figure, ref_figure);
    }
    fail_unless (worst <= tolerance, "%s %s %dch stream %u: %g off a fresh "
        "element's output 0.5 s after the bad samples", row->factory,
        f->f64 ? "F64" : "F32", f->channels, stream, worst);
    guint warnings = count_messages (r.bus, GST_MESSAGE_WARNING);
    fail_unless_equals_int (warnings, 1);
  }
  out_clear (&ref);
  out_clear (&r.out);
  run_close (&r);
  g_free (x);
}

GST_START_TEST (test_nonfinite_input)
{
  const Row *row = &rows[__i__];
  check_nonfinite (row, &stereo_f32);
  check_nonfinite (row, row_format (row, &formats[3]));        /* F64 mono */
  check_nonfinite (row, row_format (row, &formats[2]));        /* F32 6 ch */
}
GST_END_TEST;

/* ---- 4. FLUSH, DISCONT, GAP. ----------------------------------------- */

/* After a flush (@flush) or a DISCONT buffer 10 s later, the element
 * restarts: what follows comes out as a fresh element's, with its own
 * timestamps (after a DISCONT, a ROW_KEEPS_PROGRAMME row keeps measuring
 * the programme instead); before a DISCONT, what was in the delay line
 * comes out (drained) as a fresh element's at EOS would. */
static void
check_restart (const Row * row, gboolean flush)
{
  const Fmt *f = &stereo_f32;
  const gsize n = RATE / 2, block = 1000;
  const guint64 b_at = flush ? 0 : 10 * RATE;
  const gchar *what = flush ? "a flush" : "a discont";
  gdouble *a = music (f->channels, n, 6, 1.0);
  gdouble *b = music (f->channels, n, 7, 0.7);
  Out ref_a, ref_b;
  gdouble fig_b = 0;
  if (!flush)
    fresh_output (row, f, row->active, a, n, 0, block, &ref_a, NULL);
  fresh_output (row, f, row->active, b, n, b_at, block, &ref_b,
      row->figure ? &fig_b : NULL);

  Run r;
  run_open (&r, row, f, row->active);
  run_push (&r, a, n, 0, block, 0);
  if (flush) {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (r.h, gst_event_new_flush_start ()));
    fail_unless (gst_harness_push_event (r.h,
            gst_event_new_flush_stop (TRUE)));
    fail_unless (gst_harness_push_event (r.h, gst_event_new_segment (&seg)));
    collect (r.h, f, &r.out, row->factory);
    out_clear (&r.out);
    out_init (&r.out, f->channels);
    r.out.bits = format_bits (row->out_format);
  }
  run_push (&r, b, n, b_at, block, GST_BUFFER_FLAG_DISCONT);
  run_eos (&r);
  gsize b_from = flush ? 0 : n;
  fail_unless_equals_uint64 (out_frames (&r.out), b_from + n);
  fail_unless_equals_int (r.out.discont_frames->len, flush ? 1 : 2);
  fail_unless_equals_uint64 (g_array_index (r.out.discont_frames, gsize,
          flush ? 0 : 1), b_from);
  if (!flush) {
    assert_same (out_data (&r.out), out_data (&ref_a), n * f->channels,
        "before the discont");
    out_clear (&ref_a);
  }
  if (flush || !(row->flags & ROW_KEEPS_PROGRAMME)) {
    assert_same (out_data (&r.out) + b_from * f->channels, out_data (&ref_b),
        n * f->channels, what);
    check_figure (&r, row, fig_b, what);
  } else if (row->figure) {
    /* The meter went on measuring: its figure is that of the whole
     * programme, a then b, as one continuous stream gives it. */
    gdouble *ab = g_new (gdouble, 2 * n * f->channels), fig_ab = 0;
    Out ref_ab;
    memcpy (ab, a, n * f->channels * sizeof (gdouble));
    memcpy (ab + n * f->channels, b, n * f->channels * sizeof (gdouble));
    fresh_output (row, f, row->active, ab, 2 * n, 0, block, &ref_ab, &fig_ab);
    assert_same (out_data (&r.out), out_data (&ref_ab), 2 * n * f->channels,
        what);
    check_figure (&r, row, fig_ab, what);
    out_clear (&ref_ab);
    g_free (ab);
  } else {
    /* The controller went on: what follows is not a fresh element's. */
    const gdouble *y = out_data (&r.out) + b_from * f->channels;
    gboolean differs = FALSE;
    for (gsize i = 0; i < n * f->channels && !differs; i++)
      differs = y[i] != out_data (&ref_b)[i];
    fail_unless (differs, "%s: restarted its programme state at %s",
        row->factory, what);
  }
  out_clear (&ref_b);
  run_finish (&r);
  g_free (a);
  g_free (b);
}

GST_START_TEST (test_flush)
{
  check_restart (&rows[__i__], TRUE);
}
GST_END_TEST;

GST_START_TEST (test_discont)
{
  check_restart (&rows[__i__], FALSE);
}
GST_END_TEST;

/* A GAP buffer (silence) mid-stream: passed on as GAP, or processed as
 * the silence it stands for; as many frames out as in, timestamps
 * continuous. */
GST_START_TEST (test_gap)
{
  const Row *row = &rows[__i__];
  const Fmt *f = &stereo_f32;
  const gsize n = RATE, block = 1000, gap_at = 15000, gap_len = 10000;
  gdouble *x = music (f->channels, n, 8, 1.0);
  memset (x + gap_at * f->channels, 0, gap_len * f->channels
      * sizeof (gdouble));
  Out ref;
  fresh_output (row, f, row->active, x, n, 0, block, &ref, NULL);

  Run r;
  run_open (&r, row, f, row->active);
  run_push (&r, x, gap_at, 0, block, 0);
  run_push (&r, x + gap_at * f->channels, gap_len, gap_at, block,
      GST_BUFFER_FLAG_GAP);
  run_push (&r, x + (gap_at + gap_len) * f->channels, n - gap_at - gap_len,
      gap_at + gap_len, block, 0);
  run_eos (&r);
  fail_unless_equals_uint64 (out_frames (&r.out), n);
  fail_unless_equals_int (r.out.discont_frames->len, 1);
  gboolean passed_as_gap = FALSE;
  for (gsize i = 0; i < n; i++) {
    gboolean gap = g_array_index (r.out.gap, gboolean, i);
    if (gap) {
      if (i < gap_at || i >= gap_at + gap_len)
        fail ("%s: frame %" G_GSIZE_FORMAT " flagged GAP", row->factory, i);
      passed_as_gap = TRUE;
    }
  }
  const gdouble *y = out_data (&r.out);
  for (gsize i = 0; i < n * f->channels; i++)
    if (!isfinite (y[i]))
      fail ("%s: output sample %" G_GSIZE_FORMAT " is %g", row->factory, i,
          y[i]);
  if (!passed_as_gap)
    assert_same (y, out_data (&ref), n * f->channels, row->factory);
  else
    assert_same (y, out_data (&ref), gap_at * f->channels, row->factory);
  out_clear (&ref);
  run_finish (&r);
  g_free (x);
}
GST_END_TEST;

/* ---- 5. Automation without clicks. ----------------------------------- */

/* out[i] = the largest |x[(i + k) stride]| for k in 0 .. w - 1, for i in
 * 0 .. n - w (n values of x, n >= w >= 1): van Herk / Gil-Werman's
 * sliding maximum, a running maximum forward and one backward within
 * blocks of w, so three maxima a value whatever w. */
static void
sliding_abs_max (const gdouble * x, gsize stride, gsize n, gsize w,
    gdouble * out)
{
  gdouble *fwd = g_new (gdouble, n), *bwd = g_new (gdouble, n);
  for (gsize i = 0; i < n; i++)
    fwd[i] = i % w ? MAX (fwd[i - 1], fabs (x[i * stride]))
        : fabs (x[i * stride]);
  for (gsize i = n; i-- > 0;)
    bwd[i] = i % w != w - 1 && i + 1 < n ? MAX (bwd[i + 1],
        fabs (x[i * stride])) : fabs (x[i * stride]);
  /* The window i .. i + w - 1 meets at most two blocks: the backward
   * maximum from i to its block's end, the forward one from the next
   * block's start to i + w - 1 (both the window when it is one block). */
  for (gsize i = 0; i + w <= n; i++)
    out[i] = MAX (bwd[i], fwd[i + w - 1]);
  g_free (fwd);
  g_free (bwd);
}

static void
check_automation (const Row * row, const Fmt * f)
{
  const gsize n = 2 * RATE, block = 1024;
  const gdouble freq_hz = 997;
  /* The largest step of a sine of amplitude A is 2 A sin (pi f / fs); the
   * gain may move the amplitude, so A is the output's within a period. */
  const gdouble step_per_amp = 2 * sin (G_PI * freq_hz / RATE);
  const gdouble allowance = 0.05;
  const gsize period = (gsize) ceil (RATE / freq_hz);
  gdouble *x = sine (f->channels, n, freq_hz, row->sine_amp);
  Run r;
  run_open (&r, row, f, row->auto_settings);

  GObject *target;
  GParamSpec *pspec;
  if (GST_IS_CHILD_PROXY (r.h->element))
    fail_unless (gst_child_proxy_lookup (GST_CHILD_PROXY (r.h->element),
            row->automated, &target, &pspec));
  else {
    target = g_object_ref (G_OBJECT (r.h->element));
    pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (target),
        row->automated);
  }
  fail_unless (pspec && (pspec->flags & GST_PARAM_CONTROLLABLE),
      "%s: %s not controllable", row->factory, row->automated);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  fail_unless (gst_object_add_control_binding (GST_OBJECT (target),
          gst_direct_control_binding_new_absolute (GST_OBJECT (target),
              pspec->name, cs)));
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  gst_timed_value_control_source_set (tv, 0, row->from);
  gst_timed_value_control_source_set (tv, GST_SECOND / 2, row->from);
  gst_timed_value_control_source_set (tv, GST_SECOND, row->to);
  gst_timed_value_control_source_set (tv, 3 * GST_SECOND / 2, row->from);

  run_push (&r, x, n, 0, block, 0);
  run_eos (&r);
  fail_unless_equals_uint64 (out_frames (&r.out), n);
  const gdouble *y = out_data (&r.out);
  gdouble worst = 0, worst2 = 0;
  gsize worst_at = 0, worst2_at = 0;
  /* The output's amplitude around frame i: local_amp[i - period] is the
   * largest |y| of frames i - period .. i + period. */
  gdouble *local_amp = g_new (gdouble, n);
  for (gint c = 0; c < f->channels; c++) {
    sliding_abs_max (y + c, f->channels, n, 2 * period + 1, local_amp);
    /* From 10 ms on: the sine starts with a kink, on which an element
     * that band-limits (the limiter's band limit) rings for a few ms. */
    for (gsize i = MAX (period, RATE / 100); i + period < n; i++) {
      const gdouble amp = local_amp[i - period];
      gdouble step = fabs (y[i * f->channels + c]
          - y[(i - 1) * f->channels + c]);
      gdouble excess = step / (amp * step_per_amp + 1e-12);
      if (excess > worst) {
        worst = excess;
        worst_at = i;
      }
      /* A gain stepped at the sine's crest hides under the largest step
       * (taken at a zero crossing); the second difference, at most A (2
       * sin (pi f / fs))^2 for the sine, shows it anywhere. */
      gdouble curve = fabs (y[i * f->channels + c]
          - 2 * y[(i - 1) * f->channels + c] + y[(i - 2) * f->channels + c]);
      excess = curve / (amp * step_per_amp * step_per_amp + 1e-12);
      if (excess > worst2) {
        worst2 = excess;
        worst2_at = i;
      }
    }
  }
  g_free (local_amp);
  /* And the automation moved the output: its level where the property
   * is at @to against where it is at @from. */
  gdouble amp_from = 0, amp_to = 0;
  for (gsize i = RATE / 4; i < RATE / 2; i++)
    amp_from = MAX (amp_from, fabs (y[i * f->channels]));
  for (gsize i = RATE; i < RATE + RATE / 10; i++)
    amp_to = MAX (amp_to, fabs (y[i * f->channels]));
  GST_INFO ("%s: largest step %.4f of the sine's, second difference %.4f, "
      "level %+.2f dB at %g", row->factory, worst, worst2,
      20 * log10 (amp_to / amp_from), row->to);
  fail_unless (worst2 <= 1 + 2 * allowance, "%s %s %dch: %s %g -> %g: a "
      "second difference of %.3f times the sine's largest at frame %"
      G_GSIZE_FORMAT, row->factory, f->f64 ? "F64" : "F32", f->channels,
      row->automated, row->from, row->to, worst2, worst2_at);
  fail_unless (fabs (20 * log10 (amp_to / amp_from)) >= 1.0,
      "%s: %s automated %g -> %g, output level moved %.2f dB",
      row->factory, row->automated, row->from, row->to,
      20 * log10 (amp_to / amp_from));
  fail_unless (worst <= 1 + allowance, "%s %s %dch: %s %g -> %g: a step of "
      "%.3f times the sine's largest at frame %" G_GSIZE_FORMAT,
      row->factory, f->f64 ? "F64" : "F32", f->channels, row->automated,
      row->from, row->to, worst, worst_at);
  g_object_unref (target);
  gst_object_unref (cs);
  run_finish (&r);
  g_free (x);
}

GST_START_TEST (test_automation)
{
  const Row *row = &rows[__i__];
  if (!row->automated)
    return;
  check_automation (row, &stereo_f32);
  check_automation (row, row_format (row, &formats[3]));       /* F64 mono */
}
GST_END_TEST;

/* ---- 6. Latency: the query, live and not. ---------------------------- */

/* The latency answered is the one the element shows: what it holds back
 * before EOS (checked with every bypass run), added to upstream's (live),
 * and alone in a non-live pipeline. A delaying element posts a latency
 * message at setup. */
GST_START_TEST (test_latency)
{
  const Row *row = &rows[__i__];
  const Fmt *f = &stereo_f32;
  const gsize n = RATE / 2, block = 1000;
  gdouble *x = music (f->channels, n, 9, 1.0);
  Run r;
  run_open (&r, row, f, row->active);
  run_push (&r, x, n, 0, block, 0);
  GstClockTime live = query_latency (r.h, 20 * GST_MSECOND);
  guint64 held = n - out_frames (&r.out);
  fail_unless_equals_uint64 (latency_frames (live), held);
  fail_unless_equals_uint64 (live, query_latency (r.h, 0));
  if (held > 0)
    fail_unless (count_messages (r.bus, GST_MESSAGE_LATENCY) >= 1,
        "%s: no latency message", row->factory);
  run_eos (&r);
  fail_unless_equals_uint64 (out_frames (&r.out), n);
  run_finish (&r);
  g_free (x);

  /* Non-live: a bin's ghost pads answer with GStreamer's default latency
   * handling, which keeps only live answers (0 here), so only an element
   * of its own is asked. */
  if (!(row->flags & ROW_FILTER))
    return;
  gchar *caps = caps_string (f);
  gchar *desc = g_strdup_printf ("audiotestsrc ! %s ! %s name=el ! fakesink",
      caps, row->factory);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), "el");
  apply_settings (el, row->active);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED)
      != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  /* What the element answers over what its upstream does. */
  GstClockTime min[2];
  GstPad *sink = gst_element_get_static_pad (el, "sink");
  GstPad *src = gst_element_get_static_pad (el, "src");
  for (guint k = 0; k < 2; k++) {
    GstQuery *q = gst_query_new_latency ();
    gboolean is_live;
    GstClockTime max;
    fail_unless (k == 0 ? gst_pad_peer_query (sink, q) : gst_pad_query (src,
            q));
    gst_query_parse_latency (q, &is_live, &min[k], &max);
    fail_if (is_live);
    gst_query_unref (q);
  }
  fail_unless_equals_uint64 (min[1] - min[0], live);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (el);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (caps);
}
GST_END_TEST;

/* ---- 7. Leaks across the state changes. ------------------------------ */

/* Created, brought to each state in turn and back to NULL, destroyed: the
 * leaks tracer of the environment fails the test on any leaked object. */
GST_START_TEST (test_states)
{
  const Row *row = &rows[__i__];
  const GstState states[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING
  };
  gchar *caps = caps_string (&stereo_f32);
  for (guint k = 0; k < G_N_ELEMENTS (states); k++) {
    gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=20 ! %s ! %s "
        "name=el ! fakesink", caps, row->factory);
    GstElement *pipeline = gst_parse_launch (desc, NULL);
    fail_unless (pipeline != NULL);
    GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), "el");
    apply_settings (el, row->active);
    gst_object_unref (el);
    fail_unless (gst_element_set_state (pipeline, states[k])
        != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
            GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
    if (states[k] == GST_STATE_PLAYING) {
      GstBus *bus = gst_element_get_bus (pipeline);
      GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
          GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
      gst_message_unref (msg);
      gst_object_unref (bus);
    }
    fail_unless (gst_element_set_state (pipeline, GST_STATE_NULL)
        == GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (pipeline);
    g_free (desc);
  }
  g_free (caps);
}
GST_END_TEST;

/* ---- 8. A stream that ends before any data. ------------------------- */

/* A source with nothing to send ends its stream before any segment: the
 * element passes EOS on without a critical (an element posting a final
 * interval message had no segment to convert its times in). */
GST_START_TEST (test_eos_before_data)
{
  const Row *row = &rows[__i__];
  gchar *caps = caps_string (&stereo_f32);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=0 ! %s ! %s "
      "name=el ! fakesink", caps, row->factory);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), "el");
  apply_settings (el, row->active);
  gst_object_unref (el);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_NULL)
      == GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (caps);
}
GST_END_TEST;

static Suite *
conventions_suite (void)
{
  Suite *s = suite_create ("conventions");
  TCase *tc = tcase_create ("general");
  const gint n = G_N_ELEMENTS (rows);
  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, music_cache_fill, music_cache_clear);
  tcase_add_test (tc, test_table_covers_the_plugin);
  tcase_add_loop_test (tc, test_caps_refused, 0, n);
  tcase_add_loop_test (tc, test_bypass_bit_exact, 0, n);
  tcase_add_loop_test (tc, test_nonfinite_input, 0, n);
  tcase_add_loop_test (tc, test_flush, 0, n);
  tcase_add_loop_test (tc, test_discont, 0, n);
  tcase_add_loop_test (tc, test_gap, 0, n);
  tcase_add_loop_test (tc, test_automation, 0, n);
  tcase_add_loop_test (tc, test_latency, 0, n);
  tcase_add_loop_test (tc, test_states, 0, n);
  tcase_add_loop_test (tc, test_eos_before_data, 0, n);
  return s;
}

GST_CHECK_MAIN (conventions);
