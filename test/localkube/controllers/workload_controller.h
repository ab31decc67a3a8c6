// Deployments -> ReplicaSets -> Pods. Both controllers run in one pass,
// Deployments first, so a Deployment's rolling-update step always sees the
// pods its ReplicaSets actually have (not a lagging ReplicaSet status).
#pragma once

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

class WorkloadController : public Controller {
 public:
  WorkloadController(Api* api, Clock& clock) : api_(api), clock_(clock) {}
  std::string name() const override { return "deployment-replicaset"; }
  std::vector<std::string> watches() const override { return {"deployments.apps", "replicasets.apps", "pods"}; }
  std::optional<Duration> Reconcile() override;

 private:
  bool SyncDeployments();
  bool SyncReplicaSets();

  Api* api_;
  Clock& clock_;
};

}  // namespace tusk::localkube
