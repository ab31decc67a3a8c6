#include "common/k8s/config.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "common/base/files.h"
#include "common/k8s/yaml_json.h"

namespace tusk::k8s {
namespace {


constexpr char kKubeconfig[] = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
- name: other
  cluster:
    server: "http://127.0.0.2:8080"
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: team-a}
- name: ops
  context:
    cluster: other
    user: robot
users:
- name: admin
  user:
    token: abc123
- name: robot
  user:
    client-certificate: certs/robot.crt
    client-key: certs/robot.key
)";

TEST_CASE("kubeconfig: current context selects server, CA data, token and namespace") {
  auto c = ParseKubeconfig(kKubeconfig, "/nonexistent");
  REQUIRE(c.ok());
  CHECK(c->server == "https://127.0.0.1:6443");
  CHECK(c->ca_pem == "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  CHECK(c->token == "abc123");
  CHECK(c->namespace_ == "team-a");
  CHECK_FALSE(c->insecure_skip_tls_verify);
}

TEST_CASE("kubeconfig: an explicit context, insecure flag and certificate files relative to the file") {
  auto dir = TempDir::Make("kubeconfig");
  REQUIRE(dir.ok());
  REQUIRE(MakeDirs(dir->Sub("certs")).ok());
  REQUIRE(WriteFile(dir->Sub("certs/robot.crt"), "CERT").ok());
  REQUIRE(WriteFile(dir->Sub("certs/robot.key"), "KEY").ok());
  REQUIRE(WriteFile(dir->Sub("config"), kKubeconfig).ok());
  auto c = LoadKubeconfigFile(dir->Sub("config"), "ops");
  REQUIRE(c.ok());
  CHECK(c->server == "http://127.0.0.2:8080");
  CHECK(c->insecure_skip_tls_verify);
  CHECK(c->client_cert_pem == "CERT");
  CHECK(c->client_key_pem == "KEY");
  CHECK(c->namespace_ == "default");
}

TEST_CASE("kubeconfig: a missing context or certificate file is a clear error") {
  auto c = ParseKubeconfig(kKubeconfig, "/nonexistent", "nope");
  CHECK(c.status().code() == StatusCode::kNotFound);
  CHECK_THAT(c.status().message(), Catch::Contains("context \"nope\" not found"));
  auto missing = ParseKubeconfig(kKubeconfig, "/nonexistent", "ops");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("client-certificate"));
}

TEST_CASE("KUBECONFIG picks the first existing file; --kubeconfig wins over it") {
  auto dir = TempDir::Make("kubeconfig");
  REQUIRE(dir.ok());
  REQUIRE(WriteFile(dir->Sub("a"), kKubeconfig).ok());
  std::string b = std::string(kKubeconfig);
  b.replace(b.find("current-context: dev"), 20, "current-context: ops");
  b.replace(b.find("client-certificate: certs/robot.crt"), 35, "token: t2");
  b.replace(b.find("client-key: certs/robot.key"), 27, "username: u");
  REQUIRE(WriteFile(dir->Sub("b"), b).ok());
  ::setenv("KUBECONFIG", (dir->Sub("missing") + ":" + dir->Sub("a") + ":" + dir->Sub("b")).c_str(), 1);
  auto from_env = LoadDefaultConfig();
  ::unsetenv("KUBECONFIG");
  REQUIRE(from_env.ok());
  CHECK(from_env->server == "https://127.0.0.1:6443");
  auto from_flag = LoadDefaultConfig(dir->Sub("b"));
  REQUIRE(from_flag.ok());
  CHECK(from_flag->server == "http://127.0.0.2:8080");
  CHECK(from_flag->token == "t2");
}

TEST_CASE("In-cluster config reads the service account and the service environment") {
  auto dir = TempDir::Make("sa");
  REQUIRE(dir.ok());
  REQUIRE(WriteFile(dir->Sub("token"), "tok").ok());
  REQUIRE(WriteFile(dir->Sub("ca.crt"), "CA").ok());
  REQUIRE(WriteFile(dir->Sub("namespace"), "pg-system\n").ok());
  ::setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = LoadInClusterConfig(dir->path());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  REQUIRE(c.ok());
  CHECK(c->server == "https://10.0.0.1:443");
  CHECK(c->ca_pem == "CA");
  CHECK(c->namespace_ == "pg-system");
  TokenSource tokens(*c);
  CHECK(tokens.Token() == "tok");
  REQUIRE(WriteFileAtomic(dir->Sub("token"), "rotated").ok());
  CHECK(tokens.Token() == "rotated");
  CHECK(LoadInClusterConfig(dir->path()).status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("YAML scalars: plain ones are typed, quoted ones stay strings") {
  auto j = YamlToJson("a: true\nb: 'true'\nc: 12\nd: \"12\"\ne: ~\nf: [x, 2]\n");
  REQUIRE(j.ok());
  CHECK((*j)["a"] == true);
  CHECK((*j)["b"] == "true");
  CHECK((*j)["c"] == 12);
  CHECK((*j)["d"] == "12");
  CHECK((*j)["e"].is_null());
  CHECK((*j)["f"][1] == 2);
  CHECK(YamlToJson("a: [unclosed").status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tusk::k8s
