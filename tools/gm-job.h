/* gst-master: one file's job (what to do, what came out, its progress)
 * and the figures and time series it collects. */
#ifndef GM_JOB_H
#define GM_JOB_H

#include <glib.h>

#include "gm-formats.h"

/* Shortest input with an integrated loudness: one 400 ms gating block
 * (ITU-R BS.1770-4 Annex 1). Short-term loudness and LRA need 3 s. */
#define GM_MIN_INTEGRATED_S 0.4
#define GM_MIN_SHORT_TERM_S 3.0

/** Loudness figures of one file (ITU-R BS.1770-4 / EBU R128), as the
 *  loudmeter element reports them at EOS. -INFINITY: not measurable. */
typedef struct {
  gboolean valid;
  int rate_hz;
  int channels;
  double duration_s;            /* decoded */
  /* The audio the file declares: its WAV header's data size
   * (declared_by_wav_header), else its demuxer's or parser's duration at
   * the end of the decoding (a FLAC's STREAMINFO). NAN: not known. */
  double declared_s;
  gboolean declared_by_wav_header;
  int decoder_warnings;         /* warnings the decoding elements posted */
  char decoder_warning[160];    /* the first of them */
  double integrated_lufs;
  double range_lu;
  double true_peak_dbtp;
  double sample_peak_dbfs;
  double momentary_max_lufs;
  double short_term_max_lufs;
  /* Stereo (the first two channels; mst-stereo-analysis): correlation over
   * 400 ms windows sliding by 100 ms, those above -70 dBFS (silence has
   * no phase): minimum, where it starts (s), mean, how many went below
   * 0; the whole programme's mono fold-down loss (dB, <= 0). */
  gboolean stereo_valid;
  double correlation_min, correlation_min_at_s, correlation_mean;
  gint64 negative_windows;
  double mono_loss_db;
  /* Energy above 16 kHz (48 dB/octave high-pass on every channel): its
   * share of the full band (dB) and its loudest 400 ms window (dBFS RMS);
   * measured at rates of 35.2 kHz and up. */
  gboolean hf_valid;
  double hf_ratio_db, hf_max_dbfs;
  /* gst-master analyze: what the clean-up elements find (their cores run
   * on the decoded audio): the noise floor denoise tracks at the end
   * (dBFS RMS), the steady hum dehum finds (dBFS RMS, and its mains in
   * Hz, 0 when none), the clicks declick repairs. */
  gboolean restoration_valid;
  double noise_floor_dbfs;
  double hum_dbfs, hum_hz;
  gint64 clicks;
} GmFigures;

/** A value over time: pairs of (end of interval in s, value). */
typedef struct {
  GArray *t_s;
  GArray *v;
} GmSeries;

void gm_series_init (GmSeries * s);
void gm_series_clear (GmSeries * s);
void gm_series_add (GmSeries * s, double t_s, double v);

/** How a job went; a job keeps the worst of its notes. */
typedef enum {
  GM_STATUS_OK,
  GM_STATUS_WARNING,
  GM_STATUS_ERROR,
} GmStatus;

/** The bound that held the gain short of the loudness target, if any. */
typedef enum {
  GM_LIMIT_NONE,
  GM_LIMIT_MAX_GAIN,            /* --max-gain */
  GM_LIMIT_MAX_LIMITING,        /* --max-limiting */
} GmLimit;

typedef struct {
  /* Set up before the workers start. */
  const char *input;
  char *output;
  const GmFormat *format;
  double target_lufs;
  double ceiling_dbtp;
  char *report_path;

  /* Results. */
  GmStatus status;
  GPtrArray *notes;             /* messages for the report, in order */
  GmFigures before, after;
  double gain_db;
  double limiter_max_db;
  double headroom_db;
  GmLimit limit;
  double missed_lu;             /* target minus written loudness, at a limit */
  int attempts;
  int out_rate_hz;
  double mono_below_hz;         /* imager mono-below applied; 0: none */
  /* What quantized the output (gm_dither_resolve): NULL for a float
   * output or none yet. */
  const char *dither;
  double seconds;               /* wall time */

  /* Progress, written by the streaming thread's probe. */
  gint done_ms;                 /* audio ms done in finished passes */
  gint pass_ms;                 /* audio ms done in the running pass */
  gint total_ms;                /* estimate of all passes, ms of audio */
  gint passes_expected;
  gint finished;

  GmSeries st_before, st_after, gr, tp_after;
} GmJob;

/** Makes @job a job on @input with empty notes and series. */
void gm_job_init (GmJob * job, const char *input);

/** The name of the GmLimit that held @job short of its target
 *  ("max-gain", "max-limiting") when it did not fail, else NULL. */
const char *gm_job_limit_name (const GmJob * job);

/** The status every report gives @job (the table, --json): its limit's
 *  name when a bound held it (gm_job_limit_name), else its GmStatus's
 *  ("ok", "warning", "error"). */
const char *gm_job_status_name (const GmJob * job);

/** Adds a note to @job's report and raises its status to @s. */
void gm_job_note (GmJob * job, GmStatus s, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

#endif
