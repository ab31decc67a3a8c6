#include "operator/specs/metadata.h"
#include "operator/specs/pod_parts.h"

namespace tusk::op::specs::internal {
namespace {

constexpr char kPreferred[] = "preferredDuringSchedulingIgnoredDuringExecution";
constexpr char kRequired[] = "requiredDuringSchedulingIgnoredDuringExecution";

// CloudNativePG's term: keep this cluster's instances off each other's
// topology domain (node, by default).
Json AntiAffinityTerm(const api::Cluster& cluster) {
  return {{"labelSelector",
           {{"matchExpressions",
             Json::array({{{"key", kClusterLabel}, {"operator", "In"}, {"values", {ClusterName(cluster)}}},
                          {{"key", kPodRoleLabel}, {"operator", "In"}, {"values", {kPodRoleInstance}}}})}}},
          {"topologyKey", cluster.spec.topology_key.value_or("kubernetes.io/hostname")}};
}

// Appends `extra[key]` (a list) to `out[key]`.
void AppendList(Json& out, const Json& extra, const char* key) {
  auto it = extra.find(key);
  if (it == extra.end() || !it->is_array()) return;
  for (const auto& term : *it) out[key].push_back(term);
}

// Overlays `user` (an object) on `defaults`, key by key.
Json Overlay(Json defaults, const std::optional<Json>& user) {
  if (user && user->is_object()) {
    for (const auto& [k, v] : user->items()) defaults[k] = v;
  }
  return defaults;
}

Json Seccomp(const api::Cluster& cluster) {
  if (cluster.spec.seccomp_profile && cluster.spec.seccomp_profile->is_object()) return *cluster.spec.seccomp_profile;
  return {{"type", "RuntimeDefault"}};
}

}  // namespace

Json PodAffinity(const api::Cluster& cluster) {
  const api::ClusterSpec& s = cluster.spec;
  Json anti = Json::object();
  if (s.enable_pod_anti_affinity.value_or(true)) {
    if (s.pod_anti_affinity_type.value_or("preferred") == "required") {
      anti[kRequired].push_back(AntiAffinityTerm(cluster));
    } else {
      anti[kPreferred].push_back({{"weight", 100}, {"podAffinityTerm", AntiAffinityTerm(cluster)}});
    }
  }
  if (s.additional_pod_anti_affinity && s.additional_pod_anti_affinity->is_object()) {
    AppendList(anti, *s.additional_pod_anti_affinity, kPreferred);
    AppendList(anti, *s.additional_pod_anti_affinity, kRequired);
  }
  Json affinity = Json::object();
  if (!anti.empty()) affinity["podAntiAffinity"] = std::move(anti);
  if (s.additional_pod_affinity && !s.additional_pod_affinity->is_null()) {
    affinity["podAffinity"] = *s.additional_pod_affinity;
  }
  if (s.node_affinity && !s.node_affinity->is_null()) affinity["nodeAffinity"] = *s.node_affinity;
  return affinity.empty() ? Json() : affinity;
}

Json PodSecurityContext(const api::Cluster& cluster) {
  const api::ClusterSpec& s = cluster.spec;
  return Overlay({{"runAsUser", s.postgres_uid.value_or(26)},
                  {"runAsGroup", s.postgres_gid.value_or(26)},
                  {"fsGroup", s.postgres_gid.value_or(26)},
                  {"runAsNonRoot", true},
                  {"seccompProfile", Seccomp(cluster)}},
                 s.pod_security_context);
}

Json ContainerSecurityContext(const api::Cluster& cluster) {
  return Overlay({{"allowPrivilegeEscalation", false},
                  {"capabilities", {{"drop", {"ALL"}}}},
                  {"privileged", false},
                  {"readOnlyRootFilesystem", true},
                  {"runAsNonRoot", true},
                  {"seccompProfile", Seccomp(cluster)}},
                 cluster.spec.security_context);
}

}  // namespace tusk::op::specs::internal
