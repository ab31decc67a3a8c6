// PostgresControl over libpq connections to the local socket, one per
// calling thread (the loop, the action worker, the status collector).
#pragma once

#include <mutex>

#include "common/pg/connection.h"
#include "instance-manager/postgres_control.h"

namespace tusk::instance {

class SqlPostgresControl final : public PostgresControl {
 public:
  explicit SqlPostgresControl(const std::string& conninfo);

  Status Ping() override;
  StatusOr<bool> InRecovery() override;
  Status RequestPromote() override;
  Status ReloadConf() override;
  StatusOr<std::vector<std::string>> PendingRestartParameters() override;
  StatusOr<std::vector<SlotInfo>> PhysicalSlots(const std::string& prefix) override;
  Status CreatePhysicalSlot(const std::string& name) override;
  Status DropSlot(const std::string& name) override;
  Status Checkpoint() override;
  StatusOr<std::string> StatusJson() override;
  void Close() override;

 private:
  pg::Connection loop_;
  std::mutex worker_mu_;
  pg::Connection worker_;
  std::mutex collector_mu_;
  pg::Connection collector_;
};

}  // namespace tusk::instance
