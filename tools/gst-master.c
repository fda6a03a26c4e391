/* gst-master: measures and masters audio files with the mastering plugin.
 *
 *   gst-master analyze [--json] [-j N] FILE...
 *   gst-master master IN... -o OUT [--target NAME | --loudness LUFS
 *       --ceiling dBTP] [--format F] [--rate HZ] [-j N] [--json] [--quiet]
 *
 * Every figure comes from the loudmeter element (ITU-R BS.1770-4), every
 * gain change from the limiter element: pass 1 measures, pass 2 applies the
 * exact static gain in front of the true-peak limiter (input-gain), and the
 * written file is decoded and measured again. See docs/gst-master.1. */
#include <gst/gst.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mst-targets.h"
#include <unistd.h>

#include "gst-master.h"

#define PROG "gst-master"
/* Interval of the meter and limiter messages: 10 Hz, the short-term
 * update rate EBU Tech 3341 asks of live meters. */
#define INTERVAL_NS (100 * GST_MSECOND)
/* Shortest input with an integrated loudness: one 400 ms gating block
 * (ITU-R BS.1770-4 Annex 1). Short-term loudness and LRA need 3 s. */
#define MIN_INTEGRATED_S 0.4
#define MIN_SHORT_TERM_S 3.0
/* Loudness tolerance of the written file (the target) and the
 * tighter aim that triggers a corrective pass 2. */
#define LOUDNESS_TOLERANCE_LU 0.1
#define LOUDNESS_AIM_LU 0.07
#define MAX_ATTEMPTS 4
/* The limiter's input-gain range (elements/gstmstlimiter.c); gain beyond it
 * goes to a volume element in front (linear, up to x10). */
#define LIMITER_MIN_GAIN_DB -24.0
#define LIMITER_MAX_GAIN_DB 36.0

/* ------------------------------------------------------------------ */
/* Targets and formats                                                */

/* Delivery targets: the core's table (gst/mst-targets.c), shared with the
 * master bin. */
typedef MstTarget Target;


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
} Format;

static const Format formats[] = {
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

static const Format *
find_format (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (name, formats[i].name) == 0)
      return &formats[i];
  return NULL;
}

/* The format a file name asks for: .wav 24-bit, .flac, .mp3, .opus/.ogg,
 * .m4a/.aac/.mp4. NULL if the extension says nothing. */
static const Format *
format_from_name (const char *path)
{
  const char *dot = strrchr (path, '.');
  if (!dot || strchr (dot, '/'))
    return NULL;
  dot++;
  if (!g_ascii_strcasecmp (dot, "wav"))
    return find_format ("wav24");
  if (!g_ascii_strcasecmp (dot, "flac"))
    return find_format ("flac");
  if (!g_ascii_strcasecmp (dot, "mp3"))
    return find_format ("mp3");
  if (!g_ascii_strcasecmp (dot, "opus") || !g_ascii_strcasecmp (dot, "ogg"))
    return find_format ("opus");
  if (!g_ascii_strcasecmp (dot, "m4a") || !g_ascii_strcasecmp (dot, "aac")
      || !g_ascii_strcasecmp (dot, "mp4"))
    return find_format ("aac");
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */

static struct {
  gboolean json;
  gboolean quiet;
  int jobs;
  const char *output;
  const Target *target;
  double loudness_lufs;         /* NAN: from the target */
  double ceiling_dbtp;          /* NAN: from the target */
  const Format *format;         /* NULL: from OUT's name or the target */
  int rate_hz;                  /* 0: keep */
  double max_gain_db;
  double max_limiting_db;
  double headroom_db;           /* NAN: the format's */
  const char *noise_shaping;    /* NULL: medium at 16 bits, none above */
  const char *report;
} opt;

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

/* ------------------------------------------------------------------ */
/* Series                                                             */

void
gm_series_init (GmSeries * s)
{
  s->t_s = g_array_new (FALSE, FALSE, sizeof (double));
  s->v = g_array_new (FALSE, FALSE, sizeof (double));
}

void
gm_series_clear (GmSeries * s)
{
  if (s->t_s)
    g_array_set_size (s->t_s, 0);
  if (s->v)
    g_array_set_size (s->v, 0);
}

void
gm_series_add (GmSeries * s, double t_s, double v)
{
  g_array_append_val (s->t_s, t_s);
  g_array_append_val (s->v, v);
}

/* ------------------------------------------------------------------ */
/* Jobs and progress                                                  */

typedef enum {
  STATUS_OK,
  STATUS_WARNING,
  STATUS_ERROR,
} Status;

typedef struct {
  /* Set up before the workers start. */
  const char *input;
  char *output;
  const Format *format;
  double target_lufs;
  double ceiling_dbtp;
  char *report_path;

  /* Results. */
  Status status;
  GPtrArray *notes;             /* messages for the report, in order */
  GmFigures before, after;
  double gain_db;
  double limiter_max_db;
  double headroom_db;
  int attempts;
  int out_rate_hz;
  double seconds;               /* wall time */

  /* Progress, written by the streaming thread's probe. */
  gint done_ms;                 /* audio ms done in finished passes */
  gint pass_ms;                 /* audio ms done in the running pass */
  gint total_ms;                /* estimate of all passes, ms of audio */
  gint passes_expected;
  gint finished;

  GmSeries st_before, st_after, gr, tp_after;
} Job;

static Job *jobs;
static int n_jobs;
static gint next_job;
static GMutex out_lock;
static gboolean progress_on;
static gint64 start_us;

static void
note (Job * job, Status s, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
note (Job * job, Status s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (job->notes, g_strdup_vprintf (fmt, ap));
  va_end (ap);
  if (s > job->status)
    job->status = s;
}

static void
progress_clear_locked (void)
{
  if (progress_on)
    fprintf (stderr, "\r\033[K");
}

static void
progress_draw_locked (void)
{
  double frac_sum = 0.0, audio_s = 0.0;
  int n_done = 0;
  const int width = 30;
  char bar[64];

  if (!progress_on)
    return;
  for (int i = 0; i < n_jobs; i++) {
    Job *j = &jobs[i];
    gint done = g_atomic_int_get (&j->done_ms) + g_atomic_int_get (&j->pass_ms);
    gint total = g_atomic_int_get (&j->total_ms);
    gint passes = MAX (1, g_atomic_int_get (&j->passes_expected));
    if (g_atomic_int_get (&j->finished)) {
      frac_sum += 1.0;
      n_done++;
    } else if (total > 0) {
      frac_sum += MIN (1.0, (double) done / total);
    }
    audio_s += done / 1000.0 / passes;
  }
  double frac = n_jobs ? frac_sum / n_jobs : 1.0;
  double elapsed = (g_get_monotonic_time () - start_us) / 1e6;
  int fill = (int) (frac * width + 0.5);
  for (int i = 0; i < width; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  fprintf (stderr, "\r\033[K[%s] %3.0f%%", bar, frac * 100.0);
  /* From the first update on, so short files show them too (the final
   * update at 100 % always does). */
  if (elapsed > 0.0 && audio_s > 0.0)
    fprintf (stderr, "  %.1fx realtime", audio_s / elapsed);
  if (frac > 0.02 && elapsed > 0.0) {
    int left = (int) (elapsed * (1.0 - frac) / frac + 0.5);
    fprintf (stderr, "  %d:%02d left", left / 60, left % 60);
  }
  if (n_jobs > 1)
    fprintf (stderr, "  %d/%d files", n_done, n_jobs);
  fflush (stderr);
}

/* ------------------------------------------------------------------ */
/* Pipelines                                                          */

typedef struct {
  Job *job;
  gint64 frames;
  int bpf;
  int rate;
  int channels;
} Counter;

/* Counts the frames through a pad: duration of the file and progress. */
static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counter *c = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (c->bpf == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstStructure *s;
    if (!caps)
      return GST_PAD_PROBE_OK;
    s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "rate", &c->rate);
    gst_structure_get_int (s, "channels", &c->channels);
    c->bpf = 4 * MAX (1, c->channels);
    gst_caps_unref (caps);
  }
  c->frames += gst_buffer_get_size (buf) / c->bpf;
  if (c->rate > 0 && c->job)
    g_atomic_int_set (&c->job->pass_ms, (gint) (c->frames * 1000 / c->rate));
  return GST_PAD_PROBE_OK;
}

static void
figures_from_message (const GstStructure * s, GmFigures * f)
{
  gst_structure_get_double (s, "integrated", &f->integrated_lufs);
  gst_structure_get_double (s, "loudness-range", &f->range_lu);
  gst_structure_get_double (s, "true-peak", &f->true_peak_dbtp);
  gst_structure_get_double (s, "sample-peak", &f->sample_peak_dbfs);
  gst_structure_get_double (s, "momentary-max", &f->momentary_max_lufs);
  gst_structure_get_double (s, "short-term-max", &f->short_term_max_lufs);
  f->valid = TRUE;
}

static double
msg_time_s (const GstStructure * s)
{
  guint64 ts = 0;
  gst_structure_get_uint64 (s, "timestamp", &ts);
  return ts / 1e9;
}

/* Resets the "tpmeter" at every message it posts, so each message carries
 * the true peak of one interval. Runs in the streaming thread. */
static GstBusSyncReply
tp_reset_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  (void) bus;
  (void) user_data;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (msg, "loudness")
      && g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "tpmeter") == 0)
    g_signal_emit_by_name (GST_MESSAGE_SRC (msg), "reset");
  return GST_BUS_PASS;
}

typedef struct {
  GmFigures fig;                /* from the element named "meter" */
  GmSeries *short_term;         /* from "meter", may be NULL */
  GmSeries *gain_reduction;     /* from "lim", may be NULL */
  GmSeries *true_peak;          /* from "tpmeter", may be NULL */
  double gr_max_db;
} RunResult;

/* Runs @desc (a gst-launch description with a filesrc "src", optionally a
 * filesink "sink", and the elements "meter", "lim", "tpmeter") on @in.
 * Returns FALSE with *@errmsg set on error or interruption. */
static gboolean
run_pipeline (Job * job, const char *desc, const char *in, const char *out,
    const char *count_element, RunResult * res, char **errmsg)
{
  GError *err = NULL;
  GstElement *pipe, *el;
  GstBus *bus;
  GstPad *pad = NULL;
  Counter counter = { job, 0, 0, 0, 0 };
  gboolean ok = FALSE, done = FALSE;

  res->fig.valid = FALSE;
  res->fig.integrated_lufs = res->fig.true_peak_dbtp = -INFINITY;
  res->fig.sample_peak_dbfs = res->fig.momentary_max_lufs = -INFINITY;
  res->fig.short_term_max_lufs = -INFINITY;
  res->fig.range_lu = 0.0;
  res->gr_max_db = 0.0;

  pipe = gst_parse_launch (desc, &err);
  if (!pipe) {
    *errmsg = g_strdup_printf ("cannot build the pipeline (%s): %s", desc,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return FALSE;
  }
  if (err) {
    /* A missing element (an encoder plugin not installed). */
    *errmsg = g_strdup_printf ("cannot build the pipeline: %s", err->message);
    g_clear_error (&err);
    gst_object_unref (pipe);
    return FALSE;
  }
  el = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (el, "location", in, NULL);
  gst_object_unref (el);
  if (out) {
    el = gst_bin_get_by_name (GST_BIN (pipe), "sink");
    g_object_set (el, "location", out, NULL);
    gst_object_unref (el);
  }
  el = gst_bin_get_by_name (GST_BIN (pipe), count_element);
  pad = gst_element_get_static_pad (el, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &counter,
      NULL);
  gst_object_unref (el);

  bus = gst_element_get_bus (pipe);
  if (res->true_peak)
    gst_bus_set_sync_handler (bus, tp_reset_handler, NULL, NULL);
  g_atomic_int_set (&job->pass_ms, 0);

  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (m) {
      gst_message_parse_error (m, &err, NULL);
      gst_message_unref (m);
    }
    *errmsg = g_strdup (err ? err->message : "the pipeline did not start");
    g_clear_error (&err);
    goto out;
  }

  while (!done) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (interrupted) {
      *errmsg = g_strdup ("interrupted");
      if (m)
        gst_message_unref (m);
      goto out;
    }
    if (job->total_ms == 0 && job->passes_expected > 0) {
      gint64 dur = 0;
      if (gst_element_query_duration (pipe, GST_FORMAT_TIME, &dur) && dur > 0)
        g_atomic_int_set (&job->total_ms,
            (gint) (dur / GST_MSECOND) * job->passes_expected);
    }
    if (!m)
      continue;
    switch (GST_MESSAGE_TYPE (m)) {
      case GST_MESSAGE_ERROR:{
        gchar *dbg = NULL;
        gst_message_parse_error (m, &err, &dbg);
        *errmsg = g_strdup (err->message);
        g_clear_error (&err);
        g_free (dbg);
        gst_message_unref (m);
        goto out;
      }
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (m);
        const char *src = GST_OBJECT_NAME (GST_MESSAGE_SRC (m));
        if (gst_structure_has_name (s, "loudness")
            && g_strcmp0 (src, "meter") == 0) {
          gboolean final = FALSE;
          gst_structure_get_boolean (s, "final", &final);
          if (final) {
            figures_from_message (s, &res->fig);
          } else if (res->short_term) {
            double st = -INFINITY;
            gst_structure_get_double (s, "short-term", &st);
            gm_series_add (res->short_term, msg_time_s (s), st);
          }
        } else if (gst_structure_has_name (s, "loudness")
            && g_strcmp0 (src, "tpmeter") == 0 && res->true_peak) {
          double tp = -INFINITY;
          gst_structure_get_double (s, "true-peak", &tp);
          gm_series_add (res->true_peak, msg_time_s (s), tp);
        } else if (gst_structure_has_name (s, "limiter")) {
          double gr = 0.0;
          gst_structure_get_double (s, "gain-reduction", &gr);
          res->gr_max_db = MAX (res->gr_max_db, gr);
          if (res->gain_reduction)
            gm_series_add (res->gain_reduction, msg_time_s (s), gr);
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (m);
  }
  res->fig.rate_hz = counter.rate;
  res->fig.channels = counter.channels;
  res->fig.duration_s = counter.rate ? (double) counter.frames / counter.rate
      : 0.0;
  if (counter.frames == 0) {
    *errmsg = g_strdup ("no audio stream");
    goto out;
  }
  ok = TRUE;

out:
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_atomic_int_add (&job->done_ms, g_atomic_int_get (&job->pass_ms));
  g_atomic_int_set (&job->pass_ms, 0);
  return ok;
}

/* The measuring pipeline: decode, F32, the meter (and with @per_interval_tp
 * a second meter reset at every interval, for true peak over time). */
static char *
measure_desc (gboolean per_interval_tp)
{
  return g_strdup_printf ("filesrc name=src ! decodebin ! audioconvert ! "
      "audio/x-raw,format=F32LE,layout=interleaved ! "
      "loudmeter name=meter interval=%" G_GUINT64_FORMAT " ! %s"
      "fakesink sync=false", (guint64) INTERVAL_NS, per_interval_tp ?
      "loudmeter name=tpmeter interval=100000000 ! " : "");
}

/* Checks that @path names a readable regular file; else a message. */
static char *
check_input (const char *path)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    return g_strdup_printf ("%s: %s", path, g_strerror (errno));
  if (S_ISDIR (st.st_mode))
    return g_strdup_printf ("%s: is a directory", path);
  if (access (path, R_OK) != 0)
    return g_strdup_printf ("%s: %s", path, g_strerror (errno));
  return NULL;
}

static gboolean
measure_file (Job * job, const char *path, GmFigures * fig, GmSeries * st,
    GmSeries * tp, char **errmsg)
{
  RunResult r = { 0 };
  char *desc = measure_desc (tp != NULL);
  char *msg = NULL;
  gboolean ok;

  r.short_term = st;
  r.true_peak = tp;
  ok = run_pipeline (job, desc, path, NULL, "meter", &r, &msg);
  g_free (desc);
  if (!ok) {
    if (g_strcmp0 (msg, "interrupted") == 0)
      *errmsg = msg;
    else {
      *errmsg = g_strdup_printf ("cannot decode %s: %s", path, msg);
      g_free (msg);
    }
    return FALSE;
  }
  *fig = r.fig;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Mastering one file                                                 */

static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  if (g_stat (a, &sa) != 0 || g_stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

#define QUEUE "queue max-size-buffers=0 max-size-time=0 max-size-bytes=4194304"

/* Pass 2's pipeline: decode, (resample), F32, (volume for gain beyond the
 * limiter's range), limiter with the static gain, the one quantization
 * (TPDF dither, noise shaping at 16 bits), encoder, file. */
static char *
master_desc (const Job * job, double gain_db, double limiter_ceiling_db,
    int rate_hz, gboolean with_meter)
{
  const Format *f = job->format;
  double lim_gain = CLAMP (gain_db, LIMITER_MIN_GAIN_DB, LIMITER_MAX_GAIN_DB);
  double extra_db = gain_db - lim_gain;
  const char *shaping = opt.noise_shaping ? opt.noise_shaping
      : (f->bits == 16 ? "medium" : "none");
  char lim_gain_s[G_ASCII_DTOSTR_BUF_SIZE], ceil_s[G_ASCII_DTOSTR_BUF_SIZE];
  char vol_s[G_ASCII_DTOSTR_BUF_SIZE];
  char *resample, *volume, *quantize, *meter, *desc;
  const char *pcm = f->pcm_format;

  /* The cd target is 16-bit, in FLAC too. */
  if (f == find_format ("flac") && opt.target
      && g_strcmp0 (opt.target->name, "cd") == 0)
    pcm = "S16LE";
  resample = rate_hz > 0 ? g_strdup_printf ("audioresample quality=10 ! "
      "audio/x-raw,rate=%d,", rate_hz) : g_strdup ("audio/x-raw,");
  g_ascii_dtostr (vol_s, sizeof vol_s, pow (10.0, extra_db / 20.0));
  volume = fabs (extra_db) > 1e-9 ?
      g_strdup_printf ("volume volume=%s ! ", vol_s) : g_strdup ("");
  if (f->bits > 0 || g_strcmp0 (pcm, "S16LE") == 0)
    quantize = g_strdup_printf ("audioconvert dithering=tpdf "
        "dithering-threshold=%d noise-shaping=%s", f->bits ? f->bits : 16,
        shaping);
  else
    quantize = g_strdup ("audioconvert dithering=none");
  g_ascii_dtostr (lim_gain_s, sizeof lim_gain_s, lim_gain);
  g_ascii_dtostr (ceil_s, sizeof ceil_s, limiter_ceiling_db);
  /* Two threads: decoding and limiting; metering, quantizing, encoding
   * and writing (about equal work on the benchmark's file). */
  /* Pass 2's meter reads the integrated loudness only: no true peak (most
   * of a meter's work). */
  meter = with_meter ? g_strdup_printf ("loudmeter name=meter "
      "measure-true-peak=false interval=%" G_GUINT64_FORMAT " ! ",
      (guint64) (3600 * GST_SECOND)) : g_strdup ("");
  desc = g_strdup_printf ("filesrc name=src ! decodebin ! audioconvert ! "
      "%sformat=F32LE,layout=interleaved ! %s"
      "limiter name=lim ceiling=%s input-gain=%s interval=%" G_GUINT64_FORMAT
      " ! " QUEUE " ! %s%s ! audio/x-raw,format=%s ! %s ! filesink name=sink",
      resample, volume, ceil_s, lim_gain_s, (guint64) INTERVAL_NS, meter,
      quantize, pcm, f->encoder);
  g_free (meter);
  g_free (resample);
  g_free (volume);
  g_free (quantize);
  return desc;
}

/* Opus encodes at 8, 12, 16, 24 or 48 kHz: other rates go to 48 kHz. */
static int
output_rate (const Job * job, int in_rate)
{
  if (opt.rate_hz > 0)
    return opt.rate_hz;
  if (g_strcmp0 (job->format->name, "opus") == 0) {
    static const int ok[] = { 8000, 12000, 16000, 24000, 48000 };
    for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
      if (in_rate == ok[i])
        return 0;
    return 48000;
  }
  if (g_strcmp0 (job->format->name, "aac") == 0 && in_rate > 96000)
    return 96000;
  if (g_strcmp0 (job->format->name, "mp3") == 0 && in_rate > 48000)
    return 48000;
  return 0;
}

static char *
temp_beside (const char *output, int *fd, char **errmsg)
{
  char *dir = g_path_get_dirname (output);
  char *base = g_path_get_basename (output);
  char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX.part", dir, base);
  g_free (dir);
  g_free (base);
  *fd = g_mkstemp_full (tmpl, O_RDWR, 0644);
  if (*fd < 0) {
    *errmsg = g_strdup_printf ("cannot write %s: %s", output,
        g_strerror (errno));
    g_free (tmpl);
    return NULL;
  }
  return tmpl;
}

/* The last gain tried and the loudness it gave (written or predicted). */
typedef struct {
  double gain_db;
  double lufs;
} GainSearch;

/* The next gain towards @target after @job->gain_db gave @lufs. The slope
 * d(output loudness)/d(gain) comes from the last two passes (secant);
 * after one, from a model of the loudness the limiter took (loss) growing
 * as (g - g0)^1.5 beyond the first limited peak g0 (fitted on generated
 * music with 2-6 dB of limiting), so d(loss)/dg = 1.5 loss / (g - g0). */
static double
next_gain (GainSearch * gs, const Job * job, double ceiling, double target,
    double lufs)
{
  double slope = 1.0;
  double g0 = ceiling - job->headroom_db - job->before.true_peak_dbtp;
  double loss = job->before.integrated_lufs + job->gain_db - lufs;

  if (isfinite (gs->gain_db) && fabs (job->gain_db - gs->gain_db) > 1e-3)
    slope = (lufs - gs->lufs) / (job->gain_db - gs->gain_db);
  else if (loss > 0 && job->gain_db - g0 > 0.5)
    slope = 1.0 - 1.5 * loss / (job->gain_db - g0);
  slope = CLAMP (slope, 0.2, 1.0);
  gs->gain_db = job->gain_db;
  gs->lufs = lufs;
  return job->gain_db + (target - lufs) / slope;
}

static void
master_job (Job * job)
{
  char *errmsg = NULL, *tmp = NULL;
  int fd = -1;
  double ceiling = job->ceiling_dbtp;
  double target = job->target_lufs;
  gboolean silent = FALSE, gain_fixed = FALSE;
  int rate;

  job->passes_expected = 3;
  if ((errmsg = check_input (job->input)))
    goto fail;
  for (int i = 0; i < n_jobs; i++) {
    if (same_file (jobs[i].input, job->output)
        || g_strcmp0 (jobs[i].input, job->output) == 0) {
      errmsg = g_strdup_printf ("%s: refusing to overwrite the input %s",
          job->output, jobs[i].input);
      goto fail;
    }
  }
  for (int i = 0; i < n_jobs; i++) {
    if (&jobs[i] != job && g_strcmp0 (jobs[i].output, job->output) == 0
        && &jobs[i] < job) {
      errmsg = g_strdup_printf ("%s: output name already used for %s",
          job->output, jobs[i].input);
      goto fail;
    }
  }
  /* Fail early when the output cannot be written, before the passes. */
  if (!(tmp = temp_beside (job->output, &fd, &errmsg)))
    goto fail;
  close (fd);

  /* Pass 1: measure. */
  if (!measure_file (job, job->input, &job->before, &job->st_before, NULL,
          &errmsg))
    goto fail;
  g_atomic_int_set (&job->total_ms,
      (gint) (job->before.duration_s * 1000.0) * job->passes_expected);
  if (!isfinite (opt.loudness_lufs) && job->before.channels == 1) {
    const Target *t = opt.target ? opt.target : &mst_targets (NULL)[MST_TARGET_DEFAULT];
    target = job->target_lufs = t->mono_loudness_lufs;
  }
  if (job->before.duration_s < MIN_INTEGRATED_S) {
    errmsg = g_strdup_printf ("%s: too short (%.0f ms): loudness needs at "
        "least 400 ms (one ITU-R BS.1770 gating block); not mastered",
        job->input, job->before.duration_s * 1000.0);
    goto fail;
  }
  if (job->before.duration_s < MIN_SHORT_TERM_S)
    note (job, STATUS_WARNING, "shorter than 3 s (%.2f s): short-term "
        "loudness and loudness range are not defined; integrated loudness "
        "from %d gating blocks", job->before.duration_s,
        (int) ((job->before.duration_s - 0.4) / 0.1) + 1);
  if (!isfinite (job->before.integrated_lufs)) {
    silent = TRUE;
    note (job, STATUS_WARNING, "silent: no loudness can be measured "
        "(nothing above the -70 LUFS gate); gain left at 0 dB");
  }

  /* Gain: exact, static; bounded by --max-gain and --max-limiting. */
  job->gain_db = 0.0;
  if (!silent && isfinite (target)) {
    double want = target - job->before.integrated_lufs;
    job->gain_db = want;
    if (job->gain_db > opt.max_gain_db) {
      job->gain_db = opt.max_gain_db;
      gain_fixed = TRUE;
      note (job, STATUS_WARNING, "target %.1f LUFS needs %+.2f dB of gain, "
          "more than --max-gain %.1f dB: gain held at %+.2f dB", target,
          want, opt.max_gain_db, job->gain_db);
    }
  }
  job->headroom_db = isfinite (opt.headroom_db) ? opt.headroom_db
      : job->format->headroom_db;
  if (!silent) {
    double need = job->before.true_peak_dbtp + job->gain_db
        - (ceiling - job->headroom_db);
    if (need > opt.max_limiting_db) {
      double g = job->gain_db - (need - opt.max_limiting_db);
      note (job, STATUS_WARNING, "the target needs %.1f dB of limiter gain "
          "reduction, more than --max-limiting %.1f dB: gain lowered from "
          "%+.2f to %+.2f dB, the output will be quieter than the target",
          need, opt.max_limiting_db, job->gain_db, g);
      job->gain_db = g;
      gain_fixed = TRUE;
    }
  }

  rate = output_rate (job, job->before.rate_hz);
  if (rate > 0 && rate != job->before.rate_hz && opt.rate_hz == 0)
    note (job, STATUS_OK, "resampled to %d Hz (the rates %s accepts)", rate,
        job->format->name);
  if (job->before.channels > job->format->max_channels) {
    errmsg = g_strdup_printf ("%s: %d channels, %s takes at most %d",
        job->input, job->before.channels, job->format->name,
        job->format->max_channels);
    goto fail;
  }

  /* Pass 2, then pass 3 on the written file. The limiter takes loudness
   * away with the peaks it reduces. When it is predicted to limit, the
   * first pass 2 also meters its output after the limiter and, if that
   * misses the target, runs again at once with a corrected gain (no pass 3
   * for a file known to miss); later passes are judged on the written file
   * alone (pass 3), which saves a meter per pass. */
  GainSearch gs = { NAN, NAN };
  /* Loudness the encoder (and dither) adds between the meter after the
   * limiter and the written file, from the last pass 3. */
  double encoder_offset = 0.0;
  for (job->attempts = 1; job->attempts <= MAX_ATTEMPTS; job->attempts++) {
    RunResult r = { 0 };
    char *desc, *msg = NULL;
    gboolean loud_ok, peak_ok, with_meter, aim_loudness;
    double measured;

    if (job->attempts > 1)
      g_atomic_int_add (&job->total_ms,
          (gint) (job->before.duration_s * 1000.0));
    gm_series_clear (&job->gr);
    gm_series_clear (&job->st_after);
    gm_series_clear (&job->tp_after);
    aim_loudness = !silent && isfinite (target) && !gain_fixed;
    /* Limiting predicted with 0.1 dB to spare (else the gain is exact). */
    with_meter = aim_loudness && job->attempts == 1
        && job->before.true_peak_dbtp + job->gain_db
        > ceiling - job->headroom_db - 0.1;
    desc = master_desc (job, job->gain_db, ceiling - job->headroom_db, rate,
        with_meter);
    r.gain_reduction = &job->gr;
    if (!run_pipeline (job, desc, job->input, tmp, "lim", &r, &msg)) {
      errmsg = g_strcmp0 (msg, "interrupted") == 0 ? g_strdup (msg)
          : g_strdup_printf ("cannot master %s to %s: %s%s%s%s", job->input,
          job->output, msg, strstr (msg, "no element") ?
          " (the " : "", strstr (msg, "no element") ?
          job->format->package : "", strstr (msg, "no element") ?
          " package has it)" : "");
      g_free (msg);
      g_free (desc);
      goto fail;
    }
    g_free (desc);
    /* The element reports no reduction as -0.0. */
    job->limiter_max_db = r.gr_max_db > 0.0 ? r.gr_max_db : 0.0;
    measured = with_meter ? r.fig.integrated_lufs + encoder_offset : NAN;
    if (g_getenv ("GST_MASTER_DEBUG"))
      fprintf (stderr, "%s: pass 2 #%d gain %+.3f headroom %.3f: reduction "
          "%.2f dB, %.3f LUFS after the limiter\n", job->input,
          job->attempts, job->gain_db, job->headroom_db,
          job->limiter_max_db, measured);

    if (aim_loudness && isfinite (measured)
        && fabs (measured - target) > LOUDNESS_AIM_LU
        && job->attempts < MAX_ATTEMPTS) {
      job->gain_db = next_gain (&gs, job, ceiling, target, measured);
      continue;
    }

    /* Pass 3: the file as written. */
    if (!measure_file (job, tmp, &job->after, &job->st_after,
            job->report_path ? &job->tp_after : NULL, &errmsg))
      goto fail;
    job->out_rate_hz = job->after.rate_hz;
    if (g_getenv ("GST_MASTER_DEBUG"))
      fprintf (stderr, "%s: pass 3: %.3f LUFS, %.3f dBTP\n", job->input,
          job->after.integrated_lufs, job->after.true_peak_dbtp);

    peak_ok = job->after.true_peak_dbtp <= ceiling;
    loud_ok = !aim_loudness
        || fabs (job->after.integrated_lufs - target) <= LOUDNESS_AIM_LU;
    if (peak_ok && loud_ok)
      break;
    if (job->attempts == MAX_ATTEMPTS)
      break;
    g_atomic_int_add (&job->total_ms,
        (gint) (job->before.duration_s * 1000.0));
    if (!peak_ok) {
      /* Over by x: keep x more, plus a margin for the next encoding. */
      double over = job->after.true_peak_dbtp - ceiling;
      job->headroom_db += over + (job->format->lossy ? 0.2 : 0.02);
    }
    if (!loud_ok && isfinite (job->after.integrated_lufs)) {
      /* The meter after the limiter was on target, the file is not: the
       * difference is the encoder's. */
      if (isfinite (measured))
        encoder_offset += job->after.integrated_lufs - measured;
      job->gain_db = next_gain (&gs, job, ceiling, target,
          job->after.integrated_lufs);
    }
  }

  if (job->after.true_peak_dbtp > ceiling)
    note (job, STATUS_WARNING, "true peak %.2f dBTP is above the ceiling "
        "%.1f dBTP after %d passes", job->after.true_peak_dbtp, ceiling,
        job->attempts);
  if (!silent && isfinite (target) && !gain_fixed
      && fabs (job->after.integrated_lufs - target) > LOUDNESS_TOLERANCE_LU)
    note (job, STATUS_WARNING, "loudness %.2f LUFS misses the target %.1f "
        "by more than %.1f LU", job->after.integrated_lufs, target,
        LOUDNESS_TOLERANCE_LU);
  if (job->format->lossy)
    note (job, STATUS_OK, "%.2f dB of headroom below the ceiling left for "
        "the %s encoder", job->headroom_db, job->format->name);

  if (g_rename (tmp, job->output) != 0) {
    errmsg = g_strdup_printf ("cannot write %s: %s", job->output,
        g_strerror (errno));
    goto fail;
  }
  g_free (tmp);
  tmp = NULL;

  if (job->report_path) {
    GmReport rep = {
      job->input, isfinite (target) && !silent ? target : NAN, ceiling,
      &job->st_before, &job->st_after, &job->gr, &job->tp_after
    };
    GError *err = NULL;
    if (!gm_report_write_png (job->report_path, &rep, &err)) {
      note (job, STATUS_WARNING, "cannot write the report %s: %s",
          job->report_path, err->message);
      g_clear_error (&err);
    }
  }
  return;

fail:
  if (tmp) {
    g_unlink (tmp);
    g_free (tmp);
  }
  note (job, STATUS_ERROR, "%s", errmsg);
  g_free (errmsg);
}

static void
analyze_job (Job * job)
{
  char *errmsg = NULL;

  job->passes_expected = 1;
  if ((errmsg = check_input (job->input))
      || !measure_file (job, job->input, &job->before, NULL, NULL, &errmsg)) {
    note (job, STATUS_ERROR, "%s", errmsg);
    g_free (errmsg);
    return;
  }
  if (job->before.duration_s < MIN_INTEGRATED_S)
    note (job, STATUS_WARNING, "shorter than 400 ms: no loudness");
  else if (job->before.duration_s < MIN_SHORT_TERM_S)
    note (job, STATUS_WARNING, "shorter than 3 s: no short-term loudness "
        "or loudness range");
  else if (!isfinite (job->before.integrated_lufs))
    note (job, STATUS_WARNING, "silent: no loudness can be measured");
}

/* ------------------------------------------------------------------ */
/* Output                                                             */

static void
json_string (GString * s, const char *str)
{
  g_string_append_c (s, '"');
  for (const unsigned char *p = (const unsigned char *) str; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (s, "\\u%04x", *p);
    else
      g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
}

/* JSON has no infinity: not measurable (-inf) is null. */
static void
json_number (GString * s, const char *key, double v, const char *sep)
{
  g_string_append_printf (s, "%s\"%s\": ", sep, key);
  if (isfinite (v))
    g_string_append_printf (s, "%.3f", v);
  else
    g_string_append (s, "null");
}

static void
json_figures (GString * s, const GmFigures * f)
{
  g_string_append_printf (s, "{\"duration_s\": %.3f, \"rate_hz\": %d, "
      "\"channels\": %d", f->duration_s, f->rate_hz, f->channels);
  json_number (s, "integrated_lufs", f->integrated_lufs, ", ");
  json_number (s, "loudness_range_lu",
      f->duration_s >= MIN_SHORT_TERM_S ? f->range_lu : NAN, ", ");
  json_number (s, "true_peak_dbtp", f->true_peak_dbtp, ", ");
  json_number (s, "sample_peak_dbfs", f->sample_peak_dbfs, ", ");
  json_number (s, "momentary_max_lufs", f->momentary_max_lufs, ", ");
  json_number (s, "short_term_max_lufs", f->short_term_max_lufs, ", ");
  g_string_append_c (s, '}');
}

static const char *
status_name (Status s)
{
  return s == STATUS_OK ? "ok" : s == STATUS_WARNING ? "warning" : "error";
}

static void
json_job (GString * s, const Job * job, gboolean master)
{
  g_string_append (s, "  {\"input\": ");
  json_string (s, job->input);
  g_string_append_printf (s, ", \"status\": \"%s\"", status_name (job->status));
  g_string_append (s, ", \"messages\": [");
  for (guint i = 0; i < job->notes->len; i++) {
    if (i)
      g_string_append (s, ", ");
    json_string (s, g_ptr_array_index (job->notes, i));
  }
  g_string_append (s, "]");
  if (job->before.valid) {
    g_string_append (s, master ? ",\n   \"before\": " : ",\n   \"figures\": ");
    json_figures (s, &job->before);
  }
  if (master) {
    g_string_append (s, ",\n   \"output\": ");
    json_string (s, job->output);
    g_string_append_printf (s, ", \"format\": \"%s\"", job->format->name);
    json_number (s, "target_lufs", job->target_lufs, ", ");
    json_number (s, "ceiling_dbtp", job->ceiling_dbtp, ", ");
    if (job->after.valid && job->status != STATUS_ERROR) {
      json_number (s, "gain_db", job->gain_db, ",\n   ");
      json_number (s, "limiter_max_reduction_db", job->limiter_max_db, ", ");
      json_number (s, "headroom_db", job->headroom_db, ", ");
      g_string_append_printf (s, ", \"passes\": %d", job->attempts);
      g_string_append (s, ",\n   \"after\": ");
      json_figures (s, &job->after);
    }
  }
  g_string_append_printf (s, ", \"seconds\": %.3f}", job->seconds);
}

static char *
fmt_db (double v, int dec)
{
  return isfinite (v) ? g_strdup_printf ("%.*f", dec, v) : g_strdup ("-");
}

static void
text_row (const char *label, double b, double a, const char *extra)
{
  char *sb = fmt_db (b, 2), *sa = fmt_db (a, 2);
  printf ("  %-22s %10s %10s%s\n", label, sb, sa, extra ? extra : "");
  g_free (sb);
  g_free (sa);
}

static void
print_master_text (const Job * job)
{
  printf ("%s -> %s  [%s]\n", job->input, job->output,
      status_name (job->status));
  if (job->before.valid && job->after.valid && job->status != STATUS_ERROR) {
    char *t_extra = isfinite (job->target_lufs) ?
        g_strdup_printf ("   target %.1f", job->target_lufs) : NULL;
    char *c_extra = g_strdup_printf ("   ceiling %.1f", job->ceiling_dbtp);
    printf ("  %-22s %10s %10s\n", "", "before", "after");
    text_row ("integrated (LUFS)", job->before.integrated_lufs,
        job->after.integrated_lufs, t_extra);
    text_row ("true peak (dBTP)", job->before.true_peak_dbtp,
        job->after.true_peak_dbtp, c_extra);
    text_row ("sample peak (dBFS)", job->before.sample_peak_dbfs,
        job->after.sample_peak_dbfs, NULL);
    text_row ("loudness range (LU)", job->before.duration_s >= 3.0 ?
        job->before.range_lu : NAN, job->after.duration_s >= 3.0 ?
        job->after.range_lu : NAN, NULL);
    text_row ("max short-term (LUFS)", job->before.short_term_max_lufs,
        job->after.short_term_max_lufs, NULL);
    printf ("  %-22s %10d %10d\n", "rate (Hz)", job->before.rate_hz,
        job->after.rate_hz);
    printf ("  gain %+.2f dB, limiter gain reduction up to %.2f dB, "
        "%d pass%s of mastering, %s, %.1f s\n", job->gain_db,
        job->limiter_max_db, job->attempts, job->attempts > 1 ? "es" : "",
        job->format->name, job->seconds);
    g_free (t_extra);
    g_free (c_extra);
  }
  for (guint i = 0; i < job->notes->len; i++)
    printf ("  note: %s\n", (char *) g_ptr_array_index (job->notes, i));
}

static void
print_analyze_table (void)
{
  printf ("%-32s %9s %7s %7s %7s %8s %8s %9s %3s %6s\n", "file",
      "I (LUFS)", "LRA", "TP", "SP", "M max", "S max", "dur (s)", "ch",
      "rate");
  for (int i = 0; i < n_jobs; i++) {
    const Job *j = &jobs[i];
    const GmFigures *f = &j->before;
    if (j->status == STATUS_ERROR || !f->valid) {
      printf ("%-32s error: %s\n", j->input, j->notes->len ?
          (char *) g_ptr_array_index (j->notes, 0) : "failed");
      continue;
    }
    char *I = fmt_db (f->integrated_lufs, 1);
    char *lra = fmt_db (f->duration_s >= 3.0 ? f->range_lu : NAN, 1);
    char *tp = fmt_db (f->true_peak_dbtp, 1), *sp = fmt_db (f->sample_peak_dbfs, 1);
    char *m = fmt_db (f->momentary_max_lufs, 1);
    char *st = fmt_db (f->short_term_max_lufs, 1);
    printf ("%-32s %9s %7s %7s %7s %8s %8s %9.2f %3d %6d\n", j->input, I, lra,
        tp, sp, m, st, f->duration_s, f->channels, f->rate_hz);
    for (guint k = 0; k < j->notes->len; k++)
      printf ("%-32s   note: %s\n", "", (char *) g_ptr_array_index (j->notes, k));
    g_free (I);
    g_free (lra);
    g_free (tp);
    g_free (sp);
    g_free (m);
    g_free (st);
  }
}

/* ------------------------------------------------------------------ */
/* Workers                                                            */

static gboolean mode_master;

static gpointer
worker (gpointer data)
{
  (void) data;
  for (;;) {
    int i = g_atomic_int_add (&next_job, 1);
    if (i >= n_jobs || interrupted)
      break;
    Job *job = &jobs[i];
    gint64 t0 = g_get_monotonic_time ();
    if (mode_master)
      master_job (job);
    else
      analyze_job (job);
    job->seconds = (g_get_monotonic_time () - t0) / 1e6;
    g_atomic_int_set (&job->finished, 1);
    g_mutex_lock (&out_lock);
    progress_clear_locked ();
    if (job->status == STATUS_ERROR && !opt.json)
      for (guint k = 0; k < job->notes->len; k++)
        fprintf (stderr, "%s: %s\n", PROG,
            (char *) g_ptr_array_index (job->notes, k));
    if (mode_master && !opt.json && job->status != STATUS_ERROR) {
      print_master_text (job);
      fflush (stdout);
    }
    progress_draw_locked ();
    g_mutex_unlock (&out_lock);
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

static void
usage (FILE * f)
{
  fprintf (f,
      "Usage:\n"
      "  " PROG " analyze [OPTION...] FILE...\n"
      "  " PROG " master [OPTION...] IN... -o OUT\n"
      "\n"
      "Measures loudness (ITU-R BS.1770-4, EBU R128) and masters audio files\n"
      "to a delivery target with the mastering plugin's loudmeter and limiter.\n"
      "\n"
      "Options:\n"
      "  -o, --output OUT        output file, or folder for several inputs\n"
      "  -t, --target NAME       streaming (-14 LUFS, -1 dBTP), apple-music "
      "(-16, -1),\n"
      "                          youtube (-14, -1), ebu-r128 (-23, -1), "
      "atsc-a85 (-24, -2),\n"
      "                          podcast (-16, -1; -19 mono), cd (no loudness, "
      "-0.3, wav16)\n"
      "                          default: streaming\n"
      "  -l, --loudness LUFS     integrated loudness target (overrides the "
      "target's)\n"
      "  -c, --ceiling DBTP      true-peak ceiling (overrides the target's)\n"
      "  -f, --format FORMAT     wav16, wav24, wav32f, flac, mp3, opus, aac "
      "(.m4a)\n"
      "                          default: from OUT's extension, else wav24\n"
      "  -r, --rate HZ           resample (audioresample, quality 10)\n"
      "      --max-gain DB       largest gain applied (default 36)\n"
      "      --max-limiting DB   largest limiter gain reduction the target "
      "may take\n"
      "                          (default 12); beyond it the gain is lowered "
      "and said so\n"
      "      --headroom DB       room kept below the ceiling (default 1.0 "
      "for mp3, opus,\n"
      "                          aac; 0 for WAV and FLAC)\n"
      "      --noise-shaping M   none, error-feedback, simple, medium, high\n"
      "                          (default medium at 16 bits, none at 24)\n"
      "      --report FILE.png   picture of loudness, gain reduction and "
      "true peak\n"
      "  -j, --jobs N            files processed in parallel (default: "
      "cores)\n"
      "      --json              machine-readable report on stdout\n"
      "  -q, --quiet             no progress bar\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 when every file succeeded (warnings allowed), 1 when "
      "one failed,\n"
      "2 on a usage error.\n");
}

static gboolean
parse_double (const char *opt_name, const char *s, double *v)
{
  char *end;
  if (!s) {
    fprintf (stderr, "%s: %s needs a value\n", PROG, opt_name);
    return FALSE;
  }
  *v = g_ascii_strtod (s, &end);
  if (end == s || *end || !isfinite (*v)) {
    fprintf (stderr, "%s: %s: not a number: '%s'\n", PROG, opt_name, s);
    return FALSE;
  }
  return TRUE;
}

static char *
output_for (const char *input, const char *folder, const Format * f)
{
  char *base = g_path_get_basename (input);
  char *dot = strrchr (base, '.');
  char *name, *path;
  if (dot && dot != base)
    *dot = '\0';
  name = g_strdup_printf ("%s.%s", base, f->ext);
  path = g_build_filename (folder, name, NULL);
  g_free (base);
  g_free (name);
  return path;
}

static char *
report_for (const char *report, const char *input, int n)
{
  char *base, *dot, *stem, *res;
  if (n == 1)
    return g_strdup (report);
  base = g_path_get_basename (input);
  dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  stem = g_strdup (report);
  dot = strrchr (stem, '.');
  if (dot && !strchr (dot, '/'))
    *dot = '\0';
  res = g_strdup_printf ("%s-%s.png", stem, base);
  g_free (base);
  g_free (stem);
  return res;
}

int
main (int argc, char **argv)
{
  GPtrArray *inputs = g_ptr_array_new ();
  const char *cmd;
  int failed = 0;
  struct sigaction sa;

  opt.jobs = (int) g_get_num_processors ();
  opt.loudness_lufs = opt.ceiling_dbtp = opt.headroom_db = NAN;
  opt.max_gain_db = 36.0;
  opt.max_limiting_db = 12.0;

  if (argc < 2) {
    usage (stderr);
    return 2;
  }
  cmd = argv[1];
  if (!strcmp (cmd, "-h") || !strcmp (cmd, "--help")) {
    usage (stdout);
    return 0;
  }
  if (strcmp (cmd, "analyze") && strcmp (cmd, "master")) {
    fprintf (stderr, "%s: unknown command '%s' (analyze or master)\n", PROG,
        cmd);
    usage (stderr);
    return 2;
  }
  mode_master = !strcmp (cmd, "master");

  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
#define IS(s, l) (!strcmp (a, s) || !strcmp (a, l))
    if (IS ("-h", "--help")) {
      usage (stdout);
      return 0;
    } else if (IS ("-q", "--quiet")) {
      opt.quiet = TRUE;
    } else if (!strcmp (a, "--json")) {
      opt.json = TRUE;
    } else if (IS ("-o", "--output")) {
      if (!v) {
        fprintf (stderr, "%s: %s needs a value\n", PROG, a);
        return 2;
      }
      opt.output = v;
      i++;
    } else if (IS ("-t", "--target")) {
      if (!v || !(opt.target = mst_target_find (v))) {
        fprintf (stderr, "%s: unknown target '%s' (streaming, apple-music, "
            "youtube, ebu-r128, atsc-a85, podcast, cd)\n", PROG, v ? v : "");
        return 2;
      }
      i++;
    } else if (IS ("-f", "--format")) {
      if (!v || !(opt.format = find_format (v))) {
        fprintf (stderr, "%s: unknown format '%s' (wav16, wav24, wav32f, "
            "flac, mp3, opus, aac)\n", PROG, v ? v : "");
        return 2;
      }
      i++;
    } else if (IS ("-l", "--loudness")) {
      if (!parse_double (a, v, &opt.loudness_lufs))
        return 2;
      if (opt.loudness_lufs < -70.0 || opt.loudness_lufs > 0.0) {
        fprintf (stderr, "%s: --loudness %s: out of -70..0 LUFS\n", PROG, v);
        return 2;
      }
      i++;
    } else if (IS ("-c", "--ceiling")) {
      if (!parse_double (a, v, &opt.ceiling_dbtp))
        return 2;
      if (opt.ceiling_dbtp < -20.0 || opt.ceiling_dbtp > 0.0) {
        fprintf (stderr, "%s: --ceiling %s: out of -20..0 dBTP\n", PROG, v);
        return 2;
      }
      i++;
    } else if (IS ("-r", "--rate")) {
      if (!parse_double (a, v, &d))
        return 2;
      if (d < 8000 || d > 384000 || d != floor (d)) {
        fprintf (stderr, "%s: --rate %s: out of 8000..384000 Hz\n", PROG, v);
        return 2;
      }
      opt.rate_hz = (int) d;
      i++;
    } else if (!strcmp (a, "--max-gain")) {
      if (!parse_double (a, v, &opt.max_gain_db))
        return 2;
      i++;
    } else if (!strcmp (a, "--max-limiting")) {
      if (!parse_double (a, v, &opt.max_limiting_db))
        return 2;
      if (opt.max_limiting_db < 0) {
        fprintf (stderr, "%s: --max-limiting must be >= 0\n", PROG);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--headroom")) {
      if (!parse_double (a, v, &opt.headroom_db))
        return 2;
      if (opt.headroom_db < 0 || opt.headroom_db > 6) {
        fprintf (stderr, "%s: --headroom must be 0..6 dB\n", PROG);
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--noise-shaping")) {
      static const char *ok[] = { "none", "error-feedback", "simple",
        "medium", "high"
      };
      opt.noise_shaping = NULL;
      for (guint k = 0; v && k < G_N_ELEMENTS (ok); k++)
        if (!strcmp (v, ok[k]))
          opt.noise_shaping = ok[k];
      if (!opt.noise_shaping) {
        fprintf (stderr, "%s: unknown noise shaping '%s'\n", PROG,
            v ? v : "");
        return 2;
      }
      i++;
    } else if (!strcmp (a, "--report")) {
      if (!v) {
        fprintf (stderr, "%s: --report needs a file name\n", PROG);
        return 2;
      }
      opt.report = v;
      i++;
    } else if (IS ("-j", "--jobs")) {
      if (!parse_double (a, v, &d))
        return 2;
      if (d < 1 || d > 256 || d != floor (d)) {
        fprintf (stderr, "%s: -j %s: 1 to 256\n", PROG, v);
        return 2;
      }
      opt.jobs = (int) d;
      i++;
    } else if (!strcmp (a, "--")) {
      for (i++; i < argc; i++)
        g_ptr_array_add (inputs, argv[i]);
    } else if (a[0] == '-' && a[1]) {
      fprintf (stderr, "%s: unknown option '%s'\n", PROG, a);
      usage (stderr);
      return 2;
    } else {
      g_ptr_array_add (inputs, (gpointer) a);
    }
#undef IS
  }
  if (inputs->len == 0) {
    fprintf (stderr, "%s: no input file\n", PROG);
    return 2;
  }
  if (mode_master && !opt.output) {
    fprintf (stderr, "%s: master needs -o OUT\n", PROG);
    return 2;
  }

  gst_init (NULL, NULL);
  if (!gst_registry_check_feature_version (gst_registry_get (), "loudmeter",
          0, 0, 0) || (mode_master && !gst_registry_check_feature_version
          (gst_registry_get (), "limiter", 0, 0, 0))) {
    fprintf (stderr, "%s: the mastering plugin (loudmeter, limiter) is not "
        "installed; set GST_PLUGIN_PATH to its build folder\n", PROG);
    return 1;
  }

  n_jobs = inputs->len;
  jobs = g_new0 (Job, n_jobs);
  {
    const Target *t = opt.target ? opt.target : &mst_targets (NULL)[MST_TARGET_DEFAULT];
    gboolean folder = FALSE;
    if (mode_master) {
      folder = n_jobs > 1 || g_file_test (opt.output, G_FILE_TEST_IS_DIR)
          || g_str_has_suffix (opt.output, "/");
      if (folder && g_mkdir_with_parents (opt.output, 0755) != 0) {
        fprintf (stderr, "%s: cannot create the output folder %s: %s\n",
            PROG, opt.output, g_strerror (errno));
        return 1;
      }
    }
    for (int i = 0; i < n_jobs; i++) {
      Job *j = &jobs[i];
      j->input = g_ptr_array_index (inputs, i);
      j->notes = g_ptr_array_new_with_free_func (g_free);
      gm_series_init (&j->st_before);
      gm_series_init (&j->st_after);
      gm_series_init (&j->gr);
      gm_series_init (&j->tp_after);
      j->gain_db = 0.0;
      if (!mode_master)
        continue;
      j->format = opt.format;
      if (!j->format && !folder)
        j->format = format_from_name (opt.output);
      if (!j->format)
        j->format = find_format (t->pcm_bits == 16 ? "wav16" : "wav24");
      j->output = folder ? output_for (j->input, opt.output, j->format)
          : g_strdup (opt.output);
      j->target_lufs = t->loudness_lufs;
      j->ceiling_dbtp = isfinite (opt.ceiling_dbtp) ? opt.ceiling_dbtp
          : t->ceiling_dbtp;
      if (opt.report)
        j->report_path = report_for (opt.report, j->input, n_jobs);
    }
  }
  /* Podcast's mono target needs the channel count: read in pass 1. Here:
   * the loudness override, else the preset (mono handled in master_job). */
  for (int i = 0; mode_master && i < n_jobs; i++)
    if (isfinite (opt.loudness_lufs))
      jobs[i].target_lufs = opt.loudness_lufs;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);

  progress_on = !opt.quiet && isatty (STDERR_FILENO);
  start_us = g_get_monotonic_time ();
  {
    int n_threads = MIN (opt.jobs, n_jobs);
    GThread **threads = g_new (GThread *, n_threads);
    for (int i = 0; i < n_threads; i++)
      threads[i] = g_thread_new ("gst-master", worker, NULL);
    if (progress_on) {
      for (;;) {
        gboolean all = TRUE;
        for (int i = 0; i < n_jobs; i++)
          all &= g_atomic_int_get (&jobs[i].finished) != 0;
        if (all || interrupted)
          break;
        g_mutex_lock (&out_lock);
        progress_draw_locked ();
        g_mutex_unlock (&out_lock);
        g_usleep (200 * 1000);
      }
    }
    for (int i = 0; i < n_threads; i++)
      g_thread_join (threads[i]);
    g_free (threads);
  }
  g_mutex_lock (&out_lock);
  progress_clear_locked ();
  g_mutex_unlock (&out_lock);

  if (interrupted) {
    fprintf (stderr, "%s: interrupted; no output file left behind\n", PROG);
    return 130;
  }

  for (int i = 0; i < n_jobs; i++)
    if (jobs[i].status == STATUS_ERROR)
      failed++;
  if (opt.json) {
    GString *s = g_string_new ("[\n");
    for (int i = 0; i < n_jobs; i++) {
      json_job (s, &jobs[i], mode_master);
      g_string_append (s, i + 1 < n_jobs ? ",\n" : "\n");
    }
    g_string_append (s, "]\n");
    fputs (s->str, stdout);
    g_string_free (s, TRUE);
  } else if (!mode_master) {
    print_analyze_table ();
  }
  if (n_jobs > 1 && !opt.json)
    fprintf (stderr, "%s: %d of %d files succeeded\n", PROG, n_jobs - failed,
        n_jobs);
  return failed ? 1 : 0;
}
