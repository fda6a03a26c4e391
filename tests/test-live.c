/* Tests of gst-master live: a feed that drops and comes back (a test
 * source that ends after N buffers, a UDP sender that stops and restarts),
 * the output running on continuous, the reconnections counted; a clean stop
 * on SIGINT with the WAV finalised; bad URIs refused with a clear message.
 *
 *     test-live GST_MASTER [drop|udp|uris|duration]...
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

#include <glib.h>
#include <glib/gstdio.h>
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
  int port = 20000 + getpid () % 20000;
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
  for (int k = 0; k < 200; k++) {
    g_free (text);
    text = NULL;
    if (g_file_get_contents (log, &text, NULL, NULL)
        && strstr (text, "-> master"))
      break;
    g_usleep (20 * 1000);
  }
  check (text && strstr (text, "-> master"), "udp: listening");
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

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: %s GST_MASTER [drop|udp|uris|duration]...\n", argv[0]);
    return 2;
  }
  /* absolute: some cases run in the temporary folder */
  GM = g_canonicalize_filename (argv[1], NULL);
  TMP = g_dir_make_tmp ("test-live-XXXXXX", NULL);
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
