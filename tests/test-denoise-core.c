/* The denoise core on arrays: perfect reconstruction, alignment, the SDR
 * it gains on generated music under white and pink hiss (tracked noise
 * and learned profile), the tracked and learned noise floors against the
 * true one, a residual that stays the noise scaled (no twinkling), bypass
 * and the drain. */
#include "mst-biquad.h"
#include "mst-denoise.h"
#include "mst-signals.h"
#include "mst-test.h"

#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define CH 2
#define SECONDS 6

/* What the SDR must gain, dB: twice the 1 dB just-noticeable change of a
 * noise's level. This music's hi-hats and snare lie at the hiss's level
 * over most of the band, so even a Wiener mask computed from the clean
 * signal itself gains only 6.8 dB at -45 dBFS white hiss (scipy, in
 * docs/plots/denoise.py). The comparison with FFmpeg's afftdn (the
 * issue's +3 dB over it) is bench/bench.py's, both measured there. */
#define MIN_SDR_GAIN_DB 2.0
/* Tracking, which must tell the noise from the music by itself, has to
 * gain something in every case: pink hiss at -45 dBFS lies under this
 * music's bass and chords, where the tracker cannot see it. */
#define MIN_SDR_GAIN_TRACKED_DB 0.5
/* Pink hiss, tracked: what the long transform for the lows (8192 points
 * under 800 Hz) is there for. One 2048-point transform gained +2.0 and
 * +3.2 dB here (issue 16's open figure), the two transforms +2.6 and +4.3;
 * with the long layer's partials spared by the band factor and its
 * decision-directed weight at 0.6 they gain +3.1 and +4.3; with the onset
 * crossfade, partials judged over 400 ms and the weights 0.8 and 0.85,
 * +3.15 and +4.64; with the short layer's weight 0.7, presence to 3 and
 * 20 ms release, +3.16 and +4.67; with the short layer's tracker over
 * 25 ms and the long layer's minimum over 3 s, +3.25 and +4.71: these
 * floors are that less about 0.3 dB, so a regression fails. */
#define MIN_SDR_GAIN_PINK_45_DB 2.95
#define MIN_SDR_GAIN_PINK_35_DB 4.4

static double
sdr_db (const float *clean, const float *y, size_t from, size_t to)
{
  double s = 0, e = 0;
  for (size_t i = from * CH; i < to * CH; i++) {
    double d = (double) y[i] - clean[i];
    s += (double) clean[i] * clean[i];
    e += d * d;
  }
  return 10 * log10 (s / e);
}

/* @x (n frames) through a fresh core with @s, in blocks of 480 frames,
 * drained: n frames out, frame i for input frame i. @learn_frames > 0:
 * learn on the first frames, then stop. */
static float *
run_core (const MstDenoiseSettings * s, const float *x, size_t n,
    size_t learn_frames, MstDenoise ** keep)
{
  MstDenoise *dn = mst_denoise_init (CH);
  MST_CHECK (dn != NULL);
  MST_CHECK (mst_denoise_configure (dn, RATE, CH) == MST_OK);
  MstDenoiseSettings set = *s;
  set.learn = learn_frames > 0;
  MST_CHECK (mst_denoise_set (dn, &set) == MST_OK);
  float *y = calloc (n * CH, sizeof (float));
  size_t out = 0;
  for (size_t i = 0; i < n;) {
    size_t b = n - i < 480 ? n - i : 480;
    if (learn_frames && i < learn_frames && i + b > learn_frames)
      b = learn_frames - i;
    size_t k = 0;
    MST_CHECK (mst_denoise_process_f32 (dn, x + i * CH, b, y + out * CH,
            &k) == MST_OK);
    out += k;
    i += b;
    if (learn_frames && i == learn_frames) {
      set.learn = false;
      MST_CHECK (mst_denoise_set (dn, &set) == MST_OK);
    }
  }
  MST_CHECK (mst_denoise_get_pending (dn) == mst_denoise_get_latency (dn));
  size_t k = 0;
  if (keep) {
    /* The caller reads the state, then drains. */
    *keep = dn;
    return y;
  }
  MST_CHECK (mst_denoise_drain_f32 (dn, y + out * CH, &k) == MST_OK);
  out += k;
  MST_CHECK (out == n);
  mst_denoise_destroy (&dn);
  return y;
}

static float *
noisy (const float *clean, size_t n, bool pink, double level_dbfs,
    uint32_t seed)
{
  float *x = malloc (n * CH * sizeof (float));
  if (pink)
    mst_signal_pink_noise (x, n, CH, level_dbfs, seed);
  else
    mst_signal_white_noise (x, n, CH, level_dbfs, seed);
  for (size_t i = 0; i < n * CH; i++)
    x[i] += clean[i];
  return x;
}

static void
test_perfect_reconstruction (void)
{
  const size_t n = 2 * RATE;
  float *x = malloc (n * CH * sizeof (float));
  mst_signal_music (x, n, CH, RATE, 3);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  s.reduction_db = 0;
  float *y = run_core (&s, x, n, 0, NULL);
  double worst = 0;
  for (size_t i = 0; i < n * CH; i++)
    worst = fmax (worst, fabs ((double) y[i] - x[i]));
  printf ("  reduction 0: largest difference from the input %.3g\n", worst);
  MST_CHECK_MSG (worst <= 1e-6, "%g", worst);
  free (x);
  free (y);
}

/* The lag (frames, |lag| <= 3000) at which @y correlates best with @x,
 * channel 0. */
static int
best_lag (const float *x, const float *y, size_t n)
{
  int best = 0;
  double best_c = -INFINITY;
  for (int lag = -3000; lag <= 3000; lag++) {
    double c = 0;
    for (size_t i = 4000; i + 4000 < n; i += 1)
      c += (double) x[i * CH] * y[(i + lag) * CH];
    if (c > best_c) {
      best_c = c;
      best = lag;
    }
  }
  return best;
}

static void
test_alignment (void)
{
  const size_t n = RATE;
  float *clean = malloc (n * CH * sizeof (float));
  mst_signal_music (clean, n, CH, RATE, 4);
  float *x = noisy (clean, n, false, -35, 5);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  float *y = run_core (&s, x, n, 0, NULL);
  int lag = best_lag (clean, y, n);
  printf ("  cross-correlation peak at lag %d\n", lag);
  MST_CHECK_MSG (lag == 0, "lag %d", lag);
  free (clean);
  free (x);
  free (y);
}

static void
check_sdr (bool pink, double level, bool learned)
{
  const size_t intro = learned ? 2 * RATE : 0;
  const size_t n_music = SECONDS * RATE, n = intro + n_music;
  float *clean = calloc (n * CH, sizeof (float));
  mst_signal_music (clean + intro * CH, n_music, CH, RATE, 1);
  float *x = noisy (clean, n, pink, level, 7);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  float *y = run_core (&s, x, n, intro, NULL);
  double before = sdr_db (clean, x, intro, n);
  double after = sdr_db (clean, y, intro, n);
  printf ("  %s hiss at %.0f dBFS, %s: SDR %.2f -> %.2f dB (%+.2f)\n",
      pink ? "pink" : "white", level, learned ? "learned" : "tracked",
      before, after, after - before);
  double min_gain = learned ? MIN_SDR_GAIN_DB : !pink
      ? MIN_SDR_GAIN_TRACKED_DB : level < -40 ? MIN_SDR_GAIN_PINK_45_DB
      : MIN_SDR_GAIN_PINK_35_DB;
  MST_CHECK_MSG (after - before >= min_gain, "%s %.0f %s: %+.2f dB",
      pink ? "pink" : "white", level, learned ? "learned" : "tracked",
      after - before);
  free (clean);
  free (x);
  free (y);
}

static void
test_sdr_tracked (void)
{
  check_sdr (false, -45, false);
  check_sdr (false, -35, false);
  check_sdr (true, -45, false);
  check_sdr (true, -35, false);
}

static void
test_sdr_learned (void)
{
  check_sdr (false, -45, true);
  check_sdr (false, -35, true);
  check_sdr (true, -45, true);
  check_sdr (true, -35, true);
}

/* The power of channel 0 .. CH - 1 of @x from frame @from to @to through
 * 24 dB/octave cuts below @lo_hz and above @hi_hz (0: none). */
/* The power of @x's frames @from to @to - 1 (both channels) between
 * @lo_hz and @hi_hz (0: no upper edge), the filters run from frame 0;
 * with @window > 0, into @out per window of that many frames from @from
 * instead (the return value then their sum). */
static double
band_powers (const float *x, size_t from, size_t to, double lo_hz,
    double hi_hz, size_t window, double *out)
{
  MstBiquadCascade lo = { 0 }, hi = { 0 };
  MstFilterParams p = { MST_FILTER_LOW_CUT, lo_hz, 0.0, M_SQRT1_2, 24 };
  MST_CHECK (mst_filter_design (&p, RATE, lo.coefs, &lo.n_sections)
      == MST_OK);
  if (hi_hz > 0) {
    p.type = MST_FILTER_HIGH_CUT;
    p.freq_hz = hi_hz;
    MST_CHECK (mst_filter_design (&p, RATE, hi.coefs, &hi.n_sections)
        == MST_OK);
  }
  double *planar = malloc (to * CH * sizeof (double)), sum = 0;
  for (size_t i = 0; i < to; i++)
    for (int c = 0; c < CH; c++)
      planar[c * to + i] = x[i * CH + c];
  const int channels[CH] = { 0, 1 };
  mst_biquad_cascade_run (&lo, channels, CH, planar, to, NULL, (int) to);
  mst_biquad_cascade_run (&hi, channels, CH, planar, to, NULL, (int) to);
  for (int c = 0; c < CH; c++)
    for (size_t i = from; i < to; i++) {
      double e = planar[c * to + i] * planar[c * to + i];
      sum += e;
      if (window > 0)
        out[(i - from) / window] += e;
    }
  free (planar);
  return sum;
}

static double
band_power (const float *x, size_t from, size_t to, double lo_hz,
    double hi_hz)
{
  return band_powers (x, from, to, lo_hz, hi_hz, 0, NULL);
}

/* Hiss alone: the tracked floor reads its level, and the residual is the
 * hiss lowered by the reduction (the gains on their floor: no twinkling
 * tones above it), in the long transform's range (20 to 1280 Hz) and the
 * short one's (above), over 4 s after the first 2 s, on three hisses
 * (seeds): the power of the three residuals against the three hisses'.
 * Under 20 Hz the hiss passes (test_profile_low_edge says why). Measured
 * here, the long range: 5.42 dB over the floor on white and 6.41 on pink
 * before the long layer's presence thresholds were raised to 2 and 4,
 * 1.82 and 1.83 after; seeds 1 to 10 one by one, -14.4 to -15.7 dB on
 * white and -11.8 to -15.0 on pink before, -17.7 to -19.1 and -14.2 to
 * -19.1 after. With the partials judged against the larger of a bin's
 * noise and its neighbours' mean and the band mean's SNR capped
 * (test_hiss_steady), 0.31 and 0.35 dB over the floor (-19.69 and
 * -19.65 dB). */
#define MAX_RESIDUAL_OVER_FLOOR_DB 3.0

static void
check_hiss_alone (bool pink)
{
  const size_t n = 6 * RATE;
  const double level = -45;
  const uint32_t seeds[] = { 9, 1, 2 };
  const double split_hz = 1280.0;
  double in_lo = 0, out_lo = 0, in_hi = 0, out_hi = 0;
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  for (size_t t = 0; t < sizeof seeds / sizeof seeds[0]; t++) {
    float *x = malloc (n * CH * sizeof (float));
    if (pink)
      mst_signal_pink_noise (x, n, CH, level, seeds[t]);
    else
      mst_signal_white_noise (x, n, CH, level, seeds[t]);
    MstDenoise *dn = NULL;
    float *y = run_core (&s, x, n, 0, &dn);
    double floor_db = mst_denoise_get_noise_floor (dn);
    MST_CHECK_MSG (fabs (floor_db - level) <= 1.0, "floor %.2f", floor_db);
    /* The output so far (n - latency frames) against the same input. */
    size_t m = n - mst_denoise_get_latency (dn);
    in_lo += band_power (x, 2 * RATE, m, 20.0, split_hz);
    out_lo += band_power (y, 2 * RATE, m, 20.0, split_hz);
    in_hi += band_power (x, 2 * RATE, m, split_hz, 0);
    out_hi += band_power (y, 2 * RATE, m, split_hz, 0);
    mst_denoise_destroy (&dn);
    free (x);
    free (y);
  }
  double lo_db = 10 * log10 (out_lo / in_lo), hi_db = 10 * log10 (out_hi
      / in_hi);
  printf ("  %s hiss alone at %.0f dBFS, three seeds: residual %.2f dB "
      "from 20 to %.0f Hz, %.2f dB above (reduction %.0f dB)\n",
      pink ? "pink" : "white", level, lo_db, split_hz, hi_db,
      s.reduction_db);
  MST_CHECK_MSG (lo_db <= -s.reduction_db + MAX_RESIDUAL_OVER_FLOOR_DB,
      "residual %.2f dB", lo_db);
  MST_CHECK_MSG (hi_db <= -s.reduction_db + MAX_RESIDUAL_OVER_FLOOR_DB,
      "residual %.2f dB", hi_db);
  MST_CHECK_MSG (lo_db >= -s.reduction_db - 1.0, "residual %.2f dB", lo_db);
  MST_CHECK_MSG (hi_db >= -s.reduction_db - 1.0, "residual %.2f dB", hi_db);
}

static void
test_hiss_alone (void)
{
  check_hiss_alone (false);
  check_hiss_alone (true);
}

/* Hiss alone, steadily: the residual from 20 to 1280 Hz (the long
 * transform's range) in each second from 2 to 10 s, on hisses whose
 * worst second lay high (seeds 7 and 8 pink, 2 and 10 white, of 1 to
 * 10), each second's within this of the floor. A second over it is the
 * low hiss breathing up in a pause. Measured here before the long
 * layer's partials were judged against the larger of a bin's noise and
 * its neighbours' mean and its band mean's SNR capped (KEEP_NOISE_BINS,
 * PRES_SNR_CAP_LONG in mst-denoise.c): the worst second -13.66 dB on
 * pink (seed 7; seed 8 -14.42), -16.55 on white (seed 2; seed 10
 * -16.83); with them -16.16 and -19.51 (seed 8 -19.02, seed 10
 * -19.57). The bounds lie between, about 1.3 dB from each. */
#define MAX_WORST_SECOND_OVER_FLOOR_PINK_DB 5.0
#define MAX_WORST_SECOND_OVER_FLOOR_WHITE_DB 2.0

static void
check_hiss_steady (bool pink)
{
  const size_t from = 2 * RATE, seconds = 8, n = 10 * RATE + RATE / 2;
  const double level = -45, split_hz = 1280.0;
  const uint32_t seeds[2][2] = { {2, 10}, {7, 8} };
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  double worst = -INFINITY;
  for (int t = 0; t < 2; t++) {
    float *x = malloc (n * CH * sizeof (float));
    if (pink)
      mst_signal_pink_noise (x, n, CH, level, seeds[pink][t]);
    else
      mst_signal_white_noise (x, n, CH, level, seeds[pink][t]);
    MstDenoise *dn = NULL;
    float *y = run_core (&s, x, n, 0, &dn);
    /* The output so far (n - latency frames) covers the seconds. */
    MST_CHECK (n - mst_denoise_get_latency (dn) >= from + seconds * RATE);
    double in[8] = { 0 }, out[8] = { 0 }, seed_worst = -INFINITY;
    band_powers (x, from, from + seconds * RATE, 20.0, split_hz, RATE, in);
    band_powers (y, from, from + seconds * RATE, 20.0, split_hz, RATE, out);
    for (size_t i = 0; i < seconds; i++) {
      double db = 10 * log10 (out[i] / in[i]);
      seed_worst = db > seed_worst ? db : seed_worst;
    }
    printf ("  %s hiss alone at %.0f dBFS, seed %u: worst second %.2f dB "
        "from 20 to %.0f Hz\n", pink ? "pink" : "white", level,
        seeds[pink][t], seed_worst, split_hz);
    worst = seed_worst > worst ? seed_worst : worst;
    mst_denoise_destroy (&dn);
    free (x);
    free (y);
  }
  MST_CHECK_MSG (worst <= -s.reduction_db + (pink
          ? MAX_WORST_SECOND_OVER_FLOOR_PINK_DB
          : MAX_WORST_SECOND_OVER_FLOOR_WHITE_DB), "worst second %.2f dB",
      worst);
}

static void
test_hiss_steady (void)
{
  check_hiss_steady (false);
  check_hiss_steady (true);
}

/* Onsets: tone bursts (250 and 530 Hz, decaying in 40 ms, a kick's body)
 * every 0.5 s under pink hiss at -45 dBFS. The long transform, alone,
 * smears each onset: in its frames that hold one, the gains take out part
 * of the attack and leave the hiss before it. Where the short transform
 * takes over around onsets the SDR over 20 ms before to 40 ms after each
 * onset gains +2.4 dB and the error in the 20 ms before an onset lies
 * 2.1 dB under the hiss; without (the core before that change), +1.85 dB
 * and 1.2 dB (measured on this signal): the floors lie between. */
#define MIN_ONSET_SDR_GAIN_DB 2.2
#define MAX_PRE_ONSET_ERROR_DB -1.8

static void
test_onsets (void)
{
  const size_t n = 4 * RATE, period = RATE / 2;
  float *clean = calloc (n * CH, sizeof (float));
  for (size_t i = period; i < n; i++) {
    double t = (double) (i % period) / RATE;
    double v = 0.1 * exp (-t / 0.04) * (sin (2 * M_PI * 250 * t)
        + 0.5 * sin (2 * M_PI * 530 * t));
    clean[i * CH] = clean[i * CH + 1] = (float) v;
  }
  float *x = noisy (clean, n, true, -45, 7);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  float *y = run_core (&s, x, n, 0, NULL);
  /* From the second burst on (the tracker has seen 1 s). */
  double sig = 0, err = 0, err_in = 0, pre = 0, pre_in = 0;
  for (size_t o = 2 * period; o + period <= n; o += period) {
    for (size_t i = (o - RATE / 50) * CH; i < (o + RATE / 25) * CH; i++) {
      double d = (double) y[i] - clean[i], d_in = (double) x[i] - clean[i];
      sig += (double) clean[i] * clean[i];
      err += d * d;
      err_in += d_in * d_in;
      if (i < o * CH) {
        pre += d * d;
        pre_in += d_in * d_in;
      }
    }
  }
  double gain = 10 * log10 (err_in / err), pre_db = 10 * log10 (pre / pre_in);
  printf ("  onsets under pink hiss at -45 dBFS: SDR %.2f -> %.2f dB (%+.2f) "
      "from 20 ms before to 40 ms after; error before them %.2f dB re the "
      "hiss\n", 10 * log10 (sig / err_in), 10 * log10 (sig / err), gain,
      pre_db);
  MST_CHECK_MSG (gain >= MIN_ONSET_SDR_GAIN_DB, "%+.2f dB", gain);
  MST_CHECK_MSG (pre_db <= MAX_PRE_ONSET_ERROR_DB, "%.2f dB", pre_db);
  free (clean);
  free (x);
  free (y);
}

/* Bypass from the start: the input delayed, bit for bit. */
static void
test_bypass (void)
{
  const size_t n = RATE / 2;
  float *x = malloc (n * CH * sizeof (float));
  mst_signal_music (x, n, CH, RATE, 8);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  s.bypass = true;
  float *y = run_core (&s, x, n, 0, NULL);
  MST_CHECK (memcmp (x, y, n * CH * sizeof (float)) == 0);
  free (x);
  free (y);
}

/* Digital silence has no noise floor: -INFINITY, not the log of a clamp
 * (gst-master analyze prints "-" and null for it). */
static void
test_silence_floor (void)
{
  const size_t n = 2 * RATE;
  float *x = calloc (n * CH, sizeof (float));
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  MstDenoise *dn = NULL;
  float *y = run_core (&s, x, n, 0, &dn);
  double floor_db = mst_denoise_get_noise_floor (dn);
  printf ("  digital silence: noise floor %g dBFS\n", floor_db);
  MST_CHECK_MSG (isinf (floor_db) && floor_db < 0, "%g", floor_db);
  mst_denoise_destroy (&dn);
  free (x);
  free (y);
}

/* A given profile describes the noise from its lowest band's lower edge
 * (17.5 Hz) up: under it the bins hold only what the analysis window
 * leaks of the noise above, and a sub-audio tone there passes. A 5 Hz
 * tone alone under a white profile as strong as the tone in its long bin:
 * with the lowest band's density held down to 0 Hz (the core before) the
 * tone came out 20.0 dB down, on the reduction's floor; now 0.22 dB
 * (measured here), the bound about 0.3 under it. The profile reads back
 * as given. */
#define MIN_SUBSONIC_LEVEL_DB -0.5

static void
test_profile_low_edge (void)
{
  const size_t n = 4 * RATE;
  float *x = malloc (n * CH * sizeof (float));
  for (size_t i = 0; i < n; i++)
    x[i * CH] = x[i * CH + 1] = (float) (0.01 * sin (2 * M_PI * 5.0 * i
            / RATE));
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  s.has_profile = true;
  for (int b = 0; b < MST_DENOISE_PROFILE_BANDS; b++)
    s.profile_db[b] = -52.0 + 0.1 * b;
  MstDenoise *dn = NULL;
  float *y = run_core (&s, x, n, 0, &dn);
  double got[MST_DENOISE_PROFILE_BANDS];
  MST_CHECK (mst_denoise_get_profile (dn, got) == MST_OK);
  for (int b = 0; b < MST_DENOISE_PROFILE_BANDS; b++)
    MST_CHECK_MSG (got[b] == s.profile_db[b], "band %d: %g", b, got[b]);
  mst_denoise_destroy (&dn);
  /* The last 2 s (the output frames the core has passed). */
  double in = 0, out = 0;
  for (size_t i = RATE * CH; i < 3 * RATE * CH; i++) {
    in += (double) x[i] * x[i];
    out += (double) y[i] * y[i];
  }
  double level = 10 * log10 (out / in);
  printf ("  5 Hz tone under a profile from 17.5 Hz up: %.2f dB\n", level);
  MST_CHECK_MSG (level >= MIN_SUBSONIC_LEVEL_DB, "%.2f dB", level);
  free (x);
  free (y);
}

/* Channel 0 of @x (@stride floats a frame) through a fresh mono core
 * with @s, drained: n frames out. */
static float *
run_mono (const MstDenoiseSettings * s, const float *x, size_t stride,
    size_t n)
{
  MstDenoise *dn = mst_denoise_init (1);
  MST_CHECK (dn != NULL);
  MST_CHECK (mst_denoise_configure (dn, RATE, 1) == MST_OK);
  MST_CHECK (mst_denoise_set (dn, s) == MST_OK);
  float *in = malloc (n * sizeof (float)), *y = calloc (n, sizeof (float));
  for (size_t i = 0; i < n; i++)
    in[i] = x[i * stride];
  size_t out = 0, k = 0;
  for (size_t i = 0; i < n; i += 480) {
    size_t b = n - i < 480 ? n - i : 480;
    MST_CHECK (mst_denoise_process_f32 (dn, in + i, b, y + out, &k)
        == MST_OK);
    out += k;
  }
  MST_CHECK (mst_denoise_drain_f32 (dn, y + out, &k) == MST_OK);
  MST_CHECK (out + k == n);
  mst_denoise_destroy (&dn);
  free (in);
  return y;
}

/* The SDR gain of channel 0 (@stride floats a frame in @clean and @x,
 * @y_stride in @y) over seconds 1 to the last but one. */
static double
sdr_gain_ch0 (const float *clean, const float *x, size_t stride,
    const float *y, size_t y_stride, size_t n)
{
  double e_in = 0, e_out = 0;
  for (size_t i = RATE; i < n - RATE; i++) {
    double d_in = (double) x[i * stride] - clean[i * stride];
    double d = (double) y[i * y_stride] - clean[i * stride];
    e_in += d_in * d_in;
    e_out += d * d;
  }
  return 10 * log10 (e_in / e_out);
}

/* A stereo stream with a profile is denoised as mid and side where its
 * music is centred, as left and right where it is not, and the profile's
 * noise split between mid and side as the channels' noises correlate
 * (gst/mst-denoise.c, MID_SIDE_PROFILE). The music in both channels
 * under independent white hiss at -45 dBFS, given its profile: the mid
 * holds half the hiss, so the left channel gains more than the same
 * channel through a mono core (by MIN_MID_SIDE_ADVANTAGE_DB at least: a
 * quarter of the 3 dB that half the hiss is). The music in the left
 * channel alone: what the left channel gains stays within
 * MAX_HARD_PANNED_LOSS_DB of the mono core's (mid and side would each
 * hold it at half its power over half the hiss: 3 dB less SNR). And the
 * same hiss in both channels, alone: it is all in the mid, and the
 * residual lies on the reduction's floor as with check_hiss_alone (taken
 * as independent, the mid would see half of it and keep more). */
#define MIN_MID_SIDE_ADVANTAGE_DB 0.75
#define MAX_HARD_PANNED_LOSS_DB 0.2

static void
test_profile_stereo (void)
{
  const size_t n = SECONDS * RATE;
  const double level = -45;
  float *music = calloc (n * CH, sizeof (float));
  mst_signal_music (music, n, CH, RATE, 1);
  float *hiss = malloc (n * CH * sizeof (float));
  mst_signal_white_noise (hiss, n, CH, level, 7);
  MstDenoiseSettings s;
  mst_denoise_settings_default (&s);
  s.has_profile = true;
  for (int b = 0; b < MST_DENOISE_PROFILE_BANDS; b++)
    s.profile_db[b] = level - 10 * log10 (RATE / 2.0);
  float *clean = calloc (n * CH, sizeof (float));
  float *x = malloc (n * CH * sizeof (float));
  for (int centred = 1; centred >= 0; centred--) {
    for (size_t i = 0; i < n; i++) {
      clean[i * CH] = music[i * CH];
      clean[i * CH + 1] = centred ? music[i * CH] : 0.0f;
    }
    for (size_t i = 0; i < n * CH; i++)
      x[i] = clean[i] + hiss[i];
    float *y = run_core (&s, x, n, 0, NULL);
    float *y_mono = run_mono (&s, x, CH, n);
    double stereo = sdr_gain_ch0 (clean, x, CH, y, CH, n);
    double mono = sdr_gain_ch0 (clean, x, CH, y_mono, 1, n);
    printf ("  music %s under independent white hiss at %.0f dBFS, "
        "profile: left channel %+.2f dB of SDR, %+.2f through a mono "
        "core\n", centred ? "centred" : "in the left channel", level,
        stereo, mono);
    if (centred)
      MST_CHECK_MSG (stereo - mono >= MIN_MID_SIDE_ADVANTAGE_DB,
          "%+.2f against %+.2f dB", stereo, mono);
    else
      MST_CHECK_MSG (stereo - mono >= -MAX_HARD_PANNED_LOSS_DB,
          "%+.2f against %+.2f dB", stereo, mono);
    free (y);
    free (y_mono);
  }
  for (size_t i = 0; i < n; i++)
    x[i * CH] = x[i * CH + 1] = hiss[i * CH];
  float *y = run_core (&s, x, n, 0, NULL);
  double in = 0, out = 0;
  for (size_t i = 2 * RATE * CH; i < (n - RATE) * CH; i++) {
    in += (double) x[i] * x[i];
    out += (double) y[i] * y[i];
  }
  double residual_db = 10 * log10 (out / in);
  printf ("  the same white hiss in both channels, profile: residual "
      "%.2f dB (reduction %.0f dB)\n", residual_db, s.reduction_db);
  MST_CHECK_MSG (residual_db <= -s.reduction_db + 2.0, "residual %.2f dB",
      residual_db);
  free (y);
  free (music);
  free (hiss);
  free (clean);
  free (x);
}

int
main (void)
{
  MST_RUN (test_perfect_reconstruction);
  MST_RUN (test_alignment);
  MST_RUN (test_sdr_tracked);
  MST_RUN (test_sdr_learned);
  MST_RUN (test_hiss_alone);
  MST_RUN (test_hiss_steady);
  MST_RUN (test_onsets);
  MST_RUN (test_bypass);
  MST_RUN (test_silence_floor);
  MST_RUN (test_profile_low_edge);
  MST_RUN (test_profile_stereo);
  return mst_test_summary ();
}
