#!/usr/bin/python3
"""Designs the limiter's band-limit filter (gst/mst-bandlimit.c): an
elliptic low-pass, 0.01 dB of ripple up to 0.46 fs, 60 dB down from where
the order allows (0.485 fs at the least). The design is in units of the
sample rate, so one table serves every rate. Prints the C table of
second-order sections (a0 = 1) and the response at a few points."""
import numpy as np
import scipy.signal as ss

PASS_EDGE = 0.46      # fraction of fs
STOP_EDGE = 0.485
RIPPLE_DB = 0.01
STOP_DB = 60.0

order, _ = ss.ellipord(2 * PASS_EDGE, 2 * STOP_EDGE, RIPPLE_DB, STOP_DB)
sos = ss.ellip(order, RIPPLE_DB, STOP_DB, 2 * PASS_EDGE, output="sos")
print("/* scripts/design-band-limit.py: elliptic, order %d */" % order)
for s in sos:
    b0, b1, b2, a0, a1, a2 = s
    assert a0 == 1.0
    print("  {%.17g, %.17g, %.17g, %.17g, %.17g}," % (b0, b1, b2, a1, a2))
f = np.array([0.0, 0.2, 0.4, 0.45, 0.46, 0.47, 0.48, 0.485, 0.49, 0.5])
_, h = ss.sosfreqz(sos, worN=2 * np.pi * f)
_, gd = ss.group_delay(ss.sos2tf(sos), w=2 * np.pi * np.array([0.01, 0.1, 0.3, 0.4]))
for fi, hi in zip(f, h):
    print("/* %.3f fs: %+.4f dB */" % (fi, 20 * np.log10(abs(hi) + 1e-30)))
print("/* group delay at 0.01/0.1/0.3/0.4 fs: %s samples */"
      % " ".join("%.3f" % g for g in gd))
