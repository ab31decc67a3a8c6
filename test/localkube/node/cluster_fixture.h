// A two-node LocalCluster over a real in-process Api for integration tests
// and benchmarks, on a network prefix and address ranges of its own (so a
// localkube running on the machine is never touched), with a stand-in API
// server on loopback behind the `kubernetes` Service and a short heartbeat.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "common/base/files.h"
#include "test/localkube/node/local_cluster.h"
#include "test/localkube/runtime/kubelet_fixture.h"  // Eventually

namespace tusk::localkube::testing {

// What pods reach through the `kubernetes` Service: an HTTP server on
// 127.0.0.1 answering /healthz with "api-ok" (the real one speaks HTTPS;
// the path to it is the same).
class LoopbackApi {
 public:
  LoopbackApi();
  ~LoopbackApi();
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

inline constexpr char kTestCaPem[] = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n";

struct TestCluster {
  TestCluster();
  ~TestCluster();  // the cluster goes first, before the Api it uses

  Store store;
  Registry registry;
  TokenAuthority tokens;
  Api api;
  std::optional<TempDir> dir;
  LoopbackApi loopback_api;
  net::NetworkConfig network;
  std::unique_ptr<LocalCluster> cluster;

  // The address `offset` into the cluster's Service range.
  std::string ServiceIp(int offset) const;
};

// Null with the reason in `why` when there is no cluster: `*skip` is set
// when the machine cannot run pods at all (not root), otherwise setup failed.
std::unique_ptr<TestCluster> MakeCluster(std::string* why, bool* skip, int nodes = 2);

}  // namespace tusk::localkube::testing
