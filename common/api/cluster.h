// postgresql.cnpg.io/v1 Cluster: the fields Tusk acts on, with the
// CloudNativePG defaults (CRD and webhook) and admission checks. Everything
// else in the manifest is carried untouched in `raw`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/api/meta.h"

namespace tusk::api {

// Image the webhook gives a Cluster that names neither image nor catalog.
inline constexpr char kDefaultPostgresImage[] = "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie";

struct ExternalCluster {
  std::optional<std::string> name;
  std::optional<std::map<std::string, std::string>> connection_parameters;
  template <typename V, typename Self>
  static void Visit(V& v, Self& e) {
    v("/name", e.name);
    v("/connectionParameters", e.connection_parameters);
  }
};

struct PluginConfiguration {
  std::optional<std::string> name;
  std::optional<bool> enabled, is_wal_archiver;
  std::optional<std::map<std::string, std::string>> parameters;
  template <typename V, typename Self>
  static void Visit(V& v, Self& p) {
    v("/name", p.name);
    v("/enabled", p.enabled);
    v("/isWALArchiver", p.is_wal_archiver);
    v("/parameters", p.parameters);
  }
};

// spec.postgresql.synchronous
struct SynchronousReplicaConfig {
  std::optional<std::string> method;  // any | first
  std::optional<int64_t> number;
  std::optional<int64_t> max_standby_names_from_cluster;
  std::optional<std::vector<std::string>> standby_names_pre, standby_names_post;
  std::optional<std::string> data_durability;  // required | preferred
  std::optional<bool> failover_quorum;
  template <typename V, typename Self>
  static void Visit(V& v, Self& s) {
    v("/method", s.method);
    v("/number", s.number);
    v("/maxStandbyNamesFromCluster", s.max_standby_names_from_cluster);
    v("/standbyNamesPre", s.standby_names_pre);
    v("/standbyNamesPost", s.standby_names_post);
    v("/dataDurability", s.data_durability);
    v("/failoverQuorum", s.failover_quorum);
  }
};

// spec.certificates: user-provided secrets instead of the operator's own PKI.
struct CertificatesConfig {
  std::optional<std::string> server_ca_secret, server_tls_secret, replication_tls_secret, client_ca_secret;
  std::optional<std::vector<std::string>> server_alt_dns_names;
  template <typename V, typename Self>
  static void Visit(V& v, Self& c) {
    v("/serverCASecret", c.server_ca_secret);
    v("/serverTLSSecret", c.server_tls_secret);
    v("/replicationTLSSecret", c.replication_tls_secret);
    v("/clientCASecret", c.client_ca_secret);
    v("/serverAltDNSNames", c.server_alt_dns_names);
  }
};

// A status condition as metav1.Condition.
struct Condition {
  std::optional<std::string> type, status, reason, message, last_transition_time;
  std::optional<int64_t> observed_generation;
  template <typename V, typename Self>
  static void Visit(V& v, Self& c) {
    v("/type", c.type);
    v("/status", c.status);
    v("/reason", c.reason);
    v("/message", c.message);
    v("/lastTransitionTime", c.last_transition_time);
    v("/observedGeneration", c.observed_generation);
  }
};

// status.instancesReportedState[pod]
struct InstanceReportedState {
  std::optional<bool> is_primary;
  std::optional<int64_t> timeline_id;
  std::optional<std::string> ip;
  template <typename V, typename Self>
  static void Visit(V& v, Self& r) {
    v("/isPrimary", r.is_primary);
    v("/timeLineID", r.timeline_id);
    v("/ip", r.ip);
  }
};

struct ClusterSpec {
  std::optional<std::string> description, image_name, image_pull_policy;
  std::optional<std::string> catalog_api_group, catalog_kind, catalog_name;
  std::optional<int64_t> catalog_major;
  std::optional<int64_t> postgres_uid, postgres_gid, instances, min_sync_replicas, max_sync_replicas;
  std::optional<std::map<std::string, std::string>> parameters;
  std::optional<std::vector<std::string>> pg_hba, pg_ident, shared_preload_libraries;
  // bootstrap: exactly one of these three sections may be present.
  std::optional<bool> has_initdb, has_recovery, has_pg_basebackup;
  std::optional<std::string> initdb_database, initdb_owner, initdb_secret, initdb_encoding;
  std::optional<std::string> initdb_locale_collate, initdb_locale_ctype;
  std::optional<std::string> recovery_source, recovery_backup, pg_basebackup_source;
  std::optional<std::string> storage_size, storage_class, storage_template_request;
  std::optional<std::string> wal_storage_size, wal_storage_class;
  std::optional<int64_t> start_delay, stop_delay, smart_shutdown_timeout, switchover_delay, failover_delay;
  std::optional<std::string> primary_update_strategy, primary_update_method, log_level;
  std::optional<bool> enable_superuser_access, enable_pdb;
  std::optional<std::string> superuser_secret;
  std::optional<bool> ha_slots_enabled;
  std::optional<std::string> ha_slot_prefix;
  std::optional<int64_t> slots_update_interval;
  std::optional<int64_t> lease_duration, lease_renew_deadline, lease_retry_period, lease_released_duration;
  std::optional<std::string> backup_target, backup_retention_policy, backup_destination_path;
  std::optional<bool> replica_enabled;
  std::optional<std::string> replica_source, replica_primary, replica_self;
  std::optional<std::vector<ExternalCluster>> external_clusters;
  std::optional<std::vector<PluginConfiguration>> plugins;
  std::optional<std::string> pod_anti_affinity_type;

  // spec.postgresql
  std::optional<SynchronousReplicaConfig> synchronous;
  std::optional<int64_t> promotion_timeout;
  // spec.bootstrap.initdb beyond the names above
  std::optional<bool> initdb_data_checksums;
  std::optional<std::string> initdb_locale, initdb_locale_provider, initdb_icu_locale, initdb_icu_rules;
  std::optional<std::string> initdb_builtin_locale;
  std::optional<int64_t> initdb_wal_segment_size;
  std::optional<std::vector<std::string>> initdb_options;
  std::optional<std::vector<std::string>> post_init_sql, post_init_application_sql, post_init_template_sql;
  // spec.storage / spec.walStorage
  std::optional<bool> storage_resize_in_use_volumes;
  std::optional<Json> storage_pvc_template, wal_storage_pvc_template;
  std::optional<std::string> wal_storage_template_request;
  // Embedded Kubernetes types, copied into the pods as written.
  std::optional<Json> resources, topology_spread_constraints, env, env_from, pod_security_context,
      security_context, seccomp_profile, image_pull_secrets, service_account_template, probes,
      projected_volume_template, ephemeral_volume_source;
  std::optional<std::string> scheduler_name, priority_class_name, service_account_name;
  std::optional<int64_t> liveness_probe_timeout;
  std::optional<std::string> ephemeral_shm_limit, ephemeral_temporary_data_limit;
  // spec.affinity beyond podAntiAffinityType
  std::optional<bool> enable_pod_anti_affinity;
  std::optional<std::string> topology_key;
  std::optional<std::map<std::string, std::string>> node_selector;
  std::optional<Json> node_affinity, tolerations, additional_pod_anti_affinity, additional_pod_affinity;
  // spec.inheritedMetadata
  std::optional<std::map<std::string, std::string>> inherited_labels, inherited_annotations;
  std::optional<CertificatesConfig> certificates;
  // spec.managed.services
  std::optional<std::vector<std::string>> disabled_default_services;
  std::optional<Json> additional_services;
  // spec.nodeMaintenanceWindow
  std::optional<bool> node_maintenance_in_progress, node_maintenance_reuse_pvc;
  std::optional<Json> monitoring, tablespaces, backup_object_store;
};

struct ClusterStatus {
  std::optional<std::string> phase, phase_reason, current_primary, target_primary;
  std::optional<std::string> current_primary_timestamp, target_primary_timestamp, image;
  std::optional<int64_t> instances, ready_instances, latest_generated_node, timeline_id;
  std::optional<std::vector<std::string>> instance_names;
  // "healthy" / "replicating" / "failed" -> pod names
  std::optional<std::map<std::string, std::vector<std::string>>> instances_status;
  std::optional<std::map<std::string, InstanceReportedState>> instances_reported_state;
  std::optional<std::vector<Condition>> conditions;
  std::optional<std::vector<std::string>> healthy_pvc, dangling_pvc, initializing_pvc, unusable_pvc, resizing_pvc;
  std::optional<int64_t> pvc_count, job_count;
  std::optional<std::string> write_service, read_service, system_id, selector;
  std::optional<std::string> current_primary_failing_since_timestamp;
  std::optional<std::string> first_recoverability_point, last_successful_backup, last_failed_backup;
  // status.certificates: the secrets in use and their expirations
  std::optional<Json> certificates;
};

struct Cluster {
  static constexpr char kApiVersion[] = "postgresql.cnpg.io/v1";
  static constexpr char kKind[] = "Cluster";
  static constexpr char kResource[] = "clusters";

  ObjectMeta metadata;
  ClusterSpec spec;
  ClusterStatus status;
  Json raw;  // the document this was read from; unmodelled fields live here

  template <typename V, typename Self>
  static void Visit(V& v, Self& c);
};

StatusOr<Cluster> ClusterFromJson(const Json& doc);
Json ToJson(const Cluster& cluster);

// Operator-level settings the defaulting webhook uses.
struct ClusterDefaults {
  std::string postgres_image = kDefaultPostgresImage;  // POSTGRES_IMAGE_NAME
};

// Fills what the CRD schema and the CloudNativePG defaulting webhook fill.
void ApplyDefaults(Cluster* cluster, const ClusterDefaults& defaults = {});

inline constexpr char kFencedInstancesAnnotation[] = "cnpg.io/fencedInstances";
// metadata.annotations["cnpg.io/fencedInstances"]: pod names, "*" = all;
// empty when the annotation is absent, an error when it is not a JSON list
// of strings.
StatusOr<std::vector<std::string>> FencedInstances(const Cluster& cluster);
// The admission checks, as the validating webhook would report them.
FieldErrors Validate(const Cluster& cluster);
// Validate() as a Status (InvalidArgument naming every bad field).
Status ValidateStatus(const Cluster& cluster);

template <typename V, typename Self>
void Cluster::Visit(V& v, Self& c) {
  auto& s = c.spec;
  v("/spec/description", s.description);
  v("/spec/imageName", s.image_name);
  v("/spec/imagePullPolicy", s.image_pull_policy);
  v("/spec/imageCatalogRef/apiGroup", s.catalog_api_group);
  v("/spec/imageCatalogRef/kind", s.catalog_kind);
  v("/spec/imageCatalogRef/name", s.catalog_name);
  v("/spec/imageCatalogRef/major", s.catalog_major);
  v("/spec/postgresUID", s.postgres_uid);
  v("/spec/postgresGID", s.postgres_gid);
  v("/spec/instances", s.instances);
  v("/spec/minSyncReplicas", s.min_sync_replicas);
  v("/spec/maxSyncReplicas", s.max_sync_replicas);
  v("/spec/postgresql/parameters", s.parameters);
  v("/spec/postgresql/pg_hba", s.pg_hba);
  v("/spec/postgresql/pg_ident", s.pg_ident);
  v("/spec/postgresql/shared_preload_libraries", s.shared_preload_libraries);
  v("/spec/bootstrap/initdb/database", s.initdb_database);
  v("/spec/bootstrap/initdb/owner", s.initdb_owner);
  v("/spec/bootstrap/initdb/secret/name", s.initdb_secret);
  v("/spec/bootstrap/initdb/encoding", s.initdb_encoding);
  v("/spec/bootstrap/initdb/localeCollate", s.initdb_locale_collate);
  v("/spec/bootstrap/initdb/localeCType", s.initdb_locale_ctype);
  v("/spec/bootstrap/recovery/source", s.recovery_source);
  v("/spec/bootstrap/recovery/backup/name", s.recovery_backup);
  v("/spec/bootstrap/pg_basebackup/source", s.pg_basebackup_source);
  v("/spec/storage/size", s.storage_size);
  v("/spec/storage/storageClass", s.storage_class);
  v("/spec/storage/pvcTemplate/resources/requests/storage", s.storage_template_request);
  v("/spec/walStorage/size", s.wal_storage_size);
  v("/spec/walStorage/storageClass", s.wal_storage_class);
  v("/spec/startDelay", s.start_delay);
  v("/spec/stopDelay", s.stop_delay);
  v("/spec/smartShutdownTimeout", s.smart_shutdown_timeout);
  v("/spec/switchoverDelay", s.switchover_delay);
  v("/spec/failoverDelay", s.failover_delay);
  v("/spec/primaryUpdateStrategy", s.primary_update_strategy);
  v("/spec/primaryUpdateMethod", s.primary_update_method);
  v("/spec/logLevel", s.log_level);
  v("/spec/enableSuperuserAccess", s.enable_superuser_access);
  v("/spec/superuserSecret/name", s.superuser_secret);
  v("/spec/enablePDB", s.enable_pdb);
  v("/spec/replicationSlots/highAvailability/enabled", s.ha_slots_enabled);
  v("/spec/replicationSlots/highAvailability/slotPrefix", s.ha_slot_prefix);
  v("/spec/replicationSlots/updateInterval", s.slots_update_interval);
  v("/spec/primaryLease/leaseDurationSeconds", s.lease_duration);
  v("/spec/primaryLease/renewDeadlineSeconds", s.lease_renew_deadline);
  v("/spec/primaryLease/retryPeriodSeconds", s.lease_retry_period);
  v("/spec/primaryLease/releasedLeaseDurationSeconds", s.lease_released_duration);
  v("/spec/backup/target", s.backup_target);
  v("/spec/backup/retentionPolicy", s.backup_retention_policy);
  v("/spec/backup/barmanObjectStore/destinationPath", s.backup_destination_path);
  v("/spec/replica/enabled", s.replica_enabled);
  v("/spec/replica/source", s.replica_source);
  v("/spec/replica/primary", s.replica_primary);
  v("/spec/replica/self", s.replica_self);
  v("/spec/externalClusters", s.external_clusters);
  v("/spec/plugins", s.plugins);
  v("/spec/affinity/podAntiAffinityType", s.pod_anti_affinity_type);
  v("/spec/postgresql/synchronous", s.synchronous);
  v("/spec/postgresql/promotionTimeout", s.promotion_timeout);
  v("/spec/bootstrap/initdb/dataChecksums", s.initdb_data_checksums);
  v("/spec/bootstrap/initdb/locale", s.initdb_locale);
  v("/spec/bootstrap/initdb/localeProvider", s.initdb_locale_provider);
  v("/spec/bootstrap/initdb/icuLocale", s.initdb_icu_locale);
  v("/spec/bootstrap/initdb/icuRules", s.initdb_icu_rules);
  v("/spec/bootstrap/initdb/builtinLocale", s.initdb_builtin_locale);
  v("/spec/bootstrap/initdb/walSegmentSize", s.initdb_wal_segment_size);
  v("/spec/bootstrap/initdb/options", s.initdb_options);
  v("/spec/bootstrap/initdb/postInitSQL", s.post_init_sql);
  v("/spec/bootstrap/initdb/postInitApplicationSQL", s.post_init_application_sql);
  v("/spec/bootstrap/initdb/postInitTemplateSQL", s.post_init_template_sql);
  v("/spec/storage/resizeInUseVolumes", s.storage_resize_in_use_volumes);
  v("/spec/storage/pvcTemplate", s.storage_pvc_template);
  v("/spec/walStorage/pvcTemplate", s.wal_storage_pvc_template);
  v("/spec/walStorage/pvcTemplate/resources/requests/storage", s.wal_storage_template_request);
  v("/spec/resources", s.resources);
  v("/spec/topologySpreadConstraints", s.topology_spread_constraints);
  v("/spec/env", s.env);
  v("/spec/envFrom", s.env_from);
  v("/spec/podSecurityContext", s.pod_security_context);
  v("/spec/securityContext", s.security_context);
  v("/spec/seccompProfile", s.seccomp_profile);
  v("/spec/imagePullSecrets", s.image_pull_secrets);
  v("/spec/serviceAccountTemplate", s.service_account_template);
  v("/spec/serviceAccountName", s.service_account_name);
  v("/spec/probes", s.probes);
  v("/spec/projectedVolumeTemplate", s.projected_volume_template);
  v("/spec/ephemeralVolumeSource", s.ephemeral_volume_source);
  v("/spec/schedulerName", s.scheduler_name);
  v("/spec/priorityClassName", s.priority_class_name);
  v("/spec/livenessProbeTimeout", s.liveness_probe_timeout);
  v("/spec/ephemeralVolumesSizeLimit/shm", s.ephemeral_shm_limit);
  v("/spec/ephemeralVolumesSizeLimit/temporaryData", s.ephemeral_temporary_data_limit);
  v("/spec/affinity/enablePodAntiAffinity", s.enable_pod_anti_affinity);
  v("/spec/affinity/topologyKey", s.topology_key);
  v("/spec/affinity/nodeSelector", s.node_selector);
  v("/spec/affinity/nodeAffinity", s.node_affinity);
  v("/spec/affinity/tolerations", s.tolerations);
  v("/spec/affinity/additionalPodAntiAffinity", s.additional_pod_anti_affinity);
  v("/spec/affinity/additionalPodAffinity", s.additional_pod_affinity);
  v("/spec/inheritedMetadata/labels", s.inherited_labels);
  v("/spec/inheritedMetadata/annotations", s.inherited_annotations);
  v("/spec/certificates", s.certificates);
  v("/spec/managed/services/disabledDefaultServices", s.disabled_default_services);
  v("/spec/managed/services/additional", s.additional_services);
  v("/spec/nodeMaintenanceWindow/inProgress", s.node_maintenance_in_progress);
  v("/spec/nodeMaintenanceWindow/reusePVC", s.node_maintenance_reuse_pvc);
  v("/spec/monitoring", s.monitoring);
  v("/spec/tablespaces", s.tablespaces);
  v("/spec/backup/barmanObjectStore", s.backup_object_store);
  auto& st = c.status;
  v("/status/phase", st.phase);
  v("/status/phaseReason", st.phase_reason);
  v("/status/currentPrimary", st.current_primary);
  v("/status/targetPrimary", st.target_primary);
  v("/status/currentPrimaryTimestamp", st.current_primary_timestamp);
  v("/status/targetPrimaryTimestamp", st.target_primary_timestamp);
  v("/status/image", st.image);
  v("/status/instances", st.instances);
  v("/status/readyInstances", st.ready_instances);
  v("/status/latestGeneratedNode", st.latest_generated_node);
  v("/status/timelineID", st.timeline_id);
  v("/status/instanceNames", st.instance_names);
  v("/status/instancesStatus", st.instances_status);
  v("/status/instancesReportedState", st.instances_reported_state);
  v("/status/conditions", st.conditions);
  v("/status/healthyPVC", st.healthy_pvc);
  v("/status/danglingPVC", st.dangling_pvc);
  v("/status/initializingPVC", st.initializing_pvc);
  v("/status/unusablePVC", st.unusable_pvc);
  v("/status/resizingPVC", st.resizing_pvc);
  v("/status/pvcCount", st.pvc_count);
  v("/status/jobCount", st.job_count);
  v("/status/writeService", st.write_service);
  v("/status/readService", st.read_service);
  v("/status/systemID", st.system_id);
  v("/status/selector", st.selector);
  v("/status/currentPrimaryFailingSinceTimestamp", st.current_primary_failing_since_timestamp);
  v("/status/firstRecoverabilityPoint", st.first_recoverability_point);
  v("/status/lastSuccessfulBackup", st.last_successful_backup);
  v("/status/lastFailedBackup", st.last_failed_backup);
  v("/status/certificates", st.certificates);
}

}  // namespace tusk::api
