"""A Deployment of two debian:bookworm pods that reach each other through a
Service name, in every spelling a pod may use, and the same Service reached
from the host through its ClusterIP."""
import unittest

from harness import wait_for
from lkcase import LocalkubeCase, condition, http_get, phase

# Each pod serves its own name; its second container asks the Service until
# the other pod answers, once per spelling of the name, and says so.
PEERS = """
apiVersion: v1
kind: Service
metadata: {name: peers}
spec:
  selector: {app: peers}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: peers}
spec:
  replicas: 2
  selector: {matchLabels: {app: peers}}
  template:
    metadata: {labels: {app: peers}}
    spec:
      terminationGracePeriodSeconds: 1
      volumes: [{name: www, emptyDir: {}}]
      containers:
      - name: server
        image: debian:bookworm
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        command: [sh, -c, 'printf %s "$POD_NAME" > /www/name && exec python3 -m http.server 8080 --directory /www']
        volumeMounts: [{name: www, mountPath: /www}]
        readinessProbe: {httpGet: {path: /name, port: 8080}, periodSeconds: 1}
      - name: client
        image: debian:bookworm
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        command:
        - sh
        - -c
        - |
          for name in peers peers.default peers.default.svc peers.default.svc.cluster.local; do
            i=0
            while [ $i -lt 900 ]; do
              i=$((i+1))
              got=$(curl -s -m 1 "http://$name/name")
              if [ -n "$got" ] && [ "$got" != "$POD_NAME" ]; then echo "reached $got via $name"; break; fi
              sleep 0.2
            done
          done
          echo client-done
          exec sleep infinity
"""

NAMES = ["peers", "peers.default", "peers.default.svc", "peers.default.svc.cluster.local"]


class Workloads(LocalkubeCase):
    def test_two_pods_talk_through_a_service_name(self):
        c = self.cluster
        c.apply(PEERS)

        def two_ready():
            pods = c.pods("app=peers")
            ready = [p for p in pods if phase(p) == "Running" and condition(p, "Ready") == "True"]
            return ready if len(ready) == 2 else None
        pods = wait_for(two_ready, timeout=120, interval=0.2, what="2 peers pods Running and Ready")
        c.record_pods()
        names = [p["metadata"]["name"] for p in pods]
        for p in pods:
            self.assertTrue(p["status"].get("podIP"), "a running pod has a podIP")
            self.assertTrue(p["status"].get("hostIP"), "a running pod has a hostIP")

        for me, other in [(names[0], names[1]), (names[1], names[0])]:
            def client_done():
                out = c.kubectl("logs", me, "-c", "client").stdout
                return out if "client-done" in out else None
            out = wait_for(client_done, timeout=240, interval=0.5, what=f"{me}'s client to finish")
            for name in NAMES:
                self.assertIn(f"reached {other} via {name}", out, f"{me} must reach {other} through `{name}`")

        ip = c.get("service", "peers")["spec"]["clusterIP"]
        seen = set()
        # Round robin over two ready endpoints: both answer within a few tries.
        wait_for(lambda: seen.add(http_get(f"http://{ip}/name")) or set(names) <= seen, timeout=60, interval=0.1,
                 what=f"both pods answering on ClusterIP {ip} from the host")


if __name__ == "__main__":
    unittest.main()
