/* gst-master live: one live feed through the master bin, its source
 * rebuilt with backoff when it drops while the output runs on (silence in
 * the gap), loudness and true-peak status as JSON lines for monitoring. */
#ifndef GM_LIVE_H
#define GM_LIVE_H

/** The delays before each reconnection, seconds: the n-th attempt after a
 *  drop waits GM_LIVE_BACKOFF_S[n] (the last one repeats); a source that
 *  delivered GM_LIVE_BACKOFF_RESET_S of audio starts again at the first. */
#define GM_LIVE_BACKOFF_STEPS 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0
#define GM_LIVE_BACKOFF_RESET_S 10.0

/** gst-master live with its arguments (@argv[0] is "live"); the exit
 *  status: 0 ended cleanly (signal, end of a file input, --duration,
 *  --max-reconnects), 1 the output failed, 2 a usage error (a bad URI). */
int gm_live_main (int argc, char **argv);

#endif
