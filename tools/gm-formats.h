/* gst-master: the output formats, their encoders and the one quantization
 * (dither, noise shaping) in front of them. */
#ifndef GM_FORMATS_H
#define GM_FORMATS_H

#include <glib.h>

typedef struct {
  const char *name;
  const char *ext;
  const char *pcm_format;       /* what the encoder is fed */
  int bits;                     /* 0: float, no dither */
  gboolean lossy;
  /* Default distance kept between the limiter's ceiling and the asked
   * ceiling, dB: the decoded lossy file overshoots the encoder's input
   * (verified, and raised when the written file still overshoots). */
  double headroom_db;
  const char *encoder;          /* gst-launch fragment */
  int max_channels;
  const char *package;          /* Debian package of the encoder */
} GmFormat;

/** The format called @name (ASCII case ignored), or NULL. */
const GmFormat *gm_format_find (const char *name);

/** The format the output @path asks for by its extension: .wav (wav24,
 *  wav16 when @target_bits is 16), .flac, .mp3, .opus/.ogg, .m4a/.aac/.mp4;
 *  the WAV of @target_bits when it has none (or @path is NULL). NULL with
 *  *@errmsg (naming the extension and the known ones) for another. */
const GmFormat *gm_format_for_output (const char *path, int target_bits,
    char **errmsg);

/** The rate to resample to for @f from @in_rate_hz, 0 to keep it: the
 *  target's @target_rate_hz (0: none) or the input's, moved to one @f
 *  accepts; @asked_hz (--rate, 0: none) wins. */
int gm_format_output_rate (const GmFormat * f, int in_rate_hz, int asked_hz,
    int target_rate_hz);

/** The --dither choices: "auto" (f-weighted at 16 bits, flat above),
 *  "off" (plain rounding), "flat" (TPDF, no noise shaping), and the `dither`
 *  element's curves "lipshitz", "f-weighted", "high". The choice called
 *  @name (a static string), or NULL. */
const char *gm_dither_find (const char *name);

/** The space-separated list of the --dither choices, for messages. */
const char *gm_dither_choices (void);

/** The word length @f is written at: @target_bits for FLAC (16 for the
 *  CD), else the format's; 0 for a float format. */
int gm_format_output_bits (const GmFormat * f, int target_bits);

/** What quantizes @f's samples at @rate_hz (the output's rate), @asked
 *  (NULL: auto) resolved: NULL for a float output (nothing to reduce),
 *  "off", "flat" (also for a curve the `dither` element has no design of
 *  at that rate), or the curve's name. */
const char *gm_dither_resolve (const GmFormat * f, const char *asked,
    int target_bits, int rate_hz);

/** The limiter ceiling (dBTP) that keeps the true peak of the output
 *  quantized by @dither (gm_dither_resolve; NULL: none) at @bits and
 *  @rate_hz under @ceiling_db: lowered by twice the largest error the
 *  dither adds (mst_dither_peak_error). */
double gm_dither_ceiling (const char *dither, int bits, int rate_hz,
    double ceiling_db);

/** The gst-launch fragment from F32 to encoded bytes: the `dither` element
 *  with the resolved @dither (gm_dither_resolve; NULL, or @quantize FALSE
 *  for digital silence: no dither, plain conversion), the PCM format, the
 *  encoder. @target_bits: the delivery target's word length (16 for the
 *  CD, which FLAC then carries too), 0: the format's. */
char *gm_format_encode_desc (const GmFormat * f, const char *dither,
    int target_bits, gboolean quantize);

#endif
