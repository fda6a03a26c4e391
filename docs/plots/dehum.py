#!/usr/bin/python3
"""What `dehum` does (48 kHz stereo float, through gst-launch-1.0):

- docs/images/dehum.png: 12 s of synthetic music (pad chords, a bass line
  on notes that miss the mains lines, a pink-noise bed) with 50.2 Hz hum
  (5 harmonics, -40 dBFS fundamental, 3 dB less each harmonic), before and
  after `dehum` at its defaults (auto): spectrograms from 0 to 400 Hz and
  the spectra of the last 6 s;
- docs/images/dehum-response.png: the response of `dehum frequency=50`
  (8 harmonics) at bandwidth 2, 5 (the default) and 10 Hz, measured on
  white noise at -30 dBFS over 50.0 Hz hum (5 harmonics, -40 dBFS), which
  the tracker locks to: the cross spectrum of the noise and the output
  over the noise's spectrum, the last 15 s of 20 (the hum, uncorrelated
  with the noise, averages out of it), with a zoom on the fundamental and
  the mid-point 75 Hz.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/dehum.py
"""

import os
import sys

import numpy as np
from scipy import signal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gstrun import run, plt, RATE, IMAGES  # noqa: E402

HUM_HZ = 50.2


def music(seconds, seed=3):
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros((n, 2))
    # A pink-noise bed.
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    spec /= np.sqrt(np.maximum(f, 20.0))
    for c in range(2):
        bed = np.fft.irfft(spec * np.exp(1j * c), n)
        out[:, c] = 0.01 * bed / np.sqrt(np.mean(bed ** 2))
    # Chords (D minor, B flat, F, C: 1.5 s each) and a bass line on their
    # roots an octave and two down: D2 73.4, Bb1 58.3, F2 87.3, C2 65.4 Hz.
    roots = [62, 58, 65, 60]
    for i, start in enumerate(np.arange(0, seconds, 1.5)):
        sel = (t >= start) & (t < start + 1.5)
        ts = t[sel] - start
        root = roots[i % 4]
        env = np.exp(-ts * 1.2) * (1 - np.exp(-ts / 0.01))
        for j, iv in enumerate((0, 3, 7)):
            fr = 440.0 * 2 ** ((root + iv - 69) / 12.0)
            tone = 0.05 * env * (np.sin(2 * np.pi * fr * ts + j)
                                 + 0.4 * np.sin(4 * np.pi * fr * ts))
            out[sel, 0] += tone * (0.3 + 0.2 * j)
            out[sel, 1] += tone * (0.7 - 0.2 * j)
        fb = 440.0 * 2 ** ((root - 24 - 69) / 12.0)
        bass = 0.15 * np.exp(-np.mod(ts, 0.375) * 3) * (
            np.sin(2 * np.pi * fb * ts) + 0.3 * np.sin(4 * np.pi * fb * ts))
        out[sel, 0] += bass
        out[sel, 1] += bass
    return out


def hum(n, hz):
    t = np.arange(n) / RATE
    h = np.zeros((n, 2))
    for k in range(1, 6):
        a = 10 ** ((-40.0 - 3.0 * (k - 1)) / 20.0)
        h[:, 0] += a * np.cos(2 * np.pi * k * hz * t + 0.7 * k)
        h[:, 1] += 0.7 * a * np.cos(2 * np.pi * k * hz * t + 0.7 * k + 0.5)
    return h


def spectrogram_db(x):
    f, t, s = signal.spectrogram(x, RATE, window="hann", nperseg=1 << 14,
                                 noverlap=(1 << 14) - 1200)
    return f, t, 10 * np.log10(s + 1e-20)


def before_after():
    seconds = 12
    x = music(seconds) + hum(seconds * RATE, HUM_HZ)
    y = run("dehum", x.astype(np.float32)).astype(np.float64)
    fig = plt.figure(figsize=(11, 8))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.2, 1], hspace=0.35)
    for i, (sig, title) in enumerate(((x, "before: music + 50.2 Hz hum"),
                                      (y, "after dehum (auto)"))):
        ax = fig.add_subplot(grid[0, i])
        f, t, s = spectrogram_db(sig[:, 0])
        keep = f <= 400
        m = ax.pcolormesh(t, f[keep], s[keep], vmin=-150, vmax=-40,
                          shading="auto", cmap="magma")
        ax.set_title(title)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (Hz)")
    fig.colorbar(m, ax=fig.axes, label="dB (left channel)", shrink=0.6)
    ax = fig.add_subplot(grid[1, :])
    last = slice(6 * RATE, None)
    for sig, label in ((x, "before"), (y, "after")):
        f, p = signal.welch(sig[last, 0], RATE, window="hann",
                            nperseg=1 << 16)
        ax.plot(f, 10 * np.log10(p), label=label, lw=1)
    f, p = signal.welch(music(seconds)[last, 0], RATE, window="hann",
                        nperseg=1 << 16)
    ax.plot(f, 10 * np.log10(p), label="music alone", lw=1, ls="--")
    ax.set_xlim(20, 400)
    ax.set_ylim(-150, -40)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power density (dB/Hz)")
    ax.set_title("spectrum of the last 6 s, left channel")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.savefig(os.path.join(IMAGES, "dehum.png"), dpi=90)
    plt.close(fig)


def response():
    seconds = 20
    rng = np.random.default_rng(5)
    x = 10 ** (-30 / 20) * rng.standard_normal(seconds * RATE)
    humx = x + hum(seconds * RATE, 50.0)[:, 0]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2),
                             gridspec_kw={"width_ratios": [2.2, 1, 1]})
    for bw in (2, 5, 10):
        y = run("dehum frequency=50 bandwidth=%g" % bw,
                humx.astype(np.float32)).astype(np.float64)
        last = slice(5 * RATE, None)
        f, pxy = signal.csd(x[last], y[last], RATE, nperseg=1 << 18)
        _, pxx = signal.welch(x[last], RATE, nperseg=1 << 18)
        h = 20 * np.log10(np.abs(pxy / pxx) + 1e-12)
        for ax in axes:
            ax.plot(f, h, lw=1, label="bandwidth %g Hz" % bw)
    axes[0].set_xlim(20, 450)
    axes[0].set_ylim(-60, 3)
    axes[0].set_title("dehum frequency=50: response on white noise")
    axes[1].set_xlim(40, 60)
    axes[1].set_ylim(-60, 3)
    axes[1].set_title("around 50 Hz")
    axes[2].set_xlim(65, 85)
    axes[2].set_ylim(-0.25, 0.1)
    axes[2].set_title("around the mid-point 75 Hz")
    for ax in axes:
        ax.set_xlabel("frequency (Hz)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("dB")
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "dehum-response.png"), dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    before_after()
    response()
