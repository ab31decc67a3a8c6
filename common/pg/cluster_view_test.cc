#include "common/pg/cluster_view.h"

#include <catch2/catch.hpp>

namespace tusk::pg {
namespace {

api::Cluster Defaulted(const char* text) {
  auto c = api::ClusterFromJson(nlohmann::json::parse(text));
  REQUIRE(c.ok());
  api::ApplyDefaults(&*c);
  return *c;
}

}  // namespace

TEST_CASE("a defaulted Cluster becomes the renderer's view") {
  auto v = MakeClusterView(Defaulted(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "pg", "namespace": "db",
                 "annotations": {"cnpg.io/fencedInstances": "[\"pg-2\"]"}},
    "spec": {"instances": 3, "smartShutdownTimeout": 5, "storage": {"size": "1Gi"},
             "postgresql": {"parameters": {"work_mem": "8MB", "max_connections": "50"},
                            "synchronous": {"method": "first", "number": 1, "standbyNamesPost": ["dr"]},
                            "pg_hba": ["host all all 10.0.0.0/8 md5"],
                            "shared_preload_libraries": ["pg_cron"]},
             "replicationSlots": {"highAvailability": {"enabled": false}}},
    "status": {"currentPrimary": "pg-1", "targetPrimary": "pg-2",
               "instanceNames": ["pg-1", "pg-2", "pg-3"],
               "instancesStatus": {"healthy": ["pg-1", "pg-3"], "failed": ["pg-2"]}}
  })"));
  REQUIRE(v.ok());
  CHECK(v->name == "pg");
  CHECK(v->namespace_name == "db");
  CHECK(v->instances == 3);
  CHECK(v->parameters.at("work_mem") == "8MB");
  CHECK(v->parameters.at("max_connections") == "50");
  REQUIRE(v->synchronous);
  CHECK(v->synchronous->method == "first");
  CHECK(v->synchronous->number == 1);
  CHECK(v->synchronous->data_durability == "required");  // from ApplyDefaults
  CHECK(v->synchronous->standby_names_post == std::vector<std::string>{"dr"});
  CHECK(v->pg_hba.size() == 1);
  CHECK(v->shared_preload_libraries == std::vector<std::string>{"pg_cron"});
  CHECK_FALSE(v->ha_slots);
  CHECK(v->slot_prefix == "_cnpg_");
  CHECK(v->smart_shutdown_timeout_s == 5);
  CHECK(v->stop_delay_s == 1800);
  CHECK(v->current_primary == "pg-1");
  CHECK(v->target_primary == "pg-2");
  CHECK(v->instance_names.size() == 3);
  CHECK(v->healthy_instances == std::vector<std::string>{"pg-1", "pg-3"});
  CHECK(v->IsFenced("pg-2"));
  CHECK_FALSE(v->IsFenced("pg-1"));
}

TEST_CASE("the view takes CloudNativePG's defaults from ApplyDefaults alone") {
  auto v = MakeClusterView(Defaulted(R"({"metadata":{"name":"pg"},"spec":{"storage":{"size":"1Gi"}}})"));
  REQUIRE(v.ok());
  CHECK(v->instances == 1);
  CHECK(v->ha_slots);
  CHECK(v->slot_prefix == "_cnpg_");
  CHECK(v->smart_shutdown_timeout_s == 180);
  CHECK(v->stop_delay_s == 1800);
  CHECK_FALSE(v->synchronous);
  CHECK(v->fenced_instances.empty());
}

TEST_CASE("a Cluster that skipped ApplyDefaults is refused naming the field") {
  auto c = api::ClusterFromJson(nlohmann::json::parse(R"({"metadata":{"name":"pg"},"spec":{"instances":2}})"));
  REQUIRE(c.ok());
  auto v = MakeClusterView(*c);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(v.status().message(), Catch::Contains("spec.replicationSlots.highAvailability.enabled"));
  CHECK_THAT(v.status().message(), Catch::Contains("ApplyDefaults"));
}

TEST_CASE("a malformed fencing annotation makes the view an error, not an unfenced instance") {
  auto v = MakeClusterView(Defaulted(
      R"({"metadata":{"name":"pg","annotations":{"cnpg.io/fencedInstances":"pg-1"}},"spec":{"storage":{"size":"1Gi"}}})"));
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.status().message(), Catch::Contains("cnpg.io/fencedInstances"));
}

TEST_CASE("every fenced instance: the \"*\" annotation") {
  auto v = MakeClusterView(Defaulted(
      R"({"metadata":{"name":"pg","annotations":{"cnpg.io/fencedInstances":"[\"*\"]"}},"spec":{"storage":{"size":"1Gi"}}})"));
  REQUIRE(v.ok());
  CHECK(v->IsFenced("pg-1"));
  CHECK(v->IsFenced("pg-7"));
}

}  // namespace tusk::pg
