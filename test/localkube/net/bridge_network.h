// localkube's pod network. A network namespace of its own (`<prefix>-net`)
// holds a bridge with the pods' gateway, the ClusterIPs on its loopback,
// and one veth per pod whose other end is `eth0` in the pod's
// namespace (`<prefix>-p<N>`). A veth pair joins it to the host with routes
// for the pod and service ranges only, so the host reaches pods and
// ClusterIPs as a kind node does, and nothing is routed anywhere else.
// Every name starts with the prefix, which is how Cleanup finds what a
// crashed run left.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/localkube/net/ipam.h"

namespace tusk::localkube::net {

struct NetworkConfig {
  std::string prefix = "lk0";  // at most 6 characters: interface names are 15
  std::string pod_cidr = "10.244.0.0/16";
  std::string service_cidr = "10.96.0.0/16";
  // The /30 joining the host to the network namespace.
  std::string link_cidr = "10.243.255.0/30";
};

struct PodNet {
  std::string netns;       // name, e.g. lk0-p3
  std::string netns_path;  // /run/netns/lk0-p3
  std::string ip;
  std::string gateway;
  std::string host_veth;  // the bridge-side end, in the network namespace
};

// What is left of a prefix's objects on the machine (for cleanup checks).
struct Leftovers {
  std::vector<std::string> netns, links, mounts;
  std::vector<int> pids;  // processes inside those namespaces
  bool empty() const { return netns.empty() && links.empty() && mounts.empty() && pids.empty(); }
  std::string Describe() const;
};

class BridgeNetwork {
 public:
  static StatusOr<std::unique_ptr<BridgeNetwork>> Create(const NetworkConfig& config);
  ~BridgeNetwork();  // tears everything down
  BridgeNetwork(const BridgeNetwork&) = delete;
  BridgeNetwork& operator=(const BridgeNetwork&) = delete;

  // A fresh network namespace for a pod, with an address on the bridge.
  StatusOr<PodNet> AttachPod(const std::string& pod_uid);
  // Removes the pod's namespace and interfaces (its processes must be gone).
  Status DetachPod(const std::string& pod_uid);

  // Fault injection: the pod's link goes down on both ends, so it can reach
  // nothing and nothing reaches it; its processes keep running.
  Status Partition(const std::string& pod_uid);
  Status Heal(const std::string& pod_uid);

  // ClusterIPs: an address from the service range (the requested one when
  // given), local in the network namespace.
  StatusOr<std::string> AllocateClusterIp(const std::string& requested = "");
  Status ReleaseClusterIp(const std::string& ip);

  const NetworkConfig& config() const { return config_; }
  std::string netns_path() const;
  // The host's address on the link into the network; pods reach the host
  // (and a host-side API server) here.
  std::string host_ip() const;

  // Removes every namespace (killing the processes in it) and host
  // interface whose name starts with `prefix` + "-".
  static Status Cleanup(const std::string& prefix);
  static StatusOr<Leftovers> FindLeftovers(const std::string& prefix);

 private:
  explicit BridgeNetwork(NetworkConfig config, Ipv4Net pods, Ipv4Net services, Ipv4Net link);
  Status Setup();

  NetworkConfig config_;
  Ipv4Net pod_net_, service_net_, link_net_;
  std::mutex mu_;
  IpAllocator pod_ips_, service_ips_;
  int next_index_ = 0;
  std::map<std::string, PodNet> pods_;  // by uid
};

}  // namespace tusk::localkube::net
