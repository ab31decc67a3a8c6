#!/usr/bin/env bash
# localkube driven as a user would (a real daemon, 3 virtual nodes, pods
# through the API): kubelet.pod_running_ms and localkube.rss_100_pods_mib,
# one JSON line each (see localkube_bench.py). Pods need root; without root
# or a built localkube it says so on stderr and reports nothing. Holds the
# lock the e2e tests take: one pod-running localkube per machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
localkube="$build/bin/localkube"
if [ "$(id -u)" != 0 ]; then
  echo "localkube_bench: skipped: pods need root" >&2
  exit 0
fi
if [ ! -x "$localkube" ]; then
  echo "localkube_bench: skipped: $localkube is not built" >&2
  exit 0
fi
exec flock -w 900 /tmp/localkube-pods.lock /usr/bin/python3 "$here/localkube_bench.py" "$localkube"
