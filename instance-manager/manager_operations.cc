// The manager's side facing the servers: fresh status collections and the
// operations (Promote, Checkpoint, Reload, Restart, SetFenced), each run on
// the loop thread so nothing acts on postgres concurrently.
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "instance-manager/config_files.h"
#include "instance-manager/manager.h"
#include "instance-manager/status_query.h"

namespace tusk::instance {
namespace {

constexpr auto kOpTimeout = std::chrono::seconds(120);

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

v1::InstanceStatus InstanceManager::CollectStatus() {
  std::lock_guard<std::mutex> lock(collect_mu_);
  v1::InstanceStatus s;
  {
    std::lock_guard<std::mutex> vlock(view_mu_);
    s = view_;
  }
  if (archiver_source_) *s.mutable_archiver() = archiver_source_();
  bool running = s.postgres_running();
  if (running && collect_enabled_) {
    auto r = collector_.Query(kStatusQuery);
    Status st = r.ok() ? ParseStatusJson(r->Scalar(), &s) : r.status();
    if (!st.ok()) {
      s.set_last_error(st.message());
    }
    const bool streaming = s.wal_receiver().status() == "streaming";
    s.set_ready(st.ok() && (!s.in_recovery() || streaming || !s.replayed_lsn().empty()));
  } else {
    if (!collect_enabled_) collector_.Close();
    s.set_ready(false);
  }
  s.set_reported_unix_ms(NowUnixMs());
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

v1::OperationResult InstanceManager::Submit(Op op) {
  std::future<v1::OperationResult> f;
  {
    std::lock_guard<std::mutex> lock(ops_mu_);
    ops_.emplace_back(std::move(op), std::promise<v1::OperationResult>());
    f = ops_.back().second.get_future();
  }
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;
  if (f.wait_for(kOpTimeout) != std::future_status::ready) {
    v1::OperationResult r;
    r.set_message("the operation did not finish in time");
    return r;
  }
  return f.get();
}

void InstanceManager::RunQueuedOps() {
  uint64_t v;
  ssize_t n = ::read(wake_fd_, &v, sizeof(v));
  (void)n;
  while (true) {
    std::pair<Op, std::promise<v1::OperationResult>> item;
    {
      std::lock_guard<std::mutex> lock(ops_mu_);
      if (ops_.empty()) return;
      item = std::move(ops_.front());
      ops_.pop_front();
    }
    item.second.set_value(item.first());
  }
}

v1::OperationResult InstanceManager::Promote(const v1::PromoteRequest& req) {
  return Submit([this, req] {
    if (req.expected_target() != options_.pod_name || cluster_.target_primary != options_.pod_name) {
      return Result(FailedPreconditionError("refusing to promote: the Cluster status names \"" +
                                            cluster_.target_primary + "\" as target primary, the request \"" +
                                            req.expected_target() + "\""));
    }
    if (!accepting_) return Result(UnavailableError("postgres is not accepting connections yet"));
    return Result(PromoteNow());
  });
}

v1::OperationResult InstanceManager::Checkpoint() {
  return Submit([this] {
    if (!accepting_) return Result(UnavailableError("postgres is not running"));
    return Result(control_.Exec("CHECKPOINT"));
  });
}

v1::OperationResult InstanceManager::Reload() {
  return Submit([this] {
    if (!accepting_) return Result(UnavailableError("postgres is not running"));
    applied_hash_.clear();  // re-render and re-check even if nothing changed
    auto in_recovery = control_.Query("SELECT pg_is_in_recovery()");
    if (!in_recovery.ok()) return Result(in_recovery.status());
    Status st = ApplyConfig(in_recovery->Scalar() == "f");
    if (st.ok()) st = control_.Exec("SELECT pg_reload_conf()");
    return Result(st);
  });
}

v1::OperationResult InstanceManager::Restart(bool smart) {
  return Submit([this, smart] {
    if (!postmaster_.running()) return Result(FailedPreconditionError("postgres is not running"));
    Status st = StopPostgres(smart ? ShutdownMode::kSmart : ShutdownMode::kFast);
    if (st.ok()) st = StartPostgres();
    return Result(st);
  });
}

v1::OperationResult InstanceManager::SetFenced(bool fenced) {
  return Submit([this, fenced] {
    fenced_by_rpc_ = fenced;
    Reconcile();
    return Result(OkStatus());
  });
}

}  // namespace tusk::instance
