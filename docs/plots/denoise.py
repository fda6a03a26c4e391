"""Before/after spectrograms of the denoise element: 6 s of music-like
signal (a bass line, chords with decaying notes, a kick and hi-hats) under
white hiss at -45 dBFS, through `denoise` (noise tracked) and through
`denoise profile=...` (the hiss's density given as the profile). Writes docs/images/denoise.png and prints the SDR of each, and
the SDR of an oracle Wiener mask computed from the clean signal (the most a
gain per STFT bin can reach on this signal)."""

import os

import numpy as np
from scipy.signal import stft, istft

import gstrun
from gstrun import RATE, plt


def music(seconds, seed=1):
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = np.mod(t, 0.5)
    out = np.zeros(n)
    for k, root in enumerate([45, 41, 48, 43]):
        sel = (t // 1.5).astype(int) % 4 == k
        f = 440.0 * 2 ** ((root - 69) / 12.0)
        out[sel] += 0.2 * np.exp(-beat[sel] * 3) * np.sin(2 * np.pi * f * t[sel])
        for iv in (12, 16, 19, 24):
            fr = f * 2 ** (iv / 12.0)
            env = np.exp(-np.mod(t[sel], 1.5) * 1.5)
            out[sel] += 0.05 * env * (np.sin(2 * np.pi * fr * t[sel])
                                      + 0.3 * np.sin(4 * np.pi * fr * t[sel]))
    kick_env = np.exp(-beat * 25)
    out += 0.5 * kick_env * np.sin(2 * np.pi * (50 * beat + 1.6 * (1 - kick_env)))
    hat = 0.03 * np.exp(-np.mod(t + 0.25, 0.5) * 60) * rng.standard_normal(n)
    out += np.convolve(hat, [1, -1], "same")
    return out / np.max(np.abs(out)) * 0.9


def sdr(c, y):
    return 10 * np.log10(np.sum(c ** 2) / np.sum((y - c) ** 2))


def main():
    rng = np.random.default_rng(2)
    clean = music(6.0)
    hiss_db = -45.0
    noise = rng.standard_normal(len(clean)) * 10 ** (hiss_db / 20)
    x = clean + noise
    tracked = gstrun.run("denoise", x)
    # The profile given: the hiss's density in every band, dB re FS^2/Hz.
    prof = ",".join(["%.1f" % (hiss_db - 10 * np.log10(RATE / 2))] * 31)
    given = gstrun.run("denoise profile=%s" % prof, x)
    f, t, X = stft(x, RATE, nperseg=2048, noverlap=1536)
    _, _, S = stft(clean, RATE, nperseg=2048, noverlap=1536)
    _, _, N = stft(noise, RATE, nperseg=2048, noverlap=1536)
    lam = np.mean(np.abs(N) ** 2)
    _, oracle = istft(X * np.abs(S) ** 2 / (np.abs(S) ** 2 + lam), RATE,
                      nperseg=2048, noverlap=1536)
    oracle = oracle[:len(clean)]
    print("SDR in %.2f dB; tracked %.2f; profile given %.2f; oracle Wiener "
          "%.2f" % (sdr(clean, x), sdr(clean, tracked), sdr(clean, given),
                    sdr(clean, oracle)))
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for ax, (title, sig) in zip(axes, [
            ("noisy input: music + white hiss at -45 dBFS (SDR %.1f dB)"
             % sdr(clean, x), x),
            ("denoise, noise tracked (SDR %.1f dB)" % sdr(clean, tracked),
             tracked),
            ("denoise, profile given (SDR %.1f dB)" % sdr(clean, given),
             given)]):
        ff, tt, Z = stft(sig, RATE, nperseg=2048, noverlap=1536)
        db = 20 * np.log10(np.abs(Z) + 1e-9)
        im = ax.pcolormesh(tt, ff / 1000, db, vmin=-110, vmax=-20,
                           shading="auto", cmap="magma")
        ax.set_ylabel("kHz")
        ax.set_title(title, fontsize=10)
    axes[-1].set_xlabel("s")
    fig.colorbar(im, ax=axes, label="dB (STFT bin re full scale)")
    out = os.path.join(gstrun.IMAGES, "denoise.png")
    fig.savefig(out, dpi=80)
    print("wrote", out)


if __name__ == "__main__":
    main()
