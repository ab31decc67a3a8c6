// Owner references: how the objects an operator creates point back at the
// resource they belong to, so garbage collection removes them with it and
// informers can route their events to the owner's reconcile.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tusk::k8s {

// {apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}.
nlohmann::json ControllerReference(const nlohmann::json& owner);
// Adds (or replaces) the controller reference to `owner` on `object`.
void SetControllerReference(nlohmann::json& object, const nlohmann::json& owner);
// The controller owner reference of `object`, if any.
std::optional<nlohmann::json> GetControllerOf(const nlohmann::json& object);
bool IsControlledBy(const nlohmann::json& object, const std::string& owner_uid);

}  // namespace tusk::k8s
