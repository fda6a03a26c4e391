/* mastering: the driver loop of the libFuzzer harnesses of a streaming
 * core with latency and a drain, run as two cores A and B where B only
 * gets the settings A accepted (fuzz-limiter.c, fuzz-dynproc.c).
 *
 * The input, after the first configure, is up to 48 steps of an op byte:
 * op % 8 == 0 set, 1 drain, 2 reset, 3 reconfigure (when op & 0x80),
 * else a block of audio; a block is "sane" (finite, within +-1) when it
 * follows one that may have held bad values and op & 0x10. A last drain
 * ends the run. The harness holds the invariants; this only decides what
 * happens in which order, the same way for every harness that uses it, so
 * an input in one harness's corpus means what it meant before they
 * shared it.
 *
 * fuzz-loudnorm.c reads its input otherwise (40 steps, no reconfigure,
 * sane from op & 0x80 alone, the status checked after every step), and its
 * committed corpus was found that way: it keeps its own loop. */
#ifndef MST_FUZZ_STREAM_H
#define MST_FUZZ_STREAM_H

#include "fuzz-common.h"

/** What a harness does at each op, on its own run state @run. */
typedef struct {
  /** A new stream format from the input; false when refused (the run
   *  ends). */
  bool (*configure) (void *run, FzIn * in);
  /** Settings from the input to A, and to B if A took them. */
  void (*set) (void *run, FzIn * in);
  /** Both cores' pending frames out; the stream starts again. */
  void (*drain) (void *run);
  /** Both cores reset; the stream starts again. */
  void (*reset) (void *run);
  /** A block of audio from the input through both cores. */
  void (*process) (void *run, FzIn * in, bool sane);
} FzStreamOps;

/** Runs @in through @ops on @run: configure, the steps, the last drain. */
static inline void
fz_stream_drive (void *run, const FzStreamOps * ops, FzIn * in)
{
  bool after_bad = false;

  if (!ops->configure (run, in))
    return;
  for (int step = 0; step < 48 && !fz_done (in); step++) {
    uint8_t op = fz_u8 (in);
    switch (op % 8) {
      case 0:
        ops->set (run, in);
        break;
      case 1:
        ops->drain (run);
        break;
      case 2:
        ops->reset (run);
        break;
      case 3:
        if ((op & 0x80) && !ops->configure (run, in))
          return;
        break;
      default:{
        /* After a block that may have held bad values, sometimes a sane
         * one: its output is held to the same bounds. */
        bool sane = after_bad && (op & 0x10);
        ops->process (run, in, sane);
        after_bad = !sane;
        break;
      }
    }
  }
  ops->drain (run);
}

#endif
