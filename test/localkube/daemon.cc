#include "test/localkube/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
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

namespace tusk::localkube {
namespace {

std::string PidFile(const std::string& dir) { return dir + "/localkube.pid"; }
std::string LockFile(const std::string& dir) { return dir + "/localkube.lock"; }

// Holds DIR's lock for the life of the server; -1 when another process has it.
int TryLock(const std::string& dir) {
  int fd = open(LockFile(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
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
  int lock = TryLock(o.dir);
  if (lock < 0) {
    std::cerr << "localkube: already running in " << o.dir << " (pid " << ReadPid(o.dir) << ")\n";
    return 1;
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
  TokenAuthority tokens(*sa_key);
  Api api(&store, &registry, &tokens);
  if (auto b = api.Bootstrap(); !b.ok()) return fail(InternalError(b.error().message));
  Controllers controllers(&api);
  controllers.Start();

  HttpServerOptions http;
  http.cert_path = pki->server_cert_path;
  http.key_path = pki->server_key_path;
  http.admin_token = *admin_token;
  http.bookmark_interval = o.bookmark_interval;
  http.port = o.port;
  bool fallback = o.port == 0;
  if (o.port == 0) {
    auto prev = ReadFile(o.dir + "/state/port");
    if (prev.ok()) http.port = std::atoi(prev->c_str());
  }
  HttpServer server(&api, &tokens, http);
  auto port = server.Bind(fallback);
  if (!port.ok()) return fail(port.status());
  auto ca = ReadFile(pki->ca_cert_path);
  if (!ca.ok()) return fail(ca.status());
  if (auto s = WriteFileAtomic(o.dir + "/state/port", std::to_string(*port)); !s.ok()) return fail(s);
  if (auto s = WriteFileAtomic(o.dir + "/kubeconfig", Kubeconfig(*port, *ca, *admin_token), 0600); !s.ok()) return fail(s);
  logger.Info("API server listening", {{"port", *port}, {"objects", store.size()}, {"resourceVersion", store.current_rv()}});

  std::thread stopper([&] {
    while (true) {
      auto sig = signals->Wait(-1);
      if (sig) break;
    }
    logger.Info("stopping");
    server.Stop();
  });
  server.Serve();
  stopper.join();
  controllers.Stop();
  RemoveAll(PidFile(o.dir)).IgnoreError();
  logger.Info("stopped");
  log::Flush();
  close(lock);
  return 0;
}

int Start(const ClusterOptions& o) {
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
  std::cout << "localkube stopped\n";
  return 0;
}

}  // namespace tusk::localkube
