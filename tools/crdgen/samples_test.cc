// The samples and the kitchen-sink manifests of test/e2e/operator against
// the generated CRDs, validated by localkube's implementation of
// kube-apiserver's CRD handling: accepted whole (nothing pruned), and
// together they set every field the schemas spell out.
#include <filesystem>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "common/api/schema/crds.h"
#include "common/base/files.h"
#include "common/k8s/yaml_json.h"
#include "test/localkube/apiserver/schema.h"

namespace tusk::crdgen {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSource = TUSK_SOURCE_DIR;

const json& SchemaOf(const std::string& kind) {
  static const std::map<std::string, json> schemas = [] {
    std::map<std::string, json> out;
    for (const auto& crd : api::schema::Crds()) {
      out[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    }
    return out;
  }();
  return schemas.at(kind);
}

json Load(const std::string& path) {
  auto text = ReadFile(path);
  REQUIRE(text.ok());
  auto doc = k8s::YamlToJson(*text);
  REQUIRE(doc.ok());
  return *doc;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kSource + "/" + dir)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

localkube::SchemaOutcome Apply(json doc) {
  return localkube::ApplySchema(doc, SchemaOf(doc["kind"]));
}

std::vector<std::string> Messages(const localkube::SchemaOutcome& out) {
  std::vector<std::string> msgs;
  for (const auto& e : out.errors) msgs.push_back(localkube::FieldErrorText(e));
  for (const auto& p : out.pruned) msgs.push_back("unknown field \"" + p + "\"");
  return msgs;
}

TEST_CASE("every sample and kitchen-sink manifest is accepted with nothing pruned") {
  std::vector<std::string> files = Files("manifests/samples");
  for (const auto& f : Files("test/e2e/operator/manifests")) files.push_back(f);
  REQUIRE(files.size() >= 18);
  for (const auto& f : files) {
    INFO(f);
    CHECK(Messages(Apply(Load(f))) == std::vector<std::string>{});
  }
}

TEST_CASE("CloudNativePG's minimal sample gets the CRD defaults") {
  json doc = Load(kSource + "/manifests/samples/cluster-example.yaml");
  CHECK(localkube::ApplySchema(doc, SchemaOf("Cluster")).errors.empty());
  CHECK(doc["spec"]["instances"] == 3);
  CHECK(doc["spec"]["primaryUpdateStrategy"] == "unsupervised");
  CHECK(doc["spec"]["storage"]["resizeInUseVolumes"] == true);
  CHECK(doc["spec"]["replicationSlots"]["highAvailability"]["slotPrefix"] == "_cnpg_");
  CHECK_FALSE(doc["spec"].contains("walStorage"));
}

TEST_CASE("invalid values are refused naming the field") {
  const json base = Load(kSource + "/manifests/samples/cluster-example.yaml");
  auto with = [&](const std::string& pointer, const json& value) {
    json doc = base;
    doc[json::json_pointer(pointer)] = value;
    return Messages(Apply(doc));
  };
  CHECK(with("/spec/instances", 0) ==
        std::vector<std::string>{"spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1"});
  auto size = with("/spec/storage/size", "1Gb");
  REQUIRE(size.size() == 1);
  CHECK(size[0].rfind("spec.storage.size: Invalid value: \"1Gb\": spec.storage.size in body should match '", 0) == 0);
  CHECK(with("/spec/storage/size", 1073741824).empty());
  CHECK(with("/spec/primaryUpdateStrategy", "sometimes") ==
        std::vector<std::string>{
            "spec.primaryUpdateStrategy: Unsupported value: \"sometimes\": supported values: \"unsupervised\", \"supervised\""});
  CHECK(with("/spec/backup/retentionPolicy", "30 days") ==
        std::vector<std::string>{"spec.backup.retentionPolicy: Invalid value: \"30 days\": spec.backup.retentionPolicy in "
                                 "body should match '^[1-9][0-9]*[dwm]$'"});
  CHECK(with("/spec/replicationSlots/highAvailability/slotPrefix", "Bad-Prefix").size() == 1);
  CHECK(with("/spec/storage/sizee", "1Gi") == std::vector<std::string>{"unknown field \"spec.storage.sizee\""});
  CHECK(with("/spec/postgresql/extensions", json::parse(R"([{"name":"a","image":{"reference":"x"}},
                                                             {"name":"a","image":{"reference":"y"}}])")) ==
        std::vector<std::string>{"spec.postgresql.extensions[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}"});
}

// Field paths a schema spells out ("spec.storage.size", "spec.plugins[].name",
// "spec.tags{}"), not descending into pass-through objects.
void SchemaPaths(const json& node, const std::string& path, std::set<std::string>* out) {
  if (node.value("x-kubernetes-preserve-unknown-fields", false)) return;
  if (auto props = node.find("properties"); props != node.end()) {
    for (const auto& [k, child] : props->items()) {
      const std::string p = path + "." + k;
      if (child.value("x-kubernetes-preserve-unknown-fields", false)) {
        out->insert(p);
        continue;
      }
      out->insert(p);
      SchemaPaths(child, p, out);
    }
  }
  if (auto items = node.find("items"); items != node.end()) SchemaPaths(*items, path + "[]", out);
  if (auto extra = node.find("additionalProperties"); extra != node.end() && extra->is_object()) {
    SchemaPaths(*extra, path + "{}", out);
  }
}

// The same paths, as a document sets them.
void DocPaths(const json& node, const json& doc, const std::string& path, std::set<std::string>* out) {
  if (node.value("x-kubernetes-preserve-unknown-fields", false)) return;
  if (doc.is_object() && node.contains("properties")) {
    for (const auto& [k, v] : doc.items()) {
      if (!node["properties"].contains(k)) continue;
      out->insert(path + "." + k);
      DocPaths(node["properties"][k], v, path + "." + k, out);
    }
  } else if (doc.is_object() && node.contains("additionalProperties")) {
    for (const auto& [k, v] : doc.items()) DocPaths(node["additionalProperties"], v, path + "{}", out);
  } else if (doc.is_array() && node.contains("items")) {
    for (const auto& v : doc) DocPaths(node["items"], v, path + "[]", out);
  }
}

TEST_CASE("the kitchen-sink manifests set every spec field of every kind") {
  std::map<std::string, std::set<std::string>> set_by_kind;
  for (const auto& f : Files("test/e2e/operator/manifests")) {
    json doc = Load(f);
    const json& schema = SchemaOf(doc["kind"]);
    if (doc.contains("spec")) DocPaths(schema["properties"]["spec"], doc["spec"], "spec", &set_by_kind[doc["kind"]]);
  }
  // Fields a CEL rule forbids: in the schema for the rule's message only.
  const std::set<std::string> forbidden = {"ObjectStore spec.configuration.serverName"};
  for (const auto& k : api::schema::Kinds()) {
    if (!k.has_spec) continue;
    std::set<std::string> missing;
    SchemaPaths(SchemaOf(k.kind)["properties"]["spec"], "spec", &missing);
    for (const auto& p : set_by_kind[k.kind]) missing.erase(p);
    std::erase_if(missing, [&](const std::string& p) { return forbidden.count(k.kind + " " + p) > 0; });
    INFO(k.kind);
    CHECK(missing == std::set<std::string>{});
  }
}

}  // namespace
}  // namespace tusk::crdgen
