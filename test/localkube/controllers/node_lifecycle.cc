#include "test/localkube/controllers/node_lifecycle.h"

#include <algorithm>
#include <map>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/scheduling.h"

namespace tusk::localkube {
namespace {

constexpr char kComponent[] = "node-controller";

bool IsUnreachableTaint(const json& t) { return t.value("key", "") == kUnreachableTaint; }

}  // namespace

std::optional<WallTime> LastHeartbeat(const json& node, const json* lease) {
  std::optional<WallTime> best;
  auto consider = [&](const std::string& s) {
    auto t = ParseRfc3339(s);
    if (t && (!best || *t > *best)) best = t;
  };
  if (lease) consider(StrAt(*lease, "/spec/renewTime"_json_pointer));
  json ready = FindCondition(node, "Ready");
  if (ready.is_object()) consider(ready.value("lastHeartbeatTime", ""));
  return best;
}

std::optional<WallTime> EvictionTime(const json& pod, const json& taint) {
  auto added = ParseRfc3339(taint.value("timeAdded", ""));
  const WallTime start = added ? *added : WallTime{};
  bool tolerated = false;
  std::optional<int64_t> shortest;
  for (const auto& t : pod["spec"].value("tolerations", json::array())) {
    if (!Tolerates(json::array({t}), taint)) continue;
    tolerated = true;
    if (!t.contains("tolerationSeconds") || !t["tolerationSeconds"].is_number()) continue;
    // The shortest bounded toleration wins, as in the taint manager.
    int64_t s = std::max<int64_t>(t["tolerationSeconds"].get<int64_t>(), 0);
    if (!shortest || s < *shortest) shortest = s;
  }
  if (!tolerated) return start;
  if (!shortest) return std::nullopt;
  return start + std::chrono::seconds(*shortest);
}

std::optional<Duration> NodeLifecycle::Reconcile() {
  const WallTime now = clock_.WallNow();
  std::optional<Duration> wake;
  auto wake_at = [&](WallTime t) {
    Duration d = std::max<Duration>(t - now, std::chrono::milliseconds(1));
    if (!wake || d < *wake) wake = d;
  };
  std::map<std::string, std::vector<json>> pods_by_node;
  for (auto& p : ListObjects(*api_, "pods")) {
    std::string node = StrAt(p, "/spec/nodeName"_json_pointer);
    if (!node.empty() && !PodTerminated(p)) pods_by_node[node].push_back(std::move(p));
  }
  for (const auto& node : ListObjects(*api_, "nodes")) {
    const std::string name = node["metadata"].value("name", "");
    auto lease = api_->store().Get("leases.coordination.k8s.io", "kube-node-lease", name);
    auto beat = LastHeartbeat(node, lease.get());
    if (!beat) beat = ParseRfc3339(node["metadata"].value("creationTimestamp", ""));
    const bool stale = beat && *beat + grace_ < now;
    if (beat && !stale) wake_at(*beat + grace_ + std::chrono::milliseconds(1));
    SyncNode(node, stale, now);
    auto current = api_->store().Get("nodes", "", name);
    if (!current) continue;
    const bool unknown = FindCondition(*current, "Ready").value("status", "") == "Unknown";
    for (const auto& pod : pods_by_node[name]) {
      if (IsDeleting(pod)) continue;
      if (unknown) MarkPodNotReady(pod, now);
      for (const auto& taint : (*current).value("spec", json::object()).value("taints", json::array())) {
        if (taint.value("effect", "") != "NoExecute") continue;
        auto when = EvictionTime(pod, taint);
        if (!when) continue;
        if (*when <= now) {
          Evict(pod, now);
          break;
        }
        wake_at(*when);
      }
    }
  }
  return wake;
}

void NodeLifecycle::SyncNode(const json& node, bool stale, WallTime now) {
  const std::string name = node["metadata"].value("name", "");
  const std::string ts = FormatRfc3339(now);
  json ready = FindCondition(node, "Ready");
  if (stale && ready.value("status", "") != "Unknown") {
    json next = node;
    json& c = SetCondition(next["status"]["conditions"], "Ready", "Unknown", "NodeStatusUnknown",
                           "Kubelet stopped posting node status.", ts);
    if (ready.is_object() && ready.contains("lastHeartbeatTime")) c["lastHeartbeatTime"] = ready["lastHeartbeatTime"];
    if (api_->UpdateStatus("nodes", "", next).ok()) {
      RecordEvent(*api_, node, "Normal", "NodeNotReady", "Node " + name + " status is now: NodeNotReady", kComponent, now);
    }
  }
  auto current = api_->store().Get("nodes", "", name);
  if (!current) return;
  json next = *current;
  json taints = next.value("spec", json::object()).value("taints", json::array());
  json kept = json::array();
  bool has_no_schedule = false, has_no_execute = false;
  for (const auto& t : taints) {
    if (IsUnreachableTaint(t)) {
      if (!stale) continue;
      has_no_schedule |= t.value("effect", "") == "NoSchedule";
      has_no_execute |= t.value("effect", "") == "NoExecute";
    }
    kept.push_back(t);
  }
  if (stale && !has_no_schedule) kept.push_back({{"key", kUnreachableTaint}, {"effect", "NoSchedule"}, {"timeAdded", ts}});
  if (stale && !has_no_execute) kept.push_back({{"key", kUnreachableTaint}, {"effect", "NoExecute"}, {"timeAdded", ts}});
  if (kept == taints) return;
  if (kept.empty()) {
    next["spec"].erase("taints");
  } else {
    next["spec"]["taints"] = kept;
  }
  api_->Update("nodes", "", name, next);
}

void NodeLifecycle::MarkPodNotReady(const json& pod, WallTime now) {
  json ready = FindCondition(pod, "Ready");
  if (ready.is_object() && ready.value("status", "") == "False") return;
  json next = pod;
  SetCondition(next["status"]["conditions"], "Ready", "False", "", "", FormatRfc3339(now));
  api_->UpdateStatus("pods", pod["metadata"].value("namespace", ""), next);
}

void NodeLifecycle::Evict(const json& pod, WallTime now) {
  const std::string ns = pod["metadata"].value("namespace", ""), name = pod["metadata"].value("name", "");
  if (auto cur = api_->store().Get("pods", ns, name)) {
    json next = *cur;
    SetCondition(next["status"]["conditions"], "DisruptionTarget", "True", "DeletionByTaintManager",
                 "Taint manager: deleting due to NoExecute taint", FormatRfc3339(now));
    api_->UpdateStatus("pods", ns, next);
  }
  RecordEvent(*api_, pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod " + ns + "/" + name, "taint-eviction-controller", now);
  api_->Delete("pods", ns, name);
}

}  // namespace tusk::localkube
