#!/usr/bin/python3
"""What the `imager` does to a source panned hard left (48 kHz stereo
float, through gst-launch-1.0): an impulse on the left only, the right
channel's magnitude against frequency.

- `num-bands=4` with widths untouched: nothing split, the right silent
  (not drawn: exactly 0);
- `num-bands=3` split at 200 Hz and 2 kHz, widths 50/100/150 %: the right
  gets (1 - G)/2 of the left, G the side's weighting the widths imply
  (dashed: computed from the Linkwitz-Riley magnitudes);
- `mono-below=150` alone (the mid untouched, the side high-passed): the
  bass in both channels (mono bass), and above the split the part the
  side's phase turns into the right.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/imager-coherence.py

Writes docs/images/imager-coherence.png.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES  # noqa: E402

N = 1 << 16


def right_db(settings):
    x = np.zeros((N, 2), dtype=np.float32)
    x[100, 0] = 1.0
    y = run("imager %s" % settings, x).astype(np.float64)
    f = np.fft.rfftfreq(N, 1.0 / RATE)
    return f, y, 20 * np.log10(np.abs(np.fft.rfft(y[:, 1])) + 1e-12), \
        20 * np.log10(np.abs(np.fft.rfft(y[:, 0])) + 1e-12)


def lr4(high, f, split):
    x = np.tan(np.pi * f / RATE) / np.tan(np.pi * split / RATE)
    return x ** 4 / (1 + x ** 4) if high else 1 / (1 + x ** 4)


def main():
    f, y, _, _ = right_db("num-bands=4")
    assert np.all(y[:, 1] == 0), "num-bands=4: the right is not silent"
    fig, ax = plt.subplots(figsize=(8, 4.5))
    f, _, r, _ = right_db("num-bands=3 band0-crossover=200 "
                          "band1-crossover=2000 band0-width=50 "
                          "band2-width=150")
    g = (0.5 * lr4(False, f, 200)
         + 1.0 * lr4(True, f, 200) * lr4(False, f, 2000)
         + 1.5 * lr4(True, f, 200) * lr4(True, f, 2000))
    ax.semilogx(f[1:], r[1:], label="num-bands=3, widths 50/100/150 %: right")
    ax.semilogx(f[1:], 20 * np.log10(np.abs(1 - g[1:]) / 2 + 1e-12), "k--",
                lw=0.8, label="(1 - G)/2 from the widths")
    f, _, r, le = right_db("mono-below=150")
    ax.semilogx(f[1:], r[1:], label="mono-below=150: right")
    ax.semilogx(f[1:], le[1:], ":", label="mono-below=150: left")
    ax.set_xlim(20, 20000)
    ax.set_ylim(-60, 3)
    ax.set_xlabel("Hz")
    ax.set_ylabel("dB against the left input")
    ax.set_title("A source panned hard left (num-bands=4, widths untouched: "
                 "right exactly 0)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    out = os.path.join(IMAGES, "imager-coherence.png")
    fig.savefig(out, dpi=100)
    print("wrote", out)


main()
