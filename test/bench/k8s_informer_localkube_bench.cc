// The informer against a real API server (localkube over HTTPS): 10,000
// Postgres pods of about 5 KB are created, then an informer lists them
// (k8s.informer_memory_ratio.localkube: cache heap / JSON size) and a watch
// from before the first create replays all 10,000 ADDED events through the
// informer (k8s.informer_events_per_s.localkube). Prints nothing and exits 0
// when localkube is not available.
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/k8s/http_kube_client.h"
#include "common/k8s/informer.h"
#include "common/k8s/testing/localkube.h"
#include "test/bench/bench.h"
#include "test/bench/k8s_pod_fixture.h"

namespace {

constexpr int kPods = 10000;
constexpr int kWriters = 4;

int Fail(const tusk::Status& st) {
  std::fprintf(stderr, "bench_k8s_informer_localkube: %s\n", st.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  using namespace tusk::k8s;
  auto lk = testing::Localkube::Start({"--watch-history", "20000"});
  if (!lk.ok()) {
    std::fprintf(stderr, "bench_k8s_informer_localkube: skipped: %s\n", lk.status().message().c_str());
    return 0;
  }
  tusk::RealClock clock;
  auto config = LoadKubeconfigFile((*lk)->kubeconfig());
  if (!config.ok()) return Fail(config.status());
  auto client_or = HttpKubeClient::Create(*config, clock);
  if (!client_or.ok()) return Fail(client_or.status());
  HttpKubeClient& client = **client_or;

  ResourceRef namespaces{"", "v1", "namespaces", "", "", ""};
  for (int i = 0; i < 50; ++i) {
    nlohmann::json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"},
                         {"metadata", {{"name", "tenant-" + std::to_string(i)}}}};
    auto r = client.Create(namespaces, ns);
    if (!r.ok() && r.status().code() != tusk::StatusCode::kAlreadyExists) return Fail(r.status());
  }
  // Each cluster's pods run as its ServiceAccount, which must exist (as the
  // operator creates it) or ServiceAccount admission refuses them.
  ResourceRef service_accounts{"", "v1", "serviceaccounts", "", "", ""};
  for (int c = 0; c <= kPods / 3; ++c) {
    nlohmann::json sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"},
                         {"metadata", {{"name", "cluster-" + std::to_string(c)}}}};
    auto r = client.Create(service_accounts.InNamespace("tenant-" + std::to_string(c % 50)), sa);
    if (!r.ok() && r.status().code() != tusk::StatusCode::kAlreadyExists) return Fail(r.status());
  }
  ListOptions one;
  one.limit = 1;
  auto before = client.List(PodsResource(), one);
  if (!before.ok()) return Fail(before.status());
  const std::string start_rv = before->resource_version;

  auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = next++; i < kPods && !failed; i = next++) {
        nlohmann::json pod = tusk::bench::PostgresPod(i / 3, i % 3 + 1, 0);
        pod["metadata"].erase("resourceVersion");
        pod["metadata"].erase("uid");
        pod["metadata"].erase("creationTimestamp");
        auto r = client.Create(PodsResource(), pod);
        if (!r.ok()) {
          std::fprintf(stderr, "create failed: %s\n", r.status().ToString().c_str());
          failed = true;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  if (failed) return 1;
  double create_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "created %d pods in %.1f s\n", kPods, create_s);

  InformerOptions opts;
  opts.resource = PodsResource();
  double ratio = 0;
  size_t json_bytes = 0;
  {
    malloc_trim(0);
    const size_t heap_before = mallinfo2().uordblks;
    Informer informer(client, clock, opts);
    informer.Start();
    if (!informer.WaitForSync(std::chrono::minutes(5))) return Fail(tusk::DeadlineExceededError("informer sync"));
    informer.Stop();
    malloc_trim(0);
    json_bytes = informer.cache().json_bytes();
    ratio = static_cast<double>(mallinfo2().uordblks - heap_before) / static_cast<double>(json_bytes);
    std::fprintf(stderr, "cache: %zu pods, %.1f MiB JSON\n", informer.cache().size(), json_bytes / 1048576.0);
  }

  // Replay every ADDED event from before the first create through one watch.
  Informer sink(client, clock, opts);
  ListOptions watch;
  watch.resource_version = start_rv;
  int events = 0;
  auto w0 = std::chrono::steady_clock::now();
  tusk::Status st = client.Watch(PodsResource(), watch, [&](const WatchEvent& ev) {
    if (ev.type == WatchEvent::Type::kBookmark) return true;
    if (!sink.ApplyEvent(ev).ok()) return false;
    return ++events < kPods;
  }, nullptr);
  double watch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  if (!st.ok()) return Fail(st);
  if (events < kPods) return Fail(tusk::InternalError("watch ended after " + std::to_string(events) + " events"));

  const char* note = "localkube API server over HTTPS on loopback (apiserver-only), one informer process";
  tusk::bench::Report("k8s.informer_memory_ratio.localkube", ratio, "ratio",
                      {{"goal", 2.0}, {"objects", kPods}, {"avg_object_bytes", json_bytes / kPods}, {"note", note}});
  tusk::bench::Report("k8s.informer_events_per_s.localkube", events / watch_s, "events/s",
                      {{"goal", 20000}, {"events", events}, {"note", note}});
  return 0;
}
