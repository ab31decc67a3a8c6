// Pure builders of every Kubernetes object the operator makes for a Cluster,
// CloudNativePG's names, labels and layout: "the Pod for instance 3 of this
// Cluster" is a function returning JSON. No I/O, no clock, no randomness
// (passwords and keys come in as arguments).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/api/cluster.h"

namespace tusk::op::specs {

using Json = nlohmann::json;

// Labels and annotations (cnpg-api.md §4.3, §4.4).
inline constexpr char kClusterLabel[] = "cnpg.io/cluster";
inline constexpr char kInstanceNameLabel[] = "cnpg.io/instanceName";
inline constexpr char kInstanceRoleLabel[] = "cnpg.io/instanceRole";
inline constexpr char kLegacyRoleLabel[] = "role";
inline constexpr char kPodRoleLabel[] = "cnpg.io/podRole";
inline constexpr char kPvcRoleLabel[] = "cnpg.io/pvcRole";
inline constexpr char kUserTypeLabel[] = "cnpg.io/userType";
inline constexpr char kReloadLabel[] = "cnpg.io/reload";
inline constexpr char kNodeSerialAnnotation[] = "cnpg.io/nodeSerial";
inline constexpr char kPvcStatusAnnotation[] = "cnpg.io/pvcStatus";
inline constexpr char kOperatorVersionAnnotation[] = "cnpg.io/operatorVersion";
inline constexpr char kPodSpecAnnotation[] = "cnpg.io/podSpec";

// Values of cnpg.io/instanceRole (and the legacy `role` label).
inline constexpr char kRolePrimary[] = "primary";
inline constexpr char kRoleReplica[] = "replica";
inline constexpr char kRoleUnhealthy[] = "unhealthy";

// Ports of an instance pod.
inline constexpr int kPostgresPort = 5432;
inline constexpr int kStatusPort = 8000;    // debug HTTP: /healthz /readyz /startupz /pg/status /metrics
inline constexpr int kMetricsPort = 9187;
inline constexpr int kInstanceGrpcPort = 9090;  // tusk-instance's gRPC (WatchStatus, Promote, ...)

// Where things live inside an instance pod.
inline constexpr char kControllerDir[] = "/controller";                      // scratch-data emptyDir
inline constexpr char kInstanceBinary[] = "/controller/tusk-instance";       // copied by bootstrap-controller
inline constexpr char kPgDataMount[] = "/var/lib/postgresql/data";
inline constexpr char kPgData[] = "/var/lib/postgresql/data/pgdata";
inline constexpr char kPgWalMount[] = "/var/lib/postgresql/wal";
inline constexpr char kPgWal[] = "/var/lib/postgresql/wal/pg_wal";
inline constexpr char kCertificatesSource[] = "/etc/tusk/certificates";      // projected, read-only
inline constexpr char kAppSecretMount[] = "/etc/tusk/app";                   // username, password
inline constexpr char kSuperuserSecretMount[] = "/etc/tusk/superuser";       // username, password

// Operator-level settings the builders need (from the operator's environment).
struct OperatorSettings {
  std::string operator_image;   // OPERATOR_IMAGE_NAME: the bootstrap-controller init container
  std::string operator_version;  // cnpg.io/operatorVersion
  std::string cluster_domain = "cluster.local";
};

// --- names -------------------------------------------------------------

std::string InstanceName(const std::string& cluster, int serial);  // "<cluster>-<serial>"
// The serial of a pod or PVC name of this cluster ("pg-3" -> 3, "pg-3-wal" -> nullopt).
std::optional<int> SerialOf(const std::string& cluster, const std::string& name);
std::string DataPvcName(const std::string& instance);  // "<pod>"
std::string WalPvcName(const std::string& instance);   // "<pod>-wal"
std::string RwServiceName(const std::string& cluster);
std::string RoServiceName(const std::string& cluster);
std::string RServiceName(const std::string& cluster);
// bootstrap.initdb.secret.name, or "<cluster>-app".
std::string AppSecretName(const api::Cluster& cluster);
// superuserSecret.name, or "<cluster>-superuser".
std::string SuperuserSecretName(const api::Cluster& cluster);
std::string CaSecretName(const std::string& cluster);           // "<cluster>-ca"
std::string ServerSecretName(const std::string& cluster);       // "<cluster>-server"
std::string ReplicationSecretName(const std::string& cluster);  // "<cluster>-replication"
// spec.serviceAccountName, or the cluster name.
std::string InstanceServiceAccountName(const api::Cluster& cluster);

// --- objects -----------------------------------------------------------

// The ownerReference every generated object carries (controller: true).
Json ControllerReference(const api::Cluster& cluster);

// How an instance pod gets its data directory when PGDATA is empty.
enum class InstanceBootstrap { kInitdb, kJoin };

// Pod <cluster>-<serial>: init containers bootstrap-controller (operator
// image: `tusk-operator bootstrap /controller`) and initdb or join
// (`/controller/tusk-instance init|join`, a no-op when PGDATA already holds a
// complete data directory); container `postgres` running
// `/controller/tusk-instance run` as PID 1. `role` is the initial
// cnpg.io/instanceRole. `cluster` must have had api::ApplyDefaults.
Json InstancePod(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap, const std::string& role,
                 const OperatorSettings& settings);

enum class PvcRole { kData, kWal };
// PVC <pod> (PG_DATA) or <pod>-wal (PG_WAL) from storage / walStorage.
Json InstancePvc(const api::Cluster& cluster, int serial, PvcRole role, const OperatorSettings& settings);

enum class ServiceKind { kRw, kRo, kR };
Json ClusterService(const api::Cluster& cluster, ServiceKind kind);

enum class CredentialsKind { kApp, kSuperuser };
// kubernetes.io/basic-auth Secret with CloudNativePG's keys (username, user,
// password, dbname, host, port, pgpass, uri, jdbc-uri, fqdn-uri,
// fqdn-jdbc-uri), labelled cnpg.io/userType and cnpg.io/reload.
Json CredentialsSecret(const api::Cluster& cluster, CredentialsKind kind, const std::string& password,
                       const OperatorSettings& settings);

// The ServiceAccount, Role and RoleBinding of the instances: read their own
// Cluster, write its status, read their own Secrets; nothing else.
Json InstanceServiceAccount(const api::Cluster& cluster);
Json InstanceRole(const api::Cluster& cluster);
Json InstanceRoleBinding(const api::Cluster& cluster);

// PodDisruptionBudgets: <cluster>-primary (minAvailable 1) and, with three
// instances or more, <cluster> for the replicas (minAvailable instances-2);
// none with enablePDB false.
std::vector<Json> PodDisruptionBudgets(const api::Cluster& cluster);

}  // namespace tusk::op::specs
