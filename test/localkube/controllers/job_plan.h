// The Job controller's decision, pure: pods to start or stop for
// parallelism/completions (replacing failed pods after a back-off), success
// and failure (backoffLimit, activeDeadlineSeconds) with the conditions
// Kubernetes sets, and when a finished Job's ttlSecondsAfterFinished runs out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"

namespace tusk::localkube {

using json = nlohmann::json;

struct JobPlan {
  int create = 0;
  std::vector<std::string> delete_pods;  // active pods of a finished Job
  json status;
  bool remove_job = false;               // ttlSecondsAfterFinished ran out
  std::optional<Duration> wake_after;    // when the ttl, deadline or failure back-off runs out
};

JobPlan PlanJob(const json& job, const std::vector<json>& owned_pods, WallTime now);
// A new pod of the Job, with the job-name / controller-uid labels.
json PodForJob(const json& job);

}  // namespace tusk::localkube
