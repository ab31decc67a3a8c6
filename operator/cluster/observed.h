// What one reconcile of a Cluster sees: the Cluster, the objects it owns
// (from the informer caches) and what each instance last reported (from the
// instance monitor), as plain values. The plan is a pure function of this.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/api/cluster.h"
#include "operator/instance/instance_monitor.h"

namespace tusk::op::cluster {

using Json = nlohmann::json;

// One instance serial: its pod and PVCs, any of which may be missing.
struct ObservedInstance {
  std::string name;  // <cluster>-<serial>
  int serial = 0;
  std::optional<Json> pod;
  bool pod_ready = false;       // the pod's Ready condition
  bool pod_terminating = false;  // deletionTimestamp set
  std::string pod_ip;
  std::string pod_phase;  // Pending while the init containers (initdb, join) run
  // The scheduler's or the volume's refusal (PodScheduled False), if any.
  std::string unschedulable;
  std::string role_label;  // cnpg.io/instanceRole as it is now
  std::string legacy_role_label;
  bool data_pvc = false, wal_pvc = false;
  std::string data_pvc_phase;  // Pending, Bound, ...
  std::optional<InstanceReport> report;
};

struct ObservedCluster {
  api::Cluster cluster;  // with api::ApplyDefaults
  Json object;           // the Cluster as read from the cache
  std::string now;       // RFC 3339 with microseconds, for timestamps
  // Why the spec cannot be acted on (admission checks the schema cannot
  // express, configuration the renderer refuses); empty when it can.
  std::string spec_error;
  std::map<int, ObservedInstance> instances;  // by serial
  std::set<std::string> secrets;              // names of Secrets that exist (ours and the user's)
  std::set<std::string> services, pdbs;
  bool service_account = false, role = false, role_binding = false;
  // Objects of this cluster that exist but are not controlled by it.
  std::vector<std::string> foreign;
  // Pods created by an earlier reconcile not yet seen in the cache: creating
  // more instances waits for them, so a stale cache cannot double a serial.
  bool awaiting_cache = false;
};

}  // namespace tusk::op::cluster
