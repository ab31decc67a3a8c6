"""`localkube stop` leaves nothing behind: no process, network namespace,
host link or mount, checked from the host. Also after `kill -9` of the
localkube daemon, the next `stop` or `start` cleans what the dead run left.
Each test runs its own cluster, since each one ends it."""
import os
import signal
import unittest

from harness import wait_for
from leftovers import alive
from lkcase import PodCluster, condition, marker_pids, phase, require_environment

BUSY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: busy}
spec:
  replicas: 3
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: debian:bookworm
        env: [{name: E2E_MARKER, value: busy}]
        command: [sleep, infinity]
---
apiVersion: v1
kind: Service
metadata: {name: busy}
spec:
  selector: {app: busy}
  ports: [{port: 80}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: scratch, persistentVolumeClaim: {claimName: scratch}}
  - {name: tmp, emptyDir: {}}
  containers:
  - name: app
    image: debian:bookworm
    env: [{name: E2E_MARKER, value: writer}]
    volumeMounts: [{name: scratch, mountPath: /scratch}, {name: tmp, mountPath: /tmp/work}]
    command: [sh, -c, 'date > /scratch/started; exec sleep infinity']
"""


def all_running(cluster, not_pids=()):
    """All 4 pods Ready in the API and their processes there on the host
    (a restarted cluster's API still holds the old run's status at first)."""
    pods = cluster.kubectl_json("get", "pods")["items"]
    ready = [p for p in pods if phase(p) == "Running" and condition(p, "Ready") == "True"]
    processes = [p for p in marker_pids("busy") + marker_pids("writer") if p not in not_pids]
    return len(pods) == 4 and len(ready) == 4 and len(processes) == 4


class Lifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_environment()

    def start_busy_cluster(self):
        cluster = PodCluster().__enter__()
        # If a check below fails, still take the cluster down.
        self.addCleanup(self._teardown, cluster)
        cluster.apply(BUSY)
        wait_for(lambda: all_running(cluster), timeout=180, interval=0.3, what="4 pods Running and Ready")
        cluster.record_pods()
        return cluster

    def _teardown(self, cluster):
        if cluster.dir:
            cluster.stop_and_check()

    def assert_clean_stop(self, cluster):
        res, left = cluster.stop_and_check()
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(left, [], "localkube stop left:\n  " + "\n  ".join(left))

    def kill_daemon(self, cluster):
        pid = cluster.daemon_pid
        self.assertTrue(pid and alive(pid), "the daemon runs")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not alive(pid), timeout=30, what=f"daemon {pid} dead")

    def test_stop_leaves_nothing_and_start_restores(self):
        c = self.start_busy_cluster()
        before = marker_pids("busy") + marker_pids("writer")
        res = c.stop()
        self.assertEqual(res.returncode, 0, res.stderr)
        left = c.footprint.leftovers()
        self.assertEqual(left, [], "localkube stop left:\n  " + "\n  ".join(left))
        self.assertEqual(c.stop().returncode, 0, "stop is idempotent")

        # The state is kept: the same objects come back and run again.
        c.start()
        wait_for(lambda: all_running(c, not_pids=before), timeout=180, interval=0.3,
                 what="4 pods Running again after restart")
        c.record_pods()
        self.assertTrue(os.path.exists(os.path.join(
            c.get("pv", c.get("pvc", "scratch")["spec"]["volumeName"], None)["spec"]["hostPath"]["path"], "started")))
        self.assert_clean_stop(c)

    def test_stop_after_kill_9_cleans_up(self):
        c = self.start_busy_cluster()
        self.kill_daemon(c)
        self.assert_clean_stop(c)

    def test_start_after_kill_9_cleans_up(self):
        c = self.start_busy_cluster()
        before = marker_pids("busy") + marker_pids("writer")
        self.kill_daemon(c)
        c.start()
        wait_for(lambda: not any(alive(p) for p in before), timeout=60, interval=0.1,
                 what="the dead run's pod processes gone after the next start")
        wait_for(lambda: all_running(c, not_pids=before), timeout=180, interval=0.3,
                 what="4 pods Running in the new run")
        c.record_pods()
        self.assert_clean_stop(c)


if __name__ == "__main__":
    unittest.main()
