#include "test/localkube/controllers/job_controller.h"

#include <map>

#include "test/localkube/controllers/job_plan.h"

namespace tusk::localkube {

std::optional<Duration> JobController::Reconcile() {
  std::map<std::string, std::vector<json>> pods;  // by controller uid
  for (auto& p : ListObjects(*api_, "pods")) {
    for (const auto& r : p["metadata"].value("ownerReferences", json::array())) {
      if (r.value("controller", false) && r.value("kind", "") == "Job") pods[r.value("uid", "")].push_back(p);
    }
  }
  std::optional<Duration> wake;
  bool ok = true;
  for (const auto& job : ListObjects(*api_, "jobs.batch")) {
    if (IsDeleting(job)) continue;
    const json& m = job["metadata"];
    const std::string ns = m.value("namespace", ""), name = m.value("name", "");
    WallTime now = clock_.WallNow();
    JobPlan plan = PlanJob(job, pods[m.value("uid", "")], now);
    if (plan.remove_job) {
      DeleteOptions opts;
      opts.propagation_policy = "Background";
      api_->Delete("jobs.batch", ns, name, opts);
      continue;
    }
    for (int i = 0; i < plan.create; ++i) ok &= api_->Create("pods", ns, PodForJob(job)).ok();
    for (const auto& p : plan.delete_pods) api_->Delete("pods", ns, p);
    if (job.value("status", json::object()) != plan.status) {
      json st = job;
      st["status"] = plan.status;
      ok &= api_->UpdateStatus("jobs.batch", ns, st).ok();
    }
    if (plan.wake_after && (!wake || *plan.wake_after < *wake)) wake = plan.wake_after;
  }
  if (!ok) return std::chrono::milliseconds(100);
  return wake;
}

}  // namespace tusk::localkube
