"""CustomResourceDefinitions through kubectl and the Python client:
establishment, discovery, printer columns, validation errors, defaulting,
pruning, the status subresource, generation, and patch types."""
import json
import unittest

from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import Cluster, wait_for

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              mode: {type: string, enum: [fast, safe], default: safe}
              name: {type: string, maxLength: 5, pattern: '^[a-z]+$'}
              note: {type: string, nullable: true}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status:
            type: object
            properties:
              phase: {type: string}
"""

WIDGET = """
apiVersion: example.com/v1
kind: Widget
metadata: {name: %s}
spec: {size: 3, extra: {anything: [1, 2]}}
"""


class Crds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)
        c = cls.cluster
        c.kubectl("apply", "-f", "-", input=CRD)
        c.kubectl("wait", "--for", "condition=established", "crd/widgets.example.com", "--timeout=10s")
        cls.custom = client.CustomObjectsApi(c.client())

    def widget(self, name):
        return self.custom.get_namespaced_custom_object("example.com", "v1", "default", "widgets", name)

    def test_established_and_discovered(self):
        c = self.cluster
        crd = c.kubectl_json("get", "crd", "widgets.example.com")
        conds = {x["type"]: x["status"] for x in crd["status"]["conditions"]}
        self.assertEqual(conds, {"NamesAccepted": "True", "Established": "True"})
        self.assertEqual(crd["status"]["acceptedNames"]["kind"], "Widget")
        self.assertIn("widgets.example.com", c.kubectl("api-resources", "-o", "name").stdout.split())
        c.kubectl("apply", "-f", "-", input=WIDGET % "short")
        self.assertIn("widget.example.com/short", c.kubectl("get", "wd", "-o", "name").stdout.split())

    def test_printer_columns(self):
        c = self.cluster
        c.kubectl("apply", "-f", "-", input=WIDGET % "printed")
        self.custom.patch_namespaced_custom_object_status("example.com", "v1", "default", "widgets", "printed",
                                                          {"status": {"phase": "Ready"}})
        lines = c.kubectl("get", "widgets", "printed").stdout.splitlines()
        self.assertRegex(lines[0], r"^NAME\s+SIZE\s+PHASE\s+AGE$")
        self.assertRegex(lines[1], r"^printed\s+3\s+Ready\s+\d+s$")

    def test_defaulting_and_pruning(self):
        c = self.cluster
        res = c.kubectl("apply", "--validate=warn", "-f", "-",
                        input=WIDGET.replace("size: 3", "size: 3, bogus: 1") % "pruned")
        self.assertIn('unknown field "spec.bogus"', res.stderr)
        w = self.widget("pruned")
        self.assertNotIn("bogus", w["spec"])
        self.assertEqual(w["spec"]["mode"], "safe")
        self.assertEqual(w["spec"]["extra"], {"anything": [1, 2]})
        strict = c.kubectl("apply", "-f", "-", input=WIDGET.replace("size: 3", "size: 3, bogus: 1") % "strict", check=False)
        self.assertIn('strict decoding error: unknown field "spec.bogus"', strict.stderr)
        self.assertEqual(c.kubectl("get", "widget", "strict", check=False).returncode, 1)

    def test_validation_errors_name_the_field(self):
        c = self.cluster
        bad = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"},
               "spec": {"size": "x", "mode": "turbo", "name": "toolong"}}
        res = c.kubectl("create", "-f", "-", input=json.dumps(bad), check=False)
        self.assertIn('The Widget "bad" is invalid:', res.stderr)
        self.assertIn('spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"', res.stderr)
        self.assertIn('spec.mode: Unsupported value: "turbo": supported values: "fast", "safe"', res.stderr)
        self.assertIn("spec.name: Too long: may not be more than 5 bytes", res.stderr)
        with self.assertRaises(ApiException) as err:
            self.custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets",
                                                        {"apiVersion": "example.com/v1", "kind": "Widget",
                                                         "metadata": {"name": "big"}, "spec": {"size": 11}})
        self.assertEqual(err.exception.status, 422)
        body = json.loads(err.exception.body)
        self.assertEqual(body["message"], 'Widget.example.com "big" is invalid: spec.size: Invalid value: 11: '
                                          "spec.size in body should be less than or equal to 10")
        self.assertEqual(body["details"]["causes"][0]["field"], "spec.size")
        with self.assertRaises(ApiException) as err:
            self.custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets",
                                                        {"apiVersion": "example.com/v1", "kind": "Widget",
                                                         "metadata": {"name": "nosize"}, "spec": {"note": None}})
        self.assertIn("spec.size: Required value", json.loads(err.exception.body)["message"])

    def test_status_subresource_and_generation(self):
        c = self.cluster
        c.kubectl("apply", "-f", "-", input=WIDGET % "gen")
        w = self.widget("gen")
        self.assertEqual(w["metadata"]["generation"], 1)
        # Status written through the main resource is ignored...
        self.custom.patch_namespaced_custom_object("example.com", "v1", "default", "widgets", "gen",
                                                   {"status": {"phase": "Sneaky"}})
        w = self.widget("gen")
        self.assertNotIn("status", w)
        # ...spec written through /status is ignored, and status never bumps generation.
        self.custom.patch_namespaced_custom_object_status("example.com", "v1", "default", "widgets", "gen",
                                                          {"status": {"phase": "Ready"}, "spec": {"size": 9}})
        w = self.widget("gen")
        self.assertEqual((w["status"]["phase"], w["spec"]["size"], w["metadata"]["generation"]), ("Ready", 3, 1))
        # A spec change bumps generation; a label change does not.
        c.kubectl("patch", "widget", "gen", "--type=merge", "-p", '{"spec":{"size":4}}')
        c.kubectl("label", "widget", "gen", "team=x")
        w = self.widget("gen")
        self.assertEqual((w["spec"]["size"], w["metadata"]["generation"], w["status"]["phase"]), (4, 2, "Ready"))

    def test_patch_types_on_custom_resources(self):
        c = self.cluster
        c.kubectl("apply", "-f", "-", input=WIDGET % "patched")
        res = c.kubectl("patch", "widget", "patched", "-p", '{"spec":{"size":5}}', check=False)
        self.assertIn("the body of the request was in an unknown format - accepted media types include: "
                      "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", res.stderr)
        c.kubectl("patch", "widget", "patched", "--type=json", "-p", '[{"op":"replace","path":"/spec/size","value":6}]')
        self.assertEqual(self.widget("patched")["spec"]["size"], 6)
        c.kubectl("apply", "--server-side", "-f", "-", input=WIDGET.replace("size: 3", "size: 7") % "patched-ssa")
        c.kubectl("apply", "--server-side", "-f", "-", input=WIDGET.replace("size: 3", "size: 8") % "patched-ssa")
        self.assertEqual(self.widget("patched-ssa")["spec"]["size"], 8)

    def test_deleting_the_crd_removes_its_objects_and_api(self):
        c = self.cluster
        c.kubectl("apply", "-f", "-", input=CRD.replace("widgets", "gadgets").replace("Widget", "Gadget")
                  .replace("widget", "gadget").replace("wd]", "gd]"))
        c.kubectl("wait", "--for", "condition=established", "crd/gadgets.example.com", "--timeout=10s")
        c.kubectl("apply", "-f", "-", input=(WIDGET % "g1").replace("Widget", "Gadget"))
        c.kubectl("delete", "crd", "gadgets.example.com")
        status, _, _ = c.request("GET", "/apis/example.com/v1/namespaces/default/gadgets")
        self.assertEqual(status, 404)
        wait_for(lambda: "gadgets.example.com" not in c.kubectl("api-resources", "-o", "name").stdout, what="discovery update")


if __name__ == "__main__":
    unittest.main()
