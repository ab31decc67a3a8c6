// What the manager asks of a running postgres over SQL: recovery state,
// promotion, checkpoints, reloads, pending restarts, HA slots and the status
// document. An interface, so the manager's loop is tested without a server
// (test/fakes/fake_postgres_control.h). Each method names the thread that
// calls it; the real one keeps a connection per caller so a slow CHECKPOINT
// never holds up the loop.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::instance {

struct SlotInfo {
  std::string name;
  bool active = false;
};

class PostgresControl {
 public:
  virtual ~PostgresControl() = default;

  // --- the manager's loop ---
  // A round trip succeeds (postgres accepts connections).
  virtual Status Ping() = 0;
  virtual StatusOr<bool> InRecovery() = 0;
  // pg_promote without waiting: the loop watches InRecovery() turn false.
  virtual Status RequestPromote() = 0;
  virtual Status ReloadConf() = 0;
  virtual StatusOr<std::vector<std::string>> PendingRestartParameters() = 0;
  // Physical slots whose name starts with `prefix`.
  virtual StatusOr<std::vector<SlotInfo>> PhysicalSlots(const std::string& prefix) = 0;
  virtual Status CreatePhysicalSlot(const std::string& name) = 0;
  virtual Status DropSlot(const std::string& name) = 0;

  // --- the action worker ---
  virtual Status Checkpoint() = 0;

  // --- status collection (one caller at a time) ---
  // The status query's JSON document (instance-manager/status_query.h).
  virtual StatusOr<std::string> StatusJson() = 0;

  // Drops every connection (before a shutdown: our own sessions would hold
  // a smart shutdown open). The next call reconnects.
  virtual void Close() = 0;
};

}  // namespace tusk::instance
