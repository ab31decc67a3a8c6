// Pooler, the image catalogs, Database, Publication, Subscription and
// FailoverQuorum.
#include "common/api/schema/kinds.h"
#include "common/api/schema/shared_types.h"
#include "common/api/schema/values.h"

namespace tusk::api::schema {

namespace {

Node PgBouncer() {
  return Object({
             {"poolMode", Str().Enum(kPoolModes).Default("session")},
             {"serverTLSSecret", LocalRef()},
             {"serverCASecret", LocalRef()},
             {"clientCASecret", LocalRef()},
             {"clientTLSSecret", LocalRef()},
             {"authQuerySecret", LocalRef()},
             {"authQuery", Str()},
             {"parameters", StrMap().Doc("pgbouncer.ini settings.")},
             {"pg_hba", StrList()},
             {"paused", Bool().Default(false).Doc("PAUSE pgbouncer until set back to false.")},
             {"image", Str()},
             {"imageCatalogRef", Object({
                                     {"apiGroup", Str()},
                                     {"kind", Str().Required()},
                                     {"name", Str().Required()},
                                     {"key", Str().Required().Pattern(kDnsLabelPattern).MaxLength(63)},
                                 })},
         })
      .Rule("!(has(self.image) && has(self.imageCatalogRef))", "image and imageCatalogRef are mutually exclusive");
}

Node SecretVersion() { return Object({{"name", Str()}, {"version", Str()}}); }

Node UsageList() {
  return List(Object({
      {"name", Str().Required()},
      {"type", Str().Enum(kUsageTypes).Default("grant")},
  }));
}

Node OptionList() {
  return List(Object({
      {"name", Str().Required()},
      {"value", Str().Required()},
      {"ensure", Str().Enum(kEnsureOptions).Default("present")},
  }));
}

// name and ensure, which every object a Database manages starts with.
std::vector<Field> ObjectFields(std::vector<Field> more) {
  std::vector<Field> fields = {
      {"name", Str().Required()},
      {"ensure", Str().Enum(kEnsureOptions).Default("present")},
  };
  for (auto& f : more) fields.push_back(std::move(f));
  return fields;
}

Node Immutable(Node n, std::string_view field) {
  return n.Rule("self == oldSelf", std::string(field) + " is immutable");
}

Node ObjectStatusList() {
  return List(Object({
      {"name", Str().Required()},
      {"applied", Bool().Required()},
      {"message", Str()},
  }));
}

}  // namespace

Node PoolerSpec() {
  return Object({
      {"cluster", LocalRef().Required().Doc("The Cluster this pooler serves.")},
      {"type", Str().Enum(kPoolerTypes).Default("rw").Doc("Service the pooler forwards to: rw, ro or r.")},
      {"instances", Int32().Default(1)},
      {"template", PodTemplate()},
      {"pgbouncer", PgBouncer().Required()},
      {"deploymentStrategy", Embedded("apps/v1 DeploymentStrategy")},
      {"monitoring", Object({
                         {"enablePodMonitor", Bool().Default(false)},
                         {"podMonitorMetricRelabelings", EmbeddedList("monitoring.coreos.com/v1 RelabelConfig")},
                         {"podMonitorRelabelings", EmbeddedList("monitoring.coreos.com/v1 RelabelConfig")},
                         {"tls", Object({{"enabled", Bool().Default(false)}})},
                     })},
      {"serviceTemplate", ServiceTemplate()},
      {"serviceAccountName", Immutable(Str(), "serviceAccountName")},
  });
}

Node PoolerStatus() {
  return Object({
      {"secrets", Object({
                      {"clientTLS", SecretVersion()},
                      {"serverTLS", SecretVersion()},
                      {"serverCA", SecretVersion()},
                      {"clientCA", SecretVersion()},
                      {"pgBouncerSecrets", Object({{"authQuery", SecretVersion()}})},
                  })},
      {"instances", Int32()},
      {"phase", Str().Doc("active, paused, inactive or failed.")},
      {"phaseReason", Str()},
      {"image", Str()},
      {"error", Str()},
  });
}

Node ImageCatalogSpec() {
  return Object({
      {"images", List(Object({
                          {"major", Int().Required().Min(kMinCatalogMajor)},
                          {"image", Str().Required()},
                          {"extensions", ListMap(ExtensionImage(), {"name"})},
                      }))
                     .Required()
                     .MinItems(1)
                     .MaxItems(8)
                     .Rule("self.all(e, self.filter(f, f.major == e.major).size() == 1)",
                           "Images must have unique major versions")},
      {"componentImages", List(Object({
                                   {"key", Str().Required().Pattern(kDnsLabelPattern).MaxLength(63)},
                                   {"image", Str().Required()},
                               }))
                              .MaxItems(32)
                              .Rule("self.all(e, self.filter(f, f.key == e.key).size() == 1)",
                                    "Component images must have unique keys")},
  });
}

Node DatabaseSpec() {
  std::vector<Field> fields = {
      {"cluster", CoreLocalRef().Required()},
      {"ensure", Str().Enum(kEnsureOptions).Default("present")},
      {"name", Immutable(Str(), "name")
                   .Required()
                   .Rule("self != 'postgres'", "the name postgres is reserved")
                   .Rule("self != 'template0'", "the name template0 is reserved")
                   .Rule("self != 'template1'", "the name template1 is reserved")},
      {"owner", Str().Required()},
  };
  for (const char* f : {"template", "encoding", "locale", "localeProvider", "localeCollate", "localeCType", "icuLocale",
                        "icuRules", "builtinLocale", "collationVersion"}) {
    fields.push_back({f, Immutable(Str(), f)});
  }
  std::vector<Field> rest = {
      {"isTemplate", Bool()},
      {"allowConnections", Bool()},
      {"connectionLimit", Int()},
      {"tablespace", Str()},
      {"databaseReclaimPolicy", Str().Enum(kReclaimPolicies).Default("retain")},
      {"schemas", List(Object(ObjectFields({{"owner", Str()}, {"create", UsageList()}, {"usage", UsageList()}})))},
      {"extensions", List(Object(ObjectFields({{"version", Str()}, {"schema", Str()}})))},
      {"fdws", List(Object(ObjectFields({
                   {"handler", Str()},
                   {"validator", Str()},
                   {"owner", Str()},
                   {"options", OptionList()},
                   {"usage", UsageList()},
               })))},
      {"servers", List(Object(ObjectFields({
                      {"fdw", Str().Required()},
                      {"options", OptionList()},
                      {"usage", UsageList()},
                  })))},
  };
  for (auto& f : rest) fields.push_back(std::move(f));
  return WithLocaleRules(Object(std::move(fields)));
}

namespace {

// What the instance manager reports after reconciling a Database,
// Publication or Subscription inside PostgreSQL.
std::vector<Field> ReconcileFields() {
  return {
      {"observedGeneration", Int64()},
      {"applied", Bool()},
      {"message", Str()},
  };
}

}  // namespace

Node DatabaseStatus() {
  std::vector<Field> fields = ReconcileFields();
  for (const char* list : {"schemas", "extensions", "fdws", "servers"}) fields.push_back({list, ObjectStatusList()});
  return Object(std::move(fields));
}

Node PublicationSpec() {
  Node table = Object({
      {"name", Str().Required()},
      {"schema", Str()},
      {"only", Bool()},
      {"columns", StrList()},
  });
  Node object = Object({{"tablesInSchema", Str()}, {"table", table}})
                    .Rule("has(self.tablesInSchema) != has(self.table)", "tablesInSchema and table are mutually exclusive");
  return Object({
      {"cluster", CoreLocalRef().Required()},
      {"name", Immutable(Str(), "name").Required()},
      {"dbname", Immutable(Str(), "dbname").Required()},
      {"owner", Str()},
      {"parameters", StrMap()},
      {"target", Object({
                     {"allTables", Immutable(Bool(), "allTables")},
                     {"objects", List(object).MaxItems(100000)},
                 })
                     .Required()
                     .Rule("has(self.allTables) != has(self.objects)", "allTables and objects are mutually exclusive")},
      {"publicationReclaimPolicy", Str().Enum(kReclaimPolicies).Default("retain")},
  });
}

Node SubscriptionSpec() {
  return Object({
      {"cluster", CoreLocalRef().Required()},
      {"name", Immutable(Str(), "name").Required()},
      {"owner", Str()},
      {"dbname", Immutable(Str(), "dbname").Required()},
      {"parameters", StrMap()},
      {"publicationName", Str().Required()},
      {"publicationDBName", Str()},
      {"externalClusterName", Str().Required()},
      {"subscriptionReclaimPolicy", Str().Enum(kReclaimPolicies).Default("retain")},
  });
}

Node ReconcileStatus() { return Object(ReconcileFields()); }

Node FailoverQuorumStatus() {
  return Object({
      {"method", Str()},
      {"standbyNames", StrList()},
      {"standbyNumber", Int()},
      {"primary", Str()},
  });
}

}  // namespace tusk::api::schema
