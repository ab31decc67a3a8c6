// The `run` command: PID 1 of a Postgres pod. One event loop owns postgres
// and every decision about it (start, promote, follow, rewind, fence,
// configuration); the gRPC and HTTP servers read the shared status and hand
// operations to the loop, so no two threads ever act on postgres at once.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "common/base/signals.h"
#include "common/log/log.h"
#include "common/pg/cluster_view.h"
#include "common/pg/connection.h"
#include "instance-manager/child_reaper.h"
#include "instance-manager/desired_state.h"
#include "instance-manager/log_forwarder.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"
#include "instance-manager/postmaster.h"
#include "instance-manager/status_hub.h"
#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

// What the Cluster asks of this instance (pure).
enum class DesiredRole { kPrimary, kReplica, kUnchanged };
DesiredRole DecideRole(const pg::ClusterView& cluster, const std::string& pod);

class InstanceManager {
 public:
  InstanceManager(Options options, std::unique_ptr<DesiredStateSource> desired, ChildRegistry* registry,
                  log::Logger logger);
  ~InstanceManager();

  // Runs until postgres is shut down by a signal (exit code 0) or dies
  // unexpectedly (non-zero). `signals` must cover TERM, INT, QUIT, CHLD, HUP.
  int Run(SignalFd& signals);

  // Thread-safe: called by the servers.
  StatusHub& hub() { return hub_; }
  v1::InstanceStatus CollectStatus();
  // Fills status.archiver on every collection. Set before Run and before
  // the servers start; the source must outlive them.
  void SetArchiverStatusSource(std::function<v1::ArchiverStatus()> source) { archiver_source_ = std::move(source); }
  v1::OperationResult Promote(const v1::PromoteRequest& req);
  v1::OperationResult Checkpoint();
  v1::OperationResult Reload();
  v1::OperationResult Restart(bool smart);
  v1::OperationResult SetFenced(bool fenced);

 private:
  using Op = std::function<v1::OperationResult()>;
  v1::OperationResult Submit(Op op);
  void RunQueuedOps();

  // Loop-thread steps.
  void Reconcile();
  Status StartPostgres();
  Status StopPostgres(ShutdownMode mode);
  Status PromoteNow();
  Status DemoteNow();
  Status ApplyConfig(bool primary);
  Status EnsureHaSlots(bool primary);
  // Reports parameters waiting for a restart; a standby restarts for them.
  Status RefreshPendingRestart(bool in_recovery);
  void OnPostgresAccepting();
  void BeginShutdown(ShutdownMode mode);
  void SetPhase(v1::Phase phase);
  void UpdateView(const std::function<void(v1::InstanceStatus*)>& fn);
  v1::OperationResult Result(const Status& st);

  Options options_;
  std::unique_ptr<DesiredStateSource> desired_;
  ChildRegistry* registry_;
  log::Logger logger_;
  PgTools tools_;
  Postmaster postmaster_;
  LogForwarder forwarder_;
  StatusHub hub_;

  // Loop-thread state.
  pg::ClusterView cluster_;
  bool have_cluster_ = false;
  pg::Connection control_;
  bool accepting_ = false;
  bool expect_exit_ = false;
  bool fenced_by_rpc_ = false;
  std::string applied_hash_;
  // The last configuration postgres refused, so it is not re-checked (and
  // re-logged) on every pass.
  std::string refused_hash_, refused_error_;
  bool shutting_down_ = false;
  ShutdownMode shutdown_mode_ = ShutdownMode::kSmart;
  std::chrono::steady_clock::time_point escalate_at_, kill_at_;
  std::chrono::steady_clock::time_point next_reconcile_;

  // The manager's half of the status (role decisions, errors), merged with
  // postgres's half on every collection.
  std::mutex view_mu_;
  v1::InstanceStatus view_;
  std::atomic<bool> collect_enabled_{false};
  std::mutex collect_mu_;
  pg::Connection collector_;
  uint64_t sequence_ = 0;
  std::function<v1::ArchiverStatus()> archiver_source_;

  std::mutex ops_mu_;
  std::deque<std::pair<Op, std::promise<v1::OperationResult>>> ops_;
  int wake_fd_ = -1;
};

}  // namespace tusk::instance
