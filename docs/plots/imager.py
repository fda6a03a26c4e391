#!/usr/bin/python3
"""The `imager` element measured through gst-launch-1.0 (48 kHz stereo
float).

1. Mono bass: an impulse in the side (L = d, R = -d) and one in the mid
   (L = R = d) through `imager mono-below=F` for F = 80, 150, 300 Hz: the
   side's magnitude (Linkwitz-Riley 24 dB/octave high-pass: -6 dB at F) and
   the mid's (flat: untouched).
2. Width: independent noise through `imager width=W`: the side/mid energy
   ratio's change against 20 log10 (W / 100); and the side's magnitude with
   three bands (num-bands=3, crossovers 200 Hz and 4 kHz, band widths 50,
   100 and 150 %).
3. Correlation over time on the generated demo mix (tools/mst-demo-mix),
   from the element's messages every 100 ms: as it is, widened
   (width=150) and with mono bass (mono-below=150), and narrowed
   (width=50); the mono fold-down loss of each.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/imager.py

Writes docs/images/imager.png and prints the figures the doc quotes.
"""

import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
N = 1 << 16


def response(settings, left, right):
    """Magnitudes (dB) of the output's mid and side for an impulse with
    those signs on L and R, and the frequencies."""
    x = np.zeros((N, 2), dtype=np.float32)
    x[100, 0] = left
    x[100, 1] = right
    y = run("imager %s" % settings, x).astype(np.float64)
    mid = (y[:, 0] + y[:, 1]) / 2
    side = (y[:, 0] - y[:, 1]) / 2
    f = np.fft.rfftfreq(N, 1.0 / RATE)
    return (f, 20 * np.log10(np.abs(np.fft.rfft(mid)) + 1e-12),
            20 * np.log10(np.abs(np.fft.rfft(side)) + 1e-12))


def side_mid_db(x):
    m = (x[:, 0] + x[:, 1]) / 2
    s = (x[:, 0] - x[:, 1]) / 2
    return 10 * np.log10(np.sum(s * s) / np.sum(m * m))


def correlation_series(wav, settings):
    """(times, correlations, mono losses) from the imager's messages every
    100 ms on @wav."""
    cmd = ("gst-launch-1.0 -m filesrc location=%s ! decodebin ! audioconvert "
           "! audio/x-raw,format=F32LE,channels=2 ! imager interval=100000000 "
           "%s ! fakesink sync=false" % (wav, settings))
    r = subprocess.run(cmd.split(), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("pipeline failed: %s\n%s" % (cmd, r.stderr))
    t, c, m = [], [], []
    for line in r.stdout.splitlines():
        if "imager, timestamp" not in line:
            continue
        t.append(int(re.search(r"timestamp=\(guint64\)(\d+)", line)
                     .group(1)) / 1e9)
        c.append(float(re.search(r"correlation=\(double\)([-0-9.e]+)", line)
                       .group(1)))
        m.append(float(re.search(r"mono-loss=\(double\)([-0-9.e]+)", line)
                       .group(1)))
    return np.array(t), np.array(c), np.array(m)


def main():
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))

    # 1. Mono bass.
    a = ax[0, 0]
    for freq in (80, 150, 300):
        f, mid, side = response("mono-below=%d" % freq, 1.0, -1.0)
        a.semilogx(f[1:], side[1:], label="side, mono-below=%d" % freq)
        k = np.argmin(np.abs(f - freq))
        k4 = np.argmin(np.abs(f - freq / 4))
        print("mono-below=%d: side %.2f dB at f, %.1f dB at f/4"
              % (freq, side[k], side[k4]))
    f, mid, side = response("mono-below=150", 1.0, 1.0)
    print("mono-below=150: mid within %.2g dB of 0 (20 Hz - 20 kHz)"
          % np.max(np.abs(mid[(f >= 20) & (f <= 20000)])))
    a.semilogx(f[1:], mid[1:], "k--", label="mid (all three)")
    a.set_xlim(10, 20000)
    a.set_ylim(-80, 6)
    a.set_xlabel("frequency (Hz)")
    a.set_ylabel("magnitude (dB)")
    a.set_title("mono-below: the side's response, the mid untouched")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)

    # 2. Width on noise, and three bands.
    a = ax[0, 1]
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((RATE * 2, 2)) * 0.1).astype(np.float32)
    widths = np.array([0.5, 10, 25, 50, 75, 100, 125, 150, 175, 200])
    base = side_mid_db(x.astype(np.float64))
    measured = []
    for w in widths:
        y = run("imager width=%g" % w, x).astype(np.float64)
        measured.append(side_mid_db(y) - base)
    measured = np.array(measured)
    expected = 20 * np.log10(widths / 100)
    print("width: largest error of the side/mid change %.4f dB"
          % np.max(np.abs(measured - expected)))
    a.plot(widths, expected, "k-", label="20 log10 (width / 100)")
    a.plot(widths, measured, "o", label="measured on noise (side/mid)")
    a.set_xlabel("width (%)")
    a.set_ylabel("change of side/mid energy (dB)")
    a.set_title("width")
    a.grid(True, alpha=0.3)
    a.legend(fontsize=8, loc="upper left")
    ins = a.inset_axes([0.45, 0.1, 0.5, 0.42])
    f, mid, side = response("num-bands=3 band0-crossover=200 "
                            "band1-crossover=4000 band0-width=50 "
                            "band1-width=100 band2-width=150", 1.0, -1.0)
    ins.semilogx(f[1:], side[1:])
    ins.axhline(20 * np.log10(0.5), color="k", lw=0.5, ls=":")
    ins.axhline(20 * np.log10(1.5), color="k", lw=0.5, ls=":")
    ins.set_xlim(20, 20000)
    ins.set_ylim(-9, 6)
    ins.set_title("side, 3 bands: 50 / 100 / 150 %", fontsize=8)
    ins.tick_params(labelsize=7)

    # 3. Correlation over time on the demo mix.
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "demo.wav")
        subprocess.run([os.path.join(TOP, "build", "tools", "mst-demo-mix"),
                        wav], check=True, capture_output=True)
        a = ax[1, 0]
        b = ax[1, 1]
        for settings, label in (("", "as mixed"),
                                ("width=150 mono-below=150",
                                 "width 150 %, mono below 150 Hz"),
                                ("width=50", "width 50 %")):
            t, c, m = correlation_series(wav, settings)
            a.plot(t, c, lw=0.8, label=label)
            b.plot(t, m, lw=0.8, label=label)
            print("demo mix, %s: correlation mean %.3f, min %.3f; fold-down "
                  "mean %.2f dB" % (label, c.mean(), c.min(), m.mean()))
    a.set_ylim(-1, 1)
    a.axhline(0, color="k", lw=0.5)
    a.set_xlabel("time (s)")
    a.set_ylabel("correlation")
    a.set_title("correlation every 100 ms, demo mix")
    a.grid(True, alpha=0.3)
    a.legend(fontsize=8, loc="lower right")
    b.set_xlabel("time (s)")
    b.set_ylabel("mono fold-down loss (dB)")
    b.set_title("mono fold-down loss every 100 ms, demo mix")
    b.set_ylim(-4, 0.5)
    b.grid(True, alpha=0.3)
    b.legend(fontsize=8, loc="lower right")

    fig.tight_layout()
    out = os.path.join(IMAGES, "imager.png")
    fig.savefig(out, dpi=90)
    print("wrote", out)


if __name__ == "__main__":
    main()
