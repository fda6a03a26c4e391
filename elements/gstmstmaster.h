/* mastering: master, a bin that wires the mastering chain. */
#ifndef GST_MST_MASTER_H
#define GST_MST_MASTER_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MST_MASTER (gst_mst_master_get_type ())
G_DECLARE_FINAL_TYPE (GstMstMaster, gst_mst_master, GST, MST_MASTER, GstBin)

#define GST_TYPE_MST_MASTER_TARGET (gst_mst_master_target_get_type ())
GType gst_mst_master_target_get_type (void);
#define GST_TYPE_MST_MASTER_DYNAMICS (gst_mst_master_dynamics_get_type ())
GType gst_mst_master_dynamics_get_type (void);
#define GST_TYPE_MST_MASTER_DITHER (gst_mst_master_dither_get_type ())
GType gst_mst_master_dither_get_type (void);
#define GST_TYPE_MST_MASTER_CLEAN (gst_mst_master_clean_get_type ())
GType gst_mst_master_clean_get_type (void);

/* The clean-up stages the bin can put at the head of its chain. */
#define GST_MST_MASTER_MAX_CLEAN 4

struct _GstMstMaster
{
  GstBin parent;

  /* < private > */
  GstElement *convert, *resample, *eq, *mbcomp, *imager, *loudnorm, *limiter;
  GstElement *rate, *dither, *format;
  /* The clean-up stages chosen, in their order (NULL: not in the chain);
   * changed in the NULL or READY state only. */
  GstElement *clean[GST_MST_MASTER_MAX_CLEAN];
  guint clean_flags;            /* GstMstMasterClean */
  /* The imager (stereo only) is in the chain for stereo streams; others go
   * from mbcomp to loudnorm (relinked at caps, in the streaming thread). */
  gboolean imager_linked;
  GstPad *sinkpad, *srcpad;
  gboolean chain_ok;            /* every stage made and linked */

  /* Settings, under GST_OBJECT_LOCK. */
  gint target;                  /* index into mst_targets () */
  gdouble loudness, ceiling;
  gboolean loudness_set;        /* loudness given after the target */
  gboolean normalize;
  gdouble mono_below;           /* imager mono-below (Hz), set by target */
  gint dynamics;                /* GstMstMasterDynamics: mbcomp's bands */
  gint dither_choice;           /* GstMstMasterDither */
  gint channels;                /* of the current caps, 0 before them */
  /* The output's integer word (0: float) and rate, from the caps after
   * the dither child. */
  gint out_bits, out_rate;
  /* The target whose format the capsfilter holds (-1: none yet). */
  gint format_target;
  guint settings_seq;           /* bumped by every change of the above */

  /* Held while the settings are written into the children, so they get
   * them in the order the copies were taken (lock order in
   * gstmstmaster.c, apply_settings). */
  GRecMutex apply_lock;
};

GST_ELEMENT_REGISTER_DECLARE (master);

G_END_DECLS
#endif
