// The CustomResourceDefinitions Tusk serves, built from the schemas in this
// directory: names, scope, subresources and printer columns as
// CloudNativePG's, in the order manifests/operator.yaml installs them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/api/schema/node.h"

namespace tusk::api::schema {

inline constexpr char kPostgresqlGroup[] = "postgresql.cnpg.io";
inline constexpr char kBarmanCloudGroup[] = "barmancloud.cnpg.io";

struct PrinterColumn {
  std::string name, type, json_path, description;
  int priority = 0;
};

struct Scale {
  std::string spec_replicas_path, status_replicas_path, label_selector_path;
};

struct Kind {
  std::string group, kind, plural, singular;
  bool namespaced = true;
  std::string description;
  bool has_spec = true;
  bool spec_required = true;
  Node spec, status;
  bool has_status = true;   // a status field in the schema
  bool status_subresource = true;
  std::optional<Scale> scale;
  std::vector<PrinterColumn> columns;
};

std::vector<Kind> Kinds();
// A kind's CustomResourceDefinition (apiextensions.k8s.io/v1).
Json Crd(const Kind& kind);
std::vector<Json> Crds();
// The kinds' resource names, "clusters", ..., for RBAC rules; per group.
std::vector<std::string> Plurals(const std::string& group);

}  // namespace tusk::api::schema
