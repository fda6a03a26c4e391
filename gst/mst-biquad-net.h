/* mastering: networks of biquad sections run side by side (pure C). */
#ifndef MST_BIQUAD_NET_H
#define MST_BIQUAD_NET_H

#include "mst-biquad.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most sections a network takes (a 6-band LR8 tree: 60). */
#define MST_BIQUAD_NET_MAX_NODES 64
/** Most outputs a network writes. */
#define MST_BIQUAD_NET_MAX_OUTPUTS 16

/** One section of a network: section @section of @cascade (its
 *  coefficients and Direct Form I history, read and written there), fed
 *  by node @source (-1: the network's input). */
typedef struct {
  MstBiquadCascade *cascade;
  int section, source;
  int output;                   /* -1, or the output it writes */
  int depth;                    /* sections between it and the input */
} MstBiquadNetNode;

/** A network of biquad sections: a tree, chains, any graph in which each
 *  section takes the input or one other section's output (a split's low
 *  and high sides, the all-passes of a crossover, an eq's cascade), every
 *  section on every channel. Run, all its sections go forward together:
 *  a section of depth d takes frame i - d in step i, so the sections of a
 *  step are independent and fill the lanes of vectors (two channels times
 *  two sections in 256 bits, AVX2 and FMA chosen at run time; two lanes
 *  in the portable build) instead of waiting for each other. Each section
 *  runs in transposed direct form II; its state in that form is kept here
 *  between runs, its last two inputs and outputs written back to its
 *  cascade's history after each run, so a cascade also runs alone (a
 *  coefficient ramp, a reset, mst_biquad_cascade_check_finite) and the
 *  network then takes its history again (mst_biquad_net_invalidate).
 *  Plain data: embed it; no call allocates. */
typedef struct {
  int n_nodes, n_outputs, max_depth;
  MstBiquadNetNode nodes[MST_BIQUAD_NET_MAX_NODES];
  /* Where the runs put each node among the halves of their vectors, for
   * vectors of layout_halves halves (0: not worked out yet), and whether
   * that layout is banded (mst-biquad-net.c). */
  int layout_halves;
  bool layout_banded;
  int half_of[MST_BIQUAD_NET_MAX_NODES];
  /* Transposed direct form II state per channel and node, valid when
   * state_valid (else rebuilt from the cascades' histories). */
  bool state_valid;
  double s1[MST_MAX_CHANNELS][MST_BIQUAD_NET_MAX_NODES];
  double s2[MST_MAX_CHANNELS][MST_BIQUAD_NET_MAX_NODES];
} MstBiquadNet;

/** Empties @net. */
void mst_biquad_net_clear (MstBiquadNet * net);

/** Adds every section of @cascade, in series, fed by node @source (-1:
 *  the input); returns the last one's index (@source when the cascade has
 *  no section), or -2 when @source is not a node or the network is full.
 *  The coefficients are read at every run; the section count must not
 *  change while the network holds the cascade. */
int mst_biquad_net_add_cascade (MstBiquadNet * net, MstBiquadCascade * c,
    int source);

/** Node @node's output goes to output @output
 *  (< MST_BIQUAD_NET_MAX_OUTPUTS); false if either is out of range. */
bool mst_biquad_net_set_output (MstBiquadNet * net, int node, int output);

/** The cascades' histories changed outside the network (a reset, a ramp,
 *  a finiteness check that cleared one): the next run starts from them. */
void mst_biquad_net_invalidate (MstBiquadNet * net);

/** Runs @n frames of channels 0 .. @n_channels - 1 of the planar input
 *  (channel c at @in + c @stride) through the network, output o's
 *  channel c to @outputs[o] + c @stride. An output may be the input's
 *  buffer; outputs are distinct from each other. The result does not
 *  depend on how a stream is cut into runs. */
void mst_biquad_net_run (MstBiquadNet * net, int n_channels,
    const double *in, double *const *outputs, size_t stride, int n);

#ifdef __cplusplus
}
#endif
#endif
