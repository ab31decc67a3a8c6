// Clusters the builder tests start from: CloudNativePG's cluster-example and
// variations, parsed and defaulted as the operator would see them.
#pragma once

#include <catch2/catch.hpp>

#include "operator/specs/specs.h"

namespace tusk::op::specs::testing {

inline const OperatorSettings kSettings{.operator_image = "ghcr.io/tusk/operator:0.1.0",
                                        .operator_version = "0.1.0",
                                        .cluster_domain = "cluster.local",
                                        .inherited_labels = {},
                                        .inherited_annotations = {}};

// cluster-example with `spec` merged over {instances: 3, storage: {size: 1Gi}}.
inline api::Cluster Example(const Json& spec = Json::object(), const Json& metadata = Json::object()) {
  Json doc = {{"apiVersion", "postgresql.cnpg.io/v1"},
              {"kind", "Cluster"},
              {"metadata", {{"name", "cluster-example"}, {"namespace", "default"}, {"uid", "uid-1"}}},
              {"spec", {{"instances", 3}, {"storage", {{"size", "1Gi"}}}}}};
  doc["metadata"].merge_patch(metadata);
  doc["spec"].merge_patch(spec);
  auto cluster = api::ClusterFromJson(doc);
  REQUIRE(cluster.ok());
  api::ApplyDefaults(&*cluster);
  return *cluster;
}

// The element of `list` whose "name" is `name`, or null.
inline Json Named(const Json& list, const std::string& name) {
  for (const auto& item : list) {
    if (item.value("name", "") == name) return item;
  }
  return nullptr;
}

inline std::vector<std::string> Names(const Json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item.value("name", ""));
  return out;
}

}  // namespace tusk::op::specs::testing
