/* Tests of the gst-master program: analyze on generated files, master to
 * several targets and formats with the written file measured again (within
 * 0.1 LU of the target, true peak at or below the ceiling; independently
 * with FFmpeg's ebur128 when installed), the safety cases and several inputs
 * with one bad.
 *
 *     test-gst-master GST_MASTER MST_DEMO_MIX
 *
 * Prints one line per check ("ok    ..." or "FAIL  ...") and ends with
 * "N checks, N failed"; exits non-zero on any failure. With GM_DEBUG=1 it
 * also prints what gst-master drew on the terminal.
 *
 * gst-master's --json report is read with json-glib, strictly: the whole
 * document must be valid JSON (RFC 8259), or the check fails. */

#define _GNU_SOURCE            /* posix_openpt, ptsname */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "mst-check.h"

#include "mst-signals.h"

/* How far over --max-limiting a written job's limiter may have gone:
 * gst-master aims 0.05 dB under the bound and redoes a pass that went over
 * it by more than 0.02 dB. */
#define LIMITING_TOLERANCE_DB 0.05
/* The report picture's axes and colours, header only. */
#include "../tools/gm-report-axis.h"

static const char *GM, *DEMO;
static char *TMP;

/* ------------------------------------------------------------------ */
/* gst-master's --json report, read with json-glib. json-glib 1.6 reads
 * more than RFC 8259 allows (an empty text, single quotes, leading zeros,
 * "1.", \x escapes, raw control characters in strings, duplicate keys,
 * numbers out of range), so a document is valid only when json-glib reads
 * it, it is made of JSON's tokens alone, no object repeats a key and every
 * number is finite: a broken report fails its check.                  */

/* JSON's tokens (RFC 8259: structural characters, literals, strings with
 * their escapes, numbers) between optional whitespace; a number may not
 * run into a digit, '.' or an exponent it could not take ("01", "1.",
 * "1e"). Atomic groups: no backtracking on long documents. */
#define JSON_TOKENS "^(?:[ \\t\\n\\r]*+(?>[][{}:,]|true|false|null" \
    "|\"(?:[^\"\\\\\\x00-\\x1f]|\\\\(?:[\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*+\"" \
    "|-?(?:0|[1-9][0-9]*+)(?:\\.[0-9]++)?(?:[eE][+-]?[0-9]++)?(?![0-9.eE])))" \
    "*+[ \\t\\n\\r]*+$"

/* Counts the members each object received: more than its size means a
 * repeated key (json-glib keeps the last). */
static void
on_object_member (JsonParser * parser, JsonObject * object,
    const char *member, gpointer user_data)
{
  GHashTable *members = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (members, object)) + 1;

  (void) parser;
  (void) member;
  g_hash_table_insert (members, object, GUINT_TO_POINTER (n));
  if (n > json_object_get_size (object))
    g_hash_table_insert (members, NULL, GUINT_TO_POINTER (1));
}

static gboolean
all_finite (JsonNode * node)
{
  gboolean ok = TRUE;

  if (JSON_NODE_HOLDS_OBJECT (node)) {
    GList *values = json_object_get_values (json_node_get_object (node));
    for (GList * l = values; l && ok; l = l->next)
      ok = all_finite (l->data);
    g_list_free (values);
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *a = json_node_get_array (node);
    for (guint i = 0; i < json_array_get_length (a) && ok; i++)
      ok = all_finite (json_array_get_element (a, i));
  } else if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_DOUBLE) {
    ok = isfinite (json_node_get_double (node));
  }
  return ok;
}

/* The whole text as one JSON value (free with json_node_unref), or NULL
 * when it is not valid JSON. */
static JsonNode *
json_parse (const char *text)
{
  static GRegex *tokens;
  JsonParser *parser;
  GHashTable *members;
  JsonNode *root = NULL;

  if (!text || !g_utf8_validate (text, -1, NULL))
    return NULL;
  if (!tokens)
    tokens = g_regex_new (JSON_TOKENS, G_REGEX_OPTIMIZE, 0, NULL);
  if (!g_regex_match (tokens, text, 0, NULL))
    return NULL;
  parser = json_parser_new ();
  members = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member),
      members);
  if (json_parser_load_from_data (parser, text, -1, NULL)
      && !g_hash_table_contains (members, NULL)
      && json_parser_get_root (parser)
      && all_finite (json_parser_get_root (parser)))
    root = json_node_ref (json_parser_get_root (parser));
  g_hash_table_unref (members);
  g_object_unref (parser);
  return root;
}

static void
json_free (JsonNode * doc)
{
  if (doc)
    json_node_unref (doc);
}

/* A member of an object by a dotted path ("after.integrated_lufs"), or
 * NULL. */
static JsonNode *
jget (JsonNode * v, const char *path)
{
  char **parts = g_strsplit (path, ".", -1);

  for (char **k = parts; v && *k; k++)
    v = JSON_NODE_HOLDS_OBJECT (v) ?
        json_object_get_member (json_node_get_object (v), *k) : NULL;
  g_strfreev (parts);
  return v;
}

static gboolean
jis_number (JsonNode * n)
{
  return n && JSON_NODE_HOLDS_VALUE (n)
      && (json_node_get_value_type (n) == G_TYPE_DOUBLE
      || json_node_get_value_type (n) == G_TYPE_INT64);
}

/* A number by path; NaN when missing, null or not a number, so that every
 * comparison with it is false and the check fails. */
static double
jnum (JsonNode * v, const char *path)
{
  JsonNode *n = jget (v, path);
  return jis_number (n) ? json_node_get_double (n) : NAN;
}

static const char *
jstr (JsonNode * v, const char *path)
{
  JsonNode *n = jget (v, path);
  return n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING ?
      json_node_get_string (n) : NULL;
}

static gboolean
jis_null (JsonNode * v, const char *path)
{
  JsonNode *n = jget (v, path);
  return n && JSON_NODE_HOLDS_NULL (n);
}

static guint
jlen (JsonNode * v)
{
  return v && JSON_NODE_HOLDS_ARRAY (v) ?
      json_array_get_length (json_node_get_array (v)) : 0;
}

static JsonNode *
jidx (JsonNode * v, guint i)
{
  return i < jlen (v) ? json_array_get_element (json_node_get_array (v), i)
      : NULL;
}

/* Whether one string of the array at path contains needle. */
static gboolean
jany_contains (JsonNode * v, const char *path, const char *needle)
{
  JsonNode *a = jget (v, path);

  for (guint i = 0; i < jlen (a); i++) {
    JsonNode *s = jidx (a, i);
    if (JSON_NODE_HOLDS_VALUE (s)
        && json_node_get_value_type (s) == G_TYPE_STRING
        && strstr (json_node_get_string (s), needle))
      return TRUE;
  }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Running gst-master and friends                                     */

typedef struct
{
  int rc;                       /* exit status, or 128 + signal, -1 not run */
  char *out, *err;
} Run;

static void
run_clear (Run * r)
{
  g_free (r->out);
  g_free (r->err);
  r->out = r->err = NULL;
}

static int
wait_status_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return -1;
}

static Run
run_argv (const char *const *argv)
{
  Run r = { -1, NULL, NULL };
  GError *err = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          &r.out, &r.err, &status, &err)) {
    r.err = g_strdup (err->message);
    r.out = g_strdup ("");
    g_error_free (err);
    return r;
  }
  r.rc = wait_status_code (status);
  return r;
}

/* gst-master with the arguments up to NULL. */
static Run G_GNUC_NULL_TERMINATED
gm (const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  va_list ap;
  Run r;

  g_ptr_array_add (argv, (char *) GM);
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  r = run_argv ((const char *const *) argv->pdata);
  g_ptr_array_free (argv, TRUE);
  return r;
}

static Run
gmv (GPtrArray * args)
{
  GPtrArray *argv = g_ptr_array_new ();
  Run r;

  g_ptr_array_add (argv, (char *) GM);
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (args, i));
  g_ptr_array_add (argv, NULL);
  r = run_argv ((const char *const *) argv->pdata);
  g_ptr_array_free (argv, TRUE);
  return r;
}

static char *
path (const char *name)
{
  return g_build_filename (TMP, name, NULL);
}

static gboolean
exists (const char *p)
{
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

static char *
oneline (const char *s)
{
  char *t = g_strstrip (g_strdup (s ? s : ""));
  for (char *c = t; *c; c++)
    if (*c == '\n')
      *c = ' ';
  return t;
}

/* Runs a gst-launch description to its end; FALSE on an error. */
static gboolean
launch (const char *desc)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstMessage *msg = NULL;
  gboolean ok = FALSE;

  if (pipe && !err) {
    GstBus *bus = gst_element_get_bus (pipe);
    gst_element_set_state (pipe, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    if (msg)
      gst_message_unref (msg);
    gst_element_set_state (pipe, GST_STATE_NULL);
    gst_object_unref (bus);
  }
  g_clear_error (&err);
  if (pipe)
    gst_object_unref (pipe);
  return ok;
}

/* A WAV made by audiotestsrc (S16 unless caps say otherwise), in this
 * process. */
static char *
gst_wav (const char *name, const char *src, const char *caps, double seconds,
    int rate)
{
  int n = (int) (seconds * rate / 4800);
  int spb = seconds * rate >= 4800 ? 4800 : (int) (seconds * rate);
  char *out = path (name);
  char *desc;

  if (n == 0)
    n = 1;
  desc = g_strdup_printf ("audiotestsrc num-buffers=%d samplesperbuffer=%d %s "
      "! audio/x-raw,rate=%d,%s ! wavenc ! filesink location=\"%s\"", n, spb,
      src, rate, caps, out);
  if (!launch (desc)) {
    /* Everything after depends on it: stop here. */
    fprintf (stderr, "cannot generate %s with '%s'\n", name, desc);
    printf ("FAIL  generate %s\n%d checks, %d failed\n", name, n_checks + 1,
        n_failed + 1);
    exit (1);
  }
  g_free (desc);
  return out;
}

/* gst-master analyze --json FILE: its figures (owned by *doc), or NULL
 * after a failed check. */
static JsonNode *
analyze (const char *f, JsonNode ** doc)
{
  Run r = gm ("analyze", "--json", f, NULL);
  JsonNode *fig = NULL;

  *doc = NULL;
  if (r.rc == 0 && (*doc = json_parse (r.out)) && jlen (*doc) == 1)
    fig = jget (jidx (*doc, 0), "figures");
  if (!fig) {
    char *e = oneline (r.err);
    check (FALSE, "analyze %s: exit %d, valid JSON with figures: %s", f, r.rc,
        e);
    g_free (e);
  }
  run_clear (&r);
  return fig;
}

/* analyze's figures of an input that does not change, once a run: the
 * master cases take several targets from one input. */
static JsonNode *
analyze_input (const char *f)
{
  static GHashTable *done;
  JsonNode *doc;
  if (!done)
    done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) json_free);
  if (!g_hash_table_contains (done, f)) {
    analyze (f, &doc);
    g_hash_table_insert (done, g_strdup (f), doc);
  }
  doc = g_hash_table_lookup (done, f);
  return doc && jlen (doc) == 1 ? jget (jidx (doc, 0), "figures") : NULL;
}

/* Integrated loudness of a file by gst-master analyze; NaN on failure. */
static double
analyze_lufs (const char *f)
{
  JsonNode *doc;
  JsonNode *fig = analyze (f, &doc);
  double v = jnum (fig, "integrated_lufs");
  json_free (doc);
  return v;
}

/* A WAV file's format chunk (bits per sample, rate) and the bytes of its
 * data chunk that are not 0; FALSE when it is not a readable WAV. With
 * @frames_at and @frame_bytes (may be NULL): where its data chunk's frames
 * start and the bytes of one (fmt's block align). */
static gboolean
wav_read (const char *f, int *bits, int *rate, gsize * n_data,
    gsize * n_nonzero, gsize * frames_at, int *frame_bytes)
{
  guint8 *d;
  gsize len, pos = 12, data_at = 0;
  int block_align = 0;
  gboolean fmt = FALSE, data = FALSE;

  if (!g_file_get_contents (f, (char **) &d, &len, NULL))
    return FALSE;
  while (len >= 12 && pos + 8 <= len && !(fmt && data)) {
    gsize size = d[pos + 4] | d[pos + 5] << 8 | d[pos + 6] << 16
        | (gsize) d[pos + 7] << 24;
    const guint8 *c = d + pos + 8;
    if (!memcmp (d + pos, "fmt ", 4) && size >= 16 && pos + 24 <= len) {
      *rate = c[4] | c[5] << 8 | c[6] << 16 | c[7] << 24;
      *bits = c[14] | c[15] << 8;
      block_align = c[12] | c[13] << 8;
      fmt = TRUE;
    } else if (!memcmp (d + pos, "data", 4)) {
      data_at = pos + 8;
      *n_data = MIN (size, len - pos - 8);
      *n_nonzero = 0;
      for (gsize i = 0; i < *n_data; i++)
        *n_nonzero += c[i] != 0;
      data = TRUE;
    }
    pos += 8 + size + (size & 1);
  }
  g_free (d);
  if (frames_at && fmt && data)
    *frames_at = data_at;
  if (frame_bytes && fmt && data)
    *frame_bytes = block_align;
  return fmt && data;
}

static int
wav_bits (const char *f)
{
  int bits, rate;
  gsize n_data, n_nonzero;
  return wav_read (f, &bits, &rate, &n_data, &n_nonzero, NULL, NULL) ? bits : -1;
}

/* Integrated loudness and true peak by FFmpeg's ebur128 (an independent
 * meter): 1 when read, 0 when FFmpeg ran but its summary could not be read
 * (a failure), -1 when FFmpeg is not installed. */
static int
ffmpeg_measure (const char *f, double *lufs, double *tp)
{
  static char *ffmpeg;
  static gboolean looked;
  const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats",
    "-i", f, "-af", "ebur128=peak=true", "-f", "null", "-", NULL
  };
  Run r;
  const char *tail;
  GMatchInfo *mi;
  GRegex *ri, *rp;
  int ok = 0;

  if (!looked) {
    ffmpeg = g_find_program_in_path ("ffmpeg");
    looked = TRUE;
  }
  if (!ffmpeg)
    return -1;
  argv[0] = ffmpeg;
  r = run_argv (argv);
  tail = r.err ? g_strrstr (r.err, "Summary:") : NULL;
  if (!tail)
    tail = r.err ? r.err : "";
  ri = g_regex_new ("I:\\s+(-?[\\d.]+) LUFS", 0, 0, NULL);
  rp = g_regex_new ("Peak:\\s+(-?[\\d.]+) dBFS", 0, 0, NULL);
  if (g_regex_match (ri, tail, 0, &mi)) {
    char *s = g_match_info_fetch (mi, 1);
    *lufs = g_ascii_strtod (s, NULL);
    g_free (s);
    g_match_info_free (mi);
    if (g_regex_match (rp, tail, 0, &mi)) {
      s = g_match_info_fetch (mi, 1);
      *tp = g_ascii_strtod (s, NULL);
      g_free (s);
      ok = r.rc == 0;
    }
  }
  g_match_info_free (mi);
  g_regex_unref (ri);
  g_regex_unref (rp);
  run_clear (&r);
  return ok;
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in a folder, sorted, joined by spaces ("" if empty, NULL if
 * the folder cannot be read). */
static char *
listdir (const char *d)
{
  GDir *dir = g_dir_open (d, 0, NULL);
  GPtrArray *names;
  const char *n;
  char *res;

  if (!dir)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((n = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_strdup (n));
  g_dir_close (dir);
  g_ptr_array_sort (names, cmp_names);
  g_ptr_array_add (names, NULL);
  res = g_strjoinv (" ", (char **) names->pdata);
  g_ptr_array_free (names, TRUE);
  return res;
}

static gboolean
listdir_is (const char *d, const char *expected)
{
  char *l = listdir (d);
  gboolean ok = l && !strcmp (l, expected);
  g_free (l);
  return ok;
}

static int
count_parts (const char *d)
{
  GDir *dir = g_dir_open (d, 0, NULL);
  const char *n;
  int count = 0;

  if (!dir)
    return -1;
  while ((n = g_dir_read_name (dir)))
    if (g_str_has_suffix (n, ".part"))
      count++;
  g_dir_close (dir);
  return count;
}

static gboolean
same_contents (const char *f, const char *data, gsize len)
{
  char *now;
  gsize now_len;
  gboolean same;

  if (!g_file_get_contents (f, &now, &now_len, NULL))
    return FALSE;
  same = now_len == len && !memcmp (now, data, len);
  g_free (now);
  return same;
}

static void
rm_rf (const char *p)
{
  GDir *dir;
  const char *n;
  GStatBuf st;

  if (g_lstat (p, &st) == 0 && S_ISDIR (st.st_mode)
      && (dir = g_dir_open (p, 0, NULL))) {
    while ((n = g_dir_read_name (dir))) {
      char *c = g_build_filename (p, n, NULL);
      rm_rf (c);
      g_free (c);
    }
    g_dir_close (dir);
    g_rmdir (p);
  } else {
    g_unlink (p);
  }
}

/* Runs a gst-launch style pipeline description to EOS; the TAG messages'
 * title, if @title is given (a new string or NULL). */
static gboolean
run_pipeline (const char *desc, char **title)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  gboolean ok = FALSE;
  if (title)
    *title = NULL;
  if (!pipe || err) {
    g_clear_error (&err);
    if (pipe)
      gst_object_unref (pipe);
    return FALSE;
  }
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_TAG);
    if (!msg)
      break;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_TAG && title && !*title) {
      GstTagList *tags;
      gst_message_parse_tag (msg, &tags);
      gst_tag_list_get_string (tags, GST_TAG_TITLE, title);
      gst_tag_list_unref (tags);
    }
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS || type == GST_MESSAGE_ERROR) {
      ok = type == GST_MESSAGE_EOS;
      break;
    }
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok;
}

/* ------------------------------------------------------------------ */
/* master to targets and formats                                      */

typedef struct
{
  const char *input;            /* "demo", "mono", "surround96", "hot",
                                 * "quiet" */
  const char *target;           /* NULL: custom */
  const char *format;
  double lufs;                  /* expected loudness, NaN: none */
  double ceiling;
  const char *extra[5];
} Case;

static gboolean ffmpeg_note_done;

static const char *
format_ext (const char *fmt)
{
  if (g_str_has_prefix (fmt, "wav"))
    return "wav";
  if (!strcmp (fmt, "aac"))
    return "m4a";
  return fmt;
}

static void
master_case (int i, const Case * c, const char *inp)
{
  char *outname = g_strdup_printf ("out%d.%s", i, format_ext (c->format));
  char *out = path (outname);
  GPtrArray *args = g_ptr_array_new ();
  char *extra = NULL, *name;
  gboolean has_extra = c->extra[0] != NULL, has_rate = FALSE;
  Run r;
  JsonNode *doc, *rep, *wdoc = NULL, *w, *in;
  double ff_i, ff_tp;

  g_ptr_array_add (args, (char *) "master");
  g_ptr_array_add (args, (char *) inp);
  g_ptr_array_add (args, (char *) "-o");
  g_ptr_array_add (args, out);
  g_ptr_array_add (args, (char *) "--format");
  g_ptr_array_add (args, (char *) c->format);
  g_ptr_array_add (args, (char *) "--json");
  g_ptr_array_add (args, (char *) "-q");
  for (int k = 0; c->extra[k]; k++) {
    g_ptr_array_add (args, (char *) c->extra[k]);
    if (!strcmp (c->extra[k], "--rate"))
      has_rate = TRUE;
  }
  if (c->target) {
    g_ptr_array_add (args, (char *) "--target");
    g_ptr_array_add (args, (char *) c->target);
  }
  if (has_extra)
    extra = g_strjoinv (" ", (char **) c->extra);
  name = g_strdup_printf ("master %s %s%s%s", c->target ? c->target : "custom",
      c->format, has_extra ? " " : "", has_extra ? extra : "");

  r = gmv (args);
  if (r.rc != 0) {
    char *e = oneline (r.err);
    check (FALSE, "%s: exit %d: %s", name, r.rc, e);
    g_free (e);
    goto done;
  }
  doc = json_parse (r.out);
  rep = jlen (doc) == 1 ? jidx (doc, 0) : NULL;
  check (rep != NULL, "%s: --json is one valid report", name);
  w = analyze (out, &wdoc);

  {
    double wl = jnum (w, "integrated_lufs"), wtp = jnum (w, "true_peak_dbtp");
    gboolean ok_l = isnan (c->lufs) ? TRUE : fabs (wl - c->lufs) <= 0.1;
    char *target_s = isnan (c->lufs) ? g_strdup ("None") :
        g_strdup_printf ("%.1f", c->lufs);
    check (w && ok_l && wtp <= c->ceiling,
        "%s: written file %.2f LUFS, %.2f dBTP (target %s, ceiling %.1f)",
        name, wl, wtp, target_s, c->ceiling);
    g_free (target_s);
    check (g_strcmp0 (jstr (rep, "status"), "ok") == 0
        && fabs (jnum (rep, "after.integrated_lufs") - wl) < 0.01,
        "%s: report matches the written file", name);
  }
  if (isnan (c->lufs))
    check (fabs (jnum (rep, "gain_db")) < 1e-9 && jis_null (rep, "target_lufs"),
        "%s: no loudness target (null in the report), gain 0", name);
  if (!isnan (c->lufs)) {
    int got = ffmpeg_measure (out, &ff_i, &ff_tp);
    if (got == 0)
      check (FALSE, "%s: FFmpeg ebur128 ran and printed its summary", name);
    else if (got > 0)
      check (fabs (ff_i - c->lufs) <= 0.15 && ff_tp <= c->ceiling + 0.1,
          "%s: FFmpeg ebur128 reads %.2f LUFS, %.2f dBTP", name, ff_i, ff_tp);
    else if (!ffmpeg_note_done) {
      printf ("      (FFmpeg not installed: no independent measurement)\n");
      ffmpeg_note_done = TRUE;
    }
  }
  if (!strcmp (c->format, "wav16"))
    check (wav_bits (out) == 16, "%s: 16-bit", name);
  if (!strcmp (c->format, "wav24"))
    check (wav_bits (out) == 24, "%s: 24-bit", name);
  in = analyze_input (inp);
  if (has_rate || !g_strcmp0 (c->target, "cd"))
    check (jnum (w, "rate_hz") == 44100, "%s: resampled to 44.1 kHz", name);
  else if (strcmp (c->format, "opus"))
    check (w && in && jnum (w, "rate_hz") == jnum (in, "rate_hz"),
        "%s: rate kept", name);
  check (w && in && jnum (w, "channels") == jnum (in, "channels"),
      "%s: channels kept", name);
  if (!strcmp (c->format, "mp3") || !strcmp (c->format, "opus")
      || !strcmp (c->format, "aac"))
    check (jany_contains (rep, "messages", "headroom"), "%s: headroom stated",
        name);
  json_free (wdoc);
  json_free (doc);
done:
  run_clear (&r);
  g_ptr_array_free (args, TRUE);
  g_free (extra);
  g_free (name);
  g_free (out);
  g_free (outname);
}

/* ------------------------------------------------------------------ */
/* Children started by hand: Ctrl-C, the progress bar on a terminal   */

static pid_t
spawn (const char *const *argv, int stderr_fd)
{
  pid_t pid = fork ();

  if (pid == 0) {
    int null = open ("/dev/null", O_RDWR);
    dup2 (null, 0);
    dup2 (null, 1);
    dup2 (stderr_fd >= 0 ? stderr_fd : null, 2);
    execv (argv[0], (char **) argv);
    _exit (127);
  }
  return pid;
}

/* Waits up to timeout_s for pid; its exit code, or -1 after killing it. */
static int
wait_for (pid_t pid, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * 1e6);
  int status;

  for (;;) {
    pid_t r = waitpid (pid, &status, WNOHANG);
    if (r == pid)
      return wait_status_code (status);
    if (r < 0)
      return -1;
    if (g_get_monotonic_time () > end) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      return -1;
    }
    g_usleep (20000);
  }
}

static void
test_interrupted (const char *demo)
{
  char *outdir = path ("interrupted");
  char *out = g_build_filename (outdir, "x.flac", NULL);
  const char *argv[] = { GM, "master", demo, "-o", out, "-q", NULL };
  pid_t pid;
  int rc;

  g_mkdir (outdir, 0755);
  pid = spawn (argv, -1);
  g_usleep (400000);
  kill (pid, SIGINT);
  rc = wait_for (pid, 60);
  check (pid > 0 && rc != 0 && listdir_is (outdir, ""),
      "Ctrl-C: exit %d, nothing left in the output folder", rc);
  g_free (out);
  g_free (outdir);
}

/* Runs @argv with its standard error on a new terminal (a pty) and
 * returns all it wrote there; *@rc its exit code (-1: not run or killed).
 * @poke is called with what was seen so far and the seconds since the
 * start at every read and every 100 ms, until the program closes its
 * side (or 120 s). */
static GString *
run_on_terminal (const char *const *argv, void (*poke) (const char *seen,
        double t, gpointer data), gpointer data, int *rc)
{
  GString *seen = g_string_new (NULL);
  int mfd = posix_openpt (O_RDWR | O_NOCTTY), sfd = -1;

  *rc = -1;
  if (mfd >= 0 && grantpt (mfd) == 0 && unlockpt (mfd) == 0)
    sfd = open (ptsname (mfd), O_RDWR | O_NOCTTY);
  if (sfd >= 0) {
    gint64 start = g_get_monotonic_time ();
    pid_t pid = spawn (argv, sfd);
    close (sfd);
    for (;;) {
      struct pollfd pfd = { mfd, POLLIN, 0 };
      char buf[4096];
      double t = (g_get_monotonic_time () - start) / 1e6;
      int pr = poll (&pfd, 1, 100);

      if (pr > 0) {
        ssize_t n = read (mfd, buf, sizeof buf);
        if (n > 0)
          g_string_append_len (seen, buf, n);
        else if (n == 0 || errno != EINTR)
          break;                /* EIO on Linux: the child closed its side */
      }
      if (poke)
        poke (seen->str, t, data);
      if (t > 120)
        break;
    }
    *rc = wait_for (pid, 10);
  }
  if (mfd >= 0)
    close (mfd);
  return seen;
}

typedef struct
{
  const char *fifo;
  gboolean all_shown;
} HeldInput;

/* Each open () of the FIFO by gst-master (filesrc opens it twice: pull
 * mode is tried first) gets a writer that closes at once, once the bar
 * has shown all it must (or after 30 s). */
static void
release_fifo (const char *seen, double t, gpointer data)
{
  HeldInput *h = data;

  h->all_shown = strchr (seen, '%') && strstr (seen, "realtime")
      && strstr (seen, "left");
  if (h->all_shown || t > 30) {
    int fd = open (h->fifo, O_WRONLY | O_NONBLOCK);
    if (fd >= 0)                /* else no reader at the moment */
      close (fd);
  }
}

/* The progress bar shows the speed and the time left only after 0.5 s,
 * and a short run can be over before that. So one input is a FIFO: its job
 * waits in open () until this test opens the other end, which it does once
 * the bar has shown all it must (or after 30 s), closing it at once: the
 * input is empty, fails to decode, and the others are written. */
static void
test_progress (const char *demo, const char *tone)
{
  char *outdir = path ("pty");
  char *fifo = path ("held.wav");
  const char *argv[] = { GM, "master", fifo, demo, tone, "-o", outdir,
    "-j", "2", NULL
  };
  HeldInput held = { fifo, FALSE };
  gboolean all_shown;
  GString *seen = NULL;
  int rc = -1;
  Run r;
  char *out;

  if (mkfifo (fifo, 0644) == 0)
    seen = run_on_terminal (argv, release_fifo, &held, &rc);
  if (!seen)
    seen = g_string_new (NULL);
  all_shown = held.all_shown;
  check (all_shown, "progress bar on a terminal: percent, speed, time left "
      "(%" G_GSIZE_FORMAT " bytes)", seen->len);
  check (rc == 1 && strstr (seen->str, "2 of 3 files succeeded")
      && listdir_is (outdir, "demo.wav tone-23.wav"),
      "progress run: exit %d, the input held open then empty failed, the "
      "others written, no temporary file", rc);
  if (g_getenv ("GM_DEBUG")) {
    char *e = g_strescape (seen->str, NULL);
    printf ("      seen: %s\n", e);
    g_free (e);
  }
  g_string_free (seen, TRUE);
  g_unlink (fifo);
  g_free (fifo);
  g_free (outdir);

  out = path ("noterm.wav");
  r = gm ("master", demo, "-o", out, NULL);
  check (r.rc == 0 && !strchr (r.err, '%') && !strstr (r.err, "realtime"),
      "no progress bar when not a terminal");
  run_clear (&r);
  g_free (out);
}

/* ------------------------------------------------------------------ */
/* Inputs shared by several tests, made on first use                  */

static char *
tone_23 (void)
{
  static char *tone;
  if (!tone) {
    char *vol = g_strdup_printf ("wave=sine freq=1000 volume=%.6f",
        pow (10, -23 / 20.));
    tone = gst_wav ("tone-23.wav", vol, "channels=2", 10, 48000);
    g_free (vol);
  }
  return tone;
}

/* The demo mix by mst-demo-mix: everything after depends on it, so a
 * failure stops the run. */
static char *
demo_mix (void)
{
  static char *demo;
  if (!demo) {
    Run r;
    demo = path ("demo.wav");
    const char *dargv[] = { DEMO, demo, NULL };
    r = run_argv (dargv);
    if (r.rc != 0) {
      printf ("FAIL  %s %s: exit %d: %s\n%d checks, %d failed\n", DEMO, demo,
          r.rc, r.err, n_checks + 1, n_failed + 1);
      exit (1);
    }
    run_clear (&r);
  }
  return demo;
}

/* The demo mix twelve times over (480 s, 16-bit WAV): mastered in a few
 * seconds, long enough for several progress updates. To the streaming
 * target it needs a correction pass (the limiter takes loudness). */
static char *
long_demo (void)
{
  static char *f;
  if (!f) {
    char *demo = demo_mix ();
    GString *desc;
    f = path ("demo12.wav");
    desc = g_string_new ("concat name=c ! audioconvert ! "
        "audio/x-raw,format=S16LE ! wavenc ! filesink location=");
    g_string_append_printf (desc, "\"%s\"", f);
    for (int i = 0; i < 12; i++)
      g_string_append_printf (desc, " filesrc location=\"%s\" ! wavparse ! "
          "c.", demo);
    if (!check (run_pipeline (desc->str, NULL), "%s written", f)) {
      printf ("%d checks, %d failed\n", n_checks, n_failed);
      exit (1);
    }
    g_string_free (desc, TRUE);
  }
  return f;
}

static char *
bad_input (void)
{
  static char *bad;
  if (!bad) {
    GString *s = g_string_new (NULL);
    bad = path ("bad.wav");
    for (int i = 0; i < 100; i++)
      g_string_append (s, "this is not audio\n");
    g_file_set_contents (bad, s->str, s->len, NULL);
    g_string_free (s, TRUE);
  }
  return bad;
}

static char *
short_2s (void)
{
  static char *short2;
  if (!short2)
    short2 = gst_wav ("short2.wav", "wave=pink-noise volume=0.3",
        "channels=2", 2, 48000);
  return short2;
}

/* ------------------------------------------------------------------ */
/* The tests, in the order they run                                   */

static void
test_analyze (void)
{
  JsonNode *doc, *f;
  char *vol, *tone = tone_23 (), *tone44;
  Run r;

  f = analyze (tone, &doc);
  check (fabs (jnum (f, "integrated_lufs") + 23.0) <= 0.1,
      "analyze: 1 kHz at -23 dBFS stereo reads -23 LUFS (%.2f)",
      jnum (f, "integrated_lufs"));
  check (fabs (jnum (f, "true_peak_dbtp") + 23.0) <= 0.2,
      "analyze: true peak -23 dBTP (%.2f)", jnum (f, "true_peak_dbtp"));
  check (fabs (jnum (f, "sample_peak_dbfs") + 23.0) <= 0.1,
      "analyze: sample peak -23 dBFS");
  check (jnum (f, "channels") == 2 && jnum (f, "rate_hz") == 48000
      && fabs (jnum (f, "duration_s") - 10) < 0.01,
      "analyze: channels, rate, duration");
  check (fabs (jnum (f, "short_term_max_lufs") + 23.0) <= 0.1
      && fabs (jnum (f, "momentary_max_lufs") + 23.0) <= 0.1,
      "analyze: max momentary and short-term -23");
  check (jnum (f, "loudness_range_lu") < 0.5, "analyze: LRA ~0");
  json_free (doc);

  vol = g_strdup_printf ("wave=sine freq=1000 volume=%.6f", pow (10, -18 / 20.));
  tone44 = gst_wav ("tone44.wav", vol, "channels=1", 4, 44100);
  g_free (vol);
  f = analyze (tone44, &doc);
  check (fabs (jnum (f, "integrated_lufs") + 21.0) <= 0.1
      && jnum (f, "rate_hz") == 44100 && jnum (f, "channels") == 1,
      "analyze: mono 44.1 kHz -18 dBFS reads -21 LUFS (%.2f)",
      jnum (f, "integrated_lufs"));
  json_free (doc);
  r = gm ("analyze", tone, tone44, NULL);
  check (r.rc == 0 && strstr (r.out, "tone-23.wav") && strstr (r.out, "-23.0")
      && strstr (r.out, "tone44.wav"), "analyze: table");
  run_clear (&r);
  g_free (tone44);
}

/* analyze's stereo figures on a file whose 400 ms windows are known: a
 * second of identical white noise, a second of anti-phase, a second
 * correlated at 1/sqrt 2 (R = (L + N) / sqrt 2): correlation minimum -1
 * near 1 s, the windows below 0 counted, the mean between; the fold-down
 * loss of the whole, sum (L + R)^2 / (2 sum (L^2 + R^2)) = (4 + 0 + 2 +
 * sqrt 2) / 12 (-2.09 dB); the energy above 16 kHz of white noise at
 * 48 kHz a third of it (-4.77 dB). A mono file has none. */
static void
test_analyze_stereo (void)
{
  const unsigned rate = 48000;
  const size_t n = 3 * rate;
  float *x = g_new (float, 2 * n), *y = g_new (float, 2 * n);
  char *p = path ("stereo-phase.wav");
  JsonNode *doc, *f;
  Run r;

  mst_signal_white_noise (x, n, 2, -20.0, 5);
  mst_signal_white_noise (y, n, 2, -20.0, 6);
  for (size_t i = 0; i < n; i++)
    if (i < rate)
      x[2 * i + 1] = x[2 * i];
    else if (i < 2 * rate)
      x[2 * i + 1] = -x[2 * i];
    else
      x[2 * i + 1] = (x[2 * i] + y[2 * i]) * (float) M_SQRT1_2;
  check (mst_signal_write_wav (p, x, n, 2, rate) == 0, "written");
  f = analyze (p, &doc);
  check (f && jnum (f, "correlation_min") < -0.99
      && fabs (jnum (f, "correlation_min_at_s") - 1.0) <= 0.3,
      "analyze: correlation minimum -1 at 1 s (%.3f at %.2f s)",
      jnum (f, "correlation_min"), jnum (f, "correlation_min_at_s"));
  /* 7 windows in the anti-phase second, 1 or 2 across the change from
   * identical (3 + 1 and 2 + 2 hops), 2 across the next (1 + 3 hops is
   * above 0: (-1 + 3 / sqrt 2) / 4). */
  check (jnum (f, "negative_correlation_windows") >= 10
      && jnum (f, "negative_correlation_windows") <= 11,
      "analyze: windows below 0 (%g)",
      jnum (f, "negative_correlation_windows"));
  check (fabs (jnum (f, "correlation_mean")) < 0.5,
      "analyze: mean correlation between (%.3f)",
      jnum (f, "correlation_mean"));
  check (fabs (jnum (f, "mono_loss_db")
          - 10 * log10 ((6 + M_SQRT2) / 12)) < 0.1,
      "analyze: fold-down loss -2.09 dB (%.3f)", jnum (f, "mono_loss_db"));
  check (fabs (jnum (f, "energy_above_16khz_db") + 4.77) < 0.3,
      "analyze: white noise above 16 kHz -4.77 dB (%.3f)",
      jnum (f, "energy_above_16khz_db"));
  json_free (doc);
  r = gm ("analyze", p, NULL);
  check (r.rc == 0 && strstr (r.out, "cormin") && strstr (r.out, "-1.00")
      && strstr (r.out, "-2.1"), "analyze: correlation in the table");
  run_clear (&r);
  for (size_t i = 0; i < n; i++)
    x[i] = x[2 * i];
  g_free (p);
  p = path ("mono-noise.wav");
  check (mst_signal_write_wav (p, x, n, 1, rate) == 0, "written");
  f = analyze (p, &doc);
  check (f && jnum (f, "channels") == 1 && isnan (jnum (f, "correlation_min"))
      && isnan (jnum (f, "mono_loss_db")),
      "analyze: no correlation for a mono file");
  json_free (doc);
  g_free (p);
  g_free (x);
  g_free (y);
}

/* Amplitude (dBFS) of the tone @f_hz in @x (@n frames at @rate, stride
 * @stride) by correlation with a sine and a cosine. */
static double
tone_dbfs (const double *x, size_t n, size_t stride, double f_hz,
    unsigned rate)
{
  double c = 0, q = 0;
  for (size_t i = 0; i < n; i++) {
    c += x[i * stride] * cos (2 * M_PI * f_hz * i / rate);
    q += x[i * stride] * sin (2 * M_PI * f_hz * i / rate);
  }
  return 20 * log10 (2 * sqrt (c * c + q * q) / n);
}

/* The last @seconds of a 24-bit stereo WAV as mid and side (doubles,
 * (L + R) / 2 and (L - R) / 2); the frame count read, 0 on failure. */
static size_t
wav24_mid_side (const char *f, double seconds, unsigned rate, double **mid,
    double **side)
{
  int bits, r, frame_bytes;
  gsize n_data, n_nonzero, at, len;
  guint8 *d;
  if (!wav_read (f, &bits, &r, &n_data, &n_nonzero, &at, &frame_bytes)
      || bits != 24 || frame_bytes != 6 || (unsigned) r != rate
      || !g_file_get_contents (f, (char **) &d, &len, NULL))
    return 0;
  size_t total = n_data / 6, n = MIN (total, (size_t) (seconds * rate));
  *mid = g_new (double, n);
  *side = g_new (double, n);
  for (size_t i = 0; i < n; i++) {
    const guint8 *p = d + at + (total - n + i) * 6;
    gint32 l = (gint32) ((guint32) p[0] << 8 | (guint32) p[1] << 16
        | (guint32) p[2] << 24) >> 8;
    gint32 rr = (gint32) ((guint32) p[3] << 8 | (guint32) p[4] << 16
        | (guint32) p[5] << 24) >> 8;
    (*mid)[i] = (l + rr) / 2.0 / 8388608.0;
    (*side)[i] = (l - rr) / 2.0 / 8388608.0;
  }
  g_free (d);
  return n;
}

/* The vinyl target: a 24-bit file, the side under 150 Hz removed (a 40 Hz
 * side tone over 40 dB down) with the mid as it was (a 1 kHz mid tone
 * within 0.01 dB, a 40 Hz one too) and the side above kept (2 kHz within
 * 0.1 dB); the report has the energy above 16 kHz and the correlation
 * minimum; an anti-phase input warns; --mono-below moves the split. */
static void
test_vinyl (void)
{
  const unsigned rate = 48000;
  const size_t n = 4 * rate;
  float *x = g_new (float, 2 * n);
  char *in = path ("vinyl-in.wav"), *out = path ("vinyl-out.wav");
  char *anti = path ("vinyl-anti.wav");
  double *mid = NULL, *side = NULL;
  JsonNode *doc;
  Run r;

  for (size_t i = 0; i < n; i++) {
    double m = 0.1 * sin (2 * M_PI * 1000 * i / rate)
        + 0.1 * sin (2 * M_PI * 40 * i / rate);
    double sd = 0.1 * sin (2 * M_PI * 40 * i / rate + 0.5)
        + 0.05 * sin (2 * M_PI * 2000 * i / rate);
    x[2 * i] = (float) (m + sd);
    x[2 * i + 1] = (float) (m - sd);
  }
  check (mst_signal_write_wav (in, x, n, 2, rate) == 0, "written");
  r = gm ("master", in, "-o", out, "--target", "vinyl", "--json", "-q",
      NULL);
  doc = r.rc == 0 ? json_parse (r.out) : NULL;
  JsonNode *job = jidx (doc, 0);
  check (r.rc == 0 && job && wav_bits (out) == 24, "vinyl: exit %d, 24-bit",
      r.rc);
  size_t got = wav24_mid_side (out, 2.0, rate, &mid, &side);
  check (got == 2 * rate, "vinyl: read back");
  if (got == 2 * rate) {
    double side40 = tone_dbfs (side, got, 1, 40, rate);
    double mid1k = tone_dbfs (mid, got, 1, 1000, rate);
    double mid40 = tone_dbfs (mid, got, 1, 40, rate);
    double side2k = tone_dbfs (side, got, 1, 2000, rate);
    check (side40 - 20 * log10 (0.1) < -40, "vinyl: 40 Hz side down %.1f dB",
        side40 - 20 * log10 (0.1));
    check (fabs (mid1k - 20 * log10 (0.1)) < 0.01
        && fabs (mid40 - 20 * log10 (0.1)) < 0.01,
        "vinyl: mid tones kept (%.3f, %.3f dBFS)", mid1k, mid40);
    check (fabs (side2k - 20 * log10 (0.05)) < 0.1,
        "vinyl: 2 kHz side kept (%.3f dBFS)", side2k);
  }
  check (job && jnum (job, "mono_below_hz") == 150
      && isfinite (jnum (job, "after.energy_above_16khz_db"))
      && isfinite (jnum (job, "after.correlation_min"))
      && g_strrstr (r.out, "energy above 16 kHz")
      && g_strrstr (r.out, "correlation over 400 ms windows")
      && !g_strcmp0 (jstr (job, "status"), "ok"),
      "vinyl: the report has the energy above 16 kHz and the correlation "
      "minimum, no warning");
  if (doc)
    json_free (doc);
  run_clear (&r);
  g_free (mid);
  g_free (side);
  /* Text report too. */
  r = gm ("master", in, "-o", out, "--target", "vinyl", "-q", NULL);
  check (r.rc == 0 && strstr (r.out, "correlation min")
      && strstr (r.out, "above 16 kHz"), "vinyl: text report rows");
  run_clear (&r);
  /* Anti-phase: a warning naming the correlation. */
  mst_signal_white_noise (x, n, 1, -20.0, 9);
  for (size_t i = n; i-- > 0;) {
    x[2 * i] = x[i];
    x[2 * i + 1] = -x[i];
  }
  check (mst_signal_write_wav (anti, x, n, 2, rate) == 0, "written");
  r = gm ("master", anti, "-o", out, "--target", "vinyl", "--json", "-q",
      NULL);
  doc = r.rc == 0 ? json_parse (r.out) : NULL;
  job = jidx (doc, 0);
  check (job && !g_strcmp0 (jstr (job, "status"), "warning")
      && g_strrstr (r.out, "correlation below 0")
      && jnum (job, "after.correlation_min") < -0.9,
      "vinyl: anti-phase input warns (exit %d)", r.rc);
  if (doc)
    json_free (doc);
  run_clear (&r);
  /* --mono-below 0 keeps the 40 Hz side. */
  r = gm ("master", in, "-o", out, "--target", "vinyl", "--mono-below", "0",
      "-q", NULL);
  got = r.rc == 0 ? wav24_mid_side (out, 2.0, rate, &mid, &side) : 0;
  check (got && fabs (tone_dbfs (side, got, 1, 40, rate) - 20 * log10 (0.1))
      < 0.01, "vinyl --mono-below 0: the 40 Hz side kept");
  run_clear (&r);
  if (got) {
    g_free (mid);
    g_free (side);
  }
  r = gm ("master", in, "-o", out, "--mono-below", "5", "-q", NULL);
  check (r.rc == 2 && strstr (r.err, "--mono-below"),
      "--mono-below 5 refused");
  run_clear (&r);
  g_free (x);
  g_free (in);
  g_free (out);
  g_free (anti);
}

/* Master to targets and formats, the written file measured again. */
static void
test_master_targets (void)
{
  const Case cases[] = {
    {"demo", "streaming", "wav24", -14.0, -1.0, {NULL}},
    {"demo", "ebu-r128", "flac", -23.0, -1.0, {NULL}},
    {"demo", "atsc-a85", "wav16", -24.0, -2.0, {NULL}},
    {"demo", "apple-music", "wav32f", -16.0, -1.0, {NULL}},
    {"mono", "podcast", "flac", -19.0, -1.0, {NULL}},
    {"demo", "youtube", "mp3", -14.0, -1.0, {NULL}},
    {"demo", "streaming", "opus", -14.0, -1.0, {NULL}},
    {"demo", "streaming", "aac", -14.0, -1.0, {NULL}},
    {"demo", "cd", "wav16", NAN, -0.3, {NULL}},
    {"demo", NULL, "wav24", -10.0, -0.5,
        {"--loudness", "-10", "--ceiling", "-0.5", NULL}},
    {"demo", "streaming", "flac", -14.0, -1.0, {"--rate", "44100", NULL}},
    {"surround96", "ebu-r128", "wav24", -23.0, -1.0, {NULL}},
    {"surround96", "streaming", "flac", -14.0, -1.0, {NULL}},
    {"hot", "streaming", "wav16", -14.0, -1.0, {NULL}},
    {"hot", "atsc-a85", "flac", -24.0, -2.0, {NULL}},
    {"quiet", "ebu-r128", "wav24", -23.0, -1.0, {NULL}},
    {"quiet", "podcast", "mp3", -16.0, -1.0, {NULL}},
  };
  char *demo = demo_mix ();
  char *mono = gst_wav ("mono.wav", "wave=pink-noise volume=0.3", "channels=1",
      8, 48000);
  /* More inputs: 5.1 at 96 kHz, a clipped-hot master (pink noise driven
   * into 16-bit full scale), a very quiet one (about -47 LUFS, within the
   * default --max-gain of every target). */
  char *surround96 = gst_wav ("surround96.wav", "wave=pink-noise "
      "volume=0.2", "channels=6,channel-mask=(bitmask)0x3f", 6, 96000);
  char *hot = gst_wav ("hot.wav", "wave=pink-noise volume=1.5",
      "channels=2,format=S16LE", 6, 44100);
  char *verquiet = gst_wav ("veryquiet.wav", "wave=pink-noise "
      "volume=0.02", "channels=2", 6, 48000);
  const struct
  {
    const char *name, *path;
  } inputs[] = {
    {"demo", demo}, {"mono", mono}, {"surround96", surround96},
    {"hot", hot}, {"quiet", verquiet},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *inp = NULL;
    for (guint k = 0; k < G_N_ELEMENTS (inputs); k++)
      if (!strcmp (cases[i].input, inputs[k].name))
        inp = inputs[k].path;
    master_case (i, &cases[i], inp);
  }
  g_free (mono);
  g_free (surround96);
  g_free (hot);
  g_free (verquiet);
  check (count_parts (TMP) == 0, "no temporary file left");
}

/* Tags: a titled FLAC keeps its title through mastering. */
static void
test_tags (void)
{
  char *tagged = path ("tagged.flac"), *tagged_out = path ("tagged-out.flac");
  char *desc = g_strdup_printf ("audiotestsrc num-buffers=50 "
      "samplesperbuffer=4800 wave=pink-noise volume=0.1 ! "
      "audio/x-raw,rate=48000,channels=2 ! taginject "
      "tags=title=MasteringTagTest,artist=Tests ! audioconvert ! flacenc ! "
      "filesink location=\"%s\"", tagged);
  char *title_in = NULL, *title_out = NULL;
  gboolean made = run_pipeline (desc, NULL);
  Run r;

  g_free (desc);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! fakesink",
      tagged);
  made = made && run_pipeline (desc, &title_in);
  g_free (desc);
  check (made && g_strcmp0 (title_in, "MasteringTagTest") == 0,
      "tags: the input carries its title (%s)", title_in ? title_in : "none");
  r = gm ("master", tagged, "-o", tagged_out, "--target", "streaming", "-q",
      NULL);
  run_clear (&r);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! fakesink",
      tagged_out);
  run_pipeline (desc, &title_out);
  g_free (desc);
  check (g_strcmp0 (title_out, "MasteringTagTest") == 0,
      "tags: the mastered FLAC keeps the title (%s)",
      title_out ? title_out : "none");
  g_free (title_in);
  g_free (title_out);
  g_free (tagged);
  g_free (tagged_out);
}

/* --report: a PNG (when built with cairo) */
static void
test_report_png (void)
{
  char *p1 = path ("rep.flac"), *p2 = path ("rep.png");
  Run r = gm ("master", demo_mix (), "-o", p1, "--report", p2, "-q", "--json",
      NULL);
  char *png = NULL;
  gsize len = 0;

  g_file_get_contents (p2, &png, &len, NULL);
  check (r.rc == 0 && png && len >= 8 && !memcmp (png, "\x89PNG\r\n\x1a\n", 8),
      "--report writes a PNG");
  g_free (png);
  run_clear (&r);
  g_free (p1);
  g_free (p2);
}

/* --max-limiting: the target needs more limiting than allowed, said so */
static void
test_max_limiting (void)
{
  char *p1 = path ("ml.wav");
  Run r = gm ("master", demo_mix (), "-o", p1, "--loudness", "-8",
      "--max-limiting", "2", "--json", "-q", NULL);
  JsonNode *doc = json_parse (r.out), *rep = jidx (doc, 0);

  check (r.rc == 0 && g_strcmp0 (jstr (rep, "status"), "max-limiting") == 0
      && jnum (rep, "limiter_max_reduction_db") <= 2.0 + LIMITING_TOLERANCE_DB
      && jany_contains (rep, "messages", "--max-limiting"),
      "--max-limiting: gain lowered and said so (reduction %.2f dB, %.2f LUFS)",
      jnum (rep, "limiter_max_reduction_db"),
      jnum (rep, "after.integrated_lufs"));
  json_free (doc);
  run_clear (&r);
  g_free (p1);
}

/* --dynamics: the multiband compressor before the gain; the file still
 * lands on the target under the ceiling, and its loudness range is
 * narrower than without it; an unknown name is a usage error. */
static void
test_dynamics (void)
{
  char *p1 = path ("dyn-none.wav"), *p2 = path ("dyn-gentle.wav");
  Run plain = gm ("master", demo_mix (), "-o", p1, "--json", "-q", NULL);
  Run gentle = gm ("master", demo_mix (), "-o", p2, "--dynamics", "gentle",
      "--json", "-q", NULL);
  JsonNode *d1 = json_parse (plain.out), *r1 = jidx (d1, 0);
  JsonNode *d2 = json_parse (gentle.out), *r2 = jidx (d2, 0);

  check (gentle.rc == 0 && g_strcmp0 (jstr (r2, "status"), "ok") == 0
      && fabs (jnum (r2, "after.integrated_lufs") - jnum (r2, "target_lufs"))
      <= 0.1 && jnum (r2, "after.true_peak_dbtp") <= jnum (r2, "ceiling_dbtp"),
      "--dynamics gentle: on target (%.2f LUFS, %.2f dBTP)",
      jnum (r2, "after.integrated_lufs"), jnum (r2, "after.true_peak_dbtp"));
  check (plain.rc == 0 && jnum (r2, "after.loudness_range_lu")
      < jnum (r1, "after.loudness_range_lu") - 1.0,
      "--dynamics gentle narrows the loudness range (%.2f LU, %.2f without)",
      jnum (r2, "after.loudness_range_lu"),
      jnum (r1, "after.loudness_range_lu"));
  json_free (d1);
  json_free (d2);
  run_clear (&plain);
  run_clear (&gentle);
  Run bad = gm ("master", demo_mix (), "-o", p2, "--dynamics", "loud", "-q",
      NULL);
  check (bad.rc == 2, "--dynamics loud: usage error (rc %d)", bad.rc);
  run_clear (&bad);
  g_free (p1);
  g_free (p2);
}

/* ------------------------------------------------------------------ */
/* gst-master mix                                                     */

/* @path's samples as F32 (decoded by GStreamer), of *@channels (as the
 * caller knows it) a frame; NULL when it cannot be read. */
static float *
read_f32 (const char *path, gsize * n_frames, int *channels)
{
  char *raw = g_strconcat (path, ".raw", NULL);
  char *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "audioconvert ! audio/x-raw,format=F32LE ! filesink location=\"%s\"",
      path, raw);
  gchar *data = NULL;
  gsize len = 0;
  float *x = NULL;
  if (launch (desc) && g_file_get_contents (raw, &data, &len, NULL))
    x = (float *) data;
  *n_frames = len / sizeof (float) / (*channels);
  g_unlink (raw);
  g_free (raw);
  g_free (desc);
  return x;
}

/* Effects off, the mix is the sum of the stems as the test computes it:
 * a mono sine at -6 dB through the -3 dB law at the centre, a stereo
 * noise untouched, to float precision; the output is 32-bit float WAV and
 * as long as the longest stem. */
static void
test_mix_sum (void)
{
  char *a = gst_wav ("mix-a.wav", "wave=sine freq=440 volume=0.3",
      "format=F32LE,channels=1", 1.0, 48000);
  char *b = gst_wav ("mix-b.wav", "wave=white-noise volume=0.2",
      "format=F32LE,channels=2", 1.5, 48000);
  char *out = path ("mix-sum.wav");
  Run r = gm ("mix", a, b, "-o", out, "--gain", "mix-a=-6", "-q", NULL);
  check (r.rc == 0, "mix: exit %d: %s", r.rc, r.err);
  gsize na, nb, ny;
  int ca = 1, cb = 2, cy = 2;
  float *xa = read_f32 (a, &na, &ca), *xb = read_f32 (b, &nb, &cb);
  float *y = read_f32 (out, &ny, &cy);
  check (xa && xb && y && ny == MAX (na, nb), "mix: %zu frames out of "
      "%zu and %zu", ny, na, nb);
  if (xa && xb && y && ny == MAX (na, nb)) {
    double g = pow (10.0, -6.0 / 20.0) / sqrt (2.0), worst = 0.0;
    for (gsize i = 0; i < ny; i++)
      for (int c = 0; c < 2; c++) {
        double want = (i < na ? g * xa[i] : 0.0) + (i < nb ? xb[2 * i + c]
            : 0.0);
        worst = MAX (worst, fabs (y[2 * i + c] - want));
      }
    check (worst < 1e-6, "mix: the sum off by %g", worst);
  }
  g_free (xa);
  g_free (xb);
  g_free (y);
  run_clear (&r);
  Run bad = gm ("mix", a, b, "-o", out, "--gain", "nothere=-6", "-q", NULL);
  check (bad.rc == 2 && strstr (bad.err, "nothere"), "mix: an unknown "
      "stem is a usage error naming it (rc %d: %s)", bad.rc, bad.err);
  run_clear (&bad);
  /* A send to the shared reverb: its tail goes on after the stems end. */
  char *wet = path ("mix-reverb.wav");
  Run rv = gm ("mix", a, b, "-o", wet, "--reverb-send", "mix-a=-6",
      "--json", "-q", NULL);
  JsonNode *rd = rv.rc == 0 ? json_parse (rv.out) : NULL;
  check (rd && jnum (rd, "mix.duration_s") > 1.6
      && jnum (jidx (jget (rd, "stems"), 0), "reverb_send_db") == -6.0,
      "mix --reverb-send: the reverb's tail after the 1.5 s stems (%.2f s; "
      "rc %d: %s)", rd ? jnum (rd, "mix.duration_s") : NAN, rv.rc, rv.err);
  if (rd)
    json_free (rd);
  run_clear (&rv);
  g_free (wet);
  char *missing = path ("mix-missing.wav");
  Run gone = gm ("mix", a, missing, "-o", out, "-q", NULL);
  check (gone.rc == 1 && strstr (gone.err, "mix-missing.wav"), "mix: a "
      "missing stem names it (rc %d: %s)", gone.rc, gone.err);
  run_clear (&gone);
  g_free (missing);
  g_free (out);
}

/* A project file: the stem's gain automated from 0 to -20 dB and its pan
 * from hard left to hard right; the output follows (left only at the
 * start, right only at the end, 20 dB down), without a step above the
 * sine's own; --master takes the mix to the target. */
static void
test_mix_project (void)
{
  char *a = gst_wav ("mix-tone.wav", "wave=sine freq=440 volume=0.5",
      "format=F32LE,channels=1", 2.0, 48000);
  char *proj = path ("mix.json");
  char *out = path ("mix-project.wav");
  char *text = g_strdup_printf ("{\"stems\": [{\"file\": \"mix-tone.wav\", "
      "\"automation\": {\"gain\": [[0, 0], [1.2, 0], [1.7, -20]], "
      "\"pan\": [[0, -100], [0.4, -100], [1.0, 100]]}}], \"output\": "
      "\"%s\"}", out);
  g_file_set_contents (proj, text, -1, NULL);
  Run r = gm ("mix", "--project", proj, "-q", NULL);
  check (r.rc == 0, "mix --project: exit %d: %s", r.rc, r.err);
  gsize ny;
  int cy = 2;
  float *y = read_f32 (out, &ny, &cy);
  check (y && ny == 96000, "mix --project: %zu frames", ny);
  if (y && ny == 96000) {
    double l0 = 0, r0 = 0, l1 = 0, r1 = 0, step = 0;
    for (gsize i = 4800; i < 14400; i++) {
      l0 = MAX (l0, fabs (y[2 * i]));
      r0 = MAX (r0, fabs (y[2 * i + 1]));
    }
    for (gsize i = 86400; i < 96000; i++) {
      l1 = MAX (l1, fabs (y[2 * i]));
      r1 = MAX (r1, fabs (y[2 * i + 1]));
    }
    for (gsize i = 1; i < ny; i++)
      for (int c = 0; c < 2; c++)
        step = MAX (step, fabs (y[2 * i + c] - y[2 * (i - 1) + c]));
    double sine_step = 2 * 0.5 * sin (G_PI * 440 / 48000);
    check (fabs (l0 - 0.5) < 0.01 && r0 < 1e-6, "mix --project: start "
        "left %.4f right %.2g", l0, r0);
    check (l1 < 1e-6 && fabs (20 * log10 (r1 / 0.5) + 20) < 0.1,
        "mix --project: end left %.2g, right %.2f dB", l1,
        20 * log10 (r1 / 0.5));
    check (step <= 1.05 * sine_step, "mix --project: largest step %.3f of "
        "the sine's", step / sine_step);
  }
  g_free (y);
  run_clear (&r);
  char *mastered = path ("mix-mastered.wav");
  Run m = gm ("mix", "--project", proj, "-o", mastered, "--master",
      "streaming", "--json", "-q", NULL);
  JsonNode *doc = m.rc == 0 ? json_parse (m.out) : NULL;
  check (m.rc == 0 && doc && fabs (jnum (doc, "master.after.integrated_lufs")
          + 14.0) <= 0.1 && jnum (doc, "master.after.true_peak_dbtp") <= -1.0,
      "mix --master streaming: %.2f LUFS, %.2f dBTP (rc %d: %s)",
      doc ? jnum (doc, "master.after.integrated_lufs") : NAN,
      doc ? jnum (doc, "master.after.true_peak_dbtp") : NAN, m.rc, m.err);
  if (doc)
    json_free (doc);
  run_clear (&m);
  g_free (mastered);
  g_free (text);
  g_free (proj);
  g_free (out);
  g_free (a);
}

/* A catalogue as a manifest: plan writes one entry per file (the master
 * options with it), run-manifest masters one entry (by --index or Slurm's
 * SLURM_ARRAY_TASK_ID), skips it when run again with its output intact,
 * masters it again when the output changed; report names every file, the
 * failed one and why, the one never run, and writes JSON and CSV. */
static void
test_catalogue (void)
{
  char *dir = path ("catalogue"), *manifest = path ("catalogue.jsonl");
  Run plan = gm ("plan", tone_23 (), bad_input (), short_2s (), "--target",
      "ebu-r128", "-o", dir, "--manifest", manifest, NULL);
  gchar *text = NULL;
  g_file_get_contents (manifest, &text, NULL, NULL);
  gchar **lines = g_strsplit (text ? text : "", "\n", -1);
  check (plan.rc == 0 && g_strv_length (lines) == 4 && !*lines[3]
      && strstr (lines[0], "\"ebu-r128\"") && strstr (lines[1], "bad.wav"),
      "plan: three entries with the target (rc %d)", plan.rc);
  g_strfreev (lines);
  g_free (text);
  run_clear (&plan);

  Run r0 = gm ("run-manifest", manifest, "--index", "0", NULL);
  check (r0.rc == 0 && strstr (r0.out, ": ok"), "run-manifest 0: ok (rc %d: "
      "%s%s)", r0.rc, r0.out, r0.err);
  run_clear (&r0);
  g_setenv ("SLURM_ARRAY_TASK_ID", "1", TRUE);
  Run r1 = gm ("run-manifest", manifest, NULL);
  g_unsetenv ("SLURM_ARRAY_TASK_ID");
  check (r1.rc == 1, "run-manifest, Slurm's index 1 (undecodable): exit "
      "%d", r1.rc);
  run_clear (&r1);
  Run again = gm ("run-manifest", manifest, "--index", "0", NULL);
  check (again.rc == 0 && strstr (again.out, "done already"),
      "run-manifest 0 again: skipped (%s)", again.out);
  run_clear (&again);
  char *out0 = g_build_filename (dir, "tone-23.wav", NULL);
  g_file_set_contents (out0, "truncated", -1, NULL);
  Run redo = gm ("run-manifest", manifest, "--index", "0", NULL);
  GStatBuf st;
  check (redo.rc == 0 && !strstr (redo.out, "done already")
      && g_stat (out0, &st) == 0 && st.st_size > 100000,
      "run-manifest 0 after the output changed: mastered again (%s)",
      redo.out);
  run_clear (&redo);

  Run rep = gm ("report", dir, "--manifest", manifest, NULL);
  check (rep.rc == 1 && strstr (rep.out, "tone-23.wav") && strstr (rep.out,
          "bad.wav") && strstr (rep.out, "error") && strstr (rep.out,
          "missing") && strstr (rep.out, "3 files: 1 done, 1 failed, 1 "
          "missing"), "report: every file, the failed and the missing one "
      "(rc %d):\n%s", rep.rc, rep.out);
  run_clear (&rep);
  char *csv = g_build_filename (dir, "gst-master-report.csv", NULL);
  char *json = g_build_filename (dir, "gst-master-report.json", NULL);
  check (exists (csv) && exists (json), "report: CSV and JSON written");
  g_free (csv);
  g_free (json);
  g_free (out0);
  g_free (dir);
  g_free (manifest);
}

/* A 16-bit WAV of 10 s at 48 kHz, stereo: a 440 Hz tone at -20 dBFS,
 * white noise at -60 dBFS RMS, 50 Hz hum with 4 harmonics at -45 dBFS
 * RMS (the fundamental), and 25 clicks (a few samples of +-0.5). */
static char *
damaged_wav (void)
{
  static char *f;
  if (f)
    return f;
  const int rate = 48000, n = 10 * rate;
  float *x = g_new (float, 2 * n);
  guint32 seed = 1;
  for (int i = 0; i < n; i++) {
    double t = (double) i / rate, hum = 0.0;
    for (int k = 1; k <= 5; k++)
      hum += pow (10.0, (-45.0 - 3.0 * (k - 1)) / 20.0) * sqrt (2.0)
          * sin (2 * G_PI * 50.0 * k * t + k);
    for (int c = 0; c < 2; c++) {
      seed = seed * 1664525u + 1013904223u;
      double u1 = (seed >> 8) / 16777216.0 + 1e-9;
      seed = seed * 1664525u + 1013904223u;
      double u2 = (seed >> 8) / 16777216.0;
      double noise = 1e-3 * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
      x[2 * i + c] = (float) (0.1 * sqrt (2.0) * sin (2 * G_PI * 440 * t)
          + noise + hum);
    }
  }
  for (int k = 0; k < 25; k++) {
    int at = rate / 4 + k * (n - rate / 2) / 25;
    for (int j = 0; j < 3; j++)
      for (int c = 0; c < 2; c++)
        x[2 * (at + j) + c] += (k & 1 ? -0.5f : 0.5f) * (1.0f - 0.3f * j);
  }
  char *raw = path ("damaged.f32");
  f = path ("damaged.wav");
  g_file_set_contents (raw, (const gchar *) x, 2 * n * sizeof (float), NULL);
  char *desc = g_strdup_printf ("filesrc location=\"%s\" ! rawaudioparse "
      "format=pcm pcm-format=f32le sample-rate=%d num-channels=2 ! "
      "audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink "
      "location=\"%s\"", raw, rate, f);
  if (!launch (desc)) {
    printf ("FAIL  generate damaged.wav\n%d checks, %d failed\n",
        n_checks + 1, n_failed + 1);
    exit (1);
  }
  g_free (desc);
  g_free (raw);
  g_free (x);
  return f;
}

/* analyze reports what the clean-up elements find: the noise floor, the
 * hum and its mains, the clicks; master --clean removes them (analyze of
 * the written file: no hum, no clicks, the floor lower) and still lands on
 * the target; an unknown stage is a usage error. */
static void
test_clean (void)
{
  JsonNode *doc, *f = analyze (damaged_wav (), &doc);
  check (f && fabs (jnum (f, "noise_floor_dbfs") + 60.0) < 3.0,
      "analyze: noise floor %.1f dBFS (-60 in the file)",
      f ? jnum (f, "noise_floor_dbfs") : NAN);
  double hum_power = 0.0;
  for (int k = 0; k < 5; k++)
    hum_power += pow (10.0, (-45.0 - 3.0 * k) / 10.0);
  check (f && jnum (f, "hum_hz") == 50.0
      && fabs (jnum (f, "hum_dbfs") - 10 * log10 (hum_power)) < 1.0,
      "analyze: hum %.1f dBFS at %g Hz (%.1f dBFS at 50 in the file)",
      f ? jnum (f, "hum_dbfs") : NAN, f ? jnum (f, "hum_hz") : NAN,
      10 * log10 (hum_power));
  check (f && fabs (jnum (f, "clicks") - 25.0) <= 3.0,
      "analyze: %g clicks (25 in the file)", f ? jnum (f, "clicks") : NAN);
  if (doc)
    json_free (doc);
  char *out = path ("cleaned.wav");
  Run r = gm ("master", damaged_wav (), "-o", out, "--clean",
      "dehum,declick,denoise", "--json", "-q", NULL);
  JsonNode *rd = r.rc == 0 ? json_parse (r.out) : NULL, *rj = rd ? jidx (rd,
      0) : NULL;
  check (rj && fabs (jnum (rj, "after.integrated_lufs") - jnum (rj,
              "target_lufs")) <= 0.1, "master --clean: on target (%.2f "
      "LUFS; rc %d: %s)", rj ? jnum (rj, "after.integrated_lufs") : NAN, r.rc,
      r.err);
  if (rd)
    json_free (rd);
  run_clear (&r);
  JsonNode *doc2, *g = analyze (out, &doc2);
  check (g && (jis_null (g, "hum_hz") || jnum (g, "hum_dbfs") < -70.0)
      && jnum (g, "clicks") <= 2.0, "master --clean: hum %s %.1f dBFS, %g "
      "clicks left (of 25)", g && jis_null (g, "hum_hz") ? "none," : "",
      g ? jnum (g, "hum_dbfs") : NAN, g ? jnum (g, "clicks") : NAN);
  if (doc2)
    json_free (doc2);
  Run bad = gm ("master", damaged_wav (), "-o", out, "--clean", "dehiss",
      "-q", NULL);
  check (bad.rc == 2 && strstr (bad.err, "dehiss"), "--clean dehiss: "
      "usage error naming it (rc %d)", bad.rc);
  run_clear (&bad);
  g_free (out);
}

/* --max-gain: a very quiet file is raised by at most that much, said so */
static void
test_max_gain (void)
{
  char *quiet = gst_wav ("quiet.wav", "wave=pink-noise volume=0.003",
      "channels=2", 5, 48000);
  char *p1 = path ("quiet-out.wav");
  Run r = gm ("master", quiet, "-o", p1, "--max-gain", "10", "--json", "-q",
      NULL);
  JsonNode *doc = json_parse (r.out), *rep = jidx (doc, 0);

  check (r.rc == 0 && fabs (jnum (rep, "gain_db") - 10) < 1e-6
      && g_strcmp0 (jstr (rep, "status"), "max-gain") == 0
      && jany_contains (rep, "messages", "--max-gain"),
      "--max-gain: gain held at 10 dB and said so");
  json_free (doc);
  run_clear (&r);
  g_free (p1);
  g_free (quiet);
}

/* The table's header line names the bound that held a job, as --json
 * does: "IN -> OUT  [max-gain]", not "[warning]". */
static void
test_table_status (void)
{
  char *quiet = gst_wav ("quiet-table.wav", "wave=pink-noise volume=0.003",
      "channels=2", 5, 48000);
  char *out = path ("quiet-table-out.wav");
  char *header = g_strdup_printf ("%s -> %s  [max-gain]\n", quiet, out);
  Run r = gm ("master", quiet, "-o", out, "--max-gain", "10", "-q", NULL);
  char *first = g_strndup (r.out ? r.out : "", r.out ? strcspn (r.out, "\n")
      : 0);

  check (r.rc == 0 && r.out && g_str_has_prefix (r.out, header),
      "table header names the bound that held: %s", first);
  g_free (first);
  run_clear (&r);
  g_free (header);
  g_free (out);
  g_free (quiet);
}

static void
test_missing_input (void)
{
  char *p1 = path ("missing.wav"), *p2 = path ("x.wav");
  Run r = gm ("master", p1, "-o", p2, "-q", NULL);

  check (r.rc == 1 && strstr (r.err, "missing.wav") && !exists (p2),
      "missing input: named, exit 1, no output");
  run_clear (&r);
  g_free (p1);
  g_free (p2);
}

static void
test_undecodable_input (void)
{
  char *p2 = path ("x.wav");
  Run r = gm ("master", bad_input (), "-o", p2, "-q", NULL);

  check (r.rc == 1 && strstr (r.err, "bad.wav") && strstr (r.err, "decode")
      && !exists (p2), "undecodable input: named, exit 1, no output");
  run_clear (&r);
  g_free (p2);
}

static void
test_silent_input (void)
{
  char *silent = gst_wav ("silent.wav", "wave=silence", "channels=2", 5,
      48000);
  char *p1 = path ("silent-out.wav");
  Run r = gm ("master", silent, "-o", p1, "--json", "-q", NULL);
  JsonNode *doc = json_parse (r.out), *rep = jidx (doc, 0);

  check (r.rc == 0 && g_strcmp0 (jstr (rep, "status"), "warning") == 0
      && jnum (rep, "gain_db") == 0
      && jany_contains (rep, "messages", "silent") && exists (p1),
      "silent input: said so, gain left at 0, written");
  json_free (doc);
  run_clear (&r);
  g_free (p1);
  g_free (silent);
}

static void
test_input_under_400ms (void)
{
  char *shortf = gst_wav ("short.wav", "wave=sine volume=0.3", "channels=2",
      0.3, 48000);
  char *p1 = path ("short-out.wav");
  Run r = gm ("master", shortf, "-o", p1, "-q", NULL);

  check (r.rc == 1 && strstr (r.err, "short.wav") && strstr (r.err, "400 ms")
      && !exists (p1), "input under 400 ms: refused, named");
  run_clear (&r);
  g_free (p1);
  g_free (shortf);
}

static void
test_input_of_2s (void)
{
  char *p1 = path ("short2-out.wav");
  Run r = gm ("master", short_2s (), "-o", p1, "--json", "-q", NULL);
  JsonNode *doc = json_parse (r.out), *rep = jidx (doc, 0);
  gboolean ok = r.rc == 0 && g_strcmp0 (jstr (rep, "status"), "warning") == 0
      && jany_contains (rep, "messages", "3 s");

  /* Measured only when written, as the Python test did. */
  check (ok && fabs (analyze_lufs (p1) + 14) <= 0.1,
      "input of 2 s: mastered, warned about 3 s");
  json_free (doc);
  run_clear (&r);
  g_free (p1);
}

static void
test_unknown_target (void)
{
  char *p2 = path ("x.wav");
  Run r = gm ("master", demo_mix (), "-o", p2, "--target", "nonsense", NULL);

  check (r.rc == 2 && strstr (r.err, "nonsense"),
      "unknown target: exit 2, named");
  run_clear (&r);
  g_free (p2);
}

static void
test_unwritable_output (void)
{
  char *p1 = path ("plainfile"), *p3;
  Run r;

  g_file_set_contents (p1, "", 0, NULL);
  p3 = g_build_filename (p1, "x.wav", NULL);
  r = gm ("master", tone_23 (), "-o", p3, "-q", NULL);
  check (r.rc == 1 && strstr (r.err, "x.wav"),
      "unwritable output: exit 1, named");
  run_clear (&r);
  g_free (p1);
  g_free (p3);
}

static void
test_input_as_output (void)
{
  char *tone = tone_23 (), *before, *p1;
  gsize len;
  Run r;

  if (!g_file_get_contents (tone, &before, &len, NULL))
    before = NULL;
  r = gm ("master", tone, "-o", tone, "-q", NULL);
  check (before && r.rc == 1 && strstr (r.err, "overwrite")
      && same_contents (tone, before, len),
      "input as output: refused, input untouched");
  run_clear (&r);
  p1 = path ("tone-link.wav");
  check (symlink (tone, p1) == 0, "symlink to the input made");
  r = gm ("master", tone, "-o", p1, "-q", NULL);
  check (before && r.rc == 1 && same_contents (tone, before, len),
      "input through a symlink: refused");
  run_clear (&r);
  g_free (p1);
  g_free (before);
}

/* Several inputs, one bad. */
static void
test_several_inputs (void)
{
  char *tone = tone_23 (), *bad = bad_input (), *short2 = short_2s ();
  char *p1 = path ("many");
  Run r = gm ("master", tone, bad, short2, "-o", p1, "-j", "2", "--json", "-q",
      NULL);
  JsonNode *doc = json_parse (r.out);
  const char *st_bad = NULL, *st_tone = NULL;

  for (guint i = 0; i < jlen (doc); i++) {
    JsonNode *o = jidx (doc, i);
    const char *in = jstr (o, "input");
    char *base = in ? g_path_get_basename (in) : NULL;
    if (!g_strcmp0 (base, "bad.wav"))
      st_bad = jstr (o, "status");
    else if (!g_strcmp0 (base, "tone-23.wav"))
      st_tone = jstr (o, "status");
    g_free (base);
  }
  check (r.rc == 1 && jlen (doc) == 3 && !g_strcmp0 (st_bad, "error")
      && !g_strcmp0 (st_tone, "ok")
      && listdir_is (p1, "short2.wav tone-23.wav"),
      "several inputs, one bad: reported, the others written, exit 1");
  json_free (doc);
  run_clear (&r);
  {
    char *a = g_build_filename (p1, "tone-23.wav", NULL);
    char *b = g_build_filename (p1, "short2.wav", NULL);
    double la = analyze_lufs (a), lb = analyze_lufs (b);
    check (fabs (la + 14) <= 0.1 && fabs (lb + 14) <= 0.1,
        "several inputs: each on target (%.2f, %.2f LUFS)", la, lb);
    g_free (a);
    g_free (b);
  }
  g_free (p1);
  p1 = path ("many2");
  r = gm ("master", tone, short2, "-o", p1, "-q", "--format", "flac", NULL);
  check (r.rc == 0 && listdir_is (p1, "short2.flac tone-23.flac"),
      "several inputs: names kept, format's extension, exit 0");
  run_clear (&r);
  g_free (p1);
}

/* A PNG decoded by GStreamer (pngdec): RGB, 3 bytes a pixel, rows of
 * *@stride bytes (GStreamer's default, a multiple of 4); NULL when it
 * cannot be read. Free with g_free. */
static guint8 *
png_rgb (const char *f, int *w, int *h, int *stride)
{
  char *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! video/x-raw,format=RGB ! fakesink name=sink", f);
  GstElement *pipe = gst_parse_launch (desc, NULL), *sink;
  GstSample *sample = NULL;
  guint8 *rgb = NULL;

  g_free (desc);
  if (!pipe)
    return NULL;
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (sink, "enable-last-sample", TRUE, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  {
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS)
      g_object_get (sink, "last-sample", &sample, NULL);
    if (m)
      gst_message_unref (m);
    gst_object_unref (bus);
  }
  if (sample) {
    GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (sample),
        0);
    GstBuffer *buf = gst_sample_get_buffer (sample);
    gsize size = gst_buffer_get_size (buf);
    if (gst_structure_get_int (st, "width", w)
        && gst_structure_get_int (st, "height", h)) {
      *stride = (*w * 3 + 3) & ~3;
      if (size >= (gsize) * stride * *h) {
        rgb = g_malloc (size);
        gst_buffer_extract (buf, 0, rgb, size);
      }
    }
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return rgb;
}

typedef struct
{
  guint8 *rgb;
  int w, h, stride;
} Picture;

static const guint8 *
pixel (const Picture * p, int x, int y)
{
  return p->rgb + (gsize) y * p->stride + 3 * x;
}

/* How many pixels of row @y are exactly @rgb (0xRRGGBB). */
static int
row_count (const Picture * p, int y, unsigned rgb)
{
  int n = 0;
  for (int x = 0; x < p->w; x++) {
    const guint8 *c = pixel (p, x, y);
    n += c[0] == (rgb >> 16) && c[1] == (rgb >> 8 & 0xff)
        && c[2] == (rgb & 0xff);
  }
  return n;
}

static gboolean
is_black (const Picture * p, int x, int y)
{
  const guint8 *c = pixel (p, x, y);
  return !c[0] && !c[1] && !c[2];
}

/* The first panel's frame: its top row (the first where more than half
 * the picture's width is black) and, down its left edge, its bottom row
 * (lines across the panel may cover the edge for a few pixels). FALSE
 * when there is none. */
static gboolean
first_panel (const Picture * p, int *top, int *bottom)
{
  for (int y = 0; y < p->h; y++) {
    if (row_count (p, y, 0x000000) <= p->w / 2)
      continue;
    for (int x = 0; x < p->w; x++) {
      if (!is_black (p, x, y))
        continue;
      *top = *bottom = y;
      for (int k = y + 1; k < p->h && k - *bottom <= 4; k++)
        if (is_black (p, x, k))
          *bottom = k;
      return *bottom > *top;
    }
  }
  return FALSE;
}

/* A pixel of a line of colour @rgb drawn with anti-aliasing over white or
 * the light grid: a mix of it and a grey, so its colour differences have
 * the line's signs, at least a third as large; a grey line's pixels are
 * grey. */
static gboolean
tinted (const guint8 * c, unsigned rgb)
{
  int lr = rgb >> 16, lg = rgb >> 8 & 0xff, lb = rgb & 0xff;
  int d1 = lb - lr, d2 = lb - lg, e1 = c[2] - c[0], e2 = c[2] - c[1];

  /* Grey: between the line's and the grid's (0xe0), never white. */
  if (d1 == 0 && d2 == 0)
    return e1 == 0 && e2 == 0 && c[0] >= lr && c[0] < 0xd8;
  return (d1 == 0 || (e1 * d1 > 0 && 3 * abs (e1) >= abs (d1)))
      && (d2 == 0 || (e2 * d2 > 0 && 3 * abs (e2) >= abs (d2)));
}

/* The axis range of the report's loudness panel on its own: the data
 * (a -46 LUFS input, a quiet intro), the target, a minimum span, whole
 * steps; and --report's pictures: the -46 LUFS input's short-term trace
 * inside the loudness panel, not pressed onto its bottom edge, and no
 * pixel of a true-peak trace above the ceiling line when the measured
 * true peak is under it (the demo mix, limited onto the ceiling). */
static void
test_report_axes (void)
{
  char *quiet = gst_wav ("quiet46.wav", "wave=pink-noise volume=0.02",
      "channels=2", 8, 48000);
  double st_46[] = { -46.9, -46.7, -46.8 }, intro[] = { -61.0, -35.0, -9.5 };
  double flat[] = { -14.0, -14.0 }, gated[] = { -90.0, -INFINITY, -20.0 };
  double target = -14.0, lo, hi;
  JsonNode *doc, *fig = analyze (quiet, &doc);
  double st_max = jnum (fig, "short_term_max_lufs");

  json_free (doc);
  check (st_max < -45.0, "report axes: the quiet input reads %.2f LUFS "
      "short-term at most", st_max);
  st_46[1] = st_max;
  gm_report_axis_range (st_46, 3, &target, 1, 10.0, 30.0,
      GM_REPORT_AXIS_FLOOR, &lo, &hi);
  check (lo <= -46.9 && hi >= -14.0 && fmod (lo, 10.0) == 0
      && fmod (hi, 10.0) == 0 && hi - lo <= 50.0,
      "report axes: a -46 LUFS input and its -14 target on %g..%g LUFS", lo,
      hi);
  gm_report_axis_range (intro, 3, &target, 1, 10.0, 30.0,
      GM_REPORT_AXIS_FLOOR, &lo, &hi);
  check (lo <= -61.0 && hi >= -9.5 && hi - lo <= 70.0,
      "report axes: a quiet intro at -61 LUFS on %g..%g", lo, hi);
  gm_report_axis_range (flat, 2, &target, 1, 10.0, 30.0,
      GM_REPORT_AXIS_FLOOR, &lo, &hi);
  check (hi - lo >= 30.0 && lo <= -14.0 && hi >= -14.0,
      "report axes: a flat -14 LUFS at least 30 LU wide (%g..%g)", lo, hi);
  gm_report_axis_range (gated, 3, NULL, 0, 10.0, 30.0,
      GM_REPORT_AXIS_FLOOR, &lo, &hi);
  check (lo >= GM_REPORT_AXIS_FLOOR && lo <= -20.0 && hi >= -20.0,
      "report axes: what is under the -70 LUFS gate does not stretch it "
      "(%g..%g)", lo, hi);

  /* The -46 LUFS input's picture: its trace inside the loudness panel. */
  {
    char *out = path ("quiet46-out.wav"), *png = path ("quiet46.png");
    Run r = gm ("master", quiet, "-o", out, "--report", png, "-q", NULL);
    Picture p = { NULL, 0, 0, 0 };
    int top = 0, bottom = 0, n_grey = 0;
    gboolean framed;

    p.rgb = r.rc == 0 ? png_rgb (png, &p.w, &p.h, &p.stride) : NULL;
    framed = p.rgb && first_panel (&p, &top, &bottom);
    /* Above the bottom frame by more than the line's width: not clamped
     * onto the axis's end. */
    for (int y = top + 1; framed && y < bottom - 3; y++)
      for (int x = 0; x < p.w; x++)
        n_grey += tinted (pixel (&p, x, y), GM_REPORT_BEFORE_RGB);
    check (framed && n_grey > p.w / 2,
        "--report, -46 LUFS input: its short-term trace inside the "
        "loudness panel (%d pixels off its bottom edge)", n_grey);
    g_free (p.rgb);
    run_clear (&r);
    g_free (out);
    g_free (png);
  }

  /* The demo mix limited onto the ceiling: no trace above it. */
  {
    char *out = path ("ceiling-out.wav"), *png = path ("ceiling.png");
    Run r = gm ("master", demo_mix (), "-o", out, "--report", png, "--json",
        "-q", NULL);
    JsonNode *jd = json_parse (r.out), *rep = jidx (jd, 0);
    Picture p = { NULL, 0, 0, 0 };
    int yc = -1, best = 0, ytop = -1, above = 0, near = 0;

    p.rgb = r.rc == 0 ? png_rgb (png, &p.w, &p.h, &p.stride) : NULL;
    for (int y = 0; p.rgb && y < p.h; y++) {
      int n = row_count (&p, y, GM_REPORT_CEILING_RGB);
      if (n > best) {
        best = n;
        yc = y;
      }
    }
    for (int y = yc - 1; yc > 0 && y >= 0 && ytop < 0; y--)
      if (row_count (&p, y, 0x000000) > p.w / 2)
        ytop = y;
    for (int y = ytop + 1; ytop >= 0 && y < yc; y++)
      for (int x = 0; x < p.w; x++)
        above += tinted (pixel (&p, x, y), GM_REPORT_TRUE_PEAK_RGB);
    for (int y = yc; ytop >= 0 && y < MIN (p.h, yc + 4); y++)
      for (int x = 0; x < p.w; x++)
        near += tinted (pixel (&p, x, y), GM_REPORT_TRUE_PEAK_RGB);
    check (jnum (rep, "after.true_peak_dbtp") <= jnum (rep, "ceiling_dbtp")
        && best > p.w / 3 && ytop >= 0 && near > 0 && above == 0,
        "--report: true peak %.2f dBTP under the ceiling %.1f, its trace "
        "reaches the ceiling line (%d pixels within 4 rows) and never "
        "above it (%d pixels)", jnum (rep, "after.true_peak_dbtp"),
        jnum (rep, "ceiling_dbtp"), near, above);
    g_free (p.rgb);
    json_free (jd);
    run_clear (&r);
    g_free (out);
    g_free (png);
  }
  g_free (quiet);
}

/* A silent input has no loudness range, like its other loudness figures:
 * "-" in the tables, null in the JSON, before and after. */
static void
test_silent_lra (void)
{
  GRegex *cell = g_regex_new ("silent-lra\\.wav +- +- ", 0, 0, NULL);
  GRegex *row = g_regex_new ("loudness range \\(LU\\) +- +-\n", 0, 0, NULL);
  GRegex *tail = g_regex_new ("silent-lra\\.wav .* - +- +- +0\n", 0, 0,
      NULL);
  char *p1 = path ("silent-lra-out.wav"), *silent = gst_wav ("silent-lra.wav",
      "wave=silence", "channels=2", 5, 48000);
  Run r = gm ("analyze", silent, NULL);
  JsonNode *doc;

  check (r.rc == 0 && g_regex_match (cell, r.out, 0, NULL),
      "silent input: analyze shows '-' for its loudness and its range");
  /* The row ends: mono loss, noise floor, hum '-', clicks 0. */
  check (r.rc == 0 && g_regex_match (tail, r.out, 0, NULL),
      "silent input: analyze shows '-' for its noise floor");
  run_clear (&r);
  /* No noise floor either: null, not -3000 dBFS (nor a cut-off in
   * gst-master: the core says -INFINITY). */
  JsonNode *fig = analyze (silent, &doc);
  check (fig && jis_null (fig, "noise_floor_dbfs"),
      "silent input: analyze --json noise_floor_dbfs null");
  json_free (doc);
  r = gm ("master", silent, "-o", p1, "-q", NULL);
  check (r.rc == 0 && g_regex_match (row, r.out, 0, NULL),
      "silent input: loudness range '-' before and after in the table");
  run_clear (&r);
  r = gm ("master", silent, "-o", p1, "--json", "-q", NULL);
  doc = json_parse (r.out);
  check (r.rc == 0 && jis_null (jidx (doc, 0), "before.loudness_range_lu")
      && jis_null (jidx (doc, 0), "after.loudness_range_lu"),
      "silent input: loudness range null before and after in --json");
  json_free (doc);
  run_clear (&r);
  g_regex_unref (row);
  g_regex_unref (tail);
  g_regex_unref (cell);
  g_free (p1);
  g_free (silent);
}

/* "[####....]  42%" on a terminal: the percentages in order. */
static GArray *
bar_percents (const char *seen)
{
  GArray *pc = g_array_new (FALSE, FALSE, sizeof (double));
  GRegex *re = g_regex_new ("\\] +([0-9]+)%", 0, 0, NULL);
  GMatchInfo *mi;

  g_regex_match (re, seen, 0, &mi);
  while (g_match_info_matches (mi)) {
    char *v = g_match_info_fetch (mi, 1);
    double d = g_ascii_strtod (v, NULL);
    g_array_append_val (pc, d);
    g_free (v);
    g_match_info_next (mi, NULL);
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  return pc;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* One update of --progress json. */
typedef struct
{
  double fraction, elapsed_s, left_s;   /* left_s NAN: none given */
  int passes;
  double cpu_s;                 /* gst-master's processor seconds when read */
} ProgressLine;

/* Processor seconds (user + system, every thread) process @pid has used so
 * far, from /proc; NAN when unreadable. */
static double
process_cpu_s (GPid pid)
{
  char file[64], buf[1024];
  unsigned long utime, stime;
  FILE *f;
  size_t got;
  const char *p;

  g_snprintf (file, sizeof file, "/proc/%d/stat", (int) pid);
  if (!(f = fopen (file, "r")))
    return NAN;
  got = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[got] = '\0';
  /* Fields 14 and 15, counted after the command name's closing ')'. */
  if (!(p = strrchr (buf, ')'))
      || sscanf (p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
          &utime, &stime) != 2)
    return NAN;
  return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

/* gst-master with @argv, its standard error read line by line: each line
 * and the processor seconds it had used when the line was read, into
 * @lines (NUL-separated text) and @cpu_s; *@total_cpu_s its processor
 * seconds at the end (from wait4). Standard output is discarded. */
static int
run_timed_lines (const char *const *argv, GPtrArray * lines, GArray * cpu_s,
    double *total_cpu_s)
{
  GError *err = NULL;
  GPid pid;
  int err_fd, status = 0;
  struct rusage ru;
  FILE *f;
  char *line = NULL;
  size_t cap = 0;

  *total_cpu_s = NAN;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &pid, NULL, NULL, &err_fd, &err)) {
    printf ("      cannot run %s: %s\n", argv[0], err->message);
    g_error_free (err);
    return -1;
  }
  f = fdopen (err_fd, "r");
  while (f && getline (&line, &cap, f) >= 0) {
    double c = process_cpu_s (pid);
    g_ptr_array_add (lines, g_strdup (line));
    g_array_append_val (cpu_s, c);
  }
  free (line);
  if (f)
    fclose (f);
  else
    close (err_fd);
  if (wait4 (pid, &status, 0, &ru) != pid)
    return -1;
  *total_cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
      + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  g_spawn_close_pid (pid);
  return wait_status_code (status);
}

/* The median, over the lines @keep accepts, of the time left they gave
 * over the time the rest took (to @end_s); NAN with none. The time left is
 * the work left at the wall-clock speed so far, so on a shared machine a
 * rest that ran at another share of the processors than the work before it
 * moves this ratio by that share's change alone (seen: 2.05 to 3.52 at a
 * load of 16, a good estimate). With @cpu (@cpu0_s, @total_cpu_s: the
 * processor seconds of the line read first and at the end) it is judged
 * in gst-master's own processor seconds instead: the estimate's ratio of
 * the work left to the work done, left_s / elapsed_s, against the
 * processor seconds the rest took over those spent so far. That is the
 * wall-clock ratio times the share before over the share after, so a
 * steady load leaves it as it was, and any load cancels out; an estimate
 * that weighs the work wrong is off by the same factor either way. */
static double
median_left_ratio (GArray * lines, double end_s,
    gboolean (*keep) (const ProgressLine * l, int max_passes), int max_passes,
    gboolean cpu, double cpu0_s, double total_cpu_s, guint * n)
{
  GArray *ratio = g_array_new (FALSE, FALSE, sizeof (double));
  double median = NAN;

  for (guint i = 0; i < lines->len; i++) {
    const ProgressLine *l = &g_array_index (lines, ProgressLine, i);
    double q = NAN;
    if (!isfinite (l->left_s) || !(end_s > l->elapsed_s)
        || !keep (l, max_passes))
      continue;
    if (!cpu)
      q = l->left_s / (end_s - l->elapsed_s);
    else if (l->elapsed_s > 0 && l->cpu_s > cpu0_s && total_cpu_s > l->cpu_s)
      q = (l->left_s / l->elapsed_s) * (l->cpu_s - cpu0_s)
          / (total_cpu_s - l->cpu_s);
    if (isfinite (q))
      g_array_append_val (ratio, q);
  }
  g_array_sort (ratio, cmp_double);
  if (ratio->len)
    median = g_array_index (ratio, double, ratio->len / 2);
  *n = ratio->len;
  g_array_free (ratio, TRUE);
  return median;
}

static gboolean
from_10_to_90_percent (const ProgressLine * l, int max_passes)
{
  (void) max_passes;
  return l->fraction >= 0.1 && l->fraction <= 0.9;
}

static gboolean
all_passes_known (const ProgressLine * l, int max_passes)
{
  return l->passes == max_passes && l->fraction < 1.0;
}

/* The progress of a file that needs a correction pass, as JSON lines
 * (--progress json) and as the bar on a terminal: it never goes back and
 * ends at 100 %; the passes announced grow past the first three. The time
 * left, over the time the rest took, in the median of the updates (one
 * alone is at the mercy of the other jobs of a 2-core machine, so the
 * first after 10 % is only printed), judged in gst-master's processor
 * seconds (median_left_ratio: what the load does to the wall-clock times
 * cancels out; the wall-clock ratio is printed): within a factor of 2 once
 * every pass is known (what the estimate weighs: the measured speed of
 * each kind of pass); within a factor of 4 from 10 to 90 % of the work,
 * where the correction pass, unknown at first, is 30 to 40 % of what is
 * left. */
static void
test_progress_monotonic (void)
{
  char *in = long_demo (), *out = path ("demo12-out.wav");
  const char *json_argv[] = { GM, "master", in, "-o", out, "--progress",
    "json", NULL
  };
  GPtrArray *text = g_ptr_array_new_with_free_func (g_free);
  GArray *cpu = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (ProgressLine));
  double last = -1.0, end_s = NAN, early, known, wall_early, wall_known;
  double total_cpu_s, cpu0_s = NAN;
  int max_passes = 0, n_back = 0, json_rc;
  guint n_early, n_known;
  gboolean all_valid = TRUE;

  json_rc = run_timed_lines (json_argv, text, cpu, &total_cpu_s);
  for (guint i = 0; i < text->len; i++) {
    const char *t = g_ptr_array_index (text, i);
    JsonNode *o;
    ProgressLine l;
    if (t[0] != '{')
      continue;
    if (!(o = json_parse (t))) {
      all_valid = FALSE;
      continue;
    }
    l.fraction = jnum (o, "progress");
    l.elapsed_s = jnum (o, "elapsed_s");
    l.left_s = jnum (o, "left_s");
    l.passes = (int) jnum (o, "passes");
    l.cpu_s = g_array_index (cpu, double, i);
    /* The first line is drawn as the work starts (elapsed 0): what was
     * spent before it (start-up) is no part of the work. */
    if (isnan (cpu0_s))
      cpu0_s = l.cpu_s;
    g_array_append_val (lines, l);
    n_back += !(l.fraction >= last);
    if (l.fraction < last)
      printf ("      back from %.4f to %.4f\n", last, l.fraction);
    last = l.fraction;
    end_s = l.elapsed_s;
    max_passes = MAX (max_passes, l.passes);
    json_free (o);
  }
  g_ptr_array_free (text, TRUE);
  g_array_free (cpu, TRUE);
  check (json_rc == 0 && all_valid && lines->len >= 3 && n_back == 0
      && last == 1.0, "--progress json: %u valid lines, the fraction never "
      "decreases (%d times it did), ends at 1 (%.4f)", lines->len, n_back,
      last);
  check (max_passes >= 4, "--progress json: a correction pass announced "
      "(%d passes)", max_passes);
  for (guint i = 0; i < lines->len; i++) {
    const ProgressLine *l = &g_array_index (lines, ProgressLine, i);
    if (l->fraction >= 0.1 && isfinite (l->left_s)) {
      printf ("      first time left after 10 %% of the work: %.2f s, the "
          "rest took %.2f s (%.2f of %.2f processor s)\n", l->left_s,
          end_s - l->elapsed_s, total_cpu_s - l->cpu_s, total_cpu_s - cpu0_s);
      break;
    }
  }
  wall_known = median_left_ratio (lines, end_s, all_passes_known, max_passes,
      FALSE, 0, 0, &n_known);
  wall_early = median_left_ratio (lines, end_s, from_10_to_90_percent,
      max_passes, FALSE, 0, 0, &n_early);
  printf ("      by wall-clock time alone: medians %.2f (every pass known) "
      "and %.2f (10 to 90 %%)\n", wall_known, wall_early);
  known = median_left_ratio (lines, end_s, all_passes_known, max_passes,
      TRUE, cpu0_s, total_cpu_s, &n_known);
  early = median_left_ratio (lines, end_s, from_10_to_90_percent, max_passes,
      TRUE, cpu0_s, total_cpu_s, &n_early);
  check (known >= 0.5 && known <= 2.0, "--progress json: time left once "
      "every pass is known, over the time the rest took (in processor "
      "seconds): median %.2f of %u", known, n_known);
  check (early >= 0.25 && early <= 4.0, "--progress json: time left from 10 "
      "to 90 %% of the work, over the time the rest took (in processor "
      "seconds): median %.2f of %u", early, n_early);
  g_array_free (lines, TRUE);
  g_unlink (out);

  {
    const char *argv[] = { GM, "master", in, "-o", out, NULL };
    int rc;
    GString *seen = run_on_terminal (argv, NULL, NULL, &rc);
    GArray *pc = bar_percents (seen->str);
    n_back = 0;
    for (guint i = 1; i < pc->len; i++)
      n_back += g_array_index (pc, double, i) < g_array_index (pc, double,
          i - 1);
    check (rc == 0 && pc->len >= 3 && n_back == 0
        && g_array_index (pc, double, pc->len - 1) == 100.0,
        "progress bar on a terminal: %u updates, never back (%d times), "
        "ends at 100 %%", pc->len, n_back);
    if (g_getenv ("GM_DEBUG")) {
      char *e = g_strescape (seen->str, NULL);
      printf ("      seen: %s\n", e);
      g_free (e);
    }
    g_array_free (pc, TRUE);
    g_string_free (seen, TRUE);
  }
  g_free (out);
}

/* The JSON reader itself: strict, so a broken report would fail. */
static void
test_json_reader (void)
{
  const char *invalid[] = { "", "[", "[1,]", "{\"a\": 1, \"a\": 2}",
    "[01]", "[1.]", "[\"\\x\"]", "[nul]", "[1] x", "{'a': 1}", "[-]",
    "[\"a\nb\"]", "[1e]", "[\"\\ud800\"]", NULL
  };
  gboolean all = TRUE;
  JsonNode *doc;

  for (int i = 0; invalid[i]; i++)
    if ((doc = json_parse (invalid[i]))) {
      printf ("      accepted invalid JSON: %s\n", invalid[i]);
      json_free (doc);
      all = FALSE;
    }
  doc = json_parse (" [{\"k\": {\"x\": -1.5e1, \"n\": null, \"s\": "
      "\"q\\\"\\u00e9\\ud83d\\ude00\", \"m\": [\"a\", true, false]}}]\n");
  check (all && doc && jnum (jidx (doc, 0), "k.x") == -15
      && jis_null (jidx (doc, 0), "k.n") && isnan (jnum (jidx (doc, 0), "k.n"))
      && !g_strcmp0 (jstr (jidx (doc, 0), "k.s"), "q\"\xc3\xa9\xf0\x9f\x98\x80")
      && jany_contains (jidx (doc, 0), "k.m", "a")
      && isnan (jnum (jidx (doc, 0), "k.missing")),
      "JSON reader: rejects invalid documents, reads valid ones");
  json_free (doc);
}

static void
test_interrupted_demo (void)
{
  test_interrupted (demo_mix ());
}

static void
test_progress_demo (void)
{
  test_progress (demo_mix (), tone_23 ());
}


/* ------------------------------------------------------------------ */
/* The bounds on every pass, the cd target, digital silence            */

/* Writes @x (@n_frames of stereo at @rate, changed) as a float WAV whose
 * integrated loudness, by gst-master analyze, is @lufs. */
static char *
signal_wav_at (const char *name, float *x, size_t n_frames, unsigned rate,
    double lufs)
{
  char *p = path (name);
  double measured;

  if (mst_signal_write_wav (p, x, n_frames, 2, rate) != 0)
    return p;
  measured = analyze_lufs (p);
  if (isfinite (measured)) {
    mst_signal_apply_gain_db (x, n_frames * 2, lufs - measured);
    mst_signal_write_wav (p, x, n_frames, 2, rate);
  }
  return p;
}

/* gst-master master IN -o OUT --json -q with up to four more arguments
 * (NULL-terminated); the one job's report (owned by *doc) or NULL. */
static JsonNode *
master_report (const char *in, const char *out, JsonNode ** doc,
    const char *a1, const char *a2, const char *a3, const char *a4)
{
  Run r = gm ("master", in, "-o", out, "--json", "-q", a1, a2, a3, a4, NULL);
  JsonNode *rep;

  *doc = json_parse (r.out);
  rep = r.rc == 0 && jlen (*doc) == 1 && exists (out) ? jidx (*doc, 0) : NULL;
  if (!rep) {
    char *e = oneline (r.err);
    check (FALSE, "master %s: exit %d, one report, file written: %s", in,
        r.rc, e);
    g_free (e);
  }
  run_clear (&r);
  return rep;
}

/* A job held short of its target: the status names the bound, and the LU
 * it missed by are the written file's. */
static gboolean
held_at (JsonNode * rep, const char *status, double target)
{
  double missed = jnum (rep, "target_missed_lu");
  return g_strcmp0 (jstr (rep, "status"), status) == 0 && missed > 0.1
      && fabs (missed - (target - jnum (rep, "after.integrated_lufs"))) < 0.01;
}

/* The bounds on every pass, on inputs whose first gain estimate is within
 * them and whose limiting takes away loudness the correction passes asked
 * for again, past the bounds (before: the figures in each case). */
typedef struct
{
  const char *what;
  const char *input;            /* "song" (mst_signal_music), "clicks" */
  double input_lufs;            /* NAN: as generated */
  double target_lufs;
  const char *args[3];
  const char *status;           /* the bound that holds */
  double max_gain_db, max_limiting_db;  /* the bounds in force */
} LimitCase;

static void
test_limits (void)
{
  const LimitCase cases[] = {
    /* The quiet intro is about 16 dB under the rest; 9.5 dB under the
     * target (+10.85 dB before). */
    {"quiet-intro song, --max-gain 10", "song", -14.0 - 9.5, -14.0,
        {"--max-gain", "10", NULL}, "max-gain", 10.0, 12.0},
    /* Very quiet: clicks, 40 a second. Every click is a peak the limiter
     * takes down, so gain adds little loudness once it limits (+207 dB,
     * 15.7 dB of limiting before). */
    {"-46 LUFS clicks to streaming", "clicks", -46.0, -14.0, {NULL},
        "max-limiting", 36.0, 12.0},
    {"-46 LUFS clicks, --max-limiting 40", "clicks", -46.0, -14.0,
        {"--max-limiting", "40", NULL}, "max-gain", 36.0, 40.0},
    /* A loud master of the song (sample peak -0.1 dBFS): the first
     * estimate predicts under 12 dB of limiting (30 dB before). */
    {"song to -8 LUFS", "song", NAN, -8.0, {"--loudness", "-8", NULL},
        "max-limiting", 36.0, 12.0},
  };
  const unsigned rate = 48000;
  const size_t n = 20 * rate;
  float *x = g_new (float, n * 2);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const LimitCase *c = &cases[i];
    char *name = g_strdup_printf ("limits%u.wav", i);
    char *out_name = g_strdup_printf ("limits%u-out.wav", i);
    char *in, *out = path (out_name), *bound = g_strdup_printf ("--%s",
        c->status);
    JsonNode *doc, *rep;

    if (!strcmp (c->input, "song"))
      mst_signal_music (x, n, 2, rate, 1);
    else
      mst_signal_impulses (x, n, 2, rate / 40, 1.0);
    if (isnan (c->input_lufs)) {
      in = path (name);
      mst_signal_write_wav (in, x, n, 2, rate);
    } else {
      in = signal_wav_at (name, x, n, rate, c->input_lufs);
    }
    rep = master_report (in, out, &doc, c->args[0], c->args[1], c->args[2],
        NULL);
    check (rep && jnum (rep, "gain_db") <= c->max_gain_db
        && jnum (rep, "limiter_max_reduction_db") <= c->max_limiting_db
        + LIMITING_TOLERANCE_DB && held_at (rep, c->status, c->target_lufs)
        && jany_contains (rep, "messages", bound),
        "limits: %s: gain %+.2f dB, limiting %.2f dB, status %s, %.2f LU "
        "short", c->what, jnum (rep, "gain_db"),
        jnum (rep, "limiter_max_reduction_db"), jstr (rep, "status"),
        jnum (rep, "target_missed_lu"));
    json_free (doc);
    g_free (bound);
    g_free (in);
    g_free (out);
    g_free (out_name);
    g_free (name);
  }
  g_free (x);
}

/* The output's format: --target cd gives 16-bit 44.1 kHz from a 48 kHz
 * input whatever the extension, --format and --rate still win; an unknown
 * extension is an error that writes nothing. */
static void
test_output_format (void)
{
  char *in = gst_wav ("cd-in.wav", "wave=pink-noise volume=0.2",
      "channels=2", 4, 48000);
  char *out = path ("cd.wav"), *out24 = path ("cd24.wav");
  char *unknown = path ("x.xyz");
  int bits = 0, rate = 0;
  gsize n_data, n_nonzero;
  Run r = gm ("master", in, "-o", out, "--target", "cd", "-q", NULL);
  gboolean ok = r.rc == 0 && wav_read (out, &bits, &rate, &n_data,
      &n_nonzero, NULL, NULL);

  check (ok && bits == 16 && rate == 44100, "cd target: -o cd.wav from "
      "48 kHz writes %d-bit %d Hz", bits, rate);
  run_clear (&r);
  r = gm ("master", in, "-o", out24, "--target", "cd", "--format", "wav24",
      "--rate", "48000", "-q", NULL);
  ok = r.rc == 0 && wav_read (out24, &bits, &rate, &n_data, &n_nonzero, NULL,
      NULL);
  check (ok && bits == 24 && rate == 48000, "cd target with --format wav24 "
      "--rate 48000: %d-bit %d Hz", bits, rate);
  run_clear (&r);
  r = gm ("master", in, "-o", unknown, "-q", NULL);
  check (r.rc != 0 && strstr (r.err, ".xyz") && strstr (r.err, ".wav")
      && !exists (unknown) && count_parts (TMP) == 0,
      "unknown output extension: exit %d, named with the known ones, no file",
      r.rc);
  run_clear (&r);
  g_free (in);
  g_free (out);
  g_free (out24);
  g_free (unknown);
}

/* The one quantization is the `dither` element, after the limiter, named
 * in the report: auto is f-weighted at 16 bits (the cd target: 16-bit
 * 44.1 kHz, resampled from 48 kHz and not from 44.1 kHz; from a
 * full-scale square wave, the written file's true peak, dither included, at most
 * -0.3 dBTP; gain 0 dB: no loudness normalisation), flat at 24 bits, none
 * for float; --dither picks another (a curve the rate has no design of is
 * flat, and the report says so); an unknown one is refused with the
 * choices. */
static void
test_dither_choices (void)
{
  char *in48 = gst_wav ("dither48.wav", "wave=square freq=997 volume=1.0",
      "channels=2", 4, 48000);
  char *in44 = gst_wav ("dither44.wav", "wave=square freq=997 volume=1.0",
      "channels=2", 4, 44100);
  char *in32 = gst_wav ("dither32.wav", "wave=pink-noise volume=0.3",
      "channels=2", 3, 32000);
  struct {
    const char *in;
    const char *a[4];
    const char *dither;         /* NULL: JSON null */
    int bits, rate;
  } cases[] = {
    {in48, {"--target", "cd", NULL}, "f-weighted", 16, 44100},
    {in44, {"--target", "cd", NULL}, "f-weighted", 16, 44100},
    {in48, {"--target", "cd", "--dither", "high"}, "high", 16, 44100},
    {in48, {"--target", "cd", "--dither", "off"}, "off", 16, 44100},
    {in48, {"--format", "wav24", NULL}, "flat", 24, 48000},
    {in48, {"--format", "wav16", "--dither", "lipshitz"}, "lipshitz", 16,
        48000},
    {in48, {"--format", "wav32f", NULL}, NULL, 32, 48000},
    {in32, {"--format", "wav16", "--dither", "high"}, "flat", 16, 32000},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *name = g_strdup_printf ("dither%u.wav", i);
    char *out = path (name);
    JsonNode *doc = NULL, *rep = master_report (cases[i].in, out, &doc,
        cases[i].a[0], cases[i].a[1], cases[i].a[2], cases[i].a[3]);
    const char *dither = rep ? jstr (rep, "dither") : NULL;
    gboolean named = cases[i].dither ? g_strcmp0 (dither, cases[i].dither)
        == 0 : rep && jis_null (rep, "dither");
    int bits = 0, rate = 0;
    gsize n_data, n_nonzero;
    gboolean read = wav_read (out, &bits, &rate, &n_data, &n_nonzero, NULL,
        NULL);
    check (rep && named && read && bits == cases[i].bits
        && rate == cases[i].rate, "dither case %u (%s %s %s): report says %s, "
        "%d-bit %d Hz written", i, cases[i].a[0], cases[i].a[1],
        cases[i].a[2] ? cases[i].a[2] : "", dither ? dither : "null", bits,
        rate);
    if (rep && !strcmp (cases[i].a[1], "cd")) {
      gboolean resampled = jany_contains (rep, "messages", "resampled");
      check (jnum (rep, "after.true_peak_dbtp") <= -0.3
          && jnum (rep, "gain_db") == 0.0
          && resampled == (cases[i].in == in48),
          "cd target: true peak %.3f dBTP after dither, gain %+.2f dB, "
          "resampled %d", jnum (rep, "after.true_peak_dbtp"),
          jnum (rep, "gain_db"), resampled);
    }
    json_free (doc);
    g_free (out);
    g_free (name);
  }
  {
    char *out = path ("dither-bad.wav");
    Run r = gm ("master", in48, "-o", out, "--dither", "sharp", "-q", NULL);
    check (r.rc == 2 && strstr (r.err, "sharp") && strstr (r.err,
            "f-weighted") && !exists (out), "--dither sharp: exit %d, "
        "refused with the choices", r.rc);
    run_clear (&r);
    g_free (out);
  }
  g_free (in48);
  g_free (in44);
  g_free (in32);
}

/* Digital silence in, digital silence out: no dither on a silent input. */
static void
test_silence_out (void)
{
  char *in = gst_wav ("zeros.wav", "wave=silence", "channels=2", 5, 48000);
  const char *formats[][2] = { {"wav16", NULL}, {"wav24", NULL},
    {"wav16", "cd"}
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    char *name = g_strdup_printf ("zeros-%u.wav", i);
    char *out = path (name);
    int bits = 0, rate = 0;
    gsize n_data = 0, n_nonzero = 1;
    Run r = formats[i][1] ? gm ("master", in, "-o", out, "--target",
        formats[i][1], "-q", NULL) : gm ("master", in, "-o", out, "--format",
        formats[i][0], "-q", NULL);
    gboolean ok = r.rc == 0 && wav_read (out, &bits, &rate, &n_data,
        &n_nonzero, NULL, NULL);
    check (ok && n_data > 0 && n_nonzero == 0, "silence in, silence out: %s%s%s "
        "(%d-bit %d Hz): %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
        " bytes not 0", formats[i][0], formats[i][1] ? " target " : "",
        formats[i][1] ? formats[i][1] : "", bits, rate, n_nonzero, n_data);
    run_clear (&r);
    g_free (out);
    g_free (name);
  }
  g_free (in);
}

/* ------------------------------------------------------------------ */
/* Killed runs leave nothing; damaged inputs are named (issue 13)      */

/* @seconds of stereo music at 48 kHz as a float WAV named @name. */
static char *
music_wav (const char *name, double seconds)
{
  const unsigned rate = 48000;
  size_t n = (size_t) (seconds * rate);
  float *x = g_new (float, n * 2);
  char *p = path (name);

  mst_signal_music (x, n, 2, rate, 13);
  check (mst_signal_write_wav (p, x, n, 2, rate) == 0, "%s written", name);
  g_free (x);
  return p;
}

/* 90 s of music, made once: a pass takes a second or two. */
static char *
long_wav (void)
{
  static char *p;
  if (!p)
    p = music_wav ("long.wav", 90.0);
  return p;
}

/* The size of the largest file process @pid has open in @out's folder
 * (an O_TMPFILE file included: "DIR/#inode (deleted)"), -1: none. */
static gint64
open_output_bytes (pid_t pid, const char *out)
{
  char *fddir = g_strdup_printf ("/proc/%d/fd", (int) pid);
  char *outdir = g_path_get_dirname (out);
  char *prefix = g_strconcat (outdir, "/", NULL);
  GDir *d = g_dir_open (fddir, 0, NULL);
  const char *n;
  gint64 bytes = -1;

  while (d && (n = g_dir_read_name (d))) {
    char *fd = g_build_filename (fddir, n, NULL);
    char *target = g_file_read_link (fd, NULL);
    GStatBuf st;
    if (target && g_str_has_prefix (target, prefix) && g_stat (fd, &st) == 0)
      bytes = MAX (bytes, (gint64) st.st_size);
    g_free (target);
    g_free (fd);
  }
  if (d)
    g_dir_close (d);
  g_free (prefix);
  g_free (outdir);
  g_free (fddir);
  return bytes;
}

/* Starts gst-master master @in -o @out and kills it (SIGKILL) once its
 * progress shows pass @pass or a later one running, a little later; its
 * exit code (-1: not seen in 120 s, killed anyway), and in
 * *@bytes_written the size of the output it had open then (-1: none). */
static int
master_killed (const char *in, const char *out, int pass,
    gint64 * bytes_written)
{
  const char *argv[] = { GM, "master", in, "-o", out, "--progress", "json",
    NULL
  };
  GString *seen = g_string_new (NULL);
  gboolean in_pass = FALSE;
  int fds[2], rc = -1;

  if (pipe (fds) == 0) {
    pid_t pid = spawn (argv, fds[1]);
    gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
    close (fds[1]);
    while (!in_pass && g_get_monotonic_time () < end) {
      char buf[4096];
      ssize_t n = read (fds[0], buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (seen, buf, n);
      /* A short pass may run between two progress lines: any later one
       * will do. */
      for (const char *p = seen->str; (p = strstr (p, "\"pass\": ")); p++)
        in_pass |= atoi (p + 8) >= pass;
    }
    /* Some of the pass done: the first bytes written (polled, not a fixed
     * wait: on a loaded machine 100 ms did not always see any). */
    gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    do {
      if (in_pass)
        g_usleep (20000);
      *bytes_written = open_output_bytes (pid, out);
    } while (in_pass && *bytes_written <= 0
        && g_get_monotonic_time () < until);
    kill (pid, SIGKILL);
    rc = wait_for (pid, 30);
    close (fds[0]);
  }
  g_string_free (seen, TRUE);
  return in_pass ? rc : -1;
}

/* gst-master master on a long input killed (SIGKILL: no handler runs) in
 * its writing pass: nothing at all in the output folder, under any name.
 * Then a normal run writes the output, and another replaces it in one
 * step (a hard link to the old one keeps the old contents). */
static void
test_killed_leaves_nothing (void)
{
  char *in = long_wav ();
  char *outdir = path ("killed");
  char *out = g_build_filename (outdir, "x.wav", NULL);
  char *keep = g_build_filename (outdir, "keep.wav", NULL);
  int rc;
  gint64 bytes;
  char *old = NULL, *now = NULL;
  gsize old_len = 0;
  GStatBuf st_old, st_new;
  Run r;

  g_mkdir (outdir, 0755);
  rc = master_killed (in, out, 2, &bytes);
  check (rc == 128 + SIGKILL && bytes > 0 && listdir_is (outdir, ""),
      "SIGKILL in the mastering pass: killed (%d) with %" G_GINT64_FORMAT
      " bytes written, nothing left in the output folder, no hidden part",
      rc, bytes);

  r = gm ("master", tone_23 (), "-o", out, "-q", NULL);
  check (r.rc == 0 && listdir_is (outdir, "x.wav"),
      "a later run: exit %d, writes the output alone", r.rc);
  run_clear (&r);
  if (link (out, keep) == 0)
    g_file_get_contents (keep, &old, &old_len, NULL);
  g_stat (out, &st_old);
  r = gm ("master", in, "-o", out, "-q", NULL);
  g_file_get_contents (keep, &now, NULL, NULL);
  check (r.rc == 0 && old && now && !memcmp (old, now, old_len)
      && g_stat (out, &st_new) == 0 && st_new.st_ino != st_old.st_ino
      && st_new.st_size > st_old.st_size
      && listdir_is (outdir, "keep.wav x.wav"),
      "an existing output replaced by a new file, not rewritten in place");
  run_clear (&r);
  g_free (old);
  g_free (now);
  rm_rf (outdir);
  g_free (keep);
  g_free (out);
  g_free (outdir);
}

/* Where the output cannot be written without a name
 * (GST_MASTER_NAMED_PARTS, as on a filesystem without O_TMPFILE): a kill
 * leaves its hidden part, the next run of the same output removes it and
 * writes through a hidden name too. */
static void
test_named_parts_fallback (void)
{
  char *outdir = path ("named");
  char *out = g_build_filename (outdir, "x.wav", NULL);
  char *l;
  GRegex *part = g_regex_new ("^\\.x\\.wav\\.[A-Za-z0-9]{6}\\.part$", 0, 0,
      NULL);
  int rc;
  gint64 bytes;
  Run r;

  g_mkdir (outdir, 0755);
  g_setenv ("GST_MASTER_NAMED_PARTS", "1", TRUE);
  rc = master_killed (long_wav (), out, 1, &bytes);
  l = listdir (outdir);
  check (rc == 128 + SIGKILL && l && g_regex_match (part, l, 0, NULL),
      "named parts, SIGKILL: killed (%d), its hidden part left (%s)", rc, l);
  /* Older than the next run by the clock's seconds. */
  g_usleep (1100000);
  r = gm ("master", tone_23 (), "-o", out, "-q", NULL);
  check (r.rc == 0 && listdir_is (outdir, "x.wav")
      && fabs (analyze_lufs (out) + 14.0) <= 0.1,
      "named parts: the next run removes it, writes the output alone");
  run_clear (&r);
  g_unsetenv ("GST_MASTER_NAMED_PARTS");
  g_regex_unref (part);
  g_free (l);
  rm_rf (outdir);
  g_free (out);
  g_free (outdir);
}

/* Makes the file @name in @dir, last written @age_s seconds ago (negative:
 * in the future). */
static void
plant (const char *dir, const char *name, double age_s)
{
  char *p = g_build_filename (dir, name, NULL);
  struct timespec t[2];

  g_file_set_contents (p, "part", -1, NULL);
  clock_gettime (CLOCK_REALTIME, &t[0]);
  t[0].tv_sec -= (time_t) age_s;
  t[1] = t[0];
  utimensat (AT_FDCWD, p, t, 0);
  g_free (p);
}

/* Hidden parts a killed run left where the output could not be written
 * without a name (older versions, filesystems without O_TMPFILE): removed
 * by the next run of the same output, and only those: the exact names,
 * older than the run, not locked by a run still writing. */
static void
test_stale_parts_removed (void)
{
  char *outdir = path ("stale");
  char *out = g_build_filename (outdir, "x.wav", NULL);
  char *locked = g_build_filename (outdir, ".x.wav.Lk34Cd.part", NULL);
  int lock_fd;
  Run r;

  g_mkdir (outdir, 0755);
  plant (outdir, ".x.wav.Ab12Cd.part", 3600);   /* stale: removed */
  plant (outdir, ".x.wav.9zZ0aA.part", 60);     /* stale: removed */
  plant (outdir, ".x.wav.Lk34Cd.part", 3600);   /* locked: a live writer */
  plant (outdir, ".x.wav.Nw56Ef.part", -3600);  /* newer than the run */
  plant (outdir, ".x.wav.part", 3600);
  plant (outdir, ".x.wav.Ab12C.part", 3600);
  plant (outdir, ".x.wav.Ab12Cde.part", 3600);
  plant (outdir, ".x.wav.Ab-2Cd.part", 3600);
  plant (outdir, ".y.wav.Ab12Cd.part", 3600);
  plant (outdir, "x.wav.Ab12Cd.part", 3600);
  lock_fd = open (locked, O_RDONLY);
  check (lock_fd >= 0 && flock (lock_fd, LOCK_EX) == 0, "part locked");
  r = gm ("master", tone_23 (), "-o", out, "-q", NULL);
  check (r.rc == 0 && listdir_is (outdir, ".x.wav.Ab-2Cd.part "
          ".x.wav.Ab12C.part .x.wav.Ab12Cde.part .x.wav.Lk34Cd.part "
          ".x.wav.Nw56Ef.part .x.wav.part .y.wav.Ab12Cd.part "
          "x.wav x.wav.Ab12Cd.part"),
      "stale hidden parts of the output removed, nothing else: exit %d",
      r.rc);
  run_clear (&r);
  if (lock_fd >= 0)
    close (lock_fd);
  rm_rf (outdir);
  g_free (locked);
  g_free (out);
  g_free (outdir);
}

/* Every output format through the nameless file (fdsink, the muxers that
 * seek back: wavenc's header, mp4mux's moov): written, the output alone in
 * its folder, decoding to the input's duration, intact. */
static void
test_formats_written (void)
{
  const char *exts[] = { "wav", "flac", "mp3", "opus", "m4a" };
  char *in = music_wav ("formats-in.wav", 20.0);
  char *outdir = path ("formats");

  g_mkdir (outdir, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (exts); i++) {
    char *name = g_strdup_printf ("x.%s", exts[i]);
    char *out = g_build_filename (outdir, name, NULL);
    Run r = gm ("master", in, "-o", out, "-q", NULL);
    JsonNode *doc, *fig = r.rc == 0 ? analyze (out, &doc) : NULL;
    const char *status = fig ? jstr (jidx (doc, 0), "status") : NULL;

    check (r.rc == 0 && listdir_is (outdir, name)
        && fabs (jnum (fig, "duration_s") - 20.0) < 0.1
        && !g_strcmp0 (status, "ok"),
        "%s: written alone, %.3f s decoded of %.3f s declared, %s", name,
        jnum (fig, "duration_s"), jnum (fig, "declared_duration_s"), status);
    if (fig)
      json_free (doc);
    run_clear (&r);
    g_unlink (out);
    g_free (out);
    g_free (name);
  }
  g_unlink (in);
  rm_rf (outdir);
  g_free (outdir);
  g_free (in);
}

/* A WAV whose header says 20 s and whose file holds 2.86 s (a copy cut
 * short): named by analyze (a warning) and refused by master (exit 1, no
 * output) unless --allow-damaged, which masters what decodes, warning. */
static void
test_truncated_wav (void)
{
  const double total_s = 20.0, kept_s = 2.86;
  char *in = music_wav ("truncated.wav", total_s);
  char *out = path ("truncated-out.wav");
  char *named = g_strdup_printf ("truncated: %.2f s of %.2f s", kept_s,
      total_s);
  gsize data_at = 0, n_data, n_nonzero;
  int bits, rate, block_align = 0;
  JsonNode *doc, *rep;
  Run r;

  check (wav_read (in, &bits, &rate, &n_data, &n_nonzero, &data_at,
          &block_align)
      && truncate (in, data_at + (gsize) (kept_s * 48000) * block_align) == 0,
      "WAV cut to %.2f s of its %.2f s", kept_s, total_s);
  r = gm ("analyze", "--json", in, NULL);
  doc = json_parse (r.out);
  rep = jidx (doc, 0);
  check (r.rc == 0 && !g_strcmp0 (jstr (rep, "status"), "warning")
      && jany_contains (rep, "messages", named)
      && fabs (jnum (rep, "figures.declared_duration_s") - total_s) < 1e-3
      && fabs (jnum (rep, "figures.duration_s") - kept_s) < 1e-3,
      "analyze: a warning, \"%s\" and both durations in --json", named);
  json_free (doc);
  run_clear (&r);
  r = gm ("analyze", in, NULL);
  check (r.rc == 0 && strstr (r.out, named), "analyze: named in the table");
  run_clear (&r);

  r = gm ("master", in, "-o", out, "-q", NULL);
  check (r.rc == 1 && strstr (r.err, named) && strstr (r.err, "truncated.wav")
      && !exists (out), "master: refused, exit 1, named, no output");
  run_clear (&r);
  r = gm ("master", in, "-o", out, "-q", "--json", NULL);
  doc = json_parse (r.out);
  rep = jidx (doc, 0);
  check (r.rc == 1 && !g_strcmp0 (jstr (rep, "status"), "error")
      && jany_contains (rep, "messages", named) && !exists (out),
      "master --json: status error, named");
  json_free (doc);
  run_clear (&r);
  r = gm ("master", in, "-o", out, "-q", "--json", "--allow-damaged", NULL);
  doc = json_parse (r.out);
  rep = jidx (doc, 0);
  check (r.rc == 0 && !g_strcmp0 (jstr (rep, "status"), "warning")
      && jany_contains (rep, "messages", named) && exists (out)
      && fabs (jnum (rep, "after.duration_s") - kept_s) < 1e-3,
      "master --allow-damaged: what decodes mastered, a warning, named");
  json_free (doc);
  run_clear (&r);
  g_unlink (in);
  g_free (named);
  g_free (out);
  g_free (in);
}

/* A project file is checked as the command line is (issue 17): an unknown
 * key, a value out of range, automation points out of time order and a
 * bad --eq/--comp property are usage errors (exit 2) naming the file and
 * line, the stem, the key or the property; nothing is written. */
static void
test_mix_checked (void)
{
  char *a = gst_wav ("mix-chk.wav", "wave=sine freq=440 volume=0.3",
      "format=F32LE,channels=1", 0.2, 48000);
  char *proj = path ("mix-bad.json"), *out = path ("mix-chk-out.wav");
  static const struct
  {
    const char *stem, *want;
  } cases[] = {
    /* the stem's members on line 3 */
    {"\"gian\": 3", "mix-bad.json:3:"},
    {"\"gian\": 3", "\"gian\""},
    {"\"automation\": {\"volume\": [[0, 0]]}", "\"volume\""},
    {"\"automation\": {\"gain\": [[0, 50]]}", "at most +20 dB"},
    {"\"gain\": 21", "at most +20 dB"},
    {"\"pan\": 101", "-100 (left) .. 100 (right)"},
    {"\"gain\": \"3\"", "not a number"},
    {"\"automation\": {\"gain\": [[1, 0], [0, -10]]}",
        "increasing time order"},
    {"\"automation\": {\"pan\": [[0, 0], [0, 50]]}",
        "increasing time order"},
    {"\"eq\": \"band0::freq=-5\"", "band0::freq"},
    {"\"comp\": \"ratio=x\"", "ratio"},
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *text = g_strdup_printf ("{\"stems\": [\n  {\"file\": "
        "\"mix-chk.wav\",\n   %s}\n]}\n", cases[i].stem);
    g_file_set_contents (proj, text, -1, NULL);
    Run r = gm ("mix", "--project", proj, "-o", out, "-q", NULL);
    check (r.rc == 2 && strstr (r.err, "mix-bad.json")
        && strstr (r.err, "mix-chk.wav") && strstr (r.err, cases[i].want)
        && !strstr (r.err, "WARNING") && !exists (out), "mix --project "
        "%s: exit 2 naming the file, the stem and '%s' (rc %d: %s)",
        cases[i].stem, cases[i].want, r.rc, r.err);
    run_clear (&r);
    g_free (text);
  }
  /* The command line's message for the same mistake. */
  Run g = gm ("mix", a, "-o", out, "--gain", "mix-chk=30", "-q", NULL);
  check (g.rc == 2 && strstr (g.err, "at most +20 dB"), "mix --gain 30: "
      "the same message (rc %d: %s)", g.rc, g.err);
  run_clear (&g);
  static const char *const props[][3] = {
    {"--eq", "mix-chk=band0::freq=-5", "band0::freq"},
    {"--eq", "mix-chk=band0::gain=x", "band0::gain"},
    {"--eq", "mix-chk=band0::frq=100", "band0::frq"},
    {"--comp", "mix-chk=threshold=5000", "threshold"},
    {"--comp", "mix-chk=thresh=-20", "thresh"},
  };
  for (guint i = 0; i < G_N_ELEMENTS (props); i++) {
    Run r = gm ("mix", a, "-o", out, props[i][0], props[i][1], "-q", NULL);
    check (r.rc == 2 && strstr (r.err, props[i][0])
        && strstr (r.err, "mix-chk") && strstr (r.err, props[i][2])
        && !strstr (r.err, "WARNING") && !exists (out), "mix %s %s: a "
        "usage error naming the option, the stem and the property (rc %d: "
        "%s)", props[i][0], props[i][1], r.rc, r.err);
    run_clear (&r);
  }
  g_free (proj);
  g_free (out);
  g_free (a);
}

/* The rest of issue 17's review: a stem decoded short of its declared
 * length is a warning naming it and both lengths (report, JSON, stderr);
 * an error report has null for what was not measured; a 44.1 kHz stem in a
 * 48 kHz mix keeps its last frames; a float mix over 0 dBFS gets a note;
 * help needs no plugin; a stem given twice is refused; automated pan shows
 * "auto"; mst-demo-mix --help writes no file. */
static void
test_mix_review (void)
{
  char *a = gst_wav ("mix-r48.wav", "wave=sine freq=440 volume=0.5",
      "format=F32LE,channels=1", 0.05, 48000);
  /* One buffer of 4410 frames: 0.1 s, 4800 frames at 48 kHz. */
  char *b = gst_wav ("mix-r44.wav", "wave=sine freq=220 volume=0.5",
      "format=F32LE,channels=1", 0.1, 44100);
  char *hot = gst_wav ("mix-hot.wav", "wave=sine freq=440 volume=0.9",
      "format=F32LE,channels=2", 0.5, 48000);
  char *out = path ("mix-review.wav"), *cut = path ("mix-cut.wav");
  gchar *data = NULL;
  gsize len = 0;

  /* 0.1 s at 44.1 kHz: 4800 frames at 48 kHz, not one fewer. */
  Run r = gm ("mix", a, b, "-o", out, "-q", NULL);
  gsize ny;
  int cy = 2;
  float *y = read_f32 (out, &ny, &cy);
  check (r.rc == 0 && y && ny == 4800, "mix: a 0.1 s stem at 44.1 kHz in "
      "a 48 kHz mix gives 4800 frames (%zu; rc %d: %s)", ny, r.rc, r.err);
  g_free (y);
  run_clear (&r);

  /* The 0.5 s WAV cut to about half: its header still says 0.5 s. */
  check (g_file_get_contents (hot, &data, &len, NULL)
      && g_file_set_contents (cut, data, len / 2, NULL), "a cut WAV");
  g_free (data);
  r = gm ("mix", a, cut, "-o", out, "-q", "--json", NULL);
  JsonNode *doc = r.rc == 0 ? json_parse (r.out) : NULL;
  check (doc && !g_strcmp0 (jstr (doc, "status"), "warning")
      && jany_contains (doc, "notes", "mix-cut.wav: truncated: ")
      && jany_contains (doc, "notes", "s of 0.50 s")
      && strstr (r.err, "mix-cut.wav") && strstr (r.err, "s of 0.50 s"),
      "mix: a stem shorter than its header says is a warning naming it and "
      "both lengths, in the JSON and on stderr (rc %d: %s)", r.rc, r.err);
  if (doc)
    json_free (doc);
  run_clear (&r);
  r = gm ("mix", a, cut, "-o", out, "-q", NULL);
  check (r.rc == 0 && strstr (r.out, "note: ") && strstr (r.out,
          "mix-cut.wav: truncated: "), "mix: the same under the table");
  run_clear (&r);

  /* An error report: null where nothing was measured. */
  char *missing = path ("mix-nothere.wav");
  r = gm ("mix", a, missing, "-o", out, "-q", "--json", NULL);
  doc = json_parse (r.out);
  check (r.rc == 1 && doc && jis_null (doc, "mix.integrated_lufs")
      && jis_null (doc, "mix.true_peak_dbtp")
      && jis_null (doc, "mix.duration_s")
      && jis_null (jidx (jget (doc, "stems"), 0), "input_lufs")
      && jis_null (jidx (jget (doc, "stems"), 1), "input_lufs"),
      "mix --json with a missing stem: the figures null, not 0.0 (rc %d)",
      r.rc);
  if (doc)
    json_free (doc);
  run_clear (&r);
  g_free (missing);

  /* A stem no decoder reads: an error naming it, no output. */
  char *junk = path ("mix-junk.wav");
  g_unlink (out);
  g_file_set_contents (junk, "RIFF\x24\x00\x00\x00WAVEjunkjunkjunkjunk", 24,
      NULL);
  r = gm ("mix", a, junk, "-o", out, "-q", NULL);
  check (r.rc == 1 && strstr (r.err, "mix-junk.wav") && !exists (out),
      "mix: an undecodable stem fails the run naming it (rc %d: %s)", r.rc,
      r.err);
  run_clear (&r);
  g_free (junk);

  /* A float mix over 0 dBFS: said. */
  r = gm ("mix", hot, a, "-o", out, "-q", "--json", NULL);
  doc = json_parse (r.out);
  check (r.rc == 0 && doc && jnum (doc, "mix.sample_peak_dbfs") > 0.0
      && jany_contains (doc, "notes", "kept in the float file"),
      "mix: a float WAV over 0 dBFS (%+.2f) gets a note", doc ? jnum (doc,
          "mix.sample_peak_dbfs") : NAN);
  if (doc)
    json_free (doc);
  run_clear (&r);

  /* The same file twice. */
  r = gm ("mix", a, a, "-o", out, "-q", NULL);
  check (r.rc == 2 && strstr (r.err, "twice"), "mix: a stem given twice "
      "is a usage error (rc %d: %s)", r.rc, r.err);
  run_clear (&r);

  /* Automated pan and gain shown as such. */
  char *proj = path ("mix-auto.json");
  char *text = g_strdup_printf ("{\"stems\": [{\"file\": \"mix-r48.wav\", "
      "\"automation\": {\"pan\": [[0, -100], [1, 100]]}}]}");
  g_file_set_contents (proj, text, -1, NULL);
  r = gm ("mix", "--project", proj, "-o", out, "-q", NULL);
  check (r.rc == 0 && strstr (r.out, "auto"), "mix: the pan column says "
      "auto when automated (rc %d: %s)", r.rc, r.out);
  run_clear (&r);
  g_free (text);
  g_free (proj);

  /* Help without the plugin; the demo writer's help writes nothing. */
  {
    const char *argv[] = { "/usr/bin/env", "-u", "GST_PLUGIN_PATH",
      "GST_PLUGIN_SYSTEM_PATH_1_0=/nonexistent", GM, "mix", "--help", NULL
    };
    r = run_argv (argv);
    check (r.rc == 0 && strstr (r.out, "Usage"), "mix --help without the "
        "plugin (rc %d: %s)", r.rc, r.err);
    run_clear (&r);
    const char *dargv[] = { DEMO, "--help", NULL };
    char *cwd_help = g_build_filename (g_get_current_dir (), "--help", NULL);
    r = run_argv (dargv);
    check (r.rc == 0 && strstr (r.out, "usage") && !exists (cwd_help),
        "mst-demo-mix --help prints usage, writes no file (rc %d)", r.rc);
    run_clear (&r);
    g_free (cwd_help);
  }
  g_unlink (out);
  g_free (out);
  g_free (cut);
  g_free (hot);
  g_free (b);
  g_free (a);
}

/* A FLAC with bytes flipped in five of its frames: flacparse skips what
 * no longer parses, without a message, and the decoded stream is shorter
 * than STREAMINFO declares. Named by analyze, refused by master; the
 * intact FLAC is not. */
static void
test_corrupt_flac (void)
{
  char *wav = music_wav ("corrupt-src.wav", 20.0);
  char *good = path ("intact.flac"), *bad = path ("corrupt.flac");
  char *out = path ("corrupt-out.wav");
  char *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "audioconvert ! audio/x-raw,format=S24LE ! flacenc ! "
      "filesink location=\"%s\"", wav, good);
  guint8 *d = NULL;
  gsize len = 0;
  JsonNode *doc, *rep;
  Run r;

  check (launch (desc) && g_file_get_contents (good, (char **) &d, &len, NULL)
      && len > 100000, "FLAC encoded");
  /* Past the metadata (a few kB), in five frames. */
  for (int k = 1; d && k <= 5; k++)
    for (gsize i = 0; i < 16; i++)
      d[len * k / 6 + i] ^= 0xA5;
  check (d && g_file_set_contents (bad, (char *) d, len, NULL),
      "bytes flipped in five frames");

  r = gm ("analyze", "--json", good, bad, NULL);
  doc = json_parse (r.out);
  rep = jidx (doc, 1);
  check (r.rc == 0 && !g_strcmp0 (jstr (jidx (doc, 0), "status"), "ok")
      && !jany_contains (jidx (doc, 0), "messages", "damaged")
      && !g_strcmp0 (jstr (rep, "status"), "warning")
      && jany_contains (rep, "messages", "damaged: ")
      && jany_contains (rep, "messages", "of 20.00 s decoded")
      && jnum (rep, "figures.duration_s")
      < jnum (rep, "figures.declared_duration_s") - 0.1,
      "analyze: the intact FLAC ok, the corrupt one a warning, \"damaged: "
      "%.2f s of 20.00 s decoded\"", jnum (rep, "figures.duration_s"));
  json_free (doc);
  run_clear (&r);
  r = gm ("master", bad, "-o", out, "-q", NULL);
  check (r.rc == 1 && strstr (r.err, "corrupt.flac: damaged: ")
      && !exists (out), "master: the corrupt FLAC refused, named, no output");
  run_clear (&r);
  g_unlink (wav);
  g_free (d);
  g_free (desc);
  g_free (out);
  g_free (bad);
  g_free (good);
  g_free (wav);
}

static const struct
{
  const char *name;
  void (*run) (void);
} tests[] = {
  {"analyze", test_analyze},
  {"analyze-stereo", test_analyze_stereo},
  {"vinyl", test_vinyl},
  {"master-targets", test_master_targets},
  {"tags", test_tags},
  {"report-png", test_report_png},
  {"max-limiting", test_max_limiting},
  {"dynamics", test_dynamics},
  {"catalogue", test_catalogue},
  {"mix-sum", test_mix_sum},
  {"mix-project", test_mix_project},
  {"mix-checked", test_mix_checked},
  {"mix-review", test_mix_review},
  {"clean", test_clean},
  {"max-gain", test_max_gain},
  {"table-status", test_table_status},
  {"missing-input", test_missing_input},
  {"undecodable-input", test_undecodable_input},
  {"silent-input", test_silent_input},
  {"input-under-400ms", test_input_under_400ms},
  {"input-of-2s", test_input_of_2s},
  {"unknown-target", test_unknown_target},
  {"unwritable-output", test_unwritable_output},
  {"input-as-output", test_input_as_output},
  /* Interrupted: no output, no temporary file. */
  {"interrupted", test_interrupted_demo},
  /* Progress bar: on a terminal only, with percent, speed and time left. */
  {"progress", test_progress_demo},
  {"silent-lra", test_silent_lra},
  {"report-axes", test_report_axes},
  /* Progress: never back, ends at 100 %, a sound time left. */
  {"progress-monotonic", test_progress_monotonic},
  {"several-inputs", test_several_inputs},
  {"json-reader", test_json_reader},
  /* --max-gain and --max-limiting on every pass, named when they hold. */
  {"limits", test_limits},
  {"output-format", test_output_format},
  {"silence-out", test_silence_out},
  {"dither-choices", test_dither_choices},
  /* SIGKILL leaves nothing; stale hidden parts removed; every format. */
  {"killed-leaves-nothing", test_killed_leaves_nothing},
  {"stale-parts-removed", test_stale_parts_removed},
  {"named-parts-fallback", test_named_parts_fallback},
  {"formats-written", test_formats_written},
  /* Damaged inputs named, refused by master. */
  {"truncated-wav", test_truncated_wav},
  {"corrupt-flac", test_corrupt_flac},
};

/* Processor seconds of this process and of its children waited for. */
static double
processor_s_so_far (void)
{
  struct rusage self, kids;
  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &kids);
  return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec
      + kids.ru_stime.tv_sec + (self.ru_utime.tv_usec + self.ru_stime.tv_usec
      + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
}

/* Runs every test in order, or those named after the two programs. */
int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s GST_MASTER MST_DEMO_MIX [TEST...]\n",
        argv[0]);
    return 2;
  }
  GM = argv[1];
  DEMO = argv[2];
  setvbuf (stdout, NULL, _IOLBF, 0);
  gst_init (NULL, NULL);
  TMP = g_dir_make_tmp ("test-gst-master-XXXXXX", NULL);
  if (!TMP) {
    fprintf (stderr, "cannot make a temporary folder\n");
    return 1;
  }
  for (guint i = 0; i < G_N_ELEMENTS (tests); i++) {
    gboolean asked = argc == 3;
    for (int k = 3; k < argc; k++)
      asked |= !strcmp (argv[k], tests[i].name);
    if (asked) {
      /* Each case's cost, the programs it ran included, for the suite's
       * time budget (scripts/test). */
      gint64 t0 = g_get_monotonic_time ();
      double c0 = processor_s_so_far ();
      tests[i].run ();
      printf ("      %s: %.1f s, %.1f processor s\n", tests[i].name,
          (g_get_monotonic_time () - t0) / 1e6, processor_s_so_far () - c0);
    }
  }
  rm_rf (TMP);
  g_free (TMP);
  printf ("%d checks, %d failed\n", n_checks, n_failed);
  return n_failed ? 1 : 0;
}
