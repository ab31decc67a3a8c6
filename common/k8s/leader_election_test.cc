#include "common/k8s/leader_election.h"

#include <catch2/catch.hpp>

#include "test/fakes/fake_kube_client.h"
#include "test/unit/eventually.h"

namespace tusk::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

LeaderElectionConfig Config(const std::string& id) {
  LeaderElectionConfig c;
  c.namespace_ = "tusk-system";
  c.lease_name = "tusk-operator";
  c.identity = id;
  return c;
}

// Moves the fake clock in steps, letting every candidate park on its retry
// timer before each step so no attempt is skipped.
void AdvanceParked(FakeClock& clock, size_t candidates, Duration total, Duration step = milliseconds(500)) {
  for (Duration done{0}; done < total; done += step) {
    REQUIRE(Eventually([&] { return clock.PendingTimers() == candidates; }));
    clock.Advance(step);
  }
  REQUIRE(Eventually([&] { return clock.PendingTimers() == candidates; }));
}

TEST_CASE("The first candidate takes the lease; MicroTime has six fractional digits") {
  FakeKubeClient api;
  FakeClock clock;
  LeaderElector a(api, clock, Config("a"));
  CHECK(a.TryAcquireOrRenew());
  auto lease = api.Get(LeasesResource().InNamespace("tusk-system").Named("tusk-operator"));
  REQUIRE(lease.ok());
  CHECK((*lease)["spec"]["holderIdentity"] == "a");
  CHECK((*lease)["spec"]["leaseDurationSeconds"] == 15);
  CHECK((*lease)["spec"]["renewTime"] == "2023-11-14T22:13:20.000000Z");
  LeaderElector b(api, clock, Config("b"));
  CHECK_FALSE(b.TryAcquireOrRenew());
  CHECK(b.observed_leader() == "a");
}

TEST_CASE("When the leader dies, another candidate leads once the lease duration has passed") {
  FakeKubeClient api;
  FakeClock clock;
  LeaderElectionConfig ca = Config("a");
  ca.release_on_stop = false;  // a crash: nothing is released
  auto a = std::make_unique<LeaderElector>(api, clock, ca);
  LeaderElector b(api, clock, Config("b"));
  a->Start();
  REQUIRE(Eventually([&] { return a->IsLeader(); }));
  b.Start();
  AdvanceParked(clock, 2, seconds(20));  // a keeps renewing: b never leads
  CHECK(a->IsLeader());
  CHECK_FALSE(b.IsLeader());
  a->Stop();  // the leader stops renewing
  a.reset();
  AdvanceParked(clock, 1, seconds(14));
  CHECK_FALSE(b.IsLeader());  // not before the lease expires
  // Expiry counts from when b last saw the lease change (up to one retry
  // period after a's last renewal), and b looks once per retry period.
  AdvanceParked(clock, 1, seconds(5));
  REQUIRE(Eventually([&] { return b.IsLeader(); }));
  auto lease = api.Get(LeasesResource().InNamespace("tusk-system").Named("tusk-operator"));
  CHECK((*lease)["spec"]["holderIdentity"] == "b");
  CHECK((*lease)["spec"]["leaseTransitions"] == 1);
  b.Stop();
}

TEST_CASE("A clean stop releases the lease: the next candidate leads at its next retry") {
  FakeKubeClient api;
  FakeClock clock;
  LeaderElector b(api, clock, Config("b"));
  std::atomic<int> started{0}, stopped{0};
  auto a = std::make_unique<LeaderElector>(api, clock, Config("a"),
                                           LeaderCallbacks{[&] { ++started; }, [&] { ++stopped; }, nullptr});
  a->Start();
  REQUIRE(Eventually([&] { return a->IsLeader(); }));
  b.Start();
  AdvanceParked(clock, 2, seconds(4));
  a->Stop();
  CHECK(stopped == 1);
  CHECK(started == 1);
  auto lease = api.Get(LeasesResource().InNamespace("tusk-system").Named("tusk-operator"));
  CHECK((*lease)["spec"]["holderIdentity"] == "");
  AdvanceParked(clock, 1, seconds(2));
  REQUIRE(Eventually([&] { return b.IsLeader(); }));
  b.Stop();
}

TEST_CASE("A leader that cannot renew within the renew deadline steps down") {
  FakeKubeClient api;
  FakeClock clock;
  std::atomic<bool> lost{false};
  LeaderElector a(api, clock, Config("a"), LeaderCallbacks{nullptr, [&] { lost = true; }, nullptr});
  a.Start();
  REQUIRE(Eventually([&] { return a.IsLeader(); }));
  api.FailNext("get", UnavailableError("apiserver down"), 100);
  AdvanceParked(clock, 1, seconds(8));
  CHECK(a.IsLeader());  // still within the 10 s renew deadline
  for (int i = 0; i < 4 && !lost; ++i) {
    REQUIRE(Eventually([&] { return clock.PendingTimers() == 1 || lost; }));
    clock.Advance(seconds(1));
  }
  REQUIRE(Eventually([&] { return lost.load(); }));
  CHECK_FALSE(a.IsLeader());
  a.Stop();
}

TEST_CASE("Two candidates racing for a free lease: exactly one wins") {
  FakeKubeClient api;
  FakeClock clock;
  LeaderElector a(api, clock, Config("a"));
  LeaderElector b(api, clock, Config("b"));
  a.Start();
  b.Start();
  REQUIRE(Eventually([&] { return a.IsLeader() || b.IsLeader(); }));
  AdvanceParked(clock, 2, seconds(30));
  CHECK(a.IsLeader() != b.IsLeader());
  a.Stop();
  b.Stop();
}

}  // namespace
}  // namespace tusk::k8s
