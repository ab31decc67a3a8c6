#include "test/localkube/node/local_cluster.h"

#include <unistd.h>

#include "common/base/files.h"

namespace tusk::localkube {

StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(Api* api, const LocalClusterConfig& config) {
  if (::geteuid() != 0) {
    return FailedPreconditionError("running pods needs root (network, PID and mount namespaces)");
  }
  if (config.nodes < 1) return InvalidArgumentError("a cluster needs at least one node");
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(api));
  ASSIGN_OR_RETURN(cluster->network_, ClusterNetwork::Create(api, {config.network, config.api_port}));
  for (int i = 1; i <= config.nodes; ++i) {
    NodeAgentConfig nc;
    nc.heartbeat_interval = config.heartbeat_interval;
    KubeletConfig& kc = nc.kubelet;
    kc.node_name = "localkube-node-" + std::to_string(i);
    kc.state_dir = config.dir + "/nodes/" + kc.node_name;
    // Pod directories of a dead run: their processes went with its network.
    RETURN_IF_ERROR(RemoveAll(kc.state_dir + "/pods"));
    RETURN_IF_ERROR(MakeDirs(kc.state_dir));
    kc.host_ip = cluster->network_->host_ip();
    kc.image_table_path = config.image_table_path;
    kc.build_dir = config.build_dir;
    kc.kubernetes_service_host = cluster->network_->kubernetes_service_ip();
    kc.kubernetes_service_port = 443;
    auto agent = std::make_unique<NodeAgent>(api, cluster->clock_, cluster->network_->bridge(), cluster->objects_,
                                             cluster->probes_, std::move(nc));
    RETURN_IF_ERROR(agent->Start());
    cluster->agents_.push_back(std::move(agent));
  }
  LocalCluster* self = cluster.get();
  RETURN_IF_ERROR(cluster->network_->Start([self](const std::vector<net::DnsRecord>& records) {
    for (auto& agent : self->agents_) agent->kubelet().SetDnsRecords(records);
  }));
  return cluster;
}

LocalCluster::~LocalCluster() {
  if (network_) network_->StopWatching();
  agents_.clear();
  network_.reset();
}

std::string LocalCluster::host_ip() const { return network_->host_ip(); }

std::vector<std::string> LocalCluster::NodeNames() const {
  std::vector<std::string> names;
  for (const auto& agent : agents_) names.push_back(agent->name());
  return names;
}

StatusOr<NodeAgent*> LocalCluster::Agent(const std::string& node) const {
  for (const auto& agent : agents_) {
    if (agent->name() == node) return agent.get();
  }
  return NotFoundError("node \"" + node + "\" not found");
}

StatusOr<NodeAgent*> LocalCluster::AgentOf(const std::string& ns, const std::string& pod) const {
  for (const auto& agent : agents_) {
    if (agent->PodUid(ns, pod).ok()) return agent.get();
  }
  return NotFoundError("pod \"" + pod + "\" in namespace \"" + ns + "\" is not running on any node");
}

Status LocalCluster::KillContainer(const std::string& ns, const std::string& pod, const std::string& container,
                                   int sig) {
  ASSIGN_OR_RETURN(NodeAgent * agent, AgentOf(ns, pod));
  return agent->KillContainer(ns, pod, container, sig);
}

Status LocalCluster::PartitionPod(const std::string& ns, const std::string& pod) {
  ASSIGN_OR_RETURN(NodeAgent * agent, AgentOf(ns, pod));
  return agent->PartitionPod(ns, pod);
}

Status LocalCluster::HealPod(const std::string& ns, const std::string& pod) {
  ASSIGN_OR_RETURN(NodeAgent * agent, AgentOf(ns, pod));
  return agent->HealPod(ns, pod);
}

Status LocalCluster::PartitionNode(const std::string& node) {
  ASSIGN_OR_RETURN(NodeAgent * agent, Agent(node));
  return agent->Partition();
}

Status LocalCluster::HealNode(const std::string& node) {
  ASSIGN_OR_RETURN(NodeAgent * agent, Agent(node));
  return agent->Heal();
}

Status LocalCluster::NodeDown(const std::string& node) {
  ASSIGN_OR_RETURN(NodeAgent * agent, Agent(node));
  return agent->PowerOff();
}

StatusOr<std::string> LocalCluster::LogPath(const std::string& ns, const std::string& pod,
                                            const std::string& container, bool previous) {
  ASSIGN_OR_RETURN(NodeAgent * agent, AgentOf(ns, pod));
  return agent->LogPath(ns, pod, container, previous);
}

}  // namespace tusk::localkube
