// Keeps one WatchStatus stream open to every instance the controllers care
// about and remembers the last report of each, so a reconcile reads instance
// state from memory. A report that changes anything but its sequence and
// timestamp, a stream that ends, or a heartbeat missed for `stale_after`
// calls `on_change(cluster_key)`: the Cluster controller enqueues it. A broken
// stream is reopened with back-off (200 ms doubling to 5 s).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/base/clock.h"
#include "operator/instance/instance_client.h"

namespace tusk::op {

struct InstanceReport {
  std::string address;  // "ip:port" being watched
  // The last report received, even if the stream has since ended.
  std::optional<pb::InstanceStatus> status;
  // The stream is open and a report arrived within stale_after.
  bool connected = false;
  // Why not connected ("connection refused", "no report for 3s", ...).
  std::string error;
  MonoTime last_report{};  // on the monitor's clock
};

struct MonitorOptions {
  Duration heartbeat = std::chrono::milliseconds(1000);
  Duration stale_after = std::chrono::milliseconds(3000);
  Duration min_backoff = std::chrono::milliseconds(200);
  Duration max_backoff = std::chrono::seconds(5);
};

class InstanceMonitor {
 public:
  InstanceMonitor(InstanceClient& client, Clock& clock, std::function<void(const std::string& cluster_key)> on_change,
                  MonitorOptions options = {});
  ~InstanceMonitor();
  InstanceMonitor(const InstanceMonitor&) = delete;
  InstanceMonitor& operator=(const InstanceMonitor&) = delete;

  // The instances of one Cluster ("namespace/name") to watch: pod name ->
  // address. Streams of pods no longer listed, or whose address changed, are
  // closed (and reopened at the new address). Cheap when nothing changed.
  void Track(const std::string& cluster_key, const std::map<std::string, std::string>& pods);
  // Stops watching every instance of the Cluster.
  void Untrack(const std::string& cluster_key);
  // pod name -> report, for the tracked pods of the Cluster.
  std::map<std::string, InstanceReport> Reports(const std::string& cluster_key) const;
  // Number of open streams (for /metrics).
  size_t OpenStreams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tusk::op
