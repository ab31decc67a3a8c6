#include "common/api/schema/crds.h"

#include <algorithm>
#include <cctype>

#include "common/api/schema/cluster.h"
#include "common/api/schema/kinds.h"

namespace tusk::api::schema {

namespace {

PrinterColumn Age() { return {"Age", "date", ".metadata.creationTimestamp", "", 0}; }
PrinterColumn ClusterName() { return {"Cluster", "string", ".spec.cluster.name", "", 0}; }

// Database, Publication and Subscription show the same columns.
std::vector<PrinterColumn> ReconciledColumns() {
  return {Age(), ClusterName(), {"PG Name", "string", ".spec.name", "", 0},
          {"Applied", "boolean", ".status.applied", "", 0},
          {"Message", "string", ".status.message", "Latest reconciliation message", 0}};
}

Kind Make(std::string group, std::string kind, std::string description, Node spec, Node status,
          std::vector<PrinterColumn> columns = {Age()}) {
  Kind k;
  k.group = std::move(group);
  k.kind = std::move(kind);
  k.singular = k.kind;
  std::transform(k.singular.begin(), k.singular.end(), k.singular.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  k.plural = k.singular + "s";
  k.description = std::move(description);
  k.spec = std::move(spec);
  k.status = std::move(status);
  k.columns = std::move(columns);
  return k;
}

Kind ClusterKind() {
  Kind k = Make(kPostgresqlGroup, "Cluster", "A highly available PostgreSQL cluster: a primary and its streaming standbys.",
                ClusterSpec(), ClusterStatus(),
                {Age(),
                 {"Instances", "integer", ".status.instances", "Number of instances", 0},
                 {"Ready", "integer", ".status.readyInstances", "Number of ready instances", 0},
                 {"Status", "string", ".status.phase", "Cluster current status", 0},
                 {"Primary", "string", ".status.currentPrimary", "Primary pod", 0},
                 {"SyncTopology", "string",
                  ".status.conditions[?(@.type=='SyncReplicationTopologySatisfied')].reason",
                  "Whether synchronous standbys span the configured failure domains", 1}});
  k.scale = Scale{".spec.instances", ".status.instances", ".status.selector"};
  return k;
}

Kind PoolerKind() {
  Kind k = Make(kPostgresqlGroup, "Pooler", "A PgBouncer deployment in front of a Cluster's Services.", PoolerSpec(),
                PoolerStatus(),
                {Age(), ClusterName(), {"Type", "string", ".spec.type", "", 0}, {"Phase", "string", ".status.phase", "", 0}});
  k.scale = Scale{".spec.instances", ".status.instances", ""};
  return k;
}

Kind CatalogKind(const std::string& kind, bool namespaced, const std::string& description) {
  Kind k = Make(kPostgresqlGroup, kind, description, ImageCatalogSpec(), Node());
  k.namespaced = namespaced;
  k.has_status = false;
  k.status_subresource = false;
  return k;
}

Kind FailoverQuorumKind() {
  Kind k = Make(kPostgresqlGroup, "FailoverQuorum",
                "The synchronous standbys a Cluster's primary last reported; written by the instance manager.", Node(),
                FailoverQuorumStatus());
  k.has_spec = false;
  return k;
}

Json Column(const PrinterColumn& c) {
  Json j = {{"name", c.name}, {"type", c.type}, {"jsonPath", c.json_path}};
  if (!c.description.empty()) j["description"] = c.description;
  if (c.priority != 0) j["priority"] = c.priority;
  return j;
}

}  // namespace

std::vector<Kind> Kinds() {
  return {
      ClusterKind(),
      PoolerKind(),
      Make(kPostgresqlGroup, "Backup", "A request for one base backup of a Cluster.", BackupSpec(), BackupStatus(),
           {Age(), ClusterName(), {"Method", "string", ".spec.method", "", 0},
            {"Phase", "string", ".status.phase", "", 0}, {"Error", "string", ".status.error", "", 0}}),
      Make(kPostgresqlGroup, "ScheduledBackup", "Backups of a Cluster taken on a cron schedule.", ScheduledBackupSpec(),
           ScheduledBackupStatus(), {Age(), ClusterName(), {"Last Backup", "date", ".status.lastScheduleTime", "", 0}}),
      CatalogKind("ImageCatalog", true, "PostgreSQL images by major version, for the Clusters of one namespace."),
      CatalogKind("ClusterImageCatalog", false, "PostgreSQL images by major version, for every namespace."),
      Make(kPostgresqlGroup, "Database", "A PostgreSQL database inside a Cluster, with its schemas and extensions.",
           DatabaseSpec(), DatabaseStatus(), ReconciledColumns()),
      Make(kPostgresqlGroup, "Publication", "A logical replication publication inside a Cluster.", PublicationSpec(),
           ReconcileStatus(), ReconciledColumns()),
      Make(kPostgresqlGroup, "Subscription", "A logical replication subscription inside a Cluster.", SubscriptionSpec(),
           ReconcileStatus(), ReconciledColumns()),
      FailoverQuorumKind(),
      Make(kBarmanCloudGroup, "ObjectStore", "An object store that backups and WAL archives are written to.",
           ObjectStoreSpec(), ObjectStoreStatus()),
  };
}

Json Crd(const Kind& k) {
  Node root = Root(k.description, k.has_spec ? &k.spec : nullptr, k.has_status ? &k.status : nullptr, k.spec_required);
  Json version = {{"name", "v1"}, {"served", true}, {"storage", true}, {"schema", {{"openAPIV3Schema", root.json()}}}};
  Json subresources = Json::object();
  if (k.status_subresource) subresources["status"] = Json::object();
  if (k.scale) {
    Json scale = {{"specReplicasPath", k.scale->spec_replicas_path},
                  {"statusReplicasPath", k.scale->status_replicas_path}};
    if (!k.scale->label_selector_path.empty()) scale["labelSelectorPath"] = k.scale->label_selector_path;
    subresources["scale"] = scale;
  }
  if (!subresources.empty()) version["subresources"] = subresources;
  for (const auto& c : k.columns) version["additionalPrinterColumns"].push_back(Column(c));
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", k.plural + "." + k.group}}},
          {"spec",
           {{"group", k.group},
            {"names", {{"kind", k.kind}, {"listKind", k.kind + "List"}, {"plural", k.plural}, {"singular", k.singular}}},
            {"scope", k.namespaced ? "Namespaced" : "Cluster"},
            {"versions", Json::array({version})}}}};
}

std::vector<Json> Crds() {
  std::vector<Json> out;
  for (const auto& k : Kinds()) out.push_back(Crd(k));
  return out;
}

std::vector<std::string> Plurals(const std::string& group) {
  std::vector<std::string> out;
  for (const auto& k : Kinds()) {
    if (k.group == group) out.push_back(k.plural);
  }
  return out;
}

}  // namespace tusk::api::schema
