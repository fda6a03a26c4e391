/* mst-analyze: decodes an audio file with GStreamer and prints its loudness
 * (ITU-R BS.1770-4 / EBU R128, measured by gst/mst-loudness.c).
 *
 *   mst-analyze [--json] FILE
 *   mst-analyze [--json] --compare BEFORE AFTER
 *
 * Temporary, until the loudmeter element exists. */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <stdio.h>
#include <string.h>

#include "mst-loudness.h"

typedef struct {
  const char *path;
  int rate_hz;
  int channels;
  double duration_s;
  double integrated_lufs;
  double range_lu;
  double true_peak_dbtp;
  double sample_peak_dbfs;
} Analysis;

static const char *prog = "mst-analyze";

/* Decodes @a->path to F64 interleaved and runs the meter over it. FALSE
 * (with a message on stderr) when the file is missing or undecodable. */
static gboolean
analyze (Analysis * a)
{
  GstElement *pipeline = NULL, *src, *sink;
  GstBus *bus = NULL;
  GError *err = NULL;
  MstLoudness *meter = NULL;
  uint64_t n_frames = 0;
  gboolean ok = FALSE, eos = FALSE;

  if (!g_file_test (a->path, G_FILE_TEST_EXISTS)) {
    fprintf (stderr, "%s: %s: no such file\n", prog, a->path);
    return FALSE;
  }
  if (g_file_test (a->path, G_FILE_TEST_IS_DIR)) {
    fprintf (stderr, "%s: %s: is a directory\n", prog, a->path);
    return FALSE;
  }

  pipeline = gst_parse_launch ("filesrc name=src ! decodebin ! audioconvert"
      " ! audio/x-raw,format=F64LE,layout=interleaved"
      " ! appsink name=sink sync=false", &err);
  if (!pipeline) {
    fprintf (stderr, "%s: cannot build the decoding pipeline: %s\n", prog,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", a->path, NULL);
  gst_object_unref (src);
  bus = gst_element_get_bus (pipeline);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The reason, if any, is on the bus. */
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      gst_message_unref (msg);
    }
    fprintf (stderr, "%s: cannot decode %s: %s\n", prog, a->path,
        err ? err->message : "pipeline failed to start");
    g_clear_error (&err);
    goto out;
  }

  while (!eos) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      gst_message_unref (msg);
      fprintf (stderr, "%s: cannot decode %s: %s\n", prog, a->path,
          err->message);
      g_clear_error (&err);
      if (sample)
        gst_sample_unref (sample);
      goto out;
    }
    if (!sample) {
      eos = gst_app_sink_is_eos (GST_APP_SINK (sink));
      continue;
    }

    {
      GstAudioInfo info;
      GstBuffer *buf = gst_sample_get_buffer (sample);
      GstMapInfo map;

      if (!gst_audio_info_from_caps (&info, gst_sample_get_caps (sample))) {
        fprintf (stderr, "%s: %s: unreadable audio caps\n", prog, a->path);
        gst_sample_unref (sample);
        goto out;
      }
      if (!meter) {
        a->rate_hz = GST_AUDIO_INFO_RATE (&info);
        a->channels = GST_AUDIO_INFO_CHANNELS (&info);
        meter = mst_loudness_init (a->rate_hz, a->channels, NULL);
        if (!meter) {
          fprintf (stderr, "%s: %s: %d Hz, %d channels not supported "
              "(%d-%d Hz, 1-%d channels)\n", prog, a->path, a->rate_hz,
              a->channels, MST_MIN_RATE_HZ, MST_MAX_RATE_HZ,
              MST_MAX_CHANNELS);
          gst_sample_unref (sample);
          goto out;
        }
      } else if (GST_AUDIO_INFO_RATE (&info) != a->rate_hz
          || GST_AUDIO_INFO_CHANNELS (&info) != a->channels) {
        fprintf (stderr, "%s: %s: format changes mid-stream, not "
            "supported\n", prog, a->path);
        gst_sample_unref (sample);
        goto out;
      }
      if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
        size_t frames = map.size / (sizeof (double) * a->channels);
        mst_loudness_add_f64 (meter, (const double *) map.data, frames);
        gst_buffer_unmap (buf, &map);
      }
      gst_sample_unref (sample);
    }
  }

  if (!meter) {
    fprintf (stderr, "%s: %s: no audio decoded\n", prog, a->path);
    goto out;
  }
  mst_loudness_get_n_frames (meter, &n_frames);
  a->duration_s = (double) n_frames / a->rate_hz;
  mst_loudness_get_integrated (meter, &a->integrated_lufs);
  mst_loudness_get_range (meter, &a->range_lu);
  mst_loudness_get_true_peak (meter, &a->true_peak_dbtp);
  mst_loudness_get_sample_peak (meter, &a->sample_peak_dbfs);
  ok = TRUE;

out:
  mst_loudness_destroy (&meter);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok;
}

/* JSON has no infinity: -inf (silence) is written as null. */
static void
json_number (GString * s, const char *key, double v, const char *fmt)
{
  g_string_append_printf (s, "\"%s\": ", key);
  if (isfinite (v))
    g_string_append_printf (s, fmt, v);
  else
    g_string_append (s, "null");
}

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

static void
json_object (GString * s, const Analysis * a, const char *indent)
{
  g_string_append_printf (s, "{\n%s  \"file\": ", indent);
  json_string (s, a->path);
  g_string_append_printf (s, ",\n%s  ", indent);
  json_number (s, "duration_s", a->duration_s, "%.3f");
  g_string_append_printf (s, ",\n%s  \"rate_hz\": %d,\n%s  \"channels\": %d"
      ",\n%s  ", indent, a->rate_hz, indent, a->channels, indent);
  json_number (s, "integrated_lufs", a->integrated_lufs, "%.2f");
  g_string_append_printf (s, ",\n%s  ", indent);
  json_number (s, "loudness_range_lu", a->range_lu, "%.2f");
  g_string_append_printf (s, ",\n%s  ", indent);
  json_number (s, "true_peak_dbtp", a->true_peak_dbtp, "%.2f");
  g_string_append_printf (s, ",\n%s  ", indent);
  json_number (s, "sample_peak_dbfs", a->sample_peak_dbfs, "%.2f");
  g_string_append_printf (s, "\n%s}", indent);
}

static void
print_text (const Analysis * a)
{
  printf ("file:            %s\n", a->path);
  printf ("duration:        %.3f s\n", a->duration_s);
  printf ("rate:            %d Hz\n", a->rate_hz);
  printf ("channels:        %d\n", a->channels);
  printf ("integrated:      %.2f LUFS\n", a->integrated_lufs);
  printf ("loudness range:  %.2f LU\n", a->range_lu);
  printf ("true peak:       %.2f dBTP\n", a->true_peak_dbtp);
  printf ("sample peak:     %.2f dBFS\n", a->sample_peak_dbfs);
}

static void
compare_row (const char *label, double before, double after, int decimals)
{
  printf ("%-24s %12.*f %12.*f", label, decimals, before, decimals, after);
  if (isfinite (before) && isfinite (after))
    printf (" %+12.*f\n", decimals, after - before);
  else
    printf (" %12s\n", "-");
}

static void
print_compare (const Analysis * b, const Analysis * a)
{
  printf ("%-24s %12s %12s %12s\n", "", "before", "after", "change");
  printf ("%-24s %12d %12d\n", "rate (Hz)", b->rate_hz, a->rate_hz);
  printf ("%-24s %12d %12d\n", "channels", b->channels, a->channels);
  compare_row ("duration (s)", b->duration_s, a->duration_s, 3);
  compare_row ("integrated (LUFS)", b->integrated_lufs, a->integrated_lufs,
      2);
  compare_row ("loudness range (LU)", b->range_lu, a->range_lu, 2);
  compare_row ("true peak (dBTP)", b->true_peak_dbtp, a->true_peak_dbtp, 2);
  compare_row ("sample peak (dBFS)", b->sample_peak_dbfs,
      a->sample_peak_dbfs, 2);
}

static int
usage (void)
{
  fprintf (stderr, "usage: %s [--json] FILE\n"
      "       %s [--json] --compare BEFORE AFTER\n", prog, prog);
  return 2;
}

int
main (int argc, char **argv)
{
  gboolean json = FALSE, compare = FALSE;
  const char *files[2] = { NULL, NULL };
  int n_files = 0;
  Analysis res[2];

  if (argc > 0)
    prog = g_path_get_basename (argv[0]);
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--json") == 0) {
      json = TRUE;
    } else if (strcmp (argv[i], "--compare") == 0) {
      compare = TRUE;
    } else if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
      usage ();
      return 0;
    } else if (strcmp (argv[i], "--") == 0 && i + 1 < argc) {
      for (i++; i < argc && n_files < 2; i++)
        files[n_files++] = argv[i];
      if (i < argc)
        return usage ();
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf (stderr, "%s: unknown option %s\n", prog, argv[i]);
      return usage ();
    } else if (n_files < 2) {
      files[n_files++] = argv[i];
    } else {
      return usage ();
    }
  }
  if (n_files != (compare ? 2 : 1))
    return usage ();

  gst_init (NULL, NULL);

  for (int i = 0; i < n_files; i++) {
    memset (&res[i], 0, sizeof (res[i]));
    res[i].path = files[i];
    if (!analyze (&res[i]))
      return 1;
  }

  if (json) {
    GString *s = g_string_new (NULL);
    if (compare) {
      g_string_append (s, "{\n  \"before\": ");
      json_object (s, &res[0], "  ");
      g_string_append (s, ",\n  \"after\": ");
      json_object (s, &res[1], "  ");
      g_string_append (s, "\n}");
    } else {
      json_object (s, &res[0], "");
    }
    printf ("%s\n", s->str);
    g_string_free (s, TRUE);
  } else if (compare) {
    print_compare (&res[0], &res[1]);
  } else {
    print_text (&res[0]);
  }
  return 0;
}
