// The pod-running half of localkube, as the daemon drives it: the cluster
// network, one node agent per virtual node (localkube-node-1 … N), and the
// fault commands. Destroying it stops every pod hard and removes every
// namespace, link and ClusterIP it made.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/node/api_object_source.h"
#include "test/localkube/node/cluster_network.h"
#include "test/localkube/node/node_agent.h"
#include "test/localkube/runtime/probe_runner.h"

namespace tusk::localkube {

struct LocalClusterConfig {
  std::string dir;        // DIR
  int nodes = 3;
  int api_port = 0;       // the API server's port on 127.0.0.1
  // Beyond the daemon's needs: tests running beside a real localkube use a
  // prefix and ranges of their own, and a short heartbeat.
  net::NetworkConfig network{"lk", "10.244.0.0/16", "10.96.0.0/16", "10.243.255.0/30"};
  Duration heartbeat_interval = std::chrono::seconds(10);
  std::string image_table_path = TUSK_LOCALKUBE_IMAGE_TABLE;
  std::string build_dir = TUSK_BUILD_DIR;
};

class LocalCluster {
 public:
  // Cleans up what a dead run left (BridgeNetwork::Cleanup of the prefix),
  // creates the network, the `kubernetes` Service, and one node agent per
  // node. FailedPrecondition when not root.
  static StatusOr<std::unique_ptr<LocalCluster>> Start(Api* api, const LocalClusterConfig& config);
  ~LocalCluster();  // every pod stopped hard, network removed, nothing left
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  std::string host_ip() const;  // 10.243.255.1 by default: pods reach the host here
  std::vector<std::string> NodeNames() const;

  // Fault commands. NotFound for an unknown pod/node/container.
  Status KillContainer(const std::string& ns, const std::string& pod, const std::string& container /*"" = all*/,
                       int sig);
  Status PartitionPod(const std::string& ns, const std::string& pod);
  Status HealPod(const std::string& ns, const std::string& pod);
  Status PartitionNode(const std::string& node);  // its pods dark + its agent stops writing to the Api
  Status HealNode(const std::string& node);
  Status NodeDown(const std::string& node);  // power cut: pods SIGKILLed, agent gone until restart
  // kubectl logs: the file holding the container's output (current or previous run).
  StatusOr<std::string> LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                bool previous);

 private:
  explicit LocalCluster(Api* api) : objects_(api, clock_) {}
  StatusOr<NodeAgent*> Agent(const std::string& node) const;
  // The agent running the pod; NotFound when no node runs it.
  StatusOr<NodeAgent*> AgentOf(const std::string& ns, const std::string& pod) const;

  RealClock clock_;
  ApiObjectSource objects_;
  RealProbeRunner probes_;
  std::unique_ptr<ClusterNetwork> network_;
  std::vector<std::unique_ptr<NodeAgent>> agents_;
};

}  // namespace tusk::localkube
