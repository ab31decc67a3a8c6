// Cluster JSON -> ClusterView. Kept apart so it can switch to the shared
// Cluster types without touching the renderer.
#include <algorithm>

#include "common/pg/cluster_view.h"

namespace tusk::pg {
namespace {

using nlohmann::json;

const json* Find(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::vector<std::string> Strings(const json* j) {
  std::vector<std::string> out;
  if (j && j->is_array()) {
    for (const auto& v : *j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// Parameters are strings in the CRD, but a hand-written file may carry
// numbers or booleans; render them as PostgreSQL would read them.
std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  return v.dump();
}

}  // namespace

bool ClusterView::IsFenced(const std::string& pod) const {
  return std::any_of(fenced_instances.begin(), fenced_instances.end(),
                     [&](const std::string& f) { return f == "*" || f == pod; });
}

StatusOr<ClusterView> ClusterViewFromJson(const json& cluster) {
  try {
    if (!cluster.is_object()) return InvalidArgumentError("Cluster: not a JSON object");
    if (auto* kind = Find(cluster, {"kind"}); kind && *kind != "Cluster") {
      return InvalidArgumentError("expected kind Cluster, got " + kind->dump());
    }
    ClusterView v;
    if (auto* n = Find(cluster, {"metadata", "name"})) v.name = n->get<std::string>();
    if (v.name.empty()) return InvalidArgumentError("Cluster: metadata.name is required");
    if (auto* n = Find(cluster, {"metadata", "namespace"})) v.namespace_name = n->get<std::string>();
    if (auto* n = Find(cluster, {"spec", "instances"})) v.instances = n->get<int>();

    if (auto* params = Find(cluster, {"spec", "postgresql", "parameters"})) {
      if (!params->is_object()) return InvalidArgumentError("spec.postgresql.parameters must be a map");
      for (const auto& [k, val] : params->items()) v.parameters[k] = ScalarText(val);
    }
    if (auto* s = Find(cluster, {"spec", "postgresql", "synchronous"})) {
      SynchronousSpec sync;
      if (auto* m = Find(*s, {"method"})) sync.method = m->get<std::string>();
      if (auto* n = Find(*s, {"number"})) sync.number = n->get<int>();
      if (auto* n = Find(*s, {"maxStandbyNamesFromCluster"})) sync.max_standby_names_from_cluster = n->get<int>();
      sync.standby_names_pre = Strings(Find(*s, {"standbyNamesPre"}));
      sync.standby_names_post = Strings(Find(*s, {"standbyNamesPost"}));
      if (auto* d = Find(*s, {"dataDurability"})) sync.data_durability = d->get<std::string>();
      v.synchronous = sync;
    }
    v.pg_hba = Strings(Find(cluster, {"spec", "postgresql", "pg_hba"}));
    v.pg_ident = Strings(Find(cluster, {"spec", "postgresql", "pg_ident"}));
    v.shared_preload_libraries = Strings(Find(cluster, {"spec", "postgresql", "shared_preload_libraries"}));

    if (auto* e = Find(cluster, {"spec", "replicationSlots", "highAvailability", "enabled"})) v.ha_slots = e->get<bool>();
    if (auto* p = Find(cluster, {"spec", "replicationSlots", "highAvailability", "slotPrefix"})) {
      v.slot_prefix = p->get<std::string>();
    }
    if (auto* t = Find(cluster, {"spec", "smartShutdownTimeout"})) v.smart_shutdown_timeout_s = t->get<int>();
    if (auto* t = Find(cluster, {"spec", "stopDelay"})) v.stop_delay_s = t->get<int>();

    v.instance_names = Strings(Find(cluster, {"status", "instanceNames"}));
    v.healthy_instances = Strings(Find(cluster, {"status", "instancesStatus", "healthy"}));
    if (auto* p = Find(cluster, {"status", "currentPrimary"})) v.current_primary = p->get<std::string>();
    if (auto* p = Find(cluster, {"status", "targetPrimary"})) v.target_primary = p->get<std::string>();

    if (auto* f = Find(cluster, {"metadata", "annotations", "cnpg.io/fencedInstances"})) {
      json list = json::parse(f->get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (!list.is_array()) {
        return InvalidArgumentError("annotation cnpg.io/fencedInstances must be a JSON array of pod names");
      }
      v.fenced_instances = Strings(&list);
    }
    return v;
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("Cluster: unexpected field type: ") + e.what());
  }
}

}  // namespace tusk::pg
