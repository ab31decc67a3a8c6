"""`localkube fault node-down`: a power cut of one virtual node. Its pods'
processes are gone at once; with --node-monitor-grace 5 the Node goes
Ready=Unknown, its pods Ready=False, and a pod whose toleration of the
unreachable taint runs out is evicted and replaced on another node."""
import unittest

from harness import wait_for
from leftovers import alive
from lkcase import LocalkubeCase, condition, marker_pids, phase

MOVABLE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: movable}
spec:
  replicas: 1
  selector: {matchLabels: {app: movable}}
  template:
    metadata: {labels: {app: movable}}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      containers:
      - name: app
        image: debian:bookworm
        env: [{name: E2E_MARKER, value: movable}]
        command: [sleep, infinity]
"""

STUCK = """
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: %s}
  containers:
  - name: app
    image: debian:bookworm
    env: [{name: E2E_MARKER, value: stuck}]
    command: [sleep, infinity]
"""


def ready_on(pod, node):
    return (phase(pod) == "Running" and condition(pod, "Ready") == "True"
            and pod["spec"].get("nodeName") == node)


class NodeDown(LocalkubeCase):
    flags = ("--node-monitor-grace", "5")

    def test_node_down(self):
        c = self.cluster
        c.apply(MOVABLE)
        first = wait_for(lambda: [p for p in c.pods("app=movable") if condition(p, "Ready") == "True"],
                         timeout=90, interval=0.2, what="the movable pod Ready")[0]
        node = first["spec"]["nodeName"]
        c.apply(STUCK % node)
        c.wait_pod("stuck", lambda p: ready_on(p, node), 90, f"Ready on {node}")
        c.record_pods()
        doomed = marker_pids("movable") + marker_pids("stuck")
        self.assertEqual(len(doomed), 2, f"one process per pod: {doomed}")

        c.localkube("fault", "node-down", node)
        wait_for(lambda: not any(alive(p) for p in doomed), timeout=15, interval=0.05,
                 what=f"the processes of {node}'s pods gone")

        wait_for(lambda: condition(c.get("node", node, None), "Ready") == "Unknown", timeout=60, interval=0.5,
                 what=f"{node} Ready=Unknown")
        taints = c.get("node", node, None)["spec"].get("taints", [])
        self.assertIn(("node.kubernetes.io/unreachable", "NoExecute"), [(t["key"], t["effect"]) for t in taints])
        wait_for(lambda: condition(c.get("pod", "stuck"), "Ready") == "False", timeout=60, interval=0.5,
                 what="stuck Ready=False")
        self.assertIsNone(c.get("pod", "stuck")["metadata"].get("deletionTimestamp"),
                          "the default 300 s toleration keeps the pod bound for now")

        def evicted():
            old = c.get("pod", first["metadata"]["name"])
            return old is None or old["metadata"].get("deletionTimestamp")
        wait_for(evicted, timeout=60, interval=0.5, what="the movable pod evicted after its 2 s toleration")

        def replaced():
            for p in c.pods("app=movable"):
                if p["metadata"]["uid"] != first["metadata"]["uid"] and condition(p, "Ready") == "True":
                    return p
            return None
        replacement = wait_for(replaced, timeout=90, interval=0.5, what="a replacement movable pod Ready")
        c.record_pods()
        self.assertNotEqual(replacement["spec"]["nodeName"], node, "nothing is scheduled onto the unreachable node")
        self.assertTrue(marker_pids("movable"), "the replacement runs")


if __name__ == "__main__":
    unittest.main()
