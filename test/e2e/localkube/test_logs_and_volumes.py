"""`kubectl logs` (plain, -c, --previous, -f) and a Secret change reaching a
mounted volume, seen from the host through the pod's IP."""
import os
import re
import selectors
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import KUBECTL, wait_for
from lkcase import LocalkubeCase, container_status, http_get, phase

# `ticker` writes a numbered line every 0.3 s; `twice` fails on its first
# run (counting runs on an emptyDir, which outlives container restarts) and
# stays up on its second.
CHATTY = """
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: ticker
    image: debian:bookworm
    command: [sh, -c, 'echo hello-from-ticker; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.3; done']
  - name: twice
    image: debian:bookworm
    volumeMounts: [{name: state, mountPath: /state}]
    command:
    - sh
    - -c
    - 'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo run-$n; [ $n -ge 2 ] && exec sleep infinity; exit 3'
"""

SECRET = """
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: %s}
"""

READER = """
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: creds, secret: {secretName: creds}}]
  containers:
  - name: web
    image: debian:bookworm
    command: [python3, -m, http.server, "8080", --directory, /creds]
    volumeMounts: [{name: creds, mountPath: /creds, readOnly: true}]
"""


def ticks(text):
    return [int(n) for n in re.findall(r"^tick-(\d+)$", text, re.M)]


class LogsAndVolumes(LocalkubeCase):
    def test_kubectl_logs(self):
        c = self.cluster
        c.apply(CHATTY)
        c.wait_pod("chatty", lambda p: phase(p) == "Running"
                   and container_status(p, "twice").get("restartCount", 0) >= 1
                   and "running" in container_status(p, "twice").get("state", {}), 90, "twice on its second run")
        c.record_pods()

        plain = wait_for(lambda: (out := c.kubectl("logs", "chatty").stdout) and ticks(out) and out,
                         timeout=30, what="ticks in the default container's log")
        self.assertTrue(plain.startswith("hello-from-ticker\n"), plain[:200])
        self.assertEqual(ticks(plain), list(range(1, len(ticks(plain)) + 1)), "every line, in order")

        self.assertEqual(c.kubectl("logs", "chatty", "-c", "twice").stdout, "run-2\n")
        self.assertEqual(c.kubectl("logs", "chatty", "-c", "twice", "--previous").stdout, "run-1\n")
        last = container_status(c.get("pod", "chatty"), "twice")["lastState"]["terminated"]
        self.assertEqual(last["exitCode"], 3)
        missing = c.kubectl("logs", "chatty", "-c", "ticker", "--previous", check=False)
        self.assertNotEqual(missing.returncode, 0, "a container that never restarted has no previous log")

        # -f: lines written after the call started arrive on the stream.
        seen_before = max(ticks(c.kubectl("logs", "chatty", "-c", "ticker").stdout))
        follow = subprocess.Popen([KUBECTL, "--kubeconfig", c.kubeconfig, "--cache-dir",
                                   os.path.join(c.dir, "kubectl-cache"), "logs", "-f", "chatty", "-c", "ticker"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            newest = self._follow_until(follow, lambda n: n > seen_before + 3, timeout=30)
            self.assertGreater(newest, seen_before + 3)
        finally:
            follow.kill()
            follow.communicate(timeout=10)

    def _follow_until(self, proc, done, timeout):
        """Reads `kubectl logs -f` until a tick number satisfies `done`; returns it."""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not sel.select(timeout=max(0.0, end - time.monotonic())):
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                self.fail(f"kubectl logs -f ended: {proc.stderr.read().decode(errors='replace')}")
            buf += chunk
            numbers = ticks(buf.decode(errors="replace"))
            if numbers and done(numbers[-1]):
                return numbers[-1]
        self.fail(f"kubectl logs -f showed no new line within {timeout}s; got {buf[-300:]!r}")

    def test_secret_change_reaches_mounted_volume(self):
        c = self.cluster
        c.apply(SECRET % "first-value")
        c.apply(READER)
        pod = c.wait_pod("reader", lambda p: phase(p) == "Running" and p["status"].get("podIP"), 90, "Running")
        c.record_pods()
        url = f"http://{pod['status']['podIP']}:8080/password"
        self.assertEqual(wait_for(lambda: http_get(url), timeout=30, what=f"{url} answering"), "first-value")

        c.apply(SECRET % "second-value")
        reads = []

        def updated():
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    body = resp.read().decode()
            except urllib.error.HTTPError as e:
                body = f"HTTP {e.code}"  # e.g. 404: the file was missing for a moment
            except OSError:
                return False  # no answer at all says nothing about the volume
            reads.append(body)
            return body == "second-value"
        wait_for(updated, timeout=60, interval=0.05, what="the new Secret value in the volume")
        # The swap is atomic: every read saw the old or the new file, whole.
        self.assertEqual(set(reads) - {"first-value", "second-value"}, set(), "reads during the update")
        self.assertEqual(container_status(c.get("pod", "reader"), "web").get("restartCount"), 0,
                         "the volume changed under a running container")


if __name__ == "__main__":
    unittest.main()
