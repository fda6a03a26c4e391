"""Before/after spectrograms of the denoise element: 6 s of music-like
signal (a bass line, chords with decaying notes, a kick and hi-hats) under
white hiss at -45 dBFS, through `denoise` (noise tracked) and through
`denoise profile=...` (the hiss's density given as the profile). Writes docs/images/denoise.png and prints the SDR of each, and
the SDR of an oracle Wiener mask computed from the clean signal (the most a
gain per STFT bin can reach on this signal)."""

import os
import sys

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
    spectrograms([
        ("noisy input: music + white hiss at -45 dBFS (SDR %.1f dB)"
         % sdr(clean, x), x),
        ("denoise, noise tracked (SDR %.1f dB)" % sdr(clean, tracked),
         tracked),
        ("denoise, profile given (SDR %.1f dB)" % sdr(clean, given), given)],
        "denoise.png", 2048, False)
    pink_case()


def pink_case():
    """The benchmark's pink -45 dBFS case (bench.py's music without its
    bed, its hiss, seed 7): clean, noisy and tracked output on a log
    frequency axis with an 8192-point STFT, where the lows' partials and
    the hiss between them show; docs/images/denoise-pink.png."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "..", "bench"))
    import bench
    path = os.path.join(bench.CACHE_DIR, "denoise-oracle-music.raw")
    if not os.path.exists(path):
        os.makedirs(bench.CACHE_DIR, exist_ok=True)
        bench.generate_music(path, bench.VERIFY_MUSIC_SECONDS, False)
    clean = np.fromfile(path, "<f4").reshape(-1, bench.CHANNELS)[:, 0]
    clean = clean[:bench.VERIFY_MUSIC_SECONDS * RATE].astype(np.float64)
    x = clean + bench.hiss("pink", len(clean), -45.0, 7)[:, 0]
    y = gstrun.run("denoise", x)
    sl = slice(RATE, len(clean) - RATE)
    print("pink -45 dBFS, channel 0: SDR in %.2f dB, tracked %.2f dB"
          % (sdr(clean[sl], x[sl]), sdr(clean[sl], y[sl])))
    spectrograms([
        ("clean music (bench.py's, without its bed)", clean),
        ("+ pink hiss at -45 dBFS (SDR %.1f dB)" % sdr(clean[sl], x[sl]), x),
        ("denoise, noise tracked (SDR %.1f dB)" % sdr(clean[sl], y[sl]), y)],
        "denoise-pink.png", 8192, True)


def spectrograms(panels, name, nperseg, log_freq):
    """One spectrogram per (title, signal) of @panels into
    docs/images/@name: kHz on a linear axis, or (@log_freq) Hz on a log one
    over seconds 2 to 6 (vmax -10 dB: the lows' partials)."""
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for ax, (title, sig) in zip(axes, panels):
        t0 = 2 if log_freq else 0
        part = sig[2 * RATE:6 * RATE] if log_freq else sig
        ff, tt, Z = stft(part, RATE, nperseg=nperseg,
                         noverlap=nperseg * 3 // 4)
        db = 20 * np.log10(np.abs(Z[1:]) + 1e-9)
        im = ax.pcolormesh(tt + t0, ff[1:] if log_freq else ff[1:] / 1000,
                           db, vmin=-110, vmax=-10 if log_freq else -20,
                           shading="auto", cmap="magma")
        if log_freq:
            ax.set_yscale("log")
            ax.set_ylim(30, 20000)
        ax.set_ylabel("Hz" if log_freq else "kHz")
        ax.set_title(title, fontsize=10)
    axes[-1].set_xlabel("s")
    fig.colorbar(im, ax=axes, label="dB (STFT bin re full scale)")
    out = os.path.join(gstrun.IMAGES, name)
    fig.savefig(out, dpi=80)
    print("wrote", out)


if __name__ == "__main__":
    main()
