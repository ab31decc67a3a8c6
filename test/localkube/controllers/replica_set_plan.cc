#include "test/localkube/controllers/replica_set_plan.h"

#include <algorithm>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

ReplicaSetPlan PlanReplicaSet(const json& rs, const std::vector<json>& owned_pods, WallTime now) {
  ReplicaSetPlan plan;
  const json spec = rs.value("spec", json::object());
  const int want = spec.value("replicas", 1);
  const int64_t min_ready = spec.value("minReadySeconds", int64_t{0});
  std::vector<const json*> active;
  for (const auto& p : owned_pods) {
    if (PodActive(p)) active.push_back(&p);
  }
  const int have = static_cast<int>(active.size());
  if (have < want) plan.create = want - have;
  if (have > want) {
    // Least valuable first: unscheduled, not ready, youngest.
    std::sort(active.begin(), active.end(), [](const json* a, const json* b) {
      bool sa = !StrAt(*a, "/spec/nodeName"_json_pointer).empty(), sb = !StrAt(*b, "/spec/nodeName"_json_pointer).empty();
      if (sa != sb) return !sa;
      bool ra = PodReady(*a), rb = PodReady(*b);
      if (ra != rb) return !ra;
      std::string ca = (*a)["metadata"].value("creationTimestamp", ""), cb = (*b)["metadata"].value("creationTimestamp", "");
      if (ca != cb) return ca > cb;
      return (*a)["metadata"].value("name", "") > (*b)["metadata"].value("name", "");
    });
    for (int i = 0; i < have - want; ++i) plan.delete_pods.push_back((*active[i])["metadata"].value("name", ""));
  }
  int ready = 0, available = 0, labeled = 0;
  const json template_labels = spec.value("template", json::object()).value("metadata", json::object()).value("labels", json::object());
  for (const json* p : active) {
    ready += PodReady(*p) ? 1 : 0;
    available += PodAvailable(*p, min_ready, now) ? 1 : 0;
    json labels = (*p)["metadata"].value("labels", json::object());
    bool all = true;
    for (const auto& [k, v] : template_labels.items()) all &= labels.contains(k) && labels[k] == v;
    labeled += all ? 1 : 0;
  }
  plan.status = {{"replicas", have},
                 {"fullyLabeledReplicas", labeled},
                 {"readyReplicas", ready},
                 {"availableReplicas", available},
                 {"observedGeneration", rs["metadata"].value("generation", 1)}};
  return plan;
}

json PodForReplicaSet(const json& rs) {
  const json tmpl = rs["spec"].value("template", json::object());
  json meta = tmpl.value("metadata", json::object());
  meta.erase("name");
  meta["generateName"] = rs["metadata"].value("name", "") + "-";
  meta["namespace"] = rs["metadata"].value("namespace", "");
  meta["ownerReferences"] = json::array({ControllerRef(rs)});
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", tmpl.value("spec", json::object())}};
}

}  // namespace tusk::localkube
