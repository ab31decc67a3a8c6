"""Probes as a user sees them: a readiness probe decides whether a pod is in
its Service's Endpoints (and gets the Service's traffic); a failing liveness
probe restarts the container, with Kubernetes' crash-loop back-off."""
import unittest

from harness import wait_for
from lkcase import LocalkubeCase, condition, container_status, endpoint_ips, http_get, phase

# The probe reads a ConfigMap volume, so the test flips readiness from outside.
GATED = """
apiVersion: v1
kind: ConfigMap
metadata: {name: gate}
data: {ready: "%s"}
---
apiVersion: v1
kind: Service
metadata: {name: gated}
spec:
  selector: {app: gated}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: gated, labels: {app: gated}}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: gate, configMap: {name: gate}}]
  containers:
  - name: web
    image: debian:bookworm
    command: [sh, -c, 'mkdir -p /tmp/www && echo served > /tmp/www/index.html && exec python3 -m http.server 8080 --directory /tmp/www']
    volumeMounts: [{name: gate, mountPath: /gate}]
    readinessProbe:
      exec: {command: [sh, -c, 'grep -qx yes /gate/ready']}
      periodSeconds: 1
      failureThreshold: 1
"""

UNHEALTHY = """
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: debian:bookworm
    command: [sh, -c, 'echo started; exec sleep infinity']
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 2
"""


class Probes(LocalkubeCase):
    def test_readiness_gates_endpoints(self):
        c = self.cluster
        c.apply(GATED % "no")
        pod = c.wait_pod("gated", lambda p: phase(p) == "Running" and p["status"].get("podIP"), 90,
                         "Running with an IP")
        c.record_pods()
        ip = pod["status"]["podIP"]
        cluster_ip = c.get("service", "gated")["spec"]["clusterIP"]

        eps = wait_for(lambda: (e := c.get("endpoints", "gated")) and ip in endpoint_ips(e, ready=False) and e,
                       timeout=60, interval=0.2, what="the unready pod under notReadyAddresses")
        self.assertNotIn(ip, endpoint_ips(eps), "a pod whose readiness probe fails is not a ready address")
        self.assertNotEqual(condition(c.get("pod", "gated"), "Ready"), "True")
        self.assertIsNone(http_get(f"http://{cluster_ip}/"), "the Service has no ready endpoint to send to")

        c.apply(GATED % "yes")
        wait_for(lambda: ip in endpoint_ips(c.get("endpoints", "gated")), timeout=60, interval=0.2,
                 what="the pod among the ready addresses once its probe passes")
        self.assertEqual(condition(c.get("pod", "gated"), "Ready"), "True")
        answer = wait_for(lambda: http_get(f"http://{cluster_ip}/"), timeout=30, what="the ClusterIP answering")
        self.assertEqual(answer, "served\n")

        c.apply(GATED % "no")
        wait_for(lambda: ip not in endpoint_ips(c.get("endpoints", "gated")), timeout=60, interval=0.2,
                 what="the pod leaving the ready addresses when its probe fails again")
        self.assertIn(ip, endpoint_ips(c.get("endpoints", "gated"), ready=False))

    def test_failing_liveness_probe_restarts_with_backoff(self):
        c = self.cluster
        c.apply(UNHEALTHY)
        waiting_reasons = set()

        def restarted_twice():
            status = container_status(c.get("pod", "unhealthy"), "app")
            waiting = status.get("state", {}).get("waiting")
            if waiting:
                waiting_reasons.add(waiting.get("reason"))
            return status if status.get("restartCount", 0) >= 2 else None
        status = wait_for(restarted_twice, timeout=120, interval=0.2, what="restartCount >= 2")
        c.record_pods()
        terminated = status.get("lastState", {}).get("terminated")
        self.assertIsNotNone(terminated, f"lastState.terminated after a liveness kill: {status}")
        self.assertNotEqual(terminated.get("exitCode"), 0)
        self.assertTrue(terminated.get("finishedAt"))
        self.assertIn("CrashLoopBackOff", waiting_reasons,
                      "between restarts the container waits in CrashLoopBackOff (seen reasons: %s)" % waiting_reasons)
        # The restarts keep coming while the probe keeps failing.
        wait_for(lambda: container_status(c.get("pod", "unhealthy"), "app").get("restartCount", 0) >= 3,
                 timeout=120, interval=0.5, what="restartCount >= 3")


if __name__ == "__main__":
    unittest.main()
