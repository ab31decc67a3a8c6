// One pod's life on a node: network and volumes set up, image and env
// resolved, init containers run in order, containers started as namespaced
// processes and restarted with back-off, probes run, status recomputed and
// published on every change, and graceful termination at the end. Each pod
// has its own thread; decisions come from the pure functions beside this
// file.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "test/localkube/net/bridge_network.h"
#include "test/localkube/net/service_routes.h"
#include "test/localkube/runtime/backoff.h"
#include "test/localkube/runtime/env.h"
#include "test/localkube/runtime/kubelet_config.h"
#include "test/localkube/runtime/object_source.h"
#include "test/localkube/runtime/pod_spec.h"
#include "test/localkube/runtime/pod_status.h"
#include "test/localkube/runtime/probe.h"
#include "test/localkube/runtime/probe_runner.h"
#include "test/localkube/runtime/volumes.h"

namespace tusk::localkube {

// Where pod status goes (the API server's pods/status, for the integrator).
// Called on the pod's worker thread, one call at a time per pod; a slow
// call delays only that pod.
class PodStatusSink {
 public:
  virtual ~PodStatusSink() = default;
  virtual void OnPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                           const nlohmann::json& status) = 0;
};

// A pod's network namespace and address (BridgeNetwork in production).
class PodNetwork {
 public:
  virtual ~PodNetwork() = default;
  virtual StatusOr<net::PodNet> Attach(const std::string& pod_uid) = 0;
  virtual Status Detach(const std::string& pod_uid) = 0;
};

struct WorkerDeps {
  Clock& clock;
  ObjectSource& objects;
  PodNetwork& network;
  ProbeRunner& probes;
  PodStatusSink& sink;
};

class PodWorker {
 public:
  PodWorker(const KubeletConfig& config, PodSpec spec, WorkerDeps deps, std::vector<net::DnsRecord> dns);
  ~PodWorker();  // stops hard if still running
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  void Start();
  // Graceful stop: SIGTERM to every container, SIGKILL after the grace
  // period (the pod's terminationGracePeriodSeconds unless given). Blocks
  // until every container has exited and the network is gone.
  void Stop(std::optional<int64_t> grace_seconds = std::nullopt);

  nlohmann::json status() const;
  const PodSpec& spec() const { return spec_; }
  std::string pod_dir() const;
  // The log of the container's current run, or of the run before it.
  StatusOr<std::string> LogPath(const std::string& container, bool previous) const;
  // Sends a signal to a container's PID 1 (fault injection, kubectl-like kill).
  Status Signal(const std::string& container, int sig);
  // Host PID of a running container's PID 1.
  StatusOr<pid_t> ContainerPid(const std::string& container) const;
  void UpdateDns(const std::vector<net::DnsRecord>& records);

 private:
  struct Container;
  void Run();
  Status SetUpSandbox();
  void TryStart(Container& c);
  void HandleExit(Container& c, int exit_code, int signal);
  void RunProbes(Container& c);
  void Terminate(Container& c, Duration grace);
  void Publish();
  bool WaitForEvents(MonoTime deadline);  // false when stop was requested
  void WriteHosts();

  KubeletConfig config_;
  const PodSpec spec_;
  WorkerDeps deps_;
  std::vector<std::unique_ptr<Container>> init_, main_;
  std::optional<PodVolumes> volumes_;
  PodFacts facts_;
  std::string netns_path_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> stop_grace_{-1};
  std::thread thread_;

  mutable std::mutex mu_;  // guards status_, dns_, pids in containers
  nlohmann::json status_;
  std::vector<net::DnsRecord> dns_;
};

}  // namespace tusk::localkube
