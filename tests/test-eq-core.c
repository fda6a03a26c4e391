/* Unit tests of the equalizer core on plain arrays: response of the running
 * filters, bit-exact passthrough, smoothing without steps, mid/side routing,
 * NaN recovery, denormals, reset, and allocation failure handling. */
#include "mst-eq.h"
#include "mst-test.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0

/* The settings in force of the one equalizer a test uses: the core takes
 * them whole (mst_eq_set), the tests change one field at a time. */
static MstEqSettings settings;

static MstEq *
eq_new (int max_channels)
{
  mst_eq_settings_default (&settings);
  return mst_eq_init (max_channels);
}

static MstResult
apply (MstEq * eq, const MstEqSettings * s)
{
  MstResult r = mst_eq_set (eq, s);
  if (r == MST_OK)
    settings = *s;
  return r;
}

/* One field of the settings in force changed, the whole handed over. */
#define CHANGE(eq, field, value) __extension__ ({ \
      MstEqSettings changed_ = settings; \
      changed_.field = (value); \
      apply ((eq), &changed_); })
#define set_band(eq, index, b) CHANGE (eq, bands[index], *(b))
#define set_num_bands(eq, n) CHANGE (eq, num_bands, n)
#define set_gain_db(eq, db) CHANGE (eq, gain_db, db)
#define set_bypass(eq, on) CHANGE (eq, bypass, on)

static MstEqBandSettings
band (MstFilterType type, double freq, double gain, double q)
{
  MstEqBandSettings s = { {type, freq, gain, q, 12}, true, MST_EQ_CHANNELS_ALL };
  return s;
}

static void
fill_sine (float *x, int channels, size_t n, double freq, double amp,
    const double *channel_gain)
{
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      x[i * channels + c] = (float) (amp * channel_gain[c]
          * sin (2 * M_PI * freq * i / RATE));
}

static double
rms (const float *x, int channels, int channel, size_t from, size_t to)
{
  double s = 0;
  for (size_t i = from; i < to; i++)
    s += (double) x[i * channels + channel] * x[i * channels + channel];
  return sqrt (s / (to - from));
}

/* Steady sines through the running equalizer match the analog prototype. */
static void
test_running_response (void)
{
  MstEq *eq = eq_new (2);
  const size_t n = 24000;
  float *x = malloc (sizeof (float) * 2 * n);
  const double unity[2] = { 1, 1 };
  MstEqBandSettings s = band (MST_FILTER_PEAK, 2000, 9, 1.4);

  MST_CHECK (eq && x);
  MST_CHECK (mst_eq_configure (eq, RATE, 2, 0, 1) == MST_OK);
  MST_CHECK (set_band (eq, 0, &s) == MST_OK);
  for (double f = 50; f < 20000; f *= 1.7) {
    mst_eq_reset (eq);
    fill_sine (x, 2, n, f, 0.25, unity);
    MST_CHECK (mst_eq_process_f32 (eq, x, n) == MST_OK);
    double got = 20 * log10 (rms (x, 2, 0, n / 2, n) / (0.25 / sqrt (2)));
    double want = mst_filter_analog_db (&s.filter, f);
    MST_CHECK_MSG (fabs (got - want) < 0.15, "%.0f Hz: %.3f dB, analog %.3f",
        f, got, want);
    MST_CHECK_CLOSE (rms (x, 2, 1, n / 2, n), rms (x, 2, 0, n / 2, n), 1e-6);
  }
  /* The element gain, steady, applied on the way out of the fused pass. */
  MST_CHECK (set_gain_db (eq, -6.0) == MST_OK);
  mst_eq_reset (eq);
  fill_sine (x, 2, n, 2000, 0.25, unity);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK_CLOSE (20 * log10 (rms (x, 2, 0, n / 2, n) / (0.25 / sqrt (2))),
      mst_filter_analog_db (&s.filter, 2000) - 6.0, 0.15);
  free (x);
  mst_eq_destroy (&eq);
  MST_CHECK (eq == NULL);
}

/* Several bands in cascade (the fused, skewed pass): the response is the
 * sum of the bands' analog responses, for mono, stereo and 5.1, F32 and
 * F64, with 1 to 6 bands (up to 12 sections with a 48 dB/octave cut). */
static void
test_cascade_response (void)
{
  static const MstEqBandSettings bands[] = {
    {{MST_FILTER_PEAK, 200, 6, 1, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_PEAK, 3000, -6, 2, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_HIGH_SHELF, 8000, 3, 0.7, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_LOW_SHELF, 80, -3, 0.7, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_PEAK, 1000, 2, 0.5, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_LOW_CUT, 20, 0, 0.7, 48}, true, MST_EQ_CHANNELS_ALL},
  };
  static const int channel_counts[] = { 1, 2, 6 };
  const size_t n = 24000;
  float *x = malloc (sizeof (float) * 6 * n);
  double *xd = malloc (sizeof (double) * 6 * n);
  MstEq *eq = eq_new (6);
  for (int cc = 0; cc < 3; cc++)
    for (int nb = 1; nb <= 6; nb++)
      for (int f64 = 0; f64 < 2; f64++) {
        int ch = channel_counts[cc];
        mst_eq_configure (eq, RATE, ch, ch >= 2 ? 0 : -1, ch >= 2 ? 1 : -1);
        set_num_bands (eq, nb);
        for (int b = 0; b < nb; b++)
          set_band (eq, b, &bands[b]);
        for (double f = 40; f < 20000; f *= 2.3) {
          mst_eq_reset (eq);
          for (size_t i = 0; i < n; i++)
            for (int c = 0; c < ch; c++)
              xd[i * ch + c] = x[i * ch + c] = (float) (0.25 * sin (2 * M_PI
                      * f * i / RATE));
          double s = 0;
          if (f64) {
            mst_eq_process_f64 (eq, xd, n);
            for (size_t i = n / 2; i < n; i++)
              s += xd[i * ch + ch - 1] * xd[i * ch + ch - 1];
          } else {
            mst_eq_process_f32 (eq, x, n);
            for (size_t i = n / 2; i < n; i++)
              s += (double) x[i * ch + ch - 1] * x[i * ch + ch - 1];
          }
          double got = 10 * log10 (s / (n / 2) / (0.25 * 0.25 / 2));
          double want = 0;
          for (int b = 0; b < nb; b++)
            want += mst_filter_analog_db (&bands[b].filter, f);
          MST_CHECK_MSG (fabs (got - want) < 0.15, "%d ch, %d bands, %s, "
              "%.0f Hz: %.3f dB, analog %.3f", ch, nb, f64 ? "F64" : "F32",
              f, got, want);
        }
      }
  free (x);
  free (xd);
  mst_eq_destroy (&eq);
}

/* Flat or bypassed: the buffer is left bit-exact. */
static void
test_passthrough_bit_exact (void)
{
  MstEq *eq = eq_new (2);
  const size_t n = 4800;
  float *x = malloc (sizeof (float) * 2 * n), *ref = malloc (sizeof (float) * 2 * n);
  for (size_t i = 0; i < 2 * n; i++)
    ref[i] = (float) (rand () / (double) RAND_MAX - 0.5);
  mst_eq_configure (eq, RATE, 2, 0, 1);
  set_num_bands (eq, 4);
  MST_CHECK (mst_eq_is_passthrough (eq));
  memcpy (x, ref, sizeof (float) * 2 * n);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK (memcmp (x, ref, sizeof (float) * 2 * n) == 0);

  /* A boost, then bypass: after the 10 ms crossfade, bit-exact again. */
  MstEqBandSettings s = band (MST_FILTER_PEAK, 1000, 6, 1);
  set_band (eq, 0, &s);
  memcpy (x, ref, sizeof (float) * 2 * n);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK (memcmp (x, ref, sizeof (float) * 2 * n) != 0);
  set_bypass (eq, true);
  memcpy (x, ref, sizeof (float) * 2 * n);
  mst_eq_process_f32 (eq, x, n);        /* 100 ms: crossfade done */
  MST_CHECK (mst_eq_is_passthrough (eq));
  memcpy (x, ref, sizeof (float) * 2 * n);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK (memcmp (x, ref, sizeof (float) * 2 * n) == 0);

  /* Back from bypass, then the band returns to 0 dB: the glide ends, the
   * band's tail decays, and the equalizer is bit-exact again. */
  set_bypass (eq, false);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK (!mst_eq_is_passthrough (eq));
  s.filter.gain_db = 0;
  set_band (eq, 0, &s);
  for (int i = 0; i < 20 && !mst_eq_is_passthrough (eq); i++) {
    memcpy (x, ref, sizeof (float) * 2 * n);
    mst_eq_process_f32 (eq, x, n);
  }
  MST_CHECK (mst_eq_is_passthrough (eq));
  memcpy (x, ref, sizeof (float) * 2 * n);
  mst_eq_process_f32 (eq, x, n);
  MST_CHECK (memcmp (x, ref, sizeof (float) * 2 * n) == 0);
  free (x);
  free (ref);
  mst_eq_destroy (&eq);
}

/* Largest |second difference| of channel 0: a click shows as a spike far
 * above that of the smooth sine. */
static double
max_second_difference (const float *x, int channels, size_t n)
{
  double m = 0;
  for (size_t i = 2; i < n; i++) {
    double d = x[i * channels] - 2.0 * x[(i - 1) * channels]
        + x[(i - 2) * channels];
    m = fmax (m, fabs (d));
  }
  return m;
}

/* Gain, frequency, Q, type, enable and bypass changes while running: no
 * sample step larger than a sine of the output's amplitude can make, and
 * no per-period level jump faster than the 10 ms smoothing allows. */
static void
test_smooth_changes (void)
{
  MstEq *eq = eq_new (1);
  const size_t block = 480, n_blocks = 100;
  const double f = 1000, amp = 0.1;
  float *x = malloc (sizeof (float) * block * n_blocks);
  const double unity[1] = { 1 };
  /* A sine of amplitude A has |second difference| <= A (2 pi f / fs)^2. */
  const double w2 = pow (2 * M_PI * f / RATE, 2);

  struct {
    const char *what;
    MstEqBandSettings from, to;
    bool bypass;
    bool crossfade;
  } cases[] = {
    {"gain 0 -> +12 dB", band (MST_FILTER_PEAK, 1000, 0, 1),
        band (MST_FILTER_PEAK, 1000, 12, 1), false, false},
    {"gain +12 -> -12 dB", band (MST_FILTER_PEAK, 1000, 12, 1),
        band (MST_FILTER_PEAK, 1000, -12, 1), false, false},
    {"freq 200 -> 1000 Hz", band (MST_FILTER_PEAK, 200, 12, 2),
        band (MST_FILTER_PEAK, 1000, 12, 2), false, false},
    {"q 0.3 -> 8", band (MST_FILTER_PEAK, 1100, 12, 0.3),
        band (MST_FILTER_PEAK, 1100, 12, 8), false, false},
    {"type peak -> high-cut", band (MST_FILTER_PEAK, 1000, 12, 1),
        band (MST_FILTER_HIGH_CUT, 300, 0, 1), false, true},
    {"bypass", band (MST_FILTER_PEAK, 1000, 12, 1),
        band (MST_FILTER_PEAK, 1000, 12, 1), true, true},
  };

  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    mst_eq_configure (eq, RATE, 1, -1, -1);
    set_bypass (eq, false);
    set_band (eq, 0, &cases[k].from);
    mst_eq_reset (eq);
    fill_sine (x, 1, block * n_blocks, f, amp, unity);
    for (size_t b = 0; b < n_blocks; b++) {
      if (b == n_blocks / 2) {
        set_band (eq, 0, &cases[k].to);
        set_bypass (eq, cases[k].bypass);
      }
      mst_eq_process_f32 (eq, x + b * block, block);
    }
    /* The loudest the output gets, +12 dB on amp, with 10 % margin. */
    double bound = 1.1 * amp * pow (10, 12 / 20.0) * w2;
    double got = max_second_difference (x + block * 10, 1,
        block * (n_blocks - 10));
    MST_CHECK_MSG (got <= bound, "%s: second difference %.3g > %.3g",
        cases[k].what, got, bound);
    /* The level per 1 ms period never moves faster than the smoothing
     * allows. Glides are one-pole in dB (or log Hz, log Q) with a 10 ms time
     * constant: a 24 dB move goes at most 24 (1 - e^-0.1) = 2.3 dB in 1 ms.
     * Crossfades are linear over 10 ms: at most 10 % of the difference of
     * the two levels per ms, bounded here by the larger level. */
    double prev = -1, worst = 0, largest = 0;
    for (size_t p = block * 10; p + 48 <= block * n_blocks; p += 48) {
      double peak = 0;
      for (size_t i = p; i < p + 48; i++)
        peak = fmax (peak, fabs (x[i]));
      largest = fmax (largest, peak);
      if (prev > 0)
        worst = fmax (worst, cases[k].crossfade ? fabs (peak - prev)
            : fabs (20 * log10 (peak / prev)));
      prev = peak;
    }
    if (cases[k].crossfade)
      MST_CHECK_MSG (worst <= 0.12 * largest, "%s: level moved %.3f of %.3f "
          "in 1 ms", cases[k].what, worst, largest);
    else
      MST_CHECK_MSG (worst <= 2.8, "%s: level moved %.2f dB in 1 ms",
          cases[k].what, worst);
  }
  free (x);
  mst_eq_destroy (&eq);
}

/* The settings in force on @one_side[0] with its first @n_bands bands
 * filtering the left channel alone, and on @one_side[1] the right. */
static void
set_one_sided (MstEq * one_side[2], int n_bands)
{
  for (int c = 0; c < 2; c++) {
    MstEqSettings s = settings;
    for (int b = 0; b < n_bands; b++)
      s.bands[b].channels = c ? MST_EQ_CHANNELS_RIGHT : MST_EQ_CHANNELS_LEFT;
    MST_CHECK (mst_eq_set (one_side[c], &s) == MST_OK);
  }
}

/* A glide that starts and ends mid-stream, between stretches of the steady
 * stereo pass (mst_biquad_cascades_run_fused_fast: on the F32 frames
 * themselves, or on the planar F64 block): the state goes from that pass
 * to the gliding bands and back without a click. The stereo output stays
 * within rounding of equalizers whose bands filter the left or the right
 * channel alone (never steady on all channels: the bands one by one, in
 * Direct Form I), which a state handed over wrong would leave by the
 * signal's own size, and has no step a sine could not make. */
static void
test_glide_handover_stereo (void)
{
  static const MstEqBandSettings steady[] = {
    {{MST_FILTER_PEAK, 150, 4, 1, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_PEAK, 1000, 6, 1, 12}, true, MST_EQ_CHANNELS_ALL},
    {{MST_FILTER_HIGH_SHELF, 6000, -3, 0.7, 12}, true, MST_EQ_CHANNELS_ALL},
  };
  const MstEqBandSettings glide_to = band (MST_FILTER_PEAK, 1000, -6, 1);
  /* 700-frame calls: the glide starts and settles inside the core's
   * 1024-frame blocks. */
  const size_t call = 700, n_calls = 120, n = call * n_calls;
  const size_t change_at = n_calls / 3;
  const double f = 1000, amp = 0.1;
  /* A sine of amplitude A has |second difference| <= A (2 pi f / fs)^2;
   * the output is at most +6 +4 dB over amp near 1 kHz: +12 dB bounds it. */
  const double bound = 1.1 * amp * pow (10, 12 / 20.0)
      * pow (2 * M_PI * f / RATE, 2);
  MstBiquad target[MST_FILTER_MAX_SECTIONS];
  int n_target;
  MstEq *stereo = eq_new (2);
  MstEq *one_side[2] = { mst_eq_init (2), mst_eq_init (2) };
  float *x = malloc (sizeof (float) * 2 * n);
  double *xd = malloc (sizeof (double) * 2 * n);
  double *m[2] = { malloc (sizeof (double) * 2 * n),
    malloc (sizeof (double) * 2 * n)
  };

  MST_CHECK (mst_filter_design (&glide_to.filter, RATE, target, &n_target)
      == MST_OK);
  for (int f64 = 0; f64 < 2; f64++) {
    mst_eq_configure (stereo, RATE, 2, 0, 1);
    for (int c = 0; c < 2; c++)
      mst_eq_configure (one_side[c], RATE, 2, 0, 1);
    set_num_bands (stereo, 3);
    for (int b = 0; b < 3; b++)
      set_band (stereo, b, &steady[b]);
    set_one_sided (one_side, 3);
    for (int c = 0; c < 2; c++)
      mst_eq_reset (one_side[c]);
    mst_eq_reset (stereo);
    /* The same float samples everywhere: the doubles read back from x. */
    for (size_t i = 0; i < n; i++)
      for (int c = 0; c < 2; c++)
        x[2 * i + c] = (float) (amp * sin (2 * M_PI * f * i / RATE + c));
    for (size_t i = 0; i < 2 * n; i++)
      xd[i] = m[0][i] = m[1][i] = x[i];
    size_t settled_at = 0;
    for (size_t k = 0; k < n_calls; k++) {
      if (k == change_at) {
        set_band (stereo, 1, &glide_to);
        set_one_sided (one_side, 3);
      }
      if (f64)
        mst_eq_process_f64 (stereo, xd + 2 * k * call, call);
      else
        mst_eq_process_f32 (stereo, x + 2 * k * call, call);
      for (int c = 0; c < 2; c++)
        mst_eq_process_f64 (one_side[c], m[c] + 2 * k * call, call);
      MstBiquad now[MST_FILTER_MAX_SECTIONS];
      int n_now;
      mst_eq_get_band_sections (stereo, 1, now, &n_now);
      bool at_target = n_now == n_target;
      for (int q = 0; q < n_now && at_target; q++)
        at_target = fabs (now[q].b0 - target[q].b0) < 1e-9
            && fabs (now[q].b1 - target[q].b1) < 1e-9
            && fabs (now[q].b2 - target[q].b2) < 1e-9
            && fabs (now[q].a1 - target[q].a1) < 1e-9
            && fabs (now[q].a2 - target[q].a2) < 1e-9;
      if (k == change_at)
        MST_CHECK_MSG (!at_target, "%s: no glide", f64 ? "F64" : "F32");
      if (k > change_at && at_target && settled_at == 0)
        settled_at = k;
    }
    /* Settled with a third of the stream left to the steady pass. */
    MST_CHECK_MSG (settled_at > change_at && settled_at < 2 * n_calls / 3,
        "%s: glide settled at call %zu", f64 ? "F64" : "F32", settled_at);
    double worst = 0, peak = 0;
    for (size_t i = 0; i < n; i++)
      for (int c = 0; c < 2; c++) {
        double y = f64 ? xd[2 * i + c] : x[2 * i + c];
        double d = fabs (y - m[c][2 * i + c]);
        worst = isnan (d) ? INFINITY : fmax (worst, d);
        peak = fmax (peak, fabs (m[c][2 * i + c]));
      }
    /* F32: the two rounded to float apart (one unit in the last place);
     * F64: the runners' rounding. */
    MST_CHECK_MSG (worst <= (f64 ? 1e-12 : 1.2e-7) * peak, "%s: stereo "
        "%.3g off the one-sided bands (peak %.3g)", f64 ? "F64" : "F32",
        worst, peak);
    for (int c = 0; c < 2; c++) {
      double d2 = 0;
      for (size_t i = 2; i < n; i++) {
        double y0 = f64 ? xd[2 * i + c] : x[2 * i + c];
        double y1 = f64 ? xd[2 * (i - 1) + c] : x[2 * (i - 1) + c];
        double y2 = f64 ? xd[2 * (i - 2) + c] : x[2 * (i - 2) + c];
        if (i > call * 10)
          d2 = fmax (d2, fabs (y0 - 2 * y1 + y2));
      }
      MST_CHECK_MSG (d2 <= bound, "%s channel %d: second difference %.3g "
          "> %.3g", f64 ? "F64" : "F32", c, d2, bound);
    }
  }
  free (x);
  free (xd);
  free (m[0]);
  free (m[1]);
  mst_eq_destroy (&one_side[0]);
  mst_eq_destroy (&one_side[1]);
  mst_eq_destroy (&stereo);
}

/* Mid/side: a side band leaves a mono (L = R) signal untouched; a mid band
 * leaves a pure side (L = -R) signal untouched; left touches left only. */
static void
test_mid_side_routing (void)
{
  MstEq *eq = eq_new (2);
  const size_t n = 9600;
  float *x = malloc (sizeof (float) * 2 * n);
  const double mono[2] = { 1, 1 }, side[2] = { 1, -1 };
  struct {
    MstEqChannels channels;
    const double *signal;
    double expect_l, expect_r;  /* dB change */
  } cases[] = {
    {MST_EQ_CHANNELS_SIDE, mono, 0, 0},
    {MST_EQ_CHANNELS_MID, mono, 12, 12},
    {MST_EQ_CHANNELS_MID, side, 0, 0},
    {MST_EQ_CHANNELS_SIDE, side, 12, 12},
    {MST_EQ_CHANNELS_LEFT, mono, 12, 0},
    {MST_EQ_CHANNELS_RIGHT, mono, 0, 12},
    {MST_EQ_CHANNELS_ALL, side, 12, 12},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    MstEqBandSettings s = band (MST_FILTER_PEAK, 1000, 12, 1);
    s.channels = cases[k].channels;
    mst_eq_configure (eq, RATE, 2, 0, 1);
    set_band (eq, 0, &s);
    mst_eq_reset (eq);
    fill_sine (x, 2, n, 1000, 0.1, cases[k].signal);
    mst_eq_process_f32 (eq, x, n);
    double ref = 0.1 / sqrt (2);
    MST_CHECK_CLOSE (20 * log10 (rms (x, 2, 0, n / 2, n) / ref),
        cases[k].expect_l, 0.05);
    MST_CHECK_CLOSE (20 * log10 (rms (x, 2, 1, n / 2, n) / ref),
        cases[k].expect_r, 0.05);
  }
  free (x);
  mst_eq_destroy (&eq);
}

/* A NaN or Inf does not poison the stream: the following block is clean. */
static void
test_nonfinite_recovery (void)
{
  MstEq *eq = eq_new (2);
  const size_t n = 4800;
  float *x = malloc (sizeof (float) * 2 * n);
  const double unity[2] = { 1, 1 };
  MstEqBandSettings s = band (MST_FILTER_LOW_SHELF, 100, 6, 0.7);
  mst_eq_configure (eq, RATE, 2, 0, 1);
  set_band (eq, 0, &s);
  mst_eq_reset (eq);
  const float bad[2] = { NAN, INFINITY };
  for (int k = 0; k < 2; k++) {
    fill_sine (x, 2, n, 440, 0.3, unity);
    x[1000 * 2] = bad[k];
    x[1001 * 2 + 1] = -bad[k];
    mst_eq_process_f32 (eq, x, n);
    for (size_t i = 0; i < 2 * n; i++)
      MST_CHECK_MSG (isfinite (x[i]), "sample %zu", i);
    fill_sine (x, 2, n, 440, 0.3, unity);
    mst_eq_process_f32 (eq, x, n);
    bool finite = true;
    for (size_t i = 0; i < 2 * n; i++)
      finite &= isfinite (x[i]) && fabs (x[i]) < 1.0;
    MST_CHECK (finite);
    MST_CHECK (rms (x, 2, 0, n / 2, n) > 0.1);
  }
  MST_CHECK (mst_eq_get_nonfinite_count (eq) == 2);
  free (x);
  mst_eq_destroy (&eq);
}

/* The non-finite policy on the paths without a filter: no band at all, or
 * one flat band, with a gain. NaN and Inf come out as the gain times
 * silence, every block that held one is counted, and the next block is
 * the gain times its input. F32 stereo and F64 mono. */
static void
test_nonfinite_gain_only (void)
{
  const size_t n = 4800;
  for (int layout = 0; layout < 4; layout++) {
    const bool f64 = layout & 1, flat_band = layout & 2;
    const int ch = f64 ? 1 : 2;
    MstEq *eq = eq_new (2);
    mst_eq_configure (eq, RATE, ch, f64 ? -1 : 0, f64 ? -1 : 1);
    MstEqSettings s = settings;
    s.num_bands = flat_band ? 1 : 0;
    s.bands[0] = band (MST_FILTER_PEAK, 1000, 0, 1);
    s.gain_db = -6.0;
    apply (eq, &s);
    mst_eq_reset (eq);
    float *x = malloc (sizeof (float) * ch * n);
    double *xd = malloc (sizeof (double) * ch * n);
    const double unity[2] = { 1, 1 };
    const float bad[3] = { NAN, INFINITY, -INFINITY };
    bool finite = true;
    for (int k = 0; k < 3; k++) {
      fill_sine (x, ch, n, 440, 0.3, unity);
      x[1000 * ch] = bad[k];
      x[3000 * ch + ch - 1] = bad[k];
      for (size_t i = 0; i < ch * n; i++)
        xd[i] = x[i];
      if (f64)
        mst_eq_process_f64 (eq, xd, n);
      else
        mst_eq_process_f32 (eq, x, n);
      for (size_t i = 0; i < ch * n; i++)
        finite &= isfinite (f64 ? xd[i] : x[i]);
      MST_CHECK ((f64 ? xd[1000 * ch] : x[1000 * ch]) == 0.0);
    }
    MST_CHECK_MSG (finite, "layout %d", layout);
    /* Blocks of 1024 frames: frames 1000 and 3000 are in two. */
    MST_CHECK_MSG (mst_eq_get_nonfinite_count (eq) == 6,
        "layout %d: count %llu", layout,
        (unsigned long long) mst_eq_get_nonfinite_count (eq));
    fill_sine (x, ch, n, 440, 0.3, unity);
    for (size_t i = 0; i < ch * n; i++)
      xd[i] = x[i];
    float *dry = malloc (sizeof (float) * ch * n);
    memcpy (dry, x, sizeof (float) * ch * n);
    if (f64)
      mst_eq_process_f64 (eq, xd, n);
    else
      mst_eq_process_f32 (eq, x, n);
    double worst = 0;
    for (size_t i = 0; i < ch * n; i++)
      worst = fmax (worst, fabs ((f64 ? xd[i] : x[i]) - dry[i] * 0.5011872));
    MST_CHECK_MSG (worst < 1e-6, "layout %d: %g off the gain", layout, worst);
    free (dry);
    free (x);
    free (xd);
    mst_eq_destroy (&eq);
  }
}

/* test_absurd_burst's output (stereo, @n frames; the caller frees it) for
 * @x with frames @at to @at + @len replaced: @run 0 by silence, 1 by the
 * burst at +-@level, 2 by +-999 (just under the threshold); checks the
 * count of non-finite blocks. */
static double *
absurd_burst_output (const float *x, size_t n, size_t at, size_t len,
    bool f64, double level, int run)
{
  MstEq *eq = eq_new (2);
  mst_eq_configure (eq, RATE, 2, 0, 1);
  MstEqSettings s = settings;
  s.num_bands = 1;
  s.bands[0] = band (MST_FILTER_PEAK, 30, 12, 4);
  apply (eq, &s);
  mst_eq_reset (eq);
  double v = run == 0 ? 0.0 : run == 1 ? level : 999.0;
  double *out = malloc (sizeof (double) * 2 * n);
  float *xf = malloc (sizeof (float) * 2 * n);
  for (size_t i = 0; i < 2 * n; i++) {
    bool in_burst = i / 2 >= at && i / 2 < at + len;
    double xi = in_burst ? ((i / 2 / 24) % 2 ? v : -v) : x[i];
    out[i] = xi;
    xf[i] = (float) (in_burst && !f64 && run == 1 ? (i / 2 / 24) % 2
        ? FLT_MAX : -FLT_MAX : xi);
  }
  for (size_t done = 0; done < n; done += 960) {
    if (f64)
      mst_eq_process_f64 (eq, out + 2 * done, 960);
    else
      mst_eq_process_f32 (eq, xf + 2 * done, 960);
  }
  if (!f64)
    for (size_t i = 0; i < 2 * n; i++)
      out[i] = xf[i];
  free (xf);
  uint64_t count = mst_eq_get_nonfinite_count (eq);
  MST_CHECK_MSG (count == (run == 1 ? 3 : 0),
      "%s run %d: count %llu", f64 ? "F64" : "F32", run,
      (unsigned long long) count);
  mst_eq_destroy (&eq);
  return out;
}

/* A 50 ms burst of +-FLT_MAX (F32) or +-1e300 (F64) through a boomy band
 * (30 Hz, Q 4, +12 dB, whose tail decays 8.7 dB per 42 ms): the output
 * stays finite, the burst is counted, and the output is the one of a
 * fresh equalizer given silence for the burst, to the last bit, so
 * nothing of the burst rings on. Just under +60 dBFS the burst is audio:
 * filtered, not counted. */
static void
test_absurd_burst (void)
{
  const size_t n = 2 * (size_t) RATE, at = 24000, len = 2400;
  for (int f64 = 0; f64 <= 1; f64++) {
    const double level = f64 ? 1e300 : FLT_MAX;
    float *x = malloc (sizeof (float) * 2 * n);
    const double unity[2] = { 1, 1 };
    fill_sine (x, 2, n, 50, 0.1, unity);
    double *ref = absurd_burst_output (x, n, at, len, f64, level, 0), *y[2];
    y[0] = absurd_burst_output (x, n, at, len, f64, level, 1);
    y[1] = absurd_burst_output (x, n, at, len, f64, level, 2);
    bool finite = true;
    double worst = 0, after = 0;
    for (size_t i = 0; i < 2 * n; i++) {
      finite &= isfinite (y[0][i]);
      worst = fmax (worst, fabs (y[0][i] - ref[i]));
      if (i / 2 >= at + len + (size_t) RATE / 2)
        after = fmax (after, fabs (y[1][i] - ref[i]));
    }
    printf ("# burst %s: %g off silence's output at worst; at 999: %.3g "
        "off 0.5 s after\n", f64 ? "F64 +-1e300" : "F32 +-FLT_MAX", worst,
        after);
    MST_CHECK (finite);
    MST_CHECK_MSG (worst == 0.0, "%g", worst);
    /* A loud burst under the threshold is audio: its tail through the
     * band is still there 0.5 s on. */
    MST_CHECK (after > 1e-6);
    free (ref);
    free (y[0]);
    free (y[1]);
    free (x);
  }
}

/* Silence after loud audio decays to exact zeros, never through denormals
 * (which would make every following multiply-add slow). */
static void
test_no_denormals (void)
{
  MstEq *eq = eq_new (1);
  const size_t n = 48000;
  double *x = malloc (sizeof (double) * n);
  MstEqBandSettings s = band (MST_FILTER_PEAK, 30, 12, 8);
  mst_eq_configure (eq, RATE, 1, -1, -1);
  set_band (eq, 0, &s);
  mst_eq_reset (eq);
  for (size_t i = 0; i < n; i++)
    x[i] = sin (2 * M_PI * 30 * i / RATE);
  mst_eq_process_f64 (eq, x, n);
  int subnormal = 0;
  for (int second = 0; second < 30; second++) {
    memset (x, 0, sizeof (double) * n);
    mst_eq_process_f64 (eq, x, n);
    for (size_t i = 0; i < n; i++) {
      subnormal += fpclassify (x[i]) == FP_SUBNORMAL;
    }
  }
  MST_CHECK_MSG (subnormal == 0, "%d subnormal samples", subnormal);
  MST_CHECK_MSG (fabs (x[n - 1]) < 1e-30, "%g", x[n - 1]);
  free (x);
  mst_eq_destroy (&eq);
}

/* The extreme corner: a 20 Hz bell of Q 0.1 at 384 kHz on F32 input. The
 * poles sit within 1e-4 of z = 1; in double precision the output stays a
 * clean sine (no drift of level, no noise above the F32 output's own
 * rounding). */
static void
test_extreme_low_bell (void)
{
  const double rate = 384000, f = 1000;
  const size_t n = 384000;
  MstEq *eq = eq_new (1);
  float *x = malloc (sizeof (float) * n);
  for (int sign = -1; sign <= 1; sign += 2) {
    MstEqBandSettings s = band (MST_FILTER_PEAK, 20, 12 * sign, 0.1);
    MST_CHECK (mst_eq_configure (eq, rate, 1, -1, -1) == MST_OK);
    set_band (eq, 0, &s);
    mst_eq_reset (eq);
    double level[10] = { 0 };
    for (int second = 0; second < 10; second++) {
      for (size_t i = 0; i < n; i++)
        x[i] = (float) (0.5 * sin (2 * M_PI * f * (second * n + i) / rate));
      mst_eq_process_f32 (eq, x, n);
      /* Least-squares fit of a sine and cosine at f: what is left is
       * noise. */
      double ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
      for (size_t i = 0; i < n; i++) {
        double ph = 2 * M_PI * f * (second * n + i) / rate;
        double sn = sin (ph), cs = cos (ph);
        ss += sn * sn;
        cc += cs * cs;
        sc += sn * cs;
        xs += x[i] * sn;
        xc += x[i] * cs;
      }
      double det = ss * cc - sc * sc;
      double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
      double noise = 0;
      for (size_t i = 0; i < n; i++) {
        double ph = 2 * M_PI * f * (second * n + i) / rate;
        double r = x[i] - a * sin (ph) - b * cos (ph);
        noise += r * r;
      }
      level[second] = sqrt (a * a + b * b);
      double noise_db = 10 * log10 (noise / n) - 20 * log10 (level[second]
          / sqrt (2));
      /* From the third second on: the slowest pole (about 1 Hz, for -12 dB)
       * takes that long to forget the start. */
      if (second >= 3)
        MST_CHECK_MSG (noise_db < -130, "gain %+d: noise %.1f dB below the "
            "sine in second %d", 12 * sign, -noise_db, second);
    }
    double want = 0.5 * pow (10, mst_filter_analog_db (&(MstFilterParams) {
            MST_FILTER_PEAK, 20, 12 * sign, 0.1, 12}, f) / 20);
    for (int second = 3; second < 10; second++)
      MST_CHECK_MSG (fabs (20 * log10 (level[second] / want)) < 0.01,
          "gain %+d, second %d: %.4f dB off", 12 * sign, second,
          20 * log10 (level[second] / want));
  }
  free (x);
  mst_eq_destroy (&eq);
}

/* Reset clears history: silence in, exact silence out. */
static void
test_reset (void)
{
  MstEq *eq = eq_new (2);
  float x[2 * 512];
  MstEqBandSettings s = band (MST_FILTER_PEAK, 100, 12, 10);
  mst_eq_configure (eq, RATE, 2, 0, 1);
  set_band (eq, 0, &s);
  mst_eq_reset (eq);
  for (int i = 0; i < 2 * 512; i++)
    x[i] = (i % 7) ? 0.9f : -0.9f;
  mst_eq_process_f32 (eq, x, 512);
  mst_eq_reset (eq);
  memset (x, 0, sizeof x);
  mst_eq_process_f32 (eq, x, 512);
  for (int i = 0; i < 2 * 512; i++)
    MST_CHECK (x[i] == 0.0f);
  mst_eq_destroy (&eq);
}

/* The contract of mst-core.h: defaults in one place, a set that applies
 * nothing when one field is invalid, and only what changed otherwise. */
static void
test_settings_contract (void)
{
  MstEq *eq = eq_new (2);
  MstEqSettings s;
  float x[2 * 256], dry[2 * 256];

  mst_eq_settings_default (&s);
  MST_CHECK (s.num_bands == 10 && s.gain_db == 0.0 && !s.bypass);
  for (int b = 0; b < MST_EQ_MAX_BANDS; b++) {
    MST_CHECK (s.bands[b].filter.type == MST_FILTER_PEAK);
    MST_CHECK (s.bands[b].filter.gain_db == 0.0 && s.bands[b].enabled);
    MST_CHECK (s.bands[b].filter.freq_hz
        == (b < 10 ? 31.25 * (1 << b) : 1000.0));
  }
  MST_CHECK (mst_eq_configure (eq, RATE, 2, 0, 1) == MST_OK);
  MST_CHECK (mst_eq_is_passthrough (eq));
  /* A valid gain next to an invalid band: nothing is applied. */
  s.gain_db = -6.0;
  s.bands[7].filter.q = 0.0;
  MST_CHECK (mst_eq_set (eq, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_is_passthrough (eq));
  for (int i = 0; i < 2 * 256; i++)
    x[i] = dry[i] = (float) sin (0.01 * i);
  MST_CHECK (mst_eq_process_f32 (eq, x, 256) == MST_OK);
  MST_CHECK (memcmp (x, dry, sizeof x) == 0);
  /* The same settings again change nothing; the valid ones apply. */
  mst_eq_settings_default (&s);
  MST_CHECK (mst_eq_set (eq, &s) == MST_OK);
  MST_CHECK (mst_eq_is_passthrough (eq));
  s.gain_db = -6.0;
  MST_CHECK (mst_eq_set (eq, &s) == MST_OK);
  MST_CHECK (!mst_eq_is_passthrough (eq));
  mst_eq_destroy (&eq);
}

static void
test_invalid_arguments (void)
{
  MstEq *eq = eq_new (2);
  MstEqBandSettings s = band (MST_FILTER_PEAK, -5, 0, 1);
  MST_CHECK (eq_new (0) == NULL);
  MST_CHECK (eq_new (MST_MAX_CHANNELS + 1) == NULL);
  MST_CHECK (mst_eq_configure (eq, 1000, 2, 0, 1) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_configure (eq, 48000, 3, 0, 1) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_configure (eq, 48000, 2, 0, 0) == MST_ERR_INVALID_ARG);
  MST_CHECK (set_band (eq, 0, &s) == MST_ERR_INVALID_ARG);
  MST_CHECK (set_num_bands (eq, MST_EQ_MAX_BANDS + 1) == MST_ERR_INVALID_ARG);
  MST_CHECK (set_num_bands (eq, -1) == MST_ERR_INVALID_ARG);
  MST_CHECK (set_gain_db (eq, NAN) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_set (eq, NULL) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_set (NULL, &settings) == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_eq_process_f32 (NULL, NULL, 0) == MST_ERR_INVALID_ARG);
  mst_eq_destroy (&eq);
  mst_eq_destroy (&eq);         /* harmless on NULL */
}

int
main (void)
{
  MST_RUN (test_running_response);
  MST_RUN (test_cascade_response);
  MST_RUN (test_passthrough_bit_exact);
  MST_RUN (test_smooth_changes);
  MST_RUN (test_glide_handover_stereo);
  MST_RUN (test_mid_side_routing);
  MST_RUN (test_nonfinite_recovery);
  MST_RUN (test_nonfinite_gain_only);
  MST_RUN (test_absurd_burst);
  MST_RUN (test_no_denormals);
  MST_RUN (test_extreme_low_bell);
  MST_RUN (test_reset);
  MST_RUN (test_settings_contract);
  MST_RUN (test_invalid_arguments);
  return mst_test_summary ();
}
