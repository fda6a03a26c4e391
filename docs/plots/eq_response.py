#!/usr/bin/python3
"""Magnitude responses of the `eq` element, measured through the element.

For each setting, an impulse in a long buffer of zeros is written as raw F64
and run through

    filesrc ! rawaudioparse ! eq num-bands=1 band0::... ! filesink

with gst-launch-1.0; the FFT of the output is the response (the element is
linear and time-invariant once settled, and it starts at its targets, with
no glide). Nothing here is computed from the element's formulas: the analog
prototypes and the RBJ bilinear designs drawn for comparison are written out
below from the Audio EQ Cookbook (R. Bristow-Johnson).

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/eq_response.py

Writes docs/images/eq-responses.png and docs/images/eq-nyquist.png.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.normpath(os.path.join(HERE, "..", "images"))
N_FRAMES = 1 << 17          # 2.7 s at 48 kHz: the longest tail (48 dB/oct
                            # at 20 Hz) has decayed far below -150 dB
IMPULSE_AT = 64             # frames of silence before the impulse
DPI = 100


# ---- measurement through the element ----

def measure(rate, band, element_props=""):
    """|H| in dB through `eq`, and the frequency grid, for one band given as
    a dict of band0 properties."""
    x = np.zeros(N_FRAMES)
    x[IMPULSE_AT] = 1.0
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f64")
        dst = os.path.join(tmp, "out.f64")
        x.astype("<f8").tofile(src)
        props = " ".join("band0::%s=%s" % kv for kv in band.items())
        cmd = ("gst-launch-1.0 -q filesrc location=%s ! rawaudioparse "
               "format=pcm pcm-format=f64le sample-rate=%d num-channels=1 ! "
               "eq num-bands=1 %s %s ! filesink location=%s"
               % (src, rate, element_props, props, dst))
        r = subprocess.run(cmd.split(), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("pipeline failed: %s\n%s%s" % (cmd, r.stdout, r.stderr))
        y = np.fromfile(dst, dtype="<f8")
    if len(y) != N_FRAMES:
        sys.exit("got %d frames out of %d: %s" % (len(y), N_FRAMES, cmd))
    if not np.all(np.isfinite(y)):
        sys.exit("non-finite output: %s" % cmd)
    h = np.fft.rfft(y[IMPULSE_AT:]) / 1.0
    f = np.fft.rfftfreq(N_FRAMES - IMPULSE_AT, 1.0 / rate)
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.maximum(np.abs(h), 1e-30))
    return f[1:], db[1:]


def measure_all(jobs):
    """Runs the (rate, band) jobs in parallel; returns their results in
    order."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        return list(pool.map(lambda j: measure(*j), jobs))


# ---- references (Audio EQ Cookbook, R. Bristow-Johnson) ----

def analog_db(kind, f, f0, gain_db, q):
    """Cookbook s-domain prototypes, s normalised to 2 pi f0."""
    A = 10 ** (gain_db / 40.0)
    s = 1j * f / f0
    if kind == "peak":
        h = (s * s + s * A / q + 1) / (s * s + s / (A * q) + 1)
    elif kind == "low-shelf":
        r = np.sqrt(A) / q
        h = A * (s * s + r * s + A) / (A * s * s + r * s + 1)
    elif kind == "high-shelf":
        r = np.sqrt(A) / q
        h = A * (A * s * s + r * s + 1) / (s * s + r * s + A)
    else:
        raise ValueError(kind)
    return 20 * np.log10(np.abs(h))


def rbj_coeffs(kind, rate, f0, gain_db, q):
    """Cookbook bilinear biquad (b, a), a0 normalised to 1."""
    A = 10 ** (gain_db / 40.0)
    w0 = 2 * np.pi * f0 / rate
    c, alpha = np.cos(w0), np.sin(w0) / (2 * q)
    if kind == "peak":
        b = [1 + alpha * A, -2 * c, 1 - alpha * A]
        a = [1 + alpha / A, -2 * c, 1 - alpha / A]
    elif kind == "low-shelf":
        k = 2 * np.sqrt(A) * alpha
        b = [A * ((A + 1) - (A - 1) * c + k), 2 * A * ((A - 1) - (A + 1) * c),
             A * ((A + 1) - (A - 1) * c - k)]
        a = [(A + 1) + (A - 1) * c + k, -2 * ((A - 1) + (A + 1) * c),
             (A + 1) + (A - 1) * c - k]
    elif kind == "high-shelf":
        k = 2 * np.sqrt(A) * alpha
        b = [A * ((A + 1) + (A - 1) * c + k), -2 * A * ((A - 1) + (A + 1) * c),
             A * ((A + 1) + (A - 1) * c - k)]
        a = [(A + 1) - (A - 1) * c + k, 2 * ((A - 1) - (A + 1) * c),
             (A + 1) - (A - 1) * c - k]
    else:
        raise ValueError(kind)
    return np.array(b) / a[0], np.array(a) / a[0]


def biquad_db(b, a, f, rate):
    z1 = np.exp(-2j * np.pi * f / rate)
    h = (b[0] + b[1] * z1 + b[2] * z1 * z1) / (a[0] + a[1] * z1 + a[2] * z1 * z1)
    return 20 * np.log10(np.abs(h))


# ---- plots ----

def setup_axes(ax, rate, title, ylim):
    ax.set_xscale("log")
    ax.set_xlim(10, rate / 2)
    ax.set_ylim(*ylim)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.5)
    ax.grid(True, which="minor", alpha=0.15)
    ax.set_xlabel("Hz", fontsize=8)
    ax.set_ylabel("dB", fontsize=8)
    ax.tick_params(labelsize=8)


def plot_typical():
    rate = 48000
    panels = []   # (title, ylim, [(label, colour, band)])

    curves = []
    for i, q in enumerate((0.5, 1.0, 2.0, 4.0)):
        for g in (6, -6):
            curves.append(("Q %g" % q if g > 0 else None, "C%d" % i,
                           dict(type="peak", freq=1000, gain=g, q=q)))
    panels.append(("peak 1 kHz, +6/-6 dB", (-9, 9), curves))

    curves = []
    for kind, freq in (("low-shelf", 100), ("high-shelf", 8000)):
        for g in (6, -6):
            for i, q in enumerate((0.707, 2.0)):
                label = "Q %g" % q if (g > 0 and freq == 100) else None
                curves.append((label, "C%d" % i,
                               dict(type=kind, freq=freq, gain=g, q=q)))
    panels.append(("low shelf 100 Hz, high shelf 8 kHz, +6/-6 dB", (-10, 10),
                   curves))

    curves = [("%d dB/oct" % s, "C%d" % i,
               dict(type="low-cut", freq=100, slope=s))
              for i, s in enumerate((6, 12, 18, 24, 36, 48))]
    panels.append(("low-cut 100 Hz", (-60, 6), curves))

    curves = [("%d dB/oct" % s, "C%d" % i,
               dict(type="high-cut", freq=5000, slope=s))
              for i, s in enumerate((6, 12, 18, 24, 36, 48))]
    panels.append(("high-cut 5 kHz", (-60, 6), curves))

    curves = [("gain %+d dB" % g, "C%d" % i,
               dict(type="tilt", freq=1000, gain=g, q=0.707))
              for i, g in enumerate((6, 3, -3, -6))]
    panels.append(("tilt 1 kHz (gain = total tilt)", (-6, 6), curves))

    curves = [("notch Q %g" % q, "C%d" % i,
               dict(type="notch", freq=1000, q=q))
              for i, q in enumerate((0.5, 2.0, 10.0))]
    curves += [("band-pass Q %g" % q, "C%d" % (i + 3),
                dict(type="band-pass", freq=1000, q=q))
               for i, q in enumerate((0.5, 2.0, 10.0))]
    panels.append(("notch and band-pass 1 kHz", (-40, 3), curves))

    jobs = [(rate, band) for _, _, cs in panels for _, _, band in cs]
    results = iter(measure_all(jobs))

    fig, axes = plt.subplots(3, 2, figsize=(10, 10.5))
    for ax, (title, ylim, cs) in zip(axes.flat, panels):
        for label, colour, band in cs:
            f, db = next(results)
            ax.plot(f, db, color=colour, lw=1.2, label=label)
        setup_axes(ax, rate, title, ylim)
        ax.legend(fontsize=7, loc="lower left" if ylim[0] < -20 else "best")
    fig.suptitle("eq: magnitude responses measured through the element "
                 "(48 kHz)", fontsize=12)
    fig.tight_layout()
    out = os.path.join(IMAGES, "eq-responses.png")
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def plot_nyquist():
    rate = 44100
    cases = [
        ("peak 10 kHz, Q 0.5, +12 dB",
         dict(type="peak", freq=10000, gain=12, q=0.5), (-2, 14)),
        ("high shelf 10 kHz, Q 5, -12 dB",
         dict(type="high-shelf", freq=10000, gain=-12, q=5), (-25, 15)),
    ]
    results = measure_all([(rate, band) for _, band, _ in cases])

    # Top row: the whole band; bottom row: the top two octaves, where the
    # bilinear transform cramps.
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for col, ((title, band, ylim), (f, db)) in enumerate(zip(cases, results)):
        args = (band["type"], band["freq"], band["gain"], band["q"])
        ana = analog_db(args[0], f, *args[1:])
        b, a = rbj_coeffs(args[0], rate, *args[1:])
        rbj = biquad_db(b, a, f, rate)
        for row, lo in enumerate((10, rate / 8)):
            ax = axes[row, col]
            ax.plot(f, ana, "k--", lw=1.2, label="analog prototype")
            ax.plot(f, rbj, color="C3", lw=1.2, label="RBJ bilinear")
            ax.plot(f, db, color="C0", lw=1.8, label="eq (measured)")
            setup_axes(ax, rate, title if row == 0 else title + " (zoom)",
                       ylim)
            ax.set_xlim(lo, rate / 2)
            if row == 1:
                ticks = [6000, 8000, 10000, 15000, 20000]
                ax.set_xticks(ticks)
                ax.set_xticklabels(["%gk" % (t / 1000) for t in ticks])
                ax.set_xticks([], minor=True)
            ax.legend(fontsize=8, loc="upper left" if row == 0 else "best")
        for hi in (0.45 * rate / 2, rate / 2):
            m = (f >= 20) & (f <= hi)
            print("%s: max |eq - analog| 20-%g Hz: %.2f dB, |RBJ - analog| "
                  "%.2f dB" % (title, hi, np.max(np.abs(db[m] - ana[m])),
                               np.max(np.abs(rbj[m] - ana[m]))))
    fig.suptitle("eq near Nyquist at 44.1 kHz: measured vs analog prototype "
                 "vs RBJ bilinear", fontsize=11)
    fig.tight_layout()
    out = os.path.join(IMAGES, "eq-nyquist.png")
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def main():
    if shutil.which("gst-launch-1.0") is None:
        sys.exit("gst-launch-1.0 not found")
    os.makedirs(IMAGES, exist_ok=True)
    for out in (plot_typical(), plot_nyquist()):
        print("wrote", os.path.relpath(out))


if __name__ == "__main__":
    main()
