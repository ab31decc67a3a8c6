#include "common/base/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "common/base/signals.h"

namespace tusk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SubprocessOptions Argv(std::vector<std::string> argv) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  return o;
}

TEST_CASE("output is captured separately and exit codes come back") {
  auto r = RunSubprocess(Argv({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "out\n");
  CHECK(r->stderr_data == "err\n");
  CHECK(r->exit.exited);
  CHECK(r->exit.exit_code == 3);
  CHECK_FALSE(r->exit.success());
  CHECK(r->exit.Describe() == "exit code 3");
}

TEST_CASE("arguments reach the program verbatim, with no shell in between") {
  auto r = RunSubprocess(Argv({"printf", "%s|", "a b", "$HOME", "*", "'q'"}));
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "a b|$HOME|*|'q'|");
}

TEST_CASE("a child that outlives its timeout is killed, with its process group") {
  auto start = std::chrono::steady_clock::now();
  // The shell's background sleep shares the group: it must die too, or the
  // captured stdout pipe would stay open until it finished.
  auto r = RunSubprocess(Argv({"sh", "-c", "sleep 60 & sleep 60"}), milliseconds(200));
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK_FALSE(r->exit.exited);
  CHECK(r->exit.signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < seconds(30));
}

TEST_CASE("a program that does not exist is NotFound, before anything runs") {
  auto r = RunSubprocess(Argv({"tusk-no-such-program-xyz"}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
  auto dir = TempDir::Make("tusk-subprocess");
  REQUIRE(dir.ok());
  REQUIRE(WriteFile(dir->Sub("data"), "not a program", 0644).ok());
  auto notexec = RunSubprocess(Argv({dir->Sub("data")}));
  REQUIRE_FALSE(notexec.ok());
  CHECK(notexec.status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("large stdin and stdout stream through without deadlock") {
  std::string big(4 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  SubprocessOptions o = Argv({"cat"});
  o.stdin_data = big;
  auto r = RunSubprocess(o, seconds(60));
  REQUIRE(r.ok());
  CHECK_FALSE(r->timed_out);
  CHECK(r->stdout_data == big);
}

TEST_CASE("environment, working directory and discarded output are honoured") {
  auto dir = TempDir::Make("tusk-subprocess");
  REQUIRE(dir.ok());
  SubprocessOptions o = Argv({"sh", "-c", "echo \"$TUSK_X:$(pwd)\"; echo noise >&2"});
  o.env = {"TUSK_X=hello"};
  o.working_dir = dir->path();
  o.stderr_mode = OutputMode::kDiscard;
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "hello:" + dir->path() + "\n");
  CHECK(r->stderr_data.empty());

  SubprocessOptions bare = Argv({"/usr/bin/env"});
  bare.inherit_env = false;
  bare.env = {"ONLY=1"};
  auto e = RunSubprocess(bare);
  REQUIRE(e.ok());
  CHECK(e->stdout_data == "ONLY=1\n");
}

TEST_CASE("signals the parent blocks are delivered to its children again") {
  // A PID 1 blocks SIGTERM to read it from a signalfd; postgres, started
  // from it, must still die of (or handle) SIGTERM.
  auto sfd = SignalFd::Create({SIGTERM});
  REQUIRE(sfd.ok());
  auto p = Subprocess::Start(Argv({"sleep", "60"}));
  REQUIRE(p.ok());
  REQUIRE((*p)->Signal(SIGTERM).ok());
  auto r = (*p)->Communicate(seconds(30));
  REQUIRE(r.ok());
  CHECK_FALSE(r->timed_out);
  CHECK(r->exit.signal == SIGTERM);
  CHECK(r->exit.Describe() == "killed by SIGTERM");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

TEST_CASE("Poll reports a running child as running, then its exit; a reaped PID is never signalled") {
  auto p = Subprocess::Start(Argv({"sleep", "60"}));
  REQUIRE(p.ok());
  auto running = (*p)->Poll();
  REQUIRE(running.ok());
  CHECK_FALSE(running->has_value());
  REQUIRE(KillPid((*p)->pid(), SIGKILL).ok());
  auto r = (*p)->Communicate();
  REQUIRE(r.ok());
  CHECK(r->exit.signal == SIGKILL);
  CHECK((*p)->Signal(SIGTERM).code() == StatusCode::kFailedPrecondition);
  CHECK(KillPid(0, SIGTERM).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("destroying a Subprocess kills and reaps its child") {
  pid_t pid;
  {
    auto p = Subprocess::Start(Argv({"sleep", "60"}));
    REQUIRE(p.ok());
    pid = (*p)->pid();
  }
  // Reaped by the destructor: the PID no longer names our child.
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("a child runs as another user when asked", "[root]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to change user");
    return;
  }
  SubprocessOptions o = Argv({"id", "-u"});
  o.uid = 65534;
  o.gid = 65534;
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "65534\n");
}

}  // namespace
}  // namespace tusk

namespace tusk {
namespace {

TEST_CASE("a child running as another user still dies with the thread that started it", "[root]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to change user");
    return;
  }
  std::unique_ptr<Subprocess> child;
  std::thread starter([&] {
    SubprocessOptions o = Argv({"sleep", "60"});
    o.uid = 65534;
    o.gid = 65534;
    auto p = Subprocess::Start(o);
    if (p.ok()) child = std::move(*p);
  });
  starter.join();
  REQUIRE(child != nullptr);
  auto r = child->Communicate(std::chrono::seconds(30));
  REQUIRE(r.ok());
  CHECK_FALSE(r->timed_out);
  CHECK(r->exit.signal == SIGKILL);
}

}  // namespace
}  // namespace tusk
