#include "test/localkube/node/cluster_fixture.h"

#include <unistd.h>

#include "test/localkube/controllers/root_ca_publisher.h"
#include "test/localkube/net/ipam.h"

namespace tusk::localkube::testing {

LoopbackApi::LoopbackApi() {
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("api-ok", "text/plain"); });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

LoopbackApi::~LoopbackApi() {
  server_.stop();
  thread_.join();
}

TestCluster::TestCluster() : tokens("signing-key"), api(&store, &registry, &tokens) {}

TestCluster::~TestCluster() { cluster.reset(); }

std::string TestCluster::ServiceIp(int offset) const {
  auto range = net::ParseCidr(network.service_cidr);
  return range.ok() ? net::FormatIpv4(range->At(offset)) : "";
}

std::unique_ptr<TestCluster> MakeCluster(std::string* why, bool* skip, int nodes) {
  *skip = ::geteuid() != 0;
  if (*skip) {
    *why = "skipped: running pods needs root (network and PID namespaces)";
    return nullptr;
  }
  auto t = std::make_unique<TestCluster>();
  // What the root CA publisher would have put there: pods mount it.
  if (!t->api.Bootstrap().ok() ||
      !t->api.Create("configmaps", "default", RootCaConfigMap(kTestCaPem)).ok()) {
    *why = "cannot bootstrap the Api";
    return nullptr;
  }
  auto dir = TempDir::Make("lk-cluster");
  if (!dir.ok()) {
    *why = dir.status().ToString();
    return nullptr;
  }
  t->dir.emplace(std::move(dir).value());
  // One /16 per test process (beside the kubelet tests' 10.150-199), so
  // parallel runs do not collide.
  const int index = ::getpid() % 40;
  const std::string net16 = "10." + std::to_string(200 + index);
  t->network = {"lkn" + std::to_string(index), net16 + ".0.0/17", net16 + ".128.0/18", net16 + ".192.0/30"};
  LocalClusterConfig config;
  config.dir = t->dir->path();
  config.nodes = nodes;
  config.api_port = t->loopback_api.port();
  config.network = t->network;
  config.heartbeat_interval = std::chrono::milliseconds(500);
  auto cluster = LocalCluster::Start(&t->api, config);
  if (!cluster.ok()) {
    *why = "cannot start the cluster: " + cluster.status().ToString();
    return nullptr;
  }
  t->cluster = std::move(cluster).value();
  return t;
}


}  // namespace tusk::localkube::testing
