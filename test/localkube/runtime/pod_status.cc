#include "test/localkube/runtime/pod_status.h"

#include <ctime>

namespace tusk::localkube {
namespace {

using nlohmann::json;

json TerminatedJson(const TerminatedState& t, const std::string& container_id) {
  json j = {{"exitCode", t.exit_code},
            {"reason", t.reason},
            {"startedAt", FormatRfc3339(t.started_at)},
            {"finishedAt", FormatRfc3339(t.finished_at)}};
  if (t.signal != 0) j["signal"] = t.signal;
  if (!t.message.empty()) j["message"] = t.message;
  if (!container_id.empty()) j["containerID"] = container_id;
  return j;
}

json ContainerStatusJson(const ContainerSpec& spec, const ContainerRecord& r) {
  json state;
  switch (r.state) {
    case ContainerRecord::State::kWaiting: {
      json w = {{"reason", r.waiting_reason}};
      if (!r.waiting_message.empty()) w["message"] = r.waiting_message;
      state["waiting"] = w;
      break;
    }
    case ContainerRecord::State::kRunning:
      state["running"] = {{"startedAt", FormatRfc3339(r.started_at)}};
      break;
    case ContainerRecord::State::kTerminated:
      state["terminated"] = TerminatedJson(*r.terminated, r.container_id);
      break;
  }
  json status = {{"name", spec.name},
                 {"image", spec.image},
                 {"imageID", "localkube://" + spec.image},
                 {"ready", r.ready},
                 {"started", r.state == ContainerRecord::State::kRunning && r.started},
                 {"restartCount", r.restart_count},
                 {"state", state},
                 {"lastState", json::object()}};
  if (!r.container_id.empty()) status["containerID"] = r.container_id;
  if (r.last_terminated) status["lastState"]["terminated"] = TerminatedJson(*r.last_terminated, "");
  return status;
}

bool Succeeded(const ContainerRecord& r) {
  return r.state == ContainerRecord::State::kTerminated && r.terminated->exit_code == 0;
}

bool InitDone(const std::vector<ContainerRecord>& init) {
  for (const auto& r : init) {
    if (!Succeeded(r)) return false;
  }
  return true;
}

json Condition(const std::string& type, bool value, const std::string& reason, const json& previous, WallTime now) {
  const std::string status = value ? "True" : "False";
  std::string transition = FormatRfc3339(now);
  const json none = json::array();
  const json& conditions = previous.is_object() && previous.contains("conditions") ? previous["conditions"] : none;
  for (const auto& c : conditions) {
    if (c.value("type", "") == type && c.value("status", "") == status) {
      transition = c.value("lastTransitionTime", transition);
    }
  }
  json j = {{"type", type}, {"status", status}, {"lastProbeTime", nullptr}, {"lastTransitionTime", transition}};
  if (!value && !reason.empty()) j["reason"] = reason;
  return j;
}

}  // namespace


TerminatedState MakeTerminated(int exit_code, int signal, WallTime started, WallTime finished) {
  TerminatedState t;
  t.exit_code = exit_code;
  t.signal = signal;
  t.reason = exit_code == 0 && signal == 0 ? "Completed" : "Error";
  t.started_at = started;
  t.finished_at = finished;
  return t;
}

std::string PodPhase(const PodSpec& spec, const std::vector<ContainerRecord>& init,
                     const std::vector<ContainerRecord>& main) {
  if (!InitDone(init)) {
    for (const auto& r : init) {
      const bool failed = r.state == ContainerRecord::State::kTerminated && r.terminated->exit_code != 0;
      if (failed && spec.restart_policy == "Never") return "Failed";
    }
    return "Pending";
  }
  int running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const auto& r : main) {
    switch (r.state) {
      case ContainerRecord::State::kRunning:
        ++running;
        break;
      case ContainerRecord::State::kTerminated:
        ++stopped;
        if (r.terminated->exit_code == 0) ++succeeded;
        break;
      case ContainerRecord::State::kWaiting:
        // A container waiting to be restarted has run before: it counts as
        // stopped, not as never started.
        if (r.last_terminated) {
          ++stopped;
          if (r.last_terminated->exit_code == 0) ++succeeded;
        } else {
          ++waiting;
        }
        break;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped == static_cast<int>(main.size())) {
    if (spec.restart_policy == "Always") return "Running";
    if (succeeded == stopped) return "Succeeded";
    if (spec.restart_policy == "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

json ComputePodStatus(const PodSpec& spec, const std::vector<ContainerRecord>& init,
                      const std::vector<ContainerRecord>& main, const PodFacts& facts, const json& previous,
                      WallTime now) {
  const std::string phase = PodPhase(spec, init, main);
  json status = {{"phase", phase}, {"qosClass", "BestEffort"}};
  json init_statuses = json::array();
  for (size_t i = 0; i < init.size() && i < spec.init_containers.size(); ++i) {
    init_statuses.push_back(ContainerStatusJson(spec.init_containers[i], init[i]));
  }
  json statuses = json::array();
  bool all_ready = !main.empty();
  for (size_t i = 0; i < main.size() && i < spec.containers.size(); ++i) {
    statuses.push_back(ContainerStatusJson(spec.containers[i], main[i]));
    all_ready = all_ready && main[i].ready;
  }
  if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
  status["containerStatuses"] = statuses;
  const bool finished = phase == "Succeeded" || phase == "Failed";
  const bool initialized = InitDone(init);
  const std::string not_ready_reason = finished ? "PodCompleted" : "ContainersNotReady";
  status["conditions"] = json::array({
      Condition("PodReadyToStartContainers", facts.sandbox_ready, "", previous, now),
      Condition("Initialized", initialized || finished, "ContainersNotInitialized", previous, now),
      Condition("Ready", all_ready && !finished, not_ready_reason, previous, now),
      Condition("ContainersReady", all_ready && !finished, not_ready_reason, previous, now),
      Condition("PodScheduled", true, "", previous, now),
  });
  if (!facts.host_ip.empty()) {
    status["hostIP"] = facts.host_ip;
    status["hostIPs"] = json::array({{{"ip", facts.host_ip}}});
  }
  if (!facts.pod_ip.empty()) {
    status["podIP"] = facts.pod_ip;
    status["podIPs"] = json::array({{{"ip", facts.pod_ip}}});
  }
  if (facts.start_time) status["startTime"] = FormatRfc3339(*facts.start_time);
  return status;
}

}  // namespace tusk::localkube
