#include "common/api/schema/node.h"

#include <catch2/catch.hpp>

namespace tusk::api::schema {
namespace {

TEST_CASE("Object lists the fields marked required") {
  Node n = Object({{"name", Str().Required()}, {"key", Str()}, {"size", Int().Min(1).Required()}});
  CHECK(n.json()["type"] == "object");
  CHECK(n.json()["required"] == Json({"name", "size"}));
  CHECK(n.json()["properties"]["size"] == Json({{"type", "integer"}, {"minimum", 1}}));
  CHECK_FALSE(Object({{"a", Str()}}).json().contains("required"));
}

TEST_CASE("a quantity is int-or-string with Kubernetes' quantity pattern") {
  const Json q = Quantity().json();
  CHECK(q["x-kubernetes-int-or-string"] == true);
  CHECK(q["anyOf"] == Json::parse(R"([{"type":"integer"},{"type":"string"}])"));
  CHECK_FALSE(q.contains("type"));
  CHECK(q["pattern"].get<std::string>().find("[KMGTPE]i") != std::string::npos);
}

TEST_CASE("list-maps, maps, embedded types and CEL rules") {
  const Json lm = ListMap(Object({{"name", Str().Required()}}), {"name"}).json();
  CHECK(lm["x-kubernetes-list-type"] == "map");
  CHECK(lm["x-kubernetes-list-map-keys"] == Json({"name"}));
  CHECK(StrMap().json() == Json::parse(R"({"type":"object","additionalProperties":{"type":"string"}})"));
  const Json e = Embedded("core/v1 Toleration").json();
  CHECK(e["x-kubernetes-preserve-unknown-fields"] == true);
  CHECK(e["type"] == "object");
  CHECK(EmbeddedList("core/v1 EnvVar").json()["items"]["x-kubernetes-preserve-unknown-fields"] == true);
  const Json r = Str().Rule("self == oldSelf", "x is immutable").Rule("self != ''", "x is required").json();
  CHECK(r["x-kubernetes-validations"].size() == 2);
  CHECK(r["x-kubernetes-validations"][0]["message"] == "x is immutable");
}

TEST_CASE("CountFields tells spelled-out fields from pass-through ones") {
  Node spec = Object({
      {"size", Quantity()},
      {"labels", StrMap()},
      {"tolerations", EmbeddedList("core/v1 Toleration")},
      {"resources", Embedded("core/v1 ResourceRequirements")},
      {"roles", List(Object({{"name", Str()}, {"login", Bool()}}))},
      {"byStatus", MapOf(Object({{"id", Int()}}))},
  });
  FieldCount c = CountFields(spec.json());
  CHECK(c.spelled == 7);  // size, labels, roles, roles.name, roles.login, byStatus, byStatus.id
  CHECK(c.preserved == 2);
}

TEST_CASE("Root holds the type fields, a required spec and the status") {
  Node spec = Object({{"x", Str()}});
  Node status = Object({{"y", Str()}});
  const Json root = Root("A thing.", &spec, &status, true).json();
  CHECK(root["description"] == "A thing.");
  CHECK(root["required"] == Json({"spec"}));
  for (const char* k : {"apiVersion", "kind", "metadata", "spec", "status"}) CHECK(root["properties"].contains(k));
  CHECK_FALSE(Root("status only", nullptr, &status, true).json()["properties"].contains("spec"));
}

}  // namespace
}  // namespace tusk::api::schema
