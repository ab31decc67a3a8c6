// `init` and `join` as the operator's init containers run them, on every pod
// start: what spec.bootstrap.initdb asks is what the database gets, a
// complete data directory is left alone, an interrupted or failed run leaves
// nothing at PGDATA and is redone, and a directory not made here is refused.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "test/integration/pg/instance_fixture.h"

namespace tusk::testing {
namespace {

using namespace std::chrono_literals;

std::string ScalarIn(Instance& pg, const std::string& database, const std::string& sql) {
  auto r = pg.SqlIn(database, sql);
  INFO(sql << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return r->Scalar();
}

}  // namespace

TEST_CASE("init follows spec.bootstrap.initdb, and init and join are no-ops on a complete data directory") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2"}, "pg-1");
  cluster.Update([](nlohmann::json& c) {
    c["spec"]["bootstrap"]["initdb"] = {
        {"database", "shop"},
        {"owner", "shopper"},
        {"dataChecksums", true},
        {"walSegmentSize", 32},
        {"postInitSQL", {"CREATE ROLE auditor"}},
        {"postInitTemplateSQL", {"CREATE TABLE from_template (x int)"}},
        {"postInitApplicationSQL", {"CREATE TABLE orders (id int)", "INSERT INTO orders VALUES (1)"}},
    };
  });
  Instance primary(root->path(), "pg-1", &cluster);
  Instance standby(root->path(), "pg-2", &cluster);
  primary.AddPeer(standby);
  standby.AddPeer(primary);
  REQUIRE_OK(primary.Init());
  REQUIRE_OK(primary.Start());
  INFO(primary.LogTail());
  REQUIRE(Eventually([&] { return primary.Writable(); }, 60s));

  CHECK(primary.SqlScalar("SHOW data_checksums") == "on");
  CHECK(primary.SqlScalar("SHOW wal_segment_size") == "32MB");
  CHECK(primary.SqlScalar("SHOW lc_collate") == "C");
  CHECK(primary.SqlScalar("SELECT count(*) FROM pg_roles WHERE rolname = 'auditor'") == "1");
  CHECK(primary.SqlScalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop'") == "shopper");
  CHECK(primary.SqlScalar("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'shop'") == "UTF8");
  // The template SQL ran before the application database was copied from it.
  CHECK(ScalarIn(primary, "shop", "SELECT count(*) FROM pg_tables WHERE tablename = 'from_template'") == "1");
  CHECK(ScalarIn(primary, "shop", "SELECT count(*) FROM orders") == "1");
  CHECK(ScalarIn(primary, "template1", "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'") == "0");

  // The init container runs again on the next pod start: nothing changes.
  REQUIRE_OK(primary.Sql("CREATE TABLE kept (x int)"));
  REQUIRE_OK(primary.Signal(SIGINT));
  REQUIRE(primary.WaitExit(60s).has_value());
  REQUIRE_OK(primary.Init());
  CHECK(primary.LogTail().find("nothing to initialise") != std::string::npos);
  REQUIRE_OK(primary.Start());
  REQUIRE(Eventually([&] { return primary.Writable(); }, 60s));
  CHECK(primary.SqlScalar("SELECT count(*) FROM pg_tables WHERE tablename = 'kept'") == "1");

  // Join twice: the second run leaves the standby's directory as it is.
  REQUIRE_OK(standby.Join());
  const std::string marker = standby.pgdata() + "/tusk-test-marker";
  REQUIRE_OK(WriteFile(marker, "still here"));
  REQUIRE_OK(standby.Join());
  CHECK(standby.LogTail().find("nothing to join") != std::string::npos);
  CHECK(PathExists(marker));
  CHECK(PathExists(standby.pgdata() + "/standby.signal"));
}

TEST_CASE("a failed init leaves nothing at PGDATA and the next run starts over") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1"}, "pg-1");
  cluster.Update([](nlohmann::json& c) {
    c["spec"]["bootstrap"]["initdb"]["postInitSQL"] = {"CREATE ROLE first_try", "CREATE TABLE broken ("};
  });
  Instance pg(root->path(), "pg-1", &cluster);
  // A failing post-init statement fails init (single-user mode would
  // otherwise print it and carry on).
  CHECK_FALSE(pg.Init().ok());
  CHECK(pg.LogTail().find("syntax error") != std::string::npos);
  CHECK_FALSE(PathExists(pg.pgdata()));
  // What the interrupted run left beside PGDATA is cleared, not reused.
  const std::string staging = pg.pgdata() + ".tusk-bootstrap";
  REQUIRE(PathExists(staging + "/PG_VERSION"));
  REQUIRE_OK(WriteFile(staging + "/leftover", "x"));

  cluster.Update([](nlohmann::json& c) { c["spec"]["bootstrap"]["initdb"]["postInitSQL"] = {"CREATE ROLE second_try"}; });
  REQUIRE_OK(pg.Init());
  CHECK(PathExists(pg.pgdata() + "/PG_VERSION"));
  CHECK_FALSE(PathExists(pg.pgdata() + "/leftover"));
  CHECK_FALSE(PathExists(staging));
  REQUIRE_OK(pg.Start());
  INFO(pg.LogTail());
  REQUIRE(Eventually([&] { return pg.Writable(); }, 60s));
  CHECK(pg.SqlScalar("SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname LIKE '%_try'") == "second_try");
}

TEST_CASE("init refuses a PGDATA it did not make, and leaves it alone") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1"}, "pg-1");
  Instance pg(root->path(), "pg-1", &cluster);
  REQUIRE_OK(MakeDirs(pg.pgdata(), 0700));
  REQUIRE_OK(WriteFile(pg.pgdata() + "/someone-elses-file", "precious"));
  CHECK_FALSE(pg.Init().ok());
  CHECK(pg.LogTail().find("not made by tusk-instance") != std::string::npos);
  CHECK(*ReadFile(pg.pgdata() + "/someone-elses-file") == "precious");
}

TEST_CASE("with walStorage, init and join put pg_wal on its own volume") {
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  ClusterFile cluster(root->Sub("cluster.json"), "pg", {"pg-1", "pg-2"}, "pg-1");
  Instance primary(root->path(), "pg-1", &cluster);
  Instance standby(root->path(), "pg-2", &cluster);
  primary.AddPeer(standby);
  standby.AddPeer(primary);
  const std::string primary_wal = root->Sub("pg-1-wal/pg_wal");
  const std::string standby_wal = root->Sub("pg-2-wal/pg_wal");
  REQUIRE_OK(MakeDirs(root->Sub("pg-1-wal"), 0755));
  REQUIRE_OK(MakeDirs(root->Sub("pg-2-wal"), 0755));
  primary.AddFlags({"--pg-wal", primary_wal});
  standby.AddFlags({"--pg-wal", standby_wal});
  REQUIRE_OK(primary.Init());
  REQUIRE_OK(primary.Start());
  INFO(primary.LogTail());
  REQUIRE(Eventually([&] { return primary.Writable(); }, 60s));
  CHECK(std::filesystem::is_symlink(primary.pgdata() + "/pg_wal"));
  CHECK(std::filesystem::read_symlink(primary.pgdata() + "/pg_wal") == primary_wal);
  REQUIRE_OK(primary.Sql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS x"));
  REQUIRE_OK(primary.Sql("SELECT pg_switch_wal()"));
  CHECK(!std::filesystem::is_empty(primary_wal));

  REQUIRE_OK(standby.Join());
  CHECK(std::filesystem::read_symlink(standby.pgdata() + "/pg_wal") == standby_wal);
  REQUIRE_OK(standby.Start());
  INFO(standby.LogTail());
  REQUIRE(Eventually([&] { return standby.SqlScalar("SELECT count(*) FROM t") == "1000"; }, 60s));
}

}  // namespace tusk::testing
