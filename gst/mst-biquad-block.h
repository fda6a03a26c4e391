/* mastering: a biquad cascade in block state-space form, eight frames a
 * step (pure C, no GObject). */
#ifndef MST_BIQUAD_BLOCK_H
#define MST_BIQUAD_BLOCK_H

#include "mst-biquad.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Frames one step of the block form takes. */
#define MST_BIQUAD_BLOCK_FRAMES 8
/** Largest state: the order of a cascade (one state a first-order
 *  section, two a second-order one), one vector of eight doubles. */
#define MST_BIQUAD_BLOCK_MAX_STATE (2 * MST_FILTER_MAX_SECTIONS)

/** A cascade's recurrence written for eight frames at a time. Run one
 *  sample at a time, a cascade waits on its own recurrence: two dependent
 *  multiply-adds a section and a sample, however many lanes the vectors
 *  have. In block form the state s (the sections' transposed direct form
 *  II states) goes eight frames forward in one step, s' = A s + B u, and
 *  the eight outputs are y = C s + D u (u the eight inputs): the step's
 *  multiply-adds are independent of each other, eight lanes wide, and the
 *  chain from one state to the next is a lane broadcast, ceil (order / 2)
 *  multiply-adds and an addition for eight frames.
 *  The matrices come from the cascade's own recurrence run on unit states
 *  and inputs, so the result is the cascade's to within rounding. Plain
 *  data: design it once for a set of coefficients. */
typedef struct {
  int n_state, n_sections;
  /* Steps of eight frames: x86-64 with AVX-512 (chosen at run time), with
   * its 32 registers. Elsewhere the block form is not faster than the
   * cascade's own runners (with AVX2 and its 16 registers the matrices
   * spill: the band limit took 4.6 ns a stereo frame, against 3.3 by the
   * skewed cascade of mst-biquad), which its users then take; run there,
   * it goes frame by frame. */
  bool vector_path;
  /* Section k's first state is state index first[k]; its second, for a
   * second-order section (b2 or a2 not 0), the next one. */
  int first[MST_FILTER_MAX_SECTIONS];
  bool second_order[MST_FILTER_MAX_SECTIONS];
  MstBiquad coefs[MST_FILTER_MAX_SECTIONS];
  /* Columns, eight lanes each: a[i], c[i] what state i gives the next
   * state and the outputs; b[j], d[j] what input j gives them. */
  double a[MST_BIQUAD_BLOCK_MAX_STATE][MST_BIQUAD_BLOCK_FRAMES];
  double b[MST_BIQUAD_BLOCK_FRAMES][MST_BIQUAD_BLOCK_FRAMES];
  double c[MST_BIQUAD_BLOCK_MAX_STATE][MST_BIQUAD_BLOCK_FRAMES];
  double d[MST_BIQUAD_BLOCK_FRAMES][MST_BIQUAD_BLOCK_FRAMES];
  /* The same columns in single precision for interleaved stereo F32
   * frames, sixteen lanes holding both channels: lane 2 k + c is frame
   * (or state) k of channel c, as the frames lie in memory. */
  float a2[MST_BIQUAD_BLOCK_MAX_STATE][2 * MST_BIQUAD_BLOCK_FRAMES];
  float b2[MST_BIQUAD_BLOCK_FRAMES][2 * MST_BIQUAD_BLOCK_FRAMES];
  float c2[MST_BIQUAD_BLOCK_MAX_STATE][2 * MST_BIQUAD_BLOCK_FRAMES];
  float d2[MST_BIQUAD_BLOCK_FRAMES][2 * MST_BIQUAD_BLOCK_FRAMES];
} MstBiquadBlockForm;

/** Designs the block form of @cascade's sections. */
void mst_biquad_block_design (MstBiquadBlockForm * f,
    const MstBiquadCascade * cascade);

/** Runs @cascade (coefficients as designed into @f; its history read and
 *  written, so the cascade's other runners can take over at any call) in
 *  place over @n frames of channels 0 .. @n_channels - 1 of a planar
 *  block, channel c at @planar + c @stride; or with @frames non-NULL
 *  (stereo only) over the interleaved F32 frames themselves, converted in
 *  registers, @planar then scratch of the same size. */
void mst_biquad_block_run (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, int n_channels, double *planar,
    size_t stride, float *frames, int n);

/** mst_biquad_block_run on @n interleaved stereo F32 frames from @src to
 *  @frames (in place when they are the same; from a separate @src the
 *  same output as a copy then the run in place), its steps in single
 *  precision with both channels in one vector (half the multiply-adds):
 *  for a well-conditioned low-order cascade such as the band limit's
 *  (mst-bandlimit.h), whose output it keeps within 1e-6 of its input's
 *  scale of the cascade's (test_block_form; in double, within one rounding
 *  to float). Its frames one by one and its history are in double, as
 *  mst_biquad_block_run's. */
void mst_biquad_block_run_stereo_f32 (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, const float *src, float *frames, int n);

/** mst_biquad_block_run_stereo_f32 from a separate @src whose samples are
 *  checked in the same pass: true, the same output, when every sample is
 *  audio (as mst_input_sane judges); false otherwise, the cascade then
 *  untouched and @frames undefined. */
bool mst_biquad_block_run_stereo_f32_sane (const MstBiquadBlockForm * f,
    MstBiquadCascade * cascade, const float *src, float *frames, int n);

#ifdef __cplusplus
}
#endif
#endif
