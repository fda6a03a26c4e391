#!/usr/bin/python3
"""How short can the true-peak detector's half-sample interpolator
(gst/mst-tpdetect.c, TP_TAPS) be when the band limit (gst/mst-bandlimit.c)
comes first? Issue 12, point 6, seventh pass.

For each design of the half-sample phase (the detector's 128-tap Kaiser
sinc, beta 8.6; shorter equiripple and linear-programming designs) prints
its response (how far from the ideal half-sample delay, in dB, up to a few
frequencies) and what it reads on signals pushed +20 dB through the band
limit: the largest error of its half-sample points against the ideal
(band-limited) reconstruction's, in dB of the signal's peak, and its
points' peak against the ideal points' peak.

The band limit's sections are read from gst/mst-bandlimit.c, so this is
the filter the limiter runs. Signals: white noise, noise in 0.44 to
0.499 fs, a clipped master (low-passed noise clipped 9.5 dB), tones at
0.46, 0.465, 0.47 and 0.475 fs, 2^18 samples each, seed 1; the ideal
points by FFT (periodic; only the middle half is compared).

    /usr/bin/python3 scripts/half-interpolator-lengths.py
"""
import os
import re

import numpy as np
import scipy.signal as ss
from scipy.optimize import linprog
from scipy.special import i0

HERE = os.path.dirname(os.path.abspath(__file__))
FREQS = np.linspace(0.0, 0.4995, 8000)


def band_limit_sos():
    with open(os.path.join(HERE, "..", "gst", "mst-bandlimit.c")) as f:
        text = f.read()
    table = text[text.index("band_limit_sections[]"):]
    table = table[:table.index("};")]
    rows = re.findall(r"\{([^{}]*)\}", table)
    sos = []
    for row in rows:
        b0, b1, b2, a1, a2 = (float(v) for v in row.split(","))
        sos.append([b0, b1, b2, 1.0, a1, a2])
    return np.array(sos)


SOS = band_limit_sos()
_, BL = ss.sosfreqz(SOS, worN=2 * np.pi * FREQS)
BL = np.abs(BL)


def amplitude(h, f=FREQS):
    """Real response of a symmetric even-length phase about its centre."""
    m = len(h) // 2
    c = h[m:]
    return (c[None, :] * 2 * np.cos(2 * np.pi * f[:, None]
                                    * (np.arange(m)[None, :] + 0.5))).sum(1)


def kaiser_phase(taps, beta):
    """mst_truepeak_design's phase 1/2 (the detector's TP_TAPS design)."""
    half = taps / 2
    t = 0.5 - (np.arange(taps) - (half - 1))
    r = t / half
    h = np.sinc(t) * i0(beta * np.sqrt(np.maximum(0, 1 - r * r))) / i0(beta)
    return h / h.sum()


def lp_phase(taps, pass_err, pass_edge=0.46):
    """Flat within pass_err up to pass_edge; above, the error times the
    band limit's gain as small as it can be (minimax); None if no such
    filter of that length exists."""
    m = taps // 2
    g = np.linspace(0.0, 0.4995, 4000)
    _, w = ss.sosfreqz(SOS, worN=2 * np.pi * g)
    w = np.abs(w)
    c = 2 * np.cos(2 * np.pi * g[:, None] * (np.arange(m)[None, :] + 0.5))
    p = g <= pass_edge
    ones = np.ones((len(g), 1))
    zeros = np.zeros((p.sum(), 1))
    a_ub = np.vstack([np.hstack([w[:, None] * c, -ones]),
                      np.hstack([-w[:, None] * c, -ones]),
                      np.hstack([c[p], zeros]), np.hstack([-c[p], zeros])])
    b_ub = np.concatenate([w, -w, np.full(p.sum(), 1 + pass_err),
                           np.full(p.sum(), -(1 - pass_err))])
    cost = np.zeros(m + 1)
    cost[-1] = 1
    r = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * (m + 1),
                method="highs")
    if r.status != 0:
        return None
    return np.concatenate([r.x[:m][::-1], r.x[:m]])


def db(x):
    return 20 * np.log10(x)


def signals(n, rng):
    k = np.arange(n)
    yield "white noise", 0.3 * rng.standard_normal(n)
    near = ss.sosfilt(ss.butter(8, [0.44, 0.499], "bandpass", output="sos",
                                fs=1), rng.standard_normal(n))
    yield "noise 0.44-0.5 fs", 0.9 * near / np.abs(near).max()
    low = ss.sosfilt(ss.butter(2, 0.05, output="sos", fs=1),
                     rng.standard_normal(n))
    yield "clipped master", np.clip(3 * low / np.abs(low).max(), -1, 1)
    for f in (0.46, 0.465, 0.47, 0.475):
        yield "tone %.3f fs" % f, 0.9 * np.sin(2 * np.pi * f * k + 0.3)


def half_points(y, h):
    """half[j] approximates y at j + 1/2 (NaN where the filter runs off)."""
    taps = len(h)
    z = np.convolve(y, h[::-1], "full")
    out = np.full(len(y), np.nan)
    j = np.arange(len(y) - taps)
    out[j + taps // 2 - 1] = z[j + taps - 1]
    return out


def ideal_half_points(y):
    spectrum = np.fft.rfft(y)
    k = np.arange(len(spectrum))
    return np.fft.irfft(spectrum * np.exp(1j * np.pi * k / len(y)), len(y))


def main():
    designs = [("Kaiser 128, beta 8.6 (TP_TAPS)", kaiser_phase(128, 8.6)),
               ("equiripple 64, flat to 0.46", ss.remez(64, [0, 0.46], [1],
                                                        fs=1))]
    for taps, edge in ((64, 0.46), (72, 0.46), (80, 0.46), (88, 0.47),
                       (104, 0.476)):
        h = lp_phase(taps, 1.15e-4, edge)
        name = "LP %d, 0.001 dB to %.3f" % (taps, edge)
        if h is None:
            print("%-34s none exists" % name)
        else:
            designs.append((name, h))
    print("response: error against the ideal half-sample delay, dB "
          "(worst up to 0.45 / 0.46 / 0.476 fs; at 0.48), and the largest "
          "error times the band limit's gain")
    for name, h in designs:
        err = np.abs(1 - amplitude(h))
        worst = [db(1 + err[FREQS <= f].max()) for f in (0.45, 0.46, 0.476)]
        at48 = err[np.searchsorted(FREQS, 0.48)]
        print("%-34s %.4f / %.4f / %.4f dB; %.3f dB at 0.48; %.1f dB"
              % (name, *worst, db(1 + at48), db((err * BL).max())))
    n = 1 << 18
    middle = slice(n // 4, 3 * n // 4)
    rng = np.random.default_rng(1)
    print("\non signals +20 dB through the band limit: error of the "
          "half-sample points, dB of the peak; their peak against the "
          "ideal points'")
    for sig_name, x in signals(n, rng):
        y = ss.sosfilt(SOS, 10.0 * x)
        ideal = ideal_half_points(y)
        ref = max(np.abs(y[middle]).max(), np.abs(ideal[middle]).max())
        cells = []
        for name, h in designs:
            half = half_points(y, h)
            err = np.abs(half - ideal)[middle].max() / ref
            peak = np.abs(half[middle]).max() / np.abs(ideal[middle]).max()
            cells.append("%.1f, %+.4f" % (db(err), db(peak)))
        print("%-18s %s" % (sig_name, " | ".join(cells)))
    print("columns: " + " | ".join(name for name, _ in designs))


if __name__ == "__main__":
    main()
