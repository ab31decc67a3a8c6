// tusk-instance figures on real PostgreSQL 15 on loopback:
//   instance.promote_ms      desired-state edit -> the standby accepts a write
//                            (median of 10 promotions, ping-pong between two
//                            instances; the demoted one rejoins via pg_rewind)
//   instance.idle_rss_mib    the manager's RSS while idle with postgres running
//   instance.status_ms       one status collection (the manager's query on a
//                            kept-open connection, parsed)
//   instance.get_status_rpc_ms  GetStatus over gRPC (collection included)
//   instance.crash_exit_ms   postmaster SIGKILLed -> manager exited
#include <signal.h>

#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/pg/connection.h"
#include "instance-manager/status_query.h"
#include "test/bench/bench.h"
#include "test/integration/pg/instance_fixture.h"

namespace {

using namespace std::chrono_literals;
using tusk::testing::ClusterFile;
using tusk::testing::Instance;
using tusk::Eventually;

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Thrown, not exit()ed, so the instances' destructors stop postgres and
// remove the temporary directories.
[[noreturn]] void Fail(const std::string& what, const Instance* a = nullptr) {
  throw std::runtime_error(a ? what + "\n" + a->LogTail() : what);
}

void Check(const tusk::Status& st, const std::string& what) {
  if (!st.ok()) Fail(what + ": " + st.ToString());
}

bool Streaming(Instance& primary, const std::string& standby) {
  return primary.SqlScalar("SELECT state FROM pg_stat_replication WHERE application_name = '" + standby + "'") ==
         "streaming";
}

double AnonRssMib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  }
  return -1;
}

}  // namespace

int Run() {
  auto root = tusk::testing::MakeTestRoot();
  if (!root.ok()) Fail(root.status().ToString());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2"}, "pg-1");
  Instance a(root->path(), "pg-1", &cluster), b(root->path(), "pg-2", &cluster);
  a.AddPeer(b);
  b.AddPeer(a);
  std::cerr << "bench_instance: bootstrapping two instances\n";
  Check(a.Init(), "init");
  Check(a.Start(), "start pg-1");
  if (!Eventually([&] { return a.Writable(); }, 60s)) Fail("pg-1 not writable", &a);
  Check(a.Sql("CREATE TABLE bench (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())").status(), "table");
  Check(b.Join(), "join");
  Check(b.Start(), "start pg-2");
  if (!Eventually([&] { return Streaming(a, "pg-2"); }, 60s)) Fail("pg-2 not streaming", &b);

  // Idle: nothing asked of the manager but its own status ticks.
  std::this_thread::sleep_for(3s);
  // VmRSS counts the shared libraries' pages (gRPC, OpenSSL, protobuf...);
  // anon_mib is the manager's own memory.
  tusk::bench::Report("instance.idle_rss_mib", tusk::bench::RssMib(a.manager_pid()), "MiB",
                      {{"goal", 10}, {"anon_mib", AnonRssMib(a.manager_pid())}});

  {
    tusk::pg::Connection conn("host=" + root->path() + "/pg-1/run port=" + std::to_string(a.port()) +
                              " user=postgres dbname=postgres");
    std::vector<double> samples;
    for (int i = 0; i < 300; ++i) {
      auto t = std::chrono::steady_clock::now();
      auto r = conn.Query(tusk::instance::kStatusQuery);
      tusk::instance::v1::InstanceStatus s;
      if (!r.ok() || !tusk::instance::ParseStatusJson(r->Scalar(), &s).ok()) Fail("status query failed");
      if (i >= 20) samples.push_back(MsSince(t));  // after warm-up
    }
    tusk::bench::ReportSamples("instance.status_ms", samples, "ms", {{"goal", 2}});
  }
  {
    auto stub = a.Stub();
    std::vector<double> samples;
    for (int i = 0; i < 120; ++i) {
      grpc::ClientContext ctx;
      tusk::instance::v1::InstanceStatus s;
      auto t = std::chrono::steady_clock::now();
      if (!stub->GetStatus(&ctx, tusk::instance::v1::GetStatusRequest(), &s).ok()) Fail("GetStatus failed");
      if (i >= 20) samples.push_back(MsSince(t));
    }
    tusk::bench::ReportSamples("instance.get_status_rpc_ms", samples, "ms");
  }

  // Promotions: the standby is named target primary; time until a write on
  // it (over a session opened before, as an application's would be)
  // commits. Then the operator's second edit (currentPrimary) makes the old
  // primary rejoin as a standby through pg_rewind, for the next round.
  std::vector<double> promote;
  Instance* primary = &a;
  Instance* standby = &b;
  for (int round = 0; round < 10; ++round) {
    std::cerr << "bench_instance: promotion " << round + 1 << "/10 (" << standby->name() << ")\n";
    if (standby->SqlScalar("SELECT 1") != "1") Fail("standby session");
    const std::string target = standby->name();
    auto t = std::chrono::steady_clock::now();
    cluster.Update([&](nlohmann::json& c) { c["status"]["targetPrimary"] = target; });
    bool written = false;
    while (MsSince(t) < 60000) {
      if (standby->Sql("INSERT INTO bench DEFAULT VALUES").ok()) {
        written = true;
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
    if (!written) Fail("no write accepted after promotion", standby);
    promote.push_back(MsSince(t));
    cluster.Update([&](nlohmann::json& c) { c["status"]["currentPrimary"] = target; });
    std::swap(primary, standby);
    if (!Eventually([&] { return Streaming(*primary, standby->name()); }, 120s)) Fail("rejoin", standby);
  }
  tusk::bench::ReportSamples("instance.promote_ms", promote, "ms", {{"goal", 300}});

  // Postmaster killed: how long until the manager has exited (non-zero).
  std::vector<double> crash;
  for (int i = 0; i < 5; ++i) {
    pid_t pm = standby->postmaster_pid();
    if (pm <= 0) Fail("no postmaster", standby);
    auto t = std::chrono::steady_clock::now();
    ::kill(pm, SIGKILL);
    auto exit = standby->WaitExit(30s);
    if (!exit || exit->success()) Fail("manager did not exit non-zero", standby);
    crash.push_back(MsSince(t));
    Check(standby->Start(), "restart");
    if (!Eventually([&] { return Streaming(*primary, standby->name()); }, 120s)) Fail("restart", standby);
  }
  tusk::bench::ReportSamples("instance.crash_exit_ms", crash, "ms", {{"goal", 1000}});
  return 0;
}

int main() {
  try {
    return Run();
  } catch (const std::exception& e) {
    std::cerr << "bench_instance: " << e.what() << "\n";
    return 1;
  }
}
