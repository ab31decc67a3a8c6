#include "operator/instance/instance_monitor.h"

#include <algorithm>
#include <condition_variable>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "common/log/log.h"

namespace tusk::op {
namespace {

// What a report says, without what changes on every heartbeat: the
// sequence and timestamp, and the positions and lags that move with every
// write. A busy primary then wakes its Cluster's reconcile only when
// something a decision depends on changes (role, readiness, running,
// timeline, the standbys' set and sync state, errors); the latest LSNs are
// still in Reports() for whoever reads them.
std::string Material(const pb::InstanceStatus& status) {
  pb::InstanceStatus copy = status;
  copy.clear_sequence();
  copy.clear_reported_unix_ms();
  copy.clear_current_lsn();
  copy.clear_received_lsn();
  copy.clear_replayed_lsn();
  copy.clear_flushed_lsn();
  copy.clear_last_replay_unix_ms();
  copy.mutable_wal_receiver()->clear_latest_end_lsn();
  copy.mutable_wal_receiver()->clear_last_msg_receipt_unix_ms();
  for (auto& s : *copy.mutable_standbys()) {
    s.clear_sent_lsn();
    s.clear_write_lsn();
    s.clear_flush_lsn();
    s.clear_replay_lsn();
    s.clear_write_lag_us();
    s.clear_flush_lag_us();
    s.clear_replay_lag_us();
    s.clear_replay_lag_bytes();
  }
  for (auto& slot : *copy.mutable_replication_slots()) {
    slot.clear_restart_lsn();
    slot.clear_retained_bytes();
  }
  copy.clear_archiver();
  std::string out;
  // Deterministic so that equal reports serialize equally (map fields).
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  copy.SerializeToCodedStream(&coded);
  return out;
}

// "3s", "1500ms".
std::string FormatDuration(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Everything lives in Core, shared with the clock's timers through weak
// pointers: a timer the clock has already popped when the monitor goes away
// finds it expired, or finds `stopping` and does nothing.
struct Core {
  Core(InstanceClient& client, Clock& clock, std::function<void(const std::string&)> on_change,
       MonitorOptions options)
      : client(client), clock(clock), on_change(std::move(on_change)), options(options) {}

  // One tracked pod. `attempt` names the current WatchStatus call; callbacks
  // and timers of earlier calls (or of a pod since untracked) find no stream
  // for their attempt and are ignored.
  struct Stream {
    std::string cluster_key;
    std::string pod;
    uint64_t attempt = 0;
    bool open = false;  // the current call has not ended
    std::unique_ptr<StatusWatch> watch;
    InstanceReport report;
    std::string material;  // Material(report.status) of the last report
    MonoTime since{};      // last report or, before one, when the call opened
    Duration backoff{};
    TimerId stale_timer = 0;
    TimerId reopen_timer = 0;
  };

  // Work a locked section leaves for after the unlock: watches to destroy
  // (their destructors wait for their callbacks, which take `mu`), calls to
  // open (the client may call back at once), Clusters to report changed.
  struct Deferred {
    std::vector<std::unique_ptr<StatusWatch>> dead;
    std::vector<std::pair<uint64_t, std::string>> opens;  // attempt, address
    std::vector<std::string> changed;
    struct LogLine {
      log::Level level;
      std::string message;
      nlohmann::json fields;
    };
    std::vector<LogLine> logs;
  };

  InstanceClient& client;
  Clock& clock;
  const std::function<void(const std::string&)> on_change;
  const MonitorOptions options;
  std::weak_ptr<Core> weak_self;
  log::Logger logger{"instance-monitor"};

  mutable std::mutex mu;
  std::condition_variable idle;
  bool stopping = false;
  int busy = 0;  // timer callbacks and Track calls outside `mu`
  uint64_t next_attempt = 1;
  std::map<std::string, std::map<std::string, std::unique_ptr<Stream>>> clusters;
  std::map<uint64_t, Stream*> by_attempt;

  Stream* Find(uint64_t attempt) {
    auto it = by_attempt.find(attempt);
    return it == by_attempt.end() ? nullptr : it->second;
  }

  // Starts a new call for `s` (the old one, if any, goes to `d.dead`).
  void BeginAttemptLocked(Stream* s, Deferred& d) {
    by_attempt.erase(s->attempt);
    s->attempt = next_attempt++;
    by_attempt[s->attempt] = s;
    if (s->watch) d.dead.push_back(std::move(s->watch));
    s->open = true;
    s->since = clock.Now();
    s->reopen_timer = 0;
    ArmStaleLocked(s);
    d.opens.emplace_back(s->attempt, s->report.address);
  }

  void ArmStaleLocked(Stream* s) {
    if (s->stale_timer != 0) return;
    const uint64_t attempt = s->attempt;
    s->stale_timer = clock.AddTimer(s->since + options.stale_after,
                                    [weak = weak_self, attempt] { RunTimer(weak, attempt, &Core::OnStaleTimer); });
  }

  void CancelTimersLocked(Stream* s) {
    if (s->stale_timer != 0) clock.CancelTimer(s->stale_timer);
    if (s->reopen_timer != 0) clock.CancelTimer(s->reopen_timer);
    s->stale_timer = s->reopen_timer = 0;
  }

  void RemoveLocked(std::unique_ptr<Stream> s, Deferred& d) {
    CancelTimersLocked(s.get());
    by_attempt.erase(s->attempt);
    if (s->watch) d.dead.push_back(std::move(s->watch));
  }

  // The call ended or went quiet: the report says so, and a new call is
  // tried after the back-off.
  void DisconnectLocked(Stream* s, const std::string& error, Deferred& d) {
    const bool was_connected = s->report.connected;
    const std::string was_error = s->report.error;
    s->open = false;
    s->report.connected = false;
    s->report.error = error;
    if (s->stale_timer != 0) clock.CancelTimer(s->stale_timer);
    s->stale_timer = 0;
    if (s->reopen_timer == 0) {
      const uint64_t attempt = s->attempt;
      s->reopen_timer = clock.AddTimer(clock.Now() + s->backoff, [weak = weak_self, attempt] {
        RunTimer(weak, attempt, &Core::OnReopenTimer);
      });
      s->backoff = std::min<Duration>(s->backoff * 2, options.max_backoff);
    }
    if (was_connected || was_error != error) {
      d.changed.push_back(s->cluster_key);
      d.logs.push_back({was_connected ? log::Level::kWarn : log::Level::kDebug, "instance stream lost",
                        nlohmann::json{{"cluster", s->cluster_key},
                                       {"pod", s->pod},
                                       {"address", s->report.address},
                                       {"error", error}}});
    }
  }

  void OnStatus(uint64_t attempt, const pb::InstanceStatus& status) {
    Deferred d;
    {
      std::lock_guard<std::mutex> lock(mu);
      Stream* s = stopping ? nullptr : Find(attempt);
      if (s == nullptr) return;
      std::string material = Material(status);
      const bool changed = !s->report.connected || !s->report.status || material != s->material;
      if (!s->report.connected) {
        // Quiet for the first report of a pod; a recovery is worth a line.
        d.logs.push_back({s->report.error.empty() ? log::Level::kDebug : log::Level::kInfo,
                          "instance stream connected",
                          nlohmann::json{{"cluster", s->cluster_key}, {"pod", s->pod},
                                         {"address", s->report.address}}});
      }
      s->open = true;
      s->report.status = status;
      s->report.connected = true;
      s->report.error.clear();
      s->report.last_report = s->since = clock.Now();
      s->material = std::move(material);
      s->backoff = options.min_backoff;
      ArmStaleLocked(s);
      if (changed) d.changed.push_back(s->cluster_key);
    }
    Finish(d);
  }

  void OnEnd(uint64_t attempt, const Status& end) {
    Deferred d;
    {
      std::lock_guard<std::mutex> lock(mu);
      Stream* s = stopping ? nullptr : Find(attempt);
      if (s == nullptr || !s->open) return;
      DisconnectLocked(s, end.ToString(), d);
    }
    Finish(d);
  }

  void OnStaleTimer(uint64_t attempt, Deferred& d) {
    Stream* s = Find(attempt);
    if (s == nullptr) return;
    s->stale_timer = 0;
    if (!s->open) return;
    if (clock.Now() - s->since < options.stale_after) {
      ArmStaleLocked(s);  // a report came since the timer was set
      return;
    }
    // The call may still be open (a wedged handler, a half-dead network the
    // keepalive has not caught yet); the reopen replaces it.
    DisconnectLocked(s, "no report for " + FormatDuration(options.stale_after), d);
  }

  void OnReopenTimer(uint64_t attempt, Deferred& d) {
    Stream* s = Find(attempt);
    if (s == nullptr) return;
    s->reopen_timer = 0;
    if (s->open) return;  // the old call came back with a report meanwhile
    BeginAttemptLocked(s, d);
  }

  // Runs a timer body under `mu` unless the monitor is gone or going.
  static void RunTimer(const std::weak_ptr<Core>& weak, uint64_t attempt,
                       void (Core::*body)(uint64_t, Deferred&)) {
    std::shared_ptr<Core> core = weak.lock();
    if (!core) return;
    Deferred d;
    {
      std::lock_guard<std::mutex> lock(core->mu);
      if (core->stopping) return;
      ++core->busy;
      (core.get()->*body)(attempt, d);
    }
    core->Finish(d);
    core->EndBusy();
  }

  void EndBusy() {
    {
      std::lock_guard<std::mutex> lock(mu);
      --busy;
    }
    idle.notify_all();
  }

  // The unlocked half of every entry point.
  void Finish(Deferred& d) {
    d.dead.clear();
    for (auto& [attempt, address] : d.opens) Open(attempt, address);
    for (const auto& line : d.logs) logger.Log(line.level, line.message, line.fields);
    std::sort(d.changed.begin(), d.changed.end());
    d.changed.erase(std::unique(d.changed.begin(), d.changed.end()), d.changed.end());
    for (const std::string& key : d.changed) on_change(key);
  }

  void Open(uint64_t attempt, const std::string& address) {
    WatchCallbacks callbacks;
    callbacks.on_status = [this, attempt](const pb::InstanceStatus& status) { OnStatus(attempt, status); };
    callbacks.on_end = [this, attempt](const Status& end) { OnEnd(attempt, end); };
    // Callbacks of a watch never outlive it, and every watch is destroyed
    // before Core, so `this` in them is safe.
    std::unique_ptr<StatusWatch> watch = client.WatchStatus(address, options.heartbeat, std::move(callbacks));
    std::unique_lock<std::mutex> lock(mu);
    Stream* s = stopping ? nullptr : Find(attempt);
    if (s != nullptr) {
      s->watch = std::move(watch);
      return;
    }
    lock.unlock();
    watch.reset();  // untracked, replaced or shut down while opening
  }
};

}  // namespace

struct InstanceMonitor::Impl {
  std::shared_ptr<Core> core;
};

InstanceMonitor::InstanceMonitor(InstanceClient& client, Clock& clock,
                                 std::function<void(const std::string& cluster_key)> on_change,
                                 MonitorOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<Core>(client, clock, std::move(on_change), options);
  impl_->core->weak_self = impl_->core;
}

InstanceMonitor::~InstanceMonitor() {
  Core& c = *impl_->core;
  Core::Deferred d;
  {
    std::unique_lock<std::mutex> lock(c.mu);
    c.stopping = true;
    for (auto& [key, pods] : c.clusters) {
      for (auto& [pod, s] : pods) c.RemoveLocked(std::move(s), d);
    }
    c.clusters.clear();
    // A timer body or Track may be between its locked and unlocked halves.
    c.idle.wait(lock, [&c] { return c.busy == 0; });
  }
  d.dead.clear();
}

void InstanceMonitor::Track(const std::string& cluster_key, const std::map<std::string, std::string>& pods) {
  Core& c = *impl_->core;
  Core::Deferred d;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto& tracked = c.clusters[cluster_key];
    for (auto it = tracked.begin(); it != tracked.end();) {
      auto wanted = pods.find(it->first);
      if (wanted != pods.end() && wanted->second == it->second->report.address) {
        ++it;
        continue;
      }
      c.RemoveLocked(std::move(it->second), d);
      it = tracked.erase(it);
    }
    for (const auto& [pod, address] : pods) {
      if (tracked.count(pod) != 0) continue;
      auto s = std::make_unique<Core::Stream>();
      s->cluster_key = cluster_key;
      s->pod = pod;
      s->report.address = address;
      s->backoff = c.options.min_backoff;
      c.BeginAttemptLocked(s.get(), d);
      tracked.emplace(pod, std::move(s));
    }
    if (tracked.empty()) c.clusters.erase(cluster_key);
    ++c.busy;
  }
  c.Finish(d);
  c.EndBusy();
}

void InstanceMonitor::Untrack(const std::string& cluster_key) {
  Core& c = *impl_->core;
  Core::Deferred d;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.clusters.find(cluster_key);
    if (it == c.clusters.end()) return;
    for (auto& [pod, s] : it->second) c.RemoveLocked(std::move(s), d);
    c.clusters.erase(it);
  }
  d.dead.clear();
}

std::map<std::string, InstanceReport> InstanceMonitor::Reports(const std::string& cluster_key) const {
  const Core& c = *impl_->core;
  std::lock_guard<std::mutex> lock(c.mu);
  std::map<std::string, InstanceReport> out;
  auto it = c.clusters.find(cluster_key);
  if (it == c.clusters.end()) return out;
  for (const auto& [pod, s] : it->second) out.emplace(pod, s->report);
  return out;
}

size_t InstanceMonitor::OpenStreams() const {
  const Core& c = *impl_->core;
  std::lock_guard<std::mutex> lock(c.mu);
  size_t n = 0;
  for (const auto& [key, pods] : c.clusters) {
    for (const auto& [pod, s] : pods) n += s->open ? 1 : 0;
  }
  return n;
}

}  // namespace tusk::op
