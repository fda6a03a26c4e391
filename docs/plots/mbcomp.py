#!/usr/bin/python3
"""The `mbcomp` element measured through GStreamer (PyGObject, appsrc !
mbcomp ! appsink, 48 kHz stereo float).

1. The bands and their sum: an impulse through `mbcomp` with its neutral
   defaults (4 bands at 120 Hz, 1 kHz, 5 kHz), each band alone (solo), and
   the whole sum, for phase=minimum and phase=linear: the bands' magnitudes,
   the sum's magnitude (flat) and its phase (an all-pass for minimum, 0
   for linear: the element compensates the linear bands' delay, so the
   output is the input).
2. The static curve of one band (num-bands=1, threshold -30 dB, ratio 4,
   knee 6 dB, peak detector): a 1 kHz sine at 16 levels, the output's
   level against the input's, with the formula.
3. Gain reduction per band over time on a synthetic music loop (kick,
   bass, snare, hats, pad) with the "glue" band settings of the master bin,
   from the element's messages every 10 ms.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/mbcomp.py

Writes docs/images/mbcomp.png and prints the largest deviation of the
summed magnitude from 0 dB (20 Hz - 20 kHz) per phase mode, and of the
static curve from the formula.
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
EDGES = (120, 1000, 5000)
# The master bin's "glue" band settings (gst/mst-mbcomp.c).
GLUE = ("detector=rms band0::threshold=-18 band0::ratio=3 band0::attack=20 "
        "band0::release=200 band1::threshold=-18 band1::ratio=2 "
        "band1::attack=10 band1::release=150 band2::threshold=-18 "
        "band2::ratio=2 band2::attack=5 band2::release=100 "
        "band3::threshold=-18 band3::ratio=2 band3::attack=3 "
        "band3::release=80")


def run(x, settings, interval_ns=None):
    """x (frames, 2) through mbcomp with @settings; the output (same
    shape) and the element messages' gain-reduction arrays with their
    timestamps."""
    desc = ("appsrc name=src format=time caps=audio/x-raw,format=F64LE,"
            "layout=interleaved,rate=%d,channels=2 ! mbcomp name=m %s %s ! "
            "appsink name=sink sync=false" %
            (RATE, settings, "interval=%d" % interval_ns if interval_ns
             else ""))
    pipe = Gst.parse_launch(desc)
    src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
    pipe.set_state(Gst.State.PLAYING)
    data = np.ascontiguousarray(x, dtype=np.float64)
    block = 4800
    for i in range(0, len(data), block):
        chunk = data[i:i + block]
        buf = Gst.Buffer.new_wrapped(chunk.tobytes())
        buf.pts = i * Gst.SECOND // RATE
        buf.duration = len(chunk) * Gst.SECOND // RATE
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    out = []
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        out.append(np.frombuffer(info.data, dtype=np.float64).copy())
        buf.unmap(info)
    bus = pipe.get_bus()
    times, reductions = [], []
    while True:
        msg = bus.pop_filtered(Gst.MessageType.ELEMENT)
        if msg is None:
            break
        s = msg.get_structure()
        if s.get_name() != "mbcomp" or s.get_value("final"):
            continue
        # PyGObject without gst-python cannot read a GstValueArray: the
        # structure's text has it as "(double)< a, b, ... >".
        text = s.to_string()
        field = text.split("gain-reduction=(double)<", 1)[1].split(">")[0]
        times.append(s.get_value("timestamp") / Gst.SECOND)
        reductions.append([float(v) for v in field.split(",")])
    pipe.set_state(Gst.State.NULL)
    y = np.concatenate(out).reshape(-1, 2)
    assert len(y) == len(x), (len(y), len(x))
    return y, np.array(times), np.array(reductions)


def spectrum(h, freqs):
    """The response at @freqs of an impulse response whose impulse went in
    at the middle of @h."""
    n = len(h)
    spec = np.fft.rfft(np.roll(h, -(n // 2)))
    f = np.fft.rfftfreq(n, 1 / RATE)
    return np.interp(freqs, f, spec.real) + 1j * np.interp(freqs, f,
                                                          spec.imag)


def music(seconds, rng):
    """A loop at 120 BPM: kick, bass, snare, hats, a pad (stereo)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = 0.5
    y = np.zeros((n, 2))
    for k in range(int(seconds / beat)):
        i = int(k * beat * RATE)
        m = min(n - i, int(0.4 * RATE))
        tt = np.arange(m) / RATE
        kick = np.sin(2 * np.pi * np.cumsum(45 + 110 * np.exp(-tt / 0.03))
                      / RATE) * np.exp(-tt / 0.15)
        y[i:i + m] += 0.8 * kick[:, None]
        if k % 2:
            sn = rng.standard_normal((m, 2)) * np.exp(-tt / 0.06)[:, None]
            y[i:i + m] += 0.3 * sn
        j = i + int(beat / 2 * RATE)
        mh = min(n - j, int(0.05 * RATE)) if j < n else 0
        if mh > 0:
            hh = np.diff(rng.standard_normal((mh + 1, 2)), axis=0)
            y[j:j + mh] += 0.08 * hh * np.exp(-np.arange(mh) / RATE
                                              / 0.01)[:, None]
    bass = 0.3 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.sin(
        2 * np.pi * t / 4))
    pad = 0.1 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 554 * t)
                 + np.sin(2 * np.pi * 659 * t)) * np.clip(t / 4, 0, 1)
    y += bass[:, None] + pad[:, None] * np.array([1.0, 0.8])
    return 0.7 * y


def main():
    Gst.init(None)
    fig, ax = plt.subplots(2, 2, figsize=(13, 8.5))
    freqs = np.geomspace(20, 20000, 600)
    # The impulse in the middle: a linear-phase band's response is
    # symmetric about the impulse (the element compensates its delay), so
    # half of it would fall before the stream's start.
    n = RATE
    impulse = np.zeros((n, 2))
    impulse[n // 2, 0] = 1.0
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for phase, style in (("minimum", "-"), ("linear", "--")):
        total, _, _ = run(impulse, "phase=%s" % phase)
        h = spectrum(total[:, 0], freqs)
        mag = 20 * np.log10(np.abs(h))
        print("%s phase: sum within %.2e dB of 0 dB, 20 Hz - 20 kHz" %
              (phase, np.max(np.abs(mag))))
        for b in range(4):
            band, _, _ = run(impulse, "phase=%s band%d::solo=true" %
                             (phase, b))
            hb = spectrum(band[:, 0], freqs)
            ax[0, 0].semilogx(freqs, 20 * np.log10(np.abs(hb) + 1e-12),
                              style, color=colours[b],
                              label="band%d (%s)" % (b, phase)
                              if phase == "minimum" else None)
        ax[0, 0].semilogx(freqs, mag, style, color="k",
                          label="sum, %s phase" % phase)
        ax[0, 1].semilogx(freqs, np.degrees(np.unwrap(np.angle(h))), style,
                          color="k", label="%s phase" % phase)
    ax[0, 0].set_ylim(-36, 3)
    ax[0, 0].set_title("Bands (solo; linear phase dashed, the same LR4 "
                       "magnitudes) and their sum")
    ax[0, 0].set_xlabel("Hz")
    ax[0, 0].set_ylabel("dB")
    ax[0, 0].legend(fontsize=7, loc="lower center", ncol=3)
    for e in EDGES:
        ax[0, 0].axvline(e, color="grey", lw=0.5)
        ax[0, 1].axvline(e, color="grey", lw=0.5)
    ax[0, 1].set_title("Phase of the sum (linear: 0, its delay compensated)")
    ax[0, 1].set_xlabel("Hz")
    ax[0, 1].set_ylabel("degrees")
    ax[0, 1].legend()

    # Static curve: 16 levels of 0.5 s each, the level of the last 0.1 s.
    levels = np.linspace(-60, 0, 16)
    step = RATE // 2
    t = np.arange(step * len(levels)) / RATE
    amp = np.repeat(10 ** (levels / 20), step)
    x = np.stack([amp * np.sin(2 * np.pi * 1000 * t)] * 2, axis=1)
    y, _, _ = run(x, "num-bands=1 detector=peak band0::threshold=-30 "
                  "band0::ratio=4 band0::knee=6 band0::attack=5 "
                  "band0::release=50")
    out_db = []
    for k in range(len(levels)):
        seg = y[(k + 1) * step - RATE // 10:(k + 1) * step, 0]
        out_db.append(20 * np.log10(np.max(np.abs(seg))))
    xs = np.linspace(-60, 0, 200)
    thr, ratio, knee = -30.0, 4.0, 6.0

    def curve(v):
        v = np.asarray(v, dtype=float)
        o = v.copy()
        over = v - thr
        ink = np.abs(2 * over) <= knee
        o[ink] = v[ink] + (1 / ratio - 1) * (over[ink] + knee / 2) ** 2 / (
            2 * knee)
        hi = 2 * over > knee
        o[hi] = thr + over[hi] / ratio
        return o
    print("static curve: largest error %.3f dB over %d levels" %
          (np.max(np.abs(np.array(out_db) - curve(levels))), len(levels)))
    ax[1, 0].plot(xs, curve(xs), color="k", lw=1, label="formula")
    ax[1, 0].plot(levels, out_db, "o", color="tab:red", label="measured")
    ax[1, 0].plot(xs, xs, ":", color="grey", lw=0.8)
    ax[1, 0].set_title("Static curve of one band: threshold -30 dB, 4:1, "
                       "6 dB knee (peak)")
    ax[1, 0].set_xlabel("input peak, dBFS")
    ax[1, 0].set_ylabel("output peak, dBFS")
    ax[1, 0].legend()

    rng = np.random.default_rng(7)
    x = music(12.0, rng)
    y, times, gr = run(x, GLUE, interval_ns=10_000_000)
    for b in range(gr.shape[1]):
        ax[1, 1].plot(times, gr[:, b], color=colours[b],
                      label="band%d" % b)
    ax[1, 1].set_title("Gain reduction per band on music (\"glue\": "
                       "messages every 10 ms)")
    ax[1, 1].set_xlabel("s")
    ax[1, 1].set_ylabel("dB")
    ax[1, 1].invert_yaxis()
    ax[1, 1].legend()
    fig.tight_layout()
    os.makedirs(IMAGES, exist_ok=True)
    path = os.path.join(IMAGES, "mbcomp.png")
    fig.savefig(path, dpi=90)
    print("wrote", path)


if __name__ == "__main__":
    main()
