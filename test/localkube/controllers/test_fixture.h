// What the controller tests share: a real in-process Api on a memory store,
// a FakeClock, object builders, and a bounded wait for a condition.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "common/base/clock.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/object_util.h"
#include "test/unit/eventually.h"

namespace tusk::localkube::testing {

struct ApiFixture {
  ApiFixture() : tokens("key"), api(&store, &registry, &tokens) { REQUIRE(api.Bootstrap().ok()); }

  json Get(const std::string& gr, const std::string& ns, const std::string& name) {
    auto o = store.Get(gr, ns, name);
    return o ? *o : json(nullptr);
  }

  json Create(const std::string& gr, const std::string& ns, json obj) {
    auto r = api.Create(gr, ns, std::move(obj));
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    return r->object;
  }

  // A Ready node with the localkube labels, heartbeat at the clock's now.
  json AddNode(const std::string& name, json extra_labels = json::object(), json taints = json::array()) {
    json labels = {{"kubernetes.io/hostname", name}, {"kubernetes.io/os", "linux"}, {"kubernetes.io/arch", "amd64"}};
    if (extra_labels.is_object()) labels.update(extra_labels);
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"labels", labels}}},
                 {"spec", json::object()}};
    if (!taints.empty()) node["spec"]["taints"] = taints;
    json created = Create("nodes", "", node);
    created["status"] = {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"},
                                                      {"lastHeartbeatTime", FormatRfc3339(clock.WallNow())},
                                                      {"lastTransitionTime", FormatRfc3339(clock.WallNow())}}})}};
    REQUIRE(api.UpdateStatus("nodes", "", created).ok());
    return Get("nodes", "", name);
  }

  // Renews the node's Lease (creating the namespace and Lease if needed).
  void Heartbeat(const std::string& node) {
    if (!store.Get("namespaces", "", "kube-node-lease")) {
      api.Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "kube-node-lease"}}}});
    }
    std::string now = FormatRfc3339(clock.WallNow());
    json lease = {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"},
                  {"metadata", {{"name", node}, {"namespace", "kube-node-lease"}}},
                  {"spec", {{"holderIdentity", node}, {"leaseDurationSeconds", 40}, {"renewTime", now}}}};
    if (store.Get("leases.coordination.k8s.io", "kube-node-lease", node)) {
      REQUIRE(api.Update("leases.coordination.k8s.io", "kube-node-lease", node, lease).ok());
    } else {
      Create("leases.coordination.k8s.io", "kube-node-lease", lease);
    }
  }

  static json Pod(const std::string& name, json spec_extra = json::object(), json labels = json::object()) {
    if (!labels.is_object()) labels = json::object();
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", labels}}},
                {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "debian:bookworm"}}})}}}};
    if (spec_extra.is_object()) pod["spec"].update(spec_extra);
    return pod;
  }

  // What the kubelet would write: Running with an IP, Ready or not.
  void SetPodStatus(const std::string& ns, const std::string& name, bool ready, const std::string& ip = "10.244.0.9",
                    const std::string& phase = "Running") {
    for (int attempt = 0; attempt < 20; ++attempt) {
      json pod = Get("pods", ns, name);
      if (!pod.is_object()) return;  // deleted meanwhile
      pod["status"]["phase"] = phase;
      pod["status"]["podIP"] = ip;
      SetCondition(pod["status"]["conditions"], "Ready", ready ? "True" : "False", "", "", FormatRfc3339(clock.WallNow()));
      if (api.UpdateStatus("pods", ns, pod).ok()) return;
    }
    FAIL("could not write pod status");
  }

  // Watch options for changes from now on.
  ListOptions FromNow() const {
    ListOptions opts;
    opts.resource_version = std::to_string(store.current_rv());
    return opts;
  }

  std::vector<json> Events(const std::string& reason) {
    std::vector<json> out;
    for (auto& e : ListObjects(api, "events")) {
      if (e.value("reason", "") == reason) out.push_back(e);
    }
    return out;
  }

  FakeClock clock;
  Store store;
  Registry registry;
  TokenAuthority tokens;
  Api api;
};

}  // namespace tusk::localkube::testing
