#!/usr/bin/python3
"""The full live soak: 8 feeds at once through the master bin, a day of
audio each, faster than realtime (tests/test-live-soak.c, whose short
version runs in the suite).

    /usr/bin/python3 bench/soak.py --build-dir build [--hours 24] [--feeds 8]
        [--json soak.json]

Per feed it checks the sample count, the timestamps' continuity, the
short-term loudness within 1 LU of -14 LUFS after the controller settled,
the true peak under -1 dBTP (the master's meter and libebur128), and the
process's RSS flat after the warm-up; it prints the table of the program
and the hours of audio per hour of wall time, CPU seconds per feed per
audio hour. Exit status: the program's (0: every check passed).

Before a day-long run, estimate: --hours 1 gives the wall time per audio
hour at 8 feeds; the 24-hour run takes about 24 times that.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--hours", type=float, default=24.0,
                    help="hours of audio per feed (default 24)")
    ap.add_argument("--feeds", type=int, default=8)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "tests", "test-live-soak")
    if not os.path.exists(exe):
        sys.exit("%s: not built (meson compile -C %s)" % (exe, args.build_dir))
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(args.build_dir, "elements")
    env.setdefault("GST_REGISTRY",
                   os.path.join(args.build_dir, "soak-registry.bin"))
    out = args.json or os.path.join(args.build_dir, "soak.json")
    cmd = [exe, "--feeds", str(args.feeds),
           "--seconds", "%.0f" % (args.hours * 3600), "--json", out]
    print(" ".join(cmd), flush=True)
    t0 = time.time()
    status = subprocess.call(cmd, env=env)
    wall = time.time() - t0
    try:
        with open(out) as f:
            r = json.load(f)
        audio_h = r["feeds"] * r["seconds"] / 3600.0
        print("%.1f h of audio (%d feeds x %.1f h) in %.0f s: %.1f audio hours "
              "per wall hour, %.2f wall minutes per hour of audio for the %d "
              "feeds; %.1f CPU s per feed per audio hour; RSS %d kB after "
              "warm-up, at most %d kB after" %
              (audio_h, r["feeds"], r["seconds"] / 3600.0, wall,
               audio_h / (wall / 3600.0), wall / 60.0 / (r["seconds"] / 3600.0),
               r["feeds"], r["cpu_s_per_feed_hour"], r["rss_warm_kb"],
               r["rss_max_after_kb"]))
    except (OSError, ValueError, KeyError, ZeroDivisionError) as e:
        print("no figures: %s" % e)
    return status


if __name__ == "__main__":
    sys.exit(main())
