#!/usr/bin/python3
"""The `loudmeter` element on a generated programme, read from its messages.

A 75 s programme (48 kHz stereo float) in four parts: a quiet, speech-like
intro (noise bursts shaped like syllables), a music-like verse (pink-noise
bed, bass line, chords), a louder chorus with hot transients, then 5 s of
silence and a fading tail. The chorus has short
stabs whose true peak is 3 dB above their samples. It is written as raw
F32LE and run through

    filesrc ! rawaudioparse ! loudmeter interval=100000000 ! fakesink

in this process (PyGObject); every "loudness" message (each 100 ms, and the
final one at EOS) is collected from the bus.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/loudmeter_plot.py

Writes docs/images/loudmeter.png: momentary, short-term and integrated
loudness over time, and the signal's envelope with the running sample and
true peaks. Prints the final figures.
"""

import os
import sys
import tempfile

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.normpath(os.path.join(HERE, "..", "images"))
RATE = 48000
INTERVAL_NS = 100 * 1000 * 1000
# (name, start s, end s, gain dB) of the programme's parts
PARTS = [
    ("intro (speech-like)", 0.0, 15.0, -14.0),
    ("verse", 15.0, 40.0, -6.0),
    ("chorus", 40.0, 60.0, 0.0),
    ("silence", 60.0, 65.0, None),
    ("tail", 65.0, 75.0, -6.0),
]
SECONDS = PARTS[-1][2]
DPI = 100


# ---- test signal ----

def pink(n, rng):
    """Pink noise of unit RMS (1/f power), by shaping a white spectrum."""
    freqs = np.fft.rfftfreq(n, 1.0 / RATE)
    shape = 1.0 / np.sqrt(np.maximum(freqs, 20.0))
    shape[0] = 0.0
    spec = (rng.standard_normal(freqs.size)
            + 1j * rng.standard_normal(freqs.size)) * shape
    x = np.fft.irfft(spec, n)
    return x / np.sqrt(np.mean(x ** 2))


def speech_like(n, rng):
    """Band-passed noise (300 Hz - 3.4 kHz) under syllable envelopes of
    120-300 ms with pauses; the same on both channels."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / RATE)
    spec[(freqs < 300) | (freqs > 3400)] = 0
    voice = np.fft.irfft(spec, n)
    env = np.zeros(n)
    i = 0
    while i < n:
        length = int(rng.uniform(0.12, 0.30) * RATE)
        seg = np.sin(np.pi * np.arange(min(length, n - i)) / length) ** 2
        env[i:i + seg.size] = seg * rng.uniform(0.5, 1.0)
        i += length + int(rng.uniform(0.03, 0.4) * RATE)
    x = 0.3 * voice / np.sqrt(np.mean(voice ** 2)) * env
    return np.stack([x, x], axis=1)


def music_like(n, t0, rng, hot=False):
    """Pink-noise bed, a bass line and chords (A minor-ish, one chord per
    2 s); with @hot, a kick-like thump every beat and short fs/4 stabs,
    whose inter-sample peaks exceed their sample peaks by 3 dB."""
    t = t0 + np.arange(n) / RATE
    out = np.stack([0.04 * pink(n, rng), 0.04 * pink(n, rng)], axis=1)
    progression = [57, 53, 48, 55]
    beat = np.mod(t, 0.5)
    bar = (t // 2.0).astype(np.int64) % len(progression)
    for k, root in enumerate(progression):
        sel = bar == k
        ts = t[sel]
        f_bass = 440.0 * 2 ** ((root - 24 - 69) / 12.0)
        bass = 0.25 * np.exp(-beat[sel] * 4.0) * np.sin(2 * np.pi * f_bass * ts)
        out[sel] += bass[:, None]
        env = np.exp(-np.mod(ts, 2.0) * 1.5)
        for j, iv in enumerate((0, 3, 7, 12)):
            f = 440.0 * 2 ** ((root + iv - 69) / 12.0)
            tone = env * 0.06 * np.sin(2 * np.pi * f * ts + j)
            pan = 0.3 + 0.4 * j / 3
            out[sel, 0] += tone * (1 - pan)
            out[sel, 1] += tone * pan
    if hot:
        kick = np.exp(-beat * 25.0) * np.sin(2 * np.pi * 55 * beat)
        out += 0.2 * kick[:, None]
        # Stabs of 20 ms at fs/4 and 45 degrees, once a second: their
        # samples are 0.707 of their crest (3 dB of inter-sample peak).
        stab = np.where(np.mod(t - 0.25, 1.0) < 0.02, 1.0, 0.0)
        out += (0.6 * stab * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)
                )[:, None]
    return out


def programme():
    rng = np.random.default_rng(7)
    x = np.zeros((int(SECONDS * RATE), 2))
    for name, t0, t1, gain_db in PARTS:
        i0, i1 = int(t0 * RATE), int(t1 * RATE)
        n = i1 - i0
        if gain_db is None:
            continue
        if name.startswith("intro"):
            part = speech_like(n, rng)
        else:
            part = music_like(n, t0, rng, hot=(name == "chorus"))
        if name == "tail":
            part *= np.linspace(1.0, 0.0, n)[:, None] ** 2
        x[i0:i1] = part * 10 ** (gain_db / 20.0)
    return x.astype(np.float32)


# ---- measurement through the element ----

def measure(path):
    """Runs the pipeline on @path and returns the list of message dicts."""
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "filesrc name=src ! rawaudioparse format=pcm pcm-format=f32le "
        "sample-rate=%d num-channels=2 ! loudmeter interval=%d ! fakesink"
        % (RATE, INTERVAL_NS))
    pipeline.get_by_name("src").set_property("location", path)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    fields = ("momentary", "short-term", "integrated", "loudness-range",
              "true-peak", "sample-peak", "momentary-max", "short-term-max")
    out = []
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.ELEMENT | Gst.MessageType.EOS
            | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            pipeline.set_state(Gst.State.NULL)
            sys.exit("pipeline error: %s (%s)" % (err.message, dbg))
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s is None or s.get_name() != "loudness":
            continue
        d = {f: s.get_value(f) for f in fields}
        d["t"] = s.get_value("running-time") / Gst.SECOND
        d["final"] = s.get_value("final")
        out.append(d)
    pipeline.set_state(Gst.State.NULL)
    return out


# ---- plot ----

def finite(v):
    v = np.asarray(v, dtype=float)
    return np.where(np.isfinite(v), v, np.nan)


def main():
    x = programme()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "programme.raw")
        x.tofile(path)
        msgs = measure(path)
    periodic = [m for m in msgs if not m["final"]]
    final = msgs[-1]
    t = np.array([m["t"] for m in periodic])

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), dpi=DPI,
                                   sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})
    ax1.plot(t, finite([m["momentary"] for m in periodic]), color="#9ecae1",
             lw=0.8, label="momentary (400 ms)")
    ax1.plot(t, finite([m["short-term"] for m in periodic]), color="#08519c",
             lw=1.8, label="short-term (3 s)")
    ax1.plot(t, finite([m["integrated"] for m in periodic]), color="#d95f0e",
             lw=1.5, ls="--", label="integrated (gated, so far)")
    for name, t0, t1, _ in PARTS:
        ax1.axvspan(t0, t1, color="0.5", alpha=0.06 if PARTS.index(
            (name, t0, t1, _)) % 2 else 0.0)
        ax1.text((t0 + t1) / 2, -7, name, ha="center", va="top", fontsize=9,
                 color="0.3")
    ax1.set_ylim(-50, -6)
    ax1.set_ylabel("loudness (LUFS)")
    ax1.grid(alpha=0.3)
    ax1.legend(loc="lower left", fontsize=9)
    ax1.set_title("loudmeter on a generated programme: integrated %.1f LUFS, "
                  "LRA %.1f LU, true peak %+.1f dBTP (sample peak %+.1f dBFS)"
                  % (final["integrated"], final["loudness-range"],
                     final["true-peak"], final["sample-peak"]), fontsize=10)

    # Envelope: largest |x| per 100 ms, in dBFS.
    hop = RATE // 10
    n = x.shape[0] // hop
    env = np.abs(x[:n * hop]).reshape(n, hop * 2).max(axis=1)
    te = (np.arange(n) + 0.5) * hop / RATE
    with np.errstate(divide="ignore"):
        ax2.fill_between(te, -60, 20 * np.log10(np.maximum(env, 1e-6)),
                         color="0.8", label="signal (sample peak per 100 ms)")
    ax2.plot(t, finite([m["true-peak"] for m in periodic]), color="#cb181d",
             lw=1.5, label="true peak so far (dBTP)")
    ax2.plot(t, finite([m["sample-peak"] for m in periodic]), color="0.2",
             lw=1.0, ls=":", label="sample peak so far (dBFS)")
    ax2.set_ylim(-40, 3)
    ax2.set_xlim(0, SECONDS)
    ax2.set_ylabel("level (dB)")
    ax2.set_xlabel("time (s)")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    os.makedirs(IMAGES, exist_ok=True)
    out = os.path.join(IMAGES, "loudmeter.png")
    fig.savefig(out)
    print("wrote %s" % out)
    print("%d messages; final: I %.2f LUFS, LRA %.2f LU, TP %+.2f dBTP, "
          "SP %+.2f dBFS, max M %.2f, max S %.2f LUFS" % (
              len(msgs), final["integrated"], final["loudness-range"],
              final["true-peak"], final["sample-peak"],
              final["momentary-max"], final["short-term-max"]))


if __name__ == "__main__":
    main()
