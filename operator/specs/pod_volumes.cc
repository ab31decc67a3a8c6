#include "operator/specs/metadata.h"
#include "operator/specs/pod_parts.h"

namespace tusk::op::specs::internal {
namespace {

// Read-only to everyone but the pod's fsGroup (postgresGID), which the
// kubelet gives the files: the instance copies the keys it needs with
// postgres' own modes.
constexpr int kSecretMode = 0440;

Json SecretItems(const std::string& secret, std::initializer_list<std::pair<const char*, const char*>> items) {
  Json list = Json::array();
  for (const auto& [key, path] : items) list.push_back({{"key", key}, {"path", path}});
  return {{"secret", {{"name", secret}, {"items", std::move(list)}}}};
}

// ca.crt twice (server-ca.crt, client-ca.crt) and the two key pairs under
// the names postgres' ssl_* settings and primary_conninfo use.
Json CertificatesVolume(const api::Cluster& cluster) {
  const CertificateSecrets s = CertificateSecretNames(cluster);
  Json sources = Json::array({
      SecretItems(s.server_ca, {{"ca.crt", "server-ca.crt"}}),
      SecretItems(s.client_ca, {{"ca.crt", "client-ca.crt"}}),
      SecretItems(s.server_tls, {{"tls.crt", "server.crt"}, {"tls.key", "server.key"}}),
      SecretItems(s.replication_tls, {{"tls.crt", "streaming_replica.crt"}, {"tls.key", "streaming_replica.key"}}),
  });
  return {{"name", "certificates"}, {"projected", {{"defaultMode", kSecretMode}, {"sources", std::move(sources)}}}};
}

// What the kubelet would mount by itself, spelled out (as CloudNativePG's
// pods do) so automountServiceAccountToken can be false and only the
// containers that talk to the API get a token.
Json ServiceAccountVolume() {
  return Json::parse(R"({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
      {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
      {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
      {"downwardAPI": {"items": [{"path": "namespace",
                                  "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})");
}

Json EmptyDir(const std::optional<std::string>& size_limit, bool memory) {
  Json dir = Json::object();
  if (memory) dir["medium"] = "Memory";
  if (size_limit) dir["sizeLimit"] = *size_limit;
  return dir;
}

Json Mount(const char* volume, const char* path, bool read_only = false) {
  Json m = {{"name", volume}, {"mountPath", path}};
  if (read_only) m["readOnly"] = true;
  return m;
}

bool SuperuserAccess(const api::Cluster& cluster) { return cluster.spec.enable_superuser_access.value_or(false); }

}  // namespace

ContainerKind InitContainerKind(InstanceBootstrap bootstrap) {
  return bootstrap == InstanceBootstrap::kInitdb ? ContainerKind::kInitdb : ContainerKind::kJoin;
}

Json PodVolumes(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap) {
  const std::string pod = InstanceName(ClusterName(cluster), serial);
  const api::ClusterSpec& s = cluster.spec;
  Json volumes = Json::array();
  volumes.push_back({{"name", "pgdata"}, {"persistentVolumeClaim", {{"claimName", DataPvcName(pod)}}}});
  if (HasWalStorage(cluster)) {
    volumes.push_back({{"name", "pg-wal"}, {"persistentVolumeClaim", {{"claimName", WalPvcName(pod)}}}});
  }
  if (s.ephemeral_volume_source) {
    volumes.push_back({{"name", "scratch-data"}, {"ephemeral", *s.ephemeral_volume_source}});
  } else {
    volumes.push_back({{"name", "scratch-data"}, {"emptyDir", EmptyDir(s.ephemeral_temporary_data_limit, false)}});
  }
  volumes.push_back({{"name", "shm"}, {"emptyDir", EmptyDir(s.ephemeral_shm_limit, true)}});
  volumes.push_back(CertificatesVolume(cluster));
  if (bootstrap == InstanceBootstrap::kInitdb) {
    volumes.push_back(
        {{"name", "app-secret"}, {"secret", {{"secretName", AppSecretName(cluster)}, {"defaultMode", kSecretMode}}}});
    if (SuperuserAccess(cluster)) {
      volumes.push_back({{"name", "superuser-secret"},
                         {"secret", {{"secretName", SuperuserSecretName(cluster)}, {"defaultMode", kSecretMode}}}});
    }
  }
  volumes.push_back(ServiceAccountVolume());
  if (s.projected_volume_template) {
    volumes.push_back({{"name", "projected"}, {"projected", *s.projected_volume_template}});
  }
  return volumes;
}

Json VolumeMounts(const api::Cluster& cluster, ContainerKind kind) {
  Json mounts = Json::array();
  mounts.push_back(Mount("scratch-data", kControllerDir));
  // bootstrap-controller only copies tusk-instance into /controller.
  if (kind == ContainerKind::kBootstrapController) return mounts;
  mounts.push_back(Mount("pgdata", kPgDataMount));
  if (HasWalStorage(cluster)) mounts.push_back(Mount("pg-wal", kPgWalMount));
  mounts.push_back(Mount("shm", "/dev/shm"));
  mounts.push_back(Mount("certificates", kCertificatesSource, true));
  // The passwords matter to initdb alone: once the roles exist, postgres
  // keeps them, and a running instance has no reason to hold them.
  if (kind == ContainerKind::kInitdb) {
    mounts.push_back(Mount("app-secret", kAppSecretMount, true));
    if (SuperuserAccess(cluster)) mounts.push_back(Mount("superuser-secret", kSuperuserSecretMount, true));
  }
  mounts.push_back(Mount("kube-api-access", kServiceAccountMount, true));
  if (cluster.spec.projected_volume_template) mounts.push_back(Mount("projected", kProjectedMount));
  return mounts;
}

}  // namespace tusk::op::specs::internal
