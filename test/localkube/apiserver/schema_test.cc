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

// The shape of a CloudNativePG Cluster's storage, probes and extensions.
json ClusterSchema() {
  return json::parse(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
    "storage":{"type":"object","properties":{
      "size":{"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true,
              "pattern":"^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"},
      "resizeInUseVolumes":{"type":"boolean","default":true}}},
    "replicas":{"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true,"minimum":1},
    "slots":{"type":"object","default":{"highAvailability":{"enabled":true}},"properties":{
      "highAvailability":{"type":"object","properties":{"enabled":{"type":"boolean"},
                                                       "slotPrefix":{"type":"string","default":"_cnpg_"}}},
      "updateInterval":{"type":"integer","default":30}}},
    "logLevel":{"type":"string","default":"info"},
    "extensions":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                  "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"image":{"type":"string"}}}},
    "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
             "items":{"type":"object","required":["port"],"properties":{"port":{"type":"integer"},
                                                                      "protocol":{"type":"string","default":"TCP"}}}},
    "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}}})");
}

TEST_CASE("int-or-string values still meet the checks that fit them") {
  json obj = json::parse(R"({"spec":{"storage":{"size":"1Gb"},"replicas":0}})");
  CHECK(Messages(ApplySchema(obj, ClusterSchema())) ==
        std::vector<std::string>{
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
            "spec.storage.size: Invalid value: \"1Gb\": spec.storage.size in body should match '" +
                ClusterSchema()["properties"]["spec"]["properties"]["storage"]["properties"]["size"]["pattern"]
                    .get<std::string>() +
                "'"});
  for (const char* ok : {R"("1Gi")", R"("500M")", R"("1.5Gi")", "1073741824", R"("2e3")"}) {
    obj = json::parse(std::string(R"({"spec":{"storage":{"size":)") + ok + "}}}");
    INFO(ok);
    CHECK(ApplySchema(obj, ClusterSchema()).errors.empty());
  }
}

TEST_CASE("defaults reach nested fields of defaulted and present parents only") {
  json obj = json::parse(R"({"spec":{}})");
  CHECK(ApplySchema(obj, ClusterSchema()).errors.empty());
  CHECK(obj["spec"]["slots"] == json::parse(R"({"highAvailability":{"enabled":true,"slotPrefix":"_cnpg_"},
                                                "updateInterval":30})"));
  CHECK_FALSE(obj["spec"].contains("storage"));  // no parent, no resizeInUseVolumes
  obj = json::parse(R"({"spec":{"storage":{"size":"1Gi"}}})");
  ApplySchema(obj, ClusterSchema());
  CHECK(obj["spec"]["storage"]["resizeInUseVolumes"] == true);
}

TEST_CASE("a null field is dropped, and defaulted when it has a default") {
  json obj = json::parse(R"({"spec":{"logLevel":null,"storage":null,"tags":null}})");
  SchemaOutcome out = ApplySchema(obj, ClusterSchema());
  CHECK(out.errors.empty());
  CHECK(out.pruned.empty());
  CHECK(obj["spec"]["logLevel"] == "info");
  CHECK_FALSE(obj["spec"].contains("storage"));
  CHECK_FALSE(obj["spec"].contains("tags"));
}

TEST_CASE("list-map keys and set items must be unique") {
  json obj = json::parse(R"({"spec":{"extensions":[{"name":"a"},{"name":"b","image":"x"},{"name":"a","image":"y"}],
    "ports":[{"port":5432},{"port":5432,"protocol":"UDP"},{"port":5432,"protocol":"TCP"}],"tags":["x","y","x"]}})");
  CHECK(Messages(ApplySchema(obj, ClusterSchema())) ==
        std::vector<std::string>{
            "spec.extensions[2]: Duplicate value: map[string]interface {}{\"name\":\"a\"}",
            "spec.ports[2]: Duplicate value: map[string]interface {}{\"port\":5432, \"protocol\":\"TCP\"}",
            "spec.tags[2]: Duplicate value: \"x\""});
}

}  // namespace
}  // namespace tusk::localkube
