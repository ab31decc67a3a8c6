#include "common/pg/cluster_view.h"

#include <algorithm>

namespace tusk::pg {
namespace {

// Reads fields ApplyDefaults guarantees, remembering the first one missing.
class Defaulted {
 public:
  template <typename T>
  T Need(const std::optional<T>& field, const char* path) {
    if (field.has_value()) return *field;
    if (status_.ok()) {
      status_ = FailedPreconditionError(std::string(path) +
                                        " is unset: build the view from a Cluster after api::ApplyDefaults");
    }
    return T{};
  }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

template <typename T>
T OrEmpty(const std::optional<T>& field) {
  return field.value_or(T{});
}

}  // namespace

bool ClusterView::IsFenced(const std::string& pod) const {
  return std::any_of(fenced_instances.begin(), fenced_instances.end(),
                     [&](const std::string& f) { return f == "*" || f == pod; });
}

StatusOr<ClusterView> MakeClusterView(const api::Cluster& cluster) {
  const api::ClusterSpec& s = cluster.spec;
  const api::ClusterStatus& st = cluster.status;
  Defaulted d;
  ClusterView v;
  v.name = d.Need(cluster.metadata.name, "metadata.name");
  v.namespace_name = OrEmpty(cluster.metadata.namespace_);
  v.instances = d.Need(s.instances, "spec.instances");
  v.parameters = OrEmpty(s.parameters);
  if (s.synchronous) {
    SynchronousSpec sync;
    sync.method = d.Need(s.synchronous->method, "spec.postgresql.synchronous.method");
    sync.number = d.Need(s.synchronous->number, "spec.postgresql.synchronous.number");
    sync.max_standby_names_from_cluster = s.synchronous->max_standby_names_from_cluster;
    sync.standby_names_pre = OrEmpty(s.synchronous->standby_names_pre);
    sync.standby_names_post = OrEmpty(s.synchronous->standby_names_post);
    sync.data_durability = d.Need(s.synchronous->data_durability, "spec.postgresql.synchronous.dataDurability");
    v.synchronous = std::move(sync);
  }
  v.pg_hba = OrEmpty(s.pg_hba);
  v.pg_ident = OrEmpty(s.pg_ident);
  v.shared_preload_libraries = OrEmpty(s.shared_preload_libraries);
  v.ha_slots = d.Need(s.ha_slots_enabled, "spec.replicationSlots.highAvailability.enabled");
  v.slot_prefix = d.Need(s.ha_slot_prefix, "spec.replicationSlots.highAvailability.slotPrefix");
  v.smart_shutdown_timeout_s = d.Need(s.smart_shutdown_timeout, "spec.smartShutdownTimeout");
  v.stop_delay_s = d.Need(s.stop_delay, "spec.stopDelay");
  RETURN_IF_ERROR(d.status());

  v.instance_names = OrEmpty(st.instance_names);
  if (st.instances_status) {
    auto it = st.instances_status->find("healthy");
    if (it != st.instances_status->end()) v.healthy_instances = it->second;
  }
  v.current_primary = OrEmpty(st.current_primary);
  v.target_primary = OrEmpty(st.target_primary);
  ASSIGN_OR_RETURN(v.fenced_instances, api::FencedInstances(cluster));
  return v;
}

}  // namespace tusk::pg
