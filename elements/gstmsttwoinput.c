/* mastering: GstMstTwoInput, the streaming of the elements with a key input
 * (the compressor's sidechain, later the mix bus), on GstAggregator.
 *
 * The main input drives everything: each main buffer is copied into an
 * output buffer with its metadata, processed in place in runs, and pushed
 * once all its frames have their key. A run ends where the key's source
 * changes (a sidechain buffer's end, the start of a later one, silence), at
 * GST_MST_TWO_INPUT_MAX_RUN frames or at the message interval. The main
 * buffer stays at the head of its pad's queue until it is out, so the
 * main's serialized events (SEGMENT, CAPS, EOS) are handled between its
 * buffers, never in the middle of one. Positions are running times in
 * frames (signed: a buffer may start before its segment).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmsttwoinput.h"
#include "gstmstcommon.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_mst_two_input_debug);
#define GST_CAT_DEFAULT gst_mst_two_input_debug

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstMstTwoInput, gst_mst_two_input,
    GST_TYPE_AGGREGATOR,
    GST_DEBUG_CATEGORY_INIT (gst_mst_two_input_debug, "msttwoinput", 0,
        "mastering elements with a sidechain input"));

#define GET_CLASS(self) GST_MST_TWO_INPUT_GET_CLASS (self)

static GstFlowReturn push_tail (GstMstTwoInput * self);
static void main_item_done (GstMstTwoInput * self, gboolean locked);

enum
{
  PROP_0,
  PROP_MISSING_KEY_FRAMES,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_MST_ALLOWED_CAPS));
static GstStaticPadTemplate sidechain_template =
GST_STATIC_PAD_TEMPLATE ("sidechain", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_MST_ALLOWED_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_MST_ALLOWED_CAPS));

/* The silent key: a run of the widest frames (8 channels of F64). */
static const gdouble silence[GST_MST_TWO_INPUT_MAX_RUN * 8];

static GstAggregatorPad *
ref_sidechain (GstMstTwoInput * self)
{
  GstAggregatorPad *pad;
  GST_OBJECT_LOCK (self);
  pad = self->sidechain_pad ? gst_object_ref (self->sidechain_pad) : NULL;
  GST_OBJECT_UNLOCK (self);
  return pad;
}

/* Running time of @pts in @pad's segment, in frames at @rate; @fallback
 * for a buffer without one. */
static gint64
running_frame (GstAggregatorPad * pad, GstClockTime pts, gint rate,
    gint64 fallback)
{
  guint64 rt;
  gint sign;

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return fallback;
  GST_OBJECT_LOCK (pad);
  sign = gst_segment_to_running_time_full (&pad->segment, GST_FORMAT_TIME,
      pts, &rt);
  GST_OBJECT_UNLOCK (pad);
  if (sign == 0)
    return fallback;
  rt = gst_util_uint64_scale_int_round (rt, rate, GST_SECOND);
  return sign > 0 ? (gint64) rt : -(gint64) rt;
}

/* Frames in @buf at @rate: its size in frames of @bpf bytes, or its
 * duration for an empty (GAP) one, or one that comes before any caps. */
static gsize
buffer_frames (GstBuffer * buf, gsize bpf, gint rate)
{
  gsize size = gst_buffer_get_size (buf);
  if (size > 0 && bpf > 0)
    return size / bpf;
  if (!GST_BUFFER_DURATION_IS_VALID (buf))
    return 0;
  return gst_util_uint64_scale_int_round (GST_BUFFER_DURATION (buf), rate,
      GST_SECOND);
}

static void
release_key (GstMstTwoInput * self)
{
  gst_clear_buffer (&self->key_buf);
  self->key_done = 0;
}

static void
release_main (GstMstTwoInput * self)
{
  if (self->out_buf) {
    gst_buffer_unmap (self->out_buf, &self->out_map);
    gst_clear_buffer (&self->out_buf);
  }
  /* An owned main buffer is the output: its reference went with it. */
  /* Not a store of NULL then gst_clear_buffer: that reads the pointer as a
   * GstMiniObject *, which strict aliasing lets the compiler read before
   * the store. */
  if (self->main_buf && !self->main_owned)
    gst_buffer_unref (self->main_buf);
  self->main_buf = NULL;
  self->main_owned = FALSE;
  self->main_frames = self->main_done = self->out_done = 0;
}

static void
reset_core (GstMstTwoInput * self)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);

  if (self->configured && klass->reset)
    klass->reset (self);
  /* The settings go to the core again, whatever the reset did to them. */
  gst_mst_settings_snapshot_invalidate (&self->snapshot);
}

/* A fresh start of the stream: nothing held, no position, the core and the
 * once-per-stream warnings reset. */
static void
reset_stream (GstMstTwoInput * self)
{
  release_main (self);
  release_key (self);
  self->main_next = self->key_next = 0;
  self->timeline.interval_count = 0;
  self->warned_missing = self->warned_nonfinite = FALSE;
  self->final_posted = FALSE;
  gst_mst_timeline_restart (&self->timeline);
  reset_core (self);
}

/* The NEGOTIATION error for a sidechain whose rate or format is not the
 * main's and could not be changed. */
static void
refuse (GstMstTwoInput * self)
{
  GstCaps *mc = gst_audio_info_to_caps (&self->main_info);
  GstCaps *kc = gst_audio_info_to_caps (&self->key_info);
  gchar *ms = gst_caps_to_string (mc), *ks = gst_caps_to_string (kc);
  gboolean rate = GST_AUDIO_INFO_RATE (&self->key_info) !=
      GST_AUDIO_INFO_RATE (&self->main_info);

  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The sidechain has another %s than the main input (%d Hz %s, against "
          "%d Hz %s): put %s in front of the sidechain",
          rate ? "rate" : "sample format",
          GST_AUDIO_INFO_RATE (&self->key_info),
          GST_AUDIO_INFO_NAME (&self->key_info),
          GST_AUDIO_INFO_RATE (&self->main_info),
          GST_AUDIO_INFO_NAME (&self->main_info),
          rate ? "audioresample" : "audioconvert"),
      ("sidechain: %s; main: %s; accepted on the sidechain: the main's rate "
          "and format, 1 to 8 channels", ks, ms));
  g_free (ms);
  g_free (ks);
  gst_caps_unref (mc);
  gst_caps_unref (kc);
  self->refused = GST_FLOW_NOT_NEGOTIATED;
}

/* After caps on either pad. A sidechain whose rate or format is not the
 * main's (it may have negotiated before the main) is asked to negotiate
 * again when its upstream accepts the main's: its data is silence until
 * then (counted as missing, a second at most). Otherwise refused: FALSE,
 * with the error posted. */
static gboolean
check_key_format (GstMstTwoInput * self)
{
  GstAggregatorPad *sc;
  GstAudioInfo wanted;
  GstCaps *caps;
  gboolean accepted;

  self->key_matches = self->have_main_info && self->have_key_info
      && GST_AUDIO_INFO_RATE (&self->key_info) ==
      GST_AUDIO_INFO_RATE (&self->main_info)
      && GST_AUDIO_INFO_FORMAT (&self->key_info) ==
      GST_AUDIO_INFO_FORMAT (&self->main_info);
  if (self->key_matches || !self->have_main_info || !self->have_key_info)
    return TRUE;

  wanted = self->key_info;
  gst_audio_info_set_format (&wanted, GST_AUDIO_INFO_FORMAT
      (&self->main_info), GST_AUDIO_INFO_RATE (&self->main_info),
      GST_AUDIO_INFO_CHANNELS (&self->key_info), self->key_info.position);
  wanted.flags = self->key_info.flags;
  caps = gst_audio_info_to_caps (&wanted);
  sc = ref_sidechain (self);
  accepted = sc && gst_pad_peer_query_accept_caps (GST_PAD (sc), caps);
  gst_caps_unref (caps);
  if (accepted) {
    GST_INFO_OBJECT (self, "sidechain at %d Hz %s: asking it for the main's",
        GST_AUDIO_INFO_RATE (&self->key_info),
        GST_AUDIO_INFO_NAME (&self->key_info));
    self->stale_frames = 0;
    gst_pad_push_event (GST_PAD (sc), gst_event_new_reconfigure ());
  }
  if (sc)
    gst_object_unref (sc);
  if (!accepted)
    refuse (self);
  return accepted;
}

/* Whether the key has the format of the sidechain pad @sc (NULL: none, or
 * not linked): its caps are known and match the main's (before, its frames
 * are silence in the main's format). */
static gboolean
key_from_sidechain (GstMstTwoInput * self, GstAggregatorPad * sc)
{
  return sc != NULL && self->key_matches;
}

/* How far a non-live main's upstream may run ahead of the output. */
#define GST_MST_TWO_INPUT_NONLIVE_QUEUE (100 * GST_MSECOND)

/* Whether the main's upstream says it is live (FALSE when it cannot
 * answer). */
static gboolean
main_upstream_live (GstMstTwoInput * self)
{
  gboolean live = FALSE;
  GstQuery *query = gst_query_new_latency ();
  if (gst_pad_peer_query (GST_PAD (self->main_pad), query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  gst_query_unref (query);
  return live;
}

/* GstAggregator (1.22) holds a sink pad's buffers up to its "latency"
 * property (gst_aggregator_pad_has_space): at 0, one buffer at a time, and
 * the upstream and output threads take turns buffer by buffer. Not live,
 * where that property is never waited for and our LATENCY answer is our
 * own (src_query), the base sets it to a queue allowance while the user
 * left it at 0, so upstream runs ahead: the compressor on 10 min of stereo
 * in 1024-frame buffers, 0.99 s wall at 0 against 0.37 s at 100 ms. Live,
 * the property is the user's (back to 0 if the base had set it). Called
 * from the output thread, which holds no aggregator lock. */
static void
allow_queue (GstMstTwoInput * self, gboolean allow)
{
  guint64 latency = 0;
  g_object_get (self, "latency", &latency, NULL);
  if (allow && latency == 0) {
    g_object_set (self, "latency", (guint64) GST_MST_TWO_INPUT_NONLIVE_QUEUE,
        NULL);
    self->queue_allowed = TRUE;
  } else if (!allow && self->queue_allowed) {
    if (latency == GST_MST_TWO_INPUT_NONLIVE_QUEUE)
      g_object_set (self, "latency", (guint64) 0, NULL);
    self->queue_allowed = FALSE;
  }
}

/* The core for the main's format and the key's; done again, between two
 * runs, when either changes. Keeps the alignment and the buffers held. */
static gboolean
configure (GstMstTwoInput * self, GstAggregatorPad * sc)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  gboolean from_sidechain = key_from_sidechain (self, sc);
  const GstAudioInfo *key = from_sidechain ? &self->key_info :
      &self->main_info;
  gint rate = GST_AUDIO_INFO_RATE (&self->main_info);
  GstClockTime latency;
  MstResult r = MST_ERR_INVALID_ARG;

  self->configured = FALSE;
  switch (GST_AUDIO_INFO_FORMAT (&self->main_info)) {
    case GST_AUDIO_FORMAT_F32LE:
      self->format = MST_FORMAT_F32;
      break;
    case GST_AUDIO_FORMAT_F64LE:
      self->format = MST_FORMAT_F64;
      break;
    default:
      goto refused;
  }
  r = klass->configure (self, &self->main_info, key);
  if (r != MST_OK)
    goto refused;
  /* Sized here, not in init: while the base's init runs, the instance's
   * class is still the base's. */
  gst_mst_settings_snapshot_init (&self->snapshot, klass->settings_size);
  self->configured = TRUE;
  self->need_configure = FALSE;
  self->key_is_sidechain = from_sidechain;
  self->key_bpf = GST_AUDIO_INFO_BPF (key);
  self->process = self->format == MST_FORMAT_F64 ? klass->process_f64 :
      klass->process_f32;
  self->delaying = klass->drain_f32 && klass->drain_f64 && klass->get_pending
      && klass->get_latency (self) > 0;
  self->nonfinite_seen = 0;
  self->timeline.interval_count = 0;
  latency = gst_util_uint64_scale_int (klass->get_latency (self), GST_SECOND,
      rate);
  gst_aggregator_set_latency (GST_AGGREGATOR (self), latency, latency);
  allow_queue (self, !main_upstream_live (self));
  g_atomic_int_set (&self->latency_frames, (gint) klass->get_latency (self));
  return TRUE;

refused:
  if (r == MST_ERR_NOMEM)
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory"),
        ("the core could not allocate for %d channels (key %d) at %d Hz",
            GST_AUDIO_INFO_CHANNELS (&self->main_info),
            GST_AUDIO_INFO_CHANNELS (key), rate));
  else
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("%s cannot process %s audio, %d channels at %d Hz (key %d "
            "channels)", GST_OBJECT_NAME (self),
            GST_AUDIO_INFO_NAME (&self->main_info),
            GST_AUDIO_INFO_CHANNELS (&self->main_info), rate,
            GST_AUDIO_INFO_CHANNELS (key)), ("accepted: %s",
            GST_MST_ALLOWED_CAPS));
  self->refused = GST_FLOW_NOT_NEGOTIATED;
  return FALSE;
}

/* The settings copied under the lock and, when they differ from the last
 * applied (or after a reset), handed to the subclass; a refusal warned
 * about and set back. */
static void
apply_settings (GstMstTwoInput * self)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  guint8 *settings = (guint8 *) self + klass->settings_offset;
  gconstpointer copy;

  if (gst_mst_settings_snapshot_take (&self->snapshot, GST_OBJECT (self),
          settings, &copy) && klass->apply)
    gst_mst_settings_snapshot_done (&self->snapshot, GST_ELEMENT (self),
        settings, klass->apply (self, copy) == MST_OK, klass->refusal_hint);
}

/* Automation at main frame @frame of the buffer being processed, then the
 * settings. */
static void
sync_at (GstMstTwoInput * self, gsize frame)
{
  GstClockTime pts = self->main_pts;

  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime stream_time;
    GST_OBJECT_LOCK (self->main_pad);
    stream_time = gst_segment_to_stream_time (&self->main_pad->segment,
        GST_FORMAT_TIME, pts + gst_util_uint64_scale_int (frame, GST_SECOND,
            GST_AUDIO_INFO_RATE (&self->main_info)));
    GST_OBJECT_UNLOCK (self->main_pad);
    if (GST_CLOCK_TIME_IS_VALID (stream_time))
      GET_CLASS (self)->sync_values (self, stream_time);
  }
  apply_settings (self);
}

static void
gst_mst_two_input_default_sync_values (GstMstTwoInput * self,
    GstClockTime stream_time)
{
  gst_object_sync_values (GST_OBJECT (self), stream_time);
}

/* ---- pads and events ---- */

static GstAggregatorPad *
gst_mst_two_input_create_new_pad (GstAggregator * agg, GstPadTemplate * templ,
    G_GNUC_UNUSED const gchar * req_name, G_GNUC_UNUSED const GstCaps * caps)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  GstAggregatorPad *pad = NULL;

  if (g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "sidechain") != 0)
    return NULL;
  GST_OBJECT_LOCK (self);
  if (self->sidechain_pad == NULL) {
    pad = g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", "sidechain",
        "direction", GST_PAD_SINK, "template", templ, NULL);
    self->sidechain_pad = pad;
  }
  GST_OBJECT_UNLOCK (self);
  if (pad == NULL)
    GST_WARNING_OBJECT (self, "there is one sidechain pad already");
  return pad;
}

static void
gst_mst_two_input_release_pad (GstElement * element, GstPad * pad)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (element);

  /* The streaming thread sees the pad gone and configures the core again
   * for the internal key. */
  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->sidechain_pad))
    self->sidechain_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_CLASS (gst_mst_two_input_parent_class)->release_pad (element,
      pad);
}

/* The main's rate and format, any channel count: offered first on the
 * sidechain, so a flexible source picks them. */
static GstCaps *
key_caps_new (const gchar * format, gint rate)
{
  return gst_caps_new_simple ("audio/x-raw",
      "format", G_TYPE_STRING, format, "rate", G_TYPE_INT, rate,
      "channels", GST_TYPE_INT_RANGE, 1, 8,
      "layout", G_TYPE_STRING, "interleaved", NULL);
}

/* Before the main's caps: what its upstream will give when that is
 * already fixed (a capsfilter, a source's fixed caps); else NULL. The
 * sidechain may negotiate first, and a flexible source left to itself
 * would pick another rate or format. */
static GstCaps *
key_caps_from_main_peer (GstMstTwoInput * self)
{
  GstCaps *templ = gst_pad_get_pad_template_caps (GST_PAD (self->main_pad));
  GstCaps *peer = gst_pad_peer_query_caps (GST_PAD (self->main_pad), templ);
  GstCaps *key = NULL;

  if (!gst_caps_is_empty (peer) && !gst_caps_is_any (peer)) {
    const GstStructure *s = gst_caps_get_structure (peer, 0);
    const gchar *format = gst_structure_get_string (s, "format");
    gint rate;
    if (format && gst_structure_get_int (s, "rate", &rate))
      key = key_caps_new (format, rate);
  }
  gst_caps_unref (peer);
  gst_caps_unref (templ);
  return key;
}

static GstFlowReturn
gst_mst_two_input_sink_event_pre_queue (GstAggregator * agg,
    GstAggregatorPad * pad, GstEvent * event)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS && pad == self->main_pad) {
    GstCaps *caps;
    GstAudioInfo info;
    gst_event_parse_caps (event, &caps);
    if (gst_audio_info_from_caps (&info, caps)) {
      GstCaps *key = key_caps_new (GST_AUDIO_INFO_NAME (&info),
          GST_AUDIO_INFO_RATE (&info));
      GST_OBJECT_LOCK (self);
      gst_caps_replace (&self->preferred_key_caps, key);
      GST_OBJECT_UNLOCK (self);
      gst_caps_unref (key);
    }
  }
  if (pad == self->main_pad) {
    GstFlowReturn ret;
    gboolean queued = GST_EVENT_IS_SERIALIZED (event)
        && GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_STOP;

    /* After a flush the aggregator keeps some of the queued events and
     * drops others; a GAP event may become a buffer in its queue: the
     * count of what is queued would no longer be exact, so the direct
     * path ends until the element starts again. No lock: the direct path
     * may hold direct_lock while its push waits for this flush. */
    if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START
        || GST_EVENT_TYPE (event) == GST_EVENT_GAP)
      g_atomic_int_set (&self->direct_allowed, FALSE);
    if (queued)
      g_atomic_int_inc (&self->main_queued);
    ret = GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)
        ->sink_event_pre_queue (agg, pad, event);
    /* Dropped (flushing): not to be waited for. */
    if (queued && ret != GST_FLOW_OK)
      main_item_done (self, FALSE);
    return ret;
  }
  return GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)
      ->sink_event_pre_queue (agg, pad, event);
}

static gboolean
handle_sink_event (GstAggregator * agg, GstAggregatorPad * pad,
    GstEvent * event)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  gboolean is_main = pad == self->main_pad;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstAudioInfo info;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_audio_info_from_caps (&info, caps);
      if (!ok) {
        gchar *offered = gst_caps_to_string (caps);
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
            ("%s cannot read the caps of its %s pad", GST_OBJECT_NAME (self),
                GST_PAD_NAME (pad)), ("offered: %s; accepted: %s (more than "
                    "2 channels with a channel-mask)", offered,
                GST_MST_ALLOWED_CAPS));
        g_free (offered);
        self->refused = GST_FLOW_NOT_NEGOTIATED;
      }
      gst_event_unref (event);
      if (!ok)
        return FALSE;
      if (is_main) {
        self->main_info = info;
        self->have_main_info = TRUE;
        gst_pad_mark_reconfigure (GST_AGGREGATOR_SRC_PAD (agg));
      } else {
        self->key_info = info;
        self->have_key_info = TRUE;
      }
      self->need_configure = TRUE;
      self->refused = GST_FLOW_OK;
      return check_key_format (self);
    }
    case GST_EVENT_STREAM_START:
      if (is_main)
        self->warned_nonfinite = self->warned_missing = self->final_posted =
            FALSE;
      break;
    case GST_EVENT_SEGMENT:
      if (is_main) {
        GstSegment segment;
        /* What the delay line holds belongs to the segment before. */
        push_tail (self);
        gst_event_copy_segment (event, &segment);
        gst_aggregator_update_segment (agg, &segment);
      }
      break;
    default:
      break;
  }
  return GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)->sink_event
      (agg, pad, event);
}

/* The events of either pad, never at once with the direct path (a
 * sidechain's caps may come while a direct buffer is processed); a queued
 * event of the main counted as handled after the aggregator's own handling
 * of it (the direct path then sees its segment). */
static gboolean
gst_mst_two_input_sink_event (GstAggregator * agg, GstAggregatorPad * pad,
    GstEvent * event)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  gboolean serialized = GST_EVENT_IS_SERIALIZED (event)
      && GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_STOP;
  gboolean queued = pad == self->main_pad && serialized;
  gboolean res;

  /* Only the queued events (handled in the aggregator's thread): the
   * others come from any thread (a flush's) while a direct push may hold
   * the lock, waiting for them. */
  if (!serialized)
    return handle_sink_event (agg, pad, event);
  g_mutex_lock (&self->direct_lock);
  res = handle_sink_event (agg, pad, event);
  if (queued)
    main_item_done (self, TRUE);
  g_mutex_unlock (&self->direct_lock);
  return res;
}

static gboolean
gst_mst_two_input_sink_query (GstAggregator * agg, GstAggregatorPad * pad,
    GstQuery * query)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps, *preferred = NULL, *result;

      gst_query_parse_caps (query, &filter);
      caps = gst_pad_get_pad_template_caps (GST_PAD (pad));
      if (pad == self->main_pad) {
        /* In place: what downstream takes. */
        GstCaps *peer = gst_pad_peer_query_caps (GST_AGGREGATOR_SRC_PAD (agg),
            caps);
        gst_caps_unref (caps);
        caps = peer;
      } else {
        GST_OBJECT_LOCK (self);
        if (self->preferred_key_caps)
          preferred = gst_caps_copy (self->preferred_key_caps);
        GST_OBJECT_UNLOCK (self);
        if (preferred == NULL)
          preferred = key_caps_from_main_peer (self);
        if (preferred)
          caps = gst_caps_merge (preferred, caps);
      }
      if (filter) {
        result = gst_caps_intersect_full (caps, filter,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
      } else {
        result = caps;
      }
      gst_query_set_caps_result (query, result);
      gst_caps_unref (result);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *templ;
      gboolean ok;

      gst_query_parse_accept_caps (query, &caps);
      templ = gst_pad_get_pad_template_caps (GST_PAD (pad));
      ok = gst_caps_is_subset (caps, templ);
      gst_caps_unref (templ);
      if (!ok && gst_caps_is_fixed (caps)) {
        gchar *offered = gst_caps_to_string (caps);
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
            ("%s cannot process the audio it was given on %s",
                GST_OBJECT_NAME (self), GST_PAD_NAME (pad)),
            ("offered: %s; accepted: %s", offered, GST_MST_ALLOWED_CAPS));
        g_free (offered);
      }
      gst_query_set_accept_caps_result (query, ok);
      return TRUE;
    }
    default:
      break;
  }
  return GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)->sink_query
      (agg, pad, query);
}

/* GstAggregator answers for live upstreams only; not live, the answer is
 * the main's upstream's plus the subclass's latency, as every element of
 * the pack answers. */
static gboolean
gst_mst_two_input_src_query (GstAggregator * agg, GstQuery * query)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  gboolean live;
  GstClockTime min, max;
  GstQuery *up;
  gint rate;

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)->src_query
        (agg, query);
  if (!GST_AGGREGATOR_CLASS (gst_mst_two_input_parent_class)->src_query (agg,
          query))
    return FALSE;
  gst_query_parse_latency (query, &live, NULL, NULL);
  if (live)
    return TRUE;
  up = gst_query_new_latency ();
  if (gst_pad_peer_query (GST_PAD (self->main_pad), up)) {
    gst_query_parse_latency (up, NULL, &min, &max);
    rate = self->have_main_info ? GST_AUDIO_INFO_RATE (&self->main_info) : 0;
    if (rate > 0) {
      GstClockTime ours = gst_util_uint64_scale_int (g_atomic_int_get
          (&self->latency_frames), GST_SECOND, rate);
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += ours;
    }
    gst_query_set_latency (query, FALSE, min, max);
  }
  gst_query_unref (up);
  return TRUE;
}

static GstFlowReturn
gst_mst_two_input_update_src_caps (GstAggregator * agg, GstCaps * downstream,
    GstCaps ** ret)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  GstCaps *caps;

  if (!self->have_main_info)
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  caps = gst_audio_info_to_caps (&self->main_info);
  *ret = gst_caps_intersect (caps, downstream);
  gst_caps_unref (caps);
  return gst_caps_is_empty (*ret) ? GST_FLOW_NOT_NEGOTIATED : GST_FLOW_OK;
}

/* ---- streaming ---- */

static GstClockTime
gst_mst_two_input_get_next_time (GstAggregator * agg)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GstBuffer *buf;
  gint64 frame;

  if (!self->have_main_info)
    return GST_CLOCK_TIME_NONE;
  if (self->main_buf) {
    frame = self->main_start + (gint64) self->main_done;
  } else {
    buf = gst_aggregator_pad_peek_buffer (self->main_pad);
    /* At the main's EOS nothing waits for the sidechain: now. */
    if (buf == NULL)
      return gst_aggregator_pad_is_eos (self->main_pad) ? 0 :
          GST_CLOCK_TIME_NONE;
    frame = running_frame (self->main_pad, GST_BUFFER_PTS (buf),
        GST_AUDIO_INFO_RATE (&self->main_info), self->main_next);
    gst_buffer_unref (buf);
  }
  if (frame >= 0)
    rt = gst_util_uint64_scale_int (frame, GST_SECOND,
        GST_AUDIO_INFO_RATE (&self->main_info));
  else
    rt = 0;
  return rt;
}

/* Pushes @out, the source pad's position moved to its end. */
static GstFlowReturn
push_out (GstMstTwoInput * self, GstBuffer * out)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstClockTime end = GST_BUFFER_PTS (out);

  if (GST_CLOCK_TIME_IS_VALID (end) && GST_BUFFER_DURATION_IS_VALID (out))
    end += GST_BUFFER_DURATION (out);
  if (GST_CLOCK_TIME_IS_VALID (end)) {
    GST_OBJECT_LOCK (self);
    GST_AGGREGATOR_PAD (agg->srcpad)->segment.position = end;
    GST_OBJECT_UNLOCK (self);
  }
  return gst_aggregator_finish_buffer (agg, out);
}

/* A delaying subclass's tail: the frames its core holds go out, after the
 * main frames before them, with the timestamps that continue theirs; the
 * timeline starts again at the next main buffer. */
static GstFlowReturn
push_tail (GstMstTwoInput * self)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  gsize pending, n_out = 0;
  GstBuffer *buf;
  GstMapInfo map;

  if (!self->configured || !self->delaying)
    return GST_FLOW_OK;
  pending = klass->get_pending (self);
  if (pending == 0)
    return GST_FLOW_OK;
  buf = gst_buffer_new_allocate (NULL,
      pending * GST_AUDIO_INFO_BPF (&self->main_info), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (self->format == MST_FORMAT_F64)
    klass->drain_f64 (self, map.data, &n_out);
  else
    klass->drain_f32 (self, map.data, &n_out);
  gst_buffer_unmap (buf, &map);
  buf = gst_mst_timeline_finish (&self->timeline, &self->main_info, buf,
      n_out);
  gst_mst_timeline_restart (&self->timeline);
  return buf ? push_out (self, buf) : GST_FLOW_OK;
}

/* In the middle of a main buffer: its frames out so far, then the core's
 * tail; the rest of the buffer starts the timeline again at its own
 * time. */
static void
push_held (GstMstTwoInput * self)
{
  gsize bpf = GST_AUDIO_INFO_BPF (&self->main_info);
  GstClockTime pts;

  if (self->main_buf && self->out_done > 0) {
    GstBuffer *part = gst_buffer_new_memdup (self->out_map.data,
        self->out_done * bpf);
    part = gst_mst_timeline_finish (&self->timeline, &self->main_info, part,
        self->out_done);
    if (part)
      push_out (self, part);
  }
  push_tail (self);
  if (self->main_buf == NULL)
    return;
  pts = self->main_pts;
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    self->timeline.ts_base = pts + gst_util_uint64_scale_int
        (self->main_done, GST_SECOND, GST_AUDIO_INFO_RATE (&self->main_info));
    self->timeline.frames_out = 0;
  }
  self->out_done = 0;
}

/* Takes @buf, the main's next buffer, and where it starts. Its output is
 * @buf itself, processed in place, when @owned (the direct path holds the
 * only reference the upstream gave) and it carries every frame; else a
 * copy (the aggregator's queue keeps its own reference), silence for a
 * GAP buffer. */
static void
start_main (GstMstTwoInput * self, GstBuffer * buf, gboolean owned)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  const GstAudioInfo *info = &self->main_info;
  gsize n = buffer_frames (buf, GST_AUDIO_INFO_BPF (info),
      GST_AUDIO_INFO_RATE (info));
  gboolean discont = GST_BUFFER_IS_DISCONT (buf);
  gboolean gap = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP);
  gboolean in_place = owned && !gap
      && gst_buffer_get_size (buf) == n * GST_AUDIO_INFO_BPF (info);

  /* The tail before a discontinuity goes out with its own timestamps. */
  if (discont)
    push_tail (self);
  self->main_frames = n;
  self->main_done = 0;
  self->main_pts = GST_BUFFER_PTS (buf);
  self->main_start = running_frame (self->main_pad, GST_BUFFER_PTS (buf),
      GST_AUDIO_INFO_RATE (info), self->main_next);
  self->main_next = self->main_start + (gint64) n;
  if (self->delaying)
    gst_mst_timeline_start (&self->timeline, buf, klass->get_pending (self));

  if (in_place) {
    /* Writable without a copy when the upstream kept no reference. */
    self->out_buf = gst_buffer_make_writable (buf);
    self->main_buf = self->out_buf;
    self->main_owned = TRUE;
  } else {
    self->main_buf = buf;
    self->main_owned = FALSE;
    self->out_buf = gst_buffer_new_allocate (NULL,
        n * GST_AUDIO_INFO_BPF (info), NULL);
    gst_buffer_copy_into (self->out_buf, buf, GST_BUFFER_COPY_METADATA, 0,
        -1);
  }
  GST_BUFFER_FLAG_UNSET (self->out_buf, GST_BUFFER_FLAG_GAP);
  if (self->delaying)
    GST_BUFFER_FLAG_UNSET (self->out_buf, GST_BUFFER_FLAG_DISCONT);
  gst_buffer_map (self->out_buf, &self->out_map, GST_MAP_READWRITE);
  if (!in_place) {
    if (gap || gst_buffer_get_size (buf) < self->out_map.size)
      memset (self->out_map.data, 0, self->out_map.size);
    else
      gst_buffer_extract (buf, 0, self->out_map.data, self->out_map.size);
    if (owned)
      gst_buffer_unref (buf);
    /* The direct path's input is done with; main_buf only marks that a
     * buffer is in progress. */
    if (owned)
      self->main_buf = self->out_buf, self->main_owned = TRUE;
  }

  /* What came before a discontinuity does not ring into what follows. */
  if (discont)
    reset_core (self);
  sync_at (self, 0);
  self->controlled = klass->control_frames > 0
      && GST_CLOCK_TIME_IS_VALID (self->main_pts)
      && gst_object_has_active_control_bindings (GST_OBJECT (self));
  GST_OBJECT_LOCK (self);
  self->timeline.interval_frames = klass->message_name ?
      gst_util_uint64_scale_int (self->messages.interval_ns,
      GST_AUDIO_INFO_RATE (info), GST_SECOND) : 0;
  self->post_messages = self->messages.post_messages;
  GST_OBJECT_UNLOCK (self);
}

/* Where a run's key comes from. */
typedef enum
{
  KEY_WAIT,                     /* not there yet (not live): wait */
  KEY_SILENCE,                  /* none at this time: a gap, GAP, EOS */
  KEY_LATE,                     /* not there at its time (live) */
  KEY_STALE,                    /* in a format refused, renegotiation asked */
  KEY_DATA,                     /* in self->key_buf from self->key_done */
} KeySource;

/* Where the key of main frame @main_frame is, and for how many of the
 * @wanted frames from it (*n), and whether they are in self->key_buf
 * (*in_key_buf). Positions are in main-rate frames, also for a sidechain
 * buffer of a refused rate. Drops sidechain buffers that end before
 * @main_frame. */
static KeySource
find_key (GstMstTwoInput * self, GstAggregatorPad * sc, gint64 main_frame,
    gsize wanted, gboolean timeout, gsize * n, gboolean * in_key_buf)
{
  gint rate = GST_AUDIO_INFO_RATE (&self->main_info);
  /* Before the sidechain's caps only an empty GAP buffer can come. */
  gint key_rate = self->have_key_info ? GST_AUDIO_INFO_RATE (&self->key_info)
      : rate;
  gsize key_bpf = self->have_key_info ? GST_AUDIO_INFO_BPF (&self->key_info)
      : 0;

  *n = wanted;
  *in_key_buf = FALSE;
  for (;;) {
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (sc);
    gint64 start, end;

    if (buf == NULL) {
      if (gst_aggregator_pad_is_eos (sc))
        return KEY_SILENCE;
      return timeout ? KEY_LATE : KEY_WAIT;
    }
    if (buf != self->key_buf) {
      gst_buffer_replace (&self->key_buf, buf);
      self->key_done = 0;
      self->key_frames = gst_util_uint64_scale_int_round (buffer_frames (buf,
              key_bpf, key_rate), rate, key_rate);
      self->key_start = running_frame (sc, GST_BUFFER_PTS (buf), rate,
          self->key_next);
      self->key_next = self->key_start + (gint64) self->key_frames;
    }
    gst_buffer_unref (buf);
    start = self->key_start;
    end = start + (gint64) self->key_frames;
    if (end <= main_frame) {
      /* Ends before the main: trimmed (or a late live key, dropped). */
      release_key (self);
      gst_aggregator_pad_drop_buffer (sc);
      continue;
    }
    if (start > main_frame) {
      /* Starts later: silence up to it. */
      *n = MIN (wanted, (gsize) (start - main_frame));
      return KEY_SILENCE;
    }
    /* Its frames from the main's position on. */
    self->key_done = main_frame - start;
    *n = MIN (wanted, self->key_frames - self->key_done);
    *in_key_buf = TRUE;
    if (GST_BUFFER_FLAG_IS_SET (self->key_buf, GST_BUFFER_FLAG_GAP))
      return KEY_SILENCE;
    if (!self->key_matches)
      return KEY_STALE;
    if (gst_buffer_get_size (self->key_buf) < self->key_frames * self->key_bpf)
      return KEY_SILENCE;
    return KEY_DATA;
  }
}

/* Counts sidechain frames missing at their time (live) or in a refused
 * format, with a warning the first time in the stream a frame is late;
 * FALSE (error posted) once a second of the sidechain came in a refused
 * format without its upstream renegotiating. */
static gboolean
count_missing (GstMstTwoInput * self, gsize n, KeySource source)
{
  gboolean warn = source == KEY_LATE && !self->warned_missing;

  GST_OBJECT_LOCK (self);
  self->missing_key_frames += n;
  GST_OBJECT_UNLOCK (self);
  if (source == KEY_STALE) {
    self->stale_frames += n;
    if (self->stale_frames > (guint64) GST_AUDIO_INFO_RATE (&self->main_info)) {
      refuse (self);
      return FALSE;
    }
    return TRUE;
  }
  self->warned_missing |= warn;
  if (warn)
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("The sidechain is late: its missing frames are taken as silence"),
        ("the main input is not held longer than the latency; the count "
            "is in the property missing-key-frames"));
  return TRUE;
}

/* Posts the interval message ending at running-time frame @frame (no lock
 * held); @final for the last one of a stream. */
static void
post_interval (GstMstTwoInput * self, gint64 frame, GstClockTime duration,
    gboolean final)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  GstStructure *s = NULL;

  if (self->post_messages) {
    /* The interval's end, from its running time in frames, in the main's
     * segment (exact, where adding to a rounded PTS would not be). */
    GstSegment *seg = &self->main_pad->segment;
    GstClockTime rt = frame < 0 ? 0 : gst_util_uint64_scale_int (frame,
        GST_SECOND, GST_AUDIO_INFO_RATE (&self->main_info)), end_ts;

    GST_OBJECT_LOCK (self->main_pad);
    end_ts = gst_segment_position_from_running_time (seg, GST_FORMAT_TIME,
        rt);
    s = gst_structure_new (klass->message_name,
        "timestamp", G_TYPE_UINT64, end_ts,
        "stream-time", G_TYPE_UINT64, gst_segment_to_stream_time (seg,
            GST_FORMAT_TIME, end_ts),
        "running-time", G_TYPE_UINT64, rt, "duration", G_TYPE_UINT64,
        duration, "final", G_TYPE_BOOLEAN, final, NULL);
    GST_OBJECT_UNLOCK (self->main_pad);
  }
  klass->read_status (self, s);
  if (s)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
}

/* The core configured for the current main and key formats: FALSE (error
 * posted) when refused. */
static gboolean
ensure_configured (GstMstTwoInput * self, GstAggregatorPad * sc)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);

  if (self->configured && self->key_is_sidechain != key_from_sidechain (self,
          sc))
    self->need_configure = TRUE;
  if (!self->need_configure)
    return TRUE;
  /* A delaying core configured again would lose what it holds. */
  if (self->configured && self->delaying && klass->get_pending (self) > 0
      && (!klass->configure_resets || klass->configure_resets (self,
              &self->main_info, key_from_sidechain (self, sc) ?
              &self->key_info : &self->main_info)))
    push_held (self);
  return configure (self, sc);
}

/* Runs through the main buffer while its key is there: TRUE once all its
 * frames are done, FALSE to wait for the sidechain (or on error, *ret). */
static gboolean
process_main (GstMstTwoInput * self, GstAggregatorPad * sc, gboolean timeout,
    GstFlowReturn * ret)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  gsize bpf = GST_AUDIO_INFO_BPF (&self->main_info);
  gint rate = GST_AUDIO_INFO_RATE (&self->main_info);
  GstMapInfo key_map = GST_MAP_INFO_INIT;

  while (self->main_done < self->main_frames) {
    gsize n = MIN (self->main_frames - self->main_done,
        GST_MST_TWO_INPUT_MAX_RUN);

    const guint8 *key = (const guint8 *) silence;
    GstBuffer *key_buf = NULL;
    KeySource source;
    gboolean in_key_buf = FALSE;
    GstClockTime duration;
    guint8 *frames;
    gsize n_out = n;

    if (!ensure_configured (self, sc)) {
      *ret = GST_FLOW_NOT_NEGOTIATED;
      break;
    }

    n = MIN (n, gst_mst_timeline_to_interval (&self->timeline));
    if (self->controlled) {
      n = MIN (n, GET_CLASS (self)->control_frames);
      if (self->main_done > 0)
        sync_at (self, self->main_done);
    }
    if (sc == NULL) {
      /* The main is its own key (its copy in the output, GAP zeroed). */
      source = KEY_DATA;
      key = NULL;
    } else {
      source = find_key (self, sc, self->main_start +
          (gint64) self->main_done, n, timeout, &n, &in_key_buf);
      if (source == KEY_WAIT)
        break;
      if (source == KEY_DATA) {
        /* The sidechain's buffers are read in place, mapped for the run. */
        key_buf = self->key_buf;
        gst_buffer_map (key_buf, &key_map, GST_MAP_READ);
        key = key_map.data + self->key_done * self->key_bpf;
      }
    }

    frames = self->out_map.data + self->main_done * bpf;
    self->process (self, frames, key, n, &n_out);
    g_warn_if_fail (n_out == n || (self->delaying && n_out < n));
    /* Only while a delay line fills do fewer frames come out than go in. */
    if (n_out > 0 && self->out_done != self->main_done)
      memmove (self->out_map.data + self->out_done * bpf, frames,
          n_out * bpf);
    self->out_done += n_out;
    self->main_done += n;

    if (key_buf)
      gst_buffer_unmap (key_buf, &key_map);
    if (in_key_buf) {
      self->key_done += n;
      if (self->key_done == self->key_frames) {
        release_key (self);
        gst_aggregator_pad_drop_buffer (sc);
      }
    }
    if ((source == KEY_LATE || source == KEY_STALE)
        && !count_missing (self, n, source)) {
      *ret = GST_FLOW_NOT_NEGOTIATED;
      break;
    }
    if (klass->message_name && gst_mst_timeline_count (&self->timeline, n,
            rate, &duration))
      post_interval (self, self->main_start + (gint64) self->main_done,
          duration, FALSE);
  }
  return self->main_done == self->main_frames;
}

/* One item of the main pad's queue consumed (a buffer or a serialized
 * event): the direct path waits for none to be left. */
static void
main_item_done (GstMstTwoInput * self, gboolean locked)
{
  if (!locked)
    g_mutex_lock (&self->direct_lock);
  /* Never below 0, whatever the aggregator made of an event. */
  if (g_atomic_int_get (&self->main_queued) > 0
      && g_atomic_int_dec_and_test (&self->main_queued))
    g_cond_broadcast (&self->direct_cond);
  if (!locked)
    g_mutex_unlock (&self->direct_lock);
}

/* The main buffer done: its output pushed; off its pad's queue unless it
 * came by the direct path (never queued). */
static GstFlowReturn
finish_main (GstMstTwoInput * self, gboolean direct)
{
  GstMstTwoInputClass *klass = GET_CLASS (self);
  GstBuffer *out = self->out_buf;
  GstFlowReturn ret;

  gst_buffer_unmap (out, &self->out_map);
  self->out_buf = NULL;
  /* A delaying core's frames so far, with the timestamps that continue
   * the main's (none while its delay line fills). */
  if (self->delaying)
    out = gst_mst_timeline_finish (&self->timeline, &self->main_info, out,
        self->out_done);
  release_main (self);
  if (klass->get_nonfinite_count)
    gst_mst_warn_nonfinite (GST_ELEMENT (self),
        (gsize) klass->get_nonfinite_count (self), &self->nonfinite_seen,
        &self->warned_nonfinite);
  /* Out before the input leaves its queue: once the main pad holds no
   * buffer, everything pushed to it has come out. */
  if (direct && out && g_atomic_int_get (&self->emit_consumed)) {
    /* The aggregator pad's "buffer-consumed" signal as the queued path
     * gives it: once the output is out. */
    gst_buffer_ref (out);
    ret = push_out (self, out);
    g_signal_emit_by_name (self->main_pad, "buffer-consumed", out);
    gst_buffer_unref (out);
    return ret;
  }
  ret = out ? push_out (self, out) : GST_FLOW_OK;
  if (!direct) {
    gst_aggregator_pad_drop_buffer (self->main_pad);
    /* Called from aggregate, which holds direct_lock. */
    main_item_done (self, TRUE);
  }
  return ret;
}

/* Before a main buffer: a change of the core's shape (what it holds goes
 * out first), the core configured. FALSE (error posted) when refused. */
static gboolean
prepare_main (GstMstTwoInput * self, GstAggregatorPad * sc)
{
  if (g_atomic_int_compare_and_exchange (&self->configure_requested,
          TRUE, FALSE) && self->configured) {
    push_tail (self);
    self->need_configure = TRUE;
  }
  return ensure_configured (self, sc);
}

static GstFlowReturn
gst_mst_two_input_aggregate (GstAggregator * agg, gboolean timeout)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);
  GstAggregatorPad *sc;
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->refused != GST_FLOW_OK)
    return self->refused;
  sc = ref_sidechain (self);
  if (sc && !gst_pad_is_linked (GST_PAD (sc)))
    gst_clear_object (&sc);
  /* Never at once with the direct path (an uncontended lock: the direct
   * path runs only while nothing of the main is queued here). */
  g_mutex_lock (&self->direct_lock);
  if (sc == NULL)
    release_key (self);
  for (;;) {
    if (self->main_buf == NULL) {
      GstBuffer *buf = gst_aggregator_pad_peek_buffer (self->main_pad);
      if (buf == NULL) {
        if (gst_aggregator_pad_is_eos (self->main_pad))
          ret = GST_FLOW_EOS;
        break;
      }
      if (!prepare_main (self, sc)) {
        gst_buffer_unref (buf);
        ret = GST_FLOW_NOT_NEGOTIATED;
        break;
      }
      start_main (self, buf, FALSE);
    }
    if (!process_main (self, sc, timeout, &ret))
      break;
    ret = finish_main (self, FALSE);
    if (ret != GST_FLOW_OK)
      break;
  }
  if (ret == GST_FLOW_EOS) {
    release_key (self);
    /* The delay line's tail, the key silent: as many frames out as in. */
    push_tail (self);
    /* The last message of the stream: the interval so far, final. */
    if (GET_CLASS (self)->message_name && self->configured
        && !self->final_posted) {
      post_interval (self, self->main_next, gst_util_uint64_scale_int
          (self->timeline.interval_count, GST_SECOND,
              GST_AUDIO_INFO_RATE (&self->main_info)), TRUE);
      self->final_posted = TRUE;
      self->timeline.interval_count = 0;
    }
  }
  g_mutex_unlock (&self->direct_lock);
  if (sc)
    gst_object_unref (sc);
  return ret;
}

/* How long the direct path waits for the aggregator to empty the main's
 * queue (after the events that start a stream, a caps or tag event) before
 * handing the buffer to the aggregator instead. */
#define DIRECT_WAIT_US (100 * G_TIME_SPAN_MILLISECOND)

/* Whether the main buffer can go by the direct path: no sidechain pad,
 * nothing of the main queued in the aggregator (waited for, a while), the
 * core and the source pad's caps ready. With direct_lock held. */
static gboolean
direct_ready (GstMstTwoInput * self, GstPad * pad)
{
  gint64 deadline = g_get_monotonic_time () + DIRECT_WAIT_US;
  GstPad *srcpad = GST_AGGREGATOR_SRC_PAD (self);

  for (;;) {
    gboolean sidechain;
    GST_OBJECT_LOCK (self);
    sidechain = self->sidechain_pad != NULL;
    GST_OBJECT_UNLOCK (self);
    if (sidechain || !g_atomic_int_get (&self->direct_allowed)
        || GST_PAD_IS_FLUSHING (pad))
      return FALSE;
    if (g_atomic_int_get (&self->main_queued) == 0)
      break;
    if (!g_cond_wait_until (&self->direct_cond, &self->direct_lock,
            deadline))
      return FALSE;
  }
  return self->configured && !self->need_configure
      && self->refused == GST_FLOW_OK
      && !g_atomic_int_get (&self->configure_requested)
      && gst_pad_has_current_caps (srcpad)
      && !gst_pad_needs_reconfigure (srcpad);
}

/* The main pad's chain. Without a sidechain the element is a filter, and
 * handing each buffer to the aggregator's thread costs more than the
 * processing (two thread switches a buffer): the buffer is processed here,
 * in place, and pushed from the upstream's thread, as GstBaseTransform
 * does. Events still go through the aggregator's queue (its thread pushes
 * the caps, segment and EOS), so a buffer goes direct only once that queue
 * is empty; with a sidechain, or while something is queued, the buffer
 * goes to the aggregator as before. */
static GstFlowReturn
gst_mst_two_input_main_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (parent);
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&self->direct_lock);
  if (!direct_ready (self, pad)) {
    g_atomic_int_inc (&self->main_queued);
    g_mutex_unlock (&self->direct_lock);
    ret = self->aggregator_chain (pad, parent, buf);
    /* Not queued (flushing or an error): not to be waited for. */
    if (ret != GST_FLOW_OK)
      main_item_done (self, FALSE);
    return ret;
  }
  release_key (self);
  if (!prepare_main (self, NULL)) {
    gst_buffer_unref (buf);
    ret = GST_FLOW_NOT_NEGOTIATED;
  } else {
    start_main (self, buf, TRUE);
    process_main (self, NULL, FALSE, &ret);
    if (ret == GST_FLOW_OK)
      ret = finish_main (self, TRUE);
    else
      release_main (self);
  }
  g_mutex_unlock (&self->direct_lock);
  return ret;
}

static GstFlowReturn
gst_mst_two_input_flush (GstAggregator * agg)
{
  reset_stream (GST_MST_TWO_INPUT (agg));
  return GST_FLOW_OK;
}

static gboolean
gst_mst_two_input_start (GstAggregator * agg)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);

  g_atomic_int_set (&self->main_queued, 0);
  g_atomic_int_set (&self->direct_allowed, TRUE);
  return TRUE;
}

static gboolean
gst_mst_two_input_stop (GstAggregator * agg)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (agg);

  reset_stream (self);
  allow_queue (self, FALSE);
  self->configured = FALSE;
  self->need_configure = TRUE;
  self->have_main_info = self->have_key_info = self->key_matches = FALSE;
  self->stale_frames = 0;
  self->refused = GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->preferred_key_caps);
  self->missing_key_frames = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

void
gst_mst_two_input_request_configure (GstMstTwoInput * self)
{
  g_return_if_fail (GST_IS_MST_TWO_INPUT (self));
  g_atomic_int_set (&self->configure_requested, TRUE);
}

/* ---- GObject ---- */

static void
gst_mst_two_input_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (object);

  switch (prop_id) {
    case PROP_MISSING_KEY_FRAMES:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->missing_key_frames);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* Before any property is set: the settings the element starts with are
 * the core's. */
static void
gst_mst_two_input_constructed (GObject * object)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (object);
  GstMstTwoInputClass *klass = GET_CLASS (self);

  G_OBJECT_CLASS (gst_mst_two_input_parent_class)->constructed (object);
  gst_mst_settings_snapshot_construct (&self->snapshot, klass->settings_size,
      (const guint8 *) self + klass->settings_offset);
}

static void
gst_mst_two_input_finalize (GObject * object)
{
  GstMstTwoInput *self = GST_MST_TWO_INPUT (object);

  if (GET_CLASS (self)->destroy)
    GET_CLASS (self)->destroy (self);
  release_main (self);
  release_key (self);
  gst_clear_caps (&self->preferred_key_caps);
  gst_mst_settings_snapshot_clear (&self->snapshot);
  g_mutex_clear (&self->direct_lock);
  g_cond_clear (&self->direct_cond);
  G_OBJECT_CLASS (gst_mst_two_input_parent_class)->finalize (object);
}

static void
gst_mst_two_input_class_init (GstMstTwoInputClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  gobject_class->get_property = gst_mst_two_input_get_property;
  gobject_class->constructed = gst_mst_two_input_constructed;
  gobject_class->finalize = gst_mst_two_input_finalize;

  g_object_class_install_property (gobject_class, PROP_MISSING_KEY_FRAMES,
      g_param_spec_uint64 ("missing-key-frames", "Missing key frames",
          "Sidechain frames that were not there in time (live) and were "
          "taken as silence, since the stream started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sidechain_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AGGREGATOR_PAD);

  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_mst_two_input_release_pad);

  agg_class->create_new_pad =
      GST_DEBUG_FUNCPTR (gst_mst_two_input_create_new_pad);
  agg_class->sink_event_pre_queue =
      GST_DEBUG_FUNCPTR (gst_mst_two_input_sink_event_pre_queue);
  agg_class->sink_event = GST_DEBUG_FUNCPTR (gst_mst_two_input_sink_event);
  agg_class->sink_query = GST_DEBUG_FUNCPTR (gst_mst_two_input_sink_query);
  agg_class->src_query = GST_DEBUG_FUNCPTR (gst_mst_two_input_src_query);
  agg_class->update_src_caps =
      GST_DEBUG_FUNCPTR (gst_mst_two_input_update_src_caps);
  agg_class->get_next_time =
      GST_DEBUG_FUNCPTR (gst_mst_two_input_get_next_time);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (gst_mst_two_input_aggregate);
  agg_class->flush = GST_DEBUG_FUNCPTR (gst_mst_two_input_flush);
  agg_class->start = GST_DEBUG_FUNCPTR (gst_mst_two_input_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (gst_mst_two_input_stop);

  klass->control_frames = GST_MST_CONTROL_FRAMES;
  klass->sync_values = gst_mst_two_input_default_sync_values;
  gst_type_mark_as_plugin_api (GST_TYPE_MST_TWO_INPUT, 0);
}

static void
emit_signals_changed (GObject * pad, G_GNUC_UNUSED GParamSpec * pspec,
    gpointer data)
{
  gboolean emit;
  g_object_get (pad, "emit-signals", &emit, NULL);
  g_atomic_int_set (&((GstMstTwoInput *) data)->emit_consumed, emit);
}

static void
gst_mst_two_input_init (GstMstTwoInput * self)
{
  GstPadTemplate *templ =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      "sink");

  self->main_pad = g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", "sink",
      "direction", GST_PAD_SINK, "template", templ, NULL);
  g_signal_connect (self->main_pad, "notify::emit-signals",
      G_CALLBACK (emit_signals_changed), self);
  /* The aggregator's chain stays for the buffers that cannot go direct. */
  self->aggregator_chain = GST_PAD_CHAINFUNC (self->main_pad);
  gst_pad_set_chain_function (GST_PAD (self->main_pad),
      GST_DEBUG_FUNCPTR (gst_mst_two_input_main_chain));
  g_mutex_init (&self->direct_lock);
  g_cond_init (&self->direct_cond);
  self->direct_allowed = TRUE;
  gst_element_add_pad (GST_ELEMENT (self), GST_PAD (self->main_pad));
  gst_mst_message_settings_init (&self->messages, GST_SECOND / 10);
  gst_mst_timeline_restart (&self->timeline);
  self->need_configure = TRUE;
  self->refused = GST_FLOW_OK;
}
