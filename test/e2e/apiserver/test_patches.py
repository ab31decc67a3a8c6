"""Patch types on built-in kinds (strategic merge with merge keys, JSON
merge, JSON patch), dry runs, and the Python client's own patch calls."""
import json
import unittest

from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import Cluster

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}},
       "spec": {"containers": [{"name": "main", "image": "img:1", "env": [{"name": "X", "value": "1"}]},
                               {"name": "side", "image": "side:1"}],
                "tolerations": [{"key": "k", "operator": "Exists"}]}}


class Patches(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)
        cls.core = client.CoreV1Api(cls.cluster.client())

    def setUp(self):
        self.name = self.id().split(".")[-1].replace("_", "-")[:50]
        pod = json.loads(json.dumps(POD))
        pod["metadata"]["name"] = self.name
        self.core.create_namespaced_pod("default", pod)

    def get(self):
        return self.cluster.kubectl_json("get", "pod", self.name)

    def test_strategic_merge_uses_merge_keys(self):
        c = self.cluster
        c.kubectl("patch", "pod", self.name, "-p",
                  '{"spec":{"containers":[{"name":"main","image":"img:2","env":[{"name":"Y","value":"2"}]}]}}')
        spec = self.get()["spec"]
        self.assertEqual([x["name"] for x in spec["containers"]], ["main", "side"])
        self.assertEqual(spec["containers"][0]["image"], "img:2")
        self.assertEqual(spec["containers"][0]["env"], [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])
        c.kubectl("patch", "pod", self.name, "-p", '{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}')
        self.assertEqual([x["name"] for x in self.get()["spec"]["containers"]], ["main"])
        # Lists without a merge strategy are replaced.
        c.kubectl("patch", "pod", self.name, "-p", '{"spec":{"tolerations":[{"key":"other","operator":"Exists"}]}}')
        self.assertEqual(self.get()["spec"]["tolerations"], [{"key": "other", "operator": "Exists"}])

    def test_merge_and_json_patches(self):
        c = self.cluster
        c.kubectl("patch", "pod", self.name, "--type=merge", "-p", '{"metadata":{"labels":{"a":null,"b":"2"}}}')
        self.assertEqual(self.get()["metadata"]["labels"], {"b": "2"})
        c.kubectl("patch", "pod", self.name, "--type=merge", "-p", '{"spec":{"containers":[{"name":"only","image":"x"}]}}')
        self.assertEqual([x["name"] for x in self.get()["spec"]["containers"]], ["only"])
        c.kubectl("patch", "pod", self.name, "--type=json", "-p", '[{"op":"add","path":"/metadata/labels/c","value":"3"}]')
        self.assertEqual(self.get()["metadata"]["labels"], {"b": "2", "c": "3"})
        failed = c.kubectl("patch", "pod", self.name, "--type=json", "-p",
                           '[{"op":"test","path":"/metadata/labels/c","value":"nope"}]', check=False)
        self.assertNotEqual(failed.returncode, 0)
        self.assertEqual(self.get()["metadata"]["labels"], {"b": "2", "c": "3"})

    def test_status_patch_through_python_client(self):
        self.core.patch_namespaced_pod_status(self.name, "default", {"status": {"phase": "Running"}})
        self.assertEqual(self.get()["status"]["phase"], "Running")
        self.core.patch_namespaced_pod(self.name, "default", {"status": {"phase": "Failed"}})
        self.assertEqual(self.get()["status"]["phase"], "Running", "status is only written through pods/status")

    def test_dry_run_changes_nothing(self):
        c = self.cluster
        before = self.get()["metadata"]["resourceVersion"]
        out = c.kubectl("label", "pod", self.name, "dry=run", "--dry-run=server", "-o", "json").stdout
        self.assertEqual(json.loads(out)["metadata"]["labels"]["dry"], "run")
        c.kubectl("delete", "pod", self.name, "--dry-run=server")
        after = self.get()
        self.assertEqual(after["metadata"]["resourceVersion"], before)
        self.assertNotIn("dry", after["metadata"]["labels"])

    def test_unknown_patch_type_is_415(self):
        status, _, body = self.cluster.request("PATCH", f"/api/v1/namespaces/default/pods/{self.name}", "{}",
                                               content_type="application/xml")
        self.assertEqual((status, body["reason"]), (415, "UnsupportedMediaType"))
        with self.assertRaises(ApiException):
            self.core.patch_namespaced_pod("missing-pod", "default", {"metadata": {"labels": {"x": "y"}}})


if __name__ == "__main__":
    unittest.main()
