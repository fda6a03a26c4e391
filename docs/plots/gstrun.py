"""Runs a signal through one element of the plugin with gst-launch-1.0, for
the plot scripts: F32 interleaved at 48 kHz in, what comes out back."""

import os
import subprocess
import sys
import tempfile

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402,F401 (for the scripts)

RATE = 48000
IMAGES = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", "images"))


def run(element, x, out_channels=None):
    """x: frames (1-D, mono) or frames x channels. Returns the output, same
    shape (frames x out_channels when the element changes the channel
    count), after checking that every frame came out."""
    x = np.asarray(x, dtype="<f4")
    channels = 1 if x.ndim == 1 else x.shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f32")
        dst = os.path.join(tmp, "out.f32")
        x.tofile(src)
        cmd = ("gst-launch-1.0 -q filesrc location=%s ! rawaudioparse "
               "format=pcm pcm-format=f32le sample-rate=%d num-channels=%d ! "
               "%s ! filesink location=%s" % (src, RATE, channels, element,
                                               dst))
        r = subprocess.run(cmd.split(), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("pipeline failed: %s\n%s%s" % (cmd, r.stdout, r.stderr))
        y = np.fromfile(dst, dtype="<f4")
    shape = x.shape if out_channels is None else (x.shape[0], out_channels)
    if y.size != int(np.prod(shape)):
        sys.exit("%d samples out of %d: %s" % (y.size, np.prod(shape), cmd))
    return y.reshape(shape)


def db(v):
    return 20 * np.log10(np.maximum(np.abs(v), 1e-12))
