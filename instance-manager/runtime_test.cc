// tusk-instance's runtime pieces with real processes and files but no
// postgres: the PID-1 reaper's ownership rule, the certificate copy, the
// desired-state file watch, the status hub.
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "instance-manager/certificates.h"
#include "instance-manager/child_reaper.h"
#include "instance-manager/desired_state.h"
#include "instance-manager/postmaster.h"
#include "instance-manager/status_hub.h"

namespace tusk::instance {
namespace {

pid_t ForkExiting(int code) {
  pid_t p = ::fork();
  if (p == 0) ::_exit(code);
  return p;
}

// Waits (bounded) until `pid` is a zombie we could reap.
bool WaitZombie(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    siginfo_t info{};
    if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) return true;
    ::usleep(2000);
  }
  return false;
}

}  // namespace

TEST_CASE("the reaper leaves owned children's exit statuses to their owners") {
  ChildRegistry registry;
  // An owned child that has exited: the reaper must not take its status.
  auto owned = registry.StartOwned([] { return StatusOr<pid_t>(ForkExiting(7)); });
  REQUIRE(owned.ok());
  REQUIRE(WaitZombie(*owned));
  CHECK(registry.ReapOrphans() == 0);
  int ws = 0;
  REQUIRE(::waitpid(*owned, &ws, 0) == *owned);
  CHECK(WEXITSTATUS(ws) == 7);
  registry.Release(*owned);

  // Children nobody owns (as orphans are for PID 1) are reaped.
  pid_t a = ForkExiting(0), b = ForkExiting(0);
  REQUIRE(WaitZombie(a));
  REQUIRE(WaitZombie(b));
  CHECK(registry.ReapOrphans() == 2);
  CHECK(::waitpid(a, &ws, WNOHANG) < 0);  // gone: ECHILD
  CHECK(::waitpid(b, &ws, WNOHANG) < 0);

  // Subprocesses started through the registry keep their exit codes.
  SubprocessOptions o;
  o.argv = {"sh", "-c", "exit 3"};
  auto r = registry.Run(o, std::chrono::seconds(10));
  REQUIRE(r.ok());
  CHECK(r->exit.exit_code == 3);
  CHECK(registry.ReapOrphans() == 0);
}

TEST_CASE("certificates are copied from the mounted secrets with mode 0600") {
  auto dir = TempDir::Make("tusk-certs");
  REQUIRE(dir.ok());
  Options o;
  o.certificates_source = dir->Sub("mounted");
  o.certificates_dir = dir->Sub("controller/certificates");
  REQUIRE(MakeDirs(o.certificates_source, 0755).ok());
  for (const char* name : kCertificateFiles) {
    REQUIRE(WriteFile(o.certificates_source + "/" + name, std::string("pem of ") + name, 0644).ok());
  }
  ChildRegistry registry;
  ProcessPgTools tools(o, &registry);
  REQUIRE(InstallCertificates(o, tools).ok());
  for (const char* name : kCertificateFiles) {
    const std::string copy = o.certificates_dir + "/" + name;
    CHECK(*ReadFile(copy) == std::string("pem of ") + name);
    struct stat st {};
    REQUIRE(::stat(copy.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // postgres refuses a key others can read
  }
  // A rotated secret is picked up on the next copy.
  REQUIRE(WriteFile(o.certificates_source + "/server.crt", "rotated", 0644).ok());
  REQUIRE(InstallCertificates(o, tools).ok());
  CHECK(*ReadFile(o.certificates_dir + "/server.crt") == "rotated");

  REQUIRE(RemoveAll(o.certificates_source + "/client-ca.crt").ok());
  Status missing = InstallCertificates(o, tools);
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK_THAT(missing.message(), Catch::Contains("client-ca.crt"));
  CHECK_THAT(missing.message(), Catch::Contains("--certificates-source"));

  // Without certificate authentication there is nothing to copy.
  o.replication_auth = pg::ReplicationAuth::kLoopbackTrust;
  o.certificates_dir = dir->Sub("unused");
  CHECK(InstallCertificates(o, tools).ok());
  CHECK_FALSE(PathExists(o.certificates_dir));
}

TEST_CASE("the desired-state file is re-read when replaced") {
  auto dir = TempDir::Make("tusk-desired");
  REQUIRE(dir.ok());
  const std::string path = dir->Sub("cluster.json");
  REQUIRE(WriteFileAtomic(path, R"({"kind":"Cluster","metadata":{"name":"pg"},"spec":{"storage":{"size":"1Gi"}},"status":{"currentPrimary":"pg-1"}})").ok());
  auto source = FileDesiredState::Open(path);
  REQUIRE(source.ok());
  auto v = (*source)->Read();
  REQUIRE(v.ok());
  CHECK(v->current_primary == "pg-1");

  REQUIRE(WriteFileAtomic(path, R"({"kind":"Cluster","metadata":{"name":"pg"},"spec":{"storage":{"size":"1Gi"}},"status":{"currentPrimary":"pg-2"}})").ok());
  pollfd p{(*source)->fd(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  CHECK((*source)->Drain());
  CHECK((*source)->Read()->current_primary == "pg-2");

  // Another file in the directory does not count as a change.
  REQUIRE(WriteFileAtomic(dir->Sub("other.json"), "{}").ok());
  REQUIRE(::poll(&p, 1, 5000) == 1);
  CHECK_FALSE((*source)->Drain());

  REQUIRE(WriteFileAtomic(path, "{not json").ok());
  auto bad = (*source)->Read();
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("not valid JSON"));
}

TEST_CASE("the status hub wakes watchers on change only") {
  StatusHub hub;
  v1::InstanceStatus s;
  s.set_pod_name("pg-1");
  hub.Publish(s);
  uint64_t v1_version = 0;
  hub.Latest(&v1_version);
  s.set_reported_unix_ms(123);
  s.set_sequence(9);
  hub.Publish(s);  // only the report time moved
  CHECK(hub.WaitNewer(v1_version, std::chrono::milliseconds(1)) == v1_version);
  std::thread t([&] {
    v1::InstanceStatus changed = s;
    changed.set_current_lsn("0/3000000");
    hub.Publish(changed);
  });
  CHECK(hub.WaitNewer(v1_version, std::chrono::seconds(10)) == v1_version + 1);
  t.join();
  CHECK(hub.Latest().current_lsn() == "0/3000000");
}

TEST_CASE("a postmaster.pid left by a dead postgres is removed; a live postgres's is kept") {
  auto dir = TempDir::Make("tusk-pidfile");
  REQUIRE(dir.ok());
  const std::string pidfile = dir->Sub("postmaster.pid");
  CHECK(RemoveStalePidFile(dir->path()).value() == false);  // none

  // After a container restart the PID may be one of our own threads: not postgres.
  REQUIRE(WriteFile(pidfile, std::to_string(::getpid()) + "\n/var/lib/postgresql/data/pgdata\n", 0600).ok());
  CHECK(RemoveStalePidFile(dir->path()).value() == true);
  CHECK(::access(pidfile.c_str(), F_OK) != 0);

  REQUIRE(WriteFile(pidfile, "garbage\n", 0600).ok());
  CHECK(RemoveStalePidFile(dir->path()).value() == true);

  // A process named postgres in this mount namespace may be using the directory.
  const std::string fake = dir->Sub("postgres");
  REQUIRE(::system(("cp /bin/sleep " + fake).c_str()) == 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::execl(fake.c_str(), "postgres", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(child > 0);
  for (int i = 0; i < 200; ++i) {  // until the exec has happened
    auto comm = ReadFile("/proc/" + std::to_string(child) + "/comm");
    if (comm.ok() && comm->rfind("postgres", 0) == 0) break;
    ::usleep(5000);
  }
  REQUIRE(WriteFile(pidfile, std::to_string(child) + "\n", 0600).ok());
  CHECK(RemoveStalePidFile(dir->path()).value() == false);
  CHECK(::access(pidfile.c_str(), F_OK) == 0);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(RemoveStalePidFile(dir->path()).value() == true);
}

}  // namespace tusk::instance
