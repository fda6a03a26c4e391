/* libFuzzer harness of the equalizer core (gst/mst-eq.h).
 *
 * Two equalizers take the same stream; B only gets the settings A accepted.
 * Invariants (abort on violation):
 * - set refuses exactly the settings the header (mst_filter_params_valid,
 *   num_bands, finite gain) calls invalid, and a refused set changes
 *   nothing: A and B give bit-identical output;
 * - every output sample is finite (non-finite input never reaches it;
 *   see below);
 * - no state stays non-finite or stuck: a block of sane noise after any
 *   input, with the filters settled, gives output that is not all zero
 *   unless the equalizer is set to give silence. */
#include "fuzz-common.h"
#include "mst-eq.h"

static double buf_in[FZ_MAX_SAMPLES], buf_a[FZ_MAX_SAMPLES],
    buf_b[FZ_MAX_SAMPLES];

/* The equalizer keeps to the core contract (mst-core.h): NaN, Inf and
 * samples beyond +60 dBFS are read as silence and never reach the output,
 * whatever the bands (the findings kept in corpus/eq/: a neutral eq with a
 * gain, channels no band filters, F32 near FLT_MAX, +-1e300 dB gains, which
 * set now refuses). A true passthrough (bypass, or every band flat at
 * 0 dB) passes its input bit-exact by design (STYLE.md, bypass), NaN
 * included. */

static void
random_band (FzIn * in, MstEqBandSettings * b)
{
  uint8_t which = fz_u8 (in);
  if (which & 1) {
    uint8_t t = fz_u8 (in);
    b->filter.type = (MstFilterType) (t < 250 ? t % MST_FILTER_N_TYPES
        : (int) t - 240);
  }
  if (which & 2)
    b->filter.freq_hz = fz_param (in, 5.0, 200000.0);
  if (which & 4)
    b->filter.gain_db = fz_param (in, -40.0, 40.0);
  if (which & 8)
    b->filter.q = fz_param (in, 0.01, 100.0);
  if (which & 16) {
    static const int slopes[] = { 6, 12, 18, 24, 36, 48, 0, 7, 96, -12 };
    b->filter.slope_db_per_oct = slopes[fz_u8 (in) % 10];
  }
  if (which & 32)
    b->enabled = fz_u8 (in) & 1;
  if (which & 64)
    b->channels = (MstEqChannels) (fz_u8 (in) % 6);
}

static bool
settings_valid (const MstEqSettings * s)
{
  if (s->num_bands < 0 || s->num_bands > MST_EQ_MAX_BANDS
      || !(s->gain_db >= MST_EQ_MIN_GAIN_DB && s->gain_db <= MST_EQ_MAX_GAIN_DB))
    return false;
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++)
    if (!mst_filter_params_valid (&s->bands[b].filter)
        || !(fabs (s->bands[b].filter.gain_db) <= MST_EQ_MAX_BAND_GAIN_DB)
        || s->bands[b].channels < MST_EQ_CHANNELS_ALL
        || s->bands[b].channels > MST_EQ_CHANNELS_RIGHT)
      return false;
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstEq *eq_a, *eq_b;
  if (!eq_a) {
    eq_a = mst_eq_init (MST_MAX_CHANNELS);
    eq_b = mst_eq_init (MST_MAX_CHANNELS);
    FZ_CHECK (eq_a && eq_b, "init failed");
  }
  MstEqSettings set;
  mst_eq_settings_default (&set);
  FZ_CHECK (mst_eq_set (eq_a, &set) == MST_OK
      && mst_eq_set (eq_b, &set) == MST_OK, "defaults refused");
  double rate = fz_rate (&in);
  int channels = (int) (fz_u8 (&in) % 10);
  int left = (int) (fz_u8 (&in) % 4) - 1, right = left >= 0 ? left + 1 : -1;
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS
      && right < channels;
  MstResult ra = mst_eq_configure (eq_a, rate, channels, left, right);
  MstResult rb = mst_eq_configure (eq_b, rate, channels, left, right);
  FZ_CHECK (ra == rb, "configure: A %d, B %d", ra, rb);
  if (valid)
    FZ_CHECK (ra == MST_OK, "configure (%g Hz, %d channels, pair %d %d): %d",
        rate, channels, left, right, ra);
  if (rate < MST_MIN_RATE_HZ || !(rate <= MST_MAX_RATE_HZ) || channels < 1
      || channels > MST_MAX_CHANNELS)
    FZ_CHECK (ra != MST_OK, "configure took %g Hz, %d channels", rate,
        channels);
  if (ra != MST_OK)
    return 0;
  const MstFormat fmt = (fz_u8 (&in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  size_t sane_run = 0;
  for (int step = 0; step < 48 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    if (op % 4 == 0) {
      MstEqSettings s = set;
      int n_changes = 1 + fz_u8 (&in) % 4;
      for (int k = 0; k < n_changes; k++)
        random_band (&in, &s.bands[fz_u8 (&in) % MST_EQ_MAX_BANDS]);
      uint8_t which = fz_u8 (&in);
      if (which & 1)
        s.num_bands = (int) (fz_u8 (&in) % 36) - 2;
      if (which & 2)
        s.gain_db = fz_param (&in, -40.0, 40.0);
      if (which & 4)
        s.bypass = fz_u8 (&in) & 1;
      MstResult r = mst_eq_set (eq_a, &s);
      FZ_CHECK ((r == MST_OK) == settings_valid (&s), "set returned %d", r);
      if (r == MST_OK && getenv ("FUZZ_VERBOSE"))
        for (int b = 0; b < s.num_bands; b++)
          if (s.bands[b].enabled)
            fprintf (stderr, "band %d: type %d, %g Hz, %g dB, q %g, slope %d, "
                "channels %d\n", b, s.bands[b].filter.type,
                s.bands[b].filter.freq_hz, s.bands[b].filter.gain_db,
                s.bands[b].filter.q, s.bands[b].filter.slope_db_per_oct,
                s.bands[b].channels);
      if (r == MST_OK) {
        FZ_CHECK (mst_eq_set (eq_b, &s) == MST_OK, "B refused what A took");
        set = s;
        sane_run = 0;
      }
      continue;
    }
    if (op % 16 == 1) {
      mst_eq_reset (eq_a);
      mst_eq_reset (eq_b);
      continue;
    }
    bool sane = op & 0x80;
    size_t n = fz_frames (&in, FZ_MAX_FRAMES);
    size_t n_samples = n * channels;
    fz_fill (&in, fmt, buf_in, n_samples, sane, NULL);
    size_t bytes = n_samples * (fmt == MST_FORMAT_F64 ? 8 : 4);
    FZ_IN_PLACE_PAIR (mst_eq, eq_a, eq_b, fmt, buf_in, buf_a, buf_b, n, bytes);
    if (getenv ("FUZZ_VERBOSE"))
      fprintf (stderr, "process %zu frames%s, passthrough %d, bands %d, "
          "gain %g dB, bypass %d\n", n, sane ? " (sane)" : "",
          mst_eq_is_passthrough (eq_a), set.num_bands, set.gain_db,
          set.bypass);
    bool all_zero = true;
    bool dry = mst_eq_is_passthrough (eq_a);
    for (size_t i = 0; i < n_samples; i++) {
      double y = mst_sample_get (fmt, buf_a, i);
      double x = mst_sample_get (fmt, buf_in, i);
      FZ_CHECK (isfinite (y) || (dry && !isfinite (x)),
          "output sample %zu is %g (input %g, %s)", i, y, x,
          fmt == MST_FORMAT_F64 ? "F64" : "F32");
      all_zero = all_zero && y == 0.0;
    }
    /* A settled equalizer (1 s of sane input since the last change) on
     * noise: silence only where a band or the gain can make it (a gain
     * under -300 dB, or a cut or notch family that could null it). */
    if (sane && sane_run > (size_t) rate && n >= 64 && !set.bypass
        && set.gain_db > -300.0) {
      bool may_null = false;
      for (int b = 0; b < set.num_bands; b++)
        if (set.bands[b].enabled && (set.bands[b].filter.gain_db < -300.0
                || set.bands[b].filter.type != MST_FILTER_PEAK))
          may_null = true;
      bool input_zero = true;
      for (size_t i = 0; i < n_samples && input_zero; i++)
        input_zero = mst_sample_get (fmt, buf_in, i) == 0.0;
      /* (A fuzz input that runs out gives silence as its "noise".) */
      if (!may_null && !input_zero)
        FZ_CHECK (!all_zero, "%zu frames of noise gave silence", n);
    }
    sane_run = sane ? sane_run + n : 0;
  }
  return 0;
}
