#include "test/localkube/runtime/kubelet_fixture.h"

#include <thread>

namespace tusk::localkube::testing {

StatusOr<nlohmann::json> LockedObjects::GetSecret(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.GetSecret(ns, name);
}
StatusOr<nlohmann::json> LockedObjects::GetConfigMap(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.GetConfigMap(ns, name);
}
StatusOr<std::string> LockedObjects::ClaimPath(const std::string& ns, const std::string& claim) {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.ClaimPath(ns, claim);
}
StatusOr<IssuedToken> LockedObjects::RequestToken(const std::string& ns, const TokenRequestSpec& request) {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.RequestToken(ns, request);
}
void LockedObjects::Update(const std::function<void(MapObjectSource&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  fn(map_);
}

void StatusRecorder::OnPodStatus(const std::string&, const std::string&, const std::string& uid,
                                 const nlohmann::json& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_[uid] = status;
  }
  cv_.notify_all();
}

bool StatusRecorder::WaitFor(const std::string& uid, const std::function<bool(const nlohmann::json&)>& pred,
                             Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = latest_.find(uid);
    return it != latest_.end() && pred(it->second);
  });
}

nlohmann::json StatusRecorder::Latest(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = latest_.find(uid);
  return it == latest_.end() ? nlohmann::json() : it->second;
}

std::unique_ptr<TestNode> TestNode::Make(std::string* why, bool* skip) {
  *skip = ::geteuid() != 0;
  if (*skip) {
    *why = "skipped: running pods needs root (network and PID namespaces)";
    return nullptr;
  }
  std::unique_ptr<TestNode> node(new TestNode());
  // One /16 per test process, so parallel test runs do not collide.
  const int index = ::getpid() % 50;
  const std::string net16 = "10." + std::to_string(150 + index);
  node->prefix_ = "lkt" + std::to_string(index);
  net::NetworkConfig config;
  config.prefix = node->prefix_;
  config.pod_cidr = net16 + ".0.0/17";
  config.service_cidr = net16 + ".128.0/18";
  config.link_cidr = net16 + ".192.0/30";
  auto network = net::BridgeNetwork::Create(config);
  if (!network.ok()) {
    *why = "cannot create the pod network: " + network.status().ToString();
    return nullptr;
  }
  node->network_ = std::move(network).value();
  auto state = TempDir::Make("lk-node");
  if (!state.ok()) {
    *why = state.status().ToString();
    return nullptr;
  }
  node->state_.emplace(std::move(state).value());
  node->pod_network_ = std::make_unique<BridgePodNetwork>(*node->network_);
  KubeletConfig kc;
  kc.state_dir = node->state_->path();
  kc.host_ip = node->network_->host_ip();
  kc.image_table_path = TUSK_LOCALKUBE_IMAGE_TABLE;
  kc.build_dir = TUSK_BUILD_DIR;
  node->kubelet_ = std::make_unique<Kubelet>(
      kc, WorkerDeps{node->clock_, node->objects_, *node->pod_network_, node->probes_, node->statuses_});
  return node;
}

TestNode::~TestNode() {
  kubelet_.reset();   // every pod stopped
  network_.reset();   // every namespace and interface of the prefix removed
}

nlohmann::json TestNode::Pod(const std::string& name, const std::vector<std::string>& command,
                             const nlohmann::json& container, const nlohmann::json& extra_spec) {
  nlohmann::json c = {{"name", "main"}, {"image", "debian:bookworm"}, {"command", command}};
  c.update(container);
  nlohmann::json spec = {{"containers", nlohmann::json::array({c})}, {"terminationGracePeriodSeconds", 1}};
  spec.update(extra_spec);
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", name + "-uid"}}},
          {"spec", spec}};
}

std::string PhaseOf(const nlohmann::json& status) {
  return status.is_object() ? status.value("phase", "") : "";
}

}  // namespace tusk::localkube::testing
