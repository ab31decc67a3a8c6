"""CloudNativePG's cluster-example, applied unchanged on localkube with the
operator installed from manifests/operator.yaml: it becomes healthy with a
primary and two streaming standbys; the objects carry CloudNativePG's names
and labels; a row written through -rw is read from a standby through -ro,
which refuses writes; `kubectl get cluster` shows the columns; an idle
healthy Cluster gets no status writes; killing the operator leaves the
database serving and the new one adopts what is there; deleting the Cluster
leaves nothing of it.

The tests run in the order of their names, on one Cluster."""
import re
import threading
import time
import unittest

import yaml

from harness import wait_for
from opcase import HEALTHY, OPERATOR_NS, SAMPLES, OperatorCase, condition, monotonic_s, wait_until

NAME = "cluster-example"
INSTANCES = 3
PODS = [f"{NAME}-{n}" for n in range(1, INSTANCES + 1)]
IDLE_S = 20


class ClusterExample(OperatorCase):
    healthy_seen = None  # the Cluster once healthy; None until then

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(f"{SAMPLES}/{NAME}.yaml") as f:
            cls.manifest = yaml.safe_load(f)
        cls.cluster.kubectl("apply", "-f", f"{SAMPLES}/{NAME}.yaml")
        cls.applied_at = time.monotonic()

    def healthy(self):
        if ClusterExample.healthy_seen is None:
            self.fail(f"{NAME} never became healthy (see test_01)")
        return self.wait_healthy(NAME, INSTANCES, timeout=120)

    def primary(self):
        return self.get("cluster", NAME)["status"]["currentPrimary"]

    def test_01_becomes_healthy_with_three_ready(self):
        self.assertEqual(self.manifest["spec"], {"instances": 3, "storage": {"size": "1Gi"}}, "the sample is unchanged")
        obj = self.wait_healthy(NAME, INSTANCES, timeout=480)
        print(f"\n{NAME}: healthy {monotonic_s(self.applied_at)} s after apply", flush=True)
        ClusterExample.healthy_seen = obj
        st = obj["status"]
        self.assertEqual(st["instances"], INSTANCES)
        self.assertEqual(sorted(st["instanceNames"]), PODS)
        # The status the operator wrote together with the healthy phase.
        self.assertEqual(sorted(st["instancesStatus"].get("healthy", [])), PODS,
                         f"instancesStatus {st['instancesStatus']} beside phase {st['phase']!r}, "
                         f"readyInstances {st['readyInstances']}")
        self.assertIn(st["currentPrimary"], PODS)
        self.assertEqual(st["targetPrimary"], st["currentPrimary"])
        self.assertEqual((st["writeService"], st["readService"]), (f"{NAME}-rw", f"{NAME}-r"))
        self.assertEqual(condition(obj, "Ready"), "True")
        reasons = {e["reason"] for e in self.events_for("Cluster", NAME)}
        self.assertTrue(reasons, "the operator recorded Events on the Cluster")

    def test_02_objects_carry_cloudnativepg_names_and_labels(self):
        obj = self.healthy()
        uid = obj["metadata"]["uid"]
        primary = obj["status"]["currentPrimary"]

        def owned_by_cluster(o):
            refs = [r for r in o["metadata"].get("ownerReferences", []) if r.get("controller")]
            return [(r["kind"], r["name"], r["uid"]) for r in refs] == [("Cluster", NAME, uid)]

        pods = {p["metadata"]["name"]: p for p in self.owned("pods", NAME)}
        self.assertEqual(sorted(pods), PODS)
        for name, pod in pods.items():
            with self.subTest(pod=name):
                labels = pod["metadata"]["labels"]
                role = "primary" if name == primary else "replica"
                self.assertEqual({k: labels.get(k) for k in ("cnpg.io/cluster", "cnpg.io/instanceName",
                                                             "cnpg.io/podRole", "cnpg.io/instanceRole", "role")},
                                 {"cnpg.io/cluster": NAME, "cnpg.io/instanceName": name,
                                  "cnpg.io/podRole": "instance", "cnpg.io/instanceRole": role, "role": role})
                self.assertTrue(owned_by_cluster(pod), pod["metadata"].get("ownerReferences"))
                claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]
                          if "persistentVolumeClaim" in v}
                self.assertEqual(claims, {name})
        self.assertEqual(len({p["spec"]["nodeName"] for p in pods.values()}), INSTANCES,
                         "one instance per node (the default anti-affinity is preferred; 3 nodes, 3 pods)")

        pvcs = {p["metadata"]["name"]: p for p in self.owned("pvc", NAME)}
        self.assertEqual(sorted(pvcs), PODS)
        for name, pvc in pvcs.items():
            with self.subTest(pvc=name):
                labels = pvc["metadata"]["labels"]
                self.assertEqual((labels.get("cnpg.io/instanceName"), labels.get("cnpg.io/pvcRole")), (name, "PG_DATA"))
                self.assertEqual(pvc["status"].get("phase"), "Bound")
                self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "1Gi")
                self.assertTrue(owned_by_cluster(pvc))

        services = {s["metadata"]["name"]: s for s in self.owned("services", NAME)}
        self.assertEqual(sorted(services), sorted(f"{NAME}-{k}" for k in ("rw", "ro", "r")))
        selectors = {"rw": {"cnpg.io/cluster": NAME, "cnpg.io/instanceRole": "primary"},
                     "ro": {"cnpg.io/cluster": NAME, "cnpg.io/instanceRole": "replica"},
                     "r": {"cnpg.io/cluster": NAME, "cnpg.io/podRole": "instance"}}
        for kind, selector in selectors.items():
            with self.subTest(service=kind):
                svc = services[f"{NAME}-{kind}"]
                self.assertEqual(svc["spec"]["selector"], selector)
                self.assertEqual([(p["name"], p["port"]) for p in svc["spec"]["ports"]], [("postgres", 5432)])
                self.assertEqual(svc["spec"]["type"], "ClusterIP")
                self.assertTrue(owned_by_cluster(svc))

        for name in (f"{NAME}-app", f"{NAME}-ca", f"{NAME}-server", f"{NAME}-replication"):
            with self.subTest(secret=name):
                secret = self.get("secret", name)
                self.assertIsNotNone(secret, name)
                self.assertEqual(secret["metadata"]["labels"].get("cnpg.io/cluster"), NAME)
                self.assertTrue(owned_by_cluster(secret))
        self.assertIsNone(self.get("secret", f"{NAME}-superuser"), "no superuser Secret without enableSuperuserAccess")
        app = self.credentials(f"{NAME}-app")
        self.assertEqual((app["username"], app["dbname"], app["host"], app["port"]), ("app", "app", f"{NAME}-rw", "5432"))
        self.assertEqual(len(app["password"]), 64)
        self.assertEqual(self.get("secret", f"{NAME}-app")["type"], "kubernetes.io/basic-auth")
        self.assertEqual(set(self.credentials(f"{NAME}-ca")), {"ca.crt", "ca.key"})
        self.assertEqual(set(self.credentials(f"{NAME}-server")), {"tls.crt", "tls.key"})

        for kind in ("serviceaccount", "role", "rolebinding"):
            with self.subTest(kind=kind):
                o = self.get(kind, NAME)
                self.assertIsNotNone(o, f"{kind} {NAME}")
                self.assertTrue(owned_by_cluster(o))
        pdbs = sorted(p["metadata"]["name"] for p in self.owned("pdb", NAME))
        self.assertEqual(pdbs, [NAME, f"{NAME}-primary"])

    def test_03_write_through_rw_read_through_ro_from_a_standby(self):
        self.healthy()
        creds = self.credentials(f"{NAME}-app")
        rw, ro = self.service_ip(f"{NAME}-rw"), self.service_ip(f"{NAME}-ro")
        primary = self.primary()
        token = f"written-{time.time_ns()}"
        self.sql(rw, creds, "CREATE TABLE IF NOT EXISTS e2e_notes (id serial PRIMARY KEY, note text NOT NULL)")
        self.sql(rw, creds, "INSERT INTO e2e_notes (note) VALUES (%s)", (token,))
        in_recovery, server = self.sql(rw, creds, "SELECT pg_is_in_recovery(), host(inet_server_addr())")[0]
        self.assertFalse(in_recovery)
        self.assertEqual(server, self.pod_ip(primary), "-rw reaches the current primary")

        standby_ips = {self.pod_ip(p) for p in PODS if p != primary}
        seen_on = set()

        def read_back():
            # Each connection to the ClusterIP may reach either standby.
            rows = self.sql(ro, creds, "SELECT pg_is_in_recovery(), host(inet_server_addr()), "
                                       "(SELECT count(*) FROM e2e_notes WHERE note = %s)", (token,))
            recovering, ip, count = rows[0]
            self.assertTrue(recovering, "-ro reached a server not in recovery")
            self.assertIn(ip, standby_ips)
            if count == 1:
                seen_on.add(ip)
            return seen_on == standby_ips
        wait_until(read_back, timeout=60, what="the row read back through -ro from both standbys", interval=0.2)

        import psycopg2
        with self.assertRaises(psycopg2.errors.ReadOnlySqlTransaction) as refused:
            self.sql(ro, creds, "INSERT INTO e2e_notes (note) VALUES ('through ro')")
        self.assertIn("read-only transaction", str(refused.exception))
        self.assertEqual(self.sql(rw, creds, "SELECT count(*) FROM e2e_notes WHERE note = 'through ro'")[0][0], 0)

    def test_04_exactly_one_primary_and_it_is_current_primary(self):
        obj = self.healthy()
        primaries = [p["metadata"]["name"] for p in self.owned("pods", NAME)
                     if p["metadata"]["labels"].get("cnpg.io/instanceRole") == "primary"]
        self.assertEqual(primaries, [obj["status"]["currentPrimary"]])
        legacy = [p["metadata"]["name"] for p in self.owned("pods", NAME)
                  if p["metadata"]["labels"].get("role") == "primary"]
        self.assertEqual(legacy, primaries)
        endpoints = self.get("endpoints", f"{NAME}-rw")
        ips = [a["ip"] for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]
        self.assertEqual(ips, [self.pod_ip(primaries[0])], "-rw has the primary as its only endpoint")

    def test_05_kubectl_get_cluster_shows_the_columns(self):
        obj = self.healthy()
        lines = self.cluster.kubectl("get", "cluster", NAME).stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "AGE", "INSTANCES", "READY", "STATUS", "PRIMARY"])
        primary = obj["status"]["currentPrimary"]
        self.assertRegex(lines[1], rf"^{NAME}\s+\d+[smh]\S*\s+3\s+3\s+{HEALTHY}\s+{re.escape(primary)}$")

    def test_06_idle_healthy_cluster_gets_no_status_writes(self):
        before = self.healthy()
        rv = before["metadata"]["resourceVersion"]
        deadline = time.monotonic() + IDLE_S
        while time.monotonic() < deadline:
            now = self.get("cluster", NAME)
            if now["metadata"]["resourceVersion"] != rv:
                self.fail(f"the idle Cluster was written after "
                          f"{IDLE_S - round(deadline - time.monotonic(), 1)} s: status before "
                          f"{before['status']}\nafter {now['status']}")
            time.sleep(0.5)

    def test_07_operator_killed_database_keeps_serving_and_new_operator_adopts(self):
        self.healthy()
        c = self.cluster
        creds = self.credentials(f"{NAME}-app")
        rw = self.service_ip(f"{NAME}-rw")
        self.sql(rw, creds, "CREATE TABLE IF NOT EXISTS e2e_during (id serial PRIMARY KEY, at timestamptz DEFAULT now())")

        def uids(kind):
            return {o["metadata"]["name"]: o["metadata"]["uid"] for o in self.owned(kind, NAME)}
        before = {kind: uids(kind) for kind in ("pods", "pvc", "services", "secrets")}
        old = self.operator_pods()
        self.assertEqual(len(old), 1, [p["metadata"]["name"] for p in old])
        old_name = old[0]["metadata"]["name"]

        failures, writes = [], []
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                try:
                    self.sql(rw, creds, "INSERT INTO e2e_during DEFAULT VALUES")
                    writes.append(time.monotonic())
                except Exception as e:  # noqa: BLE001 - every failed write is reported
                    failures.append(f"{time.monotonic():.1f}: {type(e).__name__}: {e}".strip())
                stop.wait(0.3)
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            killed_at = time.monotonic()
            c.kubectl("delete", "pod", "-n", OPERATOR_NS, old_name, "--wait=false")
            new = self.wait_operator_ready(exclude=(old_name,))
            print(f"\nnew operator {new['metadata']['name']} Ready {monotonic_s(killed_at)} s after the kill", flush=True)
            stop.wait(10)  # the new operator's first reconciles run meanwhile
        finally:
            stop.set()
            thread.join(timeout=30)
        self.assertEqual(failures, [], "writes through -rw failed while the operator was away")
        self.assertGreater(len(writes), 10)
        self.assertNotEqual(new["metadata"]["name"], old_name)

        self.wait_healthy(NAME, INSTANCES, timeout=60)
        after = {kind: uids(kind) for kind in ("pods", "pvc", "services", "secrets")}
        for kind in before:
            with self.subTest(kind=kind):
                self.assertEqual(after[kind], before[kind], f"{kind}: the same objects, no duplicates")

        # The new operator acts: a deleted Service of the Cluster comes back.
        old_r = before["services"][f"{NAME}-r"]
        c.kubectl("delete", "service", f"{NAME}-r")
        back = wait_for(lambda: (s := self.get("service", f"{NAME}-r")) and s["metadata"]["uid"] != old_r and s,
                        timeout=60, interval=0.5, what=f"the new operator recreating {NAME}-r")
        self.assertEqual(back["spec"]["selector"], {"cnpg.io/cluster": NAME, "cnpg.io/podRole": "instance"})
        self.assertEqual(self.operator_restarts(), {new["metadata"]["name"]: 0})

    def test_08_delete_cluster_leaves_nothing(self):
        self.healthy()
        c = self.cluster
        self.cluster.record_pods()
        pvs = {p["spec"].get("volumeName") for p in self.owned("pvc", NAME)} - {None}
        self.assertEqual(len(pvs), INSTANCES)
        c.kubectl("delete", "cluster", NAME, "--wait=false")
        kinds = ("pods", "pvc", "services", "secrets", "jobs", "roles", "rolebindings", "serviceaccounts", "pdb")
        names = {"pods": PODS, "pvc": PODS, "services": [f"{NAME}-rw", f"{NAME}-ro", f"{NAME}-r"],
                 "secrets": [f"{NAME}-{s}" for s in ("app", "superuser", "ca", "server", "replication")],
                 "roles": [NAME], "rolebindings": [NAME], "serviceaccounts": [NAME], "pdb": [NAME, f"{NAME}-primary"]}

        def remaining():
            left = []
            for kind in kinds:
                left += [f"{kind}/{o['metadata']['name']}" for o in self.owned(kind, NAME)]
                left += [f"{kind}/{n}" for n in names.get(kind, []) if self.get(kind, n) is not None]
            left += [f"pv/{pv}" for pv in sorted(pvs) if self.get("pv", pv, namespace=None) is not None]
            if self.get("cluster", NAME) is not None:
                left.append(f"cluster/{NAME}")
            return sorted(set(left))
        try:
            wait_for(lambda: not remaining(), timeout=180, interval=1.0, what=f"everything of {NAME} gone")
        except AssertionError as e:
            raise AssertionError(f"{e}: still there: {remaining()}\n{self.operator_report()}") from None
        self.assertEqual(self.operator_restarts(), {p["metadata"]["name"]: 0 for p in self.operator_pods()})


if __name__ == "__main__":
    unittest.main()
