#!/usr/bin/env python3
"""A catalogue mastered by a Slurm array job, on a one-node Slurm started here.

    test-slurm-array.py GST_MASTER JOB_SCRIPT

Starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm) from a
generated key, slurm.conf and cgroup.conf in a temporary folder (free ports,
one node with this machine's processors, no accounting, no cgroups), waits
for the node to be idle, then:

- `gst-master plan` of four short generated files, one undecodable;
- `sbatch --array=0-3 --wait JOB_SCRIPT MANIFEST` (examples/catalogue.sbatch,
  each task `gst-master run-manifest MANIFEST`, the entry from
  SLURM_ARRAY_TASK_ID): exit status 1 (the largest of the tasks': the
  undecodable file), each task's log naming its entry's outcome;
- `gst-master report`: every good file mastered and verified at the target
  (-14 LUFS within 0.1 LU, true peak at or under -1 dBTP), the bad one
  named as failed and why, exit status 1;
- a node "dies": one entry's output and result are removed; the report
  lists it as missing;
- the same manifest submitted again, two entries a task: the intact entries
  are skipped ("done already"), the lost one is mastered again, the bad one
  fails again; the report then has no missing file.

The daemons are stopped at the end (jobs cancelled first), even on failure
or when meson test's timeout sends SIGTERM; nothing is written outside the
temporary folder, which is removed. Needs root (slurmd starts the jobs as
the submitting user). Prints "ok N - ..." or "not ok N - ..." a check and
exits 1 when one failed.
"""

import array
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import wave

TARGET_LUFS = -14.0  # gst-master's streaming target (gst-master --help)
CEILING_DBTP = -1.0
LOUDNESS_TOLERANCE_LU = 0.1  # as tests/test-gst-master.c checks a master
NODE_WAIT_S = 30.0
JOB_WAIT_S = 60.0

n_checks = 0
n_failed = 0


def check(ok, what, detail=""):
    global n_checks, n_failed
    n_checks += 1
    if ok:
        print(f"ok {n_checks} - {what}", flush=True)
    else:
        n_failed += 1
        print(f"not ok {n_checks} - {what}", flush=True)
        for line in detail.rstrip().splitlines():
            print(f"#   {line}", flush=True)
    return ok


class Abort(Exception):
    """A step the rest cannot go on without failed (already reported)."""


def require(ok, what, detail=""):
    if not check(ok, what, detail):
        raise Abort(what)


class Stopped(Exception):
    """SIGTERM (meson test's timeout): unwinds through the finally that
    stops the daemons."""


def on_sigterm(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_wav(path, rate_hz, seconds, level_dbfs, freqs_hz, noise_dbfs, seed,
              spike=0.0):
    """A 16-bit stereo WAV: sines at level_dbfs RMS each, white noise, and
    every 0.25 s a 1 ms pulse of +spike (full scale 1)."""
    rng = random.Random(seed)
    amp = math.sqrt(2.0) * 10.0 ** (level_dbfs / 20.0)
    noise = 10.0 ** (noise_dbfs / 20.0) * math.sqrt(3.0)  # uniform: RMS a/sqrt 3
    frames = array.array("h")
    for i in range(int(rate_hz * seconds)):
        t = i / rate_hz
        s = sum(amp * math.sin(2.0 * math.pi * f * t + k)
                for k, f in enumerate(freqs_hz))
        if spike and i % (rate_hz // 4) < rate_hz // 1000:
            s += spike
        for _ in range(2):
            v = s + noise * (2.0 * rng.random() - 1.0)
            frames.append(max(-32768, min(32767, int(round(v * 32767.0)))))
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(frames.tobytes())


def run(argv, env, timeout_s=JOB_WAIT_S, cwd=None):
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout_s)


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        return f"({path}: {e})\n"
    return "".join(lines[-n:])


class Cluster:
    """munged, slurmctld and slurmd in the foreground, children of this
    process, with their files in one folder."""

    def __init__(self, top):
        self.top = top
        self.node = socket.gethostname().split(".")[0]
        self.procs = []
        self.conf = os.path.join(top, "slurm.conf")
        munge_dir = os.path.join(top, "munge")
        # munged refuses a socket folder others cannot enter, and a key
        # others can read.
        os.mkdir(munge_dir, 0o755)
        os.chmod(top, 0o755)
        self.socket = os.path.join(munge_dir, "munge.socket")
        self.key = os.path.join(munge_dir, "munge.key")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(1024))  # munged takes 32 to 1024 bytes
        os.close(fd)
        for d in ("state", "spool", "logs"):
            os.mkdir(os.path.join(top, d))
        # The commands (sinfo, sbatch, ...) read a copy with a shorter
        # MinJobAge, below.
        self.client_conf = os.path.join(top, "slurm-client.conf")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SLURM_")}
        self.env["SLURM_CONF"] = self.client_conf
        ctld_port, d_port = free_port(), free_port()
        cpus = os.cpu_count() or 1
        p = lambda name: os.path.join(top, name)
        conf = f"""\
ClusterName=gstmaster
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.socket}
StateSaveLocation={p("state")}
SlurmdSpoolDir={p("spool")}
SlurmctldPidFile={p("slurmctld.pid")}
SlurmdPidFile={p("slurmd.pid")}
SlurmctldLogFile={p("slurmctld.log")}
SlurmdLogFile={p("slurmd.log")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=catalogue Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
        # slurmctld keeps a finished task's record (its exit status) for
        # MinJobAge; with a few seconds, the first tasks of an array were
        # gone before the last ended, and sbatch --wait exited 0 with a
        # task failed. sbatch --wait polls after 2 s, then every 4 times
        # longer (up to 32 s) while that is under the MinJobAge of its own
        # slurm.conf halved: 4 keeps it at 2 s.
        with open(self.conf, "w") as f:
            f.write(conf + "MinJobAge=300\n")
        with open(self.client_conf, "w") as f:
            f.write(conf + "MinJobAge=4\n")
        # Read by slurmd; nothing here uses cgroups (linuxproc, task/none).
        with open(p("cgroup.conf"), "w") as f:
            f.write("CgroupAutomount=no\nConstrainCores=no\n"
                    "ConstrainRAMSpace=no\n")

    def start(self, name, argv):
        log = open(os.path.join(self.top, name + ".out"), "w")
        self.procs.append((name, subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.top)))
        log.close()

    def logs(self):
        """The last lines of each daemon's log (munged in the foreground
        logs to its standard error only)."""
        text = ""
        for name in ("munged", "slurmctld", "slurmd"):
            path = os.path.join(self.top, name + ".log")
            if not os.path.exists(path):
                path = os.path.join(self.top, name + ".out")
            text += f"--- {os.path.basename(path)}\n" + tail(path, 15)
        return text

    def up(self):
        self.start("munged", [
            "munged", "--foreground", "--socket", self.socket,
            "--key-file", self.key,
            "--pid-file", os.path.join(self.top, "munged.pid"),
            "--seed-file", os.path.join(self.top, "munged.seed")])
        deadline = time.monotonic() + NODE_WAIT_S
        while not os.path.exists(self.socket):
            if time.monotonic() > deadline or self.procs[0][1].poll() is not None:
                require(False, "munged started", self.logs())
            time.sleep(0.05)
        self.start("slurmctld", ["slurmctld", "-D", "-f", self.conf])
        self.start("slurmd", ["slurmd", "-D", "-f", self.conf,
                              "-N", self.node])
        state = ""
        while time.monotonic() < deadline:
            dead = [n for n, pr in self.procs if pr.poll() is not None]
            if dead:
                require(False, f"the daemons run ({', '.join(dead)} exited)",
                        self.logs())
            r = run(["sinfo", "--noheader", "--nodes", self.node,
                     "--format", "%T"], self.env, timeout_s=10)
            state = r.stdout.strip()
            if r.returncode == 0 and state == "idle":
                break
            time.sleep(0.25)
        require(state == "idle", f"sinfo shows node {self.node} idle "
                f"within {NODE_WAIT_S:.0f} s (last: {state or '-'})",
                self.logs())

    def down(self):
        """Cancels what is queued or running, then stops the daemons: SIGTERM,
        then SIGKILL after 10 s. Returns the names of those that had to be
        killed or were still there."""
        if any(n == "slurmctld" and p.poll() is None for n, p in self.procs):
            subprocess.run(["scancel", "--full", "--user", str(os.getuid())],
                           env=self.env, capture_output=True, timeout=10)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r = run(["squeue", "--noheader"], self.env, timeout_s=10)
                if r.returncode != 0 or not r.stdout.strip():
                    break
                time.sleep(0.2)
        stubborn = []
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    stubborn.append(name)
                    p.kill()
                    p.wait(5)
        return stubborn


def results_by_name(report_json):
    with open(report_json) as f:
        doc = json.load(f)
    return doc, {os.path.basename(e["input"]): e for e in doc["files"]}


def sbatch(env, job_script, manifest, array, logs, extra=()):
    """Submits and waits; returns (sbatch's run, {task: log text},
    {task: exit status}), the statuses as slurmctld recorded them."""
    r = run(["sbatch", "--wait", "--parsable", f"--array={array}",
             f"--output={logs}/%A_%a.log", job_script, manifest, *extra],
            env, cwd=os.path.dirname(manifest))
    job = r.stdout.strip().split(";")[0]
    texts, statuses = {}, {}
    for name in os.listdir(logs):
        if name.startswith(job + "_"):
            with open(os.path.join(logs, name)) as f:
                texts[int(name[len(job) + 1:-len(".log")])] = f.read()
    # One line a task: ... ArrayTaskId=N ... ExitCode=STATUS:SIGNAL ...
    show = run(["scontrol", "--oneliner", "show", "job", job], env,
               timeout_s=10)
    for line in show.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("ArrayTaskId", "").isdigit() and "ExitCode" in fields:
            statuses[int(fields["ArrayTaskId"])] = int(
                fields["ExitCode"].split(":")[0])
    return r, texts, statuses


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    gst_master, job_script = (os.path.abspath(a) for a in sys.argv[1:])
    signal.signal(signal.SIGTERM, on_sigterm)
    missing = [p for p in ("munged", "slurmctld", "slurmd", "sinfo",
                           "sbatch", "squeue", "scancel")
               if not shutil.which(p)]
    if not check(not missing, "munge and slurm-wlm installed",
                 f"missing: {' '.join(missing)}; scripts/setup.sh installs "
                 "Debian's munge and slurm-wlm"):
        return 1
    if not check(os.getuid() == 0, "run as root",
                 "slurmd starts each job as the user who submitted it, "
                 "which only root may do"):
        return 1

    t0 = time.monotonic()
    top = tempfile.mkdtemp(prefix="mst-slurm-")
    cluster = None
    try:
        cluster = Cluster(top)
        cluster.up()
        print(f"# cluster up in {time.monotonic() - t0:.1f} s", flush=True)
        env = dict(cluster.env, GST_MASTER=gst_master)

        inputs = os.path.join(top, "in")
        os.mkdir(inputs)
        # Quiet, loud, and with peaks the limiter must take down (song-b:
        # pulses at -6 dBFS over sines at -26 dBFS RMS; the gain to -14 LUFS
        # puts them well over the ceiling).
        songs = {"song-a.wav": (-24.0, [220.0, 330.0], 0.0),
                 "song-b.wav": (-26.0, [110.0, 440.0, 1250.0], 0.5),
                 "song-c.wav": (-12.0, [880.0], 0.0)}
        for i, (name, (level, freqs, spike)) in enumerate(
                sorted(songs.items())):
            write_wav(os.path.join(inputs, name), 48000, 3.0, level, freqs,
                      level - 30.0, seed=i + 1, spike=spike)
        with open(os.path.join(inputs, "bad.wav"), "w") as f:
            f.write("this is not audio\n" * 100)
        out = os.path.join(top, "out")
        manifest = os.path.join(top, "catalogue.jsonl")
        logs = os.path.join(top, "logs")

        names = sorted(list(songs) + ["bad.wav"])
        r = run([gst_master, "plan", *[os.path.join(inputs, n) for n in names],
                 "--target", "streaming", "-o", out, "--manifest", manifest],
                env)
        with open(manifest) as f:
            entries = [json.loads(line) for line in f if line.strip()]
        require(r.returncode == 0 and len(entries) == len(names),
                f"plan: {len(names)} entries", r.stdout + r.stderr)
        index = {os.path.basename(e["input"]): e["index"] for e in entries}
        bad = index["bad.wav"]

        # Every entry by its array task, SLURM_ARRAY_TASK_ID read by
        # run-manifest (one entry a task).
        t1 = time.monotonic()
        r, task_logs, statuses = sbatch(env, job_script, manifest,
                                        f"0-{len(entries) - 1}", logs)
        print(f"# first array job: {time.monotonic() - t1:.1f} s",
              flush=True)
        require(len(task_logs) == len(entries), "sbatch --array: a log per "
                f"task ({len(task_logs)} of {len(entries)})",
                r.stdout + r.stderr + cluster.logs())
        check(r.returncode == 1, "sbatch --wait: exit status 1, the failed "
              f"entry's (got {r.returncode})", r.stderr)
        for name in names:
            task = index[name]
            text = task_logs[task]
            want, status = (": error", 1) if name == "bad.wav" else (": ok", 0)
            check(f"{name} -> " in text and want in text
                  and statuses.get(task) == status,
                  f"task {task} ({name}): '{want[2:]}', exit status "
                  f"{statuses.get(task)}", text)

        report_json = os.path.join(out, "gst-master-report.json")
        r = run([gst_master, "report", out, "--manifest", manifest], env)
        check(r.returncode == 1 and f"{len(names)} files: {len(names) - 1} "
              "done, 1 failed, 0 missing" in r.stdout,
              f"report: {len(names) - 1} done, bad.wav failed, exit status 1 "
              f"(got {r.returncode})", r.stdout + r.stderr)
        doc, rows = results_by_name(report_json)
        for name in sorted(songs):
            row = rows.get(name, {})
            lufs, tp = row.get("integrated_lufs"), row.get("true_peak_dbtp")
            check(row.get("status") == "ok" and lufs is not None
                  and abs(lufs - TARGET_LUFS) <= LOUDNESS_TOLERANCE_LU
                  and tp is not None and tp <= CEILING_DBTP
                  and os.path.getsize(index_output(entries, name)) > 0,
                  f"{name}: mastered and verified, {lufs} LUFS, {tp} dBTP",
                  json.dumps(row, indent=1))
        with open(entries[index["song-b.wav"]]["result"]) as f:
            reduction = json.load(f)["report"][0].get(
                "limiter_max_reduction_db", 0.0)
        check(reduction > 1.0, "song-b.wav: its pulses taken down by the "
              f"limiter ({reduction:.1f} dB, its result file)")
        row = rows.get("bad.wav", {})
        check(row.get("status") == "error" and row.get("why"),
              f"bad.wav named as failed: {row.get('why')!r}",
              json.dumps(row, indent=1))

        # A node died while mastering song-b: its output was never named
        # (master writes nameless until complete) and no result written.
        lost = "song-b.wav"
        lost_entry = entries[index[lost]]
        os.unlink(lost_entry["output"])
        os.unlink(lost_entry["result"])
        r = run([gst_master, "report", out, "--manifest", manifest], env)
        check(r.returncode == 1 and "1 missing" in r.stdout
              and "missing" in next((line for line in r.stdout.splitlines()
                                     if lost in line), ""),
              f"report after the loss: {lost} missing", r.stdout + r.stderr)

        # The same manifest again, two entries a task: the resume.
        mtimes = {n: os.stat(index_output(entries, n)).st_mtime_ns
                  for n in songs if n != lost}
        t1 = time.monotonic()
        r, task_logs, statuses = sbatch(
            env, job_script, manifest, f"0-{(len(entries) + 1) // 2 - 1}",
            logs, ["2"])
        print(f"# second array job: {time.monotonic() - t1:.1f} s",
              flush=True)
        text = "".join(task_logs[k] for k in sorted(task_logs))
        want = {t: int(t == bad // 2) for t in range((len(entries) + 1) // 2)}
        check(r.returncode == 1 and statuses == want, "resume: exit status "
              f"1 (bad.wav again, got {r.returncode}), the tasks' {statuses}",
              r.stderr + text)
        for name in sorted(songs):
            out_name = os.path.basename(index_output(entries, name))
            lines = [line for line in text.splitlines() if name in line
                     or out_name in line]
            if name == lost:
                check(any(": ok" in line for line in lines)
                      and not any("done already" in line for line in lines),
                      f"resume: {name} mastered again", text)
            else:
                check(any("done already" in line for line in lines)
                      and os.stat(index_output(entries, name)).st_mtime_ns
                      == mtimes[name],
                      f"resume: {name} skipped, done already", text)
        check(any("bad.wav" in line and ": error" in line
                  for line in text.splitlines()),
              "resume: bad.wav tried again and failed", text)
        r = run([gst_master, "report", out, "--manifest", manifest], env)
        check(r.returncode == 1 and f"{len(names)} files: {len(names) - 1} "
              "done, 1 failed, 0 missing" in r.stdout,
              "report after the resume: nothing missing, bad.wav failed",
              r.stdout + r.stderr)
        _, rows = results_by_name(report_json)
        row = rows.get(lost, {})
        check(row.get("status") == "ok" and abs(
            row.get("integrated_lufs", 99.0) - TARGET_LUFS)
              <= LOUDNESS_TOLERANCE_LU, f"{lost} in the report again: "
              f"{row.get('integrated_lufs')} LUFS", json.dumps(row, indent=1))
    except Abort:
        pass
    except Stopped as e:
        check(False, f"ran to the end (stopped by {e})")
    except subprocess.TimeoutExpired as e:
        check(False, f"{e.cmd[0]} finished within {e.timeout:.0f} s",
              cluster.logs() if cluster else "")
    except Exception:
        check(False, "no exception", traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if cluster:
            stubborn = cluster.down()
            check(not stubborn, "daemons stopped by SIGTERM",
                  f"killed: {', '.join(stubborn)}")
        shutil.rmtree(top, ignore_errors=True)
    print(f"# {n_checks} checks, {n_failed} failed, "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    return 1 if n_failed else 0


def index_output(entries, name):
    return next(e["output"] for e in entries
                if os.path.basename(e["input"]) == name)


if __name__ == "__main__":
    sys.exit(main())
