/* Tests of gst-master live: a feed that drops and comes back (a test
 * source that ends after N buffers, a UDP sender that stops and restarts),
 * the output running on continuous, the reconnections counted; a clean stop
 * on SIGINT with the WAV finalised; bad URIs refused with a clear message;
 * the srt:// output received and re-measured, the auto:// output with and
 * without an audio sink; no copy of the source's buffers.
 *
 *     test-live GST_MASTER [drop|udp|uris|duration|srt|srt-caller|auto|
 *         nocopy]...
 *
 * Prints one line per check ("ok    ..." or "FAIL  ...") and exits non-zero
 * on any failure. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ebur128.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/app/app.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "mst-check.h"

static const char *GM;
static char *TMP;

/* The last line of a --stats file, parsed; NULL when none. */
static JsonObject *
last_stats (const char *path, JsonParser ** parser, int *n_lines)
{
  char *text = NULL;
  gchar **lines;
  const char *last = NULL;
  JsonObject *o = NULL;

  *n_lines = 0;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (gchar ** l = lines; *l; l++)
    if (**l) {
      last = *l;
      (*n_lines)++;
    }
  *parser = json_parser_new ();
  if (last && json_parser_load_from_data (*parser, last, -1, NULL))
    o = json_node_get_object (json_parser_get_root (*parser));
  g_strfreev (lines);
  g_free (text);
  return o;
}

/* A 24-bit stereo WAV written by wavenc: its frames, and the runs of
 * digital silence at least @min_run frames long (their count and frames). */
static gboolean
read_wav24 (const char *path, gint64 * frames, int min_run, int *n_runs,
    gint64 * run_frames)
{
  char *data = NULL;
  gsize len = 0, pos = 12;
  gint64 zeros = 0;

  *frames = -1;
  *n_runs = 0;
  *run_frames = 0;
  if (!g_file_get_contents (path, &data, &len, NULL) || len < 44
      || memcmp (data, "RIFF", 4) || memcmp (data + 8, "WAVE", 4)) {
    g_free (data);
    return FALSE;
  }
  while (pos + 8 <= len) {
    guint32 size = GUINT32_FROM_LE (*(guint32 *) (data + pos + 4));
    if (!memcmp (data + pos, "data", 4)) {
      const guint8 *p = (const guint8 *) data + pos + 8;
      gint64 n;
      if (pos + 8 + size > len)
        break;
      n = size / 6;
      *frames = n;
      for (gint64 i = 0; i <= n; i++) {
        gboolean zero = i < n && !memcmp (p + i * 6, "\0\0\0\0\0\0", 6);
        if (zero) {
          zeros++;
        } else {
          if (zeros >= min_run) {
            (*n_runs)++;
            *run_frames += zeros;
          }
          zeros = 0;
        }
      }
      break;
    }
    pos += 8 + size + (size & 1);
  }
  g_free (data);
  return *frames >= 0;
}

static gint64
member_int (JsonObject * o, const char *k)
{
  return o && json_object_has_member (o, k) ?
      json_object_get_int_member (o, k) : -1;
}

/* Whether gst-master live, its standard error going to @log, says within
 * 4 s that the feed runs ("INPUT -> master target=T -> OUTPUT": both
 * parts started, its sockets bound). */
static gboolean
says_it_runs (const char *log)
{
  for (int k = 0; k < 200; k++) {
    char *text = NULL;
    gboolean runs = g_file_get_contents (log, &text, NULL, NULL)
        && strstr (text, "-> master");
    g_free (text);
    if (runs)
      return TRUE;
    g_usleep (20 * 1000);
  }
  return FALSE;
}

/* A UDP port free on the loopback now (the kernel's pick: RTP and SRT
 * run over UDP): bound, read back and released for the test to take. */
static int
free_udp_port (void)
{
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof a;
  int fd = socket (AF_INET, SOCK_DGRAM, 0), port = -1;

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
      && getsockname (fd, (struct sockaddr *) &a, &len) == 0)
    port = ntohs (a.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

/* A test source that ends after 0.5 s, twice reconnected: 1.5 s of audio
 * and the backoff's 0.5 + 1 s of silence, every frame in the WAV. */
static void
test_drop (void)
{
  char *out = g_build_filename (TMP, "drop.wav", NULL);
  char *stats = g_build_filename (TMP, "drop.jsonl", NULL);
  char *stats_arg = g_strdup_printf ("--stats=%s", stats);
  const char *argv[] = { GM, "live", "--input",
    "test://?wave=sine&freq=997&volume=0.3&num-buffers=50", "--output", out,
    "--max-reconnects", "2", "--interval", "0.5", stats_arg, "-q", NULL
  };
  int status = -1, n_lines, n_runs;
  gint64 frames, run_frames, samples_out, silence;
  JsonParser *parser = NULL;
  JsonObject *o;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
      NULL, NULL, &status, NULL);
  check (g_spawn_check_wait_status (status, NULL), "drop: exit status 0");
  o = last_stats (stats, &parser, &n_lines);
  check (o && json_object_get_boolean_member (o, "final"),
      "drop: the stats end with a final line (%d lines)", n_lines);
  check (n_lines >= 4, "drop: a stats line per 0.5 s interval (%d)", n_lines);
  check (member_int (o, "reconnects") == 2, "drop: 2 reconnections reported "
      "(%" G_GINT64_FORMAT ")", member_int (o, "reconnects"));
  samples_out = member_int (o, "samples_out");
  silence = member_int (o, "silence");
  /* Three sources of 50 buffers of 10 ms at 48 kHz, and the silence. */
  check (samples_out == 3 * 50 * 480 + silence, "drop: samples out %"
      G_GINT64_FORMAT " = 3 x 24000 from the source + %" G_GINT64_FORMAT
      " of silence", samples_out, silence);
  check (silence >= 1.4 * 48000, "drop: the backoff's 0.5 + 1 s filled "
      "with silence (%.2f s)", silence / 48000.0);
  check (member_int (o, "timestamp_errors") == 0,
      "drop: timestamps continuous out of the master bin");
  check (read_wav24 (out, &frames, 48000 / 4, &n_runs, &run_frames),
      "drop: the WAV reads");
  check (frames == samples_out, "drop: every frame in the finalised WAV (%"
      G_GINT64_FORMAT ")", frames);
  /* The master bin's dither leaves digital silence alone: the two gaps are
   * runs of zeros in the file, as long as the silence pushed but for the
   * chain's ring-out after the tone stops (under 1 LSB, dithered until it
   * is exactly zero: some 50 ms a gap, no more than 100 ms). */
  check (n_runs == 2, "drop: two gaps of silence in the output (%d)",
      n_runs);
  check (run_frames <= silence && run_frames >= silence - 2 * 48000 / 10,
      "drop: the gaps are the silence pushed, less the ring-out (%"
      G_GINT64_FORMAT " frames of %" G_GINT64_FORMAT ")", run_frames,
      silence);
  if (parser)
    g_object_unref (parser);
  g_free (out);
  g_free (stats);
  g_free (stats_arg);
}

/* RTP L24 over UDP from a sender that sends 0.5 s, stops for 1 s and
 * sends 1.5 s more; gst-master live notices the silence (--timeout 0.3),
 * rebuilds the source (after 0.5, then 1 s: the first rebuilt source also
 * times out before the sender is back, the second one hears at least the
 * last 0.25 s of it however slowly gst-launch starts), carries on; SIGINT
 * ends it cleanly. What arrives while no socket is bound is lost, as it is
 * for any UDP receiver. */
static void
test_udp (void)
{
  int port = free_udp_port ();
  char *in = g_strdup_printf ("udp://@:%d", port);
  char *out = g_build_filename (TMP, "udp.wav", NULL);
  char *stats = g_build_filename (TMP, "udp.jsonl", NULL);
  char *stats_arg = g_strdup_printf ("--stats=%s", stats);
  char *send = g_strdup_printf ("gst-launch-1.0 -q audiotestsrc is-live=true "
      "wave=sine volume=0.3 samplesperbuffer=480 num-buffers=%d ! "
      "audio/x-raw,rate=48000,channels=2 ! audioconvert ! rtpL24pay pt=96 ! "
      "udpsink host=127.0.0.1 port=%d", 50, port);
  char *send2 = g_strdup_printf ("gst-launch-1.0 -q audiotestsrc "
      "is-live=true wave=sine volume=0.3 samplesperbuffer=480 num-buffers=150"
      " ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! rtpL24pay pt=96"
      " ! udpsink host=127.0.0.1 port=%d", port);
  const char *argv[] = { GM, "live", "--input", in, "--output", out,
    "--timeout", "0.3", "--interval", "0.5", stats_arg, NULL
  };
  char *log = g_build_filename (TMP, "udp.log", NULL), *text = NULL;
  int log_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GPid pid;
  int status = -1, n_lines, n_runs = 0;
  gint64 frames = -1, run_frames = 0;
  JsonParser *parser = NULL;
  JsonObject *o;

  if (!check (g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
              G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, -1, -1, log_fd, NULL,
              NULL, 0, &pid, NULL, NULL, NULL, NULL),
          "udp: gst-master live starts"))
    return;
  close (log_fd);
  /* Its socket is bound once it says where the feed goes. */
  check (says_it_runs (log), "udp: listening");
  for (int k = 0; k < 2; k++) {
    check (g_spawn_command_line_sync (k ? send2 : send, NULL, NULL, &status,
            NULL) && g_spawn_check_wait_status (status, NULL),
        "udp: %.1f s sent", k ? 1.5 : 0.5);
    if (k == 0)
      g_usleep (1000 * 1000);
  }
  g_usleep (100 * 1000);
  kill (pid, SIGINT);
  waitpid (pid, &status, 0);
  check (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "udp: SIGINT ends it with status 0");
  o = last_stats (stats, &parser, &n_lines);
  check (o && json_object_get_boolean_member (o, "final"),
      "udp: a final stats line at the end");
  check (member_int (o, "reconnects") >= 1, "udp: the silent sender "
      "counted as a drop and reconnected (%" G_GINT64_FORMAT ")",
      member_int (o, "reconnects"));
  check (member_int (o, "timestamp_errors") == 0,
      "udp: timestamps continuous out of the master bin");
  read_wav24 (out, &frames, 48000 / 4, &n_runs, &run_frames);
  check (frames == member_int (o, "samples_out"), "udp: the WAV finalised "
      "with every frame (%" G_GINT64_FORMAT ")", frames);
  /* Both bursts arrived: the first (0.5 s, less what the jitter buffer
   * may drop at its start) and 0.25 s of the second at least. */
  check (frames - member_int (o, "silence") >= (0.45 + 0.25) * 48000,
      "udp: both bursts in the output (%.2f s of audio, %.2f s silence)",
      (frames - member_int (o, "silence")) / 48000.0,
      member_int (o, "silence") / 48000.0);
  if (parser)
    g_object_unref (parser);
  g_free (in);
  g_free (out);
  g_free (stats);
  g_free (stats_arg);
  if (n_failed && g_file_get_contents (log, &text, NULL, NULL))
    printf ("gst-master said:\n%s", text);
  g_free (send);
  g_free (send2);
  g_free (log);
  g_free (text);
}

/* A non-live generated feed (level swept) for --duration 60: exactly 60 s
 * of frames out, no timestamp error, the true peak under the streaming
 * target's -1 dBTP. */
static void
test_duration (void)
{
  char *stats = g_build_filename (TMP, "duration.jsonl", NULL);
  char *stats_arg = g_strdup_printf ("--stats=%s", stats);
  const char *argv[] = { GM, "live", "--input", "test://?live=0&vary=20",
    "--output", "null://", "--duration", "60", "--interval", "10",
    stats_arg, "-q", NULL
  };
  int status = -1, n_lines;
  JsonParser *parser = NULL;
  JsonObject *o;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
      NULL, NULL, &status, NULL);
  check (g_spawn_check_wait_status (status, NULL),
      "duration: exit status 0");
  o = last_stats (stats, &parser, &n_lines);
  check (n_lines == 7, "duration: 6 stats lines and the final one (%d)",
      n_lines);
  check (member_int (o, "samples_out") == 60 * 48000, "duration: exactly "
      "60 s of frames out (%" G_GINT64_FORMAT ")", member_int (o,
          "samples_out"));
  check (member_int (o, "timestamp_errors") == 0 && member_int (o,
          "silence") == 0 && member_int (o, "dropped") == 0,
      "duration: no timestamp error, no silence, nothing dropped");
  check (o && json_object_get_double_member (o, "true_peak") <= -1.0,
      "duration: true peak %.2f dBTP, at or under -1", o ?
      json_object_get_double_member (o, "true_peak") : NAN);
  if (parser)
    g_object_unref (parser);
  g_free (stats);
  g_free (stats_arg);
}

/* No copy of the source's buffers: each buffer reaching the source part's
 * sink goes into the output as it is (a pad probe owns it), not as a copy
 * made on the source's streaming thread. Counted in GStreamer's own log
 * (GST_BUFFER at LOG level: a line per gst_buffer_new and per
 * gst_buffer_copy_into) over 10 s of a non-live test source, 1000 buffers
 * of 10 ms: with the appsink the run made 2002 buffers and 1000 copies,
 * now 1002 (the source's) and none. A log without the source's 1000
 * buffers means the logging is compiled out: nothing is judged then. */
static void
test_nocopy (void)
{
  char *log = g_build_filename (TMP, "nocopy.log", NULL), *text = NULL;
  const char *argv[] = { GM, "live", "--input", "test://?live=0",
    "--output", "null://", "--duration", "10", "-q", NULL
  };
  char **env = g_get_environ ();
  int status = -1, n_new = 0, n_copies = 0;

  env = g_environ_setenv (env, "GST_DEBUG", "GST_BUFFER:6", TRUE);
  env = g_environ_setenv (env, "GST_DEBUG_FILE", log, TRUE);
  env = g_environ_setenv (env, "GST_DEBUG_NO_COLOR", "1", TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL,
      NULL, NULL, &status, NULL);
  check (g_spawn_check_wait_status (status, NULL), "nocopy: exit status 0");
  if (g_file_get_contents (log, &text, NULL, NULL)) {
    for (const char *p = text; (p = strstr (p, "gst_buffer_new:")); p++)
      n_new++;
    for (const char *p = text; (p = strstr (p, "gst_buffer_copy_into:"));
        p++)
      n_copies++;
  }
  if (n_new < 1000) {
    printf ("skip  nocopy: GStreamer's log has %d new buffers, not the "
        "source's 1000 (logging compiled out?)\n", n_new);
  } else {
    check (n_copies == 0, "nocopy: %d buffer copies for the 1000 source "
        "buffers (%d buffers made)", n_copies, n_new);
  }
  g_unlink (log);
  g_free (log);
  g_free (text);
  g_strfreev (env);
}

/* Bad URIs: refused at once, exit status 2, a message naming the problem. */
static void
test_uris (void)
{
  static const struct {
    const char *in, *out, *says;
  } cases[] = {
    {"nosuch://host/x", "null://", "no GStreamer source for 'nosuch://'"},
    {"/nonexistent/feed.wav", "null://", "no such file"},
    {"udp://@", "null://", "no port"},
    {"test://?wave=bogus", "null://", "unknown wave"},
    {"test://", "ftp://host/x", "an output is a file"},
    {"test://", "out.xyz", "xyz"},
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *argv[] = { GM, "live", "--input", cases[i].in, "--output",
      cases[i].out, NULL
    };
    char *err = NULL;
    int status = -1;
    g_spawn_sync (TMP, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
        NULL, NULL, &err, &status, NULL);
    check (WIFEXITED (status) && WEXITSTATUS (status) == 2 && err
        && strstr (err, cases[i].says), "uris: %s -> %s: status 2, says "
        "'%s' (%s)", cases[i].in, cases[i].out, cases[i].says,
        err ? g_strchomp (err) : "");
    g_free (err);
  }
}

/* The streaming target of gst-master live's default: BS.1770-4 loudness
 * and true-peak ceiling (mst-targets.c). */
#define STREAMING_LUFS -14.0
#define STREAMING_CEILING_DBTP -1.0
/* The soak's tolerance on the short-term loudness once settled (the
 * controller meets a steady programme within a second: its first stats
 * line says -14.0 LUFS). */
#define SRT_TOLERANCE_LU 1.0
#define SRT_SETTLE_S 5.0
#define SRT_RATE 48000

/* What an SRT receiver got, decoded to F32 stereo at 48 kHz: re-measured
 * by libebur128 (short-term every second, true peak) and by our
 * loudmeter. */
typedef struct {
  gint64 frames;
  double tp_ebur128_db, tp_meter_db, integrated_meter_lufs;
  int st_checked;
  double st_worst_lu;           /* from SRT_SETTLE_S on */
  char *error;                  /* the receiver's, if it ended on one */
} SrtReceived;

/* The receiving pipeline for @uri (srtsrc in the mode the URI says),
 * decoding the MPEG-TS and its Opus; NULL when it does not start. */
static GstElement *
srt_receiver_start (const char *uri)
{
  char *desc = g_strdup_printf ("srtsrc uri=\"%s\" auto-reconnect=false ! "
      "decodebin ! audioconvert ! audioresample ! "
      "audio/x-raw,format=F32LE,layout=interleaved,rate=%d,channels=2 ! "
      "loudmeter name=meter post-messages=false ! "
      "appsink name=sink sync=false", uri, SRT_RATE);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);

  g_free (desc);
  if (!pipe || e) {
    printf ("receiver: %s\n", e ? e->message : "?");
    g_clear_error (&e);
    return NULL;
  }
  if (gst_element_set_state (pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    gst_object_unref (pipe);
    return NULL;
  }
  return pipe;
}

/* Reads @pipe until its stream ends (SRT carries no end of stream: a
 * listener receiver sees the caller close as EOS, a caller receiver gets
 * an error once its listener is gone) or until 2 s after gst-master
 * (@gm) exited; gst-master's wait status into *@gm_status (-1: it had to
 * be killed, 30 s after the stream should have ended). */
static void
srt_receive (GstElement * pipe, GPid gm, double duration_s, int *gm_status,
    SrtReceived * r)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstElement *meter = gst_bin_get_by_name (GST_BIN (pipe), "meter");
  GstBus *bus = gst_element_get_bus (pipe);
  ebur128_state *st = ebur128_init (2, SRT_RATE,
      EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
  gint64 next_second = SRT_RATE, gm_ended_us = 0;
  gint64 deadline_us = g_get_monotonic_time () + (gint64) ((duration_s + 30)
      * G_USEC_PER_SEC);
  gboolean ended = FALSE;

  memset (r, 0, sizeof *r);
  r->tp_ebur128_db = -INFINITY;
  *gm_status = -1;
  while (!ended && g_get_monotonic_time () < deadline_us) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    GstMessage *m;
    if (s) {
      GstBuffer *b = gst_sample_get_buffer (s);
      GstMapInfo map;
      gint64 n = gst_buffer_get_size (b) / (2 * sizeof (float));
      gst_buffer_map (b, &map, GST_MAP_READ);
      ebur128_add_frames_float (st, (const float *) map.data, n);
      gst_buffer_unmap (b, &map);
      gst_sample_unref (s);
      for (int c = 0; c < 2; c++) {
        double tp;
        ebur128_prev_true_peak (st, c, &tp);
        r->tp_ebur128_db = MAX (r->tp_ebur128_db, 20 * log10 (tp));
      }
      r->frames += n;
      for (; r->frames >= next_second; next_second += SRT_RATE) {
        double lufs;
        if (next_second < SRT_SETTLE_S * SRT_RATE
            || ebur128_loudness_shortterm (st, &lufs) != EBUR128_SUCCESS)
          continue;
        r->st_checked++;
        r->st_worst_lu = MAX (r->st_worst_lu, fabs (lufs - STREAMING_LUFS));
      }
    } else if (gst_app_sink_is_eos (GST_APP_SINK (sink))) {
      ended = TRUE;
    }
    if (!gm_ended_us && waitpid (gm, gm_status, WNOHANG) == gm)
      gm_ended_us = g_get_monotonic_time ();
    if (gm_ended_us && !s
        && g_get_monotonic_time () - gm_ended_us > 2 * G_USEC_PER_SEC)
      ended = TRUE;
    while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
      GError *err = NULL;
      gst_message_parse_error (m, &err, NULL);
      if (!r->error)
        r->error = g_strdup (err->message);
      g_error_free (err);
      gst_message_unref (m);
      ended = TRUE;
    }
  }
  if (!gm_ended_us) {
    for (int k = 0; k < 300 && waitpid (gm, gm_status, WNOHANG) != gm; k++)
      g_usleep (100 * 1000);
    if (!WIFEXITED (*gm_status)) {
      kill (gm, SIGKILL);
      waitpid (gm, NULL, 0);
      *gm_status = -1;
    }
  }
  g_object_get (meter, "true-peak", &r->tp_meter_db, "integrated",
      &r->integrated_meter_lufs, NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);
  ebur128_destroy (&st);
  gst_object_unref (bus);
  gst_object_unref (meter);
  gst_object_unref (sink);
}

/* gst-master live to srt:// on the loopback, received by srtsrc and
 * decoded. @caller: gst-master calls a listening receiver (srt://HOST:PORT,
 * srtsink's default mode), else it listens (?mode=listener) and the
 * receiver calls. Pink noise (@ticks FALSE): the receiver hears the
 * target loudness. Sine ticks (@ticks TRUE): the limiter holds the ceiling
 * less the Opus headroom all the time (its peaks 4 dB over), the case
 * where the decoded stream overshoots the encoder's input. Either way the
 * true peak of what arrives is at or under the target's ceiling, by
 * libebur128 and by our meter, and gst-master exits 0 at --duration. */
static void
test_srt (gboolean caller, gboolean ticks)
{
  const char *name = caller ? "srt-caller" : "srt";
  int port = free_udp_port ();
  const double duration_s = ticks ? 8 : 14;
  char *out = caller ? g_strdup_printf ("srt://127.0.0.1:%d", port)
      : g_strdup_printf ("srt://127.0.0.1:%d?mode=listener", port);
  char *rx_uri = caller ? g_strdup_printf ("srt://:%d?mode=listener", port)
      : g_strdup_printf ("srt://127.0.0.1:%d?mode=caller", port);
  char *stats = g_strdup_printf ("%s/%s.jsonl", TMP, name);
  char *stats_arg = g_strdup_printf ("--stats=%s", stats);
  char *duration_arg = g_strdup_printf ("%g", duration_s);
  const char *argv[] = { GM, "live", "--input", ticks ?
        "test://?wave=ticks&volume=0.5" : "test://", "--output", out,
    "--duration", duration_arg, "--interval", "1", stats_arg, NULL
  };
  char *log = g_strdup_printf ("%s/%s.log", TMP, name), *text = NULL;
  int log_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GstElement *rx = NULL;
  GPid pid;
  int status = -1, n_lines;
  SrtReceived r = { 0 };
  JsonParser *parser = NULL;
  JsonObject *o;

  check (port > 0, "%s: a free port (%d)", name, port);
  /* A listening receiver is up before gst-master calls it. */
  if (caller && !check ((rx = srt_receiver_start (rx_uri)) != NULL,
          "%s: the receiver listens on %s", name, rx_uri))
    goto out;
  if (!check (g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
              G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, -1, -1, log_fd, NULL,
              NULL, 0, &pid, NULL, NULL, NULL, NULL),
          "%s: gst-master live starts", name))
    goto out;
  if (!caller) {
    /* Its srtsink listens once it says where the feed goes. */
    check (says_it_runs (log), "%s: listening", name);
    check ((rx = srt_receiver_start (rx_uri)) != NULL,
        "%s: the receiver calls %s", name, rx_uri);
  }
  if (!rx) {
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    goto out;
  }
  srt_receive (rx, pid, duration_s, &status, &r);
  check (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "%s: gst-master exits with status 0 at --duration", name);
  o = last_stats (stats, &parser, &n_lines);
  check (o && json_object_get_boolean_member (o, "final")
      && member_int (o, "samples_out") == duration_s * SRT_RATE,
      "%s: a final stats line, %g s of frames out (%" G_GINT64_FORMAT ")",
      name, duration_s, member_int (o, "samples_out"));
  /* A receiver that listens before gst-master calls gets every frame, to
   * the end (gst-master lingers after its EOS so that SRT sends the last
   * of it: without, 7.45 s of 8 arrived); one that calls once gst-master
   * listens misses the start until it connects, less than a second. The
   * frame of slack is Opus's (20 ms frames, the last one padded). */
  check (r.frames >= (duration_s - (caller ? 0.02 : 1)) * SRT_RATE,
      "%s: the audio arrives (%.3f s of %g s decoded%s%s)", name,
      r.frames / (double) SRT_RATE, duration_s, r.error ?
      "; the receiver ended on: " : "", r.error ? r.error : "");
  if (!ticks) {
    check (r.st_checked >= duration_s - SRT_SETTLE_S - 2
        && r.st_worst_lu <= SRT_TOLERANCE_LU, "%s: short-term loudness "
        "within %.1f LU of %.0f LUFS from %.0f s on (libebur128: %d values, "
        "worst %.2f LU off)", name, SRT_TOLERANCE_LU, STREAMING_LUFS,
        SRT_SETTLE_S, r.st_checked, r.st_worst_lu);
    check (fabs (r.integrated_meter_lufs - STREAMING_LUFS)
        <= SRT_TOLERANCE_LU, "%s: integrated loudness %.2f LUFS (our meter)",
        name, r.integrated_meter_lufs);
  } else {
    /* The meter before the encoder: the limiter at its ceiling, the
     * target's less the 1 dB kept for Opus. */
    double tp = o ? json_object_get_double_member (o, "true_peak") : NAN;
    check (tp <= STREAMING_CEILING_DBTP - 1.0 + 0.01
        && tp >= STREAMING_CEILING_DBTP - 1.0 - 0.3, "%s: the limiter holds "
        "%.2f dBTP before the encoder (%.0f dBTP less 1 dB for Opus)", name,
        tp, STREAMING_CEILING_DBTP);
  }
  check (r.tp_ebur128_db <= STREAMING_CEILING_DBTP
      && r.tp_meter_db <= STREAMING_CEILING_DBTP, "%s: true peak as "
      "decoded at or under %.0f dBTP (libebur128 %.2f, our meter %.2f)",
      name, STREAMING_CEILING_DBTP, r.tp_ebur128_db, r.tp_meter_db);
out:
  if (n_failed && g_file_get_contents (log, &text, NULL, NULL))
    printf ("gst-master said:\n%s", text);
  if (rx)
    gst_object_unref (rx);
  if (log_fd >= 0)
    close (log_fd);
  if (parser)
    g_object_unref (parser);
  g_free (r.error);
  g_free (out);
  g_free (rx_uri);
  g_free (stats);
  g_free (stats_arg);
  g_free (duration_arg);
  g_free (log);
  g_free (text);
}

/* Whether autoaudiosink finds an audio sink that opens here, by its own
 * account: the element it picks once READY is not its fallback fakesink. */
static gboolean
autoaudiosink_finds_a_sink (void)
{
  GstElement *a = gst_element_factory_make ("autoaudiosink", NULL);
  gboolean found = FALSE;

  if (a && gst_element_set_state (a, GST_STATE_READY)
      != GST_STATE_CHANGE_FAILURE) {
    GstIterator *it = gst_bin_iterate_elements (GST_BIN (a));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      GstElementFactory *f = gst_element_get_factory (g_value_get_object
          (&v));
      found |= f && strcmp (GST_OBJECT_NAME (f), "fakesink");
      g_value_reset (&v);
    }
    g_value_unset (&v);
    gst_iterator_free (it);
    gst_element_set_state (a, GST_STATE_NULL);
  }
  if (a)
    gst_object_unref (a);
  return found;
}

/* auto://, the sound card. With none (this machine: no /dev/snd, no sound
 * server), autoaudiosink falls back to a fakesink: gst-master refuses at
 * once (status 2), naming the output, rather than run on to nothing. With
 * an audio sink it plays: the rank of fakeaudiosink (an audio sink that
 * syncs to the clock like a card) raised so that autoaudiosink picks it,
 * gst-master plays the 2 s in about 2 s of wall time (the sink syncs, a
 * live source paces) and exits 0. */
static void
test_auto (void)
{
  const char *argv[] = { GM, "live", "--input", "test://", "--output",
    "auto://", "--duration", "2", NULL
  };
  char **env = g_get_environ ();
  char *err = NULL;
  int status = -1;
  gint64 t0 = g_get_monotonic_time ();
  double wall_s;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
      NULL, NULL, &err, &status, NULL);
  wall_s = (g_get_monotonic_time () - t0) / 1e6;
  if (autoaudiosink_finds_a_sink ()) {
    printf ("skip  auto: this machine has an audio sink (the refusal is "
        "not tested)\n");
  } else {
    check (WIFEXITED (status) && WEXITSTATUS (status) == 2 && err
        && strstr (err, "auto://") && strstr (err, "no sound card")
        && wall_s < 10, "auto: no audio sink: refused at once (%.1f s), "
        "status 2, naming the output (%s)", wall_s, err ? g_strchomp (err)
        : "");
  }
  g_free (err);
  err = NULL;
  env = g_environ_setenv (env, "GST_PLUGIN_FEATURE_RANK", "fakeaudiosink:MAX",
      TRUE);
  t0 = g_get_monotonic_time ();
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
      NULL, NULL, &err, &status, NULL);
  wall_s = (g_get_monotonic_time () - t0) / 1e6;
  check (g_spawn_check_wait_status (status, NULL) && wall_s >= 1.9,
      "auto: with an audio sink (fakeaudiosink ranked first) it plays 2 s "
      "in %.1f s and exits 0", wall_s);
  g_free (err);
  g_strfreev (env);
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: %s GST_MASTER [drop|udp|uris|duration|srt|"
        "srt-caller|auto|nocopy]...\n", argv[0]);
    return 2;
  }
  /* absolute: some cases run in the temporary folder */
  GM = g_canonicalize_filename (argv[1], NULL);
  TMP = g_dir_make_tmp ("test-live-XXXXXX", NULL);
  gst_init (NULL, NULL);
  for (int i = 2; i < argc || argc == 2; i++) {
    const char *which = argc == 2 ? NULL : argv[i];
    if (!which || !strcmp (which, "drop"))
      test_drop ();
    if (!which || !strcmp (which, "udp"))
      test_udp ();
    if (!which || !strcmp (which, "uris"))
      test_uris ();
    if (!which || !strcmp (which, "duration"))
      test_duration ();
    if (!which || !strcmp (which, "srt"))
      test_srt (FALSE, FALSE);
    if (!which || !strcmp (which, "srt-caller"))
      test_srt (TRUE, TRUE);
    if (!which || !strcmp (which, "auto"))
      test_auto ();
    if (!which || !strcmp (which, "nocopy"))
      test_nocopy ();
    if (!which)
      break;
  }
  printf ("%d checks, %d failed\n", n_checks, n_failed);
  {
    GDir *d = g_dir_open (TMP, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d))) {
      char *p = g_build_filename (TMP, name, NULL);
      g_unlink (p);
      g_free (p);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (TMP);
  }
  return n_failed ? 1 : 0;
}
