#include "common/api/schema/crds.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "common/api/backup.h"
#include "common/api/cluster.h"
#include "common/api/image_catalog.h"
#include "common/api/object_store.h"
#include "common/api/pooler.h"
#include "common/api/schema/values.h"

namespace tusk::api::schema {
namespace {

std::map<std::string, Json> CrdsByKind() {
  std::map<std::string, Json> out;
  for (const auto& crd : Crds()) out[crd["spec"]["names"]["kind"]] = crd;
  return out;
}

const Json& SchemaOf(const std::string& kind) {
  static const std::map<std::string, Json> crds = CrdsByKind();
  return crds.at(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

bool TypeMatches(const Json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  return true;
}

// The rules kube-apiserver holds a CRD's schema to (structural schema,
// list-map keys, defaults of the node's own type) that a typo here breaks.
void CheckStructural(const Json& n, const std::string& path, std::vector<std::string>* problems) {
  const bool int_or_string = n.value("x-kubernetes-int-or-string", false);
  const std::string type = n.value("type", "");
  if (!int_or_string && type.empty()) problems->push_back(path + ": no type");
  if (n.value("x-kubernetes-preserve-unknown-fields", false) && type != "object") {
    problems->push_back(path + ": preserve-unknown-fields on a non-object");
  }
  if (n.contains("properties") && n.contains("additionalProperties")) {
    problems->push_back(path + ": properties and additionalProperties together");
  }
  for (const auto& r : n.value("required", Json::array())) {
    if (!n["properties"].contains(r.get<std::string>())) problems->push_back(path + ": required " + r.dump() + " unknown");
  }
  if (n.value("x-kubernetes-list-type", "") == "map") {
    const Json& item = n["items"];
    const Json required = item.value("required", Json::array());
    for (const auto& k : n["x-kubernetes-list-map-keys"]) {
      bool ok = std::find(required.begin(), required.end(), k) != required.end() ||
                item["properties"][k.get<std::string>()].contains("default");
      if (!ok) problems->push_back(path + ": list-map key " + k.dump() + " neither required nor defaulted");
    }
  }
  if (n.contains("default") && !type.empty() && !TypeMatches(n["default"], type)) {
    problems->push_back(path + ": default of the wrong type");
  }
  for (const auto& e : n.value("enum", Json::array())) {
    if (!TypeMatches(e, type)) problems->push_back(path + ": enum value " + e.dump() + " of the wrong type");
  }
  if (auto p = n.find("properties"); p != n.end()) {
    for (const auto& [k, child] : p->items()) CheckStructural(child, path + "." + k, problems);
  }
  if (auto i = n.find("items"); i != n.end()) CheckStructural(*i, path + "[]", problems);
  if (auto a = n.find("additionalProperties"); a != n.end() && a->is_object()) CheckStructural(*a, path + "{}", problems);
}

TEST_CASE("every CRD's schema is structural, as kube-apiserver requires") {
  for (const auto& crd : Crds()) {
    std::vector<std::string> problems;
    CheckStructural(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], crd["metadata"]["name"], &problems);
    INFO(crd["metadata"]["name"]);
    CHECK(problems == std::vector<std::string>{});
  }
}

TEST_CASE("names, scope and subresources are CloudNativePG's") {
  auto crds = CrdsByKind();
  CHECK(crds.size() == 11);
  for (const auto& [kind, crd] : crds) {
    INFO(kind);
    const Json& names = crd["spec"]["names"];
    CHECK(crd["metadata"]["name"] == names["plural"].get<std::string>() + "." + crd["spec"]["group"].get<std::string>());
    CHECK(crd["spec"]["scope"] == (kind == "ClusterImageCatalog" ? "Cluster" : "Namespaced"));
    const Json subs = crd["spec"]["versions"][0].value("subresources", Json::object());
    CHECK(subs.contains("status") == (kind != "ImageCatalog" && kind != "ClusterImageCatalog"));
  }
  CHECK(crds["Cluster"]["spec"]["names"]["plural"] == "clusters");
  CHECK(crds["ObjectStore"]["spec"]["group"] == "barmancloud.cnpg.io");
  CHECK(crds["Cluster"]["spec"]["versions"][0]["subresources"]["scale"] ==
        Json::parse(R"({"specReplicasPath":".spec.instances","statusReplicasPath":".status.instances",
                        "labelSelectorPath":".status.selector"})"));
  CHECK(crds["Pooler"]["spec"]["versions"][0]["subresources"]["scale"] ==
        Json::parse(R"({"specReplicasPath":".spec.instances","statusReplicasPath":".status.instances"})"));
}

TEST_CASE("printer columns are CloudNativePG's") {
  auto crds = CrdsByKind();
  auto columns = [&](const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& c : crds[kind]["spec"]["versions"][0]["additionalPrinterColumns"]) {
      if (c.value("priority", 0) == 0) out.push_back(c["name"]);
    }
    return out;
  };
  CHECK(columns("Cluster") == std::vector<std::string>{"Age", "Instances", "Ready", "Status", "Primary"});
  CHECK(columns("Pooler") == std::vector<std::string>{"Age", "Cluster", "Type", "Phase"});
  CHECK(columns("Backup") == std::vector<std::string>{"Age", "Cluster", "Method", "Phase", "Error"});
  CHECK(columns("ScheduledBackup") == std::vector<std::string>{"Age", "Cluster", "Last Backup"});
  CHECK(columns("Database") == std::vector<std::string>{"Age", "Cluster", "PG Name", "Applied", "Message"});
  CHECK(columns("ClusterImageCatalog") == std::vector<std::string>{"Age"});
}

const Json* At(const Json& schema, const std::string& path) {
  const Json* n = &schema;
  std::istringstream in(path);
  std::string seg;
  while (std::getline(in, seg, '/')) {
    if (seg.empty()) continue;
    // Inside an embedded Kubernetes type every field is accepted.
    if (n->value("x-kubernetes-preserve-unknown-fields", false)) return n;
    if (seg == "*") {
      if (!n->contains("items")) return nullptr;
      n = &(*n)["items"];
      continue;
    }
    auto props = n->find("properties");
    if (props == n->end() || !props->contains(seg)) return nullptr;
    n = &(*props)[seg];
  }
  return n;
}

TEST_CASE("CRD defaults are CloudNativePG's") {
  struct Case {
    const char* kind;
    const char* path;
    Json value;
  };
  const std::vector<Case> cases = {
      {"Cluster", "/spec/instances", 1},
      {"Cluster", "/spec/postgresUID", 26},
      {"Cluster", "/spec/minSyncReplicas", 0},
      {"Cluster", "/spec/startDelay", 3600},
      {"Cluster", "/spec/stopDelay", 1800},
      {"Cluster", "/spec/smartShutdownTimeout", 180},
      {"Cluster", "/spec/switchoverDelay", 3600},
      {"Cluster", "/spec/failoverDelay", 0},
      {"Cluster", "/spec/primaryUpdateStrategy", "unsupervised"},
      {"Cluster", "/spec/primaryUpdateMethod", "restart"},
      {"Cluster", "/spec/logLevel", "info"},
      {"Cluster", "/spec/enableSuperuserAccess", false},
      {"Cluster", "/spec/enablePDB", true},
      {"Cluster", "/spec/storage/resizeInUseVolumes", true},
      {"Cluster", "/spec/replicationSlots", Json::parse(R"({"highAvailability":{"enabled":true}})")},
      {"Cluster", "/spec/replicationSlots/highAvailability/slotPrefix", "_cnpg_"},
      {"Cluster", "/spec/replicationSlots/updateInterval", 30},
      {"Cluster", "/spec/backup/target", "prefer-standby"},
      {"Cluster", "/spec/backup/volumeSnapshot/snapshotOwnerReference", "none"},
      {"Cluster", "/spec/managed/roles/*/connectionLimit", -1},
      {"Cluster", "/spec/managed/services/additional/*/updateStrategy", "patch"},
      {"Cluster", "/spec/probes/liveness/isolationCheck/requestTimeout", 1000},
      {"Cluster", "/spec/primaryLease/leaseDurationSeconds", 15},
      {"Cluster", "/spec/plugins/*/enabled", true},
      {"Pooler", "/spec/type", "rw"},
      {"Pooler", "/spec/instances", 1},
      {"Pooler", "/spec/pgbouncer/poolMode", "session"},
      {"Backup", "/spec/method", "barmanObjectStore"},
      {"Backup", "/spec/onlineConfiguration/waitForArchive", true},
      {"ScheduledBackup", "/spec/backupOwnerReference", "none"},
      {"Database", "/spec/databaseReclaimPolicy", "retain"},
      {"ObjectStore", "/spec/instanceSidecarConfiguration/retentionPolicyIntervalSeconds", 1800},
  };
  for (const auto& c : cases) {
    INFO(c.kind << c.path);
    const Json* n = At(SchemaOf(c.kind), c.path);
    REQUIRE(n != nullptr);
    CHECK(n->value("default", Json()) == c.value);
  }
}

// Collects the JSON pointers a common/api type reads and writes, descending
// into lists of typed items.
template <typename T>
struct VisitableList : std::false_type {};
template <typename S>
struct VisitableList<std::vector<S>> : HasVisit<S> {};

struct Paths {
  std::string prefix;
  std::vector<std::string>* out;
  template <typename T>
  void operator()(const char* pointer, std::optional<T>&) {
    const std::string path = prefix + pointer;
    out->push_back(path);
    if constexpr (VisitableList<T>::value) {
      Paths items{path + "/*", out};
      typename T::value_type item{};
      T::value_type::Visit(items, item);
    }
  }
};

template <typename T>
std::vector<std::string> PathsOf() {
  std::vector<std::string> out;
  Paths collect{"", &out};
  T object{};
  T::Visit(collect, object);
  return out;
}

TEST_CASE("every field common/api reads or writes is in its kind's schema") {
  auto check = [](const std::string& kind, const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
      INFO(kind << p);
      CHECK(At(SchemaOf(kind), p) != nullptr);
    }
  };
  check("Cluster", PathsOf<Cluster>());
  check("Pooler", PathsOf<Pooler>());
  check("Backup", PathsOf<Backup>());
  check("ScheduledBackup", PathsOf<ScheduledBackup>());
  check("ImageCatalog", PathsOf<ImageCatalog>());
  check("ClusterImageCatalog", PathsOf<ClusterImageCatalog>());
  check("ObjectStore", PathsOf<ObjectStore>());
  CHECK(PathsOf<Cluster>().size() > 60);
}

// Whether Validate() reports `field` of a minimal Cluster with `value` set.
bool ValidateRefuses(const std::string& pointer, const std::string& value) {
  Json doc = Json::parse(R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"Cluster","metadata":{"name":"pg"},
                             "spec":{"instances":3,"storage":{"size":"1Gi"}}})");
  doc[Json::json_pointer(pointer)] = value;
  auto cluster = ClusterFromJson(doc);
  REQUIRE(cluster.ok());
  ApplyDefaults(&*cluster);
  std::string field = pointer.substr(1);
  std::replace(field.begin(), field.end(), '/', '.');
  const FieldErrors errors = Validate(*cluster);
  for (const auto& e : errors.errors()) {
    if (e.field == field) return true;
  }
  return false;
}

TEST_CASE("Validate() accepts exactly the values the CRD enums list") {
  struct Case {
    const char* pointer;
    std::vector<std::string> values;
  };
  const std::vector<Case> cases = {
      {"/spec/primaryUpdateStrategy", Strings(kPrimaryUpdateStrategies)},
      {"/spec/primaryUpdateMethod", Strings(kPrimaryUpdateMethods)},
      {"/spec/logLevel", Strings(kLogLevels)},
      {"/spec/imagePullPolicy", Strings(kImagePullPolicies)},
      {"/spec/backup/target", Strings(kBackupTargets)},
  };
  for (const auto& c : cases) {
    const Json* node = At(SchemaOf("Cluster"), c.pointer);
    REQUIRE(node != nullptr);
    CHECK((*node)["enum"] == Json(c.values));
    for (const auto& v : c.values) {
      INFO(c.pointer << " = " << v);
      CHECK_FALSE(ValidateRefuses(c.pointer, v));
    }
    INFO(c.pointer);
    CHECK(ValidateRefuses(c.pointer, "not-a-listed-value"));
  }
}

}  // namespace
}  // namespace tusk::api::schema
