// InstanceClient over gRPC: one channel per instance address, unary calls
// with deadlines, and WatchStatus on gRPC's callback API so that a thousand
// open streams cost a thousand reactors, not a thousand threads.
#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <map>
#include <mutex>

#include "operator/instance/instance_client.h"

namespace tusk::op {
namespace {

// The channel arguments that decide how fast a dead instance is noticed.
grpc::ChannelArguments InstanceChannelArguments() {
  grpc::ChannelArguments args;
  // A pod that vanishes without closing its sockets (node lost, network cut)
  // is found by an unanswered HTTP/2 ping: one a second, a second to answer.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // On a server stream the client sends no data after its request; without
  // this gRPC stops pinging after two pings and a dead peer goes unnoticed.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A restarted pod answers within a second of listening again. MIN is also
  // gRPC's connect timeout, so it stays at a second: a TLS handshake on a
  // loaded node may take more than 100 ms.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

StatusCode FromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return StatusCode::kOk;
    case grpc::StatusCode::CANCELLED: return StatusCode::kCancelled;
    case grpc::StatusCode::UNKNOWN: return StatusCode::kUnknown;
    case grpc::StatusCode::INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::NOT_FOUND: return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case grpc::StatusCode::PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    case grpc::StatusCode::UNAUTHENTICATED: return StatusCode::kUnauthenticated;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return StatusCode::kResourceExhausted;
    case grpc::StatusCode::FAILED_PRECONDITION: return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::ABORTED: return StatusCode::kAborted;
    case grpc::StatusCode::OUT_OF_RANGE: return StatusCode::kOutOfRange;
    case grpc::StatusCode::UNIMPLEMENTED: return StatusCode::kUnimplemented;
    case grpc::StatusCode::INTERNAL: return StatusCode::kInternal;
    case grpc::StatusCode::UNAVAILABLE: return StatusCode::kUnavailable;
    case grpc::StatusCode::DATA_LOSS: return StatusCode::kDataLoss;
    default: return StatusCode::kUnknown;
  }
}

// "Promote 10.0.0.7:9090: failed to connect to all addresses".
Status FromGrpc(const grpc::Status& s, const std::string& method, const std::string& address) {
  if (s.ok()) return OkStatus();
  std::string message = s.error_message().empty() ? std::string(StatusCodeName(FromGrpcCode(s.error_code())))
                                                  : s.error_message();
  return Status(FromGrpcCode(s.error_code()), method + " " + address + ": " + message);
}

// A relative deadline: gRPC reads a GPR_TIMESPAN as "from now" on its own
// clock, so this file needs no clock of its own.
gpr_timespec DeadlineIn(Duration timeout) {
  return gpr_time_from_nanos(timeout.count() > 0 ? timeout.count() : 0, GPR_TIMESPAN);
}

StatusOr<pb::OperationResult> FromResult(StatusOr<pb::OperationResult> result) {
  if (result.ok() && !result->ok()) return FailedPreconditionError(result->message());
  return result;
}

// The watch currently dispatching a callback on this thread, so a watch
// destroyed from its own callback does not wait for itself.
thread_local const void* tls_dispatching = nullptr;

// One WatchStatus call. It keeps itself alive (self_) until gRPC's OnDone,
// the last thing gRPC does with it; the StatusWatch handle shares ownership.
class WatchReactor final : public grpc::ClientReadReactor<pb::InstanceStatus> {
 public:
  static std::shared_ptr<WatchReactor> Start(std::shared_ptr<pb::InstanceManager::Stub> stub,
                                             const std::string& address, Duration heartbeat,
                                             WatchCallbacks callbacks) {
    auto reactor = std::shared_ptr<WatchReactor>(new WatchReactor(address, std::move(callbacks)));
    reactor->self_ = reactor;
    reactor->stub_ = std::move(stub);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(heartbeat).count();
    reactor->request_.set_heartbeat_interval_ms(ms <= 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : uint32_t(ms));
    reactor->stub_->async()->WatchStatus(&reactor->ctx_, &reactor->request_, reactor.get());
    reactor->StartRead(&reactor->report_);
    reactor->StartCall();
    return reactor;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is over; OnDone follows with its status
    if (!cancelled_.load() && callbacks_.on_status) {
      tls_dispatching = this;
      callbacks_.on_status(report_);
      tls_dispatching = nullptr;
    }
    StartRead(&report_);
  }

  void OnDone(const grpc::Status& s) override {
    if (!cancelled_.load() && callbacks_.on_end) {
      Status end = FromGrpc(s, "WatchStatus", address_);
      // The instance returns OK when it shuts down; to the watcher that is
      // still an instance going away.
      if (s.ok()) end = UnavailableError("WatchStatus " + address_ + ": the instance ended the stream");
      tls_dispatching = this;
      callbacks_.on_end(end);
      tls_dispatching = nullptr;
    }
    std::shared_ptr<WatchReactor> keep = std::move(self_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
  }

  // From the handle's destructor: no callback after this returns, except
  // when called from one of this watch's own callbacks (it cannot wait for
  // itself there; the flag keeps any later callback from running).
  void CancelAndWait() {
    cancelled_.store(true);
    ctx_.TryCancel();
    if (tls_dispatching == this) return;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  WatchReactor(std::string address, WatchCallbacks callbacks)
      : address_(std::move(address)), callbacks_(std::move(callbacks)) {}

  const std::string address_;
  const WatchCallbacks callbacks_;
  std::shared_ptr<pb::InstanceManager::Stub> stub_;
  grpc::ClientContext ctx_;
  pb::WatchStatusRequest request_;
  pb::InstanceStatus report_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::shared_ptr<WatchReactor> self_;
};

class GrpcStatusWatch final : public StatusWatch {
 public:
  explicit GrpcStatusWatch(std::shared_ptr<WatchReactor> reactor) : reactor_(std::move(reactor)) {}
  ~GrpcStatusWatch() override { reactor_->CancelAndWait(); }

 private:
  std::shared_ptr<WatchReactor> reactor_;
};

class GrpcInstanceClient final : public InstanceClient {
 public:
  std::unique_ptr<StatusWatch> WatchStatus(const std::string& address, Duration heartbeat,
                                           WatchCallbacks callbacks) override {
    return std::make_unique<GrpcStatusWatch>(
        WatchReactor::Start(StubFor(address), address, heartbeat, std::move(callbacks)));
  }

  StatusOr<pb::InstanceStatus> GetStatus(const std::string& address, Duration timeout) override {
    return Unary("GetStatus", address, pb::GetStatusRequest(), timeout, &pb::InstanceManager::Stub::GetStatus);
  }
  StatusOr<pb::OperationResult> Promote(const std::string& address, const pb::PromoteRequest& request,
                                        Duration timeout) override {
    return FromResult(Unary("Promote", address, request, timeout, &pb::InstanceManager::Stub::Promote));
  }
  StatusOr<pb::OperationResult> Demote(const std::string& address, const pb::DemoteRequest& request,
                                       Duration timeout) override {
    return FromResult(Unary("Demote", address, request, timeout, &pb::InstanceManager::Stub::Demote));
  }
  StatusOr<pb::OperationResult> Checkpoint(const std::string& address, Duration timeout) override {
    return FromResult(
        Unary("Checkpoint", address, pb::CheckpointRequest(), timeout, &pb::InstanceManager::Stub::Checkpoint));
  }
  StatusOr<pb::OperationResult> Reload(const std::string& address, Duration timeout) override {
    return FromResult(Unary("Reload", address, pb::ReloadRequest(), timeout, &pb::InstanceManager::Stub::Reload));
  }
  StatusOr<pb::OperationResult> Restart(const std::string& address, const pb::RestartRequest& request,
                                        Duration timeout) override {
    return FromResult(Unary("Restart", address, request, timeout, &pb::InstanceManager::Stub::Restart));
  }
  StatusOr<pb::OperationResult> SetFenced(const std::string& address, bool fenced, Duration timeout) override {
    pb::SetFencedRequest request;
    request.set_fenced(fenced);
    return FromResult(Unary("SetFenced", address, request, timeout, &pb::InstanceManager::Stub::SetFenced));
  }

  Status Backup(const std::string& address, const pb::BackupRequest& request,
                const std::function<void(const pb::BackupProgress&)>& on_progress, Duration timeout) override {
    auto stub = StubFor(address);
    grpc::ClientContext ctx;
    ctx.set_deadline(DeadlineIn(timeout));
    std::unique_ptr<grpc::ClientReader<pb::BackupProgress>> reader = stub->Backup(&ctx, request);
    pb::BackupProgress progress;
    while (reader->Read(&progress)) {
      if (on_progress) on_progress(progress);
    }
    return FromGrpc(reader->Finish(), "Backup", address);
  }

 private:
  template <typename Request, typename Response>
  using Rpc = grpc::Status (pb::InstanceManager::Stub::*)(grpc::ClientContext*, const Request&, Response*);

  template <typename Request, typename Response>
  StatusOr<Response> Unary(const std::string& method, const std::string& address, const Request& request,
                           Duration timeout, Rpc<Request, Response> rpc) {
    auto stub = StubFor(address);
    grpc::ClientContext ctx;
    ctx.set_deadline(DeadlineIn(timeout));
    Response response;
    grpc::Status s = ((*stub).*rpc)(&ctx, request, &response);
    if (!s.ok()) return FromGrpc(s, method, address);
    return response;
  }

  std::shared_ptr<pb::InstanceManager::Stub> StubFor(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stubs_.find(address);
    if (it != stubs_.end()) return it->second.stub;
    if (stubs_.size() >= kPruneAbove) PruneIdleLocked();
    Entry entry;
    entry.channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), InstanceChannelArguments());
    entry.stub = std::make_shared<pb::InstanceManager::Stub>(entry.channel);
    return stubs_.emplace(address, std::move(entry)).first->second.stub;
  }

  // Pod IPs change with every new pod; channels to addresses unused for
  // gRPC's idle timeout (30 min) are dropped once there are many. A call
  // still running on one keeps its own reference.
  void PruneIdleLocked() {
    for (auto it = stubs_.begin(); it != stubs_.end();) {
      if (it->second.channel->GetState(false) == GRPC_CHANNEL_IDLE) {
        it = stubs_.erase(it);
      } else {
        ++it;
      }
    }
  }

  static constexpr size_t kPruneAbove = 1024;

  struct Entry {
    std::shared_ptr<grpc::Channel> channel;
    std::shared_ptr<pb::InstanceManager::Stub> stub;
  };
  std::mutex mu_;
  std::map<std::string, Entry> stubs_;
};

}  // namespace

std::unique_ptr<InstanceClient> MakeGrpcInstanceClient() { return std::make_unique<GrpcInstanceClient>(); }

}  // namespace tusk::op
