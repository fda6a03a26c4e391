#!/usr/bin/python3
"""The `declick` and `declip` elements measured through the elements.

The music is bench/bench.py's generator (pink-noise bed, bass, chords, kick,
hi-hat), 10 s at 48 kHz stereo, damaged as the benchmark damages it
(bench.damaged): 10 clicks a second of 1 to 2 ms, or driven 6 dB over full
scale and clipped at +-1. Each damaged file is run through gst-launch-1.0
(filesrc ! rawaudioparse ! declick / declip ! filesink, gstrun.run) with
the element's defaults.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/restore.py

Writes docs/images/declick.png and declip.png (waveforms around damage,
before/after spectrograms of the first 4 s) and prints the SDR of the
damaged and the repaired music against the clean music.
"""

import os
import sys
import tempfile

import numpy as np

import gstrun
from gstrun import plt, RATE, IMAGES

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))
import bench  # noqa: E402


def sdr(ref, y):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((y - ref) ** 2))


def spectrogram(ax, x, title):
    ax.specgram(x[: 4 * RATE], NFFT=1024, Fs=RATE, noverlap=512,
                cmap="magma", vmin=-150, vmax=-30)
    ax.set_ylim(0, 24000)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title)


def figure(kind, element, name, zoom_at, zoom_ms):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "music.raw")
        bench.generate_music(path, 10)
        bad, ref = bench.damaged(path, kind)
        x = np.fromfile(bad, "<f4").reshape(-1, 2)
        clean = np.fromfile(ref, "<f4").reshape(-1, 2).astype(np.float64)
    y = gstrun.run(element, x)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    s_in, s_out = sdr(clean, x64), sdr(clean, y64)
    changed = np.mean(x != y) * 100
    print("%s: SDR %.1f dB damaged, %.1f dB repaired; %.2f %% of the samples "
          "changed; output peak %.2f" % (element, s_in, s_out, changed,
                                         np.max(np.abs(y))))
    fig = plt.figure(figsize=(11, 8), dpi=100)
    ax = fig.add_subplot(2, 1, 1)
    at = zoom_at(x64, clean)
    half = int(RATE * zoom_ms / 2000)
    sl = slice(max(0, at - half), at + half)
    t = (np.arange(len(x))[sl] - at) / RATE * 1000
    ax.plot(t, clean[sl, 0], color="0.6", lw=3, label="clean")
    ax.plot(t, x64[sl, 0], color="tab:red", lw=1, label="damaged")
    ax.plot(t, y64[sl, 0], color="tab:blue", lw=1, ls="--",
            label="%s output" % element)
    if kind == "clip":
        ax.axhline(1.0, color="k", lw=0.5)
        ax.axhline(-1.0, color="k", lw=0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("sample value (channel 0)")
    ax.set_title("%s: SDR against the clean music %.1f dB damaged, %.1f dB "
                 "repaired" % (element, s_in, s_out))
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    spectrogram(fig.add_subplot(2, 2, 3), x64[:, 0], "damaged")
    spectrogram(fig.add_subplot(2, 2, 4), y64[:, 0], "%s output" % element)
    fig.tight_layout()
    out = os.path.join(IMAGES, name)
    fig.savefig(out)
    print("wrote", out)


def largest_damage(x, clean):
    # The frame where the damage is largest after the first second.
    d = np.abs(x[RATE:, 0] - clean[RATE:, 0])
    return RATE + int(np.argmax(d))


def main():
    figure("clicks", "declick", "declick.png", largest_damage, 12)
    figure("clip", "declip", "declip.png", largest_damage, 30)


if __name__ == "__main__":
    main()
