#include "common/k8s/informer.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "test/fakes/fake_kube_client.h"
#include "test/unit/eventually.h"

namespace tusk::k8s {
namespace {

Json Pod(const std::string& ns, const std::string& name, const std::string& cluster, const std::string& owner_uid = "") {
  Json p = {{"apiVersion", "v1"}, {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"cnpg.io/cluster", cluster}}}}},
            {"spec", {{"containers", Json::array({{{"name", "postgres"}, {"image", "postgres:16"}}})}}}};
  if (!owner_uid.empty()) {
    p["metadata"]["ownerReferences"] = Json::array(
        {{{"apiVersion", "postgresql.cnpg.io/v1"}, {"kind", "Cluster"}, {"name", cluster}, {"uid", owner_uid},
          {"controller", true}}});
  }
  return p;
}

InformerOptions PodOptions() {
  InformerOptions o;
  o.resource = PodsResource();
  return o;
}

TEST_CASE("Informer lists, then follows creates, updates and deletes") {
  FakeKubeClient api;
  RealClock clock;
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-1", "pg")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-2", "pg")).ok());
  Informer informer(api, clock, PodOptions());
  WorkQueue queue(clock);
  informer.AddHandler(EnqueueKey(queue));
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  CHECK(informer.cache().size() == 2);
  CHECK(queue.Len() == 2);

  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-3", "pg")).ok());
  auto p1 = api.Get(PodsResource().InNamespace("ns").Named("pg-1"));
  REQUIRE(p1.ok());
  (*p1)["metadata"]["labels"]["role"] = "primary";
  REQUIRE(api.Update(PodsResource(), *p1).ok());
  REQUIRE(api.Delete(PodsResource().InNamespace("ns").Named("pg-2")).ok());

  REQUIRE(Eventually([&] { return informer.cache().size() == 2 && informer.cache().Get("ns/pg-3").has_value(); }));
  REQUIRE(Eventually([&] { return informer.cache().ByLabel("role", "primary").size() == 1; }));
  CHECK_FALSE(informer.cache().Get("ns/pg-2").has_value());
  auto decoded = informer.cache().GetJson("ns/pg-1");
  REQUIRE(decoded.has_value());
  CHECK((*decoded)["spec"]["containers"][0]["image"] == "postgres:16");
  CHECK(queue.Len() == 3);  // pg-1, pg-2, pg-3: each once however many events
  informer.Stop();
  CHECK(api.open_watches() == 0);
}

TEST_CASE("Cache indexes by namespace, label and owner") {
  FakeKubeClient api;
  RealClock clock;
  REQUIRE(api.Create(PodsResource(), Pod("a", "x-1", "x", "uid-x")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("a", "y-1", "y", "uid-y")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("b", "x-1", "x", "uid-x2")).ok());
  Informer informer(api, clock, PodOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  CHECK(informer.cache().ByNamespace("a").size() == 2);
  CHECK(informer.cache().ByLabel("cnpg.io/cluster", "x").size() == 2);
  auto owned = informer.cache().ByOwner("uid-y");
  REQUIRE(owned.size() == 1);
  CHECK(owned[0].Key() == "a/y-1");
  auto selected = informer.cache().Select("a", *LabelSelector::Parse("cnpg.io/cluster in (x,z)"));
  REQUIRE(selected.size() == 1);
  CHECK(selected[0].Key() == "a/x-1");
}

TEST_CASE("Owner events enqueue the controlling Cluster") {
  FakeKubeClient api;
  RealClock clock;
  Informer informer(api, clock, PodOptions());
  WorkQueue queue(clock);
  informer.AddHandler(EnqueueControllerOwner(queue, "Cluster"));
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-1", "pg", "uid-pg")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-2", "pg", "uid-pg")).ok());
  REQUIRE(Eventually([&] { return informer.cache().size() == 2; }));
  REQUIRE(queue.Len() == 1);
  CHECK(queue.Get() == "ns/pg");
}

// What one handler has heard, as a set of live keys and a count of Adds per key.
struct Heard {
  std::mutex mu;
  std::set<std::string> live;
  std::map<std::string, int> adds;
  std::vector<std::string> log;  // "add ns/x", "update ns/x", "delete ns/x"

  EventHandler Handler() {
    return [this](EventKind kind, const CachedObject*, const CachedObject& o) {
      std::lock_guard<std::mutex> lock(mu);
      switch (kind) {
        case EventKind::kAdd:
          live.insert(o.Key());
          ++adds[o.Key()];
          log.push_back("add " + o.Key());
          break;
        case EventKind::kUpdate:
          log.push_back("update " + o.Key());
          break;
        case EventKind::kDelete:
          live.erase(o.Key());
          log.push_back("delete " + o.Key());
          break;
      }
    };
  }
  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(mu);
    return log;
  }
};

TEST_CASE("A handler added after Start hears an Add for each cached object, then the changes") {
  FakeKubeClient api;
  RealClock clock;
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-1", "pg")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-2", "pg")).ok());
  Informer informer(api, clock, PodOptions());
  Heard early;
  informer.AddHandler(early.Handler());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));

  Heard late;
  informer.AddHandler(late.Handler());
  // The replay is done when AddHandler returns: a controller that registers
  // late can rely on having heard of everything already cached.
  std::vector<std::string> replay = late.Log();
  std::sort(replay.begin(), replay.end());
  CHECK(replay == std::vector<std::string>{"add ns/pg-1", "add ns/pg-2"});

  REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-3", "pg")).ok());
  REQUIRE(api.Delete(PodsResource().InNamespace("ns").Named("pg-1")).ok());
  REQUIRE(Eventually([&] { return late.Log().size() == 4; }));
  std::vector<std::string> log = late.Log();
  CHECK(log[2] == "add ns/pg-3");
  CHECK(log[3] == "delete ns/pg-1");
  // The early handler heard the same changes, without the replay.
  REQUIRE(Eventually([&] { return early.Log().size() == 4; }));
  CHECK(early.Log()[2] == "add ns/pg-3");
  informer.Stop();
}

TEST_CASE("Handlers added while events stream in hear each object exactly once") {
  // The race a shared informer must win: a controller registers while another
  // controller's objects are being created. Without the replay and the event
  // delivery being one critical section, an object created in between is
  // either heard twice (in the replay and as an event) or never.
  FakeKubeClient api;
  RealClock clock;
  Informer informer(api, clock, PodOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));

  constexpr int kPods = 300;
  std::atomic<int> create_failures{0};  // Catch2 assertions stay on the test's thread
  std::thread writer([&] {
    for (int i = 0; i < kPods; ++i) {
      if (!api.Create(PodsResource(), Pod("ns", "pg-" + std::to_string(i), "pg")).ok()) ++create_failures;
    }
  });
  std::vector<std::unique_ptr<Heard>> handlers;
  for (int i = 0; i < 20; ++i) {
    handlers.push_back(std::make_unique<Heard>());
    informer.AddHandler(handlers.back()->Handler());
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  writer.join();
  REQUIRE(create_failures == 0);
  REQUIRE(Eventually([&] { return informer.cache().size() == static_cast<size_t>(kPods); }));
  for (auto& h : handlers) {
    REQUIRE(Eventually([&] {
      std::lock_guard<std::mutex> lock(h->mu);
      return h->live.size() == static_cast<size_t>(kPods);
    }));
    std::lock_guard<std::mutex> lock(h->mu);
    int twice = 0;
    for (const auto& [key, n] : h->adds) twice += n > 1 ? 1 : 0;
    CHECK(twice == 0);
    CHECK(h->adds.size() == static_cast<size_t>(kPods));
  }
  informer.Stop();
}

TEST_CASE("Informer survives the watch being closed (API server restart) without re-listing") {
  FakeKubeClient api;
  RealClock clock;
  Informer informer(api, clock, PodOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));
  api.CloseWatches();
  REQUIRE(api.Create(PodsResource(), Pod("ns", "after-restart", "pg")).ok());
  REQUIRE(Eventually([&] { return informer.cache().Get("ns/after-restart").has_value(); }));
  CHECK(informer.lists() == 1);
  CHECK(informer.watches() >= 2);
}

TEST_CASE("A 410 Gone makes the informer re-list and report what it missed") {
  FakeKubeClient api;
  RealClock clock;
  REQUIRE(api.Create(PodsResource(), Pod("ns", "stays", "pg")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("ns", "goes", "pg")).ok());
  Informer informer(api, clock, PodOptions());
  std::mutex mu;
  std::vector<std::string> deleted;
  informer.AddHandler([&](EventKind kind, const CachedObject*, const CachedObject& o) {
    std::lock_guard<std::mutex> lock(mu);
    if (kind == EventKind::kDelete) deleted.push_back(o.Key());
  });
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));
  // While the informer is disconnected, history is compacted and objects change.
  api.FailNext("watch", UnavailableError("connection refused"), 1);
  api.CloseWatches();
  REQUIRE(api.Delete(PodsResource().InNamespace("ns").Named("goes")).ok());
  REQUIRE(api.Create(PodsResource(), Pod("ns", "new", "pg")).ok());
  api.CompactHistory();
  REQUIRE(Eventually([&] { return informer.lists() == 2; }));
  REQUIRE(Eventually([&] { return informer.cache().size() == 2; }));
  CHECK(informer.cache().Get("ns/new").has_value());
  CHECK_FALSE(informer.cache().Get("ns/goes").has_value());
  std::lock_guard<std::mutex> lock(mu);
  CHECK(deleted == std::vector<std::string>{"ns/goes"});
}

TEST_CASE("Watch failures back off on the clock before reconnecting") {
  FakeKubeClient api;
  FakeClock clock;
  InformerOptions opts = PodOptions();
  opts.min_backoff = std::chrono::seconds(1);
  api.FailNext("watch", UnavailableError("connection refused"), 3);
  Informer informer(api, clock, opts);
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  // Each failure parks the informer on a timer: 1 s, then 2 s, then 4 s.
  for (int64_t wait_s : {1, 2, 4}) {
    REQUIRE(Eventually([&] { return clock.PendingTimers() == 1; }));
    int64_t watches = api.calls("watch");
    clock.Advance(std::chrono::seconds(wait_s) - std::chrono::milliseconds(1));
    CHECK(api.calls("watch") == watches);  // not before its time
    clock.Advance(std::chrono::milliseconds(1));
    REQUIRE(Eventually([&] { return api.calls("watch") == watches + 1; }));
  }
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));
  REQUIRE(api.Create(PodsResource(), Pod("ns", "late", "pg")).ok());
  REQUIRE(Eventually([&] { return informer.cache().size() == 1; }));
  informer.Stop();
}

TEST_CASE("Bookmarks advance the resourceVersion the informer resumes from") {
  FakeKubeClient api;
  RealClock clock;
  Informer informer(api, clock, PodOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(Eventually([&] { return api.open_watches() == 1; }));
  api.SendBookmark();
  REQUIRE(Eventually([&] { return informer.last_resource_version() == api.resource_version(); }));
}

TEST_CASE("A single-object informer sees only its object; paged lists are complete") {
  FakeKubeClient api;
  RealClock clock;
  for (int i = 0; i < 7; ++i) REQUIRE(api.Create(PodsResource(), Pod("ns", "pg-" + std::to_string(i), "pg")).ok());
  InformerOptions one = PodOptions();
  one.resource = PodsResource().InNamespace("ns");
  one.field_selector = "metadata.name=pg-3";
  Informer single(api, clock, one);
  InformerOptions paged = PodOptions();
  paged.page_size = 2;
  Informer all(api, clock, paged);
  single.Start();
  all.Start();
  REQUIRE(single.WaitForSync(std::chrono::seconds(2)));
  REQUIRE(all.WaitForSync(std::chrono::seconds(2)));
  CHECK(single.cache().size() == 1);
  CHECK(all.cache().size() == 7);
  CHECK(api.calls("list") == 1 + 4);
  REQUIRE(Eventually([&] { return api.open_watches() == 2; }));
  auto p = api.Get(PodsResource().InNamespace("ns").Named("pg-5"));
  REQUIRE(p.ok());
  (*p)["metadata"]["labels"]["x"] = "y";
  REQUIRE(api.Update(PodsResource(), *p).ok());
  REQUIRE(Eventually([&] { return all.cache().ByLabel("x", "y").size() == 1; }));
  CHECK(single.cache().ByLabel("x", "y").empty());
}

TEST_CASE("The factory shares one informer per resource and selector") {
  FakeKubeClient api;
  RealClock clock;
  InformerFactory factory(api, clock);
  Informer& a = factory.For(PodOptions());
  Informer& b = factory.For(PodOptions());
  InformerOptions other = PodOptions();
  other.label_selector = "cnpg.io/cluster=pg";
  Informer& c = factory.For(other);
  CHECK(&a == &b);
  CHECK(&a != &c);
  factory.StartAll();
  CHECK(factory.WaitForSync(std::chrono::seconds(2)));
  factory.StopAll();
}

}  // namespace
}  // namespace tusk::k8s
