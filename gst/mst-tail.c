/* mastering: the end of an effect's tail. */
#include "mst-tail.h"

#include "mst-fpu.h"

void
mst_tail_begin (MstTail * t, uint64_t limit, uint64_t min)
{
  t->active = true;
  t->done = t->window_count = 0;
  t->window_peak = 0;
  t->limit = limit;
  t->min = min;
}

size_t
mst_tail_run (MstTail * t, MstTailRun run, void *core, void *out,
    size_t frame_bytes, size_t max_frames, size_t block, size_t window,
    double floor_lin)
{
  size_t n_out = 0;
  if (window == 0)
    window = 1;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  while (n_out < max_frames && t->done < t->limit) {
    size_t n = block;
    n = n < max_frames - n_out ? n : max_frames - n_out;
    n = n < t->limit - t->done ? n : (size_t) (t->limit - t->done);
    n = n < window - t->window_count ? n : window - t->window_count;
    double level = run (core, (char *) out + n_out * frame_bytes, n);
    n_out += n;
    t->done += n;
    t->window_count += n;
    t->window_peak = level > t->window_peak ? level : t->window_peak;
    if (t->window_count >= window) {
      if (t->done >= t->min && t->window_peak < floor_lin)
        t->limit = t->done;
      t->window_count = 0;
      t->window_peak = 0;
    }
  }
  mst_fpu_leave (fpu);
  return n_out;
}
