"""kubectl against localkube: discovery, CRUD, apply, server-side apply,
bad input, restart with the same resourceVersions."""
import json
import os
import subprocess
import unittest

from harness import Cluster, LOCALKUBE

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env:
        - {name: MODE, value: "one"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: "1"
"""


class Basics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)

    def test_version_and_discovery(self):
        c = self.cluster
        out = c.kubectl("version", "-o", "json").stdout
        self.assertEqual(json.loads(out)["serverVersion"]["minor"], "32")
        resources = c.kubectl("api-resources", "-o", "name").stdout.split()
        for r in ["pods", "deployments.apps", "leases.coordination.k8s.io", "customresourcedefinitions.apiextensions.k8s.io",
                  "events.events.k8s.io", "endpointslices.discovery.k8s.io", "poddisruptionbudgets.policy"]:
            self.assertIn(r, resources)
        short = c.kubectl("get", "po,svc,cm", "-n", "kube-system").returncode
        self.assertEqual(short, 0)

    def test_apply_is_idempotent_and_updates(self):
        c = self.cluster
        first = c.kubectl("apply", "-f", "-", input=DEPLOYMENT).stdout
        self.assertIn("deployment.apps/web created", first)
        rv = c.kubectl_json("get", "deploy", "web")["metadata"]["resourceVersion"]
        again = c.kubectl("apply", "-f", "-", input=DEPLOYMENT)
        self.assertIn("deployment.apps/web unchanged", again.stdout)
        self.assertEqual(again.stderr, "", "apply must not warn")
        self.assertEqual(c.kubectl_json("get", "deploy", "web")["metadata"]["resourceVersion"], rv)
        changed = c.kubectl("apply", "-f", "-", input=DEPLOYMENT.replace('"one"', '"two"')).stdout
        self.assertIn("deployment.apps/web configured", changed)
        dep = c.kubectl_json("get", "deploy", "web")
        self.assertEqual(dep["spec"]["template"]["spec"]["containers"][0]["env"], [{"name": "MODE", "value": "two"}])
        self.assertEqual(dep["metadata"]["generation"], 2)
        table = c.kubectl("get", "deploy", "web").stdout
        self.assertRegex(table.splitlines()[0], r"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE")

    def test_server_side_apply_second_apply_is_noop(self):
        c = self.cluster
        manifest = DEPLOYMENT.replace("name: web", "name: ssa").replace("name: settings", "name: ssa-settings")
        self.assertIn("serverside-applied", c.kubectl("apply", "--server-side", "-f", "-", input=manifest).stdout)
        rv = c.kubectl_json("get", "cm", "ssa-settings")["metadata"]["resourceVersion"]
        c.kubectl("apply", "--server-side", "-f", "-", input=manifest)
        self.assertEqual(c.kubectl_json("get", "cm", "ssa-settings")["metadata"]["resourceVersion"], rv)
        managed = c.kubectl_json("get", "cm", "ssa-settings", "--show-managed-fields")["metadata"]["managedFields"]
        self.assertEqual(managed[0]["manager"], "kubectl")
        self.assertEqual(managed[0]["operation"], "Apply")
        # Dropping a field from the applied manifest removes it from the object.
        smaller = manifest.replace('  a: "1"', '  b: "2"')
        c.kubectl("apply", "--server-side", "-f", "-", input=smaller)
        self.assertEqual(c.kubectl_json("get", "cm", "ssa-settings")["data"], {"b": "2"})
        # Another manager changing an applied field conflicts until forced.
        other = c.kubectl("apply", "--server-side", "--field-manager", "other", "-f", "-",
                          input=smaller.replace('b: "2"', 'b: "3"'), check=False)
        self.assertNotEqual(other.returncode, 0)
        self.assertIn("conflict", other.stderr)
        c.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager", "other", "-f", "-",
                  input=smaller.replace('b: "2"', 'b: "3"'))
        self.assertEqual(c.kubectl_json("get", "cm", "ssa-settings")["data"], {"b": "3"})

    def test_create_get_delete_and_errors(self):
        c = self.cluster
        c.kubectl("create", "configmap", "cm1", "--from-literal=k=v")
        dup = c.kubectl("create", "configmap", "cm1", "--from-literal=k=v", check=False)
        self.assertIn('configmaps "cm1" already exists\n', dup.stderr)
        self.assertIn('configmap "cm1" deleted', c.kubectl("delete", "cm", "cm1").stdout)
        missing = c.kubectl("get", "cm", "cm1", check=False)
        self.assertIn('Error from server (NotFound): configmaps "cm1" not found', missing.stderr)
        unknown = c.kubectl("get", "frobnicators", check=False)
        self.assertNotEqual(unknown.returncode, 0)
        self.assertIn("the server doesn't have a resource type \"frobnicators\"", unknown.stderr)

    def test_bad_input_changes_nothing(self):
        c = self.cluster
        before = c.kubectl_json("get", "cm")["metadata"]["resourceVersion"]
        status, _, body = c.request("POST", "/api/v1/namespaces/default/configmaps", "{not json")
        self.assertEqual((status, body["reason"]), (400, "BadRequest"))
        status, _, body = c.request("POST", "/api/v1/namespaces/default/configmaps",
                                    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
        self.assertEqual(status, 400)
        self.assertIn("the kind in the data (Secret) does not match the expected kind (ConfigMap)", body["message"])
        status, _, body = c.request("POST", "/api/v1/namespaces/default/configmaps", {"apiVersion": "v1", "kind": "ConfigMap"})
        self.assertEqual((status, body["reason"]), (422, "Invalid"))
        self.assertEqual(body["message"], 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required')
        status, _, body = c.request("POST", "/api/v1/namespaces/default/configmaps",
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}})
        self.assertEqual(status, 422)
        self.assertIn('metadata.name: Invalid value: "Bad_Name"', body["message"])
        big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"x": "y" * (4 << 20)}}
        status, _, body = c.request("POST", "/api/v1/namespaces/default/configmaps", big)
        self.assertEqual((status, body["reason"]), (413, "RequestEntityTooLarge"))
        status, _, body = c.request("GET", "/apis/example.invalid/v1/things")
        self.assertEqual((status, body["reason"]), (404, "NotFound"))
        status, _, body = c.request("POST", "/api/v1/namespaces/nowhere/configmaps",
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
        self.assertEqual(status, 404)
        self.assertEqual(body["message"], 'namespaces "nowhere" not found')
        after = c.kubectl_json("get", "cm")["metadata"]["resourceVersion"]
        self.assertEqual(before, after)

    def test_optimistic_concurrency_and_generate_name(self):
        c = self.cluster
        status, _, cm = c.request("POST", "/api/v1/namespaces/default/configmaps",
                                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}, "data": {"a": "1"}})
        self.assertEqual(status, 201)
        name = cm["metadata"]["name"]
        self.assertRegex(name, r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        self.assertRegex(cm["metadata"]["uid"], r"^[0-9a-f-]{36}$")
        self.assertRegex(cm["metadata"]["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        path = f"/api/v1/namespaces/default/configmaps/{name}"
        stale = dict(cm, data={"a": "2"})
        status, _, updated = c.request("PUT", path, stale)
        self.assertEqual(status, 200)
        self.assertGreater(int(updated["metadata"]["resourceVersion"]), int(cm["metadata"]["resourceVersion"]))
        status, _, body = c.request("PUT", path, dict(cm, data={"a": "3"}))
        self.assertEqual(status, 409)
        self.assertEqual(body["message"], f'Operation cannot be fulfilled on configmaps "{name}": the object has been modified; '
                                          "please apply your changes to the latest version and try again")
        status, _, same = c.request("PUT", path, updated)
        self.assertEqual(same["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"])

    def test_start_twice_and_restart_keeps_resource_versions(self):
        c = self.cluster
        twice = c.start(check=False)
        self.assertNotEqual(twice.returncode, 0)
        self.assertIn("already running", twice.stderr)
        c.kubectl("create", "configmap", "keep", "--from-literal=k=v")
        before = c.kubectl_json("get", "cm", "keep")["metadata"]
        self.assertEqual(c.stop().returncode, 0)
        self.assertEqual(c.stop().returncode, 0, "stop is idempotent")
        c.start()
        after = c.kubectl_json("get", "cm", "keep")["metadata"]
        self.assertEqual((after["resourceVersion"], after["uid"]), (before["resourceVersion"], before["uid"]))
        c.kubectl("create", "configmap", "newer", "--from-literal=k=v")
        newer = c.kubectl_json("get", "cm", "newer")["metadata"]["resourceVersion"]
        self.assertGreater(int(newer), int(before["resourceVersion"]))

    def test_anonymous_is_unauthorized(self):
        c = self.cluster
        status, _, body = c.request("GET", "/api/v1/namespaces", token="")
        self.assertEqual(status, 401)
        self.assertEqual(body["reason"], "Unauthorized")
        res = c.kubectl("get", "pods", token="not-a-token", check=False)
        self.assertIn("error: You must be logged in to the server", res.stderr)


if __name__ == "__main__":
    unittest.main()
