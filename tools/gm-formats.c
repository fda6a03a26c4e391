/* gst-master: output formats and encoders. */
#include "gm-formats.h"

#include <math.h>
#include <string.h>

#include "mst-dither.h"

static const GmFormat formats[] = {
  {"wav16", "wav", "S16LE", 16, FALSE, 0.0, "wavenc", 65535,
      "gstreamer1.0-plugins-good"},
  {"wav24", "wav", "S24LE", 24, FALSE, 0.0, "wavenc", 65535,
      "gstreamer1.0-plugins-good"},
  {"wav32f", "wav", "F32LE", 0, FALSE, 0.0, "wavenc", 65535,
      "gstreamer1.0-plugins-good"},
  {"flac", "flac", "S24LE", 24, FALSE, 0.0, "flacenc quality=5", 8,
      "gstreamer1.0-plugins-good"},
  {"mp3", "mp3", "S16LE", 16, TRUE, 1.0,
      "lamemp3enc target=bitrate cbr=true bitrate=320 ! id3v2mux", 2,
      "gstreamer1.0-plugins-good"},
  {"opus", "opus", "S16LE", 16, TRUE, 1.0,
      "opusenc bitrate=192000 ! oggmux", 8,
      "gstreamer1.0-plugins-base"},
  {"aac", "m4a", "S16LE", 16, TRUE, 1.0,
      "voaacenc bitrate=256000 ! mp4mux", 2,
      "gstreamer1.0-plugins-bad"},
};

const GmFormat *
gm_format_find (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (name, formats[i].name) == 0)
      return &formats[i];
  return NULL;
}

/* Output extensions and their formats (NULL: the WAV of the target's word
 * length). */
static const struct {
  const char *ext;
  const char *format;
} extensions[] = {
  {"wav", NULL}, {"flac", "flac"}, {"mp3", "mp3"}, {"opus", "opus"},
  {"ogg", "opus"}, {"m4a", "aac"}, {"aac", "aac"}, {"mp4", "aac"},
};

static const GmFormat *
wav_for_bits (int target_bits)
{
  return gm_format_find (target_bits == 16 ? "wav16" : "wav24");
}

const GmFormat *
gm_format_for_output (const char *path, int target_bits, char **errmsg)
{
  const char *dot = path ? strrchr (path, '.') : NULL;
  GString *known;

  if (!dot || strchr (dot, '/'))
    return wav_for_bits (target_bits);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    if (!g_ascii_strcasecmp (dot + 1, extensions[i].ext))
      return extensions[i].format ? gm_format_find (extensions[i].format)
          : wav_for_bits (target_bits);
  known = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    g_string_append_printf (known, "%s.%s", i ? ", " : "", extensions[i].ext);
  *errmsg = g_strdup_printf ("%s: unknown output extension '%s' (known: %s; "
      "or give --format)", path, dot, known->str);
  g_string_free (known, TRUE);
  return NULL;
}

/* Opus encodes at 8, 12, 16, 24 or 48 kHz: other rates go to 48 kHz. */
int
gm_format_output_rate (const GmFormat * f, int in_rate_hz, int asked_hz,
    int target_rate_hz)
{
  int rate = target_rate_hz > 0 ? target_rate_hz : in_rate_hz;

  if (asked_hz > 0)
    return asked_hz;
  if (g_strcmp0 (f->name, "opus") == 0) {
    static const int ok[] = { 8000, 12000, 16000, 24000, 48000 };
    gboolean accepted = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
      accepted |= rate == ok[i];
    if (!accepted)
      rate = 48000;
  }
  if (g_strcmp0 (f->name, "aac") == 0 && rate > 96000)
    rate = 96000;
  if (g_strcmp0 (f->name, "mp3") == 0 && rate > 48000)
    rate = 48000;
  return rate == in_rate_hz ? 0 : rate;
}

static const char *const dither_choices[] = { "auto", "off", "flat",
  "lipshitz", "f-weighted", "high"
};

const char *
gm_dither_find (const char *name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (dither_choices); i++)
    if (!strcmp (name, dither_choices[i]))
      return dither_choices[i];
  return NULL;
}

const char *
gm_dither_choices (void)
{
  return "auto off flat lipshitz f-weighted high";
}

int
gm_format_output_bits (const GmFormat * f, int target_bits)
{
  if (f == gm_format_find ("flac") && target_bits == 16)
    return 16;
  return f->bits;
}

const char *
gm_dither_resolve (const GmFormat * f, const char *asked, int target_bits,
    int rate_hz)
{
  int bits = gm_format_output_bits (f, target_bits);
  MstDitherShaping shaping;

  if (bits == 0)
    return NULL;
  if (!asked || !strcmp (asked, "auto"))
    asked = bits == 16 ? "f-weighted" : "flat";
  if (!strcmp (asked, "lipshitz"))
    shaping = MST_DITHER_LIPSHITZ;
  else if (!strcmp (asked, "f-weighted"))
    shaping = MST_DITHER_F_WEIGHTED;
  else if (!strcmp (asked, "high"))
    shaping = MST_DITHER_HIGH;
  else
    return gm_dither_find (asked);
  /* The element's curves exist at 44.1, 48, 88.2 and 96 kHz only. */
  return mst_dither_find_shape (shaping, rate_hz) ? gm_dither_find (asked)
      : "flat";
}

double
gm_dither_ceiling (const char *dither, int bits, int rate_hz,
    double ceiling_db)
{
  static const struct {
    const char *name;
    MstDitherShaping shaping;
  } curves[] = {
    {"flat", MST_DITHER_NONE}, {"lipshitz", MST_DITHER_LIPSHITZ},
    {"f-weighted", MST_DITHER_F_WEIGHTED}, {"high", MST_DITHER_HIGH},
  };
  MstDitherShaping shaping = MST_DITHER_NONE;

  if (!dither || bits == 0)
    return ceiling_db;
  for (guint i = 0; i < G_N_ELEMENTS (curves); i++)
    if (!strcmp (dither, curves[i].name))
      shaping = curves[i].shaping;
  return 20.0 * log10 (pow (10.0, ceiling_db / 20.0) - 2.0
      * mst_dither_peak_error (shaping, rate_hz, bits,
          !strcmp (dither, "off")));
}

char *
gm_format_encode_desc (const GmFormat * f, const char *dither,
    int target_bits, gboolean quantize)
{
  const char *pcm = f->pcm_format;
  char *quantizer, *desc;

  if (gm_format_output_bits (f, target_bits) == 16)
    pcm = "S16LE";
  if (!quantize || !dither)
    quantizer = g_strdup ("audioconvert dithering=none");
  else if (!strcmp (dither, "off"))
    quantizer = g_strdup ("dither bypass=true");
  else
    quantizer = g_strdup_printf ("dither noise-shaping=%s",
        strcmp (dither, "flat") ? dither : "none");
  desc = g_strdup_printf ("%s ! audio/x-raw,format=%s ! %s", quantizer, pcm,
      f->encoder);
  g_free (quantizer);
  return desc;
}
