#include "test/localkube/runtime/backoff.h"

#include <catch2/catch.hpp>

#include "common/base/clock.h"

namespace tusk::localkube {

using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("crash loop: immediate first restart, then 10s doubling capped at 300s", "[backoff]") {
  FakeClock clock;
  RestartBackoff state;
  std::vector<int64_t> delays;
  for (int i = 0; i < 9; ++i) {
    const MonoTime started = clock.Now();
    clock.Advance(seconds(1));
    BackoffDecision d = NextRestartDelay(state, started, clock.Now());
    delays.push_back(std::chrono::duration_cast<seconds>(d.delay).count());
    state = d.next;
    clock.Advance(d.delay);
  }
  CHECK(delays == std::vector<int64_t>{0, 10, 20, 40, 80, 160, 300, 300, 300});
}

TEST_CASE("ten minutes of running resets the back-off", "[backoff]") {
  FakeClock clock;
  RestartBackoff state{5};
  const MonoTime started = clock.Now();
  clock.Advance(minutes(10));
  BackoffDecision d = NextRestartDelay(state, started, clock.Now());
  CHECK(d.delay == Duration{0});
  CHECK(d.next.restarts == 1);
  // Just short of ten minutes keeps counting.
  const MonoTime again = clock.Now();
  clock.Advance(minutes(10) - seconds(1));
  CHECK(NextRestartDelay(RestartBackoff{3}, again, clock.Now()).delay == seconds(40));
}

TEST_CASE("restartPolicy decides which exits restart", "[backoff]") {
  CHECK(ShouldRestart("Always", 0));
  CHECK(ShouldRestart("Always", 1));
  CHECK_FALSE(ShouldRestart("OnFailure", 0));
  CHECK(ShouldRestart("OnFailure", 137));
  CHECK_FALSE(ShouldRestart("Never", 1));
}

}  // namespace tusk::localkube
