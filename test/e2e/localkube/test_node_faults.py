"""Node faults, with --node-monitor-grace 5 so an unreachable node shows soon.
`localkube fault partition --node` / `heal --node`: the node's pods go dark
both ways but keep running, the Node goes Ready=Unknown and its pods
Ready=False, and all of it comes back on heal. `localkube fault node-down`:
a power cut; its pods' processes are gone at once, the Node goes
Ready=Unknown, its pods Ready=False, and a pod whose toleration of the
unreachable taint runs out is evicted and replaced on another node."""
import unittest

from harness import wait_for
from leftovers import alive
from lkcase import LocalkubeCase, condition, http_get, marker_pids, phase
from watched_pod import manifest, url, wait_api

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
      # node-3 is test_partition_and_heal_node's; the rest is free to move.
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/hostname, operator: NotIn, values: [localkube-node-3]}]
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


class NodeFaults(LocalkubeCase):
    flags = ("--node-monitor-grace", "5")

    def test_partition_and_heal_node(self):
        c = self.cluster
        node = "localkube-node-3"
        c.apply(manifest("far", node))
        pod = c.wait_running_ready("far")
        c.record_pods()
        self.assertEqual(pod["spec"]["nodeName"], node)
        address = url(pod)
        self.assertEqual(wait_for(lambda: http_get(address), timeout=30, what="far answering the host"), "far")
        n = wait_api(c, "far", True, 0, "API reachable before the partition")
        processes = marker_pids("far")

        c.localkube("fault", "partition", "--node", node)
        wait_for(lambda: http_get(address) is None, timeout=30, interval=0.2, what="far unreachable from the host")
        n = wait_api(c, "far", False, n, "API unreachable from a pod of the partitioned node")
        wait_for(lambda: condition(c.get("node", node, None), "Ready") == "Unknown", timeout=60, interval=0.5,
                 what=f"{node} Ready=Unknown")
        wait_for(lambda: condition(c.get("pod", "far"), "Ready") == "False", timeout=60, interval=0.5,
                 what="far Ready=False on the unreachable node")
        self.assertEqual(marker_pids("far"), processes, "the partitioned node's pods keep running")

        c.localkube("fault", "heal", "--node", node)
        wait_for(lambda: condition(c.get("node", node, None), "Ready") == "True", timeout=60, interval=0.5,
                 what=f"{node} Ready again after heal")
        self.assertEqual(wait_for(lambda: http_get(address), timeout=30, what="far reachable after heal"), "far")
        wait_api(c, "far", True, n, "API reachable after heal")
        wait_for(lambda: condition(c.get("pod", "far"), "Ready") == "True", timeout=60, interval=0.5,
                 what="far Ready again after heal")
        self.assertEqual(marker_pids("far"), processes)

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
        self.assertNotIn(replacement["spec"]["nodeName"], [node, "localkube-node-3"],
                         "nothing is scheduled onto the unreachable node, nor against the affinity")
        self.assertTrue(marker_pids("movable"), "the replacement runs")
        self.assertEqual(condition(c.get("node", node, None), "Ready"), "Unknown",
                         "a node that is down stays Unknown: nothing renews its heartbeat")


if __name__ == "__main__":
    unittest.main()
