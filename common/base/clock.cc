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

namespace {

// `n` digits at `*at`, advancing past them.
bool Digits(std::string_view s, size_t* at, size_t n, int* out) {
  if (*at + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *at += n;
  *out = v;
  return true;
}

bool Char(std::string_view s, size_t* at, std::string_view one_of) {
  if (*at >= s.size() || one_of.find(s[*at]) == std::string_view::npos) return false;
  ++*at;
  return true;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil), so no time zone or libc state is involved.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

StatusOr<WallTime> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return InvalidArgumentError("'" + std::string(s.substr(0, 64)) +
                                "' is not an RFC 3339 time like 2026-11-25T10:53:11Z");
  };
  size_t at = 0;
  int y, mo, d, h, mi, sec;
  if (!Digits(s, &at, 4, &y) || !Char(s, &at, "-") || !Digits(s, &at, 2, &mo) || !Char(s, &at, "-") ||
      !Digits(s, &at, 2, &d) || !Char(s, &at, "Tt ") || !Digits(s, &at, 2, &h) || !Char(s, &at, ":") ||
      !Digits(s, &at, 2, &mi) || !Char(s, &at, ":") || !Digits(s, &at, 2, &sec)) {
    return bad();
  }
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kMonthDays[mo - 1] + (mo == 2 && LeapYear(y)) || h > 23 || mi > 59 ||
      sec > 60) {  // 60: a leap second, read as the next second
    return InvalidArgumentError("'" + std::string(s.substr(0, 64)) + "' has a date or time field out of range");
  }
  int64_t micros = 0;
  if (Char(s, &at, ".")) {
    size_t first = at;
    for (int scale = 100000; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) {
      micros += (s[at] - '0') * static_cast<int64_t>(scale);  // digits past the sixth add nothing
    }
    if (at == first) return bad();
  }
  int64_t offset = 0;
  if (!Char(s, &at, "Zz")) {
    const bool west = at < s.size() && s[at] == '-';
    int oh, om;
    if (!Char(s, &at, "+-") || !Digits(s, &at, 2, &oh) || !Char(s, &at, ":") || !Digits(s, &at, 2, &om) ||
        oh > 23 || om > 59) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (west ? -1 : 1);
  }
  if (at != s.size()) return bad();
  const int64_t secs = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                       mi * 60 + sec - offset;
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(secs) +
                                                                  std::chrono::microseconds(micros)));
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
