/* mastering: band limit, the top of the band removed before a true-peak
 * stage (pure C, no GObject). */
#ifndef MST_BANDLIMIT_H
#define MST_BANDLIMIT_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An elliptic low-pass of order 5 (scripts/design-band-limit.py): within
 * 0.01 dB up to 0.46 fs (20.3 kHz at 44.1 kHz, 22.1 kHz at 48 kHz), 34 dB
 * down at 0.48 fs, over 60 dB from 0.483 fs. Its delay is 0.17 samples
 * at low frequencies and 1.8 at 0.4 fs.
 *
 * Why: no detector with a finite lookahead bounds what an ideal
 * (brick-wall) reconstruction makes of content near Nyquist. An fs/2 tone
 * cut off abruptly reconstructs to a peak that grows with the log of the
 * tone's length (+7.3 dB over its samples after 8 s). Removing the top of
 * the band before detection leaves the detector's reconstruction (flat to
 * 0.478 fs) equal to the ideal one: the limiter's output then holds its
 * ceiling by a brick-wall reconstruction too (white noise +20 dB: +0.36 dB
 * over it without, under it with). */
#define MST_BAND_LIMIT_PASS_EDGE 0.46
/** Lowest rate it is used at: there 0.46 fs is 20.3 kHz, above hearing.
 *  Below (8 to 32 kHz: speech, telephony) it would cut audible content
 *  (3.7 kHz up at 8 kHz), so a true-peak stage does without it there and
 *  holds for the BS.1770-4 meters only. */
#define MST_BAND_LIMIT_MIN_RATE_HZ 44100.0
/** Length of the crossfade when the band limit comes on or goes off, ms. */
#define MST_BAND_LIMIT_FADE_MS 10.0

typedef struct MstBandLimit MstBandLimit;

/** For up to @max_channels channels and blocks of up to @max_frames;
 *  NULL when out of memory. Off until set on. */
MstBandLimit *mst_band_limit_init (int max_channels, int max_frames);

void mst_band_limit_destroy (MstBandLimit ** bl);

/** Sets the format; resets. */
void mst_band_limit_configure (MstBandLimit * bl, double rate_hz,
    int channels);

/** On or off: a crossfade of MST_BAND_LIMIT_FADE_MS from the current
 *  state (a filter coming on starts from rest), or with @at_once (nothing
 *  processed yet) straight there. */
void mst_band_limit_set_on (MstBandLimit * bl, bool on, bool at_once);

/** Clears the history; the crossfade jumps to its end. */
void mst_band_limit_reset (MstBandLimit * bl);

/** True when off and its crossfade is over: the input needs no pass. */
bool mst_band_limit_is_idle (const MstBandLimit * bl);

/** Filters @n interleaved frames of @fmt from @in (NULL: silence) into the
 *  block's own buffer, which it returns; samples that are not finite or
 *  beyond +-MST_MAX_INPUT are read as 0 and added to *@nonfinite. */
const void *mst_band_limit_process (MstBandLimit * bl, const void *in,
    MstFormat fmt, int n, uint64_t * nonfinite);

#ifdef __cplusplus
}
#endif
#endif
