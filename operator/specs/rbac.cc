#include <set>

#include "operator/specs/metadata.h"

namespace tusk::op::specs {
namespace {

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

// The Secrets a backup configuration points at: the object store's
// credentials and its endpoint CA, which the instance reads to archive WAL.
void AddBackupSecrets(const api::Cluster& cluster, std::set<std::string>& out) {
  if (!cluster.spec.backup_object_store || !cluster.spec.backup_object_store->is_object()) return;
  const Json& store = *cluster.spec.backup_object_store;
  auto add = [&](const Json& selector) {
    if (selector.is_object() && selector.contains("name") && selector["name"].is_string()) {
      out.insert(selector["name"].get<std::string>());
    }
  };
  for (const char* section : {"s3Credentials", "azureCredentials", "googleCredentials"}) {
    auto it = store.find(section);
    if (it == store.end() || !it->is_object()) continue;
    for (const auto& [field, selector] : it->items()) add(selector);
  }
  if (store.contains("endpointCA")) add(store["endpointCA"]);
}

// Sorted and unique, so the Role does not change when nothing did.
std::vector<std::string> InstanceSecrets(const api::Cluster& cluster) {
  std::set<std::string> names;
  if (cluster.spec.has_initdb.value_or(false)) names.insert(AppSecretName(cluster));
  if (cluster.spec.enable_superuser_access.value_or(false)) names.insert(SuperuserSecretName(cluster));
  const CertificateSecrets certs = CertificateSecretNames(cluster);
  names.insert({certs.server_ca, certs.client_ca, certs.server_tls, certs.replication_tls});
  AddBackupSecrets(cluster, names);
  return {names.begin(), names.end()};
}

Json Rule(const char* group, const char* resource, std::vector<std::string> verbs,
          std::vector<std::string> resource_names = {}) {
  Json rule = {{"apiGroups", {group}}, {"resources", {resource}}, {"verbs", std::move(verbs)}};
  // List and watch with resourceNames work for requests that select the
  // object by metadata.name, which is how an instance watches its own.
  if (!resource_names.empty()) rule["resourceNames"] = std::move(resource_names);
  return rule;
}

Json MetadataMap(const std::optional<Json>& tmpl, const char* key) {
  if (!tmpl || !tmpl->is_object()) return Json::object();
  const Json::json_pointer ptr(std::string("/metadata/") + key);
  return tmpl->contains(ptr) && tmpl->at(ptr).is_object() ? tmpl->at(ptr) : Json::object();
}

}  // namespace

std::optional<Json> InstanceServiceAccount(const api::Cluster& cluster, const OperatorSettings& settings) {
  if (cluster.spec.service_account_name) return std::nullopt;
  Json meta = internal::ObjectMetadata(cluster, InstanceServiceAccountName(cluster), settings);
  // serviceAccountTemplate adds to what the operator sets, never over it.
  for (const char* key : {"labels", "annotations"}) {
    const Json extra = MetadataMap(cluster.spec.service_account_template, key);
    for (const auto& [k, v] : extra.items()) {
      if (!meta[key].contains(k)) meta[key][k] = v;
    }
  }
  Json sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", std::move(meta)}};
  if (cluster.spec.image_pull_secrets && cluster.spec.image_pull_secrets->is_array()) {
    sa["imagePullSecrets"] = *cluster.spec.image_pull_secrets;
  }
  return sa;
}

Json InstanceRole(const api::Cluster& cluster, const OperatorSettings& settings) {
  const std::string name = internal::ClusterName(cluster);
  Json rules = Json::array({
      Rule(api::kCnpgGroup, api::Cluster::kResource, {"get", "list", "watch"}, {name}),
      Rule(api::kCnpgGroup, "clusters/status", {"get", "patch", "update"}, {name}),
      Rule("", "secrets", {"get", "list", "watch"}, InstanceSecrets(cluster)),
      Rule("", "events", {"create", "patch"}),
  });
  return {{"apiVersion", std::string(kRbacGroup) + "/v1"},
          {"kind", "Role"},
          {"metadata", internal::ObjectMetadata(cluster, name, settings)},
          {"rules", std::move(rules)}};
}

Json InstanceRoleBinding(const api::Cluster& cluster, const OperatorSettings& settings) {
  const std::string name = internal::ClusterName(cluster);
  Json subject = {{"kind", "ServiceAccount"}, {"name", InstanceServiceAccountName(cluster)}};
  if (!internal::ClusterNamespace(cluster).empty()) subject["namespace"] = internal::ClusterNamespace(cluster);
  return {{"apiVersion", std::string(kRbacGroup) + "/v1"},
          {"kind", "RoleBinding"},
          {"metadata", internal::ObjectMetadata(cluster, name, settings)},
          {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", "Role"}, {"name", name}}},
          {"subjects", Json::array({std::move(subject)})}};
}

}  // namespace tusk::op::specs
