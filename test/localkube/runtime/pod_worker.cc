#include "test/localkube/runtime/pod_worker.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "test/localkube/runtime/container_launch.h"
#include "test/localkube/runtime/etc_files.h"
#include "test/localkube/runtime/image_table.h"
#include "test/localkube/runtime/launch_plan.h"

namespace tusk::localkube {
namespace {

constexpr Duration kSandboxRetry = std::chrono::seconds(1);
constexpr Duration kConfigErrorRetry = std::chrono::seconds(2);

int ExitCodeOf(int exit_code, int signal) { return signal != 0 ? 128 + signal : exit_code; }

}  // namespace

struct PodWorker::Container {
  const ContainerSpec* spec = nullptr;
  bool init = false;
  ContainerRecord rec;
  pid_t pid = -1;
  int pidfd = -1;
  MonoTime started_mono;
  RestartBackoff backoff;
  int pull_failures = 0;
  std::optional<MonoTime> next_start;
  bool done = false;  // exited for good (or, for init, succeeded)
  std::optional<ProbeTracker> startup, readiness, liveness;
  ProbeTarget target;
};

PodWorker::PodWorker(const KubeletConfig& config, PodSpec spec, WorkerDeps deps, std::vector<net::DnsRecord> dns)
    : config_(config), spec_(std::move(spec)), deps_(deps), dns_(std::move(dns)) {
  for (const auto& c : spec_.init_containers) {
    auto r = std::make_unique<Container>();
    r->spec = &c;
    r->init = true;
    r->rec.waiting_reason = "PodInitializing";
    init_.push_back(std::move(r));
  }
  for (const auto& c : spec_.containers) {
    auto r = std::make_unique<Container>();
    r->spec = &c;
    r->rec.waiting_reason = spec_.init_containers.empty() ? "ContainerCreating" : "PodInitializing";
    main_.push_back(std::move(r));
  }
  if (!init_.empty()) init_[0]->rec.waiting_reason = "ContainerCreating";
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

PodWorker::~PodWorker() {
  Stop(0);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string PodWorker::pod_dir() const { return config_.state_dir + "/pods/" + spec_.uid; }

void PodWorker::Start() {
  facts_.host_ip = config_.host_ip;
  facts_.start_time = deps_.clock.WallNow();
  // The first status is published from the worker's thread too, so the
  // sink is never called under the kubelet's lock.
  thread_ = std::thread([this] { Run(); });
}

void PodWorker::Stop(std::optional<int64_t> grace_seconds) {
  stop_grace_ = grace_seconds.value_or(spec_.termination_grace_period_seconds);
  stop_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

nlohmann::json PodWorker::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

StatusOr<std::string> PodWorker::LogPath(const std::string& container, bool previous) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto* list : {&init_, &main_}) {
    for (const auto& c : *list) {
      if (c->spec->name != container) continue;
      // Run N logs to N.log. A restart decision bumps restartCount before
      // the next run starts, so the run in lastState is always count - 1.
      int run = c->rec.restart_count;
      if (previous) {
        if (!c->rec.last_terminated) {
          return NotFoundError("previous terminated container \"" + container + "\" in pod \"" + spec_.name +
                               "\" not found");
        }
        run -= 1;
      } else if (c->rec.state == ContainerRecord::State::kWaiting && run > 0) {
        run -= 1;  // between runs, the latest output is the last run's
      }
      return pod_dir() + "/logs/" + container + "/" + std::to_string(run) + ".log";
    }
  }
  return NotFoundError("container " + container + " is not valid for pod " + spec_.name);
}

Status PodWorker::Signal(const std::string& container, int sig) {
  ASSIGN_OR_RETURN(pid_t pid, ContainerPid(container));
  return KillPid(pid, sig);
}

StatusOr<pid_t> PodWorker::ContainerPid(const std::string& container) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto* list : {&init_, &main_}) {
    for (const auto& c : *list) {
      if (c->spec->name == container && c->pid > 0) return c->pid;
    }
  }
  return NotFoundError("container " + container + " of pod " + spec_.name + " is not running");
}

void PodWorker::UpdateDns(const std::vector<net::DnsRecord>& records) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dns_ = records;
  }
  WriteHosts();
}

void PodWorker::WriteHosts() {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (facts_.pod_ip.empty()) return;
    text = net::RenderHostsFile(spec_.hostname, facts_.pod_ip, spec_.namespace_, dns_);
  }
  // Written in place: containers see the file through a bind mount of this
  // inode, which a rename would leave behind.
  WriteFile(pod_dir() + "/etc/hosts", text).IgnoreError();
}

Status PodWorker::SetUpSandbox() {
  const std::string dir = pod_dir();
  RETURN_IF_ERROR(MakeDirs(dir + "/etc"));
  RETURN_IF_ERROR(MakeDirs(dir + "/root"));
  for (const auto& c : spec_.init_containers) RETURN_IF_ERROR(MakeDirs(dir + "/logs/" + c.name));
  for (const auto& c : spec_.containers) RETURN_IF_ERROR(MakeDirs(dir + "/logs/" + c.name));
  if (!volumes_) {
    ASSIGN_OR_RETURN(PodVolumes v, PodVolumes::Prepare(dir, spec_, deps_.objects));
    volumes_ = std::move(v);
  }
  if (facts_.pod_ip.empty()) {
    ASSIGN_OR_RETURN(net::PodNet pod_net, deps_.network.Attach(spec_.uid));
    std::lock_guard<std::mutex> lock(mu_);
    facts_.pod_ip = pod_net.ip;
    facts_.sandbox_ready = true;
    netns_path_ = pod_net.netns_path;
    for (auto* list : {&init_, &main_}) {
      for (auto& c : *list) c->target.pod_ip = pod_net.ip;
    }
  }
  WriteHosts();
  RETURN_IF_ERROR(WriteFile(dir + "/etc/hostname", spec_.hostname + "\n"));
  RETURN_IF_ERROR(WriteFile(dir + "/etc/resolv.conf", net::RenderResolvConf(spec_.namespace_)));
  // passwd and group know every image's users and every runAsUser.
  std::vector<ImageUser> users;
  std::vector<int64_t> uids, gids;
  auto table_text = ReadFile(config_.image_table_path);
  auto table = table_text.ok() ? ParseImageTable(*table_text, config_.build_dir) : StatusOr<ImageTable>(table_text.status());
  for (const auto* list : {&spec_.init_containers, &spec_.containers}) {
    for (const auto& c : *list) {
      if (table.ok()) {
        if (auto entry = ResolveImage(*table, c.image); entry.ok()) {
          users.insert(users.end(), entry->users.begin(), entry->users.end());
        }
      }
      uids.push_back(spec_.UserOf(c));
      gids.push_back(spec_.GroupOf(c));
    }
  }
  if (spec_.fs_group) gids.push_back(*spec_.fs_group);
  RETURN_IF_ERROR(WriteFile(dir + "/etc/passwd", RenderPasswd(ReadFile("/etc/passwd").value_or(""), users, uids)));
  return WriteFile(dir + "/etc/group", RenderGroup(ReadFile("/etc/group").value_or(""), users, gids));
}

void PodWorker::TryStart(Container& c) {
  const MonoTime now = deps_.clock.Now();
  const ContainerSpec& cs = *c.spec;
  auto set_waiting = [&](const std::string& reason, const std::string& message, Duration retry) {
    std::lock_guard<std::mutex> lock(mu_);
    c.rec.state = ContainerRecord::State::kWaiting;
    c.rec.waiting_reason = reason;
    c.rec.waiting_message = message;
    c.next_start = now + retry;
  };
  auto image = LoadImage(config_, cs.image);
  if (!image.ok()) {
    ++c.pull_failures;
    set_waiting(c.pull_failures == 1 ? "ErrImagePull" : "ImagePullBackOff", image.status().message(),
                std::max<Duration>(BackoffForStep(c.pull_failures), std::chrono::seconds(1)));
    return;
  }
  c.pull_failures = 0;
  auto env = ResolveEnv(spec_, cs, PodRuntimeFacts{facts_.pod_ip, facts_.host_ip}, deps_.objects,
                        KubeletEnv(spec_, cs, *image, config_));
  if (!env.ok()) {
    set_waiting("CreateContainerConfigError", env.status().message(), kConfigErrorRetry);
    return;
  }
  auto planned = PlanLaunch(spec_, cs, *image, *env, volumes_ ? &*volumes_ : nullptr,
                            LaunchPlace{pod_dir(), netns_path_, c.rec.restart_count});
  if (!planned.ok()) {
    set_waiting("CreateContainerConfigError", planned.status().message(), kConfigErrorRetry);
    return;
  }
  const LaunchSpec& ls = *planned;
  RemoveAll(ls.log_path).IgnoreError();  // a fresh run gets a fresh log

  const WallTime wall = deps_.clock.WallNow();
  auto pid = LaunchContainer(ls);
  if (!pid.ok()) {
    // As with a runtime that cannot exec the entrypoint: the container
    // terminates with StartError and goes through the normal restart path.
    WriteFile(ls.log_path, pid.status().message() + "\n").IgnoreError();
    {
      std::lock_guard<std::mutex> lock(mu_);
      c.started_mono = now;
      c.rec.started_at = wall;
    }
    HandleExit(c, 128, 0);
    std::lock_guard<std::mutex> lock(mu_);
    auto& t = c.rec.state == ContainerRecord::State::kTerminated ? c.rec.terminated : c.rec.last_terminated;
    if (t) {
      t->reason = "StartError";
      t->message = pid.status().message();
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  c.pid = *pid;
  c.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));
  c.started_mono = now;
  c.next_start.reset();
  c.rec.state = ContainerRecord::State::kRunning;
  c.rec.started_at = wall;
  c.rec.container_id = "localkube://" + spec_.uid + "/" + cs.name + "/" + std::to_string(c.rec.restart_count);
  c.rec.started = !cs.startup;
  c.rec.ready = !cs.readiness && c.rec.started;
  c.target.pid = *pid;
  c.target.uid = ls.uid;
  c.target.gid = ls.gid;
  c.target.env = ls.env;
  c.startup.reset();
  c.readiness.reset();
  c.liveness.reset();
  if (!c.init) {
    if (cs.startup) c.startup.emplace(ProbeKind::kStartup, *cs.startup, now);
    if (cs.readiness) c.readiness.emplace(ProbeKind::kReadiness, *cs.readiness, now);
    if (cs.liveness) c.liveness.emplace(ProbeKind::kLiveness, *cs.liveness, now);
  }
}

void PodWorker::HandleExit(Container& c, int exit_code, int signal) {
  const MonoTime now = deps_.clock.Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (c.pidfd >= 0) ::close(c.pidfd);
  c.pidfd = -1;
  c.pid = -1;
  c.rec.ready = false;
  const int code = ExitCodeOf(exit_code, signal);
  TerminatedState t = MakeTerminated(code, signal, c.rec.started_at, deps_.clock.WallNow());
  // Init containers are re-run on failure under both Always and OnFailure.
  const std::string policy = c.init && spec_.restart_policy == "Always" ? "OnFailure" : spec_.restart_policy;
  const bool restart = !stop_ && !(c.init && code == 0) && ShouldRestart(policy, code);
  if (!restart) {
    c.rec.state = ContainerRecord::State::kTerminated;
    c.rec.terminated = t;
    c.done = true;
    return;
  }
  BackoffDecision d = NextRestartDelay(c.backoff, c.started_mono, now);
  c.backoff = d.next;
  c.rec.last_terminated = t;
  c.rec.terminated.reset();
  c.rec.restart_count += 1;
  c.rec.state = ContainerRecord::State::kWaiting;
  c.rec.waiting_reason = "CrashLoopBackOff";
  c.rec.waiting_message = "back-off " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d.delay).count()) +
                          "s restarting failed container=" + c.spec->name + " pod=" + spec_.name + "_" +
                          spec_.namespace_ + "(" + spec_.uid + ")";
  c.next_start = now + d.delay;
}

void PodWorker::RunProbes(Container& c) {
  if (c.pid <= 0) return;
  const MonoTime now = deps_.clock.Now();
  auto run = [&](ProbeTracker& t) {
    const bool ok = deps_.probes.Run(t.spec(), *c.spec, c.target);
    return t.Record(ok, deps_.clock.Now());
  };
  if (c.startup && c.startup->verdict() != ProbeVerdict::kSuccess) {
    if (c.startup->Due(now)) {
      run(*c.startup);
      if (c.startup->verdict() == ProbeVerdict::kSuccess) {
        std::lock_guard<std::mutex> lock(mu_);
        c.rec.started = true;
        c.rec.ready = !c.readiness;
        // Liveness and readiness start counting once the container started.
        if (c.readiness) c.readiness.emplace(ProbeKind::kReadiness, c.readiness->spec(), deps_.clock.Now());
        if (c.liveness) c.liveness.emplace(ProbeKind::kLiveness, c.liveness->spec(), deps_.clock.Now());
      } else if (c.startup->verdict() == ProbeVerdict::kFailure) {
        Terminate(c, std::chrono::seconds(spec_.termination_grace_period_seconds));
      }
    }
    return;
  }
  if (c.readiness && c.readiness->Due(now)) {
    run(*c.readiness);
    std::lock_guard<std::mutex> lock(mu_);
    c.rec.ready = c.readiness->verdict() == ProbeVerdict::kSuccess && c.rec.started;
  }
  if (c.liveness && c.liveness->Due(now)) {
    run(*c.liveness);
    // A failed liveness probe kills the container; the restart policy
    // decides what happens next.
    if (c.liveness->verdict() == ProbeVerdict::kFailure) {
      Terminate(c, std::chrono::seconds(spec_.termination_grace_period_seconds));
    }
  }
}

void PodWorker::Terminate(Container& c, Duration grace) {
  if (c.pid <= 0) return;
  KillPid(c.pid, SIGTERM).IgnoreError();
  pollfd p{c.pidfd, POLLIN, 0};
  const auto deadline = deps_.clock.Now() + grace;
  while (c.pidfd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - deps_.clock.Now()).count();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000))) == 1) break;
  }
  int wstatus = 0;
  if (::waitpid(c.pid, &wstatus, WNOHANG) == 0) {
    KillPid(c.pid, SIGKILL).IgnoreError();
    ::waitpid(c.pid, &wstatus, 0);
  }
  HandleExit(c, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 0, WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}

bool PodWorker::WaitForEvents(MonoTime deadline) {
  std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
  std::vector<Container*> owners{nullptr};
  for (auto* list : {&init_, &main_}) {
    for (auto& c : *list) {
      if (c->pidfd >= 0) {
        fds.push_back({c->pidfd, POLLIN, 0});
        owners.push_back(c.get());
      }
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - deps_.clock.Now()).count();
  ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(left, 0, 1000)));
  for (size_t i = 1; i < fds.size(); ++i) {
    if (!(fds[i].revents & POLLIN)) continue;
    Container& c = *owners[i];
    int wstatus = 0;
    if (::waitpid(c.pid, &wstatus, WNOHANG) == c.pid) {
      HandleExit(c, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 0, WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
    }
  }
  uint64_t drained;
  (void)!::read(wake_fd_, &drained, sizeof drained);
  return !stop_;
}

void PodWorker::Publish() {
  std::vector<ContainerRecord> init, main;
  nlohmann::json status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : init_) init.push_back(c->rec);
    for (const auto& c : main_) main.push_back(c->rec);
    status = ComputePodStatus(spec_, init, main, facts_, status_, deps_.clock.WallNow());
    if (status == status_) return;
    status_ = status;
  }
  deps_.sink.OnPodStatus(spec_.namespace_, spec_.name, spec_.uid, status);
}

void PodWorker::Run() {
  Publish();
  // The sandbox: volumes, network, /etc files. A missing PVC or Secret keeps
  // the pod in ContainerCreating until it appears.
  while (!stop_) {
    Status s = SetUpSandbox();
    if (s.ok()) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& first = init_.empty() ? main_[0] : init_[0];
      first->rec.waiting_message = s.message();
    }
    Publish();
    WaitForEvents(deps_.clock.Now() + kSandboxRetry);
  }
  // Init containers, one at a time, each to success.
  size_t next_init = 0;
  MonoTime next_refresh = deps_.clock.Now() + config_.volume_refresh;
  while (!stop_) {
    Container* running_init = nullptr;
    while (next_init < init_.size() && init_[next_init]->done && init_[next_init]->rec.terminated &&
           init_[next_init]->rec.terminated->exit_code == 0) {
      ++next_init;
      if (next_init < init_.size()) init_[next_init]->rec.waiting_reason = "ContainerCreating";
    }
    const bool init_failed = next_init < init_.size() && init_[next_init]->done;
    const bool initializing = next_init < init_.size();
    if (initializing && !init_failed) {
      running_init = init_[next_init].get();
      if (running_init->pid <= 0 && (!running_init->next_start || deps_.clock.Now() >= *running_init->next_start)) {
        TryStart(*running_init);
      }
    }
    if (!initializing) {
      for (auto& c : main_) {
        std::lock_guard<std::mutex> lock(mu_);
        if (c->rec.waiting_reason == "PodInitializing") c->rec.waiting_reason = "ContainerCreating";
      }
      for (auto& c : main_) {
        if (c->pid <= 0 && !c->done && (!c->next_start || deps_.clock.Now() >= *c->next_start)) TryStart(*c);
      }
      for (auto& c : main_) RunProbes(*c);
    }
    if (deps_.clock.Now() >= next_refresh && volumes_) {
      // Also where a service-account token past 80% of its life is replaced.
      volumes_->Refresh(spec_, deps_.objects).status().IgnoreError();
      next_refresh = deps_.clock.Now() + config_.volume_refresh;
    }
    Publish();
    // Sleep until the next thing to do: a restart, a probe, a refresh, or
    // an exit or stop (which wake the poll).
    MonoTime deadline = next_refresh;
    for (auto* list : {&init_, &main_}) {
      for (auto& c : *list) {
        if (c->next_start && c->pid <= 0 && !c->done) deadline = std::min(deadline, *c->next_start);
        for (auto* t : {&c->startup, &c->readiness, &c->liveness}) {
          if (*t && c->pid > 0) deadline = std::min(deadline, (*t)->next_due());
        }
      }
    }
    WaitForEvents(deadline);
  }
  // Graceful termination, every container at once, as the kubelet does.
  const Duration grace = std::chrono::seconds(std::max<int64_t>(stop_grace_.load(), 0));
  for (auto* list : {&init_, &main_}) {
    for (auto& c : *list) {
      if (c->pid > 0) KillPid(c->pid, SIGTERM).IgnoreError();
    }
  }
  const MonoTime deadline = deps_.clock.Now() + grace;
  for (auto* list : {&init_, &main_}) {
    for (auto& c : *list) {
      if (c->pid <= 0) continue;
      pollfd p{c->pidfd, POLLIN, 0};
      while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - deps_.clock.Now()).count();
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000))) == 1) break;
      }
      Terminate(*c, Duration{0});
    }
  }
  Publish();
  deps_.network.Detach(spec_.uid).IgnoreError();
}

}  // namespace tusk::localkube
