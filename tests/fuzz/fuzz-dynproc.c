/* libFuzzer harness of the dynamics processor (gst/mst-dynamics.h), the
 * core of compressor, gate and de-esser: self-keyed or with a key of its
 * own channel count.
 *
 * Two processors take the same stream; B only gets the settings A accepted.
 * Invariants (abort on violation):
 * - configure and set accept exactly what mst_dynamics_settings_valid and
 *   the header say, and a refused set changes nothing: A (in place) and B
 *   (another buffer) give bit-identical output;
 * - a reset is a new stream: A reset and B configured anew with the same
 *   format and settings go on bit-identical;
 * - every output sample is finite; in WIDEBAND mode without listen, and
 *   not UPWARD, it is never above its input sample times the makeup (+ the
 *   automatic makeup) gain: the curve only takes off, the mix interpolates;
 * - frames are conserved: after n frames in, max (0, n - latency) out, the
 *   rest pending, and a drain gives exactly the pending frames;
 * - the non-finite count rises when NaN, Inf or absurd samples went in. */
#include "fuzz-stream.h"
#include "mst-dynamics.h"

#define MAX_STREAM_FRAMES (1 << 17)

static double history[(size_t) MAX_STREAM_FRAMES * MST_MAX_CHANNELS];
static double bound_at[MAX_STREAM_FRAMES];
static double buf_in[FZ_MAX_SAMPLES], buf_key[FZ_MAX_SAMPLES],
    buf_a[FZ_MAX_SAMPLES + 65536], buf_b[FZ_MAX_SAMPLES + 65536];

typedef struct {
  MstDynamics *a, *b;
  MstFormat fmt;
  int channels, key_channels;
  double rate, lookahead_ms;
  size_t latency;
  MstDynamicsSettings set;
  size_t n_in, n_out;
  bool upward_seen;             /* since the stream started: a boost may
                                 * still be releasing */
} Run;

/* The largest |out / in| the settings allow (INFINITY: no bound). */
static double
gain_bound (const Run * r, const MstDynamics * d,
    const MstDynamicsSettings * s)
{
  if (s->listen || s->apply != MST_DYNAMICS_WIDEBAND || r->upward_seen)
    return INFINITY;
  double makeup = mst_dynamics_get_makeup_db (d);
  return fmax (1.0, mst_db_to_lin (makeup)) * (1.0 + 1e-6);
}

static void
check_output (Run * r, const void *out_a, const void *out_b, size_t n)
{
  size_t bytes = n * r->channels * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  FZ_CHECK (memcmp (out_a, out_b, bytes) == 0,
      "processor B (refused settings withheld, separate output) differs");
  FZ_CHECK (r->n_out + n <= r->n_in, "more frames out (%zu) than in (%zu)",
      r->n_out + n, r->n_in);
  for (size_t f = 0; f < n; f++) {
    size_t j = r->n_out + f;
    for (int c = 0; c < r->channels; c++) {
      double y = mst_sample_get (r->fmt, out_a, f * r->channels + c);
      double x = history[j * r->channels + c];
      FZ_CHECK (isfinite (y), "output frame %zu channel %d is %g", j, c, y);
      if (isfinite (bound_at[j])) {
        double limit = fabs (x) <= MST_MAX_INPUT ? fabs (x) * bound_at[j] : 0;
        FZ_CHECK (fabs (y) <= limit || fabs (y) <= DBL_MIN,
            "output frame %zu channel %d: %.17g from input %.17g, gain at "
            "most %.17g", j, c, y, x, bound_at[j]);
      }
    }
  }
  r->n_out += n;
}

static void stream_start (Run * r);

static void
do_process (void *run, FzIn * in, bool sane)
{
  Run *r = run;
  size_t n = fz_frames (in, FZ_MAX_FRAMES);
  if (r->n_in + n > MAX_STREAM_FRAMES)
    return;
  FzBlockInfo info, key_info = { 0 };
  size_t n_samples = n * r->channels;
  fz_fill (in, r->fmt, buf_in, n_samples, sane, &info);
  if (r->key_channels)
    fz_fill (in, r->fmt, buf_key, n * r->key_channels, sane, &key_info);
  for (size_t i = 0; i < n_samples; i++)
    history[r->n_in * r->channels + i] = mst_sample_get (r->fmt, buf_in, i);
  /* The bound in force when the frame went in; a change of settings
   * glides, so the looser of the old and new bounds holds for a while:
   * checked only while the settings stay. */
  double bound = gain_bound (r, r->a, &r->set);
  for (size_t f = 0; f < n; f++)
    bound_at[r->n_in + f] = bound;
  size_t bytes = n_samples * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  memcpy (buf_a, buf_in, bytes);
  uint64_t bad_before = mst_dynamics_get_nonfinite_count (r->a);
  size_t n_a = 0, n_b = 0;
  MstResult ra, rb;
  const void *key = r->key_channels ? buf_key : NULL;
  if (r->fmt == MST_FORMAT_F64) {
    ra = key ? mst_dynamics_process_keyed_f64 (r->a, buf_a, key, n, buf_a,
        &n_a) : mst_dynamics_process_f64 (r->a, buf_a, n, buf_a, &n_a);
    rb = key ? mst_dynamics_process_keyed_f64 (r->b, buf_in, key, n, buf_b,
        &n_b) : mst_dynamics_process_f64 (r->b, buf_in, n, buf_b, &n_b);
  } else {
    ra = key ? mst_dynamics_process_keyed_f32 (r->a, (float *) buf_a, key, n,
        (float *) buf_a, &n_a) : mst_dynamics_process_f32 (r->a,
        (float *) buf_a, n, (float *) buf_a, &n_a);
    rb = key ? mst_dynamics_process_keyed_f32 (r->b, (float *) buf_in, key,
        n, (float *) buf_b, &n_b) : mst_dynamics_process_f32 (r->b,
        (float *) buf_in, n, (float *) buf_b, &n_b);
  }
  FZ_CHECK (ra == MST_OK && rb == MST_OK, "process failed: %d %d", ra, rb);
  FZ_CHECK (n_a == n_b, "A gave %zu frames, B %zu", n_a, n_b);
  r->n_in += n;
  check_output (r, buf_a, buf_b, n_a);
  size_t expected = r->n_in > r->latency ? r->n_in - r->latency : 0;
  FZ_CHECK (r->n_out == expected, "%zu frames out after %zu in, latency %zu",
      r->n_out, r->n_in, r->latency);
  FZ_CHECK (mst_dynamics_get_pending (r->a) == r->n_in - r->n_out,
      "pending %zu, but %zu in and %zu out", mst_dynamics_get_pending (r->a),
      r->n_in, r->n_out);
  if (info.nonfinite || key_info.nonfinite)
    FZ_CHECK (mst_dynamics_get_nonfinite_count (r->a) > bad_before,
        "NaN/Inf input not counted");
  double red = mst_dynamics_take_reduction_db (r->a);
  mst_dynamics_take_reduction_db (r->b);
  FZ_CHECK (isfinite (red), "reduction %g dB", red);
}

static void
stream_start (Run * r)
{
  r->n_in = r->n_out = 0;
  r->upward_seen = r->set.mode == MST_GAIN_COMPUTER_UPWARD;
}

static void
do_drain (void *run)
{
  Run *r = run;
  size_t pending = mst_dynamics_get_pending (r->a);
  FZ_CHECK (pending == r->n_in - r->n_out, "pending %zu, expected %zu",
      pending, r->n_in - r->n_out);
  size_t n_a = 0, n_b = 0;
  if (r->fmt == MST_FORMAT_F64) {
    mst_dynamics_drain_f64 (r->a, buf_a, &n_a);
    mst_dynamics_drain_f64 (r->b, buf_b, &n_b);
  } else {
    mst_dynamics_drain_f32 (r->a, (float *) buf_a, &n_a);
    mst_dynamics_drain_f32 (r->b, (float *) buf_b, &n_b);
  }
  FZ_CHECK (n_a == pending && n_b == pending,
      "drain gave %zu and %zu frames, %zu pending", n_a, n_b, pending);
  check_output (r, buf_a, buf_b, n_a);
  stream_start (r);
}

static void
random_settings (FzIn * in, MstDynamicsSettings * s)
{
  uint32_t which = fz_u16 (in);
  if (which & 1)
    s->mode = (MstGainComputerMode) (fz_u8 (in) % 4);
  if (which & 2)
    s->threshold_db = fz_param (in, -120.0, 24.0);
  if (which & 4)
    s->ratio = fz_u8 (in) == 255 ? INFINITY : fz_param (in, 1.0, 100.0);
  if (which & 8)
    s->knee_db = fz_param (in, 0.0, 48.0);
  if (which & 16)
    s->range_db = fz_u8 (in) == 255 ? -INFINITY : fz_param (in, -100.0, 0.0);
  if (which & 32)
    s->makeup_db = fz_param (in, -60.0, 60.0);
  if (which & 64) {
    s->auto_makeup = fz_u8 (in) & 1;
    s->auto_release = fz_u8 (in) & 1;
    s->listen = fz_u8 (in) & 1;
    s->bypass = fz_u8 (in) & 1;
    s->apply = (MstDynamicsApply) (fz_u8 (in) % 3);
    s->detector = (MstDynamicsDetector) (fz_u8 (in) % 3);
  }
  if (which & 128)
    s->hysteresis_db = fz_param (in, 0.0, 24.0);
  if (which & 256)
    s->rms_window_ms = fz_param (in, 0.1, 300.0);
  if (which & 512)
    s->link = fz_param (in, 0.0, 1.0);
  if (which & 1024) {
    s->attack_ms = fz_param (in, 0.0, 5000.0);
    s->release_ms = fz_param (in, 0.0, 5000.0);
    s->hold_ms = fz_param (in, 0.0, 5000.0);
  }
  if (which & 2048) {
    s->key_highpass_hz = fz_u8 (in) & 1 ? 0.0 : fz_param (in, 10.0, 192000);
    s->key_lowpass_hz = fz_u8 (in) & 1 ? 0.0 : fz_param (in, 10.0, 192000);
    s->key_band_hz = fz_u8 (in) & 1 ? 0.0 : fz_param (in, 10.0, 192000);
    s->key_band_q = fz_param (in, 0.1, 20.0);
  }
  if (which & 4096)
    s->mix = fz_param (in, 0.0, 1.0);
}

static void
do_set (void *run, FzIn * in)
{
  Run *r = run;
  MstDynamicsSettings s = r->set;
  random_settings (in, &s);
  MstResult ra = mst_dynamics_set (r->a, &s);
  FZ_CHECK ((ra == MST_OK) == mst_dynamics_settings_valid (&s),
      "set returned %d where settings_valid says %d", ra,
      mst_dynamics_settings_valid (&s));
  if (ra != MST_OK)
    return;
  FZ_CHECK (mst_dynamics_set (r->b, &s) == MST_OK, "B refused what A took");
  /* The gain bound of frames already in follows the glide: only frames
   * that go in from now on are held to the new one, and those pending
   * lose theirs. */
  for (size_t j = r->n_out; j < r->n_in; j++)
    bound_at[j] = INFINITY;
  r->set = s;
  r->upward_seen = r->upward_seen || s.mode == MST_GAIN_COMPUTER_UPWARD;
}

static bool
do_configure (void *run, FzIn * in)
{
  Run *r = run;
  double rate = fz_rate (in);
  int channels = (int) (fz_u8 (in) % 10);       /* 0 and 9 refused */
  int key_channels = (int) (fz_u8 (in) % 10);
  key_channels = key_channels > 0 && key_channels < 9 && (fz_u8 (in) & 1)
      ? key_channels : 0;
  double lookahead_ms = fz_param (in, 0.0, MST_DYNAMICS_MAX_LOOKAHEAD_MS);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS
      && lookahead_ms >= 0.0 && lookahead_ms <= MST_DYNAMICS_MAX_LOOKAHEAD_MS;
  MstResult ra = mst_dynamics_configure (r->a, rate, channels, key_channels,
      lookahead_ms);
  MstResult rb = mst_dynamics_configure (r->b, rate, channels, key_channels,
      lookahead_ms);
  FZ_CHECK ((ra == MST_OK) == valid && ra == rb,
      "configure (%g Hz, %d channels, key %d, %g ms) returned %d", rate,
      channels, key_channels, lookahead_ms, ra);
  if (ra != MST_OK)
    return false;
  r->fmt = (fz_u8 (in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  r->channels = channels;
  r->key_channels = key_channels;
  r->rate = rate;
  r->lookahead_ms = lookahead_ms;
  r->latency = mst_dynamics_get_latency (r->a);
  stream_start (r);
  return true;
}

static void
do_reset (void *run)
{
  Run *r = run;
  mst_dynamics_reset (r->a);
  /* B as a processor that never saw the stream: what A's reset must
   * equal (a reset that leaves the delay line, a filter or the ballistics
   * as they were shows in the next block's comparison). */
  FZ_CHECK (mst_dynamics_configure (r->b, r->rate, r->channels,
          r->key_channels, r->lookahead_ms) == MST_OK
      && mst_dynamics_set (r->b, &r->set) == MST_OK,
      "B refused its own format or settings again");
  stream_start (r);
}

static const FzStreamOps ops = {
  do_configure, do_set, do_drain, do_reset, do_process
};

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  static MstDynamics *dyn_a, *dyn_b;
  if (!dyn_a) {
    dyn_a = mst_dynamics_init (MST_MAX_CHANNELS);
    dyn_b = mst_dynamics_init (MST_MAX_CHANNELS);
    FZ_CHECK (dyn_a && dyn_b, "init failed");
  }
  Run r = { 0 };
  r.a = dyn_a;
  r.b = dyn_b;
  mst_dynamics_settings_default (&r.set);
  FZ_CHECK (mst_dynamics_set (r.a, &r.set) == MST_OK
      && mst_dynamics_set (r.b, &r.set) == MST_OK, "defaults refused");
  fz_stream_drive (&r, &ops, &in);
  return 0;
}
