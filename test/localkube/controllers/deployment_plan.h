// The Deployment controller's decision, pure: the ReplicaSet for the current
// template (<deploy>-<pod-template-hash>), how far to scale each ReplicaSet
// this step (rolling update within maxSurge/maxUnavailable, or Recreate),
// old ReplicaSets beyond revisionHistoryLimit, and the Deployment's status.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"

namespace tusk::localkube {

using json = nlohmann::json;

inline constexpr char kPodTemplateHash[] = "pod-template-hash";
inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";

// Kubernetes' encoding of a template's FNV-32a hash ("5d4b9c8f7b" style).
std::string PodTemplateHash(const json& pod_template);
// maxSurge / maxUnavailable ("25%" or an integer) against `replicas`;
// surge rounds up, unavailable down.
int ResolveIntOrPercent(const json& value, int replicas, bool round_up);

struct DeploymentPlan {
  std::optional<json> create;          // a new ReplicaSet to create
  std::vector<json> update;            // ReplicaSets to write (scaled or annotated)
  std::vector<std::string> remove;     // old ReplicaSets past the history limit
  json status;
  std::string revision;                // the Deployment's revision annotation
};

// `replica_sets`: those the Deployment controls; `pods_by_rs`: each one's
// pods by ReplicaSet uid.
DeploymentPlan PlanDeployment(const json& deployment, const std::vector<json>& replica_sets,
                              const std::map<std::string, std::vector<json>>& pods_by_rs, WallTime now);

}  // namespace tusk::localkube
