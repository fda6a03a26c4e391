#!/usr/bin/python3
"""Tests of the gst-master program: analyze on generated files, master to
several targets and formats with the written file measured again (within
0.1 LU of the target, true peak at or below the ceiling; independently with
FFmpeg's ebur128 when installed), the safety cases and several inputs with
one bad.

    test-gst-master.py GST_MASTER MST_DEMO_MIX

Standard library only. Exits non-zero on any failure."""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

GM, DEMO = sys.argv[1], sys.argv[2]
failures = []
TMP = tempfile.mkdtemp(prefix="test-gst-master-")


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(*args, timeout=300):
    p = subprocess.run([GM] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def path(name):
    return os.path.join(TMP, name)


def gst_wav(name, src, caps, seconds, rate=48000):
    """A WAV made by audiotestsrc (S16 unless caps say otherwise)."""
    n = int(seconds * rate / 4800) or 1
    spb = 4800 if seconds * rate >= 4800 else int(seconds * rate)
    out = path(name)
    subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=%d" % n,
                    "samplesperbuffer=%d" % spb] + src.split() +
                   ["!", "audio/x-raw,rate=%d,%s" % (rate, caps), "!",
                    "wavenc", "!", "filesink", "location=" + out], check=True)
    return out


def analyze(f):
    rc, out, err = run("analyze", "--json", f)
    assert rc == 0, err
    return json.loads(out)[0]["figures"]


def wav_bits(f):
    with open(f, "rb") as fh:
        data = fh.read(64)
    i = data.find(b"fmt ")
    return struct.unpack("<H", data[i + 22:i + 24])[0]


def ffmpeg_measure(f):
    """Integrated loudness and true peak by FFmpeg's ebur128 (independent
    meter); None when FFmpeg is missing."""
    if not shutil.which("ffmpeg"):
        return None
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", f,
                        "-af", "ebur128=peak=true", "-f", "null", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tail = p.stderr[p.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", tail)
    tp = re.search(r"Peak:\s+(-?[\d.]+) dBFS", tail)
    if not i or not tp:
        return None
    return float(i.group(1)), float(tp.group(1))


def leftovers(d):
    return [n for n in os.listdir(d) if n.endswith(".part")]


# ---------------------------------------------------------------------------
# analyze
tone = gst_wav("tone-23.wav", "wave=sine freq=1000 volume=%.6f" % 10 ** (-23 / 20),
               "channels=2", 10)
f = analyze(tone)
check(abs(f["integrated_lufs"] + 23.0) <= 0.1,
      "analyze: 1 kHz at -23 dBFS stereo reads -23 LUFS (%.2f)" % f["integrated_lufs"])
check(abs(f["true_peak_dbtp"] + 23.0) <= 0.2, "analyze: true peak -23 dBTP (%.2f)"
      % f["true_peak_dbtp"])
check(abs(f["sample_peak_dbfs"] + 23.0) <= 0.1, "analyze: sample peak -23 dBFS")
check(f["channels"] == 2 and f["rate_hz"] == 48000 and abs(f["duration_s"] - 10) < 0.01,
      "analyze: channels, rate, duration")
check(abs(f["short_term_max_lufs"] + 23.0) <= 0.1 and abs(f["momentary_max_lufs"] + 23.0) <= 0.1,
      "analyze: max momentary and short-term -23")
check(f["loudness_range_lu"] is not None and f["loudness_range_lu"] < 0.5, "analyze: LRA ~0")
tone44 = gst_wav("tone44.wav", "wave=sine freq=1000 volume=%.6f" % 10 ** (-18 / 20),
                 "channels=1", 4, rate=44100)
f = analyze(tone44)
check(abs(f["integrated_lufs"] + 21.0) <= 0.1 and f["rate_hz"] == 44100 and f["channels"] == 1,
      "analyze: mono 44.1 kHz -18 dBFS reads -21 LUFS (%.2f)" % f["integrated_lufs"])
rc, out, _ = run("analyze", tone, tone44)
check(rc == 0 and "tone-23.wav" in out and "-23.0" in out, "analyze: table")

# ---------------------------------------------------------------------------
# master to targets and formats, the written file measured again
demo = path("demo.wav")
subprocess.run([DEMO, demo], check=True, stdout=subprocess.DEVNULL)
mono = gst_wav("mono.wav", "wave=pink-noise volume=0.3", "channels=1", 8)
cases = [
    # input, target, format, expected loudness, ceiling, extra args
    (demo, "streaming", "wav24", -14.0, -1.0, []),
    (demo, "ebu-r128", "flac", -23.0, -1.0, []),
    (demo, "atsc-a85", "wav16", -24.0, -2.0, []),
    (demo, "apple-music", "wav32f", -16.0, -1.0, []),
    (mono, "podcast", "flac", -19.0, -1.0, []),
    (demo, "youtube", "mp3", -14.0, -1.0, []),
    (demo, "streaming", "opus", -14.0, -1.0, []),
    (demo, "streaming", "aac", -14.0, -1.0, []),
    (demo, "cd", "wav16", None, -0.3, []),
    (demo, None, "wav24", -10.0, -0.5, ["--loudness", "-10", "--ceiling", "-0.5"]),
    (demo, "streaming", "flac", -14.0, -1.0, ["--rate", "44100"]),
]
ext = {"wav16": "wav", "wav24": "wav", "wav32f": "wav", "flac": "flac", "mp3": "mp3",
       "opus": "opus", "aac": "m4a"}
for i, (inp, target, fmt, lufs, ceiling, extra) in enumerate(cases):
    out = path("out%d.%s" % (i, ext[fmt]))
    args = ["master", inp, "-o", out, "--format", fmt, "--json", "-q"] + extra
    if target:
        args += ["--target", target]
    rc, so, se = run(*args)
    name = "master %s %s%s" % (target or "custom", fmt, " " + " ".join(extra) if extra else "")
    if rc != 0:
        check(False, "%s: exit %d: %s" % (name, rc, se.strip()))
        continue
    rep = json.loads(so)[0]
    w = analyze(out)
    ok_l = lufs is None or abs(w["integrated_lufs"] - lufs) <= 0.1
    check(ok_l and w["true_peak_dbtp"] <= ceiling,
          "%s: written file %.2f LUFS, %.2f dBTP (target %s, ceiling %.1f)"
          % (name, w["integrated_lufs"], w["true_peak_dbtp"], lufs, ceiling))
    check(rep["status"] == "ok" and abs(rep["after"]["integrated_lufs"] - w["integrated_lufs"]) < 0.01,
          "%s: report matches the written file" % name)
    if lufs is None:
        check(abs(rep["gain_db"]) < 1e-9, "%s: no loudness target, gain 0" % name)
    ff = ffmpeg_measure(out)
    if ff and lufs is not None:
        check(abs(ff[0] - lufs) <= 0.15 and ff[1] <= ceiling + 0.1,
              "%s: FFmpeg ebur128 reads %.2f LUFS, %.2f dBTP" % (name, ff[0], ff[1]))
    if fmt == "wav16":
        check(wav_bits(out) == 16, "%s: 16-bit" % name)
    if fmt == "wav24":
        check(wav_bits(out) == 24, "%s: 24-bit" % name)
    if "--rate" in extra:
        check(w["rate_hz"] == 44100, "%s: resampled to 44.1 kHz" % name)
    elif fmt != "opus":
        check(w["rate_hz"] == analyze(inp)["rate_hz"], "%s: rate kept" % name)
    check(w["channels"] == analyze(inp)["channels"], "%s: channels kept" % name)
    if fmt in ("mp3", "opus", "aac"):
        check(any("headroom" in m for m in rep["messages"]), "%s: headroom stated" % name)
check(not leftovers(TMP), "no temporary file left")

# --report: a PNG (when built with cairo)
rc, so, se = run("master", demo, "-o", path("rep.flac"), "--report", path("rep.png"), "-q",
                 "--json")
with open(path("rep.png"), "rb") as fh:
    magic = fh.read(8)
check(rc == 0 and magic == b"\x89PNG\r\n\x1a\n", "--report writes a PNG")
# --max-limiting: the target needs more limiting than allowed, said so
rc, so, se = run("master", demo, "-o", path("ml.wav"), "--loudness", "-8",
                 "--max-limiting", "2", "--json", "-q")
rep = json.loads(so)[0]
check(rc == 0 and rep["status"] == "warning" and rep["limiter_max_reduction_db"] <= 2.3
      and any("--max-limiting" in m for m in rep["messages"]),
      "--max-limiting: gain lowered and said so (reduction %.2f dB, %.2f LUFS)"
      % (rep["limiter_max_reduction_db"], rep["after"]["integrated_lufs"]))
# --max-gain: a very quiet file is raised by at most that much, said so
quiet = gst_wav("quiet.wav", "wave=pink-noise volume=0.003", "channels=2", 5)
rc, so, se = run("master", quiet, "-o", path("quiet-out.wav"), "--max-gain", "10",
                 "--json", "-q")
rep = json.loads(so)[0]
check(rc == 0 and abs(rep["gain_db"] - 10) < 1e-6 and rep["status"] == "warning"
      and any("--max-gain" in m for m in rep["messages"]),
      "--max-gain: gain held at 10 dB and said so")

# ---------------------------------------------------------------------------
# safety
rc, _, err = run("master", path("missing.wav"), "-o", path("x.wav"), "-q")
check(rc == 1 and "missing.wav" in err and not os.path.exists(path("x.wav")),
      "missing input: named, exit 1, no output")
bad = path("bad.wav")
with open(bad, "w") as fh:
    fh.write("this is not audio\n" * 100)
rc, _, err = run("master", bad, "-o", path("x.wav"), "-q")
check(rc == 1 and "bad.wav" in err and "decode" in err and not os.path.exists(path("x.wav")),
      "undecodable input: named, exit 1, no output")
silent = gst_wav("silent.wav", "wave=silence", "channels=2", 5)
rc, so, err = run("master", silent, "-o", path("silent-out.wav"), "--json", "-q")
rep = json.loads(so)[0] if so else {}
check(rc == 0 and rep.get("status") == "warning" and rep.get("gain_db") == 0
      and any("silent" in m for m in rep.get("messages", []))
      and os.path.exists(path("silent-out.wav")),
      "silent input: said so, gain left at 0, written")
short = gst_wav("short.wav", "wave=sine volume=0.3", "channels=2", 0.3)
rc, _, err = run("master", short, "-o", path("short-out.wav"), "-q")
check(rc == 1 and "short.wav" in err and "400 ms" in err
      and not os.path.exists(path("short-out.wav")),
      "input under 400 ms: refused, named")
short2 = gst_wav("short2.wav", "wave=pink-noise volume=0.3", "channels=2", 2)
rc, so, err = run("master", short2, "-o", path("short2-out.wav"), "--json", "-q")
rep = json.loads(so)[0] if so else {}
check(rc == 0 and rep.get("status") == "warning" and any("3 s" in m for m in rep["messages"])
      and abs(analyze(path("short2-out.wav"))["integrated_lufs"] + 14) <= 0.1,
      "input of 2 s: mastered, warned about 3 s")
rc, _, err = run("master", demo, "-o", path("x.wav"), "--target", "nonsense")
check(rc == 2 and "nonsense" in err, "unknown target: exit 2, named")
notdir = path("plainfile")
open(notdir, "w").close()
rc, _, err = run("master", tone, "-o", os.path.join(notdir, "x.wav"), "-q")
check(rc == 1 and "x.wav" in err, "unwritable output: exit 1, named")
before = open(tone, "rb").read()
rc, _, err = run("master", tone, "-o", tone, "-q")
check(rc == 1 and "overwrite" in err and open(tone, "rb").read() == before,
      "input as output: refused, input untouched")
link = path("tone-link.wav")
os.symlink(tone, link)
rc, _, err = run("master", tone, "-o", link, "-q")
check(rc == 1 and open(tone, "rb").read() == before, "input through a symlink: refused")

# Interrupted: no output, no temporary file.
outdir = path("interrupted")
os.mkdir(outdir)
p = subprocess.Popen([GM, "master", demo, "-o", os.path.join(outdir, "x.flac"), "-q"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
time.sleep(0.4)
p.send_signal(signal.SIGINT)
p.wait(timeout=60)
check(p.returncode != 0 and os.listdir(outdir) == [],
      "Ctrl-C: exit %d, nothing left in the output folder" % p.returncode)

# Progress bar: on a terminal only, with percent, speed and time left.
import pty
master_fd, slave_fd = pty.openpty()
p = subprocess.Popen([GM, "master", demo, tone, "-o", path("pty"), "-j", "1"],
                     stdout=subprocess.DEVNULL, stderr=slave_fd)
os.close(slave_fd)
seen = b""
while True:
    try:
        chunk = os.read(master_fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
p.wait(timeout=120)
os.close(master_fd)
text = seen.decode(errors="replace")
check(p.returncode == 0 and "%" in text and "realtime" in text and "left" in text,
      "progress bar on a terminal: percent, speed, time left")
rc, _, err = run("master", demo, "-o", path("noterm.wav"))
check(rc == 0 and "%" not in err and "realtime" not in err, "no progress bar when not a terminal")

# ---------------------------------------------------------------------------
# several inputs, one bad
outdir = path("many")
rc, so, err = run("master", tone, bad, short2, "-o", outdir, "-j", "2", "--json", "-q")
reps = json.loads(so)
by = {os.path.basename(r["input"]): r for r in reps}
check(rc == 1 and by["bad.wav"]["status"] == "error" and by["tone-23.wav"]["status"] == "ok"
      and sorted(os.listdir(outdir)) == ["short2.wav", "tone-23.wav"],
      "several inputs, one bad: reported, the others written, exit 1")
check(all(abs(analyze(os.path.join(outdir, n))["integrated_lufs"] + 14) <= 0.1
          for n in ("tone-23.wav", "short2.wav")), "several inputs: each on target")
rc, _, _ = run("master", tone, short2, "-o", path("many2"), "-q", "--format", "flac")
check(rc == 0 and sorted(os.listdir(path("many2"))) == ["short2.flac", "tone-23.flac"],
      "several inputs: names kept, format's extension, exit 0")

shutil.rmtree(TMP)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
