#include "common/api/schema/shared_types.h"

#include "common/api/schema/values.h"

namespace tusk::api::schema {

Node LocalRef() {
  return Object({{"name", Str().Required().Doc("Name of the object in the same namespace.")}});
}

Node CoreLocalRef() {
  return Object({{"name", Str().Default("").Doc("Name of the object in the same namespace.")}});
}

Node KeyRef() {
  return Object({
      {"name", Str().Required().Doc("Name of the Secret or ConfigMap.")},
      {"key", Str().Required().Doc("Key inside it.")},
  });
}

Node CoreSecretKeyRef() {
  return Object({
      {"name", Str().Default("")},
      {"key", Str().Required()},
      {"optional", Bool()},
  });
}

Node TypedLocalRef() {
  return Object({
      {"apiGroup", Str().Doc("API group of the object; empty for the core group.")},
      {"kind", Str().Required()},
      {"name", Str().Required()},
  });
}

Node Metadata() {
  return Object({
      {"name", Str()},
      {"labels", StrMap()},
      {"annotations", StrMap()},
  });
}

Node ServiceTemplate() {
  return Object({
      {"metadata", Metadata()},
      // core/v1 ServiceSpec: kube-apiserver validates it on the Service.
      {"spec", Embedded("core/v1 ServiceSpec")},
  });
}

Node PodTemplate() {
  return Object({
      {"metadata", Metadata()},
      // core/v1 PodSpec: kube-apiserver validates it on the Deployment.
      {"spec", Embedded("core/v1 PodSpec")},
  });
}

std::vector<Field> CredentialFields() {
  return {
      {"s3Credentials",
       Object({
           {"accessKeyId", KeyRef()},
           {"secretAccessKey", KeyRef()},
           {"region", KeyRef()},
           {"sessionToken", KeyRef()},
           {"inheritFromIAMRole", Bool().Doc("Use the pod's IAM role instead of keys.")},
       }).Doc("Amazon S3 and S3-compatible stores.")},
      {"azureCredentials",
       Object({
           {"connectionString", KeyRef()},
           {"storageAccount", KeyRef()},
           {"storageKey", KeyRef()},
           {"storageSasToken", KeyRef()},
           {"inheritFromAzureAD", Bool()},
           {"useDefaultAzureCredentials", Bool()},
       })},
      {"googleCredentials",
       Object({
           {"applicationCredentials", KeyRef()},
           {"gkeEnvironment", Bool()},
       })},
  };
}

Node BarmanObjectStore() {
  std::vector<Field> fields = {
      {"destinationPath", Str().Required().MinLength(1).Doc("Where backups and WAL go, e.g. s3://bucket/path.")},
      {"endpointURL", Str().Doc("Endpoint of the object store, for S3-compatible servers.")},
      {"endpointCA", KeyRef().Doc("PEM CA bundle that verifies an https endpoint.")},
      {"serverName", Str().Doc("Folder under destinationPath; the cluster's name when empty.")},
      {"wal", Object({
                  {"compression", Str().Enum(kCompressions)},
                  {"encryption", Str().Enum(kEncryptions)},
                  {"maxParallel", Int().Min(1).Doc("WAL files archived or restored at once.")},
                  {"archiveAdditionalCommandArgs", StrList()},
                  {"restoreAdditionalCommandArgs", StrList()},
              })},
      {"data", Object({
                   {"compression", Str().Enum(kCompressions)},
                   {"encryption", Str().Enum(kEncryptions)},
                   {"jobs", Int32().Min(1).Doc("Parallel uploads of a base backup.")},
                   {"immediateCheckpoint", Bool()},
                   {"additionalCommandArgs", StrList()},
                   {"restoreAdditionalCommandArgs", StrList()},
               })},
      {"tags", StrMap()},
      {"historyTags", StrMap()},
  };
  for (auto& f : CredentialFields()) fields.push_back(std::move(f));
  return Object(std::move(fields));
}

Node PluginConfiguration() {
  return Object({
      {"name", Str().Required().Doc("Name the plugin registers with the operator.")},
      {"enabled", Bool().Default(true)},
      {"isWALArchiver", Bool().Default(false).Doc("This plugin archives WAL; at most one may.")},
      {"parameters", StrMap()},
  });
}

Node BackupPluginConfiguration() {
  return Object({
      {"name", Str().Required()},
      {"parameters", StrMap()},
  });
}

Node OnlineConfiguration() {
  return Object({
      {"waitForArchive", Bool().Default(true).Doc("pg_backup_stop waits for the WAL to be archived.")},
      {"immediateCheckpoint", Bool().Doc("Start the backup with an immediate checkpoint.")},
  });
}

Node ExtensionImage() {
  return Object({
      {"name", Str().Required().MinLength(1).MaxLength(59).Pattern(kExtensionNamePattern)},
      {"image", Object({
                    {"reference", Str().Doc("Image holding the extension's files.")},
                    {"pullPolicy", Str()},
                }).Rule("has(self.reference)", "An image reference is required")},
      {"extension_control_path", StrList().Doc("Directories of the image added to extension_control_path.")},
      {"dynamic_library_path", StrList().Doc("Directories of the image added to dynamic_library_path.")},
      {"ld_library_path", StrList()},
      {"bin_path", StrList()},
      {"env", List(Object({{"name", Str().Required()}, {"value", Str()}}))},
  });
}

Node WithLocaleRules(Node object) {
  return object
      .Rule("!has(self.builtinLocale) || self.localeProvider == 'builtin'",
            "builtinLocale is only available when localeProvider is set to `builtin`")
      .Rule("!has(self.icuLocale) || self.localeProvider == 'icu'",
            "icuLocale is only available when localeProvider is set to `icu`")
      .Rule("!has(self.icuRules) || self.localeProvider == 'icu'",
            "icuRules is only available when localeProvider is set to `icu`");
}

Node Condition() {
  return Object({
      {"type", Str().Required()},
      {"status", Str().Required().Enum({"True", "False", "Unknown"})},
      {"reason", Str()},
      {"message", Str()},
      {"lastTransitionTime", Time()},
      {"observedGeneration", Int64()},
  });
}

Node BackupTarget() {
  return Str().Enum(kBackupTargets).Doc("Where the backup runs: primary, or a standby when one is ready.");
}

Node BackupMethod() { return Str().Enum(kBackupMethods).Default("barmanObjectStore"); }

}  // namespace tusk::api::schema
