// The scheduler and the local-path provisioner running against a real Api.
#include <sys/stat.h>

#include <set>

#include "common/base/files.h"
#include "test/localkube/apiserver/kinds.h"
#include "test/localkube/controllers/cluster_controllers.h"
#include "test/localkube/controllers/test_fixture.h"

namespace tusk::localkube {
namespace {

using testing::ApiFixture;

struct Cluster : ApiFixture {
  explicit Cluster(ControllerConfig config = {}) : controllers(&api, clock, config) {}
  ClusterControllers controllers;
};

ControllerConfig VolumesIn(const TempDir& dir) {
  ControllerConfig config;
  config.volumes_dir = dir.path();
  return config;
}

void StartWithThreeNodes(Cluster& c) {
  for (int i = 1; i <= 3; ++i) c.AddNode("localkube-node-" + std::to_string(i));
  c.controllers.Start();
}

std::string NodeOf(const json& pod) { return pod.is_object() ? StrAt(pod, "/spec/nodeName"_json_pointer) : ""; }

// The distinct nodes pods <prefix>1 … <prefix>n of "default" are bound to.
std::set<std::string> NodesOf(Cluster& c, const std::string& prefix, int n) {
  std::set<std::string> nodes;
  for (int i = 1; i <= n; ++i) {
    std::string node = NodeOf(c.Get("pods", "default", prefix + std::to_string(i)));
    if (!node.empty()) nodes.insert(node);
  }
  return nodes;
}

TEST_CASE("pods are bound with PodScheduled and events; unschedulable pods retry when a node appears") {
  Cluster c;
  c.AddNode("localkube-node-1", {}, json::array({{{"key", "dedicated"}, {"value", "db"}, {"effect", "NoSchedule"}}}));
  c.controllers.Start();
  c.Create("pods", "default", ApiFixture::Pod("web"));
  REQUIRE(Eventually([&] { return !c.Events("FailedScheduling").empty(); }));
  json pod = c.Get("pods", "default", "web");
  json cond = FindCondition(pod, "PodScheduled");
  CHECK(cond.value("status", "") == "False");
  CHECK(cond.value("reason", "") == "Unschedulable");
  CHECK(cond.value("message", "") ==
        "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}. preemption: 0/1 nodes are available: "
        "1 Preemption is not helpful for scheduling.");
  CHECK(c.Events("FailedScheduling")[0].value("type", "") == "Warning");

  c.AddNode("localkube-node-2");
  REQUIRE(Eventually([&] { return NodeOf(c.Get("pods", "default", "web")) == "localkube-node-2"; }));
  REQUIRE(Eventually([&] {
    return FindCondition(c.Get("pods", "default", "web"), "PodScheduled").value("status", "") == "True";
  }));
  auto scheduled = c.Events("Scheduled");
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0].value("message", "") == "Successfully assigned default/web to localkube-node-2");
  CHECK(scheduled[0]["involvedObject"].value("name", "") == "web");
}

TEST_CASE("pods are spread by required anti-affinity, and wait when no node is left") {
  Cluster c;
  for (int i = 1; i <= 3; ++i) c.AddNode("localkube-node-" + std::to_string(i));
  c.controllers.Start();
  json anti = {{"affinity", {{"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", json::array({
                   {{"labelSelector", {{"matchLabels", {{"app", "pg"}}}}}, {"topologyKey", "kubernetes.io/hostname"}}})}}}}}};
  for (int i = 1; i <= 4; ++i) c.Create("pods", "default", ApiFixture::Pod("pg-" + std::to_string(i), anti, {{"app", "pg"}}));
  REQUIRE(Eventually([&] { return NodesOf(c, "pg-", 4).size() == 3; }));
  REQUIRE(Eventually([&] { return !c.Events("FailedScheduling").empty(); }));
  int unbound = 0;
  for (int i = 1; i <= 4; ++i) unbound += NodeOf(c.Get("pods", "default", "pg-" + std::to_string(i))).empty() ? 1 : 0;
  CHECK(unbound == 1);
  CHECK(c.Events("FailedScheduling")[0].value("message", "").find("3 node(s) didn't match pod anti-affinity rules") !=
        std::string::npos);
}

TEST_CASE("a WaitForFirstConsumer claim is provisioned on the pod's node, protected while used, then reclaimed") {
  auto dir = TempDir::Make("lk-ctl");
  REQUIRE(dir.ok());
  ControllerConfig config;
  config.volumes_dir = dir->path() + "/volumes";
  Cluster c(config);
  c.AddNode("localkube-node-1", {}, json::array({{{"key", "x"}, {"effect", "NoSchedule"}}}));
  c.AddNode("localkube-node-2");
  c.controllers.Start();
  json sc = c.Get("storageclasses.storage.k8s.io", "", "standard");
  REQUIRE(sc.is_object());
  CHECK(sc.value("volumeBindingMode", "") == "WaitForFirstConsumer");
  CHECK(sc["metadata"]["annotations"].value("storageclass.kubernetes.io/is-default-class", "") == "true");

  json claim = c.Create("persistentvolumeclaims", "default",
                        {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", {{"name", "data"}}},
                         {"spec", {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
  const std::string pv_name = "pvc-" + claim["metadata"].value("uid", "");
  c.Create("pods", "default",
           ApiFixture::Pod("db", {{"volumes", json::array({{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}})}}));
  REQUIRE(Eventually([&] { return NodeOf(c.Get("pods", "default", "db")) == "localkube-node-2"; }));
  json bound = c.Get("persistentvolumeclaims", "default", "data");
  CHECK(StrAt(bound, "/spec/storageClassName"_json_pointer) == "standard");
  CHECK(StrAt(bound, "/spec/volumeName"_json_pointer) == pv_name);
  CHECK(StrAt(bound, "/status/phase"_json_pointer) == "Bound");
  CHECK(bound["metadata"]["annotations"].value("volume.kubernetes.io/selected-node", "") == "localkube-node-2");
  CHECK(bound["metadata"]["finalizers"] == json::array({"kubernetes.io/pvc-protection"}));
  json pv = c.Get("persistentvolumes", "", pv_name);
  REQUIRE(pv.is_object());
  const std::string path = StrAt(pv, "/spec/hostPath/path"_json_pointer);
  CHECK(path == config.volumes_dir + "/" + pv_name);
  CHECK(pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] ==
        json::array({"localkube-node-2"}));
  CHECK(pv["spec"]["claimRef"].value("name", "") == "data");
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0777);

  // Deleting the claim while the pod uses it leaves it Terminating.
  REQUIRE(c.api.Delete("persistentvolumeclaims", "default", "data").ok());
  c.controllers.Sync();
  json terminating = c.Get("persistentvolumeclaims", "default", "data");
  REQUIRE(terminating.is_object());
  CHECK(IsDeleting(terminating));
  CHECK(PathExists(path));

  DeleteOptions now;
  now.grace_period_seconds = 0;
  REQUIRE(c.api.Delete("pods", "default", "db", now).ok());
  REQUIRE(Eventually([&] { return c.Get("persistentvolumeclaims", "default", "data").is_null(); }));
  REQUIRE(Eventually([&] { return c.Get("persistentvolumes", "", pv_name).is_null(); }));
  CHECK_FALSE(PathExists(path));
}

TEST_CASE("instances with their own claims and required anti-affinity land on distinct nodes") {
  auto dir = TempDir::Make("lk-ctl");
  REQUIRE(dir.ok());
  Cluster c(VolumesIn(*dir));
  StartWithThreeNodes(c);
  json anti = {{"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", json::array({
                   {{"labelSelector", {{"matchLabels", {{"cnpg.io/cluster", "pg"}}}}},
                    {"topologyKey", "kubernetes.io/hostname"}}})}}}};
  // Created together, so each pod's node is chosen while the others still
  // wait for their volumes.
  for (int i = 1; i <= 3; ++i) {
    std::string name = "pg-" + std::to_string(i);
    c.Create("persistentvolumeclaims", "default",
             {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", {{"name", name}}},
              {"spec", {{"storageClassName", "standard"}}}});
    c.Create("pods", "default",
             ApiFixture::Pod(name, {{"affinity", anti},
                                    {"volumes", json::array({{{"name", "pgdata"}, {"persistentVolumeClaim", {{"claimName", name}}}}})}},
                             {{"cnpg.io/cluster", "pg"}}));
  }
  REQUIRE(Eventually([&] { return NodesOf(c, "pg-", 3).size() == 3; }));
  for (int i = 1; i <= 3; ++i) {
    json pod = c.Get("pods", "default", "pg-" + std::to_string(i));
    json claim = c.Get("persistentvolumeclaims", "default", "pg-" + std::to_string(i));
    json pv = c.Get("persistentvolumes", "", StrAt(claim, "/spec/volumeName"_json_pointer));
    REQUIRE(pv.is_object());
    CHECK(pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0] ==
          NodeOf(pod));
  }
}

TEST_CASE("admission gives a new claim the default StorageClass unless it names one") {
  Cluster c;
  c.controllers.Start();
  auto pvcs = c.api.Resolve("persistentvolumeclaims");
  REQUIRE(pvcs);
  json claim = {{"metadata", {{"name", "a"}}}, {"spec", json::object()}};
  DefaultStorageClass(*pvcs, claim, c.store);
  CHECK(claim["spec"].value("storageClassName", "") == "standard");
  json none = {{"metadata", {{"name", "b"}}}, {"spec", {{"storageClassName", ""}}}};
  DefaultStorageClass(*pvcs, none, c.store);
  CHECK(none["spec"]["storageClassName"] == "");  // "" asks for no class at all
}

TEST_CASE("a pod whose claim is bound to a PV is pinned to the PV's node") {
  auto dir = TempDir::Make("lk-ctl");
  REQUIRE(dir.ok());
  Cluster c(VolumesIn(*dir));
  StartWithThreeNodes(c);
  c.Create("persistentvolumeclaims", "default",
           {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", {{"name", "data"}}},
            {"spec", {{"storageClassName", "standard"}}}});
  json vols = {{"volumes", json::array({{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}})}};
  c.Create("pods", "default", ApiFixture::Pod("first", vols));
  REQUIRE(Eventually([&] { return !NodeOf(c.Get("pods", "default", "first")).empty(); }));
  const std::string node = NodeOf(c.Get("pods", "default", "first"));
  DeleteOptions now;
  now.grace_period_seconds = 0;
  REQUIRE(c.api.Delete("pods", "default", "first", now).ok());
  // Other nodes are emptier now; the volume still decides.
  for (int i = 0; i < 3; ++i) c.Create("pods", "default", ApiFixture::Pod("filler-" + std::to_string(i), {{"nodeName", node}}));
  c.Create("pods", "default", ApiFixture::Pod("second", vols));
  REQUIRE(Eventually([&] { return NodeOf(c.Get("pods", "default", "second")) == node; }));
}

}  // namespace
}  // namespace tusk::localkube
