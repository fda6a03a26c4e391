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

/** The format a file name asks for: .wav 24-bit, .flac, .mp3, .opus/.ogg,
 *  .m4a/.aac/.mp4. NULL if the extension says nothing. */
const GmFormat *gm_format_from_name (const char *path);

/** The rate to resample to for @f from @in_rate_hz, 0 to keep it; @asked_hz
 *  (--rate, 0: none) wins. */
int gm_format_output_rate (const GmFormat * f, int in_rate_hz, int asked_hz);

/** The gst-launch fragment from F32 to encoded bytes: TPDF dither and noise
 *  shaping (@noise_shaping, NULL: medium at 16 bits, none above; neither
 *  without @dither), the PCM format, the encoder. @target_bits: the
 *  delivery target's word length (16 for the CD, which FLAC then carries
 *  too), 0: the format's. */
char *gm_format_encode_desc (const GmFormat * f, const char *noise_shaping,
    int target_bits, gboolean dither);

#endif
