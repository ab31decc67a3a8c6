// What a node agent writes to the API server, as pure functions: the Node
// object and its status (addresses, capacity, nodeInfo, conditions with a
// fresh lastHeartbeatTime), the node's Lease, and a pod's status as the
// kubelet reports it merged into what the API already holds (conditions
// other components own are kept).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

// What the node reports about itself; gathered from the machine at the edge.
struct NodeFacts {
  std::string name;
  std::string internal_ip;
  int cpus = 1;
  int64_t memory_kib = 0;
  int64_t storage_kib = 0;
  int max_pods = 110;
  std::string kernel_version;
  std::string boot_id;
};

inline constexpr char kKubeletVersion[] = "v1.32.0";
inline constexpr int kLeaseDurationSeconds = 40;

// A new v1 Node with the labels every localkube node carries and its status.
nlohmann::json NodeObject(const NodeFacts& facts, const std::string& now);

// The Node's status at a heartbeat: Ready (KubeletReady) and the three
// pressure conditions False, lastHeartbeatTime = now; lastTransitionTime
// kept from `previous` when a condition's status did not change (so a node
// coming back from Unknown shows when it became Ready again).
nlohmann::json NodeStatus(const NodeFacts& facts, const nlohmann::json& previous, const std::string& now);

// The kube-node-lease/<node> Lease renewed to `now_micro` (RFC 3339 with
// microseconds), owned by the Node so it goes with it.
nlohmann::json NodeLease(const std::string& node, const std::string& node_uid, const std::string& now_micro);

// The pod conditions the node agent owns; every other condition on the pod
// (PodScheduled, DisruptionTarget, ...) belongs to someone else.
bool NodeOwnsCondition(const std::string& type);

// `current` (the pod's status in the API) updated with the kubelet's
// `reported` status: every field the kubelet reports replaces the stored one,
// the conditions the node owns come from the kubelet, the others stay as
// stored (a condition the kubelet reports that nobody stored yet is added).
nlohmann::json MergePodStatus(const nlohmann::json& current, const nlohmann::json& reported);

}  // namespace tusk::localkube
