/* mastering: panner core (pure C, no GObject): a mono or stereo source
 * placed in the stereo field, stereo out. */
#ifndef MST_PAN_H
#define MST_PAN_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** position: -100 (hard left) .. 100 (hard right). */
#define MST_PAN_MAX_POSITION 100.0
/** width of a stereo source: the side times width / 100. */
#define MST_PAN_MAX_WIDTH_PCT 200.0
/** Time constant of the glides (one-pole, 63 % of a step in this time). */
#define MST_PAN_SMOOTHING_MS 10.0

/** The pan law: the level of each channel when the source is at the
 *  centre. At the ends every law gives the side panned to unity and the
 *  other silence. */
typedef enum {
  MST_PAN_LAW_0DB,              /* 0 dB at the centre: the far side fades
                                 * (sine), the near stays at unity */
  MST_PAN_LAW_3DB,              /* -3 dB: sine/cosine, constant power */
  MST_PAN_LAW_4_5DB,            /* -4.5 dB: the geometric mean of -3 and -6 */
  MST_PAN_LAW_6DB,              /* -6 dB: linear, constant amplitude */
} MstPanLaw;

/** What position does to a stereo source (a mono one is always panned). */
typedef enum {
  /* Both channels moved: the left input at 2 position - 100, the right at
   * 2 position + 100 (each clamped to the ends), each through the law; at
   * the centre L and R pass unchanged, at an end both are on that side at
   * unity, between them the far channel crosses over while the near one
   * stays. */
  MST_PAN_MODE_PAN,
  /* The far channel turned down along the law scaled to unity at the
   * centre, the near one left at unity; nothing crosses sides. */
  MST_PAN_MODE_BALANCE,
} MstPanMode;

typedef struct {
  double position;
  MstPanLaw law;
  MstPanMode mode;
  double width_pct;             /* stereo sources: 0 mono, 100 unchanged */
  bool bypass;                  /* stereo unchanged, mono to both sides */
} MstPanSettings;

/** The defaults, written here only: centre, -3 dB law, pan mode, width
 *  100 %. */
void mst_pan_settings_default (MstPanSettings * settings);

/** The gains of a mono source at @position under @law, into *@left and
 *  *@right (the law's closed forms). */
void mst_pan_law_gains (MstPanLaw law, double position, double *left,
    double *right);

typedef struct MstPan MstPan;

/** Allocates a panner with the default settings; NULL on failure. Nothing
 *  else allocates. */
MstPan *mst_pan_init (void);

/** Frees @pan and sets *@pan to NULL. */
void mst_pan_destroy (MstPan ** pan);

/** Sets the rate and the input's channels (1 or 2), resets all state. */
MstResult mst_pan_configure (MstPan * pan, double rate_hz, int in_channels);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range), then takes the result as the target the 2x2 matrix
 *  glides to: a change of position, width, law, mode or bypass never
 *  steps. */
MstResult mst_pan_set (MstPan * pan, const MstPanSettings * settings);

/** Glides jump to their targets. */
void mst_pan_reset (MstPan * pan);

/** True when processing would leave a stereo source bit-exact (the matrix
 *  settled on the identity); never for mono (one channel in, two out). */
bool mst_pan_is_passthrough (const MstPan * pan);

/** @n_frames frames of the configured channels from @in (NULL: silence)
 *  to @out, interleaved stereo; @in may be @out for a stereo source.
 *  Blocks with samples that are not finite or beyond MST_MAX_INPUT are
 *  read as silence. */
MstResult mst_pan_process_f32 (MstPan * pan, const float *in,
    size_t n_frames, void *out);
MstResult mst_pan_process_f64 (MstPan * pan, const double *in,
    size_t n_frames, void *out);

/** Blocks with input read as silence, since configure. */
uint64_t mst_pan_get_nonfinite_count (const MstPan * pan);

#ifdef __cplusplus
}
#endif
#endif
