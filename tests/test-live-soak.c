/* The live soak: N feeds at once, each a generated programme through the
 * master bin (its loudness controller in live mode) as fast as the machine
 * goes (sync=false), checked per feed as it streams:
 *
 *  - sample count exact (the source's, to the frame);
 *  - timestamps continuous: each buffer's PTS is the frames before it over
 *    the rate (within the nanosecond of rounding), durations adjoining, so
 *    no gap, no overlap, no drift against the sample count;
 *  - loudness held: the output's short-term loudness (3 s, libebur128) within
 *    1 LU of the target, every second, from SETTLE_S after a level change
 *    or a silence gap to the segment's end;
 *  - true peak under the ceiling throughout: the master's own meter (a
 *    loudmeter after the bin, its "largest so far") and libebur128's true
 *    peak of every buffer;
 *  - memory flat: the process's RSS sampled every 200 ms; its growth after
 *    the warm-up (the first quarter of the audio) is bounded;
 *  - CPU per feed: the process's CPU seconds over the feeds, per hour of
 *    audio.
 *
 * The programme: pink noise at -18.8 LUFS (a LOOP_S loop made from a seed
 * per feed, mst-signals, fed by an appsrc) whose level a volume element
 * steps (ramps of 2 s) through segments of 90 to 180 s between
 * LEVEL_MIN_DB and LEVEL_MAX_DB, some followed by 2 to 8 s of digital
 * silence, drawn from a seed per feed; a 2 Hz beat on top. Every run of a
 * feed is the same samples and the same buffers, so its results are too
 * (audiotestsrc's noise, which it replaced, is seeded from /dev/urandom
 * by GLib on every start: two runs of a feed missed the target a
 * different number of times).
 *
 *   test-live-soak [--feeds N] [--seconds S] [--json FILE] [--no-memory-check]
 *
 * --no-memory-check: the RSS is sampled and printed but not judged (the
 * sanitized build, where ASan holds freed memory back by design).
 *
 * Exit 0 when every feed passed every check. bench/soak.py runs it for a
 * day of audio per feed. */
#include <gst/app/app.h>
#include <gst/controller/controller.h>
#include <gst/gst.h>

#include "mst-signals.h"

#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define RATE 48000
#define CHANNELS 2
#define FRAMES_PER_BUFFER 960   /* 20 ms */
/* The streaming target: -14 LUFS, -1 dBTP (gst/mst-targets.c). */
#define TARGET_LUFS -14.0
#define CEILING_DBTP -1.0
#define TOLERANCE_LU 1.0
/* After a level change the controller needs at most: 10 s of held quiet
 * blocks for a passage more than 10 LU quieter to count as the programme
 * (loudnorm.md, Sustained drops), then at most 8 s of 3 dB/s slew for the
 * programme's largest step (23 dB), and the 3 s of the short-term window:
 * about 22 s. 60 s keeps the checks the runs before that rule made. */
#define SETTLE_S 60.0
/* libebur128's 4x interpolator against the limiter's 4x detector (BS.1770-4
 * Annex 2 both, different filters): test-master's allowance. */
#define TP_TOLERANCE_DB 0.05
/* The programme's level steps, dB on the pink noise's -18.8 LUFS (the beat
 * takes some 3 LU off): about -36 to -12 LUFS, so the gain to the target
 * runs from about +20 dB (the controller's max-gain) to -2 dB. */
#define LEVEL_MIN_DB -11.0
#define LEVEL_MAX_DB 12.0
/* The noise loop: long enough that its repetition is no tone (0.1 Hz),
 * at the loudness audiotestsrc's pink noise had at volume 0.5, which the
 * level steps were drawn for. */
#define LOOP_S 10
#define NOISE_LUFS -18.8
/* RSS growth allowed after the warm-up. */
#define RSS_GROWTH_MAX_KB 1024

typedef struct {
  double start_s, end_s;        /* the level holds from start to end */
  double level_db;              /* -inf: silence */
} Segment;

typedef struct {
  int index;
  guint64 frames_wanted;
  float *noise;                 /* LOOP_S of pink noise, interleaved */
  guint64 frames_pushed;
  GArray *segments;
  /* results */
  guint64 frames;
  guint64 ts_errors;
  double st_worst_lu;           /* largest |short-term - target| checked */
  guint64 st_checked, st_failed;
  double tp_ebur128_db, tp_meter_db;
  char *error;
} Feed;

static double
rand_uniform (guint32 * s, double lo, double hi)
{
  /* xorshift32 (Marsaglia 2003): reproducible per seed. */
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return lo + (hi - lo) * (*s / 4294967296.0);
}

/* The feed's level schedule, and the volume automation it makes. */
static void
make_programme (Feed * f, GstElement * volume, double seconds)
{
  guint32 seed = 0x9e3779b9u * (guint32) (f->index + 1);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  double t = 0, prev = 0;
  const double ramp_s = 2.0;

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  f->segments = g_array_new (FALSE, FALSE, sizeof (Segment));
  while (t < seconds) {
    Segment s;
    double level = rand_uniform (&seed, LEVEL_MIN_DB, LEVEL_MAX_DB);
    double len = rand_uniform (&seed, 90, 180);
    gst_timed_value_control_source_set (tv, (GstClockTime) (t * GST_SECOND),
        pow (10, prev / 20));
    gst_timed_value_control_source_set (tv, (GstClockTime) ((t + ramp_s)
            * GST_SECOND), pow (10, level / 20));
    s.start_s = t + ramp_s;
    s.end_s = t + len;
    s.level_db = level;
    g_array_append_val (f->segments, s);
    gst_timed_value_control_source_set (tv, (GstClockTime) (s.end_s
            * GST_SECOND), pow (10, level / 20));
    t = s.end_s;
    prev = level;
    if (rand_uniform (&seed, 0, 1) < 0.4) {
      double gap = rand_uniform (&seed, 2, 8);
      gst_timed_value_control_source_set (tv, (GstClockTime) ((t + 0.001)
              * GST_SECOND), 0.0);
      gst_timed_value_control_source_set (tv, (GstClockTime) ((t + gap)
              * GST_SECOND), 0.0);
      s.start_s = t;
      s.end_s = t + gap;
      s.level_db = -INFINITY;
      g_array_append_val (f->segments, s);
      t += gap;
      prev = -200;
    }
  }
  gst_object_add_control_binding (GST_OBJECT (volume),
      gst_direct_control_binding_new_absolute (GST_OBJECT (volume), "volume",
          cs));
  gst_object_unref (cs);
}

/* Whether the short-term value ending at @t_s is to be held: inside a
 * programme segment, its 3 s window from SETTLE_S after the segment began
 * (a gap, too, is a change the controller has to ride). */
static gboolean
settled (const Feed * f, double t_s)
{
  for (guint i = 0; i < f->segments->len; i++) {
    const Segment *s = &g_array_index (f->segments, Segment, i);
    if (t_s > s->start_s && t_s <= s->end_s)
      return isfinite (s->level_db) && t_s - s->start_s >= SETTLE_S;
  }
  return FALSE;
}

/* Where a settled short-term value missed the target: the segment it
 * lies in and the one before (a level step, or a gap), so a failure
 * says which change the controller did not follow. */
static void
report_off_target (const Feed * f, double t_s, double lufs)
{
  for (guint i = 0; i < f->segments->len; i++) {
    const Segment *s = &g_array_index (f->segments, Segment, i);
    if (t_s > s->start_s && t_s <= s->end_s) {
      const Segment *p = i > 0 ? s - 1 : NULL;
      printf ("feed %d: short-term %.2f LUFS at %.0f s, %.0f s into a "
          "segment at %+.1f dB (%.0f s long) after %s %+.1f dB\n", f->index,
          lufs, t_s, t_s - s->start_s, s->level_db, s->end_s - s->start_s,
          p && !isfinite (p->level_db) ? "a gap; before it" : "a segment at",
          p ? (isfinite (p->level_db) ? p->level_db : (i > 1 ? (s - 2)->level_db
                  : 0.0)) : 0.0);
      return;
    }
  }
}

/* The feed's noise loop, at NOISE_LUFS (libebur128). */
static void
make_noise (Feed * f)
{
  const size_t n = (size_t) LOOP_S * RATE;
  ebur128_state *st = ebur128_init (CHANNELS, RATE, EBUR128_MODE_I);
  double lufs;
  f->noise = g_new (float, n * CHANNELS);
  mst_signal_pink_noise (f->noise, n, CHANNELS, -20.0, 1000u + f->index);
  ebur128_add_frames_float (st, f->noise, n);
  ebur128_loudness_global (st, &lufs);
  ebur128_destroy (&st);
  mst_signal_apply_gain_db (f->noise, n * CHANNELS, NOISE_LUFS - lufs);
}

/* appsrc asks for data: the next buffer of the loop, timestamped from
 * the frame count; the end of stream after frames_wanted. */
static void
need_data (GstAppSrc * src, guint length, gpointer data)
{
  Feed *f = data;
  const guint64 loop = (guint64) LOOP_S * RATE;
  (void) length;
  if (f->frames_pushed >= f->frames_wanted) {
    gst_app_src_end_of_stream (src);
    return;
  }
  GstBuffer *b = gst_buffer_new_allocate (NULL, FRAMES_PER_BUFFER
      * CHANNELS * sizeof (float), NULL);
  GstMapInfo map;
  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (guint64 i = 0; i < FRAMES_PER_BUFFER;) {
    guint64 at = (f->frames_pushed + i) % loop;
    guint64 k = MIN (FRAMES_PER_BUFFER - i, loop - at);
    memcpy (map.data + i * CHANNELS * sizeof (float), f->noise + at
        * CHANNELS, k * CHANNELS * sizeof (float));
    i += k;
  }
  gst_buffer_unmap (b, &map);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale_int (f->frames_pushed,
      GST_SECOND, RATE);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (f->frames_pushed
      + FRAMES_PER_BUFFER, GST_SECOND, RATE) - GST_BUFFER_PTS (b);
  GST_BUFFER_OFFSET (b) = f->frames_pushed;
  f->frames_pushed += FRAMES_PER_BUFFER;
  GST_BUFFER_OFFSET_END (b) = f->frames_pushed;
  gst_app_src_push_buffer (src, b);
}

static volatile gint feeds_progress_min_pct;
static Feed *feeds;
static int n_feeds;

static gpointer
run_feed (gpointer data)
{
  Feed *f = data;
  GError *e = NULL;
  char *desc = g_strdup_printf ("appsrc name=src format=time "
      "is-live=false caps=audio/x-raw,format=F32LE,layout=interleaved,"
      "rate=%d,channels=%d ! "
      "volume name=level ! volume name=beat ! master target=streaming ! "
      "loudmeter name=meter post-messages=false ! "
      "appsink name=out sync=false max-buffers=16", RATE, CHANNELS);
  GstElement *pipe = gst_parse_launch (desc, &e), *level, *meter, *out;
  GstBus *bus;
  ebur128_state *st;
  guint64 next_second = RATE;

  g_free (desc);
  if (!pipe || e) {
    f->error = g_strdup_printf ("pipeline: %s", e ? e->message : "?");
    return NULL;
  }
  {
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
    GstAppSrcCallbacks cb = { need_data, NULL, NULL, {NULL} };
    make_noise (f);
    gst_app_src_set_callbacks (GST_APP_SRC (src), &cb, f, NULL);
    gst_object_unref (src);
  }
  level = gst_bin_get_by_name (GST_BIN (pipe), "level");
  make_programme (f, level, f->frames_wanted / (double) RATE);
  gst_object_unref (level);
  {
    /* A beat: the level between -12 and 0 dB in a 2 Hz square, so the
     * crest factor is a programme's (peaks some 4 dB further over the
     * loudness than steady pink noise) and the limiter holds the ceiling. */
    GstElement *beat = gst_bin_get_by_name (GST_BIN (pipe), "beat");
    GstControlSource *lfo = gst_lfo_control_source_new ();
    g_object_set (lfo, "waveform", GST_LFO_WAVEFORM_SQUARE, "frequency",
        2.0, "offset", (1.0 + 0.25) / 2, "amplitude", (1.0 - 0.25) / 2, NULL);
    gst_object_add_control_binding (GST_OBJECT (beat),
        gst_direct_control_binding_new_absolute (GST_OBJECT (beat), "volume",
            lfo));
    gst_object_unref (lfo);
    gst_object_unref (beat);
  }
  meter = gst_bin_get_by_name (GST_BIN (pipe), "meter");
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  bus = gst_element_get_bus (pipe);
  st = ebur128_init (CHANNELS, RATE, EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
  f->tp_ebur128_db = -INFINITY;
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  for (;;) {
    GstSample *s = gst_app_sink_pull_sample (GST_APP_SINK (out));
    GstMessage *m;
    if (!s)
      break;
    GstBuffer *b = gst_sample_get_buffer (s);
    GstMapInfo map;
    guint64 n = gst_buffer_get_size (b) / (sizeof (float) * CHANNELS);
    GstClockTime want = gst_util_uint64_scale_int (f->frames, GST_SECOND,
        RATE), want_end = gst_util_uint64_scale_int (f->frames + n,
        GST_SECOND, RATE);
    if (!GST_BUFFER_PTS_IS_VALID (b) || GST_BUFFER_PTS (b) + 1 < want
        || GST_BUFFER_PTS (b) > want + 1
        || (GST_BUFFER_DURATION_IS_VALID (b) && (GST_BUFFER_PTS (b)
                + GST_BUFFER_DURATION (b) + 1 < want_end
                || GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b) >
                want_end + 1)))
      f->ts_errors++;
    gst_buffer_map (b, &map, GST_MAP_READ);
    ebur128_add_frames_float (st, (const float *) map.data, n);
    gst_buffer_unmap (b, &map);
    for (int c = 0; c < CHANNELS; c++) {
      double tp;
      ebur128_prev_true_peak (st, c, &tp);
      tp = 20 * log10 (tp);
      if (tp > f->tp_ebur128_db)
        f->tp_ebur128_db = tp;
    }
    f->frames += n;
    while (f->frames >= next_second) {
      double t_s = next_second / (double) RATE, lufs;
      if (settled (f, t_s)
          && ebur128_loudness_shortterm (st, &lufs) == EBUR128_SUCCESS) {
        double dev = fabs (lufs - TARGET_LUFS);
        f->st_checked++;
        if (dev > f->st_worst_lu)
          f->st_worst_lu = dev;
        if (dev > TOLERANCE_LU && f->st_failed++ < 5)
          report_off_target (f, t_s, lufs);
      }
      next_second += RATE;
    }
    gst_sample_unref (s);
    while ((m = gst_bus_pop (bus))) {
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR && !f->error) {
        GError *err = NULL;
        gst_message_parse_error (m, &err, NULL);
        f->error = g_strdup (err->message);
        g_error_free (err);
      }
      gst_message_unref (m);
    }
    {
      int pct = (int) (100 * f->frames / f->frames_wanted);
      int low = 100;
      for (int i = 0; i < n_feeds; i++)
        low = MIN (low, (int) (100 * feeds[i].frames / feeds[i].frames_wanted));
      (void) pct;
      g_atomic_int_set (&feeds_progress_min_pct, low);
    }
  }
  g_object_get (meter, "true-peak", &f->tp_meter_db, NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);
  ebur128_destroy (&st);
  gst_object_unref (bus);
  gst_object_unref (meter);
  gst_object_unref (out);
  gst_object_unref (pipe);
  return NULL;
}

static long
rss_kb (void)
{
  long pages_total, pages_rss = 0;
  FILE *fp = fopen ("/proc/self/statm", "r");
  if (!fp)
    return 0;
  if (fscanf (fp, "%ld %ld", &pages_total, &pages_rss) != 2)
    pages_rss = 0;
  fclose (fp);
  return pages_rss * (sysconf (_SC_PAGESIZE) / 1024);
}

static double
cpu_s (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec
      + ru.ru_stime.tv_usec) / 1e6;
}

int
main (int argc, char **argv)
{
  double seconds = 240;
  const char *json_path = NULL;
  gboolean judge_memory = TRUE;
  int first_feed = 0;
  GThread **threads;
  long rss_warm = 0, rss_max_after = 0, rss_start;
  int failed = 0;
  gint64 t0;
  double cpu0, wall_s, cpu_total;

  n_feeds = 8;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--feeds") && i + 1 < argc)
      n_feeds = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = g_ascii_strtod (argv[++i], NULL);
    else if (!strcmp (argv[i], "--json") && i + 1 < argc)
      json_path = argv[++i];
    else if (!strcmp (argv[i], "--no-memory-check"))
      judge_memory = FALSE;
    else if (!strcmp (argv[i], "--first-feed") && i + 1 < argc)
      first_feed = atoi (argv[++i]);
    else {
      fprintf (stderr, "usage: %s [--feeds N] [--seconds S] [--json FILE] "
          "[--no-memory-check] [--first-feed K]\n", argv[0]);
      return 2;
    }
  }
  if (n_feeds < 1 || seconds < 1)
    return 2;
  gst_init (NULL, NULL);
  feeds = g_new0 (Feed, n_feeds);
  threads = g_new (GThread *, n_feeds);
  rss_start = rss_kb ();
  t0 = g_get_monotonic_time ();
  cpu0 = cpu_s ();
  for (int i = 0; i < n_feeds; i++) {
    feeds[i].index = first_feed + i;
    /* whole buffers, so num-buffers gives the count exactly */
    feeds[i].frames_wanted = (guint64) (seconds * RATE) / FRAMES_PER_BUFFER
        * FRAMES_PER_BUFFER;
    threads[i] = g_thread_new ("feed", run_feed, &feeds[i]);
  }
  /* Memory: the warm-up is the first quarter of the slowest feed's audio;
   * after it the RSS may not grow by more than RSS_GROWTH_MAX_KB. */
  for (;;) {
    gboolean done = TRUE;
    long rss = rss_kb ();
    int low = g_atomic_int_get (&feeds_progress_min_pct);
    for (int i = 0; i < n_feeds; i++)
      done &= feeds[i].frames >= feeds[i].frames_wanted
          || feeds[i].error != NULL;
    if (done)
      break;
    if (low >= 25 && !rss_warm)
      rss_warm = rss;
    if (rss_warm && rss > rss_max_after && low < 100)
      rss_max_after = rss;
    g_usleep (200 * 1000);
  }
  for (int i = 0; i < n_feeds; i++)
    g_thread_join (threads[i]);
  wall_s = (g_get_monotonic_time () - t0) / 1e6;
  cpu_total = cpu_s () - cpu0;

  printf ("feed  frames       ts-err  st-checked  st-failed  worst-LU  "
      "tp-ebur128  tp-meter\n");
  for (int i = 0; i < n_feeds; i++) {
    Feed *f = &feeds[i];
    gboolean ok = !f->error && f->frames == f->frames_wanted
        && f->ts_errors == 0 && f->st_failed == 0 && f->st_checked > 0
        && f->tp_ebur128_db <= CEILING_DBTP + TP_TOLERANCE_DB
        && f->tp_meter_db <= CEILING_DBTP;
    printf ("%-4d  %-11" G_GUINT64_FORMAT "  %-6" G_GUINT64_FORMAT "  %-10"
        G_GUINT64_FORMAT "  %-9" G_GUINT64_FORMAT "  %-8.2f  %-10.3f  %.3f%s%s\n",
        i, f->frames, f->ts_errors, f->st_checked, f->st_failed,
        f->st_worst_lu, f->tp_ebur128_db, f->tp_meter_db,
        ok ? "" : "  FAIL", f->error ? f->error : "");
    if (f->frames != f->frames_wanted)
      printf ("      frames: %" G_GUINT64_FORMAT " wanted\n", f->frames_wanted);
    failed += !ok;
  }
  {
    double audio_h = seconds / 3600.0;
    long growth = rss_warm ? rss_max_after - rss_warm : 0;
    printf ("audio: %d feeds x %.0f s; wall %.1f s (%.0fx realtime per feed, "
        "%.0fx all feeds); CPU %.1f s, %.1f CPU s per feed per audio hour\n",
        n_feeds, seconds, wall_s, seconds / wall_s,
        n_feeds * seconds / wall_s, cpu_total, cpu_total / n_feeds / audio_h);
    printf ("rss: start %ld kB, after warm-up %ld kB, largest after %ld kB "
        "(growth %ld kB, limit %d)\n", rss_start, rss_warm, rss_max_after,
        growth, RSS_GROWTH_MAX_KB);
    if (!judge_memory) {
      printf ("rss: not judged (--no-memory-check)\n");
    } else if (!rss_warm) {
      printf ("rss: the run was too short to sample after the warm-up\n");
      failed++;
    } else if (growth > RSS_GROWTH_MAX_KB) {
      printf ("rss: FAIL, grew after the warm-up\n");
      failed++;
    }
    if (json_path) {
      FILE *j = fopen (json_path, "w");
      if (j) {
        fprintf (j, "{\"feeds\": %d, \"seconds\": %.0f, \"wall_s\": %.2f, "
            "\"cpu_s\": %.2f, \"cpu_s_per_feed_hour\": %.2f, "
            "\"rss_warm_kb\": %ld, \"rss_max_after_kb\": %ld, "
            "\"failed\": %d, \"per_feed\": [", n_feeds, seconds, wall_s,
            cpu_total, cpu_total / n_feeds / audio_h, rss_warm,
            rss_max_after, failed);
        for (int i = 0; i < n_feeds; i++)
          fprintf (j, "%s{\"frames\": %" G_GUINT64_FORMAT ", \"ts_errors\": %"
              G_GUINT64_FORMAT ", \"st_checked\": %" G_GUINT64_FORMAT
              ", \"st_failed\": %" G_GUINT64_FORMAT ", \"st_worst_lu\": %.3f, "
              "\"tp_ebur128\": %.3f, \"tp_meter\": %.3f}", i ? ", " : "",
              feeds[i].frames, feeds[i].ts_errors, feeds[i].st_checked,
              feeds[i].st_failed, feeds[i].st_worst_lu,
              feeds[i].tp_ebur128_db, feeds[i].tp_meter_db);
        fprintf (j, "]}\n");
        fclose (j);
      }
    }
  }
  for (int i = 0; i < n_feeds; i++) {
    g_array_free (feeds[i].segments, TRUE);
    g_free (feeds[i].noise);
    g_free (feeds[i].error);
  }
  g_free (feeds);
  g_free (threads);
  printf ("%s\n", failed ? "FAIL" : "PASS");
  return failed ? 1 : 0;
}
