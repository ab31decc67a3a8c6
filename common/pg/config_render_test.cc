#include "common/pg/config_render.h"

#include <catch2/catch.hpp>

namespace tusk::pg {
namespace {

// The view of a Cluster document as both readers see it: the one parser,
// the one set of defaults.
ClusterView ViewOf(const nlohmann::json& doc) {
  auto cluster = api::ClusterFromJson(doc);
  REQUIRE(cluster.ok());
  api::ApplyDefaults(&*cluster);
  REQUIRE(api::ValidateStatus(*cluster).ok());
  auto view = MakeClusterView(*cluster);
  REQUIRE(view.ok());
  return *view;
}

nlohmann::json ThreeInstancesDoc() {
  return nlohmann::json::parse(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "cluster-example", "namespace": "default"},
    "spec": {"instances": 3, "storage": {"size": "1Gi"}},
    "status": {"currentPrimary": "cluster-example-1",
               "instanceNames": ["cluster-example-1", "cluster-example-2", "cluster-example-3"]}
  })");
}

ClusterView ThreeInstances() { return ViewOf(ThreeInstancesDoc()); }

SynchronousSpec Sync(const std::string& method, int64_t number, const std::string& durability = "required") {
  SynchronousSpec s;
  s.method = method;
  s.number = number;
  s.data_durability = durability;
  return s;
}

InstanceContext Ctx(const std::string& pod, bool primary) {
  InstanceContext ctx;
  ctx.pod_name = pod;
  ctx.primary = primary;
  ctx.primary_host = "cluster-example-rw";
  return ctx;
}

size_t Pos(const std::string& hay, const std::string& needle) {
  auto p = hay.find(needle);
  INFO("looking for: " << needle << "\nin:\n" << hay);
  REQUIRE(p != std::string::npos);
  return p;
}

}  // namespace

TEST_CASE("fixed parameters are refused with a clear message") {
  for (const char* key : {"archive_command", "port", "primary_conninfo", "synchronous_standby_names",
                          "listen_addresses", "logging_collector", "restart_after_crash"}) {
    ClusterView c = ThreeInstances();
    c.parameters[key] = "something-else";
    auto r = RenderConfig(c, Ctx("cluster-example-1", true));
    INFO(key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("Can't set fixed configuration parameter"));
    CHECK_THAT(r.status().message(), Catch::Contains(key));
  }
}

TEST_CASE("a fixed parameter equal to the computed value is accepted") {
  ClusterView c = ThreeInstances();
  c.parameters["shared_preload_libraries"] = "";
  c.parameters["archive_mode"] = "off";  // no archiver plugged in
  CHECK(RenderConfig(c, Ctx("cluster-example-1", true)).ok());
}

TEST_CASE("user parameters are kept and override the defaults") {
  ClusterView c = ThreeInstances();
  c.parameters["work_mem"] = "8MB";
  c.parameters["wal_keep_size"] = "1GB";
  c.parameters["log_line_prefix"] = "it's %m";
  auto r = RenderConfig(c, Ctx("cluster-example-1", true));
  REQUIRE(r.ok());
  Pos(r->custom_conf, "work_mem = '8MB'\n");
  Pos(r->custom_conf, "wal_keep_size = '1GB'\n");
  Pos(r->custom_conf, "log_line_prefix = 'it''s %m'\n");
  Pos(r->custom_conf, "wal_level = 'logical'\n");  // default kept
  Pos(r->custom_conf, "restart_after_crash = 'off'\n");
  Pos(r->custom_conf, "log_destination = 'jsonlog'\n");
  CHECK(r->custom_conf.find("wal_keep_size = '512MB'") == std::string::npos);
}

TEST_CASE("bad values with a known domain are refused") {
  ClusterView c = ThreeInstances();
  c.parameters["wal_level"] = "verbose";
  CHECK_THAT(RenderConfig(c, Ctx("cluster-example-1", true)).status().message(),
             Catch::Contains("invalid value for parameter \"wal_level\""));
  c.parameters["wal_level"] = "minimal";
  CHECK_FALSE(RenderConfig(c, Ctx("cluster-example-1", true)).ok());
  c.parameters.erase("wal_level");
  c.parameters["hot_standby_feedback"] = "sometimes";
  CHECK_THAT(RenderConfig(c, Ctx("cluster-example-1", true)).status().message(),
             Catch::Contains("hot_standby_feedback"));
  c.parameters["hot_standby_feedback"] = "on";
  c.parameters["wal_log_hints"] = "off";
  CHECK_FALSE(RenderConfig(c, Ctx("cluster-example-1", true)).ok());
  c.parameters["bad name"] = "1";
  c.parameters.erase("wal_log_hints");
  CHECK_THAT(RenderConfig(c, Ctx("cluster-example-1", true)).status().message(),
             Catch::Contains("invalid configuration parameter name"));
}

TEST_CASE("synchronous_standby_names: explicit any/first, required durability") {
  ClusterView c = ThreeInstances();
  c.synchronous = Sync("any", 1);
  CHECK(SynchronousStandbyNames(c, "cluster-example-1") ==
        "ANY 1 (\"cluster-example-2\", \"cluster-example-3\", \"cluster-example-1\")");
  c.synchronous->method = "first";
  c.synchronous->number = 2;
  c.synchronous->standby_names_pre = {"pre"};
  c.synchronous->standby_names_post = {"post"};
  CHECK(SynchronousStandbyNames(c, "cluster-example-2") ==
        "FIRST 2 (\"pre\", \"cluster-example-1\", \"cluster-example-3\", \"cluster-example-2\", \"post\")");
  // Healthy standbys come first.
  c.synchronous->standby_names_pre.clear();
  c.synchronous->standby_names_post.clear();
  c.healthy_instances = {"cluster-example-1", "cluster-example-3"};
  CHECK(SynchronousStandbyNames(c, "cluster-example-1") ==
        "FIRST 2 (\"cluster-example-3\", \"cluster-example-2\", \"cluster-example-1\")");
}

TEST_CASE("synchronous_standby_names: preferred durability caps to healthy standbys") {
  ClusterView c = ThreeInstances();
  c.synchronous = Sync("any", 2, "preferred");
  c.healthy_instances = {"cluster-example-1", "cluster-example-3"};
  CHECK(SynchronousStandbyNames(c, "cluster-example-1") == "ANY 1 (\"cluster-example-3\")");
  c.healthy_instances = {"cluster-example-1"};
  c.instance_names = {"cluster-example-1"};
  CHECK(SynchronousStandbyNames(c, "cluster-example-1").empty());
  c.synchronous.reset();
  CHECK(SynchronousStandbyNames(c, "cluster-example-1").empty());
}

TEST_CASE("synchronous_standby_names is rendered on the primary only") {
  ClusterView c = ThreeInstances();
  c.synchronous = Sync("any", 1);
  auto primary = RenderConfig(c, Ctx("cluster-example-1", true));
  auto standby = RenderConfig(c, Ctx("cluster-example-2", false));
  REQUIRE(primary.ok());
  REQUIRE(standby.ok());
  Pos(primary->custom_conf, "synchronous_standby_names = 'ANY 1 (\"cluster-example-2\"");
  Pos(standby->custom_conf, "synchronous_standby_names = ''\n");
}

TEST_CASE("pg_hba.conf follows CloudNativePG's order, user lines before the catch-all") {
  ClusterView c = ThreeInstances();
  c.pg_hba = {"host app app 10.0.0.0/8 scram-sha-256"};
  auto r = RenderConfig(c, Ctx("cluster-example-1", true));
  REQUIRE(r.ok());
  const std::string& h = r->pg_hba;
  size_t p1 = Pos(h, "local all cnpg_metrics_exporter peer map=cnpg_metrics_exporter\n");
  size_t p2 = Pos(h, "local all all peer map=local\n");
  size_t p3 = Pos(h, "hostssl postgres streaming_replica all cert map=cnpg_streaming_replica\n");
  size_t p4 = Pos(h, "hostssl replication streaming_replica all cert map=cnpg_streaming_replica\n");
  size_t p5 = Pos(h, "hostssl all cnpg_pooler_pgbouncer all cert map=cnpg_pooler_pgbouncer\n");
  size_t p6 = Pos(h, "host app app 10.0.0.0/8 scram-sha-256\n");
  size_t p8 = Pos(h, "host all all all scram-sha-256\n");
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(p3 < p4);
  CHECK(p4 < p5);
  CHECK(p5 < p6);
  CHECK(p6 < p8);
}

TEST_CASE("pg_ident.conf maps the container user and the certificate users") {
  ClusterView c = ThreeInstances();
  c.pg_ident = {"mymap alice bob"};
  InstanceContext ctx = Ctx("cluster-example-1", true);
  ctx.local_os_users = {"postgres", "root"};
  auto r = RenderConfig(c, ctx);
  REQUIRE(r.ok());
  size_t a = Pos(r->pg_ident, "local postgres postgres\n");
  Pos(r->pg_ident, "local root postgres\n");
  Pos(r->pg_ident, "cnpg_streaming_replica streaming_replica streaming_replica\n");
  size_t u = Pos(r->pg_ident, "mymap alice bob\n");
  CHECK(a < u);
}

TEST_CASE("a standby gets primary_conninfo, its HA slot and standby.signal") {
  ClusterView c = ThreeInstances();
  auto r = RenderConfig(c, Ctx("cluster-example-2", false));
  REQUIRE(r.ok());
  CHECK(r->standby);
  Pos(r->override_conf, "primary_conninfo = 'host=cluster-example-rw user=streaming_replica port=5432 sslkey=");
  Pos(r->override_conf, "application_name=cluster-example-2");
  Pos(r->override_conf, "primary_slot_name = '_cnpg_cluster_example_2'\n");
  Pos(r->override_conf, "recovery_target_timeline = 'latest'\n");
  auto p = RenderConfig(c, Ctx("cluster-example-1", true));
  REQUIRE(p.ok());
  CHECK_FALSE(p->standby);
  CHECK(p->override_conf.find("primary_conninfo") == std::string::npos);
  CHECK(p->hash != r->hash);
}

TEST_CASE("archive settings are pluggable") {
  ClusterView c = ThreeInstances();
  InstanceContext ctx = Ctx("cluster-example-1", true);
  auto off = RenderConfig(c, ctx);
  REQUIRE(off.ok());
  Pos(off->custom_conf, "archive_mode = 'off'\n");
  ctx.archive_command = "/controller/manager wal-archive %p";
  auto on = RenderConfig(c, ctx);
  REQUIRE(on.ok());
  Pos(on->custom_conf, "archive_mode = 'on'\n");
  Pos(on->custom_conf, "archive_command = '/controller/manager wal-archive %p'\n");
}

TEST_CASE("HA slot names are sanitised like CloudNativePG's") {
  CHECK(HaSlotName("_cnpg_", "cluster-example-2") == "_cnpg_cluster_example_2");
  CHECK(HaSlotName("_cnpg_", "Pg--X.1") == "_cnpg_pg_x_1");
}

TEST_CASE("shared_preload_libraries: user list, then implied ones, de-duplicated") {
  ClusterView c = ThreeInstances();
  c.shared_preload_libraries = {"pg_stat_statements", "timescaledb"};
  c.parameters["pg_stat_statements.max"] = "1000";
  c.parameters["auto_explain.log_min_duration"] = "10s";
  auto r = RenderConfig(c, Ctx("cluster-example-1", true));
  REQUIRE(r.ok());
  Pos(r->custom_conf, "shared_preload_libraries = 'pg_stat_statements,timescaledb,auto_explain'\n");
}

TEST_CASE("the spec hash is the same on every instance and changes only with the spec") {
  ClusterView c = ThreeInstances();
  // Two instances that differ in everything the Cluster does not say.
  InstanceContext primary = Ctx("cluster-example-1", true);
  InstanceContext standby = Ctx("cluster-example-2", false);
  standby.port = 6002;
  standby.socket_dir = "/tmp/run2";
  standby.log_dir = "/tmp/log2";
  standby.primary_host = "127.0.0.1";
  standby.primary_port = 6001;
  standby.replication_auth = ReplicationAuth::kLoopbackTrust;
  auto a = RenderConfig(c, primary);
  auto b = RenderConfig(c, standby);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->hash != b->hash);  // the files differ...
  CHECK(a->spec_hash == b->spec_hash);  // ...the spec they carry does not
  CHECK(a->spec_hash == SpecConfigHash(c));
  CHECK(a->spec_hash.size() == 64);

  // Status changes (a failover, a new instance) leave it alone.
  ClusterView moved = c;
  moved.current_primary = "cluster-example-2";
  moved.target_primary = "cluster-example-2";
  moved.instance_names.push_back("cluster-example-4");
  CHECK(SpecConfigHash(moved) == SpecConfigHash(c));

  ClusterView tuned = c;
  tuned.parameters["work_mem"] = "16MB";
  CHECK(SpecConfigHash(tuned) != SpecConfigHash(c));
  ClusterView hba = c;
  hba.pg_hba = {"host app app 10.0.0.0/8 scram-sha-256"};
  CHECK(SpecConfigHash(hba) != SpecConfigHash(c));
  ClusterView sync = c;
  sync.synchronous = Sync("any", 1);
  CHECK(SpecConfigHash(sync) != SpecConfigHash(c));
  ClusterView slots = c;
  slots.ha_slots = false;
  CHECK(SpecConfigHash(slots) != SpecConfigHash(c));
}

TEST_CASE("the spec hash does not depend on the order a manifest lists its parameters in") {
  auto doc_a = ThreeInstancesDoc();
  auto doc_b = nlohmann::json::parse(R"({
    "status": {"instanceNames": ["cluster-example-1", "cluster-example-2", "cluster-example-3"],
               "currentPrimary": "cluster-example-1"},
    "spec": {"postgresql": {"parameters": {"work_mem": "8MB", "max_connections": "200", "a.b": "x"}},
             "storage": {"size": "1Gi"}, "instances": 3},
    "metadata": {"namespace": "default", "name": "cluster-example"}, "kind": "Cluster"
  })");
  doc_a["spec"]["postgresql"]["parameters"] = {{"a.b", "x"}, {"max_connections", "200"}, {"work_mem", "8MB"}};
  CHECK(SpecConfigHash(ViewOf(doc_a)) == SpecConfigHash(ViewOf(doc_b)));
  doc_b["spec"]["postgresql"]["parameters"]["work_mem"] = "9MB";
  CHECK(SpecConfigHash(ViewOf(doc_a)) != SpecConfigHash(ViewOf(doc_b)));
}

}  // namespace tusk::pg
