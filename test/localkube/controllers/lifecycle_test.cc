// Jobs, Endpoints/EndpointSlices, node lifecycle and what every namespace is
// given, against a real Api, time driven by the FakeClock.
#include "test/localkube/apiserver/controllers.h"
#include "test/localkube/controllers/cluster_controllers.h"
#include "test/localkube/controllers/node_lifecycle.h"
#include "test/localkube/controllers/test_fixture.h"

namespace tusk::localkube {
namespace {

using testing::ApiFixture;

constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nlifecycle\n-----END CERTIFICATE-----\n";

struct Cluster : ApiFixture {
  explicit Cluster(Duration grace = std::chrono::seconds(40))
      : controllers(&api, clock, {"", grace, kCaPem}), gc(&api) {
    controllers.Start();
    gc.Start();
  }
  ClusterControllers controllers;
  Controllers gc;

  std::vector<json> JobPods(const std::string& phase) {
    std::vector<json> out;
    for (auto& p : ListObjects(api, "pods", "default")) {
      if (StrAt(p, "/status/phase"_json_pointer) == phase && !IsDeleting(p)) out.push_back(p);
    }
    return out;
  }
};

json Job(json spec) {
  json j = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", {{"name", "work"}}},
            {"spec", {{"template", {{"spec", {{"restartPolicy", "Never"},
                                              {"containers", json::array({{{"name", "c"}, {"image", "debian:bookworm"}}})}}}}}}}};
  j["spec"].update(spec);
  return j;
}

TEST_CASE("a Job runs its completions with bounded parallelism, then is deleted after its ttl") {
  Cluster c;
  json job = c.Create("jobs.batch", "default", Job({{"completions", 3}, {"parallelism", 2}, {"ttlSecondsAfterFinished", 30}}));
  const std::string uid = job["metadata"].value("uid", "");
  int finished = 0;
  while (finished < 3) {
    REQUIRE(Eventually([&] { return c.JobPods("Pending").size() == static_cast<size_t>(std::min(2, 3 - finished)); }));
    json pod = c.JobPods("Pending")[0];
    const json& labels = pod["metadata"]["labels"];
    CHECK(labels.value("batch.kubernetes.io/job-name", "") == "work");
    CHECK(labels.value("job-name", "") == "work");
    CHECK(labels.value("batch.kubernetes.io/controller-uid", "") == uid);
    CHECK(labels.value("controller-uid", "") == uid);
    CHECK(pod["metadata"].value("name", "").rfind("work-", 0) == 0);
    c.SetPodStatus("default", pod["metadata"].value("name", ""), false, "10.244.0.9", "Succeeded");
    ++finished;
    REQUIRE(Eventually([&] { return c.Get("jobs.batch", "default", "work").value("status", json::object()).value("succeeded", 0) == finished; }));
  }
  json done = c.Get("jobs.batch", "default", "work");
  CHECK(FindCondition(done, "Complete").value("status", "") == "True");
  CHECK(done["status"].contains("startTime"));
  CHECK(done["status"].contains("completionTime"));
  CHECK(done["status"].value("active", -1) == 0);
  CHECK(c.JobPods("Pending").empty());

  c.clock.Advance(std::chrono::seconds(29));
  c.controllers.Sync();
  CHECK(c.Get("jobs.batch", "default", "work").is_object());
  c.clock.Advance(std::chrono::seconds(2));
  REQUIRE(Eventually([&] { return c.Get("jobs.batch", "default", "work").is_null(); }));
  REQUIRE(Eventually([&] { return ListObjects(c.api, "pods", "default").empty(); }));
}

TEST_CASE("a Job whose pods keep failing stops at backoffLimit") {
  Cluster c;
  c.Create("jobs.batch", "default", Job({{"backoffLimit", 1}}));
  for (int failures = 1; failures <= 2; ++failures) {
    REQUIRE(Eventually([&] { return c.JobPods("Pending").size() == 1; }));
    c.SetPodStatus("default", c.JobPods("Pending")[0]["metadata"].value("name", ""), false, "10.244.0.9", "Failed");
    REQUIRE(Eventually([&] { return c.Get("jobs.batch", "default", "work").value("status", json::object()).value("failed", 0) == failures; }));
  }
  REQUIRE(Eventually([&] { return FindCondition(c.Get("jobs.batch", "default", "work"), "Failed").contains("type"); }));
  json failed = FindCondition(c.Get("jobs.batch", "default", "work"), "Failed");
  CHECK(failed.value("status", "") == "True");
  CHECK(failed.value("reason", "") == "BackoffLimitExceeded");
  c.controllers.Sync();
  CHECK(c.JobPods("Pending").empty());
  CHECK(c.JobPods("Failed").size() == 2);
}

TEST_CASE("Endpoints and EndpointSlices follow pod readiness") {
  Cluster c;
  c.Create("services", "default",
           {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "web"}}},
            {"spec", {{"selector", {{"app", "web"}}}, {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}})}}}});
  c.Create("pods", "default", ApiFixture::Pod("web-1", {{"nodeName", "localkube-node-1"}}, {{"app", "web"}}));
  c.Create("pods", "default", ApiFixture::Pod("other", {{"nodeName", "localkube-node-1"}}, {{"app", "db"}}));
  c.SetPodStatus("default", "web-1", false, "10.244.1.5");
  c.SetPodStatus("default", "other", true, "10.244.1.6");
  auto slice = [&]() -> json {
    for (auto& s : ListObjects(c.api, "endpointslices.discovery.k8s.io", "default")) {
      if (s["metadata"]["labels"].value("kubernetes.io/service-name", "") == "web") return s;
    }
    return nullptr;
  };
  REQUIRE(Eventually([&] {
    json ep = c.Get("endpoints", "default", "web");
    return ep.is_object() && !ep["subsets"].empty() && ep["subsets"][0].contains("notReadyAddresses");
  }));
  REQUIRE(Eventually([&] { return slice().is_object() && slice()["endpoints"].size() == 1; }));
  json s = slice();
  CHECK(s["metadata"]["labels"].value("endpointslice.kubernetes.io/managed-by", "") == "endpointslice-controller.k8s.io");
  CHECK(s.value("addressType", "") == "IPv4");
  CHECK(s["metadata"]["ownerReferences"][0].value("kind", "") == "Service");
  CHECK(s["endpoints"][0]["addresses"] == json::array({"10.244.1.5"}));
  CHECK(s["endpoints"][0]["conditions"] == json({{"ready", false}, {"serving", false}, {"terminating", false}}));
  CHECK(s["endpoints"][0].value("nodeName", "") == "localkube-node-1");
  CHECK(s["endpoints"][0]["targetRef"].value("name", "") == "web-1");
  CHECK(s["ports"] == json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}));

  c.SetPodStatus("default", "web-1", true, "10.244.1.5");
  REQUIRE(Eventually([&] {
    json ep = c.Get("endpoints", "default", "web");
    return !ep["subsets"].empty() && ep["subsets"][0].contains("addresses") &&
           ep["subsets"][0]["addresses"][0].value("ip", "") == "10.244.1.5";
  }));
  REQUIRE(Eventually([&] { return slice()["endpoints"][0]["conditions"].value("ready", false); }));

  REQUIRE(c.api.Delete("pods", "default", "web-1").ok());  // bound: Terminating
  REQUIRE(Eventually([&] { return slice()["endpoints"][0]["conditions"].value("terminating", false); }));
  CHECK_FALSE(slice()["endpoints"][0]["conditions"].value("ready", true));
  REQUIRE(Eventually([&] { return c.Get("endpoints", "default", "web")["subsets"].empty(); }));

  REQUIRE(c.api.Delete("services", "default", "web").ok());
  REQUIRE(Eventually([&] { return c.Get("endpoints", "default", "web").is_null() && slice().is_null(); }));
}

TEST_CASE("a silent node goes Unknown after the grace, its pods are evicted after their tolerations") {
  Cluster c;
  c.AddNode("localkube-node-1");
  c.Heartbeat("localkube-node-1");
  c.Create("pods", "default", ApiFixture::Pod("default-toleration", {{"nodeName", "localkube-node-1"}}));
  c.Create("pods", "default",
           ApiFixture::Pod("short", {{"nodeName", "localkube-node-1"},
                                     {"tolerations", json::array({{{"key", kUnreachableTaint}, {"operator", "Exists"},
                                                                    {"effect", "NoExecute"}, {"tolerationSeconds", 10}}})}}));
  json admitted = c.Get("pods", "default", "default-toleration");
  CHECK(admitted["spec"]["tolerations"] ==
        json::parse(R"([{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},
                        {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}])"));
  c.SetPodStatus("default", "default-toleration", true);
  c.SetPodStatus("default", "short", true);

  c.clock.Advance(std::chrono::seconds(39));
  c.controllers.Sync();
  json node = c.Get("nodes", "", "localkube-node-1");
  CHECK(FindCondition(node, "Ready").value("status", "") == "True");
  CHECK_FALSE(node["spec"].contains("taints"));

  c.clock.Advance(std::chrono::seconds(2));
  c.controllers.Sync();
  node = c.Get("nodes", "", "localkube-node-1");
  json ready = FindCondition(node, "Ready");
  CHECK(ready.value("status", "") == "Unknown");
  CHECK(ready.value("reason", "") == "NodeStatusUnknown");
  CHECK(ready.value("message", "") == "Kubelet stopped posting node status.");
  json taints = node["spec"].value("taints", json::array());
  REQUIRE(taints.size() == 2);
  CHECK(taints[0].value("key", "") == kUnreachableTaint);
  CHECK(taints[0].value("effect", "") == "NoSchedule");
  CHECK(taints[1].value("effect", "") == "NoExecute");
  CHECK(FindCondition(c.Get("pods", "default", "short"), "Ready").value("status", "") == "False");
  CHECK_FALSE(IsDeleting(c.Get("pods", "default", "short")));

  // Tolerations count from the taint's timeAdded.
  auto added = ParseRfc3339(taints[1].value("timeAdded", ""));
  REQUIRE(added);
  auto advance_to = [&](std::chrono::seconds after_taint) {
    c.clock.Advance(*added + after_taint - c.clock.WallNow());
    c.controllers.Sync();
  };
  advance_to(std::chrono::seconds(9));
  CHECK_FALSE(IsDeleting(c.Get("pods", "default", "short")));
  advance_to(std::chrono::seconds(10));
  json evicted = c.Get("pods", "default", "short");
  CHECK(IsDeleting(evicted));
  CHECK(FindCondition(evicted, "DisruptionTarget").value("reason", "") == "DeletionByTaintManager");
  CHECK_FALSE(IsDeleting(c.Get("pods", "default", "default-toleration")));

  advance_to(std::chrono::seconds(299));
  CHECK_FALSE(IsDeleting(c.Get("pods", "default", "default-toleration")));
  advance_to(std::chrono::seconds(300));
  CHECK(IsDeleting(c.Get("pods", "default", "default-toleration")));
}

TEST_CASE("heartbeats resuming lift the taints before any eviction") {
  Cluster c(std::chrono::seconds(20));
  c.AddNode("localkube-node-1");
  c.Heartbeat("localkube-node-1");
  c.Create("pods", "default", ApiFixture::Pod("p", {{"nodeName", "localkube-node-1"}}));
  c.clock.Advance(std::chrono::seconds(21));
  c.controllers.Sync();
  REQUIRE(c.Get("nodes", "", "localkube-node-1")["spec"].value("taints", json::array()).size() == 2);

  c.Heartbeat("localkube-node-1");  // the node agent is back: Lease renewed, Ready posted
  // Read-modify-write, again on a conflict: the controller may write the node in between.
  REQUIRE(Eventually([&] {
    json node = c.Get("nodes", "", "localkube-node-1");
    SetCondition(node["status"]["conditions"], "Ready", "True", "KubeletReady", "kubelet is posting ready status",
                 FormatRfc3339(c.clock.WallNow()))["lastHeartbeatTime"] = FormatRfc3339(c.clock.WallNow());
    return c.api.UpdateStatus("nodes", "", node).ok();
  }));
  REQUIRE(Eventually([&] { return !c.Get("nodes", "", "localkube-node-1")["spec"].contains("taints"); }));
  c.clock.Advance(std::chrono::seconds(15));
  c.controllers.Sync();
  CHECK(FindCondition(c.Get("nodes", "", "localkube-node-1"), "Ready").value("status", "") == "True");
  CHECK_FALSE(IsDeleting(c.Get("pods", "default", "p")));
}

TEST_CASE("a new namespace gets the root CA and keeps its default ServiceAccount") {
  Cluster c;
  c.Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  c.controllers.Sync();
  CHECK(c.Get("configmaps", "team", "kube-root-ca.crt")["data"] == json({{"ca.crt", kCaPem}}));
  REQUIRE(c.api.Delete("serviceaccounts", "team", "default").ok());
  c.controllers.Sync();
  CHECK(c.Get("serviceaccounts", "team", "default").is_object());
}

}  // namespace
}  // namespace tusk::localkube
