#!/usr/bin/python3
"""The `pan` element's laws, measured through gst-launch-1.0: a mono 1 kHz
sine at 21 positions under each law, the level of each side against the
position (left solid, right dashed), and the sum of the sides' powers
(dotted), which the -3 dB law holds constant.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/pan.py

Writes docs/images/pan.png.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES, db  # noqa: E402

LAWS = ["0", "-3", "-4.5", "-6"]
POSITIONS = np.linspace(-100, 100, 21)
x = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(RATE // 10) / RATE)
rms_in = np.sqrt(np.mean(x ** 2))

fig, axes = plt.subplots(1, len(LAWS), figsize=(14, 4), sharey=True)
for ax, law in zip(axes, LAWS):
    levels = []
    for p in POSITIONS:
        y = run("pan law=%s position=%g" % (law, p), x, out_channels=2)
        levels.append(np.sqrt(np.mean(y ** 2, axis=0)) / rms_in)
    levels = np.array(levels)
    ax.plot(POSITIONS, db(levels[:, 0]), "C0-", label="left")
    ax.plot(POSITIONS, db(levels[:, 1]), "C1--", label="right")
    ax.plot(POSITIONS, 10 * np.log10(np.sum(levels ** 2, axis=1)), "k:",
            label="power sum")
    centre = levels[len(POSITIONS) // 2, 0]
    ax.set_title("law=%s: %.2f dB at the centre" % (law, db(centre)))
    ax.set_xlabel("position")
    ax.set_ylim(-30, 4)
    ax.grid(True, alpha=0.3)
axes[0].set_ylabel("level (dB)")
axes[0].legend(loc="lower center")
fig.tight_layout()
out = os.path.join(IMAGES, "pan.png")
fig.savefig(out, dpi=90)
print("wrote", out)
