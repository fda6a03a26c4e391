"""The denoise element's SDR gain beyond the benchmark's one signal: its
music without the bed (bench.py's denoise verification: seconds 0 to 10),
the same generator's next 10 s (other chords, other hi-hat noise), and the
tests' music and speech (tests/write-signal: mst_signal_music seed 3,
mst_signal_speech seed 5), each under white and pink hiss at -45 and
-35 dBFS (bench.hiss; seed 7 on the benchmark's 10 s as bench.py, 11 on
the others). SDR gain against the clean signal, the first and last second
left out, as bench.py measures it; with --profile the true profile given
(bench.hiss_profile) instead of tracking. With --peers, FFmpeg's afftdn
beside ours on the same inputs (at its defaults against ours tracking, and
told the true level, nf with tn=1, against ours given the true profile;
aligned by cross-correlation as bench.py does), and two mono streams more
(the tests' music and speech, left channel alone): the margins the issue
asks to be 3 dB or more. --peers --same-hiss: the stereo materials under
one hiss in both channels (a mono hiss source on a stereo recording). Needs the build (build/tests/write-signal) and
GST_PLUGIN_PATH=build/elements; about a minute (--peers: five). Prints
the table for docs/elements/denoise.md."""

import os
import subprocess
import sys
import tempfile

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


def afftdn(x, options):
    """x through ffmpeg -af afftdn[=options], its delay taken out."""
    channels = x.shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f32")
        dst = os.path.join(tmp, "out.f32")
        x.astype("<f4").tofile(src)
        af = "afftdn" + ("=" + options if options else "")
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel",
                        "error", "-f", "f32le", "-ar", str(RATE), "-ac",
                        str(channels), "-i", src, "-af", af, "-f", "f32le",
                        "-y", dst], check=True)
        y = np.fromfile(dst, "<f4").reshape(-1, channels).astype(np.float64)
    lag = bench.align_lag(x, y)
    return y[lag:] if lag > 0 else y


def sdr_gain(clean, x, y):
    m = min(len(clean), len(y))
    sl = slice(RATE, m - RATE)
    return bench.sdr_db(clean[sl], y[sl]) - bench.sdr_db(clean[sl], x[sl])


def peers_table(cases):
    """Ours and afftdn, the two pairings, on every material and mono."""
    rows = materials()
    same_hiss = "--same-hiss" in sys.argv
    if not same_hiss:
        rows += [(name + ", mono", clean[:, :1], seed)
                 for name, clean, seed in rows if name.startswith("tests'")]
    print("| material | hiss | ours tracked | afftdn | margin | ours, "
          "profile | afftdn nf, tn=1 | margin |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    worst = [None, None]
    for name, clean, seed in rows:
        clean = clean.astype(np.float64)
        for kind, level in cases:
            noise = bench.hiss(kind, len(clean), level, seed)
            if same_hiss:
                noise = noise[:, :1].repeat(2, axis=1)
            x = clean + noise[:, :clean.shape[1]]
            profile = bench.hiss_profile(kind, level, len(clean))
            g = [sdr_gain(clean, x, gstrun.run("denoise", x)),
                 sdr_gain(clean, x, afftdn(x, "")),
                 sdr_gain(clean, x, gstrun.run("denoise profile=%s"
                                               % profile, x)),
                 sdr_gain(clean, x, afftdn(x, "nf=%g:tn=1" % level))]
            margins = (g[0] - g[1], g[2] - g[3])
            for i in (0, 1):
                if worst[i] is None or margins[i] < worst[i][0]:
                    worst[i] = (margins[i], name, kind, level)
            print("| %s | %s %g dBFS | %+.2f | %+.2f | %+.2f | %+.2f | "
                  "%+.2f | %+.2f |" % (name, kind, level, g[0], g[1],
                                       margins[0], g[2], g[3], margins[1]))
    for i, what in enumerate(("tracked over afftdn's defaults",
                              "profile over afftdn told the level")):
        print("smallest margin, %s: %+.2f dB (%s, %s %g dBFS)"
              % ((what,) + worst[i]))


def main():
    profile = "--profile" in sys.argv
    cases = [(k, lv) for k in ("white", "pink")
             for lv in bench.DENOISE_HISS_DBFS]
    if "--peers" in sys.argv:
        peers_table(cases)
        return
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
