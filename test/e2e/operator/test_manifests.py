"""manifests/operator.yaml on localkube's API server, through kubectl: it
installs in one apply; every sample and kitchen-sink manifest (every field
of CloudNativePG's API) passes --validate=strict and comes back unpruned;
invalid values are refused naming the field; `kubectl get cluster` shows
CloudNativePG's columns; `kubectl scale` moves .spec.instances; the
operator's ServiceAccount holds the rights its ClusterRole lists."""
import glob
import json
import os
import unittest

import yaml

from harness import Cluster, wait_for

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OPERATOR_YAML = os.path.join(ROOT, "manifests", "operator.yaml")
SAMPLES = sorted(glob.glob(os.path.join(ROOT, "manifests", "samples", "*.yaml")))
KITCHEN_SINKS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.realpath(__file__)), "manifests", "*.yaml")))
SA = "system:serviceaccount:tusk-system:tusk-operator"


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def contains(big, small):
    """Whether every field of `small` is in `big` with the same value."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and contains(big[k], v) for k, v in small.items())
    if isinstance(small, list):
        return isinstance(big, list) and len(big) == len(small) and all(contains(b, s) for b, s in zip(big, small))
    return big == small


class OperatorManifest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)
        c = cls.cluster
        c.kubectl("apply", "--validate=strict", "-f", OPERATOR_YAML)
        with open(OPERATOR_YAML) as f:
            cls.crds = [d["metadata"]["name"] for d in yaml.safe_load_all(f) if d["kind"] == "CustomResourceDefinition"]
        c.kubectl("wait", "--for", "condition=established", "--timeout=30s", *["crd/" + n for n in cls.crds])

    def apply(self, *args, doc=None, check=True):
        return self.cluster.kubectl("apply", "--validate=strict", *args, "-f", "-", input=json.dumps(doc), check=check)

    def test_one_file_installs_everything(self):
        c = self.cluster
        self.assertEqual(len(self.crds), 11)
        self.assertEqual(c.kubectl_json("get", "namespace", "tusk-system")["status"]["phase"], "Active")
        d = c.kubectl_json("get", "deployment", "-n", "tusk-system", "tusk-operator")
        container = d["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["image"], "ghcr.io/tusk-pg/tusk-operator:0.1.0")
        self.assertEqual(container["command"], ["tusk-operator"])
        scoped = c.kubectl("api-resources", "--api-group=postgresql.cnpg.io", "--namespaced=false", "-o", "name").stdout
        self.assertEqual(scoped.split(), ["clusterimagecatalogs.postgresql.cnpg.io"])
        self.assertIn("objectstores.barmancloud.cnpg.io", c.kubectl("api-resources", "-o", "name").stdout.split())
        # Applying it again changes nothing.
        again = c.kubectl("apply", "--validate=strict", "-f", OPERATOR_YAML).stdout
        self.assertNotIn("configured", again)

    def test_samples_and_kitchen_sinks_pass_strict_validation(self):
        self.assertGreaterEqual(len(SAMPLES), 4)
        self.assertGreaterEqual(len(KITCHEN_SINKS), 14)
        for path in SAMPLES + KITCHEN_SINKS:
            with self.subTest(os.path.basename(path)):
                res = self.cluster.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", path, check=False)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertIn("(server dry run)", res.stdout)
                self.assertNotIn("Warning", res.stderr)

    def test_kitchen_sink_comes_back_as_written(self):
        c = self.cluster
        for path in KITCHEN_SINKS:
            doc = load(path)
            with self.subTest(os.path.basename(path)):
                c.kubectl("apply", "--validate=strict", "-f", path)
                back = c.kubectl_json("get", doc["kind"].lower() + "." + doc["apiVersion"].split("/")[0],
                                      doc["metadata"]["name"])
                self.assertTrue(contains(back.get("spec"), doc.get("spec")), json.dumps(back.get("spec"), indent=1))

    def test_invalid_values_are_refused_naming_the_field(self):
        base = load(os.path.join(ROOT, "manifests", "samples", "cluster-example.yaml"))
        cases = [
            (("instances",), 0,
             "spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1"),
            (("storage", "size"), "1Gb", 'spec.storage.size: Invalid value: "1Gb": spec.storage.size in body should match'),
            (("primaryUpdateStrategy",), "sometimes",
             'spec.primaryUpdateStrategy: Unsupported value: "sometimes": supported values: "unsupervised", "supervised"'),
            (("logLevel",), "loud", 'spec.logLevel: Unsupported value: "loud"'),
            (("backup",), {"retentionPolicy": "30 days"}, 'spec.backup.retentionPolicy: Invalid value: "30 days"'),
            (("storage", "sizee"), "1Gi", 'unknown field "spec.storage.sizee"'),
        ]
        for path, value, message in cases:
            with self.subTest(".".join(path)):
                doc = json.loads(json.dumps(base))
                doc["metadata"]["name"] = "bad"
                node = doc["spec"]
                for k in path[:-1]:
                    node = node[k]
                node[path[-1]] = value
                res = self.apply("--dry-run=server", doc=doc, check=False)
                self.assertNotEqual(res.returncode, 0)
                self.assertIn(message, res.stderr)
        self.assertEqual(self.cluster.kubectl("get", "cluster", "bad", check=False).returncode, 1)

    def test_get_cluster_prints_cloudnativepg_columns(self):
        c = self.cluster
        c.kubectl("apply", "--validate=strict", "-f", os.path.join(ROOT, "manifests", "samples", "cluster-example.yaml"))
        c.kubectl("patch", "cluster", "cluster-example", "--subresource=status", "--type=merge", "-p", json.dumps(
            {"status": {"instances": 3, "readyInstances": 2, "phase": "Cluster in healthy state",
                        "currentPrimary": "cluster-example-1",
                        "selector": "cnpg.io/cluster=cluster-example,cnpg.io/podRole=instance"}}))
        lines = c.kubectl("get", "cluster", "cluster-example").stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "AGE", "INSTANCES", "READY", "STATUS", "PRIMARY"])
        self.assertRegex(lines[1], r"^cluster-example\s+\d+s\s+3\s+2\s+Cluster in healthy state\s+cluster-example-1$")
        wide = c.kubectl("get", "cluster", "cluster-example", "-o", "wide").stdout.splitlines()[0].split()
        self.assertEqual(wide[-1], "SYNCTOPOLOGY")
        # The CRD's defaults were applied on create.
        spec = c.kubectl_json("get", "cluster", "cluster-example")["spec"]
        self.assertEqual((spec["primaryUpdateStrategy"], spec["logLevel"], spec["storage"]["resizeInUseVolumes"]),
                         ("unsupervised", "info", True))

    def test_scale_moves_spec_instances(self):
        c = self.cluster
        c.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "scaled"},
             "spec": {"instances": 3, "storage": {"size": "1Gi"}}}))
        c.kubectl("patch", "cluster", "scaled", "--subresource=status", "--type=merge", "-p",
                  '{"status":{"instances":3,"selector":"cnpg.io/cluster=scaled,cnpg.io/podRole=instance"}}')
        self.assertIn("scaled", c.kubectl("scale", "cluster/scaled", "--replicas=5").stdout)
        self.assertEqual(c.kubectl_json("get", "cluster", "scaled")["spec"]["instances"], 5)
        status, _, scale = c.request("GET", "/apis/postgresql.cnpg.io/v1/namespaces/default/clusters/scaled/scale")
        self.assertEqual(status, 200)
        self.assertEqual((scale["kind"], scale["spec"]["replicas"], scale["status"]["replicas"]), ("Scale", 5, 3))
        self.assertEqual(scale["status"]["selector"], "cnpg.io/cluster=scaled,cnpg.io/podRole=instance")
        refused = c.kubectl("scale", "cluster/scaled", "--replicas=0", check=False)
        self.assertIn("spec.instances in body should be greater than or equal to 1", refused.stderr)
        self.assertEqual(c.kubectl_json("get", "cluster", "scaled")["spec"]["instances"], 5)
        c.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler", "metadata": {"name": "scaled-rw"},
             "spec": {"cluster": {"name": "scaled"}, "pgbouncer": {}}}))
        c.kubectl("scale", "pooler/scaled-rw", "--replicas=3")
        self.assertEqual(c.kubectl_json("get", "pooler", "scaled-rw")["spec"]["instances"], 3)

    def test_status_only_kind_keeps_its_status(self):
        c = self.cluster
        c.kubectl("apply", "-f", os.path.join(os.path.dirname(os.path.realpath(__file__)), "manifests",
                                              "failoverquorum.yaml"))
        c.kubectl("patch", "failoverquorum", "kitchen-sink", "--subresource=status", "--type=merge", "-p",
                  '{"status":{"method":"any","standbyNames":["kitchen-sink-2","kitchen-sink-3"],"standbyNumber":1,'
                  '"primary":"kitchen-sink-1"}}')
        status = c.kubectl_json("get", "failoverquorum", "kitchen-sink")["status"]
        self.assertEqual(status, {"method": "any", "standbyNames": ["kitchen-sink-2", "kitchen-sink-3"],
                                  "standbyNumber": 1, "primary": "kitchen-sink-1"})

    def test_operator_service_account_holds_its_cluster_role(self):
        c = self.cluster
        token = c.kubectl("create", "token", "tusk-operator", "-n", "tusk-system").stdout.strip()

        def can(*args):
            return c.kubectl("auth", "can-i", *args, token=token, check=False).stdout.strip()

        allowed = [("create", "pods", "-n", "db"), ("delete", "persistentvolumeclaims", "-n", "db"),
                   ("patch", "clusters.postgresql.cnpg.io", "--subresource=status", "-n", "db"),
                   ("create", "backups.postgresql.cnpg.io", "-n", "db"), ("watch", "nodes"),
                   ("update", "leases.coordination.k8s.io", "-n", "tusk-system"), ("create", "roles", "-n", "db"),
                   ("list", "objectstores.barmancloud.cnpg.io", "-A"), ("create", "events", "-n", "db")]
        denied = [("create", "clusters.postgresql.cnpg.io", "-n", "db"), ("delete", "clusters.postgresql.cnpg.io", "-n", "db"),
                  ("delete", "nodes"), ("create", "namespaces"), ("create", "clusterroles"),
                  ("delete", "leases.coordination.k8s.io", "-n", "tusk-system"), ("get", "events", "-n", "db")]
        for args in allowed:
            with self.subTest("allowed " + " ".join(args)):
                self.assertEqual(can(*args), "yes")
        for args in denied:
            with self.subTest("denied " + " ".join(args)):
                self.assertEqual(can(*args), "no")


if __name__ == "__main__":
    unittest.main()
