#include "common/base/clock.h"

#include <atomic>
#include <future>
#include <vector>

#include <catch2/catch.hpp>

#include "test/unit/fuzz_inputs.h"

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

namespace tusk {
namespace {

TEST_CASE("RFC 3339 times parse back what FormatRfc3339 writes, with offsets and fractions") {
  const WallTime t = WallTime(std::chrono::seconds(1'764'067'991)) + std::chrono::microseconds(123456);
  CHECK(ParseRfc3339(FormatRfc3339Micro(t)).value_or(WallTime()) == t);
  CHECK(ParseRfc3339(FormatRfc3339(t)).value_or(WallTime()) ==
        std::chrono::time_point_cast<std::chrono::seconds>(t));
  CHECK(FormatRfc3339(*ParseRfc3339("2026-11-25T11:53:11+01:00")) == "2026-11-25T10:53:11Z");
  CHECK(FormatRfc3339(*ParseRfc3339("2026-11-25 05:23:11-05:30")) == "2026-11-25T10:53:11Z");
  CHECK(FormatRfc3339Micro(*ParseRfc3339("2026-11-25T10:53:11.5z")) == "2026-11-25T10:53:11.500000Z");
  CHECK(FormatRfc3339Micro(*ParseRfc3339("2026-11-25T10:53:11.1234567891Z")) == "2026-11-25T10:53:11.123456Z");
  CHECK(FormatRfc3339(*ParseRfc3339("1969-12-31T23:59:59Z")) == "1969-12-31T23:59:59Z");
  CHECK(ParseRfc3339("2028-02-29T00:00:00Z").ok());
  for (const char* bad : {"", "2026-11-25", "2026-11-25T10:53:11", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-25T24:00:00Z", "2026-11-25T10:60:00Z", "2026-11-25T10:53:11.Z",
                          "2026-11-25T10:53:11+1:00", "2026-11-25T10:53:11Zjunk", "2026-1-25T10:53:11Z",
                          "yesterday", "2026-11-25T10:53:11+24:00"}) {
    INFO(bad);
    CHECK(ParseRfc3339(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("RFC 3339 fuzz: any text is a time or an error, and what parses formats back") {
  std::vector<std::string> inputs = testing::RandomInputs(11, 3000, 40, "0123456789-T:.Z+ z");
  for (auto& s : testing::RandomInputs(12, 500, 40)) inputs.push_back(std::move(s));
  for (auto& s : testing::Truncations("2026-11-25T10:53:11.123456+01:00")) inputs.push_back(std::move(s));
  for (auto& s : testing::Mutations(13, "2026-11-25T10:53:11.123456Z", 2000)) inputs.push_back(std::move(s));
  for (auto& s : testing::HugeNumbers()) inputs.push_back(s + "-01-01T00:00:00Z");
  size_t parsed = 0;
  for (const auto& in : inputs) {
    StatusOr<WallTime> t = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(t = ParseRfc3339(in));
    if (!t.ok()) continue;
    ++parsed;
    INFO(in);
    CHECK(ParseRfc3339(FormatRfc3339Micro(*t)).value_or(WallTime()) == *t);
  }
  CHECK(parsed > 0);
}

}  // namespace
}  // namespace tusk
