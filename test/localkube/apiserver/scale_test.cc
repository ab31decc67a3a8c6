#include "test/localkube/apiserver/scale.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

ResourceInfo ClusterResource() {
  ResourceInfo r;
  r.group = "postgresql.cnpg.io";
  r.resource = "clusters";
  r.kind = "Cluster";
  r.crd = true;
  r.scale = json::parse(R"({"specReplicasPath":".spec.instances","statusReplicasPath":".status.instances",
                            "labelSelectorPath":".status.selector"})");
  return r;
}

json Cluster() {
  return json::parse(R"({"metadata":{"name":"pg","namespace":"db","uid":"u1","resourceVersion":"7"},
    "spec":{"instances":3},"status":{"instances":2,"selector":"cnpg.io/cluster=pg,cnpg.io/podRole=instance"}})");
}

TEST_CASE("a custom resource's Scale reads the CRD's paths") {
  json scale = ScaleOf(Cluster(), ScalePathsOf(ClusterResource()));
  CHECK(scale["apiVersion"] == "autoscaling/v1");
  CHECK(scale["kind"] == "Scale");
  CHECK(scale["metadata"]["name"] == "pg");
  CHECK(scale["metadata"]["resourceVersion"] == "7");
  CHECK(scale["spec"]["replicas"] == 3);
  CHECK(scale["status"] == json::parse(R"({"replicas":2,"selector":"cnpg.io/cluster=pg,cnpg.io/podRole=instance"})"));
  json bare = json::parse(R"({"metadata":{"name":"pg"},"spec":{}})");
  CHECK(ScaleOf(bare, ScalePathsOf(ClusterResource()))["status"] == json::parse(R"({"replicas":0})"));
}

TEST_CASE("scaling writes the CRD's spec path and keeps the rest") {
  const ScalePaths paths = ScalePathsOf(ClusterResource());
  auto out = ApplyScale(Cluster(), json::parse(R"({"spec":{"replicas":5}})"), paths);
  REQUIRE(out.ok());
  CHECK((*out)["spec"] == json::parse(R"({"instances":5})"));
  CHECK((*out)["status"]["instances"] == 2);
  CHECK_FALSE(out->at("spec").contains("replicas"));
  auto pinned = ApplyScale(Cluster(), json::parse(R"({"metadata":{"resourceVersion":"6"},"spec":{"replicas":5}})"), paths);
  REQUIRE(pinned.ok());
  CHECK((*pinned)["metadata"]["resourceVersion"] == "6");  // the update then conflicts
  auto negative = ApplyScale(Cluster(), json::parse(R"({"spec":{"replicas":-1}})"), paths);
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().message ==
        "Scale.autoscaling \"pg\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
}

TEST_CASE("built-in workloads scale spec.replicas and report their selector") {
  ResourceInfo deployments;
  deployments.group = "apps";
  deployments.resource = "deployments";
  const json d = json::parse(R"({"metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}}},
                                 "status":{"replicas":1}})");
  const ScalePaths paths = ScalePathsOf(deployments);
  json scale = ScaleOf(d, paths);
  CHECK(scale["spec"]["replicas"] == 2);
  CHECK(scale["status"] == json::parse(R"({"replicas":1,"selector":"app=web"})"));
  auto out = ApplyScale(d, json::parse(R"({"spec":{"replicas":4}})"), paths);
  REQUIRE(out.ok());
  CHECK((*out)["spec"]["replicas"] == 4);
}

}  // namespace
}  // namespace tusk::localkube
