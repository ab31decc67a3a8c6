#include "common/base/clock.h"

#include <cstdio>
#include <ctime>

namespace tusk {

std::string FormatRfc3339(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatRfc3339Micro(WallTime t) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros % 1'000'000));
  return buf;
}

TimerId TimerQueue::Add(MonoTime when, std::function<void()> fn) {
  TimerId id = next_id_++;
  timers_.emplace(Key{when, id}, std::move(fn));
  when_by_id_.emplace(id, when);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  auto it = when_by_id_.find(id);
  if (it == when_by_id_.end()) return false;
  timers_.erase(Key{it->second, id});
  when_by_id_.erase(it);
  return true;
}

bool TimerQueue::PopDue(MonoTime now, Key* key, std::function<void()>* fn) {
  if (timers_.empty() || timers_.begin()->first.when > now) return false;
  auto it = timers_.begin();
  *key = it->first;
  *fn = std::move(it->second);
  when_by_id_.erase(it->first.id);
  timers_.erase(it);
  return true;
}

RealClock::~RealClock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

TimerId RealClock::AddTimer(MonoTime when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  TimerId id = timers_.Add(when, std::move(fn));
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  cv_.notify_all();
  return id;
}

bool RealClock::CancelTimer(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.Cancel(id);
}

void RealClock::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    TimerQueue::Key key;
    std::function<void()> fn;
    if (timers_.PopDue(Now(), &key, &fn)) {
      lock.unlock();
      fn();
      lock.lock();
      continue;
    }
    if (timers_.Empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, timers_.Earliest());
    }
  }
}

FakeClock::FakeClock(WallTime wall_start)
    : now_(MonoTime(std::chrono::hours(1000))), wall_(wall_start) {}

MonoTime FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

WallTime FakeClock::WallNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

void FakeClock::SleepFor(Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  MonoTime until = now_ + d;
  ++sleepers_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return now_ >= until; });
  --sleepers_;
}

TimerId FakeClock::AddTimer(MonoTime when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.Add(when, std::move(fn));
}

bool FakeClock::CancelTimer(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.Cancel(id);
}

void FakeClock::Advance(Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  const MonoTime target = now_ + d;
  TimerQueue::Key key;
  std::function<void()> fn;
  // Step through each due timer so that it observes its own deadline, and so
  // timers it adds that fall before `target` fire in this same Advance.
  while (timers_.PopDue(target, &key, &fn)) {
    if (key.when > now_) {
      wall_ += key.when - now_;
      now_ = key.when;
    }
    lock.unlock();
    cv_.notify_all();
    fn();
    lock.lock();
  }
  wall_ += target - now_;
  now_ = target;
  lock.unlock();
  cv_.notify_all();
}

size_t FakeClock::PendingTimers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.Size();
}

int FakeClock::Sleepers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleepers_;
}

int64_t UnixMillis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace tusk
