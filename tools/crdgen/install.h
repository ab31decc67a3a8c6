// Everything manifests/operator.yaml installs, as JSON objects in the order
// kubectl must create them: the tusk-system namespace, the CRDs, the
// operator's ServiceAccount and least-privilege ClusterRole, its binding, and
// the operator Deployment. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::crdgen {

using Json = nlohmann::json;

inline constexpr char kNamespace[] = "tusk-system";
inline constexpr char kOperatorName[] = "tusk-operator";
inline constexpr char kOperatorRepository[] = "ghcr.io/tusk-pg/tusk-operator";
inline constexpr char kDefaultPostgresImage[] = "ghcr.io/cloudnative-pg/postgresql:15.14";
inline constexpr int kOperatorUid = 10001;
inline constexpr int kMetricsPort = 8080;
inline constexpr int kHealthPort = 8081;

struct InstallOptions {
  std::string version;  // the project's version: the operator image's tag
  std::string postgres_image = kDefaultPostgresImage;
};

std::string OperatorImage(const InstallOptions& options);
Json Namespace();
Json ServiceAccount();
Json ClusterRole();
Json ClusterRoleBinding();
Json Deployment(const InstallOptions& options);
// All of the above with the CRDs, in installation order.
std::vector<Json> OperatorManifest(const InstallOptions& options);

}  // namespace tusk::crdgen
