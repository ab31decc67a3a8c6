// tusk-instance as a process supervisor: signals, postgres crashes, PID 1
// duties, configuration refusals, fencing, and its servers.
#include <dirent.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "common/base/subprocess.h"
#include "test/integration/pg/instance_fixture.h"

namespace tusk::testing {
namespace {

using namespace std::chrono_literals;


struct Primary {
  TempDir root;
  std::unique_ptr<ClusterFile> cluster;
  std::unique_ptr<Instance> pg;
};

// One initialised primary instance, not started.
Primary MakePrimary() {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  Primary p{std::move(*root), nullptr, nullptr};
  p.cluster = std::make_unique<ClusterFile>(p.root.Sub("cluster.json"), "pg", std::vector<std::string>{"pg-1"}, "pg-1");
  p.pg = std::make_unique<Instance>(p.root.path(), "pg-1", p.cluster.get());
  REQUIRE_OK(p.pg->Init());
  return p;
}

void StartAndWaitWritable(Instance& pg) {
  REQUIRE_OK(pg.Start());
  INFO(pg.LogTail());
  REQUIRE(Eventually([&] { return pg.Writable(); }, 60s));
}

std::string ReadProc(pid_t pid, const std::string& file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// State and parent from /proc/<pid>/stat (the name may hold spaces).
bool ProcStat(pid_t pid, char* state, pid_t* ppid) {
  std::string stat = ReadProc(pid, "stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 2));
  in >> *state >> *ppid;
  return true;
}

std::vector<pid_t> PidsWithCmdline(const std::string& cmdline) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid > 0 && ReadProc(pid, "cmdline") == cmdline) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

}  // namespace

TEST_CASE("SIGTERM shuts postgres down cleanly and its log records arrive as JSON lines") {
  Primary p = MakePrimary();
  StartAndWaitWritable(*p.pg);
  pid_t postmaster = p.pg->postmaster_pid();
  REQUIRE(postmaster > 0);
  // An idle client does not hold the shutdown past smartShutdownTimeout.
  REQUIRE_OK(p.pg->Sql("SELECT 1"));
  REQUIRE_OK(p.pg->Signal(SIGTERM));
  auto exit = p.pg->WaitExit(60s);
  INFO(p.pg->LogTail());
  REQUIRE(exit.has_value());
  CHECK(exit->success());
  CHECK(::kill(postmaster, 0) != 0);
  SubprocessOptions o;
  o.argv = {"/usr/lib/postgresql/15/bin/pg_controldata", p.pg->pgdata()};
  auto cd = RunSubprocess(o, 30s);
  REQUIRE(cd.ok());
  CHECK(cd->stdout_data.find("Database cluster state:               shut down") != std::string::npos);

  auto log = ReadFile(p.pg->log_path());
  REQUIRE(log.ok());
  std::istringstream lines(*log);
  std::string line;
  int non_json = 0, ready_records = 0, smart_records = 0, fast_records = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      ++non_json;
      continue;
    }
    if (j.value("logger", "") != "postgres") continue;
    const auto& rec = j["record"];
    std::string msg = rec.value("message", "");
    if (rec.value("error_severity", "") == "LOG" && rec.value("backend_type", "") == "postmaster" &&
        msg.find("database system is ready to accept connections") != std::string::npos) {
      ++ready_records;
    }
    if (msg.find("received smart shutdown request") != std::string::npos) ++smart_records;
    if (msg.find("received fast shutdown request") != std::string::npos) ++fast_records;
  }
  CHECK(non_json == 0);
  CHECK(ready_records == 1);
  // Smart first; the idle session held it, so fast after the timeout.
  CHECK(smart_records == 1);
  CHECK(fast_records == 1);
}

TEST_CASE("killing the postmaster with SIGKILL makes the manager exit non-zero") {
  Primary p = MakePrimary();
  StartAndWaitWritable(*p.pg);
  pid_t postmaster = p.pg->postmaster_pid();
  REQUIRE(postmaster > 0);
  REQUIRE(::kill(postmaster, SIGKILL) == 0);
  auto exit = p.pg->WaitExit(30s);
  INFO(p.pg->LogTail());
  REQUIRE(exit.has_value());
  CHECK(exit->exited);
  CHECK(exit->exit_code != 0);
  CHECK(p.pg->LogTail().find("postgres exited unexpectedly") != std::string::npos);
}

TEST_CASE("as PID 1 the manager reaps orphaned zombies") {
  Primary p = MakePrimary();
  REQUIRE_OK(p.pg->StartAsPid1());
  INFO(p.pg->LogTail());
  REQUIRE(Eventually([&] { return p.pg->Writable(); }, 60s));
  // The manager is unshare's child; inside the namespace it is PID 1.
  pid_t unshare = p.pg->manager_pid();
  pid_t manager = std::atoi(ReadProc(unshare, "task/" + std::to_string(unshare) + "/children").c_str());
  REQUIRE(manager > 0);
  CHECK(ReadProc(manager, "status").find("NSpid:\t" + std::to_string(manager) + "\t1\n") != std::string::npos);

  // A program run by postgres leaves a background child and exits: the
  // child is orphaned, reparented to PID 1, and exits in turn.
  const std::string marker = "2.4601";
  REQUIRE_OK(p.pg->Sql("COPY (SELECT 1) TO PROGRAM '(sleep " + marker + " &) ; exit 0'"));
  std::vector<pid_t> orphans;
  REQUIRE(Eventually([&] { return !(orphans = PidsWithCmdline(std::string("sleep\0", 6) + marker + '\0')).empty(); },
                  10s));
  REQUIRE(orphans.size() == 1);
  const pid_t orphan = orphans[0];
  char state = '?';
  pid_t ppid = 0;
  REQUIRE(ProcStat(orphan, &state, &ppid));
  CHECK(ppid == manager);
  // Once it exits, nothing of it is left: no zombie under PID 1.
  CHECK(Eventually([&] { return !ProcStat(orphan, &state, &ppid) || ppid != manager; }, 20s));
  CHECK(p.pg->manager_running());
  CHECK(p.pg->Writable());
}

TEST_CASE("a bad parameter value is refused and postgres keeps its last good configuration") {
  Primary p = MakePrimary();
  StartAndWaitWritable(*p.pg);
  REQUIRE(p.pg->SqlScalar("SHOW work_mem") == "8MB");

  p.cluster->Update([](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["work_mem"] = "banana"; });
  std::string error;
  REQUIRE(Eventually([&] { return !(error = p.pg->GetStatus().config_error()).empty(); }, 30s));
  CHECK_THAT(error, Catch::Contains("invalid value for parameter \"work_mem\": \"banana\""));
  CHECK(p.pg->SqlScalar("SHOW work_mem") == "8MB");
  CHECK(ReadFile(p.pg->pgdata() + "/custom.conf")->find("work_mem = '8MB'") != std::string::npos);
  CHECK(p.pg->SqlScalar("SELECT count(*) FROM pg_file_settings WHERE error IS NOT NULL") == "0");

  // A good value is applied with a reload and clears the error.
  p.cluster->Update([](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["work_mem"] = "16MB"; });
  CHECK(Eventually([&] { return p.pg->SqlScalar("SHOW work_mem") == "16MB"; }, 30s));
  CHECK(Eventually([&] { return p.pg->GetStatus().config_error().empty(); }, 10s));

  // A number where the CRD wants a string is refused as the API server
  // refuses it; the file's other fields are not half-applied.
  p.cluster->Update([](nlohmann::json& c) {
    c["spec"]["postgresql"]["parameters"]["work_mem"] = 32;
    c["spec"]["postgresql"]["parameters"]["maintenance_work_mem"] = "128MB";
  });
  REQUIRE(Eventually([&] { return !(error = p.pg->GetStatus().config_error()).empty(); }, 30s));
  CHECK_THAT(error, Catch::Contains("spec.postgresql.parameters.work_mem"));
  CHECK_THAT(error, Catch::Contains("must be of type string"));
  CHECK(p.pg->SqlScalar("SHOW work_mem") == "16MB");
  CHECK(p.pg->SqlScalar("SHOW maintenance_work_mem") == "64MB");
  // It stays reported over later passes (every 2 s), though the last good
  // configuration is still the one in effect.
  const int64_t seen = p.pg->GetStatus().reported_unix_ms();
  REQUIRE(Eventually([&] { return p.pg->GetStatus().reported_unix_ms() > seen + 2500; }, 30s));
  CHECK_THAT(p.pg->GetStatus().config_error(), Catch::Contains("must be of type string"));
  p.cluster->Update([](nlohmann::json& c) {
    c["spec"]["postgresql"]["parameters"]["work_mem"] = "16MB";
    c["spec"]["postgresql"]["parameters"].erase("maintenance_work_mem");
  });
  CHECK(Eventually([&] { return p.pg->GetStatus().config_error().empty(); }, 30s));

  // A parameter the operator owns is refused the same way.
  p.cluster->Update([](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["port"] = "6543"; });
  REQUIRE(Eventually([&] { return !(error = p.pg->GetStatus().config_error()).empty(); }, 30s));
  CHECK_THAT(error, Catch::Contains("Can't set fixed configuration parameter \"port\""));

  // After a restart postgres runs with the last good configuration.
  instance::v1::OperationResult res;
  grpc::ClientContext ctx;
  REQUIRE(p.pg->Stub()->Restart(&ctx, instance::v1::RestartRequest(), &res).ok());
  INFO(res.message());
  CHECK(res.ok());
  REQUIRE(Eventually([&] { return p.pg->Writable(); }, 60s));
  CHECK(p.pg->SqlScalar("SHOW work_mem") == "16MB");
  CHECK(p.pg->SqlScalar("SHOW port") == std::to_string(p.pg->port()));
}

TEST_CASE("a fenced instance stops postgres while the manager keeps reporting") {
  Primary p = MakePrimary();
  StartAndWaitWritable(*p.pg);
  pid_t postmaster = p.pg->postmaster_pid();
  instance::v1::OperationResult res;
  instance::v1::SetFencedRequest req;
  req.set_fenced(true);
  {
    grpc::ClientContext ctx;
    REQUIRE(p.pg->Stub()->SetFenced(&ctx, req, &res).ok());
  }
  CHECK(res.ok());
  CHECK(Eventually([&] { return ::kill(postmaster, 0) != 0; }, 30s));
  auto st = p.pg->GetStatus();
  CHECK(st.fenced());
  CHECK_FALSE(st.postgres_running());
  CHECK(st.phase() == instance::v1::PHASE_STOPPED);
  CHECK(p.pg->manager_running());
  httplib::Client http(p.pg->http_address());
  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto ready = http.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 500);

  req.set_fenced(false);
  {
    grpc::ClientContext ctx;
    REQUIRE(p.pg->Stub()->SetFenced(&ctx, req, &res).ok());
  }
  CHECK(Eventually([&] { return p.pg->Writable(); }, 60s));

  // The Cluster annotation fences too, as kubectl cnpg fencing on does.
  p.cluster->Update([](nlohmann::json& c) { c["metadata"]["annotations"]["cnpg.io/fencedInstances"] = "[\"pg-1\"]"; });
  CHECK(Eventually([&] { return p.pg->GetStatus().fenced() && !p.pg->GetStatus().postgres_running(); }, 30s));
  p.cluster->Update([](nlohmann::json& c) { c["metadata"]["annotations"]["cnpg.io/fencedInstances"] = "[]"; });
  CHECK(Eventually([&] { return p.pg->Writable(); }, 60s));
}

TEST_CASE("operations over gRPC and the debug HTTP endpoints") {
  Primary p = MakePrimary();
  StartAndWaitWritable(*p.pg);
  auto stub = p.pg->Stub();
  instance::v1::OperationResult res;
  {
    grpc::ClientContext ctx;
    REQUIRE(stub->Checkpoint(&ctx, instance::v1::CheckpointRequest(), &res).ok());
    CHECK(res.ok());
  }
  {
    grpc::ClientContext ctx;
    REQUIRE(stub->Reload(&ctx, instance::v1::ReloadRequest(), &res).ok());
    CHECK(res.ok());
    CHECK(res.status().postgres_running());
  }
  {
    // The Cluster names no target: a Promote is refused.
    grpc::ClientContext ctx;
    instance::v1::PromoteRequest req;
    req.set_expected_target("pg-1");
    REQUIRE(stub->Promote(&ctx, req, &res).ok());
    CHECK_FALSE(res.ok());
    CHECK_THAT(res.message(), Catch::Contains("refusing to promote"));
  }

  // With nothing changing, the stream still sends the status as a
  // heartbeat, each report newer than the last.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    instance::v1::WatchStatusRequest req;
    req.set_heartbeat_interval_ms(100);
    auto reader = stub->WatchStatus(&ctx, req);
    instance::v1::InstanceStatus prev, next;
    REQUIRE(reader->Read(&prev));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(reader->Read(&next));
      CHECK(next.sequence() == prev.sequence() + 1);
      CHECK(next.reported_unix_ms() >= prev.reported_unix_ms());
      CHECK(next.pod_name() == "pg-1");
      prev = next;
    }
    ctx.TryCancel();
  }

  // A parameter that needs a restart: reported as pending on the primary
  // until the operator's Restart.
  p.cluster->Update([](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["max_connections"] = "120"; });
  instance::v1::InstanceStatus pending;
  REQUIRE(Eventually([&] { return (pending = p.pg->GetStatus()).pending_restart(); }, 30s));
  CHECK(pending.pending_restart_parameters_size() == 1);
  CHECK(pending.pending_restart_parameters(0) == "max_connections");
  CHECK(p.pg->SqlScalar("SHOW max_connections") == "100");
  {
    grpc::ClientContext ctx;
    instance::v1::RestartRequest req;
    REQUIRE(stub->Restart(&ctx, req, &res).ok());
    CHECK(res.ok());
  }
  REQUIRE(Eventually([&] { return p.pg->Writable(); }, 60s));
  CHECK(p.pg->SqlScalar("SHOW max_connections") == "120");
  CHECK(Eventually([&] { return !p.pg->GetStatus().pending_restart(); }, 10s));

  // `tusk-instance status` prints the same status as JSON.
  SubprocessOptions so;
  so.argv = {TUSK_INSTANCE_BIN, "status", "--pgdata", p.pg->pgdata(), "--port", std::to_string(p.pg->port()),
             "--socket-dir", p.pg->pgdata() + "/../run", "--pod-name", "pg-1"};
  auto out = RunSubprocess(so, 30s);
  REQUIRE(out.ok());
  CHECK(out->exit.success());
  auto printed = nlohmann::json::parse(out->stdout_data, nullptr, false);
  REQUIRE(printed.is_object());
  CHECK(printed["role"] == "ROLE_PRIMARY");
  CHECK(printed["postgresRunning"] == true);

  httplib::Client http(p.pg->http_address());
  auto get = [&](const char* path) {
    auto r = http.Get(path);
    REQUIRE(r);
    return *r;
  };
  CHECK(get("/healthz").status == 200);
  CHECK(Eventually([&] { return http.Get("/readyz") && http.Get("/readyz")->status == 200; }, 10s));
  CHECK(get("/startupz").status == 200);
  auto status = nlohmann::json::parse(get("/pg/status").body, nullptr, false);
  REQUIRE(status.is_object());
  CHECK(status["podName"] == "pg-1");
  CHECK(status["role"] == "ROLE_PRIMARY");
  CHECK(status["postgresRunning"] == true);
  const std::string metrics = get("/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("cnpg_collector_up{cluster=\"pg\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("# TYPE cnpg_pg_postmaster_start_time gauge\n"));
  CHECK_THAT(metrics, Catch::Contains("cnpg_pg_replication_in_recovery 0\n"));
  CHECK_THAT(metrics, Catch::Contains("cnpg_pg_replication_lag 0\n"));
}

}  // namespace tusk::testing
