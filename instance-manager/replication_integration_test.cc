// tusk-instance against real PostgreSQL 15 on loopback: bootstrap,
// streaming, status stream, promotion through the desired-state file and
// pg_rewind rejoin of the old primary.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "common/pg/lsn.h"
#include "test/integration/pg/instance_fixture.h"

namespace tusk::testing {
namespace {

using namespace std::chrono_literals;


pg::Lsn ParseLsn(const std::string& s) { return pg::Lsn::Parse(s).value_or(pg::Lsn()); }

}  // namespace

TEST_CASE("two standbys join, stream, and the status stream shows LSNs and lag") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2", "pg-3"}, "pg-1");
  Instance p1(root->path(), "pg-1", &cluster), s2(root->path(), "pg-2", &cluster),
      s3(root->path(), "pg-3", &cluster);
  for (Instance* a : {&p1, &s2, &s3}) {
    for (Instance* b : {&p1, &s2, &s3}) {
      if (a != b) a->AddPeer(*b);
    }
  }
  REQUIRE_OK(p1.Init());
  REQUIRE_OK(p1.Start());
  INFO(p1.LogTail());
  REQUIRE(Eventually([&] { return p1.Writable(); }, 60s));
  REQUIRE_OK(p1.Sql("CREATE TABLE t (id int PRIMARY KEY, note text)"));

  REQUIRE_OK(s2.Join());
  REQUIRE_OK(s3.Join());
  REQUIRE_OK(s2.Start());
  REQUIRE_OK(s3.Start());

  // Both standbys stream from the primary through their HA slots.
  REQUIRE(Eventually(
      [&] {
        auto r = p1.Sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND "
                        "application_name IN ('pg-2', 'pg-3')");
        return r.ok() && r->Scalar() == "2";
      },
      90s));
  CHECK(p1.SqlScalar("SELECT string_agg(slot_name || ':' || active, ',' ORDER BY slot_name) FROM "
                     "pg_replication_slots") == "_cnpg_pg_2:true,_cnpg_pg_3:true");

  REQUIRE_OK(p1.Sql("INSERT INTO t VALUES (1, 'written on the primary')"));
  for (Instance* s : {&s2, &s3}) {
    INFO(s->name());
    CHECK(Eventually([&] { return s->SqlScalar("SELECT note FROM t WHERE id = 1") == "written on the primary"; }, 30s));
    CHECK(s->SqlScalar("SELECT pg_is_in_recovery()") == "t");
  }

  // The status stream: the primary's LSN advances with writes, and each
  // standby shows up with its replay position and lag.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  instance::v1::WatchStatusRequest req;
  auto stub = p1.Stub();
  auto reader = stub->WatchStatus(&ctx, req);
  instance::v1::InstanceStatus first;
  REQUIRE(reader->Read(&first));
  CHECK(first.role() == instance::v1::ROLE_PRIMARY);
  CHECK(first.postgres_running());
  CHECK(first.timeline_id() == 1);
  CHECK(first.system_identifier() != 0);
  const pg::Lsn start = ParseLsn(first.current_lsn());
  REQUIRE(start.value() > 0);
  REQUIRE_OK(p1.Sql("INSERT INTO t SELECT g, repeat('x', 500) FROM generate_series(2, 2000) g"));
  bool advanced = false, standbys_seen = false;
  instance::v1::InstanceStatus s;
  for (int i = 0; i < 50 && !(advanced && standbys_seen) && reader->Read(&s); ++i) {
    advanced = advanced || ParseLsn(s.current_lsn()) > start;
    int with_lag = 0;
    for (const auto& sb : s.standbys()) {
      if ((sb.application_name() == "pg-2" || sb.application_name() == "pg-3") && sb.state() == "streaming" &&
          !sb.replay_lsn().empty() && ParseLsn(sb.replay_lsn()) <= ParseLsn(s.current_lsn())) {
        ++with_lag;
      }
    }
    standbys_seen = standbys_seen || with_lag == 2;
  }
  ctx.TryCancel();
  CHECK(advanced);
  CHECK(standbys_seen);

  // A standby's own status: received and replayed LSNs, its upstream.
  auto st2 = s2.GetStatus();
  CHECK(st2.role() == instance::v1::ROLE_REPLICA);
  CHECK(st2.in_recovery());
  CHECK(st2.ready());
  CHECK(st2.wal_receiver().status() == "streaming");
  CHECK(st2.wal_receiver().upstream_port() == static_cast<uint32_t>(p1.port()));
  CHECK(st2.wal_receiver().slot_name() == "_cnpg_pg_2");
  CHECK_FALSE(st2.received_lsn().empty());
  CHECK(st2.system_identifier() == first.system_identifier());
}

TEST_CASE("promotion by editing the desired state, then the old primary rejoins through pg_rewind") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2"}, "pg-1");
  Instance p1(root->path(), "pg-1", &cluster), s2(root->path(), "pg-2", &cluster);
  p1.AddPeer(s2);
  s2.AddPeer(p1);
  REQUIRE_OK(p1.Init());
  REQUIRE_OK(p1.Start());
  REQUIRE(Eventually([&] { return p1.Writable(); }, 60s));
  REQUIRE_OK(p1.Sql("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'before')"));
  REQUIRE_OK(s2.Join());
  REQUIRE_OK(s2.Start());
  REQUIRE(Eventually([&] { return s2.SqlScalar("SELECT note FROM t WHERE id = 1") == "before"; }, 60s));

  // The standby goes away, a write lands on the primary alone, then the
  // primary dies without a clean shutdown: the timelines will diverge.
  s2.KillManager();
  REQUIRE_OK(p1.Sql("INSERT INTO t VALUES (2, 'only on the old primary')"));
  p1.KillManager();
  REQUIRE_FALSE(p1.Writable());
  REQUIRE_OK(s2.Start());
  REQUIRE(Eventually([&] { return s2.SqlScalar("SELECT count(*) FROM t") == "1"; }, 60s));
  CHECK_FALSE(s2.Writable());  // still a standby until the Cluster says otherwise

  cluster.Update([](nlohmann::json& c) { c["status"]["targetPrimary"] = "pg-2"; });
  INFO(s2.LogTail());
  REQUIRE(Eventually([&] { return s2.Writable(); }, 30s));
  REQUIRE_OK(s2.Sql("INSERT INTO t VALUES (3, 'after failover')"));
  CHECK(s2.GetStatus().timeline_id() == 2);
  CHECK(s2.GetStatus().role() == instance::v1::ROLE_PRIMARY);

  // The operator records the new primary; the old one comes back.
  cluster.Update([](nlohmann::json& c) { c["status"]["currentPrimary"] = "pg-2"; });
  REQUIRE_OK(p1.Start());
  INFO(p1.LogTail());
  REQUIRE(Eventually([&] { return p1.SqlScalar("SELECT note FROM t WHERE id = 3") == "after failover"; }, 90s));
  // It never became writable again: it is a standby on the new timeline,
  // streaming from pg-2, and came back through pg_rewind.
  CHECK(p1.SqlScalar("SELECT pg_is_in_recovery()") == "t");
  // (pg_rewind copies the new primary's WAL, so the row can be there
  // before the WAL receiver has connected.)
  CHECK(Eventually([&] { return p1.SqlScalar("SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'") ==
                             std::to_string(s2.port()); },
                30s));
  CHECK(p1.SqlScalar("SELECT count(*) FROM t WHERE id = 2") == "0");  // rewound away
  CHECK(p1.LogTail(200000).find("servers diverged") != std::string::npos);
  CHECK(Eventually([&] { return s2.SqlScalar("SELECT state FROM pg_stat_replication WHERE application_name = 'pg-1'") ==
                             "streaming"; },
                30s));
  CHECK(p1.GetStatus().timeline_id() == 2);
}

}  // namespace tusk::testing

namespace tusk::testing {

TEST_CASE("a running primary that the Cluster demotes rewinds and follows the new primary") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2"}, "pg-1");
  Instance p1(root->path(), "pg-1", &cluster), s2(root->path(), "pg-2", &cluster);
  p1.AddPeer(s2);
  s2.AddPeer(p1);
  REQUIRE(p1.Init().ok());
  REQUIRE(p1.Start().ok());
  REQUIRE(Eventually([&] { return p1.Writable(); }, 60s));
  REQUIRE(p1.Sql("CREATE TABLE t (id int PRIMARY KEY)").ok());
  REQUIRE(s2.Join().ok());
  REQUIRE(s2.Start().ok());
  REQUIRE(Eventually([&] { return s2.SqlScalar("SELECT count(*) FROM t") == "0"; }, 60s));

  // Both edits at once, as right after a switchover decision: pg-2 is
  // promoted, and pg-1 (still running) must rewind against a server that
  // was promoted a moment ago.
  cluster.Update([](nlohmann::json& c) { c["status"]["targetPrimary"] = "pg-2"; });
  REQUIRE(Eventually([&] { return s2.Writable(); }, 30s));
  cluster.Update([](nlohmann::json& c) { c["status"]["currentPrimary"] = "pg-2"; });
  REQUIRE(s2.Sql("INSERT INTO t VALUES (1)").ok());
  INFO(p1.LogTail());
  CHECK(Eventually([&] { return p1.SqlScalar("SELECT count(*) FROM t WHERE id = 1") == "1"; }, 90s));
  CHECK(p1.SqlScalar("SELECT pg_is_in_recovery()") == "t");
  CHECK(Eventually([&] { return p1.SqlScalar("SELECT received_tli FROM pg_stat_wal_receiver") == "2"; }, 30s));
}

}  // namespace tusk::testing
