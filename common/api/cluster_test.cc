#include "common/api/cluster.h"

#include <catch2/catch.hpp>

namespace tusk::api {
namespace {

Json Manifest() {
  return Json::parse(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "cluster-example", "namespace": "default", "resourceVersion": "7",
                 "labels": {"team": "db"}},
    "spec": {
      "instances": 3,
      "storage": {"size": "1Gi", "futureStorageKnob": true},
      "postgresql": {"parameters": {"max_connections": "200"}},
      "monitoring": {"enablePodMonitor": false},
      "someFieldFromANewerCRD": {"x": [1, 2, 3]},
      "externalClusters": [{"name": "origin", "connectionParameters": {"host": "a"}, "sslKey": {"name": "k", "key": "tls.key"}}]
    },
    "status": {"currentPrimary": "cluster-example-1", "instances": 3}
  })");
}

TEST_CASE("Cluster fields are read from a CloudNativePG manifest") {
  auto c = ClusterFromJson(Manifest());
  REQUIRE(c.ok());
  CHECK(c->metadata.name == "cluster-example");
  CHECK(c->metadata.namespace_ == "default");
  CHECK(c->spec.instances == 3);
  CHECK(c->spec.storage_size == "1Gi");
  CHECK(c->spec.parameters->at("max_connections") == "200");
  CHECK(c->status.current_primary == "cluster-example-1");
  REQUIRE(c->spec.external_clusters.has_value());
  CHECK((*c->spec.external_clusters)[0].name == "origin");
}

TEST_CASE("Unknown fields survive a read-modify-write") {
  auto c = ClusterFromJson(Manifest());
  REQUIRE(c.ok());
  c->spec.instances = 5;
  c->status.target_primary = "cluster-example-2";
  (*c->spec.external_clusters)[0].connection_parameters = std::map<std::string, std::string>{{"host", "b"}};
  Json out = ToJson(*c);
  CHECK(out["spec"]["instances"] == 5);
  CHECK(out["status"]["targetPrimary"] == "cluster-example-2");
  CHECK(out["spec"]["someFieldFromANewerCRD"]["x"].size() == 3);
  CHECK(out["spec"]["storage"]["futureStorageKnob"] == true);
  CHECK(out["spec"]["monitoring"]["enablePodMonitor"] == false);
  CHECK(out["spec"]["externalClusters"][0]["sslKey"]["key"] == "tls.key");
  CHECK(out["spec"]["externalClusters"][0]["connectionParameters"]["host"] == "b");
  CHECK(out["metadata"]["labels"]["team"] == "db");
}

TEST_CASE("Clearing a modelled field removes it from the output") {
  auto c = ClusterFromJson(Manifest());
  REQUIRE(c.ok());
  c->spec.parameters.reset();
  Json out = ToJson(*c);
  CHECK_FALSE(out["spec"]["postgresql"].contains("parameters"));
}

TEST_CASE("A wrongly typed field is rejected naming the field") {
  Json doc = Manifest();
  doc["spec"]["instances"] = "three";
  auto c = ClusterFromJson(doc);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(c.status().message(), Catch::Contains("spec.instances"));
  CHECK_THAT(c.status().message(), Catch::Contains("integer"));
}

TEST_CASE("A numeric parameter is refused, as the API server refuses it") {
  // The CRD types parameters as strings: a file must say "200", not 200.
  Json doc = Manifest();
  doc["spec"]["postgresql"]["parameters"]["max_connections"] = 200;
  auto c = ClusterFromJson(doc);
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(), Catch::Contains("spec.postgresql.parameters.max_connections"));
  CHECK_THAT(c.status().message(), Catch::Contains("must be of type string"));
  doc["spec"]["postgresql"]["parameters"]["max_connections"] = true;
  CHECK_FALSE(ClusterFromJson(doc).ok());
}

TEST_CASE("A document of another kind is not read as a Cluster") {
  auto c = ClusterFromJson(Json::parse(R"({"kind":"Pod","metadata":{"name":"pg-1"}})"));
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(), Catch::Contains("expected kind Cluster"));
  // A hand-written file may leave the kind out.
  CHECK(ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"}})")).ok());
}

TEST_CASE("Defaults follow the CloudNativePG CRD and webhook") {
  auto c = ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{"instances":1,"storage":{"size":"1Gi"}}})"));
  REQUIRE(c.ok());
  ApplyDefaults(&*c);
  const auto& s = c->spec;
  CHECK(s.postgres_uid == 26);
  CHECK(s.start_delay == 3600);
  CHECK(s.stop_delay == 1800);
  CHECK(s.smart_shutdown_timeout == 180);
  CHECK(s.switchover_delay == 3600);
  CHECK(s.primary_update_strategy == "unsupervised");
  CHECK(s.primary_update_method == "restart");
  CHECK(s.log_level == "info");
  CHECK(s.lease_duration == 15);
  CHECK(s.lease_renew_deadline == 10);
  CHECK(s.lease_retry_period == 2);
  CHECK(s.ha_slot_prefix == "_cnpg_");
  CHECK(s.image_name == kDefaultPostgresImage);
  CHECK(s.initdb_database == "app");
  CHECK(s.initdb_owner == "app");
  Json out = ToJson(*c);
  CHECK(out["spec"]["bootstrap"]["initdb"]["database"] == "app");
  CHECK(ValidateStatus(*c).ok());
}

TEST_CASE("Defaults never override what the user set") {
  auto c = ClusterFromJson(Json::parse(
      R"({"metadata":{"name":"pg"},"spec":{"instances":2,"stopDelay":30,"bootstrap":{"initdb":{"database":"shop"}}}})"));
  REQUIRE(c.ok());
  ApplyDefaults(&*c);
  CHECK(c->spec.stop_delay == 30);
  CHECK(c->spec.initdb_database == "shop");
  CHECK(c->spec.initdb_owner == "shop");
}

TEST_CASE("Validation names the field and uses CloudNativePG's messages") {
  auto c = ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{
      "instances": 2, "maxSyncReplicas": 2, "minSyncReplicas": 3,
      "imageName": "ghcr.io/cloudnative-pg/postgresql:latest",
      "storage": {"size": "1Gi"},
      "bootstrap": {"initdb": {}, "pg_basebackup": {"source": "nowhere"}}}})"));
  REQUIRE(c.ok());
  FieldErrors errs = Validate(*c);
  std::string all = errs.ToStatus("Cluster", "pg").message();
  CHECK_THAT(all, Catch::StartsWith("Cluster \"pg\" is invalid: ["));
  CHECK_THAT(all, Catch::Contains("spec.maxSyncReplicas: Invalid value: 2: maxSyncReplicas must be lower than the number of instances"));
  CHECK_THAT(all, Catch::Contains("spec.minSyncReplicas: Invalid value: 3: minSyncReplicas cannot be greater than maxSyncReplicas"));
  CHECK_THAT(all, Catch::Contains("spec.imageName: Invalid value: \"ghcr.io/cloudnative-pg/postgresql:latest\": Can't use 'latest'"));
  CHECK_THAT(all, Catch::Contains("spec.bootstrap: Invalid value: \"object\": Only one bootstrap method can be specified at a time"));
  CHECK_THAT(all, Catch::Contains("spec.bootstrap.pg_basebackup.source: Invalid value: \"nowhere\": External cluster nowhere not found"));
}

TEST_CASE("Validation rejects bad names, missing storage and single-instance supervised updates") {
  auto c = ClusterFromJson(Json::parse(
      R"({"metadata":{"name":"Bad_Name"},"spec":{"instances":1,"primaryUpdateStrategy":"supervised"}})"));
  REQUIRE(c.ok());
  auto errs = Validate(*c);
  std::string all = errs.ToStatus("Cluster", "Bad_Name").message();
  CHECK_THAT(all, Catch::Contains("metadata.name: Invalid value: \"Bad_Name\": cluster name must be a valid DNS label"));
  CHECK_THAT(all, Catch::Contains("spec.storage.size: Required value: Size not configured."));
  CHECK_THAT(all, Catch::Contains("supervised update strategy is not allowed for clusters with a single instance"));
}

TEST_CASE("Lease timings must nest: lease > renew > 1.2 x retry") {
  auto c = ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{"instances":1,"storage":{"size":"1Gi"},
      "primaryLease":{"leaseDurationSeconds":10,"renewDeadlineSeconds":10,"retryPeriodSeconds":9}}})"));
  REQUIRE(c.ok());
  std::string all = ValidateStatus(*c).message();
  CHECK_THAT(all, Catch::Contains("spec.primaryLease.leaseDurationSeconds"));
  CHECK_THAT(all, Catch::Contains("spec.primaryLease.renewDeadlineSeconds"));
}

TEST_CASE("imageName and imageCatalogRef are mutually exclusive") {
  auto c = ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{"instances":1,"storage":{"size":"1Gi"},
      "imageName":"postgres:16.2","imageCatalogRef":{"apiGroup":"postgresql.cnpg.io","kind":"ImageCatalog","name":"c","major":16}}})"));
  REQUIRE(c.ok());
  CHECK_THAT(ValidateStatus(*c).message(), Catch::Contains("imageName and imageCatalogRef are mutually exclusive"));
}

}  // namespace
}  // namespace tusk::api

namespace tusk::api {
namespace {

TEST_CASE("Nested, keyed and passthrough fields round-trip with their unknown fields") {
  Json doc = Json::parse(R"({
    "metadata": {"name": "pg", "annotations": {"cnpg.io/fencedInstances": "[\"pg-2\"]"}},
    "spec": {
      "instances": 3, "storage": {"size": "1Gi"},
      "postgresql": {"synchronous": {"method": "any", "number": 1, "futureKnob": 7}},
      "affinity": {"tolerations": [{"key": "k", "operator": "Exists"}], "nodeSelector": {"disk": "ssd"}},
      "resources": {"requests": {"cpu": "1"}}
    },
    "status": {
      "instanceNames": ["pg-1", "pg-2"],
      "instancesStatus": {"healthy": ["pg-1"], "failed": ["pg-2"]},
      "instancesReportedState": {"pg-1": {"isPrimary": true, "timeLineID": 2, "ip": "10.0.0.1", "extra": 1}},
      "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterIsReady", "futureField": "x"}]
    }
  })");
  auto c = ClusterFromJson(doc);
  REQUIRE(c.ok());
  REQUIRE(c->spec.synchronous);
  CHECK(c->spec.synchronous->number == 1);
  CHECK(c->spec.tolerations->at(0)["key"] == "k");
  CHECK(c->spec.node_selector->at("disk") == "ssd");
  CHECK(c->spec.resources->at("requests")["cpu"] == "1");
  CHECK(c->status.instances_status->at("failed") == std::vector<std::string>{"pg-2"});
  CHECK(c->status.instances_reported_state->at("pg-1").timeline_id == 2);
  CHECK(c->status.conditions->at(0).reason == "ClusterIsReady");
  auto fenced = FencedInstances(*c);
  REQUIRE(fenced.ok());
  CHECK(*fenced == std::vector<std::string>{"pg-2"});

  c->spec.synchronous->number = 2;
  c->status.conditions->at(0).status = "False";
  c->status.instances_reported_state->at("pg-1").timeline_id = 3;
  Json out = ToJson(*c);
  CHECK(out["spec"]["postgresql"]["synchronous"]["number"] == 2);
  CHECK(out["spec"]["postgresql"]["synchronous"]["futureKnob"] == 7);
  CHECK(out["status"]["conditions"][0]["status"] == "False");
  CHECK(out["status"]["conditions"][0]["futureField"] == "x");
  CHECK(out["status"]["instancesReportedState"]["pg-1"]["timeLineID"] == 3);
  CHECK(out["status"]["instancesReportedState"]["pg-1"]["extra"] == 1);
}

TEST_CASE("A nested field of the wrong type is refused with its full path") {
  auto c = ClusterFromJson(Json::parse(
      R"({"metadata":{"name":"pg"},"spec":{"postgresql":{"synchronous":{"method":"any","number":"one"}}}})"));
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(), Catch::Contains("spec.postgresql.synchronous.number"));
}

TEST_CASE("A malformed fencedInstances annotation is an error naming the annotation") {
  auto c = ClusterFromJson(
      Json::parse(R"({"metadata":{"name":"pg","annotations":{"cnpg.io/fencedInstances":"pg-1"}}})"));
  REQUIRE(c.ok());
  auto fenced = FencedInstances(*c);
  REQUIRE_FALSE(fenced.ok());
  CHECK_THAT(fenced.status().message(), Catch::Contains("cnpg.io/fencedInstances"));
}

TEST_CASE("Synchronous replication is validated as the webhook does") {
  auto base = [] {
    return ClusterFromJson(Json::parse(
        R"({"metadata":{"name":"pg"},"spec":{"instances":3,"storage":{"size":"1Gi"},
            "postgresql":{"synchronous":{"method":"any","number":1}}}})"))
        .value();
  };
  Cluster ok = base();
  ApplyDefaults(&ok);
  CHECK(ok.spec.synchronous->data_durability == "required");
  CHECK(Validate(ok).empty());

  Cluster too_many = base();
  too_many.spec.synchronous->number = 3;
  CHECK_THAT(ValidateStatus(too_many).message(), Catch::Contains("spec.postgresql.synchronous.number"));

  Cluster both = base();
  both.spec.max_sync_replicas = 1;
  CHECK_THAT(ValidateStatus(both).message(),
             Catch::Contains("Can't have both legacy synchronous replica configuration and new one"));

  Cluster bad_method = base();
  bad_method.spec.synchronous->method = "all";
  CHECK_THAT(ValidateStatus(bad_method).message(), Catch::Contains("spec.postgresql.synchronous.method"));
}

TEST_CASE("The default image comes from the operator's configuration") {
  auto c = ClusterFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{"instances":1}})"));
  REQUIRE(c.ok());
  ApplyDefaults(&*c, ClusterDefaults{"ghcr.io/cloudnative-pg/postgresql:15.14"});
  CHECK(c->spec.image_name == "ghcr.io/cloudnative-pg/postgresql:15.14");
}

}  // namespace
}  // namespace tusk::api
