/* gst-master: damaged inputs. */
#include "gm-damage.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decoded against declared: codecs' priming and padding make them differ
 * by a frame or so on an intact file (measured on gst-master's own 20 s
 * outputs: AAC 0.021 s short, WAV, FLAC, MP3 and Opus exact), so less
 * than DAMAGE_MIN_S, or DAMAGE_FRACTION of a long file, missing is not
 * damage. */
#define DAMAGE_MIN_S 0.1
#define DAMAGE_FRACTION 0.001

static guint32
le32 (const guint8 * p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
le64 (const guint8 * p)
{
  return le32 (p) | (guint64) le32 (p + 4) << 32;
}

double
gm_wav_declared_s (const char *path)
{
  /* Non-blocking: a FIFO without a writer must not hold the job. */
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  FILE *f = NULL;
  guint8 h[28];
  gboolean rf64;
  guint64 ds64_data = 0, data_size = 0, byte_rate = 0;
  gboolean have_data = FALSE;
  off_t pos = 12;

  /* The header of a regular file only (a pipe was read already). */
  if (fd >= 0 && (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)
          || !(f = fdopen (fd, "rb"))))
    close (fd);
  if (!f)
    return NAN;
  if (fread (h, 1, 12, f) != 12 || memcmp (h + 8, "WAVE", 4) != 0
      || (memcmp (h, "RIFF", 4) && memcmp (h, "RF64", 4)
          && memcmp (h, "BW64", 4))) {
    fclose (f);
    return NAN;
  }
  rf64 = memcmp (h, "RIFF", 4) != 0;
  /* The chunks up to "data" ("fmt " comes before it, EBU Tech 3285 and
   * Microsoft's RIFF specification; "ds64" first in RF64, EBU Tech 3306). */
  for (int n = 0; n < 10000 && !have_data; n++) {
    guint32 size;
    if (fseeko (f, pos, SEEK_SET) != 0 || fread (h, 1, 8, f) != 8)
      break;
    size = le32 (h + 4);
    if (!memcmp (h, "ds64", 4) && size >= 16 && fread (h, 1, 16, f) == 16)
      ds64_data = le64 (h + 8);
    else if (!memcmp (h, "fmt ", 4) && size >= 16
        && fread (h + 8, 1, 16, f) == 16)
      byte_rate = le32 (h + 16);
    else if (!memcmp (h, "data", 4)) {
      have_data = TRUE;
      data_size = rf64 && size == 0xFFFFFFFF ? ds64_data : size;
    }
    pos += 8 + (off_t) size + (size & 1);
  }
  fclose (f);
  if (!have_data || byte_rate == 0 || data_size == 0
      || (!rf64 && data_size == 0xFFFFFFFF))
    return NAN;
  return (double) data_size / byte_rate;
}

char *
gm_damage_describe (const GmFigures * f)
{
  GString *s = g_string_new (NULL);
  double missing = f->declared_s - f->duration_s;

  if (isfinite (missing)
      && missing > MAX (DAMAGE_MIN_S, DAMAGE_FRACTION * f->declared_s)) {
    if (f->declared_by_wav_header)
      g_string_append_printf (s, "truncated: %.2f s of %.2f s (the file "
          "ends before the audio its WAV header declares)", f->duration_s,
          f->declared_s);
    else
      g_string_append_printf (s, "damaged: %.2f s of %.2f s decoded (the "
          "decoder skipped frames it could not read, or the file ends "
          "early)", f->duration_s, f->declared_s);
  }
  if (f->decoder_warnings > 0)
    g_string_append_printf (s, "%sdamaged: the decoder warned %d time%s "
        "(%s)", s->len ? "; " : "", f->decoder_warnings,
        f->decoder_warnings > 1 ? "s" : "", f->decoder_warning);
  return g_string_free (s, s->len == 0);
}

gboolean
gm_note_damage (GmJob * job, GmStatus s, const char *consequence)
{
  char *what = gm_damage_describe (&job->before);
  gboolean error = s == GM_STATUS_ERROR;

  if (!what)
    return FALSE;
  gm_job_note (job, s, "%s%s%s%s%s", error ? job->input : "", error ? ": "
      : "", what, consequence ? "; " : "", consequence ? consequence : "");
  g_free (what);
  return TRUE;
}
