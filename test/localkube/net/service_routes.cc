#include "test/localkube/net/service_routes.h"

namespace tusk::localkube::net {
namespace {

using nlohmann::json;

constexpr char kDomain[] = "cluster.local";

bool IsHeadless(const json& service) {
  const std::string ip = service.value("spec", json::object()).value("clusterIP", "");
  return ip.empty() || ip == "None";
}

}  // namespace

StatusOr<ServiceRoute> RouteFor(const json& service, const json& endpoints) {
  try {
    const json& meta = service.at("metadata");
    const json& spec = service.at("spec");
    ServiceRoute route;
    route.key = meta.value("namespace", "default") + "/" + meta.value("name", "");
    if (!IsHeadless(service)) route.cluster_ip = spec.value("clusterIP", "");
    for (const auto& sp : spec.value("ports", json::array())) {
      if (sp.value("protocol", "TCP") != "TCP") continue;
      PortRoute pr;
      pr.port = sp.value("port", 0);
      const std::string name = sp.value("name", "");
      if (endpoints.is_object()) {
        for (const auto& subset : endpoints.value("subsets", json::array())) {
          int target = 0;
          for (const auto& ep : subset.value("ports", json::array())) {
            if (ep.value("name", "") == name) target = ep.value("port", 0);
          }
          if (target == 0) continue;
          for (const auto& addr : subset.value("addresses", json::array())) {
            pr.backends.push_back({addr.value("ip", ""), target});
          }
        }
      }
      route.ports.push_back(std::move(pr));
    }
    return route;
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("malformed service: ") + e.what());
  }
}

std::vector<DnsRecord> DnsRecordsFor(const json& service, const json& endpoints) {
  std::vector<DnsRecord> records;
  const json meta = service.value("metadata", json::object());
  const std::string name = meta.value("name", "");
  const std::string ns = meta.value("namespace", "default");
  const std::string fqdn = name + "." + ns + ".svc." + kDomain;
  DnsRecord svc{fqdn, ns, name, {}};
  if (!IsHeadless(service)) {
    svc.ips.push_back(service["spec"].value("clusterIP", ""));
    records.push_back(svc);
    return records;
  }
  if (!endpoints.is_object()) return records;
  for (const auto& subset : endpoints.value("subsets", json::array())) {
    for (const auto& addr : subset.value("addresses", json::array())) {
      const std::string ip = addr.value("ip", "");
      svc.ips.push_back(ip);
      const std::string host = addr.value("hostname", "");
      if (!host.empty()) records.push_back({host + "." + fqdn, ns, host + "." + name, {ip}});
    }
  }
  if (!svc.ips.empty()) records.insert(records.begin(), svc);
  return records;
}

std::string RenderHostsFile(const std::string& pod_hostname, const std::string& pod_ip, const std::string& pod_ns,
                            const std::vector<DnsRecord>& records) {
  std::string out =
      "# Kubernetes-managed hosts file (localkube).\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n";
  if (!pod_ip.empty()) out += pod_ip + "\t" + pod_hostname + "\n";
  for (const auto& r : records) {
    // "svc.ns.svc.cluster.local" has the suffixes "svc.ns.svc" and
    // "svc.ns"; the bare "svc" only resolves from its own namespace.
    const std::string suffix = std::string(".svc.") + kDomain;
    std::string names = r.name;
    const std::string no_domain = r.name.substr(0, r.name.size() - std::string(kDomain).size() - 1);
    const std::string no_svc = r.name.substr(0, r.name.size() - suffix.size());
    names += " " + no_domain + " " + no_svc;
    if (r.ns == pod_ns) names += " " + r.short_name;
    for (const auto& ip : r.ips) out += ip + "\t" + names + "\n";
  }
  return out;
}

std::string RenderResolvConf(const std::string& pod_ns) {
  return "search " + pod_ns + ".svc." + kDomain + " svc." + kDomain + " " + kDomain +
         "\noptions ndots:5\n";
}

}  // namespace tusk::localkube::net
