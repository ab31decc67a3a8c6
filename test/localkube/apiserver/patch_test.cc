#include "test/localkube/apiserver/patch.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

json Pod() {
  return json::parse(R"({"metadata":{"name":"p","finalizers":["a"]},
    "spec":{"containers":[{"name":"main","image":"i:1","env":[{"name":"X","value":"1"}],"ports":[{"containerPort":80}]},
                          {"name":"side","image":"s:1"}],
            "tolerations":[{"key":"k"}]}})");
}

TEST_CASE("merge patch deletes with null and replaces lists") {
  json out = ApplyMergePatch(Pod(), json::parse(R"({"metadata":{"finalizers":null},"spec":{"tolerations":[]}})"));
  CHECK_FALSE(out["metadata"].contains("finalizers"));
  CHECK(out["spec"]["tolerations"].empty());
  CHECK(out["spec"]["containers"].size() == 2);
}

TEST_CASE("json patch applies operations and reports failures") {
  std::string err;
  auto out = ApplyJsonPatch(Pod(), json::parse(R"([{"op":"replace","path":"/spec/containers/0/image","value":"i:2"}])"), &err);
  REQUIRE(out);
  CHECK((*out)["spec"]["containers"][0]["image"] == "i:2");
  CHECK_FALSE(ApplyJsonPatch(Pod(), json::parse(R"([{"op":"test","path":"/metadata/name","value":"q"}])"), &err));
  CHECK_FALSE(err.empty());
}

TEST_CASE("strategic merge patch merges lists by their merge keys") {
  std::string err;
  auto out = ApplyStrategicMergePatch(
      Pod(), json::parse(R"({"metadata":{"finalizers":["b"]},"spec":{"containers":[{"name":"main","image":"i:2",
        "env":[{"name":"Y","value":"2"}]}],"tolerations":[{"key":"z"}]}})"), &err);
  REQUIRE(out);
  const json& cs = (*out)["spec"]["containers"];
  REQUIRE(cs.size() == 2);
  CHECK(cs[0]["image"] == "i:2");
  CHECK(cs[0]["env"].size() == 2);
  CHECK(cs[0]["ports"].size() == 1);
  CHECK((*out)["metadata"]["finalizers"] == json({"a", "b"}));
  CHECK((*out)["spec"]["tolerations"] == json::parse(R"([{"key":"z"}])"));
}

TEST_CASE("strategic merge patch directives") {
  std::string err;
  auto out = ApplyStrategicMergePatch(Pod(), json::parse(R"({"spec":{"containers":[{"name":"side","$patch":"delete"}],
      "$setElementOrder/containers":[{"name":"main"}]},"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"), &err);
  REQUIRE(out);
  CHECK((*out)["spec"]["containers"].size() == 1);
  CHECK((*out)["metadata"]["finalizers"].empty());
  out = ApplyStrategicMergePatch(Pod(), json::parse(R"({"spec":{"$patch":"replace","containers":[]}})"), &err);
  REQUIRE(out);
  CHECK_FALSE((*out)["spec"].contains("tolerations"));
  CHECK(MergeKeyFor("ports", json::parse(R"([{"port":80}])")) == "port");
  CHECK(MergeKeyFor("ports", json::parse(R"([{"containerPort":80}])")) == "containerPort");
}

TEST_CASE("server-side apply tracks fields per manager") {
  json cfg = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}})");
  ApplyResult first = ServerSideApply(nullptr, cfg, "mgr", false, "t1");
  REQUIRE(first.conflicts.empty());
  CHECK(first.object["metadata"]["managedFields"][0]["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{},"f:b":{}}})"));
  ApplyResult again = ServerSideApply(first.object, cfg, "mgr", false, "t2");
  CHECK(again.object == first.object);  // a re-apply changes nothing, not even the time
  json smaller = cfg;
  smaller["data"].erase("b");
  ApplyResult dropped = ServerSideApply(first.object, smaller, "mgr", false, "t3");
  CHECK(dropped.object["data"] == json({{"a", "1"}}));
  json rival = cfg;
  rival["data"] = {{"a", "9"}};
  ApplyResult conflict = ServerSideApply(first.object, rival, "other", false, "t4");
  REQUIRE(conflict.conflicts.size() == 1);
  CHECK(conflict.conflicts[0] == "conflict with \"mgr\": .data.a");
  ApplyResult forced = ServerSideApply(first.object, rival, "other", true, "t4");
  CHECK(forced.conflicts.empty());
  CHECK(forced.object["data"]["a"] == "9");
}

}  // namespace
}  // namespace tusk::localkube
