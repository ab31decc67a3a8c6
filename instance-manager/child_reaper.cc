#include "instance-manager/child_reaper.h"

#include <sys/wait.h>

#include <cerrno>

namespace tusk::instance {

StatusOr<std::unique_ptr<Subprocess>> ChildRegistry::Start(const SubprocessOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto p = Subprocess::Start(options);
  if (p.ok()) owned_.insert((*p)->pid());
  return p;
}

StatusOr<pid_t> ChildRegistry::StartOwned(const std::function<StatusOr<pid_t>()>& fork_and_exec) {
  std::lock_guard<std::mutex> lock(mu_);
  auto pid = fork_and_exec();
  if (pid.ok()) owned_.insert(*pid);
  return pid;
}

void ChildRegistry::Release(pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  owned_.erase(pid);
}

StatusOr<SubprocessResult> ChildRegistry::Run(const SubprocessOptions& options, std::optional<Duration> timeout) {
  ASSIGN_OR_RETURN(auto p, Start(options));
  auto r = p->Communicate(timeout);
  Release(p->pid());
  return r;
}

int ChildRegistry::ReapOrphans() {
  std::lock_guard<std::mutex> lock(mu_);
  int reaped = 0;
  while (true) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) break;  // ECHILD: no children
    if (info.si_pid == 0) break;                                              // none has exited
    if (owned_.count(info.si_pid)) break;
    int wstatus;
    if (::waitpid(info.si_pid, &wstatus, WNOHANG) > 0) ++reaped;
  }
  return reaped;
}

}  // namespace tusk::instance
