/* mastering: per-channel level detector (see mst-level-detector.h). */
#include "mst-level-detector.h"
#include "mst-vmath.h"
#include "mst-cpu.h"
#include "mst-fpu.h"

#include <float.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Frames per processing block: the channels' envelopes of one block are
 * kept for the link stage. */
#define BLOCK 256

/* The floor of the dB output as an amplitude and as a power. */
#define FLOOR_AMPLITUDE 1e-10
#define FLOOR_POWER 1e-20

struct MstLevelDetector {
  int max_channels;
  int channels;
  double rate_hz;               /* 0 until configured */
  MstLevelDetectorSettings set;

  double attack_coef, release_coef;     /* exp (-1 / (T fs)), 0 for T = 0 */
  size_t window_frames;         /* 1 .. ring_frames */
  double inv_window;

  /* Per channel: the envelope (amplitude in PEAK mode, power otherwise)
   * and the sum of the last window_frames squares. */
  double env[MST_MAX_CHANNELS];
  double window_sum[MST_MAX_CHANNELS];
  /* The squares of the last ring_frames input frames, channel after
   * channel, written in every mode so a switch to RMS_WINDOW or a longer
   * window finds its history. */
  double *ring;
  size_t ring_frames, ring_pos;
  /* The instant peak path of planar input skips the ring: a switch to
   * RMS_WINDOW then starts from silence. */
  bool ring_stale;

  double *scratch;              /* BLOCK envelopes per channel */
  uint64_t nonfinite;
};

void
mst_level_detector_settings_default (MstLevelDetectorSettings * s)
{
  s->mode = MST_LEVEL_DETECTOR_PEAK;
  s->attack_ms = 10.0;
  s->release_ms = 100.0;
  s->window_ms = 10.0;
  s->link = 1.0;
  s->link_mode = MST_LEVEL_DETECTOR_LINK_MAX;
  s->frames_per_value = 1;
}

MstLevelDetector *
mst_level_detector_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstLevelDetector *det = calloc (1, sizeof (MstLevelDetector));
  if (!det)
    return NULL;
  det->max_channels = max_channels;
  det->scratch = calloc ((size_t) BLOCK * max_channels, sizeof (double));
  if (!det->scratch) {
    mst_level_detector_destroy (&det);
    return NULL;
  }
  mst_level_detector_settings_default (&det->set);
  return det;
}

void
mst_level_detector_destroy (MstLevelDetector ** det)
{
  if (!det || !*det)
    return;
  free ((*det)->ring);
  free ((*det)->scratch);
  free (*det);
  *det = NULL;
}

static double
one_pole_coef (double time_ms, double rate_hz, int frames_per_value)
{
  /* A time constant of T: the remaining part of a step falls by 1/e in
   * T fs frames. */
  return time_ms > 0.0 ? exp (-1000.0 * frames_per_value / (time_ms
          * rate_hz)) : 0.0;
}

static bool
is_power_mode (MstLevelDetectorMode mode)
{
  return mode != MST_LEVEL_DETECTOR_PEAK;
}

/* The sum of channel c's last window_frames squares, from the ring. */
static double
sum_window (const MstLevelDetector * det, int c)
{
  const double *ring = det->ring + (size_t) c * det->ring_frames;
  size_t pos = det->ring_pos;
  double sum = 0.0;
  for (size_t k = 0; k < det->window_frames; k++) {
    pos = pos ? pos - 1 : det->ring_frames - 1;
    sum += ring[pos];
  }
  return sum;
}

static void
resum_windows (MstLevelDetector * det)
{
  for (int c = 0; c < det->channels; c++)
    det->window_sum[c] = sum_window (det, c);
}

/* Coefficients and window length of the settings in force at the
 * configured rate. */
static void
update_rate_dependent (MstLevelDetector * det)
{
  const int fpv = det->set.frames_per_value;
  det->attack_coef = one_pole_coef (det->set.attack_ms, det->rate_hz, fpv);
  det->release_coef = one_pole_coef (det->set.release_ms, det->rate_hz, fpv);
  double w = round (det->set.window_ms * 1e-3 * det->rate_hz / fpv);
  det->window_frames = w < 1.0 ? 1 : w > (double) det->ring_frames
      ? det->ring_frames : (size_t) w;
  det->inv_window = 1.0 / (double) det->window_frames;
}

void
mst_level_detector_reset (MstLevelDetector * det)
{
  if (!det)
    return;
  memset (det->env, 0, sizeof (det->env));
  memset (det->window_sum, 0, sizeof (det->window_sum));
  if (det->ring)
    memset (det->ring, 0, det->ring_frames * det->channels * sizeof (double));
  det->ring_pos = 0;
}

MstResult
mst_level_detector_configure (MstLevelDetector * det, double rate_hz,
    int channels)
{
  if (!det || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > det->max_channels)
    return MST_ERR_INVALID_ARG;
  size_t ring_frames = (size_t) ceil (MST_LEVEL_DETECTOR_MAX_WINDOW_MS
      * 1e-3 * rate_hz), n;
  if (!mst_size_mul (ring_frames, (size_t) channels, &n))
    return MST_ERR_NOMEM;
  double *ring = calloc (n, sizeof (double));
  if (!ring)
    return MST_ERR_NOMEM;
  free (det->ring);
  det->ring = ring;
  det->ring_frames = ring_frames;
  det->channels = channels;
  det->rate_hz = rate_hz;
  det->nonfinite = 0;
  update_rate_dependent (det);
  mst_level_detector_reset (det);
  return MST_OK;
}

static bool
time_ok (double ms)
{
  return ms >= 0.0 && ms <= MST_LEVEL_DETECTOR_MAX_TIME_MS;
}

MstResult
mst_level_detector_set (MstLevelDetector * det,
    const MstLevelDetectorSettings * s)
{
  if (!det || !s)
    return MST_ERR_INVALID_ARG;
  if ((unsigned) s->mode > MST_LEVEL_DETECTOR_RMS_WINDOW
      || (unsigned) s->link_mode > MST_LEVEL_DETECTOR_LINK_MEAN
      || !time_ok (s->attack_ms) || !time_ok (s->release_ms)
      || !(s->window_ms >= MST_LEVEL_DETECTOR_MIN_WINDOW_MS
          && s->window_ms <= MST_LEVEL_DETECTOR_MAX_WINDOW_MS)
      || !(s->link >= 0.0 && s->link <= 1.0)
      || s->frames_per_value < 1
      || s->frames_per_value > MST_LEVEL_DETECTOR_MAX_FRAMES_PER_VALUE)
    return MST_ERR_INVALID_ARG;

  MstLevelDetectorSettings old = det->set;
  det->set = *s;
  if (det->rate_hz == 0.0)
    return MST_OK;              /* applied at configure */
  const bool window_changed = s->window_ms != old.window_ms
      || s->frames_per_value != old.frames_per_value;
  if (s->attack_ms != old.attack_ms || s->release_ms != old.release_ms
      || window_changed)
    update_rate_dependent (det);
  /* The envelopes carry on in the new mode's domain. */
  if (is_power_mode (s->mode) != is_power_mode (old.mode))
    for (int c = 0; c < det->channels; c++)
      det->env[c] = is_power_mode (s->mode) ? det->env[c] * det->env[c]
          : sqrt (det->env[c]);
  if (s->mode == MST_LEVEL_DETECTOR_RMS_WINDOW
      && (old.mode != MST_LEVEL_DETECTOR_RMS_WINDOW || window_changed))
  {
    if (det->ring_stale) {
      memset (det->ring, 0, sizeof (double) * det->ring_frames
          * det->channels);
      det->ring_stale = false;
    }
    resum_windows (det);
  }
  return MST_OK;
}

uint64_t
mst_level_detector_get_nonfinite_count (const MstLevelDetector * det)
{
  return det ? det->nonfinite : 0;
}

/* The envelopes of channels c .. c + width - 1 (width 1 or 2, a constant)
 * over frames [0, n) of in (ring slots ring_pos .. ring_pos + n - 1, no
 * wrap), into the scratch rows; returns the count of non-finite samples.
 * Each envelope is a chain of dependent operations: two channels in one
 * loop run their chains side by side. */
MST_ALWAYS_INLINE uint64_t
follow_channels (MstLevelDetector * det, MstFormat fmt,
    MstLevelDetectorMode mode, const void *in, size_t planar_stride, int c,
    int width, size_t n)
{
  const int nch = det->channels;
  const double a_att = det->attack_coef, a_rel = det->release_coef;
  const double inv_w = det->inv_window;
  const size_t ring_frames = det->ring_frames, pos = det->ring_pos;
  size_t leaving = pos >= det->window_frames ? pos - det->window_frames
      : pos + ring_frames - det->window_frames;
  double *restrict ring[2], *restrict env_out[2], env[2], sum[2];
  for (int k = 0; k < width; k++) {
    ring[k] = det->ring + (size_t) (c + k) * ring_frames;
    env_out[k] = det->scratch + (size_t) (c + k) * BLOCK;
    env[k] = det->env[c + k];
    sum[k] = det->window_sum[c + k];
  }
  uint64_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < width; k++) {
      /* planar_stride 0: interleaved frames. */
      double x = fabs (planar_stride ? ((const double *) in)[(size_t) (c + k)
              * planar_stride + i] : mst_sample_get (fmt, in, i * nch + c + k));
      /* NaN and Inf fail the first test, huge values the second. */
      bool finite = x <= DBL_MAX;
      bad += !finite;
      x = finite ? x : 0.0;
      x = x < MST_LEVEL_DETECTOR_MAX_LIN ? x : MST_LEVEL_DETECTOR_MAX_LIN;
      double sq = x * x, v;
      if (mode == MST_LEVEL_DETECTOR_RMS_WINDOW) {
        /* Read the leaving square first: with the longest window it is
         * the slot written now. */
        double out_sq = ring[k][leaving];
        ring[k][pos + i] = sq;
        sum[k] += sq - out_sq;
        /* Rounding may leave a sum of zeros slightly negative. */
        v = sum[k] > 0.0 ? sum[k] * inv_w : 0.0;
      } else {
        ring[k][pos + i] = sq;
        v = mode == MST_LEVEL_DETECTOR_PEAK ? x : sq;
      }
      double a = v > env[k] ? a_att : a_rel;
      env[k] = v + a * (env[k] - v);
      env_out[k][i] = env[k];
    }
    leaving = leaving + 1 == ring_frames ? 0 : leaving + 1;
  }
  for (int k = 0; k < width; k++) {
    det->env[c + k] = env[k];
    det->window_sum[c + k] = sum[k];
  }
  return bad;
}

/* An envelope value of mode's domain as a level: for dB output, floored
 * (the logarithm is taken over the block afterwards, mst-vmath), else
 * linear. */
MST_ALWAYS_INLINE double
envelope_to_level (double e, bool power, bool db)
{
  if (db)
    return power ? (e > FLOOR_POWER ? e : FLOOR_POWER)
        : (e > FLOOR_AMPLITUDE ? e : FLOOR_AMPLITUDE);
  return power ? sqrt (e) : e;
}

/* Link and output stage of n frames whose envelopes are in scratch. */
MST_ALWAYS_INLINE void
link_and_output (const MstLevelDetector * det, size_t n, bool power,
    bool db, double *restrict out)
{
  const int nch = det->channels;
  const double link = det->set.link;
  const bool mean = det->set.link_mode == MST_LEVEL_DETECTOR_LINK_MEAN;
  const double *restrict env = det->scratch;
  /* 10 / ln 10 and 20 / ln 10: dB of a mean square and of an amplitude. */
  const double to_db = power ? 4.342944819032518 : MST_LEVEL_DETECTOR_DB_PER_NEPER;
  if (nch == 1 || link == 0.0) {
    for (int c = 0; c < nch; c++)
      for (size_t i = 0; i < n; i++)
        out[i * nch + c] = envelope_to_level (env[(size_t) c * BLOCK + i],
            power, db);
    if (db)
      mst_vmath_log (out, to_db, out, n * nch);
    return;
  }
  if (link == 1.0) {
    /* One level for all channels: the n levels first, then spread from
     * the end so none is overwritten before it is read. */
    for (size_t i = 0; i < n; i++) {
      double linked = env[i];
      for (int c = 1; c < nch; c++) {
        double e = env[(size_t) c * BLOCK + i];
        linked = mean ? linked + e : (e > linked ? e : linked);
      }
      out[i] = envelope_to_level (mean ? linked / nch : linked, power, db);
    }
    if (db)
      mst_vmath_log (out, to_db, out, n);
    for (size_t i = n; i-- > 0;)
      for (int c = nch - 1; c >= 0; c--)
        out[i * nch + c] = out[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    double linked = env[i];
    for (int c = 1; c < nch; c++) {
      double e = env[(size_t) c * BLOCK + i];
      linked = mean ? linked + e : (e > linked ? e : linked);
    }
    if (mean)
      linked /= nch;
    for (int c = 0; c < nch; c++) {
      double e = env[(size_t) c * BLOCK + i];
      out[i * nch + c] = envelope_to_level (e + link * (linked - e), power,
          db);
    }
  }
  if (db)
    mst_vmath_log (out, to_db, out, n * nch);
}

MST_ALWAYS_INLINE void
process_run (MstLevelDetector * det, MstFormat fmt, MstLevelDetectorMode mode,
    const void *in, size_t n, bool db, double *out)
{
  int c = 0;
  for (; c + 2 <= det->channels; c += 2)
    det->nonfinite += follow_channels (det, fmt, mode, in, 0, c, 2, n);
  if (c < det->channels)
    det->nonfinite += follow_channels (det, fmt, mode, in, 0, c, 1, n);
  link_and_output (det, n, is_power_mode (mode), db, out);
  det->ring_pos += n;
  if (det->ring_pos == det->ring_frames) {
    det->ring_pos = 0;
    /* Once a ring turn, the running sums start again from the exact sum,
     * so rounding never accumulates. */
    if (mode == MST_LEVEL_DETECTOR_RMS_WINDOW)
      resum_windows (det);
  }
}

MST_ALWAYS_INLINE MstResult
process (MstLevelDetector * det, const void *in, size_t n_frames,
    double *out, MstFormat fmt, bool db)
{
  if (!det || det->rate_hz == 0.0 || (n_frames && (!in || !out)))
    return MST_ERR_INVALID_ARG;
  const size_t bps = fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float);
  const int nch = det->channels;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  size_t done = 0;
  while (done < n_frames) {
    size_t n = n_frames - done;
    n = n < BLOCK ? n : BLOCK;
    size_t to_wrap = det->ring_frames - det->ring_pos;
    n = n < to_wrap ? n : to_wrap;
    const void *src = (const char *) in + done * nch * bps;
    double *dst = out + done * nch;
    /* The mode is a constant in each loop (a variable of the switch's
     * values in the sanitizer build's one copy: gst/meson.build). */
#ifdef MST_FEW_KERNEL_COPIES
    process_run (det, fmt, det->set.mode == MST_LEVEL_DETECTOR_PEAK
        || det->set.mode == MST_LEVEL_DETECTOR_RMS ? det->set.mode
        : MST_LEVEL_DETECTOR_RMS_WINDOW, src, n, db, dst);
#else
    switch (det->set.mode) {
      case MST_LEVEL_DETECTOR_PEAK:
        process_run (det, fmt, MST_LEVEL_DETECTOR_PEAK, src, n, db, dst);
        break;
      case MST_LEVEL_DETECTOR_RMS:
        process_run (det, fmt, MST_LEVEL_DETECTOR_RMS, src, n, db, dst);
        break;
      default:
        process_run (det, fmt, MST_LEVEL_DETECTOR_RMS_WINDOW, src, n, db,
            dst);
        break;
    }
#endif
    done += n;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
process_db (MstLevelDetector * det, const void *in, size_t n_frames,
    double *out, MstFormat fmt)
{
  return process (det, in, n_frames, out, fmt, true);
}

MST_ALWAYS_INLINE MstResult
process_lin (MstLevelDetector * det, const void *in, size_t n_frames,
    double *out, MstFormat fmt)
{
  return process (det, in, n_frames, out, fmt, false);
}

/* Both widths, levels in dB or linear. */
MST_DEFINE_PROCESS_TO (mst_level_detector_process, MstLevelDetector, double,
    process_db)
MST_DEFINE_PROCESS_TO (mst_level_detector_process_lin, MstLevelDetector,
    double, process_lin)

/* The levels of one block of planar input whose envelope is |x| (peak, no
 * attack or release): no recurrence, so the loops run vectorised. Writes
 * the linear levels to the rows (row 0 alone when @linked: the loudest
 * channel's), the envelopes to det->env; returns the non-finite count. */
typedef double V4d __attribute__ ((vector_size (32)));
typedef int64_t V4l __attribute__ ((vector_size (32)));

/* A sample's instant level: |x|, a non-finite one as 0 (counted in
 * *@n_bad), clamped to MST_LEVEL_DETECTOR_MAX_LIN. */
static inline double
instant_magnitude (double x, int *n_bad)
{
  double v = fabs (x);
  bool finite = v <= DBL_MAX;
  *n_bad += !finite;
  v = finite ? v : 0.0;
  return v < MST_LEVEL_DETECTOR_MAX_LIN ? v : MST_LEVEL_DETECTOR_MAX_LIN;
}

/* The envelope an instant detector leaves after its last sample @x. */
static inline double
last_envelope (double x)
{
  return fabs (x) <= MST_LEVEL_DETECTOR_MAX_LIN ? fabs (x) : 0.0;
}

MST_VECTORISE_AVX2
static uint64_t
instant_peak_rows (MstLevelDetector * det, const double *in, size_t stride,
    size_t n, double *rows, size_t row_stride, bool linked)
{
  int n_bad = 0;
  const int nch = det->channels;
  const V4l abs_mask = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
  const V4d dbl_max = { DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX };
  const V4d max_lin = { MST_LEVEL_DETECTOR_MAX_LIN, MST_LEVEL_DETECTOR_MAX_LIN,
    MST_LEVEL_DETECTOR_MAX_LIN, MST_LEVEL_DETECTOR_MAX_LIN
  };
  const V4d floor_lin = { FLOOR_AMPLITUDE, FLOOR_AMPLITUDE, FLOOR_AMPLITUDE,
    FLOOR_AMPLITUDE
  };
  for (int c = 0; c < nch; c++) {
    const double *restrict x = in + (size_t) c * stride;
    double *restrict out = rows + (linked ? 0 : (size_t) c * row_stride);
    const bool merge = linked && c > 0;
    /* Four at a time, the selects of the loop below as masks (the compiler
     * keeps that loop scalar: a double comparison counted in an int). */
    V4l n_ok = { 0, 0, 0, 0 };
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      V4d v, o;
      memcpy (&v, x + i, sizeof v);
      v = (V4d) ((V4l) v & abs_mask);
      V4l finite = v <= dbl_max;
      n_ok -= finite;
      v = (V4d) ((V4l) v & finite);
      V4l below = v < max_lin;
      v = (V4d) (((V4l) v & below) | ((V4l) max_lin & ~below));
      if (merge)
        memcpy (&o, out + i, sizeof o);
      else
        o = floor_lin;
      V4l above = v > o;
      v = (V4d) (((V4l) v & above) | ((V4l) o & ~above));
      memcpy (out + i, &v, sizeof v);
    }
    n_bad += (int) (i - (size_t) (n_ok[0] + n_ok[1] + n_ok[2] + n_ok[3]));
    for (; i < n; i++) {
      const double v = instant_magnitude (x[i], &n_bad);
      if (linked && c > 0)
        out[i] = v > out[i] ? v : out[i];
      else
        out[i] = v > FLOOR_AMPLITUDE ? v : FLOOR_AMPLITUDE;
    }
    if (n > 0)
      det->env[c] = last_envelope (x[n - 1]);
  }
  return (uint64_t) n_bad;
}

/* The linked instant level of frame @i: the channels' |x| as
 * instant_peak_rows takes them (non-finite as 0, counted in *@n_bad;
 * clamped to MAX_LIN), the first floored, then the largest. */
static inline double
linked_peak_at (const double *in, size_t stride, int nch, size_t i,
    int *n_bad)
{
  double lev = FLOOR_AMPLITUDE;
  for (int c = 0; c < nch; c++) {
    const double v = instant_magnitude (in[(size_t) c * stride + i], n_bad);
    if (c == 0)
      lev = v > FLOOR_AMPLITUDE ? v : FLOOR_AMPLITUDE;
    else
      lev = v > lev ? v : lev;
  }
  return lev;
}

#ifdef MST_HAVE_X86_PATHS
/* For each mask of four lanes over the threshold: the 32-bit lanes that
 * move those doubles to the front, in order, and their frame offsets. */
static const int32_t compact_lanes[16][8] = {
  {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
  {2, 3, 0, 1, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
  {4, 5, 0, 1, 2, 3, 6, 7}, {0, 1, 4, 5, 2, 3, 6, 7},
  {2, 3, 4, 5, 0, 1, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
  {6, 7, 0, 1, 2, 3, 4, 5}, {0, 1, 6, 7, 2, 3, 4, 5},
  {2, 3, 6, 7, 0, 1, 4, 5}, {0, 1, 2, 3, 6, 7, 4, 5},
  {4, 5, 6, 7, 0, 1, 2, 3}, {0, 1, 4, 5, 6, 7, 2, 3},
  {2, 3, 4, 5, 6, 7, 0, 1}, {0, 1, 2, 3, 4, 5, 6, 7},
};

static const uint16_t compact_frames[16][4] = {
  {0, 1, 2, 3}, {0, 1, 2, 3}, {1, 0, 2, 3}, {0, 1, 2, 3},
  {2, 0, 1, 3}, {0, 2, 1, 3}, {1, 2, 0, 3}, {0, 1, 2, 3},
  {3, 0, 1, 2}, {0, 3, 1, 2}, {1, 3, 0, 2}, {0, 1, 3, 2},
  {2, 3, 0, 1}, {0, 2, 3, 1}, {1, 2, 3, 0}, {0, 1, 2, 3},
};

/* peaks_over's frames four at a time, with @nch a constant where inlined:
 * the same selects as instant_peak_rows' vector loop; the lanes over the
 * threshold are moved to the front and all four stored, the count moving
 * on by those over (no branch on the data: most groups have none, but
 * not predictably). Returns the frames done. */
static inline __attribute__ ((always_inline, target ("avx2,popcnt"))) size_t
peaks_over_body (const double *in, size_t stride, int nch, size_t n,
    double threshold, double *over, uint16_t * over_at, size_t *n_over,
    int *n_bad)
{
  const __m256d abs_mask = _mm256_castsi256_pd (_mm256_set1_epi64x
      (INT64_MAX));
  const __m256d dbl_max = _mm256_set1_pd (DBL_MAX);
  const __m256d max_lin = _mm256_set1_pd (MST_LEVEL_DETECTOR_MAX_LIN);
  const __m256d floor_lin = _mm256_set1_pd (FLOOR_AMPLITUDE);
  const __m256d thr = _mm256_set1_pd (threshold);
  __m256i n_ok = _mm256_setzero_si256 ();
  size_t m = *n_over, i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d lev = floor_lin;
    for (int c = 0; c < nch; c++) {
      __m256d v = _mm256_and_pd (_mm256_loadu_pd (in + (size_t) c * stride
              + i), abs_mask);
      const __m256d finite = _mm256_cmp_pd (v, dbl_max, _CMP_LE_OQ);
      n_ok = _mm256_sub_epi64 (n_ok, _mm256_castpd_si256 (finite));
      v = _mm256_and_pd (v, finite);
      v = _mm256_blendv_pd (max_lin, v, _mm256_cmp_pd (v, max_lin,
              _CMP_LT_OQ));
      const __m256d o = c == 0 ? floor_lin : lev;
      lev = _mm256_blendv_pd (o, v, _mm256_cmp_pd (v, o, _CMP_GT_OQ));
    }
    const int hit = _mm256_movemask_pd (_mm256_cmp_pd (lev, thr,
            _CMP_GE_OQ));
    const __m256i lanes = _mm256_loadu_si256 ((const __m256i *)
        compact_lanes[hit]);
    _mm256_storeu_pd (over + m, _mm256_castps_pd (_mm256_permutevar8x32_ps
            (_mm256_castpd_ps (lev), lanes)));
    uint64_t frames;
    memcpy (&frames, compact_frames[hit], sizeof frames);
    /* i + 3 < 65536: no carry between the 16-bit fields. */
    frames += (uint64_t) i * UINT64_C (0x0001000100010001);
    memcpy (over_at + m, &frames, sizeof frames);
    m += (size_t) __builtin_popcount ((unsigned) hit);
  }
  int64_t ok[4];
  _mm256_storeu_si256 ((__m256i *) ok, n_ok);
  *n_bad += (int) ((int64_t) (i * (size_t) nch) - (ok[0] + ok[1] + ok[2]
          + ok[3]));
  *n_over = m;
  return i;
}

__attribute__ ((target ("avx2,popcnt")))
static size_t
peaks_over_avx2 (const double *in, size_t stride, int nch, size_t n,
    double threshold, double *over, uint16_t * over_at, size_t *n_over,
    int *n_bad)
{
#ifndef MST_FEW_KERNEL_COPIES
  if (nch == 2)
    return peaks_over_body (in, stride, 2, n, threshold, over, over_at,
        n_over, n_bad);
#endif
  return peaks_over_body (in, stride, nch, n, threshold, over, over_at,
      n_over, n_bad);
}
#endif

MstResult
mst_level_detector_peaks_over (MstLevelDetector * det, const double *planar,
    size_t stride, size_t n_frames, double threshold_lin, double *over,
    uint16_t * over_at, size_t *n_over)
{
  if (!det || det->rate_hz == 0.0 || !n_over
      || det->set.mode != MST_LEVEL_DETECTOR_PEAK || det->attack_coef != 0.0
      || det->release_coef != 0.0 || n_frames > (size_t) UINT16_MAX + 1
      || !(det->channels == 1 || (det->set.link == 1.0
              && det->set.link_mode == MST_LEVEL_DETECTOR_LINK_MAX))
      || (n_frames && (!planar || !over || !over_at || stride < n_frames)))
    return MST_ERR_INVALID_ARG;
  const int nch = det->channels;
  int n_bad = 0;
  size_t m = 0, i = 0;
#ifdef MST_HAVE_X86_PATHS
  if (mst_cpu_has_avx2_fma ())
    i = peaks_over_avx2 (planar, stride, nch, n_frames, threshold_lin, over,
        over_at, &m, &n_bad);
#endif
  for (; i < n_frames; i++) {
    const double lev = linked_peak_at (planar, stride, nch, i, &n_bad);
    if (lev >= threshold_lin) {
      over[m] = lev;
      over_at[m++] = (uint16_t) i;
    }
  }
  *n_over = m;
  det->nonfinite += (uint64_t) n_bad;
  /* What process_planar leaves: the envelopes at the last |x|, the ring
   * not written and moved on. */
  if (n_frames > 0) {
    for (int c = 0; c < nch; c++)
      det->env[c] = last_envelope (planar[(size_t) c * stride + n_frames
              - 1]);
    det->ring_stale = true;
    det->ring_pos = (det->ring_pos + n_frames) % det->ring_frames;
  }
  return MST_OK;
}

/* Link stage of the envelopes in scratch into planar rows of floored
 * linear values (row 0 alone when @linked). */
static void
link_to_rows (const MstLevelDetector * det, size_t n, bool power, bool db,
    double *rows, size_t row_stride, bool linked)
{
  const int nch = det->channels;
  const double link = det->set.link;
  const bool mean = det->set.link_mode == MST_LEVEL_DETECTOR_LINK_MEAN;
  const double *env = det->scratch;
  for (size_t i = 0; i < n; i++) {
    double all = env[i];
    for (int c = 1; c < nch; c++) {
      double e = env[(size_t) c * BLOCK + i];
      all = mean ? all + e : (e > all ? e : all);
    }
    if (mean)
      all /= nch;
    for (int c = 0; c < (linked ? 1 : nch); c++) {
      double e = linked ? all : env[(size_t) c * BLOCK + i];
      rows[(size_t) c * row_stride + i] = envelope_to_level (e + link
          * (all - e), power, db);
    }
  }
}

static MstResult
process_planar (MstLevelDetector * det, const double *planar, size_t stride,
    size_t n_frames, double *level_db, size_t level_stride, bool *shared,
    bool db)
{
  if (!det || det->rate_hz == 0.0 || (n_frames && (!planar || !level_db
              || stride < n_frames || level_stride < n_frames)))
    return MST_ERR_INVALID_ARG;
  const int nch = det->channels;
  const bool linked = nch == 1 || (det->set.link == 1.0
      && det->set.link_mode == MST_LEVEL_DETECTOR_LINK_MAX);
  const bool instant = det->set.mode == MST_LEVEL_DETECTOR_PEAK
      && det->attack_coef == 0.0 && det->release_coef == 0.0;
  const bool power = is_power_mode (det->set.mode);
  if (shared)
    *shared = linked;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  size_t done = 0;
  while (done < n_frames) {
    size_t n = n_frames - done;
    n = n < BLOCK ? n : BLOCK;
    size_t to_wrap = det->ring_frames - det->ring_pos;
    n = n < to_wrap ? n : to_wrap;
    const double *src = planar + done;
    double *dst = level_db + done;
    if (instant) {
      det->nonfinite += instant_peak_rows (det, src, stride, n, dst,
          level_stride, linked);
      det->ring_stale = true;
    } else {
      int c = 0;
      for (; c + 2 <= nch; c += 2)
        det->nonfinite += follow_channels (det, MST_FORMAT_F64,
            det->set.mode, src, stride, c, 2, n);
      if (c < nch)
        det->nonfinite += follow_channels (det, MST_FORMAT_F64,
            det->set.mode, src, stride, c, 1, n);
      link_to_rows (det, n, power, db, dst, level_stride, linked);
    }
    for (int c = 0; db && c < (linked ? 1 : nch); c++)
      mst_vmath_log (dst + (size_t) c * level_stride,
          power ? 4.342944819032518 : MST_LEVEL_DETECTOR_DB_PER_NEPER,
          dst + (size_t) c * level_stride, n);
    det->ring_pos += n;
    if (det->ring_pos == det->ring_frames) {
      det->ring_pos = 0;
      if (det->set.mode == MST_LEVEL_DETECTOR_RMS_WINDOW)
        resum_windows (det);
    }
    done += n;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MstResult
mst_level_detector_process_planar (MstLevelDetector * det,
    const double *planar, size_t stride, size_t n_frames, double *level_db,
    size_t level_stride, bool *shared)
{
  return process_planar (det, planar, stride, n_frames, level_db,
      level_stride, shared, true);
}

MstResult
mst_level_detector_process_planar_lin (MstLevelDetector * det,
    const double *planar, size_t stride, size_t n_frames, double *level_lin,
    size_t level_stride, bool *shared)
{
  return process_planar (det, planar, stride, n_frames, level_lin,
      level_stride, shared, false);
}
