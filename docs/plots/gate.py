#!/usr/bin/python3
"""The `gate` element's static curve, hysteresis and gain over time,
measured through the element (gst-launch-1.0, docs/plots/gstrun.py).

- Static curve: DC levels from -100 to 0 dBFS, each held 100 ms, the
  output level at the end of each step, for a gate (ratio 20, range -40 dB)
  and an expander (ratio 2, range -40 dB), threshold -50 dB.
- Hysteresis: a DC level ramped from -60 to -40 dBFS and back over 4 s;
  the gate opens at the threshold (-50) going up and closes 6 dB below it
  going down.
- A noisy voice track: syllables (a 150 Hz tone with harmonics under
  envelopes) over hiss at -60 dBFS, through the first recipe of
  docs/elements/gate.md; the gain is read on a second channel that carries
  a constant far under the threshold (linked channels: the loudest one
  drives both, so that channel's out / in is the gain).

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/gate.py

Writes docs/images/gate.png and prints the figures.
"""

import os

import numpy as np

from gstrun import IMAGES, RATE, db, plt, run
THRESHOLD = -50.0
RECIPE = ("gate threshold=-45 range=-30 hold=50 release=150 lookahead=2 "
          "sidechain-highpass=100")


def static_curve(ratio):
    levels = np.arange(-100.0, 0.1, 2.0)
    step = RATE // 10
    x = np.repeat(10 ** (levels / 20), step)
    y = run("gate threshold=%g range=-40 ratio=%g attack=1 hold=0 "
            "release=10 hysteresis=0" % (THRESHOLD, ratio), x)
    return levels, db(y[step - 1::step])


def hysteresis_loop():
    n = 4 * RATE
    up = np.linspace(-60, -40, n // 2)
    lvl = np.concatenate([up, up[::-1]])
    x = 10 ** (lvl / 20)
    y = run("gate threshold=%g range=-40 attack=0.1 hold=0 release=0.1 "
            "hysteresis=6" % THRESHOLD, x)
    return lvl, db(y) - lvl


def noisy_voice():
    rng = np.random.default_rng(7)
    n = 4 * RATE
    t = np.arange(n) / RATE
    voice = sum(np.sin(2 * np.pi * 150 * k * t + k) / k ** 1.5
                for k in range(1, 20))
    env = np.zeros(n)
    for start, length in [(0.3, 0.25), (0.7, 0.18), (1.0, 0.3), (1.9, 0.2),
                          (2.2, 0.35), (3.1, 0.4)]:
        i, m = int(start * RATE), int(length * RATE)
        env[i:i + m] = np.sin(np.pi * np.arange(m) / m) ** 0.5
    x = 0.1 * voice * env + 10 ** (-60 / 20) * rng.standard_normal(n)
    key = np.full(n, 1e-6)      # -120 dBFS: never opens the gate
    y = run(RECIPE, np.stack([x, key], axis=1))
    return t, x, y[:, 0], db(y[:, 1] / key)


def main():
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5), dpi=100)
    for ratio, style in [(20, "-"), (2, "--")]:
        lv, out = static_curve(ratio)
        ax[0, 0].plot(lv, out, style, label="ratio %g" % ratio)
        expected = np.where(lv >= THRESHOLD, lv,
                            lv + np.maximum((ratio - 1) * (lv - THRESHOLD),
                                            -40))
        err = np.max(np.abs(out - expected))
        print("static curve, ratio %g: largest error %.3f dB" % (ratio, err))
    ax[0, 0].plot([-100, 0], [-100, 0], ":", color="grey", label="in = out")
    ax[0, 0].axvline(THRESHOLD, color="grey", lw=0.5)
    ax[0, 0].set(xlabel="input level (dBFS)", ylabel="output level (dBFS)",
                 title="Static curve: threshold -50, range -40 dB")
    ax[0, 0].legend()
    ax[0, 0].grid(alpha=0.3)

    lvl, g = hysteresis_loop()
    half = len(lvl) // 2
    ax[0, 1].plot(lvl[:half], g[:half], label="level rising")
    ax[0, 1].plot(lvl[half:], g[half:], "--", label="level falling")
    # A fresh gate starts open and closes at once on the quiet start.
    shut = np.argmax(g < -20)
    opened = lvl[shut + np.argmax(g[shut:half] > -0.5)]
    closed = lvl[half + np.argmax(g[half:] < -39.5)]
    print("hysteresis 6 dB: opens at %.2f dBFS, closes at %.2f dBFS"
          % (opened, closed))
    ax[0, 1].set(xlabel="input level (dBFS)", ylabel="gain (dB)",
                 title="Hysteresis 6 dB: opens at %.1f, closes at %.1f dBFS"
                 % (opened, closed))
    ax[0, 1].legend()
    ax[0, 1].grid(alpha=0.3)

    t, x, y, g = noisy_voice()
    frame = RATE // 100
    tf = t[:t.size // frame * frame:frame]
    for sig, name in [(x, "input"), (y, "output")]:
        rms = np.sqrt(np.mean(sig[:tf.size * frame].reshape(-1, frame) ** 2,
                              axis=1))
        ax[1, 0].plot(tf, db(rms), label=name)
    ax[1, 0].set(xlabel="time (s)", ylabel="RMS in 10 ms (dBFS)",
                 title="Syllables over hiss at -60 dBFS")
    ax[1, 0].grid(alpha=0.3)
    ax[1, 0].legend(loc="upper right")
    ax[1, 1].plot(t, g)
    ax[1, 1].set(xlabel="time (s)", ylabel="gain (dB)", ylim=(-33, 3),
                 title=RECIPE.replace(" release", "\nrelease"))
    ax[1, 1].grid(alpha=0.3)
    fig.tight_layout()
    out = os.path.join(IMAGES, "gate.png")
    fig.savefig(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
