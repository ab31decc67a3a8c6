// Backup, ScheduledBackup and barmancloud.cnpg.io ObjectStore.
#include "common/api/schema/kinds.h"
#include "common/api/schema/shared_types.h"
#include "common/api/schema/values.h"

namespace tusk::api::schema {

Node BackupSpec() {
  return Object({
             {"cluster", LocalRef().Required().Doc("The Cluster to back up.")},
             {"target", BackupTarget()},
             {"method", BackupMethod()},
             {"pluginConfiguration", BackupPluginConfiguration()},
             {"online", Bool().Doc("Hot (true) or cold (false); volume snapshots only.")},
             {"onlineConfiguration", OnlineConfiguration()},
         })
      .Rule("oldSelf == self", "BackupSpec is immutable once set");
}

Node BackupStatus() {
  std::vector<Field> fields = {
      {"majorVersion", Int()},
      {"endpointCA", KeyRef()},
      {"endpointURL", Str()},
      {"destinationPath", Str()},
      {"serverName", Str()},
      {"encryption", Str()},
      {"backupId", Str()},
      {"backupName", Str()},
      {"phase", Str().Doc("pending, started, running, finalizing, completed, failed, walArchivingFailing.")},
      {"startedAt", Time()},
      {"stoppedAt", Time()},
      {"beginWal", Str()},
      {"endWal", Str()},
      {"beginLSN", Str()},
      {"endLSN", Str()},
      {"error", Str()},
      {"commandOutput", Str()},
      {"commandError", Str()},
      {"backupLabelFile", Bytes()},
      {"tablespaceMapFile", Bytes()},
      {"instanceID", Object({{"podName", Str()}, {"ContainerID", Str()}, {"sessionID", Str()}})},
      {"snapshotBackupStatus", Object({{"elements", List(Object({
                                                        {"name", Str().Required()},
                                                        {"type", Str().Required()},
                                                        {"tablespaceName", Str()},
                                                    }))}})},
      {"method", Str()},
      {"online", Bool()},
      {"pluginMetadata", StrMap()},
      {"reconciliationStartedAt", Time()},
      {"reconciliationTerminatedAt", Time()},
  };
  for (auto& f : CredentialFields()) fields.push_back(std::move(f));
  return Object(std::move(fields));
}

Node ScheduledBackupSpec() {
  return Object({
      {"schedule", Str().Required().Doc("Cron schedule with seconds: six fields, e.g. \"0 0 0 * * *\".")},
      {"cluster", LocalRef().Required().Rule("self == oldSelf", "cluster reference is immutable after creation")},
      {"suspend", Bool()},
      {"immediate", Bool().Doc("Take the first backup as soon as this is created.")},
      {"backupOwnerReference", Str().Enum(kBackupOwnerReferences).Default("none")},
      {"target", BackupTarget()},
      {"method", BackupMethod()},
      {"pluginConfiguration", BackupPluginConfiguration()},
      {"online", Bool()},
      {"onlineConfiguration", OnlineConfiguration()},
  });
}

Node ScheduledBackupStatus() {
  return Object({
      {"lastCheckTime", Time()},
      {"lastScheduleTime", Time()},
      {"nextScheduleTime", Time()},
      {"error", Str()},
  });
}

Node ObjectStoreSpec() {
  Node store = BarmanObjectStore();
  store.Required().Rule("!has(self.serverName)", "use the 'serverName' plugin parameter in the Cluster resource");
  return Object({
      {"configuration", store},
      {"retentionPolicy", Str().Pattern(kRetentionPolicyPattern)},
      {"instanceSidecarConfiguration",
       Object({
           {"env", EmbeddedList("core/v1 EnvVar")},
           {"retentionPolicyIntervalSeconds", Int().Default(1800)},
           {"resources", Embedded("core/v1 ResourceRequirements")},
           {"additionalContainerArgs", StrList()},
           {"logLevel", Str().Enum(kLogLevels).Default("info")},
       })},
  });
}

Node ObjectStoreStatus() {
  return Object({
      {"serverRecoveryWindow", MapOf(Object({
                                   {"firstRecoverabilityPoint", Time()},
                                   {"lastSuccessfulBackupTime", Time()},
                                   {"lastFailedBackupTime", Time()},
                               }))},
  });
}

}  // namespace tusk::api::schema
