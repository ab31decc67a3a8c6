"""In-cluster API access as a pod has it on Kubernetes: a plain debian pod
reads its own Pod object over https://$KUBERNETES_SERVICE_HOST:
$KUBERNETES_SERVICE_PORT and https://kubernetes.default.svc with the token
and CA mounted at /var/run/secrets/kubernetes.io/serviceaccount; RBAC decides
what the token may do; the kubelet refreshes the token (bound to the pod)
before it expires; an expired token, or one whose pod is gone, is refused;
every namespace gets kube-root-ca.crt back after it is deleted or edited.

The cluster caps tokens at TOKEN_SECONDS, so a refresh happens within the
test (the kubelet refreshes at 80% of the lifetime)."""
import base64
import json
import os
import time
import unittest

from harness import wait_for
from lkcase import LocalkubeCase, phase

TOKEN_SECONDS = 20
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

# Logs one JSON line per request (for each way of naming the API server),
# and the token itself whenever the file changes.
WHOAMI = r'''
import hashlib, json, os, ssl, time, urllib.error, urllib.request
SA = "/var/run/secrets/kubernetes.io/serviceaccount"
ns = open(SA + "/namespace").read()
ctx = ssl.create_default_context(cafile=SA + "/ca.crt")
path = "/api/v1/namespaces/%s/pods/%s" % (ns, os.environ["POD_NAME"])
bases = {"env": "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]),
         "dns": "https://kubernetes.default.svc"}
last = None
while True:
    token = open(SA + "/token").read()
    if token != last:
        print(json.dumps({"token": token}), flush=True)
        last = token
    for via, base in bases.items():
        req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                out = {"code": r.status, "uid": json.load(r)["metadata"]["uid"]}
        except urllib.error.HTTPError as e:
            out = {"code": e.code, "message": json.load(e).get("message")}
        except OSError as e:
            out = {"code": 0, "error": str(e)}
        out.update(via=via, token=hashlib.sha256(token.encode()).hexdigest()[:12])
        print(json.dumps(out), flush=True)
    time.sleep(0.5)
'''

# Asks the API server who it is (any authenticated user may), then stays up.
SELF_REVIEW = r'''
import json, ssl, time, urllib.request
SA = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=SA + "/ca.crt")
body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode()
req = urllib.request.Request("https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews",
                             data=body, method="POST",
                             headers={"Authorization": "Bearer " + open(SA + "/token").read(),
                                      "Content-Type": "application/json"})
with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
    print("user=" + json.load(r)["status"]["userInfo"]["username"], flush=True)
while True:
    time.sleep(3600)
'''


def pod(name, namespace, command, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "main", "image": "debian:bookworm", "command": command,
                                     "env": [{"name": "POD_NAME",
                                              "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
                     **spec}}


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class InCluster(LocalkubeCase):
    flags = ("--token-max-expiration", str(TOKEN_SECONDS), "--token-min-expiration", "10")

    def log_lines(self, name, namespace):
        out = self.cluster.kubectl("logs", name, "-n", namespace, check=False).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def whoami(self, namespace):
        c = self.cluster
        c.apply(json.dumps(pod("whoami", namespace, ["python3", "-c", WHOAMI])))
        running = c.wait_running_ready("whoami", namespace=namespace)
        c.record_pods()
        return running

    def test_pod_reads_itself_with_its_token_refreshed_before_it_expires(self):
        c = self.cluster
        ns = "incluster"
        c.kubectl("create", "namespace", ns)
        uid = self.whoami(ns)["metadata"]["uid"]
        volumes = c.get("pod", "whoami", ns)["spec"]["volumes"]
        self.assertEqual(len(volumes), 1)
        self.assertTrue(volumes[0]["name"].startswith("kube-api-access-"), volumes)

        # No grant yet: authenticated as the ServiceAccount, refused by RBAC.
        def answered(code):
            lines = [l for l in self.log_lines("whoami", ns) if "code" in l]
            return {l["via"] for l in lines if l["code"] == code} == {"env", "dns"} and lines
        lines = wait_for(lambda: answered(403), timeout=60, interval=0.5, what="403 over both addresses")
        self.assertNotIn(200, {l["code"] for l in lines}, "nothing is allowed before the grant")
        refused = next(l for l in lines if l["code"] == 403)
        self.assertEqual(refused["message"],
                         f'pods "whoami" is forbidden: User "system:serviceaccount:{ns}:default" cannot get '
                         f'resource "pods" in API group "" in the namespace "{ns}"')

        c.kubectl("create", "role", "pod-reader", "--verb=get", "--resource=pods", "-n", ns)
        c.kubectl("create", "rolebinding", "pod-reader", "--role=pod-reader", f"--serviceaccount={ns}:default",
                  "-n", ns)
        wait_for(lambda: answered(200), timeout=30, interval=0.5, what="200 over both addresses after the grant")

        # The kubelet replaces the token at 80% of its life: a second token
        # appears, issued while the first was still valid.
        def tokens():
            seen = [l["token"] for l in self.log_lines("whoami", ns) if "token" in l and "code" not in l]
            return seen if len(seen) >= 2 else None
        first, second = wait_for(tokens, timeout=3 * TOKEN_SECONDS, interval=0.5, what="a refreshed token")[:2]
        old, new = claims(first), claims(second)
        self.assertEqual(old["exp"] - old["iat"], TOKEN_SECONDS, "the kubelet's request was shortened to the maximum")
        self.assertLess(new["iat"], old["exp"], "refreshed before the old token expired")
        self.assertEqual(new["kubernetes.io"]["pod"], {"name": "whoami", "uid": uid}, "bound to the pod")
        self.assertEqual(new["aud"], ["https://kubernetes.default.svc.cluster.local"])

        # Requests keep working across the refresh.
        new_hash = None

        def several_with_new_token():
            nonlocal new_hash
            lines = self.log_lines("whoami", ns)
            hashes = [l["token"] for l in lines if "code" in l]
            distinct = list(dict.fromkeys(hashes))
            if len(distinct) < 2 or hashes.count(distinct[-1]) < 4:
                return None
            new_hash = distinct[-1]
            return lines
        lines = wait_for(several_with_new_token, timeout=30, interval=0.5, what="requests with the new token")
        answers = [l for l in lines if "code" in l]
        granted = next(i for i, l in enumerate(answers) if l["code"] == 200)
        after = answers[granted:]
        self.assertEqual([l for l in after if l["code"] != 200], [], "every request after the grant succeeded")
        self.assertEqual({l["uid"] for l in after}, {uid}, "the pod read its own object")
        self.assertIn(new_hash, {l["token"] for l in after})

        # Once expired, the first token is refused (401), whoever sends it.
        wait_for(lambda: time.time() > old["exp"] + 1, timeout=2 * TOKEN_SECONDS, interval=0.2, what="expiry")
        status, _, body = c.request("GET", f"/api/v1/namespaces/{ns}/pods/whoami", token=first)
        self.assertEqual(status, 401, body)
        self.assertEqual(body["reason"], "Unauthorized")

    def test_token_of_a_deleted_pod_is_refused(self):
        c = self.cluster
        c.apply(json.dumps(pod("short-lived", "default", ["sleep", "infinity"])))
        uid = c.wait_running_ready("short-lived")["metadata"]["uid"]
        c.record_pods()
        token = c.kubectl("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=short-lived",
                          f"--bound-object-uid={uid}", f"--duration={TOKEN_SECONDS}s").stdout.strip()
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        path = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
        status, _, body = c.request("POST", path, review, token=token)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["status"]["userInfo"]["username"], "system:serviceaccount:default:default")

        c.kubectl("delete", "pod", "short-lived", "--grace-period=0", "--force")
        wait_for(lambda: c.get("pod", "short-lived") is None, timeout=30, what="the pod gone")
        status, _, body = c.request("POST", path, review, token=token)
        self.assertLess(time.time(), claims(token)["exp"], "the token itself has not expired yet")
        self.assertEqual(status, 401, body)

    def test_automount_false_leaves_no_token_and_an_explicit_volume_works(self):
        c = self.cluster
        probe = f"if [ -e {SA_DIR} ]; then echo present; else echo absent; fi; exec sleep infinity"
        c.apply(json.dumps(pod("no-token", "default", ["sh", "-c", probe], automountServiceAccountToken=False)))
        spec = c.wait_running_ready("no-token")["spec"]
        c.record_pods()
        self.assertNotIn("volumes", spec)
        self.assertNotIn("volumeMounts", spec["containers"][0])
        self.assertEqual(wait_for(lambda: c.kubectl("logs", "no-token").stdout, timeout=30, what="its log"),
                         "absent\n")

        # CloudNativePG's pods: no automount, their own projected volume.
        volume = {"name": "own-token", "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}
        explicit = pod("own-volume", "default", ["python3", "-c", SELF_REVIEW], automountServiceAccountToken=False,
                       volumes=[volume])
        explicit["spec"]["containers"][0]["volumeMounts"] = [{"name": "own-token", "mountPath": SA_DIR,
                                                              "readOnly": True}]
        c.apply(json.dumps(explicit))
        c.wait_running_ready("own-volume")
        c.record_pods()
        self.assertEqual([v["name"] for v in c.get("pod", "own-volume")["spec"]["volumes"]], ["own-token"])
        out = wait_for(lambda: "user=" in (log := c.kubectl("logs", "own-volume").stdout) and log, timeout=30,
                       what="the pod's answer")
        self.assertEqual(out, "user=system:serviceaccount:default:default\n")

    def test_kube_root_ca_in_every_namespace_comes_back(self):
        c = self.cluster
        with open(os.path.join(c.dir, "pki", "ca.crt")) as f:
            ca = f.read()
        c.kubectl("create", "namespace", "fresh")

        def published():
            cm = c.get("configmap", "kube-root-ca.crt", "fresh")
            return cm if cm and cm.get("data") == {"ca.crt": ca} else None
        first = wait_for(published, timeout=30, what="kube-root-ca.crt in a new namespace")
        c.kubectl("delete", "configmap", "kube-root-ca.crt", "-n", "fresh")
        again = wait_for(published, timeout=30, what="kube-root-ca.crt back after deletion")
        self.assertNotEqual(again["metadata"]["uid"], first["metadata"]["uid"])
        c.kubectl("patch", "configmap", "kube-root-ca.crt", "-n", "fresh", "--type=merge",
                  "-p", '{"data":{"ca.crt":"forged"}}')
        fixed = wait_for(published, timeout=30, what="kube-root-ca.crt put back after an edit")
        self.assertEqual(fixed["metadata"]["uid"], again["metadata"]["uid"])
        self.assertIsNotNone(c.get("serviceaccount", "default", "fresh"))

    def test_pod_with_a_missing_service_account_is_refused(self):
        c = self.cluster
        manifest = json.dumps(pod("ghost-user", "default", ["sleep", "infinity"], serviceAccountName="ghost"))
        res = c.kubectl("apply", "-f", "-", input=manifest, check=False)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn('Error from server (Forbidden): error when creating "STDIN": pods "ghost-user" is forbidden: '
                      'error looking up service account default/ghost: serviceaccount "ghost" not found', res.stderr)
        self.assertIsNone(c.get("pod", "ghost-user"))


if __name__ == "__main__":
    unittest.main()
