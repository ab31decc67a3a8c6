// A wait on a Clock that another thread can cut short: the retry loops of
// informers and leader election sleep through this so Stop() is immediate
// and tests move time with FakeClock.
#pragma once

#include <condition_variable>
#include <mutex>

#include "common/base/clock.h"

namespace tusk::k8s {

class Sleeper {
 public:
  explicit Sleeper(Clock& clock) : clock_(clock) {}
  // True when `d` passed; false when interrupted (now or earlier).
  bool SleepFor(Duration d);
  // Wakes the sleeper and makes every later SleepFor return false at once.
  void Interrupt();
  bool interrupted() const;

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
  uint64_t fired_ = 0;
};

}  // namespace tusk::k8s
