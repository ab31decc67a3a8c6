// The metadata every object built for a Cluster shares: its name and
// namespace, the cluster label, what the Cluster passes down
// (inheritedMetadata, INHERITED_* globs), the operator version and the
// controller reference. Internal to operator/specs.
#pragma once

#include <string>

#include "operator/specs/specs.h"

namespace tusk::op::specs::internal {

std::string ClusterName(const api::Cluster& cluster);
std::string ClusterNamespace(const api::Cluster& cluster);

// {name, namespace, labels, annotations, ownerReferences}. The operator's
// own keys win over inherited ones, so a user cannot relabel an object out of
// its cluster.
Json ObjectMetadata(const api::Cluster& cluster, const std::string& name, const OperatorSettings& settings);

// {cnpg.io/cluster: X} plus `key: value`: the selector of Services and budgets.
Json ClusterSelector(const api::Cluster& cluster, const std::string& key, const std::string& value);

}  // namespace tusk::op::specs::internal
