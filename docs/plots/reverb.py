#!/usr/bin/python3
"""The `reverb` element's decay and echo density, measured through
gst-launch-1.0 on an impulse (48 kHz, mono in, stereo out, fully wet,
pre-delay 0, tail=false with the impulse padded by silence):

- reverb-edc.png: energy decay curves (Schroeder backward integration of
  the squared response, both channels) for decay 0.5, 2 and 6 s, each with
  the line of its setting (-60 dB at RT60); and per octave band (4th-order
  Butterworth bands) with decay-low=4, decay=1, crossover=1000, the lines
  of decay-low (4 s) and decay (1 s);
- reverb-late.png: the late spectrum (mean power spectrum of Hann frames
  of 8192 points, hop 4096, from 0.25 to 3 s; left channel) at decay 2 s
  with modulation=0 and 100 (the default), each over the median of its
  third of an octave (the measure of tests/test-reverb-modes.c), and the
  same for white noise decaying as a 2 s RT60 (one seed drawn, its
  largest peak and RMS the mean over 4 seeds);
- reverb-density.png: the normalized echo density (Abel and Huang 2006:
  share of samples beyond one standard deviation in 20 ms windows, over
  erfc (1 / sqrt 2)) of ours at diffusion 0, 70 (default) and 100, and of
  GStreamer's freeverb (room-size 0.8, damping 0, level 1) if installed.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/reverb.py

Writes docs/images/reverb-edc.png, docs/images/reverb-late.png and
docs/images/reverb-density.png.
"""

import math
import os
import subprocess
import sys

import numpy as np
from scipy import signal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES  # noqa: E402


def response(element, seconds):
    x = np.zeros(int(seconds * RATE), dtype=np.float32)
    x[0] = 0.5
    return run(element, x, out_channels=2).astype(np.float64) * 2


def edc_db(e):
    edc = np.cumsum(e[::-1])[::-1]
    return 10 * np.log10(edc / edc[0] + 1e-30)


def t30(e):
    db = edc_db(e)
    sel = (db <= -5) & (db >= -35)
    t = np.arange(len(e))[sel] / RATE
    return -60.0 / np.polyfit(t, db[sel], 1)[0]


def octave(y, fc):
    sos = signal.butter(2, [fc / math.sqrt(2), fc * math.sqrt(2)],
                        btype="bandpass", fs=RATE, output="sos")
    z = signal.sosfilt(sos, y, axis=0)
    return np.sum(z ** 2, axis=1)


def ned(x, ms=300):
    half = RATE // 100
    out = []
    for m in range(ms):
        c = m * RATE // 1000
        w = x[max(0, c - half):c + half]
        sd = np.sqrt(np.mean(w ** 2))
        out.append(np.mean(np.abs(w) > sd) / math.erfc(1 / math.sqrt(2))
                   if sd > 0 else 0)
    return np.array(out)


def plot_edc():
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    for decay, colour in ((0.5, "C0"), (2.0, "C1"), (6.0, "C2")):
        y = response("reverb decay=%g pre-delay=0 mix=100 tail=false"
                     % decay, decay + 0.3)
        e = np.sum(y ** 2, axis=1)
        t = np.arange(len(e)) / RATE
        a.plot(t, edc_db(e), colour, label="decay %g s: T30 %.3f s" % (
            decay, t30(e)))
        a.plot(t, -60 * t / decay, colour, ls="--", lw=0.8)
    a.set_ylim(-70, 2)
    a.set_xlabel("time (s)")
    a.set_ylabel("energy decay (dB)")
    a.set_title("Broadband EDC, decay alone; dashed: -60 dB at the decay")
    a.legend()
    a.grid(alpha=0.3)
    y = response("reverb decay=1 decay-low=4 crossover=1000 pre-delay=0 "
                 "mix=100 tail=false", 4.2)
    t = np.arange(len(y)) / RATE
    for k, fc in enumerate((125, 500, 1000, 2000, 8000)):
        e = octave(y, fc)
        b.plot(t, edc_db(e), "C%d" % k, label="%g Hz octave: T30 %.2f s" % (
            fc, t30(e)))
    b.plot(t, -60 * t / 4.0, "k--", lw=0.8, label="decay-low 4 s")
    b.plot(t, -60 * t / 1.0, "k:", lw=0.8, label="decay 1 s")
    b.set_ylim(-70, 2)
    b.set_xlabel("time (s)")
    b.set_title("Octave bands, decay-low=4 decay=1 crossover=1000")
    b.legend(fontsize=8)
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "reverb-edc.png"), dpi=100)


FRAME = 8192


def late_spectrum(x):
    """Mean power spectrum (dB) of Hann frames from 0.25 to 3 s."""
    w = np.hanning(FRAME + 1)[:FRAME]
    acc = np.zeros(FRAME // 2 + 1)
    k = 0
    for start in range(int(0.25 * RATE), int(3.0 * RATE) - FRAME + 1,
                       FRAME // 2):
        acc += np.abs(np.fft.rfft(w * x[start:start + FRAME])) ** 2
        k += 1
    return 10 * np.log10(acc / k + 1e-300)


def over_local_median(db):
    """Each bin over the median of its third of an octave (dB)."""
    f = np.arange(len(db)) * RATE / FRAME
    out = np.full(len(db), np.nan)
    for i in range(1, len(db)):
        lo, hi = f[i] * 2 ** (-1 / 6), f[i] * 2 ** (1 / 6)
        sel = (f >= lo) & (f <= hi)
        out[i] = db[i] - np.median(db[sel])
    return f, out


def plot_late():
    fig, (a, b) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    curves = []
    for mod, colour in ((0, "C3"), (100, "C0")):
        y = response("reverb decay=2 mix=100 modulation=%d tail=false" % mod,
                     3.1)
        curves.append(("reverb modulation=%d" % mod, colour,
                       late_spectrum(y[:, 0])))
    t = np.arange(int(3.1 * RATE)) / RATE
    noises = [late_spectrum(np.random.default_rng(seed).standard_normal(
        len(t)) * 10 ** (-3 * t / 2.0)) for seed in range(1, 5)]
    curves.append(("white noise, RT60 2 s", "0.5", noises[0]))
    for label, colour, db in curves:
        f, rel = over_local_median(db)
        sel = (f >= 1000) & (f <= 16000)
        peak, rms = np.max(rel[sel]), np.sqrt(np.mean(rel[sel] ** 2))
        if label.startswith("white"):
            # One realisation drawn; its figures the mean over 4 seeds
            # (one seed's largest peak alone moves by dBs).
            figs = [over_local_median(n)[1][sel] for n in noises]
            peak = np.mean([np.max(r) for r in figs])
            rms = np.mean([np.sqrt(np.mean(r ** 2)) for r in figs])
            label += " (figures: mean of 4 seeds)"
        else:
            a.plot(f[sel], db[sel] - np.max(db[sel]), colour, lw=0.7,
                   label=label)
        b.plot(f[sel], rel[sel], colour, lw=0.7,
               label="%s: largest %.1f dB, RMS %.2f dB" % (label, peak, rms))
    a.set_ylabel("mean power (dB)")
    a.set_title("Late spectrum, 0.25 to 3 s, decay 2 s, 48 kHz")
    a.legend(fontsize=8)
    a.grid(alpha=0.3)
    b.set_xscale("log")
    b.set_xlabel("frequency (Hz)")
    b.set_ylabel("over the 1/3-octave median (dB)")
    b.legend(fontsize=8)
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "reverb-late.png"), dpi=100)


def have(factory):
    return subprocess.run(["gst-inspect-1.0", factory],
                          capture_output=True).returncode == 0


def plot_density():
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for diff, colour in ((0, "C0"), (70, "C1"), (100, "C2")):
        y = response("reverb diffusion=%d pre-delay=0 mix=100 tail=false"
                     % diff, 0.5)
        ax.plot(ned(y[:, 0]), colour, label="reverb diffusion=%d" % diff)
    if have("freeverb"):
        y = response("freeverb room-size=0.8 damping=0 level=1", 0.5)
        ax.plot(ned(y[:, 0]), "C3", label="freeverb room-size=0.8")
    ax.axhline(0.9, color="k", lw=0.8, ls=":")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("normalized echo density")
    ax.set_title("Echo density (Abel & Huang), 20 ms windows")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "reverb-density.png"), dpi=100)


if __name__ == "__main__":
    plot_edc()
    plot_late()
    plot_density()
