// The tusk-operator process: configuration, the object graph (API client,
// shared informers, work queue, instance monitor, controllers), leader
// election and the health/metrics endpoints. main.cc only parses flags.
#pragma once

#include <string>

#include "common/api/cluster.h"
#include "operator/specs/specs.h"

namespace tusk::op {

struct OperatorOptions {
  std::string kubeconfig;  // empty: $KUBECONFIG, in-cluster, ~/.kube/config
  bool leader_elect = false;
  std::string leader_namespace;  // OPERATOR_NAMESPACE, else the config's
  std::string lease_name = "tusk-operator";
  std::string identity;  // empty: hostname + pid
  std::string health_address = "0.0.0.0:8081";
  std::string metrics_address = "0.0.0.0:8080";
  int workers = 4;
  specs::OperatorSettings settings;
  api::ClusterDefaults defaults;
  std::string log_level, log_format;
};

// Options from flags and the environment (POSTGRES_IMAGE_NAME,
// OPERATOR_IMAGE_NAME, OPERATOR_NAMESPACE, KUBERNETES_CLUSTER_DOMAIN,
// INHERITED_LABELS, INHERITED_ANNOTATIONS).
StatusOr<OperatorOptions> ParseOperatorOptions(const std::vector<std::string>& args);
extern const char kOperatorFlagsHelp[];

// Runs until SIGTERM/SIGINT (0) or until leadership is lost (1).
int RunOperator(const OperatorOptions& options);

// `tusk-operator bootstrap DIR`: copies tusk-instance (and the WAL helpers)
// from beside this binary into DIR, the Postgres pod's shared volume, and
// makes the directories tusk-instance uses there.
Status BootstrapController(const std::string& dir, const std::string& self_path);

}  // namespace tusk::op
