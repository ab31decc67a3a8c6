"""The fault commands tests rely on: `localkube fault kill`, `partition` and
`heal` of one pod and of a whole node. Each is checked from outside: the
API (restarts, node conditions), the host (reaching pod IPs, finding the
pods' processes) and the pods' own logs (reaching the API server)."""
import re
import unittest

from harness import wait_for
from lkcase import LocalkubeCase, condition, container_status, http_get, marker_pids, phase

VICTIM = """
apiVersion: v1
kind: Pod
metadata: {name: victim}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: debian:bookworm
    env: [{name: E2E_MARKER, value: victim-main}]
    command: [sleep, infinity]
  - name: side
    image: debian:bookworm
    command: [sh, -c, 'trap "exit 7" TERM; echo side-up; while :; do sleep 0.2; done']
"""

# A pod serving its name that also logs, numbered, whether it reaches the
# API server (any HTTP status) or not (000). Only the server carries the
# marker: its one process must survive a partition with the same pid.
WATCHED = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s, labels: {app: %(name)s}}
spec:
  terminationGracePeriodSeconds: 1
  %(placement)s
  containers:
  - name: web
    image: debian:bookworm
    env: [{name: E2E_MARKER, value: %(name)s}]
    command: [sh, -c, 'mkdir -p /tmp/www && printf %%s %(name)s > /tmp/www/name && exec python3 -m http.server 8080 --directory /tmp/www']
  - name: apicheck
    image: debian:bookworm
    command:
    - sh
    - -c
    - 'i=0; while :; do i=$((i+1)); echo "$i api=$(curl -sk -m 1 -o /dev/null -w %%{http_code} https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version)"; sleep 0.3; done'
"""

PINNED = """nodeSelector: {kubernetes.io/hostname: %s}
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}"""


def api_lines(text):
    return [(int(n), code) for n, code in re.findall(r"^(\d+) api=(\d+)$", text, re.M)]


class Faults(LocalkubeCase):
    flags = ("--node-monitor-grace", "5")

    def latest_api(self, pod):
        lines = api_lines(self.cluster.kubectl("logs", pod, "-c", "apicheck").stdout)
        return lines[-1] if lines else (0, "")

    def wait_api(self, pod, reachable, after, what):
        """Waits for a log line numbered above `after` saying the API is (un)reachable."""
        def check():
            n, code = self.latest_api(pod)
            return n > after and (code != "000") == reachable and n
        return wait_for(check, timeout=60, interval=0.3, what=f"{pod}: {what}")

    def test_kill(self):
        c = self.cluster
        c.apply(VICTIM)
        c.wait_pod("victim", lambda p: phase(p) == "Running" and all(
            container_status(p, n).get("ready") for n in ("main", "side")), 90, "both containers running")
        c.record_pods()
        before = marker_pids("victim-main")
        self.assertTrue(before)

        c.localkube("fault", "kill", "victim")
        pod = c.wait_pod("victim", lambda p: all(container_status(p, n).get("restartCount") == 1
                                                 and "running" in container_status(p, n).get("state", {})
                                                 for n in ("main", "side")), 60, "both containers restarted once")
        for name in ("main", "side"):
            self.assertEqual(container_status(pod, name)["lastState"]["terminated"]["exitCode"], 137,
                             f"{name} was SIGKILLed")
        self.assertFalse(set(before) & set(marker_pids("victim-main")), "the old processes are gone")
        c.record_pods()

        c.localkube("fault", "kill", "victim", "-n", "default", "-c", "side", "--signal", "SIGTERM")
        pod = c.wait_pod("victim", lambda p: container_status(p, "side").get("restartCount") == 2, 90,
                         "side restarted after SIGTERM")
        self.assertEqual(container_status(pod, "side")["lastState"]["terminated"]["exitCode"], 7,
                         "side's TERM trap ran")
        self.assertEqual(container_status(pod, "main")["restartCount"], 1, "-c side leaves main alone")

        missing = c.localkube("fault", "kill", "no-such-pod", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no-such-pod", missing.stderr)
        self.assertEqual(len(missing.stderr.strip().splitlines()), 1, "one-line reason")

    def test_partition_and_heal_pod(self):
        c = self.cluster
        c.apply(WATCHED % {"name": "island", "placement": ""})
        pod = c.wait_running_ready("island")
        c.record_pods()
        url = f"http://{pod['status']['podIP']}:8080/name"
        self.assertEqual(wait_for(lambda: http_get(url), timeout=30, what="island answering the host"), "island")
        n = self.wait_api("island", True, 0, "API reachable before the partition")
        processes = marker_pids("island")

        c.localkube("fault", "partition", "island")
        wait_for(lambda: http_get(url) is None, timeout=30, interval=0.2, what="island unreachable from the host")
        n = self.wait_api("island", False, n, "API unreachable from the partitioned pod")
        # Its processes keep running: same pids, and the log keeps growing.
        self.wait_api("island", False, n + 3, "the partitioned pod still running")
        self.assertEqual(marker_pids("island"), processes)
        self.assertEqual(container_status(c.get("pod", "island"), "web")["restartCount"], 0)

        c.localkube("fault", "heal", "island")
        self.assertEqual(wait_for(lambda: http_get(url), timeout=30, what="island reachable after heal"), "island")
        self.wait_api("island", True, n, "API reachable after heal")
        self.assertEqual(marker_pids("island"), processes)

    def test_partition_and_heal_node(self):
        c = self.cluster
        node = "localkube-node-3"
        c.apply(WATCHED % {"name": "far", "placement": PINNED % node})
        pod = c.wait_running_ready("far")
        c.record_pods()
        self.assertEqual(pod["spec"]["nodeName"], node)
        url = f"http://{pod['status']['podIP']}:8080/name"
        self.assertEqual(wait_for(lambda: http_get(url), timeout=30, what="far answering the host"), "far")
        n = self.wait_api("far", True, 0, "API reachable before the partition")
        processes = marker_pids("far")

        c.localkube("fault", "partition", "--node", node)
        wait_for(lambda: http_get(url) is None, timeout=30, interval=0.2, what="far unreachable from the host")
        n = self.wait_api("far", False, n, "API unreachable from a pod of the partitioned node")
        wait_for(lambda: condition(c.get("node", node, None), "Ready") == "Unknown", timeout=60, interval=0.5,
                 what=f"{node} Ready=Unknown after --node-monitor-grace 5")
        wait_for(lambda: condition(c.get("pod", "far"), "Ready") == "False", timeout=60, interval=0.5,
                 what="far Ready=False on the unreachable node")
        self.assertEqual(marker_pids("far"), processes, "the partitioned node's pods keep running")
        self.assertIn(node, [n_["metadata"]["name"] for n_ in c.kubectl_json("get", "nodes")["items"]])

        c.localkube("fault", "heal", "--node", node)
        wait_for(lambda: condition(c.get("node", node, None), "Ready") == "True", timeout=60, interval=0.5,
                 what=f"{node} Ready again after heal")
        self.assertEqual(wait_for(lambda: http_get(url), timeout=30, what="far reachable after heal"), "far")
        self.wait_api("far", True, n, "API reachable after heal")
        wait_for(lambda: condition(c.get("pod", "far"), "Ready") == "True", timeout=60, interval=0.5,
                 what="far Ready again after heal")
        self.assertEqual(marker_pids("far"), processes)


if __name__ == "__main__":
    unittest.main()
