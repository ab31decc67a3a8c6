#include "common/pg/config_render.h"

#include <catch2/catch.hpp>

namespace tusk::pg {
namespace {

ClusterView ThreeInstances() {
  ClusterView c;
  c.name = "cluster-example";
  c.instances = 3;
  c.instance_names = {"cluster-example-1", "cluster-example-2", "cluster-example-3"};
  c.current_primary = "cluster-example-1";
  return c;
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
  c.synchronous = SynchronousSpec{};
  c.synchronous->method = "any";
  c.synchronous->number = 1;
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
  c.synchronous = SynchronousSpec{};
  c.synchronous->number = 2;
  c.synchronous->data_durability = "preferred";
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
  c.synchronous = SynchronousSpec{};
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

TEST_CASE("Cluster JSON becomes a ClusterView") {
  auto j = nlohmann::json::parse(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "pg", "namespace": "db",
                 "annotations": {"cnpg.io/fencedInstances": "[\"pg-2\"]"}},
    "spec": {"instances": 3, "smartShutdownTimeout": 5,
             "postgresql": {"parameters": {"work_mem": "8MB", "max_connections": 50},
                            "synchronous": {"method": "first", "number": 1},
                            "pg_hba": ["host all all 10.0.0.0/8 md5"]},
             "replicationSlots": {"highAvailability": {"enabled": false}}},
    "status": {"currentPrimary": "pg-1", "targetPrimary": "pg-2",
               "instanceNames": ["pg-1", "pg-2", "pg-3"]}
  })");
  auto v = ClusterViewFromJson(j);
  REQUIRE(v.ok());
  CHECK(v->name == "pg");
  CHECK(v->namespace_name == "db");
  CHECK(v->instances == 3);
  CHECK(v->parameters.at("work_mem") == "8MB");
  CHECK(v->parameters.at("max_connections") == "50");
  REQUIRE(v->synchronous);
  CHECK(v->synchronous->method == "first");
  CHECK(v->pg_hba.size() == 1);
  CHECK_FALSE(v->ha_slots);
  CHECK(v->smart_shutdown_timeout_s == 5);
  CHECK(v->current_primary == "pg-1");
  CHECK(v->target_primary == "pg-2");
  CHECK(v->instance_names.size() == 3);
  CHECK(v->IsFenced("pg-2"));
  CHECK_FALSE(v->IsFenced("pg-1"));

  CHECK_FALSE(ClusterViewFromJson(nlohmann::json::parse(R"({"kind":"Pod","metadata":{"name":"x"}})")).ok());
  CHECK_FALSE(ClusterViewFromJson(nlohmann::json::parse(R"({"metadata":{}})")).ok());
  CHECK_FALSE(ClusterViewFromJson(nlohmann::json::parse(R"({"metadata":{"name":"x"},"spec":{"instances":"three"}})")).ok());
}

}  // namespace tusk::pg
