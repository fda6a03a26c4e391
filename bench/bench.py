#!/usr/bin/python3
"""Whole-pipeline benchmark of the mastering elements against their peers.

Every case is one complete process (gst-launch-1.0 or ffmpeg) that reads the
same 10 minutes of generated 48 kHz stereo F32LE audio from a file and throws
the result away.  Cases are run interleaved (A, B, C, A, B, C, ...) so that
the noise of a shared machine hits all of them alike; the median wall time of
each case is reported as a realtime factor and as a ratio to our element,
computed from medians of the same invocation.

Usage:
    /usr/bin/python3 bench/bench.py --build-dir build [--runs 5] [--only eq]
                                    [--markdown docs/benchmarks.md]

The loudness group also runs bench/bench-loudness from the build dir: our
loudness core against libebur128 (integrated, LRA, true peak) on the same
samples in memory, reported under the group's table.

The report opens with the speed targets (a peer case's 'target': how many
times faster than that peer ours must be, by median wall times of the same
run) and says met, not met, or not evaluated (ours missing: its factory is
not built yet, as for the dynamics groups of issue 14 until they land).

Adding an element: append cases to CASES (the table's comment lists the
fields) and, if the group needs one, a verification in GROUPS.  Smoke test
of a group: --seconds 20 --runs 1 --only GROUP.
Standard library only, plus numpy for generating the audio and verifying the
peers.
"""

import argparse
import datetime
import math
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RATE = 48000
CHANNELS = 2
BYTES_PER_FRAME = 4 * CHANNELS
DATA_VERSION = 1          # bump when the generated signal changes
DEFAULT_SECONDS = 600
DEFAULT_BLOCKSIZE = 8192  # bytes per buffer: 1024 frames, 21.3 ms
CACHE_DIR = os.path.join(tempfile.gettempdir(), "mastering-bench")

# ---------------------------------------------------------------------------
# Settings shared by ours and the peers
# ---------------------------------------------------------------------------

# imager: the width both ours and FFmpeg's stereotools (slev) apply, and
# ours' mono bass in its second case.
IMAGER_WIDTH_PCT = 150.0
IMAGER_MONO_BELOW_HZ = 150.0

# dehum: 50 Hz mains, the fundamental and 5 harmonics (6 lines), notches
# 5 Hz wide in ours and in FFmpeg's bandreject chain.  The verification
# adds hum (-40 dBFS fundamental, 3 dB less each harmonic) to 10 s of the
# music, on the mains and DEHUM_OFFSET_HZ off them (the drift ours tracks).
DEHUM_MAINS_HZ = 50.0
DEHUM_LINES = 6
DEHUM_WIDTH_HZ = 5.0
DEHUM_HUM_DB = -40.0
DEHUM_OFFSET_HZ = 0.2


def dehum_ffmpeg_af(width_hz=DEHUM_WIDTH_HZ):
    return ",".join("bandreject=f=%s:width_type=h:w=%s" % (
        _num(DEHUM_MAINS_HZ * k), _num(width_hz))
        for k in range(1, DEHUM_LINES + 1))

# reverb: our decay time; freeverb's room size (0..1: its comb feedback
# 0.7 + 0.28 x room-size), whose decay the verification measures.
REVERB_DECAY_S = 2.0
FREEVERB_ROOM_SIZE = 0.8
# delay: the echo time both are set to.
DELAY_MS = 250.0

# Five active peak (bell) bands: (centre Hz, gain dB, Q).
EQ_BANDS = [
    (100.0, 3.0, 1.0),
    (400.0, -2.0, 1.0),
    (1500.0, 1.5, 0.7),
    (5000.0, -1.0, 2.0),
    (12000.0, 2.0, 0.7),
]


def _num(x):
    """Compact, exact-enough textual number for a pipeline description."""
    return ("%.6g" % x)


def eq_ours_chain():
    props = ["eq", "num-bands=%d" % len(EQ_BANDS)]
    for i, (f, g, q) in enumerate(EQ_BANDS):
        props += ["band%d::type=peak" % i, "band%d::freq=%s" % (i, _num(f)),
                  "band%d::gain=%s" % (i, _num(g)), "band%d::q=%s" % (i, _num(q))]
    return " ".join(props)


def nbands_bandwidth(f, q):
    return RATE / math.pi * math.atan(math.sin(2 * math.pi * f / RATE) / (2 * q))


def eq_nbands_chain():
    # equalizer-nbands: bandwidth is in Hz.  Its peak filter is the RBJ one
    # with alpha = tan(pi * bandwidth / rate), so the bandwidth giving the
    # RBJ alpha = sin(w0) / (2 Q) makes it the same filter as the others;
    # this is freq / Q at low frequencies (9.47 kHz instead of 17.1 kHz for
    # 12 kHz, Q 0.7).  The cost does not depend on it.  num-bands makes
    # the first band a low shelf and the last a high shelf: set every type
    # (after num-bands, which resets them).
    props = ["equalizer-nbands", "num-bands=%d" % len(EQ_BANDS)]
    for i, (f, g, q) in enumerate(EQ_BANDS):
        props += ["band%d::type=peak" % i, "band%d::freq=%s" % (i, _num(f)),
                  "band%d::bandwidth=%s" % (i, _num(nbands_bandwidth(f, q))),
                  "band%d::gain=%s" % (i, _num(g))]
    return " ".join(props)


LSP_EQ = "lsp-plug-in-plugins-lv2-para-equalizer-x16-stereo"


def eq_lsp_chain():
    # LSP Parametric Equalizer x16 Stereo through the lv2 element.  Defaults
    # kept: mode=IIR, fm-N (filter mode)=RLC (BT), s-N (slope)=x1, fft=Off,
    # unused bands ft-N=Off.  ft-N=1 is "Bell"; g-N is a linear factor.
    props = [LSP_EQ, "enabled=true"]
    for i, (f, g, q) in enumerate(EQ_BANDS):
        props += ["ft-%d=1" % i, "f-%d=%s" % (i, _num(f)),
                  "g-%d=%s" % (i, _num(10.0 ** (g / 20.0))),
                  "q-%d=%s" % (i, _num(q))]
    return " ".join(props)


def eq_ffmpeg_af():
    return ",".join("equalizer=f=%s:t=q:w=%s:g=%s" % (_num(f), _num(q), _num(g))
                    for f, g, q in EQ_BANDS)


# Limiter: the issue's test, +12 dB into a -1 dB ceiling (dBTP for ours,
# dBFS sample peak for alimiter, LSP's threshold at its 4x rate).
LIMITER_CEILING_DB = -1.0
LIMITER_INPUT_GAIN_DB = 12.0
# Time constants given to the peers (ms): the defaults of each, stated so
# a later default change does not silently change the benchmark.
ALIMITER_ATTACK_MS = 5.0      # also its lookahead
ALIMITER_RELEASE_MS = 50.0
LSP_LIMITER_LOOKAHEAD_MS = 5.0
LSP_LIMITER_ATTACK_MS = 5.0
LSP_LIMITER_RELEASE_MS = 5.0  # its range is 0.25..20 ms
LOUDNORM_TARGET_LUFS = -23.0    # EBU R128
LOUDNORM_CEILING_DBTP = -1.0
LOUDNORM_FFMPEG_LRA = 20.0


def _lin(db):
    return 10.0 ** (db / 20.0)


def limiter_ours_chain(extra=""):
    # Ours with every default (a message every second, as a user gets it),
    # and with @extra; each GStreamer bus message wakes gst-launch's main
    # loop, 25 to 45 us across threads on this machine (level pays the
    # same at its 100 ms): 0.15 to 0.3 s per 10 minutes at 100 ms.
    return "limiter ceiling=%s input-gain=%s%s" % (
        _num(LIMITER_CEILING_DB), _num(LIMITER_INPUT_GAIN_DB),
        " " + extra if extra else "")


def limiter_ffmpeg_af():
    # level_in and limit are linear factors; level=disabled turns off its
    # "auto level" (which otherwise gains the output back up to 0 dBFS);
    # latency=false (default): no delay compensation, like a live limiter.
    return ("alimiter=level_in=%s:limit=%s:attack=%s:release=%s:level=disabled"
            % (_num(_lin(LIMITER_INPUT_GAIN_DB)), _num(_lin(LIMITER_CEILING_DB)),
               _num(ALIMITER_ATTACK_MS), _num(ALIMITER_RELEASE_MS)))


LSP_LIMITER = "lsp-plug-in-plugins-lv2-limiter-stereo"


def limiter_lsp_chain(input_gain_db=LIMITER_INPUT_GAIN_DB):
    # LSP Limiter Stereo through the lv2 element.  th (threshold) and g-in
    # (input gain) are linear factors; ovs=16 is "Full x4(3L)" (the whole
    # signal 4x oversampled, 3-lobe Lanczos filters); mode=0 "Herm Thin"
    # (default); boost=false (default: no make-up gain to 0 dBFS); slink
    # 100 % (default); dith=None (default); alr (automatic level
    # regulation) off (default).
    return " ".join([
        LSP_LIMITER, "enabled=true",
        "th=%s" % _num(_lin(LIMITER_CEILING_DB)),
        "g-in=%s" % _num(_lin(input_gain_db)),
        "ovs=16", "mode=0", "boost=false",
        "lk=%s" % _num(LSP_LIMITER_LOOKAHEAD_MS),
        "at=%s" % _num(LSP_LIMITER_ATTACK_MS),
        "rt=%s" % _num(LSP_LIMITER_RELEASE_MS)])


# Dynamics (issue 14).  Ours run with their defaults (mbcomp: num-bands=4,
# minimum phase); so do the peers, except where theirs would not compress
# at all (LSP's multiband ratio 1, FFmpeg deesser's intensity 0) or there
# is no default (mcompand).  The LSP elements need every on/off port set:
# the lv2 element gives a toggle FALSE whatever the plugin's own default
# (enabled, ce-N, cbe-N are 1 in the plugin's .ttl), so "enabled=true" and
# the band switches are the plugin's defaults made explicit.  Its graph
# and meter switches stay off (ife/ofe, *-visibility): no FFT analysis
# nobody looks at.  The cost of a compressor hardly depends on how much it
# compresses; these settings only make sure each peer does.
MBCOMP_BANDS = 4
MBCOMP_CROSSOVERS_HZ = (120.0, 1000.0, 5000.0)
MBCOMP_THRESHOLD_DB = -20.0   # every band of the peers
MBCOMP_RATIO = 4.0            # LSP's single-band compressor default
MBCOMP_ATTACK_MS = 20.0       # LSP's per-band defaults
MBCOMP_RELEASE_MS = 100.0
MCOMPAND_KNEE_DB = 6.0        # the soft knee of FFmpeg's documented example
FFMPEG_DEESSER_INTENSITY = 0.5   # its default 0 leaves the audio untouched
# The chain's limiter: ours with every default (ceiling -1 dBTP, no input
# gain); the peers at the same ceiling, time constants as the limiter group.
CHAIN_LIMITER_INPUT_GAIN_DB = 0.0


def mbcomp_ours_chain(compressing=False):
    """Ours at its defaults (neutral bands: ratio 1, where it runs only its
    crossovers' all-pass, not the band tree), or compressing=True: every
    band set as the peers' are."""
    props = ["mbcomp num-bands=%d" % MBCOMP_BANDS]
    if compressing:
        for band in range(MBCOMP_BANDS):
            props += ["band%d::%s=%s" % (band, name, _num(value))
                      for name, value in (("threshold", MBCOMP_THRESHOLD_DB),
                                          ("ratio", MBCOMP_RATIO),
                                          ("attack", MBCOMP_ATTACK_MS),
                                          ("release", MBCOMP_RELEASE_MS))]
    return " ".join(props)


LSP_MBCOMP = "lsp-plug-in-plugins-lv2-mb-compressor-stereo"
LSP_COMPRESSOR = "lsp-plug-in-plugins-lv2-compressor-stereo"
LSP_GATE = "lsp-plug-in-plugins-lv2-gate-stereo"


def mbcomp_lsp_chain():
    # LSP Multiband Compressor Stereo x8 through the lv2 element.  Band 0
    # always exists; split N (cbe-N, at sf-N Hz) starts band N, so splits
    # 2, 4 and 6 give four bands, 0, 2, 4 and 6 (checked: a band's
    # compressor alone moves only its part of the spectrum).  mode=0 is
    # "Classic", the issue's choice (the signal split by crossover filters,
    # each band compressed, the bands summed; "Modern" is the default);
    # al-N (threshold) is a linear factor; sidechain RMS on Middle,
    # reactivity 10 ms, envelope boost Pink BT, knee -6 dB: defaults.
    props = [LSP_MBCOMP, "enabled=true", "mode=0"]
    active = {2 * (i + 1): f for i, f in enumerate(MBCOMP_CROSSOVERS_HZ)}
    for split in range(1, 8):
        if split in active:
            props += ["cbe-%d=true" % split, "sf-%d=%s" % (split, _num(active[split]))]
        else:
            props += ["cbe-%d=false" % split]
    for band in [0] + sorted(active):
        props += ["ce-%d=true" % band,
                  "al-%d=%s" % (band, _num(_lin(MBCOMP_THRESHOLD_DB))),
                  "cr-%d=%s" % (band, _num(MBCOMP_RATIO)),
                  "at-%d=%s" % (band, _num(MBCOMP_ATTACK_MS)),
                  "rt-%d=%s" % (band, _num(MBCOMP_RELEASE_MS))]
    return " ".join(props)


def mbcomp_ffmpeg_af():
    # mcompand: bands separated by "|", each "attack,decay soft-knee
    # transfer-points crossover", times in s, points in dB in/out; a band
    # keeps what is under its crossover and hands the rest on, and a last
    # crossover of 0 keeps all the rest (Linkwitz-Riley 4th order splits).
    # Transfer: unity up to the threshold, 1/ratio above it.
    top_out = MBCOMP_THRESHOLD_DB * (1.0 - 1.0 / MBCOMP_RATIO)
    band = "%s,%s %s -90/-90,%s/%s,0/%s" % (
        _num(MBCOMP_ATTACK_MS / 1000.0), _num(MBCOMP_RELEASE_MS / 1000.0),
        _num(MCOMPAND_KNEE_DB), _num(MBCOMP_THRESHOLD_DB),
        _num(MBCOMP_THRESHOLD_DB), _num(top_out))
    # The commas inside the argument are escaped for the filter graph.
    xovers = list(MBCOMP_CROSSOVERS_HZ) + [0.0]
    return "mcompand=" + " | ".join(
        "%s %s" % (band, _num(f)) for f in xovers).replace(",", "\\,")


def compressor_lsp_chain():
    # LV2 defaults: threshold -12 dB, ratio 4, knee -6 dB, attack 20 ms,
    # release 100 ms, feed-forward, RMS sidechain on Middle, no lookahead.
    return "%s enabled=true" % LSP_COMPRESSOR


def gate_lsp_chain():
    # LV2 defaults: threshold -24 dB (zone -6 dB), reduction -24 dB,
    # attack 20 ms, release 100 ms, no hysteresis, RMS sidechain.
    return "%s enabled=true" % LSP_GATE


def dither_chain(quantizer):
    """F32 to S16 through @quantizer; audioconvert after it (a passthrough
    into fakesink) turns S16 into the F32 the verification reads."""
    return "%s ! audio/x-raw,format=S16LE ! audioconvert" % quantizer


def chain_ours(compressing=False):
    return " ! ".join([eq_ours_chain(), mbcomp_ours_chain(compressing),
                       "limiter"])


def chain_lsp():
    return " ! ".join([eq_lsp_chain(), mbcomp_lsp_chain(),
                       limiter_lsp_chain(CHAIN_LIMITER_INPUT_GAIN_DB)])


def chain_ffmpeg_af():
    alimiter = ("alimiter=level_in=%s:limit=%s:attack=%s:release=%s:"
                "level=disabled" % (
                    _num(_lin(CHAIN_LIMITER_INPUT_GAIN_DB)),
                    _num(_lin(LIMITER_CEILING_DB)), _num(ALIMITER_ATTACK_MS),
                    _num(ALIMITER_RELEASE_MS)))
    return ",".join([eq_ffmpeg_af(), mbcomp_ffmpeg_af(), alimiter])


def chain_ffmpeg_oversampled_af():
    """The same chain with alimiter run at 4x the rate (192 kHz), FFmpeg's
    nearest to a true-peak limiter: its output's peaks between samples are
    the 4x samples alimiter held under the ceiling, up to the resampler's
    ringing."""
    parts = chain_ffmpeg_af().split(",")
    return ",".join(parts[:-1] + ["aresample=%d" % (4 * RATE), parts[-1],
                                  "aresample=%d" % RATE])


# ---------------------------------------------------------------------------
# The case table
# ---------------------------------------------------------------------------
#
# name      unique, short; printed in the tables
# group     --only selects groups; every group has one role='ours' case
# role      'ours', 'peer' or 'baseline'
# baseline  name of the baseline case whose time is subtracted for "net"
# chain     a gst-launch chain placed between the source and fakesink, or
# ffmpeg_af an ffmpeg -af filter graph, or
# cmd       a full command (list; "{input}" is replaced by the data file)
# requires  element factories ('gst:NAME') and ffmpeg filters ('ffmpeg:NAME')
#           that must exist, else the case is skipped with a warning
# note      free text for the markdown report
# target    (peers) how many times faster than this peer ours must be, by
#           median wall times of the same run (whole pipelines); the
#           report's Targets section says met or not met
#
# Baselines are group 'baseline'; --only adds the baselines a group refers to.

CASES = [
    dict(name="gst baseline", group="baseline", role="baseline",
         chain=None, requires=[],
         note="source ! rawaudioparse ! fakesink, nothing else"),
    dict(name="ffmpeg baseline", group="baseline", role="baseline",
         ffmpeg_af="anull", requires=["ffmpeg:anull"],
         note="ffmpeg reading the file, -af anull, null muxer"),

    # --- eq: five active peak bands --------------------------------------
    dict(name="eq (mastering)", group="eq", role="ours",
         baseline="gst baseline", chain=eq_ours_chain(),
         requires=["gst:eq"]),
    dict(name="equalizer-nbands", group="eq", role="peer",
         baseline="gst baseline", chain=eq_nbands_chain(),
         requires=["gst:equalizer-nbands"],
         note="gst-plugins-good; bandwidth in Hz chosen to give the RBJ filter of freq, Q (≈ freq / Q)"),
    dict(name="LSP para-equalizer x16 (lv2)", group="eq", role="peer",
         baseline="gst baseline", chain=eq_lsp_chain(),
         requires=["gst:" + LSP_EQ],
         note="lsp-plugins-lv2 via the lv2 element; IIR mode, bell, RLC (BT)"),
    dict(name="ffmpeg equalizer x5", group="eq", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af=eq_ffmpeg_af(),
         requires=["ffmpeg:equalizer"],
         note="separate program, not a GStreamer pipeline: compare its net time"),

    # --- limiter: +12 dB into a -1 dB ceiling -----------------------------
    dict(name="limiter (mastering)", group="limiter", role="ours",
         baseline="gst baseline", chain=limiter_ours_chain(),
         requires=["gst:limiter"],
         note="every default: true peak on, lookahead and release at their "
              "defaults, a message every second"),
    dict(name="limiter (mastering), post-messages=false", group="limiter",
         role="peer", baseline="gst baseline",
         chain=limiter_ours_chain("post-messages=false"),
         requires=["gst:limiter"],
         note="ours without messages (the peers post none): what the "
              "default's messages cost"),
    dict(name="limiter (mastering), messages every 100 ms", group="limiter",
         role="peer", baseline="gst baseline",
         chain=limiter_ours_chain("interval=100000000"),
         requires=["gst:limiter"],
         note="ours with the former default interval: the cost of "
              "GStreamer's bus, not of the limiting"),
    dict(name="ffmpeg alimiter", group="limiter", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af=limiter_ffmpeg_af(),
         requires=["ffmpeg:alimiter"],
         note="sample-peak limiter, no true-peak detection; separate program, "
              "not a GStreamer pipeline: compare its net time"),
    dict(name="LSP limiter stereo, Full x4(3L) (lv2)", group="limiter",
         role="peer", baseline="gst baseline", chain=limiter_lsp_chain(),
         requires=["gst:" + LSP_LIMITER], target=10.0,
         note="lsp-plugins-lv2 via the lv2 element; 4x oversampled "
              "detection and processing, 3-lobe filters"),

    # --- loudness meter: M, S, I, LRA and true peak ----------------------
    dict(name="loudmeter (mastering)", group="loudness", role="ours",
         baseline="gst baseline", chain="loudmeter interval=100000000",
         requires=["gst:loudmeter"],
         note="messages every 100 ms, true peak 4x"),
    dict(name="ffmpeg ebur128 peak=true", group="loudness", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="ebur128=peak=true",
         requires=["ffmpeg:ebur128"],
         note="true peak by resampling to 192 kHz; separate program, not a "
              "GStreamer pipeline: compare its net time"),

    # --- master: a whole file to the streaming target ---------------------
    # Both read the music as a 32-bit float WAV ({wav}) and write one.
    dict(name="gst-master master (mastering)", group="master", role="ours",
         cmd=["{gst-master}", "master", "{wav}", "-o", "{outdir}/ours.wav",
              "--target", "streaming", "--format", "wav32f", "-q"],
         requires=["gst:limiter", "gst:loudmeter", "exe:gst-master"],
         note="-14 LUFS, -1 dBTP: measure, exact gain into the true-peak "
              "limiter, the written file measured again (all in the time); "
              "its pass 2 runs on two streaming threads"),
    dict(name="ffmpeg loudnorm two-pass", group="master", role="peer",
         cmd=["{python}", "{bench}", "--ffmpeg-loudnorm-two-pass", "{wav}",
              "{outdir}/ffmpeg.wav"],
         requires=["ffmpeg:loudnorm"],
         note="pass 1 `-af loudnorm=I=-14:TP=-1:print_format=json -f null -`, "
              "pass 2 with measured_I/TP/LRA/thresh, offset and linear=true "
              "(FFmpeg falls back to its dynamic mode when the linear gain "
              "would push the true peak over TP); both passes timed"),
    # --- loudnorm: live normalisation to -23 LUFS under -1 dBTP ----------
    dict(name="loudnorm (mastering)", group="loudnorm", role="ours",
         baseline="gst baseline",
         chain="loudnorm target=%s ceiling=%s" % (
             _num(LOUDNORM_TARGET_LUFS), _num(LOUDNORM_CEILING_DBTP)),
         requires=["gst:loudnorm"],
         note="live mode (default), messages every second (default)"),
    dict(name="ffmpeg loudnorm (dynamic)", group="loudnorm", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="loudnorm=I=%s:TP=%s:LRA=%s" % (
             _num(LOUDNORM_TARGET_LUFS), _num(LOUDNORM_CEILING_DBTP),
             _num(LOUDNORM_FFMPEG_LRA)),
         requires=["ffmpeg:loudnorm"],
         note="single pass (dynamic mode); it works and outputs at 192 kHz; "
              "separate program, not a GStreamer pipeline: compare its net "
              "time"),
    dict(name="audioloudnorm (gst-plugins-rs)", group="loudnorm", role="peer",
         baseline="gst baseline",
         chain="audioresample ! audio/x-raw,rate=192000,format=F64LE ! "
               "audioloudnorm loudness-target=%s max-true-peak=%s" % (
                   _num(LOUDNORM_TARGET_LUFS), _num(LOUDNORM_CEILING_DBTP)),
         requires=["gst:audioloudnorm"],
         note="a port of FFmpeg's dynamic mode; 192 kHz F64 only, so "
              "resampled in front"),

    # --- dynamics (issue 14): settings above the table ---------------------
    dict(name="mbcomp (mastering)", group="mbcomp", role="ours",
         baseline="gst baseline", chain=mbcomp_ours_chain(),
         requires=["gst:mbcomp"],
         note="4 bands, every other setting its default (minimum phase)"),
    dict(name="mbcomp (mastering), compressing as the peers",
         group="mbcomp", role="peer", baseline="gst baseline",
         chain=mbcomp_ours_chain(compressing=True), requires=["gst:mbcomp"],
         note="every band at the peers' threshold, ratio, attack and "
              "release: the defaults are neutral (ratio 1) and idle bands "
              "skip their gain stage, so this is what compressing costs"),
    dict(name="LSP mb-compressor stereo, classic, 4 bands (lv2)",
         group="mbcomp", role="peer", baseline="gst baseline",
         chain=mbcomp_lsp_chain(), requires=["gst:" + LSP_MBCOMP], target=5.0,
         note="lsp-plugins-lv2 via the lv2 element; classic mode, splits "
              "2, 4, 6 on (bands 0, 2, 4, 6), every band compressing"),
    dict(name="ffmpeg mcompand, 4 bands", group="mbcomp", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af=mbcomp_ffmpeg_af(),
         requires=["ffmpeg:mcompand"], target=3.0,
         note="Linkwitz-Riley 4th-order crossovers; separate program, not a "
              "GStreamer pipeline: compare its net time"),

    dict(name="compressor (mastering)", group="compressor", role="ours",
         baseline="gst baseline", chain="compressor",
         requires=["gst:compressor"], note="every default"),
    dict(name="ffmpeg acompressor", group="compressor", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="acompressor",
         requires=["ffmpeg:acompressor"], target=3.0,
         note="its defaults: threshold -18 dB, ratio 2, attack 20 ms, release "
              "250 ms, RMS detection; separate program, not a GStreamer "
              "pipeline: compare its net time"),
    dict(name="LSP compressor stereo (lv2)", group="compressor", role="peer",
         baseline="gst baseline", chain=compressor_lsp_chain(),
         requires=["gst:" + LSP_COMPRESSOR],
         note="informative, no target; lsp-plugins-lv2 via the lv2 element, "
              "its defaults: threshold -12 dB, ratio 4, attack 20 ms, release "
              "100 ms, RMS sidechain"),

    # --- denoise: spectral noise reduction -------------------------------
    dict(name="denoise (mastering)", group="denoise", role="ours",
         baseline="gst baseline", chain="denoise", requires=["gst:denoise"]),
    dict(name="ffmpeg afftdn", group="denoise", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="afftdn",
         requires=["ffmpeg:afftdn"], target=1.0,
         note="its defaults (nr 12 dB, nf -50 dB, no tracking)"),

    dict(name="gate (mastering)", group="gate", role="ours",
         baseline="gst baseline", chain="gate", requires=["gst:gate"],
         note="every default"),
    dict(name="ffmpeg agate", group="gate", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="agate",
         requires=["ffmpeg:agate"], target=3.0,
         note="its defaults: threshold -18 dB, range -24 dB, ratio 2, attack "
              "20 ms, release 250 ms; separate program, not a GStreamer "
              "pipeline: compare its net time"),
    dict(name="LSP gate stereo (lv2)", group="gate", role="peer",
         baseline="gst baseline", chain=gate_lsp_chain(),
         requires=["gst:" + LSP_GATE],
         note="informative, no target; lsp-plugins-lv2 via the lv2 element, "
              "its defaults: threshold -24 dB, reduction -24 dB, attack "
              "20 ms, release 100 ms"),

    dict(name="deesser (mastering)", group="deesser", role="ours",
         baseline="gst baseline", chain="deesser", requires=["gst:deesser"],
         note="every default"),
    dict(name="deesser threshold=-50 (mastering), acting", group="deesser",
         role="peer", baseline="gst baseline", chain="deesser threshold=-50",
         requires=["gst:deesser"],
         note="at the defaults ours hardly acts on this music (its level "
              "moves 0.02 dB), and its idle frames are cheaper; with the "
              "threshold 20 dB lower it does: FFmpeg's time over this one "
              "is the ratio when both act"),
    dict(name="ffmpeg deesser", group="deesser", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="deesser=i=%s" % _num(FFMPEG_DEESSER_INTENSITY),
         requires=["ffmpeg:deesser"], target=2.0,
         note="intensity %g (its default 0 passes the audio through "
              "untouched), other settings its defaults; separate program, "
              "not a GStreamer pipeline: compare its net time"
              % FFMPEG_DEESSER_INTENSITY),

    # --- imager: width 150 %, balance, mono bass ---------------------------
    dict(name="imager width=150 (mastering)", group="imager", role="ours",
         baseline="gst baseline", chain="imager width=%s" % _num(
             IMAGER_WIDTH_PCT), requires=["gst:imager"],
         note="the side times 1.5: one 2x2 matrix (ORC), a message every "
              "second"),
    dict(name="imager width=150 mono-below=150 (mastering)", group="imager",
         role="peer", baseline="gst baseline",
         chain="imager width=%s mono-below=%s" % (
             _num(IMAGER_WIDTH_PCT), _num(IMAGER_MONO_BELOW_HZ)),
         requires=["gst:imager"],
         note="ours with mono bass: the Linkwitz-Riley 24 dB/octave split "
              "on the side (C), what no peer here offers"),
    dict(name="imager balance=30 (mastering)", group="imager", role="peer",
         baseline="gst baseline", chain="imager balance=30",
         requires=["gst:imager"],
         note="constant-power balance, against audiopanorama's panning"),
    dict(name="audiopanorama panorama=0.3", group="imager", role="peer",
         baseline="gst baseline",
         chain="audiopanorama panorama=0.3 method=psychoacoustic",
         requires=["gst:audiopanorama"],
         note="gst-plugins-good: panning (balance) only, no width or M/S"),
    dict(name="stereo stereo=0.5 (audiofx, S16)", group="imager",
         role="peer", baseline="gst baseline",
         chain="audioconvert ! audio/x-raw,format=S16LE ! stereo stereo=0.5 "
               "! audioconvert ! audio/x-raw,format=F32LE ! identity",
         requires=["gst:stereo"],
         note="gst-plugins-good's stereo enhancer: S16 only, so converted "
              "both ways (in the time; identity closes the chain after the "
              "F32 caps); its 'stereo' is not a calibrated width"),
    dict(name="ffmpeg stereotools slev=1.5", group="imager", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="stereotools=slev=%s" % _num(IMAGER_WIDTH_PCT / 100.0),
         requires=["ffmpeg:stereotools"],
         note="side level 1.5 (its M/S width); separate program, not a "
              "GStreamer pipeline: compare its net time"),
    # --- modulation: chorus, flanger, phaser --------------------------------
    # Comparable settings: three chorus voices near 15 ms swinging a few ms
    # at 0.5 Hz; a flanger of 1..3 ms at 0.5 Hz with 50 % feedback; a
    # phaser at 0.5 Hz with 50 % feedback. Each of ours against the FFmpeg
    # filter below it (the table's ratio is against the chorus).
    dict(name="modulation chorus (mastering)", group="modulation",
         role="ours", baseline="gst baseline",
         chain="modulation mode=chorus voices=3 delay=15 depth=30 rate=0.5",
         requires=["gst:modulation"],
         note="3 voices at 12, 15, 18 ms, each swinging +-15 %, 0.5 Hz, "
              "cubic Lagrange reads, mix 50 %"),
    dict(name="modulation flanger (mastering)", group="modulation",
         role="peer", baseline="gst baseline",
         chain="modulation mode=flanger delay=2 depth=100 rate=0.5 "
               "feedback=50",
         requires=["gst:modulation"],
         note="1 to 3 ms at 0.5 Hz, feedback 50 %, mix 50 %"),
    dict(name="modulation phaser (mastering)", group="modulation",
         role="peer", baseline="gst baseline",
         chain="modulation mode=phaser stages=6 rate=0.5 feedback=50",
         requires=["gst:modulation"],
         note="6 all-pass stages swept 300 Hz .. 3 kHz at 0.5 Hz, feedback "
              "50 %"),
    dict(name="ffmpeg chorus, 3 voices", group="modulation", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="chorus=0.7:0.7:12|15|18:0.5|0.5|0.5:0.5|0.5|0.5:2|2|2",
         requires=["ffmpeg:chorus"],
         note="delays 12, 15, 18 ms, depths 2 ms, 0.5 Hz; against our "
              "chorus; separate program, not a GStreamer pipeline: compare "
              "its net time"),
    dict(name="ffmpeg flanger", group="modulation", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="flanger=delay=1:depth=2:regen=50:speed=0.5:"
                   "interp=quadratic",
         requires=["ffmpeg:flanger"],
         note="1 to 3 ms at 0.5 Hz, regeneration 50 %, quadratic "
              "interpolation; against our flanger; separate program: "
              "compare its net time"),
    dict(name="ffmpeg aphaser", group="modulation", role="peer",
         baseline="ffmpeg baseline",
         ffmpeg_af="aphaser=delay=3:decay=0.5:speed=0.5:type=s",
         requires=["ffmpeg:aphaser"],
         note="its phaser is a modulated delay with decay (not an all-pass "
              "chain), 0.5 Hz sine, decay 0.5; against our phaser; separate "
              "program: compare its net time"),
    # --- dither: F32 to S16 with noise shaping ------------------------------
    dict(name="dither (mastering), high", group="dither", role="ours",
         baseline="gst baseline", chain=dither_chain("dither noise-shaping=high"),
         requires=["gst:dither"],
         note="16 taps; the audioconvert after it passes S16 through to "
              "fakesink (it converts only when the verification writes F32)"),
    dict(name="dither (mastering), f-weighted", group="dither", role="peer",
         baseline="gst baseline",
         chain=dither_chain("dither noise-shaping=f-weighted"),
         requires=["gst:dither"], note="ours, 9 taps (the element's default)"),
    dict(name="audioconvert dithering=tpdf noise-shaping=high", group="dither",
         role="peer", baseline="gst baseline",
         chain=dither_chain("audioconvert dithering=tpdf noise-shaping=high"),
         requires=["gst:audioconvert"],
         note="gst-plugins-base, its strongest curve"),
    dict(name="ffmpeg aresample dither f_weighted", group="dither",
         role="peer", baseline="ffmpeg baseline",
         ffmpeg_af="aresample=osf=s16:dither_method=f_weighted",
         requires=["ffmpeg:aresample"],
         note="libswresample's 9-tap F-weighted set; separate program, not a "
              "GStreamer pipeline: compare its net time"),
    dict(name="ffmpeg aresample dither high_shibata", group="dither",
         role="peer", baseline="ffmpeg baseline",
         ffmpeg_af="aresample=osf=s16:dither_method=high_shibata",
         requires=["ffmpeg:aresample"],
         note="libswresample's strongest curve; separate program"),

    # --- dehum: 50 Hz and 5 harmonics ---------------------------------------
    dict(name="dehum frequency=50 harmonics=6 (mastering)", group="dehum",
         role="ours", baseline="gst baseline",
         chain="dehum frequency=%s harmonics=%d bandwidth=%s" % (
             _num(DEHUM_MAINS_HZ), DEHUM_LINES, _num(DEHUM_WIDTH_HZ)),
         requires=["gst:dehum"],
         note="the mains set; the cancellers track the drift"),
    dict(name="dehum (mastering), auto", group="dehum", role="peer",
         baseline="gst baseline", chain="dehum", requires=["gst:dehum"],
         note="ours at its defaults: 50 and 60 Hz families both fitted "
              "until one is found, 8 harmonics; nothing removed before "
              "(the timed music has no hum: both families run throughout)"),
    dict(name="ffmpeg bandreject x6, 5 Hz", group="dehum", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af=dehum_ffmpeg_af(),
         requires=["ffmpeg:bandreject"],
         note="a fixed biquad band-reject at each line, 5 Hz wide; separate "
              "program, not a GStreamer pipeline: compare its net time"),
    dict(name="ffmpeg bandreject x6, 1 Hz", group="dehum", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af=dehum_ffmpeg_af(1.0),
         requires=["ffmpeg:bandreject"],
         note="the same, 1 Hz wide: less music taken, less drift forgiven"),
    # --- reverb: ours against freeverb ------------------------------------
    dict(name="reverb decay=2 mix=30 (mastering)", group="reverb",
         role="ours", baseline="gst baseline",
         chain="reverb decay=%s mix=30 tail=false" % _num(REVERB_DECAY_S),
         requires=["gst:reverb"],
         note="16-line feedback delay network, exact RT60 (tail off: the "
              "timed file ends with the input)"),
    dict(name="freeverb room-size=%g level=0.3" % FREEVERB_ROOM_SIZE,
         group="reverb", role="peer", baseline="gst baseline",
         chain="freeverb room-size=%g damping=0 level=0.3"
               % FREEVERB_ROOM_SIZE,
         requires=["gst:freeverb"],
         note="gst-plugins-bad: Schroeder/Moorer (8 combs, 4 all-passes a "
              "side); its room size sets feedback, not a decay time"),
    # --- delay: ours against audioecho ------------------------------------
    dict(name="delay time=250 feedback=40 (mastering)", group="delay",
         role="ours", baseline="gst baseline",
         chain="delay time=%s feedback=40 mix=30 tail=false"
               % _num(DELAY_MS), requires=["gst:delay"]),
    dict(name="audioecho delay=250 ms feedback=0.4", group="delay",
         role="peer", baseline="gst baseline",
         chain="audioecho delay=%d max-delay=%d intensity=0.3 feedback=0.4"
               % (int(DELAY_MS * 1e6), int(DELAY_MS * 1e6)),
         requires=["gst:audioecho"],
         note="gst-plugins-good: one tap, feedback, no filters"),

    dict(name="eq ! mbcomp ! limiter (mastering)", group="chain",
         role="ours", baseline="gst baseline", chain=chain_ours(),
         requires=["gst:eq", "gst:mbcomp", "gst:limiter"],
         note="the eq group's 5 bands, mbcomp num-bands=4, the limiter with "
              "every default (true peak, ceiling -1 dBTP, a message every "
              "second)"),
    dict(name="eq ! mbcomp ! limiter (mastering), mbcomp compressing",
         group="chain", role="peer", baseline="gst baseline",
         chain=chain_ours(compressing=True),
         requires=["gst:eq", "gst:mbcomp", "gst:limiter"],
         note="the same with mbcomp's bands set as the peers' (the "
              "default mbcomp is neutral: it runs only its crossovers' "
              "all-pass, three sections a channel, not the band tree)"),
    dict(name="eq ! limiter (mastering), no mbcomp: the bound",
         group="chain", role="peer", baseline="gst baseline",
         chain=" ! ".join([eq_ours_chain(), "limiter"]),
         requires=["gst:eq", "gst:limiter"],
         note="the chain without its mbcomp: FFmpeg's chain time over this "
              "one is the most any mbcomp, however fast, could give the "
              "chain"),
    dict(name="LSP para-eq x16 ! mb-compressor ! limiter Full x4 (lv2)",
         group="chain", role="peer", baseline="gst baseline",
         chain=chain_lsp(), target=10.0,
         requires=["gst:" + LSP_EQ, "gst:" + LSP_MBCOMP, "gst:" + LSP_LIMITER],
         note="the eq, mbcomp and limiter groups' LSP settings, the limiter "
              "without input gain"),
    dict(name="ffmpeg equalizer x5, mcompand, alimiter", group="chain",
         role="peer", baseline="ffmpeg baseline", ffmpeg_af=chain_ffmpeg_af(),
         requires=["ffmpeg:equalizer", "ffmpeg:mcompand", "ffmpeg:alimiter"],
         target=20.0,
         note="the eq, mbcomp and limiter groups' FFmpeg settings, alimiter "
              "without input gain; separate program, not a GStreamer "
              "pipeline: compare its net time"),
    dict(name="ffmpeg equalizer x5, mcompand, alimiter at 4x rate",
         group="chain", role="peer", baseline="ffmpeg baseline",
         ffmpeg_af=chain_ffmpeg_oversampled_af(),
         requires=["ffmpeg:equalizer", "ffmpeg:mcompand", "ffmpeg:alimiter",
                   "ffmpeg:aresample"],
         note="the same with alimiter between aresample to 192 kHz and back: "
              "its peaks held at 4x, as a true-peak limiter's (the issue's "
              "target is against the chain above; this one is for the "
              "comparison with a limiter doing the same work)"),
]

# Restoration: the damage built into the music (bench's generator) before
# each case reads it; the SDR of each output against the clean music.
DECLICK_PER_S = 10          # 300 clicks in 30 s, as in issue 16
DECLIP_OVER_DB = 6.0        # the music's peak this much over full scale
DECLIP_LIGHT_OVER_DB = 3.0  # issue 16's other case, verified, not timed


def clip_over_db(kind):
    """How far over full scale the damage @kind ('clip', 'clip-light')
    drives the music before clipping it."""
    return DECLIP_LIGHT_OVER_DB if kind == "clip-light" else DECLIP_OVER_DB
CASES += [
    # --- declick and declip: the same damaged music for every case -------
    dict(name="declick (mastering)", group="declick", role="ours",
         baseline="gst baseline", chain="declick", damage="clicks",
         requires=["gst:declick"]),
    dict(name="ffmpeg adeclick", group="declick", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="adeclick", damage="clicks",
         requires=["ffmpeg:adeclick"], target=10.0,
         note="its defaults (55 ms window, 75 % overlap, order 2 %, "
              "threshold 2, burst fusion 2, overlap-add)"),
    dict(name="declip (mastering)", group="declip", role="ours",
         baseline="gst baseline", chain="declip", damage="clip",
         requires=["gst:declip"]),
    dict(name="ffmpeg adeclip", group="declip", role="peer",
         baseline="ffmpeg baseline", ffmpeg_af="adeclip", damage="clip",
         requires=["ffmpeg:adeclip"],
         note="its defaults (55 ms window, 75 % overlap, order 8 %, "
              "threshold 10, histogram size 1000)"),
]

MASTER_TARGET_LUFS = -14.0
MASTER_CEILING_DBTP = -1.0

# Per-group verification run before timing (on a short noise file):
#   'eq_response'  the output must differ from the input, and the measured
#                  gain at each band centre is compared with the RBJ peak
#                  filters of EQ_BANDS (a warning above EQ_TOLERANCE_DB)
#   'differs'      the output must differ from the input
#   'limiter'      on 10 s of the generated music instead of the noise:
#                  the output must differ from the input and be limited:
#                  after the first second its sample peak must be at least
#                  LIMITER_MIN_REDUCTION_DB under the input's peak plus the
#                  input gain (else skipped: not limiting); the input gain
#                  must show in the RMS (a warning below +3 dB); reported:
#                  sample peak and 8x true peak against the ceiling.  An
#                  overshoot is reported, not skipped: it is what the
#                  benchmark's reader needs to know (LSP's Full oversampling
#                  modes overshoot the threshold after downsampling).
#   'dynamics'     on 10 s of the generated music, as the limiter: the
#                  output must differ from the input; reported: frames out
#                  against in, RMS and sample peak change; a level change
#                  under DYNAMICS_MIN_CHANGE_DB is flagged (not acting?),
#                  not skipped
#   'restore'      on the first 10 s of the music with the case's damage
#                  (damaged()): the output must differ from the input;
#                  reported: frames out against in, the SDR of the damaged
#                  input and of the output against the clean music (the
#                  output aligned by cross-correlation)
#   'dither'       the error out - in (LSB of 16 bits) on the noise: its
#                  threshold-weighted and total power against flat TPDF
#                  (1/4 LSB^2), reported
#   'reverb'       on an impulse (then 6 s of silence) instead: the wet
#                  response's T30 (Schroeder backward integration, the fit
#                  from -5 to -35 dB, both channels) against ours' decay,
#                  and when the normalized echo density (Abel and Huang,
#                  20 ms windows) first reaches 0.9 (from 20 ms) and its
#                  mean from 100 to 300 ms, reported
#   'delay'        on an impulse: where the first two echoes come (frames,
#                  frame 0 left out) against DELAY_MS, and the second over
#                  the first
#   None           no check (e.g. analysers that pass audio through)
# A peer whose output equals its input is skipped (ours in a 'dynamics'
# group is timed all the same: neutral at its defaults is still its cost).
DENOISE_HISS_DBFS = (-45.0, -35.0)
DENOISE_OURS_REDUCTION_DB = 20.0
DENOISE_MIN_ADVANTAGE_DB = 3.0
PINK_LOW_HZ = 20.0

GROUPS = {
    "baseline": dict(verify=None),
    "eq": dict(verify="eq_response", title="Parametric EQ, 5 peak bands",
               settings="; ".join("%g Hz %+g dB Q %g" % b for b in EQ_BANDS)),
    "limiter": dict(verify="limiter", title="Limiter",
                    settings="input gain %+g dB into a ceiling of %g dB; "
                    "alimiter attack %g ms, release %g ms; LSP lookahead %g ms, "
                    "attack %g ms, release %g ms, oversampling Full x4(3L)" % (
                        LIMITER_INPUT_GAIN_DB, LIMITER_CEILING_DB,
                        ALIMITER_ATTACK_MS, ALIMITER_RELEASE_MS,
                        LSP_LIMITER_LOOKAHEAD_MS, LSP_LIMITER_ATTACK_MS,
                        LSP_LIMITER_RELEASE_MS)),
    "loudness": dict(verify=None, title="Loudness meter"),
    "master": dict(verify=None, title="Mastering a file to a target",
                   settings="streaming target, %g LUFS integrated, %g dBTP; "
                   "outputs of the last timed run measured by FFmpeg ebur128 "
                   "(peak=true) and gst-master analyze" % (
                       MASTER_TARGET_LUFS, MASTER_CEILING_DBTP)),
    "loudnorm": dict(verify="differs", title="Loudness normalisation (live)",
                     settings="target %g LUFS, ceiling %g dBTP; FFmpeg LRA %g "
                     "(its widest, so its gain follows the programme least)" % (
                         LOUDNORM_TARGET_LUFS, LOUDNORM_CEILING_DBTP,
                         LOUDNORM_FFMPEG_LRA)),
    "mbcomp": dict(verify="dynamics", title="Multiband compressor, 4 bands",
                   settings="ours num-bands=%d, otherwise its defaults; the "
                   "peers: crossovers at %s Hz, every band threshold %g dB, "
                   "ratio %g, attack %g ms, release %g ms (mcompand soft knee "
                   "%g dB; LSP classic mode, knee -6 dB, RMS sidechain)" % (
                       MBCOMP_BANDS,
                       ", ".join("%g" % f for f in MBCOMP_CROSSOVERS_HZ),
                       MBCOMP_THRESHOLD_DB, MBCOMP_RATIO, MBCOMP_ATTACK_MS,
                       MBCOMP_RELEASE_MS, MCOMPAND_KNEE_DB)),
    "compressor": dict(verify="dynamics", title="Compressor",
                       settings="each at its defaults"),
    "denoise": dict(verify="denoise", title="Noise reduction",
                    settings="ours at its defaults (reduction %g dB, noise "
                    "tracked; in the verification also with the hiss's true "
                    "density as its profile); afftdn at its defaults, and "
                    "with nf at the "
                    "hiss's true level and tn=1; the verification adds white "
                    "and pink hiss at %s dBFS to 10 s of the music without "
                    "its pink-noise bed (a steady noise itself) "
                    "and measures each one's SDR gain, afftdn's output "
                    "aligned by cross-correlation first" % (
                        DENOISE_OURS_REDUCTION_DB,
                        " and ".join("%g" % l for l in DENOISE_HISS_DBFS))),
    "gate": dict(verify="dynamics", title="Gate",
                 settings="each at its defaults"),
    "deesser": dict(verify="dynamics", title="De-esser",
                    settings="ours at its defaults; FFmpeg intensity %g, "
                    "otherwise its defaults" % FFMPEG_DEESSER_INTENSITY),
    "imager": dict(verify="differs", title="Stereo imager",
                   settings="width %g %% (FFmpeg stereotools slev %g), mono "
                   "below %g Hz in ours' second case; balance 30 against "
                   "audiopanorama 0.3; the audiofx stereo enhancer at 0.5" % (
                       IMAGER_WIDTH_PCT, IMAGER_WIDTH_PCT / 100.0,
                       IMAGER_MONO_BELOW_HZ)),
    "dither": dict(verify="dither", title="Dither to 16 bits",
                   settings="F32 stereo at 48 kHz to S16 with TPDF dither and "
                   "noise shaping; verification: the error (out - in) of each "
                   "on the noise, threshold-weighted (ISO 226:2003, "
                   "scripts/design-dither.py) and total, dB re flat TPDF"),
    "dehum": dict(verify="dehum", title="Hum removal, 50 Hz and 5 harmonics",
                  settings="50 Hz mains, %d lines, %g Hz wide; verification: "
                  "hum at -40 dBFS (3 dB less each harmonic) on 10 s of the "
                  "benchmark's music (its kick drum is a 50 Hz burst every "
                  "0.5 s: a steady line on 50 Hz, 34 dB over the hum) and of "
                  "music without a line held on the mains, on the mains and "
                  "%g Hz off; reduction: the worst line over the last 5 s, on the hum's part of the output "
                  "(half the difference of the outputs with the hum added "
                  "and subtracted); music: the largest level change in 10 Hz "
                  "bands at the mid-points between the lines" % (
                      DEHUM_LINES, DEHUM_WIDTH_HZ, DEHUM_OFFSET_HZ)),
    "declick": dict(verify="restore", title="Declick",
                    settings="%d clicks a second (1 to 2 ms of decaying "
                    "noise, peaks -26 to -6 dBFS, each channel its own) added "
                    "to the music; each at its defaults; SDR against the "
                    "clean music, the peer aligned by cross-correlation"
                    % DECLICK_PER_S),
    "declip": dict(verify="restore", title="Declip",
                   settings="the music driven %g dB over full scale and "
                   "clipped at +-1 (verified also %g dB over); each at its "
                   "defaults; SDR against the driven music before clipping, "
                   "the peer aligned by cross-correlation" % (
                       DECLIP_OVER_DB, DECLIP_LIGHT_OVER_DB)),
    "reverb": dict(verify="reverb", title="Reverb",
                   settings="ours decay %g s, mix 30 %%; freeverb room-size "
                   "%g, damping 0, level 0.3; the verification runs both "
                   "fully wet (mix 100, level 1) on an impulse" % (
                       REVERB_DECAY_S, FREEVERB_ROOM_SIZE)),
    "delay": dict(verify="delay", title="Echo delay",
                  settings="%g ms, feedback 40 %%, 30 %% wet" % DELAY_MS),
    "chain": dict(verify="dynamics",
                  title="Chain: EQ, multiband compressor, limiter",
                  settings="the eq group's 5 bands, then the mbcomp group's "
                  "settings, then a limiter at %g dB (ours: every default, "
                  "true peak; LSP Full x4(3L) as in the limiter group; "
                  "alimiter attack %g ms, release %g ms), no input gain" % (
                      LIMITER_CEILING_DB, ALIMITER_ATTACK_MS,
                      ALIMITER_RELEASE_MS)),
}
EQ_TOLERANCE_DB = 1.0
LIMITER_MIN_REDUCTION_DB = 3.0
DYNAMICS_MIN_CHANGE_DB = 0.05

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def warn(msg):
    print("WARNING: " + msg, file=sys.stderr, flush=True)


def info(msg):
    print(msg, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.env = dict(os.environ)
        self.env.pop("GST_DEBUG", None)
        if args.build_dir:
            bd = os.path.abspath(args.build_dir)
            self.env["GST_PLUGIN_PATH"] = bd + (
                os.pathsep + self.env["GST_PLUGIN_PATH"]
                if self.env.get("GST_PLUGIN_PATH") else "")
        # A private registry, so a rebuild elsewhere does not trigger a
        # rescan of everybody's registry in the middle of a timed run.
        os.makedirs(CACHE_DIR, exist_ok=True)
        self.env["GST_REGISTRY"] = os.path.join(
            CACHE_DIR, "registry-%s.bin" % platform.machine())
        self.ffmpeg = shutil.which("ffmpeg")
        self.gst_launch = shutil.which("gst-launch-1.0")
        self._ffmpeg_filters = None
        self._gst_exists = {}
        self.outdir = tempfile.mkdtemp(prefix="mastering-bench-out-")

    # -- availability --------------------------------------------------
    def gst_exists(self, factory):
        if factory not in self._gst_exists:
            # Not --exists: it also requires the plugin's version to be at
            # least GStreamer's own (1.22), and ours is 0.x.
            r = subprocess.run(["gst-inspect-1.0", factory],
                               env=self.env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            self._gst_exists[factory] = (r.returncode == 0)
        return self._gst_exists[factory]

    def ffmpeg_filter_exists(self, name):
        if not self.ffmpeg:
            return False
        if self._ffmpeg_filters is None:
            r = subprocess.run([self.ffmpeg, "-hide_banner", "-filters"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            names = set()
            for line in r.stdout.splitlines():
                parts = line.split()
                if len(parts) >= 3 and "->" in parts[2]:
                    names.add(parts[1])
            self._ffmpeg_filters = names
        return name in self._ffmpeg_filters

    def missing(self, case):
        out = []
        if case.get("chain") is not None or ("cmd" not in case
                                             and "ffmpeg_af" not in case):
            if not self.gst_launch:
                out.append("gst-launch-1.0")
        for req in case.get("requires", []):
            kind, _, name = req.partition(":")
            if kind == "gst" and not self.gst_exists(name):
                out.append(req)
            elif kind == "ffmpeg" and not self.ffmpeg_filter_exists(name):
                out.append(req if self.ffmpeg else "ffmpeg")
            elif kind == "exe" and not self.tool(name):
                out.append(req)
        return out

    def tool(self, name):
        """A program of ours: in the build dir's tools/, else on PATH."""
        if self.args.build_dir:
            p = os.path.join(os.path.abspath(self.args.build_dir), "tools", name)
            if os.access(p, os.X_OK):
                return p
        return shutil.which(name)

    # -- commands -------------------------------------------------------
    def source(self, path):
        bs = self.args.blocksize
        if bs > 0:
            # filesrc would be pulled by rawaudioparse in 64 KiB chunks
            # whatever its blocksize; pushfilesrc (gst-plugins-good, debug)
            # runs filesrc in push mode, in the same single streaming thread,
            # so the blocksize is the buffer size seen by the elements.
            return "pushfilesrc location=%s real-filesrc::blocksize=%d" % (
                shlex.quote(path), bs)
        return "filesrc location=%s" % shlex.quote(path)

    RAWPARSE = ("rawaudioparse format=pcm pcm-format=f32le sample-rate=%d "
                "num-channels=%d" % (RATE, CHANNELS))

    def gst_pipeline(self, case, path, sink="fakesink"):
        parts = [self.source(path), self.RAWPARSE]
        if case.get("chain"):
            parts.append(case["chain"])
        parts.append(sink)
        return " ! ".join(parts)

    def command(self, case, path):
        """Timed command for a case."""
        if case.get("damage") and os.path.exists(path):
            path = damaged(path, case["damage"])[0]
        if "cmd" in case:
            subst = {"{input}": path, "{wav}": wav_name(path),
                     "{outdir}": self.outdir, "{python}": sys.executable,
                     "{bench}": os.path.abspath(__file__),
                     "{gst-master}": self.tool("gst-master") or "gst-master"}
            out = []
            for c in case["cmd"]:
                for k, v in subst.items():
                    c = c.replace(k, v)
                out.append(c)
            return out
        if "ffmpeg_af" in case:
            return [self.ffmpeg or "ffmpeg", "-nostdin", "-hide_banner",
                    "-loglevel", "error",
                    "-f", "f32le", "-ar", str(RATE), "-ac", str(CHANNELS),
                    "-i", path, "-af", case["ffmpeg_af"], "-f", "null", "-"]
        return ["gst-launch-1.0", "-q"] + shlex.split(
            self.gst_pipeline(case, path))

    def render_command(self, case, out, inp=None):
        """Command writing the processed audio as raw F32LE to @out, or None;
        the input is @inp, by default the verification noise."""
        inp = inp or self.verify_file
        if case.get("damage"):
            inp = damaged(inp, case["damage"])[0]
        if "cmd" in case:
            return None
        if "ffmpeg_af" in case:
            return [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel",
                    "error", "-f", "f32le", "-ar", str(RATE), "-ac",
                    str(CHANNELS), "-i", inp, "-af", case["ffmpeg_af"],
                    "-f", "f32le", "-y", out]
        sink = ("audio/x-raw,format=F32LE,channels=%d ! filesink location=%s"
                % (CHANNELS, shlex.quote(out)))
        return ["gst-launch-1.0", "-q"] + shlex.split(
            self.gst_pipeline(case, inp, sink=sink))

    def display_command(self, case):
        cmd = self.command(case, "F")
        cmd[0] = os.path.basename(cmd[0])
        return " ".join(shlex.quote(c) if c != "!" else c for c in cmd)

    # -- running --------------------------------------------------------
    def run_timed(self, cmd):
        """Returns (wall s, cpu s of the child, returncode, stderr text)."""
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            text = err.read().decode(errors="replace")
        return wall, ru.ru_utime + ru.ru_stime, p.returncode, text


# ---------------------------------------------------------------------------
# Test signals
# ---------------------------------------------------------------------------


def generate_music(path, seconds, bed=True):
    """Deterministic music-like stereo signal: pink noise bed (not with
    bed=False: the denoise verification, where a steady bed would be the
    very noise a noise reducer removes), a bass line, chords with note
    envelopes, a kick-like thump and a hi-hat-like tick."""
    import numpy as np
    chunk_s = 10
    n = RATE * chunk_s
    t_local = np.arange(n) / RATE
    freqs = np.fft.rfftfreq(n, 1.0 / RATE)
    pink_shape = 1.0 / np.sqrt(np.maximum(freqs, 20.0))
    pink_shape[0] = 0.0
    # A minor-ish progression, one chord per 2 s (root MIDI notes)
    progression = [57, 53, 48, 55, 57, 52, 53, 55]
    chord = [0, 3, 7, 12]
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        for c in range(seconds // chunk_s):
            rng = np.random.default_rng(1000 + c)
            t = t_local + c * chunk_s
            out = np.zeros((n, CHANNELS))
            for ch in range(CHANNELS):
                spec = (rng.standard_normal(freqs.size)
                        + 1j * rng.standard_normal(freqs.size)) * pink_shape
                pink = np.fft.irfft(spec, n)
                out[:, ch] = (0.04 if bed else 0.0) * pink / np.sqrt(
                    np.mean(pink ** 2))
            beat = 0.5                                   # 120 bpm
            phase_in_beat = np.mod(t, beat)
            bar_index = (t // 2.0).astype(np.int64) % len(progression)
            for k in range(len(progression)):
                sel = bar_index == k
                if not sel.any():
                    continue
                root = progression[k]
                ts = t[sel]
                env = np.exp(-np.mod(ts, 2.0) * 1.5)
                bass_f = 440.0 * 2 ** ((root - 24 - 69) / 12.0)
                bass = 0.25 * np.exp(-phase_in_beat[sel] * 4.0) * (
                    np.sin(2 * np.pi * bass_f * ts)
                    + 0.3 * np.sin(2 * np.pi * 2 * bass_f * ts))
                out[sel, 0] += bass
                out[sel, 1] += bass
                for j, iv in enumerate(chord):
                    fr = 440.0 * 2 ** ((root + iv - 69) / 12.0)
                    tone = env * 0.06 * (np.sin(2 * np.pi * fr * ts + j)
                                         + 0.5 * np.sin(4 * np.pi * fr * ts)
                                         + 0.25 * np.sin(6 * np.pi * fr * ts))
                    pan = 0.3 + 0.4 * (j / (len(chord) - 1))
                    out[sel, 0] += tone * (1.0 - pan)
                    out[sel, 1] += tone * pan
            kick_env = np.exp(-phase_in_beat * 25.0)
            kick = 0.5 * kick_env * np.sin(2 * np.pi * (50.0 * phase_in_beat
                                                        + 40.0 * (1 - kick_env) / 25.0))
            hat_phase = np.mod(t + 0.25, beat)
            hat = 0.05 * np.exp(-hat_phase * 60.0) * rng.standard_normal(n)
            out[:, 0] += kick + hat
            out[:, 1] += kick + 0.8 * hat
            peak = np.max(np.abs(out))
            if peak > 0.95:
                out *= 0.95 / peak
            f.write(out.astype("<f4").tobytes())
    os.replace(tmp, path)


def wav_name(raw):
    return os.path.splitext(raw)[0] + ".wav"


def ensure_wav(raw):
    """The raw F32LE music as a WAVE_FORMAT_IEEE_FLOAT file beside it."""
    import struct
    wav = wav_name(raw)
    n = os.path.getsize(raw)
    if os.path.exists(wav) and os.path.getsize(wav) == n + 44:
        return wav
    fmt = struct.pack("<HHIIHH", 3, CHANNELS, RATE, RATE * BYTES_PER_FRAME,
                      BYTES_PER_FRAME, 32)
    tmp = wav + ".part"
    with open(tmp, "wb") as f, open(raw, "rb") as r:
        f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVE" + b"fmt "
                + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", n))
        shutil.copyfileobj(r, f, 1 << 22)
    os.replace(tmp, wav)
    return wav


def loudnorm_json(stderr):
    i = stderr.rfind("{")
    j = stderr.rfind("}")
    import json
    return json.loads(stderr[i:j + 1])


def ffmpeg_loudnorm_two_pass(inp, out):
    """The peer of the master group: FFmpeg's documented two-pass loudnorm.
    Writes OUT (float WAV, 48 kHz) and OUT.json (pass 2's own report)."""
    import json
    base = "loudnorm=I=%g:TP=%g" % (MASTER_TARGET_LUFS, MASTER_CEILING_DBTP)
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", inp,
                        "-af", base + ":print_format=json", "-f", "null", "-"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return 1
    m = loudnorm_json(p.stderr)
    af = (base + ":measured_I=%s:measured_TP=%s:measured_LRA=%s:"
          "measured_thresh=%s:offset=%s:linear=true:print_format=json" % (
              m["input_i"], m["input_tp"], m["input_lra"], m["input_thresh"],
              m["target_offset"]))
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y", "-i", inp,
                        "-af", af, "-ar", str(RATE), "-c:a", "pcm_f32le", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return 1
    with open(out + ".json", "w") as f:
        json.dump(loudnorm_json(p.stderr), f)
    return 0


def ffmpeg_ebur128(path):
    """(integrated LUFS, true peak dBTP) by FFmpeg's ebur128, peak=true."""
    import re
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path,
                        "-af", "ebur128=peak=true", "-f", "null", "-"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tail = p.stderr[p.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", tail)
    tp = re.search(r"Peak:\s+(-?[\d.]+) dBFS", tail)
    return (float(i.group(1)) if i else float("nan"),
            float(tp.group(1)) if tp else float("nan"))


def verify_master_outputs(b):
    """Lines for the report: each master output's loudness and true peak,
    by FFmpeg and by gst-master analyze, against the target."""
    import json
    lines = []
    gm = b.tool("gst-master")
    for name, label in (("ours.wav", "gst-master"), ("ffmpeg.wav", "ffmpeg loudnorm")):
        path = os.path.join(b.outdir, name)
        if not os.path.exists(path):
            continue
        fi, ftp = ffmpeg_ebur128(path) if b.ffmpeg else (float("nan"),) * 2
        text = "%s: FFmpeg ebur128 %.2f LUFS (error %+.2f LU), true peak %.2f dBTP" % (
            label, fi, fi - MASTER_TARGET_LUFS, ftp)
        if gm:
            r = subprocess.run([gm, "analyze", "--json", path], env=b.env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if r.returncode == 0:
                f = json.loads(r.stdout)[0]["figures"]
                text += "; gst-master analyze %.2f LUFS (error %+.2f LU), %.2f dBTP" % (
                    f["integrated_lufs"], f["integrated_lufs"] - MASTER_TARGET_LUFS,
                    f["true_peak_dbtp"])
        if os.path.exists(path + ".json"):
            with open(path + ".json") as fh:
                text += "; pass 2 used FFmpeg's %s mode" % json.load(fh).get(
                    "normalization_type", "?")
        lines.append(text)
    return lines


def ensure_file(path, size, generator, *gen_args):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return path
    info("generating %s (%.1f MB)..." % (path, size / 1e6))
    t0 = time.perf_counter()
    generator(path, *gen_args)
    if os.path.getsize(path) != size:
        raise SystemExit("generated %s has the wrong size" % path)
    info("  done in %.1f s" % (time.perf_counter() - t0))
    return path


def generate_noise(path, frames):
    import numpy as np
    rng = np.random.default_rng(4242)
    x = 0.1 * rng.standard_normal((frames, CHANNELS))
    x.astype("<f4").tofile(path)


def warm_page_cache(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------

VERIFY_FRAMES = 1 << 19   # 10.9 s
VERIFY_MUSIC_SECONDS = 10


def rbj_peak_response(freqs_hz):
    """Composite magnitude (dB) of EQ_BANDS as RBJ cookbook peak filters."""
    import numpy as np
    z = np.exp(-1j * 2 * np.pi * np.asarray(freqs_hz) / RATE)
    h = np.ones_like(z)
    for f, g, q in EQ_BANDS:
        a = 10 ** (g / 40.0)
        w0 = 2 * np.pi * f / RATE
        alpha = np.sin(w0) / (2 * q)
        b = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
        d = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
        h *= (b[0] + b[1] * z + b[2] * z * z) / (d[0] + d[1] * z + d[2] * z * z)
    return 20 * np.log10(np.abs(h))


def measured_response(x, y, freqs_hz, seg=16384):
    """Transfer function estimate |Sxy / Sxx| in dB at freqs_hz, per channel
    averaged in power."""
    import numpy as np
    w = np.hanning(seg)
    sxy = 0
    sxx = 0
    for s in range(0, min(len(x), len(y)) - seg + 1, seg // 2):
        X = np.fft.rfft(x[s:s + seg] * w[:, None], axis=0)
        Y = np.fft.rfft(y[s:s + seg] * w[:, None], axis=0)
        sxy = sxy + Y * np.conj(X)
        sxx = sxx + np.abs(X) ** 2
    h = np.abs(sxy / sxx)
    bins = np.round(np.asarray(freqs_hz) * seg / RATE).astype(int)
    return 10 * np.log10(np.mean(h[bins] ** 2, axis=1))


def damaged(path, kind):
    """The raw music at @path with @kind of damage ('clicks', 'clip',
    'clip-light'),
    written once beside it: (damaged path, clean reference path).  The
    clicks' reference is the music itself; the clipped music's the music
    driven by the same gain, unclipped."""
    import numpy as np
    out = "%s.%s.raw" % (os.path.splitext(path)[0], kind)
    ref = path if kind == "clicks" else "%s.%s-ref.raw" % (
        os.path.splitext(path)[0], kind)
    if os.path.exists(out) and os.path.exists(ref):
        return out, ref
    x = np.fromfile(path, "<f4").reshape(-1, CHANNELS).astype(np.float64)
    rng = np.random.default_rng(16)
    if kind == "clicks":
        n_clicks = DECLICK_PER_S * len(x) // RATE
        starts = np.sort(rng.choice(np.arange(RATE // 20, len(x) - RATE // 20,
                                              RATE // 100), n_clicks,
                                    replace=False))
        for p0 in starts:
            length = int(round(RATE * (0.001 + 0.001 * rng.random())))
            amp = 0.05 * 10 ** rng.random()
            i = np.arange(length)
            for c in range(CHANNELS):
                a_c = amp * (0.5 + 0.5 * rng.random())
                x[p0:p0 + length, c] += (a_c * (2 * rng.random(length) - 1)
                                         * np.exp(-3.0 * i / length))
    else:
        x *= 10 ** (clip_over_db(kind) / 20) / np.max(np.abs(x))
        x.astype("<f4").tofile(ref + ".part")
        os.replace(ref + ".part", ref)
        x = np.clip(x, -1.0, 1.0)
    x.astype("<f4").tofile(out + ".part")
    os.replace(out + ".part", out)
    return out, ref


def light_clip_sdr(b, case):
    """The declip case's SDR on the music driven DECLIP_LIGHT_OVER_DB over
    and clipped (the verification's music; not timed)."""
    import numpy as np
    light = dict(case, damage="clip-light")
    with tempfile.TemporaryDirectory(prefix="mastering-verify-") as d:
        out = os.path.join(d, "out.raw")
        r = subprocess.run(b.render_command(light, out, b.verify_music),
                           env=b.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 or not os.path.exists(out):
            return "%g dB over: pipeline failed" % DECLIP_LIGHT_OVER_DB
        bad, ref = damaged(b.verify_music, "clip-light")
        clean = np.fromfile(ref, "<f4").reshape(-1, CHANNELS).astype(
            np.float64)
        x = np.fromfile(bad, "<f4").reshape(-1, CHANNELS).astype(np.float64)
        y = np.fromfile(out, "<f4").reshape(-1, CHANNELS).astype(np.float64)
    before, _ = restore_sdr(clean, x, 0)
    after, lag = restore_sdr(clean, y)
    return ("%g dB over: damaged %.1f dB, output %.1f dB (aligned by %+d "
            "frames)" % (DECLIP_LIGHT_OVER_DB, before, after, lag))


def restore_sdr(ref, y, max_lag=4096):
    """SDR (dB) of @y against @ref after aligning @y by the lag (within
    +-max_lag) of the largest cross-correlation of channel 0; and the lag."""
    import numpy as np
    m = min(len(ref), len(y))
    a, b = ref[:m, 0], y[:m, 0]
    nfft = 1 << int(math.ceil(math.log2(2 * m)))
    xc = np.fft.irfft(np.fft.rfft(b, nfft) * np.conj(np.fft.rfft(a, nfft)),
                      nfft)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    vals = np.concatenate([xc[:max_lag + 1], xc[-max_lag:]])
    lag = int(lags[np.argmax(vals)])
    if lag >= 0:
        r, o = ref[:m - lag], y[lag:m]
    else:
        r, o = ref[-lag:m], y[:m + lag]
    edge = RATE // 2            # the ends: a peer's ramps, the drain
    r, o = r[edge:-edge], o[edge:-edge]
    err = float(np.sum((o - r) ** 2))
    return 10 * math.log10(float(np.sum(r ** 2)) / err) if err > 0 else 400.0, lag
def _impulse_file(seconds):
    import numpy as np
    path = os.path.join(CACHE_DIR, "impulse-v%d-%ds.raw" % (DATA_VERSION,
                                                            seconds))
    if not os.path.exists(path):
        os.makedirs(CACHE_DIR, exist_ok=True)
        x = np.zeros((seconds * RATE, CHANNELS), "<f4")
        x[0, :] = 0.5
        x.tofile(path)
    return path


def _t30(e):
    """T30 of an energy envelope: Schroeder's backward integral in dB, a
    line through -5..-35 dB, extrapolated to -60 dB (ISO 3382-1)."""
    import numpy as np
    edc = np.cumsum(e[::-1])[::-1]
    db = 10 * np.log10(edc / edc[0] + 1e-300)
    sel = (db <= -5) & (db >= -35)
    if np.count_nonzero(sel) < 10:
        return float("nan")
    t = np.arange(len(e))[sel] / RATE
    slope = np.polyfit(t, db[sel], 1)[0]
    return -60.0 / slope


def _ned(x):
    """The normalized echo density (Abel and Huang 2006: the share of
    samples beyond one standard deviation in 20 ms, over erfc (1 / sqrt 2))
    every ms for 1 s from the first non-zero sample."""
    import numpy as np
    start = int(np.argmax(np.abs(x) > 0))
    half = RATE // 100
    out = []
    for ms in range(0, 1000):
        c = start + ms * RATE // 1000
        w = x[max(0, c - half):c + half]
        sd = np.sqrt(np.mean(w ** 2))
        out.append(np.mean(np.abs(w) > sd) / math.erfc(1 / math.sqrt(2))
                   if sd > 0 else 0.0)
    return np.array(out)


def verify_echo(b, case, kind):
    import numpy as np
    chain = case["chain"]
    if kind == "reverb":
        chain = (chain.replace("mix=30", "mix=100").replace(
            "level=0.3", "level=1"))
    else:
        chain = chain.replace("mix=30", "mix=100")
    c = dict(case, chain=chain)
    inp = _impulse_file(8)
    with tempfile.TemporaryDirectory(prefix="mastering-verify-") as d:
        out = os.path.join(d, "out.raw")
        r = subprocess.run(b.render_command(c, out, inp), env=b.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0 or not os.path.exists(out):
            return False, "pipeline failed: " + r.stdout.strip()[-500:]
        y = np.fromfile(out, "<f4").reshape(-1, CHANNELS).astype(np.float64)
    if not np.all(np.isfinite(y)):
        return False, "non-finite output"
    if kind == "reverb":
        t = _t30(np.sum(y ** 2, axis=1))
        ned = _ned(y[:, 0])
        # From 20 ms on: the first window holds the onset alone.
        dense = np.nonzero(ned[20:] >= 0.9)[0]
        text = "T30 %.3f s" % t
        if case["role"] == "ours":
            text += " (set %g s: %+.1f %%)" % (
                REVERB_DECAY_S, 100 * (t / REVERB_DECAY_S - 1))
        text += ("; echo density (1: as noise) first 0.9 %s, mean %.2f "
                 "from 100 to 300 ms" % (
                     "at %d ms" % (dense[0] + 20) if len(dense)
                     else "not within 1 s", float(np.mean(ned[100:300]))))
        return True, text
    # delay: the echoes of the impulse at 0.5 (a peer that passes the dry
    # signal whatever its settings has the impulse itself at frame 0)
    a = np.abs(y[:, 0])
    a[0] = 0.0
    d_frames = int(round(DELAY_MS * RATE / 1000))
    first = int(np.argmax(a > 1e-3))
    rest = a[first + d_frames // 2:]
    second = first + d_frames // 2 + int(np.argmax(rest > 1e-4))
    ratio = a[second] / a[first] if a[first] > 0 else float("nan")
    return True, ("echoes at frames %d and %d (set %d and %d), the second "
                  "%.3f of the first" % (first, second, d_frames,
                                          2 * d_frames, ratio))


def verify_case(b, case, kind):
    """Returns (ok, text).  ok False means: skip this case."""
    import numpy as np
    if kind is None:
        return True, "not checked"
    if kind == "dehum":
        return verify_dehum(b, case)
    if kind in ("reverb", "delay"):
        return verify_echo(b, case, kind)
    inp = b.verify_music if kind in ("limiter", "dynamics") else b.verify_file
    inp = (b.verify_music if kind in ("limiter", "dynamics", "restore")
           else b.verify_file)
    with tempfile.TemporaryDirectory(prefix="mastering-verify-") as d:
        out = os.path.join(d, "out.raw")
        cmd = b.render_command(case, out, inp)
        if cmd is None:
            return True, "not checked (custom command)"
        r = subprocess.run(cmd, env=b.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 or not os.path.exists(out):
            return False, "pipeline failed: " + r.stdout.strip()[-500:]
        if case.get("damage"):
            bad, ref = damaged(inp, case["damage"])
            inp = bad
        x = np.fromfile(inp, "<f4").reshape(-1, CHANNELS)
        y = np.fromfile(out, "<f4").reshape(-1, CHANNELS)
    if len(y) < len(x) * 0.99:
        return False, "output too short (%d of %d frames)" % (len(y), len(x))
    m = min(len(x), len(y))
    # Ignore the first second: a bypassed plugin may still crossfade there
    # (the LSP equalizer with enabled=false differs in its first ~1000 frames).
    skip = RATE
    diff = float(np.max(np.abs(x[skip:m].astype(np.float64) - y[skip:m])))
    if diff < 1e-6:
        if kind == "dynamics" and case["role"] == "ours":
            # Ours at its defaults may be neutral on this music (a gate
            # that stays open is a bit-exact passthrough by our
            # conventions): that is still the cost a user pays, so it is
            # timed, and the report says so.
            warn("%s: output equals the input: neutral on this music at "
                 "its defaults" % case["name"])
            return True, ("output equals the input (after 1 s): neutral on "
                          "this music at its defaults; timed all the same")
        return False, "output equals the input (after 1 s): not processing"
    if not np.all(np.isfinite(y)):
        return False, "non-finite output"
    text = "output differs from input (max |diff| after 1 s: %.3g)" % diff
    if kind == "dynamics":
        x64 = x[skip:m].astype(np.float64)
        y64 = y[skip:m].astype(np.float64)
        rms = 10 * math.log10(float(np.mean(y64 ** 2))
                              / float(np.mean(x64 ** 2)))
        peak = 20 * math.log10(float(np.max(np.abs(y64)))
                               / float(np.max(np.abs(x64))))
        text += ("; %d of %d frames; after 1 s, RMS %+.2f dB, sample peak "
                 "%+.2f dB against the input" % (len(y), len(x), rms, peak))
        if len(y) != len(x):
            text += " [length differs by %+d frames]" % (len(y) - len(x))
        if case["group"] == "chain":
            # Every chain ends in a limiter at the same ceiling: how far
            # each holds it between the samples.
            _, tp, _ = limiter_levels(x[skip:m], y[skip:m])
            bs_tp = ebur128_true_peak(y[skip:m])
            text += ("; true peak %s dBTP (libebur128), %+.2f dBTP (ideal "
                     "reconstruction), ceiling %g" % (
                         "%+.2f" % bs_tp if bs_tp is not None else "n/a", tp,
                         LIMITER_CEILING_DB))
        if max(abs(rms), abs(peak)) < DYNAMICS_MIN_CHANGE_DB:
            warn("%s: level unchanged (RMS %+.2f dB, peak %+.2f dB): not "
                 "acting on the music?" % (case["name"], rms, peak))
            text += " [level unchanged: not acting?]"
    if kind == "restore":
        clean = np.fromfile(ref, "<f4").reshape(-1, CHANNELS).astype(
            np.float64)
        before, _ = restore_sdr(clean, x.astype(np.float64), 0)
        after, lag = restore_sdr(clean, y.astype(np.float64))
        text += ("; %d of %d frames; SDR against the clean music: damaged "
                 "%.1f dB, output %.1f dB (aligned by %+d frames)" % (
                     len(y), len(x), before, after, lag))
        if case.get("damage") == "clip":
            text += "; " + light_clip_sdr(b, case)
    if kind == "denoise" and case["role"] == "ours":
        rows, ok = denoise_sdr(b, case)
        for row in rows:
            info("denoise SDR gain: " + row)
        text += "; SDR gains: " + "; ".join(rows)
        text += (" [%s: ours tracked at least %g dB over afftdn at its "
                 "defaults, and ours with the true profile over afftdn with "
                 "the true nf and tn=1, in every case]" % (
                     "met" if ok else "NOT met", DENOISE_MIN_ADVANTAGE_DB))
    if kind == "dither":
        weighted, total = dither_noise(x[:m], y[:m])
        text += ("; error threshold-weighted %+.2f dB, total %+.2f dB re "
                 "flat TPDF at 16 bits" % (weighted, total))
    if kind == "eq_response":
        fr = [bnd[0] for bnd in EQ_BANDS]
        meas = measured_response(x[:m], y[:m], fr)
        ref = rbj_peak_response(fr)
        dev = np.max(np.abs(meas - ref))
        text += "; gain at %s Hz: %s dB (RBJ reference %s dB)" % (
            "/".join("%g" % f for f in fr),
            " ".join("%+.2f" % v for v in meas),
            " ".join("%+.2f" % v for v in ref))
        if dev > EQ_TOLERANCE_DB:
            warn("%s: response deviates %.2f dB from the reference at a band "
                 "centre" % (case["name"], dev))
            text += " [deviates %.2f dB]" % dev
    if kind == "limiter":
        sp, tp, gain = limiter_levels(x[skip:m], y[skip:m])
        bs_tp = ebur128_true_peak(y[skip:m])
        unlimited = (20 * math.log10(float(np.max(np.abs(x[skip:m]))))
                     + LIMITER_INPUT_GAIN_DB)
        text += ("; music +%g dB (%+.2f dBFS unlimited) into %g dB: after "
                 "1 s, sample peak %+.2f dBFS, true peak %s dBTP "
                 "(BS.1770-4, libebur128), %+.2f dBTP (ideal reconstruction, "
                 "FFT 8x), RMS %+.1f dB over the input" % (
                     LIMITER_INPUT_GAIN_DB, unlimited, LIMITER_CEILING_DB,
                     sp, "%+.2f" % bs_tp if bs_tp is not None else "n/a", tp,
                     gain))
        over = [("sample peak", sp - LIMITER_CEILING_DB),
                ("true peak (libebur128)",
                 (bs_tp if bs_tp is not None else -1e9) - LIMITER_CEILING_DB),
                ("true peak (ideal)", tp - LIMITER_CEILING_DB)]
        over = ["%s %.2f dB" % (what, d) for what, d in over if d > 0.005]
        if over:
            text += " [over the ceiling: %s]" % ", ".join(over)
        if sp > unlimited - LIMITER_MIN_REDUCTION_DB:
            return False, text + ": not limiting"
        if gain < 3.0:
            warn("%s: output only %+.1f dB over the input: input gain not "
                 "applied?" % (case["name"], gain))
            text += " [input gain not applied?]"
    return True, text


def dehum_hum(n, offset_hz):
    """The verification's hum: DEHUM_LINES lines of DEHUM_MAINS_HZ +
    offset_hz, stereo (the right at 0.7 of the left, 0.5 rad later)."""
    import numpy as np
    t = np.arange(n) / RATE
    hum = np.zeros((n, CHANNELS))
    f = DEHUM_MAINS_HZ + offset_hz
    for k in range(1, DEHUM_LINES + 1):
        a = 10 ** ((DEHUM_HUM_DB - 3.0 * (k - 1)) / 20.0)
        hum[:, 0] += a * np.cos(2 * np.pi * k * f * t + 0.7 * k)
        hum[:, 1] += 0.7 * a * np.cos(2 * np.pi * k * f * t + 0.7 * k + 0.5)
    return hum


def dehum_render(b, case, x, d, name):
    import numpy as np
    inp = os.path.join(d, name + ".in.raw")
    out = os.path.join(d, name + ".out.raw")
    x.astype("<f4").tofile(inp)
    r = subprocess.run(b.render_command(case, out, inp), env=b.env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0 or not os.path.exists(out):
        return None
    y = np.fromfile(out, "<f4").astype(np.float64).reshape(-1, CHANNELS)
    return y[:len(x)] if len(y) >= len(x) else None


def dehum_music_without_kick(n):
    """Music with no line held on the mains: pad chords, a bass line on
    notes that miss the lines, a pink-noise bed (docs/plots/dehum.py's)."""
    import numpy as np
    rng = np.random.default_rng(3)
    t = np.arange(n) / RATE
    out = np.zeros((n, CHANNELS))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    spec = (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)
            ) / np.sqrt(np.maximum(f, 20.0))
    for c in range(CHANNELS):
        bed = np.fft.irfft(spec * np.exp(1j * c), n)
        out[:, c] = 0.01 * bed / np.sqrt(np.mean(bed ** 2))
    roots = [62, 58, 65, 60]
    for i, start in enumerate(np.arange(0, n / RATE, 1.5)):
        sel = (t >= start) & (t < start + 1.5)
        ts = t[sel] - start
        root = roots[i % 4]
        env = np.exp(-ts * 1.2) * (1 - np.exp(-ts / 0.01))
        for j, iv in enumerate((0, 3, 7)):
            fr = 440.0 * 2 ** ((root + iv - 69) / 12.0)
            tone = 0.05 * env * (np.sin(2 * np.pi * fr * ts + j)
                                 + 0.4 * np.sin(4 * np.pi * fr * ts))
            out[sel, 0] += tone * (0.3 + 0.2 * j)
            out[sel, 1] += tone * (0.7 - 0.2 * j)
        fb = 440.0 * 2 ** ((root - 24 - 69) / 12.0)
        bass = 0.15 * np.exp(-np.mod(ts, 0.375) * 3) * (
            np.sin(2 * np.pi * fb * ts) + 0.3 * np.sin(4 * np.pi * fb * ts))
        out[sel, 0] += bass
        out[sel, 1] += bass
    return out


def verify_dehum(b, case):
    """Hum reduction (worst line) and music change between the lines, on
    the mains and DEHUM_OFFSET_HZ off them, under two musics: the
    benchmark's (whose kick drum is a 50 Hz burst every 0.5 s: a steady
    line on 50 Hz far above the hum, which a tracker follows) and one
    without a line held on the mains."""
    import numpy as np
    bench_music = np.fromfile(b.verify_music, "<f4").astype(np.float64)
    bench_music = bench_music.reshape(-1, CHANNELS)
    n = len(bench_music)
    start = n // 2
    win = np.hanning(n - start)[:, None]
    freqs = np.fft.rfftfreq(n - start, 1.0 / RATE)
    parts = []
    for label, music in (("benchmark music", bench_music),
                         ("music without kick",
                          dehum_music_without_kick(n))):
        for offset in (0.0, DEHUM_OFFSET_HZ):
            hum = dehum_hum(n, offset)
            with tempfile.TemporaryDirectory(prefix="mastering-verify-") as d:
                y_plus = dehum_render(b, case, music + hum, d, "plus")
                y_minus = dehum_render(b, case, music - hum, d, "minus")
            if y_plus is None or y_minus is None:
                return False, "pipeline failed"
            if not (np.all(np.isfinite(y_plus))
                    and np.all(np.isfinite(y_minus))):
                return False, "non-finite output"
            hum_out = 0.5 * (y_plus - y_minus)[start:]
            music_out = 0.5 * (y_plus + y_minus)[start:]
            f = DEHUM_MAINS_HZ + offset
            worst = math.inf
            for k in range(1, DEHUM_LINES + 1):
                ph = 2 * np.pi * k * f * np.arange(start, n) / RATE
                for c in range(CHANNELS):
                    a_in = abs(np.sum(win[:, 0] * hum[start:, c]
                                      * np.exp(-1j * ph)))
                    a_out = abs(np.sum(win[:, 0] * hum_out[:, c]
                                       * np.exp(-1j * ph)))
                    worst = min(worst, 20 * math.log10(a_in
                                                       / max(a_out, 1e-30)))
            sx = np.abs(np.fft.rfft(win * music[start:], axis=0)) ** 2
            sy = np.abs(np.fft.rfft(win * music_out, axis=0)) ** 2
            dev = 0.0
            for k in range(1, DEHUM_LINES):
                mid = (k + 0.5) * DEHUM_MAINS_HZ
                band = (freqs > mid - 5) & (freqs < mid + 5)
                db = 10 * math.log10(np.sum(sy[band]) / np.sum(sx[band]))
                dev = max(dev, abs(db))
            parts.append("%s, hum %s Hz: reduced %.1f dB, mid-points within "
                         "%.3f dB" % (label, _num(f), worst, dev))
    return True, "; ".join(parts)
def hiss(kind, frames, level_dbfs, seed):
    """White or pink (1/f power, shaped in the frequency domain) Gaussian
    noise of RMS level_dbfs, stereo."""
    import numpy as np
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((frames, CHANNELS))
    if kind == "pink":
        # From PINK_LOW_HZ up: hiss is audio, and 1/f down to the file's
        # first bin (0.1 Hz) would put 40 % of the power under 20 Hz.
        spec = np.fft.rfft(w, axis=0)
        f = np.fft.rfftfreq(frames, 1.0 / RATE)
        spec[f < PINK_LOW_HZ] = 0
        keep = f >= PINK_LOW_HZ
        spec[keep] /= np.sqrt(f[keep, None] / PINK_LOW_HZ)
        w = np.fft.irfft(spec, frames, axis=0)
    return w * (10 ** (level_dbfs / 20.0) / np.sqrt(np.mean(w ** 2)))


def hiss_profile(kind, level_dbfs, frames):
    """The denoise profile string of hiss() (dB re FS^2/Hz in the 31
    third-octave bands): white, variance over fs / 2; pink, A / f from
    PINK_LOW_HZ up, A = variance / ln (fs / 2 / PINK_LOW_HZ)."""
    var = 10 ** (level_dbfs / 10.0)
    f1 = PINK_LOW_HZ
    vals = []
    for b in range(31):
        fc = 1000.0 * 2 ** ((b - 17) / 3.0)
        if kind == "pink":
            d = var / math.log(RATE / 2.0 / f1) / fc
        else:
            d = var / (RATE / 2.0)
        vals.append("%.1f" % (10 * math.log10(d)))
    return ",".join(vals)


def align_lag(clean, y, max_lag=4800):
    """Lag (frames) of y against clean by the peak of their
    cross-correlation (channel 0, FFT)."""
    import numpy as np
    n = len(clean)
    a = clean[:, 0]
    b = y[:n, 0]
    m = 1 << int(np.ceil(np.log2(2 * n)))
    c = np.fft.irfft(np.fft.rfft(b, m) * np.conj(np.fft.rfft(a, m)), m)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    vals = np.concatenate([c[:max_lag + 1], c[-max_lag:]])
    return int(lags[np.argmax(vals)])


def sdr_db(clean, y):
    import numpy as np
    e = y.astype(np.float64) - clean
    return 10 * math.log10(float(np.sum(clean ** 2)) / float(np.sum(e ** 2)))


def denoise_sdr(b, case):
    """The SDR gains of ours and afftdn (defaults; nf at the true level
    with tn=1) on the first 10 s of the music with white and pink hiss;
    text for the report, and whether ours beats afftdn's best by
    DENOISE_MIN_ADVANTAGE_DB everywhere."""
    import numpy as np
    path = ensure_file(
        os.path.join(CACHE_DIR, "music-nobed-v%d-%ds-%dk-stereo-f32le.raw"
                     % (DATA_VERSION, VERIFY_MUSIC_SECONDS, RATE // 1000)),
        VERIFY_MUSIC_SECONDS * RATE * BYTES_PER_FRAME, generate_music,
        VERIFY_MUSIC_SECONDS, False)
    clean = np.fromfile(path, "<f4").reshape(-1, CHANNELS).astype(np.float64)
    rows, ok = [], True
    for kind in ("white", "pink"):
        for level in DENOISE_HISS_DBFS:
            x = clean + hiss(kind, len(clean), level, 7)
            before = sdr_db(clean, x)
            gains = {}
            with tempfile.TemporaryDirectory(prefix="mastering-dn-") as d:
                inp = os.path.join(d, "in.raw")
                x.astype("<f4").tofile(inp)
                variants = [("ours", case, None),
                            ("ours profile", dict(chain="denoise profile=%s"
                                                  % hiss_profile(kind, level,
                                                                 len(clean))),
                             None),
                            ("afftdn", dict(ffmpeg_af="afftdn"), None),
                            ("afftdn nf=%g tn=1" % level,
                             dict(ffmpeg_af="afftdn=nf=%g:tn=1" % level),
                             None)]
                for name, c, _ in variants:
                    out = os.path.join(d, "out.raw")
                    cmd = b.render_command(c, out, inp)
                    r = subprocess.run(cmd, env=b.env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
                    if r.returncode != 0:
                        gains[name] = None
                        continue
                    y = np.fromfile(out, "<f4").reshape(-1, CHANNELS)
                    lag = align_lag(clean, y)
                    if lag > 0:
                        y = y[lag:]
                    m = min(len(clean), len(y))
                    # The first and last second left out: the trackers'
                    # start, the alignment's edge.
                    sl = slice(RATE, m - RATE)
                    gains[name] = (sdr_db(clean[sl], y[sl])
                                   - sdr_db(clean[sl], x[sl]), lag)
            # Each mode against afftdn's counterpart: tracking against its
            # defaults, the profile at the true level against nf at it
            # with tracking on.
            pairs = [("ours", "afftdn"),
                     ("ours profile", "afftdn nf=%g tn=1" % level)]
            for o, p in pairs:
                if (gains.get(o) is None or gains.get(p) is None
                        or gains[o][0] - gains[p][0]
                        < DENOISE_MIN_ADVANTAGE_DB):
                    ok = False
            rows.append("%s %g dBFS (SDR %.1f dB): %s" % (
                kind, level, before, ", ".join(
                    "%s %+.2f dB (lag %d)" % (n, g[0], g[1])
                    if g else "%s failed" % n for n, g in gains.items())))
    return rows, ok


def dither_noise(x, y):
    """Threshold-weighted and total power (dB re flat TPDF, 1/4 LSB^2 at 16
    bits) of the error y - x, channel 0, by Welch's periodogram."""
    import importlib.util
    import numpy as np
    from scipy.signal import welch
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "design", os.path.join(here, "..", "scripts", "design-dither.py"))
    design = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(design)
    e = (y[:, 0].astype(np.float64) - x[:, 0].astype(np.float64)) * 32768.0
    f, p = welch(e, fs=RATE, nperseg=4096, detrend=False)
    p = p[1:] * RATE / 2
    w = 10 ** (-design.threshold_db(f[1:]) / 10)
    return (10 * math.log10(float(np.sum(w * p) / np.sum(w * 0.25))),
            10 * math.log10(float(np.mean(p)) / 0.25))


def ebur128_true_peak(y):
    """BS.1770-4 true peak (dBTP) of the stereo excerpt @y by libebur128
    (Debian's libebur128, through ctypes), or None without it."""
    import ctypes
    import numpy as np
    try:
        lib = ctypes.CDLL("libebur128.so.1")
    except OSError:
        return None
    lib.ebur128_init.restype = ctypes.c_void_p
    lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    lib.ebur128_add_frames_float.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t]
    lib.ebur128_true_peak.argtypes = [
        ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    mode_true_peak = (1 << 5) | (1 << 4) | (1 << 0)  # EBUR128_MODE_TRUE_PEAK
    st = ctypes.c_void_p(lib.ebur128_init(y.shape[1], RATE, mode_true_peak))
    frames = np.ascontiguousarray(y, dtype=np.float32)
    lib.ebur128_add_frames_float(
        st, frames.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
        frames.shape[0])
    peak = 0.0
    for c in range(y.shape[1]):
        v = ctypes.c_double()
        lib.ebur128_true_peak(st, c, ctypes.byref(v))
        peak = max(peak, v.value)
    lib.ebur128_destroy(ctypes.byref(st))
    return 20 * math.log10(peak) if peak > 0 else None


def limiter_levels(x, y):
    """(sample peak dBFS, 8x true peak dBTP, RMS gain dB) of @y, the
    processed @x.  The true peak comes from an FFT upsampling (band-limited,
    periodic: the ends of the excerpt may ring, they are left out)."""
    import numpy as np
    y64 = y.astype(np.float64)
    sp = float(np.max(np.abs(y64)))
    tp = sp
    n = len(y64) - len(y64) % 2
    if n >= 2 * RATE:
        seg = y64[:n]
        spec = np.fft.rfft(seg, axis=0)
        up = np.fft.irfft(spec, 8 * n, axis=0) * 8
        edge = 8 * (RATE // 100)          # 10 ms each end
        tp = max(sp, float(np.max(np.abs(up[edge:-edge]))))
    gain = 10 * math.log10(float(np.mean(y64 ** 2))
                           / float(np.mean(x.astype(np.float64) ** 2)))
    return 20 * math.log10(sp), 20 * math.log10(tp), gain


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def core_comparison(b, data, runs):
    """Runs bench/bench-loudness (built in the build dir; it links
    libebur128) on the benchmark's samples: our loudness core against
    libebur128 with true peak, both on the same in-memory buffers, runs
    alternated inside the program.  Returns its JSON result, or None."""
    import json
    if not b.args.build_dir:
        return None
    prog = os.path.join(os.path.abspath(b.args.build_dir), "bench",
                        "bench-loudness")
    if not os.access(prog, os.X_OK):
        warn("%s not built (libebur128-dev missing?): no comparison of the "
             "loudness core with libebur128" % prog)
        return None
    r = subprocess.run([prog, data, "--runs", str(runs), "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        warn("bench-loudness failed: %s" % r.stderr.strip()[-500:])
        return None
    res = json.loads(r.stdout)
    info("core vs libebur128: mst_loudness %.3f s, libebur128 %.3f s (%.2f×)"
         % (res["ours_s"], res["libebur128_s"], res["ratio"]))
    return res


def core_comparison_lines(res):
    o, e = res["ours"], res["libebur128"]
    return [
        "### The loudness core against libebur128, same samples",
        "",
        "`bench/bench-loudness` (built with the plugin when libebur128-dev is "
        "installed) loads the same %.0f s of samples into memory and feeds "
        "them, in buffers of %d frames, to our core (`mst_loudness`) and to "
        "libebur128 (`EBUR128_MODE_I | EBUR128_MODE_LRA | "
        "EBUR128_MODE_TRUE_PEAK`), %d alternated runs each, in one process: "
        "no pipeline, no file reading." % (
            res["seconds"], res["block"], res["runs"]),
        "",
        "| Library | Median time (s) | Realtime factor | ÷ ours | Integrated "
        "(LUFS) | LRA (LU) | True peak (dBTP) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        "| mst_loudness **(ours)** | %.3f | %.0f× | 1.00× | %.2f | %.2f | "
        "%+.2f |" % (res["ours_s"], res["seconds"] / res["ours_s"], o["I"],
                     o["LRA"], o["TP"]),
        "| libebur128 | %.3f | %.0f× | %s | %.2f | %.2f | %+.2f |" % (
            res["libebur128_s"], res["seconds"] / res["libebur128_s"],
            fmt_ratio(res["ratio"]), e["I"], e["LRA"], e["TP"]),
        "",
        "The loudness ranges differ by design: libebur128 takes one "
        "short-term value per second, EBU Tech 3342 (and ours) at least ten.",
        "",
    ]


def target_lines(cases, med, skipped):
    """The report's Targets section: each peer with a target against the
    ours of its group, by median wall time; also printed to stderr."""
    rows = []
    for c in cases:
        if not c.get("target"):
            continue
        ours = next((o for o in cases if o["group"] == c["group"]
                     and o["role"] == "ours"), None)
        n = c["name"]
        ratio = net = None
        if ours and ours["name"] in med and n in med:
            ratio = med[n] / med[ours["name"]]
            bo, bp = ours.get("baseline"), c.get("baseline")
            if bo in med and bp in med and med[ours["name"]] > med[bo]:
                net = (med[n] - med[bp]) / (med[ours["name"]] - med[bo])
            status = "**met**" if ratio >= c["target"] else "**not met**"
        elif not ours or ours["name"] not in med:
            why = skipped.get(ours["name"], "not run") if ours else "no case"
            status = "not evaluated: ours %s" % (
                "missing (%s)" % why if why.startswith("not available")
                else why)
        else:
            status = "not evaluated: peer %s" % skipped.get(n, "not run")
        rows.append("| %s | %s | %s | %g× | %s | %s | %s |" % (
            c["group"], ours["name"] if ours else "—", n, c["target"],
            fmt_ratio(ratio), fmt_ratio(net), status))
        info("target %-10s %s ≥ %g×: %s%s" % (
            c["group"], n, c["target"], status.replace("**", ""),
            " (%.2f×)" % ratio if ratio is not None else ""))
    if not rows:
        return []
    return [
        "## Targets",
        "",
        "Ours must be at least *target* times faster than the peer: median "
        "wall times of this run, whole pipelines (÷ ours, net: the same "
        "without each pipeline's baseline, for information).",
        "",
        "| Group | Ours | Peer | Target | ÷ ours (wall) | ÷ ours (net) "
        "| Status |",
        "|---|---|---|---:|---:|---:|---|",
    ] + rows + [""]


def fmt_ratio(x):
    return "%.2f×" % x if x is not None else "—"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tool_versions(b):
    out = []
    r = subprocess.run(["gst-launch-1.0", "--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("GStreamer"):
            out.append(line.strip())
    if b.ffmpeg:
        r = subprocess.run([b.ffmpeg, "-version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        if r.stdout:
            out.append(" ".join(r.stdout.split()[:3]))
    if shutil.which("dpkg-query"):
        for pkg in ("lsp-plugins-lv2", "libebur128-dev"):
            r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            if r.returncode == 0 and r.stdout:
                out.append("%s %s" % (pkg, r.stdout.strip()))
    return out


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--ffmpeg-loudnorm-two-pass":
        return ffmpeg_loudnorm_two_pass(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", help="meson build dir holding "
                    "libgstmastering.so (prepended to GST_PLUGIN_PATH)")
    ap.add_argument("--runs", type=int, default=5,
                    help="timed runs per case (default 5)")
    ap.add_argument("--only", action="append", metavar="GROUP",
                    help="run only this group (repeatable); groups: %s"
                    % ", ".join(sorted({c["group"] for c in CASES})))
    ap.add_argument("--markdown", metavar="FILE",
                    help="also write the report to FILE")
    ap.add_argument("--seconds", type=int, default=DEFAULT_SECONDS,
                    help="length of the test audio (default 600; a multiple "
                    "of 10; change only for smoke tests)")
    ap.add_argument("--blocksize", type=int, default=DEFAULT_BLOCKSIZE,
                    help="bytes per buffer pushed by the source (default %d "
                    "= 1024 frames); 0 = plain filesrc, pulled by "
                    "rawaudioparse in 64 KiB chunks" % DEFAULT_BLOCKSIZE)
    ap.add_argument("--no-verify", action="store_true",
                    help="skip the check that each peer processes")
    ap.add_argument("--list", action="store_true",
                    help="print the cases and their commands, then exit")
    args = ap.parse_args()
    if args.seconds <= 0 or args.seconds % 10:
        ap.error("--seconds must be a positive multiple of 10")
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    b = Bench(args)
    if args.build_dir and not os.path.isdir(args.build_dir):
        warn("build dir %s does not exist" % args.build_dir)

    # Selection
    cases = list(CASES)
    if args.only:
        unknown = set(args.only) - {c["group"] for c in CASES}
        if unknown:
            ap.error("unknown group(s): %s" % ", ".join(sorted(unknown)))
        sel = [c for c in cases if c["group"] in args.only]
        needed = {c.get("baseline") for c in sel}
        cases = [c for c in cases if c in sel or c["name"] in needed]
    else:
        needed = {c.get("baseline") for c in cases if c["role"] != "baseline"}
        cases = [c for c in cases if c["role"] != "baseline" or c["name"] in needed]

    data = os.path.join(CACHE_DIR, "music-v%d-%ds-%dk-stereo-f32le.raw"
                        % (DATA_VERSION, args.seconds, RATE // 1000))

    if args.list:
        for c in cases:
            print("[%s] %s (%s)\n    %s\n" % (c["group"], c["name"], c["role"],
                                               b.display_command(c)))
        return 0

    # Availability
    active = []
    skipped = {}
    for c in cases:
        miss = b.missing(c)
        if miss:
            msg = "not available: " + ", ".join(miss)
            warn("skipping %s: %s" % (c["name"], msg))
            skipped[c["name"]] = msg
        else:
            active.append(c)

    # Verification on a short noise file (also warms the registry)
    verification = {}
    if not args.no_verify:
        b.verify_file = ensure_file(
            os.path.join(CACHE_DIR, "noise-v%d-%d.raw" % (DATA_VERSION, VERIFY_FRAMES)),
            VERIFY_FRAMES * BYTES_PER_FRAME, generate_noise, VERIFY_FRAMES)
        # The first 10 s of the benchmark's music (same generator, chunk 0).
        b.verify_music = ensure_file(
            os.path.join(CACHE_DIR, "music-v%d-%ds-%dk-stereo-f32le.raw"
                         % (DATA_VERSION, VERIFY_MUSIC_SECONDS, RATE // 1000)),
            VERIFY_MUSIC_SECONDS * RATE * BYTES_PER_FRAME, generate_music,
            VERIFY_MUSIC_SECONDS)
        keep = []
        for c in active:
            kind = GROUPS.get(c["group"], {}).get("verify")
            if c["role"] == "baseline":
                kind = None
            ok, text = verify_case(b, c, kind)
            verification[c["name"]] = text
            info("verify %-32s %s" % (c["name"] + ":", text))
            if ok:
                keep.append(c)
            else:
                warn("skipping %s: %s" % (c["name"], text))
                skipped[c["name"]] = text
        active = keep

    # Timed runs, interleaved; the starting case rotates every round
    ensure_file(data, args.seconds * RATE * BYTES_PER_FRAME,
                generate_music, args.seconds)
    if any("{wav}" in " ".join(c.get("cmd", [])) for c in active):
        warm_page_cache(ensure_wav(data))
    warm_page_cache(data)
    cmds = {c["name"]: b.command(c, data) for c in active}
    for c in active:   # one untimed run each: registry, caches, page cache
        wall, cpu, rc, err = b.run_timed(cmds[c["name"]])
        if rc != 0:
            warn("skipping %s: exit %d: %s" % (c["name"], rc, err.strip()[-500:]))
            skipped[c["name"]] = "failed (exit %d)" % rc
    active = [c for c in active if c["name"] not in skipped]

    walls = {c["name"]: [] for c in active}
    cpus = {c["name"]: [] for c in active}
    for r in range(args.runs):
        order = active[r % len(active):] + active[:r % len(active)] if active else []
        for c in order:
            if c["name"] in skipped:
                continue
            wall, cpu, rc, err = b.run_timed(cmds[c["name"]])
            if rc != 0:
                warn("%s failed in run %d: %s" % (c["name"], r + 1, err.strip()[-500:]))
                skipped[c["name"]] = "failed (exit %d) in run %d" % (rc, r + 1)
                continue
            walls[c["name"]].append(wall)
            cpus[c["name"]].append(cpu)
            info("run %d/%d  %-32s %7.3f s wall  %7.3f s cpu"
                 % (r + 1, args.runs, c["name"], wall, cpu))
    active = [c for c in active if c["name"] not in skipped]

    master_lines = []
    if any(c["group"] == "master" for c in active):
        master_lines = verify_master_outputs(b)
        for line in master_lines:
            info("output " + line)

    med = {n: statistics.median(v) for n, v in walls.items() if v}
    cmed = {n: statistics.median(v) for n, v in cpus.items() if v}

    core_cmp = None
    if any(c["group"] == "loudness" for c in active):
        core_cmp = core_comparison(b, data, args.runs)

    # Report
    lines = []
    now = datetime.datetime.now().astimezone()
    lines.append("# Benchmarks")
    lines.append("")
    lines.append("Generated by `bench/bench.py` on %s." % now.strftime("%Y-%m-%d %H:%M %Z"))
    lines.append("")
    lines.append("- Machine: `nproc` = %d, CPU: %s" % (os.cpu_count() or 0, cpu_model()))
    lines.append("- Tools: %s" % "; ".join(tool_versions(b)))
    lines.append("- Input: %d s (%.1f min) of generated music-like 48 kHz stereo "
                 "F32LE audio (%.1f MB), read from a file in the page cache"
                 % (args.seconds, args.seconds / 60, args.seconds * RATE * BYTES_PER_FRAME / 1e6))
    lines.append("- Buffers: %s" % (
        "%d bytes (%d frames) pushed by pushfilesrc" % (args.blocksize, args.blocksize // BYTES_PER_FRAME)
        if args.blocksize > 0 else "filesrc pulled by rawaudioparse (64 KiB)"))
    lines.append("- Runs: %d per case. Medians are taken over interleaved runs "
                 "(every case once per round, starting case rotating) on a "
                 "shared, noisy 2-core machine; compare ratios from the same "
                 "report, not absolute times across reports." % args.runs)
    lines.append("- Realtime factor = %d s / median wall time. *Net* = median "
                 "minus the median of the case's baseline (the same pipeline "
                 "without the element). *÷ ours* = this case's time divided by "
                 "our element's (above 1: ours is faster)." % args.seconds)
    lines.append("- CPU = user + system time of the process (median); "
                 "GStreamer pipelines here run in a single streaming thread.")
    lines.append("")
    lines += target_lines(cases, med, skipped)

    groups = []
    for c in active + [c for c in cases if c["name"] in skipped]:
        if c["group"] not in groups and c["role"] != "baseline":
            groups.append(c["group"])

    for g in groups:
        ginfo = GROUPS.get(g, {})
        lines.append("## %s" % ginfo.get("title", g))
        lines.append("")
        if ginfo.get("settings"):
            lines.append("Settings: %s." % ginfo["settings"])
            lines.append("")
        gcases = [c for c in cases if c["group"] == g]
        bases = []
        for c in gcases:
            bn = c.get("baseline")
            if bn and bn not in bases:
                bases.append(bn)
        rows = [c for c in cases if c["name"] in bases] + gcases
        ours = next((c for c in gcases if c["role"] == "ours"), None)
        ours_med = med.get(ours["name"]) if ours else None
        ours_net = None
        if ours_med is not None and med.get(ours.get("baseline")) is not None:
            ours_net = ours_med - med[ours["baseline"]]
        if g == "master" and master_lines:
            lines.append("Outputs (last run): " + " — ".join(master_lines) + ".")
            lines.append("")
        lines.append("| Case | Median wall (s) | Min–max (s) | Realtime factor "
                     "| Median CPU (s) | Net (s) | ÷ ours (wall) | ÷ ours (net) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for c in rows:
            n = c["name"]
            label = n + (" **(ours)**" if c["role"] == "ours" else "")
            if n not in med:
                lines.append("| %s | skipped: %s | | | | | | |" % (
                    label, skipped.get(n, "not run")))
                continue
            m = med[n]
            net = None
            if c.get("baseline") in med:
                net = m - med[c["baseline"]]
            r_wall = m / ours_med if ours_med and c["role"] != "baseline" else None
            r_net = (net / ours_net if net is not None and ours_net and ours_net > 0
                     and c["role"] != "baseline" else None)
            lines.append("| %s | %.3f | %.3f–%.3f | %.0f× | %.3f | %s | %s | %s |" % (
                label, m, min(walls[n]), max(walls[n]), args.seconds / m,
                cmed[n], "%.3f" % net if net is not None else "—",
                fmt_ratio(r_wall), fmt_ratio(r_net)))
        lines.append("")
        if g == "loudness" and core_cmp:
            lines += core_comparison_lines(core_cmp)

    lines.append("## Commands")
    lines.append("")
    lines.append("`F` is the input file. GStreamer cases ran with "
                 "`GST_PLUGIN_PATH=<build dir>`.")
    lines.append("")
    for c in cases:
        lines.append("- **%s**%s: `%s`" % (
            c["name"], " (%s)" % c["note"] if c.get("note") else "",
            b.display_command(c)))
    lines.append("")
    if verification:
        lines.append("## Verification")
        lines.append("")
        lines.append("Before timing, each case processed %.1f s of white noise "
                     "(the limiters and the dynamics groups: the first "
                     "10 s of the music) "
                     "to a file; a peer whose output equals its input "
                     "(after the first second) is skipped, and so is a "
                     "limiter that does not take the peak down. The limiters' "
                     "peaks are shown against the ceiling (true peak: FFT "
                     "upsampling by 8). For the EQ the gain at each band centre is "
                     "estimated from the cross-spectrum and shown next to the "
                     "RBJ-cookbook peak filters with the same settings (the "
                     "peers define bandwidth differently, so small deviations "
                     "are expected). For the dynamics groups the frames out, "
                     "the RMS and the sample peak against the input's are "
                     "shown; a level that does not move is flagged." % (
                         VERIFY_FRAMES / RATE))
        lines.append("")
        for c in cases:
            if c["name"] in verification and c["role"] != "baseline":
                lines.append("- %s: %s" % (c["name"], verification[c["name"]]))
        lines.append("")

    report = "\n".join(lines)
    print(report)
    if args.markdown:
        d = os.path.dirname(os.path.abspath(args.markdown))
        os.makedirs(d, exist_ok=True)
        with open(args.markdown, "w") as f:
            f.write(report)
        info("wrote %s" % args.markdown)
    shutil.rmtree(b.outdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
