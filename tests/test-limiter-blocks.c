/* The limiter's blocks on plain arrays: the true-peak detector against the
 * 16x reference, the lookahead gain computer against a brute-force window
 * minimum, the delay line's round trips and counts, the gain apply against
 * a plain loop. */
#include "mst-tpdetect.h"
#include "mst-lookahead-gain.h"
#include "mst-delayline.h"
#include "mst-gainapply.h"
#include "mst-cpu.h"
#include "mst-analysis.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

/* Runs x (n frames of @channels) through a detector in blocks of varying
 * sizes, its floor at @floor; peak[f * channels + c] is frame f's peak. */
static void
detect_all_floor (const float *x, size_t n, int channels, bool true_peak,
    float floor, float *peak)
{
  static const int sizes[] = { 1024, 1, 700, 33, 1024, 517 };
  MstTpDetect *det = mst_tpdetect_init (channels, 1024);
  MST_CHECK (det != NULL);
  MST_CHECK (mst_tpdetect_configure (det, channels, 48000.0) == MST_OK);
  mst_tpdetect_set_floor (det, floor);
  const size_t delay = mst_tpdetect_get_delay ();
  size_t t = 0;
  for (int k = 0; t < n + delay; k++) {
    int len = sizes[k % 6];
    for (int c = 0; c < channels; c++) {
      float *in = mst_tpdetect_input (det, c);
      for (int i = 0; i < len; i++)
        in[i] = t + i < n ? x[(t + i) * channels + c] : 0.0f;
    }
    mst_tpdetect_process (det, len, true_peak);
    for (int c = 0; c < channels; c++) {
      const float *p = mst_tpdetect_peaks (det, c);
      for (int i = 0; i < len; i++) {
        size_t f = t + i - delay;
        if (t + i >= delay && f < n)
          peak[f * channels + c] = p[i];
      }
    }
    t += len;
  }
  mst_tpdetect_destroy (&det);
}

static void
detect_all (const float *x, size_t n, int channels, bool true_peak,
    float *peak)
{
  detect_all_floor (x, n, channels, true_peak, 0.0f, peak);
}

/* The detector's largest peak against the 16x reconstruction: it may read
 * up to DETECT_MARGIN_DB (0.04 dB, mst-limiter.c) low, and up to the
 * BS.1770-4 meters' interpolator's passband ripple (about 0.1 dB,
 * mst-tpdetect.c) high. That is from frame 16 on: before it FFmpeg's
 * meter, which reads the stream's first frames mirrored before it, may read
 * more (0.5 dB more on the fs/4 sine), and there the detector must read at
 * least what that meter does. Sample-peak mode gives |x|, delayed. */
static void
test_tpdetect (void)
{
  const int channels = 2;
  const unsigned rate = 48000;
  const size_t n = 48000;
  float *x = malloc (sizeof (float) * n * channels);
  float *peak = malloc (sizeof (float) * n * channels);
  for (int s = 0; s < 5; s++) {
    switch (s) {
      case 0:
        mst_signal_sine_fs4_45 (x, n, channels, 0.5);
        break;
      case 1:
        mst_signal_sine (x, n, channels, rate, 997.0, 0.5, 0.3);
        break;
      case 2:
        mst_signal_sine (x, n, channels, rate, 19000.0, 0.5, 1.1);
        break;
      case 3:
        mst_signal_music (x, n, channels, rate, 3);
        break;
      default:
        mst_signal_clipped_master (x, n, channels, rate, 4, 6.0);
        break;
    }
    detect_all (x, n, channels, true, peak);
    for (int c = 0; c < channels; c++) {
      double ref = mst_analysis_true_peak_16x (x, n, channels, c);
      double got = 0.0, got_after = 0.0, got_start = 0.0;
      bool covers_samples = true;
      for (size_t f = 0; f < n; f++) {
        double p = peak[f * channels + c];
        got = fmax (got, p);
        if (f >= 16)
          got_after = fmax (got_after, p);
        if (f < 48)
          got_start = fmax (got_start, p);
        covers_samples &= p >= fabsf (x[f * channels + c]);
      }
      /* FFmpeg's reading of the first 48 frames of channel c alone (its
       * points up to frame 32, the samples). */
      float start[48];
      for (int f = 0; f < 48; f++)
        start[f] = x[f * channels + c];
      double ffmpeg_start = mst_analysis_ffmpeg_true_peak (start, 32 + 16, 1,
          rate);
      MST_CHECK_MSG (got_start >= ffmpeg_start * (1.0 - 1e-5),
          "signal %d channel %d: the first frames read %.5f, FFmpeg %.5f", s,
          c, got_start, ffmpeg_start);
      double low_db = mst_analysis_db (got) - mst_analysis_db (ref);
      double high_db = mst_analysis_db (got_after) - mst_analysis_db (ref);
      MST_CHECK_MSG (low_db >= -0.04 && high_db <= 0.1,
          "signal %d channel %d: %+.4f dB (from frame 16: %+.4f dB) against "
          "the 16x reference", s, c, low_db, high_db);
      MST_CHECK_MSG (covers_samples, "signal %d channel %d", s, c);
    }
    detect_all (x, n, channels, false, peak);
    bool exact = true;
    for (size_t k = 0; k < n * channels; k++)
      exact &= peak[k] == fabsf (x[k]);
    MST_CHECK_MSG (exact, "sample peaks of signal %d", s);
  }
  MST_CHECK (mst_tpdetect_init (0, 1024) == NULL);
  MST_CHECK (mst_tpdetect_init (MST_MAX_CHANNELS + 1, 1024) == NULL);
  free (x);
  free (peak);
}

/* mst_tpdetect_set_floor's promise, frame by frame against the exact
 * peaks: a peak above the floor read exactly, one at or under it read
 * between itself and the floor; on signals where FFmpeg's interpolator
 * reads above the others (white noise, a tone near Nyquist) and on music
 * under, around and far over the floors. On the vector paths the floor
 * must also leave some of FFmpeg's work out (some peak read otherwise). */
static void
test_tpdetect_floor (void)
{
  const int channels = 2;
  const unsigned rate = 48000;
  const size_t n = 96000;
  static const float floors[] = { 0.3f, 0.8799f, 2.0f };
  float *x = malloc (sizeof (float) * n * channels);
  float *exact = malloc (sizeof (float) * n * channels);
  float *got = malloc (sizeof (float) * n * channels);
  size_t bounded = 0;
  for (int s = 0; s < 6; s++) {
    switch (s) {
      case 0:
        mst_signal_music (x, n, channels, rate, 3);
        break;
      case 1:
        mst_signal_music (x, n, channels, rate, 5);
        mst_signal_apply_gain_db (x, n * channels, 12.0);
        break;
      case 2:
        mst_signal_white_noise (x, n, channels, -12.0, 7);
        break;
      case 3:
        mst_signal_sine (x, n, channels, rate, 23500.0, 0.8, 0.2);
        break;
      case 4:
        mst_signal_clipped_master (x, n, channels, rate, 4, 12.0);
        break;
      default:
        mst_signal_pink_noise (x, n, channels, -20.0, 9);
        break;
    }
    detect_all (x, n, channels, true, exact);
    for (size_t k = 0; k < sizeof floors / sizeof floors[0]; k++) {
      const float fl = floors[k];
      detect_all_floor (x, n, channels, true, fl, got);
      size_t wrong = 0, first = 0;
      for (size_t j = 0; j < n * channels; j++) {
        bool ok = exact[j] > fl ? got[j] == exact[j]
            : got[j] >= exact[j] && got[j] <= fl;
        if (!ok && wrong++ == 0)
          first = j;
        bounded += got[j] != exact[j];
      }
      MST_CHECK_MSG (wrong == 0, "signal %d, floor %.4f: %zu peaks broke the "
          "floor's promise, first frame %zu channel %zu (exact %.7f, read "
          "%.7f)", s, fl, wrong, first / channels, first % channels,
          exact[first], got[first]);
    }
  }
  if (mst_cpu_has_avx2_fma ())
    MST_CHECK_MSG (bounded > 0, "the floor left no work out");
  else
    MST_CHECK_MSG (bounded == 0, "the portable path read %zu peaks "
        "otherwise", bounded);
  free (x);
  free (exact);
  free (got);
}

static uint32_t rng_state = 12345;

static double
uniform (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) * (1.0 / 16777216.0);
}

/* Runs r (n required gains of one chain) through a computer in blocks of
 * the given sizes, in turn; gain[j] is frame j's (required gain j's). */
static void
gains_in (MstLookaheadGain * lg, const double *r, size_t n, const int *sizes,
    int n_sizes, double *gain)
{
  const size_t lag = (size_t) mst_lookahead_gain_get_lag (lg);
  size_t t = 0;
  for (int k = 0; t < n + lag; k++) {
    int len = sizes[k % n_sizes];
    double *req = mst_lookahead_gain_required (lg, 0);
    for (int i = 0; i < len; i++)
      req[i] = t + i < n ? r[t + i] : 1.0;
    mst_lookahead_gain_process (lg, 1, len, 1.0);
    const double *g = mst_lookahead_gain_gains (lg, 0);
    for (int i = 0; i < len; i++) {
      size_t j = t + i - lag;
      if (t + i >= lag && j < n)
        gain[j] = g[i];
    }
    t += len;
  }
}

/* The same in blocks of varying sizes. */
static void
gains_of (MstLookaheadGain * lg, const double *r, size_t n, int L,
    double *gain)
{
  static const int sizes[] = { 1024, 3, 511, 1024, 77 };
  MST_CHECK (mst_lookahead_gain_get_lag (lg) == L - 1);
  gains_in (lg, r, n, sizes, 5, gain);
}

/* Window minimum and average against brute force: with the shortest
 * release at 8 kHz the one-pole takes 1 - 3.7e-6 of each step, so the
 * released gain is the window minimum within 1e-5; the gain of frame j is
 * the average of the minima of the windows starting at j - L + 1 .. j. In
 * any case the gain of a frame is at most its required gain (within the
 * rounding of the average, whose 1 / L is rounded up). */
static void
test_lookahead_gain_window (void)
{
  const size_t n = 6000;
  static const int windows[] = { 1, 2, 5, 48, 240, 1500 };
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  double *m = malloc (sizeof (double) * (n + 1500));
  MstLookaheadGain *lg = mst_lookahead_gain_init (2, 1500, 1024);
  MST_CHECK (lg != NULL);
  for (size_t i = 0; i < n; i++)
    r[i] = uniform () < 0.05 ? 0.2 + 0.8 * uniform () : 1.0;
  for (int w = 0; w < 6; w++) {
    const int L = windows[w];
    MST_CHECK (mst_lookahead_gain_configure (lg, 8000, L) == MST_OK);
    mst_lookahead_gain_set_release (lg, 0.001, false);
    gains_of (lg, r, n, L, gain);
    /* m[i + L - 1]: minimum of r[i .. i + L - 1], 1 outside r. */
    for (size_t i = 0; i < n + L - 1; i++) {
      m[i] = 1.0;
      for (int k = 0; k < L; k++) {
        size_t f = i + k - (L - 1);
        if (i + k >= (size_t) (L - 1) && f < n)
          m[i] = fmin (m[i], r[f]);
      }
    }
    double worst = 0.0;
    bool bounded = true;
    for (size_t j = 0; j < n; j++) {
      /* The windows holding frame j: starting at j - L + 1 .. j. */
      double sum = 0.0;
      for (int k = 0; k < L; k++)
        sum += m[j + k];
      worst = fmax (worst, fabs (gain[j] - fmin (sum / L, 1.0)));
      bounded &= gain[j] <= r[j] * (1.0 + 1e-12) && gain[j] > 0.0;
    }
    MST_CHECK_MSG (worst <= 1e-5, "window %d: off by %g", L, worst);
    MST_CHECK_MSG (bounded, "window %d", L);
  }
  /* Nothing required: exactly 1. */
  for (size_t i = 0; i < n; i++)
    r[i] = 1.0;
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 240) == MST_OK);
  mst_lookahead_gain_set_release (lg, 50.0, true);
  gains_of (lg, r, n, 240, gain);
  bool unity = true;
  for (size_t j = 0; j < n; j++)
    unity &= gain[j] == 1.0;
  MST_CHECK (unity);
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 1501) ==
      MST_ERR_INVALID_ARG);
  mst_lookahead_gain_destroy (&lg);
  MST_CHECK (lg == NULL);
  free (r);
  free (gain);
  free (m);
}

/* Grouped (the limiter's mode): the gain computer once per 16 frames,
 * each frame's gain interpolated between two group points. Whatever the
 * required gains (sparse dips, dense noise, a dip at every group's last
 * frame), the gain of every frame is at most its required gain, it moves
 * by at most 1 / L a frame, it is exactly 1 where nothing is required, and
 * any split of the frames into blocks gives the same gains bit for bit. */
static void
test_lookahead_gain_grouped (void)
{
  const size_t n = 48000;
  static const int windows[] = { 64, 100, 240, 1500 };
  static const int sizes_a[] = { 1024 }, sizes_b[] = { 1, 17, 1000, 5, 16,
    1024, 333
  };
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  double *other = malloc (sizeof (double) * n);
  MstLookaheadGain *lg = mst_lookahead_gain_init (1, 1500, 1024);
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 63) == MST_OK);
  MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) ==
      MST_ERR_INVALID_ARG);
  for (int kind = 0; kind < 3; kind++) {
    for (size_t i = 0; i < n; i++) {
      if (kind == 0)
        r[i] = uniform () < 0.01 ? 0.1 + 0.9 * uniform () : 1.0;
      else if (kind == 1)
        r[i] = 0.05 + 0.95 * uniform ();
      else
        r[i] = i % 16 == 15 ? 0.3 + 0.7 * uniform () : 1.0;
    }
    for (int w = 0; w < 4; w++) {
      const int L = windows[w];
      for (int auto_release = 0; auto_release < 2; auto_release++) {
        MST_CHECK (mst_lookahead_gain_configure (lg, 48000, L) == MST_OK);
        MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
        MST_CHECK (mst_lookahead_gain_get_lag (lg) == 16 * ((L + 15) / 16)
            + 15);
        mst_lookahead_gain_set_release (lg, 20.0, auto_release);
        gains_in (lg, r, n, sizes_a, 1, gain);
        mst_lookahead_gain_reset (lg);
        gains_in (lg, r, n, sizes_b, 7, other);
        bool bounded = true, same = true;
        double step = 0.0;
        for (size_t j = 0; j < n; j++) {
          bounded &= gain[j] <= r[j] * (1.0 + 1e-12) && gain[j] > 0.0;
          same &= gain[j] == other[j];
          if (j > 0)
            step = fmax (step, fabs (gain[j] - gain[j - 1]));
        }
        MST_CHECK_MSG (bounded, "signal %d, window %d", kind, L);
        MST_CHECK_MSG (same, "signal %d, window %d: the split changes the "
            "gains", kind, L);
        MST_CHECK_MSG (step <= 1.0 / L + 1e-12, "signal %d, window %d: "
            "step %g", kind, L, step);
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    r[i] = 1.0;
  MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 240) == MST_OK);
  MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
  mst_lookahead_gain_set_release (lg, 50.0, true);
  gains_in (lg, r, n, sizes_b, 7, gain);
  bool unity = true;
  for (size_t j = 0; j < n; j++)
    unity &= gain[j] == 1.0;
  MST_CHECK (unity);
  mst_lookahead_gain_destroy (&lg);
  free (r);
  free (gain);
  free (other);
}

/* Release: after one dip the gain comes back as a one-pole, 63 % of the
 * way at one time constant (STYLE.md), and never above 1. */
static void
test_lookahead_gain_release (void)
{
  const double rate = 48000, release_ms = 50.0;
  const int L = 48;
  const size_t n = 24000, dip = 1000;
  const size_t tau = (size_t) (release_ms * 1e-3 * rate);
  double *r = malloc (sizeof (double) * n);
  double *gain = malloc (sizeof (double) * n);
  for (size_t i = 0; i < n; i++)
    r[i] = i == dip ? 0.5 : 1.0;
  MstLookaheadGain *lg = mst_lookahead_gain_init (1, L, 1024);
  MST_CHECK (mst_lookahead_gain_configure (lg, rate, L) == MST_OK);
  mst_lookahead_gain_set_release (lg, release_ms, false);
  gains_of (lg, r, n, L, gain);
  MST_CHECK (gain[dip] <= 0.5 * (1.0 + 1e-12));
  /* The released gain leaves 0.5 after the window; the average lags it by
   * at most the window. */
  double back = (gain[dip + L + tau] - 0.5) / 0.5;
  double back_lagged = (gain[dip + tau] - 0.5) / 0.5;
  MST_CHECK_MSG (back >= 1.0 - exp (-1.0) - 0.01 && back_lagged <= 1.0
      - exp (-1.0) + 0.01, "%.4f .. %.4f of the way back at one time "
      "constant", back_lagged, back);
  bool rising = true;
  for (size_t j = dip + L; j + 1 < n; j++)
    rising &= gain[j + 1] >= gain[j] && gain[j + 1] <= 1.0;
  MST_CHECK (rising);
  mst_lookahead_gain_destroy (&lg);
  free (r);
  free (gain);
}

/* Linking: fully linked chains take the deeper reduction; unlinked ones
 * keep their own. */
static void
test_lookahead_gain_link (void)
{
  MstLookaheadGain *lg = mst_lookahead_gain_init (2, 16, 1024);
  for (int linked = 0; linked < 2; linked++) {
    MST_CHECK (mst_lookahead_gain_configure (lg, 48000, 16) == MST_OK);
    mst_lookahead_gain_set_release (lg, 50.0, false);
    double *r0 = mst_lookahead_gain_required (lg, 0);
    double *r1 = mst_lookahead_gain_required (lg, 1);
    for (int i = 0; i < 256; i++) {
      r0[i] = i == 100 ? 0.25 : 1.0;
      r1[i] = 1.0;
    }
    mst_lookahead_gain_process (lg, 2, 256, linked ? 1.0 : 0.0);
    const double *g0 = mst_lookahead_gain_gains (lg, 0);
    const double *g1 = mst_lookahead_gain_gains (lg, 1);
    /* Frame 100's gain is output 100 + 15. */
    MST_CHECK (g0[115] <= 0.25 * (1.0 + 1e-12));
    if (linked)
      MST_CHECK (g1[115] == g0[115]);
    else
      MST_CHECK (g1[115] == 1.0);
  }
  mst_lookahead_gain_destroy (&lg);
}

/* Push and pull in chunks across the wrap: what comes out is what went
 * in, in order; the counts follow; the drain empties; a format change
 * keeps the frames held. */
static void
test_delayline (void)
{
  const int channels = 3;
  MstDelayLine *dl = mst_delayline_init (channels, 1000);
  MST_CHECK (dl != NULL);
  MST_CHECK (mst_delayline_get_capacity (dl) == 1024);
  MST_CHECK (mst_delayline_configure (dl, channels) == MST_OK);
  for (int fmt = 0; fmt < 2; fmt++) {
    mst_delayline_set_format (dl, (MstFormat) fmt);
    mst_delayline_reset (dl);
    const size_t bytes = fmt ? sizeof (double) : sizeof (float);
    const size_t n = 5000;
    char *in = malloc (n * channels * bytes);
    char *out = malloc (n * channels * bytes);
    for (size_t k = 0; k < n * channels; k++) {
      if (fmt)
        ((double *) in)[k] = k + 0.25;
      else
        ((float *) in)[k] = (float) k + 0.5f;
    }
    size_t pushed = 0, pulled = 0;
    bool counts = true;
    for (int k = 0; pushed < n; k++) {
      size_t len = (size_t) (k * 37 % 300) + 1;
      if (len > n - pushed)
        len = n - pushed;
      mst_delayline_push (dl, in + pushed * channels * bytes, len);
      pushed += len;
      counts &= mst_delayline_get_pending (dl) == pushed - pulled;
      /* Keep up to 700 frames held, across the wrap. */
      if (pushed - pulled > 700) {
        size_t take = pushed - pulled - 700 + (size_t) (k % 5);
        mst_delayline_pull (dl, out + pulled * channels * bytes, take);
        pulled += take;
      }
      counts &= mst_delayline_get_written (dl) == (int64_t) pushed
          && mst_delayline_get_read (dl) == (int64_t) pulled;
    }
    MST_CHECK (counts);
    size_t held = pushed - pulled;
    MST_CHECK (held >= 696);
    /* The held frames survive a round trip through the other format. */
    mst_delayline_set_format (dl, (MstFormat) !fmt);
    mst_delayline_set_format (dl, (MstFormat) fmt);
    MST_CHECK (mst_delayline_drain (dl, out + pulled * channels * bytes)
        == held);
    MST_CHECK (mst_delayline_get_pending (dl) == 0);
    MST_CHECK_MSG (memcmp (in, out, n * channels * bytes) == 0, "format %d",
        fmt);
    /* Silence in, silence out. */
    mst_delayline_push (dl, NULL, 10);
    mst_delayline_pull (dl, out, 10);
    bool silent = true;
    for (size_t k = 0; k < 10 * channels * bytes; k++)
      silent &= out[k] == 0;
    MST_CHECK (silent);
    free (in);
    free (out);
  }
  /* In-place access: runs up to the wrap, ring indices in order. */
  size_t index, run;
  mst_delayline_frame (dl, 1020, &index, &run);
  MST_CHECK (index == 1020 && run == 4);
  mst_delayline_frame (dl, 1024 + 7, &index, &run);
  MST_CHECK (index == 7 && run == 1017);
  MST_CHECK (mst_delayline_configure (dl, channels + 1) ==
      MST_ERR_INVALID_ARG);
  mst_delayline_destroy (&dl);
  MST_CHECK (dl == NULL);

  /* A reset clears only what the layouts since the last one reached: after
   * every slot was written in one layout, then the format narrowed and
   * widened (whose conversions stop where the written bytes end), or the
   * channel count changed, every slot of the widest layout reads zero. */
  dl = mst_delayline_init (channels, 1000);
  for (int step = 0; step < 3; step++) {
    MST_CHECK (mst_delayline_configure (dl, step == 2 ? channels : 2)
        == MST_OK);
    mst_delayline_set_format (dl, MST_FORMAT_F64);
    const int nch = step == 2 ? channels : 2;
    double *frame = mst_delayline_frame (dl, 0, NULL, NULL);
    for (size_t k = 0; k < 1024 * (size_t) nch; k++)
      frame[k] = 1.0 + (double) k;
    mst_delayline_mark_written (dl, 1024);
    if (step == 1) {
      mst_delayline_set_format (dl, MST_FORMAT_F32);
      mst_delayline_set_format (dl, MST_FORMAT_F64);
    }
    mst_delayline_reset (dl);
    for (int width = 0; width < 2; width++) {
      mst_delayline_set_format (dl, (MstFormat) (step == 2 ? !width
              : width));
      mst_delayline_configure (dl, channels);
      mst_delayline_set_format (dl, MST_FORMAT_F64);
      const double *all = mst_delayline_frame (dl, 0, NULL, NULL);
      bool zero = true;
      for (size_t k = 0; k < 1024 * (size_t) channels; k++)
        zero &= all[k] == 0.0;
      MST_CHECK_MSG (zero, "step %d", step);
    }
  }

  /* A ring in use smaller than the allocation: the power of 2 that holds
   * the frames asked for, frames in order across its wrap; nothing beyond
   * the allocation; and back at full size, every slot written in the whole
   * ring before reads zero. */
  MST_CHECK (mst_delayline_configure_held (dl, channels, 1025)
      == MST_ERR_INVALID_ARG);
  mst_delayline_set_format (dl, MST_FORMAT_F64);
  double *whole = mst_delayline_frame (dl, 0, NULL, NULL);
  for (size_t k = 0; k < 1024 * (size_t) channels; k++)
    whole[k] = 1.0 + (double) k;
  MST_CHECK (mst_delayline_configure_held (dl, channels, 200) == MST_OK);
  MST_CHECK (mst_delayline_get_capacity (dl) == 256);
  bool in_order = true;
  for (int k = 0; k < 40; k++) {
    double in[17 * 3], out[17 * 3];
    for (int j = 0; j < 17 * channels; j++)
      in[j] = k * 100.0 + j;
    mst_delayline_push (dl, in, 17);
    if (k >= 10) {
      /* 170 frames held: frames k - 10 come out. */
      mst_delayline_pull (dl, out, 17);
      for (int j = 0; j < 17 * channels; j++)
        in_order &= out[j] == (k - 10) * 100.0 + j;
    }
  }
  MST_CHECK (in_order);
  mst_delayline_frame (dl, 256 + 9, &index, NULL);
  MST_CHECK (index == 9);
  MST_CHECK (mst_delayline_configure (dl, channels) == MST_OK);
  MST_CHECK (mst_delayline_get_capacity (dl) == 1024);
  whole = mst_delayline_frame (dl, 0, NULL, NULL);
  bool cleared = true;
  for (size_t k = 0; k < 1024 * (size_t) channels; k++)
    cleared &= whole[k] == 0.0;
  MST_CHECK (cleared);
  mst_delayline_destroy (&dl);
}

/* The gain apply against a plain loop: every layout, F32 and F64, in
 * place. */
static void
test_gainapply (void)
{
  const int n = 301;
  double g0[301], g1[301], g2[301], ceil_frames[301];
  for (int i = 0; i < n; i++) {
    g0[i] = uniform ();
    g1[i] = uniform ();
    g2[i] = uniform ();
    ceil_frames[i] = 0.3 + 0.5 * uniform ();
  }
  const double *gains[3] = { g0, g1, g2 };
  for (int channels = 1; channels <= 3; channels++)
    for (int shared = 0; shared < 2; shared++)
      for (int one = 0; one < 2; one++) {
        double ceilings[301];
        for (int i = 0; i < n; i++)
          ceilings[i] = one ? ceil_frames[0] : ceil_frames[i];
        float xf[301 * 3], yf[301 * 3];
        double xd[301 * 3], yd[301 * 3];
        bool same = true;
        for (int k = 0; k < n * channels; k++) {
          xf[k] = (float) (2.0 * uniform () - 1.0);
          xd[k] = 2.0 * uniform () - 1.0;
        }
        memcpy (yf, xf, sizeof xf);
        memcpy (yd, xd, sizeof xd);
        mst_gain_apply (gains, shared, yf, yf, n, channels, ceilings, one,
            MST_FORMAT_F32);
        mst_gain_apply (gains, shared, yd, yd, n, channels, ceilings, one,
            MST_FORMAT_F64);
        for (int i = 0; i < n; i++)
          for (int c = 0; c < channels; c++) {
            int k = i * channels + c;
            double g = gains[shared ? 0 : c][i], cj = ceilings[i];
            double vd = fmin (fmax (g * xd[k], -cj), cj);
            float cf = (float) cj;
            if ((double) cf > cj)
              cf = nextafterf (cf, 0.0f);
            float vf = fminf (fmaxf ((float) (g * xf[k]), -cf), cf);
            same &= yd[k] == vd && yf[k] == vf && fabs (yf[k]) <= cj;
          }
        MST_CHECK_MSG (same, "%d channels, shared %d, one ceiling %d",
            channels, shared, one);
      }
  double m[] = { 0.5, 0.25, 0.75, 0.125, 1.0, 0.9, 0.3, 0.2, 0.6 };
  MST_CHECK (mst_gain_min (m, 9, 1.0) == 0.125);
  MST_CHECK (mst_gain_min (m, 2, 0.1) == 0.1);
}

/* Linking switched on and off while a stereo stream runs (the limiter's
 * link property at 1 and under it), per frame and grouped: every frame's
 * gain, as the limiter applies it (chain 0's for both channels while
 * linked, each channel's own otherwise), stays at most that channel's
 * required gain min (1, c / peak), across every switch. A chain that sat
 * idle while linked used to come back with stale history, and grouped
 * with its gain points out of step (a negative memmove under the
 * sanitizers). */
static void
test_link_switches (void)
{
  const int n = 60000, block = 1024;
  const double cu = 0.5;
  float *pk[2] = { malloc (sizeof (float) * n), malloc (sizeof (float) * n) };
  for (int i = 0; i < n; i++) {
    /* The two channels limited at different times and depths. */
    pk[0][i] = (float) ((i / 700) % 3 == 0 ? 0.2 + 1.8 * uniform () : 0.3);
    pk[1][i] = (float) ((i / 1100) % 2 == 0 ? 0.2 + 3.0 * uniform () : 0.4);
  }
  static const int windows[] = { 30, 240 };
  for (int w = 0; w < 2; w++) {
    MstLookaheadGain *lg = mst_lookahead_gain_init (2, 240, block);
    MST_CHECK (mst_lookahead_gain_configure (lg, 48000, windows[w]) ==
        MST_OK);
    if (windows[w] >= 64)
      MST_CHECK (mst_lookahead_gain_set_grouped (lg, true) == MST_OK);
    mst_lookahead_gain_set_release (lg, 20.0, true);
    const int lag = mst_lookahead_gain_get_lag (lg);
    int worst_frame = -1;
    double worst = 0.0;
    for (int done = 0, b = 0; done < n; b++) {
      /* Linked for three blocks, unlinked for two, and blocks of other
       * lengths on the way. */
      const bool linked = b % 5 < 3;
      const int len = b % 7 == 6 ? 333 : block;
      const int m = len < n - done ? len : n - done;
      const float *in[2] = { pk[0] + done, pk[1] + done };
      mst_lookahead_gain_process_peaks (lg, in, 2, linked, NULL, cu, m,
          1.0);
      for (int c = 0; c < 2; c++) {
        const double *g = mst_lookahead_gain_gains (lg, linked ? 0 : c);
        for (int i = 0; i < m; i++) {
          const int p = done + i - lag;
          if (p < 0)
            continue;
          const double r = fmin (1.0, cu / fmax (pk[c][p], cu));
          if (g[i] > r * (1.0 + 1e-12) && g[i] / r > worst) {
            worst = g[i] / r;
            worst_frame = p;
          }
        }
      }
      done += m;
    }
    MST_CHECK_MSG (worst_frame < 0, "window %d: frame %d's gain %.4f times "
        "its required gain", windows[w], worst_frame, worst);
    mst_lookahead_gain_destroy (&lg);
  }
  free (pk[0]);
  free (pk[1]);
}

int
main (void)
{
  MST_RUN (test_tpdetect);
  MST_RUN (test_tpdetect_floor);
  MST_RUN (test_lookahead_gain_window);
  MST_RUN (test_lookahead_gain_grouped);
  MST_RUN (test_link_switches);
  MST_RUN (test_lookahead_gain_release);
  MST_RUN (test_lookahead_gain_link);
  MST_RUN (test_delayline);
  MST_RUN (test_gainapply);
  return mst_test_summary ();
}
