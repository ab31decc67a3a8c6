// The fake keeps the real client's contract, so tests built on it mean
// what they say: ok=false is FailedPrecondition, a destroyed watch is silent.
#include "test/fakes/fake_instance_client.h"

#include <catch2/catch.hpp>

namespace tusk::op {
namespace {

using std::chrono::seconds;

const std::string kAddr = "10.0.0.1:9090";

pb::InstanceStatus Standby() {
  pb::InstanceStatus s;
  s.set_pod_name("pg-2");
  s.set_role(pb::ROLE_REPLICA);
  return s;
}

TEST_CASE("FakeInstanceClient: watches get the status at once and every change, each with its own sequence") {
  FakeInstanceClient fake;
  fake.SetStatus(kAddr, Standby());
  std::vector<pb::InstanceStatus> a, b;
  auto wa = fake.WatchStatus(kAddr, seconds(1), {[&](const pb::InstanceStatus& s) { a.push_back(s); }, nullptr});
  fake.Heartbeat(kAddr);
  auto wb = fake.WatchStatus(kAddr, seconds(1), {[&](const pb::InstanceStatus& s) { b.push_back(s); }, nullptr});
  pb::InstanceStatus promoted = Standby();
  promoted.set_role(pb::ROLE_PRIMARY);
  fake.SetStatus(kAddr, promoted);

  REQUIRE(a.size() == 3);
  CHECK(a[0].sequence() == 1);
  CHECK(a[2].sequence() == 3);
  CHECK(a[1].reported_unix_ms() == a[0].reported_unix_ms() + 1000);
  CHECK(a[2].role() == pb::ROLE_PRIMARY);
  REQUIRE(b.size() == 2);
  CHECK(b[1].sequence() == 2);
  CHECK(fake.open_watches(kAddr) == 2);
  wa.reset();
  CHECK(fake.open_watches(kAddr) == 1);
  fake.Heartbeat(kAddr);
  CHECK(a.size() == 3);  // destroyed: silent
  CHECK(b.size() == 3);
  CHECK(fake.watches_started(kAddr) == 2);
}

TEST_CASE("FakeInstanceClient: an unreachable address ends open watches and new ones at once") {
  FakeInstanceClient fake;
  fake.SetStatus(kAddr, Standby());
  std::vector<Status> ends;
  WatchCallbacks cb{nullptr, [&](const Status& s) { ends.push_back(s); }};
  auto w1 = fake.WatchStatus(kAddr, seconds(1), cb);
  fake.SetUnreachable(kAddr);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].code() == StatusCode::kUnavailable);
  auto w2 = fake.WatchStatus(kAddr, seconds(1), cb);
  CHECK(ends.size() == 2);
  CHECK(fake.open_watches(kAddr) == 0);
  CHECK(fake.GetStatus(kAddr, seconds(1)).status().code() == StatusCode::kUnavailable);
  CHECK(fake.Checkpoint(kAddr, seconds(1)).status().code() == StatusCode::kUnavailable);
  fake.SetStatus(kAddr, Standby());
  CHECK(fake.GetStatus(kAddr, seconds(1)).ok());
}

TEST_CASE("FakeInstanceClient: a watch may be destroyed from its own callback") {
  FakeInstanceClient fake;
  std::unique_ptr<StatusWatch> watch;
  int reports = 0;
  watch = fake.WatchStatus(kAddr, seconds(1), {[&](const pb::InstanceStatus&) {
                                                 ++reports;
                                                 watch.reset();
                                               },
                                               nullptr});
  fake.SetStatus(kAddr, Standby());
  fake.Heartbeat(kAddr);
  CHECK(reports == 1);
  CHECK(fake.open_watches(kAddr) == 0);
}

TEST_CASE("FakeInstanceClient: levers are recorded and answer as scripted") {
  FakeInstanceClient fake;
  fake.SetStatus(kAddr, Standby());
  pb::PromoteRequest promote;
  promote.set_expected_target("pg-2");
  auto ok = fake.Promote(kAddr, promote, seconds(1));
  REQUIRE(ok.ok());
  CHECK(ok->status().pod_name() == "pg-2");

  pb::OperationResult refused;
  refused.set_ok(false);
  refused.set_message("expected target pg-3, this is pg-2");
  fake.SetResult("Promote", kAddr, refused);
  promote.set_expected_target("pg-3");
  CHECK(fake.Promote(kAddr, promote, seconds(1)).status() ==
        FailedPreconditionError("expected target pg-3, this is pg-2"));
  fake.SetResult("Restart", kAddr, DeadlineExceededError("Restart 10.0.0.1:9090: deadline exceeded"));
  pb::RestartRequest restart;
  CHECK(fake.Restart(kAddr, restart, seconds(1)).status().code() == StatusCode::kDeadlineExceeded);
  pb::DemoteRequest demote;
  demote.set_new_primary("pg-3");
  demote.set_wait_for_new_primary(true);
  CHECK(fake.Demote(kAddr, demote, seconds(1)).ok());
  CHECK(fake.SetFenced("10.0.0.9:9090", true, seconds(1)).status().code() == StatusCode::kUnavailable);

  CHECK(fake.call_strings() == std::vector<std::string>{
                                   "Promote 10.0.0.1:9090 expected_target=pg-2",
                                   "Promote 10.0.0.1:9090 expected_target=pg-3",
                                   "Restart 10.0.0.1:9090 smart=false",
                                   "Demote 10.0.0.1:9090 new_primary=pg-3 wait_for_new_primary=true",
                                   "SetFenced 10.0.0.9:9090 fenced=true",
                               });
  CHECK(fake.calls()[0].method == "Promote");
  fake.ClearCalls();
  CHECK(fake.calls().empty());
}

TEST_CASE("FakeInstanceClient: Backup reports the scripted progress and end") {
  FakeInstanceClient fake;
  pb::BackupProgress started;
  started.set_state(pb::BackupProgress::STATE_STARTED);
  fake.SetBackup(kAddr, {started}, InternalError("upload failed"));
  int progress = 0;
  pb::BackupRequest req;
  req.set_backup_id("20240101T120000");
  CHECK(fake.Backup(kAddr, req, [&](const pb::BackupProgress&) { ++progress; }, seconds(1)) ==
        InternalError("upload failed"));
  CHECK(progress == 1);
  CHECK(fake.call_strings() == std::vector<std::string>{"Backup 10.0.0.1:9090 backup_id=20240101T120000"});
}

}  // namespace
}  // namespace tusk::op
