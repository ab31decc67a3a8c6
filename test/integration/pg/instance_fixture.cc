#include "test/integration/pg/instance_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

namespace tusk::testing {

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

StatusOr<TempDir> MakeTestRoot() {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Make("tusk-instance-it"));
  // postgres (dropped privileges) must reach the data directories below.
  if (::chmod(dir.path().c_str(), 0755) != 0) return ErrnoError("chmod " + dir.path(), errno);
  return dir;
}

nlohmann::json TestCluster(const std::string& name, const std::vector<std::string>& instances,
                           const std::string& primary) {
  return {
      {"apiVersion", "postgresql.cnpg.io/v1"},
      {"kind", "Cluster"},
      {"metadata", {{"name", name}, {"namespace", "default"}}},
      {"spec",
       {{"instances", instances.size()},
        {"storage", {{"size", "1Gi"}}},
        {"smartShutdownTimeout", 2},
        {"postgresql", {{"parameters", {{"work_mem", "8MB"}, {"wal_keep_size", "64MB"}}}}}}},
      {"status", {{"currentPrimary", primary}, {"instanceNames", instances}}},
  };
}

ClusterFile::ClusterFile(std::string path, const std::string& name, std::vector<std::string> instances,
                         const std::string& primary)
    : path_(std::move(path)), cluster_(TestCluster(name, instances, primary)) {
  Write();
}

void ClusterFile::Update(const std::function<void(nlohmann::json&)>& edit) {
  edit(cluster_);
  Write();
}

void ClusterFile::Write() {
  Status st = WriteFileAtomic(path_, cluster_.dump(2));
  if (!st.ok()) throw std::runtime_error(st.ToString());
}

Instance::Instance(const std::string& root, std::string name, const ClusterFile* cluster)
    : name_(std::move(name)), dir_(root + "/" + name_), cluster_(cluster) {
  port_ = FreeLoopbackPort();
  grpc_port_ = FreeLoopbackPort();
  http_port_ = FreeLoopbackPort();
  MakeDirs(dir_, 0755).IgnoreError();
  peers_.push_back(name_ + "=127.0.0.1:" + std::to_string(port_));
  if (cluster_ != nullptr) source_flags_ = {"--cluster-file", cluster_->path()};
}

void Instance::UseApiServer(const std::string& kubeconfig, const std::string& cluster,
                            const std::string& namespace_) {
  source_flags_ = {"--kubeconfig", kubeconfig, "--cluster-name", cluster, "--namespace", namespace_};
}

void Instance::AddFlags(const std::vector<std::string>& flags) {
  extra_flags_.insert(extra_flags_.end(), flags.begin(), flags.end());
}

Instance::~Instance() { StopEverything(); }

void Instance::AddPeer(const Instance& other) {
  peers_.push_back(other.name() + "=127.0.0.1:" + std::to_string(other.port()));
}

std::vector<std::string> Instance::CommonFlags() const {
  std::vector<std::string> f = {"--pgdata", pgdata(),
                                "--pod-name", name_,
                                "--port", std::to_string(port_),
                                "--listen-addresses", "127.0.0.1",
                                "--socket-dir", dir_ + "/run",
                                "--log-dir", dir_ + "/log",
                                "--replication-auth", "loopback-trust",
                                "--grpc-address", grpc_address(),
                                "--http-address", http_address()};
  for (const auto& p : peers_) {
    f.push_back("--peer");
    f.push_back(p);
  }
  f.insert(f.end(), source_flags_.begin(), source_flags_.end());
  f.insert(f.end(), extra_flags_.begin(), extra_flags_.end());
  return f;
}

namespace {

Status RunCommand(const std::string& command, const std::vector<std::string>& flags, const std::string& log) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh", TUSK_INSTANCE_BIN, command};
  o.argv.insert(o.argv.end(), flags.begin(), flags.end());
  o.env = {"LOG=" + log};
  auto r = RunSubprocess(o, std::chrono::minutes(2));
  if (!r.ok()) return r.status();
  if (!r->exit.success()) return UnknownError("tusk-instance " + command + " failed: " + r->exit.Describe());
  return OkStatus();
}

}  // namespace

Status Instance::Init() { return RunCommand("init", CommonFlags(), log_path()); }
Status Instance::Join() { return RunCommand("join", CommonFlags(), log_path()); }

Status Instance::Start() {
  in_pid_namespace_ = false;
  return Launch({});
}

Status Instance::StartAsPid1() {
  in_pid_namespace_ = true;
  return Launch({"unshare", "--pid", "--fork", "--kill-child"});
}

Status Instance::Launch(const std::vector<std::string>& launcher) {
  if (manager_running()) return FailedPreconditionError(name_ + ": manager already running");
  SubprocessOptions o;
  // sh only redirects the output, then execs, so the PID is the manager's.
  o.argv = {"sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh"};
  o.argv.insert(o.argv.end(), launcher.begin(), launcher.end());
  o.argv.push_back(TUSK_INSTANCE_BIN);
  o.argv.push_back("run");
  auto flags = CommonFlags();
  o.argv.insert(o.argv.end(), flags.begin(), flags.end());
  o.env = {"LOG=" + log_path()};
  o.stdout_mode = OutputMode::kDiscard;
  o.stderr_mode = OutputMode::kDiscard;
  ASSIGN_OR_RETURN(manager_, Subprocess::Start(o));
  return OkStatus();
}

bool Instance::manager_running() {
  if (!manager_) return false;
  auto r = manager_->Poll();
  return r.ok() && !r->has_value();
}

std::optional<ExitInfo> Instance::WaitExit(std::chrono::milliseconds timeout) {
  if (!manager_) return std::nullopt;
  std::optional<ExitInfo> exit;
  Eventually(
      [&] {
        auto r = manager_->Poll();
        if (r.ok() && r->has_value()) exit = **r;
        return exit.has_value() || !r.ok();
      },
      timeout);
  return exit;
}

Status Instance::Signal(int sig) {
  if (!manager_running()) return FailedPreconditionError(name_ + ": manager not running");
  return KillPid(manager_->pid(), sig);
}

void Instance::KillManager() {
  conn_.reset();
  if (manager_running()) KillPid(manager_->pid(), SIGKILL).IgnoreError();
  WaitExit(std::chrono::seconds(10));
  // PR_SET_PDEATHSIG takes postgres down with the manager; wait for it.
  if (!in_pid_namespace_) {
    Eventually([&] { pid_t p = postmaster_pid(); return p <= 0 || ::kill(p, 0) != 0; }, std::chrono::seconds(10));
  }
}

pid_t Instance::postmaster_pid() const {
  std::ifstream in(pgdata() + "/postmaster.pid");
  pid_t pid = -1;
  if (!(in >> pid)) return -1;
  return pid;
}

void Instance::StopEverything() {
  conn_.reset();
  if (manager_running()) {
    KillPid(manager_->pid(), SIGQUIT).IgnoreError();
    if (!WaitExit(std::chrono::seconds(10))) KillPid(manager_->pid(), SIGKILL).IgnoreError();
    WaitExit(std::chrono::seconds(10));
  }
  manager_.reset();
  if (in_pid_namespace_) return;
  // Whatever still holds the data directory goes, by its PID.
  pid_t pm = postmaster_pid();
  if (pm > 0 && ::kill(pm, 0) == 0) {
    ::kill(pm, SIGQUIT);
    if (!Eventually([&] { return ::kill(pm, 0) != 0; }, std::chrono::seconds(10))) ::kill(pm, SIGKILL);
    Eventually([&] { return ::kill(pm, 0) != 0; }, std::chrono::seconds(10));
  }
}

StatusOr<pg::QueryResult> Instance::Sql(const std::string& sql) {
  if (!conn_) {
    conn_ = std::make_unique<pg::Connection>("host=" + dir_ + "/run port=" + std::to_string(port_) +
                                             " user=postgres dbname=postgres connect_timeout=5");
  }
  return conn_->Query(sql);
}

StatusOr<pg::QueryResult> Instance::SqlIn(const std::string& database, const std::string& sql) {
  pg::Connection conn("host=" + dir_ + "/run port=" + std::to_string(port_) + " user=postgres dbname=" + database +
                      " connect_timeout=5");
  return conn.Query(sql);
}

std::string Instance::SqlScalar(const std::string& sql) {
  auto r = Sql(sql);
  return r.ok() ? r->Scalar() : "";
}

bool Instance::Writable() { return SqlScalar("SELECT NOT pg_is_in_recovery()") == "t"; }

std::unique_ptr<instance::v1::InstanceManager::Stub> Instance::Stub() const {
  return instance::v1::InstanceManager::NewStub(
      grpc::CreateChannel(grpc_address(), grpc::InsecureChannelCredentials()));
}

instance::v1::InstanceStatus Instance::GetStatus() const {
  instance::v1::InstanceStatus s;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto st = Stub()->GetStatus(&ctx, instance::v1::GetStatusRequest(), &s);
  if (!st.ok()) s.set_last_error("rpc: " + st.error_message());
  return s;
}

std::string Instance::LogTail(size_t bytes) const {
  auto text = ReadFile(log_path());
  if (!text.ok()) return "(no log)";
  // The manager's own records and postgres's warnings and errors; routine
  // postgres chatter would crowd them out.
  std::string out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("logger", "") == "postgres") {
      const auto& rec = j["record"];
      std::string sev = rec.is_object() ? rec.value("error_severity", "") : "";
      std::string msg = rec.is_object() ? rec.value("message", "") : "";
      if ((sev != "WARNING" && sev != "ERROR" && sev != "FATAL" && sev != "PANIC") ||
          msg.find("starting up") != std::string::npos) {
        continue;
      }
    }
    out += line + "\n";
  }
  return out.size() > bytes ? out.substr(out.size() - bytes) : out;
}

}  // namespace tusk::testing
