// postgresql.cnpg.io/v1 Backup and ScheduledBackup: typed fields, CRD
// defaults and admission checks; unmodelled fields stay in `raw`.
#pragma once

#include "common/api/meta.h"

namespace tusk::api {

struct Backup {
  static constexpr char kApiVersion[] = "postgresql.cnpg.io/v1";
  static constexpr char kKind[] = "Backup";
  static constexpr char kResource[] = "backups";

  ObjectMeta metadata;
  struct Spec {
    std::optional<std::string> cluster, target, method, plugin_name;
    std::optional<bool> online, wait_for_archive, immediate_checkpoint;
  } spec;
  struct StatusFields {
    std::optional<std::string> phase, method, backup_id, backup_name, server_name, destination_path;
    std::optional<std::string> started_at, stopped_at, begin_wal, end_wal, begin_lsn, end_lsn, error;
    std::optional<std::string> instance_pod;
    std::optional<bool> online;
    std::optional<int64_t> major_version;
  } status;
  Json raw;

  template <typename V, typename Self>
  static void Visit(V& v, Self& b) {
    v("/spec/cluster/name", b.spec.cluster);
    v("/spec/target", b.spec.target);
    v("/spec/method", b.spec.method);
    v("/spec/pluginConfiguration/name", b.spec.plugin_name);
    v("/spec/online", b.spec.online);
    v("/spec/onlineConfiguration/waitForArchive", b.spec.wait_for_archive);
    v("/spec/onlineConfiguration/immediateCheckpoint", b.spec.immediate_checkpoint);
    auto& st = b.status;
    v("/status/phase", st.phase);
    v("/status/method", st.method);
    v("/status/backupId", st.backup_id);
    v("/status/backupName", st.backup_name);
    v("/status/serverName", st.server_name);
    v("/status/destinationPath", st.destination_path);
    v("/status/startedAt", st.started_at);
    v("/status/stoppedAt", st.stopped_at);
    v("/status/beginWal", st.begin_wal);
    v("/status/endWal", st.end_wal);
    v("/status/beginLSN", st.begin_lsn);
    v("/status/endLSN", st.end_lsn);
    v("/status/error", st.error);
    v("/status/instanceID/podName", st.instance_pod);
    v("/status/online", st.online);
    v("/status/majorVersion", st.major_version);
  }
};

struct ScheduledBackup {
  static constexpr char kApiVersion[] = "postgresql.cnpg.io/v1";
  static constexpr char kKind[] = "ScheduledBackup";
  static constexpr char kResource[] = "scheduledbackups";

  ObjectMeta metadata;
  struct Spec {
    std::optional<std::string> schedule, cluster, backup_owner_reference, target, method, plugin_name;
    std::optional<bool> suspend, immediate, online;
  } spec;
  struct StatusFields {
    std::optional<std::string> last_check_time, last_schedule_time, next_schedule_time, error;
  } status;
  Json raw;

  template <typename V, typename Self>
  static void Visit(V& v, Self& b) {
    v("/spec/schedule", b.spec.schedule);
    v("/spec/cluster/name", b.spec.cluster);
    v("/spec/backupOwnerReference", b.spec.backup_owner_reference);
    v("/spec/target", b.spec.target);
    v("/spec/method", b.spec.method);
    v("/spec/pluginConfiguration/name", b.spec.plugin_name);
    v("/spec/suspend", b.spec.suspend);
    v("/spec/immediate", b.spec.immediate);
    v("/spec/online", b.spec.online);
    v("/status/lastCheckTime", b.status.last_check_time);
    v("/status/lastScheduleTime", b.status.last_schedule_time);
    v("/status/nextScheduleTime", b.status.next_schedule_time);
    v("/status/error", b.status.error);
  }
};

StatusOr<Backup> BackupFromJson(const Json& doc);
Json ToJson(const Backup& backup);
void ApplyDefaults(Backup* backup);
FieldErrors Validate(const Backup& backup);

StatusOr<ScheduledBackup> ScheduledBackupFromJson(const Json& doc);
Json ToJson(const ScheduledBackup& backup);
void ApplyDefaults(ScheduledBackup* backup);
FieldErrors Validate(const ScheduledBackup& backup);

}  // namespace tusk::api
