// What Services and Endpoints mean for the data path, as pure functions:
// the backends the proxy may send a new connection to for each ClusterIP
// port, and the names a pod's hosts file resolves (`svc`, `svc.ns`,
// `svc.ns.svc`, `svc.ns.svc.cluster.local`; headless Services resolve to
// their endpoints' addresses).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::localkube::net {

struct Backend {
  std::string ip;
  int port = 0;
  bool operator==(const Backend& o) const { return ip == o.ip && port == o.port; }
};

struct PortRoute {
  int port = 0;  // the Service port
  std::vector<Backend> backends;
};

struct ServiceRoute {
  std::string key;         // "namespace/name"
  std::string cluster_ip;  // empty for headless Services
  std::vector<PortRoute> ports;
};

// The proxy's view of one Service: each TCP port's ready endpoints (the
// Endpoints `addresses`, which include not-ready pods only when the Service
// publishes them). `endpoints` may be null (no endpoints yet).
StatusOr<ServiceRoute> RouteFor(const nlohmann::json& service, const nlohmann::json& endpoints);

struct DnsRecord {
  std::string name;  // fully qualified: svc.ns.svc.cluster.local
  std::string ns;    // the Service's namespace, for short names
  std::string short_name;
  std::vector<std::string> ips;
};

// Names one Service contributes: the Service (its ClusterIP, or for a
// headless Service every endpoint address) and, for headless Services,
// `<hostname>.<svc>.<ns>.svc.cluster.local` for endpoints with a hostname.
std::vector<DnsRecord> DnsRecordsFor(const nlohmann::json& service, const nlohmann::json& endpoints);

// /etc/hosts for a pod in `pod_ns`: localhost, the pod's own name, then the
// records, with the short forms that resolve from that namespace.
std::string RenderHostsFile(const std::string& pod_hostname, const std::string& pod_ip, const std::string& pod_ns,
                            const std::vector<DnsRecord>& records);

// /etc/resolv.conf with Kubernetes' search path for `pod_ns`.
std::string RenderResolvConf(const std::string& pod_ns);

}  // namespace tusk::localkube::net
