// The controllers localkube runs beside its API server, as
// kube-controller-manager and kube-scheduler would: Endpoints and
// EndpointSlices, the scheduler, the local-path provisioner, Deployments and
// ReplicaSets, Jobs, node lifecycle, ServiceAccounts and the root CA
// publisher. Each runs on its own thread
// (WorkLoop), woken by watches on the in-process Api and by Clock timers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "test/localkube/apiserver/api.h"

namespace tusk::localkube {

class Controller;
class WorkLoop;

struct ControllerConfig {
  std::string volumes_dir;                              // DIR/volumes
  Duration node_monitor_grace = std::chrono::seconds(40);
  std::string root_ca_pem;  // published as kube-root-ca.crt; empty: no publisher
};

class ClusterControllers {
 public:
  ClusterControllers(Api* api, Clock& clock, ControllerConfig config);
  ~ClusterControllers();  // Stop()
  // Creates the default StorageClass if absent, then starts every loop.
  void Start();
  void Stop();
  // One pass of every controller, waited for: lets tests observe the effect
  // of FakeClock::Advance without sleeping.
  void Sync();

 private:
  Api* api_;
  Clock& clock_;
  ControllerConfig config_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<std::unique_ptr<WorkLoop>> loops_;
};

}  // namespace tusk::localkube
