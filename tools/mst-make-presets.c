/* mst-make-presets: writes the master bin's GstPreset file (GstMstMaster.prs)
 * from the delivery targets of the core (gst/mst-targets.c), so the table
 * is the one source of their figures. Run by the build.
 *
 *     mst-make-presets OUTPUT VERSION
 *
 * Each target is a preset of its name that selects it; the ceiling,
 * normalize and mono-below follow as the bin's target property sets them, so loading a
 * preset also restores what was overridden after a target. */
#include <math.h>
#include <stdio.h>

#include "mst-targets.h"

int
main (int argc, char **argv)
{
  size_t n;
  const MstTarget *t = mst_targets (&n);
  FILE *f;

  if (argc != 3) {
    fprintf (stderr, "usage: %s OUTPUT VERSION\n", argv[0]);
    return 2;
  }
  f = fopen (argv[1], "w");
  if (!f) {
    perror (argv[1]);
    return 1;
  }
  /* GstPreset's keyfile header: the version decides which of the system
   * and user files wins; element-name must be the bin's type name. */
  fprintf (f, "[_presets_]\nversion=%s\nelement-name=GstMstMaster\n", argv[2]);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "\n[%s]\ntarget=%s\nceiling=%g\nnormalize=%s\n"
        "mono-below=%g\n", t[i].name, t[i].name, t[i].ceiling_dbtp,
        isfinite (t[i].loudness_lufs) ? "true" : "false", t[i].mono_below_hz);
  if (fclose (f) != 0) {
    perror (argv[1]);
    return 1;
  }
  return 0;
}
