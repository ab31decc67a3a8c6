#include "test/localkube/runtime/env.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

using nlohmann::json;

PodSpec Pod(const json& env, const json& env_from = json::array()) {
  json pod = {{"metadata", {{"name", "db-1"}, {"namespace", "prod"}, {"uid", "u-1"}, {"labels", {{"role", "primary"}}}}},
              {"spec", {{"nodeName", "node-2"},
                        {"containers", json::array({{{"name", "postgres"},
                                                      {"image", "postgresql:15"},
                                                      {"command", {"run", "--name=$(POD_NAME)", "$$(KEEP)"}},
                                                      {"args", {"$(MISSING)"}},
                                                      {"env", env},
                                                      {"envFrom", env_from}}})}}}};
  return *ParsePod(pod);
}

MapObjectSource Objects() {
  MapObjectSource o;
  o.secrets["prod/db-app"] = {{"data", {{"password", "czNjcjN0"}}}};  // "s3cr3t"
  o.config_maps["prod/settings"] = {{"data", {{"mode", "fast"}, {"level", "3"}}}};
  return o;
}

std::string Get(const EnvList& env, const std::string& name) {
  for (const auto& [n, v] : env) {
    if (n == name) return v;
  }
  return "<unset>";
}

}  // namespace

TEST_CASE("env resolves literals, fieldRefs, secret and configMap keys in order", "[env]") {
  PodSpec pod = Pod(json::parse(R"J([
    {"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
    {"name":"POD_NS","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}},
    {"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}},
    {"name":"ROLE","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['role']"}}},
    {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-app","key":"password"}}},
    {"name":"MODE","valueFrom":{"configMapKeyRef":{"name":"settings","key":"mode"}}},
    {"name":"GREETING","value":"hello $(POD_NAME)"},
    {"name":"OPTIONAL","valueFrom":{"secretKeyRef":{"name":"nope","key":"x","optional":true}}}
  ])J"));
  MapObjectSource objects = Objects();
  auto env = ResolveEnv(pod, pod.containers[0], PodRuntimeFacts{"10.244.0.7", "10.243.255.1"}, objects,
                        {{"PATH", "/bin"}});
  REQUIRE(env.ok());
  CHECK(Get(*env, "PATH") == "/bin");
  CHECK(Get(*env, "POD_NAME") == "db-1");
  CHECK(Get(*env, "POD_NS") == "prod");
  CHECK(Get(*env, "POD_IP") == "10.244.0.7");
  CHECK(Get(*env, "ROLE") == "primary");
  CHECK(Get(*env, "PASSWORD") == "s3cr3t");
  CHECK(Get(*env, "MODE") == "fast");
  CHECK(Get(*env, "GREETING") == "hello db-1");
  CHECK(Get(*env, "OPTIONAL") == "<unset>");
  CHECK(ContainerArgv(pod.containers[0], *env) ==
        std::vector<std::string>{"run", "--name=db-1", "$(KEEP)", "$(MISSING)"});
}

TEST_CASE("envFrom brings every key, with a prefix, and env overrides it", "[env]") {
  PodSpec pod = Pod(json::parse(R"([{"name":"CFG_mode","value":"slow"}])"),
                    json::parse(R"([{"configMapRef":{"name":"settings"},"prefix":"CFG_"}])"));
  MapObjectSource objects = Objects();
  auto env = ResolveEnv(pod, pod.containers[0], {}, objects, {});
  REQUIRE(env.ok());
  CHECK(Get(*env, "CFG_level") == "3");
  CHECK(Get(*env, "CFG_mode") == "slow");
}

TEST_CASE("a missing secret or key is a config error naming it", "[env]") {
  MapObjectSource objects = Objects();
  PodSpec no_secret = Pod(json::parse(R"([{"name":"P","valueFrom":{"secretKeyRef":{"name":"gone","key":"k"}}}])"));
  auto e1 = ResolveEnv(no_secret, no_secret.containers[0], {}, objects, {});
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.status().message() == "secret \"gone\" not found");
  PodSpec no_key = Pod(json::parse(R"([{"name":"P","valueFrom":{"secretKeyRef":{"name":"db-app","key":"user"}}}])"));
  auto e2 = ResolveEnv(no_key, no_key.containers[0], {}, objects, {});
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.status().message() == "couldn't find key user in Secret prod/db-app");
}

}  // namespace tusk::localkube
