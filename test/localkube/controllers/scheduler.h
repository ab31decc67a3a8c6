// The default-scheduler: binds pending pods to nodes (scheduling.h decides),
// first asking the provisioner for WaitForFirstConsumer volumes on the chosen
// node and binding only once those claims are Bound. Sets PodScheduled and
// records Scheduled / FailedScheduling events; unschedulable pods are retried
// whenever nodes, pods or volumes change.
#pragma once

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"
#include "test/localkube/controllers/scheduling.h"

namespace tusk::localkube {

class Scheduler : public Controller {
 public:
  Scheduler(Api* api, Clock& clock) : api_(api), clock_(clock) {}
  std::string name() const override { return "scheduler"; }
  std::vector<std::string> watches() const override {
    return {"pods", "nodes", "persistentvolumeclaims", "persistentvolumes", "storageclasses.storage.k8s.io"};
  }
  std::optional<Duration> Reconcile() override;

 private:
  ClusterView Observe() const;
  // Writes PodScheduled (and the event when the outcome changed); false on a
  // failed write.
  bool SetScheduled(const json& pod, const std::string& node, const std::string& message);
  bool Bind(const json& pod, const std::string& node);

  Api* api_;
  Clock& clock_;
};

}  // namespace tusk::localkube
