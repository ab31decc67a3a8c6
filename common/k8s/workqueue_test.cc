#include "common/k8s/workqueue.h"

#include <catch2/catch.hpp>

#include <atomic>

namespace tusk::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("A key added many times is queued once") {
  FakeClock clock;
  WorkQueue q(clock);
  q.Add("ns/a");
  q.Add("ns/a");
  q.Add("ns/b");
  q.Add("ns/a");
  CHECK(q.Len() == 2);
  CHECK(q.Get() == "ns/a");
  CHECK(q.Get() == "ns/b");
}

TEST_CASE("A key being processed is not handed out again until Done") {
  FakeClock clock;
  WorkQueue q(clock);
  q.Add("ns/a");
  auto first = q.Get();
  REQUIRE(first == "ns/a");
  q.Add("ns/a");  // changed while a worker is on it
  q.Add("ns/a");
  CHECK(q.Len() == 0);
  q.Done("ns/a");
  CHECK(q.Len() == 1);
  CHECK(q.Get() == "ns/a");
  q.Done("ns/a");
  CHECK(q.Len() == 0);
}

TEST_CASE("Failures back off 5 ms doubling, capped at 1000 s; Forget resets") {
  FakeClock clock;
  WorkQueue q(clock);
  q.AddRateLimited("k");  // 5 ms
  clock.Advance(milliseconds(4));
  CHECK(q.Len() == 0);
  clock.Advance(milliseconds(1));
  REQUIRE(q.Len() == 1);
  REQUIRE(q.Get() == "k");
  q.AddRateLimited("k");  // 10 ms, waiting for Done too
  q.Done("k");
  clock.Advance(milliseconds(9));
  CHECK(q.Len() == 0);
  clock.Advance(milliseconds(1));
  CHECK(q.Len() == 1);
  CHECK(q.Failures("k") == 2);
  for (int i = 0; i < 40; ++i) q.AddRateLimited("other");
  CHECK(q.NextBackoff("other") == seconds(1000));
  CHECK(q.NextBackoff("k") == milliseconds(20));
  q.Forget("k");
  CHECK(q.NextBackoff("k") == milliseconds(5));
}

TEST_CASE("AddAfter: the key appears when the delay passes and the earliest request wins") {
  FakeClock clock;
  WorkQueue q(clock);
  q.AddAfter("k", seconds(30));
  q.AddAfter("k", seconds(10));
  q.AddAfter("k", seconds(60));
  CHECK(q.Delayed() == 1);
  clock.Advance(seconds(9));
  CHECK(q.Len() == 0);
  clock.Advance(seconds(1));
  CHECK(q.Len() == 1);
  clock.Advance(seconds(100));
  CHECK(q.Len() == 1);  // the later requests were folded into the first
}

TEST_CASE("ProcessNext: errors back off, requeue_after schedules, success forgets") {
  FakeClock clock;
  WorkQueue q(clock);
  int calls = 0;
  auto failing = [&](const std::string&) {
    ++calls;
    return ReconcileResult{InternalError("postgres not ready"), Duration(0)};
  };
  q.Add("k");
  REQUIRE(ProcessNext(q, failing));
  CHECK(q.Failures("k") == 1);
  clock.Advance(milliseconds(5));
  REQUIRE(ProcessNext(q, failing));
  CHECK(q.Failures("k") == 2);
  clock.Advance(milliseconds(10));
  auto periodic = [&](const std::string&) {
    ++calls;
    return ReconcileResult{OkStatus(), seconds(30)};
  };
  REQUIRE(ProcessNext(q, periodic));
  CHECK(q.Failures("k") == 0);
  CHECK(q.Len() == 0);
  clock.Advance(seconds(30));
  CHECK(q.Len() == 1);
  CHECK(calls == 3);
}

TEST_CASE("ShutDown wakes blocked workers, drops delayed keys and refuses new ones") {
  FakeClock clock;
  WorkQueue q(clock);
  std::atomic<int> processed{0};
  {
    WorkerPool pool(q, 3, [&](const std::string&) {
      ++processed;
      return ReconcileResult{};
    });
    q.Add("a");
    q.AddAfter("b", seconds(5));
    pool.Stop();  // joins: must not hang with workers blocked in Get
  }
  CHECK(q.shutting_down());
  CHECK(q.Delayed() == 0);
  q.Add("c");
  CHECK(q.Len() == 0);
  CHECK(processed <= 1);
  CHECK_FALSE(q.Get().has_value());
}

TEST_CASE("Concurrent workers never process the same key at once") {
  RealClock clock;
  WorkQueue q(clock);
  std::mutex mu;
  std::set<std::string> active;
  std::atomic<bool> overlap{false};
  std::atomic<int> done{0};
  {
    WorkerPool pool(q, 4, [&](const std::string& key) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!active.insert(key).second) overlap = true;
      }
      q.Add(key);  // a change arriving mid-reconcile
      std::this_thread::yield();
      {
        std::lock_guard<std::mutex> lock(mu);
        active.erase(key);
      }
      ++done;
      return ReconcileResult{};
    });
    for (int round = 0; round < 200; ++round) q.Add("k" + std::to_string(round % 3));
    for (int i = 0; i < 100000 && done < 300; ++i) std::this_thread::yield();
  }
  CHECK_FALSE(overlap);
  CHECK(done >= 3);
}

}  // namespace
}  // namespace tusk::k8s
