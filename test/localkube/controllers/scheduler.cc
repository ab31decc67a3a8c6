#include "test/localkube/controllers/scheduler.h"

#include <algorithm>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

constexpr char kComponent[] = "default-scheduler";

bool Pending(const json& pod) {
  return StrAt(pod, "/spec/nodeName"_json_pointer).empty() && PodActive(pod) &&
         pod["spec"].value("schedulerName", kComponent) == std::string(kComponent);
}

// The node a pending pod is already committed to through its claims'
// selected-node, so other pods see it there while its volumes are made.
std::string AssumedNode(const json& pod, const ClusterView& view) {
  std::string ns = pod["metadata"].value("namespace", "");
  for (const auto& v : pod["spec"].value("volumes", json::array())) {
    if (!v.contains("persistentVolumeClaim")) continue;
    auto it = view.claims.find(ns + "/" + v["persistentVolumeClaim"].value("claimName", ""));
    if (it == view.claims.end()) continue;
    std::string node = it->second["metadata"].value("annotations", json::object()).value(kSelectedNodeAnnotation, "");
    if (!node.empty()) return node;
  }
  return "";
}

}  // namespace

ClusterView Scheduler::Observe() const {
  ClusterView view;
  view.nodes = ListObjects(*api_, "nodes");
  view.pods = ListObjects(*api_, "pods");
  for (const auto& c : ListObjects(*api_, "persistentvolumeclaims")) {
    view.claims[c["metadata"].value("namespace", "") + "/" + c["metadata"].value("name", "")] = c;
  }
  for (const auto& v : ListObjects(*api_, "persistentvolumes")) view.volumes[v["metadata"].value("name", "")] = v;
  for (const auto& s : ListObjects(*api_, "storageclasses.storage.k8s.io")) {
    view.storage_classes[s["metadata"].value("name", "")] = s;
  }
  return view;
}

std::optional<Duration> Scheduler::Reconcile() {
  ClusterView view = Observe();
  std::vector<size_t> pending;
  for (size_t i = 0; i < view.pods.size(); ++i) {
    json& pod = view.pods[i];
    if (!Pending(pod)) continue;
    std::string assumed = AssumedNode(pod, view);
    if (!assumed.empty()) pod["spec"]["nodeName"] = assumed;
    pending.push_back(i);
  }
  // Oldest first, as the scheduling queue orders pods of equal priority.
  std::sort(pending.begin(), pending.end(), [&](size_t a, size_t b) {
    auto key = [&](size_t i) {
      const json& m = view.pods[i]["metadata"];
      return m.value("creationTimestamp", "") + "/" + m.value("name", "");
    };
    return key(a) < key(b);
  });
  bool retry = false;
  for (size_t i : pending) {
    json pod = view.pods[i];
    pod["spec"].erase("nodeName");
    Placement p = Schedule(pod, view);
    if (p.node.empty()) {
      retry |= !SetScheduled(pod, "", p.message);
      continue;
    }
    view.pods[i]["spec"]["nodeName"] = p.node;  // later pods see it placed
    if (!p.claims_to_provision.empty() || p.waiting_for_volumes) {
      for (const auto& key : p.claims_to_provision) {
        json claim = view.claims[key];
        claim["metadata"]["annotations"][kSelectedNodeAnnotation] = p.node;
        auto r = api_->Update("persistentvolumeclaims", claim["metadata"].value("namespace", ""),
                              claim["metadata"].value("name", ""), claim);
        if (r.ok()) {
          view.claims[key] = r->object;
        } else {
          retry = true;
        }
      }
      continue;
    }
    retry |= !Bind(pod, p.node);
  }
  if (retry) return std::chrono::milliseconds(200);
  return std::nullopt;
}

bool Scheduler::Bind(const json& pod, const std::string& node) {
  const json& m = pod["metadata"];
  std::string ns = m.value("namespace", ""), name = m.value("name", "");
  auto current = api_->store().Get("pods", ns, name);
  if (!current || (*current)["metadata"].value("uid", "") != m.value("uid", "")) return true;
  json bound = *current;
  if (!StrAt(bound, "/spec/nodeName"_json_pointer).empty()) return true;
  bound["spec"]["nodeName"] = node;
  auto r = api_->Update("pods", ns, name, bound);  // resourceVersion guards a racing write
  if (!r.ok()) return false;
  RecordEvent(*api_, r->object, "Normal", "Scheduled", "Successfully assigned " + ns + "/" + name + " to " + node,
              kComponent, clock_.WallNow());
  return SetScheduled(r->object, node, "");
}

bool Scheduler::SetScheduled(const json& pod, const std::string& node, const std::string& message) {
  const json& m = pod["metadata"];
  std::string ns = m.value("namespace", ""), name = m.value("name", "");
  // The kubelet writes status too: re-read and retry on conflict.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto current = api_->store().Get("pods", ns, name);
    if (!current || (*current)["metadata"].value("uid", "") != m.value("uid", "")) return true;
    json next = *current;
    json before = FindCondition(next, "PodScheduled");
    const std::string now = FormatRfc3339(clock_.WallNow());
    json& conditions = next["status"]["conditions"];
    json& c = node.empty() ? SetCondition(conditions, "PodScheduled", "False", "Unschedulable", message, now)
                           : SetCondition(conditions, "PodScheduled", "True", "", "", now);
    if (!node.empty()) {  // a scheduled pod's condition carries no reason
      c.erase("reason");
      c.erase("message");
    }
    c["lastProbeTime"] = nullptr;
    if (before == c) return true;
    auto r = api_->UpdateStatus("pods", ns, next);
    if (r.ok()) {
      if (node.empty()) RecordEvent(*api_, r->object, "Warning", "FailedScheduling", message, kComponent, clock_.WallNow());
      return true;
    }
    if (!IsConflict(r.error())) return false;
  }
  return false;
}

}  // namespace tusk::localkube
