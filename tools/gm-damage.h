/* gst-master: a damaged input (truncated, corrupt frames) told by name.
 * A decoder skips what it cannot read and the stream just ends sooner, so
 * the decoded duration is set against the one the file declares. */
#ifndef GM_DAMAGE_H
#define GM_DAMAGE_H

#include "gm-job.h"

/** The duration a regular WAV file's header declares (its data chunk's
 *  size over the byte rate; RF64's ds64), or NAN: not a regular file, not
 *  a WAV, or a size left unknown by a writer that streamed (0 or
 *  0xFFFFFFFF). */
double gm_wav_declared_s (const char *path);

/** What @f shows of a damaged input, NULL when nothing: "truncated: 2.86 s
 *  of 20.00 s (...)" for a WAV whose header declares more than the file
 *  holds, "damaged: ... decoded" for another stream whose demuxer or
 *  parser declares more than was decoded, and the decoder's warnings. */
char *gm_damage_describe (const GmFigures * f);

/** Notes on @job, at status @s, what gm_damage_describe() says of its
 *  input (job->before), then "; " @consequence (may be NULL); at
 *  GM_STATUS_ERROR the note names the input first. FALSE when the input
 *  looks intact (no note). */
gboolean gm_note_damage (GmJob * job, GmStatus s, const char *consequence);

#endif
