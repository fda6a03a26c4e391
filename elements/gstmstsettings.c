/* mastering: the settings snapshot of the element bases. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstsettings.h"

#include <string.h>
#include <gst/gstchildproxy.h>

void
gst_mst_settings_snapshot_init (GstMstSettingsSnapshot * snap, gsize size)
{
  if (snap->size != size) {
    gst_mst_settings_snapshot_clear (snap);
    snap->size = size;
    if (size > 0) {
      snap->staged = g_malloc0 (size);
      snap->applied = g_malloc0 (size);
      snap->accepted = g_malloc0 (size);
    }
  }
  snap->valid = FALSE;
}

void
gst_mst_settings_snapshot_clear (GstMstSettingsSnapshot * snap)
{
  g_clear_pointer (&snap->staged, g_free);
  g_clear_pointer (&snap->applied, g_free);
  g_clear_pointer (&snap->accepted, g_free);
  g_clear_pointer (&snap->warned, g_free);
  snap->size = 0;
  snap->valid = FALSE;
}

void
gst_mst_settings_snapshot_invalidate (GstMstSettingsSnapshot * snap)
{
  snap->valid = FALSE;
}

void
gst_mst_settings_snapshot_stage (GstMstSettingsSnapshot * snap,
    gconstpointer settings)
{
  if (snap->size > 0)
    memcpy (snap->staged, settings, snap->size);
}

gboolean
gst_mst_settings_snapshot_take (GstMstSettingsSnapshot * snap,
    GstObject * owner, gconstpointer settings, gconstpointer * copy)
{
  if (snap->size > 0) {
    GST_OBJECT_LOCK (owner);
    gst_mst_settings_snapshot_stage (snap, settings);
    GST_OBJECT_UNLOCK (owner);
  }
  return gst_mst_settings_snapshot_take_staged (snap, copy);
}

gboolean
gst_mst_settings_snapshot_take_staged (GstMstSettingsSnapshot * snap,
    gconstpointer * copy)
{
  *copy = NULL;
  if (snap->size == 0) {
    gboolean first = !snap->valid;
    snap->valid = TRUE;
    return first;
  }
  if (snap->valid && memcmp (snap->staged, snap->applied, snap->size) == 0)
    return FALSE;
  memcpy (snap->applied, snap->staged, snap->size);
  snap->valid = TRUE;
  *copy = snap->applied;
  return TRUE;
}

void
gst_mst_settings_snapshot_construct (GstMstSettingsSnapshot * snap,
    gsize size, gconstpointer settings)
{
  gst_mst_settings_snapshot_init (snap, size);
  if (size > 0)
    memcpy (snap->accepted, settings, size);
}

/* One property's value, read before and after the settings went back. */
typedef struct
{
  GObject *object;
  GParamSpec *pspec;
  GValue refused, kept;
} PropertyValue;

static void
property_value_clear (gpointer data)
{
  PropertyValue *p = data;
  g_value_unset (&p->refused);
  if (G_IS_VALUE (&p->kept))
    g_value_unset (&p->kept);
  g_object_unref (p->object);
}

/* The settings' properties: those of @object that may change while
 * playing, and (@children) those of its GstChildProxy children. */
static void
read_properties (GObject * object, gboolean children, GArray * out)
{
  guint n;
  GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);

  for (guint i = 0; i < n; i++) {
    const GParamFlags wanted = G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING;
    PropertyValue p = { NULL, pspecs[i], G_VALUE_INIT, G_VALUE_INIT };
    if ((pspecs[i]->flags & wanted) != wanted)
      continue;
    p.object = g_object_ref (object);
    g_value_init (&p.refused, pspecs[i]->value_type);
    g_object_get_property (object, pspecs[i]->name, &p.refused);
    g_array_append_val (out, p);
  }
  g_free (pspecs);
  if (children && GST_IS_CHILD_PROXY (object)) {
    GstChildProxy *proxy = GST_CHILD_PROXY (object);
    guint n_children = gst_child_proxy_get_children_count (proxy);
    for (guint c = 0; c < n_children; c++) {
      GObject *child = gst_child_proxy_get_child_by_index (proxy, c);
      if (child) {
        read_properties (child, FALSE, out);
        g_object_unref (child);
      }
    }
  }
}

/* A value as gst-launch takes it; a double to 15 digits, as it was
 * typed rather than its binary expansion. */
static gchar *
value_text (const GValue * v)
{
  if (G_VALUE_HOLDS_DOUBLE (v))
    return g_strdup_printf ("%.15g", g_value_get_double (v));
  return gst_value_serialize (v);
}

/* "name=refused (in use: kept)" for each property that went back, each
 * notified; the names alone into @names. */
static void
describe_reverted (GstElement * owner, GArray * values, GString * text,
    GString * names)
{
  for (guint i = 0; i < values->len; i++) {
    PropertyValue *p = &g_array_index (values, PropertyValue, i);
    gchar *refused, *kept;
    g_value_init (&p->kept, p->pspec->value_type);
    g_object_get_property (p->object, p->pspec->name, &p->kept);
    if (g_param_values_cmp (p->pspec, &p->refused, &p->kept) == 0)
      continue;
    refused = value_text (&p->refused);
    kept = value_text (&p->kept);
    g_string_append_printf (text, "%s%s%s%s=%s (in use: %s)",
        text->len ? ", " : "", p->object == G_OBJECT (owner) ? "" :
        GST_OBJECT_NAME (p->object), p->object == G_OBJECT (owner) ? "" :
        "::", p->pspec->name, refused, kept);
    g_string_append_printf (names, "%s%s ", p->object == G_OBJECT (owner) ?
        "" : GST_OBJECT_NAME (p->object), p->pspec->name);
    g_free (refused);
    g_free (kept);
    g_object_notify_by_pspec (p->object, p->pspec);
  }
}

void
gst_mst_settings_snapshot_done (GstMstSettingsSnapshot * snap,
    GstElement * owner, gpointer settings, gboolean accepted,
    const gchar * hint)
{
  GArray *values;
  GString *text, *names;
  gboolean reverted = FALSE;

  if (snap->size == 0)
    return;
  if (accepted) {
    memcpy (snap->accepted, snap->applied, snap->size);
    g_clear_pointer (&snap->warned, g_free);
    return;
  }
  values = g_array_new (FALSE, TRUE, sizeof (PropertyValue));
  g_array_set_clear_func (values, property_value_clear);
  read_properties (G_OBJECT (owner), TRUE, values);
  GST_OBJECT_LOCK (owner);
  if (memcmp (settings, snap->applied, snap->size) == 0) {
    memcpy (settings, snap->accepted, snap->size);
    /* What is handed over next is compared with what the core has. */
    memcpy (snap->applied, snap->accepted, snap->size);
    reverted = TRUE;
  }
  GST_OBJECT_UNLOCK (owner);
  text = g_string_new (NULL);
  names = g_string_new (NULL);
  if (reverted)
    describe_reverted (owner, values, text, names);
  else
    g_string_append (text, "properties set since are tried next");
  if (!snap->warned || strcmp (snap->warned, names->str) != 0) {
    GST_ELEMENT_WARNING (owner, LIBRARY, SETTINGS,
        ("Settings refused, the last accepted ones stay in use: %s",
            text->str), ("%s", hint ? hint : "the core refused the "
            "combination (each value is within its property's range)"));
    g_free (snap->warned);
    snap->warned = g_strdup (names->str);
  }
  g_string_free (text, TRUE);
  g_string_free (names, TRUE);
  g_array_free (values, TRUE);
}
