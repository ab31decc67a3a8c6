// Pure pieces of tusk-instance: status parsing, metrics,
// log records, flags, bootstrap SQL, postgres's complaints.
#include <algorithm>

#include <catch2/catch.hpp>

#include "instance-manager/bootstrap.h"
#include "instance-manager/config_files.h"
#include "instance-manager/log_forwarder.h"
#include "instance-manager/manager.h"
#include "instance-manager/metrics.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"
#include "instance-manager/status_query.h"

namespace tusk::instance {

TEST_CASE("ParseStatusJson fills the postgres half of the status") {
  const char* primary = R"JSON({"in_recovery":false,"system_identifier":"7712069217665718416","timeline":2,
    "current_lsn":"0/3018588","flushed_lsn":"0/3018588","received_lsn":null,"replayed_lsn":null,
    "last_replay_ms":null,"version":"15.20","postmaster_start_ms":1795606046442,
    "synchronous_standby_names":"ANY 1 (\"pg-2\")",
    "wal_receiver":null,
    "standbys":[{"application_name":"pg-2","client_addr":"127.0.0.1/32","state":"streaming",
      "sync_state":"quorum","sync_priority":1,"sent_lsn":"0/3018588","write_lsn":"0/3018588",
      "flush_lsn":"0/3018588","replay_lsn":"0/3018500","write_lag_us":401,"flush_lag_us":3544,
      "replay_lag_us":null,"replay_lag_bytes":136}],
    "slots":[{"slot_name":"_cnpg_pg_2","slot_type":"physical","active":true,"restart_lsn":"0/3018588",
      "wal_status":"reserved","retained_bytes":0}]})JSON";
  v1::InstanceStatus s;
  REQUIRE(ParseStatusJson(primary, &s).ok());
  CHECK(s.role() == v1::ROLE_PRIMARY);
  CHECK_FALSE(s.in_recovery());
  CHECK(s.system_identifier() == 7712069217665718416ull);
  CHECK(s.timeline_id() == 2);
  CHECK(s.current_lsn() == "0/3018588");
  CHECK(s.received_lsn().empty());
  REQUIRE(s.standbys_size() == 1);
  CHECK(s.standbys(0).sync_state() == v1::SYNC_STATE_QUORUM);
  CHECK(s.standbys(0).replay_lag_bytes() == 136);
  CHECK(s.standbys(0).flush_lag_us() == 3544);
  CHECK(s.standbys(0).replay_lag_us() == 0);
  REQUIRE(s.replication_slots_size() == 1);
  CHECK(s.replication_slots(0).active());
  CHECK_FALSE(s.has_wal_receiver());

  const char* standby = R"({"in_recovery":true,"system_identifier":"1","timeline":1,"current_lsn":null,
    "received_lsn":"0/5000000","replayed_lsn":"0/4FFFF00","standbys":[],"slots":[],
    "wal_receiver":{"status":"streaming","sender_host":"127.0.0.1","sender_port":5432,"slot_name":"_cnpg_pg_2",
      "received_tli":1,"latest_end_lsn":"0/5000000","receipt_ms":1795606064246}})";
  // Parsing into a used message replaces the lists.
  REQUIRE(ParseStatusJson(standby, &s).ok());
  CHECK(s.role() == v1::ROLE_REPLICA);
  CHECK(s.standbys_size() == 0);
  CHECK(s.wal_receiver().status() == "streaming");
  CHECK(s.wal_receiver().upstream_port() == 5432);

  CHECK_FALSE(ParseStatusJson("not json", &s).ok());
  CHECK_FALSE(ParseStatusJson("[1,2]", &s).ok());
}

TEST_CASE("metrics use CloudNativePG's names") {
  v1::InstanceStatus s;
  s.set_cluster_name("pg");
  s.set_postgres_running(true);
  s.set_in_recovery(true);
  s.set_postmaster_start_unix_ms(1'700'000'000'000);
  s.set_last_replay_unix_ms(1'700'000'100'000);
  s.set_received_lsn("0/5000000");
  s.set_replayed_lsn("0/4000000");
  s.mutable_wal_receiver()->set_status("streaming");
  std::string m = RenderMetrics(s, 1'700'000'102'500);
  CHECK_THAT(m, Catch::Contains("# TYPE cnpg_collector_up gauge\ncnpg_collector_up{cluster=\"pg\"} 1\n"));
  CHECK_THAT(m, Catch::Contains("cnpg_pg_postmaster_start_time 1700000000\n"));
  CHECK_THAT(m, Catch::Contains("cnpg_pg_replication_lag 2.5\n"));
  CHECK_THAT(m, Catch::Contains("cnpg_pg_replication_in_recovery 1\n"));
  CHECK_THAT(m, Catch::Contains("cnpg_pg_replication_is_wal_receiver_up 1\n"));
  // Caught up: no lag, however old the last replayed commit.
  s.set_replayed_lsn("0/5000000");
  CHECK_THAT(RenderMetrics(s, 1'700'000'900'000), Catch::Contains("cnpg_pg_replication_lag 0\n"));
  s.set_postgres_running(false);
  std::string down = RenderMetrics(s, 0);
  CHECK_THAT(down, Catch::Contains("cnpg_collector_up{cluster=\"pg\"} 0\n"));
  CHECK(down.find("cnpg_pg_replication_lag") == std::string::npos);
}

TEST_CASE("postgres log lines become records with postgres's fields kept") {
  auto r = ParsePostgresLogLine(
      R"({"timestamp":"2026-11-25 11:27:26.434 UTC","pid":7,"error_severity":"FATAL","message":"boom","backend_type":"client backend"})",
      true);
  CHECK(r.level == log::Level::kError);
  CHECK(r.record["message"] == "boom");
  CHECK(r.record["backend_type"] == "client backend");
  CHECK(ParsePostgresLogLine(R"({"error_severity":"WARNING","message":"w"})", true).level == log::Level::kWarn);
  CHECK(ParsePostgresLogLine(R"({"error_severity":"LOG","message":"l"})", true).level == log::Level::kInfo);
  auto text = ParsePostgresLogLine("LOG:  redirecting log output", false);
  CHECK(text.record["message"] == "LOG:  redirecting log output");
  CHECK(ParsePostgresLogLine("{broken", true).record["message"] == "{broken");
}

TEST_CASE("flags: defaults, values, peers and refusals") {
  auto o = ParseOptions({"--pgdata", "/d", "--port=6543", "--peer", "pg-2=127.0.0.1:6000",
                         "--replication-auth", "loopback-trust", "--pod-name", "pg-1"});
  REQUIRE(o.ok());
  CHECK(o->pgdata == "/d");
  CHECK(o->port == 6543);
  CHECK(o->PeerAddress("pg", "pg-2").port == 6000);
  CHECK(o->PeerAddress("pg", "pg-3").host == "pg-rw");
  CHECK(o->PeerAddress("pg", "pg-3").port == 5432);
  CHECK(o->replication_auth == pg::ReplicationAuth::kLoopbackTrust);
  CHECK_FALSE(ParseOptions({"--port", "x"}).ok());
  CHECK_FALSE(ParseOptions({"--nope", "1"}).ok());
  CHECK_FALSE(ParseOptions({"--pgdata"}).ok());
  CHECK_FALSE(ParseOptions({"--peer", "bad"}).ok());
  CHECK_FALSE(ParseOptions({"stray"}).ok());
}

namespace {

api::ClusterSpec DefaultedSpec(const char* text) {
  auto c = api::ClusterFromJson(nlohmann::json::parse(text));
  REQUIRE(c.ok());
  api::ApplyDefaults(&*c);
  return c->spec;
}

}  // namespace

TEST_CASE("flags: in a pod the Cluster comes from the API server, passwords from the mounted secrets") {
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("CLUSTER_NAME", "pg", 1);
  ::setenv("NAMESPACE", "db", 1);
  auto pod = ParseOptions({"--pod-name", "pg-1"});
  auto file = ParseOptions({"--cluster-file", "pg.json"});
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("CLUSTER_NAME");
  ::unsetenv("NAMESPACE");
  REQUIRE(pod.ok());
  CHECK(pod->api_server);
  CHECK(pod->cluster_name == "pg");
  CHECK(pod->namespace_ == "db");
  CHECK(pod->pgdata == "/var/lib/postgresql/data/pgdata");
  CHECK(pod->app_password_file == "/etc/tusk/app/password");
  CHECK(pod->superuser_password_file == "/etc/tusk/superuser/password");
  CHECK(pod->certificates_source == "/etc/tusk/certificates");
  CHECK(pod->certificates_dir == "/controller/certificates");
  // A file wins, even in a pod; then no secret is assumed.
  REQUIRE(file.ok());
  CHECK_FALSE(file->api_server);
  CHECK(file->app_password_file.empty());

  auto kube = ParseOptions({"--kubeconfig", "/lk/kubeconfig", "--cluster-name", "pg", "--namespace", "x"});
  REQUIRE(kube.ok());
  CHECK(kube->api_server);
  CHECK(kube->namespace_ == "x");
  auto bare = ParseOptions({});
  REQUIRE(bare.ok());
  CHECK_FALSE(bare->api_server);
}

TEST_CASE("bootstrap SQL creates the roles and database, quoting passwords") {
  api::ClusterSpec spec = DefaultedSpec(R"({"metadata":{"name":"pg"},"spec":{"enableSuperuserAccess":true}})");
  auto steps = BootstrapSteps(spec, "it's", "");
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].database == "postgres");
  const std::string& sql = steps[0].sql;
  CHECK_THAT(sql, Catch::Contains("ALTER ROLE postgres PASSWORD 'it''s';\n\n"));
  CHECK_THAT(sql, Catch::Contains("CREATE ROLE streaming_replica LOGIN REPLICATION;\n\n"));
  CHECK_THAT(sql, Catch::Contains("pg_read_binary_file(text, bigint, bigint, boolean) TO streaming_replica"));
  CHECK_THAT(sql, Catch::Contains("CREATE ROLE \"app\" LOGIN PASSWORD NULL;"));
  CHECK_THAT(sql, Catch::Contains("CREATE DATABASE \"app\" OWNER \"app\";"));

  // Without enableSuperuserAccess (the default) postgres has no password.
  auto locked = BootstrapSteps(DefaultedSpec(R"({"metadata":{"name":"pg"}})"), "it's", "s3cret");
  CHECK_THAT(locked[0].sql, Catch::Contains("ALTER ROLE postgres PASSWORD NULL;"));
  CHECK_THAT(locked[0].sql, Catch::Contains("CREATE ROLE \"app\" LOGIN PASSWORD 's3cret';"));
}

TEST_CASE("bootstrap SQL runs the post-init SQL where and when CloudNativePG does") {
  api::ClusterSpec spec = DefaultedSpec(R"J({"metadata":{"name":"pg"},"spec":{"bootstrap":{"initdb":{
      "database": "shop", "owner": "sh\"op",
      "postInitSQL": ["CREATE ROLE auditor"],
      "postInitTemplateSQL": ["CREATE EXTENSION pg_trgm;"],
      "postInitApplicationSQL": ["CREATE TABLE orders (id int)", "  "]}}}})J");
  auto steps = BootstrapSteps(spec, "", "pw");
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].database == "postgres");
  CHECK_THAT(steps[0].sql, Catch::Contains("CREATE ROLE \"sh\"\"op\" LOGIN PASSWORD 'pw';\n\nCREATE ROLE auditor;\n\n"));
  CHECK_THAT(steps[0].sql, !Catch::Contains("CREATE DATABASE"));
  // The template first: the application database is copied from it.
  CHECK(steps[1].database == "template1");
  CHECK(steps[1].sql == "CREATE EXTENSION pg_trgm;\n\n");
  CHECK(steps[2].database == "postgres");
  CHECK(steps[2].sql == "CREATE DATABASE \"shop\" OWNER \"sh\"\"op\";\n\n");
  CHECK(steps[3].database == "shop");
  CHECK(steps[3].sql == "CREATE TABLE orders (id int);\n\n");
}

TEST_CASE("initdb flags follow spec.bootstrap.initdb") {
  auto args = InitdbArgs(DefaultedSpec(R"({"metadata":{"name":"pg"}})"), "/d");
  auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
  CHECK(args[0] == "-D");
  CHECK(args[1] == "/d");
  CHECK(has("--encoding=UTF8"));
  CHECK(has("--lc-collate=C"));
  CHECK(has("--lc-ctype=C"));
  CHECK_FALSE(has("--data-checksums"));  // dataChecksums is off unless asked for

  args = InitdbArgs(DefaultedSpec(R"({"metadata":{"name":"pg"},"spec":{"bootstrap":{"initdb":{
      "encoding": "LATIN1", "locale": "en_US.UTF-8", "localeCollate": "de_DE.UTF-8",
      "dataChecksums": true, "walSegmentSize": 32}}}})"), "/d");
  CHECK(has("--encoding=LATIN1"));
  CHECK(has("--locale=en_US.UTF-8"));
  CHECK(has("--lc-collate=de_DE.UTF-8"));
  CHECK(has("--data-checksums"));
  CHECK(has("--wal-segsize=32"));
  // --locale comes first so the explicit categories win.
  CHECK(std::find(args.begin(), args.end(), "--locale=en_US.UTF-8") <
        std::find(args.begin(), args.end(), "--lc-collate=de_DE.UTF-8"));

  // The deprecated options list replaces the explicit fields.
  args = InitdbArgs(DefaultedSpec(R"({"metadata":{"name":"pg"},"spec":{"bootstrap":{"initdb":{
      "options": ["--locale=sv_SE.UTF-8"], "encoding": "LATIN1"}}}})"), "/d");
  CHECK(has("--locale=sv_SE.UTF-8"));
  CHECK_FALSE(has("--encoding=LATIN1"));
}

TEST_CASE("the staging directory sits beside PGDATA whatever the spelling") {
  CHECK(StagingDir("/var/lib/postgresql/data/pgdata") == "/var/lib/postgresql/data/pgdata.tusk-bootstrap");
  CHECK(StagingDir("/var/lib/postgresql/data/pgdata/") == "/var/lib/postgresql/data/pgdata.tusk-bootstrap");
  CHECK(StagingDir("/tmp//pg1/.") == "/tmp/pg1.tusk-bootstrap");
}

TEST_CASE("pg_controldata output and postgres's complaints are parsed") {
  auto cd = ParseControlData("pg_control version number:            1300\nDatabase cluster state:               shut down\n");
  CHECK(cd["Database cluster state"] == "shut down");
  CHECK(cd["pg_control version number"] == "1300");
  std::string out = PostgresComplaints(
      "2026-11-25 11:40:00.000 UTC [12] LOG:  invalid value for parameter \"work_mem\": \"banana\"\n"
      "2026-11-25 11:40:00.000 UTC [12] FATAL:  configuration file \"/tmp/stage/custom.conf\" contains errors\n",
      "/tmp/stage/");
  CHECK(out == "invalid value for parameter \"work_mem\": \"banana\"; configuration file \"custom.conf\" contains errors");
}

}  // namespace tusk::instance
