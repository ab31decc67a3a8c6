#include "test/localkube/controllers/cluster_controllers.h"

#include "test/localkube/controllers/endpoints_controller.h"
#include "test/localkube/controllers/job_controller.h"
#include "test/localkube/controllers/local_path_provisioner.h"
#include "test/localkube/controllers/node_lifecycle.h"
#include "test/localkube/controllers/root_ca_publisher.h"
#include "test/localkube/controllers/scheduler.h"
#include "test/localkube/controllers/service_account_controller.h"
#include "test/localkube/controllers/work_loop.h"
#include "test/localkube/controllers/workload_controller.h"

namespace tusk::localkube {

ClusterControllers::ClusterControllers(Api* api, Clock& clock, ControllerConfig config)
    : api_(api), clock_(clock), config_(std::move(config)) {}

ClusterControllers::~ClusterControllers() { Stop(); }

void ClusterControllers::Start() {
  if (!loops_.empty()) return;
  auto provisioner = std::make_unique<LocalPathProvisioner>(api_, config_.volumes_dir);
  provisioner->EnsureStorageClass();
  controllers_.push_back(std::make_unique<EndpointsController>(api_, clock_));
  controllers_.push_back(std::make_unique<Scheduler>(api_, clock_));
  controllers_.push_back(std::move(provisioner));
  controllers_.push_back(std::make_unique<WorkloadController>(api_, clock_));
  controllers_.push_back(std::make_unique<JobController>(api_, clock_));
  controllers_.push_back(std::make_unique<NodeLifecycle>(api_, clock_, config_.node_monitor_grace));
  controllers_.push_back(std::make_unique<ServiceAccountController>(api_));
  if (!config_.root_ca_pem.empty()) controllers_.push_back(std::make_unique<RootCaPublisher>(api_, config_.root_ca_pem));
  for (auto& c : controllers_) {
    loops_.push_back(std::make_unique<WorkLoop>(api_, clock_, c.get()));
    loops_.back()->Start();
  }
}

void ClusterControllers::Stop() {
  for (auto& l : loops_) l->Stop();
  loops_.clear();
  controllers_.clear();
}

void ClusterControllers::Sync() {
  for (auto& l : loops_) l->Sync();
}

}  // namespace tusk::localkube
