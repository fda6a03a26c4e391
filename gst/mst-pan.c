/* mastering: panner core. The whole element is one 2x2 matrix on (L, R)
 * (a mono source read as (x, x)): the stereo width as mid/side, then the
 * pan or the balance through the law. The matrix, not the position,
 * glides: a change of law or mode glides as a move does. */
#include "mst-pan.h"

#include <stdlib.h>
#include <string.h>

#include "mst-fpu.h"
#include "mst-matrix2.h"
#include "mst-smoother.h"

/* The glide advances once per control period, the matrix moving linearly
 * in between. */
#define PAN_CONTROL_FRAMES 32
/* Entries within this of the target land on it: a glide ends exactly,
 * with a step far under what a float carries of full scale (-260 dB). */
#define PAN_SNAP 1e-13
/* Settled, the frames go through in blocks of this many: the unit in which
 * a non-finite sample silences its neighbours. */
#define PAN_BLOCK_FRAMES 1024

struct MstPan {
  MstPanSettings settings;
  int in_channels;
  double coef;                  /* one-pole step per control period */
  MstMat2 value, target;
  uint64_t nonfinite;
};

void
mst_pan_settings_default (MstPanSettings * s)
{
  s->position = 0.0;
  s->law = MST_PAN_LAW_3DB;
  s->mode = MST_PAN_MODE_PAN;
  s->width_pct = 100.0;
  s->bypass = false;
}

void
mst_pan_law_gains (MstPanLaw law, double position, double *left,
    double *right)
{
  /* u: 0 hard left, 1/2 centre, 1 hard right. */
  double u = (fmax (-MST_PAN_MAX_POSITION, fmin (MST_PAN_MAX_POSITION,
              position)) + MST_PAN_MAX_POSITION) / (2 * MST_PAN_MAX_POSITION);
  double c = cos (u * M_PI / 2), s = sin (u * M_PI / 2);
  switch (law) {
    case MST_PAN_LAW_0DB:
      *left = fmin (1.0, M_SQRT2 * c);
      *right = fmin (1.0, M_SQRT2 * s);
      break;
    case MST_PAN_LAW_4_5DB:
      *left = sqrt ((1.0 - u) * c);
      *right = sqrt (u * s);
      break;
    case MST_PAN_LAW_6DB:
      *left = 1.0 - u;
      *right = u;
      break;
    case MST_PAN_LAW_3DB:
    default:
      *left = c;
      *right = s;
      break;
  }
  /* cos (pi / 2) is 6e-17, not 0: the ends exact. */
  if (u == 0.0)
    *right = 0.0;
  if (u == 1.0)
    *left = 0.0;
}

/* The matrix the settings ask for. */
static MstMat2
target_matrix (const MstPanSettings * s, int in_channels)
{
  double l, r;
  if (s->bypass)
    return MST_MAT2_IDENTITY;
  if (in_channels == 1) {
    /* (x, x): half of each input to each side. */
    mst_pan_law_gains (s->law, s->position, &l, &r);
    return (MstMat2) { 0.5 * l, 0.5 * l, 0.5 * r, 0.5 * r };
  }
  /* Mid/side width: the side times w. */
  double w = s->width_pct / 100.0;
  MstMat2 width = { 0.5 * (1 + w), 0.5 * (1 - w), 0.5 * (1 - w),
    0.5 * (1 + w)
  };
  MstMat2 place;
  if (s->mode == MST_PAN_MODE_BALANCE) {
    double l0, r0;
    mst_pan_law_gains (s->law, s->position, &l, &r);
    mst_pan_law_gains (s->law, 0.0, &l0, &r0);
    place = (MstMat2) { fmin (1.0, l / l0), 0.0, 0.0, fmin (1.0, r / r0) };
  } else {
    double ll, lr, rl, rr;
    double p = s->position;
    mst_pan_law_gains (s->law, 2 * p - MST_PAN_MAX_POSITION, &ll, &lr);
    mst_pan_law_gains (s->law, 2 * p + MST_PAN_MAX_POSITION, &rl, &rr);
    place = (MstMat2) { ll, rl, lr, rr };
  }
  return mst_mat2_mul (&place, &width);
}

MstPan *
mst_pan_init (void)
{
  MstPan *pan = calloc (1, sizeof *pan);
  if (!pan)
    return NULL;
  mst_pan_settings_default (&pan->settings);
  pan->in_channels = 2;
  pan->value = pan->target = MST_MAT2_IDENTITY;
  return pan;
}

void
mst_pan_destroy (MstPan ** pan)
{
  if (!pan || !*pan)
    return;
  free (*pan);
  *pan = NULL;
}

MstResult
mst_pan_configure (MstPan * pan, double rate_hz, int in_channels)
{
  if (!pan || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || (in_channels != 1 && in_channels != 2))
    return MST_ERR_INVALID_ARG;
  pan->in_channels = in_channels;
  pan->coef = mst_smoother_one_pole_coef (PAN_CONTROL_FRAMES, rate_hz,
      MST_PAN_SMOOTHING_MS);
  pan->target = target_matrix (&pan->settings, in_channels);
  pan->nonfinite = 0;
  mst_pan_reset (pan);
  return MST_OK;
}

MstResult
mst_pan_set (MstPan * pan, const MstPanSettings * s)
{
  if (!pan || !s || !(fabs (s->position) <= MST_PAN_MAX_POSITION)
      || !(s->width_pct >= 0.0 && s->width_pct <= MST_PAN_MAX_WIDTH_PCT)
      || (unsigned) s->law > MST_PAN_LAW_6DB
      || (unsigned) s->mode > MST_PAN_MODE_BALANCE)
    return MST_ERR_INVALID_ARG;
  pan->settings = *s;
  pan->target = target_matrix (s, pan->in_channels);
  return MST_OK;
}

void
mst_pan_reset (MstPan * pan)
{
  pan->value = pan->target;
}

bool
mst_pan_is_passthrough (const MstPan * pan)
{
  return pan->in_channels == 2 && mst_mat2_equal (&pan->value, &pan->target)
      && mst_mat2_is_identity (&pan->value);
}

/* One control period's step of every entry towards the target. */
static void
glide (MstPan * pan)
{
  mst_smoother_one_pole_step (&pan->value.m00, pan->target.m00, pan->coef,
      PAN_SNAP);
  mst_smoother_one_pole_step (&pan->value.m01, pan->target.m01, pan->coef,
      PAN_SNAP);
  mst_smoother_one_pole_step (&pan->value.m10, pan->target.m10, pan->coef,
      PAN_SNAP);
  mst_smoother_one_pole_step (&pan->value.m11, pan->target.m11, pan->coef,
      PAN_SNAP);
}

MST_ALWAYS_INLINE MstResult
pan_process (MstPan * pan, const void *in, size_t n_frames, void *out,
    MstFormat fmt)
{
  if (!pan || (!out && n_frames))
    return MST_ERR_INVALID_ARG;
  size_t width = fmt == MST_FORMAT_F64 ? sizeof (double) : sizeof (float);
  int ch = pan->in_channels;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  for (size_t done = 0; done < n_frames;) {
    bool steady = mst_mat2_equal (&pan->value, &pan->target);
    /* Settled: a block at once; gliding: one control period. */
    size_t n = steady ? PAN_BLOCK_FRAMES : PAN_CONTROL_FRAMES;
    n = n < n_frames - done ? n : n_frames - done;
    const char *src = in ? (const char *) in + done * ch * width : NULL;
    char *dst = (char *) out + done * 2 * width;
    MstMat2 from = pan->value;
    if (!steady)
      glide (pan);
    if (!src || !mst_input_sane (src, n * ch, fmt)) {
      /* Silence in: silence out; a bad block counted. */
      pan->nonfinite += src != NULL;
      memset (dst, 0, n * 2 * width);
    } else {
      mst_mat2_apply_frames (src, ch, dst, fmt, &from, &pan->value, n);
    }
    done += n;
  }
  mst_fpu_leave (fpu);
  return MST_OK;
}

MST_DEFINE_PROCESS_TO (mst_pan_process, MstPan, void, pan_process)

uint64_t
mst_pan_get_nonfinite_count (const MstPan * pan)
{
  return pan ? pan->nonfinite : 0;
}
