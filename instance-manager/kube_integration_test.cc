// tusk-instance's Cluster from localkube's API server (--apiserver-only, no
// root, the project's CRD): KubeDesiredState sees edits of spec and status,
// keeps the last Cluster while the API server is down, and resumes after; a
// numeric parameter is refused there as in a file; then `init` and
// `run` with --kubeconfig and no file, where a parameter edited through the
// API reaches the running postgres and its config_hash.
#include <catch2/catch.hpp>

#include "common/api/schema/crds.h"
#include "common/k8s/config.h"
#include "common/k8s/http_kube_client.h"
#include "common/k8s/testing/localkube.h"
#include "common/pg/config_render.h"
#include "common/pg/connection.h"
#include "instance-manager/desired_state.h"
#include "test/integration/pg/instance_fixture.h"

namespace tusk::testing {
namespace {

using namespace std::chrono_literals;
using k8s::Json;

const k8s::ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "", ""};
const k8s::ResourceRef kClusters = k8s::CnpgResource("clusters").InNamespace("default");

// The project's own CRD, as manifests/operator.yaml installs it.
Json ClusterCrd() {
  for (const auto& kind : api::schema::Kinds()) {
    if (kind.group == api::schema::kPostgresqlGroup && kind.plural == "clusters") return api::schema::Crd(kind);
  }
  FAIL("no Cluster kind in common/api/schema");
  return Json();
}

struct Api {
  std::unique_ptr<k8s::testing::Localkube> localkube;
  RealClock clock;
  std::unique_ptr<k8s::HttpKubeClient> client;
};

// Edits status through the status subresource, as the operator does.
void SetStatus(Api& api, const std::string& name, const std::function<void(Json&)>& edit) {
  auto current = api.client->Get(kClusters.Named(name));
  REQUIRE(current.ok());
  Json status = current->value("status", Json::object());
  edit(status);
  (*current)["status"] = status;
  REQUIRE_OK(api.client->UpdateStatus(kClusters.Named(name), *current));
}

void SetParameter(Api& api, const std::string& name, const std::string& key, const Json& value) {
  Json patch = {{"spec", {{"postgresql", {{"parameters", {{key, value}}}}}}}};
  REQUIRE_OK(api.client->Patch(kClusters.Named(name), k8s::PatchType::kMerge, patch.dump()));
}

// localkube with the Cluster CRD established and Cluster `name` created with
// `primary` as status.currentPrimary.
void StartApi(Api& api, const std::string& name, const std::vector<std::string>& instances,
              const std::string& primary) {
  auto lk = k8s::testing::Localkube::Start();
  INFO(lk.status().ToString());
  REQUIRE(lk.ok());
  api.localkube = std::move(*lk);
  auto config = k8s::LoadKubeconfigFile(api.localkube->kubeconfig());
  REQUIRE(config.ok());
  k8s::HttpClientOptions options;
  options.max_retries = 1;
  auto client = k8s::HttpKubeClient::Create(*config, api.clock, options);
  REQUIRE(client.ok());
  api.client = std::move(*client);
  REQUIRE_OK(api.client->Create(kCrds, ClusterCrd()));
  REQUIRE(Eventually([&] {
    auto crd = api.client->Get(kCrds.Named("clusters.postgresql.cnpg.io"));
    if (!crd.ok()) return false;
    for (const auto& c : (*crd)["status"].value("conditions", Json::array())) {
      if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
    }
    return false;
  }));
  // The API server drops the status on create (a subresource): set it as
  // the operator does.
  const Json cluster = TestCluster(name, instances, primary);
  REQUIRE_OK(api.client->Create(kClusters, cluster));
  SetStatus(api, name, [&](Json& status) { status = cluster["status"]; });
}

}  // namespace

TEST_CASE("KubeDesiredState against the API server: edits arrive, an outage keeps the last Cluster") {
  Api api;
  StartApi(api, "pg", {"pg-1", "pg-2"}, "pg-1");
  instance::Options o;
  o.kubeconfig = api.localkube->kubeconfig();
  o.cluster_name = "pg";
  o.namespace_ = "default";
  o.api_server = true;
  auto source = instance::OpenDesiredState(o, api.clock);
  REQUIRE(source.ok());
  instance::ClusterSource& s = **source;
  REQUIRE_OK(s.WaitReady(30s));
  auto first = s.Read();
  REQUIRE(first.ok());
  CHECK(first->current_primary == "pg-1");
  CHECK(first->parameters.at("work_mem") == "8MB");
  const std::string hash = pg::SpecConfigHash(*first);

  // A spec edit and a status edit each reach Read().
  SetParameter(api, "pg", "work_mem", "16MB");
  CHECK(Eventually([&] {
    auto v = s.Read();
    return v.ok() && v->parameters.at("work_mem") == "16MB";
  }));
  CHECK(pg::SpecConfigHash(*s.Read()) != hash);
  SetStatus(api, "pg", [](Json& st) { st["targetPrimary"] = "pg-2"; });
  CHECK(Eventually([&] {
    auto v = s.Read();
    return v.ok() && v->target_primary == "pg-2";
  }));

  // The API server goes down: the last Cluster still answers.
  REQUIRE_OK(api.localkube->Stop());
  auto during = s.Read();
  REQUIRE(during.ok());
  CHECK(during->target_primary == "pg-2");
  CHECK(during->parameters.at("work_mem") == "16MB");
  // Back (same state, same port): the watch resumes and a new edit arrives.
  REQUIRE_OK(api.localkube->Restart());
  SetParameter(api, "pg", "work_mem", "32MB");
  CHECK(Eventually([&] {
    auto v = s.Read();
    return v.ok() && v->parameters.at("work_mem") == "32MB";
  }, 60s));

  // A number for a parameter is refused by the API server, as the file
  // reader refuses it: the instance never sees it.
  Json numeric = {{"spec", {{"postgresql", {{"parameters", {{"work_mem", 64}}}}}}}};
  auto refused = api.client->Patch(kClusters.Named("pg"), k8s::PatchType::kMerge, numeric.dump());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("spec.postgresql.parameters.work_mem"));
  CHECK(s.Read()->parameters.at("work_mem") == "32MB");
}

TEST_CASE("init and run read the Cluster from the API server with --kubeconfig and no file") {
  Api api;
  StartApi(api, "pg", {"pg-1"}, "pg-1");
  auto root = MakeTestRoot();
  REQUIRE(root.ok());
  Instance pg(root->path(), "pg-1", nullptr);
  pg.UseApiServer(api.localkube->kubeconfig(), "pg", "default");
  // With the API server the password defaults to the pod's mounted secret;
  // here it is a file of the test's.
  REQUIRE_OK(WriteFile(root->Sub("app-password"), "s3cret\n", 0644));
  pg.AddFlags({"--app-password-file", root->Sub("app-password")});
  {
    INFO(pg.LogTail());
    REQUIRE_OK(pg.Init());
  }
  REQUIRE_OK(pg.Start());
  INFO(pg.LogTail());
  REQUIRE(Eventually([&] { return pg.Writable(); }, 60s));
  CHECK(pg.SqlScalar("SHOW work_mem") == "8MB");
  // The application owner logs in with the secret's password (trailing newline dropped).
  pg::Connection app("host=127.0.0.1 port=" + std::to_string(pg.port()) +
                     " user=app password=s3cret dbname=app connect_timeout=5");
  auto who = app.Query("SELECT current_user");
  INFO(who.status().ToString());
  REQUIRE(who.ok());
  CHECK(who->Scalar() == "app");
  const std::string first_hash = pg.GetStatus().config_hash();
  CHECK(first_hash.size() == 64);

  SetParameter(api, "pg", "work_mem", "24MB");
  CHECK(Eventually([&] { return pg.SqlScalar("SHOW work_mem") == "24MB"; }, 30s));
  // The reported hash is the spec's: what the operator computes from the
  // same Cluster, whatever this instance's paths and ports.
  auto cluster = api.client->Get(kClusters.Named("pg"));
  REQUIRE(cluster.ok());
  auto defaulted = instance::ClusterFromDocument(*cluster);
  REQUIRE(defaulted.ok());
  auto view = pg::MakeClusterView(*defaulted);
  REQUIRE(view.ok());
  CHECK(Eventually([&] { return pg.GetStatus().config_hash() == pg::SpecConfigHash(*view); }, 30s));
  CHECK(pg.GetStatus().config_hash() != first_hash);
}

}  // namespace tusk::testing
