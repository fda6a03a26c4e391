/* mastering: declick core (mst-declick.h).
 *
 * Per channel, hop by hop (about 21 ms), on a frame that adds a context of
 * R frames on both sides: an AR model of the frame (mst-ar.h, Hann
 * window), its forward and backward prediction errors, and their robust
 * scale (the median absolute forward error over 0.6745, a normal
 * distribution's ratio, so 1.4826 times the median). A click raises the
 * forward error from its start to p samples past its end and the backward
 * error from p samples before its start to its end: both are above the
 * threshold only on the click itself, so the smaller of the two localises
 * it. Flagged samples closer than FUSE_MS are one burst; a burst that
 * starts in the hop, widened by DILATE_MS on both sides (a click's edges
 * fall under the threshold), no longer than max-click-length, has its
 * samples replaced by least-squares AR interpolation. The other samples
 * are never written: they come out bit for bit.
 *
 * The streaming is the hop ring's (mst-hopring.h): the latency is the hop,
 * the context and the widening, so a frame leaves only after every hop
 * that could repair it. */
#include "mst-declick.h"
#include "mst-ar.h"
#include "mst-hopring.h"
#include "mst-select.h"

#include <stdlib.h>
#include <string.h>

/* Bursts of flagged samples this close are one click (ms). */
#define FUSE_MS 0.2
/* A click's edges, under the threshold, are repaired with it (ms). */
#define DILATE_MS 0.05
/* The hop between analyses (ms). */
#define HOP_MS 21.3
/* Robust scale of a normal distribution: sigma = MAD / 0.6745 (the
 * normal's third quartile, Phi^-1 (0.75) = 0.6745). */
#define MAD_TO_SIGMA 1.4826
/* A scale floor (linear, -160 dBFS): digital silence has no scale. */
#define SIGMA_FLOOR 1e-8
/* The local scale: segments of SEGMENT_MS, the median of LOCAL_SEGMENTS
 * of them (18 ms: a click of MST_DECLICK_MAX_CLICK_MS covers at most 4 of
 * the 9). */
#define SEGMENT_MS 2.0
#define LOCAL_SEGMENTS 9
/* The onset of a sound: the segments after a burst this many times above
 * those before it. */
#define ONSET_SEGMENTS 2
#define ONSET_RATIO 3.0

struct MstDeclick {
  int max_channels;
  int channels;
  double rate_hz;
  MstDeclickSettings set;
  double threshold_sigma;
  size_t click_frames;          /* from max_click_ms */

  int order;
  size_t hop, ctx, fuse, dilate, cmax, segment;  /* frames */
  size_t n_work;                /* ctx + hop + ctx */
  size_t alloc_work;

  MstHopRing *ring;
  double *ef, *eb, *mag, *window, *est;
  double *seg_med, *seg_thr;    /* [segments of the work] */
  size_t *idx;
  MstArInterp *interp;

  uint64_t clicks[MST_MAX_CHANNELS];
  uint64_t repaired;
};

void
mst_declick_settings_default (MstDeclickSettings * s)
{
  s->sensitivity = 4.0;
  s->max_click_ms = 3.0;
  s->listen = false;
  s->bypass = false;
}

static size_t
ms_frames (double rate_hz, double ms)
{
  return (size_t) lround (rate_hz * ms / 1000.0);
}

MstDeclick *
mst_declick_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDeclick *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  d->max_channels = max_channels;
  d->ring = mst_hopring_init (max_channels);
  if (!d->ring) {
    free (d);
    return NULL;
  }
  mst_declick_settings_default (&d->set);
  d->threshold_sigma = MST_DECLICK_THRESHOLD_SCALE / d->set.sensitivity;
  return d;
}

static void
free_buffers (MstDeclick * d)
{
  free (d->ef);
  free (d->eb);
  free (d->mag);
  free (d->window);
  free (d->est);
  free (d->idx);
  free (d->seg_med);
  free (d->seg_thr);
  mst_ar_interp_destroy (&d->interp);
  d->ef = d->eb = d->mag = d->window = d->est = d->seg_med = d->seg_thr =
      NULL;
  d->idx = NULL;
  d->alloc_work = 0;
}

void
mst_declick_destroy (MstDeclick ** d)
{
  if (!d || !*d)
    return;
  free_buffers (*d);
  mst_hopring_destroy (&(*d)->ring);
  free (*d);
  *d = NULL;
}

void
mst_declick_reset (MstDeclick * d)
{
  if (!d)
    return;
  mst_hopring_reset (d->ring);
  memset (d->clicks, 0, sizeof d->clicks);
  d->repaired = 0;
}

MstResult
mst_declick_configure (MstDeclick * d, double rate_hz, int channels)
{
  if (!d || channels < 1 || channels > d->max_channels
      || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return MST_ERR_INVALID_ARG;
  d->rate_hz = rate_hz;
  d->channels = channels;
  d->order = mst_ar_order_for_rate (rate_hz);
  d->hop = ms_frames (rate_hz, HOP_MS);
  d->fuse = ms_frames (rate_hz, FUSE_MS);
  d->dilate = ms_frames (rate_hz, DILATE_MS) + 1;
  d->segment = ms_frames (rate_hz, SEGMENT_MS);
  d->cmax = ms_frames (rate_hz, MST_DECLICK_MAX_CLICK_MS);
  /* The scan reaches cmax + fuse past the hop, its backward error p more;
   * a repair reaches p past its end and p before its start. */
  d->ctx = d->cmax + d->fuse + d->dilate + (size_t) d->order + 1;
  d->n_work = d->ctx + d->hop + d->ctx;
  MstResult res = mst_hopring_configure (d->ring, channels, d->hop, d->ctx,
      d->dilate);
  if (res != MST_OK)
    return res;
  if (d->n_work > d->alloc_work) {
    free_buffers (d);
    size_t n = d->n_work;
    d->ef = malloc (n * sizeof (double));
    d->eb = malloc (n * sizeof (double));
    d->mag = malloc (n * sizeof (double));
    d->window = malloc (n * sizeof (double));
    d->est = malloc ((n + MST_AR_MAX_ORDER) * sizeof (double));
    d->idx = malloc (d->cmax * sizeof (size_t));
    d->seg_med = malloc (n * sizeof (double));
    d->seg_thr = malloc (n * sizeof (double));
    d->interp = mst_ar_interp_init (MST_AR_MAX_ORDER, d->cmax, d->cmax);
    if (!d->ef || !d->eb || !d->mag || !d->window || !d->est || !d->idx
        || !d->interp || !d->seg_med || !d->seg_thr) {
      free_buffers (d);
      return MST_ERR_NOMEM;
    }
    d->alloc_work = n;
  }
  for (size_t i = 0; i < d->n_work; i++)
    d->window[i] = 0.5 - 0.5 * cos (2.0 * M_PI * (i + 0.5) / d->n_work);
  d->click_frames = ms_frames (rate_hz, d->set.max_click_ms);
  mst_hopring_set_output (d->ring, d->set.bypass, d->set.listen);
  mst_declick_reset (d);
  return MST_OK;
}

MstResult
mst_declick_set (MstDeclick * d, const MstDeclickSettings * s)
{
  if (!d || !s)
    return MST_ERR_INVALID_ARG;
  if (!(s->sensitivity >= MST_DECLICK_MIN_SENSITIVITY
          && s->sensitivity <= MST_DECLICK_MAX_SENSITIVITY)
      || !(s->max_click_ms >= MST_DECLICK_MIN_CLICK_MS
          && s->max_click_ms <= MST_DECLICK_MAX_CLICK_MS))
    return MST_ERR_INVALID_ARG;
  d->set = *s;
  mst_hopring_set_output (d->ring, s->bypass, s->listen);
  d->threshold_sigma = MST_DECLICK_THRESHOLD_SCALE / s->sensitivity;
  if (d->rate_hz > 0) {
    d->click_frames = ms_frames (d->rate_hz, s->max_click_ms);
    if (d->click_frames > d->cmax)
      d->click_frames = d->cmax;
    if (d->click_frames < 1)
      d->click_frames = 1;
  }
  return MST_OK;
}

uint64_t
mst_declick_get_click_count (const MstDeclick * d, int channel)
{
  if (!d)
    return 0;
  if (channel >= 0)
    return channel < d->channels ? d->clicks[channel] : 0;
  uint64_t n = 0;
  for (int c = 0; c < d->channels; c++)
    n += d->clicks[c];
  return n;
}

uint64_t
mst_declick_get_repaired_samples (const MstDeclick * d)
{
  return d ? d->repaired : 0;
}

/* Repairs work[s .. e] (work coordinates) of channel @c, whose work[0] is
 * frame @t0, with the model @a. */
static bool
repair (MstDeclick * d, int c, int64_t t0, double *work, const double *a,
    size_t s, size_t e, bool commit)
{
  const size_t m = e - s + 1;
  for (size_t i = 0; i < m; i++)
    d->idx[i] = s + i;
  /* A failed solve leaves work untouched (mst_ar_interpolate). */
  if (mst_ar_interpolate (d->interp, a, d->order, work, d->idx, m)
      != MST_OK)
    return false;
  if (!commit)
    return true;
  mst_hopring_commit (d->ring, c, t0, work, s, e);
  d->clicks[c]++;
  d->repaired += m;
  return true;
}

/* Whether the burst work[s .. e] is the onset of a sound rather than a
 * click: the statistic's level in the ONSET_SEGMENTS segments after it is
 * ONSET_RATIO times that before it (a click leaves the music as it found
 * it; a drum hit starts louder music). */
static bool
is_onset (const MstDeclick * d, size_t s, size_t e, size_t n_seg)
{
  const size_t p = (size_t) d->order, S = d->segment;
  const size_t ks = (s - p) / S, ke = (e - p) / S;
  double before = 0.0, after = 0.0;
  for (size_t k = ks >= ONSET_SEGMENTS ? ks - ONSET_SEGMENTS : 0; k < ks; k++)
    before = fmax (before, d->seg_med[k]);
  for (size_t k = ke + 1; k <= ke + ONSET_SEGMENTS && k < n_seg; k++)
    after = fmax (after, d->seg_med[k]);
  return after > ONSET_RATIO * before;
}

/* Finds the clicks that start in the hop of the work (frame @t0 at
 * work[0]) with the model @a and repairs them in the work (and with
 * @commit, in channel @c's ring); returns how many. */
static size_t
detect_and_repair (MstDeclick * d, int c, int64_t t0, double *work,
    const double *a, bool commit)
{
  const size_t p = (size_t) d->order, A = d->ctx, H = d->hop;
  const size_t n = d->n_work;
  size_t found = 0;
  double *stat = d->eb;
  mst_ar_error_forward (a, d->order, work + p, n - p, d->ef + p);
  mst_ar_error_backward (a, d->order, work, n - p, d->eb);
  /* The smaller of the two errors (written over the backward one). */
  for (size_t j = p; j < n - p; j++)
    stat[j] = fmin (fabs (d->ef[j]), fabs (d->eb[j]));
  /* The local scale: the median of the statistic in each segment, then
   * the median of LOCAL_SEGMENTS segments around each: a click (shorter
   * than half of them) does not move it, the onset of a noisy sound (a
   * hi-hat, a snare: louder for longer) does. */
  const size_t S = d->segment, n_seg = (n - 2 * p) / S;
  for (size_t k = 0; k < n_seg; k++) {
    memcpy (d->mag, stat + p + k * S, S * sizeof (double));
    d->seg_med[k] = mst_select_kth (d->mag, S, S / 2);
  }
  for (size_t k = 0; k < n_seg; k++) {
    const size_t half = LOCAL_SEGMENTS / 2;
    size_t k0 = k > half ? k - half : 0, k1 = k + half + 1;
    if (k1 > n_seg)
      k1 = n_seg;
    double v[LOCAL_SEGMENTS];
    for (size_t i = k0; i < k1; i++)
      v[i - k0] = d->seg_med[i];
    double sigma = MAD_TO_SIGMA * mst_select_kth (v, k1 - k0, (k1 - k0) / 2);
    if (!(sigma >= SIGMA_FLOOR))
      sigma = SIGMA_FLOOR;
    d->seg_thr[k] = d->threshold_sigma * sigma;
  }

  /* Bursts: flagged samples fused over gaps up to fuse frames. A burst
   * that starts before the hop was the previous hop's; one still open at
   * the end of the scan is longer than any click. */
  const size_t scan0 = A - d->fuse - 1, scan1 = A + H + d->cmax + d->fuse;
  bool open = false;
  size_t s = 0, last = 0;
  for (size_t j = scan0; j < scan1; j++) {
    size_t k = (j - p) / S;
    if (k >= n_seg)
      k = n_seg - 1;
    if (!(stat[j] > d->seg_thr[k]))
      continue;
    if (open && j - last <= d->fuse + 1) {
      last = j;
      continue;
    }
    if (open && s >= A && s < A + H) {
      const size_t rs = s - d->dilate, re = last + d->dilate;
      if (re - rs + 1 <= d->click_frames && !is_onset (d, rs, re, n_seg))
        found += repair (d, c, t0, work, a, rs, re, commit);
    }
    open = true;
    s = last = j;
  }
  if (open && last + d->fuse + 1 < scan1 && s >= A && s < A + H) {
    const size_t rs = s - d->dilate, re = last + d->dilate;
    if (re - rs + 1 <= d->click_frames && !is_onset (d, rs, re, n_seg))
      found += repair (d, c, t0, work, a, rs, re, commit);
  }
  return found;
}

/* The hop of frames @t .. t + hop - 1 of channel @c, in two passes: the
 * first model is estimated with the clicks in the frame (they whiten it
 * at high frequencies, hiding their own tails); the second, estimated
 * once the first pass has repaired them, finds and repairs them again
 * from the input. */
static void
analyse_hop (void *user, MstHopRing * ring, int c, int64_t t0, double *work,
    size_t n)
{
  MstDeclick *d = user;
  double a[MST_AR_MAX_ORDER + 1];

  if (!mst_ar_estimate (work, n, d->window, d->order, d->est, a, NULL))
    return;
  if (detect_and_repair (d, c, t0, work, a, false) == 0)
    return;
  if (!mst_ar_estimate (work, n, d->window, d->order, d->est, a, NULL))
    return;
  mst_hopring_load (ring, c, t0, work);
  detect_and_repair (d, c, t0, work, a, true);
}

/* The ring is reset at a drain; the counts stay for the final message. */
MST_HOPRING_DEFINE_PROCESS (mst_declick, MstDeclick, analyse_hop)
MST_HOPRING_DEFINE_ACCESSORS (mst_declick, MstDeclick)
