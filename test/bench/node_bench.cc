// localkube node figures over a real in-process Api and a two-node
// LocalCluster: a bound pod's create → Running as the API reports it (the
// whole path: watch, kubelet, pods/status), and how soon an Endpoints change
// written to the API steers new ClusterIP connections (goal: 50 ms). Needs
// root; without it, says so and reports nothing.
#include <chrono>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "test/bench/bench.h"
#include "test/localkube/node/cluster_fixture.h"

namespace {

using nlohmann::json;
using tusk::localkube::testing::TestCluster;
using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

json Pod(const std::string& name, const std::string& node, const std::string& script) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"nodeName", node},
            {"terminationGracePeriodSeconds", 1},
            {"containers", json::array({{{"name", "main"}, {"image", "debian:bookworm"}, {"command", {"sh", "-c", script}}}})}}}};
}

// Polls the API every millisecond until the pod is Running; the pod, or null at the deadline.
json WaitRunning(TestCluster& t, const std::string& name) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    auto pod = t.api.Get("pods", "default", name);
    if (pod.ok() && pod->value("/status/phase"_json_pointer, std::string()) == "Running" &&
        !pod->value("/status/podIP"_json_pointer, std::string()).empty()) {
      return *pod;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return json();
}

std::string Who(const std::string& ip) {
  httplib::Client client(ip, 80);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(1));
  auto res = client.Get("/who");
  return res && res->status == 200 ? res->body : "";
}

json Endpoints(const std::string& ip) {
  return {{"apiVersion", "v1"},
          {"kind", "Endpoints"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"subsets", json::array({{{"addresses", json::array({{{"ip", ip}}})},
                                    {"ports", json::array({{{"name", "http"}, {"port", 8080}}})}}})}};
}

}  // namespace

int main() {
  std::string why;
  bool skip = false;
  auto t = tusk::localkube::testing::MakeCluster(&why, &skip);
  if (!t) {
    std::cerr << "bench_localkube_node: " << why << "\n";
    return skip ? 0 : 1;
  }
  const std::vector<std::string> nodes = t->cluster->NodeNames();

  std::vector<double> running;
  for (int i = 0; i < 10; ++i) {
    const std::string name = "bench-" + std::to_string(i);
    const auto start = Clock::now();
    if (!t->api.Create("pods", "default", Pod(name, nodes[i % nodes.size()], "exec sleep 1000")).ok() ||
        WaitRunning(*t, name).is_null()) {
      std::cerr << "bench_localkube_node: pod " << name << " did not reach Running\n";
      return 1;
    }
    running.push_back(MillisSince(start));
  }
  tusk::bench::ReportSamples("localkube.node.api_pod_running_ms", running, "ms");

  std::vector<std::string> ips;
  for (const char* name : {"web-a", "web-b"}) {
    const std::string script = std::string("mkdir -p /tmp/www && echo ") + name +
                               " > /tmp/www/who && cd /tmp/www && exec python3 -m http.server 8080";
    json pod = t->api.Create("pods", "default", Pod(name, nodes[ips.size() % nodes.size()], script)).ok()
                   ? WaitRunning(*t, name)
                   : json();
    if (pod.is_null()) {
      std::cerr << "bench_localkube_node: " << name << " did not start\n";
      return 1;
    }
    ips.push_back(pod["status"]["podIP"]);
  }
  const std::string cluster_ip = t->ServiceIp(10);
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", {{"name", "web"}}},
                  {"spec", {{"clusterIP", cluster_ip}, {"ports", json::array({{{"name", "http"}, {"port", 80}}})}}}};
  if (!t->api.Create("services", "default", service).ok() ||
      !t->api.Create("endpoints", "default", Endpoints(ips[0])).ok() ||
      !tusk::Eventually([&] { return Who(cluster_ip) == "web-a\n"; }, std::chrono::seconds(20))) {
    std::cerr << "bench_localkube_node: the Service never answered\n";
    return 1;
  }
  std::vector<double> follow;
  for (int i = 1; i <= 20; ++i) {
    const std::string want = i % 2 ? "web-b\n" : "web-a\n";
    const auto start = Clock::now();
    if (!t->api.Update("endpoints", "default", "web", Endpoints(ips[i % 2])).ok()) return 1;
    const auto deadline = start + std::chrono::seconds(5);
    while (Who(cluster_ip) != want) {
      if (Clock::now() > deadline) {
        std::cerr << "bench_localkube_node: the proxy never followed the Endpoints change\n";
        return 1;
      }
    }
    follow.push_back(MillisSince(start));
  }
  tusk::bench::ReportSamples("localkube.node.endpoints_follow_ms", follow, "ms", {{"goal", 50}});
  return 0;
}
