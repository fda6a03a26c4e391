#!/usr/bin/python3
"""The `limiter` element on a drum-like test signal, measured through the
element.

A synthetic beat (kick drums with a pitch sweep, snare noise bursts and a
bass line, peaks around +6 dBFS, 48 kHz stereo float, 3 s) is written as raw
F32LE and run through

    filesrc ! rawaudioparse ! limiter ceiling=-1.0 ! filesink

with gst-launch-1.0. The element drains its lookahead at EOS and each output
sample carries its input's timestamp, so output sample i lines up with input
sample i and the applied gain is simply out / in wherever |in| is not tiny.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/limiter_plot.py

Writes docs/images/limiter.png and prints the input and output sample peaks
and 4x-oversampled (FFT) true peaks.
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
SECONDS = 3.0
CEILING_DB = -1.0
LOOKAHEAD_MS = 5.0          # the element's default
BPM = 120
PEAK_IN_DB = 6.0            # sample peak of the test signal, dBFS
LEAD_IN = 0.25              # s before the first kick (bass only)
MIN_IN = 1e-3               # |in| below this: no gain estimate
DPI = 100


# ---- test signal ----

def kick(n, peak):
    """A kick: a sine whose pitch sweeps 160 -> 45 Hz, fast attack,
    exponential decay, plus a short click."""
    t = np.arange(n) / RATE
    f = 45 + 115 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(f) / RATE
    env = (1 - np.exp(-t / 0.0008)) * np.exp(-t / 0.18)
    click = np.exp(-t / 0.002) * np.sin(2 * np.pi * 1800 * t)
    k = env * np.sin(phase) + 0.25 * click
    return peak * k / np.max(np.abs(k))


def snare(n, peak, rng):
    """A snare: a 190 Hz body and a decaying noise burst, per channel
    independent noise (shape (n, 2))."""
    t = np.arange(n) / RATE
    body = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.04)
    noise = rng.standard_normal((n, 2))
    # band the noise like a snare's wires, about 400 Hz to 9 kHz: a first
    # difference (high-pass) then a windowed-sinc low-pass
    noise = np.vstack([noise[:1], np.diff(noise, axis=0)])
    taps = np.arange(-32, 33)
    lp = np.sinc(2 * 9000 / RATE * taps) * np.hamming(taps.size)
    lp /= lp.sum()
    noise = np.stack([np.convolve(noise[:, c], lp, mode="same")
                      for c in (0, 1)], axis=1)
    s = 0.6 * body[:, None] + 0.5 * noise * np.exp(-t / 0.07)[:, None]
    s *= 1 - np.exp(-t / 0.0005)[:, None]
    return peak * s / np.max(np.abs(s))


def bass(n_total):
    """A bass line: eighth notes on a saw-ish tone (three harmonics)."""
    notes = [41.2, 41.2, 55.0, 41.2, 49.0, 41.2, 61.7, 55.0]   # E1 A1 G1 B1
    eighth = int(RATE * 60 / BPM / 2)
    out = np.zeros(n_total)
    first = max(0, int(LEAD_IN * RATE) - eighth)     # one pickup note
    for i, start in enumerate(range(first, n_total, eighth)):
        n = min(eighth, n_total - start)
        t = np.arange(n) / RATE
        f = notes[i % len(notes)]
        tone = sum(np.sin(2 * np.pi * h * f * t) / h for h in (1, 2, 3))
        env = (1 - np.exp(-t / 0.003)) * np.exp(-t / 0.25)
        env *= np.minimum(1, (n - np.arange(n)) / (0.004 * RATE))  # no click
        out[start:start + n] += 0.35 * env * tone
    return out


def make_signal():
    rng = np.random.default_rng(1)
    n = int(SECONDS * RATE)
    x = np.zeros((n, 2))
    x += bass(n)[:, None]
    beat = 60 / BPM
    # kicks on 1 and 3, plus an off-beat pickup; snares on 2 and 4
    kicks = [0, 2, 3.5, 4]
    snares = [1, 3, 5]
    for b in kicks:
        i = int((LEAD_IN + b * beat) * RATE)
        m = min(int(0.45 * RATE), n - i)
        k = kick(m, 10 ** (6.0 / 20) * (0.8 if b == 3.5 else 1.0))
        x[i:i + m] += k[:, None] * np.array([1.0, 0.97])
    for b in snares:
        i = int((LEAD_IN + b * beat) * RATE)
        m = min(int(0.3 * RATE), n - i)
        x[i:i + m] += snare(m, 10 ** (5.0 / 20), rng)
    # fade out the last 50 ms so the FFT true peak does not see a wrap step
    fade = int(0.05 * RATE)
    x[-fade:] *= np.linspace(1, 0, fade)[:, None]
    x *= 10 ** (PEAK_IN_DB / 20) / np.max(np.abs(x))
    return x.astype(np.float32), [LEAD_IN + b * beat for b in kicks]


# ---- through the element ----

def run_limiter(x):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f32")
        dst = os.path.join(tmp, "out.f32")
        x.astype("<f4").tofile(src)
        cmd = ("gst-launch-1.0 -q filesrc location=%s ! rawaudioparse "
               "format=pcm pcm-format=f32le sample-rate=%d num-channels=2 ! "
               "limiter ceiling=%g ! filesink location=%s"
               % (src, RATE, CEILING_DB, dst))
        r = subprocess.run(cmd.split(), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("pipeline failed: %s\n%s%s" % (cmd, r.stdout, r.stderr))
        y = np.fromfile(dst, dtype="<f4")
    if y.size != x.size:
        sys.exit("got %d frames out of %d" % (y.size // 2, x.shape[0]))
    if not np.all(np.isfinite(y)):
        sys.exit("non-finite output")
    return y.reshape(-1, 2)


# ---- peaks ----

def db(v):
    return 20 * np.log10(max(v, 1e-30))


def sample_peak(x):
    return np.max(np.abs(x))


def true_peak_4x(x):
    """Peak of the 4x band-limited (FFT zero-padding) reconstruction, per
    channel, max over channels."""
    n = x.shape[0]
    spec = np.fft.rfft(x.astype(np.float64), axis=0)
    up = np.fft.irfft(spec, n=4 * n, axis=0) * 4
    return np.max(np.abs(up))


# ---- plot ----

def gain_db(x, y):
    """Applied gain (dB) on the left channel where |in| > MIN_IN; with the
    channels linked it is the same gain on both."""
    xi, yo = x[:, 0].astype(np.float64), y[:, 0].astype(np.float64)
    ok = np.abs(xi) > MIN_IN
    g = np.full(xi.shape, np.nan)
    g[ok] = 20 * np.log10(np.maximum(yo[ok] / xi[ok], 1e-12))
    return g, ok


def plot(x, y, kick_times):
    t = np.arange(x.shape[0]) / RATE
    ceil = 10 ** (CEILING_DB / 20)
    g, ok = gain_db(x, y)

    fig = plt.figure(figsize=(10, 7))
    gs = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1])
    ax_w = fig.add_subplot(gs[0, :])
    ax_zw = fig.add_subplot(gs[1, 0])
    ax_zg = fig.add_subplot(gs[1, 1], sharex=ax_zw)
    ax_g = fig.add_subplot(gs[2, :], sharex=ax_w)

    # whole signal: waveforms
    ax_w.plot(t, x[:, 0], color="0.7", lw=0.6, label="input (L)")
    ax_w.plot(t, y[:, 0], color="C0", lw=0.6, label="output (L)")
    for s in (1, -1):
        ax_w.axhline(s * ceil, color="C3", ls="--", lw=0.9,
                     label="ceiling %g dBFS" % CEILING_DB if s > 0 else None)
    ax_w.set_xlim(0, t[-1])
    ax_w.set_ylim(-2.2, 2.2)
    ax_w.set_ylabel("amplitude", fontsize=8)
    ax_w.set_title("waveform, left channel (peaks about +6 dBFS in)",
                   fontsize=10)
    ax_w.legend(fontsize=7, loc="upper right", ncol=3)

    # zoom on one kick: waveform and gain
    tk = kick_times[1]
    i0 = int((tk - 0.012) * RATE)
    i1 = int((tk + 0.040) * RATE)
    tz = (t[i0:i1] - tk) * 1000
    # the kick's first peak (largest |in| in its first 6 ms), to mark the
    # lookahead before it
    ik = int(tk * RATE)
    ipk = ik + int(np.argmax(np.abs(x[ik:ik + int(0.006 * RATE), 0])))
    tpk = (ipk / RATE - tk) * 1000
    ax_zw.plot(tz, x[i0:i1, 0], color="0.6", lw=1.0, label="input")
    ax_zw.plot(tz, y[i0:i1, 0], color="C0", lw=1.2, label="output")
    for s in (1, -1):
        ax_zw.axhline(s * ceil, color="C3", ls="--", lw=0.9)
    ax_zw.set_xlim(tz[0], tz[-1])
    ax_zw.set_ylabel("amplitude", fontsize=8)
    ax_zw.set_xlabel("ms from kick onset (t = %.2f s)" % tk, fontsize=8)
    ax_zw.axvspan(tpk - LOOKAHEAD_MS, tpk, color="C1", alpha=0.15)
    ax_zw.set_title("zoom on one kick: input and output", fontsize=10)
    ax_zw.legend(fontsize=7, loc="lower right")

    okz = ok[i0:i1]
    ax_zg.plot(tz[okz], g[i0:i1][okz], ".", color="C2", ms=2.0)
    ax_zg.plot(tz[okz], g[i0:i1][okz], color="C2", lw=0.6, alpha=0.6)
    ax_zg.axvline(tpk, color="k", lw=0.8, ls=":")
    ax_zg.axvspan(tpk - LOOKAHEAD_MS, tpk, color="C1", alpha=0.15,
                  label="%g ms lookahead before the peak" % LOOKAHEAD_MS)
    ax_zg.annotate("first peak of the kick", (tpk, 0.3), fontsize=7,
                   xytext=(3, 0), textcoords="offset points", va="center")
    ax_zg.set_ylabel("gain (dB)", fontsize=8)
    ax_zg.set_xlabel("ms from kick onset", fontsize=8)
    ax_zg.set_title("applied gain = out / in, same kick: it falls during "
                    "the lookahead", fontsize=10)
    ax_zg.legend(fontsize=7, loc="lower right")

    # whole signal: gain
    ax_g.plot(t[ok], g[ok], color="C2", lw=0.8)
    ax_g.set_ylabel("gain (dB)", fontsize=8)
    ax_g.set_xlabel("s", fontsize=8)
    ax_g.set_title("applied gain = 20 log10(out / in) where |in| > %g, "
                   "whole signal (each hit: attack over the lookahead, then "
                   "release)" % MIN_IN, fontsize=10)
    gmin = np.nanmin(g)
    for ax in (ax_g, ax_zg):
        ax.set_ylim(np.floor(gmin) - 0.5, 1.0)

    for ax in (ax_w, ax_zw, ax_zg, ax_g):
        ax.grid(True, alpha=0.4)
        ax.tick_params(labelsize=8)
    fig.suptitle("limiter ceiling=%g (true peak, lookahead %g ms, release "
                 "50 ms auto) on a drum loop, 48 kHz" % (CEILING_DB,
                                                        LOOKAHEAD_MS),
                 fontsize=11)
    fig.tight_layout()
    out = os.path.join(IMAGES, "limiter.png")
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def main():
    if shutil.which("gst-launch-1.0") is None:
        sys.exit("gst-launch-1.0 not found")
    os.makedirs(IMAGES, exist_ok=True)
    x, kick_times = make_signal()
    y = run_limiter(x)
    for name, s in (("input ", x), ("output", y)):
        print("%s: sample peak %+.3f dBFS, 4x true peak %+.3f dBTP"
              % (name, db(sample_peak(s)), db(true_peak_4x(s))))
    tp = db(true_peak_4x(y))
    print("ceiling %+.1f dB: output true peak %s" %
          (CEILING_DB, "at or below" if tp <= CEILING_DB + 1e-3
           else "OVER by %.3f dB," % (tp - CEILING_DB)))
    g, ok = gain_db(x, y)
    print("largest gain reduction %.2f dB" % -np.nanmin(g))
    print("wrote", os.path.relpath(plot(x, y, kick_times)))


if __name__ == "__main__":
    main()
