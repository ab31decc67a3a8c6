// Pure builders of every Kubernetes object the operator makes for a Cluster,
// CloudNativePG's names, labels and layout: "the Pod for instance 3 of this
// Cluster" is a function returning JSON. No I/O, no clock, no randomness
// (passwords and keys come in as arguments).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/api/cluster.h"
#include "common/tls/pki.h"

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
// cnpg.io/podRole of instance pods; cnpg.io/pvcStatus of a new PVC.
inline constexpr char kPodRoleInstance[] = "instance";
inline constexpr char kPvcStatusInitializing[] = "initializing";

// Ports of an instance pod.
inline constexpr int kPostgresPort = 5432;
inline constexpr int kStatusPort = 8000;  // debug HTTP: /healthz /readyz /startupz /pg/status /metrics
inline constexpr int kMetricsPort = 9187;
inline constexpr int kInstanceGrpcPort = 9090;  // tusk-instance's gRPC (WatchStatus, Promote, ...)

// Where things live inside an instance pod.
inline constexpr char kControllerDir[] = "/controller";                 // scratch-data emptyDir
inline constexpr char kInstanceBinary[] = "/controller/tusk-instance";  // copied by bootstrap-controller
inline constexpr char kSocketDir[] = "/controller/run";
inline constexpr char kLogDir[] = "/controller/log";
inline constexpr char kTmpDir[] = "/controller/tmp";
inline constexpr char kCertificatesDir[] = "/controller/certificates";  // the instance's private copy
inline constexpr char kPgDataMount[] = "/var/lib/postgresql/data";
inline constexpr char kPgData[] = "/var/lib/postgresql/data/pgdata";
inline constexpr char kPgWalMount[] = "/var/lib/postgresql/wal";
inline constexpr char kPgWal[] = "/var/lib/postgresql/wal/pg_wal";
inline constexpr char kCertificatesSource[] = "/etc/tusk/certificates";  // projected, read-only
inline constexpr char kAppSecretMount[] = "/etc/tusk/app";               // username, password
inline constexpr char kSuperuserSecretMount[] = "/etc/tusk/superuser";   // username, password
inline constexpr char kServiceAccountMount[] = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr char kProjectedMount[] = "/projected";  // spec.projectedVolumeTemplate

// Operator-level settings the builders need (from the operator's environment).
struct OperatorSettings {
  std::string operator_image;                    // OPERATOR_IMAGE_NAME: the bootstrap-controller init container
  std::string operator_version;                  // cnpg.io/operatorVersion
  std::string cluster_domain = "cluster.local";  // KUBERNETES_CLUSTER_DOMAIN
  // INHERITED_LABELS / INHERITED_ANNOTATIONS: globs; the Cluster's own labels
  // and annotations that match are copied onto every generated object.
  std::vector<std::string> inherited_labels, inherited_annotations;
};

// --- names -------------------------------------------------------------

std::string InstanceName(const std::string& cluster, int serial);  // "<cluster>-<serial>"
// The serial of a pod or PVC name of this cluster ("pg-3" -> 3, "pg-3-wal" ->
// nullopt, "pg-03" -> nullopt: only what InstanceName would have produced).
std::optional<int> SerialOf(const std::string& cluster, const std::string& name);
std::string DataPvcName(const std::string& instance);  // "<pod>"
std::string WalPvcName(const std::string& instance);   // "<pod>-wal"
std::string RwServiceName(const std::string& cluster);
std::string RoServiceName(const std::string& cluster);
std::string RServiceName(const std::string& cluster);
enum class ServiceKind { kRw, kRo, kR };
std::string ServiceName(const std::string& cluster, ServiceKind kind);  // one of the three above
// bootstrap.initdb.secret.name, or "<cluster>-app".
std::string AppSecretName(const api::Cluster& cluster);
// superuserSecret.name, or "<cluster>-superuser".
std::string SuperuserSecretName(const api::Cluster& cluster);
std::string CaSecretName(const std::string& cluster);           // "<cluster>-ca"
std::string ServerSecretName(const std::string& cluster);       // "<cluster>-server"
std::string ReplicationSecretName(const std::string& cluster);  // "<cluster>-replication"
// spec.serviceAccountName, or the cluster name.
std::string InstanceServiceAccountName(const api::Cluster& cluster);

// The Secrets an instance's TLS material comes from: spec.certificates'
// user-provided ones, or the operator's own (<cluster>-ca for both CAs).
struct CertificateSecrets {
  std::string server_ca;        // ca.crt (and ca.key when the operator signs with it)
  std::string client_ca;        // ca.crt
  std::string server_tls;       // kubernetes.io/tls
  std::string replication_tls;  // kubernetes.io/tls, CN streaming_replica
};
CertificateSecrets CertificateSecretNames(const api::Cluster& cluster);

// The image of the instance pods: status.image (where the controller puts
// what imageName or imageCatalogRef resolved to), else spec.imageName.
std::string PostgresImage(const api::Cluster& cluster);
// The PostgreSQL major of that image, read from its tag ("…:18.6-system-trixie"
// -> 18); else imageCatalogRef.major; else 15.
int PostgresMajor(const api::Cluster& cluster);

// --- objects -----------------------------------------------------------
// Every object carries metadata.namespace (the Cluster's), the label
// cnpg.io/cluster, the annotation cnpg.io/operatorVersion, the Cluster's
// inheritedMetadata and INHERITED_* matches, and ControllerReference.

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
// The annotation cnpg.io/podSpec holds the JSON of the returned spec.
Json InstancePod(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap, const std::string& role,
                 const OperatorSettings& settings);

// spec.walStorage is configured: pods get pg-wal and a <pod>-wal PVC.
bool HasWalStorage(const api::Cluster& cluster);

enum class PvcRole { kData, kWal };
// PVC <pod> (PG_DATA) or <pod>-wal (PG_WAL) from storage / walStorage:
// pvcTemplate, then storageClass and size over it; accessModes
// [ReadWriteOnce] unless the template says otherwise.
Json InstancePvc(const api::Cluster& cluster, int serial, PvcRole role, const OperatorSettings& settings);

// The default Services not listed in spec.managed.services.disabledDefaultServices
// (rw always), in the order rw, ro, r.
std::vector<ServiceKind> DefaultServices(const api::Cluster& cluster);
Json ClusterService(const api::Cluster& cluster, ServiceKind kind, const OperatorSettings& settings);

enum class CredentialsKind { kApp, kSuperuser };
// kubernetes.io/basic-auth Secret with CloudNativePG's keys (username, user,
// password, dbname, host, port, pgpass, uri, jdbc-uri, fqdn-uri,
// fqdn-jdbc-uri) as stringData, labelled cnpg.io/userType and cnpg.io/reload.
Json CredentialsSecret(const api::Cluster& cluster, CredentialsKind kind, const std::string& password,
                       const OperatorSettings& settings);

// --- TLS -----------------------------------------------------------------
// The CA is tls::CreateCa(<cluster name>, now); the two leaves below are
// signed by it.

// DNS names of the server certificate: `svc`, `svc.NS`, `svc.NS.svc` and
// `svc.NS.svc.<domain>` for each default Service (rw, ro, r, less disabled
// ones) and each spec.managed.services.additional one, then
// spec.certificates.serverAltDNSNames.
std::vector<std::string> ServerCertificateDnsNames(const api::Cluster& cluster, const OperatorSettings& settings);
// CN <cluster>-rw, serverAuth, the names above.
tls::CertificateRequest ServerCertificateRequest(const api::Cluster& cluster, const OperatorSettings& settings);
// CN streaming_replica, clientAuth.
tls::CertificateRequest ReplicationCertificateRequest();

enum class TlsSecretKind {
  kCa,           // <cluster>-ca, Opaque: ca.crt, ca.key
  kServer,       // <cluster>-server, kubernetes.io/tls: tls.crt, tls.key
  kReplication,  // <cluster>-replication, kubernetes.io/tls
};
// The Secret holding `pem`, labelled cnpg.io/reload so instances pick up a
// renewal.
Json TlsSecret(const api::Cluster& cluster, TlsSecretKind kind, const tls::CertifiedKey& pem,
               const OperatorSettings& settings);

// --- RBAC and disruption budgets -------------------------------------------

// The ServiceAccount of the instances (imagePullSecrets and
// serviceAccountTemplate metadata), or nullopt when spec.serviceAccountName
// names one the user brings.
std::optional<Json> InstanceServiceAccount(const api::Cluster& cluster, const OperatorSettings& settings);
// Role <cluster>: get/list/watch its own Cluster and Secrets (by
// resourceNames), get/update/patch its clusters/status, create/patch events;
// nothing else. RoleBinding <cluster> binds it to InstanceServiceAccountName.
Json InstanceRole(const api::Cluster& cluster, const OperatorSettings& settings);
Json InstanceRoleBinding(const api::Cluster& cluster, const OperatorSettings& settings);

// PodDisruptionBudgets: <cluster>-primary (minAvailable 1) and, with three
// instances or more, <cluster> for the replicas (minAvailable instances-2);
// none with enablePDB false. During node maintenance with reusePVC the
// replica budget is dropped, and the primary's too with a single instance.
std::vector<Json> PodDisruptionBudgets(const api::Cluster& cluster, const OperatorSettings& settings);

}  // namespace tusk::op::specs
