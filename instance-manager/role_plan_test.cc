// The instance manager's decisions as a table: what postgres and PGDATA
// look like and what the Cluster says, in; the one next step, out.
#include "instance-manager/role_plan.h"

#include <catch2/catch.hpp>

namespace tusk::instance {
namespace {

using std::chrono::seconds;

const MonoTime kNow = MonoTime(seconds(1000));

// A healthy standby pg-2 of primary pg-1, configuration in effect.
Observation Standby() {
  Observation o;
  o.now = kNow;
  o.have_cluster = true;
  o.pod = "pg-2";
  o.current_primary = "pg-1";
  o.target_primary = "pg-1";
  o.postmaster = PostmasterState::kAccepting;
  o.standby_signal = true;
  o.in_recovery = true;
  o.desired_hash = o.applied_hash = "h1";
  return o;
}

// pg-1, the healthy primary.
Observation Primary() {
  Observation o = Standby();
  o.pod = "pg-1";
  o.standby_signal = false;
  o.in_recovery = false;
  return o;
}

Observation Stopped(Observation o) {
  o.postmaster = PostmasterState::kStopped;
  o.in_recovery.reset();
  return o;
}

}  // namespace

TEST_CASE("DecideRole follows the Cluster status") {
  CHECK(DecideRole("pg-1", "", "pg-1") == DesiredRole::kPrimary);
  CHECK(DecideRole("pg-1", "pg-1", "pg-1") == DesiredRole::kPrimary);
  CHECK(DecideRole("pg-1", "", "pg-2") == DesiredRole::kReplica);
  // Failover decided, not yet recorded: the target promotes, the old
  // primary steps down, the others keep following.
  CHECK(DecideRole("pg-1", "pg-2", "pg-2") == DesiredRole::kPrimary);
  CHECK(DecideRole("pg-1", "pg-2", "pg-1") == DesiredRole::kStepDown);
  CHECK(DecideRole("pg-1", "pg-2", "pg-3") == DesiredRole::kReplica);
  // CloudNativePG's "pending" while the operator picks a candidate.
  CHECK(DecideRole("pg-1", "pending", "pg-1") == DesiredRole::kStepDown);
  CHECK(DecideRole("pg-2", "pg-2", "pg-1") == DesiredRole::kReplica);
  CHECK(DecideRole("", "", "pg-1") == DesiredRole::kUnknown);
}

TEST_CASE("plan: a stopped instance starts in the role its data directory has, config first") {
  SECTION("the primary's data directory starts as the primary") {
    Decision d = PlanNext(Stopped(Primary()));
    CHECK(d.step == Step::kStart);
    CHECK(d.reason == "start as the primary");
  }
  SECTION("a standby's data directory starts as a standby") {
    Decision d = PlanNext(Stopped(Standby()));
    CHECK(d.step == Step::kStart);
    CHECK(d.reason == "start as a standby");
  }
  SECTION("a standby named target starts as a standby first; promotion comes once it accepts") {
    Observation o = Stopped(Standby());
    o.target_primary = "pg-2";
    CHECK(PlanNext(o).step == Step::kStart);
  }
  SECTION("a new configuration is checked, then written, before the start") {
    Observation o = Stopped(Standby());
    o.desired_hash = "h2";
    CHECK(PlanNext(o).step == Step::kCheckConfig);
    o.checked_hash = "h2";
    CHECK(PlanNext(o).step == Step::kWriteConfig);
    o.applied_hash = "h2";
    CHECK(PlanNext(o).step == Step::kStart);
  }
  SECTION("a configuration postgres refused does not block the start on the last good files") {
    Observation o = Stopped(Standby());
    o.desired_hash = o.refused_hash = "h2";
    CHECK(PlanNext(o).step == Step::kStart);
  }
  SECTION("without a Cluster, or one naming no primary, nothing starts") {
    Observation o = Stopped(Standby());
    o.have_cluster = false;
    CHECK(PlanNext(o).step == Step::kWait);
    o = Stopped(Standby());
    o.current_primary = o.target_primary = "";
    CHECK(PlanNext(o).step == Step::kWait);
  }
}

TEST_CASE("plan: the target standby promotes once it accepts connections") {
  Observation o = Standby();
  o.target_primary = "pg-2";
  CHECK(PlanNext(o).step == Step::kPromote);
  o.promote_requested = true;
  CHECK(PlanNext(o).step == Step::kWait);
  o.promote_requested = false;
  o.in_recovery = false;
  o.checkpoint_after_promote = true;
  CHECK(PlanNext(o).step == Step::kCheckpointAfterPromote);
  o.checkpoint_after_promote = false;
  CHECK(PlanNext(o).step == Step::kWait);
}

TEST_CASE("plan: a primary the Cluster no longer names steps down before anyone may promote") {
  SECTION("another pod is the target: stop accepting writes at once") {
    Observation o = Primary();
    o.target_primary = "pg-2";
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kStop);
    CHECK(d.mode == ShutdownMode::kFast);
    CHECK_THAT(d.reason, Catch::Contains("stepping down"));
  }
  SECTION("the operator is still choosing (pending)") {
    Observation o = Primary();
    o.target_primary = "pending";
    CHECK(PlanNext(o).step == Step::kStop);
  }
  SECTION("stopped, it stays down until the Cluster records the new primary") {
    Observation o = Stopped(Primary());
    o.target_primary = "pg-2";
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kWait);
    CHECK_THAT(d.reason, Catch::Contains("pg-2"));
  }
  SECTION("a primary's data directory caught starting while another pod is named is stopped") {
    Observation o = Stopped(Primary());
    o.postmaster = PostmasterState::kStarting;
    o.target_primary = "pg-2";
    CHECK(PlanNext(o).step == Step::kStop);
  }
}

TEST_CASE("plan: an old primary rejoins through pg_rewind, never writable in between") {
  SECTION("still running as primary while another is current: fast stop") {
    Observation o = Primary();
    o.current_primary = o.target_primary = "pg-2";
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kStop);
    CHECK_THAT(d.reason, Catch::Contains("rejoining as a standby"));
  }
  SECTION("stopped with a primary's data directory: rewind") {
    Observation o = Stopped(Primary());
    o.current_primary = o.target_primary = "pg-2";
    CHECK(PlanNext(o).step == Step::kRewind);
  }
  SECTION("while the rewind runs nothing else happens") {
    Observation o = Stopped(Primary());
    o.current_primary = o.target_primary = "pg-2";
    o.background = Background::kRewind;
    CHECK(PlanNext(o).step == Step::kWait);
  }
  SECTION("after it the data directory is a standby's and starts as one") {
    Observation o = Stopped(Primary());
    o.current_primary = o.target_primary = "pg-2";
    o.standby_signal = true;
    CHECK(PlanNext(o).step == Step::kStart);
  }
}

TEST_CASE("plan: fencing stops postgres and keeps it stopped, from the RPC or the annotation") {
  for (bool by_rpc : {true, false}) {
    Observation o = Primary();
    (by_rpc ? o.fenced_by_rpc : o.fenced_by_cluster) = true;
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kStop);
    CHECK(d.reason == "fenced");
    CHECK(PlanNext(Stopped(o)).step == Step::kWait);
    o.postmaster = PostmasterState::kStarting;
    CHECK(PlanNext(o).step == Step::kStop);
  }
}

TEST_CASE("plan: parameters that need a restart, and refused parameters") {
  SECTION("a standby restarts by itself for pending parameters") {
    Observation o = Standby();
    o.standby_needs_restart = true;
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kStop);
    CHECK_THAT(d.reason, Catch::Contains("restart"));
  }
  SECTION("a primary waits for the operator's Restart") {
    Observation o = Primary();
    o.standby_needs_restart = true;  // only ever set for standbys; ignored on a primary
    CHECK(PlanNext(o).step == Step::kWait);
    o.restart_requested = true;
    o.restart_mode = ShutdownMode::kSmart;
    Decision d = PlanNext(o);
    CHECK(d.step == Step::kStop);
    CHECK(d.mode == ShutdownMode::kSmart);
  }
  SECTION("a refused configuration is not retried while the Cluster asks the same") {
    Observation o = Primary();
    o.desired_hash = o.refused_hash = "bad";
    CHECK(PlanNext(o).step == Step::kWait);
  }
  SECTION("a configuration the renderer refuses (no hash) leaves postgres alone") {
    Observation o = Primary();
    o.desired_hash = "";
    CHECK(PlanNext(o).step == Step::kWait);
  }
  SECTION("a new configuration on a running server is checked then written") {
    Observation o = Primary();
    o.desired_hash = "h2";
    CHECK(PlanNext(o).step == Step::kCheckConfig);
    o.checked_hash = "h2";
    CHECK(PlanNext(o).step == Step::kWriteConfig);
  }
}

TEST_CASE("plan: shutdowns escalate on their deadlines and harder signals") {
  Observation o = Primary();
  o.shutdown = ShutdownMode::kSmart;
  Decision d = PlanNext(o);
  CHECK(d.step == Step::kStop);
  CHECK(d.mode == ShutdownMode::kSmart);

  o.postmaster = PostmasterState::kStopping;
  o.stopping_mode = ShutdownMode::kSmart;
  o.stop_escalate_at = kNow + seconds(180);
  o.stop_kill_at = kNow + seconds(1800);
  CHECK(PlanNext(o).step == Step::kWait);

  o.now = kNow + seconds(180);
  d = PlanNext(o);
  CHECK(d.step == Step::kStop);
  CHECK(d.mode == ShutdownMode::kFast);

  o.now = kNow + seconds(10);
  o.shutdown = ShutdownMode::kImmediate;  // SIGQUIT during a smart shutdown
  d = PlanNext(o);
  CHECK(d.step == Step::kStop);
  CHECK(d.mode == ShutdownMode::kImmediate);

  o.stopping_mode = ShutdownMode::kFast;
  o.shutdown = ShutdownMode::kFast;
  o.now = kNow + seconds(1800);
  CHECK(PlanNext(o).mode == ShutdownMode::kImmediate);

  o.postmaster = PostmasterState::kStopped;
  CHECK(PlanNext(o).step == Step::kExit);
  o.background = Background::kRewind;
  CHECK(PlanNext(o).step == Step::kWait);
}

TEST_CASE("plan: HA slots are synced on a running server, and errors back off") {
  Observation o = Primary();
  o.slots_dirty = true;
  CHECK(PlanNext(o).step == Step::kSyncSlots);
  o.retry_at = kNow + seconds(1);
  CHECK(PlanNext(o).step == Step::kWait);
  // Safety steps do not wait for the back-off.
  o.fenced_by_rpc = true;
  CHECK(PlanNext(o).step == Step::kStop);
}

}  // namespace tusk::instance
