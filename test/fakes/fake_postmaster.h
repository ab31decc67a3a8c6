// A postgres that is not there: Start/Signal/Poll as the manager's loop sees
// them, with the test deciding when it is ready and which signal ends it.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <vector>

#include "instance-manager/postmaster.h"

namespace tusk::instance {

class FakePostmaster final : public Postmaster {
 public:
  FakePostmaster() : exit_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~FakePostmaster() override { ::close(exit_fd_); }

  // --- the test's levers ---
  // Which signals make the fake exit (default: SIGINT and SIGQUIT; a smart
  // shutdown waits for sessions that never end).
  void ExitOn(std::vector<int> signals) {
    std::lock_guard<std::mutex> lock(mu_);
    exit_on_ = std::move(signals);
  }
  void SetReadyAfterStart(bool ready) {
    std::lock_guard<std::mutex> lock(mu_);
    ready_after_start_ = ready;
  }
  // postgres dies by itself (a crash).
  void Crash() {
    std::lock_guard<std::mutex> lock(mu_);
    ExitLocked(ExitInfo{false, -1, SIGKILL});
  }
  std::vector<int> signals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return signals_;
  }
  int starts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return starts_;
  }

  // --- Postmaster ---
  Status Start() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_) return FailedPreconditionError("already running");
    running_ = true;
    ready_ = ready_after_start_;
    ++starts_;
    return OkStatus();
  }
  bool running() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return running_;
  }
  pid_t pid() const override { return running() ? 4242 : -1; }
  int pidfd() const override { return running() ? exit_fd_ : -1; }
  int TakeOutputFd() override { return -1; }
  Status Signal(int sig) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return NotFoundError("not running");
    signals_.push_back(sig);
    for (int s : exit_on_) {
      if (s == sig) ExitLocked(ExitInfo{true, 0, 0});
    }
    return OkStatus();
  }
  std::optional<ExitInfo> Poll() override {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t v;
    ssize_t n = ::read(exit_fd_, &v, sizeof(v));
    (void)n;
    auto e = pending_exit_;
    pending_exit_.reset();
    return e;
  }
  bool ReportsReady() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return running_ && ready_;
  }

 private:
  void ExitLocked(ExitInfo e) {
    if (!running_) return;
    running_ = false;
    ready_ = false;
    pending_exit_ = e;
    uint64_t one = 1;
    ssize_t n = ::write(exit_fd_, &one, sizeof(one));
    (void)n;
  }

  mutable std::mutex mu_;
  int exit_fd_;
  bool running_ = false, ready_ = false, ready_after_start_ = true;
  int starts_ = 0;
  std::vector<int> exit_on_ = {SIGINT, SIGQUIT};
  std::vector<int> signals_;
  std::optional<ExitInfo> pending_exit_;
};

}  // namespace tusk::instance
