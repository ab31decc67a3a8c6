// Small facts about objects that several controllers need: pod readiness
// and liveness, controller ownerReferences, status conditions with
// Kubernetes' transition-time rules, and reading a resource from the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "test/localkube/apiserver/api.h"

namespace tusk::localkube {

using json = nlohmann::json;

bool PodReady(const json& pod);
// Ready for at least min_ready_seconds at `now` (what "available" means).
bool PodAvailable(const json& pod, int64_t min_ready_seconds, WallTime now);
// Succeeded or Failed: it will never run again.
bool PodTerminated(const json& pod);
bool IsDeleting(const json& obj);
// Neither terminated nor being deleted.
bool PodActive(const json& pod);

// The controller ownerReference for `owner` (controller=true,
// blockOwnerDeletion=true), and whether `obj` is controlled by uid.
json ControllerRef(const json& owner);
bool ControlledBy(const json& obj, const std::string& owner_uid);

// Sets condition `type` in `conditions` (an array), keeping
// lastTransitionTime when the status does not change. Returns the condition.
json& SetCondition(json& conditions, const std::string& type, const std::string& status, const std::string& reason,
                   const std::string& message, const std::string& now);
// The condition of that type, or an empty object.
json FindCondition(const json& obj, const std::string& type);

// Every stored object of `gr` in `ns` ("" = all namespaces), copied.
std::vector<json> ListObjects(const Api& api, const std::string& gr, const std::string& ns = "");

// An Event about `object` (core/v1), as kube-controller-manager records one.
void RecordEvent(Api& api, const json& object, const std::string& type, const std::string& reason,
                 const std::string& message, const std::string& component, WallTime now);

// true when the write failed only because someone else wrote first.
bool IsConflict(const ApiError& e);

}  // namespace tusk::localkube
