/* Tests of the BS.1770 blocks on plain arrays: the K-weighting design
 * against BS.1770-4 Annex 1 Tables 1-2 and its response, the Table 3
 * weights and default layouts, power <-> LUFS, tick energies (a 997 Hz
 * sine reads -3.01 LKFS; results do not depend on how the input is cut),
 * and the gating histogram against a brute-force gated mean and sorted
 * percentiles on random blocks. */
#include "mst-bs1770.h"
#include "mst-test.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Coefficients as b0, b1, b2, a1, a2 of both sections. */
static void
check_sections (const MstBiquad k[2], const double shelf[5],
    const double hp_a[2])
{
  const double got[5] = { k[0].b0, k[0].b1, k[0].b2, k[0].a1, k[0].a2 };
  /* The tables give 14 decimals. */
  for (int i = 0; i < 5; i++)
    MST_CHECK_CLOSE (got[i], shelf[i], 1e-13);
  MST_CHECK (k[1].b0 == 1.0 && k[1].b1 == -2.0 && k[1].b2 == 1.0);
  MST_CHECK_CLOSE (k[1].a1, hp_a[0], 1e-13);
  MST_CHECK_CLOSE (k[1].a2, hp_a[1], 1e-13);
}

static void
test_kweighting_tables (void)
{
  MstBiquad k[2];

  /* BS.1770-4 Annex 1, Tables 1 (shelf) and 2 (RLB high-pass), 48 kHz. */
  static const double shelf_48k[5] = { 1.53512485958697, -2.69169618940638,
    1.19839281085285, -1.69065929318241, 0.73248077421585
  };
  static const double hp_48k[2] = { -1.99004745483398, 0.99007225036621 };
  /* REFERENCE.md section 1 [calc]: the same design at 44.1 and 96 kHz. */
  static const double shelf_44k[5] = { 1.53084123005035, -2.65097999515473,
    1.16907907992159, -1.66365511325602, 0.71259542807323
  };
  static const double hp_44k[2] = { -1.98916967362980, 0.98919903578704 };
  static const double shelf_96k[5] = { 1.55971422897580, -2.92674157825108,
    1.37826120231582, -1.84460946989011, 0.85584332293064
  };
  static const double hp_96k[2] = { -1.99501754472472, 0.99502375904092 };

  mst_kweighting_design (48000, k);
  check_sections (k, shelf_48k, hp_48k);
  mst_kweighting_design (44100, k);
  check_sections (k, shelf_44k, hp_44k);
  mst_kweighting_design (96000, k);
  check_sections (k, shelf_96k, hp_96k);
}

static double
response_db (const MstBiquad k[2], double freq_hz, double rate_hz)
{
  double complex z = cexp (-I * 2.0 * M_PI * freq_hz / rate_hz);
  double complex h = 1.0;
  for (int s = 0; s < 2; s++)
    h *= (k[s].b0 + k[s].b1 * z + k[s].b2 * z * z)
        / (1.0 + k[s].a1 * z + k[s].a2 * z * z);
  return 20.0 * log10 (cabs (h));
}

static void
test_kweighting_response (void)
{
  /* REFERENCE.md section 1 [calc], |H| at 48 kHz, given to 0.01 dB (997 Hz
   * to 0.001 dB: it is what the -0.691 offset cancels). */
  static const struct { double freq_hz, db, tol; } pts[] = {
    {20.0, -13.28, 0.005}, {100.0, -1.13, 0.005}, {997.0, 0.691, 0.0005},
    {1000.0, 0.698, 0.0005}, {2000.0, 3.07, 0.005}, {10000.0, 4.04, 0.005},
  };
  MstBiquad k[2];

  mst_kweighting_design (48000, k);
  for (size_t i = 0; i < sizeof (pts) / sizeof (pts[0]); i++)
    MST_CHECK_CLOSE (response_db (k, pts[i].freq_hz, 48000), pts[i].db,
        pts[i].tol);
}

static void
test_weights (void)
{
  MstLoudnessChannel cls[MST_MAX_CHANNELS];
  /* BS.1770-4 Annex 1, Table 3. */
  MST_CHECK (mst_bs1770_channel_weight (MST_LOUDNESS_CHANNEL_NORMAL) == 1.0);
  MST_CHECK (mst_bs1770_channel_weight (MST_LOUDNESS_CHANNEL_SURROUND)
      == 1.41);
  MST_CHECK (mst_bs1770_channel_weight (MST_LOUDNESS_CHANNEL_UNUSED) == 0.0);
  MST_CHECK (mst_bs1770_channel_weight (MST_LOUDNESS_CHANNEL_DUAL_MONO)
      == 2.0);
  MST_CHECK (isnan (mst_bs1770_channel_weight (MST_LOUDNESS_CHANNEL_N_CLASSES)));
  MST_CHECK (isnan (mst_bs1770_channel_weight ((MstLoudnessChannel) -1)));

  /* Default layouts: N normal, S surround, U unused (LFE). */
  static const char *layouts[MST_MAX_CHANNELS + 1] = {
    NULL, "N", "NN", "NNN", "NNSS", "NNNSS", "NNNUSS", "NNNUSSS",
    "NNNUSSSS",
  };
  for (int n = 1; n <= MST_MAX_CHANNELS; n++) {
    mst_bs1770_default_layout (n, cls);
    for (int c = 0; c < n; c++) {
      MstLoudnessChannel want = layouts[n][c] == 'N'
          ? MST_LOUDNESS_CHANNEL_NORMAL : layouts[n][c] == 'S'
          ? MST_LOUDNESS_CHANNEL_SURROUND : MST_LOUDNESS_CHANNEL_UNUSED;
      MST_CHECK_MSG (cls[c] == want, "%d channels, channel %d", n, c);
    }
  }
}

static void
test_lufs (void)
{
  /* BS.1770-4 Annex 1, eq. 2: unit power is -0.691 LUFS. */
  MST_CHECK (mst_bs1770_power_to_lufs (1.0) == -0.691);
  MST_CHECK_CLOSE (mst_bs1770_power_to_lufs (0.1), -10.691, 1e-12);
  MST_CHECK (mst_bs1770_power_to_lufs (0.0) == -INFINITY);
  MST_CHECK_CLOSE (mst_bs1770_lufs_to_power (-0.691), 1.0, 1e-15);
  for (double l = -80.0; l <= 10.0; l += 7.3)
    MST_CHECK_CLOSE (mst_bs1770_power_to_lufs (mst_bs1770_lufs_to_power (l)),
        l, 1e-12);
}

/* A 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS (REFERENCE.md
 * section 2); fed in uneven pieces it gives the same bits as in whole
 * ticks, F32 and F64 alike for the same values. */
static void
test_energy (void)
{
  const double rate = 48000;
  const size_t tick = 480, n = 200 * tick;
  float *x = malloc (n * 2 * sizeof (float));
  double *x64 = malloc (n * 2 * sizeof (double));
  const double weights[2] = { 1.0, 0.0 };
  MstBs1770Energy a, b, c;
  double peak[MST_MAX_CHANNELS];

  for (size_t i = 0; i < n; i++) {
    x[2 * i] = (float) sin (2.0 * M_PI * 997.0 * i / rate);
    x[2 * i + 1] = 0.5f;        /* weight 0: does not count */
    x64[2 * i] = x[2 * i];
    x64[2 * i + 1] = x[2 * i + 1];
  }
  MST_CHECK (mst_bs1770_energy_configure (&a, rate, 2, weights, tick, 40)
      == MST_OK);
  MST_CHECK (mst_bs1770_energy_configure (&b, rate, 2, weights, tick, 40)
      == MST_OK);
  MST_CHECK (mst_bs1770_energy_configure (&c, rate, 2, weights, tick, 40)
      == MST_OK);
  for (size_t i = 0; i < n; i += tick) {
    MST_CHECK (mst_bs1770_energy_add_f32 (&a, x + 2 * i, tick, peak));
    MST_CHECK (mst_bs1770_energy_add_f64 (&c, x64 + 2 * i, tick, peak));
  }
  for (size_t i = 0, k = 1; i < n; i += k, k = k * 7 % 251 + 1) {
    k = k < mst_bs1770_energy_frames_to_tick (&b) ? k
        : mst_bs1770_energy_frames_to_tick (&b);
    k = k < n - i ? k : n - i;
    mst_bs1770_energy_add_f32 (&b, x + 2 * i, k, peak);
  }
  MST_CHECK (a.n_ticks == 200 && b.n_ticks == 200);
  MST_CHECK (mst_bs1770_energy_power (&a, 40)
      == mst_bs1770_energy_power (&b, 40));
  MST_CHECK (mst_bs1770_energy_power (&a, 40)
      == mst_bs1770_energy_power (&c, 40));
  MST_CHECK (mst_bs1770_energy_power (&a, 7)
      == mst_bs1770_energy_power (&b, 7));
  MST_CHECK_CLOSE (mst_bs1770_power_to_lufs (mst_bs1770_energy_power (&a,
              40)), -3.01, 0.005);
  MST_CHECK (peak[1] == 0.5);

  /* Invalid settings are refused. */
  MST_CHECK (mst_bs1770_energy_configure (&a, rate, 0, NULL, tick, 40)
      == MST_ERR_INVALID_ARG);
  MST_CHECK (mst_bs1770_energy_configure (&a, rate, 2, NULL, tick,
          MST_BS1770_MAX_RING_TICKS + 1) == MST_ERR_INVALID_ARG);
  const double bad[2] = { 1.0, NAN };
  MST_CHECK (mst_bs1770_energy_configure (&a, rate, 2, bad, tick, 40)
      == MST_ERR_INVALID_ARG);
  free (x);
  free (x64);
}

static void
test_sanitize (void)
{
  float x[10] = { 1, NAN, 2, INFINITY, -INFINITY, 3, 4, 5, 6, 7 };
  float clean[10];
  double y[3] = { 1.0, -2.0, 1e308 };
  double yc[3];

  /* The cores' one policy (mst-core.h): non-finite samples and those
   * beyond +60 dBFS are silence. */
  MST_CHECK (!mst_input_sane (x, 10, MST_FORMAT_F32));
  MST_CHECK (mst_input_sane (x + 5, 5, MST_FORMAT_F32));
  MST_CHECK (mst_input_clean (x, 10, clean, MST_FORMAT_F32) == 3);
  MST_CHECK (clean[1] == 0 && clean[3] == 0 && clean[4] == 0
      && clean[9] == 7);
  MST_CHECK (!mst_input_sane (y, 3, MST_FORMAT_F64));
  MST_CHECK (mst_input_clean (y, 3, yc, MST_FORMAT_F64) == 1
      && yc[2] == 0.0 && yc[1] == -2.0);
}

static uint32_t rng_state = 1;
static double
uniform (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) / 16777216.0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Loudness of the blocks above both gates, and the Tech 3342 range, the
 * straightforward way. */
static void
brute_force (const double *power, size_t n, double gate_lu, double *gated,
    double *range)
{
  const double abs_gate = mst_bs1770_lufs_to_power (-70.0);
  double sum = 0.0, gate, *kept = malloc (n * sizeof (double));
  size_t m = 0, k = 0;

  for (size_t i = 0; i < n; i++)
    if (power[i] > abs_gate) {
      sum += power[i];
      m++;
    }
  gate = sum / m * pow (10.0, gate_lu / 10.0);
  sum = 0.0;
  for (size_t i = 0; i < n; i++)
    if (power[i] > abs_gate && power[i] > gate) {
      sum += power[i];
      kept[k++] = mst_bs1770_power_to_lufs (power[i]);
    }
  *gated = mst_bs1770_power_to_lufs (sum / k);
  qsort (kept, k, sizeof (double), cmp_double);
  /* EBU Tech 3342: 1-based index round ((n - 1) p + 1). */
  *range = kept[(size_t) floor ((k - 1) * 0.95 + 0.5)]
      - kept[(size_t) floor ((k - 1) * 0.10 + 0.5)];
  free (kept);
}

static void
test_histogram (void)
{
  MstBs1770Histogram *h = malloc (sizeof (MstBs1770Histogram));
  const size_t n = 20000;
  double *power = malloc (n * sizeof (double));

  for (int trial = 0; trial < 20; trial++) {
    double want_i, want_lra, unused;
    /* A quiet and a loud part, some silence and blocks under the absolute
     * gate, a few louder ones (over +10 LUFS in some trials: they land in
     * the top bin). A few outliers far above everything would make the
     * gated mean a mean of few blocks, which the blocks of the gate's bin
     * could move by more than 0.01 LU. */
    double quiet = -60.0 + 40.0 * uniform (), loud = quiet + 25 * uniform ();
    mst_bs1770_histogram_reset (h);
    MST_CHECK (mst_bs1770_histogram_gated_lufs (h, -10.0) == -INFINITY);
    MST_CHECK (mst_bs1770_histogram_range (h) == 0.0);
    for (size_t i = 0; i < n; i++) {
      double u = uniform (), l;
      if (u < 0.05)
        l = -90.0 + 20.0 * uniform ();
      else if (u < 0.4)
        l = quiet + 6.0 * uniform ();
      else if (u < 0.999)
        l = loud + 8.0 * uniform ();
      else
        l = loud + 8.0 + 6.0 * uniform ();
      power[i] = u < 0.02 ? 0.0 : mst_bs1770_lufs_to_power (l);
      mst_bs1770_histogram_add (h, power[i]);
    }
    brute_force (power, n, -10.0, &want_i, &unused);
    /* The power means are exact; the blocks of the bin holding the gate
     * go together, so the gated mean is within a bin of the exact one. */
    MST_CHECK_CLOSE (mst_bs1770_histogram_gated_lufs (h, -10.0), want_i,
        0.01);
    brute_force (power, n, -20.0, &unused, &want_lra);
    /* Each percentile is its bin's mean: within a bin width each. */
    MST_CHECK_CLOSE (mst_bs1770_histogram_range (h), want_lra, 0.02);
    double sum = 0.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (power[i] > mst_bs1770_lufs_to_power (-70.0)) {
        sum += power[i];
        m++;
      }
    MST_CHECK (mst_bs1770_histogram_relative_gate (h, -10.0)
        == mst_bs1770_power_to_lufs (sum / m) - 10.0);
  }
  free (power);
  free (h);
}

int
main (void)
{
  MST_RUN (test_kweighting_tables);
  MST_RUN (test_kweighting_response);
  MST_RUN (test_weights);
  MST_RUN (test_lufs);
  MST_RUN (test_energy);
  MST_RUN (test_sanitize);
  MST_RUN (test_histogram);
  return mst_test_summary ();
}
