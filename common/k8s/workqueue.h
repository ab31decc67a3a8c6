// The controller work queue: holds each key at most once, never hands a key
// to two workers at the same time (a key re-added while being processed waits
// for Done), delays re-adds with per-key exponential back-off (5 ms doubling
// to 1000 s, as controller-runtime) and supports requeue-after. Time comes
// from a Clock, so tests drive the back-off with FakeClock.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::k8s {

struct BackoffPolicy {
  Duration base = std::chrono::milliseconds(5);
  Duration max = std::chrono::seconds(1000);
};

class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock, BackoffPolicy backoff = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  // Adds the key once `delay` has passed; an earlier pending re-add wins.
  void AddAfter(const std::string& key, Duration delay);
  // Re-adds after the key's next back-off step (a failure).
  void AddRateLimited(const std::string& key);
  // Clears the key's failure count (a success).
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;
  // The delay the next AddRateLimited would use.
  Duration NextBackoff(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut down and drained.
  std::optional<std::string> Get();
  // Marks the key processed; if it was re-added meanwhile it becomes ready.
  void Done(const std::string& key);

  // Stops accepting keys and cancels delayed re-adds; Get drains what is
  // queued and then returns nullopt.
  void ShutDown();
  bool shutting_down() const;
  size_t Len() const;       // keys ready to be handed out
  size_t Delayed() const;   // keys waiting for a delayed re-add

 private:
  void AddLocked(const std::string& key);

  Clock& clock_;
  const BackoffPolicy backoff_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or to be re-queued after Done
  std::set<std::string> processing_;  // handed out, not yet Done
  std::map<std::string, int> failures_;
  struct Pending {
    MonoTime when;
    TimerId timer;
  };
  std::map<std::string, Pending> delayed_;
  bool shutting_down_ = false;
};

// What a reconcile asks of the queue afterwards.
struct ReconcileResult {
  Status status;                  // an error re-adds with back-off
  Duration requeue_after{0};      // > 0: re-add after this long
};

// Runs `workers` threads that take keys from `queue` and reconcile them until
// the queue shuts down; Stop() (or the destructor) shuts down and joins.
class WorkerPool {
 public:
  WorkerPool(WorkQueue& queue, int workers, std::function<ReconcileResult(const std::string&)> reconcile);
  ~WorkerPool();
  void Stop();

 private:
  WorkQueue& queue_;
  std::function<ReconcileResult(const std::string&)> reconcile_;
  std::vector<std::thread> threads_;
};

// One iteration of a worker: take a key, reconcile, record the outcome.
// False once the queue is shut down and empty.
bool ProcessNext(WorkQueue& queue, const std::function<ReconcileResult(const std::string&)>& reconcile);

}  // namespace tusk::k8s
