#include "test/localkube/net/endpoints.h"

#include <map>

namespace tusk::localkube::net {
namespace {

using nlohmann::json;

bool PodReady(const json& pod) {
  for (const auto& c : pod.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// The container port a Service port's targetPort names in this pod; 0 when
// the pod has no such port.
int TargetPort(const json& service_port, const json& pod) {
  const json target = service_port.value("targetPort", service_port.value("port", json(0)));
  if (target.is_number_integer()) return target.get<int>();
  if (!target.is_string()) return 0;
  const std::string name = target.get<std::string>();
  for (const auto& c : pod.value("spec", json::object()).value("containers", json::array())) {
    for (const auto& p : c.value("ports", json::array())) {
      if (p.value("name", "") == name) return p.value("containerPort", 0);
    }
  }
  return 0;
}

}  // namespace

bool SelectorMatches(const json& selector, const json& labels) {
  if (!selector.is_object() || selector.empty()) return false;
  for (const auto& [k, v] : selector.items()) {
    if (!labels.is_object() || !labels.contains(k) || labels[k] != v) return false;
  }
  return true;
}

json EndpointsFor(const json& service, const std::vector<json>& pods) {
  const json meta = service.value("metadata", json::object());
  const json spec = service.value("spec", json::object());
  const json selector = spec.value("selector", json::object());
  if (selector.empty()) return nullptr;
  const bool publish_not_ready = spec.value("publishNotReadyAddresses", false);
  // Pods with the same resolved port numbers share a subset, as the real
  // controller groups them.
  std::map<std::string, json> subsets;
  for (const auto& pod : pods) {
    const json pmeta = pod.value("metadata", json::object());
    const json status = pod.value("status", json::object());
    const std::string ip = status.value("podIP", "");
    const std::string phase = status.value("phase", "");
    if (ip.empty() || phase == "Succeeded" || phase == "Failed" || pmeta.contains("deletionTimestamp")) continue;
    if (!SelectorMatches(selector, pmeta.value("labels", json::object()))) continue;
    json ports = json::array();
    for (const auto& sp : spec.value("ports", json::array())) {
      const int port = TargetPort(sp, pod);
      if (port == 0) continue;
      json p = {{"port", port}, {"protocol", sp.value("protocol", "TCP")}};
      if (sp.contains("name")) p["name"] = sp["name"];
      ports.push_back(p);
    }
    if (ports.empty()) continue;
    json address = {{"ip", ip},
                    {"targetRef", {{"kind", "Pod"},
                                   {"name", pmeta.value("name", "")},
                                   {"namespace", pmeta.value("namespace", "default")},
                                   {"uid", pmeta.value("uid", "")}}}};
    const json pspec = pod.value("spec", json::object());
    if (pspec.contains("nodeName")) address["nodeName"] = pspec["nodeName"];
    if (pspec.value("subdomain", "") == meta.value("name", "") && pspec.contains("hostname")) {
      address["hostname"] = pspec["hostname"];
    }
    json& subset = subsets[ports.dump()];
    if (subset.is_null()) subset = {{"ports", ports}};
    const bool ready = PodReady(pod) || publish_not_ready;
    subset[ready ? "addresses" : "notReadyAddresses"].push_back(address);
  }
  json out = {{"apiVersion", "v1"},
              {"kind", "Endpoints"},
              {"metadata", {{"name", meta.value("name", "")}, {"namespace", meta.value("namespace", "default")}}},
              {"subsets", json::array()}};
  if (meta.contains("labels")) out["metadata"]["labels"] = meta["labels"];
  for (auto& [key, subset] : subsets) out["subsets"].push_back(subset);
  return out;
}

}  // namespace tusk::localkube::net
