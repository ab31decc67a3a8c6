"""Authentication and RBAC: ServiceAccount tokens from TokenRequest,
denial then grant, resourceNames, subresources, ClusterRoles bound in a
namespace, kubectl auth can-i / whoami, 401 and 403 shapes."""
import json
import unittest

from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import Cluster


class Rbac(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        # Runs even when the rest of setUpClass fails, unlike tearDownClass.
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)

    def make_sa(self, name, ns="default"):
        c = self.cluster
        c.kubectl("create", "serviceaccount", name, "-n", ns)
        token = c.kubectl("create", "token", name, "-n", ns).stdout.strip()
        self.assertEqual(token.count("."), 2, "a JWT")
        return token

    def test_denial_then_grant(self):
        c = self.cluster
        token = self.make_sa("reader")
        denied = c.kubectl("get", "pods", token=token, check=False)
        self.assertIn('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:reader" '
                      'cannot list resource "pods" in API group "" in the namespace "default"', denied.stderr)
        can = c.kubectl("auth", "can-i", "list", "pods", token=token, check=False)
        self.assertEqual((can.stdout.strip(), can.returncode), ("no", 1))
        with self.assertRaises(ApiException) as err:
            client.CoreV1Api(c.client(token=token)).list_namespaced_pod("default")
        self.assertEqual(err.exception.status, 403)
        self.assertEqual(json.loads(err.exception.body)["reason"], "Forbidden")

        c.kubectl("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods")
        c.kubectl("create", "rolebinding", "reader-binding", "--role=pod-reader", "--serviceaccount=default:reader")
        self.assertEqual(c.kubectl("get", "pods", token=token).returncode, 0)
        self.assertEqual(c.kubectl("auth", "can-i", "list", "pods", token=token).stdout.strip(), "yes")
        self.assertEqual(client.CoreV1Api(c.client(token=token)).list_namespaced_pod("default").items, [])
        no = c.kubectl("auth", "can-i", "delete", "pods", token=token, check=False)
        self.assertEqual(no.stdout.strip(), "no")
        other_ns = c.kubectl("auth", "can-i", "list", "pods", "-n", "kube-system", token=token, check=False)
        self.assertEqual(other_ns.stdout.strip(), "no")
        who = c.kubectl("auth", "whoami", "-o", "json", token=token).stdout
        self.assertEqual(json.loads(who)["status"]["userInfo"]["username"], "system:serviceaccount:default:reader")

    def test_resource_names_subresources_and_groups(self):
        c = self.cluster
        token = self.make_sa("narrow")
        c.kubectl("create", "configmap", "allowed", "--from-literal=a=b")
        c.kubectl("create", "configmap", "other", "--from-literal=a=b")
        c.kubectl("create", "role", "narrow", "--verb=get", "--resource=configmaps", "--resource-name=allowed")
        c.kubectl("create", "role", "status-writer", "--verb=get,patch", "--resource=pods/status")
        c.kubectl("create", "role", "apps-only", "--verb=list", "--resource=deployments.apps")
        for role in ["narrow", "status-writer", "apps-only"]:
            c.kubectl("create", "rolebinding", f"narrow-{role}", f"--role={role}", "--serviceaccount=default:narrow")
        self.assertEqual(c.kubectl("get", "cm", "allowed", token=token).returncode, 0)
        other = c.kubectl("get", "cm", "other", token=token, check=False)
        self.assertIn('configmaps "other" is forbidden: User "system:serviceaccount:default:narrow" cannot get resource '
                      '"configmaps" in API group "" in the namespace "default"', other.stderr)
        self.assertNotEqual(c.kubectl("get", "cm", token=token, check=False).returncode, 0, "resourceNames never grant list")
        yes = c.kubectl("auth", "can-i", "patch", "pods", "--subresource=status", token=token).stdout.strip()
        self.assertEqual(yes, "yes")
        self.assertEqual(c.kubectl("auth", "can-i", "patch", "pods", token=token, check=False).stdout.strip(), "no")
        self.assertEqual(c.kubectl("auth", "can-i", "list", "deployments.apps", token=token).stdout.strip(), "yes")
        self.assertEqual(c.kubectl("auth", "can-i", "list", "replicasets.apps", token=token, check=False).stdout.strip(), "no")

    def test_cluster_role_bound_in_a_namespace_and_cluster_wide(self):
        c = self.cluster
        c.kubectl("create", "namespace", "team")
        token = self.make_sa("ops", ns="team")
        c.kubectl("create", "clusterrole", "secret-reader", "--verb=get,list", "--resource=secrets")
        c.kubectl("create", "rolebinding", "ops-secrets", "-n", "team", "--clusterrole=secret-reader", "--serviceaccount=team:ops")
        self.assertEqual(c.kubectl("auth", "can-i", "list", "secrets", "-n", "team", token=token).stdout.strip(), "yes")
        self.assertEqual(c.kubectl("auth", "can-i", "list", "secrets", "-n", "default", token=token, check=False).stdout.strip(), "no")
        nodes = c.kubectl("get", "nodes", token=token, check=False)
        self.assertIn('nodes is forbidden: User "system:serviceaccount:team:ops" cannot list resource "nodes" in API group "" '
                      "at the cluster scope", nodes.stderr)
        c.kubectl("create", "clusterrole", "node-reader", "--verb=list", "--resource=nodes")
        c.kubectl("create", "clusterrolebinding", "ops-nodes", "--clusterrole=node-reader", "--serviceaccount=team:ops")
        self.assertEqual(c.kubectl("get", "nodes", token=token).returncode, 0)

    def test_tokens_stop_working_when_the_service_account_goes(self):
        c = self.cluster
        token = self.make_sa("ephemeral")
        status, _, _ = c.request("GET", "/version", token=token)
        self.assertEqual(status, 200)
        c.kubectl("delete", "serviceaccount", "ephemeral")
        status, _, body = c.request("GET", "/version", token=token)
        self.assertEqual((status, body["reason"], body["message"]), (401, "Unauthorized", "Unauthorized"))
        status, _, body = c.request("POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token",
                                    {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
        self.assertEqual((status, body["message"]), (404, 'serviceaccounts "nobody" not found'))

    def test_admin_can_do_everything(self):
        c = self.cluster
        self.assertEqual(c.kubectl("auth", "can-i", "*", "*").stdout.strip(), "yes")
        who = json.loads(c.kubectl("auth", "whoami", "-o", "json").stdout)
        self.assertIn("system:masters", who["status"]["userInfo"]["groups"])


if __name__ == "__main__":
    unittest.main()
