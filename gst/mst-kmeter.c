/* mastering: a light K-weighted loudness meter (see mst-kmeter.h). */
#include "mst-kmeter.h"
#include "mst-fpu.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* Gating histogram: 0.01 LU bins from the absolute gate to +10 LUFS, the
 * range mst-loudness.h uses (louder blocks land in the top bin). */
#define HIST_LOW_LUFS MST_KMETER_ABSOLUTE_GATE_LUFS
#define HIST_BINS_PER_LU 100
#define HIST_N_BINS (80 * HIST_BINS_PER_LU)
/* BS.1770-4 Annex 1 clause 5: relative gate 10 LU under the loudness of
 * the blocks above the absolute gate. */
#define RELATIVE_GATE_LU -10.0

struct MstKMeter {
  double rate_hz;
  int channels;
  double weight[MST_MAX_CHANNELS];
  MstBiquad k[2];
  /* Per channel: shelf z1, z2, then high-pass z1, z2 (transposed direct
   * form II). */
  double state[MST_MAX_CHANNELS][4];

  size_t step_frames, step_pos;
  double step_energy;
  double ring[MST_KMETER_SHORT_TERM_STEPS];     /* energy of the last steps */
  int ring_pos;
  uint64_t n_steps;
  double block_power;

  uint64_t *hist_count;
  double *hist_power;
  double absolute_gate_power;
};

void
mst_kweighting_design (double rate_hz, MstBiquad k[2])
{
  /* Stage 1, high shelf (BS.1770-4 Annex 1, Table 1, as the analog design
   * libebur128 fits to it; REFERENCE.md section 1). */
  const double shelf_f0_hz = 1681.974450955533;
  const double shelf_gain_db = 3.999843853973347;
  const double shelf_q = 0.7071752369554196;
  /* Stage 2, RLB high-pass (BS.1770-4 Annex 1, Table 2). */
  const double hp_f0_hz = 38.13547087602444;
  const double hp_q = 0.5003270373238773;

  double w = tan (M_PI * shelf_f0_hz / rate_hz);
  double vh = pow (10.0, shelf_gain_db / 20.0);
  /* libebur128's exponent, not exactly 1/2 (REFERENCE.md section 1). */
  double vb = pow (vh, 0.4996667741545416);
  double den = 1.0 + w / shelf_q + w * w;
  k[0].b0 = (vh + vb * w / shelf_q + w * w) / den;
  k[0].b1 = 2.0 * (w * w - vh) / den;
  k[0].b2 = (vh - vb * w / shelf_q + w * w) / den;
  k[0].a1 = 2.0 * (w * w - 1.0) / den;
  k[0].a2 = (1.0 - w / shelf_q + w * w) / den;

  w = tan (M_PI * hp_f0_hz / rate_hz);
  den = 1.0 + w / hp_q + w * w;
  /* The numerator stays (1, -2, 1), unnormalised, as in Table 2. */
  k[1].b0 = 1.0;
  k[1].b1 = -2.0;
  k[1].b2 = 1.0;
  k[1].a1 = 2.0 * (w * w - 1.0) / den;
  k[1].a2 = (1.0 - w / hp_q + w * w) / den;
}

double
mst_kmeter_power_to_lufs (double power)
{
  return power > 0.0 ? MST_KMETER_OFFSET_DB + 10.0 * log10 (power)
      : -INFINITY;
}

double
mst_kmeter_lufs_to_power (double lufs)
{
  return pow (10.0, (lufs - MST_KMETER_OFFSET_DB) / 10.0);
}

MstKMeter *
mst_kmeter_init (void)
{
  MstKMeter *m = calloc (1, sizeof (MstKMeter));
  if (!m)
    return NULL;
  m->hist_count = calloc (HIST_N_BINS, sizeof (uint64_t));
  m->hist_power = calloc (HIST_N_BINS, sizeof (double));
  if (!m->hist_count || !m->hist_power) {
    mst_kmeter_destroy (&m);
    return NULL;
  }
  m->absolute_gate_power =
      mst_kmeter_lufs_to_power (MST_KMETER_ABSOLUTE_GATE_LUFS);
  return m;
}

void
mst_kmeter_destroy (MstKMeter ** m)
{
  if (!m || !*m)
    return;
  free ((*m)->hist_count);
  free ((*m)->hist_power);
  free (*m);
  *m = NULL;
}

MstResult
mst_kmeter_configure (MstKMeter * m, double rate_hz, int channels,
    const double *weights)
{
  if (!m || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > MST_MAX_CHANNELS)
    return MST_ERR_INVALID_ARG;
  for (int c = 0; c < channels; c++)
    if (weights && !(weights[c] >= 0.0 && isfinite (weights[c])))
      return MST_ERR_INVALID_ARG;
  m->rate_hz = rate_hz;
  m->channels = channels;
  for (int c = 0; c < channels; c++)
    m->weight[c] = weights ? weights[c] : 1.0;
  mst_kweighting_design (rate_hz, m->k);
  m->step_frames = (size_t) round (rate_hz * MST_KMETER_STEP_MS * 1e-3);
  mst_kmeter_reset (m);
  return MST_OK;
}

void
mst_kmeter_reset (MstKMeter * m)
{
  if (!m)
    return;
  memset (m->state, 0, sizeof (m->state));
  memset (m->ring, 0, sizeof (m->ring));
  m->step_pos = 0;
  m->step_energy = 0.0;
  m->ring_pos = 0;
  m->n_steps = 0;
  m->block_power = 0.0;
  memset (m->hist_count, 0, HIST_N_BINS * sizeof (uint64_t));
  memset (m->hist_power, 0, HIST_N_BINS * sizeof (double));
}

size_t
mst_kmeter_frames_to_step (const MstKMeter * m)
{
  return m->step_frames - m->step_pos;
}

static double
ring_energy (const MstKMeter * m, int n_steps)
{
  double e = 0.0;
  for (int k = 1; k <= n_steps; k++)
    e += m->ring[(m->ring_pos - k + MST_KMETER_SHORT_TERM_STEPS)
        % MST_KMETER_SHORT_TERM_STEPS];
  return e;
}

static bool
end_step (MstKMeter * m)
{
  m->ring[m->ring_pos] = m->step_energy;
  m->ring_pos = (m->ring_pos + 1) % MST_KMETER_SHORT_TERM_STEPS;
  m->step_energy = 0.0;
  m->step_pos = 0;
  m->n_steps++;
  if (m->n_steps < MST_KMETER_BLOCK_STEPS)
    return true;
  m->block_power = ring_energy (m, MST_KMETER_BLOCK_STEPS)
      / (double) (MST_KMETER_BLOCK_STEPS * m->step_frames);
  /* BS.1770-4 counts a block strictly above the absolute gate. */
  if (m->block_power > m->absolute_gate_power) {
    double lufs = mst_kmeter_power_to_lufs (m->block_power);
    int bin = (int) ((lufs - HIST_LOW_LUFS) * HIST_BINS_PER_LU);
    bin = bin < 0 ? 0 : bin >= HIST_N_BINS ? HIST_N_BINS - 1 : bin;
    m->hist_count[bin]++;
    m->hist_power[bin] += m->block_power;
  }
  return true;
}

/* One K filter step: shelf, then the high-pass (numerator 1, -2, 1);
 * transposed direct form II, state z[0..3]. */
#define K_STEP(v, z, u)                                                       \
  do {                                                                        \
    double y_ = s.b0 * (v) + z[0];                                            \
    z[0] = s.b1 * (v) - s.a1 * y_ + z[1];                                     \
    z[1] = s.b2 * (v) - s.a2 * y_;                                            \
    u = y_ + z[2];                                                            \
    z[2] = -2.0 * y_ - h.a1 * u + z[3];                                       \
    z[3] = y_ - h.a2 * u;                                                     \
  } while (0)

/* Two doubles, one per channel of a pair (GCC/Clang vector extension). */
typedef double V2 __attribute__ ((vector_size (16)));

/* Non-finite samples count as silence. */
#define FINITE_OR_0(v) (fabs (v) <= DBL_MAX ? (v) : 0.0)

/* Channels two at a time (two independent recursions interleave, which
 * roughly halves the time of this latency-bound loop), state in locals;
 * a channel of weight 0 is skipped. */
#define DEFINE_ADD(sfx, TYPE)                                                 \
bool                                                                          \
mst_kmeter_add_##sfx (MstKMeter * m, const TYPE * x, size_t n)                \
{                                                                             \
  const int nch = m->channels;                                                \
  const MstBiquad s = m->k[0], h = m->k[1];                                   \
  MstFpuState fpu = mst_fpu_enter_ftz ();                                     \
  double energy = 0.0;                                                        \
  for (int c = 0; c < nch;) {                                                 \
    int pair = c + 1 < nch && m->weight[c] != 0.0 && m->weight[c + 1] != 0.0; \
    double za[4], zb[4], acc_a = 0.0, acc_b = 0.0, u;                         \
    if (m->weight[c] == 0.0) {                                                \
      c++;                                                                    \
      continue;                                                               \
    }                                                                         \
    memcpy (za, m->state[c], sizeof (za));                                    \
    if (pair) {                                                               \
      /* The two channels side by side in one vector: the recursions are  */ \
      /* latency-bound, so this halves the instructions for free. */          \
      memcpy (zb, m->state[c + 1], sizeof (zb));                              \
      V2 z0 = { za[0], zb[0] }, z1 = { za[1], zb[1] };                        \
      V2 z2 = { za[2], zb[2] }, z3 = { za[3], zb[3] }, acc = { 0.0, 0.0 };    \
      const V2 sb0 = { s.b0, s.b0 }, sb1 = { s.b1, s.b1 }, sb2 = { s.b2, s.b2 };\
      const V2 sa1 = { s.a1, s.a1 }, sa2 = { s.a2, s.a2 };                    \
      const V2 ha1 = { h.a1, h.a1 }, ha2 = { h.a2, h.a2 }, two = { 2.0, 2.0 };\
      for (size_t i = 0; i < n; i++) {                                        \
        double va = x[i * nch + c], vb = x[i * nch + c + 1];                  \
        V2 v = { FINITE_OR_0 (va), FINITE_OR_0 (vb) };                        \
        V2 y = sb0 * v + z0;                                                  \
        z0 = sb1 * v - sa1 * y + z1;                                          \
        z1 = sb2 * v - sa2 * y;                                               \
        V2 w = y + z2;                                                        \
        z2 = z3 - two * y - ha1 * w;                                          \
        z3 = y - ha2 * w;                                                     \
        acc += w * w;                                                         \
      }                                                                       \
      za[0] = z0[0]; za[1] = z1[0]; za[2] = z2[0]; za[3] = z3[0];             \
      zb[0] = z0[1]; zb[1] = z1[1]; zb[2] = z2[1]; zb[3] = z3[1];             \
      acc_a = acc[0];                                                         \
      acc_b = acc[1];                                                         \
    } else {                                                                  \
      for (size_t i = 0; i < n; i++) {                                        \
        double va = x[i * nch + c];                                           \
        va = FINITE_OR_0 (va);                                                \
        K_STEP (va, za, u);                                                   \
        acc_a += u * u;                                                       \
      }                                                                       \
    }                                                                         \
    /* Finite input keeps all this finite; a bug must not stick. */          \
    if (!isfinite (za[0] + za[1] + za[2] + za[3] + acc_a)) {                  \
      memset (za, 0, sizeof (za));                                            \
      acc_a = 0.0;                                                            \
    }                                                                         \
    memcpy (m->state[c], za, sizeof (za));                                    \
    energy += m->weight[c] * acc_a;                                           \
    if (pair) {                                                               \
      if (!isfinite (zb[0] + zb[1] + zb[2] + zb[3] + acc_b)) {                \
        memset (zb, 0, sizeof (zb));                                          \
        acc_b = 0.0;                                                          \
      }                                                                       \
      memcpy (m->state[c + 1], zb, sizeof (zb));                              \
      energy += m->weight[c + 1] * acc_b;                                     \
    }                                                                         \
    c += pair ? 2 : 1;                                                        \
  }                                                                           \
  mst_fpu_leave (fpu);                                                        \
  m->step_energy += energy;                                                   \
  m->step_pos += n;                                                           \
  return m->step_pos >= m->step_frames ? end_step (m) : false;                \
}

DEFINE_ADD (f32, float)
DEFINE_ADD (f64, double)

bool
mst_kmeter_get_block_power (const MstKMeter * m, double *power)
{
  bool ok = m->n_steps >= MST_KMETER_BLOCK_STEPS;
  *power = ok ? m->block_power : 0.0;
  return ok;
}

double
mst_kmeter_get_momentary (const MstKMeter * m)
{
  double p;
  return mst_kmeter_get_block_power (m, &p) ? mst_kmeter_power_to_lufs (p)
      : -INFINITY;
}

double
mst_kmeter_get_short_term (const MstKMeter * m)
{
  if (m->n_steps < MST_KMETER_SHORT_TERM_STEPS)
    return -INFINITY;
  return mst_kmeter_power_to_lufs (ring_energy (m,
          MST_KMETER_SHORT_TERM_STEPS)
      / (double) (MST_KMETER_SHORT_TERM_STEPS * m->step_frames));
}

double
mst_kmeter_get_integrated (const MstKMeter * m)
{
  uint64_t count = 0;
  double power = 0.0;
  for (int b = 0; b < HIST_N_BINS; b++) {
    count += m->hist_count[b];
    power += m->hist_power[b];
  }
  if (count == 0)
    return -INFINITY;
  double gate = mst_kmeter_power_to_lufs (power / count) + RELATIVE_GATE_LU;
  count = 0;
  power = 0.0;
  /* Whole bins, each by its mean: error below the 0.01 LU bin width. */
  for (int b = 0; b < HIST_N_BINS; b++) {
    if (m->hist_count[b] == 0
        || !(mst_kmeter_power_to_lufs (m->hist_power[b] / m->hist_count[b])
            > gate))
      continue;
    count += m->hist_count[b];
    power += m->hist_power[b];
  }
  return count ? mst_kmeter_power_to_lufs (power / count) : -INFINITY;
}
