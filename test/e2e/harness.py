"""Runs a private localkube for an e2e test and drives it.

Shared by the API server conformance tests (test/e2e/apiserver/) and the
pod-running tests (test/e2e/localkube/). Each Cluster starts `localkube
start` on a free loopback port in its own temporary directory and stops it
(and removes the directory) on exit, even when the test fails. kubectl
always gets --kubeconfig and a private cache.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

LOCALKUBE = os.environ.get("LOCALKUBE", os.path.join(os.path.dirname(__file__), "../../build/bin/localkube"))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mounts_under(path):
    """Mount points at or below `path` in this mount namespace."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == path or point.startswith(path + "/"):
                found.append(point)
    return found


def wait_for(condition, timeout=30.0, interval=0.05, what="condition"):
    """Polls `condition` until it returns a truthy value; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Cluster:
    """A localkube on a temporary directory; `apiserver_only=False` runs pods."""

    def __init__(self, *extra_flags, apiserver_only=True):
        self.extra_flags = list(extra_flags)
        self.apiserver_only = apiserver_only
        self.dir = None
        self.port = None

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="localkube-e2e-")
        self.port = free_port()
        try:
            self.start()
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.dir:
            subprocess.run([LOCALKUBE, "stop", "--dir", self.dir], capture_output=True, timeout=120)
            # A mount left under the directory (pods bind host paths) must
            # not be walked into by rmtree; the leftover checks report it.
            if not mounts_under(self.dir):
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def start(self, check=True):
        cmd = [LOCALKUBE, "start", "--dir", self.dir, "--port", str(self.port)]
        cmd += (["--apiserver-only"] if self.apiserver_only else []) + self.extra_flags
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and res.returncode != 0:
            raise AssertionError(f"localkube start failed: {res.stderr}")
        return res

    def stop(self):
        return subprocess.run([LOCALKUBE, "stop", "--dir", self.dir], capture_output=True, text=True, timeout=120)

    def localkube(self, *args, check=True):
        """`localkube <command> --dir DIR <args>`, e.g. ("fault", "kill", "web-0")."""
        words = list(args)
        at = 2 if words and words[0] == "fault" else 1
        cmd = [LOCALKUBE] + words[:at] + ["--dir", self.dir] + words[at:]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and res.returncode != 0:
            raise AssertionError(f"localkube {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        return res

    @property
    def daemon_pid(self):
        try:
            with open(os.path.join(self.dir, "localkube.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    @property
    def kubeconfig(self):
        return os.path.join(self.dir, "kubeconfig")

    @property
    def admin_token(self):
        with open(os.path.join(self.dir, "pki", "admin.token")) as f:
            return f.read().strip()

    def kubectl(self, *args, input=None, check=True, token=None):
        cmd = [KUBECTL, "--kubeconfig", self.kubeconfig, "--cache-dir", os.path.join(self.dir, "kubectl-cache")]
        if token:
            cmd += ["--token", token]
        cmd += list(args)
        res = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=60)
        if check and res.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        return res

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def request(self, method, path, body=None, token=None, content_type="application/json", headers=None):
        """A raw HTTPS request; returns (status, headers, parsed JSON or text)."""
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "pki", "ca.crt"))
        data = body if isinstance(body, (bytes, type(None))) else (body if isinstance(body, str) else json.dumps(body)).encode()
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data, method=method)
        if token != "":
            req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        if data is not None:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
                return resp.status, resp.headers, _parse(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers, _parse(e.read())

    def client(self, token=None):
        """A kubernetes.client.ApiClient (Debian python3-kubernetes) for this cluster."""
        from kubernetes import client, config
        cfg = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, client_configuration=cfg)
        if token:
            cfg.api_key = {"authorization": "Bearer " + token}
        return client.ApiClient(cfg)


def _parse(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
