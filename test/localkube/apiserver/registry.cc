#include "test/localkube/apiserver/registry.h"

#include <algorithm>

namespace tusk::localkube {
namespace {

const std::vector<std::string> kCrudVerbs = {"create", "delete", "deletecollection", "get",
                                             "list",   "patch",  "update",           "watch"};

struct Builtin {
  const char* group;
  const char* version;
  const char* resource;
  const char* singular;
  const char* kind;
  bool namespaced;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> subresources;
};

std::vector<Builtin> Builtins() {
  return {
      {"", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {}, {"status", "finalize"}},
      {"", "v1", "pods", "pod", "Pod", true, {"po"}, {"all"}, {"status", "log", "binding", "eviction"}},
      {"", "v1", "services", "service", "Service", true, {"svc"}, {"all"}, {"status"}},
      {"", "v1", "endpoints", "endpoints", "Endpoints", true, {"ep"}, {}, {}},
      {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}, {}},
      {"", "v1", "secrets", "secret", "Secret", true, {}, {}, {}},
      {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, {}, {"token"}},
      {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, {"pvc"}, {}, {"status"}},
      {"", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, {"pv"}, {}, {"status"}},
      {"", "v1", "nodes", "node", "Node", false, {"no"}, {}, {"status"}},
      {"", "v1", "events", "event", "Event", true, {"ev"}, {}, {}},
      {"apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, {"all"}, {"status", "scale"}},
      {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"}, {"all"}, {"status", "scale"}},
      {"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, {"sts"}, {"all"}, {"status", "scale"}},
      {"apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, {"ds"}, {"all"}, {"status"}},
      {"batch", "v1", "jobs", "job", "Job", true, {}, {"all"}, {"status"}},
      {"batch", "v1", "cronjobs", "cronjob", "CronJob", true, {"cj"}, {"all"}, {"status"}},
      {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, {"pdb"}, {}, {"status"}},
      {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, {}, {}},
      {"events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}, {}, {}},
      {"discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, {}, {}, {}},
      {"storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, {"sc"}, {}, {}},
      {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, {}, {}},
      {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {}, {}, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {}, {}, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, {}, {}, {}},
      {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
       "CustomResourceDefinition", false, {"crd", "crds"}, {"api-extensions"}, {"status"}},
      {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
       "MutatingWebhookConfiguration", false, {}, {"api-extensions"}, {}},
      {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "validatingwebhookconfiguration",
       "ValidatingWebhookConfiguration", false, {}, {"api-extensions"}, {}},
  };
}

// Create-only review kinds: answered, never stored.
std::vector<Builtin> Reviews() {
  return {
      {"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "", "SelfSubjectAccessReview", false, {}, {}, {}},
      {"authorization.k8s.io", "v1", "selfsubjectrulesreviews", "", "SelfSubjectRulesReview", false, {}, {}, {}},
      {"authorization.k8s.io", "v1", "subjectaccessreviews", "", "SubjectAccessReview", false, {}, {}, {}},
      {"authentication.k8s.io", "v1", "selfsubjectreviews", "", "SelfSubjectReview", false, {}, {}, {}},
      {"authentication.k8s.io", "v1", "tokenreviews", "", "TokenReview", false, {}, {}, {}},
  };
}

std::vector<std::string> StrList(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& x : j) {
      if (x.is_string()) out.push_back(x.get<std::string>());
    }
  }
  return out;
}

}  // namespace

bool ResourceInfo::has_sub(const std::string& s) const {
  return std::find(subresources.begin(), subresources.end(), s) != subresources.end();
}

bool ResourceInfo::serves(const std::string& v) const {
  return std::find(versions.begin(), versions.end(), v) != versions.end();
}

Registry::Registry() {
  for (const auto& b : Builtins()) {
    ResourceInfo r;
    r.group = b.group;
    r.versions = {b.version};
    r.resource = b.resource;
    r.singular = b.singular;
    r.kind = b.kind;
    r.namespaced = b.namespaced;
    r.short_names = b.short_names;
    r.categories = b.categories;
    r.subresources = b.subresources;
    r.verbs = kCrudVerbs;
    Add(std::move(r));
  }
  for (const auto& b : Reviews()) {
    ResourceInfo r;
    r.group = b.group;
    r.versions = {b.version};
    r.resource = b.resource;
    r.kind = b.kind;
    r.namespaced = false;
    r.verbs = {"create"};
    r.stored = false;
    Add(std::move(r));
  }
}

void Registry::Add(ResourceInfo info) {
  std::string key = info.group_resource();
  by_gr_[key] = std::make_shared<const ResourceInfo>(std::move(info));
}

ResourcePtr Registry::Lookup(const std::string& group, const std::string& resource) const {
  return LookupGr(group.empty() ? resource : resource + "." + group);
}

ResourcePtr Registry::LookupGr(const std::string& gr) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = by_gr_.find(gr);
  return it == by_gr_.end() ? nullptr : it->second;
}

ResourcePtr Registry::LookupKind(const std::string& group, const std::string& kind) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [k, r] : by_gr_) {
    if (r->group == group && r->kind == kind && r->stored) return r;
  }
  return nullptr;
}

std::vector<ResourcePtr> Registry::All() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ResourcePtr> out;
  for (const auto& [k, r] : by_gr_) out.push_back(r);
  return out;
}

std::string Registry::InstallCrd(const json& crd) {
  const json& spec = crd.value("spec", json::object());
  ResourceInfo r;
  r.crd = true;
  r.group = spec.value("group", "");
  const json& names = spec.value("names", json::object());
  r.resource = names.value("plural", "");
  r.singular = names.value("singular", "");
  r.kind = names.value("kind", "");
  if (r.singular.empty()) {
    std::string k = r.kind;
    std::transform(k.begin(), k.end(), k.begin(), ::tolower);
    r.singular = k;
  }
  r.short_names = StrList(names.value("shortNames", json::array()));
  r.categories = StrList(names.value("categories", json::array()));
  r.namespaced = spec.value("scope", "Namespaced") != "Cluster";
  r.verbs = kCrudVerbs;
  if (r.group.empty() || r.resource.empty() || r.kind.empty()) return "spec.group, spec.names.plural and spec.names.kind are required";
  // Storage version first, so it is the preferred one as in kube-apiserver's default ordering.
  for (const auto& v : spec.value("versions", json::array())) {
    if (!v.value("served", true)) continue;
    std::string name = v.value("name", "");
    if (v.value("storage", false)) {
      r.versions.insert(r.versions.begin(), name);
    } else {
      r.versions.push_back(name);
    }
    if (v.contains("/schema/openAPIV3Schema"_json_pointer)) r.schemas[name] = v["schema"]["openAPIV3Schema"];
    if (v.contains("additionalPrinterColumns")) r.printer_columns[name] = v["additionalPrinterColumns"];
    if (v.contains("/subresources/status"_json_pointer) && !r.has_sub("status")) r.subresources.push_back("status");
    if (v.contains("/subresources/scale"_json_pointer)) {
      if (!r.has_sub("scale")) r.subresources.push_back("scale");
      if (v.value("storage", false) || r.scale.empty()) r.scale = v["subresources"]["scale"];
    }
  }
  if (r.versions.empty()) return "no served versions";
  std::lock_guard<std::mutex> l(mu_);
  std::string key = r.group_resource();
  auto it = by_gr_.find(key);
  if (it != by_gr_.end() && !it->second->crd) return "the resource is already served by a built-in kind";
  by_gr_[key] = std::make_shared<const ResourceInfo>(std::move(r));
  ++generation_;
  return "";
}

void Registry::RemoveCrd(const std::string& group, const std::string& plural) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = by_gr_.find(plural + "." + group);
  if (it != by_gr_.end() && it->second->crd) {
    by_gr_.erase(it);
    ++generation_;
  }
}

uint64_t Registry::generation() const {
  std::lock_guard<std::mutex> l(mu_);
  return generation_;
}

}  // namespace tusk::localkube
