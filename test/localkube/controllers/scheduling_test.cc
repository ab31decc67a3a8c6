#include "test/localkube/controllers/scheduling.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

json Node(const std::string& name, json labels = json::object(), json taints = json::array(), bool ready = true) {
  labels["kubernetes.io/hostname"] = name;
  json n = {{"metadata", {{"name", name}, {"labels", labels}}},
            {"spec", json::object()},
            {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
  if (!taints.empty()) n["spec"]["taints"] = taints;
  return n;
}

json Pod(const std::string& name, json spec = json::object(), json labels = json::object(), std::string node = "") {
  if (spec.is_null()) spec = json::object();
  json p = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "uid-" + name}, {"labels", labels}}},
            {"spec", spec},
            {"status", {{"phase", "Running"}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

ClusterView Three() {
  ClusterView v;
  v.nodes = {Node("n1", {{"disk", "ssd"}, {"rank", "1"}}), Node("n2", {{"disk", "hdd"}, {"rank", "5"}}),
             Node("n3", {{"rank", "9"}})};
  return v;
}

json Affinity(const std::string& kind, const std::string& mode, json terms) {
  return {{"affinity", {{kind, {{mode, terms}}}}}};
}

TEST_CASE("scheduling prefers the node with the fewest pods") {
  ClusterView v = Three();
  v.pods = {Pod("a", {}, {}, "n1"), Pod("b", {}, {}, "n2"), Pod("c", {}, {}, "n1")};
  CHECK(Schedule(Pod("new"), v).node == "n3");
}

TEST_CASE("nodeSelector and required node affinity operators") {
  ClusterView v = Three();
  Placement hdd = Schedule(Pod("p", {{"nodeSelector", {{"disk", "hdd"}}}}), v);
  INFO(hdd.message);
  CHECK(hdd.node == "n2");
  auto expr = [](json e) {
    return Affinity("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                    {{"nodeSelectorTerms", json::array({{{"matchExpressions", json::array({e})}}})}});
  };
  CHECK(Schedule(Pod("p", expr({{"key", "disk"}, {"operator", "In"}, {"values", {"ssd"}}})), v).node == "n1");
  CHECK(Schedule(Pod("p", expr({{"key", "disk"}, {"operator", "NotIn"}, {"values", {"ssd", "hdd"}}})), v).node == "n3");
  CHECK(Schedule(Pod("p", expr({{"key", "disk"}, {"operator", "DoesNotExist"}})), v).node == "n3");
  CHECK(Schedule(Pod("p", expr({{"key", "rank"}, {"operator", "Gt"}, {"values", {"7"}}})), v).node == "n3");
  CHECK(Schedule(Pod("p", expr({{"key", "rank"}, {"operator", "Lt"}, {"values", {"2"}}})), v).node == "n1");
  v.pods = {Pod("x", {}, {}, "n1")};
  CHECK(Schedule(Pod("p", expr({{"key", "disk"}, {"operator", "Exists"}})), v).node == "n2");
  json fields = Affinity("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                         {{"nodeSelectorTerms", json::array({{{"matchFields", json::array({
                             {{"key", "metadata.name"}, {"operator", "In"}, {"values", {"n2"}}}})}}})}});
  CHECK(Schedule(Pod("p", fields), v).node == "n2");
  Placement none = Schedule(Pod("p", {{"nodeSelector", {{"disk", "nvme"}}}}), v);
  CHECK(none.node.empty());
  CHECK(none.message ==
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling.");
}

TEST_CASE("taints need tolerations; NotReady and unschedulable nodes are skipped") {
  ClusterView v;
  v.nodes = {Node("n1", {}, json::array({{{"key", "dedicated"}, {"value", "db"}, {"effect", "NoSchedule"}}})),
             Node("n2", {}, json::array({{{"key", "node.kubernetes.io/unreachable"}, {"effect", "NoExecute"}}})),
             Node("n3", {}, json::array(), false)};
  Placement p = Schedule(Pod("p"), v);
  CHECK(p.node.empty());
  CHECK(p.message ==
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint "
        "{node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  json tol = {{"tolerations", json::array({{{"key", "dedicated"}, {"operator", "Equal"}, {"value", "db"}, {"effect", "NoSchedule"}}})}};
  CHECK(Schedule(Pod("p", tol), v).node == "n1");
  json wrong = {{"tolerations", json::array({{{"key", "dedicated"}, {"value", "web"}}})}};
  CHECK(Schedule(Pod("p", wrong), v).node.empty());
  json all = {{"tolerations", json::array({{{"operator", "Exists"}}})}};
  v.nodes[0]["spec"]["unschedulable"] = true;
  CHECK(Schedule(Pod("p", all), v).node == "n2");
}

TEST_CASE("required pod anti-affinity by hostname spreads, affinity gathers") {
  ClusterView v = Three();
  json anti = Affinity("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                       json::array({{{"labelSelector", {{"matchLabels", {{"app", "pg"}}}}},
                                     {"topologyKey", "kubernetes.io/hostname"}}}));
  v.pods = {Pod("pg-1", anti, {{"app", "pg"}}, "n1"), Pod("pg-2", anti, {{"app", "pg"}}, "n2"),
            Pod("other-1", {}, {}, "n3"), Pod("other-2", {}, {}, "n3")};
  CHECK(Schedule(Pod("pg-3", anti, {{"app", "pg"}}), v).node == "n3");
  v.pods.push_back(Pod("pg-3", anti, {{"app", "pg"}}, "n3"));
  Placement full = Schedule(Pod("pg-4", anti, {{"app", "pg"}}), v);
  CHECK(full.node.empty());
  CHECK(full.message.find("3 node(s) didn't match pod anti-affinity rules") != std::string::npos);
  // Existing pods' anti-affinity keeps a matching newcomer away even without its own rule.
  v.pods.pop_back();
  CHECK(Schedule(Pod("plain", {}, {{"app", "pg"}}), v).node == "n3");
  json with = Affinity("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                       json::array({{{"labelSelector", {{"matchLabels", {{"app", "pg"}}}}},
                                     {"topologyKey", "kubernetes.io/hostname"}}}));
  Placement near = Schedule(Pod("sidecar", with), v);
  CHECK((near.node == "n1" || near.node == "n2"));
  ClusterView empty = Three();
  CHECK(Schedule(Pod("lonely", with), empty).node.empty());
  CHECK(Schedule(Pod("first", with, {{"app", "pg"}}), empty).node == "n1");
}

TEST_CASE("preferred anti-affinity outweighs pod count") {
  ClusterView v = Three();
  json pref = Affinity("podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
                       json::array({{{"weight", 100}, {"podAffinityTerm", {{"labelSelector", {{"matchLabels", {{"app", "pg"}}}}},
                                                                            {"topologyKey", "kubernetes.io/hostname"}}}}}));
  v.pods = {Pod("pg-1", {}, {{"app", "pg"}}, "n1"), Pod("x", {}, {}, "n2"), Pod("y", {}, {}, "n2")};
  CHECK(Schedule(Pod("pg-2", pref, {{"app", "pg"}}), v).node == "n3");
  v.pods.push_back(Pod("pg-3", {}, {{"app", "pg"}}, "n3"));
  CHECK(Schedule(Pod("pg-2", pref, {{"app", "pg"}}), v).node == "n2");
}

TEST_CASE("volumes: bound PV pins the node, WaitForFirstConsumer asks for provisioning") {
  ClusterView v = Three();
  v.storage_classes["standard"] = {{"metadata", {{"name", "standard"}}}, {"volumeBindingMode", "WaitForFirstConsumer"}};
  v.storage_classes["fast"] = {{"metadata", {{"name", "fast"}}}, {"volumeBindingMode", "Immediate"}};
  json vol = {{"volumes", json::array({{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}})}};
  Placement missing = Schedule(Pod("p", vol), v);
  CHECK(missing.message.rfind("0/3 nodes are available: persistentvolumeclaim \"data\" not found.", 0) == 0);
  v.claims["default/data"] = {{"metadata", {{"name", "data"}, {"namespace", "default"}}},
                              {"spec", {{"storageClassName", "standard"}}}};
  Placement wffc = Schedule(Pod("p", vol), v);
  CHECK(wffc.node == "n1");
  CHECK(wffc.claims_to_provision == std::vector<std::string>{"default/data"});
  v.claims["default/data"]["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = "n2";
  Placement waiting = Schedule(Pod("p", vol), v);
  CHECK(waiting.node == "n2");
  CHECK(waiting.waiting_for_volumes);
  v.claims["default/data"]["spec"]["volumeName"] = "pv1";
  v.claims["default/data"]["status"]["phase"] = "Bound";
  v.volumes["pv1"] = {{"metadata", {{"name", "pv1"}}},
                      {"spec", {{"nodeAffinity", {{"required", {{"nodeSelectorTerms", json::array({
                          {{"matchExpressions", json::array({{{"key", "kubernetes.io/hostname"}, {"operator", "In"},
                                                              {"values", {"n3"}}}})}}})}}}}}}}};
  Placement pinned = Schedule(Pod("p", vol), v);
  CHECK(pinned.node == "n3");
  CHECK_FALSE(pinned.waiting_for_volumes);
  Placement conflict = Schedule(Pod("p", {{"volumes", vol["volumes"]}, {"nodeSelector", {{"disk", "ssd"}}}}), v);
  INFO(conflict.message);
  CHECK(conflict.message.find("2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict") !=
        std::string::npos);
  v.claims["default/data"] = {{"metadata", {{"name", "data"}, {"namespace", "default"}}}, {"spec", {{"storageClassName", "fast"}}}};
  CHECK(Schedule(Pod("p", vol), v).message.find("pod has unbound immediate PersistentVolumeClaims") != std::string::npos);
}

}  // namespace
}  // namespace tusk::localkube
