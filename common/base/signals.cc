#include "common/base/signals.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>

namespace tusk {
namespace {

struct NamedSignal {
  int number;
  const char* name;
};

constexpr NamedSignal kSignals[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
    {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    {SIGWINCH, "SIGWINCH"},
};

}  // namespace

StatusOr<SignalFd> SignalFd::Create(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return ErrnoError("pthread_sigmask", err);
  }
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return ErrnoError("signalfd", errno);
  return SignalFd(fd, set);
}

SignalFd::SignalFd(SignalFd&& other) noexcept : fd_(other.fd_), set_(other.set_) { other.fd_ = -1; }

SignalFd& SignalFd::operator=(SignalFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    set_ = other.set_;
    other.fd_ = -1;
  }
  return *this;
}

SignalFd::~SignalFd() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<int> SignalFd::Read() {
  signalfd_siginfo info;
  ssize_t n;
  do {
    n = ::read(fd_, &info, sizeof(info));
  } while (n < 0 && errno == EINTR);
  if (n != sizeof(info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

std::optional<int> SignalFd::Wait(int timeout_ms) {
  if (auto s = Read()) return s;
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return std::nullopt;
  return Read();
}

void IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }

std::string SignalName(int sig) {
  for (const auto& s : kSignals) {
    if (s.number == sig) return s.name;
  }
  return "SIG" + std::to_string(sig);
}

StatusOr<int> ParseSignal(std::string_view name) {
  int number = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
  if (ec == std::errc() && ptr == name.data() + name.size()) {
    if (number <= 0 || number >= NSIG) return InvalidArgumentError("signal number out of range: " + std::string(name));
    return number;
  }
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper.rfind("SIG", 0) != 0) upper = "SIG" + upper;
  for (const auto& s : kSignals) {
    if (upper == s.name) return s.number;
  }
  return InvalidArgumentError("unknown signal: " + std::string(name));
}

}  // namespace tusk
