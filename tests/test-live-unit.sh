#!/bin/sh
# systemd-analyze verify of the gst-master live template unit, as an
# instance, with ExecStart pointed at the built gst-master (verify wants the
# program to exist). Any complaint about the unit fails the test; without
# systemd-analyze it is skipped (77).
#
#   test-live-unit.sh BUILT_UNIT GST_MASTER
unit=$1
gm=$(realpath "$2")
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not installed: skipped"
  exit 77
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
sed "s|^ExecStart=[^ ]*/gst-master |ExecStart=$gm |" "$unit" \
  > "$d/gst-master-live@feed1.service"
grep -q "^ExecStart=$gm live " "$d/gst-master-live@feed1.service" || {
  echo "FAIL: no ExecStart running gst-master live in $unit"
  exit 1
}
(cd "$d" && systemd-analyze verify --man=no gst-master-live@feed1.service) \
  > "$d/out" 2>&1
status=$?
cat "$d/out"
if [ $status -ne 0 ] || grep -q "gst-master-live" "$d/out"; then
  echo "FAIL: systemd-analyze verify complains"
  exit 1
fi
echo "ok    systemd-analyze verify: no complaint"
