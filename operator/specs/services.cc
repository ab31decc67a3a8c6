#include <algorithm>

#include "operator/specs/metadata.h"

namespace tusk::op::specs {

std::vector<ServiceKind> DefaultServices(const api::Cluster& cluster) {
  const std::vector<std::string> disabled = cluster.spec.disabled_default_services.value_or(std::vector<std::string>{});
  auto on = [&](const char* name) { return std::find(disabled.begin(), disabled.end(), name) == disabled.end(); };
  // rw cannot be disabled: the webhook refuses it, and without it nothing
  // reaches the primary.
  std::vector<ServiceKind> out = {ServiceKind::kRw};
  if (on("ro")) out.push_back(ServiceKind::kRo);
  if (on("r")) out.push_back(ServiceKind::kR);
  return out;
}

Json ClusterService(const api::Cluster& cluster, ServiceKind kind, const OperatorSettings& settings) {
  Json selector;
  switch (kind) {
    case ServiceKind::kRw:
      selector = internal::ClusterSelector(cluster, kInstanceRoleLabel, kRolePrimary);
      break;
    case ServiceKind::kRo:
      selector = internal::ClusterSelector(cluster, kInstanceRoleLabel, kRoleReplica);
      break;
    case ServiceKind::kR:
      selector = internal::ClusterSelector(cluster, kPodRoleLabel, kPodRoleInstance);
      break;
  }
  Json spec = {
      {"type", "ClusterIP"},
      {"ports",
       Json::array(
           {{{"name", "postgres"}, {"port", kPostgresPort}, {"protocol", "TCP"}, {"targetPort", kPostgresPort}}})},
      {"selector", std::move(selector)}};
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", internal::ObjectMetadata(cluster, ServiceName(internal::ClusterName(cluster), kind), settings)},
          {"spec", std::move(spec)}};
}

}  // namespace tusk::op::specs
