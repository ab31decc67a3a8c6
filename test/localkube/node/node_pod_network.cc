#include "test/localkube/node/node_pod_network.h"

namespace tusk::localkube {

StatusOr<net::PodNet> NodePodNetwork::Attach(const std::string& pod_uid) {
  // Held across the attach so a partition cannot slip between the link
  // coming up and the check: the pod never sees a moment of network.
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(net::PodNet pod, bridge_.AttachPod(pod_uid));
  attached_.insert(pod_uid);
  if (Dark(pod_uid)) {
    Status s = bridge_.Partition(pod_uid);
    if (!s.ok()) {
      bridge_.DetachPod(pod_uid).IgnoreError();
      attached_.erase(pod_uid);
      return s.WithContext("cutting off a pod started on a partitioned node");
    }
  }
  return pod;
}

Status NodePodNetwork::Detach(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  attached_.erase(pod_uid);
  dark_pods_.erase(pod_uid);
  return bridge_.DetachPod(pod_uid);
}

Status NodePodNetwork::PartitionPod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!attached_.count(pod_uid)) return NotFoundError("pod " + pod_uid + " has no network on this node");
  RETURN_IF_ERROR(bridge_.Partition(pod_uid));
  dark_pods_.insert(pod_uid);
  return OkStatus();
}

Status NodePodNetwork::HealPod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!attached_.count(pod_uid)) return NotFoundError("pod " + pod_uid + " has no network on this node");
  dark_pods_.erase(pod_uid);
  return node_dark_ ? OkStatus() : bridge_.Heal(pod_uid);
}

Status NodePodNetwork::PartitionNode() {
  std::lock_guard<std::mutex> lock(mu_);
  node_dark_ = true;
  Status result;
  for (const auto& uid : attached_) {
    Status s = bridge_.Partition(uid);
    if (!s.ok()) result = s;
  }
  return result;
}

Status NodePodNetwork::HealNode() {
  std::lock_guard<std::mutex> lock(mu_);
  node_dark_ = false;
  Status result;
  for (const auto& uid : attached_) {
    if (dark_pods_.count(uid)) continue;
    Status s = bridge_.Heal(uid);
    if (!s.ok()) result = s;
  }
  return result;
}

bool NodePodNetwork::node_partitioned() const {
  std::lock_guard<std::mutex> lock(mu_);
  return node_dark_;
}

}  // namespace tusk::localkube
