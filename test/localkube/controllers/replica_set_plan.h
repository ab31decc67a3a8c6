// The ReplicaSet controller's decision, pure: how many pods to create, which
// to delete (unscheduled, then not ready, then newest first, as Kubernetes
// ranks them), and the status, from the ReplicaSet and the pods it controls.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"

namespace tusk::localkube {

using json = nlohmann::json;

struct ReplicaSetPlan {
  int create = 0;
  std::vector<std::string> delete_pods;  // names
  json status;
};

ReplicaSetPlan PlanReplicaSet(const json& rs, const std::vector<json>& owned_pods, WallTime now);
// A new pod of the ReplicaSet (generateName "<rs>-", controller reference).
json PodForReplicaSet(const json& rs);

}  // namespace tusk::localkube
