"""The ceiling of a gain per STFT bin on the benchmark's denoise cases: an
oracle Wiener mask (|S|^2 / (|S|^2 + |N|^2) from the clean music S and the
hiss N themselves) on bench.py's music without its bed plus its white and
pink hiss at -45 and -35 dBFS, for transforms of 512 to 16384 points (hop a
quarter, Hann), and with the best length per octave. Prints the SDR gains
(the first and last second left out, as bench.py's denoise verification
does) for docs/elements/denoise.md. About a minute. With --ours (and
GST_PLUGIN_PATH=build/elements) also the error per octave of the denoise
element at its defaults (noise tracked) beside the oracle's, each in dB re
the hiss's whole power: where a gain rule loses against the oracle.

With --mono, the tests' music's left channel alone (tests/write-signal
music 10 3, hiss seed 11: the mono stream of denoise-materials.py
--peers; needs the build) instead, and beside the oracle the masks an
estimator could reach at best: the clean power known per bin (1x1), or
only as its mean over 3 bins by 1 frame, 1 by 3 and 3 by 3 (what a
local smoothing of the a priori SNR knows at best), against the noise's
expected power per bin (its mean periodogram, as a profile gives it)
instead of this hiss's own. With --ours, ours tracked and with the true
profile on the same input."""

import math
import os
import sys

import numpy as np
from scipy.signal import stft, istft

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import bench  # noqa: E402

RATE = bench.RATE
LENGTHS = (512, 1024, 2048, 4096, 8192, 16384)
EDGES = [0, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, RATE // 2 + 1]


def band_energy(e, sl):
    """Energy of the error @e per octave of EDGES (both channels)."""
    f = np.fft.rfftfreq(len(e[sl]), 1.0 / RATE)
    E = sum(np.abs(np.fft.rfft(e[sl, c])) ** 2 for c in range(e.shape[1]))
    return np.array([E[(f >= EDGES[i]) & (f < EDGES[i + 1])].sum()
                     for i in range(len(EDGES) - 1)])


def mask(x, clean, hiss, n, size):
    """@size None: the oracle; else (bins, frames): the clean power's mean
    over that neighbourhood against the noise's expected power."""
    from scipy.ndimage import uniform_filter
    out = np.zeros_like(x)
    kw = dict(nperseg=n, noverlap=n * 3 // 4, window="hann")
    for c in range(x.shape[1]):
        _, _, X = stft(x[:, c], **kw)
        _, _, S = stft(clean[:, c], **kw)
        _, _, N = stft(hiss[:, c], **kw)
        s2, n2 = np.abs(S) ** 2, np.abs(N) ** 2
        if size is not None:
            s2 = uniform_filter(s2, size=size, mode="nearest")
            n2 = np.repeat(n2.mean(axis=1, keepdims=True), n2.shape[1], 1)
        _, y = istft(X * s2 / (s2 + n2 + 1e-30), **kw)
        out[:, c] = y[:len(x)]
    return out


def oracle(x, clean, hiss, n):
    return mask(x, clean, hiss, n, None)


def mono_main():
    import subprocess
    writer = os.path.join(HERE, "..", "..", "build", "tests", "write-signal")
    raw = subprocess.run([writer, "music", "10", "3"], check=True,
                         capture_output=True).stdout
    clean = np.frombuffer(raw, "<f4").reshape(-1, 2)[:, :1]
    clean = clean.astype(np.float64)
    sl = slice(RATE, len(clean) - RATE)
    sizes = [("oracle", None), ("1x1", (1, 1)), ("3x1", (3, 1)),
             ("1x3", (1, 3)), ("3x3", (3, 3))]
    print("| hiss | mask | " + " | ".join("%d points" % n for n in LENGTHS)
          + " | best length per octave |")
    print("|---|---|" + "---:|" * (len(LENGTHS) + 1))
    for kind in ("white", "pink"):
        for level in bench.DENOISE_HISS_DBFS:
            hiss = bench.hiss(kind, len(clean), level, 11)[:, :1]
            x = clean + hiss
            e_in = band_energy(hiss, sl)
            for name, size in sizes:
                per = {n: band_energy(mask(x, clean, hiss, n, size) - clean,
                                      sl) for n in LENGTHS}
                best = sum(min(per[n][i] for n in LENGTHS)
                           for i in range(len(EDGES) - 1))
                cells = ["%+.2f" % (10 * math.log10(e_in.sum()
                                                   / per[n].sum()))
                         for n in LENGTHS]
                cells.append("%+.2f" % (10 * math.log10(e_in.sum() / best)))
                print("| %s %g dBFS | %s | %s |" % (kind, level, name,
                                                    " | ".join(cells)),
                      flush=True)
            if "--ours" in sys.argv:
                import gstrun
                profile = bench.hiss_profile(kind, level, len(clean))
                for name, el in (("ours, tracked", "denoise"),
                                 ("ours, profile", "denoise profile=%s"
                                  % profile)):
                    y = gstrun.run(el, x)[:len(x)]
                    e = band_energy(y - clean, sl)
                    print("| %s %g dBFS | %s | %+.2f |" % (
                        kind, level, name,
                        10 * math.log10(e_in.sum() / e.sum())), flush=True)


def main():
    if "--mono" in sys.argv:
        mono_main()
        return
    frames = bench.VERIFY_MUSIC_SECONDS * RATE
    path = os.path.join(bench.CACHE_DIR, "denoise-oracle-music.raw")
    if not os.path.exists(path):
        os.makedirs(bench.CACHE_DIR, exist_ok=True)
        bench.generate_music(path, bench.VERIFY_MUSIC_SECONDS, False)
    clean = np.fromfile(path, "<f4").reshape(-1, bench.CHANNELS)
    clean = clean[:frames].astype(np.float64)
    sl = slice(RATE, len(clean) - RATE)
    print("| hiss | " + " | ".join("%d points" % n for n in LENGTHS)
          + " | best length per octave |")
    print("|---|" + "---:|" * (len(LENGTHS) + 1))
    for kind in ("white", "pink"):
        for level in bench.DENOISE_HISS_DBFS:
            hiss = bench.hiss(kind, len(clean), level, 7)
            x = clean + hiss
            e_in = band_energy(hiss, sl)
            per = {n: band_energy(oracle(x, clean, hiss, n) - clean, sl)
                   for n in LENGTHS}
            best = sum(min(per[n][i] for n in LENGTHS)
                       for i in range(len(EDGES) - 1))
            cells = ["%+.1f" % (10 * math.log10(e_in.sum() / per[n].sum()))
                     for n in LENGTHS]
            cells.append("%+.1f" % (10 * math.log10(e_in.sum() / best)))
            print("| %s %g dBFS | %s |" % (kind, level, " | ".join(cells)))
            if "--ours" in sys.argv:
                import gstrun
                ours = band_energy(gstrun.run("denoise", x) - clean, sl)
                rows = [("hiss", e_in), ("ours, tracked", ours),
                        ("oracle 1024", per[1024]), ("oracle 8192", per[8192])]
                print("\n%s %g dBFS, error per octave (Hz from %s), dB re "
                      "the hiss:" % (kind, level, ", ".join(
                          str(e) for e in EDGES[:-1])))
                for name, e in rows:
                    print("  %-14s %s" % (name, " ".join(
                        "%6.1f" % (10 * math.log10(v / e_in.sum()))
                        for v in e)))
                print()


if __name__ == "__main__":
    main()
