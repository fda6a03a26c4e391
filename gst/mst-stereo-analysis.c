/* mastering: stereo analysis block. The sums are those of a phase
 * correlation meter; the fold-down loss is the power lost when L and R are
 * summed to mono, which for two channels of equal power P and correlation
 * rho is (2 P + 2 rho P) / (4 P) = (1 + rho) / 2. */
#include "mst-stereo-analysis.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>

/* One stereo frame a step in SSE2 (x86-64's baseline; two lanes, L and
 * R): the squares in one vector, the cross products in another, so the
 * reduction runs on vectors without reassociating a scalar sum (which the
 * compiler may not do); two sets of accumulators keep two frames in
 * flight. Samples are taken as they come; a block whose sums are not
 * finite or with a sample beyond MST_MAX_INPUT (the largest square is
 * kept) goes to the careful scalar path. */
MST_ALWAYS_INLINE bool
stereo_sums_fast (MstStereoSums * s, const void *frames, size_t n_frames,
    MstFormat fmt)
{
  __m128d sq0 = _mm_setzero_pd (), sq1 = _mm_setzero_pd ();
  __m128d cross0 = _mm_setzero_pd (), cross1 = _mm_setzero_pd ();
  __m128d peak0 = _mm_setzero_pd (), peak1 = _mm_setzero_pd ();
  size_t i = 0;
  for (; i + 2 <= n_frames; i += 2) {
    __m128d a, b;
    if (fmt == MST_FORMAT_F64) {
      a = _mm_loadu_pd ((const double *) frames + 2 * i);
      b = _mm_loadu_pd ((const double *) frames + 2 * i + 2);
    } else {
      __m128 f = _mm_loadu_ps ((const float *) frames + 2 * i);
      a = _mm_cvtps_pd (f);
      b = _mm_cvtps_pd (_mm_movehl_ps (f, f));
    }
    __m128d aa = _mm_mul_pd (a, a), bb = _mm_mul_pd (b, b);
    sq0 = _mm_add_pd (sq0, aa);
    sq1 = _mm_add_pd (sq1, bb);
    /* maxpd keeps its second operand when either is NaN: the square. */
    peak0 = _mm_max_pd (peak0, aa);
    peak1 = _mm_max_pd (peak1, bb);
    cross0 = _mm_add_pd (cross0, _mm_mul_pd (a, _mm_shuffle_pd (a, a, 1)));
    cross1 = _mm_add_pd (cross1, _mm_mul_pd (b, _mm_shuffle_pd (b, b, 1)));
  }
  double sq[2], cross[2], peak[2];
  _mm_storeu_pd (sq, _mm_add_pd (sq0, sq1));
  _mm_storeu_pd (cross, _mm_add_pd (cross0, cross1));
  _mm_storeu_pd (peak, _mm_max_pd (peak0, peak1));
  double ll = sq[0], rr = sq[1], lr = cross[0];
  double largest = fmax (peak[0], peak[1]);
  for (; i < n_frames; i++) {
    double l = mst_sample_get (fmt, frames, 2 * i);
    double r = mst_sample_get (fmt, frames, 2 * i + 1);
    ll += l * l;
    rr += r * r;
    lr += l * r;
    largest = fmax (largest, fmax (l * l, r * r));
  }
  if (!(isfinite (ll + rr + lr)
          && largest <= MST_MAX_INPUT * MST_MAX_INPUT))
    return false;
  s->ll += ll;
  s->rr += rr;
  s->lr += lr;
  s->n_frames += n_frames;
  return true;
}
#else
MST_ALWAYS_INLINE bool
stereo_sums_fast (MstStereoSums * s, const void *frames, size_t n_frames,
    MstFormat fmt)
{
  (void) s, (void) frames, (void) n_frames, (void) fmt;
  return false;
}
#endif

MST_ALWAYS_INLINE void
sums_add (MstStereoSums * s, const void *frames, size_t n_frames,
    int n_channels, int left, int right, MstFormat fmt)
{
  if (n_channels == 2 && left == 0 && right == 1
      && stereo_sums_fast (s, frames, n_frames, fmt))
    return;
  /* Three accumulators the compiler keeps in registers. */
  double ll = 0.0, rr = 0.0, lr = 0.0;
  for (size_t i = 0; i < n_frames; i++) {
    double l = mst_sample_get (fmt, frames, i * n_channels + left);
    double r = mst_sample_get (fmt, frames, i * n_channels + right);
    l = fabs (l) <= MST_MAX_INPUT ? l : 0.0;
    r = fabs (r) <= MST_MAX_INPUT ? r : 0.0;
    ll += l * l;
    rr += r * r;
    lr += l * r;
  }
  s->ll += ll;
  s->rr += rr;
  s->lr += lr;
  s->n_frames += n_frames;
}

void
mst_stereo_sums_add (MstStereoSums * s, const void *frames, size_t n_frames,
    int n_channels, int left, int right, MstFormat fmt)
{
  if (fmt == MST_FORMAT_F64)
    sums_add (s, frames, n_frames, n_channels, left, right, MST_FORMAT_F64);
  else
    sums_add (s, frames, n_frames, n_channels, left, right, MST_FORMAT_F32);
}

static double
ratio_db (double num, double den)
{
  if (num <= 0.0 && den <= 0.0)
    return 0.0;
  if (num <= 0.0)
    return -MST_STEREO_MAX_DB;
  if (den <= 0.0)
    return MST_STEREO_MAX_DB;
  return fmax (-MST_STEREO_MAX_DB, fmin (MST_STEREO_MAX_DB,
          10.0 * log10 (num / den)));
}

void
mst_stereo_figures (const MstStereoSums * s, MstStereoFigures * out)
{
  double ll = s->ll, rr = s->rr, lr = s->lr;
  double mid = ll + rr + 2.0 * lr, side = ll + rr - 2.0 * lr;
  memset (out, 0, sizeof *out);
  out->correlation = ll > 0.0 && rr > 0.0 ? lr / sqrt (ll * rr) : 0.0;
  out->correlation = fmax (-1.0, fmin (1.0, out->correlation));
  out->balance_db = ratio_db (rr, ll);
  /* Rounding can leave mid or side a hair below 0. */
  out->side_mid_db = ratio_db (fmax (side, 0.0), fmax (mid, 0.0));
  out->mono_loss_db = ll + rr > 0.0 ? ratio_db (fmax (mid, 0.0),
      2.0 * (ll + rr)) : 0.0;
  out->power_db = s->n_frames && ll + rr > 0.0
      ? fmax (-MST_STEREO_MAX_DB * 2, 10.0 * log10 ((ll + rr) / 2.0
          / (double) s->n_frames)) : -MST_STEREO_MAX_DB * 2;
}

void
mst_stereo_meter_init (MstStereoMeter * m, double rate_hz)
{
  memset (m, 0, sizeof *m);
  /* BS.1770-4 Annex 1: 400 ms blocks, 75 % overlap (100 ms steps). */
  m->hop_frames = (int) fmax (1.0, round (rate_hz * 0.1));
  m->gate_db = MST_STEREO_GATE_DB;
  m->correlation_min = 1.0;
}

/* A hop is complete: the window of the last MST_STEREO_HOPS hops. */
static void
close_hop (MstStereoMeter * m)
{
  m->hops[m->hop_index] = m->hop;
  m->hop_index = (m->hop_index + 1) % MST_STEREO_HOPS;
  mst_stereo_sums_clear (&m->hop);
  if (m->n_hops_filled < MST_STEREO_HOPS)
    m->n_hops_filled++;
  if (m->n_hops_filled < MST_STEREO_HOPS)
    return;
  MstStereoSums window;
  MstStereoFigures f;
  mst_stereo_sums_clear (&window);
  for (int k = 0; k < MST_STEREO_HOPS; k++)
    mst_stereo_sums_merge (&window, &m->hops[k]);
  mst_stereo_figures (&window, &f);
  if (!(f.power_db > m->gate_db))
    return;
  if (m->n_windows == 0 || f.correlation < m->correlation_min) {
    m->correlation_min = f.correlation;
    m->correlation_min_at_s = (double) (m->total.n_frames - window.n_frames)
        / (10.0 * m->hop_frames);
  }
  m->n_windows++;
  m->n_windows_negative += f.correlation < 0.0;
  m->correlation_sum += f.correlation;
}

void
mst_stereo_meter_add (MstStereoMeter * m, const void *frames,
    size_t n_frames, int n_channels, int left, int right, MstFormat fmt)
{
  size_t width = fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float);
  const char *p = (const char *) frames;
  while (n_frames > 0) {
    size_t room = (size_t) m->hop_frames - m->hop.n_frames;
    size_t n = n_frames < room ? n_frames : room;
    MstStereoSums part;
    mst_stereo_sums_clear (&part);
    mst_stereo_sums_add (&part, p, n, n_channels, left, right, fmt);
    mst_stereo_sums_merge (&m->hop, &part);
    mst_stereo_sums_merge (&m->total, &part);
    p += n * n_channels * width;
    n_frames -= n;
    if (m->hop.n_frames == (uint64_t) m->hop_frames)
      close_hop (m);
  }
}

double
mst_stereo_meter_correlation_mean (const MstStereoMeter * m)
{
  return m->n_windows ? m->correlation_sum / (double) m->n_windows : 0.0;
}
