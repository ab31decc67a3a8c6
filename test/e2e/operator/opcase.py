"""The operator installed on a pod-running localkube, for one test module.

OperatorCase starts one localkube (3 nodes) per test class, applies
manifests/operator.yaml unchanged and waits for the tusk-operator Deployment
to be available; when the class is done (even after a failure) it stops
localkube and fails if anything of it is left on the machine (lkcase,
leftovers.py). Helpers wait for a Cluster's status with a bounded timeout
and, when it runs out, say what was last seen (status, pods, events, the
operator's log); SQL goes from the host to a Service's ClusterIP or a pod IP
with the app Secret's credentials, as a client on the pod network would.
"""
import base64
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "localkube"))

from harness import wait_for  # noqa: E402
from lkcase import LocalkubeCase, condition, phase, require_environment  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OPERATOR_YAML = os.path.join(ROOT, "manifests", "operator.yaml")
SAMPLES = os.path.join(ROOT, "manifests", "samples")
OPERATOR_NS = "tusk-system"
OPERATOR_SELECTOR = "app.kubernetes.io/name=tusk-operator"
HEALTHY = "Cluster in healthy state"


def skip_unless_possible():
    """Raises SkipTest (saying why) where pods cannot run; fails when a binary is missing."""
    try:
        require_environment()
    except unittest.SkipTest as e:
        raise unittest.SkipTest(str(e).replace("localkube e2e skipped", "operator e2e skipped")) from None
    bin_dir = os.path.dirname(os.path.realpath(os.environ.get("LOCALKUBE", os.path.join(ROOT, "build/bin/localkube"))))
    for name in ("tusk-operator", "tusk-instance"):
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            raise AssertionError(f"{name} not found in {bin_dir} (build the `{name}` target)")


def decode(secret):
    """A Secret's data, base64-decoded."""
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


class OperatorCase(LocalkubeCase):
    """One localkube (3 nodes, checked for leftovers when done) with the
    operator installed, per class."""

    OPERATOR_READY_S = 180

    @classmethod
    def setUpClass(cls):
        skip_unless_possible()
        super().setUpClass()
        c = cls.cluster
        c.kubectl("apply", "-f", OPERATOR_YAML)
        crds = [line.split("/", 1)[1] for line in c.kubectl("get", "crd", "-o", "name").stdout.split()]
        c.kubectl("wait", "--for=condition=established", "--timeout=60s", *["crd/" + n for n in crds])
        cls.wait_operator_ready()

    # --- the operator ------------------------------------------------------

    @classmethod
    def operator_pods(cls):
        return cls.cluster.pods(OPERATOR_SELECTOR, OPERATOR_NS)

    @classmethod
    def wait_operator_ready(cls, timeout=None, exclude=()):
        """Waits for one Running and Ready operator pod (not named in `exclude`); returns it."""
        def ready():
            pods = [p for p in cls.operator_pods() if p["metadata"]["name"] not in exclude
                    and not p["metadata"].get("deletionTimestamp")]
            ok = [p for p in pods if phase(p) == "Running" and condition(p, "Ready") == "True"]
            return ok[0] if ok else None
        try:
            pod = wait_for(ready, timeout=timeout or cls.OPERATOR_READY_S, interval=0.5, what="a Ready operator pod")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{cls.operator_report()}") from None
        cls.cluster.record_pods()
        return pod

    @classmethod
    def operator_log(cls, tail=40):
        res = cls.cluster.kubectl("logs", "-n", OPERATOR_NS, "deploy/tusk-operator", f"--tail={tail}", check=False)
        return (res.stdout or res.stderr).rstrip()

    @classmethod
    def operator_report(cls):
        c = cls.cluster
        pods = c.kubectl("get", "pods", "-n", OPERATOR_NS, "-o", "wide", check=False)
        deploy = c.kubectl("get", "deployment", "-n", OPERATOR_NS, "tusk-operator", "-o", "wide", check=False)
        return (f"operator deployment:\n{deploy.stdout or deploy.stderr}operator pods:\n{pods.stdout or pods.stderr}"
                f"operator log (last lines):\n{cls.operator_log()}")

    @classmethod
    def operator_restarts(cls):
        return {p["metadata"]["name"]: sum(s.get("restartCount", 0) for s in p["status"].get("containerStatuses", []))
                for p in cls.operator_pods()}

    # --- Clusters ----------------------------------------------------------

    def get(self, kind, name, namespace="default"):
        return self.cluster.get(kind, name, namespace)

    def owned(self, kind, cluster_name, namespace="default"):
        """Objects of `kind` labelled cnpg.io/cluster=<cluster_name>."""
        return self.cluster.kubectl_json("get", kind, "-n", namespace, "-l", f"cnpg.io/cluster={cluster_name}")["items"]

    def events_for(self, kind, name, namespace="default"):
        """Events about one object (core v1 and events.k8s.io/v1), oldest first."""
        found = []
        for resource, ref in (("events", "involvedObject"), ("events.v1.events.k8s.io", "regarding")):
            res = self.cluster.kubectl("get", resource, "-n", namespace, "-o", "json", check=False)
            if res.returncode != 0:
                continue
            for e in json.loads(res.stdout)["items"]:
                obj = e.get(ref) or {}
                if obj.get("kind") == kind and obj.get("name") == name:
                    found.append({"reason": e.get("reason"), "message": e.get("message") or e.get("note") or "",
                                  "type": e.get("type"), "uid": e["metadata"].get("uid")})
        return found

    def cluster_report(self, name, namespace="default"):
        c = self.cluster
        obj = self.get("cluster", name, namespace)
        pods = c.kubectl("get", "pods", "-n", namespace, "-l", f"cnpg.io/cluster={name}", "-o", "wide", check=False)
        events = self.events_for("Cluster", name, namespace)
        return (f"Cluster {name} status: {json.dumps((obj or {}).get('status'), indent=1)}\n"
                f"pods:\n{pods.stdout or pods.stderr}events: {json.dumps(events[-15:], indent=1)}\n"
                f"{self.operator_report()}")

    def wait_cluster(self, name, predicate, timeout, what, namespace="default"):
        """Polls the Cluster until predicate(cluster) holds; returns it."""
        def check():
            obj = self.get("cluster", name, namespace)
            self.cluster.record_pods()
            return obj if obj and predicate(obj) else None
        try:
            return wait_for(check, timeout=timeout, interval=1.0, what=f"Cluster {name}: {what}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.cluster_report(name, namespace)}") from None

    def wait_healthy(self, name, instances, timeout=420, namespace="default"):
        return self.wait_cluster(name, lambda o: is_healthy(o, instances), timeout,
                                 f'"{HEALTHY}" with {instances} ready', namespace)

    def apply(self, doc):
        return self.cluster.kubectl("apply", "-f", "-", input=json.dumps(doc) if isinstance(doc, dict) else doc)

    # --- SQL ---------------------------------------------------------------

    def credentials(self, secret_name, namespace="default"):
        secret = self.get("secret", secret_name, namespace)
        self.assertIsNotNone(secret, f"Secret {secret_name}")
        return decode(secret)

    def service_ip(self, name, namespace="default"):
        svc = self.get("service", name, namespace)
        self.assertIsNotNone(svc, f"Service {name}")
        return svc["spec"]["clusterIP"]

    def pod_ip(self, name, namespace="default"):
        return self.get("pod", name, namespace)["status"]["podIP"]

    def connect(self, host, creds, **kw):
        """A psycopg2 connection as the Secret's user (autocommit)."""
        import psycopg2
        conn = psycopg2.connect(host=host, port=int(creds.get("port", 5432)), user=creds["username"],
                                password=creds["password"], dbname=creds.get("dbname", "app"),
                                connect_timeout=5, sslmode="prefer", **kw)
        conn.autocommit = True
        return conn

    def sql(self, host, creds, statement, args=None):
        """Runs one statement on a new connection; returns the rows (or None)."""
        conn = self.connect(host, creds)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, args)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()


def is_healthy(obj, instances):
    st = obj.get("status") or {}
    return (st.get("phase") == HEALTHY and st.get("readyInstances") == instances
            and condition(obj, "Ready") == "True")


def wait_until(fn, timeout, what, interval=0.5):
    """wait_for, with the last exception fn raised named when it runs out."""
    last = {}

    def attempt():
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - reported below
            last["error"] = f"{type(e).__name__}: {e}".strip()
            return None
    try:
        return wait_for(attempt, timeout=timeout, interval=interval, what=what)
    except AssertionError as e:
        raise AssertionError(f"{e}; last error: {last.get('error', 'none')}") from None


def monotonic_s(start):
    return round(time.monotonic() - start, 1)
