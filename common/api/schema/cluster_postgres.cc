// Cluster.spec sections about PostgreSQL: postgresql (parameters, pg_hba,
// synchronous replication, LDAP, extensions), bootstrap (initdb, recovery,
// pg_basebackup), replica clusters and the external clusters they name.
#include "common/api/schema/cluster.h"
#include "common/api/schema/shared_types.h"
#include "common/api/schema/values.h"

namespace tusk::api::schema {

namespace {

Node Synchronous() {
  return Object({
             {"method", Str().Required().Enum(kSynchronousMethods).Doc("any (quorum) or first (priority).")},
             {"number", Int().Required().Rule("self > 0", "The number of synchronous replicas should be greater than zero")},
             {"maxStandbyNamesFromCluster", Int()},
             {"standbyNamesPre", StrList()},
             {"standbyNamesPost", StrList()},
             {"dataDurability", Str().Enum(kDataDurabilities).Doc("required (default) blocks writes without enough standbys.")},
             {"failoverQuorum", Bool().Doc("Fail over only to a standby a quorum vouches for.")},
             {"podFailureDomainKeys", StrList()},
             {"nodeFailureDomainKeys", StrList()},
         })
      .Rule("!has(self.dataDurability) || self.dataDurability != 'preferred' || "
            "((!has(self.standbyNamesPre) || self.standbyNamesPre.size() == 0) && "
            "(!has(self.standbyNamesPost) || self.standbyNamesPost.size() == 0))",
            "dataDurability set to 'preferred' requires empty 'standbyNamesPre' and empty 'standbyNamesPost'");
}

Node Ldap() {
  return Object({
      {"server", Str()},
      {"port", Int()},
      {"scheme", Str().Enum(kLdapSchemes)},
      {"tls", Bool()},
      {"bindAsAuth", Object({{"prefix", Str()}, {"suffix", Str()}})},
      {"bindSearchAuth", Object({
                             {"baseDN", Str()},
                             {"bindDN", Str()},
                             {"bindPassword", CoreSecretKeyRef()},
                             {"searchAttribute", Str()},
                             {"searchFilter", Str()},
                         })},
  });
}

Node SqlRefs() {
  return Object({
      {"secretRefs", List(KeyRef())},
      {"configMapRefs", List(KeyRef())},
  });
}

Node Import() {
  return Object({
      {"source", Object({{"externalCluster", Str().Required()}}).Required()},
      {"type", Str().Required().Enum(kImportTypes)},
      {"databases", StrList().Required()},
      {"roles", StrList()},
      {"postImportApplicationSQL", StrList()},
      {"schemaOnly", Bool()},
      {"pgDumpExtraOptions", StrList()},
      {"pgRestoreExtraOptions", StrList()},
      {"pgRestorePredataOptions", StrList()},
      {"pgRestoreDataOptions", StrList()},
      {"pgRestorePostdataOptions", StrList()},
  });
}

Node InitDb() {
  return WithLocaleRules(Object({
             {"database", Str().Doc("Application database; app when empty.")},
             {"owner", Str().Doc("Owner of the application database; the database's name when empty.")},
             {"secret", LocalRef()},
             {"options", StrList()},
             {"dataChecksums", Bool()},
             {"encoding", Str()},
             {"localeCollate", Str()},
             {"localeCType", Str()},
             {"locale", Str()},
             {"localeProvider", Str()},
             {"icuLocale", Str()},
             {"icuRules", Str()},
             {"builtinLocale", Str()},
             {"walSegmentSize", Int().Min(kMinWalSegmentSize).Max(kMaxWalSegmentSize).Doc("MB, a power of 2.")},
             {"postInitSQL", StrList()},
             {"postInitApplicationSQL", StrList()},
             {"postInitTemplateSQL", StrList()},
             {"import", Import()},
             {"postInitApplicationSQLRefs", SqlRefs()},
             {"postInitTemplateSQLRefs", SqlRefs()},
             {"postInitSQLRefs", SqlRefs()},
         }));
}

std::vector<Field> AppDatabaseFields() {
  return {
      {"database", Str()},
      {"owner", Str()},
      {"secret", LocalRef()},
  };
}

Node Recovery() {
  std::vector<Field> fields = {
      {"backup", Object({{"name", Str().Required()}, {"endpointCA", KeyRef()}})
                     .Doc("A Backup in this namespace to restore.")},
      {"source", Str().Doc("External cluster whose object store holds the backup.")},
      {"volumeSnapshots", Object({
                              {"storage", TypedLocalRef().Required()},
                              {"walStorage", TypedLocalRef()},
                              {"tablespaceStorage", MapOf(TypedLocalRef())},
                          })},
      {"recoveryTarget", Object({
                             {"backupID", Str()},
                             {"targetTLI", Str().Doc("latest, or a timeline number.")},
                             {"targetXID", Str()},
                             {"targetName", Str()},
                             {"targetLSN", Str()},
                             {"targetTime", Str().Doc("RFC 3339 or PostgreSQL timestamp; UTC without a zone.")},
                             {"targetImmediate", Bool()},
                             {"exclusive", Bool()},
                         })},
  };
  for (auto& f : AppDatabaseFields()) fields.push_back(std::move(f));
  return Object(std::move(fields));
}

Node PgBaseBackup() {
  std::vector<Field> fields = {{"source", Str().Required().MinLength(1).Doc("External cluster to copy.")}};
  for (auto& f : AppDatabaseFields()) fields.push_back(std::move(f));
  return Object(std::move(fields));
}

}  // namespace

Node PostgresConfiguration() {
  return Object({
      {"parameters", StrMap().Doc("postgresql.conf settings.")},
      {"synchronous", Synchronous()},
      {"pg_hba", StrList().Doc("Lines added to pg_hba.conf.")},
      {"pg_ident", StrList().Doc("Lines added to pg_ident.conf.")},
      {"syncReplicaElectionConstraint", Object({
                                            {"nodeLabelsAntiAffinity", StrList()},
                                            {"enabled", Bool().Required()},
                                        })},
      {"shared_preload_libraries", StrList()},
      {"ldap", Ldap()},
      {"promotionTimeout", Int32()},
      {"enableAlterSystem", Bool()},
      {"extensions", ListMap(ExtensionImage(), {"name"})},
  });
}

Node Bootstrap() {
  return Object({
      {"initdb", InitDb()},
      {"recovery", Recovery()},
      {"pg_basebackup", PgBaseBackup()},
  });
}

Node ReplicaCluster() {
  return Object({
      {"self", Str()},
      {"primary", Str()},
      {"source", Str().Required().MinLength(1).Doc("External cluster replicated from.")},
      {"enabled", Bool()},
      {"promotionToken", Str()},
      {"minApplyDelay", Duration()},
  });
}

Node ExternalCluster() {
  return Object({
      {"name", Str().Required()},
      {"connectionParameters", StrMap()},
      {"sslCert", CoreSecretKeyRef()},
      {"sslKey", CoreSecretKeyRef()},
      {"sslRootCert", CoreSecretKeyRef()},
      {"password", CoreSecretKeyRef()},
      {"barmanObjectStore", BarmanObjectStore()},
      {"plugin", PluginConfiguration()},
  });
}

}  // namespace tusk::api::schema
