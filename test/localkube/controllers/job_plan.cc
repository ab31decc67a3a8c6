#include "test/localkube/controllers/job_plan.h"

#include <algorithm>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {
namespace {

bool Finished(const json& status, std::string* when) {
  for (const auto& c : status.value("conditions", json::array())) {
    std::string t = c.value("type", "");
    if ((t == "Complete" || t == "Failed") && c.value("status", "") == "True") {
      *when = c.value("lastTransitionTime", "");
      return true;
    }
  }
  return false;
}

// When the Job may replace failed pods again: 10 s after the last failure,
// doubling with each failure, capped at 6 minutes, as the Job controller's
// back-off does. nullopt when no failure time is known.
std::optional<WallTime> RetryAt(const std::vector<json>& pods, int failed) {
  if (failed <= 0) return std::nullopt;
  std::optional<WallTime> last;
  for (const auto& p : pods) {
    if (StrAt(p, "/status/phase"_json_pointer) != "Failed") continue;
    for (const auto& cs : p["status"].value("containerStatuses", json::array())) {
      auto t = ParseRfc3339(StrAt(cs, "/state/terminated/finishedAt"_json_pointer));
      if (t && (!last || *t > *last)) last = t;
    }
  }
  if (!last) return std::nullopt;
  Duration delay = std::chrono::seconds(10);
  for (int i = 1; i < failed && delay < std::chrono::minutes(6); ++i) delay *= 2;
  return *last + std::min<Duration>(delay, std::chrono::minutes(6));
}

}  // namespace

JobPlan PlanJob(const json& job, const std::vector<json>& owned_pods, WallTime now) {
  JobPlan plan;
  const json spec = job.value("spec", json::object());
  json status = job.value("status", json::object());
  const std::string ts = FormatRfc3339(now);
  int active = 0, ready = 0, succeeded = 0, failed = 0;
  std::vector<std::string> active_names;
  for (const auto& p : owned_pods) {
    std::string phase = StrAt(p, "/status/phase"_json_pointer);
    if (phase == "Succeeded") {
      ++succeeded;
    } else if (phase == "Failed") {
      ++failed;
    } else if (!IsDeleting(p)) {
      ++active;
      ready += PodReady(p) ? 1 : 0;
      active_names.push_back(p["metadata"].value("name", ""));
    }
  }
  // Counts never go back when finished pods are deleted.
  succeeded = std::max(succeeded, status.value("succeeded", 0));
  failed = std::max(failed, status.value("failed", 0));

  std::string finished_at;
  if (Finished(status, &finished_at)) {
    plan.delete_pods = active_names;
    status["active"] = 0;
    if (spec.contains("ttlSecondsAfterFinished")) {
      auto at = ParseRfc3339(finished_at);
      auto expiry = (at ? *at : now) + std::chrono::seconds(spec.value("ttlSecondsAfterFinished", int64_t{0}));
      if (expiry <= now) {
        plan.remove_job = true;
      } else {
        plan.wake_after = expiry - now;
      }
    }
    plan.status = status;
    return plan;
  }
  if (spec.value("suspend", false)) {
    plan.delete_pods = active_names;
    plan.status = status;
    return plan;
  }
  if (!status.contains("startTime")) status["startTime"] = ts;
  const int parallelism = spec.value("parallelism", 1);
  const bool has_completions = spec.contains("completions") && !spec["completions"].is_null();
  const int completions = has_completions ? spec.value("completions", 1) : 0;
  const int backoff_limit = spec.value("backoffLimit", 6);

  std::string fail_reason, fail_message;
  if (failed > backoff_limit) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  } else if (spec.contains("activeDeadlineSeconds")) {
    auto start = ParseRfc3339(status.value("startTime", ts));
    auto deadline = (start ? *start : now) + std::chrono::seconds(spec.value("activeDeadlineSeconds", int64_t{0}));
    if (deadline <= now) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    } else {
      plan.wake_after = deadline - now;
    }
  }
  const bool complete = has_completions ? succeeded >= completions : (succeeded > 0 && active == 0);
  json& conds = status["conditions"];
  if (!fail_reason.empty()) {
    SetCondition(conds, "FailureTarget", "True", fail_reason, fail_message, ts);
    SetCondition(conds, "Failed", "True", fail_reason, fail_message, ts);
    plan.delete_pods = active_names;
    active = 0;
    ready = 0;
  } else if (complete) {
    SetCondition(conds, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", ts);
    SetCondition(conds, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", ts);
    status["completionTime"] = ts;
    plan.delete_pods = active_names;
    active = 0;
    ready = 0;
  } else {
    int want = has_completions ? std::min(parallelism, completions - succeeded) : (succeeded > 0 ? 0 : parallelism);
    std::optional<WallTime> retry_at = RetryAt(owned_pods, failed);
    if (want > active && retry_at && *retry_at > now) {
      plan.wake_after = plan.wake_after ? std::min(*plan.wake_after, *retry_at - now) : *retry_at - now;
    } else if (want > active) {
      plan.create = want - active;
    }
    if (want < active) plan.delete_pods.assign(active_names.begin() + want, active_names.end());
  }
  if (conds.empty()) status.erase("conditions");
  status["active"] = active;
  status["ready"] = ready;
  status["succeeded"] = succeeded;
  status["failed"] = failed;
  status["terminating"] = 0;
  plan.status = status;
  return plan;
}

json PodForJob(const json& job) {
  const json& jm = job["metadata"];
  const std::string name = jm.value("name", ""), uid = jm.value("uid", "");
  const json tmpl = job["spec"].value("template", json::object());
  json meta = tmpl.value("metadata", json::object());
  meta.erase("name");
  meta["generateName"] = name + "-";
  meta["namespace"] = jm.value("namespace", "");
  meta["labels"]["batch.kubernetes.io/job-name"] = name;
  meta["labels"]["job-name"] = name;
  meta["labels"]["batch.kubernetes.io/controller-uid"] = uid;
  meta["labels"]["controller-uid"] = uid;
  meta["ownerReferences"] = json::array({ControllerRef(job)});
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", tmpl.value("spec", json::object())}};
}

}  // namespace tusk::localkube
