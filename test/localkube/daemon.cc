#include "test/localkube/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "common/base/files.h"
#include "common/base/signals.h"
#include "common/log/log.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/certs.h"
#include "test/localkube/apiserver/controllers.h"
#include "test/localkube/apiserver/http_server.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/control.h"
#include "test/localkube/controllers/cluster_controllers.h"
#include "test/localkube/net/bridge_network.h"
#include "test/localkube/node/local_cluster.h"
#include "test/localkube/pod_logs.h"

namespace tusk::localkube {
namespace {

std::string PidFile(const std::string& dir) { return dir + "/localkube.pid"; }
std::string LockFile(const std::string& dir) { return dir + "/localkube.lock"; }

// Pods use fixed names and address ranges (prefix `lk`, 10.244/16,
// 10.96/16), so one pod-running localkube per machine holds this lock; the
// owner's DIR is written beside it for the error message.
constexpr char kPodsLock[] = "/run/localkube/pods.lock";
constexpr char kPodsOwner[] = "/run/localkube/pods.owner";
constexpr char kNetPrefix[] = "lk";

// An exclusive flock on `path` held for the life of the server; -1 when
// another process has it.
int TryLockFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string RootRequired() {
  return "running pods needs root (network, mount and PID namespaces); run as root, or pass "
         "--apiserver-only to run the API server alone";
}

std::string Absolute(const std::string& dir) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(dir, ec);
  return ec ? dir : p.string();
}

pid_t ReadPid(const std::string& dir) {
  auto s = ReadFile(PidFile(dir));
  if (!s.ok()) return 0;
  return static_cast<pid_t>(std::atol(s->c_str()));
}

bool Alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  auto close_paren = stat->rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= stat->size() || (*stat)[close_paren + 2] != 'Z';
}

// A lock file, waited for up to 10 s when `dying` says its holder is a
// run that was killed: a killed process's threads tear down after its
// leader shows dead, and its descriptors (the lock's among them) go last.
int TakeLockFile(const std::string& path, bool dying) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(dying ? 10 : 0);
  int fd = TryLockFile(path);
  while (fd < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fd = TryLockFile(path);
  }
  return fd;
}

// The lock on `dir`, or -1 while a live localkube runs there.
int TryLock(const std::string& dir) {
  pid_t holder = ReadPid(dir);
  return TakeLockFile(LockFile(dir), holder > 0 && !Alive(holder));
}

// The machine's pods lock, or -1 while another localkube holds it. A run on
// `dir` killed a moment ago is awaited a little.
int TakePodsLock(const std::string& dir) {
  return TakeLockFile(kPodsLock, ReadFile(kPodsOwner).value_or("") == Absolute(dir));
}

// What a localkube that died without stopping left of its pods: processes in
// its network namespaces, the namespaces, host links. Only when no live
// localkube runs pods on this machine.
void CleanUpDeadRun(const std::string& dir) {
  if (geteuid() != 0 || !PathExists(kPodsLock)) return;
  int fd = TakePodsLock(dir);
  if (fd < 0) return;
  net::BridgeNetwork::Cleanup(kNetPrefix).IgnoreError();
  RemoveAll(kPodsOwner).IgnoreError();
  close(fd);
}

// `localkube fault …` requests, applied to the running cluster.
json ApplyFault(LocalCluster& cluster, const json& r) {
  const std::string op = r.value("op", "");
  const std::string ns = r.value("namespace", "default");
  const std::string pod = r.value("pod", "");
  const std::string node = r.value("node", "");
  const std::string what = node.empty() ? "pod " + ns + "/" + pod : "node " + node;
  Status s;
  std::string done;
  if (op == "kill") {
    const std::string container = r.value("container", "");
    int sig = r.value("signal", SIGKILL);
    s = cluster.KillContainer(ns, pod, container, sig);
    done = "sent " + SignalName(sig) + " to " + (container.empty() ? "every container" : "container " + container) +
           " of " + what;
  } else if (op == "partition") {
    s = node.empty() ? cluster.PartitionPod(ns, pod) : cluster.PartitionNode(node);
    done = what + " partitioned";
  } else if (op == "heal") {
    s = node.empty() ? cluster.HealPod(ns, pod) : cluster.HealNode(node);
    done = what + " healed";
  } else if (op == "node-down") {
    s = cluster.NodeDown(node);
    done = what + " is down";
  } else {
    return {{"error", "unknown fault \"" + op + "\""}};
  }
  if (!s.ok()) return {{"error", std::string(s.message())}};
  return {{"ok", true}, {"message", done}};
}

StatusOr<std::string> EnsureSecret(const std::string& path, size_t bytes) {
  if (PathExists(path)) return ReadFile(path);
  std::string token = RandomToken(bytes);
  RETURN_IF_ERROR(WriteFileAtomic(path, token, 0600));
  return token;
}

std::string Kubeconfig(int port, const std::string& ca_pem, const std::string& token) {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: localkube\n  cluster:\n    server: https://127.0.0.1:" +
         std::to_string(port) + "\n    certificate-authority-data: " + Base64Encode(ca_pem) +
         "\nusers:\n- name: localkube-admin\n  user:\n    token: " + token +
         "\ncontexts:\n- name: localkube\n  context:\n    cluster: localkube\n    user: localkube-admin\n"
         "    namespace: default\ncurrent-context: localkube\n";
}

}  // namespace

int Serve(const ClusterOptions& o) {
  log::Logger logger("localkube");
  auto signals = SignalFd::Create({SIGTERM, SIGINT});
  if (!signals.ok()) {
    std::cerr << "localkube: " << signals.status().ToString() << "\n";
    return 1;
  }
  IgnoreSigpipe();
  for (const auto& d : {o.dir, o.dir + "/logs", o.dir + "/state"}) {
    if (auto s = MakeDirs(d, 0700); !s.ok()) {
      std::cerr << "localkube: " << s.ToString() << "\n";
      return 1;
    }
  }
  if (!o.apiserver_only && geteuid() != 0) {
    std::cerr << "localkube: " << RootRequired() << "\n";
    return 1;
  }
  int lock = TryLock(o.dir);
  if (lock < 0) {
    std::cerr << "localkube: already running in " << o.dir << " (pid " << ReadPid(o.dir) << ")\n";
    return 1;
  }
  int pods_lock = -1;
  if (!o.apiserver_only) {
    MakeDirs("/run/localkube", 0755).IgnoreError();
    pods_lock = TakePodsLock(o.dir);
    if (pods_lock < 0) {
      std::cerr << "localkube: another localkube runs pods on this machine (in "
                << ReadFile(kPodsOwner).value_or("an unknown directory")
                << "); only one can, as pods share fixed address ranges. Stop it, or pass --apiserver-only\n";
      close(lock);
      return 1;
    }
    WriteFileAtomic(kPodsOwner, Absolute(o.dir)).IgnoreError();
  }
  auto fail = [&](const Status& s) {
    std::cerr << "localkube: " << s.ToString() << "\n";
    logger.Error("startup failed", {{"error", s.ToString()}});
    return 1;
  };
  if (auto s = WriteFileAtomic(PidFile(o.dir), std::to_string(getpid()) + "\n"); !s.ok()) return fail(s);
  auto pki = EnsurePki(o.dir + "/pki");
  if (!pki.ok()) return fail(pki.status());
  auto admin_token = EnsureSecret(o.dir + "/pki/admin.token", 32);
  if (!admin_token.ok()) return fail(admin_token.status());
  auto sa_key = EnsureSecret(o.dir + "/pki/sa.key", 32);
  if (!sa_key.ok()) return fail(sa_key.status());

  Store store(o.watch_history);
  if (auto s = store.Open(o.dir + "/state/journal.jsonl"); !s.ok()) return fail(s);
  Registry registry;
  TokenAuthority tokens(*sa_key, TokenLifetimes{o.token_min_seconds, o.token_max_seconds});
  Api api(&store, &registry, &tokens);
  if (auto b = api.Bootstrap(); !b.ok()) return fail(InternalError(b.error().message));
  Controllers controllers(&api);
  controllers.Start();
  RealClock clock;
  std::atomic<bool> stopping{false};
  std::atomic<LocalCluster*> cluster_ptr{nullptr};

  HttpServerOptions http;
  http.cert_path = pki->server_cert_path;
  http.key_path = pki->server_key_path;
  http.admin_token = *admin_token;
  http.bookmark_interval = o.bookmark_interval;
  http.port = o.port;
  PodLogSource logs;
  logs.log_path = [&](const std::string& ns, const std::string& pod, const std::string& container, bool previous) -> StatusOr<std::string> {
    LocalCluster* c = cluster_ptr.load();
    if (c == nullptr) return UnavailableError("this localkube runs no kubelets (--apiserver-only)");
    return c->LogPath(ns, pod, container, previous);
  };
  logs.get_pod = [&](const std::string& ns, const std::string& pod) -> StatusOr<json> {
    auto got = api.Get("pods", ns, pod);
    if (!got.ok()) return NotFoundError(got.error().message);
    return *got;
  };
  logs.stopping = &stopping;
  http.pod_logs = [&](const json& pod, const httplib::Request& req, httplib::Response& res) {
    ServePodLog(logs, pod, req, res);
  };
  bool fallback = o.port == 0;
  if (o.port == 0) {
    auto prev = ReadFile(o.dir + "/state/port");
    if (prev.ok()) http.port = std::atoi(prev->c_str());
  }
  HttpServer server(&api, clock, http);
  auto port = server.Bind(fallback);
  if (!port.ok()) return fail(port.status());
  auto ca = ReadFile(pki->ca_cert_path);
  if (!ca.ok()) return fail(ca.status());
  if (auto s = WriteFileAtomic(o.dir + "/state/port", std::to_string(*port)); !s.ok()) return fail(s);
  if (auto s = WriteFileAtomic(o.dir + "/kubeconfig", Kubeconfig(*port, *ca, *admin_token), 0600); !s.ok()) return fail(s);
  logger.Info("API server listening", {{"port", *port}, {"objects", store.size()}, {"resourceVersion", store.current_rv()}});

  std::unique_ptr<LocalCluster> cluster;
  std::unique_ptr<ClusterControllers> workloads;
  std::unique_ptr<ControlServer> control;
  if (!o.apiserver_only) {
    LocalClusterConfig cc;
    cc.dir = o.dir;
    cc.nodes = o.nodes;
    cc.api_port = *port;
    // Heartbeats well inside the grace, or a short grace makes healthy nodes flap.
    cc.heartbeat_interval = std::min<Duration>(std::chrono::seconds(10), Duration(o.node_monitor_grace) / 4);
    auto started = LocalCluster::Start(&api, cc);
    if (!started.ok()) return fail(started.status());
    cluster = std::move(started).value();
    cluster_ptr = cluster.get();
    ControllerConfig wc;
    wc.volumes_dir = o.dir + "/volumes";
    wc.node_monitor_grace = o.node_monitor_grace;
    wc.root_ca_pem = *ca;
    workloads = std::make_unique<ClusterControllers>(&api, clock, wc);
    workloads->Start();
    auto listening = ControlServer::Listen(o.dir + "/control.sock", [&](const json& r) { return ApplyFault(*cluster, r); });
    if (!listening.ok()) return fail(listening.status());
    control = std::move(listening).value();
    logger.Info("nodes running", {{"nodes", o.nodes}, {"hostIP", cluster->host_ip()}});
  }

  std::thread stopper([&] {
    while (true) {
      auto sig = signals->Wait(-1);
      if (sig) break;
    }
    logger.Info("stopping");
    stopping = true;
    server.Stop();
  });
  server.Serve();
  stopper.join();
  control.reset();
  if (workloads) workloads->Stop();
  cluster_ptr = nullptr;
  cluster.reset();  // every pod stopped, the network removed
  controllers.Stop();
  RemoveAll(PidFile(o.dir)).IgnoreError();
  logger.Info("stopped");
  log::Flush();
  if (pods_lock >= 0) {
    RemoveAll(kPodsOwner).IgnoreError();
    close(pods_lock);
  }
  close(lock);
  return 0;
}

int Start(const ClusterOptions& o) {
  if (!o.apiserver_only && geteuid() != 0) {
    std::cerr << "localkube: " << RootRequired() << "\n";
    return 1;
  }
  if (auto s = MakeDirs(o.dir + "/logs", 0700); !s.ok()) {
    std::cerr << "localkube: " << s.ToString() << "\n";
    return 1;
  }
  int lock = TryLock(o.dir);
  if (lock < 0) {
    std::cerr << "localkube: already running in " << o.dir << " (pid " << ReadPid(o.dir) << ")\n";
    return 1;
  }
  close(lock);
  RemoveAll(o.dir + "/kubeconfig").IgnoreError();
  std::string log_path = o.dir + "/logs/localkube.log";
  pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "localkube: fork: " << strerror(errno) << "\n";
    return 1;
  }
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    int logfd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull >= 0) dup2(devnull, 0);
    if (logfd >= 0) {
      dup2(logfd, 1);
      dup2(logfd, 2);
    }
    _exit(Serve(o));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::cerr << "localkube: the server exited during startup; see " << log_path << "\n";
      auto log = ReadFile(log_path);
      if (log.ok()) std::cerr << log->substr(log->size() > 2000 ? log->size() - 2000 : 0);
      return 1;
    }
    auto port = ReadFile(o.dir + "/state/port");
    if (PathExists(o.dir + "/kubeconfig") && port.ok()) {
      httplib::SSLClient client("127.0.0.1", std::atoi(port->c_str()));
      client.set_ca_cert_path((o.dir + "/pki/ca.crt").c_str());
      client.enable_server_certificate_verification(true);
      client.set_connection_timeout(std::chrono::seconds(1));
      auto res = client.Get("/readyz");
      if (res && res->status == 200) {
        std::cout << "localkube is running (pid " << pid << "); kubeconfig: " << o.dir << "/kubeconfig\n";
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  std::cerr << "localkube: the API did not answer within 30s; see " << log_path << "\n";
  return 1;
}

int Stop(const std::string& dir) {
  pid_t pid = ReadPid(dir);
  if (!Alive(pid)) {
    RemoveAll(PidFile(dir)).IgnoreError();
    CleanUpDeadRun(dir);
    std::cout << "localkube is not running in " << dir << "\n";
    return 0;
  }
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Alive(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (Alive(pid)) {
    kill(pid, SIGKILL);
    while (Alive(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  RemoveAll(PidFile(dir)).IgnoreError();
  CleanUpDeadRun(dir);  // after a SIGKILL above, its pods are still to be removed
  std::cout << "localkube stopped\n";
  return 0;
}

}  // namespace tusk::localkube
