// The scheduler's decision as pure functions: which nodes a pod may run on
// (node selector, required node affinity, taints, pod affinity and
// anti-affinity, volume node pinning) and which of those it prefers, with
// the "0/3 nodes are available: ..." message Kubernetes gives when none fits.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

// Set by the scheduler on a WaitForFirstConsumer claim: provision it there.
inline constexpr char kSelectedNodeAnnotation[] = "volume.kubernetes.io/selected-node";

// What the scheduler knows about the cluster when it places one pod.
struct ClusterView {
  std::vector<json> nodes;
  std::vector<json> pods;  // every pod, bound or not
  std::map<std::string, json> claims;         // "<ns>/<name>" -> PVC
  std::map<std::string, json> volumes;        // name -> PV
  std::map<std::string, json> storage_classes;  // name -> StorageClass
};

struct Placement {
  std::string node;  // empty: unschedulable (see message) or waiting
  std::string message;  // FailedScheduling message when node is empty
  // Unbound WaitForFirstConsumer claims ("<ns>/<name>") the provisioner
  // must first provision on `node`; the pod is bound once they are Bound.
  std::vector<std::string> claims_to_provision;
  bool waiting_for_volumes = false;  // claims already selected, not yet bound
};

// True when `node` satisfies one nodeSelectorTerm (matchExpressions on
// labels, matchFields on metadata.name).
bool NodeSelectorTermMatches(const json& term, const json& node);
// True when the node satisfies a v1.NodeSelector (terms ORed).
bool NodeSelectorMatches(const json& node_selector, const json& node);
// True when some toleration of the pod tolerates the taint.
bool Tolerates(const json& tolerations, const json& taint);

Placement Schedule(const json& pod, const ClusterView& view);

}  // namespace tusk::localkube
