// Table tests of the pure decisions behind the controllers.
#include <catch2/catch.hpp>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/deployment_plan.h"
#include "test/localkube/controllers/endpoints_controller.h"
#include "test/localkube/controllers/job_plan.h"
#include "test/localkube/controllers/node_lifecycle.h"
#include "test/localkube/controllers/replica_set_plan.h"

namespace tusk::localkube {
namespace {

const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000));

json Pod(const std::string& name, bool ready, const std::string& node = "", const std::string& phase = "Running") {
  json p = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name},
                          {"creationTimestamp", "2023-11-14T22:00:0" + name.substr(name.size() - 1) + "Z"},
                          {"labels", {{"app", "web"}}}}},
            {"spec", {{"containers", json::array({{{"name", "c"}, {"ports", json::array({{{"name", "http"}, {"containerPort", 8080}}})}}})}}},
            {"status", {{"phase", phase}, {"podIP", "10.244.0." + name.substr(name.size() - 1)},
                        {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

TEST_CASE("a ReplicaSet removes unscheduled, then unready, then the youngest pods") {
  json rs = {{"metadata", {{"name", "web-abc"}, {"generation", 3}}}, {"spec", {{"replicas", 2}}}};
  std::vector<json> pods = {Pod("p1", true, "n1"), Pod("p2", false, "n1"), Pod("p3", true, ""), Pod("p4", true, "n2"),
                            Pod("p5", true, "n1", "Failed")};
  ReplicaSetPlan plan = PlanReplicaSet(rs, pods, kNow);
  CHECK(plan.create == 0);
  CHECK(plan.delete_pods == std::vector<std::string>{"p3", "p2"});
  CHECK(plan.status == json({{"replicas", 4}, {"fullyLabeledReplicas", 4}, {"readyReplicas", 3},
                             {"availableReplicas", 3}, {"observedGeneration", 3}}));
  rs["spec"]["replicas"] = 6;
  CHECK(PlanReplicaSet(rs, pods, kNow).create == 2);
}

TEST_CASE("one rolling-update step: surge first, then old pods only as availability allows") {
  json d = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "d1"}, {"generation", 2}}},
            {"spec", {{"replicas", 4}, {"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", json::array()}}}}}}}};
  json old = {{"metadata", {{"name", "web-old"}, {"uid", "r1"}, {"labels", {{kPodTemplateHash, "old"}}},
                            {"annotations", {{kRevisionAnnotation, "1"}}}}},
              {"spec", {{"replicas", 4}}}};
  std::map<std::string, std::vector<json>> pods = {{"r1", {Pod("p1", true), Pod("p2", true), Pod("p3", true), Pod("p4", true)}}};
  DeploymentPlan first = PlanDeployment(d, {old}, pods, kNow);
  REQUIRE(first.create);
  CHECK((*first.create)["spec"].value("replicas", -1) == 1);
  CHECK((*first.create)["metadata"]["annotations"].value(kRevisionAnnotation, "") == "2");
  CHECK(first.update.empty());
  CHECK(first.revision == "2");

  json fresh = *first.create;
  fresh["metadata"]["uid"] = "r2";
  DeploymentPlan waiting = PlanDeployment(d, {old, fresh}, pods, kNow);
  CHECK(waiting.update.empty());  // maxUnavailable 0: nothing goes before the new pod is available
  pods["r2"] = {Pod("n1", true)};
  DeploymentPlan step = PlanDeployment(d, {old, fresh}, pods, kNow);
  REQUIRE(step.update.size() == 1);
  CHECK(step.update[0]["metadata"].value("name", "") == "web-old");
  CHECK(step.update[0]["spec"].value("replicas", -1) == 3);
  CHECK(step.status.value("updatedReplicas", -1) == 1);
  CHECK(step.status.value("availableReplicas", -1) == 5);
}

TEST_CASE("a rollout that stops progressing for progressDeadlineSeconds is reported stuck") {
  json d = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "d1"}, {"generation", 1}}},
            {"spec", {{"replicas", 1}, {"progressDeadlineSeconds", 60}, {"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", json::array()}}}}}}}};
  DeploymentPlan first = PlanDeployment(d, {}, {}, kNow);
  REQUIRE(first.create);
  json rs = *first.create;
  rs["metadata"]["uid"] = "r1";
  std::map<std::string, std::vector<json>> pods = {{"r1", {Pod("p1", false)}}};
  d["status"] = PlanDeployment(d, {rs}, pods, kNow + std::chrono::seconds(1)).status;
  CHECK(FindCondition(d, "Progressing").value("reason", "") == "ReplicaSetUpdated");
  d["status"] = PlanDeployment(d, {rs}, pods, kNow + std::chrono::seconds(30)).status;
  CHECK(FindCondition(d, "Progressing").value("status", "") == "True");
  d["status"] = PlanDeployment(d, {rs}, pods, kNow + std::chrono::seconds(62)).status;
  json stuck = FindCondition(d, "Progressing");
  CHECK(stuck.value("status", "") == "False");
  CHECK(stuck.value("reason", "") == "ProgressDeadlineExceeded");
  CHECK(stuck.value("message", "") == "ReplicaSet \"" + rs["metadata"].value("name", "") + "\" has timed out progressing.");
  pods["r1"] = {Pod("p1", true)};
  d["status"] = PlanDeployment(d, {rs}, pods, kNow + std::chrono::seconds(70)).status;
  CHECK(FindCondition(d, "Progressing").value("reason", "") == "NewReplicaSetAvailable");
}

TEST_CASE("a paused Deployment keeps its ReplicaSet when the template changes, until resumed") {
  json d = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "d1"}, {"generation", 2}}},
            {"spec", {{"replicas", 2}, {"paused", true}, {"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", json::array()}}}}}}}};
  json old = {{"metadata", {{"name", "web-old"}, {"uid", "r1"}, {"labels", {{kPodTemplateHash, "old"}}},
                            {"annotations", {{kRevisionAnnotation, "3"}}}}},
              {"spec", {{"replicas", 1}}}};
  std::map<std::string, std::vector<json>> pods = {{"r1", {Pod("p1", true)}}};
  DeploymentPlan paused = PlanDeployment(d, {old}, pods, kNow);
  CHECK_FALSE(paused.create);
  REQUIRE(paused.update.size() == 1);
  CHECK(paused.update[0]["spec"].value("replicas", -1) == 2);  // scaled, not rolled
  CHECK(paused.revision == "3");
  CHECK(FindCondition({{"status", paused.status}}, "Progressing").value("reason", "") == "DeploymentPaused");
  d["spec"]["paused"] = false;
  DeploymentPlan resumed = PlanDeployment(d, {old}, pods, kNow);
  REQUIRE(resumed.create);
  CHECK(resumed.revision == "4");
}

TEST_CASE("Jobs: wanted pods, completion, backoff limit and the failure back-off") {
  json job = {{"metadata", {{"name", "work"}, {"uid", "j1"}}}, {"spec", {{"completions", 5}, {"parallelism", 2}}}};
  CHECK(PlanJob(job, {}, kNow).create == 2);
  std::vector<json> pods = {Pod("p1", false, "", "Succeeded"), Pod("p2", false, "", "Succeeded"),
                            Pod("p3", false, "", "Succeeded"), Pod("p4", false, "", "Succeeded"), Pod("p5", false)};
  JobPlan almost = PlanJob(job, pods, kNow);
  CHECK(almost.create == 0);
  CHECK(almost.status.value("active", -1) == 1);
  pods.back()["status"]["phase"] = "Succeeded";
  JobPlan done = PlanJob(job, pods, kNow);
  CHECK(FindCondition({{"status", done.status}}, "Complete").value("status", "") == "True");
  CHECK(done.status.value("completionTime", "") == FormatRfc3339(kNow));

  json once = {{"metadata", {{"name", "once"}}}, {"spec", {{"backoffLimit", 2}}}};
  json failed = Pod("f1", false, "", "Failed");
  failed["status"]["containerStatuses"] = json::array({{{"state", {{"terminated", {{"finishedAt", FormatRfc3339(kNow)}}}}}}});
  JobPlan backoff = PlanJob(once, {failed}, kNow + std::chrono::seconds(4));
  CHECK(backoff.create == 0);
  REQUIRE(backoff.wake_after);
  CHECK(*backoff.wake_after == std::chrono::seconds(6));
  CHECK(PlanJob(once, {failed}, kNow + std::chrono::seconds(10)).create == 1);
  JobPlan limit = PlanJob(once, {failed, failed, failed}, kNow + std::chrono::hours(1));
  CHECK(FindCondition({{"status", limit.status}}, "Failed").value("reason", "") == "BackoffLimitExceeded");
  CHECK(limit.create == 0);
}

TEST_CASE("evictions follow the shortest matching toleration, counted from timeAdded") {
  json taint = {{"key", kUnreachableTaint}, {"effect", "NoExecute"}, {"timeAdded", FormatRfc3339(kNow)}};
  json pod = Pod("p1", true, "n1");
  CHECK(EvictionTime(pod, taint) == kNow);
  pod["spec"]["tolerations"] = json::array({{{"key", kUnreachableTaint}, {"operator", "Exists"}, {"effect", "NoExecute"}}});
  CHECK_FALSE(EvictionTime(pod, taint).has_value());
  pod["spec"]["tolerations"].push_back({{"key", kUnreachableTaint}, {"operator", "Exists"}, {"tolerationSeconds", 60}});
  pod["spec"]["tolerations"].push_back({{"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 30}});
  CHECK(EvictionTime(pod, taint) == kNow + std::chrono::seconds(30));

  json node = {{"status", {{"conditions", json::array({{{"type", "Ready"}, {"lastHeartbeatTime", FormatRfc3339(kNow)}}})}}}};
  json lease = {{"spec", {{"renewTime", "2023-11-14T22:13:30.123456Z"}}}};
  CHECK(LastHeartbeat(node, &lease) == kNow + std::chrono::seconds(10));
  CHECK(LastHeartbeat(node, nullptr) == kNow);
}

TEST_CASE("EndpointSlices resolve named ports and honour publishNotReadyAddresses") {
  json svc = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "s1"}}},
              {"spec", {{"selector", {{"app", "web"}}}, {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", "http"}}})}}}};
  std::vector<json> slices = EndpointSlicesFor(svc, {Pod("p1", true, "n1"), Pod("p2", false, "n2")});
  REQUIRE(slices.size() == 1);
  CHECK(slices[0]["ports"] == json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}));
  REQUIRE(slices[0]["endpoints"].size() == 2);
  CHECK(slices[0]["endpoints"][0]["conditions"].value("ready", false));
  CHECK_FALSE(slices[0]["endpoints"][1]["conditions"].value("ready", true));
  svc["spec"]["publishNotReadyAddresses"] = true;
  CHECK(EndpointSlicesFor(svc, {Pod("p2", false, "n2")})[0]["endpoints"][0]["conditions"].value("ready", false));
  svc["spec"].erase("selector");
  CHECK(EndpointSlicesFor(svc, {Pod("p1", true)}).empty());
}

}  // namespace
}  // namespace tusk::localkube
