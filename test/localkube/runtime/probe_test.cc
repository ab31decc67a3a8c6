#include "test/localkube/runtime/probe.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {

using std::chrono::seconds;

namespace {
ProbeSpec Spec(int delay, int period, int success, int failure) {
  ProbeSpec p;
  p.initial_delay_seconds = delay;
  p.period_seconds = period;
  p.success_threshold = success;
  p.failure_threshold = failure;
  return p;
}
}  // namespace

TEST_CASE("probes wait for the initial delay, then run every period", "[probe]") {
  FakeClock clock;
  const MonoTime start = clock.Now();
  ProbeTracker t(ProbeKind::kReadiness, Spec(5, 2, 1, 3), start);
  CHECK_FALSE(t.Due(start + seconds(4)));
  CHECK(t.Due(start + seconds(5)));
  t.Record(true, start + seconds(5));
  CHECK(t.next_due() == start + seconds(7));
}

TEST_CASE("readiness starts not ready and follows the success and failure thresholds", "[probe]") {
  FakeClock clock;
  MonoTime now = clock.Now();
  ProbeTracker t(ProbeKind::kReadiness, Spec(0, 1, 2, 2), now);
  CHECK(t.verdict() == ProbeVerdict::kUnknown);
  CHECK_FALSE(t.Record(true, now));
  CHECK(t.verdict() == ProbeVerdict::kUnknown);  // 1 of 2 successes
  CHECK(t.Record(true, now));
  CHECK(t.verdict() == ProbeVerdict::kSuccess);
  CHECK_FALSE(t.Record(false, now));
  CHECK(t.verdict() == ProbeVerdict::kSuccess);  // 1 of 2 failures
  CHECK_FALSE(t.Record(true, now));              // a success resets the failure count
  CHECK_FALSE(t.Record(false, now));
  CHECK(t.Record(false, now));
  CHECK(t.verdict() == ProbeVerdict::kFailure);
}

TEST_CASE("liveness starts alive and fails only after failureThreshold misses in a row", "[probe]") {
  FakeClock clock;
  MonoTime now = clock.Now();
  ProbeTracker t(ProbeKind::kLiveness, Spec(0, 10, 1, 3), now);
  CHECK(t.verdict() == ProbeVerdict::kSuccess);
  t.Record(false, now);
  t.Record(false, now);
  CHECK(t.verdict() == ProbeVerdict::kSuccess);
  t.Record(false, now);
  CHECK(t.verdict() == ProbeVerdict::kFailure);
}

}  // namespace tusk::localkube
