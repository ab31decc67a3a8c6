"""localkube as a whole, measured through its API like any client would:
kubelet.pod_running_ms (POST of a pod until a watch shows it Running, on a
3-node cluster) and localkube.rss_100_pods_mib (the daemon's VmRSS with 100
pods Running). One JSON line per figure on stdout, progress on stderr.

Usage: localkube_bench.py PATH/TO/localkube
"""
import fcntl
import http.client
import json
import math
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SAMPLES = 12
PODS = 100


def report(name, value, unit, **extra):
    print(json.dumps({"bench": name, "value": round(value, 2), "unit": unit, **extra}, separators=(",", ":")), flush=True)


def report_samples(name, samples, unit, **extra):
    s = sorted(samples)
    at = lambda q: s[min(len(s) - 1, math.ceil(q * len(s)) - 1)]  # noqa: E731 (as test/bench/bench.cc)
    report(name, at(0.5), unit, p50=round(at(0.5), 2), p99=round(at(0.99), 2), max=round(s[-1], 2),
           runs=len(s), **extra)


def log(msg):
    print(f"localkube_bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mounted_under(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4].startswith(path + "/") for line in f)


class Api:
    def __init__(self, directory, port):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=os.path.join(directory, "pki", "ca.crt"))
        with open(os.path.join(directory, "pki", "admin.token")) as f:
            self.token = f.read().strip()

    def conn(self, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=timeout)

    def call(self, method, path, body=None):
        c = self.conn()
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            resp = c.getresponse()
            data = json.loads(resp.read() or b"{}")
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {data.get('message', '')}")
            return data
        finally:
            c.close()

    def watch_until_running(self, name, rv, timeout):
        """Reads a watch on one pod from `rv` until it reports phase Running."""
        c = self.conn(timeout=timeout)
        try:
            c.request("GET", f"/api/v1/namespaces/default/pods?watch=1&resourceVersion={rv}"
                      f"&fieldSelector=metadata.name%3D{name}", headers={"Authorization": f"Bearer {self.token}"})
            resp = c.getresponse()
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                line = resp.readline()
                if not line:
                    raise RuntimeError(f"watch on {name} ended before Running")
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    raise RuntimeError(f"watch on {name}: {event['object'].get('message')}")
                if event["object"].get("status", {}).get("phase") == "Running":
                    return
            raise RuntimeError(f"{name} not Running within {timeout}s")
        finally:
            c.close()


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "localkube"}},
            "spec": {"terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "app", "image": "debian:bookworm", "command": ["sleep", "infinity"]}]}}


def wait(condition, timeout, what):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def running_count(api):
    pods = api.call("GET", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dlocalkube")["items"]
    return sum(1 for p in pods if p.get("status", {}).get("phase") == "Running")


def wait_for_machine():
    """Another pod-running localkube holds this lock; ours could not start."""
    def free():
        try:
            with open("/run/localkube/pods.lock") as f:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(f, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        except BlockingIOError:
            return False
        return True
    wait(free, 900, "another pod-running localkube on this machine to stop")


def measure(localkube, directory):
    wait_for_machine()
    port = free_port()
    res = subprocess.run([localkube, "start", "--dir", directory, "--port", str(port), "--nodes", "3"],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"localkube start failed: {res.stderr.strip()}")
    api = Api(directory, port)

    def nodes_ready():
        nodes = api.call("GET", "/api/v1/nodes")["items"]
        return sum(1 for n in nodes for c in n.get("status", {}).get("conditions", [])
                   if c["type"] == "Ready" and c["status"] == "True") == 3
    wait(nodes_ready, 60, "3 Ready nodes")

    samples = []
    for i in range(SAMPLES):
        name = f"bench-{i}"
        t0 = time.monotonic()
        created = api.call("POST", "/api/v1/namespaces/default/pods", pod(name))
        api.watch_until_running(name, created["metadata"]["resourceVersion"], timeout=120)
        samples.append((time.monotonic() - t0) * 1000)
    report_samples("kubelet.pod_running_ms", samples, "ms", goal=300, nodes=3, via="localkube API")

    t0 = time.monotonic()
    for i in range(SAMPLES, PODS):
        api.call("POST", "/api/v1/namespaces/default/pods", pod(f"bench-{i}"))
    wait(lambda: running_count(api) == PODS, 600, f"{PODS} pods Running")
    log(f"{PODS} pods Running, {PODS - SAMPLES} of them started in {time.monotonic() - t0:.1f}s")
    with open(os.path.join(directory, "localkube.pid")) as f:
        pid = int(f.read())
    with open(f"/proc/{pid}/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    report("localkube.rss_100_pods_mib", kib / 1024, "MiB", pods=PODS, nodes=3)


def main():
    localkube = sys.argv[1]
    directory = tempfile.mkdtemp(prefix="localkube-bench-")
    try:
        measure(localkube, directory)
        return 0
    except Exception as e:  # the figure is missing; say why
        log(f"failed: {e}")
        return 1
    finally:
        res = subprocess.run([localkube, "stop", "--dir", directory], capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            log(f"localkube stop: {res.stderr.strip()}")
        if mounted_under(directory):
            log(f"mounts left under {directory}; not removing it")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
