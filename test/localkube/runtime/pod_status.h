// Pod status as a pure function of what the kubelet knows about each
// container: containerStatuses (state, lastState, restartCount, ready,
// started), phase and conditions, in the shape `kubectl get pods` reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {

struct TerminatedState {
  int exit_code = 0;
  int signal = 0;
  std::string reason;  // "Completed", "Error", ...
  std::string message;
  WallTime started_at;
  WallTime finished_at;
};

// What the kubelet knows about one container.
struct ContainerRecord {
  enum class State { kWaiting, kRunning, kTerminated };
  State state = State::kWaiting;
  std::string waiting_reason = "ContainerCreating";  // while kWaiting
  std::string waiting_message;
  WallTime started_at;                        // while kRunning
  std::optional<TerminatedState> terminated;  // while kTerminated
  std::optional<TerminatedState> last_terminated;
  int restart_count = 0;
  bool ready = false;
  bool started = false;  // startup probe passed (or none)
  std::string container_id;
};

struct PodFacts {
  std::string pod_ip;
  std::string host_ip;
  std::optional<WallTime> start_time;
  bool sandbox_ready = false;
  bool terminating = false;
};

// The reason a terminated container shows: "Completed" for exit 0, else "Error".
TerminatedState MakeTerminated(int exit_code, int signal, WallTime started, WallTime finished);

// Kubernetes' phase rules: Pending until init containers finish and every
// container has started; Running while any runs or will be restarted;
// Succeeded when all exited 0 and none restarts; Failed when all exited, one
// failed, and the policy does not restart it.
std::string PodPhase(const PodSpec& spec, const std::vector<ContainerRecord>& init,
                     const std::vector<ContainerRecord>& main);

// The full v1 PodStatus. Conditions keep their lastTransitionTime from
// `previous` (the last status computed) when their status did not change.
nlohmann::json ComputePodStatus(const PodSpec& spec, const std::vector<ContainerRecord>& init,
                                const std::vector<ContainerRecord>& main, const PodFacts& facts,
                                const nlohmann::json& previous, WallTime now);

}  // namespace tusk::localkube
