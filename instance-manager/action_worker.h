// One thread for the manager's long steps (pg_rewind, a configuration check
// with `postgres -C`, a CHECKPOINT), so the loop that owns postgres keeps
// serving signals, RPCs and status reports while they run. One job at a
// time; its end wakes the loop through fd().
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/base/status.h"
#include "instance-manager/role_plan.h"

namespace tusk::instance {

class ActionWorker {
 public:
  ActionWorker();
  ~ActionWorker();  // waits for a running job, then joins
  ActionWorker(const ActionWorker&) = delete;
  ActionWorker& operator=(const ActionWorker&) = delete;

  // Readable when a job has finished (eventfd).
  int fd() const { return event_fd_; }
  // The kind of the job running or finished and not yet taken.
  Background current() const;
  // Starts `job`; current() must be kNone.
  void Start(Background kind, std::function<Status()> job);

  struct Finished {
    Background kind;
    Status status;
  };
  // The job that finished since the last call, if any.
  std::optional<Finished> TakeFinished();

 private:
  void Loop();

  int event_fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Background kind_ = Background::kNone;
  std::function<Status()> job_;
  std::optional<Status> result_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tusk::instance
