/* gst-master: the output file, written so that a killed process leaves
 * nothing under any name. On Linux the file has no name until it is
 * complete (O_TMPFILE), then is linked into place in one step; where the
 * filesystem cannot (some network and FUSE filesystems), it is written
 * under a hidden name beside the output (".NAME.XXXXXX.part"), locked
 * while written, and a later run removes such names left by a killed one. */
#ifndef GM_OUTPUT_H
#define GM_OUTPUT_H

#include <glib.h>

typedef struct {
  int fd;                       /* the file, open read-write, locked */
  char *read_path;              /* a name that opens it for reading (the
                                 * hidden name, or /proc/self/fd/N) */
  char *hidden;                 /* the hidden name, NULL with O_TMPFILE */
} GmOutput;

/** Records when this process started: gm_output_remove_stale() removes
 *  only what is older. Call once, before any output is opened. */
void gm_output_init (void);

/** Opens a file in @output's folder that will become @output: nameless
 *  where the filesystem allows, else hidden and locked. Stale hidden
 *  files of @output (gm_output_remove_stale) are removed first. FALSE with
 *  *@errmsg (naming @output) when it cannot be written. */
gboolean gm_output_open (GmOutput * o, const char *output, char **errmsg);

/** Empties the file for another pass. */
gboolean gm_output_rewind (GmOutput * o, char **errmsg);

/** Gives the complete file its name @output, in one step: a reader sees
 *  the old file or the new one, never a part. Closes @o. */
gboolean gm_output_commit (GmOutput * o, const char *output, char **errmsg);

/** Drops the file (nothing left under any name). Closes @o. */
void gm_output_discard (GmOutput * o);

/** Removes the hidden files a killed run left for @output: the names
 *  ".NAME.XXXXXX.part" alone (six letters or digits), regular files of
 *  this user, last written before this process started and locked by no
 *  running process. The number removed. */
int gm_output_remove_stale (const char *output);

#endif
