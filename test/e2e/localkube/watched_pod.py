"""A pod for partition tests: it serves its own name on :8080 (so the host
can tell whether it reaches the pod) and logs, numbered, whether it reaches
the API server (any HTTP status) or not (000). Only the server carries the
E2E_MARKER, so its one process must keep its pid through a partition."""
import re

from harness import wait_for

WATCHED = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s, labels: {app: %(name)s}}
spec:
  terminationGracePeriodSeconds: 1
  %(placement)s
  containers:
  - name: web
    image: debian:bookworm
    env: [{name: E2E_MARKER, value: %(name)s}]
    command: [sh, -c, 'mkdir -p /tmp/www && printf %%s %(name)s > /tmp/www/name && exec python3 -m http.server 8080 --directory /tmp/www']
  - name: apicheck
    image: debian:bookworm
    command:
    - sh
    - -c
    - 'i=0; while :; do i=$((i+1)); echo "$i api=$(curl -sk -m 1 -o /dev/null -w %%{http_code} https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version)"; sleep 0.3; done'
"""

# Keeps a pod on one node, and bound there while the node is unreachable.
PINNED = """nodeSelector: {kubernetes.io/hostname: %s}
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}"""


def manifest(name, node=None):
    return WATCHED % {"name": name, "placement": PINNED % node if node else ""}


def url(pod):
    return f"http://{pod['status']['podIP']}:8080/name"


def latest_api(cluster, pod):
    """(line number, HTTP status) of the newest API check in the pod's log."""
    lines = re.findall(r"^(\d+) api=(\d+)$", cluster.kubectl("logs", pod, "-c", "apicheck").stdout, re.M)
    return (int(lines[-1][0]), lines[-1][1]) if lines else (0, "")


def wait_api(cluster, pod, reachable, after, what):
    """Waits for a log line numbered above `after` saying the API is (un)reachable; returns its number."""
    def check():
        n, code = latest_api(cluster, pod)
        return n > after and (code != "000") == reachable and n
    return wait_for(check, timeout=60, interval=0.3, what=f"{pod}: {what}")
