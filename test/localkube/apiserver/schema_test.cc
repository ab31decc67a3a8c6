#include "test/localkube/apiserver/schema.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

json Schema() {
  return json::parse(R"({"type":"object","properties":{"spec":{"type":"object","required":["size"],"properties":{
    "size":{"type":"integer","minimum":1,"maximum":10},
    "mode":{"type":"string","enum":["a","b"],"default":"a"},
    "name":{"type":"string","maxLength":3,"pattern":"^[a-z]+$"},
    "tags":{"type":"array","maxItems":1,"items":{"type":"string"}},
    "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
    "port":{"x-kubernetes-int-or-string":true},
    "note":{"type":"string","nullable":true}}}}})");
}

std::vector<std::string> Messages(const SchemaOutcome& o) {
  std::vector<std::string> out;
  for (const auto& e : o.errors) out.push_back(FieldErrorText(e));
  return out;
}

TEST_CASE("defaults and pruning") {
  json obj = json::parse(R"({"apiVersion":"x/v1","kind":"W","metadata":{"name":"w"},"top":1,
    "spec":{"size":2,"bogus":true,"free":{"any":{"thing":1}},"port":"http","note":null}})");
  SchemaOutcome out = ApplySchema(obj, Schema());
  CHECK(out.errors.empty());
  CHECK(obj["spec"]["mode"] == "a");
  CHECK_FALSE(obj["spec"].contains("bogus"));
  CHECK_FALSE(obj.contains("top"));
  CHECK(obj["spec"]["free"]["any"]["thing"] == 1);
  CHECK(out.pruned == std::vector<std::string>{"spec.bogus", "top"});
  CHECK(obj["metadata"]["name"] == "w");
}

TEST_CASE("validation errors use Kubernetes wording") {
  json obj = json::parse(R"({"spec":{"size":"x","mode":"c","name":"Toolong","tags":["a","b"],"port":1.5}})");
  auto msgs = Messages(ApplySchema(obj, Schema()));
  CHECK_THAT(msgs, Catch::Matchers::VectorContains(std::string(
                       "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"")));
  CHECK_THAT(msgs, Catch::Matchers::VectorContains(std::string(
                       "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"")));
  CHECK_THAT(msgs, Catch::Matchers::VectorContains(std::string("spec.name: Too long: may not be more than 3 bytes")));
  CHECK_THAT(msgs, Catch::Matchers::VectorContains(std::string(
                       "spec.name: Invalid value: \"Toolong\": spec.name in body should match '^[a-z]+$'")));
  CHECK_THAT(msgs, Catch::Matchers::VectorContains(std::string("spec.tags: Too many: 2: must have at most 1 items")));
  obj = json::parse(R"({"spec":{"size":0}})");
  CHECK(Messages(ApplySchema(obj, Schema())) ==
        std::vector<std::string>{"spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"});
  obj = json::parse(R"({"spec":{}})");
  CHECK(Messages(ApplySchema(obj, Schema())) == std::vector<std::string>{"spec.size: Required value"});
}

}  // namespace
}  // namespace tusk::localkube
