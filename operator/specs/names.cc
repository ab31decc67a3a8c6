#include <charconv>

#include "operator/specs/specs.h"

namespace tusk::op::specs {

std::string InstanceName(const std::string& cluster, int serial) { return cluster + "-" + std::to_string(serial); }

std::optional<int> SerialOf(const std::string& cluster, const std::string& name) {
  const std::string prefix = cluster + "-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  if (*first == '0') return std::nullopt;  // serials start at 1 and are written without leading zeros
  int serial = 0;
  auto [end, ec] = std::from_chars(first, last, serial);
  if (ec != std::errc() || end != last) return std::nullopt;
  return serial;
}

std::string DataPvcName(const std::string& instance) { return instance; }
std::string WalPvcName(const std::string& instance) { return instance + "-wal"; }
std::string RwServiceName(const std::string& cluster) { return cluster + "-rw"; }
std::string RoServiceName(const std::string& cluster) { return cluster + "-ro"; }
std::string RServiceName(const std::string& cluster) { return cluster + "-r"; }

std::string ServiceName(const std::string& cluster, ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kRw:
      return RwServiceName(cluster);
    case ServiceKind::kRo:
      return RoServiceName(cluster);
    case ServiceKind::kR:
      break;
  }
  return RServiceName(cluster);
}

std::string AppSecretName(const api::Cluster& cluster) {
  return cluster.spec.initdb_secret.value_or(cluster.metadata.name.value_or("") + "-app");
}

std::string SuperuserSecretName(const api::Cluster& cluster) {
  return cluster.spec.superuser_secret.value_or(cluster.metadata.name.value_or("") + "-superuser");
}

std::string CaSecretName(const std::string& cluster) { return cluster + "-ca"; }
std::string ServerSecretName(const std::string& cluster) { return cluster + "-server"; }
std::string ReplicationSecretName(const std::string& cluster) { return cluster + "-replication"; }

std::string InstanceServiceAccountName(const api::Cluster& cluster) {
  return cluster.spec.service_account_name.value_or(cluster.metadata.name.value_or(""));
}

CertificateSecrets CertificateSecretNames(const api::Cluster& cluster) {
  const std::string name = cluster.metadata.name.value_or("");
  const api::CertificatesConfig certs = cluster.spec.certificates.value_or(api::CertificatesConfig{});
  return CertificateSecrets{
      .server_ca = certs.server_ca_secret.value_or(CaSecretName(name)),
      .client_ca = certs.client_ca_secret.value_or(CaSecretName(name)),
      .server_tls = certs.server_tls_secret.value_or(ServerSecretName(name)),
      .replication_tls = certs.replication_tls_secret.value_or(ReplicationSecretName(name)),
  };
}

std::string PostgresImage(const api::Cluster& cluster) {
  if (cluster.status.image && !cluster.status.image->empty()) return *cluster.status.image;
  return cluster.spec.image_name.value_or("");
}

int PostgresMajor(const api::Cluster& cluster) {
  std::string ref = PostgresImage(cluster);
  ref = ref.substr(0, ref.find('@'));
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    const std::string tag = ref.substr(colon + 1);
    int major = 0;
    auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), major);
    // "18.6-system-trixie", "16", "15-bookworm": the digits up to the first
    // non-digit are the major.
    if (ec == std::errc() && end != tag.data() && major > 0) return major;
  }
  if (cluster.spec.catalog_major && *cluster.spec.catalog_major > 0) {
    return static_cast<int>(*cluster.spec.catalog_major);
  }
  return 15;
}

bool HasWalStorage(const api::Cluster& cluster) {
  const api::ClusterSpec& s = cluster.spec;
  return s.wal_storage_size.has_value() || s.wal_storage_class.has_value() ||
         s.wal_storage_template_request.has_value() || s.wal_storage_pvc_template.has_value();
}

}  // namespace tusk::op::specs
