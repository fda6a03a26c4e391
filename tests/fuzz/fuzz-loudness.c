/* libFuzzer harness of the loudness meter (gst/mst-loudness.h).
 *
 * Invariants (abort on violation):
 * - init refuses exactly the rates and channel counts out of range;
 * - every reading is a number, never NaN nor +Inf (-Inf is the reading of
 *   silence or too little input); the range is finite and >= 0; the
 *   strict true peak is NaN exactly when it is off;
 * - the frame count is what went in since the reset, and the non-finite
 *   count rises with NaN or Inf input;
 * - no state stays non-finite or stuck: after 400 ms of sane input
 *   (|x| <= 0.5) the momentary loudness is at most +20 LUFS (full scale on
 *   8 channels with their weights and the K-weighting's shelf stays under
 *   it), whatever came before (NaN, Inf, subnormals, huge values: those
 *   beyond +60 dBFS are silence to the meter). */
#include "fuzz-common.h"
#include "mst-loudness.h"

static double buf[FZ_MAX_SAMPLES];

static void
check_reading (MstResult r, double v, const char *what)
{
  FZ_CHECK (r == MST_OK, "%s: %d", what, r);
  FZ_CHECK (!isnan (v) && v != INFINITY, "%s is %g", what, v);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  double rate = fz_rate (&in);
  int channels = (int) (fz_u8 (&in) % 10);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS;
  /* The last run's meter is kept when the format is the same (init plans
   * FFTs), reset and set back to the defaults: each run starts afresh. */
  static MstLoudness *m;
  static double m_rate;
  static int m_channels;
  MstLoudnessSettings set;
  mst_loudness_settings_default (&set);
  if (m && m_rate == rate && m_channels == channels) {
    FZ_CHECK (mst_loudness_set (m, &set) == MST_OK
        && mst_loudness_reset (m) == MST_OK, "set and reset");
  } else {
    mst_loudness_destroy (&m);
    FZ_CHECK (m == NULL, "destroy left the pointer");
    m = mst_loudness_init (rate, channels, NULL);
    FZ_CHECK ((m != NULL) == valid, "init (%g Hz, %d channels): %p", rate,
        channels, (void *) m);
    m_rate = rate;
    m_channels = channels;
  }
  if (!m)
    return 0;
  const MstFormat fmt = (fz_u8 (&in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  uint64_t n_since_reset = 0;
  size_t sane_run = 0;
  bool finished = false;
  for (int step = 0; step < 40 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    switch (op % 8) {
      case 0:
        set.true_peak = fz_u8 (&in) & 1;
        set.true_peak_strict = fz_u8 (&in) & 1;
        FZ_CHECK (mst_loudness_set (m, &set) == MST_OK, "set");
        break;
      case 1:
        FZ_CHECK (mst_loudness_reset (m) == MST_OK, "reset");
        n_since_reset = 0;
        sane_run = 0;
        finished = false;
        break;
      case 2:
        FZ_CHECK (mst_loudness_finish (m) == MST_OK, "finish");
        finished = true;
        break;
      default:{
        bool sane = op & 0x80;
        size_t n = fz_frames (&in, FZ_MAX_FRAMES);
        FzBlockInfo info;
        fz_fill (&in, fmt, buf, n * channels, sane, &info);
        uint64_t bad_before = mst_loudness_get_nonfinite_count (m);
        MstResult r = fmt == MST_FORMAT_F64 ? mst_loudness_add_f64 (m, buf, n)
            : mst_loudness_add_f32 (m, (float *) buf, n);
        FZ_CHECK (r == MST_OK, "add: %d", r);
        if (info.nonfinite)
          FZ_CHECK (mst_loudness_get_nonfinite_count (m) > bad_before,
              "NaN/Inf not counted");
        n_since_reset += n;
        sane_run = sane ? sane_run + n : 0;
        break;
      }
    }
    double v;
    check_reading (mst_loudness_get_momentary (m, &v), v, "momentary");
    /* Samples beyond +60 dBFS are silence to the meter, so nothing rings
     * after them (corpus/loudness/rings-after-huge, true-peak-inf). */
    if (sane_run >= (size_t) ceil (0.4 * rate) + (size_t) (rate / 100) + 1)
      FZ_CHECK (v <= 20.0, "momentary %g LUFS after %zu frames of sane "
          "input", v, sane_run);
    check_reading (mst_loudness_get_short_term (m, &v), v, "short-term");
    check_reading (mst_loudness_get_integrated (m, &v), v, "integrated");
    check_reading (mst_loudness_get_relative_threshold (m, &v), v,
        "relative threshold");
    check_reading (mst_loudness_get_max_momentary (m, &v), v, "max momentary");
    check_reading (mst_loudness_get_max_short_term (m, &v), v,
        "max short-term");
    FZ_CHECK (mst_loudness_get_range (m, &v) == MST_OK && isfinite (v)
        && v >= 0, "range %g LU", v);
    check_reading (mst_loudness_get_sample_peak (m, &v), v, "sample peak");
    if (set.true_peak) {
      check_reading (mst_loudness_get_true_peak (m, &v), v, "true peak");
      for (int c = 0; c < channels; c++)
        check_reading (mst_loudness_get_channel_true_peak (m, c, &v), v,
            "channel true peak");
    }
    for (int c = 0; c < channels; c++)
      check_reading (mst_loudness_get_channel_sample_peak (m, c, &v), v,
          "channel sample peak");
    FZ_CHECK (mst_loudness_get_true_peak_strict (m, &v) == MST_OK,
        "strict true peak");
    if (set.true_peak_strict)
      check_reading (MST_OK, v, "strict true peak");
    else
      FZ_CHECK (isnan (v), "strict true peak %g while off", v);
    uint64_t n_frames;
    FZ_CHECK (mst_loudness_get_n_frames (m, &n_frames) == MST_OK
        && n_frames == n_since_reset, "%llu frames measured, %llu added",
        (unsigned long long) n_frames, (unsigned long long) n_since_reset);
    (void) finished;
  }
  return 0;
}
