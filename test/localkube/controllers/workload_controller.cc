#include "test/localkube/controllers/workload_controller.h"

#include <map>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/deployment_plan.h"
#include "test/localkube/controllers/replica_set_plan.h"

namespace tusk::localkube {
namespace {

// Objects grouped by the uid of their controller.
std::map<std::string, std::vector<json>> ByController(std::vector<json> objects) {
  std::map<std::string, std::vector<json>> out;
  for (auto& o : objects) {
    for (const auto& r : o["metadata"].value("ownerReferences", json::array())) {
      if (r.value("controller", false)) {
        out[r.value("uid", "")].push_back(std::move(o));
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<Duration> WorkloadController::Reconcile() {
  bool ok = SyncDeployments();
  ok &= SyncReplicaSets();
  if (!ok) return std::chrono::milliseconds(100);
  // minReadySeconds turns pods available without any write: look again soon.
  return std::chrono::seconds(1);
}

bool WorkloadController::SyncDeployments() {
  bool ok = true;
  auto pods = ByController(ListObjects(*api_, "pods"));
  auto rss = ByController(ListObjects(*api_, "replicasets.apps"));
  for (const auto& d : ListObjects(*api_, "deployments.apps")) {
    if (IsDeleting(d)) continue;
    const json& m = d["metadata"];
    const std::string ns = m.value("namespace", ""), name = m.value("name", "");
    const auto& owned = rss[m.value("uid", "")];
    DeploymentPlan plan = PlanDeployment(d, owned, pods, clock_.WallNow());
    if (plan.create) {
      auto r = api_->Create("replicasets.apps", ns, *plan.create);
      ok &= r.ok() || r.error().code == 409;
    }
    for (const auto& rs : plan.update) {
      ok &= api_->Update("replicasets.apps", ns, rs["metadata"].value("name", ""), rs).ok();
    }
    for (const auto& rs : plan.remove) api_->Delete("replicasets.apps", ns, rs);
    if (m.value("annotations", json::object()).value(kRevisionAnnotation, "") != plan.revision) {
      json next = d;
      next["metadata"]["annotations"][kRevisionAnnotation] = plan.revision;
      auto r = api_->Update("deployments.apps", ns, name, next);
      if (!r.ok()) {
        ok = false;
        continue;
      }
      plan.status["observedGeneration"] = r->object["metadata"].value("generation", 1);
      json st = r->object;
      st["status"] = plan.status;
      ok &= api_->UpdateStatus("deployments.apps", ns, st).ok();
    } else if (d.value("status", json::object()) != plan.status) {
      json st = d;
      st["status"] = plan.status;
      ok &= api_->UpdateStatus("deployments.apps", ns, st).ok();
    }
  }
  return ok;
}

bool WorkloadController::SyncReplicaSets() {
  bool ok = true;
  auto pods = ByController(ListObjects(*api_, "pods"));
  for (const auto& rs : ListObjects(*api_, "replicasets.apps")) {
    if (IsDeleting(rs)) continue;
    const json& m = rs["metadata"];
    const std::string ns = m.value("namespace", "");
    ReplicaSetPlan plan = PlanReplicaSet(rs, pods[m.value("uid", "")], clock_.WallNow());
    for (int i = 0; i < plan.create; ++i) ok &= api_->Create("pods", ns, PodForReplicaSet(rs)).ok();
    for (const auto& p : plan.delete_pods) api_->Delete("pods", ns, p);
    if (rs.value("status", json::object()) != plan.status) {
      json st = rs;
      st["status"] = plan.status;
      ok &= api_->UpdateStatus("replicasets.apps", ns, st).ok();
    }
  }
  return ok;
}

}  // namespace tusk::localkube
