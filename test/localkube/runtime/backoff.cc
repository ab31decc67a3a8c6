#include "test/localkube/runtime/backoff.h"

#include <algorithm>

namespace tusk::localkube {

Duration BackoffForStep(int restarts) {
  // Kubernetes restarts a container the first time it dies right away and
  // backs off from the second time on.
  if (restarts <= 0) return Duration{0};
  Duration delay = kBackoffInitial;
  for (int i = 1; i < restarts && delay < kBackoffMax; ++i) delay *= 2;
  return std::min(delay, kBackoffMax);
}

BackoffDecision NextRestartDelay(const RestartBackoff& state, MonoTime started, MonoTime exited) {
  RestartBackoff next{exited - started >= kBackoffReset ? 0 : state.restarts};
  Duration delay = BackoffForStep(next.restarts);
  ++next.restarts;
  return {delay, next};
}

bool ShouldRestart(std::string_view restart_policy, int exit_code) {
  if (restart_policy == "Never") return false;
  if (restart_policy == "OnFailure") return exit_code != 0;
  return true;  // "Always" and the default
}

}  // namespace tusk::localkube
