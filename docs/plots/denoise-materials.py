"""The denoise element's SDR gain beyond the benchmark's one signal: its
music without the bed (bench.py's denoise verification: seconds 0 to 10),
the same generator's next 10 s (other chords, other hi-hat noise), and the
tests' music and speech (tests/write-signal: mst_signal_music seed 3,
mst_signal_speech seed 5), each under white and pink hiss at -45 and
-35 dBFS (bench.hiss; seed 7 on the benchmark's 10 s as bench.py, 11 on
the others). SDR gain against the clean signal, the first and last second
left out, as bench.py measures it; with --profile the true profile given
(bench.hiss_profile) instead of tracking. Needs the build (build/tests/
write-signal) and GST_PLUGIN_PATH=build/elements; about a minute. Prints
the table for docs/elements/denoise.md."""

import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import bench  # noqa: E402
import gstrun  # noqa: E402

RATE = bench.RATE
SECONDS = 10
WRITER = os.path.join(HERE, "..", "..", "build", "tests", "write-signal")


def materials():
    """Name, clean stereo signal, hiss seed."""
    os.makedirs(bench.CACHE_DIR, exist_ok=True)
    path = os.path.join(bench.CACHE_DIR, "denoise-materials-music-20s.raw")
    if not os.path.exists(path):
        bench.generate_music(path, 2 * SECONDS, False)
    music = np.fromfile(path, "<f4").reshape(-1, bench.CHANNELS)
    out = [("bench music 0-10 s", music[:SECONDS * RATE], 7),
           ("bench music 10-20 s", music[SECONDS * RATE:], 11)]
    for kind, seed in (("music", 3), ("speech", 5)):
        raw = subprocess.run([WRITER, kind, str(SECONDS), str(seed)],
                             check=True, capture_output=True).stdout
        out.append(("tests' %s" % kind,
                    np.frombuffer(raw, "<f4").reshape(-1, bench.CHANNELS), 11))
    return out


def main():
    profile = "--profile" in sys.argv
    cases = [(k, lv) for k in ("white", "pink")
             for lv in bench.DENOISE_HISS_DBFS]
    print("| material | " + " | ".join("%s %g dBFS" % c for c in cases)
          + " |")
    print("|---|" + "---:|" * len(cases))
    sl = slice(RATE, SECONDS * RATE - RATE)
    for name, clean, seed in materials():
        clean = clean.astype(np.float64)
        cells = []
        for kind, level in cases:
            x = clean + bench.hiss(kind, len(clean), level, seed)
            element = "denoise"
            if profile:
                element += " profile=%s" % bench.hiss_profile(
                    kind, level, len(clean))
            y = gstrun.run(element, x).astype(np.float64)
            gain = (bench.sdr_db(clean[sl], y[sl])
                    - bench.sdr_db(clean[sl], x[sl]))
            cells.append("%+.2f" % gain)
        print("| %s | %s |" % (name, " | ".join(cells)))


if __name__ == "__main__":
    main()
