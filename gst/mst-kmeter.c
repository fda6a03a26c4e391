/* mastering: a light K-weighted loudness meter (see mst-kmeter.h). */
#include "mst-kmeter.h"
#include "mst-fpu.h"

#include <stdlib.h>
#include <string.h>

/* Frames sanitised at a time when a piece holds NaN or Inf. */
#define CLEAN_FRAMES 256

struct MstKMeter {
  /* K-weighting and the energies of the last 3 s in steps of 100 ms. */
  MstBs1770Energy energy;
  MstBs1770Histogram *hist;
  bool step_completed;          /* by the last add */
  uint64_t n_nonfinite;
};

MstKMeter *
mst_kmeter_init (void)
{
  MstKMeter *m = calloc (1, sizeof (MstKMeter));
  if (!m)
    return NULL;
  m->hist = calloc (1, sizeof (MstBs1770Histogram));
  if (!m->hist) {
    mst_kmeter_destroy (&m);
    return NULL;
  }
  return m;
}

void
mst_kmeter_destroy (MstKMeter ** m)
{
  if (!m || !*m)
    return;
  free ((*m)->hist);
  free (*m);
  *m = NULL;
}

MstResult
mst_kmeter_configure (MstKMeter * m, double rate_hz, int channels,
    const double *weights)
{
  MstResult r;
  if (!m || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ))
    return MST_ERR_INVALID_ARG;
  r = mst_bs1770_energy_configure (&m->energy, rate_hz, channels, weights,
      (size_t) round (rate_hz * MST_KMETER_STEP_MS * 1e-3),
      MST_KMETER_SHORT_TERM_STEPS);
  if (r != MST_OK)
    return r;
  m->n_nonfinite = 0;
  mst_kmeter_reset (m);
  return MST_OK;
}

void
mst_kmeter_reset (MstKMeter * m)
{
  if (!m)
    return;
  mst_bs1770_energy_reset (&m->energy);
  mst_bs1770_histogram_reset (m->hist);
  m->step_completed = false;
}

size_t
mst_kmeter_frames_to_step (const MstKMeter * m)
{
  return mst_bs1770_energy_frames_to_tick (&m->energy);
}

MST_ALWAYS_INLINE bool
add_clean (MstKMeter * m, const void *x, size_t n, MstFormat fmt)
{
  double peak[MST_MAX_CHANNELS];
  return fmt == MST_FORMAT_F64
      ? mst_bs1770_energy_add_f64 (&m->energy, x, n, peak)
      : mst_bs1770_energy_add_f32 (&m->energy, x, n, peak);
}

MST_ALWAYS_INLINE MstResult
kmeter_add (MstKMeter * m, const void *x, size_t n, MstFormat fmt)
{
  const bool f64 = fmt == MST_FORMAT_F64;
  const int nch = m ? m->energy.channels : 0;
  MstFpuState fpu;
  bool done = false;

  if (!m || nch == 0 || (!x && n > 0) || n > mst_kmeter_frames_to_step (m))
    return MST_ERR_INVALID_ARG;
  fpu = mst_fpu_enter_ftz ();
  if (mst_input_sane (x, n * nch, fmt)) {
    done = n > 0 && add_clean (m, x, n, fmt);
  } else {
    /* Non-finite and absurd samples count as silence. */
    union {
      double f64[CLEAN_FRAMES * MST_MAX_CHANNELS];
      float f32[CLEAN_FRAMES * MST_MAX_CHANNELS];
    } clean;
    const size_t size = f64 ? sizeof (double) : sizeof (float);
    for (size_t i = 0; i < n;) {
      size_t k = n - i < CLEAN_FRAMES ? n - i : CLEAN_FRAMES;
      const void *src = (const char *) x + i * nch * size;
      m->n_nonfinite += mst_input_clean (src, k * nch, &clean, fmt);
      done = add_clean (m, &clean, k, fmt);
      i += k;
    }
  }
  mst_fpu_leave (fpu);
  m->step_completed = done;
  /* A 400 ms block (BS.1770-4 Annex 1 clause 5) ends with every step. */
  if (done && m->energy.n_ticks >= MST_KMETER_BLOCK_STEPS)
    mst_bs1770_histogram_add (m->hist, mst_bs1770_energy_power (&m->energy,
            MST_KMETER_BLOCK_STEPS));
  return MST_OK;
}

MST_DEFINE_ANALYZE (mst_kmeter, MstKMeter, kmeter_add)

bool
mst_kmeter_step_completed (const MstKMeter * m)
{
  return m && m->step_completed;
}

bool
mst_kmeter_get_step_power (const MstKMeter * m, double *power)
{
  bool ok = m->energy.n_ticks >= 1;
  *power = ok ? mst_bs1770_energy_power (&m->energy, 1) : 0.0;
  return ok;
}

bool
mst_kmeter_get_block_power (const MstKMeter * m, double *power)
{
  bool ok = m->energy.n_ticks >= MST_KMETER_BLOCK_STEPS;
  *power = ok ? mst_bs1770_energy_power (&m->energy, MST_KMETER_BLOCK_STEPS)
      : 0.0;
  return ok;
}

double
mst_kmeter_get_momentary (const MstKMeter * m)
{
  double p;
  return mst_kmeter_get_block_power (m, &p) ? mst_bs1770_power_to_lufs (p)
      : -INFINITY;
}

double
mst_kmeter_get_short_term (const MstKMeter * m)
{
  if (m->energy.n_ticks < MST_KMETER_SHORT_TERM_STEPS)
    return -INFINITY;
  return mst_bs1770_power_to_lufs (mst_bs1770_energy_power (&m->energy,
          MST_KMETER_SHORT_TERM_STEPS));
}

double
mst_kmeter_get_integrated (const MstKMeter * m)
{
  return mst_bs1770_histogram_gated_lufs (m->hist,
      MST_BS1770_RELATIVE_GATE_LU);
}

uint64_t
mst_kmeter_get_nonfinite_count (const MstKMeter * m)
{
  return m ? m->n_nonfinite : 0;
}
