#include "tools/crdgen/install.h"

#include <set>

#include <catch2/catch.hpp>

#include "common/k8s/yaml_json.h"
#include "tools/crdgen/manifest.h"

namespace tusk::crdgen {
namespace {

InstallOptions Options() {
  InstallOptions o;
  o.version = "0.1.0";
  return o;
}

// The verbs the ClusterRole grants on group/resource.
std::set<std::string> Verbs(const Json& role, const std::string& group, const std::string& resource) {
  std::set<std::string> out;
  for (const auto& rule : role["rules"]) {
    bool g = false, r = false;
    for (const auto& x : rule["apiGroups"]) g = g || x == group;
    for (const auto& x : rule["resources"]) r = r || x == resource;
    if (g && r) {
      for (const auto& v : rule["verbs"]) out.insert(v.get<std::string>());
    }
  }
  return out;
}

TEST_CASE("the ClusterRole grants what the operator needs and no more") {
  const Json role = ClusterRole();
  const std::set<std::string> all = {"get", "list", "watch", "create", "update", "patch", "delete"};
  for (const char* r : {"pods", "persistentvolumeclaims", "services", "secrets", "configmaps", "serviceaccounts"}) {
    CHECK(Verbs(role, "", r) == all);
  }
  CHECK(Verbs(role, "batch", "jobs") == all);
  CHECK(Verbs(role, "policy", "poddisruptionbudgets") == all);
  CHECK(Verbs(role, "rbac.authorization.k8s.io", "roles") == all);
  CHECK(Verbs(role, "rbac.authorization.k8s.io", "rolebindings") == all);
  CHECK(Verbs(role, "", "nodes") == std::set<std::string>{"get", "list", "watch"});
  CHECK(Verbs(role, "", "events") == std::set<std::string>{"create", "patch"});
  CHECK(Verbs(role, "coordination.k8s.io", "leases") == std::set<std::string>{"get", "create", "update"});
  const std::set<std::string> read_write = {"get", "list", "watch", "update", "patch"};
  for (const char* r : {"clusters", "poolers", "scheduledbackups", "imagecatalogs", "clusterimagecatalogs", "databases",
                        "publications", "subscriptions", "failoverquorums"}) {
    INFO(r);
    CHECK(Verbs(role, "postgresql.cnpg.io", r) == read_write);
    CHECK(Verbs(role, "postgresql.cnpg.io", std::string(r) + "/finalizers") == std::set<std::string>{"update", "patch"});
  }
  CHECK(Verbs(role, "postgresql.cnpg.io", "backups") ==
        std::set<std::string>{"get", "list", "watch", "update", "patch", "create", "delete"});
  CHECK(Verbs(role, "postgresql.cnpg.io", "clusters/status") == std::set<std::string>{"update", "patch"});
  CHECK(Verbs(role, "postgresql.cnpg.io", "imagecatalogs/status").empty());  // it has no status subresource
  CHECK(Verbs(role, "barmancloud.cnpg.io", "objectstores") == read_write);
  CHECK(Verbs(role, "barmancloud.cnpg.io", "objectstores/status") == std::set<std::string>{"update", "patch"});
  CHECK(Verbs(role, "", "nodes/proxy").empty());
  for (const auto& rule : role["rules"]) {
    for (const auto& x : rule["resources"]) CHECK(x != "*");
    for (const auto& x : rule["verbs"]) CHECK(x != "*");
  }
}

TEST_CASE("the Deployment runs the operator image of this version") {
  const Json d = Deployment(Options());
  CHECK(d["metadata"]["namespace"] == "tusk-system");
  CHECK(d["spec"]["replicas"] == 1);
  const Json& pod = d["spec"]["template"]["spec"];
  CHECK(pod["serviceAccountName"] == "tusk-operator");
  CHECK(pod["securityContext"]["runAsNonRoot"] == true);
  CHECK(pod["securityContext"]["runAsUser"] == 10001);
  const Json& c = pod["containers"][0];
  CHECK(c["image"] == "ghcr.io/tusk-pg/tusk-operator:0.1.0");
  CHECK(c["command"] == Json({"tusk-operator"}));
  CHECK(c["args"] == Json({"--leader-elect"}));
  CHECK(c["env"][0] == Json({{"name", "POSTGRES_IMAGE_NAME"}, {"value", "ghcr.io/cloudnative-pg/postgresql:15.14"}}));
  CHECK(c["env"][1] == Json({{"name", "OPERATOR_IMAGE_NAME"}, {"value", "ghcr.io/tusk-pg/tusk-operator:0.1.0"}}));
  CHECK(c["env"][2]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace");
  CHECK(c["ports"] == Json::parse(R"([{"name":"metrics","containerPort":8080,"protocol":"TCP"},
                                      {"name":"health","containerPort":8081,"protocol":"TCP"}])"));
  CHECK(c["livenessProbe"]["httpGet"] == Json({{"path", "/healthz"}, {"port", "health"}}));
  CHECK(c["readinessProbe"]["httpGet"] == Json({{"path", "/readyz"}, {"port", "health"}}));
  CHECK(c["resources"] == Json::parse(R"({"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"256Mi"}})"));
  CHECK(d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] ==
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]);
}

TEST_CASE("the manifest installs in dependency order") {
  std::vector<std::string> kinds;
  for (const auto& o : OperatorManifest(Options())) kinds.push_back(o["kind"]);
  REQUIRE(kinds.size() == 16);
  CHECK(kinds.front() == "Namespace");
  for (size_t i = 1; i <= 11; ++i) CHECK(kinds[i] == "CustomResourceDefinition");
  CHECK(std::vector<std::string>(kinds.end() - 4, kinds.end()) ==
        std::vector<std::string>{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"});
}

TEST_CASE("every document of the manifest reads back as the object it was written from") {
  const std::string text = RenderManifest(Options());
  const auto objects = OperatorManifest(Options());
  size_t at = text.find("---\n");
  for (const auto& o : objects) {
    REQUIRE(at != std::string::npos);
    size_t next = text.find("\n---\n", at);
    std::string doc = text.substr(at + 4, next == std::string::npos ? std::string::npos : next + 1 - at - 4);
    auto back = k8s::YamlToJson(doc);
    REQUIRE(back.ok());
    CHECK(*back == o);
    at = next == std::string::npos ? next : next + 1;
  }
  CHECK(at == std::string::npos);
}

TEST_CASE("a stale checked-in manifest is reported with the command that fixes it") {
  CHECK(CompareManifest("manifests/operator.yaml", "a\nb\n", "a\nb\n").ok());
  Status s = CompareManifest("manifests/operator.yaml", "a\nb\nc\n", "a\nB\nc\n");
  CHECK(s.message().rfind("manifests/operator.yaml is out of date: run cmake --build build --target manifests", 0) == 0);
  CHECK(s.message().find("line 2") != std::string::npos);
}

}  // namespace
}  // namespace tusk::crdgen
