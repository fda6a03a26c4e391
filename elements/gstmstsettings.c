/* mastering: the settings snapshot of the element bases. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmstsettings.h"

#include <string.h>

void
gst_mst_settings_snapshot_init (GstMstSettingsSnapshot * snap, gsize size)
{
  if (snap->size != size) {
    gst_mst_settings_snapshot_clear (snap);
    snap->size = size;
    if (size > 0) {
      snap->staged = g_malloc0 (size);
      snap->applied = g_malloc0 (size);
    }
  }
  snap->valid = FALSE;
}

void
gst_mst_settings_snapshot_clear (GstMstSettingsSnapshot * snap)
{
  g_clear_pointer (&snap->staged, g_free);
  g_clear_pointer (&snap->applied, g_free);
  snap->size = 0;
  snap->valid = FALSE;
}

void
gst_mst_settings_snapshot_invalidate (GstMstSettingsSnapshot * snap)
{
  snap->valid = FALSE;
}

gboolean
gst_mst_settings_snapshot_take (GstMstSettingsSnapshot * snap,
    GstObject * owner, gconstpointer settings, gconstpointer * copy)
{
  *copy = NULL;
  if (snap->size == 0) {
    gboolean first = !snap->valid;
    snap->valid = TRUE;
    return first;
  }
  GST_OBJECT_LOCK (owner);
  memcpy (snap->staged, settings, snap->size);
  GST_OBJECT_UNLOCK (owner);
  if (snap->valid && memcmp (snap->staged, snap->applied, snap->size) == 0)
    return FALSE;
  memcpy (snap->applied, snap->staged, snap->size);
  snap->valid = TRUE;
  *copy = snap->applied;
  return TRUE;
}
