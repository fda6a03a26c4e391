/* mastering: true-peak lookahead limiter, an orchestration of blocks.
 *
 * The input, after its gliding input gain, goes into a delay line
 * (mst-delayline.h) and the true-peak detector (mst-tpdetect.h), which
 * gives each frame the peak of the interval up to the next frame. The
 * required gain r = min (1, ceiling / peak) per frame goes to the
 * lookahead gain computer (mst-lookahead-gain.h): window minimum, release,
 * window average, so the gain at a peak is at most what the peak requires
 * and the output's peak is at most the ceiling. The gain is applied to the
 * delayed input; a guard at the output rate clamps what rounding could
 * leave above the ceiling. */
#include "mst-limiter.h"
#include "mst-tpdetect.h"
#include "mst-lookahead-gain.h"
#include "mst-bandlimit.h"
#include "mst-delayline.h"
#include "mst-gainapply.h"
#include "mst-fpu.h"
#include "mst-cpu.h"

#include <stdlib.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif
#include <string.h>

#define SMOOTHING_MS 10.0
/* What the detector may still under-read against a reconstruction flat to
 * 0.48 fs: the parabola through 4x points is exact to 0.001 dB up to
 * 0.4 fs but reads low on content within 0.03 fs of Nyquist (noise there:
 * 0.04 dB). */
#define DETECT_MARGIN_DB 0.04
/* The ring-out of a stream's last frames into the silence after it: a step,
 * which the detector's points under-read by up to 0.08 dB when it ends on
 * content at Nyquist (a full-scale fs/2 tone cut off abruptly); the
 * intervals from the last frame on are read this much higher. */
#define END_LIFT_DB 0.1
#define BYPASS_CEILING_DB 40.0
#define BLOCK MST_LIMITER_BLOCK_FRAMES
#define BAND_LIMIT_WANTED(l) ((l)->set.true_peak && (l)->set.band_limit \
    && !(l)->set.bypass && (l)->rate_hz >= MST_BAND_LIMIT_MIN_RATE_HZ)

struct MstLimiter {
  int max_channels;
  int channels;
  double rate_hz;
  int lookahead;                /* frames */
  size_t latency;               /* detector delay + the gain computer's lag */
  MstLimiterSettings set;

  double ceiling, ceiling_target;       /* linear */
  int64_t ceiling_changed_at;   /* frames from here on have this ceiling */
  double input_gain, input_gain_target;
  double smooth_alpha;
  double margin;
  double end_lift;              /* END_LIFT_DB, linear */

  MstBandLimit *band_limit;     /* with true peak, before everything */
  MstTpDetect *detect;
  MstLookaheadGain *gain;       /* one chain per channel, or one linked */
  MstDelayLine *delay;          /* the input, after the input gain */
  double *delay_ceiling;        /* [ring index]: each frame's ceiling */
  size_t ceiling_fill;          /* frames until every slot has the ceiling */

  double last_gain, min_gain_since_read;
  uint64_t nonfinite;
  bool avx512;                  /* take_stereo_f32_avx512 */
};

void
mst_limiter_settings_default (MstLimiterSettings * s)
{
  s->ceiling_db = -1.0;
  s->input_gain_db = 0.0;
  s->release_ms = 50.0;
  s->auto_release = true;
  s->true_peak = true;
  s->band_limit = true;
  s->link = 1.0;
  s->bypass = false;
}

static int
max_lookahead_frames (void)
{
  return (int) ceil (MST_LIMITER_MAX_LOOKAHEAD_MS * 1e-3 * MST_MAX_RATE_HZ);
}

/* The frames the delay line holds at once with a lookahead of @lookahead
 * frames: a block's input is written before its output is read, so the
 * latency and a whole block. */
static size_t
delay_held_frames (int lookahead)
{
  return mst_tpdetect_get_delay () + (size_t) lookahead
      + 2 * MST_LOOKAHEAD_GAIN_GROUP + BLOCK;
}

MstLimiter *
mst_limiter_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstLimiter *lim = calloc (1, sizeof *lim);
  if (!lim)
    return NULL;
  lim->max_channels = max_channels;
  lim->avx512 = mst_cpu_has_avx512 ();
  lim->band_limit = mst_band_limit_init (max_channels, BLOCK);
  lim->detect = mst_tpdetect_init (max_channels, BLOCK);
  lim->gain = mst_lookahead_gain_init (max_channels, max_lookahead_frames (),
      BLOCK);
  if (lim->gain)
    mst_lookahead_gain_set_points_wanted (lim->gain, true);
  lim->delay = mst_delayline_init (max_channels,
      delay_held_frames (max_lookahead_frames ()));
  if (!lim->band_limit || !lim->detect || !lim->gain || !lim->delay)
    goto fail;
  lim->delay_ceiling = calloc (mst_delayline_get_capacity (lim->delay),
      sizeof (double));
  if (!lim->delay_ceiling)
    goto fail;
  mst_limiter_settings_default (&lim->set);
  if (mst_limiter_configure (lim, 48000, 1, MST_LIMITER_DEFAULT_LOOKAHEAD_MS)
      != MST_OK)
    goto fail;
  return lim;

fail:
  mst_limiter_destroy (&lim);
  return NULL;
}

void
mst_limiter_destroy (MstLimiter ** lim)
{
  if (!lim || !*lim)
    return;
  mst_band_limit_destroy (&(*lim)->band_limit);
  mst_tpdetect_destroy (&(*lim)->detect);
  mst_lookahead_gain_destroy (&(*lim)->gain);
  mst_delayline_destroy (&(*lim)->delay);
  free ((*lim)->delay_ceiling);
  free (*lim);
  *lim = NULL;
}

static double
one_pole_alpha (double rate_hz, double ms)
{
  return 1.0 - exp (-1.0 / (rate_hz * fmax (ms, 0.01) * 1e-3));
}

static double
target_ceiling (const MstLimiter * lim)
{
  return mst_db_to_lin (lim->set.bypass ? BYPASS_CEILING_DB :
      lim->set.ceiling_db);
}

static double
target_input_gain (const MstLimiter * lim)
{
  return lim->set.bypass ? 1.0 : mst_db_to_lin (lim->set.input_gain_db);
}

static void
fill_delay_ceiling (MstLimiter * lim)
{
  size_t ring = mst_delayline_get_capacity (lim->delay);
  for (size_t i = 0; i < ring; i++)
    lim->delay_ceiling[i] = lim->ceiling;
  lim->ceiling_fill = 0;
}

void
mst_limiter_reset (MstLimiter * lim)
{
  if (!lim)
    return;
  mst_band_limit_set_on (lim->band_limit, BAND_LIMIT_WANTED (lim), true);
  mst_band_limit_reset (lim->band_limit);
  mst_tpdetect_reset (lim->detect);
  mst_delayline_reset (lim->delay);
  mst_lookahead_gain_reset (lim->gain);
  lim->ceiling = lim->ceiling_target = target_ceiling (lim);
  lim->ceiling_changed_at = INT64_MIN;
  lim->input_gain = lim->input_gain_target = target_input_gain (lim);
  fill_delay_ceiling (lim);
  lim->last_gain = lim->min_gain_since_read = 1.0;
}

MstResult
mst_limiter_configure (MstLimiter * lim, double rate_hz, int channels,
    double lookahead_ms)
{
  if (!lim || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > lim->max_channels
      || !(lookahead_ms >= MST_LIMITER_MIN_LOOKAHEAD_MS
          && lookahead_ms <= MST_LIMITER_MAX_LOOKAHEAD_MS))
    return MST_ERR_INVALID_ARG;
  lim->rate_hz = rate_hz;
  lim->channels = channels;
  lim->lookahead = (int) fmax (1.0, round (lookahead_ms * 1e-3 * rate_hz));
  lim->smooth_alpha = one_pole_alpha (rate_hz, SMOOTHING_MS);
  lim->margin = mst_db_to_lin (-DETECT_MARGIN_DB);
  lim->end_lift = mst_db_to_lin (END_LIFT_DB);
  lim->nonfinite = 0;
  mst_band_limit_configure (lim->band_limit, rate_hz, channels);
  mst_tpdetect_configure (lim->detect, channels, rate_hz);
  /* The ring (and delay_ceiling) cycles through what this lookahead
   * needs, not the worst case: 16 KiB of stereo F32 at the defaults
   * instead of 128 KiB, which the pipeline's other buffers evicted. */
  mst_delayline_configure_held (lim->delay, channels,
      delay_held_frames (lim->lookahead));
  mst_lookahead_gain_configure (lim->gain, rate_hz, lim->lookahead);
  /* The gain computer once per 16 frames where the window allows: the same
   * guarantee, 16 to 31 frames more latency. */
  mst_lookahead_gain_set_grouped (lim->gain,
      lim->lookahead >= MST_LOOKAHEAD_GAIN_MIN_GROUPED);
  lim->latency = mst_tpdetect_get_delay ()
      + (size_t) mst_lookahead_gain_get_lag (lim->gain);
  mst_lookahead_gain_set_release (lim->gain, lim->set.release_ms,
      lim->set.auto_release);
  mst_limiter_reset (lim);
  return MST_OK;
}

MstResult
mst_limiter_set (MstLimiter * lim, const MstLimiterSettings * s)
{
  if (!lim || !s || !isfinite (s->ceiling_db)
      || !(fabs (s->input_gain_db) <= MST_LIMITER_CORE_MAX_INPUT_GAIN_DB)
      || !(s->release_ms > 0) || !(s->link >= 0.0 && s->link <= 1.0))
    return MST_ERR_INVALID_ARG;
  const MstLimiterSettings old = lim->set;
  lim->set = *s;
  if (s->ceiling_db != old.ceiling_db || s->input_gain_db != old.input_gain_db
      || s->bypass != old.bypass) {
    lim->ceiling_target = target_ceiling (lim);
    lim->input_gain_target = target_input_gain (lim);
    if (mst_delayline_get_written (lim->delay) == 0) {
      /* Nothing processed since the reset: start at the settings. */
      lim->ceiling = lim->ceiling_target;
      lim->input_gain = lim->input_gain_target;
      fill_delay_ceiling (lim);
    }
  }
  mst_band_limit_set_on (lim->band_limit, BAND_LIMIT_WANTED (lim),
      mst_delayline_get_written (lim->delay) == 0);
  if (s->release_ms != old.release_ms || s->auto_release != old.auto_release)
    mst_lookahead_gain_set_release (lim->gain, s->release_ms,
        s->auto_release);
  return MST_OK;
}

size_t
mst_limiter_get_latency (const MstLimiter * lim)
{
  return lim ? lim->latency : 0;
}

size_t
mst_limiter_get_pending (const MstLimiter * lim)
{
  return lim ? mst_delayline_get_pending (lim->delay) : 0;
}

uint64_t
mst_limiter_get_nonfinite_count (const MstLimiter * lim)
{
  return lim ? lim->nonfinite : 0;
}

void
mst_limiter_get_gain_reduction (MstLimiter * lim, double *current_db,
    double *max_db, bool reset_max)
{
  if (current_db)
    *current_db = -mst_lin_to_db (lim->last_gain);
  if (max_db)
    *max_db = -mst_lin_to_db (lim->min_gain_since_read);
  if (reset_max)
    lim->min_gain_since_read = lim->last_gain;
}

/* Not fmin, a library call unless the compiler may assume no NaN. */
static inline double
min_d (double a, double b)
{
  return a < b ? a : b;
}

/* v, or 0 when it is not finite or beyond +60 dBFS (counted): the pack's
 * one policy (mst-core.h), so that a burst of +-FLT_MAX is silence here
 * as in every core, not a sample the detector can only clamp. The
 * magnitude's bits order as the magnitudes do (Inf and NaN above every
 * finite value): one integer comparison and a mask, no branch, so the
 * loops around vectorise. One definition for both widths. */
#define DEFINE_FINITE_OR_ZERO(name, type, bits_type, abs_mask)             \
static inline type                                                         \
name (type v, uint32_t * bad)                                              \
{                                                                          \
  const type max_input = (type) MST_MAX_INPUT;                      \
  bits_type bits, max_bits;                                                \
  memcpy (&bits, &v, sizeof bits);                                         \
  memcpy (&max_bits, &max_input, sizeof max_bits);                         \
  bits_type out = (bits & (abs_mask)) > max_bits;                          \
  *bad += (uint32_t) out;                                                  \
  bits &= out - 1;                                                         \
  memcpy (&v, &bits, sizeof v);                                            \
  return v;                                                                \
}
DEFINE_FINITE_OR_ZERO (finite_or_zero_d, double, uint64_t,
    0x7fffffffffffffffull)
DEFINE_FINITE_OR_ZERO (finite_or_zero_f, float, uint32_t, 0x7fffffffu)

#ifdef MST_HAVE_X86_PATHS
/* take_input's steady stereo F32 pass with AVX-512, eight frames a step,
 * the same operations in the same order as the scalar loop (bit for bit
 * the same): the magnitude's bits compared with MST_MAX_INPUT's, the
 * product, the clamp as min then max (the product is never NaN), the
 * frames split into the rows by one permutation. GCC's AVX2 clone of the
 * loop took four frames a step through blends. Returns the frames done
 * (len rounded down to eight). */
__attribute__ ((target ("avx512f,avx512dq")))
static int
take_stereo_f32_avx512 (const float *restrict src, float *restrict df,
    float *restrict row0, float *restrict row1, float gain, int len,
    uint32_t * nonfinite)
{
  const float max_input = (float) MST_MAX_INPUT;
  uint32_t max_bits;
  memcpy (&max_bits, &max_input, sizeof max_bits);
  const __m512i abs_mask = _mm512_set1_epi32 (0x7fffffff);
  const __m512i limit = _mm512_set1_epi32 ((int) max_bits);
  const __m512i split = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 1, 3,
      5, 7, 9, 11, 13, 15);
  const __m512 g = _mm512_set1_ps (gain);
  const __m512 hi = _mm512_set1_ps (1e15f), lo = _mm512_set1_ps (-1e15f);
  uint32_t bad = 0;
  int i = 0;
  for (; i + 8 <= len; i += 8) {
    __m512 x = _mm512_loadu_ps (src + 2 * i);
    __m512i bits = _mm512_and_si512 (_mm512_castps_si512 (x), abs_mask);
    __mmask16 out = _mm512_cmpgt_epu32_mask (bits, limit);
    bad += (uint32_t) __builtin_popcount ((unsigned) out);
    __m512 a = _mm512_mul_ps (_mm512_maskz_mov_ps ((__mmask16) ~out, x), g);
    _mm512_storeu_ps (df + 2 * i, a);
    /* mst_tpdetect_input_value: v < 1e15 ? v : 1e15, then the floor. */
    __m512 r = _mm512_max_ps (_mm512_min_ps (a, hi), lo);
    r = _mm512_permutexvar_ps (split, r);
    _mm256_storeu_ps (row0 + i, _mm512_castps512_ps256 (r));
    _mm256_storeu_ps (row1 + i, _mm256_castpd_ps (_mm512_extractf64x4_pd
            (_mm512_castps_pd (r), 1)));
  }
  *nonfinite += bad;
  return i;
}
#endif

/* Input frames t .. t + n - 1 (t >= 0) into the delay ring, after the
 * input gain; non-finite samples become silence. The ring wraps at most
 * once per block, so this is at most two contiguous runs. */
MST_VECTORISE_AVX2
static void
take_input (MstLimiter * lim, const void *in, MstFormat fmt, int n)
{
  const bool f64 = fmt == MST_FORMAT_F64;
  const int64_t t = mst_delayline_get_written (lim->delay);
  const size_t row_stride = mst_tpdetect_input_stride (lim->detect);
  const int nch = lim->channels;
  const double target_gain = lim->input_gain_target;
  const double ceiling = lim->ceiling;
  double input_gain = lim->input_gain;
  /* n frames of at most 8 channels: the count fits, and a 32-bit counter
   * vectorises in one addition. */
  uint32_t nonfinite = 0;
  int done = 0;
  while (done < n) {
    size_t slot, run;
    void *slots = mst_delayline_frame (lim->delay, t + done, &slot, &run);
    int len = (int) (run < (size_t) (n - done) ? run : (size_t) (n - done));
    double *restrict d = slots;
    float *restrict df = slots;
    double *restrict dc = lim->delay_ceiling + slot;
    const size_t first = (size_t) done * nch, count = (size_t) len * nch;
    if (lim->ceiling_fill > 0) {
      for (int i = 0; i < len; i++)
        dc[i] = ceiling;
      lim->ceiling_fill -= lim->ceiling_fill < (size_t) len ? lim->ceiling_fill
          : (size_t) len;
    }
    bool rows_done = false;
    float *restrict row0 = mst_tpdetect_input (lim->detect, 0) + done;
    if (!in) {
      memset (f64 ? (void *) d : (void *) df, 0, count
          * (f64 ? sizeof (double) : sizeof (float)));
    } else if (input_gain == target_gain && nch == 2 && !f64) {
      /* Steady gain, stereo F32 (the common case): the delay line and the
       * detector's rows in one pass over the input. */
      const float *restrict src = (const float *) in + first;
      float *restrict row1 = row0 + row_stride;
      const float gf = (float) input_gain;
      int i = 0;
#ifdef MST_HAVE_X86_PATHS
      if (lim->avx512)
        i = take_stereo_f32_avx512 (src, df, row0, row1, gf, len, &nonfinite);
#endif
      for (; i < len; i++) {
        float a = finite_or_zero_f (src[2 * i], &nonfinite) * gf;
        float b = finite_or_zero_f (src[2 * i + 1], &nonfinite) * gf;
        df[2 * i] = a;
        df[2 * i + 1] = b;
        row0[i] = mst_tpdetect_input_value (a);
        row1[i] = mst_tpdetect_input_value (b);
      }
      rows_done = true;
    } else if (input_gain == target_gain) {
      /* Steady gain: one flat loop the compiler vectorises. */
      const double g = input_gain;
      if (f64) {
        const double *restrict src = (const double *) in + first;
        for (size_t j = 0; j < count; j++)
          d[j] = finite_or_zero_d (src[j], &nonfinite) * g;
      } else {
        const float *restrict src = (const float *) in + first;
        const float gf = (float) g;
        for (size_t j = 0; j < count; j++)
          df[j] = finite_or_zero_f (src[j], &nonfinite) * gf;
      }
    } else {
      /* A gliding gain (loudnorm moves it all the time): first the frames'
       * gains, the one-pole's distance to the target shrinking by
       * 1 - alpha a frame (one multiplication on the chain) and snapped to
       * the target within 1e-9 of it; then the samples. */
      double frame_gain[BLOCK];
      const double keep = 1.0 - lim->smooth_alpha;
      const double snap = 1e-9 * target_gain;
      double dist = input_gain - target_gain;
      int i = 0;
      for (; i < len; i++) {
        dist *= keep;
        if (fabs (dist) < snap) {
          dist = 0.0;
          break;
        }
        frame_gain[i] = target_gain + dist;
      }
      for (; i < len; i++)
        frame_gain[i] = target_gain;
      input_gain = target_gain + dist;
      if (f64) {
        const double *restrict src = (const double *) in + first;
        for (int f = 0; f < len; f++)
          for (int c = 0; c < nch; c++) {
            size_t j = (size_t) f * nch + c;
            d[j] = finite_or_zero_d (src[j], &nonfinite) * frame_gain[f];
          }
      } else {
        /* In float, as the steady loop: within one rounding of the
         * product in double. */
        const float *restrict src = (const float *) in + first;
        float gain_f[BLOCK];
        for (int f = 0; f < len; f++)
          gain_f[f] = (float) frame_gain[f];
        if (nch == 2) {
          for (int f = 0; f < len; f++) {
            df[2 * f] = finite_or_zero_f (src[2 * f], &nonfinite) * gain_f[f];
            df[2 * f + 1] = finite_or_zero_f (src[2 * f + 1], &nonfinite)
                * gain_f[f];
          }
        } else {
          for (int f = 0; f < len; f++)
            for (int c = 0; c < nch; c++) {
              size_t j = (size_t) f * nch + c;
              df[j] = finite_or_zero_f (src[j], &nonfinite) * gain_f[f];
            }
        }
      }
    }
    /* The detector's input, channel by channel (stereo: one loop the
     * compiler vectorises). */
    if (rows_done) {
    } else if (nch == 2 && !f64) {
      float *restrict row1 = row0 + row_stride;
      for (int i = 0; i < len; i++) {
        row0[i] = mst_tpdetect_input_value (df[2 * i]);
        row1[i] = mst_tpdetect_input_value (df[2 * i + 1]);
      }
    } else if (nch == 2) {
      float *restrict row1 = row0 + row_stride;
      for (int i = 0; i < len; i++) {
        row0[i] = mst_tpdetect_input_value ((float) d[2 * i]);
        row1[i] = mst_tpdetect_input_value ((float) d[2 * i + 1]);
      }
    } else for (int c = 0; c < nch; c++) {
      float *restrict row = row0 + (size_t) c * row_stride;
      for (int i = 0; i < len; i++) {
        size_t j = (size_t) i * nch + c;
        row[i] = mst_tpdetect_input_value (f64 ? (float) d[j] : df[j]);
      }
    }
    done += len;
  }
  lim->input_gain = input_gain;
  lim->nonfinite += nonfinite;
}

/* Output frames j0 .. j0 + n - 1 from the delay line, frame j0 + i with
 * gain gains[c][i] (channel 0's for all when linked), or with gain
 * phase + i of the gain computer's points (stereo F32, linked, one
 * ceiling: see mst_lookahead_gain_points), a run of the ring at a time;
 * then the gain reduction for the readers, the lowest gain of each
 * frame. */
static void
give_output (MstLimiter * lim, bool linked, const double *const *gains,
    const double *points, int phase, int64_t j0, int n, MstFormat fmt,
    void *out)
{
  const int nch = lim->channels, n_gains = linked ? 1 : nch;
  const bool one_ceiling = j0 >= lim->ceiling_changed_at;
  const size_t bytes = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * nch;
  int done = 0;
  double g_min = INFINITY, g_last = points ? 1.0 : gains[0][n - 1];
  while (done < n) {
    size_t slot, run;
    const void *slots = mst_delayline_frame (lim->delay, j0 + done, &slot,
        &run);
    int len = (int) (run < (size_t) (n - done) ? run : (size_t) (n - done));
    if (points) {
      const int at = phase + done;
      g_min = min_d (g_min, mst_gain_apply_points_stereo_f32 (points + at
              / MST_LOOKAHEAD_GAIN_GROUP, at % MST_LOOKAHEAD_GAIN_GROUP,
              slots, (float *) out + 2 * done, len, lim->delay_ceiling[slot],
              &g_last));
    } else {
      const double *g[MST_MAX_CHANNELS];
      for (int c = 0; c < n_gains; c++)
        g[c] = gains[c] + done;
      g_min = min_d (g_min, mst_gain_apply (g, linked, slots, (char *) out
              + done * bytes, len, nch, lim->delay_ceiling + slot,
              one_ceiling, fmt));
    }
    done += len;
  }
  for (int c = 1; c < n_gains && !points; c++)
    g_last = min_d (g_last, gains[c][n - 1]);
  lim->last_gain = g_last;
  lim->min_gain_since_read = min_d (lim->min_gain_since_read, g_min);
}

/* Processes n frames (n <= BLOCK) from in (NULL: silence), writing the
 * completed frames to out; returns how many. Frames at or after
 * output_limit are not written (the end of a drain). */
static size_t
process_frames (MstLimiter * lim, const void *in, MstFormat fmt, int n,
    void *out, int64_t output_limit)
{
  const int nch = lim->channels;
  const int64_t t0 = mst_delayline_get_written (lim->delay);

  /* 1. The ceiling needs no glide: it only changes the required gain, and
   * the gain curve ramps over the lookahead whatever it asks. Then the
   * input, after its (gliding) gain, into the delay line and the
   * detector. */
  if (lim->ceiling != lim->ceiling_target) {
    lim->ceiling = lim->ceiling_target;
    lim->ceiling_changed_at = t0;
    lim->ceiling_fill = mst_delayline_get_capacity (lim->delay);
  }
  /* A drain's silence goes to the detector as it is (not the filter's
   * ring-out): a meter reconstructs the silence after the last frame. */
  const void *input = in;
  if (in && !mst_band_limit_is_idle (lim->band_limit))
    input = mst_band_limit_process (lim->band_limit, in, fmt, n,
        &lim->nonfinite);
  take_input (lim, input, fmt, n);

  /* 2. Peaks, then required gains, of frames u = t0 + i - detector delay;
   * gains of frames j = u - L + 1. Peaks under the ceiling (with the
   * margin and a drain's end lift, less the float's rounding) ask for no
   * reduction: the detector need not read them exactly. */
  bool linked = lim->set.link >= 1.0 || nch == 1;
  const int64_t u0 = t0 - (int64_t) mst_tpdetect_get_delay ();
  mst_tpdetect_set_floor (lim->detect, u0 < lim->ceiling_changed_at ? 0.0f
      : (float) (lim->ceiling * lim->margin / lim->end_lift * 0.9999));
  mst_tpdetect_process (lim->detect, n, lim->set.true_peak);
  if (!in && output_limit != INT64_MAX && lim->set.true_peak) {
    /* A drain: the intervals from the last frame (output_limit - 1) on. */
    int64_t from = output_limit - 1 - u0 > 0 ? output_limit - 1 - u0 : 0;
    for (int c = 0; c < nch; c++) {
      float *p = mst_tpdetect_peaks (lim->detect, c);
      for (int64_t i = from; i < n; i++)
        p[i] *= (float) lim->end_lift;
    }
  }
  /* The required gains r = min (1, cu / peak), cu the ceiling with the
   * margin: the frames' own where it changed since the earliest of them. */
  const float *peaks[MST_MAX_CHANNELS];
  for (int c = 0; c < nch; c++)
    peaks[c] = mst_tpdetect_peaks (lim->detect, c);
  double ceilings[BLOCK], *frame_ceilings = NULL;
  if (u0 < lim->ceiling_changed_at) {
    const size_t mask = mst_delayline_get_capacity (lim->delay) - 1;
    for (int i = 0; i < n; i++)
      ceilings[i] = lim->delay_ceiling[(size_t) (u0 + i) & mask]
          * lim->margin;
    frame_ceilings = ceilings;
  }
  mst_lookahead_gain_process_peaks (lim->gain, peaks, nch, linked,
      frame_ceilings, lim->ceiling * lim->margin, n, lim->set.link);

  /* 3. Output: frame j = t0 + i - latency gets gain i; frames before the
   * stream's start, already written, or past a drain's end are skipped. */
  int64_t first = t0 - (int64_t) lim->latency;
  int64_t frames_out = mst_delayline_get_read (lim->delay);
  int64_t lo = frames_out > first ? frames_out : first;
  int64_t hi = first + n < output_limit ? first + n : output_limit;
  if (lo < 0)
    lo = 0;
  size_t written = 0;
  if (hi > lo) {
    int i_lo = (int) (lo - first);
    written = (size_t) (hi - lo);
    /* The common case's gains made in the output stage from the gain
     * computer's points, not written and read back. */
    int phase = 0;
    const double *points = mst_lookahead_gain_points (lim->gain, &phase);
    if (!(points && linked && nch == 2 && fmt == MST_FORMAT_F32
            && lo >= lim->ceiling_changed_at)) {
      points = NULL;
      mst_lookahead_gain_write_gains (lim->gain);
    }
    const double *gains[MST_MAX_CHANNELS];
    for (int c = 0; c < (linked ? 1 : nch); c++)
      gains[c] = mst_lookahead_gain_gains (lim->gain, c) + i_lo;
    give_output (lim, linked, gains, points, phase + i_lo, lo, (int) written,
        fmt, out);
    mst_delayline_mark_read (lim->delay, hi);
  }
  mst_delayline_mark_written (lim->delay, (size_t) n);
  return written;
}

MST_ALWAYS_INLINE MstResult
process (MstLimiter * lim, const void *in, size_t n_in, void *out,
    size_t *n_out, MstFormat fmt)
{
  if (!lim || !n_out || (n_in && (!in || !out)))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  mst_delayline_set_format (lim->delay, fmt);
  size_t done = 0, written = 0;
  size_t bytes = (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float))
      * lim->channels;
  /* Output never overtakes input, so in-place (out == in) is safe: frame k
   * of the output is written after input frame k has been read. */
  while (done < n_in) {
    int n = n_in - done > BLOCK ? BLOCK : (int) (n_in - done);
    written += process_frames (lim, (const char *) in + done * bytes, fmt, n,
        (char *) out + written * bytes, INT64_MAX);
    done += n;
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
drain (MstLimiter * lim, void *out, size_t *n_out, MstFormat fmt)
{
  if (!lim || !out || !n_out)
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  mst_delayline_set_format (lim->delay, fmt);
  int64_t end = mst_delayline_get_written (lim->delay);
  size_t written = 0;
  size_t bytes = (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float))
      * lim->channels;
  while (mst_delayline_get_read (lim->delay) < end) {
    int n = (int) fmin (BLOCK, (double) (lim->latency + 1));
    written += process_frames (lim, NULL, fmt, n, (char *) out + written
        * bytes, end);
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  mst_limiter_reset (lim);
  return MST_OK;
}

MST_DEFINE_PROCESS_DELAYING (mst_limiter, MstLimiter, process, drain)
