#include "test/localkube/net/bridge_network.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "test/localkube/net/netns.h"

namespace tusk::localkube::net {
namespace {

std::string Bridge(const NetworkConfig& c) { return c.prefix + "-br"; }
// ClusterIPs are /32s on the namespace's loopback: local there, so the
// proxy can listen on them, and reachable through the namespace's routes.
std::string ServiceDevice(const NetworkConfig&) { return "lo"; }
std::string HostLink(const NetworkConfig& c) { return c.prefix + "-host"; }
std::string InnerLink(const NetworkConfig& c) { return c.prefix + "-up"; }
std::string NetnsName(const NetworkConfig& c) { return c.prefix + "-net"; }

bool HasPrefix(const std::string& name, const std::string& prefix) { return name.rfind(prefix + "-", 0) == 0; }

// Host interface names from `ip -o link show` ("3: name@peer: <...").
StatusOr<std::vector<std::string>> HostLinks() {
  ASSIGN_OR_RETURN(std::string out, IpOutput({"-o", "link", "show"}));
  std::vector<std::string> names;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string name = line.substr(colon + 2);
    name = name.substr(0, name.find_first_of(":@"));
    names.push_back(name);
  }
  return names;
}

std::vector<int> PidsIn(const std::string& netns) {
  std::vector<int> pids;
  auto out = IpOutput({"netns", "pids", netns});
  if (!out.ok()) return pids;
  std::istringstream in(*out);
  int pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

}  // namespace

std::string Leftovers::Describe() const {
  std::string s;
  auto add = [&](const char* what, const auto& items) {
    for (const auto& i : items) {
      std::ostringstream one;
      one << i;
      s += std::string(what) + " " + one.str() + "; ";
    }
  };
  add("netns", netns);
  add("link", links);
  add("mount", mounts);
  add("pid", pids);
  return s.empty() ? "nothing" : s;
}

BridgeNetwork::BridgeNetwork(NetworkConfig config, Ipv4Net pods, Ipv4Net services, Ipv4Net link)
    : config_(std::move(config)),
      pod_net_(pods),
      service_net_(services),
      link_net_(link),
      pod_ips_(pods, 1),
      service_ips_(services, 0) {}

StatusOr<std::unique_ptr<BridgeNetwork>> BridgeNetwork::Create(const NetworkConfig& config) {
  if (config.prefix.empty() || config.prefix.size() > 6) {
    return InvalidArgumentError("network prefix must be 1..6 characters: \"" + config.prefix + "\"");
  }
  ASSIGN_OR_RETURN(Ipv4Net pods, ParseCidr(config.pod_cidr));
  ASSIGN_OR_RETURN(Ipv4Net services, ParseCidr(config.service_cidr));
  ASSIGN_OR_RETURN(Ipv4Net link, ParseCidr(config.link_cidr));
  if (link.prefix != 30) return InvalidArgumentError("link_cidr must be a /30: " + config.link_cidr);
  std::unique_ptr<BridgeNetwork> network(new BridgeNetwork(config, pods, services, link));
  // What a crashed run with the same prefix left would collide with ours.
  RETURN_IF_ERROR(Cleanup(config.prefix));
  Status setup = network->Setup();
  if (!setup.ok()) {
    Cleanup(config.prefix).IgnoreError();
    return setup.WithContext("setting up the pod network");
  }
  return network;
}

BridgeNetwork::~BridgeNetwork() { Cleanup(config_.prefix).IgnoreError(); }

std::string BridgeNetwork::netns_path() const { return NetnsPath(NetnsName(config_)); }
std::string BridgeNetwork::host_ip() const { return FormatIpv4(link_net_.At(1)); }

Status BridgeNetwork::Setup() {
  const std::string ns = NetnsName(config_);
  const std::string gw = FormatIpv4(pod_net_.At(1));
  const std::string host_ip = FormatIpv4(link_net_.At(1));
  const std::string inner_ip = FormatIpv4(link_net_.At(2));
  RETURN_IF_ERROR(Ip({"netns", "add", ns}));
  RETURN_IF_ERROR(IpBatch(ns, {
                                  "link set lo up",
                                  "link add " + Bridge(config_) + " type bridge",
                                  "addr add " + gw + "/" + std::to_string(pod_net_.prefix) + " dev " + Bridge(config_),
                                  "link set " + Bridge(config_) + " up",
                              }));
  RETURN_IF_ERROR(IpBatch("", {
                                  "link add " + HostLink(config_) + " type veth peer name " + InnerLink(config_) +
                                      " netns " + ns,
                                  "addr add " + host_ip + "/30 dev " + HostLink(config_),
                                  "link set " + HostLink(config_) + " up",
                              }));
  RETURN_IF_ERROR(IpBatch(ns, {
                                  "addr add " + inner_ip + "/30 dev " + InnerLink(config_),
                                  "link set " + InnerLink(config_) + " up",
                              }));
  // Only the two ranges go into the network; the host's other routes are
  // left as they are.
  RETURN_IF_ERROR(IpBatch("", {
                                  "route add " + pod_net_.ToString() + " via " + inner_ip + " dev " + HostLink(config_),
                                  "route add " + service_net_.ToString() + " via " + inner_ip + " dev " +
                                      HostLink(config_),
                              }));
  // The namespace forwards between the bridge and the host link; this
  // setting is the namespace's own, not the host's.
  return InNetns(netns_path(), [] {
    const int fd = ::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open /proc/sys/net/ipv4/ip_forward", errno);
    const bool ok = ::write(fd, "1\n", 2) == 2;
    const int err = errno;
    ::close(fd);
    return ok ? OkStatus() : ErrnoError("enable forwarding in the pod network", err);
  });
}

StatusOr<PodNet> BridgeNetwork::AttachPod(const std::string& pod_uid) {
  PodNet pod;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pods_.count(pod_uid)) return AlreadyExistsError("pod " + pod_uid + " already has a network");
    ASSIGN_OR_RETURN(uint32_t ip, pod_ips_.Allocate());
    const int index = next_index_++;
    pod.netns = config_.prefix + "-p" + std::to_string(index);
    pod.netns_path = NetnsPath(pod.netns);
    pod.ip = FormatIpv4(ip);
    pod.gateway = FormatIpv4(pod_net_.At(1));
    pod.host_veth = config_.prefix + "-v" + std::to_string(index);
    pods_[pod_uid] = pod;
  }
  const std::string ns = NetnsName(config_);
  Status s = Ip({"netns", "add", pod.netns});
  if (s.ok()) {
    s = IpBatch(ns, {"link add " + pod.host_veth + " type veth peer name eth0 netns " + pod.netns,
                     "link set " + pod.host_veth + " master " + Bridge(config_),
                     "link set " + pod.host_veth + " up"});
  }
  if (s.ok()) {
    s = IpBatch(pod.netns, {"link set lo up", "addr add " + pod.ip + "/" + std::to_string(pod_net_.prefix) + " dev eth0",
                            "link set eth0 up", "route add default via " + pod.gateway});
  }
  if (!s.ok()) {
    DetachPod(pod_uid).IgnoreError();
    return s.WithContext("attaching pod " + pod_uid);
  }
  return pod;
}

Status BridgeNetwork::DetachPod(const std::string& pod_uid) {
  PodNet pod;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(pod_uid);
    if (it == pods_.end()) return NotFoundError("pod " + pod_uid + " has no network");
    pod = it->second;
    pods_.erase(it);
    if (auto ip = ParseIpv4(pod.ip); ip.ok()) pod_ips_.Release(*ip);
  }
  // Deleting the bridge side removes the pair at once, even if something
  // still holds the pod's namespace open.
  Ip({"-n", NetnsName(config_), "link", "del", pod.host_veth}).IgnoreError();
  if (PathExists(pod.netns_path)) return Ip({"netns", "del", pod.netns});
  return OkStatus();
}

Status BridgeNetwork::Partition(const std::string& pod_uid) {
  PodNet pod;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(pod_uid);
    if (it == pods_.end()) return NotFoundError("pod " + pod_uid + " has no network");
    pod = it->second;
  }
  RETURN_IF_ERROR(Ip({"-n", NetnsName(config_), "link", "set", pod.host_veth, "down"}));
  return Ip({"-n", pod.netns, "link", "set", "eth0", "down"});
}

Status BridgeNetwork::Heal(const std::string& pod_uid) {
  PodNet pod;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(pod_uid);
    if (it == pods_.end()) return NotFoundError("pod " + pod_uid + " has no network");
    pod = it->second;
  }
  RETURN_IF_ERROR(Ip({"-n", NetnsName(config_), "link", "set", pod.host_veth, "up"}));
  // A link going down takes its default route with it; put it back.
  return IpBatch(pod.netns, {"link set eth0 up", "route replace default via " + pod.gateway});
}

StatusOr<std::string> BridgeNetwork::AllocateClusterIp(const std::string& requested) {
  uint32_t ip;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (requested.empty()) {
      ASSIGN_OR_RETURN(ip, service_ips_.Allocate());
    } else {
      ASSIGN_OR_RETURN(ip, ParseIpv4(requested));
      RETURN_IF_ERROR(service_ips_.Claim(ip));
    }
  }
  const std::string text = FormatIpv4(ip);
  Status s = Ip({"-n", NetnsName(config_), "addr", "add", text + "/32", "dev", ServiceDevice(config_)});
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    service_ips_.Release(ip);
    return s;
  }
  return text;
}

Status BridgeNetwork::ReleaseClusterIp(const std::string& text) {
  ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(text));
  {
    std::lock_guard<std::mutex> lock(mu_);
    service_ips_.Release(ip);
  }
  return Ip({"-n", NetnsName(config_), "addr", "del", text + "/32", "dev", ServiceDevice(config_)});
}

Status BridgeNetwork::Cleanup(const std::string& prefix) {
  ASSIGN_OR_RETURN(auto names, ListNetns());
  for (const auto& name : names) {
    if (!HasPrefix(name, prefix)) continue;
    // A pod's processes outlive a crashed localkube; they are found through
    // the namespace they sit in and killed before it goes.
    for (int round = 0; round < 100; ++round) {
      const std::vector<int> pids = PidsIn(name);
      if (pids.empty()) break;
      for (int pid : pids) KillPid(pid, SIGKILL).IgnoreError();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Ip({"netns", "del", name}).IgnoreError();
  }
  // The host end of the link dies with its peer's namespace, but not at
  // once; deleting it ourselves may race with the kernel, so what counts is
  // what is left afterwards.
  ASSIGN_OR_RETURN(auto links, HostLinks());
  for (const auto& link : links) {
    if (HasPrefix(link, prefix)) Ip({"link", "del", link}).IgnoreError();
  }
  for (int round = 0; round < 100; ++round) {
    ASSIGN_OR_RETURN(Leftovers left, FindLeftovers(prefix));
    if (left.empty()) return OkStatus();
    if (round == 99) return InternalError("cleanup of " + prefix + " left " + left.Describe());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return OkStatus();
}

StatusOr<Leftovers> BridgeNetwork::FindLeftovers(const std::string& prefix) {
  Leftovers left;
  ASSIGN_OR_RETURN(auto names, ListNetns());
  for (const auto& name : names) {
    if (!HasPrefix(name, prefix)) continue;
    left.netns.push_back(name);
    for (int pid : PidsIn(name)) left.pids.push_back(pid);
  }
  ASSIGN_OR_RETURN(auto links, HostLinks());
  for (const auto& link : links) {
    if (HasPrefix(link, prefix)) left.links.push_back(link);
  }
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find("/run/netns/" + prefix + "-") != std::string::npos) left.mounts.push_back(line);
  }
  return left;
}

}  // namespace tusk::localkube::net
