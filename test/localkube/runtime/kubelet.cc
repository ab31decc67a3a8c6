#include "test/localkube/runtime/kubelet.h"

#include "common/base/files.h"

namespace tusk::localkube {

Kubelet::Kubelet(KubeletConfig config, WorkerDeps deps)
    : config_(std::move(config)),
      tokens_(deps.objects, deps.clock),
      deps_{deps.clock, tokens_, deps.network, deps.probes, deps.sink} {}

Kubelet::~Kubelet() { KillAll(); }

Status Kubelet::SyncPod(const nlohmann::json& pod) {
  ASSIGN_OR_RETURN(PodSpec spec, ParsePod(pod));
  std::lock_guard<std::mutex> lock(mu_);
  if (pods_.count(spec.uid)) return OkStatus();
  auto worker = std::make_unique<PodWorker>(config_, std::move(spec), deps_, dns_);
  worker->Start();
  const std::string uid = worker->spec().uid;
  pods_[uid] = std::move(worker);
  return OkStatus();
}

Status Kubelet::DeletePod(const std::string& uid, std::optional<int64_t> grace_seconds) {
  std::unique_ptr<PodWorker> worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(uid);
    if (it == pods_.end()) return NotFoundError("pod " + uid + " is not running on this node");
    worker = std::move(it->second);
    pods_.erase(it);
  }
  worker->Stop(grace_seconds);
  tokens_.ForgetPod(uid);
  return RemoveAll(worker->pod_dir());
}

void Kubelet::KillAll() {
  std::map<std::string, std::unique_ptr<PodWorker>> pods;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pods.swap(pods_);
  }
  for (auto& [uid, worker] : pods) {
    worker->Stop(0);
    tokens_.ForgetPod(uid);
  }
}

StatusOr<nlohmann::json> Kubelet::PodStatus(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return NotFoundError("pod " + uid + " is not running on this node");
  return it->second->status();
}

StatusOr<std::string> Kubelet::LogPath(const std::string& uid, const std::string& container, bool previous) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return NotFoundError("pod " + uid + " is not running on this node");
  return it->second->LogPath(container, previous);
}

Status Kubelet::SignalContainer(const std::string& uid, const std::string& container, int sig) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return NotFoundError("pod " + uid + " is not running on this node");
  return it->second->Signal(container, sig);
}

StatusOr<pid_t> Kubelet::ContainerPid(const std::string& uid, const std::string& container) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return NotFoundError("pod " + uid + " is not running on this node");
  return it->second->ContainerPid(container);
}

std::vector<std::string> Kubelet::PodUids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> uids;
  for (const auto& [uid, w] : pods_) uids.push_back(uid);
  return uids;
}

void Kubelet::SetDnsRecords(std::vector<net::DnsRecord> records) {
  std::lock_guard<std::mutex> lock(mu_);
  dns_ = std::move(records);
  for (auto& [uid, w] : pods_) w->UpdateDns(dns_);
}

}  // namespace tusk::localkube
