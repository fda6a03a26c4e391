/* mastering: modulation core (pure C, no GObject): chorus, flanger and
 * phaser, mono or stereo interleaved frames in, stereo out. */
#ifndef MST_MODULATION_H
#define MST_MODULATION_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Ranges mst_modulation_set() takes. */
#define MST_MODULATION_MAX_VOICES 8
#define MST_MODULATION_MIN_DELAY_MS 1.0
#define MST_MODULATION_MAX_DELAY_MS 30.0
#define MST_MODULATION_MAX_RATE_HZ 20.0
/** |feedback| stays below 100 %: the loop gain below 1 keeps the flanger's
 *  comb and the phaser's loop stable. */
#define MST_MODULATION_MAX_FEEDBACK_PCT 99.0
#define MST_MODULATION_MAX_SPREAD_DEG 180.0
#define MST_MODULATION_MIN_STAGES 4
#define MST_MODULATION_MAX_STAGES 12
#define MST_MODULATION_MIN_FREQ_HZ 20.0
#define MST_MODULATION_MAX_FREQ_HZ 20000.0

/** At depth 100 % a delay swings by half its centre value either way
 *  (centre 15 ms: 7.5 to 22.5 ms): the read position never comes nearer
 *  than half the centre delay (0.5 ms, 4 frames at 8 kHz). */
#define MST_MODULATION_SWING 0.5
/** Chorus voices' centre delays spread over +-20 % of the delay, evenly
 *  (voice v of V at delay (1 + 0.4 (v / (V - 1) - 0.5))), their LFO
 *  phases over the cycle (voice v at 360 v / V degrees). */
#define MST_MODULATION_VOICE_DELAY_SPREAD 0.4
/** Time constant of every glide (one-pole, 63 % of a step in this time);
 *  a change of mode fades the wet signal out and in, linearly over this
 *  time each way. */
#define MST_MODULATION_SMOOTHING_MS 20.0

typedef enum {
  /* Several voices of modulated delay lines, no feedback. */
  MST_MODULATION_CHORUS,
  /* One modulated delay line with feedback: a moving comb. */
  MST_MODULATION_FLANGER,
  /* A chain of first-order all-pass stages whose break frequency sweeps,
   * with feedback: moving notches. */
  MST_MODULATION_PHASER,
} MstModulationMode;

typedef enum {
  MST_MODULATION_SHAPE_SINE,
  /* (2 / pi) asin (sin phase): the sine's peaks and zeros, straight in
   * between. */
  MST_MODULATION_SHAPE_TRIANGLE,
} MstModulationShape;

/** Everything a user may change while playing.
 *
 *  Mono or stereo in, stereo out: a mono input feeds both sides, each
 *  with its own voices (a stereo input: each side its own channel).
 *
 *  LFO: lfo (t) = shape (2 pi rate t + offset), t from the last reset, in
 *  -1 .. 1; the left side at offset 0, the right at spread (so a mono
 *  input comes out as two decorrelated sides when spread is above 0, and
 *  as two equal ones at spread 0).
 *
 *  Chorus and flanger: the wet signal of voice v is the input (flanger:
 *  plus feedback times the wet signal) delayed by
 *  D_v (1 + SWING depth / 100 lfo (t)), D_v the voice's centre delay
 *  (flanger: one voice, D = delay); the chorus sums its voices each times
 *  1 / sqrt (voices) (uncorrelated voices keep the level).
 *
 *  Phaser: stages first-order all-passes (a + z^-1) / (1 + a z^-1), all
 *  with the break frequency (phase -90 degrees)
 *  fc (t) = sqrt (min max) (max / min)^(depth / 100 lfo (t) / 2), the
 *  chain's input being the input plus feedback times the chain's last
 *  output.
 *
 *  Output: cos (pi / 2 mix / 100) dry + sin (pi / 2 mix / 100) wet (equal
 *  power; at 50 % dry and wet are equal, so the notches are complete);
 *  with invert, minus the wet (a flanger's notches then fall at k / delay,
 *  DC included, instead of (k + 1/2) / delay: the subtractive, through-
 *  zero-like colour). */
typedef struct {
  MstModulationMode mode;
  int voices;                   /* chorus: 1 .. MAX_VOICES */
  double delay_ms;              /* 0: the mode's own (chorus 15, flanger 2);
                                 * else MIN_DELAY_MS .. MAX_DELAY_MS */
  double depth_pct;             /* 0 .. 100 */
  double rate_hz;               /* 0 (the LFO frozen) .. MAX_RATE_HZ */
  MstModulationShape shape;
  double feedback_pct;          /* flanger and phaser: -99 .. 99 */
  double mix_pct;               /* 0 (dry, bit-exact) .. 100 (wet only) */
  double spread_deg;            /* LFO phase between first and last
                                 * channel: 0 .. 180 */
  int stages;                   /* phaser: MIN_STAGES .. MAX_STAGES */
  double min_freq_hz, max_freq_hz;      /* phaser sweep (either order) */
  bool invert;                  /* the wet signal's polarity inverted */
  bool bypass;                  /* as mix 0 */
} MstModulationSettings;

/** The defaults, written here only: chorus, 3 voices, the mode's delay,
 *  depth 30 %, rate 0.5 Hz, sine, feedback 0, mix 50 %, spread 90
 *  degrees, 6 stages swept 300 Hz .. 3 kHz. */
void mst_modulation_settings_default (MstModulationSettings * settings);

/** The centre delay in ms @s gives (delay_ms, or the mode's own). */
double mst_modulation_delay_ms (const MstModulationSettings * s);

typedef struct MstModulation MstModulation;

/** Allocates for the worst case (384 kHz, 8 channels); NULL on failure.
 *  Nothing else allocates. */
MstModulation *mst_modulation_init (void);

void mst_modulation_destroy (MstModulation ** m);

/** Sets the rate and the input's channel count (1 or 2; the output is
 *  always stereo), and resets. */
MstResult mst_modulation_configure (MstModulation * m, double rate_hz,
    int in_channels);

/** Validates every field (MST_ERR_INVALID_ARG and nothing applied when one
 *  is out of range), then takes them as targets: every number glides; a
 *  change of voices or stages glides each voice's gain or stage's blend
 *  (and the voices' delays and phases); a change of shape crossfades the
 *  two shapes; a change of mode fades the wet signal out, switches and
 *  fades it in. */
MstResult mst_modulation_set (MstModulation * m,
    const MstModulationSettings * settings);

/** Clears the delay line and the all-pass states, restarts the LFO at
 *  phase 0; glides jump to their targets. */
void mst_modulation_reset (MstModulation * m);

/** @n_frames frames of the configured channels from @in (NULL: silence)
 *  into @n_frames stereo frames at @out (which may be @in for a stereo
 *  input). Input that is not finite or beyond MST_MAX_INPUT is read as
 *  silence (and written as 0). With the mix settled at 0 (or bypassed)
 *  the output is the input bit for bit (a mono input on both sides; the
 *  delay line still follows the input). */
MstResult mst_modulation_process_f32 (MstModulation * m, const float *in,
    size_t n_frames, void *out);
MstResult mst_modulation_process_f64 (MstModulation * m, const double *in,
    size_t n_frames, void *out);

/** Blocks with input read as silence or state reset, since configure. */
uint64_t mst_modulation_get_nonfinite_count (const MstModulation * m);

#ifdef __cplusplus
}
#endif
#endif
