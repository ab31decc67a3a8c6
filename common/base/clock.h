// Time behind an interface: monotonic time for deadlines and timers, wall time
// for timestamps. Code that waits or schedules takes a Clock&, so tests drive
// it with FakeClock and never sleep.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/base/status.h"

namespace tusk {

using Duration = std::chrono::nanoseconds;
using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using TimerId = uint64_t;

// Kubernetes' timestamps: RFC 3339 in UTC, "2026-11-25T10:53:11Z" (Time) and
// "2026-11-25T10:53:11.123456Z" (MicroTime, six fractional digits).
std::string FormatRfc3339(WallTime t);
std::string FormatRfc3339Micro(WallTime t);
// Reads RFC 3339 date-times: "2026-11-25T10:53:11Z", with any fraction of a
// second (kept to the microsecond) and a "Z" or "+HH:MM" zone; the date and
// time may be split by a space, as RFC 3339 allows and PostgreSQL and barman
// write. Anything else, or a field out of range, is an InvalidArgument error.
StatusOr<WallTime> ParseRfc3339(std::string_view text);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
  virtual WallTime WallNow() const = 0;
  virtual void SleepFor(Duration d) = 0;

  // Runs `fn` once Now() reaches `when`. For the real clock, on the clock's
  // timer thread; for the fake clock, on the thread that advances it. `fn`
  // must not block. Returns an id for CancelTimer.
  virtual TimerId AddTimer(MonoTime when, std::function<void()> fn) = 0;
  // True when the timer was pending and will now never run.
  virtual bool CancelTimer(TimerId id) = 0;

  TimerId AddTimerAfter(Duration after, std::function<void()> fn) {
    return AddTimer(Now() + after, std::move(fn));
  }
};

// Timers ordered by deadline, then by id, so equal deadlines fire in the order
// they were added.
class TimerQueue {
 public:
  struct Key {
    MonoTime when;
    TimerId id;
    bool operator<(const Key& o) const { return when != o.when ? when < o.when : id < o.id; }
  };
  TimerId Add(MonoTime when, std::function<void()> fn);
  bool Cancel(TimerId id);
  // Removes and returns the earliest timer due at or before `now`, if any.
  bool PopDue(MonoTime now, Key* key, std::function<void()>* fn);
  bool Empty() const { return timers_.empty(); }
  MonoTime Earliest() const { return timers_.begin()->first.when; }
  size_t Size() const { return timers_.size(); }

 private:
  TimerId next_id_ = 1;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, MonoTime> when_by_id_;
};

class RealClock final : public Clock {
 public:
  RealClock() = default;
  ~RealClock() override;
  RealClock(const RealClock&) = delete;
  RealClock& operator=(const RealClock&) = delete;

  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  void SleepFor(Duration d) override { std::this_thread::sleep_for(d); }
  TimerId AddTimer(MonoTime when, std::function<void()> fn) override;
  bool CancelTimer(TimerId id) override;

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  TimerQueue timers_;
  bool stopping_ = false;
  std::thread thread_;  // started with the first timer
};

// Time stands still until Advance() moves it. Threads in SleepFor wake when
// the clock passes their deadline; due timers run inside Advance, in order,
// each seeing Now() equal to its own deadline.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime wall_start = WallTime(std::chrono::seconds(1'700'000'000)));

  MonoTime Now() const override;
  WallTime WallNow() const override;
  void SleepFor(Duration d) override;
  TimerId AddTimer(MonoTime when, std::function<void()> fn) override;
  bool CancelTimer(TimerId id) override;

  void Advance(Duration d);
  size_t PendingTimers() const;
  // Number of threads currently blocked in SleepFor, so a test can wait
  // until a worker is parked before advancing.
  int Sleepers() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  MonoTime now_;
  WallTime wall_;
  TimerQueue timers_;
  int sleepers_ = 0;
};

// Milliseconds since the Unix epoch of a wall time, for status fields.
int64_t UnixMillis(WallTime t);

}  // namespace tusk
