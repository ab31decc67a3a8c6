// One leader among many candidates, on a coordination.k8s.io/v1 Lease: the
// holder renews every retry period; others take over once the lease has not
// been renewed for its duration (measured on their own clock from when they
// last saw it change, so clock skew between hosts does not matter). A leader
// that cannot renew within the renew deadline steps down; a clean Stop()
// releases the lease so another candidate takes over at its next retry.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/base/clock.h"
#include "common/k8s/kube_client.h"
#include "common/k8s/sleeper.h"
#include "common/log/log.h"

namespace tusk::k8s {

struct LeaderElectionConfig {
  std::string namespace_;
  std::string lease_name;
  std::string identity;  // unique per candidate, e.g. the pod name
  Duration lease_duration = std::chrono::seconds(15);
  Duration renew_deadline = std::chrono::seconds(10);
  Duration retry_period = std::chrono::seconds(2);
  bool release_on_stop = true;
};

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;
};

class LeaderElector {
 public:
  LeaderElector(KubeClient& client, Clock& clock, LeaderElectionConfig config, LeaderCallbacks callbacks = {});
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops campaigning; releases the lease if leading and configured to.
  void Stop();

  bool IsLeader() const { return leading_.load(); }
  std::string observed_leader() const;

  // One acquire-or-renew attempt (what the loop runs every retry period).
  // True when this candidate holds the lease afterwards.
  bool TryAcquireOrRenew();

 private:
  void Run();
  Status Release();
  void SetLeading(bool leading);

  KubeClient& client_;
  Clock& clock_;
  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;
  const ResourceRef lease_ref_;
  log::Logger log_;
  Sleeper sleeper_;

  mutable std::mutex mu_;
  std::string observed_record_;  // holder + renewTime + rv as last seen
  std::string observed_holder_;
  MonoTime observed_at_{};
  MonoTime last_renew_{};
  std::atomic<bool> leading_{false};
  std::thread thread_;
};

}  // namespace tusk::k8s
