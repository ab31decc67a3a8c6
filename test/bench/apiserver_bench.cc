// localkube API server figures: create throughput, the time to list 10,000
// objects, the latency from a write to 100 watchers seeing it, and the
// server's memory while it holds 20,000 objects. Runs its own localkube.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/base/files.h"
#include "common/base/signals.h"
#include "common/base/subprocess.h"
#include "test/bench/bench.h"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kObjects = 20000;
constexpr int kWriters = 8;
constexpr int kWatchers = 100;
constexpr int kFanoutWrites = 50;

struct Target {
  std::string dir;
  int port = 0;
  std::string token;
  int pid = 0;

  std::unique_ptr<httplib::SSLClient> Client() const {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path((dir + "/pki/ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    c->set_bearer_token_auth(token.c_str());
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_read_timeout(std::chrono::seconds(120));
    return c;
  }
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string LocalkubePath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string self(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return self.substr(0, self.rfind('/')) + "/../bin/localkube";
}

bool Run(const std::vector<std::string>& argv) {
  tusk::SubprocessOptions o;
  o.argv = argv;
  auto r = tusk::RunSubprocess(o, std::chrono::seconds(60));
  if (!r.ok() || !r->exit.success()) {
    std::cerr << argv[1] << " failed: " << (r.ok() ? r->stderr_data : r.status().ToString()) << "\n";
    return false;
  }
  return true;
}

bool Post(httplib::SSLClient& c, const std::string& path, const json& body) {
  auto res = c.Post(path.c_str(), body.dump(), "application/json");
  return res && res->status == 201;
}

json ConfigMap(const std::string& name, int i) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "bench"}, {"shard", std::to_string(i % 16)}}}}},
          {"data", {{"key", "value-" + std::to_string(i)}, {"config", std::string(200, 'x')}}}};
}

}  // namespace

int main() {
  tusk::IgnoreSigpipe();  // a keep-alive connection the server closed must be an error, not death
  auto dir = tusk::TempDir::Make("localkube-bench");
  if (!dir.ok()) return 1;
  Target t;
  t.dir = dir->path();
  std::string bin = LocalkubePath();
  if (!Run({bin, "start", "--dir", t.dir, "--apiserver-only"})) return 1;
  struct Stopper {
    std::string bin, dir;
    ~Stopper() { Run({bin, "stop", "--dir", dir}); }
  } stopper{bin, t.dir};
  t.port = std::atoi(tusk::ReadFile(t.dir + "/state/port").value_or("0").c_str());
  t.token = tusk::ReadFile(t.dir + "/pki/admin.token").value_or("");
  t.pid = std::atoi(tusk::ReadFile(t.dir + "/localkube.pid").value_or("0").c_str());

  auto admin = t.Client();
  for (const char* ns : {"bench-a", "bench-b", "fanout"}) {
    if (!Post(*admin, "/api/v1/namespaces", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})) {
      std::cerr << "creating namespace " << ns << " failed\n";
      return 1;
    }
  }

  // Creates: 20,000 ConfigMaps from 8 concurrent clients, half per namespace.
  std::atomic<int> next{0}, failures{0};
  auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      auto c = t.Client();
      for (int i = next++; i < kObjects; i = next++) {
        std::string ns = i % 2 ? "bench-b" : "bench-a";
        if (!Post(*c, "/api/v1/namespaces/" + ns + "/configmaps", ConfigMap("cm-" + std::to_string(i), i))) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  double create_s = Ms(Clock::now() - start) / 1000.0;
  if (failures) {
    std::cerr << failures << " creates failed\n";
    return 1;
  }
  tusk::bench::Report("apiserver.creates_per_s", kObjects / create_s, "1/s", {{"objects", kObjects}, {"clients", kWriters}});
  tusk::bench::Report("apiserver.rss_20k_mib", tusk::bench::RssMib(t.pid), "MiB", {{"objects", kObjects}});

  // Fresh connections per phase: the server closes idle keep-alive ones.
  admin = t.Client();
  std::vector<double> lists;
  for (int i = 0; i < 5; ++i) {
    auto s = Clock::now();
    auto res = admin->Get("/api/v1/namespaces/bench-a/configmaps");
    lists.push_back(Ms(Clock::now() - s));  // the response is in; checking it is the client's time
    if (!res || res->status != 200 || json::parse(res->body)["items"].size() != kObjects / 2) {
      std::cerr << "list failed\n";
      return 1;
    }
  }
  tusk::bench::ReportSamples("apiserver.list_10k_ms", lists, "ms");

  // Fan-out: 100 watchers on one namespace; 50 writes; write-to-event latency.
  admin = t.Client();
  if (!Post(*admin, "/api/v1/namespaces/fanout/configmaps", ConfigMap("target", 0))) return 1;
  auto rv_res = admin->Get("/api/v1/namespaces/fanout/configmaps");
  std::string rv = json::parse(rv_res->body)["metadata"]["resourceVersion"];
  std::vector<std::vector<Clock::time_point>> seen(kWatchers, std::vector<Clock::time_point>(kFanoutWrites + 1));
  std::vector<std::atomic<int>> counts(kWatchers);
  std::vector<std::thread> watchers;
  for (int w = 0; w < kWatchers; ++w) {
    watchers.emplace_back([&, w] {
      auto c = t.Client();
      std::string buf;
      c->Get(("/api/v1/namespaces/fanout/configmaps?watch=1&timeoutSeconds=120&resourceVersion=" + rv).c_str(),
             [&](const char* data, size_t len) {
               auto arrived = Clock::now();  // before parsing: the client's CPU is not the server's latency
               buf.append(data, len);
               size_t nl;
               while ((nl = buf.find('\n')) != std::string::npos) {
                 json ev = json::parse(buf.substr(0, nl), nullptr, false);
                 buf.erase(0, nl + 1);
                 if (ev.is_discarded()) continue;
                 int seq = std::atoi(ev["object"]["data"].value("seq", "0").c_str());
                 if (seq >= 0 && seq <= kFanoutWrites) seen[w][seq] = arrived;
                 ++counts[w];
               }
               return counts[w] < kFanoutWrites + 1;
             });
    });
  }
  auto patch = [&](int seq) {
    json p = {{"data", {{"seq", std::to_string(seq)}}}};
    auto res = admin->Patch("/api/v1/namespaces/fanout/configmaps/target", p.dump(), "application/merge-patch+json");
    return res && res->status == 200;
  };
  // Warm-up write 0 until every watcher is connected and has seen it.
  auto deadline = Clock::now() + std::chrono::seconds(60);
  bool all = false;
  int warm = 0;
  while (!all && Clock::now() < deadline) {
    if (warm == 0) patch(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    all = true;
    for (int w = 0; w < kWatchers; ++w) all = all && counts[w] >= 1;
    warm = (warm + 1) % 10;  // re-write seq 0 now and then for late connections
  }
  if (!all) {
    std::cerr << "watchers did not all connect\n";
    return 1;
  }
  for (auto& c : counts) c = 1;
  std::vector<Clock::time_point> sent(kFanoutWrites + 1);
  for (int seq = 1; seq <= kFanoutWrites; ++seq) {
    sent[seq] = Clock::now();
    if (!patch(seq)) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& w : watchers) w.join();
  std::vector<double> latencies;
  for (int w = 0; w < kWatchers; ++w) {
    for (int seq = 1; seq <= kFanoutWrites; ++seq) {
      if (seen[w][seq] != Clock::time_point{}) latencies.push_back(Ms(seen[w][seq] - sent[seq]));
    }
  }
  if (latencies.size() != static_cast<size_t>(kWatchers * kFanoutWrites)) {
    std::cerr << "only " << latencies.size() << " watch events arrived\n";
    return 1;
  }
  auto s = tusk::bench::Summarize(latencies);
  tusk::bench::Report("apiserver.watch_fanout_p99_ms", s.p99, "ms",
                      {{"p50", s.p50}, {"max", s.max}, {"watchers", kWatchers}, {"events", latencies.size()},
                       {"goal", 10}});
  return 0;
}
