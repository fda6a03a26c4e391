/* gst-master mix: stems into one mix (gain, pan, eq, compressor, a shared
 * reverb bus, automation of gain and pan), summed in float, measured, and
 * optionally mastered to a target in the same run. */
#ifndef GM_MIX_H
#define GM_MIX_H

/** gst-master mix with its arguments (@argv[0] is "mix"); the exit status:
 *  0 done, 1 failed (a message naming the file), 2 a usage error. */
int gm_mix_main (int argc, char **argv);

#endif
