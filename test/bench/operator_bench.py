"""The operator measured through the API, as a user would see it, on one
pod-running localkube with manifests/operator.yaml installed:

- operator.time_to_ready_s: `kubectl apply` of cluster-example (3 instances)
  until the Cluster reports 3 ready instances, median of RUNS; beside it
  operator.floor_s, the same work done bare on this machine in this run
  (initdb, first start, two base backups in parallel, each standby started).
- operator.status_writes_per_min_idle: Cluster writes seen by a watch on a
  healthy, idle cluster.
- instance.pod_rss_mib: tusk-instance (PID 1 of a Postgres pod), VmRSS.
- operator.rss_1_cluster_mib / operator.rss_20_clusters_mib: the operator
  process's VmRSS with 1 and with 20 healthy clusters.
- failover.kill_postgres_ms: SIGKILL of the primary's postmaster until the
  first successful write through -rw (FAILOVER_RUNS times).
One JSON line per figure on stdout, progress on stderr.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

from harness import wait_for
from lkcase import PodCluster, condition, phase, require_environment

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPERATOR_YAML = os.path.join(ROOT, "manifests", "operator.yaml")
EXAMPLE = os.path.join(ROOT, "manifests", "samples", "cluster-example.yaml")
HEALTHY = "Cluster in healthy state"
RUNS = int(os.environ.get("OPERATOR_BENCH_RUNS", "5"))
FAILOVER_RUNS = int(os.environ.get("OPERATOR_BENCH_FAILOVERS", "5"))
MANY = 20
PG_BIN = "/usr/lib/postgresql/15/bin"


def report(name, value, unit, **extra):
    print(json.dumps({"bench": name, "value": round(value, 2), "unit": unit, **extra}, separators=(",", ":")),
          flush=True)


def report_samples(name, samples, unit, **extra):
    s = sorted(samples)
    at = lambda q: s[min(len(s) - 1, math.ceil(q * len(s)) - 1)]  # noqa: E731
    report(name, at(0.5), unit, p50=round(at(0.5), 2), p99=round(at(0.99), 2), max=round(s[-1], 2), runs=len(s),
           **extra)


def log(msg):
    print(f"operator_bench: {msg}", file=sys.stderr, flush=True)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def pids_of(argv0, arg=None):
    """PIDs on this machine whose command line starts with a program named argv0 (and holds arg)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == argv0 and (arg is None or arg in argv):
            out.append(int(pid))
    return out


def instance_pid(pod):
    """The tusk-instance (PID 1 of the pod's postgres container) of `pod`."""
    for pid in pids_of("tusk-instance", "run"):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if f"POD_NAME={pod}".encode() in f.read().split(b"\0"):
                    return pid
        except OSError:
            continue
    return None


def postmaster_of(pod):
    parent = instance_pid(pod)
    if parent is None:
        return None
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == parent and comm == "postgres":
            return int(pid)
    return None


def failovers(c, runs):
    """SIGKILL of the primary's postmaster -> first write through -rw that succeeds."""
    import psycopg2
    secret = c.kubectl_json("get", "secret", "cluster-example-app")
    import base64
    creds = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    rw = c.get("service", "cluster-example-rw")["spec"]["clusterIP"]

    def write():
        conn = psycopg2.connect(host=rw, port=5432, user=creds["username"], password=creds["password"],
                                dbname=creds["dbname"], connect_timeout=1)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE IF NOT EXISTS bench_failover (at timestamptz DEFAULT now())")
                cur.execute("INSERT INTO bench_failover DEFAULT VALUES")
        finally:
            conn.close()

    samples = []
    for i in range(runs):
        wait_for(lambda: healthy(c, "cluster-example", 3), timeout=300, interval=0.2, what="healthy before a kill")
        write()
        primary = c.get("cluster", "cluster-example")["status"]["currentPrimary"]
        pid = postmaster_of(primary)
        if pid is None:
            raise RuntimeError(f"no postmaster found for {primary}")
        t0 = time.monotonic()
        os.kill(pid, 9)
        deadline = t0 + 120
        while True:
            try:
                write()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no write through -rw within 120 s of killing {primary}'s postgres")
                time.sleep(0.02)
        samples.append((time.monotonic() - t0) * 1000)
        now = c.get("cluster", "cluster-example")["status"]["currentPrimary"]
        log(f"failover {i + 1}: {primary} -> {now}, first write after {samples[-1]:.0f} ms")
    return samples


def cluster_doc(name, instances):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"instances": instances, "storage": {"size": "1Gi"}}}


def healthy(c, name, instances):
    obj = c.get("cluster", name)
    st = (obj or {}).get("status") or {}
    return st.get("phase") == HEALTHY and st.get("readyInstances") == instances


def delete_and_wait(c, name):
    c.kubectl("delete", "cluster", name, "--wait=false")
    wait_for(lambda: not c.kubectl_json("get", "pods", "-l", f"cnpg.io/cluster={name}")["items"]
             and not c.kubectl_json("get", "pvc", "-l", f"cnpg.io/cluster={name}")["items"],
             timeout=180, interval=0.5, what=f"{name} gone")


def floor_seconds():
    """initdb + start + two parallel base backups + both standbys started, bare."""
    work = tempfile.mkdtemp(prefix="tusk-floor-")
    os.chmod(work, 0o777)
    procs = []

    def as_pg(*argv, check=True):
        # No pipes: a postmaster started by pg_ctl would hold them open.
        return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=check, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=120)

    try:
        t0 = time.monotonic()
        primary = os.path.join(work, "p")
        as_pg(f"{PG_BIN}/initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync")
        sock = work
        as_pg(f"{PG_BIN}/pg_ctl", "-D", primary, "-l", os.path.join(work, "p.log"), "-w", "-o", f"-p 55432 -k {sock} -c listen_addresses=''", "start")
        backups = [subprocess.Popen(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_basebackup", "-h", sock, "-p",
                                     "55432", "-U", "postgres", "-D", os.path.join(work, f"s{i}"), "-X", "stream",
                                     "-R", "-c", "fast"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for i in (1, 2)]
        for b in backups:
            if b.wait(timeout=120) != 0:
                raise RuntimeError("pg_basebackup failed")
        for i, port in ((1, 55433), (2, 55434)):
            as_pg(f"{PG_BIN}/pg_ctl", "-D", os.path.join(work, f"s{i}"), "-l", os.path.join(work, f"s{i}.log"), "-w", "-o",
                  f"-p {port} -k {sock} -c listen_addresses=''", "start")
        return time.monotonic() - t0
    finally:
        for d in ("s2", "s1", "p"):
            path = os.path.join(work, d)
            if os.path.exists(os.path.join(path, "postmaster.pid")):
                as_pg(f"{PG_BIN}/pg_ctl", "-D", path, "-m", "immediate", "stop", check=False)
        shutil.rmtree(work, ignore_errors=True)


def main():
    try:
        require_environment()
    except Exception as e:  # SkipTest: no root or no netns support
        log(f"skipped: {e}")
        return 0
    floors = []
    for _ in range(RUNS):
        floors.append(floor_seconds())
    log(f"floor runs: {[round(f, 2) for f in floors]}")
    with PodCluster(nodes=3) as c:
        try:
            run(c, floors)
        finally:
            res, left = c.stop_and_check()
            if left:
                log(f"left behind: {left}")
    return 0


def run(c, floors):
    wait_for(lambda: len([n for n in c.kubectl_json("get", "nodes")["items"] if condition(n, "Ready") == "True"]) == 3,
             timeout=60, interval=0.2, what="3 Ready nodes")
    c.kubectl("apply", "-f", OPERATOR_YAML)
    c.kubectl("wait", "--for=condition=available", "--timeout=180s", "-n", "tusk-system", "deployment/tusk-operator")
    def operator_pid():
        found = pids_of("tusk-operator", "--leader-elect")
        if len(found) != 1:
            raise RuntimeError(f"expected one tusk-operator process, found {found}")
        return found[0]
    first_operator = operator_pid()

    times = []
    for i in range(RUNS):
        t0 = time.monotonic()
        c.kubectl("apply", "-f", EXAMPLE)
        wait_for(lambda: healthy(c, "cluster-example", 3), timeout=300, interval=0.05, what="cluster-example healthy")
        times.append(time.monotonic() - t0)
        log(f"run {i + 1}: ready in {times[-1]:.2f} s")
        if i + 1 < RUNS:
            delete_and_wait(c, "cluster-example")
    report_samples("operator.time_to_ready_s", times, "s", instances=3)
    report_samples("operator.floor_s", floors, "s", what="initdb + start + 2 parallel base backups + 2 starts")

    if FAILOVER_RUNS:
        report_samples("failover.kill_postgres_ms", failovers(c, FAILOVER_RUNS), "ms")
        wait_for(lambda: healthy(c, "cluster-example", 3), timeout=300, interval=0.5, what="healthy after failovers")

    # Idle: a watch on the healthy Cluster counts every write for a minute.
    idle_s = 60
    kubectl = ["kubectl", "--kubeconfig", c.kubeconfig, "--cache-dir", os.path.join(c.dir, "kubectl-cache")]
    watch = subprocess.Popen(kubectl + ["get", "cluster", "cluster-example", "--watch-only", "-o", "name",
                                        "--output-watch-events"], stdout=subprocess.PIPE, text=True)
    time.sleep(idle_s)
    watch.terminate()
    out, _ = watch.communicate(timeout=10)
    writes = len([line for line in out.splitlines() if line.strip()])
    report("operator.status_writes_per_min_idle", writes * 60.0 / idle_s, "writes/min", window_s=idle_s)

    instance = [p for p in pids_of("tusk-instance", "run")]
    report("instance.pod_rss_mib", max(rss_mib(p) for p in instance), "MiB", pods=len(instance), what="max VmRSS")
    operator = operator_pid()
    restarts = 0 if operator == first_operator else 1
    report("operator.rss_1_cluster_mib", rss_mib(operator), "MiB", clusters=1, operator_restarted=restarts)

    names = [f"bench-{i}" for i in range(MANY - 1)]
    for n in names:
        c.kubectl("apply", "-f", "-", input=json.dumps(cluster_doc(n, 1)))
    wait_for(lambda: all(healthy(c, n, 1) for n in names), timeout=600, interval=1.0, what=f"{MANY} healthy clusters")
    time.sleep(5)  # let the caches and streams settle
    operator = operator_pid()
    report("operator.rss_20_clusters_mib", rss_mib(operator), "MiB", clusters=MANY,
           instances=len(pids_of("tusk-instance", "run")))


if __name__ == "__main__":
    sys.exit(main())
