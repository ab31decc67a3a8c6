"""PostgreSQL 15 in a pod as uid 26 on a PVC, reached from the host with psql
through a ClusterIP; its data outlives deleting and re-creating the pod."""
import os
import subprocess
import unittest

from harness import wait_for
from leftovers import pids_with_env
from lkcase import LocalkubeCase, phase

CLAIM_AND_SERVICE = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pgdata}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: pg}
spec:
  selector: {app: pg}
  ports: [{port: 5432, targetPort: 5432}]
"""

# initdb on first start only; trust over TCP is fine inside localkube's
# network, which nothing outside the machine can route to.
POD = """
apiVersion: v1
kind: Pod
metadata: {name: pg, labels: {app: pg}}
spec:
  terminationGracePeriodSeconds: 10
  securityContext: {runAsUser: 26, runAsGroup: 26, fsGroup: 26}
  volumes: [{name: data, persistentVolumeClaim: {claimName: pgdata}}]
  containers:
  - name: postgres
    image: ghcr.io/cloudnative-pg/postgresql:15
    env:
    - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
    - {name: E2E_MARKER, value: pg-server}
    volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
    command:
    - sh
    - -c
    - |
      set -e
      if [ ! -s "$PGDATA/PG_VERSION" ]; then
        echo "running initdb"
        initdb -D "$PGDATA" -U postgres --auth=trust --no-sync
        echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"
      fi
      exec postgres -D "$PGDATA" -c listen_addresses=0.0.0.0 -c unix_socket_directories=/tmp
    readinessProbe:
      exec: {command: [pg_isready, -h, 127.0.0.1, -U, postgres]}
      periodSeconds: 1
"""


def uid_of(pid):
    """The real uid, or None for a process that has exited meanwhile."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def comm_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class Postgres(LocalkubeCase):
    def psql(self, host, sql):
        env = dict(os.environ, PGCONNECT_TIMEOUT="2")
        return subprocess.run(["psql", "-h", host, "-U", "postgres", "-d", "postgres", "-XAtq", "-v",
                               "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, env=env, timeout=30)

    def psql_until_ok(self, host, sql, what):
        return wait_for(lambda: (r := self.psql(host, sql)).returncode == 0 and r, timeout=60, interval=0.25,
                        what=f"psql via {host}: {what}").stdout

    def test_postgres_on_a_pvc_keeps_data_across_pod_recreate(self):
        c = self.cluster
        c.apply(CLAIM_AND_SERVICE)
        c.apply(POD)
        first = c.wait_running_ready("pg", timeout=180)
        c.record_pods()
        node = first["spec"]["nodeName"]
        self.assertIn("running initdb", c.kubectl("logs", "pg").stdout)

        claim = c.get("pvc", "pgdata")
        self.assertEqual(claim["status"].get("phase"), "Bound")
        pv = c.get("pv", claim["spec"]["volumeName"], namespace=None)
        host_dir = pv["spec"]["hostPath"]["path"]
        self.assertEqual(os.stat(os.path.join(host_dir, "pgdata")).st_uid, 26, "the data directory belongs to uid 26")
        # The server and its backends (not the short-lived probe launcher).
        servers = [p for p in pids_with_env("E2E_MARKER", "pg-server") if comm_of(p) == "postgres"]
        self.assertTrue(servers, "the postgres processes are visible from the host")
        self.assertEqual({uid_of(p) for p in servers} - {None}, {26}, "postgres runs as uid 26")

        ip = c.get("service", "pg")["spec"]["clusterIP"]
        self.assertEqual(self.psql_until_ok(ip, "show server_version_num", "server version")[:2], "15")
        self.psql_until_ok(ip, "create table kept(v text); insert into kept values ('survives the pod')", "write")

        c.kubectl("delete", "pod", "pg", "--timeout=60s")
        wait_for(lambda: c.get("pod", "pg") is None, timeout=60, what="pod pg gone")
        wait_for(lambda: not pids_with_env("E2E_MARKER", "pg-server"), timeout=30, what="postgres processes gone")

        c.apply(POD)
        second = c.wait_running_ready("pg", timeout=180)
        c.record_pods()
        self.assertNotEqual(second["metadata"]["uid"], first["metadata"]["uid"])
        self.assertEqual(second["spec"]["nodeName"], node, "the PV pins the pod to its node")
        self.assertNotIn("running initdb", c.kubectl("logs", "pg").stdout, "the second pod found the data")
        self.assertEqual(self.psql_until_ok(ip, "select v from kept", "read back"), "survives the pod\n")


if __name__ == "__main__":
    unittest.main()
