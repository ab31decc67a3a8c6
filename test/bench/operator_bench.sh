#!/usr/bin/env bash
# The operator on localkube as a user meets it: operator.time_to_ready_s with
# operator.floor_s beside it, operator.rss_1_cluster_mib and
# rss_20_clusters_mib, operator.status_writes_per_min_idle and
# instance.pod_rss_mib (see operator_bench.py). Pods need root; without root
# or the binaries it says so on stderr and reports nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
if [ "$(id -u)" != 0 ]; then
  echo "operator_bench: skipped: pods need root" >&2
  exit 0
fi
for bin in localkube tusk-operator tusk-instance; do
  if [ ! -x "$build/bin/$bin" ]; then
    echo "operator_bench: skipped: $build/bin/$bin is not built" >&2
    exit 0
  fi
done
LOCALKUBE="$build/bin/localkube" PYTHONDONTWRITEBYTECODE=1 \
  PYTHONPATH="$root/test/e2e:$root/test/e2e/localkube:$root/test/e2e/operator" \
  exec /usr/bin/python3 "$here/operator_bench.py"
