#!/usr/bin/python3
"""The `loudnorm` element (live mode) on a generated programme, measured
through the element's own messages, read with PyGObject.

The programme (48 kHz stereo float, 3 minutes) strings together what a live
feed meets: a speaker at about -31 LUFS with pauses between phrases, 6 s of
near silence, music whose first 25 s are 14 dB quieter than the rest, and a
second, louder speaker. It is pushed through

    appsrc ! loudnorm target=-23 interval=100000000 ! appsink

and every "loudnorm" message (every 100 ms) gives the input's and the
output's short-term loudness and the applied gain. The output is also
re-measured offline here (BS.1770-4 short-term loudness, computed in numpy
with the K-weighting of REFERENCE.md section 1) as a check on the messages.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/loudnorm_plot.py

Writes docs/images/loudnorm.png; prints the output's integrated loudness
(from the last message) and its largest sample peak.
"""

import os

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
TARGET = -23.0
rng = np.random.default_rng(7)


def speech(seconds, f0, level_db):
    """Syllables of harmonics with a gliding pitch, phrases, pauses."""
    n = int(seconds * RATE)
    out = np.zeros(n)
    i = 0
    while i < n:
        for _ in range(rng.integers(3, 10)):
            length = int(rng.uniform(0.12, 0.32) * RATE)
            if i + length >= n:
                break
            t = np.arange(length) / RATE
            u = t / t[-1]
            f = f0 * rng.uniform(0.85, 1.15) * (1 + 0.1 * (0.5 - u))
            phase = 2 * np.pi * np.cumsum(f) / RATE
            v = sum(np.sin(h * phase) / h for h in range(1, 16))
            out[i:i + length] = 0.25 * np.sin(np.pi * u) ** 2 * v \
                * rng.uniform(0.5, 1.0)
            i += length + int(rng.uniform(0.02, 0.08) * RATE)
        i += int(rng.uniform(0.3, 1.5) * RATE)
    out += 3e-4 * rng.standard_normal(n)
    out *= 10 ** (level_db / 20) / np.max(np.abs(out))
    return np.stack([out, out], axis=1)


def music(seconds, quiet_seconds, level_db):
    """Chords and bass; kick and noise snare from quiet_seconds on."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = np.mod(t, 0.5)
    roots = np.array([110.0, 87.31, 130.81, 98.0])
    root = roots[(t // 2).astype(int) % 4]
    chords = sum(np.sin(2 * np.pi * root * r * t) for r in (2, 2.5, 3)) \
        * 0.08 * np.exp(-np.mod(t, 2.0))
    bass = 0.3 * np.sin(2 * np.pi * root / 2 * t) * np.exp(-np.mod(t, 0.25) * 4)
    kick = 0.9 * np.sin(2 * np.pi * (50 * beat + 3.0 * (1 - np.exp(-beat * 30))))\
        * np.exp(-beat * 12)
    snare = 0.4 * rng.standard_normal(n) * np.exp(-np.mod(t + 0.5, 1.0) * 20)
    loud = t >= quiet_seconds
    left = chords + bass + loud * (kick + snare)
    right = 0.8 * chords + bass + loud * (kick + 0.9 * snare)
    x = np.stack([left, right], axis=1)
    x[~loud] *= 10 ** (-14 / 20)
    return x * 10 ** (level_db / 20) / np.max(np.abs(x))


def programme():
    parts = [speech(50, 120, -12), 1e-4 * rng.standard_normal((6 * RATE, 2)),
             music(70, 25, -3), speech(54, 200, -4)]
    return np.concatenate(parts).astype(np.float32)


def run(x):
    """Pushes x through loudnorm; returns the output and the messages."""
    Gst.init(None)
    pipe = Gst.parse_launch(
        "appsrc name=src format=time caps=audio/x-raw,format=F32LE,"
        "layout=interleaved,rate=%d,channels=2 ! loudnorm target=%g "
        "interval=100000000 ! appsink name=sink sync=false" % (RATE, TARGET))
    src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
    chunks, messages = [], []

    def on_sample(appsink):
        buf = appsink.emit("pull-sample").get_buffer()
        chunks.append(np.frombuffer(buf.extract_dup(0, buf.get_size()),
                                    dtype="<f4").copy())
        return Gst.FlowReturn.OK

    sink.set_property("emit-signals", True)
    sink.connect("new-sample", on_sample)
    pipe.set_state(Gst.State.PLAYING)
    block = 4800
    for i in range(0, len(x), block):
        buf = Gst.Buffer.new_wrapped(x[i:i + block].tobytes())
        buf.pts = i * Gst.SECOND // RATE
        buf.duration = min(block, len(x) - i) * Gst.SECOND // RATE
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    bus = pipe.get_bus()
    while True:
        msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                     Gst.MessageType.ELEMENT
                                     | Gst.MessageType.EOS
                                     | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            raise SystemExit(msg.parse_error())
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "loudnorm":
            messages.append({k: s.get_value(k) for k in (
                "timestamp", "gain", "input-short-term", "output-short-term",
                "output-integrated", "input-integrated", "gain-reduction")})
    pipe.set_state(Gst.State.NULL)
    return np.concatenate(chunks).reshape(-1, 2), messages


def k_weight(x):
    """BS.1770-4 K-weighting at 48 kHz (REFERENCE.md section 1, Table 1-2),
    as a direct IIR in numpy."""
    from scipy.signal import lfilter  # noqa: only used if available
    b1 = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    a1 = [1.0, -1.69065929318241, 0.73248077421585]
    b2 = [1.0, -2.0, 1.0]
    a2 = [1.0, -1.99004745483398, 0.99007225036621]
    return lfilter(b2, a2, lfilter(b1, a1, x, axis=0), axis=0)


def short_term(x, hop):
    """Short-term loudness (3 s) every hop seconds, or None without scipy."""
    try:
        y = k_weight(x.astype(np.float64))
    except ImportError:
        return None
    p = np.sum(y ** 2, axis=1)
    c = np.concatenate([[0.0], np.cumsum(p)])
    w = 3 * RATE
    ends = np.arange(w, len(p) + 1, int(hop * RATE))
    ms = (c[ends] - c[ends - w]) / w
    return ends / RATE, -0.691 + 10 * np.log10(np.maximum(ms, 1e-12))


def main():
    x = programme()
    y, msgs = run(x)
    assert len(y) == len(x), "frames lost"
    t = np.array([m["timestamp"] for m in msgs]) / 1e9
    gain = np.array([m["gain"] for m in msgs])
    s_in = np.array([m["input-short-term"] for m in msgs])
    s_out = np.array([m["output-short-term"] for m in msgs])
    final = msgs[-1]
    print("output integrated %.2f LUFS (input %.2f), sample peak %.2f dBFS"
          % (final["output-integrated"], final["input-integrated"],
             20 * np.log10(np.max(np.abs(y)))))

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True,
                                   gridspec_kw=dict(height_ratios=[3, 2]))
    ax1.plot(t, s_in, color="0.6", lw=1, label="input, short-term")
    ax1.plot(t, s_out, color="C0", lw=1.4, label="output, short-term")
    check = short_term(y, 0.5)
    if check is not None:
        ax1.plot(check[0], check[1], ".", color="C3", ms=2.5,
                 label="output, short-term re-measured (numpy)")
    ax1.axhline(TARGET, color="k", ls="--", lw=0.8,
                label="target %g LUFS" % TARGET)
    ax1.set_ylim(-50, -5)
    ax1.set_ylabel("loudness (LUFS)")
    ax1.legend(loc="lower right", fontsize=8)
    ax1.set_title("loudnorm target=%g (live): output integrated %.2f LUFS"
                  % (TARGET, final["output-integrated"]))
    for x0, x1, name in ((0, 50, "speaker 1"), (50, 56, "silence"),
                         (56, 81, "music, quiet intro"), (81, 126, "music"),
                         (126, 180, "speaker 2")):
        ax1.text((x0 + x1) / 2, -8, name, ha="center", fontsize=8)
        ax1.axvline(x1, color="0.85", lw=0.8)
    ax2.plot(t, gain, color="C2", lw=1.4)
    ax2.set_ylabel("applied gain (dB)")
    ax2.set_xlabel("time (s)")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs(IMAGES, exist_ok=True)
    out = os.path.join(IMAGES, "loudnorm.png")
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main()
