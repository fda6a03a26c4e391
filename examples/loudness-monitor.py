#!/usr/bin/python3
"""Reading the loudmeter's messages from Python (PyGObject).

    GST_PLUGIN_PATH=build/elements /usr/bin/python3 examples/loudness-monitor.py [FILE]

Measures FILE (any audio file GStreamer can decode) or, without it, 10 s of
pink noise, printing a line per "loudness" message (every 500 ms) and the
final figures at EOS. Exits non-zero on a pipeline error.
"""

import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

INTERVAL_NS = 500 * Gst.MSECOND


def doubles(structure, field):
    """A GstValueArray field as a list of floats.  Without gst-python's
    overrides (python3-gst-1.0) PyGObject cannot convert one from
    get_value(); get_array() hands it over as a GValueArray, whose accessor
    GLib deprecates (hence the filter)."""
    ok, array = structure.get_array(field)
    if not ok:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [array.get_nth(i) for i in range(array.n_values)]


def main():
    Gst.init(None)
    if len(sys.argv) > 1:
        pipeline = Gst.parse_launch(
            "filesrc name=src ! decodebin ! audioconvert ! "
            "audio/x-raw,format=F32LE ! loudmeter name=meter ! fakesink")
        pipeline.get_by_name("src").set_property("location", sys.argv[1])
    else:
        # 10 s at 48 kHz in buffers of 1024 frames.
        pipeline = Gst.parse_launch(
            "audiotestsrc wave=pink-noise volume=0.3 num-buffers=469 "
            "samplesperbuffer=1024 ! "
            "audio/x-raw,format=F32LE,rate=48000,channels=2 ! "
            "loudmeter name=meter ! fakesink")
    pipeline.get_by_name("meter").set_property("interval", INTERVAL_NS)

    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    status = 0
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.ELEMENT | Gst.MessageType.EOS
            | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("Error: %s\n%s" % (err.message, dbg or ""), file=sys.stderr)
            status = 1
            break
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s is None or s.get_name() != "loudness":
            continue
        # Values not measurable yet are -inf.
        if not s.get_value("final"):
            print("%7.2f s  M %6.1f  S %6.1f  I %6.1f LUFS  LRA %4.1f LU  "
                  "TP %5.1f dBTP" % (
                      s.get_value("running-time") / Gst.SECOND,
                      s.get_value("momentary"), s.get_value("short-term"),
                      s.get_value("integrated"),
                      s.get_value("loudness-range"),
                      s.get_value("true-peak")))
            continue
        print("\nIntegrated loudness: %.1f LUFS" % s.get_value("integrated"))
        print("Loudness range:      %.1f LU" % s.get_value("loudness-range"))
        print("True peak:           %.1f dBTP" % s.get_value("true-peak"))
        for c, tp in enumerate(doubles(s, "channel-true-peak")):
            print("  channel %d:         %.1f dBTP" % (c, tp))
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main())
