#!/usr/bin/python3
"""The `compressor` element measured through the element.

Three figures, each from audio generated here, written as raw F32LE and run
through gst-launch-1.0 (filesrc ! rawaudioparse ! compressor ! filesink; the
ducking also feeds a second file to the compressor's `sidechain` pad):

1. Static curves: a 1 kHz sine stepped through 31 levels (-60 to 0 dBFS,
   0.25 s each) for a few threshold/ratio/knee settings; the settled gain
   of each step against the curve of Giannoulis, Massberg & Reiss (2012).
2. Gain reduction over time on generated music (a quiet verse, a loud
   chorus with drums), `threshold=-24 ratio=4 knee=6 attack=5
   release=120`: the gain is out / in of each sample (|in| > 1e-3).
3. Ducking: music keyed by a voice-like signal on the sidechain pad,
   `threshold=-40 ratio=8 attack=10 release=250 hold=50`.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/compressor.py

Writes docs/images/compressor-curves.png, compressor-music.png and
compressor-ducking.png; prints the largest static-curve error.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.normpath(os.path.join(HERE, "..", "images"))
RATE = 48000
DPI = 100


def parse(path, channels):
    return ("filesrc location=%s ! rawaudioparse use-sink-caps=false "
            "format=pcm pcm-format=f32le sample-rate=%d num-channels=%d"
            % (path, RATE, channels))


def run(tmp, x, props, key=None):
    """x (frames x channels) through `compressor props`, keyed by key
    (frames x channels) on the sidechain pad when given."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    ch = x.shape[1]
    src, out = os.path.join(tmp, "in.raw"), os.path.join(tmp, "out.raw")
    x.tofile(src)
    line = "%s ! compressor name=c %s ! filesink location=%s" % (
        parse(src, ch), props, out)
    if key is not None:
        key = np.ascontiguousarray(key, dtype=np.float32)
        kpath = os.path.join(tmp, "key.raw")
        key.tofile(kpath)
        line += "  %s ! c.sidechain" % parse(kpath, key.shape[1])
    subprocess.run(["gst-launch-1.0", "-q"] + line.split(), check=True)
    y = np.fromfile(out, dtype=np.float32).reshape(-1, ch)
    assert y.shape == x.shape, (y.shape, x.shape)
    return y


def formula_db(x, t, r, w):
    """Gain (dB) of the soft-knee curve at level x (Giannoulis et al.)."""
    y = np.where(2 * (x - t) < -w, x,
                 np.where(2 * np.abs(x - t) <= w,
                          x + (1 / r - 1) * (x - t + w / 2) ** 2
                          / (2 * max(w, 1e-12)),
                          t + (x - t) / r))
    return y - x


def static_curves(tmp):
    levels = np.arange(-60.0, 0.01, 2.0)
    step = RATE // 4
    t = np.arange(step) / RATE
    tone = np.sin(2 * np.pi * 1000 * t)
    x = np.concatenate([10 ** (lv / 20) * tone for lv in levels])[:, None]
    settings = [(-20, 4, 0, "peak"), (-30, 2, 12, "peak"),
                (-12, 8, 6, "peak"), (-40, np.inf, 6, "peak"),
                (-24, 3, 6, "rms")]
    fig, ax = plt.subplots(figsize=(7, 6))
    worst = 0.0
    for thr, ratio, knee, det in settings:
        props = ("threshold=%g ratio=%s knee=%g detector=%s attack=1 "
                 "release=1000 hold=2" % (thr, "inf" if np.isinf(ratio)
                                          else "%g" % ratio, knee, det))
        y = run(tmp, x, props)
        out_db = []
        for k, lv in enumerate(levels):
            seg = slice(k * step + step - RATE // 50, (k + 1) * step)
            g = 10 * np.log10(np.sum(y[seg] ** 2) / np.sum(x[seg] ** 2))
            out_db.append(lv + g)
            detected = lv - (10 * np.log10(2) if det == "rms" else 0)
            worst = max(worst, abs(g - formula_db(detected, thr, ratio,
                                                  knee)))
        label = "T %g dB, R %s, knee %g dB, %s" % (
            thr, "inf" if np.isinf(ratio) else "%g:1" % ratio, knee, det)
        line, = ax.plot(levels, out_db, "o", ms=3)
        fine = np.linspace(-60, 0, 601)
        det_fine = fine - (10 * np.log10(2) if det == "rms" else 0)
        ax.plot(fine, fine + formula_db(det_fine, thr, ratio, knee), "-",
                color=line.get_color(), lw=1, label=label)
    ax.plot([-60, 0], [-60, 0], ":", color="grey", lw=1, label="1:1")
    ax.set_xlabel("input level (dBFS, sine peak)")
    ax.set_ylabel("output level (dBFS)")
    ax.set_title("compressor: static curves (dots: measured, lines: formula)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "compressor-curves.png"), dpi=DPI)
    print("static curves: largest error %.2e dB" % worst)


def music(seconds, seed=1):
    """Stereo music-like test signal: a quiet verse (pad and bass), then a
    loud chorus (plus kick, snare and a lead)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = 0.5
    pad = sum(0.05 * np.sin(2 * np.pi * f * t + p)
              for f, p in [(220, 0), (277.2, 1), (329.6, 2)])
    bass = 0.12 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.cos(
        2 * np.pi * t / beat))
    chorus = t >= seconds / 2
    drums = np.zeros(n)
    for start in np.arange(seconds / 2, seconds, beat):
        i = int(start * RATE)
        m = min(n - i, RATE // 4)
        tk = np.arange(m) / RATE
        drums[i:i + m] += 0.8 * np.sin(2 * np.pi * (50 + 90 * np.exp(
            -tk / 0.03)) * tk) * np.exp(-tk / 0.12)
    for start in np.arange(seconds / 2 + beat / 2, seconds, beat):
        i = int(start * RATE)
        m = min(n - i, RATE // 8)
        drums[i:i + m] += 0.3 * rng.standard_normal(m) * np.exp(
            -np.arange(m) / RATE / 0.04)
    lead = 0.2 * np.sin(2 * np.pi * 440 * t) * (0.5 + 0.5 * np.sin(
        2 * np.pi * 1.5 * t)) * chorus
    mono = pad * (1 + 2 * chorus) + bass * (1 + chorus) + drums + lead
    return np.stack([mono, 0.9 * mono + 0.1 * pad], axis=1)


def gain_db(x, y):
    g = np.full(len(x), np.nan)
    ok = np.abs(x[:, 0]) > 1e-3
    g[ok] = 20 * np.log10(np.abs(y[ok, 0] / x[ok, 0]))
    return g


def on_music(tmp):
    x = music(8.0)
    y = run(tmp, x, "threshold=-24 ratio=4 knee=6 attack=5 release=120")
    t = np.arange(len(x)) / RATE
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    a1.plot(t, x[:, 0], lw=0.3, color="0.6", label="input")
    a1.plot(t, y[:, 0], lw=0.3, color="C0", label="output")
    a1.axhline(10 ** (-24 / 20), color="C3", lw=0.8, ls="--",
               label="threshold -24 dBFS")
    a1.axhline(-10 ** (-24 / 20), color="C3", lw=0.8, ls="--")
    a1.set_ylabel("left channel")
    a1.legend(fontsize=8, loc="upper left")
    a2.plot(t, gain_db(x, y), lw=0.6, color="C1")
    a2.set_ylabel("gain (dB)")
    a2.set_xlabel("time (s)")
    a2.grid(alpha=0.3)
    a1.set_title("compressor threshold=-24 ratio=4 knee=6 attack=5 "
                 "release=120 on generated music")
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "compressor-music.png"), dpi=DPI)


def voice(seconds, phrases, seed=2):
    """Mono voice-like key: phrases of syllables (a gliding harmonic tone
    with a syllable envelope) at about -12 dBFS peak."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    v = np.zeros(n)
    for on, off in phrases:
        pos = on
        while pos < off:
            dur = rng.uniform(0.12, 0.3)
            i, m = int(pos * RATE), int(min(dur, off - pos) * RATE)
            tk = np.arange(m) / RATE
            f0 = rng.uniform(110, 160) * (1 + 0.2 * tk / dur)
            ph = 2 * np.pi * np.cumsum(f0) / RATE
            tone = sum(np.sin(k * ph) / k for k in range(1, 8))
            env = np.sin(np.pi * tk / (m / RATE)) ** 0.5
            v[i:i + m] += 0.15 * env * tone
            pos += dur + rng.uniform(0.02, 0.08)
    return v[:, None]


def ducking(tmp):
    seconds = 10.0
    phrases = [(1.5, 3.5), (5.0, 5.8), (7.0, 8.5)]
    x = music(seconds, seed=3) * 0.5
    k = voice(seconds, phrases)
    props = "threshold=-40 ratio=8 knee=6 attack=10 release=250 hold=50"
    y = run(tmp, x, props, key=k)
    t = np.arange(len(x)) / RATE
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    a1.plot(t, x[:, 0], lw=0.3, color="0.6", label="music in")
    a1.plot(t, y[:, 0], lw=0.3, color="C0", label="music out")
    a1.plot(t, k[:, 0] - 1.2, lw=0.3, color="C2",
            label="voice (sidechain), offset")
    a1.legend(fontsize=8, loc="upper right")
    a1.set_yticks([])
    a2.plot(t, gain_db(x, y), lw=0.6, color="C1")
    for on, off in phrases:
        a2.axvspan(on, off, color="C2", alpha=0.1)
    a2.set_ylabel("music gain (dB)")
    a2.set_xlabel("time (s); shaded: the voice speaks")
    a2.grid(alpha=0.3)
    a1.set_title("ducking: music ! compressor name=c %s   voice ! "
                 "c.sidechain" % props, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(IMAGES, "compressor-ducking.png"), dpi=DPI)
    g = gain_db(x, y)
    speak = (t > 2.0) & (t < 3.4)
    print("ducking: median gain while the voice speaks %.1f dB, after it "
          "%.2f dB" % (np.nanmedian(g[speak]),
                       np.nanmedian(g[(t > 9.0)])))


def main():
    if shutil.which("gst-launch-1.0") is None:
        sys.exit("gst-launch-1.0 not found")
    os.makedirs(IMAGES, exist_ok=True)
    tmp = tempfile.mkdtemp()
    try:
        static_curves(tmp)
        on_music(tmp)
        ducking(tmp)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
