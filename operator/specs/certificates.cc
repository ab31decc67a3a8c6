#include "operator/specs/metadata.h"

namespace tusk::op::specs {
namespace {

// spec.managed.services.additional[].serviceTemplate.metadata.name
std::vector<std::string> AdditionalServiceNames(const api::Cluster& cluster) {
  std::vector<std::string> out;
  if (!cluster.spec.additional_services || !cluster.spec.additional_services->is_array()) return out;
  const Json::json_pointer name_ptr("/serviceTemplate/metadata/name");
  for (const auto& service : *cluster.spec.additional_services) {
    if (service.is_object() && service.contains(name_ptr) && service.at(name_ptr).is_string()) {
      out.push_back(service.at(name_ptr).get<std::string>());
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> ServerCertificateDnsNames(const api::Cluster& cluster, const OperatorSettings& settings) {
  const std::string cluster_name = internal::ClusterName(cluster);
  const std::string ns = internal::ClusterNamespace(cluster);
  std::vector<std::string> services;
  for (ServiceKind kind : DefaultServices(cluster)) services.push_back(ServiceName(cluster_name, kind));
  for (const auto& name : AdditionalServiceNames(cluster)) services.push_back(name);
  // Every form a client in the cluster may dial, so verify-full works with
  // whichever one it was given.
  std::vector<std::string> names;
  for (const auto& svc : services) {
    names.push_back(svc);
    if (ns.empty()) continue;
    names.push_back(svc + "." + ns);
    names.push_back(svc + "." + ns + ".svc");
    names.push_back(svc + "." + ns + ".svc." + settings.cluster_domain);
  }
  if (cluster.spec.certificates && cluster.spec.certificates->server_alt_dns_names) {
    for (const auto& name : *cluster.spec.certificates->server_alt_dns_names) names.push_back(name);
  }
  return names;
}

tls::CertificateRequest ServerCertificateRequest(const api::Cluster& cluster, const OperatorSettings& settings) {
  return {RwServiceName(internal::ClusterName(cluster)), ServerCertificateDnsNames(cluster, settings),
          tls::Usage::kServer};
}

tls::CertificateRequest ReplicationCertificateRequest() { return {"streaming_replica", {}, tls::Usage::kClient}; }

}  // namespace tusk::op::specs
