#!/usr/bin/env python3
"""`make demo` and `make demo-down`: CloudNativePG's cluster-example on localkube.

up    starts localkube (3 nodes) in the demo directory, installs
      manifests/operator.yaml, applies manifests/samples/cluster-example.yaml,
      shows its progress until it is healthy, checks a psql connection through
      the -rw Service from this machine and prints how to make it yourself.
      When anything fails it prints why (the operator's log, the Cluster's
      events) and tears everything down.
down  stops localkube and checks nothing of it is left (processes, network
      namespaces, mounts, interfaces).

Both are idempotent: `up` on a running demo says so and prints the connection
again; `down` with nothing running is fine. Standard library only.
"""
import argparse
import fcntl
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leftovers.py is imported from the checkout's tests
ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(ROOT, "test", "e2e"), os.path.join(ROOT, "test", "e2e", "localkube")]

from leftovers import Footprint, alive  # noqa: E402

DEFAULT_DIR = "/tmp/tusk-demo"
DAEMON_LOCK = "/run/localkube/pods.lock"  # held by whichever localkube runs pods
OPERATOR_NS = "tusk-system"
CLUSTER = "cluster-example"
INSTANCES = 3
HEALTHY = "Cluster in healthy state"
OPERATOR_TIMEOUT_S = 180
CLUSTER_TIMEOUT_S = 600


class DemoError(Exception):
    pass


class Progress:
    """A line that waits: rewritten in place on a terminal; elsewhere printed
    when a new wait starts and every 15 s."""

    def __init__(self):
        self.tty = sys.stdout.isatty()
        self.last_key = None
        self.last_print = 0.0
        self.open = False

    def show(self, key, text):
        now = time.monotonic()
        if self.tty:
            sys.stdout.write("\r\033[K" + text)
            sys.stdout.flush()
            self.open = True
        elif key != self.last_key or now - self.last_print >= 15:
            print(text, flush=True)
            self.last_print = now
        self.last_key = key

    def done(self, text, key=None):
        """A line that stays; `key` names the wait it reports on, so it is not repeated."""
        if self.tty and self.open:
            sys.stdout.write("\r\033[K")
        print(text, flush=True)
        self.open = False
        self.last_print = time.monotonic()
        self.last_key = key


class Demo:
    def __init__(self, directory, build_dir):
        self.dir = os.path.realpath(directory)
        self.bin = os.path.join(os.path.realpath(build_dir), "bin")
        self.localkube_bin = os.path.join(self.bin, "localkube")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.progress = Progress()

    # --- plumbing ----------------------------------------------------------

    def localkube(self, *args, timeout=180):
        return subprocess.run([self.localkube_bin, *args, "--dir", self.dir], capture_output=True, text=True,
                              timeout=timeout)

    def kubectl(self, *args, input=None, check=True, timeout=60):
        cmd = ["kubectl", "--kubeconfig", self.kubeconfig, "--cache-dir", os.path.join(self.dir, "kubectl-cache"),
               *args]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DemoError(f"kubectl {' '.join(args)} did not answer within {timeout} s") from None
        if check and res.returncode != 0:
            raise DemoError(f"kubectl {' '.join(args)} failed: {res.stderr.strip()}")
        return res

    def get(self, kind, name, namespace="default"):
        res = self.kubectl("get", kind, name, "-n", namespace, "-o", "json", "--ignore-not-found", check=False)
        return json.loads(res.stdout) if res.returncode == 0 and res.stdout.strip() else None

    def daemon_pid(self):
        try:
            with open(os.path.join(self.dir, "localkube.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def api_answers(self):
        return self.kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0

    # --- up ----------------------------------------------------------------

    def up(self):
        self.check_machine()
        start = time.monotonic()
        pid = self.daemon_pid()
        if pid and self.api_answers():
            print(f"the demo is already up (localkube pid {pid}, state in {self.dir})", flush=True)
        else:
            if os.path.exists(self.dir):
                self.localkube("stop")  # what a crashed or interrupted run left
            self.start_localkube()
        try:
            self.install_operator()
            self.run_cluster()
            line = self.checked_psql_line()
        except BaseException as e:
            self.progress.done("")
            reason = str(e) or type(e).__name__
            if isinstance(e, KeyboardInterrupt):
                reason = "interrupted"
            print(f"make demo failed: {reason}", file=sys.stderr, flush=True)
            self.diagnose()
            print("tearing the demo down", file=sys.stderr, flush=True)
            self.down()
            return 1
        self.print_connection(line, time.monotonic() - start)
        return 0

    def check_machine(self):
        if os.geteuid() != 0:
            raise DemoError("the demo needs root: localkube runs pods as processes in their own network "
                            "namespaces (try: sudo make demo)")
        if not shutil.which("kubectl"):
            raise DemoError("kubectl is not on PATH (the demo drives localkube with the machine's kubectl)")
        if not shutil.which("psql"):
            raise DemoError("psql is not on PATH (make deps installs postgresql-client-15)")
        for name in ("localkube", "tusk-operator", "tusk-instance"):
            if not os.access(os.path.join(self.bin, name), os.X_OK):
                raise DemoError(f"{os.path.join(self.bin, name)} is missing: run make build")

    def start_localkube(self):
        if self.pods_lock_held():
            raise DemoError(f"another localkube that runs pods is up on this machine (it holds {DAEMON_LOCK}; "
                            "an e2e test run?): only one can run at a time, stop it first")
        os.makedirs(self.dir, exist_ok=True)
        t0 = time.monotonic()
        self.progress.show("start", f"starting localkube with 3 nodes in {self.dir}")
        res = self.localkube("start", "--nodes", "3")
        if res.returncode != 0:
            raise DemoError(f"localkube start failed: {res.stderr.strip()}")

        def ready_nodes():
            out = self.kubectl("get", "nodes", "-o", "json", check=False).stdout
            nodes = json.loads(out)["items"] if out else []
            return sum(1 for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                               for c in n["status"].get("conditions", [])))
        self.wait(lambda: ready_nodes() == 3, t0, 90, "nodes", lambda: f"waiting for 3 Ready nodes ({ready_nodes()}/3)")
        self.progress.done(f"localkube: 3 nodes Ready ({time.monotonic() - t0:.1f} s)")

    @staticmethod
    def pods_lock_held():
        try:
            with open(DAEMON_LOCK) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(f, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        return False

    def wait(self, done, t0, timeout, key, describe, interval=0.5):
        """Polls done() showing describe() with the elapsed time; DemoError after timeout."""
        while True:
            if done():
                return
            elapsed = time.monotonic() - t0
            text = describe()
            if elapsed > timeout:
                raise DemoError(f"timed out after {timeout} s: {text}")
            self.progress.show(key, f"{text} ({elapsed:.1f} s)")
            time.sleep(interval)

    def install_operator(self):
        t0 = time.monotonic()
        if self.get("deployment", "tusk-operator", OPERATOR_NS) is None:
            self.kubectl("apply", "-f", os.path.join(ROOT, "manifests", "operator.yaml"))
            crds = [n.split("/", 1)[1] for n in self.kubectl("get", "crd", "-o", "name").stdout.split()]
            self.kubectl("wait", "--for=condition=established", "--timeout=60s", *["crd/" + n for n in crds])
            print("installed manifests/operator.yaml (CRDs, RBAC, the tusk-operator Deployment)", flush=True)

        def available():
            d = self.get("deployment", "tusk-operator", OPERATOR_NS) or {}
            restarts = self.operator_restarts()
            if restarts >= 3:
                raise DemoError(f"the operator is crash-looping ({restarts} restarts)")
            return (d.get("status") or {}).get("availableReplicas", 0) >= 1
        self.wait(available, t0, OPERATOR_TIMEOUT_S, "operator", lambda: "waiting for the operator")
        self.progress.done(f"the operator is running ({time.monotonic() - t0:.1f} s)")

    def operator_restarts(self):
        out = self.kubectl("get", "pods", "-n", OPERATOR_NS, "-l", "app.kubernetes.io/name=tusk-operator",
                           "-o", "json", check=False).stdout
        pods = json.loads(out)["items"] if out else []
        return max((s.get("restartCount", 0) for p in pods for s in p["status"].get("containerStatuses", [])),
                   default=0)

    def run_cluster(self):
        t0 = time.monotonic()
        if self.get("cluster", CLUSTER) is None:
            self.kubectl("apply", "-f", os.path.join(ROOT, "manifests", "samples", f"{CLUSTER}.yaml"))
            print(f"applied manifests/samples/{CLUSTER}.yaml ({INSTANCES} instances)", flush=True)
        state = {}

        def healthy():
            obj = self.get("cluster", CLUSTER) or {}
            st = obj.get("status") or {}
            phase, ready = st.get("phase") or "waiting for the operator to pick it up", st.get("readyInstances", 0)
            if (phase, ready) != (state.get("phase"), state.get("ready")):
                primary = f", primary {st.get('currentPrimary')}" if phase == HEALTHY else ""
                self.progress.done(f"{CLUSTER}: {phase} - ready {ready}/{INSTANCES}{primary} "
                                   f"({time.monotonic() - t0:.1f} s)", key="cluster")
            state.update(phase=phase, ready=ready)
            if self.operator_restarts() >= 3:
                raise DemoError("the operator is crash-looping")
            return phase == HEALTHY and ready == INSTANCES
        self.wait(healthy, t0, CLUSTER_TIMEOUT_S, "cluster",
                  lambda: f"{CLUSTER}: {state.get('phase')} - ready {state.get('ready', 0)}/{INSTANCES}", interval=1.0)

    def psql_line(self):
        svc = self.get("service", f"{CLUSTER}-rw")
        if not svc:
            raise DemoError(f"Service {CLUSTER}-rw does not exist")
        ip = svc["spec"]["clusterIP"]
        secret = f"{CLUSTER}-app"
        return (f"PGPASSWORD=$(kubectl get secret {secret} -o jsonpath='{{.data.password}}' | base64 -d) "
                f"psql \"host={ip} user=app dbname=app\"")

    def checked_psql_line(self):
        """The line to print, after running it exactly as printed."""
        line = self.psql_line()
        query = "SELECT current_user || ' on ' || host(inet_server_addr()) || ', in recovery: ' || pg_is_in_recovery()"
        env = dict(os.environ, KUBECONFIG=self.kubeconfig, PGCONNECT_TIMEOUT="5")
        t0, last = time.monotonic(), ""
        while time.monotonic() - t0 < 60:
            res = subprocess.run(["bash", "-c", f"{line} -Atc {shlex.quote(query)}"], capture_output=True, text=True,
                                 env=env, timeout=30)
            if res.returncode == 0 and res.stdout.startswith("app on "):
                print(f"checked: psql through {CLUSTER}-rw answers ({res.stdout.strip()})", flush=True)
                return line
            last = (res.stderr or res.stdout).strip()
            time.sleep(1)
        raise DemoError(f"psql through {CLUSTER}-rw does not connect: {last}")

    def print_connection(self, line, elapsed):
        ro = (self.get("service", f"{CLUSTER}-ro") or {}).get("spec", {}).get("clusterIP", "?")
        print(f"""
The demo is up ({elapsed:.1f} s): {CLUSTER}, {INSTANCES} instances on localkube's 3 nodes.

Connect from this machine (the -rw Service's ClusterIP; checked just now):
  export KUBECONFIG={self.kubeconfig}
  {line}
Read-only, on a standby: the same with host={ro} (the -ro Service).

Look around:
  kubectl get cluster,pods,svc,pvc
  kubectl logs -n {OPERATOR_NS} deploy/tusk-operator

Tear down:
  make demo-down
""", flush=True)

    def diagnose(self):
        """What the operator and the Cluster say, for a failure message."""
        if not os.path.exists(self.kubeconfig) or not self.api_answers():
            print("(the API server does not answer: nothing more to show)", file=sys.stderr)
            return
        sections = [
            ("operator deployment", ["get", "deployment", "-n", OPERATOR_NS, "tusk-operator", "-o", "wide"]),
            ("operator pods", ["get", "pods", "-n", OPERATOR_NS, "-o", "wide"]),
        ]
        if self.kubectl("get", "pods", "-n", OPERATOR_NS, "-o", "name", check=False).stdout.strip():
            sections.append(("operator log (last 40 lines)",
                             ["logs", "-n", OPERATOR_NS, "deploy/tusk-operator", "--tail=40",
                              "--pod-running-timeout=2s"]))
        if self.operator_restarts():
            sections.append(("operator log before its last restart",
                             ["logs", "-n", OPERATOR_NS, "deploy/tusk-operator", "--previous", "--tail=20",
                              "--pod-running-timeout=2s"]))
        sections += [
            (f"Cluster {CLUSTER}", ["get", "cluster", CLUSTER, "-o", "jsonpath={.status}"]),
            ("pods", ["get", "pods", "-o", "wide"]),
            ("events", ["get", "events", "--sort-by=.lastTimestamp"]),
        ]
        for title, args in sections:
            res = self.kubectl(*args, check=False, timeout=30)
            text = (res.stdout or res.stderr).strip()
            if text:
                print(f"--- {title}:\n{text}", file=sys.stderr)
        sys.stderr.flush()

    # --- down --------------------------------------------------------------

    def down(self):
        if not os.path.exists(self.dir):
            print(f"the demo is not running (no {self.dir}): nothing to tear down", flush=True)
            return 0
        t0 = time.monotonic()
        footprint = Footprint(self.dir)
        footprint.record(self.daemon_pid())
        res = self.localkube("stop")
        if res.returncode != 0:
            print(f"localkube stop failed: {res.stderr.strip()}", file=sys.stderr)
        left = footprint.leftovers()
        if left:
            print("make demo-down: localkube left this behind:\n  " + "\n  ".join(left), file=sys.stderr)
            return 1
        shutil.rmtree(self.dir, ignore_errors=True)
        print(f"the demo is down ({time.monotonic() - t0:.1f} s): no process, network namespace, mount or "
              f"interface of it is left", flush=True)
        return 0 if res.returncode == 0 else 1


def interrupted(signum, frame):
    """`kill` is an interruption like Ctrl-C: a half-started demo is torn down."""
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--dir", default=os.environ.get("DEMO_DIR", DEFAULT_DIR),
                        help=f"localkube's state directory (default {DEFAULT_DIR}, or $DEMO_DIR)")
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")),
                        help="where make build put bin/ (default build/, or $BUILD_DIR)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    demo = Demo(args.dir, args.build_dir)
    try:
        return demo.up() if args.command == "up" else demo.down()
    except DemoError as e:
        print(f"make demo: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
