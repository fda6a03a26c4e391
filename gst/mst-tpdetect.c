/* mastering: true-peak detector.
 *
 * The input is oversampled 4x in two stages: the half-sample points
 * through a precise 128-tap interpolator (by FFT on the AVX2 path,
 * mst-fastconv.h; ORC multiply-adds elsewhere), then the quarter points
 * from the 2x sequence through a short one; beside them the BS.1770-4
 * meters' own interpolator. Each extremum among the oversampled points is
 * refined by a parabola through it and its neighbours, so a peak falling
 * between oversampled points is not under-read. Each frame gets the peak
 * of the interval up to the next frame. */
#include "mst-tpdetect.h"
#include "mst-truepeak.h"
#include "mst-cpu.h"
#include "mst-fastconv.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif
#include "mst-orc.h"

#include <stdlib.h>
#include <string.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

#define TP_FACTOR 4
/* Precise interpolator: the half-sample phase within 1e-4 of the ideal
 * delay (0.0009 dB) to 0.478 fs, 0.009 dB low at 0.48 fs. Not shorter
 * with the band limit on: it still passes 0.465 to 0.475 fs at -0.6 to
 * -18 dB, where 64 taps flat to 0.46 fs put a 0.47 fs tone's half-sample
 * points 0.16 dB low (scripts/half-interpolator-lengths.py). */
#define TP_TAPS 128
#define TP_KAISER_BETA 8.6
/* The interpolator of ITU-R BS.1770-4's meters (a 48th-order windowed sinc,
 * 12 taps per phase, as in Annex 2 and libebur128): its passband ripple
 * reads up to about 0.1 dB above the precise one on some material, and the
 * output must pass those meters too. */
#define BS_TAPS MST_TRUEPEAK_BS1770_TAPS
/* The interpolator of FFmpeg's ebur128 meter (peak=true), libswresample's
 * default: a 32-tap Kaiser-windowed sinc (beta 9) with its cut-off at
 * Nyquist, each phase normalised, whose transition band straddles Nyquist
 * (half gain there) and lets images through: on noise near Nyquist it reads
 * up to 0.3 dB above the precise interpolator, so the output must pass it
 * too. At 48 kHz that meter reads exactly these quarter points; at other
 * rates its points fall anywhere between the frames, which the parabola
 * refinement covers (to within 0.006 dB on white noise at 44.1 kHz). */
#define FF_TAPS 32
#define FF_KAISER_BETA 9.0
/* A bound's partial sums are taken this much larger (2^-16): far more than
 * the few roundings (2^-24 each) between them and their exact values. */
#define FF_BOUND_ROUNDING (1.0f + 1.0f / 65536.0f)
/* Second stage: from the 2x points to the 4x ones. The 2x sequence holds
 * nothing above 0.24 of its rate, so a short interpolator is exact to
 * 0.004 dB there. */
#define Q_TAPS 12
#define Q_KAISER_BETA 7.0
/* Detector rows: this many frames of history before each block's new ones.
 * Frame i of a block (row position ROW_FIRST + i) needs the half-sample
 * point 3 frames on either side (ROW_FIRST + i + 3 + TP_TAPS/2 at most). */
#define ROW_HISTORY (TP_TAPS + 5)
#define ROW_FIRST (TP_TAPS / 2 + 2)
/* The detector sees frame u once frame u + DETECT_DELAY has arrived. */
#define DETECT_DELAY (ROW_HISTORY - ROW_FIRST)
/* The vector path computes whole vectors past a block's last frame: rows
 * and phase buffers have this much room beyond what the frames need. */
#define VECTOR_SLACK 128
/* Room before each channel's half-sample points for the FFT's scratch
 * outputs (TP_TAPS - 1 of them), a whole number of vectors. */
#define HALF_FRONT TP_TAPS
/* Second-stage coefficients of the vector path, folded (see
 * design_folded_stage2): the meters' outer phases as sum and difference
 * (6 + 6), their middle phase (6), then q1 and q3 as sum (3 + 4) and
 * difference (3 + 3). */
#define STAGE2_TAPS (3 * (BS_TAPS / 2) + 7 + 6)
/* The portable detector's point buffers: half, q1, q3, the meters', a
 * scratch one, FFmpeg's three. */
#define PHASE_BUFFERS 9

struct MstTpDetect {
  int max_channels, max_block, channels;
  float coef[(TP_FACTOR - 1) * TP_TAPS];
  float bs_coef[(TP_FACTOR - 1) * BS_TAPS];
  float q1_x[8], q1_h[8], q3_x[8], q3_h[8];     /* second stage, see design */
  float stage2_splat[STAGE2_TAPS][8];   /* the same, each tap in 8 lanes */
  float stage2_fold[STAGE2_TAPS];       /* the same, one each */
  float ff_coef[(TP_FACTOR - 1) * FF_TAPS];
  /* FFmpeg's phases folded (see design_folded_ff), each tap in 8 lanes. */
  float ff_splat[3 * FF_TAPS / 2][8] __attribute__ ((aligned (32)));
  bool vector_path;             /* AVX2 and FMA */
#ifdef MST_HAVE_X86_PATHS
  /* The vector path's half-sample points, by FFT, channel by channel: the
   * block's at halves + c * half_stride + HALF_FRONT (scratch around). */
  MstFastConv *fastconv;
  float *halves;
  size_t half_stride;
#endif
  float *rows;                  /* [channel][ROW_HISTORY + block] */
  size_t row_stride;
  float *phases;                /* the portable detector's point buffers */
  float *peaks;                 /* [channel][peak_stride] */
  /* The AVX-512 detector's largest magnitude of the samples and the
   * half-sample points of each 16 frames, and of their second differences
   * (see the loop), from the 16 before the block's first on
   * (peak_stride / 16 + 2 of them). */
  float *group_z, *group_d2;
  /* Sixteen frames none of whose points can exceed the floor F: the
   * largest sample and half-sample point around them at most quiet F (see
   * design_quiet_bound). */
  float quiet;
  /* Bit v % 16 of skip_mask[v / 16]: vector v passes that test or the
   * screen's. */
  uint16_t *skip_mask;
  /* The screen's constants (see design_screen): the meters' and FFmpeg's
   * points are at most fir[0] X + fir[1] D2, the refined precise points at
   * most near[0] (near[1] Z + near[2] D2Z). False: no screen. */
  float screen_fir[2], screen_near[3];
  bool screen_on;
  /* Per channel: blocks in a row the screen left nothing out of (up to
   * SCREEN_PATIENCE), and blocks since it was last tried then. */
  uint8_t screen_misses[MST_MAX_CHANNELS];
  uint32_t screen_probes[MST_MAX_CHANNELS];
  size_t peak_stride;           /* max_block rounded up to whole vectors */
  bool avx512_path;               /* the whole detector 16 frames at a time */
  float ff_fold[3 * FF_TAPS / 2];       /* ff_splat's taps, one each */
  float last_phase[MST_MAX_CHANNELS];
  float last_ff_phase[MST_MAX_CHANNELS];
  /* FFmpeg's meter reads points of our grid (at 48 and 96 kHz, and the
   * samples from 192 kHz): no refinement needed. */
  bool ff_on_grid;
  /* 1, or 0 to read FFmpeg's interpolator alone (a meter of it). */
  float k_others;
  /* Peaks at or under it may be read as any value up to it (0: exact). */
  float floor;
  /* What FFmpeg's pairs outside the meters' twelve frames can add to its
   * sums |P| + |Q| and |M|, per unit of the largest sample in the window
   * (see design_folded_ff). */
  float ff_outer[2];
  /* Whether the last process call read true peaks. */
  bool last_true_peak;
  /* Frames since the reset (saturating), for the stream's first frames. */
  uint64_t frames_seen;
};

/* The quarter points from the frames x and the half-sample points y:
 * a 12-tap windowed sinc at the 2x rate, interpolating halfway between two
 * 2x points. Quarter 1 (between x[P] and y[P + 1/2]) takes x[P - 2 .. P + 3]
 * and y at P - 3 .. P + 2 (+ 1/2); quarter 3 (between y[P + 1/2] and
 * x[P + 1]) takes x[P - 2 .. P + 3] and y at P - 2 .. P + 3 (+ 1/2). Each
 * set of six is padded to eight for the four-tap passes. */
static void
design_second_stage (MstTpDetect * det)
{
  double g[Q_TAPS], sum = 0.0;
  for (int k = 0; k < Q_TAPS; k++) {
    double t = 0.5 - (k - (Q_TAPS / 2 - 1));
    double r = t / (Q_TAPS / 2);
    double w = mst_bessel_i0 (Q_KAISER_BETA * sqrt (fmax (0.0, 1 - r * r)))
        / mst_bessel_i0 (Q_KAISER_BETA);
    g[k] = sin (M_PI * t) / (M_PI * t) * w;
    sum += g[k];
  }
  memset (det->q1_x, 0, sizeof det->q1_x);
  memset (det->q1_h, 0, sizeof det->q1_h);
  memset (det->q3_x, 0, sizeof det->q3_x);
  memset (det->q3_h, 0, sizeof det->q3_h);
  for (int m = 0; m < 6; m++) {
    det->q1_x[m] = (float) (g[2 * m + 1] / sum);
    det->q1_h[m] = (float) (g[2 * m] / sum);
    det->q3_x[m] = (float) (g[2 * m] / sum);
    det->q3_h[m] = (float) (g[2 * m + 1] / sum);
  }
}

/* The vector path's second stage uses the symmetries of its filters, so
 * that half of its multiply-adds become additions (which run beside them):
 * the meters' phase 3/4 is phase 1/4 mirrored and phase 1/2 is symmetric;
 * q3's taps are q1's mirrored. With s[m] = x[m] + x[11 - m] and
 * d[m] = x[m] - x[11 - m] over the twelve frames around a frame, phases
 * 1/4 and 3/4 are P + Q and P - Q (P on the s, Q on the d), and
 * max (|P + Q|, |P - Q|) = |P| + |Q| exactly. Likewise q1 = U + V and
 * q3 = U - V, U on the sums and V on the differences of the frames and of
 * the half-sample points e[m] = h[m] + h[6 - m], f[m] = h[m] - h[6 - m]. */
static void
design_folded_stage2 (MstTpDetect * det)
{
  const float *c0 = det->bs_coef, *c1 = det->bs_coef + BS_TAPS;
  const int H = BS_TAPS / 2;
  float v[STAGE2_TAPS];
  for (int m = 0; m < H; m++) {
    v[m] = 0.5f * (c0[m] + c0[BS_TAPS - 1 - m]);
    v[H + m] = 0.5f * (c0[m] - c0[BS_TAPS - 1 - m]);
    v[2 * H + m] = c1[m];
  }
  float *u = v + 3 * H, *w = u + 7;
  for (int m = 0; m < 3; m++) {
    u[m] = 0.5f * (det->q1_x[m] + det->q1_x[5 - m]);
    w[m] = 0.5f * (det->q1_x[m] - det->q1_x[5 - m]);
  }
  u[3] = 0.5f * det->q1_h[0];
  u[4] = 0.5f * (det->q1_h[1] + det->q1_h[5]);
  u[5] = 0.5f * (det->q1_h[2] + det->q1_h[4]);
  u[6] = det->q1_h[3];
  w[3] = 0.5f * det->q1_h[0];
  w[4] = 0.5f * (det->q1_h[1] - det->q1_h[5]);
  w[5] = 0.5f * (det->q1_h[2] - det->q1_h[4]);
  for (int t = 0; t < STAGE2_TAPS; t++) {
    det->stage2_fold[t] = v[t];
    for (int l = 0; l < 8; l++)
      det->stage2_splat[t][l] = v[t];
  }
}

/* FFmpeg's quarter points q1 and q3 are mirror images (its phase 3/4 is
 * phase 1/4 reversed) and its half point is symmetric: with s[m] and d[m]
 * the sums and differences of the frames m and 31 - m of the window, q1 is
 * P + Q and q3 is P - Q (P on the s, Q on the d), the half point M on the
 * s. */
static void
design_folded_ff (MstTpDetect * det)
{
  const float *h1 = det->ff_coef, *h2 = det->ff_coef + FF_TAPS;
  const int H = FF_TAPS / 2;
  for (int m = 0; m < H; m++) {
    det->ff_fold[m] = 0.5f * (h1[m] + h1[FF_TAPS - 1 - m]);
    det->ff_fold[H + m] = 0.5f * (h1[m] - h1[FF_TAPS - 1 - m]);
    det->ff_fold[2 * H + m] = 0.5f * (h2[m] + h2[FF_TAPS - 1 - m]);
  }
  for (int t = 0; t < 3 * H; t++)
    for (int l = 0; l < 8; l++)
      det->ff_splat[t][l] = det->ff_fold[t];
  /* The pairs m < H - BS_TAPS / 2 (frames more than six from the centre)
   * add sum a_m s_m to P, b_m d_m to Q and c_m s_m to M, with |s_m| and
   * |d_m| at most twice the largest sample X of the window: at most
   * E1 X to |P| + |Q| and E2 X to |M|. The sums over the other pairs
   * alone and the sums over all pairs are each within 16 roundings of
   * values under 6 X of their exact values (2^-24 each, 6e-6 X in all):
   * 1e-4 X more covers both, and the bound's own roundings. */
  double e1 = 0.0, e2 = 0.0;
  for (int m = 0; m < H - BS_TAPS / 2; m++) {
    e1 += 2.0 * (fabs (det->ff_fold[m]) + fabs (det->ff_fold[H + m]));
    e2 += 2.0 * fabs (det->ff_fold[2 * H + m]);
  }
  det->ff_outer[0] = (float) (e1 * FF_BOUND_ROUNDING + 1e-4);
  det->ff_outer[1] = (float) (e2 * FF_BOUND_ROUNDING + 1e-4);
}

#ifdef MST_HAVE_X86_PATHS
static void design_quiet_bound (MstTpDetect * det);
static void design_screen (MstTpDetect * det);
#endif

MstTpDetect *
mst_tpdetect_init (int max_channels, int max_block_frames)
{
  MstTpDetect *det;
  size_t n;

  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS
      || max_block_frames < 1)
    return NULL;
  det = calloc (1, sizeof *det);
  if (!det)
    return NULL;
  det->max_channels = det->channels = max_channels;
  det->max_block = max_block_frames;
  det->row_stride = ROW_HISTORY + (size_t) max_block_frames + VECTOR_SLACK;
  det->vector_path = mst_cpu_has_avx2_fma ();
  det->k_others = 1.0f;
  det->avx512_path = det->vector_path && mst_cpu_has_avx512 ();
  mst_truepeak_design (det->coef, TP_FACTOR, TP_TAPS, TP_KAISER_BETA);
#ifdef MST_HAVE_X86_PATHS
  if (det->vector_path) {
    /* The FFT reads whole runs past the block's frames (stale finite
     * samples) and writes scratch before and after its outputs. */
    size_t span = mst_fastconv_input_span_for (TP_TAPS,
        max_block_frames + 15);
    if (span > det->row_stride)
      det->row_stride = span;
    det->half_stride = HALF_FRONT + mst_fastconv_output_end_for (TP_TAPS,
        max_block_frames + 15) + 8;
    /* Rows on 32 bytes, a multiple of 8 floats apart: the FFT then runs
     * straight from and to them (mst_fastconv_new_rows), planned once. */
    det->row_stride = (det->row_stride + 7) / 8 * 8;
    det->half_stride = (det->half_stride + 7) / 8 * 8;
    det->fastconv = mst_fastconv_new_rows (det->coef + (size_t) (TP_FACTOR
            / 2 - 1) * TP_TAPS, TP_TAPS, det->row_stride, det->half_stride);
    if (!det->fastconv)
      goto fail;
    det->halves = aligned_alloc (32, (det->half_stride * max_channels
            * sizeof (float) + 31) / 32 * 32);
    if (!det->halves)
      goto fail;
    memset (det->halves, 0, det->half_stride * max_channels * sizeof (float));
  }
#endif
  if (!mst_size_mul (det->row_stride * max_channels, sizeof (float), &n))
    goto fail;
  det->rows = aligned_alloc (32, (n + 31) / 32 * 32);
  if (det->rows)
    memset (det->rows, 0, n);
  det->phases = calloc (PHASE_BUFFERS * ((size_t) max_block_frames
          + VECTOR_SLACK) + 2, sizeof (float));
  det->peak_stride = ((size_t) max_block_frames + 15) & ~(size_t) 15;
  det->peaks = calloc ((size_t) max_channels * det->peak_stride,
      sizeof (float));
  /* Written sixteen at a time, read sixteen at a time from every
   * sixteenth vector's on: up to 17 past a block's vectors. */
  det->group_z = calloc (det->peak_stride / 16 + 18, sizeof (float));
  det->group_d2 = calloc (det->peak_stride / 16 + 18, sizeof (float));
  det->skip_mask = calloc (det->peak_stride / 256 + 1, sizeof (uint16_t));
  if (!det->rows || !det->phases || !det->peaks || !det->group_z
      || !det->group_d2 || !det->skip_mask)
    goto fail;
  mst_truepeak_design_bs1770 (det->bs_coef, TP_FACTOR);
  design_second_stage (det);
  design_folded_stage2 (det);
  mst_truepeak_design (det->ff_coef, TP_FACTOR, FF_TAPS, FF_KAISER_BETA);
  design_folded_ff (det);
#ifdef MST_HAVE_X86_PATHS
  design_quiet_bound (det);
  design_screen (det);
#endif
  return det;

fail:
  mst_tpdetect_destroy (&det);
  return NULL;
}

void
mst_tpdetect_destroy (MstTpDetect ** det)
{
  if (!det || !*det)
    return;
  free ((*det)->rows);
  free ((*det)->phases);
#ifdef MST_HAVE_X86_PATHS
  mst_fastconv_free ((*det)->fastconv);
  free ((*det)->halves);
#endif
  free ((*det)->peaks);
  free ((*det)->group_z);
  free ((*det)->group_d2);
  free ((*det)->skip_mask);
  free (*det);
  *det = NULL;
}

MstResult
mst_tpdetect_configure (MstTpDetect * det, int channels, double rate_hz)
{
  if (!det || channels < 1 || channels > det->max_channels
      || !(rate_hz > 0.0))
    return MST_ERR_INVALID_ARG;
  det->channels = channels;
  /* FFmpeg's ebur128 upsamples to 192 kHz. */
  det->ff_on_grid = rate_hz == 48000.0 || rate_hz == 96000.0
      || rate_hz >= 192000.0;
  mst_tpdetect_reset (det);
  return MST_OK;
}

void
mst_tpdetect_reset (MstTpDetect * det)
{
  memset (det->rows, 0, det->row_stride * det->max_channels * sizeof (float));
  for (int c = 0; c < det->max_channels; c++) {
    det->last_phase[c] = det->last_ff_phase[c] = 0.0f;
    det->screen_misses[c] = 0;
    det->screen_probes[c] = 0;
  }
  det->frames_seen = 0;
  det->last_true_peak = true;
}

void
mst_tpdetect_set_ffmpeg_only (MstTpDetect * det, bool ffmpeg_only)
{
  det->k_others = ffmpeg_only ? 0.0f : 1.0f;
}

void
mst_tpdetect_set_floor (MstTpDetect * det, float floor)
{
  det->floor = floor > 0.0f ? floor : 0.0f;
}

bool
mst_tpdetect_get_screen (const MstTpDetect * det, float fir[2],
    float near[3])
{
  memcpy (fir, det->screen_fir, sizeof det->screen_fir);
  memcpy (near, det->screen_near, sizeof det->screen_near);
  return det->screen_on;
}

size_t
mst_tpdetect_get_delay (void)
{
  return DETECT_DELAY;
}

float *
mst_tpdetect_input (MstTpDetect * det, int channel)
{
  return det->rows + (size_t) channel * det->row_stride + ROW_HISTORY;
}

size_t
mst_tpdetect_input_stride (const MstTpDetect * det)
{
  return det->row_stride;
}

float *
mst_tpdetect_peaks (MstTpDetect * det, int channel)
{
  return det->peaks + (size_t) channel * det->peak_stride;
}

/* Plain comparisons: fmaxf and fmin are library calls unless the compiler
 * may assume no NaN, and the values here are never NaN. */
static inline float
max_f (float a, float b)
{
  return a > b ? a : b;
}

/* Magnitude of the extremum of the parabola through (-1, a), (0, b), (1, c)
 * when b is the largest in magnitude of the three (else |b|). */
static inline float
refine_peak (float a, float b, float c)
{
  float s = copysignf (1.0f, b);
  float pa = s * a, pb = s * b, pc = s * c;
  float den = 2.0f * pb - pa - pc;
  float d = pc - pa;
  /* Branch-free, so the loop over frames vectorises; den is kept away
   * from 0 where the result is not used. */
  int is_extremum = (pb >= pa) & (pb >= pc) & (den > 0.0f);
  float vertex = pb + d * d / (8.0f * (is_extremum ? den : 1.0f));
  return is_extremum ? vertex : pb;
}

/* The parabola reads low on content near Nyquist: by up to 0.074 dB at
 * fs/2 (0.4 of a 4x grid step between points cos(3 pi/8), cos(pi/8),
 * cos(pi/8)), by 0.005 dB at fs/4. With r = (a + c) / 2b, which is the
 * cosine of the grid step's phase for a sinusoid, 1 + NYQUIST_K (1 - r)^2
 * (1 - r capped at its fs/2 value) lifts every sinusoid's vertex to its
 * peak or above (NYQUIST_K = 0.0993 needed, at fs/2); the cost is at most
 * as much over, on content at fs/2 peaking on a point. */
#define NYQUIST_K 0.1f
#define NYQUIST_CAP 0.293f

/* The lift for one frame's precise peak, from r = (a + c) / 2b at two
 * points a quarter period of fs/2 apart (so that one of them is away from a
 * zero crossing): the smaller r, the more lift. */
static inline float
nyquist_lift (float a0, float b0, float c0, float a1, float b1, float c1)
{
  float r0 = (a0 + c0) / (2.0f * b0), r1 = (a1 + c1) / (2.0f * b1);
  /* A zero b gives an infinite (or NaN) r: that point says nothing. */
  r0 = isfinite (r0) ? r0 : INFINITY;
  r1 = isfinite (r1) ? r1 : INFINITY;
  float x = 1.0f - (r0 < r1 ? r0 : r1);
  x = x < NYQUIST_CAP ? x : NYQUIST_CAP;
  x = x > 0.0f ? x : 0.0f;
  return 1.0f + NYQUIST_K * x * x;
}

typedef float v4sf __attribute__ ((vector_size (16)));
typedef int v4si __attribute__ ((vector_size (16)));

static inline v4sf
load4 (const float *p)
{
  v4sf v;
  __builtin_memcpy (&v, p, sizeof v);
  return v;
}

static inline v4sf
select4 (v4si mask, v4sf yes, v4sf no)
{
  return (v4sf) ((mask & (v4si) yes) | (~mask & (v4si) no));
}

static inline v4sf
max4 (v4sf a, v4sf b)
{
  return select4 (a > b, a, b);
}

/* refine_peak on four lanes. */
static inline v4sf
refine_peak4 (v4sf a, v4sf b, v4sf c)
{
  const v4si sign_bit = { INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN };
  v4si sign = (v4si) b & sign_bit;
  v4sf pa = (v4sf) ((v4si) a ^ sign), pb = (v4sf) ((v4si) b ^ sign);
  v4sf pc = (v4sf) ((v4si) c ^ sign);
  v4sf den = 2.0f * pb - pa - pc;
  v4sf d = pc - pa;
  v4si ok = (pb >= pa) & (pb >= pc) & (den > 0.0f);
  v4sf safe_den = select4 (ok, den, (v4sf) { 1.0f, 1.0f, 1.0f, 1.0f });
  return select4 (ok, pb + d * d / (8.0f * safe_den), pb);
}

/* Runs eight taps (two four-tap passes) of coefficients h over sources
 * starting at base, into y (n outputs). */
static inline void
fir8 (float *y, const float *base, const float *h, int n)
{
  mst_orc_fir4_f32 (y, base, base + 1, base + 2, base + 3, h[0], h[1], h[2],
      h[3], n);
  mst_orc_fir4_f32 (y, base + 4, base + 5, base + 6, base + 7, h[4], h[5],
      h[6], h[7], n);
}

/* Interval peaks of n new frames of one channel, already in its row. */
static void
detect_true_peaks (MstTpDetect * det, int channel, int n)
{
  float *row = det->rows + (size_t) channel * det->row_stride;
  float *peak = mst_tpdetect_peaks (det, channel);
  const size_t stride = (size_t) det->max_block + VECTOR_SLACK;
  float *half = det->phases, *q1 = half + stride, *q3 = q1 + stride;
  float *bs = q3 + stride, *tmp = bs + stride;
  float *f1 = tmp + stride, *f2 = f1 + stride, *f3 = f2 + stride + 1;
  /* q3[-1] and f3[-1] are the previous block's last quarter points. */
  q3 += 1;

  /* Stage 1: the half-sample points, precise; half[j] lies between
   * row[j + TP_TAPS/2 - 1] and row[j + TP_TAPS/2]. Frame i (row position
   * ROW_FIRST + i) has its own at half[i + 3]. */
  const float *hh = det->coef + (size_t) (TP_FACTOR / 2 - 1) * TP_TAPS;
  memset (half, 0, sizeof (float) * (n + 8));
  for (int k = 0; k < TP_TAPS; k += 8)
    fir8 (half, row + k, hh + k, n + 6);

  /* Stage 2: the quarter points. */
  const float *x = row + ROW_FIRST;
  memset (q1, 0, sizeof (float) * n);
  memset (q3, 0, sizeof (float) * n);
  fir8 (q1, x - 2, det->q1_x, n);
  fir8 (q1, half + 3 - 3, det->q1_h, n);
  fir8 (q3, x - 2, det->q3_x, n);
  fir8 (q3, half + 3 - 2, det->q3_h, n);

  /* The meters' interpolator, on the same grid: bs[] gets the largest
   * magnitude over its phases. */
  const float *bs_row = x - (BS_TAPS / 2 - 1);
  for (int p = 0; p < TP_FACTOR - 1; p++) {
    float *y = p == 0 ? bs : tmp;
    const float *h = det->bs_coef + (size_t) p * BS_TAPS;
    memset (y, 0, sizeof (float) * n);
    for (int k = 0; k < BS_TAPS; k += 4)
      mst_orc_fir4_f32 (y, bs_row + k, bs_row + k + 1, bs_row + k + 2,
          bs_row + k + 3, h[k], h[k + 1], h[k + 2], h[k + 3], n);
    if (p == 0) {
      for (int i = 0; i < n; i++)
        bs[i] = fabsf (bs[i]);
    } else {
      mst_orc_absmax_f32 (bs, y, n);
    }
  }

  /* FFmpeg's interpolator: f1, f2, f3 at the quarter points. */
  const float *ff_row = x - (FF_TAPS / 2 - 1);
  for (int p = 0; p < TP_FACTOR - 1; p++) {
    float *y = p == 0 ? f1 : p == 1 ? f2 : f3;
    memset (y, 0, sizeof (float) * n);
    for (int k = 0; k < FF_TAPS; k += 8)
      fir8 (y, ff_row + k, det->ff_coef + (size_t) p * FF_TAPS + k, n);
  }
  f3[-1] = det->last_ff_phase[channel];

  /* Frame i's interval: x[i], q1, half, q3, x[i + 1]; each extremum
   * refined by its parabola. Four frames at a time in vector registers
   * (gcc does not vectorise the selects itself), the rest one by one. */
  q3[-1] = det->last_phase[channel];
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v4sf a = load4 (q3 + i - 1), v0 = load4 (x + i), b = load4 (q1 + i);
    v4sf v2 = load4 (half + i + 3), c = load4 (q3 + i);
    v4sf v4 = load4 (x + i + 1);
    v4sf m = refine_peak4 (a, v0, b);
    m = max4 (m, refine_peak4 (v0, b, v2));
    m = max4 (m, refine_peak4 (b, v2, c));
    m = max4 (m, refine_peak4 (v2, c, v4));
    float lift[4];
    for (int l = 0; l < 4; l++)
      lift[l] = nyquist_lift (q3[i + l - 1], x[i + l], q1[i + l], q1[i + l],
          half[i + l + 3], q3[i + l]);
    m = m * load4 (lift);
    m = max4 (m, load4 (bs + i)) * det->k_others;
    v4sf g1 = load4 (f1 + i), g2 = load4 (f2 + i), g3 = load4 (f3 + i);
    if (det->ff_on_grid) {
      const v4si abs_bits = { INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX };
      m = max4 (m, (v4sf) ((v4si) g1 & abs_bits));
      m = max4 (m, (v4sf) ((v4si) g2 & abs_bits));
      m = max4 (m, (v4sf) ((v4si) g3 & abs_bits));
    } else {
      m = max4 (m, refine_peak4 (load4 (f3 + i - 1), v0, g1));
      m = max4 (m, refine_peak4 (v0, g1, g2));
      m = max4 (m, refine_peak4 (g1, g2, g3));
      m = max4 (m, refine_peak4 (g2, g3, v4));
    }
    __builtin_memcpy (peak + i, &m, sizeof m);
  }
  for (; i < n; i++) {
    float v0 = x[i], v2 = half[i + 3], v4 = x[i + 1];
    float m = refine_peak (q3[i - 1], v0, q1[i]);
    m = max_f (m, refine_peak (v0, q1[i], v2));
    m = max_f (m, refine_peak (q1[i], v2, q3[i]));
    m = max_f (m, refine_peak (v2, q3[i], v4));
    m *= nyquist_lift (q3[i - 1], v0, q1[i], q1[i], v2, q3[i]);
    m = max_f (m, bs[i]) * det->k_others;
    if (det->ff_on_grid) {
      m = max_f (m, max_f (fabsf (f1[i]), max_f (fabsf (f2[i]),
                  fabsf (f3[i]))));
    } else {
      m = max_f (m, refine_peak (f3[i - 1], v0, f1[i]));
      m = max_f (m, refine_peak (v0, f1[i], f2[i]));
      m = max_f (m, refine_peak (f1[i], f2[i], f3[i]));
      m = max_f (m, refine_peak (f2[i], f3[i], v4));
    }
    peak[i] = m;
  }
  det->last_phase[channel] = q3[n - 1];
  det->last_ff_phase[channel] = f3[n - 1];
}

#ifdef MST_HAVE_X86_PATHS
/* Stage 1 of the vector path for every channel, two at a time: the
 * half-sample points half[j] (between row[j + TP_TAPS/2 - 1] and
 * row[j + TP_TAPS/2]) for j < n rounded up to 8, plus 7. */
__attribute__ ((target ("avx2,fma")))
static void
half_sample_points_fft (MstTpDetect * det, int n)
{
  const int count = ((n + 15) & ~15) + 7;
  for (int c = 0; c < det->channels; c += 2) {
    bool pair = c + 1 < det->channels;
    float *h0 = det->halves + (size_t) c * det->half_stride + HALF_FRONT;
    const float *r0 = det->rows + (size_t) c * det->row_stride;
    mst_fastconv_run (det->fastconv, r0, pair ? r0 + det->row_stride : NULL,
        h0, pair ? h0 + det->half_stride : NULL, count);
  }
}

/* refine_peak on eight lanes, without a division: the reciprocal estimate
 * (relative error at most 1.5 x 2^-12) times a factor a little above 1/8
 * never gives a smaller vertex than the exact one, and at most 0.0006 dB
 * more (the rise d^2 / (8 den) is under a tenth of |b| at 4x). Where b is
 * no extremum the rise is masked to 0 (whatever the reciprocal of a zero
 * or negative den gave); with the FPU flushing denormals a den above 0 is
 * at least the smallest normal, so the estimate stays finite. */
__attribute__ ((target ("avx2,fma")))
static inline __m256
refine_peak8 (__m256 a, __m256 b, __m256 c)
{
  const __m256 sign_bit = _mm256_set1_ps (-0.0f);
  __m256 sign = _mm256_and_ps (b, sign_bit);
  __m256 pa = _mm256_xor_ps (a, sign), pb = _mm256_andnot_ps (sign_bit, b);
  __m256 pc = _mm256_xor_ps (c, sign);
  __m256 den = _mm256_sub_ps (_mm256_add_ps (pb, pb), _mm256_add_ps (pa, pc));
  __m256 d = _mm256_sub_ps (pc, pa);
  __m256 ok = _mm256_and_ps (_mm256_and_ps (_mm256_cmp_ps (pb, pa, _CMP_GE_OQ),
          _mm256_cmp_ps (pb, pc, _CMP_GE_OQ)),
      _mm256_cmp_ps (den, _mm256_setzero_ps (), _CMP_GT_OQ));
  __m256 d_scaled = _mm256_mul_ps (d, _mm256_set1_ps (0.125f * 1.0004f));
  __m256 rise = _mm256_mul_ps (_mm256_mul_ps (d, d_scaled),
      _mm256_rcp_ps (den));
  return _mm256_add_ps (pb, _mm256_and_ps (ok, rise));
}

/* nyquist_lift on eight lanes. */
__attribute__ ((target ("avx2,fma")))
static inline __m256
nyquist_lift8 (__m256 a0, __m256 b0, __m256 c0, __m256 a1, __m256 b1,
    __m256 c1)
{
  __m256 r0 = _mm256_mul_ps (_mm256_add_ps (a0, c0),
      _mm256_rcp_ps (_mm256_add_ps (b0, b0)));
  __m256 r1 = _mm256_mul_ps (_mm256_add_ps (a1, c1),
      _mm256_rcp_ps (_mm256_add_ps (b1, b1)));
  __m256 x = _mm256_sub_ps (_mm256_set1_ps (1.0f), _mm256_min_ps (r0, r1));
  x = _mm256_max_ps (_mm256_min_ps (x, _mm256_set1_ps (NYQUIST_CAP)),
      _mm256_setzero_ps ());
  return _mm256_fmadd_ps (_mm256_mul_ps (x, x),
      _mm256_set1_ps (NYQUIST_K * 1.0004f), _mm256_set1_ps (1.0f));
}

/* detect_true_peaks with AVX2 and FMA, from the half-sample points
 * half_sample_points_fft made: per eight frames the quarter points, the
 * meters' phases and the refinement without leaving registers. */
__attribute__ ((target ("avx2,fma")))
static void
detect_true_peaks_avx2 (MstTpDetect * det, int channel, int n)
{
  const float *row = det->rows + (size_t) channel * det->row_stride;
  float *peak = mst_tpdetect_peaks (det, channel);
  const float *half = det->halves + (size_t) channel * det->half_stride
      + HALF_FRONT;
  const int n8 = (n + 7) & ~7;
  const float (*tap)[8] = (const float (*)[8]) det->stage2_splat;

  const float *x = row + ROW_FIRST;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  const __m256i rotate = _mm256_setr_epi32 (7, 0, 1, 2, 3, 4, 5, 6);
  __m256 prev_q3 = _mm256_set1_ps (det->last_phase[channel]);
  for (int i = 0; i < n8; i += 8) {
    __m256 xv[BS_TAPS], hv[7];
    for (int m = 0; m < BS_TAPS; m++)
      xv[m] = _mm256_loadu_ps (x + i - (BS_TAPS / 2 - 1) + m);
    for (int m = 0; m < 7; m++)
      hv[m] = _mm256_loadu_ps (half + i + m);
    /* xv[5 + o] is x[i + o]; hv[m] is half[i + m]. */
    const int H = BS_TAPS / 2;
    __m256 sum[BS_TAPS / 2], dif[BS_TAPS / 2];
    for (int m = 0; m < H; m++) {
      sum[m] = _mm256_add_ps (xv[m], xv[BS_TAPS - 1 - m]);
      dif[m] = _mm256_sub_ps (xv[m], xv[BS_TAPS - 1 - m]);
    }
    __m256 e[3], f[3];
    for (int m = 0; m < 3; m++) {
      e[m] = _mm256_add_ps (hv[m], hv[6 - m]);
      f[m] = _mm256_sub_ps (hv[m], hv[6 - m]);
    }
    const __m256 zero = _mm256_setzero_ps ();
    __m256 P = zero, Q = zero, mid = zero, U, V;
    for (int m = 0; m < H; m++) {
      P = _mm256_fmadd_ps (sum[m], _mm256_loadu_ps (tap[m]), P);
      Q = _mm256_fmadd_ps (dif[m], _mm256_loadu_ps (tap[H + m]), Q);
      mid = _mm256_fmadd_ps (sum[m], _mm256_loadu_ps (tap[2 * H + m]), mid);
    }
    const float (*ut)[8] = tap + 3 * H, (*vt)[8] = ut + 7;
    U = _mm256_mul_ps (hv[3], _mm256_loadu_ps (ut[6]));
    V = _mm256_mul_ps (f[0], _mm256_loadu_ps (vt[3]));
    for (int m = 0; m < 3; m++) {
      U = _mm256_fmadd_ps (sum[3 + m], _mm256_loadu_ps (ut[m]), U);
      U = _mm256_fmadd_ps (e[m], _mm256_loadu_ps (ut[3 + m]), U);
      V = _mm256_fmadd_ps (dif[3 + m], _mm256_loadu_ps (vt[m]), V);
    }
    V = _mm256_fmadd_ps (f[1], _mm256_loadu_ps (vt[4]), V);
    V = _mm256_fmadd_ps (f[2], _mm256_loadu_ps (vt[5]), V);
    __m256 q1 = _mm256_add_ps (U, V), q3 = _mm256_sub_ps (U, V);
    /* The quarter point before each frame: q3 one frame earlier. */
    __m256 q3_before = _mm256_blend_ps (_mm256_permutevar8x32_ps (q3, rotate),
        _mm256_permutevar8x32_ps (prev_q3, rotate), 0x01);
    prev_q3 = q3;
    __m256 v0 = xv[5], v2 = hv[3], v4 = xv[6];
    __m256 m = refine_peak8 (q3_before, v0, q1);
    m = _mm256_max_ps (m, refine_peak8 (v0, q1, v2));
    m = _mm256_max_ps (m, refine_peak8 (q1, v2, q3));
    m = _mm256_max_ps (m, refine_peak8 (v2, q3, v4));
    m = _mm256_mul_ps (m, nyquist_lift8 (q3_before, v0, q1, q1, v2, q3));
    __m256 bs = _mm256_max_ps (_mm256_add_ps (_mm256_and_ps (P, abs_mask),
            _mm256_and_ps (Q, abs_mask)), _mm256_and_ps (mid, abs_mask));
    _mm256_storeu_ps (peak + i, _mm256_mul_ps (_mm256_max_ps (m, bs),
            _mm256_set1_ps (det->k_others)));
  }
  /* Frame n - 1's quarter point is in the last vector (frames n8 - 8 ..). */
  float last[8];
  _mm256_storeu_ps (last, prev_q3);
  det->last_phase[channel] = last[(n - 1) & 7];
}

/* FFmpeg's folded sums P, Q, M (see design_folded_ff) of sixteen frames,
 * two vectors sharing each tap, over the pairs @from .. FF_TAPS / 2 - 1:
 * sums[0 .. 2] for the first eight frames, sums[3 .. 5] for the next. */
__attribute__ ((target ("avx2,fma")))
static inline __attribute__ ((always_inline)) void
ff_sums16 (const MstTpDetect * det, const float *x, int from, __m256 sums[6])
{
  const float (*ft)[8] = (const float (*)[8]) det->ff_splat;
  const int FH = FF_TAPS / 2;
  const float *xf = x - (FH - 1);
  __m256 P0 = _mm256_setzero_ps (), Q0 = P0, M0 = P0, P1 = P0, Q1 = P0;
  __m256 M1 = P0;
#pragma GCC unroll 16
  for (int m = from; m < FH; m++) {
    __m256 a = _mm256_loadu_ps (ft[m]), b = _mm256_loadu_ps (ft[FH + m]);
    __m256 c = _mm256_loadu_ps (ft[2 * FH + m]);
    __m256 lo = _mm256_loadu_ps (xf + m);
    __m256 hi = _mm256_loadu_ps (xf + FF_TAPS - 1 - m);
    __m256 s = _mm256_add_ps (lo, hi), d = _mm256_sub_ps (lo, hi);
    P0 = _mm256_fmadd_ps (s, a, P0);
    Q0 = _mm256_fmadd_ps (d, b, Q0);
    M0 = _mm256_fmadd_ps (s, c, M0);
    lo = _mm256_loadu_ps (xf + 8 + m);
    hi = _mm256_loadu_ps (xf + 8 + FF_TAPS - 1 - m);
    s = _mm256_add_ps (lo, hi);
    d = _mm256_sub_ps (lo, hi);
    P1 = _mm256_fmadd_ps (s, a, P1);
    Q1 = _mm256_fmadd_ps (d, b, Q1);
    M1 = _mm256_fmadd_ps (s, c, M1);
  }
  sums[0] = P0;
  sums[1] = Q0;
  sums[2] = M0;
  sums[3] = P1;
  sums[4] = Q1;
  sums[5] = M1;
}

/* FFmpeg's points of sixteen frames. */
__attribute__ ((target ("avx2,fma")))
static inline void
ff_points16 (const MstTpDetect * det, const float *x, __m256 f[2][3])
{
  __m256 sums[6];
  ff_sums16 (det, x, 0, sums);
  const __m256 P0 = sums[0], Q0 = sums[1], M0 = sums[2];
  const __m256 P1 = sums[3], Q1 = sums[4], M1 = sums[5];
  f[0][0] = _mm256_add_ps (P0, Q0);
  f[0][1] = M0;
  f[0][2] = _mm256_sub_ps (P0, Q0);
  f[1][0] = _mm256_add_ps (P1, Q1);
  f[1][1] = M1;
  f[1][2] = _mm256_sub_ps (P1, Q1);
}

/* The largest magnitude among frames x[-16 .. 31] (every frame of the
 * windows of FFmpeg's points for frames x[0 .. 15]), in every lane. */
__attribute__ ((target ("avx2,fma")))
static inline __m256
window_max16 (const float *x)
{
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  __m256 big = _mm256_and_ps (_mm256_loadu_ps (x - 16), abs_mask);
  for (int k = -8; k < 32; k += 8)
    big = _mm256_max_ps (big, _mm256_and_ps (_mm256_loadu_ps (x + k),
            abs_mask));
  big = _mm256_max_ps (big, _mm256_permute2f128_ps (big, big, 0x01));
  big = _mm256_max_ps (big, _mm256_shuffle_ps (big, big, 0x4e));
  return _mm256_max_ps (big, _mm256_shuffle_ps (big, big, 0xb1));
}

/* For FFmpeg's points of sixteen frames on its grid, as ff_peaks_avx2
 * takes them (into peak, which holds the others' peaks): their sums over
 * the meters' twelve frames alone and a bound on what the other pairs add
 * (design_folded_ff). Where the bound is at most the larger of each
 * frame's peak and the floor, FFmpeg's points change no value that
 * mst_tpdetect_set_floor promises: the bound is taken, true returned.
 * Not inlined: the compiler would then load the shared pairs once for both
 * this and ff_points16, before the test, and keep them on the stack (more
 * instructions than the test saves). */
__attribute__ ((target ("avx2,fma"), noinline))
static bool
ff_bounded16 (const MstTpDetect * det, const float *x, float *peak)
{
  __m256 sums[6];
  ff_sums16 (det, x, FF_TAPS / 2 - BS_TAPS / 2, sums);
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  const __m256 xmax = window_max16 (x);
  const __m256 up = _mm256_set1_ps (FF_BOUND_ROUNDING);
  const __m256 e1 = _mm256_set1_ps (det->ff_outer[0]);
  const __m256 e2 = _mm256_set1_ps (det->ff_outer[1]);
  const __m256 floor_v = _mm256_set1_ps (det->floor);
  __m256 bound[2], m[2], ok = _mm256_castsi256_ps (_mm256_set1_epi32 (-1));
  for (int h = 0; h < 2; h++) {
    const __m256 *S = sums + 3 * h;
    bound[h] = _mm256_max_ps (_mm256_fmadd_ps (xmax, e1, _mm256_mul_ps (
                _mm256_add_ps (_mm256_and_ps (S[0], abs_mask),
                    _mm256_and_ps (S[1], abs_mask)), up)),
        _mm256_fmadd_ps (xmax, e2, _mm256_mul_ps (_mm256_and_ps (S[2],
                    abs_mask), up)));
    m[h] = _mm256_loadu_ps (peak + 8 * h);
    ok = _mm256_and_ps (ok, _mm256_cmp_ps (bound[h], _mm256_max_ps (m[h],
                floor_v), _CMP_LE_OQ));
  }
  if (_mm256_movemask_ps (ok) != 0xff)
    return false;
  for (int h = 0; h < 2; h++)
    _mm256_storeu_ps (peak + 8 * h, _mm256_max_ps (m[h], bound[h]));
  return true;
}

/* What refine_peak16's vertex times nyquist_lift16 can reach, per unit of
 * the largest magnitude among the three points: a parabola through three
 * points, the middle one the largest, peaks within half a step of it,
 * where it is at most 1.25 times their largest (the Lebesgue constant of
 * the quadratic there); times 1.0004 and the reciprocal estimate's 2^-14
 * (refine_peak16), times the largest lift, 1 + 1.0004 NYQUIST_K
 * NYQUIST_CAP^2 = 1.00859; 1.2625 covers those (1.2612) and the float
 * roundings on the way. */
#define REFINED_BOUND 1.2625f

/* The AVX-512 loop's first test (quiet): every point it can read for
 * sixteen frames x[0 .. 15] is at most the floor F when the largest
 * sample X of x[-16 .. 31] is at most x_max F and the half-sample points
 * its quarter points read are at most h_max F; the loop tests the larger
 * of X and H over the 48 frames against the smaller of the two (quiet).
 * The meters' and FFmpeg's points are at most the sum of their phases'
 * taps' magnitudes times X (1.86, 2.35: kx); the quarter points (taps on
 * frames and half-sample points, 0.90 each: qx, qh) at most qx X + qh H;
 * the refined vertices REFINED_BOUND (kr) times the largest of those, X
 * and H. So X <= F / max (kx, kr) and H <= (F / kr - qx X) / qh, taken at
 * the largest X, hold every one under F: a quarter of the vectors of the
 * bench's music at +12 dB pass (H's bound from the vector's own X would
 * pass 0.4 % more, for a division or a second test on every vector that
 * passes the one on X). The taps' magnitudes are summed in double from
 * the floats the loop folds (within a rounding of them) and taken 2^-10
 * larger, far more than the loop's few dozen roundings of 2^-24 add. */
static void
design_quiet_bound (MstTpDetect * det)
{
  double meters = 0.0, ff = 0.0, qx = 0.0, qh = 0.0;
  for (int p = 0; p < TP_FACTOR - 1; p++) {
    double a = 0.0, b = 0.0;
    for (int k = 0; k < BS_TAPS; k++)
      a += fabs (det->bs_coef[p * BS_TAPS + k]);
    for (int k = 0; k < FF_TAPS; k++)
      b += fabs (det->ff_coef[p * FF_TAPS + k]);
    meters = fmax (meters, a);
    ff = fmax (ff, b);
  }
  double q3x = 0.0, q3h = 0.0;
  for (int m = 0; m < 6; m++) {
    qx += fabs (det->q1_x[m]);
    qh += fabs (det->q1_h[m]);
    q3x += fabs (det->q3_x[m]);
    q3h += fabs (det->q3_h[m]);
  }
  const double up = 1.0 + 1.0 / 1024.0;
  const double kx = fmax (meters, ff) * up, kr = REFINED_BOUND * up;
  qx = fmax (qx, q3x) * up;
  qh = fmax (qh, q3h) * up;
  const double x_max = 1.0 / fmax (kx, kr);
  const double h_max = fmin ((1.0 / kr - qx * x_max) / qh, 1.0 / kr);
  det->quiet = (float) fmin (x_max, h_max);
}

/* The screen's second differences of the 2x sequence are taken this many
 * times in the same largest magnitude as the samples' (see the loop): for
 * smooth signals about three quarters of the samples' there. */
#define SCREEN_Z2 3.0f
/* Blocks in a row the screen may leave nothing out of before it rests,
 * and how often it is tried again then. */
#define SCREEN_PATIENCE 4
#define SCREEN_PROBE 8

/* The AVX-512 loop's second test (the screen), for the vectors the quiet
 * test leaves: on loud music most of them are still under the floor F, by
 * a margin the taps' magnitudes (the quiet test's bound) cannot see. It
 * bounds every point by what interpolation adds to the two nearest
 * samples, through second differences, which smooth music keeps small:
 * - the meters' and FFmpeg's points (twelve and thirty-two taps on the
 *   frames): each at most s X + E D2
 *   (mst_truepeak_second_difference_bound), X the
 *   largest sample and D2 the largest |x[k-1] - 2 x[k] + x[k+1]| of
 *   frames -16 .. 31 around the vector's sixteen;
 * - the precise quarter points (twelve taps on the 2x sequence z of frames
 *   and half-sample points, z[2k] = x[k], z[2k+1] = h[k], halfway between
 *   two of them): each at most s_z Z + E_z D2Z, Z the largest of X and the
 *   half-sample points read and D2Z the largest second difference of z
 *   there; the frames and half-sample points themselves at most Z;
 * - the refined vertices: at most REFINED_BOUND times the largest of those.
 * The whole is taken 2^-10 larger, as the quiet test's, far more than the
 * few dozen float roundings in the points, the differences and the
 * thresholds. At +12 dB two thirds of the bench music's vectors pass the
 * quiet test or this one, against a quarter the quiet test alone. */
static void
design_screen (MstTpDetect * det)
{
  const int BH = BS_TAPS / 2;
  const float *v = det->stage2_fold, *ft = det->ff_fold;
  const float *ut = v + 3 * BH, *vt = ut + 7;
  double g[FF_TAPS], s = 0.0, e = 0.0, s_fir = 1.0, e_fir = 0.0, s_z = 1.0, e_z = 0.0;
  bool ok = true;
  /* The meters' phases P + Q, P - Q and their middle one on frames
   * i - 5 .. i + 6, between i and i + 1 (pair b: frames i - 5 + b and
   * i + 6 - b); FFmpeg's on frames i - 15 .. i + 16 (pair k: i - 15 + k,
   * i + 16 - k). */
  for (int family = 0; family < 2; family++) {
    const int taps = family == 0 ? BS_TAPS : FF_TAPS, H = taps / 2;
    const float *fold = family == 0 ? v : ft;
    for (int phase = 0; phase < 3; phase++) {
      for (int b = 0; b < H; b++) {
        double p = fold[b], q = fold[H + b], mid = fold[2 * H + b];
        g[b] = phase == 2 ? mid : phase == 0 ? p + q : p - q;
        g[taps - 1 - b] = phase == 2 ? mid : phase == 0 ? p - q : p + q;
      }
      ok = ok && mst_truepeak_second_difference_bound (g, taps, H - 1, &s, &e);
      s_fir = fmax (s_fir, s);
      e_fir = fmax (e_fir, e);
    }
  }
  /* q1 = U + V and q3 = U - V on z[2i - 5] (h[i - 3]) .. z[2i + 7]
   * (h[i + 3]), q1 between z[2i] and z[2i + 1] (window places 5 and 6),
   * q3 between z[2i + 1] and z[2i + 2]: frame i - 5 + b (b = 3 .. 5) at
   * place 2b - 5 and its pair at 17 - 2b, h[i - 3 + m] (m = 0 .. 2) at
   * 2m and its pair at 12 - 2m, h[i] at 6. */
  for (int which = 0; which < 2; which++) {
    const double sign = which == 0 ? 1.0 : -1.0;
    for (int k = 0; k < 13; k++)
      g[k] = 0.0;
    for (int b = 3; b < BH; b++) {
      g[2 * b - 5] += ut[b - 3] + sign * vt[b - 3];
      g[17 - 2 * b] += ut[b - 3] - sign * vt[b - 3];
    }
    for (int m = 0; m < 3; m++) {
      g[2 * m] += ut[3 + m] + sign * vt[3 + m];
      g[12 - 2 * m] += ut[3 + m] - sign * vt[3 + m];
    }
    g[6] += ut[6];
    ok = ok && mst_truepeak_second_difference_bound (g, 13, 5 + which, &s, &e);
    s_z = fmax (s_z, s);
    e_z = fmax (e_z, e);
  }
  const double up = 1.0 + 1.0 / 1024.0;
  det->screen_fir[0] = (float) (s_fir * up);
  det->screen_fir[1] = (float) (e_fir * up);
  det->screen_near[0] = (float) (REFINED_BOUND * up);
  det->screen_near[1] = (float) s_z;
  det->screen_near[2] = (float) e_z;
  det->screen_on = ok;
}

/* refine_peak8 on sixteen lanes. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __m512
refine_peak16 (__m512 a, __m512 b, __m512 c)
{
  const __m512 sign_bit = _mm512_set1_ps (-0.0f);
  __m512 sign = _mm512_and_ps (b, sign_bit);
  __m512 pa = _mm512_xor_ps (a, sign), pb = _mm512_andnot_ps (sign_bit, b);
  __m512 pc = _mm512_xor_ps (c, sign);
  __m512 den = _mm512_sub_ps (_mm512_add_ps (pb, pb), _mm512_add_ps (pa, pc));
  __m512 d = _mm512_sub_ps (pc, pa);
  __mmask16 ok = _mm512_cmp_ps_mask (pb, pa, _CMP_GE_OQ)
      & _mm512_cmp_ps_mask (pb, pc, _CMP_GE_OQ)
      & _mm512_cmp_ps_mask (den, _mm512_setzero_ps (), _CMP_GT_OQ);
  __m512 d_scaled = _mm512_mul_ps (d, _mm512_set1_ps (0.125f * 1.0004f));
  __m512 rise = _mm512_mul_ps (_mm512_mul_ps (d, d_scaled),
      _mm512_rcp14_ps (den));
  return _mm512_mask_add_ps (pb, ok, pb, rise);
}

/* The lift of refine_peak_hf for sixteen frames, from r = (a + c) / 2b at
 * two points a quarter period of fs/2 apart (so that one of them is away
 * from a zero crossing): the smaller r, the more lift. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __m512
nyquist_lift16 (__m512 a0, __m512 b0, __m512 c0, __m512 a1, __m512 b1,
    __m512 c1)
{
  __m512 r0 = _mm512_mul_ps (_mm512_add_ps (a0, c0),
      _mm512_rcp14_ps (_mm512_add_ps (b0, b0)));
  __m512 r1 = _mm512_mul_ps (_mm512_add_ps (a1, c1),
      _mm512_rcp14_ps (_mm512_add_ps (b1, b1)));
  __m512 x = _mm512_sub_ps (_mm512_set1_ps (1.0f), _mm512_min_ps (r0, r1));
  x = _mm512_max_ps (_mm512_min_ps (x, _mm512_set1_ps (NYQUIST_CAP)),
      _mm512_setzero_ps ());
  return _mm512_fmadd_ps (_mm512_mul_ps (x, x),
      _mm512_set1_ps (NYQUIST_K * 1.0004f), _mm512_set1_ps (1.0f));
}

/* Pair m of FFmpeg's window for sixteen frames (xf: the first frame of
 * the first one's window): the sum s and difference d of its frames, and
 * their terms added to FFmpeg's folded sums P, Q, M. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) void
ff_pair16 (const float *ft, const float *xf, int m, __m512 * s, __m512 * d,
    __m512 * P, __m512 * Q, __m512 * M)
{
  const int FH = FF_TAPS / 2;
  __m512 lo = _mm512_loadu_ps (xf + m);
  __m512 hi = _mm512_loadu_ps (xf + FF_TAPS - 1 - m);
  *s = _mm512_add_ps (lo, hi);
  *d = _mm512_sub_ps (lo, hi);
  *P = _mm512_fmadd_ps (*s, _mm512_set1_ps (ft[m]), *P);
  *Q = _mm512_fmadd_ps (*d, _mm512_set1_ps (ft[FH + m]), *Q);
  *M = _mm512_fmadd_ps (*s, _mm512_set1_ps (ft[2 * FH + m]), *M);
}

/* acc + a b with the float at b in every lane: _mm512_fmadd_ps (a,
 * _mm512_set1_ps (*b), acc), one rounding, the same value, but with the
 * broadcast from memory an operand of the multiply-add. With the
 * intrinsics GCC hoisted the taps' broadcasts out of the loop into 64-byte
 * stack copies, or loaded the taps as scalars, kept them on the stack and
 * broadcast them again every vector (a shuffle each). */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) __m512
fmadd_bcst16 (__m512 a, const float *b, __m512 acc)
{
  __asm__ ("vfmadd231ps %2%{1to16%}, %1, %0" : "+v" (acc) : "v" (a),
      "m" (*b));
  return acc;
}

/* Each frame's predecessor: lane 0 the last lane of @prev, lane k lane
 * k - 1 of @v; one lane shift (valignd), where two permutations and a
 * blend sat on the way to the skip test. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __m512
before16 (__m512 v, __m512 prev)
{
  return _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (v),
          _mm512_castps_si512 (prev), 15));
}

/* The half-sample points' terms of the quarter points' sums U and V for
 * sixteen frames from half[i] on (the last terms added to them). */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) void
quarter_halves16 (const float *half, int i, const float *ut, const float *vt,
    __m512 * U, __m512 * V)
{
  __m512 hv[7];
  for (int m = 0; m < 7; m++)
    hv[m] = _mm512_loadu_ps (half + i + m);
  *U = fmadd_bcst16 (hv[3], ut + 6, *U);
  for (int m = 0; m < 3; m++) {
    *U = fmadd_bcst16 (_mm512_add_ps (hv[m], hv[6 - m]), ut + 3 + m, *U);
    *V = fmadd_bcst16 (_mm512_sub_ps (hv[m], hv[6 - m]), vt + 3 + m, *V);
  }
}

/* The quarter points q3 of sixteen frames x[i ..] as the loop below makes
 * them (the same multiply-adds in the same order, so the same values),
 * for the quarter point before a vector whose predecessor was left out. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) __m512
quarter_q3_16 (const float *x, const float *half, int i, const float *ut,
    const float *vt)
{
  const int FH = FF_TAPS / 2, BH = BS_TAPS / 2;
  const float *xf = x + i - (FH - 1);
  __m512 U = _mm512_setzero_ps (), V = U;
  for (int m = FH - BH + 3; m < FH; m++) {
    __m512 lo = _mm512_loadu_ps (xf + m);
    __m512 hi = _mm512_loadu_ps (xf + FF_TAPS - 1 - m);
    const int b = m - (FH - BH);
    U = fmadd_bcst16 (_mm512_add_ps (lo, hi), ut + b - 3, U);
    V = fmadd_bcst16 (_mm512_sub_ps (lo, hi), vt + b - 3, V);
  }
  quarter_halves16 (half, i, ut, vt, &U, &V);
  return _mm512_sub_ps (U, V);
}

/* The largest lane of each of sixteen vectors, v[k]'s in lane k: halves,
 * then quarters, of pairs of vectors side by side, then pairs of lanes
 * within the quarters (46 instructions, where a reduction each takes
 * 128). */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) __m512
lane_max16 (const __m512 v[16])
{
  __m512 w[8], y[4], z[2];
  for (int p = 0; p < 8; p++)
    w[p] = _mm512_max_ps (_mm512_shuffle_f32x4 (v[2 * p], v[2 * p + 1],
            _MM_SHUFFLE (1, 0, 1, 0)), _mm512_shuffle_f32x4 (v[2 * p],
            v[2 * p + 1], _MM_SHUFFLE (3, 2, 3, 2)));
  /* w[p]: v[2p]'s in quarters 0 and 1, v[2p + 1]'s in 2 and 3. */
  for (int q = 0; q < 4; q++)
    y[q] = _mm512_max_ps (_mm512_shuffle_f32x4 (w[2 * q], w[2 * q + 1],
            _MM_SHUFFLE (2, 0, 2, 0)), _mm512_shuffle_f32x4 (w[2 * q],
            w[2 * q + 1], _MM_SHUFFLE (3, 1, 3, 1)));
  /* y[q]: quarter L holds v[4q + L]'s four. */
  for (int r = 0; r < 2; r++)
    z[r] = _mm512_max_ps (_mm512_shuffle_ps (y[2 * r], y[2 * r + 1],
            _MM_SHUFFLE (1, 0, 1, 0)), _mm512_shuffle_ps (y[2 * r],
            y[2 * r + 1], _MM_SHUFFLE (3, 2, 3, 2)));
  /* z[r]: quarter L holds v[8r + L]'s two, then v[8r + 4 + L]'s. */
  const __m512 m = _mm512_max_ps (_mm512_shuffle_ps (z[0], z[1],
          _MM_SHUFFLE (2, 0, 2, 0)), _mm512_shuffle_ps (z[0], z[1],
          _MM_SHUFFLE (3, 1, 3, 1)));
  /* m[4L + j] is v[4j + L]'s. */
  return _mm512_permutexvar_ps (_mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13,
          2, 6, 10, 14, 3, 7, 11, 15), m);
}

/* FFmpeg's points f3 = Pf - Qf of sixteen frames as the loop below makes
 * them (the same ff_pair16 calls in the same order, so the same values),
 * for the point before a vector whose predecessor was left out; @xf: the
 * first frame of the first one's window. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __m512
ff_f3_16 (const float *ft, const float *xf)
{
  __m512 P = _mm512_setzero_ps (), Q = P, M = P, s, d;
  for (int k = 0; k < FF_TAPS / 2; k++)
    ff_pair16 (ft, xf, k, &s, &d, &P, &Q, &M);
  return _mm512_sub_ps (P, Q);
}

/* detect_true_peaks_avx2 and ff_peaks_avx2 in one pass, sixteen frames at
 * a time, for CPUs with AVX-512 (32 registers: every sum stays in one).
 * @others_whole: k_others is 1, so that its products are left out (the
 * same values, one multiplication fewer before the skip test).
 * @ff_refine: FFmpeg's points are off our grid (not 48 or 96 kHz): each of
 * their extrema refined. */
__attribute__ ((target ("avx512f,avx512dq")))
static inline __attribute__ ((always_inline)) void
detect_true_peaks_avx512_body (MstTpDetect * det, int channel, int n,
    const bool others_whole, const bool ff_refine)
{
  const float *x = det->rows + (size_t) channel * det->row_stride + ROW_FIRST;
  float *peak = mst_tpdetect_peaks (det, channel);
  const float *half = det->halves + (size_t) channel * det->half_stride
      + HALF_FRONT;
  const int n16 = (n + 15) & ~15, FH = FF_TAPS / 2, BH = BS_TAPS / 2;
  const float *ft = det->ff_fold;
  /* A copy on the stack, which GCC knows no store to the peaks reaches;
   * from stage2_splat's first lanes it gathered the taps with some thirty
   * permutations a call. */
  float tp[STAGE2_TAPS];
  memcpy (tp, det->stage2_fold, sizeof tp);
  const float *ut = tp + 3 * BH, *vt = ut + 7;
  __m512 prev_q3 = _mm512_set1_ps (det->last_phase[channel]);
  __m512 prev_f3 = _mm512_set1_ps (det->last_ff_phase[channel]);
  /* Work that cannot change a peak over the floor may be left out (see
   * mst_tpdetect_set_floor): whole vectors (the prepass below) at every
   * rate, FFmpeg's outer taps and the refinement (the tests in the loop)
   * where FFmpeg's points are ours, unrefined (design_folded_ff). */
  const bool may_skip = det->floor > 0.0f;
  const bool may_exit = may_skip && !ff_refine;
  const __m512 floor_v = _mm512_set1_ps (det->floor);
  /* In locals: the stores to peak could alias det's fields for GCC, which
   * would then load and broadcast them again every sixteen frames. */
  const __m512 k_others = _mm512_set1_ps (det->k_others);
  const __m512 refined_bound = _mm512_set1_ps (REFINED_BOUND * det->k_others);
  const __m512 ff_outer0 = _mm512_set1_ps (det->ff_outer[0]);
  const __m512 ff_outer1 = _mm512_set1_ps (det->ff_outer[1]);
  float *group_z = det->group_z, *group_d2 = det->group_d2;
  uint16_t *skip_mask = det->skip_mask;
  if (may_skip) {
    /* Each 16 frames' largest magnitude Z of the samples and the
     * half-sample points (h[k] = half[k + 3]), and D of the samples'
     * second differences and SCREEN_Z2 times those of the 2x sequence
     * (z[2k] = x[k], z[2k + 1] = h[k]: h[k - 1] - 2 x[k] + h[k] and
     * x[k] - 2 h[k] + x[k + 1]). Group j holds frames 16 (j - 1) .. 16 j
     * - 1, sixteen groups at a time, each sample and point loaded once.
     * The first group's half-sample points are scratch and the last two's
     * past the block's: only the first and last vectors read them, and
     * neither is left out (below). */
    const __m512 two = _mm512_set1_ps (2.0f);
    const __m512 z2 = _mm512_set1_ps (SCREEN_Z2);
    const int groups = n16 / 16 + 2;
    __m512 x_prev = _mm512_loadu_ps (x - 32), x_cur = _mm512_loadu_ps (x - 16);
    __m512 h_prev = _mm512_loadu_ps (half - 13);
    /* The screen is tried unless it left nothing out of this channel's
     * last SCREEN_PATIENCE blocks (white noise, say, where its prepass
     * would cost 6 %), and then every SCREEN_PROBE-th block. */
    const bool screen = det->screen_on
        && (det->screen_misses[channel] < SCREEN_PATIENCE
        || ++det->screen_probes[channel] % SCREEN_PROBE == 0);
    for (int j0 = 0; j0 < groups; j0 += 16) {
      __m512 az[16], ad[16];
      for (int l = 0; l < 16; l++) {
        if (j0 + l >= groups) {
          az[l] = ad[l] = _mm512_setzero_ps ();
          continue;
        }
        const int k = 16 * (j0 + l - 1);
        const __m512 xk = x_cur, xp = x_prev, hp = h_prev;
        const __m512 xn16 = _mm512_loadu_ps (x + k + 16);
        const __m512 hk = _mm512_loadu_ps (half + k + 3);
        x_prev = xk;
        x_cur = xn16;
        h_prev = hk;
        /* vrangeps 0x0b: the larger magnitude, its sign cleared. */
        az[l] = _mm512_range_ps (xk, hk, 0x0b);
        if (!screen)
          continue;
        const __m512 xb = _mm512_castsi512_ps (_mm512_alignr_epi32
            (_mm512_castps_si512 (xk), _mm512_castps_si512 (xp), 15));
        const __m512 xn = _mm512_castsi512_ps (_mm512_alignr_epi32
            (_mm512_castps_si512 (xn16), _mm512_castps_si512 (xk), 1));
        const __m512 hb = _mm512_castsi512_ps (_mm512_alignr_epi32
            (_mm512_castps_si512 (hk), _mm512_castps_si512 (hp), 15));
        const __m512 d2 = _mm512_fnmadd_ps (two, xk, _mm512_add_ps (xb, xn));
        const __m512 even = _mm512_fnmadd_ps (two, xk, _mm512_add_ps (hb,
                hk));
        const __m512 odd = _mm512_fnmadd_ps (two, hk, _mm512_add_ps (xk,
                xn));
        ad[l] = _mm512_range_ps (d2, _mm512_mul_ps (z2, _mm512_range_ps (even,
                    odd, 0x0b)), 0x0b);
      }
      _mm512_storeu_ps (group_z + j0, lane_max16 (az));
      if (screen)
        _mm512_storeu_ps (group_d2 + j0, lane_max16 (ad));
    }
    /* Sixteen vectors at a time: around vector v (frames 16 v - 16 ..
     * 16 v + 31), Z and D are the largest of groups v .. v + 2. The quiet
     * test (design_quiet_bound) on Z (for X and H), the screen
     * (design_screen) on Z and D: the meters' and FFmpeg's points at most
     * fir[0] Z + fir[1] D2, the refined ones near[0] (near[1] Z + near[2]
     * D2Z), with D2 and SCREEN_Z2 D2Z at most D: each under the floor F
     * where D is at most the smaller of (F - fir[0] Z) / fir[1] and
     * SCREEN_Z2 (F / near[0] - near[1] Z) / near[2]. */
    const __m512 quiet_z = _mm512_set1_ps (ff_refine ? -1.0f
        : det->floor * det->quiet);
    /* Off FFmpeg's grid each of its extrema is refined by a parabola
     * through three of its points: at most REFINED_BOUND times their
     * largest (the quiet test's constants do not take that: off). */
    const float fir_k = ff_refine ? det->screen_near[0] : 1.0f;
    const __m512 fir_z = _mm512_set1_ps (det->screen_fir[0] * fir_k);
    const __m512 fir_d = _mm512_set1_ps (1.0f / (det->screen_fir[1] * fir_k));
    const __m512 near_f = _mm512_set1_ps (det->floor / det->screen_near[0]);
    const __m512 near_z = _mm512_set1_ps (det->screen_near[1]);
    const __m512 near_d = _mm512_set1_ps (SCREEN_Z2 / det->screen_near[2]);
    const int vectors = n16 / 16;
#define AROUND(g) _mm512_max_ps (_mm512_loadu_ps ((g) + v), _mm512_max_ps \
      (_mm512_loadu_ps ((g) + v + 1), _mm512_loadu_ps ((g) + v + 2)))
    bool screened_any = false, computed_any = false;
    for (int v = 0; v < vectors; v += 16) {
      const __m512 big_z = AROUND (group_z);
      const __mmask16 quiet = _mm512_cmp_ps_mask (big_z, quiet_z, _CMP_LE_OQ);
      __mmask16 skip = quiet;
      if (screen) {
        const __m512 big_d = AROUND (group_d2);
        const __m512 room_fir = _mm512_mul_ps (_mm512_fnmadd_ps (big_z,
                fir_z, floor_v), fir_d);
        const __m512 room_near = _mm512_mul_ps (_mm512_fnmadd_ps (big_z,
                near_z, near_f), near_d);
        skip |= _mm512_cmp_ps_mask (big_d, _mm512_min_ps (room_fir,
                room_near), _CMP_LE_OQ);
        screened_any |= (skip & ~quiet) != 0;
      }
      /* The first vector's quarter point before it is the last block's,
       * and the last one's groups reach past the block's half-sample
       * points: neither is left out. */
      const int in_word = vectors - v < 16 ? vectors - v : 16;
      unsigned others = (1u << in_word) - 1;
      if (v == 0)
        others &= ~1u;
      if (vectors - v <= 16)
        others &= ~(1u << (vectors - 1 - v));
      skip &= (__mmask16) others;
      skip_mask[v / 16] = skip;
      computed_any |= (others & ~(unsigned) skip) != 0;
    }
#undef AROUND
    /* A miss: vectors were left to compute and the screen took none of
     * them (a block the quiet test took whole tells nothing). */
    if (screen && screened_any)
      det->screen_misses[channel] = 0;
    else if (screen && computed_any
        && det->screen_misses[channel] < SCREEN_PATIENCE)
      det->screen_misses[channel]++;
  }
  /* Whether prev_q3 and prev_f3 are not the last vector's (it was left
   * out). */
  bool q3_stale = false, f3_stale = false;
  for (int i = 0; i < n16; i += 16) {
    if (may_skip) {
      /* First, sixteen frames none of whose points can be over the floor
       * (by the quiet test, or the screen: two thirds of the vectors of
       * loud music): every value is then the same with the floor, and
       * none of their sums is needed; the next vector makes their last
       * quarter point if it needs it. */
      const int v = i / 16;
      if ((skip_mask[v / 16] >> (v % 16)) & 1) {
        _mm512_storeu_ps (peak + i, floor_v);
        q3_stale = true;
        f3_stale = ff_refine;
        continue;
      }
      if (q3_stale) {
        prev_q3 = quarter_q3_16 (x, half, i - 16, ut, vt);
        q3_stale = false;
      }
      if (f3_stale) {
        prev_f3 = ff_f3_16 (ft, x + i - 16 - (FH - 1));
        f3_stale = false;
      }
    }
    /* Pair m: frames x[i - 15 + m] and x[i + 16 - m], centred on i + 1/2;
     * FFmpeg's interpolator takes every pair, the meters' m >= 10, the
     * quarter points m >= 13. The pairs the meters share first; Pt, Qt, Mt
     * are FFmpeg's sums over them alone. */
    const float *xf = x + i - (FH - 1);
    __m512 Pt = _mm512_setzero_ps (), Qt = Pt, Mt = Pt, P = Pt, Q = Pt;
    __m512 mid = Pt, U = Pt, V = Pt;
    /* Redefined every vector, so that the taps' addresses are folded
     * into the instructions rather than kept on the stack. */
    const float *fti = ft;
    __asm__ ("" : "+r" (fti));
#pragma GCC unroll 16
    for (int m = FH - BH; m < FH; m++) {
      __m512 lo = _mm512_loadu_ps (xf + m);
      __m512 hi = _mm512_loadu_ps (xf + FF_TAPS - 1 - m);
      __m512 s = _mm512_add_ps (lo, hi), d = _mm512_sub_ps (lo, hi);
      /* FFmpeg's as ff_pair16, the meters' and the quarter points'. */
      Pt = fmadd_bcst16 (s, fti + m, Pt);
      Qt = fmadd_bcst16 (d, fti + FH + m, Qt);
      Mt = fmadd_bcst16 (s, fti + 2 * FH + m, Mt);
      const int b = m - (FH - BH);
      P = fmadd_bcst16 (s, tp + b, P);
      Q = fmadd_bcst16 (d, tp + BH + b, Q);
      mid = fmadd_bcst16 (s, tp + 2 * BH + b, mid);
      if (b >= 3) {
        U = fmadd_bcst16 (s, ut + b - 3, U);
        V = fmadd_bcst16 (d, vt + b - 3, V);
      }
    }
    quarter_halves16 (half, i, ut, vt, &U, &V);
    __m512 q1 = _mm512_add_ps (U, V), q3 = _mm512_sub_ps (U, V);
    __m512 q3_before = before16 (q3, prev_q3);
    prev_q3 = q3;
    __m512 v0 = _mm512_loadu_ps (x + i), v2 = _mm512_loadu_ps (half + i + 3);
    __m512 v4 = _mm512_loadu_ps (x + i + 1);
    /* The meters' phases: max (|P + Q|, |P - Q|) = |P| + |Q|. */
    __m512 meters = _mm512_max_ps (_mm512_add_ps (_mm512_abs_ps (P),
            _mm512_abs_ps (Q)), _mm512_abs_ps (mid));
    if (!others_whole)
      meters = _mm512_mul_ps (meters, k_others);
    __m512 bound = meters;
    if (may_exit) {
      /* A bound on FFmpeg's points from the shared pairs and the largest
       * sample of its windows (frames i - 16 .. i + 31): where it is at
       * most the larger of our peak and the floor, every lane's value is
       * the same with FFmpeg's points or with the bound. */
      const float *g = group_z + i / 16;
      const __m512 xmax = _mm512_set1_ps (max_f (max_f (g[0], g[1]), g[2]));
      const __m512 up = _mm512_set1_ps (FF_BOUND_ROUNDING);
      bound = _mm512_fmadd_ps (xmax, ff_outer0, _mm512_mul_ps
          (_mm512_add_ps (_mm512_abs_ps (Pt), _mm512_abs_ps (Qt)), up));
      bound = _mm512_max_ps (bound, _mm512_fmadd_ps (xmax, ff_outer1,
              _mm512_mul_ps (_mm512_abs_ps (Mt), up)));
      /* The same for the refined precise points: each refined vertex is at
       * most REFINED_BOUND times the largest of the six points around
       * it. Where both bounds are at most the larger of the meters' peak
       * and the floor, the refinement changes no value either. */
      __m512 near = _mm512_max_ps (_mm512_abs_ps (q3_before),
          _mm512_abs_ps (v0));
      near = _mm512_max_ps (near, _mm512_max_ps (_mm512_abs_ps (q1),
              _mm512_abs_ps (v2)));
      near = _mm512_max_ps (near, _mm512_max_ps (_mm512_abs_ps (q3),
              _mm512_abs_ps (v4)));
      const __m512 both = _mm512_max_ps (bound, _mm512_mul_ps (near,
              refined_bound));
      if (_mm512_cmp_ps_mask (both, _mm512_max_ps (meters, floor_v),
              _CMP_LE_OQ) == 0xffff) {
        _mm512_storeu_ps (peak + i, _mm512_max_ps (meters, both));
        continue;
      }
    }
    __m512 m = refine_peak16 (q3_before, v0, q1);
    m = _mm512_max_ps (m, refine_peak16 (v0, q1, v2));
    m = _mm512_max_ps (m, refine_peak16 (q1, v2, q3));
    m = _mm512_max_ps (m, refine_peak16 (v2, q3, v4));
    m = _mm512_mul_ps (m, nyquist_lift16 (q3_before, v0, q1, q1, v2, q3));
    m = _mm512_max_ps (others_whole ? m : _mm512_mul_ps (m, k_others),
        meters);
    if (may_exit && _mm512_cmp_ps_mask (bound, _mm512_max_ps (m, floor_v),
            _CMP_LE_OQ) == 0xffff) {
      _mm512_storeu_ps (peak + i, _mm512_max_ps (m, bound));
      continue;
    }
    /* FFmpeg's sums over every pair, in the order of the pairs. */
    __m512 Pf = _mm512_setzero_ps (), Qf = Pf, Mf = Pf;
    /* The taps through a pointer GCC cannot see is ft: it would otherwise
     * keep the shared pairs' tap broadcasts for this loop across the skip
     * tests, storing them to the stack every sixteen frames, where most
     * vectors never get here; read again, they are broadcast operands. */
    const float *ft_full = ft;
    __asm__ ("" : "+r" (ft_full));
#pragma GCC unroll 16
    for (int k = 0; k < FH; k++) {
      __m512 s, d;
      ff_pair16 (ft_full, xf, k, &s, &d, &Pf, &Qf, &Mf);
    }
    /* FFmpeg's: f1 = Pf + Qf, f2 = Mf, f3 = Pf - Qf. */
    __m512 f1 = _mm512_add_ps (Pf, Qf), f3 = _mm512_sub_ps (Pf, Qf);
    if (ff_refine) {
      __m512 f3_before = before16 (f3, prev_f3);
      m = _mm512_max_ps (m, refine_peak16 (f3_before, v0, f1));
      m = _mm512_max_ps (m, refine_peak16 (v0, f1, Mf));
      m = _mm512_max_ps (m, refine_peak16 (f1, Mf, f3));
      m = _mm512_max_ps (m, refine_peak16 (Mf, f3, v4));
    } else {
      m = _mm512_max_ps (m, _mm512_add_ps (_mm512_abs_ps (Pf),
              _mm512_abs_ps (Qf)));
      m = _mm512_max_ps (m, _mm512_abs_ps (Mf));
    }
    prev_f3 = f3;
    _mm512_storeu_ps (peak + i, m);
  }
  if (q3_stale)
    prev_q3 = quarter_q3_16 (x, half, n16 - 16, ut, vt);
  if (f3_stale)
    prev_f3 = ff_f3_16 (ft, x + n16 - 16 - (FH - 1));
  float last[16];
  _mm512_storeu_ps (last, prev_q3);
  det->last_phase[channel] = last[(n - 1) & 15];
  _mm512_storeu_ps (last, prev_f3);
  det->last_ff_phase[channel] = last[(n - 1) & 15];
}

__attribute__ ((target ("avx512f,avx512dq")))
static void
detect_true_peaks_avx512 (MstTpDetect * det, int channel, int n)
{
  /* Compiled for each case: off FFmpeg's grid the loop keeps its points
   * for their refinement, which costs the common case on it 1 %. */
  const bool whole = det->k_others == 1.0f, off_grid = !det->ff_on_grid;
  if (whole && !off_grid)
    detect_true_peaks_avx512_body (det, channel, n, true, false);
  else if (whole)
    detect_true_peaks_avx512_body (det, channel, n, true, true);
  else if (!off_grid)
    detect_true_peaks_avx512_body (det, channel, n, false, false);
  else
    detect_true_peaks_avx512_body (det, channel, n, false, true);
}

/* FFmpeg's meter's peaks of n frames of one channel into its peaks (the
 * larger of the two): on its grid its points, elsewhere each extremum
 * refined. */
__attribute__ ((target ("avx2,fma")))
static void
ff_peaks_avx2 (MstTpDetect * det, int channel, int n)
{
  const float *x = det->rows + (size_t) channel * det->row_stride + ROW_FIRST;
  float *peak = mst_tpdetect_peaks (det, channel);
  const int n16 = (n + 15) & ~15;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  const __m256i rotate = _mm256_setr_epi32 (7, 0, 1, 2, 3, 4, 5, 6);
  __m256 prev_f3 = _mm256_set1_ps (det->last_ff_phase[channel]);
  /* On its grid FFmpeg's last point is not kept (no refinement). */
  __m256 last_f3[2] = { prev_f3, prev_f3 };
  const bool may_skip = det->ff_on_grid && det->floor > 0.0f;
  for (int i = 0; i < n16; i += 16) {
    if (may_skip && ff_bounded16 (det, x + i, peak + i))
      continue;
    __m256 f[2][3];
    ff_points16 (det, x + i, f);
    for (int h = 0; h < 2; h++) {
      const int k = i + 8 * h;
      __m256 m;
      if (det->ff_on_grid) {
        m = _mm256_max_ps (_mm256_and_ps (f[h][0], abs_mask),
            _mm256_and_ps (f[h][2], abs_mask));
        m = _mm256_max_ps (m, _mm256_and_ps (f[h][1], abs_mask));
      } else {
        __m256 f3_before = _mm256_blend_ps (_mm256_permutevar8x32_ps (f[h][2],
                rotate), _mm256_permutevar8x32_ps (prev_f3, rotate), 0x01);
        __m256 v0 = _mm256_loadu_ps (x + k), v4 = _mm256_loadu_ps (x + k + 1);
        m = refine_peak8 (f3_before, v0, f[h][0]);
        m = _mm256_max_ps (m, refine_peak8 (v0, f[h][0], f[h][1]));
        m = _mm256_max_ps (m, refine_peak8 (f[h][0], f[h][1], f[h][2]));
        m = _mm256_max_ps (m, refine_peak8 (f[h][1], f[h][2], v4));
      }
      prev_f3 = f[h][2];
      last_f3[h] = f[h][2];
      _mm256_storeu_ps (peak + k, _mm256_max_ps (m, _mm256_loadu_ps (peak
                  + k)));
    }
  }
  /* Frame n - 1's f3 (frames n16 - 16 .. in the last two vectors). */
  float last[8];
  int tail = (n - 1) & 15;
  _mm256_storeu_ps (last, last_f3[tail >> 3]);
  det->last_ff_phase[channel] = last[tail & 7];
}
#endif

/* FFmpeg's point at fraction p/4 (p = 1..3) past the centre of a window
 * of FF_TAPS frames w[0..31] (between w[15] and w[16]). */
static float
ff_point (const MstTpDetect * det, const float *w, int p)
{
  const float *h = det->ff_coef + (size_t) (p - 1) * FF_TAPS;
  float acc = 0.0f;
  for (int k = 0; k < FF_TAPS; k++)
    acc += w[k] * h[k];
  return acc;
}

/* FFmpeg's meter starts a file as if the frames before it were its first
 * ones mirrored (libswresample fills its history so, x[-k] = x[k]); the
 * limiter's stream begins where such a file would. For the intervals
 * whose window reaches before the stream's first frame, the peak of
 * FFmpeg's curve on that mirrored history, besides the silence the other
 * interpolators assume. @first: where the stream's frame 0 is in this
 * block's frames (x[first]), possibly negative. */
static void
ff_mirrored_start (MstTpDetect * det, int channel, int n, int64_t first)
{
  const float *x = det->rows + (size_t) channel * det->row_stride + ROW_FIRST;
  float *peak = mst_tpdetect_peaks (det, channel);
  const int H = FF_TAPS / 2;
  for (int i = 0; i < n; i++) {
    int64_t s = i - first;      /* the interval from stream frame s */
    if (s < 0 || s >= H)
      continue;
    /* Points of the intervals s - 1 and s: w0 is centred on s - 1 | s. */
    float w[FF_TAPS + 1], pt[6];
    for (int k = 0; k <= FF_TAPS; k++) {
      int64_t j = s - H + k;    /* stream frame of w[k] */
      w[k] = x[i + ((j < 0 ? -j : j) - s)];
    }
    pt[0] = ff_point (det, w, 3);
    pt[1] = w[H];
    for (int p = 1; p < TP_FACTOR; p++)
      pt[1 + p] = ff_point (det, w + 1, p);
    pt[5] = w[H + 1];
    float m = 0.0f;
    for (int k = 1; k < 5; k++)
      m = max_f (m, refine_peak (pt[k - 1], pt[k], pt[k + 1]));
    peak[i] = max_f (peak[i], m);
  }
}

static void
detect_sample_peaks (MstTpDetect * det, int channel, int n)
{
  const float *x = det->rows + (size_t) channel * det->row_stride
      + ROW_FIRST;
  float *peak = mst_tpdetect_peaks (det, channel);
  for (int i = 0; i < n; i++)
    peak[i] = fabsf (x[i]);
}

void
mst_tpdetect_process (MstTpDetect * det, int n, bool true_peak)
{
#ifdef MST_HAVE_X86_PATHS
  if (true_peak && det->vector_path)
    half_sample_points_fft (det, n);
#endif
  /* True peak back on: the quarter points kept from the last true-peak
   * block are of long-gone frames; the one before this block's first frame
   * is taken on the line between its neighbours instead. */
  if (true_peak && !det->last_true_peak) {
    for (int c = 0; c < det->channels; c++) {
      const float *x = det->rows + (size_t) c * det->row_stride + ROW_FIRST;
      det->last_phase[c] = det->last_ff_phase[c] = 0.25f * x[-1]
          + 0.75f * x[0];
    }
  }
  det->last_true_peak = true_peak;
  /* Where the stream's first frame is among this block's frames. */
  int64_t first = (int64_t) DETECT_DELAY - (int64_t) det->frames_seen;
  bool at_start = first + FF_TAPS / 2 > 0;
  for (int c = 0; c < det->channels; c++) {
    if (!true_peak)
      detect_sample_peaks (det, c, n);
#ifdef MST_HAVE_X86_PATHS
    else if (det->vector_path) {
      if (det->avx512_path)
        detect_true_peaks_avx512 (det, c, n);
      else {
        detect_true_peaks_avx2 (det, c, n);
        ff_peaks_avx2 (det, c, n);
      }
    }
#endif
    else
      detect_true_peaks (det, c, n);
    if (true_peak && at_start)
      ff_mirrored_start (det, c, n, first);
    float *row = det->rows + (size_t) c * det->row_stride;
    memmove (row, row + n, ROW_HISTORY * sizeof (float));
  }
  if (det->frames_seen < UINT32_MAX)
    det->frames_seen += (uint64_t) n;
}
