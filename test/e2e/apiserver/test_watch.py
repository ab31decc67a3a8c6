"""Lists and watches through the Python client and raw HTTP: event streams,
410 Gone and recovery by re-listing, bookmarks, timeoutSeconds, label and
field selectors, limit/continue."""
import http.client
import json
import os
import queue
import ssl
import subprocess
import threading
import unittest

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from harness import KUBECTL, Cluster


def cm(name, labels=None, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": data or {}}


class Watches(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("--watch-history", "20", "--bookmark-interval", "1").__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)
        cls.api = client.CoreV1Api(cls.cluster.client())

    def setUp(self):
        self.ns = self.id().split(".")[-1].replace("_", "-")[:40]
        self.api.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.ns}})

    def watch_in_background(self, **kwargs):
        events = queue.Queue()
        w = watch.Watch()

        def run():
            try:
                for ev in w.stream(self.api.list_namespaced_config_map, self.ns, **kwargs):
                    events.put((ev["type"], ev["object"].metadata.name, ev["object"].metadata.resource_version))
            except ApiException as e:
                events.put(("EXCEPTION", e.status, None))
            except Exception as e:  # the cluster stopping under a watch left open
                events.put(("EXCEPTION", repr(e), None))

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return w, events, t

    def test_watch_streams_added_modified_deleted(self):
        rv = self.api.list_namespaced_config_map(self.ns).metadata.resource_version
        w, events, t = self.watch_in_background(resource_version=rv, timeout_seconds=20)
        self.api.create_namespaced_config_map(self.ns, cm("a"))
        self.api.patch_namespaced_config_map("a", self.ns, {"data": {"k": "v"}})
        self.api.patch_namespaced_config_map("a", self.ns, {"data": {"k": "v"}})  # no-op: no event
        self.api.delete_namespaced_config_map("a", self.ns)
        got = [events.get(timeout=30) for _ in range(3)]
        w.stop()
        self.assertEqual([g[0] for g in got], ["ADDED", "MODIFIED", "DELETED"])
        rvs = [int(g[2]) for g in got]
        self.assertEqual(rvs, sorted(rvs))
        self.assertEqual(len(set(rvs)), 3)

    def test_watch_without_resource_version_starts_with_current_state(self):
        self.api.create_namespaced_config_map(self.ns, cm("existing"))
        w, events, t = self.watch_in_background(timeout_seconds=20)
        self.assertEqual(events.get(timeout=30)[:2], ("ADDED", "existing"))
        w.stop()

    def test_watch_survives_410_by_relisting(self):
        old_rv = self.api.list_namespaced_config_map(self.ns).metadata.resource_version
        for i in range(25):  # more changes than the 20 the server keeps
            self.api.create_namespaced_config_map(self.ns, cm(f"c{i}"))
        w, events, t = self.watch_in_background(resource_version=old_rv, timeout_seconds=5)
        kind, status, _ = events.get(timeout=30)
        self.assertEqual((kind, status), ("EXCEPTION", 410))
        # The client recovers the way informers do: list again, watch from there.
        listed = self.api.list_namespaced_config_map(self.ns)
        self.assertEqual(len(listed.items), 25)
        w, events, t = self.watch_in_background(resource_version=listed.metadata.resource_version, timeout_seconds=20)
        self.api.create_namespaced_config_map(self.ns, cm("after-410"))
        self.assertEqual(events.get(timeout=30)[:2], ("ADDED", "after-410"))
        w.stop()

    def raw_watch_lines(self, query):
        c = self.cluster
        ctx = ssl.create_default_context(cafile=os.path.join(c.dir, "pki", "ca.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", c.port, context=ctx, timeout=30)
        conn.request("GET", f"/api/v1/namespaces/{self.ns}/configmaps?watch=1&{query}",
                     headers={"Authorization": "Bearer " + c.admin_token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        lines = [json.loads(line) for line in resp.read().decode().splitlines() if line.strip()]
        conn.close()
        return lines

    def test_bookmarks_and_timeout_seconds(self):
        rv = self.api.list_namespaced_config_map(self.ns).metadata.resource_version
        # The stream ends by itself after timeoutSeconds (read() returns at EOF).
        lines = self.raw_watch_lines(f"resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3")
        bookmarks = [l for l in lines if l["type"] == "BOOKMARK"]
        self.assertTrue(bookmarks)
        self.assertEqual(bookmarks[0]["object"]["kind"], "ConfigMap")
        self.assertGreaterEqual(int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]), int(rv))
        plain = self.raw_watch_lines(f"resourceVersion={rv}&timeoutSeconds=1")
        self.assertEqual([l for l in plain if l["type"] == "BOOKMARK"], [])

    def test_too_old_resource_version_is_an_error_event(self):
        for i in range(25):
            self.api.create_namespaced_config_map(self.ns, cm(f"x{i}"))
        lines = self.raw_watch_lines("resourceVersion=1&timeoutSeconds=5")
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["type"], "ERROR")
        self.assertEqual((lines[0]["object"]["code"], lines[0]["object"]["reason"]), (410, "Expired"))
        self.assertIn("too old resource version: 1", lines[0]["object"]["message"])

    def test_label_and_field_selectors(self):
        for name, tier in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("none", None)]:
            self.api.create_namespaced_config_map(self.ns, cm(name, {"tier": tier} if tier else {}))

        def names(**kw):
            return sorted(i.metadata.name for i in self.api.list_namespaced_config_map(self.ns, **kw).items)

        self.assertEqual(names(label_selector="tier=a"), ["a1", "a2"])
        self.assertEqual(names(label_selector="tier==a"), ["a1", "a2"])
        self.assertEqual(names(label_selector="tier!=a"), ["b1", "none"])
        self.assertEqual(names(label_selector="tier in (a,b)"), ["a1", "a2", "b1"])
        self.assertEqual(names(label_selector="tier notin (a)"), ["b1", "none"])
        self.assertEqual(names(label_selector="tier"), ["a1", "a2", "b1"])
        self.assertEqual(names(label_selector="!tier"), ["none"])
        self.assertEqual(names(field_selector="metadata.name=b1"), ["b1"])
        self.assertEqual(names(field_selector="metadata.name!=b1", label_selector="tier"), ["a1", "a2"])
        with self.assertRaises(ApiException) as err:
            self.api.list_namespaced_config_map(self.ns, field_selector="spec.nope=1")
        self.assertEqual(err.exception.status, 400)
        self.assertIn("field label not supported: spec.nope", err.exception.body)
        out = self.cluster.kubectl("get", "cm", "-n", self.ns, "-l", "tier=b", "-o", "name").stdout.split()
        self.assertEqual(out, ["configmap/b1"])

    def test_pod_field_selectors(self):
        for name, node in [("p1", "node-1"), ("p2", "node-2")]:
            self.api.create_namespaced_pod(self.ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                                     "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}})
        pods = self.api.list_namespaced_pod(self.ns, field_selector="spec.nodeName=node-2").items
        self.assertEqual([p.metadata.name for p in pods], ["p2"])
        pods = self.api.list_namespaced_pod(self.ns, field_selector="status.phase=Pending").items
        self.assertEqual(len(pods), 2)

    def test_limit_and_continue(self):
        for i in range(7):
            self.api.create_namespaced_config_map(self.ns, cm(f"page{i}"))
        seen, token, rvs = [], None, set()
        while True:
            page = self.api.list_namespaced_config_map(self.ns, limit=3, _continue=token)
            seen += [i.metadata.name for i in page.items]
            rvs.add(page.metadata.resource_version)
            token = page.metadata._continue
            if not token:
                break
            self.assertLessEqual(len(page.items), 3)
        self.assertEqual(sorted(seen), sorted(f"page{i}" for i in range(7)))
        self.assertEqual(len(rvs), 1, "every page carries the first page's resourceVersion")
        self.assertEqual(len(self.cluster.kubectl("get", "cm", "-n", self.ns, "--chunk-size=2", "-o", "name").stdout.split()), 7)

    def test_kubectl_get_watch_prints_changes(self):
        c = self.cluster
        self.api.create_namespaced_config_map(self.ns, cm("watched"))
        proc = subprocess.Popen([KUBECTL, "--kubeconfig", c.kubeconfig, "--cache-dir", os.path.join(c.dir, "kubectl-cache"),
                                 "get", "cm", "-n", self.ns, "-w", "--no-headers"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # A list watch resumes from the list's resourceVersion, so a change
            # made before the watch request lands is still delivered. (For a
            # single named object kubectl watches from "0" and drops the first
            # event, which would race with the patch below.)
            # A reader thread, not select(): two rows may arrive in one read.
            lines = queue.Queue()
            threading.Thread(target=lambda: [lines.put(l) for l in iter(proc.stdout.readline, "")], daemon=True).start()
            self.assertRegex(lines.get(timeout=30), r"^watched\s+0\s+")
            self.api.patch_namespaced_config_map("watched", self.ns, {"data": {"a": "1", "b": "2"}})
            self.assertRegex(lines.get(timeout=30), r"^watched\s+2\s+")
        finally:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    unittest.main()
