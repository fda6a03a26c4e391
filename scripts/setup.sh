#!/bin/sh
# Sourced by scripts/master and scripts/test: installs the Debian packages
# that are missing (apt-get update once, then apt-get install -y), then
# configures and builds with meson into build/.
set -eu

# Sourced: $0 is the sourcing script (sh), or the shell itself at a bash
# prompt, where BASH_SOURCE names this file (eval keeps dash from parsing
# the array syntax).
self=$0
if [ -n "${BASH_VERSION:-}" ]; then
  eval 'self=${BASH_SOURCE[0]}'
fi
top=$(cd "$(dirname "$self")/.." && pwd)
build="$top/build"

packages="meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev \
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev liborc-0.4-dev \
liborc-0.4-dev-bin gstreamer1.0-tools gstreamer1.0-plugins-base \
gstreamer1.0-plugins-good libebur128-dev ffmpeg \
gstreamer1.0-plugins-bad libcairo2-dev python3 libfftw3-dev \
libjson-glib-dev python3-gi gir1.2-gstreamer-1.0 clang libclang-rt-14-dev \
slurm-wlm munge systemd"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "Installing Debian packages:$missing"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi

# scripts/test starts its other builds here, beside this one (its
# function setup_beside, which returns at once).
if command -v setup_beside >/dev/null 2>&1; then
  setup_beside
fi
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" --buildtype=release
fi
meson compile -C "$build"
export GST_PLUGIN_PATH="$build/elements${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
