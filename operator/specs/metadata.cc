#include "operator/specs/metadata.h"

#include <fnmatch.h>

namespace tusk::op::specs {
namespace internal {
namespace {

bool MatchesAny(const std::vector<std::string>& globs, const std::string& key) {
  for (const auto& glob : globs) {
    if (::fnmatch(glob.c_str(), key.c_str(), 0) == 0) return true;
  }
  return false;
}

// The Cluster's own labels or annotations that an INHERITED_* glob selects,
// then spec.inheritedMetadata, which always passes down.
Json Inherited(const std::optional<std::map<std::string, std::string>>& own, const std::vector<std::string>& globs,
               const std::optional<std::map<std::string, std::string>>& inherited_metadata) {
  Json out = Json::object();
  for (const auto& [k, v] : own.value_or(std::map<std::string, std::string>{})) {
    if (MatchesAny(globs, k)) out[k] = v;
  }
  for (const auto& [k, v] : inherited_metadata.value_or(std::map<std::string, std::string>{})) out[k] = v;
  return out;
}

}  // namespace

std::string ClusterName(const api::Cluster& cluster) { return cluster.metadata.name.value_or(""); }
std::string ClusterNamespace(const api::Cluster& cluster) { return cluster.metadata.namespace_.value_or(""); }

Json ObjectMetadata(const api::Cluster& cluster, const std::string& name, const OperatorSettings& settings) {
  Json meta = {{"name", name}};
  if (!ClusterNamespace(cluster).empty()) meta["namespace"] = ClusterNamespace(cluster);
  Json labels = Inherited(cluster.metadata.labels, settings.inherited_labels, cluster.spec.inherited_labels);
  labels[kClusterLabel] = ClusterName(cluster);
  // Kubernetes' recommended labels, with CloudNativePG's values, so tools
  // that select on them find Tusk's objects too.
  labels["app.kubernetes.io/name"] = "postgresql";
  labels["app.kubernetes.io/instance"] = ClusterName(cluster);
  labels["app.kubernetes.io/version"] = std::to_string(PostgresMajor(cluster));
  labels["app.kubernetes.io/component"] = "database";
  labels["app.kubernetes.io/managed-by"] = "cloudnative-pg";
  Json annotations =
      Inherited(cluster.metadata.annotations, settings.inherited_annotations, cluster.spec.inherited_annotations);
  annotations[kOperatorVersionAnnotation] = settings.operator_version;
  meta["labels"] = std::move(labels);
  meta["annotations"] = std::move(annotations);
  meta["ownerReferences"] = Json::array({ControllerReference(cluster)});
  return meta;
}

Json ClusterSelector(const api::Cluster& cluster, const std::string& key, const std::string& value) {
  return {{kClusterLabel, ClusterName(cluster)}, {key, value}};
}

}  // namespace internal

Json ControllerReference(const api::Cluster& cluster) {
  return {{"apiVersion", api::Cluster::kApiVersion},
          {"kind", api::Cluster::kKind},
          {"name", cluster.metadata.name.value_or("")},
          {"uid", cluster.metadata.uid.value_or("")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

}  // namespace tusk::op::specs
