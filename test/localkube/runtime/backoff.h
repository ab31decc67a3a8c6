// Kubernetes' crash-loop back-off for container restarts, as a pure function
// of the restart history, so the kubelet loop only asks "when may this
// container start again?" and tests check the schedule without sleeping.
#pragma once

#include <string_view>

#include "common/base/clock.h"

namespace tusk::localkube {

inline constexpr Duration kBackoffInitial = std::chrono::seconds(10);
inline constexpr Duration kBackoffMax = std::chrono::seconds(300);
// A container that ran this long without trouble starts over from no delay.
inline constexpr Duration kBackoffReset = std::chrono::minutes(10);

struct RestartBackoff {
  // Restarts in the current crash sequence.
  int restarts = 0;
};

// The delay before restart number `restarts` + 1 of a sequence: 0, 10 s,
// 20 s, 40 s, ... capped at 300 s.
Duration BackoffForStep(int restarts);

// The delay before restarting a container that started at `started` and
// exited at `exited`, and the back-off state to keep. The first restart is
// immediate, then 10 s doubling up to 300 s; a run of 10 minutes or more
// resets the sequence.
struct BackoffDecision {
  Duration delay{0};
  RestartBackoff next;
};
BackoffDecision NextRestartDelay(const RestartBackoff& state, MonoTime started, MonoTime exited);

// Whether a container that exited with `exit_code` is restarted under the
// pod's restartPolicy ("Always", "OnFailure", "Never").
bool ShouldRestart(std::string_view restart_policy, int exit_code);

}  // namespace tusk::localkube
