// Runs Jobs (job_plan.h decides) and the TTL-after-finished controller:
// a finished Job whose ttlSecondsAfterFinished ran out is deleted and its
// pods follow through the garbage collector.
#pragma once

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

class JobController : public Controller {
 public:
  JobController(Api* api, Clock& clock) : api_(api), clock_(clock) {}
  std::string name() const override { return "job"; }
  std::vector<std::string> watches() const override { return {"jobs.batch", "pods"}; }
  std::optional<Duration> Reconcile() override;

 private:
  Api* api_;
  Clock& clock_;
};

}  // namespace tusk::localkube
