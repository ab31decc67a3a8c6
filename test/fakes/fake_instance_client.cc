#include "test/fakes/fake_instance_client.h"

namespace tusk::op {

// The callbacks run under `mu`, a recursive mutex so that a watch can be
// destroyed from its own callback; the destructor takes it too, so no
// callback runs after the watch is gone.
struct FakeInstanceClient::WatchState {
  std::recursive_mutex mu;
  WatchCallbacks callbacks;
  bool delivering = true;  // false once ended or destroyed
  uint64_t sequence = 0;
};

namespace {

class FakeStatusWatch final : public StatusWatch {
 public:
  FakeStatusWatch(std::shared_ptr<FakeInstanceClient::WatchState> state, std::function<void()> forget)
      : state_(std::move(state)), forget_(std::move(forget)) {}
  ~FakeStatusWatch() override {
    {
      std::lock_guard<std::recursive_mutex> lock(state_->mu);
      state_->delivering = false;
    }
    forget_();
  }

 private:
  std::shared_ptr<FakeInstanceClient::WatchState> state_;
  std::function<void()> forget_;
};

Status Unreachable(const std::string& method, const std::string& address) {
  return UnavailableError(method + " " + address + ": connection refused");
}

std::string Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string FakeInstanceClient::Call::ToString() const {
  return method + " " + address + (args.empty() ? "" : " " + args);
}

FakeInstanceClient::~FakeInstanceClient() = default;

void FakeInstanceClient::Deliver(const std::vector<std::shared_ptr<WatchState>>& watches,
                                 const pb::InstanceStatus& status) {
  for (const auto& w : watches) {
    std::lock_guard<std::recursive_mutex> lock(w->mu);
    if (!w->delivering) continue;
    pb::InstanceStatus report = status;
    report.set_sequence(++w->sequence);
    if (w->callbacks.on_status) w->callbacks.on_status(report);
  }
}

void FakeInstanceClient::End(const std::vector<std::shared_ptr<WatchState>>& watches, const Status& end) {
  for (const auto& w : watches) {
    std::lock_guard<std::recursive_mutex> lock(w->mu);
    if (!w->delivering) continue;
    w->delivering = false;
    if (w->callbacks.on_end) w->callbacks.on_end(end);
  }
}

void FakeInstanceClient::SetStatus(const std::string& address, pb::InstanceStatus status) {
  std::vector<std::shared_ptr<WatchState>> watches;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Instance& inst = instances_[address];
    inst.unreachable = false;
    inst.status = status;
    watches = inst.watches;
  }
  Deliver(watches, status);
}

void FakeInstanceClient::Heartbeat(const std::string& address, int64_t advance_ms) {
  std::vector<std::shared_ptr<WatchState>> watches;
  pb::InstanceStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Instance& inst = instances_[address];
    if (inst.unreachable || !inst.status) return;
    inst.status->set_reported_unix_ms(inst.status->reported_unix_ms() + advance_ms);
    status = *inst.status;
    watches = inst.watches;
  }
  Deliver(watches, status);
}

void FakeInstanceClient::SetUnreachable(const std::string& address) {
  std::vector<std::shared_ptr<WatchState>> watches;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Instance& inst = instances_[address];
    inst.unreachable = true;
    watches.swap(inst.watches);
  }
  End(watches, Unreachable("WatchStatus", address));
}

void FakeInstanceClient::EndWatches(const std::string& address, Status end) {
  std::vector<std::shared_ptr<WatchState>> watches;
  {
    std::lock_guard<std::mutex> lock(mu_);
    watches.swap(instances_[address].watches);
  }
  End(watches, end);
}

void FakeInstanceClient::SetResult(const std::string& method, const std::string& address,
                                   StatusOr<pb::OperationResult> result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& results = instances_[address].results;
  results.erase(method);
  results.emplace(method, std::move(result));
}

void FakeInstanceClient::SetBackup(const std::string& address, std::vector<pb::BackupProgress> progress,
                                   Status end) {
  std::lock_guard<std::mutex> lock(mu_);
  Instance& inst = instances_[address];
  inst.backup_progress = std::move(progress);
  inst.backup_end = std::move(end);
}

std::vector<FakeInstanceClient::Call> FakeInstanceClient::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<std::string> FakeInstanceClient::call_strings() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Call& c : calls_) out.push_back(c.ToString());
  return out;
}

void FakeInstanceClient::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

int FakeInstanceClient::watches_started(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(address);
  return it == instances_.end() ? 0 : it->second.watches_started;
}

int FakeInstanceClient::open_watches(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(address);
  return it == instances_.end() ? 0 : static_cast<int>(it->second.watches.size());
}

void FakeInstanceClient::Forget(const std::string& address, const WatchState* watch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(address);
  if (it == instances_.end()) return;
  auto& watches = it->second.watches;
  for (auto w = watches.begin(); w != watches.end(); ++w) {
    if (w->get() == watch) {
      watches.erase(w);
      return;
    }
  }
}

std::unique_ptr<StatusWatch> FakeInstanceClient::WatchStatus(const std::string& address, Duration,
                                                             WatchCallbacks callbacks) {
  auto state = std::make_shared<WatchState>();
  state->callbacks = std::move(callbacks);
  bool unreachable = false;
  std::optional<pb::InstanceStatus> first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Instance& inst = instances_[address];
    ++inst.watches_started;
    unreachable = inst.unreachable;
    if (!unreachable) {
      inst.watches.push_back(state);
      first = inst.status;
    }
  }
  auto watch = std::make_unique<FakeStatusWatch>(
      state, [this, address, raw = state.get()] { Forget(address, raw); });
  if (unreachable) {
    End({state}, Unreachable("WatchStatus", address));
  } else if (first) {
    Deliver({state}, *first);
  }
  return watch;
}

StatusOr<pb::InstanceStatus> FakeInstanceClient::GetStatus(const std::string& address, Duration) {
  std::lock_guard<std::mutex> lock(mu_);
  const Instance& inst = instances_[address];
  if (inst.unreachable || !inst.status) return Unreachable("GetStatus", address);
  return *inst.status;
}

StatusOr<pb::OperationResult> FakeInstanceClient::Lever(const std::string& method, const std::string& address,
                                                        std::string args) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Call{method, address, std::move(args)});
  const Instance& inst = instances_[address];
  if (inst.unreachable) return Unreachable(method, address);
  auto scripted = inst.results.find(method);
  if (scripted != inst.results.end()) {
    const StatusOr<pb::OperationResult>& result = scripted->second;
    if (result.ok() && !result->ok()) return FailedPreconditionError(result->message());
    return result;
  }
  if (!inst.status) return Unreachable(method, address);
  pb::OperationResult ok;
  ok.set_ok(true);
  *ok.mutable_status() = *inst.status;
  return ok;
}

StatusOr<pb::OperationResult> FakeInstanceClient::Promote(const std::string& address,
                                                          const pb::PromoteRequest& request, Duration) {
  std::string args = "expected_target=" + request.expected_target();
  if (request.wait_seconds() != 0) args += " wait_seconds=" + std::to_string(request.wait_seconds());
  return Lever("Promote", address, std::move(args));
}

StatusOr<pb::OperationResult> FakeInstanceClient::Demote(const std::string& address,
                                                         const pb::DemoteRequest& request, Duration) {
  std::string args = "new_primary=" + request.new_primary();
  if (request.wait_for_new_primary()) args += " wait_for_new_primary=true";
  if (request.timeout_seconds() != 0) args += " timeout_seconds=" + std::to_string(request.timeout_seconds());
  return Lever("Demote", address, std::move(args));
}

StatusOr<pb::OperationResult> FakeInstanceClient::Checkpoint(const std::string& address, Duration) {
  return Lever("Checkpoint", address, "");
}

StatusOr<pb::OperationResult> FakeInstanceClient::Reload(const std::string& address, Duration) {
  return Lever("Reload", address, "");
}

StatusOr<pb::OperationResult> FakeInstanceClient::Restart(const std::string& address,
                                                          const pb::RestartRequest& request, Duration) {
  return Lever("Restart", address, "smart=" + Bool(request.smart()));
}

StatusOr<pb::OperationResult> FakeInstanceClient::SetFenced(const std::string& address, bool fenced, Duration) {
  return Lever("SetFenced", address, "fenced=" + Bool(fenced));
}

Status FakeInstanceClient::Backup(const std::string& address, const pb::BackupRequest& request,
                                  const std::function<void(const pb::BackupProgress&)>& on_progress, Duration) {
  std::vector<pb::BackupProgress> progress;
  Status end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(Call{"Backup", address, "backup_id=" + request.backup_id()});
    const Instance& inst = instances_[address];
    if (inst.unreachable) return Unreachable("Backup", address);
    progress = inst.backup_progress;
    end = inst.backup_end;
  }
  for (const auto& p : progress) {
    if (on_progress) on_progress(p);
  }
  return end;
}

}  // namespace tusk::op
