/* mastering: what every element of the pack shares at the GStreamer level:
 * the formats it accepts and how it refuses the others. */
#ifndef GST_MST_COMMON_H
#define GST_MST_COMMON_H

#include <gst/gst.h>
#include <gst/audio/gstaudiofilter.h>

#include "mst-bs1770.h"
#include "mst-dynamics-gain.h"

G_BEGIN_DECLS

/* The conventions' caps (STYLE.md): F32LE or F64LE, interleaved, 1 to 8
 * channels, 8 kHz to 384 kHz. */
#define GST_MST_ALLOWED_CAPS \
  "audio/x-raw, format = (string) { F32LE, F64LE }, " \
  "rate = (int) [ 8000, 384000 ], channels = (int) [ 1, 8 ], " \
  "layout = (string) interleaved"

/* The conventions' caps narrowed to stereo (the imager). */
#define GST_MST_STEREO_CAPS \
  "audio/x-raw, format = (string) { F32LE, F64LE }, " \
  "rate = (int) [ 8000, 384000 ], channels = (int) 2, " \
  "layout = (string) interleaved"

/* Adds sink and src templates with GST_MST_ALLOWED_CAPS. */
void gst_mst_add_pad_templates (GstAudioFilterClass * klass);

/* The same with other caps (a subclass narrowing its base's, the
 * templates replaced); refusals then name these as accepted. */
void gst_mst_add_pad_templates_caps (GstAudioFilterClass * klass,
    const gchar * caps_string);

/* accept_caps for the elements: the parent's answer, plus a NEGOTIATION
 * error that names the offered and the accepted caps when fixed sink caps
 * are refused (a CAPS event is checked this way before it arrives), so the
 * pipeline does not only fail with "not-negotiated". */
gboolean gst_mst_accept_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps);

/* For setup: TRUE and *is_f64 for F32LE and F64LE; otherwise posts a
 * NEGOTIATION error and returns FALSE. */
gboolean gst_mst_check_format (GstAudioFilter * filter,
    const GstAudioInfo * info, gboolean * is_f64);

/* Posts the NEGOTIATION error for a format the core refused. */
void gst_mst_refuse_format (GstAudioFilter * filter,
    const GstAudioInfo * info);

/* BS.1770-4 Table 3 class of channel @c by its position: LFE unused, side
 * and rear surrounds surround, the rest (and unpositioned channels)
 * normal. */
MstLoudnessChannel gst_mst_loudness_channel (const GstAudioInfo * info,
    gint c);

/* BS.1770-4 Table 3 weights by channel position: those of
 * gst_mst_loudness_channel()'s classes (mst_bs1770_channel_weight()). */
void gst_mst_loudness_weights (const GstAudioInfo * info, gdouble * weights);

/* The channel indices of the front-left/front-right pair (the two channels
 * of unpositioned stereo) into @left and @right; -1 both when there is no
 * such pair. For the elements' mid/side. */
void gst_mst_front_pair (const GstAudioInfo * info, gint * left,
    gint * right);

/* The `detector` property of every dynamics element (compressor, gate,
 * deesser, mbcomp): MstDynamicsDetector, nicks "peak" and "rms". */
#define GST_TYPE_MST_DYNAMICS_DETECTOR (gst_mst_dynamics_detector_get_type ())
GType gst_mst_dynamics_detector_get_type (void);

/* A repair count into an interval message @s: "@name" (since the last
 * message), "@name-total" (since the stream's start) and
 * "@name-per-channel" (totals, an array of @channels guint64). */
void gst_mst_structure_set_counts (GstStructure * s, const gchar * name,
    guint64 interval, guint64 total, const guint64 * per_channel,
    gint channels);

G_END_DECLS
/* The limiter's and loudnorm's "band-limit" (gst/mst-bandlimit.h). */
#define GST_MST_BAND_LIMIT_BLURB \
  "With true-peak, at 44.1 kHz and above: first remove what lies above " \
  "0.46 fs (20.3 kHz at " \
  "44.1 kHz; an elliptic low-pass, 0.01 dB of ripple below it, 60 dB " \
  "down from 0.483 fs), so that the ceiling holds by an ideal " \
  "(brick-wall) reconstruction too, on clipped masters, noise and tones " \
  "at Nyquist; off: transparent below the ceiling, held for BS.1770-4 " \
  "meters and FFmpeg; switching crossfades over 10 ms"

#endif
