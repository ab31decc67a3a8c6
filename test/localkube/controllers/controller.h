// What every localkube controller is to the loop that runs it: the resources
// whose changes wake it, and one level-triggered pass over the current state
// (never relying on having seen a particular event).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"

namespace tusk::localkube {

class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string name() const = 0;
  // Group-resources ("pods", "deployments.apps") whose changes start a pass.
  virtual std::vector<std::string> watches() const = 0;
  // Reconciles everything once. Returns how soon it must run again even if
  // nothing changes (a toleration running out, a conflict to retry).
  virtual std::optional<Duration> Reconcile() = 0;
};

}  // namespace tusk::localkube
