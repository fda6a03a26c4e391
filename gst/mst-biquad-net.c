/* mastering: networks of biquad sections run side by side.
 *
 * A run goes channel pair by channel pair. Each node of the network is a
 * "half": two lanes of doubles, the pair's two channels through one
 * section; the AVX2 path puts two halves in one 256-bit vector, the
 * AVX-512 path four in 512 bits. Node k of depth d takes frame i - d in
 * step i, so within a step no node waits for another: a node's input is
 * what its source produced in the step before (kept in a ring of RING step
 * buffers of halves), or the input frame i. The first steps of a run
 * (filling) and the last ones (draining, and the two before, where the
 * Direct Form I history is tracked) run only the nodes whose frame lies in
 * the run, one half at a time; the steps between run every node. All use
 * the same expression per lane (TDF2), compiled once per path, so where a
 * stream is cut into runs changes no bit, nor does AVX-512 against AVX2. */
#include "mst-biquad-net.h"
#include "mst-cpu.h"

#include <string.h>

typedef double v2d __attribute__ ((vector_size (16)));

#define MAX_HALVES MST_BIQUAD_NET_MAX_NODES     /* even */
#define RING 4
/* Most vectors of four halves (AVX-512) steady_banded takes. */
#define BAND_VECTORS 8

void
mst_biquad_net_clear (MstBiquadNet * net)
{
  net->n_nodes = net->n_outputs = net->max_depth = 0;
  net->layout_halves = 0;
  net->state_valid = false;
}

int
mst_biquad_net_add_cascade (MstBiquadNet * net, MstBiquadCascade * c,
    int source)
{
  if (source < -1 || source >= net->n_nodes
      || net->n_nodes + c->n_sections > MST_BIQUAD_NET_MAX_NODES)
    return -2;
  for (int s = 0; s < c->n_sections; s++) {
    MstBiquadNetNode *node = &net->nodes[net->n_nodes];
    node->cascade = c;
    node->section = s;
    node->source = source;
    node->output = -1;
    node->depth = source < 0 ? 0 : net->nodes[source].depth + 1;
    if (node->depth > net->max_depth)
      net->max_depth = node->depth;
    source = net->n_nodes++;
  }
  net->layout_halves = 0;
  net->state_valid = false;
  return source;
}

bool
mst_biquad_net_set_output (MstBiquadNet * net, int node, int output)
{
  if (node < 0 || node >= net->n_nodes || output < 0
      || output >= MST_BIQUAD_NET_MAX_OUTPUTS)
    return false;
  net->nodes[node].output = output;
  if (output >= net->n_outputs)
    net->n_outputs = output + 1;
  return true;
}

void
mst_biquad_net_invalidate (MstBiquadNet * net)
{
  net->state_valid = false;
}

/* One channel pair's run: coefficients and state per half (both lanes
 * alike), the sources as buffer slots (slot n_halves: the input frame). */
typedef struct {
  int n_halves, n_outputs;
  int src[MAX_HALVES], depth[MAX_HALVES];
  v2d b0[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d b1[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d b2[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d a1[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d a2[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d s1[MAX_HALVES] __attribute__ ((aligned (64)));
  v2d s2[MAX_HALVES] __attribute__ ((aligned (64)));
  /* Direct Form I history: last two inputs, last two outputs. */
  v2d x1[MAX_HALVES], x2[MAX_HALVES], y1[MAX_HALVES], y2[MAX_HALVES];
  struct {
    int half, depth;
    double *a, *b;
  } out[MST_BIQUAD_NET_MAX_NODES];
  /* Outputs of step i in buf[i % RING], read in step i + 1 (the steady
   * steps copy the outputs of RING steps out at once). */
  v2d buf[RING][MAX_HALVES + 2] __attribute__ ((aligned (64)));
  /* Node n's half (the halves in another order than the nodes'); banded:
   * every half of vector v (of four) reads vector v - 1 (the input frame
   * for v = 0) or v, so steady_banded takes its input as one permute of
   * the two, idx[v], out of the step before's vectors in registers. */
  bool banded;
  long long idx[BAND_VECTORS][8] __attribute__ ((aligned (64)));
} Pair;

/* One transposed direct form II step of a section: the same expression
 * for two and for four lanes, so both paths round alike. */
#define TDF2(y, in, b0, b1, b2, a1, a2, s1, s2) do { \
    y = b0 * in + s1; \
    s1 = (b1 * in + s2) - a1 * y; \
    s2 = b2 * in - a2 * y; \
  } while (0)

/* Step @i with only the nodes whose frame lies in [0, @n), tracking the
 * Direct Form I history. */
MST_ALWAYS_INLINE void
edge_step (Pair * p, const double *xa, const double *xb, const bool two,
    int i, int n)
{
  v2d *rd = p->buf[(i - 1) & (RING - 1)], *wr = p->buf[i & (RING - 1)];
  const int nh = p->n_halves;
  rd[nh] = i < n ? (v2d) { xa[i], two ? xb[i] : 0.0 } : (v2d) { 0.0, 0.0 };
  for (int h = 0; h < nh; h++) {
    int f = i - p->depth[h];
    if (f < 0 || f >= n)
      continue;
    v2d in = rd[p->src[h]], y;
    TDF2 (y, in, p->b0[h], p->b1[h], p->b2[h], p->a1[h], p->a2[h], p->s1[h],
        p->s2[h]);
    p->x2[h] = p->x1[h];
    p->x1[h] = in;
    p->y2[h] = p->y1[h];
    p->y1[h] = y;
    wr[h] = y;
  }
  for (int o = 0; o < p->n_outputs; o++) {
    int f = i - p->out[o].depth;
    if (f < 0 || f >= n)
      continue;
    v2d y = wr[p->out[o].half];
    p->out[o].a[f] = y[0];
    if (two)
      p->out[o].b[f] = y[1];
  }
}

/* Steps [@i0, @i1), every node running, one half at a time (the portable
 * path). */
MST_ALWAYS_INLINE void
steady_halves (Pair * p, const double *xa, const double *xb, const bool two,
    int i0, int i1)
{
  const int nh = p->n_halves;
  for (int i = i0; i < i1; i++) {
    v2d *rd = p->buf[(i - 1) & (RING - 1)], *wr = p->buf[i & (RING - 1)];
    rd[nh] = (v2d) { xa[i], two ? xb[i] : 0.0 };
    for (int h = 0; h < nh; h++) {
      v2d in = rd[p->src[h]], y;
      TDF2 (y, in, p->b0[h], p->b1[h], p->b2[h], p->a1[h], p->a2[h],
          p->s1[h], p->s2[h]);
      wr[h] = y;
    }
    for (int o = 0; o < p->n_outputs; o++) {
      v2d y = wr[p->out[o].half];
      p->out[o].a[i - p->out[o].depth] = y[0];
      if (two)
        p->out[o].b[i - p->out[o].depth] = y[1];
    }
  }
}

#ifdef MST_HAVE_X86_PATHS
typedef double v4d __attribute__ ((vector_size (32)));
typedef double v8d __attribute__ ((vector_size (64)));

/* The halves @src[0 ..] of the step buffer @rd as one vector (macros: a
 * function returning a vector wider than the baseline's changes the ABI). */
#define GATHER2(rd, src) \
  __builtin_shufflevector ((rd)[(src)[0]], (rd)[(src)[1]], 0, 1, 2, 3)
#define GATHER4(rd, src) \
  __builtin_shufflevector (GATHER2 (rd, src), GATHER2 (rd, (src) + 2), \
      0, 1, 2, 3, 4, 5, 6, 7)

/* The loops over the vectors unroll fully where @nv is a constant; in the
 * sanitizer build's one copy (MST_FEW_KERNEL_COPIES) @nv is a variable
 * and they stay loops. */
#ifdef MST_FEW_KERNEL_COPIES
#define UNROLL_V
#else
#define UNROLL_V _Pragma ("GCC unroll 16")
#endif

/* Steps [@i0, @i1) (multiples of RING: slot r of the ring holds step i +
 * r), every node running, HV halves per vector of type VT (2: AVX2, 4:
 * AVX-512), @nv vectors (a constant where inlined, so the state stays in
 * registers). After each round of RING steps its outputs go out, each
 * output writing frame i - depth in step i, two frames per store. */
#define DEFINE_STEADY(name, VT, HV) \
MST_ALWAYS_INLINE void \
name (Pair * p, const int nv, const double *xa, const double *xb, \
    const bool two, int i0, int i1) \
{ \
  VT b0[MAX_HALVES / HV], b1[MAX_HALVES / HV], b2[MAX_HALVES / HV]; \
  VT a1[MAX_HALVES / HV], a2[MAX_HALVES / HV]; \
  VT s1[MAX_HALVES / HV], s2[MAX_HALVES / HV]; \
  int src[MAX_HALVES], oh[MAX_HALVES], od[MAX_HALVES]; \
  double *oa[MAX_HALVES], *ob[MAX_HALVES]; \
  const int n_out = p->n_outputs; \
  const size_t slot = MAX_HALVES + 2; \
  UNROLL_V \
  for (int v = 0; v < nv; v++) { \
    memcpy (&b0[v], &p->b0[HV * v], sizeof (VT)); \
    memcpy (&b1[v], &p->b1[HV * v], sizeof (VT)); \
    memcpy (&b2[v], &p->b2[HV * v], sizeof (VT)); \
    memcpy (&a1[v], &p->a1[HV * v], sizeof (VT)); \
    memcpy (&a2[v], &p->a2[HV * v], sizeof (VT)); \
    memcpy (&s1[v], &p->s1[HV * v], sizeof (VT)); \
    memcpy (&s2[v], &p->s2[HV * v], sizeof (VT)); \
  } \
  memcpy (src, p->src, sizeof src); \
  for (int o = 0; o < n_out; o++) { \
    oa[o] = p->out[o].a; \
    ob[o] = two ? p->out[o].b : NULL; \
    oh[o] = p->out[o].half; \
    od[o] = p->out[o].depth; \
  } \
  for (int i = i0; i < i1; i += RING) { \
    _Pragma ("GCC unroll 4") \
    for (int r = 0; r < RING; r++) { \
      v2d *rd = p->buf[(r - 1) & (RING - 1)], *wr = p->buf[r]; \
      rd[HV * nv] = (v2d) { xa[i + r], two ? xb[i + r] : 0.0 }; \
      UNROLL_V \
      for (int v = 0; v < nv; v++) { \
        VT in = GATHER##HV (rd, src + HV * v), y; \
        TDF2 (y, in, b0[v], b1[v], b2[v], a1[v], a2[v], s1[v], s2[v]); \
        memcpy (&wr[HV * v], &y, sizeof y); \
      } \
    } \
    for (int o = 0; o < n_out; o++) { \
      const v2d *w = &p->buf[0][oh[o]]; \
      v2d lo01 = __builtin_shufflevector (w[0], w[slot], 0, 2); \
      v2d lo23 = __builtin_shufflevector (w[2 * slot], w[3 * slot], 0, 2); \
      memcpy (oa[o] + (i - od[o]), &lo01, sizeof lo01); \
      memcpy (oa[o] + (i - od[o] + 2), &lo23, sizeof lo23); \
      if (two) { \
        v2d hi01 = __builtin_shufflevector (w[0], w[slot], 1, 3); \
        v2d hi23 = __builtin_shufflevector (w[2 * slot], w[3 * slot], 1, 3); \
        memcpy (ob[o] + (i - od[o]), &hi01, sizeof hi01); \
        memcpy (ob[o] + (i - od[o] + 2), &hi23, sizeof hi23); \
      } \
    } \
  } \
  UNROLL_V \
  for (int v = 0; v < nv; v++) { \
    memcpy (&p->s1[HV * v], &s1[v], sizeof (VT)); \
    memcpy (&p->s2[HV * v], &s2[v], sizeof (VT)); \
  } \
}

DEFINE_STEADY (steady_quad, v4d, 2)
DEFINE_STEADY (steady_wide, v8d, 4)

typedef long long v8di __attribute__ ((vector_size (64)));

/* steady_wide for a banded layout (Pair), the step's outputs kept in
 * registers: vector v's input is one permute of the vectors v - 1 and v
 * of the step before (the input frame for v = 0) instead of the step
 * buffer stored and gathered back, which puts a store, its forwarding and
 * three inserts between a section and the next. The same TDF2 in the same
 * lanes: the same bits as steady_wide. The step buffers still receive
 * every step (the outputs, and the edge steps after, read them); the
 * coefficients and permutes are read from @p in every step (memory
 * operands) so that the state stays in registers. */
MST_ALWAYS_INLINE void
steady_banded (Pair * p, const int nv, const double *xa, const double *xb,
    const bool two, int i0, int i1)
{
  v8d s1[BAND_VECTORS], s2[BAND_VECTORS], t[BAND_VECTORS];
  int oh[MST_BIQUAD_NET_MAX_OUTPUTS], od[MST_BIQUAD_NET_MAX_OUTPUTS];
  double *oa[MST_BIQUAD_NET_MAX_OUTPUTS], *ob[MST_BIQUAD_NET_MAX_OUTPUTS];
  const int n_out = p->n_outputs;
  const size_t slot = MAX_HALVES + 2;
  UNROLL_V
  for (int v = 0; v < nv; v++) {
    memcpy (&s1[v], &p->s1[4 * v], sizeof (v8d));
    memcpy (&s2[v], &p->s2[4 * v], sizeof (v8d));
    /* The step before's outputs. */
    memcpy (&t[v], &p->buf[(i0 - 1) & (RING - 1)][4 * v], sizeof (v8d));
  }
  for (int o = 0; o < n_out; o++) {
    oa[o] = p->out[o].a;
    ob[o] = two ? p->out[o].b : NULL;
    oh[o] = p->out[o].half;
    od[o] = p->out[o].depth;
  }
  for (int i = i0; i < i1; i += RING) {
    _Pragma ("GCC unroll 4")
    for (int r = 0; r < RING; r++) {
      /* The input frame in every half: two broadcasts, one unpack (a
       * wider load of a narrower store would wait for the store). */
      const double xar = xa[i + r], xbr = two ? xb[i + r] : 0.0;
      const v8d xa8 = { xar, xar, xar, xar, xar, xar, xar, xar };
      const v8d xb8 = { xbr, xbr, xbr, xbr, xbr, xbr, xbr, xbr };
      const v8d x = __builtin_shufflevector (xa8, xb8, 0, 9, 2, 11, 4, 13,
          6, 15);
      v8d y[BAND_VECTORS];
      UNROLL_V
      for (int v = 0; v < nv; v++) {
        v8di k;
        v8d b0, b1, b2, a1, a2;
        memcpy (&k, p->idx[v], sizeof k);
        v8d in = __builtin_shuffle (v ? t[v - 1] : x, t[v], k);
        memcpy (&b0, &p->b0[4 * v], sizeof b0);
        memcpy (&b1, &p->b1[4 * v], sizeof b1);
        memcpy (&b2, &p->b2[4 * v], sizeof b2);
        memcpy (&a1, &p->a1[4 * v], sizeof a1);
        memcpy (&a2, &p->a2[4 * v], sizeof a2);
        TDF2 (y[v], in, b0, b1, b2, a1, a2, s1[v], s2[v]);
        memcpy (&p->buf[r][4 * v], &y[v], sizeof y[v]);
      }
      UNROLL_V
      for (int v = 0; v < nv; v++)
        t[v] = y[v];
    }
    for (int o = 0; o < n_out; o++) {
      const v2d *w = &p->buf[0][oh[o]];
      v2d lo01 = __builtin_shufflevector (w[0], w[slot], 0, 2);
      v2d lo23 = __builtin_shufflevector (w[2 * slot], w[3 * slot], 0, 2);
      memcpy (oa[o] + (i - od[o]), &lo01, sizeof lo01);
      memcpy (oa[o] + (i - od[o] + 2), &lo23, sizeof lo23);
      if (two) {
        v2d hi01 = __builtin_shufflevector (w[0], w[slot], 1, 3);
        v2d hi23 = __builtin_shufflevector (w[2 * slot], w[3 * slot], 1, 3);
        memcpy (ob[o] + (i - od[o]), &hi01, sizeof hi01);
        memcpy (ob[o] + (i - od[o] + 2), &hi23, sizeof hi23);
      }
    }
  }
  UNROLL_V
  for (int v = 0; v < nv; v++) {
    memcpy (&p->s1[4 * v], &s1[v], sizeof (v8d));
    memcpy (&p->s2[4 * v], &s2[v], sizeof (v8d));
  }
}
#endif

/* The vector counts the steady steps are unrolled for (with @hv halves a
 * vector), the portable path otherwise. */
MST_ALWAYS_INLINE void
steady_dispatch (Pair * p, const double *xa, const double *xb,
    const bool two, const int hv, int i0, int i1)
{
#if defined (MST_HAVE_X86_PATHS) && defined (MST_FEW_KERNEL_COPIES)
  /* The sanitizer build (meson.build): one copy with the vector count a
   * variable, the same source lines instrumented once instead of in 24
   * unrolled copies (which took gcc minutes each with ASan and UBSan). */
  if (hv == 4 && p->n_halves / 4 >= 1 && p->n_halves / 4 <= 8) {
    steady_wide (p, p->n_halves / 4, xa, xb, two, i0, i1);
    return;
  }
  if (hv >= 2 && p->n_halves / 2 >= 1 && p->n_halves / 2 <= 16) {
    steady_quad (p, p->n_halves / 2, xa, xb, two, i0, i1);
    return;
  }
#elif defined (MST_HAVE_X86_PATHS)
#define WIDE(k) case k: \
    if (p->banded) \
      steady_banded (p, k, xa, xb, two, i0, i1); \
    else \
      steady_wide (p, k, xa, xb, two, i0, i1); \
    return;
#define QUAD(k) case k: steady_quad (p, k, xa, xb, two, i0, i1); return;
  if (hv == 4)
    switch (p->n_halves / 4) {
      WIDE (1) WIDE (2) WIDE (3) WIDE (4) WIDE (5) WIDE (6) WIDE (7) WIDE (8)
      default:
        break;
    }
  if (hv >= 2)
    switch (p->n_halves / 2) {
      QUAD (1) QUAD (2) QUAD (3) QUAD (4) QUAD (5) QUAD (6) QUAD (7) QUAD (8)
      QUAD (9) QUAD (10) QUAD (11) QUAD (12) QUAD (13) QUAD (14) QUAD (15)
      QUAD (16)
      default:
        break;
    }
#undef WIDE
#undef QUAD
#else
  (void) hv;
#endif
  steady_halves (p, xa, xb, two, i0, i1);
}

MST_ALWAYS_INLINE void
pair_steps_body (Pair * p, int max_depth, const double *xa, const double *xb,
    const bool two, const int hv, int n)
{
  /* Steady steps: every node's frame in the run, none of the last two
   * (tracked); whole rounds of the buffer ring. */
  int s0 = (max_depth + RING - 1) & ~(RING - 1), i = 0;
  int s1 = s0 + (((n - 2) - s0) & ~(RING - 1));
  if (s1 > s0) {
    for (; i < s0; i++)
      edge_step (p, xa, xb, two, i, n);
    steady_dispatch (p, xa, xb, two, hv, s0, s1);
    i = s1;
  }
  for (; i < n + max_depth; i++)
    edge_step (p, xa, xb, two, i, n);
}

/* @hv halves a vector: 1 (portable), 2 (AVX2), 4 (AVX-512). */
MST_ALWAYS_INLINE void
pair_steps (Pair * p, int max_depth, const double *xa, const double *xb,
    const int hv, int n)
{
  if (xb)
    pair_steps_body (p, max_depth, xa, xb, true, hv, n);
  else
    pair_steps_body (p, max_depth, xa, xb, false, hv, n);
}

static void
pair_steps_generic (Pair * p, int max_depth, const double *xa,
    const double *xb, int n)
{
  pair_steps (p, max_depth, xa, xb, 1, n);
}

#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2,fma")))
static void
pair_steps_avx2 (Pair * p, int max_depth, const double *xa,
    const double *xb, int n)
{
  pair_steps (p, max_depth, xa, xb, 2, n);
}

__attribute__ ((target ("avx2,fma,avx512f,avx512dq")))
static void
pair_steps_avx512 (Pair * p, int max_depth, const double *xa,
    const double *xb, int n)
{
  pair_steps (p, max_depth, xa, xb, 4, n);
}
#endif

static inline v2d
lanes (double a, double b)
{
  return (v2d) { a, b };
}

/* The layout of @net's nodes among vectors of @halves halves: banded
 * when each node can sit in its source's vector or the next (a node fed
 * by the input in the first), with at most BAND_VECTORS vectors of four
 * halves (AVX-512): placed depth by depth, the nodes whose source lies in
 * an earlier vector first. Otherwise the nodes in their order. */
static void
place (MstBiquadNet * net, int halves)
{
  const int nn = net->n_nodes, nh = (nn + halves - 1) & ~(halves - 1);
  const int nv = nh / halves;
  int vec[MST_BIQUAD_NET_MAX_NODES], fill[MAX_HALVES] = { 0 };
  bool banded = halves == 4 && nv <= BAND_VECTORS;
  for (int d = 0; banded && d <= net->max_depth; d++)
    for (int w = -1; banded && w < nv; w++)
      for (int n = 0; banded && n < nn; n++) {
        const MstBiquadNetNode *node = &net->nodes[n];
        if (node->depth != d
            || (node->source < 0 ? -1 : vec[node->source]) != w)
          continue;
        /* The input's node in vector 0; another in its source's or the
         * next. */
        int c = w < 0 ? 0 : w;
        if (fill[c] == halves && w >= 0)
          c++;
        if (c >= nv || fill[c] == halves) {
          banded = false;
          break;
        }
        vec[n] = c;
        net->half_of[n] = c * halves + fill[c]++;
      }
  if (!banded)
    for (int n = 0; n < nn; n++)
      net->half_of[n] = n;
  net->layout_banded = banded;
  net->layout_halves = halves;
}

/* Channels @ca and @cb (-1: none) of @net into @p, the halves a multiple
 * of @align (the halves of a vector). */
static void
pair_load (const MstBiquadNet * net, Pair * p, int ca, int cb,
    double *const *outputs, size_t stride, int align)
{
  static const MstBiquadHistory none = { 0 };
  const int nn = net->n_nodes;
  p->n_halves = (nn + align - 1) & ~(align - 1);
  p->n_outputs = 0;
  p->banded = net->layout_banded;
  /* steady_banded takes whole vectors of the step before, halves of nodes
   * deeper than that step included: defined, though never used. */
  if (p->banded)
    memset (p->buf, 0, sizeof p->buf);
  for (int k = 0; k < p->n_halves; k++) {
    /* Silent halves that fill the last vectors (the nodes' follow). */
    p->src[k] = p->n_halves;
    p->depth[k] = 0;
    p->b0[k] = p->b1[k] = p->b2[k] = p->a1[k] = p->a2[k] = lanes (0, 0);
    p->s1[k] = p->s2[k] = lanes (0, 0);
    p->x1[k] = p->x2[k] = p->y1[k] = p->y2[k] = lanes (0, 0);
  }
  for (int n = 0; n < nn; n++) {
    const int k = net->half_of[n];
    const MstBiquadNetNode *node = &net->nodes[n];
    const MstBiquad *c = &node->cascade->coefs[node->section];
    const MstBiquadHistory *ha = &node->cascade->hist[ca][node->section];
    const MstBiquadHistory *hb = cb >= 0
        ? &node->cascade->hist[cb][node->section] : &none;
    p->src[k] = node->source < 0 ? p->n_halves : net->half_of[node->source];
    p->depth[k] = node->depth;
    p->b0[k] = lanes (c->b0, c->b0);
    p->b1[k] = lanes (c->b1, c->b1);
    p->b2[k] = lanes (c->b2, c->b2);
    p->a1[k] = lanes (c->a1, c->a1);
    p->a2[k] = lanes (c->a2, c->a2);
    p->x1[k] = lanes (ha->x1, hb->x1);
    p->x2[k] = lanes (ha->x2, hb->x2);
    p->y1[k] = lanes (ha->y1, hb->y1);
    p->y2[k] = lanes (ha->y2, hb->y2);
    if (net->state_valid) {
      p->s1[k] = lanes (net->s1[ca][n], cb >= 0 ? net->s1[cb][n] : 0.0);
      p->s2[k] = lanes (net->s2[ca][n], cb >= 0 ? net->s2[cb][n] : 0.0);
    } else {
      /* The state that continues the Direct Form I history. */
      p->s1[k] = p->b1[k] * p->x1[k] - p->a1[k] * p->y1[k]
          + p->b2[k] * p->x2[k] - p->a2[k] * p->y2[k];
      p->s2[k] = p->b2[k] * p->x1[k] - p->a2[k] * p->y1[k];
    }
    if (node->output >= 0) {
      int o = p->n_outputs++;
      p->out[o].half = k;
      p->out[o].depth = node->depth;
      p->out[o].a = outputs[node->output] + (size_t) ca * stride;
      p->out[o].b = cb >= 0 ? outputs[node->output] + (size_t) cb * stride
          : NULL;
    }
  }
  /* The permutes of the banded layout: vector v's element e (lane e % 2
   * of its half e / 2) from vector v - 1 (0 .. 7; the input frame for
   * v = 0) or v (8 .. 15). A silent half reads its own vector. */
  for (int h = 0; p->banded && h < p->n_halves; h++) {
    const int v = h / 4, s = p->src[h];
    for (int l = 0; l < 2; l++) {
      long long e;
      if (s == p->n_halves)
        e = v == 0 ? l : 8 + 2 * (h % 4) + l;
      else
        e = (s / 4 == v ? 8 : 0) + 2 * (s % 4) + l;
      p->idx[v][2 * (h % 4) + l] = e;
    }
  }
}

static void
pair_store (MstBiquadNet * net, const Pair * p, int ca, int cb)
{
  for (int n = 0; n < net->n_nodes; n++) {
    const MstBiquadNetNode *node = &net->nodes[n];
    const int k = net->half_of[n];
    int ch[2] = { ca, cb };
    for (int l = 0; l < 2 && ch[l] >= 0; l++) {
      MstBiquadHistory *h = &node->cascade->hist[ch[l]][node->section];
      h->x1 = p->x1[k][l];
      h->x2 = p->x2[k][l];
      h->y1 = p->y1[k][l];
      h->y2 = p->y2[k][l];
      net->s1[ch[l]][n] = p->s1[k][l];
      net->s2[ch[l]][n] = p->s2[k][l];
    }
  }
}

void
mst_biquad_net_run (MstBiquadNet * net, int n_channels, const double *in,
    double *const *outputs, size_t stride, int n)
{
  Pair p;
  if (n <= 0 || net->n_nodes == 0)
    return;
#ifdef MST_HAVE_X86_PATHS
  const bool avx2 = mst_cpu_has_avx2_fma ();
  const bool avx512 = avx2 && mst_cpu_has_avx512 ();
#else
  const bool avx512 = false;
#endif
  if (net->layout_halves != (avx512 ? 4 : 2))
    place (net, avx512 ? 4 : 2);
  for (int ca = 0; ca < n_channels; ca += 2) {
    int cb = ca + 1 < n_channels ? ca + 1 : -1;
    const double *xa = in + (size_t) ca * stride;
    const double *xb = cb >= 0 ? in + (size_t) cb * stride : NULL;
    pair_load (net, &p, ca, cb, outputs, stride, avx512 ? 4 : 2);
#ifdef MST_HAVE_X86_PATHS
    if (avx512)
      pair_steps_avx512 (&p, net->max_depth, xa, xb, n);
    else if (avx2)
      pair_steps_avx2 (&p, net->max_depth, xa, xb, n);
    else
#endif
      pair_steps_generic (&p, net->max_depth, xa, xb, n);
    pair_store (net, &p, ca, cb);
  }
  net->state_valid = true;
}
