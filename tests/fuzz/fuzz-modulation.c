/* libFuzzer harness of the modulation core (gst/mst-modulation.h).
 *
 * Invariants (abort on violation):
 * - set refuses exactly the settings the header's ranges exclude, and a
 *   refused set changes nothing (a second core given only what the first
 *   accepted gives bit-identical output);
 * - every output sample is finite, whatever the input (NaN, Inf and
 *   samples beyond +60 dBFS are read as silence and written as 0 even in
 *   the dry state), and bounded: feedback stays below 100 % and the
 *   flanger's loop keeps feedback^2 of its energy a trip, so sane input
 *   (|x| <= 1) never gives more than 1e8 (even after samples of up to
 *   +60 dBFS, which the core takes as audio, rang through a 99 % comb). */
#include "fuzz-common.h"
#include "mst-modulation.h"

static double buf_in[FZ_MAX_SAMPLES], buf_a[FZ_MAX_SAMPLES],
    buf_b[FZ_MAX_SAMPLES];

static bool
within (double v, double lo, double hi)
{
  return v >= lo && v <= hi;
}

static bool
settings_valid (const MstModulationSettings * s)
{
  return (int) s->mode >= 0 && (int) s->mode <= 2 && (int) s->shape >= 0
      && (int) s->shape <= 1 && s->voices >= 1
      && s->voices <= MST_MODULATION_MAX_VOICES
      && (s->delay_ms == 0.0 || within (s->delay_ms,
          MST_MODULATION_MIN_DELAY_MS, MST_MODULATION_MAX_DELAY_MS))
      && within (s->depth_pct, 0, 100)
      && within (s->rate_hz, 0, MST_MODULATION_MAX_RATE_HZ)
      && within (s->feedback_pct, -MST_MODULATION_MAX_FEEDBACK_PCT,
      MST_MODULATION_MAX_FEEDBACK_PCT)
      && within (s->mix_pct, 0, 100)
      && within (s->spread_deg, 0, MST_MODULATION_MAX_SPREAD_DEG)
      && s->stages >= MST_MODULATION_MIN_STAGES
      && s->stages <= MST_MODULATION_MAX_STAGES
      && within (s->min_freq_hz, MST_MODULATION_MIN_FREQ_HZ,
      MST_MODULATION_MAX_FREQ_HZ)
      && within (s->max_freq_hz, MST_MODULATION_MIN_FREQ_HZ,
      MST_MODULATION_MAX_FREQ_HZ);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstModulation *a, *b;
  if (!a) {
    a = mst_modulation_init ();
    b = mst_modulation_init ();
    FZ_CHECK (a && b, "init failed");
  }
  MstModulationSettings set;
  mst_modulation_settings_default (&set);
  FZ_CHECK (mst_modulation_set (a, &set) == MST_OK
      && mst_modulation_set (b, &set) == MST_OK, "defaults refused");
  double rate = fz_rate (&in);
  int channels = (int) (fz_u8 (&in) % 10);
  MstResult ra = mst_modulation_configure (a, rate, channels);
  MstResult rb = mst_modulation_configure (b, rate, channels);
  FZ_CHECK (ra == rb, "configure: A %d, B %d", ra, rb);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= 2;
  FZ_CHECK ((ra == MST_OK) == valid, "configure (%g Hz, %d channels): %d",
      rate, channels, ra);
  if (ra != MST_OK)
    return 0;
  const MstFormat fmt = (fz_u8 (&in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  for (int step = 0; step < 48 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    if (op % 4 == 0) {
      MstModulationSettings s = set;
      uint16_t which = fz_u16 (&in);
      if (which & 1)
        s.mode = (MstModulationMode) ((int) (fz_u8 (&in) % 5) - 1);
      if (which & 2)
        s.voices = (int) (fz_u8 (&in) % 11) - 1;
      if (which & 4)
        s.delay_ms = fz_param (&in, 0.0, MST_MODULATION_MAX_DELAY_MS);
      if (which & 8)
        s.depth_pct = fz_param (&in, 0.0, 100.0);
      if (which & 16)
        s.rate_hz = fz_param (&in, 0.0, MST_MODULATION_MAX_RATE_HZ);
      if (which & 32)
        s.shape = (MstModulationShape) ((int) (fz_u8 (&in) % 4) - 1);
      if (which & 64)
        s.feedback_pct = fz_param (&in, -100.0, 100.0);
      if (which & 128)
        s.mix_pct = fz_param (&in, 0.0, 100.0);
      if (which & 256)
        s.spread_deg = fz_param (&in, 0.0, 180.0);
      if (which & 512)
        s.stages = (int) (fz_u8 (&in) % 16);
      if (which & 1024)
        s.min_freq_hz = fz_param (&in, 20.0, 20000.0);
      if (which & 2048)
        s.max_freq_hz = fz_param (&in, 20.0, 20000.0);
      if (which & 4096)
        s.bypass = fz_u8 (&in) & 1;
      if (which & 8192)
        s.invert = fz_u8 (&in) & 1;
      MstResult r = mst_modulation_set (a, &s);
      FZ_CHECK ((r == MST_OK) == settings_valid (&s), "set returned %d", r);
      if (r == MST_OK) {
        FZ_CHECK (mst_modulation_set (b, &s) == MST_OK,
            "B refused what A took");
        set = s;
      }
      continue;
    }
    if (op % 16 == 1) {
      mst_modulation_reset (a);
      mst_modulation_reset (b);
      continue;
    }
    bool sane = op & 0x80;
    size_t n = fz_frames (&in, FZ_MAX_FRAMES);
    size_t n_samples = n * channels;
    fz_fill (&in, fmt, buf_in, n_samples, sane, NULL);
    /* Stereo out whatever comes in. */
    size_t bytes = 2 * n * (fmt == MST_FORMAT_F64 ? 8 : 4);
    MstResult ra, rb;
    if (fmt == MST_FORMAT_F64) {
      ra = mst_modulation_process_f64 (a, buf_in, n, buf_a);
      rb = mst_modulation_process_f64 (b, buf_in, n, buf_b);
    } else {
      ra = mst_modulation_process_f32 (a, (const float *) buf_in, n, buf_a);
      rb = mst_modulation_process_f32 (b, (const float *) buf_in, n, buf_b);
    }
    FZ_CHECK (ra == MST_OK && rb == MST_OK, "process: %d %d", ra, rb);
    FZ_CHECK (memcmp (buf_a, buf_b, bytes) == 0,
        "B (refused settings withheld) differs from A");
    for (size_t i = 0; i < 2 * n; i++) {
      double y = mst_sample_get (fmt, buf_a, i);
      FZ_CHECK (isfinite (y), "output sample %zu is %g (%s)", i, y,
          fmt == MST_FORMAT_F64 ? "F64" : "F32");
      if (sane)
        FZ_CHECK (fabs (y) <= 1e8, "output sample %zu is %g from sane "
            "input", i, y);
    }
  }
  return 0;
}
