#include "operator/instance/instance_monitor.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "test/fakes/fake_instance_client.h"

namespace tusk::op {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kKey = "ns/pg";
const std::string kAddr1 = "10.0.0.1:9090";
const std::string kAddr2 = "10.0.0.2:9090";

pb::InstanceStatus Primary(const std::string& pod) {
  pb::InstanceStatus s;
  s.set_pod_name(pod);
  s.set_cluster_name("pg");
  s.set_namespace_("ns");
  s.set_role(pb::ROLE_PRIMARY);
  s.set_phase(pb::PHASE_RUNNING);
  s.set_postgres_running(true);
  s.set_ready(true);
  s.set_current_lsn("0/3000148");
  s.set_reported_unix_ms(1'700'000'000'000);
  return s;
}

// The monitor under test with its fakes; on_change records the key and what
// Reports() said from inside the callback (the controller reads there).
struct Fixture {
  FakeClock clock;
  FakeInstanceClient client;
  std::mutex mu;
  std::vector<std::string> changes;
  std::vector<bool> connected_seen;  // Reports(kKey)["pg-1"].connected in each on_change
  InstanceMonitor* monitor_ptr = nullptr;
  std::unique_ptr<InstanceMonitor> monitor;

  explicit Fixture(MonitorOptions options = {}) {
    monitor = std::make_unique<InstanceMonitor>(
        client, clock,
        [this](const std::string& key) {
          auto reports = monitor_ptr->Reports(key);
          std::lock_guard<std::mutex> lock(mu);
          changes.push_back(key);
          auto it = reports.find("pg-1");
          connected_seen.push_back(it != reports.end() && it->second.connected);
        },
        options);
    monitor_ptr = monitor.get();
  }
  size_t Changes() {
    std::lock_guard<std::mutex> lock(mu);
    return changes.size();
  }
  InstanceReport Report(const std::string& pod) {
    auto reports = monitor->Reports(kKey);
    auto it = reports.find(pod);
    REQUIRE(it != reports.end());
    return it->second;
  }
};

TEST_CASE("A first report calls on_change once with the Cluster's key and is kept connected") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});

  REQUIRE(f.Changes() == 1);
  CHECK(f.changes[0] == kKey);
  CHECK(f.connected_seen[0]);  // Reports() answered from inside on_change
  InstanceReport r = f.Report("pg-1");
  CHECK(r.address == kAddr1);
  CHECK(r.connected);
  CHECK(r.error.empty());
  REQUIRE(r.status.has_value());
  CHECK(r.status->pod_name() == "pg-1");
  CHECK(r.status->role() == pb::ROLE_PRIMARY);
  CHECK(r.last_report == f.clock.Now());
  CHECK(f.monitor->OpenStreams() == 1);
  CHECK(f.monitor->Reports("ns/other").empty());
}

TEST_CASE("A heartbeat that changes only sequence, time and positions does not call on_change; a real change does") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  REQUIRE(f.Changes() == 1);

  f.clock.Advance(seconds(1));
  f.client.Heartbeat(kAddr1);
  f.clock.Advance(seconds(1));
  f.client.Heartbeat(kAddr1);
  CHECK(f.Changes() == 1);
  InstanceReport r = f.Report("pg-1");
  CHECK(r.status->sequence() == 3);  // the kept report is the latest one
  CHECK(r.last_report == f.clock.Now());

  // Positions move with every write: kept, but no wake-up.
  pb::InstanceStatus moved = Primary("pg-1");
  moved.set_current_lsn("0/3000200");
  f.client.SetStatus(kAddr1, moved);
  CHECK(f.Changes() == 1);
  CHECK(f.Report("pg-1").status->current_lsn() == "0/3000200");

  // Postgres going down is a change.
  pb::InstanceStatus down = moved;
  down.set_postgres_running(false);
  f.client.SetStatus(kAddr1, down);
  REQUIRE(f.Changes() == 2);
  CHECK_FALSE(f.Report("pg-1").status->postgres_running());
}

TEST_CASE("An unreachable instance is reported disconnected with the error, once, and retried with back-off") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  REQUIRE(f.Changes() == 1);

  f.client.SetUnreachable(kAddr1);
  REQUIRE(f.Changes() == 2);
  CHECK_FALSE(f.connected_seen[1]);
  InstanceReport r = f.Report("pg-1");
  CHECK_FALSE(r.connected);
  CHECK(r.error.find("UNAVAILABLE") != std::string::npos);
  CHECK(r.error.find(kAddr1) != std::string::npos);
  REQUIRE(r.status.has_value());  // the last report survives the stream
  CHECK(r.status->pod_name() == "pg-1");
  CHECK(f.monitor->OpenStreams() == 0);
  REQUIRE(f.client.watches_started(kAddr1) == 1);

  // 200 ms, then doubling up to max_backoff (5 s): each retry fails at once.
  const std::vector<int> expected_ms = {200, 400, 800, 1600, 3200, 5000, 5000};
  int started = 1;
  for (int ms : expected_ms) {
    f.clock.Advance(milliseconds(ms - 1));
    CHECK(f.client.watches_started(kAddr1) == started);
    f.clock.Advance(milliseconds(1));
    CHECK(f.client.watches_started(kAddr1) == ++started);
  }
  CHECK(f.Changes() == 2);  // the same error again is no news

  // Back again: the next retry connects, reports, and on_change says so.
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.clock.Advance(milliseconds(5000));
  REQUIRE(f.Changes() == 3);
  CHECK(f.connected_seen[2]);
  CHECK(f.Report("pg-1").connected);
  CHECK(f.monitor->OpenStreams() == 1);

  // A report resets the back-off: the next loss is retried after 200 ms.
  const int before = f.client.watches_started(kAddr1);
  f.client.SetUnreachable(kAddr1);
  f.clock.Advance(milliseconds(200));
  CHECK(f.client.watches_started(kAddr1) == before + 1);
}

TEST_CASE("A stream the instance ends is reopened after the back-off") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  f.client.EndWatches(kAddr1, UnavailableError("WatchStatus 10.0.0.1:9090: the instance ended the stream"));
  CHECK_FALSE(f.Report("pg-1").connected);
  CHECK(f.client.open_watches(kAddr1) == 0);
  f.clock.Advance(milliseconds(200));
  CHECK(f.client.watches_started(kAddr1) == 2);
  CHECK(f.client.open_watches(kAddr1) == 1);
  CHECK(f.Report("pg-1").connected);  // the instance is up: the new stream reported at once
  CHECK(f.Changes() == 3);            // connected, lost, connected
}

TEST_CASE("Tracking a pod at a new address closes the old stream and opens the new one") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.client.SetStatus(kAddr2, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  REQUIRE(f.client.open_watches(kAddr1) == 1);

  f.monitor->Track(kKey, {{"pg-1", kAddr1}});  // nothing changed: nothing reopened
  CHECK(f.client.watches_started(kAddr1) == 1);

  f.monitor->Track(kKey, {{"pg-1", kAddr2}});
  CHECK(f.client.open_watches(kAddr1) == 0);
  CHECK(f.client.open_watches(kAddr2) == 1);
  InstanceReport r = f.Report("pg-1");
  CHECK(r.address == kAddr2);
  CHECK(r.connected);
  CHECK(f.monitor->OpenStreams() == 1);
}

TEST_CASE("A pod dropped from Track is closed and the others stay") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.client.SetStatus(kAddr2, Primary("pg-2"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}, {"pg-2", kAddr2}});
  CHECK(f.monitor->OpenStreams() == 2);
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  CHECK(f.client.open_watches(kAddr2) == 0);
  CHECK(f.client.open_watches(kAddr1) == 1);
  auto reports = f.monitor->Reports(kKey);
  CHECK(reports.size() == 1);
  CHECK(reports.count("pg-1") == 1);
}

TEST_CASE("Untrack closes every stream of the Cluster and its timers") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.client.SetUnreachable(kAddr2);
  f.monitor->Track(kKey, {{"pg-1", kAddr1}, {"pg-2", kAddr2}});
  f.monitor->Track("ns/other", {{"other-1", "10.0.0.9:9090"}});
  REQUIRE(f.client.open_watches(kAddr1) == 1);
  const size_t changes = f.Changes();

  f.monitor->Untrack(kKey);
  CHECK(f.client.open_watches(kAddr1) == 0);
  CHECK(f.monitor->Reports(kKey).empty());
  CHECK(f.monitor->OpenStreams() == 1);  // ns/other's
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.clock.Advance(seconds(10));  // no reopen of pg-2, no staleness of pg-1
  CHECK(f.client.watches_started(kAddr2) == 1);
  CHECK(f.client.watches_started(kAddr1) == 1);
  size_t other_changes = 0;
  for (const auto& k : f.changes) other_changes += k == "ns/other" ? 1 : 0;
  CHECK(f.Changes() - other_changes == changes);
}

TEST_CASE("A missed heartbeat makes the instance disconnected, and the stream is replaced") {
  Fixture f;
  f.client.SetStatus(kAddr1, Primary("pg-1"));
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});
  for (int i = 0; i < 5; ++i) {  // heartbeats every second keep it fresh
    f.clock.Advance(seconds(1));
    f.client.Heartbeat(kAddr1);
  }
  CHECK(f.Report("pg-1").connected);
  CHECK(f.Changes() == 1);

  // The instance goes quiet without closing the stream.
  f.clock.Advance(milliseconds(2999));
  CHECK(f.Report("pg-1").connected);
  f.clock.Advance(milliseconds(1));
  InstanceReport r = f.Report("pg-1");
  CHECK_FALSE(r.connected);
  CHECK(r.error == "no report for 3s");
  CHECK(f.Changes() == 2);

  // After the back-off the quiet stream is closed and a new one opened; the
  // fake's instance still has a status, so it reports at once.
  f.clock.Advance(milliseconds(200));
  CHECK(f.client.watches_started(kAddr1) == 2);
  CHECK(f.client.open_watches(kAddr1) == 1);
  CHECK(f.Report("pg-1").connected);
  CHECK(f.Changes() == 3);
}

TEST_CASE("An instance that accepts the stream but never reports goes stale") {
  MonitorOptions options;
  options.stale_after = milliseconds(1500);
  Fixture f(options);
  f.monitor->Track(kKey, {{"pg-1", kAddr1}});  // nobody set a status: silent
  CHECK(f.monitor->OpenStreams() == 1);
  CHECK(f.Changes() == 0);
  CHECK_FALSE(f.Report("pg-1").status.has_value());
  f.clock.Advance(milliseconds(1500));
  CHECK(f.Report("pg-1").error == "no report for 1500ms");
  CHECK(f.Changes() == 1);
  CHECK(f.monitor->OpenStreams() == 0);
}

TEST_CASE("Destroying the monitor closes its streams and cancels its timers") {
  auto f = std::make_unique<Fixture>();
  f->client.SetStatus(kAddr1, Primary("pg-1"));
  f->client.SetUnreachable(kAddr2);
  f->monitor->Track(kKey, {{"pg-1", kAddr1}, {"pg-2", kAddr2}});
  CHECK(f->clock.PendingTimers() == 2);  // pg-1's staleness, pg-2's reopen
  f->monitor.reset();
  CHECK(f->client.open_watches(kAddr1) == 0);
  CHECK(f->clock.PendingTimers() == 0);
}

// The real clock's timers run on its own thread, reports arrive on others:
// Track, reports, losses and destruction overlap without a deadlock or a
// callback after the monitor is gone.
TEST_CASE("The monitor survives reports, losses and Track from several threads on the real clock") {
  RealClock clock;
  FakeInstanceClient client;
  std::atomic<int> changes{0};
  MonitorOptions options;
  options.min_backoff = milliseconds(1);
  options.max_backoff = milliseconds(5);
  options.stale_after = milliseconds(50);
  auto monitor = std::make_unique<InstanceMonitor>(client, clock, [&](const std::string&) { ++changes; }, options);
  for (int p = 0; p < 4; ++p) client.SetStatus("10.0.1." + std::to_string(p) + ":9090", Primary("pg"));
  std::atomic<bool> stop{false};
  std::vector<std::thread> reporters;
  for (int t = 0; t < 3; ++t) {
    reporters.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string addr = "10.0.1." + std::to_string(i % 4) + ":9090";
        pb::InstanceStatus s = Primary("pg-" + std::to_string(i % 4));
        s.set_timeline_id(static_cast<uint32_t>(i));
        if ((i + t) % 7 == 0) {
          client.SetUnreachable(addr);
        } else {
          client.SetStatus(addr, s);
        }
      }
    });
  }
  // Long enough in real time for staleness (50 ms) and reopens to happen.
  const auto until = std::chrono::steady_clock::now() + milliseconds(300);
  for (int i = 0; i < 300 || std::chrono::steady_clock::now() < until; ++i) {
    std::map<std::string, std::string> pods;
    for (int p = 0; p < 4; ++p) {
      if ((i + p) % 3 != 0) pods["pg-" + std::to_string(p)] = "10.0.1." + std::to_string((p + i / 50) % 4) + ":9090";
    }
    monitor->Track(kKey, pods);
    (void)monitor->Reports(kKey);
    if (i % 50 == 49) monitor->Untrack(kKey);
  }
  monitor.reset();
  const int after = changes.load();
  stop = true;
  for (auto& t : reporters) t.join();
  CHECK(changes.load() == after);
  CHECK(changes.load() > 0);
  for (int p = 0; p < 4; ++p) CHECK(client.open_watches("10.0.1." + std::to_string(p) + ":9090") == 0);
}

}  // namespace
}  // namespace tusk::op
