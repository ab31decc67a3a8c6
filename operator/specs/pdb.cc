#include "operator/specs/metadata.h"

namespace tusk::op::specs {
namespace {

Json Budget(const api::Cluster& cluster, const std::string& name, int64_t min_available, const char* role,
            const OperatorSettings& settings) {
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata", internal::ObjectMetadata(cluster, name, settings)},
          {"spec",
           {{"minAvailable", min_available},
            {"selector", {{"matchLabels", internal::ClusterSelector(cluster, kInstanceRoleLabel, role)}}}}}};
}

}  // namespace

std::vector<Json> PodDisruptionBudgets(const api::Cluster& cluster, const OperatorSettings& settings) {
  const api::ClusterSpec& s = cluster.spec;
  if (!s.enable_pdb.value_or(true)) return {};
  const int64_t instances = s.instances.value_or(1);
  // A node drain during maintenance with reusePVC waits for the node to come
  // back with the volumes: the budgets would only block it.
  const bool maintenance =
      s.node_maintenance_in_progress.value_or(false) && s.node_maintenance_reuse_pvc.value_or(true);
  const std::string name = internal::ClusterName(cluster);
  std::vector<Json> out;
  if (!(maintenance && instances == 1)) out.push_back(Budget(cluster, name + "-primary", 1, kRolePrimary, settings));
  // One replica may go at a time: of n-1 replicas, n-2 must stay. Below three
  // instances that leaves nothing to protect.
  if (!maintenance && instances >= 3) out.push_back(Budget(cluster, name, instances - 2, kRoleReplica, settings));
  return out;
}

}  // namespace tusk::op::specs
