// Zombie reaping for PID 1 without stealing exit statuses.
//
// As PID 1 of a pod the manager inherits every orphan in the PID namespace
// and must reap them, but its own children (postgres, pg_rewind, initdb...)
// are reaped by their owners with waitpid(pid), and a blind waitpid(-1)
// would take their statuses first. The choice made here: one registry of
// owned PIDs, and a reaper that peeks with waitid(P_ALL, WNOWAIT), reaps the
// zombie only when its PID is not owned, and otherwise leaves it to its
// owner and retries on the next SIGCHLD or tick. Spawning holds the
// registry lock from fork to registration, so a child that exits at once is
// never mistaken for an orphan.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "common/base/status.h"
#include "common/base/subprocess.h"

namespace tusk::instance {

class ChildRegistry {
 public:
  // Starts a child and records it as owned until Release().
  StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  // Runs `fork_and_exec` (which returns the new PID) under the registry lock
  // and records the PID as owned.
  StatusOr<pid_t> StartOwned(const std::function<StatusOr<pid_t>()>& fork_and_exec);
  // Forgets `pid` once its owner has reaped it.
  void Release(pid_t pid);

  // Start + Communicate + Release.
  StatusOr<SubprocessResult> Run(const SubprocessOptions& options, std::optional<Duration> timeout);

  // Reaps every zombie that is not owned; returns how many. Stops at the
  // first owned zombie (its owner reaps it; the next call continues).
  int ReapOrphans();

 private:
  std::mutex mu_;
  std::set<pid_t> owned_;
};

}  // namespace tusk::instance
