/* gst-master master: one file mastered to a target. Pass 1 measures; pass 2
 * applies the exact static gain in front of the true-peak limiter and
 * writes; pass 3 measures the written file. The gain search repeats pass 2
 * until the written file is within the tolerance of the target. */
#ifndef GM_GAIN_H
#define GM_GAIN_H

#include "gm-job.h"
#include "mst-targets.h"

/** The largest gain pass 2 can apply: the limiter's input-gain (36 dB)
 *  and a volume element in front (linear, up to x10: 20 dB). */
#define GM_GAIN_MAX_DB 56.0

/** What the command line asks of every file mastered. */
typedef struct {
  const MstTarget *target;      /* as given; NULL: the default */
  double loudness_lufs;         /* NAN: from the target */
  int rate_hz;                  /* 0: keep */
  double max_gain_db;
  double max_limiting_db;
  double headroom_db;           /* NAN: the format's */
  const char *dither;           /* --dither (gm_dither_find); NULL: auto */
  /* Master a truncated or corrupt input (what decodes), with a warning;
   * else it is refused (gm-damage.h). */
  gboolean allow_damaged;
  /* Band settings of a multiband compressor (mbcomp) before the gain and
   * the limiter, named as mst_mbcomp_settings_preset names them; NULL or
   * "none": no compressor. */
  const char *dynamics;
  /* The clean-up stages before the compressor: bit i is
   * mst_clean_stages[i] (declip, declick, dehum, denoise); 0: none. */
  unsigned clean;
  /* The side removed below this frequency (Hz) by an imager in front of
   * the limiter, for stereo files; 0: none; NAN: the target's (vinyl:
   * 150 Hz). */
  double mono_below_hz;
} GmMasterOptions;

/** Masters @job (one of the @n_jobs @jobs, whose inputs and outputs it must
 *  not overwrite) to its output; the outcome in @job's status and notes. */
void gm_master_job (GmJob * job, const GmMasterOptions * o,
    const GmJob * jobs, int n_jobs);

#endif
