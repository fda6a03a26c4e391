/* mastering: delivery targets, shared by the master bin, its presets and
 * gst-master. */
#include "mst-targets.h"

/* Loudness and ceilings: EBU R128 v4.0 (-23 LUFS, -1 dBTP), ATSC A/85
 * (-24 LKFS, -2 dBTP), the streaming services' published normalisation
 * levels (Spotify and YouTube -14, Apple Music -16 LUFS, -1 dBTP advised),
 * Apple Podcasts (-16 LUFS, -1 dBTP; -19 for mono, as the AES TD1004
 * stereo/mono pair), the CD (no loudness target, 16 bits at 44.1 kHz as
 * IEC 60908 (Red Book) fixes them, -0.3 dBTP for the reconstruction
 * filters of players). The first is the default
 * (MST_TARGET_DEFAULT). */
static const MstTarget targets[] = {
  {"streaming", "music streaming services (Spotify, Tidal, Amazon)",
      -14.0, -14.0, -1.0, 0, 0, 0.0, false},
  {"apple-music", "Apple Music (Sound Check)", -16.0, -16.0, -1.0, 0, 0,
      0.0, false},
  {"youtube", "YouTube", -14.0, -14.0, -1.0, 0, 0, 0.0, false},
  {"ebu-r128", "broadcast, EBU R128", -23.0, -23.0, -1.0, 0, 0, 0.0, false},
  {"atsc-a85", "broadcast, ATSC A/85", -24.0, -24.0, -2.0, 0, 0, 0.0, false},
  {"podcast", "podcasts (Apple Podcasts; -19 LUFS for mono)",
      -16.0, -19.0, -1.0, 0, 0, 0.0, false},
  {"cd", "Red Book CD: no loudness target, 16 bits with dither",
      NAN, NAN, -0.3, 16, 44100, 0.0, false},
  {"vinyl", "vinyl pre-master: no loudness target, mono below 150 Hz, "
        "phase and extreme highs checked, 24 bits",
      NAN, NAN, -1.0, 24, 0, 150.0, true},
};

const MstTarget *
mst_targets (size_t *n)
{
  if (n)
    *n = sizeof targets / sizeof targets[0];
  return targets;
}

/* ASCII only: strcasecmp () follows the locale (Turkish dotless i). */
static bool
ascii_case_equal (const char *a, const char *b)
{
  for (;; a++, b++) {
    char ca = *a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a;
    char cb = *b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b;
    if (ca != cb)
      return false;
    if (!ca)
      return true;
  }
}

const MstTarget *
mst_target_find (const char *name)
{
  if (!name)
    return NULL;
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (ascii_case_equal (targets[i].name, name))
      return &targets[i];
  return NULL;
}

double
mst_target_loudness (const MstTarget * t, int channels)
{
  if (!t)
    return NAN;
  return channels == 1 ? t->mono_loudness_lufs : t->loudness_lufs;
}

const char *const mst_clean_stages[MST_CLEAN_STAGES] = {
  "declip", "declick", "dehum", "denoise",
};

int
mst_clean_stage_find (const char *name)
{
  for (int i = 0; name && i < MST_CLEAN_STAGES; i++)
    if (ascii_case_equal (mst_clean_stages[i], name))
      return i;
  return -1;
}
