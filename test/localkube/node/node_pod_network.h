// One node's view of the shared pod network, with the partition faults: a
// pod can be cut off on its own, or with every pod of its node. A pod that
// starts on a partitioned node comes up already cut off, so the node stays
// dark as a whole until it is healed.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "test/localkube/net/bridge_network.h"
#include "test/localkube/runtime/pod_worker.h"

namespace tusk::localkube {

class NodePodNetwork final : public PodNetwork {
 public:
  explicit NodePodNetwork(net::BridgeNetwork& bridge) : bridge_(bridge) {}

  StatusOr<net::PodNet> Attach(const std::string& pod_uid) override;
  Status Detach(const std::string& pod_uid) override;

  // NotFound when the pod has no network on this node.
  Status PartitionPod(const std::string& pod_uid);
  // The pod's link comes back unless its whole node is partitioned.
  Status HealPod(const std::string& pod_uid);
  Status PartitionNode();
  // Every pod's link comes back except those partitioned on their own.
  Status HealNode();
  bool node_partitioned() const;

 private:
  bool Dark(const std::string& pod_uid) const { return node_dark_ || dark_pods_.count(pod_uid) > 0; }

  net::BridgeNetwork& bridge_;
  mutable std::mutex mu_;
  std::set<std::string> attached_;
  std::set<std::string> dark_pods_;
  bool node_dark_ = false;
};

}  // namespace tusk::localkube
