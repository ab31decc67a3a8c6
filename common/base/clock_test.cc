#include "common/base/clock.h"

#include <atomic>
#include <future>
#include <vector>

#include <catch2/catch.hpp>

namespace tusk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("fake clock timers fire only when time reaches them, in deadline order") {
  FakeClock clock;
  std::vector<int> fired;
  clock.AddTimerAfter(seconds(3), [&] { fired.push_back(3); });
  clock.AddTimerAfter(seconds(1), [&] { fired.push_back(1); });
  clock.AddTimerAfter(seconds(2), [&] { fired.push_back(2); });
  clock.Advance(milliseconds(999));
  CHECK(fired.empty());
  clock.Advance(milliseconds(1));
  CHECK(fired == std::vector<int>{1});
  clock.Advance(seconds(5));
  CHECK(fired == std::vector<int>{1, 2, 3});
  CHECK(clock.PendingTimers() == 0);
}

TEST_CASE("a fake timer observes its own deadline and may re-arm inside one Advance") {
  FakeClock clock;
  const MonoTime start = clock.Now();
  std::vector<milliseconds> seen;
  std::function<void()> tick;
  tick = [&] {
    seen.push_back(std::chrono::duration_cast<milliseconds>(clock.Now() - start));
    if (seen.size() < 3) clock.AddTimerAfter(milliseconds(100), tick);
  };
  clock.AddTimerAfter(milliseconds(100), tick);
  clock.Advance(seconds(1));
  CHECK(seen == std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(300)});
  CHECK(clock.Now() - start == seconds(1));
}

TEST_CASE("a cancelled timer never fires; cancelling twice says so") {
  FakeClock clock;
  bool fired = false;
  TimerId id = clock.AddTimerAfter(seconds(1), [&] { fired = true; });
  CHECK(clock.CancelTimer(id));
  CHECK_FALSE(clock.CancelTimer(id));
  clock.Advance(seconds(2));
  CHECK_FALSE(fired);
}

TEST_CASE("wall time moves with the fake monotonic clock") {
  FakeClock clock;
  WallTime w0 = clock.WallNow();
  clock.Advance(seconds(90));
  CHECK(clock.WallNow() - w0 == seconds(90));
  CHECK(UnixMillis(WallTime(seconds(2))) == 2000);
}

TEST_CASE("SleepFor on a fake clock returns only after another thread advances past it") {
  FakeClock clock;
  std::atomic<bool> woke{false};
  auto sleeper = std::async(std::launch::async, [&] {
    clock.SleepFor(seconds(10));
    woke = true;
  });
  while (clock.Sleepers() == 0) std::this_thread::yield();
  clock.Advance(seconds(9));
  CHECK(sleeper.wait_for(milliseconds(20)) == std::future_status::timeout);
  CHECK_FALSE(woke);
  clock.Advance(seconds(1));
  sleeper.get();
  CHECK(woke);
}

TEST_CASE("the real clock runs timers on its own thread, and cancelled ones not at all") {
  RealClock clock;
  std::promise<MonoTime> fired_at;
  const MonoTime start = clock.Now();
  clock.AddTimerAfter(milliseconds(20), [&] { fired_at.set_value(clock.Now()); });
  bool cancelled_ran = false;
  TimerId never = clock.AddTimerAfter(milliseconds(10), [&] { cancelled_ran = true; });
  REQUIRE(clock.CancelTimer(never));
  auto f = fired_at.get_future();
  REQUIRE(f.wait_for(seconds(10)) == std::future_status::ready);
  CHECK(f.get() - start >= milliseconds(20));
  CHECK_FALSE(cancelled_ran);
}

}  // namespace
}  // namespace tusk
