// The kubelet of one localkube node: runs the pods bound to it, reports
// their status through a sink, serves their logs, keeps their
// service-account tokens fresh (TokenManager), and answers the fault
// commands. The API-server side (watching pods, writing pods/status) is
// the integrator's: it calls SyncPod / DeletePod and implements
// PodStatusSink and ObjectSource.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "test/localkube/net/bridge_network.h"
#include "test/localkube/net/service_routes.h"
#include "test/localkube/runtime/pod_worker.h"
#include "test/localkube/runtime/token_manager.h"

namespace tusk::localkube {

// BridgeNetwork seen through the kubelet's PodNetwork seam.
class BridgePodNetwork final : public PodNetwork {
 public:
  explicit BridgePodNetwork(net::BridgeNetwork& bridge) : bridge_(bridge) {}
  StatusOr<net::PodNet> Attach(const std::string& pod_uid) override { return bridge_.AttachPod(pod_uid); }
  Status Detach(const std::string& pod_uid) override { return bridge_.DetachPod(pod_uid); }

 private:
  net::BridgeNetwork& bridge_;
};

class Kubelet {
 public:
  Kubelet(KubeletConfig config, WorkerDeps deps);
  ~Kubelet();  // stops every pod at once, without grace

  // Starts the pod if this kubelet does not run it yet (by metadata.uid).
  // Spec changes to a running pod are ignored, as Kubernetes forbids them.
  Status SyncPod(const nlohmann::json& pod);
  // Graceful deletion: SIGTERM, SIGKILL after the grace period (the pod's own
  // unless given), network and pod directory removed. Blocks until done.
  Status DeletePod(const std::string& uid, std::optional<int64_t> grace_seconds = std::nullopt);
  // Power cut (fault node-down): every container SIGKILLed, nothing reported.
  void KillAll();

  StatusOr<nlohmann::json> PodStatus(const std::string& uid) const;
  StatusOr<std::string> LogPath(const std::string& uid, const std::string& container, bool previous) const;
  Status SignalContainer(const std::string& uid, const std::string& container, int sig);
  StatusOr<pid_t> ContainerPid(const std::string& uid, const std::string& container) const;
  std::vector<std::string> PodUids() const;
  // The Service names every pod's hosts file resolves; rewritten in place.
  void SetDnsRecords(std::vector<net::DnsRecord> records);

 private:
  KubeletConfig config_;
  TokenManager tokens_;  // over the given ObjectSource; what the pods read through
  WorkerDeps deps_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<PodWorker>> pods_;
  std::vector<net::DnsRecord> dns_;
};

}  // namespace tusk::localkube
