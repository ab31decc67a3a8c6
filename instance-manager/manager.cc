#include "instance-manager/manager.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/base/files.h"
#include "common/base/version.h"
#include "instance-manager/bootstrap.h"
#include "instance-manager/config_files.h"

namespace tusk::instance {
namespace {

using std::chrono::milliseconds;

// How often the loop re-reads what it does not hear about by itself (the
// recovery state, pending restarts, the HA slots) and re-reads the Cluster.
constexpr auto kRefreshEvery = std::chrono::seconds(2);
constexpr auto kCollectEvery = milliseconds(200);
constexpr auto kRetryAfterError = std::chrono::seconds(1);
// While postgres starts or a promotion runs, the loop looks this often.
constexpr auto kFastTick = milliseconds(5);
constexpr auto kIdleTick = milliseconds(100);
// Steps applied back to back in one pass before the loop polls again.
constexpr int kStepsPerPass = 8;

}  // namespace

InstanceManager::InstanceManager(Options options, std::unique_ptr<DesiredStateSource> desired, Seams seams,
                                 log::Logger logger)
    : options_(std::move(options)),
      desired_(std::move(desired)),
      clock_(*seams.clock),
      postmaster_(*seams.postmaster),
      postgres_(*seams.postgres),
      tools_(*seams.tools),
      registry_(seams.registry),
      logger_(std::move(logger)),
      forwarder_(log::Logger("postgres", {{"logging_pod", options_.pod_name}})) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  view_.set_pod_name(options_.pod_name);
  view_.set_manager_version(std::string(Version()));
  view_.set_phase(v1::PHASE_STARTING);
}

InstanceManager::~InstanceManager() {
  hub_.Close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void InstanceManager::UpdateView(const std::function<void(v1::InstanceStatus*)>& fn) {
  std::lock_guard<std::mutex> lock(view_mu_);
  v1::InstanceStatus before = view_;
  fn(&view_);
  // A change is published at the end of the pass, not on the next tick:
  // the operator acts on these reports.
  if (!view_dirty_ && before.SerializeAsString() != view_.SerializeAsString()) view_dirty_ = true;
}

void InstanceManager::SetPhase(v1::Phase phase) {
  UpdateView([&](v1::InstanceStatus* v) { v->set_phase(phase); });
}

void InstanceManager::Fail(const std::string& what, const Status& st) {
  logger_.Error(what + " failed; retrying", {{"error", st.message()}});
  UpdateView([&](v1::InstanceStatus* v) { v->set_last_error(what + ": " + st.message()); });
  retry_at_ = clock_.Now() + kRetryAfterError;
}

void InstanceManager::ReadCluster() {
  desired_->Drain();
  auto c = desired_->Read();
  if (!c.ok()) {
    logger_.Error("cannot read the desired state; keeping the last one", {{"error", c.status().message()}});
    read_error_ = c.status().message();
    UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(c.status().message()); });
    return;
  }
  read_error_.clear();
  cluster_ = *c;
  have_cluster_ = true;
  UpdateView([&](v1::InstanceStatus* v) {
    v->set_cluster_name(cluster_.name);
    v->set_namespace_(cluster_.namespace_name);
    v->set_current_primary(cluster_.current_primary);
    v->set_target_primary(cluster_.target_primary);
  });
}

// The SQL half of the observation. `refresh` also reads what only changes
// rarely (pending restarts).
void InstanceManager::ObservePostgres(bool refresh) {
  if (pm_state_ == PostmasterState::kStarting && postmaster_.ReportsReady() && postgres_.Ping().ok()) {
    pm_state_ = PostmasterState::kAccepting;
    ++accepting_generation_;
    collect_enabled_ = true;
    slots_dirty_ = true;
    refresh = true;
    SetPhase(v1::PHASE_RUNNING);
    logger_.Info("postgres accepts connections");
  }
  if (pm_state_ != PostmasterState::kAccepting) return;
  if (refresh || promote_requested_ || !in_recovery_) {
    auto rec = postgres_.InRecovery();
    if (!rec.ok()) {
      in_recovery_.reset();
      return;
    }
    in_recovery_ = *rec;
    UpdateView([&](v1::InstanceStatus* v) { v->set_role(*rec ? v1::ROLE_REPLICA : v1::ROLE_PRIMARY); });
  }
  if (promote_requested_ && in_recovery_ == false) {
    promote_requested_ = false;
    checkpoint_after_promote_ = true;
    slots_dirty_ = true;
    logger_.Info("promoted: accepting writes");
  }
  if (refresh) {
    auto pending = postgres_.PendingRestartParameters();
    if (pending.ok()) {
      standby_needs_restart_ = !pending->empty() && in_recovery_.value_or(false);
      UpdateView([&](v1::InstanceStatus* v) {
        v->clear_pending_restart_parameters();
        for (const auto& p : *pending) v->add_pending_restart_parameters(p);
        v->set_pending_restart(!pending->empty());
      });
    }
    slots_dirty_ = true;
  }
}

// What the Cluster asks postgres's files to be now, for the role postgres
// has (or will start with).
void InstanceManager::RenderDesired() {
  if (!have_cluster_) return;
  const DesiredRole role = DecideRole(cluster_.current_primary, cluster_.target_primary, options_.pod_name);
  const bool primary = pm_state_ == PostmasterState::kAccepting && in_recovery_.has_value()
                           ? !*in_recovery_
                           : !PathExists(options_.pgdata + "/standby.signal") && role == DesiredRole::kPrimary;
  auto rendered = pg::RenderConfig(cluster_, MakeContext(options_, cluster_, primary));
  if (!rendered.ok()) {
    // The renderer refuses what the operator owns (a fixed parameter): the
    // files in PGDATA stay the last good ones.
    if (rendered.status().message() != refused_error_) {
      logger_.Error("configuration refused; keeping the last good one", {{"error", rendered.status().message()}});
      refused_error_ = rendered.status().message();
    }
    UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(rendered.status().message()); });
    desired_config_.reset();
    return;
  }
  if (rendered->hash == applied_hash_) {
    // What the Cluster asks is in effect (again): no error to report, unless
    // the Cluster could not be read and the last one is what is in effect.
    refused_error_.clear();
    if (read_error_.empty()) UpdateView([](v1::InstanceStatus* v) { v->clear_config_error(); });
  }
  desired_config_ = std::move(*rendered);
}

Observation InstanceManager::Observe() {
  Observation o;
  o.now = clock_.Now();
  o.have_cluster = have_cluster_;
  o.pod = options_.pod_name;
  o.current_primary = cluster_.current_primary;
  o.target_primary = cluster_.target_primary;
  o.fenced_by_cluster = cluster_.IsFenced(options_.pod_name);
  o.fenced_by_rpc = fenced_by_rpc_;
  o.shutdown = shutdown_;
  o.restart_requested = restart_requested_;
  o.restart_mode = restart_mode_;
  o.postmaster = pm_state_;
  o.stopping_mode = stopping_mode_;
  o.stop_escalate_at = escalate_at_;
  o.stop_kill_at = kill_at_;
  o.standby_signal = PathExists(options_.pgdata + "/standby.signal");
  o.in_recovery = in_recovery_;
  o.promote_requested = promote_requested_;
  o.checkpoint_after_promote = checkpoint_after_promote_;
  o.desired_hash = desired_config_ ? desired_config_->hash : "";
  o.applied_hash = applied_hash_;
  o.refused_hash = refused_hash_;
  o.checked_hash = checked_hash_;
  o.slots_dirty = slots_dirty_;
  o.standby_needs_restart = standby_needs_restart_;
  o.background = worker_.current();
  o.retry_at = retry_at_;
  return o;
}

void InstanceManager::StartBackground(Background kind, std::function<Status()> job) {
  worker_.Start(kind, std::move(job));
}

void InstanceManager::ApplyStep(const Decision& d) {
  switch (d.step) {
    case Step::kWait:
    case Step::kExit:
      return;
    case Step::kStart: {
      Status st = MakeDirs(options_.socket_dir, 0755);
      if (st.ok()) st = tools_.ChownToPostgres(options_.socket_dir);
      if (st.ok()) st = postmaster_.Start();
      if (!st.ok()) return Fail("starting postgres", st);
      if (int fd = postmaster_.TakeOutputFd(); fd >= 0) forwarder_.AddTextFd(fd);
      pm_state_ = PostmasterState::kStarting;
      in_recovery_.reset();
      collect_enabled_ = false;
      UpdateView([&](v1::InstanceStatus* v) {
        v->set_postgres_running(true);
        v->set_phase(v1::PHASE_STARTING);
        v->clear_last_error();
      });
      logger_.Info("postgres started", {{"pid", postmaster_.pid()}, {"reason", d.reason}});
      return;
    }
    case Step::kStop: {
      const bool first = pm_state_ != PostmasterState::kStopping;
      if (Status st = postmaster_.Signal(ShutdownSignal(d.mode)); !st.ok() && st.code() != StatusCode::kNotFound) {
        return Fail("stopping postgres", st);
      }
      if (first) {
        const MonoTime now = clock_.Now();
        escalate_at_ = now + std::chrono::seconds(cluster_.smart_shutdown_timeout_s);
        kill_at_ = now + std::chrono::seconds(cluster_.stop_delay_s > 0 ? cluster_.stop_delay_s : 1800);
        // Our own sessions would hold a smart shutdown open forever.
        postgres_.Close();
      }
      if (restart_requested_) restart_requested_ = false;
      pm_state_ = PostmasterState::kStopping;
      stopping_mode_ = d.mode;
      in_recovery_.reset();
      promote_requested_ = false;
      collect_enabled_ = false;
      SetPhase(v1::PHASE_STOPPING);
      logger_.Info("stopping postgres", {{"mode", ShutdownModeName(d.mode)}, {"reason", d.reason}});
      return;
    }
    case Step::kPromote: {
      if (Status st = postgres_.RequestPromote(); !st.ok()) return Fail("promotion", st);
      promote_requested_ = true;
      SetPhase(v1::PHASE_PROMOTING);
      logger_.Info("promoting", {{"target_primary", cluster_.target_primary}});
      return;
    }
    case Step::kCheckpointAfterPromote:
      // Promotion only requests a spread checkpoint; until one completes,
      // pg_control still shows the old timeline and a pg_rewind against this
      // server would wrongly find nothing to rewind.
      StartBackground(Background::kCheckpoint, [this] { return postgres_.Checkpoint(); });
      return;
    case Step::kRewind: {
      SetPhase(v1::PHASE_REWINDING);
      logger_.Info("rejoining as a standby", {{"reason", d.reason}});
      StartBackground(Background::kRewind, [this, cluster = cluster_] {
        return RewindToStandby(options_, cluster, tools_, logger_);
      });
      return;
    }
    case Step::kCheckConfig: {
      checking_ = desired_config_;
      StartBackground(Background::kConfigCheck,
                      [this, candidate = *desired_config_] { return CheckWithPostgres(candidate, tools_); });
      return;
    }
    case Step::kWriteConfig: {
      Status st = WriteConfigFiles(*desired_config_, tools_);
      if (st.ok() && pm_state_ == PostmasterState::kAccepting) st = postgres_.ReloadConf();
      if (!st.ok()) return Fail("writing the configuration", st);
      applied_hash_ = desired_config_->hash;
      refused_error_.clear();
      UpdateView([&](v1::InstanceStatus* v) {
        v->set_config_hash(desired_config_->spec_hash);
        v->clear_config_error();
      });
      logger_.Info("configuration applied", {{"hash", applied_hash_}});
      next_refresh_ = clock_.Now();  // pending restarts may have changed
      return;
    }
    case Step::kSyncSlots:
      SyncSlots();
      return;
  }
}

void InstanceManager::SyncSlots() {
  const std::string prefix = cluster_.slot_prefix;
  auto existing = postgres_.PhysicalSlots(prefix);
  if (!existing.ok()) return Fail("reading the replication slots", existing.status());
  std::set<std::string> want;
  if (in_recovery_ == false && cluster_.ha_slots) {
    for (const auto& n : cluster_.instance_names) {
      if (n != options_.pod_name) want.insert(pg::HaSlotName(prefix, n));
    }
  }
  std::set<std::string> have;
  for (const auto& slot : *existing) {
    have.insert(slot.name);
    // A standby keeps no HA slots (an old primary's would hold WAL back);
    // slots of removed instances go too. Active ones wait for their reader.
    if (!want.count(slot.name) && !slot.active) {
      if (Status st = postgres_.DropSlot(slot.name); !st.ok()) return Fail("dropping a replication slot", st);
      logger_.Info("dropped replication slot", {{"slot", slot.name}});
    }
  }
  for (const auto& name : want) {
    if (have.count(name)) continue;
    if (Status st = postgres_.CreatePhysicalSlot(name); !st.ok()) return Fail("creating a replication slot", st);
    logger_.Info("created replication slot", {{"slot", name}});
  }
  slots_dirty_ = false;
}

void InstanceManager::OnWorkerFinished(const ActionWorker::Finished& f) {
  switch (f.kind) {
    case Background::kRewind:
      if (!f.status.ok()) return Fail("pg_rewind", f.status);
      // RewindToStandby wrote the standby files; render and check again
      // before the start so the hash in effect is known.
      applied_hash_.clear();
      checked_hash_.clear();
      SetPhase(v1::PHASE_STOPPED);
      return;
    case Background::kConfigCheck:
      if (!checking_) return;
      if (f.status.ok()) {
        checked_hash_ = checking_->hash;
        refused_hash_.clear();
      } else {
        refused_hash_ = checking_->hash;
        if (f.status.message() != refused_error_) {
          logger_.Error("configuration refused; keeping the last good one", {{"error", f.status.message()}});
        }
        refused_error_ = f.status.message();
        UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(f.status.message()); });
      }
      checking_.reset();
      return;
    case Background::kCheckpoint:
      if (!f.status.ok()) return Fail("the checkpoint after promotion", f.status);
      checkpoint_after_promote_ = false;
      SetPhase(v1::PHASE_RUNNING);
      return;
    case Background::kNone:
      return;
  }
}

void InstanceManager::OnPostmasterExit(const ExitInfo& exit) {
  const bool planned = pm_state_ == PostmasterState::kStopping;
  pm_state_ = PostmasterState::kStopped;
  in_recovery_.reset();
  promote_requested_ = false;
  checkpoint_after_promote_ = false;
  collect_enabled_ = false;
  UpdateView([](v1::InstanceStatus* v) {
    v->set_postgres_running(false);
    v->set_phase(v1::PHASE_STOPPED);
  });
  if (shutdown_) shutdown_exit_ = exit;
  if (planned) {
    logger_.Info("postgres stopped", {{"mode", ShutdownModeName(stopping_mode_)}, {"exit", exit.Describe()}});
  }
}

void InstanceManager::RequestShutdown(ShutdownMode mode) {
  Submit([this, mode] {
    if (!shutdown_ || static_cast<int>(mode) > static_cast<int>(*shutdown_)) {
      shutdown_ = mode;
      logger_.Info("shutting down postgres", {{"mode", ShutdownModeName(mode)}});
    }
    return OkStatus();
  }).IgnoreError();
}

Duration InstanceManager::NextWakeup() const {
  const MonoTime now = clock_.Now();
  Duration d = (pm_state_ == PostmasterState::kStarting || promote_requested_) ? Duration(kFastTick)
                                                                               : Duration(kIdleTick);
  auto until = [&](MonoTime t) {
    if (t > now) d = std::min<Duration>(d, t - now);
  };
  until(next_collect_);
  until(next_refresh_);
  if (retry_at_ > now) until(retry_at_);
  if (pm_state_ == PostmasterState::kStopping) {
    until(escalate_at_);
    until(kill_at_);
  }
  return std::max<Duration>(d, milliseconds(1));
}

int InstanceManager::Run(SignalFd* signals) {
  const bool pid1 = ::getpid() == 1;
  Status st = forwarder_.Start(options_.log_dir, options_.drop_privileges() ? options_.postgres_uid : ::geteuid(),
                               options_.drop_privileges() ? options_.postgres_gid : ::getegid());
  if (!st.ok()) {
    logger_.Error("cannot set up the postgres log pipes", {{"error", st.message()}});
    return 2;
  }
  if (!PathExists(options_.pgdata + "/PG_VERSION")) {
    logger_.Error("no data directory: run `tusk-instance init` or `join` first", {{"pgdata", options_.pgdata}});
    return 2;
  }
  ReadCluster();
  CollectStatus();
  while (true) {
    std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {desired_->fd(), POLLIN, 0}, {worker_.fd(), POLLIN, 0}};
    if (signals) fds.push_back({signals->fd(), POLLIN, 0});
    if (postmaster_.pidfd() >= 0) fds.push_back({postmaster_.pidfd(), POLLIN, 0});
    const int timeout_ms = static_cast<int>(std::chrono::ceil<milliseconds>(NextWakeup()).count());
    ::poll(fds.data(), fds.size(), timeout_ms);

    while (signals) {
      auto sig = signals->Read();
      if (!sig) break;
      switch (*sig) {
        case SIGTERM: RequestShutdown(ShutdownMode::kSmart); break;
        case SIGINT: RequestShutdown(ShutdownMode::kFast); break;
        case SIGQUIT: RequestShutdown(ShutdownMode::kImmediate); break;
        case SIGHUP: next_refresh_ = clock_.Now(); break;
        default: break;  // SIGCHLD: reaped below
      }
    }
    if (pid1) registry_->ReapOrphans();

    if (auto exit = postmaster_.Poll()) {
      if (pm_state_ != PostmasterState::kStopping && !shutdown_) {
        logger_.Error("postgres exited unexpectedly; exiting so the container restarts",
                      {{"exit", exit->Describe()}});
        UpdateView([](v1::InstanceStatus* v) { v->set_postgres_running(false); });
        SetPhase(v1::PHASE_FAILED);
        CollectStatus();
        return 1;
      }
      OnPostmasterExit(*exit);
    }
    if (auto finished = worker_.TakeFinished()) OnWorkerFinished(*finished);
    RunQueuedOps();

    const MonoTime now = clock_.Now();
    const bool refresh = now >= next_refresh_;
    if (fds[1].revents || refresh) ReadCluster();
    ObservePostgres(refresh);
    if (refresh) next_refresh_ = now + kRefreshEvery;
    UpdateView([&](v1::InstanceStatus* v) { v->set_fenced(fenced_by_rpc_ || cluster_.IsFenced(options_.pod_name)); });

    for (int i = 0; i < kStepsPerPass; ++i) {
      RenderDesired();
      const Decision d = PlanNext(Observe());
      if (d.step == Step::kExit) {
        CollectStatus();
        return shutdown_exit_ && !shutdown_exit_->success() ? 1 : 0;
      }
      if (d.step == Step::kWait) {
        if (d.reason != last_wait_) logger_.Debug("waiting", {{"reason", d.reason}});
        last_wait_ = d.reason;
        if (pm_state_ == PostmasterState::kAccepting && clock_.Now() >= retry_at_) {
          UpdateView([](v1::InstanceStatus* v) { v->clear_last_error(); });
        }
        break;
      }
      last_wait_.clear();
      logger_.Debug("step", {{"step", StepName(d.step)}, {"reason", d.reason}});
      ApplyStep(d);
      ObservePostgres(false);
    }
    CheckWaiters();
    if (clock_.Now() >= next_collect_ || view_dirty_.exchange(false)) {
      CollectStatus();
      next_collect_ = clock_.Now() + kCollectEvery;
    }
  }
}

}  // namespace tusk::instance
