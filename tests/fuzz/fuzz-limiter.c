/* libFuzzer harness of the limiter core (gst/mst-limiter.h).
 *
 * Two limiters take the same stream; B only gets the settings A accepted.
 * Invariants (abort on violation):
 * - configure and set accept exactly what the header says they take
 *   (NaN, infinities, out-of-range values refused), and a refused set
 *   changes nothing: A and B give bit-identical output;
 * - a reset is a new stream: A reset and B configured anew with the same
 *   format and settings go on bit-identical;
 * - every output sample is finite, at or below the ceiling in force when
 *   its input frame went in (+40 dB bypassed), and never above its input
 *   sample times the largest input gain of the stream (a limiter only
 *   takes off; a non-finite input sample comes out as 0); once the band
 *   limit has been on, never above the largest input so far times that
 *   gain times the L1 norm of the band limit's impulse response;
 * - frames are conserved: after n frames in, max (0, n - latency) out,
 *   the rest pending, and a drain gives exactly the pending frames;
 * - the non-finite count rises when NaN or Inf went in. */
#include "fuzz-stream.h"
#include "mst-limiter.h"

#define MAX_STREAM_FRAMES (1 << 17)

static double history[(size_t) MAX_STREAM_FRAMES * MST_MAX_CHANNELS];
static double ceiling_at[MAX_STREAM_FRAMES];
static double buf_in[FZ_MAX_SAMPLES], buf_a[FZ_MAX_SAMPLES + 65536],
    buf_b[FZ_MAX_SAMPLES + 65536];

typedef struct {
  MstLimiter *a, *b;
  MstFormat fmt;
  int channels;
  double rate, lookahead_ms;
  size_t latency;
  MstLimiterSettings set;
  size_t n_in, n_out;           /* frames of this stream */
  double max_input_gain;        /* largest since the stream started */
  bool band_limited;            /* the band limit was on since then */
  double max_input;             /* largest finite |input| since then */
} Run;

/* Sum of |h| of the band limit's impulse response (3.2425, from
 * scripts/design-band-limit.py's sections), rounded up. */
#define BAND_LIMIT_L1 3.25

static bool
band_limit_on (const MstLimiterSettings * s)
{
  return s->true_peak && s->band_limit && !s->bypass;
}

static double
ceiling_lin (const MstLimiterSettings * s)
{
  return mst_db_to_lin (s->bypass ? 40.0 : s->ceiling_db);
}

static double
input_gain_lin (const MstLimiterSettings * s)
{
  return s->bypass ? 1.0 : mst_db_to_lin (s->input_gain_db);
}

static void
stream_start (Run * r)
{
  r->n_in = r->n_out = 0;
  r->max_input_gain = input_gain_lin (&r->set);
  r->band_limited = band_limit_on (&r->set);
  r->max_input = 0.0;
}

/* Output frames r->n_out .. of A (and B: identical), @n of them. */
static void
check_output (Run * r, const void *out_a, const void *out_b, size_t n)
{
  size_t bytes = n * r->channels * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  FZ_CHECK (memcmp (out_a, out_b, bytes) == 0,
      "limiter B (refused settings withheld, separate output) differs from A");
  FZ_CHECK (r->n_out + n <= r->n_in, "more frames out (%zu) than in (%zu)",
      r->n_out + n, r->n_in);
  /* One rounding of the product in float, one of the gain. */
  const double slack = 1.0 + 1e-6;
  for (size_t f = 0; f < n; f++) {
    size_t j = r->n_out + f;
    for (int c = 0; c < r->channels; c++) {
      double y = mst_sample_get (r->fmt, out_a, f * r->channels + c);
      double x = history[j * r->channels + c];
      FZ_CHECK (isfinite (y), "output frame %zu channel %d is %g", j, c, y);
      FZ_CHECK (fabs (y) <= ceiling_at[j],
          "output frame %zu channel %d: %.17g above the ceiling %.17g", j, c,
          y, ceiling_at[j]);
      double bound = isfinite (x) ? fabs (x) * r->max_input_gain * slack : 0;
      if (r->band_limited)
        bound = r->max_input * r->max_input_gain * BAND_LIMIT_L1 * slack;
      FZ_CHECK (fabs (y) <= bound || (isfinite (x) && fabs (y) <= DBL_MIN),
          "output frame %zu channel %d: %.17g from input %.17g with input "
          "gain at most %.17g", j, c, y, x, r->max_input_gain);
    }
  }
  r->n_out += n;
}

static void
do_process (void *run, FzIn * in, bool sane)
{
  Run *r = run;
  size_t n = fz_frames (in, FZ_MAX_FRAMES);
  if (r->n_in + n > MAX_STREAM_FRAMES)
    return;
  FzBlockInfo info;
  if (getenv ("FUZZ_VERBOSE"))
    fprintf (stderr, "process %zu frames%s\n", n, sane ? " (sane)" : "");
  size_t n_samples = n * r->channels;
  fz_fill (in, r->fmt, buf_in, n_samples, sane, &info);
  for (size_t i = 0; i < n_samples; i++) {
    double v = mst_sample_get (r->fmt, buf_in, i);
    history[r->n_in * r->channels + i] = v;
    if (fabs (v) <= MST_MAX_INPUT)
      r->max_input = fmax (r->max_input, fabs (v));
  }
  for (size_t f = 0; f < n; f++)
    ceiling_at[r->n_in + f] = ceiling_lin (&r->set);
  size_t bytes = n_samples * (r->fmt == MST_FORMAT_F64 ? 8 : 4);
  /* A in place, B into another buffer. */
  memcpy (buf_a, buf_in, bytes);
  uint64_t bad_before = mst_limiter_get_nonfinite_count (r->a);
  size_t n_a = 0, n_b = 0;
  MstResult ra, rb;
  if (r->fmt == MST_FORMAT_F64) {
    ra = mst_limiter_process_f64 (r->a, buf_a, n, buf_a, &n_a);
    rb = mst_limiter_process_f64 (r->b, buf_in, n, buf_b, &n_b);
  } else {
    ra = mst_limiter_process_f32 (r->a, (float *) buf_a, n, (float *) buf_a,
        &n_a);
    rb = mst_limiter_process_f32 (r->b, (float *) buf_in, n, (float *) buf_b,
        &n_b);
  }
  FZ_CHECK (ra == MST_OK && rb == MST_OK, "process failed: %d %d", ra, rb);
  FZ_CHECK (n_a == n_b, "A gave %zu frames, B %zu", n_a, n_b);
  r->n_in += n;
  check_output (r, buf_a, buf_b, n_a);
  size_t expected = r->n_in > r->latency ? r->n_in - r->latency : 0;
  FZ_CHECK (r->n_out == expected, "%zu frames out after %zu in, latency %zu",
      r->n_out, r->n_in, r->latency);
  FZ_CHECK (mst_limiter_get_pending (r->a) == r->n_in - r->n_out,
      "pending %zu, but %zu in and %zu out", mst_limiter_get_pending (r->a),
      r->n_in, r->n_out);
  uint64_t bad_after = mst_limiter_get_nonfinite_count (r->a);
  if (info.nonfinite)
    FZ_CHECK (bad_after > bad_before, "NaN/Inf input not counted");
  double cur_db, max_db;
  mst_limiter_get_gain_reduction (r->a, &cur_db, &max_db, fz_u8 (in) & 1);
  FZ_CHECK (!isnan (cur_db) && !isnan (max_db) && cur_db >= 0
      && max_db >= 0, "gain reduction %g, max %g dB", cur_db, max_db);
}

static void
do_drain (void *run)
{
  Run *r = run;
  size_t pending = mst_limiter_get_pending (r->a);
  FZ_CHECK (pending == r->n_in - r->n_out, "pending %zu, expected %zu",
      pending, r->n_in - r->n_out);
  size_t n_a = 0, n_b = 0;
  if (r->fmt == MST_FORMAT_F64) {
    mst_limiter_drain_f64 (r->a, buf_a, &n_a);
    mst_limiter_drain_f64 (r->b, buf_b, &n_b);
  } else {
    mst_limiter_drain_f32 (r->a, (float *) buf_a, &n_a);
    mst_limiter_drain_f32 (r->b, (float *) buf_b, &n_b);
  }
  FZ_CHECK (n_a == pending && n_b == pending,
      "drain gave %zu and %zu frames, %zu pending", n_a, n_b, pending);
  check_output (r, buf_a, buf_b, n_a);
  FZ_CHECK (mst_limiter_get_pending (r->a) == 0, "pending after drain");
  stream_start (r);
}

static void
random_settings (FzIn * in, MstLimiterSettings * s)
{
  uint8_t which = fz_u8 (in);
  if (which & 1)
    s->ceiling_db = fz_param (in, -60.0, 6.0);
  if (which & 2)
    s->input_gain_db = fz_param (in, -40.0, 60.0);
  if (which & 4)
    s->release_ms = fz_param (in, 0.0, 6000.0);
  if (which & 8)
    s->link = fz_param (in, 0.0, 1.0);
  if (which & 16)
    s->auto_release = fz_u8 (in) & 1;
  if (which & 32)
    s->true_peak = fz_u8 (in) & 1;
  if (which & 64)
    s->bypass = fz_u8 (in) & 1;
  if (which & 128)
    s->band_limit = fz_u8 (in) & 1;
}

/* What the header says set takes: any finite ceiling, an input gain
 * within +-MST_LIMITER_CORE_MAX_INPUT_GAIN_DB, release above 0, link in
 * 0 .. 1. */
static bool
settings_valid (const MstLimiterSettings * s)
{
  return isfinite (s->ceiling_db)
      && fabs (s->input_gain_db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB
      && s->release_ms > 0 && s->link >= 0 && s->link <= 1;
}

static void
do_set (void *run, FzIn * in)
{
  Run *r = run;
  MstLimiterSettings s = r->set;
  random_settings (in, &s);
  MstResult ra = mst_limiter_set (r->a, &s);
  if (getenv ("FUZZ_VERBOSE"))
    fprintf (stderr, "set ceiling %g dB, input gain %g dB, release %g ms, "
        "link %g, auto %d, tp %d, bypass %d: %d\n", s.ceiling_db,
        s.input_gain_db, s.release_ms, s.link, s.auto_release, s.true_peak,
        s.bypass, ra);
  FZ_CHECK ((ra == MST_OK) == settings_valid (&s),
      "set returned %d for ceiling %g, input gain %g, release %g, link %g",
      ra, s.ceiling_db, s.input_gain_db, s.release_ms, s.link);
  if (ra != MST_OK)
    return;
  FZ_CHECK (mst_limiter_set (r->b, &s) == MST_OK, "B refused what A took");
  r->set = s;
  if (r->n_in == 0) {
    r->max_input_gain = input_gain_lin (&s);
    r->band_limited = band_limit_on (&s);
  } else {
    r->max_input_gain = fmax (r->max_input_gain, input_gain_lin (&s));
    r->band_limited |= band_limit_on (&s);
  }
}

static bool
do_configure (void *run, FzIn * in)
{
  Run *r = run;
  double rate = fz_rate (in);
  int channels = (int) (fz_u8 (in) % 10);       /* 0 and 9 refused */
  double lookahead_ms = fz_param (in, MST_LIMITER_MIN_LOOKAHEAD_MS,
      MST_LIMITER_MAX_LOOKAHEAD_MS);
  bool valid = rate >= MST_MIN_RATE_HZ && rate <= MST_MAX_RATE_HZ
      && channels >= 1 && channels <= MST_MAX_CHANNELS
      && lookahead_ms >= MST_LIMITER_MIN_LOOKAHEAD_MS
      && lookahead_ms <= MST_LIMITER_MAX_LOOKAHEAD_MS;
  MstResult ra = mst_limiter_configure (r->a, rate, channels, lookahead_ms);
  MstResult rb = mst_limiter_configure (r->b, rate, channels, lookahead_ms);
  FZ_CHECK ((ra == MST_OK) == valid && ra == rb,
      "configure (%g Hz, %d channels, %g ms) returned %d", rate, channels,
      lookahead_ms, ra);
  if (ra != MST_OK)
    return false;
  r->fmt = (fz_u8 (in) & 1) ? MST_FORMAT_F64 : MST_FORMAT_F32;
  r->channels = channels;
  r->rate = rate;
  r->lookahead_ms = lookahead_ms;
  r->latency = mst_limiter_get_latency (r->a);
  FZ_CHECK (r->latency == mst_limiter_get_latency (r->b), "latencies differ");
  stream_start (r);
  return true;
}

static void
do_reset (void *run)
{
  Run *r = run;
  mst_limiter_reset (r->a);
  /* B as a limiter that never saw the stream: what A's reset must equal. */
  FZ_CHECK (mst_limiter_configure (r->b, r->rate, r->channels,
          r->lookahead_ms) == MST_OK && mst_limiter_set (r->b, &r->set)
      == MST_OK, "B refused its own format or settings again");
  stream_start (r);
}

static const FzStreamOps ops = {
  do_configure, do_set, do_drain, do_reset, do_process
};

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FzIn in = { data, size };
  /* Made once (init plans FFTs: 70 ms); configure resets all state, and
   * the settings are set back to the defaults, so each run starts afresh. */
  static MstLimiter *lim_a, *lim_b;
  if (!lim_a) {
    lim_a = mst_limiter_init (MST_MAX_CHANNELS);
    lim_b = mst_limiter_init (MST_MAX_CHANNELS);
    FZ_CHECK (lim_a && lim_b, "init failed");
  }
  Run r = { 0 };
  r.a = lim_a;
  r.b = lim_b;
  mst_limiter_settings_default (&r.set);
  FZ_CHECK (mst_limiter_set (r.a, &r.set) == MST_OK
      && mst_limiter_set (r.b, &r.set) == MST_OK, "defaults refused");
  fz_stream_drive (&r, &ops, &in);
  return 0;
}
