// The node lifecycle controller: a node whose heartbeats (Lease renewTime or
// the Ready condition's lastHeartbeatTime, the newer) are older than the
// grace period goes Ready=Unknown with the unreachable NoSchedule/NoExecute
// taints, its pods go Ready=False, and each pod is deleted once its
// toleration of the NoExecute taint runs out. Heartbeats resuming lift the
// taints.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

inline constexpr char kUnreachableTaint[] = "node.kubernetes.io/unreachable";

// The newest heartbeat of a node (nullopt: none yet).
std::optional<WallTime> LastHeartbeat(const json& node, const json* lease);
// When the pod must be evicted from a node carrying `taint` (NoExecute),
// given its tolerations: nullopt = never, <= now = at once.
std::optional<WallTime> EvictionTime(const json& pod, const json& taint);

class NodeLifecycle : public Controller {
 public:
  NodeLifecycle(Api* api, Clock& clock, Duration grace) : api_(api), clock_(clock), grace_(grace) {}
  std::string name() const override { return "node-lifecycle"; }
  std::vector<std::string> watches() const override { return {"nodes", "leases.coordination.k8s.io", "pods"}; }
  std::optional<Duration> Reconcile() override;

 private:
  // Ready=Unknown and the unreachable taints while stale; taints lifted after.
  void SyncNode(const json& node, bool stale, WallTime now);
  void MarkPodNotReady(const json& pod, WallTime now);
  void Evict(const json& pod, WallTime now);

  Api* api_;
  Clock& clock_;
  Duration grace_;
};

}  // namespace tusk::localkube
