// One virtual node joined to the API server: it registers the Node, keeps
// its Lease and Ready condition fresh, runs the pods bound to it on its own
// Kubelet, writes their status back (pods/status), finishes graceful
// deletions, and answers the node-level faults (partition, power cut).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/log/log.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/node/node_objects.h"
#include "test/localkube/node/node_pod_network.h"
#include "test/localkube/runtime/kubelet.h"

namespace tusk::localkube {

struct NodeAgentConfig {
  KubeletConfig kubelet;  // node_name, state_dir, host_ip, ... as the kubelet needs them
  Duration heartbeat_interval = std::chrono::seconds(10);
};

class NodeAgent {
 public:
  NodeAgent(Api* api, Clock& clock, net::BridgeNetwork& bridge, ObjectSource& objects, ProbeRunner& probes,
            NodeAgentConfig config);
  ~NodeAgent();  // stops watching; every pod stopped hard
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Registers the Node and its Lease, then follows the node's pods.
  Status Start();

  const std::string& name() const { return config_.kubelet.node_name; }
  Kubelet& kubelet() { return *kubelet_; }

  // The uid of the pod `ns/name` running here; NotFound otherwise.
  StatusOr<std::string> PodUid(const std::string& ns, const std::string& name) const;
  // container "" = every running container of the pod.
  Status KillContainer(const std::string& ns, const std::string& pod, const std::string& container, int sig);
  Status PartitionPod(const std::string& ns, const std::string& pod);
  Status HealPod(const std::string& ns, const std::string& pod);
  StatusOr<std::string> LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                bool previous) const;

  // The node's pods go dark and the agent stops writing to the API (no
  // heartbeats, no pod status, no deletions) until Heal, which resyncs.
  // Pods bound to the node meanwhile start, cut off; pods deleted meanwhile
  // keep running until the heal.
  Status Partition();
  Status Heal();
  // Power cut: every container SIGKILLed, nothing reported, no heartbeat
  // ever again.
  Status PowerOff();

 private:
  struct PodRef {
    std::string ns, name;
    std::vector<std::string> containers;
  };
  struct Deletion {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  struct PodReport {
    std::string ns, name;
    nlohmann::json status;
    std::shared_ptr<std::mutex> writing;  // one write per pod at a time, in order
  };
  class StatusWriter;

  void Run();
  // The pod watch, resumed from `last_rv` or after a fresh list (which
  // updates it); null on failure.
  ChannelPtr OpenWatch(std::string& last_rv, bool relist);
  void HandleEvent(EventType type, const nlohmann::json& pod);
  Status Register();
  void Heartbeat();
  // Reconciles one pod the API reports as bound here.
  void Reconcile(const nlohmann::json& pod);
  // Lists the node's pods, reconciles each, stops the ones gone from the API,
  // and returns the list's resourceVersion to watch from.
  StatusOr<std::string> Relist();
  void StartStop(const std::string& uid, const std::string& ns, const std::string& name,
                 std::optional<int64_t> grace, bool delete_from_api);
  void ReapDeletions(bool all);
  void OnPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                   const nlohmann::json& status);
  void WriteStatus(const std::string& uid);
  void DeleteFromApi(const std::string& ns, const std::string& name, const std::string& uid);
  bool talking() const { return talking_.load(); }

  Api* api_;
  Clock& clock_;
  NodeAgentConfig config_;
  NodeFacts facts_;
  log::Logger log_;
  NodePodNetwork network_;
  std::unique_ptr<StatusWriter> sink_;
  std::unique_ptr<Kubelet> kubelet_;

  std::atomic<bool> talking_{true};  // false while partitioned or powered off
  std::atomic<bool> stop_{false};
  std::atomic<bool> resync_{false};
  MonoTime next_beat_;  // the watch thread's own
  std::thread thread_;

  mutable std::mutex mu_;  // guards pods_, deletions_, powered_off_
  std::map<std::string, PodRef> pods_;  // by uid: the pods this node runs
  std::map<std::string, Deletion> deletions_;
  bool powered_off_ = false;

  std::mutex reports_mu_;
  std::map<std::string, PodReport> reports_;  // latest status per uid
};

}  // namespace tusk::localkube
