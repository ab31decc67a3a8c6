#include "tools/crdgen/yaml_writer.h"

#include <catch2/catch.hpp>

#include "common/k8s/yaml_json.h"

namespace tusk::crdgen {
namespace {

using nlohmann::json;

TEST_CASE("block style with sequences at their key's indentation") {
  json doc = json::parse(R"({"kind":"Namespace","metadata":{"name":"tusk-system","labels":{}},
                             "rules":[{"verbs":["get","list"],"apiGroups":[""]}],"items":[]})");
  CHECK(ToYaml(doc) ==
        "items: []\n"
        "kind: Namespace\n"
        "metadata:\n"
        "  labels: {}\n"
        "  name: tusk-system\n"
        "rules:\n"
        "- apiGroups:\n"
        "  - \"\"\n"
        "  verbs:\n"
        "  - get\n"
        "  - list\n");
}

TEST_CASE("strings a YAML reader would take for something else are quoted") {
  for (const char* s : {"", "yes", "No", "on", "OFF", "true", "null", "~", "1", "0.1.0", "15.14", "-1", "1Gi",
                        "^[a-z]+$", "a: b", "#x", "- x", "{}", "line\nbreak", "quote\"d", "50m"}) {
    INFO(s);
    const std::string out = ToYaml(json({{"v", s}}));
    CHECK(out.rfind("v: \"", 0) == 0);
    auto back = k8s::YamlToJson(out);
    REQUIRE(back.ok());
    CHECK((*back)["v"] == s);
  }
  CHECK(ToYaml(json({{"v", "tusk-operator"}})) == "v: tusk-operator\n");
  CHECK(ToYaml(json({{"v", "ghcr.io/tusk-pg/tusk-operator"}})) == "v: ghcr.io/tusk-pg/tusk-operator\n");
}

TEST_CASE("a document reads back as the same JSON") {
  json doc = json::parse(R"({"spec":{"versions":[{"name":"v1","served":true,"storage":false,
    "schema":{"openAPIV3Schema":{"type":"object","properties":{"size":{"anyOf":[{"type":"integer"},{"type":"string"}],
    "pattern":"^(\\+|-)?([0-9]+)$","x-kubernetes-int-or-string":true},"n":{"type":"integer","minimum":-1,"default":26},
    "nested":[[1,2],[]],"empty":{}}}}}]}})");
  auto back = k8s::YamlToJson(ToYaml(doc));
  REQUIRE(back.ok());
  CHECK(*back == doc);
}

TEST_CASE("a stream introduces each document with ---") {
  CHECK(ToYamlStream({json({{"a", 1}}), json({{"b", 2}})}) == "---\na: 1\n---\nb: 2\n");
}

}  // namespace
}  // namespace tusk::crdgen
