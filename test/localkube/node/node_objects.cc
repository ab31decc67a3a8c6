#include "test/localkube/node/node_objects.h"

#include <set>

namespace tusk::localkube {
namespace {

using nlohmann::json;

std::string Kib(int64_t kib) { return std::to_string(kib) + "Ki"; }

json Condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, const json& previous, const std::string& now) {
  std::string transition = now;
  if (previous.is_object() && previous.contains("conditions") && previous["conditions"].is_array()) {
    for (const auto& c : previous["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == status) {
        transition = c.value("lastTransitionTime", now);
      }
    }
  }
  return {{"type", type},
          {"status", status},
          {"reason", reason},
          {"message", message},
          {"lastHeartbeatTime", now},
          {"lastTransitionTime", transition}};
}

}  // namespace

json NodeObject(const NodeFacts& facts, const std::string& now) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", facts.name},
            {"labels",
             {{"kubernetes.io/hostname", facts.name},
              {"kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", "amd64"},
              {"beta.kubernetes.io/os", "linux"},
              {"beta.kubernetes.io/arch", "amd64"}}}}},
          {"spec", json::object()},
          {"status", NodeStatus(facts, json(), now)}};
}

json NodeStatus(const NodeFacts& facts, const json& previous, const std::string& now) {
  const json resources = {{"cpu", std::to_string(facts.cpus)},
                          {"memory", Kib(facts.memory_kib)},
                          {"ephemeral-storage", Kib(facts.storage_kib)},
                          {"pods", std::to_string(facts.max_pods)}};
  return {
      {"addresses", json::array({{{"type", "InternalIP"}, {"address", facts.internal_ip}},
                                 {{"type", "Hostname"}, {"address", facts.name}}})},
      {"capacity", resources},
      {"allocatable", resources},
      {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
      {"nodeInfo",
       {{"kubeletVersion", kKubeletVersion},
        {"kubeProxyVersion", kKubeletVersion},
        {"operatingSystem", "linux"},
        {"architecture", "amd64"},
        {"containerRuntimeVersion", "localkube://1"},
        {"osImage", "localkube"},
        {"kernelVersion", facts.kernel_version},
        {"bootID", facts.boot_id},
        {"machineID", facts.name},
        {"systemUUID", facts.name}}},
      {"conditions",
       json::array({
           Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available",
                     previous, now),
           Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", previous,
                     now),
           Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                     previous, now),
           Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", previous, now),
       })},
  };
}

json NodeLease(const std::string& node, const std::string& node_uid, const std::string& now_micro) {
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", node}, {"namespace", "kube-node-lease"}}},
                {"spec",
                 {{"holderIdentity", node}, {"leaseDurationSeconds", kLeaseDurationSeconds}, {"renewTime", now_micro}}}};
  if (!node_uid.empty()) {
    lease["metadata"]["ownerReferences"] =
        json::array({{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}, {"uid", node_uid}}});
  }
  return lease;
}

bool NodeOwnsCondition(const std::string& type) {
  return type == "Initialized" || type == "ContainersReady" || type == "Ready" || type == "PodReadyToStartContainers";
}

json MergePodStatus(const json& current, const json& reported) {
  json merged = current.is_object() ? current : json::object();
  const json none = json::array();
  const json& stored =
      merged.contains("conditions") && merged["conditions"].is_array() ? merged["conditions"] : none;
  auto stored_of = [&](const std::string& type) -> const json* {
    for (const auto& c : stored) {
      if (c.value("type", "") == type) return &c;
    }
    return nullptr;
  };
  json conditions = json::array();
  std::set<std::string> seen;
  if (reported.contains("conditions") && reported["conditions"].is_array()) {
    for (const auto& c : reported["conditions"]) {
      const std::string type = c.value("type", "");
      seen.insert(type);
      const json* kept = NodeOwnsCondition(type) ? nullptr : stored_of(type);
      conditions.push_back(kept ? *kept : c);
    }
  }
  for (const auto& c : stored) {
    if (!seen.count(c.value("type", "")) && !NodeOwnsCondition(c.value("type", ""))) conditions.push_back(c);
  }
  for (const auto& [key, value] : reported.items()) {
    if (key != "conditions") merged[key] = value;
  }
  merged["conditions"] = conditions;
  return merged;
}

}  // namespace tusk::localkube
