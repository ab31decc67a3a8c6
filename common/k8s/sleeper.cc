#include "common/k8s/sleeper.h"

namespace tusk::k8s {

bool Sleeper::SleepFor(Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  if (interrupted_) return false;
  const uint64_t want = fired_ + 1;
  TimerId id = clock_.AddTimer(clock_.Now() + d, [this] {
    std::lock_guard<std::mutex> inner(mu_);
    ++fired_;
    cv_.notify_all();
  });
  cv_.wait(lock, [&] { return fired_ >= want || interrupted_; });
  if (fired_ >= want) return true;
  lock.unlock();
  clock_.CancelTimer(id);
  return false;
}

void Sleeper::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

bool Sleeper::interrupted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interrupted_;
}

}  // namespace tusk::k8s
