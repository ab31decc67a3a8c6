// Kubelet figures: how long a pod takes from spec to Running (network
// namespace, veth, root filesystem, exec), the node's own memory with 100
// pods, and how soon the ClusterIP proxy sends new connections to a changed
// endpoint. Needs root; without it, says so and reports nothing.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include <httplib.h>

#include "test/bench/bench.h"
#include "test/localkube/net/service_proxy.h"
#include "test/localkube/runtime/kubelet_fixture.h"

namespace {

using nlohmann::json;
using tusk::localkube::testing::PhaseOf;
using tusk::localkube::testing::TestNode;
using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

bool Running(const json& s) { return PhaseOf(s) == "Running"; }

std::string Who(const std::string& ip) {
  httplib::Client client(ip, 80);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(2));
  auto res = client.Get("/who");
  return res && res->status == 200 ? res->body : "";
}

}  // namespace

int main() {
  std::string why;
  bool skip = false;
  auto node = TestNode::Make(&why, &skip);
  if (!node) {
    std::cerr << "bench_kubelet: " << why << "\n";
    return skip ? 0 : 1;
  }

  std::vector<double> running;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "bench-" + std::to_string(i);
    const auto t = Clock::now();
    if (!node->kubelet().SyncPod(TestNode::Pod(name, {"sleep", "1000"})).ok() ||
        !node->statuses().WaitFor(name + "-uid", Running, std::chrono::seconds(30))) {
      std::cerr << "bench_kubelet: pod " << name << " did not start\n";
      return 1;
    }
    running.push_back(MillisSince(t));
  }
  // kubelet.pod_running_ms (create to Running) is measured through the API
  // by the localkube bench; this is the kubelet alone, without API or
  // scheduler.
  tusk::bench::ReportSamples("kubelet.sync_pod_running_ms", running, "ms");

  for (int i = 20; i < 100; ++i) {
    const std::string name = "bench-" + std::to_string(i);
    if (!node->kubelet().SyncPod(TestNode::Pod(name, {"sleep", "1000"})).ok()) return 1;
  }
  for (int i = 20; i < 100; ++i) {
    if (!node->statuses().WaitFor("bench-" + std::to_string(i) + "-uid", Running, std::chrono::seconds(60))) {
      std::cerr << "bench_kubelet: not all 100 pods are running\n";
      return 1;
    }
  }
  tusk::bench::Report("kubelet.rss_100_pods_mib", tusk::bench::RssMib(::getpid()), "MiB",
                      {{"what", "kubelet + pod network + proxy in one process, 100 running pods"}});
  node->kubelet().KillAll();

  // Two web pods behind one ClusterIP; each round moves the endpoint and
  // times until a new connection lands on the new pod.
  std::map<std::string, std::string> ips;
  for (const std::string name : {"web-a", "web-b"}) {
    json pod = TestNode::Pod(name, {"sh", "-c",
                                    "mkdir -p /tmp/w && echo " + name +
                                        " > /tmp/w/who && cd /tmp/w && exec python3 -m http.server 8080"},
                             {{"readinessProbe", {{"tcpSocket", {{"port", 8080}}}, {"periodSeconds", 1}}}});
    if (!node->kubelet().SyncPod(pod).ok() ||
        !node->statuses().WaitFor(name + "-uid", [](const json& s) { return s["containerStatuses"][0]["ready"] == true; },
                                  std::chrono::seconds(30))) {
      std::cerr << "bench_kubelet: " << name << " did not become ready\n";
      return 1;
    }
    ips[name] = node->statuses().Latest(name + "-uid").value("podIP", "");
  }
  auto cluster_ip = node->network().AllocateClusterIp();
  if (!cluster_ip.ok()) return 1;
  json service = {{"metadata", {{"name", "web"}, {"namespace", "default"}}},
                  {"spec", {{"clusterIP", *cluster_ip}, {"ports", json::array({{{"name", "http"}, {"port", 80}}})}}}};
  tusk::localkube::net::ServiceProxy proxy(node->network().netns_path());
  std::vector<double> switches;
  for (int i = 0; i < 20; ++i) {
    const std::string target = i % 2 == 0 ? "web-a" : "web-b";
    json endpoints = {{"subsets", json::array({{{"addresses", json::array({{{"ip", ips[target]}}})},
                                                {"ports", json::array({{{"name", "http"}, {"port", 8080}}})}}})}};
    const auto t = Clock::now();
    if (!proxy.Apply(*tusk::localkube::net::RouteFor(service, endpoints)).ok()) return 1;
    bool switched = false;
    for (int attempt = 0; attempt < 100 && !switched; ++attempt) switched = Who(*cluster_ip) == target + "\n";
    if (!switched) {
      std::cerr << "bench_kubelet: proxy never reached " << target << "\n";
      return 1;
    }
    switches.push_back(MillisSince(t));
  }
  tusk::bench::ReportSamples("proxy.endpoint_switch_ms", switches, "ms",
                             {{"goal", 50}, {"what", "Endpoints change applied to the first new connection served by the new pod"}});
  return 0;
}
