#!/usr/bin/python3
"""gst-master live's --stats over a generated feed that drops.

Runs

    gst-master live --input 'test://?live=0&vary=120&num-buffers=12000'
        --output null:// --target streaming --duration 360 --interval 1
        --stats=FILE

a non-live pink-noise programme whose level is swept (a triangle over
120 s, volume 0.1 to 0.5: -32.8 to -18.8 LUFS) and whose source ends every 120 s
(12000 buffers of 10 ms) and is rebuilt after the backoff (0.5 s, then 1 s:
silence meanwhile), and plots the stats lines: the output's short-term
and integrated loudness against the -14 LUFS target, the controller's
gain, the true peak (largest so far) against the -1 dBTP ceiling, and the
reconnections.

Run from the top of the source tree, with the plugin built in build/:

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 docs/plots/live_plot.py

Writes docs/images/live.png; prints the last stats line.
"""

import json
import os
import subprocess
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
IMAGES = os.path.join(TOP, "docs", "images")
GM = os.path.join(TOP, "build", "tools", "gst-master")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats.jsonl")
        subprocess.run([GM, "live", "--input",
                        "test://?live=0&vary=120&num-buffers=12000",
                        "--output", "null://", "--target", "streaming",
                        "--duration", "360", "--interval", "1",
                        "--stats=" + stats, "-q"], check=True)
        with open(stats) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    t = [r["time"] for r in rows]

    def series(k):
        return [r[k] if r[k] is not None and r[k] > -70 else float("nan")
                for r in rows]

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    ax1.plot(t, series("short_term"), label="short-term (3 s)")
    ax1.plot(t, series("integrated"), label="integrated")
    ax1.axhline(-14, color="k", lw=0.8, ls="--", label="target -14 LUFS")
    ax1.axhspan(-15, -13, color="0.9", label="target ±1 LU")
    for i in range(1, len(rows)):
        if rows[i]["reconnects"] > rows[i - 1]["reconnects"]:
            for ax in (ax1, ax2):
                ax.axvline(t[i], color="r", lw=0.8, alpha=0.6)
    ax1.set_ylabel("LUFS")
    ax1.set_ylim(-30, -8)
    ax1.legend(loc="lower right", fontsize=8)
    ax1.set_title("gst-master live, test:// level swept (120 s), source "
                  "rebuilt every 120 s (red)")
    ax2.plot(t, series("gain"), label="controller gain (dB)")
    ax2.plot(t, series("true_peak"), label="true peak so far (dBTP)")
    ax2.plot(t, [r["limiter_reduction"] for r in rows],
             label="limiter reduction (dB)")
    ax2.axhline(-1, color="k", lw=0.8, ls="--", label="ceiling -1 dBTP")
    ax2.set_xlabel("seconds of output")
    ax2.set_ylabel("dB")
    ax2.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    os.makedirs(IMAGES, exist_ok=True)
    fig.savefig(os.path.join(IMAGES, "live.png"), dpi=100)
    print(json.dumps(rows[-1]))


if __name__ == "__main__":
    main()
