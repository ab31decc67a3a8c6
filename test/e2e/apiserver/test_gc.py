"""Deletion semantics: finalizers, ownerReferences garbage collection with
background, foreground and orphan propagation, namespace deletion, and
graceful deletion of pods bound to a node."""
import json
import unittest

from harness import Cluster, wait_for


def cm(name, owner=None, finalizers=None, block=False):
    meta = {"name": name}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "blockOwnerDeletion": block}]
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


class Deletion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)

    def create(self, obj, ns="default"):
        status, _, body = self.cluster.request("POST", f"/api/v1/namespaces/{ns}/configmaps", obj)
        self.assertEqual(status, 201, body)
        return body

    def exists(self, name, ns="default"):
        return self.cluster.request("GET", f"/api/v1/namespaces/{ns}/configmaps/{name}")[0] == 200

    def test_finalizers_hold_deletion(self):
        c = self.cluster
        self.create(cm("held", finalizers=["example.com/hold"]))
        c.kubectl("delete", "cm", "held", "--wait=false")
        obj = c.kubectl_json("get", "cm", "held")
        self.assertIn("deletionTimestamp", obj["metadata"])
        res = c.kubectl("patch", "cm", "held", "--type=merge", "-p",
                        '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}', check=False)
        self.assertIn('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, '
                      'found new finalizers []string{"example.com/more"}', res.stderr)
        c.kubectl("patch", "cm", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.assertFalse(self.exists("held"))

    def test_background_cascade(self):
        c = self.cluster
        owner = self.create(cm("bg-owner"))
        for i in range(3):
            self.create(cm(f"bg-dep{i}", owner))
        c.kubectl("delete", "cm", "bg-owner")
        wait_for(lambda: not any(self.exists(f"bg-dep{i}") for i in range(3)), what="dependents collected")

    def test_foreground_cascade(self):
        c = self.cluster
        owner = self.create(cm("fg-owner"))
        self.create(cm("fg-dep", owner, finalizers=["example.com/slow"], block=True))
        c.kubectl("delete", "cm", "fg-owner", "--cascade=foreground", "--wait=false")
        obj = c.kubectl_json("get", "cm", "fg-owner")
        self.assertIn("foregroundDeletion", obj["metadata"]["finalizers"])
        wait_for(lambda: "deletionTimestamp" in c.kubectl_json("get", "cm", "fg-dep")["metadata"], what="dependent deleting")
        self.assertTrue(self.exists("fg-owner"), "the owner waits for its blocking dependent")
        c.kubectl("patch", "cm", "fg-dep", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        wait_for(lambda: not self.exists("fg-owner") and not self.exists("fg-dep"), what="foreground deletion")

    def test_orphan(self):
        c = self.cluster
        owner = self.create(cm("or-owner"))
        self.create(cm("or-dep", owner))
        c.kubectl("delete", "cm", "or-owner", "--cascade=orphan")
        wait_for(lambda: not self.exists("or-owner"), what="owner deleted")
        dep = c.kubectl_json("get", "cm", "or-dep")
        self.assertNotIn("ownerReferences", dep["metadata"])

    def test_namespace_deletion_removes_contents(self):
        c = self.cluster
        c.kubectl("create", "namespace", "doomed")
        self.create(cm("plain"), ns="doomed")
        self.create(cm("sticky", finalizers=["example.com/hold"]), ns="doomed")
        c.kubectl("create", "secret", "generic", "s", "-n", "doomed", "--from-literal=a=b")
        c.kubectl("delete", "namespace", "doomed", "--wait=false")
        ns = c.kubectl_json("get", "namespace", "doomed")
        self.assertEqual(ns["status"]["phase"], "Terminating")
        wait_for(lambda: not self.exists("plain", "doomed"), what="contents deleted")
        status, _, body = c.request("POST", "/api/v1/namespaces/doomed/configmaps", cm("late"))
        self.assertEqual(status, 403)
        self.assertIn("unable to create new content in namespace doomed because it is being terminated", body["message"])
        c.kubectl("patch", "cm", "sticky", "-n", "doomed", "--type=json", "-p",
                  '[{"op":"remove","path":"/metadata/finalizers"}]')
        wait_for(lambda: c.request("GET", "/api/v1/namespaces/doomed")[0] == 404, what="namespace gone")

    def test_pods_bound_to_a_node_delete_gracefully(self):
        c = self.cluster
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "graceful"},
               "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]}}
        status, _, _ = c.request("POST", "/api/v1/namespaces/default/pods", pod)
        self.assertEqual(status, 201)
        c.kubectl("delete", "pod", "graceful", "--wait=false")
        obj = c.kubectl_json("get", "pod", "graceful")
        self.assertEqual(obj["metadata"]["deletionGracePeriodSeconds"], 30)
        self.assertIn("Terminating", c.kubectl("get", "pod", "graceful").stdout)
        # What the kubelet does once the containers have stopped.
        status, _, _ = c.request("DELETE", "/api/v1/namespaces/default/pods/graceful", {"gracePeriodSeconds": 0})
        self.assertEqual(status, 200)
        self.assertEqual(c.request("GET", "/api/v1/namespaces/default/pods/graceful")[0], 404)


if __name__ == "__main__":
    unittest.main()
