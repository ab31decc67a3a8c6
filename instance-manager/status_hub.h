// The latest InstanceStatus, shared between the loop that collects it and
// the servers that report it. Watchers wait for a newer version with a
// deadline, which is how WatchStatus sends a change at once and a
// heartbeat otherwise.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

class StatusHub {
 public:
  // Stores `status`; bumps the version only when something other than the
  // report time and sequence changed.
  void Publish(const v1::InstanceStatus& status);
  v1::InstanceStatus Latest(uint64_t* version = nullptr) const;
  // Waits until the version passes `seen` or `timeout` elapses or Close();
  // returns the current version.
  uint64_t WaitNewer(uint64_t seen, std::chrono::milliseconds timeout) const;
  void Close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  v1::InstanceStatus latest_;
  std::string latest_key_;
  uint64_t version_ = 0;
  bool closed_ = false;
};

}  // namespace tusk::instance
