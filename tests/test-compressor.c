/* Tests of the compressor element through GStreamer: the static curve
 * against the formula of Giannoulis, Massberg & Reiss (2012) computed here,
 * the attack and release time constants (63 % of the gain change in dB at
 * T), ducking by the sidechain pad (voice present, absent, late, ending
 * early; live and not live) with the main's sample count exact at EOS,
 * and the lookahead (latency query, output frame i = input frame i). */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "mst-gstcheck.h"

#define RATE 48000
#define BLOCK 1024

static gchar *
caps_str (gint channels)
{
  return g_strdup_printf ("audio/x-raw, format=F32LE, layout=interleaved, "
      "rate=%d, channels=%d, channel-mask=(bitmask)0", RATE, channels);
}

/* ---- the expected curve, written from the paper (eq. 4), not the core ---- */

static gdouble
giannoulis_gain_db (gdouble x, gdouble t, gdouble r, gdouble w)
{
  gdouble y;
  if (2.0 * (x - t) < -w)
    y = x;
  else if (w > 0.0 && 2.0 * fabs (x - t) <= w)
    y = x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0)
        / (2.0 * w);
  else
    y = t + (x - t) / r;
  return y - x;
}

/* ---- streaming ---- */

typedef enum
{
  KEY_NONE,                     /* no sidechain pad: the main keys itself */
  KEY_RELEASED,                 /* a sidechain pad requested, released */
  KEY_EMPTY,                    /* a sidechain pad that only sends EOS */
  KEY_DATA,                     /* a sidechain pad with the key's frames */
} KeyKind;

/* @buf's F32 samples appended to @out (@buf unreffed); its timestamp is
 * *@next_pts, which moves to its end. */
static void
append_output (GArray * out, GstBuffer * buf, GstClockTime * next_pts)
{
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), *next_pts);
  *next_pts += GST_BUFFER_DURATION (buf);
  g_array_append_vals (out, map.data, map.size / sizeof (gfloat));
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

/* Everything @h holds, F32 samples in order; the timestamps start at
 * @first_pts and continue from buffer to buffer. */
static GArray *
pull_all (GstHarness * h, GstClockTime first_pts)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gfloat));
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)))
    append_output (out, buf, &first_pts);
  return out;
}

/* @n frames of @x (@channels) from running-time frame @start, in buffers
 * of BLOCK, then EOS. */
static GList *
stream (const gfloat * x, gsize n, gint channels, guint64 start)
{
  GList *items = NULL;
  for (gsize done = 0; done < n; done += BLOCK) {
    gsize m = MIN (BLOCK, n - done);
    GstBuffer *buf = gst_buffer_new_memdup (x + done * channels,
        m * channels * sizeof (gfloat));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (start + done, GST_SECOND,
        RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (start + done + m,
        GST_SECOND, RATE) - GST_BUFFER_PTS (buf);
    items = g_list_append (items, buf);
  }
  return g_list_append (items, gst_event_new_eos ());
}

/* Runs @x (@n frames, @channels) through a compressor set by @props
 * ("prop=value ..."), keyed as @kind says (@key: @n_key frames of
 * @key_channels from running-time frame @key_start), until EOS. Returns
 * the output (*n_out frames); checks that its timestamps start at 0 and
 * continue without a gap. */
static gfloat *
run (const gchar * props, const gfloat * x, gsize n, gint channels,
    KeyKind kind, const gfloat * key, gsize n_key, gint key_channels,
    guint64 key_start, gsize * n_out, gdouble * reduction_db)
{
  gchar *desc = g_strdup_printf ("compressor %s", props);
  GstElement *el = gst_parse_launch (desc, NULL);
  GstHarness *h, *hk = NULL;
  gchar *caps = caps_str (channels);
  MstPushJob jm, jk;
  GThread *tm, *tk = NULL;
  GArray *out;

  fail_unless (el != NULL, "%s", desc);
  g_free (desc);
  if (kind == KEY_RELEASED) {
    GstPad *pad = gst_element_request_pad_simple (el, "sidechain");
    fail_unless (pad != NULL);
    gst_element_release_request_pad (el, pad);
    gst_object_unref (pad);
  }
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_live (h, FALSE);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  if (kind != KEY_NONE && kind != KEY_RELEASED) {
    hk = gst_harness_new_with_element (h->element, "sidechain", NULL);
    gst_harness_set_live (hk, FALSE);
    caps = caps_str (key_channels);
    gst_harness_set_src_caps_str (hk, caps);
    g_free (caps);
  }
  jm.h = h;
  jm.items = stream (x, n, channels, 0);
  tm = g_thread_new ("main", mst_push_thread, &jm);
  if (hk) {
    jk.h = hk;
    jk.items = kind == KEY_DATA ? stream (key, n_key, key_channels,
        key_start) : g_list_append (NULL, gst_event_new_eos ());
    tk = g_thread_new ("key", mst_push_thread, &jk);
  }
  mst_harness_wait_eos (h);
  g_thread_join (tm);
  if (tk)
    g_thread_join (tk);
  out = pull_all (h, 0);
  if (reduction_db)
    g_object_get (h->element, "gain-reduction", reduction_db, NULL);
  if (hk)
    gst_harness_teardown (hk);
  gst_harness_teardown (h);
  *n_out = out->len / channels;
  return (gfloat *) g_array_free (out, FALSE);
}

static gfloat *
run_self (const gchar * props, const gfloat * x, gsize n, gsize * n_out)
{
  return run (props, x, n, 1, KEY_NONE, NULL, 0, 0, 0, n_out, NULL);
}

/* Gain in dB of @y against @x over frames [@from, @to) (mono). */
static gdouble
gain_db (const gfloat * x, const gfloat * y, gsize from, gsize to)
{
  gdouble ex = 0, ey = 0;
  for (gsize i = from; i < to; i++) {
    ex += (gdouble) x[i] * x[i];
    ey += (gdouble) y[i] * y[i];
  }
  return 10.0 * log10 (ey / ex);
}

/* ---- static curve ---- */

typedef struct
{
  gdouble threshold, ratio, knee;
} Curve;

/* 16 levels of a steady 1 kHz sine, -60 to 0 dBFS: the settled gain is
 * the formula's within 0.1 dB, for the peak detector (level = the sine's
 * peak) and the RMS one (its RMS, 3.01 dB lower). */
GST_START_TEST (test_static_curve)
{
  static const Curve curves[] = {
    {-20.0, 4.0, 0.0}, {-30.0, 2.0, 10.0}, {-12.0, 8.0, 6.0},
    {-40.0, INFINITY, 12.0}, {-24.0, 1.5, 24.0},
  };
  const gsize n = RATE * 3 / 10, tail = RATE / 50;
  gfloat *x = g_new (gfloat, n);
  gdouble worst = 0.0;

  for (gint det = 0; det < 2; det++)
    for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
      for (gint k = 0; k < 16; k++) {
        gdouble level = -60.0 + 4.0 * k, amp = pow (10.0, level / 20.0);
        gchar *props = g_strdup_printf ("threshold=%g ratio=%g knee=%g "
            "detector=%s attack=1 release=1000 hold=2 rms-window=10",
            curves[c].threshold, curves[c].ratio, curves[c].knee,
            det ? "rms" : "peak");
        gsize n_out;
        gfloat *y;
        for (gsize i = 0; i < n; i++)
          x[i] = (gfloat) (amp * sin (2.0 * G_PI * 1000.0 * i / RATE));
        y = run_self (props, x, n, &n_out);
        fail_unless_equals_uint64 (n_out, n);
        gdouble measured = gain_db (x, y, n - tail, n);
        gdouble detected = det ? level - 10.0 * log10 (2.0) : level;
        gdouble expected = giannoulis_gain_db (detected, curves[c].threshold,
            curves[c].ratio, curves[c].knee);
        worst = MAX (worst, fabs (measured - expected));
        fail_unless (fabs (measured - expected) <= 0.1,
            "%s: level %g dB: gain %.3f dB, formula %.3f dB", props, level,
            measured, expected);
        g_free (props);
        g_free (y);
      }
  g_print ("static curve: largest error %.2e dB over 160 points\n", worst);
  g_free (x);
}

GST_END_TEST;

/* ---- time constants ---- */

/* Frame after @from where the gain (dB, DC so per sample) has covered 63.2
 * % of the way from @start_db to @end_db. */
static gsize
cross_63 (const gfloat * x, const gfloat * y, gsize from, gsize n,
    gdouble start_db, gdouble end_db)
{
  gdouble target = start_db + (1.0 - exp (-1.0)) * (end_db - start_db);
  for (gsize i = from; i < n; i++) {
    gdouble g = 20.0 * log10 (fabs (y[i] / x[i]));
    if (end_db < start_db ? g <= target : g >= target)
      return i;
  }
  return n;
}

/* A 20 dB step of a DC level (-40 to -20 dBFS and back) under a hard-knee
 * 4:1 at -30 dB: the gain covers 63 % of its change in dB within 10 % of
 * attack after the rise and of release after the fall. */
GST_START_TEST (test_time_constants)
{
  static const gdouble attacks[] = { 2.0, 10.0, 40.0 };
  static const gdouble releases[] = { 30.0, 100.0, 400.0 };
  /* 7.5 release constants after the fall: back within 0.01 dB. */
  const gsize n = RATE * 9 / 2, up = RATE / 2, down = RATE * 3 / 2;
  gfloat *x = g_new (gfloat, n);
  gdouble worst = 0.0;

  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) pow (10.0, (i >= up && i < down ? -20.0 : -40.0) / 20.0);
  for (guint k = 0; k < G_N_ELEMENTS (attacks); k++) {
    gchar *props = g_strdup_printf ("threshold=-30 ratio=4 knee=0 "
        "attack=%g release=%g", attacks[k], releases[k]);
    gdouble depth = giannoulis_gain_db (-20.0, -30.0, 4.0, 0.0);
    gsize n_out;
    gfloat *y = run_self (props, x, n, &n_out);
    gdouble t_attack, t_release;

    fail_unless_equals_uint64 (n_out, n);
    /* Settled at the end of each level. */
    fail_unless (fabs (20.0 * log10 (y[down - 1] / x[down - 1]) - depth)
        < 0.01);
    fail_unless (fabs (20.0 * log10 (y[n - 1] / x[n - 1])) < 0.01);
    t_attack = (cross_63 (x, y, up, n, 0.0, depth) - up) * 1000.0 / RATE;
    t_release = (cross_63 (x, y, down, n, depth, 0.0) - down) * 1000.0 / RATE;
    worst = MAX (worst, fabs (t_attack / attacks[k] - 1.0));
    worst = MAX (worst, fabs (t_release / releases[k] - 1.0));
    fail_unless (fabs (t_attack - attacks[k]) <= 0.1 * attacks[k],
        "%s: 63 %% of the attack at %.3f ms", props, t_attack);
    fail_unless (fabs (t_release - releases[k]) <= 0.1 * releases[k],
        "%s: 63 %% of the release at %.3f ms", props, t_release);
    g_free (props);
    g_free (y);
  }
  g_print ("time constants: largest error %.2f %% of T\n", 100.0 * worst);
  g_free (x);
}

GST_END_TEST;

/* ---- sidechain ducking ---- */

#define DUCK_PROPS "threshold=-30 ratio=4 knee=0 attack=10 release=100 " \
  "hold=10"
#define DUCK_ATTACK_MS 10.0
#define DUCK_RELEASE_MS 100.0
#define DUCK_HOLD_MS 10.0
/* The voice's peak, -10 dBFS: 20 dB over the threshold, 15 dB of ducking. */
#define VOICE_DB -10.0

/* Music-like main: three partials and a slow tremolo, about -12 dBFS,
 * stereo (the right channel a little different). */
static gfloat *
music (gsize n)
{
  gfloat *x = g_new (gfloat, 2 * n);
  for (gsize i = 0; i < n; i++) {
    gdouble t = (gdouble) i / RATE;
    gdouble v = 0.12 * sin (2 * G_PI * 110 * t) + 0.08 * sin (2 * G_PI * 277
        * t + 1.0) + 0.05 * sin (2 * G_PI * 1330 * t + 2.0);
    v *= 1.0 + 0.2 * sin (2 * G_PI * 0.7 * t);
    x[2 * i] = (gfloat) v;
    x[2 * i + 1] = (gfloat) (0.9 * v);
  }
  return x;
}

/* Voice-like key, mono: bursts of a 180 Hz tone (cosine, so its level is
 * there at the first sample) at VOICE_DB in [@on[k], @off[k]) frames. */
static gfloat *
voice (gsize n, const gsize * on, const gsize * off, guint bursts)
{
  gfloat *k = g_new0 (gfloat, n);
  gdouble amp = pow (10.0, VOICE_DB / 20.0);
  for (guint b = 0; b < bursts; b++)
    for (gsize i = on[b]; i < off[b] && i < n; i++)
      k[i] = (gfloat) (amp * cos (2 * G_PI * 180 * (i - on[b]) / RATE));
  return k;
}

/* The gain of the main (left channel) at each frame, in dB, where the
 * music is not near a zero crossing (NAN there). */
static gdouble
gain_at (const gfloat * x, const gfloat * y, gsize i)
{
  if (fabs (x[2 * i]) < 0.02)
    return NAN;
  return 20.0 * log10 (y[2 * i] / x[2 * i]);
}

/* First frame from @from where the gain has covered 63 % from @start_db to
 * @end_db. */
static gsize
duck_cross (const gfloat * x, const gfloat * y, gsize from, gsize n,
    gdouble start_db, gdouble end_db)
{
  gdouble target = start_db + (1.0 - exp (-1.0)) * (end_db - start_db);
  for (gsize i = from; i < n; i++) {
    gdouble g = gain_at (x, y, i);
    if (!isnan (g) && (end_db < start_db ? g <= target : g >= target))
      return i;
  }
  return n;
}

/* Checks ducking over [@on, @off) of the output: the gain reaches 63 % of
 * the depth within 10 % + one music half-cycle of the attack after @on,
 * the full depth (within 0.2 dB) before @off, and comes back (63 % within
 * 10 % of the release, 0 dB within 0.1 dB at @back). */
static void
check_duck (const gfloat * x, const gfloat * y, gsize n, gsize on, gsize off,
    gsize back, const gchar * what)
{
  const gdouble depth = giannoulis_gain_db (VOICE_DB, -30.0, 4.0, 0.0);
  gdouble t_on = (duck_cross (x, y, on, n, 0.0, depth) - (gdouble) on)
      * 1000.0 / RATE;
  gdouble t_off = (duck_cross (x, y, off, n, depth, 0.0) - (gdouble) off)
      * 1000.0 / RATE;
  g_print ("%s: 63 %% of the ducking %.2f ms after the voice, of the "
      "release %.2f ms after it\n", what, t_on, t_off);
  fail_unless (fabs (t_on - DUCK_ATTACK_MS) <= 0.1 * DUCK_ATTACK_MS + 0.5,
      "%s: 63 %% of the ducking %.2f ms after the voice", what, t_on);
  /* The release starts once the hold is over, counted from the last peak
   * that refreshed it (at most hold_ms before the voice's end, at most a
   * half period of it, 2.8 ms, after its last peak). */
  fail_unless (t_off >= 0.9 * DUCK_RELEASE_MS - 3.0
      && t_off <= 1.1 * DUCK_RELEASE_MS + DUCK_HOLD_MS + 3.0,
      "%s: 63 %% of the release %.2f ms after the voice", what, t_off);
  for (gsize i = off - RATE / 20; i < off; i++) {
    gdouble g = gain_at (x, y, i);
    fail_unless (isnan (g) || fabs (g - depth) < 0.2,
        "%s: frame %" G_GSIZE_FORMAT ": %.3f dB ducked, not %.3f", what, i,
        g, depth);
  }
  for (gsize i = back; i < back + RATE / 20 && i < n; i++) {
    gdouble g = gain_at (x, y, i);
    fail_unless (isnan (g) || fabs (g) < 0.1, "%s: frame %" G_GSIZE_FORMAT
        ": %.3f dB after the voice", what, i, g);
  }
}

/* Before @until frames the output is the input bit for bit (no key). */
static void
check_untouched (const gfloat * x, const gfloat * y, gsize until,
    const gchar * what)
{
  for (gsize i = 0; i < 2 * until; i++)
    fail_unless (x[i] == y[i], "%s: sample %" G_GSIZE_FORMAT " changed: %g "
        "-> %g", what, i, x[i], y[i]);
}

/* The voice present: two bursts duck the music by the curve's depth, with
 * the attack and release timing; between and after them it is back. */
GST_START_TEST (test_ducking_voice_present)
{
  const gsize n = 4 * RATE;
  const gsize on[] = { RATE / 2, 2 * RATE }, off[] = { RATE + RATE / 4,
    3 * RATE
  };
  gfloat *x = music (n), *k = voice (n, on, off, 2), *y;
  gsize n_out;
  gdouble reduction;

  y = run (DUCK_PROPS, x, n, 2, KEY_DATA, k, n, 1, 0, &n_out, &reduction);
  fail_unless_equals_uint64 (n_out, n);
  check_untouched (x, y, on[0], "before the voice");
  check_duck (x, y, n, on[0], off[0], off[0] + RATE * 7 / 10, "burst 1");
  check_duck (x, y, n, on[1], off[1], off[1] + RATE * 7 / 10, "burst 2");
  /* Read at EOS: released by then. */
  fail_unless (reduction >= 0.0 && reduction < 0.1, "%g dB", reduction);
  g_free (x);
  g_free (k);
  g_free (y);
}

GST_END_TEST;

/* The voice absent: a sidechain with no data at all (EOS at once) leaves
 * the music untouched, though it is over the threshold; without the
 * sidechain pad (never requested, or released) the music keys itself and
 * is compressed. */
GST_START_TEST (test_ducking_voice_absent)
{
  const gsize n = 2 * RATE;
  gfloat *x = music (n), *y;
  gsize n_out;

  y = run (DUCK_PROPS, x, n, 2, KEY_EMPTY, NULL, 0, 1, 0, &n_out, NULL);
  fail_unless_equals_uint64 (n_out, n);
  check_untouched (x, y, n, "empty sidechain");
  g_free (y);

  /* No sidechain pad, or one requested and released: the music peaks
   * near -9 dBFS, some dB over -30 at 4:1. */
  for (KeyKind kind = KEY_NONE; kind <= KEY_RELEASED; kind++) {
    y = run (DUCK_PROPS, x, n, 2, kind, NULL, 0, 0, 0, &n_out, NULL);
    fail_unless_equals_uint64 (n_out, n);
    fail_unless (gain_db (x, y, RATE, n) < -10.0, "self-keyed: %.2f dB",
        gain_db (x, y, RATE, n));
    g_free (y);
  }
  g_free (x);
}

GST_END_TEST;

/* A voice that starts late (its first buffer 1.5 s into the main, by
 * running time) is silence before; one that ends early (EOS at 2 s of a 4 s
 * main) is silence after: the music comes back and every frame of it is
 * out. */
GST_START_TEST (test_ducking_late_and_early)
{
  const gsize n = 4 * RATE, start = RATE + RATE / 2;
  const gsize on[] = { RATE / 4 }, off[] = { RATE / 2 + RATE / 4 };
  gfloat *x = music (n), *k = voice (RATE, on, off, 1), *y;
  gsize n_out;

  /* Late: key frames [0, 1 s) at running time 1.5 s; ends at 2.5 s. */
  y = run (DUCK_PROPS, x, n, 2, KEY_DATA, k, RATE, 1, start, &n_out, NULL);
  fail_unless_equals_uint64 (n_out, n);
  check_untouched (x, y, start + on[0], "late voice, before it");
  check_duck (x, y, n, start + on[0], start + off[0], start + off[0] +
      RATE * 7 / 10, "late voice");
  g_free (y);

  /* Early end: the same burst from the start, then EOS at 1 s. */
  y = run (DUCK_PROPS, x, n, 2, KEY_DATA, k, RATE, 1, 0, &n_out, NULL);
  fail_unless_equals_uint64 (n_out, n);
  check_duck (x, y, n, on[0], off[0], off[0] + RATE * 7 / 10, "early end");
  /* 17 release constants after the voice's end. */
  for (gsize i = 5 * RATE / 2; i < n; i++) {
    gdouble g = gain_at (x, y, i);
    fail_unless (isnan (g) || fabs (g) < 1e-4, "after the key's EOS: %g dB",
        g);
  }
  g_free (y);
  g_free (x);
  g_free (k);
}

GST_END_TEST;

/* Live: both sources live, the voice's a second shorter than the music;
 * the main goes on to its EOS with every frame out, and the voice ducked
 * it (the largest reduction in the messages). */
static GstPadProbeReturn
count_frames (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info,
    gpointer data)
{
  *(guint64 *) data += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info))
      / (2 * sizeof (gfloat));
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_ducking_live)
{
  const guint buffers = 60, frames = 480;
  gchar *desc = g_strdup_printf ("audiotestsrc is-live=true num-buffers=%u "
      "samplesperbuffer=%u volume=0.25 ! audio/x-raw,format=F32LE,rate=%d,"
      "channels=2 ! compressor name=c " DUCK_PROPS " interval=100000000 ! "
      "fakesink name=out sync=false  audiotestsrc is-live=true "
      "num-buffers=%u samplesperbuffer=%u volume=0.3 ! audio/x-raw,"
      "format=F32LE,rate=%d,channels=1 ! c.sidechain", buffers, frames, RATE,
      buffers / 2, frames, RATE);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;
  gdouble deepest = 0.0;
  guint64 frames_out = 0;
  gboolean final = FALSE;

  g_free (desc);
  fail_unless (pipe != NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frames,
      &frames_out, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    const GstStructure *s = gst_message_get_structure (msg);
    fail_if (type == GST_MESSAGE_ERROR);
    if (type == GST_MESSAGE_ELEMENT && gst_structure_has_name (s,
            "compressor")) {
      gdouble r;
      fail_unless (gst_structure_get_double (s, "gain-reduction", &r));
      deepest = MAX (deepest, r);
      gst_structure_get_boolean (s, "final", &final);
    }
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  fail_unless (msg != NULL, "no EOS");
  fail_unless (final, "no final message");
  fail_unless_equals_uint64 (frames_out, (guint64) buffers * frames);
  /* The test tone at 0.3 (-10.5 dBFS): about 15 dB of ducking. */
  fail_unless (deepest > 10.0, "deepest reduction %.2f dB", deepest);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* A mono sidechain requested and fed in the middle of a stereo stream,
 * with a lookahead: the core is configured again for the mono key, and
 * what it held goes out first; every main frame comes out once, with
 * continuous timestamps, and the voice ducks what follows. */
GST_START_TEST (test_sidechain_joins_mid_stream)
{
  const gsize n = 4 * RATE, half = 2 * RATE;
  const gsize on[] = { half + RATE / 4 }, off[] = { half + RATE };
  gfloat *x = music (n), *k = voice (n, on, off, 1);
  GstElement *el = gst_element_factory_make ("compressor", NULL);
  GstHarness *h, *hk;
  gchar *caps = caps_str (2);
  MstPushJob jm, jk;
  GThread *tm, *tk;
  GList *items, *rest = NULL;
  GArray *y = g_array_new (FALSE, FALSE, sizeof (gfloat));
  GstClockTime next_pts = 0;
  GstBuffer *buf;
  gsize pushed = 0;

  /* 4:1 over -30 dB; the music keys itself until the voice comes. */
  g_object_set (el, "lookahead", 5.0, NULL);
  gst_util_set_object_arg (G_OBJECT (el), "threshold", "-30");
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_live (h, FALSE);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  items = stream (x, n, 2, 0);
  for (GList * l = items; l; l = l->next) {
    if (pushed < half && GST_IS_BUFFER (l->data)) {
      pushed += gst_buffer_get_size (l->data) / (2 * sizeof (gfloat));
      fail_unless_equals_int (gst_harness_push (h, l->data), GST_FLOW_OK);
    } else
      rest = g_list_append (rest, l->data);
  }
  g_list_free (items);
  /* The first part out, all but what the lookahead holds (240 frames). */
  while (y->len / 2 + 240 < pushed)
    append_output (y, gst_harness_pull (h), &next_pts);
  fail_unless_equals_uint64 (y->len / 2 + 240, pushed);

  hk = gst_harness_new_with_element (h->element, "sidechain", NULL);
  gst_harness_set_live (hk, FALSE);
  caps = caps_str (1);
  gst_harness_set_src_caps_str (hk, caps);
  g_free (caps);
  jm.h = h;
  jm.items = rest;
  jk.h = hk;
  jk.items = stream (k + pushed, n - pushed, 1, pushed);
  tm = g_thread_new ("main", mst_push_thread, &jm);
  tk = g_thread_new ("key", mst_push_thread, &jk);
  mst_harness_wait_eos (h);
  g_thread_join (tm);
  g_thread_join (tk);
  while ((buf = gst_harness_try_pull (h)))
    append_output (y, buf, &next_pts);
  fail_unless_equals_uint64 (y->len / 2, n);
  /* Keyed by the voice: ducked while it speaks, untouched after. */
  fail_unless (gain_db (x, (gfloat *) y->data, 2 * (on[0] + RATE / 4),
          2 * off[0]) < -10.0);
  for (gsize i = off[0] + RATE; i < n; i++) {
    gdouble g = gain_at (x, (gfloat *) y->data, i);
    fail_unless (isnan (g) || fabs (g) < 0.01, "frame %" G_GSIZE_FORMAT
        ": %g dB", i, g);
  }
  g_array_free (y, TRUE);
  gst_harness_teardown (hk);
  gst_harness_teardown (h);
  g_free (x);
  g_free (k);
}

GST_END_TEST;

/* ---- lookahead ---- */

/* The LATENCY query answers the lookahead; output frame i is input frame i
 * (bit-exact where nothing compresses), timestamps continuous, as many
 * frames out as in; and the gain is down by the time a step arrives. */
GST_START_TEST (test_lookahead)
{
  const gsize n = RATE + 777, step = RATE / 2;
  const gdouble lookahead_ms = 5.0;
  gfloat *x = g_new (gfloat, n), *y;
  gsize n_out;
  GstElement *el = gst_element_factory_make ("compressor", NULL);
  GstHarness *h;
  gchar *caps = caps_str (1);

  /* Latency query, once the core is configured (the first frames out). */
  g_object_set (el, "lookahead", lookahead_ms, NULL);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  gst_harness_push (h, gst_buffer_new_wrapped (g_new0 (gfloat, 480),
          480 * sizeof (gfloat)));
  gst_buffer_unref (gst_harness_pull (h));
  fail_unless_equals_uint64 (gst_harness_query_latency (h),
      (GstClockTime) (lookahead_ms * GST_MSECOND));
  gst_harness_teardown (h);

  /* Below the threshold: frame for frame the input. */
  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) (0.001 * sin (0.01 * i) + 1e-6 * (i % 97));
  y = run_self ("lookahead=5 threshold=-20", x, n, &n_out);
  fail_unless_equals_uint64 (n_out, n);
  for (gsize i = 0; i < n; i++)
    fail_unless (y[i] == x[i], "frame %" G_GSIZE_FORMAT ": %g, not %g", i,
        y[i], x[i]);
  g_free (y);

  /* A DC step from -60 to -20 dBFS under 4:1 at -30 dB, attack 1 ms: the
   * 5 attack constants of lookahead bring the gain within 1 % of its
   * depth (-7.5 dB) at the step's first frame. */
  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) pow (10.0, (i < step ? -60.0 : -20.0) / 20.0);
  y = run_self ("lookahead=5 threshold=-30 ratio=4 knee=0 attack=1", x, n,
      &n_out);
  fail_unless_equals_uint64 (n_out, n);
  fail_unless (fabs (20 * log10 (y[step] / x[step]) + 7.5) < 0.075,
      "at the step: %.3f dB", 20 * log10 (y[step] / x[step]));
  g_free (y);
  /* Without lookahead the step's first frame is not reduced yet. */
  y = run_self ("threshold=-30 ratio=4 knee=0 attack=1", x, n, &n_out);
  fail_unless (fabs (20 * log10 (y[step] / x[step])) < 0.2);
  g_free (y);
  g_free (x);
}

GST_END_TEST;

/* A lookahead changed while playing: the frames held go out first, the new
 * latency is answered and posted; every frame out once, in order, with
 * continuous timestamps. */
GST_START_TEST (test_lookahead_change_while_playing)
{
  GstElement *el = gst_element_factory_make ("compressor", NULL);
  GstHarness *h;
  GstBus *bus = gst_bus_new ();
  gchar *caps = caps_str (1);
  const gsize n = 4800, blocks = 10;
  gfloat *x = g_new (gfloat, n * blocks);
  GArray *y;
  GstMessage *msg;
  guint latency_messages = 0;

  /* Below the threshold: the output is the input, frame for frame. */
  for (gsize i = 0; i < n * blocks; i++)
    x[i] = (gfloat) (1e-3 * sin (0.003 * i) + 1e-7 * (i % 13));
  g_object_set (el, "lookahead", 2.0, "threshold", -20.0, NULL);
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  for (gsize b = 0; b < blocks; b++) {
    GstBuffer *in = gst_buffer_new_memdup (x + b * n, n * sizeof (gfloat));
    GST_BUFFER_PTS (in) = gst_util_uint64_scale (b * n, GST_SECOND, RATE);
    GST_BUFFER_DURATION (in) = gst_util_uint64_scale (n, GST_SECOND, RATE);
    if (b == blocks / 2) {
      fail_unless_equals_uint64 (gst_harness_query_latency (h),
          2 * GST_MSECOND);
      g_object_set (h->element, "lookahead", 10.0, NULL);
    }
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  /* Once EOS is out, all is processed: the new latency in force. */
  gst_harness_push_event (h, gst_event_new_eos ());
  mst_harness_wait_eos (h);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY))) {
    latency_messages++;
    gst_message_unref (msg);
  }
  fail_unless (latency_messages >= 2, "%u latency messages",
      latency_messages);
  fail_unless_equals_uint64 (gst_harness_query_latency (h),
      10 * GST_MSECOND);
  y = pull_all (h, 0);
  fail_unless_equals_uint64 (y->len, n * blocks);
  for (gsize i = 0; i < n * blocks; i++)
    fail_unless (g_array_index (y, gfloat, i) == x[i], "frame %"
        G_GSIZE_FORMAT, i);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_array_free (y, TRUE);
  g_free (x);
}

GST_END_TEST;

/* "ratio=inf" from a launch line; above 100 reads as inf. A key filter
 * under the core's 10 Hz is 10 Hz (0 stays off), not a setting the core
 * would refuse with every other one. */
GST_START_TEST (test_property_values)
{
  GstElement *el = gst_parse_launch ("compressor ratio=inf", NULL);
  gdouble r;
  g_object_get (el, "ratio", &r, NULL);
  fail_unless (isinf (r));
  g_object_set (el, "ratio", 250.0, NULL);
  g_object_get (el, "ratio", &r, NULL);
  fail_unless (isinf (r));
  g_object_set (el, "ratio", 100.0, NULL);
  g_object_get (el, "ratio", &r, NULL);
  fail_unless_equals_float (r, 100.0);
  g_object_set (el, "sidechain-lowpass", 5.0, "sidechain-highpass", 0.0,
      NULL);
  g_object_get (el, "sidechain-lowpass", &r, NULL);
  fail_unless_equals_float (r, 10.0);
  g_object_get (el, "sidechain-highpass", &r, NULL);
  fail_unless_equals_float (r, 0.0);
  gst_object_unref (el);
}

GST_END_TEST;

static Suite *
compressor_suite (void)
{
  Suite *s = suite_create ("compressor");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_static_curve);
  tcase_add_test (tc, test_time_constants);
  tcase_add_test (tc, test_ducking_voice_present);
  tcase_add_test (tc, test_ducking_voice_absent);
  tcase_add_test (tc, test_ducking_late_and_early);
  tcase_add_test (tc, test_ducking_live);
  tcase_add_test (tc, test_sidechain_joins_mid_stream);
  tcase_add_test (tc, test_lookahead);
  tcase_add_test (tc, test_lookahead_change_while_playing);
  tcase_add_test (tc, test_property_values);
  return s;
}

GST_CHECK_MAIN (compressor);
