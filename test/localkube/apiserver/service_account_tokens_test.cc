// TokenRequest and bound-token authentication, at explicit times.
#include <catch2/catch.hpp>

#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;
using std::chrono::seconds;

struct Fixture {
  explicit Fixture(TokenLifetimes lifetimes = {}) : tokens("key", lifetimes), api(&store, &registry, &tokens) {
    REQUIRE(api.Bootstrap().ok());
  }
  json CreatePod(const std::string& name, const std::string& sa = "default") {
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}},
                {"spec", {{"serviceAccountName", sa}, {"containers", json::array({{{"name", "c"}, {"image", "i"}}})}}}};
    auto created = api.Create("pods", "default", pod);
    REQUIRE(created.ok());
    return created->object;
  }
  static json Request(json spec) {
    return {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", spec}};
  }
  static json BoundTo(const json& pod, int64_t seconds = 3600) {
    return Request({{"expirationSeconds", seconds},
                    {"boundObjectRef", {{"kind", "Pod"}, {"apiVersion", "v1"}, {"name", pod["metadata"]["name"]},
                                        {"uid", pod["metadata"]["uid"]}}}});
  }
  std::string Token(const json& request, WallTime now, const std::string& sa = "default") {
    auto out = api.CreateToken("default", sa, request, now);
    INFO((out.ok() ? std::string() : out.error().message));
    REQUIRE(out.ok());
    return out->object["status"]["token"];
  }
  bool Authenticates(const std::string& token, WallTime now) { return api.AuthenticateToken(token, now).has_value(); }

  Store store;
  Registry registry;
  TokenAuthority tokens;
  Api api;
  const WallTime t0 = WallTime(seconds(1'800'000'000));
};

TEST_CASE("service account tokens verify from issue until they expire, with what they are bound to", "[tokens]") {
  TokenAuthority t("secret");
  ServiceAccountClaims c;
  c.ns = "ns";
  c.name = "sa";
  c.uid = "uid-1";
  c.audiences = {"aud"};
  c.expires = 2000;
  c.pod = BoundObject{"web", "pod-uid"};
  std::string token = t.Issue(c, 1000);
  auto ok = t.Verify(token, 1500);
  REQUIRE(ok);
  CHECK(ok->name == "sa");
  CHECK(ok->audiences == std::vector<std::string>{"aud"});
  REQUIRE(ok->pod);
  CHECK(ok->pod->uid == "pod-uid");
  CHECK_FALSE(ok->secret);
  CHECK_FALSE(t.Verify(token, 999));   // not before it was issued
  CHECK_FALSE(t.Verify(token, 2000));  // expired
  CHECK_FALSE(TokenAuthority("other").Verify(token, 1500));
}

TEST_CASE("TokenRequest defaults, and the lifetime is checked and capped", "[tokens]") {
  Fixture f(TokenLifetimes{600, 20});
  SECTION("defaults: an hour asked, the API server's audience") {
    Fixture open;
    auto out = open.api.CreateToken("default", "default", Fixture::Request(json::object()), open.t0);
    REQUIRE(out.ok());
    CHECK(out->object["spec"]["expirationSeconds"] == 3600);
    CHECK(out->object["spec"]["audiences"] == json::array({kApiAudience}));
    CHECK(out->object["status"]["expirationTimestamp"] == FormatRfc3339(open.t0 + seconds(3600)));
    CHECK(out->warnings.empty());
  }
  SECTION("below the minimum: 422 with kube-apiserver's message") {
    auto out = f.api.CreateToken("default", "default", Fixture::Request({{"expirationSeconds", 10}}), f.t0);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == 422);
    CHECK(out.error().message ==
          "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 10: may not "
          "specify a duration less than 10 minutes");
  }
  SECTION("above the maximum: shortened, with a warning, and the token ends then") {
    auto out = f.api.CreateToken("default", "default", Fixture::Request({{"expirationSeconds", 3607}}), f.t0);
    REQUIRE(out.ok());
    CHECK(out->object["spec"]["expirationSeconds"] == 20);
    CHECK(out->object["status"]["expirationTimestamp"] == FormatRfc3339(f.t0 + seconds(20)));
    CHECK(out->warnings == std::vector<std::string>{"requested expiration of 3607 seconds shortened to 20 seconds"});
    const std::string token = out->object["status"]["token"];
    CHECK(f.Authenticates(token, f.t0 + seconds(19)));
    CHECK_FALSE(f.Authenticates(token, f.t0 + seconds(20)));
  }
  SECTION("no ServiceAccount, no token") {
    auto out = f.api.CreateToken("default", "ghost", Fixture::Request(json::object()), f.t0);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().message == "serviceaccounts \"ghost\" not found");
  }
}

TEST_CASE("a token bound to a pod works as its ServiceAccount until the pod is gone", "[tokens]") {
  Fixture f;
  json pod = f.CreatePod("web");
  const std::string token = f.Token(Fixture::BoundTo(pod), f.t0);
  auto user = f.api.AuthenticateToken(token, f.t0 + seconds(1));
  REQUIRE(user.has_value());
  CHECK(user->name == "system:serviceaccount:default:default");
  CHECK(user->groups == std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:default",
                                                 "system:authenticated"});
  auto claims = f.tokens.Verify(token, 1'800'000'001);
  REQUIRE(claims);
  REQUIRE(claims->pod);
  CHECK(claims->pod->uid == pod["metadata"]["uid"]);
  CHECK_FALSE(f.Authenticates(token, f.t0 + seconds(3600)));  // expired

  DeleteOptions now;
  now.grace_period_seconds = 0;
  REQUIRE(f.api.Delete("pods", "default", "web", now).ok());
  CHECK_FALSE(f.Authenticates(token, f.t0 + seconds(1)));
  // A new pod of the same name is another object: the old token stays dead.
  f.CreatePod("web");
  CHECK_FALSE(f.Authenticates(token, f.t0 + seconds(1)));
}

TEST_CASE("a terminating pod's token works until a minute past its deletionTimestamp", "[tokens]") {
  Fixture f;
  json pod = f.CreatePod("slow");
  pod["spec"]["nodeName"] = "node-1";  // a bound pod is deleted gracefully
  REQUIRE(f.api.Update("pods", "default", "slow", pod).ok());
  const WallTime now = std::chrono::system_clock::now();
  const std::string token = f.Token(Fixture::BoundTo(pod), now);
  DeleteOptions grace;
  grace.grace_period_seconds = 30;
  REQUIRE(f.api.Delete("pods", "default", "slow", grace).ok());
  auto deleting = ParseRfc3339(StrAt(*f.store.Get("pods", "default", "slow"), "/metadata/deletionTimestamp"_json_pointer));
  REQUIRE(deleting);
  CHECK(f.Authenticates(token, *deleting + seconds(59)));
  CHECK_FALSE(f.Authenticates(token, *deleting + seconds(60)));
}

TEST_CASE("a token stops working with its ServiceAccount, and only works for the API server's audience", "[tokens]") {
  Fixture f;
  REQUIRE(f.api.Create("serviceaccounts", "default",
                       {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "robot"}}}})
              .ok());
  const std::string token = f.Token(Fixture::Request(json::object()), f.t0, "robot");
  const std::string elsewhere = f.Token(Fixture::Request({{"audiences", json::array({"vault"})}}), f.t0, "robot");
  CHECK(f.Authenticates(token, f.t0));
  CHECK_FALSE(f.Authenticates(elsewhere, f.t0));
  CHECK_FALSE(f.Authenticates(token + "x", f.t0));
  REQUIRE(f.api.Delete("serviceaccounts", "default", "robot").ok());
  CHECK_FALSE(f.Authenticates(token, f.t0));
}

TEST_CASE("TokenRequest refuses bindings kube-apiserver refuses", "[tokens]") {
  Fixture f;
  REQUIRE(f.api.Create("serviceaccounts", "default",
                       {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "other"}}}})
              .ok());
  json pod = f.CreatePod("runs-as-default");
  auto wrong_sa = f.api.CreateToken("default", "other", Fixture::BoundTo(pod), f.t0);
  REQUIRE_FALSE(wrong_sa.ok());
  CHECK(wrong_sa.error().code == 400);
  CHECK(wrong_sa.error().message ==
        "cannot bind token for serviceaccount \"other\" to pod running with different serviceaccount name.");
  json stale = pod;
  stale["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
  auto wrong_uid = f.api.CreateToken("default", "default", Fixture::BoundTo(stale), f.t0);
  REQUIRE_FALSE(wrong_uid.ok());
  CHECK(wrong_uid.error().code == 409);
  json gone = pod;
  gone["metadata"]["name"] = "gone";
  auto missing = f.api.CreateToken("default", "default", Fixture::BoundTo(gone), f.t0);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "pods \"gone\" not found");
  auto kind = f.api.CreateToken(
      "default", "default",
      Fixture::Request({{"boundObjectRef", {{"kind", "ConfigMap"}, {"apiVersion", "v1"}, {"name", "x"}}}}), f.t0);
  REQUIRE_FALSE(kind.ok());
  CHECK(kind.error().message == "cannot bind token to object of type /v1, Kind=ConfigMap");
}

}  // namespace
}  // namespace tusk::localkube
