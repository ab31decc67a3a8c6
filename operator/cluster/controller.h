// The Cluster controller: for one "namespace/name" key, observe (informer
// caches + instance reports) -> PlanCluster (pure) -> apply (API calls,
// events). Level-triggered: every reconcile starts from what exists now.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "common/api/cluster.h"
#include "common/base/clock.h"
#include "common/k8s/events.h"
#include "common/k8s/kube_client.h"
#include "common/k8s/object_cache.h"
#include "common/k8s/workqueue.h"
#include "common/log/log.h"
#include "common/tls/random.h"
#include "operator/cluster/plan.h"
#include "operator/instance/instance_monitor.h"

namespace tusk::op::cluster {

// The caches the controller reads; each holds the objects labelled
// cnpg.io/cluster (clusters: all of them).
struct Caches {
  const k8s::ObjectCache* clusters = nullptr;
  const k8s::ObjectCache* pods = nullptr;
  const k8s::ObjectCache* pvcs = nullptr;
  const k8s::ObjectCache* services = nullptr;
  const k8s::ObjectCache* secrets = nullptr;
  const k8s::ObjectCache* service_accounts = nullptr;
  const k8s::ObjectCache* roles = nullptr;
  const k8s::ObjectCache* role_bindings = nullptr;
  const k8s::ObjectCache* pdbs = nullptr;
};

struct ControllerConfig {
  specs::OperatorSettings settings;
  api::ClusterDefaults defaults;
  // How long a created pod may stay unseen in the cache before the
  // controller stops waiting for it.
  Duration expectation_timeout = std::chrono::seconds(30);
};

class ClusterController {
 public:
  ClusterController(k8s::KubeClient& client, Clock& clock, k8s::EventRecorder& events, InstanceClient& instances,
                    InstanceMonitor& monitor, tls::RandomSource& random, Caches caches, ControllerConfig config);

  k8s::ReconcileResult Reconcile(const std::string& key);

  // The observation of one Cluster from the caches (exposed for tests).
  StatusOr<ObservedCluster> Observe(const Json& object);

 private:
  // Observe, plan and apply one version of the Cluster.
  Status ReconcileObject(const Json& object, const log::Logger& logger, Plan* plan);
  Status Apply(const ObservedCluster& observed, const Plan& plan, const log::Logger& logger);
  Status ApplyAction(const ObservedCluster& observed, const Action& action, const log::Logger& logger);
  StatusOr<Json> MakeSecret(const ObservedCluster& observed, const Action& action);
  void Expect(const std::string& key, const std::string& pod);
  bool AwaitingCache(const std::string& key);

  k8s::KubeClient& client_;
  InstanceClient& instances_;
  Clock& clock_;
  k8s::EventRecorder& events_;
  InstanceMonitor& monitor_;
  tls::RandomSource& random_;
  const Caches caches_;
  const ControllerConfig config_;
  log::Logger log_;

  std::mutex mu_;
  // Cluster key -> pods created and not yet seen in the cache, with when.
  std::map<std::string, std::map<std::string, MonoTime>> expected_;
  // CAs created in this process, by Cluster uid (a few hundred bytes each;
  // the cache may not have the Secret yet when the leaves are signed).
  std::map<std::string, tls::CertifiedKey> new_cas_;
};

}  // namespace tusk::op::cluster
