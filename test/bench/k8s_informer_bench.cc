// Informer cost over 10,000 Postgres pods of about 5 KB each: the cache's
// heap use divided by the objects' JSON size (k8s.informer_memory_ratio) and
// how many watch events per second the informer absorbs, from parsing the
// watch line to the handler enqueuing a key (k8s.informer_events_per_s).
// Events come from an in-process source (pre-rendered watch lines fed to the
// informer), so the figures exclude the network and the API server.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/k8s/informer.h"
#include "test/bench/bench.h"
#include "test/bench/k8s_pod_fixture.h"
#include "test/fakes/fake_kube_client.h"

namespace {

using tusk::k8s::Informer;
using tusk::k8s::InformerOptions;

constexpr int kObjects = 10000;
constexpr int kRounds = 4;  // one of ADDED, then MODIFIED rounds

size_t HeapInUse() { return mallinfo2().uordblks; }

std::string Line(const char* type, int i, int64_t rv) {
  return std::string("{\"type\":\"") + type + "\",\"object\":" +
         tusk::bench::PostgresPod(i / 3, i % 3 + 1, rv).dump() + "}";
}

}  // namespace

int main() {
  tusk::FakeClock clock;
  tusk::k8s::FakeKubeClient unused_api;  // the informer is fed directly, never started
  InformerOptions opts;
  opts.resource = tusk::k8s::PodsResource();

  // Memory: the cache after 10,000 ADDED events, against their JSON size.
  std::vector<std::string> objects;
  objects.reserve(kObjects);
  size_t json_bytes = 0;
  for (int i = 0; i < kObjects; ++i) {
    objects.push_back(tusk::bench::PostgresPod(i / 3, i % 3 + 1, 1000 + i).dump());
    json_bytes += objects.back().size();
  }
  double cache_ratio = 0, dom_ratio = 0;
  {
    malloc_trim(0);
    const size_t before = HeapInUse();
    Informer informer(unused_api, clock, opts);
    for (const auto& o : objects) {
      tusk::Status st = informer.ApplyEvent({tusk::k8s::WatchEvent::Type::kAdded, o});
      if (!st.ok()) {
        std::fprintf(stderr, "apply failed: %s\n", st.ToString().c_str());
        return 1;
      }
    }
    const size_t after = HeapInUse();
    cache_ratio = static_cast<double>(after - before) / static_cast<double>(json_bytes);
    std::fprintf(stderr, "cache: %zu objects, %.1f MiB JSON, %.1f MiB heap\n", informer.cache().size(),
                 json_bytes / 1048576.0, (after - before) / 1048576.0);
  }
  {
    // The naive alternative, for comparison: one nlohmann DOM per object.
    malloc_trim(0);
    const size_t before = HeapInUse();
    std::vector<nlohmann::json> dom;
    dom.reserve(objects.size());
    for (const auto& o : objects) dom.push_back(nlohmann::json::parse(o));
    dom_ratio = static_cast<double>(HeapInUse() - before) / static_cast<double>(json_bytes);
  }
  objects.clear();
  objects.shrink_to_fit();

  // Throughput: watch lines through parsing, cache update and key enqueue.
  std::vector<double> rates;
  size_t events = 0;
  {
    Informer informer(unused_api, clock, opts);
    tusk::k8s::WorkQueue queue(clock);
    informer.AddHandler(tusk::k8s::EnqueueKey(queue));
    int64_t rv = 100000;
    for (int round = 0; round < kRounds; ++round) {
      std::vector<std::string> lines;
      lines.reserve(kObjects);
      for (int i = 0; i < kObjects; ++i) lines.push_back(Line(round == 0 ? "ADDED" : "MODIFIED", i, ++rv));
      auto start = std::chrono::steady_clock::now();
      for (const auto& line : lines) {
        auto ev = tusk::k8s::ParseWatchLine(line);
        if (!ev.ok() || !informer.ApplyEvent(*ev).ok()) return 1;
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rates.push_back(kObjects / secs);
      events += kObjects;
    }
    std::fprintf(stderr, "queue holds %zu keys after %zu events\n", queue.Len(), events);
  }

  const char* note = "in-process source: pre-rendered watch lines fed to Informer::ApplyEvent (no API server)";
  tusk::bench::Report("k8s.informer_memory_ratio", cache_ratio, "ratio",
                      {{"goal", 2.0},
                       {"objects", kObjects},
                       {"avg_object_bytes", json_bytes / kObjects},
                       {"baseline_dom_ratio", dom_ratio},
                       {"note", note}});
  tusk::bench::ReportSamples("k8s.informer_events_per_s", rates, "events/s",
                             {{"goal", 20000}, {"events", events}, {"note", note}});
  return 0;
}
