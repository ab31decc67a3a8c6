#include "instance-manager/role_plan.h"

namespace tusk::instance {
namespace {

int Severity(ShutdownMode m) { return static_cast<int>(m); }

Decision Wait(std::string reason) { return {Step::kWait, ShutdownMode::kFast, std::move(reason)}; }
Decision Stop(ShutdownMode mode, std::string reason) { return {Step::kStop, mode, std::move(reason)}; }
Decision Do(Step step, std::string reason) { return {step, ShutdownMode::kFast, std::move(reason)}; }

// A shutdown under way: harden it when asked for a harder mode or when its
// deadline passes; otherwise wait for postgres to exit.
Decision WhileStopping(const Observation& o, std::optional<ShutdownMode> wanted) {
  if (wanted && Severity(*wanted) > Severity(o.stopping_mode)) return Stop(*wanted, "a harder shutdown was asked for");
  if (o.stopping_mode == ShutdownMode::kSmart && o.now >= o.stop_escalate_at) {
    return Stop(ShutdownMode::kFast, "smart shutdown did not finish within smartShutdownTimeout");
  }
  if (o.stopping_mode != ShutdownMode::kImmediate && o.now >= o.stop_kill_at) {
    return Stop(ShutdownMode::kImmediate, "shutdown did not finish within stopDelay");
  }
  return Wait("postgres is stopping");
}

// Before postgres starts (or while it runs), the configuration the Cluster
// asks for is checked by postgres, then written; a refused one leaves the
// last good files in place and is not retried until the Cluster changes.
std::optional<Decision> ConfigStep(const Observation& o) {
  if (o.desired_hash.empty() || o.desired_hash == o.applied_hash || o.desired_hash == o.refused_hash) {
    return std::nullopt;
  }
  if (o.desired_hash == o.checked_hash) return Do(Step::kWriteConfig, "write the checked configuration");
  return Do(Step::kCheckConfig, "check the configuration the Cluster asks for");
}

bool Retryable(Step s) {
  return s != Step::kWait && s != Step::kStop && s != Step::kExit;
}

Decision PlanStopped(const Observation& o, DesiredRole role) {
  switch (role) {
    case DesiredRole::kUnknown:
      return Wait("the Cluster names no primary yet");
    case DesiredRole::kStepDown:
      if (!o.standby_signal) {
        // An old primary stays down until the Cluster records who took
        // over; then it rewinds onto the new timeline (kReplica below).
        return Wait("stepped down: waiting for the Cluster to record " + o.target_primary + " as primary");
      }
      break;  // a standby's data directory starts as a standby
    case DesiredRole::kReplica:
      if (!o.standby_signal) {
        // Never start an old primary's data directory writable: rewind it.
        return Do(Step::kRewind, "the Cluster names " + o.current_primary + " as primary");
      }
      break;
    case DesiredRole::kPrimary:
      break;
  }
  if (auto config = ConfigStep(o)) return *config;
  return Do(Step::kStart, o.standby_signal ? "start as a standby" : "start as the primary");
}

Decision PlanAccepting(const Observation& o, DesiredRole role) {
  if (!o.in_recovery.has_value()) return Wait("reading the recovery state");
  const bool in_recovery = *o.in_recovery;
  if (o.promote_requested) return Wait("promotion in progress");
  if (o.checkpoint_after_promote) {
    return Do(Step::kCheckpointAfterPromote, "record the new timeline in pg_control");
  }
  switch (role) {
    case DesiredRole::kPrimary:
      if (in_recovery) return Do(Step::kPromote, "the Cluster names this instance as target primary");
      break;
    case DesiredRole::kReplica:
      if (!in_recovery) {
        return Stop(ShutdownMode::kFast, "the Cluster names " + o.current_primary + " as primary: rejoining as a standby");
      }
      break;
    case DesiredRole::kStepDown:
      if (!in_recovery) {
        return Stop(ShutdownMode::kFast,
                    "the Cluster names " + o.target_primary + " as target primary: stepping down");
      }
      break;
    case DesiredRole::kUnknown:
      break;
  }
  if (o.restart_requested) return Stop(o.restart_mode, "restart requested");
  if (auto config = ConfigStep(o)) return *config;
  if (o.slots_dirty) return Do(Step::kSyncSlots, "bring the HA replication slots in line with the instances");
  if (o.standby_needs_restart && in_recovery) {
    return Stop(ShutdownMode::kFast, "restart the standby for parameters that need it");
  }
  return Wait("in the state the Cluster asks for");
}

Decision PlanWithoutRetry(const Observation& o) {
  if (o.shutdown) {
    switch (o.postmaster) {
      case PostmasterState::kStopped:
        // A pg_rewind cut short leaves PGDATA unusable: let it finish.
        if (o.background == Background::kRewind) return Wait("pg_rewind must finish before the manager exits");
        return Do(Step::kExit, "postgres is down");
      case PostmasterState::kStopping:
        return WhileStopping(o, o.shutdown);
      default:
        return Stop(*o.shutdown, "shutdown requested");
    }
  }
  if (o.postmaster == PostmasterState::kStopping) return WhileStopping(o, std::nullopt);

  if (o.fenced_by_rpc || o.fenced_by_cluster) {
    if (o.postmaster != PostmasterState::kStopped) return Stop(ShutdownMode::kFast, "fenced");
    return Wait("fenced");
  }
  if (o.background != Background::kNone) return Wait("a background step is running");
  if (!o.have_cluster) return Wait("the Cluster has not been read yet");

  const DesiredRole role = DecideRole(o.current_primary, o.target_primary, o.pod);
  switch (o.postmaster) {
    case PostmasterState::kStopped:
      return PlanStopped(o, role);
    case PostmasterState::kStarting:
      if ((role == DesiredRole::kReplica || role == DesiredRole::kStepDown) && !o.standby_signal) {
        return Stop(ShutdownMode::kFast, "a primary's data directory is starting while the Cluster names another primary");
      }
      return Wait("postgres is starting");
    case PostmasterState::kAccepting:
      return PlanAccepting(o, role);
    case PostmasterState::kStopping:
      break;
  }
  return Wait("postgres is stopping");
}

}  // namespace

DesiredRole DecideRole(const std::string& current, const std::string& target, const std::string& pod) {
  if (target == pod) return DesiredRole::kPrimary;
  if (current == pod) return target.empty() ? DesiredRole::kPrimary : DesiredRole::kStepDown;
  if (current.empty()) return DesiredRole::kUnknown;
  return DesiredRole::kReplica;
}

const char* DesiredRoleName(DesiredRole role) {
  switch (role) {
    case DesiredRole::kPrimary: return "primary";
    case DesiredRole::kReplica: return "replica";
    case DesiredRole::kStepDown: return "step-down";
    case DesiredRole::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* StepName(Step step) {
  switch (step) {
    case Step::kWait: return "wait";
    case Step::kStart: return "start";
    case Step::kStop: return "stop";
    case Step::kPromote: return "promote";
    case Step::kCheckpointAfterPromote: return "checkpoint-after-promote";
    case Step::kRewind: return "rewind";
    case Step::kCheckConfig: return "check-config";
    case Step::kWriteConfig: return "write-config";
    case Step::kSyncSlots: return "sync-slots";
    case Step::kExit: return "exit";
  }
  return "wait";
}

Decision PlanNext(const Observation& obs) {
  Decision d = PlanWithoutRetry(obs);
  if (Retryable(d.step) && obs.now < obs.retry_at) return Wait("retrying after an error: " + d.reason);
  return d;
}

}  // namespace tusk::instance
