// A desired state the test sets directly; every Set wakes the manager.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>

#include "instance-manager/desired_state.h"

namespace tusk::instance {

class FakeDesiredState final : public DesiredStateSource {
 public:
  explicit FakeDesiredState(pg::ClusterView view) : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), view_(std::move(view)) {}
  ~FakeDesiredState() override { ::close(fd_); }

  void Set(const pg::ClusterView& view) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      view_ = view;
    }
    uint64_t one = 1;
    ssize_t n = ::write(fd_, &one, sizeof(one));
    (void)n;
  }
  pg::ClusterView Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return view_;
  }

  int fd() const override { return fd_; }
  bool Drain() override {
    uint64_t v;
    return ::read(fd_, &v, sizeof(v)) > 0;
  }
  StatusOr<pg::ClusterView> Read() override { return Get(); }

 private:
  int fd_;
  mutable std::mutex mu_;
  pg::ClusterView view_;
};

}  // namespace tusk::instance
