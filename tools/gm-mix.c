/* gst-master mix: stems into one mix. Each stem is decoded, converted once
 * to F32 at the mix's rate, given its gain (volume), eq, compressor and
 * place (pan: mono or stereo in, stereo out), metered, and summed in float
 * by audiomixer with the others and with the shared reverb bus (what the
 * stems send to it, through one reverb, wet only). Gain and pan follow
 * their automation points through GstController, linearly between points.
 * The mix is measured as it is written; with --master it is written to a
 * temporary float WAV and mastered to the target by the master command's
 * passes. */
#include "gm-mix.h"

#include <gst/controller/controller.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gm-damage.h"
#include "gm-formats.h"
#include "gm-gain.h"
#include "gm-job.h"
#include "gm-output.h"
#include "gm-report.h"
#include "gm-run.h"
#include "mst-targets.h"

#define PROG "gst-master"
/* The volume element's range: x10, +20 dB. */
#define MIX_MAX_GAIN_DB 20.0

typedef struct {
  double t_s, value;
} Point;

typedef struct {
  char *path;
  char *name;                   /* the file's name without its folder */
  double gain_db;
  double pan;
  char *eq, *comp;              /* element properties, NULL: none */
  double send_db;               /* to the reverb bus; -INFINITY: none */
  GArray *gain_points, *pan_points;     /* of Point */
  GmFigures in;                 /* the stem as decoded */
  char *damage;                 /* decoded short of its declared length */
  double lufs_in_mix;           /* after its processing */
} Stem;

typedef struct {
  GPtrArray *stems;             /* of Stem * */
  const char *output;
  const GmFormat *format;
  const MstTarget *master;      /* NULL: no mastering */
  gboolean json, quiet;
  const char *progress;
} Mix;

static Stem *
stem_new (const char *path)
{
  Stem *s = g_new0 (Stem, 1);
  s->path = g_strdup (path);
  s->name = g_path_get_basename (path);
  s->send_db = -INFINITY;
  s->gain_points = g_array_new (FALSE, FALSE, sizeof (Point));
  s->pan_points = g_array_new (FALSE, FALSE, sizeof (Point));
  s->lufs_in_mix = -INFINITY;
  return s;
}

static void
stem_free (gpointer p)
{
  Stem *s = p;
  g_free (s->path);
  g_free (s->name);
  g_free (s->eq);
  g_free (s->comp);
  g_free (s->damage);
  g_array_free (s->gain_points, TRUE);
  g_array_free (s->pan_points, TRUE);
  g_free (s);
}

/* The stem @key names: its path as given, its file name, or its file name
 * without the extension; NULL when none or several do. */
static Stem *
find_stem (Mix * m, const char *key)
{
  Stem *found = NULL;
  for (guint i = 0; i < m->stems->len; i++) {
    Stem *s = g_ptr_array_index (m->stems, i);
    const char *dot = strrchr (s->name, '.');
    gboolean match = !strcmp (s->path, key) || !strcmp (s->name, key)
        || (dot && strlen (key) == (size_t) (dot - s->name)
        && !strncmp (s->name, key, dot - s->name));
    if (match && found)
      return NULL;
    if (match)
      found = s;
  }
  return found;
}

/* Element properties as "name=value name::child=value ...": letters,
 * digits and . : = + - _ only, so nothing else reaches the pipeline. */
static gboolean
properties_ok (const char *v)
{
  if (!v || !*v || !strchr (v, '='))
    return FALSE;
  for (const char *c = v; *c; c++)
    if (!g_ascii_isalnum (*c) && !strchr (".:=+-_ ", *c))
      return FALSE;
  return TRUE;
}

/* NULL when every "name=value" of @props names a property of a @factory
 * element (or of its child: "band0::freq") and the value reads as its type
 * within its range; else a message naming the property. */
static char *
properties_error (const char *factory, const char *props)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  char **tok = g_strsplit_set (props, " ", -1);
  char *err = NULL;
  if (!e)
    return g_strdup_printf ("the %s element is not installed", factory);
  gst_object_ref_sink (e);
  for (int i = 0; tok[i] && !err; i++) {
    char *eq = strchr (tok[i], '=');
    GObject *target = NULL;
    GParamSpec *ps = NULL;
    GValue v = G_VALUE_INIT;
    if (!*tok[i])
      continue;
    if (!eq || eq == tok[i]) {
      err = g_strdup_printf ("'%s' is not name=value", tok[i]);
      break;
    }
    *eq = '\0';
    if (GST_IS_CHILD_PROXY (e))
      gst_child_proxy_lookup (GST_CHILD_PROXY (e), tok[i], &target, &ps);
    else if ((ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
                tok[i])))
      target = g_object_ref (G_OBJECT (e));
    if (!ps || !(ps->flags & G_PARAM_WRITABLE)) {
      err = g_strdup_printf ("%s has no property '%s' (gst-inspect-1.0 %s)",
          factory, tok[i], factory);
    } else {
      g_value_init (&v, ps->value_type);
      if (!gst_value_deserialize_with_pspec (&v, eq + 1, ps))
        err = g_strdup_printf ("%s: '%s' is not a %s", tok[i], eq + 1,
            g_type_name (ps->value_type));
      else if (g_param_value_validate (ps, &v)) {
        char *range = G_IS_PARAM_SPEC_DOUBLE (ps) ?
            g_strdup_printf (" (%g .. %g)", G_PARAM_SPEC_DOUBLE (ps)->minimum,
            G_PARAM_SPEC_DOUBLE (ps)->maximum) : G_IS_PARAM_SPEC_INT (ps) ?
            g_strdup_printf (" (%d .. %d)", G_PARAM_SPEC_INT (ps)->minimum,
            G_PARAM_SPEC_INT (ps)->maximum) : G_IS_PARAM_SPEC_UINT (ps) ?
            g_strdup_printf (" (%u .. %u)", G_PARAM_SPEC_UINT (ps)->minimum,
            G_PARAM_SPEC_UINT (ps)->maximum) : g_strdup ("");
        err = g_strdup_printf ("%s: %s is out of its range%s", tok[i],
            eq + 1, range);
        g_free (range);
      }
      g_value_unset (&v);
    }
    if (target)
      g_object_unref (target);
  }
  g_strfreev (tok);
  gst_object_unref (e);
  return err;
}

static gboolean
parse_number (const char *what, const char *v, double *out)
{
  char *end = NULL;
  double d = v ? g_ascii_strtod (v, &end) : NAN;
  if (!v || end == v || *end || !isfinite (d)) {
    fprintf (stderr, "%s: %s: '%s' is not a number\n", PROG, what,
        v ? v : "");
    return FALSE;
  }
  *out = d;
  return TRUE;
}

/* The ranges the command line and the project file share: NULL when @v
 * fits @what ("gain", "pan", "reverb_send"), else what it must be. */
static const char *
range_error (const char *what, double v)
{
  if (!strcmp (what, "pan"))
    return fabs (v) <= 100.0 ? NULL : "-100 (left) .. 100 (right)";
  /* gain and reverb_send: the volume element's range, x10. */
  return v <= MIX_MAX_GAIN_DB ? NULL : "at most +20 dB";
}

/* A per-stem option's value "STEM=VALUE" applied to its stem. */
static gboolean
stem_option (Mix * m, const char *opt, const char *v)
{
  const char *eq = v ? strchr (v, '=') : NULL;
  if (!eq) {
    fprintf (stderr, "%s: %s needs STEM=VALUE\n", PROG, opt);
    return FALSE;
  }
  char *key = g_strndup (v, eq - v);
  Stem *s = find_stem (m, key);
  const char *value = eq + 1, *range;
  char *perr;
  gboolean ok = TRUE;
  if (!s) {
    fprintf (stderr, "%s: %s: no single stem called '%s'\n", PROG, opt, key);
    ok = FALSE;
  } else if (!strcmp (opt, "--gain")) {
    ok = parse_number (opt, value, &s->gain_db);
    if (ok && (range = range_error ("gain", s->gain_db))) {
      fprintf (stderr, "%s: --gain %s: %s\n", PROG, key, range);
      ok = FALSE;
    }
  } else if (!strcmp (opt, "--pan")) {
    ok = parse_number (opt, value, &s->pan);
    if (ok && (range = range_error ("pan", s->pan))) {
      fprintf (stderr, "%s: --pan %s: %s\n", PROG, key, range);
      ok = FALSE;
    }
  } else if (!strcmp (opt, "--reverb-send")) {
    ok = parse_number (opt, value, &s->send_db);
    if (ok && (range = range_error ("reverb_send", s->send_db))) {
      fprintf (stderr, "%s: --reverb-send %s: %s\n", PROG, key, range);
      ok = FALSE;
    }
  } else {
    char **slot = !strcmp (opt, "--eq") ? &s->eq : &s->comp;
    if (!properties_ok (value)) {
      fprintf (stderr, "%s: %s %s: element properties as "
          "'name=value name=value' (letters, digits, . : + - _)\n", PROG,
          opt, key);
      ok = FALSE;
    } else if ((perr = properties_error (!strcmp (opt, "--eq") ? "eq"
                : "compressor", value))) {
      fprintf (stderr, "%s: %s %s: %s\n", PROG, opt, key, perr);
      g_free (perr);
      ok = FALSE;
    } else {
      g_free (*slot);
      *slot = g_strdup (value);
    }
  }
  g_free (key);
  return ok;
}

/* ------------------------------------------------------------------ */
/* The project file, checked as the command line is: an unknown key, a
 * value that is not a number or out of its range, automation points out
 * of time order are usage errors naming the file, the line and the key. */

typedef struct {
  const char *file;
  GHashTable *where;            /* "object/member" -> "line:col" */
} Project;

/* Where each member was read (json-glib tells it only while parsing). */
static void
on_member (JsonParser * parser, JsonObject * object, const char *member,
    gpointer data)
{
  Project *p = data;
  g_hash_table_insert (p->where, g_strdup_printf ("%p/%s", (void *) object,
          member), g_strdup_printf ("%u:%u",
          json_parser_get_current_line (parser),
          json_parser_get_current_pos (parser)));
}

/* "FILE:LINE:COL" of @member of @o (FILE alone when not known). */
static char *
where (const Project * p, JsonObject * o, const char *member)
{
  char *key = g_strdup_printf ("%p/%s", (void *) o, member);
  const char *lc = g_hash_table_lookup (p->where, key);
  g_free (key);
  return lc ? g_strdup_printf ("%s:%s", p->file, lc) : g_strdup (p->file);
}

static void G_GNUC_PRINTF (4, 5)
project_error (const Project * p, JsonObject * o, const char *member,
    const char *fmt, ...)
{
  va_list ap;
  char *at = where (p, o, member), *what;
  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "%s: %s: %s\n", PROG, at, what);
  g_free (what);
  g_free (at);
}

/* Every member of @o is one of @known (NULL-terminated). */
static gboolean
known_members (const Project * p, JsonObject * o, const char *const *known,
    const char *in)
{
  gboolean ok = TRUE;
  GList *names = json_object_get_members (o);
  for (GList * l = names; l && ok; l = l->next) {
    gboolean found = FALSE;
    for (int k = 0; known[k] && !found; k++)
      found = !strcmp (known[k], l->data);
    if (!found) {
      GString *list = g_string_new (NULL);
      for (int k = 0; known[k]; k++)
        g_string_append_printf (list, "%s%s", k ? ", " : "", known[k]);
      project_error (p, o, l->data, "%s: unknown key \"%s\" (%s)", in,
          (char *) l->data, list->str);
      g_string_free (list, TRUE);
      ok = FALSE;
    }
  }
  g_list_free (names);
  return ok;
}

/* @name of @o into *@out when present: a number within its range. */
static gboolean
member_number (const Project * p, JsonObject * o, const char *name,
    const char *stem, double *out)
{
  JsonNode *n = json_object_get_member (o, name);
  const char *range;
  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || (json_node_get_value_type (n)
          != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64)) {
    project_error (p, o, name, "stem %s: \"%s\" is not a number", stem, name);
    return FALSE;
  }
  *out = json_node_get_double (n);
  if ((range = range_error (name, *out))) {
    project_error (p, o, name, "stem %s: %s: %s", stem, name, range);
    return FALSE;
  }
  return TRUE;
}

static const char *
member_string (JsonObject * o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING ?
      json_node_get_string (n) : NULL;
}

static gboolean
read_points (const Project * pr, JsonObject * auto_obj, const char *member,
    GArray * points, const char *stem)
{
  if (!json_object_has_member (auto_obj, member))
    return TRUE;
  JsonNode *n = json_object_get_member (auto_obj, member);
  if (!JSON_NODE_HOLDS_ARRAY (n))
    goto bad;
  JsonArray *a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *pn = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_ARRAY (pn)
        || json_array_get_length (json_node_get_array (pn)) != 2)
      goto bad;
    JsonArray *pa = json_node_get_array (pn);
    for (guint k = 0; k < 2; k++) {
      JsonNode *e = json_array_get_element (pa, k);
      if (!JSON_NODE_HOLDS_VALUE (e)
          || (json_node_get_value_type (e) != G_TYPE_DOUBLE
              && json_node_get_value_type (e) != G_TYPE_INT64))
        goto bad;
    }
    Point p = { json_array_get_double_element (pa, 0),
      json_array_get_double_element (pa, 1)
    };
    const char *range;
    if (!(p.t_s >= 0.0) || !isfinite (p.t_s) || !isfinite (p.value))
      goto bad;
    if ((range = range_error (member, p.value))) {
      project_error (pr, auto_obj, member, "stem %s: automation \"%s\" "
          "point %u: %s", stem, member, i + 1, range);
      return FALSE;
    }
    if (points->len > 0
        && !(p.t_s > g_array_index (points, Point, points->len - 1).t_s)) {
      project_error (pr, auto_obj, member, "stem %s: automation \"%s\" "
          "point %u: at %g s, not after the point before it (points in "
          "increasing time order)", stem, member, i + 1, p.t_s);
      return FALSE;
    }
    g_array_append_val (points, p);
  }
  return TRUE;
bad:
  project_error (pr, auto_obj, member, "stem %s: automation \"%s\" must be "
      "a list of [seconds, value] pairs", stem, member);
  return FALSE;
}

/* Reads @file's stems and settings into @m; relative stem paths are
 * relative to the project file's folder. */
static gboolean
read_project (Mix * m, const char *file, char **output, char **master)
{
  static const char *const top_keys[] = { "output", "master", "stems",
    NULL
  };
  static const char *const stem_keys[] = { "file", "gain", "pan", "eq",
    "comp", "reverb_send", "automation", NULL
  };
  static const char *const auto_keys[] = { "gain", "pan", NULL };
  GError *err = NULL;
  JsonParser *parser = json_parser_new ();
  gboolean ok = FALSE;
  char *dir = g_path_get_dirname (file);
  Project pr = { file, g_hash_table_new_full (g_str_hash, g_str_equal,
        g_free, g_free)
  };

  g_signal_connect (parser, "object-member", G_CALLBACK (on_member), &pr);
  if (!json_parser_load_from_file (parser, file, &err)) {
    fprintf (stderr, "%s: %s: %s\n", PROG, file, err->message);
    g_clear_error (&err);
    goto out;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  JsonObject *o = json_node_get_object (root);
  if (!known_members (&pr, o, top_keys, "the project"))
    goto out;
  const char *s = member_string (o, "output");
  if (s)
    *output = g_strdup (s);
  if ((s = member_string (o, "master")))
    *master = g_strdup (s);
  JsonNode *stems = json_object_get_member (o, "stems");
  if (!stems || !JSON_NODE_HOLDS_ARRAY (stems))
    goto bad;
  JsonArray *a = json_node_get_array (stems);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *sn = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_OBJECT (sn))
      goto bad;
    JsonObject *so = json_node_get_object (sn);
    const char *path = member_string (so, "file");
    if (!path)
      goto bad;
    char *in = g_strdup_printf ("stem %s", path);
    gboolean known = known_members (&pr, so, stem_keys, in);
    g_free (in);
    if (!known)
      goto out;
    char *full = g_path_is_absolute (path) ? g_strdup (path)
        : g_build_filename (dir, path, NULL);
    Stem *st = stem_new (full);
    g_free (full);
    g_ptr_array_add (m->stems, st);
    if (!member_number (&pr, so, "gain", path, &st->gain_db)
        || !member_number (&pr, so, "pan", path, &st->pan)
        || !member_number (&pr, so, "reverb_send", path, &st->send_db))
      goto out;
    const char *eq = member_string (so, "eq"), *comp = member_string (so,
        "comp");
    if ((json_object_has_member (so, "eq") && !properties_ok (eq))
        || (json_object_has_member (so, "comp") && !properties_ok (comp))) {
      project_error (&pr, so, eq && properties_ok (eq) ? "comp" : "eq",
          "stem %s: eq and comp as 'name=value ...' (letters, digits, "
          ". : + - _)", path);
      goto out;
    }
    for (int k = 0; k < 2; k++) {
      const char *key = k ? "comp" : "eq", *v = k ? comp : eq;
      char *bad_prop = v ? properties_error (k ? "compressor" : "eq", v)
          : NULL;
      if (bad_prop) {
        project_error (&pr, so, key, "stem %s: %s: %s", path, key, bad_prop);
        g_free (bad_prop);
        goto out;
      }
    }
    st->eq = g_strdup (eq);
    st->comp = g_strdup (comp);
    JsonNode *an = json_object_get_member (so, "automation");
    if (an && !JSON_NODE_HOLDS_OBJECT (an)) {
      project_error (&pr, so, "automation", "stem %s: \"automation\" is an "
          "object: {\"gain\": [[seconds, dB], ...], \"pan\": ...}", path);
      goto out;
    }
    if (an) {
      JsonObject *ao = json_node_get_object (an);
      char *in = g_strdup_printf ("stem %s: automation", path);
      gboolean known = known_members (&pr, ao, auto_keys, in);
      g_free (in);
      if (!known || !read_points (&pr, ao, "gain", st->gain_points, path)
          || !read_points (&pr, ao, "pan", st->pan_points, path))
        goto out;
    }
  }
  ok = TRUE;
  goto out;
bad:
  fprintf (stderr, "%s: %s: not a mix project (an object with \"stems\": "
      "[{\"file\": ...}, ...]; docs/gst-master.md)\n", PROG, file);
out:
  g_hash_table_destroy (pr.where);
  g_free (dir);
  g_object_unref (parser);
  return ok;
}

/* ------------------------------------------------------------------ */
/* The pipeline                                                       */

static gboolean
has_sends (const Mix * m)
{
  for (guint i = 0; i < m->stems->len; i++)
    if (isfinite (((Stem *) g_ptr_array_index (m->stems, i))->send_db))
      return TRUE;
  return FALSE;
}

static char *
mix_desc (const Mix * m, int rate, const char *encode)
{
  GString *d = g_string_new (NULL);
  gboolean sends = has_sends (m);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (d, "audiomixer name=mix ! audio/x-raw,"
      "format=F32LE,layout=interleaved,channels=2,rate=%d ! loudmeter "
      "name=meter interval=%" G_GUINT64_FORMAT " ! queue ! %s ! "
      "fdsink name=sink ", rate, (guint64) GM_INTERVAL_NS, encode);
  if (sends)
    g_string_append (d, "audiomixer name=rev ! reverb mix=100 ! queue ! "
        "mix. ");
  /* audioresample's drain at EOS falls a frame or two short (44.1 kHz to
   * 48 kHz, quality 10: 383999 frames of 384000 for 8 s, 4799 of 4800 for
   * 0.1 s with gst-launch-1.0 on GStreamer 1.22): one silent frame where the
   * longest stem ends at the mix's rate keeps the mix that long (adding
   * 0.0 changes no sample). */
  guint64 frames = 0;
  for (guint i = 0; i < m->stems->len; i++) {
    const Stem *s = g_ptr_array_index (m->stems, i);
    if (s->in.rate_hz > 0) {
      guint64 n = (guint64) llround (s->in.duration_s * s->in.rate_hz);
      frames = MAX (frames, (n * (guint64) rate + s->in.rate_hz - 1)
          / (guint64) s->in.rate_hz);
    }
  }
  if (frames > 0)
    g_string_append_printf (d, "audiotestsrc wave=silence num-buffers=1 "
        "samplesperbuffer=1 timestamp-offset=%" G_GUINT64_FORMAT " ! "
        "audio/x-raw,format=F32LE,layout=interleaved,channels=2,rate=%d ! "
        "mix. ", gst_util_uint64_scale_int_round (frames - 1, GST_SECOND,
            rate), rate);
  for (guint i = 0; i < m->stems->len; i++) {
    const Stem *s = g_ptr_array_index (m->stems, i);
    g_ascii_dtostr (num, sizeof num, pow (10.0, s->gain_db / 20.0));
    g_string_append_printf (d, "filesrc name=src%u ! decodebin ! "
        "audioconvert ! audioresample quality=10 ! audio/x-raw,format=F32LE,"
        "layout=interleaved,rate=%d,channels=[1,2] ! volume name=gain%u "
        "volume=%s ! ", i, rate, i, num);
    if (s->eq)
      g_string_append_printf (d, "eq name=eq%u %s ! ", i, s->eq);
    if (s->comp)
      g_string_append_printf (d, "compressor name=comp%u %s ! ", i, s->comp);
    g_ascii_dtostr (num, sizeof num, s->pan);
    g_string_append_printf (d, "pan name=pan%u position=%s ! ", i, num);
    if (isfinite (s->send_db)) {
      g_string_append_printf (d, "tee name=tee%u ! queue ! ", i);
    }
    g_string_append_printf (d, "loudmeter name=stem%u "
        "measure-true-peak=false interval=%" G_GUINT64_FORMAT " ! mix. ", i,
        (guint64) (3600 * GST_SECOND));
    if (isfinite (s->send_db)) {
      g_ascii_dtostr (num, sizeof num, pow (10.0, MIN (s->send_db,
                  MIX_MAX_GAIN_DB) / 20.0));
      g_string_append_printf (d, "tee%u. ! queue ! volume volume=%s ! rev. ",
          i, num);
    }
  }
  return g_string_free (d, FALSE);
}

/* @points on @property of @element, linear between them. */
static void
automate (GstElement * pipe, const char *element, const char *property,
    GArray * points, gboolean db_to_volume)
{
  if (points->len == 0)
    return;
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), element);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  Point *first = &g_array_index (points, Point, 0);
  /* The first point's value from the start: no glide from the static one
   * when the first buffer syncs the automation. */
  g_object_set (e, property, db_to_volume ? pow (10.0, MIN (first->value,
              MIX_MAX_GAIN_DB) / 20.0) : CLAMP (first->value, -100.0,
          100.0), NULL);
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_object_add_control_binding (GST_OBJECT (e),
      gst_direct_control_binding_new_absolute (GST_OBJECT (e), property, cs));
  for (guint k = 0; k < points->len; k++) {
    Point *p = &g_array_index (points, Point, k);
    double v = db_to_volume ? pow (10.0, MIN (p->value, MIX_MAX_GAIN_DB)
        / 20.0) : CLAMP (p->value, -100.0, 100.0);
    gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
        (GstClockTime) (p->t_s * GST_SECOND), v);
  }
  gst_object_unref (cs);
  gst_object_unref (e);
}

/* Before the mix pipeline starts: the stems' files and automation. */
static void
prepare (GstElement * pipe, gpointer data)
{
  Mix *m = data;
  for (guint i = 0; i < m->stems->len; i++) {
    Stem *s = g_ptr_array_index (m->stems, i);
    char name[32];
    g_snprintf (name, sizeof name, "src%u", i);
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), name);
    g_object_set (src, "location", s->path, NULL);
    gst_object_unref (src);
    g_snprintf (name, sizeof name, "gain%u", i);
    automate (pipe, name, "volume", s->gain_points, TRUE);
    g_snprintf (name, sizeof name, "pan%u", i);
    automate (pipe, name, "position", s->pan_points, FALSE);
  }
}

/* ------------------------------------------------------------------ */
/* Running and reporting                                              */

typedef struct {
  Mix *m;
  GmJob job;                    /* the mix: its notes, figures, progress */
  GmJob master;                 /* --master: the mastering of the mix */
  gboolean mastered;
  char *tmp;                    /* the float mix mastered (master.input) */
  gint finished;
} MixRun;

static gpointer
run_mix (gpointer data)
{
  MixRun *r = data;
  Mix *m = r->m;
  GmJob *job = &r->job;
  char *errmsg = NULL, *desc = NULL, *encode = NULL;
  GmOutput out = { -1, NULL, NULL };
  int rate = 0, tmp_fd = -1;
  double longest = 0.0;

  job->passes_expected = (int) m->stems->len + 1;
  for (guint i = 0; i < m->stems->len; i++) {
    Stem *s = g_ptr_array_index (m->stems, i);
    if (g_strcmp0 (s->path, m->output) == 0) {
      errmsg = g_strdup_printf ("%s: refusing to overwrite the stem %s",
          m->output, s->path);
      goto out;
    }
    if ((errmsg = gm_check_input (s->path)))
      goto out;
  }
  /* Each stem measured as decoded: its rate, length and loudness. */
  for (guint i = 0; i < m->stems->len; i++) {
    Stem *s = g_ptr_array_index (m->stems, i);
    char *msg = NULL;
    if (!gm_measure_file (job, s->path, &s->in, NULL, NULL, &msg)) {
      errmsg = g_strdup_printf ("%s: %s", s->path, msg);
      g_free (msg);
      goto out;
    }
    /* A decoder that stops early without an error (a corrupt FLAC, a
     * truncated WAV) leaves the stem short: said, the mix goes on. */
    char *what = gm_damage_describe (&s->in);
    if (what) {
      s->damage = g_strdup_printf ("%s: %s", s->path, what);
      gm_job_note (job, GM_STATUS_WARNING, "%s", s->damage);
      g_free (what);
    }
    rate = MAX (rate, s->in.rate_hz);
    longest = MAX (longest, s->in.duration_s);
    if (i == 0)
      g_atomic_int_set (&job->total_ms, (gint) (s->in.duration_s * 1000.0)
          * job->passes_expected);
  }
  job->before.duration_s = longest;
  g_atomic_int_set (&job->total_ms, (gint) (longest * 1000.0)
      * job->passes_expected);

  if (m->master) {
    /* The mix in float, to be mastered. */
    tmp_fd = g_file_open_tmp ("gst-master-mix-XXXXXX.wav", &r->tmp, NULL);
    if (tmp_fd < 0) {
      errmsg = g_strdup ("cannot write a temporary file for the mix");
      goto out;
    }
    encode = gm_format_encode_desc (gm_format_find ("wav32f"), NULL, 0,
        FALSE);
  } else {
    if (!gm_output_open (&out, m->output, &errmsg))
      goto out;
    job->dither = gm_dither_resolve (m->format, NULL, 0, rate);
    encode = gm_format_encode_desc (m->format, job->dither, 0, TRUE);
  }
  desc = mix_desc (m, rate, encode);
  GmRunResult res = { 0 };
  res.prepare = prepare;
  res.prepare_data = m;
  res.n_stems = (int) m->stems->len;
  res.stem_lufs = g_new (double, m->stems->len);
  for (guint i = 0; i < m->stems->len; i++)
    res.stem_lufs[i] = -INFINITY;
  gboolean ran = gm_run_pipeline (job, desc, NULL, m->master ? tmp_fd
      : out.fd, "meter", &res, &errmsg);
  for (guint i = 0; i < m->stems->len; i++)
    ((Stem *) g_ptr_array_index (m->stems, i))->lufs_in_mix =
        res.stem_lufs[i];
  g_free (res.stem_lufs);
  if (!ran)
    goto out;
  job->after = res.fig;
  job->out_rate_hz = rate;
  if (job->after.sample_peak_dbfs > 0.0 && !m->master && m->format->bits)
    gm_job_note (job, GM_STATUS_WARNING, "the mix peaks at %+.2f dBFS: "
        "clipped in the %d-bit file (write float: -o NAME.wav, or "
        "--master TARGET)", job->after.sample_peak_dbfs, m->format->bits);
  else if (job->after.sample_peak_dbfs > 0.0 && !m->master)
    gm_job_note (job, GM_STATUS_WARNING, "the mix peaks at %+.2f dBFS: kept "
        "in the float file, but it clips when played or converted to "
        "integers (lower the gains, or --master TARGET)",
        job->after.sample_peak_dbfs);
  if (m->master) {
    GmMasterOptions mo = { 0 };
    mo.target = m->master;
    mo.loudness_lufs = NAN;
    mo.max_gain_db = 36.0;
    mo.max_limiting_db = 12.0;
    mo.headroom_db = NAN;
    mo.mono_below_hz = NAN;
    close (tmp_fd);
    tmp_fd = -1;
    gm_job_init (&r->master, r->tmp);
    r->master.output = g_strdup (m->output);
    r->master.format = m->format;
    r->master.target_lufs = m->master->loudness_lufs;
    r->master.ceiling_dbtp = m->master->ceiling_dbtp;
    gm_master_job (&r->master, &mo, &r->master, 1);
    r->mastered = TRUE;
    if (r->master.status == GM_STATUS_ERROR)
      gm_job_note (job, GM_STATUS_ERROR, "%s: not mastered", m->output);
  } else if (!gm_output_commit (&out, m->output, &errmsg)) {
    goto out;
  }

out:
  if (errmsg) {
    gm_job_note (job, GM_STATUS_ERROR, "%s", errmsg);
    g_free (errmsg);
    if (out.fd >= 0)
      gm_output_discard (&out);
  }
  if (tmp_fd >= 0)
    close (tmp_fd);
  g_free (desc);
  g_free (encode);
  g_atomic_int_set (&job->finished, 1);
  g_atomic_int_set (&r->finished, 1);
  return NULL;
}

static char *
fmt_num (double v, int decimals)
{
  return isfinite (v) ? g_strdup_printf ("%.*f", decimals, v)
      : g_strdup ("-");
}

/* The stems' loudness in the mix and their share of its power (the sum of
 * their powers; correlated stems add more than that). */
static void
print_table (const MixRun * r)
{
  const Mix *m = r->m;
  const GmFigures *f = &r->job.after;
  double total = 0.0;
  for (guint i = 0; i < m->stems->len; i++) {
    const Stem *s = g_ptr_array_index (m->stems, i);
    if (isfinite (s->lufs_in_mix))
      total += pow (10.0, s->lufs_in_mix / 10.0);
  }
  printf ("%-28s %8s %7s %6s %6s %9s %6s\n", "stem", "in LUFS", "gain",
      "pan", "send", "mix LUFS", "share");
  for (guint i = 0; i < m->stems->len; i++) {
    const Stem *s = g_ptr_array_index (m->stems, i);
    char *in = fmt_num (s->in.integrated_lufs, 1);
    char *send = fmt_num (s->send_db, 1);
    char *lm = fmt_num (s->lufs_in_mix, 1);
    char *share = fmt_num (total > 0.0 && isfinite (s->lufs_in_mix) ?
        100.0 * pow (10.0, s->lufs_in_mix / 10.0) / total : NAN, 0);
    char *gain = s->gain_points->len ? g_strdup ("auto")
        : g_strdup_printf ("%+.1f", s->gain_db);
    char *pan = s->pan_points->len ? g_strdup ("auto")
        : g_strdup_printf ("%.0f", s->pan);
    printf ("%-28.28s %8s %7s %6s %6s %9s %5s%%\n", s->name, in, gain, pan,
        send, lm, share);
    g_free (gain);
    g_free (pan);
    g_free (in);
    g_free (send);
    g_free (lm);
    g_free (share);
  }
  char *i = fmt_num (f->integrated_lufs, 2), *tp = fmt_num (f->true_peak_dbtp,
      2), *sp = fmt_num (f->sample_peak_dbfs, 2), *lra = fmt_num (f->range_lu,
      2);
  printf ("mix %s: %s LUFS, LRA %s LU, true peak %s dBTP, sample peak %s "
      "dBFS, %.2f s at %d Hz\n", m->master ? "(before mastering)" : m->output,
      i, lra, tp, sp, f->duration_s, r->job.out_rate_hz);
  g_free (i);
  g_free (tp);
  g_free (sp);
  g_free (lra);
  for (guint k = 0; k < r->job.notes->len; k++)
    printf ("  note: %s\n", (char *) g_ptr_array_index (r->job.notes, k));
}

/* @v, or null when not finite or not measured (!@valid): 0.0 is a
 * reading, never a placeholder. */
static void
json_num_if (JsonBuilder * b, const char *key, double v, gboolean valid)
{
  gm_json_number (b, key, valid ? v : NAN);
}

static char *
mix_json (const MixRun * r)
{
  const Mix *m = r->m;
  const GmFigures *f = &r->job.after;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "output");
  json_builder_add_string_value (b, m->output);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, gm_job_status_name (&r->job));
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint k = 0; k < r->job.notes->len; k++)
    json_builder_add_string_value (b, g_ptr_array_index (r->job.notes, k));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "mix");
  json_builder_begin_object (b);
  json_num_if (b, "integrated_lufs", f->integrated_lufs, f->valid);
  json_num_if (b, "loudness_range_lu", f->range_lu, f->valid);
  json_num_if (b, "true_peak_dbtp", f->true_peak_dbtp, f->valid);
  json_num_if (b, "sample_peak_dbfs", f->sample_peak_dbfs, f->valid);
  json_num_if (b, "duration_s", f->duration_s, f->valid);
  json_builder_set_member_name (b, "rate_hz");
  if (f->valid && r->job.out_rate_hz > 0)
    json_builder_add_int_value (b, r->job.out_rate_hz);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "stems");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->stems->len; i++) {
    const Stem *s = g_ptr_array_index (m->stems, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, s->path);
    json_num_if (b, "input_lufs", s->in.integrated_lufs, s->in.valid);
    json_num_if (b, "input_duration_s", s->in.duration_s, s->in.valid);
    json_num_if (b, "declared_duration_s", s->in.declared_s, s->in.valid);
    gm_json_number (b, "gain_db", s->gain_db);
    gm_json_number (b, "pan", s->pan);
    gm_json_number (b, "reverb_send_db", s->send_db);
    gm_json_number (b, "mix_lufs", s->lufs_in_mix);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  if (r->mastered) {
    json_builder_set_member_name (b, "master");
    gm_report_json_job (b, &r->master, TRUE);
  }
  json_builder_end_object (b);
  JsonGenerator *g = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  char *text = json_generator_to_data (g, NULL);
  json_node_unref (root);
  g_object_unref (g);
  g_object_unref (b);
  return text;
}

static void
usage_mix (FILE * f)
{
  fprintf (f, "Usage: " PROG " mix STEM... -o OUT [OPTION...]\n"
      "       " PROG " mix --project FILE.json [-o OUT] [OPTION...]\n"
      "Stems are decoded (any format and rate), converted once, processed "
      "and summed in\n"
      "float. STEM in an option is a stem's path, file name, or file name "
      "without its\nextension.\n"
      "  -o, --output OUT        the mix (a .wav is 32-bit float; other "
      "formats as master)\n"
      "      --gain STEM=DB      the stem's gain (up to +20)\n"
      "      --pan STEM=POS      -100 (left) .. 100 (right), the -3 dB "
      "law\n"
      "      --eq STEM=PROPS     an eq on the stem: 'band0::freq=200 "
      "band0::gain=-3'\n"
      "      --comp STEM=PROPS   a compressor: 'threshold=-20 ratio=3'\n"
      "      --reverb-send STEM=DB  to the shared reverb bus\n"
      "      --master TARGET     master the mix to TARGET (as the master "
      "command)\n"
      "      --project FILE      stems, settings and automation points "
      "(JSON)\n"
      "      --json              machine-readable report on stdout\n"
      "      --progress MODE     bar, json or none\n"
      "  -q, --quiet             no progress\n");
}

int
gm_mix_main (int argc, char **argv)
{
  Mix m = { 0 };
  char *project_output = NULL, *project_master = NULL;
  const char *project = NULL, *master_name = NULL;
  int status;

  /* Help needs no plugin. */
  for (int i = 1; i < argc; i++)
    if (!strcmp (argv[i], "-h") || !strcmp (argv[i], "--help")) {
      usage_mix (stdout);
      return 0;
    }
  gst_init (NULL, NULL);
  if (!gst_registry_check_feature_version (gst_registry_get (), "loudmeter",
          0, 0, 0) || !gst_registry_check_feature_version (gst_registry_get
          (), "pan", 0, 0, 0)) {
    fprintf (stderr, "%s: the mastering plugin (loudmeter, pan) is not "
        "installed; set GST_PLUGIN_PATH to its build folder\n", PROG);
    return 1;
  }
  m.stems = g_ptr_array_new_with_free_func (stem_free);
  /* The project first: options on the command line then override it. */
  for (int i = 1; i < argc; i++)
    if (!strcmp (argv[i], "--project") && i + 1 < argc)
      project = argv[i + 1];
  if (project && !read_project (&m, project, &project_output,
          &project_master))
    return 2;
  /* Stems named on the command line, then the per-stem options. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      const char *v = i + 1 < argc ? argv[i + 1] : NULL;
      gboolean takes_value = !strcmp (a, "-o") || !strcmp (a, "--output")
          || !strcmp (a, "--gain") || !strcmp (a, "--pan")
          || !strcmp (a, "--eq") || !strcmp (a, "--comp")
          || !strcmp (a, "--reverb-send") || !strcmp (a, "--master")
          || !strcmp (a, "--project") || !strcmp (a, "--progress");
      if (takes_value && !v) {
        fprintf (stderr, "%s: %s needs a value\n", PROG, a);
        return 2;
      }
      if (pass == 0) {
        if (!strcmp (a, "-h") || !strcmp (a, "--help")) {
          usage_mix (stdout);
          return 0;
        } else if (!strcmp (a, "-o") || !strcmp (a, "--output"))
          m.output = v;
        else if (!strcmp (a, "--master"))
          master_name = v;
        else if (!strcmp (a, "--json"))
          m.json = TRUE;
        else if (!strcmp (a, "-q") || !strcmp (a, "--quiet"))
          m.quiet = TRUE;
        else if (!strcmp (a, "--progress")) {
          if (strcmp (v, "bar") && strcmp (v, "json") && strcmp (v, "none")) {
            fprintf (stderr, "%s: --progress '%s': bar, json or none\n",
                PROG, v);
            return 2;
          }
          m.progress = v;
        } else if (a[0] == '-' && !takes_value) {
          fprintf (stderr, "%s: mix: unknown option '%s'\n", PROG, a);
          usage_mix (stderr);
          return 2;
        } else if (!takes_value)
          g_ptr_array_add (m.stems, stem_new (a));
      } else if (takes_value && strcmp (a, "-o") && strcmp (a, "--output")
          && strcmp (a, "--master") && strcmp (a, "--project")
          && strcmp (a, "--progress") && !stem_option (&m, a, v)) {
        return 2;
      }
      if (takes_value)
        i++;
    }
  if (!m.output)
    m.output = project_output;
  if (!master_name)
    master_name = project_master;
  /* The same file twice would be summed twice (+6 dB) and make a STEM
   * in an option ambiguous. */
  for (guint i = 0; i < m.stems->len; i++)
    for (guint k = 0; k < i; k++) {
      Stem *a = g_ptr_array_index (m.stems, k), *b = g_ptr_array_index
          (m.stems, i);
      char *ca = g_canonicalize_filename (a->path, NULL);
      char *cb = g_canonicalize_filename (b->path, NULL);
      gboolean same = !strcmp (ca, cb);
      g_free (ca);
      g_free (cb);
      if (same) {
        fprintf (stderr, "%s: the stem %s is given twice (to double it, "
            "raise its --gain by 6 dB)\n", PROG, b->path);
        return 2;
      }
    }
  if (m.stems->len == 0 || !m.output) {
    fprintf (stderr, "%s: mix needs stems and -o OUT\n", PROG);
    usage_mix (stderr);
    return 2;
  }
  if (master_name && !(m.master = mst_target_find (master_name))) {
    fprintf (stderr, "%s: unknown target '%s'\n", PROG, master_name);
    return 2;
  }
  {
    char *err = NULL;
    const char *dot = strrchr (m.output, '.');
    /* A mix keeps its overs: a WAV mix is float, unless it is mastered
     * (then as the master command writes it). */
    if (!m.master && dot && !g_ascii_strcasecmp (dot, ".wav"))
      m.format = gm_format_find ("wav32f");
    else if (!(m.format = gm_format_for_output (m.output, m.master ?
                m.master->pcm_bits : 0, &err))) {
      fprintf (stderr, "%s: %s\n", PROG, err);
      g_free (err);
      return 2;
    }
  }
  for (guint i = 0; i < m.stems->len; i++) {
    Stem *s = g_ptr_array_index (m.stems, i);
    if (isfinite (s->send_db)
        && !gst_element_factory_find ("reverb")) {
      fprintf (stderr, "%s: --reverb-send needs the reverb element of the "
          "mastering plugin\n", PROG);
      return 2;
    }
  }

  gm_run_catch_signals ();
  gm_output_init ();
  MixRun r = { 0 };
  r.m = &m;
  gm_job_init (&r.job, m.output);
  r.job.output = g_strdup (m.output);
  GmProgress progress = { 0 };
  progress.jobs = &r.job;
  progress.n_jobs = 1;
  progress.mode = !m.progress ? (!m.quiet && isatty (STDERR_FILENO) ?
      GM_PROGRESS_BAR : GM_PROGRESS_NONE) : !strcmp (m.progress, "json") ?
      GM_PROGRESS_JSON : !strcmp (m.progress, "bar") ? GM_PROGRESS_BAR
      : GM_PROGRESS_NONE;
  progress.start_us = g_get_monotonic_time ();
  GThread *t = g_thread_new ("gst-master-mix", run_mix, &r);
  while (progress.mode != GM_PROGRESS_NONE && !g_atomic_int_get (&r.finished)
      && !gm_interrupted) {
    g_mutex_lock (&progress.lock);
    gm_progress_draw_locked (&progress);
    g_mutex_unlock (&progress.lock);
    g_usleep (200 * 1000);
  }
  g_thread_join (t);
  g_mutex_lock (&progress.lock);
  gm_progress_clear_locked (&progress);
  g_mutex_unlock (&progress.lock);
  if (gm_interrupted) {
    fprintf (stderr, "%s: interrupted; no output file left behind\n", PROG);
    return 130;
  }
  /* Damaged stems on stderr as well, with the report on stdout. */
  for (guint i = 0; i < m.stems->len; i++) {
    Stem *s = g_ptr_array_index (m.stems, i);
    if (s->damage && r.job.status != GM_STATUS_ERROR)
      fprintf (stderr, "%s: warning: %s\n", PROG, s->damage);
  }
  if (r.job.status == GM_STATUS_ERROR && !m.json)
    for (guint k = 0; k < r.job.notes->len; k++)
      fprintf (stderr, "%s: %s\n", PROG,
          (char *) g_ptr_array_index (r.job.notes, k));
  if (m.json) {
    char *text = mix_json (&r);
    puts (text);
    g_free (text);
  } else if (r.job.status != GM_STATUS_ERROR || r.job.after.valid) {
    print_table (&r);
    if (r.mastered && r.master.status != GM_STATUS_ERROR)
      gm_report_print_master (&r.master);
  }
  if (r.mastered && r.master.status == GM_STATUS_ERROR && !m.json)
    for (guint k = 0; k < r.master.notes->len; k++)
      fprintf (stderr, "%s: %s\n", PROG,
          (char *) g_ptr_array_index (r.master.notes, k));
  if (r.tmp) {
    g_unlink (r.tmp);
    g_free (r.tmp);
  }
  status = r.job.status == GM_STATUS_ERROR ? 1 : 0;
  g_ptr_array_free (m.stems, TRUE);
  g_free (project_output);
  g_free (project_master);
  return status;
}
