// Deployments, ReplicaSets and Jobs against a real Api; the tests play the
// kubelet by writing pod status themselves.
#include <atomic>
#include <mutex>
#include <set>

#include "test/localkube/apiserver/controllers.h"
#include "test/localkube/controllers/cluster_controllers.h"
#include "test/localkube/controllers/deployment_plan.h"
#include "test/localkube/controllers/test_fixture.h"

namespace tusk::localkube {
namespace {

using testing::ApiFixture;

struct Cluster : ApiFixture {
  Cluster() : controllers(&api, clock, {}), gc(&api) {
    controllers.Start();
    gc.Start();
  }
  ClusterControllers controllers;
  Controllers gc;  // ownerReference garbage collection, as the API server runs it

  std::vector<json> ActivePods() {
    std::vector<json> out;
    for (auto& p : ListObjects(api, "pods", "default")) {
      if (PodActive(p)) out.push_back(p);
    }
    return out;
  }
  // Marks every active pod not yet ready Running and Ready; returns how many.
  int MakeReady() {
    int n = 0;
    for (const auto& p : ActivePods()) {
      if (PodReady(p)) continue;
      SetPodStatus("default", p["metadata"].value("name", ""), true);
      ++n;
    }
    return n;
  }
};

json Deployment(int replicas, const std::string& image, json strategy = nullptr) {
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "web"}}},
            {"spec", {{"replicas", replicas},
                      {"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}},
                                    {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}};
  if (!strategy.is_null()) d["spec"]["strategy"] = strategy;
  return d;
}

bool RolledOut(Cluster& c, int replicas) {
  json d = c.Get("deployments.apps", "default", "web");
  json s = d.value("status", json::object());
  return s.value("observedGeneration", 0) == d["metadata"].value("generation", -1) &&
         s.value("updatedReplicas", -1) == replicas && s.value("availableReplicas", -1) == replicas &&
         s.value("replicas", -1) == replicas;
}

TEST_CASE("pod template hash and surge/unavailable resolution follow Kubernetes") {
  json t = {{"spec", {{"containers", json::array({{{"name", "c"}, {"image", "a"}}})}}}};
  std::string h = PodTemplateHash(t);
  CHECK(h == PodTemplateHash(t));
  CHECK(h.find_first_not_of("bcdfghjklmnpqrstvwxz2456789") == std::string::npos);
  t["spec"]["containers"][0]["image"] = "b";
  CHECK(PodTemplateHash(t) != h);
  CHECK(ResolveIntOrPercent("25%", 4, true) == 1);
  CHECK(ResolveIntOrPercent("25%", 3, true) == 1);
  CHECK(ResolveIntOrPercent("25%", 3, false) == 0);
  CHECK(ResolveIntOrPercent(2, 10, false) == 2);
}

TEST_CASE("a rolling update never exceeds maxSurge nor maxUnavailable") {
  Cluster c;
  json strategy = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 1}}}};
  c.Create("deployments.apps", "default", Deployment(4, "app:v1", strategy));
  REQUIRE(Eventually([&] { return c.ActivePods().size() == 4; }));
  c.MakeReady();
  REQUIRE(Eventually([&] { return RolledOut(c, 4); }));
  json d = c.Get("deployments.apps", "default", "web");
  const std::string rs1 = "web-" + PodTemplateHash(d["spec"]["template"]);
  json first = c.Get("replicasets.apps", "default", rs1);
  REQUIRE(first.is_object());
  CHECK(first["metadata"]["annotations"].value(kRevisionAnnotation, "") == "1");
  CHECK(first["metadata"]["ownerReferences"][0].value("controller", false));
  for (const auto& p : c.ActivePods()) {
    CHECK(p["metadata"].value("name", "").rfind(rs1 + "-", 0) == 0);
    CHECK(p["metadata"]["labels"].value(kPodTemplateHash, "") == PodTemplateHash(d["spec"]["template"]));
  }
  CHECK(FindCondition(d, "Available").value("status", "") == "True");
  CHECK(FindCondition(d, "Progressing").value("reason", "") == "NewReplicaSetAvailable");

  // Watch every pod change: the state after each one must respect the limits.
  std::mutex mu;
  std::map<std::string, bool> live;  // name -> ready, active pods only
  size_t most = 0, fewest_ready = 4;
  auto watch = c.api.WatchWithCallback("pods", "default", c.FromNow(),
                                       [&](EventType type, const json& pod) {
    std::lock_guard<std::mutex> l(mu);
    std::string name = pod["metadata"].value("name", "");
    if (type == EventType::kDeleted || !PodActive(pod)) {
      live.erase(name);
    } else {
      live[name] = PodReady(pod);
    }
    size_t ready = 0;
    for (const auto& [n, r] : live) ready += r ? 1 : 0;
    most = std::max(most, live.size());
    fewest_ready = std::min(fewest_ready, ready);
  });
  REQUIRE(watch.ok());
  {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& p : c.ActivePods()) live[p["metadata"].value("name", "")] = PodReady(p);
  }
  REQUIRE(c.api.Patch("deployments.apps", "default", "web", PatchType::kMerge,
                      R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"app:v2"}]}}}})").ok());
  REQUIRE(Eventually([&] {
    c.MakeReady();
    return RolledOut(c, 4);
  }));
  (*watch)->Stop();
  CHECK(most <= 5);
  CHECK(fewest_ready >= 3);
  CHECK(most == 5);  // the surge was used
  json after = c.Get("deployments.apps", "default", "web");
  CHECK(after["metadata"]["annotations"].value(kRevisionAnnotation, "") == "2");
  json old = c.Get("replicasets.apps", "default", rs1);
  CHECK(old["spec"].value("replicas", -1) == 0);
  for (const auto& p : c.ActivePods()) CHECK(p["spec"]["containers"][0].value("image", "") == "app:v2");
  CHECK(c.ActivePods().size() == 4);
}

TEST_CASE("Recreate stops every old pod before starting new ones; scaling and cascade delete") {
  Cluster c;
  c.Create("deployments.apps", "default", Deployment(3, "app:v1", {{"type", "Recreate"}}));
  REQUIRE(Eventually([&] { return c.ActivePods().size() == 3; }));
  c.MakeReady();
  REQUIRE(Eventually([&] { return RolledOut(c, 3); }));
  std::atomic<bool> overlap{false};
  auto watch = c.api.WatchWithCallback("pods", "default", c.FromNow(),
                                       [&](EventType type, const json& pod) {
    if (type != EventType::kAdded || pod["spec"]["containers"][0].value("image", "") != "app:v2") return;
    for (const auto& p : ListObjects(c.api, "pods", "default")) {
      if (p["spec"]["containers"][0].value("image", "") == "app:v1") overlap = true;
    }
  });
  REQUIRE(watch.ok());
  REQUIRE(c.api.Patch("deployments.apps", "default", "web", PatchType::kMerge,
                      R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"app:v2"}]}}}})").ok());
  REQUIRE(Eventually([&] {
    c.MakeReady();
    return RolledOut(c, 3);
  }));
  (*watch)->Stop();
  CHECK_FALSE(overlap);

  REQUIRE(c.api.Patch("deployments.apps", "default", "web", PatchType::kMerge, R"({"spec":{"replicas":1}})").ok());
  REQUIRE(Eventually([&] { return RolledOut(c, 1) && c.ActivePods().size() == 1; }));
  REQUIRE(c.api.Patch("deployments.apps", "default", "web", PatchType::kMerge, R"({"spec":{"replicas":5}})").ok());
  REQUIRE(Eventually([&] {
    c.MakeReady();
    return RolledOut(c, 5) && c.ActivePods().size() == 5;
  }));
  json rs = c.Get("replicasets.apps", "default", "web-" + PodTemplateHash(c.Get("deployments.apps", "default", "web")["spec"]["template"]));
  REQUIRE(Eventually([&] {
    json s = c.Get("replicasets.apps", "default", rs["metadata"].value("name", "")).value("status", json::object());
    return s.value("replicas", 0) == 5 && s.value("readyReplicas", 0) == 5 && s.value("availableReplicas", 0) == 5;
  }));

  REQUIRE(c.api.Delete("deployments.apps", "default", "web").ok());
  REQUIRE(Eventually([&] { return ListObjects(c.api, "pods", "default").empty(); }));
  CHECK(ListObjects(c.api, "replicasets.apps", "default").empty());
}

}  // namespace
}  // namespace tusk::localkube
