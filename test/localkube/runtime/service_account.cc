#include "test/localkube/runtime/service_account.h"

namespace tusk::localkube {

using nlohmann::json;

json WithServiceAccountToken(const json& pod, const std::string& suffix, const json& service_account) {
  json out = pod;
  json& spec = out["spec"];
  bool automount = true;
  if (service_account.is_object()) automount = service_account.value("automountServiceAccountToken", true);
  if (spec.contains("automountServiceAccountToken")) automount = spec["automountServiceAccountToken"].get<bool>();
  if (!automount) return pod;
  if (!spec.contains("serviceAccountName")) spec["serviceAccountName"] = "default";
  const std::string name = "kube-api-access-" + suffix;
  for (const char* list : {"initContainers", "containers"}) {
    for (const auto& c : spec.value(list, json::array())) {
      for (const auto& m : c.value("volumeMounts", json::array())) {
        if (m.value("mountPath", "") == kServiceAccountMountPath) return pod;
      }
    }
  }
  spec["volumes"].push_back(json::parse(R"({
    "projected": {"defaultMode": 420, "sources": [
      {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
      {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
      {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
    ]}})"));
  spec["volumes"].back()["name"] = name;
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list)) continue;
    for (auto& c : spec[list]) {
      c["volumeMounts"].push_back({{"name", name}, {"mountPath", kServiceAccountMountPath}, {"readOnly", true}});
    }
  }
  return out;
}

}  // namespace tusk::localkube
