#!/usr/bin/python3
"""Catalogue throughput: files per hour per core of `gst-master run-manifest`.

    /usr/bin/python3 bench/catalogue.py --build-dir build [--songs 6]
        [--seconds 180] [--runs 3] [--workers 1,2] [--format flac]
        [--target streaming] [--json FILE]

The material: SONGS songs of SECONDS each (3 minutes by default), CD format
(44.1 kHz, 16-bit stereo WAV), each the project's demo mix (tools/
mst-demo-mix: 40 s of synthesised music, quiet intro, verse, loud chorus)
resampled to 44.1 kHz and looped from its own start (7.3 s apart), at its
own level (-3 to -15 dB, so the gain search differs from song to song).
They are written once into a cache folder and planned once (`gst-master plan
--target TARGET --format FORMAT`).

A run masters every entry, with W workers at once (each a `gst-master
run-manifest MANIFEST --index N` process; a worker takes the next entry when
its own is done, as GNU parallel -j W would), into a fresh output folder.
Runs alternate the worker counts (1, 2, 1, 2, ...) so a shared machine's
noise hits both alike. For each run: the wall time, the processor time of
the children (user + system, getrusage), the bytes they read and wrote
(rchar and wchar, /proc/self/io, which counts reaped children), and the
load average. Reported: medians over the runs of files per hour (wall),
per core (wall / W), processor seconds per file, files per processor-hour,
and the scaling from 1 to 2 workers; then the projection for a catalogue
(--project-tracks, --project-minutes, --project-hosts, --project-cores,
--storage-gbps) on paper from the processor seconds per file.

Needs numpy and scipy (the resampling), as bench/bench.py does.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
from scipy.signal import resample_poly

CACHE_DIR = os.path.join(tempfile.gettempdir(), "mastering-catalogue")
DATA_VERSION = 1  # bump when the material changes
CD_RATE_HZ = 44100
DEMO_RATE_HZ = 48000  # tools/mst-demo-mix.c, RATE_HZ
LOOP_STEP_S = 7.3
LEVELS_DB = (-3.0, -7.0, -11.0, -15.0)


def read_float_wav(path):
    """The demo mix: 32-bit float WAV (format 3), stereo. The wave module
    reads only PCM, so the chunks are walked here."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    pos, channels, fmt = 12, 2, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8],
                                                      "little")
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = int.from_bytes(body[0:2], "little")
            channels = int.from_bytes(body[2:4], "little")
        elif cid == b"data":
            assert fmt in (3, 0xFFFE), f"{path}: not float ({fmt})"
            return np.frombuffer(body, dtype="<f4").reshape(-1, channels)
        pos += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def make_material(build, songs, seconds):
    """SONGS CD-format WAVs in the cache; returns their paths."""
    folder = os.path.join(CACHE_DIR, f"v{DATA_VERSION}-{seconds:g}s")
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, f"song-{k:03d}.wav") for k in range(songs)]
    if all(os.path.exists(p) for p in paths):
        return paths
    demo = os.path.join(folder, "demo-mix.wav")
    subprocess.run([os.path.join(build, "tools", "mst-demo-mix"), demo],
                   check=True, capture_output=True)
    x = read_float_wav(demo).astype(np.float64)
    x = resample_poly(x, CD_RATE_HZ // 300, DEMO_RATE_HZ // 300, axis=0)
    n = int(round(seconds * CD_RATE_HZ))
    rng = np.random.default_rng(1)
    for k, path in enumerate(paths):
        if os.path.exists(path):
            continue
        start = int(round(k * LOOP_STEP_S * CD_RATE_HZ)) % len(x)
        idx = (start + np.arange(n)) % len(x)
        y = x[idx] * 10.0 ** (LEVELS_DB[k % len(LEVELS_DB)] / 20.0)
        # TPDF dither to 16 bits.
        tpdf = rng.random(y.shape) - rng.random(y.shape)
        q = np.clip(np.round(y * 32767.0 + tpdf), -32768, 32767)
        tmp = path + ".part"
        with wave.open(tmp, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(CD_RATE_HZ)
            w.writeframes(q.astype("<i2").tobytes())
        os.replace(tmp, path)
    os.unlink(demo)
    return paths


def proc_io():
    """rchar and wchar of this process and its reaped children."""
    io = {}
    with open("/proc/self/io") as f:
        for line in f:
            k, v = line.split(":")
            io[k] = int(v)
    return io["rchar"], io["wchar"]


def one_run(gst_master, manifest, n_entries, out_dir, workers, env):
    """Masters every entry with WORKERS processes at once; returns the
    run's figures."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    load_before = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    io0 = proc_io()
    t0 = time.monotonic()
    pending = list(range(n_entries))
    running, failed = [], []
    while pending or running:
        while pending and len(running) < workers:
            i = pending.pop(0)
            running.append((i, subprocess.Popen(
                [gst_master, "run-manifest", manifest, "--index", str(i)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
        # The first to finish frees its worker.
        done = None
        while done is None:
            for item in running:
                if item[1].poll() is not None:
                    done = item
                    break
            else:
                time.sleep(0.01)
        running.remove(done)
        out = done[1].stdout.read().decode(errors="replace")
        done[1].stdout.close()
        if done[1].returncode != 0 or "done already" in out:
            failed.append((done[0], done[1].returncode, out))
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    io1 = proc_io()
    if failed:
        for i, rc, out in failed:
            print(f"entry {i}: exit {rc}\n{out}", file=sys.stderr)
        raise SystemExit("a run had failed or skipped entries")
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    out_bytes = sum(e.stat().st_size for e in os.scandir(out_dir)
                    if e.is_file())
    return {"workers": workers, "wall_s": wall, "cpu_s": cpu,
            "output_bytes": out_bytes,
            "read_bytes": io1[0] - io0[0], "written_bytes": io1[1] - io0[1],
            "load_before": load_before, "load_after": os.getloadavg()[0]}


def summarise(runs, n_files, seconds, input_bytes):
    by_w = {}
    for r in runs:
        by_w.setdefault(r["workers"], []).append(r)
    out = {}
    for w, rs in sorted(by_w.items()):
        wall = statistics.median(r["wall_s"] for r in rs)
        cpu_per_file = statistics.median(r["cpu_s"] for r in rs) / n_files
        out[w] = {
            "runs": len(rs),
            "wall_s": [round(r["wall_s"], 2) for r in rs],
            "cpu_s": [round(r["cpu_s"], 2) for r in rs],
            "load": [round(r["load_before"], 1) for r in rs],
            "files_per_hour": 3600.0 * n_files / wall,
            "files_per_hour_per_core": 3600.0 * n_files / wall / w,
            "cpu_s_per_file": cpu_per_file,
            "files_per_cpu_hour": 3600.0 / cpu_per_file,
            "realtime_per_core": seconds / cpu_per_file,
            "read_mb_per_file": statistics.median(
                r["read_bytes"] for r in rs) / n_files / 1e6,
            "written_mb_per_file": statistics.median(
                r["written_bytes"] for r in rs) / n_files / 1e6,
            # Each input read once and each output written once: what a
            # file server sends and takes when the nodes' page caches serve
            # the passes after the first.
            "once_mb_per_file": (input_bytes + statistics.median(
                r["output_bytes"] for r in rs)) / n_files / 1e6,
            "cores_a_worker": statistics.median(
                r["cpu_s"] / r["wall_s"] for r in rs) / w,
        }
    return out


def projection(s1, args, seconds):
    """Hours for the catalogue on each host count: by the processors (the
    processor seconds a file, scaled by duration, one worker a core) and by
    the storage bandwidth (the traffic a file: at least its input and
    output once, at most every byte the process read and wrote)."""
    scale = args.project_minutes * 60 / seconds
    cpu_per_track = s1["cpu_s_per_file"] * scale
    mb_once = s1["once_mb_per_file"] * scale
    mb_all = (s1["read_mb_per_file"] + s1["written_mb_per_file"]) * scale
    storage_mb_s = args.storage_gbps * 1e3 / 8
    rows = []
    for hosts in args.project_hosts:
        cores = hosts * args.project_cores
        cpu_h = args.project_tracks * cpu_per_track / cores / 3600
        rows.append({"hosts": hosts, "cores": cores, "cpu_bound_h": cpu_h,
                     "storage_once_h": args.project_tracks * mb_once
                     / storage_mb_s / 3600,
                     "storage_all_h": args.project_tracks * mb_all
                     / storage_mb_s / 3600,
                     "mb_s_once": mb_once * cores / cpu_per_track,
                     "mb_s_all": mb_all * cores / cpu_per_track})
    return cpu_per_track, mb_once, mb_all, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--songs", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--format", default="flac")
    ap.add_argument("--target", default="streaming")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--project-tracks", type=float, default=1e6)
    ap.add_argument("--project-minutes", type=float, default=3.5)
    ap.add_argument("--project-cores", type=int, default=32)
    ap.add_argument("--project-hosts", type=lambda s: [int(x) for x in
                                                       s.split(",")],
                    default=[1, 10, 50, 100])
    ap.add_argument("--storage-gbps", type=float, default=10.0,
                    help="shared storage bandwidth, Gbit/s (default 10: "
                    "one 10 GbE NFS server)")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    gst_master = os.path.join(build, "tools", "gst-master")
    workers = [int(w) for w in args.workers.split(",")]
    env = dict(os.environ,
               GST_PLUGIN_PATH=os.path.join(build, "elements"),
               GST_REGISTRY=os.path.join(CACHE_DIR, "gst.registry"))

    songs = make_material(build, args.songs, args.seconds)
    work = tempfile.mkdtemp(prefix="catalogue-bench-")
    try:
        manifest = os.path.join(work, "catalogue.jsonl")
        out_dir = os.path.join(work, "out")
        subprocess.run([gst_master, "plan", *songs, "--target", args.target,
                        "--format", args.format, "-o", out_dir,
                        "--manifest", manifest], check=True, env=env,
                       capture_output=True)
        # One master first: the registry and the page cache warm.
        subprocess.run([gst_master, "run-manifest", manifest, "--index", "0"],
                       check=True, env=env, capture_output=True)
        runs = []
        for rep in range(args.runs):
            for w in workers:
                r = one_run(gst_master, manifest, len(songs), out_dir, w, env)
                runs.append(r)
                print(f"run {rep + 1}, {w} worker(s): {r['wall_s']:.1f} s "
                      f"wall, {r['cpu_s']:.1f} s processor, load "
                      f"{r['load_before']:.1f}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    input_bytes = sum(os.path.getsize(p) for p in songs)
    s = summarise(runs, len(songs), args.seconds, input_bytes)
    one, two = s.get(1), s.get(2)
    scaling_wall = (two["files_per_hour"] / one["files_per_hour"]
                    if one and two else None)
    scaling_cpu = (one["cpu_s_per_file"] / two["cpu_s_per_file"]
                   if one and two else None)
    base = one or next(iter(s.values()))
    # The processor cost per file at the most workers measured: what a
    # host running a worker per core pays.
    busiest = s[max(s)]
    cpu_per_track, mb_once, mb_all, rows = projection(busiest, args,
                                                      args.seconds)

    print(f"\n{len(songs)} songs of {args.seconds:g} s, CD format -> "
          f"{args.format}, target {args.target}; {args.runs} runs, medians; "
          f"load average {min(r['load_before'] for r in runs):.1f} to "
          f"{max(r['load_before'] for r in runs):.1f} on {os.cpu_count()} "
          "processors\n")
    print("| workers | files/hour (wall) | per core (wall) | processor s "
          "a file | files per processor-hour | x realtime a core | cores "
          "a worker | read, written MB a file | inputs + outputs MB a file |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w, f in s.items():
        print(f"| {w} | {f['files_per_hour']:.0f} | "
              f"{f['files_per_hour_per_core']:.0f} | "
              f"{f['cpu_s_per_file']:.2f} | {f['files_per_cpu_hour']:.0f} | "
              f"{f['realtime_per_core']:.1f} | {f['cores_a_worker']:.2f} | "
              f"{f['read_mb_per_file']:.0f}, {f['written_mb_per_file']:.0f} "
              f"| {f['once_mb_per_file']:.0f} |")
    if scaling_wall:
        print(f"\nScaling 1 -> 2 workers: {scaling_wall:.2f}x files/hour by "
              f"wall; processor s a file {one['cpu_s_per_file']:.2f} -> "
              f"{two['cpu_s_per_file']:.2f} ({scaling_cpu:.2f}).")
    print(f"\nProjection, {args.project_tracks:.0f} tracks of "
          f"{args.project_minutes:g} min: {cpu_per_track:.1f} processor s a "
          f"track (this machine's cost at {max(s)} workers, scaled by "
          f"duration), hosts of {args.project_cores} cores with a worker a "
          f"core; storage traffic {mb_once:.0f} MB a track (input and output "
          f"once) to {mb_all:.0f} MB (all the process read and wrote), "
          f"storage {args.storage_gbps:g} Gbit/s shared")
    print("\n| hosts | cores | hours (processors) | hours (storage, once "
          "/ all) | MB/s the storage must give (once / all) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['hosts']} | {r['cores']} | {r['cpu_bound_h']:.1f} | "
              f"{r['storage_once_h']:.1f} / {r['storage_all_h']:.1f} | "
              f"{r['mb_s_once']:.0f} / {r['mb_s_all']:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "runs": runs, "summary": s,
                       "scaling_wall": scaling_wall,
                       "scaling_cpu": scaling_cpu,
                       "cpu_s_per_track": cpu_per_track,
                       "mb_per_track_once": mb_once,
                       "mb_per_track_all": mb_all, "projection": rows,
                       "base": base}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
