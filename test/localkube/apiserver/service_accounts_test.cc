#include "test/localkube/apiserver/service_accounts.h"

#include <catch2/catch.hpp>

#include "test/localkube/apiserver/api.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

json Container(const std::string& name, json mounts = json::array()) {
  json c = {{"name", name}, {"image", "debian:bookworm"}};
  if (!mounts.empty()) c["volumeMounts"] = mounts;
  return c;
}

json PodWith(json spec) {
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}}}, {"spec", spec}};
}

TEST_CASE("admission mounts the service-account token into every container", "[serviceaccount]") {
  json pod = PodWith({{"initContainers", json::array({Container("i")})}, {"containers", json::array({Container("c")})}});
  json out = WithServiceAccountToken(pod, "abcde");
  REQUIRE(out["spec"]["volumes"].size() == 1);
  const json& v = out["spec"]["volumes"][0];
  CHECK(v["name"] == "kube-api-access-abcde");
  CHECK(v["projected"]["defaultMode"] == 420);
  const json& sources = v["projected"]["sources"];
  REQUIRE(sources.size() == 3);
  CHECK(sources[0]["serviceAccountToken"] == json({{"expirationSeconds", 3607}, {"path", "token"}}));
  CHECK(sources[1]["configMap"]["name"] == "kube-root-ca.crt");
  CHECK(sources[1]["configMap"]["items"] == json::array({{{"key", "ca.crt"}, {"path", "ca.crt"}}}));
  CHECK(sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace");
  CHECK(sources[2]["downwardAPI"]["items"][0]["path"] == "namespace");
  const json mount = {{"name", "kube-api-access-abcde"}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}};
  CHECK(out["spec"]["containers"][0]["volumeMounts"] == json::array({mount}));
  CHECK(out["spec"]["initContainers"][0]["volumeMounts"] == json::array({mount}));
}

TEST_CASE("a container with its own mount at the path keeps it, the others get the token", "[serviceaccount]") {
  const json own = {{"name", "mine"}, {"mountPath", kServiceAccountMountPath}};
  json pod = PodWith({{"containers", json::array({Container("a", json::array({own})), Container("b")})},
                      {"volumes", json::array({{{"name", "mine"}, {"emptyDir", json::object()}}})}});
  json out = WithServiceAccountToken(pod, "xyz12");
  CHECK(out["spec"]["containers"][0]["volumeMounts"] == json::array({own}));
  REQUIRE(out["spec"]["containers"][1]["volumeMounts"].size() == 1);
  CHECK(out["spec"]["containers"][1]["volumeMounts"][0]["name"] == "kube-api-access-xyz12");
  CHECK(out["spec"]["volumes"].size() == 2);

  SECTION("when every container has its own, no volume is added") {
    json all = PodWith({{"containers", json::array({Container("a", json::array({own}))})}});
    CHECK(WithServiceAccountToken(all, "xyz12") == all);
  }
}

TEST_CASE("an existing kube-api-access volume is reused, not added twice", "[serviceaccount]") {
  json once = WithServiceAccountToken(PodWith({{"containers", json::array({Container("c")})}}), "first");
  once["spec"]["containers"].push_back(Container("late"));
  json twice = WithServiceAccountToken(once, "other");
  CHECK(twice["spec"]["volumes"].size() == 1);
  CHECK(twice["spec"]["containers"][0]["volumeMounts"].size() == 1);
  CHECK(twice["spec"]["containers"][1]["volumeMounts"][0]["name"] == "kube-api-access-first");
}

TEST_CASE("automountServiceAccountToken: the pod's word, else the ServiceAccount's", "[serviceaccount]") {
  json plain = PodWith({{"containers", json::array({Container("c")})}});
  json off = plain;
  off["spec"]["automountServiceAccountToken"] = false;
  CHECK(WithServiceAccountToken(off, "x") == off);
  CHECK(WithServiceAccountToken(plain, "x", {{"automountServiceAccountToken", false}}) == plain);
  json on = plain;
  on["spec"]["automountServiceAccountToken"] = true;
  CHECK(WithServiceAccountToken(on, "x", {{"automountServiceAccountToken", false}})["spec"]["volumes"].size() == 1);
}

struct ApiFixture {
  ApiFixture() : tokens("key"), api(&store, &registry, &tokens) { REQUIRE(api.Bootstrap().ok()); }
  Store store;
  Registry registry;
  TokenAuthority tokens;
  Api api;
};

TEST_CASE("creating a pod runs ServiceAccount admission", "[serviceaccount]") {
  ApiFixture f;
  SECTION("a pod without a ServiceAccount runs as `default` with its token mounted") {
    auto created = f.api.Create("pods", "default", PodWith({{"containers", json::array({Container("c")})}}));
    REQUIRE(created.ok());
    const json& spec = created->object["spec"];
    CHECK(spec["serviceAccountName"] == "default");
    REQUIRE(spec["volumes"].size() == 1);
    const std::string volume = spec["volumes"][0]["name"];
    CHECK(volume.rfind("kube-api-access-", 0) == 0);
    CHECK(volume.size() == std::string("kube-api-access-").size() + 5);
    CHECK(spec["containers"][0]["volumeMounts"][0]["mountPath"] == kServiceAccountMountPath);
  }
  SECTION("a ServiceAccount that does not exist is refused as kube-apiserver refuses it") {
    auto refused = f.api.Create("pods", "default",
                                PodWith({{"serviceAccountName", "nope"}, {"containers", json::array({Container("c")})}}));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == 403);
    CHECK(refused.error().reason == "Forbidden");
    CHECK(refused.error().message ==
          "pods \"p\" is forbidden: error looking up service account default/nope: serviceaccount \"nope\" not found");
    CHECK_FALSE(f.store.Get("pods", "default", "p"));
    json generated = PodWith({{"serviceAccountName", "nope"}, {"containers", json::array({Container("c")})}});
    generated["metadata"] = {{"generateName", "worker-"}};
    auto named = f.api.Create("pods", "default", generated);
    REQUIRE_FALSE(named.ok());
    CHECK(named.error().message.rfind("pods \"worker-\" is forbidden: ", 0) == 0);
  }
  SECTION("a ServiceAccount that opts out mounts nothing, and CloudNativePG's explicit volume is left as it is") {
    REQUIRE(f.api.Create("serviceaccounts", "default",
                         {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "quiet"}}},
                          {"automountServiceAccountToken", false}})
                .ok());
    auto quiet = f.api.Create("pods", "default",
                              PodWith({{"serviceAccountName", "quiet"}, {"containers", json::array({Container("c")})}}));
    REQUIRE(quiet.ok());
    CHECK_FALSE(quiet->object["spec"].contains("volumes"));
    json explicit_volume = {{"name", "sa-token"},
                            {"projected", {{"sources", json::array({{{"serviceAccountToken", {{"path", "token"}}}}})}}}};
    const json mount = {{"name", "sa-token"}, {"mountPath", kServiceAccountMountPath}, {"readOnly", true}};
    json cnpg = PodWith({{"automountServiceAccountToken", false},
                         {"volumes", json::array({explicit_volume})},
                         {"containers", json::array({Container("postgres", json::array({mount}))})}});
    cnpg["metadata"]["name"] = "cnpg";
    auto kept = f.api.Create("pods", "default", cnpg);
    REQUIRE(kept.ok());
    CHECK(kept->object["spec"]["volumes"] == json::array({explicit_volume}));
    CHECK(kept->object["spec"]["containers"][0]["volumeMounts"] == json::array({mount}));
  }
}

TEST_CASE("every new namespace has the default ServiceAccount at once", "[serviceaccount]") {
  ApiFixture f;
  REQUIRE(f.api.Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "fresh"}}}})
              .ok());
  CHECK(f.store.Get("serviceaccounts", "fresh", "default"));
  CHECK(f.api.Create("pods", "fresh", PodWith({{"containers", json::array({Container("c")})}})).ok());
}

}  // namespace
}  // namespace tusk::localkube
