#include "instance-manager/sql_postgres_control.h"

#include "instance-manager/status_query.h"

namespace tusk::instance {

SqlPostgresControl::SqlPostgresControl(const std::string& conninfo)
    : loop_(conninfo), worker_(conninfo), collector_(conninfo) {}

Status SqlPostgresControl::Ping() { return loop_.Exec("SELECT 1"); }

StatusOr<bool> SqlPostgresControl::InRecovery() {
  ASSIGN_OR_RETURN(auto r, loop_.Query("SELECT pg_is_in_recovery()"));
  return r.Scalar() == "t";
}

Status SqlPostgresControl::RequestPromote() {
  // pg_promote(wait => true) checks only ten times a second; the loop
  // watches pg_is_in_recovery() itself and sees the end sooner.
  return loop_.Exec("SELECT pg_promote(false)");
}

Status SqlPostgresControl::ReloadConf() { return loop_.Exec("SELECT pg_reload_conf()"); }

StatusOr<std::vector<std::string>> SqlPostgresControl::PendingRestartParameters() {
  ASSIGN_OR_RETURN(auto r, loop_.Query("SELECT name FROM pg_settings WHERE pending_restart ORDER BY name"));
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0].value_or(""));
  return out;
}

StatusOr<std::vector<SlotInfo>> SqlPostgresControl::PhysicalSlots(const std::string& prefix) {
  ASSIGN_OR_RETURN(auto r, loop_.Query("SELECT slot_name, active FROM pg_replication_slots WHERE "
                                       "slot_type = 'physical' AND starts_with(slot_name, $1)",
                                       {prefix}));
  std::vector<SlotInfo> out;
  for (const auto& row : r.rows) out.push_back({row[0].value_or(""), row[1].value_or("f") == "t"});
  return out;
}

Status SqlPostgresControl::CreatePhysicalSlot(const std::string& name) {
  return loop_.Exec("SELECT pg_create_physical_replication_slot($1, true)", {name});
}

Status SqlPostgresControl::DropSlot(const std::string& name) {
  return loop_.Exec("SELECT pg_drop_replication_slot($1)", {name});
}

Status SqlPostgresControl::Checkpoint() {
  std::lock_guard<std::mutex> lock(worker_mu_);
  return worker_.Exec("CHECKPOINT");
}

StatusOr<std::string> SqlPostgresControl::StatusJson() {
  std::lock_guard<std::mutex> lock(collector_mu_);
  ASSIGN_OR_RETURN(auto r, collector_.Query(kStatusQuery));
  return r.Scalar();
}

void SqlPostgresControl::Close() {
  loop_.Close();
  // Never wait here for a CHECKPOINT or a status query in flight: its
  // session ends with the statement, which is all a smart shutdown needs.
  if (std::unique_lock<std::mutex> lock(worker_mu_, std::try_to_lock); lock.owns_lock()) worker_.Close();
  if (std::unique_lock<std::mutex> lock(collector_mu_, std::try_to_lock); lock.owns_lock()) collector_.Close();
}

}  // namespace tusk::instance
