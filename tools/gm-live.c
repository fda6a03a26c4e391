/* gst-master live: one feed, two pipelines joined by a pad probe and an
 * appsrc. The output pipeline (appsrc ! master ! loudmeter ! output) is
 * built once and runs until the end: the loudness controller of the master
 * bin keeps its state over any drop of the source. The source pipeline
 * (source ! audioconvert ! audioresample ! fixed caps ! fakesink, whose
 * pad's probe takes every buffer) is torn down when it errors, ends or
 * goes quiet, and rebuilt after a backoff delay; meanwhile silence is pushed into the output, so the output's
 * samples and timestamps run on without a gap. Every buffer into the
 * output is stamped here from the count of frames pushed (PTS = frames /
 * rate), whatever the source's own timestamps: a new source starts where
 * the last one stopped. */
#include "gm-live.h"

#include <gst/app/app.h>
#include <gst/controller/controller.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-formats.h"
#include "gm-report.h"
#include "gm-run.h"
#include "mst-targets.h"

#define PROG "gst-master"

static const double backoff_s[] = { GM_LIVE_BACKOFF_STEPS };

/* The meter on the output posts every 100 ms (GM_INTERVAL_NS, EBU Tech
 * 3341's short-term update rate); the stats lines gather its messages. */

typedef enum {
  SRC_CONNECTED,                /* a source pipeline runs */
  SRC_WAITING,                  /* none: the backoff delay runs */
  SRC_ENDING,                   /* the output drains to EOS */
} SrcState;

typedef struct {
  /* options */
  const char *input, *output;
  const MstTarget *target;
  const char *stats_path;       /* "-": standard output; NULL: no stats */
  double interval_s;
  int rate_hz, channels;
  double duration_s;            /* 0: until stopped */
  int max_reconnects;           /* -1: no limit */
  double timeout_s;
  gboolean quiet;

  /* what the input and output URIs give */
  char *src_desc;
  gboolean live;
  gboolean input_is_file;       /* its EOS ends the run */
  /* Kept between the target's ceiling and the limiter's for a lossy
   * output (Opus over SRT, .opus, .mp3, .m4a): the decoded stream
   * overshoots the encoder's input (GmFormat's headroom_db, as gst-master
   * master keeps). */
  double headroom_db;
  /* How long the output lives on after its EOS before it is torn down:
   * what the sink still has to send (0: nothing). */
  guint linger_ms;
  double vary_period_s;         /* test://?vary=S: level swept, 0: none */

  GMainLoop *loop;
  GstElement *out_pipe, *appsrc;
  /* Buffers of SILENCE_CHUNK frames for the gaps, back here once the
   * output is done with them: no allocation after the first few. */
  GstBufferPool *silence_pool;
  GstElement *src_pipe;
  guint src_bus_watch;
  SrcState state;
  int backoff_step;
  gint64 waiting_since_us, retry_at_us, filled_until_us;
  gint64 connected_at_us;
  guint64 frames_at_connect;

  /* Written by the pushing thread (one at a time: the source's streaming
   * thread while connected, else the main loop), read by the main loop. */
  gint64 frames_in;             /* frames pushed into the output */
  gint64 frames_limit;          /* --duration in frames, or G_MAXINT64 */
  gint64 last_data_us;
  gint64 dropped_frames;
  gint64 silence_frames;
  int reconnects;

  /* counted at the meter's sink pad (streaming thread of the output) */
  gint64 frames_out;
  gint64 timestamp_errors;

  /* from the bus messages */
  double momentary, short_term, integrated, true_peak, gain_db;
  double reduction_db;          /* largest over the stats interval */
  double next_stats_s;
  FILE *stats;
  int exit_status;
  gboolean eos_sent;
} GmLive;

static GmLive L;

/* The counters shared between a streaming thread and the main loop. */
#define LOAD(x) __atomic_load_n (&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n (&(x), (v), __ATOMIC_RELAXED)

static void
say (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *fmt, ...)
{
  va_list ap;
  if (L.quiet)
    return;
  va_start (ap, fmt);
  fprintf (stderr, "%s live: ", PROG);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* ------------------------------------------------------------------ */
/* URIs                                                               */

static const char *
param (GHashTable * p, const char *k, const char *def)
{
  const char *v = p ? g_hash_table_lookup (p, k) : NULL;
  return v ? v : def;
}

static gboolean
param_double (GHashTable * p, const char *k, double def, double lo,
    double hi, double *out, char **err)
{
  const char *v = param (p, k, NULL);
  char *end;
  if (!v) {
    *out = def;
    return TRUE;
  }
  *out = g_ascii_strtod (v, &end);
  if (end == v || *end || !(*out >= lo && *out <= hi)) {
    *err = g_strdup_printf ("%s=%s: a number from %g to %g", k, v, lo, hi);
    return FALSE;
  }
  return TRUE;
}

/* The query of @uri as a table (NULL when none); FALSE with *err when it
 * does not parse. */
static gboolean
uri_query (const char *uri, GHashTable ** params, char **err)
{
  const char *q = strchr (uri, '?');
  GError *e = NULL;
  *params = NULL;
  if (!q)
    return TRUE;
  *params = g_uri_parse_params (q + 1, -1, "&", G_URI_PARAMS_NONE, &e);
  if (!*params) {
    *err = g_strdup_printf ("%s: %s", uri, e->message);
    g_error_free (e);
    return FALSE;
  }
  return TRUE;
}

/* test://?wave=W&freq=HZ&volume=V&live=0|1&num-buffers=N&vary=S: the
 * audiotestsrc (pink noise by default, the closest to a programme's
 * spectrum it has) in 10 ms buffers; num-buffers makes a feed that drops
 * after N buffers; vary sweeps the level (a triangle over S seconds, 14 dB)
 * so the controller has something to follow. */
static char *
test_source (const char *uri, char **err)
{
  GHashTable *p;
  double freq, volume, live, nbuf, vary;
  const char *wave;
  GEnumClass *waves;
  char *desc = NULL;

  if (!uri_query (uri, &p, err))
    return NULL;
  wave = param (p, "wave", "pink-noise");
  {
    /* The wave names from the element itself (its enum type exists once
     * the element is loaded). */
    GstElement *probe = gst_element_factory_make ("audiotestsrc", NULL);
    GParamSpec *ps = probe ? g_object_class_find_property
        (G_OBJECT_GET_CLASS (probe), "wave") : NULL;
    waves = ps ? g_type_class_ref (ps->value_type) : NULL;
    if (probe)
      gst_object_unref (probe);
  }
  if (!waves) {
    *err = g_strdup_printf ("%s: the audiotestsrc element is missing "
        "(gstreamer1.0-plugins-base)", uri);
    goto out;
  }
  if (!g_enum_get_value_by_nick (waves, wave)) {
    *err = g_strdup_printf ("%s: unknown wave '%s' (audiotestsrc's: sine, "
        "pink-noise, white-noise, ticks, ...)", uri, wave);
    goto out;
  }
  if (!param_double (p, "freq", 440, 1, 20000, &freq, err)
      || !param_double (p, "volume", 0.25, 0, 1, &volume, err)
      || !param_double (p, "live", 1, 0, 1, &live, err)
      || !param_double (p, "num-buffers", -1, -1, 1e12, &nbuf, err)
      || !param_double (p, "vary", 0, 0, 86400, &vary, err))
    goto out;
  L.live = live != 0;
  L.vary_period_s = vary;
  desc = g_strdup_printf ("audiotestsrc name=src is-live=%s wave=%s "
      "freq=%g volume=%g samplesperbuffer=%d num-buffers=%.0f",
      L.live ? "true" : "false", wave, freq, volume, L.rate_hz / 100, nbuf);
out:
  if (waves)
    g_type_class_unref (waves);
  if (p)
    g_hash_table_unref (p);
  return desc;
}

/* udp://[HOST]:PORT[?format=L24|L16|raw]: RTP L24 or L16 (RFC 3190, RFC
 * 3551 section 4.5.11) at --rate and --channels, payload type 96, through a
 * jitter buffer; raw: F32LE interleaved datagrams. */
/* A udp:// URI: its host (NULL when none or "@"), port and format (L24,
 * L16 or raw; L24 by default); FALSE with *err when it has no port, no
 * host though @need_host, or another format. */
static gboolean
udp_uri (const char *uri, gboolean need_host, char **host, int *port,
    char **fmt, char **err)
{
  GError *e = NULL;
  GHashTable *p = NULL;
  GUri *u = g_uri_parse (uri, G_URI_FLAGS_NONE, &e);
  const char *h;
  gboolean ok = FALSE;

  if (!u) {
    *err = g_strdup_printf ("%s: %s", uri, e->message);
    g_error_free (e);
    return FALSE;
  }
  h = g_uri_get_host (u);
  *host = h && *h && strcmp (h, "@") ? g_strdup (h) : NULL;
  *port = g_uri_get_port (u);
  *fmt = NULL;
  if (*port <= 0 || (need_host && !*host))
    *err = g_strdup_printf ("%s: no %s (udp://%s:PORT)", uri, *port <= 0 ?
        "port" : "host", need_host ? "HOST" : "[HOST]");
  else if (uri_query (uri, &p, err)) {
    *fmt = g_strdup (param (p, "format", "L24"));
    ok = !strcmp (*fmt, "L24") || !strcmp (*fmt, "L16")
        || !strcmp (*fmt, "raw");
    if (!ok)
      *err = g_strdup_printf ("%s: format=%s: L24, L16 or raw", uri, *fmt);
  }
  if (p)
    g_hash_table_unref (p);
  g_uri_unref (u);
  if (!ok) {
    g_clear_pointer (host, g_free);
    g_clear_pointer (fmt, g_free);
  }
  return ok;
}

/* udp://[HOST]:PORT[?format=L24|L16|raw]: RTP L24 or L16 (RFC 3190, RFC
 * 3551 section 4.5.11) at --rate and --channels, payload type 96, through a
 * jitter buffer; raw: F32LE interleaved datagrams. */
static char *
udp_source (const char *uri, char **err)
{
  char *host, *fmt, *addr, *desc;
  int port;

  if (!udp_uri (uri, FALSE, &host, &port, &fmt, err))
    return NULL;
  addr = host ? g_strdup_printf ("address=%s ", host) : g_strdup ("");
  if (strcmp (fmt, "raw"))
    desc = g_strdup_printf ("udpsrc %sport=%d caps=\"application/x-rtp,"
        "media=audio,clock-rate=%d,encoding-name=%s,channels=%d,payload=96\" "
        "! rtpjitterbuffer latency=50 ! rtp%sdepay", addr, port, L.rate_hz,
        fmt, L.channels, fmt);
  else
    desc = g_strdup_printf ("udpsrc %sport=%d caps=\"audio/x-raw,"
        "format=F32LE,layout=interleaved,rate=%d,channels=%d\"", addr, port,
        L.rate_hz, L.channels);
  L.live = TRUE;
  g_free (addr);
  g_free (host);
  g_free (fmt);
  return desc;
}

/* The source part for --input, up to its raw audio; NULL with *err for a
 * URI that cannot work (bad syntax, no element for its protocol, a missing
 * file). */
static char *
source_desc (const char *in, char **err)
{
  char *uri, *desc, *proto;

  if (g_str_has_prefix (in, "test://"))
    return test_source (in, err);
  if (g_str_has_prefix (in, "udp://"))
    return udp_source (in, err);
  if (!strstr (in, "://")) {
    GError *e = NULL;
    if (!g_file_test (in, G_FILE_TEST_IS_REGULAR)) {
      *err = g_strdup_printf ("%s: no such file (an input is a file or a URI: "
          "file://, http://, rtsp://, srt://, rtmp://, udp://, test://)", in);
      return NULL;
    }
    uri = gst_filename_to_uri (in, &e);
    if (!uri) {
      *err = g_strdup_printf ("%s: %s", in, e->message);
      g_error_free (e);
      return NULL;
    }
  } else {
    uri = g_strdup (in);
  }
  if (!gst_uri_is_valid (uri)) {
    *err = g_strdup_printf ("%s: not a valid URI", in);
    g_free (uri);
    return NULL;
  }
  proto = gst_uri_get_protocol (uri);
  if (!gst_uri_protocol_is_supported (GST_URI_SRC, proto)) {
    *err = g_strdup_printf ("%s: no GStreamer source for '%s://' (install "
        "the plugin that reads it, or use file, http, rtsp, srt, rtmp, "
        "udp, test)", in, proto);
    g_free (proto);
    g_free (uri);
    return NULL;
  }
  if (!strcmp (proto, "file")) {
    char *path = g_filename_from_uri (uri, NULL, NULL);
    gboolean ok = path && g_file_test (path, G_FILE_TEST_IS_REGULAR);
    g_free (path);
    if (!ok) {
      *err = g_strdup_printf ("%s: no such file", in);
      g_free (proto);
      g_free (uri);
      return NULL;
    }
    L.input_is_file = TRUE;
  }
  L.live = strcmp (proto, "file") != 0;
  desc = g_strdup_printf ("uridecodebin uri=\"%s\"", uri);
  g_free (proto);
  g_free (uri);
  return desc;
}

/* srtsink closes its socket when the pipeline stops and SRT (live mode,
 * no linger) drops what it has not sent: the master bin's drain at EOS
 * comes as a burst, and the last 0.55 s of an 8 s run never reached the
 * receiver (test-live-srt-caller). 0.5 s of grace delivered every frame
 * on the loopback; 1 s leaves room for a network's round trips and the
 * receiver's 120 ms of SRT latency. */
#define SRT_LINGER_MS 1000

/* The output part after the meter, and the caps master gives it; NULL
 * with *err for an output that cannot work. */
static char *
output_desc (const char *out, char **caps, char **err)
{
  *caps = NULL;
  if (!strcmp (out, "null://"))
    return g_strdup ("fakesink sync=false");
  if (!strcmp (out, "auto://"))
    return g_strdup ("audioconvert ! autoaudiosink name=auto");
  if (g_str_has_prefix (out, "udp://")) {
    char *host, *fmt, *desc;
    int port;
    if (!udp_uri (out, TRUE, &host, &port, &fmt, err))
      return NULL;
    if (strcmp (fmt, "raw")) {
      *caps = g_strdup_printf ("audio/x-raw,format=%s",
          fmt[1] == '2' ? "S24LE" : "S16LE");
      desc = g_strdup_printf ("audioconvert dithering=none ! rtp%spay pt=96 "
          "! udpsink host=%s port=%d sync=false", fmt, host, port);
    } else {
      desc = g_strdup_printf ("udpsink host=%s port=%d sync=false", host,
          port);
    }
    g_free (host);
    g_free (fmt);
    return desc;
  }
  if (g_str_has_prefix (out, "srt://")) {
    /* MPEG-TS over SRT, Opus inside: what SRT receivers (ffmpeg, OBS,
     * GStreamer) take. */
    if (!gst_uri_is_valid (out)) {
      *err = g_strdup_printf ("%s: not a valid URI", out);
      return NULL;
    }
    *caps = g_strdup ("audio/x-raw,format=S16LE");
    L.headroom_db = gm_format_find ("opus")->headroom_db;
    L.linger_ms = SRT_LINGER_MS;
    return g_strdup_printf ("audioconvert dithering=none ! opusenc bitrate=192000 ! "
        "mpegtsmux ! srtsink uri=\"%s\" sync=false wait-for-connection=false",
        out);
  }
  {
    /* a file: its format from the extension, written by filesink and
     * finalised at EOS (the WAV header's sizes). */
    char *path = g_str_has_prefix (out, "file://") ?
        g_filename_from_uri (out, NULL, NULL) : strstr (out, "://") ? NULL
        : g_strdup (out);
    const GmFormat *f;
    char *desc, *q;
    if (!path) {
      *err = g_strdup_printf ("%s: an output is a file, file://, udp://, "
          "srt://, null:// or auto://", out);
      return NULL;
    }
    if (!(f = gm_format_for_output (path, L.target->pcm_bits, err))) {
      g_free (path);
      return NULL;
    }
    *caps = g_strdup_printf ("audio/x-raw,format=%s", f->pcm_format);
    L.headroom_db = f->headroom_db;
    q = g_strescape (path, NULL);
    desc = g_strdup_printf ("audioconvert dithering=none ! %s ! %s ! "
        "filesink location=\"%s\" sync=false", *caps, f->encoder, q);
    g_free (q);
    g_free (path);
    return desc;
  }
}

/* ------------------------------------------------------------------ */
/* Into the output                                                    */

/* Stamps @buf (F32 interleaved) as the next frames of the output and
 * pushes it; cuts it at --duration. The one place frames_in moves. */
static void
push (GstBuffer * buf)
{
  gsize bpf = sizeof (float) * L.channels;
  gint64 n = gst_buffer_get_size (buf) / bpf;
  gint64 at = L.frames_in;

  if (at >= L.frames_limit) {
    gst_buffer_unref (buf);
    return;
  }
  if (at + n > L.frames_limit) {
    n = L.frames_limit - at;
    gst_buffer_resize (buf, 0, n * bpf);
  }
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (at, GST_SECOND,
      L.rate_hz);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (at + n, GST_SECOND,
      L.rate_hz) - GST_BUFFER_PTS (buf);
  GST_BUFFER_OFFSET (buf) = at;
  GST_BUFFER_OFFSET_END (buf) = at + n;
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DISCONT);
  STORE (L.frames_in, at + n);
  gst_app_src_push_buffer (GST_APP_SRC (L.appsrc), buf);
}

/* Silence goes out in buffers of 10 ms at most. */
#define SILENCE_CHUNK (L.rate_hz / 100)

/* A pool of SILENCE_CHUNK-frame buffers, no limit on their count (the
 * main loop never waits for one), active until the end. */
static gboolean
silence_pool_start (void)
{
  GstStructure *config;

  L.silence_pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (L.silence_pool);
  gst_buffer_pool_config_set_params (config, NULL,
      SILENCE_CHUNK * sizeof (float) * L.channels, 0, 0);
  return gst_buffer_pool_set_config (L.silence_pool, config)
      && gst_buffer_pool_set_active (L.silence_pool, TRUE);
}

static void
push_silence (gint64 n_frames)
{
  while (n_frames > 0 && L.frames_in < L.frames_limit) {
    gint64 n = MIN (n_frames, SILENCE_CHUNK);
    gsize size = n * sizeof (float) * L.channels;
    GstBuffer *b;
    /* Zeroed at every use: the master bin works in place, so a buffer
     * comes back holding what it wrote. */
    if (gst_buffer_pool_acquire_buffer (L.silence_pool, &b, NULL)
        != GST_FLOW_OK)
      b = gst_buffer_new_allocate (NULL, size, NULL);
    gst_buffer_set_size (b, size);
    gst_buffer_memset (b, 0, 0, size);
    push (b);
    STORE (L.silence_frames, L.silence_frames + n);
    n_frames -= n;
  }
}

/* Each buffer reaching the source part's sink, taken here from its
 * streaming thread and restamped into the output. A probe that handles the
 * buffer owns the reference the pipeline pushed, the only one in general:
 * the buffer is then writable as it is, and its memory goes on into the
 * master bin, which works in place. (An appsink's new-sample callback runs
 * inside its render, where the sink and its reused sample still hold the
 * buffer: refcount 3, so every buffer had to be copied, and its memory
 * again in the master bin.) A live source cannot wait: past half a second
 * queued, its buffer is dropped (counted). A file or test source waits
 * for room instead. */
static GstPadProbeReturn
on_source_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  (void) pad;
  (void) data;

  STORE (L.last_data_us, g_get_monotonic_time ());
  if (L.live && gst_app_src_get_current_level_bytes (GST_APP_SRC (L.appsrc))
      >= gst_app_src_get_max_bytes (GST_APP_SRC (L.appsrc))) {
    STORE (L.dropped_frames, L.dropped_frames + (gint64)
        (gst_buffer_get_size (b) / (sizeof (float) * L.channels)));
    gst_buffer_unref (b);
    return GST_PAD_PROBE_HANDLED;
  }
  /* A copy only when upstream kept a reference (a tee, say). */
  push (gst_buffer_make_writable (b));
  if (L.frames_in >= L.frames_limit)
    GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GST_FLOW_EOS;
  return GST_PAD_PROBE_HANDLED;
}

/* ------------------------------------------------------------------ */
/* The source part                                                    */

static gboolean on_source_bus (GstBus * bus, GstMessage * m, gpointer d);

static void
source_stop (void)
{
  if (!L.src_pipe)
    return;
  /* (from the watch's own callback too: the source is then destroyed
   * while it dispatches, which GLib allows) */
  g_source_remove (L.src_bus_watch);
  L.src_bus_watch = 0;
  gst_element_set_state (L.src_pipe, GST_STATE_NULL);
  gst_object_unref (L.src_pipe);
  L.src_pipe = NULL;
}

/* A level swept up and down (test://?vary=S): a triangle on the test
 * source's volume from 0.1 to 0.5 (pink noise at -32.8 to -18.8 LUFS: 14 LU,
 * within the controller's +20 dB of gain to any target). */
static void
source_vary (GstElement * pipe)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstControlSource *lfo;
  if (!src)
    return;
  lfo = gst_lfo_control_source_new ();
  g_object_set (lfo, "waveform", GST_LFO_WAVEFORM_TRIANGLE,
      "frequency", 1.0 / L.vary_period_s, "offset", (0.1 + 0.5) / 2,
      "amplitude", (0.5 - 0.1) / 2, NULL);
  gst_object_add_control_binding (GST_OBJECT (src),
      gst_direct_control_binding_new (GST_OBJECT (src), "volume", lfo));
  gst_object_unref (lfo);
  gst_object_unref (src);
}

static gboolean
source_start (char **err)
{
  GError *e = NULL;
  char *desc = g_strdup_printf ("%s ! audioconvert ! audioresample ! "
      "audio/x-raw,format=F32LE,layout=interleaved,rate=%d,channels=%d ! "
      "fakesink name=sink sync=false async=false", L.src_desc, L.rate_hz,
      L.channels);
  GstElement *pipe = gst_parse_launch (desc, &e);
  GstElement *sink;
  GstPad *pad;
  GstBus *bus;

  g_free (desc);
  if (!pipe || e) {
    *err = g_strdup_printf ("the source cannot be built: %s",
        e ? e->message : "?");
    g_clear_error (&e);
    if (pipe)
      gst_object_unref (pipe);
    return FALSE;
  }
  if (L.vary_period_s > 0)
    source_vary (pipe);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_source_buffer, NULL,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  bus = gst_element_get_bus (pipe);
  L.src_bus_watch = gst_bus_add_watch (bus, on_source_bus, NULL);
  gst_object_unref (bus);
  L.src_pipe = pipe;
  L.state = SRC_CONNECTED;
  L.connected_at_us = L.last_data_us = g_get_monotonic_time ();
  L.frames_at_connect = L.frames_in;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  return TRUE;
}

static void
output_end (void)
{
  source_stop ();
  L.state = SRC_ENDING;
  if (!L.eos_sent) {
    L.eos_sent = TRUE;
    gst_app_src_end_of_stream (GST_APP_SRC (L.appsrc));
  }
}

/* The source is gone (@why): a file input has ended, else wait and try
 * again, unless --max-reconnects is spent. Silence fills from now. */
static void
source_dropped (const char *why)
{
  gint64 now = g_get_monotonic_time ();
  double delivered_s = (double) (L.frames_in - L.frames_at_connect)
      / L.rate_hz;
  double delay;

  source_stop ();
  if (L.frames_in >= L.frames_limit) {
    output_end ();
    return;
  }
  if (L.input_is_file && !strcmp (why, "end of stream")) {
    say ("%s: end of the file", L.input);
    output_end ();
    return;
  }
  if (L.max_reconnects >= 0 && L.reconnects >= L.max_reconnects) {
    say ("%s: %s; %d reconnections made, ending", L.input, why,
        L.reconnects);
    output_end ();
    return;
  }
  if (delivered_s >= GM_LIVE_BACKOFF_RESET_S)
    L.backoff_step = 0;
  delay = backoff_s[MIN (L.backoff_step, (int) G_N_ELEMENTS (backoff_s) - 1)];
  L.backoff_step++;
  say ("%s: %s; reconnecting in %g s, silence meanwhile", L.input, why, delay);
  L.state = SRC_WAITING;
  L.waiting_since_us = L.filled_until_us = now;
  L.retry_at_us = now + (gint64) (delay * 1e6);
}

static gboolean
on_source_bus (GstBus * bus, GstMessage * m, gpointer d)
{
  (void) bus;
  (void) d;
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS) {
    source_dropped ("end of stream");
    return G_SOURCE_REMOVE;
  }
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    char *why;
    gst_message_parse_error (m, &e, NULL);
    why = g_strdup_printf ("error: %s", e->message);
    g_error_free (e);
    source_dropped (why);
    g_free (why);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* Every 20 ms: signals, the source's silence watchdog, the backoff, the
 * silence in the gap. */
static gboolean
tick (gpointer d)
{
  gint64 now = g_get_monotonic_time ();
  (void) d;

  if (gm_interrupted && L.state != SRC_ENDING) {
    say ("stopping (signal): draining the output");
    output_end ();
  }
  if (L.state == SRC_CONNECTED && L.frames_in >= L.frames_limit) {
    output_end ();
  } else if (L.state == SRC_CONNECTED
      && now - LOAD (L.last_data_us) > L.timeout_s * 1e6) {
    char *why = g_strdup_printf ("no audio for %g s", L.timeout_s);
    source_dropped (why);
    g_free (why);
  }
  if (L.state == SRC_WAITING) {
    push_silence ((now - L.filled_until_us) * L.rate_hz / G_USEC_PER_SEC);
    L.filled_until_us = now;
    if (L.frames_in >= L.frames_limit) {
      output_end ();
    } else if (now >= L.retry_at_us) {
      char *err = NULL;
      L.reconnects++;
      say ("%s: reconnecting (%d)", L.input, L.reconnects);
      if (!source_start (&err)) {
        source_dropped (err);
        g_free (err);
      }
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* The output part                                                    */

/* Loudness under BS.1770-4's absolute gate (-70 LUFS) is silence: null,
 * as before the measure is defined. */
static void
json_lufs (JsonBuilder * b, const char *k, double v)
{
  gm_json_number (b, k, v >= -70.0 ? v : NAN);
}

static void
print_stats (double t_s, gboolean final)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *g = json_generator_new ();
  JsonNode *root;
  char *text;

  json_builder_begin_object (b);
  gm_json_number (b, "time", t_s);
  json_lufs (b, "momentary", L.momentary);
  json_lufs (b, "short_term", L.short_term);
  json_lufs (b, "integrated", L.integrated);
  gm_json_number (b, "true_peak", L.true_peak);
  gm_json_number (b, "gain", L.gain_db);
  gm_json_number (b, "limiter_reduction", L.reduction_db);
  gm_json_int (b, "reconnects", L.reconnects);
  json_builder_set_member_name (b, "connected");
  json_builder_add_boolean_value (b, L.state == SRC_CONNECTED);
  gm_json_int (b, "samples_out", LOAD (L.frames_out));
  gm_json_int (b, "silence", LOAD (L.silence_frames));
  gm_json_int (b, "dropped", LOAD (L.dropped_frames));
  gm_json_int (b, "timestamp_errors", LOAD (L.timestamp_errors));
  json_builder_set_member_name (b, "final");
  json_builder_add_boolean_value (b, final);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  text = json_generator_to_data (g, NULL);
  fprintf (L.stats, "%s\n", text);
  fflush (L.stats);
  g_free (text);
  json_node_unref (root);
  g_object_unref (g);
  g_object_unref (b);
  L.reduction_db = 0;
}

static double
field (const GstStructure * s, const char *k)
{
  double v = NAN;
  gst_structure_get_double (s, k, &v);
  return v;
}

static gboolean
quit_loop (gpointer d)
{
  (void) d;
  g_main_loop_quit (L.loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_output_bus (GstBus * bus, GstMessage * m, gpointer d)
{
  const GstStructure *s;
  const char *src = GST_MESSAGE_SRC_NAME (m);
  (void) bus;
  (void) d;

  switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_EOS:
      if (L.linger_ms)
        g_timeout_add (L.linger_ms, quit_loop, NULL);
      else
        g_main_loop_quit (L.loop);
      break;
    case GST_MESSAGE_ERROR:{
      GError *e = NULL;
      char *dbg = NULL;
      gst_message_parse_error (m, &e, &dbg);
      fprintf (stderr, "%s live: output: %s (%s)\n", PROG, e->message,
          dbg ? dbg : "");
      g_error_free (e);
      g_free (dbg);
      L.exit_status = 1;
      g_main_loop_quit (L.loop);
      break;
    }
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (m);
      if (!s || !src)
        break;
      if (!strcmp (src, "loudnorm") || !strcmp (src, "limiter")) {
        double gr = field (s, "gain-reduction");
        if (gr > L.reduction_db)
          L.reduction_db = gr;
        if (!strcmp (src, "loudnorm"))
          L.gain_db = field (s, "gain");
      } else if (!strcmp (src, "meter")
          && gst_structure_has_name (s, "loudness")) {
        guint64 ts = 0;
        gboolean final = FALSE;
        double t_s;
        L.momentary = field (s, "momentary");
        L.short_term = field (s, "short-term");
        L.integrated = field (s, "integrated");
        L.true_peak = field (s, "true-peak");
        gst_structure_get_uint64 (s, "stream-time", &ts);
        gst_structure_get_boolean (s, "final", &final);
        t_s = ts / (double) GST_SECOND;
        if (L.stats && (final || t_s >= L.next_stats_s - 1e-6)) {
          print_stats (t_s, final);
          while (L.next_stats_s <= t_s + 1e-6)
            L.next_stats_s += L.interval_s;
        }
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Counts the frames out of the master bin and checks that each buffer
 * starts where the last one ended (PTS = frames / rate, within the
 * nanosecond of rounding). */
static GstPadProbeReturn
count_out (GstPad * pad, GstPadProbeInfo * info, gpointer d)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 at = L.frames_out;
  GstClockTime want = gst_util_uint64_scale_int (at, GST_SECOND, L.rate_hz);
  (void) pad;
  (void) d;

  if (!GST_BUFFER_PTS_IS_VALID (b) || (GST_BUFFER_PTS (b) > want + 1)
      || (GST_BUFFER_PTS (b) + 1 < want))
    STORE (L.timestamp_errors, L.timestamp_errors + 1);
  STORE (L.frames_out, at + gst_buffer_get_size (b)
      / (sizeof (float) * L.channels));
  return GST_PAD_PROBE_OK;
}

/* Whether autoaudiosink (auto://), once past READY, plays into the fakesink
 * it falls back to when no audio sink opens (no sound card, no sound
 * server; it only posts a warning then, and the feed would run on to
 * nothing). */
static gboolean
auto_sink_is_fake (void)
{
  GstElement *auto_sink = gst_bin_get_by_name (GST_BIN (L.out_pipe), "auto");
  GstIterator *it;
  GValue v = G_VALUE_INIT;
  gboolean fake = FALSE;

  if (!auto_sink)
    return FALSE;
  it = gst_bin_iterate_elements (GST_BIN (auto_sink));
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElementFactory *f = gst_element_get_factory (g_value_get_object (&v));
    fake |= f && !strcmp (GST_OBJECT_NAME (f), "fakesink");
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  gst_object_unref (auto_sink);
  return fake;
}

static gboolean
output_start (const char *sink_desc, const char *caps, char **err)
{
  GError *e = NULL;
  GstElement *master, *meter;
  GstPad *pad;
  GstBus *bus;
  /* Half a second queued into the output at most. */
  guint64 max_bytes = (guint64) L.rate_hz / 2 * L.channels * sizeof (float);
  char ceiling_s[G_ASCII_DTOSTR_BUF_SIZE];
  char *desc;

  g_ascii_dtostr (ceiling_s, sizeof ceiling_s, L.target->ceiling_dbtp
      - L.headroom_db);
  desc = g_strdup_printf ("appsrc name=feed format=time is-live=%s "
      "block=%s caps=\"audio/x-raw,format=F32LE,layout=interleaved,rate=%d,"
      "channels=%d\" ! master name=master target=%s ceiling=%s ! %s%s%s"
      "audio/x-raw,format=F32LE ! loudmeter name=meter interval=%"
      G_GUINT64_FORMAT " ! %s", L.live ? "true" : "false",
      L.live ? "false" : "true", L.rate_hz, L.channels, L.target->name,
      ceiling_s, caps ? caps : "", caps ? " ! audioconvert ! " : "", "",
      (guint64) GM_INTERVAL_NS, sink_desc);

  L.out_pipe = gst_parse_launch (desc, &e);
  g_free (desc);
  if (!L.out_pipe || e) {
    *err = g_strdup_printf ("the output cannot be built: %s",
        e ? e->message : "?");
    g_clear_error (&e);
    return FALSE;
  }
  L.appsrc = gst_bin_get_by_name (GST_BIN (L.out_pipe), "feed");
  g_object_set (L.appsrc, "max-bytes", max_bytes, NULL);
  master = gst_bin_get_by_name (GST_BIN (L.out_pipe), "master");
  gst_child_proxy_set (GST_CHILD_PROXY (master), "loudnorm::interval",
      (guint64) GM_INTERVAL_NS, NULL);
  gst_object_unref (master);
  meter = gst_bin_get_by_name (GST_BIN (L.out_pipe), "meter");
  pad = gst_element_get_static_pad (meter, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_out, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (meter);
  bus = gst_element_get_bus (L.out_pipe);
  gst_bus_add_watch (bus, on_output_bus, NULL);
  gst_object_unref (bus);
  if (!silence_pool_start ()) {
    *err = g_strdup ("the buffer pool for silence cannot start");
    return FALSE;
  }
  if (gst_element_set_state (L.out_pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    *err = g_strdup_printf ("the output %s cannot start", L.output);
    return FALSE;
  }
  if (auto_sink_is_fake ()) {
    *err = g_strdup_printf ("the output %s: no sound card or sound server "
        "answers (autoaudiosink found no audio sink that opens); use a "
        "file, udp://, srt:// or null://", L.output);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

static void
usage (FILE * f)
{
  fprintf (f,
      "Usage: " PROG " live --input URI --output URI [--target NAME] "
      "[OPTION...]\n"
      "\n"
      "Masters one live feed to a delivery target with the master bin "
      "(live loudness\n"
      "normalisation, true-peak limiter). A source that drops is rebuilt "
      "after 0.5, 1,\n"
      "2, 4, 8, 15 then every 30 s; the output runs on with silence "
      "meanwhile.\n"
      "\n"
      "  -i, --input URI       file or file://, http(s)://, rtsp://, "
      "srt://, rtmp://\n"
      "                        (uridecodebin), udp://[HOST]:PORT[?format=L24|"
      "L16|raw]\n"
      "                        (RTP or raw F32LE), test://[?wave=W&volume=V&"
      "live=0|1&\n"
      "                        num-buffers=N&vary=S] (a generated "
      "programme)\n"
      "  -o, --output URI      file (.wav, .flac, .mp3, .opus, .m4a) or "
      "file://,\n"
      "                        udp://HOST:PORT[?format=L24|L16|raw], "
      "srt://HOST:PORT\n"
      "                        (MPEG-TS, Opus), null://, auto:// (the "
      "sound card)\n"
      "  -t, --target NAME     delivery target (default streaming)\n"
      "      --stats[=FILE]    a JSON line of loudness, true peak, gain, "
      "counts per\n"
      "                        interval on standard output (or FILE)\n"
      "      --interval S      seconds between stats lines (default 10)\n"
      "      --rate HZ         the feed's rate (default 48000)\n"
      "      --channels N      the feed's channels (default 2)\n"
      "      --timeout S       a source silent this long has dropped "
      "(default 5)\n"
      "      --max-reconnects N  end after N reconnections (default: "
      "never)\n"
      "      --duration S      end after S seconds of output\n"
      "  -q, --quiet           no messages on standard error\n"
      "\n"
      "SIGINT or SIGTERM end the feed cleanly (the output drained and "
      "finalised).\n"
      "Exit status: 0 ended cleanly, 1 the output failed, 2 a usage error "
      "or bad URI.\n");
}

static gboolean
arg_double (const char *name, const char *v, double lo, double hi,
    double *out)
{
  char *end;
  if (!v) {
    fprintf (stderr, "%s live: %s needs a value\n", PROG, name);
    return FALSE;
  }
  *out = g_ascii_strtod (v, &end);
  if (end == v || *end || !(*out >= lo && *out <= hi)) {
    fprintf (stderr, "%s live: %s %s: a number from %g to %g\n", PROG, name,
        v, lo, hi);
    return FALSE;
  }
  return TRUE;
}

/* The numeric options: range, and where the value goes (an int when @n). */
typedef struct {
  const char *name;
  double lo, hi;
  double *d;
  int *n;
} NumberOption;

static const NumberOption number_options[] = {
  {"--interval", 0.1, 86400, &L.interval_s, NULL},
  {"--rate", 8000, 384000, NULL, &L.rate_hz},
  {"--channels", 1, 8, NULL, &L.channels},
  {"--timeout", 0.1, 3600, &L.timeout_s, NULL},
  {"--max-reconnects", 0, 1e9, NULL, &L.max_reconnects},
  {"--duration", 0.01, 1e9, &L.duration_s, NULL},
};

static const NumberOption *
number_option (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (number_options); i++)
    if (!strcmp (name, number_options[i].name))
      return &number_options[i];
  return NULL;
}

int
gm_live_main (int argc, char **argv)
{
  const NumberOption *num;
  char *err = NULL, *sink_desc, *caps;
  double d;

  L.interval_s = 10;
  L.rate_hz = 48000;
  L.channels = 2;
  L.timeout_s = 5;
  L.max_reconnects = -1;
  L.target = &mst_targets (NULL)[MST_TARGET_DEFAULT];
  L.momentary = L.short_term = L.integrated = L.true_peak = L.gain_db = NAN;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define IS(s, l) (!strcmp (a, s) || !strcmp (a, l))
    if (IS ("-h", "--help")) {
      usage (stdout);
      return 0;
    } else if (IS ("-i", "--input") && v) {
      L.input = v;
      i++;
    } else if (IS ("-o", "--output") && v) {
      L.output = v;
      i++;
    } else if (IS ("-t", "--target")) {
      if (!v || !(L.target = mst_target_find (v))) {
        fprintf (stderr, "%s live: unknown target '%s'\n", PROG, v ? v : "");
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--stats")) {
      L.stats_path = "-";
    } else if (g_str_has_prefix (a, "--stats=")) {
      L.stats_path = a + strlen ("--stats=");
    } else if ((num = number_option (a))) {
      if (!arg_double (a, v, num->lo, num->hi, &d))
        return 2;
      if (num->n && d != floor (d)) {
        fprintf (stderr, "%s live: %s %s: a whole number\n", PROG, a, v);
        return 2;
      }
      if (num->n)
        *num->n = (int) d;
      else
        *num->d = d;
      i++;
    } else if (IS ("-q", "--quiet")) {
      L.quiet = TRUE;
    } else {
      fprintf (stderr, "%s live: unknown option or missing value '%s'\n",
          PROG, a);
      usage (stderr);
      return 2;
    }
#undef IS
  }
  if (!L.input || !L.output) {
    fprintf (stderr, "%s live: needs --input URI and --output URI\n", PROG);
    return 2;
  }
  if (!isfinite (L.target->loudness_lufs))
    say ("target %s has no loudness: live normalisation off, the ceiling "
        "held", L.target->name);
  L.frames_limit = L.duration_s > 0 ? (gint64) llround (L.duration_s
      * L.rate_hz) : G_MAXINT64;

  gst_init (NULL, NULL);
  if (!gst_registry_check_feature_version (gst_registry_get (), "master",
          0, 0, 0)) {
    fprintf (stderr, "%s live: the mastering plugin (master) is not "
        "installed; set GST_PLUGIN_PATH to its build folder\n", PROG);
    return 1;
  }
  if (!(L.src_desc = source_desc (L.input, &err))
      || !(sink_desc = output_desc (L.output, &caps, &err))) {
    fprintf (stderr, "%s live: %s\n", PROG, err);
    g_free (err);
    return 2;
  }
  if (L.stats_path && strcmp (L.stats_path, "-")) {
    if (!(L.stats = fopen (L.stats_path, "w"))) {
      fprintf (stderr, "%s live: %s: %s\n", PROG, L.stats_path,
          g_strerror (errno));
      return 2;
    }
  } else if (L.stats_path) {
    L.stats = stdout;
  }
  L.next_stats_s = L.interval_s;

  gm_run_catch_signals ();
  L.loop = g_main_loop_new (NULL, FALSE);
  if (!output_start (sink_desc, caps, &err)) {
    fprintf (stderr, "%s live: %s\n", PROG, err);
    return 2;
  }
  if (!source_start (&err)) {
    fprintf (stderr, "%s live: %s\n", PROG, err);
    gst_element_set_state (L.out_pipe, GST_STATE_NULL);
    return 2;
  }
  say ("%s -> master target=%s -> %s", L.input, L.target->name, L.output);
  g_timeout_add (20, tick, NULL);
  g_main_loop_run (L.loop);

  /* The output first: a source thread waiting for room in the appsrc
   * (an output that failed) is let go when the appsrc stops. */
  gst_element_set_state (L.out_pipe, GST_STATE_NULL);
  source_stop ();
  say ("ended: %" G_GINT64_FORMAT " frames out, %d reconnections, %"
      G_GINT64_FORMAT " frames of silence, %" G_GINT64_FORMAT " dropped",
      L.frames_out, L.reconnects, L.silence_frames, L.dropped_frames);
  if (L.stats && L.stats != stdout)
    fclose (L.stats);
  gst_object_unref (L.appsrc);
  gst_object_unref (L.out_pipe);
  gst_buffer_pool_set_active (L.silence_pool, FALSE);
  gst_object_unref (L.silence_pool);
  g_free (sink_desc);
  g_free (caps);
  g_free (L.src_desc);
  return L.exit_status;
}
