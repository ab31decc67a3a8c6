// The manager's side facing the servers: fresh status collections and the
// requests (Promote, Checkpoint, Reload, Restart, SetFenced). A request runs
// on the loop thread only to record what is asked; whatever takes time
// happens in later passes, and the caller waits for it here, off the loop.
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "instance-manager/manager.h"
#include "instance-manager/status_query.h"

namespace tusk::instance {
namespace {

// How long a caller waits for the loop to take a request at all.
constexpr auto kTakeTimeout = std::chrono::seconds(30);
constexpr auto kDefaultPromoteWait = std::chrono::seconds(60);
constexpr auto kRestartWait = std::chrono::seconds(600);
constexpr auto kReloadWait = std::chrono::seconds(60);

}  // namespace

v1::InstanceStatus InstanceManager::CollectStatus() {
  std::lock_guard<std::mutex> lock(collect_mu_);
  v1::InstanceStatus s;
  {
    std::lock_guard<std::mutex> vlock(view_mu_);
    s = view_;
  }
  if (archiver_source_) *s.mutable_archiver() = archiver_source_();
  if (s.postgres_running() && collect_enabled_) {
    auto json = postgres_.StatusJson();
    Status st = json.ok() ? ParseStatusJson(*json, &s) : json.status();
    if (!st.ok()) s.set_last_error(st.message());
    const bool streaming = s.wal_receiver().status() == "streaming";
    s.set_ready(st.ok() && (!s.in_recovery() || streaming || !s.replayed_lsn().empty()));
  } else {
    s.set_ready(false);
  }
  s.set_reported_unix_ms(UnixMillis(clock_.WallNow()));
  s.set_sequence(++sequence_);
  hub_.Publish(s);
  return s;
}

v1::OperationResult InstanceManager::Result(const Status& st) {
  v1::OperationResult r;
  r.set_ok(st.ok());
  r.set_message(st.ok() ? "done" : st.message());
  *r.mutable_status() = CollectStatus();
  return r;
}

Status InstanceManager::Submit(Op op) {
  std::future<Status> f;
  {
    std::lock_guard<std::mutex> lock(ops_mu_);
    ops_.emplace_back(std::move(op), std::promise<Status>());
    f = ops_.back().second.get_future();
  }
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;
  if (f.wait_for(kTakeTimeout) != std::future_status::ready) {
    return DeadlineExceededError("the instance manager did not take the request in time");
  }
  return f.get();
}

Status InstanceManager::SubmitAndWait(Op op, std::function<std::optional<Status>()> check, Duration timeout,
                                      std::string what) {
  auto waiter = std::make_shared<Waiter>();
  waiter->check = std::move(check);
  waiter->what = std::move(what);
  std::future<Status> done = waiter->done.get_future();
  Status taken = Submit([this, op = std::move(op), waiter, timeout] {
    RETURN_IF_ERROR(op());
    waiter->deadline = clock_.Now() + timeout;
    waiters_.push_back(waiter);
    return OkStatus();
  });
  if (!taken.ok()) return taken;
  // The loop completes every waiter by its deadline; the margin covers a
  // loop that is itself gone.
  if (done.wait_for(timeout + kTakeTimeout) != std::future_status::ready) {
    return DeadlineExceededError("the instance manager stopped answering");
  }
  return done.get();
}

void InstanceManager::RunQueuedOps() {
  uint64_t v;
  ssize_t n = ::read(wake_fd_, &v, sizeof(v));
  (void)n;
  while (true) {
    std::pair<Op, std::promise<Status>> item;
    {
      std::lock_guard<std::mutex> lock(ops_mu_);
      if (ops_.empty()) return;
      item = std::move(ops_.front());
      ops_.pop_front();
    }
    item.second.set_value(item.first());
  }
}

void InstanceManager::CheckWaiters() {
  const MonoTime now = clock_.Now();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter& w = **it;
    std::optional<Status> result = w.check();
    if (!result && now >= w.deadline) result = DeadlineExceededError(w.what + " did not finish in time");
    if (result) {
      w.done.set_value(*result);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

v1::OperationResult InstanceManager::Promote(const v1::PromoteRequest& req) {
  const Duration wait = req.wait_seconds() > 0 ? Duration(std::chrono::seconds(req.wait_seconds()))
                                               : Duration(kDefaultPromoteWait);
  auto refused = [this, req]() -> std::optional<Status> {
    if (req.expected_target() != options_.pod_name || cluster_.target_primary != options_.pod_name) {
      return FailedPreconditionError("refusing to promote: the Cluster status names \"" + cluster_.target_primary +
                                     "\" as target primary, the request \"" + req.expected_target() + "\"");
    }
    return std::nullopt;
  };
  Status st = SubmitAndWait(
      [this, refused] {
        // The RPC is a wake-up: read the Cluster now rather than on the
        // next pass, so a freshly written target is seen.
        ReadCluster();
        if (auto r = refused()) return *r;
        return OkStatus();
      },
      [this, refused]() -> std::optional<Status> {
        if (auto r = refused()) return r;
        if (pm_state_ == PostmasterState::kAccepting && in_recovery_ == false && !promote_requested_) {
          return OkStatus();
        }
        return std::nullopt;
      },
      wait, "promotion");
  return Result(st);
}

v1::OperationResult InstanceManager::Checkpoint() {
  // Thread-safe on its own connection; nothing for the loop to decide.
  if (!collect_enabled_) return Result(UnavailableError("postgres is not running"));
  return Result(postgres_.Checkpoint());
}

v1::OperationResult InstanceManager::Reload() {
  Status st = SubmitAndWait(
      [this]() -> Status {
        if (pm_state_ != PostmasterState::kAccepting) return UnavailableError("postgres is not running");
        // Re-render and re-check even if nothing changed.
        applied_hash_.clear();
        checked_hash_.clear();
        refused_hash_.clear();
        return OkStatus();
      },
      [this]() -> std::optional<Status> {
        if (!desired_config_) return InvalidArgumentError(refused_error_);
        if (applied_hash_ == desired_config_->hash) return OkStatus();
        if (refused_hash_ == desired_config_->hash) return InvalidArgumentError(refused_error_);
        return std::nullopt;
      },
      kReloadWait, "reload");
  return Result(st);
}

v1::OperationResult InstanceManager::Restart(bool smart) {
  auto generation = std::make_shared<uint64_t>(0);
  Status st = SubmitAndWait(
      [this, smart, generation]() -> Status {
        if (pm_state_ == PostmasterState::kStopped) return FailedPreconditionError("postgres is not running");
        restart_requested_ = true;
        restart_mode_ = smart ? ShutdownMode::kSmart : ShutdownMode::kFast;
        *generation = accepting_generation_;
        return OkStatus();
      },
      [this, generation]() -> std::optional<Status> {
        if (accepting_generation_ > *generation && pm_state_ == PostmasterState::kAccepting) return OkStatus();
        if (shutdown_) return CancelledError("the instance manager is shutting down");
        return std::nullopt;
      },
      kRestartWait, "restart");
  return Result(st);
}

v1::OperationResult InstanceManager::SetFenced(bool fenced) {
  // Answers once the loop has recorded it; the stop (or start) follows.
  return Result(Submit([this, fenced] {
    fenced_by_rpc_ = fenced;
    return OkStatus();
  }));
}

}  // namespace tusk::instance
