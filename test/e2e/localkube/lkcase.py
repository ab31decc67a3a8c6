"""A pod-running localkube for one test module, checked clean after it stops.

LocalkubeCase starts `localkube start --dir <tmp> --nodes 3` once per test
class and, when the class is done (even after a failure), stops it and
fails if anything of it is left on the machine (see leftovers.py). Only one
pod-running localkube may exist per machine, so PodCluster also holds a
machine-wide lock file while it runs.
"""
import fcntl
import http.client
import json
import os
import unittest
import urllib.request

from harness import KUBECTL, LOCALKUBE, Cluster, wait_for
from leftovers import Footprint, pids_with_env

MACHINE_LOCK = "/tmp/localkube-pods.lock"
# Held by a pod-running localkube daemon; another one started meanwhile refuses.
DAEMON_LOCK = "/run/localkube/pods.lock"
LOCK_WAIT_S = 900


def require_environment():
    """Raises SkipTest, saying why, where pod-running localkube cannot run."""
    if os.geteuid() != 0:
        raise unittest.SkipTest(f"localkube e2e skipped: pods need root (running as uid {os.geteuid()})")
    if not os.access(KUBECTL, os.X_OK):
        raise unittest.SkipTest(f"localkube e2e skipped: kubectl not found at {KUBECTL}")
    if not os.access(LOCALKUBE, os.X_OK):
        raise AssertionError(f"localkube binary not found at {LOCALKUBE} (build the `localkube` target)")


class PodCluster(Cluster):
    def __init__(self, *extra_flags, nodes=3):
        super().__init__("--nodes", str(nodes), *extra_flags, apiserver_only=False)
        self.footprint = None
        self._lock = None

    def __enter__(self):
        self._lock = take_machine()
        try:
            return super().__enter__()
        except Exception:
            self._release()
            raise

    def start(self, check=True):
        res = super().start(check)
        if self.footprint is None:
            self.footprint = Footprint(self.dir)
        self.footprint.record(self.daemon_pid)
        return res

    def stop_and_check(self):
        """Stops the cluster; returns (stop result, what it left behind)."""
        self.footprint.record(self.daemon_pid)
        res = self.stop()
        left = self.footprint.leftovers()
        self.__exit__(None, None, None)  # removes the directory unless mounts are left in it
        self._release()
        return res, left

    def _release(self):
        if self._lock:
            self._lock.close()
            self._lock = None

    # --- kubectl helpers -------------------------------------------------

    def apply(self, manifest):
        return self.kubectl("apply", "-f", "-", input=manifest)

    def get(self, kind, name, namespace="default"):
        """The object as JSON, or None when it does not exist."""
        scope = ["-n", namespace] if namespace else []  # None: cluster-scoped
        res = self.kubectl("get", kind, name, *scope, "-o", "json", "--ignore-not-found", check=False)
        if res.returncode != 0:
            raise AssertionError(f"kubectl get {kind} {name}: {res.stderr}")
        return json.loads(res.stdout) if res.stdout.strip() else None

    def pods(self, selector, namespace="default"):
        return self.kubectl_json("get", "pods", "-n", namespace, "-l", selector)["items"]

    def wait_pod(self, name, predicate, timeout=60, what="", namespace="default"):
        """Polls the pod until predicate(pod) holds; returns the pod."""
        last = {}

        def check():
            last["pod"] = pod = self.get("pod", name, namespace)
            return pod if pod and predicate(pod) else None
        try:
            return wait_for(check, timeout=timeout, interval=0.2, what=f"pod {name}: {what}")
        except AssertionError as e:
            raise AssertionError(f"{e}; last seen: {describe(last.get('pod'))}") from None

    def wait_running_ready(self, name, timeout=90, namespace="default"):
        return self.wait_pod(name, lambda p: phase(p) == "Running" and condition(p, "Ready") == "True",
                             timeout, "Running and Ready", namespace)

    def record_pods(self):
        """Tells the leftover check about the pods running now."""
        self.footprint.record(self.daemon_pid)


def take_machine():
    """Waits until no other pod-running localkube is on the machine (ours, by
    MACHINE_LOCK, or anyone's daemon, by DAEMON_LOCK); returns the held lock."""
    lock = open(MACHINE_LOCK, "w")
    try:
        wait_for(lambda: _try_lock(lock), timeout=LOCK_WAIT_S, interval=0.5, what=MACHINE_LOCK)
        wait_for(_daemon_lock_free, timeout=LOCK_WAIT_S, interval=0.5,
                 what=f"{DAEMON_LOCK}: another pod-running localkube on this machine to stop")
    except Exception:
        lock.close()
        raise
    return lock


def _daemon_lock_free():
    try:
        with open(DAEMON_LOCK) as f:
            if not _try_lock(f):
                return False
            fcntl.flock(f, fcntl.LOCK_UN)
    except FileNotFoundError:
        pass
    return True


def _try_lock(f):
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def describe(pod):
    """Phase, node, conditions and container states, for failure messages."""
    if not pod:
        return "no such pod"
    st = pod.get("status", {})
    conds = {c["type"]: c["status"] for c in st.get("conditions", []) or []}
    states = {c["name"]: (c.get("state"), c.get("restartCount")) for c in st.get("containerStatuses", []) or []}
    return f"phase={st.get('phase')} node={pod['spec'].get('nodeName')} conditions={conds} containers={states}"


def phase(pod):
    return pod.get("status", {}).get("phase", "")


def condition(obj, kind):
    for c in obj.get("status", {}).get("conditions", []) or []:
        if c.get("type") == kind:
            return c.get("status")
    return None


def container_status(pod, name):
    for s in pod.get("status", {}).get("containerStatuses", []) or []:
        if s.get("name") == name:
            return s
    return {}


def http_get(url, timeout=1.0):
    """The body of a GET, or None when nothing answers (bounded by timeout)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read().decode()
    except (OSError, http.client.HTTPException):
        return None


def endpoint_ips(endpoints, ready=True):
    key = "addresses" if ready else "notReadyAddresses"
    if not endpoints:
        return set()
    return {a["ip"] for s in endpoints.get("subsets", []) or [] for a in s.get(key, []) or []}


def marker_pids(marker):
    """Host pids of the processes started with env E2E_MARKER=<marker>."""
    return pids_with_env("E2E_MARKER", marker)


class LocalkubeCase(unittest.TestCase):
    """One pod-running localkube per class; set `flags` for extra start flags."""

    flags = ()

    @classmethod
    def setUpClass(cls):
        require_environment()
        cls.cluster = PodCluster(*cls.flags).__enter__()
        # Class cleanups run even when setUpClass fails later on.
        cls.addClassCleanup(cls._stop_and_check)
        wait_for(lambda: len(cls.ready_nodes()) == 3, timeout=60, interval=0.2, what="3 Ready nodes")

    @classmethod
    def _stop_and_check(cls):
        res, left = cls.cluster.stop_and_check()
        problems = []
        if res.returncode != 0:
            problems.append(f"localkube stop exited {res.returncode}: {res.stderr.strip()}")
        problems += left
        if problems:
            raise AssertionError(f"localkube stop --dir {cls.cluster.dir} left:\n  " + "\n  ".join(problems))

    @classmethod
    def ready_nodes(cls):
        nodes = cls.cluster.kubectl_json("get", "nodes")["items"]
        return [n["metadata"]["name"] for n in nodes if condition(n, "Ready") == "True"]
