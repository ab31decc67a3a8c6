// The operator's side of tusk-instance's gRPC service (proto/instance.proto):
// one interface for every call the controllers make, so they are tested with
// test/fakes/fake_instance_client.h instead of pods. Addresses are
// "host:port" (a pod IP and 9090).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "tusk/proto/instance.grpc.pb.h"

namespace tusk::op {

namespace pb = ::tusk::instance::v1;

// An open WatchStatus stream; destroying it cancels the stream and waits
// until no callback of it runs any more.
class StatusWatch {
 public:
  virtual ~StatusWatch() = default;
};

struct WatchCallbacks {
  // Every report, in order, on a thread of the client.
  std::function<void(const pb::InstanceStatus&)> on_status;
  // Once, when the stream ends for any reason other than the watch being
  // destroyed (the instance went away, refused, the connection broke).
  std::function<void(const Status&)> on_end;
};

class InstanceClient {
 public:
  virtual ~InstanceClient() = default;
  // Opens a stream asking for a report at least every `heartbeat`.
  virtual std::unique_ptr<StatusWatch> WatchStatus(const std::string& address, Duration heartbeat,
                                                   WatchCallbacks callbacks) = 0;
  virtual StatusOr<pb::InstanceStatus> GetStatus(const std::string& address, Duration timeout) = 0;
  // The RPCs that pull a lever answer with OperationResult; `ok: false`
  // becomes FailedPrecondition with the instance's message.
  virtual StatusOr<pb::OperationResult> Promote(const std::string& address, const pb::PromoteRequest& request,
                                                Duration timeout) = 0;
  virtual StatusOr<pb::OperationResult> Demote(const std::string& address, const pb::DemoteRequest& request,
                                               Duration timeout) = 0;
  virtual StatusOr<pb::OperationResult> Checkpoint(const std::string& address, Duration timeout) = 0;
  virtual StatusOr<pb::OperationResult> Reload(const std::string& address, Duration timeout) = 0;
  virtual StatusOr<pb::OperationResult> Restart(const std::string& address, const pb::RestartRequest& request,
                                                Duration timeout) = 0;
  virtual StatusOr<pb::OperationResult> SetFenced(const std::string& address, bool fenced, Duration timeout) = 0;
  // Runs a base backup, calling `on_progress` for each report; the result is
  // the stream's end (OK once the backup completed).
  virtual Status Backup(const std::string& address, const pb::BackupRequest& request,
                        const std::function<void(const pb::BackupProgress&)>& on_progress, Duration timeout) = 0;
};

// The real client over gRPC (insecure channel until the TLS issue lands),
// one channel per address, reused.
std::unique_ptr<InstanceClient> MakeGrpcInstanceClient();

}  // namespace tusk::op
