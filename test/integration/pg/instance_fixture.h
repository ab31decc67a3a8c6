// Test fixtures for tusk-instance against real PostgreSQL on loopback: a
// desired-state file the test edits like the operator edits the Cluster
// status, and instances (data directory, ports, manager process) that are
// stopped by PID and removed when the test ends, pass or fail.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/files.h"
#include "common/base/status.h"
#include "common/base/subprocess.h"
#include "common/pg/connection.h"
#include "test/unit/eventually.h"
#include "tusk/proto/instance.grpc.pb.h"

namespace tusk::testing {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const StatusOr<T>& s) {
  return s.status();
}

// REQUIRE that a Status or StatusOr is OK, printing the error when it is not.
// Used inside Catch2 test cases.
#define REQUIRE_OK(expr)                            \
  do {                                              \
    auto st_ = ::tusk::testing::StatusOf(expr);     \
    INFO(st_.ToString());                           \
    REQUIRE(st_.ok());                              \
  } while (0)

// A free TCP port on 127.0.0.1 (bound, read, released).
int FreeLoopbackPort();

// A Cluster of `instances` in namespace default, with `primary` as
// status.currentPrimary: what the tests' managers read, from a file or the
// API server.
nlohmann::json TestCluster(const std::string& name, const std::vector<std::string>& instances,
                           const std::string& primary);

// The Cluster object the managers read, rewritten atomically on each edit.
class ClusterFile {
 public:
  ClusterFile(std::string path, const std::string& name, std::vector<std::string> instances,
              const std::string& primary);
  const std::string& path() const { return path_; }
  nlohmann::json& json() { return cluster_; }
  void Update(const std::function<void(nlohmann::json&)>& edit);
  void Write();

 private:
  std::string path_;
  nlohmann::json cluster_;
};

class Instance {
 public:
  Instance(const std::string& root, std::string name, const ClusterFile* cluster);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  std::string pgdata() const { return dir_ + "/pgdata"; }
  std::string log_path() const { return dir_ + "/manager.log"; }
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  std::string http_address() const { return "127.0.0.1:" + std::to_string(http_port_); }

  // Every instance of the cluster must know the others' addresses.
  void AddPeer(const Instance& other);
  // Reads the Cluster from the API server instead of the file (the cluster
  // given to the constructor may then be null).
  void UseApiServer(const std::string& kubeconfig, const std::string& cluster, const std::string& namespace_);
  // More flags for every command (e.g. --app-password-file).
  void AddFlags(const std::vector<std::string>& flags);

  Status Init();  // tusk-instance init
  Status Join();  // tusk-instance join
  Status Start();
  // As PID 1 of a fresh PID namespace (unshare --pid --fork --kill-child).
  // manager_pid() is then unshare's; the manager is its only child.
  Status StartAsPid1();
  pid_t manager_pid() const { return manager_ ? manager_->pid() : -1; }
  bool manager_running();
  // Waits for the manager to exit; nullopt if it did not within `timeout`.
  std::optional<ExitInfo> WaitExit(std::chrono::milliseconds timeout);
  Status Signal(int sig);
  void KillManager();  // SIGKILL, reaped

  // From postmaster.pid; -1 when there is none.
  pid_t postmaster_pid() const;

  // A superuser session over the socket (kept open).
  StatusOr<pg::QueryResult> Sql(const std::string& sql);
  // One statement in another database, on a connection of its own.
  StatusOr<pg::QueryResult> SqlIn(const std::string& database, const std::string& sql);
  std::string SqlScalar(const std::string& sql);  // "" on error
  bool Writable();

  std::unique_ptr<instance::v1::InstanceManager::Stub> Stub() const;
  instance::v1::InstanceStatus GetStatus() const;

  // The last lines of the manager's log, for failure messages.
  std::string LogTail(size_t bytes = 4000) const;

 private:
  std::vector<std::string> CommonFlags() const;
  Status Launch(const std::vector<std::string>& launcher);
  void StopEverything();

  std::string name_;
  std::string dir_;
  const ClusterFile* cluster_;
  int port_, grpc_port_, http_port_;
  std::vector<std::string> peers_;
  std::vector<std::string> source_flags_;  // where the Cluster comes from
  std::vector<std::string> extra_flags_;
  std::unique_ptr<Subprocess> manager_;
  // PIDs in postmaster.pid are then the namespace's, not ours: never
  // signal them; the namespace dies with its PID 1.
  bool in_pid_namespace_ = false;
  std::unique_ptr<pg::Connection> conn_;
};

// A temporary root for a test's instances, readable by postgres.
StatusOr<TempDir> MakeTestRoot();

}  // namespace tusk::testing
