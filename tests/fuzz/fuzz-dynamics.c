/* libFuzzer harness of the dynamics blocks: the level detector
 * (gst/mst-level-detector.h) feeding the gain computer
 * (gst/mst-gain-computer.h), as every dynamics element chains them.
 *
 * Invariants (abort on violation):
 * - set refuses exactly the settings out of the headers' ranges, and a
 *   refused set changes nothing (a twin detector that never saw it gives
 *   bit-identical levels);
 * - every level is finite, within the floor (-200 dB) and +200 dB (linear:
 *   0 .. 1e10): the detector reads non-finite input as silence and clamps
 *   huge input, so its state stays finite;
 * - every gain is finite, never above the makeup for a compressor or an
 *   expander (it only takes off), never below range + makeup; levels
 *   given straight (NaN, +-Inf, beyond +-200 dB) too; an upward
 *   compressor's between the makeup and the makeup plus its largest
 *   boost. */
#include "fuzz-common.h"
#include "mst-level-detector.h"
#include "mst-gain-computer.h"

static double frames[FZ_MAX_SAMPLES], level_a[FZ_MAX_SAMPLES],
    level_b[FZ_MAX_SAMPLES], gain[FZ_MAX_SAMPLES];

static bool
detector_settings_valid (const MstLevelDetectorSettings * s)
{
  return s->mode >= MST_LEVEL_DETECTOR_PEAK
      && s->mode <= MST_LEVEL_DETECTOR_RMS_WINDOW
      && s->attack_ms >= 0 && s->attack_ms <= MST_LEVEL_DETECTOR_MAX_TIME_MS
      && s->release_ms >= 0
      && s->release_ms <= MST_LEVEL_DETECTOR_MAX_TIME_MS
      && s->window_ms >= MST_LEVEL_DETECTOR_MIN_WINDOW_MS
      && s->window_ms <= MST_LEVEL_DETECTOR_MAX_WINDOW_MS
      && s->link >= 0 && s->link <= 1
      && (s->link_mode == MST_LEVEL_DETECTOR_LINK_MAX
          || s->link_mode == MST_LEVEL_DETECTOR_LINK_MEAN);
}

static bool
computer_settings_valid (const MstGainComputerSettings * s)
{
  bool expand = s->mode == MST_GAIN_COMPUTER_EXPAND;
  return (s->mode == MST_GAIN_COMPUTER_COMPRESS || expand
      || s->mode == MST_GAIN_COMPUTER_UPWARD)
      && s->threshold_db >= MST_GAIN_COMPUTER_MIN_THRESHOLD_DB
      && s->threshold_db <= MST_GAIN_COMPUTER_MAX_THRESHOLD_DB
      && s->ratio >= 1
      && (!expand || s->ratio <= MST_GAIN_COMPUTER_MAX_EXPAND_RATIO)
      && s->knee_db >= 0 && s->knee_db <= MST_GAIN_COMPUTER_MAX_KNEE_DB
      && s->range_db <= 0 && !isnan (s->range_db)
      && s->makeup_db >= -MST_GAIN_COMPUTER_MAX_MAKEUP_DB
      && s->makeup_db <= MST_GAIN_COMPUTER_MAX_MAKEUP_DB;
}

static void
check_gains (const MstGainComputerSettings * s, const double *g, size_t n)
{
  /* The curve's gain is at most 0 dB (it only takes off), at least the
   * range; the makeup is added last. A hair of rounding allowed. */
  double hi = s->makeup_db + 1e-9;
  double lo = isfinite (s->range_db) ? s->range_db + s->makeup_db - 1e-9
      : -INFINITY;
  if (s->mode == MST_GAIN_COMPUTER_UPWARD) {
    /* Upward: it only raises, by at most -range and the block's cap. */
    lo = s->makeup_db - 1e-9;
    hi = s->makeup_db + fmin (-s->range_db, MST_GAIN_COMPUTER_MAX_BOOST_DB)
        + 1e-9;
  }
  for (size_t i = 0; i < n; i++)
    FZ_CHECK (isfinite (g[i]) && g[i] <= hi && g[i] >= lo,
        "gain %.17g dB (makeup %g, range %g, threshold %g, ratio %g, knee "
        "%g, mode %d)", g[i], s->makeup_db, s->range_db, s->threshold_db,
        s->ratio, s->knee_db, s->mode);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstLevelDetector *det_a, *det_b;
  static MstGainComputer *gc;
  if (!det_a) {
    det_a = mst_level_detector_init (MST_MAX_CHANNELS);
    det_b = mst_level_detector_init (MST_MAX_CHANNELS);
    gc = mst_gain_computer_init ();
    FZ_CHECK (det_a && det_b && gc, "init failed");
  }
  MstLevelDetectorSettings ds;
  MstGainComputerSettings gs;
  mst_level_detector_settings_default (&ds);
  mst_gain_computer_settings_default (&gs);
  FZ_CHECK (mst_level_detector_set (det_a, &ds) == MST_OK
      && mst_level_detector_set (det_b, &ds) == MST_OK
      && mst_gain_computer_set (gc, &gs) == MST_OK, "defaults refused");
  double rate = fz_rate (&in);
  int channels = (int) (fz_u8 (&in) % 10);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS;
  MstResult ra = mst_level_detector_configure (det_a, rate, channels);
  MstResult rb = mst_level_detector_configure (det_b, rate, channels);
  FZ_CHECK ((ra == MST_OK) == valid && ra == rb,
      "configure (%g Hz, %d channels): %d", rate, channels, ra);
  FZ_CHECK (mst_gain_computer_configure (gc) == MST_OK, "gc configure");
  if (ra != MST_OK)
    return 0;
  const MstFormat fmt = (fz_u8 (&in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  for (int step = 0; step < 48 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    switch (op % 6) {
      case 0:{
        MstLevelDetectorSettings s = ds;
        uint8_t which = fz_u8 (&in);
        if (which & 1)
          s.mode = (MstLevelDetectorMode) (fz_u8 (&in) % 4);
        if (which & 2)
          s.attack_ms = fz_param (&in, 0.0, 200.0);
        if (which & 4)
          s.release_ms = fz_param (&in, 0.0, 3000.0);
        if (which & 8)
          s.window_ms = fz_param (&in, 0.1, 300.0);
        if (which & 16)
          s.link = fz_param (&in, 0.0, 1.0);
        if (which & 32)
          s.link_mode = (MstLevelDetectorLinkMode) (fz_u8 (&in) % 3);
        MstResult r = mst_level_detector_set (det_a, &s);
        FZ_CHECK ((r == MST_OK) == detector_settings_valid (&s),
            "detector set returned %d (mode %d, attack %g, release %g, "
            "window %g, link %g)", r, s.mode, s.attack_ms, s.release_ms,
            s.window_ms, s.link);
        if (r == MST_OK) {
          FZ_CHECK (mst_level_detector_set (det_b, &s) == MST_OK,
              "B refused what A took");
          ds = s;
        }
        break;
      }
      case 1:{
        MstGainComputerSettings s = gs;
        uint8_t which = fz_u8 (&in);
        if (which & 1)
          s.mode = (MstGainComputerMode) (fz_u8 (&in) % 4);
        if (which & 2)
          s.threshold_db = fz_param (&in, -120.0, 24.0);
        if (which & 4)
          s.ratio = (fz_u8 (&in) & 7) == 0 ? INFINITY
              : fz_param (&in, 1.0, 1000.0);
        if (which & 8)
          s.knee_db = fz_param (&in, 0.0, 48.0);
        if (which & 16)
          s.range_db = (fz_u8 (&in) & 3) == 0 ? -INFINITY
              : fz_param (&in, -200.0, 0.0);
        if (which & 32)
          s.makeup_db = fz_param (&in, -60.0, 60.0);
        MstResult r = mst_gain_computer_set (gc, &s);
        FZ_CHECK ((r == MST_OK) == computer_settings_valid (&s),
            "gain computer set returned %d (mode %d, threshold %g, ratio "
            "%g, knee %g, range %g, makeup %g)", r, s.mode, s.threshold_db,
            s.ratio, s.knee_db, s.range_db, s.makeup_db);
        if (r == MST_OK)
          gs = s;
        break;
      }
      case 2:{
        /* Levels straight into the gain computer, anything. */
        size_t n = fz_frames (&in, 256);
        for (size_t i = 0; i < n; i++)
          level_a[i] = (fz_u8 (&in) & 1) ? fz_wild (&in)
              : fz_range (&in, -300.0, 300.0);
        FZ_CHECK (mst_gain_computer_process (gc, level_a, gain, n)
            == MST_OK, "gain computer process");
        check_gains (&gs, gain, n);
        break;
      }
      default:{
        bool lin = op & 0x40;
        bool sane = op & 0x80;
        size_t n = fz_frames (&in, FZ_MAX_FRAMES);
        size_t n_samples = n * channels;
        fz_fill (&in, fmt, frames, n_samples, sane, NULL);
        if (fmt == MST_FORMAT_F64) {
          ra = lin ? mst_level_detector_process_lin_f64 (det_a, frames, n,
              level_a) : mst_level_detector_process_f64 (det_a, frames, n,
              level_a);
          rb = lin ? mst_level_detector_process_lin_f64 (det_b, frames, n,
              level_b) : mst_level_detector_process_f64 (det_b, frames, n,
              level_b);
        } else {
          ra = lin ? mst_level_detector_process_lin_f32 (det_a,
              (float *) frames, n, level_a)
              : mst_level_detector_process_f32 (det_a, (float *) frames, n,
              level_a);
          rb = lin ? mst_level_detector_process_lin_f32 (det_b,
              (float *) frames, n, level_b)
              : mst_level_detector_process_f32 (det_b, (float *) frames, n,
              level_b);
        }
        FZ_CHECK (ra == MST_OK && rb == MST_OK, "process: %d %d", ra, rb);
        FZ_CHECK (memcmp (level_a, level_b, n_samples * sizeof (double)) == 0,
            "B (refused settings withheld) differs from A");
        for (size_t i = 0; i < n_samples; i++) {
          double l = level_a[i];
          if (lin)
            FZ_CHECK (isfinite (l) && l >= 0
                && l <= MST_LEVEL_DETECTOR_MAX_LIN * (1 + 1e-9),
                "linear level %.17g", l);
          else
            FZ_CHECK (isfinite (l) && l >= MST_LEVEL_DETECTOR_FLOOR_DB
                && l <= 200.0 + 1e-9, "level %.17g dB", l);
        }
        if (!lin) {
          FZ_CHECK (mst_gain_computer_process (gc, level_a, gain, n_samples)
              == MST_OK, "gain computer process");
          check_gains (&gs, gain, n_samples);
        }
        break;
      }
    }
  }
  return 0;
}
