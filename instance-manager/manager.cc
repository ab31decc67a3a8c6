#include "instance-manager/manager.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "common/base/files.h"
#include "common/base/version.h"
#include "instance-manager/bootstrap.h"
#include "instance-manager/config_files.h"

namespace tusk::instance {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kReconcileEvery = std::chrono::seconds(2);
constexpr auto kRetryAfterError = std::chrono::seconds(1);

// The postmaster writes its state into line 8 of postmaster.pid ("ready" or
// "standby" once it accepts connections). Reading it is silent, where
// connection attempts during startup each leave a FATAL in the log.
bool PostmasterReady(const std::string& pgdata) {
  auto text = ReadFile(pgdata + "/postmaster.pid");
  if (!text.ok()) return false;
  size_t pos = 0;
  for (int line = 0; line < 7 && pos != std::string::npos; ++line) {
    pos = text->find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return false;
  std::string state = text->substr(pos, text->find('\n', pos) - pos);
  return state.rfind("ready", 0) == 0 || state.rfind("standby", 0) == 0;
}

}  // namespace

DesiredRole DecideRole(const pg::ClusterView& cluster, const std::string& pod) {
  const std::string& target = cluster.target_primary;
  const std::string& current = cluster.current_primary;
  if (target == pod) return DesiredRole::kPrimary;
  // During a failover the target is "pending" or another pod while the
  // current primary is still us: nothing to do until the operator decides.
  if (current == pod) return target.empty() ? DesiredRole::kPrimary : DesiredRole::kUnchanged;
  if (current.empty() && target.empty()) return DesiredRole::kUnchanged;
  return DesiredRole::kReplica;
}

InstanceManager::InstanceManager(Options options, std::unique_ptr<DesiredStateSource> desired,
                                 ChildRegistry* registry, log::Logger logger)
    : options_(std::move(options)),
      desired_(std::move(desired)),
      registry_(registry),
      logger_(std::move(logger)),
      tools_(options_, registry_),
      postmaster_(Postmaster::Config{options_.bin_dir + "/postgres", options_.pgdata,
                                     options_.drop_privileges() ? std::optional<uid_t>(options_.postgres_uid)
                                                                : std::nullopt,
                                     options_.drop_privileges() ? std::optional<gid_t>(options_.postgres_gid)
                                                                : std::nullopt},
                  registry_),
      forwarder_(log::Logger("postgres", {{"logging_pod", options_.pod_name}})),
      control_(options_.LocalConninfo()),
      collector_(options_.LocalConninfo()) {
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
  fn(&view_);
}

void InstanceManager::SetPhase(v1::Phase phase) {
  UpdateView([&](v1::InstanceStatus* v) { v->set_phase(phase); });
}

Status InstanceManager::StartPostgres() {
  RETURN_IF_ERROR(MakeDirs(options_.socket_dir, 0755));
  RETURN_IF_ERROR(tools_.ChownToPostgres(options_.socket_dir));
  RETURN_IF_ERROR(postmaster_.Start());
  forwarder_.AddTextFd(postmaster_.TakeOutputFd());
  expect_exit_ = false;
  accepting_ = false;
  collect_enabled_ = false;
  UpdateView([&](v1::InstanceStatus* v) {
    v->set_postgres_running(true);
    v->set_phase(v1::PHASE_STARTING);
  });
  logger_.Info("postgres started", {{"pid", postmaster_.pid()}});
  return OkStatus();
}

Status InstanceManager::StopPostgres(ShutdownMode mode) {
  if (!postmaster_.running()) return OkStatus();
  SetPhase(v1::PHASE_STOPPING);
  expect_exit_ = true;
  accepting_ = false;
  collect_enabled_ = false;
  control_.Close();
  {
    std::lock_guard<std::mutex> lock(collect_mu_);
    collector_.Close();
  }
  auto timeout = std::chrono::seconds(cluster_.stop_delay_s > 0 ? cluster_.stop_delay_s : 1800);
  auto r = postmaster_.Stop(mode, timeout);
  if (!r.ok() && mode != ShutdownMode::kImmediate) r = postmaster_.Stop(ShutdownMode::kImmediate, timeout);
  UpdateView([&](v1::InstanceStatus* v) { v->set_postgres_running(false); });
  if (!r.ok()) return r.status();
  logger_.Info("postgres stopped", {{"mode", ShutdownModeName(mode)}, {"exit", r->Describe()}});
  return OkStatus();
}

Status InstanceManager::PromoteNow() {
  auto rec = control_.Query("SELECT pg_is_in_recovery()");
  if (!rec.ok()) return rec.status();
  if (rec->Scalar() == "t") {
    SetPhase(v1::PHASE_PROMOTING);
    logger_.Info("promoting", {{"target_primary", cluster_.target_primary}});
    // pg_promote(wait => true) checks only ten times a second; asking
    // without waiting and polling here accepts writes sooner.
    RETURN_IF_ERROR(control_.Exec("SELECT pg_promote(false)"));
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (true) {
      auto r = control_.Query("SELECT pg_is_in_recovery()");
      if (r.ok() && r->Scalar() == "f") break;
      if (Clock::now() > deadline) return DeadlineExceededError("promotion did not finish within 60 s");
      std::this_thread::sleep_for(milliseconds(2));
    }
    logger_.Info("promoted: accepting writes");
    // Promotion only requests a spread checkpoint; until one completes,
    // pg_control still shows the old timeline and a pg_rewind against this
    // server would wrongly find nothing to rewind.
    RETURN_IF_ERROR(control_.Exec("CHECKPOINT"));
  }
  SetPhase(v1::PHASE_RUNNING);
  UpdateView([](v1::InstanceStatus* v) { v->set_role(v1::ROLE_PRIMARY); });
  RETURN_IF_ERROR(ApplyConfig(/*primary=*/true));
  return EnsureHaSlots(/*primary=*/true);
}

Status InstanceManager::DemoteNow() {
  logger_.Info("the Cluster names another primary: rejoining as a standby",
               {{"current_primary", cluster_.current_primary}});
  RETURN_IF_ERROR(StopPostgres(ShutdownMode::kFast));
  SetPhase(v1::PHASE_REWINDING);
  RETURN_IF_ERROR(RewindToStandby(options_, cluster_, tools_, logger_));
  applied_hash_.clear();
  return StartPostgres();
}

Status InstanceManager::ApplyConfig(bool primary) {
  auto rendered = pg::RenderConfig(cluster_, MakeContext(options_, cluster_, primary));
  Status st = rendered.status();
  if (st.ok() && rendered->hash == applied_hash_) {
    // What the Cluster asks is in effect (again): no error to report.
    UpdateView([](v1::InstanceStatus* v) { v->clear_config_error(); });
    return OkStatus();
  }
  if (st.ok() && rendered->hash == refused_hash_) return InvalidArgumentError(refused_error_);
  if (st.ok()) {
    st = CheckWithPostgres(*rendered, tools_);
    if (!st.ok()) refused_hash_ = rendered->hash;
  }
  if (!st.ok()) {
    if (st.message() != refused_error_) {
      logger_.Error("configuration refused; keeping the last good one", {{"error", st.message()}});
    }
    refused_error_ = st.message();
    UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(st.message()); });
    return st;
  }
  refused_hash_.clear();
  refused_error_.clear();
  RETURN_IF_ERROR(WriteConfigFiles(*rendered, tools_));
  if (accepting_) RETURN_IF_ERROR(control_.Exec("SELECT pg_reload_conf()"));
  applied_hash_ = rendered->hash;
  UpdateView([&](v1::InstanceStatus* v) {
    v->set_config_hash(rendered->spec_hash);
    v->clear_config_error();
  });
  logger_.Info("configuration applied", {{"hash", applied_hash_}, {"primary", primary}});
  return OkStatus();
}

Status InstanceManager::RefreshPendingRestart(bool in_recovery) {
  ASSIGN_OR_RETURN(auto pending, control_.Query("SELECT name FROM pg_settings WHERE pending_restart ORDER BY name"));
  std::string names;
  UpdateView([&](v1::InstanceStatus* v) {
    v->clear_pending_restart_parameters();
    for (const auto& row : pending.rows) {
      v->add_pending_restart_parameters(row[0].value_or(""));
      names += (names.empty() ? "" : ",") + row[0].value_or("");
    }
    v->set_pending_restart(!pending.rows.empty());
  });
  if (names.empty() || !in_recovery) return OkStatus();
  // A standby restarts by itself; a primary reports pending_restart and
  // waits for the operator's Restart (its update strategy decides when).
  logger_.Info("restarting the standby to apply parameters", {{"parameters", names}});
  RETURN_IF_ERROR(StopPostgres(ShutdownMode::kFast));
  return StartPostgres();
}

Status InstanceManager::EnsureHaSlots(bool primary) {
  if (!accepting_) return OkStatus();
  const std::string prefix = cluster_.slot_prefix;
  ASSIGN_OR_RETURN(auto existing, control_.Query("SELECT slot_name, active FROM pg_replication_slots WHERE "
                                                 "slot_type = 'physical' AND slot_name LIKE " +
                                                 pg::QuoteLiteral(prefix + "%")));
  std::set<std::string> want;
  if (primary && cluster_.ha_slots) {
    for (const auto& n : cluster_.instance_names) {
      if (n != options_.pod_name) want.insert(pg::HaSlotName(prefix, n));
    }
  }
  std::set<std::string> have;
  for (const auto& row : existing.rows) {
    const std::string name = row[0].value_or("");
    have.insert(name);
    // A standby keeps no HA slots (an old primary's would hold WAL back);
    // slots of removed instances go too. Active ones wait for their reader.
    if (!want.count(name) && row[1].value_or("f") == "f") {
      RETURN_IF_ERROR(control_.Exec("SELECT pg_drop_replication_slot(" + pg::QuoteLiteral(name) + ")"));
      logger_.Info("dropped replication slot", {{"slot", name}});
    }
  }
  for (const auto& name : want) {
    if (have.count(name)) continue;
    RETURN_IF_ERROR(
        control_.Exec("SELECT pg_create_physical_replication_slot(" + pg::QuoteLiteral(name) + ", true)"));
    logger_.Info("created replication slot", {{"slot", name}});
  }
  return OkStatus();
}

void InstanceManager::OnPostgresAccepting() {
  accepting_ = true;
  collect_enabled_ = true;
  SetPhase(v1::PHASE_RUNNING);
  logger_.Info("postgres accepts connections");
  Reconcile();
}

void InstanceManager::Reconcile() {
  next_reconcile_ = Clock::now() + kReconcileEvery;
  if (shutting_down_) return;
  // Level-triggered: re-read on every pass, whatever woke us.
  desired_->Drain();
  auto c = desired_->Read();
  if (c.ok()) {
    cluster_ = *c;
    have_cluster_ = true;
  } else {
    logger_.Error("cannot read the desired state; keeping the last one", {{"error", c.status().message()}});
    UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(c.status().message()); });
    if (!have_cluster_) {
      next_reconcile_ = Clock::now() + kRetryAfterError;
      return;
    }
  }
  const bool fenced = fenced_by_rpc_ || cluster_.IsFenced(options_.pod_name);
  UpdateView([&](v1::InstanceStatus* v) {
    v->set_cluster_name(cluster_.name);
    v->set_namespace_(cluster_.namespace_name);
    v->set_current_primary(cluster_.current_primary);
    v->set_target_primary(cluster_.target_primary);
    v->set_fenced(fenced);
  });
  Status st;
  const DesiredRole role = DecideRole(cluster_, options_.pod_name);
  if (fenced) {
    if (postmaster_.running()) {
      logger_.Info("fenced: stopping postgres");
      st = StopPostgres(ShutdownMode::kFast);
    }
    SetPhase(v1::PHASE_STOPPED);
  } else if (!postmaster_.running()) {
    const bool was_standby = PathExists(options_.pgdata + "/standby.signal");
    if (role == DesiredRole::kReplica && !was_standby) {
      // An old primary never starts writable: rewind onto the new timeline.
      SetPhase(v1::PHASE_REWINDING);
      st = RewindToStandby(options_, cluster_, tools_, logger_);
      if (st.ok()) applied_hash_.clear();
    }
    if (st.ok() && role == DesiredRole::kUnchanged && !was_standby) {
      // Mid-failover (we were primary, another pod is the target): wait
      // for the operator to record the outcome rather than start writable.
      SetPhase(v1::PHASE_STOPPED);
      logger_.Info("waiting for the Cluster status to settle before starting",
                   {{"current_primary", cluster_.current_primary}, {"target_primary", cluster_.target_primary}});
    } else if (st.ok()) {
      // A standby named target starts as a standby and is promoted once it
      // accepts connections. Config errors leave the last good files.
      ApplyConfig(/*primary=*/!PathExists(options_.pgdata + "/standby.signal")).IgnoreError();
      st = StartPostgres();
    }
  } else if (accepting_) {
    auto rec = control_.Query("SELECT pg_is_in_recovery()");
    if (!rec.ok()) {
      st = rec.status();
    } else {
      const bool in_recovery = rec->Scalar() == "t";
      UpdateView([&](v1::InstanceStatus* v) { v->set_role(in_recovery ? v1::ROLE_REPLICA : v1::ROLE_PRIMARY); });
      if (role == DesiredRole::kPrimary && in_recovery) {
        st = PromoteNow();
      } else if (role == DesiredRole::kReplica && !in_recovery) {
        st = DemoteNow();
      } else {
        ApplyConfig(!in_recovery).IgnoreError();  // a refusal is reported, not retried
        st = EnsureHaSlots(!in_recovery);
        if (st.ok()) st = RefreshPendingRestart(in_recovery);
      }
    }
  }
  if (!st.ok()) {
    logger_.Error("reconcile failed; retrying", {{"error", st.message()}});
    UpdateView([&](v1::InstanceStatus* v) { v->set_last_error(st.message()); });
    next_reconcile_ = Clock::now() + kRetryAfterError;
  } else {
    UpdateView([&](v1::InstanceStatus* v) { v->clear_last_error(); });
  }
  // ApplyConfig clears config_error when the last Cluster is still in
  // effect; a Cluster that cannot be read must stay reported all the same.
  if (!c.ok()) UpdateView([&](v1::InstanceStatus* v) { v->set_config_error(c.status().message()); });
}

void InstanceManager::BeginShutdown(ShutdownMode mode) {
  if (shutting_down_ && static_cast<int>(mode) <= static_cast<int>(shutdown_mode_)) return;
  shutting_down_ = true;
  shutdown_mode_ = mode;
  logger_.Info("shutting down postgres", {{"mode", ShutdownModeName(mode)}});
  SetPhase(v1::PHASE_STOPPING);
  expect_exit_ = true;
  accepting_ = false;
  collect_enabled_ = false;
  // Our own sessions would hold a smart shutdown open forever.
  control_.Close();
  {
    std::lock_guard<std::mutex> lock(collect_mu_);
    collector_.Close();
  }
  if (postmaster_.running()) postmaster_.Signal(ShutdownSignal(mode)).IgnoreError();
  escalate_at_ = Clock::now() + std::chrono::seconds(cluster_.smart_shutdown_timeout_s);
  kill_at_ = Clock::now() + std::chrono::seconds(cluster_.stop_delay_s);
}

int InstanceManager::Run(SignalFd& signals) {
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
  Reconcile();
  CollectStatus();
  auto next_collect = Clock::now();
  while (true) {
    std::vector<pollfd> fds = {{signals.fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}, {desired_->fd(), POLLIN, 0}};
    if (postmaster_.pidfd() >= 0) fds.push_back({postmaster_.pidfd(), POLLIN, 0});
    const int timeout_ms = postmaster_.running() && !accepting_ ? 10 : 100;
    ::poll(fds.data(), fds.size(), timeout_ms);

    while (auto sig = signals.Read()) {
      switch (*sig) {
        case SIGTERM: BeginShutdown(ShutdownMode::kSmart); break;
        case SIGINT: BeginShutdown(ShutdownMode::kFast); break;
        case SIGQUIT: BeginShutdown(ShutdownMode::kImmediate); break;
        case SIGHUP: next_reconcile_ = Clock::now(); break;
        default: break;  // SIGCHLD: reaped below
      }
    }
    if (pid1) registry_->ReapOrphans();

    if (auto exit = postmaster_.Poll()) {
      UpdateView([](v1::InstanceStatus* v) { v->set_postgres_running(false); });
      accepting_ = false;
      collect_enabled_ = false;
      if (shutting_down_) {
        logger_.Info("postgres shut down", {{"exit", exit->Describe()}});
        CollectStatus();
        return exit->success() ? 0 : 1;
      }
      if (!expect_exit_) {
        logger_.Error("postgres exited unexpectedly; exiting so the container restarts",
                      {{"exit", exit->Describe()}});
        SetPhase(v1::PHASE_FAILED);
        CollectStatus();
        return 1;
      }
    }
    if (shutting_down_) {
      if (!postmaster_.running()) return 0;
      if (shutdown_mode_ == ShutdownMode::kSmart && Clock::now() >= escalate_at_) BeginShutdown(ShutdownMode::kFast);
      if (shutdown_mode_ != ShutdownMode::kImmediate && Clock::now() >= kill_at_) {
        BeginShutdown(ShutdownMode::kImmediate);
      }
      continue;
    }
    RunQueuedOps();
    if (postmaster_.running() && !accepting_ && PostmasterReady(options_.pgdata) && control_.Exec("SELECT 1").ok()) {
      OnPostgresAccepting();
    }
    if (fds[2].revents || Clock::now() >= next_reconcile_) Reconcile();
    if (Clock::now() >= next_collect) {
      CollectStatus();
      next_collect = Clock::now() + milliseconds(200);
    }
  }
}

}  // namespace tusk::instance
