// The instance manager's decision, as a pure function: given what postgres
// and the data directory look like, what the Cluster says, and what has been
// asked of the manager (signals, RPCs), which one step to take next. The
// manager's loop observes, calls PlanNext, applies the step and comes back;
// no step waits for postgres inside the loop, so signals, RPCs and status
// reports are served while a stop, a promotion or a rewind is under way.
#pragma once

#include <optional>
#include <string>

#include "common/base/clock.h"
#include "instance-manager/postmaster.h"

namespace tusk::instance {

// What the Cluster asks of this instance.
enum class DesiredRole {
  kPrimary,
  kReplica,
  // This instance is the current primary, but the Cluster names another
  // target (a failover or switchover away from us): stop accepting writes
  // and wait until the Cluster records the new primary.
  kStepDown,
  // Nothing to go by yet (no primary named at all).
  kUnknown,
};
DesiredRole DecideRole(const std::string& current_primary, const std::string& target_primary,
                       const std::string& pod);
const char* DesiredRoleName(DesiredRole role);

enum class PostmasterState { kStopped, kStarting, kAccepting, kStopping };

// A long step running off the loop (on the action worker).
enum class Background { kNone, kRewind, kConfigCheck, kCheckpoint };

struct Observation {
  MonoTime now{};

  // --- the Cluster, as last read ---
  bool have_cluster = false;
  std::string pod;
  std::string current_primary;
  std::string target_primary;
  bool fenced_by_cluster = false;  // cnpg.io/fencedInstances names us (or "*")

  // --- asked of the manager ---
  bool fenced_by_rpc = false;
  std::optional<ShutdownMode> shutdown;  // from SIGTERM/SIGINT/SIGQUIT
  bool restart_requested = false;        // the Restart RPC
  ShutdownMode restart_mode = ShutdownMode::kFast;

  // --- postgres and PGDATA ---
  PostmasterState postmaster = PostmasterState::kStopped;
  ShutdownMode stopping_mode = ShutdownMode::kFast;  // while kStopping
  MonoTime stop_escalate_at{};  // smart -> fast
  MonoTime stop_kill_at{};      // -> immediate (stopDelay)
  bool standby_signal = false;  // PGDATA/standby.signal exists
  std::optional<bool> in_recovery;  // known while accepting
  bool promote_requested = false;   // pg_promote sent, not finished yet
  bool checkpoint_after_promote = false;  // promoted; its checkpoint still owed

  // --- configuration ---
  std::string desired_hash;  // rendered from the Cluster for the current role ("" if it cannot be)
  std::string applied_hash;  // in PGDATA
  std::string refused_hash;  // postgres refused it; not re-checked
  std::string checked_hash;  // postgres accepted it; ready to be written
  bool slots_dirty = false;  // HA slots may not match the instances
  bool standby_needs_restart = false;  // a standby with pending_restart parameters

  Background background = Background::kNone;
  // A failed step waits until then before it is tried again.
  MonoTime retry_at{};
};

enum class Step {
  kWait,            // nothing to do until something changes
  kStart,           // start postgres (as a standby when standby.signal exists)
  kStop,            // begin (or escalate) a shutdown with `mode`
  kPromote,         // pg_promote, without waiting
  kCheckpointAfterPromote,
  kRewind,          // pg_rewind against the current primary, then standby config (background)
  kCheckConfig,     // have postgres parse the rendered configuration (background)
  kWriteConfig,     // write the checked configuration and reload
  kSyncSlots,       // create/drop the HA replication slots
  kExit,            // shutdown finished: leave Run with 0
};
const char* StepName(Step step);

struct Decision {
  Step step = Step::kWait;
  ShutdownMode mode = ShutdownMode::kFast;  // kStop
  std::string reason;                       // for logs and status
};

Decision PlanNext(const Observation& obs);

}  // namespace tusk::instance
