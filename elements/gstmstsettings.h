/* mastering: how every element base hands its settings to the streaming
 * thread, and how often it follows automation. */
#ifndef GST_MST_SETTINGS_H
#define GST_MST_SETTINGS_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Automation is sampled every this many frames (1.3 ms at 48 kHz): the
 * cores glide between the values, so a control curve is followed without
 * steps and without a controller call per frame. */
#define GST_MST_CONTROL_FRAMES 64

/* A subclass keeps its settings struct in its instance and writes it under
 * GST_OBJECT_LOCK from set_property. The streaming thread takes a copy
 * under the lock (nothing else is done under it) and hands the copy to the
 * core only when it differs from the last one handed over. */
typedef struct
{
  gsize size;
  gpointer staged, applied;
  gboolean valid;               /* @applied holds what the core has */
} GstMstSettingsSnapshot;

/* Sized for a settings struct of @size bytes (0: none); outside the
 * streaming of buffers. */
void gst_mst_settings_snapshot_init (GstMstSettingsSnapshot * snap,
    gsize size);
void gst_mst_settings_snapshot_clear (GstMstSettingsSnapshot * snap);

/* The next take hands the settings over even if unchanged (a new core). */
void gst_mst_settings_snapshot_invalidate (GstMstSettingsSnapshot * snap);

/* Copies the @snap->size bytes at @settings under @owner's lock. TRUE when
 * they are to be handed to the core: they differ from the last ones, or
 * the snapshot was invalidated; *@copy is then the copy (NULL for size 0),
 * and it counts as handed over. */
gboolean gst_mst_settings_snapshot_take (GstMstSettingsSnapshot * snap,
    GstObject * owner, gconstpointer settings, gconstpointer * copy);

G_END_DECLS
#endif
