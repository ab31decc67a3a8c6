#include "test/localkube/controllers/root_ca_publisher.h"

#include <map>

#include "test/localkube/apiserver/service_accounts.h"

namespace tusk::localkube {
namespace {

constexpr char kDescriptionAnnotation[] = "kubernetes.io/description";
// The text kube-controller-manager puts on the ConfigMap.
constexpr char kDescription[] =
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the "
    "internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes "
    "clusters.";

// `stored` with exactly the published content; other metadata is kept.
json WithPublishedContent(json stored, const std::string& ca_pem) {
  stored["data"] = {{kRootCaKey, ca_pem}};
  stored.erase("binaryData");
  stored["metadata"]["annotations"][kDescriptionAnnotation] = kDescription;
  return stored;
}

}  // namespace

json RootCaConfigMap(const std::string& ca_pem) {
  return WithPublishedContent({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", kRootCaConfigMap}}}},
                              ca_pem);
}

std::vector<RootCaWrite> PlanRootCa(const std::vector<json>& namespaces, const std::vector<json>& config_maps,
                                    const std::string& ca_pem) {
  std::map<std::string, const json*> by_ns;
  for (const auto& cm : config_maps) {
    if (cm["metadata"].value("name", "") == kRootCaConfigMap) by_ns[cm["metadata"].value("namespace", "")] = &cm;
  }
  std::vector<RootCaWrite> writes;
  for (const auto& ns : namespaces) {
    if (IsDeleting(ns)) continue;
    const std::string name = ns["metadata"].value("name", "");
    auto it = by_ns.find(name);
    if (it == by_ns.end()) {
      writes.push_back({name, RootCaConfigMap(ca_pem), true});
      continue;
    }
    json wanted = WithPublishedContent(*it->second, ca_pem);
    if (wanted != *it->second) writes.push_back({name, std::move(wanted), false});
  }
  return writes;
}

std::optional<Duration> RootCaPublisher::Reconcile() {
  ListOptions published;
  published.field_selector = std::string("metadata.name=") + kRootCaConfigMap;
  auto maps = api_->List("configmaps", "", published);
  if (!maps.ok()) return std::chrono::seconds(1);
  const std::vector<json> have((*maps)["items"].begin(), (*maps)["items"].end());
  bool ok = true;
  for (auto& w : PlanRootCa(ListObjects(*api_, "namespaces"), have, ca_pem_)) {
    if (w.create) {
      auto created = api_->Create("configmaps", w.ns, std::move(w.object));
      // AlreadyExists: made meanwhile (its event brings the next pass);
      // Forbidden: the namespace began terminating. Nothing to retry.
      ok &= created.ok() || created.error().code == 409 || created.error().code == 403;
    } else {
      // With the stored resourceVersion: an edit racing this one conflicts
      // and the next pass looks again.
      ok &= api_->Update("configmaps", w.ns, kRootCaConfigMap, std::move(w.object)).ok();
    }
  }
  if (!ok) return std::chrono::milliseconds(200);
  return std::nullopt;
}

}  // namespace tusk::localkube
