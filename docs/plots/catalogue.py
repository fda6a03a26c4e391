#!/usr/bin/python3
"""The catalogue benchmark's figures as a picture: docs/images/catalogue.png.

    /usr/bin/python3 docs/plots/catalogue.py [BENCH.json]

BENCH.json is what `bench/catalogue.py --json FILE` wrote (default: the run
kept beside this script, docs/plots/catalogue-bench.json, whose figures
docs/catalogue.md gives). Left: the processor seconds a 3-minute file of
each run, 1 and 2 entries at once, with the load average the run started
at. Right: the hours for the projected catalogue against the hosts, by the
processors and by the storage (inputs and outputs once, or every byte the
process read and wrote), the catalogue taking the larger. Needs numpy and
matplotlib.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    here, "catalogue-bench.json")
with open(path) as f:
    doc = json.load(f)
args, runs = doc["args"], doc["runs"]
n_files = args["songs"]

fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
for w, colour in ((1, "tab:blue"), (2, "tab:orange")):
    rs = [r for r in runs if r["workers"] == w]
    x = [r["load_before"] for r in rs]
    y = [r["cpu_s"] / n_files for r in rs]
    a.scatter(x, y, color=colour, label=f"{w} at once")
    a.axhline(np.median(y), color=colour, lw=0.8, ls="--")
a.set_xlabel("load average at the run's start (2 processors)")
a.set_ylabel("processor seconds a file")
a.set_title(f"{n_files} files of {args['seconds']:g} s, CD WAV to "
            f"{args['format']}, {args['target']}")
a.set_ylim(0, None)
a.legend()
a.grid(alpha=0.3)

rows = doc["projection"]
hosts = np.array([r["hosts"] for r in rows], dtype=float)
fine = np.geomspace(hosts.min(), hosts.max(), 50)
cpu_h = rows[0]["cpu_bound_h"] * rows[0]["hosts"] / fine
b.loglog(fine, cpu_h, label="processors", color="tab:green")
b.loglog(fine, np.full_like(fine, rows[0]["storage_once_h"]),
         label="storage, inputs and outputs once", color="tab:red")
b.loglog(fine, np.full_like(fine, rows[0]["storage_all_h"]), ls="--",
         label="storage, every byte read and written", color="tab:red")
b.loglog(fine, np.maximum(cpu_h, rows[0]["storage_once_h"]), lw=3,
         alpha=0.3, color="black", label="the catalogue (storage once)")
b.set_xlabel(f"hosts of {args['project_cores']} cores")
b.set_ylabel("hours")
b.set_title(f"{args['project_tracks']:,.0f} tracks of "
            f"{args['project_minutes']:g} min, "
            f"{args['storage_gbps']:g} Gbit/s storage")
b.legend(fontsize=8)
b.grid(alpha=0.3, which="both")
fig.tight_layout()
out = os.path.join(here, "..", "images", "catalogue.png")
fig.savefig(out, dpi=100)
print(f"wrote {os.path.normpath(out)}")
