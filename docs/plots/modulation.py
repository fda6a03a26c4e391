#!/usr/bin/python3
"""The `modulation` element measured through gst-launch-1.0 (48 kHz mono
float in, stereo out: the left side is plotted unless said).

1. Phaser: 8 s of white noise through `modulation mode=phaser` (6 stages,
   300 Hz .. 3 kHz, 0.5 Hz, mix 50): the output's spectrogram, with the
   notches the formula predicts for the LFO at each instant drawn over it
   (N equal first-order all-passes of break frequency fc reach -(2k+1) pi
   where tan (w / 2) = tan (wc / 2) tan ((2k + 1) pi / 2N)).
2. Flanger: the impulse response of a frozen flanger (rate 0, delay 2 ms)
   with feedback 0, +70 and -70 %: its magnitude, the notches at
   (k + 1/2) / delay; and with the wet inverted (`invert`, feedback 0):
   the notches at k / delay.
3. Chorus: an impulse train through one wet-only voice (delay 15 ms, depth
   60 %, rate 1 Hz, sine and triangle): each impulse's delay (the centroid
   of what comes out) against the LFO's formula.
4. Mono in, stereo out: white noise through a wet-only chorus (3 voices,
   0.5 Hz) at spread 0, 45, 100 and 180 degrees: the correlation of the
   two sides in 100 ms windows (1 at spread 0: the sides are equal).

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/modulation.py

Writes docs/images/modulation.png and prints the figures the doc quotes.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES  # noqa: E402

SWING = 0.5  # MST_MODULATION_SWING


def phaser_notches(t, fmin, fmax, depth, rate, stages):
    lfo = np.sin(2 * np.pi * rate * t)
    fc = np.sqrt(fmin * fmax) * (fmax / fmin) ** (depth * lfo / 2)
    out = []
    for k in range(stages // 2):
        out.append(RATE / np.pi * np.arctan(np.tan(np.pi * fc / RATE)
                   * np.tan((2 * k + 1) * np.pi / (2 * stages))))
    return out


def main():
    fig, ax = plt.subplots(4, 1, figsize=(10, 17))

    # 1. Phaser spectrogram.
    rng = np.random.default_rng(1)
    x = (0.1 * rng.standard_normal(8 * RATE)).astype(np.float32)
    y = run("modulation mode=phaser stages=6 min-freq=300 max-freq=3000 "
            "depth=100 rate=0.5 mix=50", x, 2)[:, 0]
    nfft, hop = 4096, 1024
    win = np.hanning(nfft)
    frames = [(i, np.abs(np.fft.rfft(win * y[i:i + nfft])))
              for i in range(0, len(y) - nfft, hop)]
    spec = 20 * np.log10(np.array([f for _, f in frames]).T + 1e-9)
    times = np.array([(i + nfft / 2) / RATE for i, _ in frames])
    freqs = np.fft.rfftfreq(nfft, 1.0 / RATE)
    ax[0].pcolormesh(times, freqs, spec, shading="auto", cmap="magma",
                     vmin=spec.max() - 60, vmax=spec.max())
    t = np.linspace(0, 8, 800)
    for k, curve in enumerate(phaser_notches(t, 300, 3000, 1.0, 0.5, 6)):
        ax[0].plot(t, curve, "c--", lw=1,
                   label="predicted notches" if k == 0 else None)
    ax[0].set_yscale("log")
    ax[0].set_ylim(100, 20000)
    ax[0].set_xlabel("time (s)")
    ax[0].set_ylabel("Hz")
    ax[0].set_title("phaser: white noise, 6 stages, 300 Hz .. 3 kHz, 0.5 Hz,"
                    " mix 50 %")
    ax[0].legend(loc="upper right")

    # 2. Flanger comb, frozen.
    n = 1 << 15
    imp = np.zeros(n, dtype=np.float32)
    imp[0] = 1
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    for fb in (0, 70, -70):
        h = run("modulation mode=flanger delay=2 rate=0 feedback=%d" % fb,
                imp, 2)[:, 0]
        ax[1].semilogx(f[1:], 20 * np.log10(np.abs(np.fft.rfft(h))[1:]
                                            + 1e-9),
                       label="feedback %+d %%" % fb)
    h = run("modulation mode=flanger delay=2 rate=0 feedback=0 invert=true",
            imp, 2)[:, 0]
    ax[1].semilogx(f[1:], 20 * np.log10(np.abs(np.fft.rfft(h))[1:] + 1e-9),
                   "k--", lw=1, label="feedback 0, invert")
    d = 2e-3
    for k in range(0, 6):
        ax[1].axvline((k + 0.5) / d, color="grey", lw=0.5, ls=":")
        ax[1].axvline((k + 1) / d, color="k", lw=0.5, ls="-.")
    ax[1].set_xlim(50, 24000)
    ax[1].set_ylim(-60, 20)
    ax[1].set_xlabel("Hz")
    ax[1].set_ylabel("dB")
    ax[1].set_title("flanger, rate 0, 2 ms, mix 50 %: notches at (k + 1/2) "
                    "/ 2 ms (dotted); inverted: at k / 2 ms (dash-dot)")
    ax[1].legend()

    # 3. Chorus delay against the LFO.
    period = 2400
    x = np.zeros(4 * RATE, dtype=np.float32)
    x[::period] = 1
    centre = 15e-3 * RATE
    for shape, marker in (("sine", "o"), ("triangle", "s")):
        y = run("modulation mode=chorus voices=1 mix=100 delay=15 depth=60 "
                "rate=1 shape=%s" % shape, x, 2)[:, 0]
        tm, dm, err = [], [], 0
        for n0 in range(0, len(x) - period + 1, period):
            seg = y[n0 + 10:n0 + period - 10].astype(np.float64)
            idx = np.arange(n0 + 10, n0 + period - 10)
            tc = np.sum(seg * idx) / np.sum(seg)
            phase = 2 * np.pi * 1.0 * tc / RATE
            lfo = np.sin(phase) if shape == "sine" else \
                2 / np.pi * np.arcsin(np.sin(phase))
            err = max(err, abs(tc - n0 - centre * (1 + SWING * 0.6 * lfo)))
            tm.append(tc / RATE)
            dm.append((tc - n0) / RATE * 1000)
        ax[2].plot(tm, dm, marker, ms=3, label="%s: measured" % shape)
        tt = np.linspace(0, 4, 2000)
        ph = 2 * np.pi * tt
        lfo = np.sin(ph) if shape == "sine" else \
            2 / np.pi * np.arcsin(np.sin(ph))
        ax[2].plot(tt, 15 * (1 + SWING * 0.6 * lfo), lw=0.8,
                   label="%s: formula" % shape)
        print("chorus %s: largest error %.4f frames" % (shape, err))
    ax[2].set_xlabel("time (s)")
    ax[2].set_ylabel("delay (ms)")
    ax[2].set_title("chorus voice: delay 15 ms, depth 60 %, 1 Hz: each "
                    "impulse's delay against the LFO")
    ax[2].legend(loc="upper right", ncol=2)

    # 4. Mono in, stereo out: the sides' correlation against spread.
    x = (0.1 * rng.standard_normal(4 * RATE)).astype(np.float32)
    win = RATE // 10
    for spread in (0, 45, 100, 180):
        y = run("modulation mode=chorus voices=3 mix=100 rate=0.5 spread=%d"
                % spread, x, 2).astype(np.float64)
        corr = []
        for i in range(0, len(y) - win + 1, win):
            l, r = y[i:i + win, 0], y[i:i + win, 1]
            corr.append(np.sum(l * r) / np.sqrt(np.sum(l * l) * np.sum(r * r)))
        whole = np.sum(y[:, 0] * y[:, 1]) / np.sqrt(np.sum(y[:, 0] ** 2)
                                                    * np.sum(y[:, 1] ** 2))
        print("mono chorus, spread %d: correlation %.3f over 4 s" %
              (spread, whole))
        ax[3].plot((np.arange(len(corr)) + 0.5) * 0.1, corr, marker=".",
                   label="spread %d (whole: %.2f)" % (spread, whole))
    ax[3].set_ylim(-1.05, 1.05)
    ax[3].set_xlabel("time (s)")
    ax[3].set_ylabel("L/R correlation")
    ax[3].set_title("mono in, stereo out: wet-only chorus, 3 voices, "
                    "0.5 Hz; the sides' correlation in 100 ms windows")
    ax[3].legend(loc="lower right", ncol=2)

    fig.tight_layout()
    out = os.path.join(IMAGES, "modulation.png")
    fig.savefig(out, dpi=90)
    print("wrote", out)


if __name__ == "__main__":
    main()
