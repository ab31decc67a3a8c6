// The part of a CloudNativePG Cluster that decides one postgres's
// configuration and role: plain data derived from a defaulted api::Cluster
// by one function, so the renderer and the role decisions stay pure functions
// of a small struct that the operator and the instance manager share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/api/cluster.h"
#include "common/base/status.h"

namespace tusk::pg {

// spec.postgresql.synchronous
struct SynchronousSpec {
  std::string method;  // any | first
  int64_t number = 0;
  std::optional<int64_t> max_standby_names_from_cluster;
  std::vector<std::string> standby_names_pre;
  std::vector<std::string> standby_names_post;
  std::string data_durability;  // required | preferred
};

// No defaults here: every value comes from api::ApplyDefaults, the one place
// that knows CloudNativePG's. Zero values only mean "not built yet".
struct ClusterView {
  std::string name;
  std::string namespace_name;
  int64_t instances = 0;

  // spec.postgresql
  std::map<std::string, std::string> parameters;
  std::optional<SynchronousSpec> synchronous;
  std::vector<std::string> pg_hba;
  std::vector<std::string> pg_ident;
  std::vector<std::string> shared_preload_libraries;

  // spec.replicationSlots.highAvailability
  bool ha_slots = false;
  std::string slot_prefix;

  int64_t smart_shutdown_timeout_s = 0;
  int64_t stop_delay_s = 0;

  // status
  std::vector<std::string> instance_names;
  std::vector<std::string> healthy_instances;  // status.instancesStatus.healthy
  std::string current_primary;
  std::string target_primary;

  // metadata.annotations["cnpg.io/fencedInstances"]: pod names, "*" = all.
  std::vector<std::string> fenced_instances;

  bool IsFenced(const std::string& pod) const;
};

// The view of a Cluster that has been through api::ApplyDefaults (and
// should have passed api::Validate). A field the defaults would have filled
// but is unset is a FailedPrecondition naming it; a malformed
// fencedInstances annotation is InvalidArgument.
StatusOr<ClusterView> MakeClusterView(const api::Cluster& cluster);

}  // namespace tusk::pg
