/* gst-master plan, run-manifest and report. A manifest is JSON lines, one
 * entry a file: {"index", "input", "output", "result", "args"}. Each entry
 * is mastered on its own (run-manifest --index N, or Slurm's array index),
 * its master --json report kept with the output's size and time in the
 * entry's result file; report merges the results of a folder. */
#include "gm-batch.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "gst-master"

static char *
absolute (const char *path)
{
  if (g_path_is_absolute (path))
    return g_strdup (path);
  char *cwd = g_get_current_dir ();
  char *abs = g_build_filename (cwd, path, NULL);
  g_free (cwd);
  return abs;
}

/* The result file of @output: in GM_BATCH_RESULTS beside it. */
static char *
result_for (const char *output)
{
  char *dir = g_path_get_dirname (output), *base = g_path_get_basename
      (output);
  char *name = g_strconcat (base, ".json", NULL);
  char *path = g_build_filename (dir, GM_BATCH_RESULTS, name, NULL);
  g_free (dir);
  g_free (base);
  g_free (name);
  return path;
}

void
gm_batch_print_manifest (FILE * out, const GmJob * jobs, int n_jobs,
    const char *const *args, int n_args)
{
  for (int i = 0; i < n_jobs; i++) {
    JsonBuilder *b = json_builder_new ();
    char *input = absolute (jobs[i].input), *output = absolute
        (jobs[i].output), *result = result_for (output);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "index");
    json_builder_add_int_value (b, i);
    json_builder_set_member_name (b, "input");
    json_builder_add_string_value (b, input);
    json_builder_set_member_name (b, "output");
    json_builder_add_string_value (b, output);
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, result);
    json_builder_set_member_name (b, "args");
    json_builder_begin_array (b);
    for (int k = 0; k < n_args; k++)
      json_builder_add_string_value (b, args[k]);
    json_builder_end_array (b);
    json_builder_end_object (b);
    JsonGenerator *g = json_generator_new ();
    JsonNode *root = json_builder_get_root (b);
    json_generator_set_root (g, root);
    char *line = json_generator_to_data (g, NULL);
    fprintf (out, "%s\n", line);
    g_free (line);
    json_node_unref (root);
    g_object_unref (g);
    g_object_unref (b);
    g_free (input);
    g_free (output);
    g_free (result);
  }
}

/* Entry @index of @manifest (its own "index" member), parsed; NULL with a
 * message when there is none. */
static JsonNode *
manifest_entry (const char *manifest, gint64 index)
{
  gchar *text = NULL;
  GError *err = NULL;
  JsonNode *found = NULL;

  if (!g_file_get_contents (manifest, &text, NULL, &err)) {
    fprintf (stderr, "%s: %s\n", PROG, err->message);
    g_clear_error (&err);
    return NULL;
  }
  gchar **lines = g_strsplit (text, "\n", -1);
  for (gchar ** l = lines; *l && !found; l++) {
    if (!**l)
      continue;
    JsonNode *n = json_from_string (*l, NULL);
    if (n && JSON_NODE_HOLDS_OBJECT (n)
        && json_object_get_int_member_with_default (json_node_get_object (n),
            "index", -1) == index)
      found = n;
    else if (n)
      json_node_unref (n);
  }
  g_strfreev (lines);
  g_free (text);
  if (!found)
    fprintf (stderr, "%s: %s: no entry %" G_GINT64_FORMAT "\n", PROG,
        manifest, index);
  return found;
}

/* The master status of a result file's report, NULL when it has none. */
static const char *
result_status (JsonObject * result)
{
  JsonNode *r = json_object_get_member (result, "report");
  if (!r || !JSON_NODE_HOLDS_ARRAY (r)
      || json_array_get_length (json_node_get_array (r)) != 1)
    return NULL;
  JsonObject *job = json_array_get_object_element (json_node_get_array (r),
      0);
  return json_object_get_string_member_with_default (job, "status", NULL);
}

/* Whether @result records a master of @output that did not fail and
 * @output is still the file it wrote (same size and time). */
static gboolean
entry_done (const char *result, const char *output)
{
  JsonParser *p = json_parser_new ();
  gboolean done = FALSE;
  GStatBuf st;
  if (json_parser_load_from_file (p, result, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p))
      && g_stat (output, &st) == 0) {
    JsonObject *o = json_node_get_object (json_parser_get_root (p));
    const char *status = result_status (o);
    done = status && strcmp (status, "error") != 0
        && json_object_get_int_member_with_default (o, "output_size", -1)
        == (gint64) st.st_size
        && json_object_get_int_member_with_default (o, "output_mtime", -1)
        == (gint64) st.st_mtime;
  }
  g_object_unref (p);
  return done;
}

/* Runs @master_main on @argv with its standard output into @path. */
static int
run_captured (GmMasterMain master_main, int argc, char **argv,
    const char *path)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    fprintf (stderr, "%s: %s: %s\n", PROG, path, g_strerror (errno));
    return 1;
  }
  fflush (stdout);
  int saved = dup (STDOUT_FILENO);
  dup2 (fd, STDOUT_FILENO);
  close (fd);
  int rc = master_main (argc, argv);
  fflush (stdout);
  dup2 (saved, STDOUT_FILENO);
  close (saved);
  return rc;
}

int
gm_batch_run_manifest (int argc, char **argv, GmMasterMain master_main)
{
  const char *manifest = NULL, *index_s = g_getenv ("SLURM_ARRAY_TASK_ID");
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--index") && i + 1 < argc)
      index_s = argv[++i];
    else if (argv[i][0] != '-' && !manifest)
      manifest = argv[i];
    else {
      fprintf (stderr, "%s: run-manifest MANIFEST [--index N]\n", PROG);
      return 2;
    }
  }
  char *end = NULL;
  gint64 index = index_s ? g_ascii_strtoll (index_s, &end, 10) : -1;
  if (!manifest || !index_s || *end || index < 0) {
    fprintf (stderr, "%s: run-manifest MANIFEST --index N (or "
        "SLURM_ARRAY_TASK_ID): %s\n", PROG, !manifest ? "no manifest"
        : "no index");
    return 2;
  }
  JsonNode *entry = manifest_entry (manifest, index);
  if (!entry)
    return 2;
  JsonObject *e = json_node_get_object (entry);
  const char *input = json_object_get_string_member_with_default (e,
      "input", NULL);
  const char *output = json_object_get_string_member_with_default (e,
      "output", NULL);
  const char *result = json_object_get_string_member_with_default (e,
      "result", NULL);
  JsonArray *args = json_object_has_member (e, "args") ?
      json_object_get_array_member (e, "args") : NULL;
  int rc = 2;
  if (!input || !output || !result || !args) {
    fprintf (stderr, "%s: %s: entry %" G_GINT64_FORMAT " lacks input, "
        "output, result or args\n", PROG, manifest, index);
    goto out;
  }
  if (entry_done (result, output)) {
    printf ("%s: %s: done already (%s)\n", PROG, output, result);
    rc = 0;
    goto out;
  }
  char *dir = g_path_get_dirname (result);
  g_mkdir_with_parents (dir, 0755);
  g_free (dir);

  GPtrArray *av = g_ptr_array_new ();
  g_ptr_array_add (av, (gpointer) PROG);
  g_ptr_array_add (av, (gpointer) "master");
  for (guint k = 0; k < json_array_get_length (args); k++)
    g_ptr_array_add (av, (gpointer) json_array_get_string_element (args, k));
  g_ptr_array_add (av, (gpointer) "--json");
  g_ptr_array_add (av, (gpointer) "-q");
  g_ptr_array_add (av, (gpointer) "-o");
  g_ptr_array_add (av, (gpointer) output);
  g_ptr_array_add (av, (gpointer) "--");
  g_ptr_array_add (av, (gpointer) input);
  g_ptr_array_add (av, NULL);
  char *part = g_strconcat (result, ".part", NULL);
  rc = run_captured (master_main, (int) av->len - 1, (char **) av->pdata,
      part);
  g_ptr_array_free (av, TRUE);

  /* The result: master's report, the entry, and the output as written. */
  gchar *text = NULL;
  JsonNode *report = g_file_get_contents (part, &text, NULL, NULL) ?
      json_from_string (text, NULL) : NULL;
  GStatBuf st;
  gboolean written = rc == 0 && g_stat (output, &st) == 0;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entry");
  json_builder_add_value (b, json_node_copy (entry));
  json_builder_set_member_name (b, "exit_status");
  json_builder_add_int_value (b, rc);
  json_builder_set_member_name (b, "output_size");
  json_builder_add_int_value (b, written ? (gint64) st.st_size : -1);
  json_builder_set_member_name (b, "output_mtime");
  json_builder_add_int_value (b, written ? (gint64) st.st_mtime : -1);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, g_get_host_name ());
  json_builder_set_member_name (b, "report");
  if (report)
    json_builder_add_value (b, report);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  JsonGenerator *g = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  char *out_text = json_generator_to_data (g, NULL);
  GError *err = NULL;
  if (!g_file_set_contents (result, out_text, -1, &err)) {
    fprintf (stderr, "%s: %s\n", PROG, err->message);
    g_clear_error (&err);
    rc = rc ? rc : 1;
  }
  {
    const char *status = NULL;
    JsonObject *o = json_node_get_object (root);
    status = result_status (o);
    printf ("%s: %s -> %s: %s\n", PROG, input, output, status ? status
        : "error");
  }
  g_unlink (part);
  g_free (part);
  g_free (text);
  g_free (out_text);
  json_node_unref (root);
  g_object_unref (g);
  g_object_unref (b);
out:
  json_node_unref (entry);
  return rc;
}

/* ------------------------------------------------------------------ */
/* report                                                             */

typedef struct {
  char *input, *output, *status, *why;
  double lufs, tp;
} Row;

static void
row_free (gpointer p)
{
  Row *r = p;
  g_free (r->input);
  g_free (r->output);
  g_free (r->status);
  g_free (r->why);
  g_free (r);
}

static double
member_number (JsonObject * o, const char *obj, const char *name)
{
  JsonObject *sub = o && json_object_has_member (o, obj) ?
      json_object_get_object_member (o, obj) : NULL;
  JsonNode *n = sub ? json_object_get_member (sub, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

/* One row from a result file. */
static Row *
read_result (const char *path)
{
  JsonParser *p = json_parser_new ();
  Row *r = g_new0 (Row, 1);
  r->lufs = r->tp = NAN;
  if (!json_parser_load_from_file (p, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p))) {
    r->input = g_strdup (path);
    r->status = g_strdup ("error");
    r->why = g_strdup ("unreadable result file");
    g_object_unref (p);
    return r;
  }
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  JsonObject *e = json_object_has_member (o, "entry") ?
      json_object_get_object_member (o, "entry") : NULL;
  r->input = g_strdup (e ? json_object_get_string_member_with_default (e,
          "input", path) : path);
  r->output = g_strdup (e ? json_object_get_string_member_with_default (e,
          "output", "") : "");
  const char *status = result_status (o);
  r->status = g_strdup (status ? status : "error");
  JsonNode *rep = json_object_get_member (o, "report");
  JsonObject *job = rep && JSON_NODE_HOLDS_ARRAY (rep)
      && json_array_get_length (json_node_get_array (rep)) == 1 ?
      json_array_get_object_element (json_node_get_array (rep), 0) : NULL;
  if (job) {
    r->lufs = member_number (job, "after", "integrated_lufs");
    r->tp = member_number (job, "after", "true_peak_dbtp");
    JsonArray *msgs = json_object_has_member (job, "messages") ?
        json_object_get_array_member (job, "messages") : NULL;
    GString *why = g_string_new (NULL);
    for (guint k = 0; msgs && k < json_array_get_length (msgs); k++)
      g_string_append_printf (why, "%s%s", k ? "; " : "",
          json_array_get_string_element (msgs, k));
    r->why = g_string_free (why, FALSE);
  } else {
    r->why = g_strdup_printf ("no report (exit status %" G_GINT64_FORMAT
        ")", json_object_get_int_member_with_default (o, "exit_status", -1));
  }
  g_object_unref (p);
  return r;
}

static char *
csv_field (const char *s)
{
  GString *o = g_string_new ("\"");
  for (const char *c = s ? s : ""; *c; c++) {
    if (*c == '"')
      g_string_append_c (o, '"');
    g_string_append_c (o, *c);
  }
  g_string_append_c (o, '"');
  return g_string_free (o, FALSE);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

int
gm_batch_report (int argc, char **argv)
{
  const char *dir = NULL, *manifest = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--manifest") && i + 1 < argc)
      manifest = argv[++i];
    else if (argv[i][0] != '-' && !dir)
      dir = argv[i];
    else {
      fprintf (stderr, "%s: report DIR [--manifest FILE]\n", PROG);
      return 2;
    }
  }
  if (!dir) {
    fprintf (stderr, "%s: report DIR [--manifest FILE]\n", PROG);
    return 2;
  }
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  char *results = g_build_filename (dir, GM_BATCH_RESULTS, NULL);
  GDir *d = g_dir_open (results, 0, NULL);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *name;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  while (d && (name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  if (d)
    g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    char *path = g_build_filename (results, g_ptr_array_index (names, i),
        NULL);
    Row *r = read_result (path);
    g_ptr_array_add (rows, r);
    g_hash_table_add (seen, r->input);
    g_free (path);
  }
  /* Entries of the manifest with no result: never run, or killed. */
  if (manifest) {
    gchar *text = NULL;
    if (!g_file_get_contents (manifest, &text, NULL, NULL)) {
      fprintf (stderr, "%s: cannot read %s\n", PROG, manifest);
      return 2;
    }
    gchar **lines = g_strsplit (text, "\n", -1);
    for (gchar ** l = lines; *l; l++) {
      JsonNode *n = **l ? json_from_string (*l, NULL) : NULL;
      if (!n || !JSON_NODE_HOLDS_OBJECT (n)) {
        if (n)
          json_node_unref (n);
        continue;
      }
      JsonObject *e = json_node_get_object (n);
      const char *input = json_object_get_string_member_with_default (e,
          "input", NULL);
      if (input && !g_hash_table_contains (seen, input)) {
        Row *r = g_new0 (Row, 1);
        r->input = g_strdup (input);
        r->output = g_strdup (json_object_get_string_member_with_default (e,
                "output", ""));
        r->status = g_strdup ("missing");
        r->why = g_strdup ("no result: not run, or stopped before the end");
        r->lufs = r->tp = NAN;
        g_ptr_array_add (rows, r);
      }
      json_node_unref (n);
    }
    g_strfreev (lines);
    g_free (text);
  }

  int n_failed = 0, n_missing = 0;
  GString *csv = g_string_new ("input,output,status,integrated_lufs,"
      "true_peak_dbtp,why\n");
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  printf ("%-40s %-12s %9s %8s  %s\n", "file", "status", "I (LUFS)",
      "TP", "why");
  for (guint i = 0; i < rows->len; i++) {
    Row *r = g_ptr_array_index (rows, i);
    n_failed += !strcmp (r->status, "error");
    n_missing += !strcmp (r->status, "missing");
    char *lufs_s = isfinite (r->lufs) ? g_strdup_printf ("%.2f", r->lufs)
        : g_strdup ("-"), *tp_s = isfinite (r->tp) ? g_strdup_printf ("%.2f",
        r->tp) : g_strdup ("-");
    printf ("%-40s %-12s %9s %8s  %s\n", r->input, r->status, lufs_s, tp_s,
        r->why ? r->why : "");
    g_free (lufs_s);
    g_free (tp_s);
    char *f[4] = { csv_field (r->input), csv_field (r->output),
      csv_field (r->status), csv_field (r->why)
    };
    char lufs[G_ASCII_DTOSTR_BUF_SIZE] = "", tp[G_ASCII_DTOSTR_BUF_SIZE] = "";
    if (isfinite (r->lufs))
      g_ascii_formatd (lufs, sizeof lufs, "%.2f", r->lufs);
    if (isfinite (r->tp))
      g_ascii_formatd (tp, sizeof tp, "%.2f", r->tp);
    g_string_append_printf (csv, "%s,%s,%s,%s,%s,%s\n", f[0], f[1], f[2],
        lufs, tp, f[3]);
    for (int k = 0; k < 4; k++)
      g_free (f[k]);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "input");
    json_builder_add_string_value (b, r->input);
    json_builder_set_member_name (b, "output");
    json_builder_add_string_value (b, r->output);
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, r->status);
    json_builder_set_member_name (b, "integrated_lufs");
    if (isfinite (r->lufs))
      json_builder_add_double_value (b, r->lufs);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "true_peak_dbtp");
    if (isfinite (r->tp))
      json_builder_add_double_value (b, r->tp);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "why");
    json_builder_add_string_value (b, r->why ? r->why : "");
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "files_total");
  json_builder_add_int_value (b, rows->len);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, n_failed);
  json_builder_set_member_name (b, "missing");
  json_builder_add_int_value (b, n_missing);
  json_builder_end_object (b);
  printf ("%u files: %u done, %d failed, %d missing\n", rows->len,
      rows->len - n_failed - n_missing, n_failed, n_missing);

  JsonGenerator *g = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  char *json = json_generator_to_data (g, NULL);
  char *json_path = g_build_filename (dir, "gst-master-report.json", NULL);
  char *csv_path = g_build_filename (dir, "gst-master-report.csv", NULL);
  int rc = n_failed || n_missing ? 1 : 0;
  if (!g_file_set_contents (json_path, json, -1, NULL)
      || !g_file_set_contents (csv_path, csv->str, csv->len, NULL)) {
    fprintf (stderr, "%s: cannot write the report into %s\n", PROG, dir);
    rc = 1;
  }
  g_free (json);
  g_free (json_path);
  g_free (csv_path);
  json_node_unref (root);
  g_object_unref (g);
  g_object_unref (b);
  g_string_free (csv, TRUE);
  g_hash_table_destroy (seen);
  g_ptr_array_free (rows, TRUE);
  g_ptr_array_free (names, TRUE);
  g_free (results);
  return rc;
}
