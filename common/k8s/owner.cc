#include "common/k8s/owner.h"

namespace tusk::k8s {

using Json = nlohmann::json;

Json ControllerReference(const Json& owner) {
  const Json meta = owner.value("metadata", Json::object());
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", meta.value("name", "")},
          {"uid", meta.value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

void SetControllerReference(Json& object, const Json& owner) {
  Json ref = ControllerReference(owner);
  Json& refs = object["metadata"]["ownerReferences"];
  if (!refs.is_array()) refs = Json::array();
  Json kept = Json::array();
  for (auto& r : refs) {
    // Only one controller: a previous controller reference is replaced.
    if (r.value("controller", false) || r.value("uid", "") == ref["uid"]) continue;
    kept.push_back(r);
  }
  kept.push_back(ref);
  refs = std::move(kept);
}

std::optional<Json> GetControllerOf(const Json& object) {
  if (!object.contains("metadata")) return std::nullopt;
  const Json refs = object["metadata"].value("ownerReferences", Json::array());
  for (const auto& r : refs) {
    if (r.value("controller", false)) return r;
  }
  return std::nullopt;
}

bool IsControlledBy(const Json& object, const std::string& owner_uid) {
  auto ref = GetControllerOf(object);
  return ref && ref->value("uid", "") == owner_uid;
}

}  // namespace tusk::k8s
