/* mastering: declip core (mst-declip.h).
 *
 * Per channel, hop by hop on the hop ring (mst-hopring.h): the clipped
 * samples are found in the input (the running peak of each sign and the
 * threshold under it, or the auto level), the samples of the hop and the
 * rest of a run that crosses its end are the unknowns, and the bounded
 * LSAR interpolation (mst-ar.h) puts each at or beyond its clipped value,
 * with its sign, from a model of the frame. The model is estimated twice
 * (Janssen, Veldhuis and Vries 1986, iterated): once on the frame as it
 * comes (the clipped plateaus whiten it a little), once on the frame with
 * the first reconstruction. Frames before the hop hold the previous hop's
 * reconstruction, so the runs join smoothly; only the hop's samples are
 * committed, the part of a run past it being solved again with the next
 * hop. Unclipped samples are never written. */
#include "mst-declip.h"
#include "mst-ar.h"
#include "mst-hopring.h"

#include <stdlib.h>
#include <string.h>

/* The hop between analyses and the context on each side (ms). */
#define HOP_MS 21.3
#define CONTEXT_MS 10.0
/* The auto level: within this fraction of the running peak (float
 * clippers write the level itself; 1e-6 is 0.00001 dB). */
#define AUTO_TOLERANCE 1e-6
/* Model passes: the second on the first reconstruction. */
#define MODEL_PASSES 2

struct MstDeclip {
  int max_channels, channels;
  double rate_hz;
  MstDeclipSettings set;
  double threshold_lin;

  int order;
  size_t hop, ctx, n_work, alloc_work;
  MstHopRing *ring;
  double *in, *window, *est, *bound;
  size_t *idx;
  MstArInterp *interp;

  double peak_pos[MST_MAX_CHANNELS], peak_neg[MST_MAX_CHANNELS];
  bool runs_pos[MST_MAX_CHANNELS], runs_neg[MST_MAX_CHANNELS];
  uint64_t clipped[MST_MAX_CHANNELS];
};

void
mst_declip_settings_default (MstDeclipSettings * s)
{
  s->auto_level = true;
  s->threshold_db = -0.1;
  s->listen = false;
  s->bypass = false;
}

MstDeclip *
mst_declip_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDeclip *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  d->max_channels = max_channels;
  d->ring = mst_hopring_init (max_channels);
  if (!d->ring) {
    free (d);
    return NULL;
  }
  mst_declip_settings_default (&d->set);
  d->threshold_lin = mst_db_to_lin (d->set.threshold_db);
  return d;
}

static void
free_buffers (MstDeclip * d)
{
  free (d->in);
  free (d->window);
  free (d->est);
  free (d->bound);
  free (d->idx);
  mst_ar_interp_destroy (&d->interp);
  d->in = d->window = d->est = d->bound = NULL;
  d->idx = NULL;
  d->alloc_work = 0;
}

void
mst_declip_destroy (MstDeclip ** d)
{
  if (!d || !*d)
    return;
  free_buffers (*d);
  mst_hopring_destroy (&(*d)->ring);
  free (*d);
  *d = NULL;
}

void
mst_declip_reset (MstDeclip * d)
{
  if (!d)
    return;
  mst_hopring_reset (d->ring);
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    d->peak_pos[c] = d->peak_neg[c] = 0.0;
    d->runs_pos[c] = d->runs_neg[c] = false;
    d->clipped[c] = 0;
  }
}

MstResult
mst_declip_configure (MstDeclip * d, double rate_hz, int channels)
{
  if (!d || channels < 1 || channels > d->max_channels
      || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return MST_ERR_INVALID_ARG;
  d->rate_hz = rate_hz;
  d->channels = channels;
  /* Twice the declicker's order: clipped runs are longer gaps than clicks,
   * and bench.py's declip group measured SDR 19.1, 20.9 and 22.6 dB at
   * orders 32, 48 and 64 on its music 6 dB over (test-declip-core's
   * bass-heavy programme: within 0.5 dB of each other). */
  d->order = 2 * mst_ar_order_for_rate (rate_hz);
  if (d->order > MST_AR_MAX_ORDER)
    d->order = MST_AR_MAX_ORDER;
  d->hop = (size_t) lround (rate_hz * HOP_MS / 1000.0);
  d->ctx = (size_t) lround (rate_hz * CONTEXT_MS / 1000.0) + d->order;
  d->n_work = d->ctx + d->hop + d->ctx;
  MstResult res = mst_hopring_configure (d->ring, channels, d->hop, d->ctx,
      0);
  if (res != MST_OK)
    return res;
  if (d->n_work > d->alloc_work) {
    free_buffers (d);
    size_t n = d->n_work;
    d->in = malloc (n * sizeof (double));
    d->window = malloc (n * sizeof (double));
    d->est = malloc ((n + MST_AR_MAX_ORDER) * sizeof (double));
    d->bound = malloc (n * sizeof (double));
    d->idx = malloc (n * sizeof (size_t));
    d->interp = mst_ar_interp_init (MST_AR_MAX_ORDER, n, n);
    if (!d->in || !d->window || !d->est || !d->bound || !d->idx
        || !d->interp) {
      free_buffers (d);
      return MST_ERR_NOMEM;
    }
    d->alloc_work = n;
  }
  for (size_t i = 0; i < d->n_work; i++)
    d->window[i] = 0.5 - 0.5 * cos (2.0 * M_PI * (i + 0.5) / d->n_work);
  mst_hopring_set_output (d->ring, d->set.bypass, d->set.listen);
  mst_declip_reset (d);
  return MST_OK;
}

MstResult
mst_declip_set (MstDeclip * d, const MstDeclipSettings * s)
{
  if (!d || !s || !(s->threshold_db >= MST_DECLIP_MIN_THRESHOLD_DB
          && s->threshold_db <= MST_DECLIP_MAX_THRESHOLD_DB))
    return MST_ERR_INVALID_ARG;
  d->set = *s;
  d->threshold_lin = mst_db_to_lin (s->threshold_db);
  mst_hopring_set_output (d->ring, s->bypass, s->listen);
  return MST_OK;
}

size_t
mst_declip_get_latency (const MstDeclip * d)
{
  return d ? mst_hopring_get_latency (d->ring) : 0;
}

size_t
mst_declip_get_pending (const MstDeclip * d)
{
  return d ? mst_hopring_get_pending (d->ring) : 0;
}

uint64_t
mst_declip_get_nonfinite_count (const MstDeclip * d)
{
  return d ? mst_hopring_get_nonfinite_count (d->ring) : 0;
}

uint64_t
mst_declip_get_clipped_count (const MstDeclip * d, int channel)
{
  uint64_t n = 0;
  for (int c = 0; d && c < d->channels; c++)
    if (channel < 0 || channel == c)
      n += d->clipped[c];
  return n;
}

/* Whether @x holds two neighbours at or beyond @level (on its side). */
static bool
has_run (const double *x, size_t n, double level)
{
  for (size_t j = 1; j < n; j++)
    if (level > 0 ? x[j] >= level && x[j - 1] >= level
        : x[j] <= level && x[j - 1] <= level)
      return true;
  return false;
}

/* The clip levels of channel @c for its input frame d->in: +-INFINITY
 * where nothing is clipped. */
static void
clip_levels (MstDeclip * d, int c, double *pos, double *neg)
{
  double hi = d->peak_pos[c], lo = d->peak_neg[c];
  for (size_t j = 0; j < d->n_work; j++) {
    hi = fmax (hi, d->in[j]);
    lo = fmin (lo, d->in[j]);
  }
  /* A new peak: the runs seen at the old one were not at the clip level. */
  if (hi > d->peak_pos[c] * (1.0 + AUTO_TOLERANCE))
    d->runs_pos[c] = false;
  if (lo < d->peak_neg[c] * (1.0 + AUTO_TOLERANCE))
    d->runs_neg[c] = false;
  d->peak_pos[c] = hi;
  d->peak_neg[c] = lo;
  *pos = INFINITY;
  *neg = -INFINITY;
  if (!d->set.auto_level) {
    if (hi > 0.0)
      *pos = hi * d->threshold_lin;
    if (lo < 0.0)
      *neg = lo * d->threshold_lin;
    return;
  }
  const double lp = hi * (1.0 - AUTO_TOLERANCE), ln = lo * (1.0 - AUTO_TOLERANCE);
  if (hi > 0.0 && !d->runs_pos[c])
    d->runs_pos[c] = has_run (d->in, d->n_work, lp);
  if (lo < 0.0 && !d->runs_neg[c])
    d->runs_neg[c] = has_run (d->in, d->n_work, ln);
  if (d->runs_pos[c])
    *pos = lp;
  if (d->runs_neg[c])
    *neg = ln;
}

static void
analyse_hop (void *user, MstHopRing * ring, int c, int64_t t0, double *work,
    size_t n)
{
  MstDeclip *d = user;
  const size_t p = (size_t) d->order, A = d->ctx, H = d->hop;
  double a[MST_AR_MAX_ORDER + 1], pos, neg;

  /* The first hop of a stream (after a reset or a drain): its own peaks. */
  if (t0 + (int64_t) A == 0) {
    d->peak_pos[c] = d->peak_neg[c] = 0.0;
    d->runs_pos[c] = d->runs_neg[c] = false;
  }
  mst_hopring_load_input (ring, c, t0, d->in);
  clip_levels (d, c, &pos, &neg);
  if (isinf (pos) && isinf (neg))
    return;
  /* The unknowns: the hop's clipped samples, and the rest of a run that
   * crosses its end (within the context, p known samples kept after). */
  size_t m = 0, in_hop = 0;
  for (size_t j = A; j < n - p; j++) {
    const bool clipped = d->in[j] >= pos || d->in[j] <= neg;
    if (j >= A + H && !clipped)
      break;
    if (!clipped)
      continue;
    d->idx[m] = j;
    d->bound[m] = d->in[j];
    m++;
    in_hop += j < A + H;
  }
  if (in_hop == 0)
    return;
  for (int pass = 0; pass < MODEL_PASSES; pass++) {
    if (!mst_ar_estimate (work, n, d->window, d->order, d->est, a, NULL))
      return;
    if (mst_ar_interpolate_bounded (d->interp, a, d->order, work, d->idx, m,
            d->bound, NULL) != MST_OK)
      return;
  }
  size_t last = 0;
  for (size_t i = 0; i < m && d->idx[i] < A + H; i++)
    last = d->idx[i];
  mst_hopring_commit (ring, c, t0, work, d->idx[0], last);
  d->clipped[c] += in_hop;
}

/* The ring is reset at a drain; the counts stay for the final message. */
MST_HOPRING_DEFINE_PROCESS (mst_declip, MstDeclip, analyse_hop)
