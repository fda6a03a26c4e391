/* mastering: delivery targets (loudness and true-peak ceilings), shared by
 * the master bin, its presets (written from this table by the build) and
 * gst-master. Figures from ../shared/REFERENCE.md. */
#ifndef MST_TARGETS_H
#define MST_TARGETS_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *name;             /* as typed: "streaming", "ebu-r128", ... */
  const char *description;
  double loudness_lufs;         /* NAN: no loudness target */
  double mono_loudness_lufs;    /* for one-channel programmes */
  double ceiling_dbtp;
  int pcm_bits;                 /* 0: keep the format; 16: CD */
  int rate_hz;                  /* 0: keep the rate; 44100: CD (files only:
                                 * the master bin keeps its stream's) */
  double mono_below_hz;         /* side removed below (imager mono-below);
                                 * 0: none; 150: vinyl */
  /* Check the phase (a warning when the correlation of a 400 ms window
   * goes below 0) and report the energy above 16 kHz: vinyl. */
  bool check_stereo;
} MstTarget;

/** Index in mst_targets () of the default target (streaming) of the master
 *  bin and gst-master. */
#define MST_TARGET_DEFAULT 0

/** The targets, in a fixed order, and their count. */
const MstTarget *mst_targets (size_t *n);

/** The target called @name, ignoring ASCII case ("EBU-R128"), or NULL. */
const MstTarget *mst_target_find (const char *name);

/** Loudness of @t for a programme of @channels channels (NAN if none). */
double mst_target_loudness (const MstTarget * t, int channels);

/** The clean-up stages (element names) in the order they run at the head
 *  of a chain, before eq, whatever the order they are asked in: clipped
 *  runs first (their edges would read as clicks), then clicks, then hum,
 *  then broadband noise (whose tracker would take hum lines and clicks for
 *  noise). Shared by the master bin's clean and gst-master's --clean. */
#define MST_CLEAN_STAGES 4
extern const char *const mst_clean_stages[MST_CLEAN_STAGES];

/** The index of clean-up stage @name in mst_clean_stages, or -1. */
int mst_clean_stage_find (const char *name);

#ifdef __cplusplus
}
#endif
#endif
