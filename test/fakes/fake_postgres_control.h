// postgres's SQL answers without a server: recovery state, promotion
// (which ends when the test says, or at once), slots, pending restarts and
// a status document the manager's status parser accepts.
#pragma once

#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "instance-manager/postgres_control.h"

namespace tusk::instance {

class FakePostgresControl final : public PostgresControl {
 public:
  // --- the test's levers ---
  void SetInRecovery(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    in_recovery_ = v;
  }
  // With false, a promotion stays in progress until FinishPromotion().
  void SetPromoteAtOnce(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    promote_at_once_ = v;
  }
  void FinishPromotion() {
    std::lock_guard<std::mutex> lock(mu_);
    in_recovery_ = false;
  }
  void SetPendingRestart(std::vector<std::string> params) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = std::move(params);
  }
  int promotes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return promotes_;
  }
  int checkpoints() const {
    std::lock_guard<std::mutex> lock(mu_);
    return checkpoints_;
  }
  int reloads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reloads_;
  }
  std::set<std::string> slots() const {
    std::lock_guard<std::mutex> lock(mu_);
    return slots_;
  }

  // --- PostgresControl ---
  Status Ping() override { return OkStatus(); }
  StatusOr<bool> InRecovery() override {
    std::lock_guard<std::mutex> lock(mu_);
    return in_recovery_;
  }
  Status RequestPromote() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++promotes_;
    if (promote_at_once_) in_recovery_ = false;
    return OkStatus();
  }
  Status ReloadConf() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reloads_;
    return OkStatus();
  }
  StatusOr<std::vector<std::string>> PendingRestartParameters() override {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }
  StatusOr<std::vector<SlotInfo>> PhysicalSlots(const std::string& prefix) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<SlotInfo> out;
    for (const auto& s : slots_) {
      if (s.rfind(prefix, 0) == 0) out.push_back({s, false});
    }
    return out;
  }
  Status CreatePhysicalSlot(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    slots_.insert(name);
    return OkStatus();
  }
  Status DropSlot(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    slots_.erase(name);
    return OkStatus();
  }
  Status Checkpoint() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++checkpoints_;
    return OkStatus();
  }
  StatusOr<std::string> StatusJson() override {
    std::lock_guard<std::mutex> lock(mu_);
    nlohmann::json j = {{"in_recovery", in_recovery_},
                        {"system_identifier", "7000000000000000001"},
                        {"timeline", in_recovery_ ? 1 : 2},
                        {"version", "15.0"},
                        {"current_lsn", in_recovery_ ? nullptr : nlohmann::json("0/3000000")},
                        {"replayed_lsn", in_recovery_ ? nlohmann::json("0/3000000") : nullptr},
                        {"standbys", nlohmann::json::array()},
                        {"slots", nlohmann::json::array()}};
    return j.dump();
  }
  void Close() override {}

 private:
  mutable std::mutex mu_;
  bool in_recovery_ = false;
  bool promote_at_once_ = true;
  int promotes_ = 0, checkpoints_ = 0, reloads_ = 0;
  std::vector<std::string> pending_;
  std::set<std::string> slots_;
};

}  // namespace tusk::instance
