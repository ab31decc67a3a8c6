// The one way a test waits for something to become true.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace tusk {

// Checks `condition` every `interval` until it holds or `timeout` has passed,
// and once more at the deadline. Real time: a test on a FakeClock advances
// the clock inside the condition.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::nanoseconds timeout = std::chrono::seconds(10),
                       std::chrono::nanoseconds interval = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace tusk
