// localkube's cluster network: the one pod bridge every node's pods share,
// the Service data path (a ClusterIP local in the network namespace for each
// Service, the proxy's routes following Endpoints, the names every pod's
// hosts file resolves), the `kubernetes` Service, and the relay that lets
// pods reach an API server listening on the host's loopback only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/log/log.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/net/bridge_network.h"
#include "test/localkube/net/service_proxy.h"
#include "test/localkube/net/service_routes.h"

namespace tusk::localkube {

struct ClusterNetworkConfig {
  net::NetworkConfig network;
  int api_port = 0;  // the API server on 127.0.0.1; 0 = no `kubernetes` Service, no relay
};

class ClusterNetwork {
 public:
  using DnsSink = std::function<void(const std::vector<net::DnsRecord>&)>;

  // Cleans what a dead run with the same prefix left, builds the bridge,
  // the relay and the `kubernetes` Service (+ Endpoints: host IP, API port).
  static StatusOr<std::unique_ptr<ClusterNetwork>> Create(Api* api, ClusterNetworkConfig config);
  ~ClusterNetwork();  // stops watching; proxy, relay and every namespace and link removed
  ClusterNetwork(const ClusterNetwork&) = delete;
  ClusterNetwork& operator=(const ClusterNetwork&) = delete;

  // Follows Services and Endpoints from now on; the full set of DNS records
  // goes to `dns` whenever it changes.
  Status Start(DnsSink dns);
  void StopWatching();

  net::BridgeNetwork& bridge() { return *bridge_; }
  std::string host_ip() const { return bridge_->host_ip(); }
  // The `kubernetes` Service's ClusterIP: the first address of the service
  // range (10.96.0.1 by default).
  std::string kubernetes_service_ip() const { return kubernetes_ip_; }

 private:
  ClusterNetwork(Api* api, ClusterNetworkConfig config) : api_(api), config_(std::move(config)) {}
  Status EnsureKubernetesService();
  void OnEvent(bool service, EventType type, const nlohmann::json& object);
  // Brings one Service's ClusterIP and proxy routes in line with what is
  // stored.
  void ApplyLocked(const std::string& key);
  std::vector<net::DnsRecord> DnsRecordsLocked() const;
  void PushDns(const std::vector<net::DnsRecord>& records, uint64_t generation);

  Api* api_;
  ClusterNetworkConfig config_;
  log::Logger log_{"localkube-network"};
  std::string kubernetes_ip_;
  std::unique_ptr<net::BridgeNetwork> bridge_;
  std::unique_ptr<net::ServiceProxy> proxy_;
  std::unique_ptr<net::ServiceProxy> relay_;
  std::unique_ptr<WatchHandle> services_watch_, endpoints_watch_;

  std::mutex mu_;  // guards the maps below
  std::map<std::string, nlohmann::json> services_, endpoints_;  // by "ns/name"
  std::map<std::string, std::string> local_ips_;                 // ClusterIPs made local, by Service key
  DnsSink dns_;
  uint64_t dns_generation_ = 0;

  std::mutex dns_mu_;  // serializes pushes, newest wins
  uint64_t dns_pushed_ = 0;
  std::string dns_last_;
};

}  // namespace tusk::localkube
