#include "test/localkube/controllers/endpoints_controller.h"

#include <map>
#include <set>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/net/endpoints.h"

namespace tusk::localkube {
namespace {

constexpr char kTriggerAnnotation[] = "endpoints.kubernetes.io/last-change-trigger-time";

int TargetPort(const json& service_port, const json& pod) {
  const json target = service_port.value("targetPort", service_port.value("port", json(0)));
  if (target.is_number_integer()) return target.get<int>();
  if (!target.is_string()) return 0;
  for (const auto& c : pod["spec"].value("containers", json::array())) {
    for (const auto& p : c.value("ports", json::array())) {
      if (p.value("name", "") == target.get<std::string>()) return p.value("containerPort", 0);
    }
  }
  return 0;
}

}  // namespace

std::vector<json> EndpointSlicesFor(const json& service, const std::vector<json>& pods) {
  const json& meta = service["metadata"];
  const json spec = service.value("spec", json::object());
  const json selector = spec.value("selector", json::object());
  if (selector.empty()) return {};
  const bool publish_not_ready = spec.value("publishNotReadyAddresses", false);
  std::map<std::string, json> by_ports;
  auto new_slice = [&](const json& ports) -> json {
    return {{"apiVersion", "discovery.k8s.io/v1"},
            {"kind", "EndpointSlice"},
            {"metadata", {{"namespace", meta.value("namespace", "default")},
                          {"labels", {{kServiceNameLabel, meta.value("name", "")},
                                      {kManagedByLabel, kSliceControllerName}}},
                          {"ownerReferences", json::array({ControllerRef(service)})}}},
            {"addressType", "IPv4"},
            {"endpoints", json::array()},
            {"ports", ports}};
  };
  for (const auto& pod : pods) {
    const json& pmeta = pod["metadata"];
    std::string ip = StrAt(pod, "/status/podIP"_json_pointer);
    if (ip.empty() || PodTerminated(pod)) continue;
    if (!net::SelectorMatches(selector, pmeta.value("labels", json::object()))) continue;
    json ports = json::array();
    for (const auto& sp : spec.value("ports", json::array())) {
      int port = TargetPort(sp, pod);
      if (port == 0) continue;
      ports.push_back({{"name", sp.value("name", "")}, {"port", port}, {"protocol", sp.value("protocol", "TCP")}});
    }
    const bool terminating = IsDeleting(pod);
    const bool serving = PodReady(pod) || publish_not_ready;
    json endpoint = {{"addresses", json::array({ip})},
                     {"conditions", {{"ready", serving && !terminating}, {"serving", serving}, {"terminating", terminating}}},
                     {"targetRef", {{"kind", "Pod"},
                                    {"namespace", pmeta.value("namespace", "default")},
                                    {"name", pmeta.value("name", "")},
                                    {"uid", pmeta.value("uid", "")}}}};
    std::string node = StrAt(pod, "/spec/nodeName"_json_pointer);
    if (!node.empty()) endpoint["nodeName"] = node;
    json& slice = by_ports[ports.dump()];
    if (slice.is_null()) slice = new_slice(ports);
    slice["endpoints"].push_back(endpoint);
  }
  std::vector<json> out;
  for (auto& [ports, slice] : by_ports) out.push_back(std::move(slice));
  if (out.empty()) {
    // A Service with no endpoints still has one (empty) slice, as in Kubernetes.
    out.push_back(new_slice(json::array()));
  }
  return out;
}

std::optional<Duration> EndpointsController::Reconcile() {
  bool retry = false;
  std::map<std::string, std::vector<json>> pods_by_ns;
  for (auto& p : ListObjects(*api_, "pods")) pods_by_ns[p["metadata"].value("namespace", "")].push_back(std::move(p));
  std::map<std::string, std::vector<json>> slices_by_service;
  for (auto& s : ListObjects(*api_, "endpointslices.discovery.k8s.io")) {
    const json labels = s["metadata"].value("labels", json::object());
    if (labels.value(kManagedByLabel, "") != kSliceControllerName) continue;
    slices_by_service[s["metadata"].value("namespace", "") + "/" + labels.value(kServiceNameLabel, "")].push_back(s);
  }
  std::set<std::string> services;
  for (const auto& svc : ListObjects(*api_, "services")) {
    std::string ns = svc["metadata"].value("namespace", "");
    std::string key = ns + "/" + svc["metadata"].value("name", "");
    if (svc.value("spec", json::object()).value("selector", json::object()).empty()) continue;
    services.insert(key);
    retry |= !SyncEndpoints(svc, pods_by_ns[ns]);
    retry |= !SyncSlices(svc, pods_by_ns[ns], slices_by_service[key]);
  }
  // Endpoints this controller wrote for a Service that is gone (slices go by
  // their ownerReference).
  for (const auto& ep : ListObjects(*api_, "endpoints")) {
    const json& m = ep["metadata"];
    std::string key = m.value("namespace", "") + "/" + m.value("name", "");
    if (services.count(key) || !m.value("annotations", json::object()).contains(kTriggerAnnotation)) continue;
    if (!api_->store().Get("services", m.value("namespace", ""), m.value("name", ""))) {
      api_->Delete("endpoints", m.value("namespace", ""), m.value("name", ""));
    }
  }
  if (retry) return std::chrono::milliseconds(100);
  return std::nullopt;
}

bool EndpointsController::SyncEndpoints(const json& service, const std::vector<json>& pods) {
  json want = net::EndpointsFor(service, pods);
  const std::string ns = service["metadata"].value("namespace", "");
  const std::string name = service["metadata"].value("name", "");
  auto current = api_->store().Get("endpoints", ns, name);
  if (current) {
    const json& cur = *current;
    if (cur.value("subsets", json::array()) == want["subsets"] &&
        cur["metadata"].value("labels", json::object()) == want["metadata"].value("labels", json::object())) {
      return true;
    }
    json next = cur;
    next["subsets"] = want["subsets"];
    if (want["metadata"].contains("labels")) next["metadata"]["labels"] = want["metadata"]["labels"];
    next["metadata"]["annotations"][kTriggerAnnotation] = FormatRfc3339(clock_.WallNow());
    return api_->Update("endpoints", ns, name, next).ok();
  }
  want["metadata"]["annotations"][kTriggerAnnotation] = FormatRfc3339(clock_.WallNow());
  return api_->Create("endpoints", ns, want).ok();
}

bool EndpointsController::SyncSlices(const json& service, const std::vector<json>& pods,
                                     const std::vector<json>& slices) {
  const std::string ns = service["metadata"].value("namespace", "");
  const std::string name = service["metadata"].value("name", "");
  std::vector<json> want = EndpointSlicesFor(service, pods);
  std::vector<bool> used(slices.size(), false);
  bool ok = true;
  auto same_ports = [](const json& a, const json& b) { return a.value("ports", json::array()) == b["ports"]; };
  for (auto& w : want) {
    // Reuse the slice that already carries these ports, else any spare one.
    int match = -1;
    for (size_t i = 0; i < slices.size() && match < 0; ++i) {
      if (!used[i] && same_ports(slices[i], w)) match = static_cast<int>(i);
    }
    for (size_t i = 0; i < slices.size() && match < 0; ++i) {
      if (!used[i]) match = static_cast<int>(i);
    }
    if (match < 0) {
      w["metadata"]["generateName"] = name + "-";
      ok &= api_->Create("endpointslices.discovery.k8s.io", ns, w).ok();
      continue;
    }
    used[match] = true;
    const json& cur = slices[match];
    if (cur.value("endpoints", json::array()) == w["endpoints"] && same_ports(cur, w)) continue;
    json next = cur;
    next["endpoints"] = w["endpoints"];
    next["ports"] = w["ports"];
    ok &= api_->Update("endpointslices.discovery.k8s.io", ns, cur["metadata"].value("name", ""), next).ok();
  }
  for (size_t i = 0; i < slices.size(); ++i) {
    if (!used[i]) api_->Delete("endpointslices.discovery.k8s.io", ns, slices[i]["metadata"].value("name", ""));
  }
  return ok;
}

}  // namespace tusk::localkube
