#include "common/k8s/workqueue.h"

namespace tusk::k8s {

WorkQueue::WorkQueue(Clock& clock, BackoffPolicy backoff) : clock_(clock), backoff_(backoff) {}

WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  if (!dirty_.insert(key).second) return;  // already queued (or waiting for Done)
  if (processing_.count(key)) return;      // Done will queue it
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  if (delay <= Duration(0)) {
    Add(key);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  MonoTime when = clock_.Now() + delay;
  auto it = delayed_.find(key);
  if (it != delayed_.end()) {
    if (it->second.when <= when) return;
    clock_.CancelTimer(it->second.timer);
    delayed_.erase(it);
  }
  // The timer may fire on the clock's thread: it only takes our lock briefly.
  TimerId id = clock_.AddTimer(when, [this, key, when] {
    std::lock_guard<std::mutex> inner(mu_);
    auto d = delayed_.find(key);
    if (d == delayed_.end() || d->second.when != when) return;
    delayed_.erase(d);
    AddLocked(key);
  });
  delayed_[key] = Pending{when, id};
}

Duration WorkQueue::NextBackoff(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  int n = it == failures_.end() ? 0 : it->second;
  Duration d = backoff_.base;
  for (int i = 0; i < n && d < backoff_.max; ++i) d *= 2;
  return std::min(d, backoff_.max);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  Duration delay = NextBackoff(key);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_[key];
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || shutting_down_; });
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  shutting_down_ = true;
  for (auto& [key, pending] : delayed_) clock_.CancelTimer(pending.timer);
  delayed_.clear();
  cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::Delayed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_.size();
}

bool ProcessNext(WorkQueue& queue, const std::function<ReconcileResult(const std::string&)>& reconcile) {
  std::optional<std::string> key = queue.Get();
  if (!key) return false;
  ReconcileResult result = reconcile(*key);
  if (!result.status.ok()) {
    queue.AddRateLimited(*key);
  } else {
    queue.Forget(*key);
    if (result.requeue_after > Duration(0)) queue.AddAfter(*key, result.requeue_after);
  }
  queue.Done(*key);
  return true;
}

WorkerPool::WorkerPool(WorkQueue& queue, int workers, std::function<ReconcileResult(const std::string&)> reconcile)
    : queue_(queue), reconcile_(std::move(reconcile)) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this] {
      while (ProcessNext(queue_, reconcile_)) {
      }
    });
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Stop() {
  queue_.ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace tusk::k8s
