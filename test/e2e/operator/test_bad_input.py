"""Bad input never costs a running database and never crash-loops the operator:
kubectl apply refuses invalid values naming the field; a fixed parameter
(`port`) on a running Cluster leaves it on its last good configuration and
says so in the Cluster's status and an Event; a Cluster naming a missing
initdb Secret says which one (status and Event) and creates no pods until the
Secret exists, then proceeds; the operator pod has not restarted after all
of it.

The tests run in the order of their names."""
import json
import re
import time
import unittest

from harness import wait_for
from opcase import OperatorCase, condition, monotonic_s, wait_until


def cluster_doc(name, **spec):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"instances": 1, "storage": {"size": "1Gi"}, **spec}}


class BadInput(OperatorCase):
    def said_on_cluster(self, name, pattern):
        """What the Cluster's status (condition messages, phaseReason) and its
        Events say matching `pattern`. CloudNativePG keeps the Ready
        condition's message fixed ("Cluster Is Not Ready") and names the
        cause in phase and phaseReason, which `kubectl describe` shows."""
        st = (self.get("cluster", name) or {}).get("status") or {}
        conds = [f"condition {c.get('type')}={c.get('status')} ({c.get('reason')}): {c.get('message')}"
                 for c in st.get("conditions") or [] if re.search(pattern, c.get("message") or "")]
        if re.search(pattern, st.get("phaseReason") or ""):
            conds.append(f"phase {st.get('phase')!r}, phaseReason {st['phaseReason']!r}")
        events = [f"event {e['type']} {e['reason']}: {e['message']}"
                  for e in self.events_for("Cluster", name) if re.search(pattern, e["message"])]
        return conds, events

    def wait_said(self, name, pattern, what, timeout=90):
        """Waits for the Cluster's status and an Event on it both to match `pattern`."""
        try:
            return wait_for(lambda: (said := self.said_on_cluster(name, pattern)) and all(said) and said,
                            timeout=timeout, interval=1.0, what=what)
        except AssertionError as e:
            conds, events = self.said_on_cluster(name, pattern)
            raise AssertionError(f"{e}\nmatching conditions: {conds}\nmatching events: {events}\n"
                                 f"{self.cluster_report(name)}") from None

    def test_1_apply_refuses_invalid_values_naming_the_field(self):
        c = self.cluster
        cases = [
            ({"instances": 0},
             "spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1"),
            ({"storage": {"size": "1Gb"}}, 'spec.storage.size: Invalid value: "1Gb"'),
            ({"primaryUpdateStrategy": "sometimes"},
             'spec.primaryUpdateStrategy: Unsupported value: "sometimes": supported values: "unsupervised", "supervised"'),
        ]
        for spec, message in cases:
            with self.subTest(next(iter(spec))):
                res = c.kubectl("apply", "-f", "-", input=json.dumps(cluster_doc("refused", **spec)), check=False)
                self.assertNotEqual(res.returncode, 0, res.stdout)
                self.assertIn(message, res.stderr)
                self.assertIsNone(self.get("cluster", "refused"))
        self.assertEqual(self.owned("pods", "refused"), [])

    def test_2_fixed_parameter_on_running_cluster_keeps_last_good_spec(self):
        name = "param-guard"
        applied = time.monotonic()
        self.apply(cluster_doc(name))
        self.wait_healthy(name, 1, timeout=360)
        print(f"\n{name}: healthy {monotonic_s(applied)} s after apply", flush=True)
        creds = self.credentials(f"{name}-app")
        rw = self.service_ip(f"{name}-rw")
        self.assertEqual(self.sql(rw, creds, "SHOW port"), [("5432",)])
        pod = self.get("pod", f"{name}-1")
        restarts = {s["name"]: s["restartCount"] for s in pod["status"]["containerStatuses"]}

        bad = cluster_doc(name, postgresql={"parameters": {"port": "5433"}})
        res = self.cluster.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
        if res.returncode != 0:
            # Refused at admission: the stored Cluster is the good one.
            self.assertRegex(res.stderr, r"\bport\b")
            print(f"\nport refused at admission: {res.stderr.strip()}", flush=True)
        else:
            conds, events = self.wait_said(name, r"\bport\b", "the status and an Event naming `port`")
            print(f"\nport reported: {conds} {events}", flush=True)
        time.sleep(5)  # whatever the operator and the instance do with it, they have done
        now = self.get("pod", f"{name}-1")
        self.assertEqual(now["metadata"]["uid"], pod["metadata"]["uid"], "the instance pod was not replaced")
        self.assertEqual({s["name"]: s["restartCount"] for s in now["status"]["containerStatuses"]}, restarts)
        self.assertEqual(condition(now, "Ready"), "True")
        self.assertEqual(self.sql(rw, creds, "SHOW port"), [("5432",)], "postgres kept its port")
        self.sql(rw, creds, "CREATE TABLE IF NOT EXISTS still_writable (x int)")
        self.assertEqual((self.get("cluster", name)["status"] or {}).get("readyInstances"), 1)

        # Back to a good spec: healthy again and nothing names the parameter.
        reverted = time.monotonic()
        self.apply(cluster_doc(name))
        self.wait_cluster(name, lambda o: condition(o, "Ready") == "True" and not self.said_on_cluster(name, r"\bport\b")[0],
                          timeout=90, what="Ready again, nothing in the status naming `port`")
        print(f"Ready again {monotonic_s(reverted)} s after the good spec", flush=True)
        self.cluster.kubectl("delete", "cluster", name, "--wait=false")

    def test_3_missing_initdb_secret_is_named_and_nothing_starts_until_it_exists(self):
        name, secret = "needs-secret", "needs-secret-creds"
        self.apply(cluster_doc(name, bootstrap={"initdb": {"database": "app", "owner": "app",
                                                            "secret": {"name": secret}}}))
        conds, events = self.wait_said(name, re.escape(secret), f"the status and an Event naming {secret}")
        print(f"\n{secret} reported: {conds} {events}", flush=True)
        time.sleep(5)
        self.assertEqual([p["metadata"]["name"] for p in self.owned("pods", name)], [])
        self.assertIsNone(self.get("pod", f"{name}-1"))

        password = f"e2e-{time.time_ns()}"
        self.cluster.kubectl("create", "secret", "generic", secret, "--type=kubernetes.io/basic-auth",
                             "--from-literal=username=app", f"--from-literal=password={password}")
        # A one-instance Cluster is healthy within seconds of its Secret
        # existing; the user should not wait for a periodic resync.
        created = time.monotonic()
        self.wait_healthy(name, 1, timeout=120)
        print(f"healthy {monotonic_s(created)} s after the Secret was created", flush=True)
        rw = self.service_ip(f"{name}-rw")
        creds = {"username": "app", "password": password, "dbname": "app"}
        who = wait_until(lambda: self.sql(rw, creds, "SELECT current_user, current_database()"), timeout=30,
                         what="a connection with the Secret's password")
        self.assertEqual(who, [("app", "app")])
        self.assertEqual(self.said_on_cluster(name, re.escape(secret))[0], [], "nothing in the status names the Secret any more")
        self.cluster.kubectl("delete", "cluster", name, "--wait=false")

    def test_9_operator_did_not_restart(self):
        pods = self.operator_pods()
        self.assertEqual(len(pods), 1, [p["metadata"]["name"] for p in pods])
        self.assertEqual(self.operator_restarts(), {pods[0]["metadata"]["name"]: 0}, self.operator_log())


if __name__ == "__main__":
    unittest.main()
