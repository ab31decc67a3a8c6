#include "test/localkube/runtime/service_account.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {

using nlohmann::json;

TEST_CASE("admission mounts the service-account token into every container", "[serviceaccount]") {
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec", {{"initContainers", json::array({{{"name", "i"}}})}, {"containers", json::array({{{"name", "c"}}})}}}};
  json out = WithServiceAccountToken(pod, "abcde");
  CHECK(out["spec"]["serviceAccountName"] == "default");
  REQUIRE(out["spec"]["volumes"].size() == 1);
  CHECK(out["spec"]["volumes"][0]["name"] == "kube-api-access-abcde");
  CHECK(out["spec"]["volumes"][0]["projected"]["sources"].size() == 3);
  CHECK(out["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == kServiceAccountMountPath);
  CHECK(out["spec"]["initContainers"][0]["volumeMounts"][0]["readOnly"] == true);
}

TEST_CASE("automountServiceAccountToken false leaves the pod alone", "[serviceaccount]") {
  json pod = {{"spec", {{"automountServiceAccountToken", false}, {"containers", json::array({{{"name", "c"}}})}}}};
  CHECK(WithServiceAccountToken(pod, "x") == pod);
  json plain = {{"spec", {{"containers", json::array({{{"name", "c"}}})}}}};
  CHECK(WithServiceAccountToken(plain, "x", {{"automountServiceAccountToken", false}}) == plain);
}

}  // namespace tusk::localkube
