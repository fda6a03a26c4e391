#!/bin/sh
# mastering: gst-launch recipes for the eq element.
#
#   GST_PLUGIN_PATH=build/elements examples/eq-recipes.sh [RECIPE] [FILE]
#
# RECIPE is one of the names below (default: all, one after the other).
# FILE is any audio file GStreamer can decode; without it, 5 s of stereo pink
# noise. SINK chooses the output (default autoaudiosink; SINK=fakesink for a
# silent run, e.g. SINK="wavenc ! filesink location=out.wav" to keep it).
set -eu

recipe=${1:-all}
file=${2:-}
sink=${SINK:-autoaudiosink}

if [ -n "$file" ]; then
  src="filesrc location=$file ! decodebin ! audioconvert"
else
  # 250 buffers of 1024 frames at 48 kHz: about 5 s.
  src="audiotestsrc wave=pink-noise num-buffers=250 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! audioconvert"
fi

run() {
  echo "== $1"
  shift
  # $src and $sink hold several words on purpose.
  # shellcheck disable=SC2086
  gst-launch-1.0 -q $src ! "$@" ! audioconvert ! $sink
}

# Clean-up: rumble filter, a little less mud, a touch of air.
cleanup() {
  run cleanup eq num-bands=3 \
    band0::type=low-cut band0::freq=30 band0::slope=24 \
    band1::type=peak band1::freq=250 band1::gain=-2 band1::q=1.5 \
    band2::type=high-shelf band2::freq=12000 band2::gain=1.5
}

# Mid/side: keep the low end mono (low-cut on the side below 120 Hz), widen
# the top (high shelf on the side), and bring the vocal forward (peak on the
# mid). Mid = (L+R)/2, side = (L-R)/2 of the front pair.
midside() {
  run midside eq num-bands=3 \
    band0::type=low-cut band0::freq=120 band0::slope=12 band0::channels=side \
    band1::type=high-shelf band1::freq=8000 band1::gain=2 band1::channels=side \
    band2::type=peak band2::freq=2500 band2::gain=1 band2::q=0.8 band2::channels=mid
}

# Tilt: the whole spectrum pivots at 1 kHz, -1 dB at the bottom, +1 dB at
# the top (gain is the total tilt), with 1 dB of output gain taken off.
tilt() {
  run tilt eq num-bands=1 gain=-1 band0::type=tilt band0::freq=1000 band0::gain=2
}

# Surgical: notch out 50 Hz hum and its second harmonic on the left channel.
hum() {
  run hum eq num-bands=2 \
    band0::type=notch band0::freq=50 band0::q=10 band0::channels=left \
    band1::type=notch band1::freq=100 band1::q=10 band1::channels=left
}

# Telephone: band-limit to 300-3400 Hz with steep cuts.
telephone() {
  run telephone eq num-bands=2 \
    band0::type=low-cut band0::freq=300 band0::slope=48 \
    band1::type=high-cut band1::freq=3400 band1::slope=48
}

# A/B: the same settings bypassed (bit-exact passthrough).
bypassed() {
  run bypassed eq num-bands=1 bypass=true band0::type=peak band0::freq=1000 band0::gain=6
}

case "$recipe" in
  all) cleanup; midside; tilt; hum; telephone; bypassed ;;
  cleanup|midside|tilt|hum|telephone|bypassed) "$recipe" ;;
  *) echo "unknown recipe: $recipe" >&2; exit 2 ;;
esac
