#include "test/localkube/apiserver/service_accounts.h"

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

using nlohmann::json;

namespace {

constexpr char kVolumePrefix[] = "kube-api-access-";

json TokenVolume(const std::string& name) {
  json token = {{"serviceAccountToken", {{"expirationSeconds", kAdmissionTokenSeconds}, {"path", "token"}}}};
  json ca = {{"configMap", {{"name", kRootCaConfigMap}, {"items", json::array({{{"key", kRootCaKey}, {"path", kRootCaKey}}})}}}};
  json ns = {{"downwardAPI",
              {{"items", json::array({{{"path", "namespace"},
                                       {"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}})}}}};
  return {{"name", name}, {"projected", {{"defaultMode", 420}, {"sources", json::array({token, ca, ns})}}}};
}

bool MountsTokenPath(const json& container) {
  const json mounts = container.value("volumeMounts", json::array());
  if (!mounts.is_array()) return false;
  for (const auto& m : mounts) {
    if (m.is_object() && m.value("mountPath", "") == kServiceAccountMountPath) return true;
  }
  return false;
}

}  // namespace

json DefaultServiceAccount() {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "default"}}}};
}

json WithServiceAccountToken(const json& pod, const std::string& suffix, const json& service_account) {
  if (!pod.is_object() || !pod.contains("spec") || !pod["spec"].is_object()) return pod;
  json out = pod;
  json& spec = out["spec"];
  bool automount = true;
  if (service_account.is_object()) automount = service_account.value("automountServiceAccountToken", true);
  if (spec.contains("automountServiceAccountToken") && spec["automountServiceAccountToken"].is_boolean()) {
    automount = spec["automountServiceAccountToken"].get<bool>();
  }
  if (!automount) return pod;
  if (!spec.contains("volumes") || !spec["volumes"].is_array()) spec["volumes"] = json::array();
  std::string name;
  for (const auto& v : spec["volumes"]) {
    const std::string n = v.is_object() ? v.value("name", "") : "";
    if (n.rfind(kVolumePrefix, 0) == 0) name = n;
  }
  const bool have_volume = !name.empty();
  if (!have_volume) name = kVolumePrefix + suffix;
  bool mounted = false;
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (!c.is_object() || MountsTokenPath(c)) continue;
      if (!c.contains("volumeMounts") || !c["volumeMounts"].is_array()) c["volumeMounts"] = json::array();
      c["volumeMounts"].push_back({{"name", name}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}});
      mounted = true;
    }
  }
  if (!mounted) return pod;
  if (!have_volume) spec["volumes"].push_back(TokenVolume(name));
  return out;
}

ApiOr<bool> AdmitServiceAccount(const ResourceInfo& r, json& pod, const Store& store, const std::string& shown_name) {
  if (r.group_resource() != "pods" || !pod.contains("spec") || !pod["spec"].is_object()) return true;
  json& spec = pod["spec"];
  if (!spec.contains("serviceAccountName") || !spec["serviceAccountName"].is_string() ||
      spec["serviceAccountName"] == "") {
    spec["serviceAccountName"] = "default";
  }
  const std::string sa_name = spec["serviceAccountName"];
  const std::string ns = pod["metadata"].value("namespace", "");
  ObjectPtr sa = store.Get("serviceaccounts", ns, sa_name);
  if (!sa) {
    return Forbidden("", "pods", shown_name,
                     "error looking up service account " + ns + "/" + sa_name + ": serviceaccount \"" + sa_name +
                         "\" not found");
  }
  pod = WithServiceAccountToken(pod, RandomSuffix(), *sa);
  return true;
}

}  // namespace tusk::localkube
