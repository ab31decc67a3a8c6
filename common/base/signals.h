// Signals as file descriptors: a process blocks the signals it handles and
// reads them from a signalfd in its event loop, so no handler runs at an
// arbitrary point. Subprocess undoes the mask in its children.
#pragma once

#include <csignal>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace tusk {

class SignalFd {
 public:
  // Blocks `signals` for the calling thread and creates the fd. Call it in
  // main() before starting threads, so every thread inherits the mask and
  // the signals are only ever delivered here.
  static StatusOr<SignalFd> Create(std::initializer_list<int> signals);

  SignalFd(SignalFd&& other) noexcept;
  SignalFd& operator=(SignalFd&& other) noexcept;
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd();

  // Readable when a signal is pending (for poll/epoll/asio).
  int fd() const { return fd_; }
  // The next pending signal, or nullopt when none is pending.
  std::optional<int> Read();
  // Blocks until one arrives or `timeout_ms` passes (-1: forever).
  std::optional<int> Wait(int timeout_ms);

 private:
  explicit SignalFd(int fd, sigset_t set) : fd_(fd), set_(set) {}
  int fd_ = -1;
  sigset_t set_{};
};

// SIGPIPE would kill the process on a write to a closed socket; writers
// check EPIPE instead.
void IgnoreSigpipe();

// "SIGTERM"; "SIG42" for numbers without a name.
std::string SignalName(int sig);
// Accepts "TERM", "SIGTERM", "sigterm" and "15".
StatusOr<int> ParseSignal(std::string_view name);

}  // namespace tusk
