// The part of a CloudNativePG Cluster that decides one postgres's
// configuration and role: plain data, so the renderer and the role decisions
// are pure functions that the operator and the instance manager share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::pg {

// spec.postgresql.synchronous
struct SynchronousSpec {
  std::string method = "any";  // any | first
  int number = 1;
  std::optional<int> max_standby_names_from_cluster;
  std::vector<std::string> standby_names_pre;
  std::vector<std::string> standby_names_post;
  std::string data_durability = "required";  // required | preferred
};

struct ClusterView {
  std::string name;
  std::string namespace_name;
  int instances = 1;

  // spec.postgresql
  std::map<std::string, std::string> parameters;
  std::optional<SynchronousSpec> synchronous;
  std::vector<std::string> pg_hba;
  std::vector<std::string> pg_ident;
  std::vector<std::string> shared_preload_libraries;

  // spec.replicationSlots.highAvailability
  bool ha_slots = true;
  std::string slot_prefix = "_cnpg_";

  int smart_shutdown_timeout_s = 180;
  int stop_delay_s = 1800;

  // status
  std::vector<std::string> instance_names;
  std::vector<std::string> healthy_instances;  // status.instancesStatus.healthy
  std::string current_primary;
  std::string target_primary;

  // metadata.annotations["cnpg.io/fencedInstances"]: pod names, "*" = all.
  std::vector<std::string> fenced_instances;

  bool IsFenced(const std::string& pod) const;
};

// Reads a Cluster object (as the API server serves it) into a ClusterView.
// This is the one place that knows the Cluster's JSON field names.
StatusOr<ClusterView> ClusterViewFromJson(const nlohmann::json& cluster);

}  // namespace tusk::pg
