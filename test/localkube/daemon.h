// localkube's process lifecycle: `serve` runs the cluster in the foreground
// until SIGTERM; `start` runs it as a daemon (own session, logs under
// DIR/logs) and returns once the API answers; `stop` ends it by the PID in
// DIR/localkube.pid. State lives under DIR, so stop + start restores it.
// Unless --apiserver-only, the daemon also runs the virtual nodes' kubelets,
// the pod network, the workload controllers and the control socket the
// `fault` commands use; stop removes all of it, also after a crash.
#pragma once

#include <chrono>
#include <string>

namespace tusk::localkube {

struct ClusterOptions {
  std::string dir;
  int port = 0;  // 0: reuse the previous port if free, else any
  bool apiserver_only = false;
  int nodes = 3;
  // A node whose heartbeats stop is marked Unknown (NotReady) after this.
  std::chrono::seconds node_monitor_grace{40};
  size_t watch_history = 10000;
  std::chrono::seconds bookmark_interval{30};
  // Service-account token lifetimes through TokenRequest: shorter requests
  // are refused (kube-apiserver: 10 minutes), longer ones shortened to the
  // maximum (its --service-account-max-token-expiration; 0: none). Tests use
  // a short maximum to see the kubelet refresh pods' tokens.
  int64_t token_min_seconds = 600;
  int64_t token_max_seconds = 0;
};

// Exit codes: 0 success, 1 failure (reason on stderr).
int Serve(const ClusterOptions& options);
int Start(const ClusterOptions& options);
int Stop(const std::string& dir);

}  // namespace tusk::localkube
