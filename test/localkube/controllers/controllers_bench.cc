// How fast the controllers react, in process with a real clock: a pod's
// readiness reaching its Service's Endpoints, and a new pod being bound.
#include <chrono>
#include <thread>

#include "common/base/clock.h"
#include "test/bench/bench.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/cluster_controllers.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {
namespace {

using Ms = std::chrono::duration<double, std::milli>;

// Polls `done` for up to 5 s; the elapsed milliseconds, or -1 on timeout.
template <typename F>
double TimeUntil(std::chrono::steady_clock::time_point start, F done) {
  auto deadline = start + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return Ms(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return -1;
}

json Pod(const std::string& name, const std::string& node) {
  json p = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
            {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "debian:bookworm"}}})}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

void SetReady(Api& api, const std::string& name, int ip, bool ready) {
  for (int i = 0; i < 10; ++i) {
    json pod = *api.store().Get("pods", "default", name);
    pod["status"]["phase"] = "Running";
    pod["status"]["podIP"] = "10.244.0." + std::to_string(ip);
    SetCondition(pod["status"]["conditions"], "Ready", ready ? "True" : "False", "", "", NowRfc3339());
    if (api.UpdateStatus("pods", "default", pod).ok()) return;
  }
}

bool InAddresses(Api& api, const std::string& ip) {
  auto ep = api.store().Get("endpoints", "default", "web");
  if (!ep) return false;
  for (const auto& s : (*ep).value("subsets", json::array())) {
    for (const auto& a : s.value("addresses", json::array())) {
      if (a.value("ip", "") == ip) return true;
    }
  }
  return false;
}

int Run() {
  Store store;
  Registry registry;
  TokenAuthority tokens("key");
  Api api(&store, &registry, &tokens);
  if (!api.Bootstrap().ok()) return 1;
  RealClock clock;
  ClusterControllers controllers(&api, clock, {});
  controllers.Start();
  for (int n = 1; n <= 3; ++n) {
    std::string name = "localkube-node-" + std::to_string(n);
    auto node = api.Create("nodes", "", {{"apiVersion", "v1"}, {"kind", "Node"},
                                         {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}}});
    if (!node.ok()) return 1;
    json st = node->object;
    st["status"]["conditions"] = json::array({{{"type", "Ready"}, {"status", "True"}, {"lastHeartbeatTime", NowRfc3339()}}});
    api.UpdateStatus("nodes", "", st);
  }
  api.Create("services", "default", {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "web"}}},
                                     {"spec", {{"selector", {{"app", "web"}}}, {"ports", json::array({{{"port", 80}}})}}}});
  const int kPods = 50;
  for (int i = 0; i < kPods; ++i) {
    api.Create("pods", "default", Pod("web-" + std::to_string(i), "localkube-node-1"));
    SetReady(api, "web-" + std::to_string(i), i + 10, true);
  }
  std::vector<double> follow;
  for (int run = 0; run < 30; ++run) {
    SetReady(api, "web-0", 10, false);
    TimeUntil(std::chrono::steady_clock::now(), [&] { return !InAddresses(api, "10.244.0.10"); });
    auto start = std::chrono::steady_clock::now();
    SetReady(api, "web-0", 10, true);
    double ms = TimeUntil(start, [&] { return InAddresses(api, "10.244.0.10"); });
    if (ms < 0) return 1;
    follow.push_back(ms);
  }
  bench::ReportSamples("controllers.endpoints_follow_ready_ms", follow, "ms", {{"pods", kPods}, {"goal", 50}});
  std::vector<double> bind;
  for (int run = 0; run < 30; ++run) {
    std::string name = "sched-" + std::to_string(run);
    auto start = std::chrono::steady_clock::now();
    api.Create("pods", "default", Pod(name, ""));
    double ms = TimeUntil(start, [&] {
      auto p = api.store().Get("pods", "default", name);
      return p && !StrAt(*p, "/spec/nodeName"_json_pointer).empty();
    });
    if (ms < 0) return 1;
    bind.push_back(ms);
  }
  bench::ReportSamples("controllers.schedule_pod_ms", bind, "ms", {{"nodes", 3}});
  controllers.Stop();
  return 0;
}

}  // namespace
}  // namespace tusk::localkube

int main() { return tusk::localkube::Run(); }
