#!/usr/bin/python3
"""Designs the `dither` element's noise-shaping filters and writes
gst/mst-dither-shapes.c (committed; run again after changing this script):

    /usr/bin/python3 scripts/design-dither.py

The error filter of each curve is a monic FIR A(z) = 1 + a1 z^-1 + ... + aN
z^-N: the quantisation error e (TPDF dither plus rounding, white, 1/4 LSB^2)
reaches the output as A(z) e.

- 44.1 kHz, `lipshitz` and `f-weighted`: the published sets, Lipshitz,
  Vanderkooy and Wannamaker 1991 (E-weighted, 5 taps) and Wannamaker 1992
  (F-weighted, 9 taps), as reproduced in SoX's dither.c tables (lip44,
  fwe44); sources in docs/elements/dither.md, References.
- Every other (rate, curve): the weighted least-squares design. Minimising
  the weighted noise sum W(f) |A(f)|^2 over monic A of order N is linear
  prediction of a process whose spectrum is W: the autocorrelation is the
  cosine transform of W, Levinson-Durbin solves the normal equations, and
  A comes out minimum phase (its zeros inside the unit circle; the log
  integral of |A|^2 is 0, Gerzon-Craven). W = 1 / threshold of hearing
  (ISO 226:2003 T_f, extended above 12.5 kHz with Terhardt's formula),
  with the threshold capped at CAP dB: the cap sets how far the noise may
  be pushed up. The cap is found by bisection:
  - lipshitz (order 5) and f-weighted (order 9) at 48, 88.2 and 96 kHz:
    the peak gain of |A| equal to that of the published 44.1 kHz set
    (+19.4 and +27.0 dB);
  - high (order HIGH_ORDER) at every rate: the steepest curve whose error
    excursion stays bounded, sum |a_k| <= HIGH_SUM_ABS: the shaped error
    never exceeds 1.5 * sum |a_k| LSB (|e| < 1.5 LSB), 96 LSB at 16 bits
    (0.025 dB of full scale); a minimum-phase A and a bounded e make the
    loop stable whatever the input (mst-dither.c feeds back the error of
    the unclipped quantiser).
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "gst", "mst-dither-shapes.c")

RATES = [44100, 48000, 88200, 96000]
HIGH_ORDER = 16
HIGH_SUM_ABS = 64.0

# ISO 226:2003 Table 1, threshold of hearing T_f (dB SPL), 20 Hz to
# 12.5 kHz. The same table is in gst/mst-dither.c (the tests' weighting).
ISO226_F = [20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400,
            500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000,
            6300, 8000, 10000, 12500]
ISO226_TF = [78.5, 68.7, 59.5, 51.1, 44.0, 37.5, 31.5, 26.5, 22.1, 17.9, 14.4,
             11.4, 8.6, 6.2, 4.4, 3.0, 2.2, 2.4, 3.5, 1.7, -1.3, -4.2, -6.0,
             -5.4, -1.5, 6.0, 12.6, 13.9, 12.3]

LIPSHITZ_44 = [-2.033, 2.165, -1.959, 1.590, -0.6149]
FWEIGHTED_44 = [-2.412, 3.370, -3.937, 4.174, -3.353, 2.205, -1.281, 0.569,
                -0.0847]


def terhardt(f):
    """Terhardt (1979) threshold in quiet (dB SPL), f in Hz."""
    k = np.asarray(f, float) / 1000.0
    return 3.64 * k ** -0.8 - 6.5 * np.exp(-0.6 * (k - 3.3) ** 2) \
        + 1e-3 * k ** 4


def threshold_db(f):
    """ISO 226:2003 T_f, linear in dB over log frequency between its
    points, 78.5 dB below 20 Hz, and above 12.5 kHz 12.3 dB plus Terhardt's
    rise from 12.5 kHz (mst_dither_threshold_db in C)."""
    f = np.asarray(f, float)
    lf = np.log(np.clip(f, ISO226_F[0], ISO226_F[-1]))
    t = np.interp(lf, np.log(ISO226_F), ISO226_TF)
    up = f > ISO226_F[-1]
    t = np.where(up, ISO226_TF[-1] + terhardt(np.maximum(f, 12500.0))
                 - terhardt(12500.0), t)
    return t


def grid(fs, n=16384):
    return (np.arange(n) + 0.5) * (fs / 2.0) / n


def response(a, fs, f):
    """|A| at f for the monic A = 1 + sum a_k z^-k."""
    w = 2 * np.pi * np.asarray(f) / fs
    k = np.arange(1, len(a) + 1)
    return np.abs(1.0 + np.exp(-1j * np.outer(w, k)) @ np.asarray(a))


def levinson(r, order):
    a = np.zeros(order)
    err = r[0]
    for i in range(order):
        acc = r[i + 1] + np.dot(a[:i], r[i:0:-1])
        k = -acc / err
        a[:i] = a[:i] + k * a[:i][::-1]
        a[i] = k
        err *= 1.0 - k * k
    return a


def design(fs, order, cap_db):
    f = grid(fs)
    w = 10.0 ** (-np.minimum(threshold_db(f), cap_db) / 10.0)
    r = np.array([np.mean(w * np.cos(2 * np.pi * f / fs * k))
                  for k in range(order + 1)])
    return levinson(r, order)


def peak_db(a, fs):
    return 20 * np.log10(response(a, fs, np.linspace(0, fs / 2, 8193)).max())


def bisect(fn, target, lo=20.0, hi=140.0):
    """The cap in [lo, hi] where fn(cap) (rising with the cap) meets
    target (hi when it never does)."""
    if fn(hi) <= target:
        return hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fn(mid) > target:
            hi = mid
        else:
            lo = mid
    return lo


def weighted_gain_db(a, fs):
    """Threshold-weighted noise of A e against flat TPDF (dB)."""
    f = grid(fs)
    w = 10.0 ** (-threshold_db(f) / 10.0)
    return 10 * np.log10(np.sum(w * response(a, fs, f) ** 2) / np.sum(w))


def power_gain_db(a):
    return 10 * np.log10(1.0 + np.sum(np.square(a)))


def shapes():
    """{(rate, name): (coefficients, how)}"""
    out = {}
    for fs in RATES:
        for name, pub, order in (("lipshitz", LIPSHITZ_44, 5),
                                 ("f-weighted", FWEIGHTED_44, 9)):
            if fs == 44100:
                out[(fs, name)] = (np.array(pub), "published")
            else:
                target = peak_db(np.array(pub), 44100)
                cap = bisect(lambda c: peak_db(design(fs, order, c), fs),
                             target)
                out[(fs, name)] = (design(fs, order, cap),
                                   "designed, cap %.2f dB" % cap)
        cap = bisect(lambda c: np.sum(np.abs(design(fs, HIGH_ORDER, c))),
                     HIGH_SUM_ABS)
        out[(fs, "high")] = (design(fs, HIGH_ORDER, cap),
                             "designed, cap %.2f dB" % cap)
    return out


def main():
    table = shapes()
    lines = []
    lines.append("/* mastering: the dither core's noise-shaping filters, written by")
    lines.append(" * scripts/design-dither.py (do not edit; run the script). Each set")
    lines.append(" * is a1..aN of the error filter A(z) = 1 + a1 z^-1 + ... + aN z^-N.")
    lines.append(" * 44.1 kHz lipshitz and f-weighted: Lipshitz, Vanderkooy, Wannamaker")
    lines.append(" * 1991 (E-weighted) and Wannamaker 1992 (F-weighted) as published")
    lines.append(" * (docs/elements/dither.md, References); the others designed against the ISO")
    lines.append(" * 226:2003 threshold of hearing. */")
    lines.append('#include "mst-dither.h"')
    lines.append("")
    lines.append("const MstDitherShape mst_dither_shapes[] = {")
    for (fs, name), (a, how) in sorted(table.items()):
        enum = {"lipshitz": "MST_DITHER_LIPSHITZ",
                "f-weighted": "MST_DITHER_F_WEIGHTED",
                "high": "MST_DITHER_HIGH"}[name]
        roots = np.abs(np.roots(np.concatenate([[1.0], a]))).max()
        assert roots < 1.0, (fs, name, roots)
        lines.append("  /* %d Hz %s: %s; peak %+.1f dB, noise power %+.2f dB,"
                     % (fs, name, how, peak_db(a, fs), power_gain_db(a)))
        lines.append("   * threshold-weighted %+.2f dB, sum |a| %.1f, zeros"
                     " within %.4f */"
                     % (weighted_gain_db(a, fs), np.sum(np.abs(a)), roots))
        coefs = ", ".join("%.17g" % v for v in a)
        lines.append("  {%d, %s, %d, {%s}}," % (fs, enum, len(a), coefs))
    lines.append("};")
    lines.append("")
    lines.append("const size_t mst_dither_n_shapes =")
    lines.append("    sizeof mst_dither_shapes / sizeof mst_dither_shapes[0];")
    with open(OUT, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    sys.exit(main())
