#include "common/k8s/lister.h"

#include <algorithm>

#include <catch2/catch.hpp>

#include "common/api/cluster.h"
#include "common/k8s/informer.h"
#include "test/fakes/fake_kube_client.h"

namespace tusk::k8s {
namespace {

Json ClusterDoc(const std::string& ns, const std::string& name, const std::string& team, int instances) {
  return {{"apiVersion", "postgresql.cnpg.io/v1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"team", team}}}}},
          {"spec", {{"instances", instances}, {"storage", {{"size", "1Gi"}}}}}};
}

// A Pod decoded to the two fields the test reads.
struct PodSummary {
  std::string name, image;
};
StatusOr<PodSummary> PodFromJson(const Json& doc) {
  const Json* containers = doc.contains("spec") ? &doc["spec"]["containers"] : nullptr;
  if (containers == nullptr || !containers->is_array() || containers->empty()) {
    return InvalidArgumentError("pod has no containers");
  }
  return PodSummary{doc["metadata"].value("name", ""), (*containers)[0].value("image", "")};
}

std::vector<std::string> Names(const std::vector<api::Cluster>& clusters) {
  std::vector<std::string> out;
  for (const auto& c : clusters) out.push_back(c.metadata.namespace_.value_or("") + "/" + c.metadata.name.value_or(""));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("A Cluster lister reads decoded Clusters by key, namespace and label") {
  ObjectCache cache;
  for (const Json& doc : {ClusterDoc("a", "pg", "db", 3), ClusterDoc("a", "other", "web", 1),
                          ClusterDoc("b", "pg", "db", 2)}) {
    auto o = MakeCachedObject(doc.dump());
    REQUIRE(o.ok());
    cache.Upsert(std::move(*o));
  }
  Lister<api::Cluster> clusters(cache, api::ClusterFromJson);

  auto pg = clusters.Get("b", "pg");
  REQUIRE(pg.ok());
  CHECK(pg->spec.instances == 2);
  CHECK(pg->spec.storage_size == "1Gi");
  CHECK(clusters.Get("a/pg")->spec.instances == 3);
  CHECK(clusters.Get("a", "missing").status().code() == StatusCode::kNotFound);

  CHECK(Names(clusters.ByNamespace("a")) == std::vector<std::string>{"a/other", "a/pg"});
  CHECK(Names(clusters.ByLabel("team", "db")) == std::vector<std::string>{"a/pg", "b/pg"});
  CHECK(Names(clusters.Select("a", *LabelSelector::Parse("team=db"))) == std::vector<std::string>{"a/pg"});
  CHECK(clusters.List().size() == 3);
}

TEST_CASE("A lister skips, and reports, an object its parser refuses") {
  ObjectCache cache;
  Json bad = ClusterDoc("a", "bad", "db", 1);
  bad["spec"]["postgresql"]["parameters"]["max_connections"] = 200;  // a number: refused, as the CRD does
  for (const Json& doc : {ClusterDoc("a", "good", "db", 1), bad}) {
    auto o = MakeCachedObject(doc.dump());
    REQUIRE(o.ok());
    cache.Upsert(std::move(*o));
  }
  Lister<api::Cluster> clusters(cache, api::ClusterFromJson);
  std::vector<Status> errors;
  CHECK(Names(clusters.ByNamespace("a", &errors)) == std::vector<std::string>{"a/good"});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message().rfind("a/bad: ", 0) == 0);  // names the object
  auto got = clusters.Get("a/bad");
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().message().find("a/bad") != std::string::npos);
  CHECK(clusters.ByNamespace("a").size() == 1);  // without an errors vector, still skipped
}

TEST_CASE("A lister over an informer's cache follows the API server, by owner") {
  FakeKubeClient api;
  RealClock clock;
  auto pod = [](const std::string& name, const std::string& owner_uid, const std::string& image) {
    return Json{{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", name},
                  {"namespace", "ns"},
                  {"ownerReferences", Json::array({{{"apiVersion", "postgresql.cnpg.io/v1"},
                                                    {"kind", "Cluster"},
                                                    {"name", "pg"},
                                                    {"uid", owner_uid},
                                                    {"controller", true}}})}}},
                {"spec", {{"containers", Json::array({{{"name", "postgres"}, {"image", image}}})}}}};
  };
  REQUIRE(api.Create(PodsResource(), pod("pg-1", "uid-pg", "postgres:16")).ok());
  REQUIRE(api.Create(PodsResource(), pod("pg-2", "uid-pg", "postgres:17")).ok());
  REQUIRE(api.Create(PodsResource(), pod("other-1", "uid-other", "postgres:16")).ok());
  InformerOptions options;
  options.resource = PodsResource();
  Informer informer(api, clock, options);
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));

  Lister<PodSummary> pods(informer.cache(), PodFromJson);
  std::vector<PodSummary> owned = pods.ByOwner("uid-pg");
  std::sort(owned.begin(), owned.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  REQUIRE(owned.size() == 2);
  CHECK(owned[0].name == "pg-1");
  CHECK(owned[1].image == "postgres:17");
  CHECK(pods.ByOwner("uid-none").empty());
  informer.Stop();
}

}  // namespace
}  // namespace tusk::k8s
