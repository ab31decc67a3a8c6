#include "common/api/cluster.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

namespace tusk::api {
namespace {

bool HasObject(const Json& doc, const char* pointer) {
  Json::json_pointer ptr(pointer);
  return doc.contains(ptr) && doc.at(ptr).is_object();
}

// Tag of an image reference, "" when there is none ("repo@sha256:..." or "repo").
std::string ImageTag(const std::string& image, bool* digest_only) {
  std::string ref = image;
  auto at = ref.find('@');
  bool has_digest = at != std::string::npos;
  if (has_digest) ref = ref.substr(0, at);
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  std::string tag;
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) tag = ref.substr(colon + 1);
  *digest_only = has_digest && tag.empty();
  return tag;
}

void CheckEnum(FieldErrors& errs, const char* field, const std::optional<std::string>& value,
               const std::vector<std::string>& allowed) {
  if (!value.has_value()) return;
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) errs.NotSupported(field, *value, allowed);
}

void CheckMin(FieldErrors& errs, const char* field, const std::optional<int64_t>& value, int64_t min) {
  if (value.has_value() && *value < min) {
    errs.Invalid(field, *value, "must be greater than or equal to " + std::to_string(min));
  }
}

}  // namespace

StatusOr<Cluster> ClusterFromJson(const Json& doc) {
  ASSIGN_OR_RETURN(Cluster c, ParseResource<Cluster>(doc));
  if (HasObject(doc, "/spec/bootstrap/initdb")) c.spec.has_initdb = true;
  if (HasObject(doc, "/spec/bootstrap/recovery")) c.spec.has_recovery = true;
  if (HasObject(doc, "/spec/bootstrap/pg_basebackup")) c.spec.has_pg_basebackup = true;
  return c;
}

Json ToJson(const Cluster& cluster) {
  Json out = SerializeResource(cluster);
  if (cluster.spec.has_initdb.value_or(false) && !HasObject(out, "/spec/bootstrap/initdb")) {
    out["spec"]["bootstrap"]["initdb"] = Json::object();
  }
  return out;
}

void ApplyDefaults(Cluster* cluster, const ClusterDefaults& defaults) {
  ClusterSpec& s = cluster->spec;
  // CRD schema defaults.
  Default(s.instances, 1);
  Default(s.postgres_uid, 26);
  Default(s.postgres_gid, 26);
  Default(s.min_sync_replicas, 0);
  Default(s.max_sync_replicas, 0);
  Default(s.start_delay, 3600);
  Default(s.stop_delay, 1800);
  Default(s.smart_shutdown_timeout, 180);
  Default(s.switchover_delay, 3600);
  Default(s.failover_delay, 0);
  Default(s.primary_update_strategy, "unsupervised");
  Default(s.primary_update_method, "restart");
  Default(s.log_level, "info");
  Default(s.enable_superuser_access, false);
  Default(s.enable_pdb, true);
  Default(s.ha_slots_enabled, true);
  Default(s.ha_slot_prefix, "_cnpg_");
  Default(s.slots_update_interval, 30);
  Default(s.lease_duration, 15);
  Default(s.lease_renew_deadline, 10);
  Default(s.lease_retry_period, 2);
  Default(s.lease_released_duration, 1);
  // Webhook defaults.
  if (!s.image_name.has_value() && !s.catalog_name.has_value()) s.image_name = defaults.postgres_image;
  bool any_bootstrap = s.has_initdb.value_or(false) || s.has_recovery.value_or(false) ||
                       s.has_pg_basebackup.value_or(false);
  if (!any_bootstrap) s.has_initdb = true;
  if (s.has_initdb.value_or(false)) {
    Default(s.initdb_database, "app");
    Default(s.initdb_owner, *s.initdb_database);
    Default(s.initdb_encoding, "UTF8");
    Default(s.initdb_locale_collate, "C");
    Default(s.initdb_locale_ctype, "C");
  }
  if (s.backup_destination_path.has_value() || s.backup_retention_policy.has_value()) {
    Default(s.backup_target, "prefer-standby");
  }
  Default(s.pod_anti_affinity_type, "preferred");
  if (s.synchronous) Default(s.synchronous->data_durability, "required");
}

FieldErrors Validate(const Cluster& c) {
  FieldErrors errs;
  const ClusterSpec& s = c.spec;
  const std::string name = c.metadata.name.value_or("");
  if (name.empty()) {
    errs.Required("metadata.name");
  } else if (!IsDnsLabel(name)) {
    errs.Invalid("metadata.name", name, "cluster name must be a valid DNS label");
  } else if (name.size() > 50) {
    errs.Invalid("metadata.name", name, "the maximum length of a cluster name is 50 characters");
  }

  if (s.image_name.has_value() && s.catalog_name.has_value()) {
    errs.Invalid("spec", "object", "imageName and imageCatalogRef are mutually exclusive");
  }
  if (s.image_name.has_value()) {
    bool digest_only = false;
    std::string tag = ImageTag(*s.image_name, &digest_only);
    if (tag == "latest") {
      errs.Invalid("spec.imageName", *s.image_name, "Can't use 'latest' as image tag as we can't detect upgrades");
    } else if (digest_only) {
      errs.Invalid("spec.imageName", *s.image_name, "Can't use just the image sha as we can't detect upgrades");
    } else if (!tag.empty() && !std::isdigit(static_cast<unsigned char>(tag[0]))) {
      errs.Invalid("spec.imageName", *s.image_name, "invalid version tag");
    }
  }
  if (s.catalog_name.has_value()) {
    if (s.catalog_api_group.value_or("") != kCnpgGroup ||
        (s.catalog_kind.value_or("") != "ImageCatalog" && s.catalog_kind.value_or("") != "ClusterImageCatalog")) {
      errs.Invalid("spec.imageCatalogRef", "object", "Only image catalogs are supported");
    }
    if (!s.catalog_major.has_value()) errs.Required("spec.imageCatalogRef.major");
  }
  CheckEnum(errs, "spec.imagePullPolicy", s.image_pull_policy, {"Always", "Never", "IfNotPresent", ""});

  if (!s.instances.has_value()) {
    errs.Required("spec.instances");
  } else {
    CheckMin(errs, "spec.instances", s.instances, 1);
  }
  CheckMin(errs, "spec.minSyncReplicas", s.min_sync_replicas, 0);
  CheckMin(errs, "spec.maxSyncReplicas", s.max_sync_replicas, 0);
  const int64_t instances = s.instances.value_or(1);
  const int64_t max_sync = s.max_sync_replicas.value_or(0);
  if (max_sync > 0 && max_sync >= instances) {
    errs.Invalid("spec.maxSyncReplicas", max_sync, "maxSyncReplicas must be lower than the number of instances");
  }
  if (s.min_sync_replicas.value_or(0) > max_sync) {
    errs.Invalid("spec.minSyncReplicas", *s.min_sync_replicas,
                 "minSyncReplicas cannot be greater than maxSyncReplicas");
  }

  if (s.synchronous) {
    const SynchronousReplicaConfig& sync = *s.synchronous;
    if (!sync.method) {
      errs.Required("spec.postgresql.synchronous.method");
    } else {
      CheckEnum(errs, "spec.postgresql.synchronous.method", sync.method, {"any", "first"});
    }
    if (!sync.number) {
      errs.Required("spec.postgresql.synchronous.number");
    } else if (*sync.number <= 0) {
      errs.Invalid("spec.postgresql.synchronous.number", *sync.number, "The number of synchronous replicas should be greater than zero");
    } else {
      const int64_t names = instances + static_cast<int64_t>(sync.standby_names_pre.value_or(std::vector<std::string>{}).size() +
                                                            sync.standby_names_post.value_or(std::vector<std::string>{}).size());
      if (*sync.number >= names) {
        errs.Invalid("spec.postgresql.synchronous.number", *sync.number,
                     "Invalid synchronous configuration: the number of synchronous replicas must be less than the "
                     "total number of instances and the provided standby names.");
      }
    }
    CheckEnum(errs, "spec.postgresql.synchronous.dataDurability", sync.data_durability, {"required", "preferred"});
    if (sync.data_durability.value_or("") == "preferred" &&
        (!sync.standby_names_pre.value_or(std::vector<std::string>{}).empty() ||
         !sync.standby_names_post.value_or(std::vector<std::string>{}).empty())) {
      errs.Invalid("spec.postgresql.synchronous", "object",
                   "dataDurability set to 'preferred' requires empty 'standbyNamesPre' and empty 'standbyNamesPost'");
    }
    if (s.min_sync_replicas.value_or(0) > 0 || s.max_sync_replicas.value_or(0) > 0) {
      errs.Invalid("spec.postgresql.synchronous", "object",
                   "Can't have both legacy synchronous replica configuration and new one");
    }
  }

  int methods = s.has_initdb.value_or(false) + s.has_recovery.value_or(false) + s.has_pg_basebackup.value_or(false);
  if (methods > 1) errs.Invalid("spec.bootstrap", "object", "Only one bootstrap method can be specified at a time");

  if (!s.storage_size.has_value() && !s.storage_template_request.has_value()) {
    errs.Required("spec.storage.size", "Size not configured. Please add it, or a storage request in the pvcTemplate.");
  }

  CheckEnum(errs, "spec.primaryUpdateStrategy", s.primary_update_strategy, {"unsupervised", "supervised"});
  CheckEnum(errs, "spec.primaryUpdateMethod", s.primary_update_method, {"switchover", "restart"});
  CheckEnum(errs, "spec.logLevel", s.log_level, {"error", "warning", "info", "debug", "trace"});
  if (s.primary_update_strategy.value_or("") == "supervised" && instances == 1) {
    errs.Invalid("spec.primaryUpdateStrategy", "supervised",
                 "supervised update strategy is not allowed for clusters with a single instance");
  }
  for (const auto& [field, value] : {std::pair{"spec.startDelay", s.start_delay}, {"spec.stopDelay", s.stop_delay},
                                     {"spec.smartShutdownTimeout", s.smart_shutdown_timeout},
                                     {"spec.switchoverDelay", s.switchover_delay},
                                     {"spec.failoverDelay", s.failover_delay}}) {
    CheckMin(errs, field, value, 0);
  }

  CheckMin(errs, "spec.primaryLease.leaseDurationSeconds", s.lease_duration, 1);
  CheckMin(errs, "spec.primaryLease.renewDeadlineSeconds", s.lease_renew_deadline, 1);
  CheckMin(errs, "spec.primaryLease.retryPeriodSeconds", s.lease_retry_period, 1);
  if (s.lease_duration && s.lease_renew_deadline && *s.lease_duration <= *s.lease_renew_deadline) {
    errs.Invalid("spec.primaryLease.leaseDurationSeconds", *s.lease_duration,
                 "leaseDurationSeconds must be greater than renewDeadlineSeconds");
  }
  if (s.lease_renew_deadline && s.lease_retry_period &&
      static_cast<double>(*s.lease_renew_deadline) <= 1.2 * static_cast<double>(*s.lease_retry_period)) {
    errs.Invalid("spec.primaryLease.renewDeadlineSeconds", *s.lease_renew_deadline,
                 "renewDeadlineSeconds must be greater than 1.2 times retryPeriodSeconds");
  }

  if (s.ha_slot_prefix.has_value() && !std::regex_match(*s.ha_slot_prefix, std::regex("^[0-9a-z_]*$"))) {
    errs.Invalid("spec.replicationSlots.highAvailability.slotPrefix", *s.ha_slot_prefix,
                 "should match '^[0-9a-z_]*$'");
  }
  CheckMin(errs, "spec.replicationSlots.updateInterval", s.slots_update_interval, 1);

  if (s.backup_retention_policy.has_value() &&
      !std::regex_match(*s.backup_retention_policy, std::regex("^[1-9][0-9]*[dwm]$"))) {
    errs.Invalid("spec.backup.retentionPolicy", *s.backup_retention_policy, "should match '^[1-9][0-9]*[dwm]$'");
  }
  CheckEnum(errs, "spec.backup.target", s.backup_target, {"primary", "prefer-standby"});
  CheckEnum(errs, "spec.affinity.podAntiAffinityType", s.pod_anti_affinity_type, {"preferred", "required"});

  std::set<std::string> external;
  if (s.external_clusters) {
    for (size_t i = 0; i < s.external_clusters->size(); ++i) {
      const auto& e = (*s.external_clusters)[i];
      std::string field = "spec.externalClusters[" + std::to_string(i) + "].name";
      if (!e.name) {
        errs.Required(field);
      } else if (!external.insert(*e.name).second) {
        errs.Invalid(field, *e.name, "duplicate external cluster name");
      }
    }
  }
  if (s.replica_enabled.has_value() && s.replica_primary.has_value()) {
    errs.Invalid("spec.replica.enabled", *s.replica_enabled, "replica.enabled cannot be used with replica.primary");
  }
  if (s.replica_source.has_value() && !external.count(*s.replica_source)) {
    errs.Invalid("spec.replica.source", *s.replica_source, "External cluster " + *s.replica_source + " not found");
  }
  for (const auto* src : {&s.recovery_source, &s.pg_basebackup_source}) {
    if (src->has_value() && !external.count(**src)) {
      errs.Invalid(src == &s.recovery_source ? "spec.bootstrap.recovery.source" : "spec.bootstrap.pg_basebackup.source",
                   **src, "External cluster " + **src + " not found");
    }
  }
  if (s.plugins) {
    int archivers = 0;
    for (const auto& p : *s.plugins) archivers += p.is_wal_archiver.value_or(false) ? 1 : 0;
    if (archivers > 1) errs.Invalid("spec.plugins", archivers, "only one plugin can be the WAL archiver");
    if (archivers > 0 && s.backup_destination_path) {
      errs.Invalid("spec.plugins", archivers, "a WAL archiver plugin cannot be used with barmanObjectStore");
    }
  }
  return errs;
}

StatusOr<std::vector<std::string>> FencedInstances(const Cluster& cluster) {
  std::vector<std::string> out;
  if (!cluster.metadata.annotations) return out;
  auto it = cluster.metadata.annotations->find(kFencedInstancesAnnotation);
  if (it == cluster.metadata.annotations->end()) return out;
  Json list = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  bool ok = list.is_array();
  for (const auto& e : ok ? list : Json::array()) {
    if (!e.is_string()) {
      ok = false;
      break;
    }
    out.push_back(e.get<std::string>());
  }
  if (!ok) {
    return InvalidArgumentError(std::string("metadata.annotations[") + kFencedInstancesAnnotation +
                                "]: must be a JSON array of pod names, e.g. [\"" +
                                cluster.metadata.name.value_or("cluster") + "-1\"] or [\"*\"]");
  }
  return out;
}

Status ValidateStatus(const Cluster& cluster) {
  return Validate(cluster).ToStatus("Cluster", cluster.metadata.name.value_or(""));
}

}  // namespace tusk::api
