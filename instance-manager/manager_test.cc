// The manager's loop against fakes of postgres, its programs and the
// Cluster: the plan's branches driven end to end in milliseconds, and the
// loop serving requests and status while a long step is under way.
#include <catch2/catch.hpp>

#include <thread>

#include "common/base/files.h"
#include "instance-manager/manager.h"
#include "test/fakes/fake_desired_state.h"
#include "test/fakes/fake_pg_tools.h"
#include "test/fakes/fake_postgres_control.h"
#include "test/fakes/fake_postmaster.h"
#include "test/unit/eventually.h"

namespace tusk::instance {
namespace {

using namespace std::chrono_literals;

// Built as the sources build it, so CloudNativePG's defaults (HA slots,
// shutdown timeouts) are those of api::ApplyDefaults.
pg::ClusterView TwoInstances(const std::string& current, const std::string& target) {
  nlohmann::json doc = {{"metadata", {{"name", "pg"}, {"namespace", "default"}}},
                        {"spec", {{"instances", 2}, {"storage", {{"size", "1Gi"}}}}},
                        {"status", {{"instanceNames", {"pg-1", "pg-2"}}}}};
  if (!current.empty()) doc["status"]["currentPrimary"] = current;
  if (!target.empty()) doc["status"]["targetPrimary"] = target;
  auto cluster = ClusterFromDocument(doc);
  REQUIRE(cluster.ok());
  auto view = pg::MakeClusterView(*cluster);
  REQUIRE(view.ok());
  return *view;
}

// One manager over fakes, running on its own thread.
class Harness {
 public:
  Harness(const std::string& pod, bool standby, pg::ClusterView view) : dir_(TempDir::Make("tusk-mgr").value()) {
    options_.pod_name = pod;
    options_.pgdata = dir_.Sub("pgdata");
    options_.socket_dir = dir_.Sub("run");
    options_.log_dir = dir_.Sub("log");
    options_.replication_auth = pg::ReplicationAuth::kLoopbackTrust;
    MakeDirs(options_.pgdata, 0700).IgnoreError();
    MakeDirs(options_.log_dir, 0700).IgnoreError();
    WriteFile(options_.pgdata + "/PG_VERSION", "15\n", 0600).IgnoreError();
    WriteFile(options_.pgdata + "/postgresql.conf", "# initdb\n", 0600).IgnoreError();
    if (standby) WriteFile(options_.pgdata + "/standby.signal", "", 0600).IgnoreError();
    postgres_.SetInRecovery(standby);
    tools_ = std::make_unique<FakePgTools>(options_);
    auto desired = std::make_unique<FakeDesiredState>(std::move(view));
    desired_ = desired.get();
    manager_ = std::make_unique<InstanceManager>(
        options_, std::move(desired),
        InstanceManager::Seams{&clock_, &postmaster_, &postgres_, tools_.get(), &registry_},
        log::Logger("instance", {{"logging_pod", pod}}));
  }
  ~Harness() {
    if (thread_.joinable()) {
      postmaster_.ExitOn({SIGTERM, SIGINT, SIGQUIT});
      manager_->RequestShutdown(ShutdownMode::kImmediate);
      thread_.join();
    }
  }

  void Start() {
    thread_ = std::thread([this] { exit_code_ = manager_->Run(nullptr); });
  }
  int Join() {
    thread_.join();
    return exit_code_;
  }
  v1::InstanceStatus Latest() { return manager_->hub().Latest(); }
  bool Reports(v1::Role role) {
    auto s = Latest();
    return s.postgres_running() && s.role() == role && s.phase() == v1::PHASE_RUNNING;
  }

  TempDir dir_;
  Options options_;
  FakeClock clock_;
  FakePostmaster postmaster_;
  FakePostgresControl postgres_;
  ChildRegistry registry_;
  std::unique_ptr<FakePgTools> tools_;
  FakeDesiredState* desired_ = nullptr;
  std::unique_ptr<InstanceManager> manager_;
  std::thread thread_;
  int exit_code_ = -1;
};

}  // namespace

TEST_CASE("manager: SetFenced and status reports are served while a long smart shutdown runs") {
  Harness h("pg-1", /*standby=*/false, TwoInstances("pg-1", "pg-1"));
  h.postmaster_.ExitOn({SIGINT});  // sessions keep a smart shutdown open
  h.Start();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_PRIMARY); }, 10s));

  h.manager_->RequestShutdown(ShutdownMode::kSmart);
  REQUIRE(Eventually([&] { return h.Latest().phase() == v1::PHASE_STOPPING; }, 10s));

  // The loop is not stuck in the stop: a request is answered, and the
  // status stream keeps moving.
  v1::OperationResult fenced = h.manager_->SetFenced(true);
  CHECK(fenced.ok());
  CHECK(fenced.status().phase() == v1::PHASE_STOPPING);
  for (int i = 0; i < 4; ++i) {
    const uint64_t seq = h.Latest().sequence();
    h.clock_.Advance(250ms);
    CHECK(Eventually([&] { return h.Latest().sequence() > seq; }, 10s));
  }
  CHECK(Eventually([&] { return h.manager_->CollectStatus().fenced(); }, 10s));
  CHECK(h.postmaster_.running());

  // smartShutdownTimeout (180 s) passes on the manager's clock: fast.
  h.clock_.Advance(181s);
  CHECK(h.Join() == 0);
  CHECK(h.postmaster_.signals() == std::vector<int>{SIGTERM, SIGINT});
}

TEST_CASE("manager: the target standby promotes, checkpoints, then reports primary") {
  Harness h("pg-2", /*standby=*/true, TwoInstances("pg-1", "pg-1"));
  h.postgres_.SetPromoteAtOnce(false);
  h.Start();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_REPLICA); }, 10s));
  CHECK(h.postgres_.promotes() == 0);

  h.desired_->Set(TwoInstances("pg-1", "pg-2"));
  REQUIRE(Eventually([&] { return h.postgres_.promotes() == 1; }, 10s));
  CHECK(h.Latest().phase() == v1::PHASE_PROMOTING);
  // While postgres promotes, the loop still answers.
  CHECK(h.manager_->SetFenced(false).ok());
  h.postgres_.FinishPromotion();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_PRIMARY); }, 10s));
  CHECK(h.postgres_.checkpoints() == 1);
  CHECK(Eventually([&] { return h.postgres_.slots() == std::set<std::string>{"_cnpg_pg_1"}; }, 10s));
}

TEST_CASE("manager: a primary no longer named steps down, waits, then rewinds and follows") {
  Harness h("pg-1", /*standby=*/false, TwoInstances("pg-1", "pg-1"));
  h.Start();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_PRIMARY); }, 10s));
  REQUIRE(Eventually([&] { return h.postgres_.slots() == std::set<std::string>{"_cnpg_pg_2"}; }, 10s));

  // The operator chose pg-2: pg-1 stops accepting writes before anything else.
  h.desired_->Set(TwoInstances("pg-1", "pg-2"));
  REQUIRE(Eventually([&] { return !h.postmaster_.running(); }, 10s));
  CHECK(h.postmaster_.signals() == std::vector<int>{SIGINT});
  CHECK(Eventually([&] { return h.Latest().phase() == v1::PHASE_STOPPED; }, 10s));
  CHECK(h.tools_->count("pg_rewind") == 0);
  CHECK(h.postmaster_.starts() == 1);

  // pg-2 is recorded as primary: rewind, then start as its standby.
  h.postgres_.SetInRecovery(true);
  h.desired_->Set(TwoInstances("pg-2", "pg-2"));
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_REPLICA); }, 10s));
  CHECK(h.tools_->count("pg_rewind") == 1);
  CHECK(h.postmaster_.starts() == 2);
  CHECK(PathExists(h.options_.pgdata + "/standby.signal"));
  auto override_conf = ReadFile(h.options_.pgdata + "/override.conf");
  REQUIRE(override_conf.ok());
  CHECK_THAT(*override_conf, Catch::Contains("primary_conninfo"));
}

TEST_CASE("manager: a refused configuration leaves postgres on the last good files and says why") {
  Harness h("pg-1", /*standby=*/false, TwoInstances("pg-1", "pg-1"));
  h.Start();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_PRIMARY); }, 10s));
  const std::string good = h.Latest().config_hash();
  CHECK_FALSE(good.empty());

  h.tools_->FailWith("postgres", R"(invalid value for parameter "work_mem": "banana")");
  pg::ClusterView bad = TwoInstances("pg-1", "pg-1");
  bad.parameters["work_mem"] = "banana";
  h.desired_->Set(bad);
  REQUIRE(Eventually([&] { return !h.Latest().config_error().empty(); }, 10s));
  CHECK_THAT(h.Latest().config_error(), Catch::Contains("work_mem"));
  CHECK(h.Latest().config_hash() == good);
  const int checks = h.tools_->count("postgres");
  // Not re-checked on every pass while the Cluster asks the same.
  h.clock_.Advance(10s);
  CHECK(h.manager_->SetFenced(false).ok());
  CHECK(h.tools_->count("postgres") == checks);
  CHECK(h.postmaster_.running());
}

TEST_CASE("manager: postgres dying unexpectedly ends the manager with a failure") {
  Harness h("pg-1", /*standby=*/false, TwoInstances("pg-1", "pg-1"));
  h.Start();
  REQUIRE(Eventually([&] { return h.Reports(v1::ROLE_PRIMARY); }, 10s));
  h.postmaster_.Crash();
  CHECK(h.Join() == 1);
  CHECK(h.Latest().phase() == v1::PHASE_FAILED);
}

}  // namespace tusk::instance
