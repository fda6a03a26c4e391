/* libFuzzer harness of the loudness normaliser (gst/mst-loudnorm.h).
 *
 * Two normalisers take the same stream; B only gets the settings A
 * accepted. Invariants (abort on violation):
 * - configure and set accept exactly what the header and the contract
 *   take, and a refused set changes nothing (A and B bit-identical);
 * - every output sample is finite and at or below the highest ceiling in
 *   force since the stream started (+40 dB bypassed: the limiter's);
 * - frames are conserved: n in, max (0, n - latency) out, the rest
 *   pending, and a drain gives exactly the pending frames; NaN or Inf in
 *   are counted by then;
 * - the status is never NaN: gains finite, loudness readings -Inf or
 *   finite. */
#include "fuzz-common.h"
#include "mst-loudnorm.h"
#include "mst-limiter.h"

static double buf_in[FZ_MAX_SAMPLES], buf_a[FZ_MAX_SAMPLES + 400000],
    buf_b[FZ_MAX_SAMPLES + 400000];

typedef struct {
  MstLoudnorm *a, *b;
  MstFormat fmt;
  int channels;
  size_t latency;
  MstLoudnormSettings set;
  uint64_t n_in, n_out;
  double max_ceiling;           /* linear, since the stream started */
  /* NaN or Inf went in since the stream started, and the count then: the
   * count rises when such samples leave the delay line, so it is checked
   * once they all have, at the drain. */
  bool bad_in;
  uint64_t bad_count_at_start;
} Run;

static double
ceiling_lin (const MstLoudnormSettings * s)
{
  return mst_db_to_lin (s->bypass ? 40.0 : s->ceiling_dbtp);
}

static void
stream_start (Run * r)
{
  r->n_in = r->n_out = 0;
  r->max_ceiling = ceiling_lin (&r->set);
  r->bad_in = false;
  r->bad_count_at_start = mst_loudnorm_get_nonfinite_count (r->a);
}

static void
check_output (Run * r, const void *out_a, const void *out_b, size_t n)
{
  size_t bytes = n * r->channels * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  FZ_CHECK (memcmp (out_a, out_b, bytes) == 0,
      "B (refused settings withheld, separate output) differs from A");
  for (size_t i = 0; i < n * r->channels; i++) {
    double y = mst_sample_get (r->fmt, out_a, i);
    FZ_CHECK (isfinite (y) && fabs (y) <= r->max_ceiling,
        "output sample %zu: %.17g, ceiling %.17g", i, y, r->max_ceiling);
  }
  r->n_out += n;
  FZ_CHECK (r->n_out <= r->n_in, "%llu frames out, %llu in",
      (unsigned long long) r->n_out, (unsigned long long) r->n_in);
}

static void
check_status (Run * r, FzIn * in)
{
  MstLoudnormStatus st;
  mst_loudnorm_get_status (r->a, &st, fz_u8 (in) & 1);
  FZ_CHECK (isfinite (st.gain_db) && isfinite (st.target_gain_db)
      && !isnan (st.gain_reduction_db) && !isnan (st.gain_reduction_max_db),
      "gain %g, target %g, reduction %g, max %g dB", st.gain_db,
      st.target_gain_db, st.gain_reduction_db, st.gain_reduction_max_db);
  const double lufs[] = { st.estimate_lufs, st.input_momentary,
    st.input_short_term, st.input_integrated, st.output_momentary,
    st.output_short_term, st.output_integrated
  };
  for (int k = 0; k < 7; k++)
    FZ_CHECK (!isnan (lufs[k]) && lufs[k] != INFINITY, "loudness %d: %g", k,
        lufs[k]);
}

static void
do_process (Run * r, FzIn * in, bool sane)
{
  /* Blocks of up to 2048 frames: a run stays near a second of audio, and
   * the fuzzer makes a few runs a second under the sanitizers. */
  size_t n = fz_frames (in, 2048);
  size_t n_samples = n * r->channels;
  FzBlockInfo info;
  fz_fill (in, r->fmt, buf_in, n_samples, sane, &info);
  size_t bytes = n_samples * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  memcpy (buf_a, buf_in, bytes);
  r->bad_in |= info.nonfinite;
  size_t n_a = 0, n_b = 0;
  MstResult ra, rb;
  if (r->fmt == MST_FORMAT_F64) {
    ra = mst_loudnorm_process_f64 (r->a, buf_a, n, buf_a, &n_a);
    rb = mst_loudnorm_process_f64 (r->b, buf_in, n, buf_b, &n_b);
  } else {
    ra = mst_loudnorm_process_f32 (r->a, (float *) buf_a, n,
        (float *) buf_a, &n_a);
    rb = mst_loudnorm_process_f32 (r->b, (float *) buf_in, n,
        (float *) buf_b, &n_b);
  }
  FZ_CHECK (ra == MST_OK && rb == MST_OK, "process: %d %d", ra, rb);
  FZ_CHECK (n_a == n_b, "A gave %zu frames, B %zu", n_a, n_b);
  r->n_in += n;
  check_output (r, buf_a, buf_b, n_a);
  uint64_t expected = r->n_in > r->latency ? r->n_in - r->latency : 0;
  FZ_CHECK (r->n_out == expected, "%llu frames out after %llu in, latency "
      "%zu", (unsigned long long) r->n_out, (unsigned long long) r->n_in,
      r->latency);
  FZ_CHECK (mst_loudnorm_get_pending (r->a) == r->n_in - r->n_out,
      "pending %zu, %llu in, %llu out", mst_loudnorm_get_pending (r->a),
      (unsigned long long) r->n_in, (unsigned long long) r->n_out);
}

static void
do_drain (Run * r)
{
  size_t pending = mst_loudnorm_get_pending (r->a);
  size_t n_a = 0, n_b = 0;
  if (r->fmt == MST_FORMAT_F64) {
    mst_loudnorm_drain_f64 (r->a, buf_a, &n_a);
    mst_loudnorm_drain_f64 (r->b, buf_b, &n_b);
  } else {
    mst_loudnorm_drain_f32 (r->a, (float *) buf_a, &n_a);
    mst_loudnorm_drain_f32 (r->b, (float *) buf_b, &n_b);
  }
  FZ_CHECK (n_a == pending && n_b == pending,
      "drain gave %zu and %zu frames, %zu pending", n_a, n_b, pending);
  check_output (r, buf_a, buf_b, n_a);
  FZ_CHECK (r->n_out == r->n_in, "%llu in, %llu out after the drain",
      (unsigned long long) r->n_in, (unsigned long long) r->n_out);
  if (r->bad_in)
    FZ_CHECK (mst_loudnorm_get_nonfinite_count (r->a)
        > r->bad_count_at_start, "NaN/Inf not counted");
  stream_start (r);
}

static bool
settings_valid (const MstLoudnormSettings * s)
{
  return isfinite (s->target_lufs) && isfinite (s->ceiling_dbtp)
      && fabs (s->gain_db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB
      && fabs (s->max_gain_db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB
      && fabs (s->min_gain_db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB
      && s->min_gain_db <= s->max_gain_db
      && s->max_slew_db_per_s > 0 && s->max_slew_down_db_per_s > 0
      && s->window_s > 0
      && (s->mode == MST_LOUDNORM_LIVE || s->mode == MST_LOUDNORM_FIXED);
}

static void
do_set (Run * r, FzIn * in)
{
  MstLoudnormSettings s = r->set;
  uint16_t which = (uint16_t) fz_u16 (in);
  if (which & 1)
    s.mode = (MstLoudnormMode) (fz_u8 (in) % 3);
  if (which & 2)
    s.target_lufs = fz_param (in, -70.0, 0.0);
  if (which & 4)
    s.ceiling_dbtp = fz_param (in, -40.0, 0.0);
  if (which & 8)
    s.gain_db = fz_param (in, -40.0, 40.0);
  if (which & 16)
    s.max_gain_db = fz_param (in, -40.0, 40.0);
  if (which & 32)
    s.min_gain_db = fz_param (in, -60.0, 20.0);
  if (which & 64)
    s.max_slew_db_per_s = fz_param (in, 0.0, 100.0);
  if (which & 128)
    s.max_slew_down_db_per_s = fz_param (in, 0.0, 100.0);
  if (which & 256)
    s.window_s = fz_param (in, 0.0, 120.0);
  if (which & 512)
    s.bypass = fz_u8 (in) & 1;
  MstResult ra = mst_loudnorm_set (r->a, &s);
  FZ_CHECK ((ra == MST_OK) == settings_valid (&s), "set returned %d", ra);
  if (ra != MST_OK)
    return;
  FZ_CHECK (mst_loudnorm_set (r->b, &s) == MST_OK, "B refused what A took");
  r->set = s;
  r->max_ceiling = fmax (r->max_ceiling, ceiling_lin (&s));
}

static bool
do_configure (Run * r, FzIn * in)
{
  double rate = fz_rate (in);
  int channels = (int) (fz_u8 (in) % 10);
  double lookahead_ms = fz_param (in, MST_LIMITER_MIN_LOOKAHEAD_MS,
      MST_LIMITER_MAX_LOOKAHEAD_MS);
  double control_ms = fz_param (in, 0.0,
      MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS);
  double weights[MST_MAX_CHANNELS];
  bool with_weights = fz_u8 (in) & 1;
  for (int c = 0; c < MST_MAX_CHANNELS; c++)
    weights[c] = with_weights ? fz_range (in, 0.0, 1.5) : 1.0;
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS
      && lookahead_ms >= MST_LIMITER_MIN_LOOKAHEAD_MS
      && lookahead_ms <= MST_LIMITER_MAX_LOOKAHEAD_MS
      && control_ms >= 0 && control_ms <= MST_LOUDNORM_MAX_CONTROL_LOOKAHEAD_MS;
  const double *w = with_weights ? weights : NULL;
  MstResult ra = mst_loudnorm_configure (r->a, rate, channels, lookahead_ms,
      control_ms, w);
  MstResult rb = mst_loudnorm_configure (r->b, rate, channels, lookahead_ms,
      control_ms, w);
  FZ_CHECK (ra == rb, "configure: A %d, B %d", ra, rb);
  FZ_CHECK ((ra == MST_OK) == valid, "configure (%g Hz, %d channels, %g ms, "
      "%g ms): %d", rate, channels, lookahead_ms, control_ms, ra);
  if (ra != MST_OK)
    return false;
  r->fmt = (fz_u8 (in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  r->channels = channels;
  r->latency = mst_loudnorm_get_latency (r->a);
  stream_start (r);
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstLoudnorm *ln_a, *ln_b;
  if (!ln_a) {
    ln_a = mst_loudnorm_init (MST_MAX_CHANNELS);
    ln_b = mst_loudnorm_init (MST_MAX_CHANNELS);
    FZ_CHECK (ln_a && ln_b, "init failed");
  }
  Run r = { 0 };
  r.a = ln_a;
  r.b = ln_b;
  mst_loudnorm_settings_default (&r.set);
  FZ_CHECK (mst_loudnorm_set (r.a, &r.set) == MST_OK
      && mst_loudnorm_set (r.b, &r.set) == MST_OK, "defaults refused");
  if (!do_configure (&r, &in))
    return 0;
  for (int step = 0; step < 40 && !fz_done (&in); step++) {
    uint8_t op = fz_u8 (&in);
    switch (op % 8) {
      case 0:
        do_set (&r, &in);
        break;
      case 1:
        do_drain (&r);
        break;
      case 2:
        mst_loudnorm_reset (r.a);
        mst_loudnorm_reset (r.b);
        stream_start (&r);
        break;
      default:
        do_process (&r, &in, op & 0x80);
        break;
    }
    check_status (&r, &in);
  }
  do_drain (&r);
  return 0;
}
