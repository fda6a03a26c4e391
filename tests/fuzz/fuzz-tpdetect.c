/* libFuzzer harness of the true-peak detector (gst/mst-tpdetect.h).
 *
 * Invariants (abort on violation):
 * - configure takes exactly 1 .. max channels and rates in range;
 * - every peak is finite and at least the magnitude of its own frame's
 *   sample (the interval from a frame to the next includes the frame;
 *   not with ffmpeg_only, a meter whose points need not pass through the
 *   samples); with true_peak off it is that magnitude exactly;
 * - after any input, a block of sane input (|x| <= 0.5) gives peaks at most
 *   4 times the sane magnitude (12 dB: more than any interpolator's
 *   overshoot on such signals, far less than what a value of 1e15 left in
 *   the history would give), once the history holds only sane frames. */
#include "fuzz-common.h"
#include "mst-tpdetect.h"

#define MAX_BLOCK 1024
/* How far back the detector's interpolators look (its delay and taps):
 * after this many sane frames a peak depends on sane frames only. */
#define HISTORY_FRAMES 512

static double buf_in[MAX_BLOCK * MST_MAX_CHANNELS];

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstTpDetect *det;
  if (!det) {
    det = mst_tpdetect_init (MST_MAX_CHANNELS, MAX_BLOCK);
    FZ_CHECK (det, "init failed");
  }
  double rate = fz_rate (&in);
  int channels = (int) (fz_u8 (&in) % 10);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS;
  MstResult res = mst_tpdetect_configure (det, channels, rate);
  FZ_CHECK ((res == MST_OK) == valid, "configure (%d channels, %g Hz): %d",
      channels, rate, res);
  if (res != MST_OK)
    return 0;
  bool ffmpeg_only = fz_u8 (&in) & 1;
  mst_tpdetect_set_ffmpeg_only (det, ffmpeg_only);
  const size_t delay = mst_tpdetect_get_delay ();
  const MstFormat fmt = (fz_u8 (&in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  /* Each channel's samples as the detector took them, by frame. */
  static float taken[MST_MAX_CHANNELS][1 << 16];
  const size_t ring = 1 << 16;
  size_t n_total = 0, sane_run = 0;
  for (int step = 0; step < 32 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    if (op % 8 == 0) {
      mst_tpdetect_reset (det);
      n_total = 0;
      sane_run = 0;
      continue;
    }
    bool sane = op & 0x10;
    bool true_peak = !(op & 0x20);
    int n = (int) fz_frames (&in, MAX_BLOCK);
    fz_fill (&in, fmt, buf_in, (size_t) n * channels, sane, NULL);
    if (getenv ("FUZZ_VERBOSE"))
      fprintf (stderr, "%g Hz, %d channels, ffmpeg_only %d, true_peak %d: "
          "%d frames%s\n", rate, channels, ffmpeg_only, true_peak, n,
          sane ? " (sane)" : "");
    for (int c = 0; c < channels; c++) {
      float *row = mst_tpdetect_input (det, c);
      for (int i = 0; i < n; i++) {
        float v = (float) mst_sample_get (fmt, buf_in, (size_t) i * channels
            + c);
        /* The callers read non-finite samples as 0 before the detector. */
        v = isfinite (v) ? v : 0.0f;
        row[i] = mst_tpdetect_input_value (v);
        taken[c][(n_total + i) % ring] = row[i];
      }
    }
    mst_tpdetect_process (det, n, true_peak);
    for (int c = 0; c < channels; c++) {
      const float *peaks = mst_tpdetect_peaks (det, c);
      for (int i = 0; i < n; i++) {
        size_t t = n_total + i;
        float p = peaks[i];
        FZ_CHECK (isfinite (p) && p >= 0, "peak %g (frame %zu, channel %d)",
            p, t, c);
        if (t < delay)
          continue;
        float x = fabsf (taken[c][(t - delay) % ring]);
        /* FFmpeg's interpolator alone is a meter, not a bound: its points
         * need not pass through the samples. */
        if (!true_peak)
          FZ_CHECK (p == x, "sample peak %.9g, sample %.9g", p, x);
        else if (!ffmpeg_only)
          FZ_CHECK (p >= x * (1 - 1e-6f), "true peak %.9g below the sample "
              "%.9g (frame %zu, channel %d)", p, x, t - delay, c);
        /* The first block after true_peak goes back on must not read
         * points of long-gone input either (corpus/tpdetect/toggle-*). */
        if (sane && sane_run + i >= HISTORY_FRAMES + delay)
          FZ_CHECK (p <= 0.5f * 4.0f, "peak %g after %zu sane frames", p,
              sane_run + i);
      }
    }
    sane_run = sane ? sane_run + n : 0;
    n_total += n;
  }
  return 0;
}
