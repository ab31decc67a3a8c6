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
};

struct ClusterStatus {
  std::optional<std::string> phase, phase_reason, current_primary, target_primary;
  std::optional<std::string> current_primary_timestamp, target_primary_timestamp, image;
  std::optional<int64_t> instances, ready_instances, latest_generated_node, timeline_id;
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

// Fills what the CRD schema and the CloudNativePG defaulting webhook fill.
void ApplyDefaults(Cluster* cluster);
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
}

}  // namespace tusk::api
