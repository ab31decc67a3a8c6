#include "instance-manager/status_hub.h"

namespace tusk::instance {

void StatusHub::Publish(const v1::InstanceStatus& status) {
  v1::InstanceStatus keyed = status;
  keyed.clear_reported_unix_ms();
  keyed.clear_sequence();
  std::string key;
  keyed.SerializeToString(&key);
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = status;
  if (key != latest_key_) {
    latest_key_ = std::move(key);
    ++version_;
    cv_.notify_all();
  }
}

v1::InstanceStatus StatusHub::Latest(uint64_t* version) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (version) *version = version_;
  return latest_;
}

uint64_t StatusHub::WaitNewer(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return version_ != seen || closed_; });
  return version_;
}

void StatusHub::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool StatusHub::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace tusk::instance
