/* mastering: echo delay core. Two lines (left, right) read at the delay
 * time through mst-tapline (a change of time crossfades from the old tap
 * to the new one: no pitch sweep, no click), the echoes fed back through a
 * low-cut and a high-cut (Butterworth, 12 dB/octave, mst-filter designs run
 * by mst-biquad) and the feedback gain. Ping-pong feeds the mono sum into
 * the left line and each line into the other, so the echoes alternate;
 * switching it glides the routing. The first echo is the input itself,
 * unfiltered; each later one went through the filters once more.
 *
 * The loop runs in blocks no longer than the delay (a block is read before
 * it is written). */
#include "mst-delay.h"

#include <stdlib.h>
#include <string.h>

#include "mst-biquad.h"
#include "mst-filter.h"
#include "mst-fpu.h"
#include "mst-smoother.h"
#include "mst-tail.h"
#include "mst-tapline.h"

#define BLOCK 64
#define SNAP 1e-9
/* Cut frequencies under this are off (the glide from 0 passes designs
 * that are the identity to within 1e-5). */
#define LOW_CUT_OFF_HZ 0.01

typedef struct {
  double feedback, mix, ping_pong, low_cut, high_cut;
} Params;

struct MstDelay {
  MstDelaySettings settings;
  double rate;
  int in_channels;
  bool configured;
  Params target, cur;
  double glide_tau_frames;
  MstTapLine line[2];
  MstBiquadCascade filt;
  bool filters_off;             /* both sections the identity */
  size_t frames;
  MstTail tail;
  uint64_t nonfinite;
  double dry[2][BLOCK], echo[2][BLOCK], fb[2][BLOCK], ramp[2 * BLOCK];
};

void
mst_delay_settings_default (MstDelaySettings * s)
{
  s->time_ms = 375.0;
  s->note = MST_DELAY_NOTE_OFF;
  s->bpm = 120.0;
  s->feedback_pct = 40.0;
  s->ping_pong = false;
  s->low_cut_hz = 0.0;
  s->high_cut_hz = MST_DELAY_MAX_HIGH_CUT_HZ;
  s->mix_pct = 30.0;
  s->tail = true;
  s->bypass = false;
}

double
mst_delay_time_ms (const MstDelaySettings * s)
{
  if (s->note == MST_DELAY_NOTE_OFF)
    return s->time_ms;
  int k = s->note - MST_DELAY_NOTE_1_1;
  /* A whole note is four beats; halved at each step of the value. */
  double ms = 4.0 * 60000.0 / s->bpm / (double) (1 << (k / 3));
  static const double kind[3] = { 1.0, 1.5, 2.0 / 3.0 };
  ms *= kind[k % 3];
  return fmin (ms, MST_DELAY_MAX_TIME_MS);
}

MstDelay *
mst_delay_init (void)
{
  MstDelay *d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  mst_delay_settings_default (&d->settings);
  d->in_channels = 2;
  return d;
}

static void
free_lines (MstDelay * d)
{
  for (int c = 0; c < 2; c++)
    mst_tapline_free (&d->line[c]);
  d->configured = false;
}

void
mst_delay_destroy (MstDelay ** d)
{
  if (!d || !*d)
    return;
  free_lines (*d);
  free (*d);
  *d = NULL;
}

static size_t
time_frames (const MstDelay * d)
{
  return (size_t) lround (mst_delay_time_ms (&d->settings) * 1e-3 * d->rate);
}

MstResult
mst_delay_configure (MstDelay * d, double rate_hz, int in_channels)
{
  if (!d || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || (in_channels != 1 && in_channels != 2))
    return MST_ERR_INVALID_ARG;
  free_lines (d);
  d->rate = rate_hz;
  d->in_channels = in_channels;
  size_t max = (size_t) ceil (MST_DELAY_MAX_TIME_MS * 1e-3 * rate_hz);
  for (int c = 0; c < 2; c++)
    if (mst_tapline_alloc (&d->line[c], max, BLOCK, MST_DELAY_FADE_MS *
            1e-3 * rate_hz) != MST_OK) {
      free_lines (d);
      return MST_ERR_NOMEM;
    }
  d->glide_tau_frames = MST_DELAY_SMOOTHING_MS * 1e-3 * rate_hz;
  d->configured = true;
  d->nonfinite = 0;
  mst_delay_reset (d);
  return MST_OK;
}

static void
targets_from_settings (MstDelay * d)
{
  const MstDelaySettings *s = &d->settings;
  d->target = (Params) {
  s->feedback_pct / 100.0, s->bypass ? 0.0 : s->mix_pct / 100.0,
        s->ping_pong ? 1.0 : 0.0, s->low_cut_hz, s->high_cut_hz};
}

MstResult
mst_delay_set (MstDelay * d, const MstDelaySettings * s)
{
#define IN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))
  if (!d || !s || !IN (s->time_ms, MST_DELAY_MIN_TIME_MS,
          MST_DELAY_MAX_TIME_MS) || (unsigned) s->note >= MST_DELAY_N_NOTES
      || !IN (s->bpm, MST_DELAY_MIN_BPM, MST_DELAY_MAX_BPM)
      || !IN (s->feedback_pct, 0.0, MST_DELAY_MAX_FEEDBACK_PCT)
      || !IN (s->low_cut_hz, 0.0, MST_DELAY_MAX_LOW_CUT_HZ)
      || !IN (s->high_cut_hz, MST_DELAY_MIN_HIGH_CUT_HZ,
          MST_DELAY_MAX_HIGH_CUT_HZ) || !IN (s->mix_pct, 0.0, 100.0))
    return MST_ERR_INVALID_ARG;
#undef IN
  d->settings = *s;
  targets_from_settings (d);
  if (d->configured) {
    d->frames = time_frames (d);
    for (int c = 0; c < 2; c++)
      mst_tapline_set_delay (&d->line[c], d->frames);
  }
  return MST_OK;
}

/* The feedback filters for the current cut frequencies: always two
 * sections (the identity when off), so a glide ramps like with like. */
static void
design_filters (MstDelay * d)
{
  static const MstBiquad identity = { 1, 0, 0, 0, 0 };
  MstFilterParams lo = { MST_FILTER_LOW_CUT, d->cur.low_cut, 0, M_SQRT1_2,
    12
  };
  MstFilterParams hi = { MST_FILTER_HIGH_CUT, d->cur.high_cut, 0, M_SQRT1_2,
    12
  };
  int n;
  d->filt.n_sections = 2;
  if (d->cur.low_cut < LOW_CUT_OFF_HZ)
    d->filt.coefs[0] = identity;
  else
    mst_filter_design (&lo, d->rate, &d->filt.coefs[0], &n);
  bool hi_off = d->cur.high_cut >= MST_DELAY_MAX_HIGH_CUT_HZ
      || d->cur.high_cut >= 0.45 * d->rate;
  if (hi_off)
    d->filt.coefs[1] = identity;
  else
    mst_filter_design (&hi, d->rate, &d->filt.coefs[1], &n);
  d->filters_off = hi_off && d->cur.low_cut < LOW_CUT_OFF_HZ;
}

void
mst_delay_reset (MstDelay * d)
{
  if (!d || !d->configured)
    return;
  targets_from_settings (d);
  d->cur = d->target;
  d->frames = time_frames (d);
  for (int c = 0; c < 2; c++) {
    d->line[c].wanted = d->frames;
    mst_tapline_reset (&d->line[c]);
  }
  design_filters (d);
  mst_biquad_cascade_reset (&d->filt);
  d->tail.active = false;
}

bool
mst_delay_is_passthrough (const MstDelay * d)
{
  return d->in_channels == 2 && d->settings.bypass && d->cur.mix == 0.0;
}

size_t
mst_delay_get_frames (const MstDelay * d)
{
  return d->frames;
}

static bool
glide (MstDelay * d, size_t n)
{
  double coef = 1.0 - exp (-(double) n / d->glide_tau_frames);
  bool cuts = false;
  double *v = (double *) &d->cur, *t = (double *) &d->target;
  for (size_t k = 0; k < sizeof (Params) / sizeof (double); k++) {
    bool m = mst_smoother_one_pole_step (&v[k], t[k], coef,
        SNAP * fmax (1.0, fabs (t[k])));
    if (&v[k] == &d->cur.low_cut || &v[k] == &d->cur.high_cut)
      cuts = cuts || m;
  }
  return cuts;
}

MST_ALWAYS_INLINE double
delay_run (MstDelay * d, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  static const int chans[2] = { 0, 1 };
  int ch = d->in_channels;
  double written_peak = 0;
  for (size_t done = 0; done < n_frames;) {
    size_t n = BLOCK;
    for (int c = 0; c < 2; c++) {
      size_t m = mst_tapline_max_block (&d->line[c]);
      n = m < n ? m : n;
    }
    n = n < n_frames - done ? n : n_frames - done;
    if (in) {
      const char *src = (const char *) in + done * ch *
          (fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float));
      /* Samples not finite or beyond MST_MAX_INPUT read as silence, the
       * others kept (the lines remember them). */
      bool bad = !mst_input_sane (src, n * ch, fmt);
      d->nonfinite += bad;
      for (size_t t = 0; t < n; t++) {
        double l = mst_sample_get (fmt, src, t * ch);
        double r = mst_sample_get (fmt, src, t * ch + ch - 1);
        d->dry[0][t] = bad && !(fabs (l) <= MST_MAX_INPUT) ? 0.0 : l;
        d->dry[1][t] = bad && !(fabs (r) <= MST_MAX_INPUT) ? 0.0 : r;
      }
    } else
      memset (d->dry, 0, sizeof d->dry);
    Params p0 = d->cur;
    MstBiquad from[2] = { d->filt.coefs[0], d->filt.coefs[1] };
    bool cuts = glide (d, n);
    if (cuts)
      design_filters (d);
    for (int c = 0; c < 2; c++) {
      mst_tapline_read (&d->line[c], d->echo[c], n, 0, d->ramp);
      memcpy (d->fb[c], d->echo[c], n * sizeof (double));
    }
    /* Off and settled: the identity, not run. Its stale history is read
     * only by the first two frames of the glide that turns a filter back
     * on, whose coefficients start at the identity's (weights of the
     * history 0 there, a 64th of the step after one frame). */
    if (cuts || !d->filters_off)
      mst_biquad_cascade_run (&d->filt, chans, 2, &d->fb[0][0], BLOCK,
          cuts ? from : NULL, (int) n);
    double dfb = (d->cur.feedback - p0.feedback) / n;
    double dpp = (d->cur.ping_pong - p0.ping_pong) / n;
    double dm = (d->cur.mix - p0.mix) / n;
    for (size_t t = 0; t < n; t++) {
      double g = p0.feedback + dfb * (t + 1);
      double p = p0.ping_pong + dpp * (t + 1);
      double l = d->dry[0][t], r = d->dry[1][t];
      double fl = g * d->fb[0][t], fr = g * d->fb[1][t];
      /* Straight: each line its own; ping-pong: the mono sum into the
       * left, each line into the other. */
      double wl = (1 - p) * (l + fl) + p * (0.5 * (l + r) + fr);
      double wr = (1 - p) * (r + fr) + p * fl;
      d->fb[0][t] = wl;
      d->fb[1][t] = wr;
      written_peak = fmax (written_peak, fmax (fabs (wl), fabs (wr)));
      double m = p0.mix + dm * (t + 1);
      /* At mix 0 exactly the dry sample. */
      mst_sample_put (fmt, out, 2 * (done + t), l + m * (d->echo[0][t] - l));
      mst_sample_put (fmt, out, 2 * (done + t) + 1, r + m * (d->echo[1][t]
              - r));
    }
    for (int c = 0; c < 2; c++)
      mst_tapline_write (&d->line[c], d->fb[c], n);
    done += n;
  }
  return written_peak;
}

MST_ALWAYS_INLINE MstResult
delay_process (MstDelay * d, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  if (!d || !d->configured || (!out && n_frames))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  d->tail.active = false;
  delay_run (d, in, n_frames, out, fmt);
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_TO (mst_delay_process, MstDelay, void, delay_process)

static size_t
longest_tap (const MstDelay * d)
{
  size_t a = mst_tapline_longest (&d->line[0]);
  size_t b = mst_tapline_longest (&d->line[1]);
  return a > b ? a : b;
}

static double
run_silence_f32 (void *core, void *out, size_t n)
{
  return delay_run (core, NULL, n, out, MST_FORMAT_F32);
}

static double
run_silence_f64 (void *core, void *out, size_t n)
{
  return delay_run (core, NULL, n, out, MST_FORMAT_F64);
}

static MstResult
delay_drain (MstDelay * d, void *out, size_t max_frames, size_t *n_out,
    MstFormat fmt)
{
  if (!d || !d->configured || !n_out || (!out && max_frames))
    return MST_ERR_INVALID_ARG;
  if (!d->tail.active) {
    /* The echo of the last input, and 2 x the echoes' RT60 (a repeat
     * every tap frames, each fb times the last). The level a window is
     * judged by is what the lines took in: all that is left to come out
     * (the taps read it unfiltered). */
    size_t tap = longest_tap (d);
    double fb = fmax (d->cur.feedback, d->target.feedback);
    bool wet = d->settings.tail && (d->cur.mix > 0.0 || d->target.mix > 0.0);
    mst_tail_begin (&d->tail, wet ? tap + (fb > 0 ? (uint64_t) ceil (2.0 *
                3.0 * tap / -log10 (fb)) : 0) : 0, 0);
  }
  bool f64 = fmt == MST_FORMAT_F64;
  *n_out = mst_tail_run (&d->tail, f64 ? run_silence_f64 : run_silence_f32,
      d, out, 2 * (f64 ? sizeof (double) : sizeof (float)), max_frames,
      BLOCK, longest_tap (d), pow (10.0, MST_DELAY_TAIL_FLOOR_DB / 20.0));
  return MST_OK;
}

MstResult
mst_delay_drain_f32 (MstDelay * d, float *out, size_t max_frames,
    size_t *n_out)
{
  return delay_drain (d, out, max_frames, n_out, MST_FORMAT_F32);
}

MstResult
mst_delay_drain_f64 (MstDelay * d, double *out, size_t max_frames,
    size_t *n_out)
{
  return delay_drain (d, out, max_frames, n_out, MST_FORMAT_F64);
}

uint64_t
mst_delay_get_nonfinite_count (const MstDelay * d)
{
  return d ? d->nonfinite : 0;
}
