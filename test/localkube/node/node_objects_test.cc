#include "test/localkube/node/node_objects.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

using nlohmann::json;

NodeFacts Facts() {
  NodeFacts f;
  f.name = "localkube-node-2";
  f.internal_ip = "10.243.255.1";
  f.cpus = 2;
  f.memory_kib = 4096;
  f.storage_kib = 1000;
  return f;
}

const json* ConditionOf(const json& status, const std::string& type) {
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type) return &c;
  }
  return nullptr;
}

TEST_CASE("a new Node carries the contract's labels, addresses, capacity and a Ready condition") {
  json node = NodeObject(Facts(), "2026-01-01T00:00:00Z");
  CHECK(node["metadata"]["labels"]["kubernetes.io/hostname"] == "localkube-node-2");
  CHECK(node["metadata"]["labels"]["kubernetes.io/os"] == "linux");
  CHECK(node["metadata"]["labels"]["kubernetes.io/arch"] == "amd64");
  const json& status = node["status"];
  CHECK(status["addresses"][0] == json{{"type", "InternalIP"}, {"address", "10.243.255.1"}});
  CHECK(status["addresses"][1] == json{{"type", "Hostname"}, {"address", "localkube-node-2"}});
  CHECK(status["capacity"]["cpu"] == "2");
  CHECK(status["capacity"]["memory"] == "4096Ki");
  CHECK(status["allocatable"]["pods"] == "110");
  CHECK(status["nodeInfo"]["kubeletVersion"] == "v1.32.0");
  for (const char* type : {"MemoryPressure", "DiskPressure", "PIDPressure"}) {
    REQUIRE(ConditionOf(status, type));
    CHECK((*ConditionOf(status, type))["status"] == "False");
  }
  REQUIRE(ConditionOf(status, "Ready"));
  CHECK((*ConditionOf(status, "Ready"))["reason"] == "KubeletReady");
}

TEST_CASE("a heartbeat refreshes lastHeartbeatTime and keeps lastTransitionTime of unchanged conditions") {
  json first = NodeStatus(Facts(), json(), "T1");
  json second = NodeStatus(Facts(), first, "T2");
  const json& ready = *ConditionOf(second, "Ready");
  CHECK(ready["lastHeartbeatTime"] == "T2");
  CHECK(ready["lastTransitionTime"] == "T1");
  // Back from Unknown (node lifecycle): Ready again, with a new transition.
  json unknown = second;
  for (auto& c : unknown["conditions"]) {
    if (c["type"] == "Ready") c["status"] = "Unknown";
  }
  json third = NodeStatus(Facts(), unknown, "T3");
  CHECK((*ConditionOf(third, "Ready"))["status"] == "True");
  CHECK((*ConditionOf(third, "Ready"))["lastTransitionTime"] == "T3");
  CHECK((*ConditionOf(third, "DiskPressure"))["lastTransitionTime"] == "T1");
}

TEST_CASE("the node Lease names its holder and duration and is owned by the Node") {
  json lease = NodeLease("localkube-node-1", "uid-1", "2026-01-01T00:00:00.000001Z");
  CHECK(lease["metadata"]["namespace"] == "kube-node-lease");
  CHECK(lease["spec"]["holderIdentity"] == "localkube-node-1");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 40);
  CHECK(lease["spec"]["renewTime"] == "2026-01-01T00:00:00.000001Z");
  CHECK(lease["metadata"]["ownerReferences"][0]["uid"] == "uid-1");
}

TEST_CASE("pod status merge: the node's conditions from the kubelet, other owners' kept") {
  json current = {{"phase", "Pending"},
                  {"qosClass", "BestEffort"},
                  {"conditions",
                   json::array({{{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", "S"}},
                                {{"type", "Ready"}, {"status", "False"}, {"reason", "NodeLost"}},
                                {{"type", "DisruptionTarget"}, {"status", "True"}}})}};
  json reported = {{"phase", "Running"},
                   {"podIP", "10.244.0.5"},
                   {"conditions",
                    json::array({{{"type", "Initialized"}, {"status", "True"}},
                                 {{"type", "Ready"}, {"status", "True"}},
                                 {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", "K"}}})}};
  json merged = MergePodStatus(current, reported);
  CHECK(merged["phase"] == "Running");
  CHECK(merged["podIP"] == "10.244.0.5");
  CHECK(merged["qosClass"] == "BestEffort");
  CHECK((*ConditionOf(merged, "Ready"))["status"] == "True");
  CHECK((*ConditionOf(merged, "Initialized"))["status"] == "True");
  CHECK((*ConditionOf(merged, "PodScheduled"))["lastTransitionTime"] == "S");
  REQUIRE(ConditionOf(merged, "DisruptionTarget"));
  CHECK(merged["conditions"].size() == 4);
  // Nothing stored yet: the kubelet's PodScheduled is taken as is.
  json fresh = MergePodStatus(json::object(), reported);
  CHECK((*ConditionOf(fresh, "PodScheduled"))["lastTransitionTime"] == "K");
}

}  // namespace
}  // namespace tusk::localkube
