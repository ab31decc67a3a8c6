// What every namespace is given: the `default` ServiceAccount and the
// kube-root-ca.crt ConfigMap, kept there by their controllers.
#include "test/localkube/apiserver/service_accounts.h"
#include "test/localkube/controllers/root_ca_publisher.h"
#include "test/localkube/controllers/service_account_controller.h"
#include "test/localkube/controllers/test_fixture.h"

namespace tusk::localkube {
namespace {

using testing::ApiFixture;

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nlocalkube\n-----END CERTIFICATE-----\n";

json Namespace(const std::string& name, bool terminating = false) {
  json ns = {{"metadata", {{"name", name}}}};
  if (terminating) ns["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z";
  return ns;
}

json ConfigMapIn(const std::string& ns, json data) {
  json cm = RootCaConfigMap(kPem);
  cm["metadata"]["namespace"] = ns;
  cm["metadata"]["resourceVersion"] = "7";
  cm["data"] = data;
  return cm;
}

TEST_CASE("root CA plan: create where missing, put back what was edited, leave the rest", "[rootca]") {
  json good = RootCaConfigMap(kPem);
  good["metadata"]["namespace"] = "ok";
  json edited = ConfigMapIn("edited", {{"ca.crt", "forged"}, {"extra", "x"}});
  edited["metadata"]["labels"] = {{"team", "a"}};
  auto writes = PlanRootCa({Namespace("ok"), Namespace("edited"), Namespace("new"), Namespace("going", true)},
                           {good, edited}, kPem);
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].ns == "edited");
  CHECK_FALSE(writes[0].create);
  CHECK(writes[0].object["data"] == json({{"ca.crt", kPem}}));
  CHECK(writes[0].object["metadata"]["resourceVersion"] == "7");  // the update is conditional
  CHECK(writes[0].object["metadata"]["labels"] == json({{"team", "a"}}));
  CHECK(writes[1].ns == "new");
  CHECK(writes[1].create);
  CHECK(writes[1].object["metadata"]["name"] == "kube-root-ca.crt");
  CHECK(writes[1].object["data"] == json({{"ca.crt", kPem}}));
  CHECK(writes[1].object["metadata"]["annotations"].contains("kubernetes.io/description"));
}

TEST_CASE("ServiceAccount plan: active namespaces without `default`", "[serviceaccount]") {
  json sa = {{"metadata", {{"name", "default"}, {"namespace", "has"}}}};
  json other = {{"metadata", {{"name", "robot"}, {"namespace", "lacks"}}}};
  CHECK(NamespacesMissingDefaultServiceAccount({Namespace("has"), Namespace("lacks"), Namespace("going", true)},
                                               {sa, other}) == std::vector<std::string>{"lacks"});
}

TEST_CASE("the publisher keeps kube-root-ca.crt in every namespace", "[rootca]") {
  ApiFixture f;
  RootCaPublisher publisher(&f.api, kPem);
  f.Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  publisher.Reconcile();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease", "team"}) {
    INFO(ns);
    json cm = f.Get("configmaps", ns, kRootCaConfigMap);
    REQUIRE(cm.is_object());
    CHECK(cm["data"] == json({{"ca.crt", kPem}}));
  }
  const std::string rv = f.Get("configmaps", "team", kRootCaConfigMap)["metadata"]["resourceVersion"];
  publisher.Reconcile();
  CHECK(f.Get("configmaps", "team", kRootCaConfigMap)["metadata"]["resourceVersion"] == rv);  // nothing rewritten

  REQUIRE(f.api.Delete("configmaps", "team", kRootCaConfigMap).ok());
  publisher.Reconcile();
  CHECK(f.Get("configmaps", "team", kRootCaConfigMap)["data"] == json({{"ca.crt", kPem}}));

  REQUIRE(f.api.Patch("configmaps", "team", kRootCaConfigMap, PatchType::kMerge, R"({"data":{"ca.crt":"forged"}})").ok());
  publisher.Reconcile();
  CHECK(f.Get("configmaps", "team", kRootCaConfigMap)["data"] == json({{"ca.crt", kPem}}));
}

TEST_CASE("a deleted default ServiceAccount comes back", "[serviceaccount]") {
  ApiFixture f;
  ServiceAccountController controller(&f.api);
  REQUIRE(f.api.Delete("serviceaccounts", "default", "default").ok());
  CHECK_FALSE(f.Get("serviceaccounts", "default", "default").is_object());
  controller.Reconcile();
  CHECK(f.Get("serviceaccounts", "default", "default").is_object());
}

}  // namespace
}  // namespace tusk::localkube
