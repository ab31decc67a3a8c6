// An in-memory InstanceClient: tests give each address a status (pushed to
// open watches as the instance would), take an address away, script the
// answer of each lever, and read back every lever pulled. Thread-safe.
// Reports are delivered on the thread that calls SetStatus / Heartbeat (and
// the first one inside WatchStatus itself), so a test sees their effect as
// soon as the call returns.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/instance/instance_client.h"

namespace tusk::op {

class FakeInstanceClient final : public InstanceClient {
 public:
  // One lever pulled: "Promote 10.0.0.3:9090 expected_target=pg-2".
  struct Call {
    std::string method;   // "Promote", "Demote", "Checkpoint", ...
    std::string address;
    std::string args;     // the request, as "key=value ..." (empty if none)
    std::string ToString() const;
  };

  FakeInstanceClient() = default;
  ~FakeInstanceClient() override;

  // An address nobody set accepts watches and sends nothing (an instance
  // still starting); GetStatus and the levers there fail with Unavailable.

  // The instance at `address` now reports `status` (and is reachable): every
  // open watch gets it, with its own sequence, and new watches start with it.
  void SetStatus(const std::string& address, pb::InstanceStatus status);
  // The same status again, as the heartbeat of an instance where nothing
  // changed (reported_unix_ms is advanced by `advance_ms`).
  void Heartbeat(const std::string& address, int64_t advance_ms = 1000);
  // The instance is gone: open watches end with Unavailable, new ones end at
  // once, and calls fail with Unavailable until SetStatus.
  void SetUnreachable(const std::string& address);
  // Open watches of `address` end with `end` (the instance closed them);
  // new watches behave as before.
  void EndWatches(const std::string& address, Status end);

  // The answer of `method` ("Promote", "Demote", "Checkpoint", "Reload",
  // "Restart", "SetFenced", "GetStatus" is not one) at `address` from now
  // on. An OperationResult with ok=false becomes FailedPrecondition, as the
  // real client makes it. Unscripted levers answer ok with the status.
  void SetResult(const std::string& method, const std::string& address, StatusOr<pb::OperationResult> result);
  // What Backup at `address` reports, then how it ends.
  void SetBackup(const std::string& address, std::vector<pb::BackupProgress> progress, Status end);

  std::vector<Call> calls() const;
  // calls() as strings, for comparing with a list in a test.
  std::vector<std::string> call_strings() const;
  void ClearCalls();
  // WatchStatus calls made for `address` so far, and those still open.
  int watches_started(const std::string& address) const;
  int open_watches(const std::string& address) const;

  std::unique_ptr<StatusWatch> WatchStatus(const std::string& address, Duration heartbeat,
                                           WatchCallbacks callbacks) override;
  StatusOr<pb::InstanceStatus> GetStatus(const std::string& address, Duration timeout) override;
  StatusOr<pb::OperationResult> Promote(const std::string& address, const pb::PromoteRequest& request,
                                        Duration timeout) override;
  StatusOr<pb::OperationResult> Demote(const std::string& address, const pb::DemoteRequest& request,
                                       Duration timeout) override;
  StatusOr<pb::OperationResult> Checkpoint(const std::string& address, Duration timeout) override;
  StatusOr<pb::OperationResult> Reload(const std::string& address, Duration timeout) override;
  StatusOr<pb::OperationResult> Restart(const std::string& address, const pb::RestartRequest& request,
                                        Duration timeout) override;
  StatusOr<pb::OperationResult> SetFenced(const std::string& address, bool fenced, Duration timeout) override;
  Status Backup(const std::string& address, const pb::BackupRequest& request,
                const std::function<void(const pb::BackupProgress&)>& on_progress, Duration timeout) override;

  struct WatchState;  // one watch: its callbacks and whether it still delivers

 private:
  struct Instance {
    bool unreachable = false;
    std::optional<pb::InstanceStatus> status;
    std::vector<std::shared_ptr<WatchState>> watches;  // open ones
    int watches_started = 0;
    std::map<std::string, StatusOr<pb::OperationResult>> results;
    std::vector<pb::BackupProgress> backup_progress;
    Status backup_end;
  };

  StatusOr<pb::OperationResult> Lever(const std::string& method, const std::string& address, std::string args);
  // Sends `status` to `watches`, outside `mu_`.
  static void Deliver(const std::vector<std::shared_ptr<WatchState>>& watches, const pb::InstanceStatus& status);
  static void End(const std::vector<std::shared_ptr<WatchState>>& watches, const Status& end);
  void Forget(const std::string& address, const WatchState* watch);

  mutable std::mutex mu_;
  std::map<std::string, Instance> instances_;
  std::vector<Call> calls_;
};

}  // namespace tusk::op
