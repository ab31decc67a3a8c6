// k8s_leader_probe: one leader-election candidate as its own process, for the
// integration test of hand-over between processes. Campaigns on a Lease with
// the given timings until SIGTERM/SIGINT (then releases the lease and exits).
//   k8s_leader_probe KUBECONFIG NAMESPACE LEASE IDENTITY LEASE_MS RENEW_MS RETRY_MS
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "common/base/clock.h"
#include "common/base/signals.h"
#include "common/k8s/config.h"
#include "common/k8s/http_kube_client.h"
#include "common/k8s/leader_election.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: k8s_leader_probe KUBECONFIG NAMESPACE LEASE IDENTITY LEASE_MS RENEW_MS RETRY_MS\n";
    return 2;
  }
  auto config = tusk::k8s::LoadKubeconfigFile(argv[1]);
  if (!config.ok()) {
    std::cerr << config.status().ToString() << "\n";
    return 1;
  }
  tusk::RealClock clock;
  auto client = tusk::k8s::HttpKubeClient::Create(*config, clock);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  auto signals = tusk::SignalFd::Create({SIGTERM, SIGINT});
  if (!signals.ok()) {
    std::cerr << signals.status().ToString() << "\n";
    return 1;
  }
  tusk::k8s::LeaderElectionConfig le;
  le.namespace_ = argv[2];
  le.lease_name = argv[3];
  le.identity = argv[4];
  le.lease_duration = std::chrono::milliseconds(std::atol(argv[5]));
  le.renew_deadline = std::chrono::milliseconds(std::atol(argv[6]));
  le.retry_period = std::chrono::milliseconds(std::atol(argv[7]));
  tusk::k8s::LeaderElector elector(**client, clock, le);
  elector.Start();
  while (!signals->Wait(1000)) {
  }
  elector.Stop();
  return 0;
}
