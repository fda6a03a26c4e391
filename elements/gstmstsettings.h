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
  gboolean valid;               /* @applied holds what was handed over */
  /* What the core last accepted (at first the settings the element was
   * constructed with, the core's defaults), and the properties named by
   * the last refusal warned about (NULL: none since the last
   * acceptance). */
  gpointer accepted;
  gchar *warned;
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

/* The same in two halves, for a caller that reads more under the owner's
 * lock: the copy (the caller holds the lock), then, after the unlock, the
 * comparison. */
void gst_mst_settings_snapshot_stage (GstMstSettingsSnapshot * snap,
    gconstpointer settings);
gboolean gst_mst_settings_snapshot_take_staged (GstMstSettingsSnapshot *
    snap, gconstpointer * copy);

/* At the element's construction (GObject constructed, before any property
 * is set): sized for @size bytes, and the @settings the element starts
 * with taken as what its core has. */
void gst_mst_settings_snapshot_construct (GstMstSettingsSnapshot * snap,
    gsize size, gconstpointer settings);

/* After the copy of the last take went to the core: @accepted, it is what
 * the core has. Refused, the core kept the last accepted settings; then,
 * unless a property was set since the copy (the newer settings are tried
 * next), the element's @settings are set back to the accepted ones under
 * @owner's lock and the properties that changed are notified: a property
 * reads back the value in use, never one the core refused. A
 * GST_ELEMENT_WARNING names the refused values and the ones kept (the
 * properties of @owner and of its GstChildProxy children that are
 * GST_PARAM_MUTABLE_PLAYING) and @hint, what the core requires (may be
 * NULL); once per refusal: a refusal of the same properties again (an
 * automation curve held in a refused range) is not warned about until
 * settings were accepted in between. In the streaming thread, no lock
 * held; only a refusal allocates. */
void gst_mst_settings_snapshot_done (GstMstSettingsSnapshot * snap,
    GstElement * owner, gpointer settings, gboolean accepted,
    const gchar * hint);

G_END_DECLS
#endif
