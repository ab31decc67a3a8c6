"""The fault commands tests rely on, for one pod: `localkube fault kill`,
`partition` and `heal`. Each is checked from outside: the API (restarts),
the host (reaching pod IPs, finding the pods' processes) and the pods' own
logs (reaching the API server). Node faults: test_node_faults.py."""
import unittest

from harness import wait_for
from lkcase import LocalkubeCase, container_status, http_get, marker_pids, phase
from watched_pod import manifest, url, wait_api

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


class Faults(LocalkubeCase):
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
        c.apply(manifest("island"))
        pod = c.wait_running_ready("island")
        c.record_pods()
        address = url(pod)
        self.assertEqual(wait_for(lambda: http_get(address), timeout=30, what="island answering the host"), "island")
        n = wait_api(c, "island", True, 0, "API reachable before the partition")
        processes = marker_pids("island")

        c.localkube("fault", "partition", "island")
        wait_for(lambda: http_get(address) is None, timeout=30, interval=0.2, what="island unreachable from the host")
        n = wait_api(c, "island", False, n, "API unreachable from the partitioned pod")
        # Its processes keep running: same pids, and the log keeps growing.
        wait_api(c, "island", False, n + 3, "the partitioned pod still running")
        self.assertEqual(marker_pids("island"), processes)
        self.assertEqual(container_status(c.get("pod", "island"), "web")["restartCount"], 0)

        c.localkube("fault", "heal", "island")
        self.assertEqual(wait_for(lambda: http_get(address), timeout=30, what="island reachable after heal"), "island")
        wait_api(c, "island", True, n, "API reachable after heal")
        self.assertEqual(marker_pids("island"), processes)


if __name__ == "__main__":
    unittest.main()
