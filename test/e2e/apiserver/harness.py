"""Runs a private localkube for a conformance test and drives it.

Each Cluster starts `localkube start` on a free loopback port in its own
temporary directory and stops it (and removes the directory) on exit, even
when the test fails. kubectl always gets --kubeconfig and a private cache.
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

LOCALKUBE = os.environ.get("LOCALKUBE", os.path.join(os.path.dirname(__file__), "../../../build/bin/localkube"))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    def __init__(self, *extra_flags):
        self.extra_flags = list(extra_flags)
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
            subprocess.run([LOCALKUBE, "stop", "--dir", self.dir], capture_output=True, timeout=60)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def start(self, check=True):
        cmd = [LOCALKUBE, "start", "--dir", self.dir, "--port", str(self.port), "--apiserver-only"] + self.extra_flags
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and res.returncode != 0:
            raise AssertionError(f"localkube start failed: {res.stderr}")
        return res

    def stop(self):
        return subprocess.run([LOCALKUBE, "stop", "--dir", self.dir], capture_output=True, text=True, timeout=60)

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
