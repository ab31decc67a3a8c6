#include "test/localkube/controllers/deployment_plan.h"

#include <algorithm>
#include <cmath>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {
namespace {

int Replicas(const json& obj) { return obj.value("spec", json::object()).value("replicas", 1); }

int Revision(const json& rs) {
  std::string r = rs["metadata"].value("annotations", json::object()).value(kRevisionAnnotation, "0");
  try {
    return std::stoi(r);
  } catch (const std::exception&) {
    return 0;
  }
}

struct RsState {
  json rs;
  int active = 0, ready = 0, available = 0;
  bool changed = false;
  int spec() const { return Replicas(rs); }
  void Scale(int n) {
    if (n == spec()) return;
    rs["spec"]["replicas"] = n;
    changed = true;
  }
};

json NewReplicaSet(const json& d, const std::string& hash, int replicas, int revision, int max_surge) {
  json tmpl = d["spec"].value("template", json::object());
  tmpl["metadata"]["labels"][kPodTemplateHash] = hash;
  json selector = d["spec"].value("selector", json::object());
  selector["matchLabels"][kPodTemplateHash] = hash;
  const int want = Replicas(d);
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata", {{"name", d["metadata"].value("name", "") + "-" + hash},
                        {"namespace", d["metadata"].value("namespace", "")},
                        {"labels", tmpl["metadata"]["labels"]},
                        {"annotations", {{kRevisionAnnotation, std::to_string(revision)},
                                         {"deployment.kubernetes.io/desired-replicas", std::to_string(want)},
                                         {"deployment.kubernetes.io/max-replicas", std::to_string(want + max_surge)}}},
                        {"ownerReferences", json::array({ControllerRef(d)})}}},
          {"spec", {{"replicas", replicas},
                    {"minReadySeconds", d["spec"].value("minReadySeconds", 0)},
                    {"selector", selector},
                    {"template", tmpl}}}};
}

}  // namespace

std::string PodTemplateHash(const json& pod_template) {
  uint32_t h = 2166136261u;
  for (unsigned char c : pod_template.dump()) {
    h ^= c;
    h *= 16777619u;
  }
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out += alphabet[static_cast<unsigned char>(c) % (sizeof alphabet - 1)];
  return out;
}

int ResolveIntOrPercent(const json& value, int replicas, bool round_up) {
  if (value.is_number_integer()) return value.get<int>();
  if (!value.is_string()) return 0;
  std::string s = value.get<std::string>();
  if (s.empty() || s.back() != '%') return std::atoi(s.c_str());
  double v = std::atof(s.substr(0, s.size() - 1).c_str()) * replicas / 100.0;
  return static_cast<int>(round_up ? std::ceil(v) : std::floor(v));
}

DeploymentPlan PlanDeployment(const json& d, const std::vector<json>& replica_sets,
                              const std::map<std::string, std::vector<json>>& pods_by_rs, WallTime now) {
  DeploymentPlan plan;
  const json spec = d.value("spec", json::object());
  const int replicas = Replicas(d);
  const int64_t min_ready = spec.value("minReadySeconds", int64_t{0});
  const json strategy = spec.value("strategy", json::object());
  const bool recreate = strategy.value("type", "RollingUpdate") == "Recreate";
  const json rolling = strategy.value("rollingUpdate", json::object());
  int max_surge = recreate ? 0 : ResolveIntOrPercent(rolling.value("maxSurge", json("25%")), replicas, true);
  int max_unavailable = recreate ? 0 : ResolveIntOrPercent(rolling.value("maxUnavailable", json("25%")), replicas, false);
  if (!recreate && max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
  const std::string hash = PodTemplateHash(spec.value("template", json::object()));

  std::vector<RsState> all;
  int max_old_revision = 0;
  int new_index = -1;
  for (const auto& rs : replica_sets) {
    RsState s{rs};
    auto it = pods_by_rs.find(rs["metadata"].value("uid", ""));
    for (const auto& p : it == pods_by_rs.end() ? std::vector<json>{} : it->second) {
      if (!PodActive(p)) continue;
      ++s.active;
      s.ready += PodReady(p) ? 1 : 0;
      s.available += PodAvailable(p, min_ready, now) ? 1 : 0;
    }
    if (rs["metadata"].value("labels", json::object()).value(kPodTemplateHash, "") == hash && new_index < 0) {
      new_index = static_cast<int>(all.size());
    } else {
      max_old_revision = std::max(max_old_revision, Revision(rs));
    }
    all.push_back(std::move(s));
  }
  // A paused Deployment rolls nothing out: the newest ReplicaSet stays current.
  const bool paused = spec.value("paused", false);
  if (paused && new_index < 0) {
    if (all.empty()) {
      plan.status = d.value("status", json::object());
      plan.status["observedGeneration"] = d["metadata"].value("generation", 1);
      SetCondition(plan.status["conditions"], "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                   FormatRfc3339(now))["lastUpdateTime"] = FormatRfc3339(now);
      return plan;
    }
    new_index = 0;
    for (int i = 1; i < static_cast<int>(all.size()); ++i) {
      if (Revision(all[i].rs) > Revision(all[new_index].rs)) new_index = i;
    }
    max_old_revision = 0;
    for (int i = 0; i < static_cast<int>(all.size()); ++i) {
      if (i != new_index) max_old_revision = std::max(max_old_revision, Revision(all[i].rs));
    }
  }
  int old_specs = 0, old_active = 0, all_specs = 0, all_available = 0;
  for (int i = 0; i < static_cast<int>(all.size()); ++i) {
    all_specs += all[i].spec();
    all_available += all[i].available;
    if (i != new_index) {
      old_specs += all[i].spec();
      old_active += all[i].active;
    }
  }
  bool created = false;
  if (new_index < 0) {
    int initial = replicas;
    if (recreate) {
      initial = old_active > 0 || old_specs > 0 ? 0 : replicas;
    } else if (old_specs > 0) {
      initial = std::clamp(replicas + max_surge - all_specs, 0, replicas);
    }
    json rs = NewReplicaSet(d, hash, initial, max_old_revision + 1, max_surge);
    plan.create = rs;
    all.push_back(RsState{rs});
    new_index = static_cast<int>(all.size()) - 1;
    all_specs += initial;
    created = true;
  }
  RsState& fresh = all[new_index];
  if (Revision(fresh.rs) <= max_old_revision) {  // rolled back to an older template
    fresh.rs["metadata"]["annotations"][kRevisionAnnotation] = std::to_string(max_old_revision + 1);
    fresh.changed = true;
  }
  plan.revision = std::to_string(Revision(fresh.rs));
  if (paused) {
    if (old_specs == 0) fresh.Scale(replicas);  // scaling still applies
  } else if (!created) {
    if (recreate) {
      if (old_specs > 0) {
        for (int i = 0; i < static_cast<int>(all.size()); ++i) {
          if (i != new_index) all[i].Scale(0);
        }
      } else if (old_active == 0) {
        fresh.Scale(replicas);
      }
    } else if (old_specs == 0 || fresh.spec() > replicas) {
      fresh.Scale(replicas);
    } else if (fresh.spec() < replicas && all_specs < replicas + max_surge) {
      fresh.Scale(std::min(fresh.spec() + replicas + max_surge - all_specs, replicas));
    } else {
      // Scale old ReplicaSets down as far as availability allows: first
      // their unhealthy pods, then healthy ones down to minAvailable.
      const int min_available = replicas - max_unavailable;
      const int new_unavailable = fresh.spec() - fresh.available;
      int budget = all_specs - min_available - new_unavailable;
      std::vector<int> old;
      for (int i = 0; i < static_cast<int>(all.size()); ++i) {
        if (i != new_index && all[i].spec() > 0) old.push_back(i);
      }
      std::sort(old.begin(), old.end(), [&](int a, int b) { return Revision(all[a].rs) < Revision(all[b].rs); });
      for (int i : old) {
        if (budget <= 0) break;
        int unhealthy = std::max(all[i].spec() - all[i].available, 0);
        int n = std::min(budget, unhealthy);
        all[i].Scale(all[i].spec() - n);
        budget -= n;
      }
      int healthy_budget = all_available - min_available;
      for (int i : old) {
        if (healthy_budget <= 0) break;
        int n = std::min(all[i].spec(), healthy_budget);
        n = std::min(n, std::max(all[i].available, 0));
        all[i].Scale(all[i].spec() - n);
        healthy_budget -= n;
      }
    }
  }
  fresh.rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = std::to_string(replicas);
  fresh.rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] = std::to_string(replicas + max_surge);
  if (!created && fresh.rs != replica_sets[new_index]) fresh.changed = true;
  for (int i = 0; i < static_cast<int>(all.size()); ++i) {
    if (all[i].changed && !(created && i == new_index)) plan.update.push_back(all[i].rs);
  }
  if (created) plan.create = fresh.rs;

  // History: idle old ReplicaSets beyond revisionHistoryLimit, oldest first.
  std::vector<int> idle;
  for (int i = 0; i < static_cast<int>(all.size()); ++i) {
    if (i != new_index && all[i].spec() == 0 && all[i].active == 0) idle.push_back(i);
  }
  std::sort(idle.begin(), idle.end(), [&](int a, int b) { return Revision(all[a].rs) < Revision(all[b].rs); });
  const int limit = spec.value("revisionHistoryLimit", 10);
  for (int i = 0; i + limit < static_cast<int>(idle.size()); ++i) {
    plan.remove.push_back(all[idle[i]].rs["metadata"].value("name", ""));
  }

  int total = 0, ready = 0, available = 0;
  for (const auto& s : all) {
    total += s.active;
    ready += s.ready;
    available += s.available;
  }
  const json old_status = d.value("status", json::object());
  json status = old_status;
  status["observedGeneration"] = d["metadata"].value("generation", 1);
  status["replicas"] = total;
  status["updatedReplicas"] = fresh.active;
  status["readyReplicas"] = ready;
  status["availableReplicas"] = available;
  status["unavailableReplicas"] = std::max(replicas - available, 0);
  const std::string ts = FormatRfc3339(now);
  json& conds = status["conditions"];
  json before = conds;
  const bool minimum = available >= replicas - max_unavailable;
  SetCondition(conds, "Available", minimum ? "True" : "False",
               minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
               minimum ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", ts);
  const std::string rs_name = fresh.rs["metadata"].value("name", "");
  const bool complete = fresh.active == replicas && fresh.available == replicas && total == replicas &&
                        fresh.spec() == replicas;
  if (paused) {
    SetCondition(conds, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", ts);
  } else if (complete) {
    SetCondition(conds, "Progressing", "True", "NewReplicaSetAvailable",
                 "ReplicaSet \"" + rs_name + "\" has successfully progressed.", ts);
  } else if (created) {
    SetCondition(conds, "Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"" + rs_name + "\"", ts);
  } else {
    // No change in the pod counts for progressDeadlineSeconds: the rollout
    // is stuck, as kubectl rollout status reports it.
    bool progressed = false;
    for (const char* k : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) {
      progressed |= old_status.value(k, -1) != status.value(k, -2);
    }
    json prev = FindCondition(json{{"status", old_status}}, "Progressing");
    auto last = ParseRfc3339(prev.value("lastUpdateTime", ""));
    const auto deadline = std::chrono::seconds(spec.value("progressDeadlineSeconds", int64_t{600}));
    const bool stuck = !progressed && (prev.value("reason", "") == "ProgressDeadlineExceeded" ||
                                       (last && prev.value("reason", "") == "ReplicaSetUpdated" && *last + deadline < now));
    if (stuck) {
      SetCondition(conds, "Progressing", "False", "ProgressDeadlineExceeded",
                   "ReplicaSet \"" + rs_name + "\" has timed out progressing.", ts);
    } else {
      json& c = SetCondition(conds, "Progressing", "True", "ReplicaSetUpdated",
                             "ReplicaSet \"" + rs_name + "\" is progressing.", ts);
      if (progressed) c["lastUpdateTime"] = ts;
    }
  }
  // Conditions whose reason or message moved get a fresh lastUpdateTime.
  for (auto& c : conds) {
    bool same = false;
    for (const auto& b : before.is_array() ? before : json::array()) {
      same |= b.value("type", "") == c.value("type", "") && b.value("reason", "") == c.value("reason", "") &&
              b.value("message", "") == c.value("message", "") && b.value("status", "") == c.value("status", "");
    }
    if (!same || !c.contains("lastUpdateTime")) c["lastUpdateTime"] = ts;
  }
  plan.status = status;
  return plan;
}

}  // namespace tusk::localkube
