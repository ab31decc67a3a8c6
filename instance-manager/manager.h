// The `run` command: PID 1 of a Postgres pod. One loop owns postgres and
// every decision about it: each pass observes (postgres, PGDATA, the
// Cluster, what signals and RPCs asked), asks the pure PlanNext for one step
// (role_plan.h) and applies it without waiting — stops are signals whose end
// arrives through the postmaster's pidfd, a promotion is watched pass by
// pass, and pg_rewind, configuration checks and checkpoints run on the
// action worker. The gRPC and HTTP servers read the shared status and hand
// requests to the loop, so no two threads ever act on postgres at once.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "common/base/clock.h"
#include "common/base/signals.h"
#include "common/log/log.h"
#include "common/pg/cluster_view.h"
#include "common/pg/config_render.h"
#include "instance-manager/action_worker.h"
#include "instance-manager/child_reaper.h"
#include "instance-manager/desired_state.h"
#include "instance-manager/log_forwarder.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"
#include "instance-manager/postgres_control.h"
#include "instance-manager/postmaster.h"
#include "instance-manager/role_plan.h"
#include "instance-manager/status_hub.h"
#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

class InstanceManager {
 public:
  // What the manager acts through; all must outlive it.
  struct Seams {
    Clock* clock;
    Postmaster* postmaster;
    PostgresControl* postgres;
    PgTools* tools;
    ChildRegistry* registry;  // orphans are reaped through it when the manager is PID 1
  };
  InstanceManager(Options options, std::unique_ptr<DesiredStateSource> desired, Seams seams, log::Logger logger);
  ~InstanceManager();

  // Runs until postgres is shut down on request (exit code 0) or dies
  // unexpectedly (non-zero). `signals`, when given, must cover TERM, INT,
  // QUIT, CHLD and HUP.
  int Run(SignalFd* signals);

  // Thread-safe: called by the servers (and tests).
  StatusHub& hub() { return hub_; }
  v1::InstanceStatus CollectStatus();
  // Fills status.archiver on every collection. Set before Run and before
  // the servers start; the source must outlive them.
  void SetArchiverStatusSource(std::function<v1::ArchiverStatus()> source) { archiver_source_ = std::move(source); }
  // What SIGTERM / SIGINT / SIGQUIT ask for.
  void RequestShutdown(ShutdownMode mode);
  v1::OperationResult Promote(const v1::PromoteRequest& req);
  v1::OperationResult Checkpoint();
  v1::OperationResult Reload();
  v1::OperationResult Restart(bool smart);
  v1::OperationResult SetFenced(bool fenced);

 private:
  // A request handed to the loop: runs there, never blocks, and may leave a
  // waiter that the loop completes on a later pass.
  using Op = std::function<Status()>;
  struct Waiter {
    std::function<std::optional<Status>()> check;  // a value when the request is over
    MonoTime deadline;
    std::string what;
    std::promise<Status> done;
  };
  Status Submit(Op op);
  Status SubmitAndWait(Op op, std::function<std::optional<Status>()> check, Duration timeout, std::string what);
  void RunQueuedOps();
  void CheckWaiters();

  // One pass of the loop.
  void ReadCluster();
  void ObservePostgres(bool refresh);
  Observation Observe();
  void ApplyStep(const Decision& d);
  void OnWorkerFinished(const ActionWorker::Finished& f);
  void OnPostmasterExit(const ExitInfo& exit);
  void RenderDesired();
  void SyncSlots();
  void StartBackground(Background kind, std::function<Status()> job);
  void Fail(const std::string& what, const Status& st);
  Duration NextWakeup() const;

  void SetPhase(v1::Phase phase);
  void UpdateView(const std::function<void(v1::InstanceStatus*)>& fn);
  v1::OperationResult Result(const Status& st);

  Options options_;
  std::unique_ptr<DesiredStateSource> desired_;
  Clock& clock_;
  Postmaster& postmaster_;
  PostgresControl& postgres_;
  PgTools& tools_;
  ChildRegistry* registry_;
  log::Logger logger_;
  LogForwarder forwarder_;
  StatusHub hub_;
  ActionWorker worker_;

  // --- loop-thread state ---
  pg::ClusterView cluster_;
  bool have_cluster_ = false;
  PostmasterState pm_state_ = PostmasterState::kStopped;
  ShutdownMode stopping_mode_ = ShutdownMode::kFast;
  MonoTime escalate_at_{}, kill_at_{};
  std::optional<bool> in_recovery_;
  bool promote_requested_ = false;
  bool checkpoint_after_promote_ = false;
  bool fenced_by_rpc_ = false;
  std::optional<ShutdownMode> shutdown_;
  std::optional<ExitInfo> shutdown_exit_;
  bool restart_requested_ = false;
  ShutdownMode restart_mode_ = ShutdownMode::kFast;
  uint64_t accepting_generation_ = 0;  // counts starts that reached "accepting"
  // Configuration: what the Cluster asks for now, and what postgres has.
  std::optional<pg::RenderedConfig> desired_config_;
  std::string applied_hash_, refused_hash_, checked_hash_, refused_error_;
  std::string read_error_;  // why the last Read() failed; empty when it worked
  std::optional<pg::RenderedConfig> checking_;  // the candidate on the worker
  bool slots_dirty_ = true;
  bool standby_needs_restart_ = false;
  MonoTime retry_at_{};
  MonoTime next_refresh_{}, next_collect_{};
  std::string last_wait_;

  // The manager's half of the status (role decisions, errors), merged with
  // postgres's half on every collection.
  std::mutex view_mu_;
  v1::InstanceStatus view_;
  std::atomic<bool> collect_enabled_{false};
  std::atomic<bool> view_dirty_{false};
  std::mutex collect_mu_;
  uint64_t sequence_ = 0;
  std::function<v1::ArchiverStatus()> archiver_source_;

  std::mutex ops_mu_;
  std::deque<std::pair<Op, std::promise<Status>>> ops_;
  std::vector<std::shared_ptr<Waiter>> waiters_;  // loop thread only
  int wake_fd_ = -1;
};

}  // namespace tusk::instance
