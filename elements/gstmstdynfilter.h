/* mastering: GstMstDynFilter, the abstract base of the dynamics elements
 * keyed by their own input (gate, deesser): one MstDynamics core
 * (gst/mst-dynamics.h) on the delaying base, its lookahead the latency. */
#ifndef GST_MST_DYN_FILTER_H
#define GST_MST_DYN_FILTER_H

#include <gst/gst.h>
#include "mst-dynamics.h"
#include "gstmstdelayfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_MST_DYN_FILTER (gst_mst_dyn_filter_get_type ())
#define GST_MST_DYN_FILTER(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), \
      GST_TYPE_MST_DYN_FILTER, GstMstDynFilter))

typedef struct _GstMstDynFilter GstMstDynFilter;
typedef struct _GstMstDynFilterClass GstMstDynFilterClass;

/**
 * GstMstDynFilterClass:
 *
 * The base reads and writes every property that a subclass installs with
 * gst_mst_dyn_filter_install() (a field of MstDynamicsSettings), and owns
 * lookahead, bypass, gain-reduction, interval and post-messages
 * (gst_mst_dyn_filter_install_common()). Its messages carry
 * "gain-reduction" (the deepest cut of the interval, dB >= 0) and
 * "gain-reduction-current", the limiter's shape.
 */
struct _GstMstDynFilterClass
{
  GstMstDelayFilterClass parent_class;
};

struct _GstMstDynFilter
{
  GstMstDelayFilter parent;

  /* < private > */
  /* Under GST_OBJECT_LOCK. */
  MstDynamicsSettings settings;
  gdouble lookahead_ms;
  gdouble gain_reduction_db;    /* read-only, the latest (>= 0) */

  /* Streaming state. */
  MstDynamics *core;
};

GType gst_mst_dyn_filter_get_type (void);

typedef enum
{
  /* The property is in %, the field 0 .. 1. */
  GST_MST_DYN_PERCENT = 1 << 0,
  /* A filter frequency in Hz where 0 is off: a value between 0 and the
   * core's lowest is raised to it. */
  GST_MST_DYN_HZ_OR_OFF = 1 << 1,
} GstMstDynFieldFlags;

#define GST_MST_DYN_FIELD(field) G_STRUCT_OFFSET (MstDynamicsSettings, field)

/* @pspec (double, boolean or enum) installed as @prop_id of @klass, the
 * property being the MstDynamicsSettings field at offset @field. */
void gst_mst_dyn_filter_install (GObjectClass * klass, guint prop_id,
    GParamSpec * pspec, gsize field, GstMstDynFieldFlags flags);

/* A controllable double property @name (@nick, @blurb, @min .. @max) of
 * the field at @field, its default read there in @d. */
void gst_mst_dyn_filter_install_double (GObjectClass * klass, guint prop_id,
    const gchar * name, const gchar * nick, const gchar * blurb, gdouble min,
    gdouble max, const MstDynamicsSettings * d, gsize field);

/* attack and release, as ids @attack_id and @attack_id + 1: one-pole time
 * constants, their blurbs "@attack_what" and "@release_what" followed by
 * the convention (63 % of the gain change in dB at T). */
void gst_mst_dyn_filter_install_times (GObjectClass * klass, guint attack_id,
    const MstDynamicsSettings * d, const gchar * attack_what,
    const gchar * release_what);

/* knee, detector, rms-window, link, mix, lookahead, bypass,
 * gain-reduction, interval and post-messages, as ids @first_id to
 * @first_id + GST_MST_DYN_N_COMMON - 1, with the defaults of @d, for
 * messages named @message_name (which the class posts). */
#define GST_MST_DYN_N_COMMON 10
void gst_mst_dyn_filter_install_common (GObjectClass * klass, guint first_id,
    const gchar * message_name, const MstDynamicsSettings * d);

/* The "detector" property's enum (MstDynamicsDetector's values). */

/* For the subclass's instance init: its defaults (one of the core's
 * mst_dynamics_settings_*). */
void gst_mst_dyn_filter_set_defaults (GstMstDynFilter * self,
    void (*settings_default) (MstDynamicsSettings * s));

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstMstDynFilter, gst_object_unref)

G_END_DECLS
#endif
