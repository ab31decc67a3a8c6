// A node for integration tests and benchmarks: a BridgeNetwork under a
// prefix of its own, a Kubelet over it, a thread-safe in-memory
// ObjectSource and a sink that remembers the latest status of every pod.
// Destroying it stops every pod and removes every namespace and interface
// the prefix owns, so a failing test still leaves nothing behind.
#pragma once

#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "test/localkube/net/bridge_network.h"
#include "test/localkube/runtime/kubelet.h"
#include "test/unit/eventually.h"

namespace tusk::localkube::testing {

class LockedObjects final : public ObjectSource {
 public:
  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override;
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override;
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override;
  StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& request) override;
  void Update(const std::function<void(MapObjectSource&)>& fn);

 private:
  std::mutex mu_;
  MapObjectSource map_;
};

class StatusRecorder final : public PodStatusSink {
 public:
  void OnPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                   const nlohmann::json& status) override;
  // Waits until `pred` holds for the pod's latest status; false at the deadline.
  bool WaitFor(const std::string& uid, const std::function<bool(const nlohmann::json&)>& pred, Duration timeout);
  nlohmann::json Latest(const std::string& uid);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> latest_;
};

class TestNode {
 public:
  // Null with the reason in `why` when there is no node: `*skip` is set when
  // the machine cannot run pods at all (not root), otherwise setup failed.
  static std::unique_ptr<TestNode> Make(std::string* why, bool* skip);
  ~TestNode();

  net::BridgeNetwork& network() { return *network_; }
  Kubelet& kubelet() { return *kubelet_; }
  LockedObjects& objects() { return objects_; }
  StatusRecorder& statuses() { return statuses_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& state_dir() const { return state_->path(); }

  // A v1 Pod with one container; `extra_spec` is merged into spec and
  // `container` into the container.
  static nlohmann::json Pod(const std::string& name, const std::vector<std::string>& command,
                            const nlohmann::json& container = nlohmann::json::object(),
                            const nlohmann::json& extra_spec = nlohmann::json::object());

 private:
  TestNode() = default;
  std::string prefix_;
  std::optional<TempDir> state_;
  RealClock clock_;
  LockedObjects objects_;
  StatusRecorder statuses_;
  RealProbeRunner probes_;
  std::unique_ptr<net::BridgeNetwork> network_;
  std::unique_ptr<BridgePodNetwork> pod_network_;
  std::unique_ptr<Kubelet> kubelet_;
};

std::string PhaseOf(const nlohmann::json& status);

}  // namespace tusk::localkube::testing
