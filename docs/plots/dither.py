#!/usr/bin/python3
"""The `dither` element's noise-shaping curves against the threshold of
hearing, one panel per rate (44.1, 48, 88.2, 96 kHz).

For each curve: the design, |A(f)|^2 of gst/mst-dither-shapes.c (the table
scripts/design-dither.py writes) in dB re flat TPDF, and the error spectrum
measured through the element (4 s of a -40 dBFS two-tone signal, F32 in,
S16LE out, out - in, Welch's averaged periodogram, 1/4 LSB^2 = 0 dB). The
threshold of hearing the designs use (ISO 226:2003 T_f, Terhardt's rise
above 12.5 kHz) is drawn shifted to 0 dB at its minimum: a curve that
follows it puts its noise where the ear is least sensitive.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/dither.py

Writes docs/images/dither.png and prints the threshold-weighted noise of
each measured curve against flat TPDF.
"""

import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from scipy.signal import welch

from gstrun import IMAGES, plt

ROOT = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "design", os.path.join(ROOT, "scripts", "design-dither.py"))
design = importlib.util.module_from_spec(spec)
spec.loader.exec_module(design)

RATES = [44100, 48000, 88200, 96000]
CURVES = ["none", "lipshitz", "f-weighted", "high"]
COLOURS = {"none": "0.5", "lipshitz": "C0", "f-weighted": "C1",
           "high": "C3"}
ENUM = {"MST_DITHER_LIPSHITZ": "lipshitz",
        "MST_DITHER_F_WEIGHTED": "f-weighted", "MST_DITHER_HIGH": "high"}


def table():
    """{(rate, curve): coefficients} from the committed C table."""
    text = open(os.path.join(ROOT, "gst", "mst-dither-shapes.c")).read()
    out = {}
    for m in re.finditer(r"\{(\d+), (MST_DITHER_\w+), (\d+), \{([^}]*)\}\}",
                         text):
        out[(int(m.group(1)), ENUM[m.group(2)])] = np.array(
            [float(v) for v in m.group(4).split(",")])
    return out


def measure(rate, curve, seconds=4.0):
    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = (0.005 * np.sin(2 * np.pi * 440 * t)
         + 0.005 * np.sin(2 * np.pi * 5000 * t)).astype("<f4")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f32")
        dst = os.path.join(tmp, "out.s16")
        x.tofile(src)
        cmd = ("gst-launch-1.0 -q filesrc location=%s ! rawaudioparse "
               "format=pcm pcm-format=f32le sample-rate=%d num-channels=1 ! "
               "dither noise-shaping=%s auto-blank=false ! "
               "audio/x-raw,format=S16LE ! filesink location=%s"
               % (src, rate, curve, dst))
        r = subprocess.run(cmd.split(), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("pipeline failed: %s\n%s" % (cmd, r.stderr))
        y = np.fromfile(dst, dtype="<i2").astype(float)
    e = y - x.astype(float) * 32768.0
    f, p = welch(e, fs=rate, nperseg=4096, detrend=False)
    # welch's density (LSB^2/Hz) to LSB^2 a bin of white noise of
    # variance v reading v: times fs/2.
    return f, p * rate / 2


def main():
    coefs = table()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), sharey=True)
    for ax, rate in zip(axes.flat, RATES):
        f = np.linspace(10, rate / 2, 4000)
        thr = design.threshold_db(f)
        ax.semilogx(f, thr - thr.min(), color="k", lw=1.2, ls="--",
                    label="threshold of hearing (shifted)")
        for curve in CURVES:
            a = coefs.get((rate, curve), np.zeros(0))
            g = 20 * np.log10(design.response(a, rate, f)) if a.size else \
                np.zeros_like(f)
            fm, pm = measure(rate, curve)
            w = 10 ** (-design.threshold_db(fm[1:]) / 10)
            gain = 10 * np.log10(np.sum(w * pm[1:]) / np.sum(w * 0.25))
            total = 10 * np.log10(np.mean(pm[1:]) / 0.25)
            print("%5d Hz %-10s measured: weighted %+6.2f dB, total %+6.2f dB"
                  " re flat TPDF" % (rate, curve, gain, total))
            ax.semilogx(f, g, color=COLOURS[curve], lw=2,
                        label="%s (weighted %+.1f dB)" % (curve, gain))
            ax.semilogx(fm[1:], 10 * np.log10(pm[1:] / 0.25),
                        color=COLOURS[curve], lw=0.5, alpha=0.6)
        ax.set_title("%.1f kHz" % (rate / 1000))
        ax.set_xlim(20, rate / 2)
        ax.set_ylim(-80, 50)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("Hz")
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[:, 0]:
        ax.set_ylabel("error spectrum, dB re flat TPDF")
    fig.suptitle("dither: noise-shaping curves (thick: design; thin: "
                 "measured through the element, S16LE) against the "
                 "threshold of hearing")
    fig.tight_layout()
    out = os.path.join(IMAGES, "dither.png")
    fig.savefig(out, dpi=100)
    print("wrote", out)


if __name__ == "__main__":
    main()
